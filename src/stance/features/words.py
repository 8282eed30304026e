"""Words: everything about a distinct token, computed once and kept in growing arrays.

A dump of replies repeats the same few thousand words; their normalised form, word key,
character n-gram columns, surface marks and rule flags are computed the first time a word
is seen (a batch of new words at a time) and gathered by index afterwards.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.strings import hash_string

from .hashing import U64, char_columns

if TYPE_CHECKING:
    from .featurizer import Featurizer

_EMOJI_CATEGORIES = {"So", "Sk"}
_ELONGATED = re.compile(r"(\w)\1\1")
_RUNS = re.compile(r"(.)\1{2,}")
URL_PREFIXES = ("http://", "https://", "www.")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def normalise(text: str) -> str:
    """The form a token's word and character features are computed from: lowercase, a URL
    as ``<url>``, runs of three or more equal characters cut to two."""
    lower = text.lower()
    if lower.startswith(URL_PREFIXES):
        return "<url>"
    return _RUNS.sub(r"\1\1", lower)


def is_emoji(text: str) -> bool:
    """Whether the token holds a symbol character (Unicode categories So and Sk)."""
    if text.isascii():  # most tokens; "^" and "`" are the only ASCII symbols in So/Sk
        return "^" in text or "`" in text
    return any(unicodedata.category(ch) in _EMOJI_CATEGORIES for ch in text)


def word_marks(text: str) -> list[str]:
    """The surface marks of one token: mention, hashtag, URL, emoji, ?, !, elongation, shouting."""
    marks = []
    if text.startswith("@") and len(text) > 1:
        marks.append("[mention]")
    elif text.startswith("#") and len(text) > 1:
        marks.append("[hashtag]")
    elif text.startswith(URL_PREFIXES):
        marks.append("[url]")
    if is_emoji(text):
        marks.append("[emoji]")
    if text == "?":
        marks.append("[question mark]")
    elif text == "!":
        marks.append("[exclamation mark]")
    if _ELONGATED.search(text):
        marks.append("[elongated word]")
    if len(text) > 2 and text.isupper() and text.isalpha():
        marks.append("[shouting]")
    return marks


def segment_hashtag(tag: str, vocabulary: frozenset[str] = frozenset()) -> list[str]:
    """Split a hashtag's body into lowercase words.

    CamelCase and digits split first; an all-lowercase run is split into the fewest
    words from ``vocabulary`` (left whole if it cannot be covered).

    Examples
    --------
    >>> segment_hashtag("#NoMoreAbortion")
    ['no', 'more', 'abortion']
    >>> segment_hashtag("#climatechange", frozenset({"climate", "change"}))
    ['climate', 'change']
    """
    body = tag.lstrip("#@")
    words: list[str] = []
    for part in _CAMEL.findall(body) or [body]:
        part = part.lower()
        words.extend(_split_lowercase(part, vocabulary) if part.isalpha() else [part])
    return [w for w in words if w]


def _split_lowercase(word: str, vocabulary: frozenset[str]) -> list[str]:
    if not vocabulary or word in vocabulary or len(word) > 40:
        return [word]
    n = len(word)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for end in range(1, n + 1):
        for start in range(max(0, end - 20), end):
            piece = word[start:end]
            prior = best[start]
            if prior is not None and (len(piece) > 1 or piece in {"a", "i"}) and piece in vocabulary:
                if best[end] is None or len(prior) + 1 < len(best[end]):  # type: ignore[arg-type]
                    best[end] = prior + [piece]
    return best[n] or [word]


def ragged_gather(flat: np.ndarray, ptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate ``flat[ptr[r]:ptr[r+1]]`` for every r in ``rows``; also return each value's position in ``rows``."""
    starts = ptr[rows]
    lengths = ptr[rows + 1] - starts
    owner = np.repeat(np.arange(len(rows)), lengths)
    within = np.arange(len(owner)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return flat[np.repeat(starts, lengths) + within], owner


class Growing:
    """A numpy array that grows at the end (capacity doubles), so appending a batch of
    rows costs the batch, not the whole array."""

    def __init__(self, dtype: type | np.dtype, width: int | None = None) -> None:
        shape = (1024,) if width is None else (1024, width)
        self.data = np.zeros(shape, dtype=dtype)
        self.n = 0

    def extend(self, values: np.ndarray | list) -> None:
        values = np.asarray(values, dtype=self.data.dtype)
        end = self.n + len(values)
        if end > len(self.data):
            grown = np.zeros((max(end, 2 * len(self.data)), *self.data.shape[1:]), dtype=self.data.dtype)
            grown[: self.n] = self.data[: self.n]
            self.data = grown
        self.data[self.n : end] = values
        self.n = end

    def view(self) -> np.ndarray:
        return self.data[: self.n]


class Ragged:
    """Variable-length rows stored flat, with ``ptr[r]:ptr[r+1]`` marking row r."""

    def __init__(self, dtype: type | np.dtype) -> None:
        self.flat = Growing(dtype)
        self.ptr = Growing(np.int64)
        self.ptr.extend([0])

    def extend(self, parts: list[list[int]]) -> None:
        lengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
        self.extend_flat([value for part in parts for value in part], lengths)

    def extend_flat(self, flat: np.ndarray | list[int], lengths: np.ndarray) -> None:
        """Append rows given as their concatenation and their lengths."""
        self.ptr.extend(self.flat.n + np.cumsum(lengths))
        self.flat.extend(flat)


@dataclass
class WordArrays:
    """Read-only views of a :class:`WordCache`'s columns, one row per cached word."""

    word_id: np.ndarray
    lower: np.ndarray
    punct: np.ndarray
    negator: np.ndarray
    cue_first: np.ndarray
    wordlike: np.ndarray
    char_flat: np.ndarray
    char_ptr: np.ndarray
    extra_flat: np.ndarray
    extra_ptr: np.ndarray
    words_flat: np.ndarray
    words_ptr: np.ndarray


class WordCache:
    """Everything about a distinct token (by its spaCy ORTH hash), computed once.

    New tokens are added a batch at a time to growing arrays, so the cost of a batch does
    not depend on how many words came before. Memory is bounded: past ``limit`` rows the
    cache starts over, and ``generation`` counts the restarts (caches built on its rows
    compare it).
    """

    limit = 200_000  # about 130 MB of rows

    def __init__(self, featurizer: Featurizer) -> None:
        self.featurizer = featurizer
        self.generation = 0
        self._clear()

    def _clear(self) -> None:
        self.row_of: dict[int, int] = {}
        self.form: list[str] = []
        self.content: list[int] = []  # hash of a content word's form, else 0 (context overlap)
        self.word_id = Growing(U64)
        self.lower = Growing(U64)  # spaCy's LOWER id, what the negation and cue rules read
        self.punct = Growing(bool)
        self.negator = Growing(bool)
        self.cue_first = Growing(bool)
        self.wordlike = Growing(np.float64)
        self.words = Ragged(U64)  # hashes of the token's words (a hashtag's too)
        self.char_cols = Ragged(np.int64)
        self.extra_cols = Ragged(np.int64)
        self.marks: dict[str, int] = {}
        self.contexts: dict[str, frozenset[int]] = {}
        self.targets: dict[str, frozenset[str]] = {}
        self._arrays: WordArrays | None = None

    def rows(self, orths: list[int], vocab) -> np.ndarray:
        """The cache rows of these (distinct) ORTH ids, adding the ones not seen yet."""
        new = [orth for orth in orths if orth not in self.row_of]
        if new and len(self.row_of) + len(new) > self.limit:
            self._clear()
            self.generation += 1
            new = orths
        if new:
            try:
                self._add(new, vocab)
            except BaseException:  # Ctrl-C part-way would leave rows and arrays out of step: start over
                self._clear()
                self.generation += 1
                raise
        return np.array(list(map(self.row_of.__getitem__, orths)), dtype=np.int64)

    def _add(self, orths: list[int], vocab) -> None:
        featurizer = self.featurizer
        rules = featurizer.rules_
        forms, word_ids, lowers, punct, wordlike, words, extras = [], [], [], [], [], [], []
        for orth in orths:
            lexeme = vocab[orth]
            text = lexeme.orth_
            form = normalise(text)
            self.row_of[orth] = len(self.form)
            self.form.append(form)
            word_id = hash_string(form)
            self.content.append(word_id if form.isalpha() and form not in STOP_WORDS else 0)
            forms.append(form)
            word_ids.append(word_id)
            lowers.append(lexeme.lower)
            punct.append(lexeme.is_punct)
            wordlike.append(
                any(ch.isalnum() for ch in text) and not text.startswith(("@", "#", *URL_PREFIXES)) and not is_emoji(text)
            )
            parts = {form}
            if text.startswith("#"):
                parts.update(segment_hashtag(text, featurizer.segment_vocabulary_))
            words.append([hash_string(w) for w in sorted(parts)])
            extras.append([column for _, column in featurizer.word_extras(text)])
        lower = np.array(lowers, dtype=U64)
        self.word_id.extend(word_ids)
        self.lower.extend(lower)
        self.punct.extend(punct)
        self.negator.extend(rules.is_negator(lower))
        self.cue_first.extend(rules.may_start_cue(lower))
        self.wordlike.extend(wordlike)
        self.words.extend(words)
        chars, counts = char_columns(forms, featurizer.char_ngrams, featurizer.n_features)
        self.char_cols.extend_flat(chars, counts)
        self.extra_cols.extend(extras)
        self._arrays = None

    def arrays(self) -> WordArrays:
        if self._arrays is None:
            self._arrays = WordArrays(
                self.word_id.view(),
                self.lower.view(),
                self.punct.view(),
                self.negator.view(),
                self.cue_first.view(),
                self.wordlike.view(),
                self.char_cols.flat.view(),
                self.char_cols.ptr.view(),
                self.extra_cols.flat.view(),
                self.extra_cols.ptr.view(),
                self.words.flat.view(),
                self.words.ptr.view(),
            )
        return self._arrays
