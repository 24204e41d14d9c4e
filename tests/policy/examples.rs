//! The shipped example policies against realistic objects.

use kds_webhook::api::{
    KubernetesDaemonSet, KubernetesDaemonSetContainerApp, KubernetesDaemonSetRbacRule,
    KubernetesDaemonSetSpec,
};
use kds_webhook::policy::{Mode, Policy, PolicyReport};

use super::common::*;

const MULTI_TENANT: &str = include_str!("../../examples/policies/multi-tenant.yaml");
const SINGLE_TEAM: &str = include_str!("../../examples/policies/single-team.yaml");

fn load(text: &str) -> Policy {
    match Policy::from_yaml(text) {
        Ok(p) => p,
        Err(e) => panic!("example policy should load: {e}"),
    }
}

/// A Calico-style CNI agent: privileged, root, host network plumbing, cluster RBAC,
/// tolerates everything, deployed into kube-system. What the platform team runs.
fn cni_agent(namespace: &str) -> KubernetesDaemonSet {
    kds(
        namespace,
        "\
namespace: {value: kube-system}
create_namespace: false
container:
  app:
    image: {repo: quay.io/calico/node, tag: v3.28.0}
    resources:
      limits: {cpu: 1000m, memory: 1Gi}
      requests: {cpu: 250m, memory: 100Mi}
    ports:
      - {name: metrics, container_port: 9091, network_protocol: TCP, host_port: 9091}
    volume_mounts:
      - {name: cni-bin, mount_path: /host/opt/cni/bin, host_path: /opt/cni/bin}
      - {name: cni-net, mount_path: /host/etc/cni/net.d, host_path: {path: /etc/cni/net.d, type: DirectoryOrCreate}}
      - {name: varlog, mount_path: /var/log/calico, host_path: /var/log/calico, read_only: true}
    security_context:
      privileged: true
      run_as_user: 0
      capabilities: {add: [NET_ADMIN, SYS_ADMIN]}
tolerations:
  - {operator: Exists}
create_service_account: true
rbac:
  cluster_rules:
    - {api_groups: [''], resources: [nodes, pods, namespaces], verbs: [get, list, watch]}
",
    )
}

/// A fluentd log collector done right for a tenant: pinned tag, /var/log read-only,
/// non-root, stays in its own namespace.
fn fluentd(namespace: &str) -> KubernetesDaemonSet {
    kds(
        namespace,
        "\
namespace: {value: team-a}
create_namespace: false
container:
  app:
    image: {repo: fluent/fluentd-kubernetes-daemonset, tag: v1.16-debian-elasticsearch8}
    resources:
      limits: {cpu: 500m, memory: 512Mi}
      requests: {cpu: 100m, memory: 200Mi}
    volume_mounts:
      - {name: varlog, mount_path: /var/log, host_path: /var/log, read_only: true}
      - {name: pods, mount_path: /var/log/pods, host_path: {path: /var/log/pods}, read_only: true}
      - {name: buffer, mount_path: /fluentd/buffer, empty_dir: {}}
    ports:
      - {name: metrics, container_port: 24231, network_protocol: TCP}
    security_context:
      run_as_non_root: true
      run_as_user: 1000
      capabilities: {drop: [ALL]}
    env:
      secrets:
        ES_PASSWORD: {secret_ref: {name: es-credentials, key: password}}
update_strategy:
  type: RollingUpdate
  rolling_update: {max_unavailable: '1'}
",
    )
}

/// The collector with one change made to its spec.
fn fluentd_with(change: impl FnOnce(&mut KubernetesDaemonSetSpec)) -> KubernetesDaemonSet {
    let mut kds = fluentd("team-a");
    change(&mut kds.spec);
    kds
}

fn app(spec: &mut KubernetesDaemonSetSpec) -> &mut KubernetesDaemonSetContainerApp {
    spec.container
        .get_or_insert_default()
        .app
        .get_or_insert_default()
}

fn run(policy: &Policy, kds: &KubernetesDaemonSet) -> PolicyReport {
    let ns = kds.metadata.namespace.as_deref().unwrap_or("default");
    policy.evaluate(kds, ns)
}

