//! Plain text helpers that every layer may use and that use nothing of ours: durations, counts
//! and times for people, display widths and truncation, neutralizing untrusted control
//! characters, latency bars and CSV cells. Times and durations are nanoseconds (`i64`).

mod score;
pub use score::{maybe_score_cell, score_cell, spark};

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

/// Bytes for people: `32.0 KiB`, `110.4 MiB`, `2.00 GiB`.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn human_bytes(b: u64) -> String {
    let b = b as f64;
    if b < 1024.0 * 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / (1024.0 * 1024.0))
    } else {
        format!("{:.2} GiB", b / (1024.0 * 1024.0 * 1024.0))
    }
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

/// US dollars for people: `$12`, `$1.25`, `$0.0031`, `$0.000023` (two significant digits
/// under a dollar, so a cheap call does not read as free).
#[must_use]
#[allow(clippy::cast_possible_truncation)]
pub fn usd(v: f64) -> String {
    if v <= 0.0 || !v.is_finite() {
        "$0".into()
    } else if v >= 100.0 {
        format!("${v:.0}")
    } else if v >= 1.0 {
        format!("${v:.2}")
    } else {
        // the digits after the point up to the second significant one
        let decimals = (1 - v.log10().floor() as i32).clamp(2, 12) as usize;
        format!("${v:.decimals$}")
    }
}

/// A cost for people: the priced calls' sum in USD, `+` after it when some calls have no
/// price, `unpriced` when none has one, `—` when there were no calls with usage.
#[must_use]
pub fn cost_cell(usd_sum: Option<f64>, unpriced: u64) -> String {
    match (usd_sum, unpriced) {
        (Some(c), 0) => usd(c),
        (Some(c), _) => format!("{}+", usd(c)),
        (None, 0) => "—".into(),
        (None, _) => "unpriced".into(),
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

/// The longest prefix of `s` at most `max` columns wide.
fn head_cols(s: &str, max: usize) -> &str {
    let mut w = 0;
    for (i, c) in s.char_indices() {
        w += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w > max {
            return &s[..i];
        }
    }
    s
}

/// The longest suffix of `s` at most `max` columns wide.
fn tail_cols(s: &str, max: usize) -> &str {
    let mut w = 0;
    for (i, c) in s.char_indices().rev() {
        w += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w > max {
            return &s[i + c.len_utf8()..];
        }
    }
    s
}

/// Cut a name (a step, a trace, a model, a value) to at most `max` columns so that what tells
/// it apart stays: names that share a head (`ChatAdapter.format`, `ChatAdapter.parse`) differ at
/// the end, so the cut is made inside, not at the end. The last `.`, `/` or `:` segment is kept
/// whole when a head of at least a third of the room is left beside it
/// (`SummarizeWithSo….forward`); otherwise two thirds of the room go to the head and one to the
/// tail (`ChatAd…mat`). Control characters are neutralized (see [`neutralize`]).
#[must_use]
pub fn cut_name(s: &str, max: usize) -> String {
    let s = &*neutralize(s, false);
    if width(s) <= max {
        return s.to_string();
    }
    if max <= 1 {
        return "…".repeat(max);
    }
    let room = max - 1;
    let segment = s
        .rfind(['.', '/', ':'])
        .filter(|&i| i > 0 && i + 1 < s.len())
        .map(|i| &s[i..]);
    if let Some(tail) = segment
        && width(tail) + room.div_ceil(3) <= room
    {
        return format!("{}…{tail}", head_cols(s, room - width(tail)));
    }
    let head = head_cols(s, room - room / 3);
    let tail = tail_cols(s, room - width(head));
    format!("{head}…{tail}")
}

/// [`cut_name`] for names shown together (the rows of a table, each with its room): names
/// that differ stay different when cut (see [`cut_distinct`]). A last segment that another of
/// the names ends with too (`.forward` of `Predict.forward` and `ReAct.forward`) tells neither
/// apart, so such a name is cut at the end instead (`Predict(GenerateSearch…`).
#[must_use]
pub fn cut_names(names: &[(&str, usize)]) -> Vec<String> {
    let segments: Vec<Option<&str>> = names
        .iter()
        .map(|&(s, _)| s.rfind(['.', '/', ':']).filter(|&i| i > 0).map(|i| &s[i..]))
        .collect();
    // per last segment: the first name that ends with it, and whether a different one does too
    let mut ends: std::collections::HashMap<&str, (&str, bool)> = std::collections::HashMap::new();
    for (seg, &(n, _)) in segments.iter().zip(names) {
        if let Some(seg) = seg {
            ends.entry(seg)
                .and_modify(|(first, shared)| *shared |= *first != n)
                .or_insert((n, false));
        }
    }
    let first: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, &(n, w))| {
            let shared = segments[i].is_some_and(|seg| ends[seg].1);
            if shared {
                truncate(n, w)
            } else {
                cut_name(n, w)
            }
        })
        .collect();
    repair(names, first)
}

