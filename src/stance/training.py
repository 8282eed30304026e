"""Train: labelled rows into a :class:`~stance.model.StanceModel`, and cross-validation.

Training starts from a **prior** by default: the shipped default model, which has learned
what agreement, disagreement and off-topic chatter look like from tens of thousands of
labelled and unlabelled replies. The new model reuses the prior's fitted featurizer (its
idf and word list come from that large corpus, not from a few dozen rows) and is a
logistic regression centred on the prior's weights: the rows learn a correction whose size
is penalised, with a C that cross-validation on the rows chooses, so a handful of labels
that agree with the prior leave it nearly as it was and thousands that disagree move it
far (:func:`_fit_centred`; bench/EXPERIMENTS.md, screens 8 and 9). The result is again one
set of linear weights: it labels as fast as any other model and carries no copy of the
prior. Labels the prior does not have are learned on its features and scores instead
(:func:`_fit_stacked`).

``prior=None`` trains from the rows alone, with a featurizer fitted on them.

One module: :func:`train` and :func:`cross_validate` share one fitting path (the prior and
the per-target models), and a reader checks the cross-validation against the training by
reading them side by side.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import orjson

from . import artifact
from .errors import Errors, InputError, format_numbers, format_values, spelling_clashes
from .examples import Examples, to_examples
from .model import StanceModel, default_model, load_model
from .scoring import DEFAULT_LABELS, LinearScorer, as_logit_weights

MIN_TARGET_ROWS = 20  # fewer rows than this for a target, and its rows go to the pooled model
# How far a model trained on a prior moves from it (_fit_centred): the C of a logistic
# regression centred on the prior, chosen from CENTRED_C_GRID by cross-validation on the rows
# ("cv"), or fixed (a number). With too few rows of some label to cross-validate,
# CENTRED_C_WITHOUT_CV. Chosen on dev sets only: bench/EXPERIMENTS.md, screens 8 and 9.
CENTRED_C: float | str = "cv"
CENTRED_C_GRID = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
CENTRED_C_WITHOUT_CV = 1.0
# "best" takes the C of the best cross-validated macro-F1; "one-se", the smallest C within one
# standard error of it, failed its screen (screen 10) and is kept for bench/prior_weight.py.
CENTRED_C_RULE = "best"
# What scores a C in those folds: "macro-F1" of the out-of-fold labels (the default); "log
# loss", their class-weighted log loss; "log loss within one SE", log loss among the Cs whose
# macro-F1 is within one standard error of the best. Both log-loss rules passed their dev
# screens (16, 17) and were not shipped: log loss rewards confidence, so rows the prior already
# labels right (macro-F1 tied at every C) moved it to C = 100. Kept for bench/prior_weight.py.
# "tempered log loss" (screen 19): each C's out-of-fold log loss at the temperature that
# minimises it, so that confidence alone earns nothing.
CENTRED_C_SCORE = "macro-F1"
# How each way names itself after "5-fold cross-validation" in metadata["C_from"].
C_SCORE_NAMES = {
    "macro-F1": "",
    "log loss": " of the log loss",
    "log loss within one SE": ", log loss among the Cs within one standard error of the best macro-F1",
    "tempered log loss": " of the log loss at each C's own temperature",
}
# Screen 12: "pooled" gives each per-target model the pooled model's C (half the training time,
# TweetEval CV -0.0004); "own" lets each cross-validate its own.
PER_TARGET_C = "pooled"
# Whether the SVM on the prior's scores (_fit_stacked) may replace the centred fit where
# cross-validation prefers it: None (no); "in folds" (screen 13: scored in the folds that choose
# C, kept when its macro-F1 beats the best C's); "one-se" (screen 14: its own cross-validated
# macro-F1 in the same folds must beat the best C's by more than that C's standard error).
STACKED_RULE: str | None = "one-se"

# How a scorer was fitted (metadata["method"]; the CLI and model cards read it).
CENTRED_ON_PRIOR = "centred on the prior"
ON_PRIOR_SCORES = "on the prior's scores"
FROM_ROWS_ALONE = "from the rows alone"

PriorArg = StanceModel | str | os.PathLike[str] | None


# The fields a labelled row is read from, by keyword, with their defaults.
FIELDS = {"text_field": "text", "label_field": "label", "context_field": "context", "target_field": "target", "parent_field": "parent"}


def split_labelled(rows: Iterable[Mapping[str, Any]], **fields: str) -> tuple[Examples, list[str]]:
    """Separate labelled rows into examples and labels, listing every unusable row.

    ``fields`` names the fields to read, by the keywords of :data:`FIELDS` (for example
    ``text_field="body"``); the others keep their defaults.
    """
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise TypeError(f"split_labelled() got an unexpected keyword argument {unknown[0]!r}")
    names = {**FIELDS, **fields}
    text_field, label_field = names.pop("text_field"), names.pop("label_field")
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
        problems.append(f"rows {format_numbers(no_text)} have no text in '{text_field}'")
    if no_label:
        problems.append(f"rows {format_numbers(no_label)} have no label in '{label_field}'")
    if problems or not kept:
        raise InputError(
            Errors.E010.format(reason="; ".join(problems) or "there are no rows", text_field=text_field, label_field=label_field)
        )
    _refuse_label_spellings(labels, label_field)
    return to_examples(kept, text_field=text_field, **names), labels


def _refuse_label_spellings(labels: list[str], label_field: str) -> None:
    """Labels that differ only in case or surrounding spaces ("Critical", "critical ") are
    one label typed two ways, not two labels: refuse them rather than learn both."""
    clashes = spelling_clashes(labels)
    if clashes:
        listed = "; ".join(format_values(group) for group in clashes)
        suggestion = ", ".join(repr(group[0].strip().casefold()) for group in clashes)
        raise InputError(Errors.E012.format(spellings=listed, label_field=label_field, suggestion=suggestion))


def training_data_sha256(examples: Examples, labels: Sequence[str]) -> str:
    """A hash of exactly what the model was trained on (texts, contexts, targets, parents, labels)."""
    digest = hashlib.sha256()
    for row in zip(examples.texts, examples.contexts, examples.targets, examples.parents, labels):
        digest.update(orjson.dumps(row))
        digest.update(b"\n")
    return digest.hexdigest()


def resolve_prior(prior: PriorArg) -> StanceModel | None:
    """``"default"`` is the shipped model, a path is loaded, a model is used, None is none."""
    if prior is None or isinstance(prior, StanceModel):
        return prior
    if isinstance(prior, str) and prior == "default":
        return default_model()
    if isinstance(prior, (str, os.PathLike)):
        return load_model(prior)
    raise InputError(Errors.E105.format(value=prior))


def _prior_scores(examples: Examples, prior: StanceModel) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """The rows' features under the prior's featurizer, the prior's weights as logit weights, and
    its logits for the rows (out-of-fold for rows it was trained on: :meth:`StanceModel.scores_as_prior`)."""
    X = prior.scorer.featurizer.transform(examples)
    prior_coef, prior_intercept = as_logit_weights(prior.scorer.coef, prior.scorer.intercept)
    return X, prior_coef, prior_intercept, prior.scores_as_prior(list(examples.texts), X @ prior_coef.T + prior_intercept)


def _fit_stacked(
    examples: Examples, labels: list[str], prior: StanceModel, random_state: int, scores: tuple | None = None
) -> tuple[LinearScorer, dict[str, Any]]:
    """For labels the prior does not have: a linear model on the prior's features plus its
    scores, folded into one linear model on the features.

    The classifier sees ``[X, L]`` where ``L = X @ P.T + p`` are the prior's logits; its
    weights ``[A, B]`` give scores ``X @ (A + B P).T + (b + B p)``, one linear model on ``X``.
    """
    import scipy.sparse as sp

    from .estimators import LinearStanceClassifier

    featurizer = prior.scorer.featurizer
    X, prior_coef, prior_intercept, logits = scores or _prior_scores(examples, prior)
    classifier = LinearStanceClassifier(random_state=random_state).fit(sp.hstack([X, sp.csr_matrix(logits)], format="csr"), labels)
    weights, bias = as_logit_weights(classifier.svm_.coef_, classifier.svm_.intercept_)
    on_features, on_prior = weights[:, : X.shape[1]], weights[:, X.shape[1] :]
    scorer = LinearScorer(
        featurizer, on_features + on_prior @ prior_coef, bias + on_prior @ prior_intercept, classifier.temperature_, [str(c) for c in classifier.classes_]
    )
    return scorer, {"method": ON_PRIOR_SCORES, "chosen_C": classifier.C_, "cv_macro_f1": classifier.cv_macro_f1_}


def _balanced_weights(encoded: np.ndarray, k: int) -> np.ndarray:
    """Each row's weight, "balanced" as the SVM's class weights: n / (k * rows of its label)."""
    return len(encoded) / (k * np.bincount(encoded, minlength=k)[encoded])


def _centred_correction(
    X: Any, offsets: np.ndarray, encoded: np.ndarray, C: float, start: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The correction ``(Δ, δ)`` that minimises the class-weighted multinomial log loss of the
    logits ``offsets + X Δᵀ + δ`` plus ``(‖Δ‖² + ‖δ‖²) / 2C``: a logistic regression whose
    zero is the prior. Only the columns the rows use can move; returns them, Δ on them, δ.
    ``start`` is a solution on the same rows at another C (a warm start; the minimum is the same).

    Solved by Newton-CG with exact Hessian-vector products: 6-8x faster than L-BFGS on
    TweetEval's train split, and exact in one step where the penalty dominates (tiny C), where
    L-BFGS's path depended on rounding (bench/EXPERIMENTS.md, "A faster solver")."""
    from scipy.optimize import minimize

    columns = np.unique(X.indices)
    Xs = X[:, columns].tocsr()
    Xt = Xs.T.tocsr()
    n, k = offsets.shape
    weights = _balanced_weights(encoded, k)
    onehot = np.eye(k)[encoded]
    size = k * len(columns)

    def probabilities(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z = offsets + np.asarray(Xs @ flat[:size].reshape(k, -1).T) + flat[size:]
        z -= z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(axis=1))
        return z - log_norm[:, None], np.exp(z - log_norm[:, None])

    def back(rows: np.ndarray, flat: np.ndarray) -> np.ndarray:
        # from a gradient in logit space (n x k) to one in (Δ, δ), penalty included
        return np.concatenate([np.asarray(Xt @ rows).T.ravel(), rows.sum(axis=0)]) + flat / C

    last: dict[str, np.ndarray] = {}  # the probabilities at the last point, which the Hessian reuses

    def loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
        log_p, p = probabilities(flat)
        last.update(x=flat.copy(), p=p)
        value = -float(weights @ log_p[np.arange(n), encoded]) + float(flat @ flat) / (2 * C)
        return value, back(weights[:, None] * (p - onehot), flat)

    def hessian_times(flat: np.ndarray, v: np.ndarray) -> np.ndarray:
        p = last["p"] if np.array_equal(last["x"], flat) else probabilities(flat)[1]
        u = np.asarray(Xs @ v[:size].reshape(k, -1).T) + v[size:]
        return back(weights[:, None] * p * (u - (p * u).sum(axis=1, keepdims=True)), v)

    initial = np.zeros(size + k) if start is None else np.concatenate([start[0].ravel(), start[1]])
    solution = minimize(loss, initial, jac=True, hessp=hessian_times, method="Newton-CG").x
    return columns, solution[:size].reshape(k, -1), solution[size:]


