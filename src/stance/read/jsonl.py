"""JSONL: one JSON object per line; blank lines are not records."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

import orjson

from .lines import source_lines
from .records import BadRecord, Record, json_reason, not_an_object, raw_head, too_long
from .source import ByteSource


def jsonl_records(lines: Iterable[tuple[int, bytes, int]]) -> Iterator[Record | BadRecord]:
    """JSONL records from (line number, line, end offset) triples (see
    :func:`stance.read.lines.block_lines`)."""
    loads = orjson.loads
    for number, line, end in lines:
        if end < 0:
            yield BadRecord(number, raw_head(line), too_long("the line"), -end)
            continue
        if not line.strip():
            continue
        try:
            value = loads(line)
        except orjson.JSONDecodeError as exc:
            yield BadRecord(number, raw_head(line), json_reason(line, exc), end)
            continue
        if type(value) is not dict:
            yield BadRecord(number, raw_head(line), not_an_object(value), end)
            continue
        yield Record(number, value, end=end)


def read_jsonl(path: str | os.PathLike[str] | ByteSource) -> Iterator[Record | BadRecord]:
    """JSONL, one object per line, streamed a block of lines at a time."""
    yield from jsonl_records(source_lines(ByteSource.of(path)))
