"""The network simplex: the one Python owner of its kernels.

Two ways in, both exact:

* `solve_dense` -- a transport problem on a dense cost matrix (read in
  place), solved from the artificial tree;
* `solve_dense_pairs` -- many such problems between histogram rows over
  one cost matrix, each solved from a greedy start (`_pair_simplex`) and
  certified like `solve_dense_certified`, in compiled code spread over
  threads (`_simplex_batch`);
* `ArcSimplex` -- a min-cost flow on an arc list that can grow: start from
  the artificial tree or from a feasible forest (`ArcSimplex.artificial`,
  `ArcSimplex.from_forest`), `run` to optimality, append arcs, `run` again
  warm from the last tree.  `solve_arcs` is the one-shot form.

This module chooses what the kernels need -- the artificial cost, the
pricing tolerance, the pricing block -- and reads the final spanning tree
back into a sparse solution (`_basis`).  Nothing else calls the kernels:
the pivot rule is `transport._simplex._simplex_kernels.pivot` and the state it
updates is `transport._simplex._simplex_tree.SimplexTree`.  Nothing here validates
input: the public wrappers do.
"""

from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._core._results import INFEASIBLE, NUMERICAL, OPTIMAL
from ._simplex_batch import solve_rows_kernel
from ._simplex_kernels import (ART_COST_FACTOR, ARTIFICIAL_RTOL, ZERO_MASS,
                               dense_block_rows, dense_certified_kernel,
                               dense_plan_cost, max_abs, run_arcs_kernel,
                               solve_dense_kernel)
from ._simplex_tree import artificial_tree, forest_tree

__all__ = [
    "PRICE_RTOL",
    "DEFAULT_MAX_PIVOTS",
    "DenseSolution",
    "ArcsSolution",
    "solve_dense",
    "solve_arcs",
    "ArcSimplex",
    "transport_art_cost",
    "max_abs",
    "solve_dense_certified",
    "ZERO_MASS",
    "solve_dense_pairs",
]

#: An arc enters when its reduced cost is below -PRICE_RTOL * scale, scale
#: the magnitude of the costs.  Reduced costs are sums of three numbers of
#: magnitude ~scale (the potentials stay within a few scales with the
#: artificial costs used here), so their rounding error is ~1e-16 scale;
#: potentials are recomputed from the tree before optimality is declared,
#: so drift does not accumulate past that.  The final plan is optimal to
#: PRICE_RTOL * mass * scale (weak duality).
PRICE_RTOL = 2.0**-44  # 5.7e-14

#: Default pivot cap.  The strongly feasible tree rules out cycling, so the
#: cap is a backstop against pathological inputs, not a normal way to stop.
DEFAULT_MAX_PIVOTS = 100_000_000

#: Arc-list pricing block: about ARC_BLOCK_FACTOR * sqrt(#arcs priced).
#: Smaller than the dense one: the arc lists here are stored source by
#: source with sources in a spatial order, so a short block already spans a
#: neighbourhood.  In the sparse solver 0.1 / 0.25 / 1 / 4 took 1.6 / 1.7 /
#: 2.5 / 5.0 s of simplex time at 20,000 points a side (more pivots,
#: cheaper ones).  Once the sparse solver's rounds held ~800,000 arcs (the
#: rounds next to the tree) pricing dominated on the hard families: 3-D
#: Gaussians 1 apart, W_1, n = 20,000, simplex time 12.4 / 7.8 / 7.1 / 6.2
#: s at 0.25 / 0.1 / 0.05 / 0.02 (2.23 / 2.22 / 2.34 / 2.51 M pivots);
#: 0.02 was slower on shifted squares (W_1: 6.2 s against 4.2 s) and
#: uniform ones (1.3 s against 0.84 s), 0.05 within 5% of 0.25 or faster
#: on all ten family/cost pairs (one run each, load ~1).
ARC_BLOCK_FACTOR = 0.05

DenseSolution = namedtuple("DenseSolution", "rows cols flows u v cost status n_iter")
DenseSolution.__doc__ = """Sparse solution of a dense transport problem.

rows, cols, flows : the positive entries of the plan;
u, v : potentials with u_i + v_j <= M_ij (tight on the plan);
cost : <plan, M>; status : a code of `transport._core._results`; n_iter : pivots.
"""

ArcsSolution = namedtuple("ArcsSolution", "arcs flows pi cost status n_iter")
ArcsSolution.__doc__ = """Solution of a min-cost flow on an arc list.

arcs, flows : indices of the arcs with positive flow and their flows;
pi : node potentials (cost[e] + pi[src[e]] - pi[dst[e]] >= -tol);
cost : total cost; status : a code of `transport._core._results`; n_iter : pivots.
"""


def _scale(c_max_abs):
    return c_max_abs if c_max_abs > 0 else 1.0


