"""Exact Wasserstein distance between distributions on the line."""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._kernels_1d import (
    gather_sorted,
    quantile_merge_uniform,
    quantile_merge_weighted,
    radix_sort,
    radix_sort_pairs,
)
from ._validation import validate_p, validate_values, validate_weights

__all__ = ["wasserstein_1d", "sorted_pair"]

#: From this many atoms in total, the two inputs are sorted concurrently
#: (NumPy releases the GIL while sorting; measured 2.4x on 2 cores at 10^6).
CONCURRENT_SORT_MIN = 1 << 16

#: From this many atoms in one input, it is sorted by our LSD radix sort
#: (linear time; measured 2x faster than np.sort and 2.3x faster than
#: argsort + gather at 10^6 on this project's 2-core machine), below by NumPy.
RADIX_MIN = 1 << 12

_executor = None


def _sort_executor():
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emdkit-sort")
    return _executor


def sorted_pair(func, x, y, size=None):
    """(func(x), func(y)), the two calls concurrent when it pays.

    `size` is the total number of atoms (default: len(x) + len(y)).
    """
    if size is None:
        size = len(x) + len(y)
    if size >= CONCURRENT_SORT_MIN and (os.cpu_count() or 1) > 1:
        future = _sort_executor().submit(func, x)
        fy = func(y)
        return future.result(), fy
    return func(x), func(y)


def _sort(x):
    return radix_sort(x) if x.shape[0] >= RADIX_MIN else np.sort(x)


def _sort_weighted(xw):
    """Atoms and weights sorted by atom (the order of ties is irrelevant)."""
    x, w = xw
    if x.shape[0] >= RADIX_MIN:
        return radix_sort_pairs(x, w)
    order = np.argsort(x)
    xs = np.empty_like(x)
    ws = np.empty_like(w)
    gather_sorted(x, w, order, xs, ws)
    return xs, ws


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
    integrated segment by segment in one merge pass over the sorted atoms
    (radix sorts, O(n + m) like the pass, from 4096 atoms; NumPy's sort
    below; the two inputs are sorted concurrently from 65536 atoms).  For
    p = 1 it equals :math:`\int |F - G|\,dx`, but for p != 1 the L^p
    distance between the CDFs is *not* W_p.  With uniform weights the
    breakpoints i/n and j/m are compared in exact integer arithmetic.

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
    if u_weights is None and v_weights is None:
        xs, ys = sorted_pair(_sort, x, y)
        total = quantile_merge_uniform(xs, ys, p)
    else:
        a = validate_weights(u_weights, x.shape[0], "u_weights", "u_values")
        b = validate_weights(v_weights, y.shape[0], "v_weights", "v_values")
        (xs, a), (ys, b) = sorted_pair(_sort_weighted, (x, a), (y, b), len(x) + len(y))
        total = quantile_merge_weighted(xs, a, ys, b, p)
    total = max(total, 0.0)
    return float(total if p == 1.0 else total ** (1.0 / p))
