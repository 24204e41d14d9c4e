//! Redaction of secret values before an object or patch reaches a trace log line.
//!
//! `spec.container.app.env.secrets.<NAME>.value` holds literal secrets. Any `secrets` map's
//! entries have their `value` replaced, wherever the map sits, and patch operations whose path
//! runs through `/secrets` lose their value entirely. Annotations are replaced whole: kubectl's
//! client-side apply copies the entire object, secrets included, into the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation as a JSON *string*, which no
//! walk over the object's structure would see into.

use serde_json::Value;

const REDACTED: &str = "<redacted>";

/// A copy of `v` with every `secrets.*.value` replaced by `<redacted>`.
pub fn object(v: &Value) -> Value {
    let mut v = v.clone();
    redact_in_place(&mut v);
    v
}

/// A copy of a JSON patch with secret values redacted.
pub fn patch(p: &super::patch::PatchJson) -> Value {
    let mut v = serde_json::from_slice(p.json()).unwrap_or(Value::Null);
    if let Value::Array(ops) = &mut v {
        for op in ops {
            let through_secrets = op
                .get("path")
                .and_then(Value::as_str)
                .is_some_and(|p| p.contains("/secrets"));
            if let Some(value) = op.get_mut("value") {
                if through_secrets {
                    *value = Value::from(REDACTED);
                } else {
                    redact_in_place(value);
                }
            }
        }
    }
    v
}

fn redact_in_place(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if k == "annotations"
                    && let Value::Object(annotations) = child
                {
                    for value in annotations.values_mut() {
                        *value = Value::from(REDACTED);
                    }
                } else if k == "secrets"
                    && let Value::Object(entries) = child
                {
                    for entry in entries.values_mut() {
                        match entry {
                            Value::Object(e) => {
                                if let Some(val) = e.get_mut("value") {
                                    *val = Value::from(REDACTED);
                                }
                            }
                            other => *other = Value::from(REDACTED),
                        }
                    }
                } else {
                    redact_in_place(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_in_place),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hides_secret_values_only() {
        let v = json!({"spec": {"container": {"app": {"env": {
            "secrets": {"TOKEN": {"value": "hunter2"}, "REF": {"secret_ref": {"name": "s"}}},
            "variables": {"A": {"value": "visible"}}}}}}});
        let r = object(&v).to_string();
        assert!(!r.contains("hunter2"), "{r}");
        assert!(r.contains("visible") && r.contains("secret_ref"), "{r}");
    }

    #[test]
    fn hides_the_copy_kubectl_keeps_in_last_applied_configuration() {
        let applied = json!({"spec": {"container": {"app": {"env": {"secrets": {"TOKEN": {"value": "hunter2"}}}}}}});
        let v = json!({"metadata": {"name": "a", "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": applied.to_string()}}});
        let r = object(&v).to_string();
        assert!(!r.contains("hunter2"), "{r}");
        assert!(
            r.contains("last-applied-configuration") && r.contains("\"name\":\"a\""),
            "{r}"
        );
    }
}
