//! Where the object goes: `spec.namespace` and `spec.target_cluster`.

use super::at::At;
use super::field::{FieldError, FieldErrors, FieldPath};
use super::{given, invalid_each, json_of, names};
use crate::api::{IntOrString, KubernetesDaemonSetSpec, StringValueOrRef};

/// Why a `value_from` is refused wherever it appears.
pub(super) const UNRESOLVABLE: &str = "references are resolved by Project Planton's orchestrator; a cluster cannot resolve them: give value instead";

/// The original's `enum.in` list: names and their numbers.
const CLUSTER_KINDS: [(&str, i32); 5] = [
    ("AzureAksCluster", 400),
    ("AwsEksCluster", 207),
    ("GcpGkeCluster", 607),
    ("DigitalOceanKubernetesCluster", 1208),
    ("CivoKubernetesCluster", 1507),
];

pub(super) fn validate(spec: &KubernetesDaemonSetSpec, sp: &FieldPath, errs: &mut FieldErrors) {
    match &spec.namespace {
        None => errs.push(FieldError::required(sp.child("namespace"), "")),
        Some(ns) => namespace(ns, At::child(sp, "namespace"), errs),
    }
    if let Some(tc) = &spec.target_cluster {
        cluster_kind(tc.cluster_kind.as_ref(), sp, errs);
    }
}

/// The target namespace: a literal DNS-1123 label (it becomes a Namespace name).
fn namespace(ns: &StringValueOrRef, at: At<'_>, errs: &mut FieldErrors) {
    value_or_ref(ns, at, errs);
    if ns.value_from.is_some() {
        return;
    }
    match given(&ns.value) {
        None => errs.push(FieldError::required(
            at.field("value"),
            "the namespace the DaemonSet is deployed to",
        )),
        Some(v) => invalid_each(errs, names::dns1123_label(v), || at.field("value"), v),
    }
}

/// The oneof and the reference rules of a `StringValueOrRef` (namespace and env variables).
pub(super) fn value_or_ref(v: &StringValueOrRef, at: At<'_>, errs: &mut FieldErrors) {
    let Some(from) = &v.value_from else {
        return;
    };
    if v.value.is_some() {
        errs.push(FieldError::invalid(
            at.path(),
            json_of(v),
            "may not have more than one field specified at a time",
        ));
        return;
    }
    let fp = at.field("value_from");
    if given(&from.name).is_none() {
        errs.push(FieldError::required(fp.child("name"), ""));
    }
    errs.push(FieldError::forbidden(fp, UNRESOLVABLE));
}

fn cluster_kind(kind: Option<&IntOrString>, sp: &FieldPath, errs: &mut FieldErrors) {
    let path = || sp.child("target_cluster").child("cluster_kind");
    let known = match kind {
        None => {
            let list = CLUSTER_KINDS.map(|(n, _)| n).join(", ");
            errs.push(FieldError::required(
                path(),
                format!("must be one of {list}"),
            ));
            return;
        }
        Some(IntOrString::Int(n)) => CLUSTER_KINDS.iter().any(|(_, k)| k == n),
        Some(IntOrString::String(s)) => CLUSTER_KINDS.iter().any(|(k, _)| k == s),
    };
    if !known {
        let value = match kind {
            Some(IntOrString::Int(n)) => serde_json::Value::from(*n),
            Some(IntOrString::String(s)) => serde_json::Value::from(s.as_str()),
            None => serde_json::Value::Null,
        };
        errs.push(FieldError::not_supported(
            path(),
            value,
            &CLUSTER_KINDS.map(|(n, _)| n),
        ));
    }
}
