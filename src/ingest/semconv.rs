//! Attribute semantics: OpenInference `llm.*` / `input.value` / `output.value`, OTel GenAI
//! `gen_ai.*` (current and legacy names) and MLflow `mlflow.*` map onto one set of concepts:
//! kind, model, tokens, prompt messages, response, inputs, outputs, invocation parameters.

use super::attributes::of_object;
use super::texts::Message;
use crate::ingest::usage::usage_from_json;
use crate::model::{Nanodollars, SpanKind, Tokens};
use serde_json::Value;
use std::borrow::Cow;

/// A normalized attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    Double(f64),
    Bool(bool),
    /// Arrays, maps and bytes, rendered as JSON text.
    Json(String),
}

impl AttrValue<'_> {
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AttrValue::Str(s) => Some(s),
            _ => None,
        }
    }

    #[must_use]
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            AttrValue::Int(i) => u64::try_from(*i).ok(),
            AttrValue::Double(d) if d.is_finite() && *d >= 0.0 => Some(*d as u64),
            AttrValue::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            AttrValue::Int(i) => Some(*i as f64),
            AttrValue::Double(d) => Some(*d),
            AttrValue::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
        .filter(|d: &f64| d.is_finite())
    }

    /// The value as display text.
    #[must_use]
    pub fn to_text(&self) -> Cow<'_, str> {
        match self {
            AttrValue::Str(s) => Cow::Borrowed(s),
            AttrValue::Int(i) => Cow::Owned(i.to_string()),
            AttrValue::Double(d) => Cow::Owned(d.to_string()),
            AttrValue::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            AttrValue::Json(j) => Cow::Borrowed(j),
        }
    }

    /// Decode a JSON-encoded attribute value (MLflow writes every value this way).
    #[must_use]
    pub fn from_json_text(text: &str) -> AttrValue<'static> {
        match serde_json::from_str::<Value>(text) {
            Ok(v) => AttrValue::from_json(v),
            Err(_) => AttrValue::Str(Cow::Owned(text.to_string())),
        }
    }

    #[must_use]
    pub fn from_json(v: Value) -> AttrValue<'static> {
        match v {
            Value::String(s) => AttrValue::Str(Cow::Owned(s)),
            Value::Bool(b) => AttrValue::Bool(b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => AttrValue::Int(i),
                None => AttrValue::Double(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::Null => AttrValue::Json("null".into()),
            other => AttrValue::Json(other.to_string()),
        }
    }
}

/// A span's attributes, normalized.
#[derive(Debug, Clone, Default)]
pub struct Attrs<'a>(pub Vec<(Cow<'a, str>, AttrValue<'a>)>);

/// Keys whose texts another tab of the detail shows (prompt messages, response, inputs,
/// outputs, invocation parameters, the exception): not attributes, they stay in the payload.
#[must_use]
pub fn shown_elsewhere(k: &str) -> bool {
    k.starts_with("llm.input_messages")
        || k.starts_with("llm.output_messages")
        || k.starts_with("retrieval.documents.")
        || k.starts_with("gen_ai.input")
        || k.starts_with("gen_ai.output")
        || k.starts_with("exception.")
        || matches!(
            k,
            "input.value"
                | "output.value"
                | "llm.invocation_parameters"
                | "mlflow.spanInputs"
                | "mlflow.spanOutputs"
                | "mlflow.traceInputs"
                | "mlflow.traceOutputs"
                | "gen_ai.prompt"
                | "gen_ai.completion"
                | "gen_ai.system_instructions"
                | "gen_ai.tool.call.arguments"
                | "gen_ai.tool.call.result"
        )
}

impl<'a> Attrs<'a> {
    pub fn push(&mut self, key: impl Into<Cow<'a, str>>, value: AttrValue<'a>) {
        self.0.push((key.into(), value));
    }

