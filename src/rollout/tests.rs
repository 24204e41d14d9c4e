use serde_json::Value;

use super::fields::diff_object;
use super::*;
use crate::engine;

const LOG_SHIPPER: &str = include_str!("../../examples/log-shipper.yaml");

/// The example, edited at JSON pointers, defaulted and expanded.
fn expansion(edits: &[(&str, Value)]) -> Expansion {
    let mut raw = crate::manifest::parse_documents(LOG_SHIPPER)
        .expect("yaml")
        .remove(0);
    for (pointer, v) in edits {
        let (parent, leaf) = pointer.rsplit_once('/').expect("pointer");
        let slot = raw
            .pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .expect("parent exists");
        slot.insert(leaf.to_owned(), v.clone());
    }
    let kds = crate::manifest::decode(raw).expect("decodes");
    let checked = engine::check(kds, None);
    assert!(checked.is_valid(), "{}", checked.errors);
    engine::render(&checked).expect("expands")
}

fn strategy(max_unavailable: Value, max_surge: Value) -> (&'static str, Value) {
    (
        "/spec/update_strategy",
        serde_json::json!({"type": "RollingUpdate",
            "rolling_update": {"max_unavailable": max_unavailable, "max_surge": max_surge}}),
    )
}

#[test]
fn an_image_change_restarts_every_pod_one_node_at_a_time() {
    let old = expansion(&[]);
    let new = expansion(&[(
        "/spec/container/app/image/tag",
        Value::from("0.42.0-distroless-libc"),
    )]);
    let p = preview(&old, &new);
    assert!(p.restarts_pods());
    assert_eq!(
        p.template_fields,
        vec!["spec.template.spec.containers[daemonset-container].image"]
    );
    let ds = p
        .objects
        .iter()
        .find(|o| o.object.starts_with("DaemonSet/"))
        .expect("the DaemonSet changes");
    assert_eq!(ds.change, ObjectChange::Changed);
    assert_eq!(
        ds.fields[0].new.as_deref(),
        Some("\"timberio/vector:0.42.0-distroless-libc\"")
    );
    assert_eq!(
        p.summary(Some(40)),
        "rollout: pod template changes (image): every node's pod restarts, 1 at a time \
         (maxUnavailable 1): 40 sequential restarts on 40 nodes"
    );
    let line = p.summary(None);
    assert!(line.chars().count() < 120, "{line}");
    assert!(line.contains("1 at a time (maxUnavailable 1"), "{line}");
}

#[test]
fn an_env_change_names_env() {
    let old = expansion(&[]);
    let new = expansion(&[(
        "/spec/container/app/env/variables/VECTOR_LOG",
        serde_json::json!({"value": "debug"}),
    )]);
    let p = preview(&old, &new);
    assert_eq!(
        p.template_fields,
        vec!["spec.template.spec.containers[daemonset-container].env[VECTOR_LOG].value"]
    );
    assert!(
        p.summary(None)
            .starts_with("rollout: pod template changes (env): every node's pod restarts"),
        "{}",
        p.summary(None)
    );
}

#[test]
fn a_config_map_change_touches_only_the_companion() {
    let old = expansion(&[]);
    let new = expansion(&[(
        "/spec/config_maps/vector-config",
        Value::from("data_dir: /var/lib/vector\n"),
    )]);
    let p = preview(&old, &new);
    assert!(!p.restarts_pods());
    assert_eq!(p.objects.len(), 1, "{:?}", p.objects);
    assert_eq!(
        p.summary(Some(40)),
        "rollout: no pod restarts; only ConfigMap/observability/vector-config changes"
    );
}

#[test]
fn the_pace_follows_the_strategy() {
    let old = expansion(&[]);
    let tag = (
        "/spec/container/app/image/tag",
        Value::from("0.42.0-distroless-libc"),
    );
    let p = preview(
        &old,
        &expansion(&[tag.clone(), strategy(Value::from("25%"), Value::from(0))]),
    );
    assert_eq!(
        p.waves(40),
        Some(Waves {
            per_wave: 10,
            waves: 4,
            surge: false
        })
    );
    // Percentages round up: 25% of 41 nodes is 11 at a time, 4 waves.
    assert_eq!(p.waves(41).map(|w| (w.per_wave, w.waves)), Some((11, 4)));
    assert!(
        p.summary(None)
            .contains("25% of nodes at a time (maxUnavailable"),
        "{}",
        p.summary(None)
    );
    let p = preview(
        &old,
        &expansion(&[tag.clone(), strategy(Value::from(0), Value::from(2))]),
    );
    assert_eq!(
        p.waves(40),
        Some(Waves {
            per_wave: 2,
            waves: 20,
            surge: true
        })
    );
    assert!(
        p.summary(Some(40))
            .ends_with("2 at a time (maxSurge 2, new pod beside the old): 20 waves on 40 nodes"),
        "{}",
        p.summary(Some(40))
    );
    let p = preview(
        &old,
        &expansion(&[
            tag,
            (
                "/spec/update_strategy",
                serde_json::json!({"type": "OnDelete"}),
            ),
        ]),
    );
    assert_eq!(p.waves(40), None);
    assert!(
        p.summary(Some(40)).contains("OnDelete"),
        "{}",
        p.summary(None)
    );
}

#[test]
fn identical_versions_change_nothing_and_secrets_are_never_shown() {
    assert!(preview(&expansion(&[]), &expansion(&[])).is_empty());
    let mut a =
        serde_json::json!({"kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "c2VjcmV0"}});
    let mut b =
        serde_json::json!({"kind": "Secret", "metadata": {"name": "t"}, "data": {"k": "b3RoZXI="}});
    let mut out = Vec::new();
    diff_object(&a, &b, &mut out);
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[0].path, "data.k");
    assert_eq!(out[0].new.as_deref(), Some("(secret value, not shown)"));
    assert_eq!(
        out[1].new.as_deref(),
        Some("\"t\""),
        "other fields are shown"
    );
    a["kind"] = Value::from("ConfigMap");
    b["kind"] = Value::from("ConfigMap");
    out.clear();
    diff_object(&a, &b, &mut out);
    assert_eq!(
        out[0].new.as_deref(),
        Some("\"b3RoZXI=\""),
        "a ConfigMap's data is shown"
    );
}
