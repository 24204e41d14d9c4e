//! Volumes and mounts (planton-spec §7.5): each `volume_mounts[i]` gives one mount and one
//! volume of the same name, in mount order.
//!
//! Differences from the original:
//! - The same volume mounted twice (same name, same source) gives one volume, not a duplicate
//!   the API server rejects. Same name with different sources is still emitted twice, and
//!   validation reports it.
//! - `readOnly` only when true and `hostPath.type` `""` when unset, as the API server stores
//!   them; a mount with no source gets `emptyDir: {}`, the API server's default for a volume
//!   without a source (validation reports such a mount first).

use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, EmptyDirVolumeSource, HostPathVolumeSource, KeyToPath,
    PersistentVolumeClaimVolumeSource, SecretVolumeSource, Volume, VolumeMount as K8sVolumeMount,
};

use super::quantity;
use crate::api::VolumeMount;

/// The container's mounts, in order.
pub(super) fn mounts(given: &[VolumeMount]) -> Vec<K8sVolumeMount> {
    given
        .iter()
        .map(|m| K8sVolumeMount {
            name: m.name.clone().unwrap_or_default(),
            mount_path: m.mount_path.clone().unwrap_or_default(),
            read_only: m.read_only.filter(|r| *r),
            sub_path: m.sub_path.clone().filter(|s| !s.is_empty()),
            ..K8sVolumeMount::default()
        })
        .collect()
}

/// The pod's volumes, in mount order, without exact duplicates.
pub(super) fn volumes(given: &[VolumeMount]) -> Vec<Volume> {
    let mut out: Vec<Volume> = Vec::with_capacity(given.len());
    for v in given.iter().map(volume) {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// The first source that is set wins, in the original's order.
fn volume(m: &VolumeMount) -> Volume {
    let mut v = Volume {
        name: m.name.clone().unwrap_or_default(),
        ..Volume::default()
    };
    if let Some(cm) = &m.config_map {
        v.config_map = Some(ConfigMapVolumeSource {
            name: cm.name.clone().unwrap_or_default(),
            items: items(cm.key.as_deref(), cm.path.as_deref()),
            default_mode: cm.default_mode,
            optional: None,
        });
    } else if let Some(s) = &m.secret {
        v.secret = Some(SecretVolumeSource {
            secret_name: s.name.clone(),
            items: items(s.key.as_deref(), s.path.as_deref()),
            default_mode: s.default_mode,
            optional: None,
        });
    } else if let Some(hp) = &m.host_path {
        v.host_path = Some(HostPathVolumeSource {
            path: hp.path().unwrap_or_default().to_owned(),
            type_: Some(hp.type_().unwrap_or_default().to_owned()),
        });
    } else if let Some(ed) = &m.empty_dir {
        v.empty_dir = Some(EmptyDirVolumeSource {
            medium: ed.medium.clone().filter(|s| !s.is_empty()),
            size_limit: ed.size_limit.as_ref().map(quantity::plain),
        });
    } else if let Some(pvc) = &m.pvc {
        v.persistent_volume_claim = Some(PersistentVolumeClaimVolumeSource {
            claim_name: pvc.claim_name.clone().unwrap_or_default(),
            read_only: pvc.read_only.filter(|r| *r),
        });
    } else {
        v.empty_dir = Some(EmptyDirVolumeSource::default());
    }
    v
}

/// `items: [{key, path}]` when one key is selected; the path defaults to the key.
fn items(key: Option<&str>, path: Option<&str>) -> Option<Vec<KeyToPath>> {
    let key = key.filter(|k| !k.is_empty())?;
    Some(vec![KeyToPath {
        key: key.to_owned(),
        path: path.filter(|p| !p.is_empty()).unwrap_or(key).to_owned(),
        mode: None,
    }])
}
