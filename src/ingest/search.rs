//! Finding a text in what the traces said, without holding their texts: the records the index
//! points at (a file, bodies held in memory) are read back in large runs, on every core, and
//! scanned for the text's bytes as any producer may have written them (any case, JSON escapes,
//! `\uXXXX` for what is not ASCII). Only a record whose bytes contain it is decoded, through its
//! format's entry, to check that a span's texts say it (a prompt message, the response, inputs,
//! outputs, the error or an attribute value) and not a key or an id: a hit names that span and
//! field.
//!
//! A search works on a [`Corpus`], a snapshot of where the records are, so it can run on
//! another thread while the store moves on; it streams what it finds, reports its progress and
//! stops when asked.

use super::formats;
use super::texts::SpanDetail;
use crate::model::payload::{Blob, RecordFormat};
use crate::model::{SpanIdx, Store, TextField, TextHit, TextHits, TraceIdx};
use regex::bytes::Regex;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// Bytes read and scanned in one go: large reads, few calls.
const RUN: u64 = 8 << 20;
/// A gap between two records larger than this starts a new run rather than being read.
const GAP: u64 = 256 << 10;

/// A text to find: what the decoded texts must contain (lowercased), and the bytes that may
/// spell it in a record.
#[derive(Debug, Clone)]
pub struct Needle {
    lower: String,
    bytes: Regex,
}

impl Needle {
    /// The needle for `text` (any case).
    ///
    /// # Panics
    /// Never: the pattern is made of escaped literals.
    #[must_use]
    pub fn new(text: &str) -> Needle {
        let lower = text.to_lowercase();
        let mut pattern = String::from("(?i-u)");
        for c in lower.chars() {
            pattern.push_str(&spellings(c));
        }
        let bytes = Regex::new(&pattern).expect("escaped literals make a valid pattern");
        Needle { lower, bytes }
    }

    /// The text, lowercased.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.lower
    }
}

/// The ways a JSON or protobuf record may spell `c`: the character itself (in either case) and,
/// for what JSON producers escape (quotes, backslashes, slashes, control characters, HTML
/// characters, anything not ASCII), its escapes. Printable ASCII letters, digits and the
/// punctuation no producer escapes are matched as they are, case-insensitively.
fn spellings(c: char) -> String {
    let plain = c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '/' | '<' | '>' | '&' | '\'');
    if plain || c == ' ' {
        return regex::escape(c.encode_utf8(&mut [0; 4]));
    }
    let mut variants = vec![c];
    for v in c.to_uppercase().chain(c.to_lowercase()) {
        if !variants.contains(&v) && c.to_uppercase().count() == 1 {
            variants.push(v);
        }
    }
    let mut alts: Vec<String> = Vec::new();
    for v in variants {
        alts.push(regex::escape(v.encode_utf8(&mut [0; 4])));
        let mut units = [0u16; 2];
        let mut esc = String::new();
        for u in v.encode_utf16(&mut units) {
            let _ = write!(esc, r"\\u{u:04x}");
        }
        alts.push(esc);
        let short = match v {
            '"' => r#"\\""#,
            '\\' => r"\\\\",
            '/' => r"\\/",
            '\n' => r"\\n",
            '\t' => r"\\t",
            '\r' => r"\\r",
            '\u{8}' => r"\\b",
            '\u{c}' => r"\\f",
            _ => "",
        };
        if !short.is_empty() {
            alts.push(short.to_string());
        }
    }
    format!("(?:{})", alts.join("|"))
}

