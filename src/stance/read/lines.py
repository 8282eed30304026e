"""Line blocks: whole lines cut out of a stream without being parsed.

The line-based readers (JSONL and text) read through these blocks, and a parallel run sends
the same blocks to its workers, so both parse exactly the same lines the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import Errors
from .records import MAX_RECORD, RAW_LIMIT
from .source import READ_SIZE, ByteSource

BLOCK_LINES = 4096  # lines per block when a reader splits lines for itself


@dataclass
class LineBlock:
    """Whole lines of a line-based input, cut out of the stream without being parsed.

    ``data`` holds ``lines`` whole lines, each with its newline (the last line of the input
    may lack one); ``number`` is the 1-based number of the first of them, and ``start`` and
    ``end`` are the byte offsets of the block in the input. A line longer than
    :data:`MAX_RECORD` comes alone in a block with ``too_long`` set, and ``data`` is then
    only its first :data:`RAW_LIMIT` bytes: the rest was never held.

    Blocks are what a parallel run sends to its workers; :func:`stance.read.parse_line_block`
    turns one into records with the same code as :func:`stance.read.read_jsonl` and
    :func:`stance.read.read_text_lines`.
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
        raise ValueError(Errors.E057.format(value=max_lines))
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
                more = source.read(READ_SIZE)
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
            buf = source.read(READ_SIZE)
            eof = not buf
        number += 1
        yield LineBlock(number, line_start, base + pos, 1, head, too_long=True)
        if eof and pos >= len(buf):
            return


def block_lines(block: LineBlock) -> Iterator[tuple[int, bytes, int]]:
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


def source_lines(source: ByteSource) -> Iterator[tuple[int, bytes, int]]:
    """(line number, line, end offset) per line of a whole input; see :func:`block_lines`."""
    for block in line_blocks(source, BLOCK_LINES):
        yield from block_lines(block)
