"""batch.label_file: nothing lost, order kept, resumable, every output format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from stance.batch import UNCERTAIN, label_file
from stance.batch.checkpoint import RunFiles
from stance.errors import InputError
from stance.read.compressed import compression_of

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
TEXTS = ["I agree, great essay", "This is wrong and naive", "What time is the game?", "Love this 👀", "so true"]


def jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(
    ("name", "labelled", "rejected"),
    [
        ("replies.jsonl", 3, 0),
        ("replies.json", 3, 0),
        ("replies.csv", 3, 0),
        ("replies.tsv", 2, 0),
        ("replies.txt", 3, 0),
        ("x_api_pages.json", 3, 1),  # the withheld tweet has no text
        ("tweets.js", 2, 1),  # full_text null
        ("mastodon_statuses.json", 3, 1),  # content is a number
        ("bluesky_feed.json", 2, 1),  # an image post with empty text
        ("bluesky_records.jsonl", 2, 1),  # a truncated line
    ],
)
def test_every_format_labels_or_rejects_each_record(name, labelled, rejected, toy_model, tmp_path):
    out = tmp_path / "out.jsonl"
    summary = label_file(FIXTURES / name, out, model=toy_model, checkpoint_seconds=0)
    assert (summary.labelled, summary.rejected, summary.read) == (labelled, rejected, labelled + rejected)
    rows = read_jsonl(out)
    assert len(rows) == labelled
    for row in rows:
        assert row["stance"] in toy_model.labels
        assert set(row["stance_proba"]) == set(toy_model.labels)
        assert abs(sum(row["stance_proba"].values()) - 1) < 1e-3
    errors = tmp_path / "out.errors.jsonl"
    if rejected:
        records = read_jsonl(errors)
        assert len(records) == rejected
        assert all({"raw", "reason"} <= set(r) and ("line" in r or "record" in r) for r in records)
    else:
        assert not errors.exists() and summary.errors is None
    assert summary.exit_code == (3 if rejected else 0)


def test_input_fields_are_kept_and_nested_text_paths_work(toy_model, tmp_path):
    out = tmp_path / "out.jsonl"
    summary = label_file(FIXTURES / "nested.jsonl", out, model=toy_model, text_field="record.text",
                         context_field="record.parent.text", id_field="meta.id")
    rows = read_jsonl(out)
    assert [r["meta"]["id"] for r in rows] == ["n1", "n2"]
    assert rows[0]["record"]["parent"] == {"text": "Essay on transit"}
    (error,) = read_jsonl(tmp_path / "out.errors.jsonl")
    assert error["line"] == 3 and error["id"] == "n3" and "record.text" in error["reason"]
    assert summary.rejected == 1


def test_platform_text_field_can_be_overridden(toy_model, tmp_path):
    out = tmp_path / "out.jsonl"
    label_file(FIXTURES / "mastodon_statuses.json", out, model=toy_model, text_field="account.username", checkpoint_seconds=0)
    assert len(read_jsonl(out)) == 4  # every status has a username


def test_missing_and_non_string_text_are_errors_not_empty_rows(toy_model, tmp_path):
    data = jsonl(tmp_path / "in.jsonl", [{"text": "fine"}, {"body": "x"}, {"text": None}, {"text": 3}, {"text": ["a"]}, {"text": "  "}, {"text": "nul\u0000"}])
    out = tmp_path / "out.jsonl"
    summary = label_file(data, out, model=toy_model, checkpoint_seconds=0)
    assert summary.labelled == 1 and summary.rejected == 6
    reasons = [e["reason"] for e in read_jsonl(tmp_path / "out.errors.jsonl")]
    assert "no text field 'text' (fields: body)" in reasons[0]
    assert "null" in reasons[1] and "int" in reasons[2] and "list" in reasons[3]
    assert "empty" in reasons[4] and "NUL" in reasons[5]


def test_raw_input_in_error_records_is_truncated_to_1kb(toy_model, tmp_path):
    data = tmp_path / "in.jsonl"
    data.write_text('{"text": "ok"}\n{"broken": "' + "y" * 5000 + "\n", encoding="utf-8")
    label_file(data, tmp_path / "out.jsonl", model=toy_model, checkpoint_seconds=0)
    (error,) = read_jsonl(tmp_path / "out.errors.jsonl")
    assert error["line"] == 2 and len(error["raw"].encode()) <= 1024


def test_min_confidence_marks_uncertain_and_keeps_top(toy_model, tmp_path):
    data = jsonl(tmp_path / "in.jsonl", [{"text": t} for t in TEXTS])
    out = tmp_path / "out.jsonl"
    top = toy_model.predict_proba(TEXTS).max(axis=1)
    threshold = float(np.median(top))  # some rows fall below it, some do not
    summary = label_file(data, out, model=toy_model, min_confidence=threshold, checkpoint_seconds=0)
    rows = read_jsonl(out)
    for row, p in zip(rows, top):
        assert (row["stance"] == UNCERTAIN) == (p < threshold)
        assert row["stance_top"] == max(row["stance_proba"], key=row["stance_proba"].get)
    assert summary.counts.get(UNCERTAIN, 0) == int((top < threshold).sum()) > 0
    with pytest.raises(InputError, match="between 0 and 1"):
        label_file(data, tmp_path / "o2.jsonl", model=toy_model, min_confidence=1.5, checkpoint_seconds=0)


def test_parallel_output_order_equals_input_order(toy_model, tmp_path):
    rows = [{"n": i, "text": f"{TEXTS[i % len(TEXTS)]} number {i}"} for i in range(900)]
    rows[100] = {"n": 100, "text": 5}
    data = jsonl(tmp_path / "in.jsonl", rows)
    serial, parallel = tmp_path / "serial.jsonl", tmp_path / "parallel.jsonl"
    label_file(data, serial, model=toy_model, chunk_size=64, checkpoint_seconds=0)
    summary = label_file(data, parallel, model=toy_model, chunk_size=64, jobs=2, checkpoint_seconds=0)
    assert summary.labelled == 899 and summary.rejected == 1
    assert [r["n"] for r in read_jsonl(parallel)] == [i for i in range(900) if i != 100]
    assert parallel.read_bytes() == serial.read_bytes()  # same rows, same probabilities


def test_refuses_to_overwrite_without_force(toy_model, tmp_path):
    data = jsonl(tmp_path / "in.jsonl", [{"text": "a"}])
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n")
    with pytest.raises(InputError, match="already exists. Pass --force"):
        label_file(data, out, model=toy_model, checkpoint_seconds=0)
    assert out.read_text() == "precious\n"
    label_file(data, out, model=toy_model, force=True, checkpoint_seconds=0)
    assert read_jsonl(out)[0]["text"] == "a"
    with pytest.raises(InputError, match="is the input file"):
        label_file(data, data, model=toy_model, force=True, checkpoint_seconds=0)


def test_csv_tsv_and_parquet_outputs(toy_model, tmp_path):
    import pyarrow  # noqa: F401

    import pyarrow.parquet as pq

    data = jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": "a", "extra": {"k": [1]}}, {"id": 2, "text": "b", "late": True}])
    label_file(data, tmp_path / "out.csv", model=toy_model, checkpoint_seconds=0)
    header, *lines = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()
    assert header == "id,text,extra,stance,stance_proba,late" and len(lines) == 2
    label_file(data, tmp_path / "out.txt", model=toy_model, to="tsv", checkpoint_seconds=0)
    assert (tmp_path / "out.txt").read_text(encoding="utf-8").startswith("id\ttext\textra\tstance")
    label_file(data, tmp_path / "out.parquet", model=toy_model, chunk_size=1, checkpoint_seconds=0)
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.num_rows == 2 and table.column("id").to_pylist() == [1, 2]
    assert table.column("extra").to_pylist() == ['{"k":[1]}', None]
    assert set(table.column("stance_proba").to_pylist()[0]) == set(toy_model.labels)


def test_strict_stops_at_first_bad_record_and_writes_no_output(toy_model, tmp_path):
    data = jsonl(tmp_path / "in.jsonl", [{"text": "a"}, {"nope": 1}, {"text": "b"}])
    out = tmp_path / "out.jsonl"
    summary = label_file(data, out, model=toy_model, strict=True, checkpoint_seconds=0)
    assert summary.exit_code == 3 and "line 2" in summary.stopped
    assert not out.exists() and (tmp_path / "out.errors.jsonl").exists()
    assert not any(p.name.startswith(".out") for p in tmp_path.iterdir())


def test_checkpoints_are_spaced_in_time(toy_model, tmp_path, monkeypatch):
    """Within checkpoint_seconds of the start no checkpoint is written; a resume then starts over."""
    rows = [{"n": i, "text": TEXTS[i % len(TEXTS)]} for i in range(300)]
    data = jsonl(tmp_path / "in.jsonl", rows)
    clean = tmp_path / "clean.jsonl"
    label_file(data, clean, model=toy_model, chunk_size=50)

    import stance.batch.chunks as chunks

    real = chunks.label_chunk
    out = tmp_path / "out.jsonl"
    monkeypatch.setattr(chunks, "label_chunk", _crash_at_line(151, real, KeyboardInterrupt))  # the 4th chunk
    with pytest.raises(KeyboardInterrupt):
        label_file(data, out, model=toy_model, chunk_size=50, checkpoint_seconds=3600)
    monkeypatch.setattr(chunks, "label_chunk", real)
    assert not RunFiles.beside(out, None).progress.exists()
    summary = label_file(data, out, model=toy_model, chunk_size=50, resume=True, checkpoint_seconds=3600)
    assert summary.resumed_at == 0 and summary.read == 300
    assert out.read_bytes() == clean.read_bytes()


def test_resume_after_a_crash_between_checkpoints(toy_model, tmp_path, monkeypatch):
    """An exception part-way leaves a checkpoint; resume gives the same bytes as one clean run."""
    rows = [{"n": i, "text": TEXTS[i % len(TEXTS)]} if i % 7 else {"n": i} for i in range(500)]
    data = jsonl(tmp_path / "in.jsonl", rows)
    clean = tmp_path / "clean.jsonl"
    label_file(data, clean, model=toy_model, chunk_size=50, checkpoint_seconds=0)

    import stance.batch.chunks as chunks

    real = chunks.label_chunk
    out = tmp_path / "out.jsonl"
    monkeypatch.setattr(chunks, "label_chunk", _crash_at_line(201, real, KeyboardInterrupt))  # the 5th chunk
    with pytest.raises(KeyboardInterrupt):
        label_file(data, out, model=toy_model, chunk_size=50, checkpoint_seconds=0)
    monkeypatch.setattr(chunks, "label_chunk", real)
    paths = RunFiles.beside(out, None)
    assert not out.exists() and paths.progress.exists()
    # a kill -9 can land after rows were written but before the checkpoint: simulate it
    with open(paths.partial, "ab") as handle:
        handle.write(b'{"half": "a row past the checkpoint"')
    with pytest.raises(InputError, match="Pass --resume"):
        label_file(data, out, model=toy_model, chunk_size=50, checkpoint_seconds=0)
    summary = label_file(data, out, model=toy_model, chunk_size=50, resume=True, checkpoint_seconds=0)
    assert summary.resumed_at == 200 and summary.read == 500
    assert out.read_bytes() == clean.read_bytes()
    assert (tmp_path / "out.errors.jsonl").read_bytes() == (tmp_path / "clean.errors.jsonl").read_bytes()
    assert not paths.progress.exists() and not paths.partial.exists()


def test_resume_refuses_a_changed_input(toy_model, tmp_path, monkeypatch):
    data = jsonl(tmp_path / "in.jsonl", [{"text": t} for t in TEXTS * 20])
    import stance.batch.chunks as chunks

    real = chunks.label_chunk
    calls = {"n": 0}

    def crash(items, spec, model=None):
        calls["n"] += 1
        if calls["n"] == 2:  # after one checkpoint
            raise KeyboardInterrupt
        return real(items, spec, model)

    monkeypatch.setattr(chunks, "label_chunk", crash)
    with pytest.raises(KeyboardInterrupt):
        label_file(data, tmp_path / "out.jsonl", model=toy_model, chunk_size=10, checkpoint_seconds=0)
    monkeypatch.setattr(chunks, "label_chunk", real)
    jsonl(data, [{"text": "different"}])
    with pytest.raises(InputError, match="Cannot resume.*changed"):
        label_file(data, tmp_path / "out.jsonl", model=toy_model, resume=True, checkpoint_seconds=0)
    summary = label_file(data, tmp_path / "out.jsonl", model=toy_model, force=True, checkpoint_seconds=0)
    assert summary.read == 1


GOOD = st.sampled_from(TEXTS).map(lambda t: json.dumps({"text": t}).encode())
BAD = st.one_of(
    st.just(b"{not json"),
    st.just(b'{"text": 1}'),
    st.just(b'{"other": "x"}'),
    st.just(b"[1, 2]"),
    st.just(b'{"text": "\xff\xfe"}'),
    st.just(b'{"text": "a\x00"}'),
    st.just(b'"just a string"'),
    st.binary(max_size=30).filter(lambda b: b"\n" not in b and b"\r" not in b and b.strip()),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(lines=st.lists(st.one_of(GOOD, BAD), min_size=1, max_size=40), chunk=st.integers(1, 16))
def test_every_record_is_one_row_or_one_error(lines, chunk, toy_model, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prop")
    data = tmp / "in.jsonl"
    data.write_bytes(b"\n".join(lines) + b"\n")
    # A file that starts with a compression's magic bytes is read as compressed, whatever its
    # name (tests/test_compressed.py covers corrupt ones): not a file of lines here.
    assume(compression_of(data.read_bytes()[:10]) is None)
    out = tmp / "out.jsonl"
    objects = [value for value in map(_json_object, lines) if value is not None]
    if objects and not any("text" in value for value in objects):
        # Not one record has the text field: the field's name is wrong, not the records.
        with pytest.raises(InputError, match="No record of .* has the text field 'text'"):
            label_file(data, out, model=toy_model, chunk_size=chunk, checkpoint_seconds=0)
        assert sorted(p.name for p in tmp.iterdir()) == ["in.jsonl"]
        return
    summary = label_file(data, out, model=toy_model, chunk_size=chunk, checkpoint_seconds=0)
    rows = read_jsonl(out)
    errors_path = tmp / "out.errors.jsonl"
    errors = read_jsonl(errors_path) if errors_path.exists() else []
    assert len(lines) == len(rows) + len(errors) == summary.read
    assert summary.labelled == len(rows) and summary.rejected == len(errors)
    assert sorted([e["line"] for e in errors] + [i + 1 for i, line in enumerate(lines) if line in {json.dumps({"text": t}).encode() for t in TEXTS}]) == list(range(1, len(lines) + 1))



def _json_object(line: bytes) -> dict | None:
    """The object on a JSONL line, or None when the line is not one (a bad record)."""
    if b"\x00" in line:
        return None
    try:
        value = json.loads(line.decode("utf-8"))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


ELEMENT = st.one_of(
    st.sampled_from(TEXTS).map(lambda t: json.dumps({"text": t}).encode()),
    st.sampled_from([b'{"text": 1}', b'{"other": "x"}', b"[1, 2]", b"7", b'"s"', b"{oops}", b'{"text": "a\\u0000"}']),
)
AFTER_ARRAY = st.sampled_from([b"junk", b'{"text": "late"}', b"]", b",", b'x [{"text": "a"}]', b"x" * 2000])  # an array after junk is junk too


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(elements=st.lists(ELEMENT, max_size=30), arrays=st.integers(1, 2), after=st.one_of(st.none(), AFTER_ARRAY), chunk=st.integers(1, 16))
def test_every_array_element_and_what_follows_the_array_is_one_row_or_one_error(elements, arrays, after, chunk, toy_model, tmp_path_factory):
    """A JSON array (or arrays, concatenated): each element is a row or an error record,
    and content after the array, once dropped without a word, is one error record."""
    tmp = tmp_path_factory.mktemp("array")
    data = b"".join(b"[\n" + b",\n".join(elements[i::arrays]) + b"\n]\n" for i in range(arrays))
    where = len(data)
    data += after + b"\n" if after is not None else b""
    (tmp / "in.json").write_bytes(data)
    out = tmp / "out.jsonl"
    objects = [value for value in map(_json_object, elements) if value is not None]
    if objects and not any("text" in value for value in objects):  # a wrong field name: see above
        with pytest.raises(InputError, match="No record of .* has the text field 'text'"):
            label_file(tmp / "in.json", out, model=toy_model, format="json", chunk_size=chunk, checkpoint_seconds=0)
        assert sorted(p.name for p in tmp.iterdir()) == ["in.json"]
        return
    summary = label_file(tmp / "in.json", out, model=toy_model, format="json", chunk_size=chunk, checkpoint_seconds=0)
    rows = read_jsonl(out)
    errors = read_jsonl(tmp / "out.errors.jsonl") if (tmp / "out.errors.jsonl").exists() else []
    assert len(elements) + (after is not None) == len(rows) + len(errors) == summary.read
    assert summary.labelled == len(rows) and summary.rejected == len(errors)
    if after is not None:
        assert errors[-1] == {"line": data.count(b"\n", 0, where) + 1, "raw": (after + b"\n")[:1024].decode(), "reason": "content after the end of the JSON array"}
        errors = errors[:-1]
    assert all("record" in e for e in errors)  # every element is counted by record, not line


# -- parallel runs: workers parse raw lines ------------------------------------------------
def _mixed_input(fmt: str) -> tuple[bytes, dict[int, str]]:
    """Good rows around every kind of bad line; the bad lines' numbers and reasons."""
    from stance.read import MAX_RECORD

    good = [(json.dumps({"n": i, "text": f"{TEXTS[i % len(TEXTS)]} {i}"}) if fmt == "jsonl" else f"{TEXTS[i % len(TEXTS)]} {i}").encode() for i in range(40)]
    bad = [
        (b"{not json", "not valid JSON") if fmt == "jsonl" else (b"", None),
        (b'{"text": "caf\xe9 latte"}' if fmt == "jsonl" else b"caf\xe9 latte", "not valid UTF-8"),
        (b"", None),  # blank lines are not records
        (b'{"text": "a\x00b"}' if fmt == "jsonl" else b"a\x00b", "NUL byte"),
        (b"   \r", None),
        (b'{"text": "' + b"x" * (MAX_RECORD + 100) + b'"}', "longer than 1 MB"),
        (b"[1, 2]" if fmt == "jsonl" else b"\t", "a JSON list, not an object" if fmt == "jsonl" else None),
        (b'{"no_text": 1}' if fmt == "jsonl" else b"", "no text field 'text'" if fmt == "jsonl" else None),
        (b'"just a string"' if fmt == "jsonl" else b"ok \xff\xfe", "a JSON str, not an object" if fmt == "jsonl" else "not valid UTF-8"),
    ]
    lines: list[bytes] = []
    reasons: dict[int, str] = {}
    for i, row in enumerate(good):
        lines.append(row + (b"\r" if i == 7 else b""))
        if i % 4 == 1 and bad:
            line, reason = bad.pop(0)
            lines.append(line)
            if reason:
                reasons[len(lines)] = reason
    return b"\n".join(lines), reasons  # and no newline after the last line


