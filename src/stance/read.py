"""Read: stream records out of input files, one small reader per format.

Every reader yields, for each input record, either a :class:`Record` or a
:class:`BadRecord` that names its line (or record) number and the reason, so nothing is
silently dropped.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from .errors import Errors, InputError

RAW_LIMIT = 1024  # bytes of raw input kept in an error record


@dataclass
class Record:
    """One parsed input record. ``number`` is its 1-based line or record number."""

    number: int
    fields: dict[str, Any]


@dataclass
class BadRecord:
    """An input record that could not be parsed."""

    number: int
    raw: str
    reason: str


def _raw(data: bytes | str) -> str:
    if isinstance(data, bytes):
        data = data[:RAW_LIMIT].decode("utf-8", errors="replace")
    return data[:RAW_LIMIT]


def detect_format(path: str | os.PathLike[str]) -> str:
    """Guess ``jsonl``, ``json``, ``csv`` or ``tsv`` from the extension, then the content."""
    suffix = Path(path).suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        return "jsonl"
    if suffix in {".csv", ".tsv", ".json"}:
        return suffix[1:]
    with open(path, "rb") as handle:
        head = handle.read(4096).lstrip()
    if head.startswith(b"["):
        return "json"
    if head.startswith(b"{"):
        return "jsonl"
    return "tsv" if b"\t" in head.split(b"\n", 1)[0] else "csv"


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[Record | BadRecord]:
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield BadRecord(number, _raw(line), f"not valid JSON ({exc})")
                continue
            if not isinstance(value, dict):
                yield BadRecord(number, _raw(line), f"a JSON {type(value).__name__}, not an object")
                continue
            yield Record(number, value)


def read_json_array(path: str | os.PathLike[str]) -> Iterator[Record | BadRecord]:
    try:
        values = orjson.loads(Path(path).read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InputError(Errors.E020.format(path=path, reason=f"not valid JSON ({exc})")) from None
    if not isinstance(values, list):
        raise InputError(Errors.E020.format(path=path, reason="the JSON is not an array of objects"))
    for number, value in enumerate(values, start=1):
        if isinstance(value, dict):
            yield Record(number, value)
        else:
            yield BadRecord(number, _raw(orjson.dumps(value)), f"a JSON {type(value).__name__}, not an object")


def read_delimited(path: str | os.PathLike[str], delimiter: str = ",") -> Iterator[Record | BadRecord]:
    with open(path, "rb") as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8", errors="strict", newline="")
        reader = csv.reader(text, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            raise InputError(Errors.E020.format(path=path, reason=f"the header is not UTF-8 ({exc})")) from None
        while True:
            number = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except (UnicodeDecodeError, csv.Error) as exc:
                raise InputError(Errors.E021.format(path=path, number=number, reason=str(exc))) from None
            if not row:
                continue
            if len(row) != len(header):
                yield BadRecord(number, _raw(delimiter.join(row)), f"{len(row)} fields where the header has {len(header)}")
                continue
            yield Record(number, dict(zip(header, row)))


def read_records(path: str | os.PathLike[str], *, format: str | None = None) -> Iterator[Record | BadRecord]:
    """Stream the records of ``path``; ``format`` is detected when not given."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Errors.E020.format(path=path, reason="no such file"))
    format = format or detect_format(path)
    if format == "jsonl":
        return read_jsonl(path)
    if format == "json":
        return read_json_array(path)
    if format in ("csv", "tsv"):
        return read_delimited(path, "\t" if format == "tsv" else ",")
    raise InputError(Errors.E020.format(path=path, reason=f"unknown format {format!r}; use jsonl, json, csv or tsv"))


def read_rows(path: str | os.PathLike[str], *, format: str | None = None) -> list[dict[str, Any]]:
    """Read every record, failing on the first bad one with its line number (for training)."""
    rows = []
    for record in read_records(path, format=format):
        if isinstance(record, BadRecord):
            raise InputError(Errors.E021.format(path=path, number=record.number, reason=record.reason))
        rows.append(record.fields)
    if not rows:
        raise InputError(Errors.E022.format(path=path))
    return rows


def get_field(fields: dict[str, Any], path: str) -> Any:
    """A possibly nested field: ``"record.text"`` reads ``fields["record"]["text"]``."""
    if path in fields:
        return fields[path]
    value: Any = fields
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value
