"""Numba kernels for W_p on the circle (see `transport._line._circle`).

Masses are integers: cumulative masses are kept in units of 1 / `UNIT` of
the total, so every breakpoint, shift and segment length below is an exact
int64 and ties are exact.  Atoms are sorted positions in [0, period); the
lifted atom ``k`` of an input with ``n`` atoms is ``pos[k % n] + (k // n) *
period`` and its mass ends at ``ends[k % n] + (k // n) * UNIT``.  Kernels
validate nothing.
"""

import numpy as np
from numba import njit

_OPTS = dict(cache=True, nogil=True, error_model="numpy")

#: Total mass of each input in integer units.  Shifts live in [-UNIT, UNIT]
#: and breakpoints minus shifts in [-UNIT, 2 UNIT], far from int64 overflow.
UNIT = 1 << 60


@njit(**_OPTS)
def _power(r, p):
    """r^p for r >= 0 (exact square for p = 2)."""
    if p == 2.0:
        return r * r
    if p == 1.0:
        return r
    return r**p


@njit(**_OPTS)
def _rescaled(scale, big, p):
    """The factor (scale / big)^p that moves a sum of terms (d / scale)^p
    to the larger scale `big` (0 when nothing was summed yet)."""
    if scale > 0.0:
        return _power(scale / big, p)
    return 0.0


@njit(**_OPTS)
def integer_ends(w):
    """Ends of the atoms' masses (cumulative sums of w) in units of 1/UNIT.

    The running sum is compensated (its error is that of the final
    rounding), scaled so that the last end is exactly UNIT; the ends are
    non-decreasing.
    """
    n = w.shape[0]
    total = 0.0
    for k in range(n):
        total += w[k]
    scale = float(UNIT) / total
    ends = np.empty(n, np.int64)
    s = 0.0
    c = 0.0
    for k in range(n):
        t = s + w[k]
        bb = t - s
        c += (s - (t - bb)) + (w[k] - bb)
        s = t
        e = np.int64(np.rint((s + c) * scale))
        ends[k] = e if e < UNIT else UNIT
    ends[n - 1] = UNIT
    return ends


@njit(**_OPTS)
def _first_ending_at_or_after(ends, t):
    """Smallest lifted k with end(k) >= t (t any int64)."""
    n = ends.shape[0]
    q = t // UNIT  # t in [q UNIT, (q + 1) UNIT)
    r = t - q * UNIT
    if r == 0:  # the last atom of period q - 1 ends exactly at t
        q -= 1
        r = UNIT
    lo = 0
    hi = n - 1  # ends[n - 1] = UNIT >= r
    while lo < hi:
        mid = (lo + hi) // 2
        if ends[mid] >= r:
            hi = mid
        else:
            lo = mid + 1
    return lo + q * n


@njit(**_OPTS)
def _lifted(ends, k):
    """Lifted atom k as (index, period): k = index + period * n."""
    n = ends.shape[0]
    q = k // n
    return k - q * n, q


@njit(**_OPTS)
def shift_slopes(xs, a_ends, ys, b_ends, period, p, theta):
    """Left and right derivatives of C at the integer shift theta, and the
    distances to the nearest kinks on either side.

    C(theta) = int_0^UNIT c(F^-1(t) - G^-1(t + theta)) dt, c = |.|^p, with
    the lifted (quasi-periodic) quantile functions.  Moving theta moves the
    breakpoint of G's atom j to t_j = end_j - theta; across it the integrand
    switches from c(x - y_j) to c(x - y_{j+1}), x the atom of P at t_j
    (from the left for the right derivative, from the right for the left
    one; they differ only where t_j is a breakpoint of P).  C is linear on
    [theta - dist_left, theta] and on [theta, theta + dist_right].

    The costs are summed relative to the largest distance d met so far
    (terms (d / scale)^p, the sums rescaled when a larger one comes), so
    that they neither overflow nor all underflow for any p: the slopes are
    ``left * scale^p`` and ``right * scale^p``.

    Returns (left, right, scale, dist_left, dist_right).
    """
    n = xs.shape[0]
    m = ys.shape[0]
    left = 0.0
    right = 0.0
    scale = 0.0
    inv = 0.0
    dist_left = np.int64(3 * UNIT)
    dist_right = np.int64(3 * UNIT)
    t0 = b_ends[0] - theta
    # the atom holding t - 0 (end >= t) and the one holding t + 0 (end > t)
    ir, qr = _lifted(a_ends, _first_ending_at_or_after(a_ends, t0))
    il, ql = _lifted(a_ends, _first_ending_at_or_after(a_ends, t0 + 1))
    end_r = a_ends[ir] + qr * UNIT
    end_l = a_ends[il] + ql * UNIT
    for j in range(m):
        t = b_ends[j] - theta
        while end_r < t:
            ir += 1
            if ir == n:
                ir = 0
                qr += 1
            end_r = a_ends[ir] + qr * UNIT
        while end_l <= t:
            il += 1
            if il == n:
                il = 0
                ql += 1
            end_l = a_ends[il] + ql * UNIT
        start_r = (a_ends[ir - 1] if ir > 0 else 0) + qr * UNIT
        if t - start_r < dist_right:
            dist_right = t - start_r
        if end_l - t < dist_left:
            dist_left = end_l - t
        y0 = ys[j]
        y1 = ys[j + 1] if j + 1 < m else ys[0] + period
        x = xs[ir] + qr * period
        r1 = abs(x - y1)
        r0 = abs(x - y0)
        x = xs[il] + ql * period
        l1 = abs(x - y1)
        l0 = abs(x - y0)
        big = max(max(r1, r0), max(l1, l0))
        if big > scale:
            factor = _rescaled(scale, big, p)
            left *= factor
            right *= factor
            scale = big
            inv = 1.0 / big
        right += _power(r1 * inv, p) - _power(r0 * inv, p)
        left += _power(l1 * inv, p) - _power(l0 * inv, p)
    return left, right, scale, dist_left, dist_right


