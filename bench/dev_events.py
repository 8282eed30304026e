"""Leave one news event out: the default model's choices, measured on every real reply we labelled.

    python bench/dev_events.py                      # every variant: about 1.5 hours on two cores
    python bench/dev_events.py --only "C = "        # the first variant and those whose name contains the text

bench/dev_choices.py scores a choice on 321 dev replies, where a bootstrap 95% interval is
about ±0.05: most choices fall inside it. This script scores on every real reply labelled
in our buckets outside the benchmark's test threads: the dev threads of seeds/replies and
both rounds of seeds/replies-train (3,638 replies). Each reply is scored by a model that
saw no reply of its event, which is what the default model meets on a user's thread:

  event   the month of the source tweet (RumourEval 2017's news events: Ferguson, Ottawa
          and Essien, Prince in Toronto, Sydney siege, Charlie Hebdo, Germanwings and Putin,
          one 2016 thread), or for Reddit threads (one post each, on many topics) one of
          three groups by thread id

For each event the model trains on the variant's sources, less their replies of that event,
each source with the same total weight (as models/build_default.py weighs them), and labels
the replies of the held-out event. The predictions of all events are pooled into one
macro-F1 over supportive / critical / off-topic (and an F1 per class), with a bootstrap
interval over threads and, for each later variant, one of its difference from the first on
the same resamples.
Choices made here are cross-validation on training rows: no test set of bench/replies.py is
read. Results go to stdout and bench/results/dev_events{,_only}.{json,md}; ``--context-cosine``
gives every variant's featurizer the cosine bands of reply and post, as the build has them
since 12-04 (``python bench/dev_events.py --only "shipped setup" --context-cosine`` is the
shipped setup today; files get a ``_context_cosine`` suffix).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
import zlib
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "models"))

import build_default  # noqa: E402
import corpora  # noqa: E402
import dev_choices  # noqa: E402
from stance.features.featurizer import COSINE_EDGES  # noqa: E402  (the package's bands, word block then characters)

RESULTS = ROOT / "bench" / "results"
TWITTER_EPOCH_MS = 1288834974657  # tweet ids carry their time since this instant (snowflake ids)
REDDIT_GROUPS = 3
BOOTSTRAP = 1000
JOBS = 2  # held-out events fitted in parallel

# Sources by name (read by corpora.training_sources). Those in EVENT_SOURCES carry RumourEval threads: a
# fold drops their rows of the held-out event. "awtp" is train and dev, as the build has it.
# The shipped setup; the third batch of written replies joined it on 12-04 (night), after the
# rows recorded in bench/EXPERIMENTS.md before then, which were made without it.
SHIPPED = ("iac", "awtp", "written", "written2", "written3", "clear-dev", "replies-dev", "replies-train")
WITHOUT_THIRD_BATCH = tuple(s for s in SHIPPED if s != "written3")
EVENT_SOURCES = {"replies-dev", "replies-train", "replies-train2", "replies-train-both", "rumoureval"}
SCORED = ("replies-dev", "replies-train", "replies-train2")  # every variant is scored on these real replies
# (name, training sources, C[, options]); the first is the reference of every other row, and
# runs with --only too. Options: "unweighted" drops the SVM's class weights, "no-tone" the 30
# tone scores; "context-cosine" and "tone-pairs" add features of the (post, reply) pair
# (see pair_features); "tempered" weighs each row of a source of n rows n^-dev_choices.TEMPERED_ALPHA
# instead of giving every source the same total weight (build_default.source_weights); "blind-mean"
# averages the scores with those of a model trained and scored with no post or parent;
# "source-balanced" balances the labels inside each source in place of over the pooled rows;
# "news-no-context" trains on the real-reply sources without their post and parent (scored rows keep theirs);
# "pruned" drops the label issues of the other sources (dev_choices.label_issue_free), found once for every fold.
VARIANTS = [
    ("shipped setup", SHIPPED, 0.3),
    ("  + second round, its own source", SHIPPED + ("replies-train2",), 0.3),
    ("  + second round, one source with the first", tuple(s for s in SHIPPED if s != "replies-train") + ("replies-train-both",), 0.3),
    ("  C = 0.1", SHIPPED, 0.1),
    ("  C = 1", SHIPPED, 1.0),
    ("  without written replies", tuple(s for s in SHIPPED if not s.startswith("written")), 0.3),
    ("  without IAC and AWTP", tuple(s for s in SHIPPED if s not in ("iac", "awtp")), 0.3),
    ("  real replies only", ("replies-dev", "replies-train"), 0.3),
    ("  no real replies", tuple(s for s in SHIPPED if s not in EVENT_SOURCES), 0.3),
    ("  without the third batch of written replies (seeds/written/batch3)", WITHOUT_THIRD_BATCH, 0.3),
    ("  without class weights", SHIPPED, 0.3, "unweighted"),
    ("  without tone scores", SHIPPED, 0.3, "no-tone"),
    ("  + ABCD (CreateDebate agree / disagree)", SHIPPED + ("abcd",), 0.3),
    ("  + RumourEval 2017 train, SDQC mapped to buckets", SHIPPED + ("rumoureval",), 0.3),
    ("  + cosine of reply and post, banded", SHIPPED, 0.3, "context-cosine"),
    ("  + products of post tone and reply tone", SHIPPED, 0.3, "tone-pairs"),
    ("  + both pair features", SHIPPED, 0.3, "context-cosine", "tone-pairs"),
    ("  source weights n^-0.75", SHIPPED, 0.3, "tempered"),
    ("  mean with a model that never sees the post", SHIPPED, 0.3, "blind-mean"),
    ("  + clear-dev2 (seeds/clearcut/dev2.jsonl) as its own source", SHIPPED + ("clear-dev2",), 0.3),
    ("  + fourth batch of written replies (seeds/written/batch4)", SHIPPED + ("written4",), 0.3),
    ("  class weights balanced inside each source", SHIPPED, 0.3, "source-balanced"),
    ("  fourth batch in the third batch's source", tuple("written3+4" if s == "written3" else s for s in SHIPPED), 0.3),
    ("  fourth batch in the first batch's source", tuple("written1+4" if s == "written" else s for s in SHIPPED), 0.3),
    ("  real replies learnt without their post", SHIPPED, 0.3, "news-no-context"),
    ("  label issues of the other sources dropped", SHIPPED, 0.3, "pruned"),
]
# Pair features: band edges of the reply-post cosine (word block, character block), the
# number of tone scores paired (sentiment 3, emotion 4, irony, offensive, hate) and the
# scale of every pair column against the features' unit-norm blocks.
PAIRED_TONES = 10
PAIR_SCALE = {"context-cosine": 0.2, "tone-pairs": 0.3}


def event_of(thread: str) -> str:
    """The news event of a RumourEval thread: the month of its source tweet, or a Reddit group."""
    if thread.isdigit():
        ms = (int(thread) >> 22) + TWITTER_EPOCH_MS
        return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("twitter %Y-%m")
    return f"reddit {zlib.crc32(thread.encode()) % REDDIT_GROUPS}"


def thread_bootstrap(gold: np.ndarray, predicted: np.ndarray, threads: np.ndarray) -> np.ndarray:
    """Macro-F1 on BOOTSTRAP resamples of whole threads (the same resamples on every call)."""
    rng = np.random.default_rng(build_default.SEED)
    names, index = np.unique(threads, return_inverse=True)
    members = [np.flatnonzero(index == i) for i in range(len(names))]
    values = []
    for _ in range(BOOTSTRAP):
        rows = np.concatenate([members[i] for i in rng.integers(len(names), size=len(names))])
        values.append(f1_score(gold[rows], predicted[rows], labels=list(corpora.BUCKETS), average="macro"))
    return np.array(values)


def post_features(row_lists: Iterable[list[dict]], features: Callable[[list[dict]], sp.csr_matrix]) -> dict[str, sp.csr_matrix]:
    """The features of every post the rows reply to, keyed by the post's text (what
    :func:`pair_features` reads)."""
    texts = sorted({r["context"] for rows in row_lists for r in rows if r.get("context")})
    return dict(zip(texts, features([{"text": t} for t in texts]))) if texts else {}


def pair_features(option: str, rows: list[dict], X: sp.csr_matrix, posts: dict[str, sp.csr_matrix], block: int, tones: int) -> sp.csr_matrix:
    """Columns that see the reply and its post together (rows without a post get zeros).

    ``X`` is the rows' features with tone scores; ``posts`` the same for each post text;
    ``block`` the width of one feature block. "context-cosine": the cosine of reply and post
    in the word block and in the character block (both unit-norm), each as a one-hot band;
    "tone-pairs": every product of the post's and the reply's first PAIRED_TONES tone
    scores, and the post's scores themselves.
    """
    n, scale = len(rows), PAIR_SCALE[option]
    with_post = [i for i, r in enumerate(rows) if r.get("context")]
    post = sp.vstack([posts[rows[i]["context"]] for i in with_post], format="csr") if with_post else None
    if option == "context-cosine":
        bands = []
        for b, edges in enumerate(COSINE_EDGES.values()):
            cosine = np.zeros(n)
            if with_post:
                span = slice(b * block, (b + 1) * block)
                cosine[with_post] = np.asarray(X[with_post][:, span].multiply(post[:, span]).sum(axis=1)).ravel()
            band = np.searchsorted(np.asarray(edges), cosine, side="right")
            bands.append(sp.csr_matrix((np.full(n, scale), (np.arange(n), band)), shape=(n, len(edges) + 1)))
        return sp.hstack(bands, format="csr")
    if option == "tone-pairs":
        first = X.shape[1] - tones
        reply_tone = X[:, first:first + PAIRED_TONES].toarray()
        post_tone = np.zeros((n, PAIRED_TONES))
        if with_post:
            post_tone[with_post] = post[:, first:first + PAIRED_TONES].toarray()
        products = (post_tone[:, :, None] * reply_tone[:, None, :]).reshape(n, -1)
        return sp.csr_matrix(scale * np.hstack([products, post_tone]))
    raise ValueError(f"unknown pair option {option!r}")


def fit_svm(parts: list[tuple[list[str], sp.csr_matrix]], C: float, class_weight: str | None = "balanced", alpha: float = 1.0) -> LinearSVC:
    """The build's stance SVM (class-weighted unless told not to, sources weighted by
    :func:`build_default.source_weights`; class_weight "source-balanced" balances the labels
    inside each source instead, :func:`dev_choices.source_label_weights`); its decision is the model's, since calibration scales all
    scores by one factor."""
    X = sp.vstack([Xp for _, Xp in parts], format="csr")
    y = [label for labels, _ in parts for label in labels]
    if class_weight == "source-balanced":
        weights, class_weight = dev_choices.source_label_weights([labels for labels, _ in parts]), None
    else:
        weights = build_default.source_weights([len(labels) for labels, _ in parts], alpha)
    svm = LinearSVC(C=C, class_weight=class_weight, max_iter=5000, random_state=build_default.SEED)
    return svm.fit(X, y, sample_weight=weights)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", metavar="TEXT", help="run only the variants whose name contains TEXT (repeatable)")
    parser.add_argument("--context-cosine", action="store_true",
                        help="every variant's featurizer also marks the cosine band of reply and post (Featurizer(context_cosine=True))")
    args = parser.parse_args()
    variants = [v for i, v in enumerate(VARIANTS) if i == 0 or not args.only or any(text in v[0] for text in args.only)]
    if len(variants) == 1 and args.only and not any(text in VARIANTS[0][0] for text in args.only):
        parser.error("--only matches no variant; the names are in VARIANTS at the top of this script")
    started = time.perf_counter()
    featurizer, tone_scores, blocks = dev_choices.fitted_features(context_cosine=args.context_cosine)

    def features(rows: list[dict]) -> sp.csr_matrix:
        return blocks(rows)[1]  # the features and the tone scores

    data = corpora.training_sources({name for _, names, *_ in variants for name in names} | set(SCORED))
    scored = [r for p in SCORED for r in data[p]]
    events = np.array([event_of(r["thread"]) for r in scored])
    groups = {name: (rows, features(rows)) for name, rows in data.items()}
    row_events = {name: np.array([event_of(r["thread"]) for r in rows]) for name, rows in data.items() if name in EVENT_SOURCES}
    gold = np.array([r["label"] for r in scored])
    threads = np.array([r["thread"] for r in scored])
    counts = {str(e): int((events == e).sum()) for e in sorted(set(events))}
    print(f"{len(scored)} real replies in {len(counts)} events: {counts}", flush=True)
    needs_posts = any(option in PAIR_SCALE for v in variants for option in v[3:])
    posts = post_features((rows for rows, _ in groups.values()), features) if needs_posts else {}

    results = []
    for name, names, C, *options in variants:
        columns = slice(None, -tone_scores) if "no-tone" in options else slice(None)
        class_weight = None if "unweighted" in options else "source-balanced" if "source-balanced" in options else "balanced"
        alpha = dev_choices.TEMPERED_ALPHA if "tempered" in options else 1.0
        pairs = [o for o in options if o in PAIR_SCALE]

        def with_pairs(rows: list[dict], X: sp.csr_matrix) -> sp.csr_matrix:
            if not pairs:
                return X
            return sp.hstack([X] + [pair_features(o, rows, X, posts, featurizer.n_features, tone_scores) for o in pairs], format="csr")

        matrices = {p: with_pairs(*groups[p]) for p in set(names) | set(SCORED)}
        variant_X = sp.vstack([matrices[p] for p in SCORED], format="csr")
        if "news-no-context" in options:  # training rows only: variant_X above keeps the posts
            matrices = {p: features(dev_choices.without_context(groups[p][0])) if p in EVENT_SOURCES else X for p, X in matrices.items()}

        issue_free = {}
        if "pruned" in options:  # no scored row takes part: the same rows go in every fold
            others = [p for p in names if p not in EVENT_SOURCES]
            issue_free = dict(zip(others, dev_choices.label_issue_free([([r["label"] for r in groups[p][0]], matrices[p]) for p in others], C)))

        def without_event(event: str, matrices: dict[str, sp.csr_matrix]) -> list[tuple[list[str], sp.csr_matrix]]:
            parts = []
            for p in names:
                rows, X = groups[p][0], matrices[p]
                keep = np.flatnonzero(row_events[p] != event) if p in EVENT_SOURCES else issue_free.get(p, np.arange(len(rows)))
                parts.append(([rows[i]["label"] for i in keep], X[keep][:, columns]))
            return parts

        fitted = Parallel(n_jobs=JOBS)(delayed(fit_svm)(without_event(event, matrices), C, class_weight, alpha) for event in counts)
        predicted = np.empty(len(scored), dtype=object)
        for event, svm in zip(counts, fitted):
            held = events == event
            predicted[held] = svm.predict(variant_X[held][:, columns])
        if "blind-mean" in options:  # the same folds, every row without its post and parent
            blind_matrices = {p: features(dev_choices.without_context(groups[p][0])) for p in set(names) | set(SCORED)}
            blind_X = sp.vstack([blind_matrices[p] for p in SCORED], format="csr")
            blind = Parallel(n_jobs=JOBS)(delayed(fit_svm)(without_event(event, blind_matrices), C, class_weight, alpha) for event in counts)
            for event, svm, other in zip(counts, fitted, blind):
                held = events == event
                mean = (svm.decision_function(variant_X[held][:, columns]) + other.decision_function(blind_X[held][:, columns])) / 2
                predicted[held] = svm.classes_[mean.argmax(axis=1)]
        score = build_default.macro_f1(list(gold), list(predicted))
        samples = thread_bootstrap(gold, predicted.astype(str), threads)
        low, high = np.percentile(samples, [2.5, 97.5])
        # The difference from the first variant on the same resamples: paired, so tighter.
        first = samples if not results else results[0]["samples"]
        diff_low, diff_high = np.percentile(samples - first, [2.5, 97.5])
        by_event = {e: build_default.macro_f1(list(gold[events == e]), list(predicted[events == e])) for e in counts}
        by_class = dict(zip(corpora.BUCKETS, f1_score(gold, predicted.astype(str), labels=list(corpora.BUCKETS), average=None).tolist()))
        results.append({"variant": name, "macro_f1": score, "low": float(low), "high": float(high),
                        "difference": score - (results[0]["macro_f1"] if results else score),
                        "difference_low": float(diff_low), "difference_high": float(diff_high), "by_event": by_event, "by_class": by_class, "samples": samples})
        print(f"{name:50s} {score:.3f} [{low:.3f}, {high:.3f}]  {results[-1]['difference']:+.3f} [{diff_low:+.3f}, {diff_high:+.3f}]  "
              + " ".join(f"{v:.2f}" for v in by_event.values()) + f"  ({time.perf_counter() - started:.0f} s)", flush=True)
    for r in results:
        del r["samples"]

    classes = [f"F1 {c}" for c in corpora.BUCKETS]
    class_counts = [str(int((gold == c).sum())) for c in corpora.BUCKETS]
    lines = ["| variant | macro-F1 | 95% interval | against the first row | " + " | ".join(classes + list(counts)) + " |",
             "|---|---:|---|---|" + "---:|" * (len(classes) + len(counts)),
             "| replies | | | | " + " | ".join(class_counts + [str(n) for n in counts.values()]) + " |"]
    lines += [f"| {r['variant']} | {r['macro_f1']:.3f} | {r['low']:.3f}–{r['high']:.3f} | "
              f"{r['difference']:+.3f} ({r['difference_low']:+.3f} to {r['difference_high']:+.3f}) | "
              + " | ".join(f"{v:.3f}" for v in [*r["by_class"].values(), *r["by_event"].values()]) + " |" for r in results]
    table = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    stem = ("dev_events_only" if args.only else "dev_events") + ("_context_cosine" if args.context_cosine else "")
    command = shlex.join(["python", "bench/dev_events.py", *sys.argv[1:]])
    (RESULTS / f"{stem}.json").write_text(json.dumps({"command": command, "events": counts, "results": results}, indent=1) + "\n")
    (RESULTS / f"{stem}.md").write_text(f"`{command}`\n\n" + table)
    print(table)
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
