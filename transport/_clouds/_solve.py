"""Exact transport between point clouds: `solve` and the choice of method.

Two exact methods, one result type:

* "network_simplex": the cost matrix (`cost_matrix`), then `emd`'s solver;
* "sparse": column generation without the cost matrix (`transport._clouds._sparse`;
  from `BLOCK_SCAN_MIN_DIM` dimensions on `transport._clouds._sparse_blocks`,
  priced by blocks of matrix products).

"auto" picks by `choose_method`; the method that ran is recorded in the
result.  `wasserstein` is a thin wrapper over `solve` (and the closed form
on the line).
"""

import dataclasses

import numpy as np

from .._core._certify import DEFAULT_RTOL
from .._core._progress import NO_PROGRESS, progress_reporter, validate_progress
from .._simplex._emd import solve_problem
from .._core._blas_costs import high_dim_costs, uses_blas
from .._core._metrics import METRICS, SQEUCLIDEAN, pair_costs, refine_small_euclidean
from .._simplex._network_simplex import DEFAULT_MAX_PIVOTS
from .._core._results import transport_result, warn_uncertified
from .._core._scaling import cloud_scale, degree, scale_back, times_power_of_two
from ._block_scan import uses_blocks
from ._sparse import solve_sparse_solution
from ._sparse_blocks import solve_blocks_solution
from .._core._validation import (_all_finite, validate_metric, validate_p,
                          validate_point_clouds)
from .._line._wasserstein_1d import wasserstein_1d

__all__ = ["solve", "cost_matrix", "choose_method", "auto_method", "travel_feature",
           "solve_scaled", "METHODS", "SPARSE_MIN_PAIRS", "DENSE_MAX_BYTES"]

_TINY = np.finfo(np.float64).tiny


