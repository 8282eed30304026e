"""DataFrames: :func:`label_frame`, a pandas frame in, the same frame with its stance out.

pandas is imported only here (and only when the function runs), so the rest of stance
works without it. :mod:`stance.dask` labels each partition of a Dask frame with this
function.

Empty and missing text
----------------------
The one rule of :mod:`stance.model`: a text that is empty or only whitespace takes no
stance, so it is ``off-topic`` (probability 1, when the model has that label), with the
note in ``stance_reason``. A missing value (``None``, ``NaN``, ``pd.NA``) or a value that is
not a string is an error that lists the rows; with ``errors="mark"`` such a row gets a null
stance, no probabilities (NaN) and the reason instead.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .errors import Errors, InputError, Reasons, format_numbers, format_values
from .examples import Examples, is_missing
from .model import EMPTY_NOTE, MISSING_NOTE
from .scoring import OFF_TOPIC

if TYPE_CHECKING:
    import pandas as pd

    from .model import StanceModel

UNCERTAIN = "uncertain"  # below min_confidence, as `stance label --min-confidence` writes
BATCH_ROWS = 10_000  # rows per predict_proba call: memory stays bounded on a large frame
REASON_COLUMN = "stance_reason"
# pandas' nullable string dtype (a null is pd.NA): the same under pandas 2 and 3, and
# written to Parquet as strings (an object column of None would not be, from Dask)
TEXT_DTYPE = "string"


def proba_column(label: str) -> str:
    """The column that holds the probability of ``label``."""
    return f"stance_proba_{label}"


def output_columns(labels: list[str], *, min_confidence: float | None = None) -> list[str]:
    """The columns :func:`label_frame` adds, in order."""
    top = ["stance_top"] if min_confidence is not None else []
    return ["stance", *map(proba_column, labels), *top, REASON_COLUMN]


def label_frame(
    df: "pd.DataFrame",
    *,
    text: str = "text",
    context: str | None = None,
    target: str | None = None,
    parent: str | None = None,
    model: "StanceModel | str | os.PathLike[str] | None" = None,
    min_confidence: float | None = None,
    errors: Literal["raise", "mark"] = "raise",
    trust_pickle: bool = False,
) -> "pd.DataFrame":
    """Label every row of a pandas DataFrame: the same frame, with its stance columns added.

    Parameters
    ----------
    df
        The frame; it is not changed. Its index (duplicates, a MultiIndex) is kept.
    text, context, target, parent
        Columns with the reply text, the post replied to (optional), the stance target
        (optional; with a per-target model, the rows of a target use its model) and, for a
        reply to a reply, the reply it answers (optional; see :func:`stance.classify`).
    model
        A :class:`~stance.model.StanceModel`, a model path, or None for the shipped
        default model.
    min_confidence
        Rows whose top probability is below it get the stance ``"uncertain"``; the model's
        label is then kept in a ``stance_top`` column.
    errors
        ``"raise"``: a missing or non-string text is an error listing the rows. ``"mark"``:
        such rows get a null stance and a reason in ``stance_reason``.
    trust_pickle
        Allow a model file written before stance 0.2 (a pickle): only files you trust.

    Returns
    -------
    pandas.DataFrame
        ``df`` with ``stance``, one ``stance_proba_<label>`` column per label of the model
        (float64, NaN where the model was not asked), ``stance_top`` with
        ``min_confidence``, and ``stance_reason`` (``<NA>`` where the model labelled the
        row). ``stance``, ``stance_top`` and ``stance_reason`` have the ``"string"`` dtype.
        Stance columns already in ``df`` (a frame labelled before) are replaced.

    Raises
    ------
    InputError
        For a frame without the named columns, missing text (unless ``errors="mark"``),
        or an unusable argument.

    Examples
    --------
    >>> import pandas as pd
    >>> import stance
    >>> out = stance.label_frame(pd.DataFrame({"text": ["Great essay, thank you", "  "]}))
    >>> out["stance"].tolist()
    ['supportive', 'off-topic']
    >>> out.columns.tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['text', 'stance', 'stance_proba_critical', 'stance_proba_off-topic',
     'stance_proba_supportive', 'stance_reason']
    """
    import pandas as pd

    from .model import resolve_model

    if not isinstance(df, pd.DataFrame):
        raise InputError(Errors.E340.format(kind=type(df).__name__))
    if errors not in ("raise", "mark"):
        raise InputError(Errors.E339.format(value=errors))
    if min_confidence is not None and not 0.0 <= min_confidence <= 1.0:
        raise InputError(Errors.E045.format(value=min_confidence))
    for column, what in ((text, "text"), (context, "context"), (target, "target"), (parent, "parent")):
        if column is not None and column not in df.columns:
            available = format_values([str(c) for c in df.columns])
            raise InputError(Errors.E337.format(column=column, what=what, available=available, argument=what))
    model = resolve_model(model, trust_pickle=trust_pickle)
    labels = list(model.labels)
    texts = df[text].tolist()
    n = len(texts)
    stance: list[Any] = [None] * n
    reason: list[Any] = [None] * n
    unusable: list[int] = []
    good: list[int] = []
    for i, value in enumerate(texts):
        if isinstance(value, str):
            good.append(i)
            if not value.strip() and OFF_TOPIC in labels:
                reason[i] = EMPTY_NOTE
        else:
            unusable.append(i)
            reason[i] = MISSING_NOTE if is_missing(value) else Reasons.FRAME_NOT_TEXT.format(kind=type(value).__name__)
    if unusable and errors == "raise":
        kinds = sorted({"missing: None, NaN or pd.NA" if is_missing(texts[i]) else f"a {type(texts[i]).__name__}" for i in unusable})
        raise InputError(Errors.E338.format(
            n=len(unusable), column=text, kinds="; ".join(kinds), positions=format_numbers(unusable),
            labels=format_values(df.index[unusable[:10]].tolist()) + (" ..." if len(unusable) > 10 else ""),
        ))
    proba = np.full((n, len(labels)), np.nan)
    contexts = _optional_texts(df, context)
    targets = _optional_texts(df, target)
    parents = _optional_texts(df, parent)
    for start in range(0, len(good), BATCH_ROWS):
        rows = good[start : start + BATCH_ROWS]
        proba[rows] = model.predict_proba(_examples([texts[i] for i in rows], contexts, targets, parents, rows))
    top: list[Any] = [None] * n
    if good:
        best = proba[good].argmax(axis=1).tolist()
        confident = (proba[good].max(axis=1) >= min_confidence).tolist() if min_confidence is not None else [True] * len(good)
        for i, b, ok in zip(good, best, confident):
            top[i] = labels[b]
            stance[i] = labels[b] if ok else UNCERTAIN
    added: dict[str, Any] = {"stance": pd.Series(stance, index=df.index, dtype=TEXT_DTYPE)}
    for j, label in enumerate(labels):
        added[proba_column(label)] = pd.Series(proba[:, j], index=df.index, dtype="float64")
    if min_confidence is not None:
        added["stance_top"] = pd.Series(top, index=df.index, dtype=TEXT_DTYPE)
    added[REASON_COLUMN] = pd.Series(reason, index=df.index, dtype=TEXT_DTYPE)
    stale = [c for c in df.columns if isinstance(c, str) and (c in ("stance", "stance_top", REASON_COLUMN) or c.startswith("stance_proba_"))]
    kept = df.drop(columns=stale) if stale else df
    return pd.concat([kept, pd.DataFrame(added, index=df.index)], axis=1)


def _optional_texts(df: "pd.DataFrame", column: str | None) -> list[Any] | None:
    return df[column].tolist() if column is not None else None


def _examples(
    texts: list[str], contexts: list[Any] | None, targets: list[Any] | None, parents: list[Any] | None, rows: list[int]
) -> Examples:
    def pick(values: list[Any] | None) -> list[str | None]:
        if values is None:
            return [None] * len(rows)
        return [v if isinstance(v, str) and v else None for v in (values[i] for i in rows)]

    return Examples(texts, pick(contexts), pick(targets), pick(parents))
