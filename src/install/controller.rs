//! The controller's installation: its Deployment, PodDisruptionBudget and ServiceAccount (the
//! chart's `controller-deployment.yaml`, `controller-pdb.yaml`, `controller-serviceaccount.yaml`)
//! and its RBAC ([`rbac`], the chart's `controller-rbac.yaml`).
//!
//! The controller runs `kds-webhook controller` with the webhook's image, hardened exactly like
//! the webhook (the same security contexts), but unlike the webhook it mounts a ServiceAccount
//! token: it reads KubernetesDaemonSets and applies their children through the API server.
//!
//! Its pods carry their own `app.kubernetes.io/name` (`<chart name>-controller`), so neither the
//! webhook's Service, nor its Deployment, nor its PodDisruptionBudget ever select them.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, Container, ContainerPort, EnvVar, EnvVarSource, ObjectFieldSelector,
    PodSpec, PodTemplateSpec, ServiceAccount, TopologySpreadConstraint, Volume,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::workload::{
    container_security_context, mount, pod_security_context, probe, resource_requirements,
};
use super::{LOG_FORMAT, LOG_LEVEL, Options, POLICY_KEY, POLICY_MOUNT_PATH};

pub mod rbac;

/// Appended to the release name for every controller object (`kds-webhook-controller`).
pub const NAME_SUFFIX: &str = "-controller";
/// Controller pods: one leads, the other takes over within the lease duration.
pub const REPLICAS: i32 = 2;
/// The container's admin port (`/livez`, `/readyz`, `/metrics`), `controller --admin-addr`;
/// the controller's own default, distinct from `serve`'s 8080.
pub const ADMIN_PORT: i32 = 8081;
/// The container's name.
pub const CONTAINER_NAME: &str = "controller";
/// `KDS_WEBHOOK_LEADER_ELECT`: on, so that any number of replicas is safe.
pub const LEADER_ELECT: bool = true;
/// `KDS_WEBHOOK_CONCURRENCY`: KubernetesDaemonSets reconciled at once.
pub const CONCURRENCY: u32 = 4;
/// `KDS_WEBHOOK_REQUEUE_INTERVAL`: how often an unchanged object is reconciled again, which
/// repairs drift the watches missed.
pub const REQUEUE_INTERVAL: &str = "5m";
/// `terminationGracePeriodSeconds`: time to finish in-flight reconciles and release the lease
/// after SIGTERM.
pub const TERMINATION_GRACE_PERIOD_SECONDS: i64 = 30;
/// CPU and memory requests and limits (the chart's `controller.resources`). The memory limit is
/// above the webhook's: the controller keeps every KubernetesDaemonSet and the metadata of
/// every child DaemonSet in its watch caches.
pub const RESOURCES: [(&str, &str, &str); 2] =
    [("cpu", "50m", "500m"), ("memory", "64Mi", "256Mi")];
/// `KDS_WEBHOOK_ALLOW_CROSS_NAMESPACE`: namespaces whose objects may target another namespace.
pub const ALLOW_CROSS_NAMESPACE: &[&str] = &["*"];
/// `KDS_WEBHOOK_PROTECTED_NAMESPACES`: never the target of an object from another namespace.
pub const PROTECTED_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];
/// `KDS_WEBHOOK_ALLOW_NAMESPACE_CREATION`: namespaces whose objects may create their target
/// namespace.
pub const ALLOW_NAMESPACE_CREATION: &[&str] = &["*"];
/// `KDS_WEBHOOK_ALLOW_CLUSTER_RBAC`: namespaces whose objects may get a ClusterRole and
/// ClusterRoleBinding; none by default.
pub const ALLOW_CLUSTER_RBAC: &[&str] = &[];

