"""Generate assets/demo.jsonl: a small DSPy workload traced with spanscope_dspy.SpanscopeCallback.

    python assets/demo_program.py [OUT.jsonl]      # default: demo.jsonl next to this file

Needs dspy (tests/python/requirements.txt) and nothing else: it runs offline on
dspy.utils.DummyLM with scripted answers. The LM is named "openai/gpt-4o-mini"; its engine
sleeps 40-160 ms per call (seeded) and reports usage = ceil(characters / 4) of the prompt and of
the completion, as stock DummyLM reports none. Retrieval and tools sleep 20-120 ms, except where
a trace is meant to stand out. The traces, in order:

    Predict              capital of Australia
    ChainOfThought       fact check: is Everest the tallest mountain from base to peak?
    MultiHopRAG          Lisbon -> Tagus -> Atlantic (retrieve, write a query, retrieve, answer)
    ReAct                population density of Portugal (two searches and a calculation)
    HandbookQA           parental leave; the handbook index is cold and retrieval takes ~1.8 s
    Predict              support ticket triage
    SupportReply         refund request; the LM is rate limited (429) after 2 retries: error
    Predict              invoice email extraction
    CitedAnswer          web search times out (a failed tool), falls back to the encyclopedia
    MultiHopRAG          Marie Curie -> polonium
    Evaluate             4 geography questions on 2 threads, one wrong answer (75.0)
    ChainOfThought       summary of a release note
    Predict              river through the most countries

The file is replaced on each run, so trace ids and times change.
"""

import ast
import dataclasses
import math
import operator
import os
import random
import sys
import time
import types
from typing import Literal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import dspy  # noqa: E402
from dspy.clients.engines.dummy_engine import AsyncDummyEngine, DummyEngine  # noqa: E402
from dspy.lm15 import Usage  # noqa: E402
from dspy.utils.exceptions import LMRateLimitError  # noqa: E402

from spanscope_dspy import SpanscopeCallback  # noqa: E402

MODEL = "openai/gpt-4o-mini"
RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"
rng = random.Random(20261121)


def pause(low, high):
    time.sleep(rng.uniform(low, high))


# --- the LM: scripted answers, realistic latency and usage --------------------------------------


class DemoEngine(DummyEngine):
    def __init__(self, owner, rate_limited=False):
        super().__init__(owner)
        self.rate_limited = rate_limited

    def _complete_messages(self, messages):
        pause(0.04, 0.16)
        if self.rate_limited:
            raise LMRateLimitError(
                "Rate limit reached for gpt-4o-mini in organization org-northwind on tokens per min (TPM): "
                "Limit 200000, Used 198811, Requested 2390. Please try again in 360ms.",
                model=self.owner.model, status=429, retry_after=0.2,
            )
        response = super()._complete_messages(messages)
        prompt = math.ceil(sum(len(m.get("content") or "") for m in messages) / 4)
        completion = math.ceil(len(response.text or "") / 4)
        usage = Usage(input_tokens=prompt, output_tokens=completion, total_tokens=prompt + completion)
        return dataclasses.replace(response, usage=usage, model=RESPONSE_MODEL)


def lm(answers, rate_limited=False):
    model = dspy.utils.DummyLM(answers)
    model.model = MODEL
    model.num_retries = 2
    model._engine_spec = DemoEngine(model, rate_limited)
    model._async_engine_spec = AsyncDummyEngine(model._engine_spec)
    return model


# --- retrieval ---------------------------------------------------------------------------------

