//! The mutating webhook's JSON patch: the RFC 6902 difference between the `spec` the API
//! server sent and the defaulted `spec`, base64-encoded (standard alphabet, padded), or nothing
//! at all when defaulting changed nothing.
//!
//! Only `spec` is compared, so server-managed metadata (`managedFields`, `resourceVersion`,
//! annotations) can never be touched by the patch.
//!
//! Two ways to the same patch:
//! - [`typed_spec_patch`] (the webhook's fast path) compares the received and the defaulted
//!   typed specs field by field with `PartialEq` and serialises only the subtrees that differ,
//!   so a 1,000-entry `env` that defaulting never touches costs one comparison, not a
//!   serialisation. It writes the patch's JSON text as it finds each operation ([`PatchJson`]):
//!   an added field is serialised once, straight from the typed value, and a changed subtree is
//!   diffed as `json_patch::diff` would, without building operations, pointers and a `Patch`
//!   only to serialise them (that was a quarter of a small `/mutate` review). It is exact only when the typed round trip of the received spec has the
//!   raw spec's JSON shape. In a cluster that holds: the object arrives in snake_case (the
//!   mutating webhook rewrites camelCase once, and `super::strict` sends any camelCase field,
//!   explicit null, or number where a quantity goes to the slow path, so the fast path never
//!   sees one).
//! - [`spec_patch`] diffs the raw spec `Value` against the defaulted one. It handles any
//!   spelling and is used on the webhook's slow path and by the offline `default --patch`
//!   command, which must accept camelCase input.

use base64::Engine as _;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::api::{
    KubernetesDaemonSetContainer, KubernetesDaemonSetContainerApp, KubernetesDaemonSetSpec,
};

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

/// A JSON patch as the reply carries it: the JSON text of its operations and their number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchJson {
    json: Vec<u8>,
    ops: usize,
}

impl PatchJson {
    /// The patch's JSON text: an array of RFC 6902 operations.
    pub fn json(&self) -> &[u8] {
        &self.json
    }

    /// How many operations it holds (never zero).
    pub fn ops(&self) -> usize {
        self.ops
    }

    /// The patch of an already built `json_patch::Patch` (the slow path's); `None` when empty.
    pub fn from_patch(patch: &json_patch::Patch) -> Option<Self> {
        if patch.0.is_empty() {
            return None;
        }
        Some(Self {
            json: serde_json::to_vec(patch).ok()?,
            ops: patch.0.len(),
        })
    }

    /// The patch as the API server wants it: base64 (standard alphabet, with padding).
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.json)
    }
}

/// The patch turning the received typed spec into the defaulted one, with paths under `/spec`;
/// `None` when they are equal. See the module docs for when this equals [`spec_patch`].
pub fn typed_spec_patch(
    received: &KubernetesDaemonSetSpec,
    defaulted: &KubernetesDaemonSetSpec,
) -> Option<PatchJson> {
    // No whole-spec comparison first: each field is compared exactly once below, so a big
    // `env` costs one `PartialEq` whatever else changed.
    let mut ops = Ops::default();
    let (a, b) = (received, defaulted);
    ops.field("/spec/target_cluster", &a.target_cluster, &b.target_cluster);
    ops.field("/spec/namespace", &a.namespace, &b.namespace);
    ops.field(
        "/spec/create_namespace",
        &a.create_namespace,
        &b.create_namespace,
    );
    match (&a.container, &b.container) {
        (Some(x), Some(y)) => ops.container(x, y),
        (x, y) => ops.field("/spec/container", x, y),
    }
    ops.field("/spec/node_selector", &a.node_selector, &b.node_selector);
    ops.list("/spec/tolerations", &a.tolerations, &b.tolerations);
    ops.field(
        "/spec/update_strategy",
        &a.update_strategy,
        &b.update_strategy,
    );
    ops.field(
        "/spec/min_ready_seconds",
        &a.min_ready_seconds,
        &b.min_ready_seconds,
    );
    ops.field(
        "/spec/create_service_account",
        &a.create_service_account,
        &b.create_service_account,
    );
    ops.field(
        "/spec/service_account_name",
        &a.service_account_name,
        &b.service_account_name,
    );
    ops.field("/spec/config_maps", &a.config_maps, &b.config_maps);
    ops.field("/spec/rbac", &a.rbac, &b.rbac);
    ops.finish()
}

/// Patch operations written as JSON text as they are found, with the JSON pointer of the
/// place being compared.
#[derive(Default)]
struct Ops {
    json: Vec<u8>,
    ops: usize,
    /// The current JSON pointer, already escaped (`~0`, `~1`).
    path: String,
}

