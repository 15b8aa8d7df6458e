"""Primal network simplex for uncapacitated min-cost flow (numba kernels).

The problem: nodes 0..N-1 with supplies (sum zero), arcs s -> t with costs,
minimise sum c_e x_e over flows x >= 0 that meet the supplies.  The dense
bipartite transport problem is the instance with sources 0..n-1, sinks
n..n+m-1 and arc e = i*m + j of cost M[i, j] (read in place, never copied);
a general arc list (src, dst, cost) is the other instance.

Basis: a spanning tree on the N nodes plus an artificial root N.  Every
node u stores the tree arc to its parent (``pred``, with its cost, direction
and flow), so memory beyond the arcs is O(N): non-tree arcs carry no flow in
an uncapacitated problem and need no state.  The tree is kept as

* ``parent``, ``pred``, ``pred_cost``, ``up`` (+1: the arc goes u -> parent,
  -1: parent -> u), ``flow``;
* ``thread`` / ``rev_thread``: a preorder of the tree as a doubly linked
  cycle through the root;
* ``succ_num`` (subtree size) and ``last_succ`` (last node of the subtree in
  preorder), so a subtree is a contiguous run of the thread.

Potentials ``pi`` satisfy c_e + pi_s - pi_t = 0 on tree arcs; an arc with
reduced cost c_e + pi_s - pi_t < -tol enters.  The initial tree connects
every node to the root by an artificial arc (sources u -> root of cost 0,
sinks root -> u of cost ``art_cost``): all flow on artificial arcs, all
zero-flow arcs directed away from the root -- a strongly feasible tree.
The leaving arc is chosen by Cunningham's rule (the last blocking arc met
when the cycle is traversed in its orientation from the join node), which
keeps the tree strongly feasible and rules out cycling on degenerate
problems.  Pricing is block search resuming where the last block ended.

Kernels validate nothing; the solve kernels return an integer status:
0 optimal, 1 pivot cap reached, 2 numerical trouble, 3 infeasible.
"""

import numpy as np
from numba import njit

__all__ = [
    "OPTIMAL",
    "MAX_ITER",
    "NUMERICAL",
    "INFEASIBLE",
    "solve_dense_kernel",
    "solve_arcs_kernel",
    "init_tree",
    "run_arcs",
]

OPTIMAL, MAX_ITER, NUMERICAL, INFEASIBLE = 0, 1, 2, 3

#: Full pricing passes allowed after the potentials are recomputed from the
#: tree (each one is a chance to catch an arc that drifted potentials hid).
_MAX_REFRESH = 8


# --------------------------------------------------------------------------
# Tree
# --------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _init_tree(supply, art_cost):
    """Artificial starting tree (every node hangs from the root N), as the
    tuple of tree arrays and pivot workspaces that `_pivot` takes."""
    N = supply.shape[0]
    root = N
    parent = np.empty(N + 1, np.int64)
    pred = np.empty(N + 1, np.int64)
    pred_cost = np.zeros(N + 1)
    up = np.zeros(N + 1, np.int64)
    flow = np.zeros(N + 1)
    thread = np.empty(N + 1, np.int64)
    rev_thread = np.empty(N + 1, np.int64)
    succ_num = np.ones(N + 1, np.int64)
    last_succ = np.empty(N + 1, np.int64)
    pi = np.zeros(N + 1)
    for u in range(N):
        parent[u] = root
        pred[u] = -1 - u  # artificial arcs are numbered -1 - u
        thread[u] = u + 1
        rev_thread[u + 1] = u
        last_succ[u] = u
        if supply[u] >= 0.0:
            up[u] = 1  # u -> root, cost 0
            flow[u] = supply[u]
            pred_cost[u] = 0.0
            pi[u] = 0.0
        else:
            up[u] = -1  # root -> u, cost art_cost
            flow[u] = -supply[u]
            pred_cost[u] = art_cost
            pi[u] = art_cost
    parent[root] = -1
    pred[root] = -1 - root
    thread[root] = 0 if N > 0 else root
    rev_thread[0] = root
    if N == 0:
        rev_thread[root] = root
    succ_num[root] = N + 1
    last_succ[root] = N - 1 if N > 0 else root
    stem = np.empty(N + 1, np.int64)
    seg_a = np.empty(2 * N + 2, np.int64)
    seg_b = np.empty(2 * N + 2, np.int64)
    return (parent, pred, pred_cost, up, flow, thread, rev_thread, succ_num,
            last_succ, pi, stem, seg_a, seg_b)


@njit(cache=True, nogil=True)
def _pivot(e, s, t, c_e, tree):
    """Bring arc e = (s -> t, cost c_e) into the tree; returns False on error."""
    (parent, pred, pred_cost, up, flow, thread, rev_thread, succ_num,
     last_succ, pi, stem, seg_a, seg_b) = tree
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


@njit(cache=True, nogil=True)
def _refresh_potentials(parent, pred_cost, up, thread, pi):
    """Recompute pi from the tree along the preorder (no drift)."""
    root = parent.shape[0] - 1
    pi[root] = 0.0
    x = thread[root]
    while x != root:
        pi[x] = pi[parent[x]] - up[x] * pred_cost[x]
        x = thread[x]


