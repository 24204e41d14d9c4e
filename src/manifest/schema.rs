//! The cluster's verdict on a manifest's shape: the CRD's structural schema applied to the
//! document as written, before serde reads it.
//!
//! The API server checks a custom resource against its CRD's `openAPIV3Schema` before any
//! webhook sees it: a field the schema does not declare is refused by `kubectl apply` (strict
//! field validation, its default) or silently pruned, and a value of the wrong JSON type is
//! refused with `<path> in body must be of type integer: "string"`. The Rust types read more
//! than that (serde aliases accept the original's lowerCamelCase), so without this check the
//! CLI would pass files the cluster refuses. Walking the generated CRD itself, rather than a
//! second hand-written list, keeps the two from drifting apart.
//!
//! The walk knows the parts of a structural schema the CRD uses: `type`, `properties`,
//! `additionalProperties`, `items`, `x-kubernetes-int-or-string` and
//! `x-kubernetes-preserve-unknown-fields`. `null` is accepted everywhere: the API server
//! prunes it from fields that are not `nullable`.

use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::validation::field::{FieldError, FieldErrors, FieldPath};

/// The version schema of the CRD, built once.
fn root() -> &'static Value {
    static ROOT: OnceLock<Value> = OnceLock::new();
    ROOT.get_or_init(|| {
        crate::crd::crd_value()
            .pointer("/spec/versions/0/schema/openAPIV3Schema")
            .cloned()
            .unwrap_or(Value::Null)
    })
}

/// The top-level parts of the object the schema governs (metadata is ObjectMeta, checked by
/// the envelope decoder).
const GOVERNED: &[&str] = &["spec", "status"];

/// Every field the cluster's schema would refuse in `doc`, with its path as the API server
/// names it.
pub fn check(doc: &Value) -> FieldErrors {
    let mut errs = FieldErrors::new();
    let Some(props) = root().get("properties") else {
        return errs;
    };
    for part in GOVERNED {
        if let (Some(v), Some(s)) = (doc.get(*part), props.get(*part)) {
            walk(v, s, &FieldPath::root(part), &mut errs);
        }
    }
    errs
}

/// A key renamed by [`migrate_camel_case`]: where it was, and its snake_case name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Renamed {
    /// The path of the key as written.
    pub path: FieldPath,
    /// The schema's spelling.
    pub to: String,
}

/// For migrating the original's files: renames each lowerCamelCase key that the schema knows
/// in snake_case (and that is not also written in snake_case) to its snake_case name, and
/// returns what was renamed, in document order.
pub fn migrate_camel_case(doc: &mut Value) -> Vec<Renamed> {
    let mut out = Vec::new();
    let Some(props) = root().get("properties") else {
        return out;
    };
    if let Value::Object(top) = doc {
        for part in GOVERNED {
            if let (Some(v), Some(s)) = (top.get_mut(*part), props.get(*part)) {
                rename(v, s, &FieldPath::root(part), &mut out);
            }
        }
    }
    out
}

/// `containerPort` → `container_port`.
pub fn snake_case(key: &str) -> String {
    let mut s = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            s.push('_');
            s.push(c.to_ascii_lowercase());
        } else {
            s.push(c);
        }
    }
    s
}

fn walk(v: &Value, schema: &Value, path: &FieldPath, errs: &mut FieldErrors) {
    if v.is_null() || flag(schema, "x-kubernetes-preserve-unknown-fields") {
        return;
    }
    if flag(schema, "x-kubernetes-int-or-string") {
        if !(v.is_string() || is_integer(v)) {
            errs.push(type_error(path, v, "integer or string"));
        }
        return;
    }
    let Some(want) = schema.get("type").and_then(Value::as_str) else {
        return;
    };
    if !has_type(v, want) {
        errs.push(type_error(path, v, want));
        return;
    }
    match v {
        Value::Object(m) => object(m, schema, path, errs),
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    walk(item, item_schema, &path.index(i), errs);
                }
            }
        }
        _ => {}
    }
}

fn object(m: &Map<String, Value>, schema: &Value, path: &FieldPath, errs: &mut FieldErrors) {
    if let Some(values) = schema.get("additionalProperties").filter(|s| s.is_object()) {
        for (k, v) in m {
            walk(v, values, &path.key(k), errs);
        }
        return;
    }
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (k, v) in m {
        match props.get(k) {
            Some(s) => walk(v, s, &path.child(k), errs),
            None => errs.push(unknown_field(&path.child(k), k, props)),
        }
    }
}

fn rename(v: &mut Value, schema: &Value, path: &FieldPath, out: &mut Vec<Renamed>) {
    if flag(schema, "x-kubernetes-preserve-unknown-fields") {
        return;
    }
    match v {
        Value::Object(m) => {
            if let Some(values) = schema.get("additionalProperties").filter(|s| s.is_object()) {
                for (k, v) in m.iter_mut() {
                    rename(v, values, &path.key(k), out);
                }
                return;
            }
            let Some(props) = schema.get("properties").and_then(Value::as_object) else {
                return;
            };
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                let snake = snake_case(&k);
                let name = if !props.contains_key(&k)
                    && props.contains_key(&snake)
                    && !m.contains_key(&snake)
                {
                    if let Some(val) = m.remove(&k) {
                        m.insert(snake.clone(), val);
                    }
                    out.push(Renamed {
                        path: path.child(&k),
                        to: snake.clone(),
                    });
                    snake
                } else {
                    k
                };
                if let (Some(child), Some(s)) = (m.get_mut(&name), props.get(&name)) {
                    rename(child, s, &path.child(&name), out);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    rename(item, item_schema, &path.index(i), out);
                }
            }
        }
        _ => {}
    }
}

