//! Runs the real `spanscope` binary over every sample fixture folder and compares what
//! `list` and `show` report with `tests/fixtures/ground_truth.json`, which the fixture generator
//! computed straight from the producers' files (`samples/MANIFEST.md` in the shared samples
//! explains the data).
//!
//! Shape of the ground truth, per folder (`fixtures.<folder>`): `traces`, `spans`,
//! `error_traces`, optional `running_traces`, and `trace_details` (one object per trace). The
//! per-trace duration key depends on the format (`root_latency_ms`, `total_latency_ms` or
//! `latency_ms`), as does the slowest-child key (`slowest_span` or `slowest_step`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Command, ExitStatus};
use std::sync::OnceLock;

use pretty_assertions::assert_eq;
use serde_json::Value;

/// Allowed difference between a reported duration and the ground truth, in milliseconds.
const DURATION_TOLERANCE_MS: f64 = 0.01;

/// The five encodings of the same OTLP export (same 15 traces, same 110 spans).
const OTLP_ENCODINGS: [&str; 5] = [
    "otlp-protobuf",
    "otlp-protobuf-gzip",
    "otlp-json",
    "otlp-json-converted",
    "otlp-jsonl",
];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Absolute path of `tests/fixtures/<path>`.
fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(path)
}

/// Runs the binary with `args`; returns (stdout, stderr, exit status).
fn run(args: &[&str]) -> (String, String, ExitStatus) {
    let output = Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("failed to start spanscope {args:?}: {e}"));
    (
        String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        output.status,
    )
}

/// Runs the binary, asserts it exited 0, returns stdout.
fn run_ok(args: &[&str]) -> String {
    let (stdout, stderr, status) = run(args);
    assert!(
        status.success(),
        "spanscope {args:?} exited with {status}\n--- stderr ---\n{stderr}"
    );
    stdout
}

fn parse_json(text: &str, what: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| {
        let head: String = text.chars().take(500).collect();
        panic!("{what}: output is not JSON ({e}); it starts with:\n{head}")
    })
}

/// `spanscope list <folder> --format json`, as an array of trace objects.
fn list_json(folder: &str) -> Vec<Value> {
    let dir = fixture(folder);
    let stdout = run_ok(&["list", path_str(&dir), "--format", "json"]);
    match parse_json(&stdout, &format!("{folder}: list --format json")) {
        Value::Array(traces) => traces,
        other => panic!("{folder}: list --format json is not an array: {other}"),
    }
}

/// `spanscope list <folder> --format jsonl`, raw stdout.
fn list_jsonl(folder: &str) -> String {
    let dir = fixture(folder);
    run_ok(&["list", path_str(&dir), "--format", "jsonl"])
}

/// `spanscope show <trace_id> <folder> --format json`, as one trace object.
fn show_json(folder: &str, trace_id: &str) -> Value {
    let dir = fixture(folder);
    let stdout = run_ok(&["show", trace_id, path_str(&dir), "--format", "json"]);
    let trace = parse_json(&stdout, &format!("{folder}: show {trace_id}"));
    assert!(
        trace.is_object(),
        "{folder}: show {trace_id} is not an object: {trace}"
    );
    trace
}

fn path_str(path: &std::path::Path) -> &str {
    path.to_str().expect("fixture path is UTF-8")
}

/// The whole ground-truth file, parsed once per test binary.
fn ground_truth() -> &'static Value {
    static GROUND_TRUTH: OnceLock<Value> = OnceLock::new();
    GROUND_TRUTH.get_or_init(|| {
        let path = fixture("ground_truth.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        parse_json(&text, "ground_truth.json")
    })
}

/// `fixtures.<folder>` of the ground truth.
fn truth(folder: &str) -> &'static Value {
    let entry = &ground_truth()["fixtures"][folder];
    assert!(
        entry.is_object(),
        "ground_truth.json has no fixtures.{folder}"
    );
    entry
}

fn truth_details(folder: &str) -> &'static [Value] {
    truth(folder)["trace_details"]
        .as_array()
        .unwrap_or_else(|| panic!("ground truth {folder}: trace_details is not an array"))
}

