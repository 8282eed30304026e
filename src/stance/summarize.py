"""Summarize a labelled file: counts and shares per label with 95% confidence intervals.

Shares get Wilson score intervals, which stay inside [0, 1] and behave for small counts
and shares near 0 or 1, where the normal approximation does not. Counting streams the
file, so memory grows with the number of labels and groups, not rows.

Nothing is lost without a word: a record that cannot be read is not counted, but it is
counted as rejected and the first few are listed with their number and reason.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import Errors, InputError, missing_file
from .read import BadRecord, get_field, read_records
from .write import atomic_output

Z_95 = 1.959963984540054
BUCKETS = {"year": 4, "month": 7, "day": 10, "hour": 13}
MISSING = "(missing)"
REJECTED_SHOWN = 10  # rejected records listed in a result (all are counted)


def wilson_interval(count: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for a proportion ``count / n``.

    Examples
    --------
    >>> [round(x, 4) for x in wilson_interval(8, 10)]
    [0.4902, 0.9433]
    >>> wilson_interval(0, 0)
    (0.0, 1.0)
    """
    if n == 0:
        return 0.0, 1.0
    p = count / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


class _Rejected:
    """How many records could not be read, and the first :data:`REJECTED_SHOWN` of them."""

    def __init__(self) -> None:
        self.count = 0
        self.first: list[dict[str, Any]] = []

    def add(self, record: BadRecord) -> None:
        self.count += 1
        if len(self.first) < REJECTED_SHOWN:
            self.first.append({record.unit: record.number, "reason": record.reason})


def _rows(path: Path, rejected: _Rejected) -> Iterator[dict[str, Any]]:
    """The rows of a labelled file; each record that cannot be read goes to ``rejected``."""
    if path.suffix.lower() in (".parquet", ".pq"):
        from .write import require_pyarrow

        pq = require_pyarrow()
        for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
            yield from batch.to_pylist()
        return
    for record in read_records(path):
        if isinstance(record, BadRecord):
            rejected.add(record)
            continue
        yield record.fields


def _time_bucket(value: Any, bucket: str) -> str:
    if value is None:
        return MISSING
    text = str(value).strip()
    moment = None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")  # X archive dates
        except ValueError:
            if isinstance(value, (int, float)) or text.isdigit():  # Unix seconds
                moment = datetime.utcfromtimestamp(float(text))
    if moment is None:
        return "(unparsed)"
    return moment.isoformat()[: BUCKETS[bucket]]


def _grouper(by: str) -> tuple[str, str | None]:
    if ":" in by:
        field, bucket = by.rsplit(":", 1)
        if bucket in BUCKETS:
            return field, bucket
        if bucket.isalpha():
            raise InputError(Errors.E052.format(bucket=bucket, by=by))
    return by, None


def _cell(count: int, n: int) -> dict[str, Any]:
    low, high = wilson_interval(count, n)
    return {"count": count, "share": count / n if n else 0.0, "ci95": [low, high]}


