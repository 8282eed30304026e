"""Model files: a JSON header, then numbers; loading one never runs code.

Layout of a model file written by stance (format 3)::

    b"STANCE-MODEL\\n"            magic line
    8 bytes, big-endian          length of the header
    header                       UTF-8 JSON: format, versions, labels, hashes, ...
    payload                      a NumPy ``.npz`` archive: ``tree`` (UTF-8 JSON of the
                                 model's structure, as bytes) and the arrays it refers to

The structure is plain JSON (strings, numbers, lists, objects); every array in it is a
reference ``{"__array__": "a7"}`` to an entry of the archive, read with
``allow_pickle=False``, so no object is ever unpickled. Large arrays that are mostly zeros
or hold few distinct values are stored compactly (:func:`compact_array`) and expanded on
load, bit for bit.

Before reading the payload, :func:`read_model` checks (1) the magic line, (2) the format
version, (3) the sha256 of the payload against the header, which catches truncation and
corruption, and optionally (4) the sha256 of the whole file against a hash you pinned
(``expected_sha256``), which protects against a deliberately altered file.

Formats 1 and 2 (stance 0.1) were joblib pickles, and unpickling runs code: they load only
with ``trust_pickle=True``, after the same checks plus the dependency versions the pickle
needs. ``stance convert OLD NEW`` rewrites one in the current format.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from .arrays import compact_array, expand_array
from .errors import Errors, ModelIntegrityError, ModelNotFoundError, ModelVersionError
from .write import atomic_output

MAGIC = b"STANCE-MODEL\n"
FORMAT_VERSION = 3
LEGACY_FORMATS = (1, 2)  # joblib pickles, loaded only when trusted
SUPPORTED_FORMATS = (*LEGACY_FORMATS, FORMAT_VERSION)
# Packages whose objects live inside a legacy pickle, and how closely they must match.
PINNED_PACKAGES = ("scikit-learn", "numpy", "scipy", "spacy")
_MAX_HEADER = 10_000_000


def installed_version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def stance_version() -> str:
    from . import __version__

    return __version__


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
    return {
        "format": FORMAT_VERSION,
        "stance_version": stance_version(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "labels": list(labels),
        "training_data_sha256": training_data_sha256,
        "versions": {name: installed_version(name) for name in PINNED_PACKAGES},
        **extra,
    }


# -- the payload: a JSON tree and an npz archive of the arrays it refers to -----------------
def _encode(value: Any, arrays: dict[str, np.ndarray], *, compact: bool = True) -> Any:
    if isinstance(value, np.ndarray):
        packed = compact_array(value) if compact else value
        if isinstance(packed, dict):
            # The pieces are stored as they are: a table of distinct values would compact
            # into itself again, without end.
            return {"__compact__": {k: _encode(v, arrays, compact=False) for k, v in packed.items()}}
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {"__array__": name}
    if isinstance(value, dict):
        return {str(k): _encode(v, arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, arrays) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(value: Any, arrays: Any) -> Any:
    if isinstance(value, dict):
        if "__array__" in value:
            return arrays[value["__array__"]]
        if "__compact__" in value:
            return expand_array({k: _decode(v, arrays) for k, v in value["__compact__"].items()})
        return {k: _decode(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    return value


def dumps(tree: Any) -> bytes:
    """``tree`` (JSON values and numpy arrays) as npz bytes."""
    arrays: dict[str, np.ndarray] = {}
    encoded = _encode(tree, arrays)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, tree=np.frombuffer(json.dumps(encoded, sort_keys=True).encode("utf-8"), dtype=np.uint8), **arrays)
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    """The tree in npz bytes from :func:`dumps`; never unpickles (``allow_pickle=False``)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    tree = json.loads(arrays.pop("tree").tobytes().decode("utf-8"))
    return _decode(tree, arrays)


