"""`stance label` and `stance summarize` through the installed console script."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import run_stance, stance_command, wait_for_progress, write_dump

FIXTURES = Path(__file__).parent / "fixtures" / "formats"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_exit_codes_and_summary(tmp_path, toy_model_path):
    clean = write_dump(tmp_path / "clean.jsonl", 20)
    ok = run_stance("label", str(clean), "-m", str(toy_model_path), "-o", str(tmp_path / "a.jsonl"))
    assert ok.returncode == 0, ok.stderr
    assert "Read 20 records (jsonl): labelled 20, rejected 0" in ok.stderr

    mixed = write_dump(tmp_path / "mixed.jsonl", 20, bad_every=5)
    some = run_stance("label", str(mixed), "-m", str(toy_model_path), "-o", str(tmp_path / "b.jsonl"))
    assert some.returncode == 3
    assert "rejected 4" in some.stderr and "b.errors.jsonl" in some.stderr
    assert [e["line"] for e in read_jsonl(tmp_path / "b.errors.jsonl")] == [5, 10, 15, 20]

    strict = run_stance("label", str(mixed), "-m", str(toy_model_path), "-o", str(tmp_path / "c.jsonl"), "--strict")
    assert strict.returncode == 3 and "line 5" in strict.stderr and not (tmp_path / "c.jsonl").exists()

    for args, message in [
        (["--jobs", "0"], "--jobs must be"),
        (["--format", "xml"], "Invalid value for '--format'"),
    ]:
        bad = run_stance("label", str(clean), "-o", str(tmp_path / "d.jsonl"), *args)
        assert bad.returncode == 2 and message in bad.stderr and "Traceback" not in bad.stderr


def test_refuses_to_overwrite(tmp_path, toy_model_path):
    data = write_dump(tmp_path / "in.jsonl", 3)
    out = tmp_path / "out.jsonl"
    out.write_text("keep me\n")
    refused = run_stance("label", str(data), "-m", str(toy_model_path), "-o", str(out))
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert out.read_text() == "keep me\n"
    forced = run_stance("label", str(data), "-m", str(toy_model_path), "-o", str(out), "--force")
    assert forced.returncode == 0 and len(read_jsonl(out)) == 3


def test_stdin_and_platform_formats(tmp_path, toy_model_path):
    text = (FIXTURES / "replies.txt").read_text(encoding="utf-8")
    piped = run_stance("label", "-", "-m", str(toy_model_path), "-o", str(tmp_path / "stdin.jsonl"), input=text)
    assert piped.returncode == 0, piped.stderr
    assert [r["text"] for r in read_jsonl(tmp_path / "stdin.jsonl")][0] == "I agree, great essay and thank you"

    archive = run_stance("label", str(FIXTURES / "tweets.js"), "-m", str(toy_model_path), "-o", str(tmp_path / "t.csv"))
    assert archive.returncode == 3 and "(x-archive)" in archive.stderr
    forced = run_stance("label", str(FIXTURES / "replies.txt"), "--format", "text", "--to", "parquet", "-m", str(toy_model_path), "-o", str(tmp_path / "p.out"))
    assert forced.returncode == 0, forced.stderr


def test_stdin_with_two_jobs(tmp_path, toy_model_path):
    data = write_dump(tmp_path / "in.jsonl", 500, bad_every=50).read_text(encoding="utf-8")
    for jobs in ("1", "2"):
        piped = run_stance("label", "-", "-m", str(toy_model_path), "-o", str(tmp_path / f"j{jobs}.jsonl"), "--chunk-size", "64", "--jobs", jobs, input=data)
        assert piped.returncode == 3, piped.stderr
    assert (tmp_path / "j2.jsonl").read_bytes() == (tmp_path / "j1.jsonl").read_bytes()
    assert (tmp_path / "j2.errors.jsonl").read_bytes() == (tmp_path / "j1.errors.jsonl").read_bytes()
    assert [e["line"] for e in read_jsonl(tmp_path / "j2.errors.jsonl")] == list(range(50, 501, 50))


def test_parallel_jobs_keep_input_order(tmp_path, toy_model_path):
    data = write_dump(tmp_path / "in.jsonl", 1500, bad_every=97)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert run_stance("label", str(data), "-m", str(toy_model_path), "-o", str(one), "--chunk-size", "100").returncode == 3
    result = run_stance("label", str(data), "-m", str(toy_model_path), "-o", str(two), "--chunk-size", "100", "--jobs", "2")
    assert result.returncode == 3, result.stderr
    assert two.read_bytes() == one.read_bytes()
    numbers = [r["n"] for r in read_jsonl(two)]
    assert numbers == sorted(numbers) and len(numbers) == 1500 - 1500 // 97


def test_content_after_an_array_is_an_error_record_with_either_jobs(tmp_path, toy_model_path):
    data = tmp_path / "tweets.js"
    data.write_bytes((FIXTURES / "tweets.js").read_bytes() + b"\nwindow.YTD.tweets.part1 = [")
    line = data.read_bytes().count(b"\n") + 1
    for jobs in ("1", "2"):
        run = run_stance("label", str(data), "-m", str(toy_model_path), "-o", str(tmp_path / f"j{jobs}.jsonl"), "--chunk-size", "1", "--jobs", jobs)
        assert run.returncode == 3 and "Traceback" not in run.stderr, run.stderr
    assert (tmp_path / "j2.jsonl").read_bytes() == (tmp_path / "j1.jsonl").read_bytes()
    assert (tmp_path / "j2.errors.jsonl").read_bytes() == (tmp_path / "j1.errors.jsonl").read_bytes()
    last = read_jsonl(tmp_path / "j1.errors.jsonl")[-1]
    assert last == {"line": line, "raw": "window.YTD.tweets.part1 = [", "reason": "content after the end of the JSON array"}
    strict = run_stance("label", str(data), "-m", str(toy_model_path), "-o", str(tmp_path / "s.jsonl"), "--strict", "--text-field", "tweet.id_str")
    assert strict.returncode == 3 and f"line {line}: content after the end of the JSON array" in strict.stderr


@pytest.mark.parametrize("name", ["replies.txt", "replies.jsonl", "replies.json", "mastodon_statuses.json"])
def test_a_byte_order_mark_on_stdin_or_in_a_file_changes_nothing_with_either_jobs(tmp_path, toy_model_path, name):
    """A Windows export starts with EF BB BF: once a json file so was refused (exit 2), a
    Mastodon array was one error record and the first JSONL line an error record."""
    data = (FIXTURES / name).read_bytes()
    (tmp_path / name).write_bytes(b"\xef\xbb\xbf" + data)
    args = ["label", "-m", str(toy_model_path), "--chunk-size", "1"]

    def result(run, out: str) -> tuple:
        assert "Traceback" not in run.stderr, run.stderr
        errors = tmp_path / f"{out}.errors.jsonl"
        said = run.stderr.splitlines()[0].split(", in ")[0]  # the counts, not the time
        return run.returncode, said, (tmp_path / f"{out}.jsonl").read_bytes(), errors.read_bytes() if errors.exists() else None

    # stdin cannot be read twice for parents found later in the file: compare like with like
    clean = {
        "file": result(run_stance(*args, str(FIXTURES / name), "-o", str(tmp_path / "cfile.jsonl")), "cfile"),
        "stdin": result(run_stance(*args, "-", "-o", str(tmp_path / "cstdin.jsonl"), input=data.decode("utf-8")), "cstdin"),
    }
    assert clean["file"][0] in (0, 3)
    for jobs in ("1", "2"):
        piped = run_stance(*args, "-", "-o", str(tmp_path / f"stdin{jobs}.jsonl"), "--jobs", jobs, input="\ufeff" + data.decode("utf-8"))
        assert result(piped, f"stdin{jobs}") == clean["stdin"]
        filed = run_stance(*args, str(tmp_path / name), "-o", str(tmp_path / f"file{jobs}.jsonl"), "--jobs", jobs)
        assert result(filed, f"file{jobs}") == clean["file"]


@pytest.mark.parametrize("fmt", ["x-archive", "json"])
def test_a_format_forced_on_text_it_cannot_be_is_exit_2(tmp_path, toy_model_path, fmt):
    """--format x-archive on plain text once wrote an empty output and exited 0."""
    text = FIXTURES / "replies.txt"
    run = run_stance("label", str(text), "--format", fmt, "-m", str(toy_model_path), "-o", str(tmp_path / "out.jsonl"))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.startswith(f"Error: Cannot read '{text}': ")
    assert not list(tmp_path.iterdir())  # no output, no errors file, no partial files


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_kill_9_part_way_then_resume_gives_every_record_once_in_order(tmp_path, toy_model_path, jobs):
    n = 20_000
    data = write_dump(tmp_path / "in.jsonl", n, bad_every=1000)
    reference = tmp_path / "reference.jsonl"
    args = ["label", str(data), "-m", str(toy_model_path), "--chunk-size", "200", "--checkpoint-every", "0", "--jobs", jobs]
    out = tmp_path / "out.jsonl"
    process = subprocess.Popen([str(stance_command()), *args, "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = wait_for_progress(tmp_path / ".out.jsonl.progress.json", process, at_least=2000)
    process.send_signal(signal.SIGKILL)
    process.wait()
    # stderr ends when the last process holding it exits: workers die with the parent,
    # at once and silently, rather than labelling on into a broken pipe
    assert "Traceback" not in process.stderr.read().decode()
    assert done < n and not out.exists()

    again = run_stance(*args, "-o", str(out))
    assert again.returncode == 2 and "--resume" in again.stderr
    resumed = run_stance(*args, "-o", str(out), "--resume")
    assert resumed.returncode == 3, resumed.stderr
    assert "resumed after record" in resumed.stderr and f"Read {n} records" in resumed.stderr
    rows = read_jsonl(out)
    assert [r["n"] for r in rows] == [i for i in range(n) if i % 1000 != 999]  # each once, in order
    assert [e["line"] for e in read_jsonl(tmp_path / "out.errors.jsonl")] == list(range(1000, n + 1, 1000))

    assert run_stance(*args, "-o", str(reference)).returncode == 3
    assert out.read_bytes() == reference.read_bytes()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_says_how_to_resume(tmp_path, toy_model_path, jobs):
    n = 100_000  # enough that the run is still going when the signal arrives
    data = write_dump(tmp_path / "in.jsonl", n)
    out = tmp_path / "out.jsonl"
    process = subprocess.Popen(
        [str(stance_command()), "label", str(data), "-m", str(toy_model_path), "--chunk-size", "200", "--checkpoint-every", "0", "-o", str(out), "--jobs", jobs],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
        # A shell that runs the tests in the background ignores SIGINT, and children
        # inherit that; give the command the default Ctrl-C behaviour a terminal user has.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    wait_for_progress(tmp_path / ".out.jsonl.progress.json", process, at_least=1000)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal does: to the command and its workers
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and "--resume" in stderr and "Traceback" not in stderr and "ForkPoolWorker" not in stderr
    resumed = run_stance("label", str(data), "-m", str(toy_model_path), "--chunk-size", "200", "-o", str(out), "--resume", "--jobs", jobs)
    assert resumed.returncode == 0, resumed.stderr
    assert [r["n"] for r in read_jsonl(out)] == list(range(n))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_progress_bar_only_on_a_terminal(tmp_path, toy_model_path, jobs):
    import pexpect

    data = write_dump(tmp_path / "in.jsonl", 3000)
    child = pexpect.spawn(
        str(stance_command()), ["label", str(data), "-m", str(toy_model_path), "-o", str(tmp_path / "tty.jsonl"), "--chunk-size", "100", "--jobs", jobs],
        timeout=120, encoding="utf-8", dimensions=(24, 120),
    )
    child.expect(pexpect.EOF)
    child.close()
    assert "labelling" in child.before and "rows/s" in child.before and "100%" in child.before
    piped = run_stance("label", str(data), "-m", str(toy_model_path), "-o", str(tmp_path / "pipe.jsonl"))
    assert "labelling" not in piped.stderr and "\r" not in piped.stderr


def test_summarize_counts_shares_cis_and_plot(tmp_path, toy_model_path):
    labelled = tmp_path / "out.jsonl"
    assert run_stance("label", str(FIXTURES / "replies.jsonl"), "-m", str(toy_model_path), "-o", str(labelled)).returncode == 0
    text = run_stance("summarize", str(labelled))
    assert text.returncode == 0 and "3 labelled rows" in text.stdout and "95% CI" in text.stdout
    report = json.loads(run_stance("summarize", str(labelled), "--by", "created_at:day", "--json").stdout)
    assert report["n"] == 3 and sum(c["count"] for c in report["overall"].values()) == 3
    assert list(report["groups"]) == ["2024-05-01", "2024-05-02"]
    for cell in report["overall"].values():
        assert cell["ci95"][0] <= cell["share"] <= cell["ci95"][1]
    plot = tmp_path / "chart.png"
    drawn = run_stance("summarize", str(labelled), "--by", "author", "--plot", str(plot))
    assert drawn.returncode == 0, drawn.stderr
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    missing = run_stance("summarize", str(FIXTURES / "replies.jsonl"))
    assert missing.returncode == 2 and "no 'stance' field" in missing.stderr


def test_batch_size_is_the_deprecated_spelling_of_chunk_size(tmp_path, toy_model_path):
    data = write_dump(tmp_path / "in.jsonl", 30, bad_every=10)
    new = run_stance("label", str(data), "-m", str(toy_model_path), "-o", str(tmp_path / "new.jsonl"), "--chunk-size", "7")
    old = run_stance("label", str(data), "-m", str(toy_model_path), "-o", str(tmp_path / "old.jsonl"), "--batch-size", "7")
    assert (new.returncode, old.returncode) == (3, 3)
    assert "--batch-size is deprecated" in old.stderr and "--chunk-size" in old.stderr and "deprecated" not in new.stderr
    assert (tmp_path / "old.jsonl").read_bytes() == (tmp_path / "new.jsonl").read_bytes()
    assert "--batch-size" not in run_stance("label", "--help").stdout  # hidden: only --chunk-size is documented


def test_summarize_counts_and_reports_records_it_cannot_read(tmp_path, toy_model_path):
    """Nothing lost: once unreadable records were skipped without a word."""
    labelled = tmp_path / "out.jsonl"
    assert run_stance("label", str(FIXTURES / "replies.jsonl"), "-m", str(toy_model_path), "-o", str(labelled)).returncode == 0
    good = labelled.read_text(encoding="utf-8").splitlines()
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text("\n".join([good[0], "{broken", good[1], "[1, 2]", good[2]]) + "\n", encoding="utf-8")

    text = run_stance("summarize", str(damaged))
    assert text.returncode == 3, text.stderr
    assert "3 labelled rows" in text.stdout and "2 unreadable records were not counted" in text.stdout
    assert "2 records of" in text.stderr and "line 2: not valid JSON" in text.stderr and "line 4: a JSON list" in text.stderr

    as_json = run_stance("summarize", str(damaged), "--json")
    assert as_json.returncode == 3
    report = json.loads(as_json.stdout)
    assert report["n"] == 3 and report["rejected"] == 2
    assert [r["line"] for r in report["rejected_records"]] == [2, 4]

    clean = json.loads(run_stance("summarize", str(labelled), "--json").stdout)
    assert clean["rejected"] == 0 and clean["rejected_records"] == []
