//! Quantity parsing, rounding and printing: the canonical text parses back to the same value
//! and, after at most one change of format, prints the same again; rounding to milli moves a value up by less than one milli to a
//! whole milli; a container resource is the canonical rounded value, or the text as written
//! when it does not parse.
#![no_main]

use kds_webhook::api::ParsedQuantity;
use kds_webhook::fuzzing::{canonical_quantity, resource_quantity, round_up_to_milli};
use libfuzzer_sys::fuzz_target;

const MILLI: i128 = 1_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = ParsedQuantity::parse(text) else {
        assert_eq!(
            resource_quantity(text),
            text,
            "an unparsable quantity passes through"
        );
        return;
    };
    let printed = canonical_quantity(p);
    let again = ParsedQuantity::parse(&printed).expect("the canonical text parses");
    assert_eq!(again.nanos, p.nanos, "{text:?} printed as {printed:?}");
    // The printed text may change format once, as apimachinery's does (`115312.5Ki` prints as
    // `118080000`, a decimal that then prints as `118080k`); after that it is a fixed point.
    let reprinted = canonical_quantity(again);
    let third = ParsedQuantity::parse(&reprinted).expect("the reprinted text parses");
    assert_eq!(third.nanos, p.nanos);
    assert_eq!(canonical_quantity(third), reprinted, "printing is stable");

    let r = round_up_to_milli(p);
    let near_limit = p.nanos.unsigned_abs() > i128::MAX.unsigned_abs() - MILLI.unsigned_abs();
    if !near_limit {
        assert_eq!(r.nanos % MILLI, 0, "{text:?} rounds to a whole milli");
        assert!(
            r.nanos.unsigned_abs() >= p.nanos.unsigned_abs(),
            "away from zero"
        );
        assert!((r.nanos - p.nanos).abs() < MILLI, "by less than a milli");
        assert_eq!(r.nanos.signum() * p.nanos.signum(), p.nanos.signum().abs());
    }
    let resource = resource_quantity(text);
    assert_eq!(
        resource,
        canonical_quantity(r),
        "a resource is the rounded canonical value"
    );
});
