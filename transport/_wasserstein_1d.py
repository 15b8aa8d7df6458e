"""Exact Wasserstein distance between distributions on the line."""

import importlib
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np

from ._kernels_1d import (
    breakpoints,
    find_runs,
    gather_values,
    gather_weights,
    pack_index_keys,
    quantile_merge_uniform,
    quantile_merge_weighted,
    radix_sort,
    radix_sort_into,
    radix_sort_pairs_into,
    sort_runs,
)
from ._validation import validate_p, validate_values, weights_and_total

__all__ = ["wasserstein_1d", "sorted_pair"]

#: From this many atoms in total, the two inputs are sorted (and the weighted
#: integral split at t = 1/2 is integrated) concurrently.  NumPy and our
#: kernels release the GIL.
CONCURRENT_MIN = 1 << 16

#: From this many atoms in one input, our LSD radix sort is used instead of
#: NumPy's where NumPy's sort is the slower of the two (`numpy_sort_is_fast`).
RADIX_MIN = 1 << 12

_executor = None
_numpy_sort_fast = None


def _sort_executor():
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emdkit-sort")
    return _executor


def _concurrent(size):
    return size >= CONCURRENT_MIN and (os.cpu_count() or 1) > 1


def sorted_pair(func, x, y, size=None):
    """(func(x), func(y)), the two calls concurrent when it pays.

    `size` is the total number of atoms (default: len(x) + len(y)).
    """
    if size is None:
        size = len(x) + len(y)
    if _concurrent(size):
        future = _sort_executor().submit(func, x)
        fy = func(y)
        return future.result(), fy
    return func(x), func(y)


def _best_time(func, arg, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        func(arg)
        best = min(best, time.perf_counter() - t0)
    return best


def _numpy_cpu_features():
    """NumPy's record of this CPU's SIMD features ({} if it has none)."""
    for module in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            return dict(importlib.import_module(module).__cpu_features__)
        except (ImportError, AttributeError):
            continue
    return {}


def numpy_sort_is_fast():
    """Whether NumPy's sort beats our radix sort here (decided once per process).

    NumPy sorts 64-bit keys with vectorised code (x86-simd-sort) on CPUs with
    AVX-512 (Skylake-X and later, AMD Zen 4 and later) and otherwise, on some
    builds, with a scalar introsort: 5 ms against 57 ms for 10^6 doubles on
    the two machines we measured, our radix sort taking about 20 ms on both.
    With AVX-512 the answer is yes; elsewhere both sorts are timed once on
    2^15 doubles.  The choice affects speed only: both routes give the same
    sorted arrays (a stable sort by value), so the same distance to the last
    bit.
    """
    global _numpy_sort_fast
    if _numpy_sort_fast is None:
        if _numpy_cpu_features().get("AVX512_SKX", False):
            _numpy_sort_fast = True
        else:
            sample = np.random.default_rng(0).standard_normal(1 << 15)
            radix_sort(sample)  # load the compiled kernel before timing it
            _numpy_sort_fast = bool(
                _best_time(np.sort, sample) < _best_time(radix_sort, sample))
    return _numpy_sort_fast


#: Inputs of up to this many atoms each are sorted into scratch arrays that
#: are kept between calls: at most 6 arrays of 2^20 doubles, 48 MiB.
#: The allocator returns a call's freed buffers to the system, and fresh
#: memory page-faults: without the scratch, a weighted call at 10^6 atoms
#: took about 3000 page faults and 23-64 ms, against 19-21 ms with it.
SCRATCH_MAX = 1 << 20

_scratch_lock = threading.Lock()
_scratch_arrays = {}


def _reset_after_fork():
    """In a forked child, drop the parent's sort thread and scratch.

    Only the forking thread survives a fork: the executor's worker is gone
    (a submitted sort would wait forever), and the scratch lock and arrays
    may belong to a call that was running on another thread.
    """
    global _executor, _scratch_lock, _scratch_arrays
    _executor = None
    _scratch_lock = threading.Lock()
    _scratch_arrays = {}


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_reset_after_fork)


def _scratch_array(key, n, dtype):
    """The kept array `key`, grown to hold n entries (caller holds the lock)."""
    arr = _scratch_arrays.get(key)
    if arr is None or arr.shape[0] < n:
        arr = _scratch_arrays[key] = np.empty(n, dtype)
    return arr[:n]


