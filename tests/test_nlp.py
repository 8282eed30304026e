"""The spaCy side: rule-based components, tokenizer settings, and trained pipelines."""

from __future__ import annotations

import functools
import random

import numpy as np
import pytest
import spacy
from hypothesis import example, given, settings
from hypothesis import strategies as st
from spacy.matcher import PhraseMatcher
from spacy.training import Example

from stance.errors import InputError
from stance.estimators import SpacyFeatures
from stance.features import named_features
from stance.nlp import CUE_LEXICONS, CUES, NEGATED, NEGATORS, make_nlp, rules_of


def test_blank_pipeline_has_our_components_and_no_download():
    nlp = make_nlp()
    assert nlp.pipe_names == ["stance_negation", "stance_cues"]
    doc = nlp("#NoMoreAbortion @user isn't right, thanks!")
    assert [t.text for t in doc][:2] == ["#NoMoreAbortion", "@user"]
    assert doc.user_data[NEGATED] == [False, False, False, False, True, False, False, False]
    assert ("thanks", 6, 7) in doc.user_data[CUES]


@settings(deadline=None, max_examples=100)
@given(st.lists(st.text(alphabet=st.sampled_from(list("aZ9 #@_'.,!?-:/😂é\n")), max_size=40), min_size=1, max_size=5))
@example(["#NoMoreAbortion @user_1 isn't it? http://example.com/a-b :-) U.S. e-mail"])
def test_tokenizer_is_the_default_one_with_our_token_match(texts):
    """make_nlp builds its tokenizer once with our token_match; it must split text exactly
    as spaCy's default English tokenizer does once token_match is set on it."""
    ours = make_nlp().tokenizer
    for text in texts:
        assert [t.text for t in ours(text)] == [t.text for t in _reference_tokenizer()(text)]


@functools.cache
def _reference_tokenizer():
    from stance.nlp import _TOKEN_MATCH

    reference = spacy.blank("en")
    reference.tokenizer.token_match = _TOKEN_MATCH
    return reference.tokenizer


# Words that make up cue phrases and negations, plus others, so random replies hit them.
_WORDS = sorted({w for phrases in CUE_LEXICONS.values() for p in phrases for w in p.split()} | NEGATORS) + [
    "the", "essay", "AI", "safety", ",", ".", "!", "?", "Not", "AGREE", "can't", "don't", "#ai", "@user", "😂",
]


def _loop_scope(lowers: list[str], punct: list[bool]) -> list[bool]:
    """The negation rule written as the obvious per-token loop."""
    in_scope, out = False, []
    for lower, is_punct in zip(lowers, punct):
        if is_punct:
            in_scope = False
            out.append(False)
        else:
            out.append(in_scope)
            in_scope = in_scope or lower in NEGATORS
    return out


@settings(deadline=None, max_examples=150)
@given(st.lists(st.lists(st.sampled_from(_WORDS), max_size=12).map(" ".join), min_size=1, max_size=6))
@example(["well, I", "agree so", "not"])  # phrases must not run across two replies
def test_batched_rules_equal_phrase_matcher_and_the_per_token_loop(replies):
    """The batch rules give, per reply, what spaCy's PhraseMatcher and a plain loop give."""
    nlp = make_nlp()
    rules = rules_of(nlp)
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    for category, phrases in CUE_LEXICONS.items():
        matcher.add(category, [nlp.tokenizer(p) for p in phrases])
    docs = [nlp.tokenizer(r) for r in replies]
    lowers = np.array([t.lower for d in docs for t in d], dtype=np.uint64)
    punct = np.array([t.is_punct for d in docs for t in d], dtype=bool)
    token_doc = np.repeat(np.arange(len(docs)), [len(d) for d in docs])
    starts = np.cumsum([len(d) for d in docs]) - [len(d) for d in docs]
    scope = rules.negation_scope(rules.is_negator(lowers), punct, starts)
    found = rules.cue_matches(lowers, token_doc)
    got = sorted((int(token_doc[s]), int(s - starts[token_doc[s]]), int(k), rules.categories[c]) for s, k, c in zip(*found))
    expected = sorted(
        (i, start, end - start, nlp.vocab.strings[match]) for i, d in enumerate(docs) for match, start, end in matcher(d)
    )
    assert got == expected
    for i, d in enumerate(docs):
        assert scope[starts[i] : starts[i] + len(d)].tolist() == _loop_scope([t.lower_ for t in d], [t.is_punct for t in d])
        annotated = nlp(d.text)  # the components give the same on one doc
        assert annotated.user_data[NEGATED] in (None, _loop_scope([t.lower_ for t in d], [t.is_punct for t in d]))
        assert sorted((s, e, c) for c, s, e in annotated.user_data[CUES]) == sorted(
            (s, e, nlp.vocab.strings[m]) for m, s, e in matcher(d)
        )


def test_unknown_pipeline_name_is_refused_without_download():
    with pytest.raises(InputError, match="never downloads"):
        make_nlp("en_core_web_definitely_not_installed")


@pytest.fixture(scope="module")
def tagged_pipeline(tmp_path_factory):
    """A tiny trained pipeline (a tagger) saved to disk: stands in for en_core_web_sm."""
    nlp = spacy.blank("en")
    tagger = nlp.add_pipe("tagger")
    data = [
        ("I agree", ["PRON", "VERB"]),
        ("this is wrong", ["PRON", "AUX", "ADJ"]),
        ("great essay", ["ADJ", "NOUN"]),
    ]
    for _, tags in data:
        for tag in tags:
            tagger.add_label(tag)
    examples = [Example.from_dict(nlp.make_doc(text), {"tags": tags}) for text, tags in data]
    optimizer = nlp.initialize(lambda: examples)
    random.seed(0)
    for _ in range(30):
        nlp.update(examples, sgd=optimizer)
    path = tmp_path_factory.mktemp("pipeline") / "tiny_tagger"
    nlp.to_disk(path)
    return str(path)


def test_trained_pipeline_adds_part_of_speech_features(tagged_pipeline):
    features = SpacyFeatures(spacy_pipeline=tagged_pipeline).fit(["I agree", "this is wrong"])
    assert features.syntax_ is True
    names = [name for name, _ in named_features(features, "great essay")]
    assert "[pos ADJ]" in names and "[pos NOUN]" in names
    blank = SpacyFeatures().fit(["I agree"])
    assert not any(name.startswith("[pos") for name, _ in named_features(blank, "great essay"))
    assert features.transform(["great essay"]).nnz > blank.transform(["great essay"]).nnz
