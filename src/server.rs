//! The HTTPS server: TLS, HTTP/1.1 and HTTP/2, the admin port, reloads and graceful shutdown.
//! It never looks inside a review: the bytes go to [`crate::admission::review`].
//!
//! Request flow:
//!
//! ```text
//! [`start`]: certificates (files, or generated under --cert-dir) → rustls config (fail fast)
//!            → policy (fail fast) → bind admin + webhook listeners → /readyz 200
//! accept loop: connection permit (--max-connections) → accept → TCP_NODELAY
//!   → task: TLS handshake with the *latest* published config (bounded by the header timeout)
//!   → ALPN h2 ? HTTP/2 connection : HTTP/1.1 connection (keep-alive), watched for shutdown
//!   → per request: routes::handle → admission::review → metrics + one log line
//! reload tasks: poll cert+key (and policy) bytes → parse → publish via watch, or keep the old
//! shutdown (token cancelled, e.g. by SIGTERM): stop accepting → /readyz 503 → drain (answer
//!   in-flight requests, close idle connections) bounded by --shutdown-timeout → admin stops
//! ```

pub mod admin;
pub mod reload;
pub mod routes;
pub mod shutdown;
pub mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info};

use crate::certs;
use crate::config::{Config, TlsSource};
use crate::metrics::Metrics;
use crate::policy::{Policy, PolicyError};
use admin::Readiness;
use reload::Reloader;
use routes::Shared;

/// HTTP/2 limits: enough concurrency for an API server multiplexing every webhook call on one
/// connection, small enough that one client cannot pin the process.
const H2_MAX_CONCURRENT_STREAMS: u32 = 250;
const H2_MAX_HEADER_LIST_SIZE: u32 = 64 * 1024;
const H2_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
const H2_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(10);
/// Rapid-reset (CVE-2023-44487) protection: streams a client may reset before they are
/// accepted, and errors the server may reset, before the connection is closed.
const H2_MAX_PENDING_RESETS: usize = 20;
const H2_MAX_LOCAL_ERROR_RESETS: usize = 1024;

/// Largest read buffer of an HTTP/1.1 connection (hyper's default is ~400 KiB). hyper grows a
/// connection's buffer while reads fill it and keeps it for the connection's life, so with
/// large reviews every kept-alive connection held one of 128 KiB or more between requests (a
/// heap profile at 64 connections: 3.6 MiB of read buffers at this cap). Bodies are copied
/// out frame by frame (`routes::read_body`), so a smaller buffer only means more reads; at
/// 16 KiB (one TLS record) those cost 12% more CPU per 100 KB review for no lower peak. It
/// also bounds a request's head; an API server's calls carry a few hundred bytes.
const H1_MAX_BUF_SIZE: usize = 64 * 1024;

