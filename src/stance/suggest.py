"""Suggest: the replies worth labelling next (active learning).

The model scores every unlabelled reply by how unsure it is, then picks greedily with
maximal marginal relevance: each pick maximises

    (1 - diversity) * uncertainty - diversity * (max cosine similarity to earlier picks)

on the model's own sparse features (l2-normalised, so a dot product is the cosine). With
``diversity=0`` this is plain uncertainty sampling; with more, a batch of near-duplicates
(retweets, copy-pasted replies) yields one pick instead of fifty. ``random`` is kept as
the control an active-learning claim must beat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from .errors import Errors, InputError

Strategy = Literal["margin", "entropy", "random"]
STRATEGIES: tuple[str, ...] = get_args(Strategy)


@dataclass(frozen=True)
class Pick:
    """One suggestion: the row's ``index`` in the pool, in pick order (``rank`` from 1)."""

    index: int
    rank: int
    score: float
    """The model's uncertainty about the row, from 0 (sure) to 1 (no idea)."""
    max_similarity: float
    """Highest cosine similarity to an earlier pick (0 for the first pick)."""


def uncertainty(proba: np.ndarray, strategy: str = "margin") -> np.ndarray:
    """How unsure the model is about each row, scaled to [0, 1].

    ``margin`` is ``1 - (p_best - p_second)``; ``entropy`` is the entropy of the
    probabilities divided by ``log(n_labels)``. ``random`` scores like ``margin`` (the
    score is reported, not used to pick).

    Examples
    --------
    >>> uncertainty(np.array([[1.0, 0.0], [0.5, 0.5]])).tolist()
    [0.0, 1.0]
    >>> uncertainty(np.array([[1.0, 0.0, 0.0], [1/3, 1/3, 1/3]]), "entropy").round(6).tolist()
    [0.0, 1.0]
    """
    _check_strategy(strategy)
    proba = np.asarray(proba, dtype=float)
    if proba.ndim != 2 or proba.shape[1] < 2:
        raise InputError(f"Probabilities must be a 2-D array with at least two columns; got shape {proba.shape}.")
    if strategy == "entropy":
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.where(proba > 0, np.log(proba), 0.0)
        return np.clip(-(proba * logs).sum(axis=1) / np.log(proba.shape[1]), 0.0, 1.0) + 0.0  # no -0.0
    top2 = np.sort(proba, axis=1)[:, -2:]
    return np.clip(1.0 - (top2[:, 1] - top2[:, 0]), 0.0, 1.0)


def _check_strategy(strategy: str) -> None:
    if strategy not in STRATEGIES:
        raise InputError(Errors.E068.format(strategy=strategy, valid=", ".join(STRATEGIES)))


def select(
    proba: np.ndarray,
    features: sp.spmatrix | np.ndarray | None,
    n: int,
    *,
    strategy: Strategy = "margin",
    diversity: float = 0.5,
    seed: int = 0,
    exclude: Sequence[int] = (),
) -> list[Pick]:
    """Pick ``n`` rows to label next.

    Parameters
    ----------
    proba
        The model's probabilities, one row per candidate.
    features
        The candidates' feature rows, l2-normalised (needed when ``diversity > 0``).
    n
        How many to pick (fewer if fewer candidates remain).
    strategy
        ``"margin"`` or ``"entropy"`` uncertainty, or ``"random"`` (the control).
    diversity
        Weight of the similarity penalty, from 0 (pure uncertainty) to 1.
    seed
        Seed for ``random`` and for breaking exact ties.
    exclude
        Row indices never to pick (for example, rows already labelled).

    Returns
    -------
    list of Pick
        In pick order.

    Examples
    --------
    >>> proba = np.array([[0.5, 0.5], [0.5, 0.5], [0.9, 0.1]])
    >>> X = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # rows 0 and 1 are duplicates
    >>> [p.index for p in select(proba, X, 2, diversity=0.0)]
    [0, 1]
    >>> [p.index for p in select(proba, X, 2, diversity=0.5)]
    [0, 2]
    """
    _check_strategy(strategy)
    if not 0.0 <= diversity <= 1.0:
        raise InputError(Errors.E069.format(value=diversity))
    if n < 0:
        raise InputError(f"n must be zero or more; got {n}.")
    scores = uncertainty(proba, strategy)
    available = np.ones(len(scores), dtype=bool)
    available[list(exclude)] = False
    n = min(n, int(available.sum()))
    rng = np.random.default_rng(seed)
    if strategy == "random":
        chosen = rng.permutation(np.flatnonzero(available))[:n]
        return [Pick(int(i), rank, float(scores[i]), 0.0) for rank, i in enumerate(chosen, start=1)]
    if diversity > 0 and features is None:
        raise InputError("select() needs the candidates' features when diversity > 0.")
    # A tiny seeded jitter breaks exact ties without favouring file order.
    jitter = rng.uniform(0, 1e-9, len(scores))
    max_sim = np.zeros(len(scores))
    picks: list[Pick] = []
    if diversity > 0:
        X = normalize(sp.csr_matrix(features, dtype=float), norm="l2")
    for rank in range(1, n + 1):
        value = (1 - diversity) * scores - diversity * max_sim + jitter
        value[~available] = -np.inf
        best = int(np.argmax(value))
        picks.append(Pick(best, rank, float(scores[best]), float(max_sim[best])))
        available[best] = False
        if diversity > 0:
            similarity = np.asarray((X @ X[best].T).todense()).ravel()
            np.maximum(max_sim, similarity, out=max_sim)
    return picks


def suggest(
    model: object,
    examples: object,
    n: int,
    *,
    strategy: Strategy = "margin",
    diversity: float = 0.5,
    seed: int = 0,
    exclude: Sequence[int] = (),
) -> tuple[list[Pick], np.ndarray]:
    """Score ``examples`` with a :class:`~stance.classifier.StanceModel` and pick ``n``.

    Returns the picks and the model's probabilities for every example (columns in
    ``model.labels`` order).
    """
    from .examples import to_examples

    _check_strategy(strategy)
    data = to_examples(examples)
    proba = model.predict_proba(data)  # type: ignore[attr-defined]
    features = None
    if strategy != "random" and diversity > 0:
        features = model.scorer.featurizer.transform(data)  # type: ignore[attr-defined]
    return select(proba, features, n, strategy=strategy, diversity=diversity, seed=seed, exclude=exclude), proba


def suggestion_rows(items: Sequence[Any], picks: Sequence[Pick], proba: np.ndarray, labels: Sequence[str], strategy: str) -> list[dict[str, Any]]:
    """The rows ``stance suggest`` writes, best first: each picked item's fields plus
    ``item`` (its id), ``rank``, ``score``, ``max_similarity``, ``strategy``, and the model's
    ``stance`` and ``stance_proba``. ``items`` are :class:`stance.annotate.Item` objects."""
    rows = []
    for p in picks:
        row = dict(items[p.index].fields)
        row.update(
            item=items[p.index].id, rank=p.rank, score=round(p.score, 4), max_similarity=round(p.max_similarity, 4),
            strategy=strategy, stance=labels[int(proba[p.index].argmax())],
            stance_proba={lab: round(float(v), 4) for lab, v in zip(labels, proba[p.index])},
        )
        rows.append(row)
    return rows
