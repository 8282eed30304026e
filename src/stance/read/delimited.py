"""CSV and TSV: rows under a header, read through :mod:`csv` one physical line at a time."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator

from ..errors import Errors, InputError, Reasons
from .records import MAX_RECORD, RAW_LIMIT, BadRecord, Record, bad_text, raw_head, too_long
from .source import ByteSource


class _DecodedLines:
    """Decoded lines for :mod:`csv`, remembering which physical lines were not clean text."""

    def __init__(self, source: ByteSource) -> None:
        self.source = source
        self.problems: list[str] = []
        self.raw: list[bytes] = []

    def __iter__(self) -> "_DecodedLines":
        return self

    def __next__(self) -> str:
        line = self.source.readline(MAX_RECORD + 1)
        if not line:
            raise StopIteration
        if len(line) > MAX_RECORD and not line.endswith(b"\n"):
            while True:
                rest = self.source.readline(MAX_RECORD)
                if not rest or rest.endswith(b"\n"):
                    break
            self.problems.append(too_long("the line"))
            self.raw.append(line[:RAW_LIMIT])
            return "\n"
        self.raw.append(line[:RAW_LIMIT] if sum(map(len, self.raw)) < RAW_LIMIT else b"")
        problem = bad_text(line)
        if problem:
            self.problems.append(problem)
            return line.decode("utf-8", errors="replace").replace("\x00", "")
        return line.decode("utf-8")

    def take(self) -> tuple[bytes, list[str]]:
        raw, problems = b"".join(self.raw), self.problems
        self.raw, self.problems = [], []
        return raw, problems


def read_delimited(path: str | os.PathLike[str] | ByteSource, delimiter: str = ",") -> Iterator[Record | BadRecord]:
    """CSV (``delimiter=","``) or TSV (``"\t"``) with a header row; a record is a row,
    numbered by the line it starts on (a quoted field may span lines)."""
    source = ByteSource.of(path)
    lines = _DecodedLines(source)
    csv.field_size_limit(MAX_RECORD * 2)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError(Errors.E020.format(path=source.name, reason=Reasons.BAD_HEADER.format(why=exc))) from None
    _, problems = lines.take()
    if problems:
        raise InputError(Errors.E020.format(path=source.name, reason=Reasons.HEADER_PROBLEM.format(problem=problems[0])))
    while True:
        number = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raw, _ = lines.take()
            kind = "TSV" if delimiter == "\t" else "CSV"
            yield BadRecord(number, raw_head(raw), Reasons.NOT_DELIMITED.format(kind=kind, why=exc), source.position)
            continue
        raw, problems = lines.take()
        if problems:
            yield BadRecord(number, raw_head(raw), problems[0], source.position)
            continue
        if not row or row == [""]:
            continue
        if len(row) != len(header):
            yield BadRecord(number, raw_head(raw), Reasons.FIELD_COUNT.format(found=len(row), expected=len(header)), source.position)
            continue
        yield Record(number, dict(zip(header, row)), end=source.position)
