//! Builders shared by the policy tests.

use kds_webhook::api::{KubernetesDaemonSet, KubernetesDaemonSetSpec};
use kds_webhook::policy::{Policy, PolicyError, PolicyReport};

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
