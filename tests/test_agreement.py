"""Tests for stance.agreement: published values, cross-checks against other packages and
against slow reference implementations, and hypothesis properties."""

from __future__ import annotations

import math
from itertools import combinations

import krippendorff
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score, confusion_matrix
from statsmodels.stats.inter_rater import cohens_kappa, fleiss_kappa

from stance import InputError, agreement
from stance.agreement import (
    COEFFICIENTS,
    alpha_from_counts,
    bootstrap_counts,
    compare,
    counts_from_ratings,
    fleiss_from_counts,
    gwet_from_counts,
    kappa_from_table,
    percent_from_counts,
)

# --------------------------------------------------------------------------- published data

# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for
# Communication, University of Pennsylvania, section C ("nominal data, any number of
# observers, missing data"): observers A-D, units 1-12. Nominal alpha = 0.743.
KRIPPENDORFF_2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}

# Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
# Bulletin 76(5), 378-382, Table 1: 30 patients, 6 psychiatrists each; columns are the
# diagnoses depression, personality disorder, schizophrenia, neurosis, other. Kappa = 0.430.
FLEISS_1971 = np.array([
    [0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1],
    [0, 0, 5, 0, 1], [3, 0, 0, 1, 2], [5, 1, 0, 0, 0], [0, 2, 0, 4, 0], [1, 0, 2, 0, 3],
    [0, 0, 0, 0, 6], [0, 1, 0, 5, 0], [0, 2, 0, 1, 3], [2, 0, 0, 4, 0], [1, 0, 0, 4, 1],
    [0, 5, 0, 1, 0], [4, 0, 0, 0, 2], [0, 2, 0, 4, 0], [1, 0, 5, 0, 0], [0, 0, 0, 0, 6],
])
FLEISS_CATEGORIES = ["depression", "personality disorder", "schizophrenia", "neurosis", "other"]

# The 2 x 2 example of Cohen's kappa (as in Wikipedia's "Cohen's kappa", "Simple example"):
# 50 proposals, readers A and B say yes/no; A yes & B yes 20, A yes & B no 5, A no & B yes
# 10, both no 15. p_o = 0.70, p_e = 0.50, kappa = 0.400.
COHEN_2X2 = np.array([[20, 5], [10, 15]])


def krippendorff_rows():
    return [(unit, coder, value) for coder, values in KRIPPENDORFF_2011.items() for unit, value in enumerate(values, 1) if value is not None]


def table_to_rows(table, labels):
    """Long-format rows from an items × labels count table; raters are numbered per item."""
    rows = []
    for item, counts in enumerate(np.asarray(table)):
        rater = 0
        for label, count in zip(labels, counts):
            for _ in range(int(count)):
                rows.append((item, f"rater{rater}", label))
                rater += 1
    return rows


def confusion_to_rows(table, labels):
    rows, item = [], 0
    for a, label_a in enumerate(labels):
        for b, label_b in enumerate(labels):
            for _ in range(int(table[a][b])):
                rows += [(item, "A", label_a), (item, "B", label_b)]
                item += 1
    return rows


