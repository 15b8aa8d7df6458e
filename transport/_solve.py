"""Exact transport between point clouds: `solve` and the choice of method.

Two exact methods, one result type:

* "network_simplex": the cost matrix (`cost_matrix`), then `emd`'s solver;
* "sparse": column generation without the cost matrix (`transport._sparse`).

"auto" picks by `choose_method`; the method that ran is recorded in the
result.  `wasserstein` is a thin wrapper over `solve` (and the closed form
on the line).
"""

import numpy as np
from scipy.spatial.distance import cdist

from ._certify import DEFAULT_RTOL
from ._emd import solve_problem
from ._network_simplex import DEFAULT_MAX_PIVOTS
from ._results import warn_uncertified
from ._sparse import solve_sparse
from ._validation import validate_metric, validate_p, validate_point_clouds
from ._wasserstein_1d import wasserstein_1d

__all__ = ["solve", "cost_matrix", "choose_method", "auto_method", "travel_feature",
           "solve_validated", "METHODS", "SPARSE_MIN_PAIRS"]


def ground_costs(X, Y, metric, p):
    """The (n, m) matrix d(x_i, y_j)^p of validated clouds (canonical metric)."""
    M = cdist(X, Y, metric=metric)
    if p != 1.0:
        M **= p
    return M


def cost_matrix(u_values, v_values, *, metric="euclidean", p=1):
    r"""Ground costs d(x_i, y_j)^p between two point clouds.

    Parameters
    ----------
    u_values : (n,) or (n, d) array_like
    v_values : (m,) or (m, d) array_like
    metric : str, optional
        "euclidean", "sqeuclidean", "cityblock" or "chebyshev".
    p : float, optional
        Power applied to the distances, p >= 1.

    Returns
    -------
    (n, m) ndarray
        C-contiguous float64 costs, ready for `emd`.

    Raises
    ------
    ValueError, TypeError
        As for `wasserstein`.

    See Also
    --------
    solve, wasserstein, emd

    Notes
    -----
    ``emd(a, b, cost_matrix(u, v, metric=metric, p=p))`` solves the same
    problem as ``solve(u, v, a, b, p=p, metric=metric,
    method="network_simplex")`` (with a and b the normalised weights).

    Examples
    --------
    >>> from transport import cost_matrix
    >>> cost_matrix([[0.0, 0.0]], [[3.0, 4.0], [1.0, 1.0]], metric="cityblock")
    array([[7., 2.]])
    """
    X, Y, _, _ = validate_point_clouds(u_values, v_values)
    return ground_costs(X, Y, validate_metric(metric), validate_p(p))


def _network_simplex(X, Y, a, b, metric, p):
    return solve_problem(a, b, ground_costs(X, Y, metric, p), DEFAULT_MAX_PIVOTS,
                         DEFAULT_RTOL)


#: method name -> solver(X, Y, a, b, metric, p) returning a TransportResult
#: (cost W_p^p), without warnings.
METHODS = {
    "network_simplex": _network_simplex,
    "sparse": solve_sparse,
}

#: From this many pairs, "auto" considers the matrix-free sparse solver for
#: 2-D and 3-D clouds.  Measured dense time / sparse time on uniform 2-D
#: clouds: 0.36 at 500 x 500, ~0.9-1.0 at 1000 x 1000, 1.5 at 1500 x 1500,
#: 2.5-3.1 at 4000 x 4000; 0.53 at 300 x 3000, 1.18 at 200 x 5000.
SPARSE_MIN_PAIRS = 2_250_000

#: "Far travel": the largest 1-D W_1 between the clouds' coordinate
#: marginals (a lower bound of W_1) above this fraction of the joint
#: bounding box's diagonal.  The families benchmark (`python -m
#: benchmarks.bench --sections families`) measured 0.003-0.004 for two
#: uniform squares and 0.07-0.28 for the families on which the dense
#: solver was faster (shifted squares, clusters against a Gaussian, 3-D
#: Gaussians 1 apart per axis): mass that travels far makes the sparse
#: solver's dual scans and rounds expensive, not the dense simplex.
FAR_TRAVEL = 0.03

#: With far travel, a cost d^1 (W_1: degenerate, many near-tied pairs) stays
#: on the dense solver up to this many pairs.  Dense / sparse time in the
#: families benchmark (load ~2): at 2000 x 2000 0.24 (shifted, clusters,
#: gauss3d); at 6000 x 6000 0.53 / 0.75 / 0.46 (and 1.8 on two photographs
#: on one 64 x 64 grid, identical supports, which go sparse: see
#: `choose_method`).  Beyond it the matrix alone takes over 288 MB.
FAR_DENSE_MAX_PAIRS_LINEAR = 36_000_000

#: ... and any other cost (d^2, sqeuclidean) up to this many: dense / sparse
#: at 2000 x 2000: 1.22 shifted, 0.39 clusters, 0.68 gauss3d; at 6000 x 6000
#: the sparse solver was faster or within 1.07x on every family.
FAR_DENSE_MAX_PAIRS = 4_000_000


def travel_feature(X, Y, a, b):
    """max over coordinates of W_1 between the marginals, divided by the
    diagonal of the joint bounding box (0 when the box is a point); O(n log
    n), a lower bound of W_1 / diameter for the euclidean cost."""
    lo = np.minimum(X.min(axis=0), Y.min(axis=0))
    hi = np.maximum(X.max(axis=0), Y.max(axis=0))
    diam = float(np.sqrt(np.sum((hi - lo) ** 2)))
    if not diam > 0:
        return 0.0
    w = max(wasserstein_1d(X[:, t], Y[:, t], a, b) for t in range(X.shape[1]))
    return w / diam