def _weighted_log_loss(z: np.ndarray, encoded: np.ndarray, weights: np.ndarray) -> float:
    """The weighted multinomial log loss of the logits ``z`` for the labels ``encoded``."""
    z = z - z.max(axis=1, keepdims=True)
    return -float(weights @ (z[np.arange(len(encoded)), encoded] - np.log(np.exp(z).sum(axis=1))))


def _tempered_log_loss(z: np.ndarray, encoded: np.ndarray, weights: np.ndarray) -> float:
    """The weighted log loss of the logits ``z`` at the temperature that minimises it."""
    from scipy.optimize import minimize_scalar

    return float(minimize_scalar(lambda log_t: _weighted_log_loss(z / np.exp(log_t), encoded, weights), bounds=(-3.0, 3.0), method="bounded").fun)


def _choose_centred_C(
    X: Any, offsets: np.ndarray, encoded: np.ndarray, random_state: int, logits: np.ndarray | None = None
) -> tuple[float | None, str, float | None, float | None]:
    """C of the centred fit by stratified cross-validation on the rows (macro-F1, ties to the
    smaller C, the one nearer the prior), how it was chosen, and that C's macro-F1 and standard
    error over the folds (None without folds). Given the prior's ``logits``, the SVM on the
    features and those logits is scored in the same folds, and C is None when it beats every C
    (:data:`STACKED_RULE` "in folds")."""
    import scipy.sparse as sp
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    from .estimators import LinearStanceClassifier

    folds = min(5, int(np.bincount(encoded).min()))
    if folds < 2:
        return CENTRED_C_WITHOUT_CV, "too few rows of a label to cross-validate", None, None
    predicted = {C: np.zeros(len(encoded), dtype=int) for C in CENTRED_C_GRID}
    per_fold: dict[float, list[float]] = {C: [] for C in CENTRED_C_GRID}
    # each C's out-of-fold logits, kept only for a log-loss CENTRED_C_SCORE
    logits_out = {C: np.zeros(offsets.shape) for C in CENTRED_C_GRID} if CENTRED_C_SCORE != "macro-F1" else None
    stacked = np.zeros(len(encoded), dtype=int)
    both = sp.hstack([X, sp.csr_matrix(logits)], format="csr") if logits is not None else None
    for train_idx, test_idx in StratifiedKFold(folds, shuffle=True, random_state=random_state).split(np.zeros(len(encoded)), encoded):
        if both is not None:
            svm = LinearStanceClassifier(random_state=random_state).fit(both[train_idx], encoded[train_idx])
            stacked[test_idx] = svm.predict(both[test_idx])
        previous = None
        for C in sorted(CENTRED_C_GRID):  # each C starts from the smaller C's solution
            columns, delta, bias = _centred_correction(X[train_idx], offsets[train_idx], encoded[train_idx], C, previous)
            previous = delta, bias
            z = offsets[test_idx] + np.asarray(X[test_idx][:, columns] @ delta.T) + bias
            predicted[C][test_idx] = z.argmax(axis=1)
            if logits_out is not None:
                logits_out[C][test_idx] = z
            per_fold[C].append(f1_score(encoded[test_idx], predicted[C][test_idx], average="macro"))
    f1 = {C: round(f1_score(encoded, predicted[C], average="macro"), 9) for C in CENTRED_C_GRID}

    def standard_error(C: float) -> float:
        return float(np.std(per_fold[C], ddof=1)) / np.sqrt(folds)

    if logits_out is not None:
        weights = _balanced_weights(encoded, offsets.shape[1])
        score = _tempered_log_loss if CENTRED_C_SCORE == "tempered log loss" else _weighted_log_loss
        loss = {C: score(logits_out[C], encoded, weights) for C in CENTRED_C_GRID}
    if CENTRED_C_SCORE in ("log loss", "tempered log loss"):
        best = min(CENTRED_C_GRID, key=lambda C: (round(loss[C], 9), C))
    else:
        best = max(CENTRED_C_GRID, key=lambda C: (f1[C], -C))
    if CENTRED_C_SCORE == "log loss within one SE":  # the Cs macro-F1 cannot tell apart
        band = [C for C in CENTRED_C_GRID if f1[C] >= f1[best] - standard_error(best)]
        best = min(band, key=lambda C: (round(loss[C], 9), C))

    if CENTRED_C_RULE == "one-se":
        best = min(C for C in CENTRED_C_GRID if f1[C] >= f1[best] - standard_error(best))
    se = standard_error(best)
    if both is not None and round(f1_score(encoded, stacked, average="macro"), 9) > f1[best]:
        return None, f"{folds}-fold cross-validation, against the centred fit", f1[best], se
    return best, f"{folds}-fold cross-validation", f1[best], se


