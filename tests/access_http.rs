//! The access stage through the real HTTPS listener: `/validate` asks the (mocked) API server
//! only when an object needs it, refuses with 422 Forbidden causes or fails closed with 500,
//! and keeps the synchronous path for everything else.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::common;
use crate::mock;

use std::sync::Arc;
use std::time::Duration;

use common::{Client, H1, fixture_json};
use http::StatusCode;
use kds_webhook::access::AccessChecker;
use mock::{Mode, Rule};
use serde_json::Value;

const TENANT: &str = "system:serviceaccount:team-a:tenant";

fn rules() -> Vec<Rule> {
    vec![Rule {
        subject: "kubeadm:cluster-admins",
        verbs: &["*"],
        groups: &["*"],
        resources: &["*"],
        namespace: None,
    }]
}

/// A server whose access checks go to a mock answering `mode`.
async fn serve(
    mode: Mode,
) -> (
    kds_webhook::server::Running,
    common::Pki,
    Client,
    mock::Mock,
) {
    let pki = common::Pki::new();
    let m = mock::start(mode);
    let mut config = pki.config();
    config.access = Some(Arc::new(AccessChecker::new(
        m.client.clone(),
        Duration::from_secs(10),
    )));
    let running = common::start(config).await;
    let client = Client::connect(
        running.addr(),
        common::client_config(&pki.ca_pem(), H1, None),
    )
    .await
    .unwrap();
    (running, pki, client, m)
}

fn as_tenant(mut review: Value) -> Value {
    review["request"]["userInfo"] = serde_json::json!({
        "username": TENANT,
        "groups": ["system:serviceaccounts", "system:serviceaccounts:team-a", "system:authenticated"],
    });
    review
}

async fn validate(c: &mut Client, review: &Value) -> Value {
    let r = c
        .post("/validate?timeout=5s", serde_json::to_vec(review).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK);
    r.json()
}

#[tokio::test]
async fn the_seed_passes_for_an_admin_and_is_refused_to_a_tenant() {
    let (running, _pki, mut c, m) = serve(Mode::Rbac(rules())).await;
    let seed = fixture_json("create-seed.json");
    let v = validate(&mut c, &seed).await;
    assert_eq!(v["response"]["allowed"], true, "{v}");
    assert_eq!(v["response"]["uid"], seed["request"]["uid"]);
    assert_eq!(m.calls(), 1, "create namespaces, for kubernetes-admin");

    let v = validate(&mut c, &as_tenant(seed.clone())).await;
    let r = &v["response"];
    assert_eq!(r["allowed"], false, "{v}");
    assert_eq!(r["uid"], seed["request"]["uid"]);
    assert_eq!(r["status"]["code"], 422);
    assert_eq!(r["status"]["reason"], "Invalid");
    let cause = &r["status"]["details"]["causes"][0];
    assert_eq!(cause["field"], "spec.create_namespace");
    assert_eq!(cause["reason"], "FieldValueForbidden");
    assert!(
        cause["message"].as_str().unwrap().contains(
            r#"user "system:serviceaccount:team-a:tenant" cannot create resource "namespaces""#
        ),
        "{cause}"
    );
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap()
            .starts_with(r#"KubernetesDaemonSet.kubernetes.project-planton.org "fluentd-logger" is invalid: spec.create_namespace: Forbidden: "#)
    );
    assert_eq!(m.calls(), 2);
    let metrics = common::admin_get(running.admin_addr(), "/metrics")
        .await
        .text();
    assert!(metrics.contains(
        r#"kds_webhook_admission_requests_total{webhook="validate",operation="CREATE",outcome="denied"} 1"#
    ));
    running.shutdown();
    running.wait().await;
}

#[tokio::test]
async fn objects_that_stay_home_and_unchanged_specs_are_never_reviewed() {
    let (running, _pki, mut c, m) = serve(Mode::Fail(500, "must not be called")).await;
    let mut seed = as_tenant(fixture_json("create-seed.json"));
    seed["request"]["object"]["spec"]["create_namespace"] = false.into();
    let v = validate(&mut c, &seed).await;
    assert_eq!(v["response"]["allowed"], true, "{v}");
    // An UPDATE that changes only metadata (a finalizer) asks the controller for nothing new.
    let mut update = as_tenant(fixture_json("update-seed.json"));
    let old = update["request"]["oldObject"].clone();
    update["request"]["object"]["spec"] = old["spec"].clone();
    update["request"]["object"]["metadata"]["finalizers"] =
        serde_json::json!(["kubernetes.project-planton.org/cleanup"]);
    let v = validate(&mut c, &update).await;
    assert_eq!(v["response"]["allowed"], true, "{v}");
    // DELETE is never judged.
    let v = validate(&mut c, &as_tenant(fixture_json("delete-seed.json"))).await;
    assert_eq!(v["response"]["allowed"], true, "{v}");
    assert_eq!(m.calls(), 0);
    running.shutdown();
    running.wait().await;
}

#[tokio::test]
async fn a_failed_review_refuses_the_object_and_counts_as_an_error() {
    let (running, _pki, mut c, _m) = serve(Mode::Fail(
        403,
        r#"subjectaccessreviews.authorization.k8s.io is forbidden: User "system:serviceaccount:kds-system:kds-webhook" cannot create resource "subjectaccessreviews""#,
    ))
    .await;
    let v = validate(&mut c, &fixture_json("create-seed.json")).await;
    let r = &v["response"];
    assert_eq!(r["allowed"], false, "{v}");
    assert_eq!(r["status"]["code"], 500);
    assert_eq!(r["status"]["reason"], "InternalError");
    let msg = r["status"]["message"].as_str().unwrap();
    assert!(msg.starts_with("kds-webhook could not check the writer's permissions with the API server, so the object is refused: the API server refused the SubjectAccessReview: 403 Forbidden"), "{msg}");
    let metrics = common::admin_get(running.admin_addr(), "/metrics")
        .await
        .text();
    assert!(metrics.contains(
        r#"kds_webhook_admission_requests_total{webhook="validate",operation="CREATE",outcome="error"} 1"#
    ));
    running.shutdown();
    running.wait().await;
}

#[tokio::test]
async fn without_access_checks_the_seed_is_judged_as_before() {
    let pki = common::Pki::new();
    let running = common::start(pki.config()).await;
    let mut c = Client::connect(
        running.addr(),
        common::client_config(&pki.ca_pem(), H1, None),
    )
    .await
    .unwrap();
    let v = validate(&mut c, &as_tenant(fixture_json("create-seed.json"))).await;
    assert_eq!(v["response"]["allowed"], true);
    running.shutdown();
    running.wait().await;
}
