"""Send GenAI log events to spanscope with the real OpenTelemetry SDK and its OTLP log exporter,
as instrumentations such as opentelemetry-instrumentation-openai-v2 do: prompts and completions
as events of the span of the call, an evaluation result for it, and one record of no span.

    spanscope record --out traces.jsonl        # OTLP/HTTP on :4318, OTLP/gRPC on :4317
    python tests/python/logs_example.py http http://127.0.0.1:4318
    python tests/python/logs_example.py grpc http://127.0.0.1:4317

Two spans: "chat before", exported before its events, and "chat after", exported after them
(its events arrive first). Spans and log records are exported as they end, so the order holds.
Prints the two spans' trace and span ids as JSON.
"""

import json
import sys

transport, endpoint = sys.argv[1], sys.argv[2].rstrip("/")

from opentelemetry import trace  # noqa: E402
from opentelemetry.sdk._logs import LoggerProvider  # noqa: E402
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402

if transport == "grpc":
    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    spans_out = OTLPSpanExporter(endpoint=endpoint, insecure=True)
    logs_out = OTLPLogExporter(endpoint=endpoint, insecure=True)
elif transport == "http":
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    spans_out = OTLPSpanExporter(endpoint=endpoint + "/v1/traces")
    logs_out = OTLPLogExporter(endpoint=endpoint + "/v1/logs")
else:
    sys.exit(f"unknown transport {transport!r}: http or grpc")

resource = Resource.create({"service.name": f"logs-{transport}"})
tracer_provider = TracerProvider(resource=resource)
tracer_provider.add_span_processor(SimpleSpanProcessor(spans_out))
tracer = tracer_provider.get_tracer("logs_example")
logger_provider = LoggerProvider(resource=resource)
logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs_out))
logger = logger_provider.get_logger("opentelemetry.instrumentation.openai_v2")


def ids(span):
    c = span.get_span_context()
    return {"trace_id": format(c.trace_id, "032x"), "span_id": format(c.span_id, "016x")}


# the span first, then its events (the older per-message events)
before = tracer.start_span("chat before", attributes={"gen_ai.operation.name": "chat"})
before.end()
ctx = trace.set_span_in_context(before)
logger.emit(context=ctx, event_name="gen_ai.system.message", body={"content": "Be brief."})
logger.emit(context=ctx, event_name="gen_ai.user.message", body={"content": "What is the capital of France?"})
logger.emit(
    context=ctx,
    event_name="gen_ai.choice",
    body={"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Paris."}},
)

# the events first (the latest conventions' one event per call, and an evaluation), then the span
after = tracer.start_span("chat after", attributes={"gen_ai.operation.name": "chat"})
ctx = trace.set_span_in_context(after)
logger.emit(
    context=ctx,
    event_name="gen_ai.client.inference.operation.details",
    attributes={
        "gen_ai.input.messages": json.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": "Which river flows through Paris?"}]}]
        ),
        "gen_ai.output.messages": json.dumps(
            [{"role": "assistant", "parts": [{"type": "text", "content": "The Seine."}], "finish_reason": "stop"}]
        ),
    },
)
logger.emit(
    context=ctx,
    event_name="gen_ai.evaluation.result",
    attributes={
        "gen_ai.evaluation.name": "relevance",
        "gen_ai.evaluation.score.value": 0.9,
        "gen_ai.evaluation.score.label": "relevant",
    },
)
after.end()

# a record of no span
logger.emit(event_name="gen_ai.user.message", body={"content": "nobody's"})

tracer_provider.shutdown()
logger_provider.shutdown()
print(json.dumps({"before": ids(before), "after": ids(after)}))