def summarize(path: str | os.PathLike[str], *, by: str | None = None, field: str = "stance") -> dict[str, Any]:
    """Counts, shares and 95% Wilson intervals of ``field`` in a labelled file.

    Parameters
    ----------
    path
        JSONL, CSV/TSV or Parquet written by ``stance label``.
    by
        Group by this field too (nested paths work). ``FIELD:day`` (or ``:year``,
        ``:month``, ``:hour``) groups dates such as ``created_at`` into periods.
    field
        The label field.

    Returns
    -------
    dict
        ``n``, ``labels``, ``overall`` ({label: {count, share, ci95}}), ``missing`` (rows
        without the field), ``rejected`` (records that could not be read, so were not
        counted) with ``rejected_records`` (the first of them: ``{"line" or "record":
        number, "reason": ...}``) and, with ``by``, ``groups`` ({group: {n, labels}}).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(Errors.E020.format(path=path, reason=missing_file(path)))
    group_field, bucket = _grouper(by) if by else (None, None)
    overall: Counter[str] = Counter()
    groups: dict[str, Counter[str]] = {}
    missing = 0
    rejected = _Rejected()
    first: dict[str, Any] | None = None
    for row in _rows(path, rejected):
        first = first if first is not None else row
        value = get_field(row, field)
        if value is None or value == "":
            missing += 1
            continue
        label = str(value)
        overall[label] += 1
        if group_field is not None:
            raw = get_field(row, group_field)
            key = _time_bucket(raw, bucket) if bucket else (MISSING if raw is None else str(raw))
            groups.setdefault(key, Counter())[label] += 1
    n = sum(overall.values())
    if n == 0:
        raise InputError(
            Errors.E050.format(path=path, field=field, available=", ".join(map(str, first or {})) or "none")
        )
    labels = sorted(overall, key=lambda label: (-overall[label], label))
    result: dict[str, Any] = {
        "file": str(path),
        "field": field,
        "n": n,
        "missing": missing,
        "rejected": rejected.count,
        "rejected_records": rejected.first,
        "labels": labels,
        "overall": {label: _cell(overall[label], n) for label in labels},
    }
    if group_field is not None:
        result["by"] = by
        if bucket:
            order = sorted(groups)
        else:
            order = sorted(groups, key=lambda key: (-sum(groups[key].values()), key))
        result["groups"] = {
            key: {
                "n": sum(groups[key].values()),
                "labels": {label: _cell(groups[key][label], sum(groups[key].values())) for label in labels},
            }
            for key in order
        }
    return result


def describe_rejected(result: dict[str, Any], *, limit: int = 5) -> str | None:
    """The message for the records of a :func:`summarize` result that could not be read
    (each with its number and reason), or None when every record was read."""
    if not result.get("rejected"):
        return None
    shown = [
        f"{unit} {number}: {record['reason']}"
        for record in result["rejected_records"][:limit]
        for unit, number in list(record.items())[:1]
    ]
    more = result["rejected"] - len(shown)
    examples = "; ".join(shown) + (f"; and {more} more" if more else "")
    return Errors.E054.format(n=result["rejected"], path=result["file"], examples=examples)


def format_summary(result: dict[str, Any], *, max_groups: int = 50) -> str:
    """A plain-text table of a :func:`summarize` result."""
    labels = result["labels"]
    lines = [f"{result['n']} labelled rows in {result['file']} (field {result['field']!r})"]
    if result["missing"]:
        lines[0] += f"; {result['missing']} rows without it were skipped"
    if result.get("rejected"):
        lines[0] += f"; {result['rejected']} unreadable records were not counted"
    lines.append(f"  {'label':<14}{'count':>9}{'share':>9}   95% CI")
    for label in labels:
        cell = result["overall"][label]
        low, high = cell["ci95"]
        lines.append(f"  {label:<14}{cell['count']:>9}{cell['share']:>9.1%}   {low:.1%} to {high:.1%}")
    groups = result.get("groups")
    if groups:
        lines.append("")
        lines.append(f"By {result['by']} (share, 95% CI):")
        width = min(28, max(len(str(k)) for k in groups) + 2)
        lines.append(f"  {'group':<{width}}{'n':>8}  " + "  ".join(f"{label:<22}" for label in labels))
        for key in list(groups)[:max_groups]:
            group = groups[key]
            cells = []
            for label in labels:
                cell = group["labels"][label]
                low, high = cell["ci95"]
                cells.append(f"{cell['share']:>5.1%} [{low:.0%}-{high:.0%}]".ljust(22))
            lines.append(f"  {str(key)[: width - 1]:<{width}}{group['n']:>8}  " + "  ".join(cells))
        if len(groups) > max_groups:
            lines.append(f"  ... {len(groups) - max_groups} more groups (use --json for all)")
    return "\n".join(lines)


def plot_summary(result: dict[str, Any], path: str | os.PathLike[str], *, max_groups: int = 20) -> Path:
    """Save a bar chart of the shares with 95% CI error bars (one group of bars per ``--by`` value)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError(Errors.E051) from None
    import numpy as np

    labels = result["labels"]
    groups = result.get("groups")
    if groups:
        keys = list(groups)[:max_groups]
        cells = [[groups[k]["labels"][label] for k in keys] for label in labels]
        x_names = [f"{k}\n(n={groups[k]['n']})" for k in keys]
        x_label = result["by"]
    else:
        keys = ["all"]
        cells = [[result["overall"][label]] for label in labels]
        x_names = labels
        x_label = "Label"
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(keys) * max(1, len(labels)) ** 0.5 + 2), 4.8), layout="constrained")
    colours = plt.get_cmap("tab10").colors
    if groups:
        width = 0.8 / len(labels)
        positions = np.arange(len(keys))
        for i, (label, row) in enumerate(zip(labels, cells)):
            shares = np.array([c["share"] for c in row])
            err = np.array([[c["share"] - c["ci95"][0] for c in row], [c["ci95"][1] - c["share"] for c in row]])
            ax.bar(positions + (i - (len(labels) - 1) / 2) * width, shares, width, yerr=err, capsize=3,
                   label=label, color=colours[i % len(colours)])
        ax.set_xticks(positions, x_names, rotation=30 if len(keys) > 6 else 0, ha="right" if len(keys) > 6 else "center")
        ax.legend(title=result["field"], frameon=False)
    else:
        shares = np.array([row[0]["share"] for row in cells])
        err = np.array([[row[0]["share"] - row[0]["ci95"][0] for row in cells], [row[0]["ci95"][1] - row[0]["share"] for row in cells]])
        bars = ax.bar(np.arange(len(labels)), shares, 0.6, yerr=err, capsize=5, color=[colours[i % len(colours)] for i in range(len(labels))])
        for bar, row in zip(bars, cells):
            ax.annotate(f"{row[0]['count']:,}", (bar.get_x() + bar.get_width() / 2, 0), xytext=(0, 3),
                        textcoords="offset points", ha="center", va="bottom", color="white", fontweight="bold")
        ax.set_xticks(np.arange(len(labels)), x_names)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_ylabel("Share of labelled replies (95% CI)")
    ax.set_xlabel(x_label)
    title = f"Stance of {result['n']:,} replies"
    if groups:
        title += f" by {result['by']}"
        if len(groups) > max_groups:
            title += f" (first {max_groups} of {len(groups)} groups)"
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    path = Path(path)
    try:  # atomically, like every output: a failed save leaves no half-written chart
        with atomic_output(path, force=True) as handle:
            fig.savefig(handle, format=path.suffix[1:].lower() or "png", dpi=150)
    finally:
        plt.close(fig)
    return path