def test_krippendorff_2011_published_alpha():
    report = compare(krippendorff_rows())
    assert round(report.krippendorff_alpha, 3) == 0.743
    assert report.n_items == 12 and report.n_annotators == 4 and report.n_ratings == 41
    assert "1 of 12 items have a single rating" in report.notes["krippendorff_alpha"]
    matrix = np.array([[np.nan if v is None else v for v in values] for values in KRIPPENDORFF_2011.values()], dtype=float)
    assert report.krippendorff_alpha == pytest.approx(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"), abs=1e-12)


def test_fleiss_1971_published_kappa():
    assert round(fleiss_from_counts(FLEISS_1971), 3) == 0.430
    assert fleiss_from_counts(FLEISS_1971) == pytest.approx(fleiss_kappa(FLEISS_1971, method="fleiss"), abs=1e-12)
    report = compare(table_to_rows(FLEISS_1971, FLEISS_CATEGORIES), labels=FLEISS_CATEGORIES)
    assert round(report.fleiss_kappa, 3) == 0.430
    assert "fleiss_kappa" not in report.notes  # six ratings per patient: plain Fleiss (1971)


def test_cohen_2x2_published_kappa():
    assert round(kappa_from_table(COHEN_2X2), 3) == 0.400
    report = compare(confusion_to_rows(COHEN_2X2, ["yes", "no"]), labels=["yes", "no"])
    assert round(report.cohen_kappa, 3) == 0.400
    assert report.percent_agreement == pytest.approx(0.70)
    assert report.confusion("A", "B").tolist() == COHEN_2X2.tolist()
    assert report.cohen_kappa == pytest.approx(cohens_kappa(COHEN_2X2).kappa, abs=1e-12)
    assert "cohen_kappa" not in report.notes  # two annotators: plain Cohen (1960)


# ---------------------------------------------------------------- slow reference formulas


def reference_gwet_fleiss(ratings, n_labels):
    """Gwet (2014) for missing ratings, item by item: (percent agreement, Fleiss, AC1)."""
    agreements, shares = [], []
    for row in ratings:
        given = [r for r in row if r >= 0]
        if not given:
            continue
        counts = [given.count(k) for k in range(n_labels)]
        shares.append([c / len(given) for c in counts])
        if len(given) >= 2:
            agreements.append(sum(c * (c - 1) for c in counts) / (len(given) * (len(given) - 1)))
    if not agreements:
        return None, None, None
    pa = sum(agreements) / len(agreements)
    pi = [sum(s[k] for s in shares) / len(shares) for k in range(n_labels)]
    pe_fleiss = sum(p * p for p in pi)
    fleiss = None if abs(1 - pe_fleiss) < 1e-10 else (pa - pe_fleiss) / (1 - pe_fleiss)
    ac1 = None
    if n_labels >= 2:
        pe_gwet = sum(p * (1 - p) for p in pi) / (n_labels - 1)
        ac1 = (pa - pe_gwet) / (1 - pe_gwet)
    return pa, fleiss, ac1


def reference_specific_agreement(ratings, n_labels):
    same = [0] * n_labels
    possible = [0] * n_labels
    for row in ratings:
        given = [r for r in row if r >= 0]
        if len(given) < 2:
            continue
        for k in range(n_labels):
            c = given.count(k)
            same[k] += c * (c - 1)
            possible[k] += c * (len(given) - 1)
    return [s / p if p else None for s, p in zip(same, possible)]


# -------------------------------------------------------------------- hypothesis strategies


@st.composite
def rating_matrices(draw, min_annotators=1, max_annotators=5, max_items=12, max_labels=4, missing=True):
    """items × annotators label codes, -1 for a missing rating."""
    n_items = draw(st.integers(1, max_items))
    n_annotators = draw(st.integers(min_annotators, max_annotators))
    n_labels = draw(st.integers(1, max_labels))
    cells = draw(st.lists(st.integers(-1 if missing else 0, n_labels - 1), min_size=n_items * n_annotators, max_size=n_items * n_annotators))
    return np.array(cells, dtype=np.int64).reshape(n_items, n_annotators), n_labels


def to_rows(ratings, label_names=None, annotator_names=None, item_names=None):
    n_items, n_annotators = ratings.shape
    label_names = label_names or [f"L{k}" for k in range(ratings.max() + 1)]
    annotator_names = annotator_names or [f"a{j}" for j in range(n_annotators)]
    item_names = item_names or list(range(n_items))
    return [
        (item_names[i], annotator_names[j], label_names[ratings[i, j]])
        for i in range(n_items) for j in range(n_annotators) if ratings[i, j] >= 0
    ]


def values_of(report):
    return {name: getattr(report, name) for name in COEFFICIENTS}


def assert_same_values(first, second):
    for name in COEFFICIENTS:
        a, b = first[name], second[name]
        assert (a is None) == (b is None), name
        if a is not None:
            assert a == pytest.approx(b, abs=1e-9), name


# ----------------------------------------------------------------------- property tests


@settings(deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.sets(st.integers(0, 4), min_size=1)), min_size=1, max_size=15),
)
def test_perfect_agreement_gives_one(items):
    # Each item gets one label from every annotator who rates it.
    rows = [(i, f"a{a}", f"L{label}") for i, (label, raters) in enumerate(items) for a in raters]
    pairable_labels = {label for label, raters in items if len(raters) >= 2}
    assume(len(pairable_labels) >= 2)
    report = compare(rows, n_boot=0)
    assert report.krippendorff_alpha == 1.0
    assert report.fleiss_kappa == 1.0
    assert report.gwet_ac1 == 1.0
    assert report.percent_agreement == 1.0
    assert report.cohen_kappa in (None, 1.0)
    assert report.disagreements() == []
    assert all(value in (None, 1.0) for value in report.per_label.values())


