//! `kds-webhook manifests` through the binary: files in, YAML stream out.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn kds_webhook(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kds-webhook"))
        .args(args)
        .env_remove("KDS_WEBHOOK_CERT_DIR")
        .env_remove("KDS_WEBHOOK_CA_BUNDLE")
        .env_remove("KDS_WEBHOOK_NAMESPACE")
        .env_remove("KDS_WEBHOOK_NO_CONTROLLER")
        .output()
        .expect("run kds-webhook")
}

/// Writes ca.crt, tls.crt and tls.key for `dns` into `dir`.
fn mk_certs(dir: &Path, dns: &str) {
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec![dns.to_owned(), format!("{dns}.cluster.local")])
        .expect("params")
        .signed_by(&key, &issuer)
        .expect("cert");
    std::fs::write(dir.join("ca.crt"), ca_cert.pem()).expect("write");
    std::fs::write(dir.join("tls.crt"), cert.pem()).expect("write");
    std::fs::write(dir.join("tls.key"), key.serialize_pem()).expect("write");
}

fn docs(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout.clone()).expect("utf-8");
    kds_webhook::manifest::parse_documents(&text).expect("a YAML stream")
}

fn kinds(docs: &[Value]) -> Vec<&str> {
    docs.iter().filter_map(|d| d["kind"].as_str()).collect()
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind}/{name}"))
}

#[test]
fn cert_dir_prints_the_installation_with_its_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    mk_certs(dir.path(), "kds-webhook.kds-system.svc");
    let cert_dir = dir.path().to_str().expect("path");
    let out = kds_webhook(&[
        "manifests",
        "--namespace",
        "kds-system",
        "--cert-dir",
        cert_dir,
    ]);
    let docs = docs(&out);
    assert_eq!(
        kinds(&docs),
        [
            "CustomResourceDefinition",
            "Namespace",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Secret",
            "Service",
            "Deployment",
            "PodDisruptionBudget",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
            "Deployment",
            "PodDisruptionBudget",
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding",
        ]
    );
    let ca = std::fs::read(dir.path().join("ca.crt")).expect("ca");
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(ca);
    let of = |kind: &str| docs.iter().find(|d| d["kind"] == kind).expect(kind);
    assert_eq!(of("Secret")["data"]["ca.crt"], b64.as_str());
    assert_eq!(
        of("MutatingWebhookConfiguration")["webhooks"][0]["clientConfig"]["caBundle"],
        b64.as_str()
    );
    assert_eq!(docs[0], kds_webhook::crd::crd_value());
}

#[test]
fn ca_bundle_prints_no_secret_and_honours_image_and_namespace() {
    let dir = tempfile::tempdir().expect("tempdir");
    mk_certs(dir.path(), "kds-webhook.platform.svc");
    let ca = dir.path().join("ca.crt");
    let out = kds_webhook(&[
        "manifests",
        "-n",
        "platform",
        "--image",
        "registry.example/kds-webhook:dev",
        "--ca-bundle",
        ca.to_str().expect("path"),
    ]);
    let docs = docs(&out);
    assert!(!kinds(&docs).contains(&"Secret"));
    for name in ["kds-webhook", "kds-webhook-controller"] {
        let deployment = find(&docs, "Deployment", name);
        assert_eq!(deployment["metadata"]["namespace"], "platform");
        assert_eq!(
            deployment["spec"]["template"]["spec"]["containers"][0]["image"],
            "registry.example/kds-webhook:dev",
            "{name} runs --image"
        );
    }
    let binding = find(&docs, "ClusterRoleBinding", "kds-webhook-controller");
    assert_eq!(binding["subjects"][0]["namespace"], "platform");
    let role = find(&docs, "Role", "kds-webhook-controller-leader-election");
    assert_eq!(role["metadata"]["namespace"], "platform");
    let hook = &docs
        .iter()
        .find(|d| d["kind"] == "ValidatingWebhookConfiguration")
        .expect("validating")["webhooks"][0];
    assert_eq!(
        hook["namespaceSelector"]["matchExpressions"][0]["values"],
        serde_json::json!(["platform", "kube-system"])
    );
}

