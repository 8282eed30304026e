"""Evaluate: compare predicted labels with gold labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix, precision_recall_fscore_support

from .errors import spelling_notes


def scores(
    gold: Sequence[str],
    predicted: Sequence[str],
    *,
    labels: Sequence[str] | None = None,
    average_labels: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-label precision/recall/F1, Cohen's kappa and the confusion matrix.

    Parameters
    ----------
    gold, predicted
        Labels, aligned by position.
    labels
        Label order for the report; by default every label seen in either sequence, sorted.
    average_labels
        If given, also report ``f_avg``: the mean F1 over just these labels (SemEval-2016
        stance scores the mean of F1(against) and F1(favor)).

    Examples
    --------
    >>> result = scores(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    >>> result["accuracy"], round(result["macro_f1"], 3)
    (0.75, 0.733)
    """
    gold = [str(g) for g in gold]
    predicted = [str(p) for p in predicted]
    if labels is None:
        labels = sorted(set(gold) | set(predicted))
    labels = list(labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=labels, zero_division=0
    )
    kappa = cohen_kappa_score(gold, predicted, labels=labels) if len(set(gold) | set(predicted)) > 1 else float("nan")
    result: dict[str, Any] = {
        "n": len(gold),
        "labels": labels,
        "accuracy": float(accuracy_score(gold, predicted)) if gold else float("nan"),
        "macro_f1": float(np.mean(f1)) if len(f1) else float("nan"),
        "cohen_kappa": None if np.isnan(kappa) else float(kappa),
        "per_label": {
            label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
        "confusion": confusion_matrix(gold, predicted, labels=labels).tolist(),
    }
    if average_labels:
        result["f_avg"] = float(np.mean([result["per_label"][label]["f1"] for label in average_labels]))
    return result


def format_scores(result: dict[str, Any]) -> str:
    """A plain-text report of :func:`scores`."""
    labels = result["labels"]
    width = max([len(label) for label in labels] + [9])
    lines = [
        f"rows        {result['n']}",
        f"accuracy    {result['accuracy']:.3f}",
        f"macro-F1    {result['macro_f1']:.3f}",
        "Cohen's κ   " + ("undefined (only one label in gold and predictions)" if result["cohen_kappa"] is None else f"{result['cohen_kappa']:.3f}"),
    ]
    if "f_avg" in result:
        lines.append(f"F_avg       {result['f_avg']:.3f}")
    lines += ["", f"{'label':<{width}}  precision  recall     F1  support"]
    for label in labels:
        row = result["per_label"][label]
        lines.append(f"{label:<{width}}  {row['precision']:9.3f}  {row['recall']:6.3f}  {row['f1']:5.3f}  {row['support']:7d}")
    # columns as wide as the longest label: cut short, two labels could read alike
    lines += ["", "confusion (rows: gold, columns: predicted)", " " * width + "  " + "  ".join(f"{l:>{width}}" for l in labels)]
    for label, counts in zip(labels, result["confusion"]):
        lines.append(f"{label:<{width}}  " + "  ".join(f"{c:>{width}d}" for c in counts))
    lines += spelling_notes(labels)
    return "\n".join(lines)