@settings(deadline=None)
@given(rating_matrices(), st.randoms(use_true_random=False))
def test_invariant_to_permuting_annotators_items_and_label_names(data, random):
    ratings, n_labels = data
    assume((ratings >= 0).any())
    labels = [f"L{k}" for k in range(n_labels)]
    base = compare(to_rows(ratings, labels), labels=labels, n_boot=0)

    annotators = [f"a{j}" for j in range(ratings.shape[1])]
    renamed = annotators[:]
    random.shuffle(renamed)
    item_order = list(range(ratings.shape[0]))
    random.shuffle(item_order)
    new_labels = [f"x{k}" for k in range(n_labels)]
    random.shuffle(new_labels)
    rows = to_rows(ratings[item_order], new_labels, renamed, [f"item{i}" for i in item_order])
    random.shuffle(rows)
    permuted = compare(rows, labels=sorted(new_labels), n_boot=0)
    assert_same_values(values_of(base), values_of(permuted))
    assert permuted.n_items == base.n_items and permuted.n_ratings == base.n_ratings


@settings(deadline=None)
@given(rating_matrices(min_annotators=2), st.integers(0, 2**31))
def test_count_table_path_equals_raw_label_path(data, seed):
    ratings, n_labels = data
    assume((ratings >= 0).any())
    labels = [f"L{k}" for k in range(n_labels)]
    report = compare(to_rows(ratings, labels), labels=labels, n_boot=40, seed=seed)
    named = np.where(ratings >= 0, np.array(labels, dtype=object)[np.maximum(ratings, 0)], None)
    counts, counted_labels = counts_from_ratings(named, labels=labels)
    assert counted_labels == labels
    assert report.counts.tolist() == counts[counts.sum(axis=1) > 0].tolist()
    assert_same_values(values_of(report), {
        "percent_agreement": percent_from_counts(counts),
        "fleiss_kappa": fleiss_from_counts(counts),
        "krippendorff_alpha": alpha_from_counts(counts),
        "gwet_ac1": gwet_from_counts(counts),
        "cohen_kappa": report.cohen_kappa,
    })
    intervals = bootstrap_counts(counts, n_boot=40, seed=seed)
    for name, ci in intervals.items():
        if getattr(report, name) is not None:
            assert report.ci95[name] == ci


@settings(deadline=None)
@given(rating_matrices())
def test_values_at_most_one_never_nan_and_none_has_a_reason(data):
    ratings, n_labels = data
    assume((ratings >= 0).any())
    report = compare(to_rows(ratings), n_boot=30)
    for name in COEFFICIENTS:
        value = getattr(report, name)
        if value is None:
            assert report.reasons[name]
            assert report.ci95[name] is None
        else:
            assert math.isfinite(value) and value <= 1.0 + 1e-12
            ci = report.ci95[name]
            if ci is None:
                assert report.reasons["ci95:" + name]
            else:
                assert all(math.isfinite(v) and v <= 1.0 + 1e-12 for v in ci) and ci[0] <= ci[1]
    if report.percent_agreement is not None:
        assert 0.0 <= report.percent_agreement <= 1.0
    for label, value in report.per_label.items():
        assert (value is None and report.reasons[f"per_label:{label}"]) or 0.0 <= value <= 1.0
    for value in report.pairwise.values():
        assert value is None or (math.isfinite(value) and value <= 1.0 + 1e-12)


