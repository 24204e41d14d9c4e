//! The plain log line, written straight into the line buffer.
//!
//! Output is byte for byte that of tracing-subscriber's default `Full` format without ANSI
//! colours: `<timestamp> <LEVEL> <target>: <message> <field>=<value> ...`. Levels, targets,
//! integers, booleans and plain-ASCII strings are copied without going through `fmt::Debug`
//! or `fmt::Arguments`; the message is scanned once for the control characters the default
//! format escapes. Values that only `Debug` or `Display` can render (`%x`, `?x`, floats,
//! strings needing escapes) are written by them, exactly as tracing-subscriber does.
//!
//! Events that this fast path does not cover are handed to tracing-subscriber's own
//! formatter: lines with colours (a terminal), events inside a span, and records that came
//! from the `log` crate.

use std::error::Error;
use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{Format, Full, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use super::clock::{Clock, SystemClock, write_timestamp};
use super::scan::Escapes;

/// tracing-subscriber's default plain format, faster for the lines a server writes.
#[derive(Debug)]
pub struct PlainLine<C = SystemClock, T = SystemTime> {
    clock: C,
    fallback: Format<Full, T>,
}

impl PlainLine {
    /// The format `serve` logs with: the system clock.
    pub fn new() -> Self {
        Self::with_clock(SystemClock, SystemTime)
    }
}

impl Default for PlainLine {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Clock, T: FormatTime> PlainLine<C, T> {
    /// Stamps lines with `clock`; lines handed to tracing-subscriber's formatter are stamped by
    /// `timer`, which must render the same instant (tests fix both).
    pub fn with_clock(clock: C, timer: T) -> Self {
        Self {
            clock,
            fallback: tracing_subscriber::fmt::format().with_timer(timer),
        }
    }
}

impl<S, N, C, T> FormatEvent<S, N> for PlainLine<C, T>
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
        if writer.has_ansi_escapes() || !super::is_simple(ctx, event) {
            return self.fallback.format_event(ctx, writer, event);
        }
        let meta = event.metadata();
        write_timestamp(&mut writer, self.clock.now())?;
        writer.write_str(" ")?;
        writer.write_str(level(meta.level()))?;
        writer.write_str(meta.target())?;
        writer.write_str(": ")?;
        let mut fields = Fields {
            sanitize: writer.sanitizes_ansi_escapes(),
            out: &mut writer,
            first: true,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_str("\n")
    }
}

/// The level as the default format pads it, with the space that follows it.
fn level(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "TRACE ",
        Level::DEBUG => "DEBUG ",
        Level::INFO => " INFO ",
        Level::WARN => " WARN ",
        Level::ERROR => "ERROR ",
    }
}

/// Writes an event's fields as tracing-subscriber's `DefaultVisitor` does (without colours).
struct Fields<'w, 'a> {
    out: &'w mut Writer<'a>,
    sanitize: bool,
    first: bool,
    result: fmt::Result,
}

impl Fields<'_, '_> {
    /// Starts a field: the separating space and, for all but the message, `name=`.
    fn start(&mut self, field: &Field) -> fmt::Result {
        if self.first {
            self.first = false;
        } else {
            self.out.write_str(" ")?;
        }
        let name = field.name();
        if name == "message" {
            return Ok(());
        }
        self.out
            .write_str(name.strip_prefix("r#").unwrap_or(name))?;
        self.out.write_str("=")
    }

    fn write(&mut self, field: &Field, value: impl FnOnce(&mut Self) -> fmt::Result) {
        if self.result.is_ok() {
            self.result = self.start(field).and_then(|()| value(self));
        }
    }

    /// A message given as text, escaped like [`Self::message`].
    fn message_str(&mut self, message: &str) -> fmt::Result {
        if self.sanitize {
            Sanitizer(&mut *self.out).write_str(message)
        } else {
            self.out.write_str(message)
        }
    }

    /// A message, escaping terminal control characters if the writer asks for it.
    fn message(&mut self, message: fmt::Arguments<'_>) -> fmt::Result {
        match (message.as_str(), self.sanitize) {
            (Some(s), true) => Sanitizer(&mut *self.out).write_str(s),
            (Some(s), false) => self.out.write_str(s),
            (None, true) => Sanitizer(&mut *self.out).write_fmt(message),
            (None, false) => self.out.write_fmt(message),
        }
    }
}

impl Visit for Fields<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.write(field, |f| {
            if field.name() == "message" {
                f.message_str(value)
            } else if Escapes::DebugStr.first(value.as_bytes()).is_none() {
                // `Debug` of a string with nothing to escape: the string in quotes.
                f.out.write_str("\"")?;
                f.out.write_str(value)?;
                f.out.write_str("\"")
            } else {
                write!(f.out, "{value:?}")
            }
        });
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.write(field, |f| {
            f.out.write_str(itoa::Buffer::new().format(value))
        });
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.write(field, |f| {
            f.out.write_str(itoa::Buffer::new().format(value))
        });
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.write(field, |f| {
            f.out.write_str(if value { "true" } else { "false" })
        });
    }

    fn record_error(&mut self, field: &Field, value: &(dyn Error + 'static)) {
        self.write(field, |f| {
            f.message(format_args!("{value}"))?;
            let Some(mut source) = value.source() else {
                return Ok(());
            };
            let name = field.name();
            write!(f.out, " {name}.sources=[")?;
            loop {
                f.message(format_args!("{source}"))?;
                match source.source() {
                    Some(next) => {
                        f.out.write_str(", ")?;
                        source = next;
                    }
                    None => return f.out.write_char(']'),
                }
            }
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.write(field, |f| {
            if field.name() == "message" {
                f.message(format_args!("{value:?}"))
            } else {
                write!(f.out, "{value:?}")
            }
        });
    }
}

/// Escapes the terminal control characters that tracing-subscriber escapes in messages and
/// errors (ESC, BEL, BS, FF, DEL and the C1 controls), copying everything else in runs.
struct Sanitizer<'w, 'a>(&'w mut Writer<'a>);

impl fmt::Write for Sanitizer<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Every character escaped is one of these bytes or starts with 0xc2 (U+0080..U+009F).
        if !s
            .bytes()
            .any(|b| matches!(b, 0x1b | 0x07 | 0x08 | 0x0c | 0x7f | 0xc2))
        {
            return self.0.write_str(s);
        }
        let mut run = 0;
        for (i, ch) in s.char_indices() {
            let escaped = match ch {
                '\x1b' | '\x07' | '\x08' | '\x0c' | '\x7f' | '\u{80}'..='\u{9f}' => ch,
                _ => continue,
            };
            self.0.write_str(&s[run..i])?;
            match escaped {
                '\x1b' => self.0.write_str("\\x1b")?,
                '\x07' => self.0.write_str("\\x07")?,
                '\x08' => self.0.write_str("\\x08")?,
                '\x0c' => self.0.write_str("\\x0c")?,
                '\x7f' => self.0.write_str("\\x7f")?,
                c1 => write!(self.0, "\\u{{{:x}}}", u32::from(c1))?,
            }
            run = i + ch.len_utf8();
        }
        self.0.write_str(&s[run..])
    }
}
