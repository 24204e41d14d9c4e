//! The timestamp that opens every log line: RFC 3339 in UTC with microseconds
//! (`2026-12-01T12:24:52.123456Z`), byte for byte what tracing-subscriber's default timer
//! writes.
//!
//! The date and the time down to the second change once a second, so each thread keeps the
//! text of its last second and only writes the microseconds anew: under load almost every line
//! reuses the prefix instead of computing a calendar date and running six `{:02}` formats.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

/// Where a line's time comes from: the system clock in a process, a fixed instant in tests.
pub trait Clock: Send + Sync + 'static {
    /// The time to stamp the line being written with.
    fn now(&self) -> SystemTime;
}

/// The system's wall clock, as tracing-subscriber's default timer reads it.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// The last second rendered on this thread and its text, up to and including the `.`.
struct Prefix {
    second: Option<i64>,
    text: String,
}

thread_local! {
    static PREFIX: RefCell<Prefix> = const {
        RefCell::new(Prefix { second: None, text: String::new() })
    };
}

/// Writes `t` as tracing-subscriber's `SystemTime` timer does.
pub fn write_timestamp(out: &mut dyn fmt::Write, t: SystemTime) -> fmt::Result {
    let (second, nanos) = split(t);
    let mut micros = [b'0'; 7];
    let mut rest = nanos / 1_000;
    for digit in micros[..6].iter_mut().rev() {
        // `rest % 10` is below 10, so the cast cannot truncate.
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    micros[6] = b'Z';
    // Only ASCII digits and `Z` were written.
    let micros = std::str::from_utf8(&micros).map_err(|_| fmt::Error)?;
    PREFIX.with(|cell| match cell.try_borrow_mut() {
        Ok(mut prefix) => {
            if prefix.second != Some(second) {
                prefix.text.clear();
                write_prefix(&mut prefix.text, second)?;
                prefix.second = Some(second);
            }
            out.write_str(&prefix.text)?;
            out.write_str(micros)
        }
        // Re-entered from inside a write (a `Debug` impl that logs): render without the cache.
        Err(_) => {
            let mut text = String::with_capacity(20);
            write_prefix(&mut text, second)?;
            out.write_str(&text)?;
            out.write_str(micros)
        }
    })
}

/// Seconds since the epoch (floored, also before 1970) and the nanoseconds past them, as
/// tracing-subscriber's `DateTime` splits a `SystemTime`.
fn split(t: SystemTime) -> (i64, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_nanos(),
        ),
        Err(e) => {
            let d = e.duration();
            let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            match d.subsec_nanos() {
                0 => (-secs, 0),
                n => (-secs - 1, 1_000_000_000 - n),
            }
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS.` for a second since the epoch; years past 9999 get a `+`, years
/// before 0 a `-` and four digits, as tracing-subscriber writes them.
fn write_prefix(out: &mut String, second: i64) -> fmt::Result {
    let days = second.div_euclid(86_400);
    let of_day = second.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    if year > 9999 {
        write!(out, "+{year}")?;
    } else if year < 0 {
        write!(out, "{year:05}")?;
    } else {
        write!(out, "{year:04}")?;
    }
    write!(
        out,
        "-{month:02}-{day:02}T{:02}:{:02}:{:02}.",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date of a day since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn render(t: SystemTime) -> String {
        let mut s = String::new();
        write_timestamp(&mut s, t).expect("a String takes any text");
        s
    }

    fn at(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    #[test]
    fn renders_known_instants() {
        assert_eq!(render(at(0, 0)), "1970-01-01T00:00:00.000000Z");
        assert_eq!(render(at(951_782_400, 999)), "2000-02-29T00:00:00.000000Z");
        assert_eq!(
            render(at(1_796_127_892, 123_456_789)),
            "2026-12-01T12:24:52.123456Z"
        );
        assert_eq!(
            render(at(253_402_300_799, 999_999_999)),
            "9999-12-31T23:59:59.999999Z"
        );
        assert_eq!(
            render(at(253_402_300_800, 0)),
            "+10000-01-01T00:00:00.000000Z"
        );
        assert_eq!(
            render(UNIX_EPOCH - Duration::new(0, 1_000)),
            "1969-12-31T23:59:59.999999Z"
        );
    }

    #[test]
    fn the_cached_second_follows_the_clock() {
        assert_eq!(render(at(59, 1_000)), "1970-01-01T00:00:59.000001Z");
        assert_eq!(render(at(59, 2_000)), "1970-01-01T00:00:59.000002Z");
        assert_eq!(render(at(60, 0)), "1970-01-01T00:01:00.000000Z");
        assert_eq!(render(at(59, 0)), "1970-01-01T00:00:59.000000Z");
    }

    proptest::proptest! {
        /// Every date from 1970 to 9999 agrees with the `time` crate's calendar.
        #[test]
        fn agrees_with_the_time_crate(secs in 0i64..253_402_300_800, micros in 0u32..1_000_000) {
            let t = UNIX_EPOCH + Duration::new(secs.unsigned_abs(), micros * 1_000);
            let dt = time::OffsetDateTime::from_unix_timestamp(secs).expect("within the time crate's range");
            let expected = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
                dt.year(), u8::from(dt.month()), dt.day(), dt.hour(), dt.minute(), dt.second(), micros
            );
            proptest::prop_assert_eq!(render(t), expected);
        }
    }
}