def _fit_centred(
    examples: Examples, labels: list[str], prior: StanceModel, random_state: int, C: float | None = None
) -> tuple[LinearScorer, dict[str, Any]]:
    """The prior's weights plus a correction learned from the rows (:func:`_centred_correction`),
    kept in the prior's raw scale so the prior's temperature still applies. With
    :data:`STACKED_RULE`, the SVM on the prior's scores instead where cross-validation prefers it."""
    featurizer = prior.scorer.featurizer
    scores = _prior_scores(examples, prior)
    X, prior_coef, prior_intercept, logits = scores
    classes = sorted(set(labels))
    rows = [list(prior.labels).index(c) for c in classes]
    prior_coef, prior_intercept = prior_coef[rows], prior_intercept[rows]
    temperature = prior.scorer.temperature
    offsets = temperature * logits[:, rows]
    encoded = np.searchsorted(classes, labels)
    if C is not None:
        how = "the pooled model's"
    else:
        C, how, f1, se = (
            _choose_centred_C(X, offsets, encoded, random_state, logits if STACKED_RULE == "in folds" else None)
            if CENTRED_C == "cv" else (float(CENTRED_C), "fixed", None, None)
        )
        if C is None:
            scorer, chosen = _fit_stacked(examples, labels, prior, random_state, scores)
            return scorer, {**chosen, "C_from": how}
        if STACKED_RULE == "one-se" and f1 is not None:
            scorer, chosen = _fit_stacked(examples, labels, prior, random_state, scores)
            if chosen["cv_macro_f1"] is not None and chosen["cv_macro_f1"] > f1 + se:
                return scorer, {**chosen, "C_from": f"{how}, better than the centred fit by more than one standard error"}
    columns, delta, bias = _centred_correction(X, offsets, encoded, C)
    coef = prior_coef.copy()
    coef[:, columns] += delta / temperature
    intercept = prior_intercept + bias / temperature
    if how.endswith("-fold cross-validation"):
        how += C_SCORE_NAMES[CENTRED_C_SCORE]
    return LinearScorer(featurizer, coef, intercept, temperature, classes), {"method": CENTRED_ON_PRIOR, "chosen_C": C, "C_from": how}


