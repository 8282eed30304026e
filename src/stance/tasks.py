"""Annotation-tool tasks: the model's labels as pre-annotations for Label Studio and Prodigy.

`stance label --to label-studio|prodigy` and `stance suggest --to ...` write tasks an
annotator opens with the model's answer already chosen, to confirm or correct:

``label-studio``
    A JSON array of tasks to import: ``data`` (the record's fields, the text in
    ``data.text``) and ``predictions`` with one ``choices`` result (``from_name``
    "stance", ``to_name`` "text") and the model's top probability as ``score``.
``prodigy``
    JSONL for the ``choice`` interface: ``text``, ``options`` (every label), ``accept``
    (the model's label, pre-selected) and ``meta`` (label, probability, the record's id).

Both come back through :mod:`stance.read.annotations` once annotated. Files are written
atomically (see :func:`stance.write.atomic_output`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from .write import atomic_output

CONTROL = "stance"  # the Label Studio <Choices name=...> the predictions are for
TEXT_OBJECT = "text"  # the Label Studio <Text name=...> it labels
# Fields stance adds when labelling; a task carries them as its prediction instead.
_STANCE_FIELDS = ("stance", "stance_proba", "stance_top", "stance_reasons", "stance_text")
_DUMP = orjson.OPT_SERIALIZE_NUMPY


def _prediction(row: Mapping[str, Any]) -> tuple[str, float]:
    """The model's label (its own, also under --min-confidence) and its probability."""
    label = row.get("stance_top") or row["stance"]
    return label, float(row["stance_proba"][label])


def _record_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key not in _STANCE_FIELDS}


def label_studio_task(row: Mapping[str, Any], text: str, model_version: str) -> dict[str, Any]:
    """One Label Studio task: the record as ``data`` (a task's own ``data`` when it was
    one already), the text at ``data.text``, and the model's label as a prediction."""
    fields = _record_fields(row)
    task: dict[str, Any] = {}
    if isinstance(fields.get("data"), dict):  # a Label Studio task labelled again: keep it, annotations and all
        task = {key: value for key, value in fields.items() if key != "predictions"}
        data = dict(fields["data"])
    else:
        data = fields
    data["text"] = text
    label, score = _prediction(row)
    result = {"from_name": CONTROL, "to_name": TEXT_OBJECT, "type": "choices", "value": {"choices": [label]}}
    return {**task, "data": data, "predictions": [{"model_version": model_version, "score": round(score, 4), "result": [result]}]}


def prodigy_task(row: Mapping[str, Any], text: str, labels: Sequence[str]) -> dict[str, Any]:
    """One Prodigy choice task with the model's label pre-selected in ``accept``."""
    label, score = _prediction(row)
    meta: dict[str, Any] = {"stance": label, "probability": round(score, 4)}
    fields = _record_fields(row)
    if fields.get("id") is not None:
        meta["id"] = fields["id"]
    return {
        "text": text,
        "options": [{"id": name, "text": name} for name in labels],
        "accept": [label],
        "meta": meta,
    }


def write_tasks(
    path: str | os.PathLike[str],
    rows: Iterable[tuple[Mapping[str, Any], str]],
    fmt: str,
    *,
    labels: Sequence[str],
    model_version: str,
    force: bool = False,
) -> int:
    """Write (labelled row, its text) pairs as ``fmt`` tasks at ``path``, atomically,
    one at a time (a Label Studio array is streamed, never held); the number written."""
    count = 0
    with atomic_output(path, force=force) as handle:
        if fmt == "label-studio":
            handle.write(b"[")
            for row, text in rows:
                handle.write((b",\n" if count else b"\n") + orjson.dumps(label_studio_task(row, text, model_version), option=_DUMP))
                count += 1
            handle.write(b"\n]\n")
        else:
            for row, text in rows:
                handle.write(orjson.dumps(prodigy_task(row, text, labels), option=_DUMP | orjson.OPT_APPEND_NEWLINE))
                count += 1
    return count


def model_version(metadata: Mapping[str, Any]) -> str:
    """How tasks name the model that pre-annotated them: stance's version and the model's hash."""
    from . import __version__

    digest = metadata.get("payload_sha256") or metadata.get("sha256")
    return f"stance {__version__}" + (f" ({str(digest)[:12]})" if digest else "")


def tasks_from_jsonl(
    source: str | os.PathLike[str], path: str | os.PathLike[str], fmt: str, *, labels: Sequence[str], model_version: str, force: bool = False
) -> int:
    """Turn a finished `stance label` JSONL file (whose rows carry ``stance_text``) into tasks."""

    def pairs() -> Iterable[tuple[dict[str, Any], str]]:
        with open(source, "rb") as handle:
            for line in handle:
                if line.strip():
                    row = orjson.loads(line)
                    yield row, row.get("stance_text", "")

    return write_tasks(path, pairs(), fmt, labels=labels, model_version=model_version, force=force)
