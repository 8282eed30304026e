"""Batch labelling: stream a dump of replies through a model into a labelled file.

:func:`label_file` is what ``stance label`` runs. It reads records one chunk at a time
(:mod:`stance.read`), labels each chunk with one ``predict_proba`` call (so spaCy sees the
whole chunk through ``nlp.pipe``), and appends the rows to a partial JSONL file beside the
output. Every input record ends as exactly one output row or one error record.

Resuming
--------
After a chunk, at most once a second (``checkpoint_seconds``), the partial output and
partial errors file are flushed to disk, and then a small progress file records how many input records are done and how many bytes of each
partial file hold them (for JSONL and text input also the byte offset and line number the
input is done up to). A run killed at any point (Ctrl-C, ``kill -9``, power loss) leaves
at worst a chunk of rows past the last checkpoint; ``resume=True`` cuts both partial files
back to the checkpoint, seeks the input to its offset (other formats: skips the records
already done) and carries on. Only a finished run renames the output into place, so a
half-written output never appears.

Parallel runs
-------------
With ``jobs > 1`` chunks go to worker processes that each hold the model (a
fork shares the loaded model; elsewhere it is pickled once per worker and its spaCy
pipeline rebuilt). For JSONL and text the parent does not parse: it cuts the input into
blocks of whole raw lines (:func:`stance.read.line_blocks`) and a worker parses a block
with the same code as a one-process run, labels it and returns serialized rows, so the
parent, which only reads and writes bytes, leaves the cores to the workers. Other formats
are parsed in the parent and sent as records. Results are written in input order, and at
most ``2 * jobs`` chunks are in flight, so memory stays bounded however fast the reader is.
"""

from __future__ import annotations

import itertools
import multiprocessing
import multiprocessing.connection
import multiprocessing.reduction
import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import orjson

from .errors import Errors, InputError
from .read import (
    LINE_FORMATS,
    RAW_LIMIT,
    BadRecord,
    LineBlock,
    Record,
    get_field,
    has_field,
    line_blocks,
    open_input,
    parse_line_block,
    records_of,
)
from .write import convert_jsonl, output_format, require_pyarrow

UNCERTAIN = "uncertain"
PROGRESS_VERSION = 1
_DUMP = orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY


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


@dataclass(frozen=True)
class _Spec:
    """Everything a worker needs to label a chunk, besides the model."""

    labels: tuple[str, ...]
    text_field: str | None
    context_field: str | None
    target_field: str | None
    id_field: str | None
    min_confidence: float | None
    explain: int = 0


@dataclass
class _Done:
    n: int
    rows: bytes
    errors: bytes
    labelled: int
    rejected: int
    counts: dict[str, int]
    first_error: tuple[str, int, str] | None


_MODEL: Any = None  # the model of this (worker) process


