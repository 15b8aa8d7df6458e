"""Divergences between every row of P and every row of Q."""

import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from . import _dask
from . import _pairwise_kernels as _pk
from ._kernels import KIND_JS, KIND_KL, KIND_TV
from ._validation import as_float_array, raise_first_bad_entry, validate_base

__all__ = ["pairwise"]

_LOG2 = math.log(2.0)


class _Metric(NamedTuple):
    kind: int  # kernel code
    half: bool  # the kernel sums twice the value
    upper: float  # the value's upper bound (natural log)
    logs: bool  # measured in units of information: takes `base`
    sqrt: bool  # the square root of the divergence
    symmetric: bool  # d(p, q) == d(q, p) to the bit


#: The one registry of pairwise metrics (the per-pair functions apply the
#: same clamps: tv, kl, js, js_distance in `_divergences`).
METRICS = {
    "tv": _Metric(KIND_TV, True, 1.0, False, False, True),
    "kl": _Metric(KIND_KL, False, math.inf, True, False, False),
    "js": _Metric(KIND_JS, True, _LOG2, True, False, True),
    "js_distance": _Metric(KIND_JS, True, _LOG2, True, True, True),
}

#: Pair-bins (pairs x bins) from which the NumPy engine uses every core.
THREADS_MIN_WORK = 1 << 21
#: Tasks per thread handed to the pool (dynamic load balance).
_TASKS_PER_THREAD = 16
#: Pair-bins per Dask task below which row chunks are merged: 2^26 (about
#: 0.25 s of JS on one core at ~4 ns per pair-bin; a 10^4 x 10^4 matrix of
#: 256 bins is then 400 tasks).
DASK_MIN_TASK_WORK = 1 << 26


