//! The `apps/v1` DaemonSet (planton-spec §7.3), with the API server's DaemonSet and pod
//! template defaults (kubernetes-rules §2.1, §2.2) filled in.

use k8s_openapi::api::apps::v1::{
    DaemonSet, DaemonSetSpec, DaemonSetUpdateStrategy, RollingUpdateDaemonSet,
};
use k8s_openapi::api::core::v1::{
    LocalObjectReference, PodSecurityContext, PodSpec, PodTemplateSpec, Toleration,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{ExpandError, container, meta, volumes};
use crate::api::{
    KubernetesDaemonSet, KubernetesDaemonSetContainerApp, KubernetesDaemonSetUpdateStrategy,
};
use crate::naming;

/// `spec.revisionHistoryLimit` default (`SetDefaults_DaemonSet`).
const REVISION_HISTORY_LIMIT: i32 = 10;
/// `terminationGracePeriodSeconds` default (`SetDefaults_PodSpec`).
const TERMINATION_GRACE_PERIOD_SECONDS: i64 = 30;

/// The app container, without which no DaemonSet can be built.
pub(super) fn app_container(
    kds: &KubernetesDaemonSet,
) -> Result<&KubernetesDaemonSetContainerApp, ExpandError> {
    kds.spec
        .container
        .as_ref()
        .and_then(|c| c.app.as_ref())
        .ok_or(ExpandError::MissingAppContainer)
}

/// The DaemonSet: unique selector, full labels on the template, the app container first.
pub(super) fn daemon_set(kds: &KubernetesDaemonSet) -> Result<DaemonSet, ExpandError> {
    let spec = &kds.spec;
    let app = app_container(kds)?;
    let mounts = app.volume_mounts.as_deref().unwrap_or_default();
    let mut containers = vec![container::app(kds, app)];
    containers.extend(
        spec.container
            .iter()
            .flat_map(|c| c.sidecars.iter().flatten())
            .map(container::sidecar),
    );
    let pull_secrets = app
        .image
        .as_ref()
        .and_then(|i| i.pull_secret_name.clone())
        .filter(|n| !n.is_empty())
        .map(|name| vec![LocalObjectReference { name }]);
    let volumes = volumes::volumes(mounts);
    let pod = PodSpec {
        containers,
        volumes: (!volumes.is_empty()).then_some(volumes),
        service_account_name: naming::service_account(kds),
        node_selector: spec.node_selector.clone().filter(|n| !n.is_empty()),
        tolerations: tolerations(kds),
        image_pull_secrets: pull_secrets,
        restart_policy: Some("Always".to_owned()),
        dns_policy: Some("ClusterFirst".to_owned()),
        scheduler_name: Some("default-scheduler".to_owned()),
        termination_grace_period_seconds: Some(TERMINATION_GRACE_PERIOD_SECONDS),
        security_context: Some(PodSecurityContext::default()),
        ..PodSpec::default()
    };
    Ok(DaemonSet {
        metadata: meta(kds, naming::name(kds).to_owned(), true),
        spec: Some(DaemonSetSpec {
            selector: LabelSelector {
                match_labels: Some(naming::selector_labels(kds)),
                match_expressions: None,
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(naming::labels(kds)),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod),
            },
            min_ready_seconds: spec.min_ready_seconds.filter(|s| *s != 0),
            update_strategy: spec.update_strategy.as_ref().map(update_strategy),
            revision_history_limit: Some(REVISION_HISTORY_LIMIT),
        }),
        status: None,
    })
}

/// Type as given; `rollingUpdate` only for `RollingUpdate`, its values converted with
/// `intstr.Parse` semantics (see [`parse_int_or_string`]).
fn update_strategy(s: &KubernetesDaemonSetUpdateStrategy) -> DaemonSetUpdateStrategy {
    let rolling = s.type_.as_deref() == Some("RollingUpdate");
    DaemonSetUpdateStrategy {
        type_: s.type_.clone().filter(|t| !t.is_empty()),
        rolling_update: s.rolling_update.as_ref().filter(|_| rolling).map(|r| {
            RollingUpdateDaemonSet {
                max_unavailable: r.max_unavailable.as_ref().map(parse_int_or_string),
                max_surge: r.max_surge.as_ref().map(parse_int_or_string),
            }
        }),
    }
}

/// apimachinery's `intstr.Parse`: a string that is a base-10 int32 (sign and leading zeros
/// allowed) becomes an int, anything else stays a string. The original sends `"1"` as a string,
/// which the API server rejects (only `N%` strings are valid); this sends `1`.
pub(crate) fn parse_int_or_string(v: &IntOrString) -> IntOrString {
    match v {
        IntOrString::String(s) => match s.parse::<i32>() {
            Ok(i) => IntOrString::Int(i),
            Err(_) => IntOrString::String(s.clone()),
        },
        IntOrString::Int(i) => IntOrString::Int(*i),
    }
}

/// Tolerations with empty strings left out and `tolerationSeconds` only when written.
fn tolerations(kds: &KubernetesDaemonSet) -> Option<Vec<Toleration>> {
    let non_empty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    let out: Vec<Toleration> = kds
        .spec
        .tolerations
        .iter()
        .flatten()
        .map(|t| Toleration {
            key: non_empty(&t.key),
            operator: non_empty(&t.operator),
            value: non_empty(&t.value),
            effect: non_empty(&t.effect),
            toleration_seconds: t.toleration_seconds,
        })
        .collect();
    (!out.is_empty()).then_some(out)
}
