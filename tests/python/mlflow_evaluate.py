"""A dspy.Evaluate and a BootstrapFewShot compile under MLflow's DSPy autolog, kept in a local
MLflow tracking store and written out as trace files, for spanscope's tests.

    python tests/python/mlflow_evaluate.py OUT.jsonl [PAGE.json]

Needs mlflow-skinny (tests/python/requirements.txt): the tracing-only package cannot keep
traces, and over OTLP autolog logs no metric feedback. The tracking store is a sqlite file in a
temporary directory, removed at the end. Each example's program run is a trace; autolog's
patched metric logs an `exact_match` feedback assessment on it. With log_compiles and
log_evals, the Evaluate and the compile are MLflow runs, and the traces made in each carry its
run id as `mlflow.sourceRun` metadata.

MLFLOW_ENABLE_ASYNC_TRACE_LOGGING=false: MLflow writes a trace to the store in the background by
default, and the metric, called right after the program run, finds no trace to log its
feedback on ("Trace with ID ... not found", logged at debug level): the traces would have no
assessments.

Writes every trace of the experiment, one `Trace.to_json()` a line, to OUT.jsonl, as the
README says (`mlflow.search_traces(return_type="list")`), and with PAGE.json the same traces
as the `mlflow traces search --output json` command prints them, and prints the run
ids as JSON on the last line: {"evaluate_run": ..., "compile_run": ...}.

Runs offline on dspy.utils.DummyLM, answers keyed by question (see evaluate_program.py): the
Spain example is answered "Lisbon", which exact_match fails.
"""

import json
import os
import subprocess
import sys
import tempfile

os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"

import dspy  # noqa: E402
import mlflow  # noqa: E402

out = sys.argv[1]
ANSWERS = {
    "Capital of France?": "Paris",
    "Capital of Italy?": "Rome",
    "Capital of Spain?": "Lisbon",
    "Capital of Japan?": "Tokyo",
}
GOLD = {"Capital of Spain?": "Madrid"}


def exact_match(example, prediction, trace=None):
    return example.answer == prediction.answer


with tempfile.TemporaryDirectory() as store:
    mlflow.set_tracking_uri("sqlite:///" + os.path.join(store, "mlflow.db"))
    experiment = mlflow.create_experiment("spanscope", artifact_location=os.path.join(store, "artifacts"))
    mlflow.set_experiment(experiment_id=experiment)
    mlflow.dspy.autolog(log_traces_from_eval=True, log_traces_from_compile=True, log_compiles=True, log_evals=True)

    dspy.configure(lm=dspy.utils.DummyLM({q: {"answer": a} for q, a in ANSWERS.items()}))
    devset = [
        dspy.Example(question=q, answer=GOLD.get(q, a)).with_inputs("question") for q, a in ANSWERS.items()
    ]
    result = dspy.Evaluate(devset=devset, metric=exact_match, num_threads=2)(dspy.Predict("question -> answer"))
    if result.score != 75.0:
        sys.exit(f"expected 3 of 4 examples to pass, got {result.score}")
    boot = dspy.BootstrapFewShot(metric=exact_match, max_bootstrapped_demos=2, max_labeled_demos=2)
    boot.compile(dspy.Predict("question -> answer"), trainset=devset)

    mlflow.flush_trace_async_logging()
    with open(out, "w") as f:  # as the README says
        f.writelines(t.to_json() + "\n" for t in mlflow.search_traces(return_type="list", max_results=10_000))

    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as page:
            subprocess.run(
                [sys.executable, "-m", "mlflow", "traces", "search", "--experiment-id", experiment]
                + ["--output", "json", "--max-results", "1000"],
                env={**os.environ, "MLFLOW_TRACKING_URI": mlflow.get_tracking_uri()},
                stdout=page,
                check=True,
            )

    runs = {r.info.run_name: r.info.run_id for r in mlflow.search_runs([experiment], output_format="list")}
    compile_run = [i for name, i in runs.items() if name != "eval"]
    if len(runs) != 2 or "eval" not in runs or len(compile_run) != 1:
        sys.exit(f"expected the Evaluate's run and the compile's, got {runs}")
    print(json.dumps({"evaluate_run": runs["eval"], "compile_run": compile_run[0]}))