def transport_art_cost(cost_bound):
    """Artificial cost for a transport problem whose pair costs are all at
    most `cost_bound` in absolute value: the route source -> root -> sink
    then costs more than any direct pair, so no flow stays on it at the
    optimum of the full problem."""
    return ART_COST_FACTOR * _scale(cost_bound)


def _basis(tree, N):
    """The one read-back of a final tree: (arcs, flows, artificial) --
    the indices of the real tree arcs with positive flow, their flows, and
    the largest flow left on an artificial arc (0.0 when none)."""
    pred = tree.pred[:N]
    flow = tree.flow[:N]
    real = pred >= 0
    keep = real & (flow > 0)
    artificial = flow[~real]
    left = float(artificial.max()) if artificial.size else 0.0
    return pred[keep], flow[keep], max(left, 0.0)


def solve_dense(a, b, M, *, max_pivots, max_abs_cost=None):
    """Optimal plan for masses a (n,), b (m,) with sum(a) == sum(b), cost M.

    M must be C-contiguous float64 (it is read in place).  Masses should be
    positive (zero masses are allowed but make the problem degenerate).
    `max_abs_cost` is max|M| when the caller already has it.
    """
    n, m = M.shape
    if max_abs_cost is None:
        max_abs_cost = float(max_abs(M))
    scale = _scale(max_abs_cost)
    tol = PRICE_RTOL * scale
    tree, n_iter, status = solve_dense_kernel(
        a, b, M, max_pivots, transport_art_cost(max_abs_cost), tol,
        dense_block_rows(n, m))
    N = n + m
    arcs, flows, artificial = _basis(tree, N)
    if status == OPTIMAL and artificial > ARTIFICIAL_RTOL * float(a.sum()):
        status = NUMERICAL  # cannot happen with art_cost > max M
    rows = arcs // m
    cols = arcs % m
    cost = float(dense_plan_cost(tree, M, N))
    u = -tree.pi[:n]
    v = tree.pi[n:N].copy()
    return DenseSolution(rows, cols, flows, u, v, cost, int(status), int(n_iter))


def solve_dense_certified(a, b, M, *, max_pivots):
    """`solve_dense` and the certificate's measurements in one compiled call,
    for positive masses (see `_simplex_kernels.dense_certified_kernel`; its
    status is ZERO_MASS, nothing solved, when a mass is zero)."""
    n, m = M.shape
    return dense_certified_kernel(a, b, M, max_pivots, PRICE_RTOL, dense_block_rows(n, m))


class ArcSimplex:
    """Warm-startable network simplex on an arc list (src, dst, cost).

    Holds the supplies and the spanning tree between calls of `run`.  The
    arc arrays are the caller's: it may append arcs between runs, as long
    as the arcs already given keep their indices (tree arcs refer to them).
    """

    def __init__(self, supply, tree):
        self.supply = supply
        self.tree = tree
        self.N = supply.shape[0]

    @classmethod
    def artificial(cls, supply, art_cost):
        """Start from the artificial tree: sources hang from the root by
        arcs of cost 0, sinks by arcs of cost `art_cost` (it must exceed the
        cost of any route the arcs offer for the result to be exact; see
        `transport_art_cost`)."""
        return cls(supply, artificial_tree(supply, art_cost))

    @classmethod
    def from_forest(cls, supply, n, m, src, dst, flow, cost):
        """Start from a feasible transport plan whose support is a forest:
        arcs src[e] -> n + dst[e] with flows `flow` and costs `cost`, which
        must be the first arcs of every list later given to `run`.  None
        when the support has a cycle or misses a source."""
        tree, bad = forest_tree(n, m, src, dst, flow, cost)
        return None if bad else cls(supply, tree)

    def run(self, src, dst, cost, *, tol, new_from=0,
            max_pivots=DEFAULT_MAX_PIVOTS, block_factor=ARC_BLOCK_FACTOR):
        """Pivot to optimality over the arcs; returns (n_pivots, status).

        With ``0 < new_from < len(src)`` (arcs appended since the last run)
        the new arcs are priced first, then all: pricing the whole list to
        find a few entering arcs is what makes late rounds slow otherwise.
        """
        E = src.shape[0]
        n_iter = 0
        if 0 < new_from < E:
            block = max(1, int(round(block_factor * np.sqrt(E - new_from))))
            k, status = run_arcs_kernel(self.supply, src, dst, cost, self.tree,
                                        max_pivots, tol, block, new_from)
            n_iter += k
            if status != OPTIMAL:
                return n_iter, status
        block = max(1, int(round(block_factor * np.sqrt(max(E, 1)))))
        k, status = run_arcs_kernel(self.supply, src, dst, cost, self.tree,
                                    max_pivots - n_iter, tol, block, 0)
        return n_iter + k, status

    @property
    def pi(self):
        """Node potentials of the current tree (a view, updated by `run`)."""
        return self.tree.pi[: self.N]

    def basis(self):
        """(arcs, flows, artificial) of the current tree (see `_basis`)."""
        return _basis(self.tree, self.N)


