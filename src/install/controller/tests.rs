use serde_json::{Value, json};

use crate::install::{self, Options, Tls};

const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

fn mk_opts() -> Options {
    Options::new("kds-system", Tls::CaBundle(CA.to_owned()))
}

fn json<T: serde::Serialize>(obj: &T) -> Value {
    serde_json::to_value(obj).expect("json")
}

fn mk_controller(opts: &Options) -> super::Controller {
    install::build(opts)
        .controller
        .expect("controller on by default")
}

/// True when every `key: value` of `selector` is among `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    selector
        .as_object()
        .expect("selector map")
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v))
}

#[test]
fn pods_meet_the_restricted_pod_security_profile_like_the_webhook() {
    let inst = install::build(&mk_opts());
    let webhook = json(&inst.deployment);
    let controller = json(&inst.controller.expect("controller").deployment);
    for d in [&webhook, &controller] {
        let pod = &d["spec"]["template"]["spec"];
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        for key in ["hostNetwork", "hostPID", "hostIPC"] {
            assert_eq!(pod.get(key), None, "{key}");
        }
        let volumes = pod["volumes"].as_array().cloned().unwrap_or_default();
        assert!(volumes.iter().all(|v| v.get("hostPath").is_none()));
        for c in pod["containers"].as_array().expect("containers") {
            let sc = &c["securityContext"];
            assert_eq!(sc["allowPrivilegeEscalation"], false);
            assert_eq!(sc["readOnlyRootFilesystem"], true);
            assert_eq!(sc["capabilities"], json!({"drop": ["ALL"]}));
            assert_eq!(sc.get("privileged"), None);
        }
    }
    let ctx = |d: &Value| {
        let pod = &d["spec"]["template"]["spec"];
        (
            pod["securityContext"].clone(),
            pod["containers"][0]["securityContext"].clone(),
        )
    };
    assert_eq!(ctx(&controller), ctx(&webhook), "hardened exactly alike");
}

#[test]
fn webhook_selectors_never_match_controller_pods() {
    let inst = install::build(&mk_opts());
    let c = mk_controller(&mk_opts());
    let pod_labels = json(&c.deployment)["spec"]["template"]["metadata"]["labels"].clone();
    let service = json(&inst.service)["spec"]["selector"].clone();
    let deployment = json(&inst.deployment)["spec"]["selector"]["matchLabels"].clone();
    let pdb = json(&inst.pdb)["spec"]["selector"]["matchLabels"].clone();
    for webhook_selector in [&service, &deployment, &pdb] {
        assert!(
            !selects(webhook_selector, &pod_labels),
            "{webhook_selector}"
        );
    }
    let own = json(&c.deployment)["spec"]["selector"]["matchLabels"].clone();
    assert!(selects(&own, &pod_labels));
    assert_eq!(
        json(&c.pdb)["spec"]["selector"]["matchLabels"],
        own,
        "the budget covers the controller's pods"
    );
    assert_eq!(pod_labels["app.kubernetes.io/component"], "controller");
    assert_eq!(
        pod_labels["app.kubernetes.io/name"],
        "kds-webhook-controller"
    );
}

#[test]
fn only_the_controller_gets_a_token_bound_to_its_rights() {
    let mut opts = mk_opts();
    // The webhook's pods get a token only for the access checks (whose one right is
    // `create subjectaccessreviews`); without them, none.
    opts.access_checks = false;
    let inst = install::build(&opts);
    let c = mk_controller(&opts);
    assert_eq!(
        json(&inst.deployment)["spec"]["template"]["spec"]["automountServiceAccountToken"],
        false
    );
    assert_eq!(
        json(&c.service_account)["automountServiceAccountToken"],
        true
    );
    let pod = json(&c.deployment)["spec"]["template"]["spec"].clone();
    assert_eq!(pod["automountServiceAccountToken"], true);
    assert_eq!(pod["serviceAccountName"], "kds-webhook-controller");
    let subject = json!([{"kind": "ServiceAccount", "name": "kds-webhook-controller",
                          "namespace": "kds-system"}]);
    let crb = json(&c.cluster_role_binding);
    assert_eq!(crb["subjects"], subject);
    assert_eq!(
        crb["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
               "name": "kds-webhook-controller"})
    );
    assert_eq!(crb["metadata"].get("namespace"), None, "cluster-scoped");
    let rb = json(&c.role_binding);
    assert_eq!(rb["subjects"], subject);
    assert_eq!(
        rb["roleRef"]["name"],
        "kds-webhook-controller-leader-election"
    );
    assert_eq!(rb["metadata"]["namespace"], "kds-system");
}

