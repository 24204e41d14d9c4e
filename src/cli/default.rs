//! `kds-webhook default` (being built).

use std::process::ExitCode;

/// Arguments of `default`.
#[derive(Debug, clap::Args)]
pub struct DefaultArgs {}

/// Runs `default`.
pub fn run(_args: DefaultArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("kds-webhook default is not built yet")
}
