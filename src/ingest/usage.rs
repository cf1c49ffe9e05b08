//! Token usage objects as producers write them: `{input_tokens, output_tokens, total_tokens}`
//! (MLflow, Anthropic) or `{prompt_tokens, completion_tokens, total_tokens}` (OpenAI, litellm,
//! DSPy), with their cache and reasoning details. One reader for all of them, [`Usage`], that
//! serde drives over a record's text (a field of a typed line, without building a JSON value)
//! or over a value a format has already decoded.

use crate::model::Tokens;
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// A usage object's token counts; `None` when the value is not a usage object or names no
/// count. Reading it never fails on a value of another type: that value simply has no usage.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Usage(pub Option<Tokens>);

/// The tokens of a usage object given as JSON text (`None` for text that is not one).
#[must_use]
pub fn usage_from_json(text: &str) -> Option<Tokens> {
    serde_json::from_str::<Usage>(text).ok()?.0
}

/// The tokens of a decoded usage object.
#[must_use]
pub fn usage_from_value(v: &Value) -> Option<Tokens> {
    Usage::deserialize(v).ok()?.0
}

/// The counts a usage object may name. A count is a non-negative integer; any other value
/// under a count's key counts as absent. A key given twice counts with its last value.
#[derive(Default)]
struct UsageKeys {
    input: Option<u64>,
    prompt: Option<u64>,
    output: Option<u64>,
    completion: Option<u64>,
    total_tokens: Option<u64>,
    total: Option<u64>,
    anthropic_read: Option<u64>,
    anthropic_write: Option<u64>,
    prompt_cached: Option<u64>,
    prompt_cache_write: Option<u64>,
    input_cached: Option<u64>,
    completion_reasoning: Option<u64>,
    output_reasoning: Option<u64>,
    /// `prompt_tokens` or `total_tokens` is a key of the object, whatever its value.
    names_prompt_or_total: bool,
}

impl UsageKeys {
    fn tokens(self) -> Option<Tokens> {
        let u = self;
        let mut t = Tokens::from_parts(
            u.input.or(u.prompt),
            u.output.or(u.completion),
            u.total_tokens.or(u.total),
        )?;
        t.reasoning = u.completion_reasoning.or(u.output_reasoning).unwrap_or(0);
        // Anthropic's own usage (no total) leaves cached input out of `input_tokens`; where a
        // total is given (MLflow's usage, OpenAI's), the input count already holds it
        if !u.names_prompt_or_total && (u.anthropic_read.is_some() || u.anthropic_write.is_some()) {
            let extra = u
                .anthropic_read
                .unwrap_or(0)
                .saturating_add(u.anthropic_write.unwrap_or(0));
            t.prompt = t.prompt.saturating_add(extra);
            t.total = t.total.saturating_add(extra);
        }
        t.cache_read = u
            .prompt_cached
            .or(u.input_cached)
            .or(u.anthropic_read)
            .unwrap_or(0);
        t.cache_write = u.prompt_cache_write.or(u.anthropic_write).unwrap_or(0);
        Some(t)
    }
}

/// The visits of a value a reader does not look into: the value reads as absent (a usage
/// object that is a string, a count that is a float), and what it holds is skipped.
macro_rules! absent_otherwise {
    (and numbers) => {
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Self::Value::default())
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Self::Value::default())
        }
        absent_otherwise!();
    };
    () => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Self::Value::default())
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Self::Value::default())
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(Self::Value::default())
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Self::Value::default())
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(Self::Value::default())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Self::Value::default())
        }
    };
}

/// The keys [`Usage`] reads, told apart without copying the key.
#[derive(Deserialize)]
#[serde(field_identifier)]
enum Key {
    #[serde(rename = "input_tokens")]
    Input,
    #[serde(rename = "prompt_tokens")]
    Prompt,
    #[serde(rename = "output_tokens")]
    Output,
    #[serde(rename = "completion_tokens")]
    Completion,
    #[serde(rename = "total_tokens")]
    TotalTokens,
    #[serde(rename = "total")]
    Total,
    #[serde(rename = "cache_read_input_tokens")]
    AnthropicRead,
    #[serde(rename = "cache_creation_input_tokens")]
    AnthropicWrite,
    #[serde(rename = "prompt_tokens_details")]
    PromptDetails,
    #[serde(rename = "input_tokens_details")]
    InputDetails,
    #[serde(rename = "completion_tokens_details")]
    CompletionDetails,
    #[serde(rename = "output_tokens_details")]
    OutputDetails,
    #[serde(other)]
    Other,
}

