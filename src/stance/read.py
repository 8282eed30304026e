"""Read: stream records out of input files, one small reader per format.

Every reader yields, for each input record, either a :class:`Record` or a
:class:`BadRecord` that names its line (or record) number and the reason, so nothing is
silently dropped. Readers are generators over a byte stream: memory stays bounded by one
record (or, for the API-page formats, one page) however large the file is. A UTF-8 byte
order mark at the very start of the input is skipped for every format (see
:class:`ByteSource`); anywhere else it is content.

Formats
-------
``jsonl``, ``json`` (an array), ``csv``, ``tsv``, ``text`` (one reply per line) are
generic: the text, id and context come from fields named by the caller (nested paths such
as ``record.text`` work). The platform formats know where their text and thread live:

``x-api``
    X/Twitter API v2 responses ``{"data": [...], "includes": {...}}``, one or many per
    file (concatenated, one per line, or in an array). Text is ``note_tweet.text`` when
    present, else ``text``; the tweet replied to (``referenced_tweets``) is the context.
``x-archive``
    ``tweets.js`` from an X account archive (``window.YTD.tweets.part0 = [...]``); text
    is ``tweet.full_text``.
``mastodon``
    Mastodon ``Status`` entities (an API array, JSONL, or a ``/context`` response); the
    HTML ``content`` is turned into text with an HTML parser.
``bluesky``
    ``app.bsky.feed.post`` records, bare or inside the views and listings the API returns
    (``feed``, ``posts``, ``records``); text is ``record.text``.

Where the format names a parent post, its text becomes the record's ``context`` when the
parent is in the same page or anywhere in the file. Parents are found by a pre-pass over a
seekable file that keeps only the texts of posts that some record replies to.
"""

from __future__ import annotations

import csv
import html
import os
import re
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any

import orjson

from .errors import Errors, InputError

RAW_LIMIT = 1024  # bytes of raw input kept in an error record
MAX_RECORD = 1 << 20  # a line or JSON element longer than this is rejected, not buffered
MAX_PAGE = 64 << 20  # an API page (x-api / wrapper objects) is parsed whole, up to this size
MAX_PARENTS = 200_000  # parent texts remembered for context resolution
_CHUNK = 1 << 16
_READ = 1 << 20  # bytes read at a time when cutting line blocks
_BLOCK_LINES = 4096  # lines per block when a reader splits lines for itself

GENERIC_FORMATS = ("jsonl", "json", "csv", "tsv", "text")
PLATFORM_FORMATS = ("x-api", "x-archive", "mastodon", "bluesky")
FORMATS = GENERIC_FORMATS + PLATFORM_FORMATS

NUL = b"\x00"
BOM = b"\xef\xbb\xbf"  # UTF-8 byte order mark, which Windows tools put at the start of exports


@dataclass
class Record:
    """One parsed input record. ``number`` is its 1-based line or record number.

    Platform formats know where the text and the parent post live: they set ``text``
    (``None`` when absent), ``text_field`` (the path it was read from) and ``context``.
    Generic formats leave ``text_field`` as ``None`` for the caller to choose the field.
    ``end`` is the byte offset just past the record in its input (for progress).
    """

    number: int
    fields: dict[str, Any]
    text: Any = None
    context: str | None = None
    end: int = 0
    unit: str = "line"
    text_field: str | None = None

    @property
    def has_text(self) -> bool:
        return self.text_field is not None


@dataclass
class BadRecord:
    """An input record that could not be parsed."""

    number: int
    raw: str
    reason: str
    end: int = 0
    unit: str = "line"


def _raw(data: bytes | str) -> str:
    if isinstance(data, bytes):
        data = data[:RAW_LIMIT].decode("utf-8", errors="replace")
    return data[:RAW_LIMIT]


