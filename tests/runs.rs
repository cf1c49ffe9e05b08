//! Optimizer runs from the real producers: a BootstrapFewShot and a MIPROv2 compile of DSPy
//! 3.4.1 on DummyLM, traced with spanscope's writer (`tests/python/optimizer_program.py`), read
//! back by `spanscope runs --format json` and checked field by field, and the runs view of
//! the explorer opened on them in a pseudo-terminal.

#![allow(clippy::unwrap_used)]

mod common;

use common::venv::python;
use common::{Recording, Session, record_to};
use serde_json::{Value, json};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The two runs, written by the writer into a fresh file.
fn optimizer_runs(dir: &tempfile::TempDir) -> Option<String> {
    let py = python()?;
    let out = dir.path().join("runs.jsonl");
    let o = Command::new(py)
        .args(["tests/python/optimizer_program.py", out.to_str().unwrap()])
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "optimizer_program.py failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    Some(out.to_str().unwrap().to_string())
}

fn spanscope(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_spanscope"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn bootstrap_and_mipro_runs_read_back_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let Some(path) = optimizer_runs(&dir) else {
        return;
    };
    let runs: Value =
        serde_json::from_str(&spanscope(&["runs", &path, "--format", "json"])).unwrap();
    let runs = runs.as_array().unwrap();
    assert_eq!(
        runs.len(),
        2,
        "the compiles each run inside them are part of them: {runs:#?}"
    );

    let boot = &runs[0];
    assert_eq!(boot["optimizer"], "BootstrapFewShot");
    assert_eq!(boot["program"], "Predict");
    assert_eq!(boot["metric"], "exact_match");
    assert_eq!(
        (boot["trainset_size"].clone(), boot["valset_size"].clone()),
        (json!(4), Value::Null)
    );
    assert_eq!(boot["settings"]["max_bootstrapped_demos"], 2);
    assert_eq!(boot["settings"]["max_labeled_demos"], 2);
    assert_eq!(boot["status"], "ok");
    assert!(boot["duration_ms"].as_f64().unwrap() > 0.0);
    assert!(boot["start"].as_str().unwrap().ends_with('Z'));
    // the compile, the LabeledFewShot it runs, and the two teacher runs until the first success
    // and the cycle's miss: no Evaluate, so no trials
    assert_eq!(
        (boot["traces"].clone(), boot["llm_calls"].clone()),
        (json!(4), json!(2))
    );
    assert_eq!(boot["tokens"], 511);
    assert_eq!(
        (boot["cost"].clone(), boot["unpriced_calls"].clone()),
        (Value::Null, json!(2))
    );
    assert_eq!(boot["trials"], json!([]));
    assert_eq!(boot["best_trial"], Value::Null);

    let mipro = &runs[1];
    assert_eq!(mipro["optimizer"], "MIPROv2");
    assert_eq!(mipro["program"], "Predict");
    assert_eq!(
        (mipro["trainset_size"].clone(), mipro["valset_size"].clone()),
        (json!(4), json!(4))
    );
    for (k, v) in [
        ("num_candidates", json!(2)),
        ("num_trials", json!(2)),
        ("minibatch", json!(false)),
    ] {
        assert_eq!(mipro["settings"][k], v, "{k}");
    }
    assert!(mipro["start"].as_str() > boot["start"].as_str());
    assert_eq!(
        (mipro["traces"].clone(), mipro["llm_calls"].clone()),
        (json!(21), json!(20))
    );
    assert_eq!(mipro["tokens"], 3460);
    let trials = mipro["trials"].as_array().unwrap();
    // the default program's Evaluate, then one per trial
    let got: Vec<_> = trials
        .iter()
        .map(|t| (t["trial"].clone(), t["score"].clone(), t["tokens"].clone()))
        .collect();
    assert_eq!(
        got,
        [
            (json!(1), json!(100.0), json!(896)),
            (json!(2), json!(0.0), json!(964)),
            (json!(3), json!(0.0), json!(896))
        ]
    );
    assert_eq!(mipro["best_trial"], 1);
    for t in trials {
        assert_eq!(t["metric"], "exact_match");
        assert_eq!(
            (t["llm_calls"].clone(), t["cost"].clone()),
            (json!(4), Value::Null)
        );
        // the Evaluate's own trace, then its four program runs, each a trace the list shows
        let traces = t["traces"].as_array().unwrap();
        assert_eq!(traces.len(), 5);
        let first = spanscope(&[
            "show",
            traces[0].as_str().unwrap(),
            &path,
            "--format",
            "json",
        ]);
        assert!(first.contains("\"name\": \"Evaluate\""), "{first}");
        let run = spanscope(&[
            "show",
            traces[1].as_str().unwrap(),
            &path,
            "--format",
            "json",
        ]);
        assert!(run.contains("\"name\": \"Predict\""), "{run}");
    }

    // what the writer's compile lines say, as attributes any filter reads
    let one = |q: &str| {
        let l: Value =
            serde_json::from_str(&spanscope(&["list", &path, "-f", q, "--format", "json"]))
                .unwrap();
        l.as_array()
            .unwrap()
            .iter()
            .map(|t| t["trace_id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        one("attr.optimizer.settings.num_candidates=2"),
        [mipro["run_id"].as_str().unwrap()]
    );
    assert_eq!(
        one(
            "attr.optimizer.predictors:\"question -> answer\" attr.optimizer.class=BootstrapFewShot"
        )
        .len(),
        1
    );
    // MIPROv2's LabeledFewShot and BootstrapFewShot name the run they ran in
    let inner = one(&format!(
        "attr.dspy.enclosing_run_call_id={}",
        mipro["run_id"].as_str().unwrap()
    ));
    assert!(!inner.is_empty());
    let export = spanscope(&[
        "export",
        &path,
        "-f",
        &format!("id:{}", mipro["run_id"].as_str().unwrap()),
    ]);
    assert!(
        export.contains("\"compiled.predictors\":") && export.contains("\\\"demos\\\":"),
        "{export}"
    );

    let table = spanscope(&["runs", &path]);
    assert!(
        table.contains("BootstrapFewShot") && table.contains("MIPROv2"),
        "{table}"
    );
    assert!(
        table.contains("#1 100 ") && table.contains("█▁▁"),
        "{table}"
    );
}

/// The explorer on the committed runs of `optimizer_program.py`: `O` opens the runs, `Enter`
/// goes to MIPROv2's trials and on a trial filters the list to its traces, `Esc` goes back.
#[test]
fn the_runs_view_opens_a_trial_and_goes_back() {
    let mut s = Session::start(&["tests/fixtures/dspy-optimizer/runs.jsonl"], 120, 40);
    s.wait_for("Traces 25/25");
    s.keys("O");
    s.wait_for("Optimizer runs  2 run(s)");
    s.wait_for("No Evaluate ran inside: no trials.");
    s.keys("j");
    s.wait_for("Trials of MIPROv2  3 trial(s)");
    s.keys("\r");
    s.wait_for("▶ Trials of MIPROv2");
    s.keys("\r");
    s.wait_for("5 trace(s) of trial 1: filter attr.dspy.evaluate_call_id=");
    s.wait_for("Traces 5/25");
    s.wait_gone("Optimizer runs");
    // back where it was, then Esc: the runs, then the list
    s.keys("O");
    s.wait_for("▶ Trials of MIPROv2");
    s.keys("\x1b");
    s.wait_for("▶ Optimizer runs");
    s.keys("\x1b");
    s.wait_gone("Optimizer runs");
    s.wait_for("Traces 5/25");
    s.quit_cleanly();
}

/// The same two compiles under another producer (`--mlflow`: MLflow's DSPy autolog with
/// `log_traces_from_compile=True`; `--openinference`: OpenInference's DSPyInstrumentor),
/// exported over OTLP/HTTP to `spanscope record`. Both send each program run inside the
/// compiles as a trace of its own, with no compile or Evaluate span and nothing that names the
/// compile, so they list as traces and form no run (README, "Optimizer runs"). When a producer
/// starts marking them, this fails and says what to read.
fn program_runs_without_a_run(producer: &str) {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("otlp.jsonl");
    // the stderr pipe stays open until the summary is written
    let Recording {
        mut child,
        err: _err,
        http: endpoint,
        ..
    } = record_to(&out);
    let o = Command::new(py)
        .args(["tests/python/optimizer_program.py", producer, &endpoint])
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let path = out.to_str().unwrap();
    let list: Value =
        serde_json::from_str(&spanscope(&["list", path, "--format", "json"])).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    // BootstrapFewShot's two teacher runs; MIPROv2's two demo bootstrapping runs, its two
    // instruction proposals and its three Evaluates of four examples each
    assert_eq!(names.len(), 18, "{producer}: {names:?}");
    assert_eq!(
        names
            .iter()
            .filter(|n| **n == "GenerateModuleInstruction.forward")
            .count(),
        2
    );
    assert!(
        names.iter().all(|n| n.ends_with(".forward")),
        "{producer}: no compile or Evaluate span: {names:?}"
    );
    let runs: Value =
        serde_json::from_str(&spanscope(&["runs", path, "--format", "json"])).unwrap();
    assert_eq!(
        runs,
        json!([]),
        "{producer}'s traces now mark a compile: read it in analysis/runs.rs"
    );
}

#[test]
fn mlflow_autolog_of_a_compile_sends_its_program_runs_but_no_run() {
    program_runs_without_a_run("--mlflow");
}

#[test]
fn openinference_traces_no_compile_and_no_evaluate() {
    program_runs_without_a_run("--openinference");
}

/// The committed tracking store (`tests/fixtures/mlflow-store/mlflow.db.gz`: made by
/// `optimizer_program.py --mlflow-store DIR/mlflow.db` with MLflow 3.17.2 and DSPy 3.4.1, then
/// `VACUUM`ed and gzipped), read without Python: the runs, MIPROv2's trials in order with their
/// scores, and the two LM calls of BootstrapFewShot's teacher runs.
#[test]
fn the_committed_tracking_store_reads_back_as_runs() {
    let path = format!("{ROOT}/tests/fixtures/mlflow-store/mlflow.db.gz");
    let runs: Value =
        serde_json::from_str(&spanscope(&["runs", &path, "--format", "json"])).unwrap();
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 2, "{runs:#?}");
    assert_eq!(
        runs[0]["optimizer"], "sassy-gull-516",
        "the MLflow run's name"
    );
    assert_eq!(runs[0]["llm_calls"], 2);
    assert_eq!(runs[1]["optimizer"], "delicate-bug-495");
    assert_eq!(
        runs[1]["duration_ms"], 2108.0,
        "from the run's start and end"
    );
    let trials: Vec<(Value, Value)> = runs[1]["trials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["trial"].clone(), t["score"].clone()))
        .collect();
    assert_eq!(
        trials,
        [
            (json!(1), json!(100.0)),
            (json!(2), json!(0.0)),
            (json!(3), json!(0.0))
        ]
    );
    assert_eq!(runs[1]["best_trial"], 1);
}

/// The same two compiles under MLflow's DSPy autolog with `log_compiles` and `log_evals`, kept
/// in an MLflow tracking store (`optimizer_program.py --mlflow-store`): spanscope reads the
/// sqlite file itself. Each compile is a run named by its MLflow run name (MLflow records no
/// optimizer class), MIPROv2's three Evaluate runs are its trials with their `eval` metric, and
/// every trace lands in the run or trial it was made in (`mlflow.sourceRun`).
#[test]
fn an_mlflow_tracking_store_holds_the_runs_and_their_trials() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mlflow.db");
    let db = db.to_str().unwrap();
    let o = Command::new(py)
        .args(["tests/python/optimizer_program.py", "--mlflow-store", db])
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let runs: Value = serde_json::from_str(&spanscope(&["runs", db, "--format", "json"])).unwrap();
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 2, "{runs:#?}");
    let (boot, mipro) = (&runs[0], &runs[1]);
    for r in runs {
        let name = r["optimizer"].as_str().unwrap();
        assert!(
            !name.is_empty() && r["run_id"].as_str().unwrap().len() == 32,
            "{r:#}"
        );
        assert_eq!(r["status"], "ok");
    }
    // BootstrapFewShot: its two teacher runs, no Evaluate
    assert_eq!(boot["traces"], 3, "{boot:#}");
    assert_eq!(boot["llm_calls"], 2);
    assert_eq!(boot["trials"], json!([]));
    // MIPROv2: the compile, its two demo runs and two instruction proposals, and three
    // Evaluates of four program runs each
    assert_eq!(mipro["traces"], 20, "{mipro:#}");
    assert_eq!(mipro["metric"], "exact_match");
    assert_eq!(mipro["settings"]["num_trials"], 2);
    let list: Value = serde_json::from_str(&spanscope(&["list", db, "--format", "json"])).unwrap();
    let scored: std::collections::HashMap<&str, &Value> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["trace_id"].as_str().unwrap(), &t["score"]))
        .collect();
    let trials = mipro["trials"].as_array().unwrap();
    let scores: Vec<f64> = trials
        .iter()
        .map(|t| t["score"].as_f64().unwrap())
        .collect();
    assert_eq!(scores.len(), 3);
    assert!(
        scores.iter().all(|s| (0.0..=100.0).contains(s)),
        "{scores:?}"
    );
    let best = scores.iter().copied().fold(f64::MIN, f64::max);
    let best_trial = scores.iter().position(|s| *s == best).unwrap() + 1;
    assert_eq!(mipro["best_trial"], best_trial);
    for t in trials {
        let traces = t["traces"].as_array().unwrap();
        assert_eq!(
            traces.len(),
            5,
            "the Evaluate and its four program runs: {t:#}"
        );
        assert_eq!(t["metric"], "exact_match");
        assert_eq!(t["llm_calls"], 4);
        // each program run is an MLflow trace, scored by the metric's feedback
        for run in &traces[1..] {
            let run = run.as_str().unwrap();
            assert!(run.starts_with("tr-"), "{run}");
            assert!(scored.get(run).is_some_and(|s| s.is_number()), "{run}");
        }
    }

    // the explorer: the first trial against the second, per predictor
    let mut s = Session::start(&[db], 140, 50);
    s.wait_for("mlflow.db");
    s.keys("O");
    s.wait_for("Optimizer runs  2 run(s)");
    s.keys("j");
    s.wait_for("3 trial(s) · metric exact_match");
    s.keys("\r");
    s.keys("m");
    s.keys("j");
    s.keys("d");
    s.wait_for("Prompts, trial 1 → trial 2");
    s.wait_for("── Predict.forward(question -> answer)");
    s.quit_cleanly();
}
