"""JSON array: the elements of a top-level array, one at a time (never held whole)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import orjson

from ..errors import Errors, InputError, Reasons
from .jsonsplit import TOO_LONG, json_items
from .records import MAX_RECORD, BadRecord, Record, json_reason, not_an_object, raw_head, too_long
from .source import HEAD_SIZE, ByteSource


def read_json_array(path: str | os.PathLike[str] | ByteSource) -> Iterator[Record | BadRecord]:
    """Elements of a JSON array, one at a time (the array is never held whole).

    Arrays that follow it (concatenated) are read on; anything else after it is one
    :class:`BadRecord` numbered by the line it starts on, so it is never silently dropped.
    """
    source = ByteSource.of(path)
    head = source.peek(HEAD_SIZE).lstrip(b" \t\r\n")  # JSON's whitespace, as the splitter's
    if head and not head.startswith(b"["):
        raise InputError(Errors.E020.format(path=source.name, reason=Reasons.NOT_AN_ARRAY))
    number = 0
    for raw, end, problem, line in json_items(source, elements=True, limit=MAX_RECORD):
        if raw is not None and not raw.strip() and problem is None:
            continue
        if line:
            yield BadRecord(line, raw_head(raw or b""), problem or "", end, "line")
            continue
        number += 1
        if problem == TOO_LONG:
            yield BadRecord(number, "", too_long("the element"), end, "record")
            continue
        if problem:
            yield BadRecord(number, raw_head(raw or b""), problem, end, "record")
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            yield BadRecord(number, raw_head(raw), json_reason(raw, exc), end, "record")
            continue
        if type(value) is not dict:
            yield BadRecord(number, raw_head(raw), not_an_object(value), end, "record")
            continue
        yield Record(number, value, end=end, unit="record")
