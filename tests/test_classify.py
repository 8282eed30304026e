"""Training and classifying: invariants that must hold for any input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import stance
from stance.errors import InputError

NASTY_TEXTS = ["", "   ", "\n\t", "👀", "🔥🔥🔥", "#", "@", "#Tag", "\x00\x01\x1b[31m", "x" * 100_000, "a\u200bb", "٩(◕‿◕｡)۶"]


def test_classify_single_returns_prediction(toy_model):
    prediction = stance.classify("Great essay, thank you for writing this", model=toy_model)
    assert isinstance(prediction, stance.Prediction)
    assert prediction.label == "supportive"
    assert set(prediction.proba) == set(toy_model.labels)


def test_classify_list_keeps_order_and_matches_single(toy_model):
    texts = ["This is wrong and naive", "Great essay, thank you", "cc @someone 👀"]
    batch = stance.classify(texts, model=toy_model, context="the post")
    singles = [stance.classify(t, model=toy_model, context="the post") for t in texts]
    assert [p.label for p in batch] == [p.label for p in singles]
    for a, b in zip(batch, singles):
        assert a.proba == pytest.approx(b.proba)


@pytest.mark.parametrize("text", NASTY_TEXTS)
def test_classify_never_raises_on_nasty_text(toy_model, text):
    prediction = stance.classify(text, model=toy_model)
    assert prediction.label in toy_model.labels
    assert sum(prediction.proba.values()) == pytest.approx(1.0)


@given(st.lists(st.text(max_size=300), min_size=1, max_size=8))
def test_labels_valid_and_probabilities_sum_to_one(toy_model, texts):
    predictions = stance.classify(texts, model=toy_model)
    assert len(predictions) == len(texts)
    for prediction in predictions:
        assert prediction.label in toy_model.labels
        assert all(0.0 <= p <= 1.0 for p in prediction.proba.values())
        assert sum(prediction.proba.values()) == pytest.approx(1.0)
        assert prediction.label == max(prediction.proba, key=prediction.proba.get)


@given(st.lists(st.text(max_size=80), min_size=2, max_size=6))
def test_batch_equals_one_at_a_time(toy_model, texts):
    together = toy_model.predict_proba(texts)
    apart = np.vstack([toy_model.predict_proba([t]) for t in texts])
    assert np.allclose(together, apart)


def test_save_load_predict_identical(toy_model, tmp_path):
    path = tmp_path / "m.joblib"
    digest = toy_model.save(path)
    loaded = stance.load_model(path, expected_sha256=digest)
    texts = [r for r in NASTY_TEXTS] + ["I disagree strongly", "love it"]
    assert np.array_equal(toy_model.predict_proba(texts), loaded.predict_proba(texts))
    assert loaded.metadata["labels"] == toy_model.labels


def test_training_is_deterministic(toy_rows):
    texts = ["maybe right", "this is wrong", "what?", "thanks 👀"]
    first = stance.train(toy_rows, random_state=3).predict_proba(texts)
    second = stance.train(list(reversed(toy_rows))[::-1], random_state=3).predict_proba(texts)
    assert np.array_equal(first, second)


def test_metadata_carries_versions_labels_and_data_hash(toy_model, toy_rows):
    meta = toy_model.metadata
    assert meta["labels"] == ["critical", "off-topic", "supportive"]
    assert set(meta["versions"]) >= {"scikit-learn", "spacy", "numpy"}
    assert meta["stance_version"] == stance.__version__
    changed = [dict(r) for r in toy_rows]
    changed[0]["text"] += "!"
    assert stance.train(changed).metadata["training_data_sha256"] != meta["training_data_sha256"]


def test_any_label_set_works_four_labels():
    rows = []
    for i in range(6):
        rows += [
            {"text": f"yes this is confirmed true {i}", "label": "support"},
            {"text": f"no that is fake and false {i}", "label": "deny"},
            {"text": f"is this real? source? {i}", "label": "query"},
            {"text": f"wow crazy day {i}", "label": "comment"},
        ]
    model = stance.train(rows)
    assert model.labels == ["comment", "deny", "query", "support"]
    assert model.classify("is it real? any source?").label == "query"
    assert model.classify("that's false, fake news").label == "deny"


def test_context_is_used(toy_rows):
    rows = []
    for i in range(8):
        rows.append({"text": f"open science is the way {i}", "context": "open science is the way", "label": "supportive"})
        rows.append({"text": f"open science is the way {i}", "context": "closed labs must win", "label": "critical"})
    model = stance.train(rows)
    assert model.metadata["uses_context"] is True
    same = model.classify("open science is the way", context="open science is the way")
    other = model.classify("open science is the way", context="closed labs must win")
    assert same.label == "supportive" and other.label == "critical"


def test_target_is_used():
    rows = []
    # Distinct texts: a text under both targets with opposite labels would let each held-out
    # row's twin teach the opposite label through its number, and the cross-validation that
    # weighs the labels against the prior would rightly find the labels useless. Sixteen rows
    # a target: with eight, the prior's lean on the sentence itself could outweigh the target.
    for i in range(16):
        rows.append({"text": f"we must ban it now {i}", "target": "guns", "label": "supportive"})
        rows.append({"text": f"we must ban it now {i + 16}", "target": "free speech", "label": "critical"})
    model = stance.train(rows)
    assert model.metadata["targets"] == ["free speech", "guns"]
    assert model.classify("we must ban it now", target="guns").label == "supportive"
    assert model.classify("we must ban it now", target="free speech").label == "critical"


def test_rows_without_text_or_label_are_listed():
    rows = [{"text": "a", "label": "x"}, {"text": "", "label": "y"}, {"text": "b"}, {"text": "c", "label": "y"}]
    with pytest.raises(InputError, match=r"rows \[2\].*no text.*rows \[3\].*no label"):
        stance.train(rows)


def test_labels_typed_two_ways_are_refused_with_each_spelling_named():
    rows = [{"text": f"reply {i}", "label": label} for i, label in enumerate(["Critical", "critical ", "supportive", "Supportive", "off-topic"])]
    with pytest.raises(InputError, match=r"'Critical', 'critical '; 'Supportive', 'supportive' differ only in case.*for example as 'critical', 'supportive'\."):
        stance.train(rows)
    fixed = [dict(r, label=r["label"].strip().lower()) for r in rows]
    assert stance.train(fixed, prior=None).labels == ["critical", "off-topic", "supportive"]


def test_single_label_is_refused():
    with pytest.raises(InputError, match="only one label"):
        stance.train([{"text": "a", "label": "x"}, {"text": "b", "label": "x"}])


def test_explain_names_readable_features(toy_model):
    reasons = stance.explain("Great essay, thank you", model=toy_model, top=3)
    assert reasons and all(r.label == "supportive" and r.weight > 0 for r in reasons)
    assert str(reasons[0]).startswith('"') and "supportive" in str(reasons[0])


def test_cross_validate_reports_spread(toy_rows):
    result = stance.cross_validate(toy_rows, folds=3, repeats=2)
    assert result["folds"] == 3 and result["repeats"] == 2
    assert 0.0 <= result["macro_f1"]["mean"] <= 1.0 and result["macro_f1"]["sd"] >= 0.0
    assert len(result["out_of_fold"]) == len(toy_rows) and None not in result["out_of_fold"]



def test_cross_validate_reads_renamed_fields_like_train(toy_rows):
    renamed = [{"body": r["text"], "gold": r["label"]} for r in toy_rows]
    plain = stance.cross_validate(toy_rows, folds=3, repeats=1)
    moved = stance.cross_validate(renamed, folds=3, repeats=1, text_field="body", label_field="gold")
    assert moved["out_of_fold"] == plain["out_of_fold"]
    with pytest.raises(stance.InputError, match="txt_field"):  # a misspelt field is not taken for a default
        stance.cross_validate(toy_rows, folds=3, repeats=1, txt_field="body")


def test_default_model_labels_seed_thread(thread_rows):
    predictions = stance.classify([r["text"] for r in thread_rows])
    assert len(predictions) == len(thread_rows)
    assert {p.label for p in predictions} <= set(stance.DEFAULT_LABELS)
