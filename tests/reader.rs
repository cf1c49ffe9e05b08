//! Reading a trace as its LM and tool calls: `show --format transcript` on the real samples,
//! and `r` in the explorer's waterfall, typed in a pseudo-terminal.

#![allow(clippy::unwrap_used)]

mod common;

use common::Session;
use std::process::Command;

fn fixture(path: &str) -> String {
    format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn transcript(id: &str, dir: &str) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args(["show", id, &fixture(dir), "--format", "transcript"])
        .env("NO_COLOR", "1")
        .env("TZ", "UTC")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{dir}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// The headings of a transcript's calls, without their times (which differ by producer).
fn calls(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("── "))
        .map(|l| l.split(" · +").next().unwrap().to_string())
        .collect()
}

/// The ReAct request that recovered from its timed-out weather tool, as the DSPy callback
/// recorded it: its three LM calls and two tools in the order they ran, each with what it was
/// given and what it answered.
#[test]
fn a_react_run_reads_as_its_calls_in_time_order() {
    let t = transcript("b125e33e", "dspy-callback-jsonl");
    assert_eq!(
        calls(&t),
        [
            "── 1 · LM call · DummyLM",
            "── 2 · tool call · Tool.get_weather",
            "── 3 · LM call · DummyLM",
            "── 4 · tool call · Tool.finish",
            "── 5 · LM call · DummyLM",
        ]
    );
    assert!(
        t.contains("calls    3 LM call(s), 2 tool call(s), in the order they started"),
        "{t}"
    );
    // tokens, latency and model on each LM call's line
    assert!(
        t.contains("── 1 · LM call · DummyLM · +3.1ms · 44.1ms · 636 in / 38 out · dummy\n"),
        "{t}"
    );
    // the failed tool: its arguments and its error, and nothing of the modules around it
    let tool = &t[t.find("── 2 · tool call").unwrap()..t.find("── 3 · LM call").unwrap()];
    assert_eq!(
        tool,
        "── 2 · tool call · Tool.get_weather · +48.5ms · 172ms · failed\narguments\n  {\n    \
         \"kwargs\": {\n      \"city\": \"Paris\"\n    }\n  }\nerror\n  TimeoutError: weather \
         service did not answer within 150 ms for city='Paris'\n\n"
    );
    let first = &t[t.find("── 1 · LM call").unwrap()..t.find("── 2 · tool call").unwrap()];
    for block in ["\nsystem\n", "\nuser\n", "\nresponse\n"] {
        assert!(first.contains(block), "{block} missing from:\n{first}");
    }
    assert!(!t.contains("ReAct.forward"), "module scaffolding in:\n{t}");
}

/// The same run recorded by three other producers reads as the same calls.
#[test]
fn every_producer_of_the_react_run_gives_its_calls() {
    for (id, dir) in [
        ("d0d1529e", "otlp-protobuf"),
        ("trc_b97d8fc8", "event-stream-jsonl"),
        ("362f85e9", "mlflow-otlp"),
    ] {
        let t = transcript(id, dir);
        let c = calls(&t);
        assert!(c.len() >= 4, "{dir}: {c:?}");
        assert!(c[0].contains("LM call"), "{dir}: {c:?}");
        assert!(c[1].contains("tool call"), "{dir}: {c:?}");
        assert!(c[1].contains("get_weather"), "{dir}: {c:?}");
        assert!(t.contains("TimeoutError"), "{dir}:\n{t}");
        assert!(t.contains("Paris"), "{dir}:\n{t}");
    }
}

/// An inspect_history file found by what a call said, as any source.
#[test]
fn an_inspect_history_entry_is_found_by_its_text() {
    let o = Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args([
            "list",
            &fixture("dspy-inspect-history"),
            "--filter",
            "text:\"Venus is second\"",
            "--format",
            "jsonl",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    let names: Vec<String> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["name"].to_string())
        .collect();
    assert_eq!(names, ["\"And the next one?\""]);
}

/// An inspect_history entry: one LM call with every message and the response.
#[test]
fn an_inspect_history_entry_reads_as_its_messages_and_response() {
    let t = transcript("02457e64", "dspy-inspect-history");
    assert_eq!(calls(&t), ["── 1 · LM call · question -> answer"]);
    let blocks: Vec<&str> = t
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty() && !l.starts_with("── "))
        .skip_while(|l| !l.starts_with("calls"))
        .skip(1)
        .collect();
    assert_eq!(blocks, ["system", "user", "assistant", "user", "response"]);
    for said in [
        "  Which planet is closest to the Sun?",
        "  Mercury is the closest planet to the Sun.",
        "  And the next one?",
        "  Venus is second, about 108 million km from the Sun.",
    ] {
        assert!(t.contains(said), "{said} missing from:\n{t}");
    }
}

#[test]
fn a_trace_without_calls_says_so() {
    let o = Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args([
            "list",
            &fixture("simple-jsonl"),
            "--format",
            "jsonl",
            "--limit",
            "1",
        ])
        .output()
        .unwrap();
    let line = String::from_utf8(o.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    let id = v["trace_id"].as_str().unwrap();
    let t = transcript(id, "simple-jsonl");
    if calls(&t).is_empty() {
        assert!(t.contains("no LM or tool call in this trace"), "{t}");
    }
}

/// `r` in the waterfall opens the reader at 80x24; it scrolls, and `r` closes it.
#[test]
fn r_in_the_waterfall_reads_the_trace() {
    let mut s = Session::start(
        &[
            "--no-follow",
            "--trace",
            "b125e33e",
            "tests/fixtures/dspy-callback-jsonl/events.jsonl",
        ],
        80,
        24,
    );
    s.wait_for("▶ Waterfall");
    s.keys("r");
    s.wait_for("▶ Reader b125e33ef688…");
    s.wait_for("ReAct  3 LM call(s), 2 tool call(s)");
    s.wait_for("── 1 · LM call · DummyLM · +3.1ms · 44.1ms");
    s.wait_for("r/Esc close");
    s.keys("G");
    s.wait_for("Completed.");
    s.keys("g");
    s.wait_for("line 1 of");
    // `/` filters over the reader; n goes to the first row that says the text
    s.keys("/text:\"did not answer\"\r");
    s.wait_for("r/Esc close");
    s.keys("n");
    s.wait_for("TimeoutError: weather service did not answer");
    s.keys("r");
    s.wait_gone("▶ Reader");
    s.wait_for("▶ Waterfall");
    s.quit_cleanly();
}

/// An inspect_history file opened in the explorer: its entries listed, one read with `r`.
#[test]
fn an_inspect_history_file_opens_in_the_explorer() {
    let mut s = Session::start(
        &["tests/fixtures/dspy-inspect-history/history.txt"],
        100,
        30,
    );
    s.wait_for("7 of 7 traces");
    s.wait_for("What does this image show?");
    s.keys("g\r");
    s.wait_for("▶ Waterfall What is the capital of France?");
    s.keys("r");
    s.wait_for("── 1 · LM call · question -> answer · +0µs · 0µs");
    s.wait_for("What is the capital of France?");
    s.keys("G");
    s.wait_for("Paris");
    s.keys("r");
    s.wait_gone("▶ Reader");
    s.quit_cleanly();
}
