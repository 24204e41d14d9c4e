//! Rollout: `update_strategy` and `min_ready_seconds`.
//!
//! `max_unavailable`/`max_surge` are read the way the expansion converts them (`intstr.Parse`:
//! an all-digit string is a number, `N%` a percentage), so errors match what the API server
//! would say about the converted DaemonSet. Unset values take the API server's defaults (1
//! and 0) before the "exactly one non-zero" rule, so `{max_surge: 1}` alone is reported as
//! the API server reports it.

use serde_json::Value;

use super::field::{FieldError, FieldErrors, FieldPath};
use super::names::{self, PERCENT_MSG};
use super::non_negative;
use crate::api::{IntOrString, KubernetesDaemonSetRollingUpdate, KubernetesDaemonSetSpec};

/// Strategy types, in the API server's order.
const TYPES: [&str; 2] = ["RollingUpdate", "OnDelete"];

pub(super) fn validate(spec: &KubernetesDaemonSetSpec, sp: &FieldPath, errs: &mut FieldErrors) {
    non_negative(errs, spec.min_ready_seconds, || {
        sp.child("min_ready_seconds")
    });
    let Some(us) = &spec.update_strategy else {
        return;
    };
    let up = sp.child("update_strategy");
    match us.type_.as_deref().unwrap_or_default() {
        "" | "RollingUpdate" => rolling_update(us.rolling_update.as_ref(), &up, errs),
        "OnDelete" if us.rolling_update.is_some() => errs.push(FieldError::forbidden(
            up.child("rolling_update"),
            "may only be set when type is RollingUpdate",
        )),
        "OnDelete" => {}
        other => errs.push(FieldError::not_supported(up.child("type"), other, &TYPES)),
    }
}

fn rolling_update(
    ru: Option<&KubernetesDaemonSetRollingUpdate>,
    up: &FieldPath,
    errs: &mut FieldErrors,
) {
    let rp = || up.child("rolling_update");
    let mu = ru.and_then(|r| r.max_unavailable.as_ref());
    let ms = ru.and_then(|r| r.max_surge.as_ref());
    let unavailable = int_or_percent(mu, 1, || rp().child("max_unavailable"), errs);
    let surge = int_or_percent(ms, 0, || rp().child("max_surge"), errs);
    if unavailable != 0 && surge != 0 {
        errs.push(FieldError::invalid(
            rp().child("max_surge"),
            shown(ms),
            "may not be set when maxUnavailable is non-zero",
        ));
    } else if unavailable == 0 && surge == 0 {
        errs.push(FieldError::required(
            rp().child("max_unavailable"),
            "cannot be 0 when maxSurge is 0",
        ));
    }
}

/// The value as written: numbers bare, strings quoted.
fn shown(v: Option<&IntOrString>) -> Value {
    match v {
        Some(IntOrString::Int(n)) => Value::from(*n),
        Some(IntOrString::String(s)) => Value::from(s.as_str()),
        None => Value::from(0),
    }
}

/// `ValidatePositiveIntOrPercent` + `IsNotMoreThan100Percent`; returns the number the zero
/// checks use (`getIntOrPercentValue`: 0 for an invalid string).
fn int_or_percent(
    v: Option<&IntOrString>,
    default: i64,
    path: impl Fn() -> FieldPath,
    errs: &mut FieldErrors,
) -> i64 {
    let Some(v) = v else {
        return default;
    };
    let number = match v {
        IntOrString::Int(n) => Some(i64::from(*n)),
        IntOrString::String(s) => s.parse::<i32>().ok().map(i64::from),
    };
    if let Some(n) = number {
        if n < 0 {
            errs.push(FieldError::invalid(
                path(),
                shown(Some(v)),
                "must be greater than or equal to 0",
            ));
        }
        return n;
    }
    let IntOrString::String(s) = v else {
        return 0;
    };
    match names::percent(s) {
        Some(p) => {
            if p > 100 {
                errs.push(FieldError::invalid(
                    path(),
                    s.as_str(),
                    "must not be greater than 100%",
                ));
            }
            i64::try_from(p).unwrap_or(i64::MAX)
        }
        None => {
            errs.push(FieldError::invalid(path(), s.as_str(), PERCENT_MSG));
            0
        }
    }
}
