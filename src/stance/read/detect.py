"""Format detection: which reader fits an input, from the head of its content.

Annotation-tool exports are recognised first (by the shape of their first task or row, or
a CSV's header), then platform exports (by the shape of their first post, page or
wrapper), then the generic formats; extensions decide only between CSV and TSV-like text.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import orjson

from ..errors import Errors, InputError, Reasons
from .annotations import is_label_studio_header, tool_of
from .compressed import strip_suffix
from .jsonsplit import json_items
from .parquet import MAGIC as PARQUET_MAGIC
from .platform import unwrap
from .source import HEAD_SIZE, ByteSource, BytesHandle


def _classify_post(value: Any) -> str | None:
    """Which platform a parsed post, page or wrapper comes from, if any."""
    if isinstance(value, dict):
        if isinstance(value.get("data"), (list, dict)) and ("includes" in value or "meta" in value):
            return "x-api"
        inner = unwrap(value)
        if inner:
            kind = _classify_post(inner[0])
            return kind if kind else ("x-api" if "data" in value else None)
        if isinstance(value.get("tweet"), dict) and "full_text" in value["tweet"]:
            return "x-archive"
        if "full_text" in value and "id_str" in value:
            return "x-archive"
        if "content" in value and ("in_reply_to_id" in value or "visibility" in value or "account" in value):
            return "mastodon"
        post = value.get("post") if isinstance(value.get("post"), dict) else value
        record = post.get("record", post.get("value", post))
        if isinstance(record, dict) and record.get("$type") == "app.bsky.feed.post":
            return "bluesky"
    return None


def detect_format(path: str | os.PathLike[str] | ByteSource) -> str:
    """Guess the format from the content: platform exports first, then generic formats.

    Extensions decide only between CSV and TSV-like text; content always wins for JSON.
    """
    source = path if isinstance(path, ByteSource) else ByteSource.open(path)
    try:
        head = source.peek(HEAD_SIZE)
    finally:
        if not isinstance(path, ByteSource):
            source.close()
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    suffix = Path(strip_suffix(source.name) if source.compression else source.name).suffix.lower()
    container = not_text_export(head, suffix)
    if container:
        raise InputError(Errors.E020.format(path=source.name, reason=container))
    text = head.lstrip(b" \t\r\n")  # a leading BOM is already skipped; any other is content
    if re.match(rb"window\.YTD\.[\w.]+\s*=", text):  # the assignment, not just the name
        return "x-archive"
    lines_of_json = suffix in (".jsonl", ".ndjson") or _one_value_per_line(text)
    if text.startswith((b"[", b"{")) or lines_of_json:
        first = _first_value(text) if not lines_of_json else _first_line_value(text)
        # before the platforms: a Label Studio task's top-level "data" is no X API page
        kind = tool_of(first, lines=lines_of_json or text.startswith(b"{")) or _classify_post(first)
        if kind:
            return kind
        if lines_of_json or text.startswith(b"{"):
            return "jsonl"
        return "json"
    first_line = text.split(b"\n", 1)[0]
    if suffix != ".tsv" and is_label_studio_header(first_line):
        return "label-studio-csv"
    if suffix in (".csv", ".tsv"):
        return suffix[1:]
    if suffix == ".txt":
        return "text"
    if b"\t" in first_line:
        return "tsv"
    if b"," in first_line and re.fullmatch(rb"\"?[\w.\-]+\"?(,\"?[\w.\-]+\"?)+\r?", first_line):
        return "csv"
    return "text"


# Files people export or are sent that are no text export: what each is, by its magic bytes.
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003, Word 97-2003
SPREADSHEET_SUFFIXES = {".xlsx": "Excel", ".xlsm": "Excel", ".xls": "Excel 97-2003", ".ods": "OpenDocument"}
DOCUMENT_SUFFIXES = {".docx": "Word", ".doc": "Word 97-2003", ".odt": "OpenDocument"}


def not_text_export(head: bytes, suffix: str) -> str | None:
    """Why content that starts with ``head`` (of a file named with ``suffix``) is a workbook,
    document, archive or database rather than records, with the way out; None for anything else."""
    if head.startswith((ZIP_MAGIC, OLE2_MAGIC)):
        if suffix in SPREADSHEET_SUFFIXES:
            return Reasons.SPREADSHEET.format(kind=SPREADSHEET_SUFFIXES[suffix])
        if suffix in DOCUMENT_SUFFIXES:
            return Reasons.DOCUMENT.format(kind=DOCUMENT_SUFFIXES[suffix])
        if head.startswith(OLE2_MAGIC):
            return Reasons.DOCUMENT.format(kind="Microsoft Office 97-2003")
        return Reasons.ARCHIVE.format(kind="zip")
    if head.startswith(b"%PDF-"):
        return Reasons.DOCUMENT.format(kind="PDF")
    if head.startswith(b"SQLite format 3\x00"):
        return Reasons.DATABASE
    if head.startswith((b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07")):
        return Reasons.ARCHIVE.format(kind="7z" if head.startswith(b"7z") else "RAR")
    if head[257:262] == b"ustar" and b"\x00" in head[:257]:  # a tar header (of a .tar, or inside a .tar.gz); text has no NUL
        return Reasons.ARCHIVE.format(kind="tar")
    return None


def _first_line_value(head: bytes) -> Any:
    try:
        return orjson.loads(head.split(b"\n", 1)[0])
    except orjson.JSONDecodeError:
        return None


def _one_value_per_line(head: bytes) -> bool:
    """Whether the first two lines are each a whole JSON value (JSONL, even of arrays)."""
    lines = [line for line in head.split(b"\n")[:3] if line.strip()]
    if len(lines) < 2 or not lines[0].lstrip().startswith(b"["):
        return False
    try:
        orjson.loads(lines[0])
        orjson.loads(lines[1])
    except orjson.JSONDecodeError:
        return False
    return True


def _first_value(head: bytes) -> Any:
    """The first post-like value in the head of a JSON file, or None when cut off."""
    source = ByteSource(BytesHandle(head), "<head>")
    elements = head.startswith(b"[")
    for raw, _, problem, _ in json_items(source, elements=elements, limit=len(head)):
        if problem or raw is None:
            return None
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        return value
    # a first value bigger than the head: try the first line (JSONL)
    return None if elements else _first_line_value(head)
