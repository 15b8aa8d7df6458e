"""The per-pair solver of the batch: a greedy start in reused workspaces.

`transport._simplex._simplex_batch` solves many small dense transport
problems over one ground-cost matrix M (k, l), one after another.  Each is
the positive bins of a row of U against those of a row of V.  Solving them
the way `emd` does (from the artificial tree) spends most of its pivots
undoing that start; here, per pair and without allocating:

1. **Greedy start** (the minimum-cost rule): the arcs of M sorted by cost
   once per call; per row of U, the arcs leaving its positive bins
   (`row_arcs`); per pair, those arcs in that order, each sending as much
   as both ends still have, the last few sources along their own arcs by
   cost (`greedy_forest`).  Every arc taken exhausts a
   bin, so the arcs form a forest (an arc's exhausted end takes no later
   arc, so the first arc of a cycle could not have been taken).
2. **Basis** (`forest_basis`): the forest is hung from the root N = n + m
   like the artificial tree hangs its nodes: a tree with a sink through an
   artificial arc root -> sink of cost ``art_cost`` (``ART_COST_FACTOR``
   times max|cost|, so no flow can stay on it at the optimum), a lone
   source through source -> root of cost 0.  Flows are those of the
   greedy plan (positive on the forest's arcs, the rounding residual of
   the masses on the artificial ones), so the only arcs that may carry no
   flow point away from the root: the basis is strongly feasible, as the
   pivot rule of `transport._simplex._simplex_kernels.pivot` requires.
3. The pivots of `transport._simplex._simplex_kernels` from there
   (`solve_from_forest`), then flows and potentials recomputed drift-free.

The workspace (`PairWorkspace`) holds arrays for the largest pair (k + l
nodes); each pair's tree is a `SimplexTree` of views into it.  Kernels
validate nothing.
"""

from collections import namedtuple

import numpy as np
from numba import njit

from ._simplex_kernels import pivot_dense
from ._simplex_tree import SimplexTree, empty_tree, refresh_flows, refresh_potentials

__all__ = ["TAIL_ROWS", "PairWorkspace", "pair_workspace", "pair_block_rows",
           "sorted_arcs", "cost_order", "row_arcs",
           "greedy_forest", "forest_basis", "solve_from_forest"]

_OPTS = dict(cache=True, nogil=True)

#: The greedy start leaves the sorted arcs of the row when at most this many
#: sources still have mass (see `greedy_forest`).  On digits (33 positive
#: bins a row on average) 0 / 2 / 4 / 8 gave 50.6 / 50.6 / 51.1 / 53.6
#: pivots a pair and a greedy of 5.2 / 4.8 / 4.4 / 3.6 us a pair (process
#: time, min of 4, load ~12): 4 was the fastest start to pivots.
TAIL_ROWS = 4

#: Pricing block of the pairs: about PAIR_BLOCK_FACTOR * sqrt(n * m) arcs,
#: whole rows.  From the greedy start on digits, 1 / 2 / 4 / all rows gave
#: 50.6 / 46.0 / 40.6 / 27.6 pivots a pair and 17.2 / 16.7 / 16.0 / 19.0 us
#: a pair of pivoting (same conditions): bigger blocks take fewer, dearer
#: pivots.
PAIR_BLOCK_FACTOR = 4.0


@njit(**_OPTS)
def pair_block_rows(n, m):
    """Rows of the sub-problem's costs per pricing block (at least one)."""
    return max(1, int(np.rint(PAIR_BLOCK_FACTOR * np.sqrt(n * m) / m)))

PairWorkspace = namedtuple(
    "PairWorkspace",
    "tree supply arc_x arc_t loc_b rem_a rem_b ex ey ef first adj order stack net",
)


@njit(**_OPTS)
def pair_workspace(k, l):
    """A `PairWorkspace` for pairs of at most k sources and l sinks."""
    N = k + l
    return PairWorkspace(
        empty_tree(N),
        np.empty(N),  # supply
        np.empty(k * l, np.int64),  # arc_x: the row's arcs, source index
        np.empty(k * l, np.int64),  # arc_t: ... and the bin of V
        np.full(l, -1, np.int64),  # loc_b: bin of V -> sink index, -1 if none
        np.empty(k),  # rem_a
        np.empty(l),  # rem_b
        np.empty(N, np.int64),  # ex: forest arcs, source
        np.empty(N, np.int64),  # ey: ... sink
        np.empty(N),  # ef: ... flow
        np.empty(N + 2, np.int64),  # first: adjacency offsets
        np.empty(2 * N, np.int64),  # adj: forest arcs by node
        np.empty(N + 1, np.int64),  # order: preorder of the basis
        np.empty(N + 1, np.int64),  # stack
        np.empty(N + 1),  # net: for refresh_flows
    )


