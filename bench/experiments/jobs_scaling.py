"""Where `stance label --jobs 2` loses against `--jobs 1`, on a dump made by bench/throughput.py.

    python bench/throughput.py --workdir /tmp/stance-bench        # makes the dumps once
    python bench/experiments/jobs_scaling.py /tmp/stance-bench/replies-200000.jsonl

Prints (1) how well this machine runs two CPU-bound Python processes at once (a plain
loop, 1 vs 2 processes), (2) the timeline of one `--jobs 2` run (start-up, labelling the
first chunk before the fork, the parallel phase), and (3) back-to-back `--jobs 1` /
`--jobs 2` pairs of wall-clock times.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import time
from pathlib import Path

STANCE = Path(sys.executable).parent / "stance"

# Runs `stance label` in this interpreter with timestamps at the points that matter.
_TIMELINE = """
import sys, time
T0 = time.perf_counter()
marks = {}
import stance.batch as batch
workers_init, workers_run, label_file = batch._Workers.__init__, batch._Workers.run, batch.label_file
def init(self, *a, **k):
    marks["fork"] = time.perf_counter() - T0
    workers_init(self, *a, **k)
def run(self, *a, **k):
    yield from workers_run(self, *a, **k)
    marks["parallel phase ends"] = time.perf_counter() - T0
def label(*a, **k):
    marks["label_file starts (model loaded)"] = time.perf_counter() - T0
    result = label_file(*a, **k)
    marks["label_file ends"] = time.perf_counter() - T0
    return result
batch._Workers.__init__, batch._Workers.run, batch.label_file = init, run, label
from stance.cli import main
sys.argv = ["stance", "label", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
for name, at in sorted(marks.items(), key=lambda item: item[1]):
    print(f"  {at:6.2f} s  {name}")
"""


def _loop(n: int = 6_000_000) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def _wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    dump = sys.argv[1]
    pairs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    start = time.perf_counter()
    _loop()
    one = time.perf_counter() - start
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_loop, [6_000_000, 6_000_000])
    two = time.perf_counter() - start
    print(f"plain Python loop: 1 process {one:.2f} s, the same work twice in 2 processes {two:.2f} s: {2 * one / two:.2f}x")

    print("timeline of one --jobs 2 run:")
    out = "/tmp/stance-jobs-scaling.jsonl"
    subprocess.run([sys.executable, "-c", _TIMELINE, dump, "-o", out, "--force", "--quiet", "--jobs", "2"], check=True)

    for _ in range(pairs):
        j1 = _wall([str(STANCE), "label", dump, "-o", out, "--force", "--quiet"])
        j2 = _wall([str(STANCE), "label", dump, "-o", out, "--force", "--quiet", "--jobs", "2"])
        print(f"--jobs 1 {j1:.2f} s, --jobs 2 {j2:.2f} s: {j1 / j2:.2f}x")


if __name__ == "__main__":
    main()
