//! The eight gates and what they share: the per-gate file section (`GateSetConfig`), its
//! compiled form (`Gates`), and the `Sink` that turns a gate's findings into denials or
//! warnings according to its mode.
//!
//! Each gate module owns its whole story: the YAML section (`Config`, every field optional so
//! that a namespace override can set just one), how two sections merge, how a section is
//! checked and compiled, and how a compiled gate judges an object.

use std::fmt;

use super::{Decision, GateWarning, Mode, PolicyReport};
use crate::api::KubernetesDaemonSet;
use crate::validation::field::{FieldError, FieldPath};

/// Field-wise "override wins" merge of two gate sections: a field set in `$over` replaces the
/// one in `$base`; lists are replaced whole, never appended.
macro_rules! merge_fields {
    ($base:expr, $over:expr, $ty:ident { $($field:ident),+ $(,)? }) => {
        $ty { $($field: $over.$field.clone().or_else(|| $base.$field.clone())),+ }
    };
}

pub(crate) mod host_paths;
pub(crate) mod host_ports;
pub(crate) mod images;
pub(crate) mod placement;
pub(crate) mod privilege;
pub(crate) mod resources;
pub(crate) mod secrets;
pub(crate) mod tenancy;

/// Load-time problems, each `key.path: message`.
#[derive(Debug, Default)]
pub(crate) struct Errors(pub(crate) Vec<String>);

impl Errors {
    /// Records a problem at a key path of the policy file.
    pub(crate) fn at(&mut self, path: &str, msg: impl fmt::Display) {
        self.0.push(format!("{path}: {msg}"));
    }
}

/// What a gate looks at besides the object: the namespace the object lives in.
pub(crate) struct Ctx<'a> {
    /// The object.
    pub kds: &'a KubernetesDaemonSet,
    /// The object's own namespace (`metadata.namespace`).
    pub namespace: &'a str,
}

impl Ctx<'_> {
    /// Where the DaemonSet will run: `spec.namespace.value`, else the object's namespace
    /// (which is what defaulting puts there).
    pub(crate) fn target_namespace(&self) -> &str {
        match crate::naming::target_namespace(self.kds) {
            "" => self.namespace,
            ns => ns,
        }
    }
}

/// Collects one gate's violations as denials (`enforce`) or warnings (`warn`).
pub(crate) struct Sink<'a> {
    gate: &'static str,
    mode: Mode,
    namespace: &'a str,
    report: &'a mut PolicyReport,
    violated: bool,
}

/// The server cuts each warning (`<path>: <message>`) longer than this.
const WARNING_BUDGET: usize = crate::validation::field::MAX_WARNING_CHARS;

impl Sink<'_> {
    /// Reports a violation at `path`: `what` is wrong, `allowed` says what would pass
    /// (empty when there is nothing useful to add).
    pub(crate) fn violation(&mut self, path: FieldPath, what: impl fmt::Display, allowed: &str) {
        self.violated = true;
        let (gate, ns) = (self.gate, self.namespace);
        match self.mode {
            Mode::Enforce => {
                let mut detail = format!("policy gate {gate} (enforce, namespace {ns:?}): {what}");
                if !allowed.is_empty() {
                    detail.push_str("; allowed: ");
                    detail.push_str(allowed);
                }
                self.report
                    .denials
                    .push(FieldError::forbidden(path, detail));
            }
            Mode::Warn => {
                let mut message = format!("policy {gate}: {what}");
                let extra = "; allowed: ".len() + allowed.len();
                if !allowed.is_empty()
                    && path.as_str().len() + 2 + message.len() + extra <= WARNING_BUDGET
                {
                    message.push_str("; allowed: ");
                    message.push_str(allowed);
                }
                self.report.warnings.push(GateWarning {
                    gate,
                    path,
                    message,
                });
            }
            Mode::Off => {}
        }
    }
}

/// A compiled gate.
pub(crate) trait Check {
    /// The gate's name: its key in the policy file and its `gate` metrics label.
    const NAME: &'static str;
    /// The mode after namespace overrides.
    fn mode(&self) -> Mode;
    /// Reports every violation in `ctx.kds` to `sink`.
    fn check(&self, ctx: &Ctx<'_>, sink: &mut Sink<'_>);
}

fn run<G: Check>(gate: &G, ctx: &Ctx<'_>, report: &mut PolicyReport) {
    let mode = gate.mode();
    if mode == Mode::Off {
        return;
    }
    let mut sink = Sink {
        gate: G::NAME,
        mode,
        namespace: ctx.namespace,
        report,
        violated: false,
    };
    gate.check(ctx, &mut sink);
    let violated = sink.violated;
    report.decisions.push(Decision {
        gate: G::NAME,
        mode,
        violated,
    });
}