def _fit_scorer(
    examples: Examples, labels: list[str], *, prior: StanceModel | None, random_state: int, feature_params: dict[str, Any],
    pooled: dict[str, Any] | None = None,
) -> tuple[LinearScorer, dict[str, Any]]:
    """One scorer for these rows, and how it was fitted (``method``, ``chosen_C``). ``pooled``
    is the pooled model's choice, which a per-target model takes (:data:`PER_TARGET_C`)."""
    if prior is not None and set(labels) <= set(prior.labels):
        if pooled is not None and pooled["method"] == ON_PRIOR_SCORES:
            return _fit_stacked(examples, labels, prior, random_state)
        return _fit_centred(examples, labels, prior, random_state, pooled["chosen_C"] if pooled is not None else None)
    if prior is not None:
        return _fit_stacked(examples, labels, prior, random_state)
    from .estimators import make_pipeline, scorer_from_pipeline

    pipeline = make_pipeline(random_state=random_state, **feature_params).fit(examples, labels)
    return scorer_from_pipeline(pipeline), {"method": FROM_ROWS_ALONE, "chosen_C": pipeline.named_steps["classifier"].C_}


def fit_scorers(
    examples: Examples, labels: list[str], *, prior: StanceModel | None, random_state: int = 0, feature_params: dict[str, Any] | None = None
) -> tuple[LinearScorer, dict[str, LinearScorer], dict[str, Any]]:
    """The pooled scorer, one scorer per target with enough rows of two labels or more, and
    how the pooled scorer was fitted (``method``, ``chosen_C`` and, centred on a prior, ``C_from``)."""
    feature_params = feature_params or {}
    pooled, chosen = _fit_scorer(examples, labels, prior=prior, random_state=random_state, feature_params=feature_params)
    per_target: dict[str, LinearScorer] = {}
    targets = sorted({t for t in examples.targets if t is not None})
    if len(targets) > 1 or (targets and None in examples.targets):
        y = np.array(labels)
        # the pooled model's choice, where cross-validation made it (not for labels the prior lacks)
        shared = chosen if PER_TARGET_C == "pooled" and "C_from" in chosen else None
        for target in targets:
            index = [i for i, t in enumerate(examples.targets) if t == target]
            if len(index) >= MIN_TARGET_ROWS and len(set(y[index])) >= 2:
                per_target[target], _ = _fit_scorer(
                    examples.subset(index), y[index].tolist(), prior=prior, random_state=random_state, feature_params=feature_params,
                    pooled=shared,
                )
    return pooled, per_target, chosen


