use serde_json::{Value, json};

use super::*;
use crate::defaulting::apply_defaults;
use crate::manifest;

/// A defaulted object with a minimal valid app plus `extra` merged into `spec`.
fn mk(extra: Value) -> KubernetesDaemonSet {
    let mut spec = json!({
        "namespace": {"value": "ops"},
        "container": {"app": {"image": {"repo": "ghcr.io/acme/agent", "tag": "1.0"}}},
    });
    merge(&mut spec, extra);
    let mut kds = manifest::decode(json!({
        "apiVersion": crate::api::API_VERSION, "kind": crate::api::KIND,
        "metadata": {"name": "agent"}, "spec": spec,
    }))
    .expect("decodes");
    apply_defaults(&mut kds);
    kds
}

fn merge(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(b), Value::Object(e)) => {
            for (k, v) in e {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, e) => *b = e,
    }
}

fn ds(kds: &KubernetesDaemonSet) -> Value {
    let e = expand(kds).expect("expands");
    serde_json::to_value(&e.daemon_set).expect("json")
}

fn pod(kds: &KubernetesDaemonSet) -> Value {
    ds(kds)["spec"]["template"]["spec"].clone()
}

fn app(kds: &KubernetesDaemonSet) -> Value {
    pod(kds)["containers"][0].clone()
}

#[test]
fn missing_app_container_is_an_error() {
    let mut kds = mk(json!({}));
    kds.spec.container = None;
    assert_eq!(
        expand(&kds).map(|_| ()),
        Err(ExpandError::MissingAppContainer)
    );
}

#[test]
fn selector_is_unique_and_matches_the_template_labels() {
    let d = ds(&mk(json!({})));
    assert_eq!(
        d["spec"]["selector"],
        json!({"matchLabels": {"planton.ai/kind": "KubernetesDaemonSet", "planton.ai/name": "agent"}})
    );
    let labels = d["spec"]["template"]["metadata"]["labels"]
        .as_object()
        .expect("labels");
    for (k, v) in d["spec"]["selector"]["matchLabels"]
        .as_object()
        .expect("match")
    {
        assert_eq!(labels.get(k), Some(v));
    }
    assert_eq!(labels.get("app").and_then(Value::as_str), Some("daemonset"));
}

#[test]
fn objects_come_in_apply_order_with_kinds() {
    let kds = mk(json!({
        "create_namespace": true,
        "config_maps": {"b": "2", "a": "1"},
        "create_service_account": true,
        "rbac": {"cluster_rules": [{"api_groups": [""], "resources": ["pods"], "verbs": ["get"]}],
                 "namespace_rules": [{"api_groups": [""], "resources": ["configmaps"], "verbs": ["get"]}]},
        "container": {"app": {"env": {"secrets": {"TOKEN": {"value": "t"}}}}},
    }));
    let kinds: Vec<String> = expand(&kds)
        .expect("expands")
        .objects()
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["kind"].as_str().unwrap_or("?"),
                o["metadata"]["name"].as_str().unwrap_or("?")
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "Namespace/ops",
            "ConfigMap/a",
            "ConfigMap/b",
            "ServiceAccount/agent",
            "ClusterRole/kds:ops:agent",
            "ClusterRoleBinding/kds:ops:agent",
            "Role/agent",
            "RoleBinding/agent",
            "Secret/agent-env-secrets",
            "DaemonSet/agent",
        ]
    );
}

#[test]
fn service_account_name_only_when_there_is_one() {
    assert_eq!(pod(&mk(json!({}))).get("serviceAccountName"), None);
    assert_eq!(
        pod(&mk(json!({"create_service_account": true})))["serviceAccountName"],
        "agent"
    );
    assert_eq!(
        pod(&mk(json!({"service_account_name": "existing"})))["serviceAccountName"],
        "existing"
    );
}

#[test]
fn rbac_binds_the_pods_service_account_and_needs_one() {
    let rules =
        json!({"cluster_rules": [{"api_groups": [""], "resources": ["pods"], "verbs": ["list"]}]});
    let none = expand(&mk(json!({"rbac": rules}))).expect("expands");
    assert!(
        none.companions.cluster_role.is_none() && none.companions.cluster_role_binding.is_none()
    );
    let named = expand(&mk(
        json!({"rbac": rules, "service_account_name": "existing"}),
    ))
    .expect("expands");
    let binding = serde_json::to_value(named.companions.cluster_role_binding).expect("json");
    assert_eq!(
        binding["subjects"],
        json!([{"kind": "ServiceAccount", "name": "existing", "namespace": "ops"}])
    );
    assert_eq!(
        binding["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kds:ops:agent"})
    );
}