ENCYCLOPEDIA = [
    "Lisbon is the capital and largest city of Portugal. The river that flows through the city is the Tagus, "
    "whose estuary forms Lisbon's harbour.",
    "The Danube flows through ten countries, more than any other river in the world, including Germany, "
    "Austria, Hungary, Serbia and Romania, before emptying into the Black Sea.",
    "The Tagus is the longest river of the Iberian Peninsula. It rises in the Montes Universales in Spain, "
    "runs 1,007 km west across Spain and Portugal, and empties into the Atlantic Ocean.",
    "Portugal had a population of about 10.6 million in 2023, most of it concentrated along the Atlantic coast "
    "between Braga and Setubal.",
    "Portugal covers an area of 92,230 square kilometres, including the Atlantic archipelagos of the Azores "
    "and Madeira.",
    "Marie Sklodowska-Curie was a Polish and naturalised-French physicist and chemist. With Pierre Curie she "
    "discovered two elements, polonium and radium, in 1898.",
    "Polonium (Po, atomic number 84) is a highly radioactive element named after Poland (Latin: Polonia), "
    "which in 1898 was partitioned between Russia, Prussia and Austria.",
    "Radium (Ra, atomic number 88) was first isolated as a pure metal by Marie Curie and Andre-Louis Debierne "
    "in 1910, by electrolysis of radium chloride.",
    "Mount Everest, at 8,849 m above sea level, is Earth's highest mountain above sea level. Measured from "
    "base to peak, Mauna Kea in Hawaii is taller, about 10,210 m, most of it below the Pacific Ocean.",
    "Canberra is the capital city of Australia. The site was chosen in 1908 as a compromise between the "
    "rival cities of Sydney and Melbourne.",
]

HANDBOOK = [
    "Parental leave (all offices): employees with at least 6 months of service receive 20 weeks of fully "
    "paid parental leave. It can be taken in up to three blocks within 18 months of the birth or adoption.",
    "Vacation, Berlin office: 30 working days per calendar year plus the public holidays of the state of "
    "Berlin. New hires accrue vacation pro rata from their start date.",
    "Refunds: customers on annual plans can request a prorated refund within 30 days of renewal. After 30 "
    "days, refunds need approval from the Head of Customer Success.",
    "Data retention: raw event data is kept for 13 months on the Standard plan and 25 months on the "
    "Enterprise plan. Aggregated reports are kept indefinitely.",
    "SSO: SAML single sign-on is available on the Enterprise plan and supports Okta, Microsoft Entra ID and "
    "Google Workspace. Certificate rotation is announced 30 days ahead.",
    "Expenses: meals while travelling are reimbursed up to EUR 60 per day. Receipts are required for any "
    "single expense above EUR 25.",
]


STOPWORDS = {"which", "what", "when", "where", "does", "into", "from", "that", "this", "with", "have", "your"}


def words(text):
    return {w.strip("?,.:;'()").lower() for w in text.split()} - STOPWORDS - {""}


def ranked(corpus, query, k):
    """A keyword retriever: passages ranked by words shared with the query (ties keep corpus order)."""
    q = {w for w in words(query) if len(w) > 3}
    best = sorted(corpus, key=lambda p: -len(q & words(p)))
    return [types.SimpleNamespace(long_text=p) for p in best[:k]]


def encyclopedia_rm(query, k=2, **_):
    pause(0.02, 0.12)
    return ranked(ENCYCLOPEDIA, query, k)


def handbook_rm(query, k=2, **_):
    pause(0.02, 0.12)
    return ranked(HANDBOOK, query, k)


def cold_handbook_rm(query, k=2, **_):
    time.sleep(1.8)  # the vector index is loaded from object storage on first use
    return ranked(HANDBOOK, query, k)


# --- programs ----------------------------------------------------------------------------------


class GenerateSearchQuery(dspy.Signature):
    """Write a search query that finds the missing fact needed to answer the question."""

    context: list[str] = dspy.InputField()
    question: str = dspy.InputField()
    query: str = dspy.OutputField()


class MultiHopRAG(dspy.Module):
    def __init__(self):
        super().__init__()
        self.retrieve = dspy.Retrieve(k=2)
        self.generate_query = dspy.Predict(GenerateSearchQuery)
        self.answer = dspy.ChainOfThought("context: list[str], question -> answer")

    def forward(self, question):
        context = self.retrieve(question).passages
        query = self.generate_query(context=context, question=question).query
        context = context + self.retrieve(query).passages
        return self.answer(context=context, question=question)


class HandbookQA(dspy.Module):
    def __init__(self):
        super().__init__()
        self.retrieve = dspy.Retrieve(k=2)
        self.answer = dspy.ChainOfThought("context: list[str], question -> answer")

    def forward(self, question):
        return self.answer(context=self.retrieve(question).passages, question=question)


