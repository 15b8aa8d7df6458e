"""Numba kernels of the Lipschitz scan: max |f_i - f_j| / d(z_i, z_j) over
all pairs i < j of a point set, and the pairs where |f_i - f_j| > d.

Two ways through the pairs, both exact (the ratio of every pair that could
be the largest is computed by the direct formula `distance`):

* `scan_direct`: every pair by the direct formula (any metric, any d);
* `scan_block`: one block of pairs whose euclidean squared distances come
  from a matrix product, G = Z_I Z_J^T, computed by the caller (BLAS):
  d^2 ~ s_i + s_j - 2 G_ij with s_i = |z_i|^2.  That value is within
  ``err = c (s_i + s_j)`` of the true d^2 (the classical bound on a
  floating-point dot product, see `transport._samples._lipschitz`), which
  brackets each ratio; only pairs whose upper bound reaches the best ratio
  found so far -- or whose comparison with 1 the bracket cannot decide --
  get their distance recomputed by the direct formula.

Each has a ``parallel=True`` twin over rows, compiled once at module level.
Outputs are per row (best ratio, its partner, violation count), so rows
never share a write.  Kernels validate nothing; ``metric`` is a code of
`transport._core._metrics.METRICS`.
"""

import numpy as np
from numba import njit, prange

from .._core._metrics import distance

_OPTS = dict(cache=True, nogil=True)

#: |f_i - f_j| or a squared-distance lower bound below this goes straight to
#: the direct formula (their squares could underflow in the bracket tests).
_TINY = 2.0**-400


@njit(**_OPTS)
def _direct_row(Z, f, i, metric, unit, best, arg, viol):
    """Pairs (i, j), j > i, by the direct formula; updates row i's outputs."""
    fi = f[i]
    b = best[i]
    a = arg[i]
    count = 0
    for j in range(i + 1, Z.shape[0]):
        df = abs(fi - f[j])
        if df == 0.0:  # equal values (identical duplicates included): ratio 0
            continue
        d = distance(Z, i, Z, j, metric)
        r = df / d if d > 0.0 else np.inf
        if d == 0.0 or df > d * unit:
            count += 1
        if r > b:
            b = r
            a = j
    best[i] = b
    arg[i] = a
    viol[i] += count


@njit(**_OPTS)
def scan_direct(Z, f, metric, unit, best, arg, viol):
    """All pairs i < j of Z by the direct formula (serial).

    For each row i: ``best[i]`` = max(best[i], max_j>i |f_i - f_j| / d_ij)
    (inf when d_ij = 0 < |f_i - f_j|; pairs with f_i = f_j count as 0) with
    its partner in ``arg[i]``; ``viol[i]`` += the number of j > i with
    |f_i - f_j| > unit * d_ij (`unit`: 1 in the caller's units of f and Z,
    which may have been scaled apart).
    """
    for i in range(Z.shape[0]):
        _direct_row(Z, f, i, metric, unit, best, arg, viol)


@njit(parallel=True, **_OPTS)
def scan_direct_parallel(Z, f, metric, unit, best, arg, viol):
    """Parallel twin of `scan_direct`.  Row i has n - 1 - i pairs: each
    iteration takes rows k and n - 1 - k, so that the iterations weigh the
    same whatever the schedule."""
    n = Z.shape[0]
    for k in prange((n + 1) // 2):
        _direct_row(Z, f, k, metric, unit, best, arg, viol)
        if n - 1 - k != k:
            _direct_row(Z, f, n - 1 - k, metric, unit, best, arg, viol)


@njit(**_OPTS)
def _block_row(G, sI, sJ, fI, fJ, ZI, ZJ, i, j0, start_j, metric, c, m2, T, unit,
               best, arg, viol):
    """One row of a block of pairs (see `scan_block`)."""
    fi = fI[i]
    si = sI[i]
    nJ = G.shape[1]
    # t: the largest ratio found so far (by the direct formula), raised as
    # the row goes: only records are recomputed, a few per row
    t2 = max(T * T, best[i] * best[i])
    unit2 = unit * unit
    b = best[i]
    a = arg[i]
    count = 0
    for j in range(start_j, nJ):
        df = abs(fi - fJ[j])
        if df == 0.0:
            continue
        df2 = df * df
        s = si + sJ[j]
        d2 = s - 2.0 * G[i, j]
        err = c * s
        lo2 = d2 - err
        hi2 = d2 + err
        small = df < _TINY or lo2 < _TINY
        # is the ratio possibly >= t, or its comparison with 1 undecided?
        candidate = small or df2 * m2 >= t2 * lo2
        undecided = small or not (df2 > hi2 * m2 * unit2 or df2 * m2 < lo2 * unit2)
        if not (candidate or undecided):
            if df2 > hi2 * unit2:
                count += 1
            continue
        d = distance(ZI, i, ZJ, j, metric)
        if d == 0.0 or df > d * unit:
            count += 1
        r = df / d if d > 0.0 else np.inf
        if r > b:
            b = r
            a = j0 + j
            if r * r > t2:
                t2 = r * r
    best[i] = b
    arg[i] = a
    viol[i] += count


@njit(**_OPTS)
def scan_block(G, sI, sJ, fI, fJ, ZI, ZJ, j0, diagonal, metric, c, m2, T, unit, best, arg,
               viol):
    """The pairs (i, j) of rows ZI and columns ZJ (serial); j > i only when
    `diagonal` (the same block on both sides).

    G[i, j] is the computed dot product ZI[i] . ZJ[j], sI, sJ the computed
    squared norms; c (s_i + s_j) bounds the error of s_i + s_j - 2 G_ij as
    d^2; m2 >= 1 covers the rounding of the direct formula; T is a ratio
    some pair attains (0 to start); a violation is |f_i - f_j| > unit d_ij.
    Row outputs as in `scan_direct`, the partner as ``j0 + j``.
    """
    for i in range(G.shape[0]):
        _block_row(G, sI, sJ, fI, fJ, ZI, ZJ, i, j0, i + 1 if diagonal else 0,
                   metric, c, m2, T, unit, best, arg, viol)


@njit(parallel=True, **_OPTS)
def scan_block_parallel(G, sI, sJ, fI, fJ, ZI, ZJ, j0, diagonal, metric, c, m2, T, unit,
                        best, arg, viol):
    """Parallel twin of `scan_block` (rows split across threads)."""
    for i in prange(G.shape[0]):
        _block_row(G, sI, sJ, fI, fJ, ZI, ZJ, i, j0, i + 1 if diagonal else 0,
                   metric, c, m2, T, unit, best, arg, viol)
