//! The producers, for real: DSPy with spanscope's callback (`assets/spanscope_dspy.py`), and
//! the README's instrumentor examples (OpenInference's DSPyInstrumentor, MLflow's OTLP export)
//! sending to `spanscope --listen` in a pseudo-terminal.
//!
//! The Python packages come from `tests/python/requirements.txt`, installed by
//! `tests/python/venv.sh` into a virtualenv under `target/`, reused while the requirements stay
//! the same. When the package registry cannot be reached, these tests say so and pass: nothing
//! else in the suite needs the network.

#![allow(clippy::unwrap_used)]

mod common;

use common::venv::python;
use common::{Recording, Session, record_to};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn run_python(py: &Path, args: &[&str]) {
    let o = Command::new(py)
        .args(args)
        .current_dir(ROOT)
        .output()
        .unwrap_or_else(|e| panic!("{py:?} {args:?}: {e}"));
    assert!(
        o.status.success(),
        "{args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `spanscope ARGS` (headless), its stdout parsed as JSON.
fn spanscope_json(args: &[&str]) -> Value {
    let o = Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "spanscope {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("spanscope {args:?}: {e}"))
}

fn field<'a>(v: &'a Value, k: &str) -> &'a Value {
    v.get(k).unwrap_or_else(|| panic!("no {k} in {v}"))
}

#[test]
fn the_dspy_callback_writes_what_spanscope_reads() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("traces.jsonl");
    let path = out.to_str().unwrap();
    run_python(py, &["tests/python/callback_program.py", path]);

    // nothing rejected, and every trace of the suite
    let o = Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args(["list", path, "--strict", "--format", "json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let list: Value = serde_json::from_slice(&o.stdout).unwrap();
    let traces = list.as_array().unwrap();
    let names: Vec<&str> = traces
        .iter()
        .map(|t| field(t, "name").as_str().unwrap())
        .collect();
    assert_eq!(names, EXPECTED_NAMES, "{list:#}");
    for (t, &(spans, llm, tokens)) in traces.iter().zip(&EXPECTED_SHAPES) {
        let name = field(t, "name");
        assert_eq!(field(t, "spans").as_u64(), Some(spans), "spans of {name}");
        assert_eq!(
            field(t, "llm_calls").as_u64(),
            Some(llm),
            "LM calls of {name}"
        );
        let total = t["tokens"]["total"].as_u64();
        assert_eq!(total, tokens, "tokens of {name}");
        if let Some(total) = total {
            let (p, c) = (
                t["tokens"]["prompt"].as_u64(),
                t["tokens"]["completion"].as_u64(),
            );
            assert_eq!(Some(total), p.zip(c).map(|(p, c)| p + c), "{name}");
        }
        let model = (llm > 0).then_some("dummy-model");
        assert_eq!(field(t, "model").as_str(), model, "model of {name}");
    }
    let failed: Vec<&str> = traces
        .iter()
        .filter(|t| t["status"] == "error")
        .map(|t| field(t, "name").as_str().unwrap())
        .collect();
    assert_eq!(failed, ["SummarizeWithSources"]);

    // the Evaluate's end line names each example's trace and its score (one answer is wrong)
    let text = std::fs::read_to_string(&out).unwrap();
    let end: Value = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| l["event"] == "evaluate_end")
        .unwrap();
    let results = end["outputs"]["results"].as_array().unwrap();
    let ids = |from: usize| -> Vec<&str> {
        traces[from..from + 3]
            .iter()
            .map(|t| field(t, "trace_id").as_str().unwrap())
            .collect()
    };
    let mut linked: Vec<&str> = results
        .iter()
        .map(|r| r["root_call_id"].as_str().unwrap())
        .collect();
    linked.sort_unstable();
    let mut runs = ids(6);
    runs.sort_unstable();
    assert_eq!(linked, runs, "{end}");
    let wrong = results.iter().filter(|r| r["score"] == false).count();
    assert_eq!(
        (wrong, end["outputs"]["metric"].as_str()),
        (1, Some("exact_match")),
        "{end}"
    );

    // the multi-hop tree, in waterfall order, with its prompts and responses
    let rag = traces.iter().find(|t| t["name"] == "MultiHopRAG").unwrap();
    let id = field(rag, "trace_id").as_str().unwrap();
    let show = spanscope_json(&["show", id, path, "--format", "json"]);
    let tree: Vec<(u64, &str)> = field(&show, "spans")
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                field(s, "depth").as_u64().unwrap(),
                field(s, "name").as_str().unwrap(),
            )
        })
        .filter(|(_, n)| !n.starts_with("ChatAdapter"))
        .collect();
    assert_eq!(tree, EXPECTED_RAG_TREE, "{show:#}");
    let md = Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args(["show", id, path, "--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    for needle in ["Which", "reasoning", "dummy-model", "tokens"] {
        assert!(md.contains(needle), "{needle} missing from:\n{md}");
    }
}

