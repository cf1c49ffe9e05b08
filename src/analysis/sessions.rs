//! Conversations: the traces that share a session (`model/session.rs`), each trace a turn.
//! Per conversation its turns in the order they started, how long it lasted (first turn's start
//! to last turn's end), its tokens and cost, its failed turns; and its transcript, each turn's
//! user input and final answer.
//!
//! The texts come from the turns' root spans' decoded details (`ingest::detail::details_of`,
//! read by the caller: this does no I/O). A turn's input is its root's inputs without the
//! history it was given (a `dspy.History`, which repeats the earlier turns), else the last user
//! message of its prompt; its answer is its root's outputs, else its response.

use crate::ingest::texts::SpanDetail;
use crate::model::{Nanodollars, Nanos, SpanIdx, Store, Sym, Tokens, TraceIdx, TraceStatus};
use foldhash::{HashMap, HashSet};
use serde_json::{Map, Value};

/// One conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub session: Sym,
    /// Its traces, by start (ties by arrival).
    pub turns: Vec<TraceIdx>,
    pub start: Nanos,
    /// From the first turn's start to the last turn's end.
    pub duration: Nanos,
    /// The sum of the turns' totals; `None` when no turn has a count.
    pub tokens: Option<Tokens>,
    /// What the priced LM calls of its turns cost; `None` when none is priced.
    pub cost: Option<Nanodollars>,
    /// LM calls whose cost is not known.
    pub unpriced: u32,
    /// Turns whose request failed (status error).
    pub errors: u32,
    /// Turns still running.
    pub running: u32,
}

/// The first question of each of `convs` (its first turn's input), reading the first turns'
/// roots with `details` (`ingest::detail::details_of`, which reads each record once).
#[must_use]
pub fn first_questions(
    store: &Store,
    convs: &[Conversation],
    details: &dyn Fn(&[SpanIdx]) -> Vec<SpanDetail>,
) -> Vec<Option<String>> {
    let roots: Vec<Option<SpanIdx>> = convs
        .iter()
        .map(|c| c.turns.first().and_then(|&t| root_of(store, t)))
        .collect();
    let wanted: Vec<SpanIdx> = roots.iter().flatten().copied().collect();
    let mut read = details(&wanted).into_iter();
    roots
        .iter()
        .map(|r| r.and_then(|_| read.next()).and_then(|d| input_of(&d)))
        .collect()
}

/// The span a turn's texts are read from: its root, else its first span.
#[must_use]
pub fn root_of(store: &Store, t: TraceIdx) -> Option<SpanIdx> {
    store
        .columns()
        .root(t.0 as usize)
        .or_else(|| store.trace_spans(t).first().copied())
}

/// The conversations that `traces` (the matching traces) are turns of, each with all its live
/// turns, most recent first (by start of its first turn).
#[must_use]
pub fn conversations(store: &Store, traces: &[TraceIdx]) -> Vec<Conversation> {
    let c = store.columns();
    if !c.has_sessions() {
        return Vec::new();
    }
    let wanted: HashSet<Sym> = traces
        .iter()
        .filter_map(|t| c.session(t.0 as usize))
        .collect();
    let mut by: HashMap<Sym, Vec<TraceIdx>> = HashMap::default();
    for t in store.trace_ids() {
        if let Some(s) = c.session(t.0 as usize).filter(|s| wanted.contains(s)) {
            by.entry(s).or_default().push(t);
        }
    }
    let mut out: Vec<Conversation> = by
        .into_iter()
        .map(|(session, turns)| conversation(store, session, turns))
        .collect();
    out.sort_by(|a, b| {
        b.start
            .cmp(&a.start)
            .then_with(|| store.str(a.session).cmp(store.str(b.session)))
    });
    out
}

