"""Validation of transport inputs: marginals, cost matrices, metrics, p.

Point clouds and their weights are validated by the shared validators of
`divergences._validation` (re-exported here), so both packages report bad
input identically.
"""


import numpy as np
from numba import njit

from divergences._validation import (
    as_float_array,
    raise_first_bad_entry,
    real_option,
    validate_point_clouds,
    validate_values,
    validate_weights,
    weights_and_total,
)

__all__ = [
    "MASS_RTOL",
    "METRICS",
    "validate_point_clouds",
    "validate_values",
    "validate_weights",
    "weights_and_total",
    "validate_metric",
    "validate_p",
    "validate_marginal",
    "validate_problem",
]

#: Relative tolerance on ``|sum(a) - sum(b)|`` accepted by `emd`; larger
#: mismatches are refused.  Loose enough for histograms normalised in float32.
MASS_RTOL = 1e-7

#: Canonical metric names and the integer codes the kernels dispatch on.
METRICS = {"euclidean": 0, "sqeuclidean": 1, "cityblock": 2, "chebyshev": 3}

_METRIC_ALIASES = {
    "euclidean": "euclidean",
    "l2": "euclidean",
    "sqeuclidean": "sqeuclidean",
    "cityblock": "cityblock",
    "manhattan": "cityblock",
    "l1": "cityblock",
    "chebyshev": "chebyshev",
    "linf": "chebyshev",
}


def validate_metric(metric):
    """Canonical name of a supported ground metric.

    Accepted: ``"euclidean"`` (``"l2"``), ``"sqeuclidean"``, ``"cityblock"``
    (``"manhattan"``, ``"l1"``), ``"chebyshev"`` (``"linf"``).
    """
    if not isinstance(metric, str):
        raise TypeError(
            f"`metric` must be a string, one of {sorted(METRICS)}; got "
            f"{metric!r}."
        )
    key = metric.lower()
    if key not in _METRIC_ALIASES:
        raise ValueError(
            f"`metric` must be one of {sorted(METRICS)}; got {metric!r}."
        )
    return _METRIC_ALIASES[key]


def validate_p(p):
    """Order of the Wasserstein distance: a finite real number >= 1."""
    p = real_option(p, "p", ">= 1")
    if not (np.isfinite(p) and p >= 1):
        raise ValueError(
            f"`p` must be a finite number >= 1 (W_p is a metric only for "
            f"p >= 1); got {p!r}."
        )
    return p


def validate_marginal(x, name, n=None):
    """A marginal of an OT problem: 1-D, non-negative, finite, positive mass.

    Not normalised (unlike point-cloud weights): `emd` keeps the user's total
    mass, as POT's ``ot.emd`` does.  ``None`` means uniform weights ``1/n``.
    """
    if x is None:
        if n is None:
            raise ValueError(f"`{name}` must be given.")
        return np.full(n, 1.0 / n)
    arr = as_float_array(x, name)
    if arr.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D; got shape {arr.shape}.")
    if arr.shape[0] == 0:
        raise ValueError(
            f"`{name}` is empty; pass None for uniform weights or one mass "
            f"per row/column of `M`."
        )
    if not (np.isfinite(arr).all() and (arr >= 0).all()):
        raise_first_bad_entry(arr, name)
    if not arr.sum() > 0:
        raise ValueError(f"`{name}` must have positive total mass; it is all zero.")
    return np.ascontiguousarray(arr)


def validate_problem(a, b, M):
    """Validate a discrete OT problem ``min <P, M>`` s.t. ``P 1 = a, P^T 1 = b``.

    Returns C-contiguous float64 ``a, b, M`` (``M`` is not copied when it is
    already C-contiguous float64).  Raises when the shapes disagree, when
    ``M`` holds NaN or inf, or when the total masses differ by more than
    `MASS_RTOL` relative.
    """
    M = as_float_array(M, "M")
    if M.ndim != 2:
        raise ValueError(
            f"`M` must be a 2-D (n, m) cost matrix; got shape {M.shape}."
        )
    a = validate_marginal(a, "a", M.shape[0])
    b = validate_marginal(b, "b", M.shape[1])
    if M.shape != (a.shape[0], b.shape[0]):
        raise ValueError(
            f"`M` must have shape (len(a), len(b)) = ({a.shape[0]}, "
            f"{b.shape[0]}); got {M.shape}."
        )
    M = np.ascontiguousarray(M)
    if not _all_finite(M):
        raise_first_bad_entry(M, "M", allow_negative=True)
    sa, sb = float(a.sum()), float(b.sum())
    if abs(sa - sb) > MASS_RTOL * max(sa, sb):
        raise ValueError(
            f"`a` and `b` must carry the same total mass; got sum(a) = {sa!r} "
            f"and sum(b) = {sb!r} (relative difference "
            f"{abs(sa - sb) / max(sa, sb):.3g} > {MASS_RTOL:g}). Normalise "
            f"both, e.g. a / a.sum() and b / b.sum()."
        )
    return a, b, M


@njit(cache=True, nogil=True)
def _all_finite(M):
    """True when every entry of M is finite (one pass, no n x m temporary)."""
    for i in range(M.shape[0]):
        for j in range(M.shape[1]):
            x = M[i, j]
            if not (x - x == 0.0):  # NaN or +-inf
                return False
    return True
