//! Gate `hostPorts`: ports opened on every node (`spec.container.app.ports[].host_port`).
//!
//! A host port is allowed only inside one of the listed ranges; with no ranges, no host port
//! is allowed. `host_port` unset or 0 opens nothing and is never a violation. Sidecar ports
//! cannot have host ports in this resource.

use serde::Deserialize;

use super::{Check, Ctx, Errors, Sink};
use crate::policy::Mode;
use crate::validation::field::FieldPath;

/// The `hostPorts` section.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Config {
    pub(crate) mode: Option<Mode>,
    allowed: Option<Vec<RangeConfig>>,
}

/// One allowed range, `{min, max}`; `max` defaults to `min` (a single port).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeConfig {
    min: i64,
    max: Option<i64>,
}

impl Config {
    pub(crate) fn merge(base: &Self, over: &Self) -> Self {
        merge_fields!(base, over, Self { mode, allowed })
    }

    pub(crate) fn compile(&self, at: &str, errs: &mut Errors) -> Gate {
        let mut ranges = Vec::new();
        for (i, r) in self.allowed.iter().flatten().enumerate() {
            let here = format!("{at}.allowed[{i}]");
            let max = r.max.unwrap_or(r.min);
            let mut ok = true;
            if !(1..=65535).contains(&r.min) {
                errs.at(&format!("{here}.min"), "must be between 1 and 65535");
                ok = false;
            }
            if !(1..=65535).contains(&max) {
                errs.at(&format!("{here}.max"), "must be between 1 and 65535");
                ok = false;
            } else if max < r.min {
                errs.at(
                    &format!("{here}.max"),
                    format!("must be >= min ({})", r.min),
                );
                ok = false;
            }
            if ok {
                ranges.push((r.min, max));
            }
        }
        let allowed = if ranges.is_empty() {
            "no host ports".to_owned()
        } else {
            ranges
                .iter()
                .map(|&(lo, hi)| {
                    if lo == hi {
                        lo.to_string()
                    } else {
                        format!("{lo}-{hi}")
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        Gate {
            mode: self.mode.unwrap_or_default(),
            ranges,
            allowed,
        }
    }
}

/// The compiled `hostPorts` gate.
#[derive(Clone, Debug, Default)]
pub(crate) struct Gate {
    mode: Mode,
    ranges: Vec<(i64, i64)>,
    allowed: String,
}

impl Check for Gate {
    const NAME: &'static str = "hostPorts";

    fn mode(&self) -> Mode {
        self.mode
    }

    fn check(&self, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
        let ports = ctx
            .kds
            .spec
            .container
            .as_ref()
            .and_then(|c| c.app.as_ref())
            .and_then(|a| a.ports.as_deref())
            .unwrap_or_default();
        for (i, port) in ports.iter().enumerate() {
            let Some(hp) = port.host_port.filter(|p| *p != 0).map(i64::from) else {
                continue;
            };
            if !self.ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&hp)) {
                sink.violation(
                    FieldPath::root("spec")
                        .child("container")
                        .child("app")
                        .child("ports")
                        .index(i)
                        .child("host_port"),
                    format_args!("host port {hp} is not allowed"),
                    &self.allowed,
                );
            }
        }
    }
}
