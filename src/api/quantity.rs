//! A resource quantity as the user wrote it.
//!
//! The original declares quantities as strings, but YAML authors write `cpu: 1` or
//! `memory: 1073741824`; those are read as the same quantity instead of being refused. The
//! text is kept verbatim (a number is kept in its decimal form) so the mutating patch never
//! rewrites a value the user gave; parsing and comparison live in `validation`.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Kubernetes quantity such as `500m`, `1Gi` or `2`, kept as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quantity(pub String);

impl Quantity {
    /// The quantity's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses the text with apimachinery's grammar (`resource.ParseQuantity`).
    pub fn parse(&self) -> Result<ParsedQuantity, QuantityError> {
        ParsedQuantity::parse(&self.0)
    }
}

/// Why a quantity does not parse; the texts are apimachinery's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// Not of the form number + suffix.
    #[error(
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )]
    Format,
    /// The number part is malformed (for example two dots).
    #[error("unable to parse numeric part of quantity")]
    Numeric,
    /// The suffix is not one apimachinery knows.
    #[error("unable to parse quantity's suffix")]
    Suffix,
    /// Too large to represent exactly (beyond what any resource can mean).
    #[error("quantity is too large")]
    TooLarge,
}

/// The suffix family a quantity was written in; it decides how Kubernetes prints it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantityFormat {
    /// `m`, `k`, `M`, ... or no suffix.
    DecimalSi,
    /// `Ki`, `Mi`, `Gi`, ...
    BinarySi,
    /// `e3`, `E-2`.
    DecimalExponent,
}

/// A parsed quantity: its exact value in nano-units, rounded away from zero as apimachinery
/// rounds anything finer than 1n.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedQuantity {
    /// The value times 10^9.
    pub nanos: i128,
    /// The suffix family.
    pub format: QuantityFormat,
}

impl PartialOrd for ParsedQuantity {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ParsedQuantity {
    /// Numeric order, whatever the format (`1Gi` equals `1073741824`).
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl ParsedQuantity {
    /// Parses a quantity string (no surrounding whitespace allowed).
    pub fn parse(s: &str) -> Result<Self, QuantityError> {
        let (sign, rest) = match s.as_bytes().first() {
            Some(b'-') => (-1, &s[1..]),
            Some(b'+') => (1, &s[1..]),
            _ => (1, s),
        };
        let num_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let (number, suffix) = rest.split_at(num_len);
        if number.is_empty() || !suffix_shape_ok(suffix) {
            return Err(QuantityError::Format);
        }
        let (int_part, frac_part) = match number.split_once('.') {
            Some((_, f)) if f.contains('.') => return Err(QuantityError::Numeric),
            // Trailing zeros of the fraction change nothing (`1.000` is `1`).
            Some((i, f)) => (i, f.trim_end_matches('0')),
            None => (number, ""),
        };
        // The integer and fraction digits read as one number, without joining them into a
        // string first (six quantities in a typical review). Any mantissa that fits i128 is
        // read: the canonical text of every value this parser accepts has up to 39 digits
        // (`170141183460469231731687303715884105727n`), and must parse back. Only digits are
        // left here, so the one error is overflow.
        let mut mantissa: i128 = 0;
        for b in int_part.bytes().chain(frac_part.bytes()) {
            mantissa = mantissa
                .checked_mul(10)
                .and_then(|m| m.checked_add(i128::from(b - b'0')))
                .ok_or(QuantityError::TooLarge)?;
        }
        let frac = i32::try_from(frac_part.len()).map_err(|_| QuantityError::TooLarge)?;
        let (format, nanos) = match suffix {
            "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
                let power = match suffix {
                    "Ki" => 10,
                    "Mi" => 20,
                    "Gi" => 30,
                    "Ti" => 40,
                    "Pi" => 50,
                    _ => 60,
                };
                let scaled = mantissa
                    .checked_mul(1i128 << power)
                    .and_then(|v| v.checked_mul(1_000_000_000))
                    .ok_or(QuantityError::TooLarge)?;
                (QuantityFormat::BinarySi, div_ceil_pow10(scaled, frac)?)
            }
            _ => {
                let (format, exp) = decimal_exponent(suffix)?;
                (format, scale_pow10(mantissa, exp + 9 - frac)?)
            }
        };
        Ok(Self {
            nanos: sign * nanos,
            format,
        })
    }

    /// True for values below zero.
    pub fn is_negative(&self) -> bool {
        self.nanos < 0
    }

