#!/usr/bin/env python3
"""Build the starting corpus of every fuzz target from the test fixtures (real traces of every
format), into fuzz/corpus/<target>/. Run by fuzz/run.sh; safe to run again."""

import hashlib
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent
FIXTURES = ROOT.parent / "tests" / "fixtures"
CORPUS = ROOT / "corpus"
# the `record` target's first byte picks the parser: 0 sniffs, 1 + i is entry i of the format
# table (src/ingest/formats/mod.rs, names as there; tests/fuzz_corpus.rs checks this line)
PARSER = {"detect": 0, "otlp-json": 1, "otlp-proto": 2, "mlflow": 3, "mlflow-search": 4, "dspy-callback": 5, "event": 6, "request": 7, "spanscope-trace": 8, "dspy-history": 9, "otlp-logs-json": 10, "otlp-logs-proto": 11}
MAX_FILE = 300_000

QUERIES = [
    "dur>2s status:error", "status:error|running", "name:retrieve", "model:gpt-4o", "tokens>1k",
    "spans>10", "kind:llm", "id:5cfea1bf", "attr.fixture.program=evaluate", "attr.env:prod",
    "span.dur>1s span.kind:llm", "span.status:error", "span.pct>25", "-status:error rag",
    'name:"multi hop"', "dur>=100ms dur<150ms", "attr.\"a b\"=\"c d\"", "-span.model:gpt",
    "rag react", "pct>=50.5", "dur<1.5ms", "tokens<=12k spans>=3",
]


def put(target: str, data: bytes) -> None:
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def shape(line: bytes) -> str:
    try:
        v = json.loads(line)
    except ValueError:
        return "detect"
    if not isinstance(v, dict):
        return "detect"
    if v.get("schema") == "spanscope-trace/1":
        return "spanscope-trace"
    if "resourceSpans" in v or "resource_spans" in v:
        return "otlp-json"
    if "resourceLogs" in v or "resource_logs" in v:
        return "otlp-logs-json"
    if "info" in v and "data" in v:
        return "mlflow"
    if "traces" in v and "next_page_token" in v:
        return "mlflow-search"
    if "call_id" in v:
        return "dspy-callback"
    if v.get("event") or v.get("type") in ("trace_start", "span", "trace_end"):
        return "event"
    return "request"


def main() -> None:
    for f in sorted(FIXTURES.rglob("*")):
        if not f.is_file() or f.name.endswith(".meta.json") or f.name == "ground_truth.json":
            continue
        data = f.read_bytes()
        if len(data) <= MAX_FILE:
            put("file", data)
        put("detect", data[:4096])
        meta = f.with_name(f.name.split(".")[0] + ".meta.json")
        if meta.exists():
            m = json.loads(meta.read_text())
            enc = {"gzip": 1, "deflate": 2}.get(m.get("content_encoding") or "", 0)
            proto = 0 if "protobuf" in m.get("content_type", "") else 4
            put("otlp_body", bytes([enc | proto]) + data)
            if enc == 0 and proto == 0 and len(data) <= MAX_FILE:
                put("record", bytes([PARSER["otlp-proto"]]) + data)
        if f.suffix == ".txt" and len(data) <= MAX_FILE:
            put("record", bytes([PARSER["dspy-history"]]) + data)
        if f.suffix in (".jsonl", ".json"):
            lines = data.splitlines() if f.suffix == ".jsonl" else [data]
            for line in lines[:40]:
                if line.strip():
                    put("record", bytes([PARSER[shape(line)]]) + line)
                    put("record", bytes([0]) + line)
                    put("detect", line)
    for q in QUERIES:
        put("filter", q.encode())


if __name__ == "__main__":
    main()