impl Ops {
    /// One optional field: nothing when equal, `add` or `remove` when it appears or
    /// disappears, otherwise the JSON difference of the two (small) subtrees under `path`.
    fn field<T: Serialize + PartialEq>(&mut self, path: &str, a: &Option<T>, b: &Option<T>) {
        if a == b {
            return;
        }
        self.at(path, |ops| match (a, b) {
            (_, None) => ops.op("remove", None::<&()>),
            (None, Some(b)) => ops.op("add", Some(b)),
            (Some(a), Some(b)) => ops.values(&to_value(a), &to_value(b)),
        });
    }

    /// A list whose elements defaulting changes in place: element by element when the lengths
    /// agree (defaulting never adds or removes elements), else as one field.
    fn list<T: Serialize + PartialEq>(
        &mut self,
        path: &str,
        a: &Option<Vec<T>>,
        b: &Option<Vec<T>>,
    ) {
        match (a, b) {
            (Some(xs), Some(ys)) if xs.len() == ys.len() => {
                self.at(path, |ops| {
                    for (i, (x, y)) in xs.iter().zip(ys).enumerate() {
                        if x != y {
                            ops.index(i, |ops| ops.values(&to_value(x), &to_value(y)));
                        }
                    }
                });
            }
            _ => self.field(path, a, b),
        }
    }

    fn container(&mut self, a: &KubernetesDaemonSetContainer, b: &KubernetesDaemonSetContainer) {
        match (&a.app, &b.app) {
            (Some(x), Some(y)) => self.app(x, y),
            (x, y) => self.field("/spec/container/app", x, y),
        }
        self.field("/spec/container/sidecars", &a.sidecars, &b.sidecars);
    }

    fn app(&mut self, a: &KubernetesDaemonSetContainerApp, b: &KubernetesDaemonSetContainerApp) {
        self.field("/spec/container/app/image", &a.image, &b.image);
        self.field("/spec/container/app/resources", &a.resources, &b.resources);
        self.field("/spec/container/app/env", &a.env, &b.env);
        self.field("/spec/container/app/ports", &a.ports, &b.ports);
        self.list(
            "/spec/container/app/volume_mounts",
            &a.volume_mounts,
            &b.volume_mounts,
        );
        self.field(
            "/spec/container/app/liveness_probe",
            &a.liveness_probe,
            &b.liveness_probe,
        );
        self.field(
            "/spec/container/app/readiness_probe",
            &a.readiness_probe,
            &b.readiness_probe,
        );
        self.field(
            "/spec/container/app/startup_probe",
            &a.startup_probe,
            &b.startup_probe,
        );
        self.field("/spec/container/app/command", &a.command, &b.command);
        self.field("/spec/container/app/args", &a.args, &b.args);
        self.field(
            "/spec/container/app/security_context",
            &a.security_context,
            &b.security_context,
        );
    }

    /// The difference of two subtrees at the current path, operation for operation what
    /// `json_patch::diff` (4.x) produces: objects key by key (the new object's keys in order,
    /// then removals), arrays index by index (extra elements removed at one shifting index, or
    /// added), anything else replaced when unequal.
    fn values(&mut self, a: &Value, b: &Value) {
        match (a, b) {
            (Value::Object(l), Value::Object(r)) => {
                for (key, r_value) in r {
                    self.key(key, |ops| match l.get(key) {
                        Some(l_value) => ops.values(l_value, r_value),
                        None => ops.op("add", Some(r_value)),
                    });
                }
                for key in l.keys().filter(|k| !r.contains_key(*k)) {
                    self.key(key, |ops| ops.op("remove", None::<&()>));
                }
            }
            (Value::Array(l), Value::Array(r)) => {
                let mut shift = 0;
                for i in 0..l.len().max(r.len()) {
                    self.index(i - shift, |ops| match (l.get(i), r.get(i)) {
                        (Some(x), Some(y)) => ops.values(x, y),
                        (Some(_), None) => {
                            shift += 1;
                            ops.op("remove", None::<&()>);
                        }
                        (None, Some(y)) => ops.op("add", Some(y)),
                        (None, None) => {}
                    });
                }
            }
            _ if a == b => {}
            _ => self.op("replace", Some(b)),
        }
    }

    /// Runs `f` with `suffix` (our own `/`-separated field names: nothing to escape) appended
    /// to the path.
    fn at(&mut self, suffix: &str, f: impl FnOnce(&mut Self)) {
        let len = self.path.len();
        self.path.push_str(suffix);
        f(self);
        self.path.truncate(len);
    }

