"""The choices behind the shipped default model, remade on the dev sets alone.

    python bench/dev_choices.py            # every variant: about half an hour on two cores
    python bench/dev_choices.py --only shipped --only "IAC + AWTP train"   # the rows naming either

models/build_default.py fixes its training sources, their weighting, the tone features
and C; this script shows why, by training variants on everything the build trains on
except the dev sets, and scoring each on the three dev sets:

  replies-dev  the dev threads of the hand-labelled reply set (seeds/replies, 321 replies)
  clear-dev    the dev posts of the written clear-cut set (seeds/clearcut, 96 replies)
  awtp-dev     Wikipedia talk-page pairs, AWTP dev split (agreement-pairs)

and, reported beside them since 12-04 (night), clear-dev2 (seeds/clearcut/dev2.jsonl, 576
clear-cut replies to 36 posts by three other writers) and the two clear-cut sets pooled.

None of these is a test set of bench/replies.py, and no test set is read here. The
table (macro-F1 over supportive / critical / off-topic) goes to stdout and to
bench/results/dev_choices.{json,md}; with ``--only``, to dev_choices_only.{json,md} with the
command that made it. ``--context-cosine`` gives every variant's featurizer the cosine bands
of reply and post, as the build has them since 12-04 (files get a ``_context_cosine`` suffix);
the rows recorded in bench/EXPERIMENTS.md before that were made without it.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "models"))

import build_default  # noqa: E402
import corpora  # noqa: E402
from stance.estimators import LinearStanceClassifier  # noqa: E402
from stance.features import Featurizer  # noqa: E402
from stance.features.featurizer import EXTRA  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DEV_SETS = ("replies-dev", "clear-dev", "awtp-dev")  # "mean" is over these three, as in every recorded table
# Reported beside them since 12-04 (night): a second clear-cut dev set (576 replies to 36 posts,
# seeds/clearcut/dev2.jsonl) and both clear-cut dev sets pooled.
MORE_DEV_SETS = ("clear-dev2", "clear-cut pooled")
COLUMNS = (*DEV_SETS, "mean", *MORE_DEV_SETS)

# (name, training sources, tone features?, equal weight per source?, C[, extra])
# extra: "mismatched" adds replies moved under another thread's post as off-topic;
# "vader" adds VADER's four sentiment scores as features (pip install '.[bench]');
# "self-training" adds the model's confident labels of unlabelled replies and refits;
# "no-context" drops the post and parent from every row, "no-context-when-scored" from the dev rows only;
# "related" adds the scores of models of two related tasks (RumourEval's support / deny / query /
# comment, CreateDebate's agree / disagree), out of fold for rows those models trained on;
# "no-overlap-band" zeroes the four "[context overlap none/low/mid/high]" columns everywhere
# (the words shared with the post stay); "post-kind" adds a copy of every feature scaled by how
# news-like the post is (a classifier of posts: the real replies' news posts against the other
# sources' posts), so words can weigh differently under news and under opinions; "pairs" adds
# the two pair features of dev_events.pair_features (the banded cosine of reply and post, and
# the products of their tone scores), "cosine" the first alone; "tempered" weighs each row of a
# source of n rows n^-0.75 (build_default.source_weights) in place of equal total weights;
# "blind-mean" averages the SVM's scores with those of a second SVM trained and scored with
# no post or parent, so the reply's own words decide its side as they do without a post
# (the mean of two linear models is one, so it would ship as one weight matrix);
# "dev2-writer-folds" is for variants that train on clear-dev2 itself: each of its three writers'
# rows is scored by a model trained on the other two writers' rows (and everything else), so
# the clear-dev2 column still scores replies the model has not seen, by writers it has not seen.
# "source-balanced" drops the pooled class weights and balances the labels inside each source
# (source_label_weights). "news-no-context" trains on the real news replies (seeds/replies-train)
# without their post and parent, so the marks of how a reply relates to its post are learnt from
# the other sources alone; scored rows keep their post. "pruned" drops the rows of the sources
# other than the real news replies that confident learning finds mislabelled (label_issue_free).
BASE = ("iac", "awtp-train")
WITH_WRITTEN = BASE + ("written",)
# The model shipped on 12-03. The names of the rows built on it ("shipped, + ...") and of its
# own row ("... (shipped)") predate the real replies; they are kept because the results files
# and the --only commands in EXPERIMENTS.md use them. Today's model is the row
# "shipped, + real replies labelled in one pass".
SHIPPED = WITH_WRITTEN + ("written2",)
VARIANTS = [
    ("IAC + AWTP train", BASE, False, False, 0.3),
    ("+ RumourEval 2017 (SDQC mapped to buckets)", BASE + ("rumoureval",), False, False, 0.3),
    ("+ TweetEval stance (favor/against/none)", BASE + ("tweeteval",), False, False, 0.3),
    ("IAC + AWTP train, + tone", BASE, True, False, 0.3),
    ("+ written replies, + tone", BASE + ("written",), True, False, 0.3),
    ("+ written replies, + tone, equal weight per source (shipped until the second batch)", BASE + ("written",), True, True, 0.3),
    ("  the same, C = 0.1", BASE + ("written",), True, True, 0.1),
    ("  the same, C = 1", BASE + ("written",), True, True, 1.0),
    ("  the same, without tone", BASE + ("written",), False, True, 0.3),
    ("  the same, + mismatched pairs as off-topic", WITH_WRITTEN, True, True, 0.3, "mismatched"),
    ("  the same, + VADER sentiment scores", WITH_WRITTEN, True, True, 0.3, "vader"),
    ("  the same, + self-training on unlabelled replies", WITH_WRITTEN, True, True, 0.3, "self-training"),
    ("  the same, the post and parent never shown", WITH_WRITTEN, True, True, 0.3, "no-context"),
    ("  the same, the post and parent shown in training only", WITH_WRITTEN, True, True, 0.3, "no-context-when-scored"),
    ("  the same, + second batch of written replies as its own source (shipped)", WITH_WRITTEN + ("written2",), True, True, 0.3),
    ("  the same, both batches of written replies as one source", BASE + ("written-both",), True, True, 0.3),
    ("  shipped, + real replies labelled in one pass (seeds/replies-train)", SHIPPED + ("replies-train",), True, True, 0.3),
    ("  shipped, + third batch of written replies (seeds/written/batch3)", SHIPPED + ("written3",), True, True, 0.3),
    ("  shipped, + both", SHIPPED + ("replies-train", "written3"), True, True, 0.3),
    ("  shipped, + real replies, both rounds as one source (seeds/replies-train)", SHIPPED + ("replies-train-both",), True, True, 0.3),
    ("  shipped, + real replies, each round its own source", SHIPPED + ("replies-train", "replies-train2"), True, True, 0.3),
    ("  shipped, + related-task scores (RumourEval SDQC, CreateDebate agree/disagree)", SHIPPED + ("replies-train",), True, True, 0.3, "related"),
    ("  shipped, without the context-overlap bands", SHIPPED + ("replies-train",), True, True, 0.3, "no-overlap-band"),
    ("  shipped, + every feature again, scaled by a news-post score", SHIPPED + ("replies-train",), True, True, 0.3, "post-kind"),
    ("  shipped, + pair features of post and reply (cosine bands, tone products)", SHIPPED + ("replies-train",), True, True, 0.3, "pairs"),
    ("  shipped, + the cosine of reply and post alone (banded)", SHIPPED + ("replies-train",), True, True, 0.3, "cosine"),
    ("  shipped, + third batch, source weights n^-0.75", SHIPPED + ("replies-train", "written3"), True, True, 0.3, "tempered"),
    ("  shipped, + third batch, mean with a model that never sees the post", SHIPPED + ("replies-train", "written3"), True, True, 0.3, "blind-mean"),
    ("  shipped now, + clear-dev2 as its own source (scored on it by writer folds)", SHIPPED + ("replies-train", "written3", "clear-dev2"), True, True, 0.3,
     "dev2-writer-folds"),
    ("  shipped now, + fourth batch of written replies (seeds/written/batch4)", SHIPPED + ("replies-train", "written3", "written4"), True, True, 0.3),
    ("  shipped now, fourth batch in the third batch's source", SHIPPED + ("replies-train", "written3+4"), True, True, 0.3),
    ("  shipped now, C = 0.1", SHIPPED + ("replies-train", "written3"), True, True, 0.1),
    ("  shipped now, C = 1", SHIPPED + ("replies-train", "written3"), True, True, 1.0),
    ("  shipped now, class weights balanced inside each source", SHIPPED + ("replies-train", "written3"), True, True, 0.3, "source-balanced"),
    ("  shipped now, fourth batch in the first batch's source", BASE + ("written1+4", "written2", "replies-train", "written3"), True, True, 0.3),
    ("  shipped now, real replies learnt without their post", SHIPPED + ("replies-train", "written3"), True, True, 0.3, "news-no-context"),
    ("  shipped now, label issues of the other sources dropped", SHIPPED + ("replies-train", "written3"), True, True, 0.3, "pruned"),
]
MISMATCHED_ROWS = 2000
TEMPERED_ALPHA = 0.75  # "tempered" (here and in dev_events.py)
SELF_TRAINING_MIN_PROBA = 0.8


def source_label_weights(labels_by_source: list[list[str]]) -> np.ndarray:
    """One weight per row: each source gets the same total weight (as build_default.source_weights), shared
    equally among the labels it has, so a source's rare labels weigh what its common ones do.
    For an SVM without class weights (variant "source-balanced"; bench/EXPERIMENTS.md, screen 6)."""
    sizes = [len(labels) for labels in labels_by_source]
    per_source = build_default.source_weights(sizes)
    out = []
    for labels, start in zip(labels_by_source, np.cumsum([0, *sizes[:-1]])):
        names, encoded, counts = np.unique(labels, return_inverse=True, return_counts=True)
        share = len(labels) / (len(names) * counts)  # averages to 1 over the source's rows
        out.append(per_source[start:start + len(labels)] * share[encoded])
    return np.concatenate(out) if out else np.zeros(0)


def label_issue_free(parts: list[tuple[list[str], sp.csr_matrix]], C: float) -> list[np.ndarray]:
    """Per part, the indices of its rows that are not label issues by confident learning
    (Northcutt, Jiang and Chuang, JAIR 2021; variant "pruned", bench/EXPERIMENTS.md, dev screen 9).
    Out-of-fold probabilities (softmax of the scores of the build's SVM: equal weight per part,
    class-weighted, 5 stratified folds) over the parts' rows together; a row labelled i is an
    issue when, among the labels j whose probability reaches the mean probability of j over the
    rows labelled j, the likeliest is not i."""
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import LinearSVC

    X = sp.vstack([Xp for _, Xp in parts], format="csr")
    labels = np.array([label for part, _ in parts for label in part])
    classes, y = np.unique(labels, return_inverse=True)
    weights = build_default.source_weights([len(part) for part, _ in parts])
    proba = np.zeros((len(y), len(classes)))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=build_default.SEED).split(np.zeros(len(y)), y):
        svm = LinearSVC(C=C, class_weight="balanced", max_iter=5000, random_state=build_default.SEED)
        scores = svm.fit(X[train], y[train], sample_weight=weights[train]).decision_function(X[test])
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        proba[test] = scores / scores.sum(axis=1, keepdims=True)
    thresholds = np.array([proba[y == j, j].mean() for j in range(len(classes))])
    confident = proba >= thresholds
    likeliest = np.where(confident, proba, -np.inf).argmax(axis=1)
    issue = confident.any(axis=1) & (likeliest != y)
    print(f"label issues: {int(issue.sum())} of {len(y)} rows ("
          + ", ".join(f"{classes[i]} labelled, {classes[j]} likelier: {int((issue & (y == i) & (likeliest == j)).sum())}"
                      for i in range(len(classes)) for j in range(len(classes)) if i != j) + ")", flush=True)
    starts = np.cumsum([0, *[len(part) for part, _ in parts]])
    return [np.flatnonzero(~issue[a:b]) for a, b in zip(starts[:-1], starts[1:])]


def mismatched(rows: list[dict], rng: np.random.Generator) -> list[dict]:
    """Replies moved under a post from another topic or thread: free "not about this post" rows."""
    with_context = [r for r in rows if r.get("context")]
    picked = rng.choice(len(with_context), size=MISMATCHED_ROWS, replace=False)
    out = []
    for i in picked:
        row = with_context[i]
        while True:
            other = with_context[rng.integers(len(with_context))]
            if other.get("topic") != row.get("topic") and other["context"] != row["context"]:
                break
        out.append({"text": row["text"], "context": other["context"], "label": "off-topic"})
    return out


def unlabelled_replies() -> list[dict]:
    """RumourEval replies outside the hand-labelled threads, their labels dropped."""
    held = corpora.labelled_threads()
    return [{"text": r["text"], "context": r.get("context"), "parent": r.get("parent")}
            for name in ("2017-train", "2017-dev") for r in corpora.rumoureval(name) if r["thread"] not in held]


def related_tasks(featurizer: Featurizer) -> Callable[[list[dict]], np.ndarray]:
    """Linear models of RumourEval's SDQC labels (RumourEval 2017 train and dev, 2019 train,
    outside the hand-labelled threads) and CreateDebate's agree / disagree (ABCD dev), as a
    function giving rows their scores. Rows those models trained on get out-of-fold scores
    (five folds by thread), so the stance model does not learn to trust in-sample scores."""
    from sklearn.model_selection import GroupKFold
    from sklearn.svm import LinearSVC

    held = corpora.labelled_threads()
    tasks = {
        "sdqc": [r for name in ("2017-train", "2017-dev", "2019-train") for r in corpora.rumoureval(name) if r["thread"] not in held],
        "abcd": [dict(r, thread=r["context"]) for r in corpora.agreement("abcd-dev")],
    }
    models = []  # (SVM, out-of-fold scores by text) per task
    for name, rows in tasks.items():
        X = featurizer.transform(rows)
        y = np.array([r["label"] for r in rows])
        svm = LinearSVC(C=build_default.TONE_C, max_iter=3000, random_state=build_default.SEED).fit(X, y)
        width = svm.coef_.shape[0]
        oof = np.zeros((len(rows), width))
        for train_idx, test_idx in GroupKFold(5).split(X, y, [r["thread"] for r in rows]):
            fold = LinearSVC(C=build_default.TONE_C, max_iter=3000, random_state=build_default.SEED).fit(X[train_idx], y[train_idx])
            oof[test_idx] = fold.decision_function(X[test_idx]).reshape(len(test_idx), width)
        models.append((svm, {r["text"]: oof[i] for i, r in enumerate(rows)}))
        print(f"related task {name}: {len(rows)} rows, {width} scores", flush=True)

    def scores(rows: list[dict]) -> np.ndarray:
        X = featurizer.transform(rows)
        parts = []
        for svm, table in models:
            full = svm.decision_function(X).reshape(len(rows), -1)
            parts.append(np.array([table.get(r["text"], full[i]) for i, r in enumerate(rows)]))
        return np.hstack(parts)

    return scores


def news_post_score(featurizer: Featurizer, named_groups: list[tuple[str, list[dict]]]) -> Callable[[list[dict]], np.ndarray]:
    """P(news post) of each row's post, from a logistic regression on the posts alone: the
    posts of the real RumourEval replies against the posts of every other source. Rows
    without a post get 0."""
    from sklearn.linear_model import LogisticRegression

    posts = {r["context"]: int(name == "replies-train") for name, rows in named_groups for r in rows if r.get("context")}
    texts = sorted(posts)
    model = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced").fit(
        featurizer.transform([{"text": t} for t in texts]), [posts[t] for t in texts])
    print(f"news-post score: {len(texts)} posts, {sum(posts.values())} of them news", flush=True)

    def score(rows: list[dict]) -> np.ndarray:
        out = np.zeros(len(rows))
        with_post = [i for i, r in enumerate(rows) if r.get("context")]
        if with_post:
            out[with_post] = model.predict_proba(featurizer.transform([{"text": rows[i]["context"]} for i in with_post]))[:, 1]
        return out

    return score


def writer_folds(groups: list, position: int, fit: Callable, tone: bool) -> list[str]:
    """clear-dev2's labels when it is one of the training ``groups`` (at ``position``): each
    writer's rows (the writer is in the post id, "d2-w11-p01") predicted by a model whose
    clear-dev2 rows are the other writers'."""
    rows, Xs = groups[position]
    writers = np.array([r["thread"].split("-")[1] for r in rows])
    predicted = np.empty(len(rows), dtype=object)
    for writer in sorted(set(writers)):
        others, held = np.flatnonzero(writers != writer), np.flatnonzero(writers == writer)
        fold = list(groups)
        fold[position] = ([rows[i] for i in others], tuple(X[others] for X in Xs))
        classifier, _ = fit(fold)
        predicted[held] = classifier.predict(Xs[tone][held])
        print(f"clear-dev2, writer {writer}: {len(held)} rows scored by a model trained on {len(others)} of the others'", flush=True)
    return [str(p) for p in predicted]


