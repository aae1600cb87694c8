"""Results travel from the student's kernel to the grader as JSON: arrays as base64 bytes."""
from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np


def encode(value: Any) -> Any:
    """A JSON-able description of value; anything unknown becomes its type name and repr."""
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        arr = np.asarray(value)
        if arr.dtype == object:
            return {"__repr__": repr(value)[:500], "type": type(value).__name__}
        arr = np.array(arr, order="C", copy=True)  # (ascontiguousarray would make 0-d arrays 1-d)
        return {"__nd__": base64.b64encode(arr.tobytes()).decode("ascii"),
                "dtype": arr.dtype.str, "shape": list(arr.shape),
                "scalar": isinstance(value, np.generic)}
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not np.isfinite(value):
            return {"__float__": repr(value)}
        return value
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[encode(k), encode(v)] for k, v in value.items()]}
    return {"__repr__": repr(value)[:500], "type": type(value).__name__}


class Unrepresentable:
    """Stands for a returned object that cannot cross to the grader (a function, a generator...)."""
    def __init__(self, text: str, type_name: str):
        self.text, self.type_name = text, type_name

    def __repr__(self) -> str:
        return self.text


def decode(data: Any) -> Any:
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "__nd__" in data:
        raw = base64.b64decode(data["__nd__"])
        arr = np.frombuffer(raw, dtype=np.dtype(data["dtype"])).reshape(data["shape"]).copy()
        return arr[()] if data.get("scalar") else arr
    if "__float__" in data:
        return float(data["__float__"])
    if "__tuple__" in data:
        return tuple(decode(v) for v in data["__tuple__"])
    if "__dict__" in data:
        return {decode(k): decode(v) for k, v in data["__dict__"]}
    if "__repr__" in data:
        return Unrepresentable(data["__repr__"], data.get("type", "object"))
    raise ValueError(f"not an encoded value: {sorted(data)[:5]}")


def case_key(fn: str, case: dict) -> str:
    """One canonical text for a (function, case) pair, used to look up expected values."""
    return json.dumps([fn, case], sort_keys=True, separators=(",", ":"))
