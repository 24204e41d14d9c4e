//! The status a reconcile leaves behind, computed without a client: conditions `Ready`,
//! `Reconciling` and `Stalled` in the `metav1.Condition` shape, the DaemonSet's pod counts,
//! the inventory, and the original's `outputs`.
//!
//! A condition keeps its `lastTransitionTime` while its status stays the same, so an unchanged
//! world computes an identical status, and the controller writes status only when it differs.

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::api::{
    Condition, InventoryEntry, KubernetesDaemonSetStackOutputs, KubernetesDaemonSetStatus,
};

use super::plan::Stall;

/// Condition types.
pub const READY: &str = "Ready";
/// See [`READY`].
pub const RECONCILING: &str = "Reconciling";
/// See [`READY`].
pub const STALLED: &str = "Stalled";

const TRUE: &str = "True";
const FALSE: &str = "False";

/// What the DaemonSet reports, as far as readiness goes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rollout {
    /// `metadata.generation`.
    pub generation: i64,
    /// `status.observedGeneration` (0 before the DaemonSet controller has seen it).
    pub observed_generation: i64,
    /// `status.desiredNumberScheduled`.
    pub desired: i32,
    /// `status.currentNumberScheduled`.
    pub current: i32,
    /// `status.updatedNumberScheduled`.
    pub updated: i32,
    /// `status.numberReady`.
    pub ready: i32,
    /// `status.numberAvailable`.
    pub available: i32,
    /// `spec.updateStrategy.type` is `OnDelete`: pods take a new template only when deleted.
    pub on_delete: bool,
}

impl Rollout {
    /// Reads a DaemonSet as the API server returned it (from the apply's response).
    pub fn of(ds: &DaemonSet) -> Self {
        let status = ds.status.clone().unwrap_or_default();
        Self {
            generation: ds.metadata.generation.unwrap_or_default(),
            observed_generation: status.observed_generation.unwrap_or_default(),
            desired: status.desired_number_scheduled,
            current: status.current_number_scheduled,
            updated: status.updated_number_scheduled.unwrap_or_default(),
            ready: status.number_ready,
            available: status.number_available.unwrap_or_default(),
            on_delete: ds
                .spec
                .as_ref()
                .and_then(|s| s.update_strategy.as_ref())
                .and_then(|u| u.type_.as_deref())
                == Some("OnDelete"),
        }
    }

    /// `kubectl rollout status`'s rule: the DaemonSet controller has observed the current
    /// generation, and every desired pod is updated and available. With `OnDelete` pods are
    /// updated only when someone deletes them, so only availability counts.
    pub fn is_complete(&self) -> bool {
        self.observed_generation >= self.generation
            && (self.on_delete || self.updated >= self.desired)
            && self.available >= self.desired
    }

    fn progress(&self, name: &str) -> String {
        if self.observed_generation < self.generation {
            return format!(
                "waiting for the DaemonSet controller to observe generation {} of DaemonSet {name:?}",
                self.generation
            );
        }
        let updated = if self.on_delete {
            String::new()
        } else {
            format!("{} of {} pods updated, ", self.updated, self.desired)
        };
        format!(
            "DaemonSet {name:?}: {updated}{} of {} available",
            self.available, self.desired
        )
    }
}

/// What a reconcile achieved.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Every child applied (and what was no longer wanted pruned).
    Applied {
        /// The target namespace.
        target_namespace: String,
        /// The DaemonSet's name.
        daemon_set_name: String,
        /// The DaemonSet as the apply returned it.
        rollout: Rollout,
        /// Everything now applied.
        inventory: Vec<InventoryEntry>,
    },
    /// Nothing (more) applied; someone must change something.
    Stalled(Stall),
    /// A transient failure (conflict, throttling, server error); retried with backoff.
    Retrying {
        /// The error, for the `Reconciling` condition.
        message: String,
    },
}

