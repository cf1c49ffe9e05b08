//! Evaluate a query over the store. Trace terms read the derived trace rows; span terms are one
//! conjunction that some span of the trace must satisfy, read from the span table's columns
//! (`span_terms.rs`). Per-name work (substring and fuzzy matches) is done once per distinct
//! interned name, not once per span.

use super::ast::{Clause, Query, Scope, Term, status_in};
use super::fuzzy::Fuzzy;
use super::id;
use super::names::Names;
use super::span_terms::{self, keep};
use crate::model::shares;
use crate::model::{Outcome, SpanIdx, Store, Sym, TextHit, TextHits, TraceColumns, TraceIdx};

/// A compiled query bound to a store.
pub struct Matcher<'a> {
    store: &'a Store,
    names: Names<'a>,
    fuzzy: Fuzzy,
    trace_clauses: Vec<(usize, &'a Clause)>,
    /// The span clauses, those that read the fewest bytes of a span first.
    span_clauses: Vec<(usize, &'a Clause)>,
    /// What the payload searches found for the query's `text:` terms.
    text: Option<&'a TextHits>,
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
        let mut span_clauses = scoped(Scope::Span);
        let mut trace_clauses = scoped(Scope::Trace);
        // a conjunction: its order changes what is read, never the answer
        span_clauses.sort_by_key(|(_, c)| span_terms::cost(&c.term));
        trace_clauses.sort_by_key(|(_, c)| trace_cost(&c.term));
        Matcher {
            store,
            names: Names::new(store, query.clauses.len()),
            fuzzy: Fuzzy::default(),
            trace_clauses,
            span_clauses,
            text: None,
        }
    }

    /// Evaluate `text:` terms with what the payload searches found: a trace says a text when
    /// the search found it there or a span's name contains it. Without this, only names are
    /// looked at.
    #[must_use]
    pub fn with_text(mut self, hits: &'a TextHits) -> Self {
        self.text = Some(hits);
        self
    }

    /// Where trace `idx` says the first text the query looks for: the span and field the
    /// payload search found, or else the first span whose name contains it.
    #[must_use]
    pub fn text_hit(&self, idx: TraceIdx) -> Option<TextHit> {
        let text = self.trace_clauses.iter().find_map(|(_, c)| match &c.term {
            Term::Text(t) if !c.negated => Some(t.as_str()),
            _ => None,
        })?;
        if let Some(hit) = self.text.and_then(|h| h.hit(text, idx)) {
            return Some(hit.clone());
        }
        let table = self.store.spans();
        self.store
            .trace(idx)
            .spans
            .iter()
            .filter(|s| {
                self.store
                    .str(table.name(s.0 as usize))
                    .to_lowercase()
                    .contains(text)
            })
            .map(|&span| TextHit {
                span,
                field: crate::model::TextField::Name,
                start: table.start(span.0 as usize),
            })
            .reduce(|a, b| if b.inner_than(&a) { b } else { a })
    }

    /// The rows of trace `t`'s spans in the span table.
    fn rows(spans: &[SpanIdx]) -> impl Iterator<Item = usize> + '_ {
        spans.iter().map(|s| s.0 as usize)
    }

    /// A trace-scope term; what the columns hold is read from them, without the trace row.
    fn trace_term(&self, ci: usize, idx: TraceIdx, term: &Term) -> bool {
        let cols = self.store.columns();
        let table = self.store.spans();
        let i = idx.0 as usize;
        let t = || Self::rows(self.store.trace_spans(idx));
        match term {
            Term::Dur(cmp, ns) => cmp.eval(cols.duration[i], *ns),
            Term::Status(set) => status_in(set, cols.outcome(i)),
            Term::Name(n) => {
                TraceColumns::sym(cols.name[i]).is_some_and(|sym| self.names.contains(ci, sym, n))
            }
            Term::Tokens(cmp, n) => cmp.eval(cols.tokens[i].saturating_sub(1), *n),
            Term::Cost(cmp, n) => cols.cost(i).is_some_and(|c| cmp.eval(c.0, *n)),
            Term::Score(cmp, v) => cols.score(i).is_some_and(|s| cmp.eval(s.value, *v)),
            Term::Spans(cmp, n) => cmp.eval(u64::from(cols.span_count[i]), *n),
            Term::Model(m) if cols.one_model(i) => {
                TraceColumns::sym(cols.model[i]).is_some_and(|sym| self.names.contains(ci, sym, m))
            }
            Term::Model(m) => t().any(|s| {
                table
                    .model(s)
                    .is_some_and(|sym| self.names.contains(ci, sym, m))
            }),
            Term::Kind(set) => t().any(|s| set.contains(&table.kind(s))),
            Term::Id(typed) => id::matches(&self.store.trace_id(idx), typed),
            Term::Session(prefix) => cols.session(i).is_some_and(|sym| {
                self.names
                    .text_match(ci, sym, |s| s.to_lowercase().starts_with(prefix.as_str()))
            }),
            Term::Attr { key, test } => {
                t().any(|s| self.names.attr_ok(ci, table.attrs(s), key, test))
            }
            Term::Fuzzy(word) => {
                let fz = |sym: Sym| {
                    self.names
                        .text_match(ci, sym, |n| self.fuzzy.matches(n, word))
                };
                TraceColumns::sym(cols.name[i]).is_some_and(fz) || t().any(|s| fz(table.name(s)))
            }
            Term::Text(text) => {
                self.text.and_then(|h| h.hit(text, idx)).is_some()
                    || t().any(|s| self.names.contains(ci, table.name(s), text))
            }
            // The parser only produces Pct at span scope.
            Term::Pct(..) => true,
        }
    }

    /// Whether trace `idx`'s own terms hold (its span terms apart).
    fn trace_ok(&self, idx: TraceIdx) -> bool {
        self.trace_clauses
            .iter()
            .all(|&(ci, c)| self.trace_term(ci, idx, &c.term) != c.negated)
    }

    /// Keep, of `rows`, the traces for which trace clause `c` (the `ci`-th) holds, in order at
    /// the start of `rows`; returns how many. The common terms read their column in a loop of
    /// their own.
    fn narrow(&self, ci: usize, c: &Clause, rows: &mut [TraceIdx]) -> usize {
        let cols = self.store.columns();
        let table = self.store.spans();
        let neg = c.negated;
        let sym = |col: &[u32], t: TraceIdx| TraceColumns::sym(col[t.0 as usize]);
        match &c.term {
            Term::Dur(cmp, ns) => {
                span_terms::retain_cmp(rows, *cmp, *ns, neg, |t| cols.duration[t.0 as usize])
            }
            Term::Tokens(cmp, n) => span_terms::retain_cmp(rows, *cmp, *n, neg, |t| {
                cols.tokens[t.0 as usize].saturating_sub(1)
            }),
            Term::Spans(cmp, n) => span_terms::retain_cmp(rows, *cmp, *n, neg, |t| {
                u64::from(cols.span_count[t.0 as usize])
            }),
            Term::Status(set) => {
                let ok = Outcome::ALL.map(|o| status_in(set, o));
                keep(rows, |t| ok[cols.outcome(t.0 as usize) as usize] != neg)
            }
            Term::Name(n) => {
                let mut hit = self
                    .names
                    .tester(ci, |s| s.to_lowercase().contains(n.as_str()));
                keep(rows, |t| sym(&cols.name, t).is_some_and(&mut hit) != neg)
            }
            Term::Model(m) => {
                let mut hit = self
                    .names
                    .tester(ci, |s| s.to_lowercase().contains(m.as_str()));
                keep(rows, |t| {
                    let found = if cols.one_model(t.0 as usize) {
                        sym(&cols.model, t).is_some_and(&mut hit)
                    } else {
                        self.any_span(t, &mut hit, |s| table.model(s))
                    };
                    found != neg
                })
            }
            Term::Fuzzy(word) => {
                let mut hit = self.names.tester(ci, |n| self.fuzzy.matches(n, word));
                keep(rows, |t| {
                    let found = sym(&cols.name, t).is_some_and(&mut hit)
                        || self.any_span(t, &mut hit, |s| Some(table.name(s)));
                    found != neg
                })
            }
            term => keep(rows, |t| self.trace_term(ci, t, term) != neg),
        }
    }

    /// Keep, of `rows`, the traces every trace clause holds for, in order at the start of
    /// `rows`; returns how many.
    fn narrowed(&self, rows: &mut [TraceIdx]) -> usize {
        let mut n = rows.len();
        for &(ci, c) in &self.trace_clauses {
            n = self.narrow(ci, c, &mut rows[..n]);
        }
        n
    }

    /// Whether some span of trace `t` has a symbol (`of` its row) that `hit` accepts: out of
    /// the loops over the columns, which then stay small enough to be one loop.
    #[inline(never)]
    fn any_span(
        &self,
        t: TraceIdx,
        hit: &mut dyn FnMut(Sym) -> bool,
        of: impl Fn(usize) -> Option<Sym>,
    ) -> bool {
        Self::rows(self.store.trace_spans(t))
            .filter_map(of)
            .any(hit)
    }

    /// Whether trace `idx` matches.
    #[must_use]
    pub fn matches(&self, idx: TraceIdx) -> bool {
        self.trace_ok(idx)
            && (self.span_clauses.is_empty()
                || Self::rows(self.store.trace_spans(idx))
                    .any(|s| span_terms::span_ok(&self.names, &self.span_clauses, s)))
    }

    /// Whether span `s` satisfies the query's span terms (for highlighting the steps that made
    /// a trace match).
    #[must_use]
    pub fn span_matches(&self, s: SpanIdx) -> bool {
        !self.span_clauses.is_empty()
            && span_terms::span_ok(&self.names, &self.span_clauses, s.0 as usize)
    }
}

