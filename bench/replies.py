"""Reply-stance benchmark: how well systems label replies from threads and topics they were not trained on.

    python bench/replies.py                       # every protocol and system (see --help for a subset)
    python bench/replies.py --protocols clear-cut,replies --systems default,ours

All systems run in the same process on the same splits; the table goes to stdout and to
bench/results/replies.md, every figure to bench/results/replies.json.

Protocols (bench/EXPERIMENTS.md says which sets any choice was made on; no current choice
was made on the sets below):

  known topic   tweeteval-val    TweetEval stance, each target's train -> its val split (294
                                 tweets; stance 0.1's defaults were chosen on it, today's were not)
  new topic     tweeteval-loto   TweetEval stance: train on four targets' train split, score the
                                 fifth target's train+val; all five in turn, predictions pooled
                iac-loto         IAC (agreement-pairs): train on IAC train+dev of the other topics,
                                 score a topic's IAC test rows; the five topics with test rows
  new platform  iac-to-awtp      IAC train+dev (forums) -> AWTP test (Wikipedia talk pages)
                re17-to-re19     RumourEval 2017 train+dev (Twitter) -> RumourEval 2019 dev (Reddit)
  new thread    re17-threads     RumourEval 2017 train -> 2017 test (no thread on both sides)
  our labels    replies          the hand-labelled reply set: train on its dev threads, score its
                                 test threads (seeds/replies/); the seed thread is one of them
                clear-cut        replies written for this project: train on clearcut/dev, score
                                 clearcut/test (seeds/clearcut/)
  few labels    curve-*          learning curves: n labels (0, 25, 50, 100, 200) drawn from one half
                                 of a target set, scored on the other half, several seeds

RumourEval protocols are scored twice: on its own four labels (support, deny, query, comment;
its official macro-F1) with systems trained on them, and in our three buckets through the
mapping support -> supportive, deny and query -> critical, comment -> off-topic, which is how
the default model, trained for our buckets, can be scored at all. seeds/replies/README.md
measures how far that mapping is from our labels.

Systems:
  majority      the most frequent training label
  tfidf_svm     TF-IDF word 1-3 + char 2-5 grams (sublinear tf), LinearSVC, C by 5-fold CV on the
                training rows (macro-F1) from {0.03, 0.1, 0.3, 1, 3}
  spacy_bow     spaCy textcat (TextCatBOW.v3, exclusive classes, ngram 2) on spacy.blank("en"),
                10 epochs; skipped where training is longer than --bow-max-rows rows
  default       the shipped default model as it is, no training (three buckets only)
  ours          `stance train` defaults
  ours_noprior  `stance train --prior none`: the same without the shipped prior

Metrics: macro-F1 over the protocol's labels, F_avg (mean F1 of supportive and critical) for
TweetEval, each with a 95% percentile bootstrap interval over the pooled test rows.
"""

from __future__ import annotations

import argparse
import json

import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed

from corpora import (  # bench/corpora.py, beside this file
    BUCKETS, ROOT, SDQC, TARGETS, agreement, clearcut, labelled_threads, replies, rumoureval, tweeteval,
)

RESULTS = ROOT / "bench" / "results"
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)


# ------------------------------------------------------------------------------- scoring
def f1_per_label(gold: list[str], predicted: list[str], labels: Iterable[str]) -> dict[str, float]:
    out = {}
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted))
        out[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return out


def macro_f1(gold: list[str], predicted: list[str], labels: Iterable[str]) -> float:
    return float(np.mean(list(f1_per_label(gold, predicted, labels).values())))


def f_avg(gold: list[str], predicted: list[str], labels: Iterable[str] = ()) -> float:
    """SemEval-2016's official F_avg: the mean F1 of the two stance labels."""
    return float(np.mean(list(f1_per_label(gold, predicted, ("supportive", "critical")).values())))


def bootstrap(metric: Callable, gold: list[str], predicted: list[str], labels, *, n: int = 1000, seed: int = 0) -> list[float]:
    """95% percentile interval of ``metric`` over rows resampled with replacement."""
    rng = np.random.default_rng(seed)
    g, p = np.array(gold, dtype=object), np.array(predicted, dtype=object)
    values = []
    for _ in range(n):
        index = rng.integers(0, len(g), len(g))
        values.append(metric(g[index].tolist(), p[index].tolist(), labels))
    return [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))]


