use serde_json::{Value, json};

use super::*;
use crate::manifest;

const SEED: &str = include_str!("../../tests/fixtures/specs/seed-fluentd.yaml");

/// Decodes a manifest whose `spec` is given as JSON.
fn mk(spec: Value) -> KubernetesDaemonSet {
    mk_with_meta(json!({"name": "agent"}), spec)
}

fn mk_with_meta(metadata: Value, spec: Value) -> KubernetesDaemonSet {
    manifest::decode(json!({
        "apiVersion": crate::api::API_VERSION,
        "kind": crate::api::KIND,
        "metadata": metadata,
        "spec": spec,
    }))
    .expect("decodes")
}

fn defaulted(spec: Value) -> Value {
    let mut kds = mk(spec);
    apply_defaults(&mut kds);
    manifest::to_value(&kds)["spec"].clone()
}

fn app(spec_app: Value) -> Value {
    json!({"container": {"app": spec_app}})
}

fn resources_of(spec: &Value) -> &Value {
    &spec["container"]["app"]["resources"]
}

#[test]
fn defaults_all_four_resources_when_absent() {
    let out = defaulted(app(json!({"image": {"repo": "r", "tag": "t"}})));
    assert_eq!(
        resources_of(&out),
        &json!({"limits": {"cpu": "1000m", "memory": "1Gi"}, "requests": {"cpu": "50m", "memory": "100Mi"}})
    );
}