@pytest.mark.parametrize("fmt", ["jsonl", "text"])
@pytest.mark.parametrize("chunk_size", [1, 3, 2000])
def test_two_jobs_write_the_same_bytes_as_one(fmt, chunk_size, toy_model, tmp_path):
    data, reasons = _mixed_input(fmt)
    source = tmp_path / f"in.{'jsonl' if fmt == 'jsonl' else 'txt'}"
    source.write_bytes(data)
    runs = {}
    for jobs in (1, 2):
        out = tmp_path / f"j{jobs}.jsonl"
        summary = label_file(source, out, model=toy_model, format=fmt, chunk_size=chunk_size, jobs=jobs, checkpoint_seconds=0)
        runs[jobs] = (summary.read, summary.labelled, summary.rejected, summary.counts, out.read_bytes(), (tmp_path / f"j{jobs}.errors.jsonl").read_bytes())
    assert runs[2] == runs[1]
    errors = [json.loads(line) for line in runs[2][5].splitlines()]
    assert [e["line"] for e in errors] == sorted(reasons)
    for error in errors:
        assert reasons[error["line"]] in error["reason"] and len(error["raw"].encode()) <= 1024
    rows = [json.loads(line) for line in runs[2][4].splitlines()]
    assert len(rows) == 40 and runs[2][2] == len(reasons)
    assert [r["text"].split()[-1] for r in rows] == [str(i) for i in range(40)]  # in input order


