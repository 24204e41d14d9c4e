//! Gate `hostPaths`: node directories mounted into the app container
//! (`spec.container.app.volume_mounts[].host_path`).
//!
//! Prefixes match whole path segments: `/var/log` covers `/var/log` and `/var/log/pods`, not
//! `/var/logs`. Paths are normalised first (repeated and trailing `/`, `.` segments); a path
//! with a `..` segment or a relative path is always a violation, since it could point anywhere.
//! When several prefixes cover a path, the longest decides whether the mount must be
//! read-only. Symlinks on the node cannot be seen from here: allow only directories whose
//! contents tenants cannot control.

use serde::Deserialize;

use super::{Check, Ctx, Errors, Sink};
use crate::api::HostPathSource;
use crate::policy::Mode;
use crate::validation::field::FieldPath;

/// The `hostPaths` section.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Config {
    pub(crate) mode: Option<Mode>,
    allowed: Option<Vec<PrefixConfig>>,
}

/// One allowed directory tree.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PrefixConfig {
    path_prefix: String,
    #[serde(default)]
    read_only: bool,
}

impl Config {
    pub(crate) fn merge(base: &Self, over: &Self) -> Self {
        merge_fields!(base, over, Self { mode, allowed })
    }

    pub(crate) fn compile(&self, at: &str, errs: &mut Errors) -> Gate {
        let mut prefixes = Vec::new();
        for (i, p) in self.allowed.iter().flatten().enumerate() {
            match normalize(&p.path_prefix) {
                Ok(norm) => prefixes.push(Prefix {
                    path: norm,
                    read_only: p.read_only,
                }),
                Err(e) => errs.at(&format!("{at}.allowed[{i}].pathPrefix"), e.describe()),
            }
        }
        // Longest first: the most specific prefix decides.
        prefixes.sort_by_key(|p| std::cmp::Reverse(p.path.len()));
        let allowed = if prefixes.is_empty() {
            "no host paths".to_owned()
        } else {
            prefixes
                .iter()
                .map(|p| {
                    if p.read_only {
                        format!("{} (read-only)", p.path)
                    } else {
                        p.path.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        Gate {
            mode: self.mode.unwrap_or_default(),
            prefixes,
            allowed,
        }
    }
}

/// Why a host path cannot be judged by prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PathError {
    /// Does not start with `/`.
    Relative,
    /// Has a `..` segment.
    DotDot,
}

impl PathError {
    fn describe(self) -> &'static str {
        match self {
            Self::Relative => "must be an absolute path",
            Self::DotDot => "must not contain '..'",
        }
    }
}

/// The path's segments, skipping empty and `.` ones; `..` and relative paths are errors.
fn segments(path: &str) -> Result<impl Iterator<Item = &str> + Clone, PathError> {
    if !path.starts_with('/') {
        return Err(PathError::Relative);
    }
    let segs = path.split('/').filter(|s| !s.is_empty() && *s != ".");
    if segs.clone().any(|s| s == "..") {
        return Err(PathError::DotDot);
    }
    Ok(segs)
}

/// `//var/./log/` → `/var/log`.
pub(crate) fn normalize(path: &str) -> Result<String, PathError> {
    let mut out = String::with_capacity(path.len());
    for s in segments(path)? {
        out.push('/');
        out.push_str(s);
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// True when normalised `prefix` covers `path` segment by segment (no allocation).
pub(crate) fn covers(prefix: &str, path: &str) -> Result<bool, PathError> {
    let mut path_segs = segments(path)?;
    let prefix_segs = prefix.split('/').filter(|s| !s.is_empty());
    Ok(prefix_segs.into_iter().all(|p| path_segs.next() == Some(p)))
}

#[derive(Clone, Debug)]
struct Prefix {
    path: String,
    read_only: bool,
}

/// The compiled `hostPaths` gate.
#[derive(Clone, Debug, Default)]
pub(crate) struct Gate {
    mode: Mode,
    prefixes: Vec<Prefix>,
    allowed: String,
}

impl Check for Gate {
    const NAME: &'static str = "hostPaths";

    fn mode(&self) -> Mode {
        self.mode
    }

    fn check(&self, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
        let mounts = ctx
            .kds
            .spec
            .container
            .as_ref()
            .and_then(|c| c.app.as_ref())
            .and_then(|a| a.volume_mounts.as_deref())
            .unwrap_or_default();
        for (i, m) in mounts.iter().enumerate() {
            let Some(source) = &m.host_path else { continue };
            let Some(path) = source.path() else { continue };
            let at = FieldPath::root("spec")
                .child("container")
                .child("app")
                .child("volume_mounts")
                .index(i);
            self.check_mount(path, m.read_only == Some(true), source, at, sink);
        }
    }
}

impl Gate {
    fn check_mount(
        &self,
        path: &str,
        read_only: bool,
        source: &HostPathSource,
        at: FieldPath,
        sink: &mut Sink<'_>,
    ) {
        let path_field = || match source {
            HostPathSource::Shorthand(_) => at.child("host_path"),
            HostPathSource::Object(_) => at.child("host_path").child("path"),
        };
        if let Err(e) = segments(path) {
            let what = format_args!("host path {path:?} {}", e.describe());
            return sink.violation(path_field(), what, "");
        }
        let decided = self
            .prefixes
            .iter()
            .find(|p| covers(&p.path, path) == Ok(true));
        match decided {
            None => sink.violation(
                path_field(),
                format_args!("host path {path} is not allowed"),
                &self.allowed,
            ),
            Some(p) if p.read_only && !read_only => sink.violation(
                at.child("read_only"),
                format_args!("host path {path} must be mounted read-only"),
                "",
            ),
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_paths() {
        let table: &[(&str, Result<&str, PathError>)] = &[
            ("/var/log", Ok("/var/log")),
            ("/var/log/", Ok("/var/log")),
            ("//var//log", Ok("/var/log")),
            ("/var/./log/.", Ok("/var/log")),
            ("/", Ok("/")),
            ("///", Ok("/")),
            ("var/log", Err(PathError::Relative)),
            ("", Err(PathError::Relative)),
            ("/var/log/../../etc", Err(PathError::DotDot)),
            ("/..", Err(PathError::DotDot)),
        ];
        for (input, want) in table {
            assert_eq!(
                normalize(input).as_deref().map_err(|e| *e),
                *want,
                "{input:?}"
            );
        }
    }

    #[test]
    fn prefixes_match_whole_segments() {
        let table: &[(&str, &str, Result<bool, PathError>)] = &[
            ("/var/log", "/var/log", Ok(true)),
            ("/var/log", "/var/log/", Ok(true)),
            ("/var/log", "/var/log/pods", Ok(true)),
            ("/var/log", "/var//log/./pods/", Ok(true)),
            ("/var/log", "/var/logs", Ok(false)),
            ("/var/log", "/var", Ok(false)),
            ("/var/log", "/etc", Ok(false)),
            ("/", "/etc/kubernetes", Ok(true)),
            ("/var/log", "/var/log/../../etc", Err(PathError::DotDot)),
            ("/var/log", "var/log", Err(PathError::Relative)),
        ];
        for (prefix, path, want) in table {
            assert_eq!(covers(prefix, path), *want, "{prefix} vs {path}");
        }
    }
}
