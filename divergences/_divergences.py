"""Total variation, Kullback-Leibler and Jensen-Shannon divergences."""

import math
import os

import numpy as np

from . import _kernels
from ._parallel import parallel_ok
from ._validation import as_float_array, raise_first_bad_entry, validate_base

__all__ = ["tv", "kl", "js", "js_distance"]

#: Total number of bins (batch included) from which the parallel kernels run.
#: A parallel region waits for its slowest thread: when another process
#: holds a core, numba's OpenMP workers are descheduled and every call paid
#: ~24 ms (measured on 2 cores: 10^5 bins took 24 ms in parallel against
#: 0.3 ms serially).  From 2^22 bins (serial KL ~14 ms) that stall is a
#: bounded fraction of the work, and on a quiet machine the second core pays.
PARALLEL_MIN_BINS = 1 << 22


def _other_cores_idle():
    """False when the 1-minute load says other processes keep the cores busy.

    Our own running thread counts ~1 in the load average; the parallel
    kernels only pay when the rest is free (measured at 10^7 bins with the
    second core busy: KL 55 ms in parallel against 34 ms serially).  The
    serial and parallel kernels return bit-identical results, so this only
    changes the speed.
    """
    try:
        load = os.getloadavg()[0]
    except OSError:  # not available on this platform
        return True
    return load < (os.cpu_count() or 1) - 0.5

_LOG2 = math.log(2.0)


def _normalise_axis(axis, ndim):
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"`axis` must be an integer; got {axis!r}.")
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"`axis` {axis} is out of range for histograms with {ndim} "
            f"dimension(s)."
        )
    return int(axis) % ndim


def _as_rows(x, batch, n):
    """x (batch_x..., n) as a C-contiguous (rows, n) array, rows in {1, prod(batch)}."""
    if x.shape[:-1] == batch:
        return np.ascontiguousarray(x).reshape(-1, n)
    if math.prod(x.shape[:-1]) == 1:
        return np.ascontiguousarray(x).reshape(1, n)
    return np.ascontiguousarray(np.broadcast_to(x, batch + (n,))).reshape(-1, n)


def _histogram_rows(p_arr, q_arr, axis):
    """Both operands as (rows, n) arrays, and the broadcast batch shape."""
    for name, arr in (("p", p_arr), ("q", q_arr)):
        if arr.ndim == 0:
            raise ValueError(
                f"`{name}` must be an array of bin masses (at least 1-D); got a "
                f"scalar."
            )
    ndim = max(p_arr.ndim, q_arr.ndim)
    axis = _normalise_axis(axis, ndim)
    if p_arr.ndim == q_arr.ndim == 1:  # the common case, without the reshuffling
        pm, qm = p_arr, q_arr
    else:
        pm = np.moveaxis(p_arr.reshape((1,) * (ndim - p_arr.ndim) + p_arr.shape), axis, -1)
        qm = np.moveaxis(q_arr.reshape((1,) * (ndim - q_arr.ndim) + q_arr.shape), axis, -1)
    n = pm.shape[-1]
    if qm.shape[-1] != n:
        raise ValueError(
            f"`p` and `q` must have the same number of bins along axis {axis}; "
            f"got {n} and {qm.shape[-1]}."
        )
    if n == 0:
        raise ValueError("`p` and `q` are empty: a histogram needs at least one bin.")
    if pm.ndim == 1:
        return np.ascontiguousarray(pm).reshape(1, n), np.ascontiguousarray(qm).reshape(1, n), ()
    try:
        batch = np.broadcast_shapes(pm.shape[:-1], qm.shape[:-1])
    except ValueError:
        raise ValueError(
            f"the batch shapes of `p` {pm.shape[:-1]} and `q` {qm.shape[:-1]} "
            f"(all axes but the histogram axis {axis}) do not broadcast."
        ) from None
    return _as_rows(pm, batch, n), _as_rows(qm, batch, n), batch


_F64 = np.dtype(np.float64)
_UNIT_STRIDES = (8,)


def _reduce(p, q, axis, kind):
    """Per-histogram sums of the terms of divergence `kind`: a float for one
    pair of histograms, else a batch-shaped array.

    Two C-contiguous float64 vectors of equal length -- the per-call case in
    a loop -- go straight to one compiled call that validates and sums; any
    other input, or one that call does not accept (bad entries, zero mass,
    sums to rescale), takes the general path, which gives the same value to
    the bit or the error.
    """
    if (
        type(p) is np.ndarray
        and type(q) is np.ndarray
        and p.dtype is _F64
        and q.dtype is _F64
        and p.strides == _UNIT_STRIDES  # 1-D and contiguous
        and q.strides == _UNIT_STRIDES
        and (axis == -1 or axis == 0)
        and type(axis) is int
    ):
        value = _kernels.divergence_pair(p, q, kind)
        if value == value:  # not NaN: validated and summed
            return value
    return _reduce_general(p, q, axis, kind)


