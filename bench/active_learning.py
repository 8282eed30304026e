"""Does `stance suggest` save labelling effort? A simulated labelling loop on TweetEval.

The pool is every TweetEval stance train row (five targets, 2,620 rows, gold labels
hidden until "labelled"); the score is F_avg on all val rows pooled (the mean of
F1(critical) and F1(supportive), as SemEval-2016 scores stance). One pooled model with
targets is trained per round, the way `stance train` trains on rows with a `target`.

Each seed draws the same 30 random starting labels for every strategy. Then each round
adds ``--step`` labels picked by:

* ``uncertainty+diversity``: margin uncertainty with the diversity penalty (0.5), what
  `stance suggest` does by default;
* ``uncertainty``: margin uncertainty alone (diversity 0), to see what the penalty adds;
* ``random``: the control.

Run from the repository root:

    python bench/active_learning.py

The defaults (3 seeds, 30 to 450 labels, 3 strategies: 135 trainings) took 352 s on the
2-core machine with nothing beside it (2026-12-05, `stance train` after screens 12 and 14);
fewer with ``--seeds`` or ``--budget``. 600
labels was cut to 450 to keep the run short.

Writes bench/active_learning.json (every curve point) and bench/active_learning.png.
"""

from __future__ import annotations

import argparse
import glob
import json
import time
from pathlib import Path

import numpy as np
import orjson

import stance
from stance.evaluate import scores
from stance.suggest import select

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "tweeteval-stance"  # ../shared beside the repository, as in bench/corpora.py
STRATEGIES = {
    "uncertainty+diversity": ("margin", 0.5),
    "uncertainty": ("margin", 0.0),
    "random": ("random", 0.0),
}


def load(split: str, data: Path) -> list[dict]:
    rows = []
    for path in sorted(glob.glob(str(data / "*" / f"{split}.jsonl"))):
        rows += [orjson.loads(line) for line in Path(path).read_bytes().splitlines() if line.strip()]
    return rows


def f_avg(model: stance.StanceModel, val: list[dict]) -> float:
    predicted = model.predict(val)
    return scores([r["label"] for r in val], predicted, average_labels=["critical", "supportive"])["f_avg"]


def simulate(pool: list[dict], val: list[dict], strategy: str, seed: int, start: int, step: int, budget: int) -> list[dict]:
    how, diversity = STRATEGIES[strategy]
    rng = np.random.default_rng(seed)
    labelled = [int(i) for i in rng.choice(len(pool), start, replace=False)]
    curve = []
    while True:
        model = stance.train([pool[i] for i in labelled], random_state=seed)
        curve.append({"n_labels": len(labelled), "f_avg": f_avg(model, val)})
        print(f"  {strategy:<22} seed {seed}  {len(labelled):>4} labels  F_avg {curve[-1]['f_avg']:.3f}", flush=True)
        if len(labelled) >= budget:
            return curve
        n = min(step, budget - len(labelled))
        if how == "random":
            picks = select(np.zeros((len(pool), 2)), None, n, strategy="random", seed=seed * 1000 + len(labelled), exclude=labelled)
        else:
            features = model.pipeline.named_steps["features"].transform(pool)
            proba = model.pipeline.named_steps["classifier"].predict_proba(features)
            picks = select(proba, features, n, strategy=how, diversity=diversity, seed=seed, exclude=labelled)
        labelled += [p.index for p in picks]


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"uncertainty+diversity": "tab:blue", "uncertainty": "tab:green", "random": "tab:orange"}
    fig, ax = plt.subplots(figsize=(8, 5), dpi=120)
    for strategy, runs in result["curves"].items():
        x = [p["n_labels"] for p in runs[0]]
        y = np.array([[p["f_avg"] for p in run] for run in runs])
        mean = y.mean(axis=0)
        ax.plot(x, mean, marker="o", markersize=3, color=colours.get(strategy), label=f"{strategy} (mean of {len(runs)} seeds)")
        if len(runs) > 1:
            ax.fill_between(x, y.min(axis=0), y.max(axis=0), color=colours.get(strategy), alpha=0.15)
    ax.axhline(result["full_pool_f_avg"], color="grey", linestyle="--", linewidth=1,
               label=f"all {result['pool_size']} train rows ({result['full_pool_f_avg']:.3f})")
    ax.set_title("Active learning on TweetEval stance: val F_avg vs labels (band: min–max over seeds)")
    ax.set_xlabel("labelled training rows")
    ax.set_ylabel("val F_avg = mean F1(critical, supportive)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--start", type=int, default=30)
    parser.add_argument("--step", type=int, default=30)
    parser.add_argument("--budget", type=int, default=450)
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "active_learning.json")
    parser.add_argument("--plot", type=Path, default=ROOT / "bench" / "active_learning.png")
    parser.add_argument("--replot", action="store_true", help="Only redraw the plot from the JSON file.")
    args = parser.parse_args()
    if args.replot:
        plot(json.loads(args.out.read_text()), args.plot)
        return

    began = time.time()
    pool, val = load("train", args.data), load("val", args.data)
    full = f_avg(stance.train(pool), val)
    print(f"pool {len(pool)} rows, val {len(val)} rows; all-pool model F_avg {full:.3f}", flush=True)
    curves: dict[str, list[list[dict]]] = {s: [] for s in args.strategies.split(",")}
    for seed in range(args.seeds):
        for strategy in curves:
            curves[strategy].append(simulate(pool, val, strategy, seed, args.start, args.step, args.budget))

    def mean_at(strategy: str, n: int) -> float:
        return float(np.mean([p["f_avg"] for run in curves[strategy] for p in run if p["n_labels"] == n]))

    checkpoints = [n for n in (90, 150, 300, 450, 600) if n <= args.budget]
    result = {
        "command": "python bench/active_learning.py " + " ".join(
            f"--{k}={v}" for k, v in (("seeds", args.seeds), ("start", args.start), ("step", args.step), ("budget", args.budget), ("strategies", args.strategies))
        ),
        "pool_size": len(pool),
        "val_size": len(val),
        "metric": "F_avg = mean of F1(critical) and F1(supportive) over all val rows pooled",
        "full_pool_f_avg": full,
        "seeds": args.seeds,
        "mean_f_avg_at": {s: {n: mean_at(s, n) for n in checkpoints} for s in curves},
        "mean_area_under_curve": {s: float(np.mean([np.mean([p["f_avg"] for p in run]) for run in curves[s]])) for s in curves},
        "curves": curves,
        "seconds": round(time.time() - began, 1),
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    plot(result, args.plot)
    print(json.dumps({k: result[k] for k in ("full_pool_f_avg", "mean_f_avg_at", "mean_area_under_curve", "seconds")}, indent=1))


if __name__ == "__main__":
    main()
