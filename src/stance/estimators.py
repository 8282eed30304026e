"""Estimators: the scikit-learn side, for training and for scikit-learn's own tools.

:class:`SpacyFeatures` is :class:`~stance.features.Featurizer` with the estimator contract
(``get_params``, ``set_params``, ``clone``, pipelines, grid search). :class:`LinearStanceClassifier`
is the calibrated linear SVM. Training uses them; labelling with a saved model does not
import this module (see :class:`~stance.scoring.LinearScorer`). :func:`pipeline_from_scorer`
and :func:`scorer_from_pipeline` turn one into the other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .errors import Errors, InputError
from .features import Featurizer
from .scoring import LinearScorer, as_logits, calibrated, softmax


class SpacyFeatures(Featurizer, TransformerMixin, BaseEstimator):
    """:class:`~stance.features.Featurizer` as a scikit-learn transformer.

    Same parameters and features; this class adds ``get_params``/``set_params``, so it
    works with ``clone``, ``Pipeline`` and ``GridSearchCV``.

    Examples
    --------
    >>> features = SpacyFeatures().fit(["I agree", "Not convinced"])
    >>> features.transform(["Great essay!", ""]).shape
    (2, 786432)
    """

    def transform(self, X: object):  # type: ignore[no-untyped-def]
        check_is_fitted(self, "idf_")
        return super().transform(X)

    def linear_scores(self, X: object, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "idf_")
        return super().linear_scores(X, coef, intercept)

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return tags

    def featurizer(self) -> Featurizer:
        """A plain :class:`~stance.features.Featurizer` with this one's fitted state."""
        check_is_fitted(self, "idf_")
        return Featurizer.from_state(self.to_state())

    @classmethod
    def from_featurizer(cls, featurizer: Featurizer) -> "SpacyFeatures":
        """The estimator with a plain featurizer's parameters and fitted state."""
        return cls.from_state(featurizer.to_state())  # type: ignore[return-value]


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
        ``"balanced"`` weighs each label inversely to its frequency in the SVM, so rare
        labels are predicted as readily as common ones. (The calibration weighs rows by
        ``sample_weight`` only.)
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

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> "LinearStanceClassifier":
        """Choose C by cross-validation, refit on all rows, calibrate.

        ``sample_weight`` weighs rows in the SVM, in the cross-validated macro-F1 that
        chooses C, and in the calibration (for example to give each source corpus the
        same total weight).
        """
        X, y = validate_data(self, X, y, accept_sparse="csr")
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise InputError(Errors.E011.format(label=self.classes_[0] if len(self.classes_) else None))
        weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        grid = tuple(self.C_grid) if self.C == "auto" else (float(self.C),)
        folds = min(self.folds, int(np.bincount(encoded).min()))
        if folds >= 2:
            splitter = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
            splits = list(splitter.split(np.zeros(len(encoded)), encoded))
            best_f1, best = -1.0, None
            for C in grid:
                out_of_fold = np.zeros((len(encoded), 1 if len(self.classes_) == 2 else len(self.classes_)))
                for train_idx, test_idx in splits:
                    svm = self._svm(C).fit(X[train_idx], encoded[train_idx], sample_weight=_rows(weight, train_idx))
                    out_of_fold[test_idx] = self._scores(svm, X[test_idx])
                predicted = (out_of_fold[:, 0] > 0).astype(int) if out_of_fold.shape[1] == 1 else out_of_fold.argmax(axis=1)
                f1 = f1_score(encoded, predicted, average="macro", sample_weight=weight)
                if f1 > best_f1 + 1e-12:
                    best_f1, best = f1, (C, out_of_fold)
            self.C_, calibration_scores = best  # type: ignore[misc]
            self.cv_macro_f1_ = best_f1
            self.svm_ = self._svm(self.C_).fit(X, encoded, sample_weight=weight)
        else:
            self.C_ = 1.0 if self.C == "auto" else float(self.C)
            self.cv_macro_f1_ = None
            self.svm_ = self._svm(self.C_).fit(X, encoded, sample_weight=weight)
            calibration_scores = self._scores(self.svm_, X)
        # Each row's scores from a fold model that did not see it (None without CV): what a
        # model stacked on this one needs for these rows (models/build_default.py keeps them).
        self.out_of_fold_scores_ = calibration_scores if folds >= 2 else None
        self.temperature_ = fit_temperature(as_logits(calibration_scores), encoded, weight)
        coef = self.svm_.coef_
        # One row per label, for explanations: binary SVMs keep a single row for the second label.
        self.coef_ = np.vstack([-coef[0], coef[0]]) if coef.shape[0] == 1 else coef
        return self

    def proba_from_scores(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities from SVM scores (``svm_.decision_function``, kept 2-D)."""
        return calibrated(scores, self.temperature_)

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        return self.proba_from_scores(self._scores(self.svm_, X))

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def decision_function(self, X: Any) -> np.ndarray:
        """The SVM's raw scores (one column for two labels, as scikit-learn's classifiers give)."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        return self.svm_.decision_function(X)

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _rows(weight: np.ndarray | None, index: np.ndarray) -> np.ndarray | None:
    return None if weight is None else weight[index]


