"""Exact discrete optimal transport on a cost matrix: `emd` and `emd2`."""

import dataclasses
import math

import numpy as np

from .._core._certify import DEFAULT_RTOL, certificate_numbers, certificate_of, max_dual_violation
from ._network_simplex import (DEFAULT_MAX_PIVOTS, ZERO_MASS, max_abs, solve_dense,
                               solve_dense_certified)
from .._core._scaling import scale_back, times_power_of_two
from .._core._results import (OPTIMAL, Solution, require_optimal, transport_result,
                       warn_uncertified)
from .._core._validation import (plain_problem, total, validate_cap, validate_problem,
                          validate_rtol)

__all__ = ["emd", "emd2", "solve_problem"]

def _parse_options(options):
    if not options:
        return DEFAULT_MAX_PIVOTS, DEFAULT_RTOL
    known = {"max_pivots", "rtol"}
    unknown = set(options) - known
    if unknown:
        hint = ""
        if "max_iter" in unknown:
            hint = " (the pivot cap is `max_pivots`)"
        raise TypeError(
            f"unknown option(s) {sorted(unknown)}{hint}; `emd` accepts "
            f"{sorted(known)}."
        )
    max_pivots = validate_cap(options.get("max_pivots", DEFAULT_MAX_PIVOTS), "max_pivots")
    rtol = validate_rtol(options.get("rtol", DEFAULT_RTOL))
    return max_pivots, rtol


def _restore_dropped_duals(u_kept, v_kept, rows_kept, cols_kept, M):
    """Full potentials when zero-mass rows/columns were left out of the solve.

    A dropped row i gets u_i = min over kept columns of (M_ij - v_j), a
    dropped column j then v_j = min over all rows of (M_ij - u_i): both are
    dual feasible, tight somewhere, and do not change the objective (their
    mass is zero).
    """
    n, m = M.shape
    u = np.empty(n)
    v = np.empty(m)
    u[rows_kept] = u_kept
    v[cols_kept] = v_kept
    drop_rows = np.setdiff1d(np.arange(n), rows_kept, assume_unique=True)
    drop_cols = np.setdiff1d(np.arange(m), cols_kept, assume_unique=True)
    if drop_rows.size:
        u[drop_rows] = (M[np.ix_(drop_rows, cols_kept)] - v_kept).min(axis=1)
    if drop_cols.size:
        v[drop_cols] = (M[:, drop_cols] - u[:, None]).min(axis=0)
    return u, v


#: A certificate that fails on the optimum's own scale while max|M| is more
#: than this many times that scale gets a second solve on M clipped from
#: above (see `solve_problem`).
_CLIP_TRIGGER = 64.0

#: Clip levels: CLIP_START * (the first solve's certificate scale), raised
#: by CLIP_STEP while the clipped solve's plan uses a clipped pair.
_CLIP_START = 4.0
_CLIP_STEP = 256.0
#: At most this many clipped solves.
_CLIP_ROUNDS = 64


def _solve_on(Ms, a, b, M, rows_kept, cols_kept, max_pivots, rtol, purge_above=None):
    """Solve with costs Ms (M itself, or M clipped from above, Ms <= M) and
    certify the plan and potentials against M itself; a `Solution`.  The
    potentials are feasible for Ms, hence for M.  Zero-mass rows and columns
    (outside rows_kept, cols_kept) are left out of the solve (a copy) and
    their potentials restored.  With `purge_above` (the clip level), flows
    of rounding dust (`_dust`) on pairs costing more than it are dropped
    before the plan is costed and certified (see `_without_dust`).
    """
    n, m = M.shape
    if rows_kept.size < n or cols_kept.size < m:
        sub = np.ascontiguousarray(Ms[np.ix_(rows_kept, cols_kept)])
        out = solve_dense(a[rows_kept], b[cols_kept], sub, max_pivots=max_pivots)
        rows = rows_kept[out.rows]
        cols = cols_kept[out.cols]
        u, v = _restore_dropped_duals(out.u, out.v, rows_kept, cols_kept, Ms)
    else:
        out = solve_dense(a, b, Ms, max_pivots=max_pivots)
        rows, cols, u, v = out.rows, out.cols, out.u, out.v
    flows = out.flows
    if purge_above is not None:
        keep = ~((M[rows, cols] > purge_above) & _dust(flows, a))
        rows, cols, flows = rows[keep], cols[keep], flows[keep]
    # Potentials are defined up to (u + c, v - c): fix v = 0 at the first
    # positive-mass target.
    shift = v[cols_kept[0]]
    u = u + shift
    v = v - shift
    costs = np.ascontiguousarray(M[rows, cols])
    cost = float(total(flows * costs))
    numbers, _ = certificate_numbers(rows, cols, flows, costs, u, v, cost, a, b,
                                     float(max_dual_violation(u, v, M)))
    return Solution(out.status, rows, cols, flows, u, v, cost,
                    certificate_of(numbers, rtol), out.n_iter, "network_simplex",
                    M.shape)


