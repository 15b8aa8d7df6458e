r"""The Lipschitz constant of a function on a point set, exactly, over all pairs.

``lipschitz_scan(Z, f, metric)`` returns the largest ratio
|f_i - f_j| / d(z_i, z_j) over all pairs i < j (d computed by the direct
formula of `transport._core._metrics.distance`, the ratio by one
division), the pair that attains it, and the number of pairs with
|f_i - f_j| > d(z_i, z_j).  No N x N matrix is ever held: the pairs are
visited in blocks by compiled kernels (`_lipschitz_kernels`), on all cores
when `parallel_ok`.

In higher dimension the euclidean distances of a block come from one matrix
product (BLAS, in float32) of the centred points: with c_i = z_i - mean
(translation changes no distance), s_i the float64 |c_i|^2, and G_ij the
float32 product of the float32-rounded c_i and c_j, the classical error
bound of a floating-point dot product of length d (Higham, "Accuracy and
Stability of Numerical Algorithms", 2002, sec. 3.1: |fl(x.y) - x.y| <=
gamma_d |x|.|y|, gamma_d = d u / (1 - d u), for any order of summation),
the rounding of the inputs (relative u32 + u64 per coordinate) and of the
two additions give

.. math::

    |(s_i + s_j - 2 G_{ij}) - d_{ij}^2| \le
    (\gamma_d + 4 u_{32} + 4 u_{64})(S_i + S_j),

S_i the exact squared norms; `_block_error_coefficient` doubles that, and
`_block_error_floor` adds an absolute term for coordinates and products
below float32's normal range (where its rounding is absolute, not relative).  The
bracket [d^2 - err, d^2 + err] bounds every ratio from both sides; a pair
whose upper bound stays below the best ratio found so far cannot be the
maximum, and a pair whose bracket lies entirely on one side of 1 is counted
(or not) as a violation without more work.  The others -- a handful per row
-- get the direct formula on the original coordinates.  The result is
therefore the same as that of the
all-pairs direct scan (`scan_direct`), which the tests check.
"""

import math

import numpy as np

from divergences._parallel import parallel_ok

from .._core._metrics import EUCLIDEAN
from . import _lipschitz_kernels as kern

__all__ = ["LipschitzScan", "lipschitz_scan", "BLOCK_MIN_DIM", "BLOCK_MIN_POINTS", "BLOCK"]

#: Euclidean point sets of at least this dimension take the blocked matrix
#: product route (below it the direct formula costs about as much as the
#: bracket test alone).
BLOCK_MIN_DIM = 8

#: ... and of at least this many points (below, one product costs more
#: than it saves).
BLOCK_MIN_POINTS = 256

#: Rows (and columns) per block of pairs: G is BLOCK x BLOCK float64 (32 MiB).
BLOCK = 2048

#: The precision of the matrix product: float32 halves its time (and G's
#: memory); its rounding, and that of the points converted to it, is in the
#: bracket (`_block_error_coefficient`), so that only the number of pairs
#: recomputed by the direct formula depends on it, never the result.
GEMM_DTYPE = np.float32

#: From this many points, the kernels run their parallel twins.
PARALLEL_MIN = 1024

_U = np.finfo(np.float64).eps / 2  # unit roundoff


class LipschitzScan(tuple):
    """(lipschitz, pair, n_violations, n_pairs) of `lipschitz_scan`."""

    __slots__ = ()

    def __new__(cls, lipschitz, pair, n_violations, n_pairs):
        return tuple.__new__(cls, (lipschitz, pair, n_violations, n_pairs))

    lipschitz = property(lambda self: self[0])
    pair = property(lambda self: self[1])
    n_violations = property(lambda self: self[2])
    n_pairs = property(lambda self: self[3])


def _block_error_coefficient(d):
    """c with |(s_i + s_j - 2 G_ij) - d_ij^2| <= c (s_i + s_j), for points of
    dimension d (twice the bound in the module docstring)."""
    u = np.finfo(GEMM_DTYPE).eps / 2
    gamma = d * u / (1.0 - d * u)
    return 2.0 * (2.0 * gamma + 8.0 * u + 8.0 * _U)


def _block_error_floor(d):
    """An absolute term for the coordinates and products below the normal
    range of GEMM_DTYPE (the bound above is relative only down to it): each
    rounds with an absolute error below its smallest normal number, and the
    points, scaled into [-1, 1] and centred, have |c_i| <= 2 sqrt(d)."""
    tiny = float(np.finfo(GEMM_DTYPE).tiny)
    return 64.0 * d * tiny