/// The request's outcome the producer recorded for one trace: its root span's status, the
/// event stream's trace status, or a request line's error.
fn truth_outcome(detail: &Value) -> &str {
    if let Some(s) = detail["root_status"].as_str().or(detail["status"].as_str()) {
        return s;
    }
    if detail["error"].as_bool() == Some(true) {
        "error"
    } else {
        "ok"
    }
}

/// Whether some span or step of the trace failed.
fn truth_has_failed_step(detail: &Value) -> bool {
    let some = |k: &str| detail[k].as_array().is_some_and(|a| !a.is_empty());
    some("error_spans") || some("error_steps")
}

/// A ground-truth list of trace ids (`error_traces`, `running_traces`); absent = empty.
fn truth_id_set(folder: &str, key: &str) -> BTreeSet<String> {
    match &truth(folder)[key] {
        Value::Null => BTreeSet::new(),
        Value::Array(ids) => ids
            .iter()
            .map(|id| id.as_str().expect("trace id is a string").to_owned())
            .collect(),
        other => panic!("ground truth {folder}.{key} is not a list: {other}"),
    }
}

fn as_u64(value: &Value, what: &str) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("{what} is not an unsigned integer: {value}"))
}

fn as_f64(value: &Value, what: &str) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {value}"))
}

fn as_str<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value}"))
}

/// `null` → None, `{prompt, completion, total}` → Some((prompt, completion, total)).
fn tokens(value: &Value, what: &str) -> Option<(u64, u64, u64)> {
    if value.is_null() {
        return None;
    }
    let field = |key: &str| as_u64(&value[key], &format!("{what}.{key}"));
    Some((field("prompt"), field("completion"), field("total")))
}

/// The trace objects of a `list` output, keyed by `trace_id` (asserting ids are unique).
fn by_trace_id<'a>(folder: &str, traces: &'a [Value]) -> BTreeMap<String, &'a Value> {
    let mut map = BTreeMap::new();
    for trace in traces {
        let id = as_str(&trace["trace_id"], &format!("{folder}: list trace_id")).to_owned();
        let previous = map.insert(id.clone(), trace);
        assert!(previous.is_none(), "{folder}: trace {id} is listed twice");
    }
    map
}

// ---------------------------------------------------------------------------------------------
// Per-format knowledge of the ground truth
// ---------------------------------------------------------------------------------------------

/// How a fixture folder's traces are built, which decides how the ground truth reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// The producer declares the span tree (OTLP, MLflow, DSPy callback JSONL).
    SpanTree,
    /// simple-jsonl: no spans; the binary synthesizes one root span per trace.
    Simple,
    /// steps-jsonl: a synthesized root with each step as its child.
    Steps,
    /// event-stream-jsonl: trace_start/trace_end become a synthesized root (span id = trace id);
    /// event `span` lines with a null parent hang under it.
    EventStream,
}

impl Shape {
    fn of(folder: &str) -> Self {
        match folder {
            "simple-jsonl" => Self::Simple,
            "steps-jsonl" => Self::Steps,
            "event-stream-jsonl" => Self::EventStream,
            _ => Self::SpanTree,
        }
    }

    fn synthesizes_root(self) -> bool {
        self != Self::SpanTree
    }

