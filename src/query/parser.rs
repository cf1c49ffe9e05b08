//! The grammar: tokens to clauses. Each clause is read in steps (negation, operator, scope,
//! field, value), and each step's error says what to write instead. The grammar itself is
//! described in the [module documentation](super).

use super::ast::{AttrTest, Clause, Cmp, Query, Scope, Term, parse_kind, parse_status};
use super::display::quote_value;
use super::error::{QueryError, error};
use super::fields::{Field, KNOWN_FIELDS, SPAN_FIELDS};
use super::lexer::{Lexer, OPERATOR_CHARS, Op, TChar, Token, has_prefix, text};
use super::value::Value;
use crate::model::{Nanos, Outcome};
use std::str::FromStr;

/// Parse a query. Blank input yields an empty query (matches everything).
///
/// # Errors
/// The first clause, left to right, that does not parse; the error points into `input`.
pub fn parse(input: &str) -> Result<Query, QueryError> {
    let src: Vec<char> = input.chars().collect();
    let mut lexer = Lexer::new(&src);
    let parser = Parser { src: &src };
    let mut clauses = Vec::new();
    while let Some(token) = lexer.next_token()? {
        clauses.push(parser.clause(&token)?);
    }
    Ok(Query { clauses })
}

impl FromStr for Query {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

/// A duration as the filter language writes it (`2s`, `500ms`, a bare number of ms).
///
/// # Errors
/// Not a duration; the message says what was expected.
pub fn parse_duration(text: &str) -> Result<Nanos, String> {
    match parse(&format!("dur>{}", text.trim())) {
        Ok(q) if q.clauses.len() == 1 => match q.clauses[0].term {
            Term::Dur(_, ns) => Ok(ns),
            _ => Err(format!("{text:?} is not a duration (e.g. 2s, 500ms)")),
        },
        Ok(_) => Err(format!("{text:?} is not a duration (e.g. 2s, 500ms)")),
        Err(e) => Err(e.message),
    }
}

struct Parser<'a> {
    src: &'a [char],
}

/// A `field op value` clause and where its parts are in the source (0-based char indexes).
struct Written<'t> {
    negated: bool,
    /// Where the clause starts after its `-`.
    body_start: usize,
    /// One past the end of the clause's token.
    end: usize,
    op: Op,
    op_idx: usize,
    op_len: usize,
    value: Value<'t>,
}

impl Written<'_> {
    /// Where the value starts, just after the operator.
    fn value_start(&self) -> usize {
        self.op_idx + self.op_len
    }
}

/// `span.` (any case, unquoted) makes a clause span-scoped; the rest is the field or word.
fn scope_of(chars: &[TChar]) -> (Scope, &[TChar]) {
    if has_prefix(chars, "span.") {
        (Scope::Span, &chars[5..])
    } else {
        (Scope::Trace, chars)
    }
}

