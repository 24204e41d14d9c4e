//! The objects a KubernetesDaemonSet stands for, as the controller applies them: the engine's
//! own expansion (the same objects `kds-webhook render` prints), in dependency order, each
//! marked as ours.
//!
//! Marking has three parts, because garbage collection can only follow some of them:
//! - the ownership labels ([`OWNER_NAME_LABEL`], [`OWNER_NAMESPACE_LABEL`]) on every child: how
//!   the controller finds its children, refuses to touch anything else, and only ever prunes
//!   what still carries them;
//! - the owner annotation (`<namespace>/<name>`) on every child, for people;
//! - a controller `ownerReference` only where the garbage collector honours it: a namespaced
//!   child in the KubernetesDaemonSet's own namespace. A cluster-scoped child or one in another
//!   namespace gets none (the API server accepts such references, but the collector ignores
//!   or rejects them); the finalizer removes those on delete.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::ByteString;
use kube::Resource;
use kube::api::ApiResource;
use serde::Serialize;
use serde_json::Value;

use crate::api::{InventoryEntry, KubernetesDaemonSet};
use crate::expansion::Expansion;
use crate::naming::{OWNER_ANNOTATION, OWNER_NAME_LABEL, OWNER_NAMESPACE_LABEL};

/// The kinds the controller applies, in apply order: what a later object refers to exists
/// first (the Namespace before anything in it, the ServiceAccount and Secret before the
/// DaemonSet's pods need them, a Role before its binding).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChildKind {
    /// `v1` Namespace (cluster-scoped; never deleted by the controller).
    Namespace,
    /// `v1` ServiceAccount.
    ServiceAccount,
    /// `v1` Secret holding literal `env.secrets` values.
    Secret,
    /// `v1` ConfigMap.
    ConfigMap,
    /// `rbac.authorization.k8s.io/v1` Role.
    Role,
    /// `rbac.authorization.k8s.io/v1` RoleBinding.
    RoleBinding,
    /// `rbac.authorization.k8s.io/v1` ClusterRole (cluster-scoped).
    ClusterRole,
    /// `rbac.authorization.k8s.io/v1` ClusterRoleBinding (cluster-scoped).
    ClusterRoleBinding,
    /// `apps/v1` DaemonSet.
    DaemonSet,
}

impl ChildKind {
    /// Every kind, in apply order.
    pub const ALL: [ChildKind; 9] = [
        Self::Namespace,
        Self::ServiceAccount,
        Self::Secret,
        Self::ConfigMap,
        Self::Role,
        Self::RoleBinding,
        Self::ClusterRole,
        Self::ClusterRoleBinding,
        Self::DaemonSet,
    ];

    /// The API group (`""` for the core group).
    pub fn group(self) -> &'static str {
        match self {
            Self::Namespace | Self::ServiceAccount | Self::Secret | Self::ConfigMap => "",
            Self::Role | Self::RoleBinding | Self::ClusterRole | Self::ClusterRoleBinding => {
                "rbac.authorization.k8s.io"
            }
            Self::DaemonSet => "apps",
        }
    }

    /// `apiVersion` as written in objects.
    pub fn api_version(self) -> &'static str {
        match self.group() {
            "" => "v1",
            "apps" => "apps/v1",
            _ => "rbac.authorization.k8s.io/v1",
        }
    }

    /// The kind as written in objects.
    pub fn kind(self) -> &'static str {
        match self {
            Self::Namespace => "Namespace",
            Self::ServiceAccount => "ServiceAccount",
            Self::Secret => "Secret",
            Self::ConfigMap => "ConfigMap",
            Self::Role => "Role",
            Self::RoleBinding => "RoleBinding",
            Self::ClusterRole => "ClusterRole",
            Self::ClusterRoleBinding => "ClusterRoleBinding",
            Self::DaemonSet => "DaemonSet",
        }
    }

    /// The plural resource name in URLs.
    pub fn plural(self) -> &'static str {
        match self {
            Self::Namespace => "namespaces",
            Self::ServiceAccount => "serviceaccounts",
            Self::Secret => "secrets",
            Self::ConfigMap => "configmaps",
            Self::Role => "roles",
            Self::RoleBinding => "rolebindings",
            Self::ClusterRole => "clusterroles",
            Self::ClusterRoleBinding => "clusterrolebindings",
            Self::DaemonSet => "daemonsets",
        }
    }

    /// False for the cluster-scoped kinds.
    pub fn namespaced(self) -> bool {
        !matches!(
            self,
            Self::Namespace | Self::ClusterRole | Self::ClusterRoleBinding
        )
    }

    /// kube's description of the resource, for a dynamic `Api`.
    pub fn api_resource(self) -> ApiResource {
        let version = "v1";
        ApiResource {
            group: self.group().to_owned(),
            version: version.to_owned(),
            api_version: self.api_version().to_owned(),
            kind: self.kind().to_owned(),
            plural: self.plural().to_owned(),
        }
    }

    /// The kind named by an inventory entry, if it is one of ours.
    pub fn of(entry: &InventoryEntry) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.kind() == entry.kind && k.api_version() == entry.api_version)
    }
}

impl fmt::Display for ChildKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind())
    }
}

/// One object to apply.
#[derive(Clone, Debug, PartialEq)]
pub struct Child {
    /// Its kind.
    pub kind: ChildKind,
    /// Its namespace; `None` for cluster-scoped kinds.
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
    /// The whole object as sent in the server-side apply (with `apiVersion` and `kind`).
    pub object: Value,
}

