//! The admin port (plain HTTP/1.1): `/livez`, `/readyz` and `/metrics`, on its own listener so
//! that probes and scrapes never compete with admission traffic or need TLS.
//!
//! `/readyz` is 200 only between "TLS loaded and webhook listener bound" and the start of the
//! shutdown drain, when it turns 503 so that the Service stops sending new connections.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::routes::plain;
use crate::metrics;

/// Anything the admin port can serve at `/metrics`: the webhook's and the controller's
/// registries share one admin server.
pub trait MetricsText: Send + Sync + 'static {
    /// The registry in OpenMetrics text.
    fn encode(&self) -> String;
}

impl MetricsText for metrics::Metrics {
    fn encode(&self) -> String {
        metrics::Metrics::encode(self)
    }
}

const STARTING: u8 = 0;
const READY: u8 = 1;
const DRAINING: u8 = 2;

/// The server's lifecycle as `/readyz` reports it.
#[derive(Debug, Default)]
pub struct Readiness(AtomicU8);

impl Readiness {
    /// TLS is loaded and the webhook listener is bound.
    pub fn set_ready(&self) {
        self.0.store(READY, Ordering::SeqCst);
    }

    /// Shutdown has begun: no new traffic, please.
    pub fn set_draining(&self) {
        self.0.store(DRAINING, Ordering::SeqCst);
    }

    /// True between [`set_ready`](Self::set_ready) and [`set_draining`](Self::set_draining).
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::SeqCst) == READY
    }

    fn state(&self) -> &'static str {
        match self.0.load(Ordering::SeqCst) {
            STARTING => "starting\n",
            READY => "ok\n",
            _ => "draining\n",
        }
    }
}

/// Serves the admin port until `stop`: `/livez`, `/readyz` (per `readiness`), `/metrics`.
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<dyn MetricsText>,
    readiness: Arc<Readiness>,
    stop: CancellationToken,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10));
    loop {
        let (stream, _) = tokio::select! {
            () = stop.cancelled() => break,
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    debug!(error = %e, "Admin accept failed");
                    continue;
                }
            },
        };
        let metrics = metrics.clone();
        let readiness = readiness.clone();
        let svc = service_fn(move |req| {
            let rsp = handle(&req, &metrics, &readiness);
            async move { Ok::<_, Infallible>(rsp) }
        });
        let conn = builder.serve_connection(TokioIo::new(stream), svc);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                debug!(error = %e, "Admin connection ended with an error");
            }
        });
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), graceful.shutdown()).await;
}

fn handle(
    req: &Request<Incoming>,
    metrics: &Arc<dyn MetricsText>,
    readiness: &Readiness,
) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut rsp = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET is allowed\n");
        rsp.headers_mut()
            .insert(http::header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return rsp;
    }
    match req.uri().path() {
        "/livez" => plain(StatusCode::OK, "ok\n"),
        "/readyz" => {
            let status = if readiness.is_ready() {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            plain(status, readiness.state())
        }
        "/metrics" => {
            let mut rsp = Response::new(Full::new(Bytes::from(metrics.encode())));
            rsp.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static(metrics::CONTENT_TYPE),
            );
            rsp
        }
        _ => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_between_bind_and_drain() {
        let r = Readiness::default();
        assert!(!r.is_ready());
        r.set_ready();
        assert!(r.is_ready());
        r.set_draining();
        assert!(!r.is_ready());
        assert_eq!(r.state(), "draining\n");
    }
}
