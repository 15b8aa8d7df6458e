"""Independent optimality certificates for discrete optimal transport.

A transport plan P and potentials (u, v) prove that cost = <P, M> is the
optimum of min <P, M> s.t. P 1 = a, P^T 1 = b, P >= 0 when

1. P >= 0 and its marginals equal a and b          (primal feasibility);
2. u_i + v_j <= M_ij for all i, j                  (dual feasibility);
3. <P, M> = sum a u + sum b v                      (zero duality gap),

each up to floating-point tolerances, measured against the scale of the
numbers the proof is made of -- the costs the plan uses and the potentials --
so that entries of M the plan does not touch (a single huge cost) cannot
loosen it.  The checker reads only the result and the problem, never the
solver's internals, and the all-pairs dual check reads M in place (no n x m
temporary).
"""

from dataclasses import dataclass

import numpy as np
from numba import njit

from ._validation import total as _total
from ._validation import as_float_array, validate_problem, validate_rtol

__all__ = ["Certificate", "certify", "certify_arrays", "certificate_from", "DEFAULT_RTOL"]

#: Default relative tolerance of certificates: dual violations and the gap are
#: measured against ``scale * sum(a)``-type magnitudes (see `certify`).  The
#: network simplex computes potentials by sums along tree paths, whose
#: rounding error grows like (path length) * eps * scale; 1e-9 leaves room
#: for paths of ~10^6 arcs.
DEFAULT_RTOL = 1e-9


@dataclass(frozen=True)
class Certificate:
    """What `certify` measured, and whether it proves optimality.

    Attributes
    ----------
    ok : bool
        All checks passed: the cost is within ``bound`` <= 3 rtol * scale *
        mass of the optimum (see `certify`, Notes).
    marginal_error : float
        ``max_i |P 1 - a|_i`` and ``max_j |P^T 1 - b|_j``, the larger, relative to
        the total mass.
    negative_mass : float
        The most negative plan entry (0 when P >= 0), relative to the mass.
    dual_violation : float
        max_ij (u_i + v_j - M_ij), clipped at 0, relative to ``scale``.
    gap : float
        ``|<P, M> - (sum a u + sum b v)|`` relative to ``scale * mass``.
    cost_error : float
        ``|reported cost - <P, M>|`` relative to ``scale * mass``.
    bound : float
        (gap + dual_violation + marginal_error) * scale * mass: the cost
        exceeds the optimum by at most (gap + dual_violation) * scale * mass
        (weak duality), and the plan's marginal error moves the optimum by
        at most marginal_error * scale * mass to first order.
    scale : float
        ``max |M_ij|`` over the pairs the plan uses + max|u| + max|v|: the
        optimum's own scale, which the tolerances are relative to.
    rtol : float
        The tolerance each relative quantity was compared with.
    """

    ok: bool
    marginal_error: float
    negative_mass: float
    dual_violation: float
    gap: float
    cost_error: float
    bound: float
    scale: float
    rtol: float


@njit(cache=True, nogil=True)
def max_dual_violation(u, v, M):
    """max over all (i, j) of u_i + v_j - M_ij, reading M row by row."""
    n, m = M.shape
    worst = -np.inf
    for i in range(n):
        ui = u[i]
        for j in range(m):
            d = ui + v[j] - M[i, j]
            if d > worst:
                worst = d
    return worst


@njit(cache=True, nogil=True)
def sparse_plan_sums(rows, cols, flows, costs, n, m):
    """Row sums, column sums, cost sum(flows * costs) and min entry of a
    sparse plan; costs[k] is the cost of the pair (rows[k], cols[k])."""
    row_sums = np.zeros(n)
    col_sums = np.zeros(m)
    cost = 0.0
    min_flow = np.inf
    for k in range(rows.shape[0]):
        f = flows[k]
        row_sums[rows[k]] += f
        col_sums[cols[k]] += f
        cost += f * costs[k]
        if f < min_flow:
            min_flow = f
    return row_sums, col_sums, cost, min_flow


