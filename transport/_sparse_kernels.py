"""Numba kernels of the sparse (column-generation) transport solver.

* `hilbert_keys`: positions of points along a Hilbert curve (a 1-D order
  that keeps neighbours close), for the north-west-corner plan and for
  memory locality;
* `northwest_arcs`: the support of the north-west-corner plan along that
  order (a feasible plan: the candidate arcs always admit a solution);
* `refine_plan` / `forest_tree`: a coarse plan split back onto the atoms
  and turned into a strongly feasible spanning tree in the layout of
  `transport._network_simplex` (the multiscale warm start);
* `pair_costs`: costs d(x_i, y_j)^p of an arc list;
* `build_kdtree` / `refresh_node_max`: a kd-tree over the targets whose
  nodes hold their bounding box and the largest potential v_j inside;
* `scan_sources` / `scan_sources_parallel`: for every source, the exact
  minimum of c(x_i, y_j) - v_j over all targets (branch and bound on the
  kd-tree) and the few targets of smallest c(x_i, y_j) - v_j below a
  per-source threshold (the violated dual constraints);

Metric codes are those of `transport._validation.METRICS` (0 euclidean,
1 sqeuclidean, 2 cityblock, 3 chebyshev).  Kernels validate nothing.
"""

import numpy as np
from numba import njit, prange

_OPTS = dict(cache=True, nogil=True)

EUCLIDEAN = 0
SQEUCLIDEAN = 1
CITYBLOCK = 2
CHEBYSHEV = 3

#: Sources per task of the scan (a task allocates its own search stack).
SCAN_CHUNK = 256


# --------------------------------------------------------------------------
# Costs
# --------------------------------------------------------------------------
@njit(**_OPTS)
def _power(x, p):
    if p == 1.0:
        return x
    if p == 2.0:
        return x * x
    return x**p


@njit(**_OPTS)
def point_cost(X, i, Y, j, metric, p):
    """d(X[i], Y[j])^p, computed as `scipy.spatial.distance.cdist` does."""
    d = X.shape[1]
    acc = 0.0
    if metric == EUCLIDEAN or metric == SQEUCLIDEAN:
        for t in range(d):
            diff = X[i, t] - Y[j, t]
            acc += diff * diff
        if metric == EUCLIDEAN:
            acc = np.sqrt(acc)
    elif metric == CITYBLOCK:
        for t in range(d):
            acc += abs(X[i, t] - Y[j, t])
    else:
        for t in range(d):
            diff = abs(X[i, t] - Y[j, t])
            if diff > acc:
                acc = diff
    return _power(acc, p)


@njit(**_OPTS)
def _box_cost(X, i, lo, hi, node, metric, p):
    """A lower bound of d(X[i], y)^p over y in the box [lo[node], hi[node]].

    The gap to the box in each coordinate is at most |x_t - y_t| for every
    y in the box, also after rounding (floating-point subtraction, squares,
    sums and sqrt are monotone), so the bound holds for the costs that
    `point_cost` computes, not only for the exact ones.
    """
    d = X.shape[1]
    acc = 0.0
    for t in range(d):
        xt = X[i, t]
        g = 0.0
        if xt < lo[node, t]:
            g = lo[node, t] - xt
        elif xt > hi[node, t]:
            g = xt - hi[node, t]
        if metric == EUCLIDEAN or metric == SQEUCLIDEAN:
            acc += g * g
        elif metric == CITYBLOCK:
            acc += g
        elif g > acc:
            acc = g
    if metric == EUCLIDEAN:
        acc = np.sqrt(acc)
    return _power(acc, p)


@njit(**_OPTS)
def pair_costs(X, Y, src, dst, metric, p, out):
    """out[e] = d(X[src[e]], Y[dst[e]])^p."""
    for e in range(src.shape[0]):
        out[e] = point_cost(X, src[e], Y, dst[e], metric, p)


