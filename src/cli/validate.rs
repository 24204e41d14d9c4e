//! `kds-webhook validate` (being built).

use std::process::ExitCode;

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {}

/// Runs `validate`.
pub fn run(_args: ValidateArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("kds-webhook validate is not built yet")
}
