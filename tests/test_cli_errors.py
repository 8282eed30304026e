"""Every command, given what a new user gets wrong, through the installed `stance` script.

The four mistakes: an input file that is not there, an input without the field the command
needs, an output folder that cannot be written, and an output folder that does not exist.
For each command that takes the input (or writes the output) the message must name the
file, say what is wrong and how to fix it, the exit status must be 2, there must be no
traceback, and nothing may be written: no output, no temporary file, no new folder.
`evaluate` and `agree` write no file, so the output cases do not apply to them.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import SEED_THREAD, run_stance

COMMANDS = ("label", "train", "evaluate", "agree", "summarize", "annotate", "suggest")
WRITERS = ("label", "train", "summarize", "annotate", "suggest")


def command(name: str, data: Path, out: Path) -> list[str]:
    """``stance NAME`` on ``data``, writing ``out`` when the command writes a file."""
    return {
        "label": ["label", str(data), "-o", str(out)],
        "train": ["train", str(data), "-o", str(out)],
        "evaluate": ["evaluate", str(data)],
        "agree": ["agree", str(data)],
        "summarize": ["summarize", str(data), "--field", "label", "--plot", str(out)],
        "annotate": ["annotate", str(data), "--annotator", "ana", "-o", str(out)],
        "suggest": ["suggest", str(data), "-o", str(out)],
    }[name]


def output_name(name: str) -> str:
    return {"train": "model.joblib", "summarize": "chart.png"}.get(name, "out.jsonl")


def files_in(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def fails(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


@pytest.fixture()
def seed(tmp_path: Path) -> Path:
    """The seed thread, with the `label` field every command can use."""
    path = tmp_path / "thread.jsonl"
    path.write_bytes(SEED_THREAD.read_bytes())
    return path


@pytest.fixture()
def unwritable(tmp_path: Path):
    """A folder nobody may create files in: read-only permissions, or for root (whom
    permissions do not stop) the immutable attribute."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
    if made.returncode != 0:
        pytest.skip("running as root on a file system without `chattr +i`: no folder is unwritable to root here")
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


@pytest.mark.parametrize("name", COMMANDS)
def test_a_missing_input_file_is_named_with_where_it_was_looked_for(name: str, tmp_path: Path) -> None:
    missing = tmp_path / "replies.jsonl"
    result = run_stance(*command(name, missing, tmp_path / output_name(name)), cwd=tmp_path)
    fails(result, f"Cannot read '{missing}': there is no such file in '{tmp_path}'", "Check the name, or give the full path")
    assert files_in(tmp_path) == set()


def test_a_mistyped_input_file_gets_the_names_close_to_it(seed: Path, tmp_path: Path) -> None:
    result = run_stance("label", "thraed.jsonl", "-o", "out.jsonl", cwd=tmp_path)
    fails(result, "Cannot read 'thraed.jsonl': there is no such file in the current folder", "names close to it there: 'thread.jsonl'")
    assert files_in(tmp_path) == {"thread.jsonl"}


@pytest.mark.parametrize(
    "name, fragments",
    [
        ("label", ["No record of '{data}' has the text field 'text'", "Fields in its records: body, id, label", "--text-field body", "no output was written"]),
        ("train", ["No row of '{data}' has the reply text field 'text'", "Fields in its rows: body, id, label", "--text-field body"]),
        ("evaluate", ["Row 1 of '{data}' has no 'stance' field", "Available fields: body, id, label", "--pred-field"]),
        ("agree", ["No field 'item' in '{data}'", "'body', 'id', 'label'", "--item-field"]),
        ("summarize", ["'{data}' has no 'stance' field in any row", "body, id, label", "--field"]),
        ("annotate", ["No field 'text' in '{data}'", "body, id, label", "--text-field"]),
        ("suggest", ["No field 'text' in '{data}'", "body, id, label", "--text-field"]),
    ],
)
def test_an_input_without_the_field_lists_the_fields_and_the_option(name: str, fragments: list[str], tmp_path: Path) -> None:
    data = tmp_path / "replies.csv"
    data.write_text("body,id,label\nGreat essay,1,supportive\nThis is wrong,2,critical\n", encoding="utf-8")
    args = command(name, data, tmp_path / output_name(name))
    if name == "summarize":
        args = ["summarize", str(data)]  # counts the `stance` field, which this file lacks
    result = run_stance(*args, cwd=tmp_path)
    fails(result, *(f.format(data=data) for f in fragments))
    assert files_in(tmp_path) == {"replies.csv"}


