//! Headless printers over the same store and query: `list`, `show`, `stats`. Each output format
//! has one formatter; machine formats are a contract (README "Output contract").

pub mod diff;
pub mod examples;
pub mod export;
pub mod groups;
pub mod list;
pub mod runs;
pub mod sessions;
pub mod show;
pub mod show_markdown;
pub mod show_transcript;
pub mod stats;

use crate::model::{Nanodollars, Outcome, Store, Tokens, TraceIdx};
use crate::text::{ms, rfc3339, width};
use serde::Serialize;
use std::io::{self, Write};

/// One trace in the output contract (`list --format json|jsonl`, and the head of `show`).
#[derive(Debug, Clone, Serialize)]
pub struct TraceJson {
    pub trace_id: String,
    pub name: Option<String>,
    pub start: String,
    pub duration_ms: f64,
    /// `ok`, `error` or `running`: the request's outcome.
    pub status: &'static str,
    /// The request succeeded although some of its spans failed (`status` is `ok`).
    pub recovered: bool,
    pub spans: u32,
    pub error_spans: u32,
    pub llm_calls: u32,
    pub tokens: Option<Tokens>,
    pub model: Option<String>,
    /// What the LM calls cost in USD, the ones with a price; null when none has one.
    pub cost: Option<f64>,
    /// LM calls whose cost is not known.
    pub unpriced_calls: u32,
    /// What an evaluation scored the request (the lowest it was given); null when none did.
    pub score: Option<f64>,
    /// The label that came with the score; null when none did.
    pub score_label: Option<String>,
}

impl TraceJson {
    #[must_use]
    pub fn new(store: &Store, t: TraceIdx) -> Self {
        let tr = store.trace(t);
        let s = &tr.summary;
        TraceJson {
            trace_id: store.id_str(tr.id).to_string(),
            name: s.name.map(|n| store.str(n).to_string()),
            start: rfc3339(s.start),
            duration_ms: ms(s.duration),
            status: s.status.as_str(),
            recovered: s.outcome() == Outcome::Recovered,
            spans: s.span_count,
            error_spans: s.error_spans,
            llm_calls: s.llm_calls,
            tokens: s.tokens,
            model: s.model.map(|m| store.str(m).to_string()),
            cost: s.cost.map(Nanodollars::usd),
            unpriced_calls: s.unpriced,
            score: s.score.map(|sc| sc.value),
            score_label: s
                .score
                .and_then(|sc| sc.label)
                .map(|l| store.str(l).to_string()),
        }
    }
}

/// A text table: columns sized to their widest cell; numeric columns right-aligned.
pub struct Table {
    headers: Vec<&'static str>,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
    /// Per row, the cells drawn in a tone (when painting).
    tones: Vec<Vec<(usize, Tone)>>,
    paint: Paint,
}

/// What a colored piece of headless output means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Column headers and labels.
    Bold,
    Error,
    Ok,
    /// Running, or recovered from a failed step.
    Warn,
    /// Bars.
    Accent,
}

impl Tone {
    /// The tone of a request's outcome.
    #[must_use]
    pub fn of(outcome: Outcome) -> Tone {
        match outcome {
            Outcome::Ok => Tone::Ok,
            Outcome::Error => Tone::Error,
            Outcome::Recovered | Outcome::Running => Tone::Warn,
        }
    }
}

/// Whether headless output is colored (`--color`, `NO_COLOR`, stdout a terminal): ANSI SGR
/// around a piece, added after padding so columns stay aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Paint {
    on: bool,
}

impl Paint {
    #[must_use]
    pub fn new(on: bool) -> Self {
        Paint { on }
    }

    /// `s` in `tone`, or `s` as it is when not painting.
    #[must_use]
    pub fn tone(self, tone: Tone, s: &str) -> String {
        if !self.on || s.is_empty() {
            return s.to_string();
        }
        let code = match tone {
            Tone::Bold => "1",
            Tone::Error => "31",
            Tone::Ok => "32",
            Tone::Warn => "33",
            Tone::Accent => "36",
        };
        format!("\x1b[{code}m{s}\x1b[0m")
    }
}

impl Table {
    #[must_use]
    pub fn new(cols: &[(&'static str, bool)]) -> Self {
        Table {
            headers: cols.iter().map(|c| c.0).collect(),
            right: cols.iter().map(|c| c.1).collect(),
            rows: Vec::new(),
            tones: Vec::new(),
            paint: Paint::default(),
        }
    }

    /// Color the header and the toned cells.
    #[must_use]
    pub fn painted(mut self, paint: Paint) -> Self {
        self.paint = paint;
        self
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
        self.tones.push(Vec::new());
    }

    /// A row with some cells in a tone: `(column, tone)`.
    pub fn row_toned(&mut self, cells: Vec<String>, tones: Vec<(usize, Tone)>) {
        self.rows.push(cells);
        self.tones.push(tones);
    }

    /// Write the table.
    ///
    /// # Errors
    /// Writing fails.
    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        self.write_continued(out, &mut Vec::new(), true)
    }

    /// Write the rows after rows written before (a stream): columns are as wide as the widest
    /// cell so far (`widths` carries that over), and the header is written when `header`.
    ///
    /// # Errors
    /// Writing fails.
    pub fn write_continued(
        &self,
        out: &mut impl Write,
        widths: &mut Vec<usize>,
        header: bool,
    ) -> io::Result<()> {
        let n = self.headers.len();
        widths.resize(n, 0);
        for (w, h) in widths.iter_mut().zip(&self.headers) {
            *w = (*w).max(width(h));
        }
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                widths[i] = widths[i].max(width(c));
            }
        }
        let line = |cells: &[String], tones: &[(usize, Tone)], out: &mut dyn Write| {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate().take(n) {
                let pad = widths[i].saturating_sub(width(c));
                let last = i + 1 == n;
                let shown = match tones.iter().find(|(col, _)| *col == i) {
                    Some(&(_, tone)) => self.paint.tone(tone, c),
                    None => c.clone(),
                };
                if self.right[i] {
                    s.push_str(&" ".repeat(pad));
                    s.push_str(&shown);
                } else {
                    s.push_str(&shown);
                    if !last {
                        s.push_str(&" ".repeat(pad));
                    }
                }
                if !last {
                    s.push_str("  ");
                }
            }
            writeln!(out, "{}", s.trim_end())
        };
        if header {
            let headers: Vec<String> = self.headers.iter().map(|h| (*h).to_string()).collect();
            let bold: Vec<(usize, Tone)> = (0..n).map(|i| (i, Tone::Bold)).collect();
            line(&headers, &bold, out)?;
        }
        for (r, tones) in self.rows.iter().zip(&self.tones) {
            line(r, tones, out)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let mut t = Table::new(&[("NAME", false), ("MS", true)]);
        t.row(vec!["東京".into(), "5".into()]);
        t.row(vec!["retrieve".into(), "123".into()]);
        let mut out = Vec::new();
        t.write(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "NAME       MS\n東京        5\nretrieve  123\n"
        );
    }
}
