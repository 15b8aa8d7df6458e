r"""The KR dual as a transshipment problem: our network simplex on the pooled atoms.

The Kantorovich-Rubinstein LP over the distinct atoms x_k with net masses
c_k = p_k - q_k,

    max sum_k c_k f_k   s.t.   f_k - f_l <= d(x_k, x_l)   for all k != l,

is the LP dual of an uncapacitated min-cost flow on those atoms: supplies
c_k, an arc k -> l of cost d(x_k, x_l) for every ordered pair,

    min sum_(k,l) d_kl g_kl   s.t.   sum_l g_kl - sum_l g_lk = c_k,  g >= 0,

and the node potentials of an optimal flow are an optimal critic f.  This
module solves that flow problem by column generation on our network simplex
(`transport._simplex._network_simplex.ArcSimplex`): the simplex holds a
sparse set of arcs, and after each solve a kd-tree scan over *all* ordered
pairs of pooled atoms (`transport._clouds._kdscan`: f_k - f_l - d_kl > tol is
a c-transform query with potentials -f) finds the violated Lipschitz
constraints, which become new arcs; the simplex resumes warm from its last
spanning tree.  The loop ends on a scan that finds none: f is then
1-Lipschitz on the pooled atoms to within tol, and the flow's cost equals
sum_k c_k f_k (the duality gap is measured, not assumed).

How this differs from the primal solver (`transport._clouds._sparse`), so that
primal = dual stays a real check: the primal is a *bipartite* transport
problem between the atoms of P and of Q, whose potentials (u, v) only need
u_i + v_j <= c_ij across the two clouds; here the nodes are the atoms of the
merged support carrying P - Q (an atom of both measures is one node with its
net mass), arcs may join any two of them (same side included), and the
potentials are a single function f that must be 1-Lipschitz on every pair
of pooled atoms.  The certificate -- the exact all-pairs scan of f on the
pooled atoms and the zero gap between this flow and f -- involves nothing
the primal computes.

Since d is a metric, some optimal flow goes straight from supplying to
demanding atoms (a path is never shorter than its chord), so the
candidate arcs start bipartite like a transport problem's: k nearest
demanding atoms of each supplying one and back, and for larger problems the
arcs of a coarsened KR problem solved first by this same function
(recursively), whose flow split back onto the atoms by the north-west rule
(`transport._clouds._initial_plans.refine_plan`) is also the first spanning
tree.  Arcs between atoms of the same side enter only when the scan finds
their constraint violated.  Between exact scans, violated pairs are first
looked for next to the simplex's tree arcs (`tree_violations`), and an
exact scan first covers the pairs from supplying to demanding atoms (where
most violations are), then, when those hold, the other three blocks; only
a scan of all ordered pairs (both steps in one round) can end the solve.
"""

import math
import time
from collections import namedtuple

import numpy as np

from .._clouds._hilbert import curve_order
from .._clouds._initial_plans import northwest_arcs, refine_plan
from .._clouds._kdscan import TargetTree
from .._clouds._local_scan import tree_violations
from .._core._metrics import METRICS, pair_costs
from .._core._results import MAX_ROUNDS, NUMERICAL, OPTIMAL
from .._simplex._network_simplex import PRICE_RTOL, ArcSimplex, transport_art_cost

__all__ = ["FlowStats", "solve_transshipment", "CHECK_RTOL", "GAP_RTOL"]

#: Nearest demanding atoms of each supplying atom (and supplying atoms of
#: each demanding one) among the first candidate arcs.
CANDIDATE_NEIGHBOURS = 8

#: Also start with the k nearest pooled neighbours of every atom as arcs
#: both ways (same side included).
POOLED_NEIGHBOURS = 0

#: Violated arcs added per atom in one round (the most violated ones).
ADD_PER_ATOM = 16

#: From this many atoms on the smaller side the problem is first solved
#: coarsened by COARSEN consecutive atoms per side (along the curve).
MULTISCALE_MIN = 500
COARSEN = 4

