"""Classify: the trained model, training, and ``classify()`` for notebooks.

A :class:`StanceModel` is a scikit-learn ``Pipeline`` (:class:`~stance.features.SpacyFeatures`
then :class:`LinearStanceClassifier`) plus the metadata saved with it.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import numpy as np
import orjson
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import f1_score
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted, validate_data

from . import artifact
from .errors import Errors, InputError, ModelIntegrityError
from .features import Examples, SpacyFeatures, to_examples

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


class LinearStanceClassifier(ClassifierMixin, BaseEstimator):
    """A class-weighted linear SVM, its C chosen by cross-validation, with calibrated probabilities.

    ``fit`` runs stratified k-fold cross-validation over ``C_grid`` on the training rows,
    keeps the C with the best macro-F1 (every label counts the same, whatever the label
    set), refits on all rows, and calibrates probabilities by temperature scaling of the
    out-of-fold SVM scores (one factor for all labels, so the most probable label is
    always the SVM's decision).

    Parameters
    ----------
    C : float or "auto", default="auto"
        Inverse regularisation strength of the SVM; ``"auto"`` picks it from ``C_grid``.
    C_grid : tuple of float, default=(0.03, 0.1, 0.3, 1.0, 3.0)
        Candidates for ``C="auto"``.
    class_weight : {"balanced", None}, default="balanced"
        ``"balanced"`` weighs each label inversely to its frequency, in the SVM and in the
        calibration, so rare labels are predicted as readily as common ones.
    folds : int, default=5
        Cross-validation folds, lowered to the smallest label count. With fewer than two
        examples of some label there is no cross-validation: C is 1 (or the given C) and
        the calibration is fitted on the training scores.
    random_state : int, default=0
        Seed for the folds and the SVM.
    """

    def __init__(
        self,
        *,
        C: float | str = "auto",
        C_grid: tuple[float, ...] = (0.03, 0.1, 0.3, 1.0, 3.0),
        class_weight: str | None = "balanced",
        folds: int = 5,
        random_state: int = 0,
    ) -> None:
        self.C = C
        self.C_grid = C_grid
        self.class_weight = class_weight
        self.folds = folds
        self.random_state = random_state

    def _svm(self, C: float) -> LinearSVC:
        return LinearSVC(C=C, class_weight=self.class_weight, random_state=self.random_state, max_iter=5000)

    @staticmethod
    def _scores(svm: LinearSVC, X: Any) -> np.ndarray:
        scores = svm.decision_function(X)
        return scores[:, None] if scores.ndim == 1 else scores

    def fit(self, X: Any, y: Any) -> "LinearStanceClassifier":
        X, y = validate_data(self, X, y, accept_sparse="csr")
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise InputError(Errors.E011.format(label=self.classes_[0] if len(self.classes_) else None))
        grid = tuple(self.C_grid) if self.C == "auto" else (float(self.C),)
        folds = min(self.folds, int(np.bincount(encoded).min()))
        if folds >= 2:
            splitter = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
            splits = list(splitter.split(np.zeros(len(encoded)), encoded))
            best_f1, best = -1.0, None
            for C in grid:
                out_of_fold = np.zeros((len(encoded), 1 if len(self.classes_) == 2 else len(self.classes_)))
                for train_idx, test_idx in splits:
                    out_of_fold[test_idx] = self._scores(self._svm(C).fit(X[train_idx], encoded[train_idx]), X[test_idx])
                predicted = (out_of_fold[:, 0] > 0).astype(int) if out_of_fold.shape[1] == 1 else out_of_fold.argmax(axis=1)
                f1 = f1_score(encoded, predicted, average="macro")
                if f1 > best_f1 + 1e-12:
                    best_f1, best = f1, (C, out_of_fold)
            self.C_, calibration_scores = best  # type: ignore[misc]
            self.cv_macro_f1_ = best_f1
            self.svm_ = self._svm(self.C_).fit(X, encoded)
        else:
            self.C_ = 1.0 if self.C == "auto" else float(self.C)
            self.cv_macro_f1_ = None
            self.svm_ = self._svm(self.C_).fit(X, encoded)
            calibration_scores = self._scores(self.svm_, X)
        self.temperature_ = _fit_temperature(_as_logits(calibration_scores), encoded)
        coef = self.svm_.coef_
        # One row per label, for explanations: binary SVMs keep a single row for the second label.
        self.coef_ = np.vstack([-coef[0], coef[0]]) if coef.shape[0] == 1 else coef
        return self

    def proba_from_scores(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities from SVM scores (``svm_.decision_function``, kept 2-D)."""
        return _softmax(_as_logits(scores) * self.temperature_)

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "temperature_")
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        return self.proba_from_scores(self._scores(self.svm_, X))

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _as_logits(scores: np.ndarray) -> np.ndarray:
    """One column per label: a binary SVM's single score s becomes (-s/2, s/2)."""
    return np.hstack([-scores / 2, scores / 2]) if scores.shape[1] == 1 else scores


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _fit_temperature(logits: np.ndarray, encoded: np.ndarray) -> float:
    """Temperature scaling (Guo et al., 2017): the factor on the scores that minimises the
    log-loss of held-out rows. One factor for all labels keeps the SVM's decision, so the
    label is always the most probable one."""

    def log_loss(log_t: float) -> float:
        proba = _softmax(logits * np.exp(log_t))
        return float(-np.mean(np.log(proba[np.arange(len(encoded)), encoded] + 1e-12)))

    result = minimize_scalar(log_loss, bounds=(-5.0, 5.0), method="bounded")
    return float(np.exp(result.x))


