//! What a search of the traces' texts found: for each text looked for, the traces that say it,
//! with the span and the field where it was first seen. Ingest fills it (it reads the payloads
//! back); the query language reads it to evaluate `text:` terms; the list shows the field.

use super::{Nanos, SpanIdx, TraceIdx};
use std::collections::HashMap;
use std::fmt;

/// Which of a span's texts said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextField {
    Name,
    Prompt,
    Response,
    Inputs,
    Outputs,
    Error,
    /// The value of this attribute.
    Attribute(String),
}

impl fmt::Display for TextField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextField::Name => f.write_str("name"),
            TextField::Prompt => f.write_str("prompt"),
            TextField::Response => f.write_str("response"),
            TextField::Inputs => f.write_str("inputs"),
            TextField::Outputs => f.write_str("outputs"),
            TextField::Error => f.write_str("error"),
            TextField::Attribute(key) => write!(f, "attr {key}"),
        }
    }
}

/// Where a text was found in one trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextHit {
    pub span: SpanIdx,
    pub field: TextField,
    /// When the span started (for choosing among the spans that said it).
    pub start: Option<Nanos>,
}

impl TextHit {
    /// Whether this hit is where a text came from rather than `other`: the span that started
    /// later (a step inside the other, or after it), then the later one in the store's order.
    /// A request's outputs repeat what its LM call answered; the call is where it was said.
    #[must_use]
    pub fn inner_than(&self, other: &TextHit) -> bool {
        (self.start, self.span.0) > (other.start, other.span.0)
    }
}

/// The traces found for one text.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub traces: HashMap<TraceIdx, TextHit>,
    /// Whether every payload was searched (false while a search is under way, or when it was
    /// cancelled).
    pub complete: bool,
}

impl Found {
    /// Record a hit. A trace keeps its innermost span's ([`TextHit::inner_than`]), whatever
    /// order the hits come in.
    pub fn add(&mut self, trace: TraceIdx, hit: TextHit) {
        self.traces
            .entry(trace)
            .and_modify(|h| {
                if hit.inner_than(h) {
                    *h = hit.clone();
                }
            })
            .or_insert(hit);
    }
}

/// What the searches found, by the (lowercased) text looked for.
#[derive(Debug, Clone, Default)]
pub struct TextHits {
    by_text: HashMap<String, Found>,
}

impl TextHits {
    /// What was found for `text` so far (nothing when it was never searched).
    #[must_use]
    pub fn found(&self, text: &str) -> Option<&Found> {
        self.by_text.get(text)
    }

    /// Where `text` was found in `trace`, if it was.
    #[must_use]
    pub fn hit(&self, text: &str, trace: TraceIdx) -> Option<&TextHit> {
        self.by_text.get(text)?.traces.get(&trace)
    }

    /// The entry of `text`, made empty when new.
    pub fn entry(&mut self, text: &str) -> &mut Found {
        self.by_text.entry(text.to_string()).or_default()
    }

    /// Record a hit (see [`Found::add`]).
    pub fn add(&mut self, text: &str, trace: TraceIdx, hit: TextHit) {
        self.entry(text).add(trace, hit);
    }

    /// Forget every text but these (the ones the current query still looks for).
    pub fn retain(&mut self, texts: &[&str]) {
        self.by_text.retain(|t, _| texts.contains(&t.as_str()));
    }

    /// Forget everything (the trace indexes it holds are no longer valid).
    pub fn clear(&mut self) {
        self.by_text.clear();
    }

    /// The texts searched so far.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.by_text.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_keeps_the_innermost_span_that_said_it() {
        let mut h = TextHits::default();
        let hit = |span, start| TextHit {
            span: SpanIdx(span),
            field: TextField::Response,
            start,
        };
        // the LM call inside the request, whatever order they come in
        h.add("refund", TraceIdx(1), hit(3, Some(20)));
        h.add("refund", TraceIdx(1), hit(1, Some(10)));
        assert_eq!(h.hit("refund", TraceIdx(1)), Some(&hit(3, Some(20))));
        h.add("refund", TraceIdx(1), hit(5, Some(30)));
        assert_eq!(h.hit("refund", TraceIdx(1)), Some(&hit(5, Some(30))));
        // same start: the later in the store
        h.add("refund", TraceIdx(1), hit(7, Some(30)));
        assert_eq!(h.hit("refund", TraceIdx(1)), Some(&hit(7, Some(30))));
        assert_eq!(h.hit("refund", TraceIdx(2)), None);
        assert!(h.found("other").is_none());
        h.retain(&["other"]);
        assert!(h.found("refund").is_none());
    }

    #[test]
    fn fields_read_as_the_detail_pane_names_them() {
        assert_eq!(
            TextField::Attribute("lm.model".into()).to_string(),
            "attr lm.model"
        );
        assert_eq!(TextField::Prompt.to_string(), "prompt");
    }
}
