//! A mocked API server that answers with what a real one was recorded answering.
//!
//! kube-rs's own pattern: `tower_test::mock::pair` gives a `kube::Client` whose every request
//! arrives here; the test takes the requests one by one, asserts method, path, query (as a
//! set: kube orders parameters its own way) and body, and answers with a recorded status and
//! body from `tests/fixtures/apiserver-recordings/`, or with one derived from a recorded body
//! in code (another name, our labels), so that what the server said stays visible.

use std::collections::BTreeMap;
use std::time::Duration;

use http::{Request, Response};
use http_body_util::BodyExt;
use kube::client::Body;
use serde_json::{Value, json};

/// The mock's end of the client.
pub type Handle = tower_test::mock::Handle<Request<Body>, Response<Body>>;

/// A client wired to a mock, and the mock.
pub fn client() -> (kube::Client, Server) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    (kube::Client::new(service, "default"), Server { handle })
}

/// One recorded exchange.
pub struct Recording {
    /// `request`: method, path, query, headers, body.
    pub request: Value,
    /// `response`: status, headers, body.
    pub response: Value,
}

impl Recording {
    /// The recorded response body.
    pub fn body(&self) -> Value {
        self.response["body"].clone()
    }

    /// The recorded response status.
    pub fn status(&self) -> u16 {
        self.response["status"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .expect("a status")
    }
}

/// Recording `NN` (the file whose name starts with that number).
pub fn recording(number: u32) -> Recording {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/apiserver-recordings"
    );
    let prefix = format!("{number:02}-");
    let path = std::fs::read_dir(dir)
        .expect("the recordings")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix))
        })
        .unwrap_or_else(|| panic!("no recording {number}"));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("readable"))
        .expect("valid JSON");
    Recording {
        request: v["request"].clone(),
        response: v["response"].clone(),
    }
}

/// A request as the mock saw it.
pub struct Call {
    /// `GET`, `PATCH`, ...
    pub method: String,
    /// The path without the query.
    pub path: String,
    /// The query parameters.
    pub query: BTreeMap<String, String>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The `Accept` header, if any.
    pub accept: Option<String>,
    /// The body as JSON (`Null` when empty).
    pub body: Value,
    reply: tower_test::mock::SendResponse<Response<Body>>,
}

impl Call {
    /// Answers with `status` and `body`.
    pub fn reply(self, status: u16, body: &Value) {
        let rsp = Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Body::from(serde_json::to_vec(body).expect("serialises")))
            .expect("a response");
        self.reply.send_response(rsp);
    }

    /// Answers with a recording's status and body.
    pub fn reply_recorded(self, r: &Recording) {
        let (status, body) = (r.status(), r.body());
        self.reply(status, &body);
    }

    /// Asserts method, path and query (as a set), and returns the call.
    pub fn expect(self, method: &str, path: &str, query: &[(&str, &str)]) -> Self {
        assert_eq!(
            (self.method.as_str(), self.path.as_str()),
            (method, path),
            "unexpected request {} {}?{:?}",
            self.method,
            self.path,
            self.query
        );
        let want: BTreeMap<String, String> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(self.query, want, "query of {method} {path}");
        self
    }

    /// Asserts that the call is the recorded request (method, path, query as a set, content
    /// type), and returns it.
    pub fn expect_recorded(self, r: &Recording) -> Self {
        let req = &r.request;
        let query: Vec<(String, String)> = parse_query(req["query"].as_str().unwrap_or_default())
            .into_iter()
            .collect();
        let query: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let call = self.expect(
            req["method"].as_str().expect("method"),
            req["path"].as_str().expect("path"),
            &query,
        );
        if let Some(ct) = req["headers"]["content-type"].as_str() {
            assert_eq!(
                call.content_type.as_deref(),
                Some(ct),
                "content type of {}",
                call.path
            );
        }
        call
    }
}

/// The mock's side.
pub struct Server {
    handle: Handle,
}

impl Server {
    /// The next request; fails the test if none comes within 5 s.
    pub async fn next(&mut self) -> Call {
        let (req, reply) = tokio::time::timeout(Duration::from_secs(5), self.handle.next_request())
            .await
            .expect("a request within 5 s")
            .expect("the client is alive");
        let method = req.method().as_str().to_owned();
        let path = req.uri().path().to_owned();
        let query = parse_query(req.uri().query().unwrap_or_default());
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (content_type, accept) = (header("content-type"), header("accept"));
        let bytes = req.into_body().collect().await.expect("a body").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("a JSON body")
        };
        Call {
            method,
            path,
            query,
            content_type,
            accept,
            body,
            reply,
        }
    }

    /// Asserts that no request arrives within `wait`.
    pub async fn expect_silence(&mut self, wait: Duration) {
        if let Ok(Some((req, _))) = tokio::time::timeout(wait, self.handle.next_request()).await {
            panic!("unexpected request {} {}", req.method(), req.uri());
        }
    }
}

fn parse_query(q: &str) -> BTreeMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (unescape(k), unescape(v))
        })
        .collect()
}

fn unescape(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                if let Ok(b) = u8::from_str_radix(hex, 16) {
                    out.push(b);
                    i += 3;
                } else {
                    out.push(b'%');
                    i += 1;
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A `404 NotFound` Status for `plural.group "name"`, in the recorded shape of [35].
pub fn not_found(plural: &str, group: &str, name: &str) -> Value {
    let mut body = recording(35).body();
    let what = if group.is_empty() {
        plural.to_owned()
    } else {
        format!("{plural}.{group}")
    };
    body["message"] = json!(format!("{what} \"{name}\" not found"));
    body["details"] = json!({"name": name, "group": group, "kind": plural});
    if let Some(d) = body["details"].as_object_mut().filter(|_| group.is_empty()) {
        d.remove("group");
    }
    body
}

/// The `PartialObjectMetadata` a metadata GET returns for a recorded object body.
pub fn metadata_of(object: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": object["metadata"].clone(),
    })
}

/// A `200 Success` Status for a delete, in the recorded shape of [40].
pub fn deleted(plural: &str, group: &str, name: &str) -> Value {
    let mut body = recording(40).body();
    body["details"] = json!({"name": name, "group": group, "kind": plural});
    body
}