#: A flow of at most this fraction of the total mass is rounding dust: the
#: simplex computes flows as differences of masses along tree paths, and
#: leaves ~1e-17 relative on pairs where the exact flow is 0 (POT's
#: sparse-versus-dense test data: 3.6e-17 on a pair priced 1e8).  Far below
#: the certificate's marginal tolerance (rtol, 1e-9 by default), far above
#: that rounding.
DUST_RTOL = 2.0**-40  # 9.1e-13


def _dust(flows, a):
    return flows <= DUST_RTOL * float(total(a))


def _dust_core_scale(sol, M, a):
    """The largest |cost| of the plan's flows that are not dust, when some
    dust sits on a pair costing more than `_CLIP_TRIGGER` times that (None
    otherwise).  Such a pair is tight for the potentials, which it lifts to
    its own (big-M) size: the certificate's scale -- and its bound -- then
    come from mass that is rounding dust, not from the optimum."""
    if sol.flows.shape[0] == 0:
        return None
    costs = np.abs(M[sol.rows, sol.cols])
    dust = _dust(sol.flows, a)
    if not dust.any() or dust.all():
        return None
    core = float(costs[~dust].max())
    if core > 0.0 and (costs[dust] > _CLIP_TRIGGER * core).any():
        return core
    return None


def _without_dust(sol, a, b, M, rows_kept, cols_kept, max_pivots, rtol):
    """`sol` (b already rescaled to the total of a), or, when rounding dust on a big-M pair inflates its
    certificate (`_dust_core_scale`), the problem solved again on M clipped
    from above at a few times the optimum's scale, dust on clipped pairs
    purged: potentials feasible for the clipped costs are feasible for M,
    and a plan that then uses no clipped pair is certified against M on the
    optimum's own scale.  When the clipped plans keep needing clipped pairs
    up to max|M| (big-M pairs the optimum really uses), `sol` stands."""
    core = _dust_core_scale(sol, M, a)
    if core is None:
        return sol
    cost_scale = float(max_abs(M))
    n_iter = sol.n_iter
    level = _CLIP_START * core
    while level < cost_scale:
        clipped = _solve_on(np.minimum(M, level), a, b, M, rows_kept, cols_kept,
                            max_pivots, rtol, purge_above=level)
        n_iter += clipped.n_iter
        if clipped.code != OPTIMAL or not (M[clipped.rows, clipped.cols] > level).any():
            return clipped._replace(n_iter=n_iter)
        level *= _CLIP_STEP
    return sol._replace(n_iter=n_iter)


