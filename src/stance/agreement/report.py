"""The agreement report: the coefficients of one set of annotations, and what they rest on."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import Errors, InputError, format_values
from .bootstrap import percentile_ci
from .coefficients import COEFFICIENTS, as_value, kappa_of_tables


@dataclass(eq=False)  # holds arrays
class PairTables:
    """The confusion table of every pair of annotators, over the items both rated.

    ``pairs`` lists the pairs as annotator positions ``(i, j)``, ``i < j``; ``tables`` is
    pairs × labels × labels. ``kappa_boot`` and ``agreement_boot`` are the bootstrap
    replicates (replicates × pairs) of each pair's Cohen's kappa and raw agreement, or None
    without a bootstrap.
    """

    pairs: list[tuple[int, int]]
    tables: np.ndarray
    kappa_boot: np.ndarray | None = None
    agreement_boot: np.ndarray | None = None


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
    ratings, counts : ndarray
        The rating matrix (items × annotators, label codes, ``-1`` for no rating) and the
        count matrix (items × labels).
    pair_tables : PairTables
        The pairwise confusion tables (and their bootstrap replicates) behind
        :meth:`versus`.
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
    pair_tables: PairTables = field(repr=False)

    def _annotator_index(self, name: Hashable) -> int:
        try:
            return self.annotators.index(name)
        except ValueError:
            raise InputError(Errors.E306.format(name=name, available=format_values(self.annotators))) from None

    def confusion(self, a: Hashable, b: Hashable) -> np.ndarray:
        """Confusion matrix of annotators ``a`` (rows) and ``b`` (columns) over the items
        both rated; rows and columns follow :attr:`labels`.

        Examples
        --------
        >>> from stance.agreement import compare
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
        >>> from stance.agreement import compare
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
        pairs = self.pair_tables
        chosen = [p for p, (i, j) in enumerate(pairs.pairs) if index in (i, j)]
        reasons: dict[str, str] = {}
        per_annotator: dict[Hashable, dict[str, Any]] = {}
        kappas, agreements = kappa_of_tables(pairs.tables[chosen]) if chosen else (np.zeros(0), np.zeros(0))
        for position, p in enumerate(chosen):
            i, j = pairs.pairs[p]
            other = self.annotators[j if i == index else i]
            per_annotator[other] = {
                "cohen_kappa": as_value(float(kappas[position])),
                "percent_agreement": as_value(float(agreements[position])),
                "n_items": int(pairs.tables[p].sum()),
            }
        result: dict[str, Any] = {"annotator": annotator, "per_annotator": per_annotator}
        for name, values, boot in (("cohen_kappa", kappas, pairs.kappa_boot), ("percent_agreement", agreements, pairs.agreement_boot)):
            defined = np.isfinite(values)
            if not defined.any():
                result[name] = {"value": None, "ci95": None}
                reasons[name] = Errors.E323 if chosen else Errors.E322.format(n=1)
                continue
            ci = None
            if boot is not None and boot.shape[0]:
                columns = np.asarray(chosen)[defined]
                ci, why = percentile_ci(boot[:, columns].mean(axis=1))
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
            "labels": [jsonable(label) for label in self.labels],
        }
        for name in COEFFICIENTS:
            ci = self.ci95.get(name)
            out[name] = {"value": getattr(self, name), "ci95": list(ci) if ci else None}
        out["per_label"] = {str(label): value for label, value in self.per_label.items()}
        out["pairwise_cohen_kappa"] = [
            {"a": jsonable(a), "b": jsonable(b), "value": value} for (a, b), value in self.pairwise.items()
        ]
        out["reasons"] = dict(self.reasons)
        out["notes"] = dict(self.notes)
        out["bootstrap"] = {"n_boot": self.n_boot, "seed": self.seed, "method": "percentile, resampling items"}
        out["disagreements"] = [
            {"item": jsonable(d["item"]), "agreement": d["agreement"], "labels": {str(k): jsonable(v) for k, v in d["labels"].items()}}
            for d in self.disagreements(disagreements)
        ]
        return out


def jsonable(value: Any) -> Any:
    """An item, annotator or label as JSON can hold it: numpy scalars as Python ones, others as text."""
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
