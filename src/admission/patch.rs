//! The mutating webhook's JSON patch: the RFC 6902 difference between the `spec` the API
//! server sent and the defaulted `spec`, base64-encoded (standard alphabet, padded), or nothing
//! at all when defaulting changed nothing.
//!
//! Only `spec` is compared, so server-managed metadata (`managedFields`, `resourceVersion`,
//! annotations) can never be touched by the patch.

use base64::Engine as _;
use serde_json::{Map, Value};

/// The patch turning `raw_spec` into `defaulted_spec`, with paths under `/spec`; `None` when
/// the two are equal. Both values are moved in, not copied.
pub fn spec_patch(raw_spec: Value, defaulted_spec: Value) -> Option<json_patch::Patch> {
    if raw_spec == defaulted_spec {
        return None;
    }
    // Diffing `{spec: a}` against `{spec: b}` prefixes every path with `/spec` and still
    // produces `replace /spec` when the whole spec changes shape.
    let wrap = |v| Value::Object(Map::from_iter([("spec".to_owned(), v)]));
    let patch = json_patch::diff(&wrap(raw_spec), &wrap(defaulted_spec));
    (!patch.0.is_empty()).then_some(patch)
}

/// The patch as the API server wants it: base64 (standard alphabet, with padding) of its JSON.
pub fn encode(patch: &json_patch::Patch) -> Result<String, serde_json::Error> {
    let json = serde_json::to_vec(patch)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(json))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn no_patch_when_equal() {
        assert!(spec_patch(json!({"a": 1}), json!({"a": 1})).is_none());
    }

    #[test]
    fn paths_live_under_spec() {
        let p = spec_patch(json!({"a": 1}), json!({"a": 1, "b": {"c": 2}})).expect("patch");
        let v = serde_json::to_value(&p).expect("json");
        assert_eq!(
            v,
            json!([{"op": "add", "path": "/spec/b", "value": {"c": 2}}])
        );
    }

    #[test]
    fn encodes_padded_standard_base64() {
        let p = spec_patch(json!({}), json!({"x": "?>"})).expect("patch");
        let b64 = encode(&p).expect("encode");
        assert_eq!(b64.len() % 4, 0);
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&b64)
            .expect("std base64");
        assert_eq!(
            serde_json::from_slice::<json_patch::Patch>(&raw).expect("patch"),
            p
        );
    }
}
