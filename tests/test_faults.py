"""Faults that lose nothing, in `stance label`, with real processes.

- The file-size limit (``RLIMIT_FSIZE``, set in the child) or a full disk (a small tmpfs,
  where the tests may mount one) part way through a run: exit status 2 and a message that
  says what to do, no output in place, and ``--resume`` afterwards writes the very bytes
  an uninterrupted run writes.
- Two runs on one output: the second refuses at once, the first finishes unharmed; a lock
  left by a killed run does not block the next one.

(`stance annotate` killed between answers, or stopped by a full disk, is in test_annotate.py.)
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import run_stance, stance_command, wait_for_progress, write_dump


def hidden(folder: Path) -> list[str]:
    """The run's own files (partial, progress, lock, temporary) left in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def file_size_limit(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process

    return apply


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_file_size_limit_mid_run_then_resume_gives_the_uninterrupted_bytes(tmp_path, toy_model_path, jobs):
    data = write_dump(tmp_path / "in.jsonl", 6000, bad_every=500)
    args = ["label", str(data), "-m", str(toy_model_path), "--chunk-size", "200", "--checkpoint-every", "0", "--jobs", jobs, "--force"]
    reference = tmp_path / "reference"
    reference.mkdir()
    assert run_stance(*args, "-o", str(reference / "out.jsonl")).returncode == 3

    run = tmp_path / "run"
    run.mkdir()
    out = run / "out.jsonl"
    out.write_bytes(b"an earlier output\n")  # --force replaces it only once the run is complete
    limited = subprocess.run(
        [str(stance_command()), *args, "-o", str(out)], capture_output=True, text=True, timeout=300,
        preexec_fn=file_size_limit(300_000),  # about a third of the output
    )
    assert limited.returncode == 2, limited.stderr
    assert "Traceback" not in limited.stderr
    assert f"Nothing was put in place of '{out}'" in limited.stderr
    assert "the file-size limit" in limited.stderr and "--resume" in limited.stderr
    assert out.read_bytes() == b"an earlier output\n" and not (run / "out.errors.jsonl").exists()
    assert hidden(run) == [".out.errors.jsonl.partial", ".out.jsonl.partial.jsonl", ".out.jsonl.progress.json"]

    resumed = run_stance(*args, "-o", str(out), "--resume")
    assert resumed.returncode == 3, resumed.stderr
    assert "resumed after record" in resumed.stderr
    for name in ("out.jsonl", "out.errors.jsonl"):
        assert (run / name).read_bytes() == (reference / name).read_bytes(), name
    assert hidden(run) == []


def test_a_limit_hit_before_the_first_checkpoint_leaves_nothing_behind(tmp_path, toy_model_path):
    data = write_dump(tmp_path / "in.jsonl", 3000)
    out = tmp_path / "out.jsonl"
    limited = subprocess.run(
        [str(stance_command()), "label", str(data), "-m", str(toy_model_path), "-o", str(out), "--chunk-size", "500", "--checkpoint-every", "600"],
        capture_output=True, text=True, timeout=300, preexec_fn=file_size_limit(20_000),
    )
    assert limited.returncode == 2, limited.stderr
    assert "no partial file is left" in limited.stderr and "run the same command again" in limited.stderr
    assert not out.exists() and hidden(tmp_path) == []
    again = run_stance("label", str(data), "-m", str(toy_model_path), "-o", str(out))
    assert again.returncode == 0, again.stderr
    assert [json.loads(line)["n"] for line in out.read_text().splitlines()] == list(range(3000))


@pytest.fixture()
def small_disk(tmp_path):
    """A 2 MB tmpfs, where the tests run as root and may mount one."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small file system needs root")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_full_disk_mid_run_then_resume_after_freeing_space(tmp_path, toy_model_path, small_disk):
    data = write_dump(tmp_path / "in.jsonl", 8000, bad_every=700)  # about 1.2 MB of output rows
    args = ["label", str(data), "-m", str(toy_model_path), "--chunk-size", "200", "--checkpoint-every", "0"]
    assert run_stance(*args, "-o", str(tmp_path / "reference.jsonl")).returncode == 3
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * 1_400_000)  # leaves room for part of the output only

    out = small_disk / "out.jsonl"
    full = run_stance(*args, "-o", str(out))
    assert full.returncode == 2, full.stderr
    assert "the disk is full" in full.stderr and "--resume" in full.stderr and "Traceback" not in full.stderr
    assert not out.exists() and not (small_disk / "out.errors.jsonl").exists()

    filler.unlink()  # space is freed
    resumed = run_stance(*args, "-o", str(out), "--resume")
    assert resumed.returncode == 3, resumed.stderr
    assert out.read_bytes() == (tmp_path / "reference.jsonl").read_bytes()
    assert (small_disk / "out.errors.jsonl").read_bytes() == (tmp_path / "reference.errors.jsonl").read_bytes()
    assert hidden(small_disk) == []


def test_a_second_run_on_the_same_output_refuses_at_once_and_the_first_is_unharmed(tmp_path, toy_model_path):
    n = 20_000
    data = write_dump(tmp_path / "in.jsonl", n, bad_every=1000)
    args = ["label", str(data), "-m", str(toy_model_path), "--chunk-size", "200", "--checkpoint-every", "0"]
    assert run_stance(*args, "-o", str(tmp_path / "reference.jsonl")).returncode == 3
    out = tmp_path / "out.jsonl"
    first = subprocess.Popen([str(stance_command()), *args, "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_progress(tmp_path / ".out.jsonl.progress.json", first, at_least=1000)
        first.send_signal(signal.SIGSTOP)  # holds its lock, paused, while the others try
        for extra in ([], ["--force"], ["--resume"]):
            second = run_stance(*args, "-o", str(out), *extra, timeout=60)
            assert second.returncode == 2, second.stderr
            assert f"Another `stance label` run (pid {first.pid}) is writing '{out}' right now" in second.stderr
            assert "Traceback" not in second.stderr
    finally:
        first.send_signal(signal.SIGCONT)
    assert first.wait(timeout=300) == 3, first.stderr.read().decode()
    assert out.read_bytes() == (tmp_path / "reference.jsonl").read_bytes()
    assert (tmp_path / "out.errors.jsonl").read_bytes() == (tmp_path / "reference.errors.jsonl").read_bytes()
    assert hidden(tmp_path) == []


def test_the_lock_of_a_killed_run_does_not_block_the_next(tmp_path, toy_model_path):
    n = 20_000
    data = write_dump(tmp_path / "in.jsonl", n)
    args = ["label", str(data), "-m", str(toy_model_path), "--chunk-size", "200", "--checkpoint-every", "0", "-o", str(tmp_path / "out.jsonl")]
    process = subprocess.Popen([str(stance_command()), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_progress(tmp_path / ".out.jsonl.progress.json", process, at_least=1000)
    process.kill()
    process.wait()
    assert (tmp_path / ".out.jsonl.lock").read_text().strip() == str(process.pid)  # left behind, but no longer held
    resumed = run_stance(*args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert [json.loads(line)["n"] for line in (tmp_path / "out.jsonl").read_text().splitlines()] == list(range(n))
    assert hidden(tmp_path) == []