/// A count: a non-negative integer, or absent.
#[derive(Default)]
struct Count(Option<u64>);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct CountVisitor;
        impl<'de> Visitor<'de> for CountVisitor {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a count")
            }
            fn visit_u64<E>(self, n: u64) -> Result<Count, E> {
                Ok(Count(Some(n)))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Count, E> {
                Ok(Count(u64::try_from(n).ok()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Count, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Count(None))
            }
            absent_otherwise!();
        }
        d.deserialize_any(CountVisitor)
    }
}

/// The counts of a `*_tokens_details` object.
#[derive(Default)]
struct Details {
    cached: Option<u64>,
    cache_write: Option<u64>,
    cache_creation: Option<u64>,
    reasoning: Option<u64>,
}

impl<'de> Deserialize<'de> for Details {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct DetailsVisitor;
        impl<'de> Visitor<'de> for DetailsVisitor {
            type Value = Details;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("token details")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Details, A::Error> {
                let mut out = Details::default();
                while let Some(k) = map.next_key::<DetailKey>()? {
                    let slot = match k {
                        DetailKey::Cached => &mut out.cached,
                        DetailKey::CacheWrite => &mut out.cache_write,
                        DetailKey::CacheCreation => &mut out.cache_creation,
                        DetailKey::Reasoning => &mut out.reasoning,
                        DetailKey::Other => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = map.next_value::<Count>()?.0;
                }
                Ok(out)
            }
            absent_otherwise!(and numbers);
        }
        d.deserialize_any(DetailsVisitor)
    }
}

/// The keys of a details object.
#[derive(Deserialize)]
#[serde(field_identifier)]
enum DetailKey {
    #[serde(rename = "cached_tokens")]
    Cached,
    #[serde(rename = "cache_write_tokens")]
    CacheWrite,
    #[serde(rename = "cache_creation_tokens")]
    CacheCreation,
    #[serde(rename = "reasoning_tokens")]
    Reasoning,
    #[serde(other)]
    Other,
}

