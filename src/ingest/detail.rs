//! A span's texts, decoded on demand from its payload references: prompt messages, response,
//! inputs, outputs, invocation parameters, every attribute, the error and the raw record.

use super::{dspy_callback, events, mlflow, normalized, otlp, requests};
use crate::model::payload::RecordFormat;
use crate::model::{SpanIdx, Store};

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
}

impl SpanDetail {
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

/// Pretty-print JSON text (or return it as is when it is not JSON).
#[must_use]
pub fn pretty(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_string())
}

/// Decode the texts of `span` from its payloads.
#[must_use]
pub fn span_detail(store: &Store, span: SpanIdx) -> SpanDetail {
    let mut d = SpanDetail::default();
    let sp = store.span(span);
    for p in sp.payload.iter().flatten() {
        let bytes = match store.blob(p.blob).read(p.offset, p.len) {
            Ok(b) => b,
            Err(e) => {
                d.problems.push(format!("cannot read the record back: {e}"));
                continue;
            }
        };
        let res = match p.format {
            RecordFormat::OtlpJson | RecordFormat::OtlpProto => {
                otlp::detail(&bytes, p.format, p.locator, &mut d)
            }
            RecordFormat::MlflowJson => mlflow::detail(&bytes, p.locator, &mut d),
            RecordFormat::Callback => dspy_callback::detail(&bytes, &mut d),
            RecordFormat::Request => requests::detail(&bytes, p.locator, &mut d),
            RecordFormat::Event => events::detail(&bytes, &mut d),
            RecordFormat::Normalized => normalized::detail(&bytes, p.locator, &mut d),
        };
        if let Err(e) = res {
            d.problems
                .push(format!("the record changed since it was indexed: {e}"));
        }
    }
    if d.error.is_none() && sp.is_error() {
        d.error = Some(ErrorInfo {
            kind: None,
            message: sp.error.map(|e| store.str(e).to_string()),
            stacktrace: None,
        });
    }
    d
}
