//! What an LM call cost: the producer's own figure where it gave one, else its model's price
//! times its tokens.
//!
//! Prices come from pydantic's `genai-prices` data (`assets/prices/`, refreshed by
//! `scripts/refresh-prices.py`), embedded and parsed once, on first use; a file of the user's
//! (`--prices`) adds or overrides models. A model is found the way genai-prices finds it: a
//! `provider/` prefix names the provider (litellm's `openai/gpt-4o-mini`), else the first
//! provider whose model rule matches; then the provider's first model whose rule matches (and
//! the providers it falls back to). A model no table knows has no price: the call is unpriced,
//! never free.

use super::Nanos;
use super::span::{Nanodollars, Tokens};
use foldhash::HashMap;
use serde_json::Value;
use std::sync::{LazyLock, Mutex, OnceLock};

/// The `genai-prices` data, as `scripts/refresh-prices.py` writes it.
const EMBEDDED_JSON: &str = include_str!("../../assets/prices/genai-prices.json");

/// A model-name rule of the data (`ClauseEquals`, `ClauseRegex`, …), case-insensitive as there.
#[derive(Debug)]
enum Clause {
    Equals(String),
    StartsWith(String),
    EndsWith(String),
    Contains(String),
    Regex(LazyRegex),
    /// `^(?!A)B`: a look-ahead the regex crate does not have, as "not `^A`, and `^B`".
    NotThen(LazyRegex, LazyRegex),
    Or(Vec<Clause>),
    And(Vec<Clause>),
}

impl Clause {
    fn parse(v: &Value) -> Result<Clause, String> {
        let text = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::to_lowercase)
                .ok_or_else(|| format!("a match rule without {k:?}"))
        };
        let list = |k: &str| -> Result<Vec<Clause>, String> {
            v.get(k)
                .and_then(Value::as_array)
                .ok_or_else(|| format!("a match rule without {k:?}"))?
                .iter()
                .map(Clause::parse)
                .collect()
        };
        Ok(match v.get("type").and_then(Value::as_str).unwrap_or("") {
            "ClauseEquals" => Clause::Equals(text("equals")?),
            "ClauseStartsWith" => Clause::StartsWith(text("starts_with")?),
            "ClauseEndsWith" => Clause::EndsWith(text("ends_with")?),
            "ClauseContains" => Clause::Contains(text("contains")?),
            "ClauseRegex" => regex_clause(v.get("regex").and_then(Value::as_str).unwrap_or(""))?,
            "ClauseOr" => Clause::Or(list("or")?),
            "ClauseAnd" => Clause::And(list("and")?),
            other => return Err(format!("unknown match rule {other:?}")),
        })
    }

    /// Whether `name` (lowercase) matches.
    fn is_match(&self, name: &str) -> bool {
        match self {
            Clause::Equals(s) => name == s,
            Clause::StartsWith(s) => name.starts_with(s.as_str()),
            Clause::EndsWith(s) => name.ends_with(s.as_str()),
            Clause::Contains(s) => name.contains(s.as_str()),
            Clause::Regex(re) => re.is_match(name),
            Clause::NotThen(not, then) => !not.is_match(name) && then.is_match(name),
            Clause::Or(cs) => cs.iter().any(|c| c.is_match(name)),
            Clause::And(cs) => cs.iter().all(|c| c.is_match(name)),
        }
    }
}

