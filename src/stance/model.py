"""The trained model: labelling, explanations, saving and loading, and ``classify()``.

A :class:`StanceModel` holds a pooled :class:`~stance.scoring.LinearScorer` and, when it was
trained on rows with targets, one scorer per target. Labelling needs nothing else, so it
never imports scikit-learn; :attr:`StanceModel.pipeline` rebuilds the equivalent
scikit-learn pipeline from the same arrays when asked for.

Empty and missing text follow one rule everywhere (``classify``, ``predict``,
:func:`stance.label_frame`, ``stance label``): empty or whitespace-only text takes no
stance, so it is off-topic, with a note that says why; a missing text (None, NaN, NA)
cannot be labelled: it is an error that lists the positions, or, with ``errors="mark"``,
a prediction with no label and a note.

One module, a little over 400 lines: the model's methods and the module-level ``classify()``
that most users call share the model resolution and the one empty-text rule, and read best
side by side.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from . import artifact
from .errors import Errors, InputError, ModelIntegrityError, format_numbers
from .examples import Examples, broadcast, is_data_frame, missing_text, to_examples
from .features import named_features
from .scoring import DEFAULT_LABELS, OFF_TOPIC, LinearScorer, through_parent

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

# Installed wheels carry the default model inside the package; a source checkout keeps it
# in the repository's models/ folder.
_PACKAGED_MODEL = Path(__file__).parent / "models" / "default.stance"
_CHECKOUT_MODEL = Path(__file__).parents[2] / "models" / "default.stance"
DEFAULT_MODEL = _PACKAGED_MODEL if _PACKAGED_MODEL.exists() else _CHECKOUT_MODEL

EMPTY_NOTE = "empty text takes no stance"
MISSING_NOTE = "missing text (None, NaN or NA) cannot be labelled"


@dataclass(frozen=True)
class Reason:
    """One feature's push on a decision: ``weight`` > 0 pushes towards ``label``."""

    feature: str
    weight: float
    label: str

    def __str__(self) -> str:
        return f'"{self.feature}" ({self.weight:+.2f} {self.label})'


@dataclass(frozen=True)
class Prediction:
    """The model's label for one reply, its probability for every label, and why.

    ``label`` is None only for a missing text labelled with ``errors="mark"``; ``note``
    says when a rule rather than the model decided (empty or missing text).
    """

    label: str | None
    proba: dict[str, float]
    reasons: list[Reason] = field(default_factory=list)
    note: str | None = None

    @property
    def confidence(self) -> float | None:
        return self.proba[self.label] if self.label is not None else None

    def to_dict(self) -> dict[str, Any]:
        """Plain values, for ``pandas.DataFrame([p.to_dict() for p in predictions])`` or JSON."""
        return {
            "label": self.label,
            "confidence": self.confidence,
            "proba": dict(self.proba),
            "reasons": [{"feature": r.feature, "weight": r.weight, "label": r.label} for r in self.reasons],
            "note": self.note,
        }


