//! The webhook's workload: Namespace, ServiceAccount, Deployment, PodDisruptionBudget,
//! Service and the policy ConfigMap (the chart's `deployment.yaml`, `pdb.yaml`, ...).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EnvVar,
    HTTPGetAction, Lifecycle, LifecycleHandler, Namespace, PodSecurityContext, PodSpec,
    PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile, SecretVolumeSource,
    SecurityContext, Service, ServiceAccount, ServicePort, ServiceSpec, SleepAction,
    TopologySpreadConstraint, Volume, VolumeMount,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::*;

/// CPU and memory requests and limits of the webhook container (the chart's `resources`).
pub(super) const RESOURCES: [(&str, &str, &str); 2] =
    [("cpu", "50m", "500m"), ("memory", "64Mi", "128Mi")];

pub(super) fn namespace(opts: &Options) -> Namespace {
    let mut meta = opts.meta(opts.namespace.clone(), false);
    // The pod meets the "restricted" Pod Security Standard; enforce it for the namespace.
    meta.labels.get_or_insert_default().insert(
        "pod-security.kubernetes.io/enforce".into(),
        "restricted".into(),
    );
    Namespace {
        metadata: meta,
        ..Namespace::default()
    }
}

pub(super) fn service_account(opts: &Options) -> ServiceAccount {
    ServiceAccount {
        metadata: opts.meta(opts.name.clone(), true),
        // No token for other pods that might use it; the webhook's own pods ask for one
        // when they check writers' rights (the pod's `automountServiceAccountToken`).
        automount_service_account_token: Some(false),
        ..ServiceAccount::default()
    }
}

pub(super) fn config_map(opts: &Options, policy: &str) -> ConfigMap {
    ConfigMap {
        metadata: opts.meta(opts.policy_config_map_name(), true),
        data: Some(BTreeMap::from([(POLICY_KEY.to_owned(), policy.to_owned())])),
        ..ConfigMap::default()
    }
}

pub(super) fn service(opts: &Options) -> Service {
    let port = |name: &str, port: i32, target: &str| ServicePort {
        name: Some(name.into()),
        port,
        target_port: Some(IntOrString::String(target.into())),
        protocol: Some("TCP".into()),
        ..ServicePort::default()
    };
    Service {
        metadata: opts.meta(opts.name.clone(), true),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            selector: Some(opts.selector_labels()),
            ports: Some(vec![
                port(HTTPS_PORT_NAME, SERVICE_PORT, HTTPS_PORT_NAME),
                port(METRICS_PORT_NAME, ADMIN_PORT, ADMIN_PORT_NAME),
            ]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

pub(super) fn pdb(opts: &Options) -> PodDisruptionBudget {
    PodDisruptionBudget {
        metadata: opts.meta(opts.name.clone(), true),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(selector(opts)),
            // A crash-looping pod must not block node drains.
            unhealthy_pod_eviction_policy: Some("AlwaysAllow".into()),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    }
}

pub(super) fn deployment(opts: &Options) -> Deployment {
    let mut volumes = vec![Volume {
        name: "tls".into(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(opts.tls_secret_name()),
            ..SecretVolumeSource::default()
        }),
        ..Volume::default()
    }];
    if opts.policy.is_some() {
        volumes.push(Volume {
            name: "policy".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: opts.policy_config_map_name(),
                ..ConfigMapVolumeSource::default()
            }),
            ..Volume::default()
        });
    }
    Deployment {
        metadata: opts.meta(opts.name.clone(), true),
        spec: Some(DeploymentSpec {
            replicas: Some(REPLICAS),
            selector: selector(opts),
            // Surge first: capacity never drops below `replicas` during a rollout.
            strategy: Some(surge_first()),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(opts.labels()),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    service_account_name: Some(opts.name.clone()),
                    // A token only for the access checks' SubjectAccessReviews.
                    automount_service_account_token: Some(opts.access_checks),
                    security_context: Some(pod_security_context()),
                    termination_grace_period_seconds: Some(TERMINATION_GRACE_PERIOD_SECONDS),
                    topology_spread_constraints: Some(vec![spread(opts)]),
                    containers: vec![container(opts)],
                    volumes: Some(volumes),
                    ..PodSpec::default()
                }),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

/// The server's command line (after the image's `ENTRYPOINT ["/kds-webhook"]`).
pub(super) fn args(opts: &Options) -> Vec<String> {
    let mut args = vec![
        "serve".to_owned(),
        format!("--addr=0.0.0.0:{HTTPS_PORT}"),
        format!("--admin-addr=0.0.0.0:{ADMIN_PORT}"),
        format!("--tls-cert={CERT_MOUNT_PATH}/tls.crt"),
        format!("--tls-key={CERT_MOUNT_PATH}/tls.key"),
        format!("--shutdown-timeout={SHUTDOWN_TIMEOUT}"),
    ];
    if opts.policy.is_some() {
        args.push(format!("--policy={POLICY_MOUNT_PATH}/{POLICY_KEY}"));
    }
    args
}

/// An HTTP probe of `path` on the admin port, every `period` seconds (webhook and controller).
pub(super) fn probe(path: &str, period: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::String(ADMIN_PORT_NAME.into()),
            scheme: Some("HTTP".into()),
            ..HTTPGetAction::default()
        }),
        period_seconds: Some(period),
        timeout_seconds: Some(2),
        failure_threshold: Some(3),
        ..Probe::default()
    }
}

