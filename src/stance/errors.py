"""Every user-facing message and exception class in one place.

Messages say what was wrong, what is valid, and how to fix it. Exceptions subclass
built-in ones so callers can catch what they already know (``ValueError``,
``FileNotFoundError``).
"""

from __future__ import annotations


class StanceError(Exception):
    """Base class for all errors raised on purpose by ``stance``."""


class InputError(StanceError, ValueError):
    """An input file, record or argument is unusable."""


class ModelNotFoundError(StanceError, FileNotFoundError):
    """A model file does not exist."""


class ModelIntegrityError(StanceError, ValueError):
    """A model file is corrupt, truncated, tampered with or not a stance model."""


class ModelVersionError(ModelIntegrityError):
    """A model file was written by an incompatible version of stance or its dependencies."""


class NotFittedError(StanceError, ValueError):
    """A model or transformer was used before it was trained."""


class Errors:
    """Message templates, formatted with ``str.format``."""

    E001 = (
        "No model file at '{path}'. Train one with `stance train DATA.jsonl -o {path}` "
        "or omit --model to use the shipped default model."
    )
    E002 = (
        "'{path}' is not a stance model file: {reason}. Model files are written by "
        "`stance train` or `StanceModel.save()`; re-create it with `stance train`."
    )
    E003 = (
        "Model file '{path}' failed its integrity check: the payload's sha256 is {actual} "
        "but its header records {expected}. The file is corrupt or was modified after it "
        "was saved. Do not load it; re-download it from a trusted source or retrain it."
    )
    E004 = (
        "Model file '{path}' has format version {found}, but this stance {version} reads "
        "format versions {supported}. Retrain the model with `stance train`, or install "
        "the stance version that wrote it ({written_by})."
    )
    E005 = (
        "Model file '{path}' was written with {package} {found}, but {installed} is "
        "installed and the model needs {package} {required}. Install a matching version "
        "(`pip install '{package}{required}'`) or retrain the model with `stance train`."
    )
    E006 = (
        "Model file '{path}' has sha256 {actual}, not the expected {expected}. Refusing to "
        "load it: only load model files whose hash you trust."
    )
    E010 = (
        "Training data has no usable rows: {reason}. Each row needs a non-empty string "
        "in the text field ('{text_field}') and a label in the label field ('{label_field}')."
    )
    E011 = (
        "Training data has only one label ({label!r}). A classifier needs at least two "
        "different labels; add examples of the other labels."
    )
    E012 = (
        "Row {number}: {reason}."
    )
    E013 = (
        "Examples must be strings or mappings with a '{text_field}' key; item {index} is "
        "a {kind}."
    )
    E014 = (
        "`context` must be one string (shared by all texts) or a sequence with one string "
        "per text; got {n_context} contexts for {n_texts} texts."
    )
    E015 = (
        "This {name} is not trained yet. Call `fit` (or `stance.train`) before `{method}`."
    )
    E016 = (
        "Unknown spaCy pipeline {name!r}: it is not installed, and stance never downloads "
        "models. Use 'blank' (the default, no download), or install the package yourself "
        "(for example `pip install en_core_web_sm` from a source you trust) and pass its name."
    )
    E020 = (
        "Cannot read '{path}': {reason}."
    )
    E021 = (
        "'{path}' line {number}: {reason}."
    )
    E022 = (
        "'{path}' has no rows."
    )
    E023 = (
        "Output '{path}' already exists. Pass --force to overwrite it."
    )
    E024 = (
        "No field {field!r} in '{path}' (record {number}). Available fields: {available}. "
        "Choose one with {option}."
    )
    E030 = (
        "Gold and predicted files differ in length: {n_gold} gold rows, {n_pred} predicted "
        "rows. Evaluate files whose rows line up, or one file with both '{gold_field}' and "
        "'{pred_field}'."
    )
    E031 = (
        "Row {number} of '{path}' has no {field!r} field. Available fields: {available}."
    )