class StanceModel:
    """A trained stance classifier and its metadata.

    It holds a pooled scorer trained on every row and, when the training rows carry
    targets, one scorer per target with enough rows; a row is labelled by its target's
    scorer when there is one, else by the pooled one. Use :func:`stance.train` or
    :func:`load_model` to get one.

    ``parent_weight`` (0 to 1) is how far a reply to a reply is labelled through its
    parent (see :func:`~stance.scoring.through_parent`) rather than directly against the
    root post; it applies to models with the three default labels.
    """

    def __init__(
        self,
        scorer: LinearScorer,
        metadata: dict[str, Any],
        target_scorers: dict[str, LinearScorer] | None = None,
        *,
        parent_weight: float = 0.0,
        trained_rows: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.scorer = scorer
        self.target_scorers = target_scorers or {}
        self.metadata = metadata
        self.parent_weight = parent_weight
        # (sorted text keys, out-of-fold logits) of the rows the model was trained on; see
        # scores_as_prior. Optional: only the shipped default model carries them.
        self.trained_rows = trained_rows

    def scores_as_prior(self, texts: list[str], logits: np.ndarray) -> np.ndarray:
        """``logits`` (this model's scores of ``texts``), with each text this model was
        trained on given the out-of-fold scores it had in training instead.

        A model stacked on this one learns how far to trust its scores; on rows this model
        was trained on, its own scores are better than they will be on new replies, and a
        model trained on them learns to trust it too much (seen in bench/replies.py when the
        default model learned from RumourEval and `stance train` was then given RumourEval).
        """
        if self.trained_rows is None or not len(texts):
            return logits
        keys, scores = self.trained_rows
        wanted = text_keys(texts)
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        seen = keys[at] == wanted
        if not seen.any():
            return logits
        out = np.array(logits, dtype=np.float64, copy=True)
        out[seen] = scores[at[seen]]
        return out

    @property
    def labels(self) -> list[str]:
        return list(self.scorer.classes)

    def __repr__(self) -> str:
        return f"StanceModel(labels={self.labels}, n_examples={self.metadata.get('n_examples')})"

    def scorer_for(self, target: str | None) -> LinearScorer:
        return self.target_scorers.get(target, self.scorer) if target is not None else self.scorer

    # -- scikit-learn views, rebuilt from the arrays -----------------------------------------
    @property
    def pipeline(self) -> Pipeline:
        """The pooled model as a scikit-learn pipeline (features, then classifier)."""
        from .estimators import pipeline_from_scorer

        return pipeline_from_scorer(self.scorer)

    @property
    def target_pipelines(self) -> dict[str, Pipeline]:
        """The per-target models as scikit-learn pipelines, by target."""
        from .estimators import pipeline_from_scorer

        return {target: pipeline_from_scorer(s) for target, s in self.target_scorers.items()}

    @classmethod
    def from_pipelines(
        cls, pipeline: Pipeline, metadata: dict[str, Any] | None = None, target_pipelines: dict[str, Pipeline] | None = None
    ) -> "StanceModel":
        """A model from fitted scikit-learn pipelines of :class:`~stance.estimators.SpacyFeatures`
        then a linear classifier (see :func:`stance.from_pipeline` for any linear classifier)."""
        from .estimators import scorer_from_pipeline

        return cls(
            scorer_from_pipeline(pipeline),
            dict(metadata or {}),
            {target: scorer_from_pipeline(p) for target, p in (target_pipelines or {}).items()},
        )

    # -- labelling ---------------------------------------------------------------------------
    def predict_proba(self, X: object) -> np.ndarray:
        """Probabilities, one row per example and one column per label in :attr:`labels` order.

        Empty texts are off-topic with probability 1 (when the model has that label);
        missing texts raise :class:`~stance.errors.InputError` (see :meth:`classify`).
        """
        return self._proba(to_examples(_rows_checked(X)))

    def predict(self, X: object) -> list[str]:
        proba = self.predict_proba(X)
        return [self.labels[i] for i in np.argmax(proba, axis=1)]

    def _proba(self, examples: Examples) -> np.ndarray:
        proba = self._direct(examples)
        if self.parent_weight and set(self.labels) == set(DEFAULT_LABELS):
            nested = [i for i, (p, c) in enumerate(zip(examples.parents, examples.contexts)) if p is not None and p != c]
            if nested:
                to_parent = self._direct(Examples(
                    [examples.texts[i] for i in nested], [examples.parents[i] for i in nested],
                    [examples.targets[i] for i in nested],
                ))
                parent_to_root = self._direct(Examples(
                    [examples.parents[i] for i in nested], [examples.contexts[i] for i in nested],
                    [examples.targets[i] for i in nested],
                ))
                composed = through_parent(to_parent, parent_to_root, self.labels)
                w = self.parent_weight
                proba[nested] = w * composed + (1 - w) * proba[nested]
        if OFF_TOPIC in self.labels:
            empty = [i for i, text in enumerate(examples.texts) if not text.strip()]
            proba[empty] = 0.0
            proba[empty, self.labels.index(OFF_TOPIC)] = 1.0
        return proba

    def _direct(self, examples: Examples) -> np.ndarray:
        """Each row scored by its target's scorer against its context."""
        labels = self.labels
        proba = np.zeros((len(examples), len(labels)))
        routes: dict[int, tuple[LinearScorer, list[int]]] = {}
        for i, target in enumerate(examples.targets):
            scorer = self.scorer_for(target)
            routes.setdefault(id(scorer), (scorer, []))[1].append(i)
        for scorer, index in routes.values():
            part = scorer.predict_proba(examples.subset(index))
            columns = [labels.index(c) for c in scorer.classes]
            proba[np.ix_(index, columns)] = part
        return proba

    def classify(self, texts: str | Iterable[str], **options: Any) -> Prediction | list[Prediction]:
        """Label one text (returns a :class:`Prediction`) or many (returns a list, same order).

        ``model.classify(texts, **options)`` is ``stance.classify(texts, model=model,
        **options)``: see :func:`stance.classify` for the options.
        """
        return classify(texts, model=self, **options)

    def explain(self, text: str, *, context: str | None = None, target: str | None = None, top: int = 5) -> list[Reason]:
        """The features that pushed hardest towards the predicted label, strongest first."""
        scorer = self.scorer_for(target)
        example = Examples([text], [context], [target])
        row = scorer.featurizer.transform(example)
        label_index = int(np.argmax(scorer.predict_proba(example)[0]))
        label = scorer.classes[label_index]
        weights = scorer.label_coef[label_index]
        values = dict(zip(row.indices.tolist(), row.data.tolist()))
        # A name's push is the sum over its distinct columns (a word's own column and its
        # character n-grams), which is exactly what removing that name would take away.
        pushes: dict[str, float] = {}
        for name, column in set(named_features(scorer.featurizer, text, context=context, target=target)):
            pushes[name] = pushes.get(name, 0.0) + values.get(column, 0.0) * float(weights[column])
        ranked = sorted(pushes.items(), key=lambda item: (-item[1], item[0]))
        # Pushes that would print as +0.00 are noise, not reasons.
        return [Reason(name, round(weight, 3), label) for name, weight in ranked[:top] if weight >= 0.005]

    # -- files ---------------------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        return {
            "scorer": self.scorer.to_state(),
            "target_scorers": {target: s.to_state() for target, s in self.target_scorers.items()},
            "parent_weight": float(self.parent_weight),
            **({"trained_rows": {"keys": self.trained_rows[0], "logits": self.trained_rows[1]}} if self.trained_rows is not None else {}),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], metadata: dict[str, Any]) -> "StanceModel":
        return cls(
            LinearScorer.from_state(state["scorer"]),
            metadata,
            {str(t): LinearScorer.from_state(s) for t, s in state.get("target_scorers", {}).items()},
            parent_weight=float(state.get("parent_weight", 0.0)),
            trained_rows=(state["trained_rows"]["keys"], state["trained_rows"]["logits"]) if "trained_rows" in state else None,
        )

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the model atomically in the current format; return the file's sha256.

        The file is a JSON header and arrays; loading it runs no code (see
        :mod:`stance.artifact`).
        """
        # what a legacy file's header said about its pickle does not describe the new file
        metadata = {k: v for k, v in self.metadata.items() if k not in ("requires", "payload_sha256")}
        return artifact.write_model(path, self.to_state(), {**metadata, "format": artifact.FORMAT_VERSION})


def text_keys(texts: Iterable[str]) -> np.ndarray:
    """A 64-bit key per text (BLAKE2b of its stripped UTF-8), to recognise rows a model was trained on."""
    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(t.strip().encode("utf-8"), digest_size=8).digest(), "little") for t in texts), dtype=np.uint64
    )


def trained_rows_table(texts: Sequence[str], logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``StanceModel.trained_rows`` from the training texts and their out-of-fold logits
    (a text seen more than once keeps its first row's)."""
    keys, first = np.unique(text_keys(texts), return_index=True)
    return keys, np.asarray(logits, dtype=np.float64)[first]


