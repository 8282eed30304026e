"""The spaCy side: rule-based components, tokenizer settings, and trained pipelines."""

from __future__ import annotations

import random

import pytest
import spacy
from spacy.training import Example

from stance.errors import InputError
from stance.features import SpacyFeatures
from stance.nlp import CUES, NEGATED, make_nlp


def test_blank_pipeline_has_our_components_and_no_download():
    nlp = make_nlp()
    assert nlp.pipe_names == ["stance_negation", "stance_cues"]
    doc = nlp("#NoMoreAbortion @user isn't right, thanks!")
    assert [t.text for t in doc][:2] == ["#NoMoreAbortion", "@user"]
    assert doc.user_data[NEGATED] == [False, False, False, False, True, False, False, False]
    assert ("thanks", 6, 7) in doc.user_data[CUES]


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
    features = SpacyFeatures(pipeline=tagged_pipeline).fit(["I agree", "this is wrong"])
    assert features.syntax_ is True
    names = [name for name, _ in features.explain_features("great essay")]
    assert "[pos ADJ]" in names and "[pos NOUN]" in names
    blank = SpacyFeatures().fit(["I agree"])
    assert not any(name.startswith("[pos") for name, _ in blank.explain_features("great essay"))
    assert features.transform(["great essay"]).nnz > blank.transform(["great essay"]).nnz
