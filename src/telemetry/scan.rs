//! Finding the first byte a log format must escape, eight bytes at a time.
//!
//! Most of a log line is text with nothing to escape (uids, names, kinds, field names); a
//! byte-by-byte scan of it was the largest single cost of the JSON line. Each 8-byte word is
//! tested at once with the usual bit tricks ("has a zero byte", "has a byte below n"), which
//! answer exactly whether a word holds a byte of interest; the word that does is then searched
//! byte by byte.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Which bytes a format escapes.
#[derive(Clone, Copy)]
pub(super) enum Escapes {
    /// JSON strings: the C0 controls, `"` and `\`.
    Json,
    /// Rust's `Debug` of a string, where only printable ASCII other than `"` and `\` is sure
    /// to be copied as it is.
    DebugStr,
}

impl Escapes {
    fn byte(self, b: u8) -> bool {
        let json = b < 0x20 || b == b'"' || b == b'\\';
        match self {
            Self::Json => json,
            Self::DebugStr => json || b >= 0x7f,
        }
    }

    /// Whether the word holds a byte of interest (never a false "no").
    fn word(self, x: u64) -> bool {
        let has_zero = |v: u64| v.wrapping_sub(LO) & !v & HI != 0;
        let below_space = x.wrapping_sub(LO * 0x20) & !x & HI != 0;
        let json = below_space || has_zero(x ^ (LO * 0x22)) || has_zero(x ^ (LO * 0x5c));
        match self {
            Self::Json => json,
            Self::DebugStr => json || x & HI != 0 || has_zero(x ^ (LO * 0x7f)),
        }
    }

    /// The index of the first byte of `bytes` to escape.
    pub(super) fn first(self, bytes: &[u8]) -> Option<usize> {
        let mut clean = 0;
        for chunk in bytes.chunks_exact(8) {
            let word = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default());
            if self.word(word) {
                break;
            }
            clean += 8;
        }
        bytes[clean..]
            .iter()
            .position(|&b| self.byte(b))
            .map(|i| clean + i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The word-wise scan finds the same byte as a plain scan, for any bytes.
        #[test]
        fn finds_the_first_byte_a_plain_scan_finds(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..40)) {
            for e in [Escapes::Json, Escapes::DebugStr] {
                proptest::prop_assert_eq!(e.first(&bytes), bytes.iter().position(|&b| e.byte(b)));
            }
        }

        /// Mostly clean text with one byte of interest somewhere.
        #[test]
        fn finds_a_lone_byte(pos in 0usize..40, b in proptest::num::u8::ANY) {
            let mut bytes = vec![b'a'; 40];
            bytes[pos] = b;
            for e in [Escapes::Json, Escapes::DebugStr] {
                proptest::prop_assert_eq!(e.first(&bytes), bytes.iter().position(|&b| e.byte(b)));
            }
        }
    }
}
