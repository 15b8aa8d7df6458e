"""LSD radix sort of doubles, or of doubles packed with their index (numba).

The keys are `_float_keys.ordered_key`'s (numeric order as unsigned
integers).  All digit histograms are counted in the pass that makes the
keys; a digit that is the same for every key is skipped; the last pass
writes the doubles' own bits back.  LSD passes are stable.

With the index packed into the low `bits` bits (`_float_keys.packed_key`),
those bits are already in order (the input order is the index order and
the passes are stable), so only the digits above them are sorted: at
n = 10^6, 6 passes instead of 8 over 8-byte keys.  Packed keys are
distinct, so any correct sort gives the same array -- NumPy's included.
"""

import numpy as np
from numba import njit

from ._float_keys import KERNEL, key_bits, low_mask, ordered_key, packed_key

#: Bits per digit.  Measured at 10^6 normal doubles on AMD EPYC (Zen 4),
#: best of 15 runs, `radix_sort_into` / `radix_sort_packed_into` (bits=20):
#: 8 bits 15-16 / 13-14 ms, 10 bits 15-17 / 11-14 ms, 11 bits 25-28 /
#: 18-19 ms, 13 bits 22-24 / 16 ms, 16 bits 16 / 18 ms.  With 256 buckets the
#: histograms of all passes (8 x 256 counts, 16 KiB) and the 256 write
#: streams of a pass stay in L1.
DIGIT_BITS = 8
BUCKETS = 1 << DIGIT_BITS


@njit(**KERNEL)
def _passes(start):
    """Digits needed to cover bits start..63."""
    return (64 - start + DIGIT_BITS - 1) // DIGIT_BITS


@njit(**KERNEL)
def _count(key, hist, start, passes):
    mask = np.uint64(BUCKETS - 1)
    for d in range(passes):
        hist[d, (key >> np.uint64(start + d * DIGIT_BITS)) & mask] += 1


@njit(**KERNEL)
def _scatter(keys, other, hist, start, passes, to_bits):
    """Sort `keys` by the digits above bit `start`, moving them between
    keys and other; returns the array holding the result.  With `to_bits`
    the result holds the doubles' bits instead of their keys."""
    n = keys.shape[0]
    active = np.zeros(passes, np.bool_)
    last = -1
    for d in range(passes):
        for b in range(BUCKETS):
            if hist[d, b] != 0:
                active[d] = hist[d, b] != n
                break
        if active[d]:
            last = d
    if last < 0:  # one key value only (or n = 0): already sorted
        if to_bits:
            for i in range(n):
                keys[i] = key_bits(keys[i])
        return keys
    starts = np.empty(BUCKETS, np.int64)
    mask = np.uint64(BUCKETS - 1)
    for d in range(passes):
        if not active[d]:
            continue
        total = 0
        for b in range(BUCKETS):
            starts[b] = total
            total += hist[d, b]
        shift = np.uint64(start + d * DIGIT_BITS)
        if to_bits and d == last:
            for i in range(n):
                v = keys[i]
                b = (v >> shift) & mask
                other[starts[b]] = key_bits(v)
                starts[b] += 1
        else:
            for i in range(n):
                v = keys[i]
                b = (v >> shift) & mask
                other[starts[b]] = v
                starts[b] += 1
        keys, other = other, keys
    return keys


@njit(**KERNEL)
def radix_sort_into(x, keys, other):
    """np.sort(x) for finite float64 x, in a float64 view of one of the
    uint64 work arrays keys, other (length n each)."""
    passes = _passes(0)
    hist = np.zeros((passes, BUCKETS), np.int64)
    xb = x.view(np.uint64)
    for i in range(x.shape[0]):
        v = ordered_key(xb[i])
        keys[i] = v
        _count(v, hist, 0, passes)
    return _scatter(keys, other, hist, 0, passes, True).view(np.float64)


@njit(**KERNEL)
def radix_sort_packed_into(x, bits, keys, other):
    """The sorted packed keys of x (index in the low `bits` bits), in one of
    the uint64 work arrays keys, other: np.sort of `pack_index_keys`."""
    passes = _passes(bits)
    hist = np.zeros((passes, BUCKETS), np.int64)
    high = ~low_mask(bits)
    xb = x.view(np.uint64)
    for i in range(x.shape[0]):
        v = packed_key(xb[i], i, high)
        keys[i] = v
        _count(v, hist, bits, passes)
    return _scatter(keys, other, hist, bits, passes, False)


@njit(**KERNEL)
def radix_sort(x):
    """np.sort(x) for finite float64 x (fresh work arrays)."""
    n = x.shape[0]
    return radix_sort_into(x, np.empty(n, np.uint64), np.empty(n, np.uint64))
