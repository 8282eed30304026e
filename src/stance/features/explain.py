"""Explain: name the columns a text sets, in words a reader recognises.

Character n-grams are named after their word, word n-grams after their words, and every
extras column after the name it was hashed from (see :meth:`Featurizer.mark_column`). The
names come from the same batch step that featurizes, so every listed column is one that
``transform`` sets for the text.
"""

from __future__ import annotations

from .featurizer import CHAR, EXTRA, WORD, Featurizer
from .words import ragged_gather


def named_features(
    featurizer: Featurizer, text: str, *, context: str | None = None, target: str | None = None
) -> list[tuple[str, int]]:
    """(readable name, column) of every feature of one text, columns counted over all blocks."""
    featurizer.check_fitted("named_features")
    occ = featurizer.batch([text], [context], [target])
    cache = featurizer.word_cache
    arrays = cache.arrays()
    forms = [cache.form[r] for r in occ.token_row.tolist()]
    d = featurizer.n_features
    weights = featurizer.block_weights_
    named: list[tuple[str, int]] = []
    # word block: one unigram per token first (negated inside a negation's scope), then n-grams
    n_tokens = len(forms)
    for i, (form, column) in enumerate(zip(forms, occ.word_cols[:n_tokens].tolist())):
        negated = featurizer.negation and occ.negated is not None and occ.negated[i]
        named.append((f"not '{form}'" if negated else form, column + WORD * d))
    position = n_tokens
    for k in (2, 3):
        count = max(0, n_tokens - k + 1) if featurizer.word_ngrams >= k else 0
        for i, column in enumerate(occ.word_cols[position : position + count].tolist()):
            named.append((" ".join(forms[i : i + k]), column + WORD * d))
        position += count
    if weights[CHAR]:
        chars, owner = ragged_gather(arrays.char_flat, arrays.char_ptr, occ.token_row)
        named.extend((forms[o], c + CHAR * d) for c, o in zip(chars.tolist(), owner.tolist()))
    if weights[EXTRA]:
        # Two names hashed to one column would show the later one.
        name_of = {column: name for name, column in cache.marks.items()}
        named.extend((name_of[c], c + EXTRA * d) for c in occ.extra_cols.tolist())
    return named
