//! How `serve` starts the access checks: as kubectl finds a cluster (here: KUBECONFIG), off and
//! said so without one, a start-up error when they must run (`on`, or inside a pod) and cannot.
//! Every process is started here and killed by its own handle; each wait is bounded.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::loopback;

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_kds-webhook");
const WAIT: Duration = Duration::from_secs(20);

/// `serve` on loopback ports with certificates generated in `dir`, no kubeconfig but the one
/// given, and not in a pod unless `in_pod`.
fn serve(dir: &Path, kubeconfig: Option<&Path>, in_pod: bool, extra: &[&str]) -> Child {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--admin-addr",
        "127.0.0.1:0",
        "--cert-dir",
    ])
    .arg(dir.join("certs"))
    .args(extra)
    .env("HOME", dir)
    .env(
        "KUBECONFIG",
        kubeconfig.unwrap_or(&dir.join("no-such-kubeconfig")),
    )
    .env("KDS_WEBHOOK_LOG_FORMAT", "plain")
    .env_remove("KUBERNETES_SERVICE_HOST")
    .env_remove("KUBERNETES_SERVICE_PORT")
    .env_remove("KDS_WEBHOOK_ACCESS_CHECKS")
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    if in_pod {
        cmd.env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
            .env("KUBERNETES_SERVICE_PORT", "1");
    }
    cmd.spawn().unwrap()
}

/// Stderr lines until one contains `needle` (then the process is killed) or the process ends.
fn wait_for(mut child: Child, needle: &str) -> (bool, String) {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut seen = String::new();
    let found = loop {
        match rx.recv_timeout(WAIT) {
            Ok(line) => {
                seen.push_str(&line);
                seen.push('\n');
                if line.contains(needle) {
                    break true;
                }
            }
            Err(_) => break false,
        }
    };
    let _ = child.kill();
    let status = child.wait().unwrap();
    if !found {
        seen.push_str(&format!("[exit: {status}]"));
    }
    (found, seen)
}

#[test]
fn without_any_cluster_connection_the_checks_are_off_and_serve_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (found, log) = wait_for(serve(dir.path(), None, false, &[]), "Serving");
    assert!(found, "it serves: {log}");
    assert!(
        log.contains("Access checks off: no cluster connection"),
        "{log}"
    );
}

#[test]
fn on_without_a_connection_is_a_start_up_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--admin-addr",
            "127.0.0.1:0",
            "--access-checks",
            "on",
        ])
        .env("HOME", dir.path())
        .env("KUBECONFIG", dir.path().join("none"))
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("access checks need the API server, and no connection was found"),
        "{err}"
    );
}

#[test]
fn inside_a_pod_a_missing_connection_is_never_a_silent_off_switch() {
    let dir = tempfile::tempdir().unwrap();
    let (found, log) = wait_for(serve(dir.path(), None, true, &[]), "error:");
    assert!(found, "{log}");
    assert!(log.contains("access checks need the API server"), "{log}");
    assert!(!log.contains("Serving"), "{log}");
}

#[test]
fn an_unreachable_api_server_is_an_error_when_on_and_a_warning_in_auto() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", free.local_addr().unwrap());
    drop(free);
    let kubeconfig = loopback::write_kubeconfig(dir.path(), &url);
    let (found, log) = wait_for(
        serve(
            dir.path(),
            Some(&kubeconfig),
            false,
            &["--access-checks", "on"],
        ),
        "error:",
    );
    assert!(found, "{log}");
    assert!(
        log.contains("does not answer the webhook's SubjectAccessReviews"),
        "{log}"
    );
    let (found, log) = wait_for(
        serve(dir.path(), Some(&kubeconfig), false, &[]),
        "Access checks off: the cluster connection is not usable",
    );
    assert!(found, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_kubeconfig_the_checks_are_on_after_one_probe() {
    let api = loopback::start(Vec::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = api.kubeconfig(dir.path());
    let child = serve(dir.path(), Some(&kubeconfig), false, &[]);
    let (found, log) = tokio::task::spawn_blocking(move || wait_for(child, "Access checks on"))
        .await
        .unwrap();
    assert!(found, "{log}");
    assert_eq!(api.calls(), 1, "the start-up probe");
}