def solve_arcs(supply, src, dst, cost, *, max_pivots, art_cost=None,
               block_factor=ARC_BLOCK_FACTOR):
    """Min-cost flow on an arc list from scratch; supplies sum to zero.

    Returns an `ArcsSolution`.  Status INFEASIBLE when flow is left on the
    artificial arcs.  `block_factor`: the pricing block is about that times
    sqrt(#arcs) (the best value depends on how the arcs are ordered).  `art_cost` must exceed the cost of any simple path
    between two nodes for the result to be exact; the default,
    (N + 1) * max|cost|, always does.
    """
    N = supply.shape[0]
    scale = _scale(float(np.abs(cost).max()) if cost.size else 0.0)
    if art_cost is None:
        art_cost = (N + 1) * scale
    tol = PRICE_RTOL * max(scale, art_cost)
    if src.shape[0] == 0:
        src = np.zeros(1, np.int64)
        dst = np.zeros(1, np.int64)
        cost = np.zeros(1)
    simplex = ArcSimplex.artificial(supply, art_cost)
    n_iter, status = simplex.run(src, dst, cost, tol=tol, max_pivots=max_pivots,
                                 block_factor=block_factor)
    arcs, flows, artificial = simplex.basis()
    mass = float(np.abs(supply).sum()) / 2 or 1.0
    if status == OPTIMAL and artificial > ARTIFICIAL_RTOL * mass:
        status = INFEASIBLE
    total = float(np.dot(flows, cost[arcs]))
    return ArcsSolution(arcs, flows, simplex.pi.copy(), total, int(status), int(n_iter))


#: Pairs per task of `solve_dense_pairs` (at least one row of U each):
#: small enough to balance the threads, large enough that the Python call
#: per task is negligible.
PAIRS_PER_TASK = 2048

#: Uncertified pairs each task records by index (all are counted).
RECORDED_PER_TASK = 16


def _row_tasks(n, m, symmetric):
    """Row ranges [start, stop) of about PAIRS_PER_TASK pairs each (pure)."""
    per_row = np.arange(n - 1, -1, -1) if symmetric else np.full(n, m)
    ends = np.cumsum(per_row)
    tasks = []
    start = 0
    while start < n:
        done = ends[start - 1] if start else 0
        stop = int(np.searchsorted(ends, done + PAIRS_PER_TASK, side="right"))
        stop = min(max(stop, start + 1), n)
        tasks.append((start, stop))
        start = stop
    return tasks


def solve_dense_pairs(U, V, M, p, D, *, max_pivots, rtol, workers, stats=None,
                      report=None):
    """Exact W_p between the rows of U and of V into D (n, m), each pair
    solved and certified in compiled code (`_simplex_batch`); V None: U
    against itself, the pairs i < j solved once and mirrored (the diagonal
    of D is left as it is).

    U (n, k), V (m, l): C-contiguous float64 histograms, validated, rows of
    equal mass up to rounding; M (k, l) the costs d^p.  `workers` threads share row ranges (the kernel releases
    the GIL).  Returns (count, bad): how many pairs were not certified (NaN
    in D) and a list of (i, j, status) for some of them.  A dict `stats`
    gets the total number of pivots under "pivots".  `report` (a
    `transport._core._progress` reporter) is advanced by the pairs of each
    task as the tasks finish, from the calling thread: the compiled loop
    never waits for it.
    """
    symmetric = V is None
    if symmetric:
        V = U
    tasks = _row_tasks(U.shape[0], V.shape[0], symmetric)

    def run(start, stop):
        bad_i = np.empty(RECORDED_PER_TASK, np.int64)
        bad_j = np.empty(RECORDED_PER_TASK, np.int64)
        bad_status = np.empty(RECORDED_PER_TASK, np.int64)
        pivots = np.zeros(1, np.int64)
        count = solve_rows_kernel(U, V, M, start, stop, symmetric,
                                  float(p), PRICE_RTOL, max_pivots, rtol, D,
                                  bad_i, bad_j, bad_status, pivots)
        kept = min(count, RECORDED_PER_TASK)
        return count, list(zip(bad_i[:kept].tolist(), bad_j[:kept].tolist(),
                               bad_status[:kept].tolist())), int(pivots[0])

    per_row = (lambda i: V.shape[0] - 1 - i) if symmetric else (lambda i: V.shape[0])
    results = []

    def done(task, result):
        results.append(result)
        if report is not None:
            start, stop = task
            pairs = sum(per_row(i) for i in range(start, stop))
            report.update(advance=pairs, uncertified=sum(c for c, _, _ in results))

    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            done(task, run(*task))
    else:
        # A pool per call: nothing process-wide to re-create after a fork.
        with ThreadPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
            for task, result in zip(tasks, pool.map(lambda task: run(*task), tasks)):
                done(task, result)
    count = sum(c for c, _, _ in results)
    bad = [entry for _, entries, _ in results for entry in entries]
    if stats is not None:
        stats["pivots"] = sum(k for _, _, k in results)
    return count, bad
