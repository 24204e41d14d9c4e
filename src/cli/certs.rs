//! `kds-webhook certs`: write (or reuse) a development CA and serving certificate.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::certs;

/// Arguments of `certs`.
#[derive(Debug, clap::Args)]
pub struct CertsArgs {
    /// Name the serving certificate must cover, for example `kds-webhook.kds-system.svc`
    /// (repeatable, or comma-separated): a DNS name, `*.` and a DNS name, or an IP address.
    /// `localhost`, `127.0.0.1` and `::1` are always included.
    #[arg(long = "dns-name", value_name = "NAME", value_delimiter = ',')]
    pub dns_names: Vec<String>,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "certs/")]
    pub out: PathBuf,
    /// Make a new CA and certificate even when the existing ones are current.
    #[arg(long)]
    pub force: bool,
}

/// Runs `certs`: says what it wrote on standard error and prints the CA bundle (base64, for
/// a webhook configuration's `caBundle`) on standard output.
pub fn run(args: CertsArgs) -> anyhow::Result<ExitCode> {
    let CertsArgs {
        dns_names,
        out,
        force,
    } = args;
    let names = certs::serving_names(&dns_names);
    let ensured = certs::ensure(&out, &names, force)?;
    eprintln!(
        "{}; the serving certificate covers {}",
        ensured.action.describe(&out),
        names.join(", ")
    );
    println!("{}", ensured.ca_bundle());
    Ok(ExitCode::SUCCESS)
}