@settings(deadline=None)
@given(rating_matrices())
def test_matches_krippendorff_package_and_reference_formulas(data):
    ratings, n_labels = data
    assume((ratings >= 0).any())
    report = compare(to_rows(ratings, [f"L{k}" for k in range(n_labels)]), labels=[f"L{k}" for k in range(n_labels)], n_boot=0)
    if report.krippendorff_alpha is not None:
        reliability = np.where(ratings >= 0, ratings, np.nan).T.astype(float)
        expected = krippendorff.alpha(reliability_data=reliability, level_of_measurement="nominal")
        assert report.krippendorff_alpha == pytest.approx(expected, abs=1e-9)
    pa, fleiss, ac1 = reference_gwet_fleiss(ratings.tolist(), n_labels)
    assert_same_values(values_of(report), {**values_of(report), "percent_agreement": pa, "fleiss_kappa": fleiss, "gwet_ac1": ac1})
    for k, value in enumerate(reference_specific_agreement(ratings.tolist(), n_labels)):
        got = report.per_label[f"L{k}"]
        assert (got is None) == (value is None) and (value is None or got == pytest.approx(value))


@settings(deadline=None)
@given(rating_matrices(min_annotators=2, missing=False))
def test_complete_data_matches_statsmodels_fleiss(data):
    ratings, n_labels = data
    counts = np.stack([(ratings == k).sum(axis=1) for k in range(n_labels)], axis=1)
    ours = fleiss_from_counts(counts)
    if ours is not None:
        assert ours == pytest.approx(fleiss_kappa(counts, method="fleiss"), abs=1e-9)


@settings(deadline=None)
@given(rating_matrices(min_annotators=2, max_annotators=4))
def test_pairwise_cohen_matches_sklearn_and_is_averaged(data):
    ratings, n_labels = data
    assume((ratings >= 0).any())
    report = compare(to_rows(ratings), n_boot=0)
    expected = []
    for a, b in combinations(range(ratings.shape[1]), 2):
        both = (ratings[:, a] >= 0) & (ratings[:, b] >= 0)
        names = (f"a{a}", f"a{b}")
        if not all(n in report.annotators for n in names):
            continue
        got = report.pairwise[names] if names in report.pairwise else report.pairwise[names[::-1]]
        first, second = ratings[both, a], ratings[both, b]
        if both.sum() == 0 or len(set(first) | set(second)) < 2:
            assert got is None  # no shared item, or one label throughout: 0/0
            continue
        if got is None:  # chance agreement 1 with two labels cannot happen; keep sklearn honest
            pytest.fail(f"kappa of {names} undefined")
        value = cohen_kappa_score(first, second)
        assert got == pytest.approx(value, abs=1e-9)
        expected.append(value)
        table = report.confusion(*names)
        labels = [report.labels.index(f"L{k}") for k in range(n_labels) if f"L{k}" in report.labels]
        assert table.sum() == both.sum()
        assert table.tolist() == confusion_matrix([f"L{v}" for v in first], [f"L{v}" for v in second], labels=report.labels).tolist() or labels == []
    if expected:
        assert report.cohen_kappa == pytest.approx(sum(expected) / len(expected), abs=1e-9)


@settings(deadline=None)
@given(rating_matrices())
def test_disagreements_are_sorted_and_complete(data):
    ratings, _ = data
    assume((ratings >= 0).any())
    report = compare(to_rows(ratings), n_boot=0)
    listed = report.disagreements()
    shares = [entry["agreement"] for entry in listed]
    assert shares == sorted(shares)
    expected = sum(len({v for v in row if v >= 0}) >= 2 for row in ratings.tolist())
    assert len(listed) == expected
    for entry in listed:
        assert len(set(entry["labels"].values())) >= 2
        i = entry["item"]
        assert entry["labels"] == {f"a{j}": f"L{ratings[i, j]}" for j in range(ratings.shape[1]) if ratings[i, j] >= 0}


# -------------------------------------------------------------------------- degenerate data


