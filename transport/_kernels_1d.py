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
def _running_sum(s, c, x):
    """Add x to the running sum s, the exact error of the addition to c."""
    t = s + x
    bb = t - s
    c += (s - (t - bb)) + (x - bb)
    return t, c


@njit(**_OPTS)
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


@njit(**_OPTS)
def _dd_less(ah, al, bh, bl):
    """(ah, al) < (bh, bl) for normalised double-doubles (branch-free)."""
    return (ah < bh) | ((ah == bh) & (al < bl))


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
def _segment(xs, uh, ul, ys, vh, vl, p, i, j, prev_hi, prev_lo, stop):
    """One step of the weighted merge: the segment from `prev` to the nearer
    breakpoint (or to `stop`), where atoms i of P and j of Q are current.

    Returns (i, j, end_hi, end_lo, contribution, done): the atom whose
    breakpoint ends the segment is passed (ties: Q's first).  Branch-free
    but for the caller's test of `done`.
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
    c = _cost(xs[i] - ys[j], p) * ((end_hi - prev_hi) + (end_lo - prev_lo))
    return i + np.int64(take_u), j + np.int64(not take_u), end_hi, end_lo, c, done


@njit(**_OPTS)
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


@njit(**_OPTS)
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


# --------------------------------------------------------------------------
# Sorting by NumPy with the index packed into the key.  Where NumPy's sort is
# vectorised, sorting one uint64 array is several times faster than any
# argsort: the high bits of the atom's ordered key (`_ordered_key`) are
# kept and its index fills the low `bits` bits, so equal high parts sort
# by index.  Atoms whose keys differ only in the dropped bits (relative
# differences below ~2^(bits-52)) can come out of order; those runs are
# found and sorted by their full keys, stably, before the weights and
# values are gathered, so the result is the stable sort by value -- the
# same order as the radix sort's.
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
def _low_mask(bits):
    """The low `bits` bits set: where `pack_index_keys` puts the index."""
    return (np.uint64(1) << np.uint64(bits)) - np.uint64(1)


@njit(**_OPTS)
def pack_index_keys(x, bits, out):
    """out[i] = high bits of the ordered key of x[i], with i in the low bits."""
    low = _low_mask(bits)
    high = ~low
    xb = x.view(np.uint64)
    for i in range(x.shape[0]):
        out[i] = (_ordered_key(xb[i]) & high) | np.uint64(i)


@njit(**_OPTS)
def find_runs(packed, bits, marks):
    """Record in `marks` (as many as fit) every k whose high part equals
    that of k - 1 in the sorted packed keys; returns how many there are.
    Such neighbours can be out of order by value (`sort_runs`).
    """
    shift = np.uint64(bits)
    count = 0
    for k in range(1, packed.shape[0]):
        if (packed[k] >> shift) == (packed[k - 1] >> shift):
            if count < marks.shape[0]:
                marks[count] = k
            count += 1
    return count


@njit(**_OPTS)
def _sort_run(packed, xb, low, k, e):
    """Stably sort the packed entries k..e-1 (one high part, so in index
    order) by the full key of their atoms."""
    in_order = True
    prev = _ordered_key(xb[packed[k] & low])
    for s in range(k + 1, e):
        key = _ordered_key(xb[packed[s] & low])
        if key < prev:
            in_order = False
            break
        prev = key
    if in_order:  # the usual case, ties included
        return
    if e - k <= 32:  # insertion sort
        for s in range(k + 1, e):
            v = packed[s]
            key = _ordered_key(xb[v & low])
            t = s - 1
            while t >= k and _ordered_key(xb[packed[t] & low]) > key:
                packed[t + 1] = packed[t]
                t -= 1
            packed[t + 1] = v
        return
    keys = np.empty(e - k, np.uint64)
    for s in range(k, e):
        keys[s - k] = _ordered_key(xb[packed[s] & low])
    order = np.argsort(keys, kind="mergesort")
    run = packed[k:e].copy()
    for s in range(e - k):
        packed[k + s] = run[order[s]]


@njit(**_OPTS)
def sort_runs(packed, x, bits, marks, count):
    """Put each run of packed entries sharing a high part in value order.

    The runs are those recorded by `find_runs`; when more were found than
    `marks` holds, they are found again by a scan of all entries.
    """
    xb = x.view(np.uint64)
    low = _low_mask(bits)
    if count <= marks.shape[0]:
        r = 0
        while r < count:
            k = marks[r] - 1  # the run starts before its first mark
            e = marks[r] + 1
            r += 1
            while r < count and marks[r] == e:
                e += 1
                r += 1
            _sort_run(packed, xb, low, k, e)
        return
    shift = np.uint64(bits)
    n = packed.shape[0]
    k = 0
    while k < n:
        h = packed[k] >> shift
        e = k + 1
        while e < n and (packed[e] >> shift) == h:
            e += 1
        if e - k > 1:
            _sort_run(packed, xb, low, k, e)
        k = e


@njit(**_OPTS)
def gather_weights(packed, bits, w, out):
    """out[k] = w[i_k], the weights in the order of the packed indices.

    A plain gather loop: fused with `breakpoints` it measured 3-6x slower.
    """
    low = _low_mask(bits)
    for k in range(packed.shape[0]):
        out[k] = w[packed[k] & low]


@njit(**_OPTS)
def gather_values(packed, x, bits):
    """In place: packed[k] = the bits of x[i_k] (view the result as float64)."""
    low = _low_mask(bits)
    xb = x.view(np.uint64)
    for k in range(packed.shape[0]):
        packed[k] = xb[packed[k] & low]


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
def _ordered_keys(x, keys):
    """keys = the ordered keys of x; returns the histograms of their digits."""
    mask = np.uint64(_BUCKETS - 1)
    hist = np.zeros((_PASSES, _BUCKETS), np.int64)
    bits = x.view(np.uint64)
    for i in range(x.shape[0]):
        v = _ordered_key(bits[i])
        keys[i] = v
        for d in range(_PASSES):
            hist[d, (v >> np.uint64(d * _DIGIT_BITS)) & mask] += 1
    return hist


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
    """In place: ordered keys back to the bits of their doubles."""
    for i in range(keys.shape[0]):
        v = keys[i]
        keys[i] = v & ~_SIGN if v & _SIGN else ~v
    return keys.view(np.float64)


@njit(**_OPTS)
def _radix_passes(x, w, carry, keys, other, ws, w_other):
    """Sorted keys of x and, when `carry`, the weights w moved along.

    keys, other (uint64) and, when `carry`, ws, w_other (float64) are work
    arrays of length n; the passes move the data back and forth between
    each pair, and the pair members holding the result are returned.
    """
    n = x.shape[0]
    hist = _ordered_keys(x, keys)
    if carry:
        ws[:] = w
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
def radix_sort_into(x, keys, other):
    """np.sort(x) for finite float64 x, by an LSD radix sort, in a view of
    one of the uint64 work arrays keys, other (length n each)."""
    sorted_keys, _ = _radix_passes(x, x, False, keys, other, x, x)
    return _keys_to_values(sorted_keys)


@njit(**_OPTS)
def radix_sort_pairs_into(x, w, keys, other, ws, w_other):
    """(x[order], w[order]) with order a stable argsort of finite float64 x,
    in views of the work arrays (uint64 keys, other; float64 ws, w_other)."""
    sorted_keys, sorted_w = _radix_passes(x, w, True, keys, other, ws, w_other)
    return _keys_to_values(sorted_keys), sorted_w


@njit(**_OPTS)
def radix_sort(x):
    """np.sort(x) for finite float64 x (fresh work arrays)."""
    n = x.shape[0]
    return radix_sort_into(x, np.empty(n, np.uint64), np.empty(n, np.uint64))
