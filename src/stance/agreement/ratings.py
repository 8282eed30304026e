"""Input normalisation: long-format annotations (tuples, mappings or a data frame) or a
rating matrix, turned into the integer matrices the coefficients are computed from."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import Errors, InputError, Reasons, format_values


def counts_from_ratings(ratings: Any, *, labels: Sequence[Hashable] | None = None) -> tuple[np.ndarray, list[Hashable]]:
    """The items × labels count matrix of a rating matrix.

    Parameters
    ----------
    ratings : array-like of shape (n_items, n_annotators)
        One row per item, one column per annotator; a missing rating is NaN, None or ''.
        (This is the transpose of the ``krippendorff`` package's ``reliability_data``.)
    labels : sequence, optional
        The possible labels, in column order. Default: the labels seen, sorted.

    Returns
    -------
    counts : ndarray of shape (n_items, n_labels)
    labels : list

    Examples
    --------
    >>> counts, labels = counts_from_ratings([["a", "a", None], ["a", "b", "b"]])
    >>> counts.tolist(), labels
    ([[2, 0], [1, 2]], ['a', 'b'])
    """
    array = np.asarray(ratings)
    if array.ndim != 2:
        raise InputError(Errors.E309.format(name="ratings", shape=" (items × annotators)", reason=Reasons.DIMENSIONS.format(n=array.ndim)))
    if array.dtype.kind in "fc":
        present = ~np.isnan(array)
    elif array.dtype.kind in "iub":
        present = np.ones(array.shape, dtype=bool)
    else:
        present = np.array([not is_missing(value) for value in array.ravel().tolist()], dtype=bool).reshape(array.shape)
    if array.dtype.kind in "fiub":
        values = _numeric_values(array, present)
        label_list = values if labels is None else check_labels(labels)
        if labels is not None:
            missing = [v for v in values if v not in set(label_list)]
            if missing:
                bad = np.flatnonzero((np.isin(array, missing) & present).any(axis=1)).tolist()
                raise InputError(Errors.E303.format(found=format_values(missing), allowed=", ".join(map(repr, label_list)), items=format_values(bad)))
        # Annotator by annotator over contiguous columns: cheaper than a row-wise sum of a narrow table.
        by_annotator = np.ascontiguousarray(array.T)
        counts = np.zeros((len(label_list), array.shape[0]), dtype=np.int64)
        for k, label in enumerate(label_list):
            if not isinstance(label, (int, float, np.number)):
                continue  # a non-numeric declared label cannot occur in a numeric array
            for column in by_annotator:
                counts[k] += column == label
        return counts.T, label_list
    seen = array[present]
    if labels is None:
        label_list = sorted_labels(dict.fromkeys(seen.tolist()))
    else:
        label_list = check_labels(labels)
    index = {label: code for code, label in enumerate(label_list)}
    codes = np.full(array.shape, -1, dtype=np.int64)
    try:
        codes[present] = np.fromiter((index[value] for value in seen.tolist()), dtype=np.int64, count=seen.size)
    except KeyError:
        unknown = list(dict.fromkeys(v for v in seen.tolist() if v not in index))
        bad = [i for i, (row, p) in enumerate(zip(array.tolist(), present.tolist())) if any(q and v not in index for v, q in zip(row, p))]
        raise InputError(Errors.E303.format(found=format_values(unknown), allowed=", ".join(map(repr, label_list)), items=format_values(bad))) from None
    counts = np.stack([(codes == k).sum(axis=1) for k in range(len(label_list))], axis=1) if label_list else np.zeros((array.shape[0], 0), dtype=np.int64)
    return counts, label_list


def _numeric_values(array: np.ndarray, present: np.ndarray, limit: int = 32) -> list[Any]:
    """The distinct values of a numeric rating matrix, sorted. A few passes (one per
    value) beat sorting every rating when there are few labels, the usual case."""
    rest = array[present]
    values = []
    while rest.size and len(values) < limit:
        value = rest.min()
        values.append(value)
        rest = rest[rest != value]
    if rest.size:
        return np.unique(array[present]).tolist()
    return np.asarray(values).tolist()


def is_missing(value: Any) -> bool:
    """Whether a label counts as no rating: None, '' (or blank), NaN, pandas' NA and NaT."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing markers
        return True
    try:
        return bool(value != value)  # NaN-like (numpy floats)
    except (TypeError, ValueError):
        return False


def sorted_labels(seen: Iterable[Hashable]) -> list[Hashable]:
    """Labels in sorted order, or in order of first appearance when they do not sort."""
    values = list(seen)
    try:
        return sorted(values)  # type: ignore[type-var]
    except TypeError:
        return values  # mixed types: order of first appearance


def check_labels(labels: Sequence[Hashable]) -> list[Hashable]:
    """A declared label set as a list, once it is known to be non-empty and without repeats."""
    if isinstance(labels, str):
        raise InputError(Errors.E305.format(labels=labels))
    label_list = list(labels)
    if not label_list or len(set(label_list)) != len(label_list):
        raise InputError(Errors.E305.format(labels=label_list))
    return label_list


def _long_columns(annotations: Any) -> tuple[list[Any], list[Any], list[Any], list[int], int]:
    """item, annotator and label columns of the ratings (labelled annotations), each
    rating's position in the input, and the number of annotations read."""
    if hasattr(annotations, "columns") and hasattr(annotations, "__getitem__") and not isinstance(annotations, Mapping):
        available = list(annotations.columns)
        columns = []
        for name in ("item", "annotator", "label"):
            if name not in available:
                raise InputError(Errors.E307.format(column=name, available=", ".join(map(repr, available))))
            column = annotations[name]
            columns.append(column.tolist() if hasattr(column, "tolist") else list(column))
        items, annotators, labels = columns
        positions = list(range(len(items)))
    else:
        annotations = annotations if isinstance(annotations, (list, tuple)) else list(annotations)
        if annotations and set(map(type, annotations)) == {tuple} and set(map(len, annotations)) == {3}:
            # The common case: three list comprehensions (zip(*rows) is slower on long inputs).
            items = [row[0] for row in annotations]
            annotators = [row[1] for row in annotations]
            labels = [row[2] for row in annotations]
            for name, column in (("item", items), ("annotator", annotators)):
                if None in column:
                    raise InputError(Errors.E301.format(index=column.index(None), key=name, available="item, annotator, label"))
            return _drop_missing(items, annotators, labels, list(range(len(labels))))
        items, annotators, labels, positions = [], [], [], []
        for index, row in enumerate(annotations):
            if isinstance(row, Mapping):
                for key in ("item", "annotator"):
                    if row.get(key) is None:
                        raise InputError(Errors.E301.format(index=index, key=key, available=", ".join(map(repr, row))))
                item, annotator, label = row["item"], row["annotator"], row.get("label")
            elif isinstance(row, (tuple, list)) and len(row) == 3:
                item, annotator, label = row
                if item is None or annotator is None:
                    raise InputError(Errors.E301.format(index=index, key="item" if item is None else "annotator", available="item, annotator, label"))
            else:
                kind = f"a {len(row)}-tuple" if isinstance(row, (tuple, list)) else f"a {type(row).__name__}"
                raise InputError(Errors.E300.format(index=index, kind=kind))
            items.append(item)
            annotators.append(annotator)
            labels.append(label)
            positions.append(index)
    return _drop_missing(items, annotators, labels, positions)


def _drop_missing(items: list[Any], annotators: list[Any], labels: list[Any], positions: list[int]) -> tuple[list[Any], list[Any], list[Any], list[int], int]:
    n_read = len(labels)
    try:
        distinct = dict.fromkeys(labels)  # few distinct labels: test those, not every rating
    except TypeError as exc:
        raise InputError(Errors.E300.format(index="?", kind=Reasons.UNHASHABLE.format(what="a label", why=exc))) from None
    missing = {label: is_missing(label) for label in distinct}
    if any(missing.values()):
        keep = [i for i, flag in enumerate(map(missing.__getitem__, labels)) if not flag]
        items, annotators, labels = [items[i] for i in keep], [annotators[i] for i in keep], [labels[i] for i in keep]
        positions = [positions[i] for i in keep]
    return items, annotators, labels, positions, n_read


def _encode(values: list[Any], what: str) -> tuple[np.ndarray, list[Any]]:
    """Integer codes in order of first appearance."""
    try:
        distinct = list(dict.fromkeys(values))
    except TypeError as exc:
        raise InputError(Errors.E300.format(index="?", kind=Reasons.UNHASHABLE.format(what=f"its {what}", why=exc))) from None
    index = {value: code for code, value in enumerate(distinct)}
    return np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values)), distinct


