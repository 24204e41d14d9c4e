//! `kds-webhook certs`: write (or reuse) a development CA and serving certificate.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::certs;

/// Arguments of `certs`.
#[derive(Debug, clap::Args)]
pub struct CertsArgs {
    /// Name the serving certificate must cover, for example `kds-webhook.kds-system.svc`
    /// (repeatable). `localhost`, `127.0.0.1` and `::1` are always included.
    #[arg(long = "dns-name", env = "KDS_WEBHOOK_DNS_NAME", value_delimiter = ',')]
    pub dns_names: Vec<String>,
    /// Output directory.
    #[arg(long, env = "KDS_WEBHOOK_CERT_DIR", default_value = "certs/")]
    pub out: PathBuf,
    /// Make a new CA and certificate even when the existing ones are current.
    #[arg(long)]
    pub force: bool,
}

/// Runs `certs`: prints the CA bundle (base64, for `caBundle`) on stdout.
pub fn run(args: CertsArgs) -> anyhow::Result<ExitCode> {
    let CertsArgs {
        dns_names,
        out,
        force,
    } = args;
    let names = certs::serving_names(&dns_names);
    let ensured = certs::ensure(&out, &names, force)?;
    eprintln!(
        "{:?}: {} ({} and {}) for {}",
        ensured.action,
        out.display(),
        certs::TLS_CERT,
        certs::TLS_KEY,
        names.join(", ")
    );
    println!("{}", ensured.ca_bundle());
    Ok(ExitCode::SUCCESS)
}
