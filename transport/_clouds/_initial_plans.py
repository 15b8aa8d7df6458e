"""Feasible starting plans for the sparse solver (numba kernels).

* `northwest_arcs`: the support of the north-west-corner plan along a given
  order of sources and sinks (a staircase of n + m - 1 arcs): a feasible
  plan, so the candidate arcs always admit a solution;
* `refine_plan`: a plan between clusters of consecutive atoms split back
  onto the atoms, again a feasible plan whose support is a forest (the
  coarse-to-fine start; `transport._simplex._simplex_tree.forest_tree` turns it
  into the simplex's first spanning tree).

Kernels validate nothing.
"""

import numpy as np
from numba import njit

__all__ = ["northwest_arcs", "refine_plan"]

_OPTS = dict(cache=True, nogil=True)


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