@dataclass(eq=False)  # holds arrays
class Ratings:
    """Long-format annotations as matrices: who gave which label to which item.

    ``ratings`` is items × annotators (label codes, ``-1`` for no rating), for Cohen's
    kappa and confusion matrices; ``counts`` is items × labels (how many annotators gave
    each label to each item), for every other coefficient. Items, annotators and labels
    are listed in the order of their codes.
    """

    items: list[Hashable]
    annotators: list[Hashable]
    labels: list[Hashable]
    ratings: np.ndarray
    counts: np.ndarray
    n_ratings: int


def ratings_from(annotations: Iterable[Any], labels: Sequence[Hashable] | None = None) -> Ratings:
    """The rating and count matrices of long-format annotations (see
    :func:`stance.agreement.compare` for what ``annotations`` and ``labels`` may be).

    Raises
    ------
    InputError
        For malformed annotations, labels outside ``labels``, an annotator giving one item
        two different labels, or no ratings at all.
    """
    item_values, annotator_values, label_values, positions, n_read = _long_columns(annotations)
    if not label_values:
        raise InputError(Errors.E302.format(reason=Reasons.NO_LABELS if n_read else Reasons.NO_ANNOTATIONS))
    item_codes, items = _encode(item_values, "item")
    annotator_codes, annotators = _encode(annotator_values, "annotator")
    label_codes, label_list = _label_codes(label_values, labels, item_codes, items)
    item_codes, annotator_codes, label_codes = _drop_repeats(
        item_codes, annotator_codes, label_codes, positions, items, annotators, label_list
    )
    n_items, n_annotators, n_labels = len(items), len(annotators), len(label_list)
    ratings = np.full((n_items, n_annotators), -1, dtype=np.int64)
    ratings[item_codes, annotator_codes] = label_codes
    counts = np.bincount(item_codes * n_labels + label_codes, minlength=n_items * n_labels).reshape(n_items, n_labels)
    return Ratings(items, annotators, label_list, ratings, counts, int(item_codes.size))