fn regex_clause(re: &str) -> Result<Clause, String> {
    if let Some(rest) = re.strip_prefix("^(?!") {
        // the look-ahead ends at the parenthesis that closes it
        let mut depth = 1;
        let mut escaped = false;
        for (i, c) in rest.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        let not = LazyRegex::new(format!("^(?:{})", &rest[..i]));
                        let then = LazyRegex::new(format!("^(?:{})", &rest[i + 1..]));
                        return Ok(Clause::NotThen(not, then));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(Clause::Regex(LazyRegex::new(re.to_string())))
}

/// A regex compiled the first time a name is tested against it: most rules of the table are
/// never reached, and compiled regexes are what the table would weigh most.
#[derive(Debug)]
struct LazyRegex {
    pattern: String,
    compiled: OnceLock<Option<regex::Regex>>,
}

impl LazyRegex {
    fn new(pattern: String) -> LazyRegex {
        LazyRegex {
            pattern,
            compiled: OnceLock::new(),
        }
    }

    /// Whether `name` matches; a pattern the regex crate cannot read matches nothing.
    fn is_match(&self, name: &str) -> bool {
        self.compiled
            .get_or_init(|| regex::Regex::new(&self.pattern).ok())
            .as_ref()
            .is_some_and(|re| re.is_match(name))
    }
}

/// USD per million tokens: one rate, or tiers by the call's input tokens (a call over a tier's
/// start pays that tier's rate for all its tokens, as genai-prices says).
#[derive(Debug, Clone, PartialEq)]
enum Rate {
    Flat(f64),
    Tiered { base: f64, tiers: Vec<(u64, f64)> },
}

impl Rate {
    fn parse(v: &Value) -> Option<Rate> {
        if let Some(n) = v.as_f64() {
            return Some(Rate::Flat(n));
        }
        let base = v.get("base")?.as_f64()?;
        let mut tiers: Vec<(u64, f64)> = v
            .get("tiers")?
            .as_array()?
            .iter()
            .filter_map(|t| Some((t.get("start")?.as_u64()?, t.get("price")?.as_f64()?)))
            .collect();
        tiers.sort_by_key(|t| t.0);
        Some(Rate::Tiered { base, tiers })
    }

    fn per_mtok(&self, input_tokens: u64) -> f64 {
        match self {
            Rate::Flat(r) => *r,
            Rate::Tiered { base, tiers } => tiers
                .iter()
                .rev()
                .find(|(start, _)| input_tokens > *start)
                .map_or(*base, |t| t.1),
        }
    }
}

/// A model's token prices (USD per million tokens); a price the data does not give is `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelPrice {
    input: Option<Rate>,
    output: Option<Rate>,
    cache_read: Option<Rate>,
    cache_write: Option<Rate>,
    reasoning: Option<Rate>,
}

impl ModelPrice {
    fn parse(v: &Value) -> ModelPrice {
        let rate = |k: &str| v.get(k).and_then(Rate::parse);
        ModelPrice {
            input: rate("input_mtok"),
            output: rate("output_mtok"),
            cache_read: rate("cache_read_mtok"),
            cache_write: rate("cache_write_mtok"),
            reasoning: rate("output_reasoning_mtok"),
        }
    }

    /// What `t` costs at these prices. Cached and reasoning tokens have their own price when
    /// the data gives one, else they are input and output tokens like the others.
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn cost(&self, t: &Tokens) -> Nanodollars {
        let input = t.prompt;
        let mut plain_in = t.prompt;
        let mut plain_out = t.completion;
        let mut usd = 0.0;
        let mut charge = |rate: Option<&Rate>, n: u64| {
            if let Some(r) = rate {
                usd += r.per_mtok(input) * n as f64 / 1e6;
            }
        };
        if self.cache_read.is_some() {
            let n = t.cache_read.min(plain_in);
            plain_in -= n;
            charge(self.cache_read.as_ref(), n);
        }
        if self.cache_write.is_some() {
            let n = t.cache_write.min(plain_in);
            plain_in -= n;
            charge(self.cache_write.as_ref(), n);
        }
        if self.reasoning.is_some() {
            let n = t.reasoning.min(plain_out);
            plain_out -= n;
            charge(self.reasoning.as_ref(), n);
        }
        charge(self.input.as_ref(), plain_in);
        charge(self.output.as_ref(), plain_out);
        Nanodollars::from_usd(usd).unwrap_or_default()
    }
}

/// When a price applies (`ConditionalPrice`'s constraint).
#[derive(Debug)]
enum When {
    Always,
    /// From this day on (UTC), in seconds since the epoch.
    Since(i64),
    /// Between two times of the (UTC) day, in seconds; the interval may cross midnight.
    Daily(u32, u32),
}

impl When {
    fn parse(v: Option<&Value>) -> When {
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return When::Always;
        };
        let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("");
        let clock = |t: &str| {
            let (h, m) = t.split_once(':')?;
            Some(h.parse::<u32>().ok()? * 3600 + m.parse::<u32>().ok()? * 60)
        };
        match v.get("type").and_then(Value::as_str) {
            Some("StartDateConstraint") => {
                chrono::NaiveDate::parse_from_str(text("start_date"), "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map_or(When::Always, |d| When::Since(d.and_utc().timestamp()))
            }
            Some("TimeOfDateConstraint") => {
                match (clock(text("start_time")), clock(text("end_time"))) {
                    (Some(a), Some(b)) => When::Daily(a, b),
                    _ => When::Always,
                }
            }
            _ => When::Always,
        }
    }