def _rows_checked(X: object) -> object:
    """``X`` as rows that can be read twice, after refusing missing texts (with their positions)."""
    if isinstance(X, (str, Examples)):
        return X
    rows = X.to_dict("records") if is_data_frame(X) else list(X)  # type: ignore[union-attr]
    missing = missing_text(rows)
    if missing:
        raise InputError(Errors.E103.format(positions=format_numbers(missing)))
    return rows


def load_model(
    path: str | os.PathLike[str] | None = None, *, expected_sha256: str | None = None, trust_pickle: bool = False
) -> StanceModel:
    """Load a model file written by :meth:`StanceModel.save`, checking it first.

    Parameters
    ----------
    path
        The model file; ``None`` loads the shipped default model.
    expected_sha256
        When given, the file's sha256 must equal it (pin the models you trust).
    trust_pickle
        Files written before stance 0.2 (formats 1 and 2) hold pickles, which run code
        when loaded: they load only with ``trust_pickle=True``. Current files never need it.

    Raises
    ------
    ModelNotFoundError, ModelIntegrityError, ModelVersionError
        With a message that names the problem and the fix.
    """
    path = DEFAULT_MODEL if path is None else path
    state, header = artifact.read_model(path, expected_sha256=expected_sha256, trust_pickle=trust_pickle)
    if header["format"] in artifact.LEGACY_FORMATS:
        from . import legacy  # loads scikit-learn, which legacy pickles need anyway

        return _from_legacy(legacy.unpickle(state, path), header, path)
    try:
        return StanceModel.from_state(state, header)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelIntegrityError(Errors.E002.format(path=path, reason=f"its arrays do not make a stance model ({exc})")) from None


def _from_legacy(payload: Any, header: dict[str, Any], path: object) -> StanceModel:
    """A model from the unpickled payload of a format 1 or 2 file (already trusted)."""
    not_a_model = ModelIntegrityError(Errors.E002.format(path=path, reason="its payload is not a stance model"))
    if not isinstance(payload, dict):
        raise not_a_model
    if header["format"] == 1:  # pipelines only
        from sklearn.pipeline import Pipeline

        if not isinstance(payload.get("pipeline"), Pipeline):
            raise not_a_model
        return StanceModel.from_pipelines(payload["pipeline"], header, payload.get("target_pipelines") or {})
    scorers = [payload.get("scorer"), *(payload.get("target_scorers") or {}).values()]
    if not all(isinstance(s, LinearScorer) for s in scorers):
        raise not_a_model
    return StanceModel(payload["scorer"], header, payload.get("target_scorers") or {})


