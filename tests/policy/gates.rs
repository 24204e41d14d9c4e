//! Every gate in every mode, both ways: `enforce` denies at the exact field with the gate in
//! the detail, `warn` warns (compactly) and admits, `off` does nothing.

use super::common::*;

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[test]
fn images_restricts_sources() {
    assert_gate(
        "images",
        r#"images: {mode: MODE, allowedRegistries: [ghcr.io], allowedRepositories: ["docker.io/library/*"]}"#,
        "container:\n  app:\n    image: {repo: quay.io/x/agent, tag: v1}\n  sidecars:\n    - {name: s, image: 'fluent/fluent-bit:3.0'}\n",
        &[
            "spec.container.app.image.repo",
            "spec.container.sidecars[0].image",
        ],
        "container:\n  app:\n    image: {repo: ghcr.io/acme/agent, tag: v1}\n  sidecars:\n    - {name: s, image: 'busybox:1.36'}\n",
    );
    let d = detail(
        "defaults:\n  images: {mode: enforce, allowedRegistries: [ghcr.io], allowedRepositories: [busybox]}\n",
        "container:\n  app:\n    image: {repo: nginx, tag: '1.25'}\n",
        0,
    );
    assert_eq!(
        d,
        "spec.container.app.image.repo: Forbidden: policy gate images (enforce, namespace \"team-a\"): image nginx:1.25 is not from an allowed source; allowed: registries ghcr.io; repositories docker.io/library/busybox"
    );
}

#[test]
fn images_forbids_mutable_tags() {
    assert_gate(
        "images",
        "images: {mode: MODE, forbidMutableTags: true}",
        "container:\n  app:\n    image: {repo: nginx, tag: latest}\n  sidecars:\n    - {name: s, image: busybox}\n",
        &[
            "spec.container.app.image.tag",
            "spec.container.sidecars[0].image",
        ],
        &format!(
            "container:\n  app:\n    image: {{repo: nginx, tag: latest@{DIGEST}}}\n  sidecars:\n    - {{name: s, image: 'busybox:1.36'}}\n"
        ),
    );
    // Configurable list of moving tags.
    assert_gate(
        "images",
        "images: {mode: MODE, mutableTags: [latest, main]}",
        "container:\n  app:\n    image: {repo: ghcr.io/acme/agent, tag: main}\n",
        &["spec.container.app.image.tag"],
        "container:\n  app:\n    image: {repo: ghcr.io/acme/agent, tag: v1.2.3}\n",
    );
}

#[test]
fn images_requires_digests() {
    assert_gate(
        "images",
        "images: {mode: MODE, requireDigest: true}",
        &format!(
            "container:\n  app:\n    image: {{repo: nginx, tag: '1.25'}}\n  sidecars:\n    - {{name: ok, image: 'busybox@{DIGEST}'}}\n    - {{name: s, image: 'busybox:1.36'}}\n"
        ),
        &[
            "spec.container.app.image.tag",
            "spec.container.sidecars[1].image",
        ],
        &format!(
            "container:\n  app:\n    image: {{repo: nginx, tag: '{DIGEST}'}}\n  sidecars:\n    - {{name: s, image: 'busybox:1.36@{DIGEST}'}}\n"
        ),
    );
}

#[test]
fn images_refuses_invalid_references() {
    assert_gate(
        "images",
        "images: {mode: MODE, forbidMutableTags: false}",
        "container:\n  app:\n    image: {repo: Nginx, tag: '1'}\n  sidecars:\n    - {name: s, image: 'busybox@sha256:abc'}\n",
        &[
            "spec.container.app.image.repo",
            "spec.container.sidecars[0].image",
        ],
        "container:\n  app:\n    image: {repo: nginx}\n",
    );
}

