"""The network simplex's pivot rule and pivot loops (numba kernels).

Uncapacitated min-cost flow: nodes 0..N-1 with supplies (sum zero), arcs
s -> t with costs; minimise sum c_e x_e over flows x >= 0 meeting the
supplies.  The dense bipartite transport problem is the instance with
sources 0..n-1, sinks n..n+m-1 and arc e = i*m + j of cost M[i, j] (read in
place, never copied); an arc list (src, dst, cost) is the other instance.
The basis is a `transport._simplex._simplex_tree.SimplexTree`.

The pivot rule:

* entering arc: block search pricing, resuming where the last block ended;
  an arc enters when its reduced cost c_e + pi_s - pi_t is below -tol, the
  most negative of the first block that holds one (`_price_dense_rows`,
  `_price_arcs`);
* leaving arc: Cunningham's rule, the last blocking arc met when the cycle
  is traversed in its orientation from the join node (`pivot`).  It keeps
  the tree strongly feasible, which rules out cycling on degenerate
  problems.

Before optimality is declared the potentials are recomputed from the tree
and the arcs priced again (drift cannot hide an entering arc).  Kernels
validate nothing; they return the status codes of `transport._core._results`:
OPTIMAL, MAX_PIVOTS (the pivot cap), NUMERICAL.  Only
`transport._simplex._network_simplex` calls them (the batch of many small problems
from compiled code, through `transport._simplex._simplex_batch`).
"""

import numpy as np
from numba import njit

from .._core._certify import _total, certificate_numbers, max_dual_violation
from .._core._results import MAX_PIVOTS, NUMERICAL, OPTIMAL
from ._simplex_tree import artificial_tree, refresh_flows, refresh_potentials

__all__ = ["pivot", "solve_dense_kernel", "run_arcs_kernel", "max_abs",
           "dense_certified_kernel", "certified_positive", "certified_tree",
           "dense_block_rows",
           "dense_plan_cost",
           "ART_COST_FACTOR", "ARTIFICIAL_RTOL", "ZERO_MASS"]

#: The artificial arcs of a transport problem cost ART_COST_FACTOR times a
#: bound of |cost|: the route source -> root -> sink then costs more than any
#: direct pair, so no flow stays on it at the optimum.
ART_COST_FACTOR = 2.0

#: Flow left on artificial arcs above this fraction of the mass means the
#: arcs given cannot carry the supplies.
ARTIFICIAL_RTOL = 1e-12

#: Status of `dense_certified_kernel` when a mass is zero (the caller drops
#: those rows and columns first).
ZERO_MASS = -1

_OPTS = dict(cache=True, nogil=True)

#: Full pricing passes allowed after the potentials are recomputed from the
#: tree (each one is a chance to catch an arc that drifted potentials hid).
_MAX_REFRESH = 8


