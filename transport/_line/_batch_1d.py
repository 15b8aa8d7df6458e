"""Many 1-D distances in one call: one per slice of two 2-D data sets.

`wasserstein_1d(U, V, axis=0)` gives the distance between column j of U
and column j of V for every j (per-feature distances between two data sets
of the same width); `axis=1` the same for rows.  The inputs are validated
once, as wholes (errors name the entry), and cut into contiguous slices;
the slices are spread over a thread pool made for the call (no process-wide
state, so nothing to repair after a fork), one thread per core, and each
slice takes the route a single call would take on it -- the same bits.
"""

import numbers
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from divergences._validation import as_float_array, raise_first_bad_entry

from .._core._validation import validate_p

from ._routes import slice_route

__all__ = ["per_slice"]

#: From this many atoms in all, the slices are spread over threads: making,
#: using and shutting down a pool of 2 measured 0.21 ms, while sorting and
#: merging 2^16 atoms takes about 1 ms on one thread (0.6 ms on two).
THREADS_MIN = 1 << 16


def _axis(axis):
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"`axis` must be None, 0 or 1 (or -1, -2); got {axis!r}.")
    if axis not in (0, 1, -1, -2):
        raise ValueError(
            f"`axis` must be None, 0 or 1 (or -1, -2) for 2-D data; got {axis}.")
    return int(axis) % 2


def _slices(values, name, axis):
    """(k, n) C-contiguous float64: slice j is values' j-th column (axis 0)
    or row (axis 1); every entry finite."""
    arr = as_float_array(values, name)
    if arr.ndim != 2:
        raise ValueError(
            f"`{name}` must be a 2-D array when `axis` is given (one sample per "
            f"column for axis=0, per row for axis=1); got shape {arr.shape}.")
    if arr.shape[axis] == 0:
        raise ValueError(f"`{name}` must hold at least one point per slice; "
                         f"shape {arr.shape} has none along axis {axis}.")
    if not np.isfinite(arr).all():
        raise_first_bad_entry(arr, name, allow_negative=True)
    return np.ascontiguousarray(arr.T if axis == 0 else arr)


def _slice_weights(w, shape, name, values_name, axis):
    """None, an (n,) array shared by every slice, or a (k, n) array of one
    row per slice (C-contiguous float64, finite, non-negative, every slice
    with a positive sum)."""
    if w is None:
        return None
    k, n = shape
    arr = as_float_array(w, name)
    full = (n, k) if axis == 0 else (k, n)
    if arr.shape not in ((n,), full):
        raise ValueError(
            f"`{name}` must have shape ({n},) (the same weights for every "
            f"slice) or {full} (the shape of `{values_name}`); got {arr.shape}.")
    if not (np.isfinite(arr).all() and (arr >= 0).all()):
        raise_first_bad_entry(arr, name)
    if arr.ndim == 2:
        arr = np.ascontiguousarray(arr.T if axis == 0 else arr)
    sums = arr.max(axis=-1)  # a slice sums to 0 exactly when its max is 0
    empty = np.flatnonzero(np.atleast_1d(sums) <= 0)
    if empty.size:
        raise ValueError(
            f"`{name}` must have a positive sum in every slice; slice "
            f"{int(empty[0])} (along axis {1 - axis}) is all zero.")
    return np.ascontiguousarray(arr)


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def per_slice(u_values, v_values, u_weights, v_weights, p, axis):
    """(k,) array: W_p between slice j of U and of V (weights a_j, b_j) for
    every slice j, each by the route a single call would take (`slice_route`)."""
    axis = _axis(axis)
    U = _slices(u_values, "u_values", axis)
    V = _slices(v_values, "v_values", axis)
    if U.shape[0] != V.shape[0]:
        raise ValueError(
            f"`u_values` and `v_values` must have as many slices: got "
            f"{U.shape[0]} and {V.shape[0]} along axis {1 - axis} (shapes "
            f"{np.shape(u_values)} and {np.shape(v_values)}).")
    A = _slice_weights(u_weights, U.shape, "u_weights", "u_values", axis)
    B = _slice_weights(v_weights, V.shape, "v_weights", "v_values", axis)
    p = validate_p(p)
    k = U.shape[0]
    out = np.empty(k)

    def weights(W, j):
        return W if W is None or W.ndim == 1 else W[j]

    def run(first, step):
        for j in range(first, k, step):
            out[j] = slice_route(U[j], V[j], weights(A, j), weights(B, j), p)

    workers = min(k, _cores())
    if workers <= 1 or U.size + V.size < THREADS_MIN:
        run(0, 1)
        return out
    with ThreadPoolExecutor(workers, thread_name_prefix="emdkit-slices") as pool:
        for done in [pool.submit(run, t, workers) for t in range(workers)]:
            done.result()
    return out