    /// Ground-truth key of a trace's duration.
    fn duration_key(self) -> &'static str {
        match self {
            Self::SpanTree => "root_latency_ms",
            Self::Simple | Self::Steps => "total_latency_ms",
            Self::EventStream => "latency_ms",
        }
    }

    /// Ground-truth key of a trace's slowest non-root span, if the format has one.
    fn slowest_key(self) -> Option<&'static str> {
        match self {
            Self::SpanTree | Self::EventStream => Some("slowest_span"),
            Self::Steps => Some("slowest_step"),
            Self::Simple => None,
        }
    }

    /// Number of spans the binary must report for one ground-truth trace, if known.
    fn expected_spans(self, folder: &str, detail: &Value) -> Option<u64> {
        let count = |key: &str| {
            let what = format!("ground truth {folder} {}.{key}", detail["trace_id"]);
            detail.get(key).map(|v| as_u64(v, &what))
        };
        match self {
            Self::SpanTree => count("spans"),
            Self::Simple => Some(1),
            Self::Steps => count("steps").map(|n| n + 1),
            Self::EventStream => count("spans").map(|n| n + 1),
        }
    }

    /// Whether a `show` span is (or stands for) the root as the ground truth defines it: the span
    /// without a declared parent. Orphans declared a parent, so they are never the root.
    fn is_truth_root(self, span: &Value, trace_id: &str) -> bool {
        let depth = span["depth"].as_u64();
        let orphan = span["orphan"].as_bool().unwrap_or(false);
        let top_level = depth == Some(0) && !orphan;
        match self {
            Self::EventStream => {
                // The synthesized root, and the event span whose parent_span_id was null (shown
                // as a child of the synthesized root).
                let parent = span["parent_id"].as_str();
                top_level
                    || span["span_id"].as_str() == Some(trace_id)
                    || (!orphan && (parent.is_none() || parent == Some(trace_id)))
            }
            Self::SpanTree | Self::Simple | Self::Steps => top_level,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/// `list` agrees with the ground truth: trace ids, span counts, statuses, durations, tokens.
fn check_list(folder: &str) {
    let shape = Shape::of(folder);
    let truth = truth(folder);
    let details = truth_details(folder);
    let traces = list_json(folder);
    let listed = by_trace_id(folder, &traces);

    // The jsonl format carries the same objects, one per line.
    let jsonl = list_jsonl(folder);
    let lines: Vec<Value> = jsonl
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| parse_json(line, &format!("{folder}: list --format jsonl line")))
        .collect();
    assert_eq!(lines, traces, "{folder}: list jsonl and json disagree");

    // Trace count and ids.
    let expected_traces = as_u64(&truth["traces"], &format!("ground truth {folder}.traces"));
    assert_eq!(
        traces.len() as u64,
        expected_traces,
        "{folder}: number of traces"
    );
    let expected_ids: BTreeSet<&str> = details
        .iter()
        .map(|d| as_str(&d["trace_id"], "ground truth trace_id"))
        .collect();
    let listed_ids: BTreeSet<&str> = listed.keys().map(String::as_str).collect();
    assert_eq!(listed_ids, expected_ids, "{folder}: trace ids");

    // Total span count (+1 synthesized root per trace where the format has no root of its own).
    let mut expected_total = as_u64(&truth["spans"], &format!("ground truth {folder}.spans"));
    if shape.synthesizes_root() {
        expected_total += expected_traces;
    }
    let total: u64 = listed
        .iter()
        .map(|(id, t)| as_u64(&t["spans"], &format!("{folder} {id}: spans")))
        .sum();
    assert_eq!(
        total, expected_total,
        "{folder}: total spans over all traces"
    );

    // Statuses: the request's outcome. The ground truth's `error_traces` are the traces with a
    // failed span; those whose request succeeded are recovered (status ok).
    let mut with_status: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut recovered = BTreeSet::new();
    for (id, trace) in &listed {
        let status = as_str(&trace["status"], &format!("{folder} {id}: status"));
        assert!(
            matches!(status, "ok" | "error" | "running"),
            "{folder} {id}: unknown status {status:?}"
        );
        with_status.entry(status).or_default().insert(id.clone());
        if trace["recovered"].as_bool() == Some(true) {
            assert_eq!(status, "ok", "{folder} {id}: a recovered request is ok");
            recovered.insert(id.clone());
        }
    }
    let truth_ids = |keep: &dyn Fn(&Value) -> bool| -> BTreeSet<String> {
        details
            .iter()
            .filter(|d| keep(d))
            .map(|d| as_str(&d["trace_id"], "ground truth trace_id").to_string())
            .collect()
    };
    let failed = truth_ids(&|d| truth_outcome(d) == "error");
    assert_eq!(
        with_status.remove("error").unwrap_or_default(),
        failed,
        "{folder}: traces with status \"error\""
    );
    assert_eq!(
        recovered,
        truth_ids(&|d| truth_outcome(d) == "ok" && truth_has_failed_step(d)),
        "{folder}: recovered traces"
    );
    let with_failed_span: BTreeSet<String> = failed.union(&recovered).cloned().collect();
    assert!(
        truth_id_set(folder, "error_traces").is_subset(&with_failed_span),
        "{folder}: every trace with a failed span is failed or recovered"
    );
    assert_eq!(
        with_status.remove("running").unwrap_or_default(),
        truth_id_set(folder, "running_traces"),
        "{folder}: traces with status \"running\""
    );

    // Per-trace facts.
    for detail in details {
        let id = as_str(&detail["trace_id"], "ground truth trace_id");
        let trace = listed[id];

        if let Some(expected) = shape.expected_spans(folder, detail) {
            let spans = as_u64(&trace["spans"], &format!("{folder} {id}: spans"));
            assert_eq!(spans, expected, "{folder} {id}: span count");
        }

        let truth_duration = &detail[shape.duration_key()];
        if !truth_duration.is_null() {
            let expected = as_f64(
                truth_duration,
                &format!("ground truth {folder} {id} duration"),
            );
            let duration = as_f64(
                &trace["duration_ms"],
                &format!("{folder} {id}: duration_ms"),
            );
            assert!(
                (duration - expected).abs() <= DURATION_TOLERANCE_MS,
                "{folder} {id}: duration_ms {duration} but ground truth says {expected}"
            );
        }

        assert_eq!(
            tokens(&trace["tokens"], &format!("{folder} {id}: tokens")),
            tokens(
                &detail["tokens"],
                &format!("ground truth {folder} {id} tokens")
            ),
            "{folder} {id}: tokens (prompt, completion, total)"
        );
    }
}

/// `show` of every trace names the slowest non-root span the ground truth names, and its span
/// list is consistent with `list`.
fn check_show(folder: &str) {
    let shape = Shape::of(folder);
    let traces = list_json(folder);
    let listed = by_trace_id(folder, &traces);

    for detail in truth_details(folder) {
        let id = as_str(&detail["trace_id"], "ground truth trace_id");
        let trace = show_json(folder, id);
        assert_eq!(
            as_str(&trace["trace_id"], &format!("{folder} {id}: show trace_id")),
            id,
            "{folder}: show {id} returned another trace"
        );
        let spans = trace["spans"]
            .as_array()
            .unwrap_or_else(|| panic!("{folder} {id}: show has no spans array"));

        let listed_spans = as_u64(&listed[id]["spans"], &format!("{folder} {id}: spans"));
        assert_eq!(
            spans.len() as u64,
            listed_spans,
            "{folder} {id}: show vs list span count"
        );

        let first = spans
            .first()
            .unwrap_or_else(|| panic!("{folder} {id}: show lists no spans"));
        assert_eq!(
            first["depth"].as_u64(),
            Some(0),
            "{folder} {id}: first waterfall span depth"
        );
        if shape == Shape::EventStream {
            assert_eq!(
                first["span_id"].as_str(),
                Some(id),
                "{folder} {id}: synthesized root span_id must be the trace id"
            );
        }

        if let Some(expected) = detail.get("orphan_spans") {
            let expected = as_u64(
                expected,
                &format!("ground truth {folder} {id} orphan_spans"),
            );
            let orphans = spans
                .iter()
                .filter(|s| s["orphan"] == Value::Bool(true))
                .count();
            assert_eq!(orphans as u64, expected, "{folder} {id}: orphan spans");
        }

        let Some(key) = shape.slowest_key() else {
            continue;
        };
        let expected = as_str(
            &detail[key]["name"],
            &format!("ground truth {folder} {id} {key}.name"),
        );
        let mut slowest: Option<(&str, f64)> = None;
        for span in spans.iter().filter(|s| !shape.is_truth_root(s, id)) {
            let name = as_str(&span["name"], &format!("{folder} {id}: span name"));
            let duration = as_f64(
                &span["duration_ms"],
                &format!("{folder} {id} {name}: duration"),
            );
            if slowest.is_none_or(|(_, best)| duration > best) {
                slowest = Some((name, duration));
            }
        }
        let (name, duration) =
            slowest.unwrap_or_else(|| panic!("{folder} {id}: show has no non-root span"));
        assert_eq!(
            name, expected,
            "{folder} {id}: slowest non-root span (binary's took {duration} ms)"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// One module per fixture folder
// ---------------------------------------------------------------------------------------------

macro_rules! fixture_tests {
    ($($module:ident => $folder:literal),* $(,)?) => {
        $(
            mod $module {
                #[test]
                fn list_matches_ground_truth() {
                    super::check_list($folder);
                }

                #[test]
                fn show_matches_ground_truth() {
                    super::check_show($folder);
                }
            }
        )*
    };
}

fixture_tests! {
    otlp_protobuf => "otlp-protobuf",
    otlp_protobuf_gzip => "otlp-protobuf-gzip",
    otlp_protobuf_litellm => "otlp-protobuf-litellm",
    otlp_json => "otlp-json",
    otlp_json_converted => "otlp-json-converted",
    otlp_jsonl => "otlp-jsonl",
    mlflow => "mlflow",
    mlflow_otlp => "mlflow-otlp",
    dspy_callback_jsonl => "dspy-callback-jsonl",
    simple_jsonl => "simple-jsonl",
    steps_jsonl => "steps-jsonl",
    event_stream_jsonl => "event-stream-jsonl",
}

// ---------------------------------------------------------------------------------------------
// Cross-format checks
// ---------------------------------------------------------------------------------------------

/// The same OTLP export in five encodings lists byte-for-byte the same.
#[test]
fn otlp_encodings_list_identically() {
    let [reference_folder, others @ ..] = OTLP_ENCODINGS;
    let reference = list_jsonl(reference_folder);
    assert_eq!(
        reference.lines().count(),
        15,
        "{reference_folder}: jsonl lines"
    );
    for folder in others {
        assert_eq!(
            list_jsonl(folder),
            reference,
            "{folder}: list --format jsonl differs from {reference_folder}"
        );
    }
}

/// MLflow's own JSON files and its OTLP export describe the same traces; the JSON ids are
/// `tr-` + the OTLP hex ids.
#[test]
fn mlflow_json_ids_are_tr_prefixed_otlp_ids() {
    let json = list_json("mlflow");
    let otlp = list_json("mlflow-otlp");
    assert_eq!(
        json.len(),
        otlp.len(),
        "mlflow vs mlflow-otlp: number of traces"
    );

    let json_ids: BTreeSet<String> = by_trace_id("mlflow", &json).into_keys().collect();
    let otlp_ids: BTreeSet<String> = by_trace_id("mlflow-otlp", &otlp)
        .into_keys()
        .map(|hex| format!("tr-{hex}"))
        .collect();
    assert_eq!(
        json_ids, otlp_ids,
        "mlflow ids vs \"tr-\" + mlflow-otlp ids"
    );
}

/// The still-running event-stream trace keeps the span whose parent never arrived, flagged as
/// an orphan that still names its declared parent.
#[test]
fn event_stream_running_trace_keeps_its_orphan() {
    const FOLDER: &str = "event-stream-jsonl";
    const TRACE: &str = "trc_8bb9a8b1e991462084971ee9";
    const MISSING_PARENT: &str = "921f544274f745f3";

    let trace = show_json(FOLDER, TRACE);
    assert_eq!(
        trace["status"].as_str(),
        Some("running"),
        "{FOLDER} {TRACE}: status"
    );
    let spans = trace["spans"]
        .as_array()
        .unwrap_or_else(|| panic!("{FOLDER} {TRACE}: show has no spans array"));
    let orphans: Vec<(&str, &str)> = spans
        .iter()
        .filter(|s| s["orphan"] == Value::Bool(true))
        .map(|s| {
            (
                as_str(&s["name"], "span name"),
                as_str(&s["parent_id"], "orphan parent_id"),
            )
        })
        .collect();
    assert_eq!(
        orphans,
        vec![("Predict", MISSING_PARENT)],
        "{FOLDER} {TRACE}: orphans"
    );
}
