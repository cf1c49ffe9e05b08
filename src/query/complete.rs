//! Completion of a filter at the cursor, from the grammar and from what the store holds: field
//! names, then the values a field takes (statuses, kinds, trace and span names, models, trace
//! ids, attribute keys and the values of one key), the way a shell completes a word.
//!
//! The clause under the cursor is read up to the cursor; each candidate is the text that
//! replaces that part, so putting one in is one replacement whatever it completes.

use super::ast::Scope;
use super::display::{quote_key, quote_value, quote_word};
use super::fields::Field;
use super::lexer::OPERATOR_CHARS;
use super::typing::clause_start;
use crate::model::{Outcome, SpanKind, Store, Sym};
use foldhash::{HashMap, HashMapExt};

/// At most this many candidates are offered.
pub const MAX_CANDIDATES: usize = 200;

/// A string the store holds and how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub text: String,
    /// Traces (for trace names) or spans that have it.
    pub count: u32,
}

/// What completion offers from the store: the distinct names, models and attribute keys of the
/// live traces, the most frequent first. Made once per store generation, when Tab asks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vocabulary {
    /// The traces' names (their root spans').
    pub trace_names: Vec<Counted>,
    pub span_names: Vec<Counted>,
    pub models: Vec<Counted>,
    pub attr_keys: Vec<Counted>,
}

/// Symbols counted, then resolved and ordered: most frequent first, then by text.
fn ranked(store: &Store, counts: HashMap<Sym, u32>) -> Vec<Counted> {
    let mut v: Vec<Counted> = counts
        .into_iter()
        .map(|(sym, count)| Counted {
            text: store.str(sym).to_string(),
            count,
        })
        .filter(|c| !c.text.is_empty())
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.text.cmp(&b.text)));
    v
}

impl Vocabulary {
    /// What the live traces of `store` name.
    #[must_use]
    pub fn of(store: &Store) -> Self {
        let (mut traces, mut spans) = (HashMap::new(), HashMap::new());
        let (mut models, mut keys) = (HashMap::new(), HashMap::new());
        for t in store.trace_ids() {
            let tr = store.trace(t);
            if let Some(n) = tr.summary.name {
                *traces.entry(n).or_insert(0) += 1;
            }
            for &s in tr.spans {
                let sp = store.span(s);
                *spans.entry(sp.name).or_insert(0) += 1;
                if let Some(m) = sp.model {
                    *models.entry(m).or_insert(0) += 1;
                }
                let mut seen: Vec<Sym> = Vec::new();
                for &(k, _) in store.span_attr_syms(&sp) {
                    if !seen.contains(&k) {
                        seen.push(k);
                        *keys.entry(k).or_insert(0) += 1;
                    }
                }
            }
        }
        Vocabulary {
            trace_names: ranked(store, traces),
            span_names: ranked(store, spans),
            models: ranked(store, models),
            attr_keys: ranked(store, keys),
        }
    }
}

/// One completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// What replaces the clause typed so far (from its start up to the cursor).
    pub text: String,
    /// What the list shows.
    pub label: String,
    /// What it is, and how often the store has it.
    pub note: String,
    /// It makes a whole clause: a space may follow it.
    pub whole: bool,
}

/// The candidates at a cursor, and where the part they replace starts (in chars).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completion {
    pub start: usize,
    pub items: Vec<Candidate>,
}

impl Completion {
    /// The longest beginning every candidate shares (case-insensitively; spelled as the first
    /// one spells it).
    #[must_use]
    pub fn common_prefix(&self) -> String {
        let Some(first) = self.items.first() else {
            return String::new();
        };
        let mut n = first.text.chars().count();
        for c in &self.items[1..] {
            n = first
                .text
                .chars()
                .zip(c.text.chars())
                .take(n)
                .take_while(|(a, b)| a.to_lowercase().eq(b.to_lowercase()))
                .count();
        }
        first.text.chars().take(n).collect()
    }
}

/// The text of a piece of a clause without its quotes and escapes (an open quote is fine).
fn unquoted(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    let mut inside = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => inside = !inside,
            '\\' if inside && matches!(chars.peek(), Some('"' | '\\')) => {
                out.extend(chars.next());
            }
            c => out.push(c),
        }
    }
    out
}

