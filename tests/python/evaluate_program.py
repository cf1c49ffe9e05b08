"""A dspy.Evaluate over four examples, one of which fails the metric, traced for spanscope.

    python tests/python/evaluate_program.py writer OUT.jsonl     # the DSPy writer
    python tests/python/evaluate_program.py mlflow ENDPOINT      # mlflow.dspy.autolog over OTLP/HTTP

Runs offline on dspy.utils.DummyLM, whose answers are keyed by question so that two threads
give the same answers: the Spain example is answered "Lisbon", which the exact-match metric
fails. Under the writer, the Evaluate's end line names each example's trace and score. Under
MLflow, autolog(log_traces_from_eval=True) traces each example's program run.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "assets"))

mode, target = sys.argv[1], sys.argv[2]
if mode == "mlflow":
    os.environ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = target.rstrip("/") + "/v1/traces"
    os.environ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = "http/protobuf"
    import mlflow

    mlflow.dspy.autolog(log_traces_from_eval=True)

import dspy  # noqa: E402

if mode == "writer":
    from spanscope_dspy import SpanscopeCallback

    dspy.configure(callbacks=[SpanscopeCallback(target)])

ANSWERS = {
    "Capital of France?": "Paris",
    "Capital of Italy?": "Rome",
    "Capital of Spain?": "Lisbon",
    "Capital of Japan?": "Tokyo",
}
GOLD = {"Capital of Spain?": "Madrid"}

dspy.configure(lm=dspy.utils.DummyLM({q: {"answer": a} for q, a in ANSWERS.items()}))
devset = [
    dspy.Example(question=q, answer=GOLD.get(q, a)).with_inputs("question") for q, a in ANSWERS.items()
]


def exact_match(example, prediction, trace=None):
    return example.answer == prediction.answer


result = dspy.Evaluate(devset=devset, metric=exact_match, num_threads=2)(dspy.Predict("question -> answer"))
print(result.score)
if result.score != 75.0:
    sys.exit(f"expected 3 of 4 examples to pass, got {result.score}")