#[test]
fn host_paths_allows_listed_prefixes_only() {
    let section = "hostPaths: {mode: MODE, allowed: [{pathPrefix: /var/log, readOnly: true}, {pathPrefix: /var/lib/agent/}]}";
    let violating = "container:\n  app:\n    image: {repo: a, tag: b}\n    volume_mounts:\n\
        \x20     - {name: a, mount_path: /a, host_path: /etc}\n\
        \x20     - {name: b, mount_path: /b, host_path: {path: /var/log/pods}, read_only: false}\n\
        \x20     - {name: c, mount_path: /c, host_path: {path: /var/logs}, read_only: true}\n\
        \x20     - {name: d, mount_path: /d, host_path: /var/log/../../etc, read_only: true}\n\
        \x20     - {name: e, mount_path: /e, empty_dir: {}}\n";
    let compliant = "container:\n  app:\n    image: {repo: a, tag: b}\n    volume_mounts:\n\
        \x20     - {name: a, mount_path: /a, host_path: /var/log/, read_only: true}\n\
        \x20     - {name: b, mount_path: /b, host_path: {path: /var/lib/agent/data}}\n\
        \x20     - {name: c, mount_path: /c, config_map: {name: x}}\n";
    assert_gate(
        "hostPaths",
        section,
        violating,
        &[
            "spec.container.app.volume_mounts[0].host_path",
            "spec.container.app.volume_mounts[1].read_only",
            "spec.container.app.volume_mounts[2].host_path.path",
            "spec.container.app.volume_mounts[3].host_path",
        ],
        compliant,
    );
    let body = format!("defaults:\n  {}\n", section.replace("MODE", "enforce"));
    let d = detail(&body, violating, 0);
    assert!(
        d.ends_with("host path /etc is not allowed; allowed: /var/lib/agent, /var/log (read-only)"),
        "{d}"
    );
    assert!(detail(&body, violating, 3).contains("must not contain '..'"));
}

#[test]
fn host_paths_forbidden_without_allow_list() {
    assert_gate(
        "hostPaths",
        "hostPaths: {mode: MODE}",
        "container:\n  app:\n    volume_mounts:\n      - {name: a, mount_path: /a, host_path: /var/log, read_only: true}\n",
        &["spec.container.app.volume_mounts[0].host_path"],
        "container:\n  app:\n    volume_mounts:\n      - {name: a, mount_path: /a, empty_dir: {}}\n",
    );
}

#[test]
fn host_paths_most_specific_prefix_decides() {
    assert_gate(
        "hostPaths",
        "hostPaths: {mode: MODE, allowed: [{pathPrefix: /var, readOnly: true}, {pathPrefix: /var/lib/agent}]}",
        "container:\n  app:\n    volume_mounts:\n      - {name: a, mount_path: /a, host_path: /var/lib/other}\n",
        &["spec.container.app.volume_mounts[0].read_only"],
        "container:\n  app:\n    volume_mounts:\n      - {name: a, mount_path: /a, host_path: /var/lib/agent/x}\n",
    );
}

#[test]
fn privilege_checks_the_security_context() {
    assert_gate(
        "privilege",
        "privilege: {mode: MODE, allowedCapabilities: [NET_ADMIN], requireReadOnlyRootFilesystem: true}",
        "container:\n  app:\n    security_context:\n      privileged: true\n      run_as_user: 0\n      read_only_root_filesystem: false\n      capabilities: {add: [cap_net_admin, SYS_ADMIN]}\n",
        &[
            "spec.container.app.security_context.privileged",
            "spec.container.app.security_context.capabilities.add[1]",
            "spec.container.app.security_context.run_as_user",
            "spec.container.app.security_context.read_only_root_filesystem",
        ],
        "container:\n  app:\n    security_context:\n      run_as_non_root: true\n      read_only_root_filesystem: true\n      capabilities: {add: [NET_ADMIN], drop: [ALL]}\n",
    );
    let d = detail(
        "defaults:\n  privilege: {mode: enforce}\n",
        "container:\n  app:\n    security_context: {privileged: true, run_as_user: 1000}\n",
        0,
    );
    assert_eq!(
        d,
        "spec.container.app.security_context.privileged: Forbidden: policy gate privilege (enforce, namespace \"team-a\"): privileged containers are not allowed"
    );
}

#[test]
fn privilege_treats_an_unset_user_as_root() {
    assert_gate(
        "privilege",
        "privilege: {mode: MODE}",
        "container:\n  app:\n    image: {repo: a, tag: b}\n",
        &["spec.container.app.security_context.run_as_non_root"],
        "container:\n  app:\n    security_context: {run_as_user: 65534}\n",
    );
}