@njit(**_OPTS)
def sorted_arcs(M):
    """The arcs (s, t) of M in increasing cost, ties in row-major order:
    (s, t) arrays."""
    k, l = M.shape
    order = np.argsort(M.ravel(), kind="mergesort")
    return order // l, order % l


@njit(**_OPTS)
def cost_order(M):
    """nbr[s]: the columns of M by increasing cost along row s (ties in
    index order)."""
    k, l = M.shape
    nbr = np.empty((k, l), np.int64)
    for s in range(k):
        nbr[s] = np.argsort(M[s], kind="mergesort")
    return nbr


@njit(**_OPTS)
def row_arcs(arc_s, arc_t, loc_a, ws):
    """The sorted arcs whose source bin s is positive (loc_a[s] >= 0),
    stored in ws.arc_x (source index) and ws.arc_t (bin of V); returns how
    many."""
    count = 0
    for q in range(arc_s.shape[0]):
        x = loc_a[arc_s[q]]
        if x >= 0:
            ws.arc_x[count] = x
            ws.arc_t[count] = arc_t[q]
            count += 1
    return count


@njit(**_OPTS)
def greedy_forest(a, b, n_arcs, ws, idx_a, nbr, tail_rows):
    """The minimum-cost greedy plan of masses a (n,) against b (m,) over the
    first n_arcs arcs of the row (ws.loc_b maps bins of V to sinks), until
    at most `tail_rows` sources have mass left; those then send theirs
    along their own arcs in increasing cost (nbr[s]: the bins of V by cost
    from bin s = idx_a[x]), which skips the long tail of the row's arcs
    whose source is already empty.  Either way every arc taken empties a
    source or a sink, so the arcs form a forest.  Writes the forest arcs to
    ws.ex, ws.ey, ws.ef and the masses left (rounding) to ws.rem_a,
    ws.rem_b; returns the number of arcs."""
    n = a.shape[0]
    m = b.shape[0]
    rem_a, rem_b, loc_b = ws.rem_a, ws.rem_b, ws.loc_b
    arc_x, arc_t = ws.arc_x, ws.arc_t
    ex, ey, ef = ws.ex, ws.ey, ws.ef
    for x in range(n):
        rem_a[x] = a[x]
    for y in range(m):
        rem_b[y] = b[y]
    rows_left = n
    cols_left = m
    E = 0
    for q in range(n_arcs):
        x = arc_x[q]
        ra = rem_a[x]
        if ra <= 0.0:
            continue
        y = loc_b[arc_t[q]]
        if y < 0:
            continue
        rb = rem_b[y]
        if rb <= 0.0:
            continue
        if ra <= rb:
            f = ra
            rem_a[x] = 0.0
            rows_left -= 1
            rb -= f
            rem_b[y] = rb
            if rb <= 0.0:
                rem_b[y] = 0.0
                cols_left -= 1
        else:
            f = rb
            rem_b[y] = 0.0
            cols_left -= 1
            rem_a[x] = ra - f
        ex[E] = x
        ey[E] = y
        ef[E] = f
        E += 1
        if rows_left <= tail_rows or cols_left == 0:
            break
    if rows_left == 0 or cols_left == 0:
        return E
    for x in range(n):
        ra = rem_a[x]
        if ra <= 0.0:
            continue
        order = nbr[idx_a[x]]
        for q in range(order.shape[0]):
            y = loc_b[order[q]]
            if y < 0:
                continue
            rb = rem_b[y]
            if rb <= 0.0:
                continue
            if ra <= rb:
                f = ra
                rb -= f
                rem_b[y] = rb if rb > 0.0 else 0.0
                ra = 0.0
            else:
                f = rb
                rem_b[y] = 0.0
                ra -= f
            ex[E] = x
            ey[E] = y
            ef[E] = f
            E += 1
            if ra <= 0.0:
                break
        rem_a[x] = ra
    return E


