//! The offline commands' wiring: `certs` says what it wrote and refuses names no certificate
//! can carry, `manifests --policy` loads the file with `serve`'s loader, environment
//! variables reach `serve` only, streams are consistent, every help names the exit codes.

use crate::cli_support;

use cli_support::{BIN, invalid_manifest, repo, run, run_in, tree};

#[test]
fn certs_names_the_four_files_it_writes_without_rust_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("certs");
    let out_s = out.display().to_string();
    let first = run(&[
        "certs",
        "--dns-name",
        "kds-webhook.kds-system.svc",
        "--out",
        &out_s,
    ]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stderr.starts_with(&format!(
            "created a new CA and serving certificate: wrote ca.crt, ca.key, tls.crt and tls.key in {out_s}; the serving certificate covers localhost, 127.0.0.1, ::1, kds-webhook.kds-system.svc"
        )),
        "{}",
        first.stderr
    );
    for f in ["ca.crt", "ca.key", "tls.crt", "tls.key"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let again = run(&[
        "certs",
        "--dns-name",
        "kds-webhook.kds-system.svc",
        "--out",
        &out_s,
    ]);
    assert!(
        again
            .stderr
            .starts_with(&format!("{out_s} already holds a current CA")),
        "{}",
        again.stderr
    );
    let leaf = run(&[
        "certs",
        "--dns-name",
        "other.kds-system.svc",
        "--out",
        &out_s,
    ]);
    assert!(
        leaf.stderr.starts_with(
            "issued a new serving certificate with the existing CA: wrote tls.crt and tls.key"
        ),
        "{}",
        leaf.stderr
    );
    for r in [&first, &again, &leaf] {
        for rust in ["CreatedAll", "IssuedLeaf", "Reused:"] {
            assert!(!r.stderr.contains(rust), "{}", r.stderr);
        }
    }
}

#[test]
fn certs_refuses_a_name_that_is_not_a_dns_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("certs").display().to_string();
    let r = run(&["certs", "--dns-name", "bad name!", "--out", &out]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("--dns-name \"bad name!\": Invalid value: \"bad name!\": "),
        "{}",
        r.stderr
    );
    assert!(
        !dir.path().join("certs/tls.crt").exists(),
        "nothing written"
    );
    let ok = run(&[
        "certs",
        "--dns-name",
        "*.kds-system.svc,10.0.0.1",
        "--out",
        &out,
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
}

fn ca_bundle() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("certs").display().to_string();
    assert_eq!(run(&["certs", "--out", &out]).code, 0);
    let ca = dir.path().join("certs/ca.crt").display().to_string();
    (dir, ca)
}

#[test]
fn manifests_policy_is_loaded_with_the_servers_loader() {
    let (_certs, ca) = ca_bundle();
    let files = tree(&[
        ("empty-gates.yaml", "gates: {}\n"),
        ("agent.yaml", &invalid_manifest("a")),
    ]);
    for bad in ["empty-gates.yaml", "agent.yaml"] {
        let f = files.path().join(bad).display().to_string();
        let r = run(&[
            "manifests",
            "-n",
            "kds-system",
            "--ca-bundle",
            &ca,
            "--policy",
            &f,
        ]);
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        assert_eq!(r.stdout, "", "{bad}");
        assert!(
            r.stderr
                .contains("refused by the loader `serve` uses: invalid policy: "),
            "{bad}: {}",
            r.stderr
        );
    }
    let good = repo("examples/policies/multi-tenant.yaml")
        .display()
        .to_string();
    let r = run(&[
        "manifests",
        "-n",
        "kds-system",
        "--ca-bundle",
        &ca,
        "--policy",
        &good,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("policy.yaml"));
}

#[test]
fn environment_variables_reach_serve_only() {
    let (_certs, ca) = ca_bundle();
    let dir = tree(&[
        ("refused-policy.yaml", "gates: {}\n"),
        ("a.yaml", &cli_support::manifest("a")),
    ]);
    // A policy the loader refuses, set for `serve`, does not reach offline `validate`.
    let r = std::process::Command::new(BIN)
        .current_dir(dir.path())
        .env("KDS_WEBHOOK_POLICY", "refused-policy.yaml")
        .args(["validate", "-f", "a.yaml"])
        .output()
        .expect("runs");
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stdout)
    );
    // `serve`'s certificate directory does not become `manifests --cert-dir`.
    let r = std::process::Command::new(BIN)
        .env("KDS_WEBHOOK_CERT_DIR", dir.path())
        .args(["manifests", "-n", "kds-system", "--ca-bundle", &ca])
        .output()
        .expect("runs");
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
}

#[test]
fn streams_are_consistent() {
    let dir = tree(&[("bad.yaml", &invalid_manifest("bad"))]);
    let here = Some(dir.path());
    // validate: the report is its output, all of it on standard output.
    let v = run_in(here, &["validate", "-f", "bad.yaml"]);
    assert_eq!(v.stderr, "");
    assert!(
        v.stdout
            .starts_with("bad.yaml:13:27: KubernetesDaemonSet/bad: "),
        "{}",
        v.stdout
    );
    // render and default: objects on standard output, the same problem lines on standard error.
    for cmd in ["render", "default"] {
        let r = run_in(here, &[cmd, "-f", "bad.yaml"]);
        assert_eq!(r.code, 1, "{cmd}");
        assert_eq!(r.stdout, "", "{cmd}");
        assert_eq!(r.stderr.lines().next(), v.stdout.lines().next(), "{cmd}");
    }
}

#[test]
fn only_serve_takes_log_flags_and_every_help_names_the_exit_codes() {
    let r = run(&["validate", "--log-level", "debug", "-f", "x.yaml"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unexpected argument '--log-level'"),
        "{}",
        r.stderr
    );
    let serve = run(&["serve", "--help"]);
    assert!(serve.stdout.contains("--log-level"), "{}", serve.stdout);
    for cmd in [
        "serve",
        "validate",
        "render",
        "default",
        "diff",
        "crd",
        "certs",
        "manifests",
    ] {
        let h = run(&[cmd, "--help"]);
        assert!(
            h.stdout.contains("Exit codes:\n  0  "),
            "{cmd}: {}",
            h.stdout
        );
        assert!(
            !h.stdout.contains("<TLS_CERT>") && !h.stdout.contains("<DNS_NAMES>"),
            "{cmd}"
        );
    }
}

#[test]
fn a_closed_pipe_ends_the_output_quietly_with_the_verdicts_code() {
    let dir = tree(&[("bad.yaml", &invalid_manifest("bad"))]);
    let mut child = std::process::Command::new(BIN)
        .current_dir(dir.path())
        .args(["validate", "-o", "json", "-f", "bad.yaml"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawns");
    // Close the reading end before the report is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("os error"), "{stderr}");
}