impl Parser<'_> {
    fn raw(&self, from: usize, to: usize) -> String {
        self.src[from..to].iter().collect()
    }

    fn text_after(&self, idx: usize) -> bool {
        self.src[idx..].iter().any(|c| !c.is_whitespace())
    }

    fn clause(&self, tok: &Token) -> Result<Clause, QueryError> {
        let (negated, body_start, chars) = self.negation(tok)?;
        let Some(p) = chars
            .iter()
            .position(|c| !c.quoted && OPERATOR_CHARS.contains(&c.ch))
        else {
            return self.bare(chars, negated, body_start, tok);
        };
        let (op, op_len) = Op::at(chars, p);
        let op_idx = chars[p].idx;
        let head = &chars[..p];
        if head.is_empty() {
            return Err(self.missing_field(tok, op, op_idx, op_len));
        }
        let value_start = op_idx + op_len;
        let w = Written {
            negated,
            body_start,
            end: tok.end,
            op,
            op_idx,
            op_len,
            value: Value {
                chars: &chars[p + op_len..],
                start: value_start,
                end: tok.end,
                lead: self.raw(body_start, value_start),
                op,
                space_after: value_start == tok.end && self.text_after(tok.end),
            },
        };
        self.not_equal(head, &w)?;
        let (scope, field_chars) = scope_of(head);
        let field = self.field(head, field_chars, scope, &w)?;
        let term = self.term(field, scope, &w)?;
        Ok(Clause {
            negated,
            scope,
            term,
        })
    }

    /// A leading unquoted `-` negates the clause: whether it does, where the rest starts, and
    /// the rest's chars.
    fn negation<'t>(&self, tok: &'t Token) -> Result<(bool, usize, &'t [TChar]), QueryError> {
        let chars: &[TChar] = &tok.chars;
        let Some(first) = chars.first().filter(|c| c.ch == '-' && !c.quoted) else {
            return Ok((false, tok.start, chars));
        };
        if chars.get(1).is_some_and(|c| c.ch == '-' && !c.quoted) {
            return Err(error(
                first.idx,
                2,
                "double negation \"--\" is not allowed; use a single \"-\"",
            ));
        }
        let body_start = first.idx + 1;
        if body_start == tok.end {
            return Err(error(
                first.idx,
                1,
                "\"-\" must be followed by a term to exclude (e.g. -status:error)",
            ));
        }
        Ok((true, body_start, &chars[1..]))
    }

    /// An operator with nothing before it; often `dur >= 2s`, written with spaces.
    fn missing_field(&self, tok: &Token, op: Op, op_idx: usize, op_len: usize) -> QueryError {
        let mut message = format!("expected a field name before \"{}\"", op.as_str());
        let spaced = op_idx == tok.start
            && tok.start > 0
            && !self.src[..tok.start].iter().all(|c| c.is_whitespace());
        if spaced {
            message.push_str(&format!(" (remove the space before \"{}\")", op.as_str()));
        }
        error(op_idx, op_len, message)
    }

    /// `field!=value` is not an operator: say how to negate instead.
    fn not_equal(&self, head: &[TChar], w: &Written) -> Result<(), QueryError> {
        match head.last() {
            Some(last) if w.op == Op::Cmp(Cmp::Eq) && last.ch == '!' && !last.quoted => {
                let field = self.raw(w.body_start, last.idx);
                Err(error(
                    last.idx,
                    2,
                    format!(
                        "\"!=\" is not supported; negate with \"-\" instead: -{field}={}",
                        self.raw(w.value_start(), w.end)
                    ),
                ))
            }
            _ => Ok(()),
        }
    }

    /// The field before the operator: `attr.KEY` or a field name allowed at `scope`.
    fn field(
        &self,
        head: &[TChar],
        field_chars: &[TChar],
        scope: Scope,
        w: &Written,
    ) -> Result<Field, QueryError> {
        let Some(field_first) = field_chars.first() else {
            return Err(error(
                head[0].idx,
                w.op_idx - head[0].idx,
                "expected a span field after \"span.\" (e.g. span.dur>1s)",
            ));
        };
        let (idx, len) = (field_first.idx, w.op_idx - field_first.idx);
        if !has_prefix(field_chars, "attr.") {
            return self.named_field(&text(field_chars), scope, idx, len, w);
        }
        let key = &field_chars[5..];
        if key.is_empty() {
            return Err(error(
                idx,
                len,
                "expected an attribute key after \"attr.\" (e.g. attr.KEY=VALUE)",
            ));
        }
        Ok(Field::Attr(text(key)))
    }

    /// A field by name (`written` as typed, at `idx` for `len` chars), if `scope` has it.
    fn named_field(
        &self,
        written: &str,
        scope: Scope,
        idx: usize,
        len: usize,
        w: &Written,
    ) -> Result<Field, QueryError> {
        let name = written.to_lowercase();
        let message = match (Field::from_name(&name), scope) {
            (Some(Field::Pct), Scope::Trace) => {
                let neg = if w.negated { "-" } else { "" };
                format!(
                    "\"pct\" is a span field: write {neg}span.{}",
                    self.raw(w.body_start, w.end)
                )
            }
            (
                Some(f @ (Field::Spans | Field::Id | Field::Session | Field::Text | Field::Score)),
                Scope::Span,
            ) => {
                let name = match f {
                    Field::Spans => "spans",
                    Field::Id => "id",
                    Field::Session => "session",
                    Field::Score => "score",
                    _ => "text",
                };
                format!(
                    "\"{name}\" is a trace field, not a span field (span fields: {SPAN_FIELDS})"
                )
            }
            (Some(f), _) => return Ok(f),
            (None, _) if name == "attr" => {
                "\"attr\" needs a key: write attr.KEY=VALUE, attr.KEY:VALUE or attr.KEY".into()
            }
            (None, Scope::Trace) if name == "span" => {
                "\"span\" needs a field: write span.FIELD (e.g. span.dur>1s)".into()
            }
            (None, Scope::Trace) => format!("unknown field \"{written}\" (known: {KNOWN_FIELDS})"),
            (None, Scope::Span) => {
                format!("unknown span field \"{written}\" (known: {SPAN_FIELDS})")
            }
        };
        Err(error(idx, len, message))
    }

    /// The term of `field` with the written operator and value.
    fn term(&self, field: Field, scope: Scope, w: &Written) -> Result<Term, QueryError> {
        let v = &w.value;
        Ok(match field {
            Field::Dur => Term::Dur(self.numeric(w, "2s")?, v.duration()?),
            Field::Tokens => Term::Tokens(self.numeric(w, "1k")?, v.tokens()?),
            Field::Cost => Term::Cost(self.numeric(w, "0.01")?, v.cost()?),
            Field::Spans => Term::Spans(self.numeric(w, "10")?, v.whole_number()?),
            Field::Pct => Term::Pct(self.numeric(w, "25")?, v.percentage()?),
            Field::Score => Term::Score(self.numeric(w, "0.5")?, v.score()?),
            Field::Status => {
                self.textual(w, "error")?;
                let status = |word: &str| match parse_status(word) {
                    Ok(Outcome::Recovered) if scope == Scope::Span => Err(format!(
                        "\"{word}\" is a request's status, not a span's: write status:{word} \
                         (span statuses: ok, error, running)"
                    )),
                    parsed => parsed.map_err(|e| e.to_string()),
                };
                Term::Status(v.alternatives("a status", "status:error|running", status)?)
            }
            Field::Kind => {
                self.textual(w, "llm")?;
                Term::Kind(v.alternatives("a kind", "kind:tool|retriever", parse_kind)?)
            }
            Field::Name => {
                self.textual(w, "TEXT")?;
                Term::Name(v.text_value(None)?)
            }
            Field::Model => {
                self.textual(w, "gpt")?;
                Term::Model(v.text_value(None)?)
            }
            Field::Id => {
                self.textual(w, "PREFIX")?;
                Term::Id(v.text_value(None)?)
            }
            Field::Session => {
                self.textual(w, "ID")?;
                Term::Session(v.text_value(None)?)
            }
            Field::Text => {
                self.textual(w, "\"rate limit\"")?;
                Term::Text(v.text_value(None)?)
            }
            Field::Attr(key) => self.attr_term(key, w)?,
        })
    }

    /// The field and operator as written, e.g. `span.dur`.
    fn field_raw(&self, w: &Written) -> String {
        self.raw(w.body_start, w.op_idx)
    }

    /// The value as written, or `example` when none was.
    fn value_or(&self, w: &Written, example: &str) -> String {
        if w.value.chars.is_empty() {
            example.to_string()
        } else {
            self.raw(w.value_start(), w.end)
        }
    }

    /// A numeric field's comparison; `:` is refused with the comparisons to write instead.
    fn numeric(&self, w: &Written, example: &str) -> Result<Cmp, QueryError> {
        match w.op {
            Op::Cmp(c) => Ok(c),
            Op::Colon => {
                let (f, v) = (self.field_raw(w), self.value_or(w, example));
                Err(error(
                    w.op_idx,
                    w.op_len,
                    format!("\":\" cannot compare numbers: write {f}>{v}, {f}<{v} or {f}={v}"),
                ))
            }
        }
    }

    /// A text or set field takes only `:`.
    fn textual(&self, w: &Written, example: &str) -> Result<(), QueryError> {
        if w.op == Op::Colon {
            return Ok(());
        }
        let f = self.field_raw(w);
        Err(error(
            w.op_idx,
            w.op_len,
            format!(
                "\"{f}\" matches with \":\", not \"{}\": write {f}:{}",
                w.op.as_str(),
                self.value_or(w, example)
            ),
        ))
    }

    /// `attr.KEY=VALUE` (equality) or `attr.KEY:VALUE` (substring).
    fn attr_term(&self, key: String, w: &Written) -> Result<Term, QueryError> {
        let field = self.field_raw(w);
        let presence = Some(format!("write {field} alone to test presence"));
        let test = match w.op {
            Op::Cmp(Cmp::Eq) => AttrTest::Equals(w.value.text_value(presence)?),
            Op::Colon => AttrTest::Contains(w.value.text_value(presence)?),
            Op::Cmp(_) => {
                return Err(error(
                    w.op_idx,
                    w.op_len,
                    format!(
                        "attributes are tested with \"=\" or \":\", not \"{}\" (e.g. {field}=VALUE)",
                        w.op.as_str()
                    ),
                ));
            }
        };
        Ok(Term::Attr { key, test })
    }

    /// A token with no (unquoted) operator: `attr.KEY`, `span.attr.KEY` or a
    /// fuzzy word.
    fn bare(
        &self,
        chars: &[TChar],
        negated: bool,
        body_start: usize,
        tok: &Token,
    ) -> Result<Clause, QueryError> {
        let (scope, rest) = scope_of(chars);
        if has_prefix(rest, "attr.") {
            let key = &rest[5..];
            if key.is_empty() {
                return Err(error(
                    rest[0].idx,
                    tok.end - rest[0].idx,
                    "expected an attribute key after \"attr.\" (e.g. attr.KEY)",
                ));
            }
            let test = AttrTest::Present;
            let term = Term::Attr {
                key: text(key),
                test,
            };
            return Ok(Clause {
                negated,
                scope,
                term,
            });
        }
        let len = tok.end - body_start;
        if scope == Scope::Span {
            return Err(error(
                body_start,
                len,
                self.span_word(rest, body_start, tok),
            ));
        }
        if chars.is_empty() {
            return Err(error(body_start, len, "empty search term"));
        }
        // A quoted phrase is text to find; an unquoted word is fuzzy-matched against names.
        let term = if chars.iter().any(|c| c.quoted) {
            Term::Text(text(chars).to_lowercase())
        } else {
            Term::Fuzzy(text(chars))
        };
        Ok(Clause {
            negated,
            scope,
            term,
        })
    }

    /// Why `span.WORD` without an operator is not a clause.
    fn span_word(&self, rest: &[TChar], body_start: usize, tok: &Token) -> String {
        let word = text(rest);
        if word.is_empty() {
            "expected a span field after \"span.\" (e.g. span.dur>1s)".to_string()
        } else if Field::from_name(&word.to_lowercase()).is_some() {
            format!(
                "\"{}\" needs an operator and a value (e.g. span.dur>1s, span.name:TEXT)",
                self.raw(body_start, tok.end)
            )
        } else {
            format!(
                "fuzzy words cannot be scoped to spans; did you mean span.name:{}?",
                quote_value(&word.to_lowercase())
            )
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::model::{Outcome, SpanKind};

    pub(in crate::query) const NS_MS: i64 = 1_000_000;
    pub(in crate::query) const NS_S: i64 = 1_000_000_000;

    pub(in crate::query) fn one(q: &str) -> Clause {
        let parsed = parse(q).unwrap_or_else(|e| panic!("{q:?} failed: {e}"));
        assert_eq!(parsed.clauses.len(), 1, "{q:?}: {parsed:?}");
        parsed.clauses.into_iter().next().unwrap()
    }

    pub(in crate::query) fn term(q: &str) -> Term {
        let c = one(q);
        assert!(!c.negated, "{q:?}");
        assert_eq!(c.scope, Scope::Trace, "{q:?}");
        c.term
    }

    pub(in crate::query) fn span_term(q: &str) -> Term {
        let c = one(q);
        assert_eq!(c.scope, Scope::Span, "{q:?}");
        c.term
    }

    pub(in crate::query) fn fail(q: &str) -> QueryError {
        match parse(q) {
            Ok(parsed) => panic!("{q:?} unexpectedly parsed: {parsed:?}"),
            Err(e) => e,
        }
    }

    pub(in crate::query) fn attr(key: &str, test: AttrTest) -> Term {
        Term::Attr {
            key: key.to_string(),
            test,
        }
    }

    // --- empty --------------------------------------------------------------

    #[test]
    fn empty_query_matches_everything() {
        for q in ["", "   ", "\t\n  "] {
            let parsed = parse(q).unwrap();
            assert!(parsed.is_empty());
            assert_eq!(parsed, Query::default());
        }
    }

    // --- numeric fields ---------------------------------------------------------

    #[test]
    fn dur_field_aliases_and_case() {
        for q in [
            "dur>2s",
            "DUR>2s",
            "duration>2s",
            "Duration>2S",
            "latency>2s",
            "LATENCY>2000MS",
        ] {
            assert_eq!(term(q), Term::Dur(Cmp::Gt, 2 * NS_S), "{q}");
        }
    }

    #[test]
    fn colon_on_numeric_fields_is_an_error() {
        let e = fail("dur:2s");
        assert_eq!(
            e.message,
            "\":\" cannot compare numbers: write dur>2s, dur<2s or dur=2s"
        );
        assert_eq!((e.column, e.len), (4, 1));
        assert_eq!(
            fail("tokens:").message,
            "\":\" cannot compare numbers: write tokens>1k, tokens<1k or tokens=1k"
        );
        assert!(fail("spans:3").message.contains("spans>3"));
        assert!(fail("span.pct:5").message.contains("span.pct>5"));
    }

    // --- status / kind ------------------------------------------------------

    #[test]
    fn status_values_aliases_and_case() {
        assert_eq!(term("status:error"), Term::Status(vec![Outcome::Error]));
        assert_eq!(term("status:ok"), Term::Status(vec![Outcome::Ok]));
        assert_eq!(term("status:running"), Term::Status(vec![Outcome::Running]));
        for alias in ["failed", "fail", "err", "ERROR", "Failed"] {
            assert_eq!(
                term(&format!("status:{alias}")),
                Term::Status(vec![Outcome::Error]),
                "{alias}"
            );
        }
        assert_eq!(term("STATUS:Success"), Term::Status(vec![Outcome::Ok]));
        assert_eq!(
            term("status:recovered|error"),
            Term::Status(vec![Outcome::Recovered, Outcome::Error])
        );
    }

    #[test]
    fn recovered_is_a_request_status_not_a_span_status() {
        let e = fail("span.status:ok|recovered");
        assert_eq!(
            e.message,
            "\"recovered\" is a request's status, not a span's: write status:recovered \
             (span statuses: ok, error, running)"
        );
        assert_eq!((e.column, e.len), (16, 9));
        assert!(
            fail("-span.status:Recovered")
                .message
                .contains("status:Recovered")
        );
    }

    #[test]
    fn status_errors() {
        let e = fail("status:bad");
        assert_eq!(
            e.message,
            "unknown status \"bad\" (use ok, recovered, error, running)"
        );
        assert_eq!((e.column, e.len), (8, 3));

        // Points at the offending alternative.
        let e = fail("status:ok|Nope");
        assert_eq!(
            e.message,
            "unknown status \"Nope\" (use ok, recovered, error, running)"
        );
        assert_eq!((e.column, e.len), (11, 4));

        let e = fail("status:error|");
        assert_eq!(
            e.message,
            "empty alternative in \"status:error|\" (e.g. status:error|running)"
        );
        assert_eq!((e.column, e.len), (13, 1));

        let e = fail("status:");
        assert_eq!(e.message, "expected a status after \"status:\"");
        assert_eq!((e.column, e.len), (8, 1));

        let e = fail("status: error");
        assert_eq!(
            e.message,
            "expected a status after \"status:\" (remove the space after \":\")"
        );

        let e = fail("status>error");
        assert_eq!(
            e.message,
            "\"status\" matches with \":\", not \">\": write status:error"
        );
        assert_eq!((e.column, e.len), (7, 1));
        assert!(fail("status=ok").message.contains("write status:ok"));
    }

    #[test]
    fn kind_values_and_aliases() {
        for k in SpanKind::ALL {
            assert_eq!(term(&format!("kind:{}", k.as_str())), Term::Kind(vec![k]));
            assert_eq!(parse_kind(k.as_str()), Ok(k));
            assert_eq!(parse_kind(&k.as_str().to_uppercase()), Ok(k));
        }
        assert_eq!(term("kind:LM"), Term::Kind(vec![SpanKind::Llm]));
        assert_eq!(
            term("kind:retrieval"),
            Term::Kind(vec![SpanKind::Retriever])
        );
        assert_eq!(
            term("KIND:tool|Retriever|tool"),
            Term::Kind(vec![SpanKind::Tool, SpanKind::Retriever])
        );
    }

    #[test]
    fn kind_unknown() {
        let e = fail("kind:tool|robot");
        assert_eq!(
            e.message,
            "unknown kind \"robot\" (use llm, chain, retriever, tool, agent, embedding, evaluator, other)"
        );
        assert_eq!((e.column, e.len), (11, 5));
    }

    // --- text fields ------------------------------------------------------------

    #[test]
    fn name_model_id_are_lowercased() {
        assert_eq!(term("name:Retrieve"), Term::Name("retrieve".into()));
        assert_eq!(term("NAME:ReAct"), Term::Name("react".into()));
        assert_eq!(term("model:GPT-4o"), Term::Model("gpt-4o".into()));
        assert_eq!(term("id:ABC123"), Term::Id("abc123".into()));
        assert_eq!(term("session:Conv-1"), Term::Session("conv-1".into()));
        assert_eq!(term("conversation:c"), Term::Session("c".into()));
        // `:` and other operator chars inside the value are fine.
        assert_eq!(term("name:a:b=c>d"), Term::Name("a:b=c>d".into()));
    }

    #[test]
    fn text_field_errors() {
        assert_eq!(fail("name:").message, "expected a value after \"name:\"");
        assert_eq!(
            fail("model>gpt").message,
            "\"model\" matches with \":\", not \">\": write model:gpt"
        );
        assert_eq!(
            fail("id=").message,
            "\"id\" matches with \":\", not \"=\": write id:PREFIX"
        );
        // An explicitly quoted empty value is allowed.
        assert_eq!(term("name:\"\""), Term::Name(String::new()));
    }

    // --- attributes -----------------------------------------------------------------

    #[test]
    fn attr_equals_contains_present() {
        assert_eq!(
            term("attr.user=Alice"),
            attr("user", AttrTest::Equals("alice".into()))
        );
        assert_eq!(
            term("attr.user:Ali"),
            attr("user", AttrTest::Contains("ali".into()))
        );
        assert_eq!(term("attr.user"), attr("user", AttrTest::Present));
    }

    #[test]
    fn attr_keys_with_dots_keep_case() {
        assert_eq!(
            term("attr.fixture.program=react_agent"),
            attr("fixture.program", AttrTest::Equals("react_agent".into()))
        );
        assert_eq!(
            term("ATTR.Http.Method:GET"),
            attr("Http.Method", AttrTest::Contains("get".into()))
        );
        assert_eq!(term("Attr.a.b.c"), attr("a.b.c", AttrTest::Present));
    }

    #[test]
    fn attr_values_may_contain_operators_and_quotes() {
        assert_eq!(
            term("attr.url=http://x.io/?a=b"),
            attr("url", AttrTest::Equals("http://x.io/?a=b".into()))
        );
        assert_eq!(
            term("attr.user=\"A b\""),
            attr("user", AttrTest::Equals("a b".into()))
        );
        assert_eq!(
            term("attr.k=\"\""),
            attr("k", AttrTest::Equals(String::new()))
        );
        // Quoted parts of a key are allowed and let keys hold operator chars.
        assert_eq!(
            term("attr.\"my key:x\"=v"),
            attr("my key:x", AttrTest::Equals("v".into()))
        );
    }

    #[test]
    fn attr_errors() {
        let e = fail("attr.=x");
        assert_eq!(
            e.message,
            "expected an attribute key after \"attr.\" (e.g. attr.KEY=VALUE)"
        );
        assert_eq!((e.column, e.len), (1, 5));
        assert_eq!(
            fail("attr.").message,
            "expected an attribute key after \"attr.\" (e.g. attr.KEY)"
        );
        assert_eq!(
            fail("attr:x").message,
            "\"attr\" needs a key: write attr.KEY=VALUE, attr.KEY:VALUE or attr.KEY"
        );
        let e = fail("attr.n>3");
        assert_eq!(
            e.message,
            "attributes are tested with \"=\" or \":\", not \">\" (e.g. attr.n=VALUE)"
        );
        assert_eq!((e.column, e.len), (7, 1));
        assert_eq!(
            fail("attr.user=").message,
            "expected a value after \"attr.user=\" (write attr.user alone to test presence)"
        );
    }

    // --- span scope -----------------------------------------------------------------

    #[test]
    fn span_scope_terms() {
        assert_eq!(span_term("span.dur>1s"), Term::Dur(Cmp::Gt, NS_S));
        assert_eq!(
            span_term("span.status:error"),
            Term::Status(vec![Outcome::Error])
        );
        assert_eq!(
            span_term("span.name:Retrieve"),
            Term::Name("retrieve".into())
        );
        assert_eq!(span_term("span.kind:llm"), Term::Kind(vec![SpanKind::Llm]));
        assert_eq!(span_term("span.model:gpt"), Term::Model("gpt".into()));
        assert_eq!(span_term("span.tokens>100"), Term::Tokens(Cmp::Gt, 100));
        assert_eq!(span_term("span.pct>25"), Term::Pct(Cmp::Gt, 25.0));
        assert_eq!(
            span_term("span.attr.KEY=V"),
            attr("KEY", AttrTest::Equals("v".into()))
        );
        assert_eq!(span_term("span.attr.k"), attr("k", AttrTest::Present));
        assert_eq!(
            span_term("SPAN.Duration<=2m"),
            Term::Dur(Cmp::Le, 120 * NS_S)
        );
    }

    #[test]
    fn pct_at_trace_scope_is_an_error() {
        let e = fail("pct>25");
        assert_eq!(e.message, "\"pct\" is a span field: write span.pct>25");
        assert_eq!((e.column, e.len), (1, 3));
        let e = fail("name:x -PCT>=30%");
        assert_eq!(e.message, "\"pct\" is a span field: write -span.PCT>=30%");
        assert_eq!((e.column, e.len), (9, 3));
    }

    #[test]
    fn span_scope_errors() {
        let e = fail("span.retrieve");
        assert_eq!(
            e.message,
            "fuzzy words cannot be scoped to spans; did you mean span.name:retrieve?"
        );
        assert_eq!((e.column, e.len), (1, 13));
        assert_eq!(
            fail("span.dur").message,
            "\"span.dur\" needs an operator and a value (e.g. span.dur>1s, span.name:TEXT)"
        );
        assert_eq!(
            fail("span.").message,
            "expected a span field after \"span.\" (e.g. span.dur>1s)"
        );
        assert_eq!(
            fail("span.>3").message,
            "expected a span field after \"span.\" (e.g. span.dur>1s)"
        );
        let e = fail("span.spans>3");
        assert_eq!(
            e.message,
            "\"spans\" is a trace field, not a span field (span fields: dur, status, name, kind, model, tokens, cost, pct, attr.KEY)"
        );
        assert_eq!((e.column, e.len), (6, 5));
        assert!(
            fail("span.id:ab")
                .message
                .starts_with("\"id\" is a trace field")
        );
        assert_eq!(
            fail("span.bogus:x").message,
            "unknown span field \"bogus\" (known: dur, status, name, kind, model, tokens, cost, pct, attr.KEY)"
        );
        assert_eq!(
            fail("span:x").message,
            "\"span\" needs a field: write span.FIELD (e.g. span.dur>1s)"
        );
    }

    // --- negation -------------------------------------------------------------------

    #[test]
    fn negation_of_trace_and_span_terms() {
        let c = one("-status:error");
        assert!(c.negated);
        assert_eq!(c.scope, Scope::Trace);
        assert_eq!(c.term, Term::Status(vec![Outcome::Error]));

        let c = one("-span.kind:tool");
        assert!(c.negated);
        assert_eq!(c.scope, Scope::Span);
        assert_eq!(c.term, Term::Kind(vec![SpanKind::Tool]));

        let c = one("-retrieve");
        assert!(c.negated);
        assert_eq!(c.term, Term::Fuzzy("retrieve".into()));

        let c = one("-attr.debug");
        assert!(c.negated);
        assert_eq!(c.term, attr("debug", AttrTest::Present));

        let c = one("-\"two words\"");
        assert!(c.negated);
        assert_eq!(c.term, Term::Text("two words".into()));

        // A quoted leading dash is literal, not a negation.
        assert_eq!(term("\"-x\""), Term::Text("-x".into()));
    }

    #[test]
    fn negation_errors() {
        let e = fail("status:ok - name:x");
        assert_eq!(
            e.message,
            "\"-\" must be followed by a term to exclude (e.g. -status:error)"
        );
        assert_eq!((e.column, e.len), (11, 1));
        let e = fail("--x");
        assert_eq!(
            e.message,
            "double negation \"--\" is not allowed; use a single \"-\""
        );
        assert_eq!((e.column, e.len), (1, 2));
        assert_eq!(
            fail("dur!=3s").message,
            "\"!=\" is not supported; negate with \"-\" instead: -dur=3s"
        );
    }

    // --- fuzzy words, unknown fields -----------------------------------------------

    #[test]
    fn fuzzy_words() {
        assert_eq!(term("retrieve"), Term::Fuzzy("retrieve".into()));
        assert_eq!(term("MultiHop"), Term::Fuzzy("MultiHop".into()));
        // Field names alone are just words.
        assert_eq!(term("status"), Term::Fuzzy("status".into()));
        assert_eq!(fail("\"\"").message, "empty search term");
    }

    #[test]
    fn quoted_phrases_and_text_terms_look_for_text() {
        assert_eq!(term("\"Rate Limit\""), Term::Text("rate limit".into()));
        assert_eq!(term("text:\"Rate Limit\""), Term::Text("rate limit".into()));
        assert_eq!(term("TEXT:refund"), Term::Text("refund".into()));
        // Quoting makes operator characters literal.
        assert_eq!(term("\"a:b\""), Term::Text("a:b".into()));
        assert_eq!(term("\"http://x\""), Term::Text("http://x".into()));
        assert_eq!(
            fail("text>3").message,
            "\"text\" matches with \":\", not \">\": write text:3"
        );
        assert!(
            fail("span.text:x")
                .message
                .starts_with("\"text\" is a trace field, not a span field")
        );
        let q = parse("status:ok \"rate limit\" -text:Refund text:\"RATE limit\"").expect("parses");
        assert_eq!(q.texts(), ["rate limit", "refund"]);
    }

    #[test]
    fn unknown_fields_are_errors() {
        let e = fail("name:x bogus:x");
        assert_eq!(
            e.message,
            "unknown field \"bogus\" (known: dur, status, name, model, tokens, cost, score, spans, kind, id, session, text, attr.KEY, span.FIELD)"
        );
        assert_eq!((e.column, e.len), (8, 5));
        let e = fail("foo>3");
        assert!(e.message.starts_with("unknown field \"foo\""));
        assert_eq!((e.column, e.len), (1, 3));
        assert!(
            fail("trace:abc")
                .message
                .starts_with("unknown field \"trace\"")
        );
        assert!(
            fail("http://x")
                .message
                .starts_with("unknown field \"http\"")
        );
        assert!(
            fail("Bogus=1")
                .message
                .starts_with("unknown field \"Bogus\"")
        );
    }

    #[test]
    fn missing_field_name() {
        let e = fail(":x");
        assert_eq!(e.message, "expected a field name before \":\"");
        assert_eq!((e.column, e.len), (1, 1));
        let e = fail("dur >= 2s");
        assert_eq!(
            e.message,
            "expected a field name before \">=\" (remove the space before \">=\")"
        );
        assert_eq!((e.column, e.len), (5, 2));
    }

    // --- order of errors ---------------------------------------------------------------

    #[test]
    fn errors_are_reported_left_to_right() {
        // The bad field comes before the unterminated quote.
        assert!(fail("bogus:x \"abc").message.starts_with("unknown field"));
    }

    // --- misc --------------------------------------------------------------------------

    #[test]
    fn multiple_clauses_and_scope_iterators() {
        let q = parse("  retrieve\tdur>2s\n-span.kind:llm  span.pct>=50% attr.x=1 ").unwrap();
        assert_eq!(q.clauses.len(), 5);
        assert!(!q.is_empty());
        let trace: Vec<_> = q.trace_clauses().map(|c| c.term.clone()).collect();
        assert_eq!(
            trace,
            vec![
                Term::Fuzzy("retrieve".into()),
                Term::Dur(Cmp::Gt, 2 * NS_S),
                attr("x", AttrTest::Equals("1".into())),
            ]
        );
        let span: Vec<_> = q.span_clauses().collect();
        assert_eq!(span.len(), 2);
        assert!(span[0].negated);
        assert_eq!(span[0].term, Term::Kind(vec![SpanKind::Llm]));
        assert_eq!(span[1].term, Term::Pct(Cmp::Ge, 50.0));
    }

    #[test]
    fn query_from_str() {
        let q: Query = "status:ok".parse().unwrap();
        assert_eq!(q.clauses.len(), 1);
        assert!("bogus:1".parse::<Query>().is_err());
    }
}