#[test]
fn rolling_update_values_use_intstr_parse() {
    let d = ds(&mk(
        json!({"update_strategy": {"rolling_update": {"max_unavailable": "10%", "max_surge": "0"}}}),
    ));
    assert_eq!(
        d["spec"]["updateStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%", "maxSurge": 0}})
    );
    for (given, want) in [
        (json!("1"), json!(1)),
        (json!("+5"), json!(5)),
        (json!("007"), json!(7)),
        (json!("2147483648"), json!("2147483648")),
        (json!(3), json!(3)),
        (json!("abc"), json!("abc")),
    ] {
        let d = ds(&mk(
            json!({"update_strategy": {"rolling_update": {"max_unavailable": given, "max_surge": 0}}}),
        ));
        assert_eq!(
            d["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"],
            want
        );
    }
}

#[test]
fn on_delete_has_no_rolling_update() {
    let d = ds(&mk(
        json!({"update_strategy": {"type": "OnDelete", "rolling_update": {"max_unavailable": "1"}}}),
    ));
    assert_eq!(d["spec"]["updateStrategy"], json!({"type": "OnDelete"}));
}

#[test]
fn security_context_is_presence_based() {
    let a = app(&mk(json!({"container": {"app": {"security_context": {
        "run_as_user": 0, "run_as_group": 0, "privileged": false,
        "read_only_root_filesystem": false, "run_as_non_root": false,
        "capabilities": {"add": ["NET_ADMIN"], "drop": []},
    }}}})));
    assert_eq!(
        a["securityContext"],
        json!({"runAsUser": 0, "runAsGroup": 0, "privileged": false, "readOnlyRootFilesystem": false,
               "runAsNonRoot": false, "capabilities": {"add": ["NET_ADMIN"]}})
    );
}

