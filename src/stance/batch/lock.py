"""One run per output: an exclusive lock on a small file beside the output, for the whole run.

Two ``stance label`` runs writing one output would append to the same partial file and
overwrite each other's checkpoints. The lock is ``fcntl.flock`` on ``.NAME.lock`` beside the
output, taken without waiting, so a second run refuses at once. The kernel drops a flock
when its process dies, however it dies, so the file a killed run leaves behind never blocks
the next run; a finished run deletes it.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import Errors, OutputError

try:  # POSIX only; elsewhere one run per output is assumed
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


def lock_path(output: Path) -> Path:
    """The lock file of a run writing ``output``."""
    return output.with_name(f".{output.name}.lock")


class RunLock:
    """The held lock of a run writing ``output``; :meth:`release` when the run is over."""

    def __init__(self, output: Path, fd: int) -> None:
        self.output = output
        self.path = lock_path(output)
        self.fd = fd

    @classmethod
    def take(cls, output: Path) -> "RunLock":
        """Lock ``output`` for this process.

        Raises
        ------
        OutputError
            When another live process holds the lock (the message names it).
        OSError
            When the lock file cannot be created (the output's folder is missing or
            read-only), for the caller to put into words.
        """
        path = lock_path(output)
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
            if fcntl is None:
                return cls(output, fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_pid(fd)
                os.close(fd)
                raise OutputError(Errors.E205.format(path=output, lock=path, pid=f" (pid {holder})" if holder else "")) from None
            # A finishing run deletes the file it locked: make sure the lock is on the file
            # the path names now, or try again with the new one.
            try:
                if os.fstat(fd).st_ino == os.stat(path).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        return cls(output, fd)

    def release(self) -> None:
        """Delete the lock file, then let go of the lock (in that order: see :meth:`take`)."""
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self.fd)


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip() or 0) or None
    except (OSError, ValueError):
        return None
