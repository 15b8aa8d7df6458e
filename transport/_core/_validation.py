"""Validation of transport inputs: marginals, cost matrices, p, options.

Point clouds and their weights are validated by the shared validators of
`divergences._validation` (re-exported here), so both packages report bad
input identically.
"""

import numpy as np
from numba import njit

from ._metrics import METRICS, validate_metric

from divergences._validation import (
    as_float_array,
    masses_and_total,
    raise_first_bad_entry,
    real_option,
    refuse_masked,
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
    "validate_cap",
    "validate_rtol",
    "total",
    "plain_problem",
    "check_equal_mass",
]

#: Relative tolerance on ``|sum(a) - sum(b)|`` accepted by `emd`; larger
#: mismatches are refused.  Loose enough for histograms normalised in float32.
MASS_RTOL = 1e-7


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
        if n == 0:
            raise ValueError(
                f"`M` must have at least one row and one column (one per source "
                f"and target mass); `{name}` = None would give uniform masses "
                f"over none."
            )
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
    with np.errstate(over="ignore"):  # an overflowing total is named below
        total = arr.sum()
    if not total > 0:
        raise ValueError(f"`{name}` must have positive total mass; it is all zero.")
    if not np.isfinite(total):
        raise ValueError(
            f"the total mass of `{name}` overflows float64 (its entries sum to "
            f"more than {np.finfo(np.float64).max:.3g}); `emd` keeps your total "
            f"mass, so rescale both marginals, e.g. divide `a` and `b` by the "
            f"same factor, and multiply the cost by it."
        )
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
    check_equal_mass(a, b, "a", "b")
    return a, b, M


def check_equal_mass(a, b, name_a, name_b):
    """(sum a, sum b), after checking that they agree to `MASS_RTOL`."""
    sa, sb = float(total(a)), float(total(b))
    if abs(sa - sb) > MASS_RTOL * max(sa, sb):
        raise ValueError(
            f"`{name_a}` and `{name_b}` must carry the same total mass; got "
            f"sum({name_a}) = {sa!r} and sum({name_b}) = {sb!r} (relative "
            f"difference {abs(sa - sb) / max(sa, sb):.3g} > {MASS_RTOL:g}). "
            f"Normalise both, e.g. {name_a} / {name_a}.sum() and {name_b} / "
            f"{name_b}.sum()."
        )
    return sa, sb


@njit(cache=True, nogil=True)
def total(x):
    """Sequential sum: the one used for masses throughout the package."""
    acc = 0.0
    for k in range(x.shape[0]):
        acc += x[k]
    return acc


def _is_plain(x, ndim):
    return (type(x) is np.ndarray and x.dtype == np.float64 and x.ndim == ndim
            and x.flags.c_contiguous)


def plain_problem(a, b, M):
    """True when (a, b, M) are already what `validate_problem` returns --
    C-contiguous float64 arrays of matching shapes, masses finite,
    non-negative, with equal positive finite totals, M finite -- checked in
    one compiled pass.  False sends the caller to `validate_problem`, which
    then raises the precise error (or converts the input)."""
    if not (_is_plain(a, 1) and _is_plain(b, 1) and _is_plain(M, 2)):
        return False
    if M.shape != (a.shape[0], b.shape[0]) or a.shape[0] == 0 or b.shape[0] == 0:
        return False
    return bool(_plain_problem_kernel(a, b, M, MASS_RTOL))


@njit(cache=True, nogil=True)
def _finite_non_negative(x):
    for k in range(x.shape[0]):
        if not (x[k] >= 0.0 and x[k] < np.inf):
            return False
    return True


@njit(cache=True, nogil=True)
def _plain_problem_kernel(a, b, M, mass_rtol):
    # a and b checked by separate calls, not by a loop over the tuple (a, b):
    # numba cannot iterate a tuple of a read-only and a writable array.
    if not (_finite_non_negative(a) and _finite_non_negative(b)):
        return False
    sa = total(a)
    sb = total(b)
    if not (sa > 0.0 and sb > 0.0 and sa < np.inf and sb < np.inf):
        return False
    if abs(sa - sb) > mass_rtol * max(sa, sb):
        return False
    return _all_finite(M)


@njit(cache=True, nogil=True)
def _all_finite(M):
    """True when every entry of M is finite (one pass, no n x m temporary)."""
    for i in range(M.shape[0]):
        for j in range(M.shape[1]):
            x = M[i, j]
            if not (x - x == 0.0):  # NaN or +-inf
                return False
    return True


def validate_cap(value, name):
    """An iteration cap (pivots, rounds): an integer in [1, 2^63 - 1]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"`{name}` must be an integer; got {value!r}.")
    if not 1 <= value <= np.iinfo(np.int64).max:
        raise ValueError(
            f"`{name}` must be an integer in [1, 2**63 - 1]; got {value}."
        )
    return int(value)


def validate_rtol(rtol, name="rtol"):
    """A relative tolerance: a real number in (0, 1)."""
    value = real_option(rtol, name, "in (0, 1)")
    if not 0.0 < value < 1.0:
        raise ValueError(f"`{name}` must lie in (0, 1); got {rtol!r}.")
    return value
