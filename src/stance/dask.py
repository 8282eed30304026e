"""Dask: label past one machine, a Dask DataFrame or a directory of dump files at a time.

Two entry points, both optional (``pip install 'stance[dask]'``):

:func:`label`
    The contract of :func:`stance.label_frame` on a Dask DataFrame, through
    ``map_partitions`` with the right ``meta``: nothing is computed until you ask.
:func:`label_files`
    What ``stance label 'dumps/*.jsonl.zst' -o out/ --dask SCHEDULER`` runs: one task per
    input file, each running :func:`stance.batch.label_file` on a worker, so each file's
    output and errors file in ``out/`` are byte for byte what ``stance label FILE`` writes.
    A file whose output is in place is complete (outputs appear only when whole) and is
    skipped by a re-run; a file left part-done by a lost worker or a killed client resumes
    from its last checkpoint (see :mod:`stance.batch.checkpoint`), whether the scheduler
    retries it on another worker or the command is run again.

The model is never shipped with the tasks. A task carries a :class:`ModelRef` (a path and
its size and modification time, or a key), and each worker process loads the model once
and keeps it (:func:`worker_model`). A model object (not a file) is sent to each worker
once, when it joins, through a worker plugin (restarted workers included).

Every worker must see the input and output paths (a shared file system) and have stance
installed with the same model file at the same path (or use the shipped default model).

One module, a little over 400 lines: both entry points share the worker-side model cache
and the optional-import checks, and Dask users read it as one page.
"""

from __future__ import annotations

import gc
import glob
import logging
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import Errors, InputError

if TYPE_CHECKING:
    import dask.dataframe as dd

    from .model import StanceModel

_MODELS: dict[tuple[Any, ...], Any] = {}  # this process's models, by ModelRef.key
_LOCK = threading.Lock()  # a worker with several threads loads a model once
DATA_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".txt", ".js", ".parquet", ".pq")
OUTPUT_SUFFIXES = {"jsonl": ".jsonl", "csv": ".csv", "tsv": ".tsv", "parquet": ".parquet", "label-studio": ".json", "prodigy": ".jsonl"}


def require_dask(what: str = "Labelling on Dask") -> None:
    """Import check: dask.dataframe and distributed, or the command that installs them."""
    missing = []
    for module in ("dask.dataframe", "distributed"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module.split(".")[0])
    if missing:
        raise InputError(Errors.E331.format(what=what, missing=", ".join(missing)))


# --- the model, once per worker ---------------------------------------------------------


@dataclass(frozen=True)
class ModelRef:
    """What a task carries instead of the model: enough to find it in the worker's cache.

    ``path`` None is the shipped default model; ``key`` names a model object sent to the
    workers by a plugin (or, without a distributed client, ``inline`` holds it).
    """

    path: str | None = None
    stamp: tuple[int, int] | None = None  # the file's size and mtime: a changed file is reloaded
    key: str | None = None
    trust_pickle: bool = False  # a model file from before stance 0.2 (see stance.load_model)
    inline: Any = field(default=None, compare=False, hash=False)

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return (self.path, self.stamp, self.key)


def model_ref(model: "StanceModel | str | os.PathLike[str] | None", *, trust_pickle: bool = False) -> ModelRef:
    """A reference to ``model`` for tasks to carry; a model object is sent to every worker
    of the current distributed client once, by a worker plugin."""
    if model is None:
        return ModelRef()
    if isinstance(model, (str, os.PathLike)):  # checked first: the client then never imports spaCy
        path = Path(model).resolve()
        stat = path.stat() if path.is_file() else None
        return ModelRef(str(path), (stat.st_size, stat.st_mtime_ns) if stat else None, trust_pickle=trust_pickle)
    from .model import StanceModel

    if not isinstance(model, StanceModel):
        raise TypeError(f"model must be a StanceModel, a model file's path or None, not {type(model).__name__}")
    key = str(model.metadata.get("payload_sha256") or uuid.uuid4().hex)
    _MODELS[(None, None, key)] = model
    client = _current_client()
    if client is None:  # local schedulers: threads share this process; processes get it inline
        return ModelRef(key=key, inline=model)
    client.register_plugin(_ModelPlugin(key, model), name=f"stance-model-{key[:16]}")
    return ModelRef(key=key)


