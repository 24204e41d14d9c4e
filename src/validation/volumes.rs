//! Volume mounts. Each entry is both a mount and the one volume it mounts, so the API
//! server's volume rules (name, exactly one source, per-source rules) and mount rules (unique
//! absolute path, relative sub-path) both apply to it.

use super::at::At;
use super::field::{FieldError, FieldErrors, FieldPath};
use super::resources::parse_quantity;
use super::{given, invalid_each, names};
use crate::api::{EmptyDirVolumeSource, HostPathSource, VolumeMount};

/// `hostPath.type` values, sorted as the API server lists them.
const HOST_PATH_TYPES: [&str; 8] = [
    "",
    "BlockDevice",
    "CharDevice",
    "Directory",
    "DirectoryOrCreate",
    "File",
    "FileOrCreate",
    "Socket",
];
/// `emptyDir.medium` values the original allows.
const MEDIUMS: [&str; 2] = ["", "Memory"];
/// Largest file mode, 0777.
const MAX_MODE: i32 = 0o777;

pub(super) fn validate(mounts: &[VolumeMount], vp: &FieldPath, errs: &mut FieldErrors) {
    let mut names_seen: Vec<&str> = Vec::new();
    let mut paths_seen: Vec<&str> = Vec::new();
    for (i, m) in mounts.iter().enumerate() {
        let at = At::index(vp, i);
        name(m, at, &mut names_seen, errs);
        mount_path(m, at, &mut paths_seen, errs);
        if let Some(sp) = given(&m.sub_path) {
            relative_path(sp, || at.field("sub_path"), errs);
        }
        sources(m, at, errs);
    }
}

fn name<'a>(m: &'a VolumeMount, at: At<'_>, seen: &mut Vec<&'a str>, errs: &mut FieldErrors) {
    let Some(n) = given(&m.name) else {
        errs.push(FieldError::required(at.field("name"), ""));
        return;
    };
    let msgs = names::dns1123_label(n);
    if !msgs.is_empty() {
        invalid_each(errs, msgs, || at.field("name"), n);
    } else if seen.contains(&n) {
        errs.push(FieldError::duplicate(at.field("name"), n));
    } else {
        seen.push(n);
    }
}

fn mount_path<'a>(m: &'a VolumeMount, at: At<'_>, seen: &mut Vec<&'a str>, errs: &mut FieldErrors) {
    let Some(p) = given(&m.mount_path) else {
        errs.push(FieldError::required(at.field("mount_path"), ""));
        return;
    };
    if !p.starts_with('/') {
        errs.push(FieldError::invalid(
            at.field("mount_path"),
            p,
            "must be an absolute path",
        ));
    }
    if seen.contains(&p) {
        errs.push(FieldError::invalid(
            at.field("mount_path"),
            p,
            "must be unique",
        ));
    } else {
        seen.push(p);
    }
}

/// `validateLocalDescendingPath`: relative, no `..` element.
fn relative_path(p: &str, path: impl Fn() -> FieldPath, errs: &mut FieldErrors) {
    if p.starts_with('/') {
        errs.push(FieldError::invalid(path(), p, "must be a relative path"));
    }
    if !names::has_no_dotdot(p) {
        errs.push(FieldError::invalid(path(), p, "must not contain '..'"));
    }
}

