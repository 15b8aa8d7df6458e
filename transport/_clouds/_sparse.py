r"""Exact W_p between large point clouds without the cost matrix.

Column generation on the network simplex: solve the transport problem on a
sparse set of candidate arcs, then prove (or disprove) optimality over *all*
n x m pairs with a dual scan that never forms the cost matrix, add the arcs
it finds violated and re-solve warm from the last spanning tree, until the
scan finds none.

* Order: both clouds are sorted along one Hilbert curve on their joint
  bounding box (`_sparse_kernels.hilbert_keys`), which keeps near atoms at
  near indices (memory locality) and gives the 1-D order below.
* Multiscale start (from `MULTISCALE_MIN` atoms a side): the problem with
  clusters of `COARSEN` consecutive atoms (compact, thanks to the curve) is
  solved first, recursively by this same solver.  Its plan is split back
  onto the atoms by the north-west rule (`transport._clouds._initial_plans`): a
  feasible plan whose support is a forest, made the simplex's first
  spanning tree (`ArcSimplex.from_forest`: each tree hangs from the
  root by an arc without flow, so no flow ever passes the root).  All
  pairs between linked clusters become candidates: they carry the
  long-range structure that nearest neighbours miss when mass travels far.
* Candidates: those, the support of the north-west-corner plan along the
  curve (feasible, n + m - 1 arcs), and the k nearest neighbours of every
  atom in the other cloud, both ways (`scipy.spatial.cKDTree`), deduplicated.
* Small problems start from the simplex's artificial tree,
  whose route source -> root -> sink costs `ART_FACTOR` times an upper
  bound of *all* pair costs (from the bounding boxes).  Flow left on it is
  then always undercut by a direct pair, which the scan finds: no art_cost
  escalation is needed, and the potentials stay within a few cost bounds.
* Dual scan (`transport._clouds._kdscan`): a kd-tree over the targets holds, per
  node, the bounding box and the largest potential v_j inside.  For a source x_i,
  dist(x_i, box)^p - max v is a lower bound of c(x_i, y_j) - v_j over the
  node, so the search skips a node only when nothing in it can be a
  violated pair (c_ij - u_i - v_j < -tol) or a smaller minimum.  For
  |x - y| and |x - y|^2 each node also holds a plane above its potentials
  (least-squares slope, raised to cover them): when mass travels far the
  potentials have a strong linear trend, which the box bound pays for over
  the node's whole width and the plane removes (4x fewer nodes opened by
  the final scan of two shifted 20,000-point squares, W_1).  The scan
  returns the exact c-transform min_j c_ij - v_j of every source, hence the
  exact largest dual violation: the final scan is the certificate.
* Tolerances: the scan flags c_ij - u_i - v_j < -tol with
  tol = CHECK_RTOL * (cost bound + max|u| + max|v|); the simplex prices
  with tol / PRICE_RATIO, strictly tighter, so an arc the scan adds always
  enters and the loop cannot spin on the same arcs.
* Rounds near the tree (`transport._clouds._local_scan`): after each simplex solve
  the pairs next to the tree's arcs (nearest targets of its targets,
  nearest sources of its sources) are priced first; while that finds
  enough violated pairs, they are added and the exact scan waits.  It
  proves nothing: the solve ends only on an exact scan with no violation.
* Warm rounds: after arcs are appended the simplex resumes from its last
  tree, pivoting on the new arcs first (`ArcSimplex.run`).
* Short rounds: a simplex run stops after `PIVOT_BUDGET` * (n + m)
  pivots and the search next to the tree runs on the potentials of the
  tree it reached: the arc set grows while the simplex is still far from
  the optimum over it, instead of that optimum being reached only to be
  upset by the next arcs.  Exact scans follow only runs that reached it.
"""

import math
import time
from collections import namedtuple

import numpy as np

from .._core._certify import DEFAULT_RTOL, certificate_from
from .._core._progress import NO_PROGRESS
from ._hilbert import curve_order
from ._initial_plans import northwest_arcs, refine_plan
from ._kdscan import TargetTree, c_transform
from ._local_scan import tree_violations
from .._core._metrics import CITYBLOCK, EUCLIDEAN, METRICS, SQEUCLIDEAN, pair_costs
from .._simplex._network_simplex import (DEFAULT_MAX_PIVOTS, PRICE_RTOL, ArcSimplex,
                                        transport_art_cost)
