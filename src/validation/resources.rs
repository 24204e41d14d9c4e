//! CPU and memory quantities: syntax, sign, the 1.36 printing bug, request ≤ limit.

use serde_json::Value;

use super::field::{FieldError, FieldErrors, FieldPath};
use crate::api::{ContainerResources, CpuMemory, ParsedQuantity, Quantity, QuantityFormat};

/// 1000E in nano-units: from here on Kubernetes 1.36 prints a DecimalSI quantity wrongly
/// (`1000E` comes back as `1`, kubernetes-rules §5.2), so such a value would silently change.
const DECIMAL_SI_LIMIT_NANOS: i128 = 1_000 * 1_000_000_000_000_000_000 * 1_000_000_000;

pub(super) fn validate(r: &ContainerResources, rp: &FieldPath, errs: &mut FieldErrors) {
    for name in ["cpu", "memory"] {
        let (limit, request) = (
            pick(r.limits.as_ref(), name),
            pick(r.requests.as_ref(), name),
        );
        let lq = non_negative(limit, || rp.child("limits").child(name), errs);
        let rq = non_negative(request, || rp.child("requests").child(name), errs);
        if let (Some(l), Some(rq), Some(limit), Some(request)) = (lq, rq, limit, request)
            && rq > l
        {
            errs.push(FieldError::invalid(
                rp.child("requests").child(name),
                request.as_str(),
                format!(
                    "must be less than or equal to {name} limit of {}",
                    limit.as_str()
                ),
            ));
        }
    }
}

fn pick<'a>(side: Option<&'a CpuMemory>, name: &str) -> Option<&'a Quantity> {
    side.and_then(|cm| {
        if name == "cpu" {
            cm.cpu.as_ref()
        } else {
            cm.memory.as_ref()
        }
    })
}

/// A resource quantity that parses and is not negative.
fn non_negative(
    q: Option<&Quantity>,
    path: impl Fn() -> FieldPath,
    errs: &mut FieldErrors,
) -> Option<ParsedQuantity> {
    let parsed = parse_quantity(q, &path, errs)?;
    if parsed.is_negative() {
        errs.push(FieldError::invalid(
            path(),
            q.map_or(Value::Null, |q| q.as_str().into()),
            "must be greater than or equal to 0",
        ));
        return None;
    }
    Some(parsed)
}

/// Parses a quantity as the API server reads it from JSON (surrounding whitespace trimmed);
/// reports a malformed one with apimachinery's message, and one too large to print back.
pub(super) fn parse_quantity(
    q: Option<&Quantity>,
    path: impl Fn() -> FieldPath,
    errs: &mut FieldErrors,
) -> Option<ParsedQuantity> {
    let q = q?;
    match ParsedQuantity::parse(q.as_str().trim()) {
        Err(e) => {
            errs.push(FieldError::invalid(path(), q.as_str(), e.to_string()));
            None
        }
        Ok(p)
            if p.format == QuantityFormat::DecimalSi && p.nanos.abs() >= DECIMAL_SI_LIMIT_NANOS =>
        {
            errs.push(FieldError::invalid(
                path(),
                q.as_str(),
                "must be less than 1000E: Kubernetes 1.36 prints larger decimal quantities wrongly",
            ));
            None
        }
        Ok(p) => Some(p),
    }
}
