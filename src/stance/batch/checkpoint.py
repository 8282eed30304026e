"""Resuming: the partial files beside the output, the progress file, and putting the output in place.

After a chunk, at most once a second (``checkpoint_seconds``), the partial output and
partial errors file are flushed to disk, and then a small progress file records how many
input records are done and how many bytes of each partial file hold them (for JSONL and
text input also the byte offset and line number the input is done up to). A run killed at
any point (Ctrl-C, ``kill -9``, power loss) leaves at worst a chunk of rows past the last
checkpoint; a resumed run cuts both partial files back to the checkpoint and carries on.
Only a finished run renames the output into place, so a half-written output never appears.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ..errors import Errors, InputError, Reasons
from ..write import TASK_FORMATS, convert_jsonl

PROGRESS_VERSION = 1


@dataclass
class RunFiles:
    """The files of one run: the output and errors file, and their partial and progress files."""

    output: Path
    errors: Path
    partial: Path
    errors_partial: Path
    progress: Path

    @classmethod
    def beside(cls, output: Path, errors: Path | None) -> "RunFiles":
        """The files of a run writing ``output`` (and ``errors``, by default beside it)."""
        errors = errors or output.with_name(f"{_stem(output)}.errors.jsonl")
        return cls(
            output,
            errors,
            output.with_name(f".{output.name}.partial.jsonl"),
            errors.with_name(f".{errors.name}.partial"),
            output.with_name(f".{output.name}.progress.json"),
        )


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet", ".pq"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def fingerprint(source: str, options: dict[str, Any]) -> dict[str, Any]:
    """What a resumed run must share with the interrupted one: the input file and the options."""
    if source == "-":
        return {"input": "-", "options": options}
    stat = Path(source).stat()
    return {
        "input": str(Path(source).resolve()),
        "input_size": stat.st_size,
        "input_mtime_ns": stat.st_mtime_ns,
        "options": options,
    }


def resume_state(files: RunFiles, fingerprint: dict[str, Any]) -> dict[str, Any]:
    """The last checkpoint of an interrupted run, once it is known to fit this run."""
    state = orjson.loads(files.progress.read_bytes())
    _check_resumable(state, fingerprint, files)
    return state


def _check_resumable(state: dict[str, Any], fingerprint: dict[str, Any], files: RunFiles) -> None:
    def fail(reason: str) -> None:
        raise InputError(Errors.E044.format(output=files.output, reason=reason))

    if state.get("version") != PROGRESS_VERSION:
        fail(Reasons.OTHER_VERSION.format(progress=files.progress))
    for key, what in (("input", "the input"), ("input_size", "the input's size"), ("input_mtime_ns", "the input's modification time"), ("options", "the options")):
        if state.get(key) != fingerprint.get(key):
            fail(Reasons.CHANGED.format(what=what, then=state.get(key), now=fingerprint.get(key)))
    for path, key in ((files.partial, "output_bytes"), (files.errors_partial, "errors_bytes")):
        if not path.exists() or path.stat().st_size < state[key]:
            fail(Reasons.PARTIAL_SHORT.format(path=path))
    if "offset" in state:  # where a JSONL or text input is done up to: seeked to on resume
        offset, line = state["offset"], state.get("line")
        size = None if fingerprint.get("compression") else fingerprint.get("input_size")  # content can outgrow the file
        if type(offset) is not int or type(line) is not int or not 0 <= line <= offset or (size is not None and offset > size):
            fail(Reasons.NO_OFFSET.format(progress=files.progress, offset=offset, line=line))


class PartialFiles:
    """The partial output and errors files of a run, open for appending, and its checkpoints.

    Resuming from ``state`` cuts both files back to the bytes the checkpoint vouches for.
    """

    def __init__(self, files: RunFiles, state: dict[str, Any], fingerprint: dict[str, Any], *, every: float) -> None:
        self.files = files
        self.fingerprint = fingerprint
        self.every = every
        self.out = open(files.partial, "r+b" if state else "wb")
        try:
            self.err = open(files.errors_partial, "r+b" if state else "wb")
        except BaseException:
            self.out.close()
            raise
        if state:
            self.out.truncate(state["output_bytes"])
            self.out.seek(state["output_bytes"])
            self.err.truncate(state["errors_bytes"])
            self.err.seek(state["errors_bytes"])
        self.errors_unsynced = True
        self.last = time.monotonic()

    def start_clock(self) -> None:
        """Count the time to the first checkpoint from now (when the results start coming)."""
        self.last = time.monotonic()

    def write(self, rows: bytes, errors: bytes) -> None:
        self.out.write(rows)
        if errors:
            self.err.write(errors)
            self.errors_unsynced = True

    def checkpoint(self, done: dict[str, Any], position: tuple[int, int] | None) -> None:
        """Sync both files and record ``done`` (records, labelled, rejected, counts), and
        ``position`` (input offset and line) for line-based input; at most once per
        ``every`` seconds, since each checkpoint costs fsyncs."""
        if time.monotonic() - self.last < self.every:
            return
        self.last = time.monotonic()
        state = {
            "version": PROGRESS_VERSION, **self.fingerprint,
            "output_bytes": _sync(self.out), "errors_bytes": _sync(self.err) if self.errors_unsynced else self.err.tell(),
            **done,  # records, labelled, rejected, counts and what the text field was found in
        }
        self.errors_unsynced = False
        if position is not None:
            state["offset"], state["line"] = position
        _write_progress(self.files.progress, state)

    def close(self, *, discard: bool = False) -> None:
        """Close both files; with ``discard``, and no progress file to resume from, delete them.

        Closing flushes what is buffered, which fails again on a full disk: the files are
        closed and discarded all the same, and the first such error is raised.
        """
        try:
            self.out.close()
        finally:
            try:
                self.err.close()
            finally:
                if discard and not self.files.progress.exists():  # nothing to resume: leave no partial files
                    self.files.partial.unlink(missing_ok=True)
                    self.files.errors_partial.unlink(missing_ok=True)


def _write_progress(path: Path, state: dict[str, Any]) -> None:
    """Replace the progress file atomically; on a failed write the last one stays as it was."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(orjson.dumps(state))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _sync(handle: Any) -> int:
    handle.flush()
    os.fsync(handle.fileno())
    return handle.tell()


def finish(files: RunFiles, fmt_out: str, *, stopped: bool, force: bool, labels: list[str], model_version: str = "") -> bool:
    """Put the finished output and errors in place, then drop the progress file. Whether
    an errors file was written (some record was rejected). ``model_version`` names the
    model in annotation-tool tasks."""
    has_errors = files.errors_partial.stat().st_size > 0
    if stopped:
        files.partial.unlink(missing_ok=True)
    elif fmt_out == "jsonl":
        if files.output.exists() and not force:
            raise InputError(Errors.E023.format(path=files.output))
        os.replace(files.partial, files.output)
    elif fmt_out in TASK_FORMATS:
        from ..tasks import tasks_from_jsonl

        tasks_from_jsonl(files.partial, files.output, fmt_out, labels=labels, model_version=model_version, force=force)
        files.partial.unlink()
    else:
        convert_jsonl(files.partial, files.output, fmt_out, force=force, labels=labels)
        files.partial.unlink()
    if has_errors:
        os.replace(files.errors_partial, files.errors)
    else:
        files.errors_partial.unlink(missing_ok=True)
        if force:
            files.errors.unlink(missing_ok=True)  # a stale errors file would mislead
    files.progress.unlink(missing_ok=True)
    return has_errors