def _solve_as_given(a, b, M, max_pivots, rtol):
    """Solve and certify a validated problem: a `Solution`.

    Positive masses are solved and certified in one compiled call; zero
    masses are dropped first (`_solve_on`).  The simplex prices with a
    tolerance relative to max|M|, the certificate measures on the optimum's
    own scale (the costs the plan uses and the potentials).  When the two
    are far apart -- tiny costs beside a huge one the plan never uses -- and
    the certificate fails, the problem is solved again on M clipped from
    above at a few times the optimum's scale, where the pricing tolerance is
    relative to that scale: potentials feasible for the clipped costs are
    feasible for M, so a plan that uses no clipped pair is certified against
    M itself.
    """
    out = solve_dense_certified(a, b, M, max_pivots=max_pivots)
    if out[0] == ZERO_MASS:
        b = b * (total(a) / total(b))
        rows_kept = np.flatnonzero(a > 0)
        cols_kept = np.flatnonzero(b > 0)
        sol = _solve_on(M, a, b, M, rows_kept, cols_kept, max_pivots, rtol)
    else:
        code, rows, cols, flows, u, v, cost, numbers, n_iter = out
        sol = Solution(code, rows, cols, flows, u, v, cost,
                       certificate_of(numbers, rtol), n_iter, "network_simplex",
                       M.shape)
        rows_kept = np.arange(a.shape[0])
        cols_kept = np.arange(b.shape[0])
        if sol.code != OPTIMAL:
            return sol
        b = b * (total(a) / total(b))
        if sol.certificate.ok:
            return _without_dust(sol, a, b, M, rows_kept, cols_kept, max_pivots, rtol)
    cost_scale = float(max_abs(M))
    n_iter = sol.n_iter
    level = _CLIP_START * sol.certificate.scale
    rounds = 0
    while (sol.code == OPTIMAL and not sol.certificate.ok and rounds < _CLIP_ROUNDS
           and 0.0 < level and cost_scale > _CLIP_TRIGGER * sol.certificate.scale):
        rounds += 1
        clipped = _solve_on(np.minimum(M, level), a, b, M, rows_kept, cols_kept,
                            max_pivots, rtol, purge_above=level)
        n_iter += clipped.n_iter
        sol = clipped._replace(n_iter=n_iter)
        if not (M[clipped.rows, clipped.cols] > level).any():
            # the plan uses no clipped pair: the answer for M, unless the
            # clip was still far above the scale of this plan (costs that
            # span hundreds of orders of magnitude: d^p of large p), where
            # the pricing tolerance, relative to the clip, hid improvements
            lower = _CLIP_START * clipped.certificate.scale
            if clipped.certificate.ok or not lower * _CLIP_TRIGGER < level:
                break
            level = lower
            continue
        level *= _CLIP_STEP
        if level >= cost_scale:
            sol = _solve_on(M, a, b, M, rows_kept, cols_kept, max_pivots, rtol)
            sol = sol._replace(n_iter=n_iter + sol.n_iter)
            break
    if sol.code == OPTIMAL and sol.certificate.ok:
        sol = _without_dust(sol, a, b, M, rows_kept, cols_kept, max_pivots, rtol)
    return sol


#: Costs above this magnitude may overflow inside the simplex (reduced costs
#: and potentials are differences and sums of costs along tree paths): a
#: problem that cannot be certified as given is solved again on M scaled
#: down by a power of two, so that max|M| is about 2^_SCALED_TOP.
_HUGE_COST = 2.0**960
_SCALED_TOP = 900


def _solve(a, b, M, max_pivots, rtol):
    """`_solve_as_given`, and for costs near the top of the float64 range
    that it cannot certify, the same on M / 2^k scaled back: the cost,
    potentials and certificate sizes times 2^k (potentials that do not fit
    become inf; `emd` refuses them, `emd2` needs only the cost)."""
    sol = _solve_as_given(a, b, M, max_pivots, rtol)
    if sol.code == OPTIMAL and sol.certificate.ok:
        return sol
    top = float(max_abs(M))
    if not top > _HUGE_COST:
        return sol
    k = math.frexp(top)[1] - _SCALED_TOP
    scaled = _solve_as_given(a, b, np.ldexp(M, -k), max_pivots, rtol)
    cert = scaled.certificate
    scale, bound = times_power_of_two(np.array([cert.scale, cert.bound]), k)
    return scaled._replace(
        cost=float(scale_back(scaled.cost, k, "the optimal cost")),
        u=times_power_of_two(scaled.u, k), v=times_power_of_two(scaled.v, k),
        certificate=dataclasses.replace(cert, scale=float(scale), bound=float(bound)),
        n_iter=sol.n_iter + scaled.n_iter)


def solve_problem(a, b, M, max_pivots=DEFAULT_MAX_PIVOTS, rtol=DEFAULT_RTOL):
    """Solve and certify a validated problem: a `Solution` (no warning: the
    public function applies the uncertified rule)."""
    return _solve(a, b, M, max_pivots, rtol)


def _validated(a, b, M):
    """`validate_problem`, after one compiled check of the common case."""
    if plain_problem(a, b, M):
        return a, b, M
    return validate_problem(a, b, M)


