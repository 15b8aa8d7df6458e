"""The sliced Wasserstein distance, with a certified bracket around W_p."""

import math
import numbers
from dataclasses import dataclass

import numpy as np

from divergences._parallel import parallel_ok
from divergences._validation import as_float_array

from .._core._validation import validate_p, validate_values, weights_and_total
from .._line._float_keys import index_bits
from .._line._wasserstein_1d import wasserstein_1d
from ._sliced_kernels import sliced_block, sliced_block_parallel

__all__ = ["SlicedResult", "sliced_wasserstein"]

#: Projections of one block of directions take at most about this many
#: float64 entries (2^22: 32 MiB), so memory does not grow with the number
#: of directions.
BLOCK_ENTRIES = 1 << 22

#: The chunks of the weighted 1-D merge (those of `wasserstein_1d`).
_HEAD_CUTS = np.array([0.0, 0.125, 0.25, 0.375, 0.5])
_TAIL_CUTS = np.array([0.5, 0.625, 0.75, 0.875, 2.0])

#: Large calls ((n + m) d L >= SCREEN_WORK, more than SCREEN_KEEP + 1
#: directions) screen the directions' plans on a fixed subsample of P's
#: atoms (1/SCREEN_FRACTION of them, at least SCREEN_MIN_ATOMS), then cost
#: exactly the SCREEN_KEEP plans the screening ranks first and the plan of
#: the direction of the largest 1-D distance.  Evaluating a plan reads a
#: random row of Y per atom and dominated the time: at n = 10^5, d = 64,
#: 200 directions, every plan in full took 3/4 of the call.
SCREEN_WORK = 1 << 26
SCREEN_KEEP = 8
SCREEN_FRACTION = 16
SCREEN_MIN_ATOMS = 1024

_U = 2.0**-53  # unit roundoff of float64
_TINY = 2.0**-1021  # as in `wasserstein_1d`: below (n + m) * _TINY, W_p^p is redone


@dataclass(frozen=True)
class SlicedResult:
    r"""The sliced Wasserstein distance and a certified bracket around W_p.

    Attributes
    ----------
    value : float
        SW_p: the p-th root of the mean over the directions of W_p^p of the
        projected samples (POT's `ot.sliced_wasserstein_distance`).
    stderr : float
        Monte-Carlo standard error of `value` (delta method, see
        `sliced_wasserstein`); inf with a single direction.
    lower : float
        The largest per-direction W_p, lowered by a bound on its rounding: a
        certified lower bound on W_p of the samples themselves.
    upper : float
        The full-space cost of the best plan among those induced by the
        directions' sorted orders, raised by a bound on its rounding: a
        certified upper bound on W_p.  inf when ``|x - y|^p`` overflows float64.
    n_projections : int
        Number of directions L.
    p : float
        The order.
    per_direction : (L,) ndarray
        W_p of the projections on each direction (as `wasserstein_1d`).
    plan_costs : (L,) ndarray
        For each direction, (cost)^(1/p) in the full space of the coupling
        its sorted orders induce, before the rounding allowance; `upper`
        comes from the smallest.  inf for the plans that large calls screen
        out without costing them in full (see Notes).
    directions : (L, d) ndarray
        The unit directions used.
    best_direction : (d,) ndarray
        The direction whose induced plan gives `upper`.
    """

    value: float
    stderr: float
    lower: float
    upper: float
    n_projections: int
    p: float
    per_direction: np.ndarray
    plan_costs: np.ndarray
    directions: np.ndarray
    best_direction: np.ndarray

    def __repr__(self):
        return (f"SlicedResult(value={self.value!r}, stderr={self.stderr!r}, "
                f"lower={self.lower!r}, upper={self.upper!r}, "
                f"n_projections={self.n_projections}, p={self.p!r})")