#[test]
fn cluster_role_grants_exactly_the_listed_rights() {
    let rules = json(&mk_controller(&mk_opts()).cluster_role)["rules"].clone();
    let child = json!(["get", "list", "watch", "create", "patch", "delete"]);
    let rule = |g: &str, r: Value, v: Value| json!({"apiGroups": [g], "resources": r, "verbs": v});
    let group = "kubernetes.project-planton.org";
    assert_eq!(
        rules,
        json!([
            rule(
                group,
                json!(["kubernetesdaemonsets"]),
                json!(["get", "list", "watch", "patch", "update"])
            ),
            rule(
                group,
                json!(["kubernetesdaemonsets/status"]),
                json!(["get", "patch", "update"])
            ),
            rule(
                group,
                json!(["kubernetesdaemonsets/finalizers"]),
                json!(["update"])
            ),
            rule(
                "",
                json!(["namespaces"]),
                json!(["get", "list", "watch", "create", "patch"])
            ),
            rule(
                "",
                json!(["configmaps", "serviceaccounts", "secrets"]),
                child.clone()
            ),
            rule("apps", json!(["daemonsets"]), child.clone()),
            rule(
                "rbac.authorization.k8s.io",
                json!(["roles", "clusterroles"]),
                json!([
                    "get", "list", "watch", "create", "patch", "delete", "escalate", "bind"
                ])
            ),
            rule(
                "rbac.authorization.k8s.io",
                json!(["rolebindings", "clusterrolebindings"]),
                child
            ),
            rule(
                "events.k8s.io",
                json!(["events"]),
                json!(["create", "patch"])
            ),
        ])
    );
    let text = rules.to_string();
    assert!(!text.contains("\"*\""), "no wildcards: {text}");
}

#[test]
fn leader_election_role_is_limited_to_the_controllers_lease() {
    let c = mk_controller(&mk_opts());
    let role = json(&c.role);
    assert_eq!(role["metadata"]["namespace"], "kds-system");
    assert_eq!(
        role["rules"],
        json!([
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
             "verbs": ["get", "update", "patch"], "resourceNames": ["kds-webhook-controller"]},
        ])
    );
    let env = json(&c.deployment)["spec"]["template"]["spec"]["containers"][0]["env"].clone();
    let lease = env
        .as_array()
        .expect("env")
        .iter()
        .find(|e| e["name"] == "KDS_WEBHOOK_LEASE_NAME")
        .expect("lease name set");
    assert_eq!(lease["value"], role["rules"][1]["resourceNames"][0]);
}

#[test]
fn container_runs_the_controller_with_every_setting_in_its_env() {
    let opts = mk_opts();
    let d = json(&mk_controller(&opts).deployment);
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["name"], "controller");
    assert_eq!(c["image"], install::DEFAULT_IMAGE, "the webhook's image");
    assert_eq!(
        c["args"],
        json!(["controller", "--admin-addr=0.0.0.0:8081"])
    );
    let v = |n: &str, v: &str| json!({"name": n, "value": v});
    let field = |n: &str, p: &str| json!({"name": n, "valueFrom": {"fieldRef": {"fieldPath": p}}});
    assert_eq!(
        c["env"],
        json!([
            v("KDS_WEBHOOK_LOG_LEVEL", "kds_webhook=info,warn"),
            v("KDS_WEBHOOK_LOG_FORMAT", "json"),
            v("KDS_WEBHOOK_LEADER_ELECT", "true"),
            v("KDS_WEBHOOK_LEASE_NAME", "kds-webhook-controller"),
            v("KDS_WEBHOOK_CONCURRENCY", "4"),
            v("KDS_WEBHOOK_REQUEUE_INTERVAL", "5m"),
            v("KDS_WEBHOOK_ALLOW_CROSS_NAMESPACE", "*"),
            v(
                "KDS_WEBHOOK_PROTECTED_NAMESPACES",
                "kube-system,kube-public,kube-node-lease"
            ),
            v("KDS_WEBHOOK_ALLOW_NAMESPACE_CREATION", "*"),
            v("KDS_WEBHOOK_ALLOW_CLUSTER_RBAC", ""),
            field("KDS_WEBHOOK_POD_NAME", "metadata.name"),
            field("KDS_WEBHOOK_POD_NAMESPACE", "metadata.namespace"),
        ])
    );
    assert_eq!(
        c["ports"],
        json!([{"name": "admin", "containerPort": 8081, "protocol": "TCP"}])
    );
    for (probe, path) in [("livenessProbe", "/livez"), ("readinessProbe", "/readyz")] {
        assert_eq!(c[probe]["httpGet"]["path"], path);
        assert_eq!(c[probe]["httpGet"]["port"], "admin");
    }
    assert_eq!(c["resources"]["limits"]["memory"], "256Mi");
    assert_eq!(c.get("volumeMounts"), None, "no policy, nothing mounted");
    let spec = &d["spec"];
    assert_eq!(spec["replicas"], 2);
    assert_eq!(
        spec["template"]["spec"]["terminationGracePeriodSeconds"],
        30
    );
    assert_eq!(
        spec["template"]["spec"]["topologySpreadConstraints"][0]["labelSelector"],
        spec["selector"]
    );
}