def ground_costs(X, Y, metric, p):
    """The (n, m) matrix d(x_i, y_j)^p of validated clouds (canonical metric),
    as computed: see `cost_matrix` for the version safe at any scale.  In
    high dimension by matrix products or the parallel direct formula
    (`high_dim_costs`); the result is the only n x m array."""
    code = METRICS[metric].code
    if metric == "euclidean" and p == 2.0 and uses_blas(code, X.shape[1]):
        # |x - y|^2 straight from the product form: no square root to undo
        return high_dim_costs(X, Y, SQEUCLIDEAN)
    M = high_dim_costs(X, Y, code)
    if M is None:
        from scipy.spatial.distance import cdist  # loaded on first use

        M = cdist(X, Y, metric=metric)
        if metric == "euclidean":  # distances of close points, without underflow
            refine_small_euclidean(X, Y, M)
    if p != 1.0:
        with np.errstate(over="ignore", under="ignore"):  # callers check the range
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
        As for `wasserstein`; a ValueError also when a cost overflows
        float64 or the largest one underflows (distances are computed on
        the clouds rescaled by a power of two and only then raised to the
        power p, so only a cost that truly does not fit fails; entries far
        below the largest round to 0 like any float64 result).

    See Also
    --------
    solve, wasserstein, emd

    Notes
    -----
    ``emd(a, b, cost_matrix(u, v, metric=metric, p=p))`` solves the same
    problem as ``solve(u, v, a, b, p=p, metric=metric,
    method="network_simplex")`` (with a and b the normalised weights).

    From 16 dimensions on, euclidean and squared euclidean costs come from
    matrix products (BLAS), :math:`\|x\|^2 + \|y\|^2 - 2\,x \cdot y` on
    the clouds moved to their common mean, with a proven bound on the error
    of every entry; entries where the product form may have cancelled
    (near duplicates) are recomputed by the direct formula, so that every
    distance is within 2^-44 (5.7e-14) relative of the exact one, plus one
    rounding.  From 64 dimensions on, cityblock and chebyshev costs come
    from a compiled kernel on all cores.  Below, SciPy's ``cdist``.

    Examples
    --------
    >>> from transport import cost_matrix
    >>> cost_matrix([[0.0, 0.0]], [[3.0, 4.0], [1.0, 1.0]], metric="cityblock")
    array([[7., 2.]])
    """
    X, Y, _, _ = validate_point_clouds(u_values, v_values)
    metric = validate_metric(metric)
    p = validate_p(p)
    # The distances of the originals first (computed on the clouds rescaled
    # so that they neither over- nor underflow), then their p-th power:
    # powering the rescaled distances could underflow costs that fit.
    scaled = cloud_scale(X, Y, metric, 1.0)
    M = ground_costs(scaled.X, scaled.Y, metric, 1.0)
    positive = M.max() > 0.0
    if scaled.exponent:
        M = times_power_of_two(M, scaled.exponent * degree(metric))
    if p != 1.0:
        with np.errstate(over="ignore", under="ignore"):  # checked below
            M **= p
    # Each entry is the float nearest d(x, y)^p (to a few ulp); entries far
    # below the largest one may round to 0, as any float64 result does.  A
    # cost that overflows, or a largest cost below the normal range (all of
    # them lost), is an error.
    if not _all_finite(M) or (positive and not M.max() >= _TINY):
        raise ValueError(
            f"some cost d(x, y)^p (metric {metric!r}, p = {p:g}) is not "
            f"representable in float64: it over- or underflows (the "
            f"distances themselves were computed without either); a smaller "
            f"p keeps the costs in range."
        )
    return M


def _network_simplex(X, Y, a, b, metric, p, *, report=NO_PROGRESS):
    report.update(method="network_simplex", n=X.shape[0], m=Y.shape[0])
    return solve_problem(a, b, ground_costs(X, Y, metric, p), DEFAULT_MAX_PIVOTS,
                         DEFAULT_RTOL)


def _sparse(X, Y, a, b, metric, p, *, report=NO_PROGRESS):
    report.update(method="sparse", n=X.shape[0], m=Y.shape[0])
    if uses_blocks(X.shape[1]):  # kd-trees prune nothing there: blocks of products
        return solve_blocks_solution(X, Y, a, b, metric, p)[0]
    return solve_sparse_solution(X, Y, a, b, metric, p, report=report)[0]


#: method name -> solver(X, Y, a, b, metric, p, *, report) returning a
#: `Solution` (cost W_p^p), without warnings; `report` is a
#: `progress_reporter` (the sparse solver reports every round).
METHODS = {
    "network_simplex": _network_simplex,
    "sparse": _sparse,
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
#: on the dense solver up to this many pairs.  Sparse / dense time (families
#: benchmark and `transport._clouds._sparse`'s rounds next to the tree, load ~1,
#: pricing block 0.05): at 2000 x 2000 1.64 shifted, 1.62 clusters, 1.73
#: gauss3d; at 3000 x 3000 0.88 / 0.90 / 1.19; at 4000 x 4000 0.77 / 0.71 /
#: 0.90; at 6000 x 6000 0.47 / 0.43 / 0.60.  Any other cost (d^2,
#: sqeuclidean) goes sparse: 0.37 / 0.57 / 0.58 at 2000 x 2000 already.
FAR_DENSE_MAX_PAIRS_LINEAR = 9_000_000


#: Above 3-D, "auto" runs the dense solver unless its cost matrix would take
#: more than this many bytes (8 GiB): then the matrix-free method, which in
#: high dimension prices by blocks of matrix products and holds one block.
DENSE_MAX_BYTES = 1 << 33


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

    The dense network simplex below `SPARSE_MIN_PAIRS` pairs and above 3-D
    (there up to a cost matrix of `DENSE_MAX_BYTES`);
    else the matrix-free column generation, except when mass travels far
    (``travel`` = `travel_feature` above `FAR_TRAVEL`) and the problem is
    small enough that the dense solver was measured faster, which happened
    only for a cost d^1 (`linear_cost`), up to `FAR_DENSE_MAX_PAIRS_LINEAR`
    pairs.  Histograms on one common support
    (`same_support`, e.g. two images on one pixel grid) go sparse: there the
    dense solver was the slower one (1.8x at 64 x 64 pixels).
    """
    pairs = n * m
    if d > 3 and 8 * pairs > DENSE_MAX_BYTES:
        return "sparse"
    if d > 3 or pairs < SPARSE_MIN_PAIRS:
        return "network_simplex"
    if (travel > FAR_TRAVEL and linear_cost and not same_support
            and pairs <= FAR_DENSE_MAX_PAIRS_LINEAR):
        return "network_simplex"
    return "sparse"


def auto_method(X, Y, a, b, metric, p):
    """`choose_method` on validated clouds (computes the cheap features only
    where they can change the choice)."""
    n, m, d = X.shape[0], Y.shape[0], X.shape[1]
    linear = p == 1.0 and metric != "sqeuclidean"
    if d > 3 or n * m < SPARSE_MIN_PAIRS or n * m > FAR_DENSE_MAX_PAIRS_LINEAR or not linear:
        return choose_method(n, m, d, linear_cost=linear)
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


