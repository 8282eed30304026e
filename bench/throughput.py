"""Throughput, scaling and memory of `stance label` against tokenizing alone and spaCy textcat.

Builds JSONL dumps of SMALL and LARGE replies from the TweetEval stance texts (repeated
and shuffled), then times, each in a fresh process so the numbers are end to end and the
peak RSS is that run's alone:

1. `stance label` (installed command, default model, JSONL in and out, 1 process) against
   reading the same file and only tokenizing it with spacy.blank("en").pipe;
2. `stance label --jobs 2` against `--jobs 1`, with what bounds it on this machine: the
   time one process needs before it can fork (start-up plus the first chunk, which the
   parent labels to warm the caches its workers inherit) and how much faster two
   unrelated `--jobs 1` runs go at once than one alone. Amdahl's law then caps the ratio
   at T1 / (S + (T1 - S) / c), printed as "the ceiling";
3. peak RSS on LARGE rows against SMALL rows;
4. the same for spaCy's own textcat (bow architecture on spacy.blank("en")), trained
   briefly on TweetEval train and labelling the same dumps (n_process=2 for 2 jobs);
5. ratio 1 again on a LARGE dump where every reply carries one made-up word. The
   TweetEval pool has only ~3,000 distinct texts, so in the main dumps nearly every word
   was seen before; real dumps keep bringing new words (names, typos, tags), and new
   words cost both spaCy and stance more (per-word caches start empty for them), and
   they are what would make memory grow with the dump if nothing bounded it;
6. `stance label` on the LARGE dump with each reply's post attached (threads of
   consecutive replies under 200 posts) against the same replies without posts: what
   reading the post costs (word overlap, and the cosine bands when the model has them).

Ratios 1 and 2 are measured --repeats times (default 3), the runs of one repeat back to
back, and the median repeat is reported with every value, because one pair of runs on a
shared 2-core machine can be off by a tenth either way.

Run from the repository root:

    python bench/throughput.py            # 20,000 and 200,000 rows (several minutes)
    python bench/throughput.py --quick    # 2,000 and 20,000 rows
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "tweeteval-stance"
STANCE = Path(sys.executable).parent / "stance"

# Runs in a fresh interpreter: times one command and reports its peak RSS. RUSAGE_CHILDREN
# of this short-lived parent covers exactly that command and its own workers.
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
seconds = time.perf_counter() - start
print(json.dumps({"code": code, "seconds": seconds,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""

# The baseline: read the JSONL and tokenize only.
_TOKENIZE = """
import sys, orjson, spacy
nlp = spacy.blank("en")
def texts():
    with open(sys.argv[1], "rb") as handle:
        for line in handle:
            yield orjson.loads(line)["text"]
n = sum(1 for _ in nlp.pipe(texts(), batch_size=2000))
"""

# The peer: spaCy textcat, labelling a JSONL file into a JSONL file like `stance label`.
_TEXTCAT_LABEL = """
import sys, orjson, spacy
nlp = spacy.load(sys.argv[1])
n_process = int(sys.argv[4])
def rows():
    with open(sys.argv[2], "rb") as handle:
        for line in handle:
            row = orjson.loads(line)
            yield row["text"], row
with open(sys.argv[3], "wb") as out:
    for doc, row in nlp.pipe(rows(), as_tuples=True, batch_size=2000, n_process=n_process):
        cats = doc.cats
        row["stance"] = max(cats, key=cats.get)
        row["stance_proba"] = {k: round(v, 4) for k, v in cats.items()}
        out.write(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE))
"""

_TEXTCAT_TRAIN = """
import random, sys, orjson, spacy
from spacy.training import Example
rows = [orjson.loads(line) for path in sys.argv[2:] for line in open(path, "rb")]
labels = sorted({r["label"] for r in rows})
nlp = spacy.blank("en")
textcat = nlp.add_pipe("textcat", config={"model": {
    "@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": True, "ngram_size": 2,
    "no_output_layer": False, "length": 262144}})
for label in labels:
    textcat.add_label(label)
examples = [Example.from_dict(nlp.make_doc(r["text"]), {"cats": {l: float(l == r["label"]) for l in labels}}) for r in rows]
optimizer = nlp.initialize(lambda: examples)
rng = random.Random(0)
for epoch in range(5):
    rng.shuffle(examples)
    for i in range(0, len(examples), 64):
        nlp.update(examples[i:i + 64], sgd=optimizer, drop=0.1)
