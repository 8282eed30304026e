"""Plain text: one reply per line; blank lines are not records."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from .lines import source_lines
from .records import BadRecord, Record, bad_text, raw_head, too_long
from .source import ByteSource


def text_records(lines: Iterable[tuple[int, bytes, int]]) -> Iterator[Record | BadRecord]:
    """Text records (one reply per line, blank lines skipped) from (number, line, end) triples."""
    for number, line, end in lines:
        if end < 0:
            yield BadRecord(number, raw_head(line), too_long("the line"), -end)
            continue
        problem = bad_text(line)
        if problem:
            yield BadRecord(number, raw_head(line), problem, end)
            continue
        text = line.decode("utf-8").rstrip("\r\n")
        if text.strip():
            yield Record(number, {"text": text}, end=end)


def read_text_lines(path: str | os.PathLike[str] | ByteSource) -> Iterator[Record | BadRecord]:
    """Plain text, one reply per line; blank lines are not records."""
    yield from text_records(source_lines(ByteSource.of(path)))
