"""Annotation files: long format (item, annotator, label per record), or one file per annotator."""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import Errors, InputError, Warnings
from ..read import get_field, single_label, strict_records
from .ratings import is_missing


def read_annotations(
    paths: Sequence[str | os.PathLike[str]],
    *,
    on: str | None = None,
    item_field: str = "item",
    annotator_field: str = "annotator",
    label_field: str = "label",
    labels: Sequence[str] | None = None,
    text_fields: Mapping[str, str] | None = None,
    format: str | None = None,
    input_format: str | None = None,
    skipped: dict[Path, tuple[Counter[str], int]] | None = None,
) -> tuple[list[tuple[str, str, str | None]], dict[str, dict[str, Any]]]:
    """Read annotation files into long-format rows for :func:`compare`.

    Parameters
    ----------
    paths : sequence of paths
        JSONL, JSON, CSV or TSV files.
    on : str, optional
        ``None``: each file is long format, one rating per record with ``item_field``,
        ``annotator_field`` and ``label_field``. A field name: each file holds one
        annotator's labels (the annotator is the file name without extension), and items
        are joined on this field.
    labels : sequence of str, optional
        The allowed labels; any other label is an error naming its file and line.
    text_fields : mapping, optional
        ``{"text": field, "context": field, ...}``: also collect these fields per item (the
        first non-empty value wins), for running a model on the items.
    format : str, optional
        The files' format (one of :data:`stance.read.ROW_FORMATS`); detected when None.
    input_format : str, optional
        Deprecated spelling of ``format``.
    skipped : dict, optional
        Filled with ``{path: (rows that are not ratings by why, ratings used)}`` for the
        annotation-tool exports (cancelled, ignored or rejected answers; see
        :mod:`stance.read.annotations`).

    Returns
    -------
    rows : list of (item, annotator, label)
        Item ids, annotators and labels as strings; a missing label is ``None``.
    examples : dict
        Item → ``{"text": ..., ...}`` when ``text_fields`` is given.

    Raises
    ------
    InputError
        Naming the file and line: unreadable records, missing fields, a label outside
        ``labels``, an annotator labelling one item twice differently, an empty file.
    """
    if input_format is not None:
        warnings.warn(Warnings.W001.format(old="read_annotations(input_format=...)", new="format=..."), DeprecationWarning, stacklevel=2)
        format = format if format is not None else input_format
    allowed = set(labels) if labels is not None else None
    collected = _Collected()
    stems: dict[str, Path] = {}
    for path in map(Path, paths):
        if on is not None:
            if path.stem in stems:
                raise InputError(Errors.E313.format(first=stems[path.stem], second=path, name=path.stem))
            stems[path.stem] = path
        not_ratings: Counter[str] = Counter()
        used = 0
        for record in strict_records(path, format=format, skipped=not_ratings):
            used += 1
            fields = record.fields
            if on is None:
                item = str(_required(fields, item_field, path, record.number, "--item-field (or, for one file per annotator, --on ID_FIELD)"))
                annotator = str(_required(fields, annotator_field, path, record.number, "--annotator-field (or give one file per annotator with --on ID_FIELD)"))
            else:
                item, annotator = str(_required(fields, on, path, record.number, "--on")), path.stem
            label = _label(fields, label_field, path, record.number)
            if label is not None and allowed is not None and label not in allowed:
                raise InputError(Errors.E311.format(path=path, number=record.number, label=label, item=item, allowed=", ".join(labels or ())))
            collected.rating(item, annotator, label, path, record.number)
            if text_fields:
                collected.example(item, fields, text_fields)
        if skipped is not None and not_ratings:
            skipped[path] = (not_ratings, used)
    return collected.rows, collected.examples


def _required(fields: dict[str, Any], name: str, path: Path, number: int, option: str) -> Any:
    """A field every record needs, else an error naming the file, record and option."""
    value = get_field(fields, name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InputError(Errors.E024.format(field=name, path=path, number=number, available=", ".join(map(repr, fields)) or "none", option=option))
    return value


def _label(fields: dict[str, Any], label_field: str, path: Path, number: int) -> str | None:
    """A record's label as text, or None for no rating; the field itself must be there."""
    if label_field not in fields and get_field(fields, label_field) is None:
        raise InputError(Errors.E024.format(field=label_field, path=path, number=number, available=", ".join(map(repr, fields)), option="--label-field"))
    value = get_field(fields, label_field)
    if isinstance(value, (list, dict)):  # a tool's label list: one label, or an error
        value, problem = single_label(value, label_field)
        if problem:
            raise InputError(Errors.E021.format(path=path, number=number, reason=problem))
    return None if is_missing(value) else str(value)


class _Collected:
    """The long-format rows read so far, and the example texts of each item."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], tuple[str | None, Path, int]] = {}
        self.rows: list[tuple[str, str, str | None]] = []
        self.examples: dict[str, dict[str, Any]] = {}

    def rating(self, item: str, annotator: str, label: str | None, path: Path, number: int) -> None:
        """Keep a rating once: a repeat is dropped, a contradiction is an error, and a
        label fills in an earlier missing one."""
        previous = self.seen.get((item, annotator))
        if previous is not None and label is not None:
            if previous[0] is not None and previous[0] != label:
                raise InputError(Errors.E310.format(
                    path=path, number=number, annotator=annotator, item=item, label=label,
                    first_path=previous[1], first_number=previous[2], first_label=previous[0],
                ))
        if previous is None or (previous[0] is None and label is not None):
            self.seen[(item, annotator)] = (label, path, number)
        if previous is None or previous[0] is None:
            self.rows.append((item, annotator, label))

    def example(self, item: str, fields: dict[str, Any], text_fields: Mapping[str, str]) -> None:
        """Fill in the item's texts: the first non-empty value of each field wins."""
        example = self.examples.setdefault(item, {})
        for key, name in text_fields.items():
            text = get_field(fields, name)
            if example.get(key) is None and isinstance(text, str) and text.strip():
                example[key] = text
