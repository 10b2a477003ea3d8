"""Deprecated: 0.1's own t, chi-square and F functions are gone; the package uses
:mod:`scipy.special`, which this path now re-exports. This path goes in 0.3."""
from ._deprecated import warn_moved

warn_moved("distributions", "scipy.special")

from scipy.special import chdtr, chdtrc, chdtri, fdtrc, gammaln, ndtr, ndtri, stdtr, stdtrit  # noqa: E402

__all__ = ["stdtr", "stdtrit", "chdtr", "chdtrc", "chdtri", "fdtrc", "ndtr", "ndtri", "gammaln"]
