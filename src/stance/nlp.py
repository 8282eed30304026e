"""The spaCy side of featurizing: tokenizer settings and our rule-based components.

The default pipeline is ``spacy.blank("en")`` plus two components of our own, so nothing
is ever downloaded:

* ``stance_negation`` marks the tokens inside a negation's scope (from "not", "no",
  "never", "n't", ... up to the next punctuation mark);
* ``stance_cues`` finds cue phrases (agreement, praise, disagreement, hedging, sarcasm,
  ...) on lowercase forms, as spaCy's ``PhraseMatcher`` with ``attr="LOWER"`` would.

Both rules live in :class:`Rules`, which works on flat token arrays: the components run
it on one doc, the featurizer on a whole batch at once.

A trained pipeline (for example ``en_core_web_sm``) is used only when it is installed
and asked for by name; our components are added to it as well.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Callable

import numpy as np
import spacy
from spacy.attrs import IS_PUNCT, LOWER
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Token

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


# Where the components put their results in ``doc.user_data`` (reading it costs less than
# the ``doc._`` extension machinery; the extensions are set too, below).
NEGATED = "stance.negated"
CUES = "stance.cues"
RULE_COMPONENTS = ("stance_negation", "stance_cues")

_U64 = np.uint64
_PHRASE_MULTIPLIER = _U64(0x9E3779B97F4A7C15)


class Rules:
    """The negation and cue rules, applied to a whole batch of tokens at once.

    Both rules look only at each token's lowercase form (its spaCy ``LOWER`` id) and
    whether it is punctuation, so they run on flat numpy arrays of many documents. The
    components below apply them to one doc; the featurizer applies them to a batch
    (per-doc component calls cost more than the rules themselves).
    """

    def __init__(self, nlp: Language) -> None:
        strings = nlp.vocab.strings
        self.negator_ids = np.array(sorted(strings.add(word) for word in NEGATORS), dtype=_U64)
        self.categories = tuple(CUE_LEXICONS)
        by_length: dict[int, dict[int, int]] = {}
        first: set[int] = set()
        for index, (category, phrases) in enumerate(CUE_LEXICONS.items()):
            for phrase in phrases:
                lowers = [t.lower for t in nlp.tokenizer(phrase)]
                by_length.setdefault(len(lowers), {})[_phrase_key(lowers)] = index
                first.add(lowers[0])
        self.first_ids = np.array(sorted(first), dtype=_U64)
        # Per phrase length: the sorted phrase keys and their categories.
        self.phrases = {
            k: (np.array(sorted(table), dtype=_U64), np.array([table[key] for key in sorted(table)], dtype=np.int64))
            for k, table in sorted(by_length.items())
        }

    def is_negator(self, lowers: np.ndarray) -> np.ndarray:
        return np.isin(lowers, self.negator_ids)

    @staticmethod
    def negation_scope(negator: np.ndarray, punct: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """True for tokens inside a negation's scope: after a negator, up to the next
        punctuation mark, within one document. ``starts`` are the documents' first tokens.
        """
        n = len(negator)
        if n == 0:
            return np.zeros(0, dtype=bool)
        opens = negator & ~punct
        before = np.cumsum(opens) - opens  # negators strictly before each token
        boundary = punct.copy()
        boundary[starts[starts < n]] = True
        segment_start = np.maximum.accumulate(np.where(boundary, np.arange(n), 0))
        return (before > before[segment_start]) & ~punct

    def may_start_cue(self, lowers: np.ndarray) -> np.ndarray:
        """True for tokens that are the first word of some cue phrase."""
        return np.isin(lowers, self.first_ids)

    def cue_matches(
        self, lowers: np.ndarray, token_doc: np.ndarray, candidates: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every cue phrase occurrence within a document: (first token, length, category index).

        ``candidates`` (the positions where :meth:`may_start_cue` holds) can be passed when
        known; only phrases starting there are looked up.
        """
        n = len(lowers)
        if candidates is None:
            candidates = np.flatnonzero(self.may_start_cue(lowers))
        starts, lengths, categories = [], [], []
        for k, (keys, category) in self.phrases.items():
            at = candidates[candidates <= n - k]
            if k > 1:
                at = at[token_doc[at] == token_doc[at + k - 1]]  # within one document
            found = lowers[at]
            with np.errstate(over="ignore"):
                for offset in range(1, k):
                    found = found * _PHRASE_MULTIPLIER + lowers[at + offset]
            where = np.searchsorted(keys, found).clip(max=len(keys) - 1)
            hit = keys[where] == found
            starts.append(at[hit])
            lengths.append(np.full(int(hit.sum()), k, dtype=np.int64))
            categories.append(category[where[hit]])
        if not starts:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        return np.concatenate(starts), np.concatenate(lengths), np.concatenate(categories)