@njit(**_OPTS)
def shift_cost(xs, a_ends, ys, b_ends, period, p, theta):
    """(C(theta) * UNIT / scale^p, scale): the merge of P's atoms with G's,
    shifted by theta.

    Every segment length is an exact integer; the sum is compensated, and
    taken relative to the largest distance `scale` of a segment of positive
    length (rescaled when a larger one comes), so that it neither
    overflows nor underflows for any p: it lies in [1, UNIT] unless all
    distances are 0 (then it is 0, and so is scale).
    """
    n = xs.shape[0]
    m = ys.shape[0]
    i = 0
    # Q's lifted atom k = jb + qb m holds theta + 0
    jb, qb = _lifted(b_ends, _first_ending_at_or_after(b_ends, theta + 1))
    eb = b_ends[jb] + qb * UNIT - theta
    y = ys[jb] + qb * period
    cur = 0
    s = 0.0
    c = 0.0
    scale = 0.0
    inv = 0.0
    while i < n:
        ea = a_ends[i]
        end = ea if ea < eb else eb
        if end > cur:
            d = abs(xs[i] - y)
            if d > scale:
                factor = _rescaled(scale, d, p)
                s *= factor
                c *= factor
                scale = d
                inv = 1.0 / d
            term = _power(d * inv, p) * float(end - cur)
            t = s + term
            bb = t - s
            c += (s - (t - bb)) + (term - bb)
            s = t
        cur = end
        if ea == end:
            i += 1
        if eb == end:
            jb += 1
            if jb == m:
                jb = 0
                qb += 1
            eb = b_ends[jb] + qb * UNIT - theta
            y = ys[jb] + qb * period
    return s + c, scale


@njit(**_OPTS)
def sliver_cost(xs, a_ends, ys, b_ends, period, p, theta, scale, max_length):
    """The part of `shift_cost` (same scale) on segments of at most
    `max_length` units: slivers of mass at the resolution of the integer
    masses, whose cost can dominate C for large p."""
    n = xs.shape[0]
    m = ys.shape[0]
    i = 0
    jb, qb = _lifted(b_ends, _first_ending_at_or_after(b_ends, theta + 1))
    eb = b_ends[jb] + qb * UNIT - theta
    y = ys[jb] + qb * period
    cur = 0
    total = 0.0
    inv = 1.0 / scale if scale > 0.0 else 0.0
    while i < n:
        ea = a_ends[i]
        end = ea if ea < eb else eb
        if 0 < end - cur <= max_length:
            total += _power(abs(xs[i] - y) * inv, p) * float(end - cur)
        cur = end
        if ea == end:
            i += 1
        if eb == end:
            jb += 1
            if jb == m:
                jb = 0
                qb += 1
            eb = b_ends[jb] + qb * UNIT - theta
            y = ys[jb] + qb * period
    return total


@njit(**_OPTS)
def _below(t1, s1, t2, s2, p):
    """Whether t1 s1^p < t2 s2^p (the scaled sums of `shift_cost`),
    compared relative to the larger scale."""
    if not (t1 > 0.0 and s1 > 0.0):
        return t2 > 0.0 and s2 > 0.0
    if not (t2 > 0.0 and s2 > 0.0):
        return False
    top = max(s1, s2)
    return t1 * _power(s1 / top, p) < t2 * _power(s2 / top, p)