@njit(cache=True, nogil=True)
def _refresh_flows(supply, parent, up, rev_thread, flow):
    """Recompute tree flows from the supplies, leaves first (no drift)."""
    root = parent.shape[0] - 1
    net = np.zeros(root + 1)
    net[:root] = supply
    x = rev_thread[root]
    while x != root:
        flow[x] = up[x] * net[x]
        net[parent[x]] += net[x]
        x = rev_thread[x]


# --------------------------------------------------------------------------
# Pricing
# --------------------------------------------------------------------------
@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
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
# Drivers
# --------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _finish(supply, tree):
    """Drift-free flows and potentials of the final tree."""
    parent, pred, pred_cost, up, flow, thread, rev_thread = tree[:7]
    pi = tree[9]
    _refresh_flows(supply, parent, up, rev_thread, flow)
    _refresh_potentials(parent, pred_cost, up, thread, pi)
    return parent, pred, up, flow, pi


@njit(cache=True, nogil=True)
def solve_dense_kernel(a, b, M, max_iter, art_cost, tol, block_rows):
    """Network simplex on the complete bipartite graph of M (read in place).

    Returns (parent, pred, up, flow, pi, n_iter, status): tree arcs are
    ``pred[u] = i * m + j`` (real) or negative (artificial).
    """
    n, m = M.shape
    N = n + m
    supply = np.empty(N)
    supply[:n] = a
    supply[n:] = -b
    tree = _init_tree(supply, art_cost)
    parent, pred_cost, up, thread, pi = tree[0], tree[2], tree[3], tree[5], tree[9]
    n_iter = 0
    status = OPTIMAL
    row = 0
    # Cheap first sweep: one row per block, i.e. each source's best arc.
    rows_per_block = 1
    swept = 0
    refreshes = 0
    while True:
        i, j, row = _price_dense_rows(M, pi, n, row, rows_per_block, tol)
        if i < 0:
            if rows_per_block != block_rows:
                rows_per_block = block_rows
                continue
            # No entering arc: confirm with drift-free potentials.
            _refresh_potentials(parent, pred_cost, up, thread, pi)
            i, j, row = _price_dense_rows(M, pi, n, row, block_rows, tol)
            refreshes += 1
            if i < 0:
                break
            if refreshes > _MAX_REFRESH:
                status = NUMERICAL
                break
        if n_iter >= max_iter:
            status = MAX_ITER
            break
        ok = _pivot(i * m + j, i, n + j, M[i, j], tree)
        n_iter += 1
        if not ok:
            status = NUMERICAL
            break
        if rows_per_block == 1:
            swept += 1
            if swept >= n:
                rows_per_block = block_rows
    parent, pred, up, flow, pi = _finish(supply, tree)
    return parent, pred, up, flow, pi, n_iter, status


@njit(cache=True, nogil=True)
def init_tree(supply, art_cost):
    """The artificial starting tree for `run_arcs` (see `_init_tree`)."""
    return _init_tree(supply, art_cost)


@njit(cache=True, nogil=True)
def run_arcs(supply, src, dst, cost, tree, max_iter, tol, block, first):
    """Pivot on the arc list (src[e] -> dst[e], cost[e]) from `tree` to optimality.

    Only arcs ``first, ..., E - 1`` are priced (``first = 0``: all), so a
    caller that appended arcs can re-optimise over the new ones before all.
    `tree` (from `init_tree` or an earlier `run_arcs`) is updated in place:
    a warm start, as long as the arcs already in the tree keep their
    indices (tree arcs are never looked up in the arrays: their costs live
    in the tree).  Returns (n_iter, status); the tree's flows and potentials
    are recomputed drift-free at the end.
    """
    parent, pred_cost, up, thread, pi = tree[0], tree[2], tree[3], tree[5], tree[9]
    n_iter = 0
    status = OPTIMAL
    pos = first
    refreshes = 0
    _refresh_potentials(parent, pred_cost, up, thread, pi)
    while True:
        e, pos = _price_arcs(src, dst, cost, pi, pos, block, tol, first)
        if e < 0:
            _refresh_potentials(parent, pred_cost, up, thread, pi)
            e, pos = _price_arcs(src, dst, cost, pi, pos, block, tol, first)
            refreshes += 1
            if e < 0:
                break
            if refreshes > _MAX_REFRESH:
                status = NUMERICAL
                break
        if n_iter >= max_iter:
            status = MAX_ITER
            break
        ok = _pivot(e, src[e], dst[e], cost[e], tree)
        n_iter += 1
        if not ok:
            status = NUMERICAL
            break
    _finish(supply, tree)
    return n_iter, status


@njit(cache=True, nogil=True)
def solve_arcs_kernel(supply, src, dst, cost, max_iter, art_cost, tol, block):
    """Network simplex on a general arc list (src[e] -> dst[e], cost[e]).

    Returns (parent, pred, up, flow, pi, n_iter, status) like
    `solve_dense_kernel`, with ``pred[u]`` an index into the arc list.
    """
    tree = _init_tree(supply, art_cost)
    n_iter, status = run_arcs(supply, src, dst, cost, tree, max_iter, tol, block, 0)
    return tree[0], tree[1], tree[3], tree[4], tree[9], n_iter, status
