//! The fast path of an admission review: the object's bytes (borrowed from the request body)
//! decoded straight into the typed model, without building a `serde_json::Value` first.
//!
//! It accepts only the plain shape a cluster sends: `apiVersion`/`kind` of a
//! `KubernetesDaemonSet`, `metadata` with ObjectMeta's fields only, `spec` in snake_case without
//! explicit nulls or numbers where a quantity goes (see [`super::strict`]), and an optional
//! `status`. Anything else (a decode error, unknown or duplicate fields, Planton's extra metadata,
//! camelCase) returns `None`, and the caller takes the slow path (`Value` →
//! `manifest::decode`), which reports errors with their precise paths and handles every
//! spelling. Both paths yield the same object for input the fast path accepts, except that the
//! review's read ([`deserialize_for_review`]) checks `metadata.annotations` without keeping
//! them: nothing in a review reads them.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    ManagedFieldsEntry, ObjectMeta, OwnerReference, Time,
};
use serde::{Deserialize, de};
use serde_json::value::RawValue;

use crate::api::{
    API_VERSION, KIND, KubernetesDaemonSet, KubernetesDaemonSetSpec, KubernetesDaemonSetStatus,
};

/// The object as the fast path reads it; `A` is how `metadata.annotations` is read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Object<'a, A> {
    #[serde(rename = "apiVersion", borrow)]
    api_version: &'a str,
    #[serde(borrow)]
    kind: &'a str,
    metadata: Meta<A>,
    #[serde(deserialize_with = "super::strict::deserialize")]
    spec: KubernetesDaemonSetSpec,
    #[serde(default)]
    status: Option<KubernetesDaemonSetStatus>,
}

/// ObjectMeta's fields, refusing any other (k8s-openapi's own ObjectMeta skips unknown ones,
/// and `manifest::decode` turns Planton's `id`/`org`/`env` into labels: both are slow-path work).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Meta<A> {
    annotations: Option<A>,
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

impl<A: Annotations> From<Meta<A>> for ObjectMeta {
    fn from(m: Meta<A>) -> Self {
        Self {
            annotations: m.annotations.and_then(Annotations::into_map),
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

/// How `metadata.annotations` is read: kept, or only checked.
trait Annotations {
    /// What goes into `ObjectMeta::annotations`.
    fn into_map(self) -> Option<BTreeMap<String, String>>;
}

impl Annotations for BTreeMap<String, String> {
    fn into_map(self) -> Option<BTreeMap<String, String>> {
        Some(self)
    }
}

/// `metadata.annotations` checked to be what ObjectMeta accepts (an object of strings, each
/// key and value read exactly as a `String` would be, escapes and all), without allocating or
/// keeping anything. No step of a review reads the annotations, and they are often the largest
/// strings in it: kubectl keeps a copy of the whole object in one of them.
struct UnreadAnnotations;

impl Annotations for UnreadAnnotations {
    fn into_map(self) -> Option<BTreeMap<String, String>> {
        None
    }
}

impl<'de> Deserialize<'de> for UnreadAnnotations {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> de::Visitor<'de> for Entries {
            type Value = UnreadAnnotations;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<M: de::MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                while map.next_key::<UnreadString>()?.is_some() {
                    map.next_value::<UnreadString>()?;
                }
                Ok(UnreadAnnotations)
            }
        }
        d.deserialize_map(Entries)
    }
}

/// A JSON string, read (so invalid escapes fail as for a `String`) but not kept.
struct UnreadString;

impl<'de> Deserialize<'de> for UnreadString {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Str;
        impl de::Visitor<'_> for Str {
            type Value = UnreadString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(UnreadString)
            }
        }
        d.deserialize_str(Str)
    }
}

/// The typed object, or `None` when the slow path must decide.
pub fn decode(raw: &RawValue) -> Option<KubernetesDaemonSet> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let kds = deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(kds)
}

/// The typed object from any deserializer; an error when the fast path does not accept it.
pub fn deserialize<'de, D: de::Deserializer<'de>>(d: D) -> Result<KubernetesDaemonSet, D::Error> {
    typed(Object::<BTreeMap<String, String>>::deserialize(d)?)
}

/// [`deserialize`] for a review (the single-pass read of `super::wire`): the same object and
/// the same refusals, but `metadata.annotations` only checked and left out (`None`).
pub fn deserialize_for_review<'de, D: de::Deserializer<'de>>(
    d: D,
) -> Result<KubernetesDaemonSet, D::Error> {
    typed(Object::<UnreadAnnotations>::deserialize(d)?)
}