# --------------------------------------------------------------------------
# Hilbert order
# --------------------------------------------------------------------------
@njit(**_OPTS)
def hilbert_keys(P, lo, span, bits):
    """Hilbert-curve index of each point of P (n, d) on a 2^bits grid per axis.

    Coordinates are mapped to integers on the box [lo, lo + span]; the index
    is computed with Skilling's transposed-axes form of the curve (J.
    Skilling, "Programming the Hilbert curve", AIP Conf. Proc. 707, 2004);
    ``d * bits`` must not exceed 63.  For d = 1 the key is the grid cell.
    """
    n, d = P.shape
    keys = np.empty(n, np.int64)
    top = (1 << bits) - 1
    xs = np.empty(d, np.int64)
    for k in range(n):
        for t in range(d):
            if span[t] > 0.0:
                q = int((P[k, t] - lo[t]) / span[t] * top)
            else:
                q = 0
            xs[t] = min(max(q, 0), top)
        if d == 1:
            keys[k] = xs[0]
            continue
        # Inverse undo.
        q = 1 << (bits - 1)
        while q > 1:
            mask = q - 1
            for t in range(d):
                if xs[t] & q:
                    xs[0] ^= mask
                else:
                    swap = (xs[0] ^ xs[t]) & mask
                    xs[0] ^= swap
                    xs[t] ^= swap
            q >>= 1
        # Gray encode.
        for t in range(1, d):
            xs[t] ^= xs[t - 1]
        flip = 0
        q = 1 << (bits - 1)
        while q > 1:
            if xs[d - 1] & q:
                flip ^= q - 1
            q >>= 1
        for t in range(d):
            xs[t] ^= flip
        # Interleave the transposed bits, most significant first.
        key = 0
        for bit in range(bits - 1, -1, -1):
            for t in range(d):
                key = (key << 1) | ((xs[t] >> bit) & 1)
        keys[k] = key
    return keys


# --------------------------------------------------------------------------
# North-west-corner plan
# --------------------------------------------------------------------------
@njit(**_OPTS)
def northwest_arcs(a, b):
    """Support of the north-west-corner plan of positive masses a, b.

    Walks sources and sinks in their given order, moving to the next sink
    when the current one is full and to the next source when it is empty
    (the last source and sink absorb what rounding leaves over).  Returns
    (src, dst): the n + m - 1 pairs of a feasible plan, a staircase.
    """
    n = a.shape[0]
    m = b.shape[0]
    src = np.empty(n + m - 1, np.int64)
    dst = np.empty(n + m - 1, np.int64)
    i = 0
    j = 0
    ra = a[0]
    rb = b[0]
    for e in range(n + m - 1):
        src[e] = i
        dst[e] = j
        f = min(ra, rb)
        ra -= f
        rb -= f
        if i == n - 1 or (j < m - 1 and rb <= 0.0):
            j += 1
            if j < m:
                rb = b[j]
        else:
            i += 1
            ra = a[i]
    return src, dst


# --------------------------------------------------------------------------
# Warm start from a coarse plan
# --------------------------------------------------------------------------
@njit(**_OPTS)
def _split(r_rem, c_rem, last_r, last_c):
    """Amount moved between a row and a column entry by the north-west
    rule in which the last row takes all the columns left and the last
    column all the rows left (so rounding never strands mass)."""
    if last_r and last_c:
        g = r_rem
    elif last_r:
        g = c_rem
    elif last_c:
        g = r_rem
    else:
        g = min(r_rem, c_rem)
    return max(g, 0.0)