#: Between exact scans, violated pairs are first looked for next to the
#: arcs of the simplex's tree (the LOCAL_NEIGHBOURS pooled atoms nearest
#: either end); while that finds at least LOCAL_MIN_FRACTION * N pairs the
#: exact scan waits.  Only an exact scan ends the solve.
LOCAL_PRICING = True
LOCAL_NEIGHBOURS = 16
LOCAL_MIN_FRACTION = 0.001

#: Exact scans first look at the pairs from supplying to demanding atoms
#: only (a kd-tree over the demanding ones: a quarter of the pairs, where
#: most violations are); only when that finds none are the other three
#: blocks scanned (demanding -> demanding, all -> supplying, on a kd-tree
#: over each side), which completes the scan of all ordered pairs whose
#: verdict alone ends the solve.
CROSS_FIRST = True

#: The simplex prices with the scan's tolerance divided by this (strictly
#: tighter, so an arc the scan adds always enters).
PRICE_RATIO = 16.0

#: The scan flags f_k - f_l - d_kl > CHECK_RTOL * scale, scale = diameter
#: bound + 2 max|f| (reduced costs are sums of three such numbers).
CHECK_RTOL = PRICE_RATIO * PRICE_RTOL  # 2^-40

#: The gap |flow cost - sum c f| must be at most GAP_RTOL * scale * mass.
GAP_RTOL = 1e-11

FlowResult = namedtuple("FlowResult", "f status n_rounds n_arcs flow_cost gap "
                                      "max_violation src dst flow repaired")
FlowResult.__doc__ = """Outcome of `solve_transshipment`.

f : potentials (the critic) in the caller's atom order, f = -pi;
status : a status code of `transport._core._results`;
n_rounds : simplex solves at this level; n_arcs : arcs held at the end;
flow_cost : cost of the final flow; gap : flow_cost - sum c f;
max_violation : largest f_k - f_l - d_kl found by the last exact scan;
src, dst, flow : the final flow's arcs with positive flow (caller's atom
indices);
repaired : when the last exact scan found no violation, the inf-convolution
min_l f_l + d(x_k, x_l) it computed (exact, 1-Lipschitz: the repaired
critic, caller's order), else None.
"""


class FlowStats:
    """Counters of one `solve_transshipment` (for tests and tuning).

    At the finest level: ``rounds`` (simplex solves), ``local_rounds``
    (rounds whose arcs came from the search next to the tree),
    ``full_scans`` (scans of all ordered pairs), ``arcs_initial``,
    ``arcs_added``, ``pivots``, ``warm_start`` (the first tree came from
    the coarse flow); ``levels`` (coarse levels below) and
    ``coarse_pivots``; seconds in ``t_setup`` (which includes
    ``t_coarse``), ``t_simplex``, ``t_scan``, ``t_local``.
    """

    __slots__ = ("rounds", "local_rounds", "full_scans", "arcs_initial",
                 "arcs_added", "pivots", "levels", "coarse_pivots", "t_setup",
                 "t_coarse", "t_simplex", "t_scan", "t_local", "warm_start")

    def __init__(self):
        for k in self.__slots__:
            setattr(self, k, 0)
        self.warm_start = False

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __repr__(self):
        return f"FlowStats({self.as_dict()})"


def _bound(X, metric):
    """An upper bound of every pairwise distance (the bounding box's)."""
    extent = X.max(axis=0) - X.min(axis=0)
    if metric.name == "euclidean":
        return float(np.sqrt(np.sum(extent * extent)))
    if metric.name == "cityblock":
        return float(extent.sum())
    return float(extent.max())


def _knn(tree, Q, k, metric):
    """(n, k) indices of the k nearest points of `tree` to each row of Q."""
    k = min(k, tree.n)
    _, idx = tree.query(Q, k=k, p=metric.minkowski, workers=-1)
    return np.asarray(idx, np.int64).reshape(Q.shape[0], k)


def _member(keys, sorted_keys):
    """keys[k] in sorted_keys, elementwise."""
    if sorted_keys.shape[0] == 0:
        return np.zeros(keys.shape[0], bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.shape[0] - 1)
    return sorted_keys[pos] == keys


