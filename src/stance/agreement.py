"""Agreement: how far annotators agree on labels, and how far a model agrees with them.

Everything is computed from two small tables, never by looping over items:

* the *count matrix* (items × labels): how many annotators gave each label to each item.
  Krippendorff's alpha, Fleiss' kappa, Gwet's AC1, percent agreement and per-label
  agreement are functions of it alone;
* the *rating matrix* (items × annotators, ``-1`` for a missing rating), for Cohen's
  kappa and confusion matrices, which need to know who gave which label.

Items that share a row of either table are interchangeable, so the bootstrap draws how
many times each distinct row is resampled (a multinomial over the distinct rows, which is
exactly resampling items with replacement) and reuses per-row contributions. 1,000
replicates cost a matrix product, not 1,000 recomputations.

Definitions
-----------
percent agreement
    The mean, over items with two or more ratings, of the share of agreeing pairs among
    that item's rating pairs: ``sum_k n_ik (n_ik - 1) / (n_i (n_i - 1))``. With two
    annotators this is the share of shared items they labelled alike.
Cohen's kappa
    Cohen (1960), for two annotators over the items both rated. With more than two
    annotators it is the mean of the pairwise kappas (Light 1971); pairs whose kappa is
    undefined are left out and say so in ``notes``.
Fleiss' kappa
    Fleiss (1971), not Davies & Fleiss (1982). When items have different numbers of
    ratings, the generalisation of Gwet (2014, *Handbook of Inter-Rater Reliability*,
    ch. 2): observed agreement is the percent agreement above (items with two or more
    ratings), and each label's expected share is its share of an item's ratings averaged
    over the items with at least one rating. With equal numbers of ratings per item this
    is exactly Fleiss (1971).
Krippendorff's alpha
    Nominal alpha with the small-sample correction (Krippendorff 2011): items with a single
    rating cannot be paired and drop out.
Gwet's AC1
    Gwet (2008) for several raters, with the same observed agreement and label shares as
    Fleiss' kappa and chance agreement ``sum_k pi_k (1 - pi_k) / (q - 1)``, where ``q`` is
    the number of possible labels (``labels`` when given, else the labels seen).
per-label (specific) agreement
    For each label, the share of the ratings with that label whose pair partner on the
    same item gave it too: ``sum_i n_ik (n_ik - 1) / sum_i n_ik (n_i - 1)`` (Uebersax
    1982). With two annotators it is positive specific agreement ``2a / (2a + b + c)``.
confidence intervals
    95% percentile bootstrap over items, seeded and reproducible.

A coefficient that is undefined for the data (0/0) is ``None``, with the reason in
``report.reasons``: never NaN.
"""

from __future__ import annotations

import math
import os
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from .errors import Errors, InputError

__all__ = [
    "COEFFICIENTS",
    "AgreementReport",
    "alpha_from_counts",
    "bootstrap_counts",
    "compare",
    "counts_from_ratings",
    "fleiss_from_counts",
    "format_report",
    "gwet_from_counts",
    "interpret",
    "kappa_from_table",
    "percent_from_counts",
    "read_annotations",
]

