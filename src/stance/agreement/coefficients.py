"""The coefficients, in pure numpy, from an items × labels count matrix (or confusion tables).

Each count-matrix row (one item) contributes a fixed vector; every count coefficient is a
function of the column sums of those contributions. Summing them with weights (how often
each row is drawn) gives the bootstrap replicates, so point estimates and replicates share
one code path. The private helpers are named after the formulas (``_alpha``, ``_fleiss``,
``_gwet``, ``_observed_and_shares``); definitions are in :mod:`stance.agreement`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import Errors, InputError, Reasons

COEFFICIENTS = ("percent_agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1")
COUNT_COEFFICIENTS = ("percent_agreement", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1")
_TINY = 1e-10  # a chance-agreement denominator this small is 0/0, not a number


def check_counts(counts: Any, name: str = "counts", *, square: bool = False) -> np.ndarray:
    """``counts`` as a float array, once it is known to be a 2-D table of non-negative whole
    numbers (square with ``square``)."""
    shape = " (a square table, annotator A's labels by annotator B's)" if square else " (items × labels)"
    try:
        array = np.asarray(counts, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(Errors.E309.format(name=name, shape=shape, reason=Reasons.NOT_NUMERIC.format(why=exc))) from None
    if array.ndim != 2:
        raise InputError(Errors.E309.format(name=name, shape=shape, reason=Reasons.DIMENSIONS.format(n=array.ndim)))
    if square and array.shape[0] != array.shape[1]:
        raise InputError(Errors.E309.format(name=name, shape=shape, reason=Reasons.NOT_SQUARE.format(shape=array.shape)))
    if np.asarray(counts).dtype.kind in "iub":
        bad = array < 0  # whole and finite already
    else:
        bad = ~np.isfinite(array) | (array < 0) | (array != np.round(array))
    if bad.any():
        where = [tuple(int(i) for i in index) for index in np.argwhere(bad)[:5]]
        raise InputError(Errors.E309.format(name=name, shape=shape, reason=Reasons.BAD_CELLS.format(cells=where)))
    return array


def as_value(value: float) -> float | None:
    """A coefficient as reported: None where it is undefined (NaN), never NaN itself."""
    return None if not math.isfinite(value) else float(value)


def count_contributions(counts: np.ndarray) -> np.ndarray:
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


def count_sums(counts: np.ndarray) -> np.ndarray:
    """``count_contributions(counts).sum(axis=0)`` without the items × columns temporary.

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


def count_coefficients(sums: np.ndarray, n_labels: int) -> dict[str, np.ndarray]:
    """Every count-matrix coefficient from summed contributions (one set, or one per replicate)."""
    return {
        "percent_agreement": _observed_and_shares(sums, n_labels)[0],
        "fleiss_kappa": _fleiss(sums, n_labels),
        "krippendorff_alpha": _alpha(sums, n_labels),
        "gwet_ac1": _gwet(sums, n_labels),
    }


def kappa_of_tables(tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cohen's kappa and raw agreement of confusion tables stacked on the leading axes."""
    n = tables.sum(axis=(-1, -2))
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = np.trace(tables, axis1=-2, axis2=-1) / n
        expected = (tables.sum(axis=-1) * tables.sum(axis=-2)).sum(axis=-1) / (n * n)
        kappa = np.where((n > 0) & (1.0 - expected > _TINY), (observed - expected) / (1.0 - expected), np.nan)
    return kappa, np.where(n > 0, observed, np.nan)


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
    array = check_counts(counts)
    return as_value(float(_alpha(count_sums(array), array.shape[1])))


def fleiss_from_counts(counts: Any) -> float | None:
    """Fleiss' kappa (1971) from an items × labels count matrix.

    With unequal numbers of ratings per item this is Gwet's (2014) generalisation, which
    equals Fleiss (1971) when every item has the same number (see :mod:`stance.agreement`).

    Parameters
    ----------
    counts : array-like of shape (n_items, n_labels)
        ``counts[i, k]`` is how many raters put item ``i`` in category ``k``.

    Returns
    -------
    float or None
        ``None`` when undefined: no item with two ratings, or a single label throughout.
        Bad ``counts`` raise :class:`InputError`, as in :func:`alpha_from_counts`.

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
    array = check_counts(counts)
    return as_value(float(_fleiss(count_sums(array), array.shape[1])))


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
    array = check_counts(counts)
    return as_value(float(_gwet(count_sums(array), array.shape[1])))


def percent_from_counts(counts: Any) -> float | None:
    """Percent agreement: the mean over items with two or more ratings of the share of
    agreeing rating pairs.

    Examples
    --------
    Three raters who split 2-1 on an item agree in 1 of its 3 pairs:

    >>> percent_from_counts([[2, 1], [3, 0]])
    0.6666666666666666
    """
    array = check_counts(counts)
    return as_value(float(_observed_and_shares(count_sums(array), array.shape[1])[0]))


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
    array = check_counts(table, "table", square=True)
    return as_value(float(kappa_of_tables(array)[0]))