/// Where the first unquoted operator of `s` is, and how long it is.
fn operator(s: &[char]) -> Option<(usize, usize)> {
    let mut inside = false;
    for (i, &c) in s.iter().enumerate() {
        if c == '"' {
            inside = !inside;
        } else if !inside && OPERATOR_CHARS.contains(&c) {
            let two = matches!(c, '>' | '<') && s.get(i + 1) == Some(&'=');
            return Some((i, if two { 2 } else { 1 }));
        }
    }
    None
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.to_lowercase().starts_with(&prefix.to_lowercase())
}

/// Candidates from `words` for what was typed: those that start with it, else those that
/// contain it (case-insensitively).
fn matching<'w>(words: &'w [Counted], typed: &str) -> Vec<&'w Counted> {
    let start = starting(words, typed);
    if !start.is_empty() {
        return start;
    }
    let lower = typed.to_lowercase();
    words
        .iter()
        .filter(|w| w.text.to_lowercase().contains(&lower))
        .take(MAX_CANDIDATES)
        .collect()
}

/// The words that start with what was typed (case-insensitively).
fn starting<'w>(words: &'w [Counted], typed: &str) -> Vec<&'w Counted> {
    let lower = typed.to_lowercase();
    words
        .iter()
        .filter(|w| w.text.to_lowercase().starts_with(&lower))
        .take(MAX_CANDIDATES)
        .collect()
}