from .._core._results import (MAX_PIVOTS, MAX_ROUNDS, NUMERICAL, OPTIMAL, Solution,
                              transport_result)

__all__ = ["solve_sparse", "solve_sparse_solution", "SparseStats", "DEFAULT_MAX_ROUNDS"]

#: Cap on the rounds of column generation (solve, scan, add arcs).
DEFAULT_MAX_ROUNDS = 500

#: Nearest neighbours per atom in the initial candidate set (both ways).
#: Without the coarse level (uniform 2-D clouds, W_1, n = m = 20,000),
#: k = 8 / 16 / 24 / 32 took 13 / 10 / 8 / 8 rounds and 7.6 / 5.9 / 5.6 /
#: 6.2 s; with it, the coarse plan supplies the long-range arcs and k = 8
#: was best (three 20,000-point problems: 8.7 s in all for k = 8, 10.7 s
#: for 16, 10.9 s for 24; 4 and 6 were no faster).  Timings noisy (shared
#: 2-core machine).
CANDIDATE_NEIGHBOURS = 8

#: At most this many violated arcs per source are added in one round (the
#: most violated ones); 2 / 4 / 8 measured 8.6 / 7.6 / 7.6 s at 20,000
#: without the coarse level, 8.7 s (4) and 8.3 s (8) for three problems
#: with it.  Once rounds near the tree (LOCAL_PRICING) take most of the
#: violations, the exact scans find the rest spread thin over most sources:
#: 16 per source cut them from 6 to 5 on 4 clusters vs a Gaussian (W_1, n =
#: 20,000: 13.9 s -> 12.6 s); 64 did no better.
ADD_PER_SOURCE = 16

#: ... scaled by m / n when there are fewer sources than targets, up to this.
MAX_ADD_PER_SOURCE = 1024

#: Between exact scans, violated pairs are first looked for next to the
#: simplex's tree (`transport._clouds._local_scan`): for every tree arc (i, j), the
#: LOCAL_NEIGHBOURS targets nearest y_j and sources nearest x_i.  Such a
#: round costs milliseconds where an exact scan costs a second on hard data
#: (4 clusters vs a Gaussian, n = 20,000, W_1: 31 s with 20 exact scans
#: before, 12.6 s with 5 exact and 16 local rounds; 8 / 32 / 64 neighbours
#: 13.9 / 20.9 / 22.2 s, noisy).  The exact scan runs only when a local
#: round finds fewer than LOCAL_MIN_FRACTION * n violated pairs (0.01:
#: 15.5 s on that problem, same noise); only an exact scan that finds none
#: ends the solve.
LOCAL_PRICING = True
LOCAL_NEIGHBOURS = 16
LOCAL_MIN_FRACTION = 0.001

#: A simplex run stops after PIVOT_BUDGET * (n + m) pivots, short of the
#: optimum over its arcs, and the search next to the tree runs on its
#: current potentials (any spanning tree has them); only a run that
#: reaches the optimum over its arcs is followed by an exact scan.  Solving
#: every restricted problem to its optimum was measured to waste pivots
#: when mass travels far (under W_1 the optimum over the arcs of one round
#: is far from the next one's): 2-D and 3-D families at 6000 and 20,000 a
#: side took 2x the pivots of the dense solver from scratch (36 against 17
#: per node, 3-D Gaussians 1 apart, n = 6000).  See the README for the
#: measurements of 0 (off), 2 and 4.
PIVOT_BUDGET = 4.0

#: From this many atoms on each side the problem is first solved coarsened
#: by COARSEN consecutive atoms per cluster (recursively, by this same
#: solver); its plan gives candidate arcs and the starting tree
#: (`_coarse_start`).  Measured on three 2-D problems: at n = 1,000 0.16 s
#: against 0.26 s without, at 4,000 0.59 s against 1.15 s, at 20,000 8.7 s
#: against 21 s (random weights: 4 s against 19-21 s each), and a
#: clustered 20,000-point case 29 s against 502 s.  COARSEN = 8 was slower
#: (12.8 s against 10.9 s at 20,000).
MULTISCALE_MIN = 500
COARSEN = 4

