"""Labelling a file: :func:`label_file`, what ``stance label`` runs, and its :class:`Summary`.

:func:`label_file` reads records one chunk at a time (:mod:`stance.read`), labels each chunk
(:mod:`.chunks`), in worker processes with ``jobs > 1`` (:mod:`.pool`), and appends the rows
to a partial JSONL file beside the output that checkpoints make resumable
(:mod:`.checkpoint`). Every input record ends as exactly one output row or one error record.

A run holds a lock on its output (:mod:`.lock`), so a second run on the same output refuses
at once. A write that fails part way (a full disk, the file-size limit) stops the run with
an :class:`~stance.errors.OutputError`; nothing is put in place of the output, and the rows
up to the last checkpoint stay for ``resume=True``.

One module, a little over 400 lines: the run's loop, its summary and its clean-up on every
way out (done, interrupted, output failed) must be read together to see that nothing is lost.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson

from ..errors import NO_SPACE, Errors, InputError, OutputError, StanceError, likely_field, missing_file, write_reason
from ..read import LINE_FORMATS, ByteSource, line_blocks, open_input, records_of
from ..read.formats import damage_record
from ..tasks import model_version
from ..write import TASK_FORMATS, check_output_folder, folder_of, output_error, output_format, require_pyarrow
from . import chunks  # its labellers are looked up at call time, so a patched one is used
from .checkpoint import PartialFiles, RunFiles, fingerprint, finish, resume_state
from .chunks import ChunkResult, ChunkSpec
from .lock import RunLock, lock_path
from .pool import Task, ordered_map


@dataclass
class Summary:
    """What a batch run did. ``exit_code`` is 0 when every record was labelled, else 3."""

    read: int = 0
    labelled: int = 0
    rejected: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    output: Path | None = None
    errors: Path | None = None
    format: str = ""
    resumed_at: int = 0
    seconds: float = 0.0
    stopped: str | None = None
    damage: str | None = None  # the file, and why its compressed data ended early (also an error record)
    no_text_field: int = 0  # records without the text field at all
    text_field_seen: bool = False  # whether any record had it
    fields: list[str] = field(default_factory=list)  # names in the records without it

    def resume_from(self, state: dict[str, Any]) -> None:
        """Start from the counts of an interrupted run's last checkpoint (if any)."""
        if state:
            self.read, self.labelled, self.rejected = state["records"], state["labelled"], state["rejected"]
            self.counts = dict(state["counts"])
            self.resumed_at = state["records"]
            # a checkpoint from before these were kept: as if the field had been seen
            self.no_text_field = state.get("no_text_field", 0)
            self.text_field_seen = state.get("text_field_seen", True)
            self.fields = list(state.get("fields", []))

    def add(self, result: ChunkResult) -> None:
        """Count a labelled chunk."""
        self.read += result.n
        self.labelled += result.labelled
        self.rejected += result.rejected
        for label, count in result.counts.items():
            self.counts[label] = self.counts.get(label, 0) + count
        self.no_text_field += result.no_text_field
        self.text_field_seen = self.text_field_seen or result.text_field_seen
        if len(self.fields) < 20:
            self.fields = list(dict.fromkeys([*self.fields, *result.fields]))[:20]

    def done(self) -> dict[str, Any]:
        """What a checkpoint records of the run so far."""
        return {
            "records": self.read, "labelled": self.labelled, "rejected": self.rejected, "counts": self.counts,
            "no_text_field": self.no_text_field, "text_field_seen": self.text_field_seen, "fields": self.fields,
        }

    @property
    def wrong_text_field(self) -> bool:
        """Whether records were read but not one had the text field (a schema problem)."""
        return self.no_text_field > 0 and not self.text_field_seen and self.stopped is None

    @property
    def exit_code(self) -> int:
        return 0 if self.rejected == 0 and self.stopped is None else 3

    def describe(self) -> str:
        """The summary printed on stderr at the end of a run."""
        # seconds are this run's: the rate counts only the records this run read
        now = self.read - self.resumed_at
        rate = now / self.seconds if self.seconds else 0.0
        lines = []
        if self.stopped:
            lines.append(self.stopped)
        resumed = f" (resumed after record {self.resumed_at})" if self.resumed_at else ""
        this_run = f"; this run read {now} of them" if self.resumed_at else ","
        lines.append(
            f"Read {self.read} records ({self.format}){resumed}: labelled {self.labelled}, "
            f"rejected {self.rejected}{this_run} in {self.seconds:.1f}s ({rate:,.0f} records/s)."
        )
        if self.damage:
            lines.append(f"{self.damage}.")
        if self.output and not self.stopped:
            lines.append(f"Wrote {self.output}.")
        if self.rejected:
            lines.append(
                f"{self.rejected} records were rejected; each is in {self.errors} with its "
                "number, raw input and reason."
            )
        total = sum(self.counts.values())
        for label, count in sorted(self.counts.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  {label:<12} {count:>9}  {count / total if total else 0:6.1%}")
        return "\n".join(lines)


def _one_run_per_output(label: Callable[..., Summary]) -> Callable[..., Summary]:
    """Run ``label`` for an input that exists, under a lock on its output (and on an
    errors file given apart from it), and turn a failed write into an OutputError that
    names the output and says how to go on."""

    @functools.wraps(label)
    def run(source: str | os.PathLike[str], output: str | os.PathLike[str], **options: Any) -> Summary:
        output = Path(output)
        errors = options.get("errors")
        files = RunFiles.beside(output, Path(errors) if errors is not None else None)
        if str(source) != "-" and not Path(source).is_file():
            raise InputError(Errors.E020.format(path=source, reason=missing_file(source)))
        for path in (files.output, files.errors):
            check_output_folder(path)
        locks: list[RunLock] = []
        targets = [files.output]
        if errors is not None and files.errors.resolve() != files.output.resolve():  # the same: E047
            targets.append(files.errors)
        try:
            for path in targets:
                try:
                    locks.append(RunLock.take(path))
                except OSError as exc:
                    if isinstance(exc, StanceError):
                        raise
                    raise output_error(exc, path) from None
            return label(source, output, **options)
        except OutputError as exc:
            if exc.errno not in NO_SPACE:
                raise
            raise _write_failed(exc, files) from None  # converting the finished rows failed
        except StanceError:
            raise
        except OSError as exc:
            if not _written_by_run(exc, files):
                raise  # reading the input failed
            raise _write_failed(exc, files) from None
        finally:
            for lock in reversed(locks):
                lock.release()

    return run


def _written_by_run(exc: OSError, files: RunFiles) -> bool:
    """Whether ``exc`` came from writing one of the run's files (a write to an open file
    has no file name; creating one names it)."""
    if exc.filename is None:
        return True
    ours = {*(str(p) for p in vars(files).values()), str(lock_path(files.output)), str(lock_path(files.errors))}
    return str(exc.filename) in ours or str(exc.filename).startswith(tuple(str(p) + "." for p in ours))


def _write_failed(exc: OSError, files: RunFiles) -> OutputError:
    """The error for a run that could not write its files: what is kept, and how to go on."""
    if exc.errno not in NO_SPACE:
        return exc if isinstance(exc, OutputError) else output_error(exc, files.output)
    reason = write_reason(exc, folder_of(files.output))
    try:
        records = orjson.loads(files.progress.read_bytes())["records"]
    except (OSError, ValueError, KeyError, TypeError):
        records = None
    if records is None:  # nothing to resume from: leave nothing behind
        for path in (files.partial, files.errors_partial, files.progress):
            path.unlink(missing_ok=True)
        message = Errors.E204.format(folder=folder_of(files.output), reason=reason, output=files.output)
    else:
        message = Errors.E203.format(
            folder=folder_of(files.output), reason=reason, output=files.output, records=records, partial=files.partial
        )
    return OutputError(message, exc.errno)


@_one_run_per_output
def label_file(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    model: Any = None,
    format: str | None = None,
    to: Literal["jsonl", "csv", "tsv", "parquet", "label-studio", "prodigy"] | None = None,
    text_field: str | None = None,
    id_field: str | None = None,
    context_field: str | None = None,
    target_field: str | None = "target",
    min_confidence: float | None = None,
    explain: int = 0,
    errors: str | os.PathLike[str] | None = None,
    strict: bool = False,
    force: bool = False,
    resume: bool = False,
    jobs: int = 1,
    chunk_size: int = 2000,
    progress: bool = False,
    checkpoint_seconds: float = 1.0,
) -> Summary:
    """Label every record of ``source`` and write them to ``output``.

    Parameters
    ----------
    source
        Input file, or ``"-"`` for stdin.
    output
        Output file; its extension (or ``to``) chooses JSONL, CSV/TSV or Parquet; ``to``
        may also be ``label-studio`` or ``prodigy`` (tasks with the model's labels as
        pre-annotations, see :mod:`stance.tasks`).
    model
        A :class:`~stance.classifier.StanceModel`, a model path, or ``None`` for the default.
    format
        Input format (one of :data:`stance.read.FORMATS`); detected from the content when
        ``None``.
    text_field, context_field, target_field, id_field
        Field paths (``record.text`` works). ``None`` text and context fields mean: what
        the format defines (platform formats), else ``"text"`` and ``"context"``. The id
        is copied into error records.
    min_confidence
        Rows whose top probability is below it get ``stance: "uncertain"``; their model
        label is kept in ``stance_top``.
    explain
        When > 0, add ``stance_reasons``: that many features that pushed each row towards
        its label, as readable strings (slow: one explanation per row).
    errors
        Where error records go; default ``<output stem>.errors.jsonl`` beside the output.
        Written only when some record is rejected.
    strict
        Stop at the first bad record, writing no output.
    force
        Overwrite an existing output (and start over instead of resuming).
    resume
        Continue an interrupted run of the same command.
    jobs
        Worker processes; ``-1`` uses every core. Output order is input order.
    chunk_size
        Records per ``predict_proba`` call and per checkpoint; for JSONL and text input,
        lines (blank lines, which are not records, count too).
    progress
        Show a progress bar on stderr.
    checkpoint_seconds
        At most one checkpoint per this many seconds (after a chunk); 0 checkpoints after
        every chunk. An interrupted run redoes at most this much work when resumed.

    Returns
    -------
    Summary

    Raises
    ------
    InputError
        For unusable arguments, an existing output without ``force``, an unreadable
        input, or one where no record has the text field; never for a bad record (that
        is an error record).
    OutputError
        When another run is writing ``output``, or the output cannot be written (its
        folder is missing or read-only, the disk is full): nothing is put in place, and
        when a checkpoint was made, ``resume=True`` goes on from it.
    ModelNotFoundError, ModelIntegrityError
        When the model cannot be loaded.
    """
    from ..model import resolve_model

    started = time.perf_counter()
    source = str(source)
    output = Path(output)
    fmt_out = output_format(output, to)
    jobs = _check_options(fmt_out, min_confidence, jobs)
    files = RunFiles.beside(output, Path(errors) if errors is not None else None)
    _check_files(source, files, force=force, resume=resume)
    model = resolve_model(model)
    spec = ChunkSpec(
        tuple(model.labels), text_field, context_field, target_field, id_field, min_confidence, explain,
        keep_text=fmt_out in TASK_FORMATS,
    )
    identity = fingerprint(source, _options(spec, model, format, fmt_out))

    fmt, byte_source = open_input(source, format=format)
    if byte_source.compression:  # offsets are then in the content, which is larger than the file
        identity["compression"] = byte_source.compression
    summary = Summary(output=output, errors=files.errors, format=fmt)
    state = resume_state(files, identity) if resume and files.progress.exists() else {}
    summary.resume_from(state)
    partial = PartialFiles(files, state, identity, every=checkpoint_seconds)
    bar = None
    workers = None
    unusable = False
    try:
        work, tasks = _tasks(fmt, byte_source, state, spec, chunk_size)
        if progress:
            bar = progress_bar(byte_source.size, byte_source.disk_position if byte_source.size else summary.resumed_at)
        if jobs > 1:
            workers, results = ordered_map(work, tasks, model, jobs)
        else:
            results = ((key, work(*args, model)) for key, args in tasks)
        partial.start_clock()
        # progress in bytes of the file as stored: the content offset, or for a compressed
        # file how far the reading has got (ahead of the rows written by the chunks in flight)
        where = (lambda offset: byte_source.disk_position) if byte_source.compression else (lambda offset: offset)
        _collect(results, summary, partial, bar, lines=fmt in LINE_FORMATS, strict=strict, where=where if byte_source.size else None)
        damage = damage_record(byte_source) if work is chunks.label_lines and not summary.stopped else None
        if damage is not None:  # (records_of adds it for the other formats)
            result = chunks.label_chunk([damage], spec, model)
            _collect(iter([((byte_source.position, damage.number), result)]), summary, partial, bar, lines=True, strict=strict, where=None if bar is None or not byte_source.size else where)
        if byte_source.damage:
            summary.damage = f"'{byte_source.name}' is damaged: {byte_source.damage}"
    except InputError:  # the input is unusable (not the format it was read as)
        unusable = True
        raise
    finally:
        if workers is not None:
            workers.stop()
        if bar is not None:
            bar.close()
        byte_source.close()
        partial.close(discard=unusable)
    if summary.wrong_text_field:  # the field's name is wrong, not the records: no output at all
        for path in (files.partial, files.errors_partial, files.progress):
            path.unlink(missing_ok=True)
        name = text_field or "text"
        raise InputError(Errors.E206.format(
            path=source, field=name, available=", ".join(summary.fields) or "none", example=likely_field(name, summary.fields),
        ))
    if not finish(
        files, fmt_out, stopped=bool(summary.stopped), force=force, labels=list(model.labels), model_version=model_version(model.metadata)
    ):
        summary.errors = None
    summary.seconds = time.perf_counter() - started
    return summary


def _check_options(fmt_out: str, min_confidence: float | None, jobs: int) -> int:
    """Refuse unusable options before anything is read; the number of worker processes."""
    if fmt_out == "parquet":
        require_pyarrow()
    if min_confidence is not None and not 0.0 <= min_confidence <= 1.0:
        raise InputError(Errors.E045.format(value=min_confidence))
    if jobs == -1:
        jobs = os.cpu_count() or 1
    if jobs < 1:
        raise InputError(Errors.E046.format(value=jobs))
    return jobs


def _check_files(source: str, files: RunFiles, *, force: bool, resume: bool) -> None:
    """Refuse to write over the input, an existing output, or an interrupted run's progress."""
    if source != "-" and Path(source).exists():
        if files.output.resolve() == Path(source).resolve():
            raise InputError(Errors.E048.format(path=files.output))
        if files.errors.resolve() in (Path(source).resolve(), files.output.resolve()):
            raise InputError(Errors.E047.format(path=files.errors))
    for path in (files.output, files.errors):
        if path.exists() and not force:
            raise InputError(Errors.E023.format(path=path))
    if files.progress.exists() and not resume and not force:
        raise InputError(Errors.E043.format(output=files.output, progress=files.progress))


def _options(spec: ChunkSpec, model: Any, format: str | None, fmt_out: str) -> dict[str, Any]:
    """The options a resumed run must share with the interrupted one."""
    return {
        "format": format, "text_field": spec.text_field, "id_field": spec.id_field, "context_field": spec.context_field,
        "target_field": spec.target_field, "min_confidence": spec.min_confidence, "explain": spec.explain,
        "labels": list(model.labels), "model_sha256": model.metadata.get("payload_sha256") or model.metadata.get("sha256"),
        "to": fmt_out,
    }


def _tasks(
    fmt: str, byte_source: ByteSource, state: dict[str, Any], spec: ChunkSpec, chunk_size: int
) -> tuple[Callable[..., ChunkResult], Iterator[Task]]:
    """The labelling function and its tasks, each keyed by (input byte offset, line or
    record number) where its input ends.

    JSONL and text are read as blocks of raw lines, parsed where they are labelled (so in a
    parallel run the parent only cuts the input at newlines and writes what the workers
    return); their checkpoints also hold the input's byte offset and line number, so a
    resume seeks there. Other formats, and a checkpoint from before offsets were kept, are
    parsed here, skipping the records already done.
    """
    if fmt in LINE_FORMATS and (not state or "offset" in state):
        byte_source.skip_to(state.get("offset", 0))
        blocks = line_blocks(byte_source, chunk_size, number=state.get("line", 0))
        return chunks.label_lines, (((b.end, b.number + b.lines - 1), (b, fmt, spec)) for b in blocks)
    records = records_of(fmt, byte_source)
    if state:
        records = chunks.skip(records, state["records"])
    return chunks.label_chunk, (((c[-1].end, c[-1].number), (c, spec)) for c in chunks.chunks(records, chunk_size))


def _collect(
    results: Iterator[tuple[tuple[int, int], ChunkResult]],
    summary: Summary,
    partial: PartialFiles,
    bar: Any,
    *,
    lines: bool,
    strict: bool,
    where: Callable[[int], int] | None,
) -> None:
    """Write the labelled chunks in order, count them, show progress and checkpoint."""
    for (offset, line), result in results:
        partial.write(result.rows, result.errors)
        summary.add(result)
        if strict and result.first_error:
            unit, number, reason = result.first_error
            summary.stopped = Errors.E049.format(unit=unit, number=number, reason=reason, errors=summary.errors)
            return
        if bar is not None:
            bar.update(where(offset) - bar.n if where is not None else result.n)
            rate = (summary.read - summary.resumed_at) / max(bar.format_dict["elapsed"], 1e-9)  # this run's
            bar.set_postfix_str(f"{rate:,.0f} rows/s", refresh=False)
        partial.checkpoint(summary.done(), (offset, line) if lines else None)


def progress_bar(total: int | None, done: int) -> Any:
    """Bytes of the input when its size is known (``done`` bytes already), else rows."""
    from tqdm import tqdm

    if total:
        return tqdm(total=total, initial=done, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, desc="labelling", dynamic_ncols=True)
    return tqdm(unit=" rows", initial=done, file=sys.stderr, desc="labelling", dynamic_ncols=True)
