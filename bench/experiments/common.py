"""Shared data loading and metrics for the stance benchmark experiments."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import orjson
from sklearn.metrics import f1_score

DATA = Path(os.environ.get("STANCE_DATA", "/work/shared/data/tweeteval-stance"))
TARGETS = ["abortion", "atheism", "climate", "feminist", "hillary"]
FAVG_LABELS = ["critical", "supportive"]


def load(split: str, targets=TARGETS) -> list[dict]:
    rows = []
    for t in targets:
        with open(DATA / t / f"{split}.jsonl", "rb") as f:
            rows.extend(orjson.loads(line) for line in f if line.strip())
    return rows


def f_avg(y_true, y_pred) -> float:
    return 100 * float(np.mean(f1_score(y_true, y_pred, labels=FAVG_LABELS, average=None,
                                        zero_division=0)))


def macro_f1(y_true, y_pred) -> float:
    return 100 * f1_score(y_true, y_pred, average="macro", zero_division=0)


def scores(rows, preds) -> dict:
    y = [r["label"] for r in rows]
    out = {"f_avg": f_avg(y, preds), "macro_f1": macro_f1(y, preds), "per_target": {}}
    for t in TARGETS:
        idx = [i for i, r in enumerate(rows) if r["target"] == t]
        out["per_target"][t] = f_avg([y[i] for i in idx], [preds[i] for i in idx])
    return out


def bootstrap_favg(rows, preds, n=1000, seed=0):
    """Std and 95% interval of pooled F_avg under resampling of the val rows."""
    y = np.array([r["label"] for r in rows])
    p = np.array(preds)
    rng = np.random.default_rng(seed)
    vals = [f_avg(y[idx], p[idx]) for idx in (rng.integers(0, len(y), len(y))
                                                for _ in range(n))]
    return float(np.std(vals)), float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))


def paired_bootstrap(rows, preds_a, preds_b, n=1000, seed=0):
    """Fraction of bootstrap resamples in which system a beats system b on F_avg."""
    y = np.array([r["label"] for r in rows])
    a, b = np.array(preds_a), np.array(preds_b)
    rng = np.random.default_rng(seed)
    wins = 0
    for _ in range(n):
        idx = rng.integers(0, len(y), len(y))
        wins += f_avg(y[idx], a[idx]) > f_avg(y[idx], b[idx])
    return wins / n
