"""Explanations (`stance.explain`, `Prediction.reasons`) are real, ordered and readable.

"Real" means: each listed feature is one the text actually has, and taking it away from
the text's feature row lowers the model's linear score for the stated label by at least
the stated weight (the weight is that feature's own contribution).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import stance
from stance.model import default_model
from stance.examples import Examples
from stance.features import named_features

SEEDS = Path(__file__).parents[1] / "seeds" / "thread.jsonl"
TEXTS = [r["text"] for r in map(orjson.loads, SEEDS.read_bytes().splitlines())] + [
    "Thank you for writing this, great essay!",
    "This is naive and simply wrong.",
    "lol who cares",
    "",
]
READABLE = re.compile(r'^".+" \([+-]\d+\.\d\d (?P<label>[^)]+)\)$')


@pytest.fixture(scope="module")
def model() -> stance.StanceModel:
    return default_model()


@pytest.fixture(scope="module")
def words_model() -> stance.StanceModel:
    """A tiny model without character n-grams, whose explanations are whole words."""
    rows = [
        {"text": "thank you so much, great point", "label": "supportive"},
        {"text": "thank you, I agree", "label": "supportive"},
        {"text": "thank you for this", "label": "supportive"},
        {"text": "this is wrong", "label": "critical"},
        {"text": "nonsense, totally wrong", "label": "critical"},
        {"text": "wrong again", "label": "critical"},
    ]
    return stance.train(rows, prior=None, char_ngrams=None)


def linear_scores(model: stance.StanceModel, text: str, drop: str | None = None) -> np.ndarray:
    """The classifier's linear score for every label, optionally without feature ``drop``."""
    features = model.pipeline.named_steps["features"]
    row = features.transform(Examples([text], [None], [None])).tocsr()
    if drop is not None:
        columns = [c for name, c in named_features(features, text) if name == drop]
        assert columns, f"{drop!r} is not a feature of {text!r}"
        row.data[np.isin(row.indices, columns)] = 0.0
    return np.asarray(row @ model.pipeline.named_steps["classifier"].coef_.T).ravel()


@pytest.mark.parametrize("text", TEXTS)
def test_reasons_are_for_the_predicted_label_strongest_first(model: stance.StanceModel, text: str) -> None:
    prediction = stance.classify(text, model=model, explain=5)
    reasons = prediction.reasons
    assert len(reasons) <= 5
    assert all(r.label == prediction.label for r in reasons)
    weights = [r.weight for r in reasons]
    assert weights == sorted(weights, reverse=True)
    assert all(w > 0 for w in weights)
    assert len({r.feature for r in reasons}) == len(reasons)
    assert reasons == stance.explain(text, model=model, top=5)


@pytest.mark.parametrize("text", [t for t in TEXTS if t])
def test_each_reason_really_pushes_towards_its_label(model: stance.StanceModel, text: str) -> None:
    reasons = stance.explain(text, model=model, top=5)
    assert reasons, "a non-empty text should have at least one reason"
    label = model.labels.index(reasons[0].label)
    full = linear_scores(model, text)[label]
    for reason in reasons:
        without = linear_scores(model, text, drop=reason.feature)[label]
        # The feature's own contribution, rounded to 3 places in the Reason.
        assert full - without >= reason.weight - 1e-3 > 0, reason


def test_reason_strings_read_like_the_docs(model: stance.StanceModel, words_model: stance.StanceModel) -> None:
    for text in TEXTS[:5]:
        for reason in stance.explain(text, model=model):
            match = READABLE.match(str(reason))
            assert match and match["label"] in model.labels, str(reason)
    reasons = words_model.explain("thank you, friend", top=5)
    assert str(reasons[0]).startswith('"') and "supportive)" in str(reasons[0])


def test_small_model_names_the_words_it_learned(words_model: stance.StanceModel) -> None:
    names = [r.feature for r in words_model.explain("thank you, friend", top=5)]
    assert {"thank you", "thank"} & set(names[:4])
    critical = words_model.explain("totally wrong", top=3)
    assert critical[0].label == "critical" and "wrong" in [r.feature for r in critical]


def test_default_model_reasons_are_words_not_fragments(model: stance.StanceModel) -> None:
    for text in ["Thank you for writing this, great essay!", "This is naive and simply wrong."]:
        top = stance.explain(text, model=model, top=3)
        assert not any(r.feature.startswith("chars ") for r in top), [str(r) for r in top]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["thank", "you", "wrong", "great", "this", "is", "not", "!", "?", "@bob", "#ai", "🔥"]), max_size=8))
def test_reasons_hold_for_any_text(words_model: stance.StanceModel, words: list[str]) -> None:
    text = " ".join(words)
    prediction = words_model.classify(text, explain=3)
    weights = [r.weight for r in prediction.reasons]
    assert weights == sorted(weights, reverse=True) and all(w > 0 for w in weights)
    assert all(r.label == prediction.label for r in prediction.reasons)
    names = {name for name, _ in named_features(words_model.pipeline.named_steps["features"], text)}
    assert {r.feature for r in prediction.reasons} <= names