_default_model: StanceModel | None = None


def default_model() -> StanceModel:
    """The shipped default model, loaded once per process."""
    global _default_model
    if _default_model is None:
        _default_model = load_model(None)
    return _default_model


def resolve_model(model: StanceModel | str | os.PathLike[str] | None, *, trust_pickle: bool = False) -> StanceModel:
    """The one way a ``model`` argument is read: ``None`` is the shipped default, a
    :class:`StanceModel` is used as it is, anything else is a path to load."""
    if model is None:
        return default_model()
    if isinstance(model, StanceModel):
        return model
    return load_model(model, trust_pickle=trust_pickle)


@overload
def classify(texts: str, *, model: StanceModel | str | None = ..., context: Any = ..., target: Any = ..., parent: Any = ..., explain: int = ..., errors: Literal["raise", "mark"] = ...) -> Prediction: ...
@overload
def classify(texts: Iterable[str], *, model: StanceModel | str | None = ..., context: Any = ..., target: Any = ..., parent: Any = ..., explain: int = ..., errors: Literal["raise", "mark"] = ...) -> list[Prediction]: ...
def classify(
    texts: str | Iterable[str],
    *,
    model: StanceModel | str | os.PathLike[str] | None = None,
    context: str | Sequence[str | None] | None = None,
    target: str | Sequence[str | None] | None = None,
    parent: str | Sequence[str | None] | None = None,
    explain: int = 0,
    errors: Literal["raise", "mark"] = "raise",
) -> Prediction | list[Prediction]:
    """Label replies with a stance model.

    Parameters
    ----------
    texts
        One reply, or an iterable of replies (list, tuple, generator, numpy array, pandas
        Series). For a DataFrame use :func:`stance.label_frame`.
    model
        A :class:`StanceModel`, a path to a model file, or ``None`` for the shipped default.
    context
        The post the replies are about (the thread's root post): one string for all
        texts, or one per text.
    target
        What the stance is about, if the model was trained with targets.
    parent
        For a reply to another reply, the post it answers (one string or one per text);
        its stance toward the context then goes through the parent's.
    explain
        When > 0, attach that many :class:`Reason` objects to each prediction.
    errors
        ``"raise"`` (default): a missing text (None, NaN, NA) is an error that lists the
        positions. ``"mark"``: it gets a prediction with ``label=None`` and a note.

    Returns
    -------
    Prediction or list of Prediction
        One prediction for a string; a list in the same order otherwise. Empty or
        whitespace-only text is off-topic, with ``note`` saying so.

    Examples
    --------
    >>> prediction = classify("Great essay, thank you for writing this")
    >>> prediction.label in {"supportive", "critical", "off-topic"}
    True
    >>> round(sum(prediction.proba.values()), 6)
    1.0
    >>> classify("   ").note
    'empty text takes no stance'
    """
    if errors not in ("raise", "mark"):
        raise InputError(Errors.E104.format(value=errors))
    if is_data_frame(texts):
        raise InputError(Errors.E100)
    stance_model = resolve_model(model)
    single = isinstance(texts, str)
    text_list = [texts] if single else list(texts)
    missing = set(missing_text(text_list))
    if missing and errors == "raise":
        raise InputError(Errors.E103.format(positions=format_numbers(sorted(missing))))
    n = len(text_list)
    plain = to_examples(text_list)
    examples = Examples(
        plain.texts, broadcast(context, n, "context"), broadcast(target, n, "target"), broadcast(parent, n, "parent")
    )
    proba = stance_model._proba(examples)
    labels = stance_model.labels
    predictions = []
    for i, row in enumerate(proba):
        if i in missing:
            predictions.append(Prediction(None, {}, [], MISSING_NOTE))
            continue
        empty = not examples.texts[i].strip() and OFF_TOPIC in labels
        best = labels[int(np.argmax(row))]
        reasons = (
            stance_model.explain(examples.texts[i], context=examples.contexts[i], target=examples.targets[i], top=explain)
            if explain and not empty
            else []
        )
        predictions.append(
            Prediction(best, {lab: float(p) for lab, p in zip(labels, row)}, reasons, EMPTY_NOTE if empty else None)
        )
    return predictions[0] if single else predictions


def explain(
    text: str,
    *,
    model: StanceModel | str | os.PathLike[str] | None = None,
    context: str | None = None,
    target: str | None = None,
    top: int = 5,
) -> list[Reason]:
    """The features that pushed the model towards its label for ``text``."""
    return resolve_model(model).explain(text, context=context, target=target, top=top)