# ------------------------------------------------------------------------------- systems
class System:
    """fit(rows) returns a function that labels rows; ``needs_training`` is False for the
    shipped model, which is scored as it is."""

    name = ""
    needs_training = True
    uses_prior = False

    def fit(self, rows: list[dict], labels: tuple[str, ...], seed: int) -> Callable[[list[dict]], list[str]]:
        raise NotImplementedError


class Majority(System):
    name = "majority"

    def fit(self, rows, labels, seed):
        top = Counter(r["label"] for r in rows).most_common(1)[0][0]
        return lambda test: [top] * len(test)


class TfidfSvm(System):
    """One SVM per target when the rows carry targets (the SemEval-2016 organisers' way), else one."""

    name = "tfidf_svm"

    def fit(self, rows, labels, seed):
        targets = sorted({r.get("target") for r in rows if r.get("target")})
        if not targets:
            return self._fit_one(rows, seed)
        pooled = self._fit_one(rows, seed)
        per_target = {t: self._fit_one([r for r in rows if r.get("target") == t], seed) for t in targets}

        def predict(test):
            out = [None] * len(test)
            groups: dict[str | None, list[int]] = {}
            for i, r in enumerate(test):
                groups.setdefault(r.get("target") if r.get("target") in per_target else None, []).append(i)
            for target, index in groups.items():
                for i, label in zip(index, (per_target.get(target) or pooled)([test[i] for i in index])):
                    out[i] = label
            return out

        return predict

    def _fit_one(self, rows, seed):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.model_selection import GridSearchCV, StratifiedKFold
        from sklearn.pipeline import FeatureUnion
        from sklearn.svm import LinearSVC

        # The vectorizers are fitted once on all training rows and C is chosen by CV on
        # the resulting matrix: refitting them in every inner fold costs five times as
        # much and uses the same rows.
        features = FeatureUnion([
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 3), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char", ngram_range=(2, 5), sublinear_tf=True)),
        ])
        X = features.fit_transform([r["text"] for r in rows])
        y = [r["label"] for r in rows]
        folds = max(2, min(5, min(Counter(y).values())))
        search = GridSearchCV(
            LinearSVC(random_state=seed, max_iter=5000), {"C": list(C_GRID)}, scoring="f1_macro",
            cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
        )
        search.fit(X, y)
        return lambda test: list(search.predict(features.transform([r["text"] for r in test])))