def test_one_label_only_gives_none_with_reasons():
    report = compare([(1, "a", "x"), (1, "b", "x"), (2, "a", "x"), (2, "b", "x")])
    for name in ("krippendorff_alpha", "fleiss_kappa", "cohen_kappa", "gwet_ac1"):
        assert getattr(report, name) is None, name
        assert report.reasons[name]
    assert "same label ('x')" in report.reasons["krippendorff_alpha"]
    assert "at least two possible labels" in report.reasons["gwet_ac1"]
    assert report.percent_agreement == 1.0
    # Declaring a second possible label makes AC1 defined (q = 2), the kappas stay 0/0.
    declared = compare([(1, "a", "x"), (1, "b", "x"), (2, "a", "x"), (2, "b", "x")], labels=["x", "y"])
    assert declared.gwet_ac1 == 1.0 and declared.fleiss_kappa is None
    assert declared.per_label["y"] is None and "never given" in declared.reasons["per_label:y"]


def test_one_annotator_gives_none_with_reasons():
    report = compare([(1, "a", "x"), (2, "a", "y"), (3, "a", "x")])
    for name in COEFFICIENTS:
        assert getattr(report, name) is None
        assert report.ci95[name] is None
    assert "only 1 annotator" in report.reasons["krippendorff_alpha"]
    assert "only 1 annotator" in report.reasons["cohen_kappa"]


def test_no_item_with_two_ratings_gives_none_with_reasons():
    report = compare([(1, "a", "x"), (2, "b", "y"), (3, "c", "x")])
    for name in COEFFICIENTS:
        assert getattr(report, name) is None
        assert "no item has two" in report.reasons[name] or "no two annotators" in report.reasons[name]
    assert report.disagreements() == []


def test_count_functions_on_degenerate_tables():
    assert alpha_from_counts([[1, 0], [0, 1]]) is None  # nothing pairable
    assert alpha_from_counts([[2, 0], [3, 0]]) is None  # one label
    assert fleiss_from_counts([[2, 0], [3, 0]]) is None
    assert gwet_from_counts([[2], [3]]) is None
    assert percent_from_counts(np.zeros((0, 3))) is None
    assert kappa_from_table([[0, 0], [0, 0]]) is None
    assert kappa_from_table([[5, 0], [0, 0]]) is None


@pytest.mark.parametrize("bad", [[1, 2, 3], [[1, -1]], [[0.5, 1]], [[np.nan, 1]], "abc"])
def test_bad_count_tables_raise(bad):
    with pytest.raises(InputError, match="non-negative whole-number counts"):
        alpha_from_counts(bad)


def test_kappa_table_must_be_square():
    with pytest.raises(InputError, match="square"):
        kappa_from_table([[1, 2, 3], [4, 5, 6]])


# ------------------------------------------------------------------------------ bad input


def test_empty_input_raises():
    with pytest.raises(InputError, match="the input is empty"):
        compare([])
    with pytest.raises(InputError, match="missing its label"):
        compare([(1, "a", None), (1, "b", "")])


def test_conflicting_duplicate_names_item_and_annotator():
    with pytest.raises(InputError, match=r"Item 7 has conflicting labels from annotator 'bob': 'x', 'y' \(annotations 1, 3\)"):
        compare([(7, "ann", "x"), (7, "bob", "x"), (8, "bob", "y"), (7, "bob", "y")])


def test_repeated_identical_rating_counts_once():
    report = compare([(1, "a", "x"), (1, "a", "x"), (1, "b", "x"), (2, "a", "y"), (2, "b", "x")], n_boot=0)
    assert report.n_ratings == 4
    assert report.counts.tolist() == [[2, 0], [1, 1]]


def test_label_outside_labels_names_items():
    with pytest.raises(InputError, match=r"Labels 'maybe' are not among the allowed labels \('x', 'y'\); items with them: 2"):
        compare([(1, "a", "x"), (2, "a", "maybe"), (2, "b", "y")], labels=["x", "y"])


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(1, "a")], "Annotation 0 is a 2-tuple"),
        ([(1, "a", "x"), "oops"], "Annotation 1 is a str"),
        ([{"item": 1, "label": "x"}], "Annotation 0 has no 'annotator'"),
        ([(None, "a", "x")], "Annotation 0 has no 'item'"),
    ],
)
def test_malformed_annotations(rows, message):
    with pytest.raises(InputError, match=message):
        compare(rows)


