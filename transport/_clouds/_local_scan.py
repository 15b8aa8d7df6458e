"""Violated dual constraints near the current spanning tree (numba kernel).

Between two exact scans of all pairs (`transport._clouds._kdscan`), the sparse
solver looks for violated pairs where they are most likely: next to the
arcs of the simplex's current tree.  For every tree arc (i, j) it prices
the pairs (i, j') for the targets j' nearest to y_j and (i', j) for the
sources i' nearest to x_i.  This costs O(tree arcs x neighbours), not a
search, and proves nothing: only an exact scan that finds no violation
ends the solve.
"""

import numpy as np
from numba import njit

from .._core._metrics import cost

__all__ = ["tree_violations"]

_OPTS = dict(cache=True, nogil=True)


@njit(**_OPTS)
def _record(i, j, c, count, out_src, out_dst, out_cost):
    """Pair number `count` into the buffers, if they have room; count + 1."""
    if count < out_src.shape[0]:
        out_src[count] = i
        out_dst[count] = j
        out_cost[count] = c
    return count + 1


@njit(**_OPTS)
def tree_violations(X, Y, u, v, tol, tree_src, tree_dst, nbr_x, nbr_y, metric, p,
                    out_src, out_dst, out_cost):
    """Pairs near the tree arcs (tree_src[e], tree_dst[e]) with
    c - u_i - v_j < -tol, written to out_* (duplicates possible) up to
    their length; returns how many were found (may exceed the length)."""
    count = 0
    for e in range(tree_src.shape[0]):
        i = tree_src[e]
        j = tree_dst[e]
        for t in range(nbr_y.shape[1]):  # (i, targets next to j)
            jj = nbr_y[j, t]
            if jj == j:
                continue
            c = cost(X, i, Y, jj, metric, p)
            if c - u[i] - v[jj] < -tol:
                count = _record(i, jj, c, count, out_src, out_dst, out_cost)
        for t in range(nbr_x.shape[1]):  # (sources next to i, j)
            ii = nbr_x[i, t]
            if ii == i:
                continue
            c = cost(X, ii, Y, j, metric, p)
            if c - u[ii] - v[j] < -tol:
                count = _record(ii, j, c, count, out_src, out_dst, out_cost)
    return count
