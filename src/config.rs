//! The validated configuration of `kds-webhook serve`.
//!
//! The command line ([`crate::cli::serve::ServeArgs`]) is converted into a [`Config`] with
//! `TryFrom`, which checks everything that can be checked before any socket is opened
//! (addresses parse, certificate and key come together, limits are positive; durations are
//! parsed by clap). Tests build a
//! [`Config`] directly with [`Config::new`] and adjust its public fields.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::serve::{AccessArgs, AdminArgs, LimitArgs, ServeArgs, ServerArgs};

/// Default webhook listen address.
pub const DEFAULT_ADDR: &str = "0.0.0.0:8443";
/// Default admin (health, metrics) listen address.
pub const DEFAULT_ADMIN_ADDR: &str = "0.0.0.0:8080";
/// Default largest request body: the API server's own limit for a request is 3 MiB of object,
/// and an UPDATE review carries two objects plus envelope; 7 MiB leaves room for both.
pub const DEFAULT_MAX_BODY_BYTES: usize = 7 * 1024 * 1024;
/// Default bound on concurrent connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Default drain deadline on shutdown; shorter than a pod's default 30 s grace period.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);
/// Default per-request deadline; the API server's own default `timeoutSeconds` is 10.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Default deadline for a client to send its request headers (HTTP/1.1) or finish the TLS
/// handshake.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default poll period of the certificate and policy files.
pub const DEFAULT_RELOAD_INTERVAL: Duration = Duration::from_secs(3);

/// Why the command line could not become a [`Config`].
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// An address flag does not parse as `host:port`.
    #[error("invalid {flag} address {value:?}: expected IP:PORT")]
    Addr {
        /// The flag.
        flag: &'static str,
        /// What was given.
        value: String,
    },
    /// Only one of `--tls-cert` and `--tls-key` was given.
    #[error("--tls-cert and --tls-key must be given together")]
    HalfKeyPair,
    /// A size or count flag is zero.
    #[error("{flag} must be greater than zero")]
    Zero {
        /// The flag.
        flag: &'static str,
    },
}

/// Where the serving certificate comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsSource {
    /// PEM files given by the operator (for example a mounted Secret); reloaded on change.
    Files {
        /// Certificate chain, leaf first.
        cert: PathBuf,
        /// Private key (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
    /// A development CA and serving certificate, created under `dir` when missing or stale.
    Generated {
        /// Directory holding `ca.crt`, `ca.key`, `tls.crt`, `tls.key`.
        dir: PathBuf,
        /// Names the serving certificate must cover, besides `localhost`, `127.0.0.1`, `::1`.
        dns_names: Vec<String>,
    },
}

/// Everything `serve` needs, validated.
#[derive(Clone, Debug)]
pub struct Config {
    /// Webhook (HTTPS) listen address.
    pub addr: SocketAddr,
    /// Admin (plain HTTP: `/livez`, `/readyz`, `/metrics`) listen address.
    pub admin_addr: SocketAddr,
    /// Serving certificate source.
    pub tls: TlsSource,
    /// When set, clients must present a certificate signed by one of these CAs (mTLS).
    pub client_ca: Option<PathBuf>,
    /// Offer HTTP/2 through ALPN (otherwise only HTTP/1.1).
    pub http2: bool,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Largest number of connections served at once; further clients wait in the backlog.
    pub max_connections: usize,
    /// How long the drain may take on shutdown before connections are dropped.
    pub shutdown_timeout: Duration,
    /// Upper bound on one request (body read and review), also capped by `?timeout=`.
    pub request_timeout: Duration,
    /// Deadline for the TLS handshake and for HTTP/1.1 request headers.
    pub header_read_timeout: Duration,
    /// Poll period of the certificate and policy files.
    pub reload_interval: Duration,
    /// Optional policy file, evaluated on `/validate` and reloaded on change.
    pub policy: Option<PathBuf>,
    /// What answers a review body: [`crate::admission::review`] (the benchmark's floor server
    /// swaps in a fixed answer to measure the transport alone).
    pub reviewer: crate::admission::Reviewer,
    /// Whether the writer's own rights are checked (`--access-checks`); the connection is
    /// made by `serve` at start-up, which then fills [`Config::access`].
    pub access_mode: AccessMode,
    /// How long access review answers are kept (`--access-cache-ttl`).
    pub access_cache_ttl: Duration,
    /// The access checker; `None`: checks off.
    pub access: Option<std::sync::Arc<crate::access::AccessChecker>>,
}

/// `--access-checks`: whether `/validate` asks the API server about the writer's rights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum AccessMode {
    /// On when `serve` finds a cluster connection as kubectl does (in-cluster, else
    /// `KUBECONFIG` / `~/.kube/config`), off without one; inside a pod
    /// (`KUBERNETES_SERVICE_HOST` set) a missing or unusable connection is an error.
    #[default]
    Auto,
    /// Always on: no usable connection is a start-up error.
    On,
    /// Off: objects are judged without asking about their writer.
    Off,
}

// === impl Config ===

impl Config {
    /// A configuration with every default and the given certificate source; tests use this
    /// and then set the fields they care about (typically the addresses to `127.0.0.1:0`).
    /// Access checks are off (no cluster is looked for); a test sets [`Config::access`].
    pub fn new(tls: TlsSource) -> Self {
        Self {
            addr: SocketAddr::from(([0, 0, 0, 0], 8443)),
            admin_addr: SocketAddr::from(([0, 0, 0, 0], 8080)),
            tls,
            client_ca: None,
            http2: false,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            reload_interval: DEFAULT_RELOAD_INTERVAL,
            policy: None,
            reviewer: crate::admission::review,
            access_mode: AccessMode::Off,
            access_cache_ttl: crate::access::review::DEFAULT_CACHE_TTL,
            access: None,
        }
    }
}

