r"""Exact W_1 between histograms on a regular grid, as a min-cost flow.

For the L1 ground cost the distance between two pixels is the length of a
shortest path in the grid graph whose arcs join axis neighbours (4 per pixel
in 2-D, 6 in 3-D); for L-infinity (equal spacing on every axis) it is the
shortest path when diagonal neighbours are joined too (8 per pixel in 2-D,
26 in 3-D), every step costing the spacing.  For a ground cost that is the
shortest-path metric of a graph, optimal transport is a min-cost flow on
that graph's arcs (the flow of any plan decomposes along shortest paths, and
any flow decomposes into paths that cost at least the metric): O(pixels)
arcs instead of the pixels^2 cost matrix.
"""

import itertools
import math
import numbers

import numpy as np

from .._core._certify import DEFAULT_RTOL
from .._core._results import OPTIMAL, OptimalityError
from .._simplex._network_simplex import solve_arcs
from .._core._scaling import length_exponent, scale_back, times_power_of_two
from .._core._validation import as_float_array, masses_and_total, real_option

__all__ = ["wasserstein_grid", "grid_flow", "GRID_METRICS"]

#: Ground metrics on the grid and the neighbour steps whose shortest paths
#: realise them (one direction of each pair; arcs go both ways).
GRID_METRICS = {
    "cityblock": lambda d: [tuple(int(k == a) for k in range(d)) for a in range(d)],
    "chebyshev": lambda d: [s for s in itertools.product((-1, 0, 1), repeat=d)
                            if any(s) and s[next(k for k in range(d) if s[k])] > 0],
}

_ALIASES = {"cityblock": "cityblock", "manhattan": "cityblock", "l1": "cityblock",
            "chebyshev": "chebyshev", "linf": "chebyshev"}

#: Pivot cap of the network simplex: never the reason to stop in practice.
MAX_PIVOTS = 10**9


def _validate_metric(metric):
    if not isinstance(metric, str):
        raise TypeError(f"`metric` must be a string, one of {sorted(GRID_METRICS)}; "
                        f"got {metric!r}.")
    key = _ALIASES.get(metric.lower())
    if key is None:
        raise ValueError(f"`metric` must be one of {sorted(GRID_METRICS)} on a grid; "
                         f"got {metric!r}.")
    return key


def _validate_hist(h, name):
    arr = as_float_array(h, name)
    if not 1 <= arr.ndim <= 3:
        raise ValueError(f"`{name}` must be a 1-D, 2-D or 3-D histogram on a grid; "
                         f"got {arr.ndim} dimensions.")
    if arr.size == 0:
        raise ValueError(f"`{name}` is empty; got shape {arr.shape}.")
    arr, total = masses_and_total(arr, name)
    if not total > 0:
        raise ValueError(f"`{name}` must have a positive sum; it is all zero.")
    with np.errstate(under="ignore"):  # a subnormal mass is a mass
        return arr / total


def _validate_spacing(spacing, ndim, metric):
    values = np.atleast_1d(np.asarray(spacing, dtype=object))
    if values.ndim != 1 or values.shape[0] not in (1, ndim) or not all(
            isinstance(s, numbers.Real) and not isinstance(s, (bool, np.bool_))
            for s in values):
        raise TypeError(f"`spacing` must be a positive number or one per axis "
                        f"({ndim}); got {spacing!r}.")
    values = np.array([real_option(s, "spacing", "> 0") for s in values])
    if not (np.isfinite(values).all() and (values > 0).all()):
        raise ValueError(f"`spacing` must be finite and > 0; got {spacing!r}.")
    values = np.broadcast_to(values, (ndim,)).copy()
    if metric == "chebyshev" and not (values == values[0]).all():
        raise ValueError(
            f"`spacing` must be the same on every axis for metric='chebyshev' "
            f"(the diagonal steps then realise the L-infinity distance); got "
            f"{spacing!r}.")
    return values


def _interleaving(count):
    """A fixed permutation of range(count) that spreads neighbours apart:
    k -> k * stride mod count, the stride near count / golden ratio and
    coprime with count."""
    stride = int(count * 0.6180339887498949) | 1
    while math.gcd(stride, count) != 1:
        stride += 2
    return (np.arange(count, dtype=np.int64) * stride) % count


