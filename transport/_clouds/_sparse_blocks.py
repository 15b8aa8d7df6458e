r"""The matrix-free sparse method in high dimension: pricing by blocks.

Column generation on the network simplex, as `transport._clouds._sparse`,
with the all-pairs work done by blocks of matrix products
(`transport._clouds._block_scan`) instead of kd-trees, which prune nothing
in high dimension:

* candidates: the north-west-corner plan along the line joining the two
  clouds' means (feasible, n + m - 1 arcs) and the k nearest neighbours of
  every atom, both ways, found in one pass of block costs;
* rounds: the simplex solves the problem on the candidates (warm from its
  last tree), one block scan prices all n m pairs, the most violated arcs
  of every source are added; the solve ends on a scan that finds no
  violated pair, which is the certificate (the exact largest dual
  violation over all pairs, from costs within `COST_RTOL` of the exact
  ones).

Memory: the arcs and one block of costs (`BLOCK_BYTES`), never the n x m
matrix.  No multiscale start and no rounds next to the tree: in 64-D at
3000 points a side both cost more than the exact scans they save (0.6 s a
scan there).
"""

import math
import time

import numpy as np

from .._core._certify import DEFAULT_RTOL, certificate_from
from .._core._metrics import METRICS, pair_costs
from .._core._results import MAX_ROUNDS, NUMERICAL, OPTIMAL, Solution
from .._simplex._network_simplex import ArcSimplex, transport_art_cost
from ._block_scan import BlockScan, block_neighbour_keys
from ._initial_plans import northwest_arcs
from ._sparse import (ADD_PER_SOURCE, CANDIDATE_NEIGHBOURS, CHECK_RTOL, DEFAULT_MAX_ROUNDS,
                      MAX_ADD_PER_SOURCE, PRICE_RATIO, SparseStats, _ArcList, _cost_bound,
                      _member, _potentials, kept_in_order)

__all__ = ["solve_blocks_solution"]


def _line_order(X, Y):
    """Orders of X and Y along the line joining their means (the widest axis
    when the means coincide): the 1-D order of the north-west-corner plan."""
    direction = Y.mean(axis=0) - X.mean(axis=0)
    if not np.any(direction):
        direction = np.zeros(X.shape[1])
        span = np.maximum(X.max(axis=0), Y.max(axis=0)) - np.minimum(X.min(axis=0),
                                                                     Y.min(axis=0))
        direction[int(np.argmax(span))] = 1.0
    return (np.argsort(X @ direction, kind="stable"),
            np.argsort(Y @ direction, kind="stable"))


