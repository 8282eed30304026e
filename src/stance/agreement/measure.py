"""Measuring agreement: ``compare()``, every coefficient, interval and note for one set of
annotations, in named steps."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
from scipy import sparse

from ..errors import Errors, InputError, Notes, Reasons, format_values
from .bootstrap import check_n_boot, count_intervals, distinct_rows, percentile_ci, resampled_sums, streams
from .coefficients import COEFFICIENTS, COUNT_COEFFICIENTS, as_value, count_coefficients, count_sums, kappa_of_tables
from .ratings import Ratings, ratings_from
from .report import AgreementReport, PairTables


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
    check_n_boot(n_boot)
    data = ratings_from(annotations, labels)
    count_rng, pair_rng = streams(seed)
    reasons: dict[str, str] = {}
    notes: dict[str, str] = {}
    values = _count_values(data, reasons, notes)
    intervals = count_intervals(data.counts, n_boot, count_rng)
    per_label = _per_label(data, reasons)
    pairwise, pair_tables = _cohen(data, values, intervals, reasons, notes, n_boot=n_boot, rng=pair_rng)
    return AgreementReport(
        n_items=len(data.items),
        n_annotators=len(data.annotators),
        n_ratings=data.n_ratings,
        labels=data.labels,
        annotators=data.annotators,
        items=data.items,
        percent_agreement=values["percent_agreement"],
        cohen_kappa=values["cohen_kappa"],
        fleiss_kappa=values["fleiss_kappa"],
        krippendorff_alpha=values["krippendorff_alpha"],
        gwet_ac1=values["gwet_ac1"],
        ci95=_ci95(values, intervals, reasons),
        per_label=per_label,
        pairwise=pairwise,
        reasons=reasons,
        notes=notes,
        n_boot=int(n_boot),
        seed=seed,
        ratings=data.ratings,
        counts=data.counts,
        pair_tables=pair_tables,
    )


def model_versus_humans(
    rows: Sequence[tuple[Any, Any, Any]],
    report: AgreementReport,
    model: Any,
    examples: dict[Any, dict[str, Any]],
    *,
    name: str = "model",
    labels: Sequence[Hashable] | None = None,
    n_boot: int = 1000,
    seed: int | None = 0,
    text_field: str = "text",
) -> dict[str, Any]:
    """How far a model agrees with the human annotators of ``report`` (made from ``rows``).

    The model labels every item (``examples``: item → ``{"text", "context", "target"}``, as
    :func:`stance.agreement.read_annotations` collects them) and joins as one more
    annotator, ``name``; the result is :meth:`AgreementReport.versus` of it.

    Raises
    ------
    InputError
        When an item has no text (``text_field`` names where it was looked for), or the
        model predicts a label outside ``labels``.
    """
    for item in report.items:
        if not examples.get(item, {}).get("text"):
            raise InputError(Errors.E314.format(item=item, field=text_field))
    predicted = model.predict([examples[item] for item in report.items])
    if labels is not None:
        for value in dict.fromkeys(predicted):
            if value not in labels:
                raise InputError(Errors.E315.format(label=value, allowed=", ".join(map(str, labels)), model_labels=", ".join(model.labels)))
    with_model = compare(list(rows) + [(item, name, value) for item, value in zip(report.items, predicted)], labels=labels, n_boot=n_boot, seed=seed)
    return with_model.versus(name)


def _count_values(data: Ratings, reasons: dict[str, str], notes: dict[str, str]) -> dict[str, float | None]:
    """The count-matrix coefficients; why each undefined one is, and how the data shaped them."""
    counts, label_list = data.counts, data.labels
    n_items, n_annotators, n_labels = len(data.items), len(data.annotators), len(label_list)
    values = {name: as_value(float(v)) for name, v in count_coefficients(count_sums(counts), n_labels).items()}
    m = counts.sum(axis=1)
    n_pairable = int((m >= 2).sum())
    for name in COUNT_COEFFICIENTS:
        if values[name] is not None:
            continue
        if n_pairable == 0:
            reasons[name] = Errors.E320.format(detail=Reasons.ONE_ANNOTATOR.format(n=n_annotators) if n_annotators == 1 else "")
        elif name == "gwet_ac1" and n_labels < 2:
            reasons[name] = Errors.E324.format(n=n_labels)
        else:
            used = counts[m >= 2].sum(axis=0) if name == "krippendorff_alpha" else counts.sum(axis=0)
            reasons[name] = Errors.E321.format(label=label_list[int(np.argmax(used))])
    if n_pairable and n_pairable < n_items:
        notes["krippendorff_alpha"] = Notes.SINGLE_RATINGS.format(n=n_items - n_pairable, n_items=n_items)
    if n_pairable and m[m >= 1].min() != m.max():
        notes["fleiss_kappa"] = Notes.UNEQUAL_RATINGS.format(low=int(m[m >= 1].min()), high=int(m.max()))
    return values


def _per_label(data: Ratings, reasons: dict[str, str]) -> dict[Hashable, float | None]:
    """Specific agreement per label (Uebersax 1982)."""
    counts = data.counts
    m = counts.sum(axis=1)
    pairable = (m >= 2)[:, None]
    same = (counts * (counts - 1) * pairable).sum(axis=0)
    possible = (counts * (m - 1)[:, None] * pairable).sum(axis=0)
    per_label: dict[Hashable, float | None] = {}
    for k, label in enumerate(data.labels):
        per_label[label] = float(same[k] / possible[k]) if possible[k] > 0 else None
        if possible[k] == 0:
            reasons[f"per_label:{label}"] = Errors.E327.format(label=label)
    return per_label


def _cohen(
    data: Ratings,
    values: dict[str, float | None],
    intervals: dict[str, tuple[tuple[float, float] | None, str | None]],
    reasons: dict[str, str],
    notes: dict[str, str],
    *,
    n_boot: int,
    rng: np.random.Generator,
) -> tuple[dict[tuple[Hashable, Hashable], float | None], PairTables]:
    """Cohen's kappa (into ``values`` and ``intervals``): pairwise confusion tables,
    resampled through the distinct rating rows; the kappa of each pair, and the tables."""
    annotators, n_labels = data.annotators, len(data.labels)
    n_annotators = len(annotators)
    pairs = [(i, j) for i in range(n_annotators) for j in range(i + 1, n_annotators)]
    pairwise: dict[tuple[Hashable, Hashable], float | None] = {}
    if not pairs:
        values["cohen_kappa"] = None
        reasons["cohen_kappa"] = Errors.E322.format(n=n_annotators)
        intervals["cohen_kappa"] = (None, None)
        return pairwise, PairTables(pairs, np.zeros((0, n_labels, n_labels)))
    rows, freq = distinct_rows(data.ratings)
    cells = _pair_cells(rows, pairs, n_labels)
    tables = PairTables(pairs, (cells.T @ freq.astype(float)).reshape(len(pairs), n_labels, n_labels))
    kappas, _ = kappa_of_tables(tables.tables)
    defined = np.isfinite(kappas)
    for (i, j), kappa in zip(pairs, kappas.tolist()):
        pairwise[(annotators[i], annotators[j])] = as_value(kappa)
    if defined.any():
        values["cohen_kappa"] = float(kappas[defined].mean())
        if len(pairs) > 1:
            left_out = [f"{annotators[i]!r}-{annotators[j]!r}" for (i, j), ok in zip(pairs, defined) if not ok]
            notes["cohen_kappa"] = Notes.MEAN_OF_PAIRS.format(n=int(defined.sum())) + (
                Notes.PAIRS_LEFT_OUT.format(pairs=format_values(left_out)) if left_out else ""
            )
    else:
        values["cohen_kappa"] = None
        reasons["cohen_kappa"] = Errors.E323
    if n_boot:
        boot_tables = resampled_sums(freq, cells, n_boot, rng).reshape(n_boot, len(pairs), n_labels, n_labels)
        tables.kappa_boot, tables.agreement_boot = kappa_of_tables(boot_tables)
        intervals["cohen_kappa"] = percentile_ci(tables.kappa_boot[:, defined].mean(axis=1)) if defined.any() else (None, None)
    else:
        intervals["cohen_kappa"] = (None, Errors.E325)
    return pairwise, tables


def _ci95(
    values: dict[str, float | None],
    intervals: dict[str, tuple[tuple[float, float] | None, str | None]],
    reasons: dict[str, str],
) -> dict[str, tuple[float, float] | None]:
    """The interval of each defined coefficient; why one is missing goes into ``reasons``."""
    ci95: dict[str, tuple[float, float] | None] = {}
    for name in COEFFICIENTS:
        ci, why = intervals[name]
        if values[name] is None:
            ci = None
        elif why:
            reasons["ci95:" + name] = why
        ci95[name] = ci
    return ci95


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