def test_bad_labels_and_n_boot():
    with pytest.raises(InputError, match="each label once"):
        compare([(1, "a", "x")], labels=["x", "x"])
    with pytest.raises(InputError, match="each label once"):
        compare([(1, "a", "x")], labels="xy")
    with pytest.raises(InputError, match="n_boot must be 0"):
        compare([(1, "a", "x")], n_boot=1)
    with pytest.raises(InputError, match="No annotator 'zed'"):
        compare([(1, "a", "x"), (1, "b", "x")]).confusion("a", "zed")


# --------------------------------------------------------------------------- input shapes


def test_mappings_and_frames_give_the_same_report():
    import pandas
    rows = krippendorff_rows()
    as_dicts = [{"item": i, "annotator": a, "label": v, "extra": 1} for i, a, v in rows]
    frame = pandas.DataFrame(as_dicts)
    reports = [compare(rows, n_boot=50), compare(as_dicts, n_boot=50), compare(frame, n_boot=50)]
    for report in reports[1:]:
        assert values_of(report) == values_of(reports[0])
        assert report.ci95 == reports[0].ci95
    with pytest.raises(InputError, match="no column 'annotator'"):
        compare(frame.rename(columns={"annotator": "coder"}))


def test_missing_labels_count_as_no_rating():
    import pandas
    rows = [(1, "a", "x"), (1, "b", "x"), (2, "a", "y"), (2, "b", None), (3, "a", float("nan")), (3, "b", "")]
    report = compare(rows, n_boot=0)
    assert report.n_items == 2 and report.n_ratings == 3
    frame = pandas.DataFrame(rows, columns=["item", "annotator", "label"])
    assert compare(frame, n_boot=0).n_ratings == 3


def test_counts_from_ratings_numeric_and_labels():
    counts, labels = counts_from_ratings([[1.0, 1.0, np.nan], [2.0, 1.0, 2.0]])
    assert counts.tolist() == [[2, 0], [1, 2]] and labels == [1.0, 2.0]
    counts, labels = counts_from_ratings([[1, 2]], labels=[2, 1, 3])
    assert counts.tolist() == [[1, 1, 0]]
    with pytest.raises(InputError, match="items with them: 1"):
        counts_from_ratings([[1, 1], [1, 9]], labels=[1, 2])
    with pytest.raises(InputError, match=r"'z'"):
        counts_from_ratings([["x", None], ["z", "x"]], labels=["x", "y"])


# ------------------------------------------------------------------ bootstrap and reports


def test_bootstrap_is_seeded_and_reproducible():
    rows = table_to_rows(FLEISS_1971, FLEISS_CATEGORIES)
    first, again, other = compare(rows, seed=3), compare(rows, seed=3), compare(rows, seed=4)
    assert first.ci95 == again.ci95
    assert first.ci95 != other.ci95
    for name in COEFFICIENTS:
        low, high = first.ci95[name]
        assert low < getattr(first, name) < high, name
    assert compare(rows, n_boot=0).ci95 == {name: None for name in COEFFICIENTS}


@pytest.mark.parametrize("n_items", [10, 1000])  # index draws, then multinomial draws
def test_resampling_draws_exactly_n_items(n_items):
    rng = np.random.default_rng(0)
    freq = np.bincount(rng.integers(0, 7, n_items), minlength=7)
    freq = freq[freq > 0]
    sums = agreement.bootstrap.resampled_sums(freq, np.ones((freq.size, 1)), 300, np.random.default_rng(1))
    assert (sums[:, 0] == n_items).all()
    # Each distinct row is drawn freq/n of the time on average.
    weights = agreement.bootstrap.resampled_sums(freq, np.eye(freq.size), 300, np.random.default_rng(1))
    assert weights.mean(axis=0) == pytest.approx(freq, rel=0.25)