/// CodeAct on DSPy's LocalInterpreter and code that calls a host tool: the interpreter's start,
/// the code it ran, the host tool calls and its shutdown are spans of the request, tool spans
/// where the model's code ran, with the error a failed tool call raised.
#[test]
fn the_dspy_writer_records_code_interpreters() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("traces.jsonl");
    let path = out.to_str().unwrap();
    run_python(py, &["tests/python/interpreter_program.py", path]);
    let list = spanscope_json(&["list", path, "--strict", "--format", "json"]);
    let traces = list.as_array().unwrap();
    let names: Vec<&str> = traces.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["CodeAct", "HostTool"], "{list:#}");
    let spans = |i: usize| -> Vec<(String, String, String)> {
        let id = field(&traces[i], "trace_id").as_str().unwrap();
        let show = spanscope_json(&["show", id, path, "--format", "json"]);
        field(&show, "spans")
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| !s["name"].as_str().unwrap().contains("Adapter"))
            .map(|s| {
                let text = |k: &str| s[k].as_str().unwrap_or_default().to_string();
                (text("name"), text("kind"), text("status"))
            })
            .collect()
    };
    let act: Vec<String> = spans(0)
        .into_iter()
        .filter(|(n, _, _)| n.starts_with("LocalInterpreter"))
        .map(|(n, k, _)| format!("{n} {k}"))
        .collect();
    assert_eq!(
        act,
        [
            "LocalInterpreter.execute tool",
            "LocalInterpreter.start other",
            "LocalInterpreter.execute tool",
            "LocalInterpreter.shutdown other",
        ],
        "the tool's definition, then the model's code"
    );
    let host = spans(1);
    let tools: Vec<(&str, &str)> = host
        .iter()
        .filter(|(n, _, _)| n == "Tool.lookup")
        .map(|(_, k, st)| (k.as_str(), st.as_str()))
        .collect();
    assert_eq!(tools, [("tool", "ok"), ("tool", "error")], "{host:?}");
    assert_eq!(
        traces[1]["status"], "ok",
        "recovered: the program caught it"
    );
    assert_eq!(
        traces[1]["error_spans"], 2,
        "the tool call and the code that made it"
    );
}