def _plan_triplets(plan, shape):
    """(rows, cols, flows) of a dense or scipy.sparse plan."""
    if hasattr(plan, "tocoo"):
        coo = plan.tocoo()
        if tuple(coo.shape) != shape:
            raise ValueError(
                f"`result.plan` has shape {tuple(coo.shape)}; expected {shape}.")
        rows, cols, flows = coo.row, coo.col, coo.data
    else:
        dense = as_float_array(plan, "result.plan")
        if dense.shape != shape:
            raise ValueError(f"`result.plan` has shape {dense.shape}; expected {shape}.")
        rows, cols = np.nonzero(dense)
        flows = dense[rows, cols]
    return (
        np.ascontiguousarray(rows, dtype=np.int64),
        np.ascontiguousarray(cols, dtype=np.int64),
        np.ascontiguousarray(flows, dtype=np.float64),
    )


def certify(result, a, b, M, *, rtol=DEFAULT_RTOL):
    r"""Check that a transport result is optimal for the problem (a, b, M).

    Parameters
    ----------
    result : TransportResult or object
        Anything with attributes ``plan`` ((n, m) dense array or scipy.sparse),
        ``u`` (n,), ``v`` (m,) and ``cost`` -- e.g. from `emd`, or built by
        hand from another solver's output.
    a : (n,) array_like
        Source masses (None: uniform).
    b : (m,) array_like
        Target masses (None: uniform), same total as `a`.
    M : (n, m) array_like
        Cost matrix.
    rtol : float, optional
        Relative tolerance of every check, in (0, 1) (default
        `DEFAULT_RTOL`).

    Returns
    -------
    Certificate
        The measured residuals and ``ok``, True when all are within `rtol`.

    Raises
    ------
    ValueError
        Invalid problem, potentials/plan of the wrong shape, or `rtol`
        outside (0, 1).
    TypeError
        A `result` without plan, u, v and cost, or a non-real `rtol`.

    See Also
    --------
    emd : whose results are certified before they are returned.

    Notes
    -----
    With mass = sum(a) and scale = ``max |M_ij|`` over the plan's positive
    entries + max|u| + max|v| (costs the plan does not use do not count), the
    checks are

    .. math::

        \max_i |(P\mathbf 1)_i - a_i| \le \mathrm{rtol}\cdot\mathrm{mass},\quad
        P \ge -\mathrm{rtol}\cdot\mathrm{mass},\quad
        \max_{ij}(u_i + v_j - M_{ij}) \le \mathrm{rtol}\cdot\mathrm{scale},

    and the duality gap :math:`|\langle P, M\rangle - a^\top u - b^\top v|
    \le \mathrm{rtol}\cdot\mathrm{scale}\cdot\mathrm{mass}`.  By weak duality,
    (u, v - delta) with delta the dual violation is feasible, so the cost
    exceeds the optimum by at most gap + delta * mass; the marginal error
    moves the optimum by at most (marginal error) * (max|u| + max|v|) to
    first order.  ``ok`` therefore means: cost within 3 rtol * scale * mass
    of the optimum, on the optimum's own scale.  The all-pairs dual check
    costs O(nm) and reads M in place.

    Examples
    --------
    >>> import numpy as np
    >>> from transport import emd, certify
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> res = emd([0.5, 0.5], [0.5, 0.5], M)
    >>> certify(res, [0.5, 0.5], [0.5, 0.5], M).ok
    True
    """
    rtol = validate_rtol(rtol)
    missing = [name for name in ("plan", "u", "v", "cost") if not hasattr(result, name)]
    if missing:
        raise TypeError(
            f"`result` must have the attributes plan, u, v and cost (e.g. a "
            f"TransportResult); {type(result).__name__} lacks {missing}."
        )
    a, b, M = validate_problem(a, b, M)
    n, m = M.shape
    u = np.ascontiguousarray(as_float_array(result.u, "result.u"))
    v = np.ascontiguousarray(as_float_array(result.v, "result.v"))
    if u.shape != (n,) or v.shape != (m,):
        raise ValueError(
            f"the potentials `result.u` and `result.v` have shapes {u.shape} "
            f"and {v.shape}; a problem of shape {(n, m)} needs ({n},) and ({m},)."
        )
    rows, cols, flows = _plan_triplets(result.plan, (n, m))
    try:
        cost = float(result.cost)
    except (TypeError, ValueError):
        raise TypeError(f"`result.cost` must be a real number; got {result.cost!r}.") from None
    return certify_arrays(rows, cols, flows, u, v, cost, a, b, M, rtol)


