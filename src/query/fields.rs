//! The field names a clause may start with, their aliases, and which scope has which.

/// What an unknown field's error lists.
pub(super) const KNOWN_FIELDS: &str = "dur, status, name, model, tokens, cost, score, spans, kind, id, session, text, attr.KEY, span.FIELD";
/// What a span field's error lists.
pub(super) const SPAN_FIELDS: &str = "dur, status, name, kind, model, tokens, cost, pct, attr.KEY";

/// A field of a `field op value` clause; `Attr` holds the key as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Field {
    Dur,
    Status,
    Name,
    Model,
    Tokens,
    Cost,
    Score,
    Spans,
    Kind,
    Id,
    Session,
    Pct,
    Text,
    Attr(String),
}

impl Field {
    /// The field a (lowercased) name means, aliases included.
    pub(super) fn from_name(name: &str) -> Option<Field> {
        Some(match name {
            "dur" | "duration" | "latency" => Field::Dur,
            "status" => Field::Status,
            "name" => Field::Name,
            "model" => Field::Model,
            "tokens" => Field::Tokens,
            "cost" => Field::Cost,
            "score" => Field::Score,
            "spans" => Field::Spans,
            "kind" => Field::Kind,
            "id" => Field::Id,
            "session" | "conversation" => Field::Session,
            "pct" => Field::Pct,
            "text" => Field::Text,
            _ => return None,
        })
    }

    /// Every field written by name, in the order completion offers them.
    pub(super) const NAMED: [Field; 13] = [
        Field::Status,
        Field::Dur,
        Field::Name,
        Field::Model,
        Field::Kind,
        Field::Text,
        Field::Tokens,
        Field::Cost,
        Field::Score,
        Field::Spans,
        Field::Id,
        Field::Session,
        Field::Pct,
    ];

    /// How the field is written (its first name; `attr` for an attribute).
    pub(super) fn canonical(&self) -> &'static str {
        match self {
            Field::Dur => "dur",
            Field::Status => "status",
            Field::Name => "name",
            Field::Model => "model",
            Field::Tokens => "tokens",
            Field::Cost => "cost",
            Field::Score => "score",
            Field::Spans => "spans",
            Field::Kind => "kind",
            Field::Id => "id",
            Field::Session => "session",
            Field::Pct => "pct",
            Field::Text => "text",
            Field::Attr(_) => "attr",
        }
    }

    /// The operator completion writes after the field: `:` for text and sets, `>` for numbers.
    pub(super) fn usual_op(&self) -> &'static str {
        match self {
            Field::Dur | Field::Tokens | Field::Cost | Field::Spans | Field::Pct => ">",
            Field::Score => "<",
            Field::Status
            | Field::Name
            | Field::Model
            | Field::Kind
            | Field::Id
            | Field::Session
            | Field::Text => ":",
            Field::Attr(_) => "=",
        }
    }

    /// Whether a clause at trace scope (`false`: at span scope, after `span.`) may use it.
    pub(super) fn at_trace_scope(&self, trace: bool) -> bool {
        match self {
            Field::Spans | Field::Id | Field::Session | Field::Text | Field::Score => trace,
            Field::Pct => !trace,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Field;
    use crate::query::parse;

    /// What completion writes for each field parses, at the scopes it is offered at, and only
    /// there: the table cannot drift from the grammar.
    #[test]
    fn the_fields_completion_offers_are_the_grammar_s() {
        let example = |f: &Field| match f {
            Field::Dur => "2s",
            Field::Tokens | Field::Cost | Field::Spans | Field::Pct => "5",
            Field::Score => "0.5",
            Field::Status => "error",
            Field::Kind => "llm",
            _ => "x",
        };
        for f in Field::NAMED {
            assert_eq!(Field::from_name(f.canonical()), Some(f.clone()));
            for (trace, prefix) in [(true, ""), (false, "span.")] {
                let q = format!("{prefix}{}{}{}", f.canonical(), f.usual_op(), example(&f));
                assert_eq!(parse(&q).is_ok(), f.at_trace_scope(trace), "{q}");
            }
        }
    }
}