def make_pipeline(*, random_state: int = 0, **feature_params: Any) -> Pipeline:
    """An untrained pipeline: spaCy features, then the calibrated linear classifier."""
    return Pipeline(
        [
            ("features", SpacyFeatures(**feature_params)),
            ("classifier", LinearStanceClassifier(random_state=random_state)),
        ]
    )


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


def _numbers(numbers: list[int], limit: int = 10) -> str:
    shown = ", ".join(map(str, numbers[:limit]))
    return f"[{shown}{', ...' if len(numbers) > limit else ''}] ({len(numbers)} in all)"


MIN_TARGET_ROWS = 20  # fewer rows than this for a target, and its rows go to the pooled model


class StanceModel:
    """A trained stance classifier and its metadata.

    It holds a pooled pipeline trained on every row and, when the training rows carry
    targets, one pipeline per target with at least ``MIN_TARGET_ROWS`` rows. A row is
    labelled by its target's pipeline when there is one, else by the pooled pipeline.
    Use :func:`train` or :func:`load_model` to get one.
    """

    def __init__(
        self, pipeline: Pipeline, metadata: dict[str, Any], target_pipelines: dict[str, Pipeline] | None = None
    ) -> None:
        self.pipeline = pipeline
        self.target_pipelines = target_pipelines or {}
        self.metadata = metadata

    @property
    def labels(self) -> list[str]:
        return [str(label) for label in self.pipeline.classes_]

    def __repr__(self) -> str:
        return f"StanceModel(labels={self.labels}, n_examples={self.metadata.get('n_examples')})"

    def pipeline_for(self, target: str | None) -> Pipeline:
        return self.target_pipelines.get(target, self.pipeline) if target is not None else self.pipeline

    def predict_proba(self, X: object) -> np.ndarray:
        """Probabilities, one row per example and one column per label in :attr:`labels` order."""
        examples = to_examples(X)
        labels = self.labels
        proba = np.zeros((len(examples), len(labels)))
        routes: dict[int, tuple[Pipeline, list[int]]] = {}
        for i, target in enumerate(examples.targets):
            pipeline = self.pipeline_for(target)
            routes.setdefault(id(pipeline), (pipeline, []))[1].append(i)
        for pipeline, index in routes.values():
            part = _pipeline_proba(pipeline, _subset(examples, np.array(index)))
            columns = [labels.index(str(c)) for c in pipeline.classes_]
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
        pipeline = self.pipeline_for(target)
        features: SpacyFeatures = pipeline.named_steps["features"]
        classifier: LinearStanceClassifier = pipeline.named_steps["classifier"]
        row = features.transform(Examples([text], [context], [target]))
        label_index = int(np.argmax(classifier.predict_proba(row)[0]))
        label = str(classifier.classes_[label_index])
        weights = classifier.coef_[label_index]
        values = dict(zip(row.indices.tolist(), row.data.tolist()))
        # A name's push is the sum over its distinct columns (a word's own column and its
        # character n-grams), which is exactly what removing that name would take away.
        pushes: dict[str, float] = {}
        for name, column in set(features.explain_features(text, context=context, target=target)):
            pushes[name] = pushes.get(name, 0.0) + values.get(column, 0.0) * float(weights[column])
        ranked = sorted(pushes.items(), key=lambda item: (-item[1], item[0]))
        # Pushes that would print as +0.00 are noise, not reasons.
        return [Reason(name, round(weight, 3), label) for name, weight in ranked[:top] if weight >= 0.005]

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the model atomically; return the sha256 of the file."""
        payload = {"pipeline": self.pipeline, "target_pipelines": self.target_pipelines}
        return artifact.write_model(path, payload, self.metadata)


def _pipeline_proba(pipeline: Pipeline, examples: Examples) -> np.ndarray:
    """The pipeline's probabilities, scored without building a feature matrix."""
    features: SpacyFeatures = pipeline.named_steps["features"]
    classifier: LinearStanceClassifier = pipeline.named_steps["classifier"]
    svm = classifier.svm_
    scores = features.decision_function(examples, svm.coef_, svm.intercept_)
    return classifier.proba_from_scores(scores)


