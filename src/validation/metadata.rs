//! `metadata` and the names of the objects generated next to the DaemonSet.
//!
//! The original checks none of these, yet each becomes a Kubernetes name or label: the
//! object's name is the DaemonSet's name *and* the `planton.ai/name` label value its selector
//! matches, so it must be both a DNS subdomain and at most 63 bytes.

use std::collections::BTreeMap;

use super::at::At;
use super::field::{FieldError, FieldErrors, FieldPath};
use super::names::{self, LABEL_VALUE_MAX};
use super::{given, invalid_each};
use crate::api::{KubernetesDaemonSet, KubernetesDaemonSetSpec};
use crate::manifest::{LABEL_ENVIRONMENT, LABEL_ID, LABEL_ORGANIZATION};

/// Largest ConfigMap (keys plus values), as the API server enforces.
const CONFIG_MAP_MAX_BYTES: usize = 1024 * 1024;

/// `metadata.name` and the `metadata.labels` that are copied onto generated objects.
pub(super) fn validate(kds: &KubernetesDaemonSet, errs: &mut FieldErrors) {
    let name_path = || FieldPath::root("metadata").child("name");
    match given(&kds.metadata.name) {
        None => errs.push(FieldError::required(
            name_path(),
            "name or generateName is required",
        )),
        Some(n) => {
            invalid_each(errs, names::dns1123_subdomain(n), name_path, n);
            if n.len() > LABEL_VALUE_MAX {
                errs.push(FieldError::invalid(
                    name_path(),
                    n,
                    "must be no more than 63 bytes: the name is the planton.ai/name label value that selects the pods",
                ));
            }
        }
    }
    if let Some(labels) = &kds.metadata.labels {
        copied_labels(labels, errs);
    }
}

/// The Planton labels the expansion copies: their values must be label values.
fn copied_labels(labels: &BTreeMap<String, String>, errs: &mut FieldErrors) {
    let lp = FieldPath::root("metadata").child("labels");
    for key in [LABEL_ID, LABEL_ORGANIZATION, LABEL_ENVIRONMENT] {
        if let Some(v) = labels.get(key) {
            invalid_each(errs, names::label_value(v), || lp.key(key), v.as_str());
        }
    }
}

/// `service_account_name` and `config_maps`: names of objects the expansion creates or uses.
pub(super) fn validate_companions(
    spec: &KubernetesDaemonSetSpec,
    sp: &FieldPath,
    errs: &mut FieldErrors,
) {
    if let Some(sa) = given(&spec.service_account_name) {
        invalid_each(
            errs,
            names::dns1123_subdomain(sa),
            || sp.child("service_account_name"),
            sa,
        );
    }
    if let Some(cms) = spec.config_maps.as_ref().filter(|m| !m.is_empty()) {
        let cp = sp.child("config_maps");
        for (name, content) in cms {
            let at = At::key(&cp, name);
            // A valid subdomain is also a valid data key, so one check covers both uses.
            invalid_each(
                errs,
                names::dns1123_subdomain(name),
                || at.path(),
                name.as_str(),
            );
            if name.len() + content.len() > CONFIG_MAP_MAX_BYTES {
                errs.push(FieldError::too_long(at.path(), CONFIG_MAP_MAX_BYTES));
            }
        }
    }
}