def _model(
    pooled: LinearScorer, per_target: dict[str, LinearScorer], prior: StanceModel | None, labels: list[str], metadata: dict[str, Any]
) -> StanceModel:
    same_labels = prior is not None and set(labels) == set(DEFAULT_LABELS) == set(prior.labels)
    return StanceModel(pooled, metadata, per_target, parent_weight=prior.parent_weight if same_labels else 0.0)


def train(
    examples: Iterable[Mapping[str, Any]],
    *,
    text_field: str = "text",
    label_field: str = "label",
    context_field: str = "context",
    target_field: str = "target",
    parent_field: str = "parent",
    prior: PriorArg = "default",
    random_state: int = 0,
    **feature_params: Any,
) -> StanceModel:
    """Train a stance model on labelled examples.

    Parameters
    ----------
    examples
        Mappings with a text and a label, and optionally a context (the post replied to
        or the root post), a parent (for replies to replies) and a target (what the stance
        is about). A pandas DataFrame is read row by row.
    text_field, label_field, context_field, target_field, parent_field
        The field names to read.
    prior
        ``"default"`` (the shipped model, the default), a model file or a
        :class:`StanceModel` to start from, or None to learn from these rows alone. When the
        prior has every label of the rows, the model is a logistic regression centred on it,
        whose C (how far the rows may move it) is chosen by cross-validation on the rows and
        recorded in ``metadata["chosen_C"]``, unless a linear SVM on the prior's features
        and scores beats it in the same folds by more than one standard error; labels the
        prior lacks are always learned that way. ``metadata["method"]`` says which.
    random_state
        Seed; the same data, prior and seed give the same model.
    **feature_params
        Only without a prior: passed to :class:`~stance.features.Featurizer` (for
        example ``spacy_pipeline="en_core_web_sm"``).

    Returns
    -------
    StanceModel

    Raises
    ------
    InputError
        If rows lack text or labels (the message lists them), only one label occurs, or
        feature parameters are given together with a prior.

    Examples
    --------
    >>> model = train([{"text": "I agree, great essay", "label": "supportive"},
    ...                {"text": "This is wrong", "label": "critical"}])
    >>> model.labels
    ['critical', 'supportive']
    """
    rows = _rows(examples)
    data, labels = split_labelled(
        rows, text_field=text_field, label_field=label_field, context_field=context_field, target_field=target_field,
        parent_field=parent_field,
    )
    if len(set(labels)) < 2:
        raise InputError(Errors.E011.format(label=labels[0]))
    feature_params = _feature_params(feature_params, prior)
    prior_model = resolve_prior(prior)
    pooled, per_target, chosen = fit_scorers(data, labels, prior=prior_model, random_state=random_state, feature_params=feature_params)
    metadata = artifact.build_metadata(
        labels=list(pooled.classes),
        training_data_sha256=training_data_sha256(data, labels),
        extra={
            "n_examples": len(labels),
            "label_counts": dict(sorted(Counter(labels).items())),
            "uses_context": any(c is not None for c in data.contexts),
            "targets": sorted({t for t in data.targets if t is not None}),
            "per_target_models": sorted(per_target),
            "prior": _prior_description(prior, prior_model),
            "feature_params": pooled.featurizer.to_state()["params"],
            **chosen,
            "random_state": random_state,
        },
    )
    return _model(pooled, per_target, prior_model, labels, metadata)


