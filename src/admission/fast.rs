//! The fast path of an admission review: the object's bytes (borrowed from the request body)
//! decoded straight into the typed model, without building a `serde_json::Value` first.
//!
//! It accepts only the plain shape a cluster sends: `apiVersion`/`kind` of a
//! `KubernetesDaemonSet`, `metadata` with ObjectMeta's fields only, `spec` in snake_case without
//! explicit nulls or numbers where a quantity goes (see [`super::strict`]), and an optional
//! `status`. Anything else (a decode error, unknown or duplicate fields, Planton's extra metadata,
//! camelCase) returns `None`, and the caller takes the slow path (`Value` →
//! `manifest::decode`), which reports errors with their precise paths and handles every
//! spelling. Both paths yield the same object for input the fast path accepts.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    ManagedFieldsEntry, ObjectMeta, OwnerReference, Time,
};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::api::{
    API_VERSION, KIND, KubernetesDaemonSet, KubernetesDaemonSetSpec, KubernetesDaemonSetStatus,
};

/// The object as the fast path reads it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Object<'a> {
    #[serde(rename = "apiVersion", borrow)]
    api_version: &'a str,
    #[serde(borrow)]
    kind: &'a str,
    metadata: Meta,
    #[serde(deserialize_with = "super::strict::deserialize")]
    spec: KubernetesDaemonSetSpec,
    #[serde(default)]
    status: Option<KubernetesDaemonSetStatus>,
}

/// ObjectMeta's fields, refusing any other (k8s-openapi's own ObjectMeta skips unknown ones,
/// and `manifest::decode` turns Planton's `id`/`org`/`env` into labels: both are slow-path work).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Meta {
    annotations: Option<BTreeMap<String, String>>,
    creation_timestamp: Option<Time>,
    deletion_grace_period_seconds: Option<i64>,
    deletion_timestamp: Option<Time>,
    finalizers: Option<Vec<String>>,
    generate_name: Option<String>,
    generation: Option<i64>,
    labels: Option<BTreeMap<String, String>>,
    managed_fields: Option<Vec<ManagedFieldsEntry>>,
    name: Option<String>,
    namespace: Option<String>,
    owner_references: Option<Vec<OwnerReference>>,
    resource_version: Option<String>,
    self_link: Option<String>,
    uid: Option<String>,
}

impl From<Meta> for ObjectMeta {
    fn from(m: Meta) -> Self {
        Self {
            annotations: m.annotations,
            creation_timestamp: m.creation_timestamp,
            deletion_grace_period_seconds: m.deletion_grace_period_seconds,
            deletion_timestamp: m.deletion_timestamp,
            finalizers: m.finalizers,
            generate_name: m.generate_name,
            generation: m.generation,
            labels: m.labels,
            managed_fields: m.managed_fields,
            name: m.name,
            namespace: m.namespace,
            owner_references: m.owner_references,
            resource_version: m.resource_version,
            self_link: m.self_link,
            uid: m.uid,
        }
    }
}

/// The typed object, or `None` when the slow path must decide.
pub fn decode(raw: &RawValue) -> Option<KubernetesDaemonSet> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let kds = deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(kds)
}

/// The typed object from any deserializer (the request body's, in the single-pass read of
/// `super::wire`); an error when the fast path does not accept it.
pub fn deserialize<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<KubernetesDaemonSet, D::Error> {
    let o = Object::deserialize(d)?;
    if o.api_version != API_VERSION || o.kind != KIND {
        return Err(serde::de::Error::custom("not a KubernetesDaemonSet"));
    }
    Ok(KubernetesDaemonSet {
        metadata: o.metadata.into(),
        spec: o.spec,
        status: o.status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest;

    fn both(json: &str) -> (Option<KubernetesDaemonSet>, KubernetesDaemonSet) {
        let raw: Box<RawValue> = serde_json::from_str(json).expect("json");
        let slow = manifest::decode(serde_json::from_str(json).expect("json")).expect("decodes");
        (decode(&raw), slow)
    }

    fn assert_same(fast: &KubernetesDaemonSet, slow: &KubernetesDaemonSet) {
        assert_eq!(fast.metadata, slow.metadata);
        assert_eq!(fast.spec, slow.spec);
        assert_eq!(fast.status, slow.status);
    }

    #[test]
    fn agrees_with_the_slow_path_on_the_review_fixtures() {
        for text in [
            include_str!("../../tests/fixtures/reviews/create-seed.json"),
            include_str!("../../tests/fixtures/reviews/update-seed.json"),
            include_str!("../../benches/fixtures/review-3KB.json"),
            include_str!("../../benches/fixtures/review-100KB.json"),
        ] {
            let review: serde_json::Value = serde_json::from_str(text).expect("json");
            let object = review["request"]["object"].to_string();
            let (fast, slow) = both(&object);
            assert_same(&fast.expect("fast path taken"), &slow);
        }
    }

    #[test]
    fn leaves_camel_case_and_planton_metadata_to_the_slow_path() {
        let head =
            r#"{"apiVersion":"kubernetes.project-planton.org/v1","kind":"KubernetesDaemonSet","#;
        let (fast, _) = both(&format!(
            r#"{head}"metadata":{{"name":"a"}},"spec":{{"createNamespace":true}}}}"#
        ));
        assert!(fast.is_none());
        let (fast, _) = both(&format!(
            r#"{head}"metadata":{{"name":"a","org":"acme"}},"spec":{{}}}}"#
        ));
        assert!(fast.is_none());
        let (fast, slow) = both(&format!(
            r#"{head}"metadata":{{"name":"a","labels":{{"x":"y"}}}},"spec":{{}},"status":null}}"#
        ));
        assert_same(&fast.expect("fast"), &slow);
    }
}
