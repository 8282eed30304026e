"""Annotation-tool exports: Label Studio, Prodigy and doccano, read as ratings.

Each reader turns one tool's export into rows of named fields, one per rating, with
``item`` (the task's id), ``annotator`` and ``label`` beside the task's own fields, so
`stance train`, `evaluate` and `agree` read them with their usual field options. A row
that is not a rating (a cancelled or ignored answer, a rejected Prodigy answer, a task
nobody annotated) is still yielded, marked ``skipped`` with the why, so callers count and
report it instead of losing it. For `stance label` the same files are read as tasks, one
record per task (:func:`label_studio_tasks`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from ..errors import Reasons
from .delimited import read_delimited
from .json_array import read_json_array
from .jsonl import read_jsonl
from .records import BadRecord, Record, get_field, raw_head
from .source import HEAD_SIZE, ByteSource

Rows = Iterator[Record | BadRecord]

LABEL_STUDIO_TEXT = "data.text"  # where a Label Studio task keeps the text to label
# The parts of a Label Studio task that are read into ratings, not copied into them.
_TASK_PARTS = frozenset({"data", "annotations", "predictions", "drafts"})
# Fields of a Label Studio JSON-MIN/CSV row that are never the choice control.
_MIN_META = frozenset({"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time", "item"})
# Names a choice control usually has, for JSON-MIN rows where no value looks like a choice.
_CHOICE_NAMES = ("label", "stance", "sentiment", "choice", "class", "category")


def single_label(value: Any, field: str) -> tuple[str | None, str | None]:
    """(label, problem) of a label value as tools write it: a string, a one-element list
    (unwrapped), Label Studio's ``{"choices": [...]}``, or that as JSON text (CSV).
    An empty value is no label; several labels are a problem, as stance gives one."""
    if isinstance(value, str) and value.lstrip().startswith(("[", '{"choices"')):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return value, None
    if isinstance(value, dict) and "choices" in value:
        value = value["choices"]
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value), None
    if isinstance(value, list):
        if any(isinstance(v, list) for v in value):
            return None, Reasons.SPAN_LABELS.format(value=value)
        if not all(isinstance(v, (str, int)) for v in value):
            return None, Reasons.NOT_A_CHOICE.format(value=value, field=field)
        if len(value) > 1:
            return None, Reasons.SEVERAL_LABELS.format(n=len(value), labels=", ".join(map(str, value)), field=field)
        return (str(value[0]) if value else None), None
    return None, Reasons.NOT_A_CHOICE.format(value=value, field=field)


def _json_rows(path: str | os.PathLike[str] | ByteSource) -> Rows:
    """Objects of a JSON array, or one per line: Label Studio exports arrays, and its rows
    labelled by `stance label` come back as JSONL."""
    source = ByteSource.of(path)
    starts_array = source.peek(HEAD_SIZE).lstrip(b" \t\r\n").startswith(b"[")
    return read_json_array(source) if starts_array else read_jsonl(source)


def _bad(record: Record, reason: str) -> BadRecord:
    return BadRecord(record.number, raw_head(orjson.dumps(record.fields, default=str)), reason, record.end, record.unit)


def _rating(record: Record, fields: dict[str, Any], skipped: str | None = None) -> Record:
    return Record(record.number, fields, end=record.end, unit=record.unit, skipped=skipped)


def _annotator(completed_by: Any) -> str | None:
    """Label Studio's ``completed_by``: a user id, or a user object (email first)."""
    if isinstance(completed_by, dict):
        completed_by = completed_by.get("email") or completed_by.get("id")
    return None if completed_by is None else str(completed_by)


def _choices(results: Any) -> tuple[dict[str, str], str | None]:
    """{control name: label} of the choice results of one annotation or prediction."""
    chosen: dict[str, str] = {}
    for result in results if isinstance(results, list) else []:
        if not isinstance(result, dict) or result.get("type") != "choices":
            continue
        name = str(result.get("from_name") or "choices")
        label, problem = single_label((result.get("value") or {}).get("choices"), name)
        if problem:
            return {}, problem
        if label is not None:
            chosen[name] = label
    return chosen, None


def _with_label(fields: dict[str, Any], chosen: dict[str, str]) -> dict[str, Any]:
    """The task fields with each control's choice, and ``label`` when there is one control."""
    fields.update(chosen)
    if len(chosen) == 1:  # the annotation's choice, over any "label" the task's data has
        fields["label"] = next(iter(chosen.values()))
    return fields


