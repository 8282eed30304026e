"""stance.label_frame: a pandas frame in, the same frame with its stance out."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import stance
from conftest import SEED_THREAD
from stance.errors import InputError
from stance.frame import REASON_COLUMN, label_frame
from stance.model import EMPTY_NOTE, MISSING_NOTE
from stance.scoring import OFF_TOPIC

TEXTS = ["I agree, great essay", "This is wrong and naive", "What time is the game?", "Love this 👀", "so true"]


def proba_columns(model) -> list[str]:
    return [f"stance_proba_{label}" for label in model.labels]


def test_columns_index_and_values(toy_model):
    df = pd.DataFrame({"text": TEXTS, "n": range(5)}, index=["a", "b", "b", "c", "d"])
    before = df.copy()
    out = label_frame(df, model=toy_model)
    pd.testing.assert_frame_equal(df, before)  # the input is not changed
    assert out.index.equals(df.index)
    assert out.columns.tolist() == ["text", "n", "stance", *proba_columns(toy_model), REASON_COLUMN]
    expected = toy_model.predict_proba(TEXTS)
    np.testing.assert_allclose(out[proba_columns(toy_model)].to_numpy(), expected)
    assert out["stance"].tolist() == toy_model.predict(TEXTS)
    assert out[REASON_COLUMN].isna().all()
    assert out.dtypes[proba_columns(toy_model)].eq(np.float64).all()


def test_context_and_target_columns_reach_the_model(toy_model):
    df = pd.DataFrame({"reply": TEXTS, "post": ["Essay on transit"] * 4 + [None], "about": ["x", None, "y", np.nan, "z"]})
    out = label_frame(df, text="reply", context="post", target="about", model=toy_model)
    rows = [
        {"text": t, "context": c if isinstance(c, str) else None, "target": g if isinstance(g, str) else None}
        for t, c, g in zip(df["reply"], df["post"], df["about"])
    ]
    np.testing.assert_allclose(out[proba_columns(toy_model)].to_numpy(), toy_model.predict_proba(rows))


def test_a_multiindex_is_kept(toy_model):
    index = pd.MultiIndex.from_tuples([(1, "x"), (1, "y"), (2, "x"), (2, "y"), (3, "x")])
    out = label_frame(pd.DataFrame({"text": TEXTS}, index=index), model=toy_model)
    assert out.index.equals(index) and len(out) == 5


def test_empty_and_whitespace_text_is_off_topic_with_a_reason(toy_model):
    """The model's one rule: probability 1 for off-topic, and the note saying why."""
    out = label_frame(pd.DataFrame({"text": ["", "   \n\t", "so true"]}), model=toy_model)
    assert out["stance"].tolist()[:2] == [OFF_TOPIC, OFF_TOPIC]
    assert out["stance_proba_off-topic"].tolist()[:2] == [1.0, 1.0]
    assert out[REASON_COLUMN].tolist()[:2] == [EMPTY_NOTE] * 2 and "no stance" in EMPTY_NOTE
    assert out[REASON_COLUMN][2] is pd.NA and out["stance"].dtype == "string"
    prediction = toy_model.classify("  ")
    assert (prediction.label, prediction.note) == (OFF_TOPIC, EMPTY_NOTE)  # as classify says


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA])
def test_missing_text_is_an_error_listing_the_rows(missing, toy_model):
    df = pd.DataFrame({"text": ["so true", missing, "ok", missing]}, index=[10, 20, 30, 40])
    with pytest.raises(InputError, match=r"2 rows have no text to label in column 'text' \(missing: None, NaN or pd.NA\) at positions \[1, 3\] \(2 in all\); index labels 20, 40"):
        label_frame(df, model=toy_model)


