use super::*;
use crate::controller::fixtures::{EXAMPLES, example, stored};

/// The default scope with cluster RBAC opened for every namespace (the log shipper's cluster
/// rules are refused by default).
fn open() -> Scope {
    let all = ["*".to_owned()];
    let protected: Vec<String> = super::super::scope::DEFAULT_PROTECTED
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    Scope::new(&all, &protected, &all, &all).expect("scope")
}

fn apply(kds: &KubernetesDaemonSet) -> Desired {
    match plan(kds, None, &open()) {
        Plan::Apply(d) => d,
        Plan::Stalled(s) => panic!("stalled: {s:?}"),
    }
}

fn stall(kds: &KubernetesDaemonSet, policy: Option<&Policy>, scope: &Scope) -> Stall {
    match plan(kds, policy, scope) {
        Plan::Stalled(s) => s,
        Plan::Apply(d) => panic!("applies {:?}", d.inventory()),
    }
}

fn entry(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> InventoryEntry {
    InventoryEntry {
        api_version: api_version.into(),
        kind: kind.into(),
        namespace: namespace.map(Into::into),
        name: name.into(),
    }
}

#[test]
fn every_example_plans_an_apply_with_its_target_and_daemon_set() {
    // The CNI agent deploys into kube-system from kube-system itself, so the default scope
    // (system namespaces protected) lets it through.
    for (name, yaml) in EXAMPLES {
        let kds = stored(yaml);
        let desired = apply(&kds);
        assert_eq!(
            desired.target_namespace,
            crate::naming::target_namespace(&{
                let mut k = kds.clone();
                crate::defaulting::apply_defaults(&mut k);
                k
            }),
            "{name}"
        );
        assert_eq!(desired.daemon_set_name, name);
        let inventory = desired.inventory();
        assert!(inventory.contains(&entry(
            "apps/v1",
            "DaemonSet",
            Some(&desired.target_namespace),
            name
        )));
        let mut sorted = inventory.clone();
        sorted.sort();
        assert_eq!(inventory, sorted);
    }
}

#[test]
fn the_seed_plans_its_namespace_then_its_daemon_set() {
    let desired = apply(&example("fluentd-logger"));
    assert_eq!(
        desired.inventory(),
        [
            entry("apps/v1", "DaemonSet", Some("logging"), "fluentd-logger"),
            entry("v1", "Namespace", None, "logging"),
        ]
    );
}

#[test]
fn an_invalid_object_stalls_with_the_messages_validate_prints() {
    let kds = stored(
        &include_str!("../../../examples/fluentd-logger.yaml")
            .replace("container_port: 24231", "container_port: 70000")
            .replace("operator: Exists", "operator: Maybe"),
    );
    let s = stall(&kds, None, &Scope::default());
    assert!(s.message.contains("(2 errors)"), "{}", s.message);
    assert_eq!(s.reason, StallReason::Invalid);
    let checked = engine::check(kds.clone(), None);
    for error in &checked.errors {
        assert!(
            s.message.contains(&error.to_string()),
            "{error} in {}",
            s.message
        );
    }
    assert!(
        s.message.starts_with("the object is invalid"),
        "{}",
        s.message
    );
}

#[test]
fn a_long_list_of_errors_is_cut_and_counted() {
    let mut kds = example("fluentd-logger");
    let ports = kds
        .spec
        .container
        .as_mut()
        .and_then(|c| c.app.as_mut())
        .and_then(|a| a.ports.as_mut())
        .expect("ports");
    let bad = ports[0].clone();
    for i in 0..15 {
        let mut p = bad.clone();
        p.container_port = Some(70_000 + i);
        p.name = Some(format!("p{i}"));
        ports.push(p);
    }
    let s = stall(&kds, None, &Scope::default());
    assert!(s.message.contains("(15 errors)"), "{}", s.message);
    assert!(s.message.ends_with("; and 5 more"), "{}", s.message);
}

#[test]
fn a_policy_denial_stalls_like_an_invalid_object() {
    let policy = Policy::from_yaml(include_str!("../../../examples/policies/multi-tenant.yaml"))
        .expect("policy");
    let mut kds = example("fluentd-logger");
    kds.metadata.namespace = Some("team-a".into());
    let s = stall(&kds, Some(&policy), &Scope::default());
    assert_eq!(s.reason, StallReason::Invalid);
    assert!(s.message.contains("policy gate"), "{}", s.message);
}

#[test]
fn scope_refusals_stall_naming_the_setting() {
    let mut kds = example("log-shipper");
    kds.metadata.namespace = Some("team-a".into());
    let s = stall(&kds, None, &Scope::default());
    assert_eq!(s.reason, StallReason::OutOfScope);
    assert!(s.message.contains("--allow-cluster-rbac"), "{}", s.message);
}

#[test]
fn prune_set_is_what_the_new_spec_no_longer_produces() {
    let mut shipper = example("log-shipper");
    let before = apply(&shipper).inventory();
    // Cluster rules removed, the config maps removed, no ServiceAccount any more.
    shipper.spec.rbac = None;
    shipper.spec.config_maps = None;
    shipper.spec.create_service_account = Some(false);
    let after = apply(&shipper).inventory();
    let pruned = prune_set(&before, &after);
    let kinds: Vec<&str> = pruned.iter().map(|e| e.kind.as_str()).collect();
    assert!(
        kinds.contains(&"ClusterRole") && kinds.contains(&"ClusterRoleBinding"),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"ServiceAccount") && kinds.contains(&"ConfigMap"),
        "{kinds:?}"
    );
    assert!(
        !kinds.contains(&"Namespace") && !kinds.contains(&"DaemonSet"),
        "{kinds:?}"
    );
    // Bindings before the roles they bind: the reverse of apply order.
    let pos = |k: &str| kinds.iter().position(|x| *x == k).expect(k);
    assert!(pos("ClusterRoleBinding") < pos("ClusterRole"));
    assert!(pos("ConfigMap") < pos("ServiceAccount"));
    assert!(prune_set(&after, &after).is_empty());
}

#[test]
fn namespaces_and_unknown_kinds_are_never_pruned() {
    let previous = [
        entry("v1", "Namespace", None, "logging"),
        entry("v1", "Pod", Some("logging"), "x"),
        entry("apps/v1", "DaemonSet", Some("logging"), "old"),
    ];
    assert_eq!(
        prune_set(&previous, &[]),
        [entry("apps/v1", "DaemonSet", Some("logging"), "old")]
    );
}

#[test]
fn union_keeps_both_sides_once_sorted() {
    let a = [
        entry("v1", "ConfigMap", Some("n"), "b"),
        entry("v1", "ConfigMap", Some("n"), "a"),
    ];
    let b = [
        entry("v1", "ConfigMap", Some("n"), "a"),
        entry("v1", "Secret", Some("n"), "s"),
    ];
    let u = union(&a, &b);
    assert_eq!(u.len(), 3);
    assert_eq!(u[0].name, "a");
}
