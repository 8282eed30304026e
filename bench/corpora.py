"""The data sets the benchmark and the default model's build read, as lists of rows.

Every loader returns dicts with ``text`` and ``label`` and, where the data has them,
``context`` (the post the stance is about: the thread's root post, the quoted post, or for
TweetEval nothing), ``parent`` (the post a reply answers, when that is another reply),
``target`` and ``thread``. The shared data sits beside the repository in ../shared/data.

The **evaluation pool** (:data:`EVALUATION_FILES`, the hand-labelled test threads and the
TweetEval stance data) is never used to train the shipped model nor its word statistics,
so every figure on it is on data the model has not seen.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SEEDS = ROOT / "seeds"

BUCKETS = ("supportive", "critical", "off-topic")
SDQC = ("support", "deny", "query", "comment")
SDQC_TO_BUCKET = {"support": "supportive", "deny": "critical", "query": "critical", "comment": "off-topic"}
TARGETS = ("abortion", "atheism", "climate", "feminist", "hillary")
AUX_TASKS = ("sentiment", "emotion", "irony", "offensive", "hate", "emoji")
# Shared files held out from the shipped model: benchmark test sets.
EVALUATION_FILES = ("agreement-pairs/awtp-test", "agreement-pairs/iac-test", "rumoureval/rumoureval2017-test", "rumoureval/rumoureval2019-dev")


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        sys.exit(f"{path} is missing: the shared data must sit beside the repository (../shared/data).")
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def tweeteval(target: str, split: str) -> list[dict]:
    return [
        {"text": r["text"], "target": target, "label": r["label"]}
        for r in read_jsonl(SHARED / "tweeteval-stance" / target / f"{split}.jsonl")
    ]


def agreement(name: str) -> list[dict]:
    """An agreement-pairs file (``iac-train``, ``awtp-test``, ...): the reply, the post it quotes."""
    return [
        {"text": r["text"], "context": r["context"], "label": r["label"], "topic": r.get("topic")}
        for r in read_jsonl(SHARED / "agreement-pairs" / f"{name}.jsonl")
    ]


def rumoureval(name: str, *, labels: str = "sdqc") -> list[dict]:
    """RumourEval replies (``2017-train``, ...), the source post as context; ``labels`` is
    ``"sdqc"`` (its own four) or ``"buckets"`` (mapped by :data:`SDQC_TO_BUCKET`)."""
    rows = []
    for r in read_jsonl(SHARED / "rumoureval" / f"rumoureval{name}.jsonl"):
        label = r["label"] if labels == "sdqc" else SDQC_TO_BUCKET[r["label"]]
        parent = r["parent_text"] if r["parent_text"] != r["source_text"] else None
        rows.append({"text": r["text"], "context": r["source_text"], "parent": parent, "label": label, "thread": r["thread_id"]})
    return rows


def replies(split: str) -> list[dict]:
    """The hand-labelled reply set (seeds/replies/gold.jsonl): ``dev`` or ``test`` threads."""
    return [
        {"text": r["text"], "context": r["context"], "parent": r["parent"], "label": r["label"], "thread": r["thread_id"],
         "platform": r["platform"]}
        for r in read_jsonl(SEEDS / "replies" / "gold.jsonl")
        if r["split"] == split
    ]


def labelled_threads(split: str | None = None) -> set[str]:
    """Threads of the hand-labelled reply set (of one split, or all)."""
    return {r["thread_id"] for r in read_jsonl(SEEDS / "replies" / "gold.jsonl") if split in (None, r["split"])}


def clearcut(split: str) -> list[dict]:
    """Clear-cut replies written for this project (seeds/clearcut): ``dev``, ``dev2`` (a
    second, larger dev set by other writers) or ``test``."""
    return [
        {"text": r["text"], "context": r["context"], "label": r["label"], "thread": r["post_id"], "kind": r["kind"]}
        for r in read_jsonl(SEEDS / "clearcut" / f"{split}.jsonl")
    ]


def written(batch: str = "replies") -> list[dict]:
    """Training replies written for this project (seeds/written): the first batch
    (``replies``, 1,600), the second (``batch2``, 1,200), the third (``batch3``, 800;
    short verdicts, shipped since 12-04 night) or the fourth (``batch4``, dismissals, hedged
    disagreement and sarcasm; not shipped)."""
    return [
        {"text": r["text"], "context": r["context"], "label": r["label"], "thread": r["post_id"], "kind": r["kind"]}
        for r in read_jsonl(SEEDS / "written" / f"{batch}.jsonl")
    ]


def replies_train(labellers: str) -> list[dict]:
    """Real replies labelled in one pass as training data (seeds/replies-train): RumourEval
    threads outside the hand-labelled set and the evaluation pool. ``labellers`` picks the
    files: "abcd" is the first round (shipped), "efgh" the second (not shipped); no default,
    so no caller takes the unshipped round by accident. The check rows mixed into each
    labeller's file are dev replies of seeds/replies; they are left out here."""
    folder = SEEDS / "replies-train"
    check = {r["id"] for r in read_jsonl(SEEDS / "replies" / "gold.jsonl")}
    rows = []
    for labels in sorted(folder.glob("labels_*.jsonl")):
        if labels.stem.removeprefix("labels_") not in labellers:
            continue
        label_of = {r["id"]: r["label"] for r in read_jsonl(labels)}
        for r in read_jsonl(folder / labels.name.replace("labels_", "to_label_")):
            if r["id"] in label_of and r["id"] not in check:
                rows.append({"text": r["text"], "context": r["context"], "parent": r["parent"],
                             "label": label_of[r["id"]], "thread": r["thread_id"]})
    return rows


