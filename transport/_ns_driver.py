"""Python side of the network simplex: parameters in, sparse solution out.

`solve_dense` (a transport problem with a dense cost matrix) and
`solve_arcs` (a min-cost flow on an arc list) choose the artificial cost,
the pricing tolerance and the block size, run the kernel, and turn its
spanning tree into a sparse plan and potentials.  Neither validates: the
public wrappers do.
"""

from collections import namedtuple

import numpy as np

from ._certify import max_abs
from ._network_simplex import (
    INFEASIBLE,
    NUMERICAL,
    OPTIMAL,
    solve_arcs_kernel,
    solve_dense_kernel,
)

__all__ = ["NSOutput", "solve_dense", "solve_arcs", "PRICE_RTOL", "BLOCK_FACTOR"]

#: An arc enters when its reduced cost is below -PRICE_RTOL * max|cost|.
#: Reduced costs are sums of three numbers of magnitude ~max|cost| (the
#: potentials stay within a few max|cost| with the artificial costs used
#: here), so their rounding error is ~1e-16 max|cost|; potentials are
#: recomputed from the tree before optimality is declared, so drift does not
#: accumulate past that.  The final plan is optimal to PRICE_RTOL * mass *
#: max|cost| (weak duality).
PRICE_RTOL = 2.0**-44  # 5.7e-14

#: Pricing block: about BLOCK_FACTOR * sqrt(#arcs) arcs.
BLOCK_FACTOR = 1.0

NSOutput = namedtuple("NSOutput", "rows cols flows u v cost status n_iter")
NSOutput.__doc__ = """Sparse solution of a transport problem.

rows, cols, flows : the positive entries of the plan;
u, v : potentials with u_i + v_j <= M_ij (tight on the plan);
cost : <plan, M>; status : 0 optimal, 1 pivot cap, 2 numerical, 3 infeasible;
n_iter : pivots.
"""

ArcsOutput = namedtuple("ArcsOutput", "arcs flows pi cost status n_iter")


def _cost_scale(c_max_abs):
    return c_max_abs if c_max_abs > 0 else 1.0


def solve_dense(a, b, M, *, max_iter, max_abs_cost=None):
    """Optimal plan for masses a (n,), b (m,) with sum(a) == sum(b), cost M.

    M must be C-contiguous float64 (it is read in place).  Masses should be
    positive (zero masses are allowed but make the problem degenerate).
    `max_abs_cost` is max|M| when the caller already has it.
    """
    n, m = M.shape
    if max_abs_cost is None:
        max_abs_cost = float(max_abs(M))
    scale = _cost_scale(max_abs_cost)
    # Any route source -> root -> sink must cost more than every real arc,
    # so that no artificial flow survives at the optimum: 2 * max|M| > M_ij.
    art_cost = 2.0 * scale
    tol = PRICE_RTOL * scale
    block_rows = max(1, int(round(BLOCK_FACTOR * np.sqrt(n * m) / m)))
    parent, pred, up, flow, pi, n_iter, status = solve_dense_kernel(
        a, b, M, max_iter, art_cost, tol, block_rows
    )
    N = n + m
    pred = pred[:N]
    flow = flow[:N]
    mass = float(a.sum())
    real = pred >= 0
    if status == OPTIMAL:
        artificial = flow[~real]
        if artificial.size and artificial.max() > 1e-12 * mass:
            status = NUMERICAL  # cannot happen with art_cost > max M
    keep = real & (flow > 0)
    arcs = pred[keep]
    rows = arcs // m
    cols = arcs % m
    flows = flow[keep]
    cost = float(np.dot(flows, M[rows, cols]))
    u = -pi[:n]
    v = pi[n:N].copy()
    return NSOutput(rows, cols, flows, u, v, cost, int(status), int(n_iter))


def solve_arcs(supply, src, dst, cost, *, max_iter, art_cost=None):
    """Min-cost flow on an arc list; supplies sum to zero.

    Returns ArcsOutput(arcs, flows, pi, cost, status, n_iter): the indices of
    the arcs with positive flow, their flows, node potentials (reduced cost
    cost[e] + pi[src[e]] - pi[dst[e]] >= -tol) and the total cost.  Status 3
    (infeasible) when flow is left on the artificial arcs.

    `art_cost` must exceed the cost of any simple path between two nodes for
    the result to be exact; the default, (N + 1) * max|cost|, always does.
    """
    N = supply.shape[0]
    scale = _cost_scale(float(np.abs(cost).max()) if cost.size else 0.0)
    if art_cost is None:
        art_cost = (N + 1) * scale
    tol = PRICE_RTOL * max(scale, art_cost)
    block = max(1, int(round(BLOCK_FACTOR * np.sqrt(max(src.shape[0], 1)))))
    if src.shape[0] == 0:
        src = np.zeros(1, np.int64)
        dst = np.zeros(1, np.int64)
        cost = np.zeros(1)
    parent, pred, up, flow, pi, n_iter, status = solve_arcs_kernel(
        supply, src, dst, cost, max_iter, art_cost, tol, block
    )
    pred = pred[:N]
    flow = flow[:N]
    real = pred >= 0
    mass = float(np.abs(supply).sum()) / 2 or 1.0
    if status == OPTIMAL:
        artificial = flow[~real]
        if artificial.size and artificial.max() > 1e-12 * mass:
            status = INFEASIBLE
    keep = real & (flow > 0)
    arcs = pred[keep]
    flows = flow[keep]
    total = float(np.dot(flows, cost[arcs]))
    return ArcsOutput(arcs, flows, pi[:N].copy(), total, int(status), int(n_iter))