impl TryFrom<ServeArgs> for Config {
    type Error = ConfigError;

    fn try_from(args: ServeArgs) -> Result<Self, Self::Error> {
        let ServeArgs {
            server,
            admin: AdminArgs { admin_addr },
            limits:
                LimitArgs {
                    max_body_bytes,
                    max_connections,
                    shutdown_timeout,
                    request_timeout,
                    header_read_timeout,
                },
            policy,
            access:
                AccessArgs {
                    access_checks,
                    access_cache_ttl,
                },
        } = args;
        let ServerArgs {
            addr,
            tls_cert,
            tls_key,
            cert_dir,
            dns_names,
            client_ca,
            http2,
            reload_interval,
        } = *server;
        let tls = match (tls_cert, tls_key) {
            (Some(cert), Some(key)) => TlsSource::Files { cert, key },
            (None, None) => TlsSource::Generated {
                dir: cert_dir,
                dns_names,
            },
            _ => return Err(ConfigError::HalfKeyPair),
        };
        if max_body_bytes == 0 {
            return Err(ConfigError::Zero {
                flag: "--max-body-bytes",
            });
        }
        if max_connections == 0 {
            return Err(ConfigError::Zero {
                flag: "--max-connections",
            });
        }
        Ok(Self {
            addr: parse_addr("--addr", &addr)?,
            admin_addr: parse_addr("--admin-addr", &admin_addr)?,
            tls,
            client_ca,
            http2,
            max_body_bytes,
            max_connections,
            shutdown_timeout,
            request_timeout,
            header_read_timeout,
            reload_interval,
            policy,
            reviewer: crate::admission::review,
            access_mode: access_checks,
            access_cache_ttl,
            access: None,
        })
    }
}

fn parse_addr(flag: &'static str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.parse().map_err(|_| ConfigError::Addr {
        flag,
        value: value.to_owned(),
    })
}

/// Parses a Go-style duration (`10s`, `1m30s`, `500ms`, `1.5s`) or a bare number of seconds.
///
/// The API server appends `?timeout=<Go duration>` to every webhook call; flags take the same
/// syntax so that operators write durations one way.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += n * scale;
    }
    Duration::try_from_secs_f64(total).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    fn serve_args(args: &[&str]) -> ServeArgs {
        let cli =
            crate::cli::Cli::try_parse_from(["kds-webhook", "serve"].iter().chain(args).copied())
                .expect("parses");
        match cli.command {
            crate::cli::Command::Serve(a) => a.args,
            _ => panic!("not serve"),
        }
    }

    #[test]
    fn defaults_match_the_documented_ones() {
        let c = Config::try_from(serve_args(&[])).expect("valid");
        assert_eq!(c.addr.to_string(), DEFAULT_ADDR);
        assert_eq!(c.admin_addr.to_string(), DEFAULT_ADMIN_ADDR);
        assert_eq!(c.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        assert_eq!(c.shutdown_timeout, DEFAULT_SHUTDOWN_TIMEOUT);
        assert!(!c.http2);
        assert!(matches!(c.tls, TlsSource::Generated { .. }));
        assert_eq!(c.access_mode, AccessMode::Auto);
        assert_eq!(c.access_cache_ttl, Duration::from_secs(10));
        assert!(
            c.access.is_none(),
            "connected by serve, not by the conversion"
        );
    }

    #[test]
    fn access_checks_take_auto_on_off() {
        let c = Config::try_from(serve_args(&[
            "--access-checks",
            "off",
            "--access-cache-ttl",
            "2s",
        ]))
        .expect("valid");
        assert_eq!(c.access_mode, AccessMode::Off);
        assert_eq!(c.access_cache_ttl, Duration::from_secs(2));
        assert!(
            crate::cli::Cli::try_parse_from(["kds-webhook", "serve", "--access-checks", "maybe"])
                .is_err()
        );
    }

    #[test]
    fn cert_and_key_come_together() {
        let err = Config::try_from(serve_args(&["--tls-cert", "a.crt"])).expect_err("half");
        assert!(matches!(err, ConfigError::HalfKeyPair));
        let c = Config::try_from(serve_args(&[
            "--tls-cert",
            "a.crt",
            "--tls-key",
            "a.key",
            "--http2",
            "--dns-name",
            "a,b",
            "--shutdown-timeout",
            "2s",
        ]))
        .expect("valid");
        assert!(matches!(c.tls, TlsSource::Files { .. }));
        assert!(c.http2);
        assert_eq!(c.shutdown_timeout, Duration::from_secs(2));
    }

    #[test]
    fn refuses_bad_addresses_and_zero_limits() {
        assert!(Config::try_from(serve_args(&["--addr", "nowhere"])).is_err());
        assert!(Config::try_from(serve_args(&["--max-connections", "0"])).is_err());
        assert!(
            crate::cli::Cli::try_parse_from(["kds-webhook", "serve", "--request-timeout", "0s"])
                .is_err()
        );
    }

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse_duration("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_duration("s"), None);
        assert_eq!(parse_duration("10x"), None);
        assert_eq!(parse_duration(""), None);
    }
}
