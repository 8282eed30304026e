"""Splitting a stream into JSON texts without parsing it: the elements of top-level arrays,
or each top-level value, one at a time (the JSON-array and platform readers build on it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..errors import Reasons
from .records import RAW_LIMIT
from .source import ByteSource

TOO_LONG = "too long"  # the problem of an item longer than its limit; readers word it per kind
AFTER_ARRAY = Reasons.AFTER_ARRAY
AFTER_OBJECT = Reasons.AFTER_OBJECT

_STRUCT = re.compile(rb'["\[\]{},]')
_STRING_REST = re.compile(rb'(?:[^"\\]|\\.)*"', re.S)


def json_items(source: ByteSource, *, elements: bool, limit: int, script: bytes = b"") -> Iterator[tuple[bytes | None, int, str | None, int]]:
    """(raw, end offset, problem, line) per JSON text of ``source``, as :func:`_split_json`
    cuts them, with every item longer than ``limit`` marked :data:`TOO_LONG` and dropped."""
    for raw, end, problem, line in _split_json(source, elements=elements, limit=limit, script=script):
        if problem is None and raw is not None and len(raw) > limit:
            yield None, end, TOO_LONG, 0
        else:
            yield raw, end, problem, line


_BETWEEN_ARRAYS = re.compile(rb"[ \t\r\n]*")
_BETWEEN_STATEMENTS = re.compile(rb"[ \t\r\n;]*")  # tweets.js may end its assignment with ';'
# Top-level values may be separated by commas too: '{...},\n{...}' was always read whole,
# and a comma carries no data.
_BETWEEN_VALUES = re.compile(rb"[ \t\r\n,]*")


def _split_json(source: ByteSource, *, elements: bool, limit: int, script: bytes = b"") -> Iterator[tuple[bytes | None, int, str | None, int]]:
    """Split a stream into JSON texts without parsing them: (raw, end offset, problem, line).

    With ``elements``, yield the elements of top-level arrays; otherwise yield each
    top-level value (concatenated or one per line). Strings are skipped whole, so
    brackets inside them do not count. Only brackets are tracked, so a malformed element
    is still cut out and reported on its own while the rest of the stream goes on. An
    item longer than ``limit`` is reported with the problem :data:`TOO_LONG` and skipped
    without being held in memory.

    With ``elements`` only whitespace may come between and after the arrays; otherwise only
    whitespace and commas may come between and after the values, each an object or an
    array. Anything else ends the split: the rest of the stream is one last item with the
    problem :data:`AFTER_ARRAY` (or :data:`AFTER_OBJECT` when the last value was an
    object), its raw the first :data:`RAW_LIMIT` bytes and ``line`` the 1-based line it
    starts on. ``line`` is 0 for every other item, which is counted by record or page.
    ``script`` is the JavaScript already read before the array (tweets.js): its newlines
    count, and a ``;`` may end the statement.
    """
    buf = b""
    base = source.position  # stream offset of buf[0]
    pos = 0
    depth = 0
    start: int | None = None  # where the current item starts, in buf
    skipping = False  # inside an item that was too long
    in_string = False
    eof = False
    newlines = script.count(b"\n")  # newlines in the stream before buf[0], for the line of trailing content
    if elements:
        between, openers = _BETWEEN_STATEMENTS if script else _BETWEEN_ARRAYS, b"["
    else:
        between, openers = _BETWEEN_VALUES, b"{["
    after = AFTER_ARRAY if elements else AFTER_OBJECT  # what the last top-level value was
    while True:
        if depth == 0 and not in_string:
            # outside the top-level values: separators up to the next value, else trailing
            # content (once skipped without a word when it came between or after objects)
            pos = between.match(buf, pos).end()
            if pos == len(buf):
                if eof:
                    break
                newlines += buf.count(b"\n")
                base, buf, pos = base + len(buf), b"", 0
                buf = source.read()
                eof = not buf
                continue
            if buf[pos] not in openers:
                line = newlines + buf.count(b"\n", 0, pos) + 1
                while len(buf) - pos < RAW_LIMIT and not eof:
                    more = source.read()
                    eof = not more
                    buf += more
                end = base + len(buf)
                while not eof:  # read to the end, without holding it, for the end offset
                    more = source.read()
                    eof = not more
                    end += len(more)
                yield buf[pos : pos + RAW_LIMIT], end, after, line
                return
        if in_string:
            m = _STRING_REST.match(buf, pos)
            if m is not None:
                pos = m.end()
                in_string = False
                continue
            token = None
        else:
            token = _STRUCT.search(buf, pos)
        if token is None:
            if eof:
                break
            keep = start if start is not None else len(buf) if not in_string else pos
            if start is not None and len(buf) - start > limit:
                yield None, base + len(buf), TOO_LONG, 0
                start, skipping, keep = None, True, pos
            newlines += buf.count(b"\n", 0, keep)
            base += keep
            buf = buf[keep:]
            pos -= keep
            if start is not None:
                start = 0
            more = source.read()
            if not more:
                eof = True
            buf += more
            continue
        ch = token.group()
        at = token.start()
        pos = token.end()
        if ch == b'"':
            in_string = True
            continue
        if ch == b",":
            if elements and depth == 1:
                if start is not None and buf[start:at].strip():
                    yield buf[start:at].strip(), base + pos, None, 0
                start, skipping = (pos, False)
            continue
        if ch in b"[{":
            if elements and depth == 0:
                if ch == b"[":
                    start, skipping = pos, False
            elif not elements and depth == 0:
                start, skipping = at, False
            depth += 1
            continue
        depth -= 1  # a closing bracket; never below 0, as none is let in at depth 0
        if depth == 0:
            if not elements:
                after = AFTER_ARRAY if ch == b"]" else AFTER_OBJECT
            if elements and start is not None and buf[start:at].strip() and not skipping:
                yield buf[start:at].strip(), base + pos, None, 0
            elif not elements and start is not None and not skipping:
                yield buf[start:pos], base + pos, None, 0
            start, skipping = None, False
    if start is not None and buf[start:].strip() and not skipping:
        yield buf[start:].strip(), base + len(buf), Reasons.TRUNCATED_JSON, 0