    /// Whether it applies to a call at `at` (seconds since the epoch).
    fn applies(&self, at: i64) -> bool {
        match *self {
            When::Always => true,
            When::Since(s) => at >= s,
            When::Daily(a, b) => {
                let t = u32::try_from(at.rem_euclid(86_400)).unwrap_or(0);
                if b < a {
                    t >= a || t < b
                } else {
                    a <= t && t < b
                }
            }
        }
    }
}

/// A model of a price table: its prices over time.
#[derive(Debug)]
pub struct Model {
    rule: Clause,
    /// Prices and when each applies: the last that applies is the price.
    prices: Vec<(When, ModelPrice)>,
}

impl Model {
    /// Its price for a call at `at` (nanoseconds since the epoch; a call whose time is not
    /// known pays what applies now).
    #[must_use]
    pub fn price_at(&self, at: Option<Nanos>) -> Option<&ModelPrice> {
        let at = at.map_or_else(
            || chrono::Utc::now().timestamp(),
            |ns| ns.div_euclid(1_000_000_000),
        );
        self.prices
            .iter()
            .rev()
            .find(|(w, _)| w.applies(at))
            .map(|(_, p)| p)
    }
}

#[derive(Debug)]
struct Provider {
    id: String,
    model_rule: Option<Clause>,
    provider_rule: Option<Clause>,
    fallback: Vec<String>,
    models: Vec<Model>,
}

/// The data file, as read: a provider's rules, and its models converted one by one.
#[derive(serde::Deserialize)]
struct RawDoc {
    providers: Vec<RawProvider>,
}

#[derive(serde::Deserialize)]
struct RawProvider {
    #[serde(default)]
    id: String,
    #[serde(default)]
    model_match: Option<Value>,
    #[serde(default)]
    provider_match: Option<Value>,
    #[serde(default)]
    fallback_model_providers: Option<Vec<String>>,
    #[serde(default, deserialize_with = "models")]
    models: Vec<Model>,
}

#[derive(serde::Deserialize)]
struct RawModel {
    #[serde(rename = "match")]
    rule: Value,
    #[serde(default)]
    prices: Value,
}

impl RawModel {
    fn into_model(self) -> Result<Model, String> {
        let prices = match &self.prices {
            Value::Array(cs) => cs
                .iter()
                .map(|c| {
                    (
                        When::parse(c.get("constraint")),
                        ModelPrice::parse(c.get("prices").unwrap_or(&Value::Null)),
                    )
                })
                .collect(),
            Value::Null => Vec::new(),
            one => vec![(When::Always, ModelPrice::parse(one))],
        };
        Ok(Model {
            rule: Clause::parse(&self.rule)?,
            prices,
        })
    }
}

