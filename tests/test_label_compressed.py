"""stance label on compressed input: every promise of a plain file holds (formats, error
records with line numbers, --jobs, --resume after kill -9), and a damaged file loses no
record before the damage."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import COMPRESSED_SUFFIX, COMPRESSIONS, compress, run_stance, stance_command
from stance.batch import label_file
from stance.batch.checkpoint import RunFiles

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
TEXTS = ["I agree, great essay", "This is wrong and naive", "What time is the game?", "Love this 👀", "so true"]


def dump(n: int, bad_every: int = 0) -> bytes:
    return b"".join(
        b"{bad json\n" if bad_every and i % bad_every == bad_every - 1
        else json.dumps({"n": i, "text": TEXTS[i % len(TEXTS)]}, ensure_ascii=False).encode() + b"\n"
        for i in range(n)
    )


def outputs(output: Path) -> tuple[bytes, bytes | None]:
    errors = RunFiles.beside(output, None).errors
    return output.read_bytes(), errors.read_bytes() if errors.exists() else None


@pytest.mark.parametrize("kind", COMPRESSIONS)
def test_compressed_dump_gives_the_bytes_of_the_plain_one(kind, toy_model, tmp_path):
    data = dump(3000, bad_every=97)
    plain = tmp_path / "in.jsonl"
    plain.write_bytes(data)
    packed = tmp_path / f"in.jsonl{COMPRESSED_SUFFIX[kind]}"
    packed.write_bytes(compress(data, kind, pieces=2))
    label_file(plain, tmp_path / "plain.jsonl", model=toy_model, chunk_size=250)
    one = label_file(packed, tmp_path / "one.jsonl", model=toy_model, chunk_size=250, progress=True)
    two = label_file(packed, tmp_path / "two.jsonl", model=toy_model, chunk_size=250, jobs=2)
    assert one.format == two.format == "jsonl" and one.rejected == 3000 // 97
    assert outputs(tmp_path / "one.jsonl") == outputs(tmp_path / "two.jsonl") == outputs(tmp_path / "plain.jsonl")


@pytest.mark.parametrize("name", ["replies.csv", "x_api_pages.json", "tweets.js", "bluesky_records.jsonl", "mastodon_statuses.json"])
def test_every_format_compressed_labels_as_the_plain_file(name, toy_model, tmp_path):
    packed = tmp_path / (name + ".zst")
    packed.write_bytes(compress((FIXTURES / name).read_bytes(), "zstd"))
    plain = label_file(FIXTURES / name, tmp_path / "plain.jsonl", model=toy_model)
    zipped = label_file(packed, tmp_path / "zipped.jsonl", model=toy_model)
    assert (plain.format, plain.read, plain.rejected) == (zipped.format, zipped.read, zipped.rejected)
    assert outputs(tmp_path / "plain.jsonl") == outputs(tmp_path / "zipped.jsonl")


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_a_cut_off_file_labels_every_record_before_and_reports_the_byte(fmt, jobs, toy_model, tmp_path):
    rows = [{"n": i, "text": TEXTS[i % len(TEXTS)]} for i in range(20_000)]
    data = dump(20_000) if fmt == "jsonl" else ("[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]\n").encode()
    packed = compress(data, "gzip")
    cut = len(packed) // 2
    path = tmp_path / "in.gz"
    path.write_bytes(packed[:cut])
    out = tmp_path / f"out{jobs}.jsonl"
    summary = label_file(path, out, model=toy_model, chunk_size=500, jobs=jobs)
    assert summary.exit_code == 3 and summary.format == fmt
    assert summary.damage.startswith(f"'{path}' is damaged: the gzip data is cut off at byte {cut}") and summary.damage in summary.describe()
    labelled = [json.loads(line)["n"] for line in out.read_bytes().splitlines()]
    assert labelled == list(range(len(labelled))) and len(labelled) > 5000  # none lost before the cut
    errors = [json.loads(line) for line in summary.errors.read_bytes().splitlines()]
    last = errors[-1]
    assert f"'{path}'" not in last["reason"] and f"the gzip data is cut off at byte {cut} of the file" in last["reason"]
    assert last["line"] == len(labelled) + (2 if fmt == "json" else 1)  # the line the cut went through
    if fmt == "jsonl":
        assert errors == [last] and last["raw"] and data.splitlines()[last["line"] - 1].startswith(last["raw"].encode())


def test_strict_stops_at_the_damage(toy_model, tmp_path):
    packed = compress(dump(5000), "zstd")
    path = tmp_path / "in.jsonl.zst"
    path.write_bytes(packed[: len(packed) - 20])
    summary = label_file(path, tmp_path / "out.jsonl", model=toy_model, strict=True)
    assert summary.stopped and "cut off at byte" in summary.stopped and not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_kill_9_part_way_then_resume_on_a_zst_dump(jobs, tmp_path, toy_model_path):
    """Resume re-reads and skips: the checkpoint holds an offset in the decompressed content,
    and a resumed run decompresses from the start up to it without parsing or labelling."""
    n = 20_000
    data = tmp_path / "in.jsonl.zst"
    data.write_bytes(compress(dump(n, bad_every=1000), "zstd", pieces=3))
    args = ["label", str(data), "-m", str(toy_model_path), "--chunk-size", "200", "--checkpoint-every", "0", "--jobs", jobs]
    out = tmp_path / "out.jsonl"
    process = subprocess.Popen([str(stance_command()), *args, "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    progress = RunFiles.beside(out, None).progress
    try:
        import time

        deadline = time.monotonic() + 120
        done = 0
        while time.monotonic() < deadline and done < 2000:
            assert process.poll() is None, "the run ended before it could be killed"
            try:
                state = json.loads(progress.read_bytes())
                done = state["records"]
            except (FileNotFoundError, ValueError, KeyError):
                time.sleep(0.01)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert 2000 <= done < n and not out.exists()
    assert state["compression"] == "zstd" and state["offset"] > data.stat().st_size  # content offsets
    resumed = run_stance(*args, "-o", str(out), "--resume")
    assert resumed.returncode == 3 and "resumed after record" in resumed.stderr, resumed.stderr
    assert [json.loads(line)["n"] for line in out.read_bytes().splitlines()] == [i for i in range(n) if i % 1000 != 999]
    reference = tmp_path / "reference.jsonl"
    assert run_stance(*args, "-o", str(reference)).returncode == 3
    assert outputs(out) == outputs(reference)


def test_compressed_stdin(tmp_path, toy_model_path):
    data = dump(500, bad_every=100)
    packed = tmp_path / "in.jsonl.xz"
    packed.write_bytes(compress(data, "xz"))
    (tmp_path / "in.jsonl").write_bytes(data)
    with open(packed, "rb") as stdin:
        piped = subprocess.run(
            [str(stance_command()), "label", "-", "-m", str(toy_model_path), "-o", str(tmp_path / "piped.jsonl"), "-q"],
            stdin=stdin, capture_output=True, text=True, timeout=300,
        )
    assert piped.returncode == 3, piped.stderr
    assert run_stance("label", str(tmp_path / "in.jsonl"), "-m", str(toy_model_path), "-o", str(tmp_path / "plain.jsonl"), "-q").returncode == 3
    assert outputs(tmp_path / "piped.jsonl") == outputs(tmp_path / "plain.jsonl")
