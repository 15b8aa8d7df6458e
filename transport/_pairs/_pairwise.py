"""Exact W_p between many histograms at once: `pairwise`.

Layers:

* `pairwise` validates once (rows, support or cost, p, metric), builds the
  ground-cost matrix d^p once and hands the rows to `distance_block`;
* `distance_block(U, V, costs, p)` is the unit of work on validated,
  normalised rows: every pair of a block of rows of U against a block of
  rows of V (V None: the pairs i < j of U, mirrored), solved and certified
  by `transport._simplex._network_simplex.solve_dense_pairs` on all cores.  A tiled
  engine (Dask) maps it over tiles; `row_offset` / `col_offset` make its
  warnings name global indices.
"""

import math
import os
import warnings
from functools import partial

import numpy as np

from divergences._dask import is_dask_array

from .._core._certify import DEFAULT_RTOL
from .._simplex._network_simplex import DEFAULT_MAX_PIVOTS, solve_dense_pairs
from .._core._results import MAX_PIVOTS, NUMERICAL, UncertifiedWarning, user_stacklevel
from .._simplex._simplex_batch import UNCERTIFIED
from ._nan_pairs import warn_nan_pairs
from ._pair_scaling import as_pair_costs, finish_block, matrix_costs, support_costs
from .._core._validation import (
    as_float_array,
    raise_first_bad_entry,
    validate_metric,
    validate_p,
    validate_values,
)

__all__ = ["pairwise", "distance_block", "validate_histogram_rows",
           "pairwise_costs", "default_workers"]

#: Uncertified pairs named one warning each; beyond, one warning counts them.
MAX_PAIR_WARNINGS = 10

_REASONS = {
    MAX_PIVOTS: "max_pivots_reached",
    NUMERICAL: "numerical_error",
    UNCERTIFIED: "uncertified",
}


