//! `admission::review` on raw request bodies for `/validate`, with the multi-tenant example
//! policy so that every gate runs: see `check_review`.
#![no_main]

use kds_webhook::admission::{Context, Webhook};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let ctx = Context {
        policy: Some(kds_webhook_fuzz::example_policy()),
        deadline: None,
    };
    kds_webhook_fuzz::check_review(body, Webhook::Validate, &ctx);
});
