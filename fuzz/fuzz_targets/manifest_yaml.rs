//! Manifest text (YAML, or JSON when it starts with `{`/`[`) → documents → typed objects.
//! Every object that decodes prints back to YAML that reads as the same object, and its
//! decode errors never name Rust types.
#![no_main]

use kds_webhook::{manifest, yaml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A parse error quotes the input's lines, so only decode errors are checked for names.
    let Ok(docs) = manifest::load(text) else {
        return;
    };
    for doc in docs {
        match doc.decoded {
            Ok(kds) => {
                kds_webhook_fuzz::check_roundtrip(&kds);
                let printed = yaml::to_yaml(&manifest::to_value(&kds)).expect("prints as YAML");
                let again = manifest::load(&printed).expect("printed YAML parses");
                assert_eq!(again.len(), 1, "one object prints as one document");
                let again = again.into_iter().next().map(|d| d.decoded);
                let again = again.expect("one").expect("printed YAML decodes");
                assert_eq!(manifest::to_value(&again), manifest::to_value(&kds));
            }
            Err(errs) => {
                for e in errs.iter() {
                    kds_webhook_fuzz::assert_no_rust_names(&e.detail, data);
                }
            }
        }
    }
});
