"""Write DSPy traces as JSON lines that spanscope reads (schema "dspy-callback-jsonl v1").

Usage::

    import dspy
    from spanscope_dspy import SpanscopeCallback
    dspy.configure(callbacks=[SpanscopeCallback("traces.jsonl")])

then ``spanscope traces.jsonl``. The file can be read while the program runs: every line is
flushed as soon as it is written, and a new run appends to the same file.

What it writes: one JSON object per line for each DSPy callback event, a ``*_start`` line when a
call begins and a ``*_end`` line when it returns or raises, joined by ``call_id``. Calls are
modules (Predict, ChainOfThought, ReAct, your own dspy.Module subclasses, Retrieve), LM calls,
adapter format/parse, tools, Evaluate, optimizer compile runs, and code interpreters (the code
CodeAct or RLM ran, the host tools it called, the interpreter's start and shutdown). Every line has::

    v, seq, event, kind, phase, call_id, parent_call_id, root_call_id,
    ts, ts_unix_ns, thread, instance

start lines add ``inputs`` (and ``lm`` {model, model_type, kwargs} or ``tool`` {name,
description}); end lines add ``duration_ms``, ``outputs``, ``exception`` ({type, message} or
null) and, for LM calls, ``lm`` {model, model_type, usage, response_model, cost}, where usage is
what DSPy recorded for that call in the LM's history (prompt/completion/total tokens; zeros when
the LM reports none). ``root_call_id`` serves as the trace id: the top-most enclosing call, except
that an optimizer's compile, an Evaluate, and each program run directly inside either one are
traces of their own (their ``parent_call_id`` still names the call they ran in). Lines of calls
inside a compile carry ``run_call_id`` (the innermost compile; a compile's own lines, its own id),
and inside an Evaluate ``evaluate_call_id`` likewise. An Evaluate's end line has as ``outputs``
{score (DSPy's aggregate), metric, results: [{example (its index in the devset), root_call_id
(the trace of that example's program run, or null), score (the metric's value)}]}.
Values that are not JSON (signatures, programs, arbitrary objects) are written as ``repr()``
strings; Predictions and Examples as objects. Credentials among the LM's keyword arguments
(``api_key``, ``*_token``, headers, ...) are written as ``"<redacted>"``.

The callback never raises into your program: a failure inside it (say, a full disk) is counted in
``SpanscopeCallback.failures`` and reported once as a RuntimeWarning, and the program goes on.
It is thread-safe (one lock around the line counter and the write) and needs only the standard
library and DSPy (3.x). ``seq`` counts lines per callback instance, from 1.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import os
import re
import threading
import time
import warnings
from collections import OrderedDict
from typing import Any, Dict, Optional

from dspy.utils.callback import BaseCallback

try:
    from dspy.utils.callback_context import ACTIVE_CALL_ID as _ACTIVE_CALL_ID
except ImportError:  # older DSPy keeps it next to BaseCallback
    from dspy.utils.callback import ACTIVE_CALL_ID as _ACTIVE_CALL_ID

__all__ = ["SpanscopeCallback", "enable", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1

_MAX_DEPTH = 24  # nesting kept as JSON; deeper values become repr() strings
_MAX_REPR = 100_000  # characters kept of one repr() string
_RECENT_CALLS = 4096  # ended calls remembered, for children that start after their parent ended
_HISTORY_SCAN = 64  # LM history entries searched for the usage of one call


def _now_ns() -> int:
    return time.time_ns()


def _iso(ns: int) -> str:
    sec, rem = divmod(ns, 1_000_000_000)
    dt = datetime.datetime.fromtimestamp(sec, tz=datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (rem // 1000)


def _repr(obj: Any) -> str:
    try:
        text = repr(obj)
    except Exception as exc:  # a broken __repr__ must not lose the line
        text = "<%s (repr failed: %s)>" % (type(obj).__name__, type(exc).__name__)
    if len(text) > _MAX_REPR:
        text = text[:_MAX_REPR] + "...[%d more characters]" % (len(text) - _MAX_REPR)
    return text


def _jsonable(obj: Any, depth: int = 0) -> Any:
    """A JSON-ready copy of ``obj``: containers kept up to _MAX_DEPTH, anything else repr()."""
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else repr(obj)
    if depth >= _MAX_DEPTH:
        return _repr(obj)
    depth += 1
    if isinstance(obj, dict):
        return {_key(k): _jsonable(v, depth) for k, v in list(obj.items())}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [_jsonable(v, depth) for v in list(obj)]
    if isinstance(obj, (bytes, bytearray)):
        return _repr(obj)
    if isinstance(obj, type):  # classes (signatures included) are shown as DSPy prints them
        return _repr(obj)
    # dspy.Prediction / dspy.Example (EvaluationResult too): their fields as an object
    to_dict = getattr(obj, "toDict", None)
    if callable(to_dict) and hasattr(obj, "_store"):
        try:
            return _jsonable(to_dict(), depth)
        except Exception:
            return _repr(obj)
    if dataclasses.is_dataclass(obj):
        try:
            return {f.name: _jsonable(getattr(obj, f.name, None), depth) for f in dataclasses.fields(obj)}
        except Exception:
            return _repr(obj)
    dump = getattr(obj, "model_dump", None)  # pydantic models
    if callable(dump):
        try:
            return _jsonable(dump(), depth)
        except Exception:
            return _repr(obj)
    if isinstance(obj, BaseException):
        return {"type": type(obj).__name__, "message": str(obj)}
    to_list = getattr(obj, "tolist", None)  # numpy scalars and arrays (metric scores, embeddings)
    if callable(to_list) and type(obj).__module__ == "numpy":
        try:
            return _jsonable(to_list(), depth)
        except Exception:
            return _repr(obj)
    return _repr(obj)


def _key(k: Any) -> str:
    if isinstance(k, str):
        return k
    return json.dumps(k) if k is None or isinstance(k, (bool, int, float)) else _repr(k)


_SECRET = re.compile(r"(^|_)(key|secret|password|token|authorization|credentials?)$|^(extra_|default_)?headers$")


def _redacted(kwargs: Any) -> Any:
    """LM keyword arguments without credentials (dspy.LM keeps api_key= among them)."""
    if not isinstance(kwargs, dict):
        return kwargs
    return {k: "<redacted>" if isinstance(k, str) and _SECRET.search(k.lower()) else v for k, v in kwargs.items()}


def _exception(exc: Optional[BaseException]) -> Optional[Dict[str, str]]:
    if exc is None:
        return None
    try:
        message = str(exc)
    except Exception:
        message = _repr(exc)
    return {"type": type(exc).__name__, "message": message}


def _instance(obj: Any, kind: str) -> Dict[str, Any]:
    cls = type(obj)
    info: Dict[str, Any] = {"class": cls.__name__, "module": cls.__module__}
    if kind == "module":
        sig = getattr(obj, "signature", None)
        inputs = getattr(sig, "input_fields", None)
        outputs = getattr(sig, "output_fields", None)
        if isinstance(sig, type) and isinstance(inputs, dict) and isinstance(outputs, dict):
            info["signature"] = sig.__name__
            info["signature_fields"] = "%s -> %s" % (", ".join(inputs), ", ".join(outputs))
    elif kind == "tool":
        name = getattr(obj, "name", None)
        if name is not None:
            info["name"] = str(name)
    return info


# Calls that make a trace of their own, and whose direct children do too: an optimizer's compile
# and an Evaluate run a program many times, and each run is one request to look at.
_SPLITTING = ("compile", "evaluate")


class _Call:
    __slots__ = (
        "kind", "parent", "root", "start_ns", "instance", "obj", "messages", "prompt",
        "run", "evaluation", "kwargs", "runs", "metric",
    )

    def __init__(self, kind, parent, root, start_ns, instance, obj=None, messages=None, prompt=None):
        self.kind = kind
        self.parent = parent
        self.root = root
        self.start_ns = start_ns
        self.instance = instance
        self.obj = obj  # the LM, for its history at the end of the call
        self.messages = messages
        self.prompt = prompt
        self.run = None  # the innermost enclosing compile call (its own id for a compile)
        self.evaluation = None  # the innermost enclosing Evaluate call (its own id for one)
        self.kwargs = None  # a program run's keyword inputs, when its parent is an Evaluate
        self.runs = None  # an Evaluate's program runs: [prediction, call_id, kwargs, matched]
        self.metric = None  # an Evaluate's metric name


class SpanscopeCallback(BaseCallback):
    """A DSPy callback that appends dspy-callback-jsonl v1 lines to ``path``.

    ``path`` is a file name (opened for appending, created if missing) or an object with a
    ``write(str)`` method (a text stream such as ``sys.stderr``), which is flushed after each line.
    """

    def __init__(self, path: Any = "spanscope.jsonl"):
        super().__init__()
        self._lock = threading.Lock()
        self._seq = 0
        self._calls: Dict[str, _Call] = {}
        self._ended: "OrderedDict[str, _Call]" = OrderedDict()  # recently ended calls
        self._claimed: "OrderedDict[str, None]" = OrderedDict()  # LM history entries already used
        self.failures = 0
        self._warned = False
        self._stream = None
        self._fd: Optional[int] = None
        if isinstance(path, (str, bytes, os.PathLike)):
            self.path = os.fspath(path)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        else:
            self.path = getattr(path, "name", None)
            self._stream = path

    # -- output ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the file (lines written later are dropped). Safe to call twice."""
        with self._lock:
            fd, self._fd = self._fd, None
            self._stream = None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> "SpanscopeCallback":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def _write(self, record: Dict[str, Any]) -> None:
        """Number the line, serialize it and append it with one write."""
        with self._lock:
            if self._fd is None and self._stream is None:
                return
            self._seq += 1
            line = {"v": SCHEMA_VERSION, "seq": self._seq}
            line.update(record)
            text = json.dumps(line, ensure_ascii=False, allow_nan=False, default=_repr) + "\n"
            if self._fd is not None:
                data = text.encode("utf-8", "backslashreplace")
                while data:
                    n = os.write(self._fd, data)
                    data = data[n:]
            else:
                self._stream.write(text)
                flush = getattr(self._stream, "flush", None)
                if flush is not None:
                    flush()

    def _failed(self, hook: str, exc: BaseException) -> None:
        self.failures += 1
        if not self._warned:
            self._warned = True
            try:
                warnings.warn(
                    "spanscope_dspy: %s failed (%s: %s); further failures are only counted in "
                    "SpanscopeCallback.failures" % (hook, type(exc).__name__, exc),
                    RuntimeWarning,
                    stacklevel=3,
                )
            except Exception:
                pass

    # -- bookkeeping ----------------------------------------------------------------------

    def _placed(self, kind: str, call_id: str, parent: Optional[str]) -> _Call:
        """A new call, with its trace (root), run and evaluation taken from its parent."""
        with self._lock:
            above = None if parent is None else self._calls.get(parent) or self._ended.get(parent)
        call = _Call(kind, parent, call_id, None, {})
        if parent is not None and kind not in _SPLITTING:
            if above is None:
                call.root = parent  # a parent from before this callback was added
            elif above.kind not in _SPLITTING:
                call.root = above.root
        if above is not None:
            call.run, call.evaluation = above.run, above.evaluation
        if kind == "compile":
            call.run = call_id
        elif kind == "evaluate":
            call.evaluation = call_id
        return call

    def _head(self, event_kind: str, phase: str, call_id: str, call: _Call, ns: int):
        head = {
            "event": "%s_%s" % (event_kind, phase),
            "kind": event_kind,
            "phase": phase,
            "call_id": call_id,
            "parent_call_id": call.parent,
            "root_call_id": call.root,
            "ts": _iso(ns),
            "ts_unix_ns": ns,
            "thread": threading.current_thread().name,
            "instance": call.instance,
        }
        if call.run is not None:
            head["run_call_id"] = call.run
        if call.evaluation is not None:
            head["evaluate_call_id"] = call.evaluation
        return head

    def _start(self, kind: str, call_id: str, instance: Any, inputs: Any) -> None:
        ns = _now_ns()
        call = self._placed(kind, call_id, _ACTIVE_CALL_ID.get())
        call.start_ns = ns
        call.instance = _instance(instance, kind)
        if kind == "interpreter_tool_call" and isinstance(inputs, dict) and inputs.get("tool_name"):
            call.instance["name"] = str(inputs["tool_name"])  # the host tool the code called
        record = self._head(kind, "start", call_id, call, ns)
        if call.parent is not None and call.evaluation == call.parent and isinstance(inputs, dict):
            call.kwargs = inputs.get("kwargs")  # a program run of an Evaluate, matched at its end
        if kind == "evaluate":
            call.runs = []
            metric = (inputs.get("metric") if isinstance(inputs, dict) else None) or getattr(
                instance, "metric", None
            )
            if metric is not None:
                call.metric = str(getattr(metric, "__name__", None) or type(metric).__name__)
        if kind == "lm" and isinstance(inputs, dict):
            call.messages = inputs.get("messages")
            call.prompt = inputs.get("prompt")
            inputs = dict(inputs, kwargs=_redacted(inputs.get("kwargs")))
        elif kind == "module" and isinstance(inputs, dict) and isinstance(inputs.get("kwargs"), dict):
            config = inputs["kwargs"].get("config")  # Predict(..., config={...}) goes to the LM
            if isinstance(config, dict):
                inputs = dict(inputs, kwargs=dict(inputs["kwargs"], config=_redacted(config)))
        record["inputs"] = _jsonable(inputs)
        if kind == "lm":
            call.obj = instance
            record["lm"] = {
                "model": _jsonable(getattr(instance, "model", None)),
                "model_type": _jsonable(getattr(instance, "model_type", None)),
                "kwargs": _jsonable(_redacted(getattr(instance, "kwargs", None))),
            }
        elif kind == "tool":
            record["tool"] = {
                "name": _jsonable(getattr(instance, "name", None)),
                "description": _jsonable(getattr(instance, "desc", None)),
            }
        with self._lock:
            self._calls[call_id] = call
        self._write(record)

    def _end(self, kind: str, call_id: str, outputs: Any, exception: Optional[BaseException]) -> None:
        ns = _now_ns()
        with self._lock:
            call = self._calls.pop(call_id, None)
            if call is not None:
                self._ended[call_id] = call
                while len(self._ended) > _RECENT_CALLS:
                    self._ended.popitem(last=False)
                evaluation = self._calls.get(call.parent) if call.kwargs is not None else None
                if evaluation is not None and evaluation.runs is not None:
                    evaluation.runs.append([outputs, call_id, call.kwargs, False])
        if call is None:  # the callback was added while this call ran
            call = self._placed(kind, call_id, _ACTIVE_CALL_ID.get())
        record = self._head(kind, "end", call_id, call, ns)
        if call.start_ns is not None:
            record["duration_ms"] = round((ns - call.start_ns) / 1e6, 3)
        if exception is not None:
            record["outputs"] = None
        elif kind == "evaluate":
            record["outputs"] = self._evaluation(call, outputs)
        else:
            record["outputs"] = _jsonable(outputs)
        record["exception"] = _exception(exception)
        if kind == "lm":
            record["lm"] = self._lm_end(call, exception)
        self._write(record)
        call.obj = call.messages = call.prompt = call.kwargs = None  # kept only for children

    @staticmethod
    def _evaluation(call: _Call, outputs: Any) -> Dict[str, Any]:
        """An Evaluate's aggregate score, and each example's score with the trace it ran in."""
        runs = call.runs or []
        results = []
        for index, result in enumerate(getattr(outputs, "results", None) or []):
            try:
                example, prediction, score = result
            except (TypeError, ValueError):
                continue
            found = next((r for r in runs if not r[3] and r[0] is prediction), None)
            if found is None:
                try:
                    wanted = dict(example.inputs().items())
                except Exception:
                    wanted = None
                found = next((r for r in runs if not r[3] and wanted is not None and r[2] == wanted), None)
            if found is not None:
                found[3] = True
            results.append({
                "example": index,
                "root_call_id": None if found is None else found[1],
                "score": _jsonable(score),
            })
        call.runs = None
        return {
            "score": _jsonable(getattr(outputs, "score", None)),
            "metric": call.metric,
            "results": results,
        }

    def _lm_end(self, call: _Call, exception: Optional[BaseException]) -> Dict[str, Any]:
        lm = call.obj
        info: Dict[str, Any] = {
            "model": _jsonable(getattr(lm, "model", None)),
            "model_type": _jsonable(getattr(lm, "model_type", None)),
        }
        if exception is not None or lm is None:
            return info
        entry = self._history_entry(call)
        if entry is None:
            return info
        usage = entry.get("usage")
        usage = _jsonable(dict(usage)) if isinstance(usage, dict) else {}
        for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
            usage.setdefault(key, 0)
        info["usage"] = usage
        info["response_model"] = _jsonable(entry.get("response_model"))
        info["cost"] = _jsonable(entry.get("cost"))
        if entry.get("model") is not None:
            info["model"] = _jsonable(entry.get("model"))
        return info

    def _history_entry(self, call: _Call) -> Optional[Dict[str, Any]]:
        """This call's entry in the LM's history (where DSPy keeps usage and cost)."""
        sources = [getattr(call.obj, "history", None)]
        try:
            from dspy.clients.base_lm import GLOBAL_HISTORY

            sources.append(GLOBAL_HISTORY)
        except Exception:
            pass
        for history in sources:
            if not isinstance(history, list) or not history:
                continue
            recent = history[-_HISTORY_SCAN:]
            fallback = None
            for entry in reversed(recent):
                if not isinstance(entry, dict):
                    continue
                uid = entry.get("uuid") or id(entry)
                with self._lock:
                    if uid in self._claimed:
                        continue
                if fallback is None:
                    fallback = (uid, entry)
                if entry.get("messages") == call.messages and entry.get("prompt") == call.prompt:
                    return self._claim(uid, entry)
            if fallback is not None:
                return self._claim(*fallback)
        return None

    def _claim(self, uid: Any, entry: Dict[str, Any]) -> Dict[str, Any]:
        with self._lock:
            self._claimed[uid] = None
            while len(self._claimed) > _RECENT_CALLS:
                self._claimed.popitem(last=False)
        return entry

    # -- DSPy hooks -----------------------------------------------------------------------

    def _on_start(self, kind, call_id, instance, inputs):
        try:
            self._start(kind, call_id, instance, inputs)
        except Exception as exc:
            self._failed("%s_start" % kind, exc)

    def _on_end(self, kind, call_id, outputs, exception):
        try:
            self._end(kind, call_id, outputs, exception)
        except Exception as exc:
            self._failed("%s_end" % kind, exc)

    def on_module_start(self, call_id, instance, inputs):
        self._on_start("module", call_id, instance, inputs)

    def on_module_end(self, call_id, outputs, exception=None):
        self._on_end("module", call_id, outputs, exception)

    def on_lm_start(self, call_id, instance, inputs):
        self._on_start("lm", call_id, instance, inputs)

    def on_lm_end(self, call_id, outputs, exception=None):
        self._on_end("lm", call_id, outputs, exception)

    def on_adapter_format_start(self, call_id, instance, inputs):
        self._on_start("adapter_format", call_id, instance, inputs)

    def on_adapter_format_end(self, call_id, outputs, exception=None):
        self._on_end("adapter_format", call_id, outputs, exception)

    def on_adapter_parse_start(self, call_id, instance, inputs):
        self._on_start("adapter_parse", call_id, instance, inputs)

    def on_adapter_parse_end(self, call_id, outputs, exception=None):
        self._on_end("adapter_parse", call_id, outputs, exception)

    def on_tool_start(self, call_id, instance, inputs):
        self._on_start("tool", call_id, instance, inputs)

    def on_tool_end(self, call_id, outputs, exception=None):
        self._on_end("tool", call_id, outputs, exception)

    def on_evaluate_start(self, call_id, instance, inputs):
        self._on_start("evaluate", call_id, instance, inputs)

    def on_evaluate_end(self, call_id, outputs, exception=None):
        self._on_end("evaluate", call_id, outputs, exception)

    # code interpreters (CodeAct, ProgramOfThought, RLM, Flex): kinds interpreter_execute,
    # interpreter_tool_call (a host tool the code called), interpreter_startup, interpreter_shutdown

    def on_interpreter_execute_start(self, call_id, instance, inputs):
        self._on_start("interpreter_execute", call_id, instance, inputs)

    def on_interpreter_execute_end(self, call_id, outputs, exception=None):
        self._on_end("interpreter_execute", call_id, outputs, exception)

    def on_interpreter_tool_call_start(self, call_id, instance, inputs):
        self._on_start("interpreter_tool_call", call_id, instance, inputs)

    def on_interpreter_tool_call_end(self, call_id, outputs, exception=None):
        self._on_end("interpreter_tool_call", call_id, outputs, exception)

    def on_interpreter_startup_start(self, call_id, instance, inputs):
        self._on_start("interpreter_startup", call_id, instance, inputs)

    def on_interpreter_startup_end(self, call_id, outputs, exception=None):
        self._on_end("interpreter_startup", call_id, outputs, exception)

    def on_interpreter_shutdown_start(self, call_id, instance, inputs):
        self._on_start("interpreter_shutdown", call_id, instance, inputs)

    def on_interpreter_shutdown_end(self, call_id, outputs, exception=None):
        self._on_end("interpreter_shutdown", call_id, outputs, exception)

    def on_compile_start(self, call_id, instance, inputs):
        self._on_start("compile", call_id, instance, inputs)

    def on_compile_end(self, call_id, outputs, exception=None):
        self._on_end("compile", call_id, outputs, exception)


def enable(path: Any = "spanscope.jsonl") -> SpanscopeCallback:
    """Add a SpanscopeCallback writing to ``path`` to DSPy's global callbacks and return it."""
    import dspy

    callback = SpanscopeCallback(path)
    current = list(dspy.settings.get("callbacks", None) or [])
    dspy.configure(callbacks=current + [callback])
    return callback
