//! Resource limits under hostile clients: idle connections beyond `--max-connections`, clients
//! that never read their replies, HTTP/2 streams opened and reset in a burst, and bodies or
//! headers that trickle in a byte at a time. Each must stay bounded in time (the server gives
//! up on the client) and in memory, and none may keep an honest client from being answered.
//!
//! The counts fit CI's default 1024 open files (both ends of every connection live in this
//! process); `KDS_LIMITS_IDLE=3000 cargo test --test limits -- --nocapture` runs the idle test
//! with thousands of connections (raise `ulimit -n` first) and prints the figures.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{Client, H1, H2_AND_H1, Pki, client_config, fixture};
use http::StatusCode;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// The header (and TLS handshake) timeout the tests give the server.
const HEADER_TIMEOUT: Duration = Duration::from_secs(1);
/// The request (body) timeout the tests give the server.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// Scheduling slack on a loaded two-core CI machine.
const SLACK: Duration = Duration::from_secs(3);

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn config(pki: &Pki, max_connections: usize) -> kds_webhook::config::Config {
    let mut c = pki.config();
    c.http2 = true;
    c.max_connections = max_connections;
    c.header_read_timeout = HEADER_TIMEOUT;
    c.request_timeout = REQUEST_TIMEOUT;
    c
}

/// How long an honest client waits for a `/validate` answer on a new connection.
async fn honest_review(addr: SocketAddr, pki: &Pki, alpn: &[&[u8]]) -> Duration {
    let start = Instant::now();
    let mut c = tokio::time::timeout(
        HEADER_TIMEOUT + REQUEST_TIMEOUT + SLACK,
        Client::connect(addr, client_config(&pki.ca_pem(), alpn, None)),
    )
    .await
    .expect("an honest client connects in time")
    .unwrap();
    let reply = c
        .post("/validate", fixture("create-seed.json"))
        .await
        .unwrap();
    assert_eq!(reply.status, StatusCode::OK);
    start.elapsed()
}

