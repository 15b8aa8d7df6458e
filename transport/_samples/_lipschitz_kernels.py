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

from .._core._metrics import EUCLIDEAN, SMALL_SQUARED, distance

_OPTS = dict(cache=True, nogil=True)

#: |f_i - f_j| or a squared-distance lower bound below this goes straight to
#: the direct formula (their squares could underflow in the bracket tests).
_TINY = 2.0**-400

#: Relative margin of the comparisons made on squares (see `_direct_row`).
_MARGIN = 1e-12


@njit(**_OPTS)
def _plain_row(Z, f, i, metric, unit, best, arg, viol):
    """`_direct_row` with a division per pair (cityblock, chebyshev: no
    square root to save, and the tests on squares measured slower)."""
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
def _euclidean_row(Z, f, i, metric, unit, best, arg, viol):
    """`_direct_row` for the euclidean metric: the comparisons with the best
    ratio so far and with 1 are first made on squares (the sum of squares
    against df^2: no square root, no division) with a relative margin of
    1e-12, far above their rounding; only a pair they cannot decide gets
    its ratio by the direct formula (`distance`, the same sum)."""
    fi = f[i]
    b = best[i]
    a = arg[i]
    count = 0
    lo, hi = 1.0 - _MARGIN, 1.0 + _MARGIN
    unit2 = unit * unit
    for j in range(i + 1, Z.shape[0]):
        df = abs(fi - f[j])
        if df == 0.0:  # equal values (identical duplicates included): ratio 0
            continue
        acc = 0.0
        for t in range(Z.shape[1]):
            diff = Z[i, t] - Z[j, t]
            acc += diff * diff
        if acc >= SMALL_SQUARED and df >= _TINY:
            q = df * df
            if q < b * b * acc * lo:  # ratio below the best: only the violation
                if q > unit2 * acc * hi:
                    count += 1
                    continue
                if q < unit2 * acc * lo:
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
def _direct_row(Z, f, i, metric, unit, best, arg, viol):
    """Pairs (i, j), j > i, by the direct formula; updates row i's outputs."""
    if metric == EUCLIDEAN:
        _euclidean_row(Z, f, i, metric, unit, best, arg, viol)
    else:
        _plain_row(Z, f, i, metric, unit, best, arg, viol)


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
def _block_row(G, sI, sJ, fI, fJ, ZI, ZJ, i, j0, start_j, metric, c, c0, m2, T, unit,
               best, arg, viol):
    """One row of a block of pairs (see `scan_block`)."""
    fi = fI[i]
    si = sI[i]
    nJ = G.shape[1]
    # t: the largest ratio found so far (by the direct formula), raised as
    # the row goes: only records are recomputed, a few per row
    b = best[i]
    a = arg[i]
    t2 = max(T * T, b * b)
    unit2 = unit * unit
    tu = min(t2, unit2)
    count = 0
    for j in range(start_j, nJ):
        df = abs(fi - fJ[j])
        s = si + sJ[j]
        d2 = s - 2.0 * G[i, j]
        err = c * s + c0
        lo2 = d2 - err
        df2m = df * df * m2
        # the common case, decided on the bracket alone: the ratio is below
        # t and below 1 (no violation)
        if df >= _TINY and lo2 >= _TINY and df2m < lo2 * tu:
            continue
        if df == 0.0:
            continue
        hi2 = d2 + err
        small = df < _TINY or lo2 < _TINY
        # is the ratio possibly >= t, or its comparison with 1 undecided?
        candidate = small or df2m >= t2 * lo2
        undecided = small or not (df * df > hi2 * m2 * unit2 or df2m < lo2 * unit2)
        if not (candidate or undecided):
            if df * df > hi2 * unit2:
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
                tu = min(t2, unit2)
    best[i] = b
    arg[i] = a
    viol[i] += count


@njit(**_OPTS)
def scan_block(G, sI, sJ, fI, fJ, ZI, ZJ, j0, diagonal, metric, c, c0, m2, T, unit, best,
               arg, viol):
    """The pairs (i, j) of rows ZI and columns ZJ (serial); j > i only when
    `diagonal` (the same block on both sides).

    G[i, j] is the computed dot product ZI[i] . ZJ[j], sI, sJ the computed
    squared norms; c (s_i + s_j) + c0 bounds the error of s_i + s_j - 2 G_ij
    as d^2; m2 >= 1 covers the rounding of the direct formula; T is a ratio
    some pair attains (0 to start); a violation is |f_i - f_j| > unit d_ij.
    Row outputs as in `scan_direct`, the partner as ``j0 + j``.
    """
    for i in range(G.shape[0]):
        _block_row(G, sI, sJ, fI, fJ, ZI, ZJ, i, j0, i + 1 if diagonal else 0,
                   metric, c, c0, m2, T, unit, best, arg, viol)


@njit(parallel=True, **_OPTS)
def scan_block_parallel(G, sI, sJ, fI, fJ, ZI, ZJ, j0, diagonal, metric, c, c0, m2, T,
                        unit, best, arg, viol):
    """Parallel twin of `scan_block` (rows split across threads)."""
    for i in prange(G.shape[0]):
        _block_row(G, sI, sJ, fI, fJ, ZI, ZJ, i, j0, i + 1 if diagonal else 0,
                   metric, c, c0, m2, T, unit, best, arg, viol)
