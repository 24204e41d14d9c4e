//! The installation as typed Kubernetes objects: what `kds-webhook manifests` prints and
//! what the Helm chart (`charts/kds-webhook/`) renders with its default values.
//!
//! Pure: no file or network I/O. The caller reads the certificates and the policy file and
//! hands their text in through [`Options`]. Every default here has a twin in the chart's
//! `values.yaml` or templates; `tests/chart.rs` compares the two so they cannot drift.
//!
//! ```text
//! Options ──build()──▶ Installation { crd, namespace, service_account, access_role?,
//!                                     access_binding?, secret?, config_map?, service,
//!                                     deployment, pdb, controller?, mutating, validating,
//!                                     drift_guard?, drift_guard_binding? }
//!                      └─ to_values() ─▶ Vec<serde_json::Value> ─▶ crate::yaml::to_yaml_stream
//! ```

use std::collections::BTreeMap;

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding,
    ValidatingWebhookConfiguration,
};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, Service, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

pub mod access;
pub mod controller;
mod tls;
mod webhooks;
mod workload;

pub use tls::{TlsError, TlsMaterial, check_ca_bundle};

/// The default release name: the prefix of every object's name, as `helm install kds-webhook`.
pub const DEFAULT_NAME: &str = "kds-webhook";
/// The image repository (the chart's `image.repository`).
pub const IMAGE_REPOSITORY: &str = "ghcr.io/project-planton/kds-webhook";
/// The default image: the repository at this crate's version (the chart's `appVersion`).
pub const DEFAULT_IMAGE: &str = concat!(
    "ghcr.io/project-planton/kds-webhook:",
    env!("CARGO_PKG_VERSION")
);
/// Webhook pods; two so that one can be drained or rolled while the other answers.
pub const REPLICAS: i32 = 2;
/// The container's webhook (TLS) port, `serve --addr 0.0.0.0:8443`.
pub const HTTPS_PORT: i32 = 8443;
/// The container's admin port (`/livez`, `/readyz`, `/metrics`), `serve --admin-addr`.
pub const ADMIN_PORT: i32 = 8080;
/// The Service port the API server calls.
pub const SERVICE_PORT: i32 = 443;
/// Name of the container's and Service's webhook port.
pub const HTTPS_PORT_NAME: &str = "https";
/// Name of the container's admin port.
pub const ADMIN_PORT_NAME: &str = "admin";
/// Name of the Service's admin port, for Prometheus.
pub const METRICS_PORT_NAME: &str = "metrics";
/// The container's name.
pub const CONTAINER_NAME: &str = "webhook";
/// `timeoutSeconds` of both webhooks: the API server waits this long per call.
pub const TIMEOUT_SECONDS: i32 = 5;
/// `failurePolicy` of both webhooks. Safe because only this one kind is matched.
pub const FAILURE_POLICY: &str = "Fail";
/// `serve --shutdown-timeout`: the server's drain deadline after SIGTERM.
pub const SHUTDOWN_TIMEOUT: &str = "10s";
/// `terminationGracePeriodSeconds`, longer than [`PRE_STOP_SLEEP_SECONDS`] plus
/// [`SHUTDOWN_TIMEOUT`].
pub const TERMINATION_GRACE_PERIOD_SECONDS: i64 = 30;
/// The `preStop` sleep before SIGTERM. Endpoint removal takes a moment to reach every kube-proxy
/// and API server; without the sleep the pod stops accepting connections while it is still
/// being sent new ones, and with `failurePolicy: Fail` those calls fail every rollout and drain.
pub const PRE_STOP_SLEEP_SECONDS: i64 = 5;
/// The non-root UID and GID the container runs as (distroless `nonroot`).
pub const RUN_AS_USER: i64 = 65532;
/// Where the TLS Secret is mounted.
pub const CERT_MOUNT_PATH: &str = "/certs";
/// Where the policy ConfigMap is mounted.
pub const POLICY_MOUNT_PATH: &str = "/policy";
/// The ConfigMap key (and file name) holding the policy.
pub const POLICY_KEY: &str = "policy.yaml";
/// Namespaces the webhooks never see besides the release's own.
pub const ALWAYS_EXCLUDED_NAMESPACES: &[&str] = &["kube-system"];
/// The mutating webhook's name, as shown in kubectl's error messages.
pub const MUTATING_WEBHOOK_NAME: &str =
    "mutate.kubernetesdaemonsets.kubernetes.project-planton.org";