#[test]
fn policy_reaches_the_controller_from_the_webhooks_config_map() {
    let mut opts = mk_opts();
    opts.policy = Some("gates: {}\n".into());
    let inst = install::build(&opts);
    let cm = json(&inst.config_map.expect("config map"));
    let d = json(&inst.controller.expect("controller").deployment);
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(
        pod["volumes"][0]["configMap"]["name"],
        cm["metadata"]["name"]
    );
    let c = &pod["containers"][0];
    assert_eq!(
        c["volumeMounts"],
        json!([{"name": "policy", "mountPath": "/policy", "readOnly": true}])
    );
    assert!(
        c["args"]
            .as_array()
            .expect("args")
            .contains(&json!("--policy=/policy/policy.yaml")),
        "{}",
        c["args"]
    );
}

#[test]
fn switched_off_it_leaves_only_the_webhook() {
    let mut opts = mk_opts();
    let with = install::build(&opts).to_values();
    opts.controller = false;
    let without = install::build(&opts).to_values();
    assert_eq!(with.len(), without.len() + 7);
    let names = |objs: &[Value]| -> Vec<String> {
        objs.iter()
            .map(|o| {
                o["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    };
    assert!(
        names(&without).iter().all(|n| !n.contains("controller")),
        "{:?}",
        names(&without)
    );
}

#[test]
fn names_follow_the_release_name() {
    let mut opts = mk_opts();
    opts.name = "kds".into();
    let c = mk_controller(&opts);
    assert_eq!(json(&c.deployment)["metadata"]["name"], "kds-controller");
    assert_eq!(
        json(&c.role)["metadata"]["name"],
        "kds-controller-leader-election"
    );
    assert_eq!(
        json(&c.deployment)["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"],
        "kds"
    );
}

/// `(group, plural)` of a k8s-openapi type, taken from a value so the compiler picks the type.
fn kind_of<T: k8s_openapi::Resource>(_: &T) -> (&'static str, &'static str) {
    (T::GROUP, T::URL_PATH_SEGMENT)
}

fn kind_of_opt<T: k8s_openapi::Resource>(_: &Option<T>) -> (&'static str, &'static str) {
    (T::GROUP, T::URL_PATH_SEGMENT)
}

fn kind_of_vec<T: k8s_openapi::Resource>(_: &[T]) -> (&'static str, &'static str) {
    (T::GROUP, T::URL_PATH_SEGMENT)
}

/// The verbs the ClusterRole grants on `group`/`resource`.
fn granted(group: &str, resource: &str) -> Vec<&'static str> {
    super::rbac::CLUSTER_RULES
        .iter()
        .filter(|(g, resources, _)| *g == group && resources.contains(&resource))
        .flat_map(|(_, _, verbs)| verbs.iter().copied())
        .collect()
}

#[test]
fn every_kind_the_expansion_produces_can_be_applied_watched_and_pruned() {
    // Destructured field by field: a new child kind in the expansion fails to compile here
    // until it is listed, and then fails below until the ClusterRole covers it.
    let expansion = crate::expansion::Expansion::default();
    let crate::expansion::Expansion {
        companions:
            crate::expansion::Companions {
                namespace,
                config_maps,
                service_account,
                cluster_role,
                cluster_role_binding,
                role,
                role_binding,
                env_secret,
            },
        daemon_set,
    } = &expansion;
    let kinds = [
        kind_of_opt(namespace),
        kind_of_vec(config_maps),
        kind_of_opt(service_account),
        kind_of_opt(cluster_role),
        kind_of_opt(cluster_role_binding),
        kind_of_opt(role),
        kind_of_opt(role_binding),
        kind_of_opt(env_secret),
        kind_of(daemon_set),
    ];
    for (group, resource) in kinds {
        let verbs = granted(group, resource);
        for needed in ["get", "list", "watch", "create", "patch"] {
            assert!(verbs.contains(&needed), "{group}/{resource} lacks {needed}");
        }
        // Pruning deletes children; a Namespace may hold other things and is never deleted.
        assert_eq!(
            verbs.contains(&"delete"),
            resource != "namespaces",
            "{group}/{resource}: {verbs:?}"
        );
        assert!(
            !verbs.contains(&"update"),
            "apply needs no update: {resource}"
        );
    }
}
