"""The routes of `wasserstein_1d` for one pair of samples on the line.

`wasserstein_1d` (in `_wasserstein_1d`) decides, in one place, which route a
call takes; the routes here never call back up:

* `small_route`: inputs of up to `SMALL_MAX` atoms each, given as plain 1-D
  float64 arrays, checked, sorted and integrated in one compiled call
  (`_small_1d`); None where it cannot answer to the last bit, and the
  general route runs;
* `general_route`: any input, validated, sorted (NumPy or radix, the two
  inputs concurrently when large) and merged; where W_p^p over- or
  underflows, W_p is recomputed scaled (`_quantile_merge.scaled_root`);
* `slice_route`: one slice of a batch (`_batch_1d`): the small route, else
  the general one on the calling thread.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._quantile_merge import (
    NOT_REPRESENTABLE,
    quantile_merge_uniform,
    quantile_merge_weighted,
    scaled_root,
    uniform_segments,
    weighted_segments,
)
from ._small_1d import OK as SMALL_OK
from ._small_1d import small_uniform, small_weighted
from ._sort_1d import buffers, slots, sort_values, sort_weighted, use_radix
from .._core._scaling import not_representable
from .._core._validation import validate_p, validate_values, weights_and_total

__all__ = ["small_route", "general_route", "slice_route", "sorted_pair"]

#: From this many atoms in total, the two inputs are sorted (and the weighted
#: integral split at t = 1/2 is integrated) concurrently.  NumPy and our
#: kernels release the GIL.  Measured (2 cores, median of 41), one thread /
#: two: n + m = 2^14: 258 / 225 us unweighted, 414 / 393 weighted; 2^15:
#: 490 / 361 and 791 / 602; 2^16: 958 / 592 and 1563 / 985.  At 2^14 the
#: gain is within what a busy second core takes back.
CONCURRENT_MIN = 1 << 15

_executor = None


def _sort_executor():
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emdkit-sort")
    return _executor


def _drop_executor_after_fork():
    """Only the forking thread survives a fork: the executor's worker is gone
    (a submitted sort would wait forever), so a forked child makes its own."""
    global _executor
    _executor = None


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_drop_executor_after_fork)


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


#: Inputs of up to this many atoms each, given as 1-D C-contiguous float64
#: arrays, take the one-call route (`_small_1d`).  Measured per call, warm
#: (AMD Zen 4, median of 7 x 200 calls on the same arrays), one-call /
#: general route: unweighted n = 10: 1.8 / 13.3 us, 100: 3.3 / 13.7,
#: 1000: 23 / 38; weighted n = 10: 7.8 / 30.9, 300: 19.7 / 42.3,
#: 1000: 45 / 73.  From 2048 atoms the general route may take the radix
#: sort.
SMALL_MAX = 1 << 10


def _plain(x, n=None):
    """Whether x is a 1-D C-contiguous float64 array of n (any up to
    SMALL_MAX when None) entries: input the one-call route takes as it is."""
    return (type(x) is np.ndarray and x.dtype == _FLOAT64 and x.ndim == 1
            and x.flags.c_contiguous
            and (0 < x.shape[0] <= SMALL_MAX if n is None else x.shape[0] == n))


_FLOAT64 = np.dtype(np.float64)
_FLOAT_MAX = float(np.finfo(np.float64).max)


def _small(u_values, v_values, u_weights, v_weights, p):
    """W_p^p by the one-call route, or None where the general route must
    run (large, not plain arrays, p < 1, or any input it would refuse)."""
    if not (1 <= p <= _FLOAT_MAX and _plain(u_values) and _plain(v_values)):
        return None
    p = float(p)
    if u_weights is None and v_weights is None:
        total, status = small_uniform(u_values, v_values, p)
    else:
        a = _small_weights(u_weights, u_values.shape[0])
        b = _small_weights(v_weights, v_values.shape[0])
        if a is None or b is None:
            return None
        with np.errstate(over="ignore", invalid="ignore"):  # bad sums: general route
            ta, tb = float(a.sum()), float(b.sum())
        total, status = small_weighted(u_values, v_values, a, ta, b, tb, p,
                                       _HEAD_CUTS, _TAIL_CUTS)
    return total if status == SMALL_OK else None


def small_route(u_values, v_values, u_weights, v_weights, p):
    """W_p by the one-call route, or None where the general route must run
    (large or not plain arrays, p not a plain number, or a sum W_p^p that
    over- or underflowed)."""
    if not (type(p) is float or type(p) is int):
        return None
    total = _small(u_values, v_values, u_weights, v_weights, p)
    if total is None or not _trusted(total, u_values.shape[0] + v_values.shape[0]):
        return None
    return float(total if p == 1 else total ** (1.0 / p))


def slice_route(x, y, a, b, p):
    """W_p of one validated slice of a batch (`_batch_1d`): the route of a
    single call on it, with the two sorts on the calling thread."""
    dist = small_route(x, y, a, b, p)
    if dist is not None:
        return dist
    return general_route(x, y, a, b, p, concurrent=False)


def _small_weights(w, n):
    """w as the one-call route takes it (ones when None), or None."""
    if w is None:
        return np.ones(n)
    return w if _plain(w, n) else None


def general_route(u_values, v_values, u_weights, v_weights, p, concurrent=True):
    """W_p for any input: validated, sorted and merged (on two threads
    when `concurrent` and the inputs are large)."""
    x = _as_line(u_values, "u_values")
    y = _as_line(v_values, "v_values")
    p = validate_p(p)
    n, m = x.shape[0], y.shape[0]
    weighted = not (u_weights is None and v_weights is None)
    if weighted:
        a = _weights(u_weights, n, "u_weights", "u_values")
        b = _weights(v_weights, m, "v_weights", "v_values")
    kind = "packed" if weighted else "values"
    radix_u, radix_v = use_radix(n, kind), use_radix(m, kind)
    size = n + m if concurrent else 0  # 0: `sorted_pair` sorts one by one
    with buffers(n, m, slots(weighted, radix_u or radix_v)) as (out_u, out_v):
        if not weighted:
            xs, ys = sorted_pair(lambda z: sort_values(*z), (x, radix_u, out_u),
                                 (y, radix_v, out_v), size)
            total = quantile_merge_uniform(xs, ys, p)
        else:
            u, v = sorted_pair(lambda z: sort_weighted(*z), (x, *a, radix_u, out_u),
                               (y, *b, radix_v, out_v), size)
            xs, ys = u[0], v[0]
            total = _merge_weighted(u, v, p, _concurrent(size))
        if _trusted(total, n + m):
            return float(total if p == 1.0 else total ** (1.0 / p))
        # W_p^p overflowed, underflowed or is 0: recompute W_p scaled.
        seg = (np.empty(n + m, np.int64), np.empty(n + m, np.int64), np.empty(n + m))
        if weighted:
            count = weighted_segments(u[1], u[2], v[1], v[2], *seg)
        else:
            count = uniform_segments(n, m, *seg)
        dist, status = scaled_root(xs, ys, *seg, count, p)
    if status == NOT_REPRESENTABLE:
        raise not_representable(
            f"W_{p:g}(P, Q)",
            "it exceeds the largest float64 (about 1.8e308) and cannot be "
            "returned; divide both `u_values` and `v_values` by a common "
            "factor c (W_p scales by c).")
    return float(dist)


#: Below (n + m) * _TINY, W_p^p summed in float64 may have lost more than an
#: ulp to subnormal rounding (up to 2^-1074 in each of n + m terms).
_TINY = 2.0**-1021


def _trusted(total, size):
    """Whether the fast float64 sum W_p^p holds W_p to the last bits: it
    neither overflowed nor came near the subnormal range (0 included, which
    may be an underflow)."""
    return size * _TINY < total < np.inf