class SupportReply(dspy.Module):
    def __init__(self):
        super().__init__()
        self.retrieve = dspy.Retrieve(k=2)
        self.draft = dspy.ChainOfThought("policy: list[str], customer_message -> reply")

    def forward(self, customer_message):
        return self.draft(policy=self.retrieve(customer_message).passages, customer_message=customer_message)


def web_search(query: str) -> list[str]:
    """Search the web and return the top result snippets."""
    time.sleep(0.6)
    raise TimeoutError("web search did not answer within 600 ms (query=%r)" % query)


class CitedAnswer(dspy.Module):
    def __init__(self):
        super().__init__()
        self.web_search = dspy.Tool(web_search)
        self.retrieve = dspy.Retrieve(k=2)
        self.answer = dspy.Predict("sources: list[str], question -> answer, citation")

    def forward(self, question):
        try:
            sources = self.web_search(query=question)
        except TimeoutError:
            sources = self.retrieve(question).passages
        return self.answer(sources=sources, question=question)


def search_encyclopedia(query: str) -> list[str]:
    """Search an offline encyclopedia and return the two best passages."""
    return [p.long_text for p in encyclopedia_rm(query)]


_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def calculate(expression: str) -> float:
    """Evaluate an arithmetic expression such as '10600000 / 92230'."""
    pause(0.001, 0.003)

    def value(node):
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        raise ValueError("unsupported expression: %s" % expression)

    return round(value(ast.parse(expression, mode="eval").body), 2)


class Triage(dspy.Signature):
    """Classify a support ticket and set its priority."""

    ticket: str = dspy.InputField()
    category: Literal["authentication", "billing", "data", "bug", "other"] = dspy.OutputField()
    priority: Literal["P1", "P2", "P3"] = dspy.OutputField()


def exact_match(example, prediction, trace=None):
    return example.answer.strip().lower() == prediction.answer.strip().lower()


