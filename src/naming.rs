//! Names and labels of the objects a `KubernetesDaemonSet` expands to.
//!
//! Shared by expansion (which creates them) and validation (which checks that they will be
//! valid Kubernetes names and labels), so the two can never disagree.

use std::collections::BTreeMap;

use crate::api::KubernetesDaemonSet;
use crate::manifest::{LABEL_ENVIRONMENT, LABEL_ID, LABEL_ORGANIZATION};

/// Name of the app container in the pod (the original's).
pub const APP_CONTAINER_NAME: &str = "daemonset-container";
/// `app.kubernetes.io/managed-by` value on everything we generate.
pub const MANAGED_BY: &str = "kds-webhook";
/// Label holding the resource kind (original).
pub const LABEL_KIND: &str = "planton.ai/kind";
/// Label holding the resource name (original).
pub const LABEL_NAME: &str = "planton.ai/name";
/// Label marking Planton-managed resources (original).
pub const LABEL_RESOURCE: &str = "planton.ai/resource";

/// Label on every object the controller applies: the owning KubernetesDaemonSet's name. With
/// [`OWNER_NAMESPACE_LABEL`] it is how the controller finds (and only ever prunes) its own
/// children, and how the drift guard recognises them. Label values hold at most 63 characters,
/// so name and namespace are two labels rather than one `<namespace>/<name>` value.
pub const OWNER_NAME_LABEL: &str = "kubernetes.project-planton.org/owner-name";
/// Label on every object the controller applies: the owning KubernetesDaemonSet's namespace.
pub const OWNER_NAMESPACE_LABEL: &str = "kubernetes.project-planton.org/owner-namespace";
/// Annotation on every object the controller applies: `<namespace>/<name>` of the owner, for
/// people (`kubectl describe`) and for children that an ownerReference cannot point from
/// (cluster-scoped objects, objects in another namespace).
pub const OWNER_ANNOTATION: &str = "kubernetes.project-planton.org/owner";
/// The controller's server-side apply field manager.
pub const CONTROLLER_FIELD_MANAGER: &str = "kds-controller";
/// The finalizer the controller puts on a KubernetesDaemonSet whose children cannot be
/// garbage-collected through ownerReferences (cluster-scoped or in another namespace).
pub const CONTROLLER_FINALIZER: &str = "kubernetes.project-planton.org/cleanup";

/// The object's name (`metadata.name`), or empty.
pub fn name(kds: &KubernetesDaemonSet) -> &str {
    kds.metadata.name.as_deref().unwrap_or_default()
}

/// The namespace everything is deployed to: `spec.namespace.value`.
pub fn target_namespace(kds: &KubernetesDaemonSet) -> &str {
    kds.spec
        .namespace
        .as_ref()
        .and_then(|n| n.value.as_deref())
        .unwrap_or_default()
}

/// Name of the Secret holding literal `env.secrets` values (original).
pub fn env_secret_name(kds: &KubernetesDaemonSet) -> String {
    format!("{}-env-secrets", name(kds))
}

/// The ServiceAccount the pods use, if any: the named one, else the created one
/// (`metadata.name`), else none (the namespace default), which fixes the original's reference
/// to a ServiceAccount that may not exist.
pub fn service_account(kds: &KubernetesDaemonSet) -> Option<String> {
    match kds.spec.service_account_name.as_deref() {
        Some(n) if !n.is_empty() => Some(n.to_owned()),
        _ if kds.spec.create_service_account == Some(true) => Some(name(kds).to_owned()),
        _ => None,
    }
}

/// Name of the cluster-scoped ClusterRole/ClusterRoleBinding. Prefixed with the target
/// namespace because two resources of the same name in different namespaces would otherwise
/// fight over one cluster-scoped object (the original names it `<name>`).
pub fn cluster_rbac_name(kds: &KubernetesDaemonSet) -> String {
    format!("kds:{}:{}", target_namespace(kds), name(kds))
}

/// Name of the namespaced Role/RoleBinding (original: `<name>`).
pub fn namespace_rbac_name(kds: &KubernetesDaemonSet) -> String {
    name(kds).to_owned()
}

/// The DaemonSet's selector: unique to this object and stable for its lifetime, since
/// `spec.selector` is immutable (the original's constant `app: daemonset` collides).
pub fn selector_labels(kds: &KubernetesDaemonSet) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_KIND.to_owned(), crate::api::KIND.to_owned()),
        (LABEL_NAME.to_owned(), name(kds).to_owned()),
    ])
}

/// Labels on every generated object: the original's `app`/`planton.ai/*` set plus the
/// recommended `app.kubernetes.io/*` ones.
pub fn labels(kds: &KubernetesDaemonSet) -> BTreeMap<String, String> {
    let mut l = selector_labels(kds);
    l.insert("app".into(), "daemonset".into());
    l.insert(LABEL_RESOURCE.into(), "true".into());
    l.insert("app.kubernetes.io/name".into(), name(kds).to_owned());
    l.insert("app.kubernetes.io/instance".into(), name(kds).to_owned());
    l.insert("app.kubernetes.io/managed-by".into(), MANAGED_BY.into());
    if let Some(meta) = &kds.metadata.labels {
        for key in [LABEL_ID, LABEL_ORGANIZATION, LABEL_ENVIRONMENT] {
            if let Some(v) = meta.get(key).filter(|v| !v.is_empty()) {
                l.insert(key.to_owned(), v.clone());
            }
        }
    }
    l
}
