"""spaCy: the `stance` component and the rule components, found by name through entry points."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import spacy

import stance

TEXTS = ["Completely agree, great essay", "This is wrong and naive", "cc @bob 👀", "", "What time is the game?"]


def _fresh(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a new interpreter, where stance has not been imported."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_add_pipe_by_name_without_importing_stance():
    result = _fresh(
        "import spacy\n"
        "nlp = spacy.blank('en')\n"
        "nlp.add_pipe('stance', config={'model': 'default'})\n"
        "doc = nlp('Completely agree, great essay')\n"
        "print(doc._.stance, round(sum(doc.cats.values()), 6))\n"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    label, total = result.stdout.split()
    assert label in stance.DEFAULT_LABELS and float(total) == 1.0


def test_cats_and_label_match_the_model_and_batching_changes_nothing():
    nlp = spacy.blank("en")
    nlp.add_pipe("stance", config={"model": "default", "batch_size": 2})
    model = stance.load_model()
    expected = model.predict_proba(TEXTS)
    docs = list(nlp.pipe(TEXTS, batch_size=2))
    assert [doc._.stance for doc in docs] == [model.labels[i] for i in expected.argmax(axis=1)]
    got = np.array([[doc.cats[label] for label in model.labels] for doc in docs])
    assert np.allclose(got, expected)
    assert [nlp(text)._.stance for text in TEXTS] == [doc._.stance for doc in docs]


def test_context_per_doc_is_used():
    nlp = spacy.blank("en")
    nlp.add_pipe("stance")
    model = stance.load_model()
    post = "Our city will ban cars from the old town."
    doc = nlp.make_doc("I love pizza")
    doc._.stance_context = post
    doc = nlp.get_pipe("stance")(doc)
    assert np.allclose([doc.cats[label] for label in model.labels], model.predict_proba([{"text": "I love pizza", "context": post}])[0])


def test_spacy_probing_a_component_does_not_load_its_model(tmp_path):
    """spaCy's pipeline checks look for a ``model`` attribute (in an order that varies with the
    hash seed); a lazy load there would read the original model path of a saved pipeline."""
    from stance.spacy_component import StanceComponent

    component = StanceComponent("stance", str(tmp_path / "gone.stance"))
    assert not hasattr(component, "model")


def test_a_saved_pipeline_loads_with_its_model_in_a_fresh_interpreter(tmp_path, toy_model_path):
    nlp = spacy.blank("en")
    nlp.add_pipe("stance", config={"model": str(toy_model_path)})
    expected = [nlp(text).cats for text in TEXTS]
    nlp.to_disk(tmp_path / "pipeline")
    toy_model_path.rename(tmp_path / "moved.stance")  # the saved pipeline carries its own copy
    try:
        result = _fresh(
            "import json, spacy\n"
            f"nlp = spacy.load({str(tmp_path / 'pipeline')!r})\n"
            f"print(json.dumps([nlp(t).cats for t in {TEXTS!r}]))\n"
        )
    finally:
        (tmp_path / "moved.stance").rename(toy_model_path)
    assert result.returncode == 0, result.stderr[-2000:]
    import json

    for got, want in zip(json.loads(result.stdout), expected):
        assert got.keys() == want.keys() and np.allclose(list(got.values()), list(want.values()))


def test_rule_components_by_name_set_extensions():
    result = _fresh(
        "import spacy\n"
        "nlp = spacy.blank('en')\n"
        "nlp.add_pipe('stance_negation')\n"
        "nlp.add_pipe('stance_cues')\n"
        "doc = nlp('I do not agree with this, great point')\n"
        "print([t.text for t in doc if t._.stance_negated])\n"
        "print(sorted({c for c, _, _ in doc._.stance_cues}))\n"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    negated, cues = result.stdout.splitlines()
    assert negated == "['agree', 'with', 'this']"
    assert "agree" in cues and "praise" in cues
