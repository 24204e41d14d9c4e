//! `kds-webhook render` (being built).

use std::process::ExitCode;

/// Arguments of `render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {}

/// Runs `render`.
pub fn run(_args: RenderArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("kds-webhook render is not built yet")
}
