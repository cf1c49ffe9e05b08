//! The headless command-line contract, as a script author relies on it: run the real
//! `spanscope` binary and check what lands on stdout and stderr and which exit code it ends with.
//!
//! Counts, durations and tokens per fixture are `tests/ground_truth.rs`'s job; this file covers
//! the interface around them: stdin, output formats and their keys, the filter language, exit
//! codes, error messages, rejected input, mixed and directory sources, `show`, `stats`, a closed
//! pipe, `--help` and the human table (pinned with an insta snapshot in `tests/snapshots/`).
//!
//! Every run gets `NO_COLOR=1` and `TZ=UTC`, so local-time output is reproducible.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use pretty_assertions::assert_eq;
use serde_json::Value;
use tempfile::NamedTempFile;

// ---------------------------------------------------------------------------------------------
// Fixture facts
// ---------------------------------------------------------------------------------------------

/// The 15 traces of `otlp-jsonl`, in start order.
const OTLP_IDS: [&str; 15] = [
    "119b1a4fd642bf7207e7abc5e1d65538",
    "20bb1a0e083b33b850d1465ee8fb6ac9",
    "2fd8c45141d63187e117f59317e71c8d",
    "6097b69a35275b696e0889b3c72c75bc",
    "423c3874e36efb15b358744b00af9623",
    "d0d1529eb42f25c566a113ec7efaf897",
    "dcb889da56f1601464d9cfdfece069ea",
    "248970958536d903affdab456360214a",
    "6bb6116227adbb52a04f4b5e9ee7124b",
    "607215bf1b32752529df5216c22804a3",
    "26f36c3a1e73e79239e58ebae9818144",
    "25fd3d4852c1f63262a35ac88658a426",
    "831a01118f3186de0876202c539639f3",
    "1d369ab48c3b112d07a957bcf93308eb",
    "4e39e9799309a0bf46c52407741d0786",
];
const MULTIHOP: &str = "2fd8c45141d63187e117f59317e71c8d";
const REACT_AGENT: &str = "6097b69a35275b696e0889b3c72c75bc";
/// Failed: the LM call's error reached the request.
const SUMMARIZE_ERROR: &str = "423c3874e36efb15b358744b00af9623";
/// Recovered: its weather tool timed out, the agent answered anyway.
const REACT_TOOL_ERROR: &str = "d0d1529eb42f25c566a113ec7efaf897";
const LITELLM_PREDICT: &str = "7c1960a378e1fc2eb388de6893d872da";
const LITELLM_MULTIHOP: &str = "61b68a4be98d1c6c8e84d6430568f670";

/// Keys of a `list --format json|jsonl` object, in order.
const LIST_KEYS: [&str; 15] = [
    "trace_id",
    "name",
    "start",
    "duration_ms",
    "status",
    "recovered",
    "spans",
    "error_spans",
    "llm_calls",
    "tokens",
    "model",
    "cost",
    "unpriced_calls",
    "score",
    "score_label",
];
const LIST_CSV_HEADER: &str = "trace_id,name,start,duration_ms,status,spans,error_spans,llm_calls,\
                               prompt_tokens,completion_tokens,total_tokens,model,recovered,\
                               cost,unpriced_calls,score,score_label";
/// Keys of a `stats --format json` group, in order.
const STATS_KEYS: [&str; 14] = [
    "name",
    "kind",
    "count",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "max_ms",
    "mean_pct",
    "errors",
    "error_rate",
    "tokens",
    "cost",
    "unpriced_calls",
    "mean_score",
];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The binary, with a reproducible environment (no colour, local time = UTC).
fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_spanscope"));
    cmd.env("NO_COLOR", "1").env("TZ", "UTC");
    cmd
}

/// Runs `cmd` with `args`, feeding `stdin` (or nothing: stdin is closed) and capturing the rest.
fn run_cmd(mut cmd: Command, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = cmd
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start spanscope {args:?}: {e}"));
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let bytes = stdin.unwrap_or_default().to_vec();
    // A thread, so a child that writes before it has read everything cannot deadlock us.
    let writer = std::thread::spawn(move || pipe.write_all(&bytes));
    let output = child.wait_with_output().expect("spanscope runs to its end");
    // The child may stop reading early (e.g. on a usage error): a broken pipe is fine here.
    let _ = writer.join().expect("the stdin writer does not panic");
    output
}

/// Runs the binary with `args` and optional `stdin` bytes.
fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    run_cmd(bin(), args, stdin)
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// Asserts the run exited 0 with nothing on stderr; returns stdout.
fn ok(o: &Output) -> String {
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "expected exit 0 and a silent stderr, got {}\n--- stderr ---\n{}",
        o.status,
        stderr(o)
    );
    stdout(o)
}

/// Runs the binary without stdin; asserts a clean exit 0; returns stdout.
fn run_ok(args: &[&str]) -> String {
    ok(&run(args, None))
}

/// Absolute path of `tests/fixtures/<path>`, as a string ready to be an argument.
fn fixture(path: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", path]
        .iter()
        .collect();
    p.to_str().expect("fixture path is UTF-8").to_string()
}

fn read_fixture(path: &str) -> Vec<u8> {
    std::fs::read(fixture(path)).expect("fixture is readable")
}

/// A temporary `.jsonl` file holding `contents`.
fn temp_jsonl(contents: &[u8]) -> NamedTempFile {
    let mut f = tempfile::Builder::new()
        .suffix(".jsonl")
        .tempfile()
        .expect("temp file");
    f.write_all(contents).expect("write temp file");
    f.flush().expect("flush temp file");
    f
}

fn path_of(f: &NamedTempFile) -> &str {
    f.path().to_str().expect("temp path is UTF-8")
}

fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("not JSON ({e}):\n{json}"))
}

/// `trace_id`s of a `list --format json` array, in output order.
fn ids(json: &str) -> Vec<String> {
    parse(json)
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|t| {
            t["trace_id"]
                .as_str()
                .expect("trace_id is a string")
                .to_string()
        })
        .collect()
}

/// `spanscope list <source> --format json <extra...>`, as trace ids in output order.
fn list_ids(source: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["list", source, "--format", "json"];
    args.extend_from_slice(extra);
    ids(&run_ok(&args))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

/// The keys of one JSON object in document order, duplicates kept (a `Value` would sort them
/// and silently drop duplicates).
struct Keys(Vec<String>);

impl<'de> serde::Deserialize<'de> for Keys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Keys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = m.next_key::<String>()? {
                    m.next_value::<serde::de::IgnoredAny>()?;
                    keys.push(k);
                }
                Ok(Keys(keys))
            }
        }
        d.deserialize_map(V)
    }
}

/// Keys of a JSON object, in document order.
fn object_keys(json: &str) -> Vec<String> {
    serde_json::from_str::<Keys>(json).expect("a JSON object").0
}

/// Keys of each object of a JSON array, in document order.
fn array_keys(json: &str) -> Vec<Vec<String>> {
    serde_json::from_str::<Vec<Keys>>(json)
        .expect("a JSON array of objects")
        .into_iter()
        .map(|k| k.0)
        .collect()
}

