"""A fixed DSPy suite traced with assets/spanscope_dspy.py, for spanscope's end-to-end tests.

    python tests/python/callback_program.py OUT.jsonl

Runs offline on dspy.utils.DummyLM with scripted answers, in about a second, and appends
dspy-callback-jsonl v1 lines to OUT.jsonl (seven traces):

    1. predict_qa     Predict("question -> answer")
    2. cot_factcheck  ChainOfThought("claim -> verdict, confidence")
    3. multihop_rag   MultiHopRAG: Retrieve -> Predict(GenerateSearchQuery) -> Retrieve -> ChainOfThought
    4. react_agent    ReAct with search_encyclopedia and calculate (two tool calls, then finish)
    5. rag_lm_error   SummarizeWithSources: Retrieve -> ChainOfThought whose LM raises (caught here)
    6. evaluate       Evaluate of a Predict on 3 examples, 2 threads (one answer is wrong: 66.67);
                      the Evaluate and each example's run are traces of their own
    7. compile        BootstrapFewShot of a Predict on 3 examples (2 bootstrapped demos): the
                      compile and each run of the program are traces of their own

Token usage is deterministic: each DummyLM gets an engine that reports ceil(characters / 4) of
the prompt messages and of the completion (stock DummyLM reports 0), so per-trace token totals
are stable for a given DSPy version; tests/python.rs checks what spanscope reads from a run: the
traces, their span counts and tokens, the failed one, and the multi-hop tree. Exits 1 if the
callback reported an internal failure.
"""

import dataclasses
import math
import os
import sys
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "assets"))

import dspy  # noqa: E402
from dspy.clients.engines.dummy_engine import AsyncDummyEngine, DummyEngine  # noqa: E402
from dspy.lm15 import Usage  # noqa: E402

from spanscope_dspy import SpanscopeCallback  # noqa: E402


# --- a DummyLM that reports usage -------------------------------------------------------------


class MeteredEngine(DummyEngine):
    """DSPy's DummyEngine, reporting usage = ceil(chars / 4), taking 3 ms, optionally failing."""

    def __init__(self, owner, fail=None):
        super().__init__(owner)
        self.fail = fail

    def _complete_messages(self, messages):
        time.sleep(0.003)  # lets Evaluate's two threads overlap
        if self.fail is not None:
            raise self.fail
        response = super()._complete_messages(messages)
        prompt = sum(len(m.get("content") or "") for m in messages)
        completion = len(response.text or "")
        usage = Usage(
            input_tokens=math.ceil(prompt / 4),
            output_tokens=math.ceil(completion / 4),
            total_tokens=math.ceil(prompt / 4) + math.ceil(completion / 4),
        )
        return dataclasses.replace(response, usage=usage)


def scripted_lm(answers, fail=None):
    lm = dspy.utils.DummyLM(answers)
    lm.model = "dummy-model"  # DSPy's DummyLM says "dummy"; its responses still do
    lm._engine_spec = MeteredEngine(lm, fail)
    lm._async_engine_spec = AsyncDummyEngine(lm._engine_spec)
    return lm


# --- the programs -----------------------------------------------------------------------------

CORPUS = [
    "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France. It was completed in 1889.",
    "Paris is the capital of France. The Seine flows through the city from east to west.",
    "The Golden Gate Bridge is a suspension bridge in San Francisco. It opened to traffic in 1937.",
    "The Colosseum is an elliptical amphitheatre in the centre of Rome, Italy. It was completed in 80 AD.",
    "The Thames is a river that flows through southern England, including London.",
]


def search_corpus(query, k=2, **_):
    """Rank CORPUS by words shared with the query (ties keep corpus order)."""
    words = set(query.lower().replace("?", "").split())
    ranked = sorted(CORPUS, key=lambda p: -len(words & set(p.lower().replace(".", "").split())))
    return [types.SimpleNamespace(long_text=p) for p in ranked[:k]]


class GenerateSearchQuery(dspy.Signature):
    """Write a search query that finds the missing fact needed to answer the question."""

    context: list = dspy.InputField()
    question: str = dspy.InputField()
    query: str = dspy.OutputField()


class MultiHopRAG(dspy.Module):
    def __init__(self):
        super().__init__()
        self.retrieve = dspy.Retrieve(k=2)
        self.generate_query = dspy.Predict(GenerateSearchQuery)
        self.answer = dspy.ChainOfThought("context, question -> answer")

    def forward(self, question):
        context = self.retrieve(question).passages
        query = self.generate_query(context=context, question=question).query
        context = context + self.retrieve(query).passages
        return self.answer(context=context, question=question)


