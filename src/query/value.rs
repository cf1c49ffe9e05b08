//! The value after an operator, read as what its field wants: a duration, a token count, a whole
//! number, a percentage, `|`-separated alternatives or text. Numbers are exact decimals, so
//! `1.0000000005s` rounds to the nanosecond without float noise.

use super::error::{QueryError, error};
use super::lexer::{Op, TChar, text};
use std::fmt;

/// The value part of a `field op value` clause.
pub(super) struct Value<'a> {
    pub(super) chars: &'a [TChar],
    /// Source index where the value starts (just after the operator).
    pub(super) start: usize,
    /// Source index one past the end of the token.
    pub(super) end: usize,
    /// Field and operator as written, e.g. `dur>=`.
    pub(super) lead: String,
    pub(super) op: Op,
    /// The value is missing but more text follows after whitespace
    /// (`status: error`).
    pub(super) space_after: bool,
}

impl Value<'_> {
    /// Whether anything (even `""`) was written after the operator.
    fn written(&self) -> bool {
        self.start < self.end
    }

    fn text(&self) -> String {
        text(self.chars)
    }

    /// Source position and length of the whole value.
    fn whole(&self) -> (usize, usize) {
        (self.start, self.end - self.start)
    }

    /// Source position and length of `chars[a..b]`.
    fn span_of(&self, a: usize, b: usize) -> (usize, usize) {
        match self.chars.get(a) {
            Some(first) => {
                let end = self.chars.get(b).map_or(self.end, |c| c.idx);
                (first.idx, end.saturating_sub(first.idx))
            }
            None => self.whole(),
        }
    }

    fn err_whole(&self, message: impl Into<String>) -> QueryError {
        let (idx, len) = self.whole();
        error(idx, len, message)
    }

    fn err_span(&self, a: usize, b: usize, message: impl Into<String>) -> QueryError {
        let (idx, len) = self.span_of(a, b);
        error(idx, len, message)
    }

    /// Error for a value that was not written at all.
    fn missing(&self, what: &str, extra_hint: Option<String>) -> QueryError {
        let mut message = format!("expected {what} after \"{}\"", self.lead);
        if self.space_after {
            message.push_str(&format!(
                " (remove the space after \"{}\")",
                self.op.as_str()
            ));
        } else if let Some(hint) = extra_hint {
            message.push_str(&format!(" ({hint})"));
        }
        error(self.start, 1, message)
    }

    fn not_a(&self, what: &str) -> QueryError {
        self.err_whole(format!("expected {what} after \"{}\"", self.lead))
    }

    /// A text value, lowercased. An explicitly quoted empty string is allowed.
    pub(super) fn text_value(&self, extra_hint: Option<String>) -> Result<String, QueryError> {
        if !self.written() {
            return Err(self.missing("a value", extra_hint));
        }
        Ok(self.text().to_lowercase())
    }

    /// Leading decimal number; returns it and the index where the suffix
    /// starts.
    fn number(&self, what: &str) -> Result<(Decimal, usize), QueryError> {
        if !self.written() {
            return Err(self.missing(what, None));
        }
        let n = self
            .chars
            .iter()
            .take_while(|c| c.ch.is_ascii_digit() || c.ch == '.')
            .count();
        let num = &self.chars[..n];
        if !num.iter().any(|c| c.ch.is_ascii_digit()) {
            return Err(self.not_a(what));
        }
        match Decimal::parse(num) {
            Some(d) => Ok((d, n)),
            None => Err(self.err_span(0, n, format!("invalid number \"{}\"", text(num)))),
        }
    }

    pub(super) fn duration(&self) -> Result<i64, QueryError> {
        let (num, n) = self.number("a number")?;
        let unit = text(&self.chars[n..]);
        let mult: u128 = match unit.to_lowercase().as_str() {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "" | "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(self.err_span(
                    n,
                    self.chars.len(),
                    format!("unknown unit \"{unit}\" in duration (use ns, us, ms, s, m, h)"),
                ));
            }
        };
        num.scale(mult)
            .and_then(|v| i64::try_from(v).ok())
            .ok_or_else(|| self.err_whole("duration is too large"))
    }

    pub(super) fn tokens(&self) -> Result<u64, QueryError> {
        let (num, n) = self.number("a number")?;
        let suffix = text(&self.chars[n..]);
        let mult: u128 = match suffix.to_lowercase().as_str() {
            "" => 1,
            "k" => 1_000,
            "m" => 1_000_000,
            _ => {
                return Err(self.err_span(
                    n,
                    self.chars.len(),
                    format!("unknown suffix \"{suffix}\" in token count (use k or m)"),
                ));
            }
        };
        num.scale(mult)
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| self.err_whole("token count is too large"))
    }

    /// A cost in USD (`0.01`, `$0.01`), as nano-USD.
    pub(super) fn cost(&self) -> Result<u64, QueryError> {
        if !self.written() {
            return Err(self.missing("a cost in USD", None));
        }
        let skip = usize::from(self.chars.first().is_some_and(|c| c.ch == '$'));
        let digits = &self.chars[skip..];
        let n = digits
            .iter()
            .take_while(|c| c.ch.is_ascii_digit() || c.ch == '.')
            .count();
        if !digits[..n].iter().any(|c| c.ch.is_ascii_digit()) {
            return Err(self.not_a("a cost in USD"));
        }
        if n < digits.len() {
            return Err(self.err_span(
                skip + n,
                self.chars.len(),
                format!(
                    "unexpected \"{}\" in a cost: write it in USD (cost>0.01 or cost>$0.01)",
                    text(&digits[n..])
                ),
            ));
        }
        Decimal::parse(&digits[..n])
            .ok_or_else(|| self.err_span(skip, skip + n, "invalid number"))?
            .scale(1_000_000_000)
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| self.err_whole("cost is too large"))
    }

    /// A score: a number, negative ones too (`-1`, `0.5`).
    pub(super) fn score(&self) -> Result<f64, QueryError> {
        let minus = usize::from(self.chars.first().is_some_and(|c| c.ch == '-'));
        let digits = &self.chars[minus..];
        let n = digits
            .iter()
            .take_while(|c| c.ch.is_ascii_digit() || c.ch == '.')
            .count();
        if !self.written() || !digits[..n].iter().any(|c| c.ch.is_ascii_digit()) {
            return Err(self.not_a("a score (a number such as 0.5)"));
        }
        if n < digits.len() {
            return Err(self.err_span(
                minus + n,
                self.chars.len(),
                format!("unexpected \"{}\" after the score", text(&digits[n..])),
            ));
        }
        match text(&self.chars[..minus + n]).parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.err_span(0, minus + n, "invalid number")),
        }
    }

    pub(super) fn whole_number(&self) -> Result<u64, QueryError> {
        const WHAT: &str = "a whole number";
        if !self.written() {
            return Err(self.missing(WHAT, None));
        }
        if self.chars.is_empty() || !self.chars.iter().all(|c| c.ch.is_ascii_digit()) {
            return Err(self.not_a(WHAT));
        }
        self.text()
            .parse::<u64>()
            .map_err(|_| self.err_whole("number is too large"))
    }

    pub(super) fn percentage(&self) -> Result<f64, QueryError> {
        let (_, n) = self.number("a percentage")?;
        let rest = text(&self.chars[n..]);
        if !rest.is_empty() && rest != "%" {
            return Err(self.err_span(
                n,
                self.chars.len(),
                format!("unexpected \"{rest}\" after the percentage (only \"%\" is allowed)"),
            ));
        }
        match text(&self.chars[..n]).parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.err_whole("percentage is too large")),
        }
    }

    /// `|`-separated alternatives, each parsed with `parse`; deduplicated.
    pub(super) fn alternatives<T: Copy + PartialEq, E: fmt::Display>(
        &self,
        what: &str,
        example: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Vec<T>, QueryError> {
        if !self.written() {
            return Err(self.missing(what, None));
        }
        let has_bar = self.chars.iter().any(|c| c.ch == '|');
        let mut out = Vec::new();
        let mut seg_start = 0;
        for i in 0..=self.chars.len() {
            if i < self.chars.len() && self.chars[i].ch != '|' {
                continue;
            }
            let seg = &self.chars[seg_start..i];
            if seg.is_empty() && has_bar {
                let at = if i < self.chars.len() { i } else { i - 1 };
                return Err(self.err_span(
                    at,
                    at + 1,
                    format!(
                        "empty alternative in \"{}{}\" (e.g. {example})",
                        self.lead,
                        self.text()
                    ),
                ));
            }
            match parse(&text(seg)) {
                Ok(v) => {
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
                Err(e) => return Err(self.err_span(seg_start, i, e.to_string())),
            }
            seg_start = i + 1;
        }
        Ok(out)
    }
}

/// An exact non-negative decimal number (`12`, `1.5`, `.5`, `5.`).
#[derive(Debug, Clone, Copy)]
struct Decimal {
    /// Integer part (saturating; overflow is reported when scaling).
    int: u128,
    frac: u128,
    frac_digits: u32,
}

impl Decimal {
    /// Fractional digits beyond this are ignored (far below 1ns / 1 token).
    const MAX_FRAC_DIGITS: u32 = 18;

    /// Parses chars that are all ASCII digits or `.`; `None` if there is more
    /// than one `.`.
    fn parse(chars: &[TChar]) -> Option<Decimal> {
        let mut d = Decimal {
            int: 0,
            frac: 0,
            frac_digits: 0,
        };
        let mut seen_dot = false;
        for c in chars {
            if c.ch == '.' {
                if seen_dot {
                    return None;
                }
                seen_dot = true;
                continue;
            }
            let digit = u128::from(c.ch.to_digit(10)?);
            if !seen_dot {
                d.int = d.int.saturating_mul(10).saturating_add(digit);
            } else if d.frac_digits < Self::MAX_FRAC_DIGITS {
                d.frac = d.frac * 10 + digit;
                d.frac_digits += 1;
            }
        }
        Some(d)
    }

    /// `self * mult`, rounded to the nearest integer (halves round up).
    /// `mult` must be below 10^20 so the fraction cannot overflow.
    fn scale(self, mult: u128) -> Option<u128> {
        let pow = 10u128.pow(self.frac_digits);
        let frac = (self.frac * mult + pow / 2) / pow;
        self.int.checked_mul(mult)?.checked_add(frac)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Outcome;
    use crate::query::ast::{Cmp, Term};
    use crate::query::parser::tests::{NS_MS, NS_S, fail, span_term, term};

    #[test]
    fn dur_all_comparison_operators() {
        assert_eq!(term("dur>2s"), Term::Dur(Cmp::Gt, 2 * NS_S));
        assert_eq!(term("dur>=500ms"), Term::Dur(Cmp::Ge, 500 * NS_MS));
        assert_eq!(term("dur<1.5s"), Term::Dur(Cmp::Lt, 1_500 * NS_MS));
        assert_eq!(term("dur<=90"), Term::Dur(Cmp::Le, 90 * NS_MS));
        assert_eq!(term("dur=100ms"), Term::Dur(Cmp::Eq, 100 * NS_MS));
    }

    #[test]
    fn dur_units() {
        assert_eq!(term("dur>7ns"), Term::Dur(Cmp::Gt, 7));
        assert_eq!(term("dur>7us"), Term::Dur(Cmp::Gt, 7_000));
        assert_eq!(term("dur>7µs"), Term::Dur(Cmp::Gt, 7_000)); // micro sign
        assert_eq!(term("dur>7μs"), Term::Dur(Cmp::Gt, 7_000)); // greek mu
        assert_eq!(term("dur>7ms"), Term::Dur(Cmp::Gt, 7 * NS_MS));
        assert_eq!(term("dur>7s"), Term::Dur(Cmp::Gt, 7 * NS_S));
        assert_eq!(term("dur>7m"), Term::Dur(Cmp::Gt, 7 * 60 * NS_S));
        assert_eq!(term("dur>7h"), Term::Dur(Cmp::Gt, 7 * 3600 * NS_S));
    }

    #[test]
    fn dur_bare_number_is_milliseconds() {
        assert_eq!(term("dur<=90"), Term::Dur(Cmp::Le, 90 * NS_MS));
        assert_eq!(term("dur>0"), Term::Dur(Cmp::Gt, 0));
        assert_eq!(term("dur>2.5"), Term::Dur(Cmp::Gt, 2_500_000));
    }

    #[test]
    fn dur_decimals_and_rounding() {
        assert_eq!(term("dur<1.5s"), Term::Dur(Cmp::Lt, 1_500_000_000));
        assert_eq!(term("dur>.5s"), Term::Dur(Cmp::Gt, 500_000_000));
        assert_eq!(term("dur>5.s"), Term::Dur(Cmp::Gt, 5 * NS_S));
        assert_eq!(term("dur>0.1h"), Term::Dur(Cmp::Gt, 360 * NS_S));
        // Exact decimal arithmetic: halves round up, no float noise.
        assert_eq!(term("dur>1.0000000005s"), Term::Dur(Cmp::Gt, 1_000_000_001));
        assert_eq!(term("dur>1.0000000004s"), Term::Dur(Cmp::Gt, 1_000_000_000));
        assert_eq!(term("dur>1.5ns"), Term::Dur(Cmp::Gt, 2));
        assert_eq!(term("dur>0.4ns"), Term::Dur(Cmp::Gt, 0));
        assert_eq!(term("dur>1.1ms"), Term::Dur(Cmp::Gt, 1_100_000));
    }

    #[test]
    fn dur_unknown_unit_points_at_unit() {
        let e = fail("dur>2sx");
        assert_eq!(
            e.message,
            "unknown unit \"sx\" in duration (use ns, us, ms, s, m, h)"
        );
        assert_eq!((e.column, e.len), (6, 2));
        assert_eq!(
            fail("dur>2sec").message,
            "unknown unit \"sec\" in duration (use ns, us, ms, s, m, h)"
        );
    }

    #[test]
    fn dur_missing_or_bad_number() {
        let e = fail("dur>");
        assert_eq!(e.message, "expected a number after \"dur>\"");
        assert_eq!((e.column, e.len), (5, 1));

        let e = fail("status:ok dur>=abc");
        assert_eq!(e.message, "expected a number after \"dur>=\"");
        assert_eq!((e.column, e.len), (16, 3));

        let e = fail("dur>1.2.3s");
        assert_eq!(e.message, "invalid number \"1.2.3\"");
        assert_eq!((e.column, e.len), (5, 5));

        assert_eq!(fail("dur>-5s").message, "expected a number after \"dur>\"");
        assert_eq!(fail("dur>.s").message, "expected a number after \"dur>\"");
        assert_eq!(fail("dur>inf").message, "expected a number after \"dur>\"");
    }

    #[test]
    fn dur_overflow_is_an_error() {
        assert_eq!(fail("dur>9999999h").message, "duration is too large");
        assert_eq!(
            fail("dur>99999999999999999999999999999999999999999999ns").message,
            "duration is too large"
        );
        // i64::MAX ns is ~292 years: fits.
        assert_eq!(
            term("dur<9223372036854775807ns"),
            Term::Dur(Cmp::Lt, i64::MAX)
        );
    }

    #[test]
    fn status_alternatives_are_ordered_and_deduplicated() {
        assert_eq!(
            term("status:error|running"),
            Term::Status(vec![Outcome::Error, Outcome::Running])
        );
        assert_eq!(
            term("status:running|err|failed|ok"),
            Term::Status(vec![Outcome::Running, Outcome::Error, Outcome::Ok])
        );
        assert_eq!(
            term("status:\"ok|error\""),
            Term::Status(vec![Outcome::Ok, Outcome::Error])
        );
    }

    #[test]
    fn tokens_suffixes_and_rounding() {
        assert_eq!(term("tokens>1k"), Term::Tokens(Cmp::Gt, 1_000));
        assert_eq!(term("tokens>=1500"), Term::Tokens(Cmp::Ge, 1_500));
        assert_eq!(term("tokens<2.5k"), Term::Tokens(Cmp::Lt, 2_500));
        assert_eq!(term("tokens<2.5K"), Term::Tokens(Cmp::Lt, 2_500));
        assert_eq!(term("tokens<=1m"), Term::Tokens(Cmp::Le, 1_000_000));
        assert_eq!(term("tokens=1.25M"), Term::Tokens(Cmp::Eq, 1_250_000));
        assert_eq!(term("tokens>1.0005k"), Term::Tokens(Cmp::Gt, 1_001));
        assert_eq!(term("tokens>1.0004k"), Term::Tokens(Cmp::Gt, 1_000));
        assert_eq!(term("tokens>1.5"), Term::Tokens(Cmp::Gt, 2));
    }

    #[test]
    fn tokens_errors() {
        let e = fail("tokens>1kb");
        assert_eq!(
            e.message,
            "unknown suffix \"kb\" in token count (use k or m)"
        );
        assert_eq!((e.column, e.len), (9, 2));
        assert_eq!(
            fail("tokens>lots").message,
            "expected a number after \"tokens>\""
        );
        assert_eq!(
            fail("tokens>99999999999999999999m").message,
            "token count is too large"
        );
    }

    #[test]
    fn spans_whole_numbers_only() {
        assert_eq!(term("spans>10"), Term::Spans(Cmp::Gt, 10));
        assert_eq!(term("SPANS<=3"), Term::Spans(Cmp::Le, 3));
        assert_eq!(term("spans=0"), Term::Spans(Cmp::Eq, 0));
        let e = fail("spans>1.5");
        assert_eq!(e.message, "expected a whole number after \"spans>\"");
        assert_eq!((e.column, e.len), (7, 3));
        assert_eq!(
            fail("spans>1k").message,
            "expected a whole number after \"spans>\""
        );
        assert_eq!(
            fail("spans>").message,
            "expected a whole number after \"spans>\""
        );
        assert_eq!(
            fail("spans>99999999999999999999999").message,
            "number is too large"
        );
    }

    #[test]
    fn span_pct_with_percent_sign_and_decimals() {
        assert_eq!(span_term("span.pct>25%"), Term::Pct(Cmp::Gt, 25.0));
        assert_eq!(span_term("span.pct>=12.5%"), Term::Pct(Cmp::Ge, 12.5));
        assert_eq!(span_term("span.pct<.5"), Term::Pct(Cmp::Lt, 0.5));
        let e = fail("span.pct>25x");
        assert_eq!(
            e.message,
            "unexpected \"x\" after the percentage (only \"%\" is allowed)"
        );
        assert_eq!((e.column, e.len), (12, 1));
        assert!(fail("span.pct>25%%").message.contains("\"%%\""));
        assert_eq!(
            fail("span.pct>").message,
            "expected a percentage after \"span.pct>\""
        );
    }

    #[test]
    fn scores_are_numbers_negative_ones_too() {
        assert_eq!(term("score<0.5"), Term::Score(Cmp::Lt, 0.5));
        assert_eq!(term("score>=1"), Term::Score(Cmp::Ge, 1.0));
        assert_eq!(term("score>-1"), Term::Score(Cmp::Gt, -1.0));
        assert_eq!(term("score<0.5").to_string(), "score<0.5");
        assert!(fail("score<high").message.contains("expected a score"));
        assert!(
            fail("score<1x")
                .message
                .contains("unexpected \"x\" after the score")
        );
        assert!(fail("score:1").message.contains("cannot compare numbers"));
        assert!(
            fail("span.score<1")
                .message
                .contains("\"score\" is a trace field")
        );
    }

    #[test]
    fn costs_in_usd_with_or_without_a_dollar_sign() {
        assert_eq!(term("cost>0.01"), Term::Cost(Cmp::Gt, 10_000_000));
        assert_eq!(term("cost>=$1.5"), Term::Cost(Cmp::Ge, 1_500_000_000));
        assert_eq!(span_term("span.cost<0.000001"), Term::Cost(Cmp::Lt, 1_000));
        assert_eq!(term("cost>0.01").to_string(), "cost>0.01");
        assert_eq!(term("cost=2").to_string(), "cost=2");
        assert!(
            fail("cost>cheap")
                .message
                .contains("expected a cost in USD")
        );
        assert!(
            fail("cost>1c")
                .message
                .contains("unexpected \"c\" in a cost")
        );
        assert!(fail("cost:1").message.contains("cannot compare numbers"));
    }
}