/// A provider's models, each converted as soon as it is read.
fn models<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Model>, D::Error> {
    struct Models;
    impl<'de> serde::de::Visitor<'de> for Models {
        type Value = Vec<Model>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list of models")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Vec<Model>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
            while let Some(m) = seq.next_element::<RawModel>()? {
                out.push(m.into_model().map_err(serde::de::Error::custom)?);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(Models)
}

/// A price table: the embedded data, or a user's file.
#[derive(Debug, Default)]
pub struct PriceTable {
    providers: Vec<Provider>,
}

/// Prices read from a file the user gave, checked before the embedded table.
static EXTRA: OnceLock<PriceTable> = OnceLock::new();
static EMBEDDED: LazyLock<PriceTable> =
    LazyLock::new(|| PriceTable::from_genai_prices(EMBEDDED_JSON).unwrap_or_default());
/// Models already looked up: (table, provider, model) indexes, by the name as written.
type Found = Option<(bool, usize, usize)>;
static FOUND: LazyLock<Mutex<HashMap<String, Found>>> = LazyLock::new(Mutex::default);

impl PriceTable {
    /// Read `genai-prices` data (its providers, their rules and their models' prices).
    ///
    /// # Errors
    /// Not JSON, or a rule that cannot be read.
    pub fn from_genai_prices(text: &str) -> Result<PriceTable, String> {
        // read a model at a time: the whole document as one tree would weigh ten times the
        // table
        let doc: RawDoc = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut out = Vec::with_capacity(doc.providers.len());
        for p in doc.providers {
            let rule = |v: Option<Value>| {
                v.filter(|v| !v.is_null())
                    .as_ref()
                    .map(Clause::parse)
                    .transpose()
            };
            out.push(Provider {
                id: p.id,
                model_rule: rule(p.model_match)?,
                provider_rule: rule(p.provider_match)?,
                fallback: p.fallback_model_providers.unwrap_or_default(),
                models: p.models,
            });
        }
        Ok(PriceTable { providers: out })
    }

    /// A provider-less table of the given models: `(rule, price)` in order.
    fn of_models(models: Vec<(Clause, ModelPrice)>) -> PriceTable {
        PriceTable {
            providers: vec![Provider {
                id: String::new(),
                model_rule: None,
                provider_rule: None,
                fallback: Vec::new(),
                models: models
                    .into_iter()
                    .map(|(rule, p)| Model {
                        rule,
                        prices: vec![(When::Always, p)],
                    })
                    .collect(),
            }],
        }
    }

    fn provider_by_id(&self, id: &str) -> Option<usize> {
        self.providers.iter().position(|p| p.id == id).or_else(|| {
            self.providers
                .iter()
                .position(|p| p.provider_rule.as_ref().is_some_and(|r| r.is_match(id)))
        })
    }

    fn model_in(&self, p: usize, name: &str, fall_back: bool) -> Option<(usize, usize)> {
        let provider = &self.providers[p];
        if let Some(m) = provider.models.iter().position(|m| m.rule.is_match(name)) {
            return Some((p, m));
        }
        if !fall_back {
            return None;
        }
        provider.fallback.iter().find_map(|id| {
            let f = self.providers.iter().position(|q| &q.id == id)?;
            self.model_in(f, name, false)
        })
    }

    /// The provider and model of `name` (lowercase), as genai-prices finds them.
    fn find(&self, name: &str) -> Option<(usize, usize)> {
        if let Some((prefix, rest)) = name.split_once('/')
            && let Some(p) = self.provider_by_id(prefix)
            && let Some(found) = self.model_in(p, rest, true)
        {
            return Some(found);
        }
        let by_rule = |n: &str| {
            self.providers.iter().enumerate().find_map(|(i, p)| {
                p.model_rule
                    .as_ref()
                    .is_some_and(|r| r.is_match(n))
                    .then_some(i)
            })
        };
        if let Some(p) = by_rule(name) {
            return self.model_in(p, name, true);
        }
        // a table without provider rules (a user's file): every model, in order
        if let Some(found) = (0..self.providers.len())
            .filter(|&p| self.providers[p].model_rule.is_none())
            .find_map(|p| self.model_in(p, name, false))
        {
            return Some(found);
        }
        // `provider/model` where the provider is not one the table knows
        let rest = name.rsplit_once('/')?.1;
        by_rule(rest).and_then(|p| self.model_in(p, rest, true))
    }

    /// Read a price file of the user's: TOML or JSON, a list of `[[model]]` entries, each with
    /// `name` (the model as producers write it, any case) or `prefix`, and prices in USD per
    /// million tokens: `input`, `output`, and optionally `cache_read`, `cache_write`,
    /// `reasoning`.
    ///
    /// # Errors
    /// Neither TOML nor JSON of that shape; an entry without a name or without prices.
    pub fn from_user_file(text: &str) -> Result<PriceTable, String> {
        let doc: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(_) => toml::from_str::<toml::Value>(text)
                .map_err(|e| format!("neither JSON nor TOML: {e}"))
                .and_then(|t| serde_json::to_value(t).map_err(|e| e.to_string()))?,
        };
        let entries = doc
            .get("model")
            .and_then(Value::as_array)
            .ok_or("no [[model]] entries")?;
        let mut models = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            let at = || format!("model entry {}", i + 1);
            let text = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_lowercase);
            let rule = match (text("name"), text("prefix")) {
                (Some(n), _) => Clause::Equals(n),
                (None, Some(p)) => Clause::StartsWith(p),
                (None, None) => return Err(format!("{}: no name or prefix", at())),
            };
            let rate = |k: &str| -> Result<Option<Rate>, String> {
                match e.get(k) {
                    None => Ok(None),
                    Some(v) => match v.as_f64() {
                        Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(Rate::Flat(n))),
                        _ => Err(format!(
                            "{}: {k} is not a price (USD per million tokens)",
                            at()
                        )),
                    },
                }
            };
            let price = ModelPrice {
                input: rate("input")?,
                output: rate("output")?,
                cache_read: rate("cache_read")?,
                cache_write: rate("cache_write")?,
                reasoning: rate("reasoning")?,
            };
            if price.input.is_none() && price.output.is_none() {
                return Err(format!("{}: no input or output price", at()));
            }
            models.push((rule, price));
        }
        Ok(PriceTable::of_models(models))
    }
}

