"""Classify: the trained model, training, and ``classify()`` for notebooks.

A :class:`StanceModel` is trained as scikit-learn pipelines (:class:`~stance.estimators.SpacyFeatures`
then :class:`~stance.estimators.LinearStanceClassifier`). What labelling needs from each
pipeline is kept as a :class:`LinearScorer` (fitted featurizer, SVM weights, temperature,
labels), which loads and predicts without importing scikit-learn: that saves about a
second per ``stance label`` run. The pipelines themselves are loaded when first used.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

from typing import TYPE_CHECKING

import numpy as np
import orjson

from . import artifact
from .errors import Errors, InputError, ModelIntegrityError
from .errors import format_numbers as _numbers
from .features import Examples, Featurizer, to_examples

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

DEFAULT_LABELS = ("supportive", "critical", "off-topic")
# Installed wheels carry the default model inside the package; a source checkout keeps it
# in the repository's models/ folder.
_PACKAGED_MODEL = Path(__file__).parent / "models" / "default.joblib"
_CHECKOUT_MODEL = Path(__file__).parents[2] / "models" / "default.joblib"
DEFAULT_MODEL = _PACKAGED_MODEL if _PACKAGED_MODEL.exists() else _CHECKOUT_MODEL


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
    """The model's label for one reply and its probability for every label."""

    label: str
    proba: dict[str, float]
    reasons: list[Reason] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        return self.proba[self.label]


def _as_logits(scores: np.ndarray) -> np.ndarray:
    """One column per label: a binary SVM's single score s becomes (-s/2, s/2)."""
    return np.hstack([-scores / 2, scores / 2]) if scores.shape[1] == 1 else scores


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def training_data_sha256(examples: Examples, labels: Sequence[str]) -> str:
    """A hash of exactly what the model was trained on (texts, contexts, targets, labels)."""
    digest = hashlib.sha256()
    for row in zip(examples.texts, examples.contexts, examples.targets, labels):
        digest.update(orjson.dumps(row))
        digest.update(b"\n")
    return digest.hexdigest()


def split_labelled(
    rows: Iterable[Mapping[str, Any]],
    *,
    text_field: str = "text",
    label_field: str = "label",
    context_field: str = "context",
    target_field: str = "target",
) -> tuple[Examples, list[str]]:
    """Separate labelled rows into examples and labels, listing every unusable row."""
    kept: list[Mapping[str, Any]] = []
    labels: list[str] = []
    no_text: list[int] = []
    no_label: list[int] = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise InputError(Errors.E013.format(text_field=text_field, index=number - 1, kind=type(row).__name__))
        text, label = row.get(text_field), row.get(label_field)
        if not isinstance(text, str) or not text.strip():
            no_text.append(number)
        elif not isinstance(label, (str, int)) or isinstance(label, bool) or str(label).strip() == "":
            no_label.append(number)
        else:
            kept.append(row)
            labels.append(str(label))
    problems = []
    if no_text:
        problems.append(f"rows {_numbers(no_text)} have no text in '{text_field}'")
    if no_label:
        problems.append(f"rows {_numbers(no_label)} have no label in '{label_field}'")
    if problems or not kept:
        raise InputError(
            Errors.E010.format(
                reason="; ".join(problems) or "there are no rows", text_field=text_field, label_field=label_field
            )
        )
    examples = to_examples(kept, text_field=text_field, context_field=context_field, target_field=target_field)
    return examples, labels


MIN_TARGET_ROWS = 20  # fewer rows than this for a target, and its rows go to the pooled model