/// `dspy.inspect_history` of a Predict, a ChainOfThought, a two-turn conversation, an image,
/// three completions and a multi-line answer, written to a file and printed to a terminal (with
/// colour codes): each entry is a trace of one LM call, the same in both, kept once when both
/// are read.
#[test]
fn inspect_history_files_are_read_entry_by_entry() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (plain, coloured) = (
        dir.path().join("history.txt"),
        dir.path().join("terminal.txt"),
    );
    let (plain, coloured) = (plain.to_str().unwrap(), coloured.to_str().unwrap());
    run_python(py, &["tests/python/inspect_history.py", plain, coloured]);
    assert!(
        std::fs::read_to_string(coloured)
            .unwrap()
            .contains("\x1b[31mUser message:")
    );
    let list = |paths: &[&str]| {
        let mut args = vec!["list"];
        args.extend_from_slice(paths);
        args.extend(["--strict", "--format", "json"]);
        spanscope_json(&args).as_array().unwrap().clone()
    };
    let traces = list(&[plain]);
    let names: Vec<&str> = traces
        .iter()
        .map(|t| field(t, "name").as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "What is the capital of France?",
            "Water boils at 100 C at sea level.",
            "Which planet is closest to the Sun?",
            "And the next one?",
            "What does this image show?",
            "What colour is the sky?",
            "How do I make tea?",
        ]
    );
    assert!(
        traces
            .iter()
            .all(|t| t["llm_calls"] == 1 && t["status"] == "ok")
    );
    let ids = |ts: &[Value]| -> Vec<String> {
        ts.iter()
            .map(|t| field(t, "trace_id").as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&list(&[coloured])), ids(&traces));
    assert_eq!(ids(&list(&[plain, coloured])), ids(&traces));

    // the second turn, as the reader prints it: every message, the response
    let turn = ids(&traces)[3].clone();
    let o = Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args(["show", &turn, plain, "--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "Which planet is closest to the Sun?",
        "Mercury is the closest planet to the Sun.",
        "And the next one?",
        "Venus is second",
    ] {
        assert!(md.contains(needle), "{needle} missing from:\n{md}");
    }
}

#[test]
fn the_readme_three_lines_trace_a_dspy_program() {
    let Some(py) = python() else { return };
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let at = readme
        .find("```python\n")
        .expect("a python block in the README")
        + 10;
    let snippet = &readme[at..at + readme[at..].find("```").unwrap()];
    assert_eq!(snippet.lines().count(), 3, "{snippet}");
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("program.py");
    std::fs::write(
        &program,
        format!(
            "import sys\nsys.path.insert(0, {:?})\n{snippet}\
             dspy.configure(lm=dspy.utils.DummyLM([{{\"answer\": \"Paris\"}}]))\n\
             dspy.Predict(\"question -> answer\")(question=\"What is the capital of France?\")\n",
            format!("{ROOT}/assets")
        ),
    )
    .unwrap();
    let o = Command::new(py)
        .arg(&program)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let file = dir.path().join("traces.jsonl");
    let list = spanscope_json(&[
        "list",
        file.to_str().unwrap(),
        "--strict",
        "--format",
        "json",
    ]);
    let traces = list.as_array().unwrap();
    assert_eq!(traces.len(), 1, "{list:#}");
    assert_eq!(traces[0]["name"], "Predict");
    assert_eq!(traces[0]["llm_calls"], 1);
}

/// The listener's port, read from its source label in the status bar.
fn listening_port(s: &Session) -> u16 {
    let addr = s.receiver_addr();
    addr.rsplit(':').next().unwrap().parse().unwrap()
}

/// Run `example` against `spanscope --listen` and wait for its two traces on the screen.
fn example_reaches_the_listener(example: &str, names: [&str; 2]) {
    let Some(py) = python() else { return };
    let mut s = Session::start(&["--listen", "127.0.0.1:0"], 140, 40);
    let port = listening_port(&s);
    run_python(py, &[example, &format!("http://127.0.0.1:{port}")]);
    s.wait_for("Traces 2/2");
    for n in names {
        s.wait_for(n);
    }
    s.quit_cleanly();
    // the exit summary, once the terminal is back: every span accounted for
    s.wait_for("0 rejected");
}

#[test]
fn openinference_instrumentor_sends_to_the_listener() {
    example_reaches_the_listener(
        "tests/python/openinference_example.py",
        ["Predict.forward", "ChainOfThought.forward"],
    );
}