def _directions(directions, n_projections, d, seed):
    """(L, d) C-contiguous unit directions: the caller's, normalised, or L
    drawn uniformly on the sphere."""
    if directions is None:
        if (isinstance(n_projections, (bool, np.bool_))
                or not isinstance(n_projections, numbers.Integral)):
            raise TypeError(f"`n_projections` must be an integer; got {n_projections!r}.")
        if n_projections < 1:
            raise ValueError(f"`n_projections` must be at least 1; got {n_projections}.")
        if not (seed is None or isinstance(seed, (numbers.Integral, np.random.Generator))
                ) or isinstance(seed, (bool, np.bool_)):
            raise TypeError(
                f"`seed` must be None, an integer or a numpy.random.Generator; "
                f"got {seed!r}.")
        rng = np.random.default_rng(seed)
        theta = rng.standard_normal((int(n_projections), d))
        norms = np.sqrt(np.einsum("ij,ij->i", theta, theta))
        while not norms.all():  # a zero draw: probability 0, but never divide by it
            zero = norms == 0
            theta[zero] = rng.standard_normal((int(zero.sum()), d))
            norms = np.sqrt(np.einsum("ij,ij->i", theta, theta))
    else:
        theta = as_float_array(directions, "directions")
        if theta.ndim == 1 and d == theta.shape[0]:
            theta = theta[None, :]
        if theta.ndim != 2 or theta.shape[1] != d or theta.shape[0] == 0:
            raise ValueError(
                f"`directions` must have shape (L, d) = (L, {d}) with L >= 1 "
                f"(one direction per row, in the samples' space); got shape "
                f"{np.shape(directions)}.")
        if not np.isfinite(theta).all():
            bad = np.argwhere(~np.isfinite(theta))[0]
            raise ValueError(
                f"`directions` must be finite; got {theta[tuple(bad)]!r} at "
                f"index {tuple(int(k) for k in bad)}.")
        scale = np.abs(theta).max(axis=1)
        zero = np.flatnonzero(scale == 0)
        if zero.size:
            raise ValueError(
                f"`directions` must have no zero row (a direction needs a "
                f"length to normalise); row {int(zero[0])} is all zero.")
        theta = theta / scale[:, None]  # no overflow or underflow in the norm
        norms = np.sqrt(np.einsum("ij,ij->i", theta, theta))
    return np.ascontiguousarray(theta / norms[:, None])


def _weights(w, n, name, values_name):
    """(w, total) as `wasserstein_1d` takes them (ones when None)."""
    if w is None:
        return np.ones(n), float(n)
    w, total = weights_and_total(w, n, name, values_name)
    return np.ascontiguousarray(w, dtype=np.float64), float(total)