class _Arcs:
    """Growing arc arrays (src, dst, cost) whose first E entries are live,
    with the sorted keys src * N + dst of those held."""

    def __init__(self, N, src, dst, cost):
        self.N = N
        self.E = 0
        self.src = np.empty(0, np.int64)
        self.dst = np.empty(0, np.int64)
        self.cost = np.empty(0)
        self.keys = np.empty(0, np.int64)
        self.append(src, dst, cost)

    def append(self, src, dst, cost):
        k = src.shape[0]
        if self.E + k > self.src.shape[0]:
            cap = max(2 * self.src.shape[0], self.E + k, 16)
            for name in ("src", "dst", "cost"):
                old = getattr(self, name)
                new = np.empty(cap, old.dtype)
                new[: self.E] = old[: self.E]
                setattr(self, name, new)
        self.src[self.E : self.E + k] = src
        self.dst[self.E : self.E + k] = dst
        self.cost[self.E : self.E + k] = cost
        self.E += k
        self.keys = np.sort(np.concatenate([self.keys, src * self.N + dst]),
                            kind="stable")

    def live(self):
        E = self.E
        return self.src[:E], self.dst[:E], self.cost[:E]


def _coarsen(X, w, G):
    """Groups of G consecutive atoms as single atoms at their barycentres."""
    starts = np.arange(0, X.shape[0], G)
    mass = np.add.reduceat(w, starts)
    centre = np.add.reduceat(X * w[:, None], starts, axis=0) / mass[:, None]
    return np.ascontiguousarray(centre), mass


def _coarse_start(Xs, Xd, a, b, metric, max_rounds):
    """Candidate arcs and a starting forest from the coarsened KR problem.

    Supplying and demanding atoms are each grouped by COARSEN consecutive
    atoms (along the curve); the KR problem between the groups is solved by
    `solve_transshipment` itself.  When its final flow goes from supplying
    to demanding groups only (the usual case: see the module's notes) it
    gives (1) all pairs between the atoms of linked groups, as keys
    i * m + j of (supplying i, demanding j), and (2) a fine feasible flow
    whose support is a forest (`refine_plan`).  Otherwise (None, None).
    The coarse level's `FlowStats` come last.
    """
    G = COARSEN
    n, m = Xs.shape[0], Xd.shape[0]
    Cs, ca = _coarsen(Xs, a, G)
    Cd, cb = _coarsen(Xd, b, G)
    Xc = np.ascontiguousarray(np.concatenate([Cs, Cd]))
    cc = np.concatenate([ca, -cb])
    nc = Cs.shape[0]
    sub = FlowStats()
    out = solve_transshipment(Xc, cc, metric.name, max_rounds, None, sub,
                              _ordered=True)
    if out.status != OPTIMAL or out.src.size == 0:
        return None, None, sub
    I, J, F = out.src, out.dst - nc, out.flow
    if (I >= nc).any() or (J < 0).any():
        return None, None, sub
    d = np.arange(G)
    i = np.broadcast_to((I[:, None] * G + d)[:, :, None], (I.size, G, G)).ravel()
    j = np.broadcast_to((J[:, None] * G + d)[:, None, :], (J.size, G, G)).ravel()
    keep = (i < n) & (j < m)
    keys = np.unique(i[keep] * m + j[keep])
    order = np.lexsort((J, I))
    src, dst, flow, count = refine_plan(I[order], J[order], F[order], G, a, b)
    return keys, (src[:count], dst[:count], flow[:count]), sub


