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
def _two_sum(a, b):
    """s + e = a + b exactly (Knuth's TwoSum)."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


@njit(**_OPTS)
def breakpoints(w, lo):
    """Running sums of w as normalised double-doubles: w becomes the high parts.

    On return w[k] + lo[k] = w_0 + ... + w_k to about k^2 eps^2 (the high
    parts are summed directly and the exact error of every addition is
    summed on the side, so the only loop-carried chain is one addition).
    """
    s = 0.0
    c = 0.0
    for k in range(w.shape[0]):
        x = w[k]
        t = s + x
        bb = t - s
        c += (s - (t - bb)) + (x - bb)
        s = t
        w[k], lo[k] = _two_sum(s, c)  # off the loop-carried chain


@njit(**_OPTS)
def _dd_less(ah, al, bh, bl):
    return ah < bh or (ah == bh and al < bl)


@njit(**_OPTS)
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


@njit(**_OPTS)
def quantile_merge_weighted(xs, uh, ul, ys, vh, vl, p, i, j, start, stop):
    """int_start^stop |F^-1 - G^-1|^p for sorted weighted atoms.

    xs and ys are sorted; (uh, ul) and (vh, vl) are the running sums of
    their normalised weights (`breakpoints`): atom i of P covers
    (u_{i-1}, u_i].  Atoms i and j are the ones covering `start` (from the
    right).  Each step integrates up to the nearer breakpoint and advances
    past it; the breakpoints are exact to ~n^2 eps^2, so the segment lengths
    carry no accumulated error (the integrand jumps at every breakpoint,
    which is what limits the accuracy).  Zero weights give zero-length
    segments; with `stop` beyond 1 the pass runs until one list ends, and
    any mass left then is rounding noise that contributes nothing.
    """
    n = xs.shape[0]
    m = ys.shape[0]
    prev_hi = start
    prev_lo = 0.0
    total = 0.0
    while True:
        take_u = _dd_less(uh[i], ul[i], vh[j], vl[j])
        if take_u:
            end_hi = uh[i]
            end_lo = ul[i]
        else:
            end_hi = vh[j]
            end_lo = vl[j]
        last = not _dd_less(end_hi, end_lo, stop, 0.0)
        if last:
            end_hi = stop
            end_lo = 0.0
        total += _cost(xs[i] - ys[j], p) * ((end_hi - prev_hi) + (end_lo - prev_lo))
        if last:
            break
        prev_hi = end_hi
        prev_lo = end_lo
        if take_u:
            i += 1
            if i == n:
                break
        else:
            j += 1
            if j == m:
                break
    return total


# --------------------------------------------------------------------------
# Sorting by NumPy with the index packed into the key.  Where NumPy's sort is
# vectorised, sorting one uint64 array is several times faster than any
# argsort: the high bits of the atom's ordered key (`_ordered_key`) are
# kept and its index fills the low `bits` bits, so equal high parts sort
# by index.  Atoms whose keys differ only in the dropped bits (relative
# differences below ~2^(bits-52)) can come out of order; those runs are
# found while unpacking and sorted by their full keys, stably, so the
# result is the stable sort by value -- the same arrays as the radix sort.
# --------------------------------------------------------------------------
_SIGN = np.uint64(1) << np.uint64(63)


@njit(**_OPTS)
def _ordered_key(v):
    """IEEE bits v of a double -> an unsigned key in numeric order.

    Negative: all bits flipped; positive: sign bit set.  No NaN reaches
    here (validated), so the order is the numeric one; -0.0 sorts before
    +0.0, which compare equal and so cannot change a distance.
    """
    return ~v if v & _SIGN else v | _SIGN


@njit(**_OPTS)
def pack_index_keys(x, bits, out):
    """out[i] = high bits of the ordered key of x[i], with i in the low bits."""
    low = (np.uint64(1) << np.uint64(bits)) - np.uint64(1)
    high = ~low
    xb = x.view(np.uint64)
    for i in range(x.shape[0]):
        out[i] = (_ordered_key(xb[i]) & high) | np.uint64(i)


@njit(**_OPTS)
def unpack_index_keys(packed, x, w, bits, ws, marks):
    """Undo `pack_index_keys` after sorting.

    ws[k] = w[i_k] and, in place, packed[k] = the bits of x[i_k].  Every k
    whose high part equals that of k - 1 is recorded in `marks` (as many as
    fit); returns how many there are.  Such neighbours can be out of order
    and are put right by `sort_runs`.
    """
    low = (np.uint64(1) << np.uint64(bits)) - np.uint64(1)
    n = packed.shape[0]
    for k in range(n):  # separate loops: each is a plain, fast gather
        ws[k] = w[packed[k] & low]
    shift = np.uint64(bits)
    count = 0
    for k in range(1, n):
        if (packed[k] >> shift) == (packed[k - 1] >> shift):
            if count < marks.shape[0]:
                marks[count] = k
            count += 1
    xb = x.view(np.uint64)
    for k in range(n):
        packed[k] = xb[packed[k] & low]
    return count


@njit(**_OPTS)
def _sort_run(xb, ws, k, e):
    """Stable sort of xb[k:e] (double bits) by value, ws moved along."""
    if e - k <= 32:  # insertion sort; linear when the keys are equal
        for s in range(k + 1, e):
            xv = xb[s]
            key = _ordered_key(xv)
            wv = ws[s]
            t = s - 1
            while t >= k and _ordered_key(xb[t]) > key:
                xb[t + 1] = xb[t]
                ws[t + 1] = ws[t]
                t -= 1
            xb[t + 1] = xv
            ws[t + 1] = wv
        return
    keys = np.empty(e - k, np.uint64)
    for s in range(k, e):
        keys[s - k] = _ordered_key(xb[s])
    order = np.argsort(keys, kind="mergesort")
    run_x = xb[k:e].copy()
    run_w = ws[k:e].copy()
    for s in range(e - k):
        xb[k + s] = run_x[order[s]]
        ws[k + s] = run_w[order[s]]


@njit(**_OPTS)
def sort_runs(xs, ws, bits, marks, count):
    """Stable sort by full key of each run of atoms sharing a high part.

    The runs are those recorded by `unpack_index_keys`; when more were found
    than `marks` holds, the runs are found again by a scan of all atoms.
    """
    n = xs.shape[0]
    xb = xs.view(np.uint64)
    if count <= marks.shape[0]:
        r = 0
        while r < count:
            k = marks[r] - 1  # the run starts before its first mark
            e = marks[r] + 1
            r += 1
            while r < count and marks[r] == e:
                e += 1
                r += 1
            _sort_run(xb, ws, k, e)
        return
    shift = np.uint64(bits)
    k = 0
    while k < n:
        h = _ordered_key(xb[k]) >> shift
        e = k + 1
        while e < n and (_ordered_key(xb[e]) >> shift) == h:
            e += 1
        if e - k > 1:
            _sort_run(xb, ws, k, e)
        k = e


# --------------------------------------------------------------------------
# Radix sort of float64 keys (optionally carrying a weight): LSD, 11-bit
# digits, all six digit histograms counted in one pass, passes whose digit
# is the same for every key skipped; the keys are `_ordered_key`'s.  LSD
# passes are stable, so the weights of equal atoms keep their input order.
# --------------------------------------------------------------------------
_DIGIT_BITS = 11
_BUCKETS = 1 << _DIGIT_BITS
_PASSES = 6  # 6 * 11 >= 64


@njit(**_OPTS)
def _ordered_keys(x):
    """Unsigned keys in numeric order, and the histograms of their digits."""
    n = x.shape[0]
    mask = np.uint64(_BUCKETS - 1)
    keys = np.empty(n, np.uint64)
    hist = np.zeros((_PASSES, _BUCKETS), np.int64)
    bits = x.view(np.uint64)
    for i in range(n):
        v = _ordered_key(bits[i])
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
    out = np.empty(keys.shape[0])
    bits = out.view(np.uint64)
    for i in range(keys.shape[0]):
        v = keys[i]
        bits[i] = v & ~_SIGN if v & _SIGN else ~v
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
