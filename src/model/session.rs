//! A trace's conversation (its session): the value of the first session attribute found on its
//! spans, the root's first. Derived with the rest of the trace's row, so a span arriving late
//! or a trace evicted keeps it right.

use super::attrs::AttrArena;
use super::idx::SpanIdx;
use super::intern::{Interner, Sym};
use super::rows::SpanTable;

/// The attributes that name a conversation, in the order they are looked for: OpenInference's
/// `session.id` (MLflow puts its session there when it exports over OTLP), the GenAI
/// conventions' `gen_ai.conversation.id`, MLflow's trace metadata and tags (as a trace file's
/// root span carries them), and what the DSPy reader makes of a `dspy.History` input
/// (`ingest/formats/dspy_history.rs`).
pub const KEYS: [&str; 6] = [
    "session.id",
    "gen_ai.conversation.id",
    "trace.mlflow.trace.session",
    "tag.mlflow.trace.session",
    "mlflow.trace.session",
    "dspy.history.session",
];

/// The symbols of the keys to look for, the user's own first (`--session-key KEY`: the
/// attribute `KEY`, or MLflow's trace metadata or tag `KEY` as a trace file has them, or the
/// tag as MLflow's OTLP export names it, `mlflow.traceTag.KEY`); keys no span has are left out.
#[must_use]
pub fn key_syms(own: Option<&str>, strings: &Interner) -> Vec<Sym> {
    let own = own.into_iter().flat_map(|k| {
        [
            k.to_string(),
            format!("trace.{k}"),
            format!("tag.{k}"),
            format!("mlflow.traceTag.{k}"),
        ]
    });
    own.chain(KEYS.iter().map(|k| (*k).to_string()))
        .filter_map(|k| strings.get(&k))
        .collect()
}

/// The session of the trace whose spans are `spans` (its root `root`): for each key in turn,
/// the root's value, else the first span's that has one. Empty values do not count.
#[must_use]
pub fn session_of(
    spans: &[SpanIdx],
    root: Option<SpanIdx>,
    table: &SpanTable,
    attrs: &AttrArena,
    keys: &[Sym],
    empty: Option<Sym>,
) -> Option<Sym> {
    if keys.is_empty() {
        return None;
    }
    let value = |s: SpanIdx, key: Sym| {
        attrs
            .get(table.attrs(s.0 as usize))
            .iter()
            .find(|&&(k, v)| k == key && Some(v) != empty)
            .map(|&(_, v)| v)
    };
    keys.iter().find_map(|&key| {
        root.and_then(|r| value(r, key))
            .or_else(|| spans.iter().find_map(|&s| value(s, key)))
    })
}

#[cfg(test)]
mod tests {
    use crate::model::Store;
    use crate::model::records::{Batch, Record, SpanRecord, TraceRecord};

    fn span(trace: &str, id: &str, parent: Option<&str>, attrs: &[(&str, &str)]) -> Record {
        Record::Span(SpanRecord {
            trace_id: trace.into(),
            span_id: id.into(),
            parent_id: parent.map(str::to_string),
            name: Some(id.into()),
            start: Some(1),
            end: Some(2),
            attrs: attrs
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
            ..SpanRecord::default()
        })
    }

    fn session(s: &Store, trace: &str) -> Option<String> {
        let t = s.trace_by_id(trace)?;
        s.summary(t).session.map(|x| s.str(x).to_string())
    }

    fn batch(records: Vec<Record>) -> Batch {
        Batch {
            records,
            ..Batch::default()
        }
    }

    #[test]
    fn a_child_arriving_late_gives_its_trace_a_session() {
        let mut s = Store::new();
        s.apply(batch(vec![span("t", "root", None, &[])]));
        assert_eq!(session(&s, "t"), None, "most traces have none");
        s.apply(batch(vec![span(
            "t",
            "c",
            Some("root"),
            &[("gen_ai.conversation.id", "conv-1")],
        )]));
        assert_eq!(session(&s, "t").as_deref(), Some("conv-1"));
    }

    #[test]
    fn the_roots_value_and_the_first_key_win() {
        let mut s = Store::new();
        s.apply(batch(vec![
            span("t", "c", Some("root"), &[("session.id", "child")]),
            span(
                "t",
                "root",
                None,
                &[("session.id", "root"), ("gen_ai.conversation.id", "other")],
            ),
            span(
                "u",
                "r",
                None,
                &[("session.id", ""), ("mlflow.trace.session", "m")],
            ),
        ]));
        assert_eq!(session(&s, "t").as_deref(), Some("root"));
        assert_eq!(
            session(&s, "u").as_deref(),
            Some("m"),
            "an empty value is none"
        );
    }

    #[test]
    fn a_key_of_ones_own_is_looked_for_first_among_metadata_too() {
        let mut s = Store::new();
        s.set_session_key(Some("user.thread"));
        s.apply(batch(vec![
            span(
                "t",
                "r",
                None,
                &[("user.thread", "th-9"), ("session.id", "s")],
            ),
            span("u", "r", None, &[("trace.user.thread", "th-7")]),
            span("v", "r", None, &[("session.id", "s")]),
            span("w", "r", None, &[("mlflow.traceTag.user.thread", "th-5")]),
        ]));
        assert_eq!(
            session(&s, "w").as_deref(),
            Some("th-5"),
            "MLflow's OTLP tag"
        );
        assert_eq!(session(&s, "t").as_deref(), Some("th-9"));
        assert_eq!(session(&s, "u").as_deref(), Some("th-7"), "MLflow metadata");
        assert_eq!(session(&s, "v").as_deref(), Some("s"));
        s.set_session_key(None);
        assert_eq!(session(&s, "t").as_deref(), Some("s"), "derived again");
    }

    #[test]
    fn eviction_and_compaction_keep_the_sessions_of_the_traces_kept() {
        let mut s = Store::new();
        let mut records = Vec::new();
        for i in 0..6 {
            let id = format!("t{i}");
            records.push(Record::Trace(TraceRecord {
                trace_id: id.clone(),
                ..TraceRecord::default()
            }));
            records.push(span(
                &id,
                "r",
                None,
                &[("session.id", &format!("s{}", i % 2))],
            ));
        }
        s.apply(batch(records));
        s.set_retention(crate::model::retention::Retention {
            max_traces: Some(2),
            ..crate::model::retention::Retention::default()
        });
        s.compact();
        assert_eq!(s.trace_count(), 2);
        assert_eq!(session(&s, "t4").as_deref(), Some("s0"));
        assert_eq!(session(&s, "t5").as_deref(), Some("s1"));
        assert_eq!(session(&s, "t0"), None, "evicted");
    }
}
