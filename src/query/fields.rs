//! The field names a clause may start with, their aliases, and which scope has which.

/// What an unknown field's error lists.
pub(super) const KNOWN_FIELDS: &str =
    "dur, status, name, model, tokens, spans, kind, id, attr.KEY, span.FIELD";
/// What a span field's error lists.
pub(super) const SPAN_FIELDS: &str = "dur, status, name, kind, model, tokens, pct, attr.KEY";

/// A field of a `field op value` clause; `Attr` holds the key as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Field {
    Dur,
    Status,
    Name,
    Model,
    Tokens,
    Spans,
    Kind,
    Id,
    Pct,
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
            "spans" => Field::Spans,
            "kind" => Field::Kind,
            "id" => Field::Id,
            "pct" => Field::Pct,
            _ => return None,
        })
    }
}
