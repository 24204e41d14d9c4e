//! Decoding of the maps that can hold a thousand entries (`env.variables`, `env.secrets`):
//! entries are collected in order and the `BTreeMap` is built in one go.
//!
//! serde's own `BTreeMap` impl inserts entry by entry, a tree search with string comparisons
//! per key; the API server writes map keys sorted, and building from a (stably) sorted list is
//! linear. The result is the same map: for a repeated key the last entry wins, as with
//! `insert`. Errors and their paths are unchanged (the same `MapAccess` calls in the same order).

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

/// `deserialize_with` for an `Option<BTreeMap<String, V>>` field (with `#[serde(default)]`).
pub fn deserialize<'de, D, V>(d: D) -> Result<Option<BTreeMap<String, V>>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    Ok(Option::<Bulk<V>>::deserialize(d)?.map(|b| b.0))
}

struct Bulk<V>(BTreeMap<String, V>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Bulk<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(BulkVisitor(PhantomData))
    }
}

struct BulkVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for BulkVisitor<V> {
    type Value = Bulk<V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Bulk<V>, A::Error> {
        let mut entries: Vec<(String, V)> = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Bulk(BTreeMap::from_iter(entries)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "deserialize")]
        m: Option<BTreeMap<String, u8>>,
    }

    #[test]
    fn same_map_as_serde_including_repeated_keys() {
        let t: T = serde_json::from_str(r#"{"m":{"b":1,"a":2,"b":3}}"#).expect("map");
        let want: BTreeMap<String, u8> = serde_json::from_str(r#"{"b":1,"a":2,"b":3}"#).expect("m");
        assert_eq!(t.m, Some(want));
        let t: T = serde_json::from_str(r#"{"m":null}"#).expect("null");
        assert_eq!(t.m, None);
        let t: T = serde_json::from_str("{}").expect("absent");
        assert_eq!(t.m, None);
    }
}
