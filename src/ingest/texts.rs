//! What a span's detail holds (prompt messages, response, inputs, outputs, parameters,
//! attributes, the error and the raw records), and how a span's outcome follows from its status
//! and its exception. Every format fills these; none of them is imported here.

use crate::model::SpanStatus;

/// One prompt message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    pub role: String,
    pub content: String,
}

/// What went wrong in a span.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorInfo {
    pub kind: Option<String>,
    pub message: Option<String>,
    pub stacktrace: Option<String>,
}

/// A span's error in one line: the status message, else `Type: message` of its exception.
#[must_use]
pub fn error_message(status_message: &str, exception: Option<&ErrorInfo>) -> String {
    if !status_message.is_empty() {
        return status_message.to_string();
    }
    match exception.map(|e| (&e.kind, &e.message)) {
        Some((Some(k), Some(m))) => format!("{k}: {m}"),
        Some((k, m)) => m
            .clone()
            .or_else(|| k.clone())
            .unwrap_or_else(|| "error".into()),
        None => "error".into(),
    }
}

/// A status as OpenTelemetry producers write it (OTLP's code, MLflow's `STATUS_CODE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusCode {
    Unset,
    Ok,
    Error,
}

/// A span's status and error line, from its status code and message and its `exception`
/// event: an exception makes a span failed even when its status says nothing.
#[must_use]
pub fn outcome(
    code: StatusCode,
    message: &str,
    exception: Option<&ErrorInfo>,
) -> (SpanStatus, Option<String>) {
    let failed = code == StatusCode::Error || exception.is_some();
    let status = if failed {
        SpanStatus::Error
    } else if code == StatusCode::Ok {
        SpanStatus::Ok
    } else {
        SpanStatus::Unset
    };
    (status, failed.then(|| error_message(message, exception)))
}

/// Everything a detail pane shows of one span.
#[derive(Debug, Clone, Default)]
pub struct SpanDetail {
    pub messages: Vec<Message>,
    pub response: Option<String>,
    pub inputs: Option<String>,
    pub outputs: Option<String>,
    pub params: Option<String>,
    /// Every attribute, sorted by key, values as text.
    pub attributes: Vec<(String, String)>,
    pub error: Option<ErrorInfo>,
    /// The records the span came from, pretty-printed JSON.
    pub raw: Vec<String>,
    /// Payloads that could not be read back (the file changed since it was indexed).
    pub problems: Vec<String>,
    /// Set by a caller that reads only the texts (a text search): the raw records are then not
    /// pretty-printed into [`SpanDetail::raw`].
    pub texts_only: bool,
}

impl SpanDetail {
    /// Add the raw record `make` prints, unless only the texts are wanted.
    pub fn add_raw(&mut self, make: impl FnOnce() -> String) {
        if !self.texts_only {
            self.raw.push(make());
        }
    }

    /// Add attributes, keeping the list sorted and keys unique (later values win).
    pub fn add_attributes(&mut self, items: impl IntoIterator<Item = (String, String)>) {
        for (k, v) in items {
            match self
                .attributes
                .binary_search_by(|(ek, _)| ek.as_str().cmp(&k))
            {
                Ok(i) => self.attributes[i].1 = v,
                Err(i) => self.attributes.insert(i, (k, v)),
            }
        }
    }
}

/// Pretty-print JSON text, its keys in the order written (or return it as is when it is not
/// JSON).
#[must_use]
pub fn pretty(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_string())
}

/// Nested objects as dotted keys (`lm.usage.prompt_tokens`), scalars as text: how the JSON
/// formats list a record's fields as attributes.
#[must_use]
pub fn flatten(prefix: &str, v: &serde_json::Value) -> Vec<(String, String)> {
    use serde_json::Value;
    match v {
        Value::Object(m) => m
            .iter()
            .flat_map(|(k, v)| flatten(&format!("{prefix}.{k}"), v))
            .collect(),
        Value::String(s) => vec![(prefix.to_string(), s.clone())],
        Value::Null => Vec::new(),
        other => vec![(prefix.to_string(), other.to_string())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exc(kind: Option<&str>, message: Option<&str>) -> ErrorInfo {
        ErrorInfo {
            kind: kind.map(str::to_string),
            message: message.map(str::to_string),
            stacktrace: None,
        }
    }

    #[test]
    fn the_status_message_wins_then_the_exception() {
        let e = exc(Some("TimeoutError"), Some("slow"));
        assert_eq!(error_message("boom", Some(&e)), "boom");
        assert_eq!(error_message("", Some(&e)), "TimeoutError: slow");
        assert_eq!(error_message("", Some(&exc(Some("E"), None))), "E");
        assert_eq!(error_message("", None), "error");
    }

    #[test]
    fn an_exception_fails_a_span_whatever_its_status() {
        let e = exc(Some("E"), Some("m"));
        assert_eq!(
            outcome(StatusCode::Ok, "", Some(&e)),
            (SpanStatus::Error, Some("E: m".into()))
        );
        assert_eq!(
            outcome(StatusCode::Error, "bad", None),
            (SpanStatus::Error, Some("bad".into()))
        );
        assert_eq!(outcome(StatusCode::Ok, "", None), (SpanStatus::Ok, None));
        assert_eq!(
            outcome(StatusCode::Unset, "ignored", None),
            (SpanStatus::Unset, None)
        );
    }

    /// Inputs and outputs read as their producer wrote them: a DSPy Prediction's `reasoning`
    /// comes before its `answer`, not after it as in alphabetical order.
    #[test]
    fn pretty_printing_keeps_the_producers_key_order() {
        assert_eq!(
            pretty(r#"{"reasoning":"r","answer":"a","nested":{"z":1,"a":[{"y":2,"b":3}]}}"#),
            "{\n  \"reasoning\": \"r\",\n  \"answer\": \"a\",\n  \"nested\": {\n    \"z\": 1,\n    \
             \"a\": [\n      {\n        \"y\": 2,\n        \"b\": 3\n      }\n    ]\n  }\n}"
        );
        assert_eq!(pretty("not json"), "not json");
    }

    #[test]
    fn nested_fields_flatten_to_dotted_keys() {
        // in the record's order (the detail's attribute list sorts them)
        let v = serde_json::json!({"usage": {"prompt_tokens": 3}, "model": "m", "none": null});
        assert_eq!(
            flatten("lm", &v),
            vec![
                ("lm.usage.prompt_tokens".to_string(), "3".to_string()),
                ("lm.model".to_string(), "m".to_string())
            ]
        );
    }

    #[test]
    fn attributes_stay_sorted_and_unique() {
        let mut d = SpanDetail::default();
        d.add_attributes([("b".into(), "1".into()), ("a".into(), "2".into())]);
        d.add_attributes([("b".into(), "3".into())]);
        assert_eq!(
            d.attributes,
            vec![("a".into(), "2".into()), ("b".into(), "3".into())]
        );
    }
}