def test_bootstrap_interval_narrows_with_more_items():
    rng = np.random.default_rng(0)
    def data(n):
        truth = rng.integers(0, 3, n)
        ratings = np.where(rng.random((n, 3)) < 0.7, truth[:, None], rng.integers(0, 3, (n, 3)))
        return np.stack([(ratings == k).sum(axis=1) for k in range(3)], axis=1)
    small, large = bootstrap_counts(data(50)), bootstrap_counts(data(5000))
    width = lambda ci: ci[1] - ci[0]  # noqa: E731
    assert width(large["krippendorff_alpha"]) < width(small["krippendorff_alpha"]) / 4


def test_per_label_specific_agreement_two_raters():
    # a = both yes, b/c = one says yes: positive agreement 2a / (2a + b + c).
    report = compare(confusion_to_rows(COHEN_2X2, ["yes", "no"]), n_boot=0)
    assert report.per_label["yes"] == pytest.approx(2 * 20 / (2 * 20 + 5 + 10))
    assert report.per_label["no"] == pytest.approx(2 * 15 / (2 * 15 + 5 + 10))


def test_more_than_two_annotators_is_mean_of_pairs_and_says_so():
    rows = krippendorff_rows()
    report = compare(rows, n_boot=0)
    defined = [v for v in report.pairwise.values() if v is not None]
    assert report.cohen_kappa == pytest.approx(sum(defined) / len(defined))
    assert "mean of 6 pairwise Cohen's kappas" in report.notes["cohen_kappa"]
    assert "Gwet's (2014) generalisation" in report.notes["fleiss_kappa"]


def test_versus_reports_one_annotator_against_the_others():
    rows = [row for row in krippendorff_rows() if row[1] != "D"]
    model = [(unit, "model", value) for unit, value in enumerate(KRIPPENDORFF_2011["D"], 1) if value is not None]
    report = compare(rows + model, seed=0)
    result = report.versus("model")
    kappas = [report.pairwise[(a, "model")] for a in ("A", "B", "C")]
    assert result["cohen_kappa"]["value"] == pytest.approx(np.mean(kappas))
    assert set(result["per_annotator"]) == {"A", "B", "C"}
    low, high = result["cohen_kappa"]["ci95"]
    assert low <= result["cohen_kappa"]["value"] <= high
    assert result["per_annotator"]["A"]["n_items"] == 9


def test_to_dict_and_text_report():
    report = compare(krippendorff_rows())
    summary = report.to_dict()
    for key in ("n_items", "n_annotators", "n_ratings", "labels", *COEFFICIENTS):
        assert key in summary
    assert summary["krippendorff_alpha"]["value"] == report.krippendorff_alpha
    assert summary["krippendorff_alpha"]["ci95"] == list(report.ci95["krippendorff_alpha"])
    text = agreement.format_report(report)
    assert "Krippendorff's alpha" in text and "0.743" in text and "Krippendorff)" in text
    assert "Items most disagreed on" in text


@pytest.mark.parametrize(
    ("name", "value", "band"),
    [
        ("cohen_kappa", -0.1, "poor"), ("cohen_kappa", 0.0, "slight"), ("cohen_kappa", 0.2, "slight"),
        ("fleiss_kappa", 0.4, "fair"), ("fleiss_kappa", 0.43, "moderate"), ("gwet_ac1", 0.75, "substantial"),
        ("cohen_kappa", 0.81, "almost perfect"), ("krippendorff_alpha", 0.8, "reliable"),
        ("krippendorff_alpha", 0.7, "tentative"), ("krippendorff_alpha", 0.5, "unreliable"),
    ],
)
def test_interpretation_bands(name, value, band):
    assert agreement.interpret(name, value).startswith(band)


def test_read_annotations_takes_format_and_the_deprecated_input_format(tmp_path):
    path = tmp_path / "labels.dat"
    path.write_text("item,annotator,label\n1,ann,x\n1,bob,y\n", encoding="utf-8")
    rows, _ = agreement.read_annotations([path], format="csv")
    assert rows == [("1", "ann", "x"), ("1", "bob", "y")]
    with pytest.warns(DeprecationWarning, match="input_format.*deprecated.*format="):
        assert agreement.read_annotations([path], input_format="csv")[0] == rows
