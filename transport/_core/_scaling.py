"""The one scaling policy of the solvers: exact power-of-two rescaling.

Every solver whose answer scales with its lengths (point clouds, the line,
the circle, grids, trees, histograms over a support) solves a problem whose
lengths were divided by a power of two 2^e when they are not safely in
range, and multiplies its answer by 2^e (exact) on the way back:

* `cloud_scale` for point clouds (and supports of bins);
* `length_exponent` for anything measured by one largest length (a
  period, a spacing, the longest edge, the largest cost);
* `scale_back` / `root_back` for the answer: a value that over- or
  underflows on the way back raises `NotRepresentableError` -- one error,
  a ValueError and an OverflowError at once, for every solver.

A euclidean distance squares coordinate differences: clouds of extent below
~1e-154 underflow to distance 0 and clouds beyond ~1e154 overflow to inf, and
d^p overflows far sooner for large p.  Every supported metric is homogeneous
(d(2^-e x, 2^-e y) = 2^-e d(x, y); sqeuclidean: 2^-2e), so the solvers work
on the clouds moved to the origin and scaled by a power of two, which
multiplies each cost by 2^(-e p deg) up to the rounding of the move, and the
answers are scaled back.  Clouds of ordinary size are left untouched (bit for
bit the results of the unscaled problem).
"""

import math
from collections import namedtuple

import numpy as np

__all__ = ["CloudScale", "cloud_scale", "degree", "scale_back", "times_power_of_two",
           "NOT_REPRESENTABLE", "NotRepresentableError", "not_representable",
           "length_exponent", "mass_exponent", "root_back", "is_safe"]

#: Clouds whose diameter bound D has |log2 D| <= SAFE_LOG2 and whose largest
#: cost D^(p deg) stays below 2^SAFE_COST_LOG2 are solved as given.
SAFE_LOG2 = 20
SAFE_COST_LOG2 = 500

NOT_REPRESENTABLE = (
    "is not representable in float64 (the scaled problem was solved, but "
    "the answer over- or underflows when scaled back)"
)



class NotRepresentableError(ValueError, OverflowError):
    """The exact answer exists but does not fit in float64 (it over- or
    underflows).  Both a ValueError (as for other data the solvers cannot
    answer for) and an OverflowError (as Python's own float arithmetic)."""


def not_representable(what, hint=""):
    """The `NotRepresentableError` for the quantity `what` (e.g. "W_2(P, Q)"),
    with an optional `hint` on how to get an answer."""
    return NotRepresentableError(f"{what} {NOT_REPRESENTABLE}" + (f"; {hint}" if hint
                                                                  else "."))


def is_safe(log2_top, p=1.0):
    """Whether lengths whose largest is 2^log2_top may be used as given:
    neither them nor their p-th powers come near the ends of the float64
    range (the rule `cloud_scale` applies)."""
    return abs(log2_top) <= SAFE_LOG2 and p * abs(log2_top) <= SAFE_COST_LOG2


def length_exponent(top, p=1.0):
    """The e of the policy for lengths whose largest is `top` (>= 0, finite):
    0 when they are safe as given (`is_safe`), else the exponent that puts
    top / 2^e in [1/2, 1).  Divide the lengths by 2^e (np.ldexp(x, -e),
    exact) and multiply the answer by 2^e (`scale_back`, `root_back`)."""
    top = float(top)
    if not top > 0.0:
        return 0
    e = math.frexp(top)[1]
    return 0 if is_safe(math.log2(top), p) else e


def mass_exponent(x):
    """The e that puts max(x) / 2^e in [1/2, 1) (x non-negative, finite,
    some positive): masses divided by 2^e then sum to at most len(x), with
    no overflow, and the smallest keep their bits unless they were far
    below the largest anyway."""
    return math.frexp(float(np.max(x)))[1]


def root_back(power, p, exponent, what, hint=""):
    """power^(1/p) * 2^exponent, the distance W_p of the original problem
    from the optimal cost W_p^p of the one scaled by 2^-exponent (float);
    raises `NotRepresentableError` when it over- or underflows."""
    power = max(float(power), 0.0)
    value = power if p == 1.0 else power ** (1.0 / p)
    return float(scale_back(value, exponent, what, hint))


