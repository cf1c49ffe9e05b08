"""Send a DSPy run's traces to spanscope with OpenInference's DSPy instrumentor, over one of the
transports OTLP exporters use.

    spanscope record --out traces.jsonl      # OTLP/HTTP on 127.0.0.1:4318, OTLP/gRPC on 127.0.0.1:4317
    python tests/python/transports_example.py grpc http://127.0.0.1:4317
    python tests/python/transports_example.py http-protobuf http://127.0.0.1:4318

TRANSPORT is one of:
  http-protobuf  opentelemetry-exporter-otlp-proto-http, as configured by default
  http-gzip      the same with compression=Gzip
  http-json      OTLP/HTTP with a JSON body (the Python SDK has no JSON exporter: the request the
                 protobuf exporter would send, written as OTLP/JSON: hex ids, enums as numbers)
  grpc           opentelemetry-exporter-otlp-proto-grpc, as the DSPy tracing guide writes it:
                 OTLPSpanExporter(endpoint="http://localhost:4317", insecure=True)

The program is two DSPy calls on dspy.utils.DummyLM, so it runs offline: two traces. The script
fails if the exporter reported a failed export.
"""

import sys

transport, endpoint = sys.argv[1], sys.argv[2].rstrip("/")

from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult  # noqa: E402


def http_json_exporter(url):
    import base64

    import requests
    from google.protobuf.json_format import MessageToDict
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    def hex_ids(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("traceId", "spanId", "parentSpanId") and isinstance(v, str):
                    node[k] = base64.b64decode(v).hex()
                else:
                    hex_ids(v)
        elif isinstance(node, list):
            for v in node:
                hex_ids(v)
        return node

    class OtlpJsonExporter(SpanExporter):
        def export(self, spans):
            body = hex_ids(MessageToDict(encode_spans(spans), use_integers_for_enums=True))
            r = requests.post(url, json=body, timeout=10)
            return SpanExportResult.SUCCESS if r.ok else SpanExportResult.FAILURE

        def shutdown(self):
            pass

    return OtlpJsonExporter()


if transport == "grpc":
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    exporter = OTLPSpanExporter(endpoint=endpoint, insecure=True)
elif transport in ("http-protobuf", "http-gzip"):
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    gzip = Compression.Gzip if transport == "http-gzip" else Compression.NoCompression
    exporter = OTLPSpanExporter(endpoint=endpoint + "/v1/traces", compression=gzip)
elif transport == "http-json":
    exporter = http_json_exporter(endpoint + "/v1/traces")
else:
    sys.exit(f"unknown transport {transport!r}: http-protobuf, http-gzip, http-json or grpc")


class Checked(SpanExporter):
    """The exporter, counting the exports it reported as failed."""

    failed = 0

    def export(self, spans):
        result = exporter.export(spans)
        if result != SpanExportResult.SUCCESS:
            Checked.failed += 1
        return result

    def shutdown(self):
        exporter.shutdown()


from openinference.instrumentation.dspy import DSPyInstrumentor  # noqa: E402

provider = TracerProvider(resource=Resource.create({"service.name": f"dspy-{transport}"}))
provider.add_span_processor(BatchSpanProcessor(Checked()))
DSPyInstrumentor().instrument(tracer_provider=provider)

import dspy  # noqa: E402

dspy.configure(lm=dspy.utils.DummyLM([
    {"answer": "Paris"},
    {"reasoning": "The Seine flows through Paris, where the Eiffel Tower stands.", "answer": "The Seine"},
]))
dspy.Predict("question -> answer")(question="What is the capital of France?")
dspy.ChainOfThought("question -> answer")(question="Which river flows through the city of the Eiffel Tower?")

provider.shutdown()  # flushes the spans still queued
if Checked.failed:
    sys.exit(f"{transport}: {Checked.failed} export(s) failed")
