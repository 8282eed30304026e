"""Compressed input: gzip, bzip2, xz and zstandard, recognised by their magic bytes and
decompressed as they are read.

A :class:`Decompressed` handle reads the compressed file a block at a time and hands out
decompressed bytes, so memory does not grow with the file. Concatenated streams (several
gzip members, bzip2 or xz streams, zstandard frames) are read one after the other, as the
command-line tools do. zstandard frames may use windows up to 2 GiB (``zstd --long=31``,
as the Reddit dumps do).

A file that is cut off, or whose compressed data is corrupt, does not raise: the handle
ends there, as if the file ended, and :attr:`Decompressed.problem` says what happened and
where (the byte offset in the compressed file). Readers thus give every record before the
damage; the caller then reports it (see :func:`stance.read.formats.records_of`). The
unfinished line the damage cut through is never handed out (it would be a cut-off record,
which plain text would label as if whole): it is the raw input of that report.
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from typing import IO, Any

from ..errors import Errors, Reasons

RAW_BLOCK = 1 << 16  # compressed bytes read from the file at a time
FEED_SIZE = 1 << 12  # compressed bytes fed to the decompressor at a time
HOLD_LIMIT = 1 << 20  # an unfinished line held back up to this size (a record's limit)
ZSTD_MAX_WINDOW = 1 << 31  # zstd --long=31, the largest window the format allows
SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd", ".zstd": "zstd"}
COMPRESSIONS = ("gzip", "bzip2", "xz", "zstd")


def compression_of(head: bytes) -> str | None:
    """The compression whose magic bytes start ``head`` (at least 10 bytes), or None."""
    if head[:3] == b"\x1f\x8b\x08":  # gzip, deflate (the only method gzip defines)
        return "gzip"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:4] == b"\x28\xb5\x2f\xfd" or (head[1:4] == b"\x2a\x4d\x18" and 0x50 <= head[0] <= 0x5F):
        return "zstd"  # a frame, or a skippable frame
    # "BZh" + block size 1-9, then a block's or the end of stream's magic: plain text rarely
    # starts with those ten bytes, unlike with "BZh" alone
    if head[:3] == b"BZh" and head[3:4] in b"123456789" and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90"):
        return "bzip2"
    return None


def strip_suffix(name: str) -> str:
    """``name`` without a compression suffix (``dump.jsonl.zst`` → ``dump.jsonl``)."""
    lower = name.lower()
    for suffix in SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _decompressor(kind: str) -> Any:
    if kind == "gzip":
        return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    if kind == "bzip2":
        return bz2.BZ2Decompressor()
    if kind == "xz":
        return lzma.LZMADecompressor()
    try:
        import zstandard
    except ImportError:
        raise _zstd_missing() from None
    # a larger output buffer than the default 128 KiB halves the cost per call
    return zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW).decompressobj(write_size=1 << 20)


def _zstd_missing() -> Exception:
    from ..errors import InputError

    return InputError(Errors.E330)


def _errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError)
    try:
        import zstandard

        errors += (zstandard.ZstdError,)
    except ImportError:
        pass
    return errors


class Decompressed:
    """A read-only binary handle that decompresses ``raw`` (from its current position) as it
    is read. ``head`` is compressed data already read from ``raw`` (stdin's magic bytes).

    ``consumed`` is how many compressed bytes have been read (the position in the file on
    disk, for progress); ``problem`` is None, or the reason the data ended early.
    """

    def __init__(self, raw: IO[bytes], kind: str, *, head: bytes = b"") -> None:
        self.raw = raw
        self.kind = kind
        self.consumed = 0  # compressed bytes fed to decompressors so far
        self.produced = 0  # decompressed bytes handed out or buffered
        self.newlines = 0  # in the decompressed bytes produced, to name the damaged line
        self.problem: str | None = None
        self._errors = _errors()
        self._decoder = _decompressor(kind)
        self._fed = False  # the current stream has been given data and has not ended
        self._pending = head  # compressed bytes read; those from _next on are not yet fed
        self._next = 0
        self._buf = b""
        self._pos = 0
        self._tail = b""  # decompressed bytes after the last newline, not yet handed out
        self.withheld = b""  # the unfinished last line of a damaged input
        self._done = False

    def _fill(self) -> bool:
        """Decompress more into the buffer; False when there is no more."""
        while not self._done:
            if self._next >= len(self._pending):
                self._pending, self._next = self.raw.read(RAW_BLOCK), 0
            # fed in small pieces: what decodes before a corrupt piece is kept, and the
            # damage is located to within a piece
            data = self._pending[self._next : self._next + FEED_SIZE]
            self._next += len(data)
            if not data:
                if self._fed:
                    self._damaged(Reasons.CUT_OFF.format(kind=self.kind, offset=self.consumed))
                self._done = True
                return self._keep(b"", last=not self._fed)
            start = self.consumed
            self.consumed += len(data)
            try:
                out = self._decoder.decompress(data)
            except self._errors as exc:
                self._damaged(Reasons.CORRUPT.format(kind=self.kind, start=start, end=self.consumed - 1, why=exc))
                self._done = True
                return False
            self._fed = True
            if self._decoder.eof:  # a stream ended: another may follow (as gzip -c a b > ab makes)
                rest = self._decoder.unused_data
                self._fed = False
                self._decoder = _decompressor(self.kind)
                if rest.strip(b"\x00") or self._next < len(self._pending):  # zero bytes at the end are padding
                    self.consumed -= len(rest)
                    self._pending, self._next = rest + self._pending[self._next :], 0
            if self._keep(out):
                return True
        return False

    def _keep(self, out: bytes, *, last: bool = False) -> bool:
        """Add ``out`` to the buffer, holding back a last, unfinished line until the next
        output or the clean end: when the data turns out damaged, that line is the damaged
        record (``withheld``), never a cut-off record. Whether any bytes were added."""
        data = self._tail + out if self._tail else out
        cut = len(data) if last else data.rfind(b"\n") + 1
        if len(data) - cut > HOLD_LIMIT:  # no newline for that long: not a line format
            cut = len(data)
        self._tail = data[cut:]
        if not cut:
            return False
        released = data if cut == len(data) else data[:cut]
        self._buf = self._buf[self._pos :] + released if self._pos < len(self._buf) else released
        self._pos = 0
        self.produced += cut
        self.newlines += released.count(b"\n")
        return True

    def _damaged(self, what: str) -> None:
        self.withheld, self._tail = self._tail, b""
        self.problem = Reasons.DAMAGED.format(what=what, produced=self.produced, line=self.newlines + 1)

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            while self._fill():
                pass
            n = len(self._buf) - self._pos
        while len(self._buf) - self._pos < n and self._fill():
            pass
        out = self._buf[self._pos : self._pos + n]
        self._pos += len(out)
        return out

    def readline(self, limit: int = -1) -> bytes:
        scanned = 0  # bytes after the read position known to hold no newline
        while True:
            available = len(self._buf) - self._pos
            stop = available if limit < 0 else min(available, limit)
            cut = self._buf.find(b"\n", self._pos + scanned, self._pos + stop)
            if cut >= 0:
                n = cut + 1 - self._pos
                break
            if 0 <= limit <= available:
                n = limit
                break
            scanned = stop
            if not self._fill():  # filling keeps the unread bytes at the buffer's start
                n = len(self._buf) - self._pos
                break
        out = self._buf[self._pos : self._pos + n]
        self._pos += n
        return out

    def close(self) -> None:
        self.raw.close()