def _direct_margin(d):
    """m2 >= ((1 + k) / (1 - k))^2 with k a bound of the relative error of
    the direct formula's euclidean distance in dimension d (the rounding of d
    differences, squares, a sum of d terms and a square root)."""
    k = (d + 8) * _U
    return 1.0 + 16.0 * k


def _scale_exponent(x):
    """e with max |x| / 2^e in [0.5, 1) (0 when x is all zero)."""
    top = float(np.max(np.abs(x))) if x.size else 0.0
    return math.frexp(top)[1] if top > 0.0 else 0


def lipschitz_scan(Z, f, metric_code, rtol=0.0, block=BLOCK, route="auto"):
    """Exact Lipschitz constant of f on Z over all pairs (see the module).

    Parameters
    ----------
    Z : (N, d) ndarray
        C-contiguous float64, finite.
    f : (N,) ndarray
        float64, finite.
    metric_code : int
        A code of `transport._core._metrics.METRICS` (a metric).
    rtol : float, optional
        A violation is |f_i - f_j| > (1 + rtol) d_ij.
    block : int, optional
        Rows and columns per block of the matrix-product route.
    route : {"auto", "direct", "blocked"}, optional
        "auto": the matrix-product route for euclidean points of at least
        `BLOCK_MIN_DIM` coordinates and `BLOCK_MIN_POINTS` points, else the
        direct one; the others force a route (euclidean only for
        "blocked"), for the tests that compare them.

    Returns
    -------
    LipschitzScan
        ``lipschitz`` (0.0 when f is constant; inf when two points at
        distance 0 have different values), ``pair`` ((i, j), i < j, the
        pair attaining it; None when f is constant), ``n_violations`` (pairs
        with |f_i - f_j| > (1 + rtol) d_ij) and ``n_pairs`` = N (N - 1) / 2.
    """
    n, d = Z.shape
    n_pairs = n * (n - 1) // 2
    # powers of two: exact, and keep squares and differences in range
    ez = _scale_exponent(Z)
    ef = _scale_exponent(f)
    if ef == 0 and not np.any(f):
        return LipschitzScan(0.0, None, 0, n_pairs)
    Zs = np.ascontiguousarray(np.ldexp(Z, -ez))
    fs = np.ascontiguousarray(np.ldexp(f, -ef))
    best = np.zeros(n)
    arg = np.full(n, -1, dtype=np.int64)
    viol = np.zeros(n, dtype=np.int64)
    # |f_i - f_j| > (1 + rtol) d_ij in the caller's units: > unit * d_ij in
    # the scaled ones
    unit = math.ldexp(1.0 + rtol, max(min(ez - ef, 1023), -1074))
    parallel = n >= PARALLEL_MIN and parallel_ok()
    if route == "auto":
        blocked = metric_code == EUCLIDEAN and d >= BLOCK_MIN_DIM and n >= BLOCK_MIN_POINTS
    else:
        blocked = route == "blocked"
    if blocked:
        _blocked(Zs, fs, metric_code, block, parallel, unit, best, arg, viol)
    else:
        scan = kern.scan_direct_parallel if parallel else kern.scan_direct
        scan(Zs, fs, metric_code, unit, best, arg, viol)
    i = int(np.argmax(best))
    ratio = float(best[i])
    if ratio == 0.0:  # f takes one value on Z
        return LipschitzScan(0.0, None, 0, n_pairs)
    lipschitz = math.ldexp(ratio, ef - ez) if math.isfinite(ratio) else math.inf
    return LipschitzScan(lipschitz, (i, int(arg[i])), int(viol.sum()), n_pairs)


def _blocked(Z, f, code, block, parallel, unit, best, arg, viol):
    """All pairs through square blocks (I, J), J >= I, of the matrix product
    of the centred points, in float32 (see `_block_error_coefficient`)."""
    n, d = Z.shape
    C = Z - Z.mean(axis=0)
    s = np.einsum("ij,ij->i", C, C)
    C32 = C.astype(GEMM_DTYPE)
    c, c0 = _block_error_coefficient(d), _block_error_floor(d)
    m2 = _direct_margin(d)
    scan = kern.scan_block_parallel if parallel else kern.scan_block
    T = 0.0
    for i0 in range(0, n, block):
        i1 = min(i0 + block, n)
        CI = C32[i0:i1]
        for j0 in range(i0, n, block):
            j1 = min(j0 + block, n)
            G = CI @ C32[j0:j1].T
            scan(G, s[i0:i1], s[j0:j1], f[i0:i1], f[j0:j1], Z[i0:i1], Z[j0:j1], j0,
                 j0 == i0, code, c, c0, m2, T, unit, best[i0:i1], arg[i0:i1], viol[i0:i1])
            T = max(T, float(best[i0:i1].max()))
