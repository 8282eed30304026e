"""Draw the replies for hand-labelling from ../shared/data/rumoureval/ (deterministic).

    python seeds/replies/sample.py      # writes seeds/replies/to_label.jsonl

Threads are drawn at random within each platform (44 Twitter threads from RumourEval 2017,
14 Reddit threads from RumourEval 2019), each with at least 8 replies. Within a thread, up
to 3 replies of each of support, deny and query are taken, then comments fill the thread up
to 12 replies. Taking the rarer SDQC labels first gives every bucket enough replies to be
measured; the README of the set says so wherever a share is reported.

The seed thread (seeds/thread.jsonl, every post but the root) is appended with the root
post as its source.

Each thread is put in the fixed **dev** part (for model choices) or the **test** part
(reported only): half the drawn threads of each platform, at random, and the seed thread
in test. The split is written into every row (`split`), so the files, not this script,
are the record of it.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUMOUREVAL = ROOT.parent / "shared" / "data" / "rumoureval"
SEED = 2026
PER_THREAD = 12
PER_RARE_LABEL = 3
THREADS = {"twitter": 44, "reddit": 14}


def pick_replies(rows: list[dict], rng: random.Random, per_rare_label: int, per_thread: int) -> list[dict]:
    """Up to ``per_rare_label`` replies of each of support, deny and query, then comments up
    to ``per_thread`` in all, in the thread's order."""
    picked: list[dict] = []
    for label in ("support", "deny", "query"):
        of_label = [r for r in rows if r["label"] == label]
        picked += rng.sample(of_label, min(per_rare_label, len(of_label)))
    comments = [r for r in rows if r["label"] == "comment"]
    picked += rng.sample(comments, min(max(0, per_thread - len(picked)), len(comments)))
    order = {r["id"]: i for i, r in enumerate(rows)}
    return sorted(picked, key=lambda r: order[r["id"]])


def main() -> None:
    threads: dict[str, list[dict]] = defaultdict(list)
    for path in sorted(RUMOUREVAL.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            threads[row["thread_id"]].append(row)
    rng = random.Random(SEED)
    chosen: list[dict] = []
    split_of: dict[str, str] = {"seed": "test"}
    split_rng = random.Random(SEED + 1)  # its own generator, so the draw above does not depend on it
    for platform, n in THREADS.items():
        ids = sorted(t for t, rows in threads.items() if rows[0]["platform"] == platform and len(rows) >= 8)
        drawn = rng.sample(ids, n)
        split_of.update({t: "dev" if i < n // 2 else "test" for i, t in enumerate(split_rng.sample(drawn, n))})
        for thread_id in drawn:
            chosen += pick_replies(threads[thread_id], rng, PER_RARE_LABEL, PER_THREAD)
    out = [
        {
            "id": r["id"],
            "thread_id": r["thread_id"],
            "platform": r["platform"],
            "source": f"{r['dataset']}-{r['split']}",
            "source_text": r["source_text"],
            "parent_text": r["parent_text"],
            "text": r["text"],
            "sdqc": r["label"],
            "split": split_of[r["thread_id"]],
        }
        for r in chosen
    ]
    thread = [json.loads(line) for line in (ROOT / "seeds" / "thread.jsonl").read_text(encoding="utf-8").splitlines()]
    root = next(r for r in thread if r["role"] == "root")
    out += [
        {
            "id": f"seed-{r['id']}",
            "thread_id": "seed",
            "platform": "twitter",
            "source": "seeds/thread.jsonl",
            "source_text": root["text"],
            "parent_text": root["text"],
            "text": r["text"],
            "sdqc": None,
            "split": "test",
        }
        for r in thread
        if r["role"] != "root"
    ]
    path = ROOT / "seeds" / "replies" / "to_label.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
    print(f"wrote {len(out)} replies from {len({r['thread_id'] for r in out})} threads to {path}")


if __name__ == "__main__":
    main()
