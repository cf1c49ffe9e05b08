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
adapter format/parse, tools, Evaluate and optimizer compile runs. Every line has::

    v, seq, event, kind, phase, call_id, parent_call_id, root_call_id,
    ts, ts_unix_ns, thread, instance

start lines add ``inputs`` (and ``lm`` {model, model_type, kwargs} or ``tool`` {name,
description}); end lines add ``duration_ms``, ``outputs``, ``exception`` ({type, message} or
null) and, for LM calls, ``lm`` {model, model_type, usage, response_model, cost}, where usage is
what DSPy recorded for that call in the LM's history (prompt/completion/total tokens; zeros when
the LM reports none). ``root_call_id`` is the top-most enclosing call and serves as the trace id.
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


class _Call:
    __slots__ = ("kind", "parent", "root", "start_ns", "instance", "obj", "messages", "prompt")

    def __init__(self, kind, parent, root, start_ns, instance, obj=None, messages=None, prompt=None):
        self.kind = kind
        self.parent = parent
        self.root = root
        self.start_ns = start_ns
        self.instance = instance
        self.obj = obj  # the LM, for its history at the end of the call
        self.messages = messages
        self.prompt = prompt


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
        self._ended: "OrderedDict[str, str]" = OrderedDict()  # call_id -> root_call_id
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

    def _root_of(self, parent: Optional[str], call_id: str) -> str:
        if parent is None:
            return call_id
        with self._lock:
            live = self._calls.get(parent)
            if live is not None:
                return live.root
            return self._ended.get(parent, parent)

    def _head(self, event_kind: str, phase: str, call_id: str, parent, root, ns: int, instance):
        return {
            "event": "%s_%s" % (event_kind, phase),
            "kind": event_kind,
            "phase": phase,
            "call_id": call_id,
            "parent_call_id": parent,
            "root_call_id": root,
            "ts": _iso(ns),
            "ts_unix_ns": ns,
            "thread": threading.current_thread().name,
            "instance": instance,
        }

    def _start(self, kind: str, call_id: str, instance: Any, inputs: Any) -> None:
        ns = _now_ns()
        parent = _ACTIVE_CALL_ID.get()
        root = self._root_of(parent, call_id)
        info = _instance(instance, kind)
        call = _Call(kind, parent, root, ns, info)
        record = self._head(kind, "start", call_id, parent, root, ns, info)
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
                self._ended[call_id] = call.root
                while len(self._ended) > _RECENT_CALLS:
                    self._ended.popitem(last=False)
        if call is None:  # the callback was added while this call ran
            parent = _ACTIVE_CALL_ID.get()
            call = _Call(kind, parent, self._root_of(parent, call_id), None, {})
        record = self._head(kind, "end", call_id, call.parent, call.root, ns, call.instance)
        if call.start_ns is not None:
            record["duration_ms"] = round((ns - call.start_ns) / 1e6, 3)
        record["outputs"] = None if exception is not None else _jsonable(outputs)
        record["exception"] = _exception(exception)
        if kind == "lm":
            record["lm"] = self._lm_end(call, exception)
        self._write(record)

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
