//! Rollout preview: what changes in the expanded objects between two versions of a
//! `KubernetesDaemonSet`, whether that restarts the agent's pod on every node, and the pace
//! the update strategy gives the restarts. Pure: two expansions in, a [`Preview`] out; shared
//! by `kds-webhook diff` and the validating webhook's warning on UPDATE.
//!
//! A DaemonSet replaces its pods only when its pod template (`spec.template`) changes; a
//! change to a ConfigMap, Secret or RBAC object reaches running pods without a restart (or,
//! for environment variables taken from a Secret, not until they restart). Under
//! `RollingUpdate` the controller replaces `maxUnavailable` pods at a time (each node's agent
//! is down while its pod is replaced), or with `maxSurge` starts the new pod beside the old on
//! that many nodes at a time; percentages are of the nodes running the agent, rounded up.
//! `OnDelete` replaces a pod only when it is deleted.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::expansion::Expansion;
use fields::{diff_object, key_of, keyed};

/// How an object changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectChange {
    /// Only the new version has it.
    Added,
    /// Only the old version has it.
    Removed,
    /// Both have it, with different fields.
    Changed,
}

/// One field that differs: its path in the expanded object and both values, rendered
/// (`None` when absent; a Secret's data is never shown).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    /// For example `spec.template.spec.containers[app].image`.
    pub path: String,
    /// The old value.
    pub old: Option<String>,
    /// The new value.
    pub new: Option<String>,
}

/// The changes of one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectDiff {
    /// `Kind/name` (with `namespace/` before the name when namespaced).
    pub object: String,
    /// Added, removed or changed.
    pub change: ObjectChange,
    /// The fields that differ (empty for added and removed objects).
    pub fields: Vec<FieldChange>,
}

/// The update strategy of the new DaemonSet, which paces the rollout.
#[derive(Clone, Debug, PartialEq)]
pub struct Pace {
    /// `RollingUpdate` or `OnDelete`.
    pub strategy: String,
    /// `maxUnavailable` (1 when not set).
    pub max_unavailable: IntOrString,
    /// `maxSurge` (0 when not set).
    pub max_surge: IntOrString,
    /// Seconds a new pod must be ready before the next one is replaced.
    pub min_ready_seconds: i32,
}

/// How many pods are replaced at once on a cluster of a given size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waves {
    /// Pods replaced at the same time.
    pub per_wave: u32,
    /// Waves to replace every pod.
    pub waves: u32,
    /// True when the new pod starts beside the old (no gap on the node).
    pub surge: bool,
}

/// What applying the new version does.
#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    /// Every object that differs, in apply order (the new version's, then removed ones).
    pub objects: Vec<ObjectDiff>,
    /// The pod-template fields that differ (empty: no pod restarts).
    pub template_fields: Vec<String>,
    /// True when the DaemonSet itself is replaced (its name or namespace changes).
    pub replaced: bool,
    /// The new DaemonSet's pace.
    pub pace: Pace,
}

/// Compares two expansions.
pub fn preview(old: &Expansion, new: &Expansion) -> Preview {
    let old_objs = keyed(old.objects());
    let new_objs = keyed(new.objects());
    let mut objects = Vec::new();
    for (key, n) in &new_objs {
        match old_objs.iter().find(|(k, _)| k == key) {
            None => objects.push(ObjectDiff {
                object: key.clone(),
                change: ObjectChange::Added,
                fields: Vec::new(),
            }),
            Some((_, o)) => {
                let mut fields = Vec::new();
                diff_object(o, n, &mut fields);
                if !fields.is_empty() {
                    objects.push(ObjectDiff {
                        object: key.clone(),
                        change: ObjectChange::Changed,
                        fields,
                    });
                }
            }
        }
    }
    for (key, _) in &old_objs {
        if !new_objs.iter().any(|(k, _)| k == key) {
            objects.push(ObjectDiff {
                object: key.clone(),
                change: ObjectChange::Removed,
                fields: Vec::new(),
            });
        }
    }
    let ds_key = |e: &Expansion| key_of(&serde_json::to_value(&e.daemon_set).unwrap_or_default());
    let replaced = ds_key(old) != ds_key(new);
    let template_fields = objects
        .iter()
        .filter(|o| o.object.starts_with("DaemonSet/"))
        .flat_map(|o| o.fields.iter())
        .filter(|f| f.path.starts_with("spec.template."))
        .map(|f| f.path.clone())
        .collect();
    Preview {
        objects,
        template_fields,
        replaced,
        pace: pace(new),
    }
}

