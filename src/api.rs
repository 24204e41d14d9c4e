//! The `KubernetesDaemonSet` resource: every field of the original Project Planton spec
//! (`kubernetes.project-planton.org/v1`), as typed Rust and as a CRD.
//!
//! Field presence is kept exactly as written (`Option` everywhere): defaulting fills what is
//! missing and the mutating webhook's patch is the difference, so a field the user wrote must
//! round-trip untouched and a field the user left out must stay out. Snake_case is the
//! canonical spelling; the lowerCamelCase spelling that the original's protojson parser also
//! reads is accepted through `alias`. Unknown fields are rejected, as the original does.

use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

mod bulk_map;
mod quantity;
mod shorthand;

pub use quantity::{ParsedQuantity, Quantity, QuantityError, QuantityFormat};
pub use shorthand::HostPathSource;

/// The API group of the resource.
pub const GROUP: &str = "kubernetes.project-planton.org";
/// The only served version.
pub const VERSION: &str = "v1";
/// The kind.
pub const KIND: &str = "KubernetesDaemonSet";
/// `apiVersion` as written in manifests.
pub const API_VERSION: &str = "kubernetes.project-planton.org/v1";
/// The plural resource name the webhook configurations match.
pub const PLURAL: &str = "kubernetesdaemonsets";

/// An int or a string, as `maxUnavailable: 1` and `maxUnavailable: "10%"` are both written.
pub type IntOrString = k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// A compact spec for a node agent: one app container, its host access, placement and rollout.
#[skip_serializing_none]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "kubernetes.project-planton.org",
    version = "v1",
    kind = "KubernetesDaemonSet",
    plural = "kubernetesdaemonsets",
    shortname = "kds",
    namespaced,
    status = "KubernetesDaemonSetStatus",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status","description":"The controller's Ready condition: every desired pod updated and available"}"#,
    printcolumn = r#"{"name":"Desired","type":"integer","jsonPath":".status.desiredNumberScheduled","description":"Nodes that should run the agent"}"#,
    printcolumn = r#"{"name":"Pods-Ready","type":"integer","jsonPath":".status.numberReady","description":"Nodes with a ready agent pod"}"#,
    printcolumn = r#"{"name":"Target-Namespace","type":"string","jsonPath":".spec.namespace.value","description":"Namespace the DaemonSet is deployed to"}"#,
    printcolumn = r#"{"name":"Image","type":"string","priority":1,"jsonPath":".spec.container.app.image.repo","description":"App container image repository"}"#,
    printcolumn = r#"{"name":"Tag","type":"string","priority":1,"jsonPath":".spec.container.app.image.tag","description":"App container image tag"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(deny_unknown_fields)]
pub struct KubernetesDaemonSetSpec {
    /// The cluster this resource is meant for; informational, the webhook does not use it.
    #[serde(alias = "targetCluster")]
    pub target_cluster: Option<KubernetesClusterSelector>,
    /// The namespace the DaemonSet and its companions go to. Defaults to the object's own
    /// namespace in a cluster.
    pub namespace: Option<StringValueOrRef>,
    /// Create the target namespace (labelled) instead of expecting it to exist.
    #[serde(alias = "createNamespace")]
    pub create_namespace: Option<bool>,
    /// The app container and its sidecars.
    pub container: Option<KubernetesDaemonSetContainer>,
    /// Only nodes carrying all these labels run the agent.
    #[serde(alias = "nodeSelector")]
    pub node_selector: Option<BTreeMap<String, String>>,
    /// Taints the agent tolerates (for example control-plane nodes).
    pub tolerations: Option<Vec<KubernetesDaemonSetToleration>>,
    /// How a new version replaces the old pods.
    #[serde(alias = "updateStrategy")]
    pub update_strategy: Option<KubernetesDaemonSetUpdateStrategy>,
    /// Seconds a new pod must be ready before it counts as available.
    #[serde(alias = "minReadySeconds")]
    pub min_ready_seconds: Option<i32>,
    /// Create a ServiceAccount for the pods.
    #[serde(alias = "createServiceAccount")]
    pub create_service_account: Option<bool>,
    /// The ServiceAccount the pods run as (created when `create_service_account` is true).
    #[serde(alias = "serviceAccountName")]
    pub service_account_name: Option<String>,
    /// ConfigMaps to create: name → content (the content is stored under a key equal to the name).
    #[serde(alias = "configMaps")]
    pub config_maps: Option<BTreeMap<String, String>>,
    /// RBAC rules granted to the created ServiceAccount.
    pub rbac: Option<KubernetesDaemonSetRbac>,
}

