"""Build the shipped default model (models/default.stance) and its card (models/default.md).

    python models/build_default.py              # the model, then the card
    python models/build_default.py --card-only  # re-render the card (after bench/replies.py)

Deterministic: the same data and code give the same file. It needs ../shared/data beside
the repository and takes about 25 minutes on two cores. What it does, and why:

1. **Word statistics.** The featurizer (idf weights, hashtag word list) is fitted on every
   text of the shared data outside the evaluation pool (bench/corpora.py): about 176,000
   replies, the posts they answer, and TweetEval's other tasks. No label is used.
2. **Tone.** One linear model per TweetEval task other than stance (sentiment, emotion,
   irony, offensive, hate, emoji) is trained on those features. Their scores on each reply
   are extra features of the stance model: what tone and emoji tell about taking a side.
3. **Stance.** A calibrated linear SVM (C = 0.3, chosen on the dev sets) learns the three
   buckets from labelled replies with the post they answer: the IAC and AWTP agreement
   pairs (train and dev), the 3,600 replies written for this project in three batches
   (seeds/written; each batch is its own source, as chosen on the dev sets), 1,821 real
   RumourEval replies labelled in one pass (seeds/replies-train, its first round; threads outside every
   labelled and evaluation thread), and the dev parts of the hand-labelled reply set
   (seeds/replies) and of the clear-cut set (seeds/clearcut). Each source gets the same total weight, so the large forum corpus
   does not drown the short replies.
4. **One linear model.** The tone scores are linear in the same features, so they fold
   into the stance weights: the shipped file is one featurizer and one weight matrix, and
   labelling costs what it cost before.
5. **Replies to replies.** How far a nested reply is labelled through its parent
   (``parent_weight``) is chosen on the dev replies by a first model trained without them.
6. **Its own training rows.** Each training text's out-of-fold scores are kept in the file,
   so that `stance train` on rows this model has seen stacks on the scores it would give
   them as new replies, not on its in-sample ones (StanceModel.scores_as_prior).

Choices (the training sources, their weighting, the tone features, C, parent_weight) were
made on the dev sets only: the dev threads of seeds/replies, seeds/clearcut/dev.jsonl and
dev2.jsonl, AWTP dev, and leave one news event out over the real replies (bench/EXPERIMENTS.md).
The test sets bench/replies.py reports never train it, and neither does clearcut/dev2.jsonl.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))  # bench/corpora.py: the data loaders the benchmark uses too

import corpora  # noqa: E402
import stance  # noqa: E402
from stance import artifact  # noqa: E402
from stance.estimators import LinearStanceClassifier  # noqa: E402
from stance.examples import to_examples  # noqa: E402
from stance.features import Featurizer  # noqa: E402
from stance.model import StanceModel, trained_rows_table  # noqa: E402
from stance.scoring import LinearScorer, as_logits  # noqa: E402
from stance.training import training_data_sha256  # noqa: E402

OUTPUT = ROOT / "models" / "default.stance"
TONE_C = 0.1  # each tone model's SVM; chosen on the dev sets with the stance model (EXPERIMENTS.md)
TONE_SCALE = 1.0  # tone scores enter the stance model at this scale
TONE_MAX_ROWS = 60_000  # of the emoji task's 100,000 tweets (time)
STANCE_C = 0.3  # chosen on the dev sets (EXPERIMENTS.md); a CV grid here would cost 26 fits per model
PARENT_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
SEED = 0


def training_sources() -> dict[str, list[dict]]:
    """The labelled rows, by source (each source gets the same total weight)."""
    return {
        "IAC forums (train+dev)": corpora.agreement("iac-train") + corpora.agreement("iac-dev"),
        "AWTP Wikipedia talk (train+dev)": corpora.agreement("awtp-train") + corpora.agreement("awtp-dev"),
        "written replies (seeds/written)": corpora.written(),
        "written replies, second batch (seeds/written/batch2.jsonl)": corpora.written("batch2"),
        "written replies, third batch (seeds/written/batch3.jsonl)": corpora.written("batch3"),  # short verdicts: chosen on clear-dev2 (EXPERIMENTS.md)
        "real replies labelled in one pass (seeds/replies-train)": corpora.replies_train("abcd"),  # the first round: the second did not help on dev
        "hand-labelled replies, dev threads (seeds/replies)": corpora.replies("dev"),
        "clear-cut replies, dev (seeds/clearcut)": corpora.clearcut("dev"),
    }


def fit_tone(featurizer: Featurizer, log) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """One linear SVM per TweetEval task, stacked: (coef, intercept, score names)."""
    coefs, intercepts, names = [], [], []
    for task in corpora.AUX_TASKS:
        rows = corpora.aux(task)[:TONE_MAX_ROWS]
        started = time.perf_counter()
        svm = LinearSVC(C=TONE_C, max_iter=3000, random_state=SEED).fit(featurizer.transform(rows), [r["label"] for r in rows])
        coef = svm.coef_  # binary tasks have one row: the score of the second class
        coefs.append(coef)
        intercepts.append(svm.intercept_)
        names += [f"{task}:{c}" for c in (svm.classes_ if coef.shape[0] > 1 else svm.classes_[1:])]
        log(f"tone: {task}, {len(rows)} tweets, {coef.shape[0]} scores ({time.perf_counter() - started:.0f} s)")
    return np.vstack(coefs), np.concatenate(intercepts), names


def source_weights(sizes: list[int], alpha: float = 1.0) -> np.ndarray:
    """One weight per row, source by source: a row of a source of n rows weighs in proportion
    to n^-alpha, and the weights sum to the number of rows. alpha = 1 (the build) gives every
    source the same total weight; smaller alphas let the larger sources weigh more."""
    total, spread = sum(sizes), sum(n ** (1 - alpha) for n in sizes)
    return np.concatenate([np.full(n, total / (n**alpha * spread)) for n in sizes])


def fit_stance(
    featurizer: Featurizer, tone: tuple[np.ndarray, np.ndarray, list[str]], sources: dict[str, list[dict]]
) -> tuple[LinearScorer, float, np.ndarray]:
    """The stance SVM on [features, tone scores], each source weighted equally, folded into
    one set of linear weights on the features; the C it chose; and each row's out-of-fold
    scores (for StanceModel.trained_rows)."""
    rows = [r for part in sources.values() for r in part]
    weights = source_weights([len(part) for part in sources.values()])
    X = featurizer.transform(rows)
    tone_coef, tone_intercept, _ = tone
    scores = X @ tone_coef.T + tone_intercept
    classifier = LinearStanceClassifier(C=STANCE_C, random_state=SEED).fit(
        sp.hstack([X, sp.csr_matrix(TONE_SCALE * scores)], format="csr"), [r["label"] for r in rows], sample_weight=weights
    )
    d = X.shape[1]
    on_features, on_tone = classifier.svm_.coef_[:, :d], classifier.svm_.coef_[:, d:]
    coef = on_features + TONE_SCALE * on_tone @ tone_coef
    intercept = classifier.svm_.intercept_ + TONE_SCALE * on_tone @ tone_intercept
    scorer = LinearScorer(featurizer, coef, intercept, classifier.temperature_, [str(c) for c in classifier.classes_])
    return scorer, classifier.C_, as_logits(classifier.out_of_fold_scores_)


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, predicted, labels=list(corpora.BUCKETS), average="macro"))


def choose_parent_weight(featurizer: Featurizer, tone, sources: dict[str, list[dict]], log) -> tuple[float, dict[str, float]]:
    """The parent weight with the best macro-F1 on the dev replies, for a model trained without them."""
    key = "hand-labelled replies, dev threads (seeds/replies)"
    dev = sources[key]
    first = StanceModel(fit_stance(featurizer, tone, {k: v for k, v in sources.items() if k != key})[0], {})
    gold = [r["label"] for r in dev]
    results = {}
    for weight in PARENT_WEIGHTS:
        first.parent_weight = weight
        results[str(weight)] = macro_f1(gold, first.predict(dev))
    best = max(PARENT_WEIGHTS, key=lambda w: (round(results[str(w)], 6), -w))
    log(f"parent weight on the dev replies: {results} -> {best}")
    return best, results


def build(output: Path, log=print) -> StanceModel:
    started = time.perf_counter()
    texts = list(corpora.unlabelled_texts())
    # the cosine bands of reply and post: chosen on the dev sets and leave-one-event-out
    # (bench/EXPERIMENTS.md, "The cosine of reply and post")
    featurizer = Featurizer(context_cosine=True).fit(texts)
    log(f"featurizer fitted on {len(texts)} unlabelled texts ({time.perf_counter() - started:.0f} s)")
    tone = fit_tone(featurizer, log)
    sources = training_sources()
    parent_weight, parent_results = choose_parent_weight(featurizer, tone, sources, log)
    scorer, chosen_c, out_of_fold = fit_stance(featurizer, tone, sources)
    rows = [r for part in sources.values() for r in part]
    labels = [r["label"] for r in rows]
    examples = to_examples(rows)
    metadata = artifact.build_metadata(
        labels=list(scorer.classes),
        training_data_sha256=training_data_sha256(examples, labels),
        extra={
            "n_examples": len(rows),
            "label_counts": dict(sorted(Counter(labels).items())),
            "training_sources": {name: {"rows": len(part), "labels": dict(sorted(Counter(r["label"] for r in part).items()))} for name, part in sources.items()},
            "unlabelled_texts": len(texts),
            "tone_scores": tone[2],
            "chosen_C": chosen_c,
            "parent_weight_on_dev": parent_results,
            "uses_context": True,
            "targets": [],
            "per_target_models": [],
            "prior": None,
            "feature_params": featurizer.to_state()["params"],
            "random_state": SEED,
            "training_file": "models/build_default.py",
        },
    )
    # Its out-of-fold scores of its own training rows go in the file, so that `stance train`
    # on rows it has seen stacks on the scores it will give new replies (StanceModel.scores_as_prior).
    model = StanceModel(scorer, metadata, parent_weight=parent_weight,
                        trained_rows=trained_rows_table([r["text"] for r in rows], out_of_fold))
    digest = model.save(output)
    log(f"wrote {output} (sha256 {digest}) in {time.perf_counter() - started:.0f} s")
    return model


# Plain replies written for this card (not from any data set), to show behaviour in words.
CARD_POST = "Our city will ban private cars from the old town from next spring."
CARD_REPLIES = (
    "Brilliant, about time 👏",
    "Completely agree, the streets will finally be safe for kids",
    "Terrible idea. Shops will close.",
    "Not sure I agree, deliveries will be a nightmare",
    "And who pays for the extra buses?",
    "I love pizza",
    "What time is the meeting tomorrow?",
    "Check out my channel for daily crypto tips!!",
    "the link in your bio is broken",
    "",
)


def render_card(model: StanceModel, path: Path) -> str:
    meta = model.metadata
    digest = artifact.sha256_file(path)
    sources = "\n".join(
        f"| {name} | {info['rows']:,} | " + ", ".join(f"{k} {v}" for k, v in info["labels"].items()) + " |"
        for name, info in meta["training_sources"].items()
    )
    predictions = model.classify(list(CARD_REPLIES), context=CARD_POST)
    examples = "\n".join(
        f"| {text or '(empty)'} | {p.label} | {p.confidence:.2f} |" for text, p in zip(CARD_REPLIES, predictions)
    )
    results_path = ROOT / "bench" / "results" / "replies.json"
    results = json.loads(results_path.read_text(encoding="utf-8")) if results_path.exists() else {}
    if results.get("default_model_sha256") == digest:
        bench = (
            "`" + results["command"] + "` "
            f"(all systems in one run, {results['seconds'] / 60:.0f} minutes on the 2-core development machine; 95% bootstrap "
            "intervals over the test rows in brackets; `default` is this file as it is, `ours` is `stance train` with "
            "this file as its prior):\n\n" + (ROOT / "bench" / "results" / "replies.md").read_text(encoding="utf-8")
        )
    else:
        bench = (
            "Not yet measured for this file: run `python bench/replies.py`, then `python models/build_default.py "
            "--card-only` to put its table here."
        )
    parent = ", ".join(f"{w}: {v:.3f}" for w, v in meta["parent_weight_on_dev"].items())
    return f"""# Model card: `models/default.stance`

