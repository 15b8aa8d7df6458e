"""Divergences between probability distributions.

Total variation, Kullback-Leibler and Jensen-Shannon divergences between
histograms (batched, any axis), and `align`, which puts two weighted point
sets on their common support so the same functions apply to empirical
measures; `pairwise` for every pair of rows of two histogram matrices.
Natural logarithm unless `base` is given; histograms are
normalised to total mass 1 (SciPy's convention).
"""

from . import _compile_notice  # noqa: F401  (one stderr line when kernels first compile)
from ._align import align
from ._divergences import js, js_distance, kl, tv
from ._version import __version__
from ._pairwise import pairwise

__all__ = ["tv", "kl", "js", "js_distance", "align", "pairwise"]