fn durations(json: &str) -> Vec<f64> {
    parse(json)
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|t| t["duration_ms"].as_f64().expect("duration_ms is a number"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1. stdin
// ---------------------------------------------------------------------------------------------

#[test]
fn stdin_dash_gives_the_same_list_as_the_file() {
    let path = fixture("otlp-jsonl/otlp.jsonl");
    let from_file = run_ok(&["list", &path, "--format", "jsonl"]);
    let piped = run(
        &["list", "-", "--format", "jsonl"],
        Some(&read_fixture("otlp-jsonl/otlp.jsonl")),
    );
    assert_eq!(ok(&piped), from_file);
    assert_eq!(from_file.lines().count(), 15);
}

#[test]
fn stdin_dash_reads_a_gzip_protobuf_body() {
    let piped = run(
        &["list", "-", "--format", "jsonl"],
        Some(&read_fixture("otlp-protobuf-gzip/001.bin.gz")),
    );
    let from_file = run_ok(&[
        "list",
        &fixture("otlp-protobuf-gzip/001.bin.gz"),
        "--format",
        "jsonl",
    ]);
    assert_eq!(ok(&piped), from_file);
    assert!(!from_file.is_empty());
}

#[test]
fn no_subcommand_means_list() {
    let src = fixture("otlp-jsonl");
    assert_eq!(
        run_ok(&[&src, "--format", "jsonl"]),
        run_ok(&["list", &src, "--format", "jsonl"])
    );
}

// ---------------------------------------------------------------------------------------------
// 2. list output formats
// ---------------------------------------------------------------------------------------------

#[test]
fn list_jsonl_objects_have_the_documented_keys_in_order() {
    let out = run_ok(&["list", &fixture("otlp-jsonl"), "--format", "jsonl"]);
    assert_eq!(out.lines().count(), 15);
    for line in out.lines() {
        assert_eq!(object_keys(line), strs(&LIST_KEYS), "{line}");
    }
}

#[test]
fn list_start_is_rfc3339_utc_with_z() {
    for folder in ["otlp-jsonl", "steps-jsonl", "mlflow", "event-stream-jsonl"] {
        let out = run_ok(&["list", &fixture(folder), "--format", "jsonl"]);
        for line in out.lines() {
            let start = parse(line)["start"].as_str().unwrap().to_string();
            assert!(
                start.ends_with('Z'),
                "{folder}: start {start:?} does not end in Z"
            );
            let t = chrono::DateTime::parse_from_rfc3339(&start)
                .unwrap_or_else(|e| panic!("{folder}: start {start:?} is not RFC 3339: {e}"));
            assert_eq!(t.offset().local_minus_utc(), 0, "{folder}: {start}");
        }
    }
}

#[test]
fn list_json_is_an_array_of_the_jsonl_objects() {
    let src = fixture("otlp-jsonl");
    let json = run_ok(&["list", &src, "--format", "json"]);
    let jsonl = run_ok(&["list", &src, "--format", "jsonl"]);
    let from_lines: Vec<Value> = jsonl.lines().map(parse).collect();
    assert_eq!(parse(&json), Value::Array(from_lines));
    for keys in array_keys(&json) {
        assert_eq!(keys, strs(&LIST_KEYS));
    }
}

#[test]
fn list_tokens_object_and_model() {
    let out = run_ok(&[
        "list",
        &fixture("otlp-protobuf-litellm"),
        "--format",
        "json",
    ]);
    let traces = parse(&out);
    let t = traces
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["trace_id"] == LITELLM_PREDICT)
        .unwrap();
    assert_eq!(
        t["tokens"],
        serde_json::json!({"prompt": 148, "completion": 12, "total": 160})
    );
    assert_eq!(t["model"], "openai/gpt-4o-mini");
}

/// The LM call that failed before the provider answered reported no usage: its trace is
/// unpriced (never $0), and `show` says why in the words that cover both reasons.
#[test]
fn show_says_a_call_without_usage_is_unpriced() {
    let out = run_ok(&[
        "show",
        "c23a483abe6ae827b",
        &fixture("otlp-protobuf-litellm"),
    ]);
    let cost = out.lines().find(|l| l.starts_with("cost")).unwrap();
    assert_eq!(
        cost,
        "cost     unpriced (1 LM call(s) without usage or a price)"
    );
    assert!(out.lines().any(|l| l == "tokens   —"), "{out}");
}

#[test]
fn list_csv_has_the_header_and_one_row_per_trace() {
    let out = run_ok(&["list", &fixture("otlp-jsonl"), "--format", "csv"]);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some(LIST_CSV_HEADER));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 15);
    assert!(rows.iter().all(|r| r.len() == 17), "{rows:?}");
    let csv_ids: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(csv_ids, OTLP_IDS);
}

#[test]
fn list_csv_splits_tokens_into_three_columns() {
    let out = run_ok(&["list", &fixture("otlp-protobuf-litellm"), "--format", "csv"]);
    let row = out
        .lines()
        .find(|l| l.starts_with(LITELLM_PREDICT))
        .unwrap();
    let cols: Vec<&str> = row.split(',').collect();
    assert_eq!(
        cols[8..],
        // gpt-4o-mini at $0.15 in and $0.6 out per million tokens
        [
            "148",
            "12",
            "160",
            "openai/gpt-4o-mini",
            "false",
            "0.0000294",
            "0",
            "",
            ""
        ]
    );
}

#[test]
fn list_csv_quotes_commas_quotes_and_newlines() {
    let line = br#"{"trace_id": "x1", "timestamp": "2026-11-21T05:37:00Z", "steps": [{"step": "a,\"b\"\nc", "latency_ms": 5}], "total_latency_ms": 5}
"#;
    let f = temp_jsonl(line);
    let out = run_ok(&["list", path_of(&f), "--format", "csv"]);
    assert_eq!(
        out,
        format!(
            "{LIST_CSV_HEADER}\nx1,\"a,\"\"b\"\"\nc\",2026-11-21T05:37:00Z,5,ok,2,0,0,,,,,false,,0,,\n"
        )
    );
}

