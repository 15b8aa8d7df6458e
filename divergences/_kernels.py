"""Numba kernels for the divergences: two passes over the data, no temporaries.

Histograms arrive as C-contiguous float64 ``(rows, n)`` arrays.  One call of
`divergence` makes two passes: the first (`row_sums`) sums each row and
checks its entries (NaN, inf and negative entries give a status the wrapper
turns into an error), the second sums the divergence's terms on the
normalised bins.

The work is cut into tasks of `CHUNK` bins of one row; the serial and the
parallel drivers (``*_tasks_serial`` / ``*_tasks_parallel``) run the same
per-task code and combine the per-task partial
sums in task order, so they return bit-identical results.  Inside a task the
bins are processed in blocks of `BLOCK`: branch-free loops that LLVM
vectorises (the logarithm is `_vlog.log2_inplace`, not a libm call), with the
rare special cases (a ratio that over/underflows) fixed up afterwards.

All kernels use ``error_model="numpy"``: a division by zero gives inf/NaN as
in IEEE-754 instead of a Python exception check that blocks vectorisation.
They validate nothing and raise nothing.
"""

import math

import numpy as np
from numba import njit, prange

from ._vlog import LN2_HI, LN2_LO, atanh_tail, log2_inplace, log_reduce

#: Bins per task.
CHUNK = 8192
#: Bins per vectorised block inside a task (its buffers stay in L1).
BLOCK = 512

KIND_TV = 0
KIND_KL = 1
KIND_JS = 2

#: Row sums outside [SUM_LO, SUM_HI] are rescaled by the wrapper before the
#: terms are summed, so that 1/sum neither overflows nor loses bits to
#: subnormals.
SUM_LO = 1e-280
SUM_HI = 1e280

_LOG2 = math.log(2.0)
#: Below this p + q (normalised bins) 1 / (p + q) could overflow: `_js_block`
#: divides instead there (2^-1000 leaves room for 2 p and the rounding).
_JS_RECIPROCAL_MIN = 2.0**-1000
_SPLITTER = 2.0**27 + 1.0


# h(t) = t^2 G(t^2), G(u) = sum_{k>=1} u^(k-1) / (2k (2k - 1)) for |t| < 1/4
# (see `_js_block`): G replaced by its interpolant at the 9 Chebyshev nodes of
# [0, 1/16] (computed in 80-digit decimal arithmetic, coefficients rounded to
# float64), relative error below 2e-18 (13 Taylor terms: 1e-17).
# tests/divergences/test_vlog.py re-derives the fit and checks the bound.
_H = (
    0.5,
    0.08333333333333237,
    0.03333333333374186,
    0.017857142790242315,
    0.011111116588583107,
    0.007575506364272297,
    0.0055012416592659435,
    0.004062350901282176,
    0.004119504909789669,
)
_H1, _H2, _H3, _H4, _H5, _H6, _H7, _H8, _H9 = _H

_OPTS = dict(cache=True, nogil=True, error_model="numpy")
#: For polynomials only: contraction into fused multiply-adds, no nnan/ninf.
_FMA_OPTS = dict(_OPTS, fastmath={"contract"})


@njit(**_OPTS)
def _lane_sum(x, n):
    """Sum of x[:n] with eight independent accumulators (vectorisable)."""
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
    i = 0
    while i + 8 <= n:
        a0 += x[i]
        a1 += x[i + 1]
        a2 += x[i + 2]
        a3 += x[i + 3]
        a4 += x[i + 4]
        a5 += x[i + 5]
        a6 += x[i + 6]
        a7 += x[i + 7]
        i += 8
    rest = 0.0
    while i < n:
        rest += x[i]
        i += 1
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + rest


@njit(**_OPTS)
def _lane_sum_min(x):
    """Sum and minimum of a 1-D array (NaN propagates into the sum)."""
    n = x.shape[0]
    a0 = a1 = a2 = a3 = 0.0
    m0 = m1 = m2 = m3 = np.inf
    i = 0
    while i + 4 <= n:
        v0 = x[i]
        v1 = x[i + 1]
        v2 = x[i + 2]
        v3 = x[i + 3]
        a0 += v0
        a1 += v1
        a2 += v2
        a3 += v3
        m0 = v0 if v0 < m0 else m0
        m1 = v1 if v1 < m1 else m1
        m2 = v2 if v2 < m2 else m2
        m3 = v3 if v3 < m3 else m3
        i += 4
    while i < n:
        v0 = x[i]
        a0 += v0
        m0 = v0 if v0 < m0 else m0
        i += 1
    return (a0 + a1) + (a2 + a3), min(min(m0, m1), min(m2, m3))