/// A `metav1.Condition` (`type`, `status`, `reason`, `message`, `lastTransitionTime`,
/// `observedGeneration`), the shape kubectl, kstatus and GitOps tools read.
pub type Condition = k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

/// What the controller reports back. The new fields follow the Kubernetes API conventions
/// (camelCase, `observedGeneration`, `conditions` as a list map keyed by `type`) because that is
/// what `kubectl wait`, kstatus, Argo CD and Flux read; `outputs` keeps the original's shape.
///
/// Every field must be declared here: the API server answers **500** to a status apply that
/// carries a field the CRD's status schema does not declare.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesDaemonSetStatus {
    /// The `metadata.generation` the controller last acted on; the conditions describe it.
    pub observed_generation: Option<i64>,
    /// `Ready`, `Reconciling` and `Stalled`, one entry per type.
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Option<Vec<Condition>>,
    /// The namespace the DaemonSet runs in.
    pub target_namespace: Option<String>,
    /// The DaemonSet's `desiredNumberScheduled`: nodes that should run the agent.
    pub desired_number_scheduled: Option<i32>,
    /// The DaemonSet's `currentNumberScheduled`: nodes running an agent pod.
    pub current_number_scheduled: Option<i32>,
    /// The DaemonSet's `updatedNumberScheduled`: nodes running the current pod template.
    pub updated_number_scheduled: Option<i32>,
    /// The DaemonSet's `numberReady`: nodes with a ready agent pod.
    pub number_ready: Option<i32>,
    /// The DaemonSet's `numberAvailable`: nodes with an available agent pod.
    pub number_available: Option<i32>,
    /// Every object the controller applied for this resource, so that what a new spec no
    /// longer produces can be pruned, and what is left is cleaned up on delete.
    pub inventory: Option<Vec<InventoryEntry>>,
    /// Outputs of the last deployment (the original's, counts as strings).
    pub outputs: Option<KubernetesDaemonSetStackOutputs>,
}

/// One object the controller applied.
#[skip_serializing_none]
#[derive(
    Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub struct InventoryEntry {
    /// `apiVersion` of the object, for example `apps/v1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// Kind of the object, for example `DaemonSet`.
    pub kind: String,
    /// Namespace, absent for cluster-scoped objects.
    pub namespace: Option<String>,
    /// Name of the object.
    pub name: String,
}

/// The original's stack outputs (counts are strings there).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct KubernetesDaemonSetStackOutputs {
    /// Namespace the DaemonSet runs in.
    pub namespace: Option<String>,
    /// Name of the DaemonSet.
    #[serde(alias = "daemonsetName")]
    pub daemonset_name: Option<String>,
    /// Nodes that should run the pod.
    #[serde(alias = "desiredNumberScheduled")]
    pub desired_number_scheduled: Option<String>,
    /// Nodes running the pod.
    #[serde(alias = "currentNumberScheduled")]
    pub current_number_scheduled: Option<String>,
    /// Nodes with a ready pod.
    #[serde(alias = "numberReady")]
    pub number_ready: Option<String>,
}

/// Which cluster the resource targets (`cluster_kind` by enum name, or its number).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesClusterSelector {
    /// One of `AzureAksCluster`, `AwsEksCluster`, `GcpGkeCluster`,
    /// `DigitalOceanKubernetesCluster`, `CivoKubernetesCluster` (or 400, 207, 607, 1208, 1507).
    #[serde(alias = "clusterKind")]
    pub cluster_kind: Option<IntOrString>,
    /// The cluster's name.
    #[serde(alias = "clusterName")]
    pub cluster_name: Option<String>,
}