#[test]
fn list_markdown_is_a_github_table_with_pipes_escaped() {
    let line = br#"{"trace_id": "x1", "timestamp": "2026-11-21T05:37:00Z", "pipeline": "a|b_c", "total_latency_ms": 5}
"#;
    let f = temp_jsonl(line);
    let out = run_ok(&["list", path_of(&f), "--format", "markdown", "--utc"]);
    assert_eq!(
        out,
        "| start | trace | name | status | duration | spans | LLM | tokens | model |\n\
         |---|---|---|---|---:|---:|---:|---:|---|\n\
         | 2026-11-21 05:37:00.000Z | x1 | a\\|b\\_c | ✓ ok | 5.0ms | 1 | 0 | — | — |\n"
    );
    // one row per trace, every row as many cells as the header, whole names and models
    let out = run_ok(&[
        "list",
        &fixture("otlp-protobuf-litellm"),
        "--format",
        "markdown",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2 + 3);
    let cells = |l: &str| l.replace("\\|", "").matches('|').count();
    assert!(lines.iter().all(|l| cells(l) == 10), "{out}");
    assert!(out.contains("SummarizeWithSources.forward") && out.contains("openai/gpt-4o-mini"));
}

#[test]
fn naive_timestamps_are_local_time_unless_naive_utc() {
    let src = fixture("steps-jsonl");
    let start = |extra: &[&str]| {
        let mut cmd = bin();
        cmd.env("TZ", "JST-9");
        let mut args = vec!["list", &src, "--format", "json", "--limit", "1"];
        args.extend_from_slice(extra);
        parse(&ok(&run_cmd(cmd, &args, None)))[0]["start"].clone()
    };
    // "2026-11-21T05:37:00.047593" written in UTC+9.
    assert_eq!(start(&[]), "2026-11-20T20:37:00.047593Z");
    assert_eq!(start(&["--naive-utc"]), "2026-11-21T05:37:00.047593Z");
}

#[test]
fn timestamps_with_an_offset_ignore_the_local_time_zone() {
    let mut cmd = bin();
    cmd.env("TZ", "JST-9");
    let out = ok(&run_cmd(
        cmd,
        &[
            "list",
            &fixture("otlp-jsonl"),
            "--format",
            "json",
            "-f",
            "id:2fd8",
        ],
        None,
    ));
    assert_eq!(parse(&out)[0]["start"], "2026-11-21T05:37:00.228515837Z");
}

// ---------------------------------------------------------------------------------------------
// 3. filter, sort, limit
// ---------------------------------------------------------------------------------------------

#[test]
fn filter_status_error_gives_the_failed_request_and_recovered_the_other() {
    let src = fixture("otlp-jsonl");
    assert_eq!(
        list_ids(&src, &["--filter", "status:error"]),
        [SUMMARIZE_ERROR]
    );
    assert_eq!(
        list_ids(&src, &["--filter", "status:recovered"]),
        [REACT_TOOL_ERROR]
    );
    // with a failed step: what the explorer's `e` keeps
    assert_eq!(
        list_ids(&src, &["--filter", "status:error|recovered"]),
        [SUMMARIZE_ERROR, REACT_TOOL_ERROR]
    );
    let o = run(&["list", &src, "--filter", "span.status:recovered"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is a request's status, not a span's"),
        "{}",
        stderr(&o)
    );
}

/// The same two DSPy requests as each producer recorded them: (fixture, the request that
/// recovered from its timed-out weather tool, the request whose LM call failed).
const SAME_RUN_BY_PRODUCER: [(&str, &str, &str); 6] = [
    ("dspy-callback-jsonl", "b125e33e", "580f9b24"),
    ("otlp-protobuf", "d0d1529e", "423c3874"),
    ("mlflow", "tr-362f85e9", "tr-f63da2dd"),
    ("mlflow-otlp", "362f85e9", "f63da2dd"),
    ("event-stream-jsonl", "trc_b97d8fc8", "trc_918ac551"),
    ("steps-jsonl", "b2285680", "f97cb7db"),
];

#[test]
fn a_recovered_request_looks_the_same_from_every_producer() {
    for (folder, recovered, failed) in SAME_RUN_BY_PRODUCER {
        let src = fixture(folder);
        let one = |id: &str| {
            let out = run_ok(&["list", &src, "--format", "json", "-f", &format!("id:{id}")]);
            parse(&out)[0].clone()
        };
        let r = one(recovered);
        assert_eq!(
            (&r["status"], &r["recovered"], &r["error_spans"]),
            (&"ok".into(), &true.into(), &1.into()),
            "{folder}: {r}"
        );
        let f = one(failed);
        assert_eq!(
            (&f["status"], &f["recovered"]),
            (&"error".into(), &false.into()),
            "{folder}: {f}"
        );
        let table = run_ok(&["list", &src, "-f", &format!("id:{recovered}")]);
        assert!(table.contains(" ! recovered (1✗) "), "{folder}:\n{table}");

        let show = run_ok(&["show", recovered, &src, "--utc"]);
        assert!(
            show.contains("\nstatus   ! recovered: ok after 1 failed span\n"),
            "{folder}:\n{show}"
        );
        // what it recovered from: the weather tool's timeout, named by its step
        let failed_line = show.lines().find(|l| l.starts_with("failed   ")).unwrap();
        assert!(
            failed_line.contains("get_weather") && failed_line.contains("Paris"),
            "{folder}: {failed_line}"
        );
        assert!(!show.contains("\nerror    "), "{folder}:\n{show}");
        let json = parse(&run_ok(&["show", recovered, &src, "--format", "json"]));
        assert_eq!(
            (&json["status"], &json["recovered"]),
            (&"ok".into(), &true.into()),
            "{folder}"
        );

        let show = run_ok(&["show", failed, &src, "--utc"]);
        assert!(show.contains("\nstatus   ✗ error"), "{folder}:\n{show}");
        assert!(show.contains("\nerror    "), "{folder}:\n{show}");
    }
}

#[test]
fn filter_dur_sorted_by_dur_is_descending_and_above_the_bound() {
    let out = run_ok(&[
        "list",
        &fixture("otlp-jsonl"),
        "--format",
        "json",
        "--filter",
        "dur>500ms",
        "--sort",
        "dur",
    ]);
    assert_eq!(ids(&out), [REACT_AGENT, MULTIHOP]);
    let d = durations(&out);
    assert!(d.iter().all(|&ms| ms > 500.0), "{d:?}");
    assert!(d.windows(2).all(|w| w[0] >= w[1]), "{d:?}");
}

#[test]
fn default_sort_is_by_start_and_limit_keeps_the_first() {
    let src = fixture("otlp-jsonl");
    assert_eq!(list_ids(&src, &[]), OTLP_IDS);
    assert_eq!(list_ids(&src, &["--limit", "2"]), OTLP_IDS[..2]);
    assert_eq!(list_ids(&src, &["-n", "0"]), Vec::<String>::new());
}

#[test]
fn sort_dur_reverse_is_ascending() {
    let out = run_ok(&[
        "list",
        &fixture("otlp-jsonl"),
        "--format",
        "json",
        "--sort",
        "dur",
        "--reverse",
    ]);
    let d = durations(&out);
    assert_eq!(d.len(), 15);
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    assert_eq!(ids(&out).last().unwrap(), REACT_AGENT);
}

#[test]
fn sort_tokens_puts_the_most_tokens_first() {
    let got = list_ids(&fixture("otlp-protobuf-litellm"), &["--sort", "tokens"]);
    assert_eq!(got[..2], [LITELLM_MULTIHOP, LITELLM_PREDICT]);
}

#[test]
fn filters_select_exact_trace_sets() {
    let no_failed_step: Vec<&str> = OTLP_IDS
        .into_iter()
        .filter(|id| ![SUMMARIZE_ERROR, REACT_TOOL_ERROR].contains(id))
        .collect();
    let predict_ok: Vec<&str> = [0, 6, 7, 8, 9, 10, 11, 12, 13, 14]
        .iter()
        .map(|&i| OTLP_IDS[i])
        .collect();
    let cases: &[(&str, &[&str])] = &[
        (
            "span.name:get_weather span.status:error",
            &[REACT_TOOL_ERROR],
        ),
        ("kind:retriever", &[MULTIHOP, SUMMARIZE_ERROR]),
        ("kind:tool", &[REACT_AGENT, REACT_TOOL_ERROR]),
        ("attr.fixture.program=react_agent", &[REACT_AGENT]),
        ("multihop", &[MULTIHOP]),
        ("get_weather", &[REACT_TOOL_ERROR]),
        ("-status:ok", &[SUMMARIZE_ERROR]),
        ("status:error|running", &[SUMMARIZE_ERROR]),
        ("status:ok -status:recovered", &no_failed_step),
        ("name:Predict -status:error", &predict_ok),
        ("spans>10", &[MULTIHOP, REACT_AGENT, REACT_TOOL_ERROR]),
        ("id:2fd", &[MULTIHOP]),
        // a step over half the request (never the root): ChainOfThought in SummarizeWithSources
        ("span.pct>50 kind:retriever", &[SUMMARIZE_ERROR]),
        ("kind:lm", &OTLP_IDS),
        ("name:nothing-is-called-this", &[]),
    ];
    let src = fixture("otlp-jsonl");
    for (query, want) in cases {
        // `--filter=` so that a query starting with `-` is not taken for an option.
        let got = list_ids(&src, &[&format!("--filter={query}")]);
        assert_eq!(sorted(got), sorted(strs(want)), "query {query:?}");
    }
}

#[test]
fn span_pct_never_counts_the_spans_that_stand_for_the_request() {
    let demo = format!("{}/assets/demo.jsonl", env!("CARGO_MANIFEST_DIR"));
    let names = |src: &str, q: &str| -> Vec<String> {
        let out = run_ok(&["list", src, "--format", "json", &format!("--filter={q}")]);
        parse(&out)
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };
    // a root is 100 % of its trace: were it counted, every trace would match
    for src in [
        demo.clone(),
        fixture("dspy-callback-jsonl"),
        fixture("otlp-jsonl"),
        fixture("mlflow"),
        // a synthesized request root, and the program's own top-level span under it
        fixture("event-stream-jsonl"),
    ] {
        assert_eq!(names(&src, "span.pct>99.9"), Vec::<String>::new(), "{src}");
    }
    // request lines: the synthesized root does not count; a request's only step is a step
    assert_eq!(
        names(&fixture("steps-jsonl"), "span.pct>99.9"),
        ["Predict", "ChainOfThought", "Predict"]
    );
    // the slow retrieval of the demo's HandbookQA is 92 % of it; no step of the multi-hop RAG
    // or the ReAct agent is
    let over_90 = names(&demo, "span.pct>90");
    assert!(over_90.contains(&"HandbookQA".to_string()), "{over_90:?}");
    assert!(
        !over_90.iter().any(|n| n == "MultiHopRAG" || n == "ReAct"),
        "{over_90:?}"
    );
    assert_eq!(
        names(&demo, "span.pct>90 span.kind:retriever"),
        ["HandbookQA"]
    );
}

#[test]
fn attr_filters_on_every_key_the_attributes_tab_shows() {
    let demo = format!("{}/assets/demo.jsonl", env!("CARGO_MANIFEST_DIR"));
    let count = |src: &str, q: &str| list_ids(src, &[&format!("--filter={q}")]).len();
    // the DSPy callback: the LM's model and the instance's class, as the tab names them
    let with_lm = count(&demo, "kind:llm");
    assert_eq!(with_lm, 13);
    assert_eq!(count(&demo, "attr.lm.model:gpt"), with_lm);
    assert_eq!(count(&demo, "attr.instance.class=DummyLM"), with_lm);
    assert_eq!(count(&demo, "span.attr.kind=tool span.attr.tool.name"), 2);
    let callback = fixture("dspy-callback-jsonl");
    // a long value (the tool's description) is matched on its first 128 bytes
    assert_eq!(
        list_ids(&callback, &["--filter", "attr.tool.description:weather"]),
        ["b125e33ef6884f4ab3467f89d62e4520"]
    );
    // every trace but the one whose LM call failed before reporting usage
    assert_eq!(count(&callback, "attr.lm.usage.total_tokens"), 8);
    // OTLP: the span's resource and instrumentation scope
    assert_eq!(
        count(
            &fixture("otlp-jsonl"),
            "attr.resource.service.name=dspy-acceptance-fixtures attr.otel.scope.name:dspy"
        ),
        15
    );
    // MLflow: the trace's tags and metadata on its root
    let mlflow = fixture("mlflow");
    assert_eq!(count(&mlflow, "attr.tag.mlflow.traceName=ReAct.forward"), 2);
    assert_eq!(
        count(&mlflow, "attr.trace.mlflow.trace_schema.version=3"),
        15
    );
    // the event stream: its metadata and the agent of its trace_start
    let events = fixture("event-stream-jsonl");
    assert_eq!(count(&events, "attr.agent_id=react-agent"), 2);
    assert_eq!(count(&events, "attr.program=ReAct attr.thread"), 3);
}

#[test]
fn filter_tokens_with_suffix() {
    let src = fixture("otlp-protobuf-litellm");
    assert_eq!(list_ids(&src, &["-f", "tokens>500"]), [LITELLM_MULTIHOP]);
    assert_eq!(
        list_ids(&src, &["-f", "tokens>0.1k"]),
        [LITELLM_PREDICT, LITELLM_MULTIHOP]
    );
}

#[test]
fn fail_empty_exits_1_when_nothing_matches() {
    let src = fixture("otlp-jsonl");
    let none = [
        "list",
        &src,
        "--format",
        "json",
        "-f",
        "name:nothing-is-called-this",
    ];
    assert_eq!(run_ok(&none), "[]\n");
    let o = run(&[&none[..], &["--fail-empty"]].concat(), None);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "spanscope: no trace matched\n");
    let o = run(&["list", &src, "--fail-empty", "-f", "multihop"], None);
    assert_eq!(o.status.code(), Some(0));
}

// ---------------------------------------------------------------------------------------------
// 4. malformed queries
// ---------------------------------------------------------------------------------------------

/// Runs `list` on otlp-jsonl with the malformed `query` and checks the error report: exit 2,
/// nothing on stdout, and on stderr exactly three lines: `spanscope: invalid filter…`, the
/// query, and `caret_line` (the carets under the bad part, then the reason).
///
/// The first line's wording after "invalid filter" is not pinned; the caret line is.
fn assert_bad_query(query: &str, caret_line: &str) {
    let o = run(&["list", &fixture("otlp-jsonl"), "--filter", query], None);
    assert_eq!(o.status.code(), Some(2), "query {query:?}");
    assert_eq!(stdout(&o), "", "query {query:?}");
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "query {query:?}:\n{err}");
    assert!(lines[0].starts_with("spanscope: invalid filter"), "{err}");
    assert_eq!(lines[1..], [query, caret_line], "query {query:?}");
    assert!(err.ends_with('\n'));
}

