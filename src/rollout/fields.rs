//! Field-by-field differences between two versions of the expanded objects.

use std::collections::BTreeMap;

use serde_json::Value;

use super::FieldChange;

/// Longest value shown in a field change, in characters.
const MAX_VALUE_CHARS: usize = 80;

pub(super) fn key_of(v: &Value) -> String {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default();
    let name = v
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match v.pointer("/metadata/namespace").and_then(Value::as_str) {
        Some(ns) => format!("{kind}/{ns}/{name}"),
        None => format!("{kind}/{name}"),
    }
}

pub(super) fn keyed(objects: Vec<Value>) -> Vec<(String, Value)> {
    objects.into_iter().map(|o| (key_of(&o), o)).collect()
}

fn is_secret(v: &Value) -> bool {
    v.get("kind").and_then(Value::as_str) == Some("Secret")
}

/// Differences between two versions of one object; a Secret's `data` and `stringData` values
/// are never shown.
pub(super) fn diff_object(old: &Value, new: &Value, out: &mut Vec<FieldChange>) {
    let secret = is_secret(old) || is_secret(new);
    let (Value::Object(a), Value::Object(b)) = (old, new) else {
        return diff_values("", old, new, secret, out);
    };
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for k in keys {
        let hidden = secret && (k == "data" || k == "stringData");
        match (a.get(k), b.get(k)) {
            (Some(x), Some(y)) => diff_values(k, x, y, hidden, out),
            (x, y) => out.push(change(k.clone(), x, y, hidden)),
        }
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// Leaf differences between two JSON values. Lists whose items all have a unique `name`
/// (containers, env, ports, volumes) are matched by name, so inserting an item does not show
/// every later one as changed; other lists by index.
fn diff_values(path: &str, old: &Value, new: &Value, secret: bool, out: &mut Vec<FieldChange>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let p = join(path, k);
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => diff_values(&p, x, y, secret, out),
                    (x, y) => out.push(change(p, x, y, secret)),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => match (by_name(a), by_name(b)) {
            (Some(a), Some(b)) => {
                for (name, x) in &a {
                    let p = format!("{path}[{name}]");
                    match b.get(name) {
                        Some(y) => diff_values(&p, x, y, secret, out),
                        None => out.push(change(p, Some(x), None, secret)),
                    }
                }
                for (name, y) in &b {
                    if !a.contains_key(name) {
                        out.push(change(format!("{path}[{name}]"), None, Some(y), secret));
                    }
                }
            }
            _ => {
                for i in 0..a.len().max(b.len()) {
                    let p = format!("{path}[{i}]");
                    match (a.get(i), b.get(i)) {
                        (Some(x), Some(y)) => diff_values(&p, x, y, secret, out),
                        (x, y) => out.push(change(p, x, y, secret)),
                    }
                }
            }
        },
        (a, b) if a != b => out.push(change(path.to_owned(), Some(a), Some(b), secret)),
        _ => {}
    }
}

fn by_name(items: &[Value]) -> Option<BTreeMap<String, &Value>> {
    let mut m = BTreeMap::new();
    for i in items {
        let name = i.get("name").and_then(Value::as_str)?;
        if m.insert(name.to_owned(), i).is_some() {
            return None;
        }
    }
    Some(m)
}

fn change(path: String, old: Option<&Value>, new: Option<&Value>, secret: bool) -> FieldChange {
    let show = |v: Option<&Value>| {
        v.map(|v| {
            if secret {
                return "(secret value, not shown)".to_owned();
            }
            let s = v.to_string();
            if s.chars().count() > MAX_VALUE_CHARS {
                let cut: String = s.chars().take(MAX_VALUE_CHARS - 3).collect();
                format!("{cut}...")
            } else {
                s
            }
        })
    };
    FieldChange {
        path,
        old: show(old),
        new: show(new),
    }
}
