//! Validation of a defaulted `KubernetesDaemonSet`: every rule of the original Project Planton
//! spec, every API-server rule the expanded objects would hit, and the gaps the original
//! leaves open, each reported on the field the user wrote, all at once.
//!
//! One module per part of the spec; [`names`] holds apimachinery's name rules and [`image`]
//! the registry's reference grammar. Paths are rendered only when an error is found (module `at`),
//! so a valid object costs no allocation per list item.

mod at;
pub mod field;
pub mod image;
pub mod names;

mod container;
mod env;
mod metadata;
mod ports;
mod probes;
mod rbac;
mod resources;
mod scheduling;
mod security;
mod sidecars;
mod strategy;
mod target;
mod update;
mod volumes;
mod warnings;

#[cfg(test)]
mod fixtures;

use serde_json::Value;

use crate::api::KubernetesDaemonSet;
use field::{FieldError, FieldErrors, FieldPath, Warning};
use names::Msgs;

pub use env::BUILTIN_ENV_NAMES;

/// Every error of a (defaulted) object, all at once, in spec order.
pub fn validate(kds: &KubernetesDaemonSet) -> FieldErrors {
    let mut errs = FieldErrors::new();
    let spec = &kds.spec;
    let sp = FieldPath::root("spec");
    metadata::validate(kds, &mut errs);
    target::validate(spec, &sp, &mut errs);
    container::validate(spec, &sp, &mut errs);
    scheduling::validate(spec, &sp, &mut errs);
    strategy::validate(spec, &sp, &mut errs);
    metadata::validate_companions(spec, &sp, &mut errs);
    rbac::validate(spec, &sp, &mut errs);
    errs
}

/// Errors that only an update can have: changes the generated DaemonSet cannot take.
pub fn validate_update(old: &KubernetesDaemonSet, new: &KubernetesDaemonSet) -> FieldErrors {
    update::validate(old, new)
}

/// Non-fatal findings worth telling the user.
pub fn warnings(kds: &KubernetesDaemonSet) -> Vec<Warning> {
    warnings::collect(kds)
}

// === helpers shared by the rule modules ===

/// One `Invalid` per apimachinery message, as the API server reports name rules; the path and
/// value are built only when there is a message.
fn invalid_each(
    errs: &mut FieldErrors,
    msgs: Msgs,
    path: impl FnOnce() -> FieldPath,
    value: impl Into<Value>,
) {
    if msgs.is_empty() {
        return;
    }
    let (path, value) = (path(), value.into());
    for m in msgs {
        errs.push(FieldError::invalid(path.clone(), value.clone(), m));
    }
}

/// `ValidateNonnegativeField`.
fn non_negative<T: Into<i64> + Copy>(
    errs: &mut FieldErrors,
    v: Option<T>,
    path: impl FnOnce() -> FieldPath,
) {
    if let Some(n) = v.map(Into::into).filter(|n| *n < 0) {
        errs.push(FieldError::invalid(
            path(),
            n,
            "must be greater than or equal to 0",
        ));
    }
}

/// The string, if set and non-empty: proto3 treats `""` as unset.
fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// JSON of a sub-object, shown as the value of an `Invalid` about the object as a whole.
fn json_of(v: &impl serde::Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests;