# --------------------------------------------------------------------------
# Leaving arc and tree update
# --------------------------------------------------------------------------
@njit(**_OPTS)
def pivot(e, s, t, c_e, tree):
    """Bring arc e = (s -> t, cost c_e) into `tree` (a `SimplexTree`),
    updated in place; returns False on error (no blocking arc)."""
    parent, pred, pred_cost, up, flow = (tree.parent, tree.pred, tree.pred_cost,
                                         tree.up, tree.flow)
    thread, rev_thread, succ_num, last_succ, pi = (
        tree.thread, tree.rev_thread, tree.succ_num, tree.last_succ, tree.pi)
    stem, seg_a, seg_b = tree.stem, tree.seg_a, tree.seg_b
    # Join node: the lower of two nodes has the smaller subtree.
    x, y = s, t
    while x != y:
        if succ_num[x] < succ_num[y]:
            x = parent[x]
        else:
            y = parent[y]
    join = x

    # Leaving arc (Cunningham): the cycle runs join -> ... -> s -> t -> ...
    # -> join.  On the s side the arcs are traversed downwards and block when
    # they point up; on the t side upwards, blocking when they point down.
    # Ties go to the last blocking arc in the cycle's orientation.
    delta = np.inf
    u_out = -1
    first_side = True
    x = s
    while x != join:
        if up[x] == 1 and flow[x] < delta:
            delta = flow[x]
            u_out = x
        x = parent[x]
    x = t
    while x != join:
        if up[x] == -1 and flow[x] <= delta:
            delta = flow[x]
            u_out = x
            first_side = False
        x = parent[x]
    if u_out < 0:
        return False  # unbounded: impossible with non-negative flows

    # Push delta around the cycle.
    if delta > 0.0:
        x = s
        while x != join:
            flow[x] -= up[x] * delta
            x = parent[x]
        x = t
        while x != join:
            flow[x] += up[x] * delta
            x = parent[x]

    # The subtree of u_out is cut off and re-hung from v_in by the entering
    # arc, re-rooted at u_in (its endpoint of the entering arc).
    if first_side:
        u_in, v_in, up_in = s, t, 1
    else:
        u_in, v_in, up_in = t, s, -1
    sigma = pi[v_in] - up_in * c_e - pi[u_in]
    size = succ_num[u_out]

    # Stem u_in = w_0, w_1 = parent(w_0), ..., w_k = u_out.
    k = 0
    stem[0] = u_in
    while stem[k] != u_out:
        stem[k + 1] = parent[stem[k]]
        k += 1

    # New preorder of the moved tree: subtree(w_0), then for i = 1..k the
    # rest of subtree(w_i) without subtree(w_{i-1}): two old thread runs
    # [w_i .. prev(w_{i-1})] and [next(last(w_{i-1})) .. last(w_i)].
    nseg = 0
    seg_a[0] = u_in
    seg_b[0] = last_succ[u_in]
    nseg = 1
    for i in range(1, k + 1):
        wi = stem[i]
        wp = stem[i - 1]
        seg_a[nseg] = wi
        seg_b[nseg] = rev_thread[wp]
        nseg += 1
        if last_succ[wp] != last_succ[wi]:
            seg_a[nseg] = thread[last_succ[wp]]
            seg_b[nseg] = last_succ[wi]
            nseg += 1
    block_end = seg_b[nseg - 1]

    # Cut the old run [u_out .. last(u_out)] out of the thread.
    old_last = last_succ[u_out]
    before = rev_thread[u_out]
    after = thread[old_last]
    thread[before] = after
    rev_thread[after] = before
    x = parent[u_out]
    while x != join:
        succ_num[x] -= size
        x = parent[x]
    x = parent[u_out]
    while x >= 0 and last_succ[x] == old_last:
        last_succ[x] = before
        x = parent[x]

    # Chain the runs of the moved tree.
    for r in range(nseg - 1):
        thread[seg_b[r]] = seg_a[r + 1]
        rev_thread[seg_a[r + 1]] = seg_b[r]

    # Stem: reverse parents and shift the tree arcs down by one.
    acc = 0
    for i in range(k, 0, -1):
        wi = stem[i]
        wp = stem[i - 1]
        acc += succ_num[wi] - succ_num[wp]
        succ_num[wi] = acc
        parent[wi] = wp
        pred[wi] = pred[wp]
        pred_cost[wi] = pred_cost[wp]
        up[wi] = -up[wp]
        flow[wi] = flow[wp]
        last_succ[wi] = block_end
    parent[u_in] = v_in
    pred[u_in] = e
    pred_cost[u_in] = c_e
    up[u_in] = up_in
    flow[u_in] = delta
    succ_num[u_in] = size
    last_succ[u_in] = block_end

    # Insert the moved run right after v_in.
    nxt = thread[v_in]
    thread[v_in] = u_in
    rev_thread[u_in] = v_in
    thread[block_end] = nxt
    rev_thread[nxt] = block_end
    x = v_in
    while x != join:
        succ_num[x] += size
        x = parent[x]
    x = v_in
    while x >= 0 and last_succ[x] == v_in:
        last_succ[x] = block_end
        x = parent[x]

    # Potentials of the moved tree shift by sigma.
    x = u_in
    for _ in range(size):
        pi[x] += sigma
        x = thread[x]
    return True


# --------------------------------------------------------------------------
# Entering arc: block search pricing
# --------------------------------------------------------------------------
@njit(**_OPTS)
def _price_dense_rows(M, pi, n, start_row, block_rows, tol):
    """Block search over rows of M from `start_row` (wrapping around).

    Returns (i, j, next_row): the most negative reduced cost among the first
    block of rows holding one below -tol, or i = -1 after a full pass.
    """
    m = M.shape[1]
    pi_cols = pi[n:]
    best = -tol
    bi = -1
    bj = -1
    i = start_row
    in_block = 0
    for _ in range(n):
        pii = pi[i]
        row = M[i]
        # A branch-free pass (vectorised) asks whether the row beats `best`
        # at all; only then the scalar pass finds where.  Both compute r the
        # same way, so the arc chosen is the one a single scalar pass picks.
        beats = False
        for j in range(m):
            beats |= row[j] + pii - pi_cols[j] < best
        if beats:
            for j in range(m):
                r = row[j] + pii - pi_cols[j]
                if r < best:
                    best = r
                    bi = i
                    bj = j
        i += 1
        if i == n:
            i = 0
        in_block += 1
        if in_block >= block_rows:
            if bi >= 0:
                return bi, bj, i
            in_block = 0
    return bi, bj, i


