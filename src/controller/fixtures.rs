//! Test fixtures shared by the controller's unit tests: the examples as a cluster stores them.

use crate::api::KubernetesDaemonSet;

/// Every example manifest, by file name.
pub const EXAMPLES: [(&str, &str); 5] = [
    (
        "fluentd-logger",
        include_str!("../../examples/fluentd-logger.yaml"),
    ),
    (
        "node-exporter",
        include_str!("../../examples/node-exporter.yaml"),
    ),
    ("cni-agent", include_str!("../../examples/cni-agent.yaml")),
    (
        "log-shipper",
        include_str!("../../examples/log-shipper.yaml"),
    ),
    (
        "security-agent",
        include_str!("../../examples/security-agent.yaml"),
    ),
];

/// The uid the API server gave the recorded custom resource `kds-rec/node-agent`.
pub const UID: &str = "90967151-47f3-48b7-a362-fb5736be7084";

/// A manifest as the cluster stores it: in its namespace (`default` when it names none, as
/// `kubectl apply` would), with a uid and generation 1.
pub fn stored(yaml: &str) -> KubernetesDaemonSet {
    let mut kds = crate::manifest::load(yaml)
        .expect("parses")
        .remove(0)
        .decoded
        .expect("decodes");
    kds.metadata
        .namespace
        .get_or_insert_with(|| "default".to_owned());
    kds.metadata.uid = Some(UID.to_owned());
    kds.metadata.generation = Some(1);
    kds
}

/// An example by name, as stored.
pub fn example(name: &str) -> KubernetesDaemonSet {
    let (_, yaml) = EXAMPLES
        .iter()
        .find(|(n, _)| *n == name)
        .expect("an example of that name");
    stored(yaml)
}
