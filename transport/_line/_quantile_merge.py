"""The quantile integral of the 1-D distance over sorted atoms (numba).

W_p^p(P, Q) = int_0^1 |F^-1(t) - G^-1(t)|^p dt: both quantile functions are
step functions, so one merge pass over the two sorted atom lists integrates
the piecewise-constant integrand exactly, segment by segment.  The fast
kernels sum |x - y|^p times the segment lengths in float64; where that sum
overflows or underflows, `scaled_root` recomputes W_p from the segments
(`uniform_segments`, `weighted_segments`) with the integrand scaled by its
largest term.  Kernels validate nothing.
"""

import numpy as np
from numba import njit

from ._float_keys import KERNEL

#: Status codes of `scaled_root`.
OK = 0
NOT_REPRESENTABLE = 1


@njit(**KERNEL)
def _cost(d, p):
    d = abs(d)
    if p == 1.0:
        return d
    if p == 2.0:
        return d * d
    return d**p


@njit(**KERNEL)
def _uniform_step(i, j, cu, cv, n, m):
    """Pass the nearer of the breakpoints cu (end of atom i of P) and cv
    (end of atom j of Q), both in units of 1/(n m); returns the new
    (i, j, cu, cv) and the end of the segment."""
    end = cu if cu < cv else cv
    if cu == end:
        i += 1
        cu += m
    if cv == end:
        j += 1
        cv += n
    return i, j, cu, cv, end


@njit(**KERNEL)
def quantile_merge_uniform(xs, ys, p):
    """int_0^1 |F^-1 - G^-1|^p for sorted atoms with uniform weights.

    The breakpoints i/n and j/m are compared exactly in integers (units of
    1/(n m)), so each segment length is a single rounding of an exact
    rational.
    """
    n = xs.shape[0]
    m = ys.shape[0]
    if n == m:  # matched order statistics
        total = 0.0
        for i in range(n):
            total += _cost(xs[i] - ys[i], p)
        return total / n
    i = 0
    j = 0
    cu = m  # end of atom i of P: (i + 1) / n, in units of 1/(n m)
    cv = n  # end of atom j of Q: (j + 1) / m
    prev = 0
    total = 0.0
    while i < n and j < m:
        c = _cost(xs[i] - ys[j], p)
        i, j, cu, cv, end = _uniform_step(i, j, cu, cv, n, m)
        total += c * float(end - prev)
        prev = end
    return total * (1.0 / (float(n) * float(m)))


@njit(**KERNEL)
def uniform_segments(n, m, ii, jj, ll):
    """The segments of `quantile_merge_uniform`: atoms ii[k] of P and jj[k]
    of Q face each other over a length ll[k].  Returns how many (<= n + m)."""
    if n == m:
        for k in range(n):
            ii[k] = k
            jj[k] = k
            ll[k] = 1.0 / n
        return n
    scale = 1.0 / (float(n) * float(m))
    i = 0
    j = 0
    cu = m
    cv = n
    prev = 0
    k = 0
    while i < n and j < m:
        ii[k] = i
        jj[k] = j
        i, j, cu, cv, end = _uniform_step(i, j, cu, cv, n, m)
        ll[k] = float(end - prev) * scale
        prev = end
        k += 1
    return k


