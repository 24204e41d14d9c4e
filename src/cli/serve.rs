//! `kds-webhook serve` (being built).

use std::process::ExitCode;

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {}

/// Runs `serve`.
pub fn run(_args: ServeArgs, _log: &crate::telemetry::LogArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("kds-webhook serve is not built yet")
}