class SummarizeWithSources(dspy.Module):
    def __init__(self):
        super().__init__()
        self.retrieve = dspy.Retrieve(k=2)
        self.summarize = dspy.ChainOfThought("context, topic -> summary")

    def forward(self, topic):
        return self.summarize(context=self.retrieve(topic).passages, topic=topic)


def search_encyclopedia(query: str) -> list:
    """Search a small offline encyclopedia and return the top 2 passages."""
    return [p.long_text for p in search_corpus(query)]


def calculate(expression: str) -> float:
    """Evaluate an arithmetic expression such as '1937 - 1889'."""
    left, op, right = expression.split()
    return float(int(left) - int(right)) if op == "-" else float(int(left) + int(right))


def main(out):
    callback = SpanscopeCallback(out)
    dspy.configure(callbacks=[callback], rm=search_corpus)

    with dspy.context(lm=scripted_lm([{"answer": "Paris"}])):
        dspy.Predict("question -> answer")(question="What is the capital of France?")

    with dspy.context(lm=scripted_lm([{
        "reasoning": "The tower was completed in 1889, for the World's Fair held that year.",
        "verdict": "true",
        "confidence": "high",
    }])):
        dspy.ChainOfThought("claim -> verdict, confidence")(claim="The Eiffel Tower was completed in 1889.")

    with dspy.context(lm=scripted_lm([
        {"query": "river that flows through Paris"},
        {"reasoning": "The Eiffel Tower stands in Paris, and the Seine flows through Paris.", "answer": "The Seine"},
    ])):
        MultiHopRAG()(question="Which river flows through the city where the Eiffel Tower stands?")

    with dspy.context(lm=scripted_lm([
        {"next_thought": "I need the completion year of the Eiffel Tower.",
         "next_tool_name": "search_encyclopedia", "next_tool_args": {"query": "Eiffel Tower completed"}},
        {"next_thought": "1889. Now the year the Golden Gate Bridge opened, which the passages say is 1937.",
         "next_tool_name": "calculate", "next_tool_args": {"expression": "1937 - 1889"}},
        {"next_thought": "48 years passed.", "next_tool_name": "finish", "next_tool_args": {}},
        {"reasoning": "Completed in 1889, opened in 1937: 48 years.", "answer": "48"},
    ])):
        agent = dspy.ReAct("question -> answer", tools=[search_encyclopedia, calculate], max_iters=5)
        agent(question="How many years passed between the completion of the Eiffel Tower and the opening "
                       "of the Golden Gate Bridge?")

    failing = scripted_lm([], fail=RuntimeError("503 Service Unavailable: upstream model overloaded"))
    with dspy.context(lm=failing):
        try:
            SummarizeWithSources()(topic="history of the Colosseum")
        except Exception as exc:  # the suite goes on, as a service would
            print("rag_lm_error raised %s" % type(exc).__name__, file=sys.stderr)

    devset = [
        dspy.Example(question="What is the capital of Italy?", answer="Rome").with_inputs("question"),
        dspy.Example(question="Which river flows through London?", answer="Thames").with_inputs("question"),
        dspy.Example(question="Where is the Colosseum?", answer="Rome").with_inputs("question"),
    ]
    answers = {
        "capital of Italy": {"answer": "Rome"},
        "river flows through London": {"answer": "Thames"},
        "Where is the Colosseum": {"answer": "Athens"},
    }
    with dspy.context(lm=scripted_lm(answers)):
        evaluate = dspy.Evaluate(devset=devset, metric=exact_match, num_threads=2,
                                 display_progress=False, display_table=False)
        evaluate(dspy.Predict("question -> answer"))

    trainset = [
        dspy.Example(question="Where was Marie Curie born?", answer="Warsaw").with_inputs("question"),
        dspy.Example(question="Which river flows through Rome?", answer="Tiber").with_inputs("question"),
        dspy.Example(question="When was the Eiffel Tower completed?", answer="1889").with_inputs("question"),
    ]
    with dspy.context(lm=scripted_lm([{"answer": "Warsaw"}, {"answer": "Tiber"}, {"answer": "1889"}])):
        optimizer = dspy.BootstrapFewShot(metric=exact_match, max_bootstrapped_demos=2, max_labeled_demos=0,
                                          max_rounds=1)
        optimizer.compile(dspy.Predict("question -> answer"), trainset=trainset)

    callback.close()
    if callback.failures:
        print("spanscope callback failed %d times" % callback.failures, file=sys.stderr)
        return 1
    return 0


def exact_match(example, prediction, trace=None):
    return example.answer.strip().lower() == prediction.answer.strip().lower()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: callback_program.py OUT.jsonl")
    sys.exit(main(sys.argv[1]))
