//! Defaulting of a `KubernetesDaemonSet`: fills optional fields the user left out, in place.
//!
//! Rules:
//! - Only fields the user did not write are filled, so the mutating webhook's JSON patch is
//!   purely additive (apart from the `host_path` shorthand, which is rewritten into its object
//!   form so that stored objects have one shape).
//! - Nothing the original marks *required* is invented: there is no default image tag, port
//!   protocol, port name or volume source. Those are reported by validation instead.
//! - For the proto3 string fields whose empty value means "not given" in the original
//!   (`update_strategy.type`, `rolling_update.max_*`, toleration `operator`, probe
//!   `http_get.path`/`scheme`, volume `path`, `service_account_name`), `""` counts as absent.
//!   Numbers are presence-based (a written `0` is kept), except the four probe counters, where
//!   the API server itself replaces 0.
//! - [`apply_defaults`] is idempotent: a second run changes nothing.
//!
//! Every default is a named constant below, so the README's defaults table and the code cannot
//! drift apart.

use crate::api::{
    ContainerResources, CpuMemory, HostPathSource, IntOrString, KubernetesDaemonSet,
    KubernetesDaemonSetContainerApp, KubernetesDaemonSetRollingUpdate,
    KubernetesDaemonSetUpdateStrategy, Probe, Quantity, StringValueOrRef, VolumeMount,
};

#[cfg(test)]
mod tests;

/// Default CPU limit of the app container (the original's `default_container_resources`).
pub const DEFAULT_LIMIT_CPU: &str = "1000m";
/// Default memory limit of the app container.
pub const DEFAULT_LIMIT_MEMORY: &str = "1Gi";
/// Default CPU request of the app container.
pub const DEFAULT_REQUEST_CPU: &str = "50m";
/// Default memory request of the app container.
pub const DEFAULT_REQUEST_MEMORY: &str = "100Mi";
/// Default update strategy type (the API server's).
pub const DEFAULT_UPDATE_STRATEGY: &str = "RollingUpdate";
/// Default `rolling_update.max_unavailable`, a string as the original declares it.
pub const DEFAULT_MAX_UNAVAILABLE: &str = "1";
/// Default `rolling_update.max_surge`, a string as the original declares it.
pub const DEFAULT_MAX_SURGE: &str = "0";
/// Default probe `timeout_seconds` (when absent or 0).
pub const DEFAULT_PROBE_TIMEOUT_SECONDS: i32 = 1;
/// Default probe `period_seconds` (when absent or 0).
pub const DEFAULT_PROBE_PERIOD_SECONDS: i32 = 10;
/// Default probe `success_threshold` (when absent or 0).
pub const DEFAULT_PROBE_SUCCESS_THRESHOLD: i32 = 1;
/// Default probe `failure_threshold` (when absent or 0).
pub const DEFAULT_PROBE_FAILURE_THRESHOLD: i32 = 3;
/// Default `http_get.path` of a probe.
pub const DEFAULT_HTTP_GET_PATH: &str = "/";
/// Default `http_get.scheme` of a probe.
pub const DEFAULT_HTTP_GET_SCHEME: &str = "HTTP";
/// Default toleration operator when a key is given.
pub const DEFAULT_TOLERATION_OPERATOR: &str = "Equal";
/// Default file mode of ConfigMap and Secret volumes: 0644.
pub const DEFAULT_VOLUME_MODE: i32 = 0o644;

/// Fills every default in place; idempotent (see the module docs for the rules).
pub fn apply_defaults(kds: &mut KubernetesDaemonSet) {
    default_namespace(kds);
    default_service_account_name(kds);
    default_update_strategy(&mut kds.spec.update_strategy);
    for t in kds.spec.tolerations.iter_mut().flatten() {
        let has_key = t.key.as_deref().is_some_and(|k| !k.is_empty());
        if has_key && is_blank(t.operator.as_deref()) {
            t.operator = Some(DEFAULT_TOLERATION_OPERATOR.to_owned());
        }
    }
    if let Some(app) = kds.spec.container.as_mut().and_then(|c| c.app.as_mut()) {
        default_app(app);
    }
}

/// True for an absent string and for `""`, which proto3 cannot tell apart.
fn is_blank(s: Option<&str>) -> bool {
    s.is_none_or(str::is_empty)
}

/// `spec.namespace` from `metadata.namespace`: in a cluster the object's own namespace is the
/// natural target. Offline, without `metadata.namespace`, it stays absent (validation reports it).
fn default_namespace(kds: &mut KubernetesDaemonSet) {
    if kds.spec.namespace.is_some() {
        return;
    }
    if let Some(ns) = kds.metadata.namespace.as_deref().filter(|n| !n.is_empty()) {
        kds.spec.namespace = Some(StringValueOrRef {
            value: Some(ns.to_owned()),
            value_from: None,
        });
    }
}

/// The created ServiceAccount is named after the object, as the original's comment says.
fn default_service_account_name(kds: &mut KubernetesDaemonSet) {
    if kds.spec.create_service_account != Some(true)
        || !is_blank(kds.spec.service_account_name.as_deref())
    {
        return;
    }
    if let Some(name) = kds.metadata.name.as_deref().filter(|n| !n.is_empty()) {
        kds.spec.service_account_name = Some(name.to_owned());
    }
}

