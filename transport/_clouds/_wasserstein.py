"""Wasserstein distance between weighted point clouds in R^d."""

import math

from .._core._progress import validate_progress
from .._core._results import distance_from_cost, require_optimal
from .._core._scaling import not_representable, scale_back
from ._solve import METHODS, _validated_method, solve_scaled
from .._core._validation import validate_metric, validate_p, validate_point_clouds
from .._line._wasserstein_1d import wasserstein_1d

__all__ = ["wasserstein"]


def _closed_form_1d(X, Y, a, b, metric, p):
    # On the line every supported metric is |x - y| except sqeuclidean,
    # |x - y|^2: its W_p^p is W_{2p}^{2p} of |x - y|, and the monotone
    # (quantile) coupling is optimal for both convex costs.
    if metric == "sqeuclidean":
        if not math.isfinite(2.0 * p):
            raise ValueError(
                f"`p` = {p!r} is too large for metric 'sqeuclidean': W_p is then "
                f"W_2p of |x - y| squared, and 2p does not fit in a float64.")
        w = wasserstein_1d(X[:, 0], Y[:, 0], a, b, p=2.0 * p)
        if w > math.sqrt(float.fromhex("0x1.fffffffffffffp+1023")):
            raise not_representable("W_p under 'sqeuclidean' (W_2p squared)")
        return w * w
    return wasserstein_1d(X[:, 0], Y[:, 0], a, b, p=p)


def wasserstein(u_values, v_values, u_weights=None, v_weights=None, *, p=1,
                metric="euclidean", method="auto", progress=False):
    r"""Exact p-Wasserstein distance between two weighted point clouds.

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
        Order, p >= 1 (default 1: the Earth-Mover distance).
    metric : str, optional
        Ground metric d: "euclidean" (default), "sqeuclidean", "cityblock"
        or "chebyshev".
    method : str, optional
        "auto" (default): the closed form for points on the line, otherwise
        as in `solve`; "1d": the closed form (d must be 1);
        "network_simplex" or "sparse": the exact LP methods of `solve`.
    progress : bool, optional
        Report the LP's progress on stderr (default False), as `solve` does;
        the closed form on the line reports nothing.  Nothing goes to stdout.

    Returns
    -------
    float
        W_p(P, Q) = (min over couplings of E d(x, y)^p)^(1/p).

    Raises
    ------
    ValueError
        Bad atoms or weights (NaN, inf, negative, all-zero, mismatched
        lengths or dimensions, empty), p < 1, an unknown metric or method.
    TypeError
        Non-numeric input, or `progress` not a bool.
    OptimalityError
        The LP could not be certified optimal.

    Notes on range: the clouds are rescaled by a power of two when their
    costs would over- or underflow, so every W_p that fits in float64 comes
    back; one that does not raises ValueError.

    See Also
    --------
    solve : the plan, potentials and certificate behind the distance.
    wasserstein_1d, emd, cost_matrix, kr_dual

    Notes
    -----
    .. math:: W_p(P, Q) = \Bigl(\min_{\gamma \in \Pi(P, Q)}
              \sum_{ij} \gamma_{ij}\, d(x_i, y_j)^p\Bigr)^{1/p}.

    ``solve(u_values, v_values, u_weights, v_weights, p=p, metric=metric)``
    returns the plan and the potentials; its cost is W_p^p.

    Examples
    --------
    >>> from transport import wasserstein
    >>> wasserstein([[0.0, 0.0], [0.0, 1.0]], [[3.0, 0.0], [3.0, 1.0]])
    3.0
    >>> wasserstein([0.0, 1.0], [2.0, 3.0], p=2)
    2.0
    """
    X, Y, a, b = validate_point_clouds(u_values, v_values, u_weights, v_weights)
    p = validate_p(p)
    metric = validate_metric(metric)
    method = _validated_method(method, {"1d", *METHODS})
    progress = validate_progress(progress)
    if method == "1d" or (method == "auto" and X.shape[1] == 1):
        if X.shape[1] != 1:
            raise ValueError(
                f"method='1d' needs points on the line; got points of dimension "
                f"{X.shape[1]}."
            )
        return float(_closed_form_1d(X, Y, a, b, metric, p))
    result, k = solve_scaled(X, Y, a, b, metric, p, method, progress)
    require_optimal(result, f"wasserstein (method {result.method!r})",
                    f"{result.n_iter} pivots")
    # W_p of the originals is 2^(k/p) times that of the rescaled clouds
    distance = distance_from_cost(result.cost, p)
    return float(scale_back(distance, k / p, "W_p")) if k else distance
