"""A natural logarithm that LLVM can vectorise, for the divergence kernels.

`math.log` in a numba loop is a call into libm, one element at a time, and it
blocks vectorisation of the loop around it.  `log2_inplace` computes the
logarithms of two arrays with branch-free arithmetic on the IEEE-754 bits, so
its loops run on SIMD lanes.  Accuracy: within 1 ulp of the correctly rounded
log over the whole positive range, subnormals included (measured 0.78 ulp;
tests/divergences/test_vlog.py compares with 40-digit decimal logarithms).

Method (standard argument reduction, written here from the identities):
x = 2^k m with m in [sqrt(1/2), sqrt(2)); f = m - 1 (exact);
s = f / (2 + f), so log(m) = 2 atanh(s) = 2s + s R(s^2) with
R(z) = sum_{j>=1} 2 z^j / (2j + 1); since 2s = f - s f and
s f = f^2/2 - s f^2/2,

    log(m) = f - (f^2/2 - s (f^2/2 + R)),

whose leading term f is exact.  k log 2 is added as k*LN2_HI (exact: LN2_HI
has trailing zero bits) plus k*LN2_LO.  The two logarithms of
`log2_inplace` share one division: with d_a = 2 + f_a and d_b = 2 + f_b,
s_a = f_a d_b / (d_a d_b) and s_b = f_b d_a / (d_a d_b).  Their extra
roundings (s to ~3 ulps instead of 1) reach the result only through the
correction s (f^2/2 + R), at most 0.043 of log(m): below 0.15 ulp.

The polynomial and the correction are compiled with floating-point
contraction only (``fastmath={"contract"}``: fused multiply-adds, no
assumption about inf or NaN), which shortens them and rounds once per
multiply-add instead of twice.  Both slots of `log2_inplace` run the same
operations, so swapping the arrays swaps the results bit for bit.
"""

import decimal

import numpy as np
from numba import njit


def _split_ln2():
    ctx = decimal.Context(prec=60)
    ln2 = ctx.ln(decimal.Decimal(2))
    hi_bits = np.float64(float(ln2)).view(np.int64) & ~np.int64((1 << 32) - 1)
    hi = float(np.int64(hi_bits).view(np.float64))
    lo = float(ctx.subtract(ln2, decimal.Decimal(hi)))
    return hi, lo


LN2_HI, LN2_LO = _split_ln2()

# |s| <= (sqrt(2) - 1) / (sqrt(2) + 1) = 0.1716, z = s^2 <= 0.02944.  R(z) =
# z g(z), g(z) = sum_{j>=1} 2 z^(j-1) / (2j + 1) = 2/3 + 2z/5 + ..., replaced
# by its interpolant at the 7 Chebyshev nodes of [0, 0.02944] (computed in
# 80-digit decimal arithmetic, coefficients rounded to float64): relative
# error below 4.7e-16 in g (10 Taylor terms: 1e-16), which reaches log(m)
# through s R only, damped by R / 2 <= z / 3 < 0.0099: below 0.03 ulp.
# tests/divergences/test_vlog.py re-derives the fit and checks the bound.
_R = (
    0.666666666666667,
    0.39999999999899505,
    0.28571428625975487,
    0.2222221113479508,
    0.18182889125261723,
    0.15331721600556042,
    0.14616449685043406,
)
_R1, _R2, _R3, _R4, _R5, _R6, _R7 = _R
#: The interval of z = s^2 on which `_R` was fitted.
Z_MAX = ((2.0**0.5 - 1.0) / (2.0**0.5 + 1.0)) ** 2

_SQRT_HALF_BITS = np.int64(np.float64(np.sqrt(0.5)).view(np.int64))
_MANTISSA = np.int64((1 << 52) - 1)
_TINY = np.finfo(np.float64).tiny  # smallest positive normal
_TWO54 = 2.0**54


_OPTS = dict(cache=True, nogil=True, error_model="numpy")
#: Contraction into fused multiply-adds only (no nnan/ninf): for the
#: polynomial and the log's correction, never for sums whose operands must
#: round symmetrically (see `_kernels._js_block`).
_FMA_OPTS = dict(_OPTS, fastmath={"contract"})


@njit(**_FMA_OPTS)
def atanh_tail(z):
    """R(z) ~ sum_{j>=1} 2 z^j / (2j + 1), so that for z = s^2,
    2 atanh(s) = 2s + s R(z) (R to 4.7e-16 relative for z <= 0.02944; see
    `_R`)."""
    return z * (_R1 + z * (_R2 + z * (_R3 + z * (_R4 + z * (_R5 + z * (
        _R6 + z * _R7))))))


@njit(**_OPTS)
def log_reduce(buf, work, n):
    """The argument reduction of `log2_inplace`: buf[:n] (each >= 0, not NaN)
    becomes the mantissa m in [sqrt(1/2), sqrt(2)), work[:n] the exponent k
    (as a float, x = 2^k m) and work[n:2n] the special value (-inf for 0,
    inf for inf, else 0).  Two branch-free loops."""
    bits = buf.view(np.int64)
    kf = work[:n]
    special = work[n : 2 * n]
    for i in range(n):
        x = buf[i]
        sub = x < _TINY
        buf[i] = x * _TWO54 if sub else x
        kf[i] = -54.0 if sub else 0.0
        special[i] = -np.inf if x == 0.0 else (np.inf if x == np.inf else 0.0)
    for i in range(n):
        ix = bits[i] - _SQRT_HALF_BITS
        kf[i] += np.float64(ix >> 52)
        bits[i] = (ix & _MANTISSA) + _SQRT_HALF_BITS


@njit(**_FMA_OPTS)
def _log_from(f, s, k):
    """log(2^k m) from f = m - 1, s = f / (2 + f) and k (see the module)."""
    r = atanh_tail(s * s)
    hfsq = 0.5 * f * f
    return k * LN2_HI + (f - (hfsq - (s * (hfsq + r) + k * LN2_LO)))


@njit(**_FMA_OPTS)
def log2_inplace(buf_a, buf_b, work, n):
    """Replace buf_a[:n] and buf_b[:n] (each >= 0, not NaN) by their natural
    logarithms, the two reductions sharing one division per index.

    log(0) = -inf, log(inf) = inf.  `work` is a float64 scratch array of at
    least 4n entries.  Branch-free loops, so each vectorises.
    """
    log_reduce(buf_a, work, n)
    log_reduce(buf_b, work[2 * n:], n)
    k_a = work[:n]
    special_a = work[n:2 * n]
    k_b = work[2 * n:3 * n]
    special_b = work[3 * n:4 * n]
    for i in range(n):
        f_a = buf_a[i] - 1.0
        f_b = buf_b[i] - 1.0
        d_a = 2.0 + f_a
        d_b = 2.0 + f_b
        inv = 1.0 / (d_a * d_b)
        y_a = _log_from(f_a, (f_a * d_b) * inv, k_a[i])
        y_b = _log_from(f_b, (f_b * d_a) * inv, k_b[i])
        sp_a = special_a[i]
        sp_b = special_b[i]
        buf_a[i] = y_a if sp_a == 0.0 else sp_a
        buf_b[i] = y_b if sp_b == 0.0 else sp_b