def grid_arcs(shape, spacing, metric):
    """Arc list (src, dst, cost) of the grid graph realising `metric`.

    The arcs are listed in an interleaved order (`_interleaving`): the
    network simplex prices the list block by block, and a block of arcs
    from all over the grid finds better entering arcs than a block of
    neighbours (on 128 x 128 and 256 x 256 images: half the pivots, from
    0.7 s to 0.32 s and from 30 s to 5.4 s).
    """
    index = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    src, dst, cost = [], [], []
    for step in GRID_METRICS[metric](len(shape)):
        a = tuple(slice(max(0, -s), n - max(0, s)) for s, n in zip(step, shape))
        b = tuple(slice(max(0, s), n - max(0, -s)) for s, n in zip(step, shape))
        u, v = index[a].ravel(), index[b].ravel()
        c = (spacing[0] if metric == "chebyshev"
             else float(np.dot(np.abs(step), spacing)))
        src += [u, v]
        dst += [v, u]
        cost += [np.full(2 * u.size, c)]
    if not src:  # one pixel
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    order = _interleaving(sum(x.size for x in src))
    return (np.concatenate(src)[order], np.concatenate(dst)[order],
            np.concatenate(cost)[order])


def z_order_rank(shape):
    """rank[k] = position of pixel k (C order) along the Z-order (Morton)
    curve: pixels close on the grid get close numbers."""
    coords = np.indices(shape).reshape(len(shape), -1).astype(np.uint64)
    key = np.zeros(coords.shape[1], np.uint64)
    d = len(shape)
    for bit in range(max(int(n - 1).bit_length() for n in shape)):
        for axis in range(d):
            b = (coords[axis] >> np.uint64(bit)) & np.uint64(1)
            key |= b << np.uint64(bit * d + (d - 1 - axis))
    rank = np.empty(key.size, np.int64)
    rank[np.argsort(key, kind="stable")] = np.arange(key.size)
    return rank


#: Pricing block of the grid's min-cost flow: about this times sqrt(#arcs).
#: Two photographs pooled to 128^2 / 256^2 (load ~3): factor 0.25 took
#: 43,355 / 145,191 pivots and 0.58 / 5.1 s, 1 took 35,020 / 110,477 and
#: 0.37 / 4.6 s, 2 took 32,721 / 100,166 and 0.36 / 4.3 s, 4 took
#: 30,702 / 96,377 and 0.40 / 4.3 s.  Larger than the sparse solver's: the
#: grid's arcs are interleaved over the whole image, so a block needs more
#: of them to see a neighbourhood.
GRID_BLOCK_FACTOR = 2.0


def _min_cost_flow(supply, src, dst, cost, art_cost):
    """The one call of the arc-list network simplex in this module."""
    return solve_arcs(supply, src, dst, cost, max_pivots=MAX_PIVOTS, art_cost=art_cost,
                      block_factor=GRID_BLOCK_FACTOR)


def _certify(supply, src, dst, cost, out, rtol=DEFAULT_RTOL):
    """Whether flows and potentials prove the cost optimal (weak duality).

    Checks flow conservation, dual feasibility cost + pi[src] - pi[dst] >= 0
    on every arc of the grid graph -- hence |f(x) - f(y)| <= d(x, y) for
    every pair, d being the graph's shortest-path metric, i.e. the ground
    cost -- and a zero duality gap, all to `rtol` of the problem's scale.
    """
    n = supply.shape[0]
    net = (np.bincount(src[out.arcs], out.flows, minlength=n)
           - np.bincount(dst[out.arcs], out.flows, minlength=n))
    scale = float(cost.max()) if cost.size else 1.0
    scale += float(np.abs(out.pi).max()) if n else 0.0
    balanced = np.abs(net - supply).max() <= rtol
    feasible = cost.size == 0 or (cost + out.pi[src] - out.pi[dst]).min() >= -rtol * scale
    primal = float(np.dot(out.flows, cost[out.arcs]))
    dual = -float(np.dot(supply, out.pi))
    gap_ok = abs(primal - dual) <= rtol * scale and abs(primal - out.cost) <= rtol * scale
    return bool(balanced and feasible and gap_ok and (out.flows >= 0).all())