/// Every gate's name, in evaluation order: the values of the `gate` metrics label, so the
/// server can pre-register every series, and the keys of a policy file's gate sections.
pub const GATES: [&str; 8] = [
    <images::Gate as Check>::NAME,
    <host_paths::Gate as Check>::NAME,
    <privilege::Gate as Check>::NAME,
    <host_ports::Gate as Check>::NAME,
    <resources::Gate as Check>::NAME,
    <placement::Gate as Check>::NAME,
    <tenancy::Gate as Check>::NAME,
    <secrets::Gate as Check>::NAME,
];

/// The gates for one scope (the defaults, or one namespace entry with its overrides merged).
#[derive(Clone, Debug, Default)]
pub(crate) struct Gates {
    images: images::Gate,
    host_paths: host_paths::Gate,
    privilege: privilege::Gate,
    host_ports: host_ports::Gate,
    resources: resources::Gate,
    placement: placement::Gate,
    tenancy: tenancy::Gate,
    secrets: secrets::Gate,
}

impl Gates {
    /// Runs every gate that is not `off`, in [`GATES`] order.
    pub(crate) fn run(&self, ctx: &Ctx<'_>, report: &mut PolicyReport) {
        run(&self.images, ctx, report);
        run(&self.host_paths, ctx, report);
        run(&self.privilege, ctx, report);
        run(&self.host_ports, ctx, report);
        run(&self.resources, ctx, report);
        run(&self.placement, ctx, report);
        run(&self.tenancy, ctx, report);
        run(&self.secrets, ctx, report);
    }
}

/// A `defaults` or `overrides` section: one optional entry per gate.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct GateSetConfig {
    images: Option<images::Config>,
    host_paths: Option<host_paths::Config>,
    privilege: Option<privilege::Config>,
    host_ports: Option<host_ports::Config>,
    resources: Option<resources::Config>,
    placement: Option<placement::Config>,
    tenancy: Option<tenancy::Config>,
    secrets: Option<secrets::Config>,
}

/// Merges two optional gate sections, the override's fields winning.
fn merge_opt<T: Clone>(base: &Option<T>, over: &Option<T>, merge: fn(&T, &T) -> T) -> Option<T> {
    match (base, over) {
        (Some(b), Some(o)) => Some(merge(b, o)),
        (b, o) => o.clone().or_else(|| b.clone()),
    }
}

/// Checks that a gate section states its mode when nothing else does: a section without a
/// mode would silently do nothing.
fn require_mode(errs: &mut Errors, at: &str, key: &str, mode: Option<Mode>, base: Option<Mode>) {
    if mode.is_some() || base.is_some() {
        return;
    }
    let why = if at == "defaults" {
        "required: enforce, warn or off".to_owned()
    } else {
        format!("required: enforce, warn or off (defaults.{key} sets no mode to inherit)")
    };
    errs.at(&format!("{at}.{key}.mode"), why);
}

macro_rules! for_each_gate {
    ($m:ident) => {
        $m!(images, "images");
        $m!(host_paths, "hostPaths");
        $m!(privilege, "privilege");
        $m!(host_ports, "hostPorts");
        $m!(resources, "resources");
        $m!(placement, "placement");
        $m!(tenancy, "tenancy");
        $m!(secrets, "secrets");
    };
}

impl GateSetConfig {
    /// This section with `over`'s settings on top, gate by gate and field by field.
    pub(crate) fn merge(&self, over: &Self) -> Self {
        let mut out = Self::default();
        macro_rules! merge_gate {
            ($f:ident, $key:literal) => {
                out.$f = merge_opt(&self.$f, &over.$f, $f::Config::merge);
            };
        }
        for_each_gate!(merge_gate);
        out
    }

    /// Checks this section as written at key path `at`; `base` is the `defaults` section an
    /// override is merged over (`None` when checking the defaults themselves).
    pub(crate) fn check(&self, at: &str, base: Option<&Self>, errs: &mut Errors) {
        macro_rules! check_gate {
            ($f:ident, $key:literal) => {
                if let Some(c) = &self.$f {
                    let inherited = base.and_then(|b| b.$f.as_ref()).and_then(|b| b.mode);
                    require_mode(errs, at, $key, c.mode, inherited);
                    let _ = c.compile(&format!("{at}.{}", $key), errs);
                }
            };
        }
        for_each_gate!(check_gate);
    }

    /// Compiles a checked (and merged) section; a gate left out is `off`.
    pub(crate) fn compile(&self, at: &str, errs: &mut Errors) -> Gates {
        let mut gates = Gates::default();
        macro_rules! compile_gate {
            ($f:ident, $key:literal) => {
                if let Some(c) = &self.$f {
                    gates.$f = c.compile(&format!("{at}.{}", $key), errs);
                }
            };
        }
        for_each_gate!(compile_gate);
        gates
    }
}