def _block_size(L, n, m):
    return max(1, min(L, BLOCK_ENTRIES // (n + m)))


def _tasks():
    """(T, parallel): tasks per block and whether they run across threads."""
    import numba

    if parallel_ok():
        return numba.get_num_threads(), True
    return 1, False


def sliced_wasserstein(X, Y, a=None, b=None, *, p=2, n_projections=256,
                       directions=None, seed=None):
    r"""Sliced p-Wasserstein distance, with certified bounds on W_p.

    Parameters
    ----------
    X : (n, d) array_like
        Atoms of P (1-D input: points on the line).
    Y : (m, d) array_like
        Atoms of Q, in the same space.
    a, b : (n,), (m,) array_like, optional
        Non-negative weights with a positive sum, normalised to 1; uniform
        when None.
    p : float, optional
        Order, p >= 1 (default 2).
    n_projections : int, optional
        Number L of random directions, uniform on the unit sphere (default
        256); ignored when `directions` is given.
    directions : (L, d) array_like, optional
        The directions to project on, instead of random ones; each row is
        normalised to unit length here (zero rows are refused).
    seed : None, int or numpy.random.Generator, optional
        Source of the random directions.

    Returns
    -------
    SlicedResult
        `value` (SW_p), `stderr`, the bracket `lower` <= W_p <= `upper`,
        `n_projections`, and the per-direction numbers.

    Raises
    ------
    ValueError
        Bad atoms or weights (NaN, inf, negative, all-zero, mismatched
        lengths or dimensions, empty), p < 1, n_projections < 1, directions
        of the wrong shape, not finite or with a zero row.
    TypeError
        Non-numeric input, a non-integer `n_projections`, a bad `seed`.

    See Also
    --------
    wasserstein : the exact W_p (the LP), where its size allows.
    wasserstein_1d : the 1-D distance each direction computes.
    ot.sliced_wasserstein_distance : POT's `value` (same definition).

    Notes
    -----
    For unit directions :math:`\theta_1, \dots, \theta_L`,

    .. math:: SW_p = \Bigl(\frac1L \sum_{l=1}^L
              W_p^p(\theta_l^\top P, \theta_l^\top Q)\Bigr)^{1/p}.

    The projections are computed one block of directions at a time by one
    matrix product (the samples first shifted by a common point, which
    changes no distance and keeps the projections' rounding relative to
    the spread of the samples rather than to their distance from the
    origin).  Each direction's projections are sorted once; the sorted
    values give its 1-D distance by the merge of `wasserstein_1d` (the same
    kernels, the same order of operations), and the sorted orders give the
    plan below.

    `stderr` treats the directions as an i.i.d. sample: with :math:`v_l =
    W_p^p(\theta_l^\top P, \theta_l^\top Q)`, mean :math:`\bar v` and
    :math:`s = \mathrm{sd}(v) / \sqrt{L}` the standard error of the mean,
    the delta method gives :math:`s \, \bar v^{1/p - 1} / p` for
    :math:`SW_p = \bar v^{1/p}` (0 when every :math:`v_l` is 0, inf when
    L = 1).  It measures the Monte-Carlo spread of SW_p, not a distance to
    W_p: SW_p <= W_p always.

    The bracket is a property of W_p itself.  A projection onto a unit
    vector is 1-Lipschitz, so every per-direction W_p is at most W_p:
    `lower` is the largest, reduced by a rigorous bound on the rounding of
    the projections (:math:`2 (d + 4) u \max_i |x_i - c|` for each sample,
    u = 2^-53) and of the 1-D merge (relative :math:`2 (n + m + p + 8) u`;
    with weights, also :math:`8 u (n + m) r^p` on W_p^p for the rounding
    of the segment lengths, r the spread of the projections).
    Sorting the projections on a direction gives a coupling of P and Q
    (the monotone, north-west-corner plan of the 1-D problem, weights
    included); it is feasible for the problem in the full space, so its
    cost there, :math:`\sum_k \gamma_k |x_{i_k} - y_{j_k}|^p` over its at
    most n + m - 1 entries, is at least W_p^p.  `upper` is the smallest
    such cost over the directions, raised by a bound on its rounding
    (relative :math:`2 (p (d/2 + 3) + n + m + 8) u`; with weights, plus
    :math:`8 u` times the sum of the entries' costs, for the rounding of
    the plan's masses; plus :math:`(d\,2^{-1074})^{p/2}` for squares that
    underflow).  For a translated sample set (Q = P shifted by s),
    the direction of s, or any direction that keeps the order, induces
    the optimal plan and `upper` is ``|s|`` to rounding.

    Costing a plan in full reads a row of Y at random for every atom, the
    bulk of the time of a large call.  When (n + m) d L >= 2^26 (and
    L > 9), every direction's plan is first costed on a fixed subsample of
    1/16 of P's atoms (at least 1024; the same atoms for all directions, so
    that the estimates compare plans with little noise), and only the 8
    plans ranked first, with that of the direction of the largest 1-D
    distance, are costed in full; `upper` is the best of those.  It is then
    still a certified bound (a feasible plan's cost), but the best plan
    among all directions only as far as the screening ranks them; the
    screened-out plans show as inf in `plan_costs`.  Smaller calls cost
    every plan.

    Examples
    --------
    >>> import numpy as np
    >>> from transport import sliced_wasserstein
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 8))
    >>> res = sliced_wasserstein(X, X + 3.0, n_projections=64, seed=1)
    >>> round(res.upper, 9)               # the shift's length: sqrt(8 * 9)
    8.485281374
    >>> bool(res.lower <= 8.485281374239 <= res.upper)
    True
    """
    X = validate_values(X, "X")
    Y = validate_values(Y, "Y")
    n, d = X.shape
    m = Y.shape[0]
    if Y.shape[1] != d:
        raise ValueError(
            f"`X` and `Y` must live in the same space; got points of dimension "
            f"{d} and {Y.shape[1]}.")
    weighted = not (a is None and b is None)
    if weighted:
        wa, ta = _weights(a, n, "a", "X")
        wb, tb = _weights(b, m, "b", "Y")
    else:
        wa, ta, wb, tb = np.empty(0), float(n), np.empty(0), float(m)
    p = validate_p(p)
    theta = _directions(directions, n_projections, d, seed)
    L = theta.shape[0]

    centre = 0.5 * (X.mean(axis=0) + Y.mean(axis=0))
    Xc = X - centre
    Yc = Y - centre
    radius_x = float(np.sqrt(np.einsum("ij,ij->i", Xc, Xc)).max())
    radius_y = float(np.sqrt(np.einsum("ij,ij->i", Yc, Yc)).max())
    data = (X, Y, Xc, Yc, wa, ta, wb, tb, p, weighted)

    screen = L > SCREEN_KEEP + 1 and (n + m) * d * L >= SCREEN_WORK
    pick = _pick(n) if screen else np.empty(0, np.uint8)
    w_pp, plan_pp, plan_sum, redone = _blocks(data, theta, pick)
    per_direction = _roots(w_pp, p)
    for k, w in redone.items():
        per_direction[k] = w
    if redone:  # W_p^p out of range somewhere: the mean of (W_p / top)^p
        top = float(per_direction.max())
        scaled = (per_direction / top) ** p if top > 0 else np.zeros(L)
        value, stderr = _mean_and_stderr(scaled, p)
        value, stderr = value * top, stderr * top
    else:
        value, stderr = _mean_and_stderr(w_pp, p)
    lower = _lower(per_direction, radius_x, radius_y, n, m, d, p, weighted)

    if screen:  # the exact costs of the most promising plans only
        order = np.argsort(plan_pp, kind="stable")[:SCREEN_KEEP]
        keep = np.unique(np.append(order, np.argmax(per_direction)))
        _, exact_pp, exact_sum, _ = _blocks(data, theta[keep], np.empty(0, np.uint8))
        plan_pp = np.full(L, np.inf)
        plan_sum = np.zeros(L)
        plan_pp[keep] = exact_pp
        plan_sum[keep] = exact_sum
    best = int(np.argmin(plan_pp))
    upper = _upper(plan_pp[best], plan_sum[best], weighted, n, m, d, p)
    with np.errstate(over="ignore"):
        plan_costs = plan_pp ** (1.0 / p)
    return SlicedResult(value=value, stderr=stderr, lower=lower, upper=upper,
                        n_projections=L, p=p, per_direction=per_direction,
                        plan_costs=plan_costs, directions=theta,
                        best_direction=theta[best].copy())


def _pick(n):
    """The fixed subsample of P's atoms on which plans are screened: a
    1/SCREEN_FRACTION of them (at least SCREEN_MIN_ATOMS), drawn with a seed
    of n so that a call is reproducible."""
    count = min(n, max(SCREEN_MIN_ATOMS, n // SCREEN_FRACTION))
    pick = np.zeros(n, np.uint8)
    pick[np.random.default_rng(n).permutation(n)[:count]] = 1
    return pick


def _blocks(data, theta, pick):
    """(w_pp, plan_pp, plan_sum, redone) over the directions theta, one
    block of projections at a time (see `_task` in the kernels); redone
    maps the directions whose W_p^p left the float64 range to their W_p
    by `wasserstein_1d`'s scaled route."""
    X, Y, Xc, Yc, wa, ta, wb, tb, p, weighted = data
    L = theta.shape[0]
    n, m = X.shape[0], Y.shape[0]
    w_pp = np.empty(L)
    plan_pp = np.empty(L)
    plan_sum = np.empty(L)
    redone = {}
    T, parallel = _tasks()
    kernel = sliced_block_parallel if parallel else sliced_block
    bits_x, bits_y = index_bits(n), index_bits(m)
    step = _block_size(L, n, m)
    for s in range(0, L, step):
        e = min(L, s + step)
        PX = np.ascontiguousarray(theta[s:e] @ Xc.T)
        PY = np.ascontiguousarray(theta[s:e] @ Yc.T)
        kernel(X, Y, PX, PY, wa, float(ta), wb, float(tb), p, weighted, bits_x,
               bits_y, _HEAD_CUTS, _TAIL_CUTS, pick, min(T, e - s), w_pp[s:e],
               plan_pp[s:e], plan_sum[s:e])
        redo = np.flatnonzero(~((n + m) * _TINY < w_pp[s:e]) | ~(w_pp[s:e] < np.inf))
        for k in redo:
            redone[s + k] = wasserstein_1d(PX[k], PY[k], wa if weighted else None,
                                           wb if weighted else None, p=p)
    return w_pp, plan_pp, plan_sum, redone


def _roots(w_pp, p):
    """W_p from W_p^p, as `wasserstein_1d` takes the root."""
    return w_pp.copy() if p == 1.0 else w_pp ** (1.0 / p)


def _mean_and_stderr(v, p):
    L = v.shape[0]
    mean = math.fsum(v) / L
    value = mean if p == 1.0 else mean ** (1.0 / p)
    if L == 1:
        return value, math.inf
    if mean == 0.0:
        return value, 0.0
    se_mean = float(np.std(v, ddof=1)) / math.sqrt(L)
    return value, se_mean * mean ** (1.0 / p - 1.0) / p


def _lower(per_direction, radius_x, radius_y, n, m, d, p, weighted):
    """Largest per-direction W_p, lowered by a rigorous bound on rounding
    (see the Notes of `sliced_wasserstein`), rounded down."""
    top = float(per_direction.max())
    rel_1d = 2.0 * (n + m + p + 8.0) * _U
    proj = 2.0 * (d + 4.0) * _U * (radius_x + radius_y)
    norm = 1.0 + 2.0 * (d + 4.0) * _U  # |theta| after normalisation
    if weighted:
        # Segment lengths from double-double breakpoints: off by ~4u each,
        # on segments whose cost is at most (spread of the projections)^p.
        with np.errstate(over="ignore"):
            slack = 8.0 * _U * (n + m) * (radius_x + radius_y) ** p
            top_pp = top**p * (1.0 - rel_1d) - slack
        if not (np.isfinite(slack) and np.isfinite(top_pp) and top_pp > 0.0):
            return 0.0
        top = top_pp ** (1.0 / p) * (1.0 - 4.0 * _U)
        rel_1d = 0.0
    bound = (top * (1.0 - rel_1d) - proj) / norm
    if not bound > 0.0:
        return 0.0
    return float(np.nextafter(np.nextafter(bound, 0.0), 0.0))


def _upper(cost_pp, entry_sum, weighted, n, m, d, p):
    """W_p bound from a plan's computed full-space cost, raised by a
    rigorous bound on its rounding, rounded up."""
    rel = 2.0 * (p * (0.5 * d + 3.0) + n + m + 8.0) * _U
    total = cost_pp * (1.0 + rel)
    if weighted:
        total += 8.0 * _U * entry_sum * (1.0 + rel)
    # A square below the smallest subnormal may come out 0: at most
    # d 2^-1074 lost in each |x - y|^2, hence in each cost to the power p/2
    # (the masses sum to 1).
    total += (d * 2.0**-1074) ** (0.5 * p) if p < 2098.0 else 0.0
    with np.errstate(over="ignore"):
        w = total if p == 1.0 else total ** (1.0 / p)
    w *= 1.0 + 4.0 * _U
    return float(np.nextafter(np.nextafter(w, np.inf), np.inf))
