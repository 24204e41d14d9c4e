//! A mock API server for SubjectAccessReviews, in kube-rs's tower-test pattern
//! (`tower_test::mock::pair` + `kube::Client::new`), answering in the recorded shape: 201, the
//! spec echoed, `status: {allowed, reason}` (`reason` only when allowed).

#![allow(dead_code, clippy::unwrap_used)]
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::{Request, Response, StatusCode};
use http_body_util::BodyExt as _;
use kube::client::Body;
use serde_json::{Value, json};

/// One RBAC rule held by a user or group; `*` matches anything, `namespace: None` is
/// cluster-wide (a ClusterRoleBinding).
#[derive(Clone, Debug)]
pub struct Rule {
    pub subject: &'static str,
    pub verbs: &'static [&'static str],
    pub groups: &'static [&'static str],
    pub resources: &'static [&'static str],
    pub namespace: Option<&'static str>,
}

/// How the mock answers.
#[derive(Clone, Debug)]
pub enum Mode {
    /// Decide by the rules.
    Rbac(Vec<Rule>),
    /// Answer every review with this status and a Status body.
    Fail(u16, &'static str),
    /// Never answer.
    Hang,
    /// Answer 201 without a status.
    NoStatus,
}

/// The mock's client and how many reviews it received.
pub struct Mock {
    pub client: kube::Client,
    pub calls: Arc<AtomicUsize>,
    pub seen: Arc<std::sync::Mutex<Vec<Value>>>,
}

impl Mock {
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

fn matches(list: &[&str], v: &str) -> bool {
    list.iter().any(|x| *x == "*" || *x == v)
}

/// Whether `rules` allow the review `spec` (RBAC semantics: a requested `*` only matches a
/// rule's `*`, because `*` == `*` is the only match for it).
pub fn decide(rules: &[Rule], spec: &Value) -> Option<String> {
    let user = spec["user"].as_str().unwrap_or_default();
    let groups: Vec<&str> = spec["groups"]
        .as_array()
        .map(|g| g.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let a = &spec["resourceAttributes"];
    let s = |k: &str| a[k].as_str().unwrap_or_default().to_owned();
    let mut resource = s("resource");
    if !s("subresource").is_empty() {
        resource = format!("{resource}/{}", s("subresource"));
    }
    rules
        .iter()
        .find(|r| {
            (r.subject == user || groups.contains(&r.subject))
                && matches(r.verbs, &s("verb"))
                && matches(r.groups, &s("group"))
                && matches(r.resources, &resource)
                && r.namespace.is_none_or(|ns| ns == s("namespace"))
        })
        .map(|r| format!("RBAC: allowed by a binding to {:?}", r.subject))
}

/// Starts the mock; it answers until the client is dropped.
pub fn start(mode: Mode) -> Mock {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (c, s) = (calls.clone(), seen.clone());
    tokio::spawn(async move {
        while let Some((req, send)) = handle.next_request().await {
            c.fetch_add(1, Ordering::SeqCst);
            assert_eq!(req.method(), http::Method::POST);
            assert_eq!(
                req.uri().path(),
                "/apis/authorization.k8s.io/v1/subjectaccessreviews"
            );
            let body = req.into_body().collect().await.unwrap().to_bytes();
            let review: Value = serde_json::from_slice(&body).unwrap();
            s.lock().unwrap().push(review.clone());
            let (code, answer) = match &mode {
                Mode::Hang => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    continue;
                }
                Mode::Fail(code, message) => (
                    *code,
                    json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
                           "message": message, "reason": "Forbidden", "code": code}),
                ),
                Mode::NoStatus => (
                    201,
                    json!({"kind":"SubjectAccessReview",
                    "apiVersion":"authorization.k8s.io/v1","metadata":{},"spec": review["spec"]}),
                ),
                Mode::Rbac(rules) => {
                    let status = match decide(rules, &review["spec"]) {
                        Some(reason) => json!({"allowed": true, "reason": reason}),
                        None => json!({"allowed": false}),
                    };
                    (
                        201,
                        json!({"kind":"SubjectAccessReview",
                        "apiVersion":"authorization.k8s.io/v1",
                        "metadata":{"managedFields":[{"manager":"curl","operation":"Update"}]},
                        "spec": review["spec"], "status": status}),
                    )
                }
            };
            let rsp = Response::builder()
                .status(StatusCode::from_u16(code).unwrap())
                .header("content-type", "application/json")
                .body(Body::from(serde_json::to_vec(&answer).unwrap()))
                .unwrap();
            send.send_response(rsp);
        }
    });
    Mock {
        client: kube::Client::new(service, "default"),
        calls,
        seen,
    }
}
