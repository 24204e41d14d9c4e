//! Graceful shutdown: requests in flight are answered, idle connections closed, /readyz turns
//! 503, new connections are refused, the drain is bounded; and the real binary exits on
//! SIGTERM.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::common;

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{Client, H1, H2_AND_H1, Pki, client_config, fixture};
use http::StatusCode;
use hyper::body::{Body, Frame};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::mpsc;

/// A request body fed through a channel, so a test decides when it ends.
struct ChannelBody(mpsc::Receiver<Bytes>);

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

async fn in_flight(running: &kds_webhook::server::Running, n: i64) -> bool {
    common::eventually(Duration::from_secs(5), || async {
        running.metrics().in_flight.get() == n
    })
    .await
}

#[tokio::test]
async fn requests_in_flight_are_answered_and_idle_connections_closed() {
    let pki = Pki::new();
    let mut config = pki.config();
    config.http2 = true;
    let running = common::start(config).await;
    let addr = running.addr();
    let body = fixture("create-seed.json");
    let (head, tail) = body.split_at(body.len() / 2);

    // HTTP/1.1: headers and half the body written by hand.
    let mut h1 = common::tls_connect(addr, client_config(&pki.ca_pem(), H1, None))
        .await
        .unwrap();
    h1.write_all(
        format!(
            "POST /mutate?timeout=10s HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    h1.write_all(head).await.unwrap();
    h1.flush().await.unwrap();

    // HTTP/2: one stream with half its body sent.
    let tls = common::tls_connect(addr, client_config(&pki.ca_pem(), H2_AND_H1, None))
        .await
        .unwrap();
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .unwrap();
    tokio::spawn(conn);
    let (tx, rx) = mpsc::channel(2);
    tx.send(Bytes::copy_from_slice(head)).await.unwrap();
    let req = http::Request::post("/validate?timeout=10s")
        .header("content-type", "application/json")
        .body(ChannelBody(rx))
        .unwrap();
    let h2_response = tokio::spawn(async move { send.send_request(req).await });

    // An idle keep-alive connection.
    let mut idle = Client::connect(addr, client_config(&pki.ca_pem(), H1, None))
        .await
        .unwrap();
    assert_eq!(
        idle.post("/mutate", body.clone()).await.unwrap().status,
        StatusCode::OK
    );

    assert!(in_flight(&running, 2).await, "two requests in flight");
    let started = Instant::now();
    running.shutdown();

    // Draining: not ready, no new connections.
    let not_ready = common::eventually(Duration::from_secs(2), || async {
        common::admin_get(running.admin_addr(), "/readyz")
            .await
            .status
            == StatusCode::SERVICE_UNAVAILABLE
    })
    .await;
    assert!(not_ready, "/readyz is 503 while draining");
    let refused = common::eventually(Duration::from_secs(2), || async {
        match Client::connect(addr, client_config(&pki.ca_pem(), H1, None)).await {
            Err(_) => true,
            Ok(mut c) => c
                .post("/mutate", fixture("create-seed.json"))
                .await
                .is_err(),
        }
    })
    .await;
    assert!(refused, "new connections refused while draining");
    // The idle connection is closed by the server.
    assert!(
        idle.post("/mutate", body.clone()).await.is_err(),
        "idle keep-alive connection closed"
    );

    // Finish both bodies: both answered.
    h1.write_all(tail).await.unwrap();
    h1.flush().await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), h1.read_to_end(&mut buf))
        .await
        .unwrap()
        .ok();
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.contains("\"uid\":\"7f3e2a10-8c4d-4b1e-9a55-0c6d2e8f1b01\""),
        "{text}"
    );

    tx.send(Bytes::copy_from_slice(tail)).await.unwrap();
    drop(tx);
    let rsp = h2_response.await.unwrap().unwrap();
    assert_eq!(rsp.status(), StatusCode::OK);

    running.wait().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "drained before the deadline"
    );
}

#[tokio::test]
async fn the_drain_is_bounded_by_the_shutdown_timeout() {
    let pki = Pki::new();
    let mut config = pki.config();
    config.shutdown_timeout = Duration::from_millis(300);
    let running = common::start(config).await;
    let mut stuck = common::tls_connect(running.addr(), client_config(&pki.ca_pem(), H1, None))
        .await
        .unwrap();
    stuck
        .write_all(b"POST /mutate HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{")
        .await
        .unwrap();
    stuck.flush().await.unwrap();
    assert!(in_flight(&running, 1).await);
    let started = Instant::now();
    running.shutdown();
    tokio::time::timeout(Duration::from_secs(3), running.wait())
        .await
        .expect("stopped after the drain deadline");
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn readyz_turns_ok_once_bound() {
    let pki = Pki::new();
    let running = common::start(pki.config()).await;
    assert_eq!(
        common::admin_get(running.admin_addr(), "/readyz")
            .await
            .status,
        StatusCode::OK
    );
    running.shutdown();
    running.wait().await;
}

/// Kills the child if the test fails before it exits (it is our own child, by pid).
struct KillOnDrop<'a>(&'a mut std::process::Child);

impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// A free loopback port (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn the_binary_drains_and_exits_on_sigterm() {
    let dir = tempfile::TempDir::new().unwrap();
    let (port, admin_port) = (free_port(), free_port());
    let log_path = dir.path().join("serve.log");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kds-webhook"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .args(["--admin-addr", &format!("127.0.0.1:{admin_port}")])
        .arg("--cert-dir")
        .arg(dir.path().join("certs"))
        .args([
            "--dns-name",
            "kds-webhook.kds-system.svc",
            "--log-format",
            "json",
            "--log-level",
            "kds_webhook=trace",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let child = KillOnDrop(&mut child);
    let admin = format!("127.0.0.1:{admin_port}").parse().unwrap();
    let ready = common::eventually(Duration::from_secs(20), || async {
        match tokio::net::TcpStream::connect(admin).await {
            Ok(_) => common::admin_get(admin, "/readyz").await.status == StatusCode::OK,
            Err(_) => false,
        }
    })
    .await;
    assert!(ready, "binary became ready");
    let ca = std::fs::read_to_string(dir.path().join("certs/ca.crt")).unwrap();
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut c = Client::connect(addr, client_config(&ca, H1, None))
        .await
        .unwrap();
    common::assert_answers(&mut c, "/mutate").await;

    // The camel fixture carries a literal secret; even at trace it must not reach the log.
    for path in ["/mutate", "/validate"] {
        let r = c.post(path, fixture("create-camel.json")).await.unwrap();
        assert_eq!(r.status, StatusCode::OK);
    }

    let pid = child.0.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "exited within the shutdown timeout"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("\"signal\":\"SIGTERM\""), "{log}");
    assert!(log.contains("Admission reviewed"), "{log}");
    assert!(log.contains("ca_bundle"), "{log}");
    assert!(
        log.contains("Object under review"),
        "trace lines were written:\n{log}"
    );
    assert!(
        !log.contains("hunter2-do-not-log"),
        "secret value logged:\n{log}"
    );
}