def _dask_min_block_rows(bins):
    return max(1, math.isqrt(DASK_MIN_TASK_WORK // max(bins, 1)))


class Rows(NamedTuple):
    """Validated histogram rows: C-contiguous float64 ``x`` (rows whose sum
    lies outside the kernels' safe range divided by their maximum, as the
    per-pair functions do) and ``sums``, the row sums the kernels use."""

    x: np.ndarray
    sums: np.ndarray


def validate_metric(metric):
    if not isinstance(metric, str):
        raise TypeError(
            f"`metric` must be a string, one of {sorted(METRICS)}; got {metric!r}."
        )
    if metric not in METRICS:
        raise ValueError(f"`metric` must be one of {sorted(METRICS)}; got {metric!r}.")
    return METRICS[metric]


def _validate_base_for(info, metric, base):
    if not info.logs:
        if base is not None:
            raise ValueError(
                f"`base` does not apply to metric {metric!r} (not measured in units "
                f"of information); leave it None."
            )
        return 1.0
    return validate_base(base)


def check_matrix(x, name):
    """Shape and dtype of a (rows, bins) histogram matrix; data checks later."""
    if x.ndim != 2:
        raise ValueError(
            f"`{name}` must be a 2-D (rows, bins) array with one histogram per row; "
            f"got shape {x.shape}."
        )
    if x.shape[1] == 0:
        raise ValueError(f"`{name}` has no bins: a histogram needs at least one bin.")


def prepare_rows(x, name, row_offset=0):
    """Validate every row of x once; rows named by index (plus `row_offset`).

    Returns `Rows`.  Raises `ValueError` for the first NaN, inf or negative
    entry, or for a row with zero mass.
    """
    x = np.ascontiguousarray(as_float_array(x, name))
    sums = np.empty(x.shape[0])
    status = np.empty(x.shape[0], dtype=np.int8)
    _pk.row_sums_each(x, sums, status)
    if not status.any():
        return Rows(x, sums)
    bad = np.flatnonzero(status == _pk.ROW_BAD)
    if bad.size:
        row = int(bad[0])
        raise_first_bad_entry(x[row], f"{name}[{row + row_offset}]")
    zero = np.flatnonzero(status == _pk.ROW_ZERO)
    if zero.size:
        raise ValueError(
            f"`{name}` must have positive total mass in every row; row "
            f"{int(zero[0]) + row_offset} sums to 0 ({zero.size} such row(s))."
        )
    # Finite entries whose sum overflows, or sums outside the safe range:
    # divided by their maximum, as `_divergences` does, so the sums lie in [1, n].
    fix = np.flatnonzero(status != _pk.ROW_OK)
    x = x.copy()
    with np.errstate(under="ignore"):  # tiny entries beside the largest
        x[fix] = x[fix] / x[fix].max(axis=1, keepdims=True)
    sub_sums = np.empty(fix.size)
    _pk.row_sums_each(x[fix], sub_sums, np.empty(fix.size, dtype=np.int8))
    sums[fix] = sub_sums
    return Rows(x, sums)


def _run(a, b, kind, mode, out, threads):
    tasks = _pk.n_tasks(a.x.shape[0], mode)
    if threads <= 1 or tasks < 2:
        _pk.rows_serial(a.x, b.x, a.sums, b.sums, kind, mode, 0, tasks, out)
        return
    # A pool per call: no process-wide state to break in a forked child.
    step = max(1, tasks // (threads * _TASKS_PER_THREAD))
    bounds = [(lo, min(lo + step, tasks)) for lo in range(0, tasks, step)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(_pk.rows_serial, a.x, b.x, a.sums, b.sums, kind, mode,
                               lo, hi, out) for lo, hi in bounds]
        for f in futures:
            f.result()


def _threads_for(pairs, bins):
    if pairs * bins < THREADS_MIN_WORK:
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


def raw_matrix(a, b, info, threads=None):
    """(n, m) raw kernel sums between prepared rows; b None: a against itself."""
    if b is None:
        mode = 1 if info.symmetric else 2
        b = a
    else:
        mode = 0
    out = np.empty((a.x.shape[0], b.x.shape[0]))
    if out.size:
        if threads is None:
            threads = _threads_for(out.size, a.x.shape[1])
        _run(a, b, info.kind, mode, out, threads)
    return out


def finish(raw, info, log_base):
    """The per-pair functions' clamps and scaling, elementwise (same bits);
    subnormal results raise no underflow error under any ``np.seterr``."""
    with np.errstate(under="ignore"):
        out = 0.5 * raw if info.half else raw
        np.maximum(out, 0.0, out=out)
        np.minimum(out, info.upper, out=out)
        if log_base != 1.0:
            out /= log_base
        if info.sqrt:
            np.sqrt(out, out=out)
    return out


def _block_task(info, log_base):
    """The function each Dask task runs on prepared row blocks (serial: Dask
    supplies the parallelism)."""

    def pairs(a, b=None):
        return finish(raw_matrix(a, b, info, threads=1), info, log_base)

    return pairs


def pairwise(P, Q=None, *, metric="js", base=None):
    r"""Divergence between every row of P and every row of Q.

    Parameters
    ----------
    P : (n, k) array_like or dask.array
        n histograms over the same k bins, one per row: non-negative, finite,
        positive mass; each is normalised to total mass 1.
    Q : (m, k) array_like or dask.array, optional
        m histograms over the same bins.  None: P against itself.
    metric : {"js", "js_distance", "kl", "tv"}, optional
        The function of the pair: `js` (default), `js_distance`, `kl`
        (KL(P_i || Q_j)) or `tv`.
    base : float, optional
        Logarithm base (> 1) for "kl", "js" and "js_distance"; natural log
        when None.  Not accepted with "tv".

    Returns
    -------
    D : (n, m) ndarray or dask.array
        ``D[i, j] = metric(P[i], Q[j])``, equal to the bit to the per-pair
        function.  With Q None: ``(n, n)``, zero diagonal, symmetric (each
        pair computed once) except for "kl".  No rows in P (or Q): an empty
        (0, m) (or (n, 0)) array, as ``cdist`` gives.  A dask.array input gives a lazy
        dask.array (row blocks of P by row blocks of Q), computed by the
        caller's scheduler; bad rows are then reported when it is computed.
        Row chunks are kept unless all are too small for a task to pay for
        its scheduling (about 2^26 pairs x bins per block pair), when they
        are merged.

    Raises
    ------
    ValueError
        A NaN, inf or negative entry (named by row and column), a row with
        zero mass (named by row), shapes that are not (rows, bins) or whose
        bin counts differ, an unknown `metric`, an invalid `base`.
    TypeError
        Non-numeric or masked input, non-string `metric`, non-real `base`.

    See Also
    --------
    js, js_distance, kl, tv, scipy.spatial.distance.cdist

    Notes
    -----
    All pairs run in one compiled loop that releases the GIL, spread over
    the machine's cores by a thread pool created for the call (small inputs
    run on the calling thread).  Each row is validated and summed once.
    Unlike ``cdist(P, Q, "jensenshannon")`` the result is never NaN: rows
    with zero mass are refused, and JS is computed term by term so that it
    is never negative (see `js`).

    Examples
    --------
    >>> import numpy as np
    >>> from divergences import pairwise
    >>> P = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    >>> pairwise(P, metric="tv")
    array([[0. , 0.5, 1. ],
           [0.5, 0. , 0.5],
           [1. , 0.5, 0. ]])
    >>> pairwise(P[:1], P, metric="js", base=2)
    array([[0.        , 0.31127812, 1.        ]])
    """
    info = validate_metric(metric)
    log_base = _validate_base_for(info, metric, base)
    if _dask.is_dask_array(P) or _dask.is_dask_array(Q):
        return _dask.pairwise_blocks(
            P, Q, check=_check_dask_operand, prepare=prepare_rows,
            pairs=_block_task(info, log_base),
            symmetric=info.symmetric, name=f"divergences-pairwise-{metric}",
            token=(log_base,), min_block_rows=_dask_min_block_rows,
        )
    P = as_float_array(P, "P")
    check_matrix(P, "P")
    if Q is not None:
        Q = as_float_array(Q, "Q")
        check_matrix(Q, "Q")
        _check_bins(P.shape[1], Q.shape[1])
    a = prepare_rows(P, "P")
    b = None if Q is None else prepare_rows(Q, "Q")
    return finish(raw_matrix(a, b, info), info, log_base)


def _check_bins(k_p, k_q):
    if k_p != k_q:
        raise ValueError(
            f"`P` and `Q` must have the same number of bins (columns); got {k_p} "
            f"and {k_q}."
        )


def _check_dask_operand(x, name):
    """Dtype and shape of a dask operand, checked before building the graph."""
    if np.dtype(x.dtype).kind not in "biuf":
        raise TypeError(
            f"`{name}` must hold real numbers; got a dask array of dtype {x.dtype}."
        )
    check_matrix(x, name)
