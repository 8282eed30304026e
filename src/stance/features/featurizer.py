"""Featurize: turn replies (plus the post they answer, and a target) into sparse features.

:class:`Featurizer` runs the texts through spaCy in batches and hashes every feature into a
fixed number of columns, so it needs no vocabulary and its memory does not grow with the
data. What it learns in ``fit`` is the idf weights and the word list used to split
lowercase hashtags into words. :class:`~stance.estimators.SpacyFeatures` is the same thing
as a scikit-learn transformer; this module does not import scikit-learn, so labelling with
a saved model never loads it.

Feature families (each can be switched off):

* word n-grams over lowercase forms; words in a negation's scope also fire negated copies;
* character n-grams of each word, computed once per distinct word and memoized;
* cue-lexicon hits (agreement, praise, disagreement, hedging, sarcasm, ...), negated or not;
* surface marks: question and exclamation marks, mentions, hashtags, URLs, emoji,
  elongated words, shouting, length;
* hashtag segmentation (``#NoMoreAbortion`` -> no, more, abortion);
* overlap with the ``context`` (the post replied to) and mentions of the ``target``;
* optionally, how close the reply is to the context: the cosine of their word blocks and of
  their character blocks, each marked as one of six bands;
* part-of-speech and dependency features, when the spaCy pipeline is a trained one.

Features fall in three blocks of ``n_features`` hashed columns each: words (n-grams and
negated words), characters (n-grams within words) and extras (cues, marks, context and
target relations, syntax). Each block is weighted by idf learned in ``fit`` and divided by
``sqrt(sum(count * idf**2))``. That normalisation is linear in the token stream, so a
linear model's scores are sums of per-word vectors that can be cached:
:meth:`Featurizer.linear_scores` scores without building a sparse matrix and gives the
same scores as ``transform`` followed by the matrix product.

This module is one piece because the batch step, the sparse matrix and the matrix-free
scores share one representation of a batch (:class:`Occurrences`); splitting them would
spread that representation over several files.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from spacy.attrs import ORTH
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.strings import hash_string

from ..errors import Errors, InputError, NotFittedError, Warnings
from ..examples import Examples, to_examples
from ..memory import paused_gc
from ..nlp import BLANK, RULE_COMPONENTS, has_syntax, make_nlp, rules_of
from .hashing import NS_BIGRAM, NS_MARK, NS_NEG, NS_TRIGRAM, NS_WORD, U64, key, mix, ngram_keys
from .words import Growing, WordArrays, WordCache, normalise, ragged_gather, segment_hashtag, word_marks

if TYPE_CHECKING:
    import scipy.sparse as sp
    from spacy.language import Language

WORD, CHAR, EXTRA = 0, 1, 2
BLOCKS = ("words", "characters", "extras")
_LENGTH_BANDS = ("0", "1", "2-3", "4-7", "8-15", "16+")
# Band edges of the reply-context cosine, per block (set once for bench/dev_events.py, not tuned;
# that script reads them from here).
COSINE_EDGES = {WORD: (1e-9, 0.05, 0.1, 0.2, 0.35), CHAR: (0.1, 0.2, 0.3, 0.4, 0.5)}
# Words every hashtag segmentation may use, whatever the training texts held.
_SEGMENT_WORDS = frozenset({"a", "i", "no", "we", "us", "me", "my", "is", "to", "of", "in", "on", "it", "be"})


def _band_labels(edges: tuple[float, ...]) -> list[str]:
    """Names of the bands that ``edges`` cut: "0", "<0.05", "0.05-0.1", ..., "0.35+"."""
    first = ["0", f"<{edges[1]:g}"] if edges[0] < 1e-6 else [f"<{edges[0]:g}"]
    start = 1 if edges[0] < 1e-6 else 0
    return first + [f"{a:g}-{b:g}" for a, b in zip(edges[start:-1], edges[start + 1 :])] + [f"{edges[-1]:g}+"]


def _length_band(lengths: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.array([1, 2, 4, 8, 16]), lengths, side="right")


@dataclass
class Occurrences:
    """Where each feature occurs in a batch: block, row (document) and column, one entry per occurrence.

    Word n-grams come first as one entry per token (unigrams, in token order), then the
    longer n-grams. Character n-grams are kept per token (``token_doc``, ``token_row``) so
    that scoring can use per-word sums instead of expanding them. ``negated`` marks tokens
    inside a negation's scope (None when there is none).
    """

    n: int
    word_rows: np.ndarray
    word_cols: np.ndarray
    extra_rows: np.ndarray
    extra_cols: np.ndarray
    token_doc: np.ndarray
    token_row: np.ndarray
    negated: np.ndarray | None


class Featurizer:
    """Hashed sparse features for replies, computed with spaCy.

    The featurizing engine; :class:`~stance.estimators.SpacyFeatures` adds the
    scikit-learn estimator contract to it.

    Parameters
    ----------
    spacy_pipeline : str, default="blank"
        ``"blank"`` for ``spacy.blank("en")`` plus stance's rule-based components, or the
        name of an installed trained spaCy pipeline (adds POS and dependency features).
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
    context_cosine : bool, default=False
        Also mark, in the extras block, the band of the cosine between the reply and its
        ``context`` in the word block and in the character block (with the idf weights).
        Each distinct context is featurized once and remembered.
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
        spacy_pipeline: str = BLANK,
        n_features: int = 2**18,
        word_ngrams: int = 2,
        char_ngrams: tuple[int, int] | None = (2, 5),
        negation: bool = True,
        extras: bool = True,
        extras_weight: float = 0.2,
        hashtags: bool = False,
        context_cosine: bool = False,
        idf: bool = True,
        batch_size: int = 2000,
    ) -> None:
        self.spacy_pipeline = spacy_pipeline
        self.n_features = n_features
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.negation = negation
        self.extras = extras
        self.extras_weight = extras_weight
        self.hashtags = hashtags
        self.context_cosine = context_cosine
        self.idf = idf
        self.batch_size = batch_size

    PARAMS = ("spacy_pipeline", "n_features", "word_ngrams", "char_ngrams", "negation", "extras",
              "extras_weight", "hashtags", "context_cosine", "idf", "batch_size")

    # -- fit, transform, score ---------------------------------------------------------
    def fit(self, X: object, y: object = None) -> "Featurizer":
        """Load the spaCy pipeline, learn the hashtag word list and the idf weights."""
        if self.word_ngrams not in (1, 2, 3):
            raise InputError(Errors.E101.format(value=self.word_ngrams))
        if self.char_ngrams is not None and not (1 <= self.char_ngrams[0] <= self.char_ngrams[1]):
            raise InputError(Errors.E102.format(value=self.char_ngrams))
        examples = to_examples(X)
        counts: Counter[str] = Counter()
        for text in examples.texts:
            counts.update(w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 1)
        self.segment_vocabulary_ = frozenset(w for w, c in counts.items() if c >= 2) | _SEGMENT_WORDS
        self.block_weights_ = np.array([1.0, 1.0 if self.char_ngrams else 0.0, self.extras_weight if self.extras else 0.0])
        self.idf_ = np.ones((3, self.n_features))
        self._start()
        if self.idf and len(examples):
            df = np.zeros((3, self.n_features))
            for occ in self.occurrences(examples):
                for block, (rows, cols) in enumerate(self._block_entries(occ)):
                    pairs = np.unique(rows * self.n_features + cols)
                    df[block] += np.bincount(pairs % self.n_features, minlength=self.n_features)
            self.idf_ = np.log((1.0 + len(examples)) / (1.0 + df)) + 1.0
            self._forget_posts()  # their vectors were weighted without the idf
        return self

    def transform(self, X: object) -> sp.csr_matrix:
        """Featurize ``X`` into a ``(n_samples, 3 * n_features)`` CSR matrix."""
        import scipy.sparse as sp

        self.check_fitted("transform")
        parts = [self._matrix(occ) for occ in self.occurrences(to_examples(X))]
        if not parts:
            return sp.csr_matrix((0, 3 * self.n_features))
        return sp.vstack(parts, format="csr") if len(parts) > 1 else parts[0]

    def linear_scores(self, X: object, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
        """``transform(X) @ coef.T + intercept``, computed without building the matrix.

        Per-word sums of the character block are cached per ``coef`` (by identity), so
        pass the same array each time.
        """
        self.check_fitted("linear_scores")
        out = [self._linear(occ, coef, intercept) for occ in self.occurrences(to_examples(X))]
        return np.vstack(out) if out else np.zeros((0, coef.shape[0]))

    def decision_function(self, X: object, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
        """Deprecated name of :meth:`linear_scores` (a classifier's method name, with another signature)."""
        import warnings

        warnings.warn(Warnings.W001.format(old="Featurizer.decision_function", new="Featurizer.linear_scores"), DeprecationWarning, stacklevel=2)
        return self.linear_scores(X, coef, intercept)

    def check_fitted(self, method: str = "transform") -> None:
        if not hasattr(self, "idf_"):
            raise NotFittedError(Errors.E015.format(name=type(self).__name__, method=method))

    # -- state: parameters, fitted arrays and the word list; spaCy and caches are rebuilt --
    def to_state(self) -> dict[str, Any]:
        """The parameters and fitted state as plain values and arrays (see stance.artifact)."""
        self.check_fitted("to_state")
        params = {name: getattr(self, name) for name in self.PARAMS}
        params["char_ngrams"] = list(self.char_ngrams) if self.char_ngrams else None
        return {
            "params": params,
            "idf": self.idf_,
            "block_weights": self.block_weights_,
            "segment_vocabulary": np.array(sorted(self.segment_vocabulary_), dtype=str),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "Featurizer":
        params = dict(state["params"])
        if params.get("char_ngrams") is not None:
            params["char_ngrams"] = tuple(int(n) for n in params["char_ngrams"])
        unknown = sorted(set(params) - set(cls.PARAMS))
        if unknown:  # a newer stance's feature would be silently missing
            raise InputError(Errors.E111.format(params=", ".join(unknown)))
        # parameters added since a file was written take their defaults
        featurizer = cls(**{name: params[name] for name in cls.PARAMS if name in params})
        featurizer.idf_ = np.asarray(state["idf"], dtype=np.float64)
        featurizer.block_weights_ = np.asarray(state["block_weights"], dtype=np.float64)
        featurizer.segment_vocabulary_ = frozenset(str(w) for w in state["segment_vocabulary"])
        featurizer._start()
        return featurizer

    _TRANSIENT = ("nlp_", "rules_", "syntax_", "_vocab_start", "_cache", "_score_cache", "_posts", "_post_entries", "_post_lookup")

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in self._TRANSIENT}

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        if "pipeline" in state:  # stance 0.1 called the spaCy pipeline's name "pipeline"
            state["spacy_pipeline"] = state.pop("pipeline")
        if isinstance(state.get("idf_"), dict):  # stance 0.1 stored it compacted in the pickle
            from ..arrays import expand_array

            state["idf_"] = expand_array(state["idf_"])
        state.setdefault("context_cosine", False)  # added in stance 0.2
        self.__dict__.update(state)
        if "idf_" in state:
            self._start()

    def _start(self) -> None:
        """Load the spaCy pipeline and start empty caches (after fit or loading)."""
        self._use_nlp(make_nlp(self.spacy_pipeline))
        self.syntax_ = has_syntax(self.nlp_)
        self._cache = WordCache(self)
        self._score_cache: dict[int, tuple[np.ndarray, int, Growing]] = {}
        self._forget_posts()
        self._post_lookup: np.ndarray | None = None

    def _forget_posts(self) -> None:
        self._posts: dict[str, tuple[tuple[np.ndarray, np.ndarray], ...]] = {}  # context -> its block vectors
        self._post_entries = 0  # total (column, value) entries kept in _posts

    # -- per-word features -------------------------------------------------------------
    def column(self, namespace: np.uint64, text: str) -> int:
        return key(namespace, text) % self.n_features

    def word_extras(self, text: str) -> list[tuple[str, int]]:
        """(name, column) of a token's own extras: surface marks and hashtag words."""
        if not self.extras:
            return []
        names = word_marks(text)
        if self.hashtags and text.startswith("#") and len(text) > 1:
            names += [f"#{word}" for word in segment_hashtag(text, self.segment_vocabulary_)]
        return [(name, self.mark_column(name)) for name in names]

    def mark_column(self, name: str) -> int:
        """The extras column of a named feature. Every extras feature is named through
        here, so explanations can name the columns back (see stance.features.explain)."""
        marks = self._cache.marks
        column = marks.get(name)
        if column is None:
            column = marks[name] = self.column(NS_MARK, name)
        return column

    # -- batches -------------------------------------------------------------------------
    def occurrences(self, examples: Examples) -> Iterator[Occurrences]:
        """An :class:`Occurrences` per batch of ``batch_size`` examples."""
        for start in range(0, len(examples), self.batch_size):
            stop = start + self.batch_size
            with paused_gc():
                batch = self.batch(examples.texts[start:stop], examples.contexts[start:stop], examples.targets[start:stop])
            yield batch

    def _read_docs(self, texts: list[str]) -> tuple[list[np.ndarray], list[list[tuple[int, str]]]]:
        """Each doc's ORTH ids (and syntax feature names with a trained pipeline).

        Our rule-based components are skipped here: :class:`~stance.nlp.Rules` applies the
        same rules to the whole batch in :meth:`batch`, which is cheaper than per doc.
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
    # The posts' vectors kept for the context cosine start over past this many entries (about
    # 50 MB; a tweet-length post has a few hundred), so a dump of many posts stays bounded.
    post_entries_limit = 4_000_000

    def _use_nlp(self, nlp: Language) -> None:
        self.nlp_ = nlp
        self.rules_ = rules_of(nlp)
        self._vocab_start = len(nlp.vocab)  # a trained pipeline may start with many lexemes

    def _renew_nlp(self) -> None:
        if make_nlp(self.spacy_pipeline) is self.nlp_:  # the shared, cached pipeline is the big one
            make_nlp.cache_clear()
        self._use_nlp(make_nlp(self.spacy_pipeline))

    def cache_rows(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list]:
        """Tokenize ``texts``: (tokens per text, each token's word-cache row, syntax names)."""
        if len(self.nlp_.vocab) > self._vocab_start + self.vocab_limit:
            self._renew_nlp()
        orths, syntax = self._read_docs(texts)
        lengths = np.fromiter((len(o) for o in orths), dtype=np.int64, count=len(texts))
        flat = np.concatenate(orths) if texts else np.zeros(0, dtype=U64)
        unique, inverse = np.unique(flat, return_inverse=True)
        token_row = self._cache.rows(unique.tolist(), self.nlp_.vocab)[inverse]
        return lengths, token_row, syntax

    def batch(self, texts: list[str], contexts: list[str | None], targets: list[str | None]) -> Occurrences:
        """The feature occurrences of one batch of texts."""
        n = len(texts)
        cosine = self.extras and self.context_cosine and any(c is not None for c in contexts)
        if cosine:  # before this batch's words enter the word cache, which may start over
            self._remember_posts(contexts)
        lengths, token_row, syntax = self.cache_rows(texts)
        token_doc = np.repeat(np.arange(n), lengths)
        arrays = self._cache.arrays()
        negator = arrays.negator[token_row]
        negated = (
            self.rules_.negation_scope(negator, arrays.punct[token_row], np.cumsum(lengths) - lengths)
            if negator.any()
            else None
        )

        # words: unigrams (negated inside a negation's scope) and n-grams within a document
        word_ids = arrays.word_id[token_row]
        unigram = mix(word_ids, NS_WORD)
        if self.negation and negated is not None:
            unigram = np.where(negated, mix(word_ids, NS_NEG), unigram)
        word_cols = [unigram]
        word_rows = [token_doc]
        for k, namespace in ((2, NS_BIGRAM), (3, NS_TRIGRAM)):
            if self.word_ngrams < k or len(token_row) < k:
                break
            inside = token_doc[: len(token_row) - k + 1] == token_doc[k - 1 :]
            word_cols.append(mix(ngram_keys(word_ids, k), namespace)[inside])
            word_rows.append(token_doc[: len(token_row) - k + 1][inside])

        # extras: per-word marks, then document-level features
        extra_rows: list[np.ndarray] = []
        extra_cols: list[np.ndarray] = []
        if self.extras:
            cols, owner = ragged_gather(arrays.extra_flat, arrays.extra_ptr, token_row)
            extra_cols.append(cols)
            extra_rows.append(token_doc[owner])
            rows, cols = self._document_columns(lengths, token_doc, token_row, arrays, negated, contexts, targets, syntax)
            extra_rows.append(rows)
            extra_cols.append(cols)
        size = U64(self.n_features)
        word_rows = np.concatenate(word_rows)
        word_cols = (np.concatenate(word_cols) % size).astype(np.int64)
        if cosine:
            rows, cols = self._cosine_columns(n, contexts, word_rows, word_cols, token_doc, token_row)
            extra_rows.append(rows)
            extra_cols.append(cols)
        return Occurrences(
            n=n,
            word_rows=word_rows,
            word_cols=word_cols,
            extra_rows=np.concatenate(extra_rows) if extra_rows else np.zeros(0, dtype=np.int64),
            extra_cols=np.concatenate(extra_cols) if extra_cols else np.zeros(0, dtype=np.int64),
            token_doc=token_doc,
            token_row=token_row,
            negated=negated,
        )

    def _document_columns(
        self, lengths, token_doc, token_row, arrays: WordArrays, negated, contexts, targets, syntax
    ) -> tuple[np.ndarray, np.ndarray]:
        """Document-level extras (cues, length, context and target relations, syntax) as
        (row, column) arrays, one entry per occurrence."""
        n = len(lengths)
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []

        def add(doc_rows: np.ndarray | list[int], name: str | np.ndarray) -> None:
            doc_rows = np.asarray(doc_rows, dtype=np.int64)
            rows.append(doc_rows)
            cols.append(np.full(len(doc_rows), self.mark_column(name), dtype=np.int64) if isinstance(name, str) else name)

        # cue phrases, marked as negated when they start inside a negation's scope
        candidates = np.flatnonzero(arrays.cue_first[token_row])
        starts, _, categories = self.rules_.cue_matches(arrays.lower[token_row], token_doc, candidates)
        if len(starts):
            table = np.array(
                [[self.mark_column(f"[{prefix}{c} cue]") for prefix in ("", "negated ")] for c in self.rules_.categories],
                dtype=np.int64,
            )
            in_scope = negated[starts].astype(np.int64) if negated is not None else np.zeros(len(starts), dtype=np.int64)
            add(token_doc[starts], table[categories, in_scope])
        wordlike = np.bincount(token_doc, weights=arrays.wordlike[token_row], minlength=n)
        add(np.flatnonzero((wordlike == 0) & (lengths > 0)), "[no words]")
        bands = np.array([self.mark_column(f"[length {b}]") for b in _LENGTH_BANDS], dtype=np.int64)
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

    def _remember_posts(self, contexts: list[str | None]) -> None:
        """Featurize the contexts not seen yet, one batch, and keep each one's word and
        character vectors (as in :meth:`transform`, without the block weights) as sorted
        (columns, values)."""
        import scipy.sparse as sp

        new = list(dict.fromkeys(c for c in contexts if c is not None and c not in self._posts))
        if not new:
            return
        if self._post_entries > self.post_entries_limit:
            needed = set(contexts)  # start over, but keep what this batch reads
            self._posts = {c: vectors for c, vectors in self._posts.items() if c in needed}
            self._post_entries = sum(len(cols) for vectors in self._posts.values() for cols, _ in vectors)
        occ = self.batch(new, [None] * len(new), [None] * len(new))
        vectors = []
        for block, (rows, cols) in enumerate(self._block_entries(occ)[: 2 if self.block_weights_[CHAR] else 1]):
            matrix = sp.csr_matrix((self._entry_values(block, rows, cols, occ.n, 1.0), (rows, cols)), shape=(occ.n, self.n_features))
            matrix.sum_duplicates()
            matrix.sort_indices()
            vectors.append(matrix)
        for i, context in enumerate(new):
            self._posts[context] = tuple((v.indices[v.indptr[i] : v.indptr[i + 1]], v.data[v.indptr[i] : v.indptr[i + 1]]) for v in vectors)
        self._post_entries += sum(v.nnz for v in vectors)

    def _dense_post(self) -> np.ndarray:
        """A zeroed array over one block's columns, reused (callers leave it zeroed)."""
        if self._post_lookup is None:
            self._post_lookup = np.zeros(self.n_features)
        return self._post_lookup

    def _post_values(self, block: int, posts: list[str], cols: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        """Each post's value in ``cols``, where ``cols[bounds[j]:bounds[j + 1]]`` are the
        columns looked up in post j: the post is spread over one dense array, read, cleared."""
        out = np.zeros(len(cols))
        dense = self._dense_post()
        for j, context in enumerate(posts):
            post_cols, values = self._posts[context][block]
            dense[post_cols] = values
            try:
                out[bounds[j] : bounds[j + 1]] = dense[cols[bounds[j] : bounds[j + 1]]]
            finally:  # cleared even on Ctrl-C, or the next post would read this one's values
                dense[post_cols] = 0.0
        return out

    def _cosine_columns(self, n: int, contexts, word_rows, word_cols, token_doc, token_row) -> tuple[np.ndarray, np.ndarray]:
        """One band mark per block for each row with a context: the cosine of the reply
        and its context in that block.

        A reply's value in a column is the sum over its occurrences of idf / norm, so its
        dot product with the post is the sum over its occurrences of idf * (the post's value
        in that column) / norm: no matrix of the replies is needed. Words are looked up per
        (post, column) pair and character n-grams per (post, word) pair, each pair once."""
        with_post = np.array([i for i, c in enumerate(contexts) if c is not None], dtype=np.int64)
        posts = list(dict.fromkeys(contexts[i] for i in with_post))  # a thread's replies share one post
        position = {c: j for j, c in enumerate(posts)}
        post_of = np.full(n, -1, dtype=np.int64)
        post_of[with_post] = [position[contexts[i]] for i in with_post]
        cosines = [self._pair_cosine(WORD, n, posts, post_of, word_rows, word_cols, None)]
        if self.block_weights_[CHAR]:
            cosines.append(self._pair_cosine(CHAR, n, posts, post_of, token_doc, token_row, self._cache.arrays()))
        out_rows, out_cols = [], []
        for block, cosine in enumerate(cosines):
            edges = COSINE_EDGES[block]
            names = [f"[{BLOCKS[block][:-1]} cosine with the context {label}]" for label in _band_labels(edges)]
            table = np.array([self.mark_column(name) for name in names], dtype=np.int64)
            out_rows.append(with_post)
            out_cols.append(table[np.searchsorted(np.asarray(edges), cosine[with_post], side="right")])
        return np.concatenate(out_rows), np.concatenate(out_cols)

    def _pair_cosine(self, block: int, n: int, posts: list[str], post_of: np.ndarray, rows: np.ndarray, units: np.ndarray,
                     arrays: WordArrays | None) -> np.ndarray:
        """Cosine of each row with its post (0 without one) in ``block``. ``units`` are
        word-block columns (``arrays`` None) or word-cache rows whose character n-grams
        are the columns."""
        keep = post_of[rows] >= 0
        rows, units = rows[keep], units[keep]
        span = np.int64(self.n_features if arrays is None else len(arrays.char_ptr) - 1)
        pairs, inverse = np.unique(post_of[rows] * span + units, return_inverse=True)  # sorted by post
        pair_post, pair_unit = np.divmod(pairs, span)
        if arrays is None:
            cols, owner = pair_unit, np.arange(len(pairs))
        else:
            cols, owner = ragged_gather(arrays.char_flat, arrays.char_ptr, pair_unit)
        bounds = np.searchsorted(pair_post[owner], np.arange(len(posts) + 1))
        idf = self.idf_[block][cols]
        dots = np.bincount(owner, weights=idf * self._post_values(block, posts, cols, bounds), minlength=len(pairs))
        squares = np.bincount(owner, weights=idf**2, minlength=len(pairs))
        norm = np.sqrt(np.bincount(rows, weights=squares[inverse], minlength=n))
        norm[norm == 0] = 1.0
        return np.bincount(rows, weights=dots[inverse], minlength=n) / norm

    def _target_columns(self, targets, token_doc, token_row, arrays: WordArrays, add) -> None:
        """Each row's target, and whether the reply mentions it (a word, or a word of a hashtag)."""
        by_target: dict[str, list[int]] = {}
        for i, target in enumerate(targets):
            if target is not None:
                by_target.setdefault(target, []).append(i)
        for target, docs in by_target.items():
            target_ids = np.array([hash_string(w) for w in self._target_words(target)], dtype=U64)
            in_docs = np.zeros(len(targets), dtype=bool)
            in_docs[docs] = True
            tokens = np.flatnonzero(in_docs[token_doc])
            words, owner = ragged_gather(arrays.words_flat, arrays.words_ptr, token_row[tokens])
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
                hash_string(normalise(t.text)) for t in self.nlp_.tokenizer(context)
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
    def _block_entries(self, occ: Occurrences) -> list[tuple[np.ndarray, np.ndarray]]:
        arrays = self._cache.arrays()
        char_cols, owner = ragged_gather(arrays.char_flat, arrays.char_ptr, occ.token_row)
        return [
            (occ.word_rows, occ.word_cols),
            (occ.token_doc[owner], char_cols),
            (occ.extra_rows, occ.extra_cols),
        ]

    def _matrix(self, occ: Occurrences) -> sp.csr_matrix:
        import scipy.sparse as sp

        rows, cols, data = [], [], []
        for block, (block_rows, block_cols) in enumerate(self._block_entries(occ)):
            weight = self.block_weights_[block]
            if weight == 0 or not len(block_cols):
                continue
            rows.append(block_rows)
            cols.append(block_cols + block * self.n_features)
            data.append(self._entry_values(block, block_rows, block_cols, occ.n, weight))
        if not rows:
            return sp.csr_matrix((occ.n, 3 * self.n_features))
        matrix = sp.csr_matrix(
            (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(occ.n, 3 * self.n_features)
        )
        matrix.sum_duplicates()
        return matrix

    def _entry_values(self, block: int, rows: np.ndarray, cols: np.ndarray, n: int, weight: float) -> np.ndarray:
        """Each occurrence's value in the matrix: its idf over its row's norm in the block, times the block's weight."""
        idf = self.idf_[block][cols]
        norm = np.sqrt(np.bincount(rows, weights=idf**2, minlength=n))
        norm[norm == 0] = 1.0
        return idf * (weight / norm)[rows]

    def _linear(self, occ: Occurrences, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
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
        entry = self._score_cache.get(id(coef))
        generation = self._cache.generation
        if entry is None or entry[0] is not coef or entry[1] != generation:
            entry = (coef, generation, Growing(np.float64, width=coef.shape[0] + 1))
            if len(self._score_cache) > 8:
                self._score_cache.clear()
            self._score_cache[id(coef)] = entry
        per_word = entry[2]
        arrays = self._cache.arrays()
        n_words = len(arrays.char_ptr) - 1
        if per_word.n < n_words:
            new = np.arange(per_word.n, n_words)
            cols, owner = ragged_gather(arrays.char_flat, arrays.char_ptr, new)
            weighted = self._weighted(CHAR, cols, coef)
            per_word.extend(np.column_stack([np.bincount(owner, weights=row, minlength=len(new)) for row in weighted]))
        return per_word.view()

    @property
    def word_cache(self) -> WordCache:
        return self._cache