    #[must_use]
    pub fn get(&self, key: &str) -> Option<&AttrValue<'a>> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(AttrValue::as_str)
    }

    fn u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(AttrValue::as_u64)
    }

    /// The span kind from `openinference.span.kind`, `mlflow.spanType` or `gen_ai.operation.name`.
    #[must_use]
    pub fn kind(&self) -> Option<SpanKind> {
        if let Some(k) = self.str("openinference.span.kind") {
            return Some(match k.to_ascii_uppercase().as_str() {
                "LLM" => SpanKind::Llm,
                "CHAIN" => SpanKind::Chain,
                "RETRIEVER" | "RERANKER" => SpanKind::Retriever,
                "TOOL" => SpanKind::Tool,
                "AGENT" => SpanKind::Agent,
                "EMBEDDING" => SpanKind::Embedding,
                "EVALUATOR" | "GUARDRAIL" => SpanKind::Evaluator,
                _ => SpanKind::Other,
            });
        }
        if let Some(k) = self.str("mlflow.spanType") {
            return Some(mlflow_kind(k));
        }
        if let Some(op) = self.str("gen_ai.operation.name") {
            return Some(match op {
                "chat" | "text_completion" | "generate_content" => SpanKind::Llm,
                "embeddings" => SpanKind::Embedding,
                "retrieval" => SpanKind::Retriever,
                "execute_tool" => SpanKind::Tool,
                "invoke_agent" | "create_agent" => SpanKind::Agent,
                "invoke_workflow" => SpanKind::Chain,
                _ => SpanKind::Other,
            });
        }
        None
    }

    /// The model name.
    #[must_use]
    pub fn model(&self) -> Option<&str> {
        [
            "llm.model_name",
            "gen_ai.response.model",
            "gen_ai.request.model",
            "mlflow.llm.model",
        ]
        .into_iter()
        .find_map(|k| self.str(k))
        .filter(|m| !m.is_empty())
    }

    /// Token usage, and whether it covers the span's whole subtree (MLflow's module usage), with
    /// cached and reasoning tokens and the producer's own cost where it gives them.
    #[must_use]
    pub fn tokens(&self) -> Option<(Tokens, bool)> {
        let (mut t, cumulative) = self.counts()?;
        let first = |keys: &[&str]| keys.iter().find_map(|k| self.u64(k)).unwrap_or(0);
        t.cache_read = first(&[
            "llm.token_count.prompt_details.cache_read",
            "gen_ai.usage.cache_read.input_tokens",
        ]);
        t.cache_write = first(&[
            "llm.token_count.prompt_details.cache_write",
            "gen_ai.usage.cache_write.input_tokens",
            "gen_ai.usage.cache_creation.input_tokens",
        ]);
        t.reasoning = first(&[
            "llm.token_count.completion_details.reasoning",
            "gen_ai.usage.reasoning.output_tokens",
        ]);
        t.stated_cost = self.cost();
        Some((t, cumulative))
    }

    /// What the producer said the call cost, in USD: OpenInference's (and litellm's)
    /// `llm.cost.total`, litellm's `gen_ai.usage.cost`, MLflow's `mlflow.llm.cost`.
    #[must_use]
    pub fn cost(&self) -> Option<Nanodollars> {
        let usd = ["llm.cost.total", "gen_ai.usage.cost"]
            .into_iter()
            .find_map(|k| self.get(k).and_then(AttrValue::as_f64))
            .or_else(|| {
                let v = json(&self.get("mlflow.llm.cost")?.to_text());
                v.get("total_cost")?.as_f64()
            })?;
        Nanodollars::from_usd(usd)
    }

    /// Prompt, completion and total, from whichever convention the span follows.
    fn counts(&self) -> Option<(Tokens, bool)> {
        if let Some(t) = Tokens::from_parts(
            self.u64("llm.token_count.prompt"),
            self.u64("llm.token_count.completion"),
            self.u64("llm.token_count.total"),
        ) {
            return Some((t, false));
        }
        let input = self
            .u64("gen_ai.usage.input_tokens")
            .or(self.u64("gen_ai.usage.prompt_tokens"));
        let output = self
            .u64("gen_ai.usage.output_tokens")
            .or(self.u64("gen_ai.usage.completion_tokens"));
        if let Some(t) = Tokens::from_parts(input, output, None) {
            return Some((t, false));
        }
        if let Some(v) = self.get("mlflow.chat.tokenUsage") {
            return usage_from_json(&v.to_text()).map(|t| (t, true));
        }
        None
    }

    /// Prompt messages, in order.
    #[must_use]
    pub fn messages(&self) -> Vec<Message> {
        let flat = indexed_messages(self, "llm.input_messages.");
        if !flat.is_empty() {
            return flat;
        }
        if let Some(v) = self.get("gen_ai.input.messages") {
            let mut out = Vec::new();
            if let Some(sys) = self.get("gen_ai.system_instructions") {
                out.push(Message {
                    role: "system".into(),
                    content: parts_text(&json(&sys.to_text())),
                });
            }
            out.extend(messages_from_json(&json(&v.to_text())));
            return out;
        }
        if let Some(p) = self.get("gen_ai.prompt") {
            return vec![Message {
                role: "user".into(),
                content: p.to_text().into_owned(),
            }];
        }
        for key in ["mlflow.spanInputs", "input.value"] {
            if let Some(v) = self.get(key) {
                let msgs = messages_from_json(
                    &json(&v.to_text())
                        .get("messages")
                        .cloned()
                        .unwrap_or_default(),
                );
                if !msgs.is_empty() {
                    return msgs;
                }
            }
        }
        Vec::new()
    }

    /// The response text.
    #[must_use]
    pub fn response(&self) -> Option<String> {
        let flat = indexed_messages(self, "llm.output_messages.");
        if !flat.is_empty() {
            return Some(
                flat.into_iter()
                    .map(|m| m.content)
                    .collect::<Vec<_>>()
                    .join("\n\n"),
            );
        }
        if let Some(v) = self.get("gen_ai.output.messages") {
            let msgs = messages_from_json(&json(&v.to_text()));
            return Some(
                msgs.into_iter()
                    .map(|m| m.content)
                    .collect::<Vec<_>>()
                    .join("\n\n"),
            );
        }
        if let Some(v) = self.get("gen_ai.completion") {
            return Some(v.to_text().into_owned());
        }
        None
    }

    /// Inputs and outputs as the producer recorded them (JSON text or plain text).
    #[must_use]
    pub fn io(&self) -> (Option<String>, Option<String>) {
        let pick = |keys: [&str; 2]| {
            keys.into_iter()
                .find_map(|k| self.get(k))
                .map(|v| v.to_text().into_owned())
        };
        let pick_one = |k: &str| self.get(k).map(|v| v.to_text().into_owned());
        (
            pick(["input.value", "mlflow.spanInputs"])
                .or_else(|| pick_one("gen_ai.tool.call.arguments")),
            pick(["output.value", "mlflow.spanOutputs"])
                .or_else(|| pick_one("gen_ai.tool.call.result"))
                .or_else(|| self.documents()),
        )
    }

    /// A retriever's documents (`retrieval.documents.<i>.document.<field>`), in order, as a
    /// JSON array of objects (`content`, `score`, `id`, `metadata`, as the producer gave them).
    #[must_use]
    pub fn documents(&self) -> Option<String> {
        let mut found: Vec<(usize, serde_json::Map<String, Value>)> = Vec::new();
        for (k, v) in &self.0 {
            let Some((i, field)) = k
                .strip_prefix("retrieval.documents.")
                .and_then(|rest| rest.split_once(".document."))
                .and_then(|(i, f)| Some((i.parse::<usize>().ok()?, f)))
            else {
                continue;
            };
            let pos = found.iter().position(|(j, _)| *j == i).unwrap_or_else(|| {
                found.push((i, serde_json::Map::new()));
                found.len() - 1
            });
            let value = match v {
                AttrValue::Str(s) => Value::String(s.to_string()),
                AttrValue::Int(n) => Value::from(*n),
                AttrValue::Double(d) => Value::from(*d),
                AttrValue::Bool(b) => Value::Bool(*b),
                AttrValue::Json(j) => json(j),
            };
            found[pos].1.insert(field.to_string(), value);
        }
        found.sort_by_key(|(i, _)| *i);
        (!found.is_empty()).then(|| {
            Value::Array(found.into_iter().map(|(_, d)| Value::Object(d)).collect()).to_string()
        })
    }

    /// Invocation parameters: OpenInference's JSON, or GenAI / MLflow flat request settings.
    #[must_use]
    pub fn params(&self) -> Option<String> {
        if let Some(v) = self.get("llm.invocation_parameters") {
            return Some(v.to_text().into_owned());
        }
        let mut map = serde_json::Map::new();
        for (k, v) in &self.0 {
            let name = k.strip_prefix("gen_ai.request.").filter(|n| *n != "model");
            let name = name.or_else(|| {
                matches!(
                    k.as_ref(),
                    "temperature" | "max_tokens" | "top_p" | "model_type"
                )
                .then_some(k.as_ref())
            });
            if let Some(n) = name {
                map.insert(n.to_string(), Value::String(v.to_text().into_owned()));
            }
        }
        (!map.is_empty()).then(|| Value::Object(map).to_string())
    }

    /// The span's attributes (`ingest/attributes.rs`): every attribute but the texts another
    /// tab shows, values as text. The `metadata` JSON object that OpenInference writes
    /// (`using_metadata`) is flattened into its own keys.
    #[must_use]
    pub fn attributes(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        self.each_attribute(|k, v| out.push((k.to_string(), v.to_string())));
        out
    }

    /// [`Attrs::attributes`], each pair handed to `f` as it is read, with no copy of its texts.
    pub fn each_attribute(&self, mut f: impl FnMut(&str, &str)) {
        for (k, v) in self.0.iter().filter(|(k, _)| !shown_elsewhere(k)) {
            match (k == "metadata").then(|| json(&v.to_text())) {
                Some(Value::Object(m)) => {
                    of_object(None, &m, &[]).iter().for_each(|(k, v)| f(k, v));
                }
                _ => f(k, &v.to_text()),
            }
        }
    }
}