impl Child {
    /// The inventory entry that records it.
    pub fn entry(&self) -> InventoryEntry {
        InventoryEntry {
            api_version: self.kind.api_version().to_owned(),
            kind: self.kind.kind().to_owned(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}

/// Which KubernetesDaemonSet an object belongs to, as read from its ownership labels.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OwnerKey {
    /// The KubernetesDaemonSet's namespace.
    pub namespace: String,
    /// The KubernetesDaemonSet's name.
    pub name: String,
}

impl OwnerKey {
    /// The owner of `kds` itself.
    pub fn of(kds: &KubernetesDaemonSet) -> Self {
        Self {
            namespace: kds.metadata.namespace.clone().unwrap_or_default(),
            name: kds.metadata.name.clone().unwrap_or_default(),
        }
    }

    /// The owner an object's labels name, if both ownership labels are there.
    pub fn from_labels(labels: Option<&BTreeMap<String, String>>) -> Option<Self> {
        let labels = labels?;
        Some(Self {
            namespace: labels.get(OWNER_NAMESPACE_LABEL)?.clone(),
            name: labels.get(OWNER_NAME_LABEL)?.clone(),
        })
    }
}

impl fmt::Display for OwnerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// Every object `kds` stands for, in apply order, marked as its children. `expansion` is the
/// engine's expansion of the same (defaulted, valid) object.
pub fn desired(kds: &KubernetesDaemonSet, expansion: &Expansion) -> Vec<Child> {
    let owner = Marking::new(kds);
    let mut out = Vec::new();
    let mut push = |kind: ChildKind, obj: Value| {
        if let Some(child) = owner.child(kind, obj) {
            out.push(child);
        }
    };
    let companions = &expansion.companions;
    if let Some(ns) = &companions.namespace {
        push(ChildKind::Namespace, owner.mark(ns.clone()));
    }
    if let Some(sa) = &companions.service_account {
        push(ChildKind::ServiceAccount, owner.mark(sa.clone()));
    }
    if let Some(secret) = &companions.env_secret {
        push(
            ChildKind::Secret,
            owner.mark(with_base64_data(secret.clone())),
        );
    }
    for cm in &companions.config_maps {
        push(ChildKind::ConfigMap, owner.mark(cm.clone()));
    }
    if let Some(role) = &companions.role {
        push(ChildKind::Role, owner.mark(role.clone()));
    }
    if let Some(binding) = &companions.role_binding {
        push(ChildKind::RoleBinding, owner.mark(binding.clone()));
    }
    if let Some(role) = &companions.cluster_role {
        push(ChildKind::ClusterRole, owner.mark(role.clone()));
    }
    if let Some(binding) = &companions.cluster_role_binding {
        push(ChildKind::ClusterRoleBinding, owner.mark(binding.clone()));
    }
    push(
        ChildKind::DaemonSet,
        owner.mark(expansion.daemon_set.clone()),
    );
    out
}

/// The Secret as base64 `data` rather than `stringData`: a manager that applies `stringData`
/// owns `stringData` and not `data`, so a key removed from the spec would stay in the Secret
/// forever (the API server stores `stringData` into `data`).
fn with_base64_data(
    mut secret: k8s_openapi::api::core::v1::Secret,
) -> k8s_openapi::api::core::v1::Secret {
    if let Some(strings) = secret.string_data.take() {
        let data = secret.data.get_or_insert_with(BTreeMap::new);
        for (k, v) in strings {
            data.insert(k, ByteString(v.into_bytes()));
        }
    }
    secret
}

/// The marks every child of one KubernetesDaemonSet carries.
struct Marking {
    owner: OwnerKey,
    owner_reference: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference>,
}

impl Marking {
    fn new(kds: &KubernetesDaemonSet) -> Self {
        Self {
            owner: OwnerKey::of(kds),
            // None without a uid: a reference with an empty uid is refused (422).
            owner_reference: kds.controller_owner_ref(&()).map(|mut r| {
                // Foreground deletion of the owner waits for the child, as for built-in
                // workloads (the recorded reference carries it too).
                r.block_owner_deletion = Some(true);
                r
            }),
        }
    }

    /// Labels and annotation on any object; the ownerReference only for a namespaced object
    /// in the owner's own namespace.
    fn mark<K: Resource + Serialize>(&self, mut obj: K) -> Value {
        let meta = obj.meta_mut();
        let labels = meta.labels.get_or_insert_with(BTreeMap::new);
        labels.insert(OWNER_NAME_LABEL.to_owned(), self.owner.name.clone());
        labels.insert(
            OWNER_NAMESPACE_LABEL.to_owned(),
            self.owner.namespace.clone(),
        );
        meta.annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(OWNER_ANNOTATION.to_owned(), self.owner.to_string());
        let same_namespace = meta.namespace.as_deref() == Some(self.owner.namespace.as_str());
        if let Some(reference) = self.owner_reference.as_ref().filter(|_| same_namespace) {
            meta.owner_references = Some(vec![reference.clone()]);
        }
        serde_json::to_value(&obj).unwrap_or(Value::Null)
    }

    fn child(&self, kind: ChildKind, object: Value) -> Option<Child> {
        let meta = object.get("metadata")?;
        let name = meta.get("name")?.as_str()?.to_owned();
        let namespace = if kind.namespaced() {
            Some(meta.get("namespace")?.as_str()?.to_owned())
        } else {
            None
        };
        Some(Child {
            kind,
            namespace,
            name,
            object,
        })
    }
}

#[cfg(test)]
mod tests;