# -- files ---------------------------------------------------------------------------------
def write_model(path: str | os.PathLike[str], tree: Any, metadata: dict[str, Any]) -> str:
    """Write ``tree`` with ``metadata`` atomically; return the sha256 of the whole file."""
    payload = dumps(tree)
    header = dict(metadata, format=FORMAT_VERSION, payload_sha256=hashlib.sha256(payload).hexdigest())
    header_bytes = json.dumps(header, sort_keys=True).encode("utf-8")
    with atomic_output(path, force=True) as handle:
        handle.write(MAGIC)
        handle.write(len(header_bytes).to_bytes(8, "big"))
        handle.write(header_bytes)
        handle.write(payload)
    return sha256_file(path)


def read_header(path: str | os.PathLike[str]) -> tuple[dict[str, Any], int]:
    """Read and parse the header without reading the payload. Returns (header, payload offset)."""
    path = Path(path)
    if not path.is_file():
        raise ModelNotFoundError(Errors.E001.format(path=path))
    with open(path, "rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise ModelIntegrityError(Errors.E002.format(path=path, reason="it does not start with the stance model header"))
        size_bytes = handle.read(8)
        size = int.from_bytes(size_bytes, "big") if len(size_bytes) == 8 else -1
        if size <= 0 or size > _MAX_HEADER:
            raise ModelIntegrityError(Errors.E002.format(path=path, reason="its header length is invalid"))
        raw = handle.read(size)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelIntegrityError(Errors.E002.format(path=path, reason="its header is not valid JSON")) from None
    if not isinstance(header, dict) or not isinstance(header.get("format"), int) or not isinstance(header.get("payload_sha256"), str):
        raise ModelIntegrityError(Errors.E002.format(path=path, reason="its header lacks 'format' or 'payload_sha256'"))
    return header, len(MAGIC) + 8 + size


def check_format(path: Path, header: dict[str, Any]) -> None:
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


def check_pickle_versions(path: Path, header: dict[str, Any]) -> None:
    """A legacy pickle needs the same major.minor of the packages whose objects it holds."""
    for package, required in header.get("requires", {}).items():
        installed = installed_version(package)
        found = header.get("versions", {}).get(package, "unknown")
        if not installed[0].isdigit() or _major_minor(installed) != _major_minor(found):
            raise ModelVersionError(
                Errors.E005.format(path=path, package=package, found=found, installed=installed, required=required)
            )


def read_model(
    path: str | os.PathLike[str], *, expected_sha256: str | None = None, trust_pickle: bool = False
) -> tuple[Any, dict[str, Any]]:
    """Check a model file as described in the module docstring, then read its payload.

    Returns the payload's tree (format 3) or, for a trusted legacy file, its pickle bytes
    (see :mod:`stance.legacy`), with the header.
    """
    path = Path(path)
    header, offset = read_header(path)
    if expected_sha256 is not None:
        actual_file = sha256_file(path)
        if actual_file != expected_sha256.lower():
            raise ModelIntegrityError(Errors.E006.format(path=path, actual=actual_file, expected=expected_sha256))
    check_format(path, header)
    if header["format"] in LEGACY_FORMATS and not trust_pickle:
        raise ModelIntegrityError(Errors.E106.format(path=path, found=header["format"]))
    with open(path, "rb") as handle:
        handle.seek(offset)
        payload = handle.read()
    actual = hashlib.sha256(payload).hexdigest()
    if actual != header["payload_sha256"]:
        raise ModelIntegrityError(Errors.E003.format(path=path, actual=actual, expected=header["payload_sha256"]))
    if header["format"] in LEGACY_FORMATS:
        check_pickle_versions(path, header)
        return payload, header  # pickle bytes: stance.legacy unpickles them
    try:
        return loads(payload), header
    except (ValueError, KeyError, OSError, EOFError, UnicodeDecodeError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        # a hash-valid payload that still fails is a foreign or hand-made file
        raise ModelIntegrityError(Errors.E002.format(path=path, reason=f"its payload cannot be read ({exc})")) from None
