"""Numba kernels for the Kantorovich-Rubinstein dual of W_1.

Three all-pairs passes over a point set, none of which stores an N x N
matrix: the search for violated Lipschitz constraints (constraint
generation), the inf-convolution repair ``f_k <- min_l f_l + d(x_k, x_l)``,
and the evaluation of the critic ``min_k f_k + d(z, x_k)`` at query points.
Each has a serial version and a ``parallel=True`` twin over rows, both
compiled once at module level.  Kernels validate nothing; the metric is the
integer code of a metric of `transport._core._metrics.METRICS` (sqeuclidean, not a
metric, is refused before it gets here).
"""

import numpy as np
from numba import njit, prange

from .._core._metrics import distance

_OPTS = dict(cache=True, nogil=True)


@njit(**_OPTS)
def _in_sorted(keys, key):
    """True when `key` occurs in the sorted int64 array `keys` (bisection)."""
    lo = 0
    hi = keys.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo < keys.shape[0] and keys[lo] == key


@njit(**_OPTS)
def _scan_row(X, f, k, metric, tol, present, out_l, out_v):
    """Worst violators l of f_k - f_l <= d(x_k, x_l) for one row k.

    Fills out_l[k, :count], out_v[k, :count] (decreasing violation) with
    up to ``out_l.shape[1]`` columns l whose violation exceeds `tol` and
    whose key ``k * N + l`` is not in `present`.  Returns their number.
    """
    n = X.shape[0]
    width = out_l.shape[1]
    count = 0
    fk = f[k]
    base = np.int64(k) * n
    for l in range(n):
        if fk - f[l] <= tol:  # d >= 0: cannot be violated (skips l == k too)
            continue
        v = fk - f[l] - distance(X, k, X, l, metric)
        if v <= tol:
            continue
        if count == width and v <= out_v[k, width - 1]:
            continue
        if _in_sorted(present, base + l):
            continue
        # insert into the row's buffer, kept in decreasing order; when the
        # buffer is full the smallest entry falls off the end
        pos = count if count < width else width - 1
        while pos > 0 and out_v[k, pos - 1] < v:
            out_v[k, pos] = out_v[k, pos - 1]
            out_l[k, pos] = out_l[k, pos - 1]
            pos -= 1
        out_v[k, pos] = v
        out_l[k, pos] = l
        if count < width:
            count += 1
    return count


@njit(**_OPTS)
def find_violations(X, f, metric, tol, present, out_l, out_v, counts):
    """Worst new violated constraints of every row (serial).

    For each k, ``out_l[k, :counts[k]]`` are the columns l with the largest
    violations ``f_k - f_l - d(x_k, x_l) > tol`` whose pair is not yet in
    `present` (sorted keys ``k * N + l``).  O(N^2 d) time, O(N) memory
    beyond the outputs.  Returns the total count.
    """
    total = 0
    for k in range(X.shape[0]):
        counts[k] = _scan_row(X, f, k, metric, tol, present, out_l, out_v)
        total += counts[k]
    return total


@njit(parallel=True, **_OPTS)
def find_violations_parallel(X, f, metric, tol, present, out_l, out_v, counts):
    """Parallel twin of `find_violations` (rows split across threads)."""
    for k in prange(X.shape[0]):
        counts[k] = _scan_row(X, f, k, metric, tol, present, out_l, out_v)
    total = 0
    for k in range(X.shape[0]):
        total += counts[k]
    return total


@njit(**_OPTS)
def _inf_conv_one(Z, i, X, f, metric):
    best = np.inf
    for l in range(X.shape[0]):
        v = f[l] + distance(Z, i, X, l, metric)
        if v < best:
            best = v
    return best


@njit(**_OPTS)
def inf_convolution(Z, X, f, metric, out):
    """out[i] = min_l f[l] + d(Z[i], X[l]) (serial).

    With Z = X this is the repair step (exactly 1-Lipschitz result, never
    above f); with other Z it evaluates the McShane extension of f.
    """
    for i in range(Z.shape[0]):
        out[i] = _inf_conv_one(Z, i, X, f, metric)


@njit(parallel=True, **_OPTS)
def inf_convolution_parallel(Z, X, f, metric, out):
    """Parallel twin of `inf_convolution` (queries split across threads)."""
    for i in prange(Z.shape[0]):
        out[i] = _inf_conv_one(Z, i, X, f, metric)
