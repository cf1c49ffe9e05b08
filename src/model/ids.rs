//! Trace and span ids as the index keeps them: the usual hex ids (a 32-digit trace id, a 16-digit
//! span id) as their binary value, any other id (a dashed UUID, upper case, `step-3`) as interned
//! text, and a span id equal to its trace's id (the root of a request line) as just that. Each
//! prints back exactly as the producer wrote it ([`IdStr`]).

use super::intern::Sym;
use std::fmt;
use std::ops::Deref;

/// A trace id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraceId {
    /// 32 lowercase hex digits: the value's high and low halves (two `u64`s rather than a
    /// `u128`, whose alignment would double what an id costs in a row or a map).
    Hex { hi: u64, lo: u64 },
    /// Any other id, interned.
    Text(Sym),
}

impl TraceId {
    /// The id of 32 hex digits worth `value`.
    #[must_use]
    pub fn hex(value: u128) -> Self {
        // the two halves of a u128: each fits
        TraceId::Hex {
            hi: u64::try_from(value >> 64).unwrap_or(u64::MAX),
            lo: u64::try_from(value & u128::from(u64::MAX)).unwrap_or(u64::MAX),
        }
    }
}

/// A span id (or a parent id), as compared within its trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpanId {
    /// 16 lowercase hex digits.
    Hex(u64),
    /// Any other id, interned.
    Text(Sym),
    /// The same text as its trace's id.
    Trace,
}

/// The value of each byte as a lowercase hex digit; 0xff for any other byte.
const DIGIT: [u8; 256] = {
    let mut t = [0xff; 256];
    let mut i = 0;
    while i < 16 {
        t[b"0123456789abcdef"[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// The value of up to 16 lowercase hex digits.
fn hex64(digits: &[u8]) -> Option<u64> {
    let mut v = 0u64;
    let mut bad = 0u8;
    for &b in digits {
        let d = DIGIT[usize::from(b)];
        bad |= d;
        v = v << 4 | u64::from(d & 0xf);
    }
    // a byte that is no digit has its high bits set
    (bad & 0xf0 == 0).then_some(v)
}

/// The value of `s` when it is exactly `N` lowercase hex digits (N at most 32).
#[must_use]
pub fn hex_value<const N: usize>(s: &str) -> Option<u128> {
    let b = s.as_bytes();
    if b.len() != N || N > 32 {
        return None;
    }
    let split = N.saturating_sub(16);
    let hi = hex64(&b[..split])?;
    let lo = hex64(&b[split..])?;
    Some(u128::from(hi) << 64 | u128::from(lo))
}

/// How a trace id `s` is kept when it is hex; `None`: it is kept as text.
#[must_use]
pub fn trace_hex(s: &str) -> Option<TraceId> {
    hex_value::<32>(s).map(TraceId::hex)
}

/// How a span id `s` of the trace whose id is `trace` is kept, unless it is text.
#[must_use]
pub fn span_hex(s: &str, trace: &str) -> Option<SpanId> {
    if s == trace {
        return Some(SpanId::Trace);
    }
    hex_value::<16>(s).map(|v| SpanId::Hex(u64::try_from(v).unwrap_or_default()))
}

/// An id as text, without allocating: hex digits formatted on the stack, or the interned text.
#[derive(Clone, Copy)]
pub struct IdStr<'a>(Repr<'a>);

#[derive(Clone, Copy)]
enum Repr<'a> {
    Hex { digits: [u8; 32], len: u8 },
    Text(&'a str),
}

impl<'a> IdStr<'a> {
    /// `value` as `len` lowercase hex digits (len at most 32).
    #[must_use]
    pub fn hex(value: u128, len: u8) -> Self {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut digits = [b'0'; 32];
        let n = usize::from(len.min(32));
        for (i, d) in digits[..n].iter_mut().rev().enumerate() {
            *d = DIGITS[((value >> (4 * i)) & 0xf) as usize];
        }
        IdStr(Repr::Hex { digits, len })
    }

    #[must_use]
    pub fn text(s: &'a str) -> Self {
        IdStr(Repr::Text(s))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // hex digits are ASCII
            Repr::Hex { digits, len } => {
                std::str::from_utf8(&digits[..usize::from(*len)]).unwrap_or_default()
            }
            Repr::Text(s) => s,
        }
    }
}

impl Deref for IdStr<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for IdStr<'_> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for IdStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for IdStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq<str> for IdStr<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for IdStr<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<IdStr<'_>> for String {
    fn from(id: IdStr<'_>) -> String {
        id.as_str().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_lowercase_hex_of_the_width_is_a_value() {
        let id = "46685257bdd640fb06671ad11c80317f";
        assert_eq!(
            trace_hex(id),
            Some(TraceId::Hex {
                hi: 0x4668_5257_bdd6_40fb,
                lo: 0x0667_1ad1_1c80_317f
            })
        );
        assert_eq!(size_of::<TraceId>(), 24);
        for text in [
            "46685257BDD640FB06671AD11C80317F",
            "46685257-bdd6-40fb-0667-1ad11c80317f",
            "46685257bdd640fb06671ad11c80317",
            "46685257bdd640fb06671ad11c80317f0",
            "g6685257bdd640fb06671ad11c80317f",
            "",
        ] {
            assert_eq!(trace_hex(text), None, "{text}");
        }
        assert_eq!(
            span_hex("00f067aa0ba902b7", id),
            Some(SpanId::Hex(0x00f0_67aa_0ba9_02b7))
        );
        assert_eq!(span_hex(id, id), Some(SpanId::Trace));
        assert_eq!(span_hex("step-1", "t"), None);
        assert_eq!(span_hex("t", "t"), Some(SpanId::Trace));
        assert_eq!(span_hex("00F067AA0BA902B7", id), None);
    }

    #[test]
    fn every_byte_that_is_no_lowercase_hex_digit_makes_text() {
        for b in 0..=127u8 {
            let mut id = *b"00f067aa0ba902b7";
            id[9] = b;
            let Ok(s) = std::str::from_utf8(&id) else {
                continue;
            };
            let digit = b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
            assert_eq!(hex_value::<16>(s).is_some(), digit, "{b}");
            if digit {
                assert_eq!(IdStr::hex(hex_value::<16>(s).unwrap_or(0), 16).as_str(), s);
            }
        }
        assert_eq!(hex_value::<16>("00f067aa0ba902é"), None);
    }

    #[test]
    fn a_hex_id_prints_back_as_written() {
        for id in [
            "46685257bdd640fb06671ad11c80317f",
            "00000000000000000000000000000001",
            "ffffffffffffffffffffffffffffffff",
        ] {
            let Some(TraceId::Hex { hi, lo }) = trace_hex(id) else {
                panic!("{id} is hex")
            };
            let v = u128::from(hi) << 64 | u128::from(lo);
            assert_eq!(IdStr::hex(v, 32).as_str(), id);
        }
        let Some(SpanId::Hex(v)) = span_hex("00f067aa0ba902b7", "t") else {
            panic!("hex")
        };
        let s = IdStr::hex(u128::from(v), 16);
        assert_eq!(s, "00f067aa0ba902b7");
        assert_eq!(
            format!("{s:>18}|{s:?}"),
            "  00f067aa0ba902b7|\"00f067aa0ba902b7\""
        );
        assert_eq!(String::from(IdStr::text("Step-1")), "Step-1");
    }
}