/// Why the server could not start (or stopped).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The key file holds no private key.
    #[error("failed to find a private key in the key file")]
    NoTlsKey,
    /// A certificate or key file could not be read.
    #[error("failed to read {0}")]
    ReadCerts(PathBuf, #[source] std::io::Error),
    /// A PEM block does not parse.
    #[error("failed to parse PEM: {0}")]
    Pem(String),
    /// rustls refused the certificate and key (for example, they do not match).
    #[error("failed to use the certificate and key")]
    InvalidCredentials(#[source] rustls::Error),
    /// The client CA bundle is unusable.
    #[error("failed to use the client CA bundle: {0}")]
    ClientCa(String),
    /// The development certificates could not be made.
    #[error("failed to prepare development certificates")]
    Certs(#[source] certs::Error),
    /// The policy file is unusable.
    #[error("failed to load the policy")]
    Policy(#[source] PolicyError),
    /// A listener could not be bound.
    #[error("failed to bind {0}")]
    Bind(SocketAddr, #[source] std::io::Error),
    /// Signal handlers could not be installed.
    #[error("failed to listen for shutdown signals")]
    Signal(#[source] std::io::Error),
}

/// A started server: its bound addresses, its metrics, and the way to stop it.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    admin_addr: SocketAddr,
    shutdown: CancellationToken,
    metrics: Arc<Metrics>,
    task: JoinHandle<()>,
}

impl Running {
    /// The webhook (HTTPS) address actually bound (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The admin (HTTP) address actually bound.
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin_addr
    }

    /// The server's metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// A token that starts the graceful shutdown when cancelled (what SIGTERM does).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Starts the graceful shutdown.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// Waits until the shutdown has finished (drained, or the drain deadline passed).
    pub async fn wait(self) {
        if let Err(e) = self.task.await {
            error!(error = %e, "Server task failed");
        }
    }
}

/// Starts the server from a configuration; returns once both listeners are bound.
pub async fn start(config: Config) -> Result<Running, Error> {
    let metrics = Arc::new(Metrics::new());
    let (cert_path, key_path) = certificate_paths(&config)?;
    let settings = tls::Settings {
        client_roots: match &config.client_ca {
            Some(p) => Some(tls::client_roots(&read(p)?)?),
            None => None,
        },
        http2: config.http2,
    };
    let (cert_pem, key_pem) = (read(&cert_path)?, read(&key_path)?);
    let tls_config = tls::server_config(&cert_pem, &key_pem, &settings)?;
    record_expiry(&metrics, &cert_pem);
    // One read: the bytes the reloader compares against are exactly the ones parsed, so an
    // edit between two reads can never leave an old policy in force unnoticed.
    let policy_bytes = match &config.policy {
        Some(p) => std::fs::read(p).map_err(|source| {
            Error::Policy(PolicyError::Read {
                path: p.display().to_string(),
                source,
            })
        })?,
        None => Vec::new(),
    };
    let policy = match &config.policy {
        Some(_) => Some(Arc::new(
            Policy::from_yaml(&String::from_utf8_lossy(&policy_bytes)).map_err(Error::Policy)?,
        )),
        None => None,
    };

    let admin_listener = bind(config.admin_addr).await?;
    let listener = bind(config.addr).await?;
    let addr = local_addr(&listener, config.addr)?;
    let admin_addr = local_addr(&admin_listener, config.admin_addr)?;

    let shutdown = CancellationToken::new();
    let stop_tasks = CancellationToken::new();
    let (tls_tx, tls_rx) = watch::channel(tls_config);
    let (policy_tx, policy_rx) = watch::channel(policy);
    spawn_tls_reloader(
        &config,
        [cert_path, key_path],
        [cert_pem, key_pem],
        settings,
        &metrics,
        tls_tx,
        &stop_tasks,
    );
    if let Some(path) = &config.policy {
        spawn_policy_reloader(
            &config,
            path.clone(),
            policy_bytes,
            &metrics,
            policy_tx,
            &stop_tasks,
        );
    }

    let readiness = Arc::new(Readiness::default());
    let admin_stop = CancellationToken::new();
    let admin = tokio::spawn(admin::serve(
        admin_listener,
        metrics.clone(),
        readiness.clone(),
        admin_stop.clone(),
    ));
    let shared = Arc::new(Shared {
        metrics: metrics.clone(),
        policy: policy_rx,
        max_body_bytes: config.max_body_bytes,
        request_timeout: config.request_timeout,
        reviewer: config.reviewer,
        access: config.access.clone(),
    });
    let acceptor = Acceptor::new(&config, shared, tls_rx);
    readiness.set_ready();
    info!(%addr, %admin_addr, http2 = config.http2, mtls = config.client_ca.is_some(), "Serving");

    let token = shutdown.clone();
    let shutdown_timeout = config.shutdown_timeout;
    let task = tokio::spawn(async move {
        let graceful = GracefulShutdown::new();
        let hard_stop = CancellationToken::new();
        acceptor.run(listener, &graceful, &token, &hard_stop).await;
        readiness.set_draining();
        stop_tasks.cancel();
        if !shutdown::drain(graceful, shutdown_timeout).await {
            hard_stop.cancel();
        }
        admin_stop.cancel();
        let _ = admin.await;
        info!("Stopped");
    });
    Ok(Running {
        addr,
        admin_addr,
        shutdown,
        metrics,
        task,
    })
}

/// Starts the server and runs it until SIGTERM or SIGINT, then drains.
pub async fn run_until_signal(config: Config) -> Result<(), Error> {
    let running = start(config).await?;
    let token = running.shutdown_token();
    tokio::select! {
        sig = shutdown::signal() => {
            let sig = sig.map_err(Error::Signal)?;
            info!(signal = sig, "Shutting down");
            token.cancel();
        }
        () = token.cancelled() => {}
    }
    running.wait().await;
    Ok(())
}

/// The certificate and key files: given, or the generated development pair.
fn certificate_paths(config: &Config) -> Result<(PathBuf, PathBuf), Error> {
    match &config.tls {
        TlsSource::Files { cert, key } => Ok((cert.clone(), key.clone())),
        TlsSource::Generated { dir, dns_names } => {
            let names = certs::serving_names(dns_names);
            let ensured = certs::ensure(dir, &names, false).map_err(Error::Certs)?;
            info!(
                action = %ensured.action.describe(dir),
                names = %names.join(","),
                ca_bundle = %ensured.ca_bundle(),
                "Development certificate ready; use ca_bundle as the webhook caBundle"
            );
            Ok((ensured.cert_path, ensured.key_path))
        }
    }
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::ReadCerts(path.to_owned(), e))
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, Error> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| Error::Bind(addr, e))
}

fn local_addr(l: &TcpListener, asked: SocketAddr) -> Result<SocketAddr, Error> {
    l.local_addr().map_err(|e| Error::Bind(asked, e))
}

fn record_expiry(metrics: &Metrics, cert_pem: &[u8]) {
    match certs::inspect(cert_pem) {
        Ok(info) => {
            metrics.tls_cert_expiry.set(info.not_after);
        }
        Err(e) => debug!(error = %e, "Could not read the certificate's expiry"),
    }
}

fn spawn_tls_reloader(
    config: &Config,
    paths: [PathBuf; 2],
    seen: [Vec<u8>; 2],
    settings: tls::Settings,
    metrics: &Arc<Metrics>,
    tx: watch::Sender<Arc<ServerConfig>>,
    stop: &CancellationToken,
) {
    let (expiry_metrics, reload_metrics) = (metrics.clone(), metrics.clone());
    let reloader = Reloader {
        what: "certificate",
        paths: paths.to_vec(),
        interval: config.reload_interval,
        parse: move |files: &[Vec<u8>]| {
            let config =
                tls::server_config(&files[0], &files[1], &settings).map_err(|e| error_chain(&e))?;
            record_expiry(&expiry_metrics, &files[0]);
            Ok(config)
        },
        on_success: Box::new(move |_| metrics_inc(&reload_metrics, true)),
        on_failure: Box::new({
            let m = metrics.clone();
            move || metrics_inc(&m, false)
        }),
    };
    tokio::spawn(reloader.run(seen.to_vec(), tx, stop.clone()));
}

fn metrics_inc(m: &Metrics, ok: bool) {
    if ok {
        m.tls_reloads.inc();
    } else {
        m.tls_reload_failures.inc();
    }
}

fn spawn_policy_reloader(
    config: &Config,
    path: PathBuf,
    seen: Vec<u8>,
    metrics: &Arc<Metrics>,
    tx: watch::Sender<Option<Arc<Policy>>>,
    stop: &CancellationToken,
) {
    let (ok, bad) = (metrics.clone(), metrics.clone());
    let reloader = Reloader {
        what: "policy",
        paths: vec![path],
        interval: config.reload_interval,
        parse: |files: &[Vec<u8>]| {
            let text = std::str::from_utf8(&files[0]).map_err(|e| e.to_string())?;
            Policy::from_yaml(text)
                .map(|p| Some(Arc::new(p)))
                .map_err(|e| error_chain(&e))
        },
        on_success: Box::new(move |_| {
            ok.policy_reloads.inc();
        }),
        on_failure: Box::new(move || {
            bad.policy_reload_failures.inc();
        }),
    };
    tokio::spawn(reloader.run(vec![seen], tx, stop.clone()));
}

/// An error and its sources, `: `-joined, for one log field.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(cause) = src {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        src = cause.source();
    }
    s
}

