"""`stance annotate`, driven the way a person drives it: keys typed into a terminal.

Each test spawns the installed command in a pseudo-terminal (pexpect), waits for what a
person would read, presses single keys, then checks the labels file on disk.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from stance.annotate import assign_keys, load_items, order_items

import pexpect

STANCE = str(Path(sys.executable).parent / "stance")
MENU = r"\[q\] quit"  # the last thing printed before the labeller waits for a key

REPLIES = [
    {"id": "a1", "text": "Great essay, I fully agree with this framing.", "context": "Open science beats consolidation."},
    {"id": "a2", "text": "This is naive and will fail.", "context": "Open science beats consolidation."},
    {"id": "a3", "text": "Anyone know a good pizza place in Berkeley?"},
    {"id": "a4", "text": "Exactly right, thank you for writing it."},
    {"id": "a5", "text": "Who decides what counts as safe, then?"},
    {"id": "a6", "text": "cc @someone"},
]


@pytest.fixture()
def dump(tmp_path: Path) -> Path:
    path = tmp_path / "dump.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in REPLIES))
    return path


def spawn(*args: str, cwd: Path) -> "pexpect.spawn":
    env = dict(os.environ, COLUMNS="100", LINES="40")
    child = pexpect.spawn(STANCE, ["annotate", *args], cwd=str(cwd), env=env, encoding="utf-8", timeout=30, dimensions=(40, 100))
    child.screen = []  # everything the person saw, for "never shown" checks
    return child


def show(child: "pexpect.spawn", item: str) -> str:
    """Wait until ``item`` is on screen and the labeller waits for a key; return the screen."""
    child.expect(rf"item {item}\b")
    child.screen.append(item)
    child.expect(MENU)
    return child.before


def press(child: "pexpect.spawn", key: str, then: str) -> None:
    child.send(key)
    child.expect(then)


def finish(child: "pexpect.spawn") -> str:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return child.before


def records(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def answers(path: Path, annotator: str = "alice") -> dict[str, str]:
    return {r["item"]: r["label"] for r in records(path) if r["annotator"] == annotator}


def test_label_undo_skip_quit_then_restart_continues(dump: Path, tmp_path: Path) -> None:
    out = tmp_path / "labels.jsonl"
    child = spawn(str(dump), "--annotator", "alice", "-o", str(out), cwd=tmp_path)
    screen = show(child, "a1")
    assert "In reply to:" in screen and "Open science beats consolidation." in screen
    assert screen.index("Open science") < screen.index("Great essay, I fully agree")
    press(child, "s", r"supportive \(saved\)")
    # Saved before the next reply is even shown.
    assert answers(out) == {"a1": "supportive"}
    show(child, "a2")
    press(child, "c", r"critical \(saved\)")
    assert "In reply to" not in show(child, "a3")  # a3 has no context
    press(child, "u", "undid the label of item a2")
    assert answers(out) == {"a1": "supportive"}
    show(child, "a2")
    press(child, "o", r"off-topic \(saved\)")
    show(child, "a3")
    press(child, "k", "skipped")
    show(child, "a4")
    press(child, "x", "Unknown key x")
    show(child, "a4")
    press(child, "S", r"supportive \(saved\)")  # upper case works too
    show(child, "a5")
    child.send("q")
    tail = finish(child)
    assert "Saved 3 label(s)" in tail and "1 undone" in tail and "1 skipped" in tail

    rows = records(out)
    assert [(r["item"], r["label"]) for r in rows] == [("a1", "supportive"), ("a2", "off-topic"), ("a4", "supportive")]
    for row in rows:
        assert set(row) == {"item", "annotator", "label", "text", "ts"}
        assert row["annotator"] == "alice"
        assert row["text"] == next(r["text"] for r in REPLIES if r["id"] == row["item"])

    # Restart: the skipped item comes back, labelled ones never do.
    child = spawn(str(dump), "--annotator", "alice", "-o", str(out), cwd=tmp_path)
    show(child, "a3")
    press(child, "c", "saved")
    show(child, "a5")
    press(child, "c", "saved")
    show(child, "a6")
    press(child, "o", "saved")
    tail = finish(child)
    assert "All items are labelled" in tail
    assert child.screen == ["a3", "a5", "a6"]
    assert answers(out) == {"a1": "supportive", "a2": "off-topic", "a3": "critical", "a4": "supportive", "a5": "critical", "a6": "off-topic"}

    # A third run has nothing left to show.
    child = spawn(str(dump), "--annotator", "alice", "-o", str(out), cwd=tmp_path)
    tail = finish(child)
    assert "All items are labelled" in tail and "item a" not in tail


def test_kill_mid_session_loses_nothing_answered(dump: Path, tmp_path: Path) -> None:
    out = tmp_path / "labels.jsonl"
    child = spawn(str(dump), "--annotator", "alice", "-o", str(out), cwd=tmp_path)
    for item, key in [("a1", "s"), ("a2", "c"), ("a3", "o")]:
        show(child, item)
        press(child, key, "saved")
    show(child, "a4")
    child.kill(signal.SIGKILL)
    child.close(force=True)
    assert answers(out) == {"a1": "supportive", "a2": "critical", "a3": "off-topic"}
    assert out.read_bytes().endswith(b"\n")

    # A write torn by a crash is reported with its line number and removed, never glued
    # to the next answer; its item is asked again.
    with open(out, "ab") as handle:
        handle.write(b'{"item": "a4", "annot')
    child = spawn(str(dump), "--annotator", "alice", "-o", str(out), cwd=tmp_path)
    child.expect(r"line 4 is incomplete \(21 bytes without a line end")
    child.expect("answer it again")
    show(child, "a4")
    press(child, "s", "saved")
    show(child, "a5")
    child.send("q")
    finish(child)
    assert answers(out) == {"a1": "supportive", "a2": "critical", "a3": "off-topic", "a4": "supportive"}
    assert all(line.endswith(b"}") for line in out.read_bytes().splitlines())


def test_kill_9_between_answers_then_restart_asks_only_the_unanswered(dump: Path, tmp_path: Path) -> None:
    out = tmp_path / "labels.jsonl"
    for answered, key, following in [("a1", "s", "a2"), ("a2", "c", "a3")]:
        child = spawn(str(dump), "--annotator", "alice", "-o", str(out), cwd=tmp_path)
        show(child, answered)
        press(child, key, "saved")
        show(child, following)  # the next reply is on screen: between answers
        child.kill(signal.SIGKILL)
        child.close(force=True)
    assert answers(out) == {"a1": "supportive", "a2": "critical"}
    child = spawn(str(dump), "--annotator", "alice", "-o", str(out), cwd=tmp_path)
    assert "incomplete" not in show(child, "a3")
    child.send("q")
    finish(child)


def test_a_whole_last_answer_without_a_line_end_is_kept(dump: Path, tmp_path: Path) -> None:
    out = tmp_path / "labels.jsonl"
    out.write_bytes(b'{"item": "a1", "annotator": "alice", "label": "critical"}')  # saved by an editor
    child = spawn(str(dump), "--annotator", "alice", "-o", str(out), cwd=tmp_path)
    child.expect(r"line 1 had no line end")
    show(child, "a2")
    press(child, "s", "saved")
    show(child, "a3")
    child.send("q")
    finish(child)
    assert answers(out) == {"a1": "critical", "a2": "supportive"}


def test_an_answer_that_does_not_fit_on_disk_is_not_half_written(dump: Path, tmp_path: Path) -> None:
    """A write cut short by the file-size limit (as by a full disk) leaves the file as it
    was, and says so; nothing torn is left for the next session."""
    out = tmp_path / "labels.jsonl"
    out.write_bytes(b'{"item": "a1", "annotator": "alice", "label": "critical"}\n')
    limit = out.stat().st_size + 40  # room for part of the next answer, not all of it
    script = (
        "import resource, sys\n"
        "from stance.annotate import LabelFile, load_items\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
        f"item = load_items({str(dump)!r})[1]\n"
        f"LabelFile({str(out)!r}, 'alice').append(item, 'supportive')\n"
    )
    before = out.read_bytes()
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "OutputError: Cannot save the answer for item 'a2'" in run.stderr
    assert "file-size limit" in run.stderr and "nothing of this one" in run.stderr
    assert out.read_bytes() == before


def test_two_annotators_share_one_file(dump: Path, tmp_path: Path) -> None:
    out = tmp_path / "labels.jsonl"
    alice = spawn(str(dump), "--annotator", "alice", "-o", str(out), cwd=tmp_path)
    bob = spawn(str(dump), "--annotator", "bob", "-o", str(out), cwd=tmp_path)
    show(alice, "a1")
    show(bob, "a1")
    press(alice, "s", "saved")
    press(bob, "c", "saved")
    show(alice, "a2")
    show(bob, "a2")
    press(bob, "o", "saved")
    press(alice, "c", "saved")
    show(bob, "a3")
    press(bob, "u", "undid")  # bob's undo rewrites the file; alice's answers must survive
    show(alice, "a3")
    press(alice, "o", "saved")
    show(bob, "a2")
    bob.send("q")
    alice.send("q")
    finish(bob)
    finish(alice)
    assert answers(out, "alice") == {"a1": "supportive", "a2": "critical", "a3": "off-topic"}
    assert answers(out, "bob") == {"a1": "critical"}
    # Long format, ready for `stance agree`: one row per (item, annotator).
    pairs = [(r["item"], r["annotator"]) for r in records(out)]
    assert len(pairs) == len(set(pairs)) == 4


def test_custom_labels_and_a_queue(dump: Path, tmp_path: Path) -> None:
    queue = tmp_path / "next.jsonl"  # the shape `stance suggest` writes
    queue.write_bytes(b'{"item": "a5", "rank": 1, "score": 0.9}\n{"item": "a2", "rank": 2, "score": 0.8}\n')
    out = tmp_path / "labels.jsonl"
    child = spawn(
        str(dump), "--annotator", "carol", "-o", str(out), "--labels", "favor,against,neutral,none", "--queue", str(queue),
        cwd=tmp_path,
    )
    screen = show(child, "a5")
    assert "[f] favor  [a] against  [n] neutral  [o] none" in screen
    press(child, "o", r"none \(saved\)")
    show(child, "a2")
    press(child, "n", r"neutral \(saved\)")
    tail = finish(child)
    assert "All items are labelled" in tail
    assert child.screen == ["a5", "a2"]
    assert list(answers(out, "carol").items()) == [("a5", "none"), ("a2", "neutral")]


def test_queue_items_must_be_in_the_dump(dump: Path) -> None:
    items = load_items(dump)
    with pytest.raises(ValueError, match="names 1 items that are not in the dump: 'zzz'"):
        order_items(items, ["a1", "zzz"], queue_path="next.jsonl")


def test_load_items_lists_repeated_ids(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"id": "x", "text": "a"}\n{"id": "y", "text": "b"}\n{"id": "x", "text": "c"}\n')
    with pytest.raises(ValueError, match=r"'x' \(records 1 and 3\)"):
        load_items(path)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["supportive", "critical", "off-topic"], {"s": "supportive", "c": "critical", "o": "off-topic"}),
        (["keep", "quit", "undo"], {"e": "keep", "i": "quit", "n": "undo"}),  # never u/k/q
        (["a", "b", "aa"], {"a": "a", "b": "b", "1": "aa"}),
    ],
)
def test_assign_keys(labels: list[str], expected: dict[str, str]) -> None:
    assert assign_keys(labels) == expected


def test_assign_keys_rejects_duplicates() -> None:
    with pytest.raises(ValueError, match="more than once"):
        assign_keys(["yes", "no", "yes"])


def test_an_undo_that_does_not_fit_on_disk_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "labels.jsonl"
    out.write_bytes(
        b'{"item": "a1", "annotator": "alice", "label": "critical"}\n'
        b'{"item": "a2", "annotator": "alice", "label": "supportive"}\n'
    )
    script = (
        "import resource\n"
        "from stance.annotate import LabelFile\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20, 20))\n"  # less than the copy without a2
        f"LabelFile({str(out)!r}, 'alice').remove_last('a2')\n"
    )
    before = out.read_bytes()
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "OutputError: Cannot undo in labels file" in run.stderr
    assert "the answer for item 'a2' is still in it" in run.stderr
    assert out.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["labels.jsonl"]
