"""Load a `spanscope export --as examples` file with DSPy, as the README says, and check it.

    python tests/python/load_examples.py EXAMPLES.jsonl

Every row becomes a dspy.Example whose input is `question`; each has the program's answer and
its score. Prints the examples as JSON, one object per line, for the test to compare.
"""

import json
import sys

import dspy

rows = [json.loads(line) for line in open(sys.argv[1])]
examples = [dspy.Example(**row).with_inputs("question") for row in rows]
for ex in examples:
    assert set(ex.inputs().keys()) == {"question"}, ex
    assert set(ex.labels().keys()) == {"answer", "score"}, ex
    print(json.dumps({"question": ex.question, "answer": ex.answer, "score": ex.score}))