@njit(**_OPTS)
def forest_basis(n, m, E, M, art_cost, ws):
    """The strongly feasible `SimplexTree` (views into ws.tree) of the
    forest ws.ex/ey/ef[:E] on n sources and m sinks (costs M (n, m)), hung
    from the root N = n + m as the module docstring says."""
    N = n + m
    root = N
    full = ws.tree
    tree = SimplexTree(full.parent[: N + 1], full.pred[: N + 1],
                       full.pred_cost[: N + 1], full.up[: N + 1],
                       full.flow[: N + 1], full.thread[: N + 1],
                       full.rev_thread[: N + 1], full.succ_num[: N + 1],
                       full.last_succ[: N + 1], full.pi[: N + 1],
                       full.stem[: N + 1], full.seg_a[: 2 * N + 2],
                       full.seg_b[: 2 * N + 2])
    parent, pred, pred_cost, up, flow = (tree.parent, tree.pred, tree.pred_cost,
                                         tree.up, tree.flow)
    thread, rev_thread, succ_num, last_succ, pi = (
        tree.thread, tree.rev_thread, tree.succ_num, tree.last_succ, tree.pi)
    ex, ey, ef = ws.ex, ws.ey, ws.ef
    first, adj, order, stack = ws.first, ws.adj, ws.order, ws.stack
    # adjacency of the forest: node w's arcs are adj[first[w]:first[w + 1]]
    for w in range(N + 2):
        first[w] = 0
    for e in range(E):
        first[ex[e] + 2] += 1
        first[n + ey[e] + 2] += 1
    for w in range(2, N + 2):
        first[w] += first[w - 1]
    for e in range(E):
        w = ex[e]
        adj[first[w + 1]] = e
        first[w + 1] += 1
        w = n + ey[e]
        adj[first[w + 1]] = e
        first[w + 1] += 1
    for w in range(N):
        parent[w] = -2  # not reached yet
    parent[root] = -1
    pred[root] = -1 - root
    pi[root] = 0.0
    order[0] = root
    count = 1
    # one tree of the forest after another, sinks first, in preorder
    for h0 in range(N):
        h = h0 + n if h0 < m else h0 - m
        if parent[h] != -2:
            continue
        parent[h] = root
        pred[h] = -1 - h
        if h >= n:  # root -> sink, the artificial cost
            up[h] = -1
            pred_cost[h] = art_cost
            flow[h] = ws.rem_b[h - n]
            pi[h] = art_cost
        else:  # a lone source: source -> root, cost 0
            up[h] = 1
            pred_cost[h] = 0.0
            flow[h] = ws.rem_a[h]
            pi[h] = 0.0
        sp = 0
        stack[sp] = h
        sp += 1
        while sp > 0:
            sp -= 1
            w = stack[sp]
            order[count] = w
            count += 1
            for q in range(first[w], first[w + 1]):
                e = adj[q]
                x = ex[e]
                y = n + ey[e]
                c = y if w == x else x  # the other end
                if c == parent[w]:
                    continue
                parent[c] = w
                pred[c] = ex[e] * m + ey[e]
                cost = M[ex[e], ey[e]]
                pred_cost[c] = cost
                flow[c] = ef[e]
                if c == x:  # arc c -> w, towards the root
                    up[c] = 1
                    pi[c] = pi[w] - cost
                else:  # arc w -> c, away from the root
                    up[c] = -1
                    pi[c] = pi[w] + cost
                stack[sp] = c
                sp += 1
    # thread = the preorder as a cycle; subtree sizes and last successors
    for q in range(N + 1):
        w = order[q]
        nxt = order[q + 1] if q < N else root
        thread[w] = nxt
        rev_thread[nxt] = w
        succ_num[w] = 1
    for q in range(N, 0, -1):
        w = order[q]
        succ_num[parent[w]] += succ_num[w]
    # last successor: the node succ_num - 1 places after w in the preorder;
    # order[q] -> position q, kept in stack (free again)
    for q in range(N + 1):
        stack[order[q]] = q
    for w in range(N + 1):
        last_succ[w] = order[stack[w] + succ_num[w] - 1]
    return tree


@njit(**_OPTS)
def solve_from_forest(a, b, M, E, max_pivots, art_cost, tol, block_rows, ws):
    """The network simplex on the complete bipartite graph of M (n, m) from
    the greedy forest of `greedy_forest` (E arcs).  Returns (tree, n_pivots,
    status) like `transport._simplex._simplex_kernels.solve_dense_kernel`:
    flows and potentials of the final tree recomputed drift-free."""
    n, m = M.shape
    N = n + m
    supply = ws.supply[:N]
    for x in range(n):
        supply[x] = a[x]
    for y in range(m):
        supply[n + y] = -b[y]
    tree = forest_basis(n, m, E, M, art_cost, ws)
    # the greedy forest is near-optimal: full blocks from the first pivot
    n_iter, status = pivot_dense(M, tree, max_pivots, tol, block_rows, block_rows)
    refresh_flows(supply, tree)
    refresh_potentials(tree)
    return tree, n_iter, status
