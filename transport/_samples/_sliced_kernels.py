"""Kernels of the sliced distance: one sort per projection, two merges.

For each direction the projections of both samples are sorted once (the
stable sort of `_line._packed_sort`, by our radix sort, keeping the index),
and the sorted orders serve twice:

* the 1-D distance of the projections, by the merge kernels of the 1-D
  distance (`_line._quantile_merge`) on the sorted values, with the same
  operations in the same order as `wasserstein_1d`;
* the cost in the full space of the monotone coupling of the two sorted
  orders (the north-west-corner plan of the 1-D problem, taken back to the
  points): sum over its segments of the mass times |x_i - y_j|^p, the
  points' distance computed directly from their coordinates, so no n x m
  matrix is formed.

The work is spread over directions: task t of T takes directions t, t + T,
..., with its own scratch arrays.  `sliced_block` runs the tasks one after
another, `sliced_block_parallel` (its twin) across threads; both give the
same numbers.  Kernels validate nothing and raise nothing.
"""

import numpy as np
from numba import njit, prange

from .._line._float_keys import KERNEL, low_mask
from .._line._packed_sort import RUN_MARKS, find_runs, sort_runs
from .._line._quantile_merge import (
    breakpoints,
    quantile_merge_uniform,
    quantile_merge_weighted,
    weighted_segments,
)
from .._line._radix_sort import radix_sort_packed_into

__all__ = ["sliced_block", "sliced_block_parallel"]


@njit(**KERNEL)
def _order(x, bits, keys, other, marks, order):
    """order = the stable argsort of x (finite), through packed keys."""
    packed = radix_sort_packed_into(x, bits, keys, other)
    count = find_runs(packed, bits, marks)
    if count:
        sort_runs(packed, x, bits, marks, count)
    low = low_mask(bits)
    for k in range(x.shape[0]):
        order[k] = np.int64(packed[k] & low)


@njit(**KERNEL)
def _ground(X, i, Y, j, p):
    """|X[i] - Y[j]|^p (Euclidean), from the coordinates.  Four partial
    sums break the chain of additions (any order has the same error bound,
    (d - 1) u relative for the sum of squares)."""
    d = X.shape[1]
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    k = 0
    while k + 4 <= d:
        t0 = X[i, k] - Y[j, k]
        t1 = X[i, k + 1] - Y[j, k + 1]
        t2 = X[i, k + 2] - Y[j, k + 2]
        t3 = X[i, k + 3] - Y[j, k + 3]
        s0 += t0 * t0
        s1 += t1 * t1
        s2 += t2 * t2
        s3 += t3 * t3
        k += 4
    while k < d:
        t0 = X[i, k] - Y[j, k]
        s0 += t0 * t0
        k += 1
    s = (s0 + s1) + (s2 + s3)
    if p == 2.0:
        return s
    r = np.sqrt(s)
    if p == 1.0:
        return r
    return r**p


@njit(**KERNEL)
def _uniform_segments(ox, oy, sa, sb, sm):
    """The monotone coupling of uniform atoms in the sorted orders ox, oy
    as segments: atom sa[k] of P, sb[k] of Q, mass sm[k].  The breakpoints
    i/n and j/m are compared exactly in integers (units of 1/(n m), as in
    `quantile_merge_uniform`), so each mass is one rounding of an exact
    rational.  Returns the number of segments (<= n + m - 1)."""
    n = ox.shape[0]
    m = oy.shape[0]
    if n == m:
        w = 1.0 / n
        for i in range(n):
            sa[i] = ox[i]
            sb[i] = oy[i]
            sm[i] = w
        return n
    scale = 1.0 / (float(n) * float(m))
    i = 0
    j = 0
    cu = m
    cv = n
    prev = 0
    k = 0
    while i < n and j < m:
        sa[k] = ox[i]
        sb[k] = oy[j]
        end = cu if cu < cv else cv
        if cu == end:
            i += 1
            cu += m
        if cv == end:
            j += 1
            cv += n
        sm[k] = float(end - prev) * scale
        prev = end
        k += 1
    return k


@njit(**KERNEL)
def _plan_cost(X, Y, sa, sb, sm, count, n, ta, tb, tm, start, p):
    """(sum_k sm[k] |X[sa[k]] - Y[sb[k]]|^p, sum_k |X[sa[k]] - Y[sb[k]]|^p).

    The segments are first put in the order of their atom of P (a counting
    sort into ta, tb, tm), so that X is read in order and only Y's rows are
    fetched at random: the evaluation is bound by memory access, and this
    halves the random fetches.
    """
    start[:] = 0
    for k in range(count):
        start[sa[k] + 1] += 1
    for a in range(n):
        start[a + 1] += start[a]
    for k in range(count):
        dst = start[sa[k]]
        start[sa[k]] = dst + 1
        ta[dst] = sa[k]
        tb[dst] = sb[k]
        tm[dst] = sm[k]
    total = 0.0
    csum = 0.0
    for k in range(count):
        c = _ground(X, ta[k], Y, tb[k], p)
        total += c * tm[k]
        csum += c
    return total, csum


