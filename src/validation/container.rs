//! The app container: its presence and image, then each part in its own module.

use super::at::At;
use super::field::{FieldError, FieldErrors, FieldPath};
use super::image::{self, RefError};
use super::{
    env, given, invalid_each, names, ports, probes, resources, security, sidecars, volumes,
};
use crate::api::{ContainerImage, KubernetesDaemonSetContainerApp, KubernetesDaemonSetSpec};

pub(super) fn validate(spec: &KubernetesDaemonSetSpec, sp: &FieldPath, errs: &mut FieldErrors) {
    let cp = sp.child("container");
    let Some(container) = &spec.container else {
        errs.push(FieldError::required(cp, ""));
        return;
    };
    let ap = cp.child("app");
    match &container.app {
        None => errs.push(FieldError::required(ap, "")),
        Some(app) => app_container(app, &ap, target_namespace(spec), errs),
    }
    if let Some(sc) = container.sidecars.as_ref().filter(|s| !s.is_empty()) {
        sidecars::validate(sc, &cp, errs);
    }
}

/// `spec.namespace.value`, as `naming::target_namespace` reads it from the whole object.
fn target_namespace(spec: &KubernetesDaemonSetSpec) -> &str {
    spec.namespace
        .as_ref()
        .and_then(|n| n.value.as_deref())
        .unwrap_or_default()
}

fn app_container(
    app: &KubernetesDaemonSetContainerApp,
    ap: &FieldPath,
    target_ns: &str,
    errs: &mut FieldErrors,
) {
    match &app.image {
        None => errs.push(FieldError::required(ap.child("image"), "")),
        Some(img) => image(img, &ap.child("image"), errs),
    }
    if let Some(r) = &app.resources {
        resources::validate(r, &ap.child("resources"), errs);
    }
    if let Some(e) = &app.env {
        env::validate(e, &ap.child("env"), target_ns, errs);
    }
    if let Some(p) = app.ports.as_ref().filter(|p| !p.is_empty()) {
        ports::validate_app(p, &ap.child("ports"), errs);
    }
    if let Some(m) = app.volume_mounts.as_ref().filter(|m| !m.is_empty()) {
        volumes::validate(m, &ap.child("volume_mounts"), errs);
    }
    probes::validate(app, ap, errs);
    if let Some(sc) = &app.security_context {
        security::validate(sc, &ap.child("security_context"), errs);
    }
}

/// Repo and tag are required (the original's two CEL rules, reported on the sub-fields), and
/// together they must form a reference the kubelet can pull.
fn image(img: &ContainerImage, ip: &FieldPath, errs: &mut FieldErrors) {
    let mut part =
        |field: &'static str, v: &Option<String>, check: fn(&str) -> Result<(), RefError>| {
            match given(v) {
                None => errs.push(FieldError::required(ip.child(field), "")),
                Some(s) => {
                    if let Err(e) = check(s) {
                        errs.push(FieldError::invalid(ip.child(field), s, e.message()));
                    }
                }
            }
        };
    part("repo", &img.repo, image::check_repo);
    part("tag", &img.tag, image::check_tag);
    if let Some(ps) = given(&img.pull_secret_name) {
        let at = At::child(ip, "pull_secret_name");
        invalid_each(errs, names::dns1123_subdomain(ps), || at.path(), ps);
    }
}
