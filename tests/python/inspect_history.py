"""What `dspy.inspect_history` writes, for spanscope's reader of it (a sample and its tests).

    python tests/python/inspect_history.py OUT.txt [COLOURED.txt]

Runs offline on dspy.utils.DummyLM with scripted answers and writes the global history of its
LM calls with `dspy.inspect_history(n=50, file=...)` to OUT.txt (no colours: DSPy writes none
to a file). With COLOURED.txt, the same history as DSPy prints it to a terminal (with its ANSI
colour codes), as a user who redirects their program's output keeps it.

The calls, in order (seven entries):

    1. Predict("question -> answer")
    2. ChainOfThought("claim -> verdict, confidence")
    3-4. a two-turn conversation: Predict("question, history: dspy.History -> answer"), the
         second turn seeing the first in its history
    5. Predict("image: dspy.Image, question -> answer") with an inline PNG (an image placeholder)
    6. a Predict whose LM is asked for three completions (n=3: "and 2 other completions")
    7. a Predict with a multi-line answer
"""

import contextlib
import io
import sys

import dspy
from dspy.utils import DummyLM

# a 1x1 PNG, inline: DSPy prints its length, never its bytes
PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+h"
    "HgAHggJ/PchI7wAAAABJRU5ErkJggg=="
)


class QA(dspy.Signature):
    """Answer questions with short factoid answers."""

    question: str = dspy.InputField()
    answer: str = dspy.OutputField()


class Chat(dspy.Signature):
    """Answer the user's question, in the light of the conversation so far."""

    question: str = dspy.InputField()
    history: dspy.History = dspy.InputField()
    answer: str = dspy.OutputField()


class Look(dspy.Signature):
    """Answer a question about an image."""

    image: dspy.Image = dspy.InputField()
    question: str = dspy.InputField()
    answer: str = dspy.OutputField()


def run():
    def lm(answers, **kwargs):
        return DummyLM(answers, **kwargs)

    dspy.configure(lm=lm([{"answer": "Paris"}]))
    dspy.Predict(QA)(question="What is the capital of France?")

    dspy.configure(lm=lm([{"reasoning": "Water boils at 100 C at sea level.", "verdict": "true",
                           "confidence": "high"}]))
    dspy.ChainOfThought("claim -> verdict, confidence")(claim="Water boils at 100 C at sea level.")

    dspy.configure(lm=lm([{"answer": "Mercury is the closest planet to the Sun."},
                          {"answer": "Venus is second, about 108 million km from the Sun."}]))
    chat = dspy.Predict(Chat)
    history = dspy.History(messages=[])
    first = chat(question="Which planet is closest to the Sun?", history=history)
    history.messages.append({"question": "Which planet is closest to the Sun?",
                             "answer": first.answer})
    chat(question="And the next one?", history=history)

    dspy.configure(lm=lm([{"answer": "A single pixel."}]))
    dspy.Predict(Look)(image=dspy.Image(PNG), question="What does this image show?")

    dspy.configure(lm=lm([{"answer": "blue"}, {"answer": "azure"}, {"answer": "cyan"}]))
    dspy.Predict(QA, n=3)(question="What colour is the sky?")

    dspy.configure(lm=lm([{"answer": "Step one: boil water.\n\nStep two: pour it over the tea."}]))
    dspy.Predict(QA)(question="How do I make tea?")


def main():
    out = sys.argv[1]
    coloured = sys.argv[2] if len(sys.argv) > 2 else None
    run()
    with open(out, "w", encoding="utf-8") as f:
        dspy.inspect_history(n=50, file=f)
    if coloured:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            dspy.inspect_history(n=50)
        with open(coloured, "w", encoding="utf-8") as f:
            f.write(buf.getvalue())


if __name__ == "__main__":
    main()
