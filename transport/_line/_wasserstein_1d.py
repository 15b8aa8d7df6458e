"""Exact Wasserstein distance between distributions on the line: the one
place that chooses a route (batched, small, general; `_routes`)."""

from ._batch_1d import per_slice
from ._routes import general_route, small_route

__all__ = ["wasserstein_1d"]


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
    if axis is not None:  # batched: one distance per slice, on all cores
        return per_slice(u_values, v_values, u_weights, v_weights, p, axis)
    small = small_route(u_values, v_values, u_weights, v_weights, p)
    if small is not None:  # small plain arrays: one compiled call
        return small
    return general_route(u_values, v_values, u_weights, v_weights, p)
