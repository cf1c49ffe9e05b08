//! The text DSPy's `inspect_history` writes (`dspy.inspect_history(n, file=…)`,
//! `lm.inspect_history`): each entry is one LM call, a trace of one span with its timestamp,
//! its messages by role (image, audio and file placeholders as DSPy prints them), its response
//! and the output fields parsed from the response's `[[ ## field ## ]]` markers.
//!
//! An entry, as DSPy 3.4's `pretty_print_history` prints it (blank lines between blocks; ANSI
//! colour codes when it went to a terminal, none when written to a file):
//!
//! ```text
//! [2026-12-02T08:01:02.345678]
//! System message:
//! …
//! User message:
//! …
//! Response:
//! …
//!  (and 2 other completions)
//! ```
//!
//! A trace is named after what was asked (its first input field), its span after the call's
//! signature as the adapter's markers show it (`question -> answer`).
//! The entry records no latency, tokens or model: its span lasts no time and says no model.
//! The timestamp is when the response came back (naive local time, as Python writes it).
//! A trace's id is a hash of the entry's text, so the same call found in two dumps is kept once.

use crate::ingest::attributes::kept;
use crate::ingest::ctx::At;
use crate::ingest::error::{ErrorKind, ParseError};
use crate::ingest::format::{Decoded, Format, Sniff};
use crate::ingest::texts::{Message, SpanDetail};
use crate::ingest::values::{parse_time, stated_trace};
use crate::model::payload::PayloadRef;
use crate::model::store::{Record, SpanRecord};
use crate::model::{SpanKind, SpanStatus};
use std::borrow::Cow;
use std::ops::Range;

/// A whole `inspect_history` text (read as any body that is not JSON).
pub const FORMAT: Format = Format {
    name: "dspy-history",
    expected: "a DSPy inspect_history text",
    sniff: Sniff::Binary,
    parse,
    decode: |bytes| Ok(Box::new(Entry::read(bytes)?)),
};

/// What DSPy prints after a response when the call asked for several completions.
const OTHER_COMPLETIONS: &str = "(and ";

/// One entry, read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// As written between the brackets (`Unknown time` when DSPy had none).
    timestamp: String,
    messages: Vec<Message>,
    response: Option<String>,
    /// Tool calls of the response, `name: arguments` as DSPy prints them.
    tool_calls: Vec<String>,
    /// Completions asked for (1 unless DSPy noted others).
    completions: u32,
    /// The entry as written, its colour codes left out: the raw record.
    raw: String,
}

/// The lines of a text, without their newline, ANSI colour codes taken out.
fn lines(bytes: &[u8]) -> Vec<(Range<usize>, Cow<'_, [u8]>)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let mut line = &bytes[start..end];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        out.push((start..end, strip_ansi(line)));
        start = end + 1;
    }
    out
}