#[test]
fn keeps_given_resources_and_fills_each_missing_part() {
    let out = defaulted(app(
        json!({"resources": {"limits": {"cpu": "2"}, "requests": {"memory": "300Mi"}}}),
    ));
    assert_eq!(
        resources_of(&out),
        &json!({"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "50m", "memory": "300Mi"}})
    );
}

#[test]
fn defaulted_request_never_exceeds_the_users_limit() {
    let out = defaulted(app(
        json!({"resources": {"limits": {"cpu": "20m", "memory": "64Mi"}}}),
    ));
    assert_eq!(
        resources_of(&out)["requests"],
        json!({"cpu": "20m", "memory": "64Mi"})
    );
}

#[test]
fn defaulted_limit_is_never_below_the_users_request() {
    let out = defaulted(app(
        json!({"resources": {"requests": {"cpu": "1500m", "memory": "2Gi"}}}),
    ));
    assert_eq!(
        resources_of(&out)["limits"],
        json!({"cpu": "1500m", "memory": "2Gi"})
    );
}

#[test]
fn unparsable_or_negative_counterparts_get_plain_defaults() {
    let out = defaulted(app(
        json!({"resources": {"limits": {"cpu": "lots", "memory": "-1Gi"}}}),
    ));
    assert_eq!(
        resources_of(&out)["requests"],
        json!({"cpu": "50m", "memory": "100Mi"})
    );
}

#[test]
fn no_app_no_resources() {
    let out = defaulted(json!({"container": {}}));
    assert_eq!(out["container"], json!({}));
}

#[test]
fn namespace_from_metadata_namespace() {
    let mut kds = mk_with_meta(json!({"name": "a", "namespace": "ops"}), json!({}));
    apply_defaults(&mut kds);
    assert_eq!(
        kds.spec.namespace.and_then(|n| n.value).as_deref(),
        Some("ops")
    );
}

#[test]
fn given_namespace_is_kept() {
    let mut kds = mk_with_meta(
        json!({"name": "a", "namespace": "ops"}),
        json!({"namespace": {"value": "logging"}}),
    );
    apply_defaults(&mut kds);
    assert_eq!(
        kds.spec.namespace.and_then(|n| n.value).as_deref(),
        Some("logging")
    );
    let mut kds = mk(json!({}));
    apply_defaults(&mut kds);
    assert_eq!(kds.spec.namespace, None, "offline, nothing to take it from");
}

#[test]
fn update_strategy_defaults_to_rolling_update_one_zero() {
    let out = defaulted(json!({}));
    assert_eq!(
        out["update_strategy"],
        json!({"type": "RollingUpdate", "rolling_update": {"max_unavailable": "1", "max_surge": "0"}})
    );
    let out = defaulted(json!({"update_strategy": {"type": ""}}));
    assert_eq!(out["update_strategy"]["type"], "RollingUpdate");
}

#[test]
fn update_strategy_keeps_given_values() {
    let out = defaulted(
        json!({"update_strategy": {"rolling_update": {"max_unavailable": 0, "max_surge": "10%"}}}),
    );
    assert_eq!(
        out["update_strategy"]["rolling_update"],
        json!({"max_unavailable": 0, "max_surge": "10%"})
    );
}

#[test]
fn surge_alone_still_gets_max_unavailable_as_the_api_server_does() {
    let out = defaulted(json!({"update_strategy": {"rolling_update": {"max_surge": 1}}}));
    assert_eq!(
        out["update_strategy"]["rolling_update"],
        json!({"max_unavailable": "1", "max_surge": 1})
    );
}

#[test]
fn on_delete_leaves_rolling_update_alone() {
    let out = defaulted(json!({"update_strategy": {"type": "OnDelete"}}));
    assert_eq!(out["update_strategy"], json!({"type": "OnDelete"}));
    let out = defaulted(
        json!({"update_strategy": {"type": "OnDelete", "rolling_update": {"max_surge": "x"}}}),
    );
    assert_eq!(
        out["update_strategy"]["rolling_update"],
        json!({"max_surge": "x"})
    );
}

#[test]
fn probe_counters_default_when_absent_or_zero() {
    let out = defaulted(app(json!({
        "liveness_probe": {"tcp_socket": {"port_number": 80}},
        "readiness_probe": {"timeout_seconds": 0, "period_seconds": 0, "success_threshold": 0, "failure_threshold": 0, "exec": {"command": ["true"]}},
        "startup_probe": {"initial_delay_seconds": 0, "timeout_seconds": 5, "period_seconds": 7, "success_threshold": 2, "failure_threshold": 9, "grpc": {"port": 9}},
    })));
    let a = &out["container"]["app"];
    let counters = json!({"timeout_seconds": 1, "period_seconds": 10, "success_threshold": 1, "failure_threshold": 3});
    for probe in ["liveness_probe", "readiness_probe"] {
        for (k, v) in counters.as_object().expect("object") {
            assert_eq!(&a[probe][k], v, "{probe}.{k}");
        }
        assert_eq!(a[probe].get("initial_delay_seconds"), None);
    }
    assert_eq!(
        a["startup_probe"],
        json!({"initial_delay_seconds": 0, "timeout_seconds": 5, "period_seconds": 7, "success_threshold": 2, "failure_threshold": 9, "grpc": {"port": 9}})
    );
}

#[test]
fn http_get_path_and_scheme() {
    let out = defaulted(app(json!({
        "liveness_probe": {"http_get": {"port_name": "http"}},
        "readiness_probe": {"http_get": {"port_number": 8080, "path": "/ready", "scheme": "HTTPS"}},
    })));
    let a = &out["container"]["app"];
    assert_eq!(
        a["liveness_probe"]["http_get"],
        json!({"port_name": "http", "path": "/", "scheme": "HTTP"})
    );
    assert_eq!(
        a["readiness_probe"]["http_get"],
        json!({"port_number": 8080, "path": "/ready", "scheme": "HTTPS"})
    );
    assert_eq!(a.get("startup_probe"), None, "absent probes stay absent");
}

#[test]
fn toleration_operator_equal_only_with_a_key() {
    let out = defaulted(json!({"tolerations": [
        {"key": "k", "value": "v"},
        {"key": "k", "operator": "Exists"},
        {"effect": "NoSchedule"},
        {"key": "", "operator": ""},
    ]}));
    assert_eq!(
        out["tolerations"],
        json!([
            {"key": "k", "operator": "Equal", "value": "v"},
            {"key": "k", "operator": "Exists"},
            {"effect": "NoSchedule"},
            {"key": "", "operator": ""},
        ])
    );
}

#[test]
fn config_map_and_secret_mode_and_path() {
    let out = defaulted(app(json!({"volume_mounts": [
        {"name": "a", "mount_path": "/a", "config_map": {"name": "cm", "key": "app.conf"}},
        {"name": "b", "mount_path": "/b", "secret": {"name": "s", "key": "k", "path": "p", "default_mode": 256}},
        {"name": "c", "mount_path": "/c", "secret": {"name": "s"}},
        {"name": "d", "mount_path": "/d", "config_map": {"name": "cm", "default_mode": 0}},
    ]})));
    let m = &out["container"]["app"]["volume_mounts"];
    assert_eq!(
        m[0]["config_map"],
        json!({"name": "cm", "key": "app.conf", "path": "app.conf", "default_mode": 420})
    );
    assert_eq!(
        m[1]["secret"],
        json!({"name": "s", "key": "k", "path": "p", "default_mode": 256})
    );
    assert_eq!(m[2]["secret"], json!({"name": "s", "default_mode": 420}));
    assert_eq!(
        m[3]["config_map"],
        json!({"name": "cm", "default_mode": 0}),
        "a written 0 is kept"
    );
}

#[test]
fn host_path_shorthand_becomes_the_object_form() {
    let out = defaulted(app(json!({"volume_mounts": [
        {"name": "a", "mount_path": "/a", "host_path": "/var/log"},
        {"name": "b", "mount_path": "/b", "host_path": {"path": "/run", "type": "Directory"}},
    ]})));
    let m = &out["container"]["app"]["volume_mounts"];
    assert_eq!(m[0]["host_path"], json!({"path": "/var/log"}));
    assert_eq!(
        m[1]["host_path"],
        json!({"path": "/run", "type": "Directory"})
    );
}

#[test]
fn service_account_name_when_one_is_created() {
    let out = defaulted(json!({"create_service_account": true}));
    assert_eq!(out["service_account_name"], "agent");
    let out = defaulted(json!({"create_service_account": true, "service_account_name": "sa"}));
    assert_eq!(out["service_account_name"], "sa");
    let out = defaulted(json!({"create_service_account": false}));
    assert_eq!(out.get("service_account_name"), None);
}

#[test]
fn defaulting_is_idempotent() {
    for spec in [
        json!({}),
        app(
            json!({"resources": {"limits": {"cpu": "10m"}}, "liveness_probe": {"http_get": {}},
            "volume_mounts": [{"name": "a", "mount_path": "/a", "host_path": "/x"}]}),
        ),
        json!({"update_strategy": {"rolling_update": {"max_surge": "1"}}, "tolerations": [{"key": "a"}]}),
    ] {
        let mut once = mk(spec);
        apply_defaults(&mut once);
        let mut twice = once.clone();
        apply_defaults(&mut twice);
        assert_eq!(manifest::to_value(&once), manifest::to_value(&twice));
    }
}

#[test]
fn the_seed_example_defaults_as_written() {
    let mut kds = manifest::load(SEED)
        .expect("parse")
        .remove(0)
        .decoded
        .expect("decodes");
    apply_defaults(&mut kds);
    let out = manifest::to_value(&kds);
    let expected: Value = serde_json::from_str(
        r#"{
      "apiVersion": "kubernetes.project-planton.org/v1",
      "kind": "KubernetesDaemonSet",
      "metadata": {"name": "fluentd-logger"},
      "spec": {
        "namespace": {"value": "logging"},
        "create_namespace": true,
        "container": {"app": {
          "image": {"repo": "fluent/fluentd-kubernetes-daemonset", "tag": "v1.16-debian-elasticsearch8"},
          "resources": {"limits": {"cpu": "500m", "memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "200Mi"}},
          "volume_mounts": [
            {"name": "varlog", "mount_path": "/var/log", "host_path": {"path": "/var/log"}, "read_only": true},
            {"name": "containers", "mount_path": "/var/lib/docker/containers", "host_path": {"path": "/var/lib/docker/containers"}, "read_only": true}
          ],
          "ports": [{"name": "metrics", "container_port": 24231, "network_protocol": "TCP"}]
        }},
        "tolerations": [{"key": "node-role.kubernetes.io/master", "operator": "Exists", "effect": "NoSchedule"}],
        "update_strategy": {"type": "RollingUpdate", "rolling_update": {"max_unavailable": "1", "max_surge": "0"}}
      }
    }"#,
    )
    .expect("json");
    assert_eq!(out, expected);
}