def read_label_studio(path: str | os.PathLike[str] | ByteSource) -> Rows:
    """Label Studio's JSON export (an array of tasks, or one per line): one rating per
    annotation that was not cancelled.

    Each row has the task's ``data`` fields (and ``data`` itself, for paths such as
    ``data.text``) over its other top-level fields, ``id`` and ``item`` (the task id), ``annotator`` (``completed_by``),
    ``annotation_id``, one field per choice control (``from_name``) and ``label`` when
    there is one control; ``prediction`` is the first prediction's choice, if any.
    """
    for record in _json_rows(path):
        if isinstance(record, BadRecord):
            yield record
            continue
        task = record.fields
        data = task.get("data")
        if not isinstance(data, dict):
            yield _bad(record, Reasons.NO_TASK_DATA.format(kind=f"a {type(data).__name__}" if data is not None else "none"))
            continue
        annotations = task.get("annotations") or []
        if not isinstance(annotations, list):
            yield _bad(record, Reasons.ANNOTATIONS_NOT_LIST.format(key="annotations", kind=type(annotations).__name__))
            continue
        # the task's own fields too (`stance label` adds its label there), under its data
        task_fields = {key: value for key, value in task.items() if key not in _TASK_PARTS}
        base = {**task_fields, **data, "data": data, "id": task.get("id"), "item": task.get("id")}
        predictions = task.get("predictions") or []
        if isinstance(predictions, list) and predictions and isinstance(predictions[0], dict):
            predicted, problem = _choices(predictions[0].get("result"))
            if problem:
                yield _bad(record, problem)
                continue
            if len(predicted) == 1:
                base["prediction"] = next(iter(predicted.values()))
        if not annotations:
            yield _rating(record, base, "unannotated")
            continue
        for annotation in annotations:
            if not isinstance(annotation, dict):
                yield _bad(record, Reasons.ANNOTATIONS_NOT_LIST.format(key="annotations", kind=f"list of {type(annotation).__name__}"))
                continue
            fields = {**base, "annotator": _annotator(annotation.get("completed_by")), "annotation_id": annotation.get("id")}
            if annotation.get("was_cancelled"):
                yield _rating(record, fields, "cancelled")
                continue
            chosen, problem = _choices(annotation.get("result"))
            if problem:
                yield _bad(record, problem)
                continue
            yield _rating(record, _with_label(fields, chosen), None if chosen else "empty")


def label_studio_tasks(path: str | os.PathLike[str] | ByteSource) -> Rows:
    """Label Studio tasks to label, whole (id, annotations and all); the text is ``data.text``."""
    for record in _json_rows(path):
        if isinstance(record, Record):
            record.text, record.text_field = get_field(record.fields, LABEL_STUDIO_TEXT), LABEL_STUDIO_TEXT
        yield record


def _min_rows(records: Rows) -> Rows:
    """Label Studio JSON-MIN or CSV rows: the choice control's value unwrapped; ``item``
    is the task id, and ``label`` the choice when the control can be told apart."""
    for record in records:
        if isinstance(record, BadRecord):
            yield record
            continue
        fields = dict(record.fields)
        fields.setdefault("item", fields.get("id"))
        looks_chosen = [name for name, value in fields.items() if name not in _MIN_META and not name.startswith("stance_") and _looks_chosen(value)]
        # "stance" beside "stance_proba" is the model's label (from `stance label`), not a control
        named = [name for name in _CHOICE_NAMES if name in fields and not (name == "stance" and "stance_proba" in fields)]
        controls = looks_chosen or named[:1]
        problem = None
        chosen: dict[str, str] = {}
        for name in controls:
            label, problem = single_label(fields[name], name)
            if problem:
                break
            fields[name] = label
            if label is not None:
                chosen[name] = label
        if problem:
            yield _bad(record, problem)
            continue
        unannotated = not chosen and not fields.get("annotator") and not fields.get("annotation_id")
        yield _rating(record, _with_label(fields, chosen), "unannotated" if unannotated else (None if chosen else "empty"))


def _looks_chosen(value: Any) -> bool:
    """Whether a JSON-MIN/CSV value has the shape of several choices (a list of names,
    ``{"choices": [...]}``, or either as JSON text), which only a choice control gives."""
    if isinstance(value, str) and value.startswith(("[", '{"choices"')):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return False
    if isinstance(value, dict):
        return "choices" in value
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def read_label_studio_min(path: str | os.PathLike[str] | ByteSource) -> Rows:
    """Label Studio's JSON-MIN export (an array, or one per line): flat rows (``id``, the data fields, the choice
    control, ``annotator``, ``annotation_id``), one per annotation."""
    return _min_rows(_json_rows(path))