/// The validating webhook's name, as shown in kubectl's error messages.
pub const VALIDATING_WEBHOOK_NAME: &str =
    "validate.kubernetesdaemonsets.kubernetes.project-planton.org";
/// The server's mutating route.
pub const MUTATE_PATH: &str = "/mutate";
/// The server's validating route.
pub const VALIDATE_PATH: &str = "/validate";
/// Log filter passed as `KDS_WEBHOOK_LOG_LEVEL`.
pub const LOG_LEVEL: &str = "kds_webhook=info,warn";
/// Log format passed as `KDS_WEBHOOK_LOG_FORMAT`; JSON suits log collectors.
pub const LOG_FORMAT: &str = "json";

/// How the webhook's serving certificate reaches the cluster.
#[derive(Debug, Clone)]
pub enum Tls {
    /// Only the CA (PEM); the Secret `<name>-tls` is expected to exist already.
    CaBundle(String),
    /// CA, serving certificate and key (PEM); the Secret `<name>-tls` is emitted too.
    Material(TlsMaterial),
}

impl Tls {
    /// The CA certificate(s) the API server trusts, PEM.
    pub fn ca_pem(&self) -> &str {
        match self {
            Tls::CaBundle(ca) => ca,
            Tls::Material(m) => &m.ca_crt,
        }
    }
}

/// Everything an installation can vary; the rest are the constants above.
#[derive(Debug, Clone)]
pub struct Options {
    /// Namespace of the webhook's own objects (excluded from admission).
    pub namespace: String,
    /// Release name: prefix of every object's name.
    pub name: String,
    /// Container image reference.
    pub image: String,
    /// Certificates.
    pub tls: Tls,
    /// Policy file text, mounted as `--policy` when given (to the webhook and the controller,
    /// so both judge alike).
    pub policy: Option<String>,
    /// Also install the controller (`kds-webhook controller`) with its RBAC.
    pub controller: bool,
    /// Check writers' rights with SubjectAccessReviews: the ServiceAccount gets a token and
    /// `create subjectaccessreviews` (the chart's `accessChecks.enabled`).
    pub access_checks: bool,
    /// Ship the drift guard (the chart's `driftGuard.enabled`).
    pub drift_guard: bool,
    /// Groups that may write the controller's objects anyway (`driftGuard.breakGlassGroups`).
    pub break_glass_groups: Vec<String>,
}

impl Options {
    /// Defaults for `namespace` with the given TLS material.
    pub fn new(namespace: impl Into<String>, tls: Tls) -> Self {
        Self {
            namespace: namespace.into(),
            name: DEFAULT_NAME.to_owned(),
            image: DEFAULT_IMAGE.to_owned(),
            tls,
            policy: None,
            controller: true,
            access_checks: true,
            drift_guard: true,
            break_glass_groups: access::DEFAULT_BREAK_GLASS_GROUPS
                .iter()
                .map(|g| (*g).to_owned())
                .collect(),
        }
    }

    /// Name of the TLS Secret.
    pub fn tls_secret_name(&self) -> String {
        format!("{}-tls", self.name)
    }

    /// Name of the policy ConfigMap.
    pub fn policy_config_map_name(&self) -> String {
        format!("{}-policy", self.name)
    }

    /// The serving certificate's DNS names: `<svc>.<ns>.svc` and the cluster-local form.
    pub fn service_dns_names(&self) -> [String; 2] {
        let svc = format!("{}.{}.svc", self.name, self.namespace);
        let local = format!("{svc}.cluster.local");
        [svc, local]
    }

    /// Namespaces excluded from both webhooks: the release namespace and `kube-system`.
    pub fn excluded_namespaces(&self) -> Vec<String> {
        let mut out = vec![self.namespace.clone()];
        for ns in ALWAYS_EXCLUDED_NAMESPACES {
            if !out.iter().any(|o| o == ns) {
                out.push((*ns).to_owned());
            }
        }
        out
    }

    /// Labels on every object (`app.kubernetes.io/*`).
    pub fn labels(&self) -> BTreeMap<String, String> {
        let mut l = self.selector_labels();
        l.insert(
            "app.kubernetes.io/version".into(),
            env!("CARGO_PKG_VERSION").into(),
        );
        l.insert(
            "app.kubernetes.io/managed-by".into(),
            crate::naming::MANAGED_BY.into(),
        );
        l
    }