CloudScale = namedtuple("CloudScale", "X Y exponent")
CloudScale.__doc__ = """Clouds to solve on and the scale of their costs.

Distances of the originals are 2^exponent times those of X, Y (sqeuclidean:
2^(2 exponent)); exponent 0 means X, Y are the inputs themselves.
"""


def degree(metric):
    """How distances scale with the coordinates: 2 for sqeuclidean, else 1."""
    return 2 if metric == "sqeuclidean" else 1


def _half_extents(X, Y):
    """Per-axis half extents of the joint bounding box, and its lower corner
    (halves first, so that neither overflows)."""
    lo = np.minimum(X.min(axis=0), Y.min(axis=0))
    hi = np.maximum(X.max(axis=0), Y.max(axis=0))
    return hi * 0.5 - lo * 0.5, lo


def _log2_diameter(h, metric):
    """log2 of a bound of the distances of a box with half extents h > 0
    somewhere; -inf when all h are 0."""
    top = float(h.max())
    if top == 0.0:
        return -math.inf
    r = h / top  # in [0, 1]: no over- or underflow below
    if metric in ("euclidean", "sqeuclidean"):
        rel = math.sqrt(float(np.dot(r, r)))
    elif metric == "cityblock":
        rel = float(r.sum())
    else:
        rel = 1.0
    return math.log2(top) + 1.0 + math.log2(rel)


def cloud_scale(X, Y, metric, p):
    """The clouds to solve on: X, Y themselves when their costs are safely in
    range, else both moved to the origin and scaled by 2^-e so that every
    distance is at most 1."""
    h, lo = _half_extents(X, Y)
    log_d = _log2_diameter(h, metric)
    if log_d == -math.inf:
        return CloudScale(X, Y, 0)  # one point: every cost is 0
    deg = degree(metric)
    if abs(log_d) <= SAFE_LOG2 and p * deg * abs(log_d) <= SAFE_COST_LOG2:
        return CloudScale(X, Y, 0)
    e = math.ceil(log_d)
    if e > 0:  # scale down first: moving huge coordinates could overflow
        Xs = np.ldexp(X, -e) - np.ldexp(lo, -e)
        Ys = np.ldexp(Y, -e) - np.ldexp(lo, -e)
    else:  # move first: scaling up coordinates far from the origin could overflow
        Xs = np.ldexp(X - lo, -e)
        Ys = np.ldexp(Y - lo, -e)
    return CloudScale(np.ascontiguousarray(Xs), np.ascontiguousarray(Ys), e)


#: |exponent| beyond which 2^exponent * x over- or underflows for every
#: nonzero float64 x (2^-1074 <= |x| < 2^1024).
_LDEXP_LIMIT = 4096


def times_power_of_two(value, exponent):
    """value * 2^exponent, silently inf or 0 where it over- or underflows
    (exact for an integer exponent), for any real `exponent`."""
    with np.errstate(over="ignore", under="ignore"):
        whole = math.floor(exponent)
        part = exponent - whole  # in [0, 1): 2^part is in [1, 2)
        # beyond +-_LDEXP_LIMIT every nonzero float64 over- or underflows
        # anyway; clipped so that ldexp's C int exponent cannot overflow
        whole = min(max(whole, -_LDEXP_LIMIT), _LDEXP_LIMIT)
        return np.ldexp(value * 2.0**part if part else value, whole)


def scale_back(value, exponent, what, hint=""):
    """value * 2^exponent (exact for an integer exponent); raises
    `NotRepresentableError` when a finite, nonzero `value` over- or
    underflows on the way (NaN entries pass through)."""
    value = np.asarray(value, dtype=np.float64)
    if exponent == 0:
        return value
    out = times_power_of_two(value, exponent)
    bad = (~np.isfinite(out) & np.isfinite(value)) | ((out == 0) & (value != 0))
    if np.any(bad):
        raise not_representable(what, hint)
    return out