def default_workers():
    """Threads `pairwise` uses: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def validate_histogram_rows(X, name, row_offset=0):
    """Rows of `X` as histograms: (n, k) C-contiguous float64, each row
    finite, non-negative with a positive sum, divided by its sum.

    Returns the normalised rows (each pair is then rescaled inside the
    solver exactly as `emd` rescales b).  Errors
    name the row (offset by `row_offset` inside a larger array).
    """
    arr = as_float_array(X, name)
    if arr.ndim != 2:
        raise ValueError(
            f"`{name}` must be a 2-D (n, k) array, one histogram per row; got "
            f"shape {arr.shape}."
        )
    if arr.shape[1] == 0:
        raise ValueError(
            f"`{name}` has shape {arr.shape}: a histogram needs at least one bin.")
    arr = np.ascontiguousarray(arr)
    if arr.shape[0] == 0:  # no rows: an empty result, as divergences.pairwise
        return arr
    with np.errstate(over="ignore", invalid="ignore"):
        sums = arr.sum(axis=1)
    if not (np.isfinite(sums).all() and arr.min() >= 0):
        bad = ~np.isfinite(arr) | (arr < 0)
        if bad.any():
            row = int(np.flatnonzero(bad.any(axis=1))[0])
            try:
                raise_first_bad_entry(arr[row], f"{name}[{row + row_offset}]")
            except ValueError as exc:
                raise ValueError(
                    f"row {row + row_offset} of `{name}` is not a histogram: {exc}"
                ) from None
        # finite entries whose sum overflows: divide each row by its maximum
        arr = arr / arr.max(axis=1, keepdims=True)
        sums = arr.sum(axis=1)
    empty = np.flatnonzero(~(sums > 0))
    if empty.size:
        raise ValueError(
            f"row {int(empty[0]) + row_offset} of `{name}` has zero total mass; "
            f"every row must be a histogram with a positive sum."
        )
    return arr / sums[:, None]


def pairwise_costs(support, cost, metric, p, symmetric):
    """The `PairCosts` (the (k, l) matrix d^p the pairs are solved on, scaled
    by a power of two when needed) from `support` (with `metric`) or from
    `cost`, exactly one of which is given."""
    if (support is None) == (cost is None):
        raise TypeError(
            "give exactly one of `support` ((k, d) coordinates of the bins) and "
            "`cost` ((k, l) ground distances between the bins)."
        )
    if support is not None:
        X = validate_values(support, "support")
        return support_costs(X, validate_metric(metric), p)
    if not (isinstance(metric, str) and metric.lower() == "euclidean"):
        raise ValueError(
            "`metric` applies to `support`; with `cost` the ground distances "
            "are given (leave `metric` at its default)."
        )
    C = as_float_array(cost, "cost")
    if C.ndim != 2 or 0 in C.shape:
        raise ValueError(
            f"`cost` must be a non-empty 2-D (k, l) matrix of ground distances; "
            f"got shape {C.shape}."
        )
    if not (np.isfinite(C).all() and (C >= 0).all()):
        raise_first_bad_entry(C, "cost")
    if symmetric:
        if C.shape[0] != C.shape[1] or not np.array_equal(C, C.T):
            raise ValueError(
                f"with V=None each pair is solved once, which needs a symmetric "
                f"`cost`; got shape {C.shape}"
                + ("" if C.shape[0] != C.shape[1] else ", not equal to its transpose")
                + ". Pass V=U to solve every ordered pair, or symmetrise it."
            )
        if np.any(np.diagonal(C) != 0):
            raise ValueError(
                "with V=None the diagonal is zero, which needs `cost` to have a "
                "zero diagonal (the distance of a bin to itself); pass V=U "
                "otherwise."
            )
    return matrix_costs(np.ascontiguousarray(C), p)


def _warn_uncertified(count, bad, row_offset, col_offset):
    bad = sorted(bad)
    for i, j, code in bad[:MAX_PAIR_WARNINGS]:
        warnings.warn(
            f"pairwise: the pair (i, j) = ({i + row_offset}, {j + col_offset}) "
            f"could not be proven optimal (status "
            f"{_REASONS.get(code, 'numerical_error')!r}); its distance is NaN.",
            UncertifiedWarning, stacklevel=user_stacklevel())
    shown = min(len(bad), MAX_PAIR_WARNINGS)
    if count > shown:
        warnings.warn(
            f"pairwise: {count - shown} more pairs could not be proven "
            f"optimal; their distances are NaN.",
            UncertifiedWarning, stacklevel=user_stacklevel())


def distance_block(U, V, costs, p, *, row_offset=0, col_offset=0, workers=None,
                   max_pivots=DEFAULT_MAX_PIVOTS, rtol=DEFAULT_RTOL, warn=True):
    """Exact W_p between the rows of U and of V: an (n, m) array.

    The unit of work of `pairwise`, on validated input: U (n, k), V (m, l)
    normalised C-contiguous float64 rows (`validate_histogram_rows`),
    `costs` the `PairCosts` of `pairwise_costs` (or a plain (k, l)
    C-contiguous matrix d^p), p >= 1.  V None: the pairs
    i < j of U are solved once and mirrored (`costs` symmetric with a zero
    diagonal), the diagonal is 0.  Uncertified pairs are NaN, named in
    `UncertifiedWarning`s by their global index (row_offset + i,
    col_offset + j) unless `warn` is False (Dask tasks: the caller warns,
    `_nan_pairs`).  Memory beyond the result: O(threads * k * l).
    """
    if workers is None:
        workers = default_workers()
    if V is None:
        D = np.zeros((U.shape[0], U.shape[0]))
    else:
        D = np.empty((U.shape[0], V.shape[0]))
    costs = as_pair_costs(costs)
    count, bad = solve_dense_pairs(U, V, costs.costs, p, D,
                                   max_pivots=max_pivots, rtol=rtol, workers=workers)
    D, count, bad = finish_block(D, U, V, costs, p, count, bad, max_pivots, rtol)
    if count and warn:
        _warn_uncertified(count, bad, row_offset, col_offset)
    return D


#: Pairs per Dask task below which row chunks are merged: on 64-bin digits a
#: pair took ~35 us on one core, so 8192 pairs are ~0.3 s of work, and a
#: 10^4 x 10^4 matrix is about 6000 tasks.
DASK_MIN_TASK_PAIRS = 8192


def _dask_min_block_rows(bins):
    # work per pair grows with the bins of a sub-problem (~bins^2 costs read)
    return max(1, math.isqrt(DASK_MIN_TASK_PAIRS * 4096 // max(bins * bins, 1)))


def _prepare_block(block, name, row_offset):
    """One row block of a dask operand, validated once: (rows, offset)."""
    return validate_histogram_rows(block, name, row_offset), row_offset


class _BlockDistances:
    """The task of a dask tile: `distance_block` on prepared row blocks, one
    thread per task (the scheduler runs tasks in parallel).  A class, not a
    closure, so that process and distributed schedulers can pickle it."""

    def __init__(self, costs, p):
        self.costs = costs
        self.p = p

    def __call__(self, a, b=None):
        if b is None:
            return distance_block(a[0], None, self.costs, self.p, row_offset=a[1],
                                  col_offset=a[1], workers=1, warn=False)
        return distance_block(a[0], b[0], self.costs, self.p, row_offset=a[1],
                              col_offset=b[1], workers=1, warn=False)


def _check_dask_operand(bins, source):
    def check(x, name):
        if np.dtype(x.dtype).kind not in "biuf":
            raise TypeError(
                f"`{name}` must hold real numbers; got a dask array of dtype {x.dtype}."
            )
        if x.ndim != 2:
            raise ValueError(
                f"`{name}` must be a 2-D (n, k) array, one histogram per row; got "
                f"shape {x.shape}."
            )
        want = bins[0] if name == "U" else bins[1]
        if x.shape[1] != want:
            raise ValueError(
                f"`{name}` has {x.shape[1]} bins per row but {source} describes "
                f"{want}; give one coordinate (or cost row) per bin."
            )
    return check


def _pairwise_dask(U, V, costs, p, source):
    """The lazy dask array of `pairwise` (validation runs per row block when
    the graph is computed; shapes and dtypes are checked now)."""
    from divergences._dask import pairwise_blocks

    return pairwise_blocks(
        U, V, check=_check_dask_operand(costs.shape, source), prepare=_prepare_block,
        pairs=_BlockDistances(costs, p), symmetric=True, name="transport-pairwise",
        token=(p, costs), min_block_rows=_dask_min_block_rows, names=("U", "V"),
        same_bins=False, result_check=partial(warn_nan_pairs, symmetric=V is None),
    )


def pairwise(U, V=None, *, support=None, cost=None, p=1, metric="euclidean"):
    r"""Exact Wasserstein distances between the rows of two sets of histograms.

    Parameters
    ----------
    U : (n, k) array_like
        n histograms over k bins: non-negative, finite, positive sums; each
        row is normalised to mass 1.
    V : (m, l) array_like, optional
        m histograms over l bins.  None (default): U against itself.
    support : (k, d) array_like, optional
        Coordinates of the bins (U and V share them, so l = k); the ground
        distance between bins is `metric`.
    cost : (k, l) array_like, optional
        Ground distances d(bin s of U, bin t of V), non-negative, instead of
        `support`.  With V None it must be symmetric with a zero diagonal.
    p : float, optional
        Order of the distance, p >= 1 (default 1: the Earth-Mover distance).
        The transport cost of a bin pair is d^p.
    metric : str, optional
        Ground metric on `support`: "euclidean" (default), "sqeuclidean",
        "cityblock" or "chebyshev".

    Returns
    -------
    (n, m) ndarray, or a lazy dask.array
        ``D[i, j] = W_p(U[i], V[j])``.  A `dask.array` U (or V) gives a lazy
        `dask.array` over row blocks, computed by whatever Dask scheduler
        you run (threads, processes or a `dask.distributed` cluster; the
        library never starts one), equal to the NumPy result to the bit;
        rows are then validated per block when it is computed.  With V None: symmetric, each pair
        solved once, zero diagonal.  NaN only for a pair that could not be
        proven optimal, with an `UncertifiedWarning` naming (i, j) -- on Dask
        raised in the process that computes the array, whatever the
        scheduler.  No rows in U (or V): an empty (0, m) (or (n, 0)) array,
        as `divergences.pairwise` and SciPy's ``cdist`` give.

    Raises
    ------
    ValueError
        A row that is not a histogram (NaN, inf, negative entries, zero
        mass: the message names the row); shapes that do not fit; p < 1;
        an unknown metric; `support` and `cost` both given or both missing;
        with V None, a `cost` that is not symmetric with zero diagonal; a
        distance that does not fit in float64 (`NotRepresentableError`, also
        an OverflowError).
    TypeError
        Non-numeric input, or neither `support` nor `cost`.

    See Also
    --------
    emd2 : one pair, any masses and cost matrix.
    wasserstein : point clouds instead of histograms.

    Notes
    -----
    .. math:: D_{ij} = \Big(\min_{\gamma \in \Pi(U_i, V_j)}
              \sum_{s,t} \gamma_{st}\, d(x_s, y_t)^p\Big)^{1/p}.

    Each pair is solved by our network simplex on its positive bins (the
    zero bins of either histogram are dropped, as `emd` drops them), with
    the pivots `emd2` would make, and certified inside compiled code by the
    checks of `certify` (marginals, dual feasibility over every pair of
    bins, zero duality gap).  Validation, the cost matrix and the work
    arrays are set up once; the pairs are spread over all cores, the kernel
    releasing the GIL.  A pair the batch kernel cannot certify is solved
    again as `emd` solves it (with its second solve on costs clipped near
    the optimum's scale).

    Scale: the ground costs are those of the support (or `cost`) divided by
    a power of two when its lengths or their p-th powers are not safely in
    float64's range, and every distance is scaled back exactly, so bins
    1e-200 or 1e200 apart and p in the thousands give every representable
    W_p.  Where a cost d^p still underflows beside larger ones (large p,
    lengths of very different sizes), the pairs whose optimum is small
    enough to have lost digits to it are solved again with their lengths
    divided by a bound of their own W_p.

    Examples
    --------
    >>> import numpy as np
    >>> from transport import pairwise
    >>> U = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.0, 0.5]])
    >>> pairwise(U, support=[0.0, 1.0, 2.0])
    array([[0., 2., 1.],
           [2., 0., 1.],
           [1., 1., 0.]])
    >>> pairwise(U[:1], U[1:], cost=[[0, 1, 2], [1, 0, 1], [2, 1, 0]], p=2)
    array([[2.        , 1.41421356]])
    """
    p = validate_p(p)
    symmetric = V is None
    if is_dask_array(U) or is_dask_array(V):
        costs = pairwise_costs(support, cost, metric, p, symmetric)
        source = "`support`" if support is not None else "`cost`"
        return _pairwise_dask(U, V, costs, p, source)
    U = validate_histogram_rows(U, "U")
    costs = pairwise_costs(support, cost, metric, p, symmetric)
    k, l = costs.shape
    source = "`support`" if support is not None else "`cost`"
    if U.shape[1] != k:
        raise ValueError(
            f"`U` has {U.shape[1]} bins per row but {source} describes {k}; "
            f"give one coordinate (or cost row) per bin."
        )
    if symmetric:
        return distance_block(U, None, costs, p)
    V = validate_histogram_rows(V, "V")
    if V.shape[1] != l:
        raise ValueError(
            f"`V` has {V.shape[1]} bins per row but {source} describes {l}; "
            f"give one coordinate (or cost column) per bin."
        )
    return distance_block(U, V, costs, p)
