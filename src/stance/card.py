"""Model cards: a Markdown summary written next to a trained model."""

from __future__ import annotations

from typing import Any


def _how_fitted(meta: dict[str, Any]) -> str:
    from .training import CENTRED_ON_PRIOR, ON_PRIOR_SCORES

    prior = (meta.get("prior") or {}).get("name", "the prior")
    C = meta.get("chosen_C")
    if meta.get("method") == CENTRED_ON_PRIOR:
        return (
            f"spaCy features; class-weighted logistic regression centred on the prior model '{prior}', "
            f"C = {C:g} ({meta.get('C_from')}); the prior's temperature-scaled probabilities"
        )
    if meta.get("method") == ON_PRIOR_SCORES:
        chosen = f", chosen over a fit centred on the prior ({meta['C_from']})" if "C_from" in meta else ""
        return (
            f"spaCy features and the scores of the prior model '{prior}' + class-weighted linear SVM, C = {C:g} by "
            f"cross-validation{chosen}, temperature-scaled probabilities"
        )
    return "spaCy features + class-weighted linear SVM, C chosen by cross-validation, temperature-scaled probabilities"


def model_card(model: Any, cv: dict[str, Any] | None, *, command: str | None = None) -> str:
    meta = model.metadata
    lines = [
        f"# Model card: {meta.get('training_file', 'stance model')}",
        "",
        "## What it is",
        f"- A stance classifier ({_how_fitted(meta)}), stance {meta['stance_version']}.",
        f"- Labels: {', '.join(meta['labels'])}.",
        f"- Trained on {meta['n_examples']} rows of `{meta.get('training_file')}`"
        + (f" where {'; '.join(meta['where'])}" if meta.get("where") else "")
        + f": {', '.join(f'{k} {v}' for k, v in meta['label_counts'].items())}.",
        f"- Training data sha256: `{meta['training_data_sha256']}`.",
        f"- Uses context: {meta.get('uses_context')}; targets: {', '.join(meta.get('targets') or []) or 'none'}.",
        f"- Built with: {', '.join(f'{k} {v}' for k, v in meta['versions'].items())}.",
    ]
    if command:
        lines += ["", "## How to rebuild it", "```", command, "```"]
    if cv:
        lines += [
            "",
            "## Cross-validated scores",
            f"{cv['repeats']}× repeated stratified {cv['folds']}-fold cross-validation on the same {cv['n_examples']} rows"
            " (mean ± standard deviation over all folds):",
            "",
            "| metric | mean | sd |",
            "|---|---|---|",
            f"| macro-F1 | {cv['macro_f1']['mean']:.3f} | {cv['macro_f1']['sd']:.3f} |",
            f"| accuracy | {cv['accuracy']['mean']:.3f} | {cv['accuracy']['sd']:.3f} |",
        ]
        lines += [f"| F1 {label} | {value:.3f} | |" for label, value in cv["per_label_f1"].items()]
    lines += [
        "",
        "## Known limits",
        "- Few training rows: scores move a lot between folds (see the spread above); treat the labels as a first pass to review.",
        "- It reads English text only; sarcasm and replies that depend on unseen posts are often wrong.",
        "- The file is a pickle: load it only from a source you trust (see the README's trust model).",
    ]
    return "\n".join(lines) + "\n"