#: The simplex prices with the scan's tolerance divided by this (strictly
#: tighter, so an arc the scan adds always enters).
PRICE_RATIO = 16.0

#: The scan flags pairs with c_ij - u_i - v_j < -CHECK_RTOL * scale, scale =
#: cost bound + max|u| + max|v|.  Reduced costs are sums of three numbers of
#: magnitude <= scale, with rounding error ~1e-16 * scale; 2^-40 (9.1e-13)
#: keeps a margin of ~2^12 above it.  The certificate's rtol is the looser
#: bar the final violation must clear.
CHECK_RTOL = PRICE_RATIO * PRICE_RTOL  # 2^-40

_Kept = namedtuple("_Kept", "rows cols flows plan_costs u v status max_violation")


class SparseStats:
    """Counters of one `solve_sparse` run (for benchmarks and tuning).

    Attributes of the finest level: ``rounds`` (simplex solves),
    ``arcs_initial``, ``arcs_added``, ``pivots`` (total) and
    ``round_pivots`` (per round), ``round_scan`` (seconds of each exact
    scan), ``local_rounds`` (rounds whose arcs came from the search next to
    the tree alone) and ``t_local`` (its seconds), ``max_abs_potential``,
    ``warm_start``
    (the first tree came from the coarse plan); ``levels`` (coarse levels
    below) and ``coarse_pivots`` (their pivots); seconds spent in
    ``t_setup`` (which includes ``t_coarse``, the coarse levels),
    ``t_simplex``, ``t_scan``, ``t_finish``.
    """

    __slots__ = ("rounds", "arcs_initial", "arcs_added", "pivots", "round_pivots",
                 "round_scan",
                 "t_setup", "t_simplex", "t_scan", "t_finish", "max_abs_potential",
                 "levels", "coarse_pivots", "t_coarse", "warm_start", "t_local",
                 "local_rounds")

    def __init__(self):
        self.warm_start = False
        self.t_local = 0.0
        self.local_rounds = 0
        self.levels = 0
        self.coarse_pivots = 0
        self.t_coarse = 0.0
        self.round_pivots = []
        self.round_scan = []
        self.rounds = 0
        self.arcs_initial = 0
        self.arcs_added = 0
        self.pivots = 0
        self.t_setup = 0.0
        self.t_simplex = 0.0
        self.t_scan = 0.0
        self.t_finish = 0.0
        self.max_abs_potential = 0.0

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __repr__(self):
        return f"SparseStats({self.as_dict()})"


def _cost_bound(X, Y, metric, p):
    """An upper bound of d(x, y)^p over all pairs (from the bounding boxes);
    `metric` is a `MetricInfo`."""
    g = np.maximum(np.abs(Y.max(axis=0) - X.min(axis=0)),
                   np.abs(X.max(axis=0) - Y.min(axis=0)))
    if metric.code == EUCLIDEAN:
        r = float(np.sqrt(np.sum(g * g)))
    elif metric.code == SQEUCLIDEAN:
        r = float(np.sum(g * g))
    elif metric.code == CITYBLOCK:
        r = float(np.sum(g))
    else:
        r = float(np.max(g))
    return r**p


def _neighbour_arcs(X, Y, trees, k, metric):
    """Keys i * m + j of the k-nearest-neighbour pairs, both directions
    (`metric`: a `MetricInfo`; `trees`: cKDTrees of X and Y)."""
    n, m = X.shape[0], Y.shape[0]
    mink = metric.minkowski
    keys = []
    kx = min(k, m)
    if kx > 0:
        _, j = trees[1].query(X, k=kx, p=mink, workers=-1)
        j = np.asarray(j, np.int64).reshape(n, kx)
        keys.append((np.arange(n, dtype=np.int64)[:, None] * m + j).ravel())
    ky = min(k, n)
    if ky > 0:
        _, i = trees[0].query(Y, k=ky, p=mink, workers=-1)
        i = np.asarray(i, np.int64).reshape(m, ky)
        keys.append((i * m + np.arange(m, dtype=np.int64)[:, None]).ravel())
    return np.unique(np.concatenate(keys))