/// Names shown together, each cut by `cut` to its room, and then, where two different names
/// would look alike, each cut again to show a little of its head and then the place where it
/// differs from the other (`gpt-4o-mini-2024` and `gpt-4o-mini` cut at the end in 10 columns:
/// `gpt-…-2024`, `gpt-4o…ini`).
#[must_use]
pub fn cut_distinct(names: &[(&str, usize)], cut: impl Fn(&str, usize) -> String) -> Vec<String> {
    repair(names, names.iter().map(|&(n, w)| cut(n, w)).collect())
}

/// `out` (the cuts of `names`), with the cuts that make different names alike cut again.
/// Linear in the names but for sorting each set of different names cut alike: a table of
/// thousands of rows, most of them one name, is repaired at once.
fn repair(names: &[(&str, usize)], mut out: Vec<String>) -> Vec<String> {
    let plain: Vec<std::borrow::Cow<'_, str>> =
        names.iter().map(|&(n, _)| neutralize(n, false)).collect();
    let mut alike: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    for (i, cut) in out.iter().enumerate() {
        alike.entry(cut.as_str()).or_default().push(i);
    }
    let mut again = Vec::new();
    for group in alike.values().filter(|g| g.len() > 1) {
        let mut different: Vec<&str> = group.iter().map(|&i| &*plain[i]).collect();
        different.sort_unstable();
        different.dedup();
        if different.len() < 2 {
            continue;
        }
        // the longest head a name shares with another is the one it shares with a neighbour
        // in sorted order
        let head = |k: usize| {
            let before = k
                .checked_sub(1)
                .map(|j| common_head(different[k], different[j]));
            let after = different
                .get(k + 1)
                .map(|next| common_head(different[k], next));
            before.max(after).unwrap_or(0)
        };
        let heads: std::collections::HashMap<&str, usize> = (0..different.len())
            .map(|k| (different[k], head(k)))
            .collect();
        again.extend(group.iter().map(|&i| (i, heads[&*plain[i]])));
    }
    for (i, at) in again {
        out[i] = cut_at_difference(&plain[i], at, names[i].1);
    }
    out
}

/// How many bytes of head `a` and `b` share (at a character boundary).
fn common_head(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or_else(|| a.len().min(b.len()), |((i, _), _)| i)
}