/// The traces of `store` that match `query`, in store order.
#[must_use]
pub fn filter(store: &Store, query: &Query) -> Vec<TraceIdx> {
    filter_with_text(store, query, None)
}

/// The traces of `store` that match `query`, in store order, with `text:` terms evaluated on
/// what the payload searches found (`hits`). Span terms are evaluated over the whole span
/// table at once, a column at a time.
#[must_use]
pub fn filter_with_text(store: &Store, query: &Query, hits: Option<&TextHits>) -> Vec<TraceIdx> {
    if query.is_empty() {
        return store.trace_id_vec();
    }
    let matcher = || {
        let m = Matcher::new(store, query);
        match hits {
            Some(h) => m.with_text(h),
            None => m,
        }
    };
    let m = matcher();
    let mut rows: Vec<TraceIdx> = if m.span_clauses.is_empty() {
        store.trace_id_vec()
    } else {
        let by_spans = span_terms::traces_with_matching_span(store, query, &m.span_clauses);
        store
            .trace_ids()
            .filter(|&t| by_spans[t.0 as usize])
            .collect()
    };
    if m.trace_clauses.is_empty() {
        return rows;
    }
    // a long list in shares, each narrowed in place by a matcher of its own (what it learns of
    // names is its own), then the rows each kept put end to end
    let ranges = shares::ranges(rows.len());
    let parts = shares::split_mut(&mut rows, &ranges);
    let kept = shares::in_shares(parts, |share| matcher().narrowed(share));
    let mut end = 0;
    for (r, n) in ranges.iter().zip(kept) {
        rows.copy_within(r.start..r.start + n, end);
        end += n;
    }
    rows.truncate(end);
    rows
}

