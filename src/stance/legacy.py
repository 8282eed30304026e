"""Legacy: model files written by stance 0.1 (formats 1 and 2), which are joblib pickles.

Unpickling runs code, so :func:`stance.load_model` reads them only with
``trust_pickle=True``, after the header and hash checks of :func:`stance.artifact.read_model`.
``stance convert OLD NEW`` rewrites one in the current format once.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import estimators, features
from .errors import Errors, ModelIntegrityError


def unpickle(payload: bytes, path: str | Path) -> Any:
    """The object in a legacy payload (the caller trusts the file)."""
    import joblib

    try:
        with _old_class_names():
            return joblib.load(io.BytesIO(payload))
    except Exception as exc:  # a hash-valid payload that still fails is a foreign file
        raise ModelIntegrityError(Errors.E002.format(path=path, reason=f"its payload cannot be loaded ({exc})")) from exc


@contextmanager
def _old_class_names() -> Iterator[None]:
    """The oldest files pickled the scikit-learn transformer as ``stance.features.SpacyFeatures``;
    it is made findable there for the duration of one load. (``stance.classifier`` still
    exports the other names that stance 0.1 pickled from it.)"""
    added = not hasattr(features, "SpacyFeatures")
    if added:
        features.SpacyFeatures = estimators.SpacyFeatures  # type: ignore[attr-defined]
    try:
        yield
    finally:
        if added:
            del features.SpacyFeatures  # type: ignore[attr-defined]


def dumps(obj: Any) -> bytes:
    """``obj`` as compressed joblib bytes, as stance 0.1 wrote payloads (for tests of this loader)."""
    import joblib

    buffer = io.BytesIO()
    joblib.dump(obj, buffer, compress=3)
    return buffer.getvalue()
