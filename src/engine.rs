//! The one pipeline every entry point runs on a decoded object: default → validate → policy
//! gates, then (for `render`) expand. Shared by the CLI's `validate`, `render` and `default`
//! commands and usable as is by the admission layer, so the order of the steps, and which
//! namespace the gates see, is decided in one place.
//!
//! ```text
//! manifest::decode ─▶ check(): apply_defaults ─▶ validate + warnings ─▶ policy.evaluate
//!                                                                          │
//!                                               render(): expansion::expand ◀┘ (only when valid)
//! ```

use crate::api::KubernetesDaemonSet;
use crate::defaulting::apply_defaults;
use crate::expansion::{ExpandError, Expansion, expand};
use crate::policy::{Decision, GateWarning, Policy};
use crate::validation::{self, field::FieldErrors};

/// The namespace policy gates see for an object without `metadata.namespace` (what `kubectl`
/// would create it in without `-n`).
pub const DEFAULT_OBJECT_NAMESPACE: &str = "default";

/// One object after defaulting, validation and the policy gates.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The defaulted object (what the mutating webhook makes of it).
    pub defaulted: KubernetesDaemonSet,
    /// Validation errors followed by policy denials; empty when the object is admitted.
    pub errors: FieldErrors,
    /// Validation warnings and warn-mode gate violations, rendered `<path>: <message>`.
    pub warnings: Vec<String>,
    /// The warn-mode gate violations alone, by gate (the webhook also records them as audit
    /// annotations).
    pub policy_warnings: Vec<GateWarning>,
    /// One entry per policy gate evaluated (empty without a policy), for metrics.
    pub decisions: Vec<Decision>,
}

impl Checked {
    /// True when nothing stops the object from being admitted.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// The namespace the object itself lives in: `metadata.namespace`, else
/// [`DEFAULT_OBJECT_NAMESPACE`]. Policy gates are evaluated for this namespace.
pub fn object_namespace(kds: &KubernetesDaemonSet) -> &str {
    kds.metadata
        .namespace
        .as_deref()
        .filter(|n| !n.is_empty())
        .unwrap_or(DEFAULT_OBJECT_NAMESPACE)
}

/// Defaults, validates and (with a policy) gates one decoded object.
pub fn check(mut kds: KubernetesDaemonSet, policy: Option<&Policy>) -> Checked {
    apply_defaults(&mut kds);
    let mut errors = validation::validate(&kds);
    let mut warnings: Vec<String> = validation::warnings(&kds)
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut decisions = Vec::new();
    let mut policy_warnings = Vec::new();
    if let Some(policy) = policy {
        let report = policy.evaluate(&kds, object_namespace(&kds));
        errors.extend(report.denials);
        warnings.extend(report.warnings.iter().map(ToString::to_string));
        policy_warnings = report.warnings;
        decisions = report.decisions;
    }
    Checked {
        defaulted: kds,
        errors,
        warnings,
        policy_warnings,
        decisions,
    }
}

/// Expands a checked object. Callers expand only valid objects; an invalid one is expanded
/// anyway if asked (expansion itself fails only without an app container).
pub fn render(checked: &Checked) -> Result<Expansion, ExpandError> {
    expand(&checked.defaulted)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = include_str!("../tests/fixtures/specs/seed-fluentd.yaml");

    fn seed() -> KubernetesDaemonSet {
        crate::manifest::load(SEED)
            .expect("parse")
            .remove(0)
            .decoded
            .expect("decodes")
    }

    #[test]
    fn the_seed_is_defaulted_valid_and_renders() {
        let checked = check(seed(), None);
        assert!(checked.is_valid(), "{}", checked.errors);
        assert!(checked.defaulted.spec.update_strategy.is_some());
        let objects = render(&checked).expect("expands").objects();
        assert_eq!(objects.len(), 2, "Namespace and DaemonSet");
    }

    #[test]
    fn gates_see_the_objects_own_namespace() {
        let mut kds = seed();
        assert_eq!(object_namespace(&kds), "default");
        kds.metadata.namespace = Some("team-a".into());
        assert_eq!(object_namespace(&kds), "team-a");
    }
}