#[test]
fn privilege_allow_flags_lift_the_checks() {
    let r = eval(
        "defaults:\n  privilege: {mode: enforce, allowPrivileged: true, allowRunAsRoot: true, allowedCapabilities: [ALL]}\n",
        NS,
        "container:\n  app:\n    security_context: {privileged: true, run_as_user: 0, capabilities: {add: [SYS_ADMIN]}}\n",
    );
    assert!(r.allowed(), "{:#?}", r.denials);
}

#[test]
fn host_ports_allows_listed_ranges_only() {
    assert_gate(
        "hostPorts",
        "hostPorts: {mode: MODE, allowed: [{min: 9100, max: 9199}, {min: 8080}]}",
        "container:\n  app:\n    ports:\n      - {name: a, container_port: 80, host_port: 80}\n      - {name: b, container_port: 9100, host_port: 9100}\n      - {name: c, container_port: 8081, host_port: 8081}\n      - {name: d, container_port: 1, host_port: 0}\n",
        &[
            "spec.container.app.ports[0].host_port",
            "spec.container.app.ports[2].host_port",
        ],
        "container:\n  app:\n    ports:\n      - {name: a, container_port: 9199, host_port: 9199}\n      - {name: b, container_port: 8080, host_port: 8080}\n      - {name: c, container_port: 80}\n",
    );
    let d = detail(
        "defaults:\n  hostPorts: {mode: enforce}\n",
        "container:\n  app:\n    ports:\n      - {name: a, container_port: 9100, host_port: 9100}\n",
        0,
    );
    assert!(
        d.ends_with("host port 9100 is not allowed; allowed: no host ports"),
        "{d}"
    );
}

#[test]
fn resources_requires_and_caps() {
    assert_gate(
        "resources",
        "resources: {mode: MODE, requireRequests: true, requireLimits: true, maxCpu: '2', maxMemory: 2Gi}",
        "container:\n  app:\n    resources:\n      limits: {cpu: 2001m, memory: 3Gi}\n      requests: {cpu: 50m, memory: 100Mi}\n  sidecars:\n    - {name: s, image: 'busybox:1'}\n",
        &[
            "spec.container.app.resources.limits.cpu",
            "spec.container.app.resources.limits.memory",
            "spec.container.sidecars[0].resources.requests.cpu",
            "spec.container.sidecars[0].resources.limits.cpu",
            "spec.container.sidecars[0].resources.requests.memory",
            "spec.container.sidecars[0].resources.limits.memory",
        ],
        "container:\n  app:\n    resources:\n      limits: {cpu: 1000m, memory: 1Gi}\n      requests: {cpu: 50m, memory: 100Mi}\n  sidecars:\n    - name: s\n      image: 'busybox:1'\n      resources: {limits: {cpu: 2, memory: 2048Mi}, requests: {cpu: 10m, memory: 10Mi}}\n",
    );
}

#[test]
fn resources_ceiling_falls_back_to_requests() {
    assert_gate(
        "resources",
        "resources: {mode: MODE, maxMemory: 1Gi}",
        "container:\n  app:\n    resources: {requests: {memory: 2Gi}}\n",
        &["spec.container.app.resources.requests.memory"],
        "container:\n  app:\n    resources: {requests: {memory: 1Gi}}\n",
    );
}

#[test]
fn placement_restricts_tolerations_and_requires_selector_keys() {
    assert_gate(
        "placement",
        r#"placement: {mode: MODE, allowedTolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}, {key: "example.com/*"}], requiredNodeSelectorKeys: [kubernetes.io/os]}"#,
        "tolerations:\n  - {key: node-role.kubernetes.io/control-plane, operator: Exists}\n  - {operator: Exists}\n  - {key: other, operator: Exists, effect: NoSchedule}\nnode_selector: {role: agent}\n",
        &[
            "spec.tolerations[0]",
            "spec.tolerations[1]",
            "spec.tolerations[2]",
            "spec.node_selector[kubernetes.io/os]",
        ],
        "tolerations:\n  - {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}\n  - {key: example.com/gpu, value: x, effect: NoExecute}\nnode_selector: {kubernetes.io/os: linux}\n",
    );
}