#[test]
fn mlflow_otlp_export_sends_to_the_listener() {
    example_reaches_the_listener(
        "tests/python/mlflow_example.py",
        ["Predict.forward", "ChainOfThought.forward"],
    );
}

/// A real DSPy run under OpenInference, exported by the real OpenTelemetry exporters over
/// OTLP/HTTP protobuf, gzip, OTLP/HTTP JSON and OTLP/gRPC to one `spanscope record`: each run's
/// two traces arrive exactly once (none missing, no duplicate, nothing rejected), alike.
#[test]
fn a_dspy_run_arrives_exactly_once_over_every_transport() {
    use std::io::Read as _;
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("session.jsonl");
    let Recording {
        mut child,
        mut err,
        http,
        grpc,
    } = record_to(&out);
    let transports = ["http-protobuf", "http-gzip", "http-json", "grpc"];
    for t in transports {
        let endpoint = if t == "grpc" { &grpc } else { &http };
        run_python(py, &["tests/python/transports_example.py", t, endpoint]);
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let mut summary = String::new();
    err.read_to_string(&mut summary).unwrap();
    let balance = summary
        .lines()
        .find(|l| l.contains("received ="))
        .unwrap_or_else(|| panic!("{summary}"));
    assert!(
        balance.contains("0 merged into earlier records + 0 duplicate + 0 evicted + 0 rejected"),
        "{summary}"
    );

    let list = spanscope_json(&[
        "list",
        out.to_str().unwrap(),
        "--strict",
        "--format",
        "json",
    ]);
    let traces = list.as_array().unwrap();
    let shape = |t: &Value| {
        (
            field(t, "name").as_str().unwrap().to_string(),
            field(t, "spans").as_u64().unwrap(),
            field(t, "llm_calls").as_u64().unwrap(),
        )
    };
    let runs: Vec<Vec<(String, u64, u64)>> = traces
        .chunks(2)
        .map(|r| r.iter().map(shape).collect())
        .collect();
    assert_eq!(runs.len(), transports.len(), "{list:#}");
    assert_eq!(runs[0][0].0, "Predict.forward", "{list:#}");
    assert_eq!(runs[0][1].0, "ChainOfThought.forward", "{list:#}");
    assert!(runs[0][0].1 >= 2 && runs[0][0].2 == 1, "{list:#}");
    for (t, run) in transports.iter().zip(&runs) {
        assert_eq!(run, &runs[0], "{t}: {list:#}");
    }
    let spans: u64 = runs.iter().flatten().map(|r| r.1).sum();
    assert!(
        balance.starts_with(&format!(
            "spanscope: {spans} span record(s) received = {spans} indexed"
        )),
        "{summary}"
    );
}

/// GenAI log events from the real OpenTelemetry SDK's OTLP log exporter, over OTLP/HTTP and
/// OTLP/gRPC, for a span exported before its events and one exported after: the recorded
/// session shows each span's prompt, response and evaluation score, and counts the record of no
/// span.
#[test]
fn gen_ai_log_events_show_with_their_spans_over_http_and_grpc() {
    use std::io::Read as _;
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("session.jsonl");
    let Recording {
        mut child,
        mut err,
        http,
        grpc,
    } = record_to(&out);
    let mut sent = Vec::new();
    for (t, endpoint) in [("http", http), ("grpc", grpc)] {
        let o = Command::new(py)
            .args(["tests/python/logs_example.py", t, &endpoint])
            .current_dir(ROOT)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{t}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let ids: Value = serde_json::from_slice(&o.stdout).unwrap();
        sent.push((t, ids));
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let mut summary = String::new();
    err.read_to_string(&mut summary).unwrap();
    assert!(summary.contains("12 log record(s) accepted"), "{summary}");
    assert!(
        summary.contains("2 of those log records named no span"),
        "{summary}"
    );

    let o = Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args(["export", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let spans: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .flat_map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            field(&v, "spans").as_array().unwrap().clone()
        })
        .collect();
    assert_eq!(spans.len(), 4);
    let span = |ids: &Value| {
        let id = field(ids, "span_id");
        spans
            .iter()
            .find(|s| field(s, "span_id") == id)
            .unwrap_or_else(|| panic!("no span {id} in {spans:#?}"))
    };
    for (t, ids) in &sent {
        let before = span(field(ids, "before"));
        assert_eq!(
            field(before, "messages"),
            &serde_json::json!([
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "What is the capital of France?"}
            ]),
            "{t}"
        );
        assert_eq!(field(before, "response"), "Paris.", "{t}");
        let after = span(field(ids, "after"));
        assert_eq!(
            field(after, "messages"),
            &serde_json::json!([{"role": "user", "content": "Which river flows through Paris?"}]),
            "{t}"
        );
        assert_eq!(field(after, "response"), "The Seine.", "{t}");
        assert_eq!(
            after["attributes"]["gen_ai.evaluation.relevance"], "score 0.9; label relevant",
            "{t}"
        );
    }
    // the evaluation, sent before its span, scores the span's trace
    let list = spanscope_json(&[
        "list",
        out.to_str().unwrap(),
        "-f",
        "score>0.5",
        "--format",
        "json",
    ]);
    let scored: Vec<Value> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            serde_json::json!([
                field(t, "trace_id"),
                field(t, "score"),
                field(t, "score_label")
            ])
        })
        .collect();
    let want: Vec<Value> = sent
        .iter()
        .map(|(_, ids)| {
            serde_json::json!([field(field(ids, "after"), "trace_id"), 0.9, "relevant"])
        })
        .collect();
    assert_eq!(scored, want);
}