@njit(**_OPTS)
def golden_shift(xs, a_ends, ys, b_ends, period, p, max_iter):
    """The shift theta minimising C, by golden-section search on C itself.

    For large p: the slope of C is a sum of differences of d^p whose
    largest terms can exceed C by more than float64's range, so that its
    sign is lost (`optimal_shift` then stops at the wrong shift); C itself,
    summed relative to its own largest distance (`shift_cost`), is exact
    to rounding for any p.  C is convex on the integers, so the bracket
    [lo, hi] keeps a minimiser: C(m1) < C(m2) puts every minimiser at or
    below m2, and otherwise a minimiser lies at or above m1.  About 88
    rounds of two evaluations shrink [-UNIT, UNIT] to three shifts, the
    best of which is checked against its integer neighbours (a local
    minimum of a convex function on the integers is global).

    Returns (theta, n_evaluations, status): status 0 when C(theta) <=
    C(theta +- 1) up to rounding, 1 when `max_iter` rounds did not close
    the bracket, 2 when the neighbour check failed.
    """
    lo = np.int64(-UNIT)
    hi = np.int64(UNIT)
    count = 0
    while hi - lo > 2:
        if count >= max_iter:
            return lo, count, 1
        step = np.int64(0.3819660112501051 * float(hi - lo))
        if step < 1:
            step = np.int64(1)
        m1 = lo + step
        m2 = hi - step
        if m2 <= m1:
            m2 = m1 + 1
        t1, s1 = shift_cost(xs, a_ends, ys, b_ends, period, p, m1)
        t2, s2 = shift_cost(xs, a_ends, ys, b_ends, period, p, m2)
        count += 2
        if _below(t1, s1, t2, s2, p):
            hi = m2
        else:
            lo = m1
    best = lo
    tb, sb = shift_cost(xs, a_ends, ys, b_ends, period, p, lo)
    for theta in range(lo + 1, hi + 1):
        t, s_ = shift_cost(xs, a_ends, ys, b_ends, period, p, np.int64(theta))
        if _below(t, s_, tb, sb, p):
            best, tb, sb = np.int64(theta), t, s_
    # certificate: no integer neighbour is lower beyond rounding
    for theta in (best - 1, best + 1):
        t, s_ = shift_cost(xs, a_ends, ys, b_ends, period, p, np.int64(theta))
        if _below(t * (1.0 + 1e-13), s_, tb, sb, p):
            return best, count, 2
    return best, count, 0


@njit(**_OPTS)
def optimal_shift(xs, a_ends, ys, b_ends, period, p, theta0, max_iter):
    """The shift theta minimising the convex piecewise-linear C.

    Returns (theta, n_evaluations, status): status 0 when
    left-slope(theta) <= 0 <= right-slope(theta) was verified (theta is a
    minimiser), 1 when `max_iter` evaluations did not get there, 2 when the
    computed slopes contradict convexity (an internal error).

    The search starts at `theta0` (a guess in [-UNIT, UNIT]) and keeps a
    bracket: every minimiser lies in [lo, hi], with right-slope(lo) < 0
    (or lo = -UNIT) and left-slope(hi) > 0 (or hi = UNIT).  An evaluation
    at theta also yields the nearest kinks on both sides, and C is linear
    up to them, so each evaluation moves the bracket at least to a kink:
    the next point tried is clamped to the kinks next to the bracket, and
    once they coincide it is the minimiser.  Proposals: the secant root of
    the slope (Illinois variant), bisection when the bracket fails to
    halve twice in a row.
    """
    lo = np.int64(-UNIT)  # left-slope(-UNIT) <= 0 <= right-slope(UNIT): see
    hi = np.int64(UNIT)   # `wasserstein_circle`, so the minimisers are inside
    lo_kink = lo
    hi_kink = hi
    f_lo = 0.0  # no slope known at the ends: bisection until one is
    f_hi = 0.0
    log_lo = 0.0  # the slopes are f_lo * exp(log_lo), f_hi * exp(log_hi)
    log_hi = 0.0
    known_lo = False
    known_hi = False
    side = 0
    slow = 0
    mid = theta0
    count = 0
    while count < max_iter:
        if mid < lo_kink:
            mid = lo_kink
        elif mid > hi_kink:
            mid = hi_kink
        sl, sr, scale, dl, dr = shift_slopes(xs, a_ends, ys, b_ends, period, p, mid)
        log_scale = p * np.log(scale) if scale > 0.0 else 0.0
        count += 1
        if sl <= 0.0 <= sr:
            return mid, count, 0
        width = hi - lo
        if sr < 0.0:  # C falls on [mid, mid + dr]: the minimisers are beyond
            lo = mid
            lo_kink = mid + dr
            f_lo = sr
            log_lo = log_scale
            known_lo = True
            if side == -1:
                f_hi *= 0.5
            side = -1
        elif sl > 0.0:
            hi = mid
            hi_kink = mid - dl
            f_hi = sl
            log_hi = log_scale
            known_hi = True
            if side == 1:
                f_lo *= 0.5
            side = 1
        else:  # sl > 0 > sr: not convex
            return mid, count, 2
        if lo_kink > hi_kink:
            return mid, count, 2
        slow = slow + 1 if 2 * (hi - lo) > width else 0
        if slow >= 2 or not (known_lo and known_hi):
            mid = lo + (hi - lo) // 2
            slow = 0
        else:
            # secant root -f_lo / (f_hi - f_lo) = 1 / (1 + f_hi / -f_lo),
            # the two slopes on their own scales
            ratio = np.log(f_hi) - np.log(-f_lo) + (log_hi - log_lo)
            ratio = min(max(ratio, -700.0), 700.0)
            frac = 1.0 / (1.0 + np.exp(ratio))
            mid = lo + np.int64(frac * float(hi - lo))
    return lo, count, 1


