"""SpacyFeatures: the scikit-learn estimator contract and the feature families."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from stance.estimators import SpacyFeatures
from stance.examples import to_examples
from stance.features import named_features, segment_hashtag
from stance.errors import InputError


def fitted(**params) -> SpacyFeatures:
    return SpacyFeatures(**params).fit(["I agree with this", "climate change is real", "climate"])


def test_init_stores_params_unchanged_and_loads_nothing():
    features = SpacyFeatures(n_features=1024, char_ngrams=None)
    assert features.get_params()["n_features"] == 1024
    assert features.get_params()["char_ngrams"] is None
    assert not hasattr(features, "nlp_")


def test_clone_and_set_params():
    features = SpacyFeatures(word_ngrams=3)
    copy = clone(features)
    assert copy.get_params() == features.get_params()
    copy.set_params(word_ngrams=1)
    assert copy.word_ngrams == 1 and features.word_ngrams == 3


def test_transform_before_fit_raises():
    with pytest.raises(Exception, match="not fitted"):
        SpacyFeatures().transform(["hello"])


def test_bad_param_is_reported_in_fit():
    with pytest.raises(InputError, match="word_ngrams"):
        SpacyFeatures(word_ngrams=7).fit(["a"])


def test_pipeline_and_grid_search(toy_rows):
    texts = [r["text"] for r in toy_rows]
    labels = [r["label"] for r in toy_rows]
    pipeline = Pipeline([("features", SpacyFeatures(n_features=2**12)), ("clf", LogisticRegression(max_iter=500))])
    search = GridSearchCV(pipeline, {"features__word_ngrams": [1, 2], "clf__C": [1.0]}, cv=2)
    search.fit(texts, labels)
    assert search.best_params_["features__word_ngrams"] in (1, 2)
    assert set(search.predict(texts)) <= set(labels)


def test_shape_and_blocks_normalised_to_their_weights():
    features = fitted()
    X = features.transform(["Great essay!", "", "😂", "#NoMoreAbortion"])
    d = features.n_features
    assert X.shape == (4, 3 * d)
    for block, weight in enumerate(features.block_weights_):
        part = X[:, block * d : (block + 1) * d]
        norms = np.sqrt(np.asarray(part.multiply(part).sum(axis=1))).ravel()
        # count * idf / sqrt(sum(count * idf**2)): unit length when no feature repeats
        assert np.all(norms[norms > 0] >= weight - 1e-9)
    unique = features.transform(["xyzzy"])[:, d : 2 * d]  # its character n-grams are all distinct
    assert np.sqrt(unique.multiply(unique).sum()) == pytest.approx(features.block_weights_[1])
    assert X[1, : 2 * d].nnz == 0  # an empty reply has no words, only its length mark


@pytest.mark.parametrize("context_cosine", [False, True])
def test_scores_without_matrix_equal_matrix_scores(context_cosine):
    features = fitted(context_cosine=context_cosine)
    rows = ["I do NOT agree, sooo wrong!!", "", "👀", {"text": "open science", "context": "we love open science", "target": "ai"},
            {"text": "", "context": "we love open science"}, {"text": "nope", "context": ""}]
    coef = np.random.default_rng(0).normal(size=(3, 3 * features.n_features))
    intercept = np.array([0.1, -0.2, 0.3])
    expected = features.transform(rows) @ coef.T + intercept
    assert np.allclose(features.linear_scores(rows, coef, intercept), expected)
    # the per-word cache is reused, and grows with new words
    assert np.allclose(features.linear_scores(rows[:1] + ["brand new words"], coef, intercept)[0], expected[0])


def test_named_features_are_exactly_the_transformed_columns():
    features = fitted()
    example = {"text": "I do NOT agree with #ClimateChange, sooo wrong!! @user 😂", "context": "climate change is real", "target": "climate"}
    row = features.transform([example])
    named = named_features(features, example["text"], context=example["context"], target=example["target"])
    assert sorted({column for _, column in named}) == sorted(row.indices.tolist())


def test_negation_scope_creates_negated_features():
    features = fitted()
    names = [n for n, _ in named_features(features, "I do not agree, fine")]
    assert "not 'agree'" in names
    assert "not 'fine'" not in names  # the comma closes the scope
    assert "[negated agree cue]" in names
    assert "[agree cue]" in [n for n, _ in named_features(features, "I agree, fine")]


def test_context_overlap_band():
    features = fitted()
    names = [n for n, _ in named_features(features, "open science matters", context="we argue open science matters most")]
    assert "[context overlap high]" in names
    names = [n for n, _ in named_features(features, "open science matters")]
    assert not any("context" in n for n in names)


def cosine_marks(features, text: str, context: str | None) -> list[str]:
    return [n for n, _ in named_features(features, text, context=context) if "cosine with the context" in n]


def test_context_cosine_bands():
    features = fitted(context_cosine=True)
    post = "we argue open science matters most"
    assert cosine_marks(features, post, post) == ["[word cosine with the context 0.35+]", "[character cosine with the context 0.5+]"]
    assert cosine_marks(features, "zzz qqq", post) == ["[word cosine with the context 0]", "[character cosine with the context <0.1]"]
    assert cosine_marks(features, "open science matters", None) == []
    assert cosine_marks(fitted(), post, post) == []  # off by default


def test_context_cosine_is_the_cosine_of_the_transformed_blocks():
    features = fitted(context_cosine=True)
    reply, post = "open science is great, we agree", "we argue open science matters most"
    d = features.n_features
    X = fitted().transform([reply, post])  # the same idf: fitted on the same texts
    word = X[0, :d].multiply(X[1, :d]).sum()
    chars = X[0, d : 2 * d].multiply(X[1, d : 2 * d]).sum()
    assert 0.2 < word < 0.35 and 0.5 < chars  # the bands below, not near an edge
    assert cosine_marks(features, reply, post) == ["[word cosine with the context 0.2-0.35]", "[character cosine with the context 0.5+]"]
    lower = cosine_marks(features, "science is great", post)
    assert lower != cosine_marks(features, reply, post) and len(lower) == 2


def test_context_cosine_marks_match_the_transformed_cosine_with_many_posts_in_a_batch():
    from stance.features.featurizer import COSINE_EDGES, _band_labels

    posts = ["climate change is real", "I agree with this essay", "open science for all, now", "#AI is not magic"]
    replies = ["climate is real", "agree!!", "science, open and free", "magic? no", "real change now", "", "😂 all"]
    rows = [{"text": r, "context": posts[(i + k) % len(posts)] if (i + k) % 5 else None}
            for k in range(3) for i, r in enumerate(replies)]
    features, plain = fitted(context_cosine=True), fitted()
    features.batch_size = 5  # posts met in several batches, some featurized in an earlier one
    X, R = features.transform(rows), plain.transform([r["text"] for r in rows])
    P = plain.transform(posts)
    d = features.n_features
    for i, row in enumerate(rows):
        marks = {c for c in X[i, 2 * d :].indices}
        for block, name in ((0, "word"), (1, "character")):
            wanted = [features.mark_column(f"[{name} cosine with the context {label}]") for label in _band_labels(COSINE_EDGES[block])]
            if row["context"] is None:
                assert not marks & set(wanted)
                continue
            j = posts.index(row["context"])
            cosine = R[i, block * d : (block + 1) * d].multiply(P[j, block * d : (block + 1) * d]).sum()
            band = int(np.searchsorted(np.asarray(COSINE_EDGES[block]), cosine, side="right"))
            assert marks & set(wanted) == {wanted[band]}


def test_remembered_posts_starting_over_changes_nothing(monkeypatch):
    from stance.features import Featurizer

    posts = ["climate change is real", "I agree with this essay", "open science for all", "no", "AI is magic", "fine"]
    # batches of two: a post seen in the batch before beside a new one, then the first posts again
    order = [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 0, 0, 1]
    rows = [{"text": f"reply {i} on climate and science", "context": posts[j]} for i, j in enumerate(order)]
    expected = fitted(context_cosine=True).transform(rows)
    monkeypatch.setattr(Featurizer, "post_entries_limit", 10)
    features = fitted(context_cosine=True)
    features.batch_size = 2
    assert (features.transform(rows) != expected).nnz == 0
    assert set(features._posts) == {posts[0], posts[1]}  # it started over, keeping what each batch read
    assert features._post_entries == sum(len(cols) for vectors in features._posts.values() for cols, _ in vectors)


def test_context_cosine_survives_saving_and_older_files_load_without_it():
    from stance.features import Featurizer

    features = Featurizer(context_cosine=True).fit(["I agree with this", "climate change is real"])
    state = features.to_state()
    assert Featurizer.from_state(state).context_cosine is True
    del state["params"]["context_cosine"]  # a file written before the option existed
    assert Featurizer.from_state(state).context_cosine is False
    state["params"]["a_later_feature"] = True  # a file written by a newer stance
    with pytest.raises(InputError, match="a_later_feature.*Upgrade stance"):
        Featurizer.from_state(state)


def test_target_mention_feature():
    features = fitted()
    names = [n for n, _ in named_features(features, "#ClimateChange is real", target="climate")]
    assert "[mentions target]" in names
    names = [n for n, _ in named_features(features, "what a day", target="climate")]
    assert "[target not mentioned]" in names


def test_hashtag_segmentation():
    assert segment_hashtag("#NoMoreAbortion") == ["no", "more", "abortion"]
    assert segment_hashtag("#climatechange", frozenset({"climate", "change"})) == ["climate", "change"]
    assert segment_hashtag("#SemST") == ["sem", "st"]
    assert segment_hashtag("#zzzz", frozenset({"z"})) == ["zzzz"]


def test_pickle_drops_spacy_and_restores_identically():
    features = fitted()
    texts = ["one reply", "another #Reply here"]
    restored = pickle.loads(pickle.dumps(features))
    assert "nlp_" not in features.__getstate__()
    assert (restored.transform(texts) != features.transform(texts)).nnz == 0


def test_to_examples_accepts_strings_mappings_and_bad_values():
    examples = to_examples(["a", {"text": "b", "context": "c", "target": "t"}, None, {"text": 5}])
    assert examples.texts == ["a", "b", "", ""]
    assert examples.contexts == [None, "c", None, None]
    assert examples.targets == [None, "t", None, None]
    with pytest.raises(InputError, match="item 0"):
        to_examples([object()])


@given(st.lists(st.text(max_size=200), min_size=1, max_size=5))
def test_transform_never_fails_and_is_deterministic(texts):
    features = fitted()
    first = features.transform(texts)
    second = fitted().transform(texts)
    assert first.shape == (len(texts), 3 * 2**18)
    assert np.all(np.isfinite(first.data))
    assert (first != second).nnz == 0


def _char_columns_by_hand(features, form: str) -> list[int]:
    """Each n-gram of " form " keyed one at a time, in plain integer arithmetic."""
    from stance.features.hashing import CHAR_BASE, NS_CHAR, mix

    lo, hi = features.char_ngrams
    padded = f" {form} "
    out = []
    for n in range(lo, hi + 1):
        for i in range(len(padded) - n + 1):
            key = n
            for ch in padded[i : i + n]:
                key = (key * int(CHAR_BASE) + ord(ch)) % 2**64
            out.append(int(mix(np.array([key], dtype=np.uint64), NS_CHAR)[0] % np.uint64(features.n_features)))
    return out


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=8))
def test_batched_char_ngrams_equal_one_ngram_at_a_time(forms):
    from stance.features.hashing import char_columns

    features = fitted()
    columns, counts = char_columns(forms, features.char_ngrams, features.n_features)
    assert counts.sum() == len(columns)
    starts = np.cumsum(counts) - counts
    for form, start, count in zip(forms, starts, counts):
        expected = [] if form == "<url>" or form.startswith("@") else _char_columns_by_hand(features, form)
        assert sorted(columns[start : start + count].tolist()) == sorted(expected)


def test_word_cache_starting_over_changes_nothing(monkeypatch):
    """Past its row limit the cache starts over, even for a batch bigger than the limit."""
    from stance.features.words import WordCache

    post = "a post with words of its own, x1 x2 x3"
    texts = ["I do not agree with this at all", {"text": "great essay, thanks #AI", "context": post}, "w1 w2 w3 w4 w5 w6 w7 w8",
             {"text": "words of its own", "context": post + " and more"}]
    expected = fitted(context_cosine=True).transform(texts)
    monkeypatch.setattr(WordCache, "limit", 5)
    features = fitted(context_cosine=True)
    first = features.transform(texts)
    again = features.transform(texts[::-1])
    assert (first != expected).nnz == 0 and (again != expected[::-1]).nnz == 0
    assert len(features._cache.form) <= 30
    coef = np.random.default_rng(0).normal(size=(2, 3 * features.n_features))
    intercept = np.zeros(2)
    assert np.allclose(features.linear_scores(texts, coef, intercept), expected @ coef.T)


@given(st.text(alphabet=st.characters(max_codepoint=0x1FAFF), max_size=12) | st.text("ab^`!😂", max_size=5))
def test_emoji_check_with_its_ascii_shortcut_is_the_unicode_category_rule(text):
    import unicodedata

    from stance.features import is_emoji

    assert is_emoji(text) == any(unicodedata.category(ch) in ("So", "Sk") for ch in text)


def test_spacy_vocabulary_stays_bounded_and_renewing_it_changes_nothing(monkeypatch):
    """On a stream of new words the pipeline is rebuilt past the lexeme limit; the features
    are those of a featurizer that never renews."""
    from stance.features import Featurizer
    from stance.nlp import make_nlp

    rng = np.random.default_rng(0)
    texts = [
        " ".join("".join(rng.choice(list("abcdefghij"), 7)) for _ in range(5)) + " not great, #AI" for _ in range(400)
    ]
    reference = fitted()
    reference._use_nlp(make_nlp.__wrapped__())  # its own vocabulary: the words stay new to the shared one
    expected = reference.transform(texts)
    features = fitted()
    monkeypatch.setattr(Featurizer, "vocab_limit", 300)
    features.batch_size = 50  # 250 new words a batch
    first_nlp = features.nlp_
    got = features.transform(texts)
    assert features.nlp_ is not first_nlp
    assert len(features.nlp_.vocab) <= features._vocab_start + 300 + 300
    assert (got != expected).nnz == 0
    coef = rng.normal(size=(3, 3 * features.n_features))
    assert np.allclose(features.linear_scores(texts, coef, np.zeros(3)), expected @ coef.T)


def test_a_pipeline_that_starts_with_many_lexemes_is_not_renewed_every_batch(monkeypatch):
    """The limit counts lexemes added since the pipeline was built (trained pipelines may
    ship many), so a big starting vocabulary does not mean a rebuild before every batch."""
    import spacy

    from stance.features import Featurizer
    from stance.nlp import make_nlp

    monkeypatch.setattr(Featurizer, "vocab_limit", 300)
    big = make_nlp.__wrapped__()
    for i in range(2000):
        big.vocab[f"word{i}"]
    features = fitted()
    features._use_nlp(big)
    features.transform(["I do not agree", "great essay"] * 30)
    assert features.nlp_ is big
    assert isinstance(big, spacy.language.Language)


@pytest.mark.parametrize("where", ["word_extras", "char_columns"])
def test_an_interrupt_mid_batch_leaves_no_trace_in_later_features(monkeypatch, where):
    """Ctrl-C in a notebook can stop a batch anywhere, here while new words enter the word
    cache (before any of its arrays grew, or after some did): the next batches must still
    get the features of a featurizer that was never interrupted."""
    from stance.features import Featurizer, words

    post = "a post with words of its own, x1 x2 x3"
    texts = [{"text": "I do not agree with this at all #NewTag", "context": post}, "great essay, thanks #AI",
             {"text": "words of its own and zz9 more", "context": post + " and more"}]
    expected = fitted(context_cosine=True).transform(texts)
    features = fitted(context_cosine=True)
    coef = np.random.default_rng(0).normal(size=(3, 3 * features.n_features))
    features.linear_scores(["warm the caches up"], coef, np.zeros(3))
    owner = Featurizer if where == "word_extras" else words
    real, calls = getattr(owner, where), []

    def interrupted(*args):
        calls.append(1)
        if len(calls) == 2:  # part-way through the new words
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(owner, where, interrupted)
    with pytest.raises(KeyboardInterrupt):
        features.transform(texts)
    monkeypatch.undo()
    assert (features.transform(texts) != expected).nnz == 0
    assert np.allclose(features.linear_scores(texts, coef, np.zeros(3)), expected @ coef.T)
