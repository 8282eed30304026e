"""Labelling one chunk of records: rows for the output, error records for the errors file.

A chunk is labelled with one ``predict_proba`` call, so spaCy sees the whole chunk through
``nlp.pipe``. The same functions run in the parent process and in workers, so a parallel
run writes the very bytes a one-process run writes.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from ..errors import Reasons
from ..read import RAW_LIMIT, BadRecord, LineBlock, Record, get_field, has_field, parse_line_block

UNCERTAIN = "uncertain"
_DUMP = orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY


@dataclass(frozen=True)
class ChunkSpec:
    """Everything a worker needs to label a chunk, besides the model."""

    labels: tuple[str, ...]
    text_field: str | None
    context_field: str | None
    target_field: str | None
    id_field: str | None
    min_confidence: float | None
    explain: int = 0
    keep_text: bool = False  # rows carry the labelled text as stance_text (for annotation-tool tasks)


@dataclass
class ChunkResult:
    """A labelled chunk: ``n`` records in, ``rows`` and ``errors`` as JSONL bytes out.

    ``no_text_field`` counts the records without the text field at all (their field names,
    the first 20, are in ``fields``), and ``text_field_seen`` says whether any record had
    it: a file where no record has it has the wrong field name, not bad records.
    """

    n: int
    rows: bytes
    errors: bytes
    labelled: int
    rejected: int
    counts: dict[str, int]
    first_error: tuple[str, int, str] | None
    no_text_field: int = 0
    text_field_seen: bool = False
    fields: tuple[str, ...] = ()


def label_chunk(items: list[Record | BadRecord], spec: ChunkSpec, model: Any) -> ChunkResult:
    """Label one chunk: rows as JSONL bytes, error records as JSONL bytes, counts."""
    from ..memory import paused_gc

    with paused_gc():
        return _label_now(items, spec, model)


def label_lines(block: LineBlock, fmt: str, spec: ChunkSpec, model: Any) -> ChunkResult:
    """Parse one block of raw JSONL or text lines and label it (in a worker, in a parallel run)."""
    from ..memory import paused_gc

    with paused_gc():  # parsing allocates many small objects; see paused_gc
        items = parse_line_block(block, fmt)
    return label_chunk(items, spec, model)


def chunks(records: Iterator[Record | BadRecord], size: int) -> Iterator[list[Record | BadRecord]]:
    """The records in lists of ``size`` (the last one shorter)."""
    from ..memory import paused_gc

    while True:
        with paused_gc():  # parsing allocates many small objects; see paused_gc
            chunk = list(itertools.islice(records, size))
        if not chunk:
            return
        yield chunk


def skip(records: Iterator[Record | BadRecord], n: int) -> Iterator[Record | BadRecord]:
    """The records after the first ``n`` (already labelled by an interrupted run)."""
    for i, record in enumerate(records):
        if i >= n:
            yield record
            break
    yield from records


def _label_now(items: list[Record | BadRecord], spec: ChunkSpec, model: Any) -> ChunkResult:
    errors: list[bytes] = []
    first_error = None
    good: list[Record] = []
    texts: list[str] = []
    contexts: list[str | None] = []
    targets: list[str | None] = []
    no_field = 0
    seen = False
    names: dict[str, None] = {}
    for item in items:
        if type(item) is BadRecord:
            errors.append(_error_line(item.unit, item.number, item.raw, item.reason))
            first_error = first_error or (item.unit, item.number, item.reason)
            continue
        fields = item.fields
        if spec.text_field is None and item.text_field is not None:
            text, name = item.text, item.text_field
        else:
            name = spec.text_field or "text"
            text = fields[name] if name in fields else get_field(fields, name)
        if text is None and not has_field(fields, name):
            no_field += 1
            if len(names) < 20:
                names.update(dict.fromkeys(map(str, list(fields)[:20])))
        else:
            seen = True
        problem = _text_problem(fields, text, name)
        if problem is not None:
            ident = get_field(fields, spec.id_field) if spec.id_field else None
            errors.append(_error_line(item.unit, item.number, _raw_fields(fields), problem, ident))
            first_error = first_error or (item.unit, item.number, problem)
            continue
        if spec.context_field is None and item.text_field is not None:
            context = item.context
        else:
            context = get_field(fields, spec.context_field or "context")
        target = get_field(fields, spec.target_field) if spec.target_field else None
        good.append(item)
        texts.append(text)
        contexts.append(context if type(context) is str and context else None)
        targets.append(target if type(target) is str and target else None)
    rows = b""
    counts: Counter[str] = Counter()
    if good:
        from ..examples import Examples

        proba = model.predict_proba(Examples(texts, contexts, targets))
        reasons = (
            [
                [str(r) for r in model.explain(t, context=c, target=g, top=spec.explain)]
                for t, c, g in zip(texts, contexts, targets)
            ]
            if spec.explain
            else None
        )
        rows, counts = _rows(good, proba, spec, reasons, texts)
    return ChunkResult(
        len(items), rows, b"".join(errors), len(good), len(items) - len(good), dict(counts), first_error,
        no_field, seen, tuple(names)[:20],
    )


def _text_problem(fields: dict[str, Any], text: Any, name: str) -> str | None:
    """Why ``text`` cannot be labelled, or None when it can."""
    if type(text) is str:
        if not text.strip():
            return Reasons.TEXT_EMPTY.format(name=name)
        if "\x00" in text:
            return Reasons.TEXT_NUL.format(name=name)
        return None
    if text is None:
        if has_field(fields, name):
            return Reasons.TEXT_NULL.format(name=name)
        available = ", ".join(map(str, list(fields)[:20])) or "none"
        return Reasons.TEXT_MISSING.format(name=name, available=available)
    return Reasons.TEXT_NOT_STRING.format(name=name, kind=type(text).__name__)


def _error_line(unit: str, number: int, raw: str, reason: str, ident: Any = None) -> bytes:
    record: dict[str, Any] = {unit: number}
    if ident is not None:
        record["id"] = ident
    record["raw"] = raw
    record["reason"] = reason
    return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)


def _raw_fields(fields: dict[str, Any]) -> str:
    return orjson.dumps(fields, default=str)[:RAW_LIMIT].decode("utf-8", errors="ignore")


def _rows(
    good: list[Record], proba: np.ndarray, spec: ChunkSpec, reasons: list[list[str]] | None = None, texts: list[str] | None = None
) -> tuple[bytes, Counter[str]]:
    labels = spec.labels
    best = proba.argmax(axis=1)
    top = [labels[i] for i in best.tolist()]
    rounded = np.round(proba, 4).tolist()
    if spec.min_confidence is not None:
        confident = (proba.max(axis=1) >= spec.min_confidence).tolist()
        stance = [t if ok else UNCERTAIN for t, ok in zip(top, confident)]
    else:
        stance = top
    dumps = orjson.dumps
    out = []
    with_top = spec.min_confidence is not None
    for i, (record, label, p, t) in enumerate(zip(good, stance, rounded, top)):
        fields = record.fields
        fields["stance"] = label
        fields["stance_proba"] = dict(zip(labels, p))
        if with_top:
            fields["stance_top"] = t
        if reasons is not None:
            fields["stance_reasons"] = reasons[i]
        if spec.keep_text and texts is not None:
            fields["stance_text"] = texts[i]
        out.append(dumps(fields, option=_DUMP, default=str))
    return b"".join(out), Counter(stance)
