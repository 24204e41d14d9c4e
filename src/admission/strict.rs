//! A deserializer wrapper that only lets through input whose typed round trip has exactly the
//! input's JSON shape, so that the typed `/mutate` patch (see [`super::patch::typed_spec_patch`])
//! can be applied to the object as the API server sent it.
//!
//! Three things in a spec decode fine but serialise differently, and each makes the wrapper fail
//! (the caller then falls back to the slow path, which diffs JSON values and is exact):
//!
//! - a struct field spelled in lowerCamelCase (accepted through serde `alias`, written back in
//!   snake_case): every canonical field name is snake_case, so a field identifier with an ASCII
//!   upper-case letter is refused. Map keys (env names, labels) are not identifiers and pass.
//! - an explicit `null` for an optional field (decoded as `None`, written back as absent).
//! - a number where the type asked for "anything" (`deserialize_any`): a `Quantity` written as
//!   `1` is written back as `"1"`. This also sends integer int-or-strings (`max_unavailable: 1`)
//!   to the slow path; that is correct, only slower.
//!
//! Everything else is forwarded untouched to the wrapped deserializer (serde_json's, on the
//! borrowed request bytes), so the fast path costs no more than a plain typed decode.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Deserializes `T` from `d`, refusing input whose round trip would change its shape.
pub fn deserialize<'de, T: de::Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<T, D::Error> {
    T::deserialize(Strict(d))
}

/// The wrapped deserializer.
struct Strict<D>(D);

/// Which of the three rules applies to a visitor.
#[derive(Clone, Copy)]
enum Mode {
    /// Containers are wrapped, scalars pass.
    Plain,
    /// Under `deserialize_any`: numbers are refused.
    NoNumbers,
    /// A struct field name: upper-case letters are refused.
    Identifier,
}

/// The wrapped visitor.
struct Wrap<V> {
    inner: V,
    mode: Mode,
}

fn wrap<V>(inner: V) -> Wrap<V> {
    Wrap {
        inner,
        mode: Mode::Plain,
    }
}

macro_rules! forward {
    ($($method:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.0.$method(wrap(v))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
    type Error = D::Error;

    forward!(
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_ignored_any,
    );

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_any(Wrap {
            inner: v,
            mode: Mode::NoNumbers,
        })
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_identifier(Wrap {
            inner: v,
            mode: Mode::Identifier,
        })
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_unit_struct(name, wrap(v))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_newtype_struct(name, wrap(v))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_tuple(len, wrap(v))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_tuple_struct(name, len, wrap(v))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_struct(name, fields, wrap(v))
    }

    /// No spec type is an externally tagged enum; refuse rather than check half of one.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _v: V,
    ) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("enums take the slow path"))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! number {
    ($($method:ident: $ty:ty),* $(,)?) => {$(
        fn $method<E: de::Error>(self, n: $ty) -> Result<V::Value, E> {
            if matches!(self.mode, Mode::NoNumbers) {
                return Err(E::custom("a number where any value is accepted"));
            }
            self.inner.$method(n)
        }
    )*};
}

impl<V> Wrap<V> {
    fn check_identifier<E: de::Error>(&self, s: &str) -> Result<(), E> {
        if matches!(self.mode, Mode::Identifier) && s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(E::custom("a field name that is not snake_case"));
        }
        Ok(())
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    number!(
        visit_i8: i8, visit_i16: i16, visit_i32: i32, visit_i64: i64, visit_i128: i128,
        visit_u8: u8, visit_u16: u16, visit_u32: u32, visit_u64: u64, visit_u128: u128,
        visit_f32: f32, visit_f64: f64,
    );

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<V::Value, E> {
        self.inner.visit_bool(b)
    }

    fn visit_char<E: de::Error>(self, c: char) -> Result<V::Value, E> {
        self.inner.visit_char(c)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<V::Value, E> {
        self.check_identifier(s)?;
        self.inner.visit_str(s)
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<V::Value, E> {
        self.check_identifier(s)?;
        self.inner.visit_borrowed_str(s)
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<V::Value, E> {
        self.check_identifier(&s)?;
        self.inner.visit_string(s)
    }

    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<V::Value, E> {
        self.inner.visit_bytes(b)
    }

    fn visit_borrowed_bytes<E: de::Error>(self, b: &'de [u8]) -> Result<V::Value, E> {
        self.inner.visit_borrowed_bytes(b)
    }

    fn visit_byte_buf<E: de::Error>(self, b: Vec<u8>) -> Result<V::Value, E> {
        self.inner.visit_byte_buf(b)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        Err(E::custom("an explicit null"))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Strict(d))
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        Err(E::custom("an explicit null"))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Strict(d))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(Seq(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(Map(map))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _data: A) -> Result<V::Value, A::Error> {
        Err(de::Error::custom("enums take the slow path"))
    }
}

/// A seed whose deserializer is wrapped.
struct Seed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Strict(d))
    }
}

struct Seq<A>(A);

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

struct Map<A>(A);

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(Seed(seed))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use crate::api::KubernetesDaemonSetSpec;

    fn strict(json: &str) -> bool {
        let mut de = serde_json::Deserializer::from_str(json);
        super::deserialize::<KubernetesDaemonSetSpec, _>(&mut de).is_ok()
    }

    #[test]
    fn passes_snake_case_and_refuses_what_would_change_shape() {
        assert!(strict(
            r#"{"create_namespace":true,"node_selector":{"Upper":"x"},
                "container":{"app":{"env":{"variables":{"LOG_LEVEL":{"value":"info"}}},
                "resources":{"limits":{"cpu":"1"}},
                "volume_mounts":[{"name":"a","host_path":"/var/log"}]}},
                "update_strategy":{"rolling_update":{"max_unavailable":"1"}},
                "min_ready_seconds":3}"#
        ));
        assert!(!strict(r#"{"createNamespace":true}"#), "camelCase field");
        assert!(!strict(r#"{"namespace":null}"#), "explicit null");
        assert!(
            !strict(r#"{"container":{"app":{"resources":{"limits":{"cpu":1}}}}}"#),
            "number quantity"
        );
        assert!(!strict(r#"{"container":{"app":{"image":{"tag":null}}}}"#));
    }
}