@njit(**KERNEL)
def _plan_estimate(X, Y, sa, sb, sm, count, pick, p):
    """(estimate of the plan's cost, 0.0): the mean of |x_i - y_j|^p over
    the segments whose atom of P is picked (pick[i] != 0), weighted by
    their masses -- a ratio estimator on a fixed subsample of P's atoms.
    Only the picked segments' rows are read.  inf when none is picked."""
    num = 0.0
    den = 0.0
    for k in range(count):
        if pick[sa[k]]:
            num += sm[k] * _ground(X, sa[k], Y, sb[k], p)
            den += sm[k]
    if den > 0.0:
        return num / den, 0.0
    return np.inf, 0.0


@njit(**KERNEL)
def _task(t, T, X, Y, PX, PY, a, ta, b, tb, p, weighted, bits_x, bits_y,
          head, tail, pick, w_pp, plan_pp, plan_sum):
    """Directions t, t + T, ... of the block: w_pp[l] = W_p^p of the
    projections PX[l], PY[l]; plan_pp[l] = the full-space cost of their
    sorted orders' coupling; plan_sum[l] = the sum of its segments' costs
    |x_i - y_j|^p (which bounds the effect of rounded masses).  With a
    non-empty `pick`, plan_pp[l] is only the estimate of `_plan_estimate`
    (and plan_sum[l] = 0)."""
    L = PX.shape[0]
    n = PX.shape[1]
    m = PY.shape[1]
    keys_x = np.empty(n, np.uint64)
    other_x = np.empty(n, np.uint64)
    keys_y = np.empty(m, np.uint64)
    other_y = np.empty(m, np.uint64)
    marks_x = np.empty(min(n, RUN_MARKS), np.int64)
    marks_y = np.empty(min(m, RUN_MARKS), np.int64)
    ox = np.empty(n, np.int64)
    oy = np.empty(m, np.int64)
    xs = np.empty(n)
    ys = np.empty(m)
    nw = n if weighted else 0
    mw = m if weighted else 0
    uh = np.empty(nw)
    ul = np.empty(nw)
    vh = np.empty(mw)
    vl = np.empty(mw)
    ii = np.empty(nw + mw, np.int64)
    jj = np.empty(nw + mw, np.int64)
    sa = np.empty(n + m, np.int64)
    sb = np.empty(n + m, np.int64)
    sm = np.empty(n + m)
    ta_ = np.empty(n + m, np.int64)
    tb_ = np.empty(n + m, np.int64)
    tm_ = np.empty(n + m)
    start = np.empty(n + 1, np.int64)
    for l in range(t, L, T):
        px = PX[l]
        py = PY[l]
        _order(px, bits_x, keys_x, other_x, marks_x, ox)
        _order(py, bits_y, keys_y, other_y, marks_y, oy)
        for k in range(n):
            xs[k] = px[ox[k]]
        for k in range(m):
            ys[k] = py[oy[k]]
        if not weighted:
            w_pp[l] = quantile_merge_uniform(xs, ys, p)
            count = _uniform_segments(ox, oy, sa, sb, sm)
        else:
            for k in range(n):
                uh[k] = a[ox[k]]
            for k in range(m):
                vh[k] = b[oy[k]]
            breakpoints(uh, ta, uh, ul)
            breakpoints(vh, tb, vh, vl)
            w_pp[l] = (quantile_merge_weighted(xs, uh, ul, ys, vh, vl, p, head)
                       + quantile_merge_weighted(xs, uh, ul, ys, vh, vl, p, tail))
            count = weighted_segments(uh, ul, vh, vl, ii, jj, sm)
            for k in range(count):
                sa[k] = ox[ii[k]]
                sb[k] = oy[jj[k]]
        if pick.shape[0]:
            plan_pp[l], plan_sum[l] = _plan_estimate(X, Y, sa, sb, sm, count, pick, p)
        else:
            plan_pp[l], plan_sum[l] = _plan_cost(X, Y, sa, sb, sm, count, n, ta_,
                                                 tb_, tm_, start, p)


@njit(**KERNEL)
def sliced_block(X, Y, PX, PY, a, ta, b, tb, p, weighted, bits_x, bits_y,
                 head, tail, pick, T, w_pp, plan_pp, plan_sum):
    """All directions of a block, task after task (see `_task`)."""
    for t in range(T):
        _task(t, T, X, Y, PX, PY, a, ta, b, tb, p, weighted, bits_x, bits_y,
              head, tail, pick, w_pp, plan_pp, plan_sum)


@njit(parallel=True, **KERNEL)
def sliced_block_parallel(X, Y, PX, PY, a, ta, b, tb, p, weighted, bits_x,
                          bits_y, head, tail, pick, T, w_pp, plan_pp, plan_sum):
    """Parallel twin of `sliced_block`: the T tasks across threads."""
    for t in prange(T):
        _task(t, T, X, Y, PX, PY, a, ta, b, tb, p, weighted, bits_x, bits_y,
              head, tail, pick, w_pp, plan_pp, plan_sum)
