//! One JSON document → `manifest::decode`, as the webhook's slow path and `render -f x.json`
//! read it; a decoded object prints as JSON that decodes to the same object.
#![no_main]

use kds_webhook::manifest;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    match manifest::decode(doc) {
        Ok(kds) => {
            kds_webhook_fuzz::check_roundtrip(&kds);
            let text = serde_json::to_string(&manifest::to_value(&kds)).expect("prints");
            let docs = manifest::parse_documents(&text).expect("printed JSON parses");
            assert_eq!(docs.len(), 1);
            let again = manifest::decode(docs.into_iter().next().expect("one"));
            let again = again.expect("printed JSON decodes");
            assert_eq!(manifest::to_value(&again), manifest::to_value(&kds));
        }
        Err(errs) => {
            assert!(!errs.is_empty(), "a refusal names at least one problem");
            for e in errs.iter() {
                kds_webhook_fuzz::assert_no_rust_names(&e.detail, data);
            }
        }
    }
});