    /// True when the value is a whole number of units.
    pub fn is_integer(&self) -> bool {
        self.nanos % 1_000_000_000 == 0
    }
}

/// The suffix may only use the characters apimachinery's format regex allows.
fn suffix_shape_ok(suffix: &str) -> bool {
    let letters = suffix
        .bytes()
        .take_while(|b| b"eEinumkKMGTP".contains(b))
        .count();
    let tail = &suffix[letters..];
    let tail = tail.strip_prefix(['-', '+']).unwrap_or(tail);
    tail.bytes().all(|b| b.is_ascii_digit())
}

/// The power of ten a decimal suffix stands for.
fn decimal_exponent(suffix: &str) -> Result<(QuantityFormat, i32), QuantityError> {
    let si = match suffix {
        "" => Some(0),
        "n" => Some(-9),
        "u" => Some(-6),
        "m" => Some(-3),
        "k" => Some(3),
        "M" => Some(6),
        "G" => Some(9),
        "T" => Some(12),
        "P" => Some(15),
        "E" => Some(18),
        _ => None,
    };
    if let Some(e) = si {
        return Ok((QuantityFormat::DecimalSi, e));
    }
    let exp = suffix
        .strip_prefix(['e', 'E'])
        .ok_or(QuantityError::Suffix)?;
    let exp: i32 = exp.parse().map_err(|_| QuantityError::Suffix)?;
    if !(-100..=100).contains(&exp) {
        return Err(QuantityError::TooLarge);
    }
    Ok((QuantityFormat::DecimalExponent, exp))
}

/// `v * 10^exp`, rounding a fractional result away from zero.
fn scale_pow10(v: i128, exp: i32) -> Result<i128, QuantityError> {
    if exp >= 0 {
        let m = 10i128
            .checked_pow(exp.unsigned_abs())
            .ok_or(QuantityError::TooLarge)?;
        v.checked_mul(m).ok_or(QuantityError::TooLarge)
    } else {
        div_ceil_pow10(v, -exp)
    }
}

fn div_ceil_pow10(v: i128, exp: i32) -> Result<i128, QuantityError> {
    if v == 0 {
        return Ok(0);
    }
    match 10i128.checked_pow(exp.unsigned_abs()) {
        // `v` is a non-negative mantissa; `(v + d - 1) / d` would overflow for v near i128::MAX.
        Some(d) => Ok(v / d + i128::from(v % d != 0)),
        // Dividing by more than 10^38 leaves less than one nano: the smallest step up.
        None => Ok(1),
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Quantity {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct QuantityVisitor;
        impl Visitor<'_> for QuantityVisitor {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quantity such as \"500m\" or \"1Gi\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Quantity, E> {
                Ok(Quantity(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Quantity, E> {
                Ok(Quantity(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Quantity, E> {
                Ok(Quantity(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Quantity, E> {
                if v.is_finite() {
                    Ok(Quantity(v.to_string()))
                } else {
                    Err(E::custom("a quantity must be a finite number"))
                }
            }
        }
        d.deserialize_any(QuantityVisitor)
    }
}

impl JsonSchema for Quantity {
    fn schema_name() -> Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A Kubernetes quantity, for example 500m, 1Gi or 2.",
            "x-kubernetes-int-or-string": true,
            "anyOf": [{"type": "integer"}, {"type": "string"}]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nanos(s: &str) -> i128 {
        ParsedQuantity::parse(s).expect(s).nanos
    }

    #[test]
    fn parses_apimachinery_examples() {
        assert_eq!(nanos("500m"), 500_000_000);
        assert_eq!(nanos("1"), 1_000_000_000);
        assert_eq!(nanos("1Gi"), 1_073_741_824 * 1_000_000_000);
        assert_eq!(nanos("1.5Gi"), 1536 * 1_048_576 * 1_000_000_000);
        assert_eq!(nanos(".5"), 500_000_000);
        assert_eq!(nanos("1."), 1_000_000_000);
        assert_eq!(nanos("."), 0);
        assert_eq!(nanos("1e3"), 1000 * 1_000_000_000);
        assert_eq!(nanos("1E-3"), 1_000_000);
        assert_eq!(nanos("-1"), -1_000_000_000);
        assert_eq!(nanos("100.035k"), 100_035 * 1_000_000_000);
        assert_eq!(nanos("0.0000000001"), 1, "rounded up to 1n");
        assert_eq!(nanos("3.001n"), 4);
        // 1.3e-27 Ei = 1.4988n: the scaled mantissa is near i128::MAX, and the rounding up
        // must not overflow on the way (it did: a debug-build panic, a wrong 0 in release).
        assert_eq!(nanos("0.00000000000000000000000000130000000000Ei"), 2);
        assert_eq!(
            nanos("1.00000000000000000000000000000000000000000000000000"),
            nanos("1")
        );
        assert_eq!(nanos("170141183460469231731687303715884105727n"), i128::MAX);
        // Leading zeros, as many as the mantissa has room for and more, change nothing.
        assert_eq!(nanos(&format!("{}1.5", "0".repeat(60))), nanos("1.5"));
        assert_eq!(nanos("0000.0000"), 0);
        assert_eq!(
            ParsedQuantity::parse("170141183460469231731687303715884105728n"),
            Err(QuantityError::TooLarge)
        );
        assert_eq!(
            ParsedQuantity::parse("1E").map(|q| q.format),
            Ok(QuantityFormat::DecimalSi)
        );
    }

    #[test]
    fn compares_across_formats() {
        assert_eq!(nanos("1Gi"), nanos("1073741824"));
        assert_eq!(nanos("1000m"), nanos("1"));
        assert!(ParsedQuantity::parse("50m").expect("q") < ParsedQuantity::parse("1").expect("q"));
    }

    #[test]
    fn rejects_apimachinery_bad_inputs() {
        for bad in [
            "1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", " 1",
            "1 ", "", "1KB", "1K", "ki",
        ] {
            assert!(
                ParsedQuantity::parse(bad).is_err(),
                "{bad:?} should not parse"
            );
        }
        assert_eq!(ParsedQuantity::parse("1.1.1"), Err(QuantityError::Numeric));
        assert_eq!(ParsedQuantity::parse("abc"), Err(QuantityError::Format));
        assert_eq!(
            ParsedQuantity::parse("9999999999999999999999999999999Ei"),
            Err(QuantityError::TooLarge)
        );
    }

    #[test]
    fn reads_strings_and_numbers() {
        let q: Quantity = serde_json::from_str("\"500m\"").expect("string");
        assert_eq!(q.as_str(), "500m");
        let q: Quantity = serde_json::from_str("2").expect("int");
        assert_eq!(q.as_str(), "2");
        let q: Quantity = serde_json::from_str("0.5").expect("float");
        assert_eq!(q.as_str(), "0.5");
        assert!(serde_json::from_str::<Quantity>("true").is_err());
    }
}
