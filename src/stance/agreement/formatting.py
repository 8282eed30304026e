"""Presenting an agreement report: conventional readings of the values, and a text table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import spelling_notes
from .coefficients import COEFFICIENTS
from .report import AgreementReport

NAMES = {
    "percent_agreement": "Percent agreement",
    "cohen_kappa": "Cohen's kappa",
    "fleiss_kappa": "Fleiss' kappa",
    "krippendorff_alpha": "Krippendorff's alpha",
    "gwet_ac1": "Gwet's AC1",
}


def interpret(name: str, value: float | None) -> str:
    """The conventional reading of a coefficient's value.

    Kappas and AC1 use Landis & Koch (1977); alpha uses Krippendorff's (2004) thresholds
    0.667 (lowest acceptable for tentative conclusions) and 0.800 (reliable).

    Examples
    --------
    >>> interpret("fleiss_kappa", 0.430)
    'moderate (Landis & Koch)'
    >>> interpret("krippendorff_alpha", 0.743)
    'tentative conclusions only (0.667-0.800, Krippendorff)'
    """
    if value is None or name == "percent_agreement":
        return ""
    if name == "krippendorff_alpha":
        if value >= 0.800:
            return "reliable (>= 0.800, Krippendorff)"
        if value >= 0.667:
            return "tentative conclusions only (0.667-0.800, Krippendorff)"
        return "unreliable (< 0.667, Krippendorff)"
    if value < 0:
        return "poor (Landis & Koch)"
    for upper, band in ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial")):
        if value <= upper:
            return f"{band} (Landis & Koch)"
    return "almost perfect (Landis & Koch)"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _fmt_ci(ci: Sequence[float] | None) -> str:
    return "" if not ci else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def format_report(report: AgreementReport, *, model_vs_human: dict[str, Any] | None = None, top: int = 10) -> str:
    """A readable table of ``report``: values, 95% intervals, interpretation bands, why a
    coefficient is undefined, per-label agreement and the items most disagreed on."""
    lines = _coefficient_lines(report)
    if model_vs_human is not None:
        lines += _model_lines(report, model_vs_human)
    lines += _per_label_lines(report)
    lines += _disagreement_lines(report, top)
    lines += spelling_notes(report.labels)
    return "\n".join(lines)


def _coefficient_lines(report: AgreementReport) -> list[str]:
    labels = ", ".join(map(str, report.labels))
    lines = [
        f"Agreement of {_plural(report.n_annotators, 'annotator')} on {_plural(report.n_items, 'item')} "
        f"({_plural(report.n_ratings, 'rating')}; labels: {labels})",
        "",
        f"  {'coefficient':<22} {'value':>7}  {'95% CI':<17} interpretation",
    ]
    for name in COEFFICIENTS:
        value = getattr(report, name)
        lines.append(f"  {NAMES[name]:<22} {_fmt(value):>7}  {_fmt_ci(report.ci95.get(name)):<17} {interpret(name, value)}")
    explained = [(name, report.reasons[name]) for name in COEFFICIENTS if name in report.reasons]
    explained += [(name, report.notes[name]) for name in COEFFICIENTS if name in report.notes]
    if explained:
        lines.append("")
        lines += [f"  {NAMES[name]}: {text}." for name, text in explained]
    if report.n_boot:
        lines.append(f"  95% CI: percentile bootstrap over items, {report.n_boot} resamples, seed {report.seed}.")
    return lines


def _model_lines(report: AgreementReport, model_vs_human: dict[str, Any]) -> list[str]:
    lines = ["", f"Model ({model_vs_human['annotator']}) vs humans, beside humans vs humans:"]
    for name in ("cohen_kappa", "percent_agreement"):
        mine = model_vs_human[name]
        human = getattr(report, name)
        lines.append(
            f"  {NAMES[name]:<22} model-human {_fmt(mine['value']):>6} {_fmt_ci(mine['ci95']):<17}"
            f" human-human {_fmt(human):>6} {_fmt_ci(report.ci95.get(name))}"
        )
    for other, row in model_vs_human["per_annotator"].items():
        lines.append(f"    vs {str(other):<18} kappa {_fmt(row['cohen_kappa'])}, agreement {_fmt(row['percent_agreement'])} on {row['n_items']} items")
    for name, text in model_vs_human.get("reasons", {}).items():
        lines.append(f"  {name}: {text}.")
    return lines


def _per_label_lines(report: AgreementReport) -> list[str]:
    lines = ["", "Per-label (specific) agreement:"]
    for label, value in report.per_label.items():
        lines.append(f"  {str(label):<22} {_fmt(value):>7}" + ("" if value is not None else f"  ({report.reasons.get(f'per_label:{label}', '')})"))
    return lines


def _disagreement_lines(report: AgreementReport, top: int) -> list[str]:
    worst = report.disagreements(top)
    lines = ["", f"Items most disagreed on ({_plural(len(report.disagreements()), 'item')} got more than one label):" if worst else "No item got more than one label."]
    for entry in worst:
        given = ", ".join(f"{a}={label}" for a, label in entry["labels"].items())
        lines.append(f"  {str(entry['item']):<20} agreement {entry['agreement']:.2f}  {given}")
    return lines
