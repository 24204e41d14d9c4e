//! Policy gates through the webhook: enforce denials in the 422 reply with every cause,
//! warn-mode findings as warnings and audit annotations, exempt namespaces, and the
//! per-gate decision metrics on the admin port.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::common;

use common::{H1, fixture_json};
use http::StatusCode;
use kds_webhook::admission::{self, Context, Webhook};
use kds_webhook::policy::Policy;
use serde_json::Value;

fn policy() -> Policy {
    Policy::from_yaml(common::POLICY).unwrap()
}

/// The seed collector (runs as root by default, mounts /var/log and
/// /var/lib/docker/containers read-only) as a CREATE in `namespace`.
fn seed_in(namespace: &str) -> Value {
    let mut review = fixture_json("create-seed.json");
    review["request"]["namespace"] = Value::from(namespace);
    review["request"]["object"]["metadata"]["namespace"] = Value::from(namespace);
    review
}

fn validate(review: &Value, policy: &Policy) -> Value {
    let ctx = Context {
        policy: Some(policy),
        ..Context::default()
    };
    let reply = admission::review(
        &serde_json::to_vec(review).unwrap(),
        Webhook::Validate,
        &ctx,
    );
    assert_eq!(reply.status, StatusCode::OK);
    serde_json::from_slice(&reply.body).unwrap()
}

#[test]
fn an_enforced_gate_denies_with_its_field_and_a_warned_gate_only_warns() {
    let reply = validate(&seed_in("logging"), &policy());
    let response = &reply["response"];
    assert_eq!(response["allowed"], false, "{reply}");
    assert_eq!(response["status"]["code"], 422);
    assert_eq!(response["status"]["reason"], "Invalid");
    let causes = response["status"]["details"]["causes"].as_array().unwrap();
    assert_eq!(causes.len(), 1, "{causes:?}");
    assert_eq!(
        causes[0]["field"],
        "spec.container.app.security_context.run_as_non_root"
    );
    assert_eq!(causes[0]["reason"], "FieldValueForbidden");
    let message = causes[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Forbidden: policy gate privilege (enforce, namespace \"logging\")"),
        "{message}"
    );
    // hostPaths is in warn mode: /var/lib/docker/containers is outside /var/log.
    let warnings: Vec<&str> = response["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    let host_path = warnings
        .iter()
        .find(|w| {
            w.starts_with("spec.container.app.volume_mounts[1].host_path.path: policy hostPaths:")
        })
        .unwrap_or_else(|| panic!("{warnings:?}"));
    assert!(host_path.len() < 120, "{host_path}");
    assert!(
        !warnings.iter().any(|w| w.contains("(policy gate")),
        "{warnings:?}"
    );
    let audit = response["auditAnnotations"]["policy-hostPaths"]
        .as_str()
        .unwrap();
    assert!(audit.contains("volume_mounts[1].host_path.path"), "{audit}");
    assert!(response.get("patch").is_none() && response.get("patchType").is_none());
}

#[test]
fn an_exempt_namespace_is_not_gated() {
    let reply = validate(&seed_in("kube-system"), &policy());
    let response = &reply["response"];
    assert_eq!(response["allowed"], true, "{reply}");
    assert!(
        response
            .get("auditAnnotations")
            .is_none_or(|a| a.as_object().is_none_or(|m| m.is_empty())),
        "{reply}"
    );
}

#[test]
fn the_request_namespace_is_used_when_the_object_omits_it() {
    let mut review = seed_in("logging");
    review["request"]["object"]["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("namespace");
    let reply = validate(&review, &policy());
    let message = reply["response"]["status"]["details"]["causes"][0]["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("namespace \"logging\""), "{message}");
}

#[tokio::test]
async fn decisions_are_counted_per_gate_and_mode() {
    let pki = common::Pki::new();
    let path = pki.dir.path().join("policy.yaml");
    common::write_atomic(&path, common::POLICY.as_bytes());
    let mut config = pki.config();
    config.policy = Some(path);
    let running = common::start(config).await;
    let mut client = common::Client::connect(
        running.addr(),
        common::client_config(&pki.ca_pem(), H1, None),
    )
    .await
    .unwrap();
    let reply = client
        .post(
            "/validate",
            serde_json::to_vec(&seed_in("logging")).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(reply.status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(body["response"]["allowed"], false);
    let metrics = common::admin_get(running.admin_addr(), "/metrics").await;
    let text = String::from_utf8_lossy(&metrics.body);
    for series in [
        r#"kds_webhook_policy_decisions_total{gate="privilege",mode="enforce",outcome="violated"} 1"#,
        r#"kds_webhook_policy_decisions_total{gate="hostPaths",mode="warn",outcome="violated"} 1"#,
        r#"kds_webhook_admission_requests_total{webhook="validate",operation="CREATE",outcome="denied"} 1"#,
    ] {
        assert!(text.contains(series), "{series} missing from\n{text}");
    }
    running.shutdown();
    running.wait().await;
}
