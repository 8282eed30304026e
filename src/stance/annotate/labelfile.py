"""The labels file: append-only answers of one or more annotators, durable and lock-protected.

Every answer is one JSON line ``{"item", "annotator", "label", "text", "ts"}``, flushed and
fsynced before the next reply is shown. Undo rewrites the file atomically (a new copy
renamed over it), so the file never holds retracted answers. Appends and rewrites take an
exclusive lock on the file (``fcntl.flock``, where available) and re-check that the path
still names the locked file, so two labellers sharing one file never lose each other's
answers.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson

from ..errors import Errors, InputError, Reasons
from .items import Item

try:  # POSIX only; on other systems one writer per file is assumed
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


class LabelFile:
    """The append-only labels file of one or more annotators (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str], annotator: str) -> None:
        self.path = Path(path)
        self.annotator = annotator

    @contextmanager
    def _locked(self) -> Iterator[int]:
        """An exclusive lock on the file that the path names right now."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
            if fcntl is None:
                break
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:  # another writer may have renamed a new copy over the path meanwhile
                if os.fstat(fd).st_ino == os.stat(self.path).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        try:
            yield fd
        finally:
            os.close(fd)  # closing releases the lock

    def records(self) -> list[dict[str, Any]]:
        """Every complete record in the file (a torn last line is ignored)."""
        if not self.path.exists():
            return []
        records = []
        with open(self.path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.endswith(b"\n"):
                    break  # a write cut short by a crash; repair() drops it
                if not line.strip():
                    continue
                try:
                    value = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise InputError(Errors.E066.format(path=self.path, number=number, reason=exc)) from None
                if not isinstance(value, dict) or "item" not in value or "annotator" not in value:
                    raise InputError(Errors.E066.format(path=self.path, number=number, reason=Reasons.NOT_A_LABEL))
                records.append(value)
        return records

    def done(self) -> set[str]:
        """Ids of the items this annotator has labelled."""
        return {str(r["item"]) for r in self.records() if r.get("annotator") == self.annotator}

    def repair(self) -> int:
        """Drop a torn last line (no newline) left by a crash mid-write; return bytes dropped."""
        if not self.path.exists():
            return 0
        with self._locked() as fd:
            data = self.path.read_bytes()
            if not data or data.endswith(b"\n"):
                return 0
            keep = data.rfind(b"\n") + 1
            os.ftruncate(fd, keep)
            os.fsync(fd)
            return len(data) - keep

    def append(self, item: Item, label: str) -> dict[str, Any]:
        """Write one answer and make it durable before returning."""
        record = {
            "item": item.id,
            "annotator": self.annotator,
            "label": label,
            "text": item.text,
            "ts": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        with self._locked() as fd:
            os.write(fd, line)
            os.fsync(fd)
        return record

    def remove_last(self, item_id: str) -> bool:
        """Remove this annotator's last record for ``item_id`` by an atomic rewrite."""
        with self._locked() as fd:
            lines = self.path.read_bytes().splitlines(keepends=True)
            for index in range(len(lines) - 1, -1, -1):
                try:
                    value = orjson.loads(lines[index])
                except orjson.JSONDecodeError:
                    continue
                if isinstance(value, dict) and value.get("annotator") == self.annotator and str(value.get("item")) == item_id:
                    break
            else:
                return False
            del lines[index]
            tmp_fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(tmp_fd, "wb") as handle:
                    handle.writelines(lines)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(tmp, os.fstat(fd).st_mode & 0o777)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            _fsync_dir(self.path.parent)
            return True


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - not possible on every platform
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
