//! Finding a request by what it said (`text:"..."`, or a bare quoted phrase), as a script author
//! runs it: the real binary on the real captures of every producer, and on lines written with
//! the escapes real JSON writers use.

use serde_json::Value;
use std::io::Write;
use std::process::Command;

/// The sample folders under `tests/fixtures/`: one capture per producer and encoding.
const SAMPLES: [&str; 12] = [
    "dspy-callback-jsonl",
    "event-stream-jsonl",
    "mlflow",
    "mlflow-otlp",
    "otlp-json",
    "otlp-json-converted",
    "otlp-jsonl",
    "otlp-protobuf",
    "otlp-protobuf-gzip",
    "otlp-protobuf-litellm",
    "simple-jsonl",
    "steps-jsonl",
];

fn fixture(dir: &str) -> String {
    format!("{}/tests/fixtures/{dir}", env!("CARGO_MANIFEST_DIR"))
}

/// `spanscope ARGS`: its stdout, after checking it succeeded quietly.
fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("TZ", "UTC")
        .output()
        .expect("spanscope runs");
    assert!(
        out.status.success(),
        "{args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The traces `list -f FILTER` prints for `source`, as JSON objects.
fn listed(source: &str, filter: &str) -> Vec<Value> {
    run(&[
        "list",
        source,
        &format!("--filter={filter}"),
        "--format",
        "jsonl",
    ])
    .lines()
    .map(|l| serde_json::from_str(l).expect("a JSON line"))
    .collect()
}

#[test]
fn the_request_that_hit_the_overloaded_model_is_found_in_every_capture() {
    // The LM error of the rag_lm_error program, as each producer recorded it: an exception
    // event (OTLP), a span's error (MLflow, the callback, the event stream), a step's or a
    // request's error (the hand-written lines).
    for dir in SAMPLES {
        let found = listed(&fixture(dir), "text:\"Model Overloaded\"");
        assert_eq!(found.len(), 1, "{dir}: {found:?}");
        assert_eq!(found[0]["status"], "error", "{dir}");
        // a bare quoted phrase is the same search
        assert_eq!(
            listed(&fixture(dir), "\"model overloaded\""),
            found,
            "{dir}"
        );
    }
}

#[test]
fn a_tool_error_inside_a_request_is_found_where_the_tool_ran() {
    // The weather tool of react_tool_error timed out; the hand-written request log has no steps
    // and the LiteLLM capture does not run that program.
    for dir in SAMPLES {
        let found = listed(&fixture(dir), "text:\"did not answer within\"");
        let expect = usize::from(!matches!(dir, "simple-jsonl" | "otlp-protobuf-litellm"));
        assert_eq!(found.len(), expect, "{dir}: {found:?}");
    }
}

#[test]
fn keys_and_ids_are_not_what_a_request_said() {
    for dir in ["steps-jsonl", "simple-jsonl", "otlp-json", "mlflow"] {
        assert!(listed(&fixture(dir), "text:latency_ms").is_empty(), "{dir}");
        assert!(listed(&fixture(dir), "text:trace_id").is_empty(), "{dir}");
    }
}

#[test]
fn a_negated_text_keeps_the_other_requests_and_stats_and_export_filter_alike() {
    let src = fixture("otlp-jsonl");
    let all = listed(&src, "").len();
    let paris = listed(&src, "text:paris").len();
    assert!(paris > 0 && paris < all, "{paris} of {all}");
    assert_eq!(listed(&src, "-text:paris").len(), all - paris);
    let exported = run(&["export", &src, "--filter=text:paris"]);
    assert_eq!(exported.lines().count(), paris);
    // the steps of the requests found are the steps of what was exported
    let mut file = tempfile::Builder::new()
        .suffix(".jsonl")
        .tempfile()
        .expect("temp file");
    file.write_all(exported.as_bytes()).expect("write");
    let path = file.path().to_str().expect("UTF-8 path");
    let stats = |args: &[&str]| -> Value {
        let mut all = vec!["stats", "--format", "json"];
        all.extend_from_slice(args);
        serde_json::from_str(&run(&all)).expect("JSON")
    };
    assert_eq!(stats(&[&src, "--filter=text:paris"]), stats(&[path]));
}

#[test]
fn escaped_text_is_found_as_it_is_typed() {
    // Python's json.dumps escapes what is not ASCII; Go's escapes <, > and &.
    let lines = concat!(
        r#"{"trace_id":"t1","timestamp":"2026-11-21T05:37:00Z","total_latency_ms":30,"inputs":{"question":"Caf\u00e9 hours?"},"outputs":{"answer":"\"R\u00e9sum\u00e9\" \u003cb\u003ebold\u003c/b\u003e"}}"#,
        "\n",
        r#"{"trace_id":"t2","timestamp":"2026-11-21T05:38:00Z","total_latency_ms":30,"inputs":{"question":"café"},"outputs":{"answer":"no"}}"#,
        "\n",
    );
    let mut file = tempfile::Builder::new()
        .suffix(".jsonl")
        .tempfile()
        .expect("temp file");
    file.write_all(lines.as_bytes()).expect("write");
    let path = file.path().to_str().expect("UTF-8 path").to_string();
    let ids = |filter: &str| -> Vec<String> {
        listed(&path, filter)
            .iter()
            .map(|t| t["trace_id"].as_str().expect("an id").to_string())
            .collect()
    };
    assert_eq!(ids("text:CAFÉ"), ["t1", "t2"]);
    assert_eq!(ids(r#"text:"\"résumé\"""#), ["t1"]);
    assert_eq!(ids("text:<b>bold"), ["t1"]);
    assert!(ids("text:question").is_empty(), "a key");
}