@njit(**_OPTS)
def refine_plan(I, J, F, G, a, b):
    """A fine plan from a coarse one: clusters of G consecutive atoms.

    (I, J, F) is a coarse plan with positive flows whose support is a
    forest, sorted by I then J; cluster I holds the fine sources
    I*G .. I*G+G-1 (fewer in the last), likewise for J.  The flow of each
    coarse source is split among its atoms and then that of each coarse
    target among its atoms, both by the north-west rule; the result's
    support is again a forest (each coarse star is replaced by a
    staircase tree).  Returns (src, dst, flow, count): arcs with positive
    flow in ``[:count]``.
    """
    n = a.shape[0]
    m = b.shape[0]
    K = I.shape[0]
    # stage 1: pieces (fine source i, coarse target J, amount)
    cap1 = K + n
    pi_ = np.empty(cap1, np.int64)
    pJ = np.empty(cap1, np.int64)
    pg = np.empty(cap1)
    npc = 0
    k = 0
    while k < K:
        c = I[k]
        kend = k
        while kend < K and I[kend] == c:
            kend += 1
        i = c * G
        i_end = min(i + G, n)
        kk = k
        ra = a[i]
        rf = F[kk]
        while True:
            last_i = i == i_end - 1
            last_k = kk == kend - 1
            g = _split(ra, rf, last_i, last_k)
            if g > 0.0:
                pi_[npc] = i
                pJ[npc] = J[kk]
                pg[npc] = g
                npc += 1
            ra -= g
            rf -= g
            if last_i and last_k:
                break
            if last_k or (not last_i and ra <= 0.0):
                i += 1
                ra = a[i]
            else:
                kk += 1
                rf = F[kk]
        k = kend
    # stage 2: pieces grouped by coarse target, split among its atoms
    order = np.argsort(pJ[:npc], kind="mergesort")
    cap2 = npc + m
    src = np.empty(cap2, np.int64)
    dst = np.empty(cap2, np.int64)
    flow = np.empty(cap2)
    count = 0
    k = 0
    while k < npc:
        c = pJ[order[k]]
        kend = k
        while kend < npc and pJ[order[kend]] == c:
            kend += 1
        j = c * G
        j_end = min(j + G, m)
        kk = k
        rb = b[j]
        rf = pg[order[kk]]
        while True:
            last_j = j == j_end - 1
            last_k = kk == kend - 1
            g = _split(rb, rf, last_j, last_k)
            if g > 0.0:
                src[count] = pi_[order[kk]]
                dst[count] = j
                flow[count] = g
                count += 1
            rb -= g
            rf -= g
            if last_j and last_k:
                break
            if last_k or (not last_j and rb <= 0.0):
                j += 1
                rb = b[j]
            else:
                kk += 1
                rf = pg[order[kk]]
        k = kend
    return src, dst, flow, count


