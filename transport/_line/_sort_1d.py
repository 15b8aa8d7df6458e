"""Sorting the atoms of a 1-D distance: two routes, chosen by timing them.

Unweighted atoms need their values sorted; weighted atoms the stable sort
by value with their weights moved along, for which the index is packed into
the key (`_packed_sort`).  Either sort is done by NumPy or by our LSD radix
sort (`_radix_sort`).  Which is faster depends on the machine: NumPy sorts
with vectorised code (x86-simd-sort) on some CPUs and builds, and with a
scalar introsort elsewhere; a CPU flag does not tell which (on an AMD Zen 4
that reports AVX512_SKX, NumPy 2.4 sorted 10^6 doubles in 52 ms, our radix
sort in 20-33 ms).  So both routes are timed on the first large call of a
process (`numpy_sort_is_fast`), a few milliseconds once.  Both routes give
the same arrays, so the choice changes the speed, never a result.

Inputs of up to `SCRATCH_MAX` atoms are sorted into arrays kept between
calls (`buffers`).
"""

import os
import threading
import time
from contextlib import contextmanager

import numpy as np

from ._float_keys import index_bits
from ._packed_sort import pack_index_keys, unpack_sorted
from ._quantile_merge import breakpoints
from ._radix_sort import radix_sort_into, radix_sort_packed_into

__all__ = ["RADIX_MIN", "SCRATCH_MAX", "buffers", "numpy_sort_is_fast",
           "sort_values", "sort_weighted", "slots"]

#: From this many atoms in one input, the sort route is the measured one;
#: below, NumPy's sort, whose fixed cost is lower.  Where NumPy's sort is
#: scalar (AMD Zen 4, NumPy 2.4), best of 200: 1024 doubles 14 us both
#: ways, 2048: NumPy 35 us, radix 29 us; 4096: 86 against 56 us.
RADIX_MIN = 1 << 11

#: Atoms in the sample on which the two routes are timed: large enough
#: that neither sort's fixed cost decides (2^14 doubles: NumPy 0.1-0.5 ms,
#: radix 0.15 ms on the machines measured), small enough that timing both
#: routes three times costs a few milliseconds.
ROUTE_SAMPLE = 1 << 14

#: Timed runs of each route; the fastest counts (a run interrupted by
#: another process only slows that run).
ROUTE_RUNS = 3

_route_lock = threading.Lock()
_numpy_sort_fast = {}


def _fastest(func, runs):
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def _time_routes(kind):
    """Seconds of (NumPy route, radix route) of `kind` on a sample."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(ROUTE_SAMPLE)
    w = rng.random(ROUTE_SAMPLE)
    work = {name: np.empty(ROUTE_SAMPLE, dtype) for name, dtype in slots(True, True)}
    if kind == "values":
        routes = [lambda r=r: sort_values(x, r, work) for r in (False, True)]
    else:
        routes = [lambda r=r: sort_weighted(x, w, 1.0, r, work) for r in (False, True)]
    for route in routes:  # load the compiled kernels before timing them
        route()
    times = [float("inf")] * 2
    for _ in range(ROUTE_RUNS):  # interleaved: a busy spell hurts both
        for k, route in enumerate(routes):
            times[k] = min(times[k], _fastest(route, 1))
    return times


def numpy_sort_is_fast(kind="values"):
    """Whether NumPy's sort route beats the radix route here, by timing.

    `kind` is "values" (sorting doubles) or "packed" (the stable sort of
    weighted atoms).  Each is timed once per process, on its first use.
    """
    fast = _numpy_sort_fast.get(kind)
    if fast is None:
        with _route_lock:
            fast = _numpy_sort_fast.get(kind)
            if fast is None:
                numpy_time, radix_time = _time_routes(kind)
                fast = _numpy_sort_fast[kind] = bool(numpy_time < radix_time)
    return fast


def use_radix(n, kind):
    """Whether an input of n atoms is sorted by the radix route."""
    return n >= RADIX_MIN and not numpy_sort_is_fast(kind)


# --------------------------------------------------------------------------
# Scratch arrays
# --------------------------------------------------------------------------
#: Inputs of up to this many atoms each are sorted into scratch arrays that
#: are kept between calls: at most 4 arrays of 2^20 8-byte entries per
#: input, 64 MiB.  The allocator returns a call's freed buffers to the
#: system, and fresh memory page-faults: without the scratch, a weighted
#: call at 10^6 atoms took about 3000 page faults and 23-64 ms, against
#: 19-21 ms with it.
SCRATCH_MAX = 1 << 20

_scratch_lock = threading.Lock()
_scratch_arrays = {}


def _new_locks():
    """Fresh locks in a child made by fork: one held by another thread of
    the parent at the fork would never be released there."""
    global _route_lock, _scratch_lock
    _route_lock = threading.Lock()
    _scratch_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_locks)


def _scratch_array(key, n, dtype):
    """The kept array `key`, grown to hold n entries (caller holds the lock)."""
    arr = _scratch_arrays.get(key)
    if arr is None or arr.shape[0] < n:
        arr = _scratch_arrays[key] = np.empty(n, dtype)
    return arr[:n]


@contextmanager
def buffers(n, m, slots):
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


def slots(weighted, radix):
    """The work arrays (name, dtype) a sort needs."""
    out = [("keys", np.uint64)]
    if radix:
        out.append(("other", np.uint64))
    if weighted:
        out += [("hi", np.float64), ("lo", np.float64)]
    return out


# --------------------------------------------------------------------------
# The two routes
# --------------------------------------------------------------------------
def sort_values(x, radix, work):
    """x sorted, in one of the `work` arrays ("keys", and "other" for the
    radix sort)."""
    if radix:
        return radix_sort_into(x, work["keys"], work["other"])
    out = work["keys"].view(np.float64)
    np.copyto(out, x)
    out.sort()
    return out


def sort_weighted(x, w, total, radix, work):
    """Atoms sorted stably by value, with the running sums of their weights.

    Returns (xs, hi, lo): breakpoint k, the end of the k-th sorted atom's
    mass, is hi[k] + lo[k] (`breakpoints` of w / total).  The packed keys
    are sorted by our radix sort when `radix`, by NumPy's otherwise: the
    same array either way.  The results are views of the `work` arrays
    ("keys", "hi", "lo" and, for the radix sort, "other").
    """
    hi, lo = work["hi"], work["lo"]
    n = x.shape[0]
    bits = index_bits(n)
    if radix:
        packed = radix_sort_packed_into(x, bits, work["keys"], work["other"])
    else:
        packed = work["keys"]
        pack_index_keys(x, bits, packed)
        packed.sort()
    xs = unpack_sorted(packed, x, w, bits, hi)
    breakpoints(hi, total, hi, lo)
    return xs, hi, lo
