"""Model files: every way a file can be wrong gives a clear, specific error."""

from __future__ import annotations

import json
from pathlib import Path
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import stance
from stance import arrays, artifact
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


def _write_legacy(path, payload, metadata, fmt):
    """A model file as stance 0.1 wrote it: the header, then a joblib pickle."""
    import hashlib

    from stance import legacy

    body = legacy.dumps(payload)
    header = {**metadata, "format": fmt, "payload_sha256": hashlib.sha256(body).hexdigest()}
    raw = json.dumps(header).encode()
    path.write_bytes(artifact.MAGIC + len(raw).to_bytes(8, "big") + raw + body)


def _legacy_format_2(toy_model, path, **metadata):
    payload = {"scorer": toy_model.scorer, "target_scorers": toy_model.target_scorers, "pipelines": b""}
    _write_legacy(path, payload, {**toy_model.metadata, **metadata}, 2)


def test_incompatible_dependency_version_of_a_legacy_pickle(toy_model, tmp_path):
    path = tmp_path / "m.joblib"
    _legacy_format_2(toy_model, path, versions={"scikit-learn": "0.1.0"}, requires={"scikit-learn": ">=0.1,<0.2"})
    with pytest.raises(ModelVersionError, match="scikit-learn 0.1.0"):
        stance.load_model(path, trust_pickle=True)


def test_pinned_hash_mismatch(toy_model_path):
    with pytest.raises(ModelIntegrityError, match="expected"):
        stance.load_model(toy_model_path, expected_sha256="0" * 64)


def test_header_readable_without_reading_the_payload(toy_model_path):
    header, _ = artifact.read_header(toy_model_path)
    assert header["labels"] == ["critical", "off-topic", "supportive"]
    assert len(header["training_data_sha256"]) == 64
    assert header["created"].endswith("+00:00")


def test_shipped_default_model_loads_and_is_checked():
    model = stance.load_model()
    assert model.labels == sorted(stance.DEFAULT_LABELS)
    assert model.metadata["format"] == artifact.FORMAT_VERSION