# -- byte sources --------------------------------------------------------------------------
class ByteSource:
    """A binary stream with a pushback buffer and a byte position.

    Detection reads the head of the stream, which must then be read again by the reader;
    stdin cannot seek, so the head is pushed back instead.

    A UTF-8 byte order mark at the very start is skipped here, once for every format and
    for detection: no reader ever sees it. ``start`` is where the content begins (3 after
    a BOM, else 0); positions stay byte offsets in the whole input, so offsets stored in a
    checkpoint mean the same whether or not the BOM was there.
    """

    def __init__(self, handle: IO[bytes], name: str, size: int | None = None) -> None:
        self.handle = handle
        self.name = name
        self.size = size
        self.position = 0
        self._pushback = b""
        if self.peek(len(BOM)) == BOM:
            self.read(len(BOM))
        self.start = self.position

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> "ByteSource":
        if str(path) == "-":
            return cls(sys.stdin.buffer, "<stdin>")
        path = Path(path)
        if not path.is_file():
            raise InputError(Errors.E020.format(path=path, reason="no such file"))
        return cls(open(path, "rb"), str(path), path.stat().st_size)

    def peek(self, n: int) -> bytes:
        while len(self._pushback) < n:
            more = self.handle.read(n - len(self._pushback))
            if not more:
                break
            self._pushback += more
        return self._pushback[:n]

    def read(self, n: int = _CHUNK) -> bytes:
        if self._pushback:
            data, self._pushback = self._pushback[:n], self._pushback[n:]
        else:
            data = self.handle.read(n)
        self.position += len(data)
        return data

    def readline(self, limit: int) -> bytes:
        if self._pushback:
            cut = self._pushback.find(b"\n", 0, limit)
            if cut >= 0:
                data, self._pushback = self._pushback[: cut + 1], self._pushback[cut + 1 :]
            elif len(self._pushback) >= limit:
                data, self._pushback = self._pushback[:limit], self._pushback[limit:]
            else:
                data, self._pushback = self._pushback, b""
                data += self.handle.readline(limit - len(data))
        else:
            data = self.handle.readline(limit)
        self.position += len(data)
        return data

    def skip_to(self, offset: int) -> None:
        """Go on from byte ``offset`` (not behind the position): a seek when the stream
        can seek, else the bytes up to it are read and dropped (stdin). An offset inside
        the byte order mark (0, say: nothing done yet) is where the content starts."""
        offset = max(offset, self.start)
        if offset < self.position:
            raise ValueError(f"cannot go back from byte {self.position} to {offset}")
        if self.size is not None:
            self.handle.seek(offset)
            self._pushback = b""
            self.position = offset
            return
        while self.position < offset:
            if not self.read(min(_READ, offset - self.position)):
                break

    def rewind(self) -> bool:
        """Start again from the beginning; False when the stream cannot seek (stdin)."""
        if self.size is None:
            return False
        self.handle.seek(self.start)  # past the byte order mark, as when opened
        self._pushback = b""
        self.position = self.start
        return True

    def close(self) -> None:
        if self.handle is not sys.stdin.buffer:
            self.handle.close()


@dataclass
class LineBlock:
    """Whole lines of a line-based input, cut out of the stream without being parsed.

    ``data`` holds ``lines`` whole lines, each with its newline (the last line of the input
    may lack one); ``number`` is the 1-based number of the first of them, and ``start`` and
    ``end`` are the byte offsets of the block in the input. A line longer than
    :data:`MAX_RECORD` comes alone in a block with ``too_long`` set, and ``data`` is then
    only its first :data:`RAW_LIMIT` bytes: the rest was never held.

    Blocks are what a parallel run sends to its workers; :func:`parse_line_block` turns one
    into records with the same code as :func:`read_jsonl` and :func:`read_text_lines`.
    """

    number: int
    start: int
    end: int
    lines: int
    data: bytes
    too_long: bool = False


