//! `admission::review` on raw request bodies for `/mutate`: see `check_review`.
#![no_main]

use kds_webhook::admission::{Context, Webhook};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    kds_webhook_fuzz::check_review(body, Webhook::Mutate, &Context::default());
});
