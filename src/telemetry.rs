//! Logging setup: one `tracing` subscriber for the whole process, plain or JSON, on stderr.
//!
//! The filter comes from `--log-level` (or `KDS_WEBHOOK_LOG_LEVEL`) in `EnvFilter` syntax. The
//! HTTP and TLS stacks (`hyper`, `h2`, `rustls`) are held at `warn` unless the filter names
//! them, so that `--log-level debug` shows our debug lines, not every frame.
//!
//! Lines are formatted on the thread that logs them but written by a background thread
//! (tracing-appender's non-blocking writer) through a 64 KiB buffer that it flushes whenever
//! its queue runs dry: under load many review lines share one `write`, and a slow or blocked
//! stderr never holds up an admission answer. Should the queue ever hold
//! [`LOG_QUEUE_LINES`] unwritten lines (stderr stuck), further lines are dropped rather than
//! blocking reviews.
//!
//! The lines themselves are formatted by [`PlainLine`] and [`JsonLine`]: the bytes of
//! tracing-subscriber's own plain and JSON formats, written without its detours through
//! `fmt::Debug`, `fmt::Arguments` and colour wrappers, so that the line `serve` writes per
//! review costs little next to the review. Events they do not cover (inside a span, from the
//! `log` crate, coloured for a terminal) are formatted by tracing-subscriber itself.

mod clock;
mod json;
mod plain;
mod scan;

use std::io::{BufWriter, IsTerminal};

use tracing::{Event, Subscriber};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::{FmtContext, FormatFields};
use tracing_subscriber::registry::LookupSpan;

pub use clock::{Clock, SystemClock, write_timestamp};
pub use json::JsonLine;
pub use plain::PlainLine;

/// Bytes of log lines gathered before a `write` when lines come faster than they are written.
const LOG_BUFFER_BYTES: usize = 64 * 1024;

/// Lines queued for the writer thread before new ones are dropped. tracing-appender's default
/// (128,000) preallocates a 4 MB channel that is resident from start-up, a sixth of the
/// server's idle footprint; 8,192 lines are most of a second of reviews at full load, and the
/// writer drains the queue in one `write` per 64 KiB.
pub const LOG_QUEUE_LINES: usize = 8 * 1024;

/// Default filter: our crate at `info`, everything else at `warn`.
pub const DEFAULT_LOG_LEVEL: &str = "kds_webhook=info,warn";

/// Crates muted below `warn` unless the filter names them.
const NOISY: &[&str] = &["hyper", "h2", "rustls", "hyper_util"];

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Plain,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Logging flags shared by every subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct LogArgs {
    /// Log filter, in `tracing` EnvFilter syntax (for example `kds_webhook=debug,warn`).
    #[arg(
        long = "log-level",
        env = "KDS_WEBHOOK_LOG_LEVEL",
        default_value = DEFAULT_LOG_LEVEL,
        global = true
    )]
    pub level: String,
    /// Log line format.
    #[arg(
        long = "log-format",
        env = "KDS_WEBHOOK_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Plain,
        global = true
    )]
    pub format: LogFormat,
}

impl Default for LogArgs {
    fn default() -> Self {
        Self {
            level: DEFAULT_LOG_LEVEL.to_owned(),
            format: LogFormat::Plain,
        }
    }
}

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The filter does not parse.
    #[error("invalid --log-level {0:?}")]
    Filter(String, #[source] tracing_subscriber::filter::ParseError),
}

/// Builds the filter: the user's directives plus `warn` for the noisy stacks they did not name.
pub fn filter(level: &str) -> Result<EnvFilter, TelemetryError> {
    let mut directives = level.trim().to_owned();
    for krate in NOISY {
        if !directives.contains(krate) {
            if !directives.is_empty() {
                directives.push(',');
            }
            directives.push_str(krate);
            directives.push_str("=warn");
        }
    }
    EnvFilter::try_new(&directives).map_err(|e| TelemetryError::Filter(level.to_owned(), e))
}

/// Keeps the background log writer running; dropping it writes out every queued line.
#[must_use = "dropping the guard stops the log writer"]
#[derive(Debug)]
pub struct LogGuard {
    _worker: WorkerGuard,
}

/// Installs the global subscriber, writing through a background thread; keep the returned
/// guard until the process is done logging. A second call (tests) leaves the first subscriber
/// in place.
pub fn init(args: &LogArgs) -> Result<LogGuard, TelemetryError> {
    let filter = filter(&args.level)?;
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .thread_name("kds-webhook-log")
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .finish(BufWriter::with_capacity(
            LOG_BUFFER_BYTES,
            std::io::stderr(),
        ));
    // Colours only on a terminal: redirected to a file or a log collector, escape codes are
    // noise in every line.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(writer);
    // Err only when a subscriber is already installed, which is fine.
    let _ = match args.format {
        LogFormat::Plain => builder.event_format(PlainLine::new()).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .event_format(JsonLine::new())
            .try_init(),
    };
    Ok(LogGuard { _worker: guard })
}

/// Whether an event is one the fast formats write themselves: outside every span (span
/// names and fields come from tracing-subscriber's span storage) and not a `log` record
/// (whose `log.*` fields tracing-subscriber turns into the line's target and location).
fn is_simple<S, N>(ctx: &FmtContext<'_, S, N>, event: &Event<'_>) -> bool
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    event.parent().is_none()
        && ctx.lookup_current().is_none()
        && !event
            .metadata()
            .fields()
            .iter()
            .any(|f| f.name().starts_with("log."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutes_noisy_crates_unless_named() {
        assert!(filter("debug").is_ok());
        assert!(filter("kds_webhook=info,hyper=debug").is_ok());
        assert!(filter("kds_webhook=[").is_err());
    }
}
