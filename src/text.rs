//! Plain text helpers that every layer may use and that use nothing of ours: durations, counts
//! and times for people, display widths and truncation, neutralizing untrusted control
//! characters, latency bars and CSV cells. Times and durations are nanoseconds (`i64`).

use chrono::{DateTime, Local, SecondsFormat, Utc};

/// How to print times in human formats.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeFmt {
    pub utc: bool,
}

impl TimeFmt {
    /// `2026-11-21 05:37:00.047` in local time (or UTC with a `Z`).
    #[must_use]
    pub fn human(self, ns: i64) -> String {
        let dt = DateTime::<Utc>::from_timestamp_nanos(ns);
        if self.utc {
            dt.format("%Y-%m-%d %H:%M:%S%.3fZ").to_string()
        } else {
            dt.with_timezone(&Local)
                .format("%Y-%m-%d %H:%M:%S%.3f")
                .to_string()
        }
    }
}

/// RFC 3339 UTC with as many sub-second digits as needed.
#[must_use]
pub fn rfc3339(ns: i64) -> String {
    DateTime::<Utc>::from_timestamp_nanos(ns).to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A duration for people: `850µs`, `12.3ms`, `597ms`, `2.31s`, `1m03s`.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn human_dur(ns: i64) -> String {
    let ms = ns as f64 / 1e6;
    if ns < 1_000_000 {
        format!("{}µs", ns / 1000)
    } else if ms < 100.0 {
        format!("{ms:.1}ms")
    } else if ms < 1000.0 {
        format!("{ms:.0}ms")
    } else if ms < 60_000.0 {
        format!("{:.2}s", ms / 1000.0)
    } else {
        let s = ns / 1_000_000_000;
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// Token counts for people: `1.2k`, `4155`.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn human_count(n: u64) -> String {
    if n >= 1_000_000 {
        format!("{:.1}M", n as f64 / 1e6)
    } else if n >= 10_000 {
        format!("{:.1}k", n as f64 / 1e3)
    } else {
        n.to_string()
    }
}

/// A milliseconds value for machine formats, exact to the nanosecond.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn ms(ns: i64) -> f64 {
    ns as f64 / 1e6
}

/// Round for display in machine formats where float noise helps nobody.
#[must_use]
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Display width of a string (wide CJK and emoji count two).
#[must_use]
pub fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Text from traces is untrusted: control characters (newlines, ESC sequences) are shown as
/// Unicode control pictures so they can neither break a row nor act on the terminal.
/// `keep_lines` keeps `\n` and `\t` (for multi-line texts such as prompts).
#[must_use]
pub fn neutralize(s: &str, keep_lines: bool) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| c.is_control() && !(keep_lines && (c == '\n' || c == '\t'));
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    s.chars()
        .map(|c| match c {
            c if !bad(c) => c,
            '\u{7f}' => '\u{2421}',
            c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
            _ => '\u{fffd}',
        })
        .collect()
}

/// Cut `s` to at most `max` display columns, marking the cut with `…`; control characters are
/// neutralized (see [`neutralize`]).
#[must_use]
pub fn truncate(s: &str, max: usize) -> String {
    let s = &*neutralize(s, false);
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw + 1 > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// A bar of `cells` columns for `[offset, offset + dur)` on a `total` axis, with eighth-block
/// precision at both ends.
#[must_use]
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
pub fn bar(offset: i64, dur: i64, total: i64, cells: usize) -> String {
    if total <= 0 || cells == 0 {
        return " ".repeat(cells);
    }
    let scale = (cells * 8) as f64 / total as f64;
    let a = ((offset.max(0) as f64) * scale).round() as usize;
    let b = (((offset + dur.max(0)).max(0) as f64) * scale).round() as usize;
    let a = a.min(cells * 8 - 1);
    let b = b.clamp(a + 1, cells * 8);
    let mut out = String::with_capacity(cells * 3);
    for c in 0..cells {
        let lo = c * 8;
        let hi = lo + 8;
        let covered_from = a.max(lo);
        let covered_to = b.min(hi);
        if covered_to <= covered_from {
            out.push(' ');
        } else if covered_from == lo && covered_to == hi {
            out.push('█');
        } else if covered_from == lo {
            out.push(['▏', '▎', '▍', '▌', '▋', '▊', '▉'][covered_to - lo - 1]);
        } else {
            // starts inside the cell: a right-anchored partial block does not exist; use a
            // full cell when the span reaches its end, else the closest left block.
            out.push(if covered_to == hi { '▐' } else { '▌' });
        }
    }
    out
}

/// A CSV cell for an optional value: empty when there is none.
#[must_use]
pub fn csv_cell<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// One CSV record (RFC 4180 quoting). Control characters other than line breaks and tabs are
/// neutralized (see [`neutralize`]): a CSV is read on terminals too.
#[must_use]
pub fn csv_line(cells: &[String]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| {
            let c = neutralize(c, true);
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.into_owned()
            }
        })
        .collect();
    quoted.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_for_people() {
        assert_eq!(human_dur(850_000), "850µs");
        assert_eq!(human_dur(12_345_678), "12.3ms");
        assert_eq!(human_dur(597_379_000), "597ms");
        assert_eq!(human_dur(2_310_000_000), "2.31s");
        assert_eq!(human_dur(63_000_000_000), "1m03s");
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        let cells = vec!["a".to_string(), "b,c".into(), "say \"hi\"".into()];
        assert_eq!(csv_line(&cells), r#"a,"b,c","say ""hi""""#);
    }

    #[test]
    fn truncation_marks_the_cut_and_neutralizes() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(truncate("a\nb\u{1b}[2J", 20), "a\u{240a}b\u{241b}[2J");
        assert_eq!(
            neutralize("line1\nline2\u{7}", true),
            "line1\nline2\u{2407}"
        );
    }

    #[test]
    fn rfc3339_keeps_needed_digits() {
        assert_eq!(
            rfc3339(1_795_239_420_047_000_000),
            "2026-11-21T05:37:00.047Z"
        );
        assert_eq!(rfc3339(1_795_239_420_000_000_000), "2026-11-21T05:37:00Z");
    }
}