def line_blocks(source: ByteSource, max_lines: int, *, number: int = 0) -> Iterator[LineBlock]:
    """Blocks of at most ``max_lines`` whole lines from the current position of ``source``.

    ``number`` is the number of lines before that position (when resuming part-way). Only
    newlines are looked at, so a block costs a few ``find`` calls and one copy.
    """
    if max_lines < 1:
        raise ValueError("max_lines must be at least 1")
    buf = b""
    base = source.position  # input offset of buf[0]
    pos = 0  # where the next line starts, in buf
    eof = False
    limit = MAX_RECORD + 1  # a newline must come within this many bytes of a line's start
    while True:
        start, count, too_long = pos, 0, False
        while count < max_lines:
            cut = buf.find(b"\n", pos, pos + limit)
            if cut >= 0:
                pos = cut + 1
                count += 1
            elif len(buf) - pos >= limit:
                too_long = True
                break
            elif eof:
                if pos < len(buf):  # the last line, without a newline
                    pos = len(buf)
                    count += 1
                break
            else:  # keep the block so far, read more
                buf, base, pos, start = buf[start:], base + start, pos - start, 0
                more = source.read(_READ)
                eof = not more
                buf += more
        if count:
            yield LineBlock(number + 1, base + start, base + pos, count, buf[start:pos])
            number += count
        if not too_long:
            if eof and pos >= len(buf):
                return
            continue
        # A line longer than MAX_RECORD: keep its head, drop the rest without holding it.
        head, line_start = buf[pos : pos + RAW_LIMIT], base + pos
        scan = pos + limit  # no newline before this
        while True:
            cut = buf.find(b"\n", scan)
            if cut >= 0:
                pos = cut + 1
                break
            base, buf, pos, scan = base + len(buf), b"", 0, 0
            if eof:
                break
            buf = source.read(_READ)
            eof = not buf
        number += 1
        yield LineBlock(number, line_start, base + pos, 1, head, too_long=True)
        if eof and pos >= len(buf):
            return


def _block_lines(block: LineBlock) -> Iterator[tuple[int, bytes, int]]:
    """(line number, line, end offset) per line of a block; a negative end marks a line
    longer than MAX_RECORD (the line is then only its head)."""
    if block.too_long:
        yield block.number, block.data, -block.end
        return
    data = block.data
    find = data.find
    size = len(data)
    number = block.number - 1
    base = block.start
    pos = 0
    while pos < size:
        cut = find(b"\n", pos) + 1 or size
        number += 1
        yield number, data[pos:cut], base + cut
        pos = cut


def _lines(source: ByteSource) -> Iterator[tuple[int, bytes, int]]:
    """(line number, line, end offset) per line; see :func:`_block_lines`."""
    for block in line_blocks(source, _BLOCK_LINES):
        yield from _block_lines(block)


def _too_long(kind: str) -> str:
    return f"{kind} is longer than {MAX_RECORD // (1 << 20)} MB"


def _bad_text(data: bytes) -> str | None:
    """Why a line cannot be text, or None when it is clean UTF-8 without NUL bytes."""
    if NUL in data:
        return f"contains a NUL byte at byte {data.index(NUL) + 1}"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not valid UTF-8 (byte {exc.start + 1}: {exc.reason})"
    return None


def _json_reason(data: bytes, exc: Exception) -> str:
    return _bad_text(data) or f"not valid JSON ({exc})"


# -- JSON values in a stream ---------------------------------------------------------------
_STRUCT = re.compile(rb'["\[\]{},]')
_STRING_REST = re.compile(rb'(?:[^"\\]|\\.)*"', re.S)


def _json_items(source: ByteSource, *, elements: bool, limit: int, script: bytes = b"") -> Iterator[tuple[bytes | None, int, str | None, int]]:
    for raw, end, problem, line in _split_json(source, elements=elements, limit=limit, script=script):
        if problem is None and raw is not None and len(raw) > limit:
            yield None, end, "too long", 0
        else:
            yield raw, end, problem, line


AFTER_ARRAY = "content after the end of the JSON array"
AFTER_OBJECT = "content after the end of the JSON object"
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
    item longer than ``limit`` is reported with the problem ``"too long"`` and skipped
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
                yield None, base + len(buf), "too long", 0
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
        yield buf[start:].strip(), base + len(buf), "the file ends inside this value (truncated JSON)", 0


# -- generic formats -----------------------------------------------------------------------
def _jsonl_records(lines: Iterable[tuple[int, bytes, int]]) -> Iterator[Record | BadRecord]:
    """JSONL records from (line number, line, end offset) triples (see :func:`_block_lines`)."""
    loads = orjson.loads
    for number, line, end in lines:
        if end < 0:
            yield BadRecord(number, _raw(line), _too_long("the line"), -end)
            continue
        if not line.strip():
            continue
        try:
            value = loads(line)
        except orjson.JSONDecodeError as exc:
            yield BadRecord(number, _raw(line), _json_reason(line, exc), end)
            continue
        if type(value) is not dict:
            yield BadRecord(number, _raw(line), f"a JSON {type(value).__name__}, not an object", end)
            continue
        yield Record(number, value, end=end)