fn conversation(store: &Store, session: Sym, mut turns: Vec<TraceIdx>) -> Conversation {
    let c = store.columns();
    let at = |t: TraceIdx| t.0 as usize;
    turns.sort_by_key(|&t| (c.start[at(t)], store.arrival(t)));
    let start = turns.iter().map(|&t| c.start[at(t)]).min().unwrap_or(0);
    let end = turns
        .iter()
        .map(|&t| c.start[at(t)] + c.duration[at(t)])
        .max()
        .unwrap_or(start);
    let mut tokens: Option<Tokens> = None;
    let mut cost: Option<Nanodollars> = None;
    let (mut unpriced, mut errors, mut running) = (0, 0, 0);
    for &t in &turns {
        let s = c.summary(at(t));
        if let Some(k) = s.tokens {
            tokens = Some(tokens.map_or(k, |a| a + k));
        }
        if let Some(k) = s.cost {
            cost = Some(cost.unwrap_or_default() + k);
        }
        unpriced += s.unpriced;
        errors += u32::from(s.status == TraceStatus::Error);
        running += u32::from(s.status == TraceStatus::Running);
    }
    Conversation {
        session,
        turns,
        start,
        duration: (end - start).max(0),
        tokens,
        cost,
        unpriced,
        errors,
        running,
    }
}

/// The conversation named `id` (exactly, else the only one it is a prefix of), among all
/// live traces.
///
/// # Errors
/// No conversation has that id, or several start with it (their ids, a few).
pub fn find(store: &Store, id: &str) -> Result<Conversation, String> {
    let all: Vec<TraceIdx> = store.trace_ids().collect();
    let every = conversations(store, &all);
    if let Some(c) = every.iter().find(|c| store.str(c.session) == id) {
        return Ok(c.clone());
    }
    let mut starting = every
        .iter()
        .filter(|c| store.str(c.session).starts_with(id));
    match (starting.next(), starting.next()) {
        (Some(c), None) => Ok(c.clone()),
        (None, _) => Err(format!("no conversation {id:?}")),
        (Some(a), Some(b)) => Err(format!(
            "{id:?} starts several conversations ({}, {}, …): give more of it",
            store.str(a.session),
            store.str(b.session)
        )),
    }
}

/// One turn of a transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnText {
    pub trace: TraceIdx,
    /// From the conversation's start.
    pub offset: Nanos,
    pub duration: Nanos,
    pub status: TraceStatus,
    /// What the user asked (see the module's doc).
    pub input: Option<String>,
    /// The final answer, or the request's error.
    pub answer: Option<String>,
    pub error: Option<String>,
}

impl TurnText {
    /// The turn's texts in reading order, as (label, text): the user's input, the answer, the
    /// error (`-` for what was not recorded).
    #[must_use]
    pub fn blocks(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("user", self.input.clone().unwrap_or_else(|| "-".into()))];
        if let Some(a) = &self.answer {
            out.push(("answer", a.clone()));
        }
        if let Some(e) = &self.error {
            out.push(("error", e.clone()));
        }
        if self.answer.is_none() && self.error.is_none() {
            out.push(("answer", "-".into()));
        }
        out
    }
}

/// The transcript of `conv`: `details` are the details of `roots` (as [`roots`] lists them).
#[must_use]
pub fn transcript(
    store: &Store,
    conv: &Conversation,
    roots: &[SpanIdx],
    details: &[SpanDetail],
) -> Vec<TurnText> {
    conv.turns
        .iter()
        .map(|&t| {
            let s = store.summary(t);
            let d = root_of(store, t)
                .and_then(|r| roots.iter().position(|&x| x == r))
                .and_then(|i| details.get(i));
            TurnText {
                trace: t,
                offset: s.start - conv.start,
                duration: s.duration,
                status: s.status,
                input: d.and_then(input_of),
                answer: d.and_then(answer_of),
                error: s
                    .error_message
                    .filter(|_| s.status == TraceStatus::Error)
                    .map(|e| store.str(e).to_string()),
            }
        })
        .collect()
}