/// `s` in `max` columns showing a short head, then from byte `at` (where it differs from a
/// name it would be confused with) on, cut at the end if need be. A name that ends where the
/// other goes on is cut inside, so that its end shows.
fn cut_at_difference(s: &str, at: usize, max: usize) -> String {
    if max < 4 || at == 0 {
        return truncate(s, max);
    }
    if at >= s.len() {
        return cut_name(s, max);
    }
    let rest = &s[at..];
    let short = (max / 5).max(1);
    if width(rest) + 1 + short <= max {
        return format!("{}…{rest}", head_cols(s, max - 1 - width(rest)));
    }
    let head = head_cols(s, short);
    if head.len() >= at {
        // the difference is in the head: a plain cut at the end shows it
        return truncate(s, max);
    }
    let room = max - width(head) - 1;
    format!("{head}…{}…", head_cols(rest, room - 1))
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

/// A round duration as a ruler labels it: `0`, `250µs`, `2.5ms`, `500ms`, `1s`, `1.5s`, `2m`,
/// `1m30s` (no trailing zeros, unlike [`human_dur`], whose figures keep a fixed precision).
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn tick_label(ns: i64) -> String {
    let trim = |x: f64| {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    match ns {
        0 => "0".into(),
        n if n < 1_000 => format!("{n}ns"),
        n if n < 1_000_000 => format!("{}µs", trim(n as f64 / 1e3)),
        n if n < 1_000_000_000 => format!("{}ms", trim(n as f64 / 1e6)),
        n if n < 60_000_000_000 => format!("{}s", trim(n as f64 / 1e9)),
        n => {
            let s = n / 1_000_000_000;
            match (s / 3600, s / 60 % 60, s % 60) {
                (0, m, 0) => format!("{m}m"),
                (0, m, s) => format!("{m}m{s:02}s"),
                (h, 0, _) => format!("{h}h"),
                (h, m, _) => format!("{h}h{m:02}m"),
            }
        }
    }
}

/// The round steps a ruler may use: 1, 2 and 5 times a power of ten below a second, then
/// seconds, minutes and hours that people count in.
fn tick_steps() -> impl Iterator<Item = i64> {
    const SECONDS: [i64; 17] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200,
    ];
    let below_second = (0..9).flat_map(|e| [1, 2, 5].map(|m| m * 10i64.pow(e)));
    let seconds = SECONDS.iter().map(|s| s * 1_000_000_000);
    let days = (0..40).map(|k| 86_400_000_000_000i64.saturating_mul(1 << k));
    below_second.chain(seconds).chain(days)
}

/// The ticks of a time ruler over `[0, total]` drawn in `cells` columns, as (time, column):
/// the finest round step (see [`tick_label`]) whose labels leave at least two blank columns
/// between them. The column of time `t` is the cell a [`bar`] starting at `t` starts in. A
/// label that would run past the last column is left out.
#[must_use]
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn ticks(total: i64, cells: usize) -> Vec<(i64, usize)> {
    if total <= 0 || cells == 0 {
        return Vec::new();
    }
    let col = |t: i64| (i128::from(t) * cells as i128 / i128::from(total)) as usize;
    for step in tick_steps() {
        let mut out: Vec<(i64, usize)> = Vec::new();
        let mut free = 0;
        let mut fits = true;
        let mut t = 0i64;
        while t <= total {
            let c = col(t);
            let w = width(&tick_label(t));
            if c < free {
                fits = false;
                break;
            }
            if c + w <= cells {
                out.push((t, c));
            }
            free = c + w + 2;
            t = match t.checked_add(step) {
                Some(next) => next,
                None => break,
            };
        }
        if fits {
            return out;
        }
    }
    vec![(0, 0)]
}

/// A time ruler of exactly `cells` columns: the [`ticks`] labels, each at its column.
#[must_use]
pub fn ruler(total: i64, cells: usize) -> String {
    let mut out = String::new();
    let mut at = 0;
    for (t, c) in ticks(total, cells) {
        out.push_str(&" ".repeat(c.saturating_sub(at)));
        let label = tick_label(t);
        at = c.max(at) + width(&label);
        out.push_str(&label);
    }
    out.push_str(&" ".repeat(cells.saturating_sub(at)));
    out
}

/// `parts` joined by `sep` in at most `max` columns. When they do not fit, the parts of the
/// smallest weight go first (ties: the later one), the order is kept and each run of left-out
/// parts shows as one `…`; down to one part, the marks go before the part does. `None` when
/// even the heaviest part alone is wider than `max` (a part is never cut).
#[must_use]
pub fn join_fitting(parts: &[(String, i64)], sep: &str, max: usize) -> Option<String> {
    let mut keep: Vec<bool> = vec![true; parts.len()];
    // by weight, smallest first: the order in which parts are left out
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by_key(|&i| (parts[i].1, std::cmp::Reverse(i)));
    let join = |keep: &[bool]| {
        let mut items: Vec<&str> = Vec::new();
        for (i, (p, _)) in parts.iter().enumerate() {
            if keep[i] {
                items.push(p);
            } else if items.last() != Some(&"…") {
                items.push("…");
            }
        }
        items.join(sep)
    };
    // more parts than could ever fit in `max` go at once
    let most = max / (width(sep) + 2) + 1;
    let mut next = parts.len().saturating_sub(most);
    for &i in &order[..next] {
        keep[i] = false;
    }
    loop {
        let s = join(&keep);
        if width(&s) <= max {
            return Some(s);
        }
        if next + 1 >= parts.len() {
            // one part left: without the marks, or not at all
            let last = &parts[*order.last()?].0;
            return (width(last) <= max).then(|| last.clone());
        }
        keep[order[next]] = false;
        next += 1;
    }
}

/// Where a request's time went, in one line of at most `max` columns: each step of its
/// critical path as `name time share%` (name, nanoseconds, percent), in path order, joined by
/// arrows; when they do not fit, the steps with the least time are left out first (see
/// [`join_fitting`]). `None` when there is no step, or the step with the most time alone does
/// not fit.
#[must_use]
pub fn critical_line(steps: &[(&str, i64, f64)], max: usize) -> Option<String> {
    if steps.is_empty() {
        return None;
    }
    let parts: Vec<(String, i64)> = steps
        .iter()
        .map(|&(name, t, pct)| {
            (
                format!("{} {} {pct:.0}%", neutralize(name, false), human_dur(t)),
                t,
            )
        })
        .collect();
    join_fitting(&parts, " → ", max)
}

/// `s` broken into rows of at most `width` columns, as byte ranges, the rows after the first
/// `indent` columns narrower (the caller indents them): after the last space that fits (the
/// spaces at a break are dropped), or at the width when a word is longer than a row. Leading
/// indentation stays on the first row. An empty `s` is one empty row.
#[must_use]
pub fn wrap(s: &str, width: usize, indent: usize) -> Vec<std::ops::Range<usize>> {
    let mut rows = Vec::new();
    let mut start = 0;
    loop {
        let width = if rows.is_empty() {
            width
        } else {
            width.saturating_sub(indent)
        }
        .max(1);
        let rest = &s[start..];
        // the longest prefix of `rest` that fits, and the last break point in it
        let mut w = 0;
        let mut end = rest.len();
        let mut last_space = None;
        let mut seen_text = start > 0;
        for (i, c) in rest.char_indices() {
            let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if w + cw > width {
                end = i;
                break;
            }
            if c == ' ' && seen_text {
                last_space = Some(i);
            } else if c != ' ' {
                seen_text = true;
            }
            w += cw;
        }
        if end == rest.len() {
            rows.push(start..s.len());
            return rows;
        }
        let next_is_space = rest[end..].starts_with(' ');
        let cut = match last_space {
            _ if next_is_space => end,
            Some(sp) => sp,
            // a character wider than the row still moves on
            None => end.max(rest.chars().next().map_or(1, char::len_utf8)),
        };
        rows.push(start..start + rest[..cut].trim_end_matches(' ').len());
        start += cut;
        start += s[start..].len() - s[start..].trim_start_matches(' ').len();
        if start >= s.len() {
            return rows;
        }
    }
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
    fn bytes_read_as_kib_mib_or_gib() {
        assert_eq!(human_bytes(32 << 10), "32.0 KiB");
        assert_eq!(human_bytes(110 << 20), "110.0 MiB");
        assert_eq!(human_bytes(2 << 30), "2.00 GiB");
    }

    #[test]
    fn scores_as_a_sparkline_over_their_own_range() {
        assert_eq!(spark(&[Some(100.0), Some(0.0), None, Some(50.0)]), "█▁ ▅");
        assert_eq!(
            spark(&[Some(25.0), Some(25.0)]),
            "▄▄",
            "equal scores sit mid-height"
        );
        assert_eq!(spark(&[]), "");
    }

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
    fn names_are_cut_inside_keeping_what_tells_them_apart() {
        assert_eq!(cut_name("ChatAdapter.format", 40), "ChatAdapter.format");
        assert_eq!(cut_name("ChatAdapter.format", 14), "ChatAd….format");
        assert_eq!(cut_name("ChatAdapter.parse", 14), "ChatAda….parse");
        // too little room for the whole last segment: two thirds head, one third tail
        assert_eq!(cut_name("ChatAdapter.format", 10), "ChatAd…mat");
        assert_eq!(cut_name("ChatAdapter.parse", 10), "Cha….parse");
        assert_eq!(
            cut_name("SummarizeWithSources.forward", 24),
            "SummarizeWithSo….forward"
        );
        assert_eq!(cut_name("openai/gpt-4o-mini", 12), "openai/g…ini");
        for w in 0..30 {
            let c = cut_name("Predict(GenerateSearchQuery).forward", w);
            assert!(width(&c) <= w, "{c:?} in {w}");
        }
        assert_eq!(cut_name("abc", 1), "…");
        assert_eq!(cut_name("abc", 0), "");
        assert_eq!(cut_name("東京都庁.forward", 9), "東京都…rd");
        assert_eq!(cut_name("東京都庁.forward", 13), "東京….forward");
        assert_eq!(cut_name("a\u{1b}[2Jbcdefgh", 6), "a␛[2…h");
    }

    /// `cut_names` as first written, comparing every name with every other (quadratic).
    fn cut_names_pairwise(names: &[(&str, usize)]) -> Vec<String> {
        let seg = |s: &str| {
            s.rfind(['.', '/', ':'])
                .filter(|&i| i > 0)
                .map(|i| s[i..].to_string())
        };
        let mut out: Vec<String> = names
            .iter()
            .map(|&(n, w)| {
                let shared =
                    seg(n).is_some() && names.iter().any(|&(m, _)| seg(m) == seg(n) && m != n);
                if shared {
                    truncate(n, w)
                } else {
                    cut_name(n, w)
                }
            })
            .collect();
        let plain: Vec<String> = names
            .iter()
            .map(|&(n, _)| neutralize(n, false).into())
            .collect();
        let again: Vec<(usize, usize)> = (0..names.len())
            .filter_map(|i| {
                (0..names.len())
                    .filter(|&j| out[j] == out[i] && plain[j] != plain[i])
                    .map(|j| common_head(&plain[i], &plain[j]))
                    .max()
                    .map(|at| (i, at))
            })
            .collect();
        for (i, at) in again {
            out[i] = cut_at_difference(&plain[i], at, names[i].1);
        }
        out
    }

    #[test]
    fn names_cut_together_are_cut_as_by_comparing_every_pair() {
        let heads = [
            "Predict(Generate",
            "ChatAdapter",
            "東京都庁",
            "rag_qa",
            "multihop_qa",
        ];
        let tails = [
            ".forward",
            ".parse",
            "SearchQuery).forward",
            "Answer).forward",
            "",
            "_v2",
        ];
        let mut names = Vec::new();
        for (i, h) in heads.iter().enumerate() {
            for (j, t) in tails.iter().enumerate() {
                // each name a few times, in an order that is neither sorted nor grouped
                for _ in 0..=(i + j) % 3 {
                    names.push(format!("{h}{t}"));
                }
            }
        }
        names.rotate_left(7);
        for w in [4, 6, 9, 12, 16, 24, 40] {
            let items: Vec<(&str, usize)> = names.iter().map(|n| (n.as_str(), w)).collect();
            assert_eq!(cut_names(&items), cut_names_pairwise(&items), "{w} columns");
        }
    }

    #[test]
    fn names_cut_together_stay_distinct() {
        let names = [
            "Predict(GenerateSearchQuery).forward",
            "Predict(GenerateAnswer).forward",
            "Predict(GenerateAnswer).forward",
            "ChatAdapter.format",
            "ChatAdapter.parse",
        ];
        for w in [12, 16, 20, 24, 30] {
            let items: Vec<(&str, usize)> = names.iter().map(|n| (*n, w)).collect();
            let cut = cut_names(&items);
            for (i, a) in cut.iter().enumerate() {
                assert!(width(a) <= w, "{a:?} in {w}");
                for (j, b) in cut.iter().enumerate() {
                    assert_eq!(a == b, names[i] == names[j], "{w}: {a:?} vs {b:?}");
                }
            }
        }
        // names that share their last segment are cut at the end, the others inside
        let items: Vec<(&str, usize)> = names.iter().map(|n| (*n, 20)).collect();
        assert_eq!(
            cut_names(&items)[..2],
            ["Predict(GenerateSea…", "Predict(GenerateAns…"]
        );
        let items: Vec<(&str, usize)> = names[3..].iter().map(|n| (*n, 14)).collect();
        assert_eq!(cut_names(&items), ["ChatAd….format", "ChatAda….parse"]);
        // where the cut makes them alike: a little head, then where they differ
        let items: Vec<(&str, usize)> = names.iter().map(|n| (*n, 12)).collect();
        assert_eq!(cut_names(&items)[..2], ["Pr…SearchQu…", "Pr…Answer).…"]);
        // names that fit are left alone
        assert_eq!(cut_names(&[("a.b", 10), ("a.c", 10)]), ["a.b", "a.c"]);
        // any cut, repaired where it makes two different names alike
        assert_eq!(
            cut_distinct(&[("gpt-4o-mini-2024", 10), ("gpt-4o-mini", 10)], truncate),
            ["gpt-…-2024", "gpt-4o…ini"]
        );
        // a shared last segment is not worth the room
        assert_eq!(
            cut_names(&[
                ("ChainOfThought.forward", 10),
                ("MultiHopRAG.forward", 10),
                ("ReAct.forward", 10)
            ]),
            ["ChainOfTh…", "MultiHopR…", "ReAct.for…"]
        );
        assert_eq!(
            cut_names(&[
                ("ChainOfThought.forward", 10),
                ("ChainOfThought.forward", 10)
            ]),
            ["ChainO…ard", "ChainO…ard"],
            "one name alone is cut as cut_name cuts it"
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

    #[test]
    fn ruler_labels_are_round() {
        assert_eq!(tick_label(0), "0");
        assert_eq!(tick_label(250_000), "250µs");
        assert_eq!(tick_label(2_500_000), "2.5ms");
        assert_eq!(tick_label(500_000_000), "500ms");
        assert_eq!(tick_label(1_000_000_000), "1s");
        assert_eq!(tick_label(1_500_000_000), "1.5s");
        assert_eq!(tick_label(120_000_000_000), "2m");
        assert_eq!(tick_label(90_000_000_000), "1m30s");
        assert_eq!(tick_label(7_200_000_000_000), "2h");
        assert_eq!(tick_label(300), "300ns");
    }

    #[test]
    fn ruler_ticks_are_the_finest_round_step_whose_labels_do_not_touch() {
        const S: i64 = 1_000_000_000;
        const MS: i64 = 1_000_000;
        // 1.95 s on 40 columns: 500 ms steps; 250 ms would crowd "250ms" and "500ms"
        let t = ticks(1_950 * MS, 40);
        assert_eq!(t, vec![(0, 0), (500 * MS, 10), (S, 20), (1_500 * MS, 30)]);
        assert_eq!(
            ruler(1_950 * MS, 40),
            format!("{:<10}{:<10}{:<10}{:<10}", "0", "500ms", "1s", "1.5s")
        );
        // wider: finer steps
        let wide = ticks(1_950 * MS, 120);
        assert_eq!(wide[1].0, 200 * MS);
        // a label that would run past the end is left out, not cut
        let t = ticks(1_000 * MS, 24);
        assert!(
            t.iter().all(|&(v, c)| c + width(&tick_label(v)) <= 24),
            "{t:?}"
        );
        assert_eq!(t.last().map(|x| x.0), Some(500 * MS));
        // labels never touch, whatever the width and total
        for total in [
            1,
            999,
            12_345,
            7 * MS,
            595 * MS,
            61 * S,
            3 * 3600 * S,
            i64::MAX / 2,
        ] {
            for cells in [1, 8, 13, 31, 50, 200] {
                let t = ticks(total, cells);
                assert!(!t.is_empty(), "{total} {cells}");
                for w in t.windows(2) {
                    assert!(
                        w[0].1 + width(&tick_label(w[0].0)) + 2 <= w[1].1,
                        "{total} {cells} {t:?}"
                    );
                }
                assert_eq!(width(&ruler(total, cells)), cells, "{total} {cells}");
            }
        }
        assert!(ticks(0, 40).is_empty());
        assert!(ticks(100, 0).is_empty());
    }

    #[test]
    fn joined_parts_leave_out_the_lightest_first() {
        let parts: Vec<(String, i64)> = [
            ("Retrieve 1.80s 92%", 92),
            ("a 1%", 1),
            ("DummyLM 151ms 8%", 8),
        ]
        .iter()
        .map(|(s, w)| ((*s).to_string(), *w))
        .collect();
        let steps = [
            ("Retrieve", 1_800_000_000, 92.1),
            ("DummyLM", 151_000_000, 7.7),
        ];
        assert_eq!(
            critical_line(&steps, 80).unwrap(),
            "Retrieve 1.80s 92% → DummyLM 151ms 8%"
        );
        assert_eq!(critical_line(&[], 80), None);
        let fit = |max| join_fitting(&parts, " → ", max);
        assert_eq!(
            fit(100).unwrap(),
            "Retrieve 1.80s 92% → a 1% → DummyLM 151ms 8%"
        );
        assert_eq!(
            fit(41).unwrap(),
            "Retrieve 1.80s 92% → … → DummyLM 151ms 8%"
        );
        assert_eq!(fit(22).unwrap(), "Retrieve 1.80s 92% → …");
        assert_eq!(fit(20).unwrap(), "Retrieve 1.80s 92%");
        assert_eq!(fit(17), None, "a part is never cut");
        assert_eq!(join_fitting(&[], " → ", 10).as_deref(), Some(""));
        // a run of left-out parts is one mark
        let many: Vec<(String, i64)> = (0..50)
            .map(|i| (format!("s{i}"), i64::from(i % 7)))
            .collect();
        let s = join_fitting(&many, " ", 30).unwrap();
        assert!(width(&s) <= 30 && !s.contains("… …"), "{s}");
        assert!(
            s.starts_with("… s6 … s13 "),
            "the heaviest stay, the first of equals: {s}"
        );
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_long_words() {
        let rows = |s: &str, w: usize| -> Vec<String> {
            wrap(s, w, 0)
                .into_iter()
                .map(|r| s[r].to_string())
                .collect()
        };
        assert_eq!(
            rows("the quick brown fox", 10),
            vec!["the quick", "brown fox"]
        );
        assert_eq!(rows("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(rows("", 4), vec![""]);
        assert_eq!(rows("fits", 4), vec!["fits"]);
        // indentation is kept on the first row and is not a break point
        assert_eq!(rows("    \"key\": 1", 8), vec!["    \"key", "\": 1"]);
        // wide characters count two columns
        assert_eq!(rows("日本語です", 4), vec!["日本", "語で", "す"]);
        assert_eq!(rows("a  b", 1), vec!["a", "b"]);
        // rows after the first leave room for an indent
        let hanging: Vec<&str> = wrap("one two three four", 9, 4)
            .into_iter()
            .map(|r| &"one two three four"[r])
            .collect();
        assert_eq!(hanging, vec!["one two", "three", "four"]);
    }

    #[test]
    fn dollars_keep_two_significant_digits_under_a_dollar() {
        assert_eq!(super::usd(0.0), "$0");
        assert_eq!(super::usd(0.000_022_5), "$0.000023");
        assert_eq!(super::usd(0.003_14), "$0.0031");
        assert_eq!(super::usd(0.25), "$0.25");
        assert_eq!(super::usd(1.256), "$1.26");
        assert_eq!(super::usd(1234.5), "$1234");
    }

    #[test]
    fn scores_show_as_short_numbers_with_their_label() {
        assert_eq!(score_cell(1.0, None), "1");
        assert_eq!(score_cell(0.0, Some("fail")), "0 fail");
        assert_eq!(score_cell(2.0 / 3.0, None), "0.67");
        assert_eq!(score_cell(0.5, Some("")), "0.5");
        assert_eq!(score_cell(-0.001, None), "0");
        assert_eq!(score_cell(0.9, Some("re\nlevant")), "0.9 re␊levant");
    }
}
