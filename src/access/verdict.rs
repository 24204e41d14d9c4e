//! Answers → denial: one `Forbidden` cause on the field that asks for each right the writer
//! lacks, worded like the API server's own RBAC refusals.

use super::{Grant, MAX_GRANT_PERMISSIONS, Need, Permission, Plan, Scope};
use crate::validation::field::{FieldError, FieldErrors};

/// Missing permissions listed in one cause; the rest are counted.
const MAX_LISTED: usize = 10;

/// The causes of a denial for `user`, empty when every need is met. `allowed` answers a
/// reviewed permission; one never reviewed counts as not allowed.
pub fn verdict(plan: &Plan, user: &str, allowed: impl Fn(&Permission) -> bool) -> FieldErrors {
    let mut errs = FieldErrors::new();
    for need in &plan.needs {
        match need {
            Need::Allowed { field, permission } if !allowed(permission) => {
                errs.push(FieldError::forbidden(
                    field.clone(),
                    format!(
                        "the controller would do this on the writer's behalf, and user {user:?} \
                         cannot {permission}"
                    ),
                ));
            }
            Need::Allowed { .. } => {}
            Need::Grant(g) => grant(g, user, &allowed, &mut errs),
        }
    }
    errs
}

fn grant(g: &Grant, user: &str, allowed: &impl Fn(&Permission) -> bool, errs: &mut FieldErrors) {
    if allowed(&g.escalate) && allowed(&g.bind) {
        return;
    }
    let on = g.scope.role_resource();
    if g.too_many() {
        errs.push(FieldError::forbidden(
            g.field.clone(),
            format!(
                "the rules grant {} permissions, more than the {MAX_GRANT_PERMISSIONS} checked one \
                 by one; only a user allowed to escalate and bind {on} may grant them, and user \
                 {user:?} is not",
                g.total
            ),
        ));
        return;
    }
    let scope = match &g.scope {
        Scope::Namespace(ns) => format!("in the namespace {ns:?}"),
        Scope::Cluster => "at the cluster scope".to_owned(),
    };
    for (i, rule) in g.rules.iter().enumerate() {
        let missing: Vec<&Permission> = rule.iter().filter(|p| !allowed(p)).collect();
        if missing.is_empty() {
            continue;
        }
        let mut listed: Vec<String> = missing
            .iter()
            .take(MAX_LISTED)
            .map(|p| rule_text(p))
            .collect();
        if missing.len() > MAX_LISTED {
            listed.push(format!("and {} more", missing.len() - MAX_LISTED));
        }
        errs.push(FieldError::forbidden(
            g.field.index(i),
            format!(
                "user {user:?} is attempting to grant RBAC permissions not currently held \
                 {scope}: {} (holding escalate and bind on {on} would also do)",
                listed.join(", ")
            ),
        ));
    }
}

/// A permission as the API server lists refused rules:
/// `{APIGroups:["apps"], Resources:["daemonsets"], Verbs:["delete"]}`.
fn rule_text(p: &Permission) -> String {
    let names = if p.name.is_empty() {
        String::new()
    } else {
        format!(", ResourceNames:[{:?}]", p.name)
    };
    format!(
        "{{APIGroups:[{:?}], Resources:[{:?}]{names}, Verbs:[{:?}]}}",
        p.group,
        p.resource_path(),
        p.verb
    )
}
