//! A plain driver for instruction counts: `admission::review` on one of the load benchmark's
//! bodies, a given number of times, with nothing else in the loop. Under valgrind's callgrind
//! the difference between two iteration counts is the cost of one review in instructions,
//! which (unlike time) does not move with the machine's load:
//!
//!     python3 benches/callgrind.py            # runs this under callgrind, prints the table
//!     cargo bench --bench instructions        # without valgrind: ns per review, a smoke run
//!
//! Arguments (when run by hand): `BODY WEBHOOK ITERATIONS`, with BODY `3KB` or `100KB` and
//! WEBHOOK `mutate` or `validate`.

use std::hint::black_box;
use std::time::Instant;

use kds_webhook::admission::{self, Context, Webhook};

/// The allocator the `kds-webhook` binary ships with, so the counts include its work.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BODIES: [(&str, &[u8]); 2] = [
    ("3KB", include_bytes!("fixtures/review-3KB.json")),
    ("100KB", include_bytes!("fixtures/review-100KB.json")),
];

fn body(name: &str) -> Option<&'static [u8]> {
    BODIES.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

fn webhook(name: &str) -> Option<Webhook> {
    match name {
        "mutate" => Some(Webhook::Mutate),
        "validate" => Some(Webhook::Validate),
        _ => None,
    }
}

/// Runs `n` reviews; panics when one is not a 200 answer, so a count never measures an error.
fn run(body: &[u8], webhook: Webhook, n: u64) {
    for _ in 0..n {
        let reply = admission::review(black_box(body), webhook, &Context::default());
        assert_eq!(reply.status, http::StatusCode::OK, "review failed");
        black_box(reply);
    }
}

fn main() {
    kds_webhook::allocator::configure();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [b, w, n] => {
            let (Some(b), Some(w), Ok(n)) = (body(b), webhook(w), n.parse()) else {
                eprintln!("usage: instructions 3KB|100KB mutate|validate ITERATIONS");
                std::process::exit(2);
            };
            run(b, w, n);
        }
        // `cargo bench` passes `--bench`: time every case briefly.
        _ => {
            for (name, b) in BODIES {
                for w in [Webhook::Mutate, Webhook::Validate] {
                    let n = if b.len() > 10_000 { 200 } else { 5_000 };
                    run(b, w, 10);
                    let t = Instant::now();
                    run(b, w, n);
                    let ns = t.elapsed().as_nanos() / u128::from(n);
                    println!("{name} {}: {ns} ns/review", w.as_str());
                }
            }
        }
    }
}