def _init_worker(model: Any, parent: int | None = None) -> None:
    """Set up a worker process: its model, Ctrl-C ignored, and death with its parent."""
    global _MODEL
    _MODEL = model
    # Ctrl-C reaches every process of the terminal's group: the parent stops the workers and
    # says how to resume, so a worker ignores it instead of printing a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent is not None:
        _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """Have Linux kill this worker when the parent dies (``kill -9`` included), so no
    worker labels on, or prints a broken-pipe traceback, after a killed run."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request was in place
        os._exit(1)


def _error_line(unit: str, number: int, raw: str, reason: str, ident: Any = None) -> bytes:
    record: dict[str, Any] = {unit: number}
    if ident is not None:
        record["id"] = ident
    record["raw"] = raw
    record["reason"] = reason
    return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)


def _raw_fields(fields: dict[str, Any]) -> str:
    return orjson.dumps(fields, default=str)[:RAW_LIMIT].decode("utf-8", errors="ignore")


def _text_problem(fields: dict[str, Any], text: Any, name: str) -> str | None:
    """Why ``text`` cannot be labelled, or None when it can."""
    if type(text) is str:
        if not text.strip():
            return f"the text field {name!r} is empty"
        if "\x00" in text:
            return f"the text field {name!r} contains a NUL character"
        return None
    if text is None:
        if has_field(fields, name):
            return f"the text field {name!r} is null"
        available = ", ".join(map(str, list(fields)[:20])) or "none"
        return f"no text field {name!r} (fields: {available}); choose one with --text-field"
    return f"the text field {name!r} is a {type(text).__name__}, not a string"


def _label_chunk(items: list[Record | BadRecord], spec: _Spec, model: Any = None) -> _Done:
    """Label one chunk: rows as JSONL bytes, error records as JSONL bytes, counts."""
    from .features import paused_gc

    with paused_gc():
        return _label_chunk_now(items, spec, model)


def _label_chunk_now(items: list[Record | BadRecord], spec: _Spec, model: Any = None) -> _Done:
    model = model if model is not None else _MODEL
    errors: list[bytes] = []
    first_error = None
    good: list[Record] = []
    texts: list[str] = []
    contexts: list[str | None] = []
    targets: list[str | None] = []
    for item in items:
        if type(item) is BadRecord:
            errors.append(_error_line(item.unit, item.number, item.raw, item.reason))
            first_error = first_error or (item.unit, item.number, item.reason)
            continue
        fields = item.fields
        if spec.text_field is None and item.text_field is not None:
            text, name = item.text, item.text_field
        else:
            name = spec.text_field or "text"
            text = fields[name] if name in fields else get_field(fields, name)
        problem = _text_problem(fields, text, name)
        if problem is not None:
            ident = get_field(fields, spec.id_field) if spec.id_field else None
            errors.append(_error_line(item.unit, item.number, _raw_fields(fields), problem, ident))
            first_error = first_error or (item.unit, item.number, problem)
            continue
        if spec.context_field is None and item.text_field is not None:
            context = item.context
        else:
            context = get_field(fields, spec.context_field or "context")
        target = get_field(fields, spec.target_field) if spec.target_field else None
        good.append(item)
        texts.append(text)
        contexts.append(context if type(context) is str and context else None)
        targets.append(target if type(target) is str and target else None)
    rows = b""
    counts: Counter[str] = Counter()
    if good:
        from .features import Examples

        proba = model.predict_proba(Examples(texts, contexts, targets))
        reasons = (
            [
                [str(r) for r in model.explain(t, context=c, target=g, top=spec.explain)]
                for t, c, g in zip(texts, contexts, targets)
            ]
            if spec.explain
            else None
        )
        rows, counts = _rows(good, proba, spec, reasons)
    return _Done(len(items), rows, b"".join(errors), len(good), len(items) - len(good), dict(counts), first_error)


def _label_lines(block: LineBlock, fmt: str, spec: _Spec, model: Any = None) -> _Done:
    """Parse one block of raw JSONL or text lines and label it (in a worker, in a parallel run)."""
    from .features import paused_gc

    with paused_gc():  # parsing allocates many small objects; see paused_gc
        items = parse_line_block(block, fmt)
    return _label_chunk(items, spec, model)


def _rows(
    good: list[Record], proba: np.ndarray, spec: _Spec, reasons: list[list[str]] | None = None
) -> tuple[bytes, Counter[str]]:
    labels = spec.labels
    best = proba.argmax(axis=1)
    top = [labels[i] for i in best.tolist()]
    rounded = np.round(proba, 4).tolist()
    if spec.min_confidence is not None:
        confident = (proba.max(axis=1) >= spec.min_confidence).tolist()
        stance = [t if ok else UNCERTAIN for t, ok in zip(top, confident)]
    else:
        stance = top
    dumps = orjson.dumps
    out = []
    with_top = spec.min_confidence is not None
    for i, (record, label, p, t) in enumerate(zip(good, stance, rounded, top)):
        fields = record.fields
        fields["stance"] = label
        fields["stance_proba"] = dict(zip(labels, p))
        if with_top:
            fields["stance_top"] = t
        if reasons is not None:
            fields["stance_reasons"] = reasons[i]
        out.append(dumps(fields, option=_DUMP, default=str))
    return b"".join(out), Counter(stance)


def _chunks(records: Iterator[Record | BadRecord], size: int) -> Iterator[list[Record | BadRecord]]:
    from .features import paused_gc

    while True:
        with paused_gc():  # parsing allocates many small objects; see paused_gc
            chunk = list(itertools.islice(records, size))
        if not chunk:
            return
        yield chunk


# -- files beside the output ---------------------------------------------------------------
@dataclass
class _Paths:
    output: Path
    errors: Path
    partial: Path
    errors_partial: Path
    progress: Path

    @classmethod
    def beside(cls, output: Path, errors: Path | None) -> "_Paths":
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


def _fingerprint(source: str, options: dict[str, Any]) -> dict[str, Any]:
    if source == "-":
        return {"input": "-", "options": options}
    stat = Path(source).stat()
    return {
        "input": str(Path(source).resolve()),
        "input_size": stat.st_size,
        "input_mtime_ns": stat.st_mtime_ns,
        "options": options,
    }


def _write_progress(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(orjson.dumps(state))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _sync(handle: Any) -> int:
    handle.flush()
    os.fsync(handle.fileno())
    return handle.tell()


# -- the engine ----------------------------------------------------------------------------
def label_file(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    model: Any = None,
    format: str | None = None,
    to: Literal["jsonl", "csv", "tsv", "parquet"] | None = None,
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
        Output file; its extension (or ``to``) chooses JSONL, CSV/TSV or Parquet.
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
        For unusable arguments, an existing output without ``force``, or an unreadable
        input; never for a bad record (that is an error record).
    ModelNotFoundError, ModelIntegrityError
        When the model cannot be loaded.
    """
    from .classifier import StanceModel, default_model, load_model

    started = time.perf_counter()
    source = str(source)
    output = Path(output)
    fmt_out = output_format(output, to)
    if fmt_out == "parquet":
        require_pyarrow()
    if min_confidence is not None and not 0.0 <= min_confidence <= 1.0:
        raise InputError(Errors.E045.format(value=min_confidence))
    if jobs == -1:
        jobs = os.cpu_count() or 1
    if jobs < 1:
        raise InputError(Errors.E046.format(value=jobs))
    paths = _Paths.beside(output, Path(errors) if errors is not None else None)
    if source != "-" and Path(source).exists():
        if output.resolve() == Path(source).resolve():
            raise InputError(Errors.E048.format(path=output))
        if paths.errors.resolve() in (Path(source).resolve(), output.resolve()):
            raise InputError(Errors.E047.format(path=paths.errors))
    for path in (paths.output, paths.errors):
        if path.exists() and not force:
            raise InputError(Errors.E023.format(path=path))
    if paths.progress.exists() and not resume and not force:
        raise InputError(Errors.E043.format(output=output, progress=paths.progress))

    if model is None:
        model = default_model()
    elif not isinstance(model, StanceModel):
        model = load_model(model)
    spec = _Spec(
        tuple(model.labels), text_field, context_field, target_field, id_field, min_confidence, explain
    )
    options = {
        "format": format, "text_field": text_field, "id_field": id_field, "context_field": context_field,
        "target_field": target_field, "min_confidence": min_confidence, "explain": explain, "labels": list(model.labels),
        "model_sha256": model.metadata.get("payload_sha256") or model.metadata.get("sha256"),
        "to": fmt_out,
    }
    fingerprint = _fingerprint(source, options)

    fmt, byte_source = open_input(source, format=format)
    summary = Summary(output=output, errors=paths.errors, format=fmt)
    done = 0
    state: dict[str, Any] = {}
    if resume and paths.progress.exists():
        state = orjson.loads(paths.progress.read_bytes())
        _check_resumable(state, fingerprint, paths)
        done = state["records"]
        summary.read, summary.labelled, summary.rejected = done, state["labelled"], state["rejected"]
        summary.counts = dict(state["counts"])
        summary.resumed_at = done
    # JSONL and text are read as blocks of raw lines, parsed where they are labelled (see
    # _parallel); their checkpoints also hold the input's byte offset and line number, so
    # a resume seeks there. A checkpoint from before offsets were kept skips records.
    lines = fmt in LINE_FORMATS
    by_offset = lines and (not state or "offset" in state)
    paths.output.parent.mkdir(parents=True, exist_ok=True)
    paths.errors.parent.mkdir(parents=True, exist_ok=True)
    out = open(paths.partial, "r+b" if state else "wb")
    err = open(paths.errors_partial, "r+b" if state else "wb")
    if state:
        out.truncate(state["output_bytes"])
        out.seek(state["output_bytes"])
        err.truncate(state["errors_bytes"])
        err.seek(state["errors_bytes"])
    bar = None
    workers = None
    unusable = False
    try:
        if by_offset:
            first_line = state.get("line", 0)
            byte_source.skip_to(state.get("offset", 0))
            work = _label_lines
            tasks: Iterator[tuple[Any, ...]] = ((block, fmt) for block in line_blocks(byte_source, chunk_size, number=first_line))
        else:  # other formats, or a checkpoint without an offset: parse here, skip what is done
            records = records_of(fmt, byte_source)
            if done:
                records = _skip(records, done)
            work = _label_chunk
            tasks = ((chunk,) for chunk in _chunks(records, chunk_size))
        if progress:
            bar = _progress_bar(byte_source.size, byte_source.position if byte_source.size else done)
        if jobs > 1:
            workers, results = _parallel(tasks, work, spec, model, jobs)
        else:
            results = ((_reached(args), work(*args, spec, model)) for args in tasks)
        errors_unsynced = True
        last_checkpoint = time.monotonic()
        for (offset, line), result in results:
            out.write(result.rows)
            if result.errors:
                err.write(result.errors)
                errors_unsynced = True
            summary.read += result.n
            summary.labelled += result.labelled
            summary.rejected += result.rejected
            for label, count in result.counts.items():
                summary.counts[label] = summary.counts.get(label, 0) + count
            if strict and result.first_error:
                unit, number, reason = result.first_error
                summary.stopped = Errors.E049.format(unit=unit, number=number, reason=reason, errors=paths.errors)
                break
            if bar is not None:
                bar.update(offset - bar.n if byte_source.size else result.n)
                rate = (summary.read - summary.resumed_at) / max(bar.format_dict["elapsed"], 1e-9)  # this run's
                bar.set_postfix_str(f"{rate:,.0f} rows/s", refresh=False)
            if time.monotonic() - last_checkpoint < checkpoint_seconds:
                continue  # each checkpoint costs fsyncs: one per second is plenty
            last_checkpoint = time.monotonic()
            checkpoint = {
                "version": PROGRESS_VERSION, **fingerprint, "records": summary.read,
                "output_bytes": _sync(out), "errors_bytes": _sync(err) if errors_unsynced else err.tell(),
                "labelled": summary.labelled, "rejected": summary.rejected, "counts": summary.counts,
            }
            errors_unsynced = False
            if lines:
                checkpoint["offset"], checkpoint["line"] = offset, line
            _write_progress(paths.progress, checkpoint)
    except InputError:  # the input is unusable (not the format it was read as)
        unusable = True
        raise
    finally:
        if workers is not None:
            workers.stop()
        if bar is not None:
            bar.close()
        byte_source.close()
        out.close()
        err.close()
        if unusable and not paths.progress.exists():  # nothing to resume: leave no partial files
            paths.partial.unlink(missing_ok=True)
            paths.errors_partial.unlink(missing_ok=True)
    _finish(paths, fmt_out, summary, force=force, labels=list(model.labels))
    summary.seconds = time.perf_counter() - started
    return summary


