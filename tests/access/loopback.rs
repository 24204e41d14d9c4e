//! A loopback mock API server (plain HTTP on 127.0.0.1) answering SubjectAccessReviews in
//! the recorded shape, for tests that go through kube's real client stack: a kubeconfig, a
//! connection, HTTP/1.1.

#![allow(dead_code, clippy::unwrap_used)]
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use super::mock::{Rule, decide};

/// A running loopback API server.
pub struct Loopback {
    pub addr: SocketAddr,
    pub calls: Arc<AtomicUsize>,
}

impl Loopback {
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// A kubeconfig in `dir` pointing at this server with a bearer token.
    pub fn kubeconfig(&self, dir: &Path) -> PathBuf {
        write_kubeconfig(dir, &format!("http://{}", self.addr))
    }
}

/// A kubeconfig for `server` (any URL) with a bearer token.
pub fn write_kubeconfig(dir: &Path, server: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    let text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: test\n\
         clusters:\n- name: test\n  cluster:\n    server: {server}\n\
         contexts:\n- name: test\n  context:\n    cluster: test\n    user: webhook\n\
         users:\n- name: webhook\n  user:\n    token: test-token\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

async fn answer(req: Request<Incoming>, rules: Arc<Vec<Rule>>) -> Response<Full<Bytes>> {
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let review: Value = serde_json::from_slice(&body).unwrap_or_default();
    let status = match decide(&rules, &review["spec"]) {
        Some(reason) => json!({"allowed": true, "reason": reason}),
        None => json!({"allowed": false}),
    };
    let answer = json!({"kind": "SubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                        "metadata": {}, "spec": review["spec"], "status": status});
    Response::builder()
        .status(201)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(serde_json::to_vec(&answer).unwrap())))
        .unwrap()
}

/// Starts the server on 127.0.0.1:0; it runs until the test's runtime ends.
pub async fn start(rules: Vec<Rule>) -> Loopback {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let rules = Arc::new(rules);
    let c = calls.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (rules, c) = (rules.clone(), c.clone());
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| {
                    c.fetch_add(1, Ordering::SeqCst);
                    let rules = rules.clone();
                    async move { Ok::<_, std::convert::Infallible>(answer(req, rules).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Loopback { addr, calls }
}
