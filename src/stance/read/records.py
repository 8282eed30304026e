"""Records: what every reader yields, the limits on one record, and field paths.

Every reader yields, for each input record, either a :class:`Record` or a
:class:`BadRecord` that names its line (or record) number and the reason, so nothing is
silently dropped. The helpers here word those reasons the same way for every format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import Reasons

RAW_LIMIT = 1024  # bytes of raw input kept in an error record
MAX_RECORD = 1 << 20  # a line or JSON element longer than this is rejected, not buffered
MAX_PAGE = 64 << 20  # an API page (x-api / wrapper objects) is parsed whole, up to this size
MAX_PARENTS = 200_000  # parent texts remembered for context resolution

NUL = b"\x00"


@dataclass
class Record:
    """One parsed input record. ``number`` is its 1-based line or record number.

    Platform formats know where the text and the parent post live: they set ``text``
    (``None`` when absent), ``text_field`` (the path it was read from) and ``context``.
    Generic formats leave ``text_field`` as ``None`` for the caller to choose the field.
    ``end`` is the byte offset just past the record in its input (for progress).
    ``skipped`` says why a row of an annotation-tool export is not a rating (a cancelled
    or ignored answer, say); such rows are counted and reported, never used.
    """

    number: int
    fields: dict[str, Any]
    text: Any = None
    context: str | None = None
    end: int = 0
    unit: str = "line"
    text_field: str | None = None
    skipped: str | None = None


@dataclass
class BadRecord:
    """An input record that could not be parsed."""

    number: int
    raw: str
    reason: str
    end: int = 0
    unit: str = "line"


def raw_head(data: bytes | str) -> str:
    """The first :data:`RAW_LIMIT` bytes of a record's raw input, as text for the errors file."""
    if isinstance(data, bytes):
        data = data[:RAW_LIMIT].decode("utf-8", errors="replace")
    return data[:RAW_LIMIT]


def too_long(kind: str) -> str:
    """The reason for a line or value longer than :data:`MAX_RECORD`."""
    return Reasons.TOO_LONG.format(kind=kind, megabytes=MAX_RECORD // (1 << 20))


def bad_text(data: bytes) -> str | None:
    """Why a line cannot be text, or None when it is clean UTF-8 without NUL bytes."""
    if NUL in data:
        return Reasons.NUL_BYTE.format(at=data.index(NUL) + 1)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Reasons.NOT_UTF8.format(at=exc.start + 1, why=exc.reason)
    return None


def json_reason(data: bytes, exc: Exception) -> str:
    """Why ``data`` did not parse as JSON: not text at all, or not valid JSON."""
    return bad_text(data) or Reasons.NOT_JSON.format(why=exc)


def not_an_object(value: Any) -> str:
    """The reason for a JSON value that is not an object where a record must be one."""
    return Reasons.NOT_AN_OBJECT.format(kind=type(value).__name__)


def _lookup(fields: dict[str, Any], path: str) -> tuple[bool, Any]:
    """(found, value) of a possibly nested field; a dotted path walks into objects."""
    if path in fields:
        return True, fields[path]
    value: Any = fields
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def get_field(fields: dict[str, Any], path: str) -> Any:
    """A possibly nested field: ``"record.text"`` reads ``fields["record"]["text"]``."""
    return _lookup(fields, path)[1]


def has_field(fields: dict[str, Any], path: str) -> bool:
    """Whether the (possibly nested) field exists at all, even with a null value."""
    return _lookup(fields, path)[0]
