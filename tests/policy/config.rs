//! Loading policy files: what is accepted and how refusals name the key.

use kds_webhook::policy::{Policy, PolicyError};

use super::common::*;

#[test]
fn accepts_empty_sections() {
    for body in [
        "",
        "defaults:\n",
        "defaults: {}\nnamespaces: []\n",
        "defaults:\n  images:\n    mode: off\n",
        "namespaces:\n  - match: [kube-system]\n    exempt: true\n",
    ] {
        let p = policy(body);
        let r = p.evaluate(&kds("team-a", "namespace: {value: other}\n"), "team-a");
        assert!(r.denials.is_empty() && r.warnings.is_empty() && r.decisions.is_empty());
    }
}

#[test]
fn default_policy_allows_everything() {
    let r = Policy::default().evaluate(&kds("a", "create_namespace: true\n"), "a");
    assert!(r.allowed() && r.decisions.is_empty());
}

#[test]
fn requires_api_version_and_kind() {
    let err = Policy::from_yaml("defaults: {}\n")
        .map(|_| ())
        .expect_err("refused");
    let text = err.to_string();
    assert!(text.contains("apiVersion: required"), "{text}");
    assert!(text.contains("kind: required"), "{text}");
    let err = Policy::from_yaml("apiVersion: v1\nkind: ConfigMap\n")
        .map(|_| ())
        .expect_err("refused");
    let text = err.to_string();
    assert!(text.contains(r#"apiVersion: "v1" is not"#), "{text}");
    assert!(
        text.contains(r#"kind: "ConfigMap" is not "PolicyConfig""#),
        "{text}"
    );
}

#[test]
fn names_the_key_of_decode_errors() {
    let table = [
        (
            "defaults:\n  images: {mode: enforce, allowedRegistry: [ghcr.io]}\n",
            "defaults.images.allowedRegistry: unknown field `allowedRegistry`",
        ),
        (
            "defaults:\n  images: {mode: enforcing}\n",
            "defaults.images.mode: unknown variant `enforcing`, expected one of enforce, warn, off",
        ),
        (
            "defaults:\n  sysctls: {mode: enforce}\n",
            "defaults.sysctls: unknown field `sysctls`, expected one of images, hostPaths",
        ),
        (
            "namespaces:\n  - match: [a]\n    overrides: {hostNetwork: {mode: warn}}\n",
            "namespaces[0].overrides.hostNetwork: unknown field `hostNetwork`",
        ),
        (
            "defaults:\n  hostPorts: {mode: enforce, allowed: [{min: nine}]}\n",
            "defaults.hostPorts.allowed[0].min: invalid",
        ),
        ("default: {}\n", "default: unknown field `default`"),
    ];
    for (body, want) in table {
        let err = policy_error(body);
        assert!(err.contains(want), "{body}\n got: {err}\nwant: {want}");
    }
}

#[test]
fn names_the_key_of_bad_values() {
    let table = [
        (
            "defaults:\n  hostPorts: {mode: enforce, allowed: [{min: 9100, max: 9000}]}\n",
            "defaults.hostPorts.allowed[0].max: must be >= min (9100)",
        ),
        (
            "defaults:\n  hostPorts: {mode: enforce, allowed: [{min: 1, max: 2}, {min: 0}]}\n",
            "defaults.hostPorts.allowed[1].min: must be between 1 and 65535",
        ),
        (
            "defaults:\n  resources: {mode: warn, maxMemory: 2GB}\n",
            r#"defaults.resources.maxMemory: invalid quantity "2GB""#,
        ),
        (
            "defaults:\n  resources: {mode: warn, maxCpu: '-1'}\n",
            "defaults.resources.maxCpu: must be greater than zero",
        ),
        (
            "defaults:\n  hostPaths: {mode: enforce, allowed: [{pathPrefix: var/log}]}\n",
            "defaults.hostPaths.allowed[0].pathPrefix: must be an absolute path",
        ),
        (
            "defaults:\n  hostPaths: {mode: enforce, allowed: [{pathPrefix: /var/../etc}]}\n",
            "defaults.hostPaths.allowed[0].pathPrefix: must not contain '..'",
        ),
        (
            "defaults:\n  images: {mode: enforce, allowedRepositories: ['ghcr.io/[acme']}\n",
            "defaults.images.allowedRepositories[0]: invalid glob pattern",
        ),
        (
            "defaults:\n  images: {mode: enforce, allowedRepositories: ['nginx:1.25']}\n",
            "defaults.images.allowedRepositories[0]: \"nginx:1.25\" must be a repository",
        ),
        (
            "defaults:\n  images: {mode: enforce, allowedRegistries: [ghcr.io/acme]}\n",
            "defaults.images.allowedRegistries[0]: a registry is a host[:port]",
        ),
        (
            "defaults:\n  privilege: {mode: enforce, allowedCapabilities: [NET ADMIN]}\n",
            "defaults.privilege.allowedCapabilities[0]: \"NET ADMIN\" is not a Linux capability",
        ),
        (
            "defaults:\n  placement: {mode: enforce, allowedTolerations: [{key: a, operator: In}]}\n",
            "defaults.placement.allowedTolerations[0].operator: \"In\" is not Equal or Exists",
        ),
        (
            "defaults:\n  placement: {mode: enforce, allowedTolerations: [{key: a, effect: NoRun}]}\n",
            "defaults.placement.allowedTolerations[0].effect: \"NoRun\" is not",
        ),
        (
            "defaults:\n  placement: {mode: enforce, allowedTolerations: [{key: ''}]}\n",
            "defaults.placement.allowedTolerations[0].key: an empty key is only allowed",
        ),
        (
            "namespaces:\n  - match: ['team-[']\n",
            "namespaces[0].match[0]: invalid glob pattern",
        ),
        (
            "namespaces:\n  - exempt: true\n",
            "namespaces[0].match: required",
        ),
        (
            "namespaces:\n  - match: [a]\n    exempt: true\n    overrides: {images: {mode: off}}\n",
            "namespaces[0].overrides: not allowed with exempt: true",
        ),
        (
            "namespaces:\n  - match: [a]\n    overrides: {hostPorts: {mode: enforce, allowed: [{min: 5, max: 4}]}}\n",
            "namespaces[0].overrides.hostPorts.allowed[0].max: must be >= min (5)",
        ),
    ];
    for (body, want) in table {
        let err = policy_error(body);
        assert!(err.contains(want), "{body}\n got: {err}\nwant: {want}");
    }
}

#[test]
fn requires_a_mode_somewhere() {
    let err = policy_error("defaults:\n  privilege: {allowPrivileged: false}\n");
    assert!(err.contains("defaults.privilege.mode: required"), "{err}");
    let err =
        policy_error("namespaces:\n  - match: [a]\n    overrides: {hostPorts: {allowed: []}}\n");
    assert!(
        err.contains("namespaces[0].overrides.hostPorts.mode: required"),
        "{err}"
    );
    // Inherited from the defaults: fine.
    policy(
        "defaults:\n  hostPorts: {mode: enforce}\nnamespaces:\n  - match: [a]\n    overrides: {hostPorts: {allowed: [{min: 80}]}}\n",
    );
}

#[test]
fn reports_every_problem_at_once() {
    let err = policy_error(
        "defaults:\n  hostPorts: {mode: enforce, allowed: [{min: 9, max: 1}]}\n  resources: {mode: warn, maxCpu: lots}\nnamespaces:\n  - match: ['[']\n",
    );
    for want in [
        "defaults.hostPorts.allowed[0].max",
        "defaults.resources.maxCpu",
        "namespaces[0].match[0]",
    ] {
        assert!(err.contains(want), "{want} missing from {err}");
    }
}

#[test]
fn loads_from_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("policy.yaml");
    std::fs::write(&path, format!("{HEADER}defaults: {{}}\n")).expect("write");
    Policy::load(&path).expect("loads");
    let missing = Policy::load(&dir.path().join("nope.yaml")).map(|_| ());
    assert!(matches!(missing, Err(PolicyError::Read { .. })));
}