def solve_transshipment(X, c, metric, max_rounds, report=None, stats=None,
                        unit=1.0, _ordered=False):
    """Min-cost flow with supplies `c` on the atoms X (complete graph, arc
    costs d), by column generation on the network simplex.

    Parameters
    ----------
    X : (N, d) ndarray
        Distinct atoms, C-contiguous float64, of moderate scale (the caller
        rescales them).
    c : (N,) ndarray
        Non-zero net masses summing to zero (up to rounding).
    metric : str
        Canonical name of a metric (not "sqeuclidean").
    max_rounds : int
        Cap on the simplex solves.
    report : progress reporter, optional
        Receives ``round``, ``arcs``, ``violations`` and ``value`` (times
        `unit`: the caller's units) each round.
    stats : FlowStats, optional
        Filled with counters.

    Returns
    -------
    FlowResult
    """
    metric = METRICS[metric]
    code = metric.code
    stats = FlowStats() if stats is None else stats
    t0 = time.perf_counter()
    N0 = X.shape[0]
    S = np.flatnonzero(c > 0)
    D = np.flatnonzero(c < 0)
    if S.size == 0 or D.size == 0:
        # masses of one sign only: P - Q is rounding noise (its entries
        # sum to zero in exact arithmetic); nothing moves, f = 0
        zero = np.zeros(N0)
        none = np.empty(0, np.int64)
        return FlowResult(zero, OPTIMAL, 0, 0, 0.0, 0.0, 0.0, none, none,
                          np.empty(0), zero.copy())
    if _ordered:  # the coarse level: groups already follow the curve
        os_, od = np.arange(S.size), np.arange(D.size)
    else:
        os_, od = curve_order(X[S], X[D])
    perm = np.concatenate([S[os_], D[od]])  # node -> caller's atom
    n, m = S.size, D.size
    N = n + m
    Xn = np.ascontiguousarray(X[perm])
    Xs, Xd = Xn[:n], Xn[n:]
    a, b = c[perm[:n]], -c[perm[n:]]
    # supply = demand to the last bit (sum(c) is zero only up to rounding,
    # which would otherwise stay on the artificial arcs)
    b = b * (a.sum() / b.sum())
    bound = _bound(Xn, metric)
    from scipy.spatial import cKDTree

    tree_s, tree_d = cKDTree(Xs), cKDTree(Xd)
    nw_src, nw_dst = northwest_arcs(a, b)
    keys = [nw_src * m + nw_dst]  # bipartite keys i * m + j
    k = CANDIDATE_NEIGHBOURS
    js = _knn(tree_d, Xs, k, metric)
    keys.append((np.arange(n)[:, None] * m + js).ravel())
    is_ = _knn(tree_s, Xd, k, metric)
    keys.append((is_ * m + np.arange(m)[:, None]).ravel())
    warm = None
    if min(n, m) >= MULTISCALE_MIN:
        t1 = time.perf_counter()
        coarse_keys, warm, sub = _coarse_start(Xs, Xd, a, b, metric, max_rounds)
        if coarse_keys is not None:
            keys.append(coarse_keys)
        stats.levels = sub.levels + 1
        stats.coarse_pivots += sub.pivots + sub.coarse_pivots
        stats.t_coarse += time.perf_counter() - t1
    if warm is not None:
        first_src, first_dst, first_flow = warm
    else:
        first_src, first_dst = nw_src, nw_dst
    first = first_src * m + first_dst
    others = np.unique(np.concatenate(keys))
    others = others[~_member(others, np.sort(first))]
    src = np.concatenate([first_src, others // m])
    dst = np.concatenate([first_dst, others % m]) + n  # node numbering
    if POOLED_NEIGHBOURS:
        nb = _knn(cKDTree(Xn), Xn, POOLED_NEIGHBOURS + 1, metric)
        rows = np.repeat(np.arange(N), nb.shape[1])
        cols = nb.ravel()
        same = (rows < n) == (cols < n)
        src = np.concatenate([src, rows[same], cols[same]])
        dst = np.concatenate([dst, cols[same], rows[same]])
        keep = src != dst
        src, dst = src[keep], dst[keep]
    cost = np.empty(src.shape[0])
    pair_costs(Xn, Xn, src, dst, code, 1.0, cost)
    arcs = _Arcs(N, src, dst, cost)
    stats.arcs_initial = int(arcs.E)
    supply = np.concatenate([a, -b])
    simplex = None
    if warm is not None:
        simplex = ArcSimplex.from_forest(supply, n, m, first_src, first_dst,
                                         first_flow, cost[: first_src.shape[0]])
        stats.warm_start = simplex is not None
    if simplex is None:
        simplex = ArcSimplex.artificial(supply, transport_art_cost(bound))
    targets = None  # the kd-tree of all atoms, built when first needed
    cross = same = None
    if CROSS_FIRST:
        cross, same = TargetTree(Xd), TargetTree(Xs)
    nbr = None
    mass = float(a.sum())
    stats.t_setup += time.perf_counter() - t0

    status = NUMERICAL
    tol = CHECK_RTOL * max(bound, np.finfo(np.float64).tiny)
    tail = 0
    f = np.zeros(N)
    max_violation = np.inf
    best = None
    rounds = 0
    while True:
        t0 = time.perf_counter()
        price_tol = tol / PRICE_RATIO
        pivots, st = simplex.run(*arcs.live(), tol=price_tol, new_from=tail)
        rounds += 1
        stats.pivots += int(pivots)
        stats.t_simplex += time.perf_counter() - t0
        if st != OPTIMAL:
            status = st
            break
        f = -simplex.pi
        scale = max(bound + 2.0 * float(np.abs(f).max()), np.finfo(np.float64).tiny)
        tol = CHECK_RTOL * scale
        t0 = time.perf_counter()
        found = None
        if LOCAL_PRICING:
            if nbr is None:
                nbr = _knn(cKDTree(Xn), Xn, LOCAL_NEIGHBOURS + 1, metric)
            ids, _, _ = simplex.basis()
            s_, d_, _ = arcs.live()
            found = _near_tree(Xn, f, tol, s_[ids], d_[ids], nbr, code)
            fresh = ~_member(found[0] * N + found[1], arcs.keys)
            found = tuple(x[fresh] for x in found)
            stats.t_local += time.perf_counter() - t0
            if found[0].shape[0] >= max(1.0, LOCAL_MIN_FRACTION * N):
                stats.local_rounds += 1
            else:
                found = None
        best_sd = None
        if found is None and cross is not None:
            t0 = time.perf_counter()
            width = ADD_PER_ATOM
            counts, out_l, _, best_sd = cross.scan(Xs, -f[n:], f[:n] - tol, width,
                                                   code, 1.0)
            stats.t_scan += time.perf_counter() - t0
            if counts.any():
                best_sd = None
                rows = np.repeat(np.arange(n, dtype=np.int64), counts)
                mask = np.arange(width)[None, :] < counts[:, None]
                cols = out_l[mask] + n
                fresh = ~_member(rows * N + cols, arcs.keys)
                if fresh.any():
                    rows, cols = rows[fresh], cols[fresh]
                    new_cost = np.empty(rows.shape[0])
                    pair_costs(Xn, Xn, rows, cols, code, 1.0, new_cost)
                    found = rows, cols, new_cost
        if found is None:
            t0 = time.perf_counter()
            width = ADD_PER_ATOM
            if best_sd is not None:
                # no pair from a supplying to a demanding atom is violated:
                # the other three blocks complete the scan of all pairs
                rows, cols, best = _other_blocks(Xn, n, f, tol, width, code, cross,
                                                 same, best_sd)
            else:
                if targets is None:
                    targets = TargetTree(Xn)
                counts, out_l, _, best = targets.scan(Xn, -f, f - tol, width, code, 1.0)
                rows, cols = _pairs(counts, out_l, 0, 0)
            max_violation = float(np.max(f - best))
            stats.t_scan += time.perf_counter() - t0
            stats.full_scans += 1
            if rows.shape[0] == 0:
                status = OPTIMAL
                _progress(report, rounds, arcs.E, 0, f, supply, unit)
                break
            fresh = ~_member(rows * N + cols, arcs.keys)
            if not fresh.any():
                # violated arcs already held: the simplex priced them with a
                # looser tolerance (f shrank since); price all again with
                # this one, or give up when it was no looser
                if price_tol <= tol / PRICE_RATIO:
                    status = NUMERICAL
                    break
                if rounds >= max_rounds:
                    status = MAX_ROUNDS
                    break
                tail = 0
                continue
            rows, cols = rows[fresh], cols[fresh]
            new_cost = np.empty(rows.shape[0])
            pair_costs(Xn, Xn, rows, cols, code, 1.0, new_cost)
            found = rows, cols, new_cost
        _progress(report, rounds, arcs.E, found[0].shape[0], f, supply, unit)
        if rounds >= max_rounds:
            status = MAX_ROUNDS
            break
        tail = arcs.E
        arcs.append(*found)
        stats.arcs_added += int(found[0].shape[0])
    stats.rounds += rounds

    ids, flows, _ = simplex.basis()
    s_, d_, c_ = arcs.live()
    flow_cost = float(math.fsum(flows * c_[ids]))
    value = float(math.fsum(supply * f))
    gap = flow_cost - value
    if status == OPTIMAL and abs(gap) > GAP_RTOL * scale * max(mass, 1e-300):
        status = NUMERICAL
    out_f = np.empty(N0)
    out_f[perm] = f
    repaired = None
    if status == OPTIMAL:
        repaired = np.empty(N0)
        repaired[perm] = best
    return FlowResult(out_f, status, rounds, int(arcs.E), flow_cost, gap,
                      max_violation, perm[s_[ids]], perm[d_[ids]], flows, repaired)


def _pairs(counts, out_l, row0, col0):
    """(rows, cols) of the pairs a scan found: row0 + source, col0 + target."""
    rows = np.repeat(np.arange(counts.shape[0], dtype=np.int64) + row0, counts)
    mask = np.arange(out_l.shape[1])[None, :] < counts[:, None]
    return rows, out_l[mask] + col0


def _other_blocks(Xn, n, f, tol, width, code, cross, same, best_sd):
    """The scan of all ordered pairs of atoms once the pairs from supplying
    to demanding atoms (nodes < n to nodes >= n) are known to hold, with
    `best_sd` their exact min_l f_l + d_kl: the demanding -> demanding pairs
    (kd-tree `cross`) and all -> supplying ones (kd-tree `same`).  Returns
    the violated pairs (rows, cols) and the exact min_l f_l + d_kl over all
    atoms l, for every atom k."""
    Xd = Xn[n:]
    c1, o1, _, b1 = cross.scan(Xd, -f[n:], f[n:] - tol, width, code, 1.0)
    c2, o2, _, b2 = same.scan(Xn, -f[:n], f - tol, width, code, 1.0)
    r1, l1 = _pairs(c1, o1, n, n)
    r2, l2 = _pairs(c2, o2, 0, 0)
    best = np.minimum(b2, np.concatenate([best_sd, b1]))
    return np.concatenate([r1, r2]), np.concatenate([l1, l2]), best


def _near_tree(Xn, f, tol, tsrc, tdst, nbr, code):
    """Violated pairs next to the tree arcs, each once: (rows, cols, costs)
    (`tree_violations` with u = f, v = -f on the pooled atoms)."""
    N = Xn.shape[0]
    cap = max(1024, 4 * N)
    while True:
        src = np.empty(cap, np.int64)
        dst = np.empty(cap, np.int64)
        cst = np.empty(cap)
        count = tree_violations(Xn, Xn, f, -f, tol, tsrc, tdst, nbr, nbr, code, 1.0,
                                src, dst, cst)
        if count <= cap:
            break
        cap = count
    _, first = np.unique(src[:count] * N + dst[:count], return_index=True)
    return src[first], dst[first], cst[first]


def _progress(report, rounds, arcs, violations, f, supply, unit):
    """One round on the reporter: the value is that of the flow problem on
    the arcs held so far (an upper bound of W_1, decreasing to it)."""
    if report is not None:
        report.update(round=rounds, arcs=int(arcs), violations=int(violations),
                      value=float(np.dot(supply, f)) * unit)