/// Exactly one source, counted in the original's first-wins order; then each source's rules.
fn sources(m: &VolumeMount, at: At<'_>, errs: &mut FieldErrors) {
    let present = [
        ("config_map", m.config_map.is_some()),
        ("secret", m.secret.is_some()),
        ("host_path", m.host_path.is_some()),
        ("empty_dir", m.empty_dir.is_some()),
        ("pvc", m.pvc.is_some()),
    ];
    let mut count = 0;
    for (field, set) in present {
        if set {
            count += 1;
            if count > 1 {
                errs.push(FieldError::forbidden(
                    at.field(field),
                    "may not specify more than 1 volume type",
                ));
            }
        }
    }
    if count == 0 {
        errs.push(FieldError::required(
            at.path(),
            "must specify a volume type",
        ));
    }
    if let Some(c) = &m.config_map {
        keyed(
            Keyed::of(&c.name, &c.key, &c.path, c.default_mode),
            at,
            "config_map",
            errs,
        );
    }
    if let Some(s) = &m.secret {
        keyed(
            Keyed::of(&s.name, &s.key, &s.path, s.default_mode),
            at,
            "secret",
            errs,
        );
    }
    if let Some(h) = &m.host_path {
        host_path(h, at, errs);
    }
    if let Some(e) = &m.empty_dir {
        empty_dir(e, at, errs);
    }
    if let Some(p) = &m.pvc {
        match given(&p.claim_name) {
            None => errs.push(FieldError::required(
                at.field("pvc").child("claim_name"),
                "",
            )),
            Some(c) => invalid_each(
                errs,
                names::dns1123_subdomain(c),
                || at.field("pvc").child("claim_name"),
                c,
            ),
        }
    }
}

/// A ConfigMap or Secret source: the two have the same fields.
struct Keyed<'a> {
    name: Option<&'a str>,
    key: Option<&'a str>,
    path: Option<&'a str>,
    mode: Option<i32>,
}

impl<'a> Keyed<'a> {
    fn of(
        name: &'a Option<String>,
        key: &'a Option<String>,
        path: &'a Option<String>,
        mode: Option<i32>,
    ) -> Self {
        Self {
            name: given(name),
            key: given(key),
            path: given(path),
            mode,
        }
    }
}

fn keyed(k: Keyed<'_>, at: At<'_>, field: &str, errs: &mut FieldErrors) {
    let fp = || at.field(field);
    match k.name {
        None => errs.push(FieldError::required(fp().child("name"), "")),
        Some(n) => invalid_each(errs, names::dns1123_subdomain(n), || fp().child("name"), n),
    }
    if let Some(key) = k.key {
        invalid_each(errs, names::config_key(key), || fp().child("key"), key);
    }
    // The item path is the key unless given; `path` without `key` is unused (a warning).
    if let (Some(p), Some(_)) = (k.path, k.key) {
        relative_path(p, || fp().child("path"), errs);
        if p.starts_with("..") {
            errs.push(FieldError::invalid(
                fp().child("path"),
                p,
                "must not start with '..'",
            ));
        }
    }
    if let Some(mode) = k.mode.filter(|m| !(0..=MAX_MODE).contains(m)) {
        errs.push(FieldError::invalid(
            fp().child("default_mode"),
            mode,
            "must be a number between 0 and 0777 (octal), both inclusive",
        ));
    }
}

fn host_path(h: &HostPathSource, at: At<'_>, errs: &mut FieldErrors) {
    let hp = || at.field("host_path");
    match h.path().filter(|p| !p.is_empty()) {
        None => errs.push(FieldError::required(hp().child("path"), "")),
        Some(p) if !names::has_no_dotdot(p) => errs.push(FieldError::invalid(
            hp().child("path"),
            p,
            "must not contain '..'",
        )),
        Some(_) => {}
    }
    if let Some(t) = h.type_().filter(|t| !HOST_PATH_TYPES.contains(t)) {
        errs.push(FieldError::not_supported(
            hp().child("type"),
            t,
            &HOST_PATH_TYPES,
        ));
    }
}

fn empty_dir(e: &EmptyDirVolumeSource, at: At<'_>, errs: &mut FieldErrors) {
    let ep = || at.field("empty_dir");
    if let Some(m) = e.medium.as_deref().filter(|m| !MEDIUMS.contains(m)) {
        errs.push(FieldError::not_supported(ep().child("medium"), m, &MEDIUMS));
    }
    let size = parse_quantity(e.size_limit.as_ref(), || ep().child("size_limit"), errs);
    if size.is_some_and(|q| q.is_negative()) {
        errs.push(FieldError::forbidden(
            ep().child("size_limit"),
            "SizeLimit field must be a valid resource quantity",
        ));
    }
}
