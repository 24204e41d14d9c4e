//! The policy loader (`Policy::from_yaml`, what `serve --policy` and every reload run): any
//! text is a policy or a readable error; a policy evaluates any object in any namespace.
#![no_main]

use std::sync::OnceLock;

use kds_webhook::policy::Policy;
use kds_webhook::{KubernetesDaemonSet, defaulting, manifest};
use libfuzzer_sys::fuzz_target;

/// The fluentd example, defaulted, as `/validate` hands it to the gates.
fn object() -> &'static KubernetesDaemonSet {
    static OBJECT: OnceLock<KubernetesDaemonSet> = OnceLock::new();
    OBJECT.get_or_init(|| {
        let text = include_str!("../../examples/fluentd-logger.yaml");
        let doc = manifest::load(text).expect("example parses").remove(0);
        let mut kds = doc.decoded.expect("example decodes");
        defaulting::apply_defaults(&mut kds);
        kds
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Policy::from_yaml(text) {
        Ok(policy) => {
            for ns in ["logging", "kube-system", "team-a", ""] {
                let _ = policy.scope(ns);
                let report = policy.evaluate(object(), ns);
                assert_eq!(report.allowed(), report.denials.is_empty());
                for w in &report.warnings {
                    kds_webhook_fuzz::assert_no_rust_names(&w.message, data);
                }
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.is_empty());
            kds_webhook_fuzz::assert_no_rust_names(&msg, data);
        }
    }
});
