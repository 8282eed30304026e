"""Parquet: the rows of a Parquet file, one record batch at a time (needs pyarrow).

Parquet is columnar and cannot be cut from a byte stream, so it is read from a file
(not stdin, nor through a compression layer: Parquet compresses its own pages). A record
is a row, numbered from 1; its ``end`` is how many bytes of the file the row groups read
so far take up, for progress.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..errors import Errors, InputError
from .records import Record
from .source import ByteSource

MAGIC = b"PAR1"
BATCH_ROWS = 4096  # rows converted to Python at a time


def read_parquet(path: str | os.PathLike[str] | ByteSource) -> Iterator[Record]:
    """Rows of a Parquet file as records (nested columns become nested fields)."""
    source = ByteSource.of(path)
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(Errors.E342) from None
    if not source.seekable or source.compression:
        why = "it is read from stdin" if not source.seekable else f"it is inside {source.compression} compression"
        raise InputError(Errors.E343.format(path=source.name, why=why))
    source.handle.seek(0)
    try:
        table = pq.ParquetFile(source.handle)
    except Exception as exc:  # pyarrow raises its own ArrowInvalid, OSError, ...
        raise InputError(Errors.E343.format(path=source.name, why=exc)) from None
    number = 0
    done = 0
    for group in range(table.num_row_groups):
        done += table.metadata.row_group(group).total_byte_size
        end = min(done, source.size or done)
        for batch in table.iter_batches(batch_size=BATCH_ROWS, row_groups=[group]):
            for fields in batch.to_pylist():
                number += 1
                yield Record(number, fields, end=end, unit="record")
