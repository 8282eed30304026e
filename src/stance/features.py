"""Featurize: turn replies (plus the post they answer, and a target) into sparse features.

:class:`Featurizer` runs the texts through spaCy in batches and hashes every feature
into a fixed number of columns, so it needs no vocabulary and its memory does not grow
with the data. What it learns in ``fit`` is the idf weights and the word list used to
split lowercase hashtags into words. :class:`~stance.estimators.SpacyFeatures` is the same
thing as a scikit-learn transformer (``stance.features.SpacyFeatures`` finds it). This
module does not import scikit-learn, so labelling with a saved model never loads it.

Feature families (each can be switched off):

* word n-grams over lowercase forms; words in a negation's scope also fire negated copies;
* character n-grams of each word, computed once per distinct word and memoized;
* cue-lexicon hits (agreement, praise, disagreement, hedging, sarcasm, ...), negated or not;
* surface marks: question and exclamation marks, mentions, hashtags, URLs, emoji,
  elongated words, shouting, length;
* hashtag segmentation (``#NoMoreAbortion`` -> no, more, abortion);
* overlap with the ``context`` (the post replied to) and mentions of the ``target``;
* part-of-speech and dependency features, when the pipeline is a trained one.

Features fall in three blocks of ``n_features`` hashed columns each: words (n-grams and
negated words), characters (n-grams within words) and extras (cues, marks, context and
target relations, syntax). Each block is weighted by idf learned in ``fit`` and divided by
``sqrt(sum(count * idf**2))``. That normalisation is linear in the token stream, so a
linear model's scores are sums of per-word vectors that can be cached:
:meth:`Featurizer.decision_function` predicts without building a sparse matrix, and
gives the same scores as ``transform`` followed by the matrix product.
"""

from __future__ import annotations

import gc
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from typing import TYPE_CHECKING, Any

import numpy as np
from spacy.attrs import ORTH
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.strings import hash_string

from . import artifact
from .errors import Errors, InputError, NotFittedError

if TYPE_CHECKING:
    import scipy.sparse as sp
    from spacy.language import Language
from .nlp import BLANK, RULE_COMPONENTS, has_syntax, make_nlp, rules_of


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
_CHAR_BASE = _U64(0x100000001B3)  # the 64-bit FNV prime, as the base of character n-gram keys


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
_RUNS = re.compile(r"(.)\1{2,}")
_URL = ("http://", "https://", "www.")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def _is_emoji(text: str) -> bool:
    if text.isascii():  # most tokens; "^" and "`" are the only ASCII symbols in So/Sk
        return "^" in text or "`" in text
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


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one batch of work.

    The collector rescans every live object each time allocations pile up, and spaCy
    and JSON parsing allocate many small objects per reply: pausing it for a batch
    (whose garbage reference counting frees anyway) saved about a third of featurizing
    time in profiles. It is switched back on at the end of the batch.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


WORD, CHAR, EXTRA = 0, 1, 2
BLOCKS = ("words", "characters", "extras")
_LENGTH_BANDS = ("0", "1", "2-3", "4-7", "8-15", "16+")


def _length_band(lengths: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.array([1, 2, 4, 8, 16]), lengths, side="right")