def test_two_jobs_strict_stops_at_the_first_bad_line(toy_model, tmp_path):
    data, reasons = _mixed_input("jsonl")
    source = tmp_path / "in.jsonl"
    source.write_bytes(data)
    summary = label_file(source, tmp_path / "out.jsonl", model=toy_model, chunk_size=2, jobs=2, strict=True, checkpoint_seconds=0)
    assert summary.exit_code == 3 and f"line {min(reasons)}:" in summary.stopped
    assert not (tmp_path / "out.jsonl").exists()


def _crash_at_line(line: int, real, error: type[BaseException] = RuntimeError):
    """``real`` (a chunk labeller) that raises ``error`` on the chunk holding ``line``."""

    def crash(items, spec, model=None):
        if any(item.number == line for item in items):
            raise error(f"crash at line {line}")  # in a worker too: it comes back to the parent
        return real(items, spec, model)

    return crash


@pytest.mark.parametrize(("crash_jobs", "resume_jobs"), [(2, 2), (1, 2), (2, 1)])
def test_resume_after_a_crash_with_two_jobs(crash_jobs, resume_jobs, toy_model, tmp_path, monkeypatch):
    """Deterministic: the block holding line 301 fails, whichever process labels it."""
    import stance.batch.chunks as chunks

    rows = [{"n": i, "text": TEXTS[i % len(TEXTS)]} if i % 7 else {"n": i} for i in range(500)]
    data = jsonl(tmp_path / "in.jsonl", rows)
    clean = tmp_path / "clean.jsonl"
    label_file(data, clean, model=toy_model, chunk_size=50, checkpoint_seconds=0)
    out = tmp_path / "out.jsonl"
    monkeypatch.setattr(chunks, "label_chunk", _crash_at_line(301, chunks.label_chunk))
    with pytest.raises(RuntimeError, match="crash at line 301"):
        label_file(data, out, model=toy_model, chunk_size=50, jobs=crash_jobs, checkpoint_seconds=0)
    monkeypatch.undo()
    paths = RunFiles.beside(out, None)
    state = json.loads(paths.progress.read_bytes())
    assert (state["records"], state["line"]) == (300, 300)
    assert state["offset"] == len(b"".join(data.read_bytes().splitlines(keepends=True)[:300]))
    with open(paths.partial, "ab") as handle:  # rows past the checkpoint, as a kill -9 may leave
        handle.write(b'{"half": "a row')
    broken = dict(state, offset=data.stat().st_size + 1)
    paths.progress.write_bytes(json.dumps(broken).encode())
    with pytest.raises(InputError, match="no usable input offset"):
        label_file(data, out, model=toy_model, chunk_size=50, jobs=resume_jobs, resume=True, checkpoint_seconds=0)
    paths.progress.write_bytes(json.dumps(state).encode())
    summary = label_file(data, out, model=toy_model, chunk_size=50, jobs=resume_jobs, resume=True, checkpoint_seconds=0)
    assert summary.resumed_at == 300 and summary.read == 500
    assert out.read_bytes() == clean.read_bytes()
    assert (tmp_path / "out.errors.jsonl").read_bytes() == (tmp_path / "clean.errors.jsonl").read_bytes()
    assert not paths.progress.exists() and not paths.partial.exists()


