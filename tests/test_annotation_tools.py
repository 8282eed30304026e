"""Annotation-tool exports (Label Studio, Prodigy, doccano) in `stance train`, `evaluate`
and `agree`, and the tasks `stance label` and `stance suggest` write for those tools.

The fixtures follow each tool's export schema: several annotators on one task, a
cancelled Label Studio annotation, a task nobody annotated, ignored and rejected Prodigy
answers, an unlabelled doccano row.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import TOY_ROWS

from stance.cli import main
from stance.read import detect_format, read_rows

FIXTURES = Path(__file__).parent / "fixtures" / "annotation_tools"
LABELS = ["critical", "off-topic", "supportive"]

# fixture -> (detected format, ratings used, rows skipped by why)
EXPORTS = {
    "label_studio.json": ("label-studio", 20, {"cancelled": 1, "unannotated": 1}),
    "label_studio_min.json": ("label-studio-min", 20, {}),
    "label_studio.csv": ("label-studio-csv", 20, {}),
    "prodigy_choice.jsonl": ("prodigy", 20, {"ignored": 1, "rejected": 1}),
    "prodigy_binary.jsonl": ("prodigy", 12, {"ignored": 1, "rejected": 1}),
    "doccano.jsonl": ("doccano", 12, {"unannotated": 1}),
}


def stance(*args: object) -> object:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result


def failed(result: object, *needles: str) -> str:
    """The error message of a run that must fail with a clear message (exit 2), not a traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, result.output
    return result.output


def jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


# --- detection and reading -------------------------------------------------------------


@pytest.mark.parametrize("name", EXPORTS)
def test_exports_are_detected_and_read_as_ratings(name):
    fmt, used, skipped = EXPORTS[name]
    assert detect_format(FIXTURES / name) == fmt
    counts: Counter[str] = Counter()
    rows = read_rows(FIXTURES / name, skipped=counts)
    assert len(rows) == used
    assert dict(counts) == skipped
    assert {row["label"] for row in rows} == set(LABELS)
    assert all(isinstance(row["text"], str) and row["text"] for row in rows)


def test_label_studio_annotators_are_users_or_emails():
    rows = read_rows(FIXTURES / "label_studio.json", skipped=Counter())
    first_task = [row for row in rows if row["item"] == 1]
    assert [row["annotator"] for row in first_task] == ["1", "bea@example.org"]
    assert first_task[0]["data"]["post"].startswith("Essay")  # the task's data stays reachable
    assert all(row["prediction"] in LABELS for row in rows)


def test_label_studio_tasks_are_not_x_api_pages(tmp_path):
    """A Label Studio task has a top-level "data" (and "meta"), as X API pages do."""
    tasks = [{"id": 7, "data": {"text": "Terrible idea, a waste of time"}, "meta": {}, "created_at": "2026-11-29T09:00:00Z"},
             {"id": 8, "data": {"text": "So true, an important read"}, "meta": {}}]
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    assert detect_format(path) == "label-studio"


def test_stance_label_keeps_label_studio_ids_and_annotations(tmp_path, toy_model_path):
    out = tmp_path / "labelled.jsonl"
    result = stance("label", FIXTURES / "label_studio.json", "-m", toy_model_path, "-o", out, "-q")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["id"] for row in rows] == list(range(1, 14))  # one row per task
    assert len(rows[0]["annotations"]) == 2
    assert all(row["stance"] in LABELS for row in rows)


def test_label_studio_labelled_into_jsonl_reads_back_with_the_model_label(tmp_path, toy_model_path):
    out = tmp_path / "labelled.jsonl"
    assert stance("label", FIXTURES / "label_studio.json", "-m", toy_model_path, "-o", out, "-q").exit_code == 0
    assert detect_format(out) == "label-studio"
    report = stance("evaluate", out, "--json")  # gold: the annotations; predicted: `stance`, beside the task's data
    assert report.exit_code == 0, report.output
    assert json.loads(report.output[report.output.index("{"):])["n"] == 20


def test_prodigy_accept_may_be_one_option_id(tmp_path):
    lines = [json.loads(line) for line in (FIXTURES / "prodigy_choice.jsonl").read_text().splitlines()]
    lines[0]["accept"] = "critical"  # not a list: still one accepted option
    rows = read_rows(jsonl(tmp_path / "p.jsonl", lines), skipped=Counter())
    assert rows[0]["label"] == "critical"


