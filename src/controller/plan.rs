//! What one reconcile should do, decided without a client: run the engine's own pipeline
//! (default → validate → policy gates → expand), check the administrator's scope, and turn
//! the expansion into children; or say, in the same words `kds-webhook validate` prints, why
//! nothing may be applied.

use crate::api::{InventoryEntry, KubernetesDaemonSet};
use crate::engine;
use crate::naming::target_namespace;
use crate::policy::Policy;
use crate::validation::field::FieldErrors;

use super::children::{self, Child, ChildKind};
use super::scope::Scope;

/// How many field errors a condition message repeats; the rest are counted. A condition
/// message may hold 32 KiB, and `kubectl describe` prints it whole.
pub const MESSAGE_ERRORS: usize = 10;

/// Why nothing (more) is applied until someone changes something: the `Stalled` condition's
/// reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StallReason {
    /// Validation or a policy gate refuses the object (admitted while the webhook was down,
    /// with `failurePolicy: Ignore`, or under a policy changed since).
    Invalid,
    /// The controller's scope settings refuse what the object asks for.
    OutOfScope,
    /// A child exists that this object does not own (someone else's, or another
    /// KubernetesDaemonSet's).
    OwnershipConflict,
    /// The API server refused an apply for a reason a retry cannot fix (403, 404, 422).
    ApplyRejected,
}

impl StallReason {
    /// The condition reason (CamelCase, as the API conventions ask).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invalid => "Invalid",
            Self::OutOfScope => "OutOfScope",
            Self::OwnershipConflict => "OwnershipConflict",
            Self::ApplyRejected => "ApplyRejected",
        }
    }
}

/// A stalled reconcile: reason and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stall {
    /// The reason.
    pub reason: StallReason,
    /// What is wrong and what to change, for the condition and the event.
    pub message: String,
}

/// The children to apply.
#[derive(Clone, Debug, PartialEq)]
pub struct Desired {
    /// In apply order.
    pub children: Vec<Child>,
    /// `spec.namespace.value` after defaulting.
    pub target_namespace: String,
    /// The DaemonSet's name.
    pub daemon_set_name: String,
}

impl Desired {
    /// The inventory entries of every child, sorted.
    pub fn inventory(&self) -> Vec<InventoryEntry> {
        let mut v: Vec<InventoryEntry> = self.children.iter().map(Child::entry).collect();
        v.sort();
        v
    }
}

/// The outcome of planning.
#[derive(Clone, Debug, PartialEq)]
pub enum Plan {
    /// Apply these children.
    Apply(Desired),
    /// Apply nothing; report why.
    Stalled(Stall),
}

/// Plans one reconcile of `kds` as stored in the cluster.
pub fn plan(kds: &KubernetesDaemonSet, policy: Option<&Policy>, scope: &Scope) -> Plan {
    let checked = engine::check(kds.clone(), policy);
    if !checked.is_valid() {
        return Plan::Stalled(Stall {
            reason: StallReason::Invalid,
            message: invalid_message(&checked.errors),
        });
    }
    if let Some(refusal) = scope.check(&checked.defaulted) {
        return Plan::Stalled(Stall {
            reason: StallReason::OutOfScope,
            message: refusal.message,
        });
    }
    match engine::render(&checked) {
        Ok(expansion) => Plan::Apply(Desired {
            children: children::desired(&checked.defaulted, &expansion),
            target_namespace: target_namespace(&checked.defaulted).to_owned(),
            daemon_set_name: crate::naming::name(&checked.defaulted).to_owned(),
        }),
        Err(e) => Plan::Stalled(Stall {
            reason: StallReason::Invalid,
            message: e.to_string(),
        }),
    }
}

/// The validation errors as `validate` prints them (`path: Type: detail`), the first
/// [`MESSAGE_ERRORS`] of them, then a count of the rest.
pub fn invalid_message(errors: &FieldErrors) -> String {
    let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let shown = all.len().min(MESSAGE_ERRORS);
    let mut msg = format!(
        "the object is invalid, nothing is applied until it is fixed ({} error{}): {}",
        all.len(),
        if all.len() == 1 { "" } else { "s" },
        all[..shown].join("; ")
    );
    if all.len() > shown {
        msg.push_str(&format!("; and {} more", all.len() - shown));
    }
    msg
}

/// What the previous inventory holds that the desired children no longer do, in the order
/// to delete it (the reverse of apply order: a binding before its role, the DaemonSet first).
/// Namespaces are never pruned (they may hold other things), nor anything of a kind the
/// controller does not apply.
pub fn prune_set(previous: &[InventoryEntry], desired: &[InventoryEntry]) -> Vec<InventoryEntry> {
    let mut out: Vec<(ChildKind, InventoryEntry)> = previous
        .iter()
        .filter(|e| !desired.contains(e))
        .filter_map(|e| ChildKind::of(e).map(|k| (k, e.clone())))
        .filter(|(k, _)| *k != ChildKind::Namespace)
        .collect();
    out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    out.dedup();
    out.into_iter().map(|(_, e)| e).collect()
}

/// Previous and desired inventories together, sorted: recorded *before* applying new
/// children, so an object applied by a reconcile whose final status write then fails is
/// still known, and pruned or cleaned up later.
pub fn union(previous: &[InventoryEntry], desired: &[InventoryEntry]) -> Vec<InventoryEntry> {
    let mut v: Vec<InventoryEntry> = previous.iter().chain(desired).cloned().collect();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests;