// === Acceptor ===

/// Everything a connection task needs.
struct Acceptor {
    shared: Arc<Shared>,
    tls: watch::Receiver<Arc<ServerConfig>>,
    h1: Arc<auto::Builder<TokioExecutor>>,
    h2: Arc<auto::Builder<TokioExecutor>>,
    permits: Arc<Semaphore>,
    handshake_timeout: Duration,
}

impl Acceptor {
    fn new(config: &Config, shared: Arc<Shared>, tls: watch::Receiver<Arc<ServerConfig>>) -> Self {
        let mut base = auto::Builder::new(TokioExecutor::new());
        base.http1()
            .timer(TokioTimer::new())
            .keep_alive(true)
            .max_buf_size(H1_MAX_BUF_SIZE)
            .header_read_timeout(config.header_read_timeout);
        base.http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(H2_MAX_CONCURRENT_STREAMS)
            .max_header_list_size(H2_MAX_HEADER_LIST_SIZE)
            .keep_alive_interval(H2_KEEPALIVE_INTERVAL)
            .keep_alive_timeout(H2_KEEPALIVE_TIMEOUT)
            .max_pending_accept_reset_streams(H2_MAX_PENDING_RESETS)
            .max_local_error_reset_streams(H2_MAX_LOCAL_ERROR_RESETS);
        Self {
            shared,
            tls,
            h1: Arc::new(base.clone().http1_only()),
            h2: Arc::new(base.http2_only()),
            permits: Arc::new(Semaphore::new(config.max_connections)),
            handshake_timeout: config.header_read_timeout,
        }
    }

