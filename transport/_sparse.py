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
  onto the atoms by the north-west rule (`_sparse_kernels.refine_plan`): a
  feasible plan whose support is a forest, made the simplex's first
  spanning tree (`_sparse_kernels.forest_tree`: each tree hangs from the
  root by an arc without flow, so no flow ever passes the root).  All
  pairs between linked clusters become candidates: they carry the
  long-range structure that nearest neighbours miss when mass travels far.
* Candidates: those, the support of the north-west-corner plan along the
  curve (feasible, n + m - 1 arcs), and the k nearest neighbours of every
  atom in the other cloud, both ways (`scipy.spatial.cKDTree`), deduplicated.
* Small problems start from `_network_simplex.init_tree`'s artificial tree,
  whose route source -> root -> sink costs `ART_FACTOR` times an upper
  bound of *all* pair costs (from the bounding boxes).  Flow left on it is
  then always undercut by a direct pair, which the scan finds: no art_cost
  escalation is needed, and the potentials stay within a few cost bounds.
* Dual scan: a kd-tree over the targets holds, per node, the bounding box
  and the largest potential v_j inside.  For a source x_i,
  dist(x_i, box)^p - max v is a lower bound of c(x_i, y_j) - v_j over the
  node, so the search skips a node only when nothing in it can be a
  violated pair (c_ij - u_i - v_j < -tol) or a smaller minimum.  The scan
  returns the exact c-transform min_j c_ij - v_j of every source, hence the
  exact largest dual violation: the final scan is the certificate.
* Tolerances: the scan flags c_ij - u_i - v_j < -tol with
  tol = CHECK_RTOL * (cost bound + max|u| + max|v|); the simplex prices
  with tol / PRICE_RATIO, strictly tighter, so an arc the scan adds always
  enters and the loop cannot spin on the same arcs.
* Warm rounds: after arcs are appended the simplex first pivots on the new
  arcs only, then on all (`_run_round`): pricing the whole list for a few
  violated arcs is what makes late rounds slow otherwise.