class _ArcList:
    """Growing arc arrays (src, dst, cost) whose first E entries are live."""

    def __init__(self, src, dst, cost):
        self.E = src.shape[0]
        cap = max(16, 2 * self.E)
        self.src = np.empty(cap, np.int64)
        self.dst = np.empty(cap, np.int64)
        self.cost = np.empty(cap)
        self.src[: self.E] = src
        self.dst[: self.E] = dst
        self.cost[: self.E] = cost

    def append(self, src, dst, cost):
        k = src.shape[0]
        if self.E + k > self.src.shape[0]:
            cap = max(2 * self.src.shape[0], self.E + k)
            for name in ("src", "dst", "cost"):
                old = getattr(self, name)
                new = np.empty(cap, old.dtype)
                new[: self.E] = old[: self.E]
                setattr(self, name, new)
        self.src[self.E : self.E + k] = src
        self.dst[self.E : self.E + k] = dst
        self.cost[self.E : self.E + k] = cost
        self.E += k

    def live(self):
        E = self.E
        return self.src[:E], self.dst[:E], self.cost[:E]


def _potentials(pi, n, ref):
    """(u, v) from the simplex's pi (u = -pi on sources, v = pi on sinks),
    shifted (u + s, v - s) so that node `ref` (simplex numbering: sinks are
    n..N-1) has potential 0."""
    u = -pi[:n]
    v = pi[n:].copy()
    shift = v[ref - n] if ref >= n else -u[ref]
    return u + shift, v - shift


def _report_round(report, level, n, m, rounds, arcs, found, scan, simplex, costs):
    """One progress update of the round loop: the simplex's current cost
    (its plan is feasible, so this is an upper bound of the optimum)."""
    if not report.enabled:
        return
    arc_ids, flows, _ = simplex.basis()
    report.update(level=level, n=n, m=m, round=rounds, arcs=int(arcs), violations=int(found),
                  scan=scan, cost=float(np.dot(flows, costs[arc_ids])))


