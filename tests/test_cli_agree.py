"""`stance agree`, run as the installed console script in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stance import agreement, load_model

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "default.stance"
KEYS = ("n_items", "n_annotators", "n_ratings", "labels", "percent_agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1")
COEFFICIENTS = ("percent_agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1")

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C; alpha 0.743.
CODERS = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


def stance(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    script = Path(sys.executable).parent / "stance"
    assert script.exists(), f"the `stance` console script is not installed next to {sys.executable}"
    return subprocess.run([str(script), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


def fails_cleanly(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: ")
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


@pytest.fixture
def long_csv(tmp_path: Path) -> Path:
    path = tmp_path / "annotations.csv"
    lines = ["item,annotator,label"]
    lines += [f"u{unit},{coder},{value}" for coder, values in CODERS.items() for unit, value in enumerate(values, 1) if value is not None]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def per_annotator(tmp_path: Path) -> list[Path]:
    paths = []
    for coder, values in CODERS.items():
        path = tmp_path / f"{coder}.jsonl"
        path.write_text("".join(json.dumps({"id": f"u{unit}", "text": f"reply {unit}", "label": value}) + "\n" for unit, value in enumerate(values, 1)))
        paths.append(path)
    return paths


def test_long_csv_json_contract(long_csv: Path):
    result = stance("agree", long_csv, "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)  # exactly one object
    assert all(key in out for key in KEYS)
    assert (out["n_items"], out["n_annotators"], out["n_ratings"]) == (12, 4, 41)
    assert out["labels"] == ["1", "2", "3", "4", "5"]
    for name in COEFFICIENTS:
        assert set(out[name]) == {"value", "ci95"}
        low, high = out[name]["ci95"]
        assert low <= out[name]["value"] <= high
    assert round(out["krippendorff_alpha"]["value"], 3) == 0.743
    rows = [(f"u{u}", c, str(v)) for c, vs in CODERS.items() for u, v in enumerate(vs, 1) if v is not None]
    report = agreement.compare(rows)
    for name in COEFFICIENTS:
        assert out[name]["value"] == pytest.approx(getattr(report, name))
        assert out[name]["ci95"] == pytest.approx(list(report.ci95[name]))
    assert "mean of 6 pairwise" in out["notes"]["cohen_kappa"]


def test_jsonl_long_format_and_seed(tmp_path: Path, long_csv: Path):
    path = tmp_path / "annotations.jsonl"
    lines = long_csv.read_text().splitlines()[1:]
    path.write_text("".join(json.dumps(dict(zip(("item", "annotator", "label"), line.split(",")))) + "\n" for line in lines))
    from_csv = json.loads(stance("agree", long_csv, "--json").stdout)
    from_jsonl = json.loads(stance("agree", path, "--json").stdout)
    assert from_csv == from_jsonl
    other_seed = json.loads(stance("agree", path, "--json", "--seed", "5").stdout)
    assert other_seed["krippendorff_alpha"]["ci95"] != from_csv["krippendorff_alpha"]["ci95"]
    no_boot = json.loads(stance("agree", path, "--json", "--n-boot", "0").stdout)
    assert no_boot["krippendorff_alpha"]["ci95"] is None


def test_one_file_per_annotator_joined_on_id(per_annotator: list[Path], long_csv: Path):
    result = stance("agree", *per_annotator, "--on", "id", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["n_annotators"] == 4 and out["n_ratings"] == 41
    assert round(out["krippendorff_alpha"]["value"], 3) == 0.743
    long_out = json.loads(stance("agree", long_csv, "--json").stdout)
    assert out["fleiss_kappa"] == long_out["fleiss_kappa"]
    names = {pair["a"] for pair in out["pairwise_cohen_kappa"]} | {pair["b"] for pair in out["pairwise_cohen_kappa"]}
    assert names == {"A", "B", "C", "D"}  # the file stems


def test_label_field_option(tmp_path: Path):
    for name, labels in (("ann", "xyxy"), ("bob", "xyyy")):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps({"id": i, "stance": label}) + "\n" for i, label in enumerate(labels)))
    result = stance("agree", tmp_path / "ann.jsonl", tmp_path / "bob.jsonl", "--on", "id", "--label-field", "stance", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["cohen_kappa"]["value"] == pytest.approx(0.5)
    fails_cleanly(stance("agree", tmp_path / "ann.jsonl", tmp_path / "bob.jsonl", "--on", "id"), "No field 'label'", "--label-field")


def test_text_table_with_bands_and_disagreements(long_csv: Path):
    result = stance("agree", long_csv)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    for fragment in ("Krippendorff's alpha", "0.743", "tentative conclusions only", "Landis & Koch", "95% CI",
                     "Items most disagreed on", "u6", "A=1, B=2, C=3, D=4", "mean of 6 pairwise"):
        assert fragment in text, fragment
    # u6 (four different labels) comes first.
    disagreements = text.split("Items most disagreed on")[1].splitlines()[1:]
    assert disagreements[0].strip().startswith("u6")


def test_labels_typed_two_ways_get_a_note_and_are_counted_as_written(tmp_path: Path):
    data = tmp_path / "ratings.csv"
    data.write_text("item,annotator,label\n1,ann,Critical\n1,bob,critical\n2,ann,off-topic\n2,bob,off-topic\n")
    result = stance("agree", data)
    assert result.returncode == 0, result.stderr
    assert "note: 'Critical', 'critical' differ only in case or in spaces around them, and count as different labels." in result.stdout
    assert "Percent agreement        0.500" in result.stdout
    plain = tmp_path / "plain.csv"
    plain.write_text(data.read_text().replace("Critical", "critical"))
    assert "note:" not in stance("agree", plain).stdout


def test_undefined_coefficient_is_null_and_text_says_why(tmp_path: Path):
    path = tmp_path / "one.csv"
    path.write_text("item,annotator,label\n1,ann,x\n2,ann,y\n")
    out = json.loads(stance("agree", path, "--json").stdout)
    assert out["cohen_kappa"] == {"value": None, "ci95": None}
    assert out["krippendorff_alpha"]["value"] is None
    assert "only 1 annotator" in out["reasons"]["cohen_kappa"]
    text = stance("agree", path).stdout
    assert "Cohen's kappa: Cohen's kappa compares pairs of annotators, and there is only 1 annotator" in text


def test_label_outside_labels_names_line_and_item(long_csv: Path):
    fails_cleanly(stance("agree", long_csv, "--labels", "1,2,3,4"), "line 20", "label '5'", "item 'u10'", "--labels (1, 2, 3, 4)")
    ok = stance("agree", long_csv, "--labels", "1,2,3,4,5,6", "--json")
    out = json.loads(ok.stdout)
    assert out["labels"] == ["1", "2", "3", "4", "5", "6"] and out["per_label"]["6"] is None
    fails_cleanly(stance("agree", long_csv, "--labels", "1,,2"), "--labels must list labels")


def test_conflicting_duplicate_names_both_lines(tmp_path: Path):
    path = tmp_path / "dup.csv"
    path.write_text("item,annotator,label\n1,a,x\n1,b,y\n2,a,x\n1,a,y\n")
    fails_cleanly(stance("agree", path), "line 5", "annotator 'a'", "item '1'", "line 2 has 'x'")
    same = tmp_path / "same.csv"
    same.write_text("item,annotator,label\n1,a,x\n1,b,y\n1,a,x\n")
    assert json.loads(stance("agree", same, "--json").stdout)["n_ratings"] == 2


def test_empty_and_bad_files(tmp_path: Path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    fails_cleanly(stance("agree", empty), "empty.jsonl' has no rows")
    header_only = tmp_path / "header.csv"
    header_only.write_text("item,annotator,label\n")
    fails_cleanly(stance("agree", header_only), "has no rows")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"item": 1, "annotator": "a", "label": "x"}\n{oops\n')
    fails_cleanly(stance("agree", bad), "bad.jsonl' line 2", "not valid JSON")
    fails_cleanly(stance("agree", tmp_path / "missing.csv"), "no such file")
    fails_cleanly(stance("agree"), "Give at least one annotation file")
    wide = tmp_path / "wide.jsonl"
    wide.write_text('{"id": 1, "label": "x"}\n')
    fails_cleanly(stance("agree", wide), "No field 'item'", "--on ID_FIELD")


def test_same_stem_twice_with_on(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        (tmp_path / folder / "ann.jsonl").write_text('{"id": 1, "label": "x"}\n')
    fails_cleanly(stance("agree", tmp_path / "a" / "ann.jsonl", tmp_path / "b" / "ann.jsonl", "--on", "id"), "both give 'ann'")


def test_model_as_one_more_annotator(tmp_path: Path):
    texts = ["I completely agree, great post", "This is wrong and harmful", "Anyone watching the game tonight?", "Thanks, very helpful", "Nonsense from start to end"]
    gold = {"ann": ["supportive", "critical", "off-topic", "supportive", "critical"], "bob": ["supportive", "critical", "off-topic", "supportive", "supportive"]}
    paths = []
    for name, labels in gold.items():
        path = tmp_path / f"gold_{name}.jsonl"
        path.write_text("".join(json.dumps({"id": i, "text": t, "label": label}) + "\n" for i, (t, label) in enumerate(zip(texts, labels))))
        paths.append(path)
    result = stance("agree", "--model", MODEL, *paths, "--on", "id", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["n_annotators"] == 2  # the top level is humans vs humans
    versus = out["model_vs_human"]
    assert versus["annotator"] == "model"
    assert set(versus["per_annotator"]) == {"gold_ann", "gold_bob"}
    for name in ("cohen_kappa", "percent_agreement"):
        assert set(versus[name]) == {"value", "ci95"}
    predicted = load_model(MODEL).predict(texts)
    agree_ann = sum(p == g for p, g in zip(predicted, gold["ann"])) / len(texts)
    assert versus["per_annotator"]["gold_ann"]["percent_agreement"] == pytest.approx(agree_ann)
    text = stance("agree", "--model", MODEL, *paths, "--on", "id").stdout
    assert "Model (model) vs humans" in text and "human-human" in text
    # A missing text is named.
    (tmp_path / "gold_ann.jsonl").write_text('{"id": 0, "label": "supportive"}\n')
    fails_cleanly(stance("agree", "--model", MODEL, tmp_path / "gold_ann.jsonl", "--on", "id"), "Item '0' has no text in field 'text'")