@njit(**KERNEL)
def _two_sum(a, b):
    """s + e = a + b exactly (Knuth's TwoSum)."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


@njit(**KERNEL)
def _running_sum(s, c, x):
    """Add x to the running sum s, the exact error of the addition to c."""
    t = s + x
    bb = t - s
    c += (s - (t - bb)) + (x - bb)
    return t, c


@njit(**KERNEL)
def breakpoints(w, total, hi, lo):
    """Running sums of w / total as normalised double-doubles (hi, lo).

    hi may be w itself.  On return hi[k] + lo[k] = (w_0 + ... + w_k) / total
    (each term divided, then summed) to about k^2 eps^2: the high parts are
    summed directly and the exact error of every addition is summed on the
    side, so the only loop-carried chain is one addition.
    """
    s = 0.0
    c = 0.0
    for k in range(w.shape[0]):
        s, c = _running_sum(s, c, w[k] / total)
        hi[k], lo[k] = _two_sum(s, c)  # off the loop-carried chain


@njit(**KERNEL)
def _dd_less(ah, al, bh, bl):
    """(ah, al) < (bh, bl) for normalised double-doubles (branch-free)."""
    return (ah < bh) | ((ah == bh) & (al < bl))


@njit(**KERNEL)
def first_beyond(hi, lo, t):
    """First k with breakpoint (hi[k], lo[k]) > t, by bisection (len if none)."""
    a = 0
    b = hi.shape[0]
    while a < b:
        mid = (a + b) // 2
        if _dd_less(t, 0.0, hi[mid], lo[mid]):
            b = mid
        else:
            a = mid + 1
    return a


@njit(**KERNEL)
def _step(uh, ul, vh, vl, i, j, prev_hi, prev_lo, stop):
    """One step of the weighted merge: the segment from `prev` to the nearer
    breakpoint (or to `stop`), where atoms i of P and j of Q are current.

    Returns (i, j, end_hi, end_lo, length, done): the atom whose breakpoint
    ends the segment is passed (ties: Q's first).  Branch-free.
    """
    a_hi = uh[i]
    a_lo = ul[i]
    b_hi = vh[j]
    b_lo = vl[j]
    take_u = _dd_less(a_hi, a_lo, b_hi, b_lo)
    end_hi = a_hi if take_u else b_hi
    end_lo = a_lo if take_u else b_lo
    done = not _dd_less(end_hi, end_lo, stop, 0.0)
    if done:
        end_hi = stop
        end_lo = 0.0
    length = (end_hi - prev_hi) + (end_lo - prev_lo)
    return i + np.int64(take_u), j + np.int64(not take_u), end_hi, end_lo, length, done


@njit(**KERNEL)
def _segment(xs, uh, ul, ys, vh, vl, p, i, j, prev_hi, prev_lo, stop):
    """`_step`, with the segment's contribution in place of its length."""
    i2, j2, end_hi, end_lo, length, done = _step(uh, ul, vh, vl, i, j, prev_hi, prev_lo, stop)
    return i2, j2, end_hi, end_lo, _cost(xs[i] - ys[j], p) * length, done


@njit(**KERNEL)
def _finish(xs, uh, ul, ys, vh, vl, p, i, j, prev_hi, prev_lo, stop, total, done):
    """Run one chunk of the weighted merge to its end; returns its sum."""
    n = xs.shape[0]
    m = ys.shape[0]
    done |= not (i < n and j < m)
    while not done:
        i, j, prev_hi, prev_lo, c, done = _segment(
            xs, uh, ul, ys, vh, vl, p, i, j, prev_hi, prev_lo, stop)
        total += c
        done |= not (i < n and j < m)
    return total


@njit(**KERNEL)
def quantile_merge_weighted(xs, uh, ul, ys, vh, vl, p, ts):
    """int_{ts[0]}^{ts[4]} |F^-1 - G^-1|^p for sorted weighted atoms.

    xs and ys are sorted; (uh, ul) and (vh, vl) are the running sums of
    their normalised weights (`breakpoints`): atom i of P covers
    (u_{i-1}, u_i].  The range is cut at ts[1..3] into four chunks; chunk c
    starts at the atoms that cover ts[c] from the right (`first_beyond`).
    The four merges are independent and run interleaved in one loop, since
    one merge alone is bound by the latency of each step (load the next
    breakpoints, compare, advance).  Chunk sums are added in a fixed order.

    Each step integrates up to the nearer breakpoint and advances past it;
    the breakpoints are exact to ~n^2 eps^2, so the segment lengths carry no
    accumulated error (the integrand jumps at every breakpoint, which is
    what limits the accuracy).  Zero weights give zero-length segments.
    ts[0..3] must lie below both totals (about 1), so chunks 0-2 end before
    either list does; with ts[4] beyond 1 the last chunk runs until one
    list ends, and any mass left then is rounding noise that contributes
    nothing.
    """
    n = xs.shape[0]
    m = ys.shape[0]
    i0 = first_beyond(uh, ul, ts[0])
    i1 = first_beyond(uh, ul, ts[1])
    i2 = first_beyond(uh, ul, ts[2])
    i3 = first_beyond(uh, ul, ts[3])
    j0 = first_beyond(vh, vl, ts[0])
    j1 = first_beyond(vh, vl, ts[1])
    j2 = first_beyond(vh, vl, ts[2])
    j3 = first_beyond(vh, vl, ts[3])
    h0, h1, h2, h3 = ts[0], ts[1], ts[2], ts[3]
    s0, s1, s2, s3 = ts[1], ts[2], ts[3], ts[4]
    l0 = l1 = l2 = l3 = 0.0
    t0 = t1 = t2 = t3 = 0.0
    d0 = d1 = d2 = False
    d3 = not (i3 < n and j3 < m)
    args = (xs, uh, ul, ys, vh, vl, p)
    while not (d0 | d1 | d2 | d3):
        i0, j0, h0, l0, c0, d0 = _segment(*args, i0, j0, h0, l0, s0)
        i1, j1, h1, l1, c1, d1 = _segment(*args, i1, j1, h1, l1, s1)
        i2, j2, h2, l2, c2, d2 = _segment(*args, i2, j2, h2, l2, s2)
        i3, j3, h3, l3, c3, d3 = _segment(*args, i3, j3, h3, l3, s3)
        t0 += c0
        t1 += c1
        t2 += c2
        t3 += c3
        d3 |= not (i3 < n and j3 < m)
    t0 = _finish(*args, i0, j0, h0, l0, s0, t0, d0)
    t1 = _finish(*args, i1, j1, h1, l1, s1, t1, d1)
    t2 = _finish(*args, i2, j2, h2, l2, s2, t2, d2)
    t3 = _finish(*args, i3, j3, h3, l3, s3, t3, d3)
    return (t0 + t1) + (t2 + t3)


@njit(**KERNEL)
def weighted_segments(uh, ul, vh, vl, ii, jj, ll):
    """The segments of the weighted merge over [0, 1], in one pass (see
    `uniform_segments`).  Returns how many (<= n + m)."""
    n = uh.shape[0]
    m = vh.shape[0]
    i = 0
    j = 0
    h = 0.0
    lo = 0.0
    k = 0
    done = False
    while not done and i < n and j < m:
        ii[k] = i
        jj[k] = j
        i, j, h, lo, ll[k], done = _step(uh, ul, vh, vl, i, j, h, lo, 2.0)
        k += 1
    return k


@njit(**KERNEL)
def _abs_diff(x, y):
    """|x - y| as (a, e) with |x - y| = a 2^e: e = 1 only where x - y
    overflows (then both are huge, so halving them is exact)."""
    d = abs(x - y)
    if d - d == 0.0:
        return d, 0
    return abs(x * 0.5 - y * 0.5), 1


@njit(**KERNEL)
def scaled_root(xs, ys, ii, jj, ll, count, p):
    """W_p = (sum_k ll[k] |xs[ii[k]] - ys[jj[k]]|^p)^(1/p) without overflow
    or underflow on the way; returns (W_p, status).

    Each positive-length term is written (|d_k| g_k)^p with g_k =
    ll[k]^(1/p); s is the largest |d_k| g_k, and W_p = s T^(1/p) with
    T = sum_k (|d_k| g_k / s)^p in [1, count]: no term overflows, and the
    terms that underflow are below 2^-1074 of T.  Differences that
    overflow are carried halved (`_abs_diff`).  status NOT_REPRESENTABLE:
    W_p exceeds the largest double.
    """
    inv_p = 1.0 / p
    s0 = 0.0  # largest |d| g over the finite differences
    s1 = 0.0  # the same, halved, over the overflowing ones
    for k in range(count):
        if ll[k] > 0.0:
            a, e = _abs_diff(xs[ii[k]], ys[jj[k]])
            v = a * (ll[k] if p == 1.0 else ll[k] ** inv_p)
            if e == 0:
                s0 = max(s0, v)
            else:
                s1 = max(s1, v)
    halved = s1 > 0.0
    s = max(s1, s0 * 0.5) if halved else s0
    if s == 0.0:
        return 0.0, OK
    total = 0.0
    for k in range(count):
        if ll[k] > 0.0:
            a, e = _abs_diff(xs[ii[k]], ys[jj[k]])
            r = a * (ll[k] if p == 1.0 else ll[k] ** inv_p) / s
            if halved and e == 0:
                r *= 0.5
            total += r if p == 1.0 else r**p
    w = s * (total if p == 1.0 else total**inv_p)
    if halved:
        w *= 2.0
    if not w < np.inf:
        return w, NOT_REPRESENTABLE
    return w, OK