def _reduce_general(p, q, axis, kind):
    p_arr = as_float_array(p, "p")
    q_arr = as_float_array(q, "q")
    P, Q, batch = _histogram_rows(p_arr, q_arr, axis)
    rows = math.prod(batch)
    out = np.empty(rows)
    if rows == 0:
        return out.reshape(batch)
    parallel = (rows * P.shape[1] >= PARALLEL_MIN_BINS and _other_cores_idle()
                and parallel_ok())
    sum_p = np.empty(P.shape[0])
    sum_q = np.empty(Q.shape[0])
    while True:
        status = _kernels.divergence(P, Q, kind, out, sum_p, sum_q, parallel)
        if status == 0:
            break
        name, x, original = ("p", P, p_arr) if status < 10 else ("q", Q, q_arr)
        code = status % 10
        if code == 1:
            # NaN, inf or a negative entry -- or else finite entries whose sum
            # overflowed, which the rescaling below handles.
            raise_first_bad_entry(original, name)
        elif code == 2:
            row = int(np.flatnonzero(x.max(axis=1) == 0)[0])
            index = tuple(int(i) for i in np.unravel_index(row, batch))
            where = f" (batch index {index})" if batch else ""
            raise ValueError(
                f"`{name}` must have positive total mass; a histogram{where} sums "
                f"to 0."
            )
        with np.errstate(under="ignore"):  # tiny entries beside the largest
            x = x / x.max(axis=1, keepdims=True)  # the sums now lie in [1, n]
        if name == "p":
            P = x
        else:
            Q = x
    return out.reshape(batch)


def _result(values):
    """A Python float for a single pair of histograms, else the batch array."""
    return float(values) if values.ndim == 0 else values


def _finish(x, factor, lower, upper, scale):
    """min(max(factor * x, lower), upper) / scale, as a float for a float
    (same bits).  A result in the subnormal range is a result: no
    underflow error, whatever the caller's ``np.seterr``."""
    if type(x) is float:  # never NaN (see `_reduce`)
        x = factor * x
        x = lower if x < lower else (upper if x > upper else x)
        return x / scale
    with np.errstate(under="ignore"):
        return _result(np.minimum(np.maximum(factor * x, lower), upper) / scale)


def tv(p, q, *, axis=-1):
    r"""Total variation distance between two histograms.

    Parameters
    ----------
    p, q : (..., n, ...) array_like
        Non-negative, finite bin masses with a positive sum along `axis`; each
        histogram is normalised to total mass 1.  Leading (non-histogram) axes
        broadcast as a batch.
    axis : int, optional
        The histogram axis (default: the last).

    Returns
    -------
    float or ndarray
        TV(P, Q) in [0, 1]; an array of the broadcast batch shape for batches.

    Raises
    ------
    ValueError
        Negative, NaN or infinite entries, a histogram with zero mass, empty
        input, or bin counts / batch shapes that do not match.
    TypeError
        Non-numeric input or a non-integer `axis`.

    See Also
    --------
    js, kl

    Notes
    -----
    .. math:: \mathrm{TV}(P, Q) = \sup_A |P(A) - Q(A)|
              = \tfrac12 \sum_i |p_i - q_i|.

    Examples
    --------
    >>> from divergences import tv
    >>> tv([1, 0], [0, 1])
    1.0
    >>> tv([0.5, 0.5], [0.25, 0.75])
    0.25
    """
    return _finish(_reduce(p, q, axis, _kernels.KIND_TV), 0.5, 0.0, 1.0, 1.0)