fn container(opts: &Options) -> Container {
    let port = |name: &str, port: i32| ContainerPort {
        name: Some(name.into()),
        container_port: port,
        protocol: Some("TCP".into()),
        ..ContainerPort::default()
    };
    let env = |name: &str, value: &str| EnvVar {
        name: name.into(),
        value: Some(value.into()),
        ..EnvVar::default()
    };
    let mut mounts = vec![mount("tls", CERT_MOUNT_PATH)];
    if opts.policy.is_some() {
        mounts.push(mount("policy", POLICY_MOUNT_PATH));
    }
    Container {
        name: CONTAINER_NAME.into(),
        image: Some(opts.image.clone()),
        image_pull_policy: Some("IfNotPresent".into()),
        args: Some(args(opts)),
        env: Some(vec![
            env("KDS_WEBHOOK_LOG_LEVEL", LOG_LEVEL),
            env("KDS_WEBHOOK_LOG_FORMAT", LOG_FORMAT),
            env(
                "KDS_WEBHOOK_ACCESS_CHECKS",
                if opts.access_checks { "on" } else { "off" },
            ),
        ]),
        ports: Some(vec![
            port(HTTPS_PORT_NAME, HTTPS_PORT),
            port(ADMIN_PORT_NAME, ADMIN_PORT),
        ]),
        lifecycle: Some(Lifecycle {
            pre_stop: Some(LifecycleHandler {
                sleep: Some(SleepAction {
                    seconds: PRE_STOP_SLEEP_SECONDS,
                }),
                ..LifecycleHandler::default()
            }),
            ..Lifecycle::default()
        }),
        liveness_probe: Some(probe("/livez", 10)),
        readiness_probe: Some(probe("/readyz", 5)),
        resources: Some(resources()),
        security_context: Some(container_security_context()),
        volume_mounts: Some(mounts),
        ..Container::default()
    }
}

pub(super) fn mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount {
        name: name.into(),
        mount_path: path.into(),
        read_only: Some(true),
        ..VolumeMount::default()
    }
}

/// The webhook container's requests and limits.
pub(super) fn resources() -> ResourceRequirements {
    resource_requirements(&RESOURCES)
}

/// Requests and limits from `(resource, request, limit)` triples.
pub(super) fn resource_requirements(table: &[(&str, &str, &str)]) -> ResourceRequirements {
    let pick = |limit: bool| {
        table
            .iter()
            .map(|(k, req, lim)| {
                let q = if limit { lim } else { req };
                ((*k).to_owned(), Quantity((*q).to_owned()))
            })
            .collect()
    };
    ResourceRequirements {
        requests: Some(pick(false)),
        limits: Some(pick(true)),
        ..ResourceRequirements::default()
    }
}

/// The pod's security context (the chart's `podSecurityContext`).
pub(super) fn pod_security_context() -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(RUN_AS_USER),
        run_as_group: Some(RUN_AS_USER),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            ..SeccompProfile::default()
        }),
        ..PodSecurityContext::default()
    }
}

/// The container's security context (the chart's `securityContext`).
pub(super) fn container_security_context() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        read_only_root_filesystem: Some(true),
        run_as_non_root: Some(true),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            ..Capabilities::default()
        }),
        ..SecurityContext::default()
    }
}

fn selector(opts: &Options) -> LabelSelector {
    LabelSelector {
        match_labels: Some(opts.selector_labels()),
        ..LabelSelector::default()
    }
}

fn spread(opts: &Options) -> TopologySpreadConstraint {
    TopologySpreadConstraint {
        max_skew: 1,
        topology_key: "kubernetes.io/hostname".into(),
        when_unsatisfiable: "ScheduleAnyway".into(),
        label_selector: Some(selector(opts)),
        // Spread each rollout's new pods on their own, not against the old ReplicaSet's.
        match_label_keys: Some(vec!["pod-template-hash".into()]),
        ..TopologySpreadConstraint::default()
    }
}

/// A rolling update that starts a new pod before stopping an old one, for both Deployments.
pub(crate) fn surge_first() -> DeploymentStrategy {
    DeploymentStrategy {
        type_: Some("RollingUpdate".into()),
        rolling_update: Some(RollingUpdateDeployment {
            max_surge: Some(IntOrString::Int(1)),
            max_unavailable: Some(IntOrString::Int(0)),
        }),
    }
}
