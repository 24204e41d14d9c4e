//! `rbac`: the original's `min_items` rules, and the rule it only states in a comment.

use super::at::At;
use super::field::{FieldError, FieldErrors, FieldPath};
use crate::api::{KubernetesDaemonSetRbacRule, KubernetesDaemonSetSpec};

pub(super) fn validate(spec: &KubernetesDaemonSetSpec, sp: &FieldPath, errs: &mut FieldErrors) {
    let Some(rbac) = &spec.rbac else {
        return;
    };
    let lists = [
        (
            "cluster_rules",
            rbac.cluster_rules.as_deref().unwrap_or_default(),
        ),
        (
            "namespace_rules",
            rbac.namespace_rules.as_deref().unwrap_or_default(),
        ),
    ];
    let rp = sp.child("rbac");
    // The original says "only used if create_service_account is true" and silently drops the
    // rules otherwise; a grant that never happens is an error, not a surprise at runtime.
    if lists.iter().any(|(_, l)| !l.is_empty()) && spec.create_service_account != Some(true) {
        errs.push(FieldError::forbidden(
            rp.clone(),
            "requires create_service_account: true; the rules are bound to the created ServiceAccount",
        ));
    }
    for (field, rules) in lists {
        if rules.is_empty() {
            continue;
        }
        let lp = rp.child(field);
        for (i, r) in rules.iter().enumerate() {
            rule(r, At::index(&lp, i), errs);
        }
    }
}

/// `ValidatePolicyRule` for resource rules: each list needs an item.
fn rule(r: &KubernetesDaemonSetRbacRule, at: At<'_>, errs: &mut FieldErrors) {
    let lists = [
        (
            "api_groups",
            &r.api_groups,
            "resource rules must supply at least one api group",
        ),
        (
            "resources",
            &r.resources,
            "resource rules must supply at least one resource",
        ),
        ("verbs", &r.verbs, "verbs must contain at least one value"),
    ];
    for (field, list, detail) in lists {
        if list.as_ref().is_none_or(Vec::is_empty) {
            errs.push(FieldError::required(at.field(field), detail));
        }
    }
}