def read_label_studio_csv(path: str | os.PathLike[str] | ByteSource) -> Rows:
    """Label Studio's CSV export: the JSON-MIN columns (several choices as JSON text)."""
    return _min_rows(read_delimited(path, ","))


_ANSWERS = ("accept", "reject", "ignore")


def read_prodigy(path: str | os.PathLike[str] | ByteSource) -> Rows:
    """Prodigy's JSONL (``prodigy db-out``): one rating per accepted answer.

    Choice tasks (``options``) take the accepted option's id as the label; binary tasks
    their ``label``. ``ignore`` answers are not ratings, and neither are ``reject`` ones:
    a rejected binary answer says "not X", which is none of stance's labels. ``item`` is
    ``_input_hash`` (the same text across sessions), ``annotator`` is ``_annotator_id``
    (else ``_session_id``).
    """
    for record in read_jsonl(path):
        if isinstance(record, BadRecord):
            yield record
            continue
        fields = dict(record.fields)
        answer = fields.get("answer")
        if answer is None:
            yield _bad(record, Reasons.NO_ANSWER)
            continue
        if answer not in _ANSWERS:
            yield _bad(record, Reasons.BAD_ANSWER.format(answer=answer))
            continue
        fields["item"] = fields.get("_input_hash", fields.get("_task_hash", fields.get("id")))
        fields["annotator"] = fields.get("_annotator_id") or fields.get("_session_id")
        if answer != "accept":
            yield _rating(record, fields, "ignored" if answer == "ignore" else "rejected")
            continue
        if "options" in fields:
            options = [o.get("id") for o in fields["options"] if isinstance(o, dict)] if isinstance(fields["options"], list) else []
            accepted = fields.get("accept") or []
            accepted = accepted if isinstance(accepted, list) else [accepted]
            unknown = [a for a in accepted if a not in options]
            if unknown:
                yield _bad(record, Reasons.UNKNOWN_OPTION.format(option=unknown[0], options=", ".join(map(str, options))))
                continue
            label, problem = single_label(accepted, "accept")
        else:
            label, problem = single_label(fields.get("label"), "label")
        if problem:
            yield _bad(record, problem)
            continue
        fields["label"] = label
        yield _rating(record, fields, None if label is not None else "empty")


def read_doccano(path: str | os.PathLike[str] | ByteSource) -> Rows:
    """doccano's text-classification JSONL: ``text`` and ``label`` as a list of label
    names (``labels`` in older exports); a one-element list is the label."""
    for record in read_jsonl(path):
        if isinstance(record, BadRecord):
            yield record
            continue
        fields = dict(record.fields)
        name = "label" if "label" in fields or "labels" not in fields else "labels"
        label, problem = single_label(fields.get(name), name)
        if problem:
            yield _bad(record, problem)
            continue
        fields["label"] = label
        fields.setdefault("item", fields.get("id", record.number))
        yield _rating(record, fields, None if label is not None else "unannotated")


# Format name -> (reader of ratings, reader of tasks to label).
TOOL_READERS: dict[str, tuple[Callable[[ByteSource], Rows], Callable[[ByteSource], Rows]]] = {
    "label-studio": (read_label_studio, label_studio_tasks),
    "label-studio-min": (read_label_studio_min, _json_rows),
    "label-studio-csv": (read_label_studio_csv, lambda source: read_delimited(source, ",")),
    "prodigy": (read_prodigy, read_jsonl),
    "doccano": (read_doccano, read_jsonl),
}
TOOL_FORMATS = tuple(TOOL_READERS)


def tool_of(value: Any, *, lines: bool) -> str | None:
    """Which annotation tool exported a parsed first task or row, if any. ``lines``: the
    file is one value per line (Prodigy and doccano write JSONL)."""
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("data"), dict) and (
        "annotations" in value or "predictions" in value or ("id" in value and "includes" not in value)
    ):
        return "label-studio"
    if "annotation_id" in value and "annotator" in value:
        return "label-studio-min"
    if not lines:
        return None
    if "_input_hash" in value or "_task_hash" in value or ("answer" in value and ("options" in value or "label" in value)):
        return "prodigy"
    labels = value.get("label", value.get("labels"))
    if "text" in value and isinstance(labels, list) and all(isinstance(v, str) for v in labels):
        return "doccano"
    return None


def is_label_studio_header(first_line: bytes) -> bool:
    """Whether a CSV header is Label Studio's (it names the annotator and annotation)."""
    names = {name.strip().strip('"') for name in first_line.decode("utf-8", "replace").strip().split(",")}
    return {"annotation_id", "annotator"} <= names