def _solve_kept(X, Y, a, b, metric, p, ref, max_rounds, stats, report=NO_PROGRESS,
                level=0):
    """Column generation on positive-mass atoms X (n, d), Y (m, d), already
    in curve order (`metric`: a `MetricInfo`); potentials are normalised to
    0 at node `ref` (sources 0..n-1, sinks n..n+m-1).  `report` (a
    `progress_reporter`) hears of every round; `level` counts the coarse
    levels above this one (0: the problem itself).  Returns a `_Kept`."""
    n, m = X.shape[0], Y.shape[0]
    N = n + m
    code = metric.code
    t0 = time.perf_counter()
    cost_bound = _cost_bound(X, Y, metric, p)
    nw_src, nw_dst = northwest_arcs(a, b)
    from scipy.spatial import cKDTree  # loaded on first use

    trees = cKDTree(X), cKDTree(Y)
    keys = [nw_src * m + nw_dst, _neighbour_arcs(X, Y, trees, CANDIDATE_NEIGHBOURS, metric)]
    warm = None
    if min(n, m) >= MULTISCALE_MIN:
        t1 = time.perf_counter()
        coarse_keys, warm = _coarse_start(X, Y, a, b, metric, p, max_rounds, stats,
                                          report, level)
        keys.append(coarse_keys)
        stats.t_coarse += time.perf_counter() - t1
    if warm is not None:
        # the refined plan's arcs come first: the starting tree refers to them
        first_src, first_dst, first_flow = warm
        # Atoms too light to survive the coarse plan's rounding (masses
        # ~1e-300 next to ~1) get none of its flow: hang each such source
        # on its north-west-corner partner (nw_src is sorted) with its own
        # mass, a rounding-level imbalance the final flows do not keep.
        lost = np.setdiff1d(np.arange(n), first_src)
        if lost.size:
            partner = nw_dst[np.searchsorted(nw_src, lost)]
            first_src = np.concatenate([first_src, lost])
            first_dst = np.concatenate([first_dst, partner])
            first_flow = np.concatenate([first_flow, a[lost]])
    else:
        first_src, first_dst = nw_src, nw_dst
    first_keys = first_src * m + first_dst
    others = np.unique(np.concatenate(keys))
    others = others[~_member(others, np.sort(first_keys))]
    present = np.sort(np.concatenate([first_keys, others]))
    # source-major order (measured: a random order or a sink-major one took
    # 1.5-2x the pivots; the pricing block then spans no neighbourhood)
    src = np.concatenate([first_src, others // m])
    dst = np.concatenate([first_dst, others % m])
    cost = np.empty(src.shape[0])
    pair_costs(X, Y, src, dst, code, p, cost)
    arcs = _ArcList(src, dst + n, cost)  # the simplex numbers sinks n..N-1
    stats.arcs_initial = int(arcs.E)
    supply = np.concatenate([a, -b])
    simplex = None
    if warm is not None:
        simplex = ArcSimplex.from_forest(supply, n, m, first_src, first_dst,
                                         first_flow, cost[: first_src.shape[0]])
        stats.warm_start = simplex is not None
    if simplex is None:
        # Every route source -> root -> sink costs more than any pair: flow
        # left on it shows up as violated pairs in the scan.
        simplex = ArcSimplex.artificial(supply, transport_art_cost(cost_bound))
    targets = TargetTree(Y)
    # with fewer sources than targets each source needs more arcs per round
    width = min(MAX_ADD_PER_SOURCE, int(math.ceil(ADD_PER_SOURCE * max(1.0, m / n))))
    stats.t_setup += time.perf_counter() - t0

    scale = max(cost_bound, np.finfo(np.float64).tiny)
    status = MAX_ROUNDS
    max_violation = np.inf
    tol = CHECK_RTOL * scale
    u = v = None
    nbr_x = nbr_y = None
    tail = 0
    budget = int(PIVOT_BUDGET * N) if PIVOT_BUDGET > 0 else DEFAULT_MAX_PIVOTS
    # the level starts (no plan cost or violations of its own yet)
    report.update(level=level, n=n, m=m, round=0, arcs=int(arcs.E), violations="-",
                  scan="start", cost="-")
    for _ in range(max_rounds):
        t0 = time.perf_counter()
        n_iter, st = simplex.run(*arcs.live(), tol=tol / PRICE_RATIO, new_from=tail,
                                 max_pivots=budget)
        stats.rounds += 1
        stats.pivots += int(n_iter)
        stats.t_simplex += time.perf_counter() - t0
        stats.round_pivots.append(int(n_iter))
        partial = st == MAX_PIVOTS and budget < DEFAULT_MAX_PIVOTS
        if st != OPTIMAL and not partial:
            status = st
            break
        t0 = time.perf_counter()
        u, v = _potentials(simplex.pi, n, ref)
        scale = cost_bound + float(np.abs(u).max()) + float(np.abs(v).max())
        scale = max(scale, np.finfo(np.float64).tiny)
        stats.max_abs_potential = max(stats.max_abs_potential,
                                      float(np.abs(simplex.pi).max()))
        tol = CHECK_RTOL * scale
        if LOCAL_PRICING:
            if nbr_x is None:
                nbr_x, nbr_y = _neighbour_lists(X, Y, trees, LOCAL_NEIGHBOURS, metric)
            arc_ids, _, _ = simplex.basis()
            s_, d_, _ = arcs.live()
            rows, cols, new_cost = _local_violations(
                X, Y, u, v, tol, s_[arc_ids], d_[arc_ids] - n, nbr_x, nbr_y, code, p, m)
            if partial:  # candidates may still be violated
                fresh = ~_member(rows * m + cols, present)
                rows, cols, new_cost = rows[fresh], cols[fresh], new_cost[fresh]
            stats.t_local += time.perf_counter() - t0
            if rows.shape[0] >= LOCAL_MIN_FRACTION * n:
                _report_round(report, level, n, m, stats.rounds, arcs.E + rows.shape[0],
                              rows.shape[0], "local", simplex, arcs.cost)
                stats.local_rounds += 1
                tail, present = _add_arcs(arcs, present, rows, cols, new_cost, n, m, stats)
                continue
            t0 = time.perf_counter()
        if partial:  # no exact scan before the optimum over the arcs
            found = rows.shape[0] if LOCAL_PRICING else 0
            if found:
                tail, present = _add_arcs(arcs, present, rows, cols, new_cost, n, m, stats)
            else:
                tail = arcs.E
            _report_round(report, level, n, m, stats.rounds, arcs.E, found, "local",
                          simplex, arcs.cost)
            continue
        counts, out_j, _, best = targets.scan(X, v, u - tol, width, code, p)
        max_violation = float(np.max(u - best))
        stats.t_scan += time.perf_counter() - t0
        stats.round_scan.append(time.perf_counter() - t0)
        _report_round(report, level, n, m, stats.rounds, arcs.E, int(counts.sum()), "exact",
                      simplex, arcs.cost)
        if not counts.any():
            status = OPTIMAL
            break
        rows = np.repeat(np.arange(n, dtype=np.int64), counts)
        mask = np.arange(width)[None, :] < counts[:, None]
        cols = out_j[mask]
        keys = rows * m + cols
        fresh = ~_member(keys, present)
        if not fresh.any():
            # violated arcs that are already candidates: the simplex would
            # have priced them in; the potentials are not trustworthy
            status = NUMERICAL
            break
        rows, cols = rows[fresh], cols[fresh]
        new_cost = np.empty(rows.shape[0])
        pair_costs(X, Y, rows, cols, code, p, new_cost)
        tail, present = _add_arcs(arcs, present, rows, cols, new_cost, n, m, stats)

    t0 = time.perf_counter()
    arc_ids, flows, _ = simplex.basis()
    s_, d_, c_ = arcs.live()
    if u is None:
        u, v = _potentials(simplex.pi, n, ref)
    stats.t_finish += time.perf_counter() - t0
    return _Kept(s_[arc_ids], d_[arc_ids] - n, flows, c_[arc_ids], u, v, status,
                 max_violation)


def _coarsen(X, a, G):
    """Groups of G consecutive atoms (in curve order: compact clusters) as
    single atoms at their barycentres, carrying their mass."""
    starts = np.arange(0, X.shape[0], G)
    mass = np.add.reduceat(a, starts)
    centre = np.add.reduceat(X * a[:, None], starts, axis=0) / mass[:, None]
    return np.ascontiguousarray(centre), mass


def _coarse_start(X, Y, a, b, metric, p, max_rounds, stats, report=NO_PROGRESS,
                  level=0):
    """Candidate arcs and a starting plan from the coarsened problem.

    The clouds are coarsened by `COARSEN` consecutive atoms, the coarse
    problem is solved exactly by the same column generation (recursively
    coarsened in turn), and its plan gives (1) the keys i * m + j of all
    pairs whose clusters it links -- candidates that carry the long-range
    structure of the plan, which nearest neighbours miss when mass travels
    far -- and (2) a fine feasible plan (`refine_plan`),
    ``(src, dst, flow)``, or None when the coarse solve failed.
    """
    G = COARSEN
    n, m = X.shape[0], Y.shape[0]
    Xc, ac = _coarsen(X, a, G)
    Yc, bc = _coarsen(Y, b, G)
    sub = SparseStats()
    out = _solve_kept(Xc, Yc, ac, bc, metric, p, Xc.shape[0], max_rounds, sub, report,
                      level + 1)
    stats.levels = sub.levels + 1
    stats.coarse_pivots += sub.pivots + sub.coarse_pivots
    I, J, F = out.rows, out.cols, out.flows
    if out.status != OPTIMAL or I.size == 0:
        return np.empty(0, np.int64), None
    d = np.arange(G)
    i = np.broadcast_to((I[:, None] * G + d)[:, :, None], (I.size, G, G)).ravel()
    j = np.broadcast_to((J[:, None] * G + d)[:, None, :], (J.size, G, G)).ravel()
    keep = (i < n) & (j < m)
    keys = np.unique(i[keep] * m + j[keep])
    order = np.lexsort((J, I))
    src, dst, flow, count = refine_plan(I[order], J[order], F[order], G, a, b)
    return keys, (src[:count], dst[:count], flow[:count])


def _add_arcs(arcs, present, rows, cols, costs, n, m, stats):
    """Append the pairs (rows, cols) as arcs (sinks numbered n..) to be
    priced first in the next run; returns (tail, present with their keys)."""
    tail = arcs.E
    arcs.append(rows, cols + n, costs)
    stats.arcs_added += int(rows.shape[0])
    return tail, np.sort(np.concatenate([present, rows * m + cols]), kind="stable")


def _neighbour_lists(X, Y, trees, k, metric):
    """The k nearest sources of every source and targets of every target
    (each atom among its own; `trees`: cKDTrees of X and Y)."""
    mink = metric.minkowski
    kx, ky = min(k + 1, X.shape[0]), min(k + 1, Y.shape[0])
    _, nx = trees[0].query(X, k=kx, p=mink, workers=-1)
    _, ny = trees[1].query(Y, k=ky, p=mink, workers=-1)
    return (np.asarray(nx, np.int64).reshape(X.shape[0], kx),
            np.asarray(ny, np.int64).reshape(Y.shape[0], ky))


def _local_violations(X, Y, u, v, tol, bsrc, bdst, nbr_x, nbr_y, code, p, m):
    """Violated pairs near the current tree (`tree_violations`), each once:
    (rows, cols, costs).  None of them is a candidate yet: the simplex
    left every candidate priced within tol / PRICE_RATIO."""
    cap = max(1024, 4 * X.shape[0])
    while True:
        src = np.empty(cap, np.int64)
        dst = np.empty(cap, np.int64)
        c = np.empty(cap)
        count = tree_violations(X, Y, u, v, tol, bsrc, bdst, nbr_x, nbr_y, code, p,
                                src, dst, c)
        if count <= cap:
            break
        cap = count
    _, first = np.unique(src[:count] * m + dst[:count], return_index=True)
    return src[first], dst[first], c[first]


def _member(keys, sorted_keys):
    """keys[k] in sorted_keys, elementwise."""
    pos = np.searchsorted(sorted_keys, keys)
    pos = np.minimum(pos, sorted_keys.shape[0] - 1)
    return sorted_keys[pos] == keys


def kept_in_order(X, Y, a, b, order):
    """The positive-mass atoms of a sparse solve, in the solver's order.

    `b` is rescaled to `a`'s total; `order(Xk, Yk)` orders the kept atoms
    (a space-filling curve, or a line in high dimension).  Returns (b,
    rows_kept, cols_kept, ri, cj, Xs, Ys, ref): `ri`, `cj` map solver
    indices to input indices, `Xs`, `Ys` the kept atoms in that order, and
    `ref` the solver index of the first positive-mass target in input order
    (where v = 0, as in `emd`)."""
    b = b * (a.sum() / b.sum())
    rows_kept = np.flatnonzero(a > 0)
    cols_kept = np.flatnonzero(b > 0)
    ox, oy = order(X[rows_kept], Y[cols_kept])
    ri = rows_kept[ox]  # solver index -> input index
    cj = cols_kept[oy]
    Xs = np.ascontiguousarray(X[ri])
    Ys = np.ascontiguousarray(Y[cj])
    ref = int(np.flatnonzero(oy == 0)[0])
    return b, rows_kept, cols_kept, ri, cj, Xs, Ys, ref


def solve_sparse_solution(X, Y, a, b, metric, p, max_rounds=DEFAULT_MAX_ROUNDS,
                          rtol=DEFAULT_RTOL, report=NO_PROGRESS):
    """The `Solution` of `solve_sparse`, with its `SparseStats`; `report` (a
    `progress_reporter`) hears of every round of every level."""
    stats = SparseStats()
    metric = METRICS[metric]
    code = metric.code
    p = float(p)
    n, m = X.shape[0], Y.shape[0]
    t0 = time.perf_counter()
    b, rows_kept, cols_kept, ri, cj, Xs, Ys, ref = kept_in_order(X, Y, a, b, curve_order)
    stats.t_setup += time.perf_counter() - t0
    kept = _solve_kept(Xs, Ys, a[ri], b[cj], metric, p, ri.size + ref, max_rounds,
                       stats, report)

    t0 = time.perf_counter()
    u = np.empty(n)
    v = np.empty(m)
    u[ri] = kept.u
    v[cj] = kept.v
    # Zero-mass atoms: the exact c-transforms keep the duals feasible and
    # change nothing in the objective.
    drop_rows = np.setdiff1d(np.arange(n), rows_kept, assume_unique=True)
    drop_cols = np.setdiff1d(np.arange(m), cols_kept, assume_unique=True)
    if drop_rows.size:
        u[drop_rows] = c_transform(np.ascontiguousarray(X[drop_rows]), Ys,
                                   v[cj], code, p)
    if drop_cols.size:
        v[drop_cols] = c_transform(np.ascontiguousarray(Y[drop_cols]), X, u,
                                   code, p)
    rows = ri[kept.rows]
    cols = cj[kept.cols]
    cost = float(np.dot(kept.flows, kept.plan_costs))
    # The final scan measured max_ij u_i + v_j - c_ij over the positive-mass
    # atoms with these very potentials; zero-mass atoms hold exact
    # c-transforms, feasible by construction.
    certificate = certificate_from(rows, cols, kept.flows, kept.plan_costs, u, v,
                                   cost, a, b, kept.max_violation, rtol)
    sol = Solution(kept.status, rows, cols, kept.flows, u, v, cost, certificate,
                   stats.pivots, "sparse", (n, m))
    stats.t_finish += time.perf_counter() - t0
    return sol, stats


def solve_sparse(X, Y, a, b, metric, p, *, max_rounds=DEFAULT_MAX_ROUNDS,
                 rtol=DEFAULT_RTOL):
    r"""Exact optimal transport between point clouds, without the cost matrix.

    Parameters
    ----------
    X : (n, d) ndarray
    Y : (m, d) ndarray
        Validated C-contiguous float64 atoms (see `validate_point_clouds`).
    a : (n,) ndarray
    b : (m,) ndarray
        Validated non-negative weights; `b` is rescaled to the total of `a`.
    metric : str
        Canonical metric name ("euclidean", "sqeuclidean", "cityblock",
        "chebyshev").
    p : float
        The cost is d(x, y)^p.
    max_rounds : int, optional
        Cap on the rounds of column generation.
    rtol : float, optional
        Relative tolerance of the certificate (as in `certify`).

    Returns
    -------
    TransportResult
        ``cost`` (W_p^p), sparse ``plan``, potentials ``u``, ``v``,
        ``status``, ``n_iter`` (pivots over all rounds), ``method`` =
        "sparse" and the ``certificate``.  When optimality is not proven
        the status says why and the cost is NaN (no warning here: the
        public function applies the package's rule).

    See Also
    --------
    transport.solve : the public way in (validation, method choice).
    transport.emd : the same problem on a dense cost matrix.

    Notes
    -----
    Column generation: the network simplex solves the problem restricted to
    candidate arcs (a north-west-corner plan along a Hilbert curve,
    k-nearest-neighbour pairs and, for larger clouds, the pairs linked by
    the solution of a coarsened problem, which also gives the starting
    tree), a kd-tree scan over all pairs finds the arcs with negative
    reduced cost

    .. math:: c(x_i, y_j) - u_i - v_j < -\mathrm{tol},

    which are added before the simplex resumes from its last tree.  The
    final scan computes :math:`\max_{ij} u_i + v_j - c(x_i, y_j)` exactly
    (pruning skips only pairs proven not to attain it), so the certificate
    -- marginals, dual feasibility over all pairs, zero gap -- is that of
    `certify`, with ``scale`` built on an upper bound of the costs (from
    the bounding boxes) instead of max M.  Zero-mass atoms are dropped
    before solving; their potentials are exact c-transforms.

    Examples
    --------
    >>> import numpy as np
    >>> from transport import solve
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0]])
    >>> res = solve(X, X + [3.0, 0.0], method="sparse")
    >>> res.cost, res.status, res.certificate.ok, res.method
    (3.0, 'optimal', True, 'sparse')
    """
    sol, _ = solve_sparse_solution(X, Y, a, b, metric, p, max_rounds, rtol)
    return transport_result(sol)


def _solve(X, Y, a, b, metric, p, max_rounds=DEFAULT_MAX_ROUNDS, rtol=DEFAULT_RTOL):
    """`solve_sparse`, also returning its `SparseStats` (for tests and
    benchmarks)."""
    sol, stats = solve_sparse_solution(X, Y, a, b, metric, p, max_rounds, rtol)
    return transport_result(sol), stats
