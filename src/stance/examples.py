"""Examples: the input shapes stance accepts, normalised into aligned lists.

A reply comes with up to three companions: ``context`` (the thread's root post, the post
the stance is about), ``parent`` (the post it answers, when that is another reply) and
``target`` (a named topic, as in stance data sets). :func:`to_examples` turns strings,
sequences, numpy arrays, pandas Series and mappings into :class:`Examples`.

Missing text. A reply whose text is missing (``None``, NaN, ``pd.NA``) cannot be labelled:
:func:`missing_text` finds those positions so callers can refuse them with a list, or mark
them. Empty and whitespace-only text is not missing: it takes no stance (off-topic).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .errors import Errors, InputError


@dataclass(frozen=True)
class Examples:
    """Texts with their optional contexts, targets and parents, aligned by position."""

    texts: list[str]
    contexts: list[str | None]
    targets: list[str | None]
    parents: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.parents:
            object.__setattr__(self, "parents", [None] * len(self.texts))

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, index: Sequence[int]) -> "Examples":
        return Examples(
            [self.texts[i] for i in index],
            [self.contexts[i] for i in index],
            [self.targets[i] for i in index],
            [self.parents[i] for i in index],
        )


def is_data_frame(X: object) -> bool:
    return hasattr(X, "columns") and hasattr(X, "iloc")


def is_missing(value: object) -> bool:
    """None, NaN and ``pd.NA`` (anything that is not equal to itself, or NA-like)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def _optional_text(value: object) -> str | None:
    return str(value) if isinstance(value, str) and value.strip() else None


def _plain(value: object) -> object:
    """A numpy scalar (``numpy.str_``) as the Python value it holds."""
    return value.item() if hasattr(value, "item") and type(value).__module__ == "numpy" else value


def to_examples(
    X: object,
    *,
    text_field: str = "text",
    context_field: str = "context",
    target_field: str = "target",
    parent_field: str = "parent",
) -> Examples:
    """Normalise the accepted input shapes into :class:`Examples`.

    ``X`` may be one string, or an iterable (list, tuple, generator, numpy array, pandas
    Series) of strings or of mappings with a text field and optional context, target and
    parent fields; a pandas DataFrame is read as one mapping per row. A missing text
    (None, NaN, ``pd.NA``) becomes the empty string here; callers that must not label it
    check :func:`missing_text` first.

    Raises
    ------
    InputError
        For an item that is neither a string, a missing value nor a mapping.
    """
    if isinstance(X, Examples):
        return X
    if isinstance(X, str):
        X = [X]
    if is_data_frame(X):
        X = X.to_dict("records")  # type: ignore[union-attr]
    texts: list[str] = []
    contexts: list[str | None] = []
    targets: list[str | None] = []
    parents: list[str | None] = []
    for index, item in enumerate(X):  # type: ignore[arg-type]
        item = _plain(item)
        if isinstance(item, Mapping):
            text = item.get(text_field)
            texts.append(text if isinstance(text, str) else "")
            contexts.append(_optional_text(item.get(context_field)))
            targets.append(_optional_text(item.get(target_field)))
            parents.append(_optional_text(item.get(parent_field)))
            continue
        if isinstance(item, str):
            texts.append(item)
        elif is_missing(item):
            texts.append("")
        else:
            raise InputError(Errors.E013.format(text_field=text_field, index=index, kind=type(item).__name__))
        contexts.append(None)
        targets.append(None)
        parents.append(None)
    return Examples(texts, contexts, targets, parents)


def missing_text(X: Iterable[object], *, text_field: str = "text") -> list[int]:
    """Positions whose text is missing (None, NaN, ``pd.NA``, or a mapping without it)."""
    if isinstance(X, (str, Examples)):
        return []
    missing = []
    for index, item in enumerate(X):
        item = _plain(item)
        value = item.get(text_field) if isinstance(item, Mapping) else item
        if is_missing(value):
            missing.append(index)
    return missing


def broadcast(value: object, n: int, name: str) -> list[str | None]:
    """One optional string per text: a single value (or None) is repeated ``n`` times."""
    if value is None or isinstance(value, str):
        return [_optional_text(value)] * n
    values = [_plain(v) for v in value]  # type: ignore[union-attr]
    if len(values) != n:
        raise InputError(Errors.E014.format(name=name, n_values=len(values), n_texts=n))
    return [_optional_text(v) for v in values]
