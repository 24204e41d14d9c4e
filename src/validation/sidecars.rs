//! Sidecar containers: the original checks nothing; the API server checks names, images,
//! ports, env and resources, and container names must differ from the app's.

use super::at::At;
use super::field::{FieldError, FieldErrors, FieldPath};
use super::{given, image, invalid_each, names, ports, resources};
use crate::api::{SidecarContainer, SidecarEnvVar};
use crate::naming::APP_CONTAINER_NAME;

pub(super) fn validate(sidecars: &[SidecarContainer], cp: &FieldPath, errs: &mut FieldErrors) {
    let sp = cp.child("sidecars");
    let mut seen: Vec<&str> = vec![APP_CONTAINER_NAME];
    for (i, s) in sidecars.iter().enumerate() {
        let at = At::index(&sp, i);
        name(s, at, &mut seen, errs);
        match given(&s.image) {
            None => errs.push(FieldError::required(at.field("image"), "")),
            Some(img) => {
                if let Err(e) = image::check_reference(img) {
                    errs.push(FieldError::invalid(at.field("image"), img, e.message()));
                }
            }
        }
        if let Some(p) = s.ports.as_ref().filter(|p| !p.is_empty()) {
            ports::validate_sidecar(p, &at.field("ports"), errs);
        }
        if let Some(env) = s.env.as_ref().filter(|e| !e.is_empty()) {
            env_vars(env, &at.field("env"), errs);
        }
        if let Some(r) = &s.resources {
            resources::validate(r, &at.field("resources"), errs);
        }
    }
}

fn name<'a>(s: &'a SidecarContainer, at: At<'_>, seen: &mut Vec<&'a str>, errs: &mut FieldErrors) {
    let Some(n) = given(&s.name) else {
        errs.push(FieldError::required(at.field("name"), ""));
        return;
    };
    let msgs = names::dns1123_label(n);
    if !msgs.is_empty() {
        invalid_each(errs, msgs, || at.field("name"), n);
    } else if seen.contains(&n) {
        let mut e = FieldError::duplicate(at.field("name"), n);
        if n == APP_CONTAINER_NAME {
            e.detail = format!("the app container is named {APP_CONTAINER_NAME}");
        }
        errs.push(e);
    } else {
        seen.push(n);
    }
}

/// Names required and relaxed-valid; a repeated name is an error here (the API server only
/// warns) because which definition wins depends on the client.
fn env_vars(env: &[SidecarEnvVar], ep: &FieldPath, errs: &mut FieldErrors) {
    let mut seen: Vec<&str> = Vec::new();
    for (j, e) in env.iter().enumerate() {
        let at = At::index(ep, j);
        let Some(n) = given(&e.name) else {
            errs.push(FieldError::required(at.field("name"), ""));
            continue;
        };
        let msgs = names::env_name(n);
        if !msgs.is_empty() {
            invalid_each(errs, msgs, || at.field("name"), n);
        } else if seen.contains(&n) {
            errs.push(FieldError::duplicate(at.field("name"), n));
        } else {
            seen.push(n);
        }
    }
}