def test_label_lists_rows_without_the_field_when_other_rows_have_it(tmp_path: Path) -> None:
    """Some records with the field and some without: that is bad records, not a bad field
    name, so they are error records beside a labelled output (exit status 3)."""
    data = tmp_path / "mixed.jsonl"
    rows = [{"text": "Great essay"}, {"body": "no text here"}, {"text": "This is wrong"}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = run_stance("label", str(data), "-o", str(tmp_path / "out.jsonl"), cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 2
    errors = [json.loads(line) for line in (tmp_path / "out.errors.jsonl").read_text().splitlines()]
    assert [e["line"] for e in errors] == [2] and "--text-field" in errors[0]["reason"]


@pytest.mark.parametrize("name", WRITERS)
def test_an_unwritable_output_folder_is_named_not_a_temporary_file(name: str, seed: Path, unwritable: Path, tmp_path: Path) -> None:
    out = unwritable / output_name(name)
    result = run_stance(*command(name, seed, out), cwd=tmp_path)
    fails(result, f"Cannot write '{out}': ", f"the folder '{unwritable}'", "Choose a folder you can write to")
    assert ".tmp" not in result.stderr and ".partial" not in result.stderr and ".lock" not in result.stderr
    assert files_in(unwritable) == set()


@pytest.mark.parametrize("name", WRITERS)
def test_a_missing_output_folder_is_not_created(name: str, seed: Path, tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / output_name(name)
    result = run_stance(*command(name, seed, out), cwd=tmp_path)
    fails(result, f"Cannot write '{out}': the folder '{out.parent}' does not exist", f"mkdir -p {out.parent}")
    assert files_in(tmp_path) == {"thread.jsonl"}


def test_label_checks_the_folder_of_the_errors_file_too(seed: Path, tmp_path: Path) -> None:
    errors = tmp_path / "logs" / "errors.jsonl"
    result = run_stance("label", str(seed), "-o", str(tmp_path / "out.jsonl"), "--errors", str(errors), cwd=tmp_path)
    fails(result, f"Cannot write '{errors}': the folder '{errors.parent}' does not exist")
    assert files_in(tmp_path) == {"thread.jsonl"}


def test_train_writes_its_card_only_into_a_folder_that_exists(seed: Path, tmp_path: Path) -> None:
    card = tmp_path / "cards" / "model.md"
    result = run_stance("train", str(seed), "-o", str(tmp_path / "model.joblib"), "--card", str(card), cwd=tmp_path)
    fails(result, f"Cannot write '{card}': the folder '{card.parent}' does not exist")
    assert files_in(tmp_path) == {"thread.jsonl"}


@pytest.mark.parametrize("name", ("label", "train", "suggest"))
def test_a_spreadsheet_is_refused_with_the_way_to_csv_and_nothing_is_written(name: str, tmp_path: Path) -> None:
    import zipfile

    workbook = tmp_path / "replies.xlsx"
    with zipfile.ZipFile(workbook, "w") as archive:  # an .xlsx is a zip of XML parts
        archive.writestr("xl/workbook.xml", "<workbook/>")
    result = run_stance(*command(name, workbook, tmp_path / output_name(name)), cwd=tmp_path)
    fails(result, f"Cannot read '{workbook}': it is a spreadsheet workbook (Excel)", "Save the sheet as CSV (UTF-8)")
    assert files_in(tmp_path) == {"replies.xlsx"}
