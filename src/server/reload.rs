//! Polling reload of files (certificate and key, policy): every interval the files' bytes are
//! read and compared with the last bytes seen; on a change the new content is parsed and, if
//! it is good, published through a `tokio::sync::watch` channel. A bad change is logged at
//! `error` and the last good value stays published.
//!
//! Content comparison, not inotify or mtime: a Kubernetes Secret volume swaps a `..data`
//! symlink, which neither the files' own inotify watches nor their mtimes reliably show.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

/// Reads every file; `None` when one cannot be read (mid-rotation, for example).
pub async fn read_all(paths: &[PathBuf]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::with_capacity(paths.len());
    for p in paths {
        out.push(tokio::fs::read(p).await.ok()?);
    }
    Some(out)
}

/// What a watcher does with new content.
pub struct Reloader<T, F> {
    /// What is being reloaded, for log lines (`certificate`, `policy`).
    pub what: &'static str,
    /// The files, read together.
    pub paths: Vec<PathBuf>,
    /// The poll period.
    pub interval: Duration,
    /// Parses the files' contents (in `paths` order).
    pub parse: F,
    /// Called after each successful reload (metrics).
    pub on_success: Box<dyn Fn(&T) + Send + Sync>,
    /// Called after each refused reload (metrics).
    pub on_failure: Box<dyn Fn() + Send + Sync>,
}

impl<T, F> Reloader<T, F>
where
    T: Send + Sync + 'static,
    F: Fn(&[Vec<u8>]) -> Result<T, String> + Send + Sync + 'static,
{
    /// Polls until `stop`, publishing good new values on `tx`. `seen` is the content the
    /// current value was built from.
    pub async fn run(self, mut seen: Vec<Vec<u8>>, tx: watch::Sender<T>, stop: CancellationToken) {
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            let Some(current) = read_all(&self.paths).await else {
                continue;
            };
            if current == seen {
                continue;
            }
            match (self.parse)(&current) {
                Ok(value) => {
                    info!(what = self.what, "Reloaded");
                    (self.on_success)(&value);
                    tx.send_replace(value);
                }
                Err(e) => {
                    error!(what = self.what, error = %e, "Reload refused; keeping the last good one");
                    (self.on_failure)();
                }
            }
            // A bad content is reported once, not on every tick, until it changes again.
            seen = current;
        }
    }
}
