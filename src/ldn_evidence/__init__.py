"""ldn-evidence: living systematic-review evidence synthesis.

The first and default review is low-dose naltrexone (LDN) for fibromyalgia. The public names are
resolved lazily (PEP 562) so that ``import ldn_evidence`` and the command line start fast: numpy,
scipy, pandas and matplotlib are only imported by the modules that need them, when first used.
"""
from __future__ import annotations

import importlib

from ._version import __version__

#: public name -> submodule that defines it
_LAZY = {
    "load_studies": "review",
    "Review": "review",
    "validate_studies": "records",
    "save_studies": "records",
    "StudyRecord": "records",
    "escalc": "effects",
    "meta_analysis": "models",
    "meta_regression": "models",
    "subgroup_analysis": "models",
    "MetaResult": "models",
    "bayes_meta_analysis": "models.bayes",
    "BayesMetaResult": "models.bayes",
    "BayesMetaResults": "models.bayes",
    "TauPrior": "models.bayes",
    "turner_prior": "models.bayes",
    "rhodes_prior": "models.bayes",
}

#: the layers, importable as attributes (``le.plots.forest``) without an import statement
_SUBPACKAGES = ("records", "effects", "models", "diagnostics", "plots", "review", "cli", "vocabulary", "errors")

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'ldn_evidence' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
