"""Model files: every way a file can be wrong gives a clear, specific error."""

from __future__ import annotations

import json

import pytest

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
