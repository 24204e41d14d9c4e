//! Builders shared by the policy tests.

use kds_webhook::api::{KubernetesDaemonSet, KubernetesDaemonSetSpec};
use kds_webhook::policy::{Decision, Mode, Policy, PolicyError, PolicyReport};

/// The namespace gate tests run in.
pub const NS: &str = "team-a";

/// The header every policy file needs.
pub const HEADER: &str =
    "apiVersion: kds-webhook.project-planton.org/v1alpha1\nkind: PolicyConfig\n";

/// Loads a policy body (everything after the header).
pub fn try_policy(body: &str) -> Result<Policy, PolicyError> {
    Policy::from_yaml(&format!("{HEADER}{body}"))
}

/// Loads a policy body that must be valid.
pub fn policy(body: &str) -> Policy {
    match try_policy(body) {
        Ok(p) => p,
        Err(e) => panic!("policy should load: {e}\n{body}"),
    }
}

/// The error text of a policy body that must be invalid.
pub fn policy_error(body: &str) -> String {
    match try_policy(body) {
        Ok(_) => panic!("policy should be refused:\n{body}"),
        Err(e) => e.to_string(),
    }
}

/// An object named `agent` in `namespace` with the spec written as YAML.
pub fn kds(namespace: &str, spec: &str) -> KubernetesDaemonSet {
    let spec: KubernetesDaemonSetSpec = match serde_saphyr::from_str(spec) {
        Ok(s) => s,
        Err(e) => panic!("test spec should parse: {e}\n{spec}"),
    };
    let mut kds = KubernetesDaemonSet::new("agent", spec);
    kds.metadata.namespace = Some(namespace.to_owned());
    kds
}

/// Evaluates `spec` in `namespace` under the policy body.
pub fn eval(body: &str, namespace: &str, spec: &str) -> PolicyReport {
    policy(body).evaluate(&kds(namespace, spec), namespace)
}

/// The denial paths, in order.
pub fn denial_paths(r: &PolicyReport) -> Vec<String> {
    r.denials.iter().map(|d| d.path.to_string()).collect()
}

/// The warning paths, in order.
pub fn warning_paths(r: &PolicyReport) -> Vec<String> {
    r.warnings.iter().map(|w| w.path.to_string()).collect()
}

/// Runs the gate section (with `MODE` as a placeholder) in each mode on `violating`, expecting
/// exactly `paths`, then in `enforce` on `compliant`, expecting nothing.
pub fn assert_gate(gate: &str, section: &str, violating: &str, paths: &[&str], compliant: &str) {
    let body = |mode: &str| format!("defaults:\n  {}\n", section.replace("MODE", mode));

    let r = eval(&body("enforce"), NS, violating);
    assert_eq!(denial_paths(&r), paths, "enforce: {:#?}", r.denials);
    assert!(r.warnings.is_empty());
    let prefix = format!("policy gate {gate} (enforce, namespace \"{NS}\"): ");
    for d in &r.denials {
        assert!(d.detail.starts_with(&prefix), "{}", d.detail);
        assert_eq!(d.kind.reason(), "FieldValueForbidden");
    }
    let decided = |mode, violated| {
        vec![Decision {
            gate: leak(gate),
            mode,
            violated,
        }]
    };
    assert_eq!(r.decisions, decided(Mode::Enforce, true));

    let r = eval(&body("warn"), NS, violating);
    assert!(r.denials.is_empty() && r.allowed());
    assert_eq!(warning_paths(&r), paths, "warn: {:#?}", r.warnings);
    for w in &r.warnings {
        assert_eq!(w.gate, gate);
        assert!(
            w.message.starts_with(&format!("policy {gate}: ")),
            "{}",
            w.message
        );
        let shown = format!("{}: {}", w.path, w.message);
        assert!(shown.len() <= 120, "{} chars: {shown}", shown.len());
    }
    assert_eq!(r.decisions, decided(Mode::Warn, true));

    let r = eval(&body("off"), NS, violating);
    assert!(r.denials.is_empty() && r.warnings.is_empty() && r.decisions.is_empty());

    let r = eval(&body("enforce"), NS, compliant);
    assert!(r.denials.is_empty(), "compliant: {:#?}", r.denials);
    assert_eq!(r.decisions, decided(Mode::Enforce, false));
}

/// Gate names are `&'static str`; tests compare against literals.
fn leak(gate: &str) -> &'static str {
    kds_webhook::policy::GATES
        .iter()
        .find(|g| **g == gate)
        .copied()
        .unwrap_or("unknown gate")
}

pub fn detail(body: &str, spec: &str, i: usize) -> String {
    let r = eval(body, NS, spec);
    r.denials
        .as_slice()
        .get(i)
        .map(|d| d.to_string())
        .unwrap_or_default()
}