class SpacyBow(System):
    name = "spacy_bow"

    def __init__(self, epochs: int = 10) -> None:
        self.epochs = epochs

    def fit(self, rows, labels, seed):
        import spacy
        from spacy.training import Example
        from spacy.util import fix_random_seed, minibatch

        fix_random_seed(seed)
        nlp = spacy.blank("en")
        model = {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": True, "ngram_size": 2, "no_output_layer": False}
        textcat = nlp.add_pipe("textcat", config={"model": model})
        seen = sorted({r["label"] for r in rows})
        for label in seen:
            textcat.add_label(label)
        examples = [
            Example.from_dict(nlp.make_doc(r["text"]), {"cats": {label: float(label == r["label"]) for label in seen}})
            for r in rows
        ]
        optimizer = nlp.initialize(lambda: examples)
        rng = random.Random(seed)
        for _ in range(self.epochs):
            rng.shuffle(examples)
            for batch in minibatch(examples, size=16):
                nlp.update(batch, sgd=optimizer, drop=0.2)

        def predict(test):
            return [max(doc.cats, key=doc.cats.get) for doc in nlp.pipe(r["text"] for r in test)]

        return predict


def as_examples(rows: list[dict]) -> list[dict]:
    return [{k: r.get(k) for k in ("text", "context", "parent", "target")} for r in rows]


class Default(System):
    name = "default"
    needs_training = False
    uses_prior = True

    def fit(self, rows, labels, seed):
        import stance

        model = stance.load_model()
        return lambda test: list(model.predict(as_examples(test)))


class Ours(System):
    name = "ours"
    uses_prior = True

    def __init__(self, **options) -> None:
        self.options = options

    def fit(self, rows, labels, seed):
        import stance

        model = stance.train(rows, random_state=seed, **self.options)
        return lambda test: list(model.predict(as_examples(test)))


class OursNoPrior(Ours):
    name = "ours_noprior"
    uses_prior = False

    def __init__(self) -> None:
        super().__init__(prior=None)


SYSTEMS: dict[str, Callable[[], System]] = {
    "majority": Majority, "tfidf_svm": TfidfSvm, "spacy_bow": SpacyBow,
    "default": Default, "ours": Ours, "ours_noprior": OursNoPrior,
}


# ----------------------------------------------------------------------------- protocols
@dataclass
class Fold:
    train: list[dict]
    test: list[dict]


@dataclass
class Protocol:
    name: str
    group: str
    what: str
    labels: tuple[str, ...]
    folds: Callable[[], list[Fold]]
    metric: str = "macro_f1"
    prior_clean: bool = True  # False when the shipped prior trained on some test rows
    prior_saw: str = ""  # what the shipped prior trained on that is near these test rows (not the rows)
    slices: dict[str, Callable[[dict], bool]] = field(default_factory=dict)


def _tweeteval_loto() -> list[Fold]:
    return [
        Fold(
            [r for other in TARGETS if other != target for r in tweeteval(other, "train")],
            tweeteval(target, "train") + tweeteval(target, "val"),
        )
        for target in TARGETS
    ]


def _iac_loto() -> list[Fold]:
    pool = agreement("iac-train") + agreement("iac-dev")
    test = agreement("iac-test")
    return [
        Fold([r for r in pool if r["topic"] != topic], [r for r in test if r["topic"] == topic])
        for topic in sorted({r["topic"] for r in test})
    ]


def _without_labelled_threads(rows: list[dict]) -> list[dict]:
    """RumourEval rows outside the hand-labelled threads: the shipped prior trained on the
    dev threads' replies, so their rows are left out wherever the prior is scored."""
    threads = labelled_threads()
    return [r for r in rows if r["thread"] not in threads]


def _rumoureval(train: tuple[str, ...], test: str, labels: str) -> Callable[[], list[Fold]]:
    def folds() -> list[Fold]:
        train_rows = [r for name in train for r in rumoureval(name, labels=labels)]
        return [Fold(train_rows, _without_labelled_threads(rumoureval(test, labels=labels)))]

    return folds


REPLIES_TRAIN = "1,821 RumourEval replies in our buckets (seeds/replies-train)"
PROTOCOLS = [
    Protocol("tweeteval-val", "known topic", "TweetEval: each target's train -> its val (the usual split; 294 val tweets)", BUCKETS,
             lambda: [Fold([r for t in TARGETS for r in tweeteval(t, "train")], [r for t in TARGETS for r in tweeteval(t, "val")])],
             metric="f_avg"),
    Protocol("tweeteval-loto", "new topic", "TweetEval: 4 targets -> the 5th (train+val), 5 folds pooled", BUCKETS, _tweeteval_loto, metric="f_avg"),
    Protocol("iac-loto", "new topic", "IAC: other topics -> a topic's test rows, 5 folds pooled", BUCKETS, _iac_loto,
             prior_saw="IAC train+dev of every topic, so the topic is not new to default and ours"),
    Protocol("iac-to-awtp", "new platform", "IAC forums (train+dev) -> Wikipedia talk pages (AWTP test)", BUCKETS,
             lambda: [Fold(agreement("iac-train") + agreement("iac-dev"), agreement("awtp-test"))],
             prior_saw="AWTP train+dev, so the platform is not new to default and ours"),
    Protocol("re17-to-re19", "new platform", "RumourEval 2017 Twitter -> 2019 dev Reddit, SDQC labels", SDQC,
             _rumoureval(("2017-train", "2017-dev"), "2019-dev", "sdqc"),
             prior_saw=REPLIES_TRAIN + " (139 of them from RumourEval 2019 Reddit train), so the platform is not new to default and ours"),
    Protocol("re17-to-re19-buckets", "new platform", "the same in our buckets (SDQC mapped)", BUCKETS,
             _rumoureval(("2017-train", "2017-dev"), "2019-dev", "buckets"),
             prior_saw=REPLIES_TRAIN + " (139 of them from RumourEval 2019 Reddit train), so the platform is not new to default and ours"),
    Protocol("re17-threads", "new thread", "RumourEval 2017 train -> 2017 test threads, SDQC labels", SDQC,
             _rumoureval(("2017-train",), "2017-test", "sdqc"),
             prior_saw=REPLIES_TRAIN + ": RumourEval 2017 train and dev threads, relabelled in our buckets; the events are not new to default and ours"),
    Protocol("re17-threads-buckets", "new thread", "the same in our buckets (SDQC mapped)", BUCKETS,
             _rumoureval(("2017-train",), "2017-test", "buckets"),
             prior_saw=REPLIES_TRAIN + ": RumourEval 2017 train and dev threads, relabelled in our buckets; the events are not new to default and ours"),
    Protocol("replies", "our labels", "hand-labelled replies: dev threads -> test threads (seeds/replies)", BUCKETS,
             lambda: [Fold(replies("dev"), replies("test"))],
             slices={"seed thread": lambda r: r["thread"] == "seed", "Reddit threads": lambda r: r["platform"] == "reddit",
                     "replies to replies": lambda r: r["parent"] is not None},
             prior_saw=REPLIES_TRAIN + ": other threads of the events of its Twitter test threads, never these threads"),
    Protocol("clear-cut", "our labels", "written clear-cut replies: dev posts -> test posts (seeds/clearcut)", BUCKETS,
             lambda: [Fold(clearcut("dev"), clearcut("test"))]),
]

# Few labels: each target set is halved at random (per seed); n labels are drawn from one half
# and the other half is scored.
CURVE_PRIOR_SAW = {
    "curve-awtp": "AWTP train+dev (not these rows)",
    "curve-iac-evolution": "IAC train+dev, evolution included (not these rows)",
    "curve-re17-buckets": REPLIES_TRAIN + ": RumourEval 2017 train and dev threads of the same events (not these rows)",
}
CURVE_SIZES = (0, 25, 50, 100, 200)
CURVES: dict[str, Callable[[], list[dict]]] = {
    "curve-awtp": lambda: agreement("awtp-test"),
    "curve-iac-evolution": lambda: [r for r in agreement("iac-test") if r["topic"] == "evolution"],
    "curve-re17-buckets": lambda: _without_labelled_threads(rumoureval("2017-test", labels="buckets")),
}


# ---------------------------------------------------------------------------------- runs
SLOWEST_FIRST = ("iac-loto", "tweeteval-loto", "iac-to-awtp")
METRICS = {"macro_f1": macro_f1, "f_avg": f_avg}


def score(protocol: Protocol, gold: list[str], predicted: list[str], *, boot: int) -> dict:
    result = {}
    for name in ("macro_f1", "f_avg") if protocol.metric == "f_avg" else ("macro_f1",):
        metric = METRICS[name]
        result[name] = metric(gold, predicted, protocol.labels)
        result[f"{name}_ci95"] = bootstrap(metric, gold, predicted, protocol.labels, n=boot)
    result["per_label_f1"] = f1_per_label(gold, predicted, protocol.labels)
    return result


def run_protocol(protocol: Protocol, systems: list[System], *, seeds: int, boot: int, bow_max_rows: int) -> dict:
    folds = protocol.folds()
    test_rows = [r for fold in folds for r in fold.test]
    gold = [r["label"] for r in test_rows]
    out = {"group": protocol.group, "what": protocol.what, "prior_saw": protocol.prior_saw, "n_test": len(test_rows), "n_train": [len(f.train) for f in folds],
           "labels": list(protocol.labels), "gold_counts": dict(Counter(gold)), "systems": {}}
    for system in systems:
        if system.name == "default" and protocol.labels != BUCKETS:
            continue
        if system.uses_prior and not protocol.prior_clean:
            continue
        if system.name == "spacy_bow" and max(len(f.train) for f in folds) > bow_max_rows:
            continue
        runs = []
        started = time.perf_counter()
        for seed in range(seeds if system.needs_training and system.name != "majority" else 1):
            predicted = [p for fold in folds for p in system.fit(fold.train, protocol.labels, seed)(fold.test)]
            result = score(protocol, gold, predicted, boot=boot)
            for name, keep in protocol.slices.items():
                index = [i for i, r in enumerate(test_rows) if keep(r)]
                result[f"slice: {name}"] = {
                    "n": len(index),
                    "macro_f1": macro_f1([gold[i] for i in index], [predicted[i] for i in index], protocol.labels),
                    "accuracy": float(np.mean([gold[i] == predicted[i] for i in index])),
                }
            result["predicted_counts"] = dict(Counter(predicted))
            runs.append(result)
        out["systems"][system.name] = summarise(runs, protocol.metric, time.perf_counter() - started)
        print(f"  {protocol.name:22s} {system.name:13s} {format_cell(out['systems'][system.name], protocol.metric)}", flush=True)
    return out


def summarise(runs: list[dict], metric: str, seconds: float) -> dict:
    values = [r[metric] for r in runs]
    summary = {metric: float(np.mean(values)), "sd": float(np.std(values)), "seeds": len(runs), "seconds": round(seconds, 1), "runs": runs}
    summary["ci95"] = runs[0][f"{metric}_ci95"]
    if metric != "macro_f1":
        summary["macro_f1"] = float(np.mean([r["macro_f1"] for r in runs]))
    return summary


def format_cell(result: dict, metric: str) -> str:
    low, high = result["ci95"]
    sd = f" ± {result['sd']:.3f}" if result["seeds"] > 1 else ""
    return f"{result[metric]:.3f}{sd} [{low:.3f}, {high:.3f}]"


def run_curve(name: str, make_rows: Callable[[], list[dict]], systems: list[System], *, seeds: int) -> dict:
    rows = make_rows()
    out: dict = {"n_rows": len(rows), "sizes": list(CURVE_SIZES), "prior_saw": CURVE_PRIOR_SAW.get(name, ""), "systems": {}}
    for system in systems:
        if system.name not in ("ours", "ours_noprior", "tfidf_svm", "default"):
            continue
        per_size: dict[int, list[float]] = {}
        for seed in range(seeds):
            rng = random.Random(seed)
            shuffled = rows[:]
            rng.shuffle(shuffled)
            pool, test = shuffled[: len(rows) // 2], shuffled[len(rows) // 2 :]
            gold = [r["label"] for r in test]
            for n in CURVE_SIZES:
                if n == 0:
                    if system.name != "default":
                        continue
                    predicted = system.fit([], BUCKETS, seed)(test)
                elif system.name == "default" or len({r["label"] for r in pool[:n]}) < 2:
                    continue
                else:
                    predicted = system.fit(pool[:n], BUCKETS, seed)(test)
                per_size.setdefault(n, []).append(macro_f1(gold, predicted, BUCKETS))
        out["systems"][system.name] = {str(n): {"mean": float(np.mean(v)), "sd": float(np.std(v)), "seeds": len(v)} for n, v in per_size.items()}
        cells = "  ".join(f"{n}: {np.mean(v):.3f}±{np.std(v):.3f}" for n, v in per_size.items())
        print(f"  {name:22s} {system.name:13s} {cells}", flush=True)
    return out


def markdown(results: dict) -> str:
    systems = [s for s in SYSTEMS if any(s in p["systems"] for p in results["protocols"].values())]
    lines = [
        "| group | protocol | test rows | metric | " + " | ".join(systems) + " |",
        "|---|---|---:|---|" + "---:|" * len(systems),
    ]
    for name, p in results["protocols"].items():
        metric = "F_avg" if "f_avg" in next(iter(p["systems"].values()), {}) else "macro-F1"
        key = "f_avg" if metric == "F_avg" else "macro_f1"
        cells = [format_cell(p["systems"][s], key) if s in p["systems"] else "" for s in systems]
        mark = " *" if p.get("prior_saw") else ""
        lines.append(f"| {p['group']} | {name}{mark} | {p['n_test']} | {metric} | " + " | ".join(cells) + " |")
    if results.get("curves"):
        sizes = [str(n) for n in CURVE_SIZES]
        lines += ["", "| learning curve (macro-F1, mean ± sd over seeds) | system | " + " | ".join(sizes) + " |",
                  "|---|---|" + "---:|" * len(sizes)]
        for name, curve in results["curves"].items():
            for system, values in curve["systems"].items():
                cells = [f"{values[n]['mean']:.3f} ± {values[n]['sd']:.3f}" if n in values else "" for n in sizes]
                mark = " *" if curve.get("prior_saw") and system in ("default", "ours") else ""
                lines.append(f"| {name} ({curve['n_rows']} rows) | {system}{mark} | " + " | ".join(cells) + " |")
    notes = [f"{name}: {p['prior_saw']}" for name, p in results["protocols"].items() if p.get("prior_saw")]
    notes += [f"{name}: {c['prior_saw']}" for name, c in results.get("curves", {}).items() if c.get("prior_saw")]
    if notes:
        lines += ["", "\\* The shipped prior (the default model, and the start of `ours`) trained on rows near these test rows, "
                  "never on them: " + "; ".join(notes) + "."]
    lines += ["", "Brackets: bootstrap 95% interval over test rows (first seed)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--protocols", default="all", help="comma-separated protocol and curve names, or 'all'")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated systems")
    parser.add_argument("--seeds", type=int, default=1, help="seeds for trained systems on the protocols (their spread is far below the bootstrap interval's)")
    parser.add_argument("--curve-seeds", type=int, default=3)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--bow-max-rows", type=int, default=4000, help="skip spacy_bow where training has more rows")
    parser.add_argument("--output", type=Path, default=RESULTS / "replies.json")
    parser.add_argument("--jobs", type=int, default=2, help="protocols run in this many processes at once (the results do not depend on it)")
    args = parser.parse_args(argv)

    chosen = None if args.protocols == "all" else set(args.protocols.split(","))
    systems = [SYSTEMS[name]() for name in args.systems.split(",")]
    started = time.perf_counter()
    results: dict = {"command": "python bench/replies.py " + " ".join(argv if argv is not None else sys.argv[1:]), "protocols": {}, "curves": {}}

    def run(kind: str, name: str) -> dict:
        if kind == "protocols":
            protocol = next(p for p in PROTOCOLS if p.name == name)
            return run_protocol(protocol, systems, seeds=args.seeds, boot=args.bootstrap, bow_max_rows=args.bow_max_rows)
        return run_curve(name, CURVES[name], systems, seeds=args.curve_seeds)

    tasks = [("protocols", p.name) for p in PROTOCOLS] + [("curves", name) for name in CURVES]
    tasks = [t for t in tasks if chosen is None or t[1] in chosen]
    # The slowest protocols start first, so the processes finish close together.
    order = sorted(tasks, key=lambda t: SLOWEST_FIRST.index(t[1]) if t[1] in SLOWEST_FIRST else len(SLOWEST_FIRST))
    outputs = Parallel(n_jobs=args.jobs)(delayed(run)(kind, name) for kind, name in order)
    done = {task: output for task, output in zip(order, outputs)}
    for kind, name in tasks:  # the table keeps the protocols' order
        results[kind][name] = done[(kind, name)]
    results["seconds"] = round(time.perf_counter() - started, 1)
    from stance.artifact import sha256_file
    from stance.model import DEFAULT_MODEL

    results["default_model_sha256"] = sha256_file(DEFAULT_MODEL)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    table = markdown(results)
    args.output.with_suffix(".md").write_text(table, encoding="utf-8")
    print(table)
    print(f"{results['seconds']:.0f} s; wrote {args.output} and {args.output.with_suffix('.md')}")


if __name__ == "__main__":
    main()