#[test]
fn refuses_certificates_for_another_service() {
    let dir = tempfile::tempdir().expect("tempdir");
    mk_certs(dir.path(), "kds-webhook.elsewhere.svc");
    let out = kds_webhook(&[
        "manifests",
        "--namespace",
        "kds-system",
        "--cert-dir",
        dir.path().to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("kds-webhook.kds-system.svc"), "{err}");
    assert!(out.stdout.is_empty(), "nothing half-printed");
}

#[test]
fn needs_exactly_one_source_of_the_ca() {
    let out = kds_webhook(&["manifests", "--namespace", "kds-system"]);
    assert_eq!(out.status.code(), Some(2));
    let out = kds_webhook(&[
        "manifests",
        "--namespace",
        "kds-system",
        "--ca-bundle",
        "a",
        "--cert-dir",
        "b",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = kds_webhook(&[
        "manifests",
        "--namespace",
        "kds-system",
        "--ca-bundle",
        "/nonexistent/ca.crt",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/ca.crt"));
}

#[test]
fn refuses_namespaces_the_webhooks_would_leave_unchecked_and_bad_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    mk_certs(dir.path(), "kds-webhook.kds-system.svc");
    let ca = dir.path().join("ca.crt");
    let ca = ca.to_str().expect("path");
    for (args, says) in [
        (
            vec!["-n", "default"],
            "install kds-webhook into its own namespace",
        ),
        (
            vec!["-n", "kube-system"],
            "install kds-webhook into its own namespace",
        ),
        (vec!["-n", "Bad_NS"], "RFC 1123 label"),
        (
            vec!["-n", "kds-system", "--image", "bad image"],
            "--image \"bad image\"",
        ),
    ] {
        let mut all = vec!["manifests", "--ca-bundle", ca];
        all.extend(args.iter().copied());
        let out = kds_webhook(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing half-printed");
    }
}

#[test]
fn no_controller_prints_the_webhooks_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    mk_certs(dir.path(), "kds-webhook.kds-system.svc");
    let ca = dir.path().join("ca.crt");
    let ca = ca.to_str().expect("path");
    let full = docs(&kds_webhook(&[
        "manifests",
        "-n",
        "kds-system",
        "--ca-bundle",
        ca,
    ]));
    let out = kds_webhook(&[
        "manifests",
        "-n",
        "kds-system",
        "--ca-bundle",
        ca,
        "--no-controller",
    ]);
    let webhooks_only = docs(&out);
    let controller_objects: Vec<&Value> =
        full.iter().filter(|d| !webhooks_only.contains(d)).collect();
    let names: Vec<(&str, &str)> = controller_objects
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap_or_default(),
                d["metadata"]["name"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("ServiceAccount", "kds-webhook-controller"),
            ("ClusterRole", "kds-webhook-controller"),
            ("ClusterRoleBinding", "kds-webhook-controller"),
            ("Role", "kds-webhook-controller-leader-election"),
            ("RoleBinding", "kds-webhook-controller-leader-election"),
            ("Deployment", "kds-webhook-controller"),
            ("PodDisruptionBudget", "kds-webhook-controller"),
        ]
    );
    assert_eq!(full.len(), webhooks_only.len() + names.len());
}

/// The controller's Deployment as printed is one the binary accepts: every argument and
/// variable parses (a usage error would exit 2); it then stops only for want of a cluster.
#[test]
fn the_controller_deployment_runs_the_binary_with_flags_it_accepts() {
    let dir = tempfile::tempdir().expect("tempdir");
    mk_certs(dir.path(), "kds-webhook.kds-system.svc");
    let ca = dir.path().join("ca.crt");
    let all = docs(&kds_webhook(&[
        "manifests",
        "-n",
        "kds-system",
        "--ca-bundle",
        ca.to_str().expect("path"),
    ]));
    let deployment = find(&all, "Deployment", "kds-webhook-controller");
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let args: Vec<&str> = container["args"]
        .as_array()
        .expect("args")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(args[0], "controller");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kds-webhook"));
    cmd.args(&args)
        .env_clear()
        .env("HOME", dir.path())
        .env("KUBECONFIG", dir.path().join("no-such-kubeconfig"));
    for e in container["env"].as_array().expect("env") {
        let name = e["name"].as_str().expect("name");
        let value = e["value"].as_str().unwrap_or("from-the-downward-api");
        cmd.env(name, value);
    }
    let out = cmd.output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "not a usage error: {stderr}");
    assert!(stderr.contains("no cluster connection"), "{stderr}");
}
