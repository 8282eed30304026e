"""stance: label replies to a post as supportive, critical or off-topic.

The package follows the data's path: :mod:`stance.read` → :mod:`stance.examples`,
:mod:`stance.nlp` and :mod:`stance.features` (featurize) → :mod:`stance.scoring` and
:mod:`stance.model` (classify; :mod:`stance.training` and :mod:`stance.estimators` train) →
:mod:`stance.write`, with :mod:`stance.evaluate` and :mod:`stance.agreement` to measure
labels.

Public names are imported on first use (PEP 562), so ``stance --help`` and commands that
need no model start without loading spaCy and scikit-learn; the import graph itself has
no cycles (tests/test_imports.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

# public name -> module that defines it
_EXPORTS = {
    "DEFAULT_LABELS": "scoring",
    "LinearStanceClassifier": "estimators",
    "Prediction": "model",
    "Reason": "model",
    "StanceModel": "model",
    "classify": "model",
    "cross_validate": "training",
    "explain": "model",
    "load_model": "model",
    "train": "training",
    "from_pipeline": "training",
    "InputError": "errors",
    "ModelIntegrityError": "errors",
    "ModelNotFoundError": "errors",
    "ModelVersionError": "errors",
    "StanceError": "errors",
    "scores": "evaluate",
    "label_frame": "frame",
    "SpacyFeatures": "estimators",
}
_SUBMODULES = {
    "agreement", "annotate", "dask", "frame", "artifact", "batch", "classifier", "estimators", "evaluate", "examples", "features",
    "model", "nlp", "read", "scoring", "suggest", "summarize", "training", "write",
}

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
    from .model import Prediction, Reason, StanceModel, classify, explain, load_model
    from .scoring import DEFAULT_LABELS
    from .training import cross_validate, from_pipeline, train
    from .errors import InputError, ModelIntegrityError, ModelNotFoundError, ModelVersionError, StanceError
    from .evaluate import scores
    from .frame import label_frame
    from .estimators import LinearStanceClassifier, SpacyFeatures
