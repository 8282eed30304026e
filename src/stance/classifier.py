"""Deprecated: the names that lived here in stance 0.1, kept so that old code and old model
files keep working. Use :mod:`stance` (``stance.train``, ``stance.classify``, ...) or the
modules that now define them: :mod:`stance.model`, :mod:`stance.training`,
:mod:`stance.scoring`, :mod:`stance.estimators`. Importing this module loads scikit-learn.
"""

from __future__ import annotations

from .estimators import LinearStanceClassifier, make_pipeline
from .model import DEFAULT_MODEL, Prediction, Reason, StanceModel, classify, default_model, explain, load_model, resolve_model
from .scoring import DEFAULT_LABELS, LinearScorer
from .training import MIN_TARGET_ROWS, cross_validate, split_labelled, train, training_data_sha256

__all__ = [
    "DEFAULT_LABELS", "DEFAULT_MODEL", "LinearScorer", "LinearStanceClassifier", "MIN_TARGET_ROWS", "Prediction",
    "Reason", "StanceModel", "classify", "cross_validate", "default_model", "explain", "load_model",
    "make_pipeline", "resolve_model", "split_labelled", "train", "training_data_sha256",
]
