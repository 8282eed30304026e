"""The installed `stance` command, driven the way a user drives it."""

from __future__ import annotations

import json

import pytest

from conftest import TWEETEVAL, run_stance

import stance


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [[], ["train"], ["label"], ["evaluate"]])
def test_help_documents_commands(command):
    result = run_stance(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: stance" in result.stdout
    assert "Options" in result.stdout


def test_train_label_evaluate_round_trip(tmp_path, toy_rows):
    data = write_jsonl(tmp_path / "train.jsonl", [{"body": r["text"], "gold": r["label"]} for r in toy_rows])
    model = tmp_path / "model.joblib"
    card = tmp_path / "model.md"
    trained = run_stance(
        "train", str(data), "-o", str(model), "--text-field", "body", "--label-field", "gold", "--cv", "2", "--cv-repeats", "1", "--card", str(card)
    )
    assert trained.returncode == 0, trained.stderr
    assert "Cross-validation" in trained.stderr and "macro-F1" in trained.stderr
    C = stance.load_model(model).metadata["chosen_C"]
    assert f"Started from the prior; how far these labels moved it: C = {C:g}" in trained.stderr
    assert f"logistic regression centred on the prior model 'default', C = {C:g}" in card.read_text()
    assert stance.load_model(model).labels == ["critical", "off-topic", "supportive"]

    refused = run_stance("train", str(data), "-o", str(model), "--text-field", "body", "--label-field", "gold")
    assert refused.returncode == 2 and "--force" in refused.stderr

    labelled = tmp_path / "out.jsonl"
    result = run_stance("label", str(data), "--model", str(model), "-o", str(labelled), "--text-field", "body")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in labelled.read_text().splitlines()]
    assert len(rows) == len(toy_rows)
    assert all(set(r) >= {"body", "gold", "stance", "stance_proba"} for r in rows)
    assert all(abs(sum(r["stance_proba"].values()) - 1) < 1e-3 for r in rows)

    report = run_stance("evaluate", str(labelled), "--gold-field", "gold", "--json")
    assert report.returncode == 0, report.stderr
    scores = json.loads(report.stdout)
    assert scores["n"] == len(toy_rows)
    assert set(scores) >= {"accuracy", "macro_f1", "per_label", "cohen_kappa", "confusion"}
    text = run_stance("evaluate", str(labelled), "--gold-field", "gold")
    assert "macro-F1" in text.stdout and "confusion" in text.stdout


def test_csv_in_and_out(tmp_path, toy_rows, toy_model_path):
    data = tmp_path / "replies.csv"
    data.write_text("id,text\n" + "".join(f'{i},"{r["text"]}"\n' for i, r in enumerate(toy_rows)), encoding="utf-8")
    out = tmp_path / "out.csv"
    result = run_stance("label", str(data), "--model", str(toy_model_path), "-o", str(out))
    assert result.returncode == 0, result.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("id,text,stance,stance_proba")
    assert len(lines) == len(toy_rows) + 1


def test_evaluate_names_long_labels_in_full_and_notes_labels_typed_two_ways(tmp_path):
    rows = [{"label": "Supportive", "stance": "supportive"}, {"label": "off-topic", "stance": "supportive"},
            {"label": "strongly supportive", "stance": "strongly supportive"}]
    report = run_stance("evaluate", str(write_jsonl(tmp_path / "one.jsonl", rows)))
    assert report.returncode == 0, report.stderr
    header = report.stdout.split("confusion (rows: gold, columns: predicted)\n")[1].splitlines()[0]
    assert header.split() == ["Supportive", "off-topic", "strongly", "supportive", "supportive"]  # none cut short
    assert "note: 'Supportive', 'supportive' differ only in case or in spaces around them, and count as different labels." in report.stdout


def test_evaluate_two_files(tmp_path):
    gold = write_jsonl(tmp_path / "gold.jsonl", [{"label": l} for l in "aabb"])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"stance": l} for l in "abbb"])
    result = run_stance("evaluate", str(gold), str(pred), "--json")
    assert json.loads(result.stdout)["accuracy"] == 0.75
    short = write_jsonl(tmp_path / "short.jsonl", [{"stance": "a"}])
    mismatch = run_stance("evaluate", str(gold), str(short))
    assert mismatch.returncode == 2 and "differ in length" in mismatch.stderr


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "has no rows"),
        ('{"text": "ok", "label": "a"}\n{not json\n', "line 2"),
        ('{"text": "ok", "label": "a"}\n{"text": "", "label": "b"}\n', "no text"),
        ('{"text": "ok", "label": "a"}\n{"text": "fine", "label": "a"}\n', "only one label"),
        ('{"text": "ok", "label": "Agree"}\n{"text": "fine", "label": "agree"}\n{"text": "no", "label": "b"}\n', "differ only in case"),
    ],
)
def test_bad_training_files_give_clear_message_no_traceback(tmp_path, content, message):
    data = tmp_path / "bad.jsonl"
    data.write_text(content, encoding="utf-8")
    result = run_stance("train", str(data), "-o", str(tmp_path / "m.joblib"))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_and_corrupt_model_exit_2(tmp_path):
    data = write_jsonl(tmp_path / "in.jsonl", [{"text": "hello"}])
    missing = run_stance("label", str(data), "--model", str(tmp_path / "none.joblib"), "-o", str(tmp_path / "o.jsonl"))
    assert missing.returncode == 2 and "No model file" in missing.stderr and "Traceback" not in missing.stderr
    corrupt = tmp_path / "bad.joblib"
    corrupt.write_bytes(b"garbage")
    bad = run_stance("label", str(data), "--model", str(corrupt), "-o", str(tmp_path / "o.jsonl"))
    assert bad.returncode == 2 and "not a stance model file" in bad.stderr


@pytest.mark.skipif(not (TWEETEVAL / "hillary").exists(), reason="the shared TweetEval data is not beside the repository")
def test_tweeteval_train_and_label(tmp_path):
    model = tmp_path / "hillary.joblib"
    assert run_stance("train", str(TWEETEVAL / "hillary" / "train.jsonl"), "-o", str(model)).returncode == 0
    out = tmp_path / "val.jsonl"
    result = run_stance("label", str(TWEETEVAL / "hillary" / "val.jsonl"), "--model", str(model), "-o", str(out))
    assert result.returncode == 0, result.stderr
    report = json.loads(run_stance("evaluate", str(out), "--json").stdout)
    assert report["n"] == 69
    assert report["macro_f1"] > 0.4  # far above the 0.33 of guessing


def test_label_explain_adds_readable_reasons(tmp_path, toy_model_path):
    data = write_jsonl(tmp_path / "in.jsonl", [{"text": "I agree, great essay and thank you"}, {"text": "This is wrong and naive"}])
    out = tmp_path / "out.jsonl"
    result = run_stance("label", str(data), "--model", str(toy_model_path), "-o", str(out), "--explain", "3")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    for row in rows:
        assert 1 <= len(row["stance_reasons"]) <= 3
        assert all(reason.startswith('"') and row["stance"] in reason for reason in row["stance_reasons"])
    plain = tmp_path / "plain.jsonl"
    assert run_stance("label", str(data), "--model", str(toy_model_path), "-o", str(plain)).returncode == 0
    assert "stance_reasons" not in plain.read_text()