/// A literal string or a reference to another resource's field (a proto oneof: one of the two).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StringValueOrRef {
    /// The literal value.
    pub value: Option<String>,
    /// A reference resolved by Project Planton's orchestrator; nothing in a cluster resolves it.
    // Boxed (a plain comment: doc comments become the CRD's descriptions): references are rare,
    // and inline one made every `env` entry 120 bytes instead of 32, which a thousand-entry map
    // moves several times while it is decoded, sorted and built.
    #[serde(alias = "valueFrom")]
    pub value_from: Option<Box<ValueFromRef>>,
}

/// A reference to a field of another Project Planton resource.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueFromRef {
    /// The referenced resource's kind (a `CloudResourceKind` name).
    pub kind: Option<IntOrString>,
    /// The referenced resource's environment.
    pub env: Option<String>,
    /// The referenced resource's name.
    pub name: Option<String>,
    /// The field to read, for example `spec.name`.
    #[serde(alias = "fieldPath")]
    pub field_path: Option<String>,
}

/// The app container and the sidecars next to it.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesDaemonSetContainer {
    /// The main container.
    pub app: Option<KubernetesDaemonSetContainerApp>,
    /// Extra containers in the same pod.
    pub sidecars: Option<Vec<SidecarContainer>>,
}

/// The main container of the agent.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesDaemonSetContainerApp {
    /// Image repository, tag and pull secret.
    pub image: Option<ContainerImage>,
    /// CPU and memory; defaulted to limits 1000m/1Gi and requests 50m/100Mi.
    pub resources: Option<ContainerResources>,
    /// Environment variables and secrets.
    pub env: Option<KubernetesDaemonSetContainerAppEnv>,
    /// Ports, optionally bound on the node (`host_port`).
    pub ports: Option<Vec<KubernetesDaemonSetContainerAppPort>>,
    /// Volumes mounted into the container, one volume per mount.
    #[serde(alias = "volumeMounts")]
    pub volume_mounts: Option<Vec<VolumeMount>>,
    /// Restarts the container when it fails.
    #[serde(alias = "livenessProbe")]
    pub liveness_probe: Option<Probe>,
    /// Gates the pod's readiness.
    #[serde(alias = "readinessProbe")]
    pub readiness_probe: Option<Probe>,
    /// Holds the other probes until the app has started.
    #[serde(alias = "startupProbe")]
    pub startup_probe: Option<Probe>,
    /// Overrides the image's ENTRYPOINT.
    pub command: Option<Vec<String>>,
    /// Overrides the image's CMD.
    pub args: Option<Vec<String>>,
    /// Container-level security settings.
    #[serde(alias = "securityContext")]
    pub security_context: Option<KubernetesDaemonSetSecurityContext>,
}

/// An image as repository plus tag.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContainerImage {
    /// Repository, for example `fluent/fluentd-kubernetes-daemonset`.
    pub repo: Option<String>,
    /// Tag, for example `v1.16-debian-elasticsearch8`; a digest may follow as `tag@sha256:...`.
    pub tag: Option<String>,
    /// An existing image-pull Secret in the target namespace.
    #[serde(alias = "pullSecretName")]
    pub pull_secret_name: Option<String>,
}

/// CPU and memory limits and requests.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContainerResources {
    /// Upper bounds.
    pub limits: Option<CpuMemory>,
    /// What the scheduler reserves.
    pub requests: Option<CpuMemory>,
}

/// A CPU and a memory quantity.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CpuMemory {
    /// CPU, for example `500m`.
    pub cpu: Option<Quantity>,
    /// Memory, for example `512Mi`.
    pub memory: Option<Quantity>,
}

