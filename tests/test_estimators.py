"""The scikit-learn estimator contract: the classifier passes scikit-learn's own checks; the
raw-text featurizer passes the ones that apply to text, written out here.

scikit-learn's generated checks feed numeric arrays; SpacyFeatures takes texts (its tags say
so), so scikit-learn runs only `check_estimator_tags_renamed` on it. The rest of the contract,
for text input, is tested below: parameters stored unchanged and nothing loaded in
`__init__`, `clone` and `get_params`/`set_params`, `fit` returning self and leaving
parameters alone, `fit_transform` equal to `fit().transform`, refitting giving the same
result, transform before fit raising `NotFittedError`, pickling, `Pipeline` and
`GridSearchCV`. Checks that do not apply: every check on numeric input (dtype, NaN, infinite
values, 1-d and 3-d arrays, sparse input, `n_features_in_`), since a text has none of those.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from stance.estimators import LinearStanceClassifier, SpacyFeatures

TEXTS = ["I agree with this", "climate change is real", "not convinced at all", "great essay!", "", "cc @bob 👀"]


@parametrize_with_checks(
    [LinearStanceClassifier()],
    expected_failed_checks=lambda estimator: {
        "check_sample_weight_equivalence_on_dense_data": "C and the calibration come from stratified k-fold CV, whose folds change when rows are repeated",
        "check_sample_weight_equivalence_on_sparse_data": "C and the calibration come from stratified k-fold CV, whose folds change when rows are repeated",
    },
)
def test_classifier_passes_scikit_learns_checks(estimator, check):
    check(estimator)


def test_featurizer_fit_returns_self_and_leaves_parameters_alone():
    features = SpacyFeatures(n_features=2**10, char_ngrams=(2, 4))
    before = features.get_params()
    assert features.fit(TEXTS) is features
    assert features.get_params() == before
    assert clone(features).get_params() == before


def test_featurizer_fit_transform_equals_fit_then_transform_and_refits_the_same():
    first = SpacyFeatures(n_features=2**10).fit_transform(TEXTS)
    features = SpacyFeatures(n_features=2**10).fit(TEXTS)
    assert (first != features.transform(TEXTS)).nnz == 0
    assert (features.fit(TEXTS).transform(TEXTS) != first).nnz == 0


def test_featurizer_unfitted_raises_scikit_learns_error():
    with pytest.raises(NotFittedError):
        SpacyFeatures().transform(TEXTS)


def test_featurizer_pickles_and_predicts_the_same():
    features = SpacyFeatures(n_features=2**10).fit(TEXTS)
    again = pickle.loads(pickle.dumps(features))
    assert (again.transform(TEXTS) != features.transform(TEXTS)).nnz == 0
    assert again.get_params() == features.get_params()


def test_featurizer_output_width_is_fixed_by_its_parameters():
    features = SpacyFeatures(n_features=2**10).fit(TEXTS)
    assert features.transform(["a brand new word"]).shape == (1, 3 * 2**10)
    assert features.transform([]).shape == (0, 3 * 2**10)
    assert np.all(np.isfinite(features.transform(TEXTS).data))


def test_from_pipeline_turns_a_users_pipeline_into_a_model_with_the_same_probabilities(tmp_path, toy_rows):
    import stance
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    texts = [r["text"] for r in toy_rows]
    labels = [r["label"] for r in toy_rows]
    pipeline = Pipeline([("features", SpacyFeatures(n_features=2**12)), ("clf", LogisticRegression(max_iter=500))]).fit(texts, labels)
    model = stance.from_pipeline(pipeline, training_data=toy_rows)
    assert np.allclose(model.predict_proba(texts), pipeline.predict_proba(texts), rtol=1e-9, atol=1e-12)
    assert model.metadata["n_examples"] == len(toy_rows) and len(model.metadata["training_data_sha256"]) == 64
    model.save(tmp_path / "mine.stance")
    again = stance.load_model(tmp_path / "mine.stance")
    assert np.allclose(again.predict_proba(texts), pipeline.predict_proba(texts), rtol=1e-9, atol=1e-12)


def test_from_pipeline_refuses_what_it_cannot_turn_into_a_linear_model(toy_rows):
    import stance
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline

    from stance.errors import InputError

    texts = [r["text"] for r in toy_rows]
    labels = [r["label"] for r in toy_rows]
    pipeline = Pipeline([("features", SpacyFeatures(n_features=2**12)), ("knn", KNeighborsClassifier(2))]).fit(texts, labels)
    with pytest.raises(InputError, match="SpacyFeatures -> KNeighborsClassifier"):
        stance.from_pipeline(pipeline)
