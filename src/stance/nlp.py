"""The spaCy side of featurizing: tokenizer settings and our rule-based components.

The default pipeline is ``spacy.blank("en")`` plus two components of our own, so nothing
is ever downloaded:

* ``stance_negation`` marks the tokens inside a negation's scope (from "not", "no",
  "never", "n't", ... up to the next punctuation mark);
* ``stance_cues`` finds cue phrases (agreement, praise, disagreement, hedging, sarcasm,
  ...) with a :class:`spacy.matcher.PhraseMatcher` on lowercase forms.

A trained pipeline (for example ``en_core_web_sm``) is used only when it is installed
and asked for by name; our components are added to it as well.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import spacy
from spacy.attrs import IS_PUNCT, LOWER, ORTH
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from .errors import Errors, InputError

BLANK = "blank"

# Cue lexicons, written for this project. Phrases are matched on lowercase tokens, so
# they are listed in lowercase and tokenized with the same tokenizer.
CUE_LEXICONS: dict[str, tuple[str, ...]] = {
    "agree": (
        "agree", "agreed", "i agree", "exactly", "yes", "yep", "absolutely", "so true",
        "well said", "this is right", "spot on", "couldn't agree more", "precisely",
        "100%", "+1", "same here", "true", "indeed", "correct", "right on", "seconded",
    ),
    "praise": (
        "great", "good", "excellent", "brilliant", "insightful", "nuanced", "thoughtful",
        "solid", "love", "loved", "amazing", "fantastic", "important", "interesting read",
        "must read", "must-read", "worth reading", "good post", "great post", "great essay",
        "good essay", "great piece", "nice", "well written", "well-written", "powerful",
        "compelling", "clear", "smart", "wise", "beautiful", "awesome", "best",
    ),
    "thanks": ("thank you", "thanks", "thx", "grateful", "appreciate", "kudos", "bravo"),
    "disagree": (
        "disagree", "i disagree", "wrong", "no", "nope", "not true", "false", "nonsense",
        "ridiculous", "absurd", "misguided", "naive", "flawed", "doesn't work",
        "won't work", "bad idea", "terrible", "worst", "awful", "stupid", "dumb",
        "waste", "wasteful", "lie", "lies", "propaganda", "give up", "dangerous",
        "fail", "failure", "shameful", "disgusting", "hate", "pathetic", "not right",
    ),
    "hedge": (
        "maybe", "perhaps", "might", "i think", "i guess", "not sure", "i wonder",
        "probably", "seems", "somewhat", "kind of", "sort of", "unclear", "curious",
        "i'm curious", "possibly", "arguably",
    ),
    "sarcasm": (
        "speedruns", "speedrun", "lol", "lmao", "sure, ", "yeah right", "oh great",
        "what could go wrong", "totally", "genius", "/s", "clown", "cope", "imagine",
        "ok boomer", "cool story", "good luck with that", "big if true",
    ),
    "pushback": (
        "but", "however", "though", "although", "yet", "why", "how", "really?",
        "what about", "isn't it", "aren't", "doesn't", "so what", "who decides",
        "says who", "i don't think", "don't think", "not convinced",
    ),
}

NEGATORS = frozenset(
    {
        "not", "no", "never", "n't", "nt", "nothing", "nobody", "none", "neither", "nor",
        "nowhere", "cannot", "without", "hardly", "barely", "dont", "doesnt", "isnt",
        "wasnt", "cant", "wont", "shouldnt", "aint",
    }
)

# Keep hashtags whole ("#NoMoreAbortion" is one token, like "@user"); the features
# segment them into words.
_TOKEN_MATCH = re.compile(r"^[#@][\w_]+$").match


# Results go in ``doc.user_data`` rather than ``doc._`` extensions: the extension
# machinery costs more per document than the components themselves.
NEGATED = "stance.negated"
CUES = "stance.cues"
TOKEN_IDS = "stance.orth"  # the ORTH ids, kept so the featurizer need not read them again


@Language.factory("stance_negation")
def make_negation(nlp: Language, name: str) -> "NegationScope":
    return NegationScope(nlp)


@Language.factory("stance_cues")
def make_cues(nlp: Language, name: str) -> "CueMatcher":
    return CueMatcher(nlp)


class NegationScope:
    """Sets ``doc.user_data[NEGATED]``: a list of bools, True for tokens in a negation's
    scope, or ``None`` when the reply has no negator at all (most replies).

    The scope runs from the token after a negator to the next punctuation mark. It also
    keeps the tokens' ORTH ids in ``doc.user_data[TOKEN_IDS]``, read in the same call.
    """

    def __init__(self, nlp: Language) -> None:
        self.negator_ids = frozenset(nlp.vocab.strings.add(word) for word in NEGATORS)

    def __call__(self, doc: Doc) -> Doc:
        attrs = doc.to_array([ORTH, LOWER, IS_PUNCT])
        doc.user_data[TOKEN_IDS] = attrs[:, 0]
        lowers = attrs[:, 1].tolist()
        negators = self.negator_ids
        if negators.isdisjoint(lowers):
            doc.user_data[NEGATED] = None
            return doc
        # A plain loop beats numpy here: replies are a few dozen tokens long.
        in_scope = False
        negated = []
        for lower, is_punct in zip(lowers, attrs[:, 2].tolist()):
            if is_punct:
                in_scope = False
                negated.append(False)
            else:
                negated.append(in_scope)
                if lower in negators:
                    in_scope = True
        doc.user_data[NEGATED] = negated
        return doc


class CueMatcher:
    """Sets ``doc.user_data[CUES]``: a list of ``(category, start, end)`` cue matches."""

    def __init__(self, nlp: Language) -> None:
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        tokenizer = nlp.tokenizer
        for category, phrases in CUE_LEXICONS.items():
            self.matcher.add(category, [tokenizer(phrase) for phrase in phrases])

    def __call__(self, doc: Doc) -> Doc:
        strings = doc.vocab.strings
        doc.user_data[CUES] = [
            (strings[match_id], start, end) for match_id, start, end in self.matcher(doc)
        ]
        return doc


def _configure_tokenizer(nlp: Language) -> None:
    nlp.tokenizer.token_match = _TOKEN_MATCH


@functools.lru_cache(maxsize=4)
def make_nlp(pipeline: str = BLANK) -> Language:
    """Build the spaCy pipeline used to featurize text.

    Parameters
    ----------
    pipeline
        ``"blank"`` (default) for ``spacy.blank("en")`` plus our rule-based components,
        the name of an installed trained pipeline such as ``"en_core_web_sm"``, or the
        folder of a pipeline saved with ``nlp.to_disk``.

    Returns
    -------
    spacy.language.Language
        The pipeline. It is cached per name: treat it as read-only.

    Raises
    ------
    InputError
        If ``pipeline`` names a package that is not installed. Nothing is downloaded.

    Examples
    --------
    >>> nlp = make_nlp()
    >>> doc = nlp("I do not agree with this")
    >>> [t.text for t, neg in zip(doc, doc.user_data[NEGATED]) if neg]
    ['agree', 'with', 'this']
    """
    if pipeline in (BLANK, None, ""):
        nlp = spacy.blank("en")
    else:
        # An installed package, or a pipeline saved on disk (nlp.to_disk); never a download.
        if not spacy.util.is_package(pipeline) and not Path(pipeline).is_dir():
            raise InputError(Errors.E016.format(name=pipeline))
        try:
            nlp = spacy.load(pipeline, exclude=["ner"])
        except OSError as exc:
            raise InputError(Errors.E016.format(name=pipeline)) from exc
    _configure_tokenizer(nlp)
    nlp.add_pipe("stance_negation")
    nlp.add_pipe("stance_cues")
    return nlp


def has_syntax(nlp: Language) -> bool:
    """True when the pipeline assigns part-of-speech tags and a dependency parse."""
    return "tagger" in nlp.pipe_names or "morphologizer" in nlp.pipe_names
