"""Score: linear weights on a fitted featurizer, turned into calibrated probabilities.

This is all that labelling needs from a trained model, and it imports neither
scikit-learn nor the estimators: :class:`LinearScorer` holds the featurizer, the linear
weights, the temperature and the labels, and scores a batch without building a feature
matrix (:meth:`~stance.features.Featurizer.linear_scores`).

Replies to replies. A reply's stance toward the thread's root post goes through the post
it answers: agreeing with a parent that disputes the root disputes the root.
:func:`through_parent` combines the reply's stance toward its parent with the parent's
stance toward the root.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .examples import Examples
from .features import Featurizer

SUPPORTIVE, CRITICAL, OFF_TOPIC = "supportive", "critical", "off-topic"
DEFAULT_LABELS = (SUPPORTIVE, CRITICAL, OFF_TOPIC)


def as_logits(scores: np.ndarray) -> np.ndarray:
    """One column per label: a binary SVM's single score s (one column, or a 1-d array, as
    scikit-learn gives it) becomes (-s/2, s/2)."""
    if scores.ndim == 1:
        scores = scores[:, None]
    return np.hstack([-scores / 2, scores / 2]) if scores.shape[1] == 1 else scores


def as_logit_weights(coef: np.ndarray, intercept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Linear weights whose scores are :func:`as_logits` of the scores of ``coef``, ``intercept``."""
    if coef.shape[0] == 1:
        return np.vstack([-coef / 2, coef / 2]), np.concatenate([-intercept / 2, intercept / 2])
    return coef, intercept


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def calibrated(scores: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities from raw linear scores by temperature scaling (one factor for all
    labels, so the most probable label is always the one with the highest score)."""
    return softmax(as_logits(scores) * temperature)


@dataclass(eq=False)
class LinearScorer:
    """A featurizer and linear weights: what labelling needs from one trained model.

    ``coef`` and ``intercept`` are the raw linear weights (one row for a binary model);
    ``label_coef`` has one row per label, for explanations.
    """

    featurizer: Featurizer
    coef: np.ndarray
    intercept: np.ndarray
    temperature: float
    classes: list[str]
    label_coef: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.label_coef is None:
            self.label_coef = np.vstack([-self.coef[0], self.coef[0]]) if self.coef.shape[0] == 1 else self.coef

    def scores(self, examples: Examples) -> np.ndarray:
        """Raw linear scores, one column per row of ``coef``."""
        return self.featurizer.linear_scores(examples, self.coef, self.intercept)

    def logits(self, examples: Examples) -> np.ndarray:
        """Raw scores with one column per label (see :func:`as_logits`)."""
        return as_logits(self.scores(examples))

    def predict_proba(self, examples: Examples) -> np.ndarray:
        """Calibrated probabilities, one column per label in ``classes`` order."""
        return calibrated(self.scores(examples), self.temperature)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickling a stance 0.1 model file (format 2, loaded only when trusted)."""
        from .arrays import expand_array

        state = dict(state)
        state["coef"] = expand_array(state["coef"])
        label_coef = state.get("label_coef")
        state["label_coef"] = state["coef"] if label_coef is None else expand_array(label_coef)
        self.__dict__.update(state)

    # -- state as plain values and arrays (see stance.artifact) ----------------------------
    def to_state(self) -> dict[str, Any]:
        state = {
            "featurizer": self.featurizer.to_state(),
            "coef": self.coef,
            "intercept": self.intercept,
            "temperature": float(self.temperature),
            "classes": list(self.classes),
        }
        if not np.array_equal(self.label_coef, self.coef):
            state["label_coef"] = self.label_coef
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "LinearScorer":
        return cls(
            Featurizer.from_state(state["featurizer"]),
            np.asarray(state["coef"], dtype=np.float64),
            np.asarray(state["intercept"], dtype=np.float64),
            float(state["temperature"]),
            [str(c) for c in state["classes"]],
            None if state.get("label_coef") is None else np.asarray(state["label_coef"], dtype=np.float64),
        )


def through_parent(reply_to_parent: np.ndarray, parent_to_root: np.ndarray, classes: list[str]) -> np.ndarray:
    """A reply's stance toward the root post, from its stance toward its parent and the
    parent's stance toward the root (both probability rows over ``classes``).

    Supporting a supportive parent, or disputing a critical one, supports the root;
    supporting a critical parent, or disputing a supportive one, disputes it; anything
    that involves an off-topic step takes no side on the root.
    """
    s, c, o = (classes.index(label) for label in DEFAULT_LABELS)
    out = np.zeros_like(reply_to_parent)
    rs, rc = reply_to_parent[:, s], reply_to_parent[:, c]
    ps, pc = parent_to_root[:, s], parent_to_root[:, c]
    out[:, s] = rs * ps + rc * pc
    out[:, c] = rs * pc + rc * ps
    out[:, o] = 1.0 - out[:, s] - out[:, c]
    return out
