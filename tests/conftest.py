"""Shared fixtures. Everything builds on spacy.blank("en"); nothing is downloaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# CI machines are slow and shared: no per-example deadline, fewer examples.
settings.register_profile(
    "ci", deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

ROOT = Path(__file__).resolve().parents[1]
SEED_THREAD = ROOT / "seeds" / "thread.jsonl"
TWEETEVAL = ROOT.parent / "shared" / "data" / "tweeteval-stance"


def stance_command() -> Path:
    """The installed console script, next to the interpreter running the tests."""
    script = Path(sys.executable).parent / "stance"
    if not script.exists():
        pytest.fail(f"The `stance` console script is not installed next to {sys.executable}; run `pip install .`")
    return script


def run_stance(*args: str, cwd: Path | None = None, input: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(stance_command()), *args], capture_output=True, text=True, cwd=cwd, input=input, timeout=timeout
    )


DUMP_TEXTS = ["I agree, great essay", "This is wrong and naive", "What time is the game?", "Love this", "so true"]


def write_dump(path: Path, n: int, bad_every: int = 0) -> Path:
    """A JSONL dump of ``n`` records (``n`` and ``text``), every ``bad_every``-th line broken JSON."""
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            if bad_every and i % bad_every == bad_every - 1:
                handle.write("{broken\n")
            else:
                handle.write(json.dumps({"n": i, "text": f"{DUMP_TEXTS[i % len(DUMP_TEXTS)]} #{i}"}) + "\n")
    return path


def wait_for_progress(progress: Path, process: subprocess.Popen, at_least: int, timeout: float = 120) -> int:
    """Wait until a running `stance label` has checkpointed ``at_least`` records; their number."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the run ended (status {process.returncode}) before the test could step in")
        try:
            done = json.loads(progress.read_bytes())["records"]
        except (FileNotFoundError, ValueError, KeyError):
            done = 0
        if done >= at_least:
            return done
        time.sleep(0.01)
    pytest.fail("no progress checkpoint appeared")


@pytest.fixture(scope="session")
def thread_rows() -> list[dict]:
    return [json.loads(line) for line in SEED_THREAD.read_text(encoding="utf-8").splitlines()]


TOY_ROWS = [
    {"text": "I agree, great essay and thank you", "label": "supportive"},
    {"text": "Brilliant and thoughtful piece, well said", "label": "supportive"},
    {"text": "Yes, exactly right. Love this framing", "label": "supportive"},
    {"text": "So true, an important read", "label": "supportive"},
    {"text": "This is wrong and naive", "label": "critical"},
    {"text": "I disagree, the proposal will fail", "label": "critical"},
    {"text": "Terrible idea, a waste of time", "label": "critical"},
    {"text": "Not convinced at all, this is nonsense", "label": "critical"},
    {"text": "cc @someone", "label": "off-topic"},
    {"text": "👀", "label": "off-topic"},
    {"text": "What time is the game tonight?", "label": "off-topic"},
    {"text": "Anyone selling concert tickets", "label": "off-topic"},
]


@pytest.fixture(scope="session")
def toy_rows() -> list[dict]:
    return [dict(row) for row in TOY_ROWS]


@pytest.fixture(scope="session")
def toy_model(toy_rows):
    import stance

    return stance.train(toy_rows)


@pytest.fixture(scope="session")
def toy_model_path(toy_model, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("models") / "toy.joblib"
    toy_model.save(path)
    return path


COMPRESSIONS = ("gzip", "bzip2", "xz", "zstd")
COMPRESSED_SUFFIX = {"gzip": ".gz", "bzip2": ".bz2", "xz": ".xz", "zstd": ".zst"}


def compress(data: bytes, kind: str, *, pieces: int = 1) -> bytes:
    """``data`` compressed as the command-line tools would, in ``pieces`` concatenated
    streams (gzip members, bzip2/xz streams, zstd frames); zstd frames use a 2 GiB window
    and no content size, as `zstd --long=31` writes the Reddit dumps."""
    import bz2
    import gzip
    import io
    import lzma

    import zstandard

    size = -(-len(data) // pieces) if data else 1
    parts = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
    out = []
    for part in parts:
        if kind == "gzip":
            out.append(gzip.compress(part, mtime=0))
        elif kind == "bzip2":
            out.append(bz2.compress(part))
        elif kind == "xz":
            out.append(lzma.compress(part))
        else:
            params = zstandard.ZstdCompressionParameters.from_level(3, window_log=31, enable_ldm=True, write_checksum=True)
            buf = io.BytesIO()
            with zstandard.ZstdCompressor(compression_params=params).stream_writer(buf, closefd=False) as writer:
                writer.write(part)
            out.append(buf.getvalue())
    return b"".join(out)
