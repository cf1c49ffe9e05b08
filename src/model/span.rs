//! A span as readers see it, assembled from the store's span table (`rows.rs`), where it is
//! kept in a few fixed-size columns; big texts stay behind [`PayloadRef`]s.

pub use super::ids::SpanId;
pub use super::idx::SpanIdx;
use super::idx::TraceIdx;
use super::{Nanos, PayloadRef, Sym};
use std::fmt;
use std::str::FromStr;

/// What a span does, on OpenInference's scale (MLflow span types and GenAI operations map onto it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum SpanKind {
    Llm,
    Chain,
    Retriever,
    Tool,
    Agent,
    Embedding,
    Evaluator,
    #[default]
    Other,
}

impl SpanKind {
    pub const ALL: [SpanKind; 8] = [
        SpanKind::Llm,
        SpanKind::Chain,
        SpanKind::Retriever,
        SpanKind::Tool,
        SpanKind::Agent,
        SpanKind::Embedding,
        SpanKind::Evaluator,
        SpanKind::Other,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Llm => "llm",
            SpanKind::Chain => "chain",
            SpanKind::Retriever => "retriever",
            SpanKind::Tool => "tool",
            SpanKind::Agent => "agent",
            SpanKind::Embedding => "embedding",
            SpanKind::Evaluator => "evaluator",
            SpanKind::Other => "other",
        }
    }

    /// A one-cell glyph for waterfalls.
    #[must_use]
    pub fn glyph(self) -> char {
        match self {
            SpanKind::Llm => '◆',
            SpanKind::Chain => '○',
            SpanKind::Retriever => '▤',
            SpanKind::Tool => '⚒',
            SpanKind::Agent => '◎',
            SpanKind::Embedding => '≋',
            SpanKind::Evaluator => '✓',
            SpanKind::Other => '·',
        }
    }
}

impl fmt::Display for SpanKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SpanKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SpanKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown span kind {s:?}"))
    }
}

/// A span's own outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpanStatus {
    /// Nothing said (OTLP UNSET): not an error.
    #[default]
    Unset,
    Ok,
    Error,
}

/// Token usage of one LM call (or, for producers that report it so, of a whole subtree). Its
/// JSON shape (`prompt`, `completion`, `total`, and the details when a producer gave them) is
/// part of the output contract.
///
/// `prompt` counts every input token, cached ones included (as `gen_ai.usage.input_tokens` and
/// OpenInference's `llm.token_count.prompt` do): `cache_read` and `cache_write` say how many of
/// them were read from or written to a prompt cache. `reasoning` is the part of `completion`
/// the model spent reasoning. `stated_cost` is what the producer itself said the call cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Tokens {
    pub prompt: u64,
    pub completion: u64,
    pub total: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache_read: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache_write: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reasoning: u64,
    /// The producer's own figure for the call, in nano-USD (kept exact, summed exactly).
    #[serde(skip)]
    pub stated_cost: Option<Nanodollars>,
}

/// An amount of US dollars in units of 10^-9 USD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Nanodollars(pub u64);

impl Nanodollars {
    /// Dollars as a producer reports them; `None` for a negative or not finite figure.
    #[must_use]
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    pub fn from_usd(usd: f64) -> Option<Self> {
        (usd.is_finite() && usd >= 0.0 && usd < u64::MAX as f64 / 1e9)
            .then(|| Nanodollars((usd * 1e9).round() as u64))
    }

    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn usd(self) -> f64 {
        self.0 as f64 / 1e9
    }
}