def zero_columns(X: sp.csr_matrix, columns: list[int]) -> sp.csr_matrix:
    keep = np.ones(X.shape[1])
    keep[columns] = 0.0
    return (X @ sp.diags(keep)).tocsr()


def without_context(rows: list[dict]) -> list[dict]:
    return [dict(r, context=None, parent=None) for r in rows]


def vader_scores(rows: list[dict]) -> sp.csr_matrix:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return sp.csr_matrix([[s["neg"], s["neu"], s["pos"], s["compound"]] for s in map(analyzer.polarity_scores, (r["text"] for r in rows))])


def dev_sets() -> dict[str, list[dict]]:
    return {"replies-dev": corpora.replies("dev"), "clear-dev": corpora.clearcut("dev"), "awtp-dev": corpora.agreement("awtp-dev"),
            "clear-dev2": corpora.clearcut("dev2")}


def fitted_features(**params: object) -> tuple[Featurizer, int, Callable[[list[dict]], tuple[sp.csr_matrix, sp.csr_matrix]]]:
    """The build's featurizer (idf from the unlabelled texts; ``params`` change its
    parameters: the build since 12-04 has ``context_cosine=True``, which the scripts' flag
    --context-cosine gives, while their recorded rows are without it) and tone models: the
    featurizer, the number of tone scores, and a function giving rows' features without and
    with them."""
    started = time.perf_counter()
    texts = list(corpora.unlabelled_texts())
    featurizer = Featurizer(**params).fit(texts)
    print(f"featurizer fitted on {len(texts)} unlabelled texts ({time.perf_counter() - started:.0f} s)", flush=True)
    tone_coef, tone_intercept, _ = build_default.fit_tone(featurizer, print)

    def blocks(rows: list[dict]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        X = featurizer.transform(rows)
        return X, sp.hstack([X, sp.csr_matrix(build_default.TONE_SCALE * (X @ tone_coef.T + tone_intercept))], format="csr")

    return featurizer, len(tone_intercept), blocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", metavar="TEXT", help="run only the variants whose name contains TEXT (repeatable)")
    parser.add_argument("--context-cosine", action="store_true",
                        help="every variant's featurizer also marks the cosine band of reply and post (Featurizer(context_cosine=True))")
    args = parser.parse_args()
    variants = [v for v in VARIANTS if not args.only or any(text in v[0] for text in args.only)]
    if not variants:
        parser.error("--only matches no variant; the names are in VARIANTS at the top of this script")
    started = time.perf_counter()
    featurizer, _, blocks = fitted_features(context_cosine=args.context_cosine)

    needed = {part for variant in variants for part in variant[1]}  # the mismatched rows come from iac and awtp-train, in every variant
    train = {name: (rows, blocks(rows)) for name, rows in corpora.training_sources(needed).items()}
    dev = {name: (rows, blocks(rows)) for name, rows in dev_sets().items()}
    rng = np.random.default_rng(build_default.SEED)
    extra_train = {
        "mismatched": lambda: [(rows, blocks(rows)) for rows in [mismatched(train["iac"][0] + train["awtp-train"][0], rng)]],
    }
    results = []
    for name, parts, tone, equal, C, *extra in variants:
        extra = extra[0] if extra else None
        groups = [train[p] for p in parts] + (extra_train[extra]() if extra in extra_train else [])
        if extra == "vader":
            try:
                groups = [(rows, tuple(sp.hstack([X, vader_scores(rows)], format="csr") for X in Xs)) for rows, Xs in groups]
            except ImportError:
                print(f"{name}: skipped (pip install '.[bench]')")
                continue
        dev_x = {d: (rows, Xs if extra != "vader" else tuple(sp.hstack([X, vader_scores(rows)], format="csr") for X in Xs))
                 for d, (rows, Xs) in dev.items()}
        if extra in ("no-context", "no-context-when-scored"):
            dev_x = {d: (rows, blocks(without_context(rows))) for d, (rows, _) in dev.items()}
        if extra == "no-context":
            groups = [(rows, blocks(without_context(rows))) for rows, _ in groups]
        if extra == "pruned":  # the sources that are not real news replies lose their label issues
            pruned = [i for i, part in enumerate(parts) if part != "replies-train"]
            keep = label_issue_free([([r["label"] for r in groups[i][0]], groups[i][1][tone]) for i in pruned], C)
            for i, index in zip(pruned, keep):
                rows, Xs = groups[i]
                groups[i] = ([rows[j] for j in index], tuple(X[index] for X in Xs))
        if extra == "news-no-context":
            groups = [(rows, blocks(without_context(rows))) if part == "replies-train" else (rows, Xs) for part, (rows, Xs) in zip(parts, groups)]
        if extra == "no-overlap-band":
            bands = [EXTRA * featurizer.n_features + featurizer.mark_column(f"[context overlap {b}]") for b in ("none", "low", "mid", "high")]
            groups = [(rows, tuple(zero_columns(X, bands) for X in Xs)) for rows, Xs in groups]
            dev_x = {d: (rows, tuple(zero_columns(X, bands) for X in Xs)) for d, (rows, Xs) in dev.items()}
        if extra == "post-kind":
            news = news_post_score(featurizer, [(p, train[p][0]) for p in parts])

            def with_kind(rows, Xs):
                scale = sp.diags(news(rows))
                return tuple(sp.hstack([X, scale @ X], format="csr") for X in Xs)

            groups = [(rows, with_kind(rows, Xs)) for rows, Xs in groups]
            dev_x = {d: (rows, with_kind(rows, Xs)) for d, (rows, Xs) in dev.items()}
            print("news-post score, mean by dev set: " + ", ".join(f"{d} {news(rows).mean():.2f}" for d, (rows, _) in dev.items()), flush=True)
        if extra == "related":
            related = related_tasks(featurizer)

            def with_related(rows, Xs):
                scores = sp.csr_matrix(related(rows))
                return tuple(sp.hstack([X, scores], format="csr") for X in Xs)

            groups = [(rows, with_related(rows, Xs)) for rows, Xs in groups]
            dev_x = {d: (rows, with_related(rows, Xs)) for d, (rows, Xs) in dev.items()}
        if extra in ("pairs", "cosine"):
            import dev_events  # imports this module: here, not at the top

            posts = dev_events.post_features((rows for rows, _ in groups + list(dev.values())), lambda rows: blocks(rows)[1])

            def with_pairs(rows, Xs):
                pairs = [dev_events.pair_features(o, rows, Xs[1], posts, featurizer.n_features, Xs[1].shape[1] - Xs[0].shape[1])
                         for o in (("context-cosine", "tone-pairs") if extra == "pairs" else ("context-cosine",))]
                return tuple(sp.hstack([X, *pairs], format="csr") for X in Xs)

            groups = [(rows, with_pairs(rows, Xs)) for rows, Xs in groups]
            dev_x = {d: (rows, with_pairs(rows, Xs)) for d, (rows, Xs) in dev.items()}

        def fit(groups):
            X = sp.vstack([Xs[tone] for _, Xs in groups], format="csr")
            y = [r["label"] for rows, _ in groups for r in rows]
            n = len(y)
            alpha = TEMPERED_ALPHA if extra == "tempered" else 1.0
            if extra == "source-balanced":
                weights = source_label_weights([[r["label"] for r in rows] for rows, _ in groups])
            else:
                weights = build_default.source_weights([len(rows) for rows, _ in groups], alpha) if equal else None
            # With C fixed, the classifier's folds only calibrate probabilities (one positive
            # factor, so no label changes): the screens skip them, one SVM fit in place of six.
            # Self-training thresholds probabilities, so it keeps them.
            folds = 5 if extra == "self-training" else 1
            class_weight = None if extra == "source-balanced" else "balanced"
            return LinearStanceClassifier(C=C, class_weight=class_weight, folds=folds, random_state=build_default.SEED).fit(X, y, sample_weight=weights), n

        classifier, n = fit(groups)
        if extra == "self-training":
            pool = unlabelled_replies()
            pool_x = blocks(pool)
            proba = classifier.predict_proba(pool_x[tone])
            keep = np.flatnonzero(proba.max(axis=1) >= SELF_TRAINING_MIN_PROBA)
            pseudo = [dict(pool[i], label=str(classifier.classes_[proba[i].argmax()])) for i in keep]
            print(f"self-training: {len(pseudo)} of {len(pool)} replies labelled with p >= {SELF_TRAINING_MIN_PROBA}", flush=True)
            classifier, n = fit(groups + [(pseudo, tuple(X[keep] for X in pool_x))])
        predicted = {d: list(classifier.predict(Xs[tone])) for d, (_, Xs) in dev_x.items()}
        if extra == "dev2-writer-folds":
            predicted["clear-dev2"] = writer_folds(groups, parts.index("clear-dev2"), fit, tone)
        if extra == "blind-mean":
            blind, _ = fit([(rows, blocks(without_context(rows))) for rows, _ in groups])
            for d, (rows, Xs) in dev_x.items():
                mean = (classifier.decision_function(Xs[tone]) + blind.decision_function(blocks(without_context(rows))[tone])) / 2
                predicted[d] = list(classifier.classes_[mean.argmax(axis=1)])
        scores = {d: build_default.macro_f1([r["label"] for r in rows], predicted[d]) for d, (rows, _) in dev_x.items()}
        scores["mean"] = float(np.mean([scores[d] for d in DEV_SETS]))
        pooled = ("clear-dev", "clear-dev2")
        scores["clear-cut pooled"] = build_default.macro_f1([r["label"] for d in pooled for r in dev_x[d][0]], [p for d in pooled for p in predicted[d]])
        results.append({"variant": name, "training_rows": n, **scores})
        print(f"{name:62s} " + "  ".join(f"{d} {scores[d]:.3f}" for d in COLUMNS), flush=True)

    lines = ["| variant | training rows | " + " | ".join(COLUMNS) + " |", "|---|---:|" + "---:|" * len(COLUMNS)]
    lines += [f"| {r['variant']} | {r['training_rows']} | " + " | ".join(f"{r[d]:.3f}" for d in COLUMNS) + " |" for r in results]
    table = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    stem = ("dev_choices_only" if args.only else "dev_choices") + ("_context_cosine" if args.context_cosine else "")
    command = shlex.join(["python", "bench/dev_choices.py", *sys.argv[1:]])
    (RESULTS / f"{stem}.json").write_text(json.dumps({"command": command, "results": results}, indent=1) + "\n")
    (RESULTS / f"{stem}.md").write_text(f"`{command}`\n\n" + table)
    print(table)
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