    /// Accepts until `token` is cancelled.
    async fn run(
        &self,
        listener: TcpListener,
        graceful: &GracefulShutdown,
        token: &CancellationToken,
        hard_stop: &CancellationToken,
    ) {
        loop {
            let permit = tokio::select! {
                () = token.cancelled() => return,
                p = self.permits.clone().acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => return,
                },
            };
            let (stream, peer) = tokio::select! {
                () = token.cancelled() => return,
                r = listener.accept() => match r {
                    Ok(s) => s,
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        error!(error = %e, "Accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            if let Err(e) = stream.set_nodelay(true) {
                debug!(error = %e, "Could not set TCP_NODELAY");
            }
            let conn = Conn {
                tls: self.tls.borrow().clone(),
                h1: self.h1.clone(),
                h2: self.h2.clone(),
                shared: self.shared.clone(),
                handshake_timeout: self.handshake_timeout,
            };
            let watcher = graceful.watcher();
            let hard_stop = hard_stop.clone();
            tokio::spawn(async move {
                tokio::select! {
                    () = conn.serve(stream, peer, watcher, permit) => {}
                    () = hard_stop.cancelled() => {}
                }
            });
        }
    }
}

/// One accepted connection.
struct Conn {
    tls: Arc<ServerConfig>,
    h1: Arc<auto::Builder<TokioExecutor>>,
    h2: Arc<auto::Builder<TokioExecutor>>,
    shared: Arc<Shared>,
    handshake_timeout: Duration,
}

impl Conn {
    async fn serve(
        self,
        stream: TcpStream,
        peer: SocketAddr,
        watcher: Watcher,
        _permit: OwnedSemaphorePermit,
    ) {
        let acceptor = tokio_rustls::TlsAcceptor::from(self.tls);
        let tls = match tokio::time::timeout(self.handshake_timeout, acceptor.accept(stream)).await
        {
            Ok(Ok(tls)) => tls,
            Ok(Err(e)) => {
                debug!(%peer, error = %e, "TLS handshake failed");
                return;
            }
            Err(_) => {
                debug!(%peer, "TLS handshake timed out");
                return;
            }
        };
        let h2 = tls.get_ref().1.alpn_protocol() == Some(tls::ALPN_H2);
        let builder = if h2 { &self.h2 } else { &self.h1 };
        let shared = self.shared;
        let svc = service_fn(move |req| routes::handle(req, shared.clone()));
        let conn = builder.serve_connection(TokioIo::new(tls), svc);
        if let Err(e) = watcher.watch(conn).await {
            debug!(%peer, error = %e, "Connection ended with an error");
        }
    }
}