def fit_temperature(logits: np.ndarray, encoded: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
    """Temperature scaling (Guo et al., 2017): the factor on the scores that minimises the
    log-loss of held-out rows. One factor for all labels keeps the SVM's decision, so the
    label is always the most probable one.

    The targets are smoothed as Platt (1999) smoothed his: a row of a label seen ``n``
    times aims at ``(n + 1) / (n + 2)`` for it and shares the rest among the other labels.
    Without that, a few rows that the scores separate drive the factor to its bound and the
    model to certainty; with thousands of rows the targets are all but 0 and 1.
    """
    labels = logits.shape[1]
    counts = np.bincount(encoded, minlength=labels)[encoded]
    aim = (counts + 1.0) / (counts + 2.0)
    targets = np.repeat(((1.0 - aim) / (labels - 1))[:, None], labels, axis=1)
    targets[np.arange(len(encoded)), encoded] = aim

    def log_loss(log_t: float) -> float:
        proba = softmax(logits * np.exp(log_t))
        return float(-np.average((targets * np.log(proba + 1e-12)).sum(axis=1), weights=sample_weight))

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


def scorer_from_pipeline(pipeline: Pipeline) -> LinearScorer:
    """What labelling needs from a fitted pipeline of :class:`SpacyFeatures` then
    :class:`LinearStanceClassifier`: the featurizer, the SVM's weights, the temperature."""
    classifier = pipeline.named_steps["classifier"]
    return LinearScorer(
        pipeline.named_steps["features"].featurizer(),
        classifier.svm_.coef_,
        classifier.svm_.intercept_,
        classifier.temperature_,
        [str(c) for c in classifier.classes_],
    )


def scorer_from_linear(pipeline: Pipeline, *, labels: Any = None) -> LinearScorer:
    """The scorer of any fitted pipeline of :class:`SpacyFeatures` then a linear classifier
    (``coef_``, ``intercept_``, ``classes_``); see :func:`stance.training.from_pipeline`."""
    features, classifier = pipeline[0], pipeline[-1]
    if not isinstance(features, SpacyFeatures) or len(pipeline) != 2:
        raise InputError(Errors.E109.format(steps=" -> ".join(type(step).__name__ for step in pipeline)))
    check_is_fitted(features)
    check_is_fitted(classifier)
    if isinstance(classifier, LinearStanceClassifier):
        svm, temperature = classifier.svm_, classifier.temperature_
    elif hasattr(classifier, "coef_") and hasattr(classifier, "intercept_") and hasattr(classifier, "classes_"):
        svm, temperature = classifier, 1.0
    else:
        raise InputError(Errors.E109.format(steps=" -> ".join(type(step).__name__ for step in pipeline)))
    classes = [str(c) for c in (labels if labels is not None else classifier.classes_)]
    if len(classes) != len(classifier.classes_):
        raise InputError(Errors.E110.format(n_labels=len(classes), n_classes=len(classifier.classes_)))
    coef = np.atleast_2d(np.asarray(svm.coef_, dtype=np.float64))
    intercept = np.atleast_1d(np.asarray(svm.intercept_, dtype=np.float64))
    return LinearScorer(features.featurizer(), coef, intercept, float(temperature), classes)


def pipeline_from_scorer(scorer: LinearScorer) -> Pipeline:
    """The fitted scikit-learn pipeline that predicts what ``scorer`` does, rebuilt from
    its arrays (no training): features, then a :class:`LinearStanceClassifier`."""
    features = SpacyFeatures.from_featurizer(scorer.featurizer)
    svm = LinearSVC()
    svm.coef_ = scorer.coef
    svm.intercept_ = scorer.intercept
    svm.classes_ = np.arange(max(2, scorer.coef.shape[0]))
    svm.n_features_in_ = scorer.coef.shape[1]
    classifier = LinearStanceClassifier()
    classifier.classes_ = np.array(scorer.classes)
    classifier.svm_ = svm
    classifier.temperature_ = scorer.temperature
    classifier.C_ = None
    classifier.cv_macro_f1_ = None
    classifier.coef_ = scorer.label_coef
    classifier.n_features_in_ = scorer.coef.shape[1]
    return Pipeline([("features", features), ("classifier", classifier)])
