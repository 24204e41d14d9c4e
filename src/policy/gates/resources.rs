//! Gate `resources`: requests and limits present, and CPU and memory limits under a ceiling,
//! for the app container and every sidecar.
//!
//! Policy runs on the defaulted object, and defaulting always fills the app container's
//! resources (limits 1000m/1Gi, requests 50m/100Mi). So on the app container
//! `requireRequests`/`requireLimits` can never fail in the webhook; they matter for sidecars,
//! which are not defaulted, and for offline checks of objects that were not defaulted. The
//! ceilings (`maxCpu`, `maxMemory`) apply to limits, and to a request when its limit is
//! absent. A quantity that does not parse is left to validation, which rejects it.

use serde::Deserialize;

use super::{Check, Ctx, Errors, Sink};
use crate::api::{ContainerResources, CpuMemory, ParsedQuantity, Quantity};
use crate::policy::Mode;
use crate::validation::field::FieldPath;

/// The `resources` section.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Config {
    pub(crate) mode: Option<Mode>,
    require_requests: Option<bool>,
    require_limits: Option<bool>,
    max_cpu: Option<Quantity>,
    max_memory: Option<Quantity>,
}

impl Config {
    pub(crate) fn merge(base: &Self, over: &Self) -> Self {
        merge_fields!(
            base,
            over,
            Self {
                mode,
                require_requests,
                require_limits,
                max_cpu,
                max_memory,
            }
        )
    }

    pub(crate) fn compile(&self, at: &str, errs: &mut Errors) -> Gate {
        let ceiling = |q: &Option<Quantity>, key: &str, errs: &mut Errors| {
            let q = q.as_ref()?;
            match q.parse() {
                Ok(p) if p.is_negative() || p.nanos == 0 => {
                    errs.at(&format!("{at}.{key}"), "must be greater than zero");
                    None
                }
                Ok(p) => Some((p, q.as_str().to_owned())),
                Err(e) => {
                    errs.at(
                        &format!("{at}.{key}"),
                        format!("invalid quantity {:?}: {e}", q.as_str()),
                    );
                    None
                }
            }
        };
        Gate {
            mode: self.mode.unwrap_or_default(),
            require_requests: self.require_requests.unwrap_or(false),
            require_limits: self.require_limits.unwrap_or(false),
            max_cpu: ceiling(&self.max_cpu, "maxCpu", errs),
            max_memory: ceiling(&self.max_memory, "maxMemory", errs),
        }
    }
}

/// The compiled `resources` gate.
#[derive(Clone, Debug, Default)]
pub(crate) struct Gate {
    mode: Mode,
    require_requests: bool,
    require_limits: bool,
    max_cpu: Option<(ParsedQuantity, String)>,
    max_memory: Option<(ParsedQuantity, String)>,
}

impl Check for Gate {
    const NAME: &'static str = "resources";

    fn mode(&self) -> Mode {
        self.mode
    }

    fn check(&self, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
        let Some(container) = &ctx.kds.spec.container else {
            return;
        };
        let at = FieldPath::root("spec").child("container");
        if let Some(app) = &container.app {
            self.check_container(app.resources.as_ref(), &|| at.child("app"), sink);
        }
        for (i, s) in container.sidecars.iter().flatten().enumerate() {
            let here = || at.child("sidecars").index(i);
            self.check_container(s.resources.as_ref(), &here, sink);
        }
    }
}

/// Which of CPU and memory.
#[derive(Clone, Copy)]
enum Resource {
    Cpu,
    Memory,
}

impl Resource {
    fn pick(self, cm: Option<&CpuMemory>) -> Option<&Quantity> {
        cm.and_then(|c| match self {
            Self::Cpu => c.cpu.as_ref(),
            Self::Memory => c.memory.as_ref(),
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Memory => "memory",
        }
    }
}

impl Gate {
    fn check_container(
        &self,
        res: Option<&ContainerResources>,
        at: &dyn Fn() -> FieldPath,
        sink: &mut Sink<'_>,
    ) {
        let limits = res.and_then(|r| r.limits.as_ref());
        let requests = res.and_then(|r| r.requests.as_ref());
        for which in [Resource::Cpu, Resource::Memory] {
            let (limit, request) = (which.pick(limits), which.pick(requests));
            let field = |kind: &str| at().child("resources").child(kind).child(which.name());
            let name = which.name();
            if self.require_requests && request.is_none() {
                sink.violation(
                    field("requests"),
                    format_args!("{name} request is required"),
                    "",
                );
            }
            if self.require_limits && limit.is_none() {
                sink.violation(
                    field("limits"),
                    format_args!("{name} limit is required"),
                    "",
                );
            }
            let max = match which {
                Resource::Cpu => &self.max_cpu,
                Resource::Memory => &self.max_memory,
            };
            let Some((max, max_text)) = max else { continue };
            let (kind, given) = match (limit, request) {
                (Some(l), _) => ("limit", l),
                (None, Some(r)) => ("request", r),
                (None, None) => continue,
            };
            if given.parse().is_ok_and(|q| q > *max) {
                let path = field(if kind == "limit" {
                    "limits"
                } else {
                    "requests"
                });
                let what = format_args!("{name} {kind} {} exceeds the maximum", given.as_str());
                sink.violation(path, what, &format!("at most {max_text}"));
            }
        }
    }
}
