"""Two optimizer runs traced with assets/spanscope_dspy.py, for spanscope's `runs` tests.

    python tests/python/optimizer_program.py OUT.jsonl
    python tests/python/optimizer_program.py --mlflow http://127.0.0.1:4318
    python tests/python/optimizer_program.py --openinference http://127.0.0.1:4318
    python tests/python/optimizer_program.py --mlflow-store DIR/mlflow.db

The second form runs the same two compiles under MLflow's DSPy autolog with
log_traces_from_compile=True, exporting its traces over OTLP/HTTP to the endpoint (as
mlflow_example.py does) instead of the writer; the third under OpenInference's
DSPyInstrumentor with the OpenTelemetry SDK's OTLP/HTTP exporter (as openinference_example.py).
The fourth keeps them in an MLflow tracking store, a new sqlite file (artifacts beside it), with
log_compiles and log_evals too: each compile and each Evaluate inside it is an MLflow run, and
each trace names the run it was made in.

Runs offline on dspy.utils.DummyLM (usage reported as in callback_program.py), in about a
second, and appends dspy-callback-jsonl v1 lines to OUT.jsonl:

    1. BootstrapFewShot of a Predict on 4 examples (max 2 bootstrapped demos): no Evaluate
       inside, so no trials
    2. MIPROv2 of a Predict, the smallest search (auto=None, num_candidates=2, num_trials=2, no
       minibatches, one thread): an Evaluate of the default program and one per trial, each
       on the 4-example valset, so three trials

The LM answers in a cycle of five capitals, so each Evaluate meets a different share of right
answers, and proposes a numbered instruction each time it is asked for one.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "assets"))

if len(sys.argv) > 2 and sys.argv[1] == "--mlflow":
    os.environ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = sys.argv[2].rstrip("/") + "/v1/traces"
    os.environ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = "http/protobuf"
    import mlflow  # noqa: E402

    mlflow.dspy.autolog(log_traces_from_compile=True)

if len(sys.argv) > 2 and sys.argv[1] == "--mlflow-store":
    # written as each trace ends, not in the background (as mlflow_evaluate.py)
    os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"
    import mlflow  # noqa: E402

    db = os.path.abspath(sys.argv[2])
    mlflow.set_tracking_uri("sqlite:///" + db)
    experiment = mlflow.create_experiment("spanscope", artifact_location=os.path.join(os.path.dirname(db), "artifacts"))
    mlflow.set_experiment(experiment_id=experiment)
    mlflow.dspy.autolog(log_traces_from_compile=True, log_traces_from_eval=True, log_compiles=True, log_evals=True)

PROVIDER = None
if len(sys.argv) > 2 and sys.argv[1] == "--openinference":
    from openinference.instrumentation.dspy import DSPyInstrumentor  # noqa: E402
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: E402
    from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
    from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: E402

    PROVIDER = TracerProvider()
    PROVIDER.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=sys.argv[2].rstrip("/") + "/v1/traces")))
    DSPyInstrumentor().instrument(tracer_provider=PROVIDER)

import dspy  # noqa: E402

from callback_program import scripted_lm  # noqa: E402
from spanscope_dspy import SpanscopeCallback  # noqa: E402

CAPITALS = [("France", "Paris"), ("Italy", "Rome"), ("Spain", "Madrid"), ("Japan", "Tokyo")]
TRAIN = [dspy.Example(question="capital of %s?" % c, answer=a).with_inputs("question") for c, a in CAPITALS]
CYCLE = ["Paris", "Rome", "Madrid", "Tokyo", "Oslo"]


def answers(n):
    return [
        {
            "answer": CYCLE[i % len(CYCLE)],
            "proposed_instruction": "Name the capital city only (version %d)." % i,
            "observations": "Questions about capital cities.",
            "summary": "Capital cities.",
            "program_description": "Answers a question with one city.",
            "module_description": "Answers with a city.",
        }
        for i in range(n)
    ]


def exact_match(example, prediction, trace=None):
    return example.answer == prediction.answer


def main(out):
    callback = None
    if out is not None:
        callback = SpanscopeCallback(out)
        dspy.configure(callbacks=[callback])
    dspy.configure(lm=scripted_lm(answers(400)))
    boot = dspy.BootstrapFewShot(metric=exact_match, max_bootstrapped_demos=2, max_labeled_demos=2)
    boot.compile(dspy.Predict("question -> answer"), trainset=TRAIN)
    mipro = dspy.MIPROv2(metric=exact_match, auto=None, num_candidates=2, num_threads=1, verbose=False, seed=7)
    mipro.compile(
        dspy.Predict("question -> answer"),
        trainset=TRAIN,
        valset=TRAIN,
        num_trials=2,
        max_bootstrapped_demos=1,
        max_labeled_demos=1,
        minibatch=False,
    )
    if PROVIDER is not None:
        PROVIDER.shutdown()  # flushes the spans still queued
    if callback is None:
        return
    callback.close()
    if callback.failures:
        print("the callback failed %d times" % callback.failures, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main(None if sys.argv[1] in ("--mlflow", "--openinference", "--mlflow-store") else sys.argv[1])