def _check_resumable(state: dict[str, Any], fingerprint: dict[str, Any], paths: _Paths) -> None:
    def fail(reason: str) -> None:
        raise InputError(Errors.E044.format(output=paths.output, reason=reason))

    if state.get("version") != PROGRESS_VERSION:
        fail(f"its progress file '{paths.progress}' was written by another version of stance")
    for key, what in (("input", "the input"), ("input_size", "the input's size"), ("input_mtime_ns", "the input's modification time"), ("options", "the options")):
        if state.get(key) != fingerprint.get(key):
            fail(f"{what} changed since the interrupted run ({state.get(key)!r} then, {fingerprint.get(key)!r} now)")
    for path, key in ((paths.partial, "output_bytes"), (paths.errors_partial, "errors_bytes")):
        if not path.exists() or path.stat().st_size < state[key]:
            fail(f"the partial file '{path}' is missing or shorter than its checkpoint")
    if "offset" in state:  # where a JSONL or text input is done up to: seeked to on resume
        offset, line, size = state["offset"], state.get("line"), fingerprint.get("input_size")
        if type(offset) is not int or type(line) is not int or not 0 <= line <= offset or (size is not None and offset > size):
            fail(f"its progress file '{paths.progress}' holds no usable input offset ({offset!r}, line {line!r})")