/// The names and scores `list` gives for `filter`.
fn scored(path: &str, filter: &str) -> Vec<(String, Value)> {
    let list = spanscope_json(&["list", path, "--strict", "-f", filter, "--format", "json"]);
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                field(t, "name").as_str().unwrap().to_string(),
                field(t, "score").clone(),
            )
        })
        .collect()
}

/// A real `dspy.Evaluate` over four examples, one failing its metric, under the DSPy writer:
/// each example's trace has its score, `score<1` finds the failing one alone, and its export
/// as examples loads into `dspy.Example`s.
#[test]
fn an_evaluate_under_the_writer_scores_each_example_s_trace() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eval.jsonl");
    let path = out.to_str().unwrap();
    run_python(py, &["tests/python/evaluate_program.py", "writer", path]);

    let all = scored(path, "");
    assert_eq!(all.len(), 5, "the Evaluate and its four runs: {all:?}");
    assert_eq!(
        all[0],
        ("Evaluate".to_string(), Value::Null),
        "the Evaluate itself is not an example"
    );
    let mut scores: Vec<f64> = all[1..].iter().map(|(_, s)| s.as_f64().unwrap()).collect();
    scores.sort_by(f64::total_cmp);
    assert_eq!(scores, [0.0, 1.0, 1.0, 1.0]);

    let failed = spanscope_json(&["list", path, "-f", "score<1", "--format", "json"]);
    let [t] = failed.as_array().unwrap().as_slice() else {
        panic!("{failed:#}")
    };
    let id = field(t, "trace_id").as_str().unwrap();
    let shown = spanscope_json(&["show", id, path, "--format", "json"]);
    assert_eq!(field(&shown, "score"), 0.0);

    let examples = dir.path().join("failed.jsonl");
    let o = Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args(["export", "--as", "examples", path, "-f", "score<1", "--out"])
        .arg(&examples)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new(py)
        .args(["tests/python/load_examples.py", examples.to_str().unwrap()])
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let loaded: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        loaded,
        [serde_json::json!({"question": "Capital of Spain?", "answer": "Lisbon", "score": 0.0})]
    );
}