/// Environment of the app container.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesDaemonSetContainerAppEnv {
    /// Plain variables: name → `{value}` (or `{value_from}`, which a cluster cannot resolve).
    #[serde(default, deserialize_with = "bulk_map::deserialize")]
    pub variables: Option<BTreeMap<String, StringValueOrRef>>,
    /// Secret variables: name → `{value}` (stored in a generated Secret) or `{secret_ref}`.
    #[serde(default, deserialize_with = "bulk_map::deserialize")]
    pub secrets: Option<BTreeMap<String, KubernetesSensitiveValue>>,
}

/// A secret given literally or by reference to an existing Secret (a oneof).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesSensitiveValue {
    /// The secret value; the expansion puts it in `<name>-env-secrets`.
    pub value: Option<String>,
    /// An existing Secret's key.
    #[serde(alias = "secretRef")]
    pub secret_ref: Option<KubernetesSecretKeyRef>,
}

/// A key of an existing Secret.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesSecretKeyRef {
    /// The Secret's namespace; a pod can only read Secrets of its own namespace.
    pub namespace: Option<String>,
    /// The Secret's name.
    pub name: Option<String>,
    /// The key within the Secret.
    pub key: Option<String>,
}

/// A container port, optionally bound on the node.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesDaemonSetContainerAppPort {
    /// IANA service name, at most 15 characters.
    pub name: Option<String>,
    /// Port the container listens on.
    #[serde(alias = "containerPort")]
    pub container_port: Option<i32>,
    /// `TCP`, `UDP` or `SCTP`.
    #[serde(alias = "networkProtocol")]
    pub network_protocol: Option<String>,
    /// Port opened on the node; unset or 0 means none.
    #[serde(alias = "hostPort")]
    pub host_port: Option<i32>,
}

/// A volume mount together with the one volume source it mounts.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VolumeMount {
    /// Name of the mount and of the volume it creates.
    pub name: Option<String>,
    /// Absolute path in the container.
    #[serde(alias = "mountPath")]
    pub mount_path: Option<String>,
    /// Mount read-only.
    #[serde(alias = "readOnly")]
    pub read_only: Option<bool>,
    /// Mount only this relative path of the volume.
    #[serde(alias = "subPath")]
    pub sub_path: Option<String>,
    /// A ConfigMap source.
    #[serde(alias = "configMap")]
    pub config_map: Option<ConfigMapVolumeSource>,
    /// A Secret source.
    pub secret: Option<SecretVolumeSource>,
    /// A node directory or file: `{path, type}`, or the shorthand string `/var/log`.
    #[serde(alias = "hostPath")]
    pub host_path: Option<HostPathSource>,
    /// Scratch space that lives as long as the pod.
    #[serde(alias = "emptyDir")]
    pub empty_dir: Option<EmptyDirVolumeSource>,
    /// An existing PersistentVolumeClaim.
    pub pvc: Option<PvcVolumeSource>,
}

/// Mounts a ConfigMap, or one key of it as a file.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigMapVolumeSource {
    /// The ConfigMap (from `config_maps` or existing).
    pub name: Option<String>,
    /// Mount only this key.
    pub key: Option<String>,
    /// File name for `key`; defaults to the key.
    pub path: Option<String>,
    /// File mode, 0 to 0777; defaults to 0644.
    #[serde(alias = "defaultMode")]
    pub default_mode: Option<i32>,
}

/// Mounts a Secret, or one key of it as a file.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretVolumeSource {
    /// The Secret.
    pub name: Option<String>,
    /// Mount only this key.
    pub key: Option<String>,
    /// File name for `key`; defaults to the key.
    pub path: Option<String>,
    /// File mode, 0 to 0777; defaults to 0644.
    #[serde(alias = "defaultMode")]
    pub default_mode: Option<i32>,
}

/// A path on the node.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostPathVolumeSource {
    /// The node path.
    pub path: Option<String>,
    /// `""`, `DirectoryOrCreate`, `Directory`, `FileOrCreate`, `File`, `Socket`, `CharDevice`,
    /// `BlockDevice`.
    #[serde(rename = "type")]
    pub type_: Option<String>,
}

