"""Exact Wasserstein distance between distributions on the line."""

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
from ._batch_1d import per_slice
from ._small_1d import OK as SMALL_OK
from ._small_1d import small_uniform, small_weighted
from ._sort_1d import buffers, slots, sort_values, sort_weighted, use_radix
from .._core._scaling import not_representable
from .._core._validation import validate_p, validate_values, weights_and_total

__all__ = ["wasserstein_1d", "sorted_pair"]

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


def wasserstein_1d(u_values, v_values, u_weights=None, v_weights=None, *, p=1, axis=None):
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
    axis : {None, 0, 1}, optional
        None (default): one distance between two samples.  0 or 1: u_values
        (n, k) and v_values (m, k) (axis 0) or (k, n) and (k, m) (axis 1)
        are k pairs of samples, one per column (axis 0) or row (axis 1),
        and the k distances come back in one call, on all cores.  Weights
        are then (n,) (the same for every slice) or shaped like the values.

    Returns
    -------
    float or (k,) ndarray
        W_p(P, Q) -- the distance itself, not its p-th power; with `axis`,
        one per slice, each equal to the bits to a single call on it.

    Raises
    ------
    ValueError
        NaN or inf atoms, negative or all-zero weights, weights whose length
        does not match the atoms, empty input, points not on the line, or
        p < 1.
    TypeError
        Non-numeric input.
    NotRepresentableError
        W_p itself exceeds the largest double (atoms near +-1e308); a
        ValueError and an OverflowError.

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

    W_p^p is summed in float64; where that sum overflows or comes near the
    subnormal range (W_1000 of atoms 10 apart, W_2 of atoms 1e200 or 1e-200
    apart), W_p is recomputed with every term scaled by the largest, so
    every distance that a double can hold comes back.

    Sorting: NumPy's sort or our O(n) radix sort (weighted atoms: one sort
    of 64-bit keys carrying the index), whichever was faster when both were
    timed on the first call with 2048 atoms or more in an input
    (`_sort_1d.numpy_sort_is_fast`).  Both give the same sorted arrays,
    hence the same result.
    From 32768 atoms in all, the two inputs are sorted concurrently, and the
    weighted integral is computed as two halves, [0, 1/2] and [1/2, 1], on
    two threads (the split is always made, so the rounding is the same).
    Inputs of up to 1024 atoms each, given as 1-D float64 arrays, are
    checked, sorted and integrated in one compiled call, with the same
    result to the bit.
    Inputs of up to 2^20 atoms each are sorted into scratch arrays kept
    between calls (at most 64 MiB), which saves the page faults of fresh
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
    >>> import numpy as np
    >>> U = np.array([[0.0, 1.0], [1.0, 1.0]])     # two columns, two atoms each
    >>> wasserstein_1d(U, U + [2.0, 0.5], axis=0)   # per-column shifts
    array([2. , 0.5])
    """
    if axis is not None:
        return per_slice(_pair, u_values, v_values, u_weights, v_weights, p, axis)
    if type(p) is float or type(p) is int:  # the one-call route of small inputs
        total = _small(u_values, v_values, u_weights, v_weights, p)
        if total is not None and _trusted(total, u_values.shape[0] + v_values.shape[0]):
            return float(total if p == 1 else total ** (1.0 / p))
    return _general(u_values, v_values, u_weights, v_weights, p)


def _pair(x, y, a, b, p):
    """W_p of one pair of validated slices (`per_slice`): the route of a
    `wasserstein_1d` call on them, the sorts of the two on one thread."""
    total = _small(x, y, a, b, p)
    if total is not None and _trusted(total, x.shape[0] + y.shape[0]):
        return float(total if p == 1 else total ** (1.0 / p))
    return _general(x, y, a, b, p, concurrent=False)


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


def _small_weights(w, n):
    """w as the one-call route takes it (ones when None), or None."""
    if w is None:
        return np.ones(n)
    return w if _plain(w, n) else None


def _general(u_values, v_values, u_weights, v_weights, p, concurrent=True):
    """`wasserstein_1d` for any input: validated, sorted and merged (on
    two threads when `concurrent` and the inputs are large)."""
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