The model `stance` uses when no model is given, and the prior that `stance train` starts from.

## What it learned from
Labelled replies with the post they answer, each source with the same total weight:

| source | rows | labels |
|---|---:|---|
{sources}

In all {meta['n_examples']:,} rows. Training data sha256 `{meta['training_data_sha256']}`.
Its word statistics (idf, the hashtag word list) come from {meta['unlabelled_texts']:,} unlabelled texts of the
shared data, and it reads tone through {len(meta['tone_scores'])} scores of linear models trained on TweetEval's
sentiment, emotion, irony, offensive, hate and emoji tweets. Nothing of the evaluation pool (AWTP test, IAC
test, RumourEval 2017 test and 2019 dev, TweetEval stance, the test threads of seeds/replies, seeds/clearcut/test)
was used, labelled or not.

## Model
spaCy `blank("en")` and stance's rule-based components (negation scope, cue lexicons) → idf-weighted hashed
word 1-2 grams, character 2-5 grams and a lighter block of cue, surface-mark and context features (word
overlap with the post, and the band of the reply's cosine with the post in words and in characters), plus the
tone scores → class-weighted linear SVM (C = {meta['chosen_C']}, chosen on the dev sets) with probabilities
temperature-scaled (Platt-smoothed targets) on 5-fold out-of-fold scores. The tone models are linear in the same features, so they are folded into
one weight matrix. A reply to a reply is labelled {model.parent_weight:.2f} through its parent (macro-F1 on the dev
replies by parent weight, for a model trained without them: {parent}). Built by `python models/build_default.py`
with {', '.join(f'{k} {v}' for k, v in meta['versions'].items())}, stance {meta['stance_version']}, on
{meta['created']}. File sha256 `{digest}`; it loads without running code (JSON and arrays). It also keeps the
out-of-fold scores of its {len(model.trained_rows[0]) if model.trained_rows is not None else 0:,} distinct training texts: `stance train`, given rows this model was trained on,
stacks on those instead of its in-sample scores.

## How it scores on replies it has never seen
{bench}
## In words
Replies written for this card under the post "{CARD_POST}":

| reply | label | probability |
|---|---|---:|
{examples}

## Known limits
- English only. Sarcasm, and replies whose meaning depends on posts that are not shown, are often wrong.
- Off-topic and "no clear side" are one bucket: a reply that discusses the post without taking a side is
  off-topic, as in the guidelines (seeds/GUIDELINES.md).
- Short verdicts that share no word with the post ("Terrible idea.", "Great news!") are weak cues to it:
  with the post given they drift toward off-topic or the wrong side (the table above). A verdict on
  something else ("I love pizza") reads as support. The first needs replies that react to a post without
  naming it in the training data; the second, knowing what the post is about beyond its words.
- A new topic is hard: on TweetEval with its target left out, it is no better than a TF-IDF SVM or the
  majority label (the table above). Where the prior trained near the test rows (`*`), its lead over the
  baselines is larger than on truly new data.
- On a study's own thread, label 50-200 replies (`stance annotate`) and train with this model as the prior
  (`stance train`, the default): the learning curves above show what that buys, and that on some sets
  a few dozen labels do not yet beat this model alone.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--card-only", action="store_true", help="only re-render the card from the saved model and bench results")
    args = parser.parse_args()
    if not args.card_only:
        build(args.output)
    card = args.output.with_suffix(".md")
    card.write_text(render_card(stance.load_model(args.output), args.output), encoding="utf-8")
    print(f"wrote {card}")


if __name__ == "__main__":
    main()
