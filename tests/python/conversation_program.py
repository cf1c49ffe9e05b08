"""Two multi-turn conversations with dspy.History, traced by spanscope's DSPy writer or by
OpenInference (each conversation in `using_session`).

    python tests/python/conversation_program.py OUT.jsonl                    # the DSPy writer
    python tests/python/conversation_program.py openinference http://127.0.0.1:4318

MLflow is left out: mlflow-tracing 3.17.2 keeps a trace's session (`update_current_trace(
session_id=...)`) in trace metadata, which its OTLP export does not send, and a trace tag set
the same way makes the export fail to end the root span (the traces arrive running).

Runs offline on dspy.utils.DummyLM. A chat module answers each question given the earlier
turns as a dspy.History: conversation "france" has three turns and "rivers" two, interleaved
(france 1, rivers 1, france 2, rivers 2, france 3), each turn a trace of its own. Each turn's
history holds the earlier turns' question and answer, as DSPy's documentation builds it, and
the first turn of each is called with an empty history. A last question is asked without any
history: a trace of no conversation. spanscope names each conversation by its first question,
so `spanscope sessions OUT.jsonl` finds two conversations (and six traces in all).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "assets"))

import dspy  # noqa: E402

# what says which conversation a turn is of, for the instrumentors that carry one
SESSION = {"name": None, "mlflow": False}


class Chat(dspy.Module):
    def __init__(self):
        super().__init__()
        self.respond = dspy.Predict("question, history: dspy.History -> answer")

    def forward(self, question, history):
        return self.respond(question=question, history=history)


CONVERSATIONS = {
    "france": [
        ("What is the capital of France?", "Paris"),
        ("How many people live there?", "About two million"),
        ("Which river runs through it?", "The Seine"),
    ],
    "rivers": [
        ("What is the longest river in Europe?", "The Volga"),
        ("Into which sea does it flow?", "The Caspian Sea"),
    ],
}
ORDER = ["france", "rivers", "france", "rivers", "france"]


def main(mode, target):
    flush = lambda: None  # noqa: E731
    session = None
    if mode == "dspy":
        from spanscope_dspy import SpanscopeCallback

        callback = SpanscopeCallback(target)
        dspy.configure(callbacks=[callback])
        flush = callback.close
    elif mode == "openinference":
        from openinference.instrumentation import using_session
        from openinference.instrumentation.dspy import DSPyInstrumentor
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=target.rstrip("/") + "/v1/traces")))
        DSPyInstrumentor().instrument(tracer_provider=provider)
        flush = provider.shutdown
        session = using_session
    answers = [{"answer": CONVERSATIONS[c][ORDER[: i + 1].count(c) - 1][1]} for i, c in enumerate(ORDER)]
    answers.append({"answer": "Yes"})
    dspy.configure(lm=dspy.utils.DummyLM(answers))
    chat = Chat()
    histories = {c: dspy.History(messages=[]) for c in CONVERSATIONS}
    for i, c in enumerate(ORDER):
        question = CONVERSATIONS[c][ORDER[: i + 1].count(c) - 1][0]
        if session is not None:
            with session(c):
                prediction = chat(question=question, history=histories[c])
        else:
            prediction = chat(question=question, history=histories[c])
        messages = histories[c].messages + [{"question": question, "answer": prediction.answer}]
        histories[c] = dspy.History(messages=messages)
    dspy.Predict("question -> answer")(question="Is this a conversation?")
    flush()
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 2:
        sys.exit(main("dspy", sys.argv[1]))
    sys.exit(main(sys.argv[1], sys.argv[2]))