def worker_model(ref: ModelRef) -> Any:
    """The model ``ref`` names, loaded at most once in this process."""
    found = _MODELS.get(ref.cache_key)
    if found is not None:
        return found
    with _LOCK:
        if ref.cache_key not in _MODELS:
            if ref.key is not None:
                if ref.inline is None:
                    raise RuntimeError(f"stance model {ref.key} was not sent to this worker")
                _MODELS[ref.cache_key] = ref.inline
            else:
                from .model import resolve_model

                _MODELS[ref.cache_key] = resolve_model(ref.path, trust_pickle=ref.trust_pickle)
                # the model and the modules live as long as the worker: keep the garbage
                # collector from rescanning them (as `stance label` does)
                gc.freeze()
        return _MODELS[ref.cache_key]


try:  # the base class distributed requires of a worker plugin; this module imports without it
    from distributed.diagnostics.plugin import WorkerPlugin as _WorkerPlugin
except ImportError:  # pragma: no cover - without the extra, no plugin is ever registered
    _WorkerPlugin = object  # type: ignore[misc,assignment]


class _ModelPlugin(_WorkerPlugin):  # type: ignore[misc,valid-type]
    """A worker plugin that puts one model object in each worker's cache when it starts."""

    def __init__(self, key: str, model: Any) -> None:
        self.key = key
        self.model = model

    def setup(self, worker: Any) -> None:
        _MODELS[(None, None, self.key)] = self.model

    def teardown(self, worker: Any) -> None:
        _MODELS.pop((None, None, self.key), None)


def _current_client() -> Any:
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None


# --- DataFrames ---------------------------------------------------------------------------


def label(
    ddf: "dd.DataFrame",
    *,
    text: str = "text",
    context: str | None = None,
    target: str | None = None,
    model: "StanceModel | str | os.PathLike[str] | None" = None,
    min_confidence: float | None = None,
    errors: Literal["raise", "mark"] = "raise",
    parent: str | None = None,
    trust_pickle: bool = False,
) -> "dd.DataFrame":
    """Label a Dask DataFrame: :func:`stance.label_frame` on each partition, lazily.

    Parameters and the columns added are those of :func:`stance.label_frame`; the
    divisions and index are kept. The model is loaded once per worker process (see
    :class:`ModelRef`); with ``errors="raise"``, missing text fails the computation with
    the positions inside its partition.

    Examples
    --------
    >>> import dask.dataframe as dd, pandas as pd, stance.dask
    >>> ddf = dd.from_pandas(pd.DataFrame({"text": ["Great essay, thank you", " "]}), npartitions=2)
    >>> stance.dask.label(ddf)["stance"].compute().tolist()
    ['supportive', 'off-topic']
    """
    require_dask("stance.dask.label")
    import dask.dataframe as dd
    import numpy as np

    from .frame import TEXT_DTYPE, label_frame, output_columns

    if not isinstance(ddf, dd.DataFrame):
        raise InputError(Errors.E341.format(kind=type(ddf).__name__))
    ref = model_ref(model, trust_pickle=trust_pickle)
    labels = list(worker_model(ref).labels)
    # label_frame on the empty frame checks the arguments and columns now, and gives the
    # columns and their order; the dtypes are set as the partitions will have them
    meta = label_frame(
        ddf._meta, text=text, context=context, target=target, parent=parent, model=worker_model(ref),
        min_confidence=min_confidence, errors=errors,
    )
    added = output_columns(labels, min_confidence=min_confidence)
    meta = meta.astype({c: (np.float64 if c.startswith("stance_proba_") else TEXT_DTYPE) for c in added})
    return ddf.map_partitions(
        _label_partition, ref, text, context, target, parent, min_confidence, errors, meta=meta, align_dataframes=False,
    )


def _label_partition(
    part: Any, ref: ModelRef, text: str, context: str | None, target: str | None, parent: str | None,
    min_confidence: float | None, errors: str,
) -> Any:
    from .frame import label_frame

    return label_frame(
        part, text=text, context=context, target=target, parent=parent, model=worker_model(ref), min_confidence=min_confidence,
        errors=errors,  # type: ignore[arg-type]
    )


# --- files --------------------------------------------------------------------------------


