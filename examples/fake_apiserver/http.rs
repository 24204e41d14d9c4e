//! The fake API server's HTTP side: routes every request to [`State::handle`], streams
//! watches as newline-delimited events until their timeout.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use super::api::{Answer, State};

type Body = BoxBody<Bytes, Infallible>;

/// Serves until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<State>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(route(&state, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

fn json_response(code: u16, body: &Value) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())).boxed())
        .unwrap_or_default()
}

async fn route(state: &Arc<State>, req: Request<Incoming>) -> Response<Body> {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let query: BTreeMap<String, String> = req
        .uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.replace("%2C", ",").replace("%2F", "/")))
        .collect();
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (content_type, accept) = (header("content-type"), header("accept"));
    let bytes = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body = (!bytes.is_empty())
        .then(|| serde_json::from_slice(&bytes).ok())
        .flatten();
    let answer = state.handle(&method, &path, &query, &content_type, &accept, body);
    if std::env::var_os("FAKE_APISERVER_LOG").is_some() {
        let code = match &answer {
            Answer::Json(code, _) => *code,
            Answer::Watch { .. } => 0,
        };
        eprintln!("fake-apiserver: {method} {path} {query:?} -> {code}");
    }
    match answer {
        Answer::Json(code, body) => json_response(code, &body),
        Answer::Watch {
            resource,
            namespace,
            labels,
            since,
            metadata_only,
            timeout,
        } => {
            let state = state.clone();
            let deadline = Instant::now() + timeout;
            let stream = futures::stream::unfold((since, false), move |(since, done)| {
                let (state, resource, namespace, labels) = (
                    state.clone(),
                    resource.clone(),
                    namespace.clone(),
                    labels.clone(),
                );
                async move {
                    if done {
                        return None;
                    }
                    loop {
                        let notified = state.changed.notified();
                        let (changes, current) =
                            state.changes(&resource, namespace.as_deref(), &labels, since);
                        if !changes.is_empty() {
                            let mut out = String::new();
                            let mut last = since;
                            for c in changes {
                                let object = if metadata_only {
                                    json!({"kind": "PartialObjectMetadata",
                                            "apiVersion": "meta.k8s.io/v1",
                                            "metadata": c.object["metadata"]})
                                } else {
                                    c.object
                                };
                                out.push_str(
                                    &json!({"type": c.kind, "object": object}).to_string(),
                                );
                                out.push('\n');
                                last = c.rv;
                            }
                            return Some((Ok(Frame::data(Bytes::from(out))), (last, false)));
                        }
                        let left = deadline.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            let bookmark = json!({"type": "BOOKMARK", "object": {
                                    "kind": "Bookmark", "apiVersion": "v1",
                                    "metadata": {"resourceVersion": current.to_string()}}});
                            let line = format!("{bookmark}\n");
                            return Some((Ok(Frame::data(Bytes::from(line))), (current, true)));
                        }
                        let _ = tokio::time::timeout(left, notified).await;
                    }
                }
            });
            Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(BodyExt::boxed(StreamBody::new(stream)))
                .unwrap_or_default()
        }
    }
}

/// A kubeconfig pointing at the fake (plain HTTP, no credentials).
pub fn kubeconfig(addr: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://{addr}\n\
         users:\n- name: fake\n  user: {{}}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n\
         current-context: fake\n"
    )
}

/// The `i`-th KubernetesDaemonSet of the benchmark: the node exporter example, renamed,
/// deploying into its own namespace `bench`.
pub fn sample(i: usize) -> Value {
    json!({
        "apiVersion": "kubernetes.project-planton.org/v1",
        "kind": "KubernetesDaemonSet",
        "metadata": {"name": format!("agent-{i:04}"), "namespace": "bench"},
        "spec": {
            "namespace": {"value": "bench"},
            "container": {"app": {
                "image": {"repo": "quay.io/prometheus/node-exporter", "tag": "v1.8.2"},
                "ports": [{"name": "metrics", "container_port": 9100, "network_protocol": "TCP"}],
                "env": {"variables": {"LOG_LEVEL": {"value": "info"}}},
            }},
            "config_maps": {format!("agent-{i:04}-config"): format!("id: {i}\n")},
        }
    })
}

/// KubernetesDaemonSets whose status says Ready=True.
pub fn ready_count(state: &State) -> usize {
    let list = state.handle(
        "GET",
        "/apis/kubernetes.project-planton.org/v1/kubernetesdaemonsets",
        &BTreeMap::new(),
        "",
        "",
        None,
    );
    let Answer::Json(_, list) = list else {
        return 0;
    };
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|o| {
            o["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
        .count()
}
