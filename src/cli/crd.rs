//! `kds-webhook crd`: print the CustomResourceDefinition (what the chart's `crds/` ships).

use std::process::ExitCode;

/// Arguments of `crd`.
#[derive(Debug, clap::Args)]
pub struct CrdArgs {}

/// Prints the CRD as YAML.
pub fn run(_args: CrdArgs) -> anyhow::Result<ExitCode> {
    print!("{}", crate::crd::crd_yaml()?);
    Ok(ExitCode::SUCCESS)
}
