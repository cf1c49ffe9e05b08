//! Real GenAI producers, tested for real: the official OpenAI instrumentation
//! (`opentelemetry-instrumentation-openai-v2`) in its default and `gen_ai_latest_experimental`
//! modes, OpenInference's OpenAI instrumentation, and litellm under OpenInference's litellm
//! instrumentation, each making one chat call against a local OpenAI-compatible stub
//! (`tests/python/genai_producers.py`: no network) and exporting to `spanscope record`; and
//! DSPy on that stub with spanscope's DSPy writer, which records DSPy's own cost. Each
//! case fails when the prompt, the response, the tokens (cached and reasoning ones included,
//! where the producer sends them) or the cost is missing or wrong.
//!
//! A case is a producer and a transport: each producer is received over OTLP/HTTP and over
//! OTLP/gRPC, its log events (where it puts its content in them) over the same transport.
//!
//! The Python packages come from `tests/python/requirements.txt` (see `tests/python.rs`); when
//! the package registry cannot be reached these tests say so and pass.

#![allow(clippy::unwrap_used)]

mod common;

use common::venv::python;

use serde_json::Value;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Whether a producer's content sent as log events (the default openai-v2 mode) reaches its
/// span: the receiver takes OTLP logs and attaches their events to their spans.
const CONTENT_FROM_LOG_EVENTS: bool = true;

/// What the stub answers (see `genai_producers.py`).
const PROMPT: &str = "What is the capital of France?";
const ANSWER: &str = "Paris.";
/// gpt-4o-mini at $0.15 per million input tokens, $0.075 cached, $0.6 output.
const COST_ALL_UNCACHED: f64 = 1200.0 * 0.15e-6 + 300.0 * 0.6e-6;
const COST_WITH_CACHE: f64 = 200.0 * 0.15e-6 + 1000.0 * 0.075e-6 + 300.0 * 0.6e-6;

/// How spans travel to spanscope.
#[derive(Debug, Clone, Copy)]
enum Transport {
    /// OTLP/HTTP (protobuf) to `record --listen ADDR`.
    Http,
    /// OTLP/gRPC to `record --grpc ADDR`.
    Grpc,
}

impl Transport {
    /// The script's PROTOCOL argument.
    fn protocol(self) -> &'static str {
        match self {
            Transport::Http => "http",
            Transport::Grpc => "grpc",
        }
    }
}

/// The transports checked.
const TRANSPORTS: [Transport; 2] = [Transport::Http, Transport::Grpc];

/// Where a producer puts the prompt and the response.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Content {
    /// On the span, as attributes.
    Span,
    /// In log events tied to the span.
    LogEvents,
}

/// One producer and what it sends.
struct Producer {
    name: &'static str,
    content: Content,
    /// Cached and reasoning tokens as the producer reports them (`None`: it does not).
    cache_read: Option<u64>,
    reasoning: Option<u64>,
    /// The cost spanscope must show, and whether it is the producer's own (`llm.cost.total`).
    cost: f64,
    stated: bool,
}

const PRODUCERS: [Producer; 4] = [
    // chat completions: usage details are not read by this instrumentation (it reads them
    // from the Responses API only), so the price table sees every input token as uncached
    Producer {
        name: "openai-v2",
        content: Content::LogEvents,
        cache_read: None,
        reasoning: None,
        cost: COST_ALL_UNCACHED,
        stated: false,
    },
    Producer {
        name: "openai-v2-latest",
        content: Content::Span,
        cache_read: None,
        reasoning: None,
        cost: COST_ALL_UNCACHED,
        stated: false,
    },
    Producer {
        name: "openinference",
        content: Content::Span,
        cache_read: Some(1000),
        reasoning: Some(200),
        cost: COST_WITH_CACHE,
        stated: false,
    },
    // litellm computes its cost itself (cached input at its own price)
    Producer {
        name: "litellm",
        content: Content::Span,
        cache_read: Some(1000),
        reasoning: Some(200),
        cost: COST_WITH_CACHE,
        stated: true,
    },
];

/// A `spanscope record` receiving on a free loopback port; stopped (SIGINT) on drop.
struct Recorder {
    child: Child,
    port: u16,
}

