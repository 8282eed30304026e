"""Benchmark stance.agreement against the `krippendorff` package.

Data: 100,000 items × 5 annotators × 3 labels, 20% of ratings missing (annotators copy a
true label 70% of the time, else pick at random). Reports, best of --repeats runs:

* nominal alpha alone, stance vs ``krippendorff.alpha`` on the same rating matrix
  (goal: stance no slower);
* alpha plus a 1,000-replicate bootstrap 95% CI, as a multiple of one alpha (goal: < 50×);
* for reference, the whole ``compare()`` from long-format tuples (all five coefficients),
  without and with the bootstrap.

Run from the repository root:

    python bench/agreement.py            # needs `pip install krippendorff` (a test extra)
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from stance import agreement


def make_data(n_items: int, n_annotators: int, n_labels: int, missing: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_labels, n_items)
    ratings = np.where(rng.random((n_items, n_annotators)) < 0.7, truth[:, None], rng.integers(0, n_labels, (n_items, n_annotators))).astype(float)
    ratings[rng.random(ratings.shape) < missing] = np.nan
    return ratings  # items × annotators, NaN = missing


def best_of(repeats: int, function: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--annotators", type=int, default=5)
    parser.add_argument("--labels", type=int, default=3)
    parser.add_argument("--missing", type=float, default=0.2)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-compare", action="store_true", help="Skip the long-format compare() rows.")
    args = parser.parse_args()
    try:
        import krippendorff
    except ImportError:
        sys.exit("This benchmark compares with the `krippendorff` package: pip install 'stance[test]' (or pip install krippendorff).")

    ratings = make_data(args.items, args.annotators, args.labels, args.missing, args.seed)
    reliability = np.ascontiguousarray(ratings.T)  # the krippendorff package wants annotators × items

    def ours_alpha() -> float | None:
        counts, _ = agreement.counts_from_ratings(ratings)
        return agreement.alpha_from_counts(counts)

    def ours_alpha_ci() -> tuple[float | None, Any]:
        counts, _ = agreement.counts_from_ratings(ratings)
        return agreement.alpha_from_counts(counts), agreement.bootstrap_counts(counts, n_boot=args.n_boot, seed=0)["krippendorff_alpha"]

    theirs_alpha = lambda: krippendorff.alpha(reliability_data=reliability, level_of_measurement="nominal")  # noqa: E731

    ours_alpha(), theirs_alpha()  # warm up imports and caches
    t_theirs, alpha_theirs = best_of(args.repeats, theirs_alpha)
    t_ours, alpha_ours = best_of(args.repeats, ours_alpha)
    t_ci, (alpha_ci_value, ci) = best_of(args.repeats, ours_alpha_ci)
    assert abs(alpha_ours - alpha_theirs) < 1e-9, (alpha_ours, alpha_theirs)

    rows = [
        ("krippendorff.alpha (nominal)", t_theirs, f"alpha {alpha_theirs:.4f}"),
        ("stance alpha", t_ours, f"alpha {alpha_ours:.4f}"),
        (f"stance alpha + {args.n_boot}-replicate CI", t_ci, f"95% CI [{ci[0]:.4f}, {ci[1]:.4f}]"),
    ]
    if not args.no_compare:
        present = ~np.isnan(ratings)
        item, annotator = np.nonzero(present)
        long_format = list(zip(item.tolist(), annotator.tolist(), ratings[present].astype(int).tolist()))
        t_cmp0, _ = best_of(max(1, args.repeats // 2), lambda: agreement.compare(long_format, n_boot=0))
        t_cmp, report = best_of(max(1, args.repeats // 2), lambda: agreement.compare(long_format, n_boot=args.n_boot))
        rows += [
            (f"stance compare(), {len(long_format):,} tuples, no CI", t_cmp0, "all five coefficients"),
            (f"stance compare(), {args.n_boot}-replicate CIs", t_cmp, f"alpha {report.krippendorff_alpha:.4f}"),
        ]

    print(f"{args.items:,} items × {args.annotators} annotators × {args.labels} labels, {args.missing:.0%} missing; "
          f"best of {args.repeats}; Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print()
    print(f"| {'measurement':<44} | {'seconds':>8} | note")
    print(f"|{'-' * 46}|{'-' * 10}|------")
    for name, seconds, note in rows:
        print(f"| {name:<44} | {seconds:8.4f} | {note}")
    print()
    print(f"alpha: stance / krippendorff package = {t_ours / t_theirs:.2f}× the time (goal ≤ 1)")
    print(f"alpha + {args.n_boot}-replicate CI / one alpha = {t_ci / t_ours:.1f}× (goal < 50)")
    print()
    print("command: python bench/agreement.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
