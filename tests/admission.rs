//! Admission replies, field by field: the pure `admission::review` on fixture reviews, then
//! the same through the real HTTPS listener, including every refusal code.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::common;

use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{Client, H1, fixture, fixture_json};
use http::StatusCode;
use kds_webhook::admission::{self, Context, Verdict, Webhook};
use kds_webhook::{defaulting, manifest};
use serde_json::{Value, json};

fn review(name: &str, webhook: Webhook) -> (admission::Reply, Value) {
    let reply = admission::review(&fixture(name), webhook, &Context::default());
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let v: Value = serde_json::from_slice(&reply.body).unwrap();
    (reply, v)
}

fn review_value(body: &Value, webhook: Webhook) -> Value {
    let reply = admission::review(
        &serde_json::to_vec(body).unwrap(),
        webhook,
        &Context::default(),
    );
    assert_eq!(reply.status, StatusCode::OK);
    serde_json::from_slice(&reply.body).unwrap()
}

/// The envelope every reply must have, and the uid echoed.
fn assert_envelope(reply: &Value, request: &Value) {
    assert_eq!(reply["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(reply["kind"], "AdmissionReview");
    assert_eq!(reply["response"]["uid"], request["request"]["uid"]);
}

fn assert_no_patch(reply: &Value) {
    let r = reply["response"].as_object().unwrap();
    assert!(!r.contains_key("patch"), "{reply}");
    assert!(!r.contains_key("patchType"), "{reply}");
}

/// Decodes the patch: standard alphabet, padded, a JSON array of operations under /spec.
fn decode_patch(reply: &Value) -> json_patch::Patch {
    assert_eq!(reply["response"]["patchType"], "JSONPatch");
    let b64 = reply["response"]["patch"]
        .as_str()
        .expect("patch is a string");
    assert_eq!(b64.len() % 4, 0, "padded");
    assert!(!b64.contains(['-', '_']), "standard alphabet");
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let patch: json_patch::Patch = serde_json::from_slice(&raw).unwrap();
    for op in serde_json::to_value(&patch).unwrap().as_array().unwrap() {
        assert!(op["path"].as_str().unwrap().starts_with("/spec"), "{op}");
    }
    patch
}

/// What the defaulting engine makes of an object, as a manifest.
fn defaulted(object: &Value) -> Value {
    let mut kds = manifest::decode(object.clone()).unwrap();
    defaulting::apply_defaults(&mut kds);
    manifest::to_value(&kds)
}

/// Applies the reply's patch (if any) to the request object.
fn apply(reply: &Value, object: &Value) -> Value {
    let mut patched = object.clone();
    if reply["response"].get("patch").is_some() {
        json_patch::patch(&mut patched, &decode_patch(reply)).unwrap();
    } else {
        assert_no_patch(reply);
    }
    patched
}

// === pure: /mutate ===

#[test]
fn mutate_create_seed_patches_to_the_defaulted_spec() {
    let req = fixture_json("create-seed.json");
    let (reply, v) = review("create-seed.json", Webhook::Mutate);
    assert_envelope(&v, &req);
    assert_eq!(v["response"]["allowed"], true);
    assert!(v["response"].get("status").is_none(), "{v}");
    let object = &req["request"]["object"];
    let patched = apply(&v, object);
    assert_eq!(patched["spec"], defaulted(object)["spec"]);
    assert_eq!(
        patched["metadata"], object["metadata"],
        "metadata never patched"
    );
    let s = reply.summary.unwrap();
    assert_eq!(s.operation, "CREATE");
    assert_eq!(s.namespace, "logging");
    assert_eq!(s.name, "fluentd-logger");
    assert!(matches!(s.verdict, Verdict::Allowed | Verdict::Patched));
}

#[test]
fn mutate_rewrites_camel_case_with_a_base64_json_patch() {
    let req = fixture_json("create-camel.json");
    let (reply, v) = review("create-camel.json", Webhook::Mutate);
    assert_envelope(&v, &req);
    assert_eq!(v["response"]["allowed"], true);
    let patch = decode_patch(&v);
    assert!(!patch.0.is_empty());
    let object = &req["request"]["object"];
    let patched = apply(&v, object);
    assert_eq!(patched["spec"], defaulted(object)["spec"]);
    assert!(patched["spec"].get("createNamespace").is_none());
    assert_eq!(patched["spec"]["create_namespace"], true);
    assert_eq!(reply.summary.unwrap().verdict, Verdict::Patched);
}

#[test]
fn mutate_sends_no_patch_fields_when_nothing_changes() {
    let mut req = fixture_json("create-seed.json");
    let object = req["request"]["object"].clone();
    req["request"]["object"]["spec"] = defaulted(&object)["spec"].clone();
    let v = review_value(&req, Webhook::Mutate);
    assert_envelope(&v, &req);
    assert_eq!(v["response"]["allowed"], true);
    assert_no_patch(&v);
}

#[test]
fn mutate_denies_an_undecodable_object_with_causes_and_no_patch() {
    let req = fixture_json("create-invalid.json");
    let (_, v) = review("create-invalid.json", Webhook::Mutate);
    assert_envelope(&v, &req);
    assert_invalid(
        &v,
        "broken-agent",
        "spec.container.app.ports[0].container_port",
    );
}

// === pure: /validate ===

#[test]
fn validate_allows_the_seed_without_patch() {
    let req = fixture_json("create-seed.json");
    let (_, v) = review("create-seed.json", Webhook::Validate);
    assert_envelope(&v, &req);
    assert_eq!(v["response"]["allowed"], true, "{v}");
    assert_no_patch(&v);
}

fn assert_invalid(v: &Value, name: &str, field: &str) {
    let r = &v["response"];
    assert_eq!(r["allowed"], false);
    assert_no_patch(v);
    let s = &r["status"];
    assert_eq!(s["code"], 422);
    assert_eq!(s["reason"], "Invalid");
    let prefix =
        format!("KubernetesDaemonSet.kubernetes.project-planton.org \"{name}\" is invalid: ");
    assert!(s["message"].as_str().unwrap().starts_with(&prefix), "{s}");
    assert_eq!(s["details"]["name"], name);
    assert_eq!(s["details"]["group"], "kubernetes.project-planton.org");
    assert_eq!(s["details"]["kind"], "KubernetesDaemonSet");
    let causes = s["details"]["causes"].as_array().unwrap();
    let cause = causes
        .iter()
        .find(|c| c["field"] == field)
        .unwrap_or_else(|| panic!("no cause for {field}: {causes:?}"));
    assert_eq!(cause["reason"], "FieldValueInvalid");
    let msg = cause["message"].as_str().unwrap();
    assert!(msg.starts_with("Invalid value: \"eighty\""), "{msg}");
    assert!(!msg.starts_with(field), "cause message carries no path");
}

#[test]
fn validate_denies_with_422_and_causes() {
    let req = fixture_json("create-invalid.json");
    let (reply, v) = review("create-invalid.json", Webhook::Validate);
    assert_envelope(&v, &req);
    assert_invalid(
        &v,
        "broken-agent",
        "spec.container.app.ports[0].container_port",
    );
    assert_eq!(reply.summary.unwrap().verdict.outcome(), "denied");
}

#[test]
fn update_is_reviewed_by_both_webhooks() {
    let req = fixture_json("update-seed.json");
    for webhook in [Webhook::Mutate, Webhook::Validate] {
        let (reply, v) = review("update-seed.json", webhook);
        assert_envelope(&v, &req);
        assert_eq!(v["response"]["allowed"], true, "{v}");
        assert_eq!(reply.summary.unwrap().operation, "UPDATE");
        if webhook == Webhook::Validate {
            assert_no_patch(&v);
        }
    }
}

#[test]
fn delete_and_other_kinds_are_allowed_untouched() {
    for name in ["delete-seed.json", "other-kind.json"] {
        let req = fixture_json(name);
        for webhook in [Webhook::Mutate, Webhook::Validate] {
            let (reply, v) = review(name, webhook);
            assert_envelope(&v, &req);
            assert_eq!(v["response"]["allowed"], true);
            assert_no_patch(&v);
            assert!(v["response"].get("status").is_none());
            assert_eq!(reply.summary.unwrap().verdict, Verdict::Skipped);
        }
    }
    let mut connect = fixture_json("create-seed.json");
    connect["request"]["operation"] = json!("CONNECT");
    let v = review_value(&connect, Webhook::Mutate);
    assert_eq!(v["response"]["allowed"], true);
    assert_no_patch(&v);
}

#[test]
fn dry_run_behaves_like_a_real_request() {
    for webhook in [Webhook::Mutate, Webhook::Validate] {
        let (real, mut a) = review("create-seed.json", webhook);
        let (dry, mut b) = review("dry-run-create.json", webhook);
        assert!(dry.summary.unwrap().dry_run);
        assert!(!real.summary.unwrap().dry_run);
        a["response"]["uid"] = json!("");
        b["response"]["uid"] = json!("");
        assert_eq!(a, b);
    }
}

#[test]
fn a_create_without_object_is_denied_not_crashed() {
    let mut req = fixture_json("create-seed.json");
    req["request"]["object"] = Value::Null;
    let v = review_value(&req, Webhook::Validate);
    assert_eq!(v["response"]["allowed"], false);
    assert_eq!(v["response"]["status"]["code"], 400);
}

#[test]
fn bodies_that_are_not_reviews_get_400() {
    for body in [
        &b"not json"[..],
        b"{}",
        b"[]",
        br#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1beta1","request":{"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE"}}"#,
        br#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1"}"#,
        b"",
    ] {
        let reply = admission::review(body, Webhook::Mutate, &Context::default());
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(body));
        assert!(reply.summary.is_none());
    }
}

#[test]
fn a_passed_deadline_gives_a_timeout_denial_not_a_late_answer() {
    let ctx = Context {
        policy: None,
        deadline: Some(Instant::now() - Duration::from_millis(1)),
    };
    for webhook in [Webhook::Mutate, Webhook::Validate] {
        let reply = admission::review(&fixture("create-seed.json"), webhook, &ctx);
        let v: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(v["response"]["allowed"], false);
        assert_eq!(v["response"]["status"]["code"], 504);
        assert_eq!(reply.summary.unwrap().verdict.outcome(), "error");
    }
}

// === over HTTPS ===

async fn h1_client(running: &kds_webhook::server::Running, pki: &common::Pki) -> Client {
    Client::connect(
        running.addr(),
        common::client_config(&pki.ca_pem(), H1, None),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn routes_answer_over_https_with_keep_alive() {
    let pki = common::Pki::new();
    let running = common::start(pki.config()).await;
    let mut c = h1_client(&running, &pki).await;
    // Several requests on one HTTP/1.1 connection, with the API server's query string.
    for (path, fixture_name) in [
        ("/mutate?timeout=10s", "create-seed.json"),
        ("/validate?timeout=10s", "create-seed.json"),
        ("/mutate?timeout=5s", "create-camel.json"),
        ("/validate", "create-invalid.json"),
        ("/validate", "delete-seed.json"),
    ] {
        let r = c.post(path, fixture(fixture_name)).await.unwrap();
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.headers["content-type"], "application/json");
        let v = r.json();
        assert_envelope(&v, &fixture_json(fixture_name));
        if path.starts_with("/validate") {
            assert_no_patch(&v);
        }
    }
    let metrics = common::admin_get(running.admin_addr(), "/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    let text = metrics.text();
    for series in [
        r#"kds_webhook_admission_requests_total{webhook="mutate",operation="CREATE",outcome="allowed"} 2"#,
        r#"kds_webhook_admission_requests_total{webhook="validate",operation="CREATE",outcome="denied"} 1"#,
        r#"kds_webhook_admission_requests_total{webhook="validate",operation="DELETE",outcome="allowed"} 1"#,
        "kds_webhook_admission_duration_seconds_bucket{",
        "kds_webhook_admission_in_flight_requests 0",
        "kds_webhook_tls_reloads_total 0",
        "kds_webhook_tls_reload_failures_total 0",
        "kds_webhook_tls_cert_expiry_timestamp_seconds ",
        "kds_webhook_policy_reloads_total 0",
        "kds_webhook_policy_reload_failures_total 0",
    ] {
        assert!(text.contains(series), "missing {series} in\n{text}");
    }
    running.shutdown();
    running.wait().await;
}

#[tokio::test]
async fn bad_requests_get_their_status_codes() {
    let pki = common::Pki::new();
    let mut config = pki.config();
    config.max_body_bytes = 4096;
    let running = common::start(config).await;
    let mut c = h1_client(&running, &pki).await;
    let body = fixture("create-seed.json");

    let r = c.post("/nope", body.clone()).await.unwrap();
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let get = http::Request::get("/mutate")
        .header("host", "x")
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let r = c.send(get).await.unwrap();
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers["allow"], "POST");

    let mut req = common::post_request("/mutate", body.clone());
    req.headers_mut()
        .insert("content-type", "text/plain".parse().unwrap());
    let r = c.send(req).await.unwrap();
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let mut req = common::post_request("/mutate", body.clone());
    req.headers_mut().remove("content-type");
    let r = c.send(req).await.unwrap();
    assert_eq!(r.status, StatusCode::OK, "absent content type is accepted");

    let mut req = common::post_request("/validate", body.clone());
    req.headers_mut().insert(
        "content-type",
        "application/json; charset=utf-8".parse().unwrap(),
    );
    assert_eq!(c.send(req).await.unwrap().status, StatusCode::OK);

    let r = c.post("/mutate", b"{not json".to_vec()).await.unwrap();
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );

    let r = c.post("/mutate", vec![b' '; 5000]).await.unwrap();
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    running.shutdown();
    running.wait().await;
}

#[tokio::test]
async fn an_oversized_declared_body_is_refused_before_it_is_sent() {
    use tokio::io::AsyncWriteExt as _;
    let pki = common::Pki::new();
    let running = common::start(pki.config()).await;
    let mut tls = common::tls_connect(
        running.addr(),
        common::client_config(&pki.ca_pem(), H1, None),
    )
    .await
    .unwrap();
    // 1 GiB declared, nothing sent: a server reading the body would wait forever.
    tls.write_all(
        b"POST /validate?timeout=10s HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n",
    )
    .await
    .unwrap();
    assert_answered_413_without_reading_the_body(&mut tls).await;
    running.shutdown();
    running.wait().await;
}

/// The server's first bytes on a raw HTTP/1.1 connection are a 413 status line, sent within
/// 5 s without waiting for the rest of the body.
async fn assert_answered_413_without_reading_the_body(
    tls: &mut (impl tokio::io::AsyncRead + Unpin),
) {
    use tokio::io::AsyncReadExt as _;
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buf))
        .await
        .expect("answered without reading the body")
        .unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
}