@dataclass(eq=False)
class LinearScorer:
    """What labelling needs from one trained pipeline, and nothing from scikit-learn.

    ``coef`` and ``intercept`` are the SVM's (one row for a binary SVM); ``label_coef``
    has one row per label, for explanations.
    """

    featurizer: Featurizer
    coef: np.ndarray
    intercept: np.ndarray
    temperature: float
    classes: list[str]
    label_coef: np.ndarray

    @classmethod
    def from_pipeline(cls, pipeline: Pipeline) -> "LinearScorer":
        classifier = pipeline.named_steps["classifier"]
        return cls(
            pipeline.named_steps["features"].featurizer(),
            classifier.svm_.coef_,
            classifier.svm_.intercept_,
            classifier.temperature_,
            [str(c) for c in classifier.classes_],
            classifier.coef_,
        )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        # With three labels the per-label weights are the SVM's own: store them once.
        same = self.label_coef is self.coef or np.array_equal(self.label_coef, self.coef)
        state["label_coef"] = None if same else artifact.compact_array(self.label_coef)
        state["coef"] = artifact.compact_array(self.coef)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        state["coef"] = artifact.expand_array(state["coef"])
        state["label_coef"] = state["coef"] if state["label_coef"] is None else artifact.expand_array(state["label_coef"])
        self.__dict__.update(state)

    def predict_proba(self, examples: Examples) -> np.ndarray:
        """Calibrated probabilities, scored without building a feature matrix."""
        scores = self.featurizer.decision_function(examples, self.coef, self.intercept)
        return _softmax(_as_logits(scores) * self.temperature)


