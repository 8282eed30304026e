"""Write: labelled rows to JSONL, CSV/TSV or Parquet, atomically (temporary file, then rename).

Outputs go only into folders that exist: a mistyped ``-o`` path is an error
(:func:`check_output_folder`), never a new folder tree. A write that fails (no permission,
a full disk, the file-size limit) is an :class:`~stance.errors.OutputError` that names the
user's path, never the temporary file beside it (:func:`output_error`).

Batch labelling streams its rows into a JSONL file first (which is what makes it
resumable) and converts that file at the end with :func:`convert_jsonl`, in two streaming
passes: one to learn the columns, one to write.
"""

from __future__ import annotations

import csv
import errno
import os
import secrets
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator

import orjson

from .errors import NO_SPACE, Errors, InputError, OutputError, StanceError, write_reason

# Annotation-tool tasks with the model's labels as pre-annotations (see stance.tasks).
TASK_FORMATS = ("label-studio", "prodigy")
OUTPUT_FORMATS = ("jsonl", "csv", "tsv", "parquet", *TASK_FORMATS)
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


def folder_of(path: str | os.PathLike[str]) -> Path:
    """The folder ``path`` is in, as the user would look for it (the current folder in full)."""
    folder = Path(path).parent
    return Path.cwd() if str(folder) == "." else folder


def output_error(exc: OSError, path: str | os.PathLike[str]) -> OutputError:
    """``exc``, raised while writing ``path`` (or a temporary file beside it), as an error
    that names ``path`` and says what to do."""
    path = Path(path)
    folder = folder_of(path)
    if exc.errno == errno.ENOENT and not folder.is_dir():
        message = Errors.E200.format(path=path, folder=folder)
    elif exc.errno in NO_SPACE:
        kept = " (the earlier file is as it was)" if path.exists() else ""
        message = Errors.E202.format(path=path, reason=write_reason(exc, folder), kept=kept)
    else:
        message = Errors.E201.format(path=path, reason=write_reason(exc, folder), folder=folder)
    return OutputError(message, exc.errno)


def check_output_folder(path: str | os.PathLike[str]) -> None:
    """Refuse ``path`` as an output before any work is done when its folder does not exist
    or cannot be written to. Folders are never created: a mistyped path should be an error.

    The test is a real one, an empty temporary file created and deleted beside ``path``,
    so whatever would stop the output (permissions, a read-only or immutable folder, a
    read-only file system) stops it now, for root too.

    Raises
    ------
    OutputError
        Naming ``path``, the folder and the fix.
    """
    try:
        fd, tmp = _create_temporary(Path(path))
    except OSError as exc:
        raise output_error(exc, path) from None
    os.close(fd)
    os.unlink(tmp)


@contextmanager
def atomic_output(path: str | os.PathLike[str], *, force: bool = False, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success.

    Raises
    ------
    InputError
        When ``path`` exists and ``force`` is false.
    OutputError
        When the file cannot be written (see :func:`output_error`); nothing is left behind.
    """
    path = Path(path)
    if path.exists() and not force:
        raise InputError(Errors.E023.format(path=path))
    try:
        fd, tmp = _create_temporary(path)
    except OSError as exc:
        raise output_error(exc, path) from None
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        # A write to the temporary file (no file name) failed; errors from elsewhere pass.
        if isinstance(exc, OSError) and not isinstance(exc, StanceError) and exc.filename in (None, tmp):
            raise output_error(exc, path) from None
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
