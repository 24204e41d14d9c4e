//! The admission path without the network: `admission::review` on the load benchmark's two
//! AdmissionReviews (~3 KB, and ~100 KB with 1,000+ env variables), for /mutate and
//! /validate, next to a baseline in the same run: parsing the same body into a
//! `serde_json::Value`, the least any JSON webhook must do with it.
//!
//!     cargo bench --bench admission
//!
//! The fixtures are written by `python3 benches/load.py --write-fixtures`.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kds_webhook::admission::{self, Context, Webhook};

const BODIES: [(&str, &[u8]); 2] = [
    ("3KB", include_bytes!("fixtures/review-3KB.json")),
    ("100KB", include_bytes!("fixtures/review-100KB.json")),
];

/// mimalloc, as in the `kds-webhook` binary, the floor server and the admission bench: the same
/// allocator everywhere, so the floor ratio compares review work only.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn admission(c: &mut Criterion) {
    for (name, body) in BODIES {
        let mut group = c.benchmark_group(format!("review-{name}"));
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("baseline: parse to Value", |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(body)))
        });
        for (label, webhook) in [("mutate", Webhook::Mutate), ("validate", Webhook::Validate)] {
            group.bench_function(label, |b| {
                b.iter(|| admission::review(black_box(body), webhook, &Context::default()))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, admission);
criterion_main!(benches);
