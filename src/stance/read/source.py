"""Byte sources: the input stream every reader reads, with pushback and a byte position."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from ..errors import Errors, InputError, missing_file

HEAD_SIZE = 1 << 16  # bytes that detection looks at, and read at a time by default
READ_SIZE = 1 << 20  # bytes read at a time when cutting line blocks or skipping
BOM = b"\xef\xbb\xbf"  # UTF-8 byte order mark, which Windows tools put at the start of exports


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
            raise InputError(Errors.E020.format(path=path, reason=missing_file(path)))
        return cls(open(path, "rb"), str(path), path.stat().st_size)

    @classmethod
    def of(cls, path: "str | os.PathLike[str] | ByteSource") -> "ByteSource":
        """``path`` itself when it is a byte source already, else the file it names, opened."""
        return path if isinstance(path, ByteSource) else cls.open(path)

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
        """Go on from byte ``offset`` (not behind the position): a seek when the stream
        can seek, else the bytes up to it are read and dropped (stdin). An offset inside
        the byte order mark (0, say: nothing done yet) is where the content starts."""
        offset = max(offset, self.start)
        if offset < self.position:
            raise ValueError(Errors.E056.format(position=self.position, offset=offset, path=self.name))
        if self.size is not None:
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