/// The status after `outcome`, for the object at `generation`, given what it was before.
pub fn next(
    previous: Option<&KubernetesDaemonSetStatus>,
    generation: Option<i64>,
    outcome: &Outcome,
    now: &Time,
) -> KubernetesDaemonSetStatus {
    let mut status = previous.cloned().unwrap_or_default();
    let mut conditions = Conditions {
        list: status.conditions.take().unwrap_or_default(),
        generation,
        now,
    };
    match outcome {
        Outcome::Applied {
            target_namespace,
            daemon_set_name,
            rollout,
            inventory,
        } => {
            status.observed_generation = generation;
            status.target_namespace = Some(target_namespace.clone());
            status.desired_number_scheduled = Some(rollout.desired);
            status.current_number_scheduled = Some(rollout.current);
            status.updated_number_scheduled = Some(rollout.updated);
            status.number_ready = Some(rollout.ready);
            status.number_available = Some(rollout.available);
            status.inventory = Some(inventory.clone());
            status.outputs = Some(KubernetesDaemonSetStackOutputs {
                namespace: Some(target_namespace.clone()),
                daemonset_name: Some(daemon_set_name.clone()),
                desired_number_scheduled: Some(rollout.desired.to_string()),
                current_number_scheduled: Some(rollout.current.to_string()),
                number_ready: Some(rollout.ready.to_string()),
            });
            let progress = rollout.progress(daemon_set_name);
            conditions.set(STALLED, FALSE, "Applied", "every object is applied");
            if rollout.is_complete() {
                let msg = format!(
                    "DaemonSet {daemon_set_name:?}: {} of {} pods available",
                    rollout.available, rollout.desired
                );
                conditions.set(READY, TRUE, "Available", &msg);
                conditions.set(RECONCILING, FALSE, "Available", &msg);
            } else {
                conditions.set(READY, FALSE, "RollingOut", &progress);
                conditions.set(RECONCILING, TRUE, "RollingOut", &progress);
            }
        }
        Outcome::Stalled(stall) => {
            status.observed_generation = generation;
            let reason = stall.reason.as_str();
            conditions.set(STALLED, TRUE, reason, &stall.message);
            conditions.set(READY, FALSE, reason, &stall.message);
            conditions.set(
                RECONCILING,
                FALSE,
                reason,
                "waiting for a change to the object",
            );
        }
        Outcome::Retrying { message } => {
            conditions.set(RECONCILING, TRUE, "RetryingAfterError", message);
        }
    }
    status.conditions = Some(conditions.list);
    status
}

/// The inventory recorded before new children are applied (see [`super::plan::union`]).
pub fn with_inventory(
    previous: Option<&KubernetesDaemonSetStatus>,
    inventory: Vec<InventoryEntry>,
) -> KubernetesDaemonSetStatus {
    let mut status = previous.cloned().unwrap_or_default();
    status.inventory = Some(inventory);
    status
}

/// The conditions being rewritten, in a stable order (`Ready`, `Reconciling`, `Stalled`).
struct Conditions<'a> {
    list: Vec<Condition>,
    generation: Option<i64>,
    now: &'a Time,
}

impl Conditions<'_> {
    fn set(&mut self, type_: &str, status: &str, reason: &str, message: &str) {
        let transition = match self.list.iter().find(|c| c.type_ == type_) {
            Some(old) if old.status == status => old.last_transition_time.clone(),
            _ => self.now.clone(),
        };
        let condition = Condition {
            type_: type_.to_owned(),
            status: status.to_owned(),
            reason: reason.to_owned(),
            message: message.to_owned(),
            observed_generation: self.generation,
            last_transition_time: transition,
        };
        self.list.retain(|c| c.type_ != type_);
        self.list.push(condition);
        let rank = |t: &str| [READY, RECONCILING, STALLED].iter().position(|x| *x == t);
        self.list
            .sort_by_key(|c| rank(&c.type_).unwrap_or(usize::MAX));
    }
}

/// The condition of `type_`, if set.
pub fn condition<'a>(status: &'a KubernetesDaemonSetStatus, type_: &str) -> Option<&'a Condition> {
    status
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
}

#[cfg(test)]
mod tests;