/// True once the server has closed `s` (EOF or reset), within `within`.
async fn closed_by_server<S: tokio::io::AsyncRead + Unpin>(s: &mut S, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let end = Instant::now() + within;
    loop {
        match tokio::time::timeout_at(end.into(), s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_beyond_the_limit_are_dropped_and_never_block_others() {
    let n: usize = std::env::var("KDS_LIMITS_IDLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let max = 64;
    let pki = Pki::new();
    let running = common::start(config(&pki, max)).await;
    let addr = running.addr();
    let rss_before = rss_kib();
    let baseline = honest_review(addr, &pki, H1).await;

    // Plain TCP connections that never start TLS: n, several times the limit. The first
    // `max` are accepted and wait for a handshake; the rest wait in the listen backlog.
    let opened = Instant::now();
    let mut idle = Vec::with_capacity(n);
    for _ in 0..n {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    let rss_held = rss_kib();
    let waited = honest_review(addr, &pki, H1).await;
    // Every one of them is closed by the server within the handshake timeout of its accept:
    // at most ceil(n / max) rounds of it.
    let rounds = n.div_ceil(max) as u32;
    let bound = HEADER_TIMEOUT * (rounds + 1) + SLACK;
    for s in &mut idle {
        assert!(
            closed_by_server(s, bound.saturating_sub(opened.elapsed())).await,
            "an idle connection outlived {bound:?}"
        );
    }
    let all_closed = opened.elapsed();
    drop(idle);
    let after = honest_review(addr, &pki, H2_AND_H1).await;
    eprintln!(
        "idle: {n} idle TCP connections, limit {max}, handshake timeout {HEADER_TIMEOUT:?}: \
         honest review {baseline:?} before, {waited:?} while held, {after:?} after; \
         all closed by the server after {all_closed:?}; RSS {rss_before} -> {rss_held} KiB \
         (client and server in one process)"
    );
    assert!(
        waited < HEADER_TIMEOUT * (rounds + 1) + SLACK,
        "an honest client waited {waited:?} behind idle connections"
    );
    assert_eq!(running.metrics().in_flight.get(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_tls_connections_are_closed_after_the_header_timeout() {
    let pki = Pki::new();
    let running = common::start(config(&pki, 64)).await;
    let addr = running.addr();
    let cfg = client_config(&pki.ca_pem(), H1, None);
    let start = Instant::now();
    let mut held = Vec::new();
    for _ in 0..32 {
        held.push(common::tls_connect(addr, cfg.clone()).await.unwrap());
    }
    for s in &mut held {
        assert!(closed_by_server(s, HEADER_TIMEOUT + SLACK).await);
    }
    eprintln!(
        "idle TLS (HTTP/1.1, no request): 32 closed by the server after {:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_throttled_and_blocks_nobody() {
    let pki = Pki::new();
    let running = common::start(config(&pki, 64)).await;
    let addr = running.addr();
    let body = fixture("create-seed.json");
    let request = format!(
        "POST /mutate HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n",
        body.len()
    );
    let mut one = request.into_bytes();
    one.extend_from_slice(&body);
    let rss_before = rss_kib();
    // Four connections pipelining requests as fast as they can, reading nothing.
    let mut writers = Vec::new();
    for _ in 0..4 {
        let mut s = common::tls_connect(addr, client_config(&pki.ca_pem(), H1, None))
            .await
            .unwrap();
        let one = one.clone();
        writers.push(tokio::spawn(async move {
            let mut sent = 0usize;
            let end = Instant::now() + Duration::from_secs(3);
            while Instant::now() < end {
                match tokio::time::timeout_at(end.into(), s.write_all(&one)).await {
                    Ok(Ok(())) => sent += one.len(),
                    Ok(Err(_)) | Err(_) => break,
                }
            }
            (sent, s)
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let served = honest_review(addr, &pki, H2_AND_H1).await;
    let mut sent = Vec::new();
    let mut streams = Vec::new();
    for w in writers {
        let (n, s) = w.await.unwrap();
        sent.push(n);
        streams.push(s);
    }
    let rss_held = rss_kib();
    eprintln!(
        "never-read: 4 clients pipelining {} B requests for 3 s got {:?} bytes accepted \
         (the server stops reading when its replies cannot be written); an honest review \
         took {served:?}; RSS {rss_before} -> {rss_held} KiB",
        one.len(),
        sent
    );
    // Backpressure: what one client can push is bounded by socket buffers, not by time.
    for n in &sent {
        assert!(
            *n < 64 * 1024 * 1024,
            "a non-reading client pushed {n} bytes"
        );
    }
    assert!(served < SLACK, "an honest client waited {served:?}");
    assert!(
        rss_held < rss_before + 256 * 1024,
        "RSS grew from {rss_before} to {rss_held} KiB"
    );
    drop(streams);
    assert!(
        common::eventually(Duration::from_secs(5), || async {
            running.metrics().in_flight.get() == 0
        })
        .await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_reset_http2_streams_closes_that_connection_only() {
    let pki = Pki::new();
    let running = common::start(config(&pki, 64)).await;
    let addr = running.addr();
    let mut cfg = (*client_config(&pki.ca_pem(), H2_AND_H1, None)).clone();
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    let tls = common::tls_connect(addr, std::sync::Arc::new(cfg))
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut h2, conn) = h2::client::handshake(tls).await.unwrap();
    let conn = tokio::spawn(conn);
    let start = Instant::now();
    let mut opened = 0;
    for _ in 0..2000 {
        let req = http::Request::post("https://127.0.0.1/validate")
            .header("content-type", "application/json")
            .body(())
            .unwrap();
        let ready = match tokio::time::timeout(Duration::from_secs(2), h2.clone().ready()).await {
            Ok(Ok(ready)) => ready,
            _ => break,
        };
        h2 = ready;
        match h2.send_request(req, false) {
            Ok((_, mut stream)) => {
                stream.send_reset(h2::Reason::CANCEL);
                opened += 1;
            }
            Err(_) => break,
        }
    }
    // The server answers the flood with GOAWAY: the connection ends, with an error.
    let ended = tokio::time::timeout(SLACK, conn).await;
    let elapsed = start.elapsed();
    let served = honest_review(addr, &pki, H2_AND_H1).await;
    eprintln!(
        "rapid reset: {opened} streams opened and reset before the connection closed \
         ({ended:?}) after {elapsed:?}; an honest review then took {served:?}"
    );
    assert!(ended.is_ok(), "the flooding connection was not closed");
    assert!(opened < 2000, "all 2000 resets were accepted");
    assert!(
        common::eventually(Duration::from_secs(5), || async {
            running.metrics().in_flight.get() == 0
        })
        .await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_trickling_in_gets_408_at_the_deadline_and_blocks_nobody() {
    let pki = Pki::new();
    let running = common::start(config(&pki, 64)).await;
    let addr = running.addr();
    let body = fixture("create-seed.json");
    let mut slow = common::tls_connect(addr, client_config(&pki.ca_pem(), H1, None))
        .await
        .unwrap();
    let start = Instant::now();
    slow.write_all(
        format!(
            "POST /validate HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n\
             content-length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let trickle = tokio::spawn(async move {
        let mut reply = Vec::new();
        for b in &body {
            if slow.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            let mut buf = [0u8; 512];
            if let Ok(Ok(n)) =
                tokio::time::timeout(Duration::from_millis(1), slow.read(&mut buf)).await
            {
                if n == 0 {
                    break;
                }
                reply.extend_from_slice(&buf[..n]);
                if reply.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        }
        (reply, start.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let served = honest_review(addr, &pki, H2_AND_H1).await;
    let (reply, elapsed) = trickle.await.unwrap();
    let head = String::from_utf8_lossy(&reply);
    eprintln!(
        "trickle: one byte per 20 ms; answered {:?} after {elapsed:?} (request timeout \
         {REQUEST_TIMEOUT:?}); an honest review meanwhile took {served:?}",
        head.lines().next().unwrap_or("<nothing>")
    );
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
    assert!(
        elapsed < REQUEST_TIMEOUT + SLACK,
        "answered after {elapsed:?}"
    );
    assert!(served < SLACK, "an honest client waited {served:?}");
    assert_eq!(running.metrics().in_flight.get(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_trickling_in_are_cut_off_at_the_header_timeout() {
    let pki = Pki::new();
    let running = common::start(config(&pki, 64)).await;
    let mut slow = common::tls_connect(running.addr(), client_config(&pki.ca_pem(), H1, None))
        .await
        .unwrap();
    let start = Instant::now();
    let head = b"POST /validate HTTP/1.1\r\nhost: 127.0.0.1\r\nx-padding: ";
    let mut cut = false;
    for i in 0..10_000 {
        let b = head.get(i).copied().unwrap_or(b'a');
        if slow.write_all(&[b]).await.is_err() {
            cut = true;
            break;
        }
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(20), slow.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => {
                cut = true;
                break;
            }
            Ok(Ok(_)) => {
                // hyper answers 408 before closing.
                cut = true;
                break;
            }
            Err(_) => {}
        }
        if start.elapsed() > HEADER_TIMEOUT + SLACK {
            break;
        }
    }
    eprintln!(
        "header trickle: one byte per 20 ms; cut off after {:?} (header timeout {HEADER_TIMEOUT:?})",
        start.elapsed()
    );
    assert!(cut, "still reading headers after {:?}", start.elapsed());
}

/// The one limit that does not hold: an HTTP/2 connection that has shaken hands and sends
/// nothing is never closed (hyper's HTTP/2 server has no idle timeout, and its keep-alive
/// pings keep the connection alive), so `--max-connections` idle ones lock out everyone else
/// until they go away. Run with `--ignored` to see it fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fails: idle HTTP/2 connections hold their permits (README, known limits)"]
async fn idle_http2_connections_do_not_lock_others_out() {
    let pki = Pki::new();
    let max = 16;
    let running = common::start(config(&pki, max)).await;
    let addr = running.addr();
    let mut cfg = (*client_config(&pki.ca_pem(), H2_AND_H1, None)).clone();
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    let cfg = std::sync::Arc::new(cfg);
    let mut held = Vec::new();
    for _ in 0..max {
        let tls = common::tls_connect(addr, cfg.clone()).await.unwrap();
        let (send, conn) = h2::client::handshake(tls).await.unwrap();
        held.push((send, tokio::spawn(conn)));
    }
    let start = Instant::now();
    let honest = async {
        let mut c = Client::connect(addr, client_config(&pki.ca_pem(), H2_AND_H1, None))
            .await
            .unwrap();
        c.post("/validate", fixture("create-seed.json"))
            .await
            .unwrap()
    };
    let served = tokio::time::timeout(HEADER_TIMEOUT * 5 + SLACK, honest).await;
    eprintln!(
        "idle HTTP/2: {max} idle connections at a limit of {max}; an honest review {} after {:?}",
        if served.is_ok() {
            "answered"
        } else {
            "still waiting"
        },
        start.elapsed()
    );
    assert!(served.is_ok(), "locked out by idle HTTP/2 connections");
}