def _solve_kept(X, Y, a, b, metric, p, ref, max_rounds, stats):
    """Column generation on positive-mass atoms (in line order); potentials
    normalised to 0 at node `ref`.  Returns (rows, cols, flows, costs, u,
    v, status, max_violation)."""
    n, m = X.shape[0], Y.shape[0]
    code = metric.code
    t0 = time.perf_counter()
    cost_bound = _cost_bound(X, Y, metric, p)
    nw_src, nw_dst = northwest_arcs(a, b)
    first = nw_src * m + nw_dst
    others = block_neighbour_keys(X, Y, CANDIDATE_NEIGHBOURS, code)
    others = others[~_member(others, np.sort(first))]
    present = np.sort(np.concatenate([first, others]))
    src = np.concatenate([nw_src, others // m])
    dst = np.concatenate([nw_dst, others % m])
    cost = np.empty(src.shape[0])
    pair_costs(X, Y, src, dst, code, p, cost)
    arcs = _ArcList(src, dst + n, cost)
    stats.arcs_initial = int(arcs.E)
    simplex = ArcSimplex.artificial(np.concatenate([a, -b]),
                                    transport_art_cost(cost_bound))
    scanner = BlockScan(Y)
    width = min(MAX_ADD_PER_SOURCE, int(math.ceil(ADD_PER_SOURCE * max(1.0, m / n))))
    stats.t_setup += time.perf_counter() - t0

    status = MAX_ROUNDS
    max_violation = np.inf
    tol = CHECK_RTOL * max(cost_bound, np.finfo(np.float64).tiny)
    u = v = None
    tail = 0
    for _ in range(max_rounds):
        t0 = time.perf_counter()
        n_iter, st = simplex.run(*arcs.live(), tol=tol / PRICE_RATIO, new_from=tail)
        stats.rounds += 1
        stats.pivots += int(n_iter)
        stats.round_pivots.append(int(n_iter))
        stats.t_simplex += time.perf_counter() - t0
        if st != OPTIMAL:
            status = st
            break
        t0 = time.perf_counter()
        u, v = _potentials(simplex.pi, n, ref)
        scale = cost_bound + float(np.abs(u).max()) + float(np.abs(v).max())
        tol = CHECK_RTOL * max(scale, np.finfo(np.float64).tiny)
        stats.max_abs_potential = max(stats.max_abs_potential,
                                      float(np.abs(simplex.pi).max()))
        counts, out_j, _, best = scanner.scan(X, v, u - tol, width, code, p)
        max_violation = float(np.max(u - best))
        stats.t_scan += time.perf_counter() - t0
        stats.round_scan.append(time.perf_counter() - t0)
        if not counts.any():
            status = OPTIMAL
            break
        rows = np.repeat(np.arange(n, dtype=np.int64), counts)
        cols = out_j[np.arange(width)[None, :] < counts[:, None]]
        keys = rows * m + cols
        fresh = ~_member(keys, present)
        if not fresh.any():
            status = NUMERICAL  # violated candidates: the potentials are off
            break
        rows, cols = rows[fresh], cols[fresh]
        new_cost = np.empty(rows.shape[0])
        pair_costs(X, Y, rows, cols, code, p, new_cost)
        tail = arcs.E
        arcs.append(rows, cols + n, new_cost)
        stats.arcs_added += int(rows.shape[0])
        present = np.sort(np.concatenate([present, rows * m + cols]), kind="stable")

    arc_ids, flows, _ = simplex.basis()
    s_, d_, c_ = arcs.live()
    if u is None:
        u, v = _potentials(simplex.pi, n, ref)
    return s_[arc_ids], d_[arc_ids] - n, flows, c_[arc_ids], u, v, status, max_violation


def solve_blocks_solution(X, Y, a, b, metric, p, max_rounds=DEFAULT_MAX_ROUNDS,
                          rtol=DEFAULT_RTOL):
    """The `Solution` of the sparse method priced by blocks, and its
    `SparseStats` (validated clouds and weights, canonical metric name)."""
    stats = SparseStats()
    metric = METRICS[metric]
    code = metric.code
    p = float(p)
    n, m = X.shape[0], Y.shape[0]
    t0 = time.perf_counter()
    b, rows_kept, cols_kept, ri, cj, Xs, Ys, ref = kept_in_order(X, Y, a, b, _line_order)
    stats.t_setup += time.perf_counter() - t0
    rows, cols, flows, plan_costs, u_k, v_k, status, max_violation = _solve_kept(
        Xs, Ys, a[ri], b[cj], metric, p, ri.size + ref, max_rounds, stats)

    t0 = time.perf_counter()
    u = np.empty(n)
    v = np.empty(m)
    u[ri] = u_k
    v[cj] = v_k
    # zero-mass atoms: exact c-transforms (feasible, no change in the objective)
    drop_rows = np.setdiff1d(np.arange(n), rows_kept, assume_unique=True)
    drop_cols = np.setdiff1d(np.arange(m), cols_kept, assume_unique=True)
    if drop_rows.size:
        thr = np.full(drop_rows.size, -np.inf)
        u[drop_rows] = BlockScan(Ys).scan(np.ascontiguousarray(X[drop_rows]), v[cj], thr,
                                          1, code, p)[3]
    if drop_cols.size:
        thr = np.full(drop_cols.size, -np.inf)
        v[drop_cols] = BlockScan(X).scan(np.ascontiguousarray(Y[drop_cols]), u, thr, 1,
                                         code, p)[3]
    rows = ri[rows]
    cols = cj[cols]
    cost = float(np.dot(flows, plan_costs))
    certificate = certificate_from(rows, cols, flows, plan_costs, u, v, cost, a, b,
                                   max_violation, rtol)
    sol = Solution(status, rows, cols, flows, u, v, cost, certificate, stats.pivots,
                   "sparse", (n, m))
    stats.t_finish += time.perf_counter() - t0
    return sol, stats
