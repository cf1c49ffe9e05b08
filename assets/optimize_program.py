"""Generate assets/optimize.jsonl: a DSPy program evaluated, optimized and chatted with, traced
with spanscope_dspy.SpanscopeCallback.

    python assets/optimize_program.py [OUT.jsonl]   # default: optimize.jsonl next to this file

Needs dspy and optuna (tests/python/requirements.txt); runs offline on dspy.utils.DummyLM with
the LM of demo_program.py (named "openai/gpt-4o-mini", 40-160 ms a call, usage = ceil(characters
/ 4)). What it runs, in order:

    Evaluate          a handbook Q&A Predict on 6 questions, 2 threads: two answers are wrong
    BootstrapFewShot  the same program on 6 training questions, up to 2 bootstrapped demos
    MIPROv2           the smallest search: 2 instruction candidates, 3 trials on the 6-question
                      valset (an Evaluate of the default program and one per trial); the LM
                      answers better under the proposed instructions than under DSPy's default
    Evaluate          the compiled program on the same 6 questions
    two conversations a handbook chat with dspy.History, interleaved: three turns about parental
                      leave and two about refunds (each turn's history holds the turns before it)

Scores, trials and turns are what `spanscope runs`, the SCORE column and `:sessions` show. The
file is replaced on each run, so trace ids and times change.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import dspy  # noqa: E402

from dspy.clients.engines.dummy_engine import AsyncDummyEngine  # noqa: E402

from demo_program import DemoEngine, exact_match, lm  # noqa: E402
from spanscope_dspy import SpanscopeCallback  # noqa: E402

QUESTIONS = [
    ("How many weeks of paid parental leave do employees get?", "20 weeks"),
    ("How many vacation days does the Berlin office give per year?", "30 days"),
    ("Within how many days of renewal can annual plans get a refund?", "30 days"),
    ("How long is raw event data kept on the Standard plan?", "13 months"),
    ("Which plan includes SAML single sign-on?", "Enterprise"),
    ("What is the daily limit for meals while travelling?", "EUR 60"),
]
DEVSET = [dspy.Example(question=q, answer=a).with_inputs("question") for q, a in QUESTIONS]


def keyed(wrong=()):
    """Answers by question: right ones, except the questions numbered in `wrong`."""
    return {
        q.split(" ", 3)[-1][:40]: {"answer": "I could not find it" if i in wrong else a}
        for i, (q, a) in enumerate(QUESTIONS)
    }


INSTRUCTIONS = [
    "Answer the employee's question from the handbook in a few words.",
    "Give only the figure or plan name the handbook states, with its unit.",
]


class HandbookEngine(DemoEngine):
    """The LM the optimizers meet: how well it answers depends on the instruction it is given.
    Under DSPy's default instruction it gets questions 1 and 4 wrong, under the first proposed
    one question 4, under the second none; asked to propose an instruction, it proposes the two
    in turn."""

    proposals = 0

    def _complete_messages(self, messages):
        system = messages[0].get("content") or "" if messages else ""
        user = messages[-1].get("content") or "" if messages else ""
        asked = next((i for i, (q, _) in enumerate(QUESTIONS) if q in user), None)
        if INSTRUCTIONS[1] in system:
            wrong = set()
        elif INSTRUCTIONS[0] in system:
            wrong = {4}
        else:
            wrong = {1, 4}
        answer = "I could not find it" if asked is None or asked in wrong else QUESTIONS[asked][1]
        proposal = INSTRUCTIONS[HandbookEngine.proposals % 2]
        if "proposed_instruction" in system:
            HandbookEngine.proposals += 1
        scripted, self.owner.answers = self.owner.answers, iter([{
            "answer": answer,
            "proposed_instruction": proposal,
            "observations": "Short questions about company policy: leave, refunds, retention, SSO, expenses.",
            "summary": "An employee handbook Q&A set.",
            "program_description": "Answers a handbook question with a short figure or name.",
            "module_description": "Answers with a short figure or plan name.",
        }])
        try:
            return super()._complete_messages(messages)
        finally:
            self.owner.answers = scripted  # what copies of this LM answer from


def handbook_lm():
    # MIPROv2 proposes with copies of the LM, which answer from this list in turn
    model = lm([
        {
            "proposed_instruction": INSTRUCTIONS[i % 2],
            "observations": "Short questions about company policy: leave, refunds, retention, SSO, expenses.",
            "summary": "An employee handbook Q&A set.",
            "program_description": "Answers a handbook question with a short figure or name.",
            "module_description": "Answers with a short figure or plan name.",
        }
        for i in range(200)
    ])
    model._engine_spec = HandbookEngine(model)
    model._async_engine_spec = AsyncDummyEngine(model._engine_spec)
    return model


class HandbookChat(dspy.Module):
    def __init__(self):
        super().__init__()
        self.reply = dspy.Predict("history: dspy.History, question -> answer")

    def forward(self, question, history):
        return self.reply(question=question, history=history)


CONVERSATIONS = [
    [
        ("How much parental leave do I get?", "20 weeks, fully paid, after 6 months of service."),
        ("Can I split it?", "Yes, in up to three blocks within 18 months of the birth or adoption."),
        ("Does it apply in the Berlin office too?", "Yes, the policy covers all offices."),
    ],
    [
        ("A customer on an annual plan wants a refund. Can they get one?",
         "Yes, prorated, if they ask within 30 days of renewal."),
        ("It has been 45 days.", "Then the Head of Customer Success has to approve it."),
    ],
]


def run(out):
    if os.path.exists(out):
        os.remove(out)
    callback = SpanscopeCallback(out)
    dspy.configure(callbacks=[callback])
    program = dspy.Predict("question -> answer")

    with dspy.context(lm=lm(keyed(wrong={1, 4}))):
        dspy.Evaluate(devset=DEVSET, metric=exact_match, num_threads=2, display_progress=False,
                      display_table=False)(program)

    with dspy.context(lm=handbook_lm()):
        boot = dspy.BootstrapFewShot(metric=exact_match, max_bootstrapped_demos=2, max_labeled_demos=2)
        boot.compile(dspy.Predict("question -> answer"), trainset=DEVSET)

    with dspy.context(lm=handbook_lm()):
        mipro = dspy.MIPROv2(metric=exact_match, auto=None, num_candidates=2, num_threads=1, verbose=False,
                             seed=7)
        compiled = mipro.compile(dspy.Predict("question -> answer"), trainset=DEVSET, valset=DEVSET,
                                 num_trials=3, max_bootstrapped_demos=1, max_labeled_demos=1, minibatch=False)

    with dspy.context(lm=handbook_lm()):
        dspy.Evaluate(devset=DEVSET, metric=exact_match, num_threads=1, display_progress=False,
                      display_table=False)(compiled)

    chat = HandbookChat()
    histories = [dspy.History(messages=[]) for _ in CONVERSATIONS]
    turns = [(c, t) for t in range(3) for c in range(len(CONVERSATIONS)) if t < len(CONVERSATIONS[c])]
    for c, t in turns:
        question, answer = CONVERSATIONS[c][t]
        with dspy.context(lm=lm([{"answer": answer}])):
            chat(question=question, history=histories[c])
        histories[c] = dspy.History(messages=histories[c].messages + [{"question": question, "answer": answer}])

    callback.close()
    return 1 if callback.failures else 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "optimize.jsonl")))
