//! `spanscope list`: one row per matching trace.

use super::show_markdown::md_escape;
use super::{Paint, Tone, TraceJson};
use crate::model::trace::TraceSummary;
use crate::model::{Outcome, Store, TraceIdx};
use crate::text::{TimeFmt, csv_line, human_count, human_dur, truncate};
use std::io::{self, Write};

/// Output formats of `list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
    Jsonl,
    Csv,
    /// A GitHub table, for pasting into an issue or a chat.
    Markdown,
}

/// Print `traces` in `format`.
///
/// # Errors
/// Writing fails.
pub fn print(
    store: &Store,
    traces: &[TraceIdx],
    format: ListFormat,
    time: TimeFmt,
    paint: Paint,
    out: &mut impl Write,
) -> io::Result<()> {
    Stream::default().print(store, traces, format, time, paint, out)
}

/// Rows printed a few at a time (`list --follow`): the header once, table columns as wide as
/// the widest cell so far.
#[derive(Debug, Default)]
pub struct Stream {
    widths: Vec<usize>,
    started: bool,
    /// The optional columns shown so far: once shown, a followed list keeps them.
    shown: Optional,
}

/// The table's columns shown only when some trace has a value for them.
#[derive(Debug, Default, Clone, Copy)]
struct Optional {
    cost: bool,
    score: bool,
}

impl Stream {
    /// Print the next `traces`.
    ///
    /// # Errors
    /// Writing fails.
    pub fn print(
        &mut self,
        store: &Store,
        traces: &[TraceIdx],
        format: ListFormat,
        time: TimeFmt,
        paint: Paint,
        out: &mut impl Write,
    ) -> io::Result<()> {
        let header = !self.started;
        self.started = true;
        let table = Rows {
            header,
            paint,
            widths: &mut self.widths,
            shown: &mut self.shown,
        };
        write_rows(store, traces, format, time, out, table)
    }
}

/// How table rows continue the ones printed before.
struct Rows<'w> {
    header: bool,
    paint: Paint,
    widths: &'w mut Vec<usize>,
    shown: &'w mut Optional,
}

fn write_rows(
    store: &Store,
    traces: &[TraceIdx],
    format: ListFormat,
    time: TimeFmt,
    out: &mut impl Write,
    rows: Rows<'_>,
) -> io::Result<()> {
    let header = rows.header;
    match format {
        ListFormat::Json => {
            let rows: Vec<TraceJson> = traces.iter().map(|&t| TraceJson::new(store, t)).collect();
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)
        }
        ListFormat::Jsonl => {
            for &t in traces {
                serde_json::to_writer(&mut *out, &TraceJson::new(store, t))?;
                writeln!(out)?;
            }
            Ok(())
        }
        ListFormat::Csv => {
            if header {
                writeln!(
                    out,
                    "trace_id,name,start,duration_ms,status,spans,error_spans,llm_calls,prompt_tokens,completion_tokens,total_tokens,model,recovered,cost,unpriced_calls,score,score_label"
                )?;
            }
            for &t in traces {
                let j = TraceJson::new(store, t);
                let cells = vec![
                    j.trace_id.clone(),
                    j.name.clone().unwrap_or_default(),
                    j.start.clone(),
                    j.duration_ms.to_string(),
                    j.status.to_string(),
                    j.spans.to_string(),
                    j.error_spans.to_string(),
                    j.llm_calls.to_string(),
                    crate::text::csv_cell(j.tokens.as_ref().map(|t| t.prompt)),
                    crate::text::csv_cell(j.tokens.as_ref().map(|t| t.completion)),
                    crate::text::csv_cell(j.tokens.as_ref().map(|t| t.total)),
                    j.model.clone().unwrap_or_default(),
                    j.recovered.to_string(),
                    crate::text::csv_cell(j.cost),
                    j.unpriced_calls.to_string(),
                    crate::text::csv_cell(j.score),
                    j.score_label.clone().unwrap_or_default(),
                ];
                writeln!(out, "{}", csv_line(&cells))?;
            }
            Ok(())
        }
        ListFormat::Table => table(store, traces, time, out, rows),
        ListFormat::Markdown => markdown(store, traces, time, out, header),
    }
}

