"""Send DSPy traces to spanscope over OTLP/HTTP with OpenInference's DSPy instrumentor.

    spanscope record --listen 127.0.0.1:4318 --out traces.jsonl    # or the explorer: spanscope --listen ...
    python tests/python/openinference_example.py [http://127.0.0.1:4318]

The endpoint is the first argument, else OTEL_EXPORTER_OTLP_ENDPOINT, else http://127.0.0.1:4318;
spans go to <endpoint>/v1/traces as protobuf. Needs openinference-instrumentation-dspy,
opentelemetry-sdk and opentelemetry-exporter-otlp-proto-http (tests/python/requirements.txt).
The program is two DSPy calls on dspy.utils.DummyLM, so it runs offline: two traces.
"""

import os
import sys

endpoint = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")

# --- instrumentation --------------------------------------------------------------------------
from openinference.instrumentation.dspy import DSPyInstrumentor  # noqa: E402
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: E402

provider = TracerProvider(resource=Resource.create({"service.name": "dspy-demo"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")))
DSPyInstrumentor().instrument(tracer_provider=provider)

# --- the program (offline: DummyLM with scripted answers) --------------------------------------
import dspy  # noqa: E402

dspy.configure(lm=dspy.utils.DummyLM([
    {"answer": "Paris"},
    {"reasoning": "The Seine flows through Paris, where the Eiffel Tower stands.", "answer": "The Seine"},
]))
dspy.Predict("question -> answer")(question="What is the capital of France?")
dspy.ChainOfThought("question -> answer")(question="Which river flows through the city of the Eiffel Tower?")

provider.shutdown()  # flushes the spans still queued