#[test]
fn placement_tolerate_all_needs_an_explicit_allowance() {
    let tolerate_all = "tolerations:\n  - {operator: Exists}\n";
    let star = eval(
        "defaults:\n  placement: {mode: enforce, allowedTolerations: [{key: '*'}]}\n",
        NS,
        tolerate_all,
    );
    assert_eq!(denial_paths(&star), ["spec.tolerations[0]"]);
    for allow in [
        "allowedTolerations: [{key: '', operator: Exists}]",
        "allowTolerateAll: true",
    ] {
        let body = format!("defaults:\n  placement: {{mode: enforce, {allow}}}\n");
        assert!(eval(&body, NS, tolerate_all).allowed(), "{allow}");
    }
}

#[test]
fn tenancy_keeps_the_tenant_in_its_namespace() {
    assert_gate(
        "tenancy",
        "tenancy: {mode: MODE}",
        "namespace: {value: kube-system}\ncreate_namespace: true\nrbac:\n  cluster_rules:\n    - {api_groups: [''], resources: [nodes], verbs: [get]}\n  namespace_rules:\n    - {api_groups: ['*'], resources: [pods], verbs: [get, '*']}\n",
        &[
            "spec.namespace.value",
            "spec.create_namespace",
            "spec.rbac.cluster_rules",
            "spec.rbac.namespace_rules[0].api_groups[0]",
            "spec.rbac.namespace_rules[0].verbs[1]",
        ],
        "namespace: {value: team-a}\ncreate_namespace: false\nrbac:\n  namespace_rules:\n    - {api_groups: [''], resources: [pods], verbs: [get, list]}\n",
    );
    let d = detail(
        "defaults:\n  tenancy: {mode: enforce}\n",
        "namespace: {value: kube-system}\n",
        0,
    );
    assert_eq!(
        d,
        "spec.namespace.value: Forbidden: policy gate tenancy (enforce, namespace \"team-a\"): target namespace \"kube-system\" is not the object's namespace; allowed: \"team-a\""
    );
}

#[test]
fn tenancy_fails_an_unresolved_namespace_reference() {
    let r = eval(
        "defaults:\n  tenancy: {mode: enforce}\n",
        NS,
        "namespace: {value_from: {name: ns}}\n",
    );
    assert_eq!(denial_paths(&r), ["spec.namespace.value"]);
}

#[test]
fn tenancy_allow_flags_lift_the_checks() {
    let r = eval(
        "defaults:\n  tenancy: {mode: enforce, requireSameNamespace: false, allowCreateNamespace: true, allowClusterRbac: true, allowRbacWildcards: true}\n",
        NS,
        "namespace: {value: elsewhere}\ncreate_namespace: true\nrbac:\n  cluster_rules:\n    - {api_groups: ['*'], resources: ['*'], verbs: ['*']}\n",
    );
    assert!(r.allowed(), "{:#?}", r.denials);
}

#[test]
fn secrets_refuses_other_namespaces() {
    assert_gate(
        "secrets",
        "secrets: {mode: MODE}",
        "namespace: {value: team-a}\ncontainer:\n  app:\n    env:\n      secrets:\n        A: {secret_ref: {namespace: team-b, name: s, key: k}}\n        B: {secret_ref: {namespace: team-a, name: s, key: k}}\n        C: {value: x}\n",
        &["spec.container.app.env.secrets[A].secret_ref.namespace"],
        "namespace: {value: team-a}\ncontainer:\n  app:\n    env:\n      secrets:\n        B: {secret_ref: {name: s, key: k}}\n        C: {value: x}\n",
    );
    let allowed = eval(
        "defaults:\n  secrets: {mode: enforce, allowCrossNamespaceSecretRefs: true}\n",
        NS,
        "container:\n  app:\n    env:\n      secrets:\n        A: {secret_ref: {namespace: team-b, name: s, key: k}}\n",
    );
    assert!(allowed.allowed());
}
