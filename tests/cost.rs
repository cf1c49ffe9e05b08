//! What each LM call cost, end to end through the binary: the producer's figure first, else
//! the embedded price table, else a price file of the user's; unpriced calls stay unpriced;
//! cached and reasoning tokens of the GenAI conventions reach `show` and `stats`.

use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output};
use tempfile::NamedTempFile;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args(args)
        .env_remove("SPANSCOPE_PRICES")
        .env_remove("SPANSCOPE_CONFIG")
        .output()
        .expect("the binary runs")
}

fn run_ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "{args:?}: {}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("UTF-8 output")
}

fn fixture(path: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", path]
        .iter()
        .collect();
    p.to_str().expect("fixture path is UTF-8").to_string()
}

fn temp(suffix: &str, contents: &str) -> NamedTempFile {
    let mut f = tempfile::Builder::new()
        .suffix(suffix)
        .tempfile()
        .expect("temp file");
    f.write_all(contents.as_bytes()).expect("write temp file");
    f.flush().expect("flush");
    f
}

fn path(f: &NamedTempFile) -> &str {
    f.path().to_str().expect("UTF-8 path")
}

fn lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 + 1e-9 * b.abs()
}

#[test]
fn a_model_no_table_knows_is_unpriced_until_a_prices_file_names_it() {
    let src = fixture("dspy-callback-jsonl");
    let plain = lines(&run_ok(&["list", &src, "--format", "jsonl"]));
    for t in &plain {
        if !t["tokens"].is_null() {
            // DummyLM's "dummy" has no price: never $0
            assert!(t["cost"].is_null(), "{t}");
            assert_eq!(t["unpriced_calls"], t["llm_calls"], "{t}");
        }
    }
    let prices = temp(
        ".toml",
        "[[model]]\nname = \"Dummy\"\ninput = 1000\noutput = 2000\n",
    );
    let priced = lines(&run_ok(&[
        "list",
        &src,
        "--format",
        "jsonl",
        "--prices",
        path(&prices),
    ]));
    let mut seen = 0;
    for t in &priced {
        let Some(tokens) = t["tokens"].as_object() else {
            continue;
        };
        seen += 1;
        let want = tokens["prompt"].as_f64().unwrap() * 1e-3
            + tokens["completion"].as_f64().unwrap() * 2e-3;
        let got = t["cost"].as_f64().unwrap_or_else(|| panic!("{t}"));
        assert!(close(got, want), "{got} != {want}: {t}");
        assert_eq!(t["unpriced_calls"], 0, "{t}");
    }
    assert!(seen > 0);
    // a file that says nothing usable is refused, with what is wrong
    let bad = temp(".toml", "[[model]]\nname = \"x\"\ninput = \"cheap\"\n");
    let o = run(&["list", &src, "--prices", path(&bad)]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("model entry 1: input is not a price"), "{err}");
}

#[test]
fn cost_filters_and_sorts_traces_and_unpriced_ones_never_match() {
    let src = fixture("generated");
    let all = lines(&run_ok(&["list", &src, "--format", "jsonl"]));
    assert!(
        all.iter()
            .any(|t| t["cost"].is_null() && t["unpriced_calls"].as_u64() > Some(0))
    );
    let dear = lines(&run_ok(&[
        "list",
        &src,
        "--format",
        "jsonl",
        "--filter",
        "cost>0.001",
        "--sort",
        "cost",
    ]));
    assert!(!dear.is_empty());
    let costs: Vec<f64> = dear.iter().map(|t| t["cost"].as_f64().unwrap()).collect();
    assert!(costs.iter().all(|&c| c > 0.001), "{costs:?}");
    assert!(costs.windows(2).all(|w| w[0] >= w[1]), "{costs:?}");
    let want = all
        .iter()
        .filter(|t| t["cost"].as_f64().is_some_and(|c| c > 0.001))
        .count();
    assert_eq!(dear.len(), want);
    // a span-scope cost term
    let spans = run_ok(&[
        "list",
        &src,
        "--format",
        "jsonl",
        "--filter",
        "span.cost>$0.001",
    ]);
    // (a trace can cost more than any one of its calls)
    let n = spans.lines().count();
    assert!(n > 0 && n <= want, "{n} of {want}");
}

/// The trace both inputs below are.
const ID: &str = "c1";

/// A DSPy writer end line whose LM reported its cost, cached and reasoning tokens.
const DSPY_LINES: &str = concat!(
    r#"{"v":1,"seq":1,"event":"lm_start","kind":"lm","phase":"start","call_id":"c1","root_call_id":"c1","ts_unix_ns":1795239420000000000,"instance":{"class":"LM"},"lm":{"model":"openai/gpt-4o-mini"},"inputs":{"messages":[{"role":"user","content":"q"}]}}"#,
    "\n",
    r#"{"v":1,"seq":2,"event":"lm_end","kind":"lm","phase":"end","call_id":"c1","root_call_id":"c1","ts_unix_ns":1795239421000000000,"instance":{"class":"LM"},"duration_ms":1000,"outputs":["a"],"exception":null,"lm":{"model":"openai/gpt-4o-mini","usage":{"prompt_tokens":2000,"completion_tokens":300,"total_tokens":2300,"prompt_tokens_details":{"cached_tokens":1500},"completion_tokens_details":{"reasoning_tokens":100}},"cost":0.25}}"#,
    "\n"
);