impl SpanDetail {
    /// Which of these texts says `needle`'s text, in the order the detail pane shows them. A
    /// text that is a JSON object or array (inputs, outputs, some attribute values) says what
    /// its values say, not its keys.
    #[must_use]
    pub fn field_with(&self, needle: &Needle) -> Option<TextField> {
        let has = |s: &str| says(s, &needle.lower);
        if self.messages.iter().any(|m| has(&m.content)) {
            return Some(TextField::Prompt);
        }
        let texts = [
            (&self.response, TextField::Response),
            (&self.inputs, TextField::Inputs),
            (&self.outputs, TextField::Outputs),
        ];
        for (text, field) in texts {
            if text.as_deref().is_some_and(has) {
                return Some(field);
            }
        }
        if let Some(e) = &self.error
            && [&e.message, &e.kind, &e.stacktrace]
                .into_iter()
                .any(|t| t.as_deref().is_some_and(has))
        {
            return Some(TextField::Error);
        }
        self.attributes
            .iter()
            .find(|(_, v)| has(v))
            .map(|(k, _)| TextField::Attribute(k.clone()))
    }
}

/// Whether `text` says `lower` (any case): in its string, number and boolean values when it
/// is a JSON object or array, else anywhere.
fn says(text: &str, lower: &str) -> bool {
    fn value_says(v: &serde_json::Value, lower: &str) -> bool {
        match v {
            serde_json::Value::String(s) => s.to_lowercase().contains(lower),
            serde_json::Value::Array(items) => items.iter().any(|i| value_says(i, lower)),
            serde_json::Value::Object(map) => map.values().any(|i| value_says(i, lower)),
            other => other.to_string().contains(lower),
        }
    }
    let t = text.trim_start();
    if (t.starts_with('{') || t.starts_with('['))
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(t)
    {
        return value_says(&v, lower);
    }
    text.to_lowercase().contains(lower)
}

/// One record to search and the spans it holds (`parts[first..first + count]`).
#[derive(Debug, Clone, Copy)]
struct Rec {
    blob: u32,
    offset: u64,
    len: u32,
    format: RecordFormat,
    first: u32,
    count: u32,
}

impl Rec {
    fn end(&self) -> u64 {
        self.offset + u64::from(self.len)
    }
}

/// A span of a record: its trace, its row, when it started, and which part of the record it
/// is.
#[derive(Debug, Clone, Copy)]
struct Part {
    trace: TraceIdx,
    span: SpanIdx,
    start: Option<crate::model::Nanos>,
    locator: u32,
}

/// Where the records of a store are, taken at one moment: what a search reads.
#[derive(Debug, Default)]
pub struct Corpus {
    blobs: HashMap<u32, Blob>,
    recs: Vec<Rec>,
    parts: Vec<Part>,
    /// Runs of `recs` read in one go.
    runs: Vec<std::ops::Range<usize>>,
    bytes: u64,
    /// Per blob, the end of the last record taken.
    ends: HashMap<u32, u64>,
}

impl Corpus {
    /// Every record of `store`'s traces at or after `from`'s offset in its blob (a blob not
    /// in `from` is taken whole): the store's records, or the ones added since an earlier
    /// corpus whose [`Corpus::ends`] `from` is.
    #[must_use]
    pub fn of(store: &Store, from: &HashMap<u32, u64>) -> Corpus {
        type Key = (u32, u64, u32, RecordFormat);
        let mut index: HashMap<Key, u32> = HashMap::new();
        let mut keys: Vec<Key> = Vec::new();
        let mut tagged: Vec<(u32, Part)> = Vec::new();
        for trace in store.trace_ids() {
            for &span in store.trace_spans(trace) {
                for p in store.span(span).payload.iter().flatten() {
                    if from.get(&p.blob.0).is_some_and(|&end| p.offset < end) {
                        continue;
                    }
                    let key = (p.blob.0, p.offset, p.len, p.format);
                    let rec = *index.entry(key).or_insert_with(|| {
                        keys.push(key);
                        u32::try_from(keys.len() - 1).unwrap_or(u32::MAX)
                    });
                    let locator = p.locator;
                    let start = store.span(span).start;
                    tagged.push((
                        rec,
                        Part {
                            trace,
                            span,
                            start,
                            locator,
                        },
                    ));
                }
            }
        }
        drop(index);
        tagged.sort_by_key(|(rec, _)| *rec);
        let mut recs: Vec<Rec> = keys
            .iter()
            .map(|&(blob, offset, len, format)| Rec {
                blob,
                offset,
                len,
                format,
                first: 0,
                count: 0,
            })
            .collect();
        let mut parts = Vec::with_capacity(tagged.len());
        for (rec, part) in tagged {
            let r = &mut recs[rec as usize];
            if r.count == 0 {
                r.first = u32::try_from(parts.len()).unwrap_or(u32::MAX);
            }
            r.count += 1;
            parts.push(part);
        }
        recs.sort_by_key(|r| (r.blob, r.offset));
        let mut blobs = HashMap::new();
        let mut ends: HashMap<u32, u64> = from.clone();
        for r in &recs {
            blobs
                .entry(r.blob)
                .or_insert_with(|| store.blob(crate::model::BlobId(r.blob)));
            let e = ends.entry(r.blob).or_insert(0);
            *e = (*e).max(r.end());
        }
        let runs = runs_of(&recs);
        let bytes = runs
            .iter()
            .map(|run| recs[run.end - 1].end() - recs[run.start].offset)
            .sum();
        Corpus {
            blobs,
            recs,
            parts,
            runs,
            bytes,
            ends,
        }
    }

