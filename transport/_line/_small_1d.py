"""The 1-D distance of small inputs in one compiled call (numba).

For a few hundred atoms the fixed cost of a call is the whole cost: at
n = 10 the wrapper's checks, conversions and scratch arrays took most of a
14 us call.  These kernels check the atoms (and weights), sort and
integrate in one call, with the kernels and the order of operations of the
general route, so the result is the same to the last bit.  Only the sorts
are numba's: the sorted values are the same (-0.0 and 0.0 may trade
places, which changes no |x - y|), and packed keys are distinct.  They
return a status code; anything but OK sends the call down the general
route, which raises the error that names the argument.
"""

import numpy as np
from numba import njit

from ._float_keys import KERNEL
from ._packed_sort import pack_index_keys, unpack_sorted
from ._quantile_merge import breakpoints, quantile_merge_uniform, quantile_merge_weighted

#: Status codes.
OK = 0
NOT_FINITE = 1  # an atom is NaN or +-inf
BAD_WEIGHTS = 2  # a weight negative, NaN or inf, or their sum 0 or inf


@njit(**KERNEL)
def _all_finite(x):
    for i in range(x.shape[0]):
        if not (x[i] - x[i] == 0.0):
            return False
    return True


@njit(**KERNEL)
def small_uniform(x, y, p):
    """(W_p^p, status) for uniform weights: `quantile_merge_uniform` of the
    sorted atoms."""
    if not (_all_finite(x) and _all_finite(y)):
        return 0.0, NOT_FINITE
    return quantile_merge_uniform(np.sort(x), np.sort(y), p), OK


@njit(**KERNEL)
def _weights_ok(w, total):
    """Every weight finite and non-negative, their sum `total` positive
    and finite."""
    for k in range(w.shape[0]):
        if not (w[k] >= 0.0 and w[k] < np.inf):
            return False
    return 0.0 < total < np.inf


@njit(**KERNEL)
def _sorted_atoms(x, w, total):
    """(xs, hi, lo) as `_sort_1d.sort_weighted` returns them, by the same
    packed-key kernels (numba's sort of the distinct keys in place of
    NumPy's: the same array)."""
    n = x.shape[0]
    bits = 1
    while (1 << bits) < n:  # `_float_keys.index_bits`
        bits += 1
    packed = np.empty(n, np.uint64)
    pack_index_keys(x, bits, packed)
    packed.sort()
    hi = np.empty(n)
    lo = np.empty(n)
    xs = unpack_sorted(packed, x, w, bits, hi)
    breakpoints(hi, total, hi, lo)
    return xs, hi, lo


@njit(**KERNEL)
def small_weighted(x, y, a, ta, b, tb, p, head, tail):
    """(W_p^p, status) with weights a, b summing to ta, tb (NumPy's sum, as
    the general route's): its two chunked merges over `head` and `tail`,
    added in its order."""
    if not (_all_finite(x) and _all_finite(y)):
        return 0.0, NOT_FINITE
    if not (_weights_ok(a, ta) and _weights_ok(b, tb)):
        return 0.0, BAD_WEIGHTS
    xs, uh, ul = _sorted_atoms(x, a, ta)
    ys, vh, vl = _sorted_atoms(y, b, tb)
    first = quantile_merge_weighted(xs, uh, ul, ys, vh, vl, p, head)
    second = quantile_merge_weighted(xs, uh, ul, ys, vh, vl, p, tail)
    return first + second, OK
