//! The conversation a DSPy call is a turn of, from a `dspy.History` among its inputs.
//!
//! DSPy carries a conversation as an input field holding a `dspy.History`: the earlier turns,
//! each a message with the turn's inputs and outputs (`{"question": …, "answer": …}`). A call
//! does not say which conversation it belongs to, so the rule is: a conversation is named by its
//! first turn's inputs. Turn N's history starts with that turn, so its first message, kept to
//! the keys this call takes as inputs (the history field apart), is the first turn's inputs; a
//! call whose history is empty is the first turn, and its own inputs name it. The name is a hash
//! of those inputs (keys sorted, strings without surrounding whitespace, as `History` strips
//! them): `dspy-` and 16 hex digits. Two conversations opened with the very same inputs are one;
//! a first turn called without any history is no turn of a conversation.

use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The attribute the DSPy reader gives a call with a history (`model/session.rs` looks for it).
pub const ATTR: &str = "dspy.history.session";

/// The conversation `inputs` (a call's inputs as the DSPy writer wrote them) belong to, if they
/// hold a history.
#[must_use]
pub fn session_of(inputs: &RawValue) -> Option<String> {
    let raw = inputs.get();
    if !raw.contains("\"messages\"") {
        return None;
    }
    let value: Value = serde_json::from_str(raw).ok()?;
    let all = value.as_object()?;
    // `Module.__call__(*args, **kwargs)`: the fields are the keyword arguments
    let fields = all.get("kwargs").and_then(Value::as_object).unwrap_or(all);
    let (history, messages) = fields.iter().find_map(|(k, v)| {
        let h = v.as_object().filter(|h| h.len() == 1)?;
        Some((k, h.get("messages")?.as_array()?))
    })?;
    let first: &Map<String, Value> = match messages.first() {
        Some(m) => m.as_object()?,
        None => fields,
    };
    let mut keys: Vec<&String> = fields
        .keys()
        .filter(|k| *k != history && first.contains_key(*k))
        .collect();
    if keys.is_empty() {
        return None;
    }
    keys.sort();
    let mut text = String::new();
    for k in keys {
        let v = &first[k];
        text.push_str(k);
        text.push('\0');
        match v {
            Value::String(s) => text.push_str(s.trim()),
            other => text.push_str(&other.to_string()),
        }
        text.push('\0');
    }
    Some(format!("dspy-{:016x}", fnv1a(text.as_bytes())))
}

/// FNV-1a, 64 bits: the same name from every run and every build.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(json: &str) -> Option<String> {
        session_of(&serde_json::from_str::<Box<RawValue>>(json).unwrap())
    }

    #[test]
    fn every_turn_of_a_conversation_is_named_by_its_first_inputs() {
        let first = of(
            r#"{"args":[],"kwargs":{"question":"What is the capital of France?","history":{"messages":[]}}}"#,
        );
        let second = of(
            r#"{"args":[],"kwargs":{"question":"How many live there?","history":{"messages":[{"question":"What is the capital of France? ","answer":"Paris"}]}}}"#,
        );
        let third = of(
            r#"{"question":"And its river?","history":{"messages":[{"question":"What is the capital of France?","answer":"Paris"},{"question":"How many live there?","answer":"2M"}]}}"#,
        );
        assert!(
            first
                .as_deref()
                .is_some_and(|s| s.starts_with("dspy-") && s.len() == 21)
        );
        assert_eq!(
            first, second,
            "the first message's inputs, its outputs left out"
        );
        assert_eq!(
            first, third,
            "inputs given as fields or as keyword arguments"
        );
        let other = of(r#"{"question":"What is the longest river?","history":{"messages":[]}}"#);
        assert!(other.is_some() && other != first);
    }

    #[test]
    fn inputs_without_a_history_name_no_conversation() {
        assert_eq!(of(r#"{"question":"q"}"#), None);
        assert_eq!(
            of(r#"{"messages":[{"role":"user","content":"q"}]}"#),
            None,
            "an LM call"
        );
        assert_eq!(
            of(r#"{"question":"q","history":{"messages":[{"other":"x"}]}}"#),
            None,
            "a first message sharing no input"
        );
        assert_eq!(
            of(r#"{"history":{"messages":[]}}"#),
            None,
            "nothing but the history"
        );
    }
}