def _ragged(flat: np.ndarray, ptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate ``flat[ptr[r]:ptr[r+1]]`` for every r in ``rows``; also return each value's position in ``rows``."""
    starts = ptr[rows]
    lengths = ptr[rows + 1] - starts
    owner = np.repeat(np.arange(len(rows)), lengths)
    within = np.arange(len(owner)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return flat[np.repeat(starts, lengths) + within], owner


@dataclass
class _Occurrences:
    """Where each feature occurs in a batch: block, row (document) and column, one entry per occurrence.

    Character n-grams are kept per token (``token_doc``, ``token_row``) so that scoring can
    use per-word sums instead of expanding them.
    """

    n: int
    word_rows: np.ndarray
    word_cols: np.ndarray
    extra_rows: np.ndarray
    extra_cols: np.ndarray
    token_doc: np.ndarray
    token_row: np.ndarray


class Featurizer:
    """Hashed sparse features for replies, computed with spaCy.

    The featurizing engine; :class:`~stance.estimators.SpacyFeatures` adds the
    scikit-learn estimator contract to it.

    Parameters
    ----------
    pipeline : str, default="blank"
        ``"blank"`` for ``spacy.blank("en")`` plus stance's rule-based components, or
        the name of an installed trained spaCy pipeline (adds POS and dependency features).
    n_features : int, default=2**18
        Hashed columns per block (words, characters, extras); the output has three times as many.
    word_ngrams : int, default=2
        Longest word n-gram (1 to 3).
    char_ngrams : tuple of (int, int) or None, default=(2, 5)
        Range of character n-gram lengths taken within each word; ``None`` turns them off.
    negation : bool, default=True
        Words inside a negation's scope become distinct "not <word>" features.
    extras : bool, default=True
        The extras block: cue lexicons, surface marks, length, context and target relations.
    extras_weight : float, default=0.2
        Weight of the extras block against the word and character blocks (1 each).
    hashtags : bool, default=False
        Also add the words of segmented hashtags to the extras block.
    idf : bool, default=True
        Weight features by inverse document frequency learned in ``fit``.
    batch_size : int, default=2000
        Texts per ``nlp.pipe`` batch.

    Examples
    --------
    >>> features = Featurizer().fit(["I agree", "Not convinced"])
    >>> features.transform(["Great essay!", ""]).shape
    (2, 786432)
    """

    def __init__(
        self,
        *,
        pipeline: str = BLANK,
        n_features: int = 2**18,
        word_ngrams: int = 2,
        char_ngrams: tuple[int, int] | None = (2, 5),
        negation: bool = True,
        extras: bool = True,
        extras_weight: float = 0.2,
        hashtags: bool = False,
        idf: bool = True,
        batch_size: int = 2000,
    ) -> None:
        self.pipeline = pipeline
        self.n_features = n_features
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.negation = negation
        self.extras = extras
        self.extras_weight = extras_weight
        self.hashtags = hashtags
        self.idf = idf
        self.batch_size = batch_size

    # -- sklearn API -------------------------------------------------------------------
    def fit(self, X: object, y: object = None) -> "Featurizer":
        """Load the spaCy pipeline, learn the hashtag word list and the idf weights."""
        if self.word_ngrams not in (1, 2, 3):
            raise InputError(f"word_ngrams must be 1, 2 or 3, not {self.word_ngrams!r}.")
        if self.char_ngrams is not None and not (1 <= self.char_ngrams[0] <= self.char_ngrams[1]):
            raise InputError(f"char_ngrams must be (low, high) with 1 <= low <= high, not {self.char_ngrams!r}.")
        examples = to_examples(X)
        self._use_nlp(make_nlp(self.pipeline))
        self.syntax_ = has_syntax(self.nlp_)
        counts: Counter[str] = Counter()
        for text in examples.texts:
            counts.update(w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 1)
        self.segment_vocabulary_ = frozenset(w for w, c in counts.items() if c >= 2) | frozenset(
            {"a", "i", "no", "we", "us", "me", "my", "is", "to", "of", "in", "on", "it", "be"}
        )
        self.block_weights_ = np.array([1.0, 1.0 if self.char_ngrams else 0.0, self.extras_weight if self.extras else 0.0])
        self.idf_ = np.ones((3, self.n_features))
        self._reset_caches()
        if self.idf and len(examples):
            df = np.zeros((3, self.n_features))
            for occ in self._occurrences(examples):
                for block, (rows, cols) in enumerate(self._block_entries(occ)):
                    pairs = np.unique(rows * self.n_features + cols)
                    df[block] += np.bincount(pairs % self.n_features, minlength=self.n_features)
            self.idf_ = np.log((1.0 + len(examples)) / (1.0 + df)) + 1.0
        return self

    def transform(self, X: object) -> sp.csr_matrix:
        """Featurize ``X`` into a ``(n_samples, 3 * n_features)`` CSR matrix."""
        import scipy.sparse as sp

        self._check_fitted()
        examples = to_examples(X)
        parts = [self._matrix(occ) for occ in self._occurrences(examples)]
        if not parts:
            return sp.csr_matrix((0, 3 * self.n_features))
        return sp.vstack(parts, format="csr") if len(parts) > 1 else parts[0]

    def decision_function(self, X: object, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
        """``transform(X) @ coef.T + intercept``, computed without building the matrix.

        Per-word sums of the character block are cached per ``coef`` (by identity), so
        pass the same array each time.
        """
        self._check_fitted()
        examples = to_examples(X)
        out = [self._scores(occ, coef, intercept) for occ in self._occurrences(examples)]
        return np.vstack(out) if out else np.zeros((0, coef.shape[0]))

    def _check_fitted(self) -> None:
        if not hasattr(self, "idf_"):
            raise NotFittedError(Errors.E015.format(name=type(self).__name__, method="transform"))

    # -- pickling: the spaCy pipeline and caches are rebuilt, never pickled -------------
    _TRANSIENT = ("nlp_", "rules_", "_vocab_start", "_cache", "_score_cache")

    def __getstate__(self) -> dict:
        state = {k: v for k, v in self.__dict__.items() if k not in self._TRANSIENT}
        if "idf_" in state:
            state["idf_"] = artifact.compact_array(state["idf_"])
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if "idf_" in state:
            self.idf_ = artifact.expand_array(state["idf_"])
            self._use_nlp(make_nlp(self.pipeline))
            self._reset_caches()

    # -- per-word cache ----------------------------------------------------------------
    def _reset_caches(self) -> None:
        self._cache = _WordCache(self)
        self._score_cache: dict[int, tuple[np.ndarray, _Growing]] = {}

    def _column(self, namespace: np.uint64, text: str) -> int:
        return _key(namespace, text) % self.n_features

    def normalise(self, text: str) -> str:
        """The form a token's word and character features are computed from."""
        lower = text.lower()
        if lower.startswith(_URL):
            return "<url>"
        return _RUNS.sub(r"\1\1", lower)

    def _named_word_features(self, text: str) -> list[tuple[int, str, int]]:
        """(block, name, column) of the per-token features of one token (named after the word)."""
        form = self.normalise(text)
        out = [(WORD, form, self._column(NS_WORD, form))]
        chars, _ = self._char_columns([form])
        out.extend((CHAR, form, column) for column in chars.tolist())
        out.extend((EXTRA, name, column) for name, column in self._word_extras(text))
        return out

    def _char_columns(self, forms: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Character n-gram columns of many word forms at once: (flat columns, count per form).

        Each n-gram of the padded form (" word ") is keyed by a polynomial over its code
        points, seeded with n, then mixed and folded like every other key; computing
        them for a batch of new words in numpy is what keeps unseen words cheap.
        """
        counts = np.zeros(len(forms), dtype=np.int64)
        if not self.char_ngrams or not forms:
            return np.zeros(0, dtype=np.int64), counts
        lo, hi = self.char_ngrams
        padded = ["" if form == "<url>" or form.startswith("@") else f" {form} " for form in forms]
        lengths = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
        codes = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(_U64)
        owner = np.repeat(np.arange(len(forms)), lengths)
        keys, owners = [], []
        with np.errstate(over="ignore"):
            for n in range(lo, hi + 1):
                m = len(codes) - n + 1
                if m <= 0:
                    break
                key = np.full(m, n, dtype=_U64)
                for j in range(n):
                    key = key * _CHAR_BASE + codes[j : j + m]
                inside = owner[:m] == owner[n - 1 : n - 1 + m]
                keys.append(key[inside])
                owners.append(owner[:m][inside])
        if not keys:
            return np.zeros(0, dtype=np.int64), counts
        owner_all = np.concatenate(owners)
        order = np.argsort(owner_all, kind="stable")
        columns = (_mix(np.concatenate(keys)[order], NS_CHAR) % _U64(self.n_features)).astype(np.int64)
        return columns, np.bincount(owner_all, minlength=len(forms))

    def _word_extras(self, text: str) -> list[tuple[str, int]]:
        """(name, column) of a token's own extras: surface marks and hashtag words."""
        if not self.extras:
            return []
        out = [(mark, self._column(NS_MARK, mark)) for mark in _word_marks(text)]
        if self.hashtags and text.startswith("#") and len(text) > 1:
            out.extend((f"#{word}", self._column(NS_MARK, "#" + word)) for word in segment_hashtag(text, self.segment_vocabulary_))
        return out

    # -- occurrences ---------------------------------------------------------------------
    def _occurrences(self, examples: Examples):
        """Yield an :class:`_Occurrences` per batch of ``batch_size`` examples."""
        for start in range(0, len(examples), self.batch_size):
            stop = start + self.batch_size
            with paused_gc():
                batch = self._batch(
                    examples.texts[start:stop], examples.contexts[start:stop], examples.targets[start:stop]
                )
            yield batch

    def _read_docs(self, texts: list[str]) -> tuple[list[np.ndarray], list[list[tuple[int, str]]]]:
        """Each doc's ORTH ids (and syntax feature names with a trained pipeline).

        Our rule-based components are skipped here: :class:`~stance.nlp.Rules` applies the
        same rules to the whole batch in :meth:`_batch`, which is cheaper than per doc.
        """
        nlp = self.nlp_
        if self.syntax_:
            docs = nlp.pipe(texts, batch_size=self.batch_size, disable=list(RULE_COMPONENTS))
        else:
            docs = nlp.tokenizer.pipe(texts, batch_size=self.batch_size)
        orths, syntax = [], []
        for i, doc in enumerate(docs):
            orths.append(doc.to_array(ORTH))
            if self.syntax_:
                names = []
                for token in doc:
                    names.append((i, f"[pos {token.pos_ or token.tag_}]"))
                    if token.dep_ and token.head is not token:
                        names.append((i, f"[{token.dep_}({token.head.lemma_.lower()}, {token.lemma_.lower()})]"))
                syntax.append(names)
        return orths, syntax

    # spaCy's vocabulary keeps every string it has tokenized, and its tokenizer caches every
    # chunk: on a dump full of new words (names, tags, links) both grow with the dump. Past
    # this many new lexemes the pipeline is built afresh, which changes no feature (the word
    # cache is keyed by string hashes, not by vocabulary entries).
    vocab_limit = 200_000

    def _use_nlp(self, nlp: Language) -> None:
        self.nlp_ = nlp
        self.rules_ = rules_of(nlp)
        self._vocab_start = len(nlp.vocab)  # a trained pipeline may start with many lexemes

    def _renew_nlp(self) -> None:
        if make_nlp(self.pipeline) is self.nlp_:  # the shared, cached pipeline is the big one
            make_nlp.cache_clear()
        self._use_nlp(make_nlp(self.pipeline))

    def _batch(self, texts: list[str], contexts: list[str | None], targets: list[str | None]) -> _Occurrences:
        if len(self.nlp_.vocab) > self._vocab_start + self.vocab_limit:
            self._renew_nlp()
        n = len(texts)
        orths, syntax = self._read_docs(texts)
        lengths = np.fromiter((len(o) for o in orths), dtype=np.int64, count=n)
        token_doc = np.repeat(np.arange(n), lengths)
        flat = np.concatenate(orths) if n else np.zeros(0, dtype=_U64)
        cache = self._cache
        unique, inverse = np.unique(flat, return_inverse=True)
        token_row = cache.rows(unique.tolist(), self.nlp_.vocab)[inverse]
        arrays = cache.arrays()
        negator = arrays.negator[token_row]
        negated = (
            self.rules_.negation_scope(negator, arrays.punct[token_row], np.cumsum(lengths) - lengths)
            if negator.any()
            else None
        )

        # words: unigrams (negated inside a negation's scope) and n-grams within a document
        word_ids = arrays.word_id[token_row]
        unigram = _mix(word_ids, NS_WORD)
        if self.negation and negated is not None:
            unigram = np.where(negated, _mix(word_ids, NS_NEG), unigram)
        word_cols = [unigram]
        word_rows = [token_doc]
        combined = word_ids
        for k, namespace in ((2, NS_BIGRAM), (3, NS_TRIGRAM)):
            if self.word_ngrams < k or len(flat) < k:
                break
            with np.errstate(over="ignore"):
                combined = combined[:-1] * _PAIR + word_ids[k - 1 :]
            inside = token_doc[: len(flat) - k + 1] == token_doc[k - 1 :]
            word_cols.append(_mix(combined, namespace)[inside])
            word_rows.append(token_doc[: len(flat) - k + 1][inside])

        # extras: per-word marks, then document-level features
        extra_rows: list[np.ndarray] = []
        extra_cols: list[np.ndarray] = []
        if self.extras:
            cols, owner = _ragged(arrays.extra_flat, arrays.extra_ptr, token_row)
            extra_cols.append(cols)
            extra_rows.append(token_doc[owner])
            rows, cols = self._document_columns(
                lengths, token_doc, token_row, arrays, negated, contexts, targets, syntax
            )
            extra_rows.append(rows)
            extra_cols.append(cols)
        size = _U64(self.n_features)
        return _Occurrences(
            n=n,
            word_rows=np.concatenate(word_rows),
            word_cols=(np.concatenate(word_cols) % size).astype(np.int64),
            extra_rows=np.concatenate(extra_rows) if extra_rows else np.zeros(0, dtype=np.int64),
            extra_cols=np.concatenate(extra_cols) if extra_cols else np.zeros(0, dtype=np.int64),
            token_doc=token_doc,
            token_row=token_row,
        )

    def _mark_column(self, name: str) -> int:
        """The extras column of a named document-level feature; every such feature is named
        through here, so :meth:`explain_features` can name the columns back."""
        column = self._cache.marks.get(name)
        if column is None:
            column = self._cache.marks[name] = self._column(NS_MARK, name)
        return column

    def _document_columns(
        self, lengths, token_doc, token_row, arrays, negated, contexts, targets, syntax
    ) -> tuple[np.ndarray, np.ndarray]:
        """Document-level extras (cues, length, context and target relations, syntax) as
        (row, column) arrays, one entry per occurrence."""
        n = len(lengths)
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []

        def add(doc_rows: np.ndarray | list[int], name: str | np.ndarray) -> None:
            doc_rows = np.asarray(doc_rows, dtype=np.int64)
            rows.append(doc_rows)
            cols.append(np.full(len(doc_rows), self._mark_column(name), dtype=np.int64) if isinstance(name, str) else name)

        # cue phrases, marked as negated when they start inside a negation's scope
        candidates = np.flatnonzero(arrays.cue_first[token_row])
        starts, _, categories = self.rules_.cue_matches(arrays.lower[token_row], token_doc, candidates)
        if len(starts):
            table = np.array(
                [[self._mark_column(f"[{prefix}{c} cue]") for prefix in ("", "negated ")] for c in self.rules_.categories],
                dtype=np.int64,
            )
            in_scope = negated[starts].astype(np.int64) if negated is not None else np.zeros(len(starts), dtype=np.int64)
            add(token_doc[starts], table[categories, in_scope])
        wordlike = np.bincount(token_doc, weights=arrays.wordlike[token_row], minlength=n)
        add(np.flatnonzero((wordlike == 0) & (lengths > 0)), "[no words]")
        bands = np.array([self._mark_column(f"[length {b}]") for b in _LENGTH_BANDS], dtype=np.int64)
        add(np.arange(n), bands[_length_band(lengths)])
        self._target_columns(targets, token_doc, token_row, arrays, add)

        offsets = np.concatenate([[0], np.cumsum(lengths)])
        cache = self._cache
        for i, context in enumerate(contexts):
            if context is not None:
                token_rows = token_row[offsets[i] : offsets[i + 1]].tolist()
                context_words = self._context_words(context)
                content = {cache.content[r] for r in token_rows} - {0}
                shared = content & context_words
                share = len(shared) / len(content) if content else 0.0
                band = "none" if not shared else "low" if share < 0.25 else "mid" if share < 0.6 else "high"
                add([i], f"[context overlap {band}]")
                for r in token_rows:
                    if cache.content[r] in shared:
                        add([i], f"[shares '{cache.form[r]}' with the context]")
        for doc_names in syntax:
            for i, name in doc_names:
                add([i], name)
        return np.concatenate(rows), np.concatenate(cols)

    def _target_columns(self, targets, token_doc, token_row, arrays, add) -> None:
        """Each row's target, and whether the reply mentions it (a word, or a word of a hashtag)."""
        by_target: dict[str, list[int]] = {}
        for i, target in enumerate(targets):
            if target is not None:
                by_target.setdefault(target, []).append(i)
        for target, docs in by_target.items():
            target_ids = np.array([hash_string(w) for w in self._target_words(target)], dtype=_U64)
            in_docs = np.zeros(len(targets), dtype=bool)
            in_docs[docs] = True
            tokens = np.flatnonzero(in_docs[token_doc])
            words, owner = _ragged(arrays.words_flat, arrays.words_ptr, token_row[tokens])
            hits = np.bincount(token_doc[tokens][owner], weights=np.isin(words, target_ids), minlength=len(targets))
            docs_array = np.array(docs, dtype=np.int64)
            add(docs_array, f"[target {target.lower()}]")  # lets a pooled model learn per-target leanings
            mentioned = hits[docs_array] > 0
            add(docs_array[mentioned], "[mentions target]")
            add(docs_array[~mentioned], "[target not mentioned]")

    def _context_words(self, context: str) -> frozenset[int]:
        cache = self._cache.contexts
        words = cache.get(context)
        if words is None:
            if len(cache) > 10_000:
                cache.clear()
            words = cache[context] = frozenset(
                hash_string(self.normalise(t.text)) for t in self.nlp_.tokenizer(context)
                if t.is_alpha and t.lower_ not in STOP_WORDS
            )
        return words

    def _target_words(self, target: str) -> frozenset[str]:
        cache = self._cache.targets
        words = cache.get(target)
        if words is None:
            words = cache[target] = frozenset(w for w in re.findall(r"[a-z]+", target.lower()) if w not in STOP_WORDS)
        return words

    # -- matrix and scores ---------------------------------------------------------------
    def _block_entries(self, occ: _Occurrences) -> list[tuple[np.ndarray, np.ndarray]]:
        arrays = self._cache.arrays()
        char_cols, owner = _ragged(arrays.char_flat, arrays.char_ptr, occ.token_row)
        return [
            (occ.word_rows, occ.word_cols),
            (occ.token_doc[owner], char_cols),
            (occ.extra_rows, occ.extra_cols),
        ]

    def _matrix(self, occ: _Occurrences) -> sp.csr_matrix:
        import scipy.sparse as sp

        rows, cols, data = [], [], []
        for block, (block_rows, block_cols) in enumerate(self._block_entries(occ)):
            weight = self.block_weights_[block]
            if weight == 0 or not len(block_cols):
                continue
            idf = self.idf_[block][block_cols]
            norm = np.sqrt(np.bincount(block_rows, weights=idf**2, minlength=occ.n))
            norm[norm == 0] = 1.0
            rows.append(block_rows)
            cols.append(block_cols + block * self.n_features)
            data.append(idf * (weight / norm)[block_rows])
        if not rows:
            return sp.csr_matrix((occ.n, 3 * self.n_features))
        matrix = sp.csr_matrix(
            (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(occ.n, 3 * self.n_features)
        )
        matrix.sum_duplicates()
        return matrix

    def _scores(self, occ: _Occurrences, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
        k = coef.shape[0]
        scores = np.zeros((occ.n, k)) + intercept
        for block in (WORD, CHAR, EXTRA):
            weight = self.block_weights_[block]
            if weight == 0:
                continue
            if block == CHAR:
                rows, entries = occ.token_doc, self._char_sums(coef)[occ.token_row].T
            else:
                rows, cols = (occ.word_rows, occ.word_cols) if block == WORD else (occ.extra_rows, occ.extra_cols)
                entries = self._weighted(block, cols, coef)
            sums = [np.bincount(rows, weights=column, minlength=occ.n) for column in entries]
            norm = np.sqrt(sums[k])
            norm[norm == 0] = 1.0
            scale = weight / norm
            for j in range(k):
                scores[:, j] += sums[j] * scale
        return scores

    def _weighted(self, block: int, cols: np.ndarray, coef: np.ndarray) -> np.ndarray:
        """Per occurrence of a column of ``block``: rows j < k hold the class-j weight
        times the column's idf, row k its idf**2 (for the norm). Gathered per batch, not
        from a table over all columns, which would cost every process 25 MB and a
        twentieth of a second to build."""
        k = coef.shape[0]
        idf = self.idf_[block][cols]
        out = np.empty((k + 1, len(cols)))
        np.multiply(coef[:, block * self.n_features + cols], idf, out=out[:k])
        np.square(idf, out=out[k])
        return out

    def _char_sums(self, coef: np.ndarray) -> np.ndarray:
        """Per cached word, :meth:`_weighted` summed over its character n-grams; kept
        per ``coef`` (by identity) and extended as the word cache grows."""
        key = id(coef)
        entry = self._score_cache.get(key)
        if entry is None or entry[0] is not coef:
            entry = (coef, _Growing(np.float64, width=coef.shape[0] + 1))
            if len(self._score_cache) > 8:
                self._score_cache.clear()
            self._score_cache[key] = entry
        per_word = entry[1]
        arrays = self._cache.arrays()
        n_words = len(arrays.char_ptr) - 1
        if per_word.n < n_words:
            new = np.arange(per_word.n, n_words)
            cols, owner = _ragged(arrays.char_flat, arrays.char_ptr, new)
            weighted = self._weighted(CHAR, cols, coef)
            per_word.extend(np.column_stack([np.bincount(owner, weights=row, minlength=len(new)) for row in weighted]))
        return per_word.view()

    # -- explanations ----------------------------------------------------------------------
    def explain_features(
        self, text: str, *, context: str | None = None, target: str | None = None
    ) -> list[tuple[str, int]]:
        """Readable names and column indices of every feature of one text.

        Character n-grams are named after their word, so that explanations speak of
        words. Every listed column is one that ``transform`` sets for this text.
        """
        self._check_fitted()
        occ = self._batch([text], [context], [target])
        cache = self._cache
        arrays = cache.arrays()
        token_rows = occ.token_row
        tokens = [t.text for t in self.nlp_.tokenizer(text)]
        forms = [cache.form[r] for r in token_rows.tolist()]
        negator = arrays.negator[token_rows]
        starts = np.zeros(1, dtype=np.int64)
        negated = self.rules_.negation_scope(negator, arrays.punct[token_rows], starts) if negator.any() else None
        d = self.n_features
        named: list[tuple[str, int]] = []
        for i, (token, form) in enumerate(zip(tokens, forms)):
            for block, name, column in self._named_word_features(token):
                if block == WORD and negated is not None and negated[i] and self.negation:
                    named.append((f"not '{form}'", self._column(NS_NEG, form)))
                elif self.block_weights_[block]:
                    named.append((name, column + block * d))
        for k, namespace in ((2, NS_BIGRAM), (3, NS_TRIGRAM)):
            if self.word_ngrams >= k and len(forms) >= k:
                ids = np.array([hash_string(f) for f in forms], dtype=_U64)
                combined = ids
                for offset in range(1, k):
                    with np.errstate(over="ignore"):
                        combined = combined[:-1] * _PAIR + ids[offset:]
                for i, key in enumerate(_mix(combined, namespace) % _U64(d)):
                    named.append((" ".join(forms[i : i + k]), int(key)))
        if self.extras:
            _, syntax = self._read_docs([text])
            _, columns = self._document_columns(
                np.array([len(forms)]), occ.token_doc, token_rows, arrays, negated, [context], [target], syntax
            )
            # Document-level columns are named back through the names _mark_column saw
            # (two names hashed to one column would show the later one).
            name_of = {column: name for name, column in cache.marks.items()}
            named.extend((name_of[c], c + EXTRA * d) for c in columns.tolist())
        return named


def _word_marks(text: str) -> list[str]:
    marks = []
    if text.startswith("@") and len(text) > 1:
        marks.append("[mention]")
    elif text.startswith("#") and len(text) > 1:
        marks.append("[hashtag]")
    elif text.startswith(_URL):
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


class _Growing:
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


class _Ragged:
    """Variable-length rows stored flat, with ``ptr[r]:ptr[r+1]`` marking row r."""

    def __init__(self, dtype: type | np.dtype) -> None:
        self.flat = _Growing(dtype)
        self.ptr = _Growing(np.int64)
        self.ptr.extend([0])

    def extend(self, parts: list[list[int]]) -> None:
        lengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
        self.extend_flat([value for part in parts for value in part], lengths)

    def extend_flat(self, flat: np.ndarray | list[int], lengths: np.ndarray) -> None:
        """Append rows given as their concatenation and their lengths."""
        self.ptr.extend(self.flat.n + np.cumsum(lengths))
        self.flat.extend(flat)


@dataclass
class _CacheArrays:
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


class _WordCache:
    """Everything about a distinct token (by its spaCy ORTH hash), computed once.

    New tokens are added a batch at a time to growing arrays, so the cost of a batch does
    not depend on how many words came before. Memory is bounded: past ``limit`` rows the
    cache starts over.
    """

    limit = 200_000  # about 130 MB of rows

    def __init__(self, features: Featurizer) -> None:
        self.features = features
        self.row_of: dict[int, int] = {}
        self.form: list[str] = []
        self.content: list[int] = []  # hash of a content word's form, else 0 (context overlap)
        self.word_id = _Growing(_U64)
        self.lower = _Growing(_U64)  # spaCy's LOWER id, what the negation and cue rules read
        self.punct = _Growing(bool)
        self.negator = _Growing(bool)
        self.cue_first = _Growing(bool)
        self.wordlike = _Growing(np.float64)
        self.words = _Ragged(_U64)  # hashes of the token's words (a hashtag's too)
        self.char_cols = _Ragged(np.int64)
        self.extra_cols = _Ragged(np.int64)
        self.marks: dict[str, int] = {}
        self.contexts: dict[str, frozenset[int]] = {}
        self.targets: dict[str, frozenset[str]] = {}
        self._arrays: _CacheArrays | None = None

    def rows(self, orths: list[int], vocab) -> np.ndarray:
        """The cache rows of these (distinct) ORTH ids, adding the ones not seen yet."""
        new = [orth for orth in orths if orth not in self.row_of]
        if new and len(self.row_of) + len(new) > self.limit:
            self.__init__(self.features)  # type: ignore[misc]
            self.features._score_cache.clear()
            new = orths
        if new:
            self._add(new, vocab)
        return np.array(list(map(self.row_of.__getitem__, orths)), dtype=np.int64)

    def _add(self, orths: list[int], vocab) -> None:
        features = self.features
        texts, forms, word_ids, lowers, punct, wordlike, words, extras = [], [], [], [], [], [], [], []
        for orth in orths:
            lexeme = vocab[orth]
            text = lexeme.orth_
            form = features.normalise(text)
            self.row_of[orth] = len(self.form)
            self.form.append(form)
            word_id = hash_string(form)
            self.content.append(word_id if form.isalpha() and form not in STOP_WORDS else 0)
            forms.append(form)
            word_ids.append(word_id)
            lowers.append(lexeme.lower)
            punct.append(lexeme.is_punct)
            wordlike.append(
                any(ch.isalnum() for ch in text) and not text.startswith(("@", "#", *_URL)) and not _is_emoji(text)
            )
            parts = {form}
            if text.startswith("#"):
                parts.update(segment_hashtag(text, features.segment_vocabulary_))
            words.append([hash_string(w) for w in sorted(parts)])
            extras.append([column for _, column in features._word_extras(text)])
        lower = np.array(lowers, dtype=_U64)
        self.word_id.extend(word_ids)
        self.lower.extend(lower)
        self.punct.extend(punct)
        self.negator.extend(features.rules_.is_negator(lower))
        self.cue_first.extend(features.rules_.may_start_cue(lower))
        self.wordlike.extend(wordlike)
        self.words.extend(words)
        chars, counts = features._char_columns(forms)
        self.char_cols.extend_flat(chars, counts)
        self.extra_cols.extend(extras)
        self._arrays = None

    def arrays(self) -> _CacheArrays:
        if self._arrays is None:
            self._arrays = _CacheArrays(
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


def __getattr__(name: str) -> Any:
    # The scikit-learn transformer lives in stance.estimators, imported only when asked for.
    if name == "SpacyFeatures":
        from .estimators import SpacyFeatures

        return SpacyFeatures
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
