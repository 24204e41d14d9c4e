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
//!   serialisation. It is exact only when the typed round trip of the received spec has the
//!   raw spec's JSON shape. In a cluster that holds: the object arrives in snake_case (the
//!   mutating webhook rewrites camelCase once, and `super::strict` sends any camelCase field,
//!   explicit null, or number where a quantity goes to the slow path, so the fast path never
//!   sees one).
//! - [`spec_patch`] diffs the raw spec `Value` against the defaulted one. It handles any
//!   spelling and is used on the webhook's slow path and by the offline `default --patch`
//!   command, which must accept camelCase input.

use base64::Engine as _;
use json_patch::jsonptr::PointerBuf;
use json_patch::{AddOperation, PatchOperation, RemoveOperation};
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

/// The patch turning the received typed spec into the defaulted one, with paths under `/spec`;
/// `None` when they are equal. See the module docs for when this equals [`spec_patch`].
pub fn typed_spec_patch(
    received: &KubernetesDaemonSetSpec,
    defaulted: &KubernetesDaemonSetSpec,
) -> Option<json_patch::Patch> {
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
    (!ops.0.is_empty()).then_some(json_patch::Patch(ops.0))
}

/// Patch operations collected field by field.
#[derive(Default)]
struct Ops(Vec<PatchOperation>);

impl Ops {
    /// One optional field: nothing when equal, `add` or `remove` when it appears or
    /// disappears, otherwise the JSON difference of the two (small) subtrees under `path`.
    fn field<T: Serialize + PartialEq>(&mut self, path: &str, a: &Option<T>, b: &Option<T>) {
        match (a, b) {
            _ if a == b => {}
            (_, None) => self.0.push(PatchOperation::Remove(RemoveOperation {
                path: pointer(path),
            })),
            (None, Some(b)) => self.0.push(PatchOperation::Add(AddOperation {
                path: pointer(path),
                value: to_value(b),
            })),
            (Some(a), Some(b)) => self.values(path, &to_value(a), &to_value(b)),
        }
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
                for (i, (x, y)) in xs.iter().zip(ys).enumerate() {
                    if x != y {
                        self.values(&format!("{path}/{i}"), &to_value(x), &to_value(y));
                    }
                }
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

    /// `json_patch::diff` of two subtrees, its paths moved under `prefix`.
    fn values(&mut self, prefix: &str, a: &Value, b: &Value) {
        let prefix = pointer(prefix);
        for mut op in json_patch::diff(a, b).0 {
            let path = match &mut op {
                PatchOperation::Add(o) => &mut o.path,
                PatchOperation::Remove(o) => &mut o.path,
                PatchOperation::Replace(o) => &mut o.path,
                PatchOperation::Move(o) => &mut o.path,
                PatchOperation::Copy(o) => &mut o.path,
                PatchOperation::Test(o) => &mut o.path,
            };
            *path = prefix.concat(path);
            if let PatchOperation::Move(o) = &mut op {
                o.from = prefix.concat(&o.from);
            }
            if let PatchOperation::Copy(o) = &mut op {
                o.from = prefix.concat(&o.from);
            }
            self.0.push(op);
        }
    }
}

/// A pointer built from our own `/`-separated field names and indexes (nothing to escape).
fn pointer(path: &str) -> PointerBuf {
    PointerBuf::parse(path).unwrap_or_default()
}

/// Serialising the typed model cannot fail (string keys, no custom errors).
fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The patch as the API server wants it: base64 (standard alphabet, with padding) of its JSON.
pub fn encode(patch: &json_patch::Patch) -> Result<String, serde_json::Error> {
    // A patch of a few operations is a few hundred bytes; sized once, not grown by doubling.
    let mut json = Vec::with_capacity(64 + 96 * patch.0.len());
    serde_json::to_writer(&mut json, patch)?;
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