def _check_power_underflow(sol, X, Y, metric, p):
    """Raise when a pair the plan uses has a positive distance whose cost
    d^p underflowed: the LP then saw costs that are not the problem's."""
    if p * degree(metric) == 1.0:
        return
    rows = np.ascontiguousarray(sol.rows, dtype=np.int64)
    cols = np.ascontiguousarray(sol.cols, dtype=np.int64)
    d = np.empty(rows.shape[0])
    c = np.empty(rows.shape[0])
    code = METRICS[metric].code
    pair_costs(X, Y, rows, cols, code, 1.0, d)
    pair_costs(X, Y, rows, cols, code, p, c)
    lost = (d > 0) & (c < np.finfo(np.float64).tiny)
    if lost.any():
        raise ValueError(
            f"the ground costs d(x, y)^p with p = {p:g} (metric {metric!r}) "
            f"underflow float64 on pairs the optimal plan uses (distances "
            f"down to {float(d[lost].min() / max(d.max(), 1e-300)):.3g} of the "
            f"largest one it uses): W_p is not computable exactly in float64 "
            f"for this data; a smaller p keeps the costs in range."
        )


def solve_scaled(X, Y, a, b, metric, p, method, progress=False):
    """(solution, k) for validated input; `method` may be "auto".

    The `Solution` is that of the clouds rescaled by `cloud_scale`
    (unchanged for clouds of ordinary size); costs and potentials of the
    originals are 2^k times its own.  No warning: the caller applies the
    uncertified rule.  `progress`: report on stderr (`progress_reporter`).
    """
    report = progress_reporter(progress, "solve")
    scaled = cloud_scale(X, Y, metric, p)
    if method == "auto":
        method = auto_method(scaled.X, scaled.Y, a, b, metric, p)
    try:
        sol = METHODS[method](scaled.X, scaled.Y, a, b, metric, p, report=report)
    except BaseException:
        report.close(status="interrupted")
        raise
    k = scaled.exponent * p * degree(metric)
    if report.enabled:  # the cost of the rescaled clouds, shown at the original scale
        report.close(status=sol.status,
                     pivots=int(sol.n_iter), cost=_shown_cost(sol.cost, k))
    _check_power_underflow(sol, scaled.X, scaled.Y, metric, p)
    return sol, k


def _shown_cost(cost, k):
    """cost * 2^k for display (inf when it does not fit)."""
    try:
        return float(np.ldexp(cost, k)) if k else float(cost)
    except (OverflowError, ValueError):
        return float("inf")


def _scaled_back(result, k):
    """`result` (a TransportResult) with cost and potentials multiplied by
    2^k (see `solve_scaled`)."""
    if k == 0:
        return result
    cost = float(scale_back(result.cost, k, "the optimal cost W_p^p"))
    u = scale_back(result.u, k, "a potential u_i")
    v = scale_back(result.v, k, "a potential v_j")
    cert = result.certificate
    # sizes, for information (inf or 0 when they do not fit)
    scale, bound = times_power_of_two(np.array([cert.scale, cert.bound]), k)
    certificate = dataclasses.replace(cert, scale=float(scale), bound=float(bound))
    return dataclasses.replace(result, cost=cost, u=u, v=v, certificate=certificate)


def solve(u_values, v_values, u_weights=None, v_weights=None, *, p=1,
          metric="euclidean", method="auto", progress=False):
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
        solver was measured faster (see `choose_method`), and where the
        cost matrix would exceed 8 GiB; "network_simplex": the exact LP on
        the dense cost matrix; "sparse": the exact LP by column generation
        without the cost matrix (certified over all pairs; pairs priced by
        kd-tree scans up to 11-D, by blocks of matrix products above).
    progress : bool, optional
        Report on stderr while the solve runs (default False): for the
        sparse method in up to 11-D each round of column generation (its
        coarse levels included) with the arcs held, the violated pairs found
        and the current cost (that of the current feasible plan, an upper
        bound of the optimum); for the dense one a line at the start and at
        the end.  A tqdm bar where tqdm is installed, plain lines otherwise;
        nothing goes to stdout.

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
        lengths or dimensions, empty), p < 1, an unknown metric or method;
        a cost W_p^p or potential that does not fit in float64, or costs
        d^p that underflow on the pairs the plan uses.
    TypeError
        Non-numeric input, or a metric or method that is not a string, or
        `progress` not a bool.

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
    scan instead of the matrix.  Clouds so small or large (or p so large)
    that costs would over- or underflow are moved to the origin and scaled
    by a power of two first (every metric is homogeneous), and the answer
    scaled back.

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
    progress = validate_progress(progress)
    sol, k = solve_scaled(X, Y, a, b, metric, p, method, progress)
    result = transport_result(sol)
    warn_uncertified(result, f"solve (method {result.method!r})",
                     f"{result.n_iter} pivots")
    return _scaled_back(result, k)
