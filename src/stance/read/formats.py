"""The readers by format name, and the entry points that open an input and stream its records."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import Errors, InputError, Reasons
from .annotations import TOOL_FORMATS, TOOL_READERS, single_label
from .bluesky import BLUESKY
from .delimited import read_delimited
from .json_array import read_json_array
from .jsonl import jsonl_records, read_jsonl
from .lines import LineBlock, block_lines
from .mastodon import MASTODON
from .parquet import read_parquet
from .records import BadRecord, Record, get_field, has_field, raw_head
from .detect import detect_format
from .source import ByteSource
from .text import read_text_lines, text_records
from .x import X_API, X_ARCHIVE


def read_csv(path: str | os.PathLike[str] | ByteSource) -> Iterator[Record | BadRecord]:
    """CSV with a header row (see :func:`stance.read.delimited.read_delimited`)."""
    return read_delimited(path, ",")


def read_tsv(path: str | os.PathLike[str] | ByteSource) -> Iterator[Record | BadRecord]:
    """TSV with a header row (see :func:`stance.read.delimited.read_delimited`)."""
    return read_delimited(path, "\t")


# The generic formats: the caller names the text, id and context fields.
READERS: dict[str, Callable[[ByteSource], Iterator[Record | BadRecord]]] = {
    "jsonl": read_jsonl,
    "json": read_json_array,
    "csv": read_csv,
    "tsv": read_tsv,
    "text": read_text_lines,
    "parquet": read_parquet,
}
# The platform formats know where their text and thread live.
PLATFORMS = {platform.name: platform for platform in (X_API, X_ARCHIVE, MASTODON, BLUESKY)}
# Line-based formats, which a parallel run cuts into blocks of raw lines (see parse_line_block).
LINE_PARSERS = {"jsonl": jsonl_records, "text": text_records}

GENERIC_FORMATS = tuple(READERS)
PLATFORM_FORMATS = tuple(PLATFORMS)
FORMATS = GENERIC_FORMATS + PLATFORM_FORMATS + TOOL_FORMATS
LINE_FORMATS = tuple(LINE_PARSERS)
# Formats whose records are rows of named fields (training data, annotations, gold labels).
ROW_FORMATS = tuple(fmt for fmt in GENERIC_FORMATS if fmt != "text") + TOOL_FORMATS


def parse_line_block(block: LineBlock, format: str) -> list[Record | BadRecord]:
    """The records of one block of a ``jsonl`` or ``text`` input, exactly as the whole-file
    readers give them (numbers and offsets included)."""
    return list(LINE_PARSERS[format](block_lines(block)))


def open_input(path: str | os.PathLike[str], *, format: str | None = None) -> tuple[str, ByteSource]:
    """Open ``path`` (``"-"`` for stdin): its format (detected when not given) and its byte
    source, positioned at the start. Close the source when done."""
    if format is not None and format not in FORMATS:
        raise InputError(Errors.E040.format(format=format, formats=", ".join(FORMATS)))
    source = ByteSource.open(path)
    try:
        return format or detect_format(source), source
    except BaseException:
        source.close()
        raise


def records_of(fmt: str, source: ByteSource, *, ratings: bool = False) -> Iterator[Record | BadRecord]:
    """The records of an opened input of format ``fmt``; for a compressed input that ends
    early (cut off, corrupt), every record before the damage and then one
    :class:`BadRecord` that says where it is (see :func:`damage_record`).

    An annotation-tool export gives one record per rating with ``ratings`` (training data,
    gold labels, agreement), else one per task (to label).
    """
    if fmt in TOOL_READERS:
        records = TOOL_READERS[fmt][0 if ratings else 1](source)
    elif fmt in PLATFORMS:
        platform = PLATFORMS[fmt]
        parents = platform.parent_texts(source) if source.seekable else {}
        records = platform.records(source, parents)
    else:
        records = READERS.get(fmt, read_text_lines)(source)
    return records if source.compression is None else _then_damage(records, source)


def _then_damage(records: Iterator[Record | BadRecord], source: ByteSource) -> Iterator[Record | BadRecord]:
    yield from records
    bad = damage_record(source)
    if bad is not None:
        yield bad


def damage_record(source: ByteSource) -> BadRecord | None:
    """The error record of a compressed input that ended early, numbered by the line of
    the content in which it ended (its reason has the byte offset in the file), or None."""
    if source.damage is None:
        return None
    return BadRecord(source.lines_read + 1, raw_head(source.withheld), source.damage, source.position, "line")


def open_records(
    path: str | os.PathLike[str], *, format: str | None = None, ratings: bool = False
) -> tuple[str, ByteSource, Iterator[Record | BadRecord]]:
    """Open ``path`` (``"-"`` for stdin): its format, its byte source and its records
    (``ratings``: see :func:`records_of`).

    The source's ``position`` and ``size`` give progress in bytes; close it when done.
    """
    fmt, source = open_input(path, format=format)
    return fmt, source, records_of(fmt, source, ratings=ratings)


def read_records(
    path: str | os.PathLike[str], *, format: str | None = None, ratings: bool = False
) -> Iterator[Record | BadRecord]:
    """Stream the records of ``path``; ``format`` is detected when not given."""
    _, source, records = open_records(path, format=format, ratings=ratings)

    def generate() -> Iterator[Record | BadRecord]:
        try:
            yield from records
        finally:
            source.close()

    return generate()


def strict_records(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    allow_empty: bool = False,
    skipped: Counter[str] | None = None,
) -> Iterator[Record]:
    """Stream the records of ``path``, failing on the first bad one with its line number.

    For inputs that must be whole (training data, annotations, a dump to label by hand),
    where a bad record is the user's to fix before going on. Unless ``allow_empty``, a file
    without records fails too, once it has been read to the end.

    With ``skipped`` (a counter), an annotation-tool export gives its ratings, and the
    rows that are not ratings are counted there by why (cancelled, ignored, ...), not given.

    Raises
    ------
    InputError
        At the first bad record, or at the end when there was no record.
    """
    count = 0
    for record in read_records(path, format=format, ratings=skipped is not None):
        if isinstance(record, BadRecord):
            raise InputError(Errors.E021.format(path=path, number=record.number, reason=record.reason))
        if record.skipped is not None and skipped is not None:
            skipped[record.skipped] += 1
            continue
        count += 1
        yield record
    if not count and skipped:
        raise InputError(Errors.E350.format(path=path, skipped=describe_skipped(skipped)))
    if not count and not allow_empty:
        raise InputError(Errors.E022.format(path=path))


def describe_skipped(skipped: Counter[str]) -> str:
    """Rows that are not ratings, in words, such as ``2 cancelled annotation(s) (...)``."""
    return "; ".join(Reasons.SKIPPED[why].format(n=n) for why, n in sorted(skipped.items()))


def read_rows(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    fields: tuple[str, ...] = (),
    label_fields: tuple[str, ...] = (),
    skipped: Counter[str] | None = None,
) -> list[dict[str, Any]]:
    """Read every record, failing on the first bad one with its line number (for training).

    Nested ``fields`` (paths such as ``data.text``) are copied to the top level under the
    path, so code that looks fields up by name finds them; each of ``label_fields`` is
    unwrapped when it is a one-element list, and several labels on one row fail naming its line.
    An annotation-tool export gives its ratings; ``skipped`` counts the rest (see
    :func:`strict_records`).
    """
    rows = []
    for record in strict_records(path, format=format, skipped=skipped if skipped is not None else Counter()):
        row = record.fields
        for path_ in fields:
            if path_ not in row and has_field(row, path_):
                row[path_] = get_field(row, path_)
        for name in label_fields:
            if isinstance(row.get(name), list):
                label, problem = single_label(row[name], name)
                if problem:
                    raise InputError(Errors.E021.format(path=path, number=record.number, reason=problem))
                row[name] = label
        rows.append(row)
    return rows
