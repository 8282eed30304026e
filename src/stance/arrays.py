"""Arrays: large, mostly-zero or few-valued arrays stored compactly, and back bit for bit."""

from __future__ import annotations

from typing import Any

import numpy as np


def compact_array(array: Any) -> Any:
    """A smaller, lossless stand-in for a large array that is mostly zeros (a linear
    model's weights) or holds few distinct values (an idf table): a dict of smaller
    arrays. Anything else comes back as it is. :func:`expand_array` undoes it, bit for bit
    (-0.0 and NaN included), and passes plain arrays through.
    """
    if type(array) is not np.ndarray or array.size < 4096 or array.dtype.kind not in "fiu":
        return array
    bits = np.ascontiguousarray(array).reshape(-1).view(f"u{array.dtype.itemsize}")
    index_type = np.int32 if bits.size < 2**31 else np.int64
    nonzero = np.flatnonzero(bits)
    if len(nonzero) * 4 < bits.size:
        return {"compact": "nonzero", "shape": list(array.shape), "dtype": array.dtype.str,
                "index": nonzero.astype(index_type), "bits": bits[nonzero]}
    values, codes = np.unique(bits, return_inverse=True)
    if len(values) <= 2**16 and 2 < array.dtype.itemsize:
        return {"compact": "codes", "shape": list(array.shape), "dtype": array.dtype.str,
                "values": values, "codes": codes.astype(np.uint16)}
    return array


def expand_array(state: Any) -> Any:
    """The array that :func:`compact_array` made ``state`` from (or ``state`` itself)."""
    if type(state) is not dict or "compact" not in state:
        return state
    dtype = np.dtype(state["dtype"])
    shape = tuple(int(n) for n in state["shape"])
    if state["compact"] == "nonzero":
        bits = np.zeros(int(np.prod(shape)), dtype=f"u{dtype.itemsize}")
        bits[state["index"]] = state["bits"]
    elif state["compact"] == "codes":
        bits = state["values"][state["codes"]]
    else:
        raise ValueError(f"unknown compact form {state['compact']!r}")
    return bits.view(dtype).reshape(shape)