def training_sources(names: Iterable[str]) -> dict[str, list[dict]]:
    """The labelled sources the dev scripts (bench/dev_choices.py, bench/dev_events.py) train
    on, by name, reading only those named. The benchmark's test threads are never among them;
    "clear-dev2", "awtp" (train and dev) and "replies-dev" hold dev rows, for the variants that
    ask for them."""
    held = labelled_threads()  # the hand-labelled threads (dev and test) keep their own labels
    readers = {
        "iac": lambda: agreement("iac-train") + agreement("iac-dev"),
        "awtp": lambda: agreement("awtp-train") + agreement("awtp-dev"),
        "awtp-train": lambda: agreement("awtp-train"),
        "abcd": lambda: agreement("abcd-dev"),
        "written": lambda: written(),
        "written2": lambda: written("batch2"),
        "written-both": lambda: written() + written("batch2"),
        "written3": lambda: written("batch3"),
        "written4": lambda: written("batch4"),
        "written3+4": lambda: written("batch3") + written("batch4"),
        "written1+4": lambda: written() + written("batch4"),
        "clear-dev": lambda: clearcut("dev"),
        "clear-dev2": lambda: clearcut("dev2"),
        "replies-dev": lambda: replies("dev"),
        "replies-train": lambda: replies_train("abcd"),
        "replies-train2": lambda: replies_train("efgh"),
        "replies-train-both": lambda: replies_train("abcdefgh"),
        "rumoureval": lambda: [r for r in rumoureval("2017-train", labels="buckets") if r["thread"] not in held],
        "tweeteval": lambda: [r for t in TARGETS for r in tweeteval(t, "train")],
    }
    names = set(names)
    if unknown := names - readers.keys():
        raise KeyError(f"unknown training sources {sorted(unknown)}; the names are in corpora.training_sources")
    return {name: read() for name, read in readers.items() if name in names}


def aux(task: str) -> list[dict]:
    """A TweetEval task other than stance (sentiment, emotion, ...), every split here."""
    rows = []
    for split in ("train", "val", "test"):
        path = SHARED / "tweeteval-aux" / task / f"{split}.jsonl"
        if path.exists():
            rows += [{"text": r["text"], "label": str(r["label"])} for r in read_jsonl(path)]
    return rows


def unlabelled_texts() -> Iterator[str]:
    """Every text of the shared data outside the evaluation pool (replies, the posts they
    answer, TweetEval's other tasks), each once: what the default model's word statistics
    are learned from."""
    held_out = labelled_threads("test")
    seen: set[str] = set()
    for path in sorted(SHARED.glob("**/*.jsonl")):
        name = f"{path.parent.name}/{path.stem}"
        if name in EVALUATION_FILES or path.parent.parent.name == "tweeteval-stance":
            continue
        for row in read_jsonl(path):
            if row.get("thread_id") in held_out:
                continue
            for key in ("text", "context", "source_text"):
                text = row.get(key)
                if isinstance(text, str) and text.strip() and text not in seen:
                    seen.add(text)
                    yield text