def emd(a, b, M, **options):
    r"""Exact optimal transport between two histograms (network simplex).

    Solves :math:`\min_{P \ge 0} \langle P, M\rangle` subject to
    :math:`P\mathbf 1 = a`, :math:`P^\top \mathbf 1 = b`, and certifies the
    answer before returning it.

    Parameters
    ----------
    a : (n,) array_like or None
        Source masses, non-negative, positive total (None: uniform 1/n).
    b : (m,) array_like or None
        Target masses with the same total as `a` (None: uniform 1/m).
    M : (n, m) array_like
        Finite cost matrix (read in place when C-contiguous float64).
    **options
        ``max_pivots`` (int): pivot cap (default 10^8); ``rtol`` (float):
        the certificate's relative tolerance, in (0, 1) (default 1e-9).

    Returns
    -------
    TransportResult
        ``cost``, sparse ``plan``, potentials ``u``, ``v``, ``status``,
        ``n_iter``, ``method``, ``certificate``.  When optimality cannot be
        proven the status says why, the cost is NaN and an
        `UncertifiedWarning` is issued.

    Raises
    ------
    ValueError
        Negative, NaN or inf masses; zero total mass; totals of `a` and `b`
        that differ by more than 1e-7 relative; `M` of the wrong shape, empty
        or with NaN/inf entries; optimal potentials that do not fit in
        float64 (costs near 1e308 of both signs: `emd2` still answers).
    TypeError
        Non-numeric input or unknown options.

    See Also
    --------
    emd2 : the optimal cost only.
    certify : the independent checker run on every result.
    wasserstein : distances between point clouds.

    Notes
    -----
    Our own network simplex (spanning-tree bases, block-search pricing,
    strongly feasible trees so degenerate problems never cycle).  Rows and
    columns with zero mass are dropped before solving (M's submatrix is then
    copied) and their potentials restored after.  `b` is rescaled to the
    total of `a` before solving.

    Tolerances: an arc enters the basis when its reduced cost is below
    -2^-44 * max|M| (5.7e-14 relative); the certificate accepts marginal
    errors up to ``rtol * sum(a)``, dual violations up to ``rtol * scale``
    and a duality gap up to ``rtol * scale * sum(a)``, with scale the
    optimum's own: max |M_ij| over the pairs the plan uses + max|u| +
    max|v|.  When max|M| is far above that scale (tiny costs beside huge
    unused ones) and the first solve cannot be certified, the problem is
    solved again on M clipped from above near the optimum's scale, so that
    "optimal" always means within ~rtol of the optimum itself.  The same
    second solve runs when the plan leaves rounding dust (a flow of at most
    2^-40 of the mass) on a pair costing far more than the rest of the plan
    -- a big-M pair priced to forbid it, which would lift the potentials and
    the certificate's scale to its own size; dust on clipped pairs is then
    dropped, so no mass is reported on a forbidden pair.

    Examples
    --------
    >>> import numpy as np
    >>> from transport import emd
    >>> M = np.array([[0.0, 2.0], [1.0, 0.0]])
    >>> res = emd([0.5, 0.5], [0.25, 0.75], M)
    >>> res.cost, res.status
    (0.5, 'optimal')
    >>> res.dense_plan()
    array([[0.25, 0.25],
           [0.  , 0.5 ]])
    """
    max_pivots, rtol = _parse_options(options)
    a, b, M = _validated(a, b, M)
    result = transport_result(solve_problem(a, b, M, max_pivots, rtol))
    if result.status == "optimal" and not (np.isfinite(result.u).all()
                                           and np.isfinite(result.v).all()):
        raise ValueError(
            "the optimal potentials u, v (normalised to v_j = 0 at the first "
            "positive-mass target) are not representable in float64 for costs "
            "this large; `emd2` returns the optimal cost alone, or divide `M` "
            "by a power of two.")
    return warn_uncertified(result, "emd", f"{result.n_iter} pivots")


def emd2(a, b, M, **options):
    r"""Exact optimal transport cost between two histograms.

    Same problem, options and validation as `emd`; returns the certified
    optimal cost.

    Returns
    -------
    float
        min <P, M> over plans with marginals a and b.

    Raises
    ------
    OptimalityError
        When optimality cannot be certified (never a guess as the answer).
    ValueError, TypeError
        As for `emd`.

    See Also
    --------
    emd

    Examples
    --------
    >>> from transport import emd2
    >>> emd2([1.0, 0.0], [0.0, 1.0], [[0.0, 3.0], [3.0, 0.0]])
    3.0
    """
    max_pivots, rtol = _parse_options(options)
    a, b, M = _validated(a, b, M)
    sol = solve_problem(a, b, M, max_pivots, rtol)
    return require_optimal(sol, "emd2", f"{sol.n_iter} pivots").cost
