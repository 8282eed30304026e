"""The ``stance`` component for spaCy pipelines: ``nlp.add_pipe("stance")``.

It labels each doc with a stance model and sets ``doc.cats`` (one probability per label)
and ``doc._.stance`` (the label). Texts are labelled a batch at a time under ``nlp.pipe``.
The post a reply answers can be given per doc in ``doc._.stance_context`` (and the parent,
for a reply to a reply, in ``doc._.stance_parent``) before the component runs.

The component is registered under spaCy's ``spacy_factories`` entry point, so
``spacy.load`` finds it without ``import stance``. ``nlp.to_disk`` writes the model file
into the component's folder and ``spacy.load`` reads it back from there: a saved pipeline
does not depend on where the model file was.

Examples
--------
>>> import spacy
>>> nlp = spacy.blank("en")
>>> _ = nlp.add_pipe("stance", config={"model": "default"})
>>> doc = nlp("Completely agree, great essay")
>>> doc._.stance in doc.cats
True
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from .examples import Examples
from .model import StanceModel, load_model, resolve_model

MODEL_FILE = "model.stance"

for _name in ("stance", "stance_context", "stance_parent"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


@Language.factory(
    "stance",
    default_config={"model": "default", "batch_size": 256},
    assigns=["doc.cats", "doc._.stance"],
)
def make_stance(nlp: Language, name: str, model: str, batch_size: int) -> "StanceComponent":
    """The ``stance`` factory: ``model`` is ``"default"`` (the shipped model) or a model file."""
    return StanceComponent(name, model, batch_size=batch_size)


class StanceComponent:
    """Labels docs with a :class:`~stance.model.StanceModel` (see the module docstring)."""

    def __init__(self, name: str, model: str, *, batch_size: int = 256) -> None:
        self.name = name
        self.model_name = model
        self.batch_size = batch_size
        self._model: StanceModel | None = None  # loaded on first use, or by from_disk

    # Not called ``model``: spaCy probes components for a ``model`` attribute (its Thinc
    # model) while it builds a pipeline, before from_disk has put the saved copy in place.
    @property
    def stance_model(self) -> StanceModel:
        if self._model is None:
            self._model = resolve_model(None if self.model_name == "default" else self.model_name)
        return self._model

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        size = batch_size or self.batch_size
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= size:
                yield from self._label(batch)
                batch = []
        if batch:
            yield from self._label(batch)

    def _label(self, docs: list[Doc]) -> list[Doc]:
        examples = Examples(
            [doc.text for doc in docs],
            [doc._.stance_context for doc in docs],
            [None] * len(docs),
            [doc._.stance_parent for doc in docs],
        )
        labels = self.stance_model.labels
        for doc, row in zip(docs, self.stance_model.predict_proba(examples)):
            doc.cats = {label: float(p) for label, p in zip(labels, row)}
            doc._.stance = labels[int(row.argmax())]
        return docs

    # -- serialisation: the model file travels inside the pipeline's folder -------------------
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.stance_model.save(path / MODEL_FILE)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> "StanceComponent":
        self._model = load_model(Path(path) / MODEL_FILE)
        return self