@pytest.mark.parametrize("jobs", [1, 2])
def test_resume_from_a_checkpoint_without_an_offset(jobs, toy_model, tmp_path, monkeypatch):
    """A progress file written before checkpoints held offsets: records are skipped instead."""
    import stance.batch.chunks as chunks

    data = jsonl(tmp_path / "in.jsonl", [{"n": i, "text": TEXTS[i % len(TEXTS)]} for i in range(300)])
    (tmp_path / "blank.jsonl").write_bytes(data.read_bytes().replace(b"\n", b"\n\n", 50))
    data = tmp_path / "blank.jsonl"  # blank lines make line and record numbers differ
    clean = tmp_path / "clean.jsonl"
    label_file(data, clean, model=toy_model, chunk_size=40, checkpoint_seconds=0)
    out = tmp_path / "out.jsonl"
    monkeypatch.setattr(chunks, "label_chunk", _crash_at_line(201, chunks.label_chunk))
    with pytest.raises(RuntimeError):
        label_file(data, out, model=toy_model, chunk_size=40, jobs=jobs, checkpoint_seconds=0)
    monkeypatch.undo()
    paths = RunFiles.beside(out, None)
    state = json.loads(paths.progress.read_bytes())
    del state["offset"], state["line"]
    paths.progress.write_bytes(json.dumps(state).encode())
    summary = label_file(data, out, model=toy_model, chunk_size=40, jobs=jobs, resume=True, checkpoint_seconds=0)
    assert summary.resumed_at == state["records"] > 0 and summary.read == 300
    assert out.read_bytes() == clean.read_bytes()


