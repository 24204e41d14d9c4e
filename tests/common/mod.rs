//! Shared test setup: the rustls provider, throwaway PKIs, a server on 127.0.0.1:0, and small
//! HTTP/1.1 and HTTP/2 clients over rustls. Never uses the repository's `certs/`.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use kds_webhook::certs::{self, Ca, CertInfo};
use kds_webhook::config::{Config, TlsSource};
use kds_webhook::server::{self, Running};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tempfile::TempDir;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

static INIT: Once = Once::new();

/// Installs the rustls provider once per test binary (what `main` does).
pub fn setup() {
    INIT.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter("kds_webhook=debug")
                .with_test_writer()
                .try_init();
        }
    });
}

/// A fixture review's bytes.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reviews")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fixture review as JSON.
pub fn fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

/// A CA and a serving certificate for 127.0.0.1 in a temporary directory.
pub struct Pki {
    pub dir: TempDir,
    pub ca: Ca,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Pki {
    pub fn new() -> Self {
        Self::with_names(&["127.0.0.1", "localhost"])
    }

    pub fn with_names(names: &[&str]) -> Self {
        setup();
        let dir = TempDir::new().unwrap();
        let ca = Ca::new("kds-webhook test CA").unwrap();
        let pki = Self {
            cert: dir.path().join("tls.crt"),
            key: dir.path().join("tls.key"),
            dir,
            ca,
        };
        pki.issue(names);
        pki
    }

    /// Writes a fresh serving certificate for `names` (atomically, key first).
    pub fn issue(&self, names: &[&str]) {
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        let (cert, key) = self.ca.issue_server(&names).unwrap();
        write_atomic(&self.key, key.as_bytes());
        write_atomic(&self.cert, cert.as_bytes());
    }

    pub fn ca_pem(&self) -> String {
        self.ca.cert_pem()
    }

    pub fn config(&self) -> Config {
        let mut c = Config::new(TlsSource::Files {
            cert: self.cert.clone(),
            key: self.key.clone(),
        });
        c.addr = "127.0.0.1:0".parse().unwrap();
        c.admin_addr = "127.0.0.1:0".parse().unwrap();
        c.reload_interval = Duration::from_millis(100);
        c.shutdown_timeout = Duration::from_secs(5);
        c
    }

    /// Writes the CA PEM to a file (for `--client-ca`).
    pub fn ca_file(&self) -> PathBuf {
        let p = self.dir.path().join("client-ca.crt");
        std::fs::write(&p, self.ca_pem()).unwrap();
        p
    }
}

/// A small valid policy: privilege enforced, host paths only warned about (/var/log allowed).
pub const POLICY: &str = "apiVersion: kds-webhook.project-planton.org/v1alpha1
kind: PolicyConfig
defaults:
  privilege: {mode: enforce, allowRunAsRoot: false}
  hostPaths:
    mode: warn
    allowed: [{pathPrefix: /var/log, readOnly: true}]
namespaces:
  - match: [kube-system]
    exempt: true
";

/// Posts the seed review to `path` on `client` and asserts a 200 answer: the check that a
/// server (after a rotation, a restart, a refused reload...) still reviews.
pub async fn assert_answers(client: &mut Client, path: &str) {
    let reply = client
        .post(path, fixture("create-seed.json"))
        .await
        .unwrap();
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
}

pub fn write_atomic(path: &Path, content: &[u8]) {
    let tmp = path.with_extension("writing");
    std::fs::write(&tmp, content).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

pub async fn start(config: Config) -> Running {
    setup();
    server::start(config).await.unwrap()
}

/// A client configuration trusting `ca_pem`, offering `alpn`, optionally with a client cert.
pub fn client_config(
    ca_pem: &str,
    alpn: &[&[u8]],
    client_cert: Option<(String, String)>,
) -> Arc<ClientConfig> {
    setup();
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let builder = ClientConfig::builder().with_root_certificates(roots);
    let mut cfg = match client_cert {
        Some((cert, key)) => {
            let chain = CertificateDer::pem_slice_iter(cert.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    cfg.alpn_protocols = alpn.iter().map(|a| a.to_vec()).collect();
    Arc::new(cfg)
}

pub const H1: &[&[u8]] = &[b"http/1.1"];
pub const H2_AND_H1: &[&[u8]] = &[b"h2", b"http/1.1"];

/// A TLS connection to 127.0.0.1 (IP server name: no SNI is sent).
pub async fn tls_connect(
    addr: SocketAddr,
    cfg: Arc<ClientConfig>,
) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let name = ServerName::IpAddress(addr.ip().into());
    TlsConnector::from(cfg).connect(name, tcp).await
}

/// The certificate the server presents.
pub async fn served_cert(addr: SocketAddr, ca_pem: &str) -> CertInfo {
    let tls = tls_connect(addr, client_config(ca_pem, H1, None))
        .await
        .unwrap();
    let der = tls.get_ref().1.peer_certificates().unwrap()[0].clone();
    certs::inspect_der(&der).unwrap()
}

/// Either kind of hyper client connection.
pub enum Client {
    H1(hyper::client::conn::http1::SendRequest<Full<Bytes>>),
    H2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
}

impl Client {
    /// Connects and speaks whatever ALPN negotiated.
    pub async fn connect(addr: SocketAddr, cfg: Arc<ClientConfig>) -> std::io::Result<Self> {
        let tls = tls_connect(addr, cfg).await?;
        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
        let io = TokioIo::new(tls);
        if h2 {
            let (send, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                .await
                .map_err(std::io::Error::other)?;
            tokio::spawn(conn);
            Ok(Self::H2(send))
        } else {
            let (send, conn) = hyper::client::conn::http1::handshake(io)
                .await
                .map_err(std::io::Error::other)?;
            tokio::spawn(conn);
            Ok(Self::H1(send))
        }
    }

    pub fn is_h2(&self) -> bool {
        matches!(self, Self::H2(_))
    }

    pub async fn send(&mut self, req: Request<Full<Bytes>>) -> hyper::Result<Reply> {
        let rsp = match self {
            Self::H1(s) => {
                s.ready().await?;
                s.send_request(req).await?
            }
            Self::H2(s) => {
                s.ready().await?;
                s.send_request(req).await?
            }
        };
        let (parts, body) = rsp.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    /// `POST path` with a JSON body.
    pub async fn post(&mut self, path: &str, body: Vec<u8>) -> hyper::Result<Reply> {
        self.send(post_request(path, body)).await
    }
}

/// A cloneable HTTP/2 sender (one connection, many streams).
pub fn h2_sender(c: &Client) -> hyper::client::conn::http2::SendRequest<Full<Bytes>> {
    match c {
        Client::H2(s) => s.clone(),
        Client::H1(_) => panic!("not an HTTP/2 connection"),
    }
}

pub fn post_request(path: &str, body: Vec<u8>) -> Request<Full<Bytes>> {
    Request::post(path)
        .header("host", "127.0.0.1")
        .header("content-type", "application/json")
        .header("user-agent", "kube-apiserver-admission")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

/// An HTTP response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `GET path` on the admin port (plain HTTP/1.1).
pub async fn admin_get(addr: SocketAddr, path: &str) -> Reply {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = Request::get(path)
        .header("host", "127.0.0.1")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let rsp = send.send_request(req).await.unwrap();
    let (parts, body) = rsp.into_parts();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
    }
}

/// Polls `f` until it returns true, at most `timeout`.
pub async fn eventually<F, Fut>(timeout: Duration, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let end = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < end {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}
