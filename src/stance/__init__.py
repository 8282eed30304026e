"""stance: label replies to a post as supportive, critical or off-topic.

The package follows the data's path: :mod:`stance.read` → :mod:`stance.nlp` and
:mod:`stance.features` (featurize) → :mod:`stance.classifier` (with the scikit-learn
estimators in :mod:`stance.estimators`) → :mod:`stance.write`, with
:mod:`stance.evaluate` and :mod:`stance.agreement` to measure labels.

Names are imported on first use, so ``stance --help`` and commands that need no model
start without loading spaCy and scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "DEFAULT_LABELS": "classifier",
    "LinearStanceClassifier": "estimators",
    "Prediction": "classifier",
    "Reason": "classifier",
    "StanceModel": "classifier",
    "classify": "classifier",
    "cross_validate": "classifier",
    "explain": "classifier",
    "load_model": "classifier",
    "train": "classifier",
    "InputError": "errors",
    "ModelIntegrityError": "errors",
    "ModelNotFoundError": "errors",
    "ModelVersionError": "errors",
    "StanceError": "errors",
    "scores": "evaluate",
    "label_frame": "frame",
    "SpacyFeatures": "estimators",
}
_SUBMODULES = {"frame", "dask", "agreement", "classifier", "estimators", "evaluate", "read", "write", "features", "nlp", "artifact", "batch", "summarize", "suggest", "annotate"}

__all__ = sorted([*_EXPORTS, "agreement", "__version__"])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'stance' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # static type checkers see the real names
    from . import agreement
    from .classifier import (
        DEFAULT_LABELS,
        Prediction,
        Reason,
        StanceModel,
        classify,
        cross_validate,
        explain,
        load_model,
        train,
    )
    from .errors import InputError, ModelIntegrityError, ModelNotFoundError, ModelVersionError, StanceError
    from .evaluate import scores
    from .frame import label_frame
    from .estimators import LinearStanceClassifier, SpacyFeatures
