//! Validation of a defaulted `KubernetesDaemonSet` (being built).

pub mod field;

use crate::api::KubernetesDaemonSet;
use field::{FieldErrors, Warning};

/// Every error of a (defaulted) object, all at once.
pub fn validate(_kds: &KubernetesDaemonSet) -> FieldErrors {
    FieldErrors::new()
}

/// Errors that only an update can have: changes the generated DaemonSet cannot take.
pub fn validate_update(_old: &KubernetesDaemonSet, _new: &KubernetesDaemonSet) -> FieldErrors {
    FieldErrors::new()
}

/// Non-fatal findings worth telling the user.
pub fn warnings(_kds: &KubernetesDaemonSet) -> Vec<Warning> {
    Vec::new()
}