/// The kind of an MLflow span type.
#[must_use]
pub fn mlflow_kind(t: &str) -> SpanKind {
    match t.trim_matches('"') {
        "LLM" | "CHAT_MODEL" => SpanKind::Llm,
        "AGENT" => SpanKind::Agent,
        "CHAIN" | "WORKFLOW" | "TASK" | "PARSER" => SpanKind::Chain,
        "RETRIEVER" | "RERANKER" => SpanKind::Retriever,
        "TOOL" => SpanKind::Tool,
        "EMBEDDING" => SpanKind::Embedding,
        "EVALUATOR" | "GUARDRAIL" => SpanKind::Evaluator,
        _ => SpanKind::Other,
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// `prefix.<i>.message.role` / `.message.content`, ordered by `i`.
fn indexed_messages(attrs: &Attrs<'_>, prefix: &str) -> Vec<Message> {
    let mut found: Vec<(usize, Message)> = Vec::new();
    for (k, v) in &attrs.0 {
        let Some(rest) = k.strip_prefix(prefix) else {
            continue;
        };
        let Some((idx, field)) = rest.split_once('.') else {
            continue;
        };
        let Ok(i) = idx.parse::<usize>() else {
            continue;
        };
        let pos = match found.iter().position(|(j, _)| *j == i) {
            Some(p) => p,
            None => {
                found.push((i, Message::default()));
                found.len() - 1
            }
        };
        match field {
            "message.role" => found[pos].1.role = v.to_text().into_owned(),
            "message.content" => found[pos].1.content = v.to_text().into_owned(),
            _ if field.starts_with("message.contents.")
                && field.ends_with(".message_content.text") =>
            {
                let m = &mut found[pos].1;
                if !m.content.is_empty() {
                    m.content.push('\n');
                }
                m.content.push_str(&v.to_text());
            }
            _ => {}
        }
    }
    found.sort_by_key(|(i, _)| *i);
    found.into_iter().map(|(_, m)| m).collect()
}

/// LM outputs as producers log them (a list of completion strings) as one text.
#[must_use]
pub fn completions_text(v: &Value) -> Option<String> {
    match v {
        Value::Array(items) => Some(
            items
                .iter()
                .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join("\n\n"),
        ),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Messages from a JSON array of `{role, content}` or GenAI `{role, parts: [{type, content}]}`.
#[must_use]
pub fn messages_from_json(v: &Value) -> Vec<Message> {
    let Some(arr) = v.as_array() else {
        return Vec::new();
    };
    arr.iter()
        .filter_map(|m| {
            // some producers write each message as a JSON string of its own
            let parsed;
            let m = match m {
                Value::String(text) => {
                    parsed = json(text);
                    &parsed
                }
                other => other,
            };
            let role = m.get("role")?.as_str().unwrap_or("").to_string();
            let content = match (m.get("content"), m.get("parts")) {
                (Some(c), _) => content_text(c),
                (None, Some(p)) => parts_text(p),
                (None, None) => String::new(),
            };
            Some(Message { role, content })
        })
        .collect()
}

fn content_text(c: &Value) -> String {
    match c {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts_text(&Value::Array(parts.clone())),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn parts_text(p: &Value) -> String {
    match p {
        Value::Array(parts) => parts
            .iter()
            .map(|part| match part {
                Value::String(s) => s.clone(),
                _ if part.get("type").and_then(Value::as_str) == Some("tool_call") => {
                    let name = part.get("name").and_then(Value::as_str).unwrap_or("");
                    let args = part.get("arguments").map_or_else(String::new, |a| {
                        a.as_str().map_or_else(|| a.to_string(), str::to_string)
                    });
                    format!("tool call {name}({args})")
                }
                _ if part.get("type").and_then(Value::as_str) == Some("tool_call_response") => {
                    let r = part.get("response").or_else(|| part.get("result"));
                    let text = r.map_or_else(String::new, |r| {
                        r.as_str().map_or_else(|| r.to_string(), str::to_string)
                    });
                    format!("tool result: {text}")
                }
                _ => part
                    .get("content")
                    .or_else(|| part.get("text"))
                    .map(content_text)
                    .unwrap_or_else(|| part.to_string()),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, AttrValue<'static>)]) -> Attrs<'static> {
        Attrs(
            pairs
                .iter()
                .map(|(k, v)| (Cow::Owned((*k).to_string()), v.clone()))
                .collect(),
        )
    }

    fn s(v: &str) -> AttrValue<'static> {
        AttrValue::Str(Cow::Owned(v.to_string()))
    }

    #[test]
    fn a_retrievers_documents_are_its_outputs_not_attributes() {
        let a = attrs(&[
            ("openinference.span.kind", s("RETRIEVER")),
            ("retrieval.documents.1.document.content", s("second")),
            ("retrieval.documents.0.document.content", s("first")),
            (
                "retrieval.documents.0.document.score",
                AttrValue::Double(0.5),
            ),
        ]);
        assert_eq!(
            a.io().1.as_deref(),
            Some(r#"[{"content":"first","score":0.5},{"content":"second"}]"#)
        );
        assert_eq!(
            a.attributes(),
            [(
                "openinference.span.kind".to_string(),
                "RETRIEVER".to_string()
            )]
        );
        // an output value of its own comes first
        let mut with_output = a.clone();
        with_output.push("output.value", s("[\"x\"]"));
        assert_eq!(with_output.io().1.as_deref(), Some("[\"x\"]"));
    }

    #[test]
    fn openinference_llm_span() {
        let a = attrs(&[
            ("openinference.span.kind", s("LLM")),
            ("llm.model_name", s("gpt-4o-mini")),
            ("llm.token_count.prompt", AttrValue::Int(148)),
            ("llm.token_count.completion", AttrValue::Int(12)),
            ("llm.token_count.total", AttrValue::Int(160)),
            ("llm.input_messages.1.message.role", s("user")),
            ("llm.input_messages.1.message.content", s("question?")),
            ("llm.input_messages.0.message.role", s("system")),
            ("llm.input_messages.0.message.content", s("be brief")),
            ("llm.output_messages.0.message.role", s("assistant")),
            ("llm.output_messages.0.message.content", s("Paris")),
            ("metadata", s(r#"{"fixture.program": "predict_qa"}"#)),
        ]);
        assert_eq!(a.kind(), Some(SpanKind::Llm));
        assert_eq!(a.model(), Some("gpt-4o-mini"));
        assert_eq!(
            a.tokens(),
            Some((
                Tokens {
                    prompt: 148,
                    completion: 12,
                    total: 160,
                    ..Tokens::default()
                },
                false
            ))
        );
        let m = a.messages();
        assert_eq!(m.len(), 2);
        assert_eq!(
            (m[0].role.as_str(), m[0].content.as_str()),
            ("system", "be brief")
        );
        assert_eq!(a.response().as_deref(), Some("Paris"));
        let listed = a.attributes();
        assert!(listed.contains(&("fixture.program".into(), "predict_qa".into())));
        assert!(
            !listed
                .iter()
                .any(|(k, _)| k.starts_with("llm.input_messages") || k == "metadata")
        );
    }

    #[test]
    fn genai_current_and_legacy_names() {
        let a = attrs(&[
            ("gen_ai.operation.name", s("chat")),
            ("gen_ai.request.model", s("gpt-4o")),
            ("gen_ai.request.temperature", AttrValue::Double(0.2)),
            ("gen_ai.usage.input_tokens", AttrValue::Int(10)),
            ("gen_ai.usage.output_tokens", AttrValue::Int(5)),
            (
                "gen_ai.input.messages",
                s(r#"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#),
            ),
            (
                "gen_ai.output.messages",
                s(r#"[{"role":"assistant","parts":[{"type":"text","content":"hello"}]}]"#),
            ),
        ]);
        assert_eq!(a.kind(), Some(SpanKind::Llm));
        assert_eq!(a.model(), Some("gpt-4o"));
        assert_eq!(
            a.tokens(),
            Some((
                Tokens {
                    prompt: 10,
                    completion: 5,
                    total: 15,
                    ..Tokens::default()
                },
                false
            ))
        );
        assert_eq!(a.messages()[0].content, "hi");
        assert_eq!(a.response().as_deref(), Some("hello"));
        assert!(a.params().unwrap().contains("temperature"));
        let legacy = attrs(&[
            ("gen_ai.usage.prompt_tokens", AttrValue::Int(3)),
            ("gen_ai.usage.completion_tokens", AttrValue::Int(4)),
            ("gen_ai.prompt", s("old prompt")),
            ("gen_ai.completion", s("old answer")),
        ]);
        assert_eq!(legacy.tokens().unwrap().0.total, 7);
        assert_eq!(legacy.messages()[0].content, "old prompt");
        assert_eq!(legacy.response().as_deref(), Some("old answer"));
    }

    #[test]
    fn mlflow_attributes() {
        let a = attrs(&[
            (
                "mlflow.spanType",
                AttrValue::from_json_text("\"CHAT_MODEL\""),
            ),
            ("mlflow.llm.model", AttrValue::from_json_text("\"dummy\"")),
            (
                "mlflow.spanInputs",
                AttrValue::from_json_text(
                    r#"{"messages":[{"role":"user","content":"q"}],"prompt":null}"#,
                ),
            ),
            (
                "mlflow.chat.tokenUsage",
                AttrValue::from_json_text(
                    r#"{"input_tokens":148,"output_tokens":6,"total_tokens":154}"#,
                ),
            ),
            ("temperature", AttrValue::from_json_text("0.0")),
        ]);
        assert_eq!(a.kind(), Some(SpanKind::Llm));
        assert_eq!(a.model(), Some("dummy"));
        assert_eq!(
            a.tokens(),
            Some((
                Tokens {
                    prompt: 148,
                    completion: 6,
                    total: 154,
                    ..Tokens::default()
                },
                true
            ))
        );
        assert_eq!(a.messages()[0].content, "q");
        assert_eq!(mlflow_kind("PARSER"), SpanKind::Chain);
        assert_eq!(mlflow_kind("TOOL"), SpanKind::Tool);
    }

    #[test]
    fn genai_2026_structured_messages_cache_and_reasoning() {
        // arrays and kvlists arrive as JSON text of arrays and objects
        let a = attrs(&[
            ("gen_ai.operation.name", s("chat")),
            ("gen_ai.request.model", s("gpt-5-mini")),
            ("gen_ai.usage.input_tokens", AttrValue::Int(1200)),
            ("gen_ai.usage.output_tokens", AttrValue::Int(300)),
            ("gen_ai.usage.cache_read.input_tokens", AttrValue::Int(1000)),
            ("gen_ai.usage.cache_creation.input_tokens", AttrValue::Int(100)),
            ("gen_ai.usage.reasoning.output_tokens", AttrValue::Int(200)),
            (
                "gen_ai.system_instructions",
                AttrValue::Json(r#"[{"type":"text","content":"be brief"}]"#.into()),
            ),
            (
                "gen_ai.input.messages",
                AttrValue::Json(
                    r#"["{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"weather?\"}]}",{"role":"tool","parts":[{"type":"tool_call_response","id":"c1","response":"sunny"}]}]"#
                        .into(),
                ),
            ),
            (
                "gen_ai.output.messages",
                AttrValue::Json(
                    r#"[{"role":"assistant","parts":[{"type":"tool_call","id":"c1","name":"get_weather","arguments":{"city":"Paris"}}],"finish_reason":"tool_call"}]"#
                        .into(),
                ),
            ),
            ("gen_ai.response.finish_reasons", AttrValue::Json(r#"["tool_call"]"#.into())),
            ("gen_ai.conversation.id", s("conv-1")),
        ]);
        let (t, cumulative) = a.tokens().unwrap();
        assert!(!cumulative);
        assert_eq!(
            (t.prompt, t.completion, t.total),
            (1200, 300, 1500),
            "input tokens include the cached ones"
        );
        assert_eq!((t.cache_read, t.cache_write, t.reasoning), (1000, 100, 200));
        let m = a.messages();
        let texts: Vec<(&str, &str)> = m
            .iter()
            .map(|m| (m.role.as_str(), m.content.as_str()))
            .collect();
        assert_eq!(
            texts,
            [
                ("system", "be brief"),
                ("user", "weather?"),
                ("tool", "tool result: sunny")
            ]
        );
        assert_eq!(
            a.response().as_deref(),
            Some(r#"tool call get_weather({"city":"Paris"})"#)
        );
        let listed = a.attributes();
        assert!(listed.contains(&("gen_ai.conversation.id".into(), "conv-1".into())));
        assert!(listed.contains(&(
            "gen_ai.response.finish_reasons".into(),
            r#"["tool_call"]"#.into()
        )));
        // the newer name for a cache write
        let w = attrs(&[
            ("gen_ai.usage.input_tokens", AttrValue::Int(10)),
            ("gen_ai.usage.cache_write.input_tokens", AttrValue::Int(4)),
        ]);
        assert_eq!(w.tokens().unwrap().0.cache_write, 4);
    }

    #[test]
    fn openinference_token_details_and_cost() {
        let a = attrs(&[
            ("llm.token_count.prompt", AttrValue::Int(30)),
            ("llm.token_count.completion", AttrValue::Int(10)),
            (
                "llm.token_count.prompt_details.cache_read",
                AttrValue::Int(20),
            ),
            (
                "llm.token_count.prompt_details.cache_write",
                AttrValue::Int(5),
            ),
            (
                "llm.token_count.completion_details.reasoning",
                AttrValue::Int(4),
            ),
            ("llm.cost.total", AttrValue::Double(0.00125)),
        ]);
        let t = a.tokens().unwrap().0;
        assert_eq!((t.prompt, t.completion, t.total), (30, 10, 40));
        assert_eq!((t.cache_read, t.cache_write, t.reasoning), (20, 5, 4));
        assert_eq!(t.stated_cost, Some(Nanodollars(1_250_000)));
        let mlflow = attrs(&[
            (
                "mlflow.chat.tokenUsage",
                s(r#"{"input_tokens":3,"output_tokens":4,"total_tokens":7}"#),
            ),
            (
                "mlflow.llm.cost",
                s(r#"{"input_cost":0.5,"output_cost":0.25,"total_cost":0.75}"#),
            ),
        ]);
        assert_eq!(
            mlflow.tokens().unwrap().0.stated_cost,
            Some(Nanodollars(750_000_000))
        );
        // a negative or unreadable figure is no figure
        let bad = attrs(&[
            ("llm.token_count.prompt", AttrValue::Int(1)),
            ("llm.cost.total", AttrValue::Double(-1.0)),
        ]);
        assert_eq!(bad.tokens().unwrap().0.stated_cost, None);
    }

    #[test]
    fn a_tool_calls_arguments_and_result_are_its_inputs_and_outputs() {
        let a = attrs(&[
            ("gen_ai.operation.name", s("execute_tool")),
            ("gen_ai.tool.name", s("get_weather")),
            (
                "gen_ai.tool.call.arguments",
                AttrValue::Json(r#"{"city":"Paris"}"#.into()),
            ),
            ("gen_ai.tool.call.result", s("sunny")),
        ]);
        assert_eq!(a.kind(), Some(SpanKind::Tool));
        assert_eq!(
            a.io(),
            (Some(r#"{"city":"Paris"}"#.into()), Some("sunny".into()))
        );
        assert!(
            !a.attributes()
                .iter()
                .any(|(k, _)| k.starts_with("gen_ai.tool.call."))
        );
    }
}
