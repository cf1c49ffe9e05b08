"""Two multi-turn conversations with dspy.History, traced with assets/spanscope_dspy.py.

    python tests/python/conversation_program.py OUT.jsonl

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

from spanscope_dspy import SpanscopeCallback  # noqa: E402


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


def main(out):
    answers = [{"answer": CONVERSATIONS[c][ORDER[: i + 1].count(c) - 1][1]} for i, c in enumerate(ORDER)]
    answers.append({"answer": "Yes"})
    callback = SpanscopeCallback(out)
    dspy.configure(lm=dspy.utils.DummyLM(answers), callbacks=[callback])
    chat = Chat()
    histories = {c: dspy.History(messages=[]) for c in CONVERSATIONS}
    for i, c in enumerate(ORDER):
        question = CONVERSATIONS[c][ORDER[: i + 1].count(c) - 1][0]
        prediction = chat(question=question, history=histories[c])
        messages = histories[c].messages + [{"question": question, "answer": prediction.answer}]
        histories[c] = dspy.History(messages=messages)
    dspy.Predict("question -> answer")(question="Is this a conversation?")
    callback.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
