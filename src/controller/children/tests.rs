use super::*;
use crate::controller::fixtures::{EXAMPLES, UID, example, stored};
use crate::engine;

fn children_of(kds: &KubernetesDaemonSet) -> Vec<Child> {
    let checked = engine::check(kds.clone(), None);
    assert!(checked.is_valid(), "{}", checked.errors);
    let expansion = engine::render(&checked).expect("expands");
    desired(&checked.defaulted, &expansion)
}

fn kinds(children: &[Child]) -> Vec<ChildKind> {
    children.iter().map(|c| c.kind).collect()
}

#[test]
fn every_example_expands_into_the_objects_render_prints_in_apply_order() {
    for (name, yaml) in EXAMPLES {
        let kds = stored(yaml);
        let children = children_of(&kds);
        let rendered = engine::render(&engine::check(kds.clone(), None))
            .expect("expands")
            .objects();
        assert_eq!(
            children.len(),
            rendered.len(),
            "{name}: one child per rendered object"
        );
        let mut order = kinds(&children);
        order.dedup();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted, "{name}: apply order");
        assert_eq!(
            children.last().map(|c| c.kind),
            Some(ChildKind::DaemonSet),
            "{name}"
        );
        for child in &children {
            assert_eq!(
                child.object["apiVersion"],
                child.kind.api_version(),
                "{name}"
            );
            assert_eq!(child.object["kind"], child.kind.kind(), "{name}");
            assert_eq!(
                child.object["metadata"]["name"],
                child.name.as_str(),
                "{name}"
            );
            assert_eq!(child.namespace.is_some(), child.kind.namespaced(), "{name}");
        }
    }
}

#[test]
fn every_child_carries_the_ownership_labels_and_annotation() {
    for (name, yaml) in EXAMPLES {
        let kds = stored(yaml);
        let owner = OwnerKey::of(&kds);
        for child in children_of(&kds) {
            let meta = &child.object["metadata"];
            assert_eq!(
                meta["labels"][OWNER_NAME_LABEL],
                owner.name.as_str(),
                "{name}"
            );
            assert_eq!(
                meta["labels"][OWNER_NAMESPACE_LABEL],
                owner.namespace.as_str(),
                "{name}"
            );
            assert_eq!(
                meta["annotations"][OWNER_ANNOTATION],
                owner.to_string(),
                "{name}"
            );
            let labels: BTreeMap<String, String> =
                serde_json::from_value(meta["labels"].clone()).expect("labels");
            assert_eq!(OwnerKey::from_labels(Some(&labels)), Some(owner.clone()));
        }
    }
}

#[test]
fn only_children_in_the_owners_namespace_get_an_owner_reference() {
    // The seed lives in `default` and deploys to `logging`: nothing can point at it.
    let seed = example("fluentd-logger");
    for child in children_of(&seed) {
        assert!(
            child.object["metadata"].get("ownerReferences").is_none(),
            "{} {} in another namespace or cluster-scoped",
            child.kind,
            child.name
        );
    }
    // The node exporter lives where it deploys: its DaemonSet is owned, for the collector.
    let exporter = example("node-exporter");
    let ds = children_of(&exporter)
        .into_iter()
        .find(|c| c.kind == ChildKind::DaemonSet)
        .expect("a DaemonSet");
    let refs = &ds.object["metadata"]["ownerReferences"];
    assert_eq!(refs.as_array().map(Vec::len), Some(1));
    assert_eq!(refs[0]["uid"], UID);
    assert_eq!(refs[0]["kind"], "KubernetesDaemonSet");
    assert_eq!(refs[0]["apiVersion"], "kubernetes.project-planton.org/v1");
    assert_eq!(refs[0]["controller"], true);
    assert_eq!(refs[0]["blockOwnerDeletion"], true);
}

#[test]
fn cluster_scoped_children_never_point_at_a_namespaced_owner() {
    let mut shipper = example("log-shipper");
    // In its own target namespace, so that namespaced children are owned.
    shipper.metadata.namespace = Some("observability".into());
    let children = children_of(&shipper);
    assert!(kinds(&children).contains(&ChildKind::ClusterRole));
    for child in &children {
        let owned = child.object["metadata"].get("ownerReferences").is_some();
        assert_eq!(
            owned,
            child.kind.namespaced(),
            "{} {}",
            child.kind,
            child.name
        );
    }
}

#[test]
fn without_a_uid_no_owner_reference_is_sent() {
    let mut exporter = example("node-exporter");
    exporter.metadata.uid = None;
    for child in children_of(&exporter) {
        assert!(child.object["metadata"].get("ownerReferences").is_none());
    }
}

#[test]
fn the_env_secret_is_applied_as_base64_data() {
    let agent = example("security-agent");
    let secret = children_of(&agent)
        .into_iter()
        .find(|c| c.kind == ChildKind::Secret)
        .expect("the env Secret");
    assert!(
        secret.object.get("stringData").is_none(),
        "{}",
        secret.object
    );
    let data = secret.object["data"].as_object().expect("data");
    assert!(!data.is_empty());
    for v in data.values() {
        let text = v.as_str().expect("a string");
        assert!(
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, text).is_ok(),
            "{text} is base64"
        );
    }
}

#[test]
fn kinds_round_trip_through_inventory_entries() {
    for kind in ChildKind::ALL {
        let entry = InventoryEntry {
            api_version: kind.api_version().into(),
            kind: kind.kind().into(),
            namespace: None,
            name: "x".into(),
        };
        assert_eq!(ChildKind::of(&entry), Some(kind));
        let resource = kind.api_resource();
        assert_eq!(resource.plural, kind.plural());
        assert_eq!(resource.api_version, kind.api_version());
    }
    let unknown = InventoryEntry {
        api_version: "v1".into(),
        kind: "Pod".into(),
        namespace: None,
        name: "x".into(),
    };
    assert_eq!(ChildKind::of(&unknown), None);
}
