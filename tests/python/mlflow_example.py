"""Send DSPy traces to spanscope over OTLP/HTTP with MLflow's DSPy autologging.

    spanscope record --listen 127.0.0.1:4318 --out traces.jsonl    # or the explorer: spanscope --listen ...
    python tests/python/mlflow_example.py [http://127.0.0.1:4318]

MLflow 3 exports its traces over OTLP instead of logging them to a tracking server when
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (or OTEL_EXPORTER_OTLP_ENDPOINT) is set; its default protocol
is gRPC, so OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/protobuf selects OTLP/HTTP. The endpoint is
the first argument, else OTEL_EXPORTER_OTLP_ENDPOINT, else http://127.0.0.1:4318. Needs
mlflow-skinny and opentelemetry-exporter-otlp-proto-http (tests/python/requirements.txt). The
program is two DSPy calls on dspy.utils.DummyLM, so it runs offline: two traces.
"""

import os
import sys

endpoint = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")

# --- instrumentation --------------------------------------------------------------------------
os.environ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = endpoint.rstrip("/") + "/v1/traces"
os.environ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = "http/protobuf"

import mlflow  # noqa: E402

mlflow.dspy.autolog()

# --- the program (offline: DummyLM with scripted answers) --------------------------------------
import dspy  # noqa: E402

dspy.configure(lm=dspy.utils.DummyLM([
    {"answer": "Paris"},
    {"reasoning": "The Seine flows through Paris, where the Eiffel Tower stands.", "answer": "The Seine"},
]))
dspy.Predict("question -> answer")(question="What is the capital of France?")
dspy.ChainOfThought("question -> answer")(question="Which river flows through the city of the Eiffel Tower?")
