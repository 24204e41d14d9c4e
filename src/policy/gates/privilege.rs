//! Gate `privilege`: privileged mode, added Linux capabilities, running as root and a
//! writable root filesystem, on the app container's `security_context`.
//!
//! Sidecars have no security context in this resource, so they cannot be privileged or add
//! capabilities; whether they run as root is decided by their image and cannot be seen here
//! (restrict sidecar images with the `images` gate).

use serde::Deserialize;

use super::{Check, Ctx, Errors, Sink};
use crate::api::KubernetesDaemonSetSecurityContext;
use crate::policy::Mode;
use crate::validation::field::FieldPath;

/// The `privilege` section.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Config {
    pub(crate) mode: Option<Mode>,
    allow_privileged: Option<bool>,
    allowed_capabilities: Option<Vec<String>>,
    allow_run_as_root: Option<bool>,
    require_read_only_root_filesystem: Option<bool>,
}

impl Config {
    pub(crate) fn merge(base: &Self, over: &Self) -> Self {
        merge_fields!(
            base,
            over,
            Self {
                mode,
                allow_privileged,
                allowed_capabilities,
                allow_run_as_root,
                require_read_only_root_filesystem,
            }
        )
    }

    pub(crate) fn compile(&self, at: &str, errs: &mut Errors) -> Gate {
        let mut caps = Vec::new();
        for (i, c) in self.allowed_capabilities.iter().flatten().enumerate() {
            let n = normalize_capability(c);
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
                errs.at(
                    &format!("{at}.allowedCapabilities[{i}]"),
                    format!("{c:?} is not a Linux capability name"),
                );
            }
            caps.push(n);
        }
        let allowed = if caps.is_empty() {
            "none".to_owned()
        } else {
            caps.join(", ")
        };
        Gate {
            mode: self.mode.unwrap_or_default(),
            allow_privileged: self.allow_privileged.unwrap_or(false),
            allowed_capabilities: caps,
            allowed_capabilities_text: allowed,
            allow_run_as_root: self.allow_run_as_root.unwrap_or(false),
            require_read_only_root: self.require_read_only_root_filesystem.unwrap_or(false),
        }
    }
}

/// `cap_net_admin` and `NET_ADMIN` are the same capability.
fn normalize_capability(c: &str) -> String {
    let upper = c.trim().to_ascii_uppercase();
    match upper.strip_prefix("CAP_") {
        Some(rest) => rest.to_owned(),
        None => upper,
    }
}

/// True when `name` (as written in the object) is one of `allowed` (normalised).
fn capability_allowed(allowed: &[String], name: &str) -> bool {
    let name = name.trim();
    let bare = match name.get(..4) {
        Some(p) if p.eq_ignore_ascii_case("CAP_") => &name[4..],
        _ => name,
    };
    allowed
        .iter()
        .any(|a| a == "ALL" || a.eq_ignore_ascii_case(bare))
}

/// The compiled `privilege` gate.
#[derive(Clone, Debug, Default)]
pub(crate) struct Gate {
    mode: Mode,
    allow_privileged: bool,
    allowed_capabilities: Vec<String>,
    allowed_capabilities_text: String,
    allow_run_as_root: bool,
    require_read_only_root: bool,
}

impl Check for Gate {
    const NAME: &'static str = "privilege";

    fn mode(&self) -> Mode {
        self.mode
    }

    fn check(&self, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
        let empty = KubernetesDaemonSetSecurityContext::default();
        let sc = ctx
            .kds
            .spec
            .container
            .as_ref()
            .and_then(|c| c.app.as_ref())
            .and_then(|a| a.security_context.as_ref())
            .unwrap_or(&empty);
        let at = || {
            FieldPath::root("spec")
                .child("container")
                .child("app")
                .child("security_context")
        };
        if !self.allow_privileged && sc.privileged == Some(true) {
            sink.violation(
                at().child("privileged"),
                "privileged containers are not allowed",
                "",
            );
        }
        let added = sc.capabilities.as_ref().and_then(|c| c.add.as_deref());
        for (i, cap) in added.unwrap_or_default().iter().enumerate() {
            if !capability_allowed(&self.allowed_capabilities, cap) {
                sink.violation(
                    at().child("capabilities").child("add").index(i),
                    format_args!("capability {cap} is not allowed"),
                    &self.allowed_capabilities_text,
                );
            }
        }
        if !self.allow_run_as_root {
            self.check_root(sc, &at, sink);
        }
        if self.require_read_only_root && sc.read_only_root_filesystem != Some(true) {
            sink.violation(
                at().child("read_only_root_filesystem"),
                "root filesystem must be read-only",
                "",
            );
        }
    }
}

impl Gate {
    /// UID 0 is root; with no UID set, only `run_as_non_root: true` keeps the image's own
    /// user from being root (the kubelet then refuses to start a root image).
    fn check_root(
        &self,
        sc: &KubernetesDaemonSetSecurityContext,
        at: &dyn Fn() -> FieldPath,
        sink: &mut Sink<'_>,
    ) {
        match sc.run_as_user {
            Some(0) => sink.violation(
                at().child("run_as_user"),
                "running as root (UID 0) is not allowed",
                "",
            ),
            Some(_) => {}
            None if sc.run_as_non_root == Some(true) => {}
            None => sink.violation(
                at().child("run_as_non_root"),
                "may run as root; set true or run_as_user > 0",
                "",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_compare_case_insensitively_with_optional_prefix() {
        let allowed: Vec<String> = ["NET_ADMIN", "cap_sys_time"]
            .iter()
            .map(|c| normalize_capability(c))
            .collect();
        for ok in [
            "NET_ADMIN",
            "net_admin",
            "CAP_NET_ADMIN",
            "SYS_TIME",
            "cap_sys_time",
        ] {
            assert!(capability_allowed(&allowed, ok), "{ok}");
        }
        for bad in ["SYS_ADMIN", "ALL", "NET"] {
            assert!(!capability_allowed(&allowed, bad), "{bad}");
        }
        assert!(capability_allowed(&["ALL".to_owned()], "SYS_ADMIN"));
    }
}
