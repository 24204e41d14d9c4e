//! A mocked API server for the Lease: recorded answers, request helpers, and a stateful fake
//! Lease endpoint that answers in the recorded shapes (201/200/404/409).

use std::sync::{Arc, Mutex};

use http::{Method, Request, Response, StatusCode};
use kube::client::Body;
use serde_json::{Value, json};
use tokio::time::Instant;
use tower_test::mock::{Handle, SendResponse};

pub type MockHandle = Handle<Request<Body>, Response<Body>>;

pub const NAMESPACE: &str = "kds-rec";
pub const NAME: &str = "kds-controller";
pub const LEASES: &str = "/apis/coordination.k8s.io/v1/namespaces/kds-rec/leases";
pub const LEASE: &str = "/apis/coordination.k8s.io/v1/namespaces/kds-rec/leases/kds-controller";

/// One recorded exchange, by its number.
pub fn recording(number: u32) -> Value {
    let text = match number {
        16 => include_str!("../fixtures/apiserver-recordings/16-status-ssa-undeclared-fields.json"),
        30 => include_str!("../fixtures/apiserver-recordings/30-lease-create.json"),
        31 => include_str!("../fixtures/apiserver-recordings/31-lease-update.json"),
        32 => include_str!("../fixtures/apiserver-recordings/32-lease-update-stale.json"),
        35 => include_str!("../fixtures/apiserver-recordings/35-error-get-missing.json"),
        36 => include_str!("../fixtures/apiserver-recordings/36-error-create-already-exists.json"),
        other => panic!("no recording {other} is used here"),
    };
    serde_json::from_str(text).expect("recordings are JSON")
}

/// The recorded 404 of a GET ([35], a DaemonSet), as the server words it for the Lease.
pub fn not_found() -> Value {
    let mut body = recording(35)["response"]["body"].clone();
    body["message"] = json!(format!("leases.coordination.k8s.io \"{NAME}\" not found"));
    body["details"] = json!({"name": NAME, "group": "coordination.k8s.io", "kind": "leases"});
    body
}

/// The recorded 409 AlreadyExists ([36], a ConfigMap), as the server words it for the Lease.
pub fn already_exists() -> Value {
    let mut body = recording(36)["response"]["body"].clone();
    body["message"] = json!(format!(
        "leases.coordination.k8s.io \"{NAME}\" already exists"
    ));
    body["details"] = json!({"name": NAME, "group": "coordination.k8s.io", "kind": "leases"});
    body
}

/// A response with a JSON body.
pub fn respond(send: SendResponse<Response<Body>>, status: u16, body: &Value) {
    let response = Response::builder()
        .status(StatusCode::from_u16(status).expect("valid status"))
        .header("content-type", "application/json")
        .body(Body::from(
            serde_json::to_vec(body).expect("body serialises"),
        ))
        .expect("response builds");
    send.send_response(response);
}

/// The next request's method, path and JSON body (`Null` when it has none).
pub async fn next(
    handle: &mut MockHandle,
) -> (Method, String, Value, SendResponse<Response<Body>>) {
    let (request, send) = handle
        .next_request()
        .await
        .expect("the elector sends a request");
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    // Like every recorded Lease call ([30]–[32]): no fieldManager, no dryRun, no query at all.
    let query = request.uri().query().unwrap_or_default();
    assert_eq!(query, "", "{method} {path} carries no query");
    let bytes = request
        .into_body()
        .collect_bytes()
        .await
        .expect("body reads");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("request body is JSON")
    };
    (method, path, body, send)
}

/// True for a MicroTime as the server parses it: `2006-01-02T15:04:05.000000Z`, six digits.
pub fn is_micro_time(value: &Value) -> bool {
    const SHAPE: &[u8] = b"0000-00-00T00:00:00.000000Z";
    let Some(text) = value.as_str() else {
        return false;
    };
    text.len() == SHAPE.len()
        && text.bytes().zip(SHAPE).all(|(c, &s)| match s {
            b'0' => c.is_ascii_digit(),
            _ => c == s,
        })
}

/// Asserts the two MicroTime fields of a Lease body are in the server's only accepted form.
pub fn assert_micro_times(body: &Value) {
    for field in ["acquireTime", "renewTime"] {
        let value = &body["spec"][field];
        assert!(
            is_micro_time(value),
            "spec.{field} = {value} is not a six-digit MicroTime"
        );
    }
}

// === impl FakeLease ===

/// One write the fake accepted: who, when (virtual time), and the spec stored.
#[derive(Clone, Debug)]
pub struct Write {
    pub holder: Option<String>,
    pub at: Instant,
    pub spec: Value,
}

/// A single Lease kept as the API server would: optimistic concurrency on resourceVersion.
#[derive(Default)]
pub struct FakeLease {
    pub lease: Option<Value>,
    pub writes: Vec<Write>,
}

impl FakeLease {
    /// Answers one request with the status and body the real server gives in that state.
    pub fn answer(&mut self, method: &Method, path: &str, body: Value) -> (u16, Value) {
        match (method.as_str(), path, &self.lease) {
            ("GET", LEASE, Some(lease)) => (200, lease.clone()),
            ("GET", LEASE, None) | ("PUT", LEASE, None) => (404, not_found()),
            ("POST", LEASES, Some(_)) => (409, already_exists()),
            ("POST", LEASES, None) => {
                let mut stored = recording(30)["response"]["body"].clone();
                stored["spec"] = body["spec"].clone();
                self.store(stored, 201)
            }
            ("PUT", LEASE, Some(lease)) => {
                if body["metadata"]["resourceVersion"] != lease["metadata"]["resourceVersion"] {
                    return (409, recording(32)["response"]["body"].clone());
                }
                let mut stored = lease.clone();
                stored["spec"] = body["spec"].clone();
                let rv: u64 = lease["metadata"]["resourceVersion"]
                    .as_str()
                    .and_then(|rv| rv.parse().ok())
                    .expect("stored resourceVersion is a number");
                stored["metadata"]["resourceVersion"] = json!((rv + 1).to_string());
                self.store(stored, 200)
            }
            other => panic!("unexpected request {other:?}"),
        }
    }

    fn store(&mut self, stored: Value, status: u16) -> (u16, Value) {
        assert_micro_times(&stored);
        self.writes.push(Write {
            holder: stored["spec"]["holderIdentity"].as_str().map(str::to_owned),
            at: Instant::now(),
            spec: stored["spec"].clone(),
        });
        self.lease = Some(stored.clone());
        (status, stored)
    }

    /// The last accepted write by `holder`.
    pub fn last_write_by(&self, holder: &str) -> Option<Write> {
        self.writes
            .iter()
            .rev()
            .find(|w| w.holder.as_deref() == Some(holder))
            .cloned()
    }
}

/// Serves one candidate's connection from the shared fake. While `cut` is set the requests
/// get no answer at all (a partition: the candidate's calls hang until it gives up on them).
pub async fn serve(
    mut handle: MockHandle,
    fake: Arc<Mutex<FakeLease>>,
    cut: Arc<std::sync::atomic::AtomicBool>,
) {
    let mut unanswered = Vec::new();
    while let Some((request, send)) = handle.next_request().await {
        if cut.load(std::sync::atomic::Ordering::SeqCst) {
            unanswered.push(send);
            continue;
        }
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let bytes = request
            .into_body()
            .collect_bytes()
            .await
            .expect("body reads");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("request body is JSON")
        };
        let (status, answer) = fake.lock().expect("fake lock").answer(&method, &path, body);
        respond(send, status, &answer);
    }
}