def grid_flow(u_hist, v_hist, *, metric="cityblock", spacing=1.0):
    """The certified optimal flow behind `wasserstein_grid`.

    Returns ``(cost, src, dst, flow, potential)``: W_1, the arcs that carry
    flow (flat pixel indices, C order), their flows, and the optimal
    potential per pixel (1-Lipschitz for the ground cost; W_1 =
    sum (u - v) * potential, with u, v normalised).  Same arguments and
    errors as `wasserstein_grid`.
    """
    metric = _validate_metric(metric)
    u = _validate_hist(u_hist, "u_hist")
    v = _validate_hist(v_hist, "v_hist")
    if u.shape != v.shape:
        raise ValueError(f"`u_hist` and `v_hist` must be on the same grid; got shapes "
                         f"{u.shape} and {v.shape}.")
    step = _validate_spacing(spacing, u.ndim, metric)
    # the spacings scaled by 2^-e when the grid's lengths are not safely in
    # range (`transport._core._scaling`); the answer is scaled back
    e = length_exponent(float(step.max()))
    step = np.ldexp(step, -e)
    src, dst, cost = grid_arcs(u.shape, step, metric)
    supply = np.ascontiguousarray((u - v).ravel())
    # Routing through the artificial root must cost more than any real
    # route between two pixels: twice the grid's diameter is enough.
    diameter = (float(step[0] * (max(u.shape) - 1)) if metric == "chebyshev"
                else float(np.dot(np.array(u.shape) - 1, step)))
    # The solver sees the pixels numbered along the Z-order curve: the same
    # pivots, fewer cache misses (256 x 256: 5.3 -> 4.2 s).
    rank = z_order_rank(u.shape)
    z_supply = np.empty_like(supply)
    z_supply[rank] = supply
    z_src, z_dst = rank[src], rank[dst]
    out = _min_cost_flow(z_supply, z_src, z_dst, cost, 2.0 * diameter + float(step.max()))
    if out.status != OPTIMAL or not _certify(z_supply, z_src, z_dst, cost, out):
        raise OptimalityError(
            f"the min-cost flow on the grid could not be certified optimal "
            f"(solver status {out.status}); no value is returned.")
    cost = float(scale_back(max(out.cost, 0.0), e, "W_1 on the grid",
                            "divide `spacing` by a power of ten (W_1 scales with it)"))
    return (cost, src[out.arcs], dst[out.arcs], out.flows,
            times_power_of_two(-out.pi[rank], e))


def wasserstein_grid(u_hist, v_hist, *, metric="cityblock", spacing=1.0):
    r"""Exact W_1 between two histograms on the same regular grid.

    Parameters
    ----------
    u_hist, v_hist : (n0, n1) or (n0, n1, n2) array_like
        Non-negative masses per pixel (voxel), each normalised to total
        mass 1 (like the divergences' histograms).  1-D grids work too.
    metric : {"cityblock", "chebyshev"}, optional
        Ground cost between pixel centres: L1 (default; aliases
        "manhattan", "l1") or L-infinity ("linf").
    spacing : float or sequence of float, optional
        Distance between neighbouring pixel centres, one for all axes or
        one per axis (per-axis spacings need "cityblock").

    Returns
    -------
    float
        W_1 for the chosen ground cost.

    Raises
    ------
    ValueError
        Histograms of different shapes, more than 3 dimensions, negative,
        NaN, inf or all-zero masses; non-positive spacing (or one beyond
        float64); unequal spacing with "chebyshev"; an unknown metric; a W_1
        that does not fit in float64 (`NotRepresentableError`, also an
        OverflowError).
    TypeError
        Non-numeric input.
    OptimalityError
        The flow could not be certified optimal (no value is returned).

    See Also
    --------
    emd : the dense LP on the pixels x pixels cost matrix (same value).
    transport._graphs._grid.grid_flow : the optimal flow and potential behind it.

    Notes
    -----
    The ground cost is the shortest-path metric of the grid graph: axis
    neighbours (4 in 2-D, 6 in 3-D), each step costing the spacing of its
    axis, for L1; all neighbours with coordinates differing by at most one
    (8 in 2-D, 26 in 3-D), each step costing the spacing, for L-infinity.
    W_1 is then the min-cost flow

    .. math:: W_1 = \min_{f \ge 0} \sum_e c_e f_e \quad \text{s.t.} \quad
              \sum_{e \,\mathrm{out\,of}\, x} f_e -
              \sum_{e \,\mathrm{into}\, x} f_e = u_x - v_x,

    solved by our network simplex on the O(pixels) arc list.  Certified
    before it is returned: flow conservation, potentials feasible on every
    arc (:math:`f(y) - f(x) \le c_e`), and a zero duality gap.  Feasibility
    on the arcs implies :math:`|f(x) - f(y)| \le d(x, y)` for *all* pairs,
    since d is the length of a shortest path and the bound adds up along
    it, so the potential is an optimal Kantorovich-Rubinstein critic and
    the value is the optimum of the dense LP.

    Masses are normalised (finite masses whose sum overflows are divided by
    their maximum first), and spacings far from 1 are divided by a power of
    two for the solve and the answer multiplied back exactly.

    Examples
    --------
    >>> import numpy as np
    >>> from transport import wasserstein_grid
    >>> u = np.zeros((4, 4)); u[0, 0] = 1.0
    >>> v = np.zeros((4, 4)); v[3, 2] = 1.0
    >>> wasserstein_grid(u, v)                          # |3| + |2|
    5.0
    >>> wasserstein_grid(u, v, metric="chebyshev")      # max(3, 2)
    3.0
    >>> wasserstein_grid(u, v, spacing=(1.0, 0.5))      # 3 + 2 * 0.5
    4.0
    """
    return float(grid_flow(u_hist, v_hist, metric=metric, spacing=spacing)[0])