def test_a_worker_that_dies_is_an_error_not_a_hang(toy_model, tmp_path, monkeypatch):
    import os

    import stance.batch.chunks as chunks

    data = jsonl(tmp_path / "in.jsonl", [{"n": i, "text": TEXTS[i % len(TEXTS)]} for i in range(300)])
    real = chunks.label_chunk

    def die_at_line_201(items, spec, model=None):
        if any(item.number == 201 for item in items):
            os._exit(9)  # as if killed (out of memory, say) in the middle of a chunk
        return real(items, spec, model)

    monkeypatch.setattr(chunks, "label_chunk", die_at_line_201)
    out = tmp_path / "out.jsonl"
    with pytest.raises(RuntimeError, match="worker process .* died, exit code 9"):
        label_file(data, out, model=toy_model, chunk_size=50, jobs=2, checkpoint_seconds=0)
    monkeypatch.undo()
    # what the dead worker had labelled but not yet sent is lost with it: redone on resume
    assert json.loads(RunFiles.beside(out, None).progress.read_bytes())["records"] in (50, 100, 150, 200)
    label_file(data, out, model=toy_model, chunk_size=50, jobs=2, resume=True, checkpoint_seconds=0)
    label_file(data, tmp_path / "clean.jsonl", model=toy_model, chunk_size=50, checkpoint_seconds=0)
    assert out.read_bytes() == (tmp_path / "clean.jsonl").read_bytes()