/// The roots of `conv`'s turns (a turn without spans has none), to hand to `details_of` for
/// [`transcript`].
#[must_use]
pub fn roots(store: &Store, conv: &Conversation) -> Vec<SpanIdx> {
    conv.turns
        .iter()
        .filter_map(|&t| root_of(store, t))
        .collect()
}

/// What a turn's user asked, from its root span's detail: its inputs without a history field
/// (one text field: that text; several: `key: value` lines), else the last user message.
#[must_use]
pub fn input_of(d: &SpanDetail) -> Option<String> {
    if let Some(i) = d.inputs.as_deref() {
        return Some(match serde_json::from_str::<Value>(i) {
            Ok(Value::Object(all)) => {
                let fields = match all.get("kwargs") {
                    Some(Value::Object(kw)) => kw.clone(),
                    _ => all,
                };
                fields_text(fields.into_iter().filter(|(_, v)| !is_history(v)).collect())
            }
            Ok(Value::String(s)) => s,
            _ => i.to_string(),
        });
    }
    d.messages
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .map(|m| m.content.clone())
}

/// A turn's final answer, from its root span's detail: its outputs (one field: its text;
/// several: `key: value` lines), else its response.
#[must_use]
pub fn answer_of(d: &SpanDetail) -> Option<String> {
    let text = d.outputs.as_deref().or(d.response.as_deref())?;
    Some(match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(fields)) => fields_text(fields),
        Ok(Value::String(s)) => s,
        _ => text.to_string(),
    })
}

/// A `dspy.History` as written: an object whose one field is the list of messages (the DSPy
/// writer, MLflow), or its text `messages=[…]` (OpenInference).
fn is_history(v: &Value) -> bool {
    match v {
        Value::Object(o) => o.len() == 1 && o.get("messages").is_some_and(Value::is_array),
        Value::String(s) => s.starts_with("messages=["),
        _ => false,
    }
}