@njit(**_OPTS)
def forest_tree(n, m, src, dst, flow, cost):
    """Spanning tree (layout of `_network_simplex.init_tree`) of a plan
    whose support (src[e] -> n + dst[e], positive flow[e]) is a forest.

    Each tree of the forest hangs from the root N = n + m by an artificial
    arc root -> (one of its sinks) with cost 0 and no flow; the root has no
    other arcs, so no flow can ever pass through it, and the only arcs
    without flow point away from the root: the tree is strongly feasible.
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
    parent = np.full(N + 1, -1, np.int64)
    pred = np.empty(N + 1, np.int64)
    pred_cost = np.zeros(N + 1)
    up = np.zeros(N + 1, np.int64)
    tflow = np.zeros(N + 1)
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
    if status != 0:
        return None, status
    thread, rev_thread, succ_num, last_succ = _preorder(parent, root)
    pi = np.zeros(N + 1)
    stem = np.empty(N + 1, np.int64)
    seg_a = np.empty(2 * N + 2, np.int64)
    seg_b = np.empty(2 * N + 2, np.int64)
    tree = (parent, pred, pred_cost, up, tflow, thread, rev_thread, succ_num,
            last_succ, pi, stem, seg_a, seg_b)
    return tree, status


@njit(**_OPTS)
def _preorder(parent, root):
    """Thread (preorder cycle through the root), subtree sizes and last
    successors of the tree given by `parent`."""
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
    thread = np.empty(size, np.int64)
    rev_thread = np.empty(size, np.int64)
    for k in range(size):
        u = order[k]
        w = order[(k + 1) % size]
        thread[u] = w
        rev_thread[w] = u
    succ_num = np.ones(size, np.int64)
    for k in range(size - 1, 0, -1):
        u = order[k]
        succ_num[parent[u]] += succ_num[u]
    index = np.empty(size, np.int64)
    for k in range(size):
        index[order[k]] = k
    last_succ = np.empty(size, np.int64)
    for u in range(size):
        last_succ[u] = order[index[u] + succ_num[u] - 1]
    return thread, rev_thread, succ_num, last_succ


# --------------------------------------------------------------------------
# kd-tree with the largest potential per node
# --------------------------------------------------------------------------
@njit(**_OPTS)
def build_kdtree(P, leaf_size):
    """kd-tree over the points P (m, d): median splits on the widest side.

    Returns (perm, lo, hi, left, right, start, end): node k covers the points
    ``perm[start[k]:end[k]]`` inside the box [lo[k], hi[k]] (tight);
    ``left[k] < 0`` marks a leaf.  Nodes are numbered parent before child,
    node 0 is the root.
    """
    m, d = P.shape
    cap = 1
    while cap * leaf_size < m:
        cap *= 2
    cap = 4 * cap + 1
    perm = np.arange(m)
    lo = np.empty((cap, d))
    hi = np.empty((cap, d))
    left = np.full(cap, -1, np.int64)
    right = np.full(cap, -1, np.int64)
    start = np.empty(cap, np.int64)
    end = np.empty(cap, np.int64)
    stack = np.empty(cap, np.int64)
    start[0] = 0
    end[0] = m
    n_nodes = 1
    sp = 1
    stack[0] = 0
    keys = np.empty(m)
    while sp > 0:
        sp -= 1
        k = stack[sp]
        s = start[k]
        e = end[k]
        for t in range(d):
            lo[k, t] = np.inf
            hi[k, t] = -np.inf
        for q in range(s, e):
            for t in range(d):
                x = P[perm[q], t]
                if x < lo[k, t]:
                    lo[k, t] = x
                if x > hi[k, t]:
                    hi[k, t] = x
        if e - s <= leaf_size:
            continue
        dim = 0
        for t in range(1, d):
            if hi[k, t] - lo[k, t] > hi[k, dim] - lo[k, dim]:
                dim = t
        if hi[k, dim] <= lo[k, dim]:
            continue  # all points identical: a leaf, whatever its size
        for q in range(s, e):
            keys[q] = P[perm[q], dim]
        order = np.argsort(keys[s:e], kind="mergesort")
        seg = perm[s:e].copy()
        for q in range(e - s):
            perm[s + q] = seg[order[q]]
        mid = s + (e - s) // 2
        left[k] = n_nodes
        right[k] = n_nodes + 1
        start[n_nodes] = s
        end[n_nodes] = mid
        start[n_nodes + 1] = mid
        end[n_nodes + 1] = e
        stack[sp] = n_nodes + 1
        stack[sp + 1] = n_nodes
        sp += 2
        n_nodes += 2
    return (perm, lo[:n_nodes].copy(), hi[:n_nodes].copy(), left[:n_nodes].copy(),
            right[:n_nodes].copy(), start[:n_nodes].copy(), end[:n_nodes].copy())


@njit(**_OPTS)
def tree_depth(left, right):
    """Number of edges on the longest root-to-leaf path."""
    level = np.zeros(left.shape[0], np.int64)
    deepest = 0
    for k in range(left.shape[0]):  # parents come before children
        if left[k] >= 0:
            level[left[k]] = level[k] + 1
            level[right[k]] = level[k] + 1
        elif level[k] > deepest:
            deepest = level[k]
    return deepest


@njit(**_OPTS)
def refresh_node_max(values, left, right, start, end, node_max):
    """node_max[k] = max of values[start[k]:end[k]] (values in tree order),
    children before parents."""
    for k in range(left.shape[0] - 1, -1, -1):
        if left[k] < 0:
            best = -np.inf
            for q in range(start[k], end[k]):
                if values[q] > best:
                    best = values[q]
            node_max[k] = best
        else:
            node_max[k] = max(node_max[left[k]], node_max[right[k]])


# --------------------------------------------------------------------------
# All-pairs dual scan
# --------------------------------------------------------------------------
@njit(**_OPTS)
def _is_point(lo, hi, node):
    for t in range(lo.shape[1]):
        if lo[node, t] != hi[node, t]:
            return False
    return True


@njit(**_OPTS)
def _scan_one(i, X, Yt, vt, perm, lo, hi, left, right, start, end, node_max,
              metric, p, thr, out_j, out_val, stack, stack_lb):
    """One source of `scan_sources`; returns (count, best)."""
    width = out_j.shape[1]
    t_i = thr[i]
    count = 0
    best = np.inf
    sp = 0
    lb = _box_cost(X, i, lo, hi, 0, metric, p) - node_max[0]
    stack[0] = 0
    stack_lb[0] = lb
    sp = 1
    while sp > 0:
        sp -= 1
        node = stack[sp]
        # a node is needed while it may hold a smaller minimum or a pair
        # that belongs in the violator buffer
        climit = t_i if count < width else out_val[i, width - 1]
        limit = best if best > climit else climit
        if stack_lb[sp] >= limit:
            continue
        if left[node] < 0:
            if _is_point(lo, hi, node):
                # all points of the leaf coincide (the kd-tree cannot split
                # them): the bound is then the exact minimum of the leaf,
                # and only the pairs wanted in the buffer need a look
                lb = stack_lb[sp]
                if lb < best:
                    best = lb
                if lb >= climit:
                    continue
            for q in range(start[node], end[node]):
                val = point_cost(X, i, Yt, q, metric, p) - vt[q]
                if val < best:
                    best = val
                if val < climit:
                    pos = count if count < width else width - 1
                    while pos > 0 and out_val[i, pos - 1] > val:
                        out_val[i, pos] = out_val[i, pos - 1]
                        out_j[i, pos] = out_j[i, pos - 1]
                        pos -= 1
                    out_val[i, pos] = val
                    out_j[i, pos] = perm[q]
                    if count < width:
                        count += 1
                    climit = t_i if count < width else out_val[i, width - 1]
            continue
        l = left[node]
        r = right[node]
        lb_l = _box_cost(X, i, lo, hi, l, metric, p) - node_max[l]
        lb_r = _box_cost(X, i, lo, hi, r, metric, p) - node_max[r]
        # push the farther child first so the nearer one is searched first
        if lb_l <= lb_r:
            stack[sp] = r
            stack_lb[sp] = lb_r
            stack[sp + 1] = l
            stack_lb[sp + 1] = lb_l
        else:
            stack[sp] = l
            stack_lb[sp] = lb_l
            stack[sp + 1] = r
            stack_lb[sp + 1] = lb_r
        sp += 2
    return count, best


@njit(**_OPTS)
def _scan_task(task, X, Yt, vt, perm, lo, hi, left, right, start, end,
               node_max, depth, metric, p, thr, out_j, out_val, counts, best):
    n = X.shape[0]
    # a depth-first search that pushes two children per node popped holds
    # at most depth + 1 nodes
    stack = np.empty(depth + 2, np.int64)
    stack_lb = np.empty(depth + 2)
    for i in range(task * SCAN_CHUNK, min((task + 1) * SCAN_CHUNK, n)):
        counts[i], best[i] = _scan_one(
            i, X, Yt, vt, perm, lo, hi, left, right, start, end, node_max,
            metric, p, thr, out_j, out_val, stack, stack_lb)


@njit(**_OPTS)
def scan_sources(X, Yt, vt, perm, lo, hi, left, right, start, end, node_max,
                 depth, metric, p, thr, out_j, out_val, counts, best):
    """Dual scan over all pairs without forming the cost matrix (serial).

    For every source i: ``best[i] = min_j c(x_i, y_j) - v_j`` exactly, and
    ``out_j[i, :counts[i]]`` the (at most ``out_j.shape[1]``) targets of
    smallest ``c(x_i, y_j) - v_j < thr[i]``, in increasing order (values in
    ``out_val``).  ``Yt``/``vt`` are the targets and their potentials in
    kd-tree order, ``perm`` maps tree order to target indices, ``node_max``
    the largest ``vt`` per node, ``depth`` the tree's depth (`tree_depth`).
    A node is skipped when ``dist(x_i, box)^p - node_max`` shows it holds
    neither a smaller minimum nor a wanted pair,
    so no pair is skipped that could change the result.  Returns the total
    count.
    """
    n_tasks = (X.shape[0] + SCAN_CHUNK - 1) // SCAN_CHUNK
    for task in range(n_tasks):
        _scan_task(task, X, Yt, vt, perm, lo, hi, left, right, start, end,
                   node_max, depth, metric, p, thr, out_j, out_val, counts, best)
    return counts.sum()


@njit(parallel=True, **_OPTS)
def scan_sources_parallel(X, Yt, vt, perm, lo, hi, left, right, start, end,
                          node_max, depth, metric, p, thr, out_j, out_val, counts,
                          best):
    """Parallel twin of `scan_sources` (blocks of sources across threads)."""
    n_tasks = (X.shape[0] + SCAN_CHUNK - 1) // SCAN_CHUNK
    for task in prange(n_tasks):
        _scan_task(task, X, Yt, vt, perm, lo, hi, left, right, start, end,
                   node_max, depth, metric, p, thr, out_j, out_val, counts, best)
    return counts.sum()
