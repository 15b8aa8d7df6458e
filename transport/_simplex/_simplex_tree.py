"""The network simplex's basis: a spanning tree, named, built in one place.

The basis of the uncapacitated min-cost flow on nodes 0..N-1 is a spanning
tree on those nodes plus an artificial root N.  Every node u stores the tree
arc to its parent, so memory beyond the arcs is O(N) (non-tree arcs carry no
flow in an uncapacitated problem and need no state).  `SimplexTree` names
the arrays:

* ``parent``, ``pred`` (the arc's index, negative for artificial arcs),
  ``pred_cost``, ``up`` (+1: the arc goes u -> parent, -1: parent -> u),
  ``flow``;
* ``thread`` / ``rev_thread``: a preorder of the tree as a doubly linked
  cycle through the root;
* ``succ_num`` (subtree size) and ``last_succ`` (last node of the subtree in
  preorder), so a subtree is a contiguous run of the thread;
* ``pi``: node potentials, c_e + pi_s - pi_t = 0 on tree arcs;
* ``stem``, ``seg_a``, ``seg_b``: workspaces of the pivot.

`empty_tree` allocates every tree; `artificial_tree` (all nodes hang from the
root) and `forest_tree` (a feasible plan whose support is a forest: the
multiscale warm start) fill it.  Both starts are strongly feasible (every
arc without flow points away from the root), which the pivot rule in
`transport._simplex._simplex_kernels` keeps.  Kernels validate nothing.
"""

from collections import namedtuple

import numpy as np
from numba import njit

__all__ = ["SimplexTree", "empty_tree", "artificial_tree", "forest_tree",
           "refresh_potentials", "refresh_flows"]

SimplexTree = namedtuple(
    "SimplexTree",
    "parent pred pred_cost up flow thread rev_thread succ_num last_succ pi "
    "stem seg_a seg_b",
)

_OPTS = dict(cache=True, nogil=True)


@njit(**_OPTS)
def empty_tree(N):
    """An uninitialised `SimplexTree` for N nodes (plus the root N)."""
    return SimplexTree(
        np.empty(N + 1, np.int64),  # parent
        np.empty(N + 1, np.int64),  # pred
        np.zeros(N + 1),  # pred_cost
        np.zeros(N + 1, np.int64),  # up
        np.zeros(N + 1),  # flow
        np.empty(N + 1, np.int64),  # thread
        np.empty(N + 1, np.int64),  # rev_thread
        np.ones(N + 1, np.int64),  # succ_num
        np.empty(N + 1, np.int64),  # last_succ
        np.zeros(N + 1),  # pi
        np.empty(N + 1, np.int64),  # stem
        np.empty(2 * N + 2, np.int64),  # seg_a
        np.empty(2 * N + 2, np.int64),  # seg_b
    )


@njit(**_OPTS)
def artificial_tree(supply, art_cost):
    """Every node hangs from the root by an artificial arc: sources (supply
    >= 0) by u -> root of cost 0 carrying their supply, sinks by root -> u
    of cost `art_cost` carrying their demand.  Artificial arcs are numbered
    -1 - u."""
    N = supply.shape[0]
    root = N
    tree = empty_tree(N)
    parent, pred, pred_cost, up, flow = (tree.parent, tree.pred, tree.pred_cost,
                                         tree.up, tree.flow)
    thread, rev_thread, last_succ, pi = (tree.thread, tree.rev_thread,
                                         tree.last_succ, tree.pi)
    for u in range(N):
        parent[u] = root
        pred[u] = -1 - u
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
    tree.succ_num[root] = N + 1
    last_succ[root] = N - 1 if N > 0 else root
    return tree


