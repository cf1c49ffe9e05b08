//! `spanscope sessions`: the conversations of [`crate::analysis::sessions`] as a table, JSON,
//! JSON lines or CSV; with `--session ID`, one conversation's transcript.

use super::{Paint, Table, Tone};
use crate::analysis::sessions::{Conversation, TurnText};
use crate::model::{Nanodollars, Store, Tokens, TraceStatus};
use crate::text::{
    TimeFmt, csv_cell, csv_line, human_count, human_dur, ms, neutralize, rfc3339, truncate,
};
use serde::Serialize;
use std::io::{self, Write};

/// Output formats of `sessions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SessionsFormat {
    Table,
    Json,
    Jsonl,
    Csv,
}

/// One conversation in the output contract (`sessions --format json|jsonl`).
#[derive(Debug, Serialize)]
pub struct SessionJson {
    pub session: String,
    pub turns: usize,
    pub start: String,
    pub duration_ms: f64,
    pub tokens: Option<Tokens>,
    /// USD, the calls with a price; null when none has one.
    pub cost: Option<f64>,
    pub unpriced_calls: u32,
    /// Turns whose request failed.
    pub errors: u32,
    pub running: u32,
    /// The first turn's input.
    pub first_question: Option<String>,
    /// The turns' trace ids, in the order they started.
    pub traces: Vec<String>,
}

impl SessionJson {
    #[must_use]
    pub fn new(store: &Store, c: &Conversation, first: Option<&str>) -> Self {
        SessionJson {
            session: store.str(c.session).to_string(),
            turns: c.turns.len(),
            start: rfc3339(c.start),
            duration_ms: ms(c.duration),
            tokens: c.tokens,
            cost: c.cost.map(Nanodollars::usd),
            unpriced_calls: c.unpriced,
            errors: c.errors,
            running: c.running,
            first_question: first.map(str::to_string),
            traces: c
                .turns
                .iter()
                .map(|&t| store.trace_id(t).to_string())
                .collect(),
        }
    }
}

/// The table's columns: (header, right-aligned).
const COLUMNS: [(&str, bool); 8] = [
    ("SESSION", false),
    ("TURNS", true),
    ("START", false),
    ("DURATION", true),
    ("TOKENS", true),
    ("COST", true),
    ("ERRORS", true),
    ("FIRST QUESTION", false),
];

/// Print `convs` (with their first questions, `firsts`) in `format`.
///
/// # Errors
/// Writing fails.
pub fn print(
    store: &Store,
    convs: &[Conversation],
    firsts: &[Option<String>],
    format: SessionsFormat,
    paint: Paint,
    tf: TimeFmt,
    out: &mut impl Write,
) -> io::Result<()> {
    let rows = convs
        .iter()
        .zip(firsts)
        .map(|(c, f)| SessionJson::new(store, c, f.as_deref()));
    match format {
        SessionsFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &rows.collect::<Vec<_>>())?;
            writeln!(out)
        }
        SessionsFormat::Jsonl => {
            for r in rows {
                serde_json::to_writer(&mut *out, &r)?;
                writeln!(out)?;
            }
            Ok(())
        }
        SessionsFormat::Csv => {
            writeln!(
                out,
                "session,turns,start,duration_ms,total_tokens,cost,unpriced_calls,errors,running,first_question"
            )?;
            for r in rows {
                let cells = [
                    r.session,
                    r.turns.to_string(),
                    r.start,
                    r.duration_ms.to_string(),
                    csv_cell(r.tokens.map(|t| t.total)),
                    csv_cell(r.cost),
                    r.unpriced_calls.to_string(),
                    r.errors.to_string(),
                    r.running.to_string(),
                    r.first_question.unwrap_or_default(),
                ];
                writeln!(out, "{}", csv_line(&cells))?;
            }
            Ok(())
        }
        SessionsFormat::Table => {
            let mut t = Table::new(&COLUMNS).painted(paint);
            for (c, f) in convs.iter().zip(firsts) {
                let tones = if c.errors > 0 {
                    vec![(6, Tone::Error)]
                } else {
                    Vec::new()
                };
                t.row_toned(cells(store, c, f.as_deref(), tf), tones);
            }
            t.write(out)
        }
    }
}

