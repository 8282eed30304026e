"""How `stance train` should use the shipped prior with few labels, on dev curves only.

    python bench/prior_weight.py        # about a minute

`stance train` fits a model on the prior's features and scores, then blends it with the
prior by a weight of the new labels that cross-validation on the rows chooses
(src/stance/training.py). This compares, at 25 to 200 labels:

  prior as is       the shipped default model, no training
  weight 1          the fitted model alone (no blend: what `stance train` did before)
  weight by CV      the blend, as `stance train` does now

on two sets that neither the prior nor any benchmark test uses:

  replies-train2  the second round of real replies labelled in our buckets (seeds/replies-train,
                  labellers e-h; 1,496 RumourEval replies, not shipped: the prior trained on
                  the first round, other replies of the same threads, never on these)
  abcd-dev        CreateDebate ABCD dev pairs, agree / disagree only (two of our labels)

(Until 2026-12-04 the first set was RumourEval 2017 train replies with SDQC mapped to our
buckets; the prior now trains on 1,821 of them, so it no longer serves.)

Each set is halved at random per seed; n labels come from one half, up to 1,500 rows of
the other are scored (macro-F1 over the set's labels), 3 seeds, mean ± sd. Writes
bench/results/prior_weight.{json,md}.
"""

from __future__ import annotations

import json
import random
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import corpora  # noqa: E402
import stance  # noqa: E402
from stance import training  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SIZES = (25, 50, 100, 200)
SEEDS = 3
TEST_ROWS = 1500


def dev_sets() -> dict[str, list[dict]]:
    return {"replies-train2": corpora.replies_train("efgh"), "abcd-dev": corpora.agreement("abcd-dev")}


def labels_of(model: stance.StanceModel, rows: list[dict]) -> list[str]:
    texts = [r["text"] for r in rows]
    return [p.label for p in model.classify(texts, context=[r.get("context") for r in rows], parent=[r.get("parent") for r in rows])]


def curve(rows: list[dict], prior: stance.StanceModel, weights: tuple[float, ...] | None) -> dict[str, dict[str, float]]:
    """macro-F1 by number of labels; weights None is the prior as is, (1.0,) the fitted model alone."""
    labels = sorted({r["label"] for r in rows})
    saved = training.LABEL_WEIGHTS, training.LABEL_WEIGHT_WITHOUT_CV
    if weights is not None:
        training.LABEL_WEIGHTS, training.LABEL_WEIGHT_WITHOUT_CV = weights, weights[len(weights) // 2]
    try:
        per_size: dict[int, list[float]] = {}
        for seed in range(SEEDS):
            shuffled = rows[:]
            random.Random(seed).shuffle(shuffled)
            pool, test = shuffled[: len(rows) // 2], shuffled[len(rows) // 2 :][:TEST_ROWS]
            gold = [r["label"] for r in test]
            for n in (0,) if weights is None else SIZES:
                model = prior if weights is None else stance.train(pool[:n], prior=prior, random_state=seed)
                per_size.setdefault(n, []).append(f1_score(gold, labels_of(model, test), labels=labels, average="macro", zero_division=0))
    finally:
        training.LABEL_WEIGHTS, training.LABEL_WEIGHT_WITHOUT_CV = saved
    return {str(n): {"mean": float(np.mean(v)), "sd": float(np.std(v))} for n, v in per_size.items()}


def main() -> None:
    warnings.filterwarnings("ignore", message="Liblinear failed to converge")
    prior = stance.load_model(ROOT / "models" / "default.stance")
    systems = {"prior as is": None, "weight 1": (1.0,), "weight by CV": training.LABEL_WEIGHTS}
    results = {}
    for name, rows in dev_sets().items():
        results[name] = {"rows": len(rows), "systems": {}}
        for system, weights in systems.items():
            results[name]["systems"][system] = curve(rows, prior, weights)
            print(name, system, results[name]["systems"][system], flush=True)
    sizes = ["0", *map(str, SIZES)]
    lines = ["| dev set | system | " + " | ".join(sizes) + " |", "|---|---|" + "---:|" * len(sizes)]
    for name, result in results.items():
        for system, cells in result["systems"].items():
            lines.append(f"| {name} ({result['rows']} rows) | {system} | "
                         + " | ".join(f"{cells[n]['mean']:.3f} ± {cells[n]['sd']:.3f}" if n in cells else "" for n in sizes) + " |")
    table = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "prior_weight.json").write_text(json.dumps({"command": "python bench/prior_weight.py", "results": results}, indent=1) + "\n")
    (RESULTS / "prior_weight.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
