"""How `stance train` should use the shipped prior with few labels, on dev curves only.

    python bench/prior_weight.py               # the curves: about three minutes
    python bench/prior_weight.py --tweeteval   # and screen 8's guard: about five more
    python bench/prior_weight.py --no-curves --tweeteval-loto --tweeteval-pairs   # the transfer guards alone

`stance train` fits a logistic regression centred on the prior: the prior's weights plus a
correction whose size C cross-validation on the rows chooses (src/stance/training.py). This
compares, at 25 to 200 labels:

  prior as is          the shipped default model, no training
  stance train         C by cross-validation from 0.3 to 100 (screen 9 of bench/EXPERIMENTS.md)
  centred, C = ...     fixed C, and C by cross-validation from 0.1 to 10 (screen 8)
  one-SE rule          the smallest C within one standard error of the best (screen 10)
  C by CV up to 1000   the grid extended to 300 and 1000 (screen 11)
  per-target C pooled  per-target models take the pooled model's C (screen 12)
  ...                  and the later screens' settings, each named in SYSTEMS below

on two sets that neither the prior nor any benchmark test uses:

  replies-train2  the second round of real replies labelled in our buckets (seeds/replies-train,
                  labellers e-h; 1,496 RumourEval replies, not shipped: the prior trained on
                  the first round, other replies of the same threads, never on these)
  abcd-dev        CreateDebate ABCD dev pairs, agree / disagree only (two of our labels)

Until 2026-12-05 `stance train` fitted an SVM on the prior's features and scores and blended
it with the prior by a cross-validated weight; that way is gone from the package, and
bench/results/prior_weight.md at commit 4dfff73 is its last run beside the centred fits.

Each set is halved at random per seed; n labels come from one half, up to 1,500 rows of
the other are scored (macro-F1 over the set's labels), 3 seeds, mean ± sd. The guards score
TweetEval stance's train split (the benchmark reads only val): 5-fold CV (--tweeteval), each
target held out from the other four (--tweeteval-loto), and each target labelled from one other
target, 20 pairs, beside the same run's TF-IDF SVM (--tweeteval-pairs). Writes
bench/results/STEM.{json,md} (--stem, default prior_weight).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import shlex
import sys
import time
import warnings
from collections.abc import Iterator
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


# Each system is a setting of stance.training's module constants (None: the prior as is).
SYSTEMS: dict[str, dict | None] = {
    "prior as is": None,
    "stance train": {},
    # screen 8 (bench/EXPERIMENTS.md)
    "centred, C = 0.3": {"CENTRED_C": 0.3},
    "centred, C = 1": {"CENTRED_C": 1.0},
    "centred, C = 3": {"CENTRED_C": 3.0},
    "centred, C by CV 0.1-10": {"CENTRED_C": "cv", "CENTRED_C_GRID": (0.1, 0.3, 1.0, 3.0, 10.0)},
    # screen 10: the smallest C within one standard error of the best
    "one-SE rule": {"CENTRED_C_RULE": "one-se"},
    # screen 11: a grid that reaches further from the prior
    "C by CV up to 1000": {"CENTRED_C_GRID": (0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)},
    # screen 12: per-target models take the pooled model's C (speed; the curves carry no targets)
    "per-target C pooled": {"PER_TARGET_C": "pooled"},
    # screen 13: the SVM on the prior's scores where the same folds prefer it to every C
    "centred or stacked by CV": {"STACKED_RULE": "in folds"},
    # screen 14: the same, only where the SVM's own CV beats the best C by more than one standard error
    "stacked if better by one SE": {"STACKED_RULE": "one-se"},
    # screen 15: stance train as it was before screen 14
    "centred only": {"STACKED_RULE": None},
    # screen 16: C scored by the folds' class-weighted log loss, not their macro-F1
    "C by CV log loss": {"CENTRED_C_SCORE": "log loss"},
    # screen 17: macro-F1 first, log loss among the Cs within one standard error of the best
    "log loss within one SE of the best F1": {"CENTRED_C_SCORE": "log loss within one SE"},
    # screen 19: log loss at a temperature refitted to each C's out-of-fold logits
    "C by CV log loss at its own temperature": {"CENTRED_C_SCORE": "tempered log loss"},
}


@contextlib.contextmanager
def setting(constants: dict) -> Iterator[None]:
    saved = {name: getattr(training, name) for name in constants}
    for name, value in constants.items():
        setattr(training, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(training, name, value)


def curve(rows: list[dict], prior: stance.StanceModel, constants: dict | None) -> dict[str, dict[str, float]]:
    """macro-F1 by number of labels; constants None is the prior as is."""
    labels = sorted({r["label"] for r in rows})
    per_size: dict[int, list[float]] = {}
    with setting(constants or {}):
        for seed in range(SEEDS):
            shuffled = rows[:]
            random.Random(seed).shuffle(shuffled)
            pool, test = shuffled[: len(rows) // 2], shuffled[len(rows) // 2 :][:TEST_ROWS]
            gold = [r["label"] for r in test]
            for n in (0,) if constants is None else SIZES:
                model = prior if constants is None else stance.train(pool[:n], prior=prior, random_state=seed)
                per_size.setdefault(n, []).append(f1_score(gold, labels_of(model, test), labels=labels, average="macro", zero_division=0))
    return {str(n): {"mean": float(np.mean(v)), "sd": float(np.std(v))} for n, v in per_size.items()}


def tweeteval_cv(rows: list[dict], prior: stance.StanceModel, constants: dict) -> float:
    """F_avg (mean F1 of supportive and critical) of 5-fold CV of `stance train` on ``rows``,
    TweetEval stance's train split: the many-labels guard of screen 8."""
    with setting(constants):
        result = stance.cross_validate(rows, folds=5, repeats=1, prior=prior)
    return float(np.mean([result["per_label_f1"]["supportive"], result["per_label_f1"]["critical"]]))