def _label_codes(
    label_values: list[Any], labels: Sequence[Hashable] | None, item_codes: np.ndarray, items: list[Hashable]
) -> tuple[np.ndarray, list[Hashable]]:
    """Each rating's label as its position in the label list (``labels``, else the labels
    seen, sorted), and that list; a label outside ``labels`` is an error naming its items."""
    label_codes, seen_labels = _encode(label_values, "label")
    if labels is None:
        label_list = sorted_labels(seen_labels)
    else:
        label_list = check_labels(labels)
        allowed = set(label_list)
        unknown = [label for label in seen_labels if label not in allowed]
        if unknown:
            bad = np.isin(label_codes, [seen_labels.index(label) for label in unknown])
            bad_items = list(dict.fromkeys(items[i] for i in item_codes[bad].tolist()))
            raise InputError(Errors.E303.format(found=format_values(unknown), allowed=", ".join(map(repr, label_list)), items=format_values(bad_items)))
    position = {label: code for code, label in enumerate(label_list)}
    return np.asarray([position[label] for label in seen_labels], dtype=np.int64)[label_codes], label_list


def _drop_repeats(
    item_codes: np.ndarray,
    annotator_codes: np.ndarray,
    label_codes: np.ndarray,
    positions: list[int],
    items: list[Hashable],
    annotators: list[Hashable],
    label_list: list[Hashable],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ratings without repeats: an annotator may repeat a rating, not contradict it."""
    n_annotators = len(annotators)
    key = item_codes * n_annotators + annotator_codes
    order = np.argsort(key, kind="stable")
    sorted_key, sorted_label = key[order], label_codes[order]
    repeat = sorted_key[1:] == sorted_key[:-1]
    if not repeat.any():
        return item_codes, annotator_codes, label_codes
    conflict = repeat & (sorted_label[1:] != sorted_label[:-1])
    if conflict.any():
        bad_key = sorted_key[np.flatnonzero(conflict)[0]]
        rows = order[sorted_key == bad_key]
        raise InputError(Errors.E304.format(
            item=items[int(bad_key // n_annotators)],
            annotator=annotators[int(bad_key % n_annotators)],
            labels=", ".join(repr(label_list[c]) for c in dict.fromkeys(label_codes[rows].tolist())),
            rows=", ".join(str(positions[r]) for r in rows.tolist()),
        ))
    keep = order[np.concatenate([[True], ~repeat])]
    return item_codes[keep], annotator_codes[keep], label_codes[keep]