/// The controller's objects, in apply order (RBAC before the pods that need it).
#[derive(Debug, Clone)]
pub struct Controller {
    /// Its ServiceAccount (token mounted).
    pub service_account: ServiceAccount,
    /// What it may do cluster-wide.
    pub cluster_role: ClusterRole,
    /// Grants [`Controller::cluster_role`] to the ServiceAccount.
    pub cluster_role_binding: ClusterRoleBinding,
    /// The leader-election Lease, in the release namespace.
    pub role: Role,
    /// Grants [`Controller::role`] to the ServiceAccount.
    pub role_binding: RoleBinding,
    /// The controller pods.
    pub deployment: Deployment,
    /// Keeps one replica (a standby ready to lead) during voluntary disruptions.
    pub pdb: PodDisruptionBudget,
}

/// Builds the controller's objects.
pub fn build(opts: &Options) -> Controller {
    Controller {
        service_account: service_account(opts),
        cluster_role: rbac::cluster_role(opts),
        cluster_role_binding: rbac::cluster_role_binding(opts),
        role: rbac::leader_election_role(opts),
        role_binding: rbac::leader_election_role_binding(opts),
        deployment: deployment(opts),
        pdb: pdb(opts),
    }
}

/// `<release name>-controller`: the Deployment, ServiceAccount, ClusterRole, ClusterRoleBinding
/// and PodDisruptionBudget, and the leader-election Lease.
pub fn name(opts: &Options) -> String {
    format!("{}{NAME_SUFFIX}", opts.name)
}

/// The labels the controller's Deployment, PodDisruptionBudget and spread constraint select on.
pub fn selector_labels(opts: &Options) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "app.kubernetes.io/name".into(),
            format!("{}{NAME_SUFFIX}", super::DEFAULT_NAME),
        ),
        ("app.kubernetes.io/instance".into(), opts.name.clone()),
    ])
}

/// Labels on every controller object: the installation's, with the controller's name and
/// `component: controller`, `part-of: kds-webhook`.
pub fn labels(opts: &Options) -> BTreeMap<String, String> {
    let mut l = opts.labels();
    l.extend(selector_labels(opts));
    l.insert("app.kubernetes.io/component".into(), "controller".into());
    l.insert(
        "app.kubernetes.io/part-of".into(),
        super::DEFAULT_NAME.into(),
    );
    l
}

fn meta(opts: &Options, name: String, namespaced: bool) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: namespaced.then(|| opts.namespace.clone()),
        labels: Some(labels(opts)),
        ..ObjectMeta::default()
    }
}

fn selector(opts: &Options) -> LabelSelector {
    LabelSelector {
        match_labels: Some(selector_labels(opts)),
        ..LabelSelector::default()
    }
}

fn service_account(opts: &Options) -> ServiceAccount {
    ServiceAccount {
        metadata: meta(opts, name(opts), true),
        // The controller calls the API server; its rights are the RBAC in `rbac`.
        automount_service_account_token: Some(true),
        ..ServiceAccount::default()
    }
}

