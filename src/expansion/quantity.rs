//! Quantities as the API server stores them: rounded up to milli for container resources
//! (`SetDefaults_ResourceList`) and printed in canonical form (`Quantity.CanonicalizeBytes`).
//!
//! Emitting the stored form means the rendered DaemonSet is what `kubectl get -o yaml` shows
//! after applying it, so a diff against the cluster is empty. A quantity that does not parse is
//! passed through as written; validation reports it before expansion runs.

use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;

use crate::api::{ParsedQuantity, Quantity, QuantityFormat};

const NANOS: u128 = 1_000_000_000;
/// One milli in nanos: the resolution of a container resource after defaulting.
const MILLI_IN_NANOS: i128 = 1_000_000;

/// A container resource quantity: rounded up to milli, canonical.
pub(crate) fn resource(q: &Quantity) -> K8sQuantity {
    K8sQuantity(match q.parse() {
        Ok(p) => canonical(round_up_to_milli(p)),
        Err(_) => q.as_str().to_owned(),
    })
}

/// Any other quantity (an `emptyDir` size limit): canonical, not rounded.
pub(crate) fn plain(q: &Quantity) -> K8sQuantity {
    K8sQuantity(match q.parse() {
        Ok(p) => canonical(p),
        Err(_) => q.as_str().to_owned(),
    })
}

/// Rounds away from zero to a whole number of millis (apimachinery's `RoundUp(-3)`).
pub(crate) fn round_up_to_milli(p: ParsedQuantity) -> ParsedQuantity {
    let rem = p.nanos % MILLI_IN_NANOS;
    let nanos = if rem == 0 {
        p.nanos
    } else {
        // Saturating: only a value within a milli of i128's range could overflow.
        (p.nanos - rem).saturating_add(rem.signum() * MILLI_IN_NANOS)
    };
    ParsedQuantity { nanos, ..p }
}

/// apimachinery's canonical text: an integer mantissa and the suffix of its format.
pub(crate) fn canonical(p: ParsedQuantity) -> String {
    if p.nanos == 0 {
        return "0".to_owned();
    }
    let sign = if p.nanos < 0 { "-" } else { "" };
    let abs = p.nanos.unsigned_abs();
    let binary =
        p.format == QuantityFormat::BinarySi && abs >= 1024 * NANOS && abs.is_multiple_of(NANOS);
    if binary {
        let mut n = abs / NANOS;
        let mut power = 0;
        while n >= 1024 && n.is_multiple_of(1024) && power < 6 {
            n /= 1024;
            power += 1;
        }
        let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][power];
        return format!("{sign}{n}{suffix}");
    }
    let mut mantissa = abs;
    let mut exp: i32 = -9;
    while mantissa.is_multiple_of(10) {
        mantissa /= 10;
        exp += 1;
    }
    let r = exp.rem_euclid(3);
    mantissa *= 10u128.pow(r.unsigned_abs());
    exp -= r;
    let suffix = if p.format == QuantityFormat::DecimalExponent {
        if exp == 0 {
            String::new()
        } else {
            format!("e{exp}")
        }
    } else {
        decimal_si_suffix(exp)
    };
    format!("{sign}{mantissa}{suffix}")
}

fn decimal_si_suffix(exp: i32) -> String {
    match exp {
        -9 => "n".into(),
        -6 => "u".into(),
        -3 => "m".into(),
        0 => String::new(),
        3 => "k".into(),
        6 => "M".into(),
        9 => "G".into(),
        12 => "T".into(),
        15 => "P".into(),
        18 => "E".into(),
        // Beyond exa apimachinery v1.36 drops the suffix (a known bug, fixed upstream by
        // falling back to exponent form); the fixed form keeps the magnitude.
        e => format!("e{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        canonical(ParsedQuantity::parse(s).expect(s))
    }

    /// Found by the `quantity` fuzz target: a 26-digit binary quantity printed as a 31-digit
    /// decimal that the parser then refused as too large.
    #[test]
    fn canonical_text_parses_back_to_the_same_value() {
        for input in [
            "999999999999999999.99999995Ki",
            "170141183460469231731687303715884105727n",
            "-99999999999999999999999999999.9n",
            "1.5Gi",
            "0.1m",
        ] {
            let p = ParsedQuantity::parse(input).expect(input);
            let printed = canonical(p);
            let again = ParsedQuantity::parse(&printed).expect(&printed);
            assert_eq!(again.nanos, p.nanos, "{input} printed as {printed}");
            assert_eq!(canonical(again), printed, "{input}");
        }
    }

    #[test]
    fn matches_apimachinery_canonical_examples() {
        for (input, want) in [
            ("1.5", "1500m"),
            ("0.5", "500m"),
            ("1.0", "1"),
            ("1000M", "1G"),
            ("1024Mi", "1Gi"),
            ("1.5Gi", "1536Mi"),
            ("300Mi", "300Mi"),
            (".001Ki", "1024m"),
            (".000001Ki", "1024u"),
            (".000000000001Ki", "2n"),
            ("0.5Ki", "512"),
            ("1e3", "1e3"),
            ("1E6", "1e6"),
            ("1.08", "1080m"),
            ("1.G", "1G"),
            ("1.", "1"),
            ("50k", "50k"),
            ("100.035k", "100035"),
            ("1000m", "1"),
            ("0", "0"),
            ("-1500m", "-1500m"),
            ("12e2", "1200"),
            ("1Gi", "1Gi"),
            ("100Mi", "100Mi"),
        ] {
            assert_eq!(canon(input), want, "{input}");
        }
    }

    #[test]
    fn resources_round_up_to_milli() {
        assert_eq!(resource(&Quantity::from("0.1m")).0, "1m");
        assert_eq!(resource(&Quantity::from("1.0001")).0, "1001m");
        assert_eq!(resource(&Quantity::from("1000m")).0, "1");
        assert_eq!(resource(&Quantity::from("512Mi")).0, "512Mi");
        assert_eq!(
            resource(&Quantity::from("lots")).0,
            "lots",
            "kept as written"
        );
    }
}