    /// Bytes a search reads.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Records to search.
    #[must_use]
    pub fn records(&self) -> usize {
        self.recs.len()
    }

    /// How far each blob is taken: what [`Corpus::of`] takes to build the corpus of what was
    /// added since.
    #[must_use]
    pub fn ends(&self) -> &HashMap<u32, u64> {
        &self.ends
    }
}

/// Cut sorted records into runs read in one go: same blob, at most [`RUN`] bytes (or one
/// record), no gap over [`GAP`].
fn runs_of(recs: &[Rec]) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let mut start = 0;
    for i in 1..=recs.len() {
        let cut = i == recs.len() || {
            let (first, prev, r) = (&recs[start], &recs[i - 1], &recs[i]);
            r.blob != first.blob
                || r.offset > prev.end() + GAP
                || r.end().saturating_sub(first.offset) > RUN
                || r.offset < prev.offset
        };
        if cut {
            if i > start {
                runs.push(start..i);
            }
            start = i;
        }
    }
    runs
}

/// How a search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    /// It was asked to stop before the end.
    pub cancelled: bool,
    /// Runs of records that could not be read back (a file truncated or replaced since).
    pub unreadable: u64,
}

/// What a search shares with whoever watches it: a flag that stops it and the bytes done.
#[derive(Debug, Default)]
pub struct Control {
    pub cancel: AtomicBool,
    pub done: AtomicU64,
}

