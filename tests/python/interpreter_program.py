"""A DSPy program that runs code, written by spanscope's DSPy writer (a sample and its tests).

    python tests/python/interpreter_program.py OUT.jsonl

Offline, on dspy.utils.DummyLM and DSPy's LocalInterpreter (a local CPython worker, no sandbox):

    1. codeact     CodeAct answers "What is 6 * 7?": it defines its tool in the interpreter, runs
                   the code the LM wrote (`answer = multiply(6, 7)`), then extracts the answer;
                   the interpreter starts, executes twice and shuts down inside the request
    2. host_tool   code run in a LocalInterpreter calls a tool on the host (`lookup`), which
                   fails once: the interpreter's tool call is a span of its own, its error kept

Exits 1 if the callback reported an internal failure.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "assets"))

import dspy  # noqa: E402
from dspy.utils import DummyLM  # noqa: E402

from spanscope_dspy import SpanscopeCallback  # noqa: E402


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def lookup(key: str) -> str:
    """A host-side lookup the interpreted code calls."""
    if key == "missing":
        raise KeyError(key)
    return {"capital": "Paris"}[key]


class HostTool(dspy.Module):
    """Runs code that calls a host tool, once with a key it knows and once with one it does not."""

    def forward(self, key):
        with dspy.LocalInterpreter(tools={"lookup": lookup}) as interpreter:
            found = interpreter.execute("lookup(key='capital')")
            try:
                interpreter.execute("lookup(key=%r)" % key)
            except Exception as exc:  # the code raised what the tool raised
                return dspy.Prediction(found=found, error=type(exc).__name__)
        return dspy.Prediction(found=found, error=None)


def main(out: str) -> int:
    callback = SpanscopeCallback(out)
    lm = DummyLM(
        [
            {"generated_code": "answer = multiply(6, 7)\nanswer", "finished": True},
            {"reasoning": "The code computed 42.", "answer": "42"},
        ]
    )
    dspy.configure(lm=lm, callbacks=[callback])
    act = dspy.CodeAct("question -> answer", tools=[multiply], max_iters=2,
                       interpreter_factory=dspy.LocalInterpreter)
    print(act(question="What is 6 * 7?").answer)
    print(HostTool()(key="missing"))
    callback.close()
    return 1 if callback.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
