"""Featurize: turn replies (plus the post they answer, and a target) into sparse features.

:class:`SpacyFeatures` is a scikit-learn transformer. It runs the texts through spaCy in
batches (``nlp.pipe``) and hashes every feature into a fixed number of columns, so it
needs no vocabulary and its memory does not grow with the data. What it learns in ``fit``
is only the word list used to split lowercase hashtags into words.

Feature families (each can be switched off):

* word n-grams over lowercase forms; words in a negation's scope also fire negated copies;
* character n-grams of each word, computed once per distinct word and memoized;
* cue-lexicon hits (agreement, praise, disagreement, hedging, sarcasm, ...), negated or not;
* surface marks: question and exclamation marks, mentions, hashtags, URLs, emoji,
  elongated words, shouting, length;
* hashtag segmentation (``#NoMoreAbortion`` -> no, more, abortion);
* overlap with the ``context`` (the post replied to) and mentions of the ``target``;
* part-of-speech and dependency features, when the pipeline is a trained one.

When examples carry a ``target``, every feature is also emitted conjoined with that
target, so one pooled model learns both shared and per-target weights.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted
from spacy.attrs import LOWER, ORTH
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.strings import hash_string

from .errors import Errors, InputError
from .nlp import BLANK, CUES, NEGATED, has_syntax, make_nlp


@dataclass(frozen=True)
class Examples:
    """Texts with their optional contexts and targets, aligned by position."""

    texts: list[str]
    contexts: list[str | None]
    targets: list[str | None]

    def __len__(self) -> int:
        return len(self.texts)


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else ""


def to_examples(
    X: object,
    *,
    text_field: str = "text",
    context_field: str = "context",
    target_field: str = "target",
) -> Examples:
    """Normalise the accepted input shapes into :class:`Examples`.

    ``X`` may be a single string, a sequence of strings, or a sequence of mappings with a
    text field and optional context and target fields. Non-string text (``None``, numbers)
    becomes the empty string, so featurizing never fails on a bad value.
    """
    if isinstance(X, Examples):
        return X
    if isinstance(X, str):
        X = [X]
    if hasattr(X, "to_dict") and hasattr(X, "columns"):  # a pandas DataFrame
        X = X.to_dict("records")
    texts: list[str] = []
    contexts: list[str | None] = []
    targets: list[str | None] = []
    for index, item in enumerate(X):  # type: ignore[arg-type]
        if isinstance(item, str):
            texts.append(item)
            contexts.append(None)
            targets.append(None)
        elif isinstance(item, Mapping):
            texts.append(_as_text(item.get(text_field)))
            context = item.get(context_field)
            target = item.get(target_field)
            contexts.append(context if isinstance(context, str) and context else None)
            targets.append(target if isinstance(target, str) and target else None)
        elif item is None or isinstance(item, (int, float)):
            texts.append("")
            contexts.append(None)
            targets.append(None)
        else:
            raise InputError(
                Errors.E013.format(text_field=text_field, index=index, kind=type(item).__name__)
            )
    return Examples(texts, contexts, targets)


# --- hashing -------------------------------------------------------------------------
# Keys are 64-bit murmur hashes (what spaCy uses for strings), mixed with a namespace
# constant per feature family and folded into n_features columns at the very end.
_U64 = np.uint64
_GOLDEN = _U64(0x9E3779B97F4A7C15)
_PAIR = _U64(0xC2B2AE3D27D4EB4F)


def _namespace(name: str) -> np.uint64:
    return _U64(hash_string("stance/ns/" + name))


NS_WORD = _namespace("word")
NS_BIGRAM = _namespace("bigram")
NS_TRIGRAM = _namespace("trigram")
NS_CHAR = _namespace("char")
NS_NEG = _namespace("negated")
NS_MARK = _namespace("mark")
NS_CTX = _namespace("context")
NS_POS = _namespace("pos")
NS_DEP = _namespace("dep")
NS_TARGET = _namespace("target")


def _mix(keys: np.ndarray, namespace: np.uint64) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = (keys.astype(_U64, copy=False) ^ namespace) * _GOLDEN
        return x ^ (x >> _U64(29))


_MASK64 = (1 << 64) - 1


def _key(namespace: np.uint64, text: str) -> int:
    """The key of one string: ``_mix`` in plain integer arithmetic (numpy is slow on scalars)."""
    x = ((hash_string(text) ^ int(namespace)) * int(_GOLDEN)) & _MASK64
    return x ^ (x >> 29)


_EMOJI_CATEGORIES = {"So", "Sk"}
_ELONGATED = re.compile(r"(\w)\1\1")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def _is_emoji(text: str) -> bool:
    return any(unicodedata.category(ch) in _EMOJI_CATEGORIES for ch in text)


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


class SpacyFeatures(TransformerMixin, BaseEstimator):
    """Hashed sparse features for replies, computed with spaCy.

    Parameters
    ----------
    pipeline : str, default="blank"
        ``"blank"`` for ``spacy.blank("en")`` plus stance's rule-based components, or
        the name of an installed trained spaCy pipeline (adds POS and dependency features).
    n_features : int, default=2**18
        Number of hashed columns.
    word_ngrams : int, default=2
        Longest word n-gram (1 to 3).
    char_ngrams : tuple of (int, int) or None, default=(2, 5)
        Range of character n-gram lengths taken within each word; ``None`` turns them off.
    negation, cues, marks, hashtags, context, target_conjunction : bool, default=True
        Switch the matching feature family on or off.
    sublinear_tf : bool, default=True
        Use ``1 + log(count)`` instead of raw counts.
    norm : {"l2", None}, default="l2"
        Row normalisation.
    batch_size : int, default=1000
        Texts per ``nlp.pipe`` batch.

    Examples
    --------
    >>> features = SpacyFeatures().fit(["I agree", "Not convinced"])
    >>> features.transform(["Great essay!", ""]).shape
    (2, 262144)
    """

    def __init__(
        self,
        *,
        pipeline: str = BLANK,
        n_features: int = 2**18,
        word_ngrams: int = 2,
        char_ngrams: tuple[int, int] | None = (2, 5),
        negation: bool = True,
        cues: bool = True,
        marks: bool = True,
        hashtags: bool = True,
        context: bool = True,
        target_conjunction: bool = True,
        sublinear_tf: bool = True,
        norm: str | None = "l2",
        batch_size: int = 1000,
    ) -> None:
        self.pipeline = pipeline
        self.n_features = n_features
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.negation = negation
        self.cues = cues
        self.marks = marks
        self.hashtags = hashtags
        self.context = context
        self.target_conjunction = target_conjunction
        self.sublinear_tf = sublinear_tf
        self.norm = norm
        self.batch_size = batch_size

    # -- sklearn API -------------------------------------------------------------------
    def fit(self, X: object, y: object = None) -> "SpacyFeatures":
        """Load the spaCy pipeline and learn the hashtag-splitting word list."""
        if self.word_ngrams not in (1, 2, 3):
            raise InputError(f"word_ngrams must be 1, 2 or 3, not {self.word_ngrams!r}.")
        if self.norm not in ("l2", None):
            raise InputError(f"norm must be 'l2' or None, not {self.norm!r}.")
        examples = to_examples(X)
        self.nlp_ = make_nlp(self.pipeline)
        self.syntax_ = has_syntax(self.nlp_)
        counts: Counter[str] = Counter()
        for text in examples.texts:
            counts.update(w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 1)
        self.segment_vocabulary_ = frozenset(w for w, c in counts.items() if c >= 2) | frozenset(
            {"a", "i", "no", "we", "us", "me", "my", "is", "to", "of", "in", "on", "it", "be"}
        )
        self._reset_caches()
        return self

    def transform(self, X: object) -> sp.csr_matrix:
        """Featurize ``X`` into a ``(n_samples, n_features)`` CSR matrix."""
        check_is_fitted(self, "segment_vocabulary_")
        examples = to_examples(X)
        return self._to_matrix(self._keys_per_example(examples), len(examples))

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return tags

    # -- pickling: the spaCy pipeline and caches are rebuilt, never pickled -------------
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        for name in ("nlp_", "_word_cache", "_context_cache", "_mark_cache", "_target_words"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if "segment_vocabulary_" in state:
            self.nlp_ = make_nlp(self.pipeline)
            self._reset_caches()

    # -- feature extraction ------------------------------------------------------------
    # The fast path works per distinct token (memoized) and per batch (numpy); the named
    # path below derives the same keys with readable names, for explanations and tests.
    def _reset_caches(self) -> None:
        self._word_cache: dict[int, tuple[np.ndarray, np.uint64, int, bool, frozenset[str], int, int]] = {}
        self._context_cache: dict[str, frozenset[int]] = {}
        self._mark_cache: dict[str, int] = {}
        self._target_words: dict[str, frozenset[str]] = {}

    def _mark_key(self, name: str, namespace: np.uint64 = NS_MARK) -> np.uint64:
        key = self._mark_cache.get(name)
        if key is None:
            key = self._mark_cache[name] = _key(namespace, name)
        return key

    def _word_info(self, orth: int, text: str) -> tuple[np.ndarray, np.uint64, int, bool, frozenset[str], int, int]:
        """Keys of one distinct token, its negated-word key, content-word id, wordlike flag."""
        if len(self._word_cache) > 500_000:  # bound memory on endless streams
            self._word_cache.clear()
        lower = text.lower()
        keys = np.array([k for _, k in self._named_word_keys(text)], dtype=_U64)
        content = hash_string(lower) if lower.isalpha() and lower not in STOP_WORDS else 0
        wordlike = not (
            not any(ch.isalnum() for ch in text)
            or text.startswith(("@", "#", "http://", "https://", "www."))
            or _is_emoji(text)
        )
        words = frozenset([lower, *segment_hashtag(text, self.segment_vocabulary_)] if text.startswith("#") else [lower])
        info = (keys, _key(NS_NEG, lower), content, wordlike, words, hash_string(lower), len(keys))
        self._word_cache[orth] = info
        return info

    def _named_word_keys(self, text: str) -> list[tuple[str, np.uint64]]:
        lower = text.lower()
        out: list[tuple[str, np.uint64]] = [(lower, _key(NS_WORD, lower))]
        if self.char_ngrams and len(lower) > 1:
            lo, hi = self.char_ngrams
            padded = f"<{lower}>"
            for n in range(lo, hi + 1):
                for i in range(len(padded) - n + 1):
                    gram = padded[i : i + n]
                    # Named after the word, so explanations speak of words, not fragments.
                    out.append((lower, _key(NS_CHAR, gram)))
        if self.marks:
            for mark in self._word_marks(text):
                out.append((mark, _key(NS_MARK, mark)))
        if self.hashtags and text.startswith("#") and len(text) > 1:
            for word in segment_hashtag(text, self.segment_vocabulary_):
                out.append((word, _key(NS_WORD, word)))
        return out

    @staticmethod
    def _word_marks(text: str) -> list[str]:
        marks = []
        if text.startswith("@") and len(text) > 1:
            marks.append("[mention]")
        elif text.startswith("#") and len(text) > 1:
            marks.append("[hashtag]")
        elif text.startswith(("http://", "https://", "www.")):
            marks.append("[url]")
        if _is_emoji(text):
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

    @staticmethod
    def _ngram_keys(lower_ids: np.ndarray, n: int, namespace: np.uint64) -> np.ndarray:
        with np.errstate(over="ignore"):
            combined = lower_ids[: len(lower_ids) - n + 1].copy()
            for offset in range(1, n):
                combined = combined * _PAIR + lower_ids[offset : len(lower_ids) - n + 1 + offset]
        return _mix(combined, namespace)

    def _doc_mark_names(
        self,
        doc,
        infos: list[tuple[np.ndarray, np.uint64, int, bool, frozenset[str], int, int]],
        context_words: frozenset[int] | None,
        target: str | None,
    ) -> tuple[list[str], set[int]]:
        """Document-level feature names, and the content words shared with the context."""
        names: list[str] = []
        if self.cues and doc.user_data.get(CUES):
            negated = doc.user_data[NEGATED]
            for category, start, _end in doc.user_data[CUES]:
                names.append(f"[{'negated ' if negated[start] else ''}{category} cue]")
        if self.marks:
            n = len(doc)
            band = "0" if n == 0 else "1" if n == 1 else "2-3" if n < 4 else "4-7" if n < 8 else "8-15" if n < 16 else "16+"
            names.append(f"[length {band}]")
            if n and not any(info[3] for info in infos):
                names.append("[no words]")
        shared: set[int] = set()
        if self.context and context_words is not None:
            content = {info[2] for info in infos if info[2]}
            shared = content & context_words
            share = len(shared) / len(content) if content else 0.0
            band = "none" if not shared else "low" if share < 0.25 else "mid" if share < 0.6 else "high"
            names.append(f"[context overlap {band}]")
        if target is not None:
            names.append("[mentions target]" if self._mentions(infos, target) else "[target not mentioned]")
        return names, shared

    def _mentions(self, infos: list[tuple], target: str) -> bool:
        target_words = self._target_words.get(target)
        if target_words is None:
            target_words = frozenset(w for w in re.findall(r"[a-z]+", target.lower()) if w not in STOP_WORDS)
            self._target_words[target] = target_words
        return any(not target_words.isdisjoint(info[4]) for info in infos)

    def _syntax_named_keys(self, doc) -> list[tuple[str, np.uint64]]:
        out = []
        for token in doc:
            out.append((f"pos {token.pos_}", self._mark_key(f"pos {token.pos_}", NS_POS)))
            if token.dep_ and token.head is not token:
                arc = f"{token.dep_}({token.head.lemma_.lower()}, {token.lemma_.lower()})"
                out.append((arc, self._mark_key(arc, NS_DEP)))
        return out

    def _context_words(self, contexts: list[str | None]) -> list[frozenset[int] | None]:
        missing = sorted({c for c in contexts if c is not None and c not in self._context_cache})
        if missing:
            if len(self._context_cache) > 10_000:
                self._context_cache.clear()
            for text, doc in zip(missing, self.nlp_.pipe(missing, batch_size=self.batch_size)):
                self._context_cache[text] = frozenset(
                    int(t.lower) for t in doc if t.is_alpha and t.lower_ not in STOP_WORDS
                )
        return [None if c is None else self._context_cache[c] for c in contexts]

    def _target_salt(self, target: str | None) -> np.uint64:
        return _U64(0) if target is None else _U64(hash_string(target.lower())) ^ NS_TARGET

    def _keys_per_example(self, examples: Examples) -> tuple[np.ndarray, np.ndarray]:
        """Feature keys of a batch, flat, with the row each key belongs to (repeats count).

        Per document this only gathers memoized arrays into Python lists; all numpy work
        (n-grams, target conjunction) happens once per batch.
        """
        contexts = self._context_words(examples.contexts) if self.context else [None] * len(examples)
        cache = self._word_cache
        negation = self.negation
        parts: list[np.ndarray] = []
        lengths: list[int] = []
        lowers: list[int] = []
        doc_lengths: list[int] = []
        marks: list[np.uint64] = []
        mark_key = self._mark_key
        for doc, context_words, target in zip(
            self.nlp_.pipe(examples.texts, batch_size=self.batch_size), contexts, examples.targets
        ):
            strings = doc.vocab.strings
            infos = []
            for orth in doc.to_array(ORTH).tolist():
                info = cache.get(orth)
                infos.append(info if info is not None else self._word_info(orth, strings[orth]))
            parts.extend([info[0] for info in infos])
            lowers.extend([info[5] for info in infos])
            size = sum([info[6] for info in infos])
            doc_lengths.append(len(infos))
            names, shared = self._doc_mark_names(doc, infos, context_words, target)
            marks.clear()
            if negation:
                negated = doc.user_data.get(NEGATED)
                if negated and any(negated):
                    marks.extend(info[1] for info, neg in zip(infos, negated) if neg)
            marks.extend(mark_key(name) for name in names)
            if shared:
                marks.extend(_mix(np.fromiter(shared, dtype=_U64, count=len(shared)), NS_CTX))
            if self.syntax_:
                marks.extend(k for _, k in self._syntax_named_keys(doc))
            if marks:
                parts.append(np.array(marks, dtype=_U64))
                size += len(marks)
            lengths.append(size)
        keys = np.concatenate(parts) if parts else np.zeros(0, dtype=_U64)
        rows = np.repeat(np.arange(len(lengths)), lengths)
        salts = np.array([self._target_salt(t) for t in examples.targets], dtype=_U64)
        ngram_keys, ngram_rows = self._ngrams(np.array(lowers, dtype=_U64), np.array(doc_lengths, dtype=np.int64))
        keys = np.concatenate([keys, ngram_keys])
        rows = np.concatenate([rows, ngram_rows])
        if self.target_conjunction and salts.any():
            has_target = salts[rows] != 0
            keys = np.concatenate([keys, _mix(keys[has_target], salts[rows[has_target]])])
            rows = np.concatenate([rows, rows[has_target]])
        return keys, rows

    def _ngrams(self, flat: np.ndarray, doc_lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Word n-grams of a whole batch in one numpy pass, dropping those across documents."""
        owner = np.repeat(np.arange(len(doc_lengths)), doc_lengths)
        keys, rows = [np.zeros(0, dtype=_U64)], [np.zeros(0, dtype=np.int64)]
        for n, namespace in ((2, NS_BIGRAM), (3, NS_TRIGRAM)):
            if self.word_ngrams < n or len(flat) < n:
                continue
            start_owner = owner[: len(flat) - n + 1]
            inside = start_owner == owner[n - 1 :]
            keys.append(self._ngram_keys(flat, n, namespace)[inside])
            rows.append(start_owner[inside])
        return np.concatenate(keys), np.concatenate(rows)

    def _to_matrix(self, batch: tuple[np.ndarray, np.ndarray], n_rows: int) -> sp.csr_matrix:
        keys, rows = batch
        columns = (keys % _U64(self.n_features)).astype(np.int32)
        # COO -> CSR groups keys by row in one counting pass and sums repeated columns.
        matrix = sp.csr_matrix(
            (np.ones(len(columns)), (rows, columns)), shape=(n_rows, self.n_features)
        )
        matrix.sum_duplicates()
        if self.sublinear_tf:
            np.log(matrix.data, out=matrix.data)
            matrix.data += 1.0  # a single occurrence weighs 1
        if self.norm == "l2":
            matrix = normalize(matrix, norm="l2", copy=False)
        return matrix

    def explain_features(
        self, text: str, *, context: str | None = None, target: str | None = None
    ) -> list[tuple[str, int]]:
        """Readable names and column indices of every feature of one text.

        The names come from a slower path that derives exactly the keys ``transform``
        hashes, so every listed column is one ``transform`` sets.
        """
        check_is_fitted(self, "segment_vocabulary_")
        doc = self.nlp_(text)
        context_words = self._context_words([context])[0] if self.context else None
        named: list[tuple[str, np.uint64]] = []
        infos = []
        for token in doc:
            named.extend(self._named_word_keys(token.text))
            infos.append(self._word_info(token.orth, token.text))
        if self.negation:
            named.extend(
                (f"not '{t.lower_}'", info[1]) for t, info, neg in zip(doc, infos, doc.user_data[NEGATED]) if neg
            )
        names, shared = self._doc_mark_names(doc, infos, context_words, target)
        named.extend((name, self._mark_key(name)) for name in names)
        named.extend(
            (f"shares '{doc.vocab.strings[h]}' with the context", _mix(np.array([h], dtype=_U64), NS_CTX)[0])
            for h in shared
        )
        if self.syntax_:
            named.extend(self._syntax_named_keys(doc))
        lowers = [t.lower_ for t in doc]
        lower_ids = doc.to_array([LOWER]).astype(_U64) if len(doc) else np.zeros(0, dtype=_U64)
        for n, namespace in ((2, NS_BIGRAM), (3, NS_TRIGRAM)):
            if self.word_ngrams >= n and len(doc) >= n:
                for i, key in enumerate(self._ngram_keys(lower_ids, n, namespace)):
                    named.append((" ".join(lowers[i : i + n]), key))
        if self.target_conjunction and target is not None:
            salt = self._target_salt(target)
            keys = _mix(np.array([k for _, k in named], dtype=_U64), salt)
            named.extend((f"{name} (for {target})", k) for (name, _), k in zip(list(named), keys))
        size = _U64(self.n_features)
        return [(name, int(key % size)) for name, key in named]
