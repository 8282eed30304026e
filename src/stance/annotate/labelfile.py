"""The labels file: append-only answers of one or more annotators, durable and lock-protected.

Every answer is one JSON line ``{"item", "annotator", "label", "text", "ts"}``, flushed and
fsynced before the next reply is shown. Undo rewrites the file atomically (a new copy
renamed over it), so the file never holds retracted answers. Appends and rewrites take an
exclusive lock on the file (``fcntl.flock``, where available) and re-check that the path
still names the locked file, so two labellers sharing one file never lose each other's
answers.

An answer that cannot be written whole (a full disk) is cut off again, so the file holds
all of it or none of it. A last line without a line end, which only a crash in the middle
of a write (or an editor) leaves, is found when a session starts (:meth:`LabelFile.repair`):
a torn answer is removed and reported with its line number, a whole one gets its line end,
so the next answer is never glued to it.
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

from ..errors import Errors, InputError, OutputError, Reasons, StanceError, Warnings, write_reason
from ..write import folder_of, output_error
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
        """An exclusive lock on the file that the path names right now (created if need be;
        its folder must exist)."""
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

    def repair(self) -> str | None:
        """Deal with a last line that has no line end, and say what was done (None when
        the file ends cleanly).

        A torn answer (a write cut off by a crash) is removed, so its item is asked again;
        a whole answer whose line end is missing (a hand edit) gets one. Either way the
        next answer starts on a line of its own instead of being glued to it. A missing
        file is created, so a folder that cannot be written to shows before the first
        answer, not at it.

        Raises
        ------
        OutputError
            When the file cannot be created or changed (the message names it and says why).
        """
        try:
            with self._locked() as fd:
                data = self.path.read_bytes()
                if not data or data.endswith(b"\n"):
                    return None
                keep = data.rfind(b"\n") + 1
                last, number = data[keep:], data.count(b"\n") + 1
                if _is_answer(last):
                    _write_all(fd, b"\n")
                    os.fsync(fd)
                    return Warnings.W201.format(path=self.path, number=number)
                os.ftruncate(fd, keep)
                os.fsync(fd)
        except OSError as exc:
            if isinstance(exc, StanceError):
                raise
            raise output_error(exc, self.path) from None
        head = last[:80].decode("utf-8", errors="replace") + ("..." if len(last) > 80 else "")
        return Warnings.W200.format(path=self.path, number=number, size=len(last), head=repr(head))

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
        try:
            with self._locked() as fd:
                size = os.fstat(fd).st_size
                try:
                    _write_all(fd, line)
                    os.fsync(fd)
                except OSError:
                    _cut_back(fd, size)  # all of the answer or none of it
                    raise
        except OSError as exc:
            if isinstance(exc, StanceError):
                raise
            reason = write_reason(exc, folder_of(self.path))
            raise OutputError(Errors.E208.format(item=item.id, path=self.path, reason=reason), exc.errno) from None
        return record

    def remove_last(self, item_id: str) -> bool:
        """Remove this annotator's last record for ``item_id`` by an atomic rewrite.

        Raises
        ------
        OutputError
            When the new copy cannot be written; the file is then unchanged.
        """
        try:
            return self._remove_last(item_id)
        except OSError as exc:
            if isinstance(exc, StanceError):
                raise
            reason = write_reason(exc, folder_of(self.path))
            raise OutputError(Errors.E209.format(item=item_id, path=self.path, reason=reason), exc.errno) from None

    def _remove_last(self, item_id: str) -> bool:
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


def _is_answer(line: bytes) -> bool:
    """Whether ``line`` is a whole answer, as :meth:`LabelFile.append` writes them."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return isinstance(value, dict) and {"item", "annotator", "label"} <= value.keys()


def _write_all(fd: int, data: bytes) -> None:
    """Write all of ``data``: a write can be short when the disk fills, and the next one fails."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _cut_back(fd: int, size: int) -> None:
    """Cut the file back to ``size`` bytes after a failed write, as far as the disk lets us."""
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:  # pragma: no cover - the torn line is then found by repair() next time
        pass


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
