//! Placement: `node_selector` and `tolerations`, with the API server's cross-field rules.

use std::collections::BTreeMap;

use super::at::At;
use super::field::{FieldError, FieldErrors, FieldPath};
use super::{invalid_each, names};
use crate::api::{KubernetesDaemonSetSpec, KubernetesDaemonSetToleration};

/// Operators the API server accepts (with the alpha `Lt`/`Gt` gate off).
const OPERATORS: [&str; 2] = ["Equal", "Exists"];
/// Effects, in the API server's order.
const EFFECTS: [&str; 3] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

pub(super) fn validate(spec: &KubernetesDaemonSetSpec, sp: &FieldPath, errs: &mut FieldErrors) {
    if let Some(sel) = spec.node_selector.as_ref().filter(|s| !s.is_empty()) {
        node_selector(sel, &sp.child("node_selector"), errs);
    }
    if let Some(tols) = spec.tolerations.as_ref().filter(|t| !t.is_empty()) {
        let tp = sp.child("tolerations");
        for (i, t) in tols.iter().enumerate() {
            toleration(t, At::index(&tp, i), errs);
        }
    }
}

/// Keys are label keys, values label values; reported at `node_selector[key]`, which names
/// the entry (the API server reports the whole map).
fn node_selector(sel: &BTreeMap<String, String>, np: &FieldPath, errs: &mut FieldErrors) {
    for (k, v) in sel {
        let at = At::key(np, k);
        invalid_each(errs, names::label_key(k), || at.path(), k.as_str());
        invalid_each(errs, names::label_value(v), || at.path(), v.as_str());
    }
}

/// `ValidateTolerations`: the errors land where the API server puts them (mostly on
/// `operator`).
fn toleration(t: &KubernetesDaemonSetToleration, at: At<'_>, errs: &mut FieldErrors) {
    let key = t.key.as_deref().unwrap_or_default();
    let op = t.operator.as_deref().unwrap_or_default();
    let value = t.value.as_deref().unwrap_or_default();
    let effect = t.effect.as_deref().unwrap_or_default();
    if !key.is_empty() {
        invalid_each(errs, names::label_key(key), || at.field("key"), key);
    } else if op != "Exists" {
        errs.push(FieldError::invalid(
            at.field("operator"),
            op,
            "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
        ));
    }
    // 0 is proto3's "unset", and the expansion drops it.
    if t.toleration_seconds.is_some_and(|s| s != 0) && effect != "NoExecute" {
        errs.push(FieldError::invalid(
            at.field("effect"),
            effect,
            "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ));
    }
    match op {
        "" | "Equal" => {
            let msgs = names::label_value(value);
            if !msgs.is_empty() {
                errs.push(FieldError::invalid(
                    at.field("operator"),
                    value,
                    msgs.join("; "),
                ));
            }
        }
        "Exists" if !value.is_empty() => errs.push(FieldError::invalid(
            at.field("operator"),
            value,
            "value must be empty when `operator` is 'Exists'",
        )),
        "Exists" => {}
        _ => errs.push(FieldError::not_supported(
            at.field("operator"),
            op,
            &OPERATORS,
        )),
    }
    if !effect.is_empty() && !EFFECTS.contains(&effect) {
        errs.push(FieldError::not_supported(
            at.field("effect"),
            effect,
            &EFFECTS,
        ));
    }
}