def choose_method(n, m, d, *, linear_cost=True, travel=0.0, same_support=False):
    """The exact LP method "auto" picks (pure).

    The dense network simplex below `SPARSE_MIN_PAIRS` pairs and above 3-D;
    else the matrix-free column generation, except when mass travels far
    (``travel`` = `travel_feature` above `FAR_TRAVEL`) and the problem is
    small enough that the dense solver was measured faster:
    `FAR_DENSE_MAX_PAIRS_LINEAR` pairs for a cost d^1 (`linear_cost`),
    `FAR_DENSE_MAX_PAIRS` for others.  Histograms on one common support
    (`same_support`, e.g. two images on one pixel grid) go sparse: there the
    dense solver was the slower one (1.8x at 64 x 64 pixels).
    """
    pairs = n * m
    if d > 3 or pairs < SPARSE_MIN_PAIRS:
        return "network_simplex"
    if travel > FAR_TRAVEL and not same_support:
        limit = FAR_DENSE_MAX_PAIRS_LINEAR if linear_cost else FAR_DENSE_MAX_PAIRS
        if pairs <= limit:
            return "network_simplex"
    return "sparse"


def auto_method(X, Y, a, b, metric, p):
    """`choose_method` on validated clouds (computes the cheap features only
    where they can change the choice)."""
    n, m, d = X.shape[0], Y.shape[0], X.shape[1]
    if d > 3 or n * m < SPARSE_MIN_PAIRS or n * m > FAR_DENSE_MAX_PAIRS_LINEAR:
        return choose_method(n, m, d)
    linear = p == 1.0 and metric != "sqeuclidean"
    same = X.shape == Y.shape and bool(np.array_equal(X, Y))
    return choose_method(n, m, d, linear_cost=linear,
                         travel=travel_feature(X, Y, a, b), same_support=same)


def _validated_method(method, methods):
    if not isinstance(method, str):
        raise TypeError(f"`method` must be a string; got {method!r}.")
    if method != "auto" and method not in methods:
        raise ValueError(
            f"`method` must be 'auto' or one of {sorted(methods)}; got {method!r}."
        )
    return method


def solve_validated(X, Y, a, b, metric, p, method):
    """A `TransportResult` for validated input; `method` may be "auto".
    No warning: the caller applies the uncertified rule."""
    if method == "auto":
        method = auto_method(X, Y, a, b, metric, p)
    return METHODS[method](X, Y, a, b, metric, p)


def solve(u_values, v_values, u_weights=None, v_weights=None, *, p=1,
          metric="euclidean", method="auto"):
    r"""Exact optimal transport between two weighted point clouds.

    Parameters
    ----------
    u_values : (n,) or (n, d) array_like
        Atoms of P.
    v_values : (m,) or (m, d) array_like
        Atoms of Q, in the same space.
    u_weights, v_weights : (n,), (m,) array_like, optional
        Non-negative weights with a positive sum, normalised to 1; uniform
        when None.
    p : float, optional
        The cost is d(x, y)^p, p >= 1 (default 1).
    metric : str, optional
        Ground metric d: "euclidean" (default), "sqeuclidean", "cityblock"
        or "chebyshev".
    method : str, optional
        "auto" (default): the dense network simplex below 2.25e6 pairs and
        above 3-D; the sparse solver above that size, except where mass
        travels far (measured from the coordinate marginals) and the dense
        solver was measured faster (see `choose_method`); "network_simplex": the exact LP on the
        dense cost matrix; "sparse": the exact LP by column generation
        without the cost matrix (certified over all pairs).

    Returns
    -------
    TransportResult
        ``cost`` = W_p^p, the sparse optimal ``plan`` (n, m), potentials
        ``u``, ``v`` (u_i + v_j <= d(x_i, y_j)^p for all pairs, equality on
        the plan), ``status``, ``n_iter`` (pivots), ``method`` (the one that
        ran) and the ``certificate``.  When optimality cannot be proven the
        status says why, the cost is NaN and an `UncertifiedWarning` is
        issued.

    Raises
    ------
    ValueError
        Bad atoms or weights (NaN, inf, negative, all-zero, mismatched
        lengths or dimensions, empty), p < 1, an unknown metric or method.
    TypeError
        Non-numeric input, or a metric or method that is not a string.

    See Also
    --------
    wasserstein : the distance W_p alone.
    emd : the same LP on a cost matrix of your own.
    certify : checks the result against ``cost_matrix(u_values, v_values)``.

    Notes
    -----
    .. math:: \min_{\gamma \in \Pi(a, b)} \sum_{ij} \gamma_{ij}\,
              d(x_i, y_j)^p.

    Both methods run our network simplex and certify the answer
    independently (marginals, dual feasibility over all n m pairs, zero
    duality gap); the sparse method proves dual feasibility with a kd-tree
    scan instead of the matrix.

    Examples
    --------
    >>> from transport import solve
    >>> res = solve([[0.0, 0.0], [0.0, 1.0]], [[3.0, 0.0], [3.0, 1.0]])
    >>> res.cost, res.status, res.method
    (3.0, 'optimal', 'network_simplex')
    >>> res.dense_plan()
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    X, Y, a, b = validate_point_clouds(u_values, v_values, u_weights, v_weights)
    p = validate_p(p)
    metric = validate_metric(metric)
    method = _validated_method(method, METHODS)
    result = solve_validated(X, Y, a, b, metric, p, method)
    return warn_uncertified(result, f"solve (method {result.method!r})",
                            f"{result.n_iter} pivots")