#[tokio::test]
async fn an_oversized_chunked_body_is_cut_off_at_the_limit() {
    use tokio::io::AsyncWriteExt as _;
    let pki = common::Pki::new();
    let mut config = pki.config();
    config.max_body_bytes = 1024;
    let running = common::start(config).await;
    let mut tls = common::tls_connect(
        running.addr(),
        common::client_config(&pki.ca_pem(), H1, None),
    )
    .await
    .unwrap();
    let chunk = vec![b' '; 4096];
    tls.write_all(
        b"POST /mutate HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n1000\r\n",
    )
    .await
    .unwrap();
    tls.write_all(&chunk).await.unwrap();
    tls.write_all(b"\r\n").await.unwrap();
    tls.flush().await.unwrap();
    assert_answered_413_without_reading_the_body(&mut tls).await;
    running.shutdown();
    running.wait().await;
}

#[tokio::test]
async fn the_policy_file_is_reloaded_and_a_bad_one_is_refused() {
    let pki = common::Pki::new();
    let path = pki.dir.path().join("policy.yaml");
    common::write_atomic(&path, common::POLICY.as_bytes());
    let mut config = pki.config();
    config.policy = Some(path.clone());
    let running = common::start(config).await;
    common::write_atomic(&path, format!("{}# edited\n", common::POLICY).as_bytes());
    assert!(
        common::eventually(Duration::from_secs(5), || async {
            running.metrics().policy_reloads.get() == 1
        })
        .await
    );
    common::write_atomic(&path, &[0xff, 0xfe, 0x00]);
    assert!(
        common::eventually(Duration::from_secs(5), || async {
            running.metrics().policy_reload_failures.get() == 1
        })
        .await
    );
    // The last good policy stays in force: reviews still answer.
    let mut c = h1_client(&running, &pki).await;
    common::assert_answers(&mut c, "/validate").await;
    running.shutdown();
    running.wait().await;
}

#[tokio::test]
async fn readyz_livez_and_unknown_admin_paths() {
    let pki = common::Pki::new();
    let running = common::start(pki.config()).await;
    assert_eq!(
        common::admin_get(running.admin_addr(), "/livez")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        common::admin_get(running.admin_addr(), "/readyz")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        common::admin_get(running.admin_addr(), "/x").await.status,
        StatusCode::NOT_FOUND
    );
    let m = common::admin_get(running.admin_addr(), "/metrics").await;
    assert!(
        m.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    assert!(m.text().ends_with("# EOF\n"));
    running.shutdown();
    running.wait().await;
}

#[tokio::test]
async fn a_bad_policy_file_stops_start_up() {
    let pki = common::Pki::new();
    let mut config = pki.config();
    config.policy = Some(pki.dir.path().join("missing-policy.yaml"));
    common::setup();
    let err = kds_webhook::server::start(config).await.unwrap_err();
    assert!(
        matches!(err, kds_webhook::server::Error::Policy(_)),
        "{err}"
    );
}