def tweeteval_loto(rows: list[dict], prior: stance.StanceModel, constants: dict) -> float:
    """F_avg of TweetEval stance's train split, each target labelled by `stance train` on the
    other four targets' rows: a dev guard for carrying labels to a new topic, which the CV above
    does not measure (the benchmark's tweeteval-loto is the same on the val split)."""
    gold, predicted = [], []
    with setting(constants):
        for target in corpora.TARGETS:
            model = stance.train([r for r in rows if r["target"] != target], prior=prior)
            held_out = [r for r in rows if r["target"] == target]
            gold += [r["label"] for r in held_out]
            predicted += [p.label for p in model.classify([r["text"] for r in held_out], target=[target] * len(held_out))]
    return f_avg(gold, predicted)


def tweeteval_pairs(rows: list[dict], prior: stance.StanceModel, constants: dict | None) -> float:
    """F_avg of TweetEval stance's train split, each target's rows labelled by `stance train` on
    one other target's rows, the 20 pairs pooled: one topic carried to another (screen 18).
    ``constants`` None is the same run's TF-IDF SVM (bench/replies.py's ``tfidf_svm``)."""
    import replies  # the benchmark's baseline: here, since only this guard needs it

    def fitted(train: list[dict]):
        """A function labelling rows of one target: `stance train`'s, or the TF-IDF SVM's."""
        if constants is None:
            return replies.TfidfSvm().fit([{**r, "target": None} for r in train], None, 0)
        model = stance.train(train, prior=prior)
        return lambda held_out: [p.label for p in model.classify([r["text"] for r in held_out], target=[held_out[0]["target"]] * len(held_out))]

    gold, predicted = [], []
    with setting(constants or {}):
        for source in corpora.TARGETS:
            label = fitted([r for r in rows if r["target"] == source])
            for target in corpora.TARGETS:
                if target != source:
                    held_out = [r for r in rows if r["target"] == target]
                    gold += [r["label"] for r in held_out]
                    predicted += label(held_out)
    return f_avg(gold, predicted)


def f_avg(gold: list[str], predicted: list[str]) -> float:
    """SemEval-2016's score: the mean F1 of supportive (favour) and critical (against)."""
    return float(np.mean(f1_score(gold, predicted, labels=["supportive", "critical"], average=None, zero_division=0)))


GUARDS = {
    "tweeteval-train CV": ("tweeteval", "5-fold CV F_avg", tweeteval_cv),
    "tweeteval-train LOTO": ("tweeteval_loto", "leave one target out F_avg", tweeteval_loto),
    "tweeteval-train pairs": ("tweeteval_pairs", "one target to another F_avg", tweeteval_pairs),
}