/// The same Evaluate under `mlflow.dspy.autolog(log_traces_from_eval=True)` exporting over
/// OTLP: each example's program run arrives as a trace of its own. MLflow logs a metric's
/// feedback on a trace only through its tracking store: exporting over OTLP it finds no trace
/// to log it on (`get_last_active_trace_id` is None), so these traces carry no score, and none
/// is made up. Assessments in MLflow trace files do score (`mlflow.rs`).
#[test]
fn an_evaluate_under_mlflow_autolog_sends_each_example_s_run() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("session.jsonl");
    // the stderr pipe stays open until the summary is written
    let Recording {
        mut child,
        err: _err,
        http,
        ..
    } = record_to(&out);
    run_python(py, &["tests/python/evaluate_program.py", "mlflow", &http]);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let all = scored(out.to_str().unwrap(), "");
    assert_eq!(
        all,
        vec![("Predict.forward".to_string(), Value::Null); 4],
        "one trace per example"
    );
}

/// The same Evaluate, then a BootstrapFewShot compile, under `mlflow.dspy.autolog` with a local
/// tracking store (mlflow-skinny), written out as `Trace.to_json()` lines: each example's trace
/// has its score from autolog's `exact_match` feedback, `score<1` finds the failing one alone,
/// and the compile's program runs carry no score; the page `mlflow traces search --output json`
/// prints lists the same. The MLflow run each trace was made in is its
/// `mlflow.sourceRun` metadata, filterable as `attr.trace.mlflow.sourceRun`: nothing in the
/// traces says which run is a compile, nor its optimizer, so they form no optimizer run.
#[test]
fn an_evaluate_kept_by_mlflow_scores_each_example_s_trace() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mlflow.jsonl");
    let path = out.to_str().unwrap();
    let page = dir.path().join("search.json");
    let page = page.to_str().unwrap();
    let o = Command::new(py)
        .args(["tests/python/mlflow_evaluate.py", path, page])
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // its last line (DSPy prints BootstrapFewShot's progress before it)
    let stdout = String::from_utf8(o.stdout).unwrap();
    let runs: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap();

    let all = scored(path, "");
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names, ["Predict.forward"; 6],
        "four examples, two bootstrap runs"
    );
    let mut scores: Vec<f64> = all[..4].iter().map(|(_, s)| s.as_f64().unwrap()).collect();
    scores.sort_by(f64::total_cmp);
    assert_eq!(scores, [0.0, 1.0, 1.0, 1.0], "{all:?}");
    assert!(all[4..].iter().all(|(_, s)| s.is_null()), "{all:?}");

    let o = Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args(["export", "--as", "examples", path, "-f", "score<1"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let failed: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        failed,
        serde_json::json!({"question": "Capital of Spain?", "answer": "Lisbon", "score": 0.0})
    );

    let in_run = |key: &str| {
        let id = field(&runs, key).as_str().unwrap();
        scored(path, &format!("attr.trace.mlflow.sourceRun={id}")).len()
    };
    assert_eq!(
        (in_run("evaluate_run"), in_run("compile_run")),
        (4, 2),
        "{runs}"
    );
    let found = spanscope_json(&["runs", path, "--format", "json"]);
    assert_eq!(found, serde_json::json!([]));

    // the same traces as `mlflow traces search --output json` prints them read alike
    let list = |p: &str| spanscope_json(&["list", p, "--strict", "--format", "json"]);
    assert_eq!(list(page), list(path));
}

