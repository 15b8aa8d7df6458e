"""The ground metrics: one registry of names, codes and numba kernels.

Every solver that evaluates a ground cost takes it from here: `cost_matrix`
(through SciPy's `cdist`, same names), the sparse solver (`cost`,
`box_cost`), the KR dual (`distance`) and the kd-tree queries (`minkowski`,
the exponent `scipy.spatial.cKDTree` takes).  Kernels receive the integer
`code` of a metric, never its name.
"""

from collections import namedtuple

import numpy as np
from numba import njit

__all__ = ["MetricInfo", "METRICS", "validate_metric", "distance", "cost", "pair_costs",
           "box_cost", "refine_small_euclidean", "SMALL_SQUARED", "EUCLIDEAN",
           "SQEUCLIDEAN", "CITYBLOCK", "CHEBYSHEV"]

EUCLIDEAN, SQEUCLIDEAN, CITYBLOCK, CHEBYSHEV = 0, 1, 2, 3

MetricInfo = namedtuple("MetricInfo", "name code minkowski is_metric")
MetricInfo.__doc__ = """A supported ground metric.

name : canonical name (also SciPy's `cdist` name); code : the integer the
kernels dispatch on; minkowski : the `p` of `cKDTree.query` whose nearest
neighbours are this metric's (sqeuclidean: those of euclidean);
is_metric : satisfies the triangle inequality (the KR duality needs it).
"""

#: Canonical name -> MetricInfo.
METRICS = {
    "euclidean": MetricInfo("euclidean", EUCLIDEAN, 2.0, True),
    "sqeuclidean": MetricInfo("sqeuclidean", SQEUCLIDEAN, 2.0, False),
    "cityblock": MetricInfo("cityblock", CITYBLOCK, 1.0, True),
    "chebyshev": MetricInfo("chebyshev", CHEBYSHEV, np.inf, True),
}

_ALIASES = {
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
    (``"manhattan"``, ``"l1"``), ``"chebyshev"`` (``"linf"``), in any case.
    """
    if not isinstance(metric, str):
        raise TypeError(
            f"`metric` must be a string, one of {sorted(METRICS)}; got "
            f"{metric!r}."
        )
    key = metric.lower()
    if key not in _ALIASES:
        raise ValueError(
            f"`metric` must be one of {sorted(METRICS)}; got {metric!r}."
        )
    return _ALIASES[key]


_OPTS = dict(cache=True, nogil=True)


@njit(**_OPTS)
def _power(x, p):
    if p == 1.0:
        return x
    if p == 2.0:
        return x * x
    return x**p


#: A sum of squared coordinate differences below this may have lost bits
#: (squares below the normal range, ~1e-308, are rounded or flushed to 0):
#: such euclidean distances, below 2^-480 ~ 3e-145, are recomputed on the
#: differences divided by their largest (`_small_euclidean`).
SMALL_SQUARED = 2.0**-960


@njit(**_OPTS)
def _small_euclidean(X, i, Y, j):
    """The euclidean distance of two close points, without squaring tiny
    differences: max_t |diff_t| * sqrt(sum_t (diff_t / max)^2)."""
    top = 0.0
    for t in range(X.shape[1]):
        diff = abs(X[i, t] - Y[j, t])
        if diff > top:
            top = diff
    if top == 0.0:
        return 0.0
    acc = 0.0
    for t in range(X.shape[1]):
        r = (X[i, t] - Y[j, t]) / top
        acc += r * r
    return top * np.sqrt(acc)


@njit(**_OPTS)
def distance(X, i, Y, j, metric):
    """d(X[i], Y[j]) for the metric code, computed as SciPy's `cdist` does
    (sqeuclidean: the squared euclidean distance), except that euclidean
    distances below 2^-480 are computed without underflow
    (`refine_small_euclidean` does the same to a `cdist` matrix)."""
    d = X.shape[1]
    acc = 0.0
    if metric == EUCLIDEAN or metric == SQEUCLIDEAN:
        for t in range(d):
            diff = X[i, t] - Y[j, t]
            acc += diff * diff
        if metric == EUCLIDEAN:
            if acc < SMALL_SQUARED:
                return _small_euclidean(X, i, Y, j)
            acc = np.sqrt(acc)
    elif metric == CITYBLOCK:
        for t in range(d):
            acc += abs(X[i, t] - Y[j, t])
    else:
        for t in range(d):
            diff = abs(X[i, t] - Y[j, t])
            if diff > acc:
                acc = diff
    return acc


@njit(**_OPTS)
def cost(X, i, Y, j, metric, p):
    """The ground cost d(X[i], Y[j])^p."""
    return _power(distance(X, i, Y, j, metric), p)


@njit(**_OPTS)
def box_cost(X, i, lo, hi, node, metric, p):
    """A lower bound of d(X[i], y)^p over y in the box [lo[node], hi[node]].

    The gap to the box in each coordinate is at most |x_t - y_t| for every
    y in the box, also after rounding (floating-point subtraction, squares,
    sums and sqrt are monotone), so the bound holds for the costs that
    `cost` computes, not only for the exact ones.
    """
    d = X.shape[1]
    acc = 0.0
    for t in range(d):
        xt = X[i, t]
        g = 0.0
        if xt < lo[node, t]:
            g = lo[node, t] - xt
        elif xt > hi[node, t]:
            g = xt - hi[node, t]
        if metric == EUCLIDEAN or metric == SQEUCLIDEAN:
            acc += g * g
        elif metric == CITYBLOCK:
            acc += g
        elif g > acc:
            acc = g
    if metric == EUCLIDEAN:
        if acc < SMALL_SQUARED:
            # `distance` is then computed differently (`_small_euclidean`),
            # and the naive value could exceed it by rounding: 0 is a bound
            return 0.0
        acc = np.sqrt(acc)
    return _power(acc, p)


@njit(**_OPTS)
def refine_small_euclidean(X, Y, M):
    """Entries of a euclidean `cdist` matrix M below 2^-480 recomputed as
    `distance` computes them (a sum of tiny squares underflows); in place."""
    threshold = np.sqrt(SMALL_SQUARED)
    for i in range(M.shape[0]):
        for j in range(M.shape[1]):
            if M[i, j] < threshold:
                M[i, j] = _small_euclidean(X, i, Y, j)


@njit(**_OPTS)
def pair_costs(X, Y, src, dst, metric, p, out):
    """out[e] = d(X[src[e]], Y[dst[e]])^p for an arc list."""
    for e in range(src.shape[0]):
        out[e] = cost(X, src[e], Y, dst[e], metric, p)