@pytest.mark.parametrize(
    ("name", "fmt"), [("label_studio_min.json", "label-studio-min"), ("doccano.jsonl", "doccano"), ("prodigy_choice.jsonl", "prodigy")]
)
def test_format_can_be_forced(tmp_path, name, fmt):
    renamed = tmp_path / "export.data"  # nothing in the name to go by
    renamed.write_bytes((FIXTURES / name).read_bytes())
    result = stance("train", renamed, "-o", tmp_path / "m.stance", "--prior", "none", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert f"Trained on {EXPORTS[name][1]} rows" in result.output


def test_forcing_the_wrong_tool_is_a_clear_error(tmp_path):
    failed(stance("train", FIXTURES / "doccano.jsonl", "-o", tmp_path / "m.stance", "--prior", "none", "--format", "prodigy"), "line 1", "answer")
    failed(stance("train", FIXTURES / "doccano.jsonl", "-o", tmp_path / "m.stance", "--prior", "none", "--format", "label-studio"), "line 1", "needs a 'data' object")


# --- train ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXPORTS)
def test_train_on_each_export(tmp_path, name):
    _, used, skipped = EXPORTS[name]
    model = tmp_path / "m.stance"
    result = stance("train", FIXTURES / name, "-o", model, "--prior", "none")
    assert result.exit_code == 0, result.output
    assert f"Trained on {used} rows" in result.output
    if skipped:  # no row lost silently: the rest are counted, by why
        assert f"{used} rating(s) used" in result.output
        for why, n in skipped.items():
            assert f"{n} {'task(s) without annotations' if why == 'unannotated' else why}" in result.output
    else:
        assert "not used" not in result.output
    assert model.exists()


def test_train_on_nested_fields(tmp_path):
    data = jsonl(tmp_path / "nested.jsonl", [{"reply": {"body": r["text"]}, "gold": {"label": r["label"]}} for r in TOY_ROWS])
    result = stance("train", data, "-o", tmp_path / "m.stance", "--prior", "none", "--text-field", "reply.body", "--label-field", "gold.label")
    assert result.exit_code == 0, result.output
    assert f"Trained on {len(TOY_ROWS)} rows (critical 4, off-topic 4, supportive 4)" in result.output


def test_evaluate_and_agree_on_nested_fields(tmp_path):
    rows = [{"gold": {"label": r["label"]}, "model": {"label": [r["label"] if i else "off-topic"]}, "who": {"name": "ana"}, "task": {"id": i}}
            for i, r in enumerate(TOY_ROWS)]
    path = jsonl(tmp_path / "nested.jsonl", rows)
    report = stance("evaluate", path, "--gold-field", "gold.label", "--pred-field", "model.label", "--json")
    assert report.exit_code == 0, report.output
    assert json.loads(report.output)["accuracy"] == pytest.approx(11 / 12)  # the first row is wrong
    other = jsonl(tmp_path / "other.jsonl", [dict(row, who={"name": "bea"}) for row in rows])
    agreement = _agreement(path, other, "--item-field", "task.id", "--annotator-field", "who.name", "--label-field", "gold.label")
    assert agreement["n_items"] == 12 and agreement["percent_agreement"]["value"] == 1.0


def test_train_on_label_studio_data_path(tmp_path):
    tasks = json.loads((FIXTURES / "label_studio.json").read_text())
    for task in tasks:  # a project whose text is not called "text"
        task["data"] = {"reply": task["data"].pop("text")}
    path = tmp_path / "reply.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    failed(stance("train", path, "-o", tmp_path / "m.stance", "--prior", "none"), "--text-field", "reply")
    result = stance("train", path, "-o", tmp_path / "m.stance", "--prior", "none", "--text-field", "data.reply")
    assert result.exit_code == 0, result.output
    assert "Trained on 20 rows" in result.output


def test_one_element_label_lists_are_unwrapped_in_generic_files(tmp_path):
    path = tmp_path / "rows.json"  # a JSON array, so read as generic rows
    path.write_text(json.dumps([{"text": r["text"], "label": [r["label"]]} for r in TOY_ROWS]), encoding="utf-8")
    assert detect_format(path) == "json"
    result = stance("train", path, "-o", tmp_path / "m.stance", "--prior", "none")
    assert result.exit_code == 0, result.output
    assert "critical 4, off-topic 4, supportive 4" in result.output
    rows = json.loads(path.read_text())
    rows[4]["label"] = ["critical", "supportive"]
    path.write_text(json.dumps(rows), encoding="utf-8")
    failed(stance("train", path, "-o", tmp_path / "m2.stance", "--prior", "none"), "line 5", "2 labels (critical, supportive)")


# --- several labels on one item, and other bad exports ------------------------------------


def _several_label_studio(tmp_path):
    tasks = json.loads((FIXTURES / "label_studio.json").read_text())
    tasks[2]["annotations"][0]["result"][0]["value"]["choices"] = ["critical", "supportive"]
    path = tmp_path / "ls.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return path, "line 3"


def _several_label_studio_min(tmp_path):
    rows = json.loads((FIXTURES / "label_studio_min.json").read_text())
    rows[3]["sentiment"] = {"choices": ["critical", "supportive"]}
    path = tmp_path / "min.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path, "line 4"


def _several_prodigy(tmp_path):
    lines = (FIXTURES / "prodigy_choice.jsonl").read_text().splitlines()
    task = json.loads(lines[1])
    task["accept"] = ["critical", "supportive"]
    lines[1] = json.dumps(task)
    path = tmp_path / "prodigy.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, "line 2"


def _several_doccano(tmp_path):
    rows = [json.loads(line) for line in (FIXTURES / "doccano.jsonl").read_text().splitlines()]
    rows[5]["label"] = ["critical", "supportive"]
    return jsonl(tmp_path / "doccano.jsonl", rows), "line 6"


@pytest.mark.parametrize("make", [_several_label_studio, _several_label_studio_min, _several_prodigy, _several_doccano])
@pytest.mark.parametrize("command", ["train", "agree", "evaluate"])
def test_several_labels_on_one_item_is_an_error_naming_the_line(tmp_path, make, command):
    path, line = make(tmp_path)
    args = {
        "train": ("train", path, "-o", tmp_path / "m.stance", "--prior", "none"),
        "agree": ("agree", path, "--n-boot", "0", *(("--on", "id") if make is _several_doccano else ())),  # doccano: one file per annotator
        "evaluate": ("evaluate", path, "--pred-field", "label"),
    }[command]
    failed(stance(*args), line, "2 labels (critical, supportive)", "single-choice")


def test_an_export_without_ratings_says_why(tmp_path):
    lines = [json.loads(line) for line in (FIXTURES / "prodigy_choice.jsonl").read_text().splitlines()]
    for line in lines:
        line["answer"] = "ignore"
    path = jsonl(tmp_path / "ignored.jsonl", lines)
    failed(stance("train", path, "-o", tmp_path / "m.stance", "--prior", "none"), "no rating to use", "22 ignored answer(s)")


def test_bad_prodigy_and_doccano_records(tmp_path):
    lines = [json.loads(line) for line in (FIXTURES / "prodigy_choice.jsonl").read_text().splitlines()]
    lines[0]["accept"] = ["angry"]
    failed(stance("train", jsonl(tmp_path / "p1.jsonl", lines), "-o", tmp_path / "m", "--prior", "none"), "line 1", "'angry' is not one of the task's options")
    lines[0]["accept"], lines[0]["answer"] = ["supportive"], "maybe"
    failed(stance("agree", jsonl(tmp_path / "p2.jsonl", lines), "--n-boot", "0"), "line 1", "'maybe' is not accept, reject or ignore")
    spans = [{"id": 1, "text": "Terrible idea", "label": [[0, 8, "critical"]]}, {"id": 2, "text": "So true", "label": [[0, 7, "supportive"]]}]
    failed(stance("train", jsonl(tmp_path / "spans.jsonl", spans), "-o", tmp_path / "m", "--prior", "none", "--format", "doccano"), "line 1", "text classification")


def test_cancelled_annotations_are_not_ratings():
    rows = read_rows(FIXTURES / "label_studio.json", skipped=Counter())
    assert "3" not in {row["annotator"] for row in rows}  # user 3 only cancelled


# --- evaluate ---------------------------------------------------------------------------


def test_evaluate_label_studio_predictions_against_annotations():
    result = stance("evaluate", FIXTURES / "label_studio.json", "--pred-field", "prediction", "--json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output[result.output.index("{"):])
    assert scores["n"] == 20
    # the prediction for task 4 is wrong for both annotators, and for task 6 it is wrong for bea
    assert scores["accuracy"] == pytest.approx(17 / 20)


@pytest.mark.parametrize("name", ["label_studio_min.json", "label_studio.csv", "prodigy_choice.jsonl", "prodigy_binary.jsonl", "doccano.jsonl"])
def test_evaluate_a_labelled_export(tmp_path, toy_model_path, name):
    """Label an export with `stance label`, then score the model against its own labels."""
    out = tmp_path / "labelled.jsonl"
    result = stance("label", FIXTURES / name, "-m", toy_model_path, "-o", out, "-q")
    assert result.exit_code == 0, result.output
    fmt = "label-studio-min" if name == "label_studio.csv" else EXPORTS[name][0]  # labelled into JSONL: min rows
    assert detect_format(out) == fmt
    report = stance("evaluate", out, "--format", fmt, "--json")
    assert report.exit_code == 0, report.output
    scores = json.loads(report.output[report.output.index("{"):])
    assert scores["n"] == EXPORTS[name][1]
    assert 0.5 <= scores["accuracy"] <= 1.0


def test_evaluate_doccano_detected_after_labelling(tmp_path, toy_model_path):
    out = tmp_path / "labelled.jsonl"
    assert stance("label", FIXTURES / "doccano.jsonl", "-m", toy_model_path, "-o", out, "-q").exit_code == 0
    report = stance("evaluate", out)  # still doccano: the label lists are unwrapped, the unlabelled row skipped
    assert report.exit_code == 0, report.output
    assert "12 rating(s) used" in report.output and "1 task(s) without annotations" in report.output


# --- agree ------------------------------------------------------------------------------


def _agreement(*args: object) -> dict:
    result = stance("agree", *args, "--n-boot", "0", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output[result.output.index("{"):])


@pytest.mark.parametrize("name", ["label_studio.json", "label_studio_min.json", "label_studio.csv", "prodigy_choice.jsonl"])
def test_agree_on_several_annotators_in_one_export(name):
    report = _agreement(FIXTURES / name)
    assert (report["n_items"], report["n_annotators"], report["n_ratings"]) == (12, 2, 20)
    # the two annotators share 8 tasks and differ on task 6 only
    assert report["percent_agreement"]["value"] == pytest.approx(7 / 8)
    assert [d["item"] for d in report["disagreements"]] in (["6"], [6], ["1006"], [1006])


def test_agree_reports_skipped_annotations():
    result = stance("agree", FIXTURES / "label_studio.json", "--n-boot", "0")
    assert result.exit_code == 0, result.output
    assert "1 cancelled annotation(s)" in result.output and "1 task(s) without annotations" in result.output


def test_agree_on_doccano_files_one_per_annotator(tmp_path):
    rows = [json.loads(line) for line in (FIXTURES / "doccano.jsonl").read_text().splitlines()]
    jsonl(tmp_path / "ana.jsonl", rows)
    other = [dict(row, label=["critical"]) if row["id"] in (1, 2) else row for row in rows]
    jsonl(tmp_path / "bea.jsonl", other)
    report = _agreement(tmp_path / "ana.jsonl", tmp_path / "bea.jsonl", "--on", "id")
    assert [(pair["a"], pair["b"]) for pair in report["pairwise_cohen_kappa"]] == [("ana", "bea")]
    assert report["n_items"] == 12
    assert report["percent_agreement"]["value"] == pytest.approx(10 / 12)


# --- tasks for the tools, and back ------------------------------------------------------


def _accept_label_studio_predictions(path: Path, annotator: int) -> list[dict]:
    """What Label Studio exports once an annotator submits each pre-annotated task as is."""
    tasks = json.loads(path.read_text())
    for number, task in enumerate(tasks, start=1):
        task["id"] = task.get("id", number)
        task["annotations"] = [{"id": number, "completed_by": annotator, "was_cancelled": False, "result": task["predictions"][0]["result"]}]
    return tasks


def test_label_to_label_studio_round_trip(tmp_path, toy_model_path):
    out = tmp_path / "tasks.json"
    result = stance("label", FIXTURES / "doccano.jsonl", "-m", toy_model_path, "-o", out, "--to", "label-studio", "-q")
    assert result.exit_code == 0, result.output
    tasks = json.loads(out.read_text())
    assert len(tasks) == 13
    prediction = tasks[0]["predictions"][0]
    assert prediction["result"][0] == {"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": [prediction["result"][0]["value"]["choices"][0]]}}
    assert prediction["result"][0]["value"]["choices"][0] in LABELS and 0 < prediction["score"] <= 1
    assert tasks[0]["data"]["text"] == TOY_ROWS[0]["text"] and "stance" not in tasks[0]["data"]
    assert detect_format(out) == "label-studio"
    failed(stance("train", out, "-o", tmp_path / "m.stance", "--prior", "none"), "no rating to use", "13 task(s) without annotations")

    annotated = tmp_path / "annotated.json"
    annotated.write_text(json.dumps(_accept_label_studio_predictions(out, annotator=5)), encoding="utf-8")
    rows = read_rows(annotated, skipped=Counter())
    assert [row["label"] for row in rows] == [task["predictions"][0]["result"][0]["value"]["choices"][0] for task in tasks]
    trained = stance("train", annotated, "-o", tmp_path / "m.stance", "--prior", "none")
    assert trained.exit_code == 0 and "Trained on 13 rows" in trained.output, trained.output


def test_label_studio_export_labelled_again_keeps_its_annotations(tmp_path, toy_model_path):
    out = tmp_path / "with_predictions.json"
    assert stance("label", FIXTURES / "label_studio.json", "-m", toy_model_path, "-o", out, "--to", "label-studio", "-q").exit_code == 0
    tasks = json.loads(out.read_text())
    assert [task["id"] for task in tasks] == list(range(1, 14))
    assert [len(task["annotations"]) for task in tasks[:3]] == [2, 2, 3]  # the cancelled one too
    assert all(task["predictions"][0]["model_version"].startswith("stance ") for task in tasks)
    report = stance("evaluate", out, "--pred-field", "prediction", "--json")  # the model against the annotators
    assert report.exit_code == 0, report.output
    assert json.loads(report.output[report.output.index("{"):])["n"] == 20


def test_label_to_prodigy_round_trip(tmp_path, toy_model_path):
    out = tmp_path / "tasks.jsonl"
    result = stance("label", FIXTURES / "label_studio.json", "-m", toy_model_path, "-o", out, "--to", "prodigy", "-q")
    assert result.exit_code == 0, result.output
    tasks = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(tasks) == 13
    assert [option["id"] for option in tasks[0]["options"]] == LABELS
    assert tasks[0]["text"] == TOY_ROWS[0]["text"]
    assert tasks[0]["accept"] == [tasks[0]["meta"]["stance"]] and 0 < tasks[0]["meta"]["probability"] <= 1
    assert tasks[0]["meta"]["id"] == 1
    # what `prodigy db-out` gives once two annotators accept the pre-selected choices
    answers = [dict(task, answer="accept", _annotator_id=who, _input_hash=n) for who in ("a", "b") for n, task in enumerate(tasks)]
    annotated = jsonl(tmp_path / "db-out.jsonl", answers)
    assert detect_format(annotated) == "prodigy"
    trained = stance("train", annotated, "-o", tmp_path / "m.stance", "--prior", "none")
    assert trained.exit_code == 0 and "Trained on 26 rows" in trained.output, trained.output
    report = _agreement(annotated)
    assert report["n_items"] == 13 and report["percent_agreement"]["value"] == 1.0


@pytest.mark.parametrize("to", ["label-studio", "prodigy"])
def test_suggest_writes_tasks_that_read_back(tmp_path, toy_model_path, to):
    out = tmp_path / ("suggested.json" if to == "label-studio" else "suggested.jsonl")
    result = stance("suggest", FIXTURES / "doccano.jsonl", "-m", toy_model_path, "-n", "4", "-o", out, "--to", to)
    assert result.exit_code == 0, result.output
    assert "pre-selected" in result.output
    if to == "label-studio":
        tasks = json.loads(out.read_text())
        assert len(tasks) == 4 and [task["data"]["rank"] for task in tasks] == [1, 2, 3, 4]
        annotated = tmp_path / "annotated.json"
        annotated.write_text(json.dumps(_accept_label_studio_predictions(out, annotator=2)), encoding="utf-8")
    else:
        tasks = [json.loads(line) for line in out.read_text().splitlines()]
        assert len(tasks) == 4 and all(task["accept"][0] in LABELS for task in tasks)
        annotated = jsonl(tmp_path / "annotated.jsonl", [dict(task, answer="accept", _annotator_id="a") for task in tasks])
    rows = read_rows(annotated, skipped=Counter())
    assert len(rows) == 4 and all(row["label"] in LABELS and row["text"] for row in rows)
    assert stance("suggest", FIXTURES / "doccano.jsonl", "-m", toy_model_path, "-o", out, "--to", to).exit_code == 2  # exists: --force
