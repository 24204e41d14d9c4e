//! The fast log formats write exactly what tracing-subscriber's own formats write: the same
//! events go through both, with the same fixed clock, and every line must match byte for byte.
#![allow(clippy::unwrap_used, missing_docs)]

use std::error::Error;
use std::fmt;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kds_webhook::telemetry::{Clock, JsonLine, PlainLine, write_timestamp};
use tracing::{Level, debug, error, event, info, info_span, trace, warn};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::fmt::{self as tfmt, MakeWriter};
use tracing_subscriber::layer::SubscriberExt as _;

/// 2026-12-01T12:24:52.123456789Z, seen by the fast formats.
struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::new(1_796_127_892, 123_456_789)
    }
}

/// The same instant, seen by tracing-subscriber's formats.
struct FixedTimer;

impl FormatTime for FixedTimer {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        w.write_str("2026-12-01T12:24:52.123456Z")
    }
}

/// Collects every line written.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Self;
    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Runs `emit` under a subscriber made of `layer` and returns what it wrote.
fn run<L>(layer: impl FnOnce(Capture) -> L, emit: impl FnOnce()) -> String
where
    L: tracing_subscriber::Layer<tracing_subscriber::Registry> + Send + Sync + 'static,
{
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(layer(capture.clone()));
    tracing::subscriber::with_default(subscriber, emit);
    capture.text()
}

/// Compares line by line, so that a failure names the first line that differs.
fn assert_same(expected: &str, actual: &str) {
    for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        assert_eq!(a, e, "line {} differs", i + 1);
    }
    assert_eq!(actual.lines().count(), expected.lines().count());
    assert_eq!(actual, expected);
    assert!(
        expected.lines().count() > 3,
        "nothing was logged:\n{expected}"
    );
}

#[derive(Debug)]
struct Inner;

impl fmt::Display for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("disk \u{1b}[31mfull")
    }
}

impl Error for Inner {}

#[derive(Debug)]
struct Outer(Inner);

impl fmt::Display for Outer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("write failed")
    }
}

impl Error for Outer {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.0)
    }
}

/// Texts that need escaping in one format or the other.
const AWKWARD: &[&str] = &[
    "",
    "plain",
    "say \"hi\"",
    "back\\slash",
    "line\nbreak\ttab\rcr",
    "nul\0 soh\u{1} us\u{1f} del\u{7f}",
    "only del\u{7f}",
    "only nul\0",
    "only tab\t",
    "only esc\u{1b}",
    "only c1\u{9f}",
    "only non-ASCII é",
    "esc \u{1b}[31mred\u{1b}[0m bel\u{7} bs\u{8} ff\u{c}",
    "c1 \u{85} \u{9b}",
    "grüße 日本 🎉",
    "e\u{301} zero\u{200b}width",
    "quote's",
];

