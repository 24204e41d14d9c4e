//! Gate `placement`: which taints the agent may tolerate (`spec.tolerations`) and which node
//! selector keys it must set (`spec.node_selector`).
//!
//! A toleration is allowed when a matcher in `allowedTolerations` matches it: the matcher's
//! `key` (a glob) matches the toleration's key, and the matcher's `operator` and `effect`, when
//! given, equal the toleration's (operator defaults to `Equal`; a toleration without an effect
//! tolerates every effect, so only a matcher without `effect` allows it). A toleration with an
//! empty key tolerates every taint on every node; it is allowed only by `allowTolerateAll:
//! true` or a matcher written exactly `{key: "", operator: Exists}`, never by a glob.

use serde::Deserialize;

use super::{Check, Ctx, Errors, Sink};
use crate::api::KubernetesDaemonSetToleration;
use crate::policy::Mode;
use crate::policy::pattern::Glob;
use crate::validation::field::FieldPath;

const OPERATORS: [&str; 2] = ["Equal", "Exists"];
const EFFECTS: [&str; 3] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/// The `placement` section.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Config {
    pub(crate) mode: Option<Mode>,
    allowed_tolerations: Option<Vec<MatcherConfig>>,
    allow_tolerate_all: Option<bool>,
    required_node_selector_keys: Option<Vec<String>>,
}

/// One allowed toleration shape.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatcherConfig {
    key: String,
    operator: Option<String>,
    effect: Option<String>,
}

impl Config {
    pub(crate) fn merge(base: &Self, over: &Self) -> Self {
        merge_fields!(
            base,
            over,
            Self {
                mode,
                allowed_tolerations,
                allow_tolerate_all,
                required_node_selector_keys,
            }
        )
    }

    pub(crate) fn compile(&self, at: &str, errs: &mut Errors) -> Gate {
        let mut matchers = Vec::new();
        let mut tolerate_all = self.allow_tolerate_all.unwrap_or(false);
        for (i, m) in self.allowed_tolerations.iter().flatten().enumerate() {
            let here = format!("{at}.allowedTolerations[{i}]");
            if let Some(op) = m.operator.as_deref().filter(|o| !OPERATORS.contains(o)) {
                errs.at(
                    &format!("{here}.operator"),
                    format!("{op:?} is not Equal or Exists"),
                );
            }
            if let Some(e) = m.effect.as_deref().filter(|e| !EFFECTS.contains(e)) {
                errs.at(
                    &format!("{here}.effect"),
                    format!("{e:?} is not NoSchedule, PreferNoSchedule or NoExecute"),
                );
            }
            if m.key.is_empty() {
                if m.operator.as_deref() == Some("Exists") && m.effect.is_none() {
                    tolerate_all = true;
                } else {
                    errs.at(
                        &format!("{here}.key"),
                        "an empty key is only allowed as {key: \"\", operator: Exists}",
                    );
                }
                continue;
            }
            match Glob::new(&m.key) {
                Ok(key) => matchers.push(Matcher {
                    key,
                    operator: m.operator.clone(),
                    effect: m.effect.clone(),
                }),
                Err(e) => errs.at(&format!("{here}.key"), e),
            }
        }
        let mut allowed: Vec<String> = matchers.iter().map(Matcher::describe).collect();
        if tolerate_all {
            allowed.push("tolerate-all".to_owned());
        }
        Gate {
            mode: self.mode.unwrap_or_default(),
            matchers,
            tolerate_all,
            allowed: if allowed.is_empty() {
                "no tolerations".to_owned()
            } else {
                allowed.join(", ")
            },
            required_keys: self.required_node_selector_keys.clone().unwrap_or_default(),
        }
    }
}

#[derive(Clone, Debug)]
struct Matcher {
    key: Glob,
    operator: Option<String>,
    effect: Option<String>,
}

impl Matcher {
    fn matches(&self, t: &KubernetesDaemonSetToleration, key: &str) -> bool {
        let op = t
            .operator
            .as_deref()
            .filter(|o| !o.is_empty())
            .unwrap_or("Equal");
        let effect = t.effect.as_deref().unwrap_or_default();
        self.key.matches(key)
            && self.operator.as_deref().is_none_or(|o| o == op)
            && self.effect.as_deref().is_none_or(|e| e == effect)
    }

    /// `key[:operator][/effect]`, compact for messages.
    fn describe(&self) -> String {
        let mut s = self.key.as_str().to_owned();
        if let Some(o) = &self.operator {
            s.push(' ');
            s.push_str(o);
        }
        if let Some(e) = &self.effect {
            s.push(':');
            s.push_str(e);
        }
        s
    }
}

/// The compiled `placement` gate.
#[derive(Clone, Debug, Default)]
pub(crate) struct Gate {
    mode: Mode,
    matchers: Vec<Matcher>,
    tolerate_all: bool,
    allowed: String,
    required_keys: Vec<String>,
}

impl Check for Gate {
    const NAME: &'static str = "placement";

    fn mode(&self) -> Mode {
        self.mode
    }

    fn check(&self, ctx: &Ctx<'_>, sink: &mut Sink<'_>) {
        let spec = &ctx.kds.spec;
        let at = FieldPath::root("spec");
        for (i, t) in spec.tolerations.iter().flatten().enumerate() {
            let key = t.key.as_deref().unwrap_or_default();
            let ok = if key.is_empty() {
                self.tolerate_all
            } else {
                self.matchers.iter().any(|m| m.matches(t, key))
            };
            if !ok {
                let what = if key.is_empty() {
                    "tolerating every taint is not allowed".to_owned()
                } else {
                    let effect = t.effect.as_deref().filter(|e| !e.is_empty());
                    format!("toleration {key}:{} is not allowed", effect.unwrap_or("*"))
                };
                sink.violation(at.child("tolerations").index(i), what, &self.allowed);
            }
        }
        for key in &self.required_keys {
            let present = spec
                .node_selector
                .as_ref()
                .is_some_and(|s| s.contains_key(key));
            if !present {
                sink.violation(
                    at.child("node_selector").key(key),
                    format_args!("node selector key {key} is required"),
                    "",
                );
            }
        }
    }
}
