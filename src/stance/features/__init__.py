"""Featurize: replies (with the post they answer and a target) into hashed sparse features.

:mod:`~stance.features.hashing` keys every feature, :mod:`~stance.features.words` computes
and caches what each distinct word contributes, :mod:`~stance.features.featurizer` turns
batches into feature occurrences, matrices and linear scores, and
:mod:`~stance.features.explain` names them back.
"""

from .explain import named_features
from .featurizer import BLOCKS, Featurizer, Occurrences
from .words import is_emoji, normalise, segment_hashtag, word_marks

__all__ = ["BLOCKS", "Featurizer", "Occurrences", "is_emoji", "named_features", "normalise", "segment_hashtag", "word_marks"]
