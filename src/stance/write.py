"""Write: labelled rows to JSONL, CSV/TSV or Parquet, atomically (temporary file, then rename).

Batch labelling streams its rows into a JSONL file first (which is what makes it
resumable) and converts that file at the end with :func:`convert_jsonl`, in two streaming
passes: one to learn the columns, one to write.
"""

from __future__ import annotations

import csv
import os
import secrets
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator

import orjson

from .errors import Errors, InputError

OUTPUT_FORMATS = ("jsonl", "csv", "tsv", "parquet")
# What write_rows writes; Parquet is written by converting a finished JSONL file.
ROW_OUTPUT_FORMATS = ("jsonl", "csv", "tsv")
_DELIMITERS = {"csv": ",", "tsv": "\t"}


def output_format(path: str | os.PathLike[str], to: str | None = None) -> str:
    """The output format: ``to`` when given, else from the extension (JSONL by default)."""
    if to:
        if to not in OUTPUT_FORMATS:
            raise InputError(Errors.E042.format(format=to))
        return to
    suffix = Path(path).suffix.lower()
    return {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}.get(suffix, "jsonl")


def require_pyarrow() -> Any:
    """``pyarrow.parquet``, or an error that says how to install it."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(Errors.E041) from None
    return pq


@contextmanager
def atomic_output(path: str | os.PathLike[str], *, force: bool = False, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success."""
    path = Path(path)
    if path.exists() and not force:
        raise InputError(Errors.E023.format(path=path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temporary(path)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _create_temporary(path: Path) -> tuple[int, str]:
    """A new file beside ``path`` (``.NAME.XXXXXXXX.tmp``), opened for writing.

    Created with mode 0666 for the process umask to cut down, so the output gets the
    permissions of any other new file; :func:`tempfile.mkstemp` would make it 0600, and
    reading the umask means changing it, which is not this module's to do.
    """
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666), str(tmp)
        except FileExistsError:
            continue


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return str(value)


def write_rows(path: str | os.PathLike[str], rows: Iterable[dict[str, Any]], *, to: str | None = None, force: bool = False) -> int:
    """Write rows as JSONL (default) or CSV/TSV; return the number written."""
    fmt = output_format(path, to)
    count = 0
    if fmt == "jsonl":
        with atomic_output(path, force=force) as handle:
            for row in rows:
                handle.write(orjson.dumps(row, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE))
                count += 1
        return count
    if fmt in _DELIMITERS:
        rows = list(rows)
        columns: dict[str, None] = {}
        for row in rows:
            columns.update(dict.fromkeys(row))
        return _write_delimited(path, fmt, columns, rows, force=force)
    raise InputError(Errors.E053.format(format=fmt, formats=", ".join(ROW_OUTPUT_FORMATS)))


def _write_delimited(path: str | os.PathLike[str], fmt: str, columns: Iterable[str], rows: Iterable[dict[str, Any]], *, force: bool) -> int:
    """Write ``rows`` as CSV or TSV under a header of ``columns``, atomically; the number written.

    Nested values become JSON text and missing ones empty cells.
    """
    columns = list(columns)
    count = 0
    with atomic_output(path, force=force, mode="w") as handle:
        writer = csv.writer(handle, delimiter=_DELIMITERS[fmt])
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
            count += 1
    return count


def _jsonl_rows(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, "rb") as handle:
        for line in handle:
            if line.strip():
                yield orjson.loads(line)


def _columns(path: Path) -> dict[str, set[type]]:
    """Every column in first-seen order, with the types of its non-null values."""
    columns: dict[str, set[type]] = {}
    for row in _jsonl_rows(path):
        for key, value in row.items():
            kinds = columns.get(key)
            if kinds is None:
                kinds = columns[key] = set()
            if value is not None:
                kinds.add(type(value))
    return columns


def convert_jsonl(
    source: str | os.PathLike[str],
    path: str | os.PathLike[str],
    fmt: str,
    *,
    force: bool = False,
    labels: list[str] | None = None,
    row_group_size: int = 50_000,
) -> None:
    """Convert a JSONL file of rows into CSV/TSV or Parquet at ``path``, atomically.

    Memory holds one row group (Parquet) or one row (CSV), never the whole file. Nested
    values become JSON text, except ``stance_proba``, which is a struct in Parquet.
    """
    source = Path(source)
    columns = _columns(source)
    if fmt in _DELIMITERS:
        _write_delimited(path, fmt, columns, _jsonl_rows(source), force=force)
        return
    if fmt != "parquet":
        raise InputError(Errors.E042.format(format=fmt))
    pq = require_pyarrow()
    import pyarrow as pa

    schema, encoders = _arrow_schema(pa, columns, labels)
    with atomic_output(path, force=force) as handle:
        writer = pq.ParquetWriter(handle, schema)
        try:
            batch: list[dict[str, Any]] = []
            for row in _jsonl_rows(source):
                batch.append(row)
                if len(batch) >= row_group_size:
                    writer.write_table(_arrow_table(pa, schema, encoders, batch), row_group_size=row_group_size)
                    batch = []
            if batch or not columns:
                writer.write_table(_arrow_table(pa, schema, encoders, batch), row_group_size=row_group_size)
        finally:
            writer.close()


def _arrow_schema(pa: Any, columns: dict[str, set[type]], labels: list[str] | None) -> tuple[Any, dict[str, Any]]:
    fields, encoders = [], {}
    for name, kinds in columns.items():
        if name == "stance_proba" and labels and kinds <= {dict}:
            kind = pa.struct([(label, pa.float64()) for label in labels])
        elif kinds <= {str}:
            kind = pa.string()
        elif kinds <= {bool} and kinds:
            kind = pa.bool_()
        elif kinds <= {int} and kinds:
            kind = pa.int64()
        elif kinds <= {int, float} and kinds:
            kind = pa.float64()
        else:  # nested or mixed values: JSON text keeps them whole
            kind = pa.string()
            encoders[name] = _cell_or_none
        fields.append(pa.field(name, kind))
    return pa.schema(fields), encoders


def _cell_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _arrow_table(pa: Any, schema: Any, encoders: dict[str, Any], rows: list[dict[str, Any]]) -> Any:
    arrays = []
    for field in schema:
        values = [row.get(field.name) for row in rows]
        encode = encoders.get(field.name)
        if encode is not None:
            values = [encode(v) for v in values]
        arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)
