//! The app's environment: variable names, the value-or-reference oneofs, secret references.
//!
//! This is the part that grows (hundreds of variables in one object), so nothing here
//! allocates for a valid entry: paths are [`At`]s, duplicate checks are map look-ups.

use std::collections::BTreeMap;

use super::at::At;
use super::field::{FieldError, FieldErrors, FieldPath};
use super::target::value_or_ref;
use super::{given, invalid_each, names};
use crate::api::{
    KubernetesDaemonSetContainerAppEnv, KubernetesSecretKeyRef, KubernetesSensitiveValue,
    StringValueOrRef,
};

/// Variables the expansion always injects first (the original's); a user variable of the same
/// name would be a second definition that silently wins or loses depending on the tool.
pub const BUILTIN_ENV_NAMES: [&str; 3] = ["HOSTNAME", "K8S_POD_ID", "K8S_NODE_NAME"];

pub(super) fn validate(
    env: &KubernetesDaemonSetContainerAppEnv,
    ep: &FieldPath,
    target_ns: &str,
    errs: &mut FieldErrors,
) {
    let empty = BTreeMap::new();
    let vars = env.variables.as_ref().unwrap_or(&empty);
    if !vars.is_empty() {
        let vp = ep.child("variables");
        for (k, v) in vars {
            variable(k, v, At::key(&vp, k), errs);
        }
    }
    if let Some(secrets) = env.secrets.as_ref().filter(|s| !s.is_empty()) {
        let sp = ep.child("secrets");
        for (k, s) in secrets {
            let at = At::key(&sp, k);
            if !name(k, at, errs) {
                continue;
            }
            if vars.contains_key(k) {
                let mut e = FieldError::duplicate(at.path(), k.as_str());
                e.detail = "also defined in env.variables".into();
                errs.push(e);
            }
            secret(k, s, at, target_ns, errs);
        }
    }
}

fn variable(k: &str, v: &StringValueOrRef, at: At<'_>, errs: &mut FieldErrors) {
    if name(k, at, errs) {
        value_or_ref(v, at, errs);
    }
}

/// The relaxed env-name rule and the built-ins; false when the name is unusable.
fn name(k: &str, at: At<'_>, errs: &mut FieldErrors) -> bool {
    if k.is_empty() {
        errs.push(FieldError::required(at.path(), "environment variable name"));
        return false;
    }
    let msgs = names::env_name(k);
    if !msgs.is_empty() {
        invalid_each(errs, msgs, || at.path(), k);
        return false;
    }
    if BUILTIN_ENV_NAMES.contains(&k) {
        let mut e = FieldError::duplicate(at.path(), k);
        e.detail = format!(
            "{} are always set by the expansion; choose another name",
            BUILTIN_ENV_NAMES.join(", ")
        );
        errs.push(e);
    }
    true
}

/// A literal value (stored under its name in `<name>-env-secrets`) or a reference, not both.
fn secret(
    k: &str,
    s: &KubernetesSensitiveValue,
    at: At<'_>,
    target_ns: &str,
    errs: &mut FieldErrors,
) {
    match (&s.value, &s.secret_ref) {
        // The value is a secret: never echo it (the denial reaches the client, the API
        // server's audit log and CI output). apimachinery shows `""` in the same spot.
        (Some(_), Some(_)) => errs.push(FieldError::invalid(
            at.path(),
            "",
            "may not have more than one field specified at a time",
        )),
        (None, None) => errs.push(FieldError::required(
            at.path(),
            "must specify one of: `value` or `secret_ref`",
        )),
        (Some(_), None) => {
            let msgs = names::config_key(k);
            if !msgs.is_empty() {
                let msgs = msgs
                    .into_iter()
                    .map(|m| format!("{m} (a literal secret is stored under its name)").into())
                    .collect();
                invalid_each(errs, msgs, || at.path(), k);
            }
        }
        (None, Some(r)) => secret_ref(r, at, target_ns, errs),
    }
}

fn secret_ref(r: &KubernetesSecretKeyRef, at: At<'_>, target_ns: &str, errs: &mut FieldErrors) {
    let rp = || at.field("secret_ref");
    match given(&r.name) {
        None => errs.push(FieldError::required(rp().child("name"), "")),
        Some(n) => invalid_each(errs, names::dns1123_subdomain(n), || rp().child("name"), n),
    }
    match given(&r.key) {
        None => errs.push(FieldError::required(rp().child("key"), "")),
        Some(k) => invalid_each(errs, names::config_key(k), || rp().child("key"), k),
    }
    if let Some(ns) = given(&r.namespace)
        && !target_ns.is_empty()
        && ns != target_ns
    {
        errs.push(FieldError::forbidden(
            rp().child("namespace"),
            format!("a pod can only read Secrets of its own namespace ({target_ns})"),
        ));
    }
}
