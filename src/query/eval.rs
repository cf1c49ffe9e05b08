//! Evaluate a query over the store. Trace terms read the derived trace rows; span terms are one
//! conjunction that some span of the trace must satisfy. Per-name work (substring and fuzzy
//! matches) is done once per distinct interned name, not once per span.

use super::ast::{AttrTest, Clause, Query, Scope, Term};
use super::fuzzy::Fuzzy;
use super::id;
use crate::model::{Span, Store, Sym, Trace, TraceColumns, TraceIdx, TraceStatus};
use std::cell::RefCell;

/// A compiled query bound to a store.
pub struct Matcher<'a> {
    store: &'a Store,
    fuzzy: Fuzzy,
    trace_clauses: Vec<(usize, &'a Clause)>,
    span_clauses: Vec<(usize, &'a Clause)>,
    /// Per clause, per interned string: 0 not tested yet, 1 no, 2 the clause's text matches it.
    cache: RefCell<Vec<Vec<u8>>>,
}

impl<'a> Matcher<'a> {
    #[must_use]
    pub fn new(store: &'a Store, query: &'a Query) -> Self {
        let scoped = |scope| {
            query
                .clauses
                .iter()
                .enumerate()
                .filter(|(_, c)| c.scope == scope)
                .collect::<Vec<_>>()
        };
        Matcher {
            store,
            fuzzy: Fuzzy::default(),
            trace_clauses: scoped(Scope::Trace),
            span_clauses: scoped(Scope::Span),
            cache: RefCell::new(vec![Vec::new(); query.clauses.len()]),
        }
    }

    /// Whether the string `sym` satisfies clause `ci`'s text test, computed once per string.
    fn text_match(&self, ci: usize, sym: Sym, test: impl FnOnce(&str) -> bool) -> bool {
        let i = sym.0 as usize;
        let mut cache = self.cache.borrow_mut();
        let known = &mut cache[ci];
        if known.len() <= i {
            known.resize(self.store.strings.len().max(i + 1), 0);
        }
        match known[i] {
            0 => {
                let hit = test(self.store.str(sym));
                known[i] = 1 + u8::from(hit);
                hit
            }
            v => v == 2,
        }
    }

    fn contains(&self, ci: usize, sym: Sym, needle: &str) -> bool {
        self.text_match(ci, sym, |s| s.to_lowercase().contains(needle))
    }

    fn attr_ok(&self, ci: usize, span: &Span, key: &str, test: &AttrTest) -> bool {
        self.store.span_attr_syms(span).iter().any(|&(k, v)| {
            self.store.str(k) == key
                && match test {
                    AttrTest::Present => true,
                    AttrTest::Equals(want) => self.text_match(ci, v, |s| s.to_lowercase() == *want),
                    AttrTest::Contains(want) => self.contains(ci, v, want),
                }
        })
    }

    fn spans(&self, t: &'a Trace) -> impl Iterator<Item = &'a Span> + 'a {
        let store = self.store;
        t.spans.iter().map(move |&s| store.span(s))
    }

    /// A trace-scope term; what the columns hold is read from them, without the trace row.
    fn trace_term(&self, ci: usize, idx: TraceIdx, term: &Term) -> bool {
        let cols = self.store.columns();
        let i = idx.0 as usize;
        let t = || self.store.trace(idx);
        match term {
            Term::Dur(cmp, ns) => cmp.eval(cols.duration[i], *ns),
            Term::Status(set) => set.contains(&cols.status(i)),
            Term::Name(n) => {
                TraceColumns::sym(cols.name[i]).is_some_and(|sym| self.contains(ci, sym, n))
            }
            Term::Tokens(cmp, n) => cmp.eval(cols.tokens[i].saturating_sub(1), *n),
            Term::Spans(cmp, n) => cmp.eval(u64::from(cols.span_count[i]), *n),
            Term::Model(m) if cols.one_model(i) => {
                TraceColumns::sym(cols.model[i]).is_some_and(|sym| self.contains(ci, sym, m))
            }
            Term::Model(m) => self
                .spans(t())
                .any(|sp| sp.model.is_some_and(|sym| self.contains(ci, sym, m))),
            Term::Kind(set) => self.spans(t()).any(|sp| set.contains(&sp.kind)),
            Term::Id(typed) => self.text_match(ci, t().id, |id| id::matches(id, typed)),
            Term::Attr { key, test } => self.spans(t()).any(|sp| self.attr_ok(ci, sp, key, test)),
            Term::Fuzzy(word) => {
                let fz = |sym: Sym| self.text_match(ci, sym, |n| self.fuzzy.matches(n, word));
                TraceColumns::sym(cols.name[i]).is_some_and(fz)
                    || self.spans(t()).any(|sp| fz(sp.name))
            }
            // The parser only produces Pct at span scope.
            Term::Pct(..) => true,
        }
    }

    #[allow(clippy::cast_precision_loss)]
    fn span_term(&self, ci: usize, t: &Trace, sp: &Span, term: &Term) -> bool {
        match term {
            Term::Dur(cmp, ns) => sp.duration().is_some_and(|d| cmp.eval(d, *ns)),
            Term::Status(set) => {
                let st = if sp.is_error() {
                    TraceStatus::Error
                } else if sp.effective_end().is_none() {
                    TraceStatus::Running
                } else {
                    TraceStatus::Ok
                };
                set.contains(&st)
            }
            Term::Name(n) => self.contains(ci, sp.name, n),
            Term::Model(m) => sp.model.is_some_and(|sym| self.contains(ci, sym, m)),
            Term::Tokens(cmp, n) => cmp.eval(sp.tokens.map_or(0, |t| t.total), *n),
            Term::Kind(set) => set.contains(&sp.kind),
            Term::Pct(cmp, p) => {
                let total = t.summary.duration;
                total > 0
                    && sp
                        .duration()
                        .is_some_and(|d| cmp.eval(d as f64 * 100.0 / total as f64, *p))
            }
            Term::Attr { key, test } => self.attr_ok(ci, sp, key, test),
            Term::Id(prefix) => self.text_match(ci, sp.span_id, |id| {
                id.to_lowercase().starts_with(prefix.as_str())
            }),
            Term::Spans(..) | Term::Fuzzy(_) => true,
        }
    }

    /// Whether trace `idx` matches.
    #[must_use]
    pub fn matches(&self, idx: TraceIdx) -> bool {
        let trace_ok = self
            .trace_clauses
            .iter()
            .all(|&(ci, c)| self.trace_term(ci, idx, &c.term) != c.negated);
        if !trace_ok {
            return false;
        }
        if self.span_clauses.is_empty() {
            return true;
        }
        let t = self.store.trace(idx);
        self.spans(t).any(|sp| {
            self.span_clauses
                .iter()
                .all(|&(ci, c)| self.span_term(ci, t, sp, &c.term) != c.negated)
        })
    }

    /// Whether span `sp` of trace `t` satisfies the query's span terms (for highlighting the
    /// steps that made a trace match).
    #[must_use]
    pub fn span_matches(&self, t: &Trace, sp: &Span) -> bool {
        !self.span_clauses.is_empty()
            && self
                .span_clauses
                .iter()
                .all(|&(ci, c)| self.span_term(ci, t, sp, &c.term) != c.negated)
    }
}

/// The traces of `store` that match `query`, in store order.
#[must_use]
pub fn filter(store: &Store, query: &Query) -> Vec<TraceIdx> {
    let all = store.trace_ids();
    if query.is_empty() {
        return all.collect();
    }
    let m = Matcher::new(store, query);
    all.filter(|&t| m.matches(t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::store::{Record, SpanRecord, TraceRecord};
    use crate::model::{SpanKind, SpanStatus, Tokens};
    use crate::query::parse;

    /// Three traces: a fast ok one, a slow failed RAG with an LLM step, a running one.
    fn store() -> Store {
        let mut s = Store::new();
        let src = s.add_source("test");
        let span =
            |t: &str, id: &str, parent: Option<&str>, name: &str, start: i64, end: Option<i64>| {
                SpanRecord {
                    trace_id: t.into(),
                    span_id: id.into(),
                    parent_id: parent.map(Into::into),
                    name: Some(name.into()),
                    start: Some(start),
                    end,
                    complete: true,
                    ..SpanRecord::default()
                }
            };
        let ms = 1_000_000;
        s.insert(
            src,
            Record::Span(span(
                "aaa1",
                "r",
                None,
                "Predict.forward",
                0,
                Some(100 * ms),
            )),
        );
        let mut root = span("bbb2", "r", None, "MultiHopRAG.forward", 0, Some(3000 * ms));
        root.attrs = vec![("fixture.program".into(), "multihop_rag".into())];
        s.insert(src, Record::Span(root));
        s.insert(
            src,
            Record::Span(span(
                "bbb2",
                "ret",
                Some("r"),
                "Retrieve.forward",
                0,
                Some(200 * ms),
            )),
        );
        let mut lm = span(
            "bbb2",
            "lm",
            Some("r"),
            "LM.__call__",
            200 * ms,
            Some(2900 * ms),
        );
        lm.kind = Some(SpanKind::Llm);
        lm.model = Some("gpt-4o-mini".into());
        lm.tokens = Some(Tokens {
            prompt: 1500,
            completion: 100,
            total: 1600,
        });
        lm.status = Some(SpanStatus::Error);
        lm.error = Some("timeout".into());
        s.insert(src, Record::Span(lm));
        s.insert(
            src,
            Record::Span(span("ccc3", "r", None, "ReAct.forward", 0, None)),
        );
        s.insert(
            src,
            Record::Trace(TraceRecord {
                trace_id: "ccc3".into(),
                running: Some(true),
                ..TraceRecord::default()
            }),
        );
        s.refresh();
        s
    }

    fn ids(store: &Store, q: &str) -> Vec<String> {
        let q = parse(q).unwrap();
        filter(store, &q)
            .into_iter()
            .map(|t| store.str(store.trace(t).id).to_string())
            .collect()
    }

    #[test]
    fn trace_terms() {
        let s = store();
        assert_eq!(ids(&s, ""), vec!["aaa1", "bbb2", "ccc3"]);
        assert_eq!(ids(&s, "dur>2s"), vec!["bbb2"]);
        assert_eq!(ids(&s, "dur<=100ms"), vec!["aaa1", "ccc3"]);
        assert_eq!(ids(&s, "status:error"), vec!["bbb2"]);
        assert_eq!(ids(&s, "status:running|ok"), vec!["aaa1", "ccc3"]);
        assert_eq!(ids(&s, "-status:ok"), vec!["bbb2", "ccc3"]);
        assert_eq!(ids(&s, "name:predict"), vec!["aaa1"]);
        assert_eq!(ids(&s, "model:4o"), vec!["bbb2"]);
        assert_eq!(ids(&s, "tokens>1k"), vec!["bbb2"]);
        assert_eq!(ids(&s, "spans>=3"), vec!["bbb2"]);
        assert_eq!(ids(&s, "kind:llm"), vec!["bbb2"]);
        assert_eq!(ids(&s, "id:CC"), vec!["ccc3"]);
        assert_eq!(ids(&s, "attr.fixture.program=MultiHop_RAG"), vec!["bbb2"]);
        assert_eq!(ids(&s, "attr.fixture.program:hop"), vec!["bbb2"]);
        assert_eq!(ids(&s, "attr.fixture.program"), vec!["bbb2"]);
        assert_eq!(ids(&s, "dur>2s status:error"), vec!["bbb2"]);
    }

    #[test]
    fn fuzzy_words_match_trace_and_span_names() {
        let s = store();
        assert_eq!(ids(&s, "react"), vec!["ccc3"]);
        assert_eq!(ids(&s, "retri"), vec!["bbb2"], "a span name");
        assert_eq!(ids(&s, "-retri"), vec!["aaa1", "ccc3"]);
    }

    #[test]
    fn span_terms_must_hold_on_one_span() {
        let s = store();
        assert_eq!(ids(&s, "span.dur>1s span.status:error"), vec!["bbb2"]);
        // the slow span is the LM; the retrieve span is fast: no single span is both
        assert!(ids(&s, "span.name:retrieve span.dur>1s").is_empty());
        assert_eq!(
            ids(&s, "span.name:retrieve -span.status:error"),
            vec!["bbb2"]
        );
        assert_eq!(ids(&s, "span.pct>80"), vec!["aaa1", "bbb2"]);
        assert_eq!(ids(&s, "span.pct>85 span.kind:llm"), vec!["bbb2"]);
        assert_eq!(ids(&s, "span.model:gpt span.tokens>=1600"), vec!["bbb2"]);
        assert_eq!(ids(&s, "span.status:running"), vec!["ccc3"]);
    }
}
