"""Fast hashed n-gram featurizer built on spaCy tokens.

Design (all per batch, vectorised with numpy):
  * tokenize with spacy.blank("en"), take ORTH hashes with doc.to_array([ORTH]);
  * np.unique over the batch's ORTH hashes; every unique word form is looked up in a
    persistent cache (dict: ORTH hash -> row) holding its normalised word id, flags and
    its hashed char n-grams / lexical features (computed once per word form, Zipf);
  * word 1..k-grams are hashed vectorised from the per-token word ids (no crossing of
    document boundaries); optional negation scope marking changes the unigram id;
  * per-doc char/lexical features = (doc x unique-word count matrix) @ (unique x features);
  * each block gets sublinear tf, idf (fitted on the training rows), L2 norm and a weight.

Rows given to fit/transform are either strings or dicts with "text" (and optionally
"target"; with target_conj=True each feature is duplicated as shared + target-specific).
"""
from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp
import spacy
from murmurhash.mrmr import hash as mhash
from spacy.attrs import ORTH

NEG_CUES = {"not", "no", "never", "n't", "nt", "cannot", "nothing", "nobody", "none",
            "nor", "neither", "nowhere", "dont", "doesnt", "didnt", "isnt", "wasnt",
            "cant", "wont", "aint", "arent", "shouldnt", "wouldnt", "couldnt"}
BREAK_RE = re.compile(r"^[.,!?;:]+$|^\.\.+$|^[\u2026]$")
ELONG_RE = re.compile(r"(.)\1{2,}")
CAMEL_RE = re.compile(r"[A-Z]{2,}(?=[A-Z][a-z]|\d|$)|[A-Z]?[a-z]+|[A-Z]+|\d+")
URL_RE = re.compile(r"^(https?://|www\.)")

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_NEG_SALT = np.uint64(0x5BD1E9955BD1E995)