/// The suite's traces in start order: name. An Evaluate and an optimizer's compile are traces of
/// their own, and so is each program run inside them (three examples each; BootstrapFewShot stops
/// after its two demos).
const EXPECTED_NAMES: [&str; 12] = [
    "Predict",
    "ChainOfThought",
    "MultiHopRAG",
    "ReAct",
    "SummarizeWithSources",
    "Evaluate",
    "Predict",
    "Predict",
    "Predict",
    "BootstrapFewShot",
    "Predict",
    "Predict",
];
/// Per trace: spans, LM calls, total tokens (ceil(characters / 4) of prompt and completion).
const EXPECTED_SHAPES: [(u64, u64, Option<u64>); 12] = [
    (4, 1, Some(154)),
    (5, 1, Some(233)),
    (12, 2, Some(550)),
    (21, 4, Some(2963)),
    (6, 1, None),
    (1, 0, None),
    (4, 1, Some(154)),
    (4, 1, Some(156)),
    (4, 1, Some(153)),
    (1, 0, None),
    (4, 1, Some(154)),
    (4, 1, Some(154)),
];
/// The multi-hop RAG trace without its adapter spans: (depth, name).
const EXPECTED_RAG_TREE: [(u64, &str); 8] = [
    (0, "MultiHopRAG"),
    (1, "Retrieve"),
    (1, "Predict"),
    (2, "DummyLM"),
    (1, "Retrieve"),
    (1, "ChainOfThought"),
    (2, "Predict"),
    (3, "DummyLM"),
];

/// The conversations of `file`: (first question, turns), the first started first.
fn conversations(file: &str, more: &[&str]) -> Vec<(String, u64)> {
    let mut args = vec!["sessions", file, "--strict", "--format", "json"];
    args.extend_from_slice(more);
    let v = spanscope_json(&args);
    let mut out: Vec<(String, String, u64)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                field(c, "start").as_str().unwrap().to_string(),
                field(c, "first_question").as_str().unwrap().to_string(),
                field(c, "turns").as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out.into_iter().map(|(_, q, n)| (q, n)).collect()
}

const TWO_CONVERSATIONS: [(&str, u64); 2] = [
    ("What is the capital of France?", 3),
    ("What is the longest river in Europe?", 2),
];

/// A real multi-turn program with `dspy.History` under the DSPy writer: its two conversations,
/// each turn in order with its question and answer; the call made without a history is none.
#[test]
fn a_dspy_history_program_is_two_conversations_under_the_writer() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("chat.jsonl");
    let path = out.to_str().unwrap();
    run_python(py, &["tests/python/conversation_program.py", path]);
    let list = spanscope_json(&["list", path, "--strict", "--format", "json"]);
    assert_eq!(list.as_array().unwrap().len(), 6, "{list:#}");
    let got = conversations(path, &[]);
    let want: Vec<(String, u64)> = TWO_CONVERSATIONS
        .iter()
        .map(|(q, n)| ((*q).to_string(), *n))
        .collect();
    assert_eq!(got, want);
    let all = spanscope_json(&["sessions", path, "--format", "json"]);
    let france = all
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["turns"] == 3)
        .unwrap();
    let id = field(france, "session").as_str().unwrap();
    let t = spanscope_json(&["sessions", path, "--session", id, "--format", "json"]);
    let said: Vec<(&str, &str)> = field(&t, "turns")
        .as_array()
        .unwrap()
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
}

/// The same program under OpenInference's DSPy instrumentor, each conversation in
/// `using_session`, exported over OTLP/HTTP to `spanscope record`: `session.id` names them.
#[test]
fn openinference_using_session_names_the_conversations() {
    use std::io::Read as _;
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("chat.jsonl");
    let Recording {
        mut child,
        mut err,
        http: endpoint,
        ..
    } = record_to(&out);
    run_python(
        py,
        &[
            "tests/python/conversation_program.py",
            "openinference",
            &endpoint,
        ],
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let mut summary = String::new();
    err.read_to_string(&mut summary).unwrap();
    let path = out.to_str().unwrap();
    let v = spanscope_json(&["sessions", path, "--format", "json"]);
    let mut ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| field(c, "session").as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["france", "rivers"], "{summary}");
    let want: Vec<(String, u64)> = TWO_CONVERSATIONS
        .iter()
        .map(|(q, n)| ((*q).to_string(), *n))
        .collect();
    assert_eq!(
        conversations(path, &[]),
        want,
        "the history left out of the question"
    );
}
