//! A fake Kubernetes API server on loopback, for measuring the controller end to end: the
//! real `kds-webhook controller` binary connects to it through a kubeconfig, and the fake
//! records when each KubernetesDaemonSet was created and when its DaemonSet was first applied.
//!
//! It is **not** a test oracle: the controller's behaviour is tested against recorded answers
//! of a real API server (`tests/controller/`). The fake answers in those recorded shapes, but
//! implements only what the controller calls (plain HTTP, no authentication, no
//! managedFields, a simulated DaemonSet controller that makes every pod available at once).
//!
//! ```text
//! cargo run --release --example fake_apiserver -- --addr 127.0.0.1:18080 --objects 1000
//! ```
//! prints a kubeconfig path on stdout, waits until every object is Ready, then prints the
//! watch-event-to-apply latencies and exits (see `benches/controller.py`).

pub mod api;
pub mod http;

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;

/// Fake API server for the controller benchmark.
#[derive(Debug, Parser)]
struct Args {
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:18080")]
    addr: std::net::SocketAddr,
    /// KubernetesDaemonSets to create once the controller has connected.
    #[arg(long, default_value_t = 1000)]
    objects: usize,
    /// Nodes the simulated DaemonSet controller schedules on.
    #[arg(long, default_value_t = 3)]
    nodes: i64,
    /// Where to write the kubeconfig for the controller.
    #[arg(long, default_value = "target/fake-apiserver.kubeconfig")]
    kubeconfig: std::path::PathBuf,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let state = Arc::new(api::State::new(args.nodes));
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    std::fs::write(
        &args.kubeconfig,
        http::kubeconfig(&listener.local_addr()?.to_string()),
    )?;
    println!("kubeconfig {}", args.kubeconfig.display());
    tokio::spawn(http::serve(listener, state.clone()));

    // Wait for the controller: its first LIST of KubernetesDaemonSets creates nothing, but its
    // Lease does (or, without leader election, its watches start); give it a moment.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let start = Instant::now();
    for i in 0..args.objects {
        state.put(
            "/apis/kubernetes.project-planton.org/v1/namespaces/bench/kubernetesdaemonsets",
            http::sample(i),
        );
    }
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    loop {
        api::settle_daemon_sets(&state);
        let ready = http::ready_count(&state);
        if ready >= args.objects || Instant::now() > deadline {
            println!(
                "ready {ready} of {} in {:.2}s",
                args.objects,
                start.elapsed().as_secs_f64()
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut lat = state.latencies();
    lat.sort();
    if !lat.is_empty() {
        let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
        println!(
            "created-to-applied ms: p50 {:.1} p90 {:.1} p99 {:.1} max {:.1} (n={})",
            pct(0.5).as_secs_f64() * 1e3,
            pct(0.9).as_secs_f64() * 1e3,
            pct(0.99).as_secs_f64() * 1e3,
            lat[lat.len() - 1].as_secs_f64() * 1e3,
            lat.len()
        );
    }
    Ok(())
}