fn pdb(opts: &Options) -> PodDisruptionBudget {
    PodDisruptionBudget {
        metadata: meta(opts, name(opts), true),
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

fn deployment(opts: &Options) -> Deployment {
    let volumes = opts.policy.is_some().then(|| {
        vec![Volume {
            name: "policy".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: opts.policy_config_map_name(),
                ..ConfigMapVolumeSource::default()
            }),
            ..Volume::default()
        }]
    });
    Deployment {
        metadata: meta(opts, name(opts), true),
        spec: Some(DeploymentSpec {
            replicas: Some(REPLICAS),
            selector: selector(opts),
            // Surge first: the standby keeps running while a new pod starts.
            strategy: Some(super::workload::surge_first()),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(opts)),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    service_account_name: Some(name(opts)),
                    automount_service_account_token: Some(true),
                    security_context: Some(pod_security_context()),
                    termination_grace_period_seconds: Some(TERMINATION_GRACE_PERIOD_SECONDS),
                    topology_spread_constraints: Some(vec![spread(opts)]),
                    containers: vec![container(opts)],
                    volumes,
                    ..PodSpec::default()
                }),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

fn spread(opts: &Options) -> TopologySpreadConstraint {
    TopologySpreadConstraint {
        max_skew: 1,
        topology_key: "kubernetes.io/hostname".into(),
        when_unsatisfiable: "ScheduleAnyway".into(),
        label_selector: Some(selector(opts)),
        match_label_keys: Some(vec!["pod-template-hash".into()]),
        ..TopologySpreadConstraint::default()
    }
}

/// The controller's command line (after the image's `ENTRYPOINT ["/kds-webhook"]`): the
/// address and file the pod spec fixes; the settings are in [`env`].
pub fn args(opts: &Options) -> Vec<String> {
    let mut args = vec![
        "controller".to_owned(),
        format!("--admin-addr=0.0.0.0:{ADMIN_PORT}"),
    ];
    if opts.policy.is_some() {
        args.push(format!("--policy={POLICY_MOUNT_PATH}/{POLICY_KEY}"));
    }
    args
}

/// The controller's settings as `KDS_WEBHOOK_*` variables, the pod's name and namespace from the
/// downward API (the leader-election identity and the Lease's namespace). Every scope list is
/// set, even at its default, so `kubectl describe` shows what the controller may do; an empty
/// list is an empty value.
pub fn env(opts: &Options) -> Vec<EnvVar> {
    let value = |name: &str, value: String| EnvVar {
        name: name.into(),
        value: Some(value),
        ..EnvVar::default()
    };
    let field = |name: &str, path: &str| EnvVar {
        name: name.into(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: path.into(),
                ..ObjectFieldSelector::default()
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    };
    vec![
        value("KDS_WEBHOOK_LOG_LEVEL", LOG_LEVEL.into()),
        value("KDS_WEBHOOK_LOG_FORMAT", LOG_FORMAT.into()),
        value("KDS_WEBHOOK_LEADER_ELECT", LEADER_ELECT.to_string()),
        value("KDS_WEBHOOK_LEASE_NAME", name(opts)),
        value("KDS_WEBHOOK_CONCURRENCY", CONCURRENCY.to_string()),
        value("KDS_WEBHOOK_REQUEUE_INTERVAL", REQUEUE_INTERVAL.into()),
        value(
            "KDS_WEBHOOK_ALLOW_CROSS_NAMESPACE",
            ALLOW_CROSS_NAMESPACE.join(","),
        ),
        value(
            "KDS_WEBHOOK_PROTECTED_NAMESPACES",
            PROTECTED_NAMESPACES.join(","),
        ),
        value(
            "KDS_WEBHOOK_ALLOW_NAMESPACE_CREATION",
            ALLOW_NAMESPACE_CREATION.join(","),
        ),
        value(
            "KDS_WEBHOOK_ALLOW_CLUSTER_RBAC",
            ALLOW_CLUSTER_RBAC.join(","),
        ),
        field("KDS_WEBHOOK_POD_NAME", "metadata.name"),
        field("KDS_WEBHOOK_POD_NAMESPACE", "metadata.namespace"),
    ]
}

fn container(opts: &Options) -> Container {
    let admin = super::ADMIN_PORT_NAME;
    Container {
        name: CONTAINER_NAME.into(),
        image: Some(opts.image.clone()),
        image_pull_policy: Some("IfNotPresent".into()),
        args: Some(args(opts)),
        env: Some(env(opts)),
        ports: Some(vec![ContainerPort {
            name: Some(admin.into()),
            container_port: ADMIN_PORT,
            protocol: Some("TCP".into()),
            ..ContainerPort::default()
        }]),
        liveness_probe: Some(probe("/livez", 10)),
        readiness_probe: Some(probe("/readyz", 5)),
        resources: Some(resource_requirements(&RESOURCES)),
        security_context: Some(container_security_context()),
        volume_mounts: opts
            .policy
            .is_some()
            .then(|| vec![mount("policy", POLICY_MOUNT_PATH)]),
        ..Container::default()
    }
}

#[cfg(test)]
mod tests;
