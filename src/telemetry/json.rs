//! The JSON log line, written straight into the line buffer.
//!
//! Output is byte for byte that of tracing-subscriber's JSON format with the event's fields
//! flattened: `{"timestamp":"…","level":"INFO",<fields>,"target":"…"}`. Strings are escaped
//! once, while they are copied, by the rules serde_json applies; integers and booleans are
//! written without `fmt`; values that only `Debug` or `Display` can render are formatted
//! straight through the escaper, with no intermediate `String`.
//!
//! Events inside a span and records that came from the `log` crate are handed to
//! tracing-subscriber's own JSON formatter, which adds the span objects and the log metadata.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{Format, Json, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use super::clock::{Clock, SystemClock, write_timestamp};
use super::scan::Escapes;

/// tracing-subscriber's flattened JSON format, faster for the lines a server writes.
#[derive(Debug)]
pub struct JsonLine<C = SystemClock, T = SystemTime> {
    clock: C,
    fallback: Format<Json, T>,
}

impl JsonLine {
    /// The format `serve --log-format json` logs with: the system clock.
    pub fn new() -> Self {
        Self::with_clock(SystemClock, SystemTime)
    }
}

impl Default for JsonLine {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Clock, T: FormatTime> JsonLine<C, T> {
    /// Stamps lines with `clock`; lines handed to tracing-subscriber's formatter are stamped by
    /// `timer`, which must render the same instant (tests fix both).
    pub fn with_clock(clock: C, timer: T) -> Self {
        Self {
            clock,
            fallback: tracing_subscriber::fmt::format()
                .json()
                .flatten_event(true)
                .with_timer(timer),
        }
    }
}

impl<S, N, C, T> FormatEvent<S, N> for JsonLine<C, T>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    C: Clock,
    T: FormatTime,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if !super::is_simple(ctx, event) {
            return self.fallback.format_event(ctx, writer, event);
        }
        let meta = event.metadata();
        writer.write_str("{\"timestamp\":\"")?;
        write_timestamp(&mut writer, self.clock.now())?;
        writer.write_str(level(meta.level()))?;
        let mut fields = Fields {
            out: &mut writer,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_str(",\"target\":")?;
        write_str(&mut writer, meta.target())?;
        writer.write_str("}\n")
    }
}

/// The end of the timestamp, the level entry and the comma before the next entry.
fn level(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "\",\"level\":\"TRACE\"",
        Level::DEBUG => "\",\"level\":\"DEBUG\"",
        Level::INFO => "\",\"level\":\"INFO\"",
        Level::WARN => "\",\"level\":\"WARN\"",
        Level::ERROR => "\",\"level\":\"ERROR\"",
    }
}

/// Writes an event's fields as entries of the line's object, as tracing-serde's
/// `SerdeMapVisitor` does; each entry starts with its comma.
struct Fields<'w, 'a> {
    out: &'w mut Writer<'a>,
    result: fmt::Result,
}

impl Fields<'_, '_> {
    fn write(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        if self.result.is_ok() {
            self.result = (|| {
                self.out.write_str(",\"")?;
                Escaper(self.out).write_str(field.name())?;
                self.out.write_str("\":")?;
                value(self.out)
            })();
        }
    }
}

impl Visit for Fields<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.write(field, |out| write_str(out, value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.write(field, |out| {
            out.write_str(itoa::Buffer::new().format(value))
        });
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.write(field, |out| {
            out.write_str(itoa::Buffer::new().format(value))
        });
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.write(field, |out| {
            out.write_str(if value { "true" } else { "false" })
        });
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // serde_json's own rendering (shortest round-trip digits, `null` for NaN and
        // infinities); floats are rare in these lines.
        self.write(field, |out| {
            out.write_str(&serde_json::to_string(&value).map_err(|_| fmt::Error)?)
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.write(field, |out| {
            out.write_str("\"")?;
            write!(Escaper(out), "{value:?}")?;
            out.write_str("\"")
        });
    }
}

/// A JSON string: `s` in quotes, escaped.
fn write_str(out: &mut Writer<'_>, s: &str) -> fmt::Result {
    out.write_str("\"")?;
    Escaper(out).write_str(s)?;
    out.write_str("\"")
}

/// Escapes text for the inside of a JSON string as serde_json does: `"`, `\` and the C0
/// controls (the short forms `\b \t \n \f \r`, `\u00xx` for the rest); everything else,
/// DEL and non-ASCII included, is copied as it is, in runs between the bytes to escape.
struct Escaper<'w, 'a>(&'w mut Writer<'a>);

impl fmt::Write for Escaper<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut rest = s;
        while let Some(i) = Escapes::Json.first(rest.as_bytes()) {
            // `i` is at an ASCII byte, so both slices end on character boundaries.
            self.0.write_str(&rest[..i])?;
            let b = rest.as_bytes()[i];
            let mut unicode = *b"\\u0000";
            let escaped = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\x08' => "\\b",
                b'\t' => "\\t",
                b'\n' => "\\n",
                b'\x0c' => "\\f",
                b'\r' => "\\r",
                _ => {
                    unicode[4] = HEX[usize::from(b >> 4)];
                    unicode[5] = HEX[usize::from(b & 0xf)];
                    std::str::from_utf8(&unicode).map_err(|_| fmt::Error)?
                }
            };
            self.0.write_str(escaped)?;
            rest = &rest[i + 1..];
        }
        self.0.write_str(rest)
    }
}