@njit(**_OPTS)
def cdf_gaps(xs, a_ends, ys, b_ends, period):
    """Pieces of F - G on the circle: (gap, length, count).

    gap[k] = F - G (integer units) on the k-th piece between consecutive
    atom positions, length[k] its length; the piece that wraps around 0
    (from the last atom to the first) has gap 0.
    """
    n = xs.shape[0]
    m = ys.shape[0]
    gap = np.empty(n + m + 1, np.int64)
    length = np.empty(n + m + 1)
    i = 0
    j = 0
    fa = 0
    fb = 0
    count = 0
    first = xs[0] if xs[0] < ys[0] else ys[0]
    z = first
    while i < n or j < m:
        if j >= m or (i < n and xs[i] <= ys[j]):
            nxt = xs[i]
        else:
            nxt = ys[j]
        if nxt > z:
            gap[count] = fa - fb
            length[count] = nxt - z
            count += 1
            z = nxt
        while i < n and xs[i] == z:
            fa = a_ends[i]
            i += 1
        while j < m and ys[j] == z:
            fb = b_ends[j]
            j += 1
    gap[count] = 0
    length[count] = (period - z) + first
    count += 1
    return gap, length, count


@njit(**_OPTS)
def weighted_median(values, weights, count):
    """A value c minimising sum_k weights[k] |values[k] - c| (k < count).

    Weighted quickselect (three-way partitions, pseudo-random pivots from a
    fixed-seed xorshift generator): expected O(count).  Works on copies.
    """
    v = values[:count].copy()
    w = weights[:count].copy()
    total = 0.0
    for k in range(count):
        total += w[k]
    half = 0.5 * total
    lo = 0
    hi = count
    below = 0.0
    state = np.uint64(0x9E3779B97F4A7C15)
    while True:
        state ^= state << np.uint64(13)  # xorshift64: no overflow to wrap
        state ^= state >> np.uint64(7)
        state ^= state << np.uint64(17)
        pivot = v[lo + np.int64(state % np.uint64(hi - lo))]
        # three-way partition of [lo, hi): < pivot, == pivot, > pivot
        lt = lo
        gt = hi
        k = lo
        w_lt = 0.0
        w_eq = 0.0
        while k < gt:
            x = v[k]
            if x < pivot:
                v[k], v[lt] = v[lt], v[k]
                w[k], w[lt] = w[lt], w[k]
                w_lt += w[lt]
                lt += 1
                k += 1
            elif x > pivot:
                gt -= 1
                v[k], v[gt] = v[gt], v[k]
                w[k], w[gt] = w[gt], w[k]
            else:
                w_eq += w[k]
                k += 1
        if below + w_lt > half:
            hi = lt
        elif below + w_lt + w_eq >= half or gt >= hi:
            return pivot
        else:
            below += w_lt + w_eq
            lo = gt


@njit(**_OPTS)
def median_cut_cost(gap, length, count, c):
    """sum_k length[k] |gap[k] - c| (compensated)."""
    s = 0.0
    e = 0.0
    for k in range(count):
        term = length[k] * abs(float(gap[k] - c))
        t = s + term
        bb = t - s
        e += (s - (t - bb)) + (term - bb)
        s = t
    return s + e