/// The warning the validating webhook adds to an admitted UPDATE: the rollout summary of the
/// stored object → the new one (both defaulted); `None` when the expanded objects are the
/// same or either does not expand.
pub fn update_warning(
    old: &crate::api::KubernetesDaemonSet,
    new: &crate::api::KubernetesDaemonSet,
) -> Option<String> {
    let (old, new) = (
        crate::expansion::expand(old).ok()?,
        crate::expansion::expand(new).ok()?,
    );
    let p = preview(&old, &new);
    (!p.is_empty()).then(|| p.summary(None))
}

/// A first install: every object is added and the pods start on every node at once (a
/// rolling update paces replacements, not creation).
pub fn install(new: &Expansion) -> Preview {
    Preview {
        objects: keyed(new.objects())
            .into_iter()
            .map(|(object, _)| ObjectDiff {
                object,
                change: ObjectChange::Added,
                fields: Vec::new(),
            })
            .collect(),
        template_fields: Vec::new(),
        replaced: true,
        pace: pace(new),
    }
}

impl Preview {
    /// True when nothing differs.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// True when every node's pod is replaced.
    pub fn restarts_pods(&self) -> bool {
        self.replaced || !self.template_fields.is_empty()
    }

    /// One line for a warning or the end of `diff`'s output, under 120 characters without
    /// `nodes`: what restarts and at what pace.
    pub fn summary(&self, nodes: Option<u32>) -> String {
        if self.is_empty() {
            return "rollout: no change to the expanded objects".to_owned();
        }
        if !self.restarts_pods() {
            let names: Vec<&str> = self.objects.iter().map(|o| o.object.as_str()).collect();
            return format!(
                "rollout: no pod restarts; only {} change{}",
                brief(&names, 2),
                if names.len() == 1 { "s" } else { "" }
            );
        }
        let ds_removed = self
            .objects
            .iter()
            .any(|o| o.change == ObjectChange::Removed && o.object.starts_with("DaemonSet/"));
        if self.replaced && !ds_removed {
            return "rollout: new DaemonSet: its pod starts on every node at once".to_owned();
        }
        let what = if self.replaced {
            "DaemonSet replaced".to_owned()
        } else {
            let fields = template_names(&self.template_fields);
            let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
            format!("pod template changes ({})", brief(&fields, 3))
        };
        format!("rollout: {what}: {}", self.pace_text(nodes))
    }

    fn pace_text(&self, nodes: Option<u32>) -> String {
        let p = &self.pace;
        if p.strategy == "OnDelete" {
            return "OnDelete: each node's pod restarts only when it is deleted".to_owned();
        }
        let ready = if p.min_ready_seconds > 0 {
            format!(", {}s ready before the next", p.min_ready_seconds)
        } else {
            String::new()
        };
        let surge = amount(&p.max_surge) != Amount::Count(0);
        let (knob, value) = if surge {
            ("maxSurge", &p.max_surge)
        } else {
            ("maxUnavailable", &p.max_unavailable)
        };
        let mode = if surge {
            ", new pod beside the old"
        } else {
            ""
        };
        match nodes.and_then(|n| self.waves(n).map(|w| (n, w))) {
            Some((n, w)) if w.per_wave == 1 => format!(
                "every node's pod restarts, 1 at a time ({knob} {}{mode}{ready}): {} sequential restarts on {n} nodes",
                show(value),
                w.waves
            ),
            Some((n, w)) => format!(
                "every node's pod restarts, {} at a time ({knob} {}{mode}{ready}): {} waves on {n} nodes",
                w.per_wave,
                show(value),
                w.waves
            ),
            None => match amount(value) {
                Amount::Count(c) => format!(
                    "every node's pod restarts, {c} at a time ({knob} {}{mode}{ready})",
                    show(value)
                ),
                Amount::Percent(pc) => format!(
                    "every node's pod restarts, {pc}% of nodes at a time ({knob}{mode}{ready})"
                ),
            },
        }
    }

