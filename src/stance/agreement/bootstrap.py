"""Bootstrap: 95% percentile intervals over items, resampled through the distinct rows.

Items that share a row of the count (or rating) matrix are interchangeable, so the
bootstrap draws how many times each distinct row is resampled (a multinomial over the
distinct rows, which is exactly resampling items with replacement) and reuses per-row
contributions. 1,000 replicates cost a matrix product, not 1,000 recomputations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from ..errors import Errors, InputError
from .coefficients import COUNT_COEFFICIENTS, check_counts, count_coefficients, count_contributions

_MIN_DEFINED_SHARE = 0.9  # a CI needs the coefficient defined in this share of resamples
_CHUNK = 4_000_000  # array elements per bootstrap chunk (bounds memory, not speed)


def distinct_rows(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of an integer table and how often each occurs (order-free)."""
    table = np.ascontiguousarray(table)
    if table.shape[0] == 0:
        return table, np.zeros(0, dtype=np.int64)
    low = table.min(axis=0).astype(np.int64)
    span = table.max(axis=0).astype(np.int64) - low + 1
    n_keys = float(np.prod(span.astype(float)))
    if n_keys < 2.0**62:
        # One integer per row, so the rows are counted by a bincount or a 1-D sort.
        radix = np.concatenate([[1], np.cumprod(span[:-1])]).astype(np.int64)
        keys = np.zeros(table.shape[0], dtype=np.int64)
        for k in range(table.shape[1]):  # columns, not a row-wise product of a narrow table
            keys += (table[:, k].astype(np.int64) - low[k]) * radix[k]
        if n_keys <= max(4 * table.shape[0], 1 << 16):
            freq = np.bincount(keys, minlength=int(n_keys))
            present = np.flatnonzero(freq)
            rows = (present[:, None] // radix) % span + low
            return rows.astype(table.dtype), freq[present]
        _, first, freq = np.unique(keys, return_index=True, return_counts=True)
        return table[first], freq
    rows, freq = np.unique(table, axis=0, return_counts=True)
    return rows, freq


def resampled_sums(freq: np.ndarray, contributions: np.ndarray | sparse.spmatrix, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Column sums of ``contributions`` over ``n_boot`` resamples of the items.

    ``freq[p]`` items share row ``p`` of ``contributions``. Drawing n items with replacement
    puts a Multinomial(n, freq / n) number of them on each distinct row; with few distinct
    rows we draw that directly, otherwise we draw item indices and count them.
    """
    n_rows = freq.shape[0]
    n = int(freq.sum())
    out = np.empty((n_boot, contributions.shape[1]))
    multinomial = 4 * n_rows <= n
    if not multinomial:
        row_of_item = np.repeat(np.arange(n_rows), freq)  # order-free: depends on freq only
    step = max(1, _CHUNK // max(n_rows, 1 if multinomial else n))
    for start in range(0, n_boot, step):
        size = min(step, n_boot - start)
        if multinomial:
            weights = rng.multinomial(n, freq / n, size=size).astype(float)
        else:
            drawn = row_of_item[rng.integers(0, n, size=(size, n))]
            drawn += (np.arange(size) * n_rows)[:, None]
            weights = np.bincount(drawn.ravel(), minlength=size * n_rows).reshape(size, n_rows).astype(float)
        if sparse.issparse(contributions):
            out[start : start + size] = (contributions.T @ weights.T).T
        else:
            out[start : start + size] = weights @ contributions
    return out


def percentile_ci(replicates: np.ndarray) -> tuple[tuple[float, float] | None, str | None]:
    """The 95% percentile interval of bootstrap replicates, or None and the reason."""
    defined = replicates[np.isfinite(replicates)]
    if replicates.size == 0:
        return None, Errors.E325
    if defined.size < _MIN_DEFINED_SHARE * replicates.size:
        return None, Errors.E326.format(share=1 - defined.size / replicates.size)
    low, high = np.percentile(defined, [2.5, 97.5])
    return (float(low), float(high)), None


def check_n_boot(n_boot: int) -> None:
    """Refuse a number of resamples that gives no interval (1, negative, not a whole number)."""
    if not isinstance(n_boot, (int, np.integer)) or isinstance(n_boot, bool) or n_boot < 0 or n_boot == 1:
        raise InputError(Errors.E308.format(n_boot=n_boot))


def streams(seed: int | None) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent generators for the count coefficients and for Cohen's kappa."""
    return np.random.default_rng([0 if seed is None else seed, 0]), np.random.default_rng([0 if seed is None else seed, 1])


def bootstrap_counts(counts: Any, *, n_boot: int = 1000, seed: int | None = 0) -> dict[str, tuple[float, float] | None]:
    """95% bootstrap intervals of the count-matrix coefficients, resampling items.

    These are the intervals :func:`compare` reports for the same data and seed.

    Parameters
    ----------
    counts : array-like of shape (n_items, n_labels)
    n_boot : int, default=1000
        Number of resamples.
    seed : int, default=0
        Same counts and seed give the same intervals.

    Returns
    -------
    dict
        ``{"percent_agreement": (lo, hi), "fleiss_kappa": ..., "krippendorff_alpha": ...,
        "gwet_ac1": ...}``; ``None`` where the coefficient is undefined in too many resamples.

    Examples
    --------
    >>> ci = bootstrap_counts([[2, 0]] * 20 + [[1, 1]] * 15 + [[0, 2]] * 15, n_boot=200)
    >>> low, high = ci["krippendorff_alpha"]
    >>> low < 0.404 < high
    True
    """
    check_n_boot(n_boot)
    array = check_counts(counts)
    return {name: ci for name, (ci, _) in count_intervals(array, n_boot, streams(seed)[0]).items()}


def count_intervals(counts: np.ndarray, n_boot: int, rng: np.random.Generator) -> dict[str, tuple[tuple[float, float] | None, str | None]]:
    """(interval, or None and why) of every count-matrix coefficient."""
    counts = counts[counts.sum(axis=1) > 0]
    if n_boot == 0 or counts.shape[0] == 0:
        return {name: (None, Errors.E325 if n_boot == 0 else Errors.E320.format(detail="")) for name in COUNT_COEFFICIENTS}
    rows, freq = distinct_rows(counts.astype(np.int64))
    sums = resampled_sums(freq, count_contributions(rows.astype(float)), n_boot, rng)
    return {name: percentile_ci(values) for name, values in count_coefficients(sums, counts.shape[1]).items()}