"""

import math
import time
import warnings

import numpy as np
import scipy.sparse
from scipy.spatial import cKDTree

from divergences._parallel import parallel_ok

from . import _sparse_kernels as kern
from ._certify import DEFAULT_RTOL, certificate_from
from ._emd import DEFAULT_MAX_ITER, TransportResult, UncertifiedWarning, certified_distance, settle
from ._network_simplex import MAX_ITER, NUMERICAL, OPTIMAL, init_tree, run_arcs
from ._validation import METRICS

__all__ = ["solve_sparse", "SparseStats", "DEFAULT_MAX_ROUNDS"]

#: Cap on the rounds of column generation (solve, scan, add arcs).
DEFAULT_MAX_ROUNDS = 500

#: Nearest neighbours per atom in the initial candidate set (both ways).
#: Without the coarse level (uniform 2-D clouds, W_1, n = m = 20,000),
#: k = 8 / 16 / 24 / 32 took 13 / 10 / 8 / 8 rounds and 7.6 / 5.9 / 5.6 /
#: 6.2 s; with it, the coarse plan supplies the long-range arcs and k = 8
#: was best (three 20,000-point problems: 8.7 s in all for k = 8, 10.7 s
#: for 16, 10.9 s for 24; 4 and 6 were no faster).  Timings noisy (shared
#: 2-core machine).
N_NEIGHBOURS = 8

#: At most this many violated arcs per source are added in one round (the
#: most violated ones); 2 / 4 / 8 measured 8.6 / 7.6 / 7.6 s at 20,000
#: without the coarse level, 8.7 s (4) and 8.3 s (8) for three problems
#: with it.
ADD_PER_SOURCE = 4

#: ... scaled by m / n when there are fewer sources than targets, up to this.
MAX_ADD_PER_SOURCE = 1024

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

#: Points per kd-tree leaf in the dual scan (8 scanned faster than 16 or 32
#: at 20,000: ~150 nodes and ~160 costs per source in the final scan).
LEAF_SIZE = 8

#: The scan flags pairs with c_ij - u_i - v_j < -CHECK_RTOL * scale, scale =
#: cost bound + max|u| + max|v|.  Reduced costs are sums of three numbers of
#: magnitude <= scale, with rounding error ~1e-16 * scale; 2^-40 (9.1e-13)
#: keeps a margin of ~2^12 above it.  The certificate's rtol is the looser
#: bar the final violation must clear.
CHECK_RTOL = 2.0**-40

#: The simplex's pricing tolerance is the scan's divided by this.
PRICE_RATIO = 16.0

#: Pricing block of the simplex: about BLOCK_FACTOR * sqrt(#arcs) arcs.
#: Smaller than the dense solver's 1.0: the arcs of a source are stored
#: together and sources in curve order, so a short block already spans a
#: neighbourhood.  0.1 / 0.25 / 1 / 4 took 1.6 / 1.7 / 2.5 / 5.0 s of
#: simplex time at 20,000 (more pivots, cheaper ones).
BLOCK_FACTOR = 0.25

#: From this many sources the scan runs its parallel twin (on 2 cores it
#: took 0.136 s against 0.17-0.21 s serial for one scan at 20,000).
PARALLEL_MIN = 2048

#: The artificial arcs of the starting tree cost ART_FACTOR times an upper
#: bound of all pair costs: the artificial route source -> root -> sink is
#: then dearer than any direct pair, so the scan flags every pair that could
#: take over flow still on it, and the final plan carries none.
ART_FACTOR = 2.0

_MINKOWSKI_P = {0: 2.0, 1: 2.0, 2: 1.0, 3: np.inf}



class SparseStats:
    """Counters of one `solve_sparse` run (for benchmarks and tuning).

    Attributes of the finest level: ``rounds`` (simplex solves),
    ``arcs_initial``, ``arcs_added``, ``pivots`` (total) and
    ``round_pivots`` (per round), ``max_abs_potential``, ``warm_start``
    (the first tree came from the coarse plan); ``levels`` (coarse levels
    below) and ``coarse_pivots`` (their pivots); seconds spent in
    ``t_setup`` (which includes ``t_coarse``, the coarse levels),
    ``t_simplex``, ``t_scan``, ``t_finish``.
    """

    __slots__ = ("rounds", "arcs_initial", "arcs_added", "pivots", "round_pivots",
                 "t_setup", "t_simplex", "t_scan", "t_finish", "max_abs_potential",
                 "levels", "coarse_pivots", "t_coarse", "warm_start")

    def __init__(self):
        self.warm_start = False
        self.levels = 0
        self.coarse_pivots = 0
        self.t_coarse = 0.0
        self.round_pivots = []
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


class _TargetTree:
    """kd-tree over target points, with per-node maxima of their values."""

    def __init__(self, P):
        perm, lo, hi, left, right, start, end = kern.build_kdtree(P, LEAF_SIZE)
        self.perm = perm
        self.points = np.ascontiguousarray(P[perm])
        self.lo, self.hi, self.left, self.right = lo, hi, left, right
        self.start, self.end = start, end
        self.depth = int(kern.tree_depth(left, right))
        self.node_max = np.empty(left.shape[0])

    def scan(self, Q, values, thr, width, metric, p, parallel):
        """(counts, out_j, out_val, best) of `kern.scan_sources`."""
        vt = np.ascontiguousarray(values[self.perm])
        kern.refresh_node_max(vt, self.left, self.right, self.start, self.end,
                              self.node_max)
        n = Q.shape[0]
        out_j = np.empty((n, width), np.int64)
        out_val = np.empty((n, width))
        counts = np.empty(n, np.int64)
        best = np.empty(n)
        scan = kern.scan_sources_parallel if parallel else kern.scan_sources
        scan(Q, self.points, vt, self.perm, self.lo, self.hi, self.left, self.right,
             self.start, self.end, self.node_max, self.depth, metric, p, thr, out_j,
             out_val, counts, best)
        return counts, out_j, out_val, best


def _cost_bound(X, Y, metric, p):
    """An upper bound of d(x, y)^p over all pairs (from the bounding boxes)."""
    g = np.maximum(np.abs(Y.max(axis=0) - X.min(axis=0)),
                   np.abs(X.max(axis=0) - Y.min(axis=0)))
    if metric == 0:
        r = float(np.sqrt(np.sum(g * g)))
    elif metric == 1:
        r = float(np.sum(g * g))
    elif metric == 2:
        r = float(np.sum(g))
    else:
        r = float(np.max(g))
    return r**p


def _curve_order(X, Y):
    """Orders of X and Y along one Hilbert curve on their joint bounding box."""
    d = X.shape[1]
    if d == 1:
        return np.argsort(X[:, 0], kind="stable"), np.argsort(Y[:, 0], kind="stable")
    lo = np.minimum(X.min(axis=0), Y.min(axis=0))
    span = np.maximum(X.max(axis=0), Y.max(axis=0)) - lo
    bits = min(31, 63 // d)
    kx = kern.hilbert_keys(X, lo, span, bits)
    ky = kern.hilbert_keys(Y, lo, span, bits)
    return np.argsort(kx, kind="stable"), np.argsort(ky, kind="stable")


def _neighbour_arcs(X, Y, k, metric):
    """Keys i * m + j of the k-nearest-neighbour pairs, both directions."""
    n, m = X.shape[0], Y.shape[0]
    mink = _MINKOWSKI_P[metric]
    keys = []
    kx = min(k, m)
    if kx > 0:
        _, j = cKDTree(Y).query(X, k=kx, p=mink, workers=-1)
        j = np.asarray(j, np.int64).reshape(n, kx)
        keys.append((np.arange(n, dtype=np.int64)[:, None] * m + j).ravel())
    ky = min(k, n)
    if ky > 0:
        _, i = cKDTree(X).query(Y, k=ky, p=mink, workers=-1)
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


def _potentials(pi, n, N, ref):
    """(u, v) from the simplex's pi (u = -pi on sources, v = pi on sinks),
    shifted (u + s, v - s) so that node `ref` (simplex numbering: sinks are
    n..N-1) has potential 0."""
    u = -pi[:n]
    v = pi[n:N].copy()
    shift = v[ref - n] if ref >= n else -u[ref]
    return u + shift, v - shift


def _solve_kept(X, Y, a, b, metric, p, ref, max_rounds, stats):
    """Column generation on positive-mass atoms X (n, d), Y (m, d), already
    in curve order; potentials are normalised to 0 at node `ref` (sources
    0..n-1, sinks n..n+m-1).  Returns (rows, cols, flows, plan_costs, u, v,
    status, max_violation)."""
    n, m = X.shape[0], Y.shape[0]
    N = n + m
    t0 = time.perf_counter()
    cost_bound = _cost_bound(X, Y, metric, p)
    nw_src, nw_dst = kern.northwest_arcs(a, b)
    keys = [nw_src * m + nw_dst, _neighbour_arcs(X, Y, N_NEIGHBOURS, metric)]
    warm = None
    if min(n, m) >= MULTISCALE_MIN:
        t1 = time.perf_counter()
        coarse_keys, warm = _coarse_start(X, Y, a, b, metric, p, max_rounds, stats)
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
    kern.pair_costs(X, Y, src, dst, metric, p, cost)
    arcs = _ArcList(src, dst + n, cost)  # the simplex numbers sinks n..N-1
    stats.arcs_initial = int(arcs.E)
    supply = np.concatenate([a, -b])
    tree = None
    if warm is not None:
        tree, bad = kern.forest_tree(n, m, first_src, first_dst, first_flow,
                                     cost[: first_src.shape[0]])
        stats.warm_start = not bad
        if bad:
            tree = None
    if tree is None:
        # Every route source -> root -> sink costs art_cost, more than any
        # pair: flow left on it shows up as violated pairs in the scan.
        art_cost = ART_FACTOR * cost_bound if cost_bound > 0 else 1.0
        tree = init_tree(supply, art_cost)
    targets = _TargetTree(Y)
    parallel = n >= PARALLEL_MIN and parallel_ok()
    # with fewer sources than targets each source needs more arcs per round
    width = min(MAX_ADD_PER_SOURCE, int(math.ceil(ADD_PER_SOURCE * max(1.0, m / n))))
    pi = tree[9]
    stats.t_setup += time.perf_counter() - t0

    scale = max(cost_bound, np.finfo(np.float64).tiny)
    status = MAX_ITER
    max_violation = np.inf
    tol = CHECK_RTOL * scale
    u = v = None
    tail = 0
    for _ in range(max_rounds):
        t0 = time.perf_counter()
        n_iter, st = _run_round(supply, arcs, tree, tail, tol / PRICE_RATIO)
        stats.rounds += 1
        stats.pivots += int(n_iter)
        stats.t_simplex += time.perf_counter() - t0
        stats.round_pivots.append(int(n_iter))
        if st != OPTIMAL:
            status = st
            break
        t0 = time.perf_counter()
        u, v = _potentials(pi, n, N, ref)
        scale = cost_bound + float(np.abs(u).max()) + float(np.abs(v).max())
        scale = max(scale, np.finfo(np.float64).tiny)
        stats.max_abs_potential = max(stats.max_abs_potential,
                                      float(np.abs(pi[:N]).max()))
        tol = CHECK_RTOL * scale
        counts, out_j, _, best = targets.scan(X, v, u - tol, width,
                                              metric, p, parallel)
        max_violation = float(np.max(u - best))
        stats.t_scan += time.perf_counter() - t0
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
        rows, cols, keys = rows[fresh], cols[fresh], keys[fresh]
        new_cost = np.empty(rows.shape[0])
        kern.pair_costs(X, Y, rows, cols, metric, p, new_cost)
        tail = arcs.E
        arcs.append(rows, cols + n, new_cost)
        present = np.sort(np.concatenate([present, keys]), kind="stable")
        stats.arcs_added += int(rows.shape[0])

    t0 = time.perf_counter()
    pred = tree[1][:N]
    flow = tree[4][:N]
    keep = (pred >= 0) & (flow > 0)
    arc_ids = pred[keep]
    s_, d_, c_ = arcs.live()
    rows = s_[arc_ids]
    cols = d_[arc_ids] - n
    flows = flow[keep]
    plan_costs = c_[arc_ids]
    if u is None:
        u, v = _potentials(pi, n, N, ref)
    stats.t_finish += time.perf_counter() - t0
    return rows, cols, flows, plan_costs, u, v, status, max_violation


def _run_round(supply, arcs, tree, tail, tol):
    """Re-optimise after arcs[tail:] were appended: pivot on the new arcs
    first, then on all (pricing the whole list to find a few violated arcs
    is what makes late rounds slow otherwise).  Returns (pivots, status).
    """
    n_iter = 0
    s_, d_, c_ = arcs.live()
    if 0 < tail < arcs.E:
        block = max(1, int(round(BLOCK_FACTOR * math.sqrt(arcs.E - tail))))
        k, st = run_arcs(supply, s_, d_, c_, tree, DEFAULT_MAX_ITER, tol, block, tail)
        n_iter += k
        if st != OPTIMAL:
            return n_iter, st
    block = max(1, int(round(BLOCK_FACTOR * math.sqrt(arcs.E))))
    k, st = run_arcs(supply, s_, d_, c_, tree, DEFAULT_MAX_ITER, tol, block, 0)
    return n_iter + k, st


def _coarsen(X, a, G):
    """Groups of G consecutive atoms (in curve order: compact clusters) as
    single atoms at their barycentres, carrying their mass."""
    starts = np.arange(0, X.shape[0], G)
    mass = np.add.reduceat(a, starts)
    centre = np.add.reduceat(X * a[:, None], starts, axis=0) / mass[:, None]
    return np.ascontiguousarray(centre), mass


def _coarse_start(X, Y, a, b, metric, p, max_rounds, stats):
    """Candidate arcs and a starting plan from the coarsened problem.

    The clouds are coarsened by `COARSEN` consecutive atoms, the coarse
    problem is solved exactly by the same column generation (recursively
    coarsened in turn), and its plan gives (1) the keys i * m + j of all
    pairs whose clusters it links -- candidates that carry the long-range
    structure of the plan, which nearest neighbours miss when mass travels
    far -- and (2) a fine feasible plan (`_sparse_kernels.refine_plan`),
    ``(src, dst, flow)``, or None when the coarse solve failed.
    """
    G = COARSEN
    n, m = X.shape[0], Y.shape[0]
    Xc, ac = _coarsen(X, a, G)
    Yc, bc = _coarsen(Y, b, G)
    sub = SparseStats()
    out = _solve_kept(Xc, Yc, ac, bc, metric, p, Xc.shape[0], max_rounds, sub)
    stats.levels = sub.levels + 1
    stats.coarse_pivots += sub.pivots + sub.coarse_pivots
    I, J, F = out[0], out[1], out[2]
    if out[6] != OPTIMAL or I.size == 0:
        return np.empty(0, np.int64), None
    d = np.arange(G)
    i = np.broadcast_to((I[:, None] * G + d)[:, :, None], (I.size, G, G)).ravel()
    j = np.broadcast_to((J[:, None] * G + d)[:, None, :], (J.size, G, G)).ravel()
    keep = (i < n) & (j < m)
    keys = np.unique(i[keep] * m + j[keep])
    order = np.lexsort((J, I))
    src, dst, flow, count = kern.refine_plan(I[order], J[order], F[order], G, a, b)
    return keys, (src[:count], dst[:count], flow[:count])


def _member(keys, sorted_keys):
    """keys[k] in sorted_keys, elementwise."""
    pos = np.searchsorted(sorted_keys, keys)
    pos = np.minimum(pos, sorted_keys.shape[0] - 1)
    return sorted_keys[pos] == keys


def _c_transform(Q, P, w, metric, p):
    """min_k c(Q[i], P[k]) - w[k] for every query point (exact)."""
    tree = _TargetTree(P)
    thr = np.full(Q.shape[0], -np.inf)
    _, _, _, best = tree.scan(Q, w, thr, 1, metric, p, Q.shape[0] >= PARALLEL_MIN)
    return best


def _solve(X, Y, a, b, metric, p, max_rounds=DEFAULT_MAX_ROUNDS, rtol=DEFAULT_RTOL):
    """`solve_sparse`, also returning its `SparseStats`."""
    stats = SparseStats()
    code = METRICS[metric] if isinstance(metric, str) else int(metric)
    p = float(p)
    n, m = X.shape[0], Y.shape[0]
    b = b * (a.sum() / b.sum())
    rows_kept = np.flatnonzero(a > 0)
    cols_kept = np.flatnonzero(b > 0)
    t0 = time.perf_counter()
    ox, oy = _curve_order(X[rows_kept], Y[cols_kept])
    ri = rows_kept[ox]  # solver index -> input index
    cj = cols_kept[oy]
    Xs = np.ascontiguousarray(X[ri])
    Ys = np.ascontiguousarray(Y[cj])
    # v = 0 at the first positive-mass target in input order (as in `emd`)
    ref = int(np.flatnonzero(oy == 0)[0])
    stats.t_setup += time.perf_counter() - t0
    rows, cols, flows, plan_costs, u_s, v_s, st, max_violation = (
        _solve_kept(Xs, Ys, a[ri], b[cj], code, p, ri.size + ref, max_rounds, stats))

    t0 = time.perf_counter()
    u = np.empty(n)
    v = np.empty(m)
    u[ri] = u_s
    v[cj] = v_s
    # Zero-mass atoms: the exact c-transforms keep the duals feasible and
    # change nothing in the objective.
    drop_rows = np.setdiff1d(np.arange(n), rows_kept, assume_unique=True)
    drop_cols = np.setdiff1d(np.arange(m), cols_kept, assume_unique=True)
    if drop_rows.size:
        u[drop_rows] = _c_transform(np.ascontiguousarray(X[drop_rows]), Ys,
                                    v[cj], code, p)
    if drop_cols.size:
        v[drop_cols] = _c_transform(np.ascontiguousarray(Y[drop_cols]), X, u,
                                    code, p)
    rows = ri[rows]
    cols = cj[cols]
    certificate = _certificate(rows, cols, flows, plan_costs, u, v, a, b,
                               max_violation, X, Y, code, p, rtol)
    cost = float(np.dot(flows, plan_costs))
    status, cost = settle(st, certificate, cost, "the sparse solver",
                          f"{stats.rounds} rounds, {stats.pivots} pivots")
    plan = scipy.sparse.coo_array((flows, (rows, cols)), shape=(n, m))
    stats.t_finish += time.perf_counter() - t0
    result = TransportResult(cost=cost, plan=plan, u=u, v=v, status=status,
                             n_iter=int(stats.pivots), method="sparse",
                             certificate=certificate)
    return result, stats


def _certificate(rows, cols, flows, plan_costs, u, v, a, b, max_violation,
                 X, Y, metric, p, rtol):
    """`Certificate` of a sparse plan, with the scan's dual violation.

    The final scan measured max_ij u_i + v_j - c_ij over the positive-mass
    atoms with these very potentials; zero-mass atoms hold exact
    c-transforms, feasible by construction.  Costs are bounded from the
    bounding boxes instead of max M.
    """
    cost = float(np.dot(flows, plan_costs))
    return certificate_from(rows, cols, flows, plan_costs, u, v, cost, a, b,
                            max_violation, _cost_bound(X, Y, metric, p), rtol)


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
        the status says why, the cost is NaN and an `UncertifiedWarning` is
        issued.

    See Also
    --------
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
    >>> from transport._sparse import solve_sparse
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0]])
    >>> w = np.array([0.5, 0.5])
    >>> res = solve_sparse(X, X + [3.0, 0.0], w, w, "euclidean", 1.0)
    >>> res.cost, res.status, res.certificate.ok
    (3.0, 'optimal', True)
    """
    result, _ = _solve(X, Y, a, b, metric, p, max_rounds, rtol)
    return result


def _solve_sparse(X, Y, a, b, metric, p):
    """W_p by `solve_sparse` (the "sparse" method of `wasserstein`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UncertifiedWarning)
        result = solve_sparse(X, Y, a, b, metric, p)
    return certified_distance(result, p, "sparse solver")
