"""Parquet input: detected by its magic bytes, read a row group at a time, labelled like JSONL."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import SEED_THREAD, compress
from stance.batch import label_file
from stance.errors import InputError
from stance.read import ByteSource, detect_format, read_records


def test_parquet_rows_are_records_like_jsonl_rows(tmp_path):
    rows = [json.loads(line) for line in SEED_THREAD.read_text(encoding="utf-8").splitlines()]
    path = tmp_path / "thread.data"  # no extension: the content decides
    pd.DataFrame(rows).to_parquet(path, row_group_size=4)
    assert detect_format(path) == "parquet"
    records = list(read_records(path))
    assert [r.fields for r in records] == rows and [r.number for r in records] == list(range(1, len(rows) + 1))
    ends = [r.end for r in records]
    assert ends == sorted(ends) and 0 < ends[-1] <= path.stat().st_size


def test_labelling_parquet_writes_the_bytes_of_the_jsonl_run(toy_model, tmp_path):
    rows = [json.loads(line) for line in SEED_THREAD.read_text(encoding="utf-8").splitlines()]
    pd.DataFrame(rows).to_parquet(tmp_path / "in.parquet", row_group_size=5)
    label_file(SEED_THREAD, tmp_path / "jsonl.jsonl", model=toy_model)
    summary = label_file(tmp_path / "in.parquet", tmp_path / "parquet.jsonl", model=toy_model, chunk_size=7, jobs=2)
    assert summary.format == "parquet" and summary.read == len(rows)
    assert (tmp_path / "parquet.jsonl").read_bytes() == (tmp_path / "jsonl.jsonl").read_bytes()


def test_parquet_needs_a_file(tmp_path):
    pd.DataFrame({"text": ["a"]}).to_parquet(tmp_path / "in.parquet")
    packed = tmp_path / "in.parquet.gz"
    packed.write_bytes(compress((tmp_path / "in.parquet").read_bytes(), "gzip"))
    with pytest.raises(InputError, match="is not a readable Parquet file \\(it is inside gzip compression\\)"):
        list(read_records(packed, format="parquet"))
    (tmp_path / "broken.parquet").write_bytes((tmp_path / "in.parquet").read_bytes()[:-30])
    with pytest.raises(InputError, match="broken.parquet' is not a readable Parquet file"):
        list(read_records(tmp_path / "broken.parquet"))
    assert ByteSource.open(tmp_path / "in.parquet").compression is None
