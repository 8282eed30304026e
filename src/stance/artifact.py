"""Model files: a JSON header with metadata, then a joblib payload, checked before loading.

Layout of a ``.joblib`` model file written by stance::

    b"STANCE-MODEL\\n"            magic line
    8 bytes, big-endian          length of the header
    header                       UTF-8 JSON: format, versions, labels, hashes, ...
    payload                      joblib (pickle) bytes of the trained model

Format 2 payloads hold the model's scorers (numpy arrays and stance classes only) and,
as a separate joblib blob inside, its scikit-learn pipelines; labelling unpickles only
the first, so it never imports scikit-learn. Format 1 (pipelines only) still loads.

Trust model: joblib payloads are pickles, and unpickling runs code. Only load model files
from a source you trust. Before unpickling, :func:`read_model` checks (1) the magic line,
(2) the format version, (3) the sha256 of the payload against the header, which catches
truncation and corruption, (4) the dependency versions the model needs, and optionally
(5) the sha256 of the whole file against a hash you pinned (``expected_sha256``), which is
the only check that protects against a deliberately altered file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from .errors import Errors, ModelIntegrityError, ModelNotFoundError, ModelVersionError
from .write import atomic_output

MAGIC = b"STANCE-MODEL\n"
FORMAT_VERSION = 2
SUPPORTED_FORMATS = (1, 2)
# Packages whose objects live inside the pickle, and how closely they must match.
PINNED_PACKAGES = ("scikit-learn", "numpy", "scipy", "spacy")


def installed_version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def stance_version() -> str:
    from . import __version__

    return __version__


def _minor_range(found: str) -> str:
    """``"1.9.1"`` -> ``">=1.9,<1.10"``: the range a pickle is expected to survive."""
    parts = found.split(".")
    major, minor = int(parts[0]), int("".join(ch for ch in parts[1] if ch.isdigit()) or 0)
    return f">={major}.{minor},<{major}.{minor + 1}"


def _major_minor(text: str) -> tuple[int, int]:
    parts = text.split(".")
    return int(parts[0]), int("".join(ch for ch in parts[1] if ch.isdigit()) or 0)


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_metadata(*, labels: list[str], training_data_sha256: str, extra: dict[str, Any]) -> dict[str, Any]:
    versions = {name: installed_version(name) for name in PINNED_PACKAGES}
    return {
        "format": FORMAT_VERSION,
        "stance_version": stance_version(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "labels": list(labels),
        "training_data_sha256": training_data_sha256,
        "versions": versions,
        "requires": {name: _minor_range(v) for name, v in versions.items() if v[0].isdigit()},
        **extra,
    }


def compact_array(array: Any) -> Any:
    """A smaller, lossless stand-in for pickling a large array that is mostly zeros (a
    linear model's weights) or holds few distinct values (an idf table); anything else
    comes back as it is. :func:`expand_array` undoes it, bit for bit (-0.0 and NaN
    included), and passes plain arrays through, so files written without it still load.

    Unpacking a few MB is faster than inflating tens of MB of dense zeros, and every
    labelling process pays for it before its first row.
    """
    if type(array) is not np.ndarray or array.size < 4096 or array.dtype.kind not in "fiu":
        return array
    bits = np.ascontiguousarray(array).reshape(-1).view(f"u{array.dtype.itemsize}")
    index_type = np.int32 if bits.size < 2**31 else np.int64
    nonzero = np.flatnonzero(bits)
    if len(nonzero) * 4 < bits.size:
        return {"compact": "nonzero", "shape": array.shape, "dtype": array.dtype.str,
                "index": nonzero.astype(index_type), "bits": bits[nonzero]}
    values, codes = np.unique(bits, return_inverse=True)
    if len(values) <= 2**16 and 2 < array.dtype.itemsize:
        return {"compact": "codes", "shape": array.shape, "dtype": array.dtype.str,
                "values": values, "codes": codes.astype(np.uint16)}
    return array


def expand_array(state: Any) -> Any:
    """The array that :func:`compact_array` made ``state`` from (or ``state`` itself)."""
    if type(state) is not dict or "compact" not in state:
        return state
    dtype = np.dtype(state["dtype"])
    if state["compact"] == "nonzero":
        bits = np.zeros(int(np.prod(state["shape"])), dtype=f"u{dtype.itemsize}")
        bits[state["index"]] = state["bits"]
    else:
        bits = state["values"][state["codes"]]
    return bits.view(dtype).reshape(state["shape"])


def dumps(obj: Any) -> bytes:
    """``obj`` as compressed joblib bytes."""
    buffer = io.BytesIO()
    joblib.dump(obj, buffer, compress=3)
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    """The object in joblib bytes from :func:`dumps`; only for bytes already checked
    as part of a model file's payload."""
    return joblib.load(io.BytesIO(data))


def write_model(path: str | os.PathLike[str], obj: Any, metadata: dict[str, Any]) -> str:
    """Write ``obj`` with ``metadata`` atomically; return the sha256 of the whole file."""
    payload = dumps(obj)
    header = dict(metadata, payload_sha256=hashlib.sha256(payload).hexdigest())
    header_bytes = json.dumps(header, sort_keys=True).encode("utf-8")
    with atomic_output(path, force=True) as handle:
        handle.write(MAGIC)
        handle.write(len(header_bytes).to_bytes(8, "big"))
        handle.write(header_bytes)
        handle.write(payload)
    return sha256_file(path)


def read_header(path: str | os.PathLike[str]) -> tuple[dict[str, Any], int]:
    """Read and parse the header without unpickling anything. Returns (header, payload offset)."""
    path = Path(path)
    if not path.is_file():
        raise ModelNotFoundError(Errors.E001.format(path=path))
    with open(path, "rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise ModelIntegrityError(Errors.E002.format(path=path, reason="it does not start with the stance model header"))
        size_bytes = handle.read(8)
        size = int.from_bytes(size_bytes, "big") if len(size_bytes) == 8 else -1
        if size <= 0 or size > 10_000_000:
            raise ModelIntegrityError(Errors.E002.format(path=path, reason="its header length is invalid"))
        raw = handle.read(size)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelIntegrityError(Errors.E002.format(path=path, reason="its header is not valid JSON")) from None
    if not isinstance(header, dict) or "format" not in header or "payload_sha256" not in header:
        raise ModelIntegrityError(Errors.E002.format(path=path, reason="its header lacks 'format' or 'payload_sha256'"))
    return header, len(MAGIC) + 8 + size


def check_versions(path: Path, header: dict[str, Any]) -> None:
    if header["format"] not in SUPPORTED_FORMATS:
        raise ModelVersionError(
            Errors.E004.format(
                path=path,
                found=header["format"],
                version=stance_version(),
                supported=", ".join(map(str, SUPPORTED_FORMATS)),
                written_by=header.get("stance_version", "unknown"),
            )
        )
    for package, required in header.get("requires", {}).items():
        installed = installed_version(package)
        found = header.get("versions", {}).get(package, "unknown")
        if not installed[0].isdigit() or _major_minor(installed) != _major_minor(found):
            raise ModelVersionError(
                Errors.E005.format(path=path, package=package, found=found, installed=installed, required=required)
            )


def read_model(path: str | os.PathLike[str], *, expected_sha256: str | None = None) -> tuple[Any, dict[str, Any]]:
    """Check a model file as described in the module docstring, then unpickle it."""
    path = Path(path)
    header, offset = read_header(path)
    if expected_sha256 is not None:
        actual_file = sha256_file(path)
        if actual_file != expected_sha256.lower():
            raise ModelIntegrityError(Errors.E006.format(path=path, actual=actual_file, expected=expected_sha256))
    with open(path, "rb") as handle:
        handle.seek(offset)
        payload = handle.read()
    actual = hashlib.sha256(payload).hexdigest()
    if actual != header["payload_sha256"]:
        raise ModelIntegrityError(Errors.E003.format(path=path, actual=actual, expected=header["payload_sha256"]))
    check_versions(path, header)
    try:
        obj = loads(payload)
    except Exception as exc:  # a hash-valid payload that still fails is a stance bug or a foreign file
        raise ModelIntegrityError(Errors.E002.format(path=path, reason=f"its payload cannot be loaded ({exc})")) from exc
    return obj, header
