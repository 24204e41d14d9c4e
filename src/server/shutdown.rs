//! Shutdown: the signals that start it and the bounded drain that ends it.
//!
//! On SIGTERM or SIGINT the server stops accepting, `/readyz` turns 503, every connection is
//! told to finish (HTTP/1.1 closes once its in-flight request is answered, idle keep-alive
//! connections close at once, HTTP/2 sends GOAWAY and finishes its open streams), and the
//! process exits when all are done or `--shutdown-timeout` has passed.

use std::time::Duration;

use hyper_util::server::graceful::GracefulShutdown;
use tracing::{info, warn};

/// Resolves on the first SIGTERM or SIGINT.
pub async fn signal() -> std::io::Result<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        Ok(tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        })
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await?;
        Ok("ctrl-c")
    }
}

/// Tells every watched connection to finish and waits for them, at most `timeout`. Returns
/// true when every connection finished in time.
pub async fn drain(graceful: GracefulShutdown, timeout: Duration) -> bool {
    let open = graceful.count();
    info!(
        connections = open,
        timeout_ms = timeout.as_millis() as u64,
        "Draining"
    );
    match tokio::time::timeout(timeout, graceful.shutdown()).await {
        Ok(()) => {
            info!("Drained");
            true
        }
        Err(_) => {
            warn!("Drain deadline passed; dropping the remaining connections");
            false
        }
    }
}