@njit(**_OPTS)
def _task_bounds(task, n, n_chunks):
    row = task // n_chunks
    lo = (task - row * n_chunks) * CHUNK
    hi = min(lo + CHUNK, n)
    return row, lo, hi


@njit(**_OPTS)
def _combine(partial, rows, n_chunks, out):
    for r in range(rows):
        s = 0.0
        for c in range(n_chunks):
            s += partial[r * n_chunks + c]
        out[r] = s


@njit(**_OPTS)
def _sums_tasks_serial(x, partial, mins, n_chunks):
    n = x.shape[1]
    for task in range(partial.shape[0]):
        row, lo, hi = _task_bounds(task, n, n_chunks)
        partial[task], mins[task] = _lane_sum_min(x[row, lo:hi])


@njit(parallel=True, **_OPTS)
def _sums_tasks_parallel(x, partial, mins, n_chunks):
    n = x.shape[1]
    for task in prange(partial.shape[0]):
        row, lo, hi = _task_bounds(task, n, n_chunks)
        partial[task], mins[task] = _lane_sum_min(x[row, lo:hi])


@njit(**_OPTS)
def row_sums(x, out_sums, parallel):
    """Row sums of x (rows, n) into out_sums; returns a status.

    0: every row sum lies in [SUM_LO, SUM_HI] and no entry is negative;
    1: some entry is NaN, inf or negative (or a sum overflowed);
    2: some row sums to zero;
    3: valid, but some row sum lies outside [SUM_LO, SUM_HI] (rescale).
    """
    rows, n = x.shape
    n_chunks = (n + CHUNK - 1) // CHUNK
    partial = np.empty(rows * n_chunks)
    mins = np.empty(rows * n_chunks)
    if parallel:
        _sums_tasks_parallel(x, partial, mins, n_chunks)
    else:
        _sums_tasks_serial(x, partial, mins, n_chunks)
    _combine(partial, rows, n_chunks, out_sums)
    status = 0
    for r in range(rows):
        s = out_sums[r]
        if not (s < np.inf) or mins[r * n_chunks : (r + 1) * n_chunks].min() < 0.0:
            return 1
        if s == 0.0:
            status = 2
        elif status == 0 and not (s >= SUM_LO and s <= SUM_HI):
            status = 3
    return status


@njit(**_OPTS)
def _tv_block(p, q, sp, sq, buf):
    n = p.shape[0]
    for i in range(n):
        buf[i] = abs(p[i] * sp - q[i] * sq)
    return _lane_sum(buf, n)


@njit(**_OPTS)
def _split(a):
    """Veltkamp's split: a = hi + lo exactly, each with 26 significant bits."""
    c = _SPLITTER * a
    hi = c - (c - a)
    return hi, a - hi