def _phrase_key(lowers: list[int]) -> int:
    """The key :meth:`Rules.cue_matches` computes for a run of tokens."""
    key = 0
    for lower in lowers:
        key = (key * int(_PHRASE_MULTIPLIER) + lower) & 0xFFFFFFFFFFFFFFFF
    return key


def _token_flags(doc: Doc) -> tuple[np.ndarray, np.ndarray]:
    attrs = doc.to_array([LOWER, IS_PUNCT])
    return attrs[:, 0].astype(_U64), attrs[:, 1].astype(bool)


@Language.factory("stance_negation")
def make_negation(nlp: Language, name: str) -> "NegationScope":
    return NegationScope(nlp)


@Language.factory("stance_cues")
def make_cues(nlp: Language, name: str) -> "CueMatcher":
    return CueMatcher(nlp)


# The components' results as spaCy extensions, for pipelines that use them directly:
# ``token._.stance_negated`` and ``doc._.stance_cues`` (the same values as in user_data).
if not Token.has_extension("stance_negated"):
    Token.set_extension("stance_negated", default=False)
if not Doc.has_extension("stance_cues"):
    Doc.set_extension("stance_cues", default=None)


class NegationScope:
    """Marks the tokens inside a negation's scope: ``token._.stance_negated``, and
    ``doc.user_data[NEGATED]`` (a list of bools, or ``None`` when the reply has no negator
    at all, as most replies do).

    The scope runs from the token after a negator to the next punctuation mark.
    """

    def __init__(self, nlp: Language) -> None:
        self.rules = Rules(nlp)

    def __call__(self, doc: Doc) -> Doc:
        lowers, punct = _token_flags(doc)
        negator = self.rules.is_negator(lowers)
        if not negator.any():
            doc.user_data[NEGATED] = None
            return doc
        scope = self.rules.negation_scope(negator, punct, np.zeros(1, dtype=np.int64)).tolist()
        doc.user_data[NEGATED] = scope
        for token, negated in zip(doc, scope):
            if negated:
                token._.stance_negated = True
        return doc


class CueMatcher:
    """Finds cue phrases: ``doc._.stance_cues`` and ``doc.user_data[CUES]``, a list of
    ``(category, start, end)`` matches."""

    def __init__(self, nlp: Language) -> None:
        self.rules = Rules(nlp)

    def __call__(self, doc: Doc) -> Doc:
        lowers, _ = _token_flags(doc)
        starts, lengths, categories = self.rules.cue_matches(lowers, np.zeros(len(lowers), dtype=np.int64))
        names = self.rules.categories
        doc.user_data[CUES] = sorted(
            ((names[c], s, s + k) for s, k, c in zip(starts.tolist(), lengths.tolist(), categories.tolist())),
            key=lambda match: match[1:],
        )
        doc._.stance_cues = doc.user_data[CUES]
        return doc


@spacy.registry.tokenizers("stance.tokenizer.v1")
def _tokenizer_with_token_match() -> Callable[[Language], Tokenizer]:
    """The language's default tokenizer with our ``token_match``, built once: setting
    ``token_match`` on a built tokenizer reloads every special case (a third of the time
    ``spacy.blank`` takes)."""

    def build(nlp: Language) -> Tokenizer:
        defaults = nlp.Defaults
        return Tokenizer(
            nlp.vocab,
            rules=defaults.tokenizer_exceptions,
            prefix_search=spacy.util.compile_prefix_regex(defaults.prefixes).search if defaults.prefixes else None,
            suffix_search=spacy.util.compile_suffix_regex(defaults.suffixes).search if defaults.suffixes else None,
            infix_finditer=spacy.util.compile_infix_regex(defaults.infixes).finditer if defaults.infixes else None,
            token_match=_TOKEN_MATCH,
            url_match=defaults.url_match,
        )

    return build


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
        nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "stance.tokenizer.v1"}}})
    else:
        # An installed package, or a pipeline saved on disk (nlp.to_disk); never a download.
        if not spacy.util.is_package(pipeline) and not Path(pipeline).is_dir():
            raise InputError(Errors.E016.format(name=pipeline))
        try:
            nlp = spacy.load(pipeline, exclude=["ner"])
        except OSError as exc:
            raise InputError(Errors.E016.format(name=pipeline)) from exc
        nlp.tokenizer.token_match = _TOKEN_MATCH
    nlp.add_pipe("stance_negation")
    nlp.add_pipe("stance_cues")
    return nlp


def rules_of(nlp: Language) -> Rules:
    """The :class:`Rules` of a pipeline built by :func:`make_nlp`."""
    return nlp.get_pipe("stance_negation").rules


def has_syntax(nlp: Language) -> bool:
    """True when the pipeline assigns part-of-speech tags and a dependency parse."""
    return "tagger" in nlp.pipe_names or "morphologizer" in nlp.pipe_names