def _mix(a, b):
    """Order-dependent 64-bit mix of two uint64 arrays (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        h = (a * _M1) ^ (b + _M2 + (a << np.uint64(6)) + (a >> np.uint64(2)))
        h ^= h >> np.uint64(31)
        h *= _M2
        h ^= h >> np.uint64(29)
    return h


def _h32(s: str, seed: int) -> int:
    return mhash(s, seed) & 0xFFFFFFFF


class WordSplitter:
    """Greedy/DP split of an all-lowercase hashtag into known words (unigram LM)."""

    def __init__(self, counts: dict[str, int], max_len: int = 20):
        total = sum(counts.values()) or 1
        self.logp = {w: np.log(c / total) for w, c in counts.items()
                     if len(w) > 1 or w in ("a", "i")}
        self.max_len = max_len
        self.unk = np.log(1.0 / total) - 5.0

    def split(self, s: str) -> list[str] | None:
        n = len(s)
        best = [0.0] + [-1e18] * n
        back = [0] * (n + 1)
        for i in range(1, n + 1):
            for j in range(max(0, i - self.max_len), i):
                w = s[j:i]
                lp = self.logp.get(w)
                if lp is None:
                    continue
                sc = best[j] + lp
                if sc > best[i]:
                    best[i], back[i] = sc, j
        if best[n] <= -1e17:
            return None
        out, i = [], n
        while i > 0:
            out.append(s[back[i]:i])
            i = back[i]
        out.reverse()
        return out if len(out) > 1 else None


class HashFeaturizer:
    def __init__(self, n_bits=20, word_ngrams=2, char_ngrams=(2, 5), negation=True,
                 hashtag_seg=True, emphasis=True, target_conj=False, conj_shared=1.0,
                 word_weight=1.0, char_weight=1.0, lex_weight=0.5, sublinear=True,
                 use_idf=True, normalize_elong=True, fast_norm=False):
        self.n_bits = n_bits
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.negation = negation
        self.hashtag_seg = hashtag_seg
        self.emphasis = emphasis
        self.target_conj = target_conj
        self.conj_shared = conj_shared
        self.word_weight = word_weight
        self.char_weight = char_weight
        self.lex_weight = lex_weight
        self.sublinear = sublinear
        self.use_idf = use_idf
        self.normalize_elong = normalize_elong
        # fast_norm: x_f = count_f * idf_f / sqrt(sum_f count_f * idf_f^2); linear in the
        # token stream, so predict can sum cached per-word score vectors (no matmul)
        self.fast_norm = fast_norm
        self.nlp = spacy.blank("en")
        self._reset_cache()

    # ------------------------------------------------------------------ cache
    def _reset_cache(self):
        self._index: dict[int, int] = {}
        self._wid: list[int] = []
        self._neg: list[bool] = []
        self._brk: list[bool] = []
        self._char: list[np.ndarray] = []
        self._lex: list[np.ndarray] = []
        self._arrays = None
        self.splitter: WordSplitter | None = None

    def _norm(self, s: str) -> str:
        low = s.lower()
        if URL_RE.match(low):
            return "<url>"
        if self.normalize_elong:
            low = ELONG_RE.sub(r"\1\1", low)
        return low

    def _add_word(self, orth: int) -> int:
        s = self.nlp.vocab.strings[orth]
        norm = self._norm(s)
        D = 1 << self.n_bits
        mask = D - 1
        wid = _h32(norm, 1) | (_h32(norm, 2) << 32)
        chars = []
        if self.char_ngrams and norm != "<url>" and not norm.startswith("@"):
            lo, hi = self.char_ngrams
            padded = " " + norm + " "
            L = len(padded)
            for n in range(lo, hi + 1):
                if n > L:
                    break
                for i in range(L - n + 1):
                    chars.append(_h32(padded[i:i + n], 3) & mask)
        lex = []
        if self.emphasis:
            if ELONG_RE.search(s.lower()):
                lex.append(_h32("__ELONG__", 4) & mask)
            if len(s) >= 3 and s.isupper() and s.isalpha():
                lex.append(_h32("__ALLCAPS__", 4) & mask)
                lex.append(_h32("CAPS_" + norm, 4) & mask)
        if self.hashtag_seg and len(s) >= 4 and s.isalpha():
            parts = None
            if not s.islower() and not s.isupper():
                parts = [p.lower() for p in CAMEL_RE.findall(s)]
                if len(parts) < 2:
                    parts = None
            elif s.islower() and self.splitter is not None and len(s) >= 6 \
                    and norm not in self.splitter.logp:
                parts = self.splitter.split(norm)
            if parts:
                for p in parts:
                    lex.append(_h32("SEG_" + p, 4) & mask)
                for a, b in zip(parts, parts[1:]):
                    lex.append(_h32("SEG_" + a + " " + b, 4) & mask)
        idx = len(self._wid)
        self._index[orth] = idx
        self._wid.append(wid)
        self._neg.append(norm in NEG_CUES)
        self._brk.append(bool(BREAK_RE.match(norm)))
        self._char.append(np.asarray(chars, dtype=np.int64))
        self._lex.append(np.asarray(lex, dtype=np.int64))
        self._arrays = None
        return idx

    # ------------------------------------------------------------- raw counts
    @staticmethod
    def _texts(rows):
        if rows and isinstance(rows[0], dict):
            return [r["text"] for r in rows], [r.get("target") for r in rows]
        return list(rows), [None] * len(rows)

    def _tokenize(self, texts):
        arrs = [doc.to_array(ORTH) for doc in self.nlp.pipe(texts)]
        return arrs

    def _stream(self, arrs):
        """Token stream of a batch: (n_docs, doc id per token, cache row per token,
        unique cache rows, inverse index token -> unique, doc-start mask)."""
        n = len(arrs)
        lengths = np.fromiter((len(a) for a in arrs), dtype=np.int64, count=n)
        orths = np.concatenate(arrs) if n else np.zeros(0, dtype=np.uint64)
        uniq, inv = np.unique(orths, return_inverse=True)
        index = self._index
        rows = np.empty(len(uniq), dtype=np.int64)
        for k, u in enumerate(uniq.tolist()):
            r = index.get(u)
            rows[k] = self._add_word(u) if r is None else r
        if self._arrays is None:
            self._arrays = (np.asarray(self._wid, dtype=np.uint64),
                            np.asarray(self._neg, dtype=bool),
                            np.asarray(self._brk, dtype=bool))
        doc = np.repeat(np.arange(n), lengths)
        starts = np.zeros(len(orths), dtype=bool)
        offs = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if n else np.zeros(0, np.int64)
        starts[offs[lengths > 0]] = True
        return n, doc, rows[inv], rows, inv, starts

    def _word_entries(self, doc, tok_rows, starts):
        """(doc, hashed column) of every word n-gram occurrence."""
        mask = np.uint64((1 << self.n_bits) - 1)
        wid_all, neg_all, brk_all = self._arrays
        wid = wid_all[tok_rows]
        N = len(wid)
        uni = wid
        if self.negation and N:
            neg = neg_all[tok_rows]
            brk = brk_all[tok_rows]
            pos2 = 2 * np.arange(N)
            last_neg = np.maximum.accumulate(np.where(neg, pos2, -10))
            last_brk = np.maximum.accumulate(
                np.maximum(np.where(brk, pos2, -10), np.where(starts, pos2 - 1, -10)))
            scope = (last_neg > last_brk) & ~neg & ~brk
            uni = np.where(scope, wid ^ _NEG_SALT, wid)
        cols = [(uni & mask).astype(np.int64)]
        rws = [doc]
        prev = wid
        for k in range(2, self.word_ngrams + 1):
            if N < k:
                break
            same = doc[k - 1:] == doc[:N - k + 1]
            h = _mix(prev[:-1], wid[k - 1:])
            cols.append((h[same] & mask).astype(np.int64))
            rws.append(doc[:N - k + 1][same])
            prev = h
        return np.concatenate(rws), np.concatenate(cols)

    def _raw(self, arrs):
        """Return raw count matrices (word, char, lex), each n_docs x D."""
        D = 1 << self.n_bits
        n, doc, tok_rows, rows, inv, starts = self._stream(arrs)
        r, c = self._word_entries(doc, tok_rows, starts)
        Xw = sp.csr_matrix((np.ones(len(r), dtype=np.float64), (r, c)), shape=(n, D))
        Cdu = sp.csr_matrix((np.ones(len(doc)), (doc, inv)), shape=(n, len(rows)))
        out = [Xw]
        for store, on in ((self._char, bool(self.char_ngrams)), (self._lex, True)):
            if not on:
                out.append(None)
                continue
            U = self._rows_matrix(store, rows)
            out.append((Cdu @ U).tocsr())
        return out

    def _rows_matrix(self, store, rows):
        D = 1 << self.n_bits
        parts = [store[i] for i in rows]
        lens = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
        ind = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        indptr = np.concatenate([[0], np.cumsum(lens)])
        return sp.csr_matrix((np.ones(len(ind)), ind, indptr), shape=(len(rows), D))

    # -------------------------------------------------------------- weighting
    def _weight(self, X, idf, w):
        X = X.copy()
        if self.fast_norm:
            idv = idf[X.indices] if idf is not None else np.ones(len(X.data))
            sq = np.zeros(X.shape[0])
            nz = np.diff(X.indptr) > 0
            if nz.any():
                sq[nz] = np.add.reduceat(X.data * idv ** 2, X.indptr[:-1][nz])
            sq = np.sqrt(sq)
            sq[sq == 0] = 1.0
            X.data *= idv * np.repeat(w / sq, np.diff(X.indptr))
            return X
        if self.sublinear:
            np.log1p(X.data, out=X.data)
        if idf is not None:
            X.data *= idf[X.indices]
        sq = np.zeros(X.shape[0])
        nz = np.diff(X.indptr) > 0
        if nz.any():
            sq[nz] = np.add.reduceat(X.data ** 2, X.indptr[:-1][nz])
        sq = np.sqrt(sq)
        sq[sq == 0] = 1.0
        X.data *= np.repeat(w / sq, np.diff(X.indptr))
        return X

    def fit(self, rows, y=None):
        self._reset_cache()
        texts, targets = self._texts(rows)
        self.targets_ = sorted({t for t in targets if t is not None})
        arrs = self._tokenize(texts)
        if self.hashtag_seg:
            counts: dict[str, int] = {}
            for a in arrs:
                for o in a.tolist():
                    w = self._norm(self.nlp.vocab.strings[o])
                    if w.isalpha():
                        counts[w] = counts.get(w, 0) + 1
            self.splitter = WordSplitter(counts)
        raw = self._raw(arrs)
        n = len(texts)
        self.idf_ = []
        for X in raw:
            if X is None or not self.use_idf:
                self.idf_.append(None)
                continue
            df = np.bincount(X.indices, minlength=X.shape[1])
            self.idf_.append(np.log((1.0 + n) / (1.0 + df)) + 1.0)
        return self

    def transform(self, rows):
        texts, targets = self._texts(rows)
        return self.transform_tokens(self._tokenize(texts), targets)

    def transform_tokens(self, arrs, targets=None):
        blocks = self.transform_blocks(arrs)
        X = sp.hstack(blocks, format="csr")
        if self.target_conj and self.targets_:
            X = self._conj(X, targets)
        return X

    def block_dims(self):
        D = 1 << self.n_bits
        return [D for X, w in zip(self.idf_, self._weights()) if w != 0]

    def _weights(self):
        return [self.word_weight, self.char_weight if self.char_ngrams else 0,
                self.lex_weight]

    def transform_blocks(self, arrs):
        """Weighted, normalised feature blocks (list of CSR), no stacking/conjunction."""
        raw = self._raw(arrs)
        return [self._weight(X, idf, w) for X, idf, w in zip(raw, self.idf_, self._weights())
                if w != 0 and X is not None]

    def target_ids(self, targets):
        tid = {t: i for i, t in enumerate(getattr(self, "targets_", []))}
        return np.array([tid.get(x, -1) for x in targets], dtype=np.int64)

    def _conj(self, X, targets):
        K = len(self.targets_)
        tid = {t: i for i, t in enumerate(self.targets_)}
        t = np.array([tid.get(x, -1) for x in targets])
        d = X.shape[1]
        nnz_row = np.diff(X.indptr)
        valid = np.repeat(t >= 0, nnz_row)
        off = np.repeat(np.maximum(t, 0) * d, nnz_row)
        Xs = sp.csr_matrix((np.where(valid, X.data, 0.0), X.indices + off, X.indptr),
                           shape=(X.shape[0], K * d))
        Xs.eliminate_zeros()
        return sp.hstack([X * self.conj_shared, Xs], format="csr")

    def fit_transform(self, rows, y=None):
        return self.fit(rows).transform(rows)