def test_missing_and_non_string_text_are_marked_with_errors_mark(toy_model):
    df = pd.DataFrame({"text": pd.array(["so true", pd.NA, "bad idea"], dtype="string")})
    out = label_frame(df, model=toy_model, errors="mark")
    assert out["stance"].iloc[1] is pd.NA and out[REASON_COLUMN].iloc[1] == MISSING_NOTE
    assert out[proba_columns(toy_model)].iloc[1].isna().all() and out["stance"].iloc[[0, 2]].notna().all()
    numbers = label_frame(pd.DataFrame({"text": ["ok", 3]}), model=toy_model, errors="mark")
    assert numbers[REASON_COLUMN].iloc[1] == "the text is a int, not a string, so it was not labelled"
    with pytest.raises(InputError, match="a int"):
        label_frame(pd.DataFrame({"text": ["ok", 3]}), model=toy_model)


def test_min_confidence_gives_uncertain_and_keeps_the_top_label(toy_model):
    top = toy_model.predict_proba(TEXTS).max(axis=1)
    threshold = float(np.median(top))
    out = label_frame(pd.DataFrame({"text": TEXTS}), model=toy_model, min_confidence=threshold)
    assert out["stance_top"].tolist() == toy_model.predict(TEXTS)
    assert out["stance"].tolist() == [label if p >= threshold else "uncertain" for label, p in zip(toy_model.predict(TEXTS), top)]
    assert "uncertain" in out["stance"].tolist()
    assert out.columns.tolist()[-2:] == ["stance_top", REASON_COLUMN]


def test_labelling_a_labelled_frame_replaces_its_stance_columns(toy_model):
    once = label_frame(pd.DataFrame({"text": TEXTS}), model=toy_model, min_confidence=0.5)
    twice = label_frame(once, model=toy_model)
    pd.testing.assert_frame_equal(twice, label_frame(pd.DataFrame({"text": TEXTS}), model=toy_model))


def test_bad_arguments_are_clear_errors(toy_model):
    df = pd.DataFrame({"body": TEXTS})
    with pytest.raises(InputError, match=r"no column 'text' for the text. Columns: 'body'. Name the column with text=..."):
        label_frame(df, model=toy_model)
    with pytest.raises(InputError, match="no column 'ctx' for the context"):
        label_frame(df, text="body", context="ctx", model=toy_model)
    with pytest.raises(InputError, match="label_frame labels a pandas DataFrame; got list"):
        label_frame(TEXTS, model=toy_model)
    with pytest.raises(InputError, match="errors must be 'raise'"):
        label_frame(df, text="body", errors="ignore", model=toy_model)
    with pytest.raises(InputError, match="between 0 and 1"):
        label_frame(df, text="body", min_confidence=2, model=toy_model)


def test_an_empty_frame_gets_the_columns(toy_model):
    out = label_frame(pd.DataFrame({"text": pd.Series([], dtype=object)}), model=toy_model)
    assert len(out) == 0 and out.columns.tolist() == ["text", "stance", *proba_columns(toy_model), REASON_COLUMN]


def test_same_labels_as_stance_label(tmp_path):
    """The default model on the seed thread: the frame's stance is what `stance label` writes."""
    from stance.batch import label_file

    rows = [json.loads(line) for line in SEED_THREAD.read_text(encoding="utf-8").splitlines()]
    out = label_frame(pd.DataFrame(rows))
    label_file(SEED_THREAD, tmp_path / "out.jsonl")
    written = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert out["stance"].tolist() == [r["stance"] for r in written]
    for label, values in ((label, out[f"stance_proba_{label}"]) for label in written[0]["stance_proba"]):
        assert [round(v, 4) for v in values] == [r["stance_proba"][label] for r in written]


@given(st.permutations(list(range(8))))
def test_rows_are_labelled_alike_in_any_order(toy_model, order):
    texts = TEXTS + ["", "  ", "not sure about this"]
    df = pd.DataFrame({"text": texts})
    out = label_frame(df, model=toy_model)
    shuffled = label_frame(df.iloc[order], model=toy_model)
    pd.testing.assert_frame_equal(shuffled, out.iloc[order])