@contextmanager
def _buffers(n, m, slots):
    """Work arrays for the sorts of both inputs, one per (name, dtype) slot
    and input.  Kept scratch when the inputs are small enough and no other
    thread is using it, fresh arrays otherwise.
    """
    if max(n, m) > SCRATCH_MAX or not _scratch_lock.acquire(blocking=False):
        yield tuple({name: np.empty(k, t) for name, t in slots} for k in (n, m))
        return
    try:
        yield tuple({name: _scratch_array((side, name), k, t) for name, t in slots}
                    for side, k in enumerate((n, m)))
    finally:
        _scratch_lock.release()


def _slots(weighted, radix):
    slots = [("hi", np.float64)]
    if weighted:
        slots += [("packed", np.uint64), ("lo", np.float64)]
    if radix:
        slots += [("other", np.uint64)] + ([] if weighted else [("packed", np.uint64)])
    return slots


def _sort(x, radix, work):
    """x sorted, in one of the `work` arrays."""
    if radix:
        return radix_sort_into(x, work["packed"], work["other"])
    out = work["hi"]
    np.copyto(out, x)
    out.sort()
    return out


def _sort_weighted(x, w, total, radix, work):
    """Atoms sorted stably by value, with the running sums of their weights.

    Returns (xs, hi, lo): breakpoint k, the end of the k-th sorted atom's
    mass, is hi[k] + lo[k] (`breakpoints` of w / total).  `radix` picks our
    radix sort; otherwise NumPy sorts the keys with the index packed in
    (`pack_index_keys`).  Both give the same arrays.  `work` holds the
    arrays of length n ("packed", "hi", "lo" and, for the radix sort,
    "other") that the results are views of.
    """
    packed, hi, lo = work["packed"], work["hi"], work["lo"]
    n = x.shape[0]
    if radix:  # the sorted weights land in hi or lo, read before overwritten
        xs, ws = radix_sort_pairs_into(x, w, packed, work["other"], hi, lo)
        breakpoints(ws, total, hi, lo)
        return xs, hi, lo
    bits = max(1, (n - 1).bit_length())
    pack_index_keys(x, bits, packed)
    packed.sort()
    marks = np.empty(min(n, 1 << 12), np.int64)
    count = find_runs(packed, bits, marks)
    if count:
        sort_runs(packed, x, bits, marks, count)
    gather_weights(packed, bits, w, hi)
    breakpoints(hi, total, hi, lo)
    gather_values(packed, x, bits)
    return packed.view(np.float64), hi, lo


#: The weighted integral's chunks: [0, 1/2] cut at 1/8, 2/8, 3/8, and
#: [1/2, 1] cut at 5/8, 6/8, 7/8 (2.0: to the end of the atoms).
_HEAD_CUTS = np.array([0.0, 0.125, 0.25, 0.375, 0.5])
_TAIL_CUTS = np.array([0.5, 0.625, 0.75, 0.875, 2.0])


def _merge_weighted(u, v, p, concurrent):
    """int_0^1 |F^-1 - G^-1|^p in eight chunks cut at t = k/8.

    Each of two calls of the kernel interleaves four chunks ([0, 1/2] and
    [1/2, 1]); the calls run on two threads when `concurrent`.  The cut is
    always made, so the sum (and its rounding) does not depend on threads.
    """
    xs, uh, ul = u
    ys, vh, vl = v
    if not (uh[-1] > 0.875 and vh[-1] > 0.875):  # both totals are 1 to n eps
        raise RuntimeError("internal error: the weights were not normalised")
    head = (xs, uh, ul, ys, vh, vl, p, _HEAD_CUTS)
    tail = (xs, uh, ul, ys, vh, vl, p, _TAIL_CUTS)
    if concurrent:
        first = _sort_executor().submit(quantile_merge_weighted, *head)
        second = quantile_merge_weighted(*tail)
        return first.result() + second
    return quantile_merge_weighted(*head) + quantile_merge_weighted(*tail)


def _weights(w, n, name, values_name):
    """(w, total) with w / total the normalised weights; None: uniform."""
    if w is None:
        return np.ones(n), float(n)
    return weights_and_total(w, n, name, values_name)


def _as_line(values, name):
    x = validate_values(values, name)
    if x.shape[1] != 1:
        raise ValueError(
            f"`{name}` must be points on the line, shape (n,) or (n, 1); got "
            f"shape {np.shape(values)}. Use `wasserstein` for points in R^d."
        )
    return x[:, 0]