/// A pod-lifetime scratch directory.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmptyDirVolumeSource {
    /// `""` (node disk) or `Memory`.
    pub medium: Option<String>,
    /// Size cap, a quantity.
    #[serde(alias = "sizeLimit")]
    pub size_limit: Option<Quantity>,
}

/// An existing PersistentVolumeClaim.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PvcVolumeSource {
    /// The claim's name.
    #[serde(alias = "claimName")]
    pub claim_name: Option<String>,
    /// Mount the claim read-only.
    #[serde(alias = "readOnly")]
    pub read_only: Option<bool>,
}

/// A health probe with exactly one handler.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    /// Seconds before the first probe.
    #[serde(alias = "initialDelaySeconds")]
    pub initial_delay_seconds: Option<i32>,
    /// Seconds between probes (default 10).
    #[serde(alias = "periodSeconds")]
    pub period_seconds: Option<i32>,
    /// Seconds before a probe times out (default 1).
    #[serde(alias = "timeoutSeconds")]
    pub timeout_seconds: Option<i32>,
    /// Successes needed after a failure (default 1; must be 1 for liveness and startup).
    #[serde(alias = "successThreshold")]
    pub success_threshold: Option<i32>,
    /// Failures before giving up (default 3).
    #[serde(alias = "failureThreshold")]
    pub failure_threshold: Option<i32>,
    /// An HTTP GET handler.
    #[serde(alias = "httpGet")]
    pub http_get: Option<HttpGetAction>,
    /// A gRPC health-check handler.
    pub grpc: Option<GrpcAction>,
    /// A TCP connect handler.
    #[serde(alias = "tcpSocket")]
    pub tcp_socket: Option<TcpSocketAction>,
    /// A command handler.
    pub exec: Option<ExecAction>,
}

/// Probe by HTTP GET.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpGetAction {
    /// Request path (default `/`).
    pub path: Option<String>,
    /// Port by number (one of `port_number`, `port_name`).
    #[serde(alias = "portNumber")]
    pub port_number: Option<i32>,
    /// Port by name.
    #[serde(alias = "portName")]
    pub port_name: Option<String>,
    /// Host to connect to (default the pod IP).
    pub host: Option<String>,
    /// `HTTP` or `HTTPS` (default `HTTP`).
    pub scheme: Option<String>,
    /// Extra request headers.
    #[serde(alias = "httpHeaders")]
    pub http_headers: Option<Vec<HttpHeader>>,
}

/// One HTTP header of a probe.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpHeader {
    /// Header name.
    pub name: Option<String>,
    /// Header value.
    pub value: Option<String>,
}

/// Probe by the gRPC health protocol.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrpcAction {
    /// Port, 1 to 65535.
    pub port: Option<i32>,
    /// Service name sent in the health request.
    pub service: Option<String>,
}

/// Probe by opening a TCP connection.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TcpSocketAction {
    /// Port by number (one of `port_number`, `port_name`).
    #[serde(alias = "portNumber")]
    pub port_number: Option<i32>,
    /// Port by name.
    #[serde(alias = "portName")]
    pub port_name: Option<String>,
    /// Host to connect to (default the pod IP).
    pub host: Option<String>,
}

/// Probe by running a command in the container.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecAction {
    /// The command; exit 0 is healthy.
    pub command: Option<Vec<String>>,
}

/// Container-level security settings.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesDaemonSetSecurityContext {
    /// Run privileged (full access to the node).
    pub privileged: Option<bool>,
    /// UID to run as; 0 is root.
    #[serde(alias = "runAsUser")]
    pub run_as_user: Option<i64>,
    /// GID to run as.
    #[serde(alias = "runAsGroup")]
    pub run_as_group: Option<i64>,
    /// Refuse to start as root.
    #[serde(alias = "runAsNonRoot")]
    pub run_as_non_root: Option<bool>,
    /// Mount the root filesystem read-only.
    #[serde(alias = "readOnlyRootFilesystem")]
    pub read_only_root_filesystem: Option<bool>,
    /// Linux capabilities to add and drop.
    pub capabilities: Option<KubernetesDaemonSetCapabilities>,
}

