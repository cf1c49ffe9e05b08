//! `spanscope sessions` on real data: a chat program's two conversations under the DSPy
//! writer (`tests/fixtures/conversations/`, written by `tests/python/conversation_program.py`),
//! OTLP spans naming their session (`session.id`, `gen_ai.conversation.id`, a key of one's own
//! with `--session-key`), and MLflow trace files with MLflow's session metadata.

#![allow(clippy::unwrap_used)]

mod common;

use common::Session;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(path: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", path]
        .iter()
        .collect();
    p.to_str().unwrap().to_string()
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("TZ", "UTC")
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "spanscope {args:?}: {}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn json_of(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).unwrap()
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect()
}

const CHAT: &str = "conversations/dspy-history.jsonl";

#[test]
fn a_dspy_history_program_is_two_conversations_with_their_turns() {
    let all = json_of(&["list", &fixture(CHAT), "--format", "json"]);
    assert_eq!(
        all.as_array().unwrap().len(),
        6,
        "five turns and a lone call"
    );
    let v = json_of(&["sessions", &fixture(CHAT), "--format", "json"]);
    let convs = v.as_array().unwrap();
    assert_eq!(convs.len(), 2, "{v:#}");
    // most recent first: the rivers conversation started second
    let rivers = &convs[0];
    let france = &convs[1];
    assert_eq!(
        france["first_question"], "What is the capital of France?",
        "{v:#}"
    );
    assert_eq!(
        rivers["first_question"],
        "What is the longest river in Europe?"
    );
    assert_eq!(
        (france["turns"].as_u64(), rivers["turns"].as_u64()),
        (Some(3), Some(2))
    );
    assert!(france["session"].as_str().unwrap().starts_with("dspy-"));
    // the README's contract: every field, and nothing else
    let mut keys: Vec<&str> = france
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "cost",
            "duration_ms",
            "errors",
            "first_question",
            "running",
            "session",
            "start",
            "tokens",
            "traces",
            "turns",
            "unpriced_calls"
        ]
    );
    // its turns are the list's traces of that conversation, in the order they started
    let turns = strs(&france["traces"]);
    let starts: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| turns.contains(&t["trace_id"].as_str().unwrap()))
        .map(|t| t["trace_id"].as_str().unwrap())
        .collect();
    assert_eq!(turns, starts);
    let duration = france["duration_ms"].as_f64().unwrap();
    let sum: f64 = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| turns.contains(&t["trace_id"].as_str().unwrap()))
        .map(|t| t["duration_ms"].as_f64().unwrap())
        .sum();
    assert!(duration >= sum, "first start to last end covers every turn");
    // the table and CSV say the same
    let table = ok(&["sessions", &fixture(CHAT)]);
    assert!(table.starts_with("SESSION "), "{table}");
    assert!(table.contains("What is the capital of France?"), "{table}");
    let csv = ok(&["sessions", &fixture(CHAT), "--format", "csv"]);
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let jsonl = ok(&["sessions", &fixture(CHAT), "--format", "jsonl"]);
    assert_eq!(jsonl.lines().count(), 2);
}

#[test]
fn one_conversation_reads_as_its_questions_and_answers_in_order() {
    let v = json_of(&["sessions", &fixture(CHAT), "--format", "json"]);
    let france = v[1]["session"].as_str().unwrap().to_string();
    let prefix = &france[..9];
    let t = json_of(&[
        "sessions",
        &fixture(CHAT),
        "--session",
        prefix,
        "--format",
        "json",
    ]);
    assert_eq!(t["session"], france.as_str());
    let turns = t["turns"].as_array().unwrap();
    let said: Vec<(&str, &str)> = turns
        .iter()
        .map(|x| (x["input"].as_str().unwrap(), x["answer"].as_str().unwrap()))
        .collect();
    assert_eq!(
        said,
        [
            ("What is the capital of France?", "Paris"),
            ("How many people live there?", "About two million"),
            ("Which river runs through it?", "The Seine"),
        ]
    );
    assert_eq!(turns[0]["offset_ms"], 0.0);
    assert!(
        turns
            .iter()
            .all(|x| x["status"] == "ok" && x["error"].is_null())
    );
    let text = ok(&["sessions", &fixture(CHAT), "--session", prefix]);
    assert!(
        text.starts_with(&format!("conversation {france} · 3 turns")),
        "{text}"
    );
    assert!(text.contains("\nuser\n  How many people live there?\nanswer\n  About two million\n"));
    // unknown: exit 1 and why
    let o = run(&["sessions", &fixture(CHAT), "--session", "nope"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no conversation \"nope\""));
}