#[test]
fn multi_tenant_denies_a_privileged_agent_in_a_tenant_namespace() {
    let r = run(&load(MULTI_TENANT), &cni_agent("team-a"));
    assert_eq!(
        denial_paths(&r),
        [
            "spec.container.app.volume_mounts[0].host_path",
            "spec.container.app.volume_mounts[1].host_path.path",
            "spec.container.app.security_context.privileged",
            "spec.container.app.security_context.capabilities.add[0]",
            "spec.container.app.security_context.capabilities.add[1]",
            "spec.container.app.security_context.run_as_user",
            "spec.container.app.ports[0].host_port",
            "spec.namespace.value",
            "spec.rbac.cluster_rules",
        ]
    );
    // /var/log/calico is under /var/log and read-only: fine. Tolerating everything warns.
    assert_eq!(warning_paths(&r), ["spec.tolerations[0]"]);
    let text = r.denials.to_string();
    assert!(text.contains("policy gate privilege (enforce, namespace \"team-a\"): privileged containers are not allowed"), "{text}");
    assert!(
        text.contains("host port 9091 is not allowed; allowed: no host ports"),
        "{text}"
    );
}

#[test]
fn multi_tenant_exempts_kube_system() {
    let r = run(&load(MULTI_TENANT), &cni_agent("kube-system"));
    assert!(r.denials.is_empty() && r.warnings.is_empty() && r.decisions.is_empty());
    let r = run(&load(MULTI_TENANT), &cni_agent("monitoring"));
    assert!(r.allowed());
}

#[test]
fn multi_tenant_admits_a_well_behaved_log_collector() {
    let r = run(&load(MULTI_TENANT), &fluentd("team-a"));
    assert!(r.allowed(), "{}", r.denials);
    assert!(r.warnings.is_empty(), "{:#?}", r.warnings);
    assert_eq!(r.decisions.len(), 8);
    assert!(r.decisions.iter().all(|d| !d.violated));
}

#[test]
fn multi_tenant_denies_each_step_out_of_line() {
    let p = load(MULTI_TENANT);
    let wildcard = KubernetesDaemonSetRbacRule {
        api_groups: Some(vec![String::new()]),
        resources: Some(vec!["pods".to_owned()]),
        verbs: Some(vec!["*".to_owned()]),
        resource_names: None,
    };
    type Change = Box<dyn FnOnce(&mut KubernetesDaemonSetSpec)>;
    let cases: [(&str, Change); 5] = [
        (
            "spec.create_namespace",
            Box::new(|s| s.create_namespace = Some(true)),
        ),
        (
            "spec.namespace.value",
            Box::new(|s| s.namespace.get_or_insert_default().value = Some("logging".into())),
        ),
        (
            "spec.rbac.namespace_rules[0].verbs[0]",
            Box::new(|s| s.rbac.get_or_insert_default().namespace_rules = Some(vec![wildcard])),
        ),
        (
            "spec.container.app.image.tag",
            Box::new(|s| app(s).image.get_or_insert_default().tag = Some("latest".into())),
        ),
        (
            "spec.container.app.volume_mounts[0].read_only",
            Box::new(|s| {
                if let Some(m) = app(s).volume_mounts.iter_mut().flatten().next() {
                    m.read_only = Some(false);
                }
            }),
        ),
    ];
    for (path, change) in cases {
        let r = run(&p, &fluentd_with(change));
        assert_eq!(denial_paths(&r), [path]);
    }
}

#[test]
fn single_team_only_warns() {
    let p = load(SINGLE_TEAM);
    let r = run(&p, &cni_agent("platform"));
    assert!(r.allowed(), "{}", r.denials);
    assert_eq!(
        warning_paths(&r),
        [
            "spec.container.app.volume_mounts[0].host_path",
            "spec.container.app.volume_mounts[1].host_path.path",
            "spec.container.app.security_context.privileged",
            "spec.container.app.security_context.capabilities.add[1]",
            "spec.tolerations[0]",
        ]
    );
    assert!(r.decisions.iter().all(|d| d.mode == Mode::Warn));
    for w in &r.warnings {
        assert!(format!("{}: {}", w.path, w.message).len() < 120, "{w:?}");
    }
    let clean = run(&p, &fluentd("team-a"));
    assert!(
        clean.allowed() && clean.warnings.is_empty(),
        "{:#?}",
        clean.warnings
    );
    assert!(run(&p, &cni_agent("kube-system")).decisions.is_empty());
}
