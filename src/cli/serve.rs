//! `kds-webhook serve`: flags → [`Config`] → [`server::run_until_signal`] on a tokio runtime.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

use crate::config::{AccessMode, Config};
use crate::server;

/// Arguments of `serve`. Every flag can also be set through `KDS_WEBHOOK_<FLAG>`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Webhook listener and TLS.
    #[command(flatten)]
    pub server: Box<ServerArgs>,
    /// Admin port.
    #[command(flatten)]
    pub admin: AdminArgs,
    /// Limits and timeouts.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Policy file evaluated on /validate; reloaded when it changes.
    #[arg(long, env = "KDS_WEBHOOK_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The writer's own rights.
    #[command(flatten)]
    pub access: AccessArgs,
}

/// The access checks: SubjectAccessReviews for what an object asks the controller to do.
#[derive(Debug, clap::Args)]
pub struct AccessArgs {
    /// Check the writer's own rights with the API server: `auto` (on with a cluster
    /// connection, found as kubectl finds it; inside a pod a missing one is an error), `on`,
    /// or `off`.
    #[arg(long, env = "KDS_WEBHOOK_ACCESS_CHECKS", value_enum, default_value_t = AccessMode::Auto)]
    pub access_checks: AccessMode,
    /// How long an access review's answer is reused for the same user and permission.
    #[arg(long, env = "KDS_WEBHOOK_ACCESS_CACHE_TTL", default_value = "10s", value_parser = duration, value_name = "DURATION")]
    pub access_cache_ttl: Duration,
}

/// The webhook listener and its certificates.
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Webhook (HTTPS) listen address.
    #[arg(long, env = "KDS_WEBHOOK_ADDR", value_name = "ADDR", default_value = crate::config::DEFAULT_ADDR)]
    pub addr: String,
    /// Serving certificate chain (PEM); reloaded when it changes. Needs --tls-key.
    #[arg(long, env = "KDS_WEBHOOK_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// Serving private key (PEM); reloaded when it changes. Needs --tls-cert.
    #[arg(long, env = "KDS_WEBHOOK_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Without --tls-cert/--tls-key: directory for the generated development CA and certificate.
    #[arg(
        long,
        env = "KDS_WEBHOOK_CERT_DIR",
        value_name = "DIR",
        default_value = "certs/"
    )]
    pub cert_dir: PathBuf,
    /// Extra name for the generated serving certificate (repeatable).
    #[arg(
        long = "dns-name",
        env = "KDS_WEBHOOK_DNS_NAME",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub dns_names: Vec<String>,
    /// Require client certificates signed by this CA bundle (PEM): mutual TLS.
    #[arg(long, env = "KDS_WEBHOOK_CLIENT_CA", value_name = "FILE")]
    pub client_ca: Option<PathBuf>,
    /// Offer HTTP/2 (ALPN h2) besides HTTP/1.1.
    #[arg(long, env = "KDS_WEBHOOK_HTTP2")]
    pub http2: bool,
    /// How often the certificate and policy files are checked for changes.
    #[arg(long, env = "KDS_WEBHOOK_RELOAD_INTERVAL", value_name = "DURATION", default_value = "3s", value_parser = duration)]
    pub reload_interval: Duration,
}

/// The admin port.
#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    /// Admin listen address (plain HTTP: /livez, /readyz, /metrics).
    #[arg(long, env = "KDS_WEBHOOK_ADMIN_ADDR", value_name = "ADDR", default_value = crate::config::DEFAULT_ADMIN_ADDR)]
    pub admin_addr: String,
}

/// Limits and timeouts.
#[derive(Debug, clap::Args)]
pub struct LimitArgs {
    /// Largest request body in bytes; larger requests get 413.
    #[arg(long, env = "KDS_WEBHOOK_MAX_BODY_BYTES", value_name = "N", default_value_t = crate::config::DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Largest number of connections served at once.
    #[arg(long, env = "KDS_WEBHOOK_MAX_CONNECTIONS", value_name = "N", default_value_t = crate::config::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Longest drain on SIGTERM/SIGINT (for example 10s).
    #[arg(long, env = "KDS_WEBHOOK_SHUTDOWN_TIMEOUT", value_name = "DURATION", default_value = "10s", value_parser = duration)]
    pub shutdown_timeout: Duration,
    /// Longest time for one request; the API server's ?timeout= lowers it further.
    #[arg(long, env = "KDS_WEBHOOK_REQUEST_TIMEOUT", value_name = "DURATION", default_value = "10s", value_parser = duration)]
    pub request_timeout: Duration,
    /// Longest time for a TLS handshake and for HTTP/1.1 request headers (hyper also closes
    /// HTTP/1.1 connections idle for this long).
    #[arg(long, env = "KDS_WEBHOOK_HEADER_READ_TIMEOUT", value_name = "DURATION", default_value = "10s", value_parser = duration)]
    pub header_read_timeout: Duration,
}

/// The longest timeout or interval accepted: a day. Longer values mean nothing for a webhook
/// the API server gives at most 30 s, and would overflow `Instant` arithmetic.
const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

/// A positive Go-style duration (`10s`, `500ms`, `1m`) of at most a day; the value parser of
/// every duration flag of `serve` and `controller`.
pub(crate) fn duration(s: &str) -> Result<Duration, String> {
    match crate::config::parse_duration(s) {
        Some(d) if !d.is_zero() && d <= MAX_DURATION => Ok(d),
        Some(d) if d > MAX_DURATION => Err(format!("{s:?} is longer than 24h")),
        _ => Err(format!(
            "{s:?} is not a positive duration such as 10s, 500ms or 1m"
        )),
    }
}

/// Runs `serve` until SIGTERM or SIGINT.
pub fn run(args: ServeArgs, log: &crate::telemetry::LogArgs) -> anyhow::Result<ExitCode> {
    // Held until the server has stopped, so that its last lines are written out.
    let _log = crate::telemetry::init(log)?;
    let mut config = Config::try_from(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the tokio runtime")?;
    runtime.block_on(async {
        let in_pod = std::env::var_os("KUBERNETES_SERVICE_HOST").is_some();
        config.access =
            crate::access::connect::connect(config.access_mode, config.access_cache_ttl, in_pod)
                .await?
                .map(std::sync::Arc::new);
        server::run_until_signal(config).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
