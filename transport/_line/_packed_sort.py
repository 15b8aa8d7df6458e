"""The stable sort of atoms by value through keys that carry their index.

A packed key is the high part of an atom's ordered key with its index in
the low `bits` bits (`_float_keys.packed_key`).  Sorting one array of
distinct uint64 keys -- by NumPy's sort or by `_radix_sort` -- is several
times faster than any argsort, and both give the same array.  Atoms whose
keys differ only in the dropped bits (relative differences below about
2^(bits-52)) then sit in index order; those runs are found and sorted by
their full keys, stably (`find_runs`, `sort_runs`), before the weights and
values are gathered.  The result is the stable sort by value: weights of
equal atoms keep their input order.  Numba kernels; they validate nothing.
"""

import numpy as np
from numba import njit

from ._float_keys import KERNEL, low_mask, ordered_key, packed_key

#: Run starts recorded by `find_runs`; with more runs than this, `sort_runs`
#: finds them again by a scan of all keys (ties-heavy data: rare, and the
#: scan is one more pass).
RUN_MARKS = 1 << 12

#: Runs up to this long are put in order by insertion sort, longer ones by
#: a stable argsort of their full keys.
INSERTION_MAX = 32


@njit(**KERNEL)
def pack_index_keys(x, bits, out):
    """out[i] = the packed key of x[i] (index i in the low `bits` bits)."""
    high = ~low_mask(bits)
    xb = x.view(np.uint64)
    for i in range(x.shape[0]):
        out[i] = packed_key(xb[i], i, high)


@njit(**KERNEL)
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


@njit(**KERNEL)
def _sort_run(packed, xb, low, k, e):
    """Stably sort the packed entries k..e-1 (one high part, so in index
    order) by the full key of their atoms."""
    in_order = True
    prev = ordered_key(xb[packed[k] & low])
    for s in range(k + 1, e):
        key = ordered_key(xb[packed[s] & low])
        if key < prev:
            in_order = False
            break
        prev = key
    if in_order:  # the usual case, ties included
        return
    if e - k <= INSERTION_MAX:
        for s in range(k + 1, e):
            v = packed[s]
            key = ordered_key(xb[v & low])
            t = s - 1
            while t >= k and ordered_key(xb[packed[t] & low]) > key:
                packed[t + 1] = packed[t]
                t -= 1
            packed[t + 1] = v
        return
    keys = np.empty(e - k, np.uint64)
    for s in range(k, e):
        keys[s - k] = ordered_key(xb[packed[s] & low])
    order = np.argsort(keys, kind="mergesort")
    run = packed[k:e].copy()
    for s in range(e - k):
        packed[k + s] = run[order[s]]


@njit(**KERNEL)
def sort_runs(packed, x, bits, marks, count):
    """Put each run of packed entries sharing a high part in value order.

    The runs are those recorded by `find_runs`; when more were found than
    `marks` holds, they are found again by a scan of all entries.
    """
    xb = x.view(np.uint64)
    low = low_mask(bits)
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


@njit(**KERNEL)
def gather_weights(packed, bits, w, out):
    """out[k] = w[i_k], the weights in the order of the packed indices.

    A plain gather loop: fused with `breakpoints` it measured 3-6x slower.
    """
    low = low_mask(bits)
    for k in range(packed.shape[0]):
        out[k] = w[packed[k] & low]


@njit(**KERNEL)
def gather_values(packed, x, bits):
    """In place: packed[k] = the bits of x[i_k] (view the result as float64)."""
    low = low_mask(bits)
    xb = x.view(np.uint64)
    for k in range(packed.shape[0]):
        packed[k] = xb[packed[k] & low]


@njit(**KERNEL)
def unpack_sorted(packed, x, w, bits, ws):
    """From NumPy-sorted packed keys of x to the stable sort by value: the
    runs of near-equal atoms put in order, ws[k] = the weight of the k-th
    atom, and packed (in place) the bits of its value.  Returns the sorted
    values, a float64 view of packed."""
    marks = np.empty(min(packed.shape[0], RUN_MARKS), np.int64)
    count = find_runs(packed, bits, marks)
    if count:
        sort_runs(packed, x, bits, marks, count)
    gather_weights(packed, bits, w, ws)
    gather_values(packed, x, bits)
    return packed.view(np.float64)