def test_labelling_with_a_saved_model_never_imports_scikit_learn(toy_model_path):
    """The scorers load and predict on their own; the scikit-learn pipeline is rebuilt when asked for."""
    import subprocess
    import sys

    code = (
        "import sys, stance\n"
        f"model = stance.load_model({str(toy_model_path)!r})\n"
        "print(model.classify('I agree, great essay').label)\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'sklearn'], 'sklearn was imported'\n"
        "model.pipeline  # rebuilt from the same arrays on first use\n"
        "assert 'sklearn' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in stance.DEFAULT_LABELS


def test_the_rebuilt_pipeline_predicts_what_the_model_does(toy_model):
    texts = ["I agree, great essay", "this is wrong", "what time is it", ""]
    pipeline = toy_model.pipeline
    assert np.allclose(pipeline.predict_proba(texts)[:3], toy_model.predict_proba(texts)[:3], rtol=1e-9, atol=1e-12)
    assert list(pipeline.predict(texts[:3])) == toy_model.predict(texts[:3])


def test_legacy_files_load_only_when_trusted_and_predict_the_same(toy_model, tmp_path):
    """Formats 1 (pipelines) and 2 (scorers) were pickles: refused by default, the same
    model when trusted, and converted to the current format on saving."""
    texts = ["I agree, great essay", "this is wrong", "what time is it"]
    old2 = tmp_path / "old2.joblib"
    _legacy_format_2(toy_model, old2)
    old1 = tmp_path / "old1.joblib"
    _write_legacy(old1, {"pipeline": toy_model.pipeline, "target_pipelines": {}}, toy_model.metadata, 1)
    for path, fmt in ((old1, 1), (old2, 2)):
        with pytest.raises(ModelIntegrityError, match="trust_pickle=True"):
            stance.load_model(path)
        old = stance.load_model(path, trust_pickle=True)
        assert old.metadata["format"] == fmt
        assert (old.predict_proba(texts) == toy_model.predict_proba(texts)).all()
        resaved = tmp_path / f"new{fmt}.stance"
        old.save(resaved)
        assert artifact.read_header(resaved)[0]["format"] == artifact.FORMAT_VERSION
        assert (stance.load_model(resaved).predict_proba(texts) == toy_model.predict_proba(texts)).all()


class _WritesAFile:
    """A pickle that writes a file when it is loaded (what a malicious model file does)."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (_touch, (self.target,))


def _touch(path):
    with open(path, "w") as handle:
        handle.write("ran")
    return {}


@pytest.mark.parametrize("fmt", [1, 2, 3])
def test_a_payload_that_would_run_code_is_refused_and_runs_nothing(toy_model, tmp_path, fmt):
    """Whatever format its header claims, a pickle in the payload is never unpickled unless trusted."""
    import hashlib

    marker = tmp_path / "ran.txt"
    body = pickle.dumps(_WritesAFile(marker))
    header = {**toy_model.metadata, "format": fmt, "payload_sha256": hashlib.sha256(body).hexdigest()}
    raw = json.dumps(header).encode()
    path = tmp_path / "evil.stance"
    path.write_bytes(artifact.MAGIC + len(raw).to_bytes(8, "big") + raw + body)
    with pytest.raises(ModelIntegrityError):
        stance.load_model(path)
    assert not marker.exists()


def test_an_npz_payload_with_an_object_array_is_refused(toy_model, tmp_path):
    """An archive entry that needs pickle to read is an error, not code run."""
    import hashlib
    import io

    buffer = io.BytesIO()
    np.savez(buffer, tree=np.frombuffer(b'{"scorer": {"__array__": "a0"}}', dtype=np.uint8), a0=np.array([_WritesAFile(tmp_path / "x")], dtype=object))
    body = buffer.getvalue()
    header = {**toy_model.metadata, "format": artifact.FORMAT_VERSION, "payload_sha256": hashlib.sha256(body).hexdigest()}
    raw = json.dumps(header).encode()
    path = tmp_path / "objects.stance"
    path.write_bytes(artifact.MAGIC + len(raw).to_bytes(8, "big") + raw + body)
    with pytest.raises(ModelIntegrityError):
        stance.load_model(path)
    assert not (tmp_path / "x").exists()


def test_labelling_succeeds_when_every_pickle_load_raises(toy_model_path, tmp_path):
    """Loading and labelling with a current model file unpickles nothing at all."""
    import subprocess
    import sys

    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "I agree, great essay"}\n{"text": "this is wrong"}\n', encoding="utf-8")
    code = (
        "import pickle, sys\n"
        "def refuse(*a, **k): raise RuntimeError('a pickle was loaded')\n"
        "pickle.load = pickle.loads = refuse\n"
        "pickle.Unpickler = type('NoUnpickler', (), {'__init__': refuse})\n"
        "import joblib; joblib.load = refuse\n"
        "from stance.batch import label_file\n"
        f"label_file({str(source)!r}, {str(tmp_path / 'out.jsonl')!r}, model={str(toy_model_path)!r})\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert len((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()) == 2


@settings(deadline=None, max_examples=60)
@given(st.data())
def test_damaged_model_files_give_a_clear_error_or_the_same_model(toy_model_path, tmp_path_factory, data):
    """Flipped, truncated, spliced bytes: a ModelIntegrityError (or a ModelVersionError),
    never a traceback from deep inside, never a hang; or, if the damage missed, the same model."""
    raw = bytearray(toy_model_path.read_bytes())
    kind = data.draw(st.sampled_from(["flip", "truncate", "splice", "header"]))
    if kind == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
    elif kind == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    elif kind == "splice":
        start = data.draw(st.integers(0, len(raw) - 1))
        raw[start:start] = data.draw(st.binary(min_size=1, max_size=64))
    else:  # damage inside the JSON header, where no hash protects it
        offset = len(artifact.MAGIC) + 8
        size = int.from_bytes(raw[len(artifact.MAGIC) : offset], "big")
        raw[offset + data.draw(st.integers(0, size - 1))] ^= data.draw(st.integers(1, 255))
    path = tmp_path_factory.mktemp("fuzz") / "m.stance"
    path.write_bytes(bytes(raw))
    try:
        model = stance.load_model(path)
    except (ModelIntegrityError, ModelVersionError) as exc:
        assert str(path) in str(exc)
        return
    texts = ["I agree, great essay", "this is wrong", "what time is it"]
    assert (model.predict_proba(texts) == stance.load_model(toy_model_path).predict_proba(texts)).all()


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
    packed = arrays.compact_array(array)
    back = arrays.expand_array(pickle.loads(pickle.dumps(packed)))
    assert back.shape == array.shape and back.dtype == array.dtype
    assert back.tobytes() == array.tobytes()
    if packed is not array:
        assert len(pickle.dumps(packed)) < len(pickle.dumps(array))


@given(hnp.arrays(np.float64, st.integers(0, 100)))
def test_small_arrays_are_not_compacted(array):
    assert arrays.compact_array(array) is array
    assert arrays.expand_array(array) is array


def test_model_files_with_dense_arrays_still_load_and_predict_the_same(toy_model, tmp_path, monkeypatch):
    """Files saved before the arrays were compacted hold them dense: they load the same."""
    texts = ["I agree, great essay", "this is wrong", "what time is it"]
    monkeypatch.setattr(artifact, "compact_array", lambda array: array)
    toy_model.save(tmp_path / "dense.stance")
    monkeypatch.undo()
    toy_model.save(tmp_path / "compact.stance")
    dense, compact = stance.load_model(tmp_path / "dense.stance"), stance.load_model(tmp_path / "compact.stance")
    assert (dense.predict_proba(texts) == toy_model.predict_proba(texts)).all()
    assert (compact.predict_proba(texts) == toy_model.predict_proba(texts)).all()
    assert np.array_equal(compact.scorer.label_coef, toy_model.scorer.label_coef)
    assert (tmp_path / "compact.stance").stat().st_size < (tmp_path / "dense.stance").stat().st_size


def test_linear_weights_and_idf_tables_are_compacted():
    generator = np.random.default_rng(0)
    # more distinct non-zero weights than 16-bit codes can number: only the sparse form helps
    weights = np.where(generator.random((2, 1_000_000)) < 0.05, generator.normal(size=(2, 1_000_000)), 0.0)
    idf = generator.choice(np.log(np.arange(2.0, 300.0)) + 1.0, size=(3, 50_000))
    for array in (weights, idf):
        packed = arrays.compact_array(array)
        assert len(pickle.dumps(packed)) * 3 < len(pickle.dumps(array))
        assert arrays.expand_array(packed).tobytes() == array.tobytes()


# Written by stance 0.1 (commit 79d3365): `stance.train(TOY_ROWS, n_features=2**12).save(...)`,
# and its probabilities for these texts, recorded then.
OLD_FILE = Path(__file__).parent / "fixtures" / "models" / "toy-format2.joblib"
OLD_TEXTS = ["I agree, great essay", "this is wrong", "what time is it", "cc @bob 👀"]
OLD_PROBA = [
    [2.3204296435677483e-06, 8.604085691970711e-07, 0.9999968191617873],
    [0.999995500312754, 3.830151312398932e-06, 6.695359336069313e-07],
    [0.002241347082368267, 0.9976699767493421, 8.867616828964118e-05],
    [2.1617127190045118e-08, 0.9999999513846137, 2.6998259019359574e-08],
]


def test_a_file_written_by_stance_0_1_loads_when_trusted_and_predicts_as_it_did():
    with pytest.raises(ModelIntegrityError, match="trust_pickle"):
        stance.load_model(OLD_FILE)
    old = stance.load_model(OLD_FILE, trust_pickle=True)
    assert old.labels == ["critical", "off-topic", "supportive"]
    assert np.allclose(old.predict_proba(OLD_TEXTS), OLD_PROBA, rtol=1e-9, atol=1e-12)


def test_stance_convert_rewrites_an_old_file_in_the_current_format(tmp_path):
    from conftest import run_stance

    new = tmp_path / "toy.stance"
    result = run_stance("convert", str(OLD_FILE), str(new))
    assert result.returncode == 0, result.stderr
    assert artifact.read_header(new)[0]["format"] == artifact.FORMAT_VERSION
    assert np.allclose(stance.load_model(new).predict_proba(OLD_TEXTS), OLD_PROBA, rtol=1e-9, atol=1e-12)
    again = run_stance("convert", str(OLD_FILE), str(new))
    assert again.returncode == 2 and "--force" in again.stderr


def test_an_array_of_many_distinct_values_round_trips_through_a_payload():
    # Its table of distinct values is itself large and few-valued; compacting that table
    # again would never end (stance 0.2's first default-model build hit exactly this).
    rng = np.random.default_rng(0)
    values = rng.normal(size=5000)
    array = values[rng.integers(0, len(values), size=200_000)]
    tree = artifact.loads(artifact.dumps({"weights": array}))
    assert tree["weights"].tobytes() == array.tobytes()