def _skip(records: Iterator[Record | BadRecord], n: int) -> Iterator[Record | BadRecord]:
    for i, record in enumerate(records):
        if i >= n:
            yield record
            break
    yield from records


def _reached(args: tuple[Any, ...]) -> tuple[int, int]:
    """(input byte offset, line or record number) that a task's input ends at."""
    task = args[0]
    if type(task) is LineBlock:
        return task.end, task.number + task.lines - 1
    return task[-1].end, task[-1].number


def _parallel(tasks: Iterator[tuple[Any, ...]], work: Any, spec: _Spec, model: Any, jobs: int) -> tuple[_Workers | None, Iterator[tuple[tuple[int, int], _Done]]]:
    """Run ``work(*task, spec)`` over ``tasks`` in ``jobs`` worker processes (None when one
    task is all there is); results in task order, each with where its input ends (see
    :func:`_reached`).

    The first task is labelled here before forking, so every worker starts with the
    model's per-word caches already warm instead of filling them separately. For JSONL
    and text a task is a block of raw lines (``_label_lines``): the parent only cuts the
    input at newlines and writes what the workers return, so it stays nearly idle and
    does not compete with them for the cores.
    """
    first = next(tasks, None)
    if first is None:
        return None, iter(())
    head = (_reached(first), work(*first, spec, model))
    second = next(tasks, None)
    if second is None:  # all of it fitted in the first chunk: no workers needed
        return None, iter((head,))
    workers = _Workers(jobs, model)
    results = workers.run(itertools.chain((second,), tasks), work, spec)
    return workers, itertools.chain((head,), results)