    /// The waves of a rolling update on `nodes` nodes; `None` for `OnDelete` or no nodes.
    pub fn waves(&self, nodes: u32) -> Option<Waves> {
        if self.pace.strategy == "OnDelete" || nodes == 0 {
            return None;
        }
        let surge = resolve(&self.pace.max_surge, nodes);
        let per_wave = if surge > 0 {
            surge
        } else {
            resolve(&self.pace.max_unavailable, nodes).max(1)
        }
        .min(nodes);
        Some(Waves {
            per_wave,
            waves: nodes.div_ceil(per_wave),
            surge: surge > 0,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Amount {
    Count(u32),
    Percent(u32),
}

fn amount(v: &IntOrString) -> Amount {
    match v {
        IntOrString::Int(i) => Amount::Count(u32::try_from(*i).unwrap_or(0)),
        IntOrString::String(s) => match s.strip_suffix('%').map(str::parse::<u32>) {
            Some(Ok(p)) => Amount::Percent(p),
            _ => Amount::Count(s.parse().unwrap_or(0)),
        },
    }
}

/// A count or a percentage of `nodes`, rounded up as the DaemonSet controller rounds both
/// `maxUnavailable` and `maxSurge`.
fn resolve(v: &IntOrString, nodes: u32) -> u32 {
    match amount(v) {
        Amount::Count(c) => c,
        Amount::Percent(p) => (u64::from(nodes) * u64::from(p)).div_ceil(100) as u32,
    }
}

fn show(v: &IntOrString) -> String {
    match v {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

fn pace(e: &Expansion) -> Pace {
    let spec = e.daemon_set.spec.as_ref();
    let strategy = spec.and_then(|s| s.update_strategy.as_ref());
    let rolling = strategy.and_then(|s| s.rolling_update.as_ref());
    Pace {
        strategy: strategy
            .and_then(|s| s.type_.clone())
            .unwrap_or_else(|| "RollingUpdate".to_owned()),
        max_unavailable: rolling
            .and_then(|r| r.max_unavailable.clone())
            .unwrap_or(IntOrString::Int(1)),
        max_surge: rolling
            .and_then(|r| r.max_surge.clone())
            .unwrap_or(IntOrString::Int(0)),
        min_ready_seconds: spec.and_then(|s| s.min_ready_seconds).unwrap_or(0),
    }
}

/// `a, b and 3 more`.
fn brief(items: &[&str], max: usize) -> String {
    if items.len() <= max {
        return items.join(", ");
    }
    format!("{} and {} more", items[..max].join(", "), items.len() - max)
}

/// Short names of pod-template fields: the container field (`image`, `env`), else the pod
/// field (`tolerations`) or `metadata.labels`; each once, in order.
fn template_names(paths: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in paths {
        let rest = p.strip_prefix("spec.template.").unwrap_or(p);
        let name = if let Some(pod) = rest.strip_prefix("spec.") {
            let first = pod.split(['.', '[']).next().unwrap_or(pod);
            if first == "containers" || first == "initContainers" {
                pod.split_once("].")
                    .map(|(_, f)| f.split(['.', '[']).next().unwrap_or(f).to_owned())
                    .unwrap_or_else(|| first.to_owned())
            } else {
                first.to_owned()
            }
        } else {
            let mut parts = rest.splitn(3, ['.', '[']);
            match (parts.next(), parts.next()) {
                (Some(a), Some(b)) => format!("{a}.{b}"),
                (Some(a), None) => a.to_owned(),
                _ => rest.to_owned(),
            }
        };
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

mod fields;

#[cfg(test)]
mod tests;
