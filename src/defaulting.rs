//! Defaulting of a `KubernetesDaemonSet` (being built).

use crate::api::KubernetesDaemonSet;

/// Fills every default in place; idempotent.
pub fn apply_defaults(_kds: &mut KubernetesDaemonSet) {}