/// Every kind of event the process logs, plus the awkward ones.
fn emit() {
    // The review line, as `server::routes::record` writes it.
    let uid = String::from("705ab4f5-6393-11e8-b7cc-42010a800002");
    let kind = String::from("kubernetes.project-planton.org/v1, Kind=KubernetesDaemonSet");
    let (namespace, name) = (String::from("observability"), String::from("log-shipper"));
    info!(
        webhook = "mutate",
        uid = %uid,
        kind = %kind,
        namespace = %namespace,
        name = %name,
        operation = "CREATE",
        dry_run = false,
        verdict = "allowed",
        patch_ops = 7_usize,
        warnings = 0_usize,
        duration_us = 181_u64,
        "Admission reviewed"
    );
    trace!("trace level");
    debug!("debug level");
    info!("info level");
    warn!("warn level");
    error!("error level");
    info!(target: "kds_webhook::server::routes", "a target of the crate");
    info!(target: "other-crate::x", answer = 42, "a foreign target");
    info!(
        count = 3_u64,
        delta = -3_i64,
        big = u64::MAX,
        small = i64::MIN,
        "integers"
    );
    info!(wide = u128::MAX, neg = i128::MIN, "128-bit integers");
    info!(yes = true, no = false, "booleans");
    info!(
        a = 1.5_f64,
        b = 1e16_f64,
        c = -0.0_f64,
        d = f64::NAN,
        e = f64::INFINITY,
        f = 0.1_f64,
        "floats"
    );
    info!(ms = 2.5_f64 * 1000.0, "a float as the server logs one");
    info!(list = ?vec!["a", "b"], unit = ?(), opt = ?Some("x"), "debug values");
    info!(addr = %"0.0.0.0:8443", lease = %format!("{}/{}", "ns", "name"), "display values");
    info!(r#type = "raw", "a raw identifier");
    info!(only = "fields");
    info!(message = "a message given as a string field", extra = 1);
    info!("a formatted message: {} and {:?}", 7, "dbg");
    let err = Outer(Inner);
    error!(
        error = &err as &(dyn Error + 'static),
        "an error with sources"
    );
    error!(
        error = &Inner as &(dyn Error + 'static),
        "an error without sources"
    );
    warn!(error = %err, "an error as Display");
    event!(Level::INFO, bytes = &b"\x00\xff"[..], "bytes");
    for s in AWKWARD {
        info!(text = *s, shown = %s, debugged = ?s, "{}", s);
        info!(r#"{{"key": "value"}}"#);
    }
    info!("message with \u{1b}[2J an escape");
    info!(target: "t\"arget", "a target that needs escaping");
    // Spans, though the process opens none of its own: its dependencies may.
    let outer = info_span!("request", uid = "u-1", n = 2);
    let _entered = outer.enter();
    info!("inside one span");
    let inner = info_span!("inner", path = %"/mutate");
    inner.in_scope(|| warn!(field = 1, "inside two spans"));
    info_span!("empty").in_scope(|| info!("inside a span without fields"));
    info!(parent: None, "an explicit root inside a span");
    drop(_entered);
    info!(parent: &outer, "an explicit parent");
    info!("after the spans");
    // A `log` record, as rustls writes them.
    tracing_log::format_trace(
        &log::Record::builder()
            .args(format_args!("a log record {}", 1))
            .level(log::Level::Warn)
            .target("rustls::conn")
            .module_path(Some("rustls::conn"))
            .file(Some("src/conn.rs"))
            .line(Some(12))
            .build(),
    )
    .unwrap();
}

/// The events `emit` logs, written by tracing-subscriber's plain format and by `PlainLine`
/// through layers alike in everything else: (theirs, ours).
fn plain_both(ansi: bool, sanitise: bool, emit: impl Fn()) -> (String, String) {
    let theirs = run(
        |w| {
            tfmt::layer()
                .with_ansi(ansi)
                .with_ansi_sanitization(sanitise)
                .event_format(tfmt::format().with_timer(FixedTimer))
                .with_writer(w)
        },
        &emit,
    );
    let ours = run(
        |w| {
            tfmt::layer()
                .with_ansi(ansi)
                .with_ansi_sanitization(sanitise)
                .event_format(PlainLine::with_clock(FixedClock, FixedTimer))
                .with_writer(w)
        },
        &emit,
    );
    (theirs, ours)
}

/// The same for tracing-subscriber's flattened JSON format and `JsonLine`.
fn json_both(emit: impl Fn()) -> (String, String) {
    let theirs = run(
        |w| {
            tfmt::layer()
                .json()
                .flatten_event(true)
                .with_timer(FixedTimer)
                .with_writer(w)
        },
        &emit,
    );
    let ours = run(
        |w| {
            tfmt::layer()
                .json()
                .event_format(JsonLine::with_clock(FixedClock, FixedTimer))
                .with_writer(w)
        },
        &emit,
    );
    (theirs, ours)
}

#[test]
fn plain_lines_match_tracing_subscribers() {
    let (expected, actual) = plain_both(false, true, emit);
    assert!(expected.contains("\\x1b"), "{expected}");
    assert_same(&expected, &actual);
}

#[test]
fn plain_lines_match_without_sanitising() {
    let (expected, actual) = plain_both(false, false, emit);
    assert!(expected.contains('\u{1b}'), "{expected}");
    assert_same(&expected, &actual);
}

#[test]
fn coloured_lines_match_tracing_subscribers() {
    let (expected, actual) = plain_both(true, true, emit);
    assert!(expected.contains("\u{1b}[2m"), "{expected}");
    assert_same(&expected, &actual);
}

#[test]
fn json_lines_match_tracing_subscribers() {
    let (expected, actual) = json_both(emit);
    assert!(expected.contains("\\u001b"), "{expected}");
    assert!(expected.contains("\"spans\":["), "{expected}");
    for line in expected.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }
    assert_same(&expected, &actual);
}

/// The timestamp tracing-subscriber's default timer wrote for "now", read back.
fn read_stamp(line: &str) -> SystemTime {
    let stamp = line.split(' ').next().unwrap();
    let num = |range: std::ops::Range<usize>| stamp[range].parse::<u32>().unwrap();
    assert_eq!(stamp.len(), 27, "{stamp}");
    let month = time::Month::try_from(u8::try_from(num(5..7)).unwrap()).unwrap();
    let date = time::Date::from_calendar_date(
        i32::try_from(num(0..4)).unwrap(),
        month,
        u8::try_from(num(8..10)).unwrap(),
    )
    .unwrap();
    let at = date
        .with_hms_micro(
            u8::try_from(num(11..13)).unwrap(),
            u8::try_from(num(14..16)).unwrap(),
            u8::try_from(num(17..19)).unwrap(),
            num(20..26),
        )
        .unwrap()
        .assume_utc();
    let nanos = u64::try_from(at.unix_timestamp_nanos()).unwrap();
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

#[test]
fn timestamps_match_tracing_subscribers_clock() {
    let lines = run(
        |w| tfmt::layer().with_ansi(false).with_writer(w),
        || {
            for _ in 0..50 {
                info!("now");
                std::thread::sleep(Duration::from_micros(300));
            }
        },
    );
    for line in lines.lines() {
        let stamp = line.split(' ').next().unwrap();
        let mut ours = String::new();
        write_timestamp(&mut ours, read_stamp(line)).unwrap();
        assert_eq!(ours, stamp);
    }
}

proptest::proptest! {
    /// Any text, as a string, a `Display` and a `Debug` value and as the message, is written
    /// as tracing-subscriber writes it, in both formats.
    #[test]
    fn any_text_matches(text in "\\PC*|[\\x00-\\x20\\x7f-\\u{a0}\"\\\\é]{0,12}") {
        let emit = || info!(text = text.as_str(), shown = %text, debugged = ?text, "{}", text);
        let (plain, fast) = plain_both(false, true, emit);
        proptest::prop_assert_eq!(fast, plain);
        let (json, fast) = json_both(emit);
        proptest::prop_assert_eq!(fast, json);
    }
}
