//! Which gates apply where: exemptions, overrides merged over the defaults, first match wins.

use kds_webhook::policy::{Decision, GATES, Mode, Policy, ScopeMatch};

use super::common::*;

const PRIVILEGED: &str =
    "container:\n  app:\n    security_context: {privileged: true, run_as_non_root: true}\n";

const POLICY: &str = "\
defaults:
  privilege: {mode: enforce, requireReadOnlyRootFilesystem: true}
namespaces:
  - match: [kube-system, 'infra-*']
    exempt: true
  - match: [team-admin]
    overrides: {privilege: {allowPrivileged: true}}
  - match: ['team-*']
    overrides: {privilege: {mode: warn}}
  - match: [team-admin]
    exempt: true
";

#[test]
fn exempt_namespaces_run_no_gates() {
    let p = policy(POLICY);
    for ns in ["kube-system", "infra-net"] {
        let r = p.evaluate(&kds(ns, PRIVILEGED), ns);
        assert!(r.denials.is_empty() && r.warnings.is_empty() && r.decisions.is_empty());
        assert_eq!(
            p.scope(ns),
            ScopeMatch::Namespace {
                index: 0,
                exempt: true
            }
        );
    }
}

#[test]
fn unmatched_namespaces_get_the_defaults() {
    let p = policy(POLICY);
    let r = p.evaluate(&kds("payments", PRIVILEGED), "payments");
    assert_eq!(
        denial_paths(&r),
        [
            "spec.container.app.security_context.privileged",
            "spec.container.app.security_context.read_only_root_filesystem",
        ]
    );
    assert_eq!(p.scope("payments"), ScopeMatch::Defaults);
    // The pattern matches the whole name.
    assert_eq!(p.scope("my-kube-system"), ScopeMatch::Defaults);
}

#[test]
fn overrides_change_only_what_they_set() {
    let p = policy(POLICY);
    let r = p.evaluate(&kds("team-b", PRIVILEGED), "team-b");
    assert!(r.allowed());
    // The mode changed; requireReadOnlyRootFilesystem still comes from the defaults.
    assert_eq!(
        warning_paths(&r),
        [
            "spec.container.app.security_context.privileged",
            "spec.container.app.security_context.read_only_root_filesystem",
        ]
    );
    assert_eq!(
        r.decisions,
        [Decision {
            gate: "privilege",
            mode: Mode::Warn,
            violated: true
        }]
    );
}

#[test]
fn first_matching_entry_wins() {
    let p = policy(POLICY);
    // team-admin matches entries 1, 2 and 3: entry 1 decides (enforce, privileged allowed).
    assert_eq!(
        p.scope("team-admin"),
        ScopeMatch::Namespace {
            index: 1,
            exempt: false
        }
    );
    let r = p.evaluate(&kds("team-admin", PRIVILEGED), "team-admin");
    assert_eq!(
        denial_paths(&r),
        ["spec.container.app.security_context.read_only_root_filesystem"]
    );
    assert!(r.warnings.is_empty());
}

#[test]
fn override_lists_replace_the_defaults() {
    let p = policy(
        "defaults:\n  hostPorts: {mode: enforce, allowed: [{min: 9100}]}\nnamespaces:\n  - match: [edge]\n    overrides: {hostPorts: {allowed: [{min: 443}]}}\n",
    );
    let spec = |port: u16| {
        format!(
            "container:\n  app:\n    ports:\n      - {{name: p, container_port: {port}, host_port: {port}}}\n"
        )
    };
    assert!(p.evaluate(&kds("edge", &spec(443)), "edge").allowed());
    assert!(!p.evaluate(&kds("edge", &spec(9100)), "edge").allowed());
    assert!(p.evaluate(&kds("other", &spec(9100)), "other").allowed());
}

#[test]
fn an_override_can_turn_a_gate_on_or_off() {
    let p = policy(
        "defaults:\n  tenancy: {mode: enforce}\nnamespaces:\n  - match: [sandbox]\n    overrides:\n      tenancy: {mode: off}\n      secrets: {mode: enforce}\n",
    );
    let spec = "namespace: {value: elsewhere}\ncontainer:\n  app:\n    env:\n      secrets:\n        A: {secret_ref: {namespace: x, name: s, key: k}}\n";
    let r = p.evaluate(&kds("sandbox", spec), "sandbox");
    assert_eq!(
        denial_paths(&r),
        ["spec.container.app.env.secrets[A].secret_ref.namespace"]
    );
    assert_eq!(r.decisions.len(), 1);
    assert_eq!(r.decisions[0].gate, "secrets");
}

#[test]
fn all_gates_report_at_once_in_a_fixed_order() {
    let body = "defaults:\n".to_owned()
        + &GATES
            .iter()
            .map(|g| format!("  {g}: {{mode: enforce}}\n"))
            .collect::<String>();
    let r = eval(
        &body,
        "team-a",
        "namespace: {value: team-a}\ncontainer:\n  app:\n    image: {repo: nginx, tag: '1.25'}\n    security_context: {run_as_non_root: true}\n",
    );
    assert!(r.allowed(), "{:#?}", r.denials);
    let gates: Vec<&str> = r.decisions.iter().map(|d| d.gate).collect();
    assert_eq!(gates, GATES);
    assert!(
        r.decisions
            .iter()
            .all(|d| d.mode == Mode::Enforce && !d.violated)
    );
}

#[test]
fn policy_is_cheap_to_share() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<Policy>();
    let p = policy(POLICY);
    let q = p.clone();
    assert_eq!(q.scope("kube-system"), p.scope("kube-system"));
}
