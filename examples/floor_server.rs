//! The benchmark's floor: kds-webhook's own server (TLS, HTTP/1.1 and HTTP/2, limits, body
//! collection, metrics, the per-review log line) answering every request with one fixed
//! allowed AdmissionReview instead of reviewing it.
//!
//! `benches/load.py` runs it next to `kds-webhook serve` so that the ratio of the two is the
//! cost of the review path itself. Same flags as `serve` for addresses, certificates and
//! HTTP/2:
//!
//! ```text
//! cargo run --release --example floor_server -- --addr 127.0.0.1:9443 \
//!     --admin-addr 127.0.0.1:9080 --tls-cert certs/tls.crt --tls-key certs/tls.key [--http2]
//! ```

use std::process::ExitCode;

use bytes::Bytes;
use clap::Parser;
use http::StatusCode;
use kds_webhook::admission::{Context, Reply, Summary, Verdict, Webhook};
use kds_webhook::config::{Config, TlsSource};

/// The answer to every request: an allowed review (the uid is the benchmark's, which sends
/// one body over and over).
const FIXED_REPLY: &[u8] = br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","allowed":true}}"#;

/// Floor server for the load benchmark.
#[derive(Debug, Parser)]
struct Args {
    /// Webhook (HTTPS) listen address.
    #[arg(long, default_value = "127.0.0.1:9443")]
    addr: std::net::SocketAddr,
    /// Admin (plain HTTP) listen address.
    #[arg(long, default_value = "127.0.0.1:9080")]
    admin_addr: std::net::SocketAddr,
    /// Serving certificate (PEM).
    #[arg(long)]
    tls_cert: std::path::PathBuf,
    /// Serving key (PEM).
    #[arg(long)]
    tls_key: std::path::PathBuf,
    /// Offer HTTP/2.
    #[arg(long)]
    http2: bool,
}

/// Answers without looking at the body, but with the same summary a real review produces,
/// so metrics and logging cost the same as in `serve`.
fn fixed(_body: &[u8], _webhook: Webhook, _ctx: &Context<'_>) -> Reply {
    Reply {
        status: StatusCode::OK,
        body: Bytes::from_static(FIXED_REPLY),
        access: None,
        summary: Some(Summary {
            uid: "705ab4f5-6393-11e8-b7cc-42010a800002".to_owned(),
            kind: "kubernetes.project-planton.org/v1, Kind=KubernetesDaemonSet".to_owned(),
            namespace: "logging".to_owned(),
            name: "fluentd-logger".to_owned(),
            operation: "CREATE",
            dry_run: false,
            verdict: Verdict::Allowed,
            patch_ops: 0,
            warnings: 0,
            decisions: Vec::new(),
        }),
    }
}

/// mimalloc, as in the `kds-webhook` binary, the floor server and the admission bench: the same
/// allocator everywhere, so the floor ratio compares review work only.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // The allocator's settings before the runtime starts its threads, as in the binary.
    kds_webhook::allocator::configure();
    match tokio::runtime::Runtime::new() {
        Ok(rt) => rt.block_on(serve()),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args = Args::parse();
    let mut config = Config::new(TlsSource::Files {
        cert: args.tls_cert,
        key: args.tls_key,
    });
    config.addr = args.addr;
    config.admin_addr = args.admin_addr;
    config.http2 = args.http2;
    config.reviewer = fixed;
    if let Err(e) = kds_webhook::telemetry::init(&kds_webhook::telemetry::LogArgs::default()) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    match kds_webhook::server::run_until_signal(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
