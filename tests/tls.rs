//! TLS: real handshakes against rcgen certificates in temporary directories — ALPN and
//! HTTP/2 multiplexing, trust, mTLS, TLS 1.2, certificate rotation under load, bad rotations,
//! and the development certificates.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Client, H1, H2_AND_H1, Pki, client_config, fixture};
use http::StatusCode;
use kds_webhook::certs;
use kds_webhook::config::{Config, TlsSource};

#[tokio::test]
async fn http2_multiplexes_many_streams_on_one_connection() {
    let pki = Pki::new();
    let mut config = pki.config();
    config.http2 = true;
    let running = common::start(config).await;
    let client = Client::connect(
        running.addr(),
        client_config(&pki.ca_pem(), H2_AND_H1, None),
    )
    .await
    .unwrap();
    assert!(client.is_h2(), "h2 negotiated through ALPN");
    let sender = common::h2_sender(&client);
    let mut tasks = Vec::new();
    for i in 0..32 {
        let mut s = sender.clone();
        let path = if i % 2 == 0 {
            "/mutate?timeout=10s"
        } else {
            "/validate?timeout=10s"
        };
        tasks.push(tokio::spawn(async move {
            s.ready().await.unwrap();
            let rsp = s
                .send_request(common::post_request(path, fixture("create-seed.json")))
                .await
                .unwrap();
            rsp.status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::OK);
    }
    let text = common::admin_get(running.admin_addr(), "/metrics")
        .await
        .text();
    assert!(
        text.contains(r#"webhook="mutate",operation="CREATE",outcome="allowed"} 16"#),
        "{text}"
    );
    running.shutdown();
    running.wait().await;
}

#[tokio::test]
async fn without_http2_only_http11_is_offered() {
    let pki = Pki::new();
    let running = common::start(pki.config()).await;
    let tls = common::tls_connect(
        running.addr(),
        client_config(&pki.ca_pem(), H2_AND_H1, None),
    )
    .await
    .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    drop(tls);
    // A client that speaks only h2 finds no common protocol.
    let only_h2: &[&[u8]] = &[b"h2"];
    assert!(
        common::tls_connect(running.addr(), client_config(&pki.ca_pem(), only_h2, None))
            .await
            .is_err()
    );
    // A client with no ALPN at all gets HTTP/1.1.
    let mut c = Client::connect(running.addr(), client_config(&pki.ca_pem(), &[], None))
        .await
        .unwrap();
    assert!(!c.is_h2());
    common::assert_answers(&mut c, "/mutate").await;
    running.shutdown();
    running.wait().await;
}

#[tokio::test]
async fn a_client_trusting_another_ca_is_refused() {
    let pki = Pki::new();
    let running = common::start(pki.config()).await;
    let other = Pki::new();
    let err = common::tls_connect(running.addr(), client_config(&other.ca_pem(), H1, None)).await;
    assert!(err.is_err());
    running.shutdown();
    running.wait().await;
}

#[tokio::test]
async fn tls12_is_accepted() {
    let pki = Pki::new();
    let running = common::start(pki.config()).await;
    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject as _;
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(pki.ca_pem().as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let cfg = rustls::ClientConfig::builder_with_protocol_versions(&[&rustls::version::TLS12])
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tls = common::tls_connect(running.addr(), Arc::new(cfg))
        .await
        .unwrap();
    assert_eq!(
        tls.get_ref().1.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    running.shutdown();
    running.wait().await;
}

#[tokio::test]
async fn mtls_requires_a_client_certificate_from_the_client_ca() {
    let pki = Pki::new();
    let mut config = pki.config();
    config.client_ca = Some(pki.ca_file());
    let running = common::start(config).await;

    // Without a certificate: the handshake (or the first read) fails.
    let no_cert = async {
        let mut c = Client::connect(running.addr(), client_config(&pki.ca_pem(), H1, None)).await?;
        c.post("/mutate", fixture("create-seed.json"))
            .await
            .map_err(std::io::Error::other)
    };
    assert!(
        no_cert.await.is_err(),
        "refused without a client certificate"
    );

    // A certificate from another CA is refused too.
    let stranger = Pki::new().ca.issue_client("stranger").unwrap();
    let bad = async {
        let mut c = Client::connect(
            running.addr(),
            client_config(&pki.ca_pem(), H1, Some(stranger)),
        )
        .await?;
        c.post("/mutate", fixture("create-seed.json"))
            .await
            .map_err(std::io::Error::other)
    };
    assert!(
        bad.await.is_err(),
        "refused with a foreign client certificate"
    );

    let cert = pki.ca.issue_client("kube-apiserver").unwrap();
    let mut c = Client::connect(running.addr(), client_config(&pki.ca_pem(), H1, Some(cert)))
        .await
        .unwrap();
    common::assert_answers(&mut c, "/mutate").await;
    running.shutdown();
    running.wait().await;
}

#[tokio::test]
async fn rotation_under_load_serves_the_new_certificate_without_failures() {
    let pki = Pki::with_names(&["127.0.0.1", "old.example"]);
    let mut config = pki.config();
    config.http2 = true;
    let running = common::start(config).await;
    let addr = running.addr();
    let before = common::served_cert(addr, &pki.ca_pem()).await;
    assert!(before.dns_names.contains(&"old.example".to_owned()));

    let ok = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let stop = tokio_util::sync::CancellationToken::new();
    let mut load = Vec::new();
    for i in 0..4 {
        let (ok, failed, stop, ca) = (ok.clone(), failed.clone(), stop.clone(), pki.ca_pem());
        load.push(tokio::spawn(async move {
            let alpn = if i % 2 == 0 { H1 } else { H2_AND_H1 };
            let mut long_lived = Client::connect(addr, client_config(&ca, alpn, None))
                .await
                .unwrap();
            while !stop.is_cancelled() {
                // One request on the long-lived connection, one on a fresh connection.
                for fresh in [false, true] {
                    let result = if fresh {
                        match Client::connect(addr, client_config(&ca, alpn, None)).await {
                            Ok(mut c) => {
                                c.post("/validate", fixture("create-seed.json")).await.ok()
                            }
                            Err(_) => None,
                        }
                    } else {
                        long_lived
                            .post("/mutate", fixture("create-seed.json"))
                            .await
                            .ok()
                    };
                    match result {
                        Some(r) if r.status == StatusCode::OK => ok.fetch_add(1, Ordering::SeqCst),
                        _ => failed.fetch_add(1, Ordering::SeqCst),
                    };
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    pki.issue(&["127.0.0.1", "new.example"]);
    let rotated = common::eventually(Duration::from_secs(5), || async {
        let now = common::served_cert(addr, &pki.ca_pem()).await;
        now.serial != before.serial && now.dns_names.contains(&"new.example".to_owned())
    })
    .await;
    assert!(rotated, "new certificate served");
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.cancel();
    for t in load {
        t.await.unwrap();
    }
    assert_eq!(
        failed.load(Ordering::SeqCst),
        0,
        "no failed request during rotation"
    );
    assert!(ok.load(Ordering::SeqCst) > 10);
    assert_eq!(running.metrics().tls_reloads.get(), 1);
    running.shutdown();
    running.wait().await;
}

#[tokio::test]
async fn a_bad_new_pair_keeps_the_last_good_certificate() {
    let pki = Pki::new();
    let running = common::start(pki.config()).await;
    let before = common::served_cert(running.addr(), &pki.ca_pem()).await;
    // A key that does not match the certificate.
    let (_, other_key) = pki.ca.issue_server(&["127.0.0.1".to_owned()]).unwrap();
    common::write_atomic(&pki.key, other_key.as_bytes());
    let counted = common::eventually(Duration::from_secs(5), || async {
        running.metrics().tls_reload_failures.get() >= 1
    })
    .await;
    assert!(counted, "refused reload counted");
    // Garbage is refused as well.
    common::write_atomic(&pki.cert, b"not a certificate");
    assert!(
        common::eventually(Duration::from_secs(5), || async {
            running.metrics().tls_reload_failures.get() >= 2
        })
        .await
    );
    let after = common::served_cert(running.addr(), &pki.ca_pem()).await;
    assert_eq!(after.serial, before.serial);
    let mut c = Client::connect(running.addr(), client_config(&pki.ca_pem(), H1, None))
        .await
        .unwrap();
    common::assert_answers(&mut c, "/mutate").await;
    assert_eq!(running.metrics().tls_reloads.get(), 0);
    running.shutdown();
    running.wait().await;
}

#[test]
fn development_certificates_are_made_reused_and_reissued() {
    let dir = tempfile::TempDir::new().unwrap();
    let names = certs::serving_names(&["kds-webhook.kds-system.svc".to_owned()]);
    let first = certs::ensure(dir.path(), &names, false).unwrap();
    assert_eq!(first.action, certs::Action::CreatedAll);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        for key in [certs::TLS_KEY, certs::CA_KEY] {
            let mode = std::fs::metadata(dir.path().join(key))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{key}");
        }
    }
    let info = certs::inspect(&std::fs::read(&first.cert_path).unwrap()).unwrap();
    assert!(info.covers(&names), "{info:?}");
    assert!(info.covers(&["::1".to_owned(), "localhost".to_owned()]));

    let second = certs::ensure(dir.path(), &names, false).unwrap();
    assert_eq!(second.action, certs::Action::Reused);
    assert_eq!(second.ca_pem, first.ca_pem);

    let more = certs::serving_names(&["kds-webhook.kds-system.svc.cluster.local".to_owned()]);
    let third = certs::ensure(dir.path(), &more, false).unwrap();
    assert_eq!(third.action, certs::Action::IssuedLeaf);
    assert_eq!(third.ca_pem, first.ca_pem, "same CA re-issues the leaf");
    let base64 = third.ca_bundle();
    assert!(!base64.contains('\n') && base64.len().is_multiple_of(4));
}

#[tokio::test]
async fn serve_without_certificates_generates_a_trusted_pair() {
    common::setup();
    let dir = tempfile::TempDir::new().unwrap();
    let mut config = Config::new(TlsSource::Generated {
        dir: dir.path().join("certs"),
        dns_names: vec!["kds-webhook.kds-system.svc".into()],
    });
    config.addr = "127.0.0.1:0".parse().unwrap();
    config.admin_addr = "127.0.0.1:0".parse().unwrap();
    let running = common::start(config).await;
    let ca = std::fs::read_to_string(dir.path().join("certs/ca.crt")).unwrap();
    let mut c = Client::connect(running.addr(), client_config(&ca, H1, None))
        .await
        .unwrap();
    common::assert_answers(&mut c, "/validate").await;
    let expiry = running.metrics().tls_cert_expiry.get();
    assert!(expiry > 1_700_000_000, "{expiry}");
    running.shutdown();
    running.wait().await;
}

/// The layout and the update a kubelet uses for a Secret volume: `tls.crt -> ..data/tls.crt`,
/// `..data -> ..<timestamp>/`, and a rotation that writes a new timestamped directory and then
/// atomically renames a new `..data` symlink over the old one. Neither `tls.crt` nor `tls.key`
/// is written: only the link they resolve through changes.
#[tokio::test]
async fn a_secret_volume_symlink_swap_is_picked_up() {
    use std::os::unix::fs::symlink;

    let pki = Pki::with_names(&["127.0.0.1", "old.example"]);
    let volume = pki.dir.path().join("volume");
    let write_generation = |name: &str, names: &[&str]| {
        let dir = volume.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        let (cert, key) = pki.ca.issue_server(&names).unwrap();
        std::fs::write(dir.join("tls.crt"), cert).unwrap();
        std::fs::write(dir.join("tls.key"), key).unwrap();
    };
    write_generation("..2026_11_25_01_00_00.1", &["127.0.0.1", "old.example"]);
    symlink("..2026_11_25_01_00_00.1", volume.join("..data")).unwrap();
    symlink("..data/tls.crt", volume.join("tls.crt")).unwrap();
    symlink("..data/tls.key", volume.join("tls.key")).unwrap();

    let mut config = pki.config();
    config.tls = TlsSource::Files {
        cert: volume.join("tls.crt"),
        key: volume.join("tls.key"),
    };
    let running = common::start(config).await;
    let before = common::served_cert(running.addr(), &pki.ca_pem()).await;
    assert!(before.dns_names.contains(&"old.example".to_owned()));

    write_generation("..2026_11_25_02_00_00.2", &["127.0.0.1", "new.example"]);
    symlink("..2026_11_25_02_00_00.2", volume.join("..data_tmp")).unwrap();
    std::fs::rename(volume.join("..data_tmp"), volume.join("..data")).unwrap();

    let swapped = common::eventually(Duration::from_secs(5), || async {
        let now = common::served_cert(running.addr(), &pki.ca_pem()).await;
        now.dns_names.contains(&"new.example".to_owned())
    })
    .await;
    assert!(
        swapped,
        "the certificate behind the swapped ..data link is served"
    );
    assert_eq!(running.metrics().tls_reloads.get(), 1);
    assert_eq!(running.metrics().tls_reload_failures.get(), 0);
    running.shutdown();
    running.wait().await;
}