def certify_arrays(rows, cols, flows, u, v, cost, a, b, M, rtol=DEFAULT_RTOL):
    """`certify` on validated arrays: a sparse plan (rows, cols, flows)."""
    return certificate_from(
        rows, cols, flows, np.ascontiguousarray(M[rows, cols]), u, v, cost, a, b,
        float(max_dual_violation(u, v, M)), rtol,
    )


@njit(cache=True, nogil=True)
def _max_abs_1d(x):
    worst = 0.0
    for k in range(x.shape[0]):
        if abs(x[k]) > worst:
            worst = abs(x[k])
    return worst


@njit(cache=True, nogil=True)
def certificate_numbers(rows, cols, flows, pair_costs, u, v, cost, a, b,
                        max_violation):
    """The measured residuals of a sparse plan, in `Certificate`'s order:
    (marginal_error, negative_mass, dual_violation, gap, cost_error, bound,
    scale), and the plan's cost sum(flows * pair_costs).  `b` is compared
    after rescaling to the total of `a`."""
    n, m = u.shape[0], v.shape[0]
    mass = _total(a)
    b_scale = mass / _total(b)
    row_sums, col_sums, plan_cost, min_flow = sparse_plan_sums(
        rows, cols, flows, pair_costs, n, m)
    used_scale = 0.0
    for k in range(flows.shape[0]):
        if flows[k] > 0.0 and abs(pair_costs[k]) > used_scale:
            used_scale = abs(pair_costs[k])
    scale = used_scale + _max_abs_1d(u) + _max_abs_1d(v)
    # a sum that overflows would make every relative residual 0 ("ok" for
    # any plan): capped at the largest float, within a factor 3 of the sum
    scale = min(max(scale, 2.2250738585072014e-308), 1.7976931348623157e308)
    worst = 0.0
    dual_value = 0.0
    for i in range(n):
        worst = max(worst, abs(row_sums[i] - a[i]))
        dual_value += a[i] * u[i]
    for j in range(m):
        bj = b[j] * b_scale
        worst = max(worst, abs(col_sums[j] - bj))
        dual_value += bj * v[j]
    out = np.empty(7)
    out[0] = worst / mass
    out[1] = max(0.0, -min_flow) / mass if flows.shape[0] else 0.0
    out[2] = max(0.0, max_violation) / scale
    if scale * mass < np.inf:
        out[3] = abs(plan_cost - dual_value) / (scale * mass)
        out[4] = abs(cost - plan_cost) / (scale * mass)
    else:  # divided in two steps where the product overflows
        out[3] = abs(plan_cost - dual_value) / scale / mass
        out[4] = abs(cost - plan_cost) / scale / mass
    out[5] = (out[3] + out[2] + out[0]) * scale * mass
    out[6] = scale
    return out, plan_cost


@njit(cache=True, nogil=True)
def numbers_ok(numbers, rtol):
    """Whether `certificate_numbers`' residuals prove optimality: the five
    relative ones (all but bound and scale) finite and <= rtol."""
    for k in range(5):
        x = numbers[k]
        if not (x - x == 0.0 and x <= rtol):
            return False
    return True


def certificate_of(numbers, rtol):
    """The `Certificate` from `certificate_numbers`' residuals."""
    (marginal_error, negative_mass, violation, gap, cost_error, bound,
     scale) = (float(x) for x in numbers)
    ok = bool(numbers_ok(np.asarray(numbers, dtype=np.float64), float(rtol)))
    return Certificate(ok, marginal_error, negative_mass, violation, gap,
                       cost_error, bound, scale, float(rtol))


def certificate_from(rows, cols, flows, pair_costs, u, v, cost, a, b,
                     max_violation, rtol=DEFAULT_RTOL):
    """The `Certificate` of a sparse plan from its measured residuals.

    `pair_costs` are the costs of the plan's pairs and `max_violation` is
    max_ij (u_i + v_j - c_ij) over all pairs (however the caller scanned
    them).
    """
    numbers, _ = certificate_numbers(rows, cols, flows, pair_costs, u, v,
                                     float(cost), a, b, float(max_violation))
    return certificate_of(numbers, rtol)
