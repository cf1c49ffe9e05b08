//! Why a record was refused: the typed error every parser returns, and serde's errors worded
//! for the user (the message and the column).

/// What kind of problem a record has, for code that treats them differently (the fuzz checks,
/// the whole-document fallback); the user reads [`ParseError::reason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Not valid JSON text (or not valid UTF-8 inside it).
    Json,
    /// Valid JSON, but not an object of any known format.
    Shape,
    /// A field has the wrong type, or a required one is missing.
    Field,
    /// A field's value is out of bounds: a bad time, duration, status or version.
    Value,
    /// A binary body that is not what its format says (protobuf), or carries nothing.
    Body,
    /// Reading a detail back: the record has no such span or step (it changed since).
    Missing,
}

/// A record refused, with the reason shown to the user (its text is the whole message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ParseError {
    pub kind: ErrorKind,
    pub reason: String,
}

impl ParseError {
    #[must_use]
    pub fn new(kind: ErrorKind, reason: impl Into<String>) -> ParseError {
        ParseError {
            kind,
            reason: reason.into(),
        }
    }

    /// The same error with `prefix` before its reason (`"MLflow trace: "`).
    #[must_use]
    pub fn prefixed(self, prefix: &str) -> ParseError {
        ParseError {
            kind: self.kind,
            reason: format!("{prefix}{}", self.reason),
        }
    }
}

/// A serde_json error as a reason: the message and the column (records are single lines).
#[must_use]
pub fn json_error(e: &serde_json::Error) -> ParseError {
    let msg = e.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    let kind = match e.classify() {
        serde_json::error::Category::Data => ErrorKind::Field,
        _ => ErrorKind::Json,
    };
    let reason = if e.line() > 1 {
        format!(
            "invalid JSON at line {} column {}: {msg}",
            e.line(),
            e.column()
        )
    } else {
        format!("invalid JSON at column {}: {msg}", e.column())
    };
    ParseError::new(kind, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_the_reason() {
        let e = ParseError::new(ErrorKind::Value, "bad").prefixed("x: ");
        assert_eq!(e.to_string(), "x: bad");
        assert_eq!(e.kind, ErrorKind::Value);
    }
}
