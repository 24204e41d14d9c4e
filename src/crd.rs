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
        assert_eq!(cols, ["Target-Namespace", "Image", "Tag", "Age"]);
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