fn fields_text(fields: Map<String, Value>) -> String {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if fields.len() == 1 {
        return fields.values().map(text).collect();
    }
    fields
        .iter()
        .map(|(k, v)| format!("{k}: {}", text(v)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::texts::Message;
    use crate::model::records::{Batch, Record, SpanRecord};

    fn turn(trace: &str, session: Option<&str>, start: i64, end: i64, tokens: u64) -> Record {
        Record::Span(SpanRecord {
            trace_id: trace.into(),
            span_id: "r".into(),
            name: Some("Chat".into()),
            start: Some(start),
            end: Some(end),
            tokens: Some(Tokens::counts(tokens, 1, tokens + 1)),
            status: Some(if trace == "b2" {
                crate::model::SpanStatus::Error
            } else {
                crate::model::SpanStatus::Ok
            }),
            attrs: session
                .map(|s| vec![("session.id".to_string(), s.to_string())].into())
                .unwrap_or_default(),
            ..SpanRecord::default()
        })
    }

    fn store() -> Store {
        let mut s = Store::new();
        s.apply(Batch {
            records: vec![
                turn("a2", Some("conv-a"), 300, 400, 10),
                turn("a1", Some("conv-a"), 100, 150, 5),
                turn("b1", Some("conv-b"), 500, 600, 1),
                turn("b2", Some("conv-b"), 700, 900, 2),
                turn("lone", None, 50, 60, 9),
            ],
            ..Batch::default()
        });
        s
    }

    fn ids(s: &Store, c: &Conversation) -> Vec<String> {
        c.turns.iter().map(|&t| s.trace_id(t).to_string()).collect()
    }

    #[test]
    fn traces_sharing_a_session_are_the_turns_of_one_conversation() {
        let s = store();
        let all: Vec<TraceIdx> = s.trace_ids().collect();
        let convs = conversations(&s, &all);
        let names: Vec<&str> = convs.iter().map(|c| s.str(c.session)).collect();
        assert_eq!(
            names,
            ["conv-b", "conv-a"],
            "most recent first; no session, no conversation"
        );
        let a = &convs[1];
        assert_eq!(ids(&s, a), ["a1", "a2"], "turns by start");
        assert_eq!((a.start, a.duration), (100, 300), "first start to last end");
        assert_eq!(a.tokens, Some(Tokens::counts(15, 2, 17)));
        assert_eq!((a.errors, convs[0].errors), (0, 1));
        // a filter matching one turn keeps its whole conversation
        let b2 = s.trace_by_id("b2").unwrap();
        let only = conversations(&s, &[b2]);
        assert_eq!(only.len(), 1);
        assert_eq!(ids(&s, &only[0]), ["b1", "b2"]);
        assert!(find(&s, "conv-a").is_ok_and(|c| c == *a));
        assert!(find(&s, "conv-b").is_ok());
        assert!(find(&s, "conv").unwrap_err().contains("several"));
        assert!(find(&s, "nope").unwrap_err().contains("no conversation"));
    }

    #[test]
    fn a_turn_reads_as_its_input_without_history_and_its_answer() {
        let dspy = SpanDetail {
            inputs: Some(
                r#"{"args":[],"kwargs":{"question":"Capital of France?","history":{"messages":[{"question":"q0","answer":"a0"}]}}}"#
                    .into(),
            ),
            outputs: Some(r#"{"answer":"Paris"}"#.into()),
            ..SpanDetail::default()
        };
        assert_eq!(input_of(&dspy).as_deref(), Some("Capital of France?"));
        let openinference = SpanDetail {
            inputs: Some(
                r#"{"question":"Capital?","history":"messages=[{'question': 'q0'}]"}"#.into(),
            ),
            ..SpanDetail::default()
        };
        assert_eq!(input_of(&openinference).as_deref(), Some("Capital?"));
        assert_eq!(answer_of(&dspy).as_deref(), Some("Paris"));
        let two = SpanDetail {
            inputs: Some(r#"{"question":"q","context":"c"}"#.into()),
            outputs: Some(r#"{"reasoning":"r","answer":"a"}"#.into()),
            ..SpanDetail::default()
        };
        assert_eq!(input_of(&two).as_deref(), Some("question: q\ncontext: c"));
        assert_eq!(answer_of(&two).as_deref(), Some("reasoning: r\nanswer: a"));
        let chat = SpanDetail {
            messages: vec![
                Message {
                    role: "user".into(),
                    content: "hi".into(),
                },
                Message {
                    role: "assistant".into(),
                    content: "hello".into(),
                },
                Message {
                    role: "user".into(),
                    content: "and now?".into(),
                },
            ],
            response: Some("now this".into()),
            ..SpanDetail::default()
        };
        assert_eq!(input_of(&chat).as_deref(), Some("and now?"));
        assert_eq!(answer_of(&chat).as_deref(), Some("now this"));
        let plain = SpanDetail {
            inputs: Some("just text".into()),
            ..SpanDetail::default()
        };
        assert_eq!(input_of(&plain).as_deref(), Some("just text"));
        assert_eq!(answer_of(&plain), None);
    }

    #[test]
    fn a_transcript_has_each_turns_texts_in_order() {
        let s = store();
        let conv = find(&s, "conv-b").unwrap();
        let roots = roots(&s, &conv);
        assert_eq!(roots.len(), 2);
        let details = [
            SpanDetail {
                inputs: Some(r#"{"question":"one"}"#.into()),
                outputs: Some(r#"{"answer":"1"}"#.into()),
                ..SpanDetail::default()
            },
            SpanDetail::default(),
        ];
        let t = transcript(&s, &conv, &roots, &details);
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].offset, t[1].offset, t[1].duration), (0, 200, 200));
        assert_eq!(
            (t[0].input.as_deref(), t[0].answer.as_deref()),
            (Some("one"), Some("1"))
        );
        assert_eq!(
            (t[1].input.as_deref(), t[1].status),
            (None, TraceStatus::Error)
        );
    }
}