@dataclass
class FilesSummary:
    """What :func:`label_files` did, over all files."""

    files: int = 0
    skipped: list[str] = field(default_factory=list)
    read: int = 0
    labelled: int = 0
    rejected: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    output: Path | None = None

    def add(self, result: dict[str, Any]) -> None:
        self.read += result["read"]
        self.labelled += result["labelled"]
        self.rejected += result["rejected"]
        for label, count in result["counts"].items():
            self.counts[label] = self.counts.get(label, 0) + count

    @property
    def exit_code(self) -> int:
        return 0 if not self.rejected else 3

    def describe(self) -> str:
        done = self.files - len(self.skipped) - len(self.failures)
        rate = self.read / self.seconds if self.seconds else 0.0
        lines = [
            f"Labelled {done} of {self.files} files ({len(self.skipped)} already complete, skipped) into {self.output}: "
            f"read {self.read} records, labelled {self.labelled}, rejected {self.rejected} in {self.seconds:.1f}s "
            f"({rate:,.0f} records/s)."
        ]
        if self.rejected:
            lines.append(f"{self.rejected} records were rejected; each is in its file's .errors.jsonl in {self.output}.")
        total = sum(self.counts.values())
        for label, count in sorted(self.counts.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  {label:<12} {count:>9}  {count / total if total else 0:6.1%}")
        return "\n".join(lines)


def expand_inputs(patterns: list[str]) -> list[Path]:
    """The files the patterns name (glob patterns expanded, sorted; plain paths as given)."""
    paths: list[Path] = []
    for pattern in patterns:
        if pattern == "-":
            raise InputError(Errors.E345)
        found = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else [pattern]
        found = [p for p in found if Path(p).is_file()]
        if not found:
            raise InputError(Errors.E333.format(pattern=pattern))
        paths.extend(Path(p) for p in found)
    return list(dict.fromkeys(paths))


def output_name(path: Path, fmt_out: str) -> str:
    """The output file's name for input ``path``: its name without the compression and
    data suffixes, plus the output format's (``2024-01.jsonl.zst`` → ``2024-01.jsonl``)."""
    from .read.compressed import strip_suffix

    name = strip_suffix(path.name)
    for suffix in DATA_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name + OUTPUT_SUFFIXES[fmt_out]


def plan_outputs(inputs: list[Path], out_dir: Path, fmt_out: str) -> list[tuple[Path, Path]]:
    """(input, output) pairs, refusing two inputs that would share an output."""
    seen: dict[Path, Path] = {}
    for path in inputs:
        output = out_dir / output_name(path, fmt_out)
        if output in seen:
            raise InputError(Errors.E334.format(first=seen[output], second=path, output=output))
        seen[output] = path
    return [(path, output) for output, path in seen.items()]


def is_complete(output: Path) -> bool:
    """Whether a file's labelling is done: its output is in place (outputs appear only
    when whole) and no interrupted run's progress file is beside it."""
    from .batch.checkpoint import RunFiles

    return output.exists() and not RunFiles.beside(output, None).progress.exists()


def pending(patterns: list[str], out_dir: str | os.PathLike[str], *, to: str | None = None, force: bool = False) -> list[Path]:
    """The input files :func:`label_files` would label (all of them with ``force``)."""
    plan = plan_outputs(expand_inputs(patterns), Path(out_dir), to or "jsonl")
    return [source for source, output in plan if force or not is_complete(output)]


def label_one(source: str, output: str, options: dict[str, Any], ref: ModelRef) -> dict[str, Any]:
    """Label one file on a worker (a task of :func:`label_files`): a retried task, after
    its worker was lost, resumes from the file's last checkpoint."""
    from .batch import label_file
    from .batch.checkpoint import RunFiles

    resume = RunFiles.beside(Path(output), None).progress.exists()
    # without its output the file is not done, and an errors file beside it is a stale one
    options = {**options, "force": options.get("force") or not Path(output).exists()}
    summary = label_file(source, output, model=worker_model(ref), resume=resume, jobs=1, progress=False, **options)
    return {
        "input": source, "read": summary.read, "labelled": summary.labelled, "rejected": summary.rejected,
        "counts": summary.counts, "resumed_at": summary.resumed_at, "stopped": summary.stopped,
    }


def parse_scheduler(value: str) -> tuple[str, Any]:
    """``("local", N)`` for ``local:N``, else ``("address", value)`` (a scheduler address or
    scheduler file)."""
    if value == "local" or value.startswith("local:"):
        count = value.partition(":")[2] or str(os.cpu_count() or 1)
        if not count.isdigit() or int(count) < 1:
            raise InputError(Errors.E335.format(value=value))
        return "local", int(count)
    if "://" in value or value.endswith(".json") or ":" in value:
        return "address", value
    raise InputError(Errors.E335.format(value=value))


def connect(scheduler: str) -> tuple[Any, Any]:
    """A distributed client for ``scheduler`` (and the LocalCluster it started, or None)."""
    require_dask()
    from distributed import Client, LocalCluster

    kind, value = parse_scheduler(scheduler)
    if kind == "local":
        import dask

        # The workers' statistical profiler samples every thread's stack 100 times a second,
        # which costs a labelling worker about a fifth of its speed here.
        dask.config.set({"distributed.worker.profile.enabled": False})
        # Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, which also fixes glibc's mmap
        # threshold: every large array is then mapped and unmapped afresh, and a labelling
        # worker runs about a fifth slower (bench/scale_out.py). The labeller streams, so
        # its memory does not need the trimming.
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})
        cluster = LocalCluster(
            n_workers=value, threads_per_worker=1, processes=True, dashboard_address=":0",
            silence_logs=logging.CRITICAL,  # a failed file is reported once, by label_files
        )
        return Client(cluster), cluster
    if value.endswith(".json"):
        return Client(scheduler_file=value), None
    return Client(value), None


