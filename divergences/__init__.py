"""Divergences between probability distributions.

Total variation, Kullback-Leibler and Jensen-Shannon divergences between
histograms (batched, any axis), and `align`, which puts two weighted point
sets on their common support so the same functions apply to empirical
measures; `pairwise` for every pair of rows of two histogram matrices.
Natural logarithm unless `base` is given; histograms are
normalised to total mass 1 (SciPy's convention).

The names load on first use (``divergences._lazy``): ``import divergences``
imports no kernel.
"""

from . import _compile_notice  # noqa: F401  (one stderr line when kernels first compile)
from ._lazy import lazy_exports
from ._version import __version__

#: Public name -> the private module that defines it.
_EXPORTS = {
    "tv": "._divergences",
    "kl": "._divergences",
    "js": "._divergences",
    "js_distance": "._divergences",
    "align": "._align",
    "pairwise": "._pairwise",
}

__all__ = ["tv", "kl", "js", "js_distance", "align", "pairwise"]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