def wasserstein_1d(u_values, v_values, u_weights=None, v_weights=None, *, p=1):
    r"""Exact p-Wasserstein distance between two distributions on the line.

    Parameters
    ----------
    u_values : (n,) array_like
        Atoms of P (any order, ties allowed).
    v_values : (m,) array_like
        Atoms of Q.
    u_weights, v_weights : (n,), (m,) array_like, optional
        Non-negative weights with a positive sum, normalised to 1 (SciPy's
        convention); uniform when None.  Zero weights are allowed.
    p : float, optional
        Order, p >= 1 (default 1, the Earth-Mover distance).

    Returns
    -------
    float
        W_p(P, Q) -- the distance itself, not its p-th power.

    Raises
    ------
    ValueError
        NaN or inf atoms, negative or all-zero weights, weights whose length
        does not match the atoms, empty input, points not on the line, or
        p < 1.
    TypeError
        Non-numeric input.

    See Also
    --------
    wasserstein : point clouds in R^d (1-D input comes here).
    scipy.stats.wasserstein_distance : the same argument order (p = 1).

    Notes
    -----
    The quantile (monotone coupling) form

    .. math:: W_p^p(P, Q) = \int_0^1 |F^{-1}(t) - G^{-1}(t)|^p \, dt

    is exact for every p >= 1: both quantile functions are step functions,
    integrated segment by segment in one merge pass over the sorted atoms.
    For p = 1 it equals :math:`\int |F - G|\,dx`, but for p != 1 the L^p
    distance between the CDFs is *not* W_p.  With uniform weights the
    breakpoints i/n and j/m are compared in exact integer arithmetic; with
    weights they are running sums kept as double-doubles.

    Sorting uses NumPy's sort where it is vectorised (weighted atoms: one
    sort of 64-bit keys carrying the index) and our O(n) radix sort from
    4096 atoms where it is not; the choice is made once per process
    (`numpy_sort_is_fast`), and both give the same sorted arrays, hence the
    same result.
    From 65536 atoms in all, the two inputs are sorted concurrently, and the
    weighted integral is computed as two halves, [0, 1/2] and [1/2, 1], on
    two threads (the split is always made, so the rounding is the same).
    Inputs of up to 2^20 atoms each are sorted into scratch arrays kept
    between calls (at most 48 MiB), which saves the page faults of fresh
    memory on repeated calls; larger inputs, and callers on other threads
    while one call holds the scratch, get fresh arrays.

    Examples
    --------
    >>> from transport import wasserstein_1d
    >>> wasserstein_1d([0.0, 1.0, 3.0], [5.0, 6.0, 8.0])   # a shift by 5
    5.0
    >>> wasserstein_1d([0.0, 1.0], [0.0, 1.0], [3, 1], [1, 3])
    0.5
    >>> round(wasserstein_1d([0.0], [1.0, 3.0], p=2), 10)   # sqrt((1 + 9) / 2)
    2.2360679775
    """
    x = _as_line(u_values, "u_values")
    y = _as_line(v_values, "v_values")
    p = validate_p(p)
    size = x.shape[0] + y.shape[0]
    radix = max(x.shape[0], y.shape[0]) >= RADIX_MIN and not numpy_sort_is_fast()
    radix_u, radix_v = (radix and k >= RADIX_MIN for k in (x.shape[0], y.shape[0]))
    concurrent = _concurrent(size)
    weighted = not (u_weights is None and v_weights is None)
    if weighted:
        a = _weights(u_weights, x.shape[0], "u_weights", "u_values")
        b = _weights(v_weights, y.shape[0], "v_weights", "v_values")
    with _buffers(x.shape[0], y.shape[0], _slots(weighted, radix)) as (out_u, out_v):
        if not weighted:
            xs, ys = sorted_pair(lambda z: _sort(*z), (x, radix_u, out_u),
                                 (y, radix_v, out_v), size)
            total = quantile_merge_uniform(xs, ys, p)
        else:
            u, v = sorted_pair(lambda z: _sort_weighted(*z), (x, *a, radix_u, out_u),
                               (y, *b, radix_v, out_v), size)
            total = _merge_weighted(u, v, p, concurrent)
    total = max(total, 0.0)
    return float(total if p == 1.0 else total ** (1.0 / p))