/// `line` without its ANSI escape sequences (`ESC [ params letter`).
fn strip_ansi(line: &[u8]) -> Cow<'_, [u8]> {
    if !line.contains(&0x1b) {
        return Cow::Borrowed(line);
    }
    let mut out = Vec::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        if line[i] == 0x1b && line.get(i + 1) == Some(&b'[') {
            i += 2;
            while i < line.len() && !line[i].is_ascii_alphabetic() {
                i += 1;
            }
            i += 1;
        } else {
            out.push(line[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

fn blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// `System message:`, `User message:`, … : the role, lower case.
fn role_header(line: &[u8]) -> Option<String> {
    let word = line.strip_suffix(b" message:")?;
    let ok = !word.is_empty()
        && word[0].is_ascii_uppercase()
        && word.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_');
    ok.then(|| String::from_utf8_lossy(word).to_ascii_lowercase())
}

/// `[timestamp]` (not a `[[ ## field ## ]]` marker).
fn stamp(line: &[u8]) -> Option<&[u8]> {
    let inner = line.strip_prefix(b"[")?.strip_suffix(b"]")?;
    (!inner.is_empty() && !inner.starts_with(b"[") && !inner.contains(&b'\n')).then_some(inner)
}

/// Where each entry starts: a `[timestamp]` line at the start of the text or after a blank
/// line, whose next line that is not blank is a role header.
fn entry_starts(lines: &[(Range<usize>, Cow<'_, [u8]>)]) -> Vec<usize> {
    (0..lines.len())
        .filter(|&i| {
            stamp(&lines[i].1).is_some()
                && (i == 0 || blank(&lines[i - 1].1))
                && lines[i + 1..]
                    .iter()
                    .find(|l| !blank(&l.1))
                    .is_some_and(|l| role_header(&l.1).is_some())
        })
        .collect()
}

/// A `Tool calls:` block: the header and `name: arguments` lines up to a blank line.
fn tool_block(lines: &[&[u8]], at: usize) -> Option<usize> {
    if lines[at] != b"Tool calls:" {
        return None;
    }
    let calls = lines[at + 1..]
        .iter()
        .take_while(|l| !blank(l))
        .take_while(|l| is_tool_call(l))
        .count();
    let ends = lines.get(at + 1 + calls).is_none_or(|l| blank(l));
    (calls > 0 && ends).then_some(calls)
}

fn is_tool_call(line: &[u8]) -> bool {
    line.iter().position(|b| *b == b':').is_some_and(|i| {
        i > 0
            && line[..i]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.<>".contains(b))
    })
}

impl Entry {
    /// Read one entry (a record, for its detail): its `[timestamp]` line, then its blocks,
    /// and its text as the raw record.
    fn read(bytes: &[u8]) -> Result<Entry, ParseError> {
        utf8(bytes)?;
        let lines = lines(bytes);
        let mut e = Entry::of_lines(&lines)?;
        e.raw = lines
            .iter()
            .map(|l| lossy(&l.1))
            .collect::<Vec<_>>()
            .join("\n");
        Ok(e)
    }

    /// An entry from its lines (UTF-8, colour codes taken out), without its raw text.
    fn of_lines(all: &[(Range<usize>, Cow<'_, [u8]>)]) -> Result<Entry, ParseError> {
        let lines: Vec<&[u8]> = all.iter().map(|l| l.1.as_ref()).collect();
        let first = lines.iter().position(|l| !blank(l)).unwrap_or(lines.len());
        let timestamp = lines
            .get(first)
            .and_then(|l| stamp(l))
            .ok_or_else(|| ParseError::new(ErrorKind::Shape, "no [timestamp] line"))?;
        let mut e = Entry {
            timestamp: String::from_utf8_lossy(timestamp).into_owned(),
            messages: Vec::new(),
            response: None,
            tool_calls: Vec::new(),
            completions: 1,
            raw: String::new(),
        };
        // the response comes after every message: a `Response:` line inside a message's text
        // (before the last role header) is text
        let last_header = (first + 1..lines.len())
            .rev()
            .find(|&i| blank(lines[i - 1]) && role_header(lines[i]).is_some())
            .unwrap_or(first);
        let mut block = Block::None;
        let mut body: Vec<&[u8]> = Vec::new();
        let mut i = first + 1;
        while i < lines.len() {
            let line = lines[i];
            let after_blank = blank(lines[i - 1]);
            let header = if after_blank { role_header(line) } else { None };
            let tools = tool_block(&lines, i);
            let response = after_blank && i > last_header && line == b"Response:";
            if header.is_some() || tools.is_some() || response {
                e.close(&block, &mut body);
            }
            if let Some(role) = header {
                e.messages.push(Message {
                    role,
                    content: String::new(),
                });
                block = Block::Message(e.messages.len() - 1);
            } else if let Some(n) = tools {
                let calls = lines[i + 1..=i + n].iter().map(|l| lossy(l));
                // a message's calls follow its text (or its header's blank line); the
                // response's, when it has no text, follow the last message's two blank lines
                let own = i >= 2 && !(blank(lines[i - 1]) && blank(lines[i - 2]));
                match block {
                    Block::Message(m) if own => {
                        let content = &mut e.messages[m].content;
                        for c in calls {
                            if !content.is_empty() {
                                content.push('\n');
                            }
                            content.push_str("→ tool call ");
                            content.push_str(&c);
                        }
                    }
                    _ => e.tool_calls.extend(calls),
                }
                i += n;
            } else if response {
                block = Block::Response;
                e.response = Some(String::new());
            } else if block == Block::Response
                && let Some(n) = other_completions(line)
            {
                e.completions = n + 1;
            } else {
                body.push(line);
            }
            i += 1;
        }
        e.close(&block, &mut body);
        if e.messages.is_empty() {
            return Err(ParseError::new(ErrorKind::Shape, "no message"));
        }
        Ok(e)
    }

    /// The lines of the block just read are added to its text (blank lines around them trimmed).
    fn close(&mut self, block: &Block, body: &mut Vec<&[u8]>) {
        let text = join(body);
        body.clear();
        let into = match block {
            Block::Message(m) => &mut self.messages[*m].content,
            Block::Response => self.response.get_or_insert_default(),
            Block::None => return,
        };
        if !text.is_empty() {
            if !into.is_empty() {
                into.push('\n');
            }
            into.push_str(&text);
        }
    }
}

/// The block of an entry being read: a message (its index), the response, or none yet.
#[derive(PartialEq)]
enum Block {
    Message(usize),
    Response,
    None,
}

/// Text that is not UTF-8 is refused, where it stops being UTF-8.
fn utf8(bytes: &[u8]) -> Result<(), ParseError> {
    std::str::from_utf8(bytes).map(|_| ()).map_err(|e| {
        ParseError::new(
            ErrorKind::Value,
            format!("not UTF-8 text (at byte {})", e.valid_up_to()),
        )
    })
}

fn lossy(line: &[u8]) -> String {
    String::from_utf8_lossy(line).into_owned()
}

/// ` \t (and 2 other completions)`: 2.
fn other_completions(line: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(line).ok()?.trim();
    let n = s
        .strip_prefix(OTHER_COMPLETIONS)?
        .strip_suffix(" other completions)")?;
    n.parse().ok()
}

/// Lines as one text, blank lines at either end left out.
fn join(body: &[&[u8]]) -> String {
    let start = body.iter().position(|l| !blank(l)).unwrap_or(body.len());
    let end = body.iter().rposition(|l| !blank(l)).map_or(start, |i| i + 1);
    body[start..end]
        .iter()
        .map(|l| String::from_utf8_lossy(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The fields of a DSPy chat adapter's text, in order: `[[ ## name ## ]]` lines and the text
/// after each (`completed` ends them). None when the text has no marker.
fn fields(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, Vec<&str>)> = Vec::new();
    let mut done = false;
    for line in text.lines() {
        if let Some(name) = marker(line) {
            if name == "completed" {
                done = true;
            } else {
                done = false;
                out.push((name.to_string(), Vec::new()));
            }
        } else if !done && let Some((_, body)) = out.last_mut() {
            body.push(line);
        }
    }
    out.into_iter()
        .map(|(name, body)| (name, body.join("\n").trim().to_string()))
        .collect()
}

fn marker(line: &str) -> Option<&str> {
    let name = line
        .trim()
        .strip_prefix("[[ ## ")?
        .strip_suffix(" ## ]]")?
        .trim();
    (!name.is_empty() && !name.contains(char::is_whitespace)).then_some(name)
}

/// What the chat adapter appends to the last user message after its input fields.
const RESPOND_WITH: &str = "\n\nRespond with the corresponding output fields";

/// Fields as a JSON object, in their order (`None` when there are none).
fn object(fields: &[(String, String)]) -> Option<String> {
    if fields.is_empty() {
        return None;
    }
    let m: serde_json::Map<String, serde_json::Value> = fields
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    Some(serde_json::Value::Object(m).to_string())
}

impl Entry {
    /// The input fields of the last user message (the adapter's closing instruction left out).
    fn inputs(&self) -> Vec<(String, String)> {
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == "user")
            .map(|m| {
                let text = m.content.split(RESPOND_WITH).next().unwrap_or_default();
                fields(text)
            })
            .unwrap_or_default()
    }

    /// The output fields of the response: its markers, else its JSON object's keys (DSPy's
    /// JSON adapter).
    fn outputs(&self) -> Vec<(String, String)> {
        let Some(r) = self.response.as_deref() else {
            return Vec::new();
        };
        let marked = fields(r);
        if !marked.is_empty() {
            return marked;
        }
        match serde_json::from_str::<serde_json::Value>(r.trim()) {
            Ok(serde_json::Value::Object(m)) => m
                .into_iter()
                .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The call's name, as a DSPy signature: `question -> answer` (the names of its input and
    /// output fields), else `lm call`.
    fn name(inputs: &[(String, String)], outputs: &[(String, String)]) -> String {
        let names = |f: &[(String, String)]| {
            f.iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (i, o) = (names(inputs), names(outputs));
        if i.is_empty() && o.is_empty() {
            "lm call".to_string()
        } else {
            format!("{i} -> {o}")
        }
    }

    /// The request's name: what was asked, as the list shows it (the first line of the first
    /// input field that is text, else of the last user message); `None`: nothing was.
    fn asked(&self, inputs: &[(String, String)]) -> Option<String> {
        let first_line = |t: &str| {
            t.lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(|l| l.chars().take(80).collect::<String>())
        };
        let placeholder = |l: &String| l.starts_with('<') && l.ends_with('>');
        inputs
            .iter()
            .filter_map(|(_, v)| first_line(v))
            .find(|l| !placeholder(l))
            .or_else(|| {
                let user = self.messages.iter().rev().find(|m| m.role == "user")?;
                first_line(&user.content).filter(|l| !placeholder(l) && marker(l).is_none())
            })
    }

    /// The placeholders DSPy prints for what is not text: images, audio, files.
    fn attachments(&self) -> [(&'static str, usize); 3] {
        let count = |prefixes: &[&str]| {
            self.messages
                .iter()
                .filter(|m| m.content.contains('<'))
                .flat_map(|m| m.content.lines())
                .filter(|l| prefixes.iter().any(|p| l.starts_with(p)))
                .count()
        };
        [
            ("dspy.history.images", count(&["<data:image/", "<image_url: "])),
            ("dspy.history.audio", count(&["<audio format="])),
            ("dspy.history.files", count(&["<file: name:"])),
        ]
    }

    fn attributes(&self) -> Vec<(String, String)> {
        let mut out = vec![("dspy.history.timestamp".to_string(), self.timestamp.clone())];
        if self.completions > 1 {
            out.push((
                "dspy.history.completions".to_string(),
                self.completions.to_string(),
            ));
        }
        for (k, n) in self.attachments() {
            if n > 0 {
                out.push((k.to_string(), n.to_string()));
            }
        }
        out
    }

    /// The trace id: a hash of what the entry says (its colour codes left out), so the same
    /// call in two dumps is one trace.
    fn id(&self) -> String {
        // FNV-1a, 64 bits: stable across builds and platforms, unlike the std hasher
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for b in bytes {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
            h ^= 0xff;
            h = h.wrapping_mul(0x0100_0000_01b3);
        };
        eat(self.timestamp.as_bytes());
        for m in &self.messages {
            eat(m.role.as_bytes());
            eat(m.content.as_bytes());
        }
        eat(self.response.as_deref().unwrap_or_default().as_bytes());
        for c in &self.tool_calls {
            eat(c.as_bytes());
        }
        format!("{h:016x}")
    }
}

/// A whole `inspect_history` text: each entry becomes a trace of one LM call; an entry that
/// cannot be read is refused on its own (its line and why), and so is text outside any entry.
///
/// # Errors
/// The text has no entry at all (it is not an `inspect_history` text).
pub fn parse(bytes: &[u8], at: &At<'_>, out: &mut Vec<Record>) -> Result<(), ParseError> {
    let lines = lines(bytes);
    let starts = entry_starts(&lines);
    let Some(&first) = starts.first() else {
        return Err(ParseError::new(
            ErrorKind::Shape,
            "no inspect_history entry (a [timestamp] line followed by `User message:` or the like)",
        ));
    };
    if let Some(l) = lines[..first].iter().position(|l| !blank(&l.1)) {
        out.push(Record::Rejected(format!(
            "line {}: text before the first inspect_history entry is not read",
            l + 1
        )));
    }
    for (n, &s) in starts.iter().enumerate() {
        let next = starts.get(n + 1).copied().unwrap_or(lines.len());
        // the entry runs to its last line that is not blank
        let last = (s..next).rev().find(|&i| !blank(&lines[i].1)).unwrap_or(s);
        let range = lines[s].0.start..lines[last].0.end;
        match utf8(&bytes[range.clone()]).and_then(|()| Entry::of_lines(&lines[s..=last])) {
            Ok(e) => records(&e, at, range, out),
            Err(e) => out.push(Record::Rejected(format!(
                "line {}: inspect_history entry {}: {}",
                s + 1,
                n + 1,
                e.reason
            ))),
        }
    }
    Ok(())
}

fn records(e: &Entry, at: &At<'_>, range: Range<usize>, out: &mut Vec<Record>) {
    let start = if e.timestamp == "Unknown time" {
        None
    } else {
        match parse_time(&e.timestamp, at.opts()) {
            Ok(t) => Some(t),
            Err(why) => {
                out.push(Record::Rejected(format!(
                    "inspect_history entry [{}]: {}",
                    e.timestamp, why.reason
                )));
                return;
            }
        }
    };
    let id = e.id();
    let (inputs, outputs) = (e.inputs(), e.outputs());
    let name = Entry::name(&inputs, &outputs);
    let payload = at.ctx.payload(
        at.offset + range.start as u64,
        range.len(),
        at.format,
        PayloadRef::WHOLE,
    );
    out.push(Record::Span(SpanRecord {
        trace_id: id.clone(),
        span_id: id.clone(),
        parent_id: None,
        name: Some(name.clone()),
        kind: Some(SpanKind::Llm),
        start,
        end: None,
        dur: Some(0),
        status: Some(SpanStatus::Ok),
        error: None,
        model: None,
        tokens: None,
        flags: 0,
        payload: Some((0, payload)),
        attrs: kept(e.attributes()),
        complete: true,
    }));
    out.push(Record::Trace(stated_trace(
        id,
        Some(e.asked(&inputs).unwrap_or_else(|| name.clone())),
        false,
        None,
        None,
    )));
}

impl Decoded for Entry {
    /// An entry is one span: `locator` is the whole record.
    fn fill(&self, _locator: u32, d: &mut SpanDetail) -> Result<(), ParseError> {
        d.messages.clone_from(&self.messages);
        d.response = match (&self.response, self.tool_calls.is_empty()) {
            (Some(r), true) => Some(r.clone()),
            (r, false) => Some(
                r.iter()
                    .cloned()
                    .chain(self.tool_calls.iter().map(|c| format!("→ tool call {c}")))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            (None, true) => None,
        };
        d.inputs = object(&self.inputs());
        d.outputs = object(&self.outputs());
        d.add_attributes(self.attributes());
        d.add_raw(|| self.raw.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ctx::Options;
    use pretty_assertions::assert_eq;

    /// What `tests/python/inspect_history.py` wrote with DSPy 3.4.1 (`file=`: no colours).
    const SAMPLE: &str = include_str!("../../../tests/fixtures/dspy-inspect-history/history.txt");

    fn parse_all(text: &str) -> Vec<Record> {
        FORMAT
            .parse_one(text.as_bytes(), Options { naive_utc: true })
            .expect("an inspect_history text")
    }

    fn spans(out: &[Record]) -> Vec<&SpanRecord> {
        out.iter()
            .filter_map(|r| match r {
                Record::Span(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    fn rejected(out: &[Record]) -> Vec<&str> {
        out.iter()
            .filter_map(|r| match r {
                Record::Rejected(why) => Some(why.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The entry each span's payload points at, read again as the detail pane reads it.
    fn detail(text: &str, s: &SpanRecord) -> SpanDetail {
        let p = s.payload.expect("a payload").1;
        let bytes = &text.as_bytes()[p.offset as usize..p.offset as usize + p.len as usize];
        let mut d = SpanDetail::default();
        FORMAT.fill(bytes, p.locator, &mut d).expect("decoded");
        d
    }

    fn roles(d: &SpanDetail) -> Vec<&str> {
        d.messages.iter().map(|m| m.role.as_str()).collect()
    }

    /// Every entry DSPy wrote is a trace, with its timestamp, every message, the response and
    /// the output fields: losing any of them fails here.
    #[test]
    fn the_real_sample_keeps_every_entry_message_response_and_timestamp() {
        let out = parse_all(SAMPLE);
        assert_eq!(rejected(&out), Vec::<&str>::new());
        let spans = spans(&out);
        let stamps: Vec<&str> = SAMPLE
            .lines()
            .filter(|l| l.starts_with("[20") && l.ends_with(']'))
            .collect();
        assert_eq!(stamps.len(), 7);
        assert_eq!(spans.len(), stamps.len());
        for (s, stamp) in spans.iter().zip(&stamps) {
            let want = parse_time(&stamp[1..stamp.len() - 1], Options { naive_utc: true });
            assert_eq!(s.start, Some(want.expect("a time")));
            assert_eq!(s.kind, Some(SpanKind::Llm));
            let d = detail(SAMPLE, s);
            assert!(d.raw[0].starts_with(stamp), "{:?}", d.raw);
            assert!(d.response.as_deref().is_some_and(|r| !r.is_empty()));
            assert!(d.messages.iter().all(|m| !m.content.is_empty()));
        }
        let all: Vec<SpanDetail> = spans.iter().map(|s| detail(SAMPLE, s)).collect();
        // each request is named after what was asked (an image's placeholder is not a name)
        let asked: Vec<&str> = out
            .iter()
            .filter_map(|r| match r {
                Record::Trace(t) => t.name.as_deref(),
                _ => None,
            })
            .collect();
        assert_eq!(
            asked,
            [
                "What is the capital of France?",
                "Water boils at 100 C at sea level.",
                "Which planet is closest to the Sun?",
                "And the next one?",
                "What does this image show?",
                "What colour is the sky?",
                "How do I make tea?"
            ]
        );
        // 1. Predict
        assert_eq!(spans[0].name.as_deref(), Some("question -> answer"));
        assert_eq!(roles(&all[0]), ["system", "user"]);
        assert!(all[0].messages[0].content.starts_with("Your input fields are:"));
        assert!(all[0].messages[0].content.ends_with("short factoid answers."));
        assert_eq!(
            all[0].messages[1].content,
            "[[ ## question ## ]]\nWhat is the capital of France?\n\nRespond with the \
             corresponding output fields, starting with the field `[[ ## answer ## ]]`, and then \
             ending with the marker for `[[ ## completed ## ]]`."
        );
        assert_eq!(all[0].response.as_deref(), Some("[[ ## answer ## ]]\nParis"));
        assert_eq!(all[0].inputs.as_deref(), Some(r#"{"question":"What is the capital of France?"}"#));
        assert_eq!(all[0].outputs.as_deref(), Some(r#"{"answer":"Paris"}"#));
        // 2. ChainOfThought: its fields in their order
        assert_eq!(spans[1].name.as_deref(), Some("claim -> reasoning, verdict, confidence"));
        assert_eq!(
            all[1].outputs.as_deref(),
            Some(r#"{"reasoning":"Water boils at 100 C at sea level.","verdict":"true","confidence":"high"}"#)
        );
        // 3-4. the second turn sees the first as messages of its own
        assert_eq!(roles(&all[2]), ["system", "user"]);
        assert_eq!(roles(&all[3]), ["system", "user", "assistant", "user"]);
        assert!(all[3].messages[2].content.contains("Mercury is the closest planet"));
        assert!(all[3].messages[3].content.contains("And the next one?"));
        // 5. the image, noted
        assert!(
            all[4].messages[1]
                .content
                .starts_with("[[ ## image ## ]]\n<data:image/png;base64,<IMAGE BASE 64 ENCODED(96)>\n")
        );
        assert!(all[4].attributes.contains(&("dspy.history.images".into(), "1".into())));
        // 6. three completions: the first shown, the others counted
        assert_eq!(all[5].outputs.as_deref(), Some(r#"{"answer":"blue"}"#));
        assert!(all[5].attributes.contains(&("dspy.history.completions".into(), "3".into())));
        // 7. a multi-line answer keeps its blank line
        assert_eq!(
            all[6].outputs.as_deref(),
            Some(r#"{"answer":"Step one: boil water.\n\nStep two: pour it over the tea."}"#)
        );
        // ids are distinct and stable
        let mut ids: Vec<&str> = spans.iter().map(|s| s.trace_id.as_str()).collect();
        ids.dedup();
        assert_eq!(ids.len(), 7);
    }

    /// Colour codes (the history printed to a terminal and redirected) change nothing: the
    /// same entries, ids and texts.
    #[test]
    fn colour_codes_are_read_through() {
        let coloured = colour(SAMPLE);
        assert!(coloured.contains("\x1b[34m["));
        let (plain, col) = (parse_all(SAMPLE), parse_all(&coloured));
        let (a, b) = (spans(&plain), spans(&col));
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.trace_id, y.trace_id);
            let (dx, dy) = (detail(SAMPLE, x), detail(&coloured, y));
            assert_eq!(dx.messages, dy.messages);
            assert_eq!(dx.response, dy.response);
            assert_eq!(dx.outputs, dy.outputs);
        }
    }

    /// What `pretty_print_history` does without `file=`: the stamp blue, headers red, the
    /// response green.
    fn colour(text: &str) -> String {
        let mut out = String::new();
        let mut in_response = false;
        for line in text.lines() {
            let l = if line.starts_with("[20") {
                in_response = false;
                format!("\x1b[34m{line}\x1b[0m")
            } else if line.ends_with(" message:") || line == "Response:" {
                in_response = line == "Response:";
                format!("\x1b[31m{line}\x1b[0m")
            } else if in_response && !line.is_empty() {
                format!("\x1b[32m{line}\x1b[0m")
            } else {
                line.to_string()
            };
            out.push_str(&l);
            out.push('\n');
        }
        out
    }

    const ONE: &str = "\n\n\n\n[2026-12-02T08:00:00.000001]\n\nUser message:\n\nhi\n\n\n\
                       Response:\n\nhello\n\n";

    #[test]
    fn bad_entries_are_refused_on_their_own_and_the_others_kept() {
        let bad_time = ONE.replace("2026-12-02T08:00:00.000001", "yesterday at noon");
        let text = format!("leftover text\n{ONE}{bad_time}{}", ONE.replace("hi", "hey"));
        let mut bytes = text.into_bytes();
        // invalid UTF-8 in a fourth entry
        bytes.extend_from_slice(ONE.replace("hi", "h\u{e9}").as_bytes());
        let n = bytes.len();
        let at = bytes.windows(2).rposition(|w| w == "\u{e9}".as_bytes()).unwrap_or(n);
        bytes[at] = 0xff;
        let out = FORMAT
            .parse_one(&bytes, Options { naive_utc: true })
            .expect("entries");
        assert_eq!(spans(&out).len(), 2);
        let why = rejected(&out);
        assert_eq!(why.len(), 3, "{why:?}");
        assert!(why[0].starts_with("line 1: text before the first"), "{why:?}");
        assert!(why[1].contains("[yesterday at noon]"), "{why:?}");
        assert!(why[2].contains("entry 4: not UTF-8"), "{why:?}");
    }

    #[test]
    fn text_that_has_no_entry_is_not_this_format() {
        for text in ["", "hello\nworld\n", "[2026-12-02]\nno header\n", "User message:\nhi\n"] {
            let err = FORMAT
                .parse_one(text.as_bytes(), Options::default())
                .expect_err(text);
            assert!(err.reason.starts_with("no inspect_history entry"), "{err}");
        }
    }

    /// Tool calls (native function calling): in an assistant message, and as the response.
    #[test]
    fn tool_calls_are_kept_in_their_message_and_in_the_response() {
        let text = "[Unknown time]\n\nUser message:\n\nweather?\n\n\nAssistant message:\n\n\
                    \x1b[31mTool calls:\x1b[0m\n\x1b[32mget_weather: {\"city\": \"Paris\"}\x1b[0m\n\n\n\
                    Tool message:\n\nsunny\n\n\n\x1b[31mTool calls:\x1b[0m\n\
                    \x1b[32mreport: {\"text\": \"sunny\"}\x1b[0m\n\n";
        let out = parse_all(text);
        let s = spans(&out);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].start, None);
        let d = detail(text, s[0]);
        assert_eq!(roles(&d), ["user", "assistant", "tool"]);
        assert_eq!(d.messages[1].content, "→ tool call get_weather: {\"city\": \"Paris\"}");
        assert_eq!(d.messages[2].content, "sunny");
        assert_eq!(d.response.as_deref(), Some("→ tool call report: {\"text\": \"sunny\"}"));
    }

    /// A `Response:` line in a message's text is text: the response follows every message.
    #[test]
    fn a_response_line_inside_a_message_is_text() {
        let text = "[2026-12-02T08:00:00]\n\nSystem message:\n\nAnswer like this:\n\nResponse:\n\n\
                    42\n\n\nUser message:\n\nhi\n\n\nResponse:\n\nhello\n";
        let out = parse_all(text);
        let d = detail(text, spans(&out)[0]);
        assert_eq!(roles(&d), ["system", "user"]);
        assert_eq!(d.messages[0].content, "Answer like this:\n\nResponse:\n\n42");
        assert_eq!(d.response.as_deref(), Some("hello"));
    }

    /// The same entry in two dumps (`inspect_history` prints the last n calls each time) is
    /// one trace: same id.
    #[test]
    fn the_same_entry_has_the_same_id() {
        let twice = format!("{ONE}{ONE}");
        let out = parse_all(&twice);
        let s = spans(&out);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].trace_id, s[1].trace_id);
        let other = parse_all(&ONE.replace("hello", "hello!"));
        assert_ne!(spans(&other)[0].trace_id, s[0].trace_id);
    }
}