@njit(**_OPTS)
def _price_arcs(src, dst, cost, pi, start, block, tol, first):
    """Block search over the arcs first..E-1 from `start` (wrapping around)."""
    E = src.shape[0]
    best = -tol
    be = -1
    e = start if start >= first else first
    in_block = 0
    for _ in range(E - first):
        r = cost[e] + pi[src[e]] - pi[dst[e]]
        if r < best:
            best = r
            be = e
        e += 1
        if e == E:
            e = first
        in_block += 1
        if in_block >= block:
            if be >= 0:
                return be, e
            in_block = 0
    return be, e


# --------------------------------------------------------------------------
# Pivot loops
# --------------------------------------------------------------------------
#: Dense pricing block: about DENSE_BLOCK_FACTOR * sqrt(n * m) arcs, whole
#: rows of M at a time.
DENSE_BLOCK_FACTOR = 1.0


@njit(**_OPTS)
def dense_block_rows(n, m):
    """Rows of M per pricing block of the dense solve (at least one)."""
    return max(1, int(np.rint(DENSE_BLOCK_FACTOR * np.sqrt(n * m) / m)))


@njit(**_OPTS)
def dense_plan_cost(tree, M, N):
    """<plan, M> of the final tree of a dense solve (N = n + m nodes), summed
    in the order of the nodes: every caller gets the same rounding."""
    m = M.shape[1]
    cost = 0.0
    for w in range(N):
        e = tree.pred[w]
        f = tree.flow[w]
        if e >= 0 and f > 0.0:
            cost += f * M[e // m, e % m]
    return cost


@njit(**_OPTS)
def pivot_dense(M, tree, max_pivots, tol, block_rows, first_rows):
    """Pivot on the complete bipartite graph of M (n, m), read in place, from
    `tree` until no arc prices below -tol (confirmed on drift-free
    potentials), `max_pivots` or a numerical failure.  The first sweep
    prices `first_rows` rows per block (1: each source's best arc) until it
    has pivoted n times or finds nothing, then `block_rows`.  Returns
    (n_pivots, status); the tree's flows and potentials are left as the
    pivots updated them."""
    n, m = M.shape
    pi = tree.pi
    n_iter = 0
    status = OPTIMAL
    row = 0
    rows_per_block = first_rows
    swept = 0
    refreshes = 0
    while True:
        i, j, row = _price_dense_rows(M, pi, n, row, rows_per_block, tol)
        if i < 0:
            if rows_per_block != block_rows:
                rows_per_block = block_rows
                continue
            # No entering arc: confirm with drift-free potentials.
            refresh_potentials(tree)
            i, j, row = _price_dense_rows(M, pi, n, row, block_rows, tol)
            refreshes += 1
            if i < 0:
                break
            if refreshes > _MAX_REFRESH:
                status = NUMERICAL
                break
        if n_iter >= max_pivots:
            status = MAX_PIVOTS
            break
        ok = pivot(i * m + j, i, n + j, M[i, j], tree)
        n_iter += 1
        if not ok:
            status = NUMERICAL
            break
        if rows_per_block != block_rows:
            swept += 1
            if swept >= n:
                rows_per_block = block_rows
    return n_iter, status


@njit(**_OPTS)
def solve_dense_kernel(a, b, M, max_pivots, art_cost, tol, block_rows):
    """Network simplex on the complete bipartite graph of M (read in place),
    from the artificial tree.  Returns (tree, n_pivots, status); tree arcs
    are ``pred[u] = i * m + j`` (real) or negative (artificial), flows and
    potentials recomputed drift-free."""
    n, m = M.shape
    N = n + m
    supply = np.empty(N)
    supply[:n] = a
    supply[n:] = -b
    tree = artificial_tree(supply, art_cost)
    # Cheap first sweep: one row per block, i.e. each source's best arc.
    n_iter, status = pivot_dense(M, tree, max_pivots, tol, block_rows, 1)
    refresh_flows(supply, tree)
    refresh_potentials(tree)
    return tree, n_iter, status


@njit(**_OPTS)
def run_arcs_kernel(supply, src, dst, cost, tree, max_pivots, tol, block, first):
    """Pivot on the arc list (src[e] -> dst[e], cost[e]) from `tree` to
    optimality.

    Only arcs ``first, ..., E - 1`` are priced (``first = 0``: all), so a
    caller that appended arcs can re-optimise over the new ones before all.
    `tree` is updated in place: a warm start, as long as the arcs already in
    the tree keep their indices (tree arcs are never looked up in the
    arrays: their costs live in the tree).  Returns (n_pivots, status); the
    tree's flows and potentials are recomputed drift-free at the end.
    """
    pi = tree.pi
    n_iter = 0
    status = OPTIMAL
    pos = first
    refreshes = 0
    refresh_potentials(tree)
    while True:
        e, pos = _price_arcs(src, dst, cost, pi, pos, block, tol, first)
        if e < 0:
            refresh_potentials(tree)
            e, pos = _price_arcs(src, dst, cost, pi, pos, block, tol, first)
            refreshes += 1
            if e < 0:
                break
            if refreshes > _MAX_REFRESH:
                status = NUMERICAL
                break
        if n_iter >= max_pivots:
            status = MAX_PIVOTS
            break
        ok = pivot(e, src[e], dst[e], cost[e], tree)
        n_iter += 1
        if not ok:
            status = NUMERICAL
            break
    refresh_flows(supply, tree)
    refresh_potentials(tree)
    return n_iter, status


@njit(**_OPTS)
def max_abs(M):
    """max |M_ij|, reading M in place (np.abs(M).max() makes an n x m copy)."""
    worst = 0.0
    for i in range(M.shape[0]):
        for j in range(M.shape[1]):
            x = abs(M[i, j])
            if x > worst:
                worst = x
    return worst


@njit(**_OPTS)
def dense_certified_kernel(a, b, M, max_pivots, price_rtol, block_rows):
    """A dense transport problem solved and certified in one compiled call.

    `b` is rescaled to the total of `a`; the pricing tolerance is
    price_rtol * max|M|.  Returns (status, rows, cols, flows, u, v, cost,
    numbers, n_pivots): the plan's positive entries, potentials normalised
    to v_0 = 0, its cost, and `transport._core._certify.certificate_numbers` of
    all that against M (dual feasibility over all pairs).  Status ZERO_MASS
    (nothing solved) when some mass is zero.
    """
    n, m = M.shape
    empty_i = np.empty(0, np.int64)
    empty_f = np.empty(0)
    bs = b * (_total(a) / _total(b))
    for i in range(n):
        if not a[i] > 0.0:
            return ZERO_MASS, empty_i, empty_i, empty_f, empty_f, empty_f, 0.0, empty_f, 0
    for j in range(m):
        if not bs[j] > 0.0:
            return ZERO_MASS, empty_i, empty_i, empty_f, empty_f, empty_f, 0.0, empty_f, 0
    return certified_positive(a, bs, M, max_pivots, price_rtol, block_rows)


@njit(**_OPTS)
def certified_positive(a, bs, M, max_pivots, price_rtol, block_rows):
    """`dense_certified_kernel` for positive masses a, bs of equal totals
    (bs already rescaled to the total of a): the one solve-and-certify of a
    dense problem, also run per pair by `transport._simplex._simplex_batch`."""
    cmax = max_abs(M)
    scale = cmax if cmax > 0.0 else 1.0
    tree, n_iter, status = solve_dense_kernel(
        a, bs, M, max_pivots, ART_COST_FACTOR * scale, price_rtol * scale, block_rows)
    return certified_tree(a, bs, M, tree, status, n_iter)


@njit(**_OPTS)
def certified_tree(a, bs, M, tree, status, n_iter):
    """The read-back and certificate of the final tree of a dense solve
    (flows and potentials drift-free; N = n + m nodes, the root N): the
    outputs of `certified_positive`, whatever start and pricing led to the
    tree (the batch of pairs builds its own)."""
    n, m = M.shape
    mass = _total(a)
    N = n + m
    count = 0
    left = 0.0
    for x in range(N):
        if tree.pred[x] >= 0:
            if tree.flow[x] > 0.0:
                count += 1
        elif tree.flow[x] > left:
            left = tree.flow[x]
    if status == OPTIMAL and left > ARTIFICIAL_RTOL * mass:
        status = NUMERICAL  # cannot happen with the artificial cost above
    rows = np.empty(count, np.int64)
    cols = np.empty(count, np.int64)
    flows = np.empty(count)
    costs = np.empty(count)
    k = 0
    for x in range(N):
        e = tree.pred[x]
        if e >= 0 and tree.flow[x] > 0.0:
            rows[k] = e // m
            cols[k] = e % m
            flows[k] = tree.flow[x]
            costs[k] = M[rows[k], cols[k]]
            k += 1
    cost = dense_plan_cost(tree, M, N)
    shift = tree.pi[n]  # v_0 = pi[n] becomes 0
    u = np.empty(n)
    v = np.empty(m)
    for i in range(n):
        u[i] = -tree.pi[i] + shift
    for j in range(m):
        v[j] = tree.pi[n + j] - shift
    violation = max_dual_violation(u, v, M)
    numbers, _ = certificate_numbers(rows, cols, flows, costs, u, v, cost, a, bs,
                                     violation)
    return status, rows, cols, flows, u, v, cost, numbers, n_iter
