//! Builders shared by the policy tests.

use kds_webhook::admission::{self, Context, Webhook};
use kds_webhook::api::{KubernetesDaemonSet, KubernetesDaemonSetSpec};
use kds_webhook::policy::{Decision, Mode, Policy, PolicyError, PolicyReport};
use kds_webhook::{defaulting, manifest};
use serde_json::{Value, json};

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
    for mode in ["enforce", "warn", "off"] {
        assert_validate_reply_carries_the_report(&body(mode), violating);
    }
    assert_validate_reply_carries_the_report(&body("enforce"), compliant);

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
        assert!(shown.len() < 120, "{} chars: {shown}", shown.len());
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

/// What the policy put into a `/validate` reply.
#[derive(Debug, PartialEq)]
struct PolicyInReply {
    /// Paths of the 422 causes that are gate denials.
    denials: Vec<String>,
    /// The warnings that are gate warnings.
    warnings: Vec<String>,
    /// Keys of the audit annotations.
    audit: Vec<String>,
}

/// `/validate` judges the *defaulted* object (what the mutating webhook made of it): its reply
/// must carry exactly the policy report of that object, enforce denials as causes and warn
/// findings as warnings (cleaned like every warning: a long user value is cut to fit) plus one
/// `policy-<gate>` audit annotation per gate.
fn assert_validate_reply_carries_the_report(policy_body: &str, spec: &str) {
    let policy = policy(policy_body);
    let raw = kds(NS, spec);
    let mut defaulted = raw.clone();
    defaulting::apply_defaults(&mut defaulted);
    let report = policy.evaluate(&defaulted, NS);
    let mut audit: Vec<String> = report
        .warnings
        .iter()
        .map(|w| format!("policy-{}", w.gate))
        .collect();
    audit.dedup();
    let expected = PolicyInReply {
        denials: denial_paths(&report),
        warnings: admission::status::clean_warnings(
            report.warnings.iter().map(ToString::to_string),
        ),
        audit,
    };
    assert_eq!(
        through_validate(&policy, &raw),
        expected,
        "{policy_body}\n{spec}"
    );
}

fn through_validate(policy: &Policy, kds: &KubernetesDaemonSet) -> PolicyInReply {
    let gvk = json!({"group": "kubernetes.project-planton.org", "version": "v1", "kind": "KubernetesDaemonSet"});
    let review = json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "0c8f6f3e-2b1d-4c59-9f55-3f1f7f0d7a11",
            "kind": gvk,
            "resource": {"group": "kubernetes.project-planton.org", "version": "v1", "resource": "kubernetesdaemonsets"},
            "name": "agent",
            "namespace": NS,
            "operation": "CREATE",
            "userInfo": {"username": "tenant"},
            "object": manifest::to_value(kds),
            "oldObject": null,
            "dryRun": false
        }
    });
    let ctx = Context {
        policy: Some(policy),
        ..Context::default()
    };
    let body = serde_json::to_vec(&review).expect("json");
    let reply = admission::review(&body, Webhook::Validate, &ctx);
    let reply: Value = serde_json::from_slice(&reply.body).expect("an AdmissionReview reply");
    let response = &reply["response"];
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect()
    };
    let denials = response["status"]["details"]["causes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            c["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Forbidden: policy gate "))
        })
        .map(|c| c["field"].as_str().unwrap_or_default().to_owned())
        .collect();
    let warnings = strings(&response["warnings"])
        .into_iter()
        .filter(|w| w.contains(": policy "))
        .collect();
    let audit = response["auditAnnotations"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    PolicyInReply {
        denials,
        warnings,
        audit,
    }
}
