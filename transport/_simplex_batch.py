"""Many small dense transport problems in one compiled loop (numba kernels).

`solve_rows_kernel` solves the problems (U[i], V[j], M) for a range of
rows i of U against every row j of V (or, for U against itself, every
j > i): rows of U and V are histograms over the rows and columns of one
ground-cost matrix M, and the distances go straight into the output
matrix.  Per pair, inside compiled code and without the
GIL:

1. the bins with zero mass are dropped (as `emd` does): the sub-problem is
   the positive bins of U[i] against those of V[j], its costs gathered from
   M into a workspace;
2. V[j] is rescaled to the mass of U[i] and the network simplex runs:
   `transport._simplex_kernels.solve_dense_kernel`, from the artificial
   tree, with the artificial cost, pricing tolerance and block that
   `transport._network_simplex.solve_dense` chooses (so a pair gets the very
   pivots `emd` makes on it);
3. the answer is certified by the checks of
   `transport._certify.certificate_from` (marginals, non-negative plan, dual
   feasibility over every pair of the sub-problem, zero duality gap) with
   the same tolerances, on potentials normalised as `emd` normalises them.

A pair that is not proven optimal gets NaN and a status code; the caller
warns.  Dropped bins need no certificate of their own: they carry no mass,
and feasible potentials for them always exist (see
`transport._emd._restore_dropped_duals`).  Kernels validate nothing: rows
must be finite, non-negative with positive sums, M finite.

Only `transport._network_simplex` calls this module.
"""

import numpy as np
from numba import njit

from ._results import NUMERICAL, OPTIMAL
from ._simplex_kernels import dense_block_rows, dense_plan_cost, solve_dense_kernel

__all__ = ["solve_rows_kernel", "UNCERTIFIED"]

_OPTS = dict(cache=True, nogil=True)

#: Status of a pair that stopped optimal but failed its certificate (the
#: kernels' codes are those of `transport._results`).
UNCERTIFIED = 100


@njit(**_OPTS)
def _positive_bins(row, idx):
    """Indices of the positive entries of `row` into idx; returns their count."""
    count = 0
    for s in range(row.shape[0]):
        if row[s] > 0.0:
            idx[count] = s
            count += 1
    return count


@njit(**_OPTS)
def _certify_pair(tree, a, b, M, n, m, cost, cost_scale, rtol):
    """The checks of `certificate_from` on the final tree of one pair:
    True when the plan and the potentials prove `cost` optimal to `rtol`."""
    N = n + m
    pred, flow, pi = tree.pred, tree.flow, tree.pi
    mass = 0.0
    for x in range(n):
        mass += a[x]
    row_sums = np.zeros(n)
    col_sums = np.zeros(m)
    min_flow = np.inf
    for w in range(N):
        e = pred[w]
        f = flow[w]
        if e >= 0 and f > 0.0:
            row_sums[e // m] += f
            col_sums[e % m] += f
            if f < min_flow:
                min_flow = f
    marginal = 0.0
    for x in range(n):
        marginal = max(marginal, abs(row_sums[x] - a[x]))
    for y in range(m):
        marginal = max(marginal, abs(col_sums[y] - b[y]))
    marginal /= mass
    negative = max(0.0, -min_flow) / mass if min_flow < np.inf else 0.0
    # Potentials u = -pi[:n], v = pi[n:], shifted so that v[0] = 0 (as emd).
    shift = pi[n]
    max_u = 0.0
    max_v = 0.0
    dual = 0.0
    for x in range(n):
        u = -pi[x] + shift
        max_u = max(max_u, abs(u))
        dual += a[x] * u
    for y in range(m):
        v = pi[n + y] - shift
        max_v = max(max_v, abs(v))
        dual += b[y] * v
    worst = -np.inf
    for x in range(n):
        u = -pi[x] + shift
        for y in range(m):
            d = u + (pi[n + y] - shift) - M[x, y]
            if d > worst:
                worst = d
    scale = max(cost_scale + max_u + max_v, 2.2250738585072014e-308)
    violation = max(0.0, worst) / scale
    gap = abs(cost - dual) / (scale * mass)
    finite = (marginal - marginal == 0.0 and violation - violation == 0.0
              and gap - gap == 0.0)
    return (finite and marginal <= rtol and negative <= rtol
            and violation <= rtol and gap <= rtol)


@njit(**_OPTS)
def solve_rows_kernel(U, V, u_sums, v_sums, M, row_start, row_stop, symmetric, p,
                      price_rtol, max_pivots, rtol, D, bad_i, bad_j, bad_status):
    """Exact W_p for the pairs (i, j), row_start <= i < row_stop, written to
    D[i, j]: j over all rows of V, or (symmetric: V is U) over j > i, also
    written to D[j, i].  A pair not certified gets NaN; the first
    len(bad_i) of them are recorded in (bad_i, bad_j, bad_status) with
    their status (MAX_PIVOTS, NUMERICAL or UNCERTIFIED).  Returns how many
    pairs were not certified.

    U (n, k) and V (n', l) hold histograms of equal total mass up to
    rounding, u_sums / v_sums their row sums (as NumPy computes them, so
    that V[j] is rescaled exactly as `emd` rescales b), M (k, l) the costs
    d^p, `price_rtol` the pricing tolerance relative to max|M|.
    """
    k = U.shape[1]
    l = V.shape[1]
    idx_a = np.empty(k, np.int64)
    idx_b = np.empty(l, np.int64)
    a_work = np.empty(k)
    b_work = np.empty(l)
    sub_work = np.empty(k * l)
    inv_p = 1.0 / p
    n_bad = 0
    for i in range(row_start, row_stop):
        n = _positive_bins(U[i], idx_a)
        a = a_work[:n]
        mass = 0.0
        for x in range(n):
            a[x] = U[i, idx_a[x]]
            mass += a[x]
        for j in range(i + 1 if symmetric else 0, V.shape[0]):
            m = _positive_bins(V[j], idx_b)
            factor = u_sums[i] / v_sums[j]
            b = b_work[:m]
            for y in range(m):
                b[y] = V[j, idx_b[y]] * factor
            sub = sub_work[: n * m].reshape((n, m))
            cost_scale = 0.0
            for x in range(n):
                row = M[idx_a[x]]
                for y in range(m):
                    c = row[idx_b[y]]
                    sub[x, y] = c
                    if abs(c) > cost_scale:
                        cost_scale = abs(c)
            scale = cost_scale if cost_scale > 0 else 1.0
            tree, n_iter, code = solve_dense_kernel(
                a, b, sub, max_pivots, 2.0 * scale, price_rtol * scale,
                dense_block_rows(n, m))
            # Flow left on an artificial arc means the network solve went wrong.
            cost = dense_plan_cost(tree, sub, n + m)
            artificial = 0.0
            for w in range(n + m):
                if tree.pred[w] < 0 and tree.flow[w] > artificial:
                    artificial = tree.flow[w]
            if code == OPTIMAL and artificial > 1e-12 * mass:
                code = NUMERICAL
            if code == OPTIMAL and not _certify_pair(tree, a, b, sub, n, m, cost,
                                                     cost_scale, rtol):
                code = UNCERTIFIED
            if code != OPTIMAL:
                value = np.nan
                if n_bad < bad_i.shape[0]:
                    bad_i[n_bad] = i
                    bad_j[n_bad] = j
                    bad_status[n_bad] = code
                n_bad += 1
            elif cost <= 0.0:
                value = 0.0
            elif p == 1.0:
                value = cost
            else:
                value = cost**inv_p
            D[i, j] = value
            if symmetric:
                D[j, i] = value
    return n_bad
