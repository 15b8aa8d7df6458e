"""Doubles as unsigned 64-bit keys in numeric order (numba kernels).

Both 1-D sorts work on these keys: the radix sort on their digits, NumPy's
sort on keys with the atom's index packed into the low bits.  Kernels
validate nothing; no NaN reaches them.
"""

import numpy as np
from numba import njit

#: Options of every numba kernel of the 1-D distance (no fastmath: the
#: distance may legitimately overflow, and that is detected downstream).
KERNEL = dict(cache=True, nogil=True, error_model="numpy")

SIGN = np.uint64(1) << np.uint64(63)


@njit(**KERNEL)
def ordered_key(v):
    """IEEE bits v of a double -> an unsigned key in numeric order.

    Negative: all bits flipped; positive: sign bit set.  -0.0 sorts before
    +0.0; the two compare equal, so the order between them cannot change a
    distance.
    """
    return ~v if v & SIGN else v | SIGN


@njit(**KERNEL)
def key_bits(key):
    """The inverse of `ordered_key`: the IEEE bits of the double."""
    return key & ~SIGN if key & SIGN else ~key


@njit(**KERNEL)
def low_mask(bits):
    """The low `bits` bits set: where a packed key holds the atom's index."""
    return (np.uint64(1) << np.uint64(bits)) - np.uint64(1)


@njit(**KERNEL)
def packed_key(v, i, high):
    """The ordered key of IEEE bits v with its low bits replaced by index i.

    `high` is ~low_mask(bits).  Keys that differ only in the dropped bits
    then sort by index; `_packed_sort.sort_runs` puts them in value order.
    """
    return (ordered_key(v) & high) | np.uint64(i)


def index_bits(n):
    """How many low bits hold the index of n atoms (at least 1)."""
    return max(1, (n - 1).bit_length())