/// A GitHub table: the human table's columns, whole (ids, names and models are not cut), numbers
/// right-aligned, `|` and Markdown's emphasis escaped so a cell stays one cell.
fn markdown(
    store: &Store,
    traces: &[TraceIdx],
    time: TimeFmt,
    out: &mut impl Write,
    header: bool,
) -> io::Result<()> {
    if header {
        writeln!(
            out,
            "| start | trace | name | status | duration | spans | LLM | tokens | model |"
        )?;
        writeln!(out, "|---|---|---|---|---:|---:|---:|---:|---|")?;
    }
    for &i in traces {
        let tr = store.trace(i);
        let s = &tr.summary;
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            time.human(s.start),
            md_escape(&store.id_str(tr.id)),
            md_escape(s.name.map_or("", |n| store.str(n))),
            status_mark(s),
            human_dur(s.duration),
            s.span_count,
            s.llm_calls,
            s.tokens
                .map_or_else(|| "—".into(), |t| human_count(t.total)),
            s.model
                .map_or_else(|| "—".into(), |m| md_escape(store.str(m))),
        )?;
    }
    Ok(())
}

/// A request's outcome in a table cell: its marker and word, and how many spans failed in a
/// request that recovered.
fn status_mark(s: &TraceSummary) -> String {
    let outcome = s.outcome();
    match outcome {
        Outcome::Recovered => format!("{} recovered ({}✗)", outcome.glyph(), s.error_spans),
        o => format!("{} {}", o.glyph(), o.as_str()),
    }
}

fn table(
    store: &Store,
    traces: &[TraceIdx],
    time: TimeFmt,
    out: &mut impl Write,
    rows: Rows<'_>,
) -> io::Result<()> {
    // what the traces cost, when some call has a price, and their scores, when some trace
    // has one (once shown, a followed list keeps the column)
    let cols_of = store.columns();
    rows.shown.cost |= traces.iter().any(|t| cols_of.cost(t.0 as usize).is_some());
    rows.shown.score |= traces.iter().any(|t| cols_of.score(t.0 as usize).is_some());
    let (costs, scores) = (rows.shown.cost, rows.shown.score);
    let mut cols = vec![
        ("START", false),
        ("TRACE", false),
        ("NAME", false),
        ("STATUS", false),
        ("DURATION", true),
        ("SPANS", true),
        ("LLM", true),
        ("TOKENS", true),
        ("MODEL", false),
    ];
    if costs {
        cols.insert(8, ("COST", true));
    }
    if scores {
        cols.insert(cols.len() - 1, ("SCORE", true));
    }
    let mut t = super::Table::new(&cols).painted(rows.paint);
    let names = crate::text::cut_names(
        &traces
            .iter()
            .map(|&i| (store.trace(i).summary.name.map_or("", |n| store.str(n)), 40))
            .collect::<Vec<_>>(),
    );
    for (&i, name) in traces.iter().zip(names) {
        let tr = store.trace(i);
        let s = &tr.summary;
        let tone = Tone::of(s.outcome());
        let mut cells = vec![
            time.human(s.start),
            truncate(&store.id_str(tr.id), 18),
            name,
            status_mark(s),
            human_dur(s.duration),
            s.span_count.to_string(),
            s.llm_calls.to_string(),
            s.tokens
                .map_or_else(|| "—".into(), |t| human_count(t.total)),
            s.model
                .map_or_else(|| "—".into(), |m| truncate(store.str(m), 28)),
        ];
        if costs {
            let usd = s.cost.map(crate::model::Nanodollars::usd);
            cells.insert(8, crate::text::cost_cell(usd, u64::from(s.unpriced)));
        }
        if scores {
            let cell = s.score.map_or_else(
                || "—".into(),
                |sc| {
                    let label = sc.label.map(|l| store.str(l));
                    truncate(&crate::text::score_cell(sc.value, label), 16)
                },
            );
            cells.insert(cells.len() - 1, cell);
        }
        t.row_toned(cells, vec![(3, tone)]);
    }
    t.write_continued(out, rows.widths, rows.header)
}