@njit(**_OPTS)
def _product_error(a, b_hi, b_lo, ab):
    """a * b - ab exactly (Dekker; ab = fl(a * b), b = b_hi + b_lo split).

    Exact unless a product underflows; no fused multiply-add needed (numba
    without fastmath never contracts a * b + c).
    """
    a_hi, a_lo = _split(a)
    return ((a_hi * b_hi - ab) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


@njit(**_OPTS)
def _quotient_dd(a, b):
    """a / b as hi + lo, to about 1e-32 relative (a, b > 0, a <= b normal).

    hi * b = P + e exactly (Dekker); a - P is exact (Sterbenz), so the
    remainder a - hi * b costs one rounding, of order eps^2 a.
    """
    hi = a / b
    big = hi * b
    b_hi, b_lo = _split(b)
    return hi, ((a - big) - _product_error(hi, b_hi, b_lo, big)) / b


@njit(**_OPTS)
def _kl_block(p, q, sp, sq, tot_p, tot_q, buf, buf_s, work):
    """Sum over the block of p log(p/q) - p + q on normalised bins (each >= 0).

    With s = (p - q) / (p + q) (p, q normalised), the term is

        p log(p/q) - p + q = (p + q) (s^2 + (1 + s) E(s)),
        E(s) = atanh(s) - s = s^3 (1/3 + s^2/5 + s^4/7 + ...),

    which keeps its relative accuracy as p -> q, where the three terms of
    the direct form cancel to O(s^2).  s is formed from the raw masses and
    the ratio of the totals in double-double (`_quotient_dd`,
    `_product_error`), so it is accurate to a few ulps even
    when p - q is a few ulps of p.  The series is used where the log's
    argument r = p/q has exponent 0 in `_vlog.log_reduce` (r in
    [sqrt(1/2), sqrt(2)), so |s| < 0.1716, where `atanh_tail` gives E to
    5e-16 relative, and E is at most s/3 of the term: 0.3 ulp); elsewhere the direct form, whose cancellation then costs at
    most a factor 7.  The log's argument is
    (p_raw / q_raw) * (sum q / sum p), formed from the raw masses; where it
    over/underflows the term is recomputed from separate logarithms.
    Returns inf when some q = 0 < p.  `buf_s` holds s per bin between the
    passes.
    """
    n = p.shape[0]
    ratio = tot_q / tot_p
    # s = (p c - q) / (p c + q) with c = tot_q / tot_p in double-double when
    # c <= 1, else -(q c' - p) / (q c' + p) with c' = tot_p / tot_q: the
    # scaled side never overflows, and p c - q is exact to ~eps^2 p c.
    scale_p = tot_q <= tot_p
    c_hi, c_lo = _quotient_dd(min(tot_p, tot_q), max(tot_p, tot_q))
    ch_hi, ch_lo = _split(c_hi)
    sign = 1.0 if scale_p else -1.0
    n_fix = 0
    n_inf = 0
    for i in range(n):
        pi = p[i]
        qi = q[i]
        r = (pi / qi) * ratio
        ok = (pi > 0.0) & (r > 0.0) & (r < np.inf)
        buf[i] = r if ok else 1.0
        n_fix += 1 if (pi > 0.0) and (qi > 0.0) and not ok else 0
        n_inf += 1 if (pi > 0.0) and (qi == 0.0) else 0
        u = pi if scale_p else qi
        v = qi if scale_p else pi
        uc = u * c_hi
        den = uc + v
        # uc - v is exact (Sterbenz) wherever |s| < 1/3, the only place
        # where s is used for the series.
        num = (uc - v) + (_product_error(u, ch_hi, ch_lo, uc) + u * c_lo)
        buf_s[i] = sign * (num / den) if den > 0.0 else 0.0
    if n_inf:
        return np.inf
    # log r as in `log_inplace`, r = 2^k m; where k = 0 (r in [sqrt(1/2),
    # sqrt(2)), |s| < 0.1716) the term is the series in the accurate s, and
    # the one polynomial R serves both: 2 atanh(s) = 2s + s R(s^2).
    log_reduce(buf, work, n)
    for i in range(n):
        pn = p[i] * sp
        qn = q[i] * sq
        s_acc = buf_s[i]
        k = work[i]
        f = buf[i] - 1.0
        series = (k == 0.0) & (abs(s_acc) < 0.5)  # not for p = 0 (s = -1)
        s = s_acc if series else f / (2.0 + f)
        z = s * s
        r = atanh_tail(z)
        # (p + q)(s^2 + (1 + s) E(s)), E(s) = atanh(s) - s = s R / 2.
        near = (pn + qn) * (z + (1.0 + s) * (0.5 * s * r))
        hfsq = 0.5 * f * f
        log_r = k * LN2_HI + (f - (hfsq - (s * (hfsq + r) + k * LN2_LO)))
        direct = pn * log_r + (qn - pn) if p[i] > 0.0 else qn
        buf[i] = near if series else direct
    total = _lane_sum(buf, n)
    if n_fix:
        for i in range(n):
            pi = p[i]
            qi = q[i]
            r = (pi / qi) * ratio
            if pi > 0.0 and qi > 0.0 and not (r > 0.0 and r < np.inf):
                pn = pi * sp
                lr = math.log(pi) - math.log(qi) + math.log(ratio)
                total += pn * lr  # the block loop counted log(1) = 0 here
    return total


@njit(**_FMA_OPTS)
def _js_series(u):
    """h(t) for u = t^2 < 1/16 (see `_js_block`), Horner with fused
    multiply-adds (a function of t^2 alone, so symmetric in p and q)."""
    return u * (_H1 + u * (_H2 + u * (_H3 + u * (_H4 + u * (_H5 + u * (
        _H6 + u * (_H7 + u * (_H8 + u * _H9))))))))


@njit(**_OPTS)
def _js_block(p, q, sp, sq, buf_a, buf_b, work):
    """Sum over the block of (p + q) h((p - q) / (p + q)) on normalised bins.

    h(t) = ((1+t) log(1+t) + (1-t) log(1-t)) / 2 >= 0, evaluated by its
    series in t^2 for |t| < 1/4 (where the two logs would cancel) and
    elsewhere as (A log A + B log B) / 2 from A = 1 + t = 2p/(p+q) and
    B = 1 - t = 2q/(p+q), each formed from p and q (not from t, whose
    rounding would swamp a small A or B); log(2) where p or q is 0.  One
    reciprocal 1/(p+q) per bin gives A, B and t (one rounding more each than
    three divisions, ~1 ulp), and the two logarithms share one division
    (`log2_inplace`): two divisions per bin instead of five.  Where p + q
    is so small that its reciprocal could overflow, A, B and t are formed
    by division after the loop.  Every step is symmetric in p and q, so
    swapping them gives the same bits.  `work` holds 8x the block: the
    logarithms' scratch (4x), then t, p + q, A and B per bin, kept from the
    first pass for the last.
    """
    n = p.shape[0]
    m = work.shape[0] // 8
    t_bin = work[4 * m:4 * m + n]
    s_bin = work[5 * m:5 * m + n]
    a_bin = work[6 * m:6 * m + n]
    b_bin = work[7 * m:7 * m + n]
    n_tiny = 0
    for i in range(n):
        pn = p[i] * sp
        qn = q[i] * sq
        s = pn + qn
        ok = s >= _JS_RECIPROCAL_MIN
        r = 1.0 / s if ok else 1.0
        n_tiny += 1 if (s > 0.0) and not ok else 0
        a = (2.0 * pn) * r if ok else 1.0
        b = (2.0 * qn) * r if ok else 1.0
        buf_a[i] = a
        buf_b[i] = b
        a_bin[i] = a
        b_bin[i] = b
        t_bin[i] = (pn - qn) * r if ok else 0.0
        s_bin[i] = s
    if n_tiny:
        for i in range(n):
            s = s_bin[i]
            if s > 0.0 and s < _JS_RECIPROCAL_MIN:
                pn = p[i] * sp
                qn = q[i] * sq
                a_bin[i] = 2.0 * (pn / s)
                b_bin[i] = 2.0 * (qn / s)
                buf_a[i] = a_bin[i]
                buf_b[i] = b_bin[i]
                t_bin[i] = (pn - qn) / s
    log2_inplace(buf_a, buf_b, work, n)
    for i in range(n):
        t = t_bin[i]
        a = a_bin[i]
        b = b_bin[i]
        direct = 0.5 * (a * buf_a[i] + b * buf_b[i])
        edge = (a == 0.0) | (b == 0.0)  # 0 log 0 = 0, the other term 2 log 2
        h = _js_series(t * t) if abs(t) < 0.25 else (_LOG2 if edge else direct)
        buf_a[i] = s_bin[i] * h
    return _lane_sum(buf_a, n)


@njit(**_OPTS)
def _task_terms_into(p, q, rp, rq, lo, hi, kind, sp, sq, tot_p, tot_q, buf_a, buf_b, work):
    """Sum of one divergence's terms over bins lo:hi of p[rp] and q[rq].

    buf_a, buf_b hold at least min(BLOCK, hi - lo) entries, work 8x that.
    """
    total = 0.0
    for b0 in range(lo, hi, BLOCK):
        b1 = min(b0 + BLOCK, hi)
        pb = p[rp, b0:b1]
        qb = q[rq, b0:b1]
        if kind == KIND_TV:
            total += _tv_block(pb, qb, sp, sq, buf_a)
        elif kind == KIND_KL:
            total += _kl_block(pb, qb, sp, sq, tot_p, tot_q, buf_a, buf_b, work)
        else:
            total += _js_block(pb, qb, sp, sq, buf_a, buf_b, work)
    return total


@njit(**_OPTS)
def _task_terms(p, q, rp, rq, lo, hi, kind, sp, sq, tot_p, tot_q):
    """`_task_terms_into` with its own buffers."""
    w = np.empty(10 * BLOCK)
    return _task_terms_into(p, q, rp, rq, lo, hi, kind, sp, sq, tot_p, tot_q,
                            w[:BLOCK], w[BLOCK:2 * BLOCK], w[2 * BLOCK:])


@njit(**_OPTS)
def _task_setup(p, q, sum_p, sum_q, task, n, n_chunks):
    row, lo, hi = _task_bounds(task, n, n_chunks)
    rp = row if p.shape[0] > 1 else 0
    rq = row if q.shape[0] > 1 else 0
    return rp, rq, lo, hi, 1.0 / sum_p[rp], 1.0 / sum_q[rq], sum_p[rp], sum_q[rq]


@njit(**_OPTS)
def _terms_tasks_serial(p, q, sum_p, sum_q, kind, partial, n_chunks):
    n = p.shape[1]
    for task in range(partial.shape[0]):
        rp, rq, lo, hi, sp, sq, tp, tq = _task_setup(p, q, sum_p, sum_q, task, n, n_chunks)
        partial[task] = _task_terms(p, q, rp, rq, lo, hi, kind, sp, sq, tp, tq)


@njit(parallel=True, **_OPTS)
def _terms_tasks_parallel(p, q, sum_p, sum_q, kind, partial, n_chunks):
    n = p.shape[1]
    for task in prange(partial.shape[0]):
        rp, rq, lo, hi, sp, sq, tp, tq = _task_setup(p, q, sum_p, sum_q, task, n, n_chunks)
        partial[task] = _task_terms(p, q, rp, rq, lo, hi, kind, sp, sq, tp, tq)


@njit(**_OPTS)
def divergence(p, q, kind, out, sum_p, sum_q, parallel):
    """Validate, sum and reduce in one call; returns a status.

    p is (rows_p, n), q is (rows_q, n), each with rows_x equal to len(out) or
    1 (a single row is broadcast against the batch).  Fills sum_p (rows_p,)
    and sum_q (rows_q,) with the row sums, then out with the per-row sums of
    the divergence terms (see `_task_terms`).  Status: 0 done; otherwise the
    status of `row_sums` for p (as is) or for q (plus 10), and out is left
    unfilled.
    """
    status = row_sums(p, sum_p, parallel)
    if status:
        return status
    status = row_sums(q, sum_q, parallel)
    if status:
        return 10 + status
    rows = out.shape[0]
    n = p.shape[1]
    n_chunks = (n + CHUNK - 1) // CHUNK
    partial = np.empty(rows * n_chunks)
    if parallel:
        _terms_tasks_parallel(p, q, sum_p, sum_q, kind, partial, n_chunks)
    else:
        _terms_tasks_serial(p, q, sum_p, sum_q, kind, partial, n_chunks)
    _combine(partial, rows, n_chunks, out)
    return 0


@njit(**_OPTS)
def _sum_ok(s, smallest):
    """A row whose sum and smallest entry `divergence` accepts as they are."""
    return smallest >= 0.0 and s >= SUM_LO and s <= SUM_HI


@njit(**_OPTS)
def divergence_pair(p, q, kind):
    """`divergence` for two C-contiguous 1-D histograms of equal length.

    Returns the sum of the terms, or NaN when `divergence` would not return
    status 0 (bad entries, zero mass, sums to rescale), when the lengths
    differ or are 0, or when the histograms are longer than one task: the
    wrapper then takes the general path, which
    says why.  For one task the arithmetic is `divergence`'s, operation for
    operation (row sum = the one task's partial sum, plus 0.0 as in
    `_combine`), so the value is the same to the bit; one allocation instead
    of ten.
    """
    n = p.shape[0]
    if n == 0 or n > CHUNK or q.shape[0] != n:
        return np.nan
    s_p, min_p = _lane_sum_min(p)
    s_q, min_q = _lane_sum_min(q)
    s_p = 0.0 + s_p
    s_q = 0.0 + s_q
    if not (_sum_ok(s_p, min_p) and _sum_ok(s_q, min_q)):
        return np.nan
    m = min(n, BLOCK)
    w = np.empty(10 * m)
    p2 = p.reshape((1, n))
    q2 = q.reshape((1, n))
    total = _task_terms_into(p2, q2, 0, 0, 0, n, kind, 1.0 / s_p, 1.0 / s_q, s_p, s_q,
                             w[:m], w[m:2 * m], w[2 * m:])
    return 0.0 + total
