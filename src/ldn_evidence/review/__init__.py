"""The review layer: a review's records plus everything a reviewer does with them.

* :mod:`.review` — :class:`Review` and :func:`load_studies`.
* :mod:`.analysis` — :class:`Analysis`, one outcome's meta-analysis with its settings and figures.
* :mod:`.alternatives` — the review-level sensitivity analyses.
* :mod:`.outcomes` — the outcomes a review pools (from its protocol), their titles and directions.
* :mod:`.add`, :mod:`.diff`, :mod:`.by_year`, :mod:`.tsa` — the living review: add a study, see
  what changed, how the evidence moved year by year, and a trial sequential analysis.

Examples
--------
>>> from ldn_evidence.review import load_studies
>>> load_studies().analyse("pain").k
3
"""
from ..errors import ReviewError
from .alternatives import SensitivityResult, sensitivity_specs
from .analysis import Analysis
from .review import Review, load_studies

#: the old names of the outcome, measure and subgroup choices (kept for one release)
from ..vocabulary import BY as BY_CHOICES  # noqa: E402
from ..vocabulary import MEASURES  # noqa: E402
from .._format import json_safe  # noqa: E402


def __getattr__(name: str):
    # the bundled review's pooled outcomes, read from its protocol when first asked for
    if name in ("OUTCOMES", "OUTCOME_CHOICES"):
        from .outcomes import pooled_outcomes

        return pooled_outcomes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Review", "Analysis", "SensitivityResult", "load_studies", "sensitivity_specs", "ReviewError",
           "OUTCOMES", "BY_CHOICES", "MEASURES", "OUTCOME_CHOICES", "json_safe"]