/// `unknown field "spec.createNamespace"`, the API server's strict-decoding words, with the
/// field's snake_case spelling when that is what was meant.
fn unknown_field(path: &FieldPath, key: &str, props: &Map<String, Value>) -> FieldError {
    let snake = snake_case(key);
    let hint = if props.contains_key(&snake) {
        format!(
            "; this field is spelled {snake} (the cluster refuses the camelCase spelling; \
             --camel-case reads such files for migration)"
        )
    } else {
        let mut known: Vec<&str> = props.keys().map(String::as_str).collect();
        known.sort_unstable();
        format!("; known fields here: {}", known.join(", "))
    };
    FieldError::forbidden(path.clone(), format!("unknown field \"{path}\"{hint}"))
}

/// `Invalid value: "string": spec.x in body must be of type integer: "string"`, as the API
/// server's schema validation says it. Only the value's JSON type is shown, never the value
/// (it may be a secret).
fn type_error(path: &FieldPath, v: &Value, want: &str) -> FieldError {
    let got = json_type(v);
    FieldError::invalid(
        path.clone(),
        got,
        format!("{path} in body must be of type {want}: \"{got}\""),
    )
}

fn flag(schema: &Value, name: &str) -> bool {
    schema.get(name).and_then(Value::as_bool) == Some(true)
}

fn is_integer(v: &Value) -> bool {
    v.as_i64().is_some() || v.as_u64().is_some()
}

fn has_type(v: &Value, want: &str) -> bool {
    match want {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "integer" => is_integer(v),
        "number" => v.is_number(),
        _ => true,
    }
}

/// The JSON type names the API server uses in its messages.
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc(spec: Value) -> Value {
        json!({"apiVersion": crate::api::API_VERSION, "kind": "KubernetesDaemonSet",
            "metadata": {"name": "a"}, "spec": spec})
    }

    fn messages(errs: &FieldErrors) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_camel_case_key_is_an_unknown_field_naming_the_snake_case_one() {
        let errs = check(&doc(
            json!({"createNamespace": true, "container": {"app": {"ports": [{"containerPort": 80}]}}}),
        ));
        let text = messages(&errs);
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(
            text.iter().any(|t| t.starts_with(
                "spec.createNamespace: Forbidden: unknown field \"spec.createNamespace\"; this field is spelled create_namespace"
            )),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.starts_with(
                "spec.container.app.ports[0].containerPort: Forbidden: unknown field"
            ) && t.contains("spelled container_port")),
            "{text:?}"
        );
    }

    #[test]
    fn an_unknown_field_lists_only_snake_case_names() {
        let errs = check(&doc(json!({"container": {"app": {"host_network": true}}})));
        let text = messages(&errs).join("\n");
        assert!(
            text.contains("known fields here: args, command, env"),
            "{text}"
        );
        assert!(!text.contains("volumeMounts"), "{text}");
    }

    #[test]
    fn a_wrong_type_is_named_as_the_api_server_names_it() {
        let errs = check(&doc(json!({"min_ready_seconds": "twenty"})));
        assert_eq!(
            messages(&errs),
            vec![
                "spec.min_ready_seconds: Invalid value: \"string\": spec.min_ready_seconds in body must be of type integer: \"string\""
            ]
        );
    }

    #[test]
    fn map_values_int_or_string_null_and_shorthands_follow_the_schema() {
        let ok = doc(json!({
            "node_selector": {"kubernetes.io/os": "linux"},
            "update_strategy": null,
            "container": {"app": {
                "resources": {"limits": {"cpu": 1, "memory": "1Gi"}},
                "volume_mounts": [{"name": "logs", "mount_path": "/l", "host_path": "/var/log"}]
            }}
        }));
        assert!(check(&ok).is_empty(), "{}", check(&ok));
        let errs = check(&doc(json!({"node_selector": {"a": 1}})));
        assert_eq!(
            errs.iter().next().map(|e| e.path.as_str()),
            Some("spec.node_selector[a]")
        );
    }

    #[test]
    fn migration_renames_camel_case_keys_and_the_result_passes() {
        let mut d = doc(
            json!({"createNamespace": true, "nodeSelector": {"someLabel": "x"},
            "container": {"app": {"ports": [{"containerPort": 80, "name": "m"}]}}}),
        );
        let renamed = migrate_camel_case(&mut d);
        let paths: Vec<&str> = renamed.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "spec.container.app.ports[0].containerPort",
                "spec.createNamespace",
                "spec.nodeSelector"
            ]
        );
        assert!(check(&d).is_empty(), "{}", check(&d));
        // Map keys are data, never renamed.
        assert_eq!(
            d.pointer("/spec/node_selector/someLabel"),
            Some(&json!("x"))
        );
    }
}