#[test]
fn the_producers_own_cost_comes_first_and_details_reach_show_and_stats() {
    let f = temp(".jsonl", DSPY_LINES);
    let [t] = &lines(&run_ok(&["list", path(&f), "--format", "jsonl"]))[..] else {
        panic!("one trace")
    };
    assert_eq!(t["cost"], 0.25, "{t}");
    assert_eq!(
        t["tokens"],
        serde_json::json!({"prompt":2000,"completion":300,"total":2300,"cache_read":1500,"reasoning":100})
    );
    let show: Value = serde_json::from_str(&run_ok(&["show", ID, path(&f), "--format", "json"]))
        .expect("show JSON");
    assert_eq!(show["cost"], 0.25);
    assert_eq!(show["spans"][0]["cost"], 0.25);
    assert_eq!(show["spans"][0]["tokens"]["cache_read"], 1500);
    let text = run_ok(&["show", ID, path(&f)]);
    assert!(
        text.contains("2000 in / 300 out / 2300 total, 1500 cached, 100 reasoning"),
        "{text}"
    );
    assert!(text.contains("cost     $0.25"), "{text}");
    let stats: Value = serde_json::from_str(&run_ok(&["stats", path(&f), "--format", "json"]))
        .expect("stats JSON");
    let lm = &stats.as_array().unwrap()[0];
    assert_eq!(
        (lm["cost"].as_f64(), lm["unpriced_calls"].as_u64()),
        (Some(0.25), Some(0))
    );
    let table = run_ok(&["stats", path(&f)]);
    assert!(
        table.contains("CACHED/REASONING") && table.contains("1500/100"),
        "{table}"
    );
    assert!(table.contains("$0.25"), "{table}");
}

/// One OTLP/JSON request: a chat span of the 2026 GenAI conventions (messages as structured
/// values, cache and reasoning usage, no cost of its own).
fn genai_request(model: &str) -> String {
    let attrs = serde_json::json!([
        {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
        {"key": "gen_ai.provider.name", "value": {"stringValue": "openai"}},
        {"key": "gen_ai.request.model", "value": {"stringValue": model}},
        {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "1000000"}},
        {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "1000000"}},
        {"key": "gen_ai.usage.cache_read.input_tokens", "value": {"intValue": "500000"}},
        {"key": "gen_ai.usage.reasoning.output_tokens", "value": {"intValue": "200000"}},
        {"key": "gen_ai.response.finish_reasons", "value": {"arrayValue": {"values": [{"stringValue": "stop"}]}}},
        {"key": "gen_ai.conversation.id", "value": {"stringValue": "conv-7"}},
        {"key": "gen_ai.input.messages", "value": {"arrayValue": {"values": [
            {"kvlistValue": {"values": [
                {"key": "role", "value": {"stringValue": "user"}},
                {"key": "parts", "value": {"arrayValue": {"values": [{"kvlistValue": {"values": [
                    {"key": "type", "value": {"stringValue": "text"}},
                    {"key": "content", "value": {"stringValue": "What is 2+2?"}}
                ]}}]}}}
            ]}}
        ]}}},
        {"key": "gen_ai.output.messages", "value": {"stringValue":
            "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"4\"}],\"finish_reason\":\"stop\"}]"}}
    ]);
    serde_json::json!({"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{
        "scope": {"name": "test"},
        "spans": [{
            "traceId": "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1",
            "spanId": "eee19b7ec3c1b174",
            "name": format!("chat {model}"),
            "kind": 3,
            "startTimeUnixNano": "1795239420000000000",
            "endTimeUnixNano": "1795239421000000000",
            "attributes": attrs,
            "status": {}
        }]
    }]}]})
    .to_string()
}

#[test]
fn genai_conventions_priced_from_the_embedded_table() {
    let f = temp(".jsonl", &(genai_request("gpt-4o-mini-2024-07-18") + "\n"));
    let [t] = &lines(&run_ok(&["list", path(&f), "--format", "jsonl"]))[..] else {
        panic!("one trace")
    };
    // gpt-4o-mini: 0.5M uncached input at $0.15, 0.5M cached at $0.075, 1M output at $0.6
    // (reasoning has no price of its own: output)
    let want = 0.5 * 0.15 + 0.5 * 0.075 + 0.6;
    assert!(close(t["cost"].as_f64().unwrap(), want), "{t}");
    let show: Value = serde_json::from_str(&run_ok(&["show", ID, path(&f), "--format", "json"]))
        .expect("show JSON");
    let span = &show["spans"][0];
    assert_eq!(span["tokens"]["cache_read"], 500_000);
    assert_eq!(span["tokens"]["reasoning"], 200_000);
    let export = run_ok(&["export", path(&f)]);
    let line: Value = serde_json::from_str(export.trim()).expect("export line");
    let s = &line["spans"][0];
    assert_eq!(s["messages"][0]["content"], "What is 2+2?");
    assert_eq!(s["response"], "4");
    assert_eq!(s["attributes"]["gen_ai.conversation.id"], "conv-7");
    // and the export reads back with the same cost
    let back = temp(".jsonl", &export);
    let [again] = &lines(&run_ok(&["list", path(&back), "--format", "jsonl"]))[..] else {
        panic!("one trace")
    };
    assert_eq!(again["cost"], t["cost"]);
}