@pytest.mark.parametrize(("name", "fmt"), [("replies.json", "json"), ("tweets.js", "x-archive"), ("mastodon_statuses.json", "mastodon")])
@pytest.mark.parametrize("chunk_size", [1, 3])
def test_two_jobs_report_content_after_an_array_like_one(name, fmt, chunk_size, toy_model, tmp_path):
    source = tmp_path / "in.dat"
    data = (FIXTURES / name).read_bytes() + b"\n]\n[stray"
    source.write_bytes(data)
    runs = {}
    for jobs in (1, 2):
        out = tmp_path / f"j{jobs}.jsonl"
        summary = label_file(source, out, model=toy_model, chunk_size=chunk_size, jobs=jobs, checkpoint_seconds=0)
        runs[jobs] = (summary.format, summary.read, summary.labelled, summary.rejected, summary.counts, out.read_bytes(), (tmp_path / f"j{jobs}.errors.jsonl").read_bytes())
    assert runs[2] == runs[1] and runs[1][0] == fmt
    last = json.loads(runs[1][6].splitlines()[-1])
    assert last == {"line": data.count(b"\n"), "raw": "]\n[stray", "reason": "content after the end of the JSON array"}


def test_a_platform_format_forced_on_text_is_refused_and_leaves_no_files(toy_model, tmp_path):
    """Once zero rows, zero errors and success; now unusable input, as for ``json``."""
    source = tmp_path / "in.txt"
    source.write_text("I agree, great essay\nThis is wrong\n", encoding="utf-8")
    for fmt, says in (("x-archive", "not x-archive data"), ("mastodon", "not mastodon data"), ("json", "not an array")):
        for jobs in (1, 2):
            with pytest.raises(InputError, match=says):
                label_file(source, tmp_path / "out.jsonl", model=toy_model, format=fmt, jobs=jobs, checkpoint_seconds=0)
            assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"]


def test_rate_of_a_resumed_run_counts_only_this_runs_records():
    from stance.batch import Summary

    fresh = Summary(read=500, labelled=450, rejected=50, format="jsonl", seconds=2.0).describe()
    assert fresh.startswith("Read 500 records (jsonl): labelled 450, rejected 50, in 2.0s (250 records/s).")
    resumed = Summary(read=500, labelled=450, rejected=50, format="jsonl", resumed_at=200, seconds=2.0).describe()
    assert resumed.startswith(
        "Read 500 records (jsonl) (resumed after record 200): labelled 450, rejected 50; "
        "this run read 300 of them in 2.0s (150 records/s)."
    )


