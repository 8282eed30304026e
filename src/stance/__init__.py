"""stance: label replies to a post as supportive, critical or off-topic.

The package follows the data's path: :mod:`stance.read` → :mod:`stance.nlp` and
:mod:`stance.features` (featurize) → :mod:`stance.classify` → :mod:`stance.write`, with
:mod:`stance.evaluate` and :mod:`stance.agreement` to measure labels.
"""

__version__ = "0.1.0"

from .classify import (  # noqa: E402
    DEFAULT_LABELS,
    LinearStanceClassifier,
    Prediction,
    Reason,
    StanceModel,
    classify,
    cross_validate,
    explain,
    load_model,
    train,
)
from .errors import (  # noqa: E402
    InputError,
    ModelIntegrityError,
    ModelNotFoundError,
    ModelVersionError,
    StanceError,
)
from . import agreement  # noqa: E402
from .evaluate import scores  # noqa: E402
from .features import SpacyFeatures  # noqa: E402

__all__ = [
    "DEFAULT_LABELS",
    "InputError",
    "LinearStanceClassifier",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "ModelVersionError",
    "Prediction",
    "Reason",
    "SpacyFeatures",
    "StanceError",
    "StanceModel",
    "__version__",
    "agreement",
    "classify",
    "cross_validate",
    "explain",
    "load_model",
    "scores",
    "train",
]