/// Use `table` before the embedded prices, for the rest of the process. Only the first call
/// counts; it returns false for any later one.
pub fn add_user_prices(table: PriceTable) -> bool {
    EXTRA.set(table).is_ok()
}

fn table(user: bool) -> &'static PriceTable {
    if user {
        EXTRA.get().unwrap_or(&EMBEDDED)
    } else {
        &EMBEDDED
    }
}

/// The price of `model` for a call at `at` (nanoseconds since the epoch), if a table knows it.
#[must_use]
pub fn price_of(model: &str, at: Option<Nanos>) -> Option<&'static ModelPrice> {
    model_of(model)?.price_at(at)
}

/// Read the embedded table now (about 10 ms), where the first lookup would otherwise do it:
/// the explorer calls it on a thread of its own as it starts, so that its first screen does
/// not wait for it.
pub fn load_embedded() {
    LazyLock::force(&EMBEDDED);
}

/// The model a table knows by the name `model` (as producers write it), if one does.
#[must_use]
pub fn model_of(model: &str) -> Option<&'static Model> {
    let name = model.trim().to_lowercase();
    let found = {
        let mut cache = FOUND
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *cache.entry(name).or_insert_with_key(|name| {
            let user = EXTRA
                .get()
                .and_then(|t| t.find(name))
                .map(|(p, m)| (true, p, m));
            user.or_else(|| EMBEDDED.find(name).map(|(p, m)| (false, p, m)))
        })
    };
    let (user, p, m) = found?;
    Some(&table(user).providers[p].models[m])
}