/// A conversation's cells, as the table (and the explorer's list) shows them.
#[must_use]
pub fn cells(store: &Store, c: &Conversation, first: Option<&str>, tf: TimeFmt) -> Vec<String> {
    vec![
        truncate(&neutralize(store.str(c.session), false), 40),
        c.turns.len().to_string(),
        tf.human(c.start),
        human_dur(c.duration),
        c.tokens
            .map_or_else(|| "-".into(), |k| human_count(k.total)),
        crate::text::cost_cell(c.cost.map(Nanodollars::usd), u64::from(c.unpriced)),
        c.errors.to_string(),
        truncate(&neutralize(first.unwrap_or("-"), false), 60),
    ]
}

/// One turn of a transcript in the output contract (`sessions --session ID --format json`).
#[derive(Debug, Serialize)]
pub struct TurnJson {
    pub trace_id: String,
    pub start: String,
    /// From the conversation's start.
    pub offset_ms: f64,
    pub duration_ms: f64,
    pub status: &'static str,
    pub input: Option<String>,
    pub answer: Option<String>,
    pub error: Option<String>,
}

/// The transcript of `c` (its `turns`): a heading per turn, then what was asked and answered;
/// or its JSON (`{session, turns: [...]}`, one turn per line for JSON lines and CSV).
///
/// # Errors
/// Writing fails.
pub fn print_transcript(
    store: &Store,
    c: &Conversation,
    turns: &[TurnText],
    format: SessionsFormat,
    paint: Paint,
    out: &mut impl Write,
) -> io::Result<()> {
    let json = turns.iter().map(|t| TurnJson {
        trace_id: store.trace_id(t.trace).to_string(),
        start: rfc3339(c.start + t.offset),
        offset_ms: ms(t.offset),
        duration_ms: ms(t.duration),
        status: t.status.as_str(),
        input: t.input.clone(),
        answer: t.answer.clone(),
        error: t.error.clone(),
    });
    match format {
        SessionsFormat::Json => {
            let doc = serde_json::json!({
                "session": store.str(c.session),
                "turns": json.collect::<Vec<_>>(),
            });
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)
        }
        SessionsFormat::Jsonl => {
            for t in json {
                serde_json::to_writer(&mut *out, &t)?;
                writeln!(out)?;
            }
            Ok(())
        }
        SessionsFormat::Csv => {
            writeln!(
                out,
                "trace_id,start,offset_ms,duration_ms,status,input,answer,error"
            )?;
            for t in json {
                let cells = [
                    t.trace_id,
                    t.start,
                    t.offset_ms.to_string(),
                    t.duration_ms.to_string(),
                    t.status.to_string(),
                    t.input.unwrap_or_default(),
                    t.answer.unwrap_or_default(),
                    t.error.unwrap_or_default(),
                ];
                writeln!(out, "{}", csv_line(&cells))?;
            }
            Ok(())
        }
        SessionsFormat::Table => {
            let head = format!(
                "conversation {} · {} turns · {}",
                neutralize(store.str(c.session), false),
                turns.len(),
                human_dur(c.duration)
            );
            writeln!(out, "{}", paint.tone(Tone::Bold, &head))?;
            for (n, t) in turns.iter().enumerate() {
                let tone = match t.status {
                    TraceStatus::Error => Tone::Error,
                    TraceStatus::Running => Tone::Warn,
                    TraceStatus::Ok => Tone::Ok,
                };
                writeln!(
                    out,
                    "\n{} {}",
                    paint.tone(Tone::Bold, &turn_title(store, t, n)),
                    paint.tone(tone, t.status.as_str())
                )?;
                for (label, text) in t.blocks() {
                    writeln!(out, "{}", paint.tone(Tone::Accent, label))?;
                    for line in neutralize(&text, true).lines() {
                        writeln!(out, "  {line}")?;
                    }
                }
            }
            Ok(())
        }
    }
}

/// A turn's heading: `2 · +1.2s · 340ms · trace 4bf92f35…`.
#[must_use]
pub fn turn_title(store: &Store, t: &TurnText, n: usize) -> String {
    format!(
        "{} · +{} · {} · trace {}",
        n + 1,
        human_dur(t.offset),
        human_dur(t.duration),
        truncate(store.trace_id(t.trace).as_ref(), 16)
    )
}