/// Search `corpus` for `needle` on `threads` threads, calling `found` with the hits of each run
/// of records as they come (from any of the threads).
pub fn search(
    corpus: &Corpus,
    needle: &Needle,
    threads: usize,
    control: &Control,
    found: &(dyn Fn(Vec<(TraceIdx, TextHit)>) + Sync),
) -> Outcome {
    let next = AtomicUsize::new(0);
    let unreadable = AtomicU64::new(0);
    let work = || {
        loop {
            if control.cancel.load(Ordering::Relaxed) {
                return;
            }
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(run) = corpus.runs.get(i) else {
                return;
            };
            let recs = &corpus.recs[run.clone()];
            let (start, end) = (recs[0].offset, recs[recs.len() - 1].end());
            let len = u32::try_from(end - start).unwrap_or(u32::MAX);
            let Ok(bytes) = corpus.blobs[&recs[0].blob].read(start, len) else {
                unreadable.fetch_add(1, Ordering::Relaxed);
                control.done.fetch_add(end - start, Ordering::Relaxed);
                continue;
            };
            let hits = scan_run(corpus, recs, start, &bytes, needle, &control.cancel);
            control.done.fetch_add(end - start, Ordering::Relaxed);
            if !hits.is_empty() {
                found(hits);
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 1..threads.max(1) {
            s.spawn(work);
        }
        work();
    });
    Outcome {
        cancelled: control.cancel.load(Ordering::Relaxed),
        unreadable: unreadable.load(Ordering::Relaxed),
    }
}

/// The hits in one run: scan its bytes, and check each record they match in.
fn scan_run(
    corpus: &Corpus,
    recs: &[Rec],
    start: u64,
    bytes: &[u8],
    needle: &Needle,
    cancel: &AtomicBool,
) -> Vec<(TraceIdx, TextHit)> {
    let mut hits = Vec::new();
    let mut at = 0;
    while let Some(m) = needle.bytes.find_at(bytes, at) {
        let pos = start + m.start() as u64;
        // the first record that ends after the match; it holds it unless it starts after it
        let i = recs.partition_point(|r| r.end() <= pos);
        let Some(rec) = recs.get(i) else { break };
        if rec.offset > pos || (m.end() as u64 + start) > rec.end() {
            at = usize::try_from(rec.offset.max(pos + 1) - start).unwrap_or(bytes.len());
            continue;
        }
        let from = usize::try_from(rec.offset - start).unwrap_or(0);
        check(
            corpus,
            rec,
            &bytes[from..from + rec.len as usize],
            needle,
            &mut hits,
        );
        at = from + rec.len as usize;
        if cancel.load(Ordering::Relaxed) || at >= bytes.len() {
            break;
        }
    }
    hits
}

/// Decode a record whose bytes match and add a hit for each trace one of its spans says the
/// text in.
fn check(
    corpus: &Corpus,
    rec: &Rec,
    bytes: &[u8],
    needle: &Needle,
    hits: &mut Vec<(TraceIdx, TextHit)>,
) {
    let Some(decoded) = formats::entry(rec.format).and_then(|f| (f.decode)(bytes).ok()) else {
        return;
    };
    let parts = &corpus.parts[rec.first as usize..(rec.first + rec.count) as usize];
    for p in parts {
        let mut d = SpanDetail {
            texts_only: true,
            ..SpanDetail::default()
        };
        if decoded.fill(p.locator, &mut d).is_err() {
            continue;
        }
        if let Some(field) = d.field_with(needle) {
            hits.push((
                p.trace,
                TextHit {
                    span: p.span,
                    field,
                    start: p.start,
                },
            ));
        }
    }
}

/// Search every payload of `store` for each of `texts` on every core: what the commands do
/// before evaluating a query with `text:` terms.
#[must_use]
pub fn search_store(store: &Store, texts: &[&str]) -> TextHits {
    let mut s = Searches::default();
    s.update(store, texts);
    s.hits
}

/// Text searches kept up to date with a store that grows (`list --follow`): each update
/// searches only the records added since the last one.
#[derive(Debug, Default)]
pub struct Searches {
    pub hits: TextHits,
    /// Per text, how far each blob was searched.
    ends: HashMap<String, HashMap<u32, u64>>,
}

impl Searches {
    /// Search the records added since the last update for each of `texts`, and forget the
    /// texts no longer asked for.
    pub fn update(&mut self, store: &Store, texts: &[&str]) {
        self.hits.retain(texts);
        self.ends.retain(|t, _| texts.contains(&t.as_str()));
        for &text in texts {
            let ends = self.ends.entry(text.to_string()).or_default();
            let corpus = Corpus::of(store, ends);
            let needle = Needle::new(text);
            let found = std::sync::Mutex::new(Vec::new());
            let outcome = search(
                &corpus,
                &needle,
                super::parallel::workers(),
                &Control::default(),
                &|h| {
                    found
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .extend(h);
                },
            );
            let entry = self.hits.entry(needle.text());
            for (trace, hit) in found
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
            {
                entry.add(trace, hit);
            }
            entry.complete = !outcome.cancelled;
            *ends = corpus.ends;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{Options, load_reader};

    fn spelled(text: &str, bytes: &str) -> bool {
        Needle::new(text).bytes.is_match(bytes.as_bytes())
    }

    #[test]
    fn a_needle_finds_every_spelling_a_producer_may_write() {
        assert!(spelled("rate limit", "Rate Limit reached"));
        assert!(spelled("RATE LIMIT", "a rate limit"));
        assert!(!spelled("rate limit", "rate-limit"));
        // not ASCII: as is, in either case, or escaped (Python's ensure_ascii, any hex case)
        assert!(spelled("café", "CAFÉ"));
        assert!(spelled("café", r"caf\u00e9"));
        assert!(spelled("CAFÉ", r"caf\u00C9"));
        // astral characters escape as a surrogate pair
        assert!(spelled("🦀 ok", r"\ud83e\udd80 ok"));
        assert!(spelled("🦀 ok", "🦀 OK"));
        // what JSON escapes
        assert!(spelled(r#"say "hi""#, r#"say \"hi\""#));
        assert!(spelled(r"C:\tmp", r"c:\\tmp"));
        assert!(spelled("a/b", r"a\/b"));
        assert!(spelled("<b>&", r"\u003cb\u003e\u0026"));
        assert!(spelled("it's", r"it\u0027s"));
        // regex characters are literal
        assert!(spelled("a.b(c)*", "A.B(C)*"));
        assert!(!spelled("a.b", "axb"));
    }

    #[test]
    fn a_detail_names_the_first_field_that_says_it() {
        let d = SpanDetail {
            messages: vec![super::super::texts::Message {
                role: "user".into(),
                content: "What is the Refund policy?".into(),
            }],
            response: Some("Refunds take 5 days".into()),
            attributes: vec![("lm.model".into(), "openai/gpt-4o".into())],
            ..SpanDetail::default()
        };
        let field = |text: &str| d.field_with(&Needle::new(text));
        assert_eq!(field("REFUND"), Some(TextField::Prompt));
        assert_eq!(field("5 days"), Some(TextField::Response));
        assert_eq!(
            field("gpt-4o"),
            Some(TextField::Attribute("lm.model".into()))
        );
        // keys are not texts
        assert_eq!(field("lm.model"), None);
        // inputs and outputs are JSON text: their values are read, not their keys
        let d = SpanDetail {
            outputs: Some(r#"{"answer":"say \"hi\"","n":[42,true]}"#.into()),
            ..SpanDetail::default()
        };
        let field = |text: &str| d.field_with(&Needle::new(text));
        assert_eq!(field(r#"say "hi""#), Some(TextField::Outputs));
        assert_eq!(field("42"), Some(TextField::Outputs));
        assert_eq!(field("answer"), None);
    }

    const LINES: &str = concat!(
        r#"{"trace_id":"a","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":30,"inputs":{"q":"hi"},"steps":[{"step":"lookup","latency_ms":10,"inputs":{"city":"Z\u00fcrich"}},{"step":"answer","latency_ms":20,"error":"RateLimitError: Rate limit reached"}]}"#,
        "\n",
        r#"{"trace_id":"b","timestamp":"2026-11-21T05:38:00Z","total_latency_ms":30,"inputs":{"q":"rate"},"steps":[{"step":"answer","latency_ms":10,"outputs":{"response":"limit"}}]}"#,
        "\n"
    );

    fn store() -> Store {
        let mut store = Store::new();
        load_reader(
            &mut store,
            "log",
            LINES.as_bytes(),
            Options { naive_utc: true },
        )
        .expect("read");
        store.refresh();
        store
    }

    fn found(store: &Store, text: &str) -> Vec<(String, String, String)> {
        let hits = search_store(store, &[text]);
        let mut out: Vec<_> = hits
            .found(&text.to_lowercase())
            .expect("searched")
            .traces
            .iter()
            .map(|(t, h)| {
                (
                    store.trace_id(*t).to_string(),
                    store.str(store.span(h.span).name).to_string(),
                    h.field.to_string(),
                )
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_search_names_the_span_and_field_of_each_trace_that_says_it() {
        let s = store();
        assert_eq!(
            found(&s, "rate limit"),
            [("a".into(), "answer".into(), "error".into())]
        );
        // escaped in the record, found as typed, in any case
        assert_eq!(
            found(&s, "ZÜRICH"),
            [("a".into(), "lookup".into(), "inputs".into())]
        );
        // keys and ids are not what a trace said
        assert!(found(&s, "latency_ms").is_empty());
        assert!(found(&s, "trace_id").is_empty());
        // both words in one record, but never together in one text
        assert!(found(&s, "rate limit").iter().all(|(t, ..)| t == "a"));
    }

    #[test]
    fn a_search_reads_the_texts_without_printing_the_raw_record() {
        let s = store();
        let corpus = Corpus::of(&s, &HashMap::new());
        let rec = corpus.recs[0];
        let bytes = s
            .blob(crate::model::BlobId(rec.blob))
            .read(rec.offset, rec.len)
            .expect("read");
        let decoded =
            (formats::entry(rec.format).expect("a format").decode)(&bytes).expect("decodes");
        for p in &corpus.parts[rec.first as usize..(rec.first + rec.count) as usize] {
            let mut full = SpanDetail::default();
            let mut texts = SpanDetail {
                texts_only: true,
                ..SpanDetail::default()
            };
            decoded.fill(p.locator, &mut full).expect("fills");
            decoded.fill(p.locator, &mut texts).expect("fills");
            assert!(!full.raw.is_empty() && texts.raw.is_empty());
            assert_eq!(
                (full.inputs, full.outputs, full.error),
                (texts.inputs, texts.outputs, texts.error)
            );
        }
    }

    #[test]
    fn a_later_search_reads_only_what_was_added() {
        let mut store = Store::new();
        let (first, second) = LINES.split_at(LINES.find('\n').expect("two lines") + 1);
        load_reader(
            &mut store,
            "one",
            first.as_bytes(),
            Options { naive_utc: true },
        )
        .expect("read");
        store.refresh();
        let mut s = Searches::default();
        s.update(&store, &["limit"]);
        assert_eq!(s.hits.found("limit").map(|f| f.traces.len()), Some(1));
        load_reader(
            &mut store,
            "two",
            second.as_bytes(),
            Options { naive_utc: true },
        )
        .expect("read");
        store.refresh();
        let corpus = Corpus::of(&store, &s.ends["limit"]);
        assert_eq!(corpus.records(), 1, "only the new line");
        s.update(&store, &["limit"]);
        assert_eq!(s.hits.found("limit").map(|f| f.traces.len()), Some(2));
        assert!(s.hits.found("limit").is_some_and(|f| f.complete));
    }

    #[test]
    fn a_cancelled_search_stops_and_says_so() {
        let s = store();
        let corpus = Corpus::of(&s, &HashMap::new());
        let control = Control::default();
        control.cancel.store(true, Ordering::Relaxed);
        let calls = AtomicUsize::new(0);
        let outcome = search(&corpus, &Needle::new("rate"), 2, &control, &|_| {
            calls.fetch_add(1, Ordering::Relaxed);
        });
        assert!(outcome.cancelled);
        assert_eq!(calls.load(Ordering::Relaxed), 0);
        let control = Control::default();
        let outcome = search(&corpus, &Needle::new("rate"), 2, &control, &|_| {
            calls.fetch_add(1, Ordering::Relaxed);
        });
        assert!(!outcome.cancelled);
        assert_eq!(control.done.load(Ordering::Relaxed), corpus.bytes());
        assert!(calls.load(Ordering::Relaxed) >= 1);
    }

    #[test]
    fn runs_keep_to_one_blob_and_skip_big_gaps() {
        let rec = |blob, offset, len| Rec {
            blob,
            offset,
            len,
            format: RecordFormat::at(0),
            first: 0,
            count: 0,
        };
        let recs = [
            rec(0, 0, 10),
            rec(0, 11, 10),
            rec(0, 11 + GAP + 100, 10),
            rec(1, 0, 10),
        ];
        assert_eq!(runs_of(&recs), [0..2, 2..3, 3..4]);
        assert!(runs_of(&[]).is_empty());
    }
}
