//! `kds-webhook certs` (being built).

use std::process::ExitCode;

/// Arguments of `certs`.
#[derive(Debug, clap::Args)]
pub struct CertsArgs {}

/// Runs `certs`.
pub fn run(_args: CertsArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("kds-webhook certs is not built yet")
}
