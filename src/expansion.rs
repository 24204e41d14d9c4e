//! Expansion of a defaulted, valid `KubernetesDaemonSet` into the Kubernetes objects it stands
//! for: what the original's Pulumi module creates (planton-spec §7), with its quirks (§12)
//! fixed. Pure: no I/O, no panics.
//!
//! ```text
//! Namespace            create_namespace
//! ConfigMap…           config_maps (data key = the ConfigMap's name, as Pulumi)
//! ServiceAccount       create_service_account
//! ClusterRole(+Binding) rbac.cluster_rules, when the pods have a ServiceAccount
//! Role(+Binding)       rbac.namespace_rules, when the pods have a ServiceAccount
//! Secret               literal env.secrets values (<name>-env-secrets)
//! DaemonSet            always, last
//! ```
//!
//! The DaemonSet is emitted the way the API server stores it (kubernetes-rules §2): the
//! template defaults it would add are added here, so `kubectl diff` against a cluster shows
//! nothing and the golden files are what a user will see in the cluster. Pod-only defaults
//! (requests copied from limits, `enableServiceLinks`) are never added. Companion objects are
//! emitted as written (their server-side defaults are not ours to predict).

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use crate::api::KubernetesDaemonSet;
use crate::naming;

mod companions;
mod container;
mod daemonset;
mod env;
pub(crate) mod quantity;
mod rbac;
mod volumes;

#[cfg(test)]
mod tests;

/// Why an object cannot be expanded; only structure that no DaemonSet can be built without.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpandError {
    /// `spec.container.app` is missing, so there is no container to run.
    #[error("failed to expand: spec.container.app is required to build the DaemonSet's container")]
    MissingAppContainer,
}

/// Every object a `KubernetesDaemonSet` expands to, typed.
#[derive(Debug, Clone, Default)]
pub struct Expansion {
    /// Everything but the DaemonSet.
    pub companions: Companions,
    /// The DaemonSet itself.
    pub daemon_set: DaemonSet,
}

impl Expansion {
    /// Every object as JSON with `apiVersion` and `kind`, in apply order: the Namespace first,
    /// the DaemonSet last, so that `kubectl apply` never creates a reference before its target.
    pub fn objects(&self) -> Vec<Value> {
        let c = &self.companions;
        let mut out = Vec::new();
        out.extend(c.namespace.iter().map(to_json));
        out.extend(c.config_maps.iter().map(to_json));
        out.extend(c.service_account.iter().map(to_json));
        out.extend(c.cluster_role.iter().map(to_json));
        out.extend(c.cluster_role_binding.iter().map(to_json));
        out.extend(c.role.iter().map(to_json));
        out.extend(c.role_binding.iter().map(to_json));
        out.extend(c.env_secret.iter().map(to_json));
        out.push(to_json(&self.daemon_set));
        out
    }
}

/// Serialises a k8s-openapi object. Their `Serialize` impls write `apiVersion` and `kind` and
/// cannot fail (every map key is a string), so the `Null` fallback is unreachable.
fn to_json<T: serde::Serialize>(obj: &T) -> Value {
    serde_json::to_value(obj).unwrap_or(Value::Null)
}

/// The objects of an [`Expansion`] other than the DaemonSet, as [`expand`] builds them; on
/// their own from [`companions_of`].
///
/// The admission access checks ask only which companions an object creates and where; the
/// DaemonSet's pod template is the part that grows with the object (a thousand `env` entries
/// are a thousand `EnvVar`s), and building it to throw it away was a third of a large review.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Companions {
    /// The target namespace, when `create_namespace` is true.
    pub namespace: Option<Namespace>,
    /// One ConfigMap per `config_maps` entry, sorted by name.
    pub config_maps: Vec<ConfigMap>,
    /// The pods' ServiceAccount, when `create_service_account` is true.
    pub service_account: Option<ServiceAccount>,
    /// The ClusterRole for `rbac.cluster_rules`.
    pub cluster_role: Option<ClusterRole>,
    /// Binds the ClusterRole to the pods' ServiceAccount.
    pub cluster_role_binding: Option<ClusterRoleBinding>,
    /// The Role for `rbac.namespace_rules`.
    pub role: Option<Role>,
    /// Binds the Role to the pods' ServiceAccount.
    pub role_binding: Option<RoleBinding>,
    /// The Secret holding literal `env.secrets` values.
    pub env_secret: Option<Secret>,
}

/// Expands a defaulted, valid object into its Kubernetes objects.
///
/// Only a missing app container is an error: anything else that is invalid is rendered as
/// written and left to validation, which runs first in every caller.
pub fn expand(kds: &KubernetesDaemonSet) -> Result<Expansion, ExpandError> {
    let daemon_set = daemonset::daemon_set(kds)?;
    Ok(Expansion {
        companions: companions(kds),
        daemon_set,
    })
}

/// The companions [`expand`] creates for `kds`, without building its DaemonSet; `None` when
/// [`expand`] would fail.
pub fn companions_of(kds: &KubernetesDaemonSet) -> Option<Companions> {
    daemonset::app_container(kds).ok()?;
    Some(companions(kds))
}

fn companions(kds: &KubernetesDaemonSet) -> Companions {
    let (cluster_role, cluster_role_binding) = rbac::cluster(kds).unzip();
    let (role, role_binding) = rbac::namespaced(kds).unzip();
    Companions {
        namespace: companions::namespace(kds),
        config_maps: companions::config_maps(kds),
        service_account: companions::service_account(kds),
        cluster_role,
        cluster_role_binding,
        role,
        role_binding,
        env_secret: companions::env_secret(kds),
    }
}

/// Expands and serialises in one step: the objects of [`Expansion::objects`].
pub fn expand_values(kds: &KubernetesDaemonSet) -> Result<Vec<Value>, ExpandError> {
    expand(kds).map(|e| e.objects())
}

/// Metadata of a generated object: name, the target namespace (unless cluster-scoped), labels.
fn meta(kds: &KubernetesDaemonSet, name: String, namespaced: bool) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: namespaced.then(|| naming::target_namespace(kds).to_owned()),
        labels: Some(naming::labels(kds)),
        ..ObjectMeta::default()
    }
}