class StanceModel:
    """A trained stance classifier and its metadata.

    It holds a pooled model trained on every row and, when the training rows carry
    targets, one model per target with at least ``MIN_TARGET_ROWS`` rows. A row is
    labelled by its target's model when there is one, else by the pooled model.
    Use :func:`train` or :func:`load_model` to get one.

    ``pipeline`` and ``target_pipelines`` are the trained scikit-learn pipelines (loaded
    from the model file on first use); labelling uses the :class:`LinearScorer` of each.
    """

    def __init__(
        self,
        scorer: LinearScorer,
        metadata: dict[str, Any],
        target_scorers: dict[str, LinearScorer] | None = None,
        pipelines: tuple[Pipeline, dict[str, Pipeline]] | bytes | None = None,
    ) -> None:
        self.scorer = scorer
        self.target_scorers = target_scorers or {}
        self.metadata = metadata
        self._pipelines = pipelines

    @classmethod
    def from_pipelines(
        cls, pipeline: Pipeline, metadata: dict[str, Any], target_pipelines: dict[str, Pipeline] | None = None
    ) -> "StanceModel":
        target_pipelines = target_pipelines or {}
        return cls(
            LinearScorer.from_pipeline(pipeline),
            metadata,
            {target: LinearScorer.from_pipeline(p) for target, p in target_pipelines.items()},
            (pipeline, target_pipelines),
        )

    def _trained_pipelines(self) -> tuple[Pipeline, dict[str, Pipeline]]:
        if isinstance(self._pipelines, bytes):
            self._pipelines = artifact.loads(self._pipelines)
        if self._pipelines is None:
            raise ModelIntegrityError(Errors.E002.format(path="this model", reason="it holds no trained pipelines"))
        return self._pipelines

    @property
    def pipeline(self) -> Pipeline:
        """The pooled scikit-learn pipeline (features, then classifier)."""
        return self._trained_pipelines()[0]

    @property
    def target_pipelines(self) -> dict[str, Pipeline]:
        """The per-target scikit-learn pipelines, by target."""
        return self._trained_pipelines()[1]

    @property
    def labels(self) -> list[str]:
        return list(self.scorer.classes)

    def __repr__(self) -> str:
        return f"StanceModel(labels={self.labels}, n_examples={self.metadata.get('n_examples')})"

    def scorer_for(self, target: str | None) -> LinearScorer:
        return self.target_scorers.get(target, self.scorer) if target is not None else self.scorer

    def predict_proba(self, X: object) -> np.ndarray:
        """Probabilities, one row per example and one column per label in :attr:`labels` order."""
        examples = to_examples(X)
        labels = self.labels
        proba = np.zeros((len(examples), len(labels)))
        routes: dict[int, tuple[LinearScorer, list[int]]] = {}
        for i, target in enumerate(examples.targets):
            scorer = self.scorer_for(target)
            routes.setdefault(id(scorer), (scorer, []))[1].append(i)
        for scorer, index in routes.values():
            part = scorer.predict_proba(_subset(examples, np.array(index)))
            columns = [labels.index(c) for c in scorer.classes]
            proba[np.ix_(index, columns)] = part
        return proba

    def predict(self, X: object) -> list[str]:
        proba = self.predict_proba(X)
        return [self.labels[i] for i in np.argmax(proba, axis=1)]

    def classify(
        self,
        texts: str | Sequence[str],
        *,
        context: str | Sequence[str | None] | None = None,
        target: str | Sequence[str | None] | None = None,
        explain: int = 0,
    ) -> Prediction | list[Prediction]:
        """Label one text (returns a :class:`Prediction`) or many (returns a list, same order)."""
        single = isinstance(texts, str)
        text_list = [texts] if single else list(texts)
        examples = Examples(
            [t if isinstance(t, str) else "" for t in text_list],
            _broadcast(context, len(text_list), "context"),
            _broadcast(target, len(text_list), "target"),
        )
        proba = self.predict_proba(examples)
        labels = self.labels
        predictions = []
        for i, row in enumerate(proba):
            best = int(np.argmax(row))
            reasons = (
                self.explain(examples.texts[i], context=examples.contexts[i], target=examples.targets[i], top=explain)
                if explain
                else []
            )
            predictions.append(Prediction(labels[best], {lab: float(p) for lab, p in zip(labels, row)}, reasons))
        return predictions[0] if single else predictions

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
        for name, column in set(scorer.featurizer.explain_features(text, context=context, target=target)):
            pushes[name] = pushes.get(name, 0.0) + values.get(column, 0.0) * float(weights[column])
        ranked = sorted(pushes.items(), key=lambda item: (-item[1], item[0]))
        # Pushes that would print as +0.00 are noise, not reasons.
        return [Reason(name, round(weight, 3), label) for name, weight in ranked[:top] if weight >= 0.005]

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the model atomically; return the sha256 of the file.

        The scorers and the pipelines are stored apart, so that loading the file to label
        unpickles no scikit-learn object.
        """
        pipelines = self._pipelines if isinstance(self._pipelines, bytes) else artifact.dumps(self._trained_pipelines())
        payload = {"scorer": self.scorer, "target_scorers": self.target_scorers, "pipelines": pipelines}
        return artifact.write_model(path, payload, {**self.metadata, "format": artifact.FORMAT_VERSION})


def _fit_pipelines(
    examples: Examples, labels: list[str], *, random_state: int, feature_params: dict[str, Any]
) -> tuple[Pipeline, dict[str, Pipeline]]:
    """The pooled pipeline and the per-target pipelines for these rows."""
    from .estimators import make_pipeline

    pooled = make_pipeline(random_state=random_state, **feature_params).fit(examples, labels)
    per_target: dict[str, Pipeline] = {}
    targets = sorted({t for t in examples.targets if t is not None})
    if len(targets) > 1 or (targets and None in examples.targets):
        y = np.array(labels)
        for target in targets:
            index = np.array([i for i, t in enumerate(examples.targets) if t == target])
            if len(index) >= MIN_TARGET_ROWS and len(set(y[index])) >= 2:
                per_target[target] = make_pipeline(random_state=random_state, **feature_params).fit(
                    _subset(examples, index), y[index].tolist()
                )
    return pooled, per_target


def _broadcast(value: str | Sequence[str | None] | None, n: int, name: str) -> list[str | None]:
    if value is None or isinstance(value, str):
        return [value or None] * n
    values = list(value)
    if len(values) != n:
        raise InputError(Errors.E014.format(n_context=len(values), n_texts=n).replace("`context`", f"`{name}`"))
    return [v if isinstance(v, str) and v else None for v in values]


def train(
    examples: Iterable[Mapping[str, Any]],
    *,
    text_field: str = "text",
    label_field: str = "label",
    context_field: str = "context",
    target_field: str = "target",
    random_state: int = 0,
    **feature_params: Any,
) -> StanceModel:
    """Train a stance model on labelled examples.

    Parameters
    ----------
    examples
        Mappings with a text and a label, and optionally a context (the post replied
        to) and a target (what the stance is about).
    text_field, label_field, context_field, target_field
        The field names to read.
    random_state
        Seed; the same data and seed give the same model.
    **feature_params
        Passed to :class:`~stance.features.SpacyFeatures` (for example ``pipeline=``).

    Returns
    -------
    StanceModel

    Raises
    ------
    InputError
        If rows lack text or labels (the message lists them) or only one label occurs.

    Examples
    --------
    >>> model = train([{"text": "I agree, great essay", "label": "supportive"},
    ...                {"text": "This is wrong", "label": "critical"}])
    >>> model.labels
    ['critical', 'supportive']
    """
    data, labels = split_labelled(
        examples, text_field=text_field, label_field=label_field, context_field=context_field, target_field=target_field
    )
    if len(set(labels)) < 2:
        raise InputError(Errors.E011.format(label=labels[0]))
    pipeline, per_target = _fit_pipelines(data, labels, random_state=random_state, feature_params=feature_params)
    classifier = pipeline.named_steps["classifier"]
    metadata = artifact.build_metadata(
        labels=[str(c) for c in pipeline.classes_],
        training_data_sha256=training_data_sha256(data, labels),
        extra={
            "n_examples": len(labels),
            "label_counts": dict(sorted(Counter(labels).items())),
            "uses_context": any(c is not None for c in data.contexts),
            "targets": sorted({t for t in data.targets if t is not None}),
            "per_target_models": sorted(per_target),
            "params": {k: v for k, v in pipeline.get_params().items() if "__" in k and not callable(v)},
            "chosen_C": classifier.C_,
            "random_state": random_state,
        },
    )
    return StanceModel.from_pipelines(pipeline, metadata, per_target)


def cross_validate(
    examples: Iterable[Mapping[str, Any]],
    *,
    folds: int = 5,
    repeats: int = 5,
    random_state: int = 0,
    text_field: str = "text",
    label_field: str = "label",
    context_field: str = "context",
    target_field: str = "target",
    **feature_params: Any,
) -> dict[str, Any]:
    """Repeated stratified k-fold cross-validation of the default pipeline.

    ``folds`` is lowered to the smallest label count when a label is rarer than that.
    Returns the mean and standard deviation over all folds of accuracy and macro-F1, the
    mean per-label F1, and the pooled out-of-fold predictions of the first repeat.
    """
    from .evaluate import scores

    data, labels = split_labelled(
        examples, text_field=text_field, label_field=label_field, context_field=context_field, target_field=target_field
    )
    y = np.array(labels)
    smallest = min(Counter(labels).values())
    k = max(2, min(folds, smallest))
    if smallest < 2:
        raise InputError(
            f"Cross-validation needs at least 2 examples of every label; {Counter(labels)} has a label with 1."
        )
    from sklearn.model_selection import RepeatedStratifiedKFold

    splitter = RepeatedStratifiedKFold(n_splits=k, n_repeats=repeats, random_state=random_state)
    accuracy, macro, per_label = [], [], {label: [] for label in sorted(set(labels))}
    first_repeat = [None] * len(y)
    for i, (train_idx, test_idx) in enumerate(splitter.split(np.zeros(len(y)), y)):
        pooled, per_target = _fit_pipelines(
            _subset(data, train_idx), y[train_idx].tolist(), random_state=random_state, feature_params=feature_params
        )
        predicted = np.array(StanceModel.from_pipelines(pooled, {}, per_target).predict(_subset(data, test_idx)))
        result = scores(y[test_idx].tolist(), predicted.tolist(), labels=sorted(per_label))
        accuracy.append(result["accuracy"])
        macro.append(result["macro_f1"])
        for label in per_label:
            per_label[label].append(result["per_label"][label]["f1"])
        if i < k:
            for j, p in zip(test_idx, predicted):
                first_repeat[j] = str(p)
    return {
        "folds": k,
        "repeats": repeats,
        "n_examples": len(y),
        "accuracy": {"mean": float(np.mean(accuracy)), "sd": float(np.std(accuracy))},
        "macro_f1": {"mean": float(np.mean(macro)), "sd": float(np.std(macro))},
        "per_label_f1": {label: float(np.mean(v)) for label, v in per_label.items()},
        "out_of_fold": first_repeat,
        "gold": labels,
    }


def _subset(examples: Examples, index: np.ndarray) -> Examples:
    return Examples(
        [examples.texts[i] for i in index],
        [examples.contexts[i] for i in index],
        [examples.targets[i] for i in index],
    )


def load_model(path: str | os.PathLike[str] | None = None, *, expected_sha256: str | None = None) -> StanceModel:
    """Load a model file written by :meth:`StanceModel.save`, checking it first.

    Parameters
    ----------
    path
        The model file; ``None`` loads the shipped default model.
    expected_sha256
        When given, the file's sha256 must equal it (pin the models you trust).

    Raises
    ------
    ModelNotFoundError, ModelIntegrityError, ModelVersionError
        With a message that names the problem and the fix.
    """
    payload, header = artifact.read_model(DEFAULT_MODEL if path is None else path, expected_sha256=expected_sha256)
    not_a_model = ModelIntegrityError(Errors.E002.format(path=path, reason="its payload is not a stance model"))
    if not isinstance(payload, dict):
        raise not_a_model
    if header["format"] == 1:  # pipelines only, no scorers (stance 0.1.0 before the scorer split)
        from sklearn.pipeline import Pipeline

        if not isinstance(payload.get("pipeline"), Pipeline):
            raise not_a_model
        return StanceModel.from_pipelines(payload["pipeline"], header, payload.get("target_pipelines") or {})
    scorers = [payload.get("scorer"), *(payload.get("target_scorers") or {}).values()]
    if not all(isinstance(s, LinearScorer) for s in scorers) or not isinstance(payload.get("pipelines"), bytes):
        raise not_a_model
    return StanceModel(payload["scorer"], header, payload.get("target_scorers") or {}, payload["pipelines"])


_default_model: StanceModel | None = None


def default_model() -> StanceModel:
    """The shipped default model, loaded once per process."""
    global _default_model
    if _default_model is None:
        _default_model = load_model(None)
    return _default_model


def resolve_model(model: "StanceModel | str | os.PathLike[str] | None") -> StanceModel:
    """The one way a ``model`` argument is read: ``None`` is the shipped default, a
    :class:`StanceModel` is used as it is, anything else is a path to load."""
    if model is None:
        return default_model()
    if isinstance(model, StanceModel):
        return model
    return load_model(model)


@overload
def classify(texts: str, *, model: StanceModel | str | None = ..., context: Any = ..., target: Any = ..., explain: int = ...) -> Prediction: ...
@overload
def classify(texts: Sequence[str], *, model: StanceModel | str | None = ..., context: Any = ..., target: Any = ..., explain: int = ...) -> list[Prediction]: ...
def classify(
    texts: str | Sequence[str],
    *,
    model: StanceModel | str | os.PathLike[str] | None = None,
    context: str | Sequence[str | None] | None = None,
    target: str | Sequence[str | None] | None = None,
    explain: int = 0,
) -> Prediction | list[Prediction]:
    """Label replies with a stance model.

    Parameters
    ----------
    texts
        One reply, or a sequence of replies.
    model
        A :class:`StanceModel`, a path to a model file, or ``None`` for the shipped default.
    context
        The post replied to: one string for all texts, or one per text.
    target
        What the stance is about, if the model was trained with targets.
    explain
        When > 0, attach that many :class:`Reason` objects to each prediction.

    Returns
    -------
    Prediction or list of Prediction
        One prediction for a string; a list in the same order for a sequence.

    Examples
    --------
    >>> prediction = classify("Great essay, thank you for writing this")
    >>> prediction.label in {"supportive", "critical", "off-topic"}
    True
    >>> round(sum(prediction.proba.values()), 6)
    1.0
    """
    return resolve_model(model).classify(texts, context=context, target=target, explain=explain)


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


def __getattr__(name: str) -> Any:
    # Format-1 model files pickled the estimators under this module's name.
    if name in ("LinearStanceClassifier", "make_pipeline"):
        from . import estimators

        return getattr(estimators, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
