"""Hashing: every feature becomes a 64-bit key, mixed with its family's namespace and folded
into a fixed number of columns, so featurizing needs no vocabulary.

Keys of strings are spaCy's 64-bit murmur hashes; word n-grams combine their words' keys;
character n-grams are a polynomial over code points, computed for a whole batch of words
in numpy.
"""

from __future__ import annotations

import numpy as np
from spacy.strings import hash_string

U64 = np.uint64
GOLDEN = U64(0x9E3779B97F4A7C15)
PAIR = U64(0xC2B2AE3D27D4EB4F)
CHAR_BASE = U64(0x100000001B3)  # the 64-bit FNV prime, as the base of character n-gram keys
_MASK64 = (1 << 64) - 1


def _namespace(name: str) -> np.uint64:
    return U64(hash_string("stance/ns/" + name))


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


def mix(keys: np.ndarray, namespace: np.uint64) -> np.ndarray:
    """Keys of one feature family, spread over 64 bits (vectorised)."""
    with np.errstate(over="ignore"):
        x = (keys.astype(U64, copy=False) ^ namespace) * GOLDEN
        return x ^ (x >> U64(29))


def key(namespace: np.uint64, text: str) -> int:
    """The key of one string: :func:`mix` in plain integer arithmetic (numpy is slow on scalars)."""
    x = ((hash_string(text) ^ int(namespace)) * int(GOLDEN)) & _MASK64
    return x ^ (x >> 29)


def ngram_keys(ids: np.ndarray, k: int) -> np.ndarray:
    """Keys of the k-grams of consecutive ``ids`` (``len(ids) - k + 1`` of them)."""
    combined = ids
    with np.errstate(over="ignore"):
        for offset in range(1, k):
            combined = combined[:-1] * PAIR + ids[offset:]
    return combined


def char_columns(forms: list[str], char_ngrams: tuple[int, int] | None, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """Character n-gram columns of many word forms at once: (flat columns, count per form).

    Each n-gram of the padded form (" word ") is keyed by a polynomial over its code
    points, seeded with n, then mixed and folded like every other key; computing them for
    a batch of new words in numpy is what keeps unseen words cheap. URLs and @-mentions
    get none.
    """
    counts = np.zeros(len(forms), dtype=np.int64)
    if not char_ngrams or not forms:
        return np.zeros(0, dtype=np.int64), counts
    lo, hi = char_ngrams
    padded = ["" if form == "<url>" or form.startswith("@") else f" {form} " for form in forms]
    lengths = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
    codes = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(U64)
    owner = np.repeat(np.arange(len(forms)), lengths)
    keys, owners = [], []
    with np.errstate(over="ignore"):
        for n in range(lo, hi + 1):
            m = len(codes) - n + 1
            if m <= 0:
                break
            ngram = np.full(m, n, dtype=U64)
            for j in range(n):
                ngram = ngram * CHAR_BASE + codes[j : j + m]
            inside = owner[:m] == owner[n - 1 : n - 1 + m]
            keys.append(ngram[inside])
            owners.append(owner[:m][inside])
    if not keys:
        return np.zeros(0, dtype=np.int64), counts
    owner_all = np.concatenate(owners)
    order = np.argsort(owner_all, kind="stable")
    columns = (mix(np.concatenate(keys)[order], NS_CHAR) % U64(n_features)).astype(np.int64)
    return columns, np.bincount(owner_all, minlength=len(forms))