#[test]
fn env_order_builtins_variables_then_secrets() {
    let a = app(&mk(json!({"container": {"app": {"env": {
        "variables": {"Z": {"value": "z"}, "A": {"value": ""}, "REF": {"value_from": {"name": "x"}}},
        "secrets": {"S2": {"secret_ref": {"name": "db", "key": "pw"}}, "S1": {"value": "v"}, "EMPTY": {}},
    }}}})));
    let names: Vec<&str> = a["env"]
        .as_array()
        .expect("env")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "HOSTNAME",
            "K8S_POD_ID",
            "K8S_NODE_NAME",
            "A",
            "Z",
            "S1",
            "S2"
        ]
    );
    assert_eq!(
        a["env"][0],
        json!({"name": "HOSTNAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}})
    );
    assert_eq!(a["env"][3], json!({"name": "A", "value": ""}));
    assert_eq!(
        a["env"][5]["valueFrom"],
        json!({"secretKeyRef": {"name": "agent-env-secrets", "key": "S1"}})
    );
    assert_eq!(
        a["env"][6]["valueFrom"],
        json!({"secretKeyRef": {"name": "db", "key": "pw"}})
    );
}

#[test]
fn a_user_variable_replaces_the_builtin_of_the_same_name() {
    let a = app(&mk(
        json!({"container": {"app": {"env": {"variables": {"HOSTNAME": {"value": "h"}}}}}}),
    ));
    let hostnames: Vec<&Value> = a["env"]
        .as_array()
        .expect("env")
        .iter()
        .filter(|e| e["name"] == "HOSTNAME")
        .collect();
    assert_eq!(hostnames, [&json!({"name": "HOSTNAME", "value": "h"})]);
}

#[test]
fn env_secret_holds_only_literal_values() {
    let e = expand(&mk(json!({"container": {"app": {"env": {"secrets": {
        "A": {"value": "a"}, "B": {"secret_ref": {"name": "x", "key": "y"}},
    }}}}})))
    .expect("expands");
    let s = serde_json::to_value(e.companions.env_secret).expect("json");
    assert_eq!(s["type"], "Opaque");
    assert_eq!(s["stringData"], json!({"A": "a"}));
    let e = expand(&mk(json!({}))).expect("expands");
    assert!(e.companions.env_secret.is_none());
}

#[test]
fn pull_secret_sidecars_and_tolerations() {
    let p = pod(&mk(json!({
        "container": {
            "app": {"image": {"pull_secret_name": "regcred"}},
            "sidecars": [{"name": "proxy", "image": "envoy:v1", "ports": [{"name": "admin", "container_port": 9901}],
                          "resources": {"limits": {"cpu": "0.5"}}, "env": [{"name": "A", "value": "1"}]}],
        },
        "tolerations": [{"key": "k", "effect": "NoExecute", "toleration_seconds": 0}, {"operator": "Exists"}],
    })));
    assert_eq!(p["imagePullSecrets"], json!([{"name": "regcred"}]));
    assert_eq!(
        p["containers"][1],
        json!({"name": "proxy", "image": "envoy:v1", "imagePullPolicy": "IfNotPresent",
               "ports": [{"name": "admin", "containerPort": 9901, "protocol": "TCP"}],
               "resources": {"limits": {"cpu": "500m"}}, "env": [{"name": "A", "value": "1"}],
               "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"})
    );
    assert_eq!(
        p["tolerations"],
        json!([{"key": "k", "operator": "Equal", "effect": "NoExecute", "tolerationSeconds": 0}, {"operator": "Exists"}])
    );
}

#[test]
fn probes_render_every_handler() {
    let a = app(&mk(json!({"container": {"app": {
        "liveness_probe": {"http_get": {"port_name": "http", "http_headers": [{"name": "X", "value": "1"}]}},
        "readiness_probe": {"tcp_socket": {"port_number": 8080}, "initial_delay_seconds": 5},
        "startup_probe": {"grpc": {"port": 9090}},
    }}})));
    assert_eq!(
        a["livenessProbe"],
        json!({"httpGet": {"path": "/", "port": "http", "scheme": "HTTP", "httpHeaders": [{"name": "X", "value": "1"}]},
               "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3})
    );
    assert_eq!(a["readinessProbe"]["tcpSocket"], json!({"port": 8080}));
    assert_eq!(a["readinessProbe"]["initialDelaySeconds"], 5);
    assert_eq!(
        a["startupProbe"]["grpc"],
        json!({"port": 9090, "service": ""})
    );
}

#[test]
fn volumes_in_mount_order_with_each_source() {
    let kds = mk(json!({"container": {"app": {"volume_mounts": [
        {"name": "logs", "mount_path": "/var/log", "host_path": "/var/log", "read_only": true},
        {"name": "conf", "mount_path": "/etc/a", "config_map": {"name": "cfg", "key": "cfg"}, "read_only": false},
        {"name": "tls", "mount_path": "/tls", "secret": {"name": "tls"}, "sub_path": "ca"},
        {"name": "tmp", "mount_path": "/tmp", "empty_dir": {"medium": "Memory", "size_limit": "0.5Gi"}},
        {"name": "data", "mount_path": "/data", "pvc": {"claim_name": "c", "read_only": true}},
        {"name": "logs", "mount_path": "/logs2", "host_path": {"path": "/var/log"}},
    ]}}}));
    let p = pod(&kds);
    assert_eq!(
        p["volumes"],
        json!([
            {"name": "logs", "hostPath": {"path": "/var/log", "type": ""}},
            {"name": "conf", "configMap": {"name": "cfg", "items": [{"key": "cfg", "path": "cfg"}], "defaultMode": 420}},
            {"name": "tls", "secret": {"secretName": "tls", "defaultMode": 420}},
            {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "512Mi"}},
            {"name": "data", "persistentVolumeClaim": {"claimName": "c", "readOnly": true}},
        ])
    );
    assert_eq!(
        p["containers"][0]["volumeMounts"],
        json!([
            {"name": "logs", "mountPath": "/var/log", "readOnly": true},
            {"name": "conf", "mountPath": "/etc/a"},
            {"name": "tls", "mountPath": "/tls", "subPath": "ca"},
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "data", "mountPath": "/data"},
            {"name": "logs", "mountPath": "/logs2"},
        ])
    );
}

#[test]
fn api_server_template_defaults_are_present() {
    let d = ds(&mk(json!({})));
    assert_eq!(d["spec"]["revisionHistoryLimit"], 10);
    let p = &d["spec"]["template"]["spec"];
    assert_eq!(p["restartPolicy"], "Always");
    assert_eq!(p["dnsPolicy"], "ClusterFirst");
    assert_eq!(p["schedulerName"], "default-scheduler");
    assert_eq!(p["terminationGracePeriodSeconds"], 30);
    assert_eq!(p["securityContext"], json!({}));
    let c = &p["containers"][0];
    assert_eq!(c["imagePullPolicy"], "IfNotPresent");
    assert_eq!(c["terminationMessagePath"], "/dev/termination-log");
    assert_eq!(c["terminationMessagePolicy"], "File");
    assert_eq!(
        c["resources"],
        json!({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "50m", "memory": "100Mi"}}),
        "canonical quantities; requests never copied from limits"
    );
    assert_eq!(p.get("enableServiceLinks"), None);
}

#[test]
fn companions_are_the_expansion_without_its_daemon_set() {
    for (name, yaml) in crate::controller::fixtures::EXAMPLES {
        let mut kds = crate::controller::fixtures::stored(yaml);
        apply_defaults(&mut kds);
        let full = expand(&kds).expect("expands");
        let companions = companions_of(&kds).expect("companions");
        assert_eq!(full.companions, companions, "{name}");
    }
    let mut kds = mk(json!({}));
    kds.spec.container = None;
    assert!(companions_of(&kds).is_none(), "as expand, no app container");
}
