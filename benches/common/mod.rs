//! A synthetic index shared by the benches: `n` traces of 4 spans (a RAG root, retrieval, an LM call
//! that fails in one trace of 33, a validation step), durations spread over 0.9–4.8 s, three models.

use spanscope::model::store::{Record, SpanRecord};
use spanscope::model::{SpanKind, SpanStatus, Store, Tokens};

pub fn synthetic_store(traces: usize) -> Store {
    let mut s = Store::new();
    let src = s.add_source("synthetic");
    let ms = 1_000_000i64;
    let models = ["gpt-4o-mini", "gpt-4o", "claude-3-5-haiku"];
    for t in 0..traces {
        let tid = format!("{t:032x}");
        let n = i64::try_from(t).unwrap_or(0);
        let base = 1_795_239_420_000_000_000 + n * 1000 * ms;
        let slow = (n * 7919 % 97) * 40 * ms;
        let span =
            |id: &str, parent: Option<&str>, name: &str, kind, start: i64, end: i64| SpanRecord {
                trace_id: tid.clone(),
                span_id: id.into(),
                parent_id: parent.map(Into::into),
                name: Some(name.into()),
                kind: Some(kind),
                start: Some(base + start),
                end: Some(base + end),
                status: Some(SpanStatus::Ok),
                complete: true,
                ..SpanRecord::default()
            };
        let root = span(
            "r",
            None,
            "rag_qa.forward",
            SpanKind::Chain,
            0,
            900 * ms + slow,
        );
        s.insert(src, Record::Span(root));
        let retrieve = span(
            "a",
            Some("r"),
            "retrieve",
            SpanKind::Retriever,
            ms,
            120 * ms,
        );
        s.insert(src, Record::Span(retrieve));
        let mut lm = span(
            "b",
            Some("r"),
            "generate",
            SpanKind::Llm,
            121 * ms,
            880 * ms + slow,
        );
        lm.model = Some(models[t % models.len()].into());
        let prompt = 1200 + u64::try_from(t % 1000).unwrap_or(0);
        lm.tokens = Some(Tokens::counts(prompt, 200, prompt + 200));
        if t % 33 == 0 {
            lm.status = Some(SpanStatus::Error);
            lm.error = Some("TimeoutError: upstream".into());
        }
        s.insert(src, Record::Span(lm));
        let end = 899 * ms + slow;
        let validate = span(
            "c",
            Some("r"),
            "validate",
            SpanKind::Chain,
            880 * ms + slow,
            end,
        );
        s.insert(src, Record::Span(validate));
    }
    s.refresh();
    s
}
