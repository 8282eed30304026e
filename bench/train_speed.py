"""How long `stance train` takes, against a TF-IDF SVM trained on the same rows in the same run.

    python bench/train_speed.py      # about three minutes on the 2-core machine

Rows: TweetEval stance's train split (2,620 tweets, five targets), shuffled once. For each
size, `stance.train` with its defaults (centred on the shipped prior, C by 5-fold
cross-validation; with targets, one model per target as well) and bench/replies.py's
`tfidf_svm` (TF-IDF word and character n-grams, LinearSVC, C by 5-fold cross-validation; with
targets, one per target as well) train on the same rows, back to back, --repeats times; the
median of each is reported with their ratio, because the machine is noisy. "no targets" drops
the target field: a notebook user's thread.

Writes bench/results/train_speed.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import corpora  # noqa: E402
import replies  # noqa: E402
import stance  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SIZES = (60, 300, 1000, 2620)


def seconds(train, rows: list[dict]) -> float:
    started = time.perf_counter()
    train(rows)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    prior = stance.load_model(ROOT / "models" / "default.stance")
    tweets = [r for target in corpora.TARGETS for r in corpora.tweeteval(target, "train")]
    random.Random(0).shuffle(tweets)
    systems = {
        "stance train": lambda rows: stance.train(rows, prior=prior),
        "tfidf_svm": lambda rows: replies.TfidfSvm().fit(rows, ("critical", "off-topic", "supportive"), 0),
    }
    results = []
    for targets in (True, False):
        for size in SIZES:
            rows = [r if targets else {k: v for k, v in r.items() if k != "target"} for r in tweets[:size]]
            times: dict[str, list[float]] = {name: [] for name in systems}
            for _ in range(args.repeats):
                for name, train in systems.items():
                    times[name].append(seconds(train, rows))
            median = {name: statistics.median(values) for name, values in times.items()}
            results.append({"rows": size, "targets": targets, "seconds": median, "ratio": median["stance train"] / median["tfidf_svm"]})
            print(results[-1], flush=True)
    lines = ["| rows | targets | `stance train` (s) | tfidf_svm (s) | ratio |", "|---:|---|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['rows']} | {'five' if r['targets'] else 'none'} | {r['seconds']['stance train']:.1f} | {r['seconds']['tfidf_svm']:.1f} | {r['ratio']:.2f} |")
    table = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "train_speed.json").write_text(json.dumps({"command": "python bench/train_speed.py", "repeats": args.repeats, "results": results}, indent=1) + "\n")
    (RESULTS / "train_speed.md").write_text("`python bench/train_speed.py`\n\n" + table)
    print(table)


if __name__ == "__main__":
    main()
