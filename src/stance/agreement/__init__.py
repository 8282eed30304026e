"""Agreement: how far annotators agree on labels, and how far a model agrees with them.

Everything is computed from two small tables, never by looping over items:

* the *count matrix* (items × labels): how many annotators gave each label to each item.
  Krippendorff's alpha, Fleiss' kappa, Gwet's AC1, percent agreement and per-label
  agreement are functions of it alone;
* the *rating matrix* (items × annotators, ``-1`` for a missing rating), for Cohen's
  kappa and confusion matrices, which need to know who gave which label.

Items that share a row of either table are interchangeable, so the bootstrap resamples
the distinct rows (:mod:`.bootstrap`): 1,000 replicates cost a matrix product, not 1,000
recomputations.

Modules
-------
:mod:`.coefficients` (the numeric kernel, pure numpy), :mod:`.bootstrap` (intervals),
:mod:`.ratings` (annotations → matrices), :mod:`.measure` (:func:`compare` in named
steps), :mod:`.report` (:class:`AgreementReport`), :mod:`.formatting` (text) and
:mod:`.files` (reading annotation files).

Definitions
-----------
percent agreement
    The mean, over items with two or more ratings, of the share of agreeing pairs among
    that item's rating pairs: ``sum_k n_ik (n_ik - 1) / (n_i (n_i - 1))``. With two
    annotators this is the share of shared items they labelled alike.
Cohen's kappa
    Cohen (1960), for two annotators over the items both rated. With more than two
    annotators it is the mean of the pairwise kappas (Light 1971); pairs whose kappa is
    undefined are left out and say so in ``notes``.
Fleiss' kappa
    Fleiss (1971), not Davies & Fleiss (1982). When items have different numbers of
    ratings, the generalisation of Gwet (2014, *Handbook of Inter-Rater Reliability*,
    ch. 2): observed agreement is the percent agreement above (items with two or more
    ratings), and each label's expected share is its share of an item's ratings averaged
    over the items with at least one rating. With equal numbers of ratings per item this
    is exactly Fleiss (1971).
Krippendorff's alpha
    Nominal alpha with the small-sample correction (Krippendorff 2011): items with a single
    rating cannot be paired and drop out.
Gwet's AC1
    Gwet (2008) for several raters, with the same observed agreement and label shares as
    Fleiss' kappa and chance agreement ``sum_k pi_k (1 - pi_k) / (q - 1)``, where ``q`` is
    the number of possible labels (``labels`` when given, else the labels seen).
per-label (specific) agreement
    For each label, the share of the ratings with that label whose pair partner on the
    same item gave it too: ``sum_i n_ik (n_ik - 1) / sum_i n_ik (n_i - 1)`` (Uebersax
    1982). With two annotators it is positive specific agreement ``2a / (2a + b + c)``.
confidence intervals
    95% percentile bootstrap over items, seeded and reproducible.

A coefficient that is undefined for the data (0/0) is ``None``, with the reason in
``report.reasons``: never NaN.
"""

from .bootstrap import bootstrap_counts
from .coefficients import (  # noqa: F401 - COUNT_COEFFICIENTS and NAMES kept importable from here
    COEFFICIENTS,
    COUNT_COEFFICIENTS,
    alpha_from_counts,
    fleiss_from_counts,
    gwet_from_counts,
    kappa_from_table,
    percent_from_counts,
)
from .measure import compare, model_versus_humans
from .files import read_annotations
from .formatting import NAMES, format_report, interpret  # noqa: F401
from .ratings import counts_from_ratings
from .report import AgreementReport

__all__ = [
    "COEFFICIENTS",
    "AgreementReport",
    "alpha_from_counts",
    "bootstrap_counts",
    "compare",
    "counts_from_ratings",
    "fleiss_from_counts",
    "format_report",
    "gwet_from_counts",
    "interpret",
    "kappa_from_table",
    "model_versus_humans",
    "percent_from_counts",
    "read_annotations",
]