const BAD_UNIT: &str = r#"unknown unit "x" in duration (use ns, us, ms, s, m, h)"#;

#[test]
fn bad_duration_unit_points_a_caret_at_the_unit() {
    assert_bad_query("dur>2x", &format!("     ^ {BAD_UNIT}"));
    // The caret follows the bad part wherever it is in the query.
    assert_bad_query(
        "status:error dur>2x",
        &format!("{}^ {BAD_UNIT}", " ".repeat(18)),
    );
}

#[test]
fn unknown_field_is_underlined_whole() {
    assert_bad_query(
        "foo:bar",
        "^^^ unknown field \"foo\" (known: dur, status, name, model, tokens, cost, score, spans, \
         kind, id, session, text, attr.KEY, span.FIELD)",
    );
}

#[test]
fn missing_number_points_past_the_operator() {
    assert_bad_query("dur>", r#"    ^ expected a number after "dur>""#);
}

#[test]
fn bad_token_suffix_points_at_the_suffix() {
    assert_bad_query(
        "tokens>1q",
        &format!(
            "{}^ unknown suffix \"q\" in token count (use k or m)",
            " ".repeat(8)
        ),
    );
}

#[test]
fn caret_counts_a_non_ascii_letter_as_one_column() {
    // "naïve dur>2" is 11 characters (12 bytes).
    assert_bad_query("naïve dur>2x", &format!("{}^ {BAD_UNIT}", " ".repeat(11)));
}

#[test]
fn caret_lines_up_after_double_width_characters() {
    // "name:" (5) + "日本" (4 columns) + " dur>2" (6) = 15 columns before the `x`.
    assert_bad_query(
        "name:日本 dur>2x",
        &format!("{}^ {BAD_UNIT}", " ".repeat(15)),
    );
}

#[test]
fn stats_rejects_a_bad_filter_too() {
    let o = run(&["stats", &fixture("otlp-jsonl"), "-f", "dur>2x"], None);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(err.starts_with("spanscope: invalid filter"), "{err}");
    assert!(
        err.ends_with(&format!("\ndur>2x\n     ^ {BAD_UNIT}\n")),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. sources that cannot be read
// ---------------------------------------------------------------------------------------------

#[test]
fn unreadable_path_exits_3_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.jsonl");
    let missing = missing.to_str().unwrap();
    let o = run(&["list", missing], None);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!("spanscope: cannot read {missing}")),
        "{err}"
    );
}

