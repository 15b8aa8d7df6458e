"""Many small dense transport problems in one compiled loop (numba kernels).

`solve_rows_kernel` solves the problems (U[i], V[j], M) for a range of
rows i of U against every row j of V (or, for U against itself, every
j > i): rows of U and V are histograms over the rows and columns of one
ground-cost matrix M, and the distances go straight into the output
matrix.  Per pair, inside compiled code and without the GIL:

1. the bins with zero mass are dropped (as `emd` does): the sub-problem is
   the positive bins of U[i] against those of V[j], its costs gathered from
   M into a workspace;
2. V[j] is rescaled to the mass of U[i] (as `emd` rescales b) and the
   sub-problem is solved from a greedy start in reused workspaces
   (`transport._simplex._pair_simplex`: the arcs of M are sorted once per
   call, those of row i once per row) by the pivots of
   `transport._simplex._simplex_kernels`;
3. the final tree is read back and certified by
   `transport._simplex._simplex_kernels.certified_tree`, the read-back and
   certificate (`transport._core._certify.certificate_numbers`: marginals,
   dual feasibility over every pair of positive bins, zero gap) that `emd`
   runs on its own tree.  The cost is that of another optimal basis than
   `emd`'s when the optimum is degenerate: equal up to rounding.

A pair that is not proven optimal gets NaN and a status code; the caller
warns.  Dropped bins need no certificate of their own: they carry no mass,
and feasible potentials for them always exist (see
`transport._simplex._emd._restore_dropped_duals`).  Kernels validate nothing: rows
must be finite, non-negative with positive sums, M finite.

Only `transport._simplex._network_simplex` calls this module.
"""

import numpy as np
from numba import njit

from .._core._certify import numbers_ok
from .._core._results import OPTIMAL
from ._simplex_kernels import ART_COST_FACTOR, certified_tree
from ._pair_simplex import (TAIL_ROWS, cost_order, greedy_forest, pair_block_rows,
                            pair_workspace, row_arcs, solve_from_forest, sorted_arcs)
from .._core._validation import total

__all__ = ["solve_rows_kernel", "UNCERTIFIED"]

_OPTS = dict(cache=True, nogil=True)

#: Status of a pair that stopped optimal but failed its certificate (the
#: kernels' codes are those of `transport._core._results`).
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
def solve_rows_kernel(U, V, M, row_start, row_stop, symmetric, p,
                      price_rtol, max_pivots, rtol, D, bad_i, bad_j, bad_status,
                      pivots):
    """Exact W_p for the pairs (i, j), row_start <= i < row_stop, written to
    D[i, j]: j over all rows of V, or (symmetric: V is U) over j > i, also
    written to D[j, i].  A pair not certified gets NaN; the first
    len(bad_i) of them are recorded in (bad_i, bad_j, bad_status) with
    their status (MAX_PIVOTS, NUMERICAL or UNCERTIFIED); pivots[0] is
    increased by the pivots made.  Returns how many pairs were not
    certified.

    U (n, k) and V (n', l) hold histograms of equal total mass up to
    rounding, M (k, l) the costs d^p, `price_rtol` the pricing tolerance relative to max|M|.
    """
    k = U.shape[1]
    l = V.shape[1]
    idx_a = np.empty(k, np.int64)
    idx_b = np.empty(l, np.int64)
    loc_a = np.full(k, -1, np.int64)
    a_work = np.empty(k)
    b_work = np.empty(l)
    sub_work = np.empty(k * l)
    arc_s, arc_t = sorted_arcs(M)
    nbr = cost_order(M)
    ws = pair_workspace(k, l)
    loc_b = ws.loc_b
    inv_p = 1.0 / p
    n_bad = 0
    for i in range(row_start, row_stop):
        n = _positive_bins(U[i], idx_a)
        a = a_work[:n]
        for x in range(n):
            a[x] = U[i, idx_a[x]]
            loc_a[idx_a[x]] = x
        n_arcs = row_arcs(arc_s, arc_t, loc_a, ws)
        for x in range(n):
            loc_a[idx_a[x]] = -1
        a_total = total(a)
        for j in range(i + 1 if symmetric else 0, V.shape[0]):
            m = _positive_bins(V[j], idx_b)
            b = b_work[:m]
            for y in range(m):
                b[y] = V[j, idx_b[y]]
                loc_b[idx_b[y]] = y
            factor = a_total / total(b)  # as emd rescales b (zeros add nothing)
            for y in range(m):
                b[y] = b[y] * factor
            sub = sub_work[: n * m].reshape((n, m))
            cmax = 0.0  # max|sub|, as max_abs(sub) finds it
            for x in range(n):
                row = M[idx_a[x]]
                for y in range(m):
                    c = row[idx_b[y]]
                    sub[x, y] = c
                    if abs(c) > cmax:
                        cmax = abs(c)
            E = greedy_forest(a, b, n_arcs, ws, idx_a, nbr, TAIL_ROWS)
            for y in range(m):
                loc_b[idx_b[y]] = -1
            scale = cmax if cmax > 0.0 else 1.0
            tree, n_iter, code = solve_from_forest(
                a, b, sub, E, max_pivots, ART_COST_FACTOR * scale, price_rtol * scale,
                pair_block_rows(n, m), ws)
            pivots[0] += n_iter
            code, _, _, _, _, _, cost, numbers, _ = certified_tree(
                a, b, sub, tree, code, n_iter)
            if code == OPTIMAL and not numbers_ok(numbers, rtol):
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
