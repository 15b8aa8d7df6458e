"""Numba kernels for the 1-D Wasserstein distance (quantile form).

W_p^p(P, Q) = int_0^1 |F^-1(t) - G^-1(t)|^p dt: both quantile functions are
step functions, so one merge pass over the two sorted atom lists integrates
the piecewise-constant integrand exactly.  Kernels validate nothing.
"""

import numpy as np
from numba import njit

_OPTS = dict(cache=True, nogil=True, error_model="numpy")


@njit(**_OPTS)
def _cost(d, p):
    d = abs(d)
    if p == 1.0:
        return d
    if p == 2.0:
        return d * d
    return d**p


@njit(**_OPTS)
def quantile_merge_uniform(xs, ys, p):
    """int_0^1 |F^-1 - G^-1|^p for sorted atoms with uniform weights.

    The breakpoints i/n and j/m are compared exactly in integers (units of
    1/(n m)), so each segment length is a single rounding of an exact
    rational.
    """
    n = xs.shape[0]
    m = ys.shape[0]
    scale = 1.0 / (float(n) * float(m))
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
        end = cu if cu < cv else cv
        total += _cost(xs[i] - ys[j], p) * float(end - prev)
        prev = end
        if cu == end:
            i += 1
            cu += m
        if cv == end:
            j += 1
            cv += n
    return total * scale


@njit(**_OPTS)
def gather_sorted(x, w, order, out_x, out_w):
    """out_x = x[order], out_w = w[order] (nogil, so it can run in a thread)."""
    for k in range(order.shape[0]):
        i = order[k]
        out_x[k] = x[i]
        out_w[k] = w[i]


@njit(**_OPTS)
def _two_sum(a, b):
    """s + e = a + b exactly (Knuth's TwoSum)."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


@njit(**_OPTS)
def _dd_add(hi, lo, x):
    """(hi, lo) + x as a normalised double-double."""
    s, e = _two_sum(hi, x)
    e += lo
    return _two_sum(s, e)


@njit(**_OPTS)
def quantile_merge_weighted(xs, a, ys, b, p):
    """int_0^1 |F^-1 - G^-1|^p for sorted weighted atoms.

    xs and ys are sorted; a and b are their (normalised) weights in the same
    order.  Breakpoints are the running sums of the weights, kept as
    double-doubles so that each breakpoint is correct to ~1e-32 instead of
    accumulating an O(sqrt(n) eps) error (the integrand jumps at every
    breakpoint, so breakpoint errors are what limits the accuracy).  Each
    step integrates up to the nearer breakpoint and advances past it.  Zero
    weights give zero-length segments; any mass left when one list ends is
    rounding noise and contributes nothing.
    """
    n = xs.shape[0]
    m = ys.shape[0]
    i = 0
    j = 0
    cu_hi = a[0]
    cu_lo = 0.0
    cv_hi = b[0]
    cv_lo = 0.0
    prev_hi = 0.0
    prev_lo = 0.0
    total = 0.0
    while True:
        if cu_hi < cv_hi or (cu_hi == cv_hi and cu_lo < cv_lo):
            length = (cu_hi - prev_hi) + (cu_lo - prev_lo)
            total += _cost(xs[i] - ys[j], p) * length
            prev_hi = cu_hi
            prev_lo = cu_lo
            i += 1
            if i == n:
                break
            cu_hi, cu_lo = _dd_add(cu_hi, cu_lo, a[i])
        else:
            length = (cv_hi - prev_hi) + (cv_lo - prev_lo)
            total += _cost(xs[i] - ys[j], p) * length
            prev_hi = cv_hi
            prev_lo = cv_lo
            j += 1
            if j == m:
                break
            cv_hi, cv_lo = _dd_add(cv_hi, cv_lo, b[j])
    return total


# --------------------------------------------------------------------------
# Radix sort of float64 keys (optionally carrying a weight): LSD, 11-bit
# digits, all six digit histograms counted in one pass, passes whose digit
# is the same for every key skipped.  Keys are the IEEE bit patterns mapped
# to an unsigned order (negative: all bits flipped; positive: sign bit set).
# No NaN reaches here (validated), so the order is the numeric one; -0.0
# sorts before +0.0, which compare equal and so cannot change a distance.
# --------------------------------------------------------------------------
_DIGIT_BITS = 11
_BUCKETS = 1 << _DIGIT_BITS
_PASSES = 6  # 6 * 11 >= 64


@njit(**_OPTS)
def _ordered_keys(x):
    """Unsigned keys in numeric order, and the histograms of their digits."""
    n = x.shape[0]
    sign = np.uint64(1) << np.uint64(63)
    mask = np.uint64(_BUCKETS - 1)
    keys = np.empty(n, np.uint64)
    hist = np.zeros((_PASSES, _BUCKETS), np.int64)
    bits = x.view(np.uint64)
    for i in range(n):
        v = bits[i]
        v = ~v if v & sign else v | sign
        keys[i] = v
        for d in range(_PASSES):
            hist[d, (v >> np.uint64(d * _DIGIT_BITS)) & mask] += 1
    return keys, hist


@njit(**_OPTS)
def _bucket_starts(h, n, starts):
    """Exclusive prefix sums of h into starts; False when one bucket has all."""
    total = 0
    for b in range(h.shape[0]):
        if h[b] == n:
            return False
        starts[b] = total
        total += h[b]
    return True


@njit(**_OPTS)
def _keys_to_values(keys):
    sign = np.uint64(1) << np.uint64(63)
    out = np.empty(keys.shape[0])
    bits = out.view(np.uint64)
    for i in range(keys.shape[0]):
        v = keys[i]
        bits[i] = v & ~sign if v & sign else ~v
    return out


@njit(**_OPTS)
def _radix_passes(x, w, carry):
    """Sorted keys of x and, when `carry`, the weights w moved along."""
    n = x.shape[0]
    keys, hist = _ordered_keys(x)
    other = np.empty(n, np.uint64)
    ws = w.copy() if carry else w
    w_other = np.empty(n if carry else 0)
    starts = np.empty(_BUCKETS, np.int64)
    mask = np.uint64(_BUCKETS - 1)
    for d in range(_PASSES):
        if not _bucket_starts(hist[d], n, starts):
            continue
        shift = np.uint64(d * _DIGIT_BITS)
        for i in range(n):
            v = keys[i]
            b = (v >> shift) & mask
            o = starts[b]
            other[o] = v
            if carry:
                w_other[o] = ws[i]
            starts[b] = o + 1
        keys, other = other, keys
        if carry:
            ws, w_other = w_other, ws
    return keys, ws


@njit(**_OPTS)
def radix_sort(x):
    """np.sort(x) for finite float64 x, by an LSD radix sort."""
    keys, _ = _radix_passes(x, np.empty(0), False)
    return _keys_to_values(keys)


@njit(**_OPTS)
def radix_sort_pairs(x, w):
    """(x[order], w[order]) with order a stable argsort of finite float64 x."""
    keys, ws = _radix_passes(x, w, True)
    return _keys_to_values(keys), ws