def _fit_pipelines(
    examples: Examples, labels: list[str], *, random_state: int, feature_params: dict[str, Any]
) -> tuple[Pipeline, dict[str, Pipeline]]:
    """The pooled pipeline and the per-target pipelines for these rows."""
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
    return StanceModel(pipeline, metadata, per_target)


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
    splitter = RepeatedStratifiedKFold(n_splits=k, n_repeats=repeats, random_state=random_state)
    accuracy, macro, per_label = [], [], {label: [] for label in sorted(set(labels))}
    first_repeat = [None] * len(y)
    for i, (train_idx, test_idx) in enumerate(splitter.split(np.zeros(len(y)), y)):
        pooled, per_target = _fit_pipelines(
            _subset(data, train_idx), y[train_idx].tolist(), random_state=random_state, feature_params=feature_params
        )
        predicted = np.array(StanceModel(pooled, {}, per_target).predict(_subset(data, test_idx)))
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
    if not isinstance(payload, dict) or not isinstance(payload.get("pipeline"), Pipeline):
        raise ModelIntegrityError(Errors.E002.format(path=path, reason="its payload is not a stance model"))
    return StanceModel(payload["pipeline"], header, payload.get("target_pipelines") or {})


_default_model: StanceModel | None = None


def default_model() -> StanceModel:
    """The shipped default model, loaded once per process."""
    global _default_model
    if _default_model is None:
        _default_model = load_model(None)
    return _default_model


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
    if model is None:
        resolved = default_model()
    elif isinstance(model, StanceModel):
        resolved = model
    else:
        resolved = load_model(model)
    return resolved.classify(texts, context=context, target=target, explain=explain)


def explain(
    text: str,
    *,
    model: StanceModel | str | os.PathLike[str] | None = None,
    context: str | None = None,
    target: str | None = None,
    top: int = 5,
) -> list[Reason]:
    """The features that pushed the model towards its label for ``text``."""
    resolved = default_model() if model is None else model if isinstance(model, StanceModel) else load_model(model)
    return resolved.explain(text, context=context, target=target, top=top)