fn typed<E: de::Error, A: Annotations>(o: Object<'_, A>) -> Result<KubernetesDaemonSet, E> {
    if o.api_version != API_VERSION || o.kind != KIND {
        return Err(de::Error::custom("not a KubernetesDaemonSet"));
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

    fn for_review(json: &str) -> Option<KubernetesDaemonSet> {
        let mut de = serde_json::Deserializer::from_str(json);
        let kds = deserialize_for_review(&mut de).ok()?;
        de.end().ok()?;
        Some(kds)
    }

    #[test]
    fn the_review_read_is_the_same_object_without_annotations() {
        for text in [
            include_str!("../../benches/fixtures/review-3KB.json"),
            include_str!("../../benches/fixtures/review-100KB.json"),
        ] {
            let review: serde_json::Value = serde_json::from_str(text).expect("json");
            let object = review["request"]["object"].to_string();
            let raw: Box<RawValue> = serde_json::from_str(&object).expect("raw");
            let mut full = decode(&raw).expect("fast");
            assert!(full.metadata.annotations.take().is_some());
            let read = for_review(&object).expect("review read");
            assert_eq!(read.metadata, full.metadata);
            assert_eq!(read.spec, full.spec);
        }
    }

    #[test]
    fn the_review_read_refuses_the_annotations_a_string_map_refuses() {
        let head = r#"{"apiVersion":"kubernetes.project-planton.org/v1","kind":"KubernetesDaemonSet","metadata":{"name":"a","annotations":"#;
        for (annotations, accepted) in [
            (r#"{"a":"b","c":"say \"hi\" \u00e9"}"#, true),
            ("null", true),
            ("{}", true),
            (r#"{"a":1}"#, false),
            (r#"{"a":null}"#, false),
            (r#"{"a":{"b":"c"}}"#, false),
            (r#"["a"]"#, false),
            (r#""a""#, false),
            (r#"{"a":"\ud800"}"#, false),
            (r#"{"\ud800":"a"}"#, false),
            (r#"{"a":"\ud83d\ude00 \u00e9 \\u0041"}"#, true),
            (r#"{"a":"\\ud800"}"#, true),
            (r#"{"a":"\\\ud800"}"#, false),
            (r#"{"a":"\ude00"}"#, false),
            (r#"{"a":"x\ud83dy"}"#, false),
            (r#"{"a":"\ud83d\n"}"#, false),
            (r#"{"a":"\ud83d\u0041"}"#, false),
            (r#"{"a":"\ud83d\ud83d"}"#, false),
            (r#"{"a":"\ud83d"}"#, false),
            (r#"{"a":"\ud83d\ude00\ude00"}"#, false),
            (r#"{"a":"\x"}"#, false),
            (r#"{"a":"\u12"}"#, false),
            (r#"{"a":"\u12g4"}"#, false),
            ("{\"a\":\"tab\there\"}", false),
            (r#"{"a":"say \"hi\" \/ \b\f\n\r\t"}"#, true),
            (r#"{"a":true}"#, false),
            (r#"{"a":[]}"#, false),
        ] {
            let json = format!(r#"{head}{annotations}}},"spec":{{}}}}"#);
            // Invalid JSON (a bad escape, a raw tab) fails before `decode` is reached.
            let full = serde_json::from_str::<Box<RawValue>>(&json)
                .ok()
                .and_then(|raw| decode(&raw));
            assert_eq!(full.is_some(), accepted, "full read of {annotations}");
            assert_eq!(
                for_review(&json).is_some(),
                accepted,
                "review read of {annotations}"
            );
        }
    }

    proptest::proptest! {
        /// The review read refuses an annotation value exactly when the full read (a
        /// `String`) does, for strings built from escapes that pair, half-pair or look alike.
        #[test]
        fn the_review_read_agrees_with_the_string_read(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "a", "é", r"\n", r"\\", r#"\""#, r"\/", r"\u0041", r"\ud83d", r"\ude00",
                r"\uD800", r"\uDBFF", r"\uDFFF", r"\u00", "u", "d83d", r"\", "\t",
            ]),
            0..8,
        )) {
            let value = parts.concat();
            let head = r#"{"apiVersion":"kubernetes.project-planton.org/v1","kind":"KubernetesDaemonSet","metadata":{"name":"a","annotations":{"k":""#;
            let json = format!(r#"{head}{value}"}}}},"spec":{{}}}}"#);
            let full = serde_json::from_str::<Box<RawValue>>(&json)
                .ok()
                .and_then(|raw| decode(&raw))
                .is_some();
            proptest::prop_assert_eq!(for_review(&json).is_some(), full, "{}", value);
        }
    }
}