def test_resumed_progress_bar_and_summary_rates_count_this_run(toy_model, tmp_path, monkeypatch):
    import stance.batch.chunks as chunks
    import stance.batch.label as label

    data = jsonl(tmp_path / "in.jsonl", [{"n": i, "text": TEXTS[i % len(TEXTS)]} for i in range(500)])
    out = tmp_path / "out.jsonl"
    monkeypatch.setattr(chunks, "label_chunk", _crash_at_line(201, chunks.label_chunk, KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        label_file(data, out, model=toy_model, chunk_size=50, checkpoint_seconds=0)
    monkeypatch.undo()

    bars = []

    class Bar:  # a progress bar whose every update comes one second after the start
        def __init__(self, total, done):
            self.n, self.format_dict, self.rates = done, {"elapsed": 1.0}, []
            bars.append(self)

        def update(self, n):
            self.n += n

        def set_postfix_str(self, text, refresh=True):
            self.rates.append(text)

        def close(self):
            pass

    monkeypatch.setattr(label, "progress_bar", Bar)
    summary = label_file(data, out, model=toy_model, chunk_size=50, resume=True, progress=True, checkpoint_seconds=0)
    assert summary.resumed_at == 200 and summary.read == 500
    assert bars[0].rates == [f"{n} rows/s" for n in range(50, 301, 50)]  # not 250 ... 500
    assert "this run read 300 of them in" in summary.describe()


# -- a UTF-8 byte order mark at the start of the input --------------------------------------
BOM = b"\xef\xbb\xbf"
ALL_FIXTURES = [
    ("replies.jsonl", "jsonl"), ("nested.jsonl", "jsonl"), ("replies.json", "json"), ("replies.csv", "csv"),
    ("replies.tsv", "tsv"), ("replies.txt", "text"), ("x_api_pages.json", "x-api"), ("tweets.js", "x-archive"),
    ("mastodon_statuses.json", "mastodon"), ("bluesky_feed.json", "bluesky"), ("bluesky_records.jsonl", "bluesky"),
]


def _run(source, out: Path, **kwargs) -> tuple:
    """What a run gives: its summary's counts, the output and the error records."""
    if Path(source).name == "nested.jsonl":  # no record has a top-level text field
        kwargs["text_field"] = "record.text"
    summary = label_file(source, out, checkpoint_seconds=0, **kwargs)
    errors = RunFiles.beside(out, None).errors
    return (summary.format, summary.read, summary.labelled, summary.rejected, summary.counts,
            out.read_bytes(), errors.read_bytes() if errors.exists() else None)


@pytest.mark.parametrize(("name", "fmt"), ALL_FIXTURES)
def test_a_leading_byte_order_mark_changes_no_row_and_no_error(name, fmt, toy_model, tmp_path):
    """Once a json file so was refused, a Mastodon array one error record, the first
    JSONL line an error record; now every format gives what the file without it gives,
    with one job or two (chunks of one record, so that the workers do label)."""
    source = tmp_path / name
    source.write_bytes(BOM + (FIXTURES / name).read_bytes())
    clean = _run(FIXTURES / name, tmp_path / "clean.jsonl", model=toy_model, chunk_size=1)
    assert clean[0] == fmt
    for jobs in (1, 2):
        assert _run(source, tmp_path / f"bom{jobs}.jsonl", model=toy_model, chunk_size=1, jobs=jobs) == clean


@pytest.mark.parametrize("fmt", ["jsonl", "text"])
@pytest.mark.parametrize("chunk_size", [1, 3, 2000])
def test_two_jobs_on_a_byte_order_mark_file_write_the_same_bytes_as_one(fmt, chunk_size, toy_model, tmp_path):
    data, reasons = _mixed_input(fmt)
    runs = []
    for prefix in (b"", BOM):
        source = tmp_path / f"in{len(prefix)}.{'jsonl' if fmt == 'jsonl' else 'txt'}"
        source.write_bytes(prefix + data)
        for jobs in (1, 2):
            runs.append(_run(source, tmp_path / f"out{len(prefix)}-{jobs}.jsonl", model=toy_model, format=fmt, chunk_size=chunk_size, jobs=jobs))
    assert runs[1:] == runs[:1] * 3
    assert [json.loads(line)["line"] for line in runs[0][6].splitlines()] == sorted(reasons)


def _bom_input(fmt: str) -> bytes:
    """500 records, some of them bad, after a BOM."""
    if fmt == "text":
        return BOM + b"".join(f"{TEXTS[i % len(TEXTS)]} {i}\n".encode() if i % 7 else b"caf\xe9\n" for i in range(500))
    rows = [{"n": i, "text": TEXTS[i % len(TEXTS)]} if i % 7 else {"n": i} for i in range(500)]
    if fmt == "json":
        return BOM + json.dumps(rows, indent=1).encode()
    return BOM + b"".join(json.dumps(r).encode() + b"\n" for r in rows)


@pytest.mark.parametrize(
    ("fmt", "crash_jobs", "resume_jobs"),
    # json records go to the workers with the labeller, which a patched one cannot be
    [(fmt, c, r) for fmt in ("jsonl", "text") for c, r in ((1, 1), (2, 2), (1, 2))] + [("json", 1, 1), ("json", 1, 2)],
)
def test_resume_after_a_crash_on_a_byte_order_mark_file(fmt, crash_jobs, resume_jobs, toy_model, tmp_path, monkeypatch):
    """The checkpoint's offset counts the BOM (JSONL and text seek to it; json skips
    records): the resumed run writes the bytes of an uninterrupted one."""
    import stance.batch.chunks as chunks

    data = tmp_path / "in.dat"
    data.write_bytes(_bom_input(fmt))
    clean = _run(data, tmp_path / "clean.jsonl", model=toy_model, format=fmt, chunk_size=50)
    (tmp_path / "plain.dat").write_bytes(data.read_bytes()[3:])
    assert _run(tmp_path / "plain.dat", tmp_path / "plain.jsonl", model=toy_model, format=fmt, chunk_size=50) == clean
    out = tmp_path / "out.jsonl"
    monkeypatch.setattr(chunks, "label_chunk", _crash_at_line(201, chunks.label_chunk))
    with pytest.raises(RuntimeError, match="crash at line 201"):
        label_file(data, out, model=toy_model, format=fmt, chunk_size=50, jobs=crash_jobs, checkpoint_seconds=0)
    monkeypatch.undo()
    state = json.loads(RunFiles.beside(out, None).progress.read_bytes())
    assert state["records"] == 200
    if fmt != "json":
        assert state["offset"] == len(b"".join(data.read_bytes().splitlines(keepends=True)[:200]))  # BOM included
    resumed = _run(data, out, model=toy_model, format=fmt, chunk_size=50, jobs=resume_jobs, resume=True)
    assert resumed == clean and clean[3] > 0


@pytest.mark.parametrize("jobs", [1, 2])
def test_resume_on_stdin_after_a_byte_order_mark(jobs, toy_model, tmp_path, monkeypatch):
    """stdin cannot seek: the resumed run reads up to the checkpoint's offset, counting the
    BOM it skipped as the interrupted run did."""
    import io
    import sys

    import stance.batch.chunks as chunks

    data = _bom_input("jsonl")

    def stdin() -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))

    stdin()
    clean = _run("-", tmp_path / "clean.jsonl", model=toy_model, chunk_size=50)
    (tmp_path / "in.jsonl").write_bytes(data[3:])
    assert _run(tmp_path / "in.jsonl", tmp_path / "plain.jsonl", model=toy_model, chunk_size=50) == clean
    out = tmp_path / "out.jsonl"
    stdin()
    real = chunks.label_chunk
    monkeypatch.setattr(chunks, "label_chunk", _crash_at_line(201, real))
    with pytest.raises(RuntimeError, match="crash at line 201"):
        label_file("-", out, model=toy_model, chunk_size=50, jobs=jobs, checkpoint_seconds=0)
    monkeypatch.setattr(chunks, "label_chunk", real)
    stdin()
    resumed = _run("-", out, model=toy_model, chunk_size=50, jobs=jobs, resume=True)
    assert resumed == clean