/// Linux capabilities.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesDaemonSetCapabilities {
    /// Added, for example `NET_ADMIN`.
    pub add: Option<Vec<String>>,
    /// Dropped, for example `ALL`.
    pub drop: Option<Vec<String>>,
}

/// A taint the pods tolerate.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesDaemonSetToleration {
    /// Taint key; empty with `Exists` tolerates everything.
    pub key: Option<String>,
    /// `Equal` (default) or `Exists`.
    pub operator: Option<String>,
    /// Taint value, for `Equal`.
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`; empty matches all.
    pub effect: Option<String>,
    /// With `NoExecute`: seconds the pod stays after the taint appears.
    #[serde(alias = "tolerationSeconds")]
    pub toleration_seconds: Option<i64>,
}

/// How pods are replaced on update.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesDaemonSetUpdateStrategy {
    /// `RollingUpdate` (default) or `OnDelete`.
    #[serde(rename = "type")]
    pub type_: Option<String>,
    /// Rolling-update parameters (only with `RollingUpdate`).
    #[serde(alias = "rollingUpdate")]
    pub rolling_update: Option<KubernetesDaemonSetRollingUpdate>,
}

/// Rolling-update parameters: a number (`"1"` or `1`) or a percentage (`"10%"`).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesDaemonSetRollingUpdate {
    /// Pods that may be unavailable during the update (default `"1"`).
    #[serde(alias = "maxUnavailable")]
    pub max_unavailable: Option<IntOrString>,
    /// Extra pods a node may run during the update (default `"0"`).
    #[serde(alias = "maxSurge")]
    pub max_surge: Option<IntOrString>,
}

/// RBAC granted to the created ServiceAccount.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesDaemonSetRbac {
    /// Cluster-wide rules (a ClusterRole and ClusterRoleBinding).
    #[serde(alias = "clusterRules")]
    pub cluster_rules: Option<Vec<KubernetesDaemonSetRbacRule>>,
    /// Rules in the target namespace (a Role and RoleBinding).
    #[serde(alias = "namespaceRules")]
    pub namespace_rules: Option<Vec<KubernetesDaemonSetRbacRule>>,
}

/// One RBAC policy rule.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesDaemonSetRbacRule {
    /// API groups; `""` is the core group.
    #[serde(alias = "apiGroups")]
    pub api_groups: Option<Vec<String>>,
    /// Resources, for example `pods`.
    pub resources: Option<Vec<String>>,
    /// Verbs, for example `get`, `list`, `watch`.
    pub verbs: Option<Vec<String>>,
    /// Restrict the rule to these object names.
    #[serde(alias = "resourceNames")]
    pub resource_names: Option<Vec<String>>,
}

/// A sidecar container (the original's shared `Container` message: fewer features than the app).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SidecarContainer {
    /// Container name.
    pub name: Option<String>,
    /// Full image reference, for example `busybox:1.36`.
    pub image: Option<String>,
    /// Ports.
    pub ports: Option<Vec<SidecarPort>>,
    /// CPU and memory.
    pub resources: Option<ContainerResources>,
    /// Plain environment variables.
    pub env: Option<Vec<SidecarEnvVar>>,
}

/// A sidecar port.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SidecarPort {
    /// IANA service name.
    pub name: Option<String>,
    /// Port the sidecar listens on.
    #[serde(alias = "containerPort")]
    pub container_port: Option<i32>,
    /// `TCP` (default), `UDP` or `SCTP`.
    pub protocol: Option<String>,
}

/// A sidecar environment variable.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SidecarEnvVar {
    /// Variable name.
    pub name: Option<String>,
    /// Variable value.
    pub value: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `env` entry is moved several times while a thousand-entry map is decoded, sorted and
    /// built; the rare reference stays behind a pointer so that the common literal stays small.
    #[test]
    fn an_env_value_is_a_literal_and_a_pointer() {
        assert!(std::mem::size_of::<StringValueOrRef>() <= 32);
    }
}