COEFFICIENTS = ("percent_agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1")
COUNT_COEFFICIENTS = ("percent_agreement", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1")
NAMES = {
    "percent_agreement": "Percent agreement",
    "cohen_kappa": "Cohen's kappa",
    "fleiss_kappa": "Fleiss' kappa",
    "krippendorff_alpha": "Krippendorff's alpha",
    "gwet_ac1": "Gwet's AC1",
}
_TINY = 1e-10  # a chance-agreement denominator this small is 0/0, not a number
_MIN_DEFINED_SHARE = 0.9  # a CI needs the coefficient defined in this share of resamples
_CHUNK = 4_000_000  # array elements per bootstrap chunk (bounds memory, not speed)


# --------------------------------------------------------------------------- input checks


def _check_counts(counts: Any, name: str = "counts", *, square: bool = False) -> np.ndarray:
    shape = " (a square table, annotator A's labels by annotator B's)" if square else " (items × labels)"
    try:
        array = np.asarray(counts, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(Errors.E309.format(name=name, shape=shape, reason=f"it is not numeric ({exc})")) from None
    if array.ndim != 2:
        raise InputError(Errors.E309.format(name=name, shape=shape, reason=f"it has {array.ndim} dimensions"))
    if square and array.shape[0] != array.shape[1]:
        raise InputError(Errors.E309.format(name=name, shape=shape, reason=f"its shape is {array.shape}"))
    if np.asarray(counts).dtype.kind in "iub":
        bad = array < 0  # whole and finite already
    else:
        bad = ~np.isfinite(array) | (array < 0) | (array != np.round(array))
    if bad.any():
        where = [tuple(int(i) for i in index) for index in np.argwhere(bad)[:5]]
        raise InputError(Errors.E309.format(name=name, shape=shape, reason=f"cells {where} are negative, fractional or not finite"))
    return array


def _as_value(value: float) -> float | None:
    return None if not math.isfinite(value) else float(value)


# ------------------------------------------------------ coefficients from summed contributions
#
# Each count-matrix row (one item) contributes a fixed vector; every count coefficient is a
# function of the column sums. Summing with weights = how often each row is drawn gives the
# bootstrap replicates, so point estimates and replicates share one code path.


def _count_contributions(counts: np.ndarray) -> np.ndarray:
    """Per-item contributions, columns: [c_k·pairable (L) | o_diag | pairable | pair agreement | c_k/m (L) | rated]."""
    n_items, n_labels = counts.shape
    counts = np.asfortranarray(counts, dtype=float)  # column-wise work below
    m = counts @ np.ones(n_labels)  # faster than sum(axis=1) on a narrow table
    pairable = m >= 2
    inv_m1 = np.zeros(n_items)
    np.divide(1.0, m - 1, out=inv_m1, where=pairable)  # 0 for unpairable items
    inv_m = np.zeros(n_items)
    np.divide(1.0, m, out=inv_m, where=m >= 1)
    out = np.empty((n_items, 2 * n_labels + 4), order="F")
    np.multiply(counts, pairable[:, None], out=out[:, :n_labels])
    same_pairs = (counts * counts) @ np.ones(n_labels) - m  # sum_k c_k (c_k - 1)
    np.multiply(same_pairs, inv_m1, out=out[:, n_labels])
    out[:, n_labels + 1] = pairable
    np.multiply(out[:, n_labels], inv_m, out=out[:, n_labels + 2])
    np.multiply(counts, inv_m[:, None], out=out[:, n_labels + 3 : 2 * n_labels + 3])
    out[:, 2 * n_labels + 3] = m >= 1
    return out


def _count_sums(counts: np.ndarray) -> np.ndarray:
    """``_count_contributions(counts).sum(axis=0)`` without the items × columns temporary.

    Column by column and without BLAS: on a narrow table, row sums are slow, and
    multi-threaded BLAS calls on long vectors stall on a busy machine.
    """
    n_items, n_labels = counts.shape
    columns = [np.asarray(counts[:, k], dtype=float) for k in range(n_labels)]
    m = np.zeros(n_items)
    same_pairs = np.zeros(n_items)
    for column in columns:
        m += column
        same_pairs += column * column
    same_pairs -= m  # sum_k c_k (c_k - 1)
    pairable = (m >= 2).astype(float)
    inv_m1 = np.zeros(n_items)
    np.divide(1.0, m - 1, out=inv_m1, where=m >= 2)
    inv_m = np.zeros(n_items)
    np.divide(1.0, m, out=inv_m, where=m >= 1)
    o_diag = same_pairs * inv_m1
    out = np.empty(2 * n_labels + 4)
    out[:n_labels] = [np.einsum("i,i->", column, pairable) for column in columns]
    out[n_labels] = o_diag.sum()
    out[n_labels + 1] = pairable.sum()
    out[n_labels + 2] = np.einsum("i,i->", o_diag, inv_m)
    out[n_labels + 3 : 2 * n_labels + 3] = [np.einsum("i,i->", column, inv_m) for column in columns]
    out[2 * n_labels + 3] = np.count_nonzero(m)
    return out


def _alpha(sums: np.ndarray, n_labels: int) -> np.ndarray:
    # Nominal alpha = 1 - (n - 1) * (n - sum_c o_cc) / (n^2 - sum_c n_c^2), n_c from pairable values.
    n_c = sums[..., :n_labels]
    n = n_c.sum(axis=-1)
    observed_disagreement = n - sums[..., n_labels]
    expected = n * n - (n_c * n_c).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected > _TINY * np.maximum(n * n, 1), 1.0 - (n - 1) * observed_disagreement / expected, np.nan)


def _observed_and_shares(sums: np.ndarray, n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    n_pairable = sums[..., n_labels + 1]
    n_rated = sums[..., 2 * n_labels + 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = np.where(n_pairable > 0, sums[..., n_labels + 2] / n_pairable, np.nan)
        shares = sums[..., n_labels + 3 : 2 * n_labels + 3] / n_rated[..., None]
    return observed, shares


def _fleiss(sums: np.ndarray, n_labels: int) -> np.ndarray:
    observed, shares = _observed_and_shares(sums, n_labels)
    expected = (shares * shares).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(1.0 - expected > _TINY, (observed - expected) / (1.0 - expected), np.nan)


def _gwet(sums: np.ndarray, n_labels: int) -> np.ndarray:
    observed, shares = _observed_and_shares(sums, n_labels)
    if n_labels < 2:
        return np.full(observed.shape, np.nan)
    expected = (shares * (1.0 - shares)).sum(axis=-1) / (n_labels - 1)
    return (observed - expected) / (1.0 - expected)


def _count_coefficients(sums: np.ndarray, n_labels: int) -> dict[str, np.ndarray]:
    return {
        "percent_agreement": _observed_and_shares(sums, n_labels)[0],
        "fleiss_kappa": _fleiss(sums, n_labels),
        "krippendorff_alpha": _alpha(sums, n_labels),
        "gwet_ac1": _gwet(sums, n_labels),
    }


def _kappa(tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cohen's kappa and raw agreement of confusion tables stacked on the leading axes."""
    n = tables.sum(axis=(-1, -2))
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = np.trace(tables, axis1=-2, axis2=-1) / n
        expected = (tables.sum(axis=-1) * tables.sum(axis=-2)).sum(axis=-1) / (n * n)
        kappa = np.where((n > 0) & (1.0 - expected > _TINY), (observed - expected) / (1.0 - expected), np.nan)
    return kappa, np.where(n > 0, observed, np.nan)


# -------------------------------------------------------------------------------- bootstrap


def _distinct_rows(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _resampled_sums(freq: np.ndarray, contributions: np.ndarray | sparse.spmatrix, n_boot: int, rng: np.random.Generator) -> np.ndarray:
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


def _percentile_ci(replicates: np.ndarray) -> tuple[tuple[float, float] | None, str | None]:
    defined = replicates[np.isfinite(replicates)]
    if replicates.size == 0:
        return None, Errors.E325
    if defined.size < _MIN_DEFINED_SHARE * replicates.size:
        return None, Errors.E326.format(share=1 - defined.size / replicates.size)
    low, high = np.percentile(defined, [2.5, 97.5])
    return (float(low), float(high)), None


def _check_n_boot(n_boot: int) -> None:
    if not isinstance(n_boot, (int, np.integer)) or isinstance(n_boot, bool) or n_boot < 0 or n_boot == 1:
        raise InputError(Errors.E308.format(n_boot=n_boot))


def _streams(seed: int | None) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent generators for the count coefficients and for Cohen's kappa."""
    return np.random.default_rng([0 if seed is None else seed, 0]), np.random.default_rng([0 if seed is None else seed, 1])


# ------------------------------------------------------------------ public count-table API


def alpha_from_counts(counts: Any) -> float | None:
    """Krippendorff's nominal alpha from an items × labels count matrix.

    Parameters
    ----------
    counts : array-like of shape (n_items, n_labels)
        ``counts[i, k]`` is how many annotators gave label ``k`` to item ``i``. Items with
        fewer than two ratings cannot be paired and drop out.

    Returns
    -------
    float or None
        Alpha with the small-sample correction; ``None`` when it is undefined (no item
        with two ratings, or every pairable rating has the same label).

    Raises
    ------
    InputError
        If ``counts`` is not a 2-D table of non-negative whole numbers.

    Examples
    --------
    Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four
    coders, twelve units, values 1-5, with missing data. Published nominal alpha: 0.743.

    >>> counts = [[3, 0, 0, 0, 0], [0, 3, 1, 0, 0], [0, 0, 4, 0, 0], [0, 0, 4, 0, 0],
    ...           [0, 4, 0, 0, 0], [1, 1, 1, 1, 0], [0, 0, 0, 4, 0], [3, 1, 0, 0, 0],
    ...           [0, 4, 0, 0, 0], [0, 0, 0, 0, 3], [2, 0, 0, 0, 0], [0, 0, 1, 0, 0]]
    >>> round(alpha_from_counts(counts), 3)
    0.743
    """
    array = _check_counts(counts)
    return _as_value(float(_alpha(_count_sums(array), array.shape[1])))


def fleiss_from_counts(counts: Any) -> float | None:
    """Fleiss' kappa (1971) from an items × labels count matrix.

    With unequal numbers of ratings per item this is Gwet's (2014) generalisation, which
    equals Fleiss (1971) when every item has the same number (see the module docstring).

    Parameters
    ----------
    counts : array-like of shape (n_items, n_labels)
        ``counts[i, k]`` is how many raters put item ``i`` in category ``k``.

    Returns
    -------
    float or None
        ``None`` when undefined: no item with two ratings, or a single label throughout.

    Raises
    ------
    InputError
        If ``counts`` is not a 2-D table of non-negative whole numbers.

    Examples
    --------
    Fleiss (1971), Table 1: 30 patients, 6 psychiatrists each, 5 diagnoses (depression,
    personality disorder, schizophrenia, neurosis, other). Published kappa: 0.430.

    >>> table = [[0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6],
    ...          [0, 3, 0, 3, 0], [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0],
    ...          [2, 0, 0, 4, 0], [0, 0, 0, 0, 6], [1, 0, 0, 5, 0], [1, 1, 0, 4, 0],
    ...          [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1], [0, 0, 5, 0, 1],
    ...          [3, 0, 0, 1, 2], [5, 1, 0, 0, 0], [0, 2, 0, 4, 0], [1, 0, 2, 0, 3],
    ...          [0, 0, 0, 0, 6], [0, 1, 0, 5, 0], [0, 2, 0, 1, 3], [2, 0, 0, 4, 0],
    ...          [1, 0, 0, 4, 1], [0, 5, 0, 1, 0], [4, 0, 0, 0, 2], [0, 2, 0, 4, 0],
    ...          [1, 0, 5, 0, 0], [0, 0, 0, 0, 6]]
    >>> round(fleiss_from_counts(table), 3)
    0.43
    """
    array = _check_counts(counts)
    return _as_value(float(_fleiss(_count_sums(array), array.shape[1])))


def gwet_from_counts(counts: Any) -> float | None:
    """Gwet's AC1 for several raters from an items × labels count matrix.

    The number of possible labels ``q`` is the number of columns, so give a column for
    every label that could have been chosen, even if nobody chose it.

    Parameters
    ----------
    counts : array-like of shape (n_items, n_labels)

    Returns
    -------
    float or None
        ``None`` when undefined: no item with two ratings, or fewer than two columns.

    Examples
    --------
    The two annotators of Cohen's 2 × 2 example below agree on 35 of 50 items; label 1
    has share (25 + 30) / 100, so chance agreement is 2 × 0.55 × 0.45 = 0.495 and
    AC1 = (0.7 - 0.495) / (1 - 0.495):

    >>> counts = [[2, 0]] * 20 + [[1, 1]] * 15 + [[0, 2]] * 15
    >>> round(gwet_from_counts(counts), 3)
    0.406
    """
    array = _check_counts(counts)
    return _as_value(float(_gwet(_count_sums(array), array.shape[1])))


def percent_from_counts(counts: Any) -> float | None:
    """Percent agreement: the mean over items with two or more ratings of the share of
    agreeing rating pairs.

    Examples
    --------
    Three raters who split 2-1 on an item agree in 1 of its 3 pairs:

    >>> percent_from_counts([[2, 1], [3, 0]])
    0.6666666666666666
    """
    array = _check_counts(counts)
    return _as_value(float(_observed_and_shares(_count_sums(array), array.shape[1])[0]))


def kappa_from_table(table: Any) -> float | None:
    """Cohen's kappa from a square confusion table of two annotators.

    Parameters
    ----------
    table : array-like of shape (n_labels, n_labels)
        ``table[j, k]`` counts items annotator A labelled ``j`` and annotator B ``k``.

    Returns
    -------
    float or None
        ``None`` when undefined: an empty table, or chance agreement of 1.

    Examples
    --------
    Cohen's kappa for 50 items rated yes/no by two readers, table [[20, 5], [10, 15]]:
    observed agreement 0.70, chance agreement 0.50, kappa 0.400.

    >>> round(kappa_from_table([[20, 5], [10, 15]]), 3)
    0.4
    """
    array = _check_counts(table, "table", square=True)
    return _as_value(float(_kappa(array)[0]))


def counts_from_ratings(ratings: Any, *, labels: Sequence[Hashable] | None = None) -> tuple[np.ndarray, list[Hashable]]:
    """The items × labels count matrix of a rating matrix.

    Parameters
    ----------
    ratings : array-like of shape (n_items, n_annotators)
        One row per item, one column per annotator; a missing rating is NaN, None or ''.
        (This is the transpose of the ``krippendorff`` package's ``reliability_data``.)
    labels : sequence, optional
        The possible labels, in column order. Default: the labels seen, sorted.

    Returns
    -------
    counts : ndarray of shape (n_items, n_labels)
    labels : list

    Examples
    --------
    >>> counts, labels = counts_from_ratings([["a", "a", None], ["a", "b", "b"]])
    >>> counts.tolist(), labels
    ([[2, 0], [1, 2]], ['a', 'b'])
    """
    array = np.asarray(ratings)
    if array.ndim != 2:
        raise InputError(Errors.E309.format(name="ratings", shape=" (items × annotators)", reason=f"it has {array.ndim} dimensions"))
    if array.dtype.kind in "fc":
        present = ~np.isnan(array)
    elif array.dtype.kind in "iub":
        present = np.ones(array.shape, dtype=bool)
    else:
        present = np.array([not _is_missing(value) for value in array.ravel().tolist()], dtype=bool).reshape(array.shape)
    if array.dtype.kind in "fiub":
        values = _numeric_values(array, present)
        label_list = values if labels is None else _check_labels(labels)
        if labels is not None:
            missing = [v for v in values if v not in set(label_list)]
            if missing:
                bad = np.flatnonzero((np.isin(array, missing) & present).any(axis=1)).tolist()
                raise InputError(Errors.E303.format(found=_some(missing), allowed=", ".join(map(repr, label_list)), items=_some(bad)))
        # Annotator by annotator over contiguous columns: cheaper than a row-wise sum of a narrow table.
        by_annotator = np.ascontiguousarray(array.T)
        counts = np.zeros((len(label_list), array.shape[0]), dtype=np.int64)
        for k, label in enumerate(label_list):
            if not isinstance(label, (int, float, np.number)):
                continue  # a non-numeric declared label cannot occur in a numeric array
            for column in by_annotator:
                counts[k] += column == label
        return counts.T, label_list
    seen = array[present]
    if labels is None:
        label_list = _sorted_labels(dict.fromkeys(seen.tolist()))
    else:
        label_list = _check_labels(labels)
    index = {label: code for code, label in enumerate(label_list)}
    codes = np.full(array.shape, -1, dtype=np.int64)
    try:
        codes[present] = np.fromiter((index[value] for value in seen.tolist()), dtype=np.int64, count=seen.size)
    except KeyError:
        unknown = list(dict.fromkeys(v for v in seen.tolist() if v not in index))
        bad = [i for i, (row, p) in enumerate(zip(array.tolist(), present.tolist())) if any(q and v not in index for v, q in zip(row, p))]
        raise InputError(Errors.E303.format(found=_some(unknown), allowed=", ".join(map(repr, label_list)), items=_some(bad))) from None
    counts = np.stack([(codes == k).sum(axis=1) for k in range(len(label_list))], axis=1) if label_list else np.zeros((array.shape[0], 0), dtype=np.int64)
    return counts, label_list


def _numeric_values(array: np.ndarray, present: np.ndarray, limit: int = 32) -> list[Any]:
    """The distinct values of a numeric rating matrix, sorted. A few passes (one per
    value) beat sorting every rating when there are few labels, the usual case."""
    rest = array[present]
    values = []
    while rest.size and len(values) < limit:
        value = rest.min()
        values.append(value)
        rest = rest[rest != value]
    if rest.size:
        return np.unique(array[present]).tolist()
    return np.asarray(values).tolist()


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
    _check_n_boot(n_boot)
    array = _check_counts(counts)
    return {name: ci for name, (ci, _) in _count_intervals(array, n_boot, _streams(seed)[0]).items()}


def _count_intervals(counts: np.ndarray, n_boot: int, rng: np.random.Generator) -> dict[str, tuple[tuple[float, float] | None, str | None]]:
    counts = counts[counts.sum(axis=1) > 0]
    if n_boot == 0 or counts.shape[0] == 0:
        return {name: (None, Errors.E325 if n_boot == 0 else Errors.E320.format(detail="")) for name in COUNT_COEFFICIENTS}
    rows, freq = _distinct_rows(counts.astype(np.int64))
    sums = _resampled_sums(freq, _count_contributions(rows.astype(float)), n_boot, rng)
    return {name: _percentile_ci(values) for name, values in _count_coefficients(sums, counts.shape[1]).items()}


# ------------------------------------------------------------------------- reading input


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing markers
        return True
    try:
        return bool(value != value)  # NaN-like (numpy floats)
    except (TypeError, ValueError):
        return False


def _sorted_labels(seen: Iterable[Hashable]) -> list[Hashable]:
    values = list(seen)
    try:
        return sorted(values)  # type: ignore[type-var]
    except TypeError:
        return values  # mixed types: order of first appearance


def _check_labels(labels: Sequence[Hashable]) -> list[Hashable]:
    if isinstance(labels, str):
        raise InputError(Errors.E305.format(labels=labels))
    label_list = list(labels)
    if not label_list or len(set(label_list)) != len(label_list):
        raise InputError(Errors.E305.format(labels=label_list))
    return label_list


def _some(values: Sequence[Any], limit: int = 10) -> str:
    shown = ", ".join(repr(v) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _columns(annotations: Any) -> tuple[list[Any], list[Any], list[Any], list[int], int]:
    """item, annotator and label columns of the ratings (labelled annotations), each
    rating's position in the input, and the number of annotations read."""
    if hasattr(annotations, "columns") and hasattr(annotations, "__getitem__") and not isinstance(annotations, Mapping):
        available = list(annotations.columns)
        columns = []
        for name in ("item", "annotator", "label"):
            if name not in available:
                raise InputError(Errors.E307.format(column=name, available=", ".join(map(repr, available))))
            column = annotations[name]
            columns.append(column.tolist() if hasattr(column, "tolist") else list(column))
        items, annotators, labels = columns
        positions = list(range(len(items)))
    else:
        annotations = annotations if isinstance(annotations, (list, tuple)) else list(annotations)
        if annotations and set(map(type, annotations)) == {tuple} and set(map(len, annotations)) == {3}:
            # The common case: three list comprehensions (zip(*rows) is slower on long inputs).
            items = [row[0] for row in annotations]
            annotators = [row[1] for row in annotations]
            labels = [row[2] for row in annotations]
            for name, column in (("item", items), ("annotator", annotators)):
                if None in column:
                    raise InputError(Errors.E301.format(index=column.index(None), key=name, available="item, annotator, label"))
            return _drop_missing(items, annotators, labels, list(range(len(labels))))
        items, annotators, labels, positions = [], [], [], []
        for index, row in enumerate(annotations):
            if isinstance(row, Mapping):
                for key in ("item", "annotator"):
                    if row.get(key) is None:
                        raise InputError(Errors.E301.format(index=index, key=key, available=", ".join(map(repr, row))))
                item, annotator, label = row["item"], row["annotator"], row.get("label")
            elif isinstance(row, (tuple, list)) and len(row) == 3:
                item, annotator, label = row
                if item is None or annotator is None:
                    raise InputError(Errors.E301.format(index=index, key="item" if item is None else "annotator", available="item, annotator, label"))
            else:
                kind = f"a {len(row)}-tuple" if isinstance(row, (tuple, list)) else f"a {type(row).__name__}"
                raise InputError(Errors.E300.format(index=index, kind=kind))
            items.append(item)
            annotators.append(annotator)
            labels.append(label)
            positions.append(index)
    return _drop_missing(items, annotators, labels, positions)


def _drop_missing(items: list[Any], annotators: list[Any], labels: list[Any], positions: list[int]) -> tuple[list[Any], list[Any], list[Any], list[int], int]:
    n_read = len(labels)
    try:
        distinct = dict.fromkeys(labels)  # few distinct labels: test those, not every rating
    except TypeError as exc:
        raise InputError(Errors.E300.format(index="?", kind=f"unusable: a label is not hashable ({exc})")) from None
    missing = {label: _is_missing(label) for label in distinct}
    if any(missing.values()):
        keep = [i for i, flag in enumerate(map(missing.__getitem__, labels)) if not flag]
        items, annotators, labels = [items[i] for i in keep], [annotators[i] for i in keep], [labels[i] for i in keep]
        positions = [positions[i] for i in keep]
    return items, annotators, labels, positions, n_read


def _encode(values: list[Any], what: str) -> tuple[np.ndarray, list[Any]]:
    """Integer codes in order of first appearance."""
    try:
        distinct = list(dict.fromkeys(values))
    except TypeError as exc:
        raise InputError(Errors.E300.format(index="?", kind=f"unusable: its {what} is not hashable ({exc})")) from None
    index = {value: code for code, value in enumerate(distinct)}
    return np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values)), distinct


# ---------------------------------------------------------------------------------- report


@dataclass(eq=False)  # holds arrays; compare reports by their fields
class AgreementReport:
    """Agreement of annotators on one set of items; made by :func:`compare`.

    Attributes
    ----------
    percent_agreement, cohen_kappa, fleiss_kappa, krippendorff_alpha, gwet_ac1 : float or None
        The coefficients (definitions in the module docstring). ``None`` when undefined for
        this data; ``reasons[name]`` then says why.
    ci95 : dict
        Coefficient name → 95% bootstrap interval ``(low, high)``, or ``None`` (with
        ``reasons["ci95:" + name]``).
    per_label : dict
        Label → specific agreement, or ``None`` (``reasons["per_label:" + label]``).
    pairwise : dict
        ``(annotator_a, annotator_b)`` → Cohen's kappa of the pair, or ``None``.
    notes : dict
        How a coefficient was computed when the data needed a choice (unequal numbers of
        ratings, more than two annotators).
    """

    n_items: int
    n_annotators: int
    n_ratings: int
    labels: list[Hashable]
    annotators: list[Hashable]
    items: list[Hashable]
    percent_agreement: float | None
    cohen_kappa: float | None
    fleiss_kappa: float | None
    krippendorff_alpha: float | None
    gwet_ac1: float | None
    ci95: dict[str, tuple[float, float] | None]
    per_label: dict[Hashable, float | None]
    pairwise: dict[tuple[Hashable, Hashable], float | None]
    reasons: dict[str, str]
    notes: dict[str, str]
    n_boot: int
    seed: int | None
    ratings: np.ndarray = field(repr=False)
    counts: np.ndarray = field(repr=False)
    _pairs: list[tuple[int, int]] = field(repr=False, default_factory=list)
    _pair_tables: np.ndarray = field(repr=False, default=None)  # type: ignore[assignment]
    _pair_boot: np.ndarray = field(repr=False, default=None)  # type: ignore[assignment]
    _pair_agreement_boot: np.ndarray = field(repr=False, default=None)  # type: ignore[assignment]

    def _annotator_index(self, name: Hashable) -> int:
        try:
            return self.annotators.index(name)
        except ValueError:
            raise InputError(Errors.E306.format(name=name, available=_some(self.annotators))) from None

    def confusion(self, a: Hashable, b: Hashable) -> np.ndarray:
        """Confusion matrix of annotators ``a`` (rows) and ``b`` (columns) over the items
        both rated; rows and columns follow :attr:`labels`.

        Examples
        --------
        >>> report = compare([(1, "ann", "x"), (1, "bob", "y"), (2, "ann", "y"), (2, "bob", "y")], n_boot=0)
        >>> report.confusion("ann", "bob").tolist()
        [[0, 1], [0, 1]]
        """
        i, j = self._annotator_index(a), self._annotator_index(b)
        first, second = self.ratings[:, i], self.ratings[:, j]
        both = (first >= 0) & (second >= 0)
        n_labels = len(self.labels)
        return np.bincount(first[both] * n_labels + second[both], minlength=n_labels * n_labels).reshape(n_labels, n_labels)

    def item_agreement(self) -> np.ndarray:
        """Per item, the share of agreeing rating pairs; NaN for items with one rating."""
        m = self.counts.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(m >= 2, (self.counts * (self.counts - 1)).sum(axis=1) / (m * (m - 1)), np.nan)

    def disagreements(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The items given more than one label, most disagreed first.

        Sorted by the share of agreeing rating pairs (lowest first), then by the number of
        different labels and of ratings (most first), then by input order.

        Returns
        -------
        list of dict
            ``{"item": id, "agreement": share, "labels": {annotator: label}}``.

        Examples
        --------
        >>> report = compare([(1, "a", "x"), (1, "b", "x"), (2, "a", "x"), (2, "b", "y")], n_boot=0)
        >>> report.disagreements()
        [{'item': 2, 'agreement': 0.0, 'labels': {'a': 'x', 'b': 'y'}}]
        """
        distinct = (self.counts > 0).sum(axis=1)
        agreement = self.item_agreement()
        m = self.counts.sum(axis=1)
        candidates = np.flatnonzero(distinct >= 2)
        order = candidates[np.lexsort((candidates, -m[candidates], -distinct[candidates], agreement[candidates]))]
        if limit is not None:
            order = order[:limit]
        out = []
        for i in order.tolist():  # only the items returned
            row = self.ratings[i]
            given = np.flatnonzero(row >= 0).tolist()
            out.append({
                "item": self.items[i],
                "agreement": float(agreement[i]),
                "labels": {self.annotators[a]: self.labels[row[a]] for a in given},
            })
        return out

    def versus(self, annotator: Hashable) -> dict[str, Any]:
        """Agreement of one annotator (e.g. a model) with each of the others.

        Returns
        -------
        dict
            ``cohen_kappa`` and ``percent_agreement``: ``{"value", "ci95"}`` for the mean
            over the other annotators of the pairwise value (over the items both rated);
            ``per_annotator``: other annotator → ``{"cohen_kappa", "percent_agreement",
            "n_items"}``; ``reasons`` for anything ``None``.
        """
        index = self._annotator_index(annotator)
        chosen = [p for p, (i, j) in enumerate(self._pairs) if index in (i, j)]
        reasons: dict[str, str] = {}
        per_annotator: dict[Hashable, dict[str, Any]] = {}
        kappas, agreements = _kappa(self._pair_tables[chosen]) if chosen else (np.zeros(0), np.zeros(0))
        for position, p in enumerate(chosen):
            i, j = self._pairs[p]
            other = self.annotators[j if i == index else i]
            per_annotator[other] = {
                "cohen_kappa": _as_value(float(kappas[position])),
                "percent_agreement": _as_value(float(agreements[position])),
                "n_items": int(self._pair_tables[p].sum()),
            }
        result: dict[str, Any] = {"annotator": annotator, "per_annotator": per_annotator}
        for name, values, boot in (("cohen_kappa", kappas, self._pair_boot), ("percent_agreement", agreements, self._pair_agreement_boot)):
            defined = np.isfinite(values)
            if not defined.any():
                result[name] = {"value": None, "ci95": None}
                reasons[name] = Errors.E323 if chosen else Errors.E322.format(n=1)
                continue
            ci = None
            if boot is not None and boot.shape[0]:
                columns = np.asarray(chosen)[defined]
                ci, why = _percentile_ci(boot[:, columns].mean(axis=1))
                if why:
                    reasons["ci95:" + name] = why
            result[name] = {"value": float(values[defined].mean()), "ci95": list(ci) if ci else None}
        result["reasons"] = reasons
        return result

    def to_dict(self, *, disagreements: int = 10) -> dict[str, Any]:
        """A JSON-ready summary: the keys of ``stance agree --json``."""
        out: dict[str, Any] = {
            "n_items": self.n_items,
            "n_annotators": self.n_annotators,
            "n_ratings": self.n_ratings,
            "labels": [_jsonable(label) for label in self.labels],
        }
        for name in COEFFICIENTS:
            ci = self.ci95.get(name)
            out[name] = {"value": getattr(self, name), "ci95": list(ci) if ci else None}
        out["per_label"] = {str(label): value for label, value in self.per_label.items()}
        out["pairwise_cohen_kappa"] = [
            {"a": _jsonable(a), "b": _jsonable(b), "value": value} for (a, b), value in self.pairwise.items()
        ]
        out["reasons"] = dict(self.reasons)
        out["notes"] = dict(self.notes)
        out["bootstrap"] = {"n_boot": self.n_boot, "seed": self.seed, "method": "percentile, resampling items"}
        out["disagreements"] = [
            {"item": _jsonable(d["item"]), "agreement": d["agreement"], "labels": {str(k): _jsonable(v) for k, v in d["labels"].items()}}
            for d in self.disagreements(disagreements)
        ]
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


# --------------------------------------------------------------------------------- compare


def compare(
    annotations: Iterable[Any],
    *,
    labels: Sequence[Hashable] | None = None,
    n_boot: int = 1000,
    seed: int | None = 0,
) -> AgreementReport:
    """Measure how far annotators agree.

    Parameters
    ----------
    annotations : iterable or data frame
        Long format, one rating per row: ``(item, annotator, label)`` tuples, mappings with
        ``item``, ``annotator`` and ``label`` keys, or a pandas-like frame with those
        columns. Items need not be rated by everyone; a label of None, NaN or '' counts as
        no rating. Repeating a rating is harmless; giving one item two different labels
        from the same annotator is an error.
    labels : sequence, optional
        Every possible label, in the order to report them. Labels outside it are an error.
        It also sets ``q`` for Gwet's AC1. Default: the labels seen, sorted.
    n_boot : int, default=1000
        Bootstrap resamples of the items for the 95% intervals; 0 for none.
    seed : int, default=0
        Same data and seed give the same intervals.

    Returns
    -------
    AgreementReport

    Raises
    ------
    InputError
        For malformed annotations, conflicting duplicates, labels outside ``labels``, or no
        ratings at all. Data for which a coefficient is undefined is not an error: that
        coefficient is ``None``, and ``report.reasons`` says why.

    Examples
    --------
    Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: coders
    A-D, twelve units, missing ratings as None. Published nominal alpha: 0.743.

    >>> data = {"A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    ...         "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    ...         "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    ...         "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]}
    >>> rows = [(unit, coder, value) for coder, values in data.items()
    ...         for unit, value in enumerate(values, start=1)]
    >>> report = compare(rows)
    >>> round(report.krippendorff_alpha, 3)
    0.743
    >>> report.n_items, report.n_ratings
    (12, 41)

    Cohen's kappa needs a pair; with four coders it is the mean of the six pairwise kappas:

    >>> len(report.pairwise)
    6
    >>> low, high = report.ci95["krippendorff_alpha"]
    >>> low < report.krippendorff_alpha < high
    True
    """
    _check_n_boot(n_boot)
    item_values, annotator_values, label_values, positions, n_read = _columns(annotations)
    if not label_values:
        raise InputError(Errors.E302.format(reason="every annotation is missing its label" if n_read else "the input is empty"))
    item_codes, items = _encode(item_values, "item")
    annotator_codes, annotators = _encode(annotator_values, "annotator")
    label_codes, seen_labels = _encode(label_values, "label")
    if labels is None:
        label_list = _sorted_labels(seen_labels)
    else:
        label_list = _check_labels(labels)
        allowed = set(label_list)
        unknown = [label for label in seen_labels if label not in allowed]
        if unknown:
            bad = np.isin(label_codes, [seen_labels.index(label) for label in unknown])
            bad_items = list(dict.fromkeys(items[i] for i in item_codes[bad].tolist()))
            raise InputError(Errors.E303.format(found=_some(unknown), allowed=", ".join(map(repr, label_list)), items=_some(bad_items)))
    position = {label: code for code, label in enumerate(label_list)}
    label_codes = np.asarray([position[label] for label in seen_labels], dtype=np.int64)[label_codes]

    n_items, n_annotators, n_labels = len(items), len(annotators), len(label_list)
    # An annotator may repeat a rating, not contradict it.
    key = item_codes * n_annotators + annotator_codes
    order = np.argsort(key, kind="stable")
    sorted_key, sorted_label = key[order], label_codes[order]
    repeat = sorted_key[1:] == sorted_key[:-1]
    if repeat.any():
        conflict = repeat & (sorted_label[1:] != sorted_label[:-1])
        if conflict.any():
            bad_key = sorted_key[np.flatnonzero(conflict)[0]]
            rows = order[sorted_key == bad_key]
            raise InputError(Errors.E304.format(
                item=items[int(bad_key // n_annotators)],
                annotator=annotators[int(bad_key % n_annotators)],
                labels=", ".join(repr(label_list[c]) for c in dict.fromkeys(label_codes[rows].tolist())),
                rows=", ".join(str(positions[r]) for r in rows.tolist()),
            ))
        keep = order[np.concatenate([[True], ~repeat])]
        item_codes, annotator_codes, label_codes = item_codes[keep], annotator_codes[keep], label_codes[keep]

    ratings = np.full((n_items, n_annotators), -1, dtype=np.int64)
    ratings[item_codes, annotator_codes] = label_codes
    counts = np.bincount(item_codes * n_labels + label_codes, minlength=n_items * n_labels).reshape(n_items, n_labels)
    count_rng, pair_rng = _streams(seed)
    reasons: dict[str, str] = {}
    notes: dict[str, str] = {}

    # Count-matrix coefficients.
    values = {name: _as_value(float(v)) for name, v in _count_coefficients(_count_sums(counts), n_labels).items()}
    m = counts.sum(axis=1)
    n_pairable = int((m >= 2).sum())
    for name in COUNT_COEFFICIENTS:
        if values[name] is not None:
            continue
        if n_pairable == 0:
            reasons[name] = Errors.E320.format(detail=f" (there is only {n_annotators} annotator)" if n_annotators == 1 else "")
        elif name == "gwet_ac1" and n_labels < 2:
            reasons[name] = Errors.E324.format(n=n_labels)
        else:
            used = counts[m >= 2].sum(axis=0) if name == "krippendorff_alpha" else counts.sum(axis=0)
            reasons[name] = Errors.E321.format(label=label_list[int(np.argmax(used))])
    if n_pairable and n_pairable < n_items:
        notes["krippendorff_alpha"] = f"{n_items - n_pairable} of {n_items} items have a single rating; they cannot be paired and drop out"
    if n_pairable and m[m >= 1].min() != m.max():
        notes["fleiss_kappa"] = (
            f"items have {int(m[m >= 1].min())} to {int(m.max())} ratings, so this is Gwet's (2014) generalisation of "
            "Fleiss' kappa to missing ratings; it equals Fleiss (1971) when every item has the same number"
        )
    intervals = _count_intervals(counts, n_boot, count_rng)

    # Specific agreement per label (Uebersax 1982).
    pairable = (m >= 2)[:, None]
    same = (counts * (counts - 1) * pairable).sum(axis=0)
    possible = (counts * (m - 1)[:, None] * pairable).sum(axis=0)
    per_label: dict[Hashable, float | None] = {}
    for k, label in enumerate(label_list):
        per_label[label] = float(same[k] / possible[k]) if possible[k] > 0 else None
        if possible[k] == 0:
            reasons[f"per_label:{label}"] = Errors.E327.format(label=label)

    # Cohen's kappa: pairwise confusion tables, resampled through the distinct rating rows.
    pairs = [(i, j) for i in range(n_annotators) for j in range(i + 1, n_annotators)]
    pairwise: dict[tuple[Hashable, Hashable], float | None] = {}
    pair_tables = np.zeros((0, n_labels, n_labels))
    pair_boot = pair_agreement_boot = None
    if not pairs:
        values["cohen_kappa"] = None
        reasons["cohen_kappa"] = Errors.E322.format(n=n_annotators)
        intervals["cohen_kappa"] = (None, None)
    else:
        rows, freq = _distinct_rows(ratings)
        cells = _pair_cells(rows, pairs, n_labels)
        pair_tables = (cells.T @ freq.astype(float)).reshape(len(pairs), n_labels, n_labels)
        kappas, _ = _kappa(pair_tables)
        defined = np.isfinite(kappas)
        for (i, j), kappa in zip(pairs, kappas.tolist()):
            pairwise[(annotators[i], annotators[j])] = _as_value(kappa)
        if defined.any():
            values["cohen_kappa"] = float(kappas[defined].mean())
            if len(pairs) > 1:
                left_out = [f"{annotators[i]!r}-{annotators[j]!r}" for (i, j), ok in zip(pairs, defined) if not ok]
                notes["cohen_kappa"] = f"the mean of {int(defined.sum())} pairwise Cohen's kappas (Light 1971), each over the items both annotators rated" + (
                    f"; pairs left out as undefined: {_some(left_out)}" if left_out else ""
                )
        else:
            values["cohen_kappa"] = None
            reasons["cohen_kappa"] = Errors.E323
        if n_boot:
            boot_tables = _resampled_sums(freq, cells, n_boot, pair_rng).reshape(n_boot, len(pairs), n_labels, n_labels)
            pair_boot, pair_agreement_boot = _kappa(boot_tables)
            intervals["cohen_kappa"] = _percentile_ci(pair_boot[:, defined].mean(axis=1)) if defined.any() else (None, None)
        else:
            intervals["cohen_kappa"] = (None, Errors.E325)

    ci95: dict[str, tuple[float, float] | None] = {}
    for name in COEFFICIENTS:
        ci, why = intervals[name]
        if values[name] is None:
            ci = None
        elif why:
            reasons["ci95:" + name] = why
        ci95[name] = ci

    return AgreementReport(
        n_items=n_items,
        n_annotators=n_annotators,
        n_ratings=int(item_codes.size),
        labels=label_list,
        annotators=annotators,
        items=items,
        percent_agreement=values["percent_agreement"],
        cohen_kappa=values["cohen_kappa"],
        fleiss_kappa=values["fleiss_kappa"],
        krippendorff_alpha=values["krippendorff_alpha"],
        gwet_ac1=values["gwet_ac1"],
        ci95=ci95,
        per_label=per_label,
        pairwise=pairwise,
        reasons=reasons,
        notes=notes,
        n_boot=int(n_boot),
        seed=seed,
        ratings=ratings,
        counts=counts,
        _pairs=pairs,
        _pair_tables=pair_tables,
        _pair_boot=pair_boot,
        _pair_agreement_boot=pair_agreement_boot,
    )


def _pair_cells(rows: np.ndarray, pairs: list[tuple[int, int]], n_labels: int) -> sparse.csr_matrix:
    """Sparse (distinct rows × pairs·labels²): which confusion cell each row adds to, per pair."""
    row_index, column_index = [], []
    for p, (i, j) in enumerate(pairs):
        both = np.flatnonzero((rows[:, i] >= 0) & (rows[:, j] >= 0))
        row_index.append(both)
        column_index.append(p * n_labels * n_labels + rows[both, i] * n_labels + rows[both, j])
    r = np.concatenate(row_index)
    c = np.concatenate(column_index)
    return sparse.csr_matrix((np.ones(r.size), (r, c)), shape=(rows.shape[0], len(pairs) * n_labels * n_labels))


# ------------------------------------------------------------------------------- files


def read_annotations(
    paths: Sequence[str | os.PathLike[str]],
    *,
    on: str | None = None,
    item_field: str = "item",
    annotator_field: str = "annotator",
    label_field: str = "label",
    labels: Sequence[str] | None = None,
    text_fields: Mapping[str, str] | None = None,
    input_format: str | None = None,
) -> tuple[list[tuple[str, str, str | None]], dict[str, dict[str, Any]]]:
    """Read annotation files into long-format rows for :func:`compare`.

    Parameters
    ----------
    paths : sequence of paths
        JSONL, JSON, CSV or TSV files.
    on : str, optional
        ``None``: each file is long format, one rating per record with ``item_field``,
        ``annotator_field`` and ``label_field``. A field name: each file holds one
        annotator's labels (the annotator is the file name without extension), and items
        are joined on this field.
    labels : sequence of str, optional
        The allowed labels; any other label is an error naming its file and line.
    text_fields : mapping, optional
        ``{"text": field, "context": field, ...}``: also collect these fields per item (the
        first non-empty value wins), for running a model on the items.

    Returns
    -------
    rows : list of (item, annotator, label)
        Item ids, annotators and labels as strings; a missing label is ``None``.
    examples : dict
        Item → ``{"text": ..., ...}`` when ``text_fields`` is given.

    Raises
    ------
    InputError
        Naming the file and line: unreadable records, missing fields, a label outside
        ``labels``, an annotator labelling one item twice differently, an empty file.
    """
    from .read import BadRecord, get_field, read_records

    allowed = set(labels) if labels is not None else None
    seen: dict[tuple[str, str], tuple[str | None, Path, int]] = {}
    stems: dict[str, Path] = {}
    rows: list[tuple[str, str, str | None]] = []
    examples: dict[str, dict[str, Any]] = {}
    for path in map(Path, paths):
        if on is not None:
            if path.stem in stems:
                raise InputError(Errors.E313.format(first=stems[path.stem], second=path, name=path.stem))
            stems[path.stem] = path
        n_records = 0
        for record in read_records(path, format=input_format):
            if isinstance(record, BadRecord):
                raise InputError(Errors.E021.format(path=path, number=record.number, reason=record.reason))
            n_records += 1
            fields = record.fields

            def required(name: str, option: str) -> Any:
                value = get_field(fields, name)
                if value is None or (isinstance(value, str) and not value.strip()):
                    raise InputError(Errors.E024.format(field=name, path=path, number=record.number, available=", ".join(map(repr, fields)) or "none", option=option))
                return value

            if on is None:
                item = str(required(item_field, "--item-field (or, for one file per annotator, --on ID_FIELD)"))
                annotator = str(required(annotator_field, "--annotator-field (or give one file per annotator with --on ID_FIELD)"))
            else:
                item, annotator = str(required(on, "--on")), path.stem
            if label_field not in fields and get_field(fields, label_field) is None:
                raise InputError(Errors.E024.format(field=label_field, path=path, number=record.number, available=", ".join(map(repr, fields)), option="--label-field"))
            value = get_field(fields, label_field)
            label = None if _is_missing(value) else str(value)
            if label is not None and allowed is not None and label not in allowed:
                raise InputError(Errors.E311.format(path=path, number=record.number, label=label, item=item, allowed=", ".join(labels or ())))
            previous = seen.get((item, annotator))
            if previous is not None and label is not None:
                if previous[0] is not None and previous[0] != label:
                    raise InputError(Errors.E310.format(
                        path=path, number=record.number, annotator=annotator, item=item, label=label,
                        first_path=previous[1], first_number=previous[2], first_label=previous[0],
                    ))
            if previous is None or (previous[0] is None and label is not None):
                seen[(item, annotator)] = (label, path, record.number)
            if previous is None or previous[0] is None:
                rows.append((item, annotator, label))
            if text_fields:
                example = examples.setdefault(item, {})
                for key, name in text_fields.items():
                    text = get_field(fields, name)
                    if example.get(key) is None and isinstance(text, str) and text.strip():
                        example[key] = text
        if n_records == 0:
            raise InputError(Errors.E022.format(path=path))
    return rows, examples


# ---------------------------------------------------------------------------- presentation


def interpret(name: str, value: float | None) -> str:
    """The conventional reading of a coefficient's value.

    Kappas and AC1 use Landis & Koch (1977); alpha uses Krippendorff's (2004) thresholds
    0.667 (lowest acceptable for tentative conclusions) and 0.800 (reliable).

    Examples
    --------
    >>> interpret("fleiss_kappa", 0.430)
    'moderate (Landis & Koch)'
    >>> interpret("krippendorff_alpha", 0.743)
    'tentative conclusions only (0.667-0.800, Krippendorff)'
    """
    if value is None or name == "percent_agreement":
        return ""
    if name == "krippendorff_alpha":
        if value >= 0.800:
            return "reliable (>= 0.800, Krippendorff)"
        if value >= 0.667:
            return "tentative conclusions only (0.667-0.800, Krippendorff)"
        return "unreliable (< 0.667, Krippendorff)"
    if value < 0:
        return "poor (Landis & Koch)"
    for upper, band in ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial")):
        if value <= upper:
            return f"{band} (Landis & Koch)"
    return "almost perfect (Landis & Koch)"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _fmt_ci(ci: Sequence[float] | None) -> str:
    return "" if not ci else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def format_report(report: AgreementReport, *, model_vs_human: dict[str, Any] | None = None, top: int = 10) -> str:
    """A readable table of ``report``: values, 95% intervals, interpretation bands, why a
    coefficient is undefined, per-label agreement and the items most disagreed on."""
    labels = ", ".join(map(str, report.labels))
    lines = [
        f"Agreement of {_plural(report.n_annotators, 'annotator')} on {_plural(report.n_items, 'item')} "
        f"({_plural(report.n_ratings, 'rating')}; labels: {labels})",
        "",
        f"  {'coefficient':<22} {'value':>7}  {'95% CI':<17} interpretation",
    ]
    for name in COEFFICIENTS:
        value = getattr(report, name)
        lines.append(f"  {NAMES[name]:<22} {_fmt(value):>7}  {_fmt_ci(report.ci95.get(name)):<17} {interpret(name, value)}")
    explained = [(name, report.reasons[name]) for name in COEFFICIENTS if name in report.reasons]
    explained += [(name, report.notes[name]) for name in COEFFICIENTS if name in report.notes]
    if explained:
        lines.append("")
        lines += [f"  {NAMES[name]}: {text}." for name, text in explained]
    if report.n_boot:
        lines.append(f"  95% CI: percentile bootstrap over items, {report.n_boot} resamples, seed {report.seed}.")
    if model_vs_human is not None:
        lines += ["", f"Model ({model_vs_human['annotator']}) vs humans, beside humans vs humans:"]
        for name in ("cohen_kappa", "percent_agreement"):
            mine = model_vs_human[name]
            human = getattr(report, name)
            lines.append(
                f"  {NAMES[name]:<22} model-human {_fmt(mine['value']):>6} {_fmt_ci(mine['ci95']):<17}"
                f" human-human {_fmt(human):>6} {_fmt_ci(report.ci95.get(name))}"
            )
        for other, row in model_vs_human["per_annotator"].items():
            lines.append(f"    vs {str(other):<18} kappa {_fmt(row['cohen_kappa'])}, agreement {_fmt(row['percent_agreement'])} on {row['n_items']} items")
        for name, text in model_vs_human.get("reasons", {}).items():
            lines.append(f"  {name}: {text}.")
    lines += ["", "Per-label (specific) agreement:"]
    for label, value in report.per_label.items():
        lines.append(f"  {str(label):<22} {_fmt(value):>7}" + ("" if value is not None else f"  ({report.reasons.get(f'per_label:{label}', '')})"))
    worst = report.disagreements(top)
    lines += ["", f"Items most disagreed on ({_plural(len(report.disagreements()), 'item')} got more than one label):" if worst else "No item got more than one label."]
    for entry in worst:
        given = ", ".join(f"{a}={label}" for a, label in entry["labels"].items())
        lines.append(f"  {str(entry['item']):<20} agreement {entry['agreement']:.2f}  {given}")
    return "\n".join(lines)
