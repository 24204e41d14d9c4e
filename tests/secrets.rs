//! Secret values never leave the process: not in a denial (which reaches the client, the API
//! server's audit log and CI output), not in a warning, not in the offline CLI's output,
//! whatever shape the malformed secret has.
#![allow(clippy::unwrap_used, missing_docs)]

use kds_webhook::admission::{self, Context, Webhook};
use serde_json::{Value, json};

const MARK: &str = "hunter2-secret";

/// Every `env.secrets` entry is wrong in its own way, and each carries the secret.
fn objects() -> Vec<Value> {
    let secrets = [
        json!({"TOKEN": {"value": MARK, "secret_ref": {"name": "db", "key": "password"}}}),
        json!({"TOKEN": MARK}),
        json!({"TOKEN": {"value": [MARK]}}),
        json!({"TOKEN": {"value": MARK, "colour": MARK}}),
        json!({"BAD NAME=": {"value": MARK}}),
    ];
    secrets
        .into_iter()
        .map(|s| {
            json!({
                "apiVersion": "kubernetes.project-planton.org/v1", "kind": "KubernetesDaemonSet",
                "metadata": {"name": "agent", "namespace": "team-a"},
                "spec": {"namespace": {"value": "team-a"}, "container": {"app": {
                    "image": {"repo": "busybox", "tag": "1.36"}, "env": {"secrets": s}}}}
            })
        })
        .collect()
}

#[test]
fn webhook_replies_never_contain_a_secret_value() {
    for object in objects() {
        let review = json!({
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "u-1", "operation": "CREATE", "name": "agent", "namespace": "team-a",
                "kind": {"group": "kubernetes.project-planton.org", "version": "v1", "kind": "KubernetesDaemonSet"},
                "object": object}
        });
        let body = serde_json::to_vec(&review).unwrap();
        for webhook in [Webhook::Mutate, Webhook::Validate] {
            let reply = admission::review(&body, webhook, &Context::default());
            let text = String::from_utf8_lossy(&reply.body);
            if webhook == Webhook::Validate {
                assert!(
                    text.contains("\"allowed\":false"),
                    "{object} must be denied: {text}"
                );
            }
            assert!(!text.contains(MARK), "secret echoed by {webhook:?}: {text}");
        }
    }
}

#[test]
fn offline_validate_never_prints_a_secret_value() {
    let dir = tempfile::tempdir().unwrap();
    for (i, object) in objects().into_iter().enumerate() {
        let file = dir.path().join(format!("agent-{i}.json"));
        std::fs::write(&file, object.to_string()).unwrap();
        for command in [&["validate"][..], &["render"], &["default", "--patch"]] {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_kds-webhook"))
                .args(command)
                .arg("-f")
                .arg(&file)
                .output()
                .unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            // `default --patch` prints the patch, which carries what the user wrote for a
            // *valid* secret; these are all invalid, so it only prints errors.
            assert!(!text.contains(MARK), "{command:?} on {object}: {text}");
        }
    }
}
