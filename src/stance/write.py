"""Write: labelled rows to JSONL or CSV, atomically (temporary file, then rename)."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator

import orjson

from .errors import Errors, InputError


_UMASK = os.umask(0)
os.umask(_UMASK)


def output_format(path: str | os.PathLike[str], to: str | None = None) -> str:
    if to:
        return to
    suffix = Path(path).suffix.lower()
    return {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet"}.get(suffix, "jsonl")


@contextmanager
def atomic_output(path: str | os.PathLike[str], *, force: bool = False, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success."""
    path = Path(path)
    if path.exists() and not force:
        raise InputError(Errors.E023.format(path=path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; outputs should look like any other
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    if fmt in ("csv", "tsv"):
        rows = list(rows)
        columns: dict[str, None] = {}
        for row in rows:
            columns.update(dict.fromkeys(row))
        with atomic_output(path, force=force, mode="w") as handle:
            writer = csv.writer(handle, delimiter="\t" if fmt == "tsv" else ",")
            writer.writerow(list(columns))
            for row in rows:
                writer.writerow([_cell(row.get(c)) for c in columns])
                count += 1
        return count
    raise InputError(f"Unknown output format {fmt!r}. Use jsonl, csv or tsv (parquet needs `stance label`).")
