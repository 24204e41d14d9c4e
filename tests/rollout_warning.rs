//! The validating webhook's rollout warning on UPDATE: the one-line summary `kds-webhook diff`
//! prints, sent as an admission warning so that `kubectl apply` shows it.

use kds_webhook::admission::{self, Context, Webhook};
use serde_json::{Value, json};

const UPDATE: &str = include_str!("fixtures/reviews/update-seed.json");
const CREATE: &str = include_str!("fixtures/reviews/create-seed.json");

fn warnings(body: &Value, webhook: Webhook) -> Vec<String> {
    let reply = admission::review(
        &serde_json::to_vec(body).expect("json"),
        webhook,
        &Context::default(),
    );
    let v: Value = serde_json::from_slice(&reply.body).expect("review");
    assert_eq!(v["response"]["allowed"], true, "{v}");
    v["response"]["warnings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn rollout(ws: &[String]) -> Vec<&String> {
    ws.iter().filter(|w| w.starts_with("rollout: ")).collect()
}

#[test]
fn an_image_update_warns_that_every_pod_restarts() {
    let body: Value = serde_json::from_str(UPDATE).expect("fixture");
    let ws = warnings(&body, Webhook::Validate);
    assert_eq!(
        rollout(&ws),
        vec![
            "rollout: pod template changes (image): every node's pod restarts, 1 at a time \
             (maxUnavailable 1)"
        ],
        "{ws:?}"
    );
}

#[test]
fn only_an_update_that_changes_something_warns_and_only_on_validate() {
    let mut same: Value = serde_json::from_str(UPDATE).expect("fixture");
    same["request"]["oldObject"] = same["request"]["object"].clone();
    assert!(rollout(&warnings(&same, Webhook::Validate)).is_empty());

    let create: Value = serde_json::from_str(CREATE).expect("fixture");
    assert!(rollout(&warnings(&create, Webhook::Validate)).is_empty());

    let body: Value = serde_json::from_str(UPDATE).expect("fixture");
    assert!(rollout(&warnings(&body, Webhook::Mutate)).is_empty());
}

#[test]
fn a_companion_only_update_says_no_pod_restarts() {
    let mut body: Value = serde_json::from_str(UPDATE).expect("fixture");
    body["request"]["object"] = body["request"]["oldObject"].clone();
    body["request"]["object"]["spec"]["config_maps"] = json!({"fluentd-extra": "a: 1\n"});
    body["request"]["oldObject"]["spec"]["config_maps"] = json!({"fluentd-extra": "a: 2\n"});
    let ws = warnings(&body, Webhook::Validate);
    assert_eq!(
        rollout(&ws),
        vec!["rollout: no pod restarts; only ConfigMap/logging/fluentd-extra changes"],
        "{ws:?}"
    );
}

/// A stored object that is now invalid (admitted while the webhook was down, or refused by a
/// policy changed since) must still take metadata-only updates, or its finalizer could never
/// be removed and a delete would hang; a spec change is still refused.
#[test]
fn a_metadata_only_update_of_an_invalid_object_is_admitted_with_a_warning() {
    let mut body: Value = serde_json::from_str(UPDATE).expect("fixture");
    let bad = json!(70000);
    body["request"]["object"]["spec"]["container"]["app"]["ports"][0]["container_port"] =
        bad.clone();
    body["request"]["oldObject"] = body["request"]["object"].clone();
    body["request"]["object"]["metadata"]["finalizers"] = json!([]);
    let ws = warnings(&body, Webhook::Validate);
    assert!(
        ws[0].starts_with("spec unchanged but invalid: spec.container.app.ports[0].container_port"),
        "{ws:?}"
    );

    body["request"]["object"]["spec"]["container"]["app"]["image"]["tag"] = json!("v2");
    let reply = admission::review(
        &serde_json::to_vec(&body).expect("json"),
        Webhook::Validate,
        &Context::default(),
    );
    let v: Value = serde_json::from_slice(&reply.body).expect("review");
    assert_eq!(
        v["response"]["allowed"], false,
        "a spec change is judged: {v}"
    );
}
