"""Draw real replies for one-pass hand-labelling as training data (deterministic).

    python seeds/replies-train/sample.py    # writes seeds/replies-train/to_label_{a,...,h}.jsonl

The pool is every RumourEval reply outside the benchmark's reach: RumourEval 2017 train and
dev (Twitter) and 2019 train (Reddit), minus every thread of the hand-labelled reply set
(seeds/replies, dev and test). RumourEval 2017 test and 2019 dev are evaluation files
(bench/corpora.py) and are not read. Within a thread, up to 2 replies of each of support,
deny and query are taken, then comments fill the thread up to 8 replies, so that many
threads are seen and replies that take a side are not too rare.

The drawn replies are dealt, thread by thread, to four labellers. Every labeller also gets
the same CHECK_ROWS replies of the dev threads of seeds/replies (their gold labels hidden),
mixed in, so each labeller's agreement with the adjudicated gold, and the four labellers'
agreement with one another, can be measured.

A second round (files e to h) draws from what the first left in the pool: up to
ROUND2_PER_THREAD more replies a thread, rare labels first, with its own CHECK_ROWS dev replies
(none of them a check row of the first round). The first round's files do not change.
"""

from __future__ import annotations

import importlib.util
import json
import random
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# the reply set's sampler picks a thread's replies the same way (loaded by path: both files are sample.py)
_spec = importlib.util.spec_from_file_location("replies_sample", ROOT / "seeds" / "replies" / "sample.py")
_replies_sample = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_replies_sample)
pick_replies = _replies_sample.pick_replies
RUMOUREVAL = ROOT.parent / "shared" / "data" / "rumoureval"
POOL_FILES = ("rumoureval2017-train", "rumoureval2017-dev", "rumoureval2019-train")
LABELLERS = ("a", "b", "c", "d")
ROUND2_LABELLERS = ("e", "f", "g", "h")
ROUND2_PER_THREAD = 20
SEED = 2027
PER_THREAD = 8
PER_RARE_LABEL = 2
MAX_ROWS = 2000
CHECK_ROWS = 50


def main() -> None:
    gold = [json.loads(line) for line in (ROOT / "seeds" / "replies" / "gold.jsonl").open(encoding="utf-8")]
    labelled = {r["thread_id"] for r in gold}
    threads: dict[str, list[dict]] = defaultdict(list)
    for name in POOL_FILES:
        for line in (RUMOUREVAL / f"{name}.jsonl").open(encoding="utf-8"):
            row = json.loads(line)
            if row["thread_id"] not in labelled:
                threads[row["thread_id"]].append(row)
    rng = random.Random(SEED)
    thread_ids = sorted(threads)
    rng.shuffle(thread_ids)
    drawn: list[list[dict]] = []
    total = 0
    for thread_id in thread_ids:
        picked = pick_replies(threads[thread_id], rng, PER_RARE_LABEL, PER_THREAD)
        drawn.append(picked)
        total += len(picked)
        if total >= MAX_ROWS:
            break
    check = rng.sample([r for r in gold if r["split"] == "dev"], CHECK_ROWS)
    write_files(drawn, check, LABELLERS)

    # second round: its own generator, so the first round's draw and files stay as they were
    rng2 = random.Random(SEED + 2)
    first = {r["id"] for rows in drawn for r in rows}
    drawn2 = []
    for thread_id in thread_ids:
        left = [r for r in threads[thread_id] if r["id"] not in first]
        if left:
            drawn2.append(pick_replies(left, rng2, ROUND2_PER_THREAD, ROUND2_PER_THREAD))
    first_check = {r["id"] for r in check}
    check2 = rng2.sample([r for r in gold if r["split"] == "dev" and r["id"] not in first_check], CHECK_ROWS)
    write_files(drawn2, check2, ROUND2_LABELLERS)


def write_files(drawn: list[list[dict]], check: list[dict], labellers: tuple[str, ...]) -> None:
    """Deal the drawn threads to the labellers and mix the check rows into every file."""
    files: dict[str, list[dict]] = {name: [] for name in labellers}
    for i, rows in enumerate(drawn):
        files[labellers[i % len(labellers)]] += [
            {
                "id": r["id"],
                "thread_id": r["thread_id"],
                "platform": r["platform"],
                "source": f"{r['dataset']}-{r['split']}",
                "context": r["source_text"],
                "parent": r["parent_text"] if r["parent_text"] != r["source_text"] else None,
                "text": r["text"],
            }
            for r in rows
        ]
    check_rows = [
        {k: r[k] for k in ("id", "thread_id", "platform", "source", "context", "parent", "text")} for r in check
    ]
    for name, rows in files.items():
        # check rows go in as whole threads at random places, the same for every labeller
        by_thread: dict[str, list[dict]] = defaultdict(list)
        for r in rows + check_rows:
            by_thread[r["thread_id"]].append(r)
        order = sorted(by_thread)
        random.Random(SEED + 1).shuffle(order)
        out = [r for t in order for r in by_thread[t]]
        path = ROOT / "seeds" / "replies-train" / f"to_label_{name}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
        print(f"{path.name}: {len(out)} replies ({len(rows)} to label, {len(check_rows)} check), {len(by_thread)} threads")


if __name__ == "__main__":
    main()