def label_files(
    patterns: list[str],
    out_dir: str | os.PathLike[str],
    *,
    client: Any,
    model: "StanceModel | str | os.PathLike[str] | None" = None,
    trust_pickle: bool = False,
    to: str | None = None,
    force: bool = False,
    progress: bool = False,
    **options: Any,
) -> FilesSummary:
    """Label each input file on the cluster ``client`` is connected to, into ``out_dir``.

    Parameters
    ----------
    patterns
        Files or glob patterns (``dumps/*.jsonl.zst``); each file is one task.
    out_dir
        Directory for one output and (when a record is rejected) one errors file per input,
        named after it (:func:`output_name`).
    client
        A ``distributed.Client``; None will do when every file is complete (see
        :func:`pending`).
    model
        A model path or None (the shipped default), loaded once per worker; a model object
        is sent to each worker once.
    to
        Output format (``jsonl``, ``csv``, ``tsv``, ``parquet``); default JSONL.
    force
        Label every file again, overwriting its outputs, instead of skipping complete ones.
    progress
        Print the dashboard link and show a progress bar over files (and rows) on stderr.
    **options
        Passed to :func:`stance.batch.label_file` for each file (``format``, ``text_field``,
        ``min_confidence``, ``chunk_size``, ...).

    Returns
    -------
    FilesSummary
        Failed files are in ``failures`` with their error; the others are complete.
    """
    from distributed import as_completed

    from .batch.checkpoint import RunFiles

    started = time.perf_counter()
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(Errors.E332.format(path=out))
    fmt_out = to or "jsonl"
    if fmt_out not in OUTPUT_SUFFIXES:
        raise InputError(Errors.E042.format(format=fmt_out))
    if fmt_out == "parquet":
        from .write import require_pyarrow

        require_pyarrow()
    plan = plan_outputs(expand_inputs(patterns), out, fmt_out)
    out.mkdir(parents=True, exist_ok=True)
    summary = FilesSummary(files=len(plan), output=out)
    todo = []
    for source, output in plan:
        if force:  # start over: an interrupted run's progress must not be resumed
            RunFiles.beside(output, None).progress.unlink(missing_ok=True)
        elif is_complete(output):
            summary.skipped.append(str(source))
            continue
        todo.append((source, output))
    if todo and client is None:
        raise ValueError("label_files needs a distributed client when some file is to be labelled")
    if progress and todo:
        print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr)
    ref = model_ref(model, trust_pickle=trust_pickle) if todo else ModelRef()
    options = {**options, "to": fmt_out, "force": force}
    futures = {
        client.submit(label_one, str(source), str(output), options, ref, key=f"stance-label-{uuid.uuid4().hex[:8]}-{output.name}", pure=False): source
        for source, output in todo
    }
    bar = _files_bar(len(plan), len(summary.skipped)) if progress else None
    try:
        for future in as_completed(futures) if futures else ():
            try:
                summary.add(future.result())
            except Exception as exc:  # the file's own error (unusable input, ...), or a lost task
                summary.failures[str(futures[future])] = f"{type(exc).__name__}: {exc}"
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"{summary.read:,} rows, {summary.read / max(time.perf_counter() - started, 1e-9):,.0f} rows/s", refresh=False)
    finally:
        if bar is not None:
            bar.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _files_bar(total: int, done: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, initial=done, unit=" files", file=sys.stderr, desc="labelling", dynamic_ncols=True)