/// What reading a trace term costs per trace, lowest first: one column, a name's test, the
/// spans' columns, the rest.
fn trace_cost(term: &Term) -> u8 {
    match term {
        Term::Dur(..)
        | Term::Status(_)
        | Term::Tokens(..)
        | Term::Spans(..)
        | Term::Cost(..)
        | Term::Score(..) => 0,
        Term::Name(_) | Term::Model(_) | Term::Session(_) => 1,
        Term::Fuzzy(_) | Term::Text(_) | Term::Kind(_) => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::store::{Record, SpanRecord, TraceRecord};
    use crate::model::{SpanKind, SpanStatus, Tokens};
    use crate::query::parse;

    /// Four traces: a fast ok one, a slow RAG that recovered from a failed LLM step, a running
    /// one and a fast one that failed.
    fn store() -> Store {
        stores(&[""])
    }

    /// The four traces of [`store`] once per prefix of their ids.
    fn stores(prefixes: &[&str]) -> Store {
        let mut s = Store::new();
        for p in prefixes {
            four(&mut s, p);
        }
        s.refresh();
        s
    }

    fn four(s: &mut Store, prefix: &str) {
        let src = s.add_source("test");
        let tid = |t: &str| format!("{prefix}{t}");
        let span =
            |t: &str, id: &str, parent: Option<&str>, name: &str, start: i64, end: Option<i64>| {
                SpanRecord {
                    trace_id: tid(t),
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
        root.attrs = vec![("fixture.program".into(), "multihop_rag".into())].into();
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
            ..Tokens::default()
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
                trace_id: tid("ccc3"),
                running: Some(true),
                ..TraceRecord::default()
            }),
        );
        for (id, value) in [("aaa1", 1.0), ("bbb2", 0.0)] {
            s.insert(
                src,
                Record::Trace(TraceRecord {
                    trace_id: tid(id),
                    score: Some(crate::model::ScoreRecord { value, label: None }),
                    ..TraceRecord::default()
                }),
            );
        }
        let mut failed = span("ddd4", "r", None, "Summarize.forward", 0, Some(50 * ms));
        failed.status = Some(SpanStatus::Error);
        s.insert(src, Record::Span(failed));
    }

    fn ids(store: &Store, q: &str) -> Vec<String> {
        let q = parse(q).unwrap();
        filter(store, &q)
            .into_iter()
            .map(|t| store.trace_id(t).to_string())
            .collect()
    }

    /// The whole-list path (a column at a time) and the one-trace path agree, on every kind
    /// of term, negated or not, alone or together.
    #[test]
    fn a_list_filtered_at_once_is_the_traces_that_match_one_by_one() {
        let s = store();
        let terms = [
            "dur>2s",
            "dur<=100ms",
            "status:error|recovered",
            "name:predict",
            "model:4o",
            "tokens>1k",
            "score<0.5",
            "spans>=3",
            "kind:llm",
            "id:CC",
            "attr.fixture.program:hop",
            "react",
            "retri",
            "\"retrieve.forward\"",
            "span.dur>1s",
            "span.status:error",
            "span.name:retrieve",
            "span.kind:llm",
            "span.pct>85",
            "span.model:gpt",
            "span.tokens>=1600",
            "span.attr.fixture.program",
        ];
        let mut queries: Vec<String> = terms.iter().map(|t| (*t).to_string()).collect();
        queries.extend(terms.iter().map(|t| format!("-{t}")));
        for (i, a) in terms.iter().enumerate() {
            queries.push(format!("{a} {}", terms[(i * 7 + 3) % terms.len()]));
        }
        // span clauses that test strings, tested together on each span
        queries.extend(
            [
                "span.name:retrieve span.model:gpt",
                "span.name:e span.name:r -span.attr.fixture.program:hop",
                "span.kind:llm span.name:predict span.model:4o",
                "span.name:o span.attr.fixture.program:hop",
            ]
            .map(String::from),
        );
        // and a list long enough to be read in shares (of 16 rows in the unit tests)
        let prefixes: Vec<String> = (0..40).map(|p| format!("{p:02}")).collect();
        let many = stores(&prefixes.iter().map(String::as_str).collect::<Vec<_>>());
        for s in [&s, &many] {
            for q in &queries {
                let parsed = parse(q).unwrap_or_else(|e| panic!("{q}: {e:?}"));
                let m = Matcher::new(s, &parsed);
                let one_by_one: Vec<TraceIdx> = s.trace_ids().filter(|&t| m.matches(t)).collect();
                assert_eq!(filter(s, &parsed), one_by_one, "{q}");
            }
        }
        assert!(many.trace_count() == 160 && many.span_count() > 160);
    }

    #[test]
    fn trace_terms() {
        let s = store();
        assert_eq!(ids(&s, ""), vec!["aaa1", "bbb2", "ccc3", "ddd4"]);
        assert_eq!(ids(&s, "dur>2s"), vec!["bbb2"]);
        assert_eq!(ids(&s, "dur<=100ms"), vec!["aaa1", "ccc3", "ddd4"]);
        assert_eq!(ids(&s, "-status:ok"), vec!["ccc3", "ddd4"]);
        assert_eq!(ids(&s, "name:predict"), vec!["aaa1"]);
        assert_eq!(ids(&s, "model:4o"), vec!["bbb2"]);
        assert_eq!(ids(&s, "tokens>1k"), vec!["bbb2"]);
        assert_eq!(ids(&s, "spans>=3"), vec!["bbb2"]);
        assert_eq!(ids(&s, "kind:llm"), vec!["bbb2"]);
        assert_eq!(ids(&s, "id:CC"), vec!["ccc3"]);
        assert_eq!(ids(&s, "attr.fixture.program=MultiHop_RAG"), vec!["bbb2"]);
        assert_eq!(ids(&s, "attr.fixture.program:hop"), vec!["bbb2"]);
        assert_eq!(ids(&s, "attr.fixture.program"), vec!["bbb2"]);
        assert_eq!(ids(&s, "dur>2s status:recovered"), vec!["bbb2"]);
        assert_eq!(ids(&s, "score<0.5"), vec!["bbb2"]);
        assert_eq!(ids(&s, "score>=1"), vec!["aaa1"]);
        assert_eq!(ids(&s, "-score>=0"), vec!["ccc3", "ddd4"], "the unscored");
    }

    #[test]
    fn a_span_share_never_counts_the_spans_that_stand_for_the_request() {
        use crate::model::span::flags;
        // a request logged with a synthesized root, the program's top-level span under it
        // (it declared no parent), and two steps of 60 and 30 ms in a 100 ms request
        let mut s = Store::new();
        let src = s.add_source("t");
        let ms = 1_000_000;
        let rec = |id: &str, parent: Option<&str>, start: i64, end: i64| SpanRecord {
            trace_id: "t".into(),
            span_id: id.into(),
            parent_id: parent.map(Into::into),
            name: Some(id.into()),
            start: Some(start * ms),
            end: Some(end * ms),
            complete: true,
            ..SpanRecord::default()
        };
        s.insert(
            src,
            Record::Span(SpanRecord {
                flags: flags::SYNTHETIC_ROOT,
                ..rec("t", None, 0, 100)
            }),
        );
        s.insert(src, Record::Span(rec("program", None, 0, 99)));
        s.insert(src, Record::Span(rec("retrieve", Some("program"), 0, 60)));
        s.insert(src, Record::Span(rec("generate", Some("program"), 60, 90)));
        s.refresh();
        let t = s.trace_ids().next().unwrap();
        assert_eq!(s.trace(t).summary.duration, 100 * ms);
        assert!(ids(&s, "span.pct>90").is_empty());
        assert_eq!(ids(&s, "span.pct>=60"), vec!["t"]);
        assert_eq!(ids(&s, "span.pct>50 span.name:retrieve"), vec!["t"]);
        assert!(ids(&s, "span.pct>=0 span.name:program").is_empty());
    }

    #[test]
    fn status_is_the_request_outcome_and_recovered_is_ok_with_a_failed_step() {
        let s = store();
        // the RAG's LM call failed, the request answered: ok, and recovered
        assert_eq!(ids(&s, "status:error"), vec!["ddd4"]);
        assert_eq!(ids(&s, "status:ok"), vec!["aaa1", "bbb2"]);
        assert_eq!(ids(&s, "status:recovered"), vec!["bbb2"]);
        assert_eq!(ids(&s, "status:ok -status:recovered"), vec!["aaa1"]);
        assert_eq!(ids(&s, "status:running|ok"), vec!["aaa1", "bbb2", "ccc3"]);
        assert_eq!(ids(&s, "status:error|recovered"), vec!["bbb2", "ddd4"]);
        assert_eq!(ids(&s, "-status:recovered"), vec!["aaa1", "ccc3", "ddd4"]);
        // a span's status is its own
        assert_eq!(ids(&s, "span.status:error"), vec!["bbb2", "ddd4"]);
    }

    #[test]
    fn text_terms_read_the_search_hits_and_span_names() {
        let s = store();
        // without a search, a text is looked for in span names only
        assert_eq!(ids(&s, "\"Retrieve.FORWARD\""), vec!["bbb2"]);
        assert!(ids(&s, "text:refund").is_empty());
        let aaa1 = s.trace_ids().next().expect("a trace");
        let span = s.trace(aaa1).spans[0];
        let mut hits = TextHits::default();
        hits.add(
            "refund",
            aaa1,
            TextHit {
                span,
                field: crate::model::TextField::Response,
                start: None,
            },
        );
        let q = parse("text:Refund").expect("parses");
        let with: Vec<_> = filter_with_text(&s, &q, Some(&hits))
            .into_iter()
            .map(|t| s.trace_id(t).to_string())
            .collect();
        assert_eq!(with, ["aaa1"]);
        let m = Matcher::new(&s, &q).with_text(&hits);
        assert_eq!(
            m.text_hit(aaa1).map(|h| h.field.to_string()).as_deref(),
            Some("response")
        );
        let q = parse("-text:refund").expect("parses");
        assert_eq!(
            filter_with_text(&s, &q, Some(&hits)).len(),
            s.trace_count() - 1
        );
        let q = parse("\"retrieve\"").expect("parses");
        let m = Matcher::new(&s, &q);
        let bbb2 = s.trace_ids().nth(1).expect("a second trace");
        assert_eq!(
            m.text_hit(bbb2).map(|h| h.field),
            Some(crate::model::TextField::Name)
        );
    }

    #[test]
    fn fuzzy_words_match_trace_and_span_names() {
        let s = store();
        assert_eq!(ids(&s, "react"), vec!["ccc3"]);
        assert_eq!(ids(&s, "retri"), vec!["bbb2"], "a span name");
        assert_eq!(ids(&s, "-retri"), vec!["aaa1", "ccc3", "ddd4"]);
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
        // never the root: aaa1 and ddd4 are a root alone
        assert_eq!(ids(&s, "span.pct>80"), vec!["bbb2"]);
        assert!(ids(&s, "span.pct>=0 span.name:predict").is_empty());
        assert_eq!(ids(&s, "span.pct>85 span.kind:llm"), vec!["bbb2"]);
        assert_eq!(ids(&s, "span.model:gpt span.tokens>=1600"), vec!["bbb2"]);
        assert_eq!(ids(&s, "span.status:running"), vec!["ccc3"]);
    }
}
