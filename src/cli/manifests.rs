//! `kds-webhook manifests` (being built).

use std::process::ExitCode;

/// Arguments of `manifests`.
#[derive(Debug, clap::Args)]
pub struct ManifestsArgs {}

/// Runs `manifests`.
pub fn run(_args: ManifestsArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("kds-webhook manifests is not built yet")
}
