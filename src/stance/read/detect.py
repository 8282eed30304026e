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
    text = head.lstrip(b" \t\r\n")  # a leading BOM is already skipped; any other is content
    suffix = Path(strip_suffix(source.name) if source.compression else source.name).suffix.lower()
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