    /// The labels the Service, PodDisruptionBudget and spread constraint select on.
    pub fn selector_labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("app.kubernetes.io/name".into(), DEFAULT_NAME.into()),
            ("app.kubernetes.io/instance".into(), self.name.clone()),
        ])
    }

    fn meta(&self, name: impl Into<String>, namespaced: bool) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.into()),
            namespace: namespaced.then(|| self.namespace.clone()),
            labels: Some(self.labels()),
            ..ObjectMeta::default()
        }
    }
}

/// Every object of one installation, in apply order.
#[derive(Debug, Clone)]
pub struct Installation {
    /// The KubernetesDaemonSet CRD.
    pub crd: CustomResourceDefinition,
    /// The webhook's namespace.
    pub namespace: Namespace,
    /// The pods' ServiceAccount.
    pub service_account: ServiceAccount,
    /// `create subjectaccessreviews`, with access checks.
    pub access_role: Option<ClusterRole>,
    /// Binds it to the ServiceAccount.
    pub access_binding: Option<ClusterRoleBinding>,
    /// The TLS Secret, when the certificates were given.
    pub secret: Option<Secret>,
    /// The policy ConfigMap, when a policy was given.
    pub config_map: Option<ConfigMap>,
    /// The Service the API server calls.
    pub service: Service,
    /// The webhook server.
    pub deployment: Deployment,
    /// Keeps one replica up during voluntary disruptions.
    pub pdb: PodDisruptionBudget,
    /// The controller, unless it was switched off.
    pub controller: Option<controller::Controller>,
    /// Defaulting for KubernetesDaemonSets.
    pub mutating: MutatingWebhookConfiguration,
    /// Validation for KubernetesDaemonSets.
    pub validating: ValidatingWebhookConfiguration,
    /// Refuses writes to the controller's objects by anyone else.
    pub drift_guard: Option<ValidatingAdmissionPolicy>,
    /// Puts the drift guard in force.
    pub drift_guard_binding: Option<ValidatingAdmissionPolicyBinding>,
}

/// Builds the installation.
pub fn build(opts: &Options) -> Installation {
    Installation {
        crd: crate::crd::crd(),
        namespace: workload::namespace(opts),
        service_account: workload::service_account(opts),
        access_role: opts.access_checks.then(|| access::cluster_role(opts)),
        access_binding: opts
            .access_checks
            .then(|| access::cluster_role_binding(opts)),
        secret: match &opts.tls {
            Tls::Material(m) => Some(tls::secret(opts, m)),
            Tls::CaBundle(_) => None,
        },
        config_map: opts
            .policy
            .as_deref()
            .map(|p| workload::config_map(opts, p)),
        service: workload::service(opts),
        deployment: workload::deployment(opts),
        pdb: workload::pdb(opts),
        controller: opts.controller.then(|| controller::build(opts)),
        mutating: webhooks::mutating(opts),
        validating: webhooks::validating(opts),
        drift_guard: opts.drift_guard.then(|| access::policy(opts)),
        drift_guard_binding: opts.drift_guard.then(|| access::policy_binding(opts)),
    }
}

impl Installation {
    /// The objects as JSON, in the order `kubectl apply` should create them: CRD and
    /// namespace first, the controller's RBAC before its pods, the webhook configurations last.
    pub fn to_values(&self) -> Vec<Value> {
        let mut out = vec![
            to_value(&self.crd),
            to_value(&self.namespace),
            to_value(&self.service_account),
        ];
        out.extend(self.access_role.as_ref().map(to_value));
        out.extend(self.access_binding.as_ref().map(to_value));
        out.extend(self.secret.as_ref().map(to_value));
        out.extend(self.config_map.as_ref().map(to_value));
        out.extend([
            to_value(&self.service),
            to_value(&self.deployment),
            to_value(&self.pdb),
        ]);
        if let Some(c) = &self.controller {
            out.extend([
                to_value(&c.service_account),
                to_value(&c.cluster_role),
                to_value(&c.cluster_role_binding),
                to_value(&c.role),
                to_value(&c.role_binding),
                to_value(&c.deployment),
                to_value(&c.pdb),
            ]);
        }
        out.extend([to_value(&self.mutating), to_value(&self.validating)]);
        out.extend(self.drift_guard.as_ref().map(to_value));
        out.extend(self.drift_guard_binding.as_ref().map(to_value));
        out
    }
}

fn to_value<T: serde::Serialize>(obj: &T) -> Value {
    // k8s-openapi objects always serialize; Null would only appear on a bug, and the
    // tests and CI schema checks would catch it.
    serde_json::to_value(obj).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests;