# -- content between or after top-level JSON objects ----------------------------------------
@pytest.mark.parametrize(("name", "fmt"), [("x_api_pages.json", "x-api"), ("bluesky_feed.json", "bluesky")])
@pytest.mark.parametrize("chunk_size", [1, 3])
@pytest.mark.parametrize("junk", [b"}\n{stray", b'"s"\n'])
def test_two_jobs_report_content_after_objects_like_one(name, fmt, chunk_size, junk, toy_model, tmp_path):
    """Pretty-printed API objects followed by anything but whitespace or commas: once the
    rest was skipped without a word, now it is one error record at its line."""
    source = tmp_path / "in.dat"
    data = (FIXTURES / name).read_bytes() + b",\n\n"  # a comma after an object carries nothing
    source.write_bytes(data + junk)
    runs = [_run(source, tmp_path / f"j{jobs}.jsonl", model=toy_model, chunk_size=chunk_size, jobs=jobs) for jobs in (1, 2)]
    assert runs[1] == runs[0] and runs[0][0] == fmt
    errors = runs[0][6].splitlines()
    assert json.loads(errors[-1]) == {"line": data.count(b"\n") + 1, "raw": junk.decode(), "reason": "content after the end of the JSON object"}
    clean = _run(FIXTURES / name, tmp_path / "clean.jsonl", model=toy_model, chunk_size=chunk_size)
    assert runs[0][5] == clean[5] and runs[0][1:4] == (clean[1] + 1, clean[2], clean[3] + 1)