/// The API server's DaemonSet defaults (`SetDefaults_DaemonSet`), written as the original's
/// string type. `{max_surge: 1}` alone still gets `max_unavailable: "1"`, exactly as the API
/// server would, so validation reports the same error the API server would.
fn default_update_strategy(strategy: &mut Option<KubernetesDaemonSetUpdateStrategy>) {
    let s = strategy.get_or_insert_with(Default::default);
    if is_blank(s.type_.as_deref()) {
        s.type_ = Some(DEFAULT_UPDATE_STRATEGY.to_owned());
    }
    if s.type_.as_deref() != Some(DEFAULT_UPDATE_STRATEGY) {
        return;
    }
    let ru = s
        .rolling_update
        .get_or_insert_with(KubernetesDaemonSetRollingUpdate::default);
    default_int_or_string(&mut ru.max_unavailable, DEFAULT_MAX_UNAVAILABLE);
    default_int_or_string(&mut ru.max_surge, DEFAULT_MAX_SURGE);
}

fn default_int_or_string(v: &mut Option<IntOrString>, default: &str) {
    let blank = match v {
        None => true,
        Some(IntOrString::String(s)) => s.is_empty(),
        Some(IntOrString::Int(_)) => false,
    };
    if blank {
        *v = Some(IntOrString::String(default.to_owned()));
    }
}

fn default_app(app: &mut KubernetesDaemonSetContainerApp) {
    default_resources(app.resources.get_or_insert_with(Default::default));
    for probe in [
        &mut app.liveness_probe,
        &mut app.readiness_probe,
        &mut app.startup_probe,
    ]
    .into_iter()
    .flatten()
    {
        default_probe(probe);
    }
    for mount in app.volume_mounts.iter_mut().flatten() {
        default_volume_mount(mount);
    }
}

/// Each of the four values on its own. A defaulted request never exceeds the user's own limit
/// and a defaulted limit is never below the user's own request, so defaulting never makes a
/// `request > limit` error out of fields the user did not write.
fn default_resources(res: &mut ContainerResources) {
    let given_limits = res.limits.clone().unwrap_or_default();
    let given_requests = res.requests.clone().unwrap_or_default();
    let limits = res.limits.get_or_insert_with(CpuMemory::default);
    fill(
        &mut limits.cpu,
        DEFAULT_LIMIT_CPU,
        given_requests.cpu.as_ref(),
        Bound::AtLeast,
    );
    fill(
        &mut limits.memory,
        DEFAULT_LIMIT_MEMORY,
        given_requests.memory.as_ref(),
        Bound::AtLeast,
    );
    let requests = res.requests.get_or_insert_with(CpuMemory::default);
    fill(
        &mut requests.cpu,
        DEFAULT_REQUEST_CPU,
        given_limits.cpu.as_ref(),
        Bound::AtMost,
    );
    fill(
        &mut requests.memory,
        DEFAULT_REQUEST_MEMORY,
        given_limits.memory.as_ref(),
        Bound::AtMost,
    );
}

/// How a defaulted quantity relates to the user's counterpart.
#[derive(Clone, Copy)]
enum Bound {
    /// A limit: at least the user's request.
    AtLeast,
    /// A request: at most the user's limit.
    AtMost,
}

/// Sets `slot` to `default`, or to the user's `other` when the bound requires it. The user's
/// value is only used when both parse and it is not negative (a negative one is an error of
/// its own, not something to copy).
fn fill(slot: &mut Option<Quantity>, default: &str, other: Option<&Quantity>, bound: Bound) {
    if slot.is_some() {
        return;
    }
    let default = Quantity::from(default);
    let chosen = match (other, default.parse()) {
        (Some(o), Ok(d)) => match o.parse() {
            Ok(op) if !op.is_negative() => match bound {
                Bound::AtLeast if op > d => o.clone(),
                Bound::AtMost if op < d => o.clone(),
                _ => default,
            },
            _ => default,
        },
        _ => default,
    };
    *slot = Some(chosen);
}

/// The API server's `SetDefaults_Probe` and `SetDefaults_HTTPGetAction`.
fn default_probe(p: &mut Probe) {
    for (slot, default) in [
        (&mut p.timeout_seconds, DEFAULT_PROBE_TIMEOUT_SECONDS),
        (&mut p.period_seconds, DEFAULT_PROBE_PERIOD_SECONDS),
        (&mut p.success_threshold, DEFAULT_PROBE_SUCCESS_THRESHOLD),
        (&mut p.failure_threshold, DEFAULT_PROBE_FAILURE_THRESHOLD),
    ] {
        if slot.unwrap_or(0) == 0 {
            *slot = Some(default);
        }
    }
    if let Some(h) = p.http_get.as_mut() {
        if is_blank(h.path.as_deref()) {
            h.path = Some(DEFAULT_HTTP_GET_PATH.to_owned());
        }
        if is_blank(h.scheme.as_deref()) {
            h.scheme = Some(DEFAULT_HTTP_GET_SCHEME.to_owned());
        }
    }
}

/// ConfigMap/Secret file mode and item path; the `host_path` shorthand becomes `{path}`.
fn default_volume_mount(m: &mut VolumeMount) {
    if let Some(cm) = m.config_map.as_mut() {
        default_key_source(&mut cm.default_mode, cm.key.as_deref(), &mut cm.path);
    }
    if let Some(s) = m.secret.as_mut() {
        default_key_source(&mut s.default_mode, s.key.as_deref(), &mut s.path);
    }
    if let Some(hp @ HostPathSource::Shorthand(_)) = m.host_path.as_ref() {
        m.host_path = Some(HostPathSource::Object(hp.to_object()));
    }
}

fn default_key_source(mode: &mut Option<i32>, key: Option<&str>, path: &mut Option<String>) {
    if mode.is_none() {
        *mode = Some(DEFAULT_VOLUME_MODE);
    }
    if let Some(key) = key.filter(|k| !k.is_empty())
        && is_blank(path.as_deref())
    {
        *path = Some(key.to_owned());
    }
}