def main() -> None:
    warnings.filterwarnings("ignore", message="Liblinear failed to converge")
    prior = stance.load_model(ROOT / "models" / "default.stance")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tweeteval", action="store_true", help="also 5-fold CV on TweetEval stance's train split (screen 8's guard)")
    parser.add_argument("--tweeteval-loto", action="store_true", help="also leave one target out on TweetEval stance's train split (the transfer guard)")
    parser.add_argument("--tweeteval-pairs", action="store_true",
                        help="also one target to another on TweetEval stance's train split, 20 pairs, beside the TF-IDF SVM (screen 18's guard)")
    parser.add_argument("--no-curves", action="store_true", help="skip the dev curves (only the TweetEval guards)")
    parser.add_argument("--systems", help="comma-separated systems to run (default: all)")
    parser.add_argument("--stem", default="prior_weight", help="results go to bench/results/STEM.{json,md}")
    args = parser.parse_args()
    wanted = args.systems.split(",") if args.systems else list(SYSTEMS)
    unknown = sorted(set(wanted) - set(SYSTEMS))
    if unknown:
        parser.error(f"unknown systems {unknown}; choose from {sorted(SYSTEMS)}")
    systems = {name: SYSTEMS[name] for name in wanted}
    results = {}
    for name, rows in ({} if args.no_curves else dev_sets()).items():
        results[name] = {"rows": len(rows), "systems": {}}
        for system, constants in systems.items():
            started = time.perf_counter()
            results[name]["systems"][system] = curve(rows, prior, constants)
            print(name, system, results[name]["systems"][system], f"{time.perf_counter() - started:.0f} s", flush=True)
    guards = {guard: (heading, run) for guard, (flag, heading, run) in GUARDS.items() if getattr(args, flag)}
    tweets = [r for target in corpora.TARGETS for r in corpora.tweeteval(target, "train")] if guards else []
    for guard, (_, run) in guards.items():
        results[guard] = {}
        if run is tweeteval_pairs:  # the transfer target is stated against the TF-IDF SVM
            results[guard]["TF-IDF SVM"] = run(tweets, prior, None)
            print(guard, "TF-IDF SVM", f"F_avg {results[guard]['TF-IDF SVM']:.3f}", flush=True)
        for system, constants in systems.items():
            if constants is not None:
                started = time.perf_counter()
                results[guard][system] = run(tweets, prior, constants)
                print(guard, system, f"F_avg {results[guard][system]:.3f}", f"{time.perf_counter() - started:.0f} s", flush=True)
    curves = {name: result for name, result in results.items() if name not in GUARDS}
    sizes = ["0", *map(str, SIZES)]
    lines = ["| dev set | system | " + " | ".join(sizes) + " |", "|---|---|" + "---:|" * len(sizes)]
    for name, result in curves.items():
        for system, cells in result["systems"].items():
            lines.append(f"| {name} ({result['rows']} rows) | {system} | "
                         + " | ".join(f"{cells[n]['mean']:.3f} ± {cells[n]['sd']:.3f}" if n in cells else "" for n in sizes) + " |")
    mean_lines = ["| system | mean of the eight cells (25-200 labels, both sets) |" + "".join(f" TweetEval train, {heading} |" for heading, _ in guards.values()),
                  "|---|---:|" + "---:|" * len(guards)]
    for system, constants in systems.items():
        if constants is not None:
            cells = [result["systems"][system][str(n)]["mean"] for result in curves.values() for n in SIZES]
            mean = f"{np.mean(cells):.3f}" if cells else ""
            mean_lines.append(f"| {system} | {mean} |" + "".join(f" {results[guard][system]:.3f} |" for guard in guards))
    if any("TF-IDF SVM" in results[guard] for guard in guards):
        mean_lines.append("| TF-IDF SVM (same run) | |" + "".join(f" {results[guard]['TF-IDF SVM']:.3f} |" if "TF-IDF SVM" in results[guard] else " |"
                                                              for guard in guards))
    table = ("\n".join(lines) + "\n\n" if curves else "") + "\n".join(mean_lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    command = shlex.join(["python", "bench/prior_weight.py", *sys.argv[1:]])
    (RESULTS / f"{args.stem}.json").write_text(json.dumps({"command": command, "results": results}, indent=1) + "\n")
    (RESULTS / f"{args.stem}.md").write_text(f"`{command}`\n\n" + table)
    print(table)


if __name__ == "__main__":
    main()