def kl(p, q, *, base=None, axis=-1):
    r"""Kullback-Leibler divergence KL(P || Q) between two histograms.

    Parameters
    ----------
    p, q : (..., n, ...) array_like
        Non-negative, finite bin masses with a positive sum along `axis`; each
        is normalised to total mass 1 (as `scipy.stats.entropy` does).
        Leading axes broadcast as a batch.
    base : float, optional
        Logarithm base, a finite number > 1 (2 for bits); natural logarithm
        when None.
    axis : int, optional
        The histogram axis (default: the last).

    Returns
    -------
    float or ndarray
        KL(P || Q) >= 0, ``inf`` when some bin has q_i = 0 < p_i.

    Raises
    ------
    ValueError
        Bad entries, zero mass, empty or mismatched input, invalid `base`.
    TypeError
        Non-numeric input, non-real `base` or non-integer `axis`.

    See Also
    --------
    js, tv, scipy.stats.entropy

    Notes
    -----
    .. math:: \mathrm{KL}(P \| Q) = \sum_i p_i \log \frac{p_i}{q_i}
              = \sum_i \Bigl(p_i \log \frac{p_i}{q_i} - p_i + q_i\Bigr),

    with 0 log(0/q) = 0.  The second form, whose terms are each >= 0, is the
    one summed, and each term keeps its relative accuracy as p_i -> q_i
    (where its three parts cancel to second order): with
    s = (p_i - q_i) / (p_i + q_i), it equals
    (p_i + q_i)(s^2 + (1 + s)(\operatorname{atanh} s - s)), a series where
    ``|s| < 0.1716`` (p_i / q_i within a factor sqrt 2), with s formed in
    double-double arithmetic.  Nearly equal histograms whose totals are
    exact (counts) get KL to a few eps times the number of bins, relative;
    for arbitrary floats the rounding of the totals (n eps) adds an absolute
    error of order (n eps)^2.  Elsewhere the ratio p_i / q_i is formed from
    the raw masses (rescaled by the ratio of the totals), so subnormal
    entries do not overflow it.

    Examples
    --------
    >>> from divergences import kl
    >>> round(kl([0.5, 0.5], [0.25, 0.75]), 12)
    0.143841036226
    >>> kl([1, 1], [1, 0])
    inf
    """
    log_base = validate_base(base)
    return _finish(_reduce(p, q, axis, _kernels.KIND_KL), 1.0, 0.0, math.inf, log_base)


def js(p, q, *, base=None, axis=-1):
    r"""Jensen-Shannon divergence between two histograms.

    Parameters
    ----------
    p, q : (..., n, ...) array_like
        Non-negative, finite bin masses with a positive sum along `axis`; each
        is normalised to total mass 1.  Leading axes broadcast as a batch.
    base : float, optional
        Logarithm base, a finite number > 1 (2 for bits); natural logarithm
        when None.
    axis : int, optional
        The histogram axis (default: the last).

    Returns
    -------
    float or ndarray
        JS(P, Q) in [0, log 2] (in [0, 1] for ``base=2``); always finite.

    Raises
    ------
    ValueError
        Bad entries, zero mass, empty or mismatched input, invalid `base`.
    TypeError
        Non-numeric input, non-real `base` or non-integer `axis`.

    See Also
    --------
    js_distance : its square root (SciPy's ``jensenshannon``).
    kl, tv

    Notes
    -----
    With M = (P + Q) / 2,

    .. math:: \mathrm{JS}(P, Q) = \tfrac12 \mathrm{KL}(P \| M)
              + \tfrac12 \mathrm{KL}(Q \| M)
              = \tfrac12 \sum_i (p_i + q_i)\, h\!\Bigl(\frac{p_i - q_i}{p_i + q_i}\Bigr),

    where :math:`h(t) = \tfrac12[(1+t)\log(1+t) + (1-t)\log(1-t)] \ge 0`.
    Each term is computed without subtracting nearly equal logarithms (a
    series in t^2 for ``|t| < 1/4``), so JS is non-negative and accurate even
    for histograms that differ in the last bit, and finite for subnormal
    entries.  The Wasserstein GAN paper writes JS without the 1/2 factors but
    reports log 2 for disjoint supports, which is this (standard) form.

    Examples
    --------
    >>> import math
    >>> from divergences import js
    >>> math.isclose(js([1, 0], [0, 1]), math.log(2))
    True
    >>> js([1, 0], [0, 1], base=2)
    1.0
    """
    log_base = validate_base(base)
    return _finish(_reduce(p, q, axis, _kernels.KIND_JS), 0.5, 0.0, _LOG2, log_base)


def js_distance(p, q, *, base=None, axis=-1):
    r"""Jensen-Shannon distance: the square root of `js`.

    This is what ``scipy.spatial.distance.jensenshannon`` returns; unlike it,
    the result is never NaN or inf for valid input.  It is a metric on
    probability vectors.

    Parameters
    ----------
    p, q : (..., n, ...) array_like
        As for `js`.
    base : float, optional
        Logarithm base of the divergence under the square root.
    axis : int, optional
        The histogram axis (default: the last).

    Returns
    -------
    float or ndarray
        sqrt(JS(P, Q)) in [0, sqrt(log 2)].

    Raises
    ------
    ValueError, TypeError
        As for `js`.

    See Also
    --------
    js

    Notes
    -----
    .. math:: d_{JS}(P, Q) = \sqrt{\mathrm{JS}(P, Q)}.

    Examples
    --------
    >>> from divergences import js_distance
    >>> js_distance([1, 0], [0, 1], base=2)
    1.0
    """
    value = js(p, q, base=base, axis=axis)
    return math.sqrt(value) if isinstance(value, float) else np.sqrt(value)
