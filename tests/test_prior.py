"""Training from the shipped prior: the rows choose, by cross-validation, how far to move from it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import stance
from stance import training
from stance.model import default_model

WRITTEN = Path(__file__).resolve().parents[1] / "seeds" / "written" / "replies.jsonl"
FLIP = {"supportive": "critical", "critical": "supportive", "off-topic": "off-topic"}


@pytest.fixture(scope="module")
def replies() -> list[dict]:
    rows = [json.loads(line) for line in WRITTEN.read_text(encoding="utf-8").splitlines()]
    return [{"text": r["text"], "context": r["context"]} for r in rows[::10]]  # 160 replies across many posts


@pytest.fixture(scope="module")
def prior_labels(replies) -> list[str]:
    return [p.label for p in stance.classify([r["text"] for r in replies], context=[r["context"] for r in replies])]


def test_labels_that_agree_with_the_prior_keep_the_prior(replies, prior_labels):
    model = stance.train([dict(r, label=label) for r, label in zip(replies, prior_labels)])
    assert model.metadata["label_weight"] == 0.0
    again = [p.label for p in model.classify([r["text"] for r in replies], context=[r["context"] for r in replies])]
    assert again == prior_labels
    prior = default_model().scorer  # a weight of 0 folds to exactly the prior's weights and temperature
    assert np.allclose(model.scorer.coef, prior.coef) and np.allclose(model.scorer.intercept, prior.intercept)
    assert model.scorer.temperature == pytest.approx(prior.temperature)


def test_few_rows_the_prior_separates_do_not_make_the_model_certain(toy_rows):
    """A temperature fitted on a handful of separable rows would go to its bound."""
    model = stance.train(toy_rows)
    top = model.predict_proba([r["text"] for r in toy_rows]).max(axis=1)
    assert top.min() < 0.99


def test_labels_that_contradict_the_prior_move_the_model(replies, prior_labels):
    flipped = [FLIP[label] for label in prior_labels]
    model = stance.train([dict(r, label=label) for r, label in zip(replies, flipped)])
    assert model.metadata["label_weight"] > 0.0
    predicted = [p.label for p in model.classify([r["text"] for r in replies], context=[r["context"] for r in replies])]
    assert sum(p == f for p, f in zip(predicted, flipped)) >= 0.9 * len(flipped)


def test_labels_the_prior_does_not_know_are_learned_alone(replies):
    rows = [dict(r, label="question" if r["text"].rstrip().endswith("?") else "statement") for r in replies]
    model = stance.train(rows)
    assert model.labels == ["question", "statement"]
    assert model.metadata["label_weight"] == 1.0


def test_too_few_rows_of_a_label_to_cross_validate_take_the_middle_weight(replies, prior_labels):
    sides = [dict(r, label=label) for r, label in zip(replies, prior_labels) if label != "off-topic"]
    once = next(dict(r, label=label) for r, label in zip(replies, prior_labels) if label == "off-topic")
    model = stance.train(sides[:30] + [once])
    assert model.metadata["label_weight"] == training.LABEL_WEIGHT_WITHOUT_CV