def run(out):
    if os.path.exists(out):
        os.remove(out)
    callback = SpanscopeCallback(out)
    dspy.configure(callbacks=[callback], rm=encyclopedia_rm)

    with dspy.context(lm=lm([{"answer": "Canberra"}])):
        dspy.Predict("question -> answer")(question="What is the capital of Australia?")

    with dspy.context(lm=lm([{
        "reasoning": "Everest is the highest mountain above sea level (8,849 m), but measured from base to peak "
                     "Mauna Kea is taller, about 10,210 m, most of it under the Pacific.",
        "verdict": "false",
        "confidence": "high",
    }])):
        dspy.ChainOfThought("claim -> verdict, confidence")(
            claim="Mount Everest is the tallest mountain on Earth measured from base to peak.")

    with dspy.context(lm=lm([
        {"query": "Tagus river mouth ocean"},
        {"reasoning": "The river that flows through Lisbon is the Tagus, and the Tagus empties into the Atlantic Ocean.",
         "answer": "The Atlantic Ocean"},
    ])):
        MultiHopRAG()(question="Into which ocean does the river that flows through Lisbon empty?")

    with dspy.context(lm=lm([
        {"next_thought": "I need Portugal's population and its area. First the population.",
         "next_tool_name": "search_encyclopedia", "next_tool_args": {"query": "population of Portugal"}},
        {"next_thought": "The population is about 10.6 million. Now the area.",
         "next_tool_name": "search_encyclopedia", "next_tool_args": {"query": "area of Portugal square kilometres"}},
        {"next_thought": "The area is 92,230 km2. Divide the population by the area.",
         "next_tool_name": "calculate", "next_tool_args": {"expression": "10600000 / 92230"}},
        {"next_thought": "About 114.93 people per km2; I have the answer.",
         "next_tool_name": "finish", "next_tool_args": {}},
        {"reasoning": "10.6 million people on 92,230 km2 is 10,600,000 / 92,230 = 114.93 per km2.",
         "answer": "About 115 people per square kilometre"},
    ])):
        agent = dspy.ReAct("question -> answer", tools=[search_encyclopedia, calculate], max_iters=6)
        agent(question="What is the population density of Portugal, in people per square kilometre?")

    with dspy.context(lm=lm([{
        "reasoning": "The parental leave policy gives 20 weeks of fully paid leave after 6 months of service, "
                     "in up to three blocks within 18 months.",
        "answer": "20 weeks of fully paid leave (after 6 months of service). You can split it into up to "
                  "three blocks, taken within 18 months of the birth or adoption.",
    }]), rm=cold_handbook_rm):
        HandbookQA()(question="How much parental leave do I get, and can I split it?")

    with dspy.context(lm=lm([{"category": "authentication", "priority": "P1"}])):
        dspy.Predict(Triage)(ticket="Since 08:40 nobody in our company can log in with Okta. The error page says "
                                    "'SAML response signature invalid'. We have a board demo at noon.")

    with dspy.context(lm=lm([], rate_limited=True), rm=handbook_rm):
        try:
            SupportReply()(customer_message="Hi, our annual plan renewed 12 days ago but we are moving to "
                                            "another vendor. Can we get a refund for the unused months? - Dana")
        except LMRateLimitError as exc:
            print("SupportReply failed: %s" % str(exc).splitlines()[0], file=sys.stderr)

    with dspy.context(lm=lm([{
        "vendor": "Hetzner Online GmbH",
        "invoice_number": "R0021937451",
        "amount_due": "EUR 1,284.20",
        "due_date": "2026-12-05",
    }])):
        dspy.Predict("invoice_email -> vendor, invoice_number, amount_due, due_date")(
            invoice_email="Dear customer, please find attached invoice R0021937451 for November 2026 "
                          "(dedicated servers AX102 x2, storage box BX21). The amount of EUR 1,284.20 will be "
                          "debited on 5 December 2026. Kind regards, Hetzner Online GmbH")

    with dspy.context(lm=lm([{
        "answer": "1910, by Marie Curie and Andre-Louis Debierne.",
        "citation": "Radium (Ra, atomic number 88) was first isolated as a pure metal ... in 1910",
    }])):
        CitedAnswer()(question="When was radium first isolated as a pure metal?")

    with dspy.context(lm=lm([
        {"query": "element named after Poland"},
        {"reasoning": "Marie Curie was Polish and discovered polonium and radium; polonium is named after Poland, "
                      "her homeland.",
         "answer": "Polonium"},
    ])):
        MultiHopRAG()(question="Which element discovered by Marie Curie takes its name from her homeland?")

    devset = [
        dspy.Example(question="What is the capital of Canada?", answer="Ottawa").with_inputs("question"),
        dspy.Example(question="What is the largest desert in Asia?", answer="Gobi").with_inputs("question"),
        dspy.Example(question="Which country has the most natural lakes?", answer="Canada").with_inputs("question"),
        dspy.Example(question="What is the capital of New Zealand?", answer="Wellington").with_inputs("question"),
    ]
    answers = {
        "capital of Canada": {"answer": "Ottawa"},
        "largest desert in Asia": {"answer": "Gobi"},
        "most natural lakes": {"answer": "Canada"},
        "capital of New Zealand": {"answer": "Auckland"},
    }
    with dspy.context(lm=lm(answers)):
        dspy.Evaluate(devset=devset, metric=exact_match, num_threads=2, display_progress=False,
                      display_table=False)(dspy.Predict("question -> answer"))

    with dspy.context(lm=lm([{
        "reasoning": "The note announces a new retention tier, a deprecation and a fix; the summary should lead "
                     "with what customers must act on.",
        "summary": "Enterprise workspaces now keep raw events for 25 months. The v1 export API is deprecated "
                   "and will be removed on 31 March 2027; migrate to v2. Fixed: CSV exports dropped rows "
                   "with non-ASCII names.",
    }])):
        dspy.ChainOfThought("release_note -> summary")(release_note=(
            "Release 2026.11.3. New: raw event retention on the Enterprise plan extended from 13 to 25 "
            "months, at no extra cost. Deprecated: the v1 export API (/api/v1/export) will be removed on "
            "31 March 2027; the v2 API supports the same filters and adds pagination. Fixed: CSV exports "
            "silently dropped rows whose user name contained non-ASCII characters."))

    with dspy.context(lm=lm([{"answer": "The Danube, which flows through ten countries."}])):
        dspy.Predict("question -> answer")(question="Which river flows through the most countries?")

    callback.close()
    return 1 if callback.failures else 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "demo.jsonl")))