class _WorkerError(Exception):
    """The traceback of an exception raised in a worker process."""

    def __str__(self) -> str:
        return str(self.args[0])


class _Workers:
    """``jobs`` processes that label tasks, with at most ``2 * jobs`` tasks in flight.

    Each worker has a pipe of its own, and on each side a thread sends, so neither the
    parent (writing and checkpointing) nor a worker (labelling) waits for the other to
    read. No lock is shared between processes, unlike :class:`multiprocessing.pool.Pool`,
    whose ``terminate()`` hangs when it kills a worker that is writing a result: here
    stopping is killing the workers, safe at any point (Ctrl-C, ``--strict``, an error),
    and a worker that dies is an error instead of a hang.
    """

    def __init__(self, jobs: int, model: Any) -> None:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.processes: list[Any] = []
        self.conns: list[Any] = []
        self.outboxes: list[queue.SimpleQueue[Any]] = []
        self.threads: list[threading.Thread] = []
        try:
            for _ in range(jobs):
                ours, theirs = context.Pipe()
                self.conns.append(ours)
                process = context.Process(target=_serve, args=(theirs, model, os.getpid()), daemon=True)
                process.start()
                theirs.close()
                self.processes.append(process)
            for conn in self.conns:  # threads only once every fork is done
                outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
                thread = threading.Thread(target=_send_all, args=(conn, outbox), daemon=True)
                thread.start()
                self.outboxes.append(outbox)
                self.threads.append(thread)
        except BaseException:
            self.stop()
            raise

    def run(self, tasks: Iterator[tuple[Any, ...]], work: Any, spec: _Spec) -> Iterator[tuple[tuple[int, int], _Done]]:
        """Results in task order. An error (raised in a worker, or a worker that died) is
        raised in that order too, after the results of every task before it."""
        jobs = len(self.processes)
        window = 2 * jobs  # tasks sent and not yet yielded, results waiting in order included
        assigned: list[set[int]] = [set() for _ in range(jobs)]  # tasks a worker has not answered
        alive = [True] * jobs
        reached: dict[int, tuple[int, int]] = {}
        done: dict[int, tuple[bool, Any]] = {}
        sent = wanted = 0
        more = True
        while True:
            while more and sent - wanted < window and any(alive):
                args = next(tasks, None)
                if args is None:
                    more = False
                    break
                worker = min((len(a), w) for w, a in enumerate(assigned) if alive[w])[1]
                reached[sent] = _reached(args)
                # Pickled here, not in the sending thread: a task that cannot be pickled
                # raises in this run instead of killing the thread and leaving us waiting.
                self.outboxes[worker].put(_pickled((sent, work, args, spec)))
                assigned[worker].add(sent)
                sent += 1
            if wanted in done:
                ok, value = done.pop(wanted)
                if not ok:
                    error, cause = value
                    raise error from cause
                yield reached.pop(wanted), value
                wanted += 1
                continue
            if wanted == sent:  # nothing left to send or to wait for
                return
            waiting = [self.conns[w] for w in range(jobs) if alive[w] and assigned[w]]
            for conn in multiprocessing.connection.wait(waiting):
                worker = self.conns.index(conn)
                try:
                    number, ok, value = conn.recv()
                except (EOFError, OSError):
                    alive[worker] = False
                    process = self.processes[worker]
                    process.join(5)
                    died = RuntimeError(f"a worker process (pid {process.pid}) died, exit code {process.exitcode}")
                    for number in assigned[worker]:
                        done[number] = (False, (died, None))
                    assigned[worker].clear()
                    continue
                assigned[worker].discard(number)
                done[number] = (True, value) if ok else (False, (value[0], _WorkerError(value[1])))

    def stop(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.kill()
        for process in self.processes:
            process.join()
        for outbox in self.outboxes:
            outbox.put(None)
        for thread in self.threads:
            thread.join()  # a send to a dead worker fails at once
        for conn in self.conns:
            conn.close()


def _pickled(message: Any) -> bytes:
    return bytes(multiprocessing.reduction.ForkingPickler.dumps(message))


def _send_all(conn: Any, outbox: queue.SimpleQueue[Any]) -> None:
    """Send the pickled messages put in ``outbox`` until None, or until the other side is gone."""
    while (message := outbox.get()) is not None:
        try:
            conn.send_bytes(message)
        except OSError:
            return


def _serve(conn: Any, model: Any, parent: int) -> None:
    """A worker: label each task received on ``conn`` and send the result back."""
    _init_worker(model, parent)
    outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    sender = threading.Thread(target=_send_all, args=(conn, outbox), daemon=True)
    sender.start()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            break
        if message is None:
            break
        number, work, args, spec = message
        try:
            outbox.put(_pickled((number, True, work(*args, spec))))
        except Exception as exc:  # labelling failed, or its result cannot be pickled
            trace = traceback.format_exc()
            try:
                pickle.dumps(exc)
            except Exception:
                exc = RuntimeError(f"{type(exc).__name__}: {exc}")
            outbox.put(_pickled((number, False, (exc, trace))))
    outbox.put(None)
    sender.join()


def _progress_bar(total: int | None, done: int) -> Any:
    """Bytes of the input when its size is known (``done`` bytes already), else rows."""
    from tqdm import tqdm

    if total:
        return tqdm(total=total, initial=done, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, desc="labelling", dynamic_ncols=True)
    return tqdm(unit=" rows", initial=done, file=sys.stderr, desc="labelling", dynamic_ncols=True)


def _finish(paths: _Paths, fmt_out: str, summary: Summary, *, force: bool, labels: list[str]) -> None:
    """Put the finished output and errors in place, then drop the progress file."""
    has_errors = paths.errors_partial.stat().st_size > 0
    if summary.stopped:
        paths.partial.unlink(missing_ok=True)
    elif fmt_out == "jsonl":
        if paths.output.exists() and not force:
            raise InputError(Errors.E023.format(path=paths.output))
        os.replace(paths.partial, paths.output)
    else:
        convert_jsonl(paths.partial, paths.output, fmt_out, force=force, labels=labels)
        paths.partial.unlink()
    if has_errors:
        os.replace(paths.errors_partial, paths.errors)
    else:
        paths.errors_partial.unlink(missing_ok=True)
        if force:
            paths.errors.unlink(missing_ok=True)  # a stale errors file would mislead
        summary.errors = None
    paths.progress.unlink(missing_ok=True)


__all__ = ["Summary", "UNCERTAIN", "label_file"]
