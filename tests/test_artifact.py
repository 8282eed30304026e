"""Model files: every way a file can be wrong gives a clear, specific error."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import stance
from stance import artifact
from stance.errors import ModelIntegrityError, ModelNotFoundError, ModelVersionError


def test_missing_file(tmp_path):
    with pytest.raises(ModelNotFoundError, match="stance train"):
        stance.load_model(tmp_path / "nope.joblib")


def test_not_a_model_file(tmp_path):
    path = tmp_path / "m.joblib"
    path.write_bytes(b"just some bytes")
    with pytest.raises(ModelIntegrityError, match="not a stance model file"):
        stance.load_model(path)


def test_truncated_file(toy_model_path, tmp_path):
    path = tmp_path / "m.joblib"
    path.write_bytes(toy_model_path.read_bytes()[:-100])
    with pytest.raises(ModelIntegrityError, match="integrity check"):
        stance.load_model(path)


def test_tampered_payload(toy_model_path, tmp_path):
    data = bytearray(toy_model_path.read_bytes())
    data[-50] ^= 0xFF
    path = tmp_path / "m.joblib"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="sha256"):
        stance.load_model(path)


def _rewrite_header(source, target, change):
    header, offset = artifact.read_header(source)
    change(header)
    raw = source.read_bytes()
    body = json.dumps(header).encode()
    target.write_bytes(artifact.MAGIC + len(body).to_bytes(8, "big") + body + raw[offset:])


def test_newer_format_version(toy_model_path, tmp_path):
    path = tmp_path / "m.joblib"
    _rewrite_header(toy_model_path, path, lambda h: h.update(format=99))
    with pytest.raises(ModelVersionError, match="format version 99"):
        stance.load_model(path)


def test_incompatible_dependency_version(toy_model_path, tmp_path):
    path = tmp_path / "m.joblib"
    _rewrite_header(toy_model_path, path, lambda h: h["versions"].update({"scikit-learn": "0.1.0"}))
    with pytest.raises(ModelVersionError, match="scikit-learn 0.1.0"):
        stance.load_model(path)


def test_pinned_hash_mismatch(toy_model_path):
    with pytest.raises(ModelIntegrityError, match="expected"):
        stance.load_model(toy_model_path, expected_sha256="0" * 64)


def test_header_readable_without_unpickling(toy_model_path):
    header, _ = artifact.read_header(toy_model_path)
    assert header["labels"] == ["critical", "off-topic", "supportive"]
    assert len(header["training_data_sha256"]) == 64
    assert header["created"].endswith("+00:00")


def test_shipped_default_model_loads_and_is_checked():
    model = stance.load_model()
    assert model.labels == sorted(stance.DEFAULT_LABELS)
    assert model.metadata["format"] == artifact.FORMAT_VERSION


def test_labelling_with_a_saved_model_never_imports_scikit_learn(toy_model_path):
    """The scorers load and predict on their own; the pipelines stay packed until asked for."""
    import subprocess
    import sys

    code = (
        "import sys, stance\n"
        f"model = stance.load_model({str(toy_model_path)!r})\n"
        "print(model.classify('I agree, great essay').label)\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'sklearn'], 'sklearn was imported'\n"
        "model.pipeline  # the trained pipelines load on first use\n"
        "assert 'sklearn' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in stance.DEFAULT_LABELS


def test_format_1_files_still_load_and_predict_the_same(toy_model, tmp_path):
    """Format 1 held only the scikit-learn pipelines; its scorers are rebuilt on load."""
    path = tmp_path / "old.joblib"
    payload = {"pipeline": toy_model.pipeline, "target_pipelines": toy_model.target_pipelines}
    artifact.write_model(path, payload, {**toy_model.metadata, "format": 1})
    old = stance.load_model(path)
    texts = ["I agree, great essay", "this is wrong", "what time is it"]
    assert old.metadata["format"] == 1
    assert (old.predict_proba(texts) == toy_model.predict_proba(texts)).all()
    resaved = tmp_path / "new.joblib"
    old.save(resaved)
    assert artifact.read_header(resaved)[0]["format"] == artifact.FORMAT_VERSION


def test_a_payload_that_is_not_a_model_is_refused(toy_model, tmp_path):
    path = tmp_path / "odd.joblib"
    artifact.write_model(path, {"scorer": "not a scorer", "pipelines": b""}, toy_model.metadata)
    with pytest.raises(ModelIntegrityError, match="not a stance model"):
        stance.load_model(path)


_SPECIAL = [0.0, -0.0, 1.0, -2.5, float("nan"), float("inf"), float("-inf"), 1e-300]


@settings(deadline=None, max_examples=60)
@given(
    st.integers(1, 3),
    st.integers(4096, 9000),
    st.floats(0.0, 1.0),
    st.lists(st.sampled_from(_SPECIAL) | st.floats(allow_nan=True), min_size=1, max_size=40),
    st.sampled_from([np.float64, np.float32, np.int64]),
    st.randoms(use_true_random=False),
)
def test_compact_arrays_expand_bit_for_bit(rows, columns, density, values, dtype, rng):
    """Mostly-zero and few-valued arrays pickle smaller and come back exactly (-0.0 and
    NaN payloads included); any other array is passed through."""
    with np.errstate(invalid="ignore", over="ignore"):
        pool = np.array(values, dtype=np.float64).astype(dtype)
    generator = np.random.default_rng(rng.randrange(2**32))
    array = np.where(generator.random((rows, columns)) < density, generator.choice(pool, (rows, columns)), dtype(0))
    packed = artifact.compact_array(array)
    back = artifact.expand_array(pickle.loads(pickle.dumps(packed)))
    assert back.shape == array.shape and back.dtype == array.dtype
    assert back.tobytes() == array.tobytes()
    if packed is not array:
        assert len(pickle.dumps(packed)) < len(pickle.dumps(array))


@given(hnp.arrays(np.float64, st.integers(0, 100)))
def test_small_arrays_are_not_compacted(array):
    assert artifact.compact_array(array) is array
    assert artifact.expand_array(array) is array


def test_model_files_with_dense_arrays_still_load_and_predict_the_same(toy_model, tmp_path, monkeypatch):
    """Files saved before the arrays were compacted hold them dense: they load the same."""
    texts = ["I agree, great essay", "this is wrong", "what time is it"]
    monkeypatch.setattr(artifact, "compact_array", lambda array: array)
    toy_model.save(tmp_path / "dense.joblib")
    monkeypatch.undo()
    toy_model.save(tmp_path / "compact.joblib")
    dense, compact = stance.load_model(tmp_path / "dense.joblib"), stance.load_model(tmp_path / "compact.joblib")
    assert (dense.predict_proba(texts) == toy_model.predict_proba(texts)).all()
    assert (compact.predict_proba(texts) == toy_model.predict_proba(texts)).all()
    assert np.array_equal(compact.scorer.label_coef, toy_model.scorer.label_coef)
    assert (tmp_path / "compact.joblib").stat().st_size < (tmp_path / "dense.joblib").stat().st_size


def test_linear_weights_and_idf_tables_are_compacted():
    generator = np.random.default_rng(0)
    # more distinct non-zero weights than 16-bit codes can number: only the sparse form helps
    weights = np.where(generator.random((2, 1_000_000)) < 0.05, generator.normal(size=(2, 1_000_000)), 0.0)
    idf = generator.choice(np.log(np.arange(2.0, 300.0)) + 1.0, size=(3, 50_000))
    for array in (weights, idf):
        packed = artifact.compact_array(array)
        assert len(pickle.dumps(packed)) * 3 < len(pickle.dumps(array))
        assert artifact.expand_array(packed).tobytes() == array.tobytes()