/// What a call of `model` with usage `t` at `at` cost: the producer's figure when it stated
/// one, else the model's price. `None`: unpriced.
#[must_use]
pub fn call_cost(model: Option<&str>, t: &Tokens, at: Option<Nanos>) -> Option<Nanodollars> {
    t.stated_cost
        .or_else(|| Some(price_of(model?, at)?.cost(t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(prompt: u64, completion: u64) -> Tokens {
        Tokens::counts(prompt, completion, prompt + completion)
    }

    fn usd(n: Option<Nanodollars>) -> Option<f64> {
        n.map(Nanodollars::usd)
    }

    #[test]
    fn the_embedded_table_reads_and_finds_models_as_producers_write_them() {
        let t = PriceTable::from_genai_prices(EMBEDDED_JSON).unwrap();
        assert!(t.providers.len() > 20);
        // gpt-4o-mini: $0.15 in, $0.6 out, $0.075 cached input per million
        let million = tokens(1_000_000, 1_000_000);
        for name in [
            "gpt-4o-mini",
            "GPT-4o-mini-2024-07-18",
            "openai/gpt-4o-mini",
            "azure/gpt-4o-mini",
        ] {
            let p = price_of(name, None).unwrap_or_else(|| panic!("{name}"));
            assert!((p.cost(&million).usd() - 0.75).abs() < 1e-9, "{name}");
        }
        assert!(price_of("anthropic/claude-3-5-haiku-latest", None).is_some());
        assert!(price_of("claude-sonnet-4-5", None).is_some());
        assert_eq!(price_of("my-own-llama", None), None);
        assert_eq!(price_of("dummy", None), None);
        // a look-ahead rule: mistral's models, not a `provider/…` one
        let mistral = regex_clause("^(?![^/]+/)(?:mi|co)stral").unwrap();
        assert!(mistral.is_match("mistral-large") && !mistral.is_match("x/mistral-large"));
        assert!(!mistral.is_match("llama"));
    }

    #[test]
    fn cached_and_reasoning_tokens_pay_their_own_price() {
        let p = ModelPrice {
            input: Some(Rate::Flat(1.0)),
            output: Some(Rate::Flat(4.0)),
            cache_read: Some(Rate::Flat(0.1)),
            cache_write: Some(Rate::Flat(1.25)),
            reasoning: None,
        };
        let mut t = tokens(1_000_000, 1_000_000);
        t.cache_read = 500_000;
        t.cache_write = 100_000;
        t.reasoning = 200_000;
        // 0.4M plain input at 1, 0.5M cached at 0.1, 0.1M written at 1.25, 1M out at 4
        // (reasoning has no price of its own here: it is output)
        assert!((p.cost(&t).usd() - (0.4 + 0.05 + 0.125 + 4.0)).abs() < 1e-9);
        // without a cached price, cached tokens are input
        let plain = ModelPrice {
            cache_read: None,
            cache_write: None,
            ..p.clone()
        };
        assert!((plain.cost(&t).usd() - 5.0).abs() < 1e-9);
        let reasoning = ModelPrice {
            reasoning: Some(Rate::Flat(8.0)),
            ..plain
        };
        assert!((reasoning.cost(&t).usd() - (1.0 + 0.8 * 4.0 + 0.2 * 8.0)).abs() < 1e-9);
    }

    #[test]
    fn tiers_and_dates_apply_as_the_data_says() {
        let tiered = Rate::Tiered {
            base: 1.0,
            tiers: vec![(200_000, 2.0)],
        };
        assert!((tiered.per_mtok(200_000) - 1.0).abs() < f64::EPSILON);
        assert!((tiered.per_mtok(200_001) - 2.0).abs() < f64::EPSILON);
        let since = When::parse(Some(&serde_json::json!(
            {"type": "StartDateConstraint", "start_date": "2026-01-02"}
        )));
        assert!(!since.applies(1_767_225_600)); // 2026-01-01
        assert!(since.applies(1_767_312_000));
        let night = When::Daily(16 * 3600 + 1800, 30 * 60);
        assert!(night.applies(17 * 3600) && night.applies(600) && !night.applies(3600));
    }

    #[test]
    fn a_stated_cost_comes_first_and_an_unknown_model_is_unpriced() {
        let mut t = tokens(1_000_000, 0);
        assert_eq!(call_cost(Some("no-such-model"), &t, None), None);
        assert_eq!(call_cost(None, &t, None), None);
        t.stated_cost = Some(Nanodollars(42));
        assert_eq!(
            call_cost(Some("gpt-4o-mini"), &t, None),
            Some(Nanodollars(42))
        );
        assert_eq!(usd(call_cost(Some("no-such-model"), &t, None)), Some(42e-9));
    }

    #[test]
    fn a_users_file_reads_as_toml_or_json_and_says_what_is_wrong() {
        let toml = "[[model]]\nname = \"Llama-3.1-8B\"\ninput = 0.1\noutput = 0.2\n\n\
                    [[model]]\nprefix = \"local/\"\ninput = 0\noutput = 0\n";
        let t = PriceTable::from_user_file(toml).unwrap();
        let (p, m) = t.find("llama-3.1-8b").unwrap();
        let price = t.providers[p].models[m].price_at(None).unwrap();
        assert!((price.cost(&tokens(1_000_000, 1_000_000)).usd() - 0.3).abs() < 1e-9);
        assert!(t.find("local/qwen").is_some());
        assert!(t.find("gpt-4o").is_none());
        let json = r#"{"model":[{"name":"x","input":1,"output":2}]}"#;
        assert!(PriceTable::from_user_file(json).is_ok());
        for (bad, says) in [
            ("[[model]]\ninput = 1\n", "model entry 1: no name or prefix"),
            (
                "[[model]]\nname = \"x\"\n",
                "model entry 1: no input or output price",
            ),
            (
                "[[model]]\nname = \"x\"\ninput = \"cheap\"\n",
                "model entry 1: input is not a price",
            ),
            ("nonsense = [", "neither JSON nor TOML"),
        ] {
            let e = PriceTable::from_user_file(bad).unwrap_err();
            assert!(e.starts_with(says), "{e}");
        }
    }
}