impl<'de> Deserialize<'de> for Usage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct UsageVisitor;
        impl<'de> Visitor<'de> for UsageVisitor {
            type Value = Usage;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a usage object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Usage, A::Error> {
                let mut u = UsageKeys::default();
                while let Some(k) = map.next_key::<Key>()? {
                    let slot = match k {
                        Key::Input => &mut u.input,
                        Key::Prompt => {
                            u.names_prompt_or_total = true;
                            &mut u.prompt
                        }
                        Key::Output => &mut u.output,
                        Key::Completion => &mut u.completion,
                        Key::TotalTokens => {
                            u.names_prompt_or_total = true;
                            &mut u.total_tokens
                        }
                        Key::Total => &mut u.total,
                        Key::AnthropicRead => &mut u.anthropic_read,
                        Key::AnthropicWrite => &mut u.anthropic_write,
                        Key::PromptDetails => {
                            let d = map.next_value::<Details>()?;
                            u.prompt_cached = d.cached;
                            u.prompt_cache_write = d.cache_write.or(d.cache_creation);
                            continue;
                        }
                        Key::InputDetails => {
                            u.input_cached = map.next_value::<Details>()?.cached;
                            continue;
                        }
                        Key::CompletionDetails => {
                            u.completion_reasoning = map.next_value::<Details>()?.reasoning;
                            continue;
                        }
                        Key::OutputDetails => {
                            u.output_reasoning = map.next_value::<Details>()?.reasoning;
                            continue;
                        }
                        Key::Other => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = map.next_value::<Count>()?.0;
                }
                Ok(Usage(u.tokens()))
            }
            absent_otherwise!(and numbers);
        }
        d.deserialize_any(UsageVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn usage_objects_with_details() {
        let openai = usage_from_json(
            r#"{"prompt_tokens":1200,"completion_tokens":300,"total_tokens":1500,
                "prompt_tokens_details":{"cached_tokens":1000},
                "completion_tokens_details":{"reasoning_tokens":200}}"#,
        )
        .unwrap();
        assert_eq!(
            (
                openai.prompt,
                openai.cache_read,
                openai.reasoning,
                openai.total
            ),
            (1200, 1000, 200, 1500)
        );
        // Anthropic counts cached input apart: the prompt is the sum
        let anthropic = usage_from_json(
            r#"{"input_tokens":10,"output_tokens":5,"cache_read_input_tokens":100,
                "cache_creation_input_tokens":20}"#,
        )
        .unwrap();
        assert_eq!(
            (
                anthropic.prompt,
                anthropic.cache_read,
                anthropic.cache_write,
                anthropic.total
            ),
            (130, 100, 20, 135)
        );
        // MLflow's usage has a total: its input count holds the cached tokens already
        let mlflow = usage_from_json(
            r#"{"input_tokens":130,"output_tokens":5,"total_tokens":135,
                "cache_read_input_tokens":100}"#,
        )
        .unwrap();
        assert_eq!(
            (mlflow.prompt, mlflow.cache_read, mlflow.total),
            (130, 100, 135)
        );
    }

    #[test]
    fn values_that_are_not_counts_are_absent_and_the_text_and_value_readers_agree() {
        let cases = [
            json!({"prompt_tokens": 3, "completion_tokens": 4}),
            json!({"prompt_tokens": -3, "completion_tokens": 4.0, "total_tokens": "7"}),
            json!({"prompt_tokens": [1], "completion_tokens": {"n": 2}, "total": 9}),
            json!({"input_tokens": 1, "input_tokens": 5, "output_tokens": null}),
            json!({"input_tokens": 1, "prompt_tokens": null, "cache_read_input_tokens": 7}),
            json!({"input_tokens": 1, "cache_creation_input_tokens": 2}),
            json!({"prompt_tokens": 1, "prompt_tokens_details": {"cache_creation_tokens": 6}}),
            json!({"prompt_tokens": 1, "prompt_tokens_details": [{"cached_tokens": 6}]}),
            json!({"output_tokens": 2, "output_tokens_details": {"reasoning_tokens": 1}}),
            json!({"other": {"deep": [1, {"x": 2}]}, "total_tokens": 0}),
            json!({"other": 1}),
            json!("100 tokens"),
            json!(12),
            json!([{"prompt_tokens": 1}]),
            json!(null),
        ];
        let expected = [
            Some((3, 4, 7, 0)),
            None,
            Some((0, 0, 9, 0)),
            Some((5, 0, 5, 0)),
            Some((1, 0, 1, 7)),
            Some((3, 0, 3, 0)),
            Some((1, 0, 1, 0)),
            Some((1, 0, 1, 0)),
            Some((0, 2, 2, 0)),
            Some((0, 0, 0, 0)),
            None,
            None,
            None,
            None,
            None,
        ];
        for (v, want) in cases.iter().zip(expected) {
            let got = usage_from_value(v);
            assert_eq!(
                got.map(|t| (t.prompt, t.completion, t.total, t.cache_read)),
                want,
                "{v}"
            );
            assert_eq!(usage_from_json(&v.to_string()), got, "{v}");
        }
        // a key given twice in the text counts with its last value, as the decoded value does
        let twice = r#"{"input_tokens": 1, "input_tokens": 5}"#;
        assert_eq!(usage_from_json(twice).map(|t| t.prompt), Some(5));
        // the cache-creation count of the details is read when no cache-write count is given
        let write = usage_from_json(
            r#"{"prompt_tokens":1,"prompt_tokens_details":{"cache_creation_tokens":6}}"#,
        );
        assert_eq!(write.map(|t| t.cache_write), Some(6));
        assert_eq!(usage_from_json("{not json"), None);
    }
}
