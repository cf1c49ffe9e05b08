"""One real GenAI producer making one chat call against a local OpenAI-compatible stub, its
spans exported over OTLP to spanscope. Used by tests/producers.rs.

    python tests/python/genai_producers.py PRODUCER ENDPOINT [PROTOCOL] [LOGS]

PRODUCER  openai-v2         opentelemetry-instrumentation-openai-v2, default conventions
                            (content goes to log events)
          openai-v2-latest  the same with OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental
                            (content on the span: span_only)
          openinference     openinference-instrumentation-openai
          litellm           litellm.completion under openinference-instrumentation-litellm
                            (litellm's own cost on the span)
          dspy-writer       a DSPy Predict on dspy.LM (litellm) with spanscope's DSPy writer
                            (assets/spanscope_dspy.py), which records DSPy's own cost
ENDPOINT  the receiver, e.g. http://127.0.0.1:4318 (HTTP) or http://127.0.0.1:4317 (gRPC);
          for dspy-writer, the file the writer appends to
PROTOCOL  http (default) or grpc
LOGS      logs: also export log events (the default openai-v2 mode puts content there)

No network: the stub answers on loopback, with usage that reports cached and reasoning tokens.
"""

import http.server
import json
import os
import sys
import threading

PROMPT = "What is the capital of France?"
ANSWER = "Paris."
MODEL = "gpt-4o-mini-2024-07-18"
# what the stub reports: 1200 prompt tokens of which 1000 cached, 300 completion tokens of
# which 200 reasoning
USAGE = {
    "prompt_tokens": 1200,
    "completion_tokens": 300,
    "total_tokens": 1500,
    "prompt_tokens_details": {"cached_tokens": 1000, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 200, "audio_tokens": 0},
}


class Stub(http.server.BaseHTTPRequestHandler):
    """`POST /v1/chat/completions`: one fixed answer."""

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers.get("content-length", "0"))
        request = self.rfile.read(length)
        # DSPy's chat adapter asks for its field markers
        content = ANSWER
        if b"[[ ## answer ## ]]" in request:
            content = f"[[ ## answer ## ]]\n{ANSWER}\n\n[[ ## completed ## ]]"
        if self.path.rstrip("/") != "/v1/chat/completions":
            self.send_error(404)
            return
        body = json.dumps(
            {
                "id": "chatcmpl-stub-1",
                "object": "chat.completion",
                "created": 1795239420,
                "model": MODEL,
                "system_fingerprint": "fp_stub",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": USAGE,
            }
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def start_stub():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/v1"


def exporters(endpoint, protocol):
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return (
            OTLPSpanExporter(endpoint=endpoint, insecure=True),
            lambda: OTLPLogExporter(endpoint=endpoint, insecure=True),
        )
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return (
        OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"),
        lambda: OTLPLogExporter(endpoint=f"{endpoint}/v1/logs"),
    )


def dspy_writer(out):
    """One Predict through dspy.LM against the stub, traced by spanscope's DSPy writer."""
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "..", "assets"))
    import dspy
    from spanscope_dspy import SpanscopeCallback

    lm = dspy.LM(
        "openai/gpt-4o-mini",
        api_base=start_stub(),
        api_key="not-a-key",
        cache=False,
        num_retries=0,
    )
    dspy.configure(lm=lm, callbacks=[SpanscopeCallback(out)])
    answer = dspy.Predict("question -> answer")(question=PROMPT).answer
    assert answer == ANSWER, answer


def main():
    producer, endpoint = sys.argv[1], sys.argv[2].rstrip("/")
    if producer == "dspy-writer":
        dspy_writer(endpoint)
        return
    protocol = sys.argv[3] if len(sys.argv) > 3 else "http"
    logs = len(sys.argv) > 4 and sys.argv[4] == "logs"
    if producer == "openai-v2":
        # the default conventions, content in log events only (the genai utility this
        # instrumentation runs on reads the modes' names; "true" is no longer one of them)
        os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "event_only"
    elif producer == "openai-v2-latest":
        os.environ["OTEL_SEMCONV_STABILITY_OPT_IN"] = "gen_ai_latest_experimental"
        os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "span_only"

    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    span_exporter, log_exporter = exporters(endpoint, protocol)
    resource = Resource.create({"service.name": f"genai-producer-{producer}"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    trace.set_tracer_provider(tracer_provider)
    logger_provider = None
    if logs:
        from opentelemetry._logs import set_logger_provider
        from opentelemetry.sdk._logs import LoggerProvider
        from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor

        logger_provider = LoggerProvider(resource=resource)
        logger_provider.add_log_record_processor(SimpleLogRecordProcessor(log_exporter()))
        set_logger_provider(logger_provider)

    base_url = start_stub()
    messages = [
        {"role": "system", "content": "Answer in one word."},
        {"role": "user", "content": PROMPT},
    ]
    if producer in ("openai-v2", "openai-v2-latest", "openinference"):
        if producer == "openinference":
            from openinference.instrumentation.openai import OpenAIInstrumentor
        else:
            from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
        OpenAIInstrumentor().instrument(tracer_provider=tracer_provider)
        from openai import OpenAI

        client = OpenAI(base_url=base_url, api_key="not-a-key", max_retries=0)
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        answer = reply.choices[0].message.content
    elif producer == "litellm":
        # litellm's bundled price map, not its download (no network here)
        os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
        from openinference.instrumentation.litellm import LiteLLMInstrumentor

        LiteLLMInstrumentor().instrument(tracer_provider=tracer_provider)
        import litellm

        reply = litellm.completion(
            model="openai/gpt-4o-mini",
            messages=messages,
            api_base=base_url,
            api_key="not-a-key",
            num_retries=0,
        )
        answer = reply.choices[0].message.content
    else:
        sys.exit(f"unknown producer {producer!r}")
    assert answer == ANSWER, answer
    tracer_provider.force_flush()
    tracer_provider.shutdown()
    if logger_provider is not None:
        logger_provider.force_flush()
        logger_provider.shutdown()


if __name__ == "__main__":
    main()
