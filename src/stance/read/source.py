"""Byte sources: the input stream every reader reads, with pushback and a byte position.

A compressed input (gzip, bzip2, xz, zstandard; see :mod:`.compressed`) is recognised by
its magic bytes and decompressed as it is read: readers see only the content.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from ..errors import Errors, InputError, missing_file
from .compressed import Decompressed, compression_of

HEAD_SIZE = 1 << 16  # bytes that detection looks at, and read at a time by default
READ_SIZE = 1 << 20  # bytes read at a time when cutting line blocks or skipping
BOM = b"\xef\xbb\xbf"  # UTF-8 byte order mark, which Windows tools put at the start of exports
MAGIC_SIZE = 10  # bytes that say whether an input is compressed, and how


class ByteSource:
    """A binary stream with a pushback buffer and a byte position.

    Detection reads the head of the stream, which must then be read again by the reader;
    stdin cannot seek, so the head is pushed back instead.

    A UTF-8 byte order mark at the very start is skipped here, once for every format and
    for detection: no reader ever sees it. ``start`` is where the content begins (3 after
    a BOM, else 0); positions stay byte offsets in the whole input, so offsets stored in a
    checkpoint mean the same whether or not the BOM was there.

    For a compressed input, ``compression`` names the method and positions are offsets in
    the decompressed content; ``size`` is still the size of the file on disk, and
    :attr:`disk_position` how far into it the reading has got (for progress). Such a
    source cannot seek: going back (``rewind``, or ``skip_to`` behind the position)
    decompresses the file again from its start, and going forward reads and drops.
    ``damage`` says why a compressed input ended early (cut off, corrupt), else is None.
    """

    def __init__(
        self, handle: IO[bytes], name: str, size: int | None = None, *, head: bytes = b"", path: Path | None = None
    ) -> None:
        self.handle = handle
        self.name = name
        self.size = size
        self.path = path  # the file, when a compressed one must be opened again to go back
        self.compression = handle.kind if isinstance(handle, Decompressed) else None
        self.position = 0
        self._pushback = head
        if self.peek(len(BOM)) == BOM:
            self.read(len(BOM))
        self.start = self.position

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> "ByteSource":
        if str(path) == "-":
            stdin = sys.stdin.buffer
            head = stdin.read(MAGIC_SIZE)
            kind = compression_of(head)
            if kind:
                return cls(Decompressed(stdin, kind, head=head), "<stdin>")
            return cls(stdin, "<stdin>", head=head)
        path = Path(path)
        if not path.is_file():
            raise InputError(Errors.E020.format(path=path, reason=missing_file(path)))
        handle = open(path, "rb")
        size = os.fstat(handle.fileno()).st_size
        kind = compression_of(handle.read(MAGIC_SIZE))
        handle.seek(0)
        if kind:
            return cls(Decompressed(handle, kind), str(path), size, path=path)
        return cls(handle, str(path), size)

    @classmethod
    def of(cls, path: "str | os.PathLike[str] | ByteSource") -> "ByteSource":
        """``path`` itself when it is a byte source already, else the file it names, opened."""
        return path if isinstance(path, ByteSource) else cls.open(path)

    @property
    def seekable(self) -> bool:
        """Whether the source can go back to its start (a file, compressed or not; not stdin)."""
        return self.size is not None

    @property
    def disk_position(self) -> int:
        """Bytes of the input as stored (compressed, if it is) read so far, for progress."""
        return self.handle.consumed if isinstance(self.handle, Decompressed) else self.position

    @property
    def damage(self) -> str | None:
        """Why a compressed input ended before its end (with the byte offset), else None."""
        return self.handle.problem if isinstance(self.handle, Decompressed) else None

    @property
    def withheld(self) -> bytes:
        """The unfinished line a damaged compressed input ended in (never handed out)."""
        return self.handle.withheld if isinstance(self.handle, Decompressed) else b""

    @property
    def lines_read(self) -> int:
        """Newlines in the content decompressed so far (compressed input only, else 0)."""
        return self.handle.newlines if isinstance(self.handle, Decompressed) else 0

    def peek(self, n: int) -> bytes:
        while len(self._pushback) < n:
            more = self.handle.read(n - len(self._pushback))
            if not more:
                break
            self._pushback += more
        return self._pushback[:n]

    def read(self, n: int = HEAD_SIZE) -> bytes:
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
        """Go on from byte ``offset`` of the content: a seek when the stream can seek, else
        the bytes up to it are read and dropped (stdin, and compressed files, which start
        decompressing again when ``offset`` is behind the position). An offset inside the
        byte order mark (0, say: nothing done yet) is where the content starts."""
        offset = max(offset, self.start)
        if offset < self.position and not (self.compression and self.rewind()):
            raise ValueError(Errors.E056.format(position=self.position, offset=offset, path=self.name))
        if self.size is not None and not self.compression:
            self.handle.seek(offset)
            self._pushback = b""
            self.position = offset
            return
        while self.position < offset:
            if not self.read(min(READ_SIZE, offset - self.position)):
                break

    def rewind(self) -> bool:
        """Start again from the beginning; False when the stream cannot seek (stdin)."""
        if self.size is None:
            return False
        if self.compression:  # a decompressor cannot go back: start a new one
            self.handle.close()
            assert self.path is not None
            self.handle = Decompressed(open(self.path, "rb"), self.compression)
            self._pushback = b""
            self.position = 0
            self.read(self.start)  # the byte order mark, as when opened
            return True
        self.handle.seek(self.start)  # past the byte order mark, as when opened
        self._pushback = b""
        self.position = self.start
        return True

    def close(self) -> None:
        if self.handle is not sys.stdin.buffer:
            self.handle.close()


class BytesHandle:
    """A read-only binary handle over bytes in memory (the head of a file, when detecting)."""

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
