//! The CustomResourceDefinition, generated from the types in [`crate::api`].
//!
//! kube's derive produces the structural schema; two rewrites make it one the API server
//! accepts and one that behaves like the original parser: `additionalProperties: false`
//! (from `deny_unknown_fields`) is not allowed in a structural schema and is removed (the API
//! server prunes or, with strict field validation, rejects unknown fields instead), and
//! nothing else is touched.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;
use serde_json::Value;

use crate::api::KubernetesDaemonSet;

/// The CRD as a typed object.
pub fn crd() -> CustomResourceDefinition {
    let mut crd = KubernetesDaemonSet::crd();
    for version in &mut crd.spec.versions {
        if let Some(schema) = version
            .schema
            .as_mut()
            .and_then(|s| s.open_api_v3_schema.as_mut())
        {
            let mut v = serde_json::to_value(&*schema).unwrap_or_default();
            strip_closed_objects(&mut v);
            if let Ok(s) = serde_json::from_value(v) {
                *schema = s;
            }
        }
    }
    crd
}

/// The CRD as JSON, ready to print.
pub fn crd_value() -> Value {
    serde_json::to_value(crd()).unwrap_or_default()
}

/// The CRD as one YAML document, exactly what `kds-webhook crd` prints and the chart ships.
pub fn crd_yaml() -> Result<String, crate::yaml::YamlError> {
    crate::yaml::to_yaml(&crd_value())
}

fn strip_closed_objects(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.get("additionalProperties") == Some(&Value::Bool(false)) {
                m.remove("additionalProperties");
            }
            m.values_mut().for_each(strip_closed_objects);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_closed_objects),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
        out.push(v);
        match v {
            Value::Object(m) => m.values().for_each(|c| walk(c, out)),
            Value::Array(a) => a.iter().for_each(|c| walk(c, out)),
            _ => {}
        }
    }

    #[test]
    fn names_group_kind_and_scope() {
        let c = crd();
        assert_eq!(
            c.metadata.name.as_deref(),
            Some("kubernetesdaemonsets.kubernetes.project-planton.org")
        );
        assert_eq!(c.spec.group, "kubernetes.project-planton.org");
        assert_eq!(c.spec.scope, "Namespaced");
        assert_eq!(c.spec.names.kind, "KubernetesDaemonSet");
        assert_eq!(c.spec.names.short_names, Some(vec!["kds".to_owned()]));
        let v = &c.spec.versions[0];
        assert!(
            v.subresources
                .as_ref()
                .and_then(|s| s.status.as_ref())
                .is_some(),
            "status subresource"
        );
        let cols: Vec<&str> = v
            .additional_printer_columns
            .iter()
            .flatten()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(
            cols,
            [
                "Ready",
                "Desired",
                "Pods-Ready",
                "Target-Namespace",
                "Image",
                "Tag",
                "Age"
            ]
        );
    }

    #[test]
    fn schema_is_structural() {
        let v = crd_value();
        let mut nodes = Vec::new();
        walk(&v, &mut nodes);
        assert!(
            !nodes
                .iter()
                .any(|n| n.get("additionalProperties") == Some(&Value::Bool(false)))
        );
        let spec = v
            .pointer("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties")
            .expect("spec props");
        for field in [
            "namespace",
            "create_namespace",
            "container",
            "tolerations",
            "update_strategy",
            "rbac",
        ] {
            assert!(spec.get(field).is_some(), "spec.{field} in schema");
        }
        let host_path = v
            .pointer("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/container/properties/app/properties/volume_mounts/items/properties/host_path")
            .expect("host_path");
        assert_eq!(
            host_path.get("x-kubernetes-preserve-unknown-fields"),
            Some(&Value::Bool(true))
        );
    }
}

#[cfg(test)]
mod status_schema_tests {
    use super::*;
    use crate::api::{
        Condition, InventoryEntry, KubernetesDaemonSetStackOutputs, KubernetesDaemonSetStatus,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    /// Every key path of `value`, with `[]` for list items.
    fn paths(value: &Value, prefix: &str, out: &mut Vec<String>) {
        match value {
            Value::Object(m) => {
                for (k, v) in m {
                    let p = format!("{prefix}.{k}");
                    out.push(p.clone());
                    paths(v, &p, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| paths(v, &format!("{prefix}[]"), out)),
            _ => {}
        }
    }

    /// The schema node for a path such as `.conditions[].type`, if declared.
    fn declared<'a>(mut node: &'a Value, path: &str) -> Option<&'a Value> {
        for part in path.trim_start_matches('.').split('.') {
            let (name, items) = part.strip_suffix("[]").map_or((part, false), |n| (n, true));
            node = node.get("properties")?.get(name)?;
            if items {
                node = node.get("items")?;
            }
        }
        Some(node)
    }

    /// The API server answers 500 to a status apply with a field its schema does not declare,
    /// so every field the controller can write must be in the CRD's status schema.
    #[test]
    fn status_schema_declares_every_field_the_controller_writes() {
        let full = KubernetesDaemonSetStatus {
            observed_generation: Some(3),
            conditions: Some(vec![Condition {
                type_: "Ready".into(),
                status: "True".into(),
                reason: "Available".into(),
                message: "all pods available".into(),
                observed_generation: Some(3),
                last_transition_time: Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH),
            }]),
            target_namespace: Some("logging".into()),
            desired_number_scheduled: Some(1),
            current_number_scheduled: Some(1),
            updated_number_scheduled: Some(1),
            number_ready: Some(1),
            number_available: Some(1),
            inventory: Some(vec![InventoryEntry {
                api_version: "apps/v1".into(),
                kind: "DaemonSet".into(),
                namespace: Some("logging".into()),
                name: "agent".into(),
            }]),
            outputs: Some(KubernetesDaemonSetStackOutputs {
                namespace: Some("logging".into()),
                daemonset_name: Some("agent".into()),
                desired_number_scheduled: Some("1".into()),
                current_number_scheduled: Some("1".into()),
                number_ready: Some("1".into()),
            }),
        };
        let written = serde_json::to_value(&full).expect("serialises");
        let crd = crd_value();
        let schema = crd
            .pointer("/spec/versions/0/schema/openAPIV3Schema/properties/status")
            .expect("status schema");
        let mut all = Vec::new();
        paths(&written, "", &mut all);
        assert!(all.len() > 20, "{all:?}");
        for path in &all {
            assert!(
                declared(schema, path).is_some(),
                "status{path} is not declared"
            );
        }
        let conditions = declared(schema, ".conditions").expect("conditions");
        assert_eq!(conditions["x-kubernetes-list-type"], "map");
        assert_eq!(
            conditions["x-kubernetes-list-map-keys"],
            serde_json::json!(["type"])
        );
        let required = &conditions["items"]["required"];
        assert!(
            required
                .as_array()
                .is_some_and(|r| r.contains(&"type".into())),
            "a list map key must be required: {required}"
        );
    }
}