def _text_records(lines: Iterable[tuple[int, bytes, int]]) -> Iterator[Record | BadRecord]:
    """Text records (one reply per line, blank lines skipped) from (number, line, end) triples."""
    for number, line, end in lines:
        if end < 0:
            yield BadRecord(number, _raw(line), _too_long("the line"), -end)
            continue
        problem = _bad_text(line)
        if problem:
            yield BadRecord(number, _raw(line), problem, end)
            continue
        text = line.decode("utf-8").rstrip("\r\n")
        if text.strip():
            yield Record(number, {"text": text}, end=end)


LINE_FORMATS = ("jsonl", "text")
_LINE_PARSERS = {"jsonl": _jsonl_records, "text": _text_records}


def parse_line_block(block: LineBlock, format: str) -> list[Record | BadRecord]:
    """The records of one block of a ``jsonl`` or ``text`` input, exactly as the whole-file
    readers give them (numbers and offsets included)."""
    return list(_LINE_PARSERS[format](_block_lines(block)))


def read_jsonl(path: str | os.PathLike[str] | ByteSource) -> Iterator[Record | BadRecord]:
    source = path if isinstance(path, ByteSource) else ByteSource.open(path)
    yield from _jsonl_records(_lines(source))


def read_text_lines(path: str | os.PathLike[str] | ByteSource) -> Iterator[Record | BadRecord]:
    """Plain text, one reply per line; blank lines are not records."""
    source = path if isinstance(path, ByteSource) else ByteSource.open(path)
    yield from _text_records(_lines(source))


def read_json_array(path: str | os.PathLike[str] | ByteSource) -> Iterator[Record | BadRecord]:
    """Elements of a JSON array, one at a time (the array is never held whole).

    Arrays that follow it (concatenated) are read on; anything else after it is one
    :class:`BadRecord` numbered by the line it starts on, so it is never silently dropped.
    """
    source = path if isinstance(path, ByteSource) else ByteSource.open(path)
    head = source.peek(_CHUNK).lstrip(b" \t\r\n")  # JSON's whitespace, as the splitter's
    if head and not head.startswith(b"["):
        raise InputError(Errors.E020.format(path=source.name, reason="the JSON is not an array of objects"))
    number = 0
    for raw, end, problem, line in _json_items(source, elements=True, limit=MAX_RECORD):
        if raw is not None and not raw.strip() and problem is None:
            continue
        if line:
            yield BadRecord(line, _raw(raw or b""), problem or "", end, "line")
            continue
        number += 1
        if problem == "too long":
            yield BadRecord(number, "", _too_long("the element"), end, "record")
            continue
        if problem:
            yield BadRecord(number, _raw(raw or b""), problem, end, "record")
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            yield BadRecord(number, _raw(raw), _json_reason(raw, exc), end, "record")
            continue
        if type(value) is not dict:
            yield BadRecord(number, _raw(raw), f"a JSON {type(value).__name__}, not an object", end, "record")
            continue
        yield Record(number, value, end=end, unit="record")


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
            self.problems.append(_too_long("the line"))
            self.raw.append(line[:RAW_LIMIT])
            return "\n"
        self.raw.append(line[:RAW_LIMIT] if sum(map(len, self.raw)) < RAW_LIMIT else b"")
        problem = _bad_text(line)
        if problem:
            self.problems.append(problem)
            return line.decode("utf-8", errors="replace").replace("\x00", "")
        return line.decode("utf-8")

    def take(self) -> tuple[bytes, list[str]]:
        raw, problems = b"".join(self.raw), self.problems
        self.raw, self.problems = [], []
        return raw, problems


def read_delimited(path: str | os.PathLike[str] | ByteSource, delimiter: str = ",") -> Iterator[Record | BadRecord]:
    source = path if isinstance(path, ByteSource) else ByteSource.open(path)
    lines = _DecodedLines(source)
    csv.field_size_limit(MAX_RECORD * 2)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError(Errors.E020.format(path=source.name, reason=f"the header cannot be read ({exc})")) from None
    _, problems = lines.take()
    if problems:
        raise InputError(Errors.E020.format(path=source.name, reason=f"the header {problems[0]}"))
    while True:
        number = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raw, _ = lines.take()
            kind = "TSV" if delimiter == "\t" else "CSV"
            yield BadRecord(number, _raw(raw), f"not valid {kind} ({exc})", source.position)
            continue
        raw, problems = lines.take()
        if problems:
            yield BadRecord(number, _raw(raw), problems[0], source.position)
            continue
        if not row or row == [""]:
            continue
        if len(row) != len(header):
            yield BadRecord(number, _raw(raw), f"{len(row)} fields where the header has {len(header)}", source.position)
            continue
        yield Record(number, dict(zip(header, row)), end=source.position)