    /// Runs `f` with the object key `key` appended to the path, escaped as RFC 6901 says.
    fn key(&mut self, key: &str, f: impl FnOnce(&mut Self)) {
        let len = self.path.len();
        self.path.push('/');
        for c in key.chars() {
            match c {
                '~' => self.path.push_str("~0"),
                '/' => self.path.push_str("~1"),
                c => self.path.push(c),
            }
        }
        f(self);
        self.path.truncate(len);
    }

    /// Runs `f` with the array index `i` appended to the path.
    fn index(&mut self, i: usize, f: impl FnOnce(&mut Self)) {
        let len = self.path.len();
        self.path.push('/');
        self.path.push_str(itoa::Buffer::new().format(i));
        f(self);
        self.path.truncate(len);
    }

    /// One operation at the current path, as `json_patch` serialises it.
    fn op<T: Serialize + ?Sized>(&mut self, op: &str, value: Option<&T>) {
        if self.json.is_empty() {
            // A patch of a few operations is a few hundred bytes; sized once.
            self.json.reserve(512);
        }
        self.json.push(if self.ops == 0 { b'[' } else { b',' });
        self.json.extend_from_slice(b"{\"op\":\"");
        self.json.extend_from_slice(op.as_bytes());
        self.json.extend_from_slice(b"\",\"path\":");
        super::wire::write_json_str(&mut self.json, &self.path);
        if let Some(value) = value {
            self.json.extend_from_slice(b",\"value\":");
            // Writing to a Vec cannot fail, and our typed model and `Value`s always serialise.
            let _ = serde_json::to_writer(&mut self.json, value);
        }
        self.json.push(b'}');
        self.ops += 1;
    }

    fn finish(mut self) -> Option<PatchJson> {
        (self.ops > 0).then(|| {
            self.json.push(b']');
            PatchJson {
                json: self.json,
                ops: self.ops,
            }
        })
    }
}

/// Serialising the typed model cannot fail (string keys, no custom errors).
fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
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
        let b64 = PatchJson::from_patch(&p).expect("not empty").encode();
        assert_eq!(b64.len() % 4, 0);
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&b64)
            .expect("std base64");
        assert_eq!(
            serde_json::from_slice::<json_patch::Patch>(&raw).expect("patch"),
            p
        );
    }

    /// What `Ops::values` writes at `/spec` for `a` → `b`, parsed back.
    fn written(a: &Value, b: &Value) -> Option<json_patch::Patch> {
        let mut ops = Ops::default();
        ops.at("/spec", |ops| ops.values(a, b));
        let p = ops.finish()?;
        Some(serde_json::from_slice(p.json()).expect("the written patch is JSON"))
    }

    #[test]
    fn the_written_diff_is_json_patch_diff_operation_for_operation() {
        let cases = [
            (json!({"a": 1}), json!({"a": 1})),
            (json!({"a": 1}), json!({"a": 2, "b": {"c": [1, "x"]}})),
            (json!({"a": 1, "z": true}), json!({})),
            (json!([1, 2, 3, 4]), json!([1])),
            (json!([1]), json!([1, {"k": null}, 3])),
            (
                json!([{"a": 1}, {"b": 2}]),
                json!([{"a": 2}, {"b": 2, "c": 3}]),
            ),
            (
                json!({"a/b": 1, "m~n": {"x": 1}}),
                json!({"a/b": 2, "m~n": {}}),
            ),
            (
                json!({"q\"uote\\": "é\n\u{1}"}),
                json!({"q\"uote\\": "ü\t"}),
            ),
            (json!({"a": [1]}), json!({"a": {"0": 1}})),
            (json!(1.5), json!("1.5")),
        ];
        for (a, b) in cases {
            let want = json_patch::diff(&json!({"spec": a}), &json!({"spec": b}));
            let got = written(&a, &b).unwrap_or_default();
            assert_eq!(got, want, "{a} -> {b}");
            let mut applied = json!({"spec": a});
            json_patch::patch(&mut applied, &got).expect("applies");
            assert_eq!(applied, json!({"spec": b}));
        }
    }

    proptest::proptest! {
        #[test]
        fn the_written_diff_matches_json_patch_on_any_json(a in json_value(), b in json_value()) {
            let want = json_patch::diff(&json!({"spec": a}), &json!({"spec": b}));
            proptest::prop_assert_eq!(written(&a, &b).unwrap_or_default(), want);
        }
    }

    /// Small JSON values with keys that need escaping in a pointer or in JSON.
    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            (-3i64..3).prop_map(Value::from),
            r#"[a~/"\\\n é]{0,3}"#.prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map(r#"[ab~/"\\]{0,2}"#, inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