impl std::ops::Add for Nanodollars {
    type Output = Nanodollars;
    fn add(self, o: Nanodollars) -> Nanodollars {
        Nanodollars(self.0.saturating_add(o.0))
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Tokens {
    /// Build from possibly partial counts: a missing total is prompt + completion.
    #[must_use]
    pub fn from_parts(
        prompt: Option<u64>,
        completion: Option<u64>,
        total: Option<u64>,
    ) -> Option<Self> {
        if prompt.is_none() && completion.is_none() && total.is_none() {
            return None;
        }
        let p = prompt.unwrap_or(0);
        let c = completion.unwrap_or(0);
        Some(Tokens {
            prompt: p,
            completion: c,
            total: total.unwrap_or(p.saturating_add(c)),
            ..Tokens::default()
        })
    }

    /// Prompt, completion and total only.
    #[must_use]
    pub fn counts(prompt: u64, completion: u64, total: u64) -> Self {
        Tokens {
            prompt,
            completion,
            total,
            ..Tokens::default()
        }
    }

    /// Whether it says more than prompt, completion and total (cache, reasoning, a cost).
    #[must_use]
    pub fn has_details(&self) -> bool {
        self.cache_read != 0
            || self.cache_write != 0
            || self.reasoning != 0
            || self.stated_cost.is_some()
    }
}

impl std::ops::Add for Tokens {
    type Output = Tokens;
    /// Counts add up; a cost only when both sides stated one.
    fn add(self, o: Tokens) -> Tokens {
        Tokens {
            prompt: self.prompt.saturating_add(o.prompt),
            completion: self.completion.saturating_add(o.completion),
            total: self.total.saturating_add(o.total),
            cache_read: self.cache_read.saturating_add(o.cache_read),
            cache_write: self.cache_write.saturating_add(o.cache_write),
            reasoning: self.reasoning.saturating_add(o.reasoning),
            stated_cost: self.stated_cost.zip(o.stated_cost).map(|(a, b)| a + b),
        }
    }
}

/// Flags on a span row.
pub mod flags {
    /// The span stands for a whole request of a format without explicit spans.
    pub const SYNTHETIC_ROOT: u8 = 1;
    /// The span's start was not recorded: it was laid out after its previous sibling.
    pub const SEQUENTIAL: u8 = 2;
    /// The span's token counts cover its whole subtree (MLflow module spans).
    pub const TOKENS_CUMULATIVE: u8 = 4;
    /// An exact duplicate of this span arrived and was ignored.
    pub const DUPLICATED: u8 = 8;
}

/// One span, by value ([`Store::span`](super::Store::span)). Times are optional while a span is
/// still arriving (a start line without its end).
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub trace: TraceIdx,
    /// Its id; [`Store::span_id`](super::Store::span_id) prints it.
    pub span_id: SpanId,
    /// The parent as the producer declared it; `None` for a declared root.
    pub parent_id: Option<SpanId>,
    pub name: Sym,
    pub kind: SpanKind,
    pub start: Option<Nanos>,
    pub end: Option<Nanos>,
    /// A duration reported without an end (end = start + duration once the start is known);
    /// kept only while the end is not known.
    pub dur_hint: Option<Nanos>,
    pub status: SpanStatus,
    pub error: Option<Sym>,
    pub model: Option<Sym>,
    pub tokens: Option<Tokens>,
    pub flags: u8,
    /// Up to two records carry this span's texts (a start line and an end line).
    pub payload: [Option<PayloadRef>; 2],
    /// Attributes kept for filtering and grouping: a range in the store's attribute arena.
    pub attrs: (u32, u32),
}

impl Span {
    #[must_use]
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// The end, derived from a duration when only that was reported.
    #[must_use]
    pub fn effective_end(&self) -> Option<Nanos> {
        self.end
            .or_else(|| Some(self.start?.saturating_add(self.dur_hint?)))
    }

    /// Duration when both ends are known.
    #[must_use]
    pub fn duration(&self) -> Option<Nanos> {
        Some(self.effective_end()?.saturating_sub(self.start?).max(0))
    }

    /// The span stands for the whole request: it declared no parent (a root, or a program's
    /// top-level span under a request's synthesized root), or it is that synthesized root. Its
    /// share of the trace says nothing about where the time went.
    #[must_use]
    pub fn is_request_root(&self) -> bool {
        self.parent_id.is_none() || self.has(flags::SYNTHETIC_ROOT)
    }

    #[must_use]
    pub fn is_error(&self) -> bool {
        self.status == SpanStatus::Error
    }

    /// The span's outcome for people and machines: `ok`, `error` or `running` (no end yet).
    #[must_use]
    pub fn outcome(&self) -> &'static str {
        if self.is_error() {
            "error"
        } else if self.effective_end().is_none() {
            "running"
        } else {
            "ok"
        }
    }
}