# -- HTML (Mastodon) -----------------------------------------------------------------------
class _HTMLText(HTMLParser):
    _BLOCK = {"p", "div", "blockquote", "li", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def _newlines(self, n: int) -> None:
        if not self.parts:
            return
        tail = "".join(self.parts[-2:])
        have = len(tail) - len(tail.rstrip("\n"))
        if have < n:
            self.parts.append("\n" * (n - have))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in self._BLOCK:
            self._newlines(2 if tag == "p" else 1)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCK:
            self._newlines(2 if tag == "p" else 1)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment: ``<br>`` and paragraphs become line breaks.

    Link text is kept (including the parts Mastodon hides with ``class="invisible"``, so
    URLs stay whole) and entities are decoded.

    Examples
    --------
    >>> html_to_text('<p>Hi <span class="h-card"><a href="https://x.y/@a">@<span>a</span></a></span> &amp; all</p><p>line<br />two</p>')
    'Hi @a & all\\n\\nline\\ntwo'
    """
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()


# -- platform formats ----------------------------------------------------------------------
@dataclass
class _Item:
    """A post found inside a platform record: its fields, text, own id and parent id."""

    fields: dict[str, Any]
    text: Any
    id: str | None
    parent: str | None
    where: str = "text"


def _unescape(text: Any) -> Any:
    # X escapes &, < and > in tweet text as HTML entities, in the API and the archive alike.
    return html.unescape(text) if isinstance(text, str) and "&" in text else text


def _tweet_text(tweet: dict[str, Any]) -> Any:
    note = tweet.get("note_tweet")
    if isinstance(note, dict) and isinstance(note.get("text"), str):
        return _unescape(note["text"])
    return _unescape(tweet.get("text"))


def _tweet_parent(tweet: dict[str, Any]) -> str | None:
    refs = tweet.get("referenced_tweets")
    if isinstance(refs, list):
        for ref in refs:
            if isinstance(ref, dict) and ref.get("type") == "replied_to" and ref.get("id") is not None:
                return str(ref["id"])
    return None


def _x_api_page(page: Any) -> tuple[list[Any], dict[str, str]]:
    """The tweets of one API v2 page, and the texts of the tweets in ``includes``."""
    if not isinstance(page, dict):
        return [page], {}
    data = page.get("data", [])
    if isinstance(data, dict):  # a single-tweet lookup
        data = [data]
    includes = page.get("includes")
    known: dict[str, str] = {}
    if isinstance(includes, dict) and isinstance(includes.get("tweets"), list):
        for tweet in includes["tweets"]:
            if isinstance(tweet, dict) and tweet.get("id") is not None:
                text = _tweet_text(tweet)
                if isinstance(text, str):
                    known[str(tweet["id"])] = text
    return data if isinstance(data, list) else [data], known


def _x_api_item(tweet: dict[str, Any]) -> _Item:
    where = "note_tweet.text" if isinstance(tweet.get("note_tweet"), dict) else "text"
    return _Item(tweet, _tweet_text(tweet), _str_or_none(tweet.get("id")), _tweet_parent(tweet), where)


def _x_archive_item(entry: dict[str, Any]) -> _Item:
    tweet = entry.get("tweet", entry)
    prefix = "tweet." if "tweet" in entry else ""
    if not isinstance(tweet, dict):
        return _Item(entry, None, None, None, "tweet.full_text")
    return _Item(
        entry,
        _unescape(tweet.get("full_text", tweet.get("text"))),
        _str_or_none(tweet.get("id_str", tweet.get("id"))),
        _str_or_none(tweet.get("in_reply_to_status_id_str", tweet.get("in_reply_to_status_id"))),
        prefix + "full_text",
    )


def _mastodon_item(status: dict[str, Any]) -> _Item:
    reblog = isinstance(status.get("reblog"), dict)
    shown = status["reblog"] if reblog else status
    content = shown.get("content")
    text = html_to_text(content) if isinstance(content, str) else content
    where = "reblog.content" if reblog else "content"
    return _Item(status, text, _str_or_none(status.get("id")), _str_or_none(status.get("in_reply_to_id")), where)


def _bluesky_item(entry: dict[str, Any]) -> _Item:
    where = ""
    post = entry
    if isinstance(entry.get("post"), dict):  # FeedViewPost
        post, where = entry["post"], "post."
    record = post
    for key in ("record", "value"):  # PostView / listRecords entry
        if isinstance(post.get(key), dict):
            record, where = post[key], f"{where}{key}."
            break
    reply = record.get("reply")
    parent = reply.get("parent") if isinstance(reply, dict) else None
    parent_uri = parent.get("uri") if isinstance(parent, dict) else None
    return _Item(entry, record.get("text"), _str_or_none(post.get("uri")), _str_or_none(parent_uri), where + "text")


def _bluesky_known(entry: dict[str, Any]) -> dict[str, str]:
    """A FeedViewPost carries its parent and root as full views: their texts are known."""
    known: dict[str, str] = {}
    reply = entry.get("reply")
    if isinstance(reply, dict):
        for view in (reply.get("parent"), reply.get("root")):
            if isinstance(view, dict) and isinstance(view.get("record"), dict):
                text = view["record"].get("text")
                if isinstance(text, str) and view.get("uri"):
                    known[str(view["uri"])] = text
    return known


def _str_or_none(value: Any) -> str | None:
    return None if value is None or isinstance(value, (dict, list)) else str(value)


_WRAPPERS = ("data", "feed", "posts", "records", "statuses", "orderedItems", "descendants", "ancestors", "items")


def _unwrap(value: Any) -> list[Any] | None:
    """The list of posts inside an API wrapper object, or None when it is not one."""
    if not isinstance(value, dict):
        return None
    lists = [value[k] for k in _WRAPPERS if isinstance(value.get(k), list)]
    if not lists:
        return None
    return [item for items in lists for item in items]


class _Platform:
    """How one platform's files are laid out: where posts are and how to read one."""

    def __init__(self, name: str, item: Callable[[dict[str, Any]], _Item], *, pages: bool = False) -> None:
        self.name = name
        self.item = item
        self.pages = pages

    def units(self, source: ByteSource) -> Iterator[tuple[Any, bytes, int, str | None, int]]:
        """(parsed post or page, raw, end offset, problem, line) for each unit of the
        file; ``line`` is 0 except for content after the top-level arrays or objects (see
        :func:`_split_json`).

        Content that is not JSON at all (text forced to a platform format, say) raises
        :class:`InputError`, as ``json`` does for a file that is not an array: it would
        otherwise give no records and no errors.
        """
        head = source.peek(_CHUNK)
        stripped = head.lstrip()
        if stripped.startswith(b"window.YTD.") or (stripped[:1].isalpha() and b"=" in stripped[:200]):
            # tweets.js: skip the JavaScript assignment up to the array
            prefix = head[: head.index(b"=") + 1] if b"=" in head else b""
            rest = head[len(prefix) :].lstrip(b" \t\r\n")
            if rest and not rest.startswith(b"["):
                raise self._not_ours(source, f"{_raw(prefix.strip()[-60:])!r} is not followed by a JSON array")
            source.read(len(prefix))
            yield from self._elements(source, script=prefix)
            return
        if stripped.startswith(b"["):
            yield from self._elements(source)
            return
        text = head.lstrip(b" \t\r\n")  # as detect_format sees it
        if text and not text.startswith((b"{", b"[")):
            raise self._not_ours(source, f"it starts with {_raw(text[:40]).splitlines()[0]!r}, not with a JSON array or object")
        if self.pages or not _first_line_is_object(head):
            # whole values, each an API page or a wrapper object (bounded by MAX_PAGE)
            for raw, end, problem, line in _json_items(source, elements=False, limit=MAX_PAGE):
                if line:  # content after the objects: counted by line, as it is no page
                    yield None, raw or b"", end, problem, line
                    continue
                yield from self._value(raw, end, problem)
            return
        for _, line, end in _lines(source):  # JSONL of posts
            if end < 0:
                yield None, line, -end, _too_long("the line"), 0
                continue
            if line.strip():
                yield from self._value(line, end, None)

    def _not_ours(self, source: ByteSource, why: str) -> InputError:
        return InputError(Errors.E020.format(path=source.name, reason=f"it is not {self.name} data: {why}"))

    def _elements(self, source: ByteSource, *, script: bytes = b"") -> Iterator[tuple[Any, bytes, int, str | None, int]]:
        limit = MAX_PAGE if self.pages else MAX_RECORD
        for raw, end, problem, line in _json_items(source, elements=True, limit=limit, script=script):
            if raw is not None and not raw.strip() and problem is None:
                continue
            if problem == "too long":
                yield None, b"", end, _too_long("the element"), 0
                continue
            if line:  # content after the array
                yield None, raw or b"", end, problem, line
                continue
            yield from self._value(raw or b"", end, problem)

    def _value(self, raw: bytes, end: int, problem: str | None) -> Iterator[tuple[Any, bytes, int, str | None, int]]:
        if problem:
            yield None, raw, end, problem if problem != "too long" else _too_long("the value"), 0
            return
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            yield None, raw, end, _json_reason(raw, exc), 0
            return
        yield value, raw, end, None, 0

    def records(self, source: ByteSource, parents: dict[str, str]) -> Iterator[Record | BadRecord]:
        recent: OrderedDict[str, str] = OrderedDict()  # parents seen earlier on stdin
        number = 0
        for value, raw, end, problem, line in self.units(source):
            if line:  # content after the arrays or objects: counted by line, as it is no record
                yield BadRecord(line, _raw(raw), problem or "", end, "line")
                continue
            if problem:
                number += 1
                yield BadRecord(number, _raw(raw), problem, end, "record")
                continue
            for post, known, whole in self._posts(value):
                number += 1
                if not isinstance(post, dict):
                    yield BadRecord(number, _raw(orjson.dumps(post)), f"a JSON {type(post).__name__}, not an object", end, "record")
                    continue
                item = self.item(post)
                context = None
                if item.parent is not None:
                    context = known.get(item.parent) or parents.get(item.parent) or recent.get(item.parent)
                if item.id is not None and isinstance(item.text, str) and not parents:
                    recent[item.id] = item.text
                    if len(recent) > MAX_PARENTS:
                        recent.popitem(last=False)
                yield Record(number, post, text=item.text, context=context, end=end, unit="record", text_field=item.where)

    def _posts(self, value: Any) -> Iterator[tuple[Any, dict[str, str], bool]]:
        if self.pages:
            pages = value if isinstance(value, list) else [value]
            for page in pages:
                posts, known = _x_api_page(page)
                for post in posts:
                    yield post, known, True
            return
        inner = _unwrap(value)
        for post in inner if inner is not None else [value]:
            known = _bluesky_known(post) if self.name == "bluesky" and isinstance(post, dict) else {}
            yield post, known, False

    def parent_texts(self, source: ByteSource) -> dict[str, str]:
        """Texts of the posts that some post in the file replies to (two passes)."""
        wanted: set[str] = set()
        for value, _, _, problem, _ in self.units(source):
            if problem is None:
                for post, known, _ in self._posts(value):
                    if isinstance(post, dict):
                        parent = self.item(post).parent
                        if parent is not None and parent not in known and len(wanted) < MAX_PARENTS:
                            wanted.add(parent)
        if not wanted or not source.rewind():
            source.rewind()
            return {}
        texts: dict[str, str] = {}
        for value, _, _, problem, _ in self.units(source):
            if problem is None:
                for post, _, _ in self._posts(value):
                    if isinstance(post, dict):
                        item = self.item(post)
                        if item.id in wanted and isinstance(item.text, str):
                            texts[item.id] = item.text
        source.rewind()
        return texts


def _first_line_is_object(head: bytes) -> bool:
    line = head.lstrip().split(b"\n", 1)[0]
    try:
        return isinstance(orjson.loads(line), dict)
    except orjson.JSONDecodeError:
        return False


PLATFORMS = {
    "x-api": _Platform("x-api", _x_api_item, pages=True),
    "x-archive": _Platform("x-archive", _x_archive_item),
    "mastodon": _Platform("mastodon", _mastodon_item),
    "bluesky": _Platform("bluesky", _bluesky_item),
}


# -- detection -----------------------------------------------------------------------------
def _classify_post(value: Any) -> str | None:
    """Which platform a parsed post, page or wrapper comes from, if any."""
    if isinstance(value, dict):
        if isinstance(value.get("data"), (list, dict)) and ("includes" in value or "meta" in value):
            return "x-api"
        inner = _unwrap(value)
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
        head = source.peek(_CHUNK)
    finally:
        if not isinstance(path, ByteSource):
            source.close()
    text = head.lstrip(b" \t\r\n")  # a leading BOM is already skipped; any other is content
    suffix = Path(source.name).suffix.lower()
    if re.match(rb"window\.YTD\.[\w.]+\s*=", text):  # the assignment, not just the name
        return "x-archive"
    lines_of_json = suffix in (".jsonl", ".ndjson") or _one_value_per_line(text)
    if text.startswith((b"[", b"{")) or lines_of_json:
        first = _first_value(text) if not lines_of_json else _first_line_value(text)
        kind = _classify_post(first)
        if kind:
            return kind
        if lines_of_json or text.startswith(b"{"):
            return "jsonl"
        return "json"
    if suffix in (".csv", ".tsv"):
        return suffix[1:]
    if suffix == ".txt":
        return "text"
    first_line = text.split(b"\n", 1)[0]
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
    source = ByteSource(_BytesHandle(head), "<head>")
    elements = head.startswith(b"[")
    for raw, _, problem, _ in _json_items(source, elements=elements, limit=len(head)):
        if problem or raw is None:
            return None
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        if elements and isinstance(value, dict) and _unwrap(value) is None and "tweet" not in value:
            return value
        return value
    if not elements:  # a first value bigger than the head: try the first line (JSONL)
        try:
            return orjson.loads(head.split(b"\n", 1)[0])
        except orjson.JSONDecodeError:
            return None
    return None


class _BytesHandle:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def read(self, n: int = -1) -> bytes:
        out = self.data[self.pos : self.pos + n] if n >= 0 else self.data[self.pos :]
        self.pos += len(out)
        return out

    def readline(self, limit: int = -1) -> bytes:
        end = self.data.find(b"\n", self.pos)
        end = len(self.data) if end < 0 else end + 1
        if limit >= 0:
            end = min(end, self.pos + limit)
        out = self.data[self.pos : end]
        self.pos = end
        return out


# -- entry points --------------------------------------------------------------------------
def open_input(path: str | os.PathLike[str], *, format: str | None = None) -> tuple[str, ByteSource]:
    """Open ``path`` (``"-"`` for stdin): its format (detected when not given) and its byte
    source, positioned at the start. Close the source when done."""
    if format is not None and format not in FORMATS:
        raise InputError(Errors.E040.format(format=format, formats=", ".join(FORMATS)))
    source = ByteSource.open(path)
    return format or detect_format(source), source


def records_of(fmt: str, source: ByteSource) -> Iterator[Record | BadRecord]:
    """The records of an opened input of format ``fmt``."""
    if fmt in PLATFORMS:
        platform = PLATFORMS[fmt]
        parents = platform.parent_texts(source) if source.size is not None else {}
        return platform.records(source, parents)
    if fmt == "jsonl":
        return read_jsonl(source)
    if fmt == "json":
        return read_json_array(source)
    if fmt in ("csv", "tsv"):
        return read_delimited(source, "\t" if fmt == "tsv" else ",")
    return read_text_lines(source)


def open_records(
    path: str | os.PathLike[str], *, format: str | None = None
) -> tuple[str, ByteSource, Iterator[Record | BadRecord]]:
    """Open ``path`` (``"-"`` for stdin): its format, its byte source and its records.

    The source's ``position`` and ``size`` give progress in bytes; close it when done.
    """
    fmt, source = open_input(path, format=format)
    return fmt, source, records_of(fmt, source)


def read_records(path: str | os.PathLike[str], *, format: str | None = None) -> Iterator[Record | BadRecord]:
    """Stream the records of ``path``; ``format`` is detected when not given."""
    _, source, records = open_records(path, format=format)

    def generate() -> Iterator[Record | BadRecord]:
        try:
            yield from records
        finally:
            source.close()

    return generate()


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