impl Recorder {
    fn start(out: &Path, transport: Transport) -> Recorder {
        let free = || {
            TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        };
        let port = free();
        let addr = format!("127.0.0.1:{port}");
        // gRPC on its port, HTTP on another free one (not the default, which may be taken)
        let other = format!("127.0.0.1:{}", free());
        let flags = match transport {
            Transport::Http => vec!["--listen", &addr],
            Transport::Grpc => vec!["--grpc", &addr, "--http", &other],
        };
        let child = Command::new(env!("CARGO_BIN_EXE_spanscope"))
            .arg("record")
            .args(&flags)
            .args(["--out", out.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(&addr).is_err() {
            assert!(Instant::now() < deadline, "record did not listen on {addr}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Recorder { child, port }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stop it the way a user does (Ctrl-C) and wait until it has.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("record did not stop on SIGINT");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn spanscope_json(args: &[&str]) -> Value {
    let o = Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args(args)
        .env_remove("SPANSCOPE_PRICES")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "spanscope {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("spanscope {args:?}: {e}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12
}

/// Run `p` over `transport` and check what spanscope received.
fn check(py: &Path, p: &Producer, transport: Transport) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("received.jsonl");
    let rec = Recorder::start(&out, transport);
    let mut args = vec![
        "tests/python/genai_producers.py".to_string(),
        p.name.to_string(),
        rec.endpoint(),
        transport.protocol().to_string(),
    ];
    if CONTENT_FROM_LOG_EVENTS && p.content == Content::LogEvents {
        args.push("logs".into());
    }
    let o = Command::new(py)
        .args(&args)
        .current_dir(ROOT)
        .output()
        .unwrap();
    rec.stop();
    let what = format!("{} over {transport:?}", p.name);
    assert!(
        o.status.success(),
        "{what}: the producer failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let path = out.to_str().unwrap();
    let list = spanscope_json(&["list", path, "--strict", "--format", "json"]);
    let [t] = list.as_array().unwrap().as_slice() else {
        panic!("{what}: one trace expected: {list:#}")
    };
    assert_eq!(t["llm_calls"], 1, "{what}: {t}");
    assert!(
        t["model"].as_str().unwrap_or("").contains("gpt-4o-mini"),
        "{what}: model of {t}"
    );
    let tokens = &t["tokens"];
    assert_eq!(
        (&tokens["prompt"], &tokens["completion"], &tokens["total"]),
        (&Value::from(1200), &Value::from(300), &Value::from(1500)),
        "{what}: tokens {tokens}"
    );
    assert_eq!(
        tokens["cache_read"].as_u64(),
        p.cache_read,
        "{what}: cached tokens {tokens}"
    );
    assert_eq!(
        tokens["reasoning"].as_u64(),
        p.reasoning,
        "{what}: reasoning tokens {tokens}"
    );
    let cost = t["cost"]
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: no cost: {t}"));
    assert!(close(cost, p.cost), "{what}: cost {cost}, want {}", p.cost);
    assert_eq!(t["unpriced_calls"], 0, "{what}: {t}");

    let id = t["trace_id"].as_str().unwrap();
    let [line] = export(path).try_into().unwrap_or_else(|l: Vec<Value>| {
        panic!("{what}: one exported trace expected, got {}", l.len())
    });
    let lm = line["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "llm")
        .unwrap_or_else(|| panic!("{what}: no LM span in {line}"));
    assert_eq!(
        lm["cost"].as_f64().map(|c| close(c, p.cost)),
        Some(true),
        "{what}"
    );
    assert_eq!(
        lm["attributes"].get("llm.cost.total").is_some(),
        p.stated,
        "{what}: the producer's own cost"
    );
    if p.content == Content::Span || CONTENT_FROM_LOG_EVENTS {
        let messages: Vec<&str> = lm["messages"]
            .as_array()
            .map(|m| m.iter().filter_map(|m| m["content"].as_str()).collect())
            .unwrap_or_default();
        assert!(messages.contains(&PROMPT), "{what}: prompt in {lm}");
        assert!(
            lm["response"].as_str().is_some_and(|r| r.contains(ANSWER)),
            "{what}: response in {lm}"
        );
    }
    let show = spanscope_json(&["show", id, path, "--format", "json"]);
    assert!(
        close(show["cost"].as_f64().unwrap(), p.cost),
        "{what}: {show}"
    );
}

/// `spanscope export FILE`, one JSON value per trace.
fn export(path: &str) -> Vec<Value> {
    let o = Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args(["export", path])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn case(name: &str) {
    let Some(py) = python() else { return };
    let p = PRODUCERS.iter().find(|p| p.name == name).unwrap();
    for transport in TRANSPORTS {
        check(py, p, transport);
    }
}

#[test]
fn openai_v2_default_mode() {
    case("openai-v2");
}

#[test]
fn openai_v2_latest_experimental_mode() {
    case("openai-v2-latest");
}

#[test]
fn openinference_openai() {
    case("openinference");
}

#[test]
fn litellm_with_its_cost() {
    case("litellm");
}

#[test]
fn dspy_writer_records_dspy_s_own_cost() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dspy.jsonl");
    let path = out.to_str().unwrap();
    let o = Command::new(py)
        .args(["tests/python/genai_producers.py", "dspy-writer", path])
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "the DSPy run failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let list = spanscope_json(&["list", path, "--strict", "--format", "json"]);
    let [t] = list.as_array().unwrap().as_slice() else {
        panic!("one trace expected: {list:#}")
    };
    assert_eq!(t["llm_calls"], 1, "{t}");
    assert_eq!(
        t["tokens"],
        serde_json::json!({"prompt":1200,"completion":300,"total":1500,"cache_read":1000,"reasoning":200})
    );
    // litellm's figure, through DSPy's LM history: cached input at its own price
    let cost = t["cost"].as_f64().unwrap_or_else(|| panic!("no cost: {t}"));
    assert!(close(cost, COST_WITH_CACHE), "cost {cost}");
    let [line] = export(path)
        .try_into()
        .unwrap_or_else(|l: Vec<Value>| panic!("one exported trace expected, got {}", l.len()));
    let lm = line["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "llm")
        .unwrap_or_else(|| panic!("no LM span in {line}"));
    assert!(
        lm["attributes"]["lm.cost"].as_str().is_some(),
        "DSPy's own cost: {lm}"
    );
    let said: Vec<&str> = lm["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(said.iter().any(|m| m.contains(PROMPT)), "{said:?}");
    assert!(
        lm["response"].as_str().is_some_and(|r| r.contains(ANSWER)),
        "{lm}"
    );
}