fn plural(n: u32, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The values of attribute `key` on the live spans of `store`, the most frequent first.
fn attr_values(store: &Store, key: &str) -> Vec<Counted> {
    let Some(k) = store.strings.get(key) else {
        return Vec::new();
    };
    let mut counts = HashMap::new();
    for t in store.trace_ids() {
        for &s in store.trace_spans(t) {
            for &(kk, v) in store.span_attr_syms(&store.span(s)) {
                if kk == k {
                    *counts.entry(v).or_insert(0) += 1;
                }
            }
        }
    }
    ranked(store, counts)
}

/// The clause typed up to the cursor, in parts.
struct Typed {
    /// `-` and `span.` as written.
    lead: String,
    scope: Scope,
    /// The rest, as written.
    rest: Vec<char>,
}

impl Typed {
    fn read(typed: &[char]) -> Self {
        let mut at = usize::from(typed.first() == Some(&'-'));
        let s: String = typed[at..].iter().collect();
        let scope = if starts_with_ci(&s, "span.") {
            at += 5;
            Scope::Span
        } else {
            Scope::Trace
        };
        Typed {
            lead: typed[..at].iter().collect(),
            scope,
            rest: typed[at..].to_vec(),
        }
    }
}

/// The completions of `line` at char `cursor`, from the grammar and `store` (`vocab` is what
/// [`Vocabulary::of`] made of it).
#[must_use]
pub fn complete(store: &Store, vocab: &Vocabulary, line: &str, cursor: usize) -> Completion {
    let chars: Vec<char> = line.chars().collect();
    let cursor = cursor.min(chars.len());
    let start = clause_start(line, cursor);
    let typed = Typed::read(&chars[start..cursor]);
    let mut items = match operator(&typed.rest) {
        None => names(vocab, &typed),
        Some((p, len)) => values(store, vocab, &typed, p, len),
    };
    let mut seen = std::collections::HashSet::new();
    items.retain(|c| seen.insert(c.text.clone()));
    items.truncate(MAX_CANDIDATES);
    Completion { start, items }
}

/// A clause without an operator yet: a field, `attr.KEY`, `span.`, or a name as a fuzzy word.
fn names(vocab: &Vocabulary, t: &Typed) -> Vec<Candidate> {
    let rest: String = t.rest.iter().collect();
    let lead = &t.lead;
    if starts_with_ci(&rest, "attr.") {
        let written: String = t.rest[..5].iter().collect();
        return matching(&vocab.attr_keys, &unquoted(&rest[5..]))
            .into_iter()
            .map(|k| Candidate {
                text: format!("{lead}{written}{}", quote_key(&k.text)),
                label: k.text.clone(),
                note: format!("attribute · {}", plural(k.count, "span")),
                whole: false,
            })
            .collect();
    }
    let trace = t.scope == Scope::Trace;
    let mut out: Vec<Candidate> = Field::NAMED
        .iter()
        .filter(|f| f.at_trace_scope(trace))
        .map(|f| (format!("{}{}", f.canonical(), f.usual_op()), "field"))
        .chain([("attr.".to_string(), "attribute: attr.KEY")])
        .chain(trace.then(|| ("span.".to_string(), "a span's field: span.FIELD")))
        .filter(|(f, _)| starts_with_ci(f, &rest))
        .map(|(f, note)| Candidate {
            text: format!("{lead}{f}"),
            label: f,
            note: note.into(),
            whole: false,
        })
        .collect();
    let word = unquoted(&rest);
    if trace && !word.is_empty() && out.is_empty() {
        // no field starts so: a name, as a fuzzy word
        let mut names: Vec<Counted> = vocab.trace_names.clone();
        names.extend(vocab.span_names.iter().cloned());
        out.extend(starting(&names, &word).into_iter().map(|n| Candidate {
            text: format!("{lead}{}", quote_word(&n.text)),
            label: n.text.clone(),
            note: "name (a fuzzy word)".into(),
            whole: true,
        }));
    }
    out
}

/// A clause with its operator: the values its field takes.
fn values(store: &Store, vocab: &Vocabulary, t: &Typed, p: usize, len: usize) -> Vec<Candidate> {
    let head: String = t.rest[..p].iter().collect();
    let op: String = t.rest[p..p + len].iter().collect();
    let value: String = t.rest[p + len..].iter().collect();
    let written = format!("{}{head}{op}", t.lead);
    let cand = |v: &str, label: &str, note: String| Candidate {
        text: format!("{written}{v}"),
        label: label.to_string(),
        note,
        whole: true,
    };
    let counted = |words: &[Counted], what: &str, unit: &str| -> Vec<Candidate> {
        matching(words, &unquoted(&value))
            .into_iter()
            .map(|w| {
                let note = format!("{what} · {}", plural(w.count, unit));
                cand(&quote_value(&w.text), &w.text, note)
            })
            .collect()
    };
    if starts_with_ci(&head, "attr.") {
        if !matches!(op.as_str(), "=" | ":") {
            return Vec::new();
        }
        let key = unquoted(&head[5..]);
        return counted(&attr_values(store, &key), "value", "span");
    }
    let Some(field) = Field::from_name(&unquoted(&head).to_lowercase()) else {
        return Vec::new();
    };
    let trace = t.scope == Scope::Trace;
    if op != field.usual_op() && (op == ":" || field.usual_op() == ":")
        || !field.at_trace_scope(trace)
    {
        return Vec::new();
    }
    match field {
        Field::Status | Field::Kind => {
            let (before, last) = value
                .rsplit_once('|')
                .map_or(("", value.as_str()), |(a, b)| (a, b));
            let before = if value.contains('|') {
                format!("{before}|")
            } else {
                String::new()
            };
            let words: Vec<&str> = if field == Field::Status {
                // recovered is a request's outcome, not a span's
                Outcome::ALL
                    .into_iter()
                    .filter(|&o| trace || o != Outcome::Recovered)
                    .map(Outcome::as_str)
                    .collect()
            } else {
                SpanKind::ALL.map(SpanKind::as_str).to_vec()
            };
            let what = field.canonical();
            words
                .into_iter()
                .filter(|w| starts_with_ci(w, last))
                .map(|w| cand(&format!("{before}{w}"), w, what.into()))
                .collect()
        }
        Field::Name if trace => {
            let mut out = counted(&vocab.trace_names, "trace name", "trace");
            // a step's name: at span scope, where it matches
            let neg = if t.lead.starts_with('-') { "-" } else { "" };
            out.extend(
                matching(&vocab.span_names, &unquoted(&value))
                    .into_iter()
                    .filter(|n| !vocab.trace_names.iter().any(|tn| tn.text == n.text))
                    .map(|n| Candidate {
                        text: format!("{neg}span.name:{}", quote_value(&n.text)),
                        label: format!("span.name:{}", n.text),
                        note: format!("span name · {}", plural(n.count, "span")),
                        whole: true,
                    }),
            );
            out
        }
        Field::Name => counted(&vocab.span_names, "span name", "span"),
        Field::Model => counted(&vocab.models, "model", "span"),
        Field::Session => {
            let lower = unquoted(&value).to_lowercase();
            let mut seen: Vec<&str> = Vec::new();
            for t in store.trace_ids().rev() {
                let Some(s) = store.columns().session(t.0 as usize) else {
                    continue;
                };
                let s = store.str(s);
                if s.to_lowercase().starts_with(&lower) && !seen.contains(&s) {
                    seen.push(s);
                }
                if seen.len() == MAX_CANDIDATES {
                    break;
                }
            }
            seen.into_iter()
                .map(|s| cand(&quote_value(s), s, "conversation".into()))
                .collect()
        }
        Field::Id => {
            let lower = unquoted(&value).to_lowercase();
            store
                .trace_ids()
                .rev()
                .map(|t| store.trace_id(t))
                .filter(|id| id.to_lowercase().starts_with(&lower))
                .take(MAX_CANDIDATES)
                .map(|id| cand(&quote_value(&id), &id, "trace id".into()))
                .collect()
        }
        Field::Dur
            if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit() || c == '.') =>
        {
            ["ms", "s", "m", "us"]
                .into_iter()
                .map(|u| {
                    cand(
                        &format!("{value}{u}"),
                        &format!("{value}{u}"),
                        "duration".into(),
                    )
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::store::{Record, SpanRecord};

    /// A DSPy-like store: two HandbookQA requests (Retrieve, then an LM call) and a ReAct one
    /// with a tool.
    fn store() -> Store {
        let mut s = Store::new();
        let src = s.add_source("test");
        let span = |t: &str, id: &str, parent: Option<&str>, name: &str| SpanRecord {
            trace_id: t.into(),
            span_id: id.into(),
            parent_id: parent.map(Into::into),
            name: Some(name.into()),
            start: Some(0),
            end: Some(10),
            complete: true,
            ..SpanRecord::default()
        };
        for t in ["t1", "t2"] {
            s.insert(src, Record::Span(span(t, "r", None, "HandbookQA")));
            let mut ret = span(t, "ret", Some("r"), "Retrieve");
            ret.attrs = vec![("retriever.k".into(), "3".into())].into();
            s.insert(src, Record::Span(ret));
            let mut lm = span(t, "lm", Some("r"), "DummyLM");
            lm.model = Some("gpt-4o-mini".into());
            lm.attrs = vec![
                ("lm.model".into(), "openai/gpt-4o-mini".into()),
                ("instance.class".into(), "DummyLM".into()),
            ]
            .into();
            s.insert(src, Record::Span(lm));
        }
        let mut root = span("t3", "r", None, "ReAct");
        root.attrs = vec![("instance.class".into(), "ReAct".into())].into();
        s.insert(src, Record::Span(root));
        s.insert(
            src,
            Record::Span(span("t3", "tool", Some("r"), "get weather")),
        );
        s.refresh();
        s
    }

    /// The candidates' texts for `line` with the cursor at `¦` (at the end without one).
    fn texts(line: &str) -> Vec<String> {
        let s = store();
        let v = Vocabulary::of(&s);
        let cursor = line
            .find('¦')
            .map_or(line.chars().count(), |b| line[..b].chars().count());
        let c = complete(&s, &v, &line.replace('¦', ""), cursor);
        c.items.into_iter().map(|c| c.text).collect()
    }

    #[test]
    fn the_vocabulary_counts_what_the_live_traces_name() {
        let s = store();
        let v = Vocabulary::of(&s);
        let texts = |w: &[Counted]| {
            w.iter()
                .map(|c| (c.text.clone(), c.count))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            texts(&v.trace_names),
            [("HandbookQA".to_string(), 2), ("ReAct".to_string(), 1)]
        );
        assert_eq!(texts(&v.models), [("gpt-4o-mini".to_string(), 2)]);
        assert_eq!(
            v.attr_keys[0],
            Counted {
                text: "instance.class".into(),
                count: 3
            }
        );
        assert_eq!(v.span_names.len(), 5);
    }

    #[test]
    fn session_completes_with_the_conversations_loaded() {
        let mut s = Store::new();
        let src = s.add_source("test");
        for (t, session) in [
            ("t1", "chat-1"),
            ("t2", "chat-1"),
            ("t3", "chat-2"),
            ("t4", "x"),
        ] {
            s.insert(
                src,
                Record::Span(SpanRecord {
                    trace_id: t.into(),
                    span_id: "r".into(),
                    name: Some("Chat".into()),
                    start: Some(0),
                    end: Some(1),
                    attrs: vec![("session.id".into(), session.into())].into(),
                    ..SpanRecord::default()
                }),
            );
        }
        s.refresh();
        let v = Vocabulary::of(&s);
        let texts = |line: &str| -> Vec<String> {
            let c = complete(&s, &v, line, line.chars().count());
            c.items.into_iter().map(|c| c.text).collect()
        };
        assert_eq!(texts("sess"), ["session:"]);
        assert_eq!(
            texts("session:ch"),
            ["session:chat-2", "session:chat-1"],
            "newest first, once each"
        );
    }

    #[test]
    fn field_names_complete_with_their_operator() {
        assert_eq!(texts("sta"), ["status:"]);
        assert_eq!(texts("du"), ["dur>"]);
        assert_eq!(texts("-sta"), ["-status:"]);
        assert_eq!(texts("span.p"), ["span.pct>"]);
        assert_eq!(
            texts("span.sp"),
            Vec::<String>::new(),
            "spans is a trace field"
        );
        assert_eq!(texts("a"), ["attr."]);
        // an empty clause: every field, then attr. and span.
        let all = texts("dur>1s ¦");
        assert_eq!(all[0], "status:");
        assert!(all.contains(&"span.".to_string()) && all.contains(&"id:".to_string()));
        assert!(!all.contains(&"pct>".to_string()));
    }

    #[test]
    fn values_of_status_and_kind_complete_each_alternative() {
        assert_eq!(texts("status:er"), ["status:error"]);
        assert_eq!(
            texts("status:error|r"),
            ["status:error|recovered", "status:error|running"]
        );
        // recovered is a request's outcome: not offered for a span
        assert_eq!(texts("span.status:r"), ["span.status:running"]);
        assert_eq!(
            texts("STATUS:"),
            [
                "STATUS:ok",
                "STATUS:recovered",
                "STATUS:error",
                "STATUS:running"
            ]
        );
        assert_eq!(texts("span.kind:re"), ["span.kind:retriever"]);
        assert_eq!(
            texts("status>e"),
            Vec::<String>::new(),
            "status takes \":\""
        );
    }

    #[test]
    fn names_models_and_ids_come_from_the_store() {
        assert_eq!(texts("name:h"), ["name:HandbookQA"]);
        // a step's name is offered where it matches: at span scope
        assert_eq!(texts("name:Ret"), ["span.name:Retrieve"]);
        assert_eq!(texts("-name:get"), ["-span.name:\"get weather\""]);
        assert_eq!(texts("span.name:Ret"), ["span.name:Retrieve"]);
        assert_eq!(texts("model:gp"), ["model:gpt-4o-mini"]);
        assert_eq!(
            texts("model:4o"),
            ["model:gpt-4o-mini"],
            "inside the name when no start matches"
        );
        assert_eq!(texts("id:t"), ["id:t3", "id:t2", "id:t1"]);
        assert_eq!(texts("dur>2"), ["dur>2ms", "dur>2s", "dur>2m", "dur>2us"]);
    }

    #[test]
    fn attribute_keys_and_their_values() {
        assert_eq!(
            texts("attr."),
            ["attr.instance.class", "attr.lm.model", "attr.retriever.k"]
        );
        assert_eq!(texts("span.attr.lm"), ["span.attr.lm.model"]);
        assert_eq!(
            texts("attr.instance.class="),
            ["attr.instance.class=DummyLM", "attr.instance.class=ReAct"]
        );
        assert_eq!(
            texts("attr.lm.model:open"),
            ["attr.lm.model:openai/gpt-4o-mini"]
        );
        assert_eq!(texts("attr.nope="), Vec::<String>::new());
    }

    #[test]
    fn bare_words_complete_to_names_and_quote_what_needs_it() {
        assert_eq!(texts("Han"), ["HandbookQA"]);
        assert_eq!(texts("get"), ["\"get weather\""]);
        // a field wins over a name; a name needs what no field starts with
        assert_eq!(texts("d"), ["dur>"]);
        assert_eq!(texts("Dum"), ["DummyLM"]);
        assert_eq!(texts("xyz"), Vec::<String>::new());
    }

    #[test]
    fn only_the_clause_before_the_cursor_is_replaced() {
        let s = store();
        let v = Vocabulary::of(&s);
        let c = complete(&s, &v, "dur>1s sta name:x", 10);
        assert_eq!(c.start, 7);
        assert_eq!(c.items[0].text, "status:");
        // a quoted value with a space in it is one clause
        let c = complete(&s, &v, "dur>1s name:\"get w", 18);
        assert_eq!(c.start, 7);
        assert_eq!(c.items[0].text, "span.name:\"get weather\"");
    }

    #[test]
    fn the_common_prefix_ignores_case() {
        let c = Completion {
            start: 0,
            items: ["status:error", "STATUS:ERR", "status:e"]
                .map(|t| Candidate {
                    text: t.into(),
                    label: t.into(),
                    note: String::new(),
                    whole: true,
                })
                .to_vec(),
        };
        assert_eq!(c.common_prefix(), "status:e");
        assert_eq!(Completion::default().common_prefix(), "");
    }
}