#[test]
fn a_filter_keeps_conversations_with_a_matching_turn_and_session_filters_the_list() {
    let v = json_of(&["sessions", &fixture(CHAT), "--format", "json"]);
    let rivers = v[0]["session"].as_str().unwrap();
    let second_turn = strs(&v[0]["traces"])[1];
    let q = format!("id:{}", &second_turn[..10]);
    let only = json_of(&["sessions", &fixture(CHAT), "-f", &q, "--format", "json"]);
    assert_eq!(only.as_array().unwrap().len(), 1);
    assert_eq!(only[0]["session"], rivers);
    assert_eq!(only[0]["turns"], 2, "the whole conversation");
    let listed = json_of(&[
        "list",
        &fixture(CHAT),
        "-f",
        &format!("session:{}", &rivers[..10]),
        "--format",
        "json",
    ]);
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["trace_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, strs(&v[0]["traces"]));
    let none = json_of(&[
        "sessions",
        &fixture(CHAT),
        "-f",
        "name:Predict",
        "--format",
        "json",
    ]);
    assert_eq!(none, json!([]), "the lone call is no conversation");
}

/// One OTLP/JSON line: a trace of one span with `attrs`.
fn otlp_line(trace: &str, start_ms: u64, attrs: &[(&str, &str)]) -> String {
    let attributes: Vec<Value> = attrs
        .iter()
        .map(|(k, v)| json!({"key": k, "value": {"stringValue": v}}))
        .collect();
    let ns = |ms: u64| (1_795_000_000_000u64 + ms) * 1_000_000;
    json!({"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": "t"},
        "spans": [{"traceId": trace, "spanId": "00000000000000a1", "name": "chat",
            "startTimeUnixNano": ns(start_ms).to_string(), "endTimeUnixNano": ns(start_ms + 5).to_string(),
            "attributes": attributes}]}]}]})
    .to_string()
}

#[test]
fn otlp_sessions_and_a_key_of_ones_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("otlp.jsonl");
    let lines = [
        otlp_line(
            "00000000000000000000000000000001",
            0,
            &[("session.id", "s-1")],
        ),
        otlp_line(
            "00000000000000000000000000000002",
            10,
            &[("session.id", "s-1")],
        ),
        otlp_line(
            "00000000000000000000000000000003",
            20,
            &[("gen_ai.conversation.id", "c-9"), ("app.thread", "t-1")],
        ),
        otlp_line(
            "00000000000000000000000000000004",
            30,
            &[("app.thread", "t-1")],
        ),
    ];
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let p = path.to_str().unwrap();
    let v = json_of(&["sessions", p, "--format", "json"]);
    let got: Vec<(&str, u64)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["session"].as_str().unwrap(), c["turns"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, [("c-9", 1), ("s-1", 2)]);
    assert_eq!(v[1]["duration_ms"], 15.0, "first start to last end");
    let own = json_of(&[
        "sessions",
        p,
        "--session-key",
        "app.thread",
        "--format",
        "json",
    ]);
    let got: Vec<(&str, u64)> = own
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["session"].as_str().unwrap(), c["turns"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, [("t-1", 2), ("s-1", 2)], "the key named first");
}

fn with_session(src: &Path, dir: &Path, session: &str) {
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(src).unwrap()).unwrap();
    doc["info"]["trace_metadata"]["mlflow.trace.session"] = json!(session);
    let out = dir.join(src.file_name().unwrap());
    std::fs::write(out, serde_json::to_string(&doc).unwrap()).unwrap();
}

#[test]
fn mlflow_trace_files_carry_their_session_in_metadata() {
    let dir = tempfile::tempdir().unwrap();
    for (f, s) in [
        ("07_Predict_forward.json", "chat-a"),
        ("08_Predict_forward.json", "chat-a"),
        ("09_Predict_forward.json", "chat-b"),
    ] {
        with_session(Path::new(&fixture(&format!("mlflow/{f}"))), dir.path(), s);
    }
    let v = json_of(&["sessions", dir.path().to_str().unwrap(), "--format", "json"]);
    let mut got: Vec<(&str, u64)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["session"].as_str().unwrap(), c["turns"].as_u64().unwrap()))
        .collect();
    got.sort_unstable();
    assert_eq!(got, [("chat-a", 2), ("chat-b", 1)]);
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .all(|c| c["first_question"].is_string())
    );
}

/// The explorer in a pseudo-terminal at 80×24: `:sessions`, `Enter` reads the selected
/// conversation, `Enter` opens its first turn in the waterfall, `Esc` goes back to the
/// transcript, then to the conversations, then to the trace list.
#[test]
fn the_explorer_lists_reads_and_opens_a_conversation() {
    let mut s = Session::start(&[&fixture(CHAT), "--no-follow"], 80, 24);
    s.wait_for("6/6");
    s.keys(":sessions\r");
    s.wait_for("Conversations  2 conversation(s), 5 turn(s)");
    s.wait_for("What is the longest river");
    s.keys("\r");
    s.wait_for("Conversation dspy-8fe4ac1e53d08c14");
    s.wait_for("The Caspian Sea");
    s.keys("\r");
    s.wait_gone("Conversation dspy-8fe4ac1e53d08c14");
    s.wait_for("Predict");
    let screen = s.screen();
    assert!(screen.contains("Chat"), "{screen}");
    s.keys("\x1b");
    s.wait_for("Conversation dspy-8fe4ac1e53d08c14");
    s.wait_for("Enter open its trace");
    s.keys("\x1b");
    s.wait_for("Conversations  2 conversation(s), 5 turn(s)");
    s.wait_gone("Conversation dspy-8fe4ac1e53d08c14");
    s.keys("\x1b");
    s.wait_gone("Conversations  2 conversation(s)");
    s.wait_for("6/6");
    s.quit_cleanly();
}