@njit(**_OPTS)
def forest_tree(n, m, src, dst, flow, cost):
    """The `SimplexTree` of a transport plan whose support (src[e] -> n +
    dst[e], positive flow[e], cost[e]) is a forest.

    Each tree of the forest hangs from the root N = n + m by an artificial
    arc root -> (one of its sinks) with cost 0 and no flow; the root has no
    other arcs, so no flow can ever pass through it, and the only arcs
    without flow point away from the root: the tree is strongly feasible.
    Tree arc of node u: ``pred[u] = e``, an index into (src, dst).
    Returns (tree, status): status 0, or 1 when the support has a cycle or
    a source without arcs (then the tree is not usable).
    """
    N = n + m
    root = N
    E = src.shape[0]
    deg = np.zeros(N + 1, np.int64)
    for e in range(E):
        deg[src[e] + 1] += 1
        deg[n + dst[e] + 1] += 1
    first = np.cumsum(deg)
    fill = first[:N].copy()
    adj = np.empty(2 * E, np.int64)
    for e in range(E):
        adj[fill[src[e]]] = e
        fill[src[e]] += 1
        adj[fill[n + dst[e]]] = e
        fill[n + dst[e]] += 1
    tree = empty_tree(N)
    parent, pred, pred_cost, up, tflow = (tree.parent, tree.pred, tree.pred_cost,
                                          tree.up, tree.flow)
    parent[:] = -1
    seen = np.zeros(N + 1, np.bool_)
    pred[root] = -1 - root
    seen[root] = True
    queue = np.empty(N, np.int64)
    status = 0
    for h in range(n, N):
        if seen[h]:
            continue
        seen[h] = True
        parent[h] = root
        pred[h] = -1 - h
        up[h] = -1
        head = 0
        tail = 1
        queue[0] = h
        while head < tail:
            x = queue[head]
            head += 1
            for q in range(first[x], first[x + 1]):
                e = adj[q]
                if e == pred[x]:
                    continue
                w = src[e] if x >= n else n + dst[e]
                if seen[w]:
                    status = 1  # a cycle
                    continue
                seen[w] = True
                parent[w] = x
                pred[w] = e
                pred_cost[w] = cost[e]
                tflow[w] = flow[e]
                up[w] = 1 if w < n else -1
                queue[tail] = w
                tail += 1
    for x in range(n):
        if not seen[x]:
            status = 1
    if status == 0:
        _preorder(parent, root, tree.thread, tree.rev_thread, tree.succ_num,
                  tree.last_succ)
    return tree, status


@njit(**_OPTS)
def _preorder(parent, root, thread, rev_thread, succ_num, last_succ):
    """Fill the thread (preorder cycle through the root), subtree sizes and
    last successors of the tree given by `parent`."""
    size = parent.shape[0]
    child_count = np.zeros(size + 1, np.int64)
    for u in range(size):
        if u != root:
            child_count[parent[u] + 1] += 1
    first = np.cumsum(child_count)  # children of u: kids[first[u]:first[u+1]]
    fill = first[:size].copy()
    kids = np.empty(size, np.int64)
    for u in range(size):
        if u != root:
            p = parent[u]
            kids[fill[p]] = u
            fill[p] += 1
    order = np.empty(size, np.int64)
    stack = np.empty(size, np.int64)
    sp = 0
    stack[sp] = root
    sp += 1
    pos = 0
    while sp > 0:
        sp -= 1
        u = stack[sp]
        order[pos] = u
        pos += 1
        for c in range(first[u + 1] - 1, first[u] - 1, -1):
            stack[sp] = kids[c]
            sp += 1
    for k in range(size):
        u = order[k]
        w = order[(k + 1) % size]
        thread[u] = w
        rev_thread[w] = u
    succ_num[:] = 1
    for k in range(size - 1, 0, -1):
        u = order[k]
        succ_num[parent[u]] += succ_num[u]
    index = np.empty(size, np.int64)
    for k in range(size):
        index[order[k]] = k
    for u in range(size):
        last_succ[u] = order[index[u] + succ_num[u] - 1]


@njit(**_OPTS)
def refresh_potentials(tree):
    """Recompute pi from the tree along the preorder (no drift)."""
    parent, pred_cost, up, thread, pi = (tree.parent, tree.pred_cost, tree.up,
                                         tree.thread, tree.pi)
    root = parent.shape[0] - 1
    pi[root] = 0.0
    x = thread[root]
    while x != root:
        pi[x] = pi[parent[x]] - up[x] * pred_cost[x]
        x = thread[x]


@njit(**_OPTS)
def refresh_flows(supply, tree):
    """Recompute tree flows from the supplies, leaves first (no drift)."""
    parent, up, rev_thread, flow = tree.parent, tree.up, tree.rev_thread, tree.flow
    root = parent.shape[0] - 1
    net = np.zeros(root + 1)
    net[:root] = supply
    x = rev_thread[root]
    while x != root:
        flow[x] = up[x] * net[x]
        net[parent[x]] += net[x]
        x = rev_thread[x]