nlp.to_disk(sys.argv[1])
"""


def tweeteval(split_names: tuple[str, ...]) -> list[dict]:
    rows = []
    for target in sorted(p for p in DATA.iterdir() if p.is_dir()):
        for split in split_names:
            path = target / f"{split}.jsonl"
            if path.exists():
                rows.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    return rows


def build_dump(path: Path, n: int, rows: list[dict], seed: int = 0, new_words: bool = False, posts: int = 0) -> Path:
    """n replies drawn from ``rows``; with ``posts``, each reply answers one of that many
    posts (other texts of the pool, in threads of consecutive replies, as exports have them)."""
    rng = random.Random(seed)
    post_texts = [r["text"] for r in random.Random(seed + 2).sample(rows, posts)] if posts else []
    made_up = random.Random(seed + 1)
    with open(path, "w", encoding="utf-8") as handle:
        order: list[int] = []
        for i in range(n):
            if not order:
                order = list(range(len(rows)))
                rng.shuffle(order)
            row = rows[order.pop()]
            text = row["text"]
            if new_words:
                text += " " + "".join(made_up.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(made_up.randint(5, 10)))
            reply = {"id": f"reply-{i}", "text": text, "target": row["target"]}
            if post_texts:
                reply["context"] = post_texts[i * len(post_texts) // n]
            handle.write(json.dumps(reply) + "\n")
    return path


# Posts in the "with posts" dump: the replies come in threads of large / POSTS replies.
POSTS = 200

# Two `stance label --jobs 1` runs started together: how well this machine runs two of
# our processes at once, with no coordination between them at all.
_TWO_AT_ONCE = """
import json, subprocess, sys
runs = [subprocess.Popen(json.loads(c), stdout=subprocess.DEVNULL) for c in sys.argv[1:]]
codes = [r.wait() for r in runs]
sys.exit(max(codes))
"""


def measure(command: list[str]) -> dict:
    result = subprocess.run([sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if report["code"] != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {report['code']}")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 and 20,000 rows instead of 20,000 and 200,000.")
    parser.add_argument("--workdir", type=Path, default=None, help="Keep dumps and outputs here (default: a temporary folder).")
    parser.add_argument("--skip-peer", action="store_true", help="Do not train and run spaCy textcat.")
    parser.add_argument("--repeats", type=int, default=3, help="Times to repeat the two main ratios (median reported).")
    parser.add_argument("--large", type=int, default=None, help="Rows of the large dump (default 200,000; 20,000 with --quick).")
    args = parser.parse_args()
    small, large = (2_000, 20_000) if args.quick else (20_000, 200_000)
    large = args.large or large
    work = args.workdir or Path(tempfile.mkdtemp(prefix="stance-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    pool = tweeteval(("train", "val"))
    dumps = {n: build_dump(work / f"replies-{n}.jsonl", n, pool) for n in (small, large)}
    new_words_dump = build_dump(work / f"replies-{large}-new-words.jsonl", large, pool, new_words=True)
    small_new_words_dump = build_dump(work / f"replies-{small}-new-words.jsonl", small, pool, new_words=True)
    posts_dump = build_dump(work / f"replies-{large}-posts.jsonl", large, pool, posts=POSTS)
    print(f"Dumps of {small:,} and {large:,} replies ({len(pool):,} distinct TweetEval texts) in {work}", file=sys.stderr)

    def stance(n: int, jobs: int, dump: Path | None = None, name: str = "") -> list[str]:
        out = work / f"stance-{n}-j{jobs}{name}.jsonl"
        return [str(STANCE), "label", str(dump or dumps[n]), "-o", str(out), "--force", "--quiet", "--jobs", str(jobs)]

    results: dict[str, dict] = {}
    for n in (small, large):
        results[f"tokenize {n}"] = measure([sys.executable, "-c", _TOKENIZE, str(dumps[n])])
        results[f"stance {n} j1"] = measure(stance(n, 1))
        print(f"  measured {n:,} rows", file=sys.stderr)
    results[f"tokenize {large} new-words"] = measure([sys.executable, "-c", _TOKENIZE, str(new_words_dump)])
    results[f"stance {small} new-words"] = measure(stance(small, 1, small_new_words_dump, "-new-words"))
    results[f"stance {large} new-words"] = measure(stance(large, 1, new_words_dump, "-new-words"))
    results[f"stance {large} with posts"] = measure(stance(large, 1, posts_dump, "-posts"))

    # The repeated ratios, and what bounds the --jobs ratio. The first chunk is what
    # `stance label` works through before it forks (its default --batch-size lines).
    first_chunk = work / "replies-first-chunk.jsonl"
    with open(dumps[large], "rb") as source, open(first_chunk, "wb") as head:
        head.writelines(line for _, line in zip(range(2000), source))
    repeats: list[dict[str, float]] = []
    for repeat in range(args.repeats):
        tokenize = measure([sys.executable, "-c", _TOKENIZE, str(dumps[large])])["seconds"]
        one = measure(stance(large, 1))["seconds"]
        results[f"stance {large} j2"] = measure(stance(large, 2))
        two = results[f"stance {large} j2"]["seconds"]
        serial = measure(stance(2000, 1, first_chunk, "-first-chunk"))["seconds"]
        together = measure([sys.executable, "-c", _TWO_AT_ONCE, json.dumps(stance(large, 1)), json.dumps(stance(large, 1, name="-b"))])["seconds"]
        both = 2 * one / together
        repeats.append({
            "tokenize": tokenize, "jobs 1": one, "jobs 2": two, "before the fork": serial, "two at once": together,
            "ratio": (large / one) / (large / tokenize), "scaling": one / two, "two-process speed-up": both,
            "ceiling": one / (serial + (one - serial) / both),
        })
        print(f"  repeat {repeat + 1} of {args.repeats}: --jobs 2 vs 1 {one / two:.2f}x", file=sys.stderr)

    if not args.skip_peer:
        model = work / "textcat-model"
        if model.exists():
            shutil.rmtree(model)
        train_files = [str(p / "train.jsonl") for p in sorted(DATA.iterdir()) if (p / "train.jsonl").exists()]
        subprocess.run([sys.executable, "-c", _TEXTCAT_TRAIN, str(model), *train_files], check=True)
        for n in (small, large):
            results[f"textcat {n} j1"] = measure([sys.executable, "-c", _TEXTCAT_LABEL, str(model), str(dumps[n]), str(work / f"textcat-{n}.jsonl"), "1"])
        results[f"textcat {large} j2"] = measure([sys.executable, "-c", _TEXTCAT_LABEL, str(model), str(dumps[large]), str(work / f"textcat-{large}-j2.jsonl"), "2"])

    def rate(key: str, n: int) -> float:
        return n / results[key]["seconds"]

    lines = [
        f"| run | rows | seconds | rows/s | peak RSS MB |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, report in results.items():
        n = int(key.split()[1])
        lines.append(f"| {key} | {n:,} | {report['seconds']:.1f} | {n / report['seconds']:,.0f} | {report['max_rss_mb']:.0f} |")
    print("\n".join(lines))
    print()
    def median(key: str) -> float:
        return statistics.median(r[key] for r in repeats)

    def each(key: str) -> str:
        return ", ".join(f"{r[key]:.2f}" for r in repeats)

    print(f"Repeated {args.repeats} times, back to back ({large:,} rows; seconds are wall clock):\n")
    print("| repeat | tokenize only | --jobs 1 | --jobs 2 | before the fork | two --jobs 1 at once |")
    print("|---|---:|---:|---:|---:|---:|")
    for i, r in enumerate(repeats, 1):
        print(f"| {i} | {r['tokenize']:.2f} | {r['jobs 1']:.2f} | {r['jobs 2']:.2f} | {r['before the fork']:.2f} | {r['two at once']:.2f} |")
    print()
    summary = [
        (f"stance vs tokenize-only, rows/s ratio (goal >= 0.5, stretch >= 0.8); each: {each('ratio')}", median("ratio")),
        (f"stance --jobs 2 vs --jobs 1 (goal >= 1.7x); each: {each('scaling')}", median("scaling")),
        (f"two --jobs 1 runs at once vs one alone, throughput; each: {each('two-process speed-up')}", median("two-process speed-up")),
        (f"ceiling of --jobs 2 vs 1 from the two rows above and the time before the fork; each: {each('ceiling')}", median("ceiling")),
        (f"stance peak RSS {large:,} vs {small:,} rows (goal <= 1.2x)",
         results[f"stance {large} j1"]["max_rss_mb"] / results[f"stance {small} j1"]["max_rss_mb"]),
        ("stance vs tokenize-only, one made-up word per reply",
         rate(f"stance {large} new-words", large) / rate(f"tokenize {large} new-words", large)),
        (f"stance with each reply's post ({POSTS:,} posts) vs without, rows/s",
         rate(f"stance {large} with posts", large) / rate(f"stance {large} j1", large)),
        (f"stance peak RSS {large:,} vs {small:,} rows, one made-up word per reply",
         results[f"stance {large} new-words"]["max_rss_mb"] / results[f"stance {small} new-words"]["max_rss_mb"]),
    ]
    if not args.skip_peer:
        summary += [
            ("textcat vs tokenize-only, rows/s ratio", rate(f"textcat {large} j1", large) / rate(f"tokenize {large}", large)),
            ("textcat n_process=2 vs 1", rate(f"textcat {large} j2", large) / rate(f"textcat {large} j1", large)),
            (f"textcat peak RSS {large:,} vs {small:,} rows",
             results[f"textcat {large} j1"]["max_rss_mb"] / results[f"textcat {small} j1"]["max_rss_mb"]),
        ]
    print("| measure | value |")
    print("|---|---:|")
    for name, value in summary:
        print(f"| {name} | {value:.2f} |")
    print(f"\nCPU cores: {os.cpu_count()}; load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    flags = (" --quick" if args.quick else "") + (" --skip-peer" if args.skip_peer else "")
    flags += f" --repeats {args.repeats}" if args.repeats != 3 else ""
    flags += f" --large {args.large}" if args.large else ""
    print(f"Reproduce: python bench/throughput.py{flags}")


if __name__ == "__main__":
    main()
