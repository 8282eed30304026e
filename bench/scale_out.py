"""Scale-out: a 2-worker Dask LocalCluster against `stance label --jobs 2` and `--jobs 1`,
and what reading compressed dumps costs.

Builds one JSONL dump of ROWS replies from the TweetEval stance texts (as
bench/throughput.py does) and the same replies split into FILES files, then times, each
run a fresh process so the figures are end to end (start-up, model loading, and for the
cluster its start and its workers' start-up too):

1. `stance label ALL.jsonl --jobs 1` and `--jobs 2`;
2. `stance label 'parts/*.jsonl' -o out/ --dask local:2` (a LocalCluster with two worker
   processes, one thread each, started by the command);
3. `stance label` `--jobs 1` on ALL.jsonl.zst and ALL.jsonl.gz against ALL.jsonl.

Every ratio is from this one run. The compressed runs' outputs are checked to be the
plain run's bytes, and the cluster's outputs to hold every row once.

Run from the repository root, with the dask extra installed (`pip install '.[dask]'`):

    python bench/scale_out.py                    # 1,000,000 rows in 8 files
    python bench/scale_out.py --rows 200000      # a shorter run
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import STANCE, build_dump, tweeteval  # noqa: E402


def run(command: list[str]) -> float:
    """Seconds the command takes, end to end; exit status 0 or 3 (rejected records) only."""
    start = time.perf_counter()
    code = subprocess.call(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    if code not in (0, 3):
        raise SystemExit(f"{' '.join(command)} failed with status {code}")
    return seconds


def split(dump: Path, folder: Path, files: int, rows: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    per = -(-rows // files)
    paths = []
    with open(dump, "rb") as source:
        for i in range(files):
            path = folder / f"part-{i:03d}.jsonl"
            with open(path, "wb") as out:
                for _, line in zip(range(per), source):
                    out.write(line)
            paths.append(path)
    return paths


def compress_zstd(source: Path, target: Path) -> None:
    """zstd --long=31, as the Reddit dumps are written (a 2 GiB window)."""
    import zstandard

    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=31, enable_ldm=True, threads=-1)
    with open(source, "rb") as src, open(target, "wb") as dst:
        zstandard.ZstdCompressor(compression_params=params).copy_stream(src, dst)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="Replies in all (default 1,000,000).")
    parser.add_argument("--files", type=int, default=8, help="Files the replies are split into for the cluster.")
    parser.add_argument("--workdir", type=Path, default=None, help="Keep dumps and outputs here (default: a temporary folder).")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="stance-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    pool = tweeteval(("train", "val"))
    dump = build_dump(work / "all.jsonl", args.rows, pool)
    parts = split(dump, work / "parts", args.files, args.rows)
    with open(dump, "rb") as src, gzip.open(work / "all.jsonl.gz", "wb", compresslevel=6) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    compress_zstd(dump, work / "all.jsonl.zst")
    sizes = {name: (work / name).stat().st_size for name in ("all.jsonl", "all.jsonl.gz", "all.jsonl.zst")}
    print(f"{args.rows:,} replies ({len(pool):,} distinct TweetEval texts), {args.files} files, in {work}", file=sys.stderr)

    def label(source: Path, out: Path, *extra: str) -> list[str]:
        return [str(STANCE), "label", str(source), "-o", str(out), "--force", "--quiet", *extra]

    seconds = {}
    load_before = os.getloadavg()[1]  # other work on the machine skews every two-process figure
    seconds["jobs 1"] = run(label(dump, work / "j1.jsonl", "--jobs", "1"))
    seconds["jobs 2"] = run(label(dump, work / "j2.jsonl", "--jobs", "2"))
    shutil.rmtree(work / "out", ignore_errors=True)
    seconds["dask local:2"] = run([str(STANCE), "label", str(work / "parts" / "*.jsonl"), "-o", str(work / "out"), "--quiet", "--dask", "local:2"])
    seconds["zst, jobs 1"] = run(label(work / "all.jsonl.zst", work / "zst.jsonl", "--jobs", "1"))
    seconds["gz, jobs 1"] = run(label(work / "all.jsonl.gz", work / "gz.jsonl", "--jobs", "1"))
    print(
        f"  measured in {sum(seconds.values()):.0f}s; load average (5 min) {load_before:.2f} before, "
        f"{os.getloadavg()[1]:.2f} after, on {os.cpu_count()} cores",
        file=sys.stderr,
    )

    # the checks: the same rows everywhere
    plain = (work / "j1.jsonl").read_bytes()
    assert (work / "zst.jsonl").read_bytes() == plain and (work / "gz.jsonl").read_bytes() == plain
    assert (work / "j2.jsonl").read_bytes() == plain
    cluster_rows = sum(sum(1 for _ in open(work / "out" / p.name, "rb")) for p in parts)
    assert cluster_rows == args.rows, (cluster_rows, args.rows)

    rate = {name: args.rows / s for name, s in seconds.items()}
    rows = [
        ("`stance label --jobs 1`, one file", "jobs 1", sizes["all.jsonl"]),
        ("`stance label --jobs 2`, one file", "jobs 2", sizes["all.jsonl"]),
        (f"`stance label --dask local:2`, {args.files} files (cluster start included)", "dask local:2", sizes["all.jsonl"]),
        ("`stance label --jobs 1`, `.zst` (`--long=31`)", "zst, jobs 1", sizes["all.jsonl.zst"]),
        ("`stance label --jobs 1`, `.gz`", "gz, jobs 1", sizes["all.jsonl.gz"]),
    ]
    print(f"\n| run | rows | input MB | seconds | rows/s |\n|---|---:|---:|---:|---:|")
    for title, key, size in rows:
        print(f"| {title} | {args.rows:,} | {size / 1e6:,.1f} | {seconds[key]:.1f} | {rate[key]:,.0f} |")
    ratios = [
        ("2-worker LocalCluster vs `--jobs 2`, rows/s", rate["dask local:2"] / rate["jobs 2"], "≥ 0.85"),
        ("2-worker LocalCluster vs `--jobs 1`, rows/s", rate["dask local:2"] / rate["jobs 1"], ""),
        ("`--jobs 2` vs `--jobs 1`, rows/s", rate["jobs 2"] / rate["jobs 1"], ""),
        ("`.zst` vs uncompressed, rows/s", rate["zst, jobs 1"] / rate["jobs 1"], "≥ 0.9"),
        ("`.gz` vs uncompressed, rows/s", rate["gz, jobs 1"] / rate["jobs 1"], "≥ 0.9"),
    ]
    print("\n| measure | ratio | goal |\n|---|---:|---|")
    for title, value, goal in ratios:
        print(f"| {title} | {value:.2f} | {goal} |")
    print(json.dumps({"rows": args.rows, "files": args.files, "seconds": seconds, "bytes": sizes}), file=sys.stderr)


if __name__ == "__main__":
    main()
