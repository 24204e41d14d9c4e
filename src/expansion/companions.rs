//! The objects created next to the DaemonSet: Namespace, ConfigMaps, ServiceAccount and the
//! env Secret (planton-spec §7.2 rows 1, 2, 3 and 5).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, ServiceAccount};

use super::meta;
use crate::api::KubernetesDaemonSet;
use crate::naming;

/// The target namespace, labelled, when `create_namespace` is true.
pub(super) fn namespace(kds: &KubernetesDaemonSet) -> Option<Namespace> {
    (kds.spec.create_namespace == Some(true)).then(|| {
        let mut m = meta(kds, naming::target_namespace(kds).to_owned(), false);
        m.namespace = None;
        Namespace {
            metadata: m,
            ..Namespace::default()
        }
    })
}

/// One ConfigMap per entry; its single data key is the ConfigMap's own name (the Pulumi
/// module's layout, which the original's examples mount as `{name: x, key: x}`).
pub(super) fn config_maps(kds: &KubernetesDaemonSet) -> Vec<ConfigMap> {
    kds.spec
        .config_maps
        .iter()
        .flatten()
        .map(|(name, content)| ConfigMap {
            metadata: meta(kds, name.clone(), true),
            data: Some(BTreeMap::from([(name.clone(), content.clone())])),
            ..ConfigMap::default()
        })
        .collect()
}

/// The ServiceAccount the pods run as, when one is to be created.
pub(super) fn service_account(kds: &KubernetesDaemonSet) -> Option<ServiceAccount> {
    if kds.spec.create_service_account != Some(true) {
        return None;
    }
    naming::service_account(kds).map(|name| ServiceAccount {
        metadata: meta(kds, name, true),
        ..ServiceAccount::default()
    })
}

/// `<name>-env-secrets` (Opaque) with every literal `env.secrets` value, when there is one.
/// Entries with a `secret_ref` point at their own Secret and are not copied.
pub(super) fn env_secret(kds: &KubernetesDaemonSet) -> Option<Secret> {
    let data: BTreeMap<String, String> = literal_secrets(kds)
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    (!data.is_empty()).then(|| Secret {
        metadata: meta(kds, naming::env_secret_name(kds), true),
        type_: Some("Opaque".to_owned()),
        string_data: Some(data),
        ..Secret::default()
    })
}

/// The `env.secrets` entries given as a literal value (and no reference), sorted by name.
pub(super) fn literal_secrets(kds: &KubernetesDaemonSet) -> impl Iterator<Item = (&str, &str)> {
    kds.spec
        .container
        .as_ref()
        .and_then(|c| c.app.as_ref())
        .and_then(|a| a.env.as_ref())
        .and_then(|e| e.secrets.as_ref())
        .into_iter()
        .flatten()
        .filter(|(_, v)| v.secret_ref.is_none())
        .filter_map(|(k, v)| v.value.as_deref().map(|v| (k.as_str(), v)))
}
