//! The per-review log line, formatted by tracing-subscriber's own formats and by the ones
//! `serve` installs (`telemetry::PlainLine`, `telemetry::JsonLine`), into a sink, in the
//! same run: the formatting cost of one line, before and after.
//!
//!     cargo bench --bench log_line                    # criterion: ns per line
//!     cargo bench --bench log_line -- FORMAT IMPL N   # plain loop of N lines, for callgrind
//!
//! FORMAT is `plain` or `json`, IMPL `tracing` (tracing-subscriber's format) or `kds`.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::io;

use criterion::Criterion;
use kds_webhook::telemetry::{JsonLine, PlainLine};
use tracing::{Dispatch, info};
use tracing_subscriber::fmt as tfmt;
use tracing_subscriber::layer::SubscriberExt as _;

/// The allocator the `kds-webhook` binary ships with.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What `server::routes::record` logs for one review.
struct Review {
    uid: String,
    kind: String,
    namespace: String,
    name: String,
}

/// The review line exactly as `server::routes::record` writes it, with its target.
#[inline(never)]
fn review_line(r: &Review, duration_us: u64) {
    info!(
        target: "kds_webhook::server::routes",
        webhook = "mutate",
        uid = %r.uid,
        kind = %r.kind,
        namespace = %r.namespace,
        name = %r.name,
        operation = "CREATE",
        dry_run = false,
        verdict = "allowed",
        patch_ops = 7_usize,
        warnings = 0_usize,
        duration_us = duration_us,
        "Admission reviewed"
    );
}

fn review() -> Review {
    Review {
        uid: "705ab4f5-6393-11e8-b7cc-42010a800002".into(),
        kind: "kubernetes.project-planton.org/v1, Kind=KubernetesDaemonSet".into(),
        namespace: "observability".into(),
        name: "log-shipper".into(),
    }
}

/// A subscriber that formats every line with `format`/`imp` and throws it away.
fn dispatch(format: &str, imp: &str) -> Option<Dispatch> {
    let layer = tfmt::layer().with_ansi(false).with_writer(io::sink);
    let registry = tracing_subscriber::registry();
    Some(match (format, imp) {
        ("plain", "tracing") => Dispatch::new(registry.with(layer)),
        ("plain", "kds") => Dispatch::new(registry.with(layer.event_format(PlainLine::new()))),
        ("json", "tracing") => Dispatch::new(registry.with(layer.json().flatten_event(true))),
        ("json", "kds") => Dispatch::new(registry.with(layer.json().event_format(JsonLine::new()))),
        _ => return None,
    })
}

fn log_line(c: &mut Criterion) {
    let r = review();
    for format in ["plain", "json"] {
        let mut group = c.benchmark_group(format!("log-line-{format}"));
        for imp in ["tracing", "kds"] {
            let Some(d) = dispatch(format, imp) else {
                continue;
            };
            tracing::dispatcher::with_default(&d, || {
                group.bench_function(imp, |b| b.iter(|| review_line(black_box(&r), 181)));
            });
        }
        group.finish();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [format, imp, n] = args.as_slice() {
        let (Some(d), Ok(n)) = (dispatch(format, imp), n.parse::<u64>()) else {
            eprintln!("usage: log_line plain|json tracing|kds LINES");
            std::process::exit(2);
        };
        let r = review();
        tracing::dispatcher::with_default(&d, || {
            for i in 0..n {
                review_line(black_box(&r), 100 + i % 900);
            }
        });
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    log_line(&mut c);
    c.final_summary();
}