#[test]
fn unreadable_path_after_a_good_one_still_exits_3() {
    let o = run(
        &[
            "list",
            &fixture("otlp-jsonl"),
            "/nonexistent/spanscope.jsonl",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("/nonexistent/spanscope.jsonl"));
}

#[test]
fn no_source_exits_2() {
    for args in [&["list"][..], &["stats"], &["show", "2fd8"]] {
        let o = run(args, None);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(stdout(&o), "");
        assert_eq!(
            stderr(&o),
            "spanscope: no source given: name a trace file, a directory, or - for stdin\n",
            "{args:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 6. rejected input
// ---------------------------------------------------------------------------------------------

/// The 7 steps-jsonl lines interleaved with 4 bad ones (lines 2, 4, 7 and 11), the last one
/// truncated without a newline.
fn file_with_bad_lines() -> NamedTempFile {
    let good = String::from_utf8(read_fixture("steps-jsonl/requests_with_steps.jsonl"))
        .expect("fixture is UTF-8");
    let good: Vec<&str> = good.lines().collect();
    assert_eq!(good.len(), 7);
    let mut wrong_type = parse(good[0]);
    wrong_type["trace_id"] = "wrong-type".into();
    wrong_type["total_latency_ms"] = "slow".into();
    let wrong_type = wrong_type.to_string();
    let lines = [
        good[0],
        r#"{"trace_id": "broken", "#,
        good[1],
        r#"{"hello": 1}"#,
        good[2],
        good[3],
        &wrong_type,
        good[4],
        good[5],
        good[6],
    ];
    let mut text = lines.join("\n");
    text.push('\n');
    text.push_str(&good[0][..60]);
    temp_jsonl(text.as_bytes())
}

#[test]
fn bad_lines_are_reported_and_the_rest_kept() {
    let f = file_with_bad_lines();
    let path = path_of(&f);
    let o = run(&["list", path, "--format", "json"], None);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        sorted(ids(&stdout(&o))),
        sorted(list_ids(&fixture("steps-jsonl"), &[]))
    );
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 5, "{err}");
    assert_eq!(
        lines[0],
        format!("spanscope: {path}: 4 of 11 record(s) rejected")
    );
    assert!(lines[1].starts_with("  line 2: invalid JSON"), "{err}");
    assert!(
        lines[2].starts_with("  line 4: unknown record shape (keys: hello)"),
        "{err}"
    );
    assert!(lines[3].starts_with("  line 7: "), "{err}");
    assert!(
        lines[3].contains("wrong type for `total_latency_ms`"),
        "{err}"
    );
    assert!(lines[3].contains(r#"string "slow""#), "{err}");
    assert!(
        lines[4].starts_with("  line 11: truncated last line (no newline at end)"),
        "{err}"
    );
}

#[test]
fn strict_makes_a_rejected_line_fatal() {
    let f = file_with_bad_lines();
    let o = run(&["list", path_of(&f), "--strict"], None);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).ends_with("spanscope: 4 record(s) rejected (--strict)\n"),
        "{}",
        stderr(&o)
    );
    // Fatal even when asked to be quiet.
    let o = run(&["list", path_of(&f), "--strict", "--quiet"], None);
    assert_eq!(o.status.code(), Some(3));
}

#[test]
fn quiet_silences_the_rejection_report() {
    let f = file_with_bad_lines();
    for flag in ["--quiet", "-q"] {
        let out = run_ok(&["list", path_of(&f), flag, "--format", "jsonl"]);
        assert_eq!(out.lines().count(), 7);
    }
}

#[test]
fn rejection_report_from_stdin_is_labelled_stdin() {
    let f = file_with_bad_lines();
    let bytes = std::fs::read(f.path()).unwrap();
    let o = run(&["list", "-", "--format", "jsonl"], Some(&bytes));
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o).lines().count(), 7);
    assert!(
        stderr(&o).starts_with("spanscope: <stdin>: 4 of 11 record(s) rejected\n"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn long_rejection_lists_are_cut_after_five() {
    let f = temp_jsonl("{\"hello\": 1}\n".repeat(8).as_bytes());
    let o = run(&["list", path_of(&f)], None);
    assert_eq!(o.status.code(), Some(0));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 7, "{err}");
    assert_eq!(
        lines[0],
        format!("spanscope: {}: 8 of 8 record(s) rejected", path_of(&f))
    );
    assert!(lines[5].starts_with("  line 5: "), "{err}");
    assert_eq!(lines[6], "  … and 3 more");
}

// ---------------------------------------------------------------------------------------------
// 7–8. mixed formats and directories
// ---------------------------------------------------------------------------------------------

const MIXED: [&str; 4] = [
    "steps-jsonl/requests_with_steps.jsonl",
    "event-stream-jsonl/events.jsonl",
    "dspy-callback-jsonl/events.jsonl",
    "otlp-jsonl/otlp.jsonl",
];

#[test]
fn one_file_can_mix_line_formats() {
    let bytes: Vec<u8> = MIXED.iter().flat_map(|p| read_fixture(p)).collect();
    let f = temp_jsonl(&bytes);
    let got = list_ids(path_of(&f), &[]);
    assert_eq!(got.len(), 7 + 8 + 9 + 15);
    let want: Vec<String> = MIXED
        .iter()
        .flat_map(|p| list_ids(&fixture(p), &[]))
        .collect();
    assert_eq!(sorted(got), sorted(want));
}

#[test]
fn mixed_lines_in_reverse_order_give_the_same_traces() {
    let bytes: Vec<u8> = MIXED.iter().flat_map(|p| read_fixture(p)).collect();
    let forward = temp_jsonl(&bytes);
    let text = String::from_utf8(bytes).unwrap();
    let mut reversed: Vec<&str> = text.lines().collect();
    reversed.reverse();
    let backward = temp_jsonl((reversed.join("\n") + "\n").as_bytes());
    let rows = |f: &NamedTempFile| {
        let out = run_ok(&["list", path_of(f), "--format", "jsonl", "--sort", "name"]);
        let mut rows: Vec<String> = out.lines().map(str::to_string).collect();
        rows.sort();
        rows
    };
    assert_eq!(rows(&backward), rows(&forward));
}

#[test]
fn directory_source_reads_bodies_and_skips_capture_metadata() {
    // run_ok also asserts that nothing (no rejected *.meta.json) was reported on stderr.
    let got = list_ids(&fixture("otlp-json"), &[]);
    assert_eq!(got, OTLP_IDS);
}

#[test]
fn capture_metadata_named_explicitly_is_rejected() {
    let o = run(
        &[
            "list",
            &fixture("otlp-json/001.meta.json"),
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "[]\n");
    assert!(
        stderr(&o).contains("1 of 1 record(s) rejected"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_same_traces_from_several_sources_are_merged() {
    let once = run_ok(&["list", &fixture("otlp-jsonl"), "--format", "jsonl"]);
    let thrice = run_ok(&[
        "list",
        &fixture("otlp-jsonl"),
        &fixture("otlp-jsonl"),
        &fixture("otlp-protobuf"),
        "--format",
        "jsonl",
    ]);
    assert_eq!(thrice, once);
}

// ---------------------------------------------------------------------------------------------
// 9. show
// ---------------------------------------------------------------------------------------------

#[test]
fn show_accepts_a_unique_id_prefix() {
    let out = run_ok(&["show", "2fd8c451", &fixture("otlp-jsonl")]);
    assert!(
        out.starts_with(&format!(
            "trace    {MULTIHOP}\nname     MultiHopRAG.forward\n"
        )),
        "{out}"
    );
}

#[test]
fn show_with_an_ambiguous_prefix_exits_1_and_lists_candidates() {
    let o = run(&["show", "2", &fixture("otlp-jsonl")], None);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(
        err.starts_with(r#"spanscope: 5 traces start with "2": "#),
        "{err}"
    );
    for id in OTLP_IDS.iter().filter(|id| id.starts_with('2')) {
        assert!(err.contains(id), "{id} missing from: {err}");
    }
}

#[test]
fn show_with_an_unknown_id_exits_1() {
    let o = run(&["show", "ffff", &fixture("otlp-jsonl")], None);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        "spanscope: no trace with id \"ffff\" (of 15 traces)\n"
    );
}

#[test]
fn show_json_lists_spans_in_waterfall_order() {
    let out = run_ok(&[
        "show",
        "2fd8c451",
        &fixture("otlp-jsonl"),
        "--format",
        "json",
    ]);
    let doc = parse(&out);
    assert_eq!(doc["trace_id"], MULTIHOP);
    assert_eq!(doc["sequential_steps"], false);
    let spans = doc["spans"].as_array().expect("spans is the span array");
    assert_eq!(spans.len(), 16);
    let root = &spans[0];
    assert_eq!(root["depth"], 0);
    assert_eq!(root["parent_id"], Value::Null);
    assert_eq!(root["pct_of_trace"], 100.0);
    assert_eq!(root["name"], "MultiHopRAG.forward");
    // Depth-first: every span comes after its parent, one level deeper, and only the root
    // sits at depth 0; siblings are in start order.
    let mut seen: Vec<&Value> = Vec::new();
    for s in &spans[1..] {
        let parent = seen
            .iter()
            .chain(std::iter::once(&root))
            .find(|p| p["span_id"] == s["parent_id"])
            .unwrap_or_else(|| panic!("parent of {s} not listed before it"));
        assert_eq!(
            s["depth"].as_u64(),
            parent["depth"].as_u64().map(|d| d + 1),
            "{s}"
        );
        seen.push(s);
    }
    let top: Vec<&str> = spans
        .iter()
        .filter(|s| s["depth"] == 1)
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        top,
        [
            "Predict.forward",
            "Retrieve.forward",
            "Predict.forward",
            "Retrieve.forward",
            "ChainOfThought.forward"
        ]
    );
}

#[test]
fn show_json_span_objects_have_the_documented_keys() {
    let out = run_ok(&[
        "show",
        "d0d1529e",
        &fixture("otlp-jsonl"),
        "--format",
        "json",
    ]);
    let doc = parse(&out);
    let spans = doc["spans"].as_array().unwrap();
    for s in spans {
        let keys = object_keys(&s.to_string());
        // `Value` re-serialises keys sorted, so compare as sets here.
        let mut want = strs(&[
            "span_id",
            "parent_id",
            "name",
            "kind",
            "depth",
            "start_offset_ms",
            "duration_ms",
            "self_ms",
            "pct_of_trace",
            "status",
            "error",
            "model",
            "tokens",
            "cost",
            "orphan",
            "critical",
        ]);
        want.sort();
        assert_eq!(sorted(keys), want);
    }
    let tool = spans
        .iter()
        .find(|s| s["name"] == "get_weather.__call__")
        .unwrap();
    assert_eq!(tool["kind"], "tool");
    assert_eq!(tool["status"], "error");
    assert!(
        tool["error"]
            .as_str()
            .unwrap()
            .starts_with("TimeoutError: "),
        "{tool}"
    );
}

/// `critical` marks the chain of work the request waited for: on the demo's slow request, the
/// retrieval that took most of its time and the LM call after it.
#[test]
fn show_json_marks_the_critical_path() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo.jsonl");
    let doc = parse(&run_ok(&["show", "28240bb5", demo, "--format", "json"]));
    let spans = doc["spans"].as_array().unwrap();
    let critical = |prefix: &str| {
        spans
            .iter()
            .filter(|s| s["name"].as_str().unwrap().starts_with(prefix))
            .map(|s| s["critical"].as_bool().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(critical("Retrieve"), [true], "{spans:#?}");
    assert!(critical("DummyLM").contains(&true), "{spans:#?}");
    assert_eq!(spans[0]["critical"], true, "the root");
}

/// `show` text says where the request's time went (the critical path's steps, the span with
/// the largest self time), marks those spans in the table (┃, ▲), and puts a ruler of round
/// times over the timeline.
#[test]
fn show_text_marks_the_critical_path_and_the_largest_self_time() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo.jsonl");
    let out = run_ok(&["show", "28240bb5", demo]);
    assert!(
        out.contains(
            "\ncritical ┃ Retrieve 1.80s 92% → DummyLM 151ms 8%\ntop self ▲ Retrieve 1.80s\n"
        ),
        "{out}"
    );
    let lines: Vec<&str> = out.lines().collect();
    let head = lines
        .iter()
        .position(|l| l.trim_start().starts_with("SPAN"))
        .expect("the table's header");
    assert!(
        lines[head].ends_with("SELF  0         500ms     1s        1.5s"),
        "{out}"
    );
    let rows = &lines[head + 1..];
    assert_eq!(rows.len(), 7, "{out}");
    // every step of this request ran one after another: all of them are on the path
    assert!(rows.iter().all(|r| r.starts_with('┃')), "{out}");
    let hot: Vec<&&str> = rows.iter().filter(|r| r.starts_with("┃▲")).collect();
    assert_eq!(hot.len(), 1, "{out}");
    assert!(hot[0].contains("Retrieve"), "{out}");
    // the Markdown for an LLM says it too
    let md = run_ok(&["show", "28240bb5", demo, "--format", "markdown"]);
    assert!(
        md.contains("\n- **critical path**: Retrieve 1.80s 92% → DummyLM 151ms 8%\n"),
        "{md}"
    );
    // Evaluate runs its examples side by side: the calls the request did not wait for are off
    // the path, and the largest self time can be one of them
    let eval = run_ok(&["show", "d7823153", demo]);
    assert!(
        eval.contains("\ncritical ┃ Predict 7.1ms 3% → DummyLM 115ms 55% → DummyLM 85.1ms 40%\n"),
        "{eval}"
    );
    let rows: Vec<&str> = eval.lines().filter(|l| l.contains("DummyLM  ")).collect();
    assert_eq!(rows.len(), 4, "{eval}");
    assert_eq!(
        rows.iter().filter(|r| r.starts_with('┃')).count(),
        2,
        "{eval}"
    );
    assert!(
        rows[2].starts_with(" ▲") && rows[2].contains("141ms"),
        "{eval}"
    );
}

/// `show` keeps the producer's key order: the DSPy callback's ChainOfThought answers with its
/// `reasoning`, then `verdict`, then `confidence`, and the request's outputs read that way.
#[test]
fn show_keeps_the_producers_key_order() {
    let out = run_ok(&[
        "show",
        "baa14800",
        &fixture("dspy-callback-jsonl"),
        "--format",
        "markdown",
    ]);
    let outputs = &out[out
        .find("## Request outputs")
        .expect("the request's outputs")..];
    let at = |k: &str| outputs.find(&format!("\"{k}\": ")).unwrap_or(usize::MAX);
    assert!(
        at("reasoning") < at("verdict") && at("verdict") < at("confidence"),
        "{outputs}"
    );
}

#[test]
fn show_json_has_no_duplicate_keys() {
    let out = run_ok(&[
        "show",
        "2fd8c451",
        &fixture("otlp-jsonl"),
        "--format",
        "json",
    ]);
    let keys = object_keys(&out);
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(keys.len(), unique.len(), "duplicate keys in {keys:?}");
}

#[test]
fn show_steps_are_laid_out_one_after_another() {
    let src = fixture("steps-jsonl");
    let doc = parse(&run_ok(&["show", "73aed523", &src, "--format", "json"]));
    assert_eq!(doc["sequential_steps"], true);
    let text = run_ok(&["show", "73aed523", &src]);
    assert!(
        text.contains(
            "note     steps carry only durations: they are laid out one after another from the \
             request start\n"
        ),
        "{text}"
    );
    let otlp = run_ok(&["show", "2fd8c451", &fixture("otlp-jsonl")]);
    assert!(!otlp.contains("one after another"), "{otlp}");
}

// ---------------------------------------------------------------------------------------------
// 10. show --format markdown
// ---------------------------------------------------------------------------------------------

#[test]
fn markdown_has_prompts_responses_and_the_error() {
    let md = run_ok(&[
        "show",
        "d0d1529e",
        &fixture("otlp-jsonl"),
        "--format",
        "markdown",
    ]);
    assert!(
        md.starts_with(&format!("# Trace `{REACT_TOOL_ERROR}`: ReAct.forward\n")),
        "{md}"
    );
    for needle in [
        "\n## LM call 1: ",
        "\n**system**\n",
        "\n**user**\n",
        "[[ ## question ## ]]",
        "What's the weather in Paris right now?",
        "\n**response**\n",
        "\n## Error in get\\_weather.\\_\\_call\\_\\_\n",
        "TimeoutError: weather service did not answer within 150 ms",
    ] {
        assert!(md.contains(needle), "{needle:?} missing from:\n{md}");
    }
    assert_eq!(md.matches("\n## LM call ").count(), 3, "{md}");
}

#[test]
fn markdown_counts_nested_llm_spans_as_one_call() {
    let md = run_ok(&[
        "show",
        "7c1960a3",
        &fixture("otlp-protobuf-litellm"),
        "--format",
        "markdown",
    ]);
    let calls: Vec<&str> = md.lines().filter(|l| l.starts_with("## LM call")).collect();
    assert_eq!(calls.len(), 1, "{md}");
    assert!(
        calls[0].contains("model openai/gpt-4o-mini"),
        "{}",
        calls[0]
    );
    assert!(calls[0].contains("tokens 148 in / 12 out"), "{}", calls[0]);
}

// ---------------------------------------------------------------------------------------------
// 11. stats
// ---------------------------------------------------------------------------------------------

fn stats_json(args: &[&str]) -> Vec<Value> {
    let out = run_ok(&[&["stats", "--format", "json"][..], args].concat());
    for keys in array_keys(&out) {
        assert_eq!(keys, strs(&STATS_KEYS));
    }
    parse(&out).as_array().expect("a JSON array").clone()
}

fn group<'a>(groups: &'a [Value], name: &str) -> &'a Value {
    groups
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no group {name:?} in {groups:?}"))
}

#[test]
fn stats_by_name_has_percentiles_errors_and_kind() {
    let groups = stats_json(&[&fixture("otlp-jsonl")]);
    let lm = group(&groups, "DummyLM.__call__");
    assert_eq!(lm["count"], 23);
    assert_eq!(lm["kind"], "llm");
    assert_eq!(lm["errors"], 1);
    let p = |k: &str| lm[k].as_f64().unwrap();
    assert!(p("p50_ms") <= p("p95_ms") && p("p95_ms") <= p("p99_ms") && p("p99_ms") <= p("max_ms"));
    // Default order: slowest p95 first.
    let p95: Vec<f64> = groups
        .iter()
        .map(|g| g["p95_ms"].as_f64().unwrap())
        .collect();
    assert!(p95.windows(2).all(|w| w[0] >= w[1]), "{p95:?}");
}

#[test]
fn stats_by_kind_and_by_model() {
    let by_kind = stats_json(&[&fixture("otlp-jsonl"), "--by", "kind"]);
    let tool = group(&by_kind, "tool");
    assert_eq!(
        (tool["count"].as_u64(), tool["errors"].as_u64()),
        (Some(6), Some(1))
    );
    let by_model = stats_json(&[&fixture("mlflow"), "--by", "model"]);
    let dummy = group(&by_model, "dummy");
    assert_eq!(dummy["kind"], "llm");
    assert_eq!(dummy["count"], 23);
}

#[test]
fn stats_filter_restricts_to_matching_traces() {
    let groups = stats_json(&[&fixture("otlp-jsonl"), "--filter", "status:error|recovered"]);
    assert_eq!(group(&groups, "DummyLM.__call__")["count"], 4);
    assert_eq!(group(&groups, "get_weather.__call__")["errors"], 1);
    assert!(
        groups.iter().all(|g| g["name"] != "MultiHopRAG.forward"),
        "{groups:?}"
    );
}

#[test]
fn stats_csv_header() {
    let out = run_ok(&["stats", &fixture("otlp-jsonl"), "--format", "csv"]);
    assert_eq!(
        out.lines().next(),
        Some(
            "name,kind,count,p50_ms,p95_ms,p99_ms,max_ms,mean_pct,errors,error_rate,\
             prompt_tokens,completion_tokens,total_tokens,cost,unpriced_calls,mean_score"
        )
    );
    assert_eq!(out.lines().count(), 1 + 14);
}

// ---------------------------------------------------------------------------------------------
// 12. a closed pipe
// ---------------------------------------------------------------------------------------------

#[test]
fn closed_stdout_ends_quietly() {
    let mut lines = String::new();
    for i in 0..20_000 {
        lines.push_str(&format!(
            "{{\"trace_id\": \"t{i:06}\", \"timestamp\": \"2026-11-21T05:37:00Z\", \
             \"inputs\": {{}}, \"outputs\": {{}}, \"total_latency_ms\": {i}.5}}\n"
        ));
    }
    let f = temp_jsonl(lines.as_bytes());
    for format in ["jsonl", "table"] {
        let mut child = bin()
            .args(["list", path_of(&f), "--format", format])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        assert!(!first.is_empty());
        drop(reader); // closes our end: the rest of the ~MBs of output hits a broken pipe
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{format}: {err}");
        assert_eq!(o.status.code(), Some(0), "{format}: {err}");
    }
}

// ---------------------------------------------------------------------------------------------
// 13. --help
// ---------------------------------------------------------------------------------------------

#[test]
fn help_names_the_commands_and_the_filter_language() {
    let help = run_ok(&["--help"]);
    for needle in [
        "list",
        "show",
        "stats",
        "Filter language:",
        "dur>2s",
        "status:error",
        "attr.KEY=VALUE",
        "-TERM negates",
        "cat traces.jsonl | spanscope list - --format jsonl",
    ] {
        assert!(
            help.contains(needle),
            "{needle:?} missing from --help:\n{help}"
        );
    }
}

#[test]
fn dspy_writer_prints_the_callback_byte_for_byte() {
    let asset = std::fs::read(
        [env!("CARGO_MANIFEST_DIR"), "assets", "spanscope_dspy.py"]
            .iter()
            .collect::<PathBuf>(),
    )
    .expect("the asset is readable");
    let out = run(&["dspy-writer"], None);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        stderr(&out)
    );
    assert_eq!(out.stdout, asset, "the printed writer is the asset");
    // and it is Python that compiles, where there is a Python to ask
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("spanscope_dspy.py");
    std::fs::write(&script, &out.stdout).expect("write the script");
    match Command::new("python3")
        .args(["-m", "py_compile"])
        .arg(&script)
        .output()
    {
        Ok(py) => assert!(
            py.status.success(),
            "py_compile: {}",
            String::from_utf8_lossy(&py.stderr)
        ),
        Err(e) => eprintln!("python3 is not here ({e}): the script was not compiled"),
    }
}

// ---------------------------------------------------------------------------------------------
// 14. the human table
// ---------------------------------------------------------------------------------------------

#[test]
fn list_table_utc() {
    let out = run_ok(&["list", &fixture("otlp-jsonl"), "--utc"]);
    insta::assert_snapshot!("list_table_utc_otlp_jsonl", out);
}

#[test]
fn list_table_keeps_one_line_per_trace_whatever_the_name() {
    let line = br#"{"trace_id": "x1", "timestamp": "2026-11-21T05:37:00Z", "steps": [{"step": "a\nb\u001b[31mc", "latency_ms": 5}], "total_latency_ms": 5}
"#;
    let f = temp_jsonl(line);
    let out = run_ok(&["list", path_of(&f)]);
    assert_eq!(out.lines().count(), 2, "header + one row:\n{out}");
    assert!(!out.contains('\u{1b}'), "raw ESC in:\n{out:?}");
}

// ---------------------------------------------------------------------------------------------
// list --follow
// ---------------------------------------------------------------------------------------------

#[test]
fn follow_prints_each_finished_trace_once_as_stdin_grows() {
    let log = read_fixture("otlp-jsonl/otlp.jsonl");
    let o = run(
        &[
            "list",
            "--follow",
            "-",
            "--format",
            "jsonl",
            "--filter",
            "status:error|recovered",
        ],
        Some(&log),
    );
    let out = ok(&o);
    let got: Vec<String> = out
        .lines()
        .map(|l| parse(l)["trace_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        sorted(got),
        sorted(strs(&[SUMMARIZE_ERROR, REACT_TOOL_ERROR]))
    );
}

#[test]
fn follow_stops_after_the_limit_and_refuses_a_json_array() {
    // a followed file never ends: -n ends the command
    let out = run_ok(&[
        "list",
        "--follow",
        &fixture("otlp-jsonl/otlp.jsonl"),
        "-n",
        "3",
    ]);
    assert_eq!(out.lines().count(), 4, "{out}");
    let o = run(&["list", "--follow", "-", "--format", "json"], Some(b""));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--format jsonl"), "{}", stderr(&o));
}

#[test]
fn follow_keeps_within_its_bound_and_says_what_it_could_not_print() {
    let line = |i: u32| {
        format!(
            r#"{{"trace_id": "t{i}", "timestamp": "2026-11-21T05:37:0{i}Z", "steps": [{{"step": "a", "latency_ms": 5}}], "total_latency_ms": 5}}"#
        )
    };
    let log = format!("{}\n{}\n{}\n", line(1), line(2), line(3));
    let args = ["list", "--follow", "-", "--format", "jsonl"];
    let o = run(&args, Some(log.as_bytes()));
    assert_eq!(ok(&o).lines().count(), 3);
    assert!(!stderr(&o).contains("evicted"), "{}", stderr(&o));
    // one batch of three traces in an index that keeps one: two are gone before printing
    let o = run(
        &[&args[..], &["--max-traces", "1"]].concat(),
        Some(log.as_bytes()),
    );
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("\"t3\""), "{out}");
    assert!(
        stderr(&o).contains("2 trace(s) were evicted before they could be printed"),
        "{}",
        stderr(&o)
    );
    // a single read keeps everything: a bound there is a mistake, said as one
    let f = temp_jsonl(log.as_bytes());
    let o = run(&["list", path_of(&f), "--max-memory", "1MiB"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--follow"), "{}", stderr(&o));
}

// ---------------------------------------------------------------------------------------------
// export
// ---------------------------------------------------------------------------------------------

/// Every fixture folder: one of each format.
const FIXTURE_DIRS: [&str; 12] = [
    "dspy-callback-jsonl",
    "dspy-inspect-history",
    "event-stream-jsonl",
    "mlflow",
    "mlflow-otlp",
    "otlp-json",
    "otlp-jsonl",
    "otlp-protobuf",
    "otlp-protobuf-gzip",
    "otlp-protobuf-litellm",
    "simple-jsonl",
    "steps-jsonl",
];

#[test]
fn export_then_import_gives_the_same_list_show_and_stats_for_every_format() {
    for dir in FIXTURE_DIRS {
        let src = fixture(dir);
        let exported = run_ok(&["export", &src]);
        assert!(
            exported
                .lines()
                .all(|l| parse(l)["schema"] == "spanscope-trace/1"),
            "{dir}"
        );
        let again = temp_jsonl(exported.as_bytes());
        let back = path_of(&again);
        for args in [
            vec!["list", "--format", "jsonl"],
            vec!["list", "--utc"],
            vec!["stats", "--format", "json"],
            vec!["stats", "--by", "model"],
        ] {
            let with = |s: &str| {
                let mut a = args.clone();
                a.push(s);
                run_ok(&a)
            };
            assert_eq!(with(&src), with(back), "{dir}: {args:?}");
        }
        // every trace's waterfall, errors and prompts read back the same
        let ids: Vec<String> = run_ok(&["list", &src, "--format", "jsonl"])
            .lines()
            .map(|l| parse(l)["trace_id"].as_str().unwrap().to_string())
            .collect();
        for id in ids.iter().take(4) {
            for format in ["json", "markdown"] {
                let a = run_ok(&["show", id, &src, "--format", format, "--utc"]);
                let b = run_ok(&["show", id, back, "--format", format, "--utc"]);
                assert_eq!(a, b, "{dir} {id} {format}");
            }
        }
    }
}

#[test]
fn export_writes_the_documented_line() {
    let out = run_ok(&[
        "export",
        &fixture("steps-jsonl"),
        "--filter",
        "name:get_weather",
    ]);
    insta::assert_snapshot!("export_steps_tool_error", out);
    let out = run_ok(&[
        "export",
        &fixture("otlp-protobuf-litellm"),
        "--filter",
        &format!("id:{LITELLM_PREDICT}"),
    ]);
    insta::assert_snapshot!("export_litellm_predict", out);
}

#[test]
fn export_otlp_writes_otlp_json_that_reads_back_the_same() {
    let out = run_ok(&[
        "export",
        &fixture("steps-jsonl"),
        "--filter",
        "name:get_weather",
        "--format",
        "otlp",
    ]);
    insta::assert_snapshot!("export_otlp_steps_tool_error", out);
    for dir in ["otlp-jsonl", "otlp-protobuf-litellm", "dspy-callback-jsonl"] {
        let src = fixture(dir);
        let again = temp_jsonl(run_ok(&["export", &src, "--format", "otlp"]).as_bytes());
        assert_eq!(
            run_ok(&["list", &src, "--format", "jsonl"]),
            run_ok(&["list", path_of(&again), "--format", "jsonl"]),
            "{dir}"
        );
    }
}

#[test]
fn export_filters_and_writes_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("failed.jsonl");
    let o = run(
        &[
            "export",
            &fixture("otlp-jsonl"),
            "-f",
            "status:error|recovered",
            "-o",
            path.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("wrote 2 trace(s) to"), "{}", stderr(&o));
    let text = std::fs::read_to_string(&path).unwrap();
    let got: Vec<String> = text
        .lines()
        .map(|l| parse(l)["trace_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        sorted(got),
        sorted(strs(&[SUMMARIZE_ERROR, REACT_TOOL_ERROR]))
    );
    // a dataset row: the request's inputs at the top
    let first = parse(text.lines().next().unwrap());
    assert!(first["inputs"].is_object(), "{first}");
    assert_eq!(first["status"], "error");
    let second = parse(text.lines().nth(1).unwrap());
    assert_eq!(
        (&second["status"], &second["recovered"]),
        (&"ok".into(), &true.into())
    );
    // a request that recovered has no error of its own
    assert!(second["error"].is_null(), "{second}");
    // nothing half-written is left behind, and an unwritable path is an error
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    let o = run(
        &[
            "export",
            &fixture("otlp-jsonl"),
            "-o",
            "/nonexistent-dir/x.jsonl",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("cannot write /nonexistent-dir/x.jsonl"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn export_refuses_a_newer_schema_with_a_reason() {
    let line = run_ok(&["export", &fixture("simple-jsonl"), "-f", "status:error"]);
    let newer = line.replacen("spanscope-trace/1", "spanscope-trace/9", 1);
    let f = temp_jsonl(newer.as_bytes());
    let o = run(&["list", path_of(&f)], None);
    assert!(
        stderr(&o).contains("schema \"spanscope-trace/9\" is not one this version reads"),
        "{}",
        stderr(&o)
    );
}

// ---------------------------------------------------------------------------------------------
// diff
// ---------------------------------------------------------------------------------------------

#[test]
fn diff_aligns_the_two_react_runs() {
    let src = fixture("otlp-jsonl");
    let text = run_ok(&["diff", &REACT_AGENT[..8], &REACT_TOOL_ERROR[..8], &src]);
    insta::assert_snapshot!("diff_react_text", text);
    let json = run_ok(&[
        "diff",
        REACT_AGENT,
        REACT_TOOL_ERROR,
        &src,
        "--format",
        "json",
    ]);
    insta::assert_snapshot!("diff_react_json", json);
    let v = parse(&json);
    let steps = v["steps"].as_array().unwrap();
    let count = |c: &str| steps.iter().filter(|s| s["change"] == c).count();
    // the agent ran search, search, calculate; the failing run one get_weather
    assert_eq!((count("only_a"), count("only_b")), (11, 1));
    let only_b: Vec<&str> = steps
        .iter()
        .filter(|s| s["change"] == "only_b")
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(only_b, ["get_weather.__call__"]);
    assert_eq!(v["lm_calls_compared"], 3);
    let first = &v["lm_calls_differing"][0];
    assert!(
        first["prompt"]
            .as_str()
            .unwrap()
            .contains("+What's the weather in Paris right now?"),
        "{first}"
    );
}

#[test]
fn diff_of_a_trace_with_itself_is_all_the_same() {
    let src = fixture("otlp-jsonl");
    let v = parse(&run_ok(&[
        "diff", MULTIHOP, MULTIHOP, &src, "--format", "json",
    ]));
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 16);
    assert!(
        steps
            .iter()
            .all(|s| s["change"] == "same" && s["delta_ms"] == 0.0)
    );
    assert_eq!(v["lm_calls_differing"].as_array().unwrap().len(), 0);
    assert_eq!(v["lm_calls_compared"], 3);
}

#[test]
fn diff_across_formats_and_unknown_ids() {
    // the same request logged by two producers: the OTLP run and its MLflow trace
    let o = run(&["diff", MULTIHOP, "nope", &fixture("otlp-jsonl")], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no trace with id \"nope\""),
        "{}",
        stderr(&o)
    );
    let text = run_ok(&["diff", "73aed523", "78c83bb4", &fixture("steps-jsonl")]);
    assert!(text.starts_with("A  73aed523-aace-4f3"), "{text}");
    assert!(text.contains("LM calls: 0 aligned"), "{text}");
}

#[test]
fn stats_group_splits_traces_by_a_metadata_value() {
    let out = run_ok(&[
        "stats",
        &fixture("otlp-jsonl"),
        "--group",
        "attr.fixture.program",
    ]);
    insta::assert_snapshot!("stats_group_fixture_program", out);
    // the same split from every format that carries the label
    for dir in ["otlp-protobuf", "otlp-protobuf-gzip"] {
        let v = parse(&run_ok(&[
            "stats",
            &fixture(dir),
            "--group",
            "fixture.program",
            "--format",
            "json",
        ]));
        let rows: Vec<(String, u64)> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["value"].as_str().unwrap_or("").to_string(),
                    g["traces"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(rows[0], ("evaluate".to_string(), 5), "{dir}");
        assert_eq!(rows[1], ("bootstrap_compile".to_string(), 3), "{dir}");
    }
    let csv = run_ok(&[
        "stats",
        &fixture("otlp-jsonl"),
        "--group",
        "status",
        "--format",
        "csv",
    ]);
    assert_eq!(
        csv.lines().next().unwrap(),
        "value,traces,errors,error_rate,p50_ms,p95_ms,max_ms,llm_calls,total_tokens,mean_tokens,\
         cost,unpriced_calls,mean_score,scored"
    );
    // a failed request is an error; one that recovered from a failed step is its own group
    assert!(csv.contains("\nerror,1,1,1,"), "{csv}");
    assert!(csv.contains("\nrecovered,1,0,0,"), "{csv}");
    assert!(csv.contains("\nok,13,0,0,"), "{csv}");
    let o = run(&["stats", &fixture("otlp-jsonl"), "--group", " "], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("group by what?"), "{}", stderr(&o));
}

/// The bundled optimizer demo: two runs (MIPROv2's trials score 67 and 100), the examples the
/// metric failed, and two conversations of three and two turns.
#[test]
fn the_optimizer_demo_has_runs_scores_and_conversations() {
    let demo = "assets/optimize.jsonl";
    let runs: serde_json::Value =
        serde_json::from_str(&run_ok(&["runs", demo, "--format", "json"])).unwrap();
    let runs = runs.as_array().unwrap();
    let optimizers: Vec<&str> = runs
        .iter()
        .map(|r| r["optimizer"].as_str().unwrap())
        .collect();
    assert_eq!(optimizers, ["BootstrapFewShot", "MIPROv2"]);
    let scores: Vec<f64> = runs[1]["trials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["score"].as_f64().unwrap())
        .collect();
    assert_eq!(scores, [66.67, 100.0, 66.67, 100.0]);
    assert_eq!(runs[1]["best_trial"], 2);
    let failed = run_ok(&["list", demo, "-f", "score<1", "--format", "jsonl"]);
    // two wrong answers in the first Evaluate, and two in each of MIPROv2's 67% trials
    assert_eq!(failed.lines().count(), 6, "{failed}");
    let sessions: serde_json::Value =
        serde_json::from_str(&run_ok(&["sessions", demo, "--format", "json"])).unwrap();
    let turns: Vec<u64> = sessions
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["turns"].as_u64().unwrap())
        .collect();
    assert_eq!(turns, [2, 3]);
}

#[test]
fn stats_sorted_by_score_puts_the_lowest_first_and_the_unscored_last() {
    let out = run_ok(&[
        "stats",
        "assets/optimize.jsonl",
        "--sort",
        "score",
        "--format",
        "json",
    ]);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let scores: Vec<Option<f64>> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["mean_score"].as_f64())
        .collect();
    let scored = scores.iter().take_while(|s| s.is_some()).count();
    assert!(scored > 0 && scored < scores.len(), "{scores:?}");
    assert!(scores[scored..].iter().all(Option::is_none), "{scores:?}");
    let values: Vec<f64> = scores.iter().flatten().copied().collect();
    assert!(values.is_sorted(), "{values:?}");
}
