//! Logging setup: one `tracing` subscriber for the whole process, plain or JSON, on stderr.
//!
//! The filter comes from `--log-level` (or `KDS_WEBHOOK_LOG_LEVEL`) in `EnvFilter` syntax. The
//! HTTP and TLS stacks (`hyper`, `h2`, `rustls`) are held at `warn` unless the filter names
//! them, so that `--log-level debug` shows our debug lines, not every frame.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

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

/// Installs the global subscriber. A second call (tests) leaves the first one in place.
pub fn init(args: &LogArgs) -> Result<(), TelemetryError> {
    let filter = filter(&args.level)?;
    // Colours only on a terminal: redirected to a file or a log collector, escape codes are
    // noise in every line.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    // Err only when a subscriber is already installed, which is fine.
    let _ = match args.format {
        LogFormat::Plain => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    Ok(())
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