def _rows(examples: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if hasattr(examples, "columns") and hasattr(examples, "to_dict"):
        return examples.to_dict("records")  # type: ignore[union-attr]
    return list(examples)


def _feature_params(feature_params: dict[str, Any], prior: PriorArg) -> dict[str, Any]:
    params = dict(feature_params)
    if "pipeline" in params:  # stance 0.1's name for the spaCy pipeline
        import warnings

        from .errors import Warnings

        warnings.warn(Warnings.W100, DeprecationWarning, stacklevel=3)
        params["spacy_pipeline"] = params.pop("pipeline")
    if params and prior is not None:
        raise InputError(Errors.E108.format(params=", ".join(sorted(params))))
    return params


def _prior_description(prior: PriorArg, model: StanceModel | None) -> dict[str, Any] | None:
    if model is None:
        return None
    name = prior if isinstance(prior, str) else os.fspath(prior) if isinstance(prior, os.PathLike) else "a StanceModel"
    return {
        "name": name,
        "training_data_sha256": model.metadata.get("training_data_sha256"),
        "stance_version": model.metadata.get("stance_version"),
    }


def cross_validate(
    examples: Iterable[Mapping[str, Any]],
    *,
    folds: int = 5,
    repeats: int = 5,
    random_state: int = 0,
    prior: PriorArg = "default",
    **params: Any,
) -> dict[str, Any]:
    """Repeated stratified k-fold cross-validation of :func:`train` with these options.

    ``params`` are :func:`train`'s other keywords: the field names (``text_field`` and so
    on) and, without a prior, the featurizer's parameters.
    ``folds`` is lowered to the smallest label count when a label is rarer than that.
    Returns the mean and standard deviation over all folds of accuracy and macro-F1, the
    mean per-label F1, and the pooled out-of-fold predictions of the first repeat.
    """
    from sklearn.model_selection import RepeatedStratifiedKFold

    from .evaluate import scores

    fields = {name: params.pop(name) for name in FIELDS if name in params}
    data, labels = split_labelled(_rows(examples), **fields)
    counts = Counter(labels)
    if min(counts.values()) < 2:
        raise InputError(Errors.E107.format(counts=dict(counts)))
    feature_params = _feature_params(params, prior)
    prior_model = resolve_prior(prior)
    y = np.array(labels)
    k = max(2, min(folds, min(counts.values())))
    splitter = RepeatedStratifiedKFold(n_splits=k, n_repeats=repeats, random_state=random_state)
    accuracy, macro, per_label = [], [], {label: [] for label in sorted(counts)}
    first_repeat: list[str | None] = [None] * len(y)
    for i, (train_idx, test_idx) in enumerate(splitter.split(np.zeros(len(y)), y)):
        pooled, per_target, _ = fit_scorers(
            data.subset(train_idx), y[train_idx].tolist(), prior=prior_model, random_state=random_state, feature_params=feature_params
        )
        model = _model(pooled, per_target, prior_model, y[train_idx].tolist(), {})
        predicted = model.predict(data.subset(test_idx))
        result = scores(y[test_idx].tolist(), predicted, labels=sorted(per_label))
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


def from_pipeline(
    pipeline: Any, *, labels: Sequence[str] | None = None, training_data: Iterable[Mapping[str, Any]] | None = None,
    label_field: str = "label",
) -> StanceModel:
    """A :class:`~stance.model.StanceModel` from your own fitted scikit-learn pipeline.

    The pipeline's first step must be a fitted :class:`~stance.estimators.SpacyFeatures`
    and its last a fitted linear classifier with ``coef_``, ``intercept_`` and ``classes_``
    (``LogisticRegression``, ``LinearSVC``, ``SGDClassifier``, ``RidgeClassifier``,
    :class:`~stance.estimators.LinearStanceClassifier`). Probabilities are the softmax of the
    classifier's scores (scaled by its temperature for ``LinearStanceClassifier``), which
    is exactly what ``LogisticRegression.predict_proba`` gives.

    Parameters
    ----------
    pipeline
        The fitted pipeline.
    labels
        The label names, in the order of ``classes_``, if the classifier was fitted on codes.
    training_data
        The rows it was trained on (with ``text`` and ``label_field``), to record their
        sha256 in the model file as ``stance train`` does; optional.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import Pipeline
    >>> from stance.estimators import SpacyFeatures
    >>> rows = ["I agree", "great point", "this is wrong", "nonsense"]
    >>> fitted = Pipeline([("features", SpacyFeatures()), ("clf", LogisticRegression())]).fit(
    ...     rows, ["supportive", "supportive", "critical", "critical"])
    >>> from_pipeline(fitted).labels
    ['critical', 'supportive']
    """
    from .estimators import scorer_from_linear

    scorer = scorer_from_linear(pipeline, labels=labels)
    data_sha = None
    n_examples = None
    counts: dict[str, int] = {}
    if training_data is not None:
        data, rows_labels = split_labelled(_rows(training_data), label_field=label_field)
        data_sha, n_examples, counts = training_data_sha256(data, rows_labels), len(rows_labels), dict(sorted(Counter(rows_labels).items()))
    metadata = artifact.build_metadata(
        labels=list(scorer.classes),
        training_data_sha256=data_sha,  # type: ignore[arg-type]
        extra={
            "n_examples": n_examples,
            "label_counts": counts,
            "prior": None,
            "feature_params": scorer.featurizer.to_state()["params"],
            "from_pipeline": type(pipeline[-1]).__name__,
        },
    )
    return StanceModel(scorer, metadata)
