r"""Cost matrices in high dimension: matrix products with a proven error bound.

In d dimensions the direct formula costs d operations per pair, one pair at
a time; the matrix-product form

.. math:: \|x - y\|^2 = \|x\|^2 + \|y\|^2 - 2\, x \cdot y

puts the d-fold work into matrix products (BLAS ``dgemm``), several times
faster than SciPy's ``cdist`` from 16 dimensions on.  It cancels where
:math:`\|x - y\|^2` is small next to :math:`\|x\|^2 + \|y\|^2` (near
duplicates, points far from the origin: the clouds are first moved to their
common mean, which removes the second).  Here every entry of the product
form comes with a rigorous bound of its error (`keep_rule`, below); an
entry whose bound exceeds ``COST_RTOL`` times its value is recomputed by the
direct formula in compiled code.  So every squared distance is within
``COST_RTOL`` = 2^-44 (5.7e-14) relative of the exact squared distance of
the input points, proven, not estimated.

Error bound (u = 2^-53, γ_k = k u / (1 - k u); Higham, *Accuracy and
Stability of Numerical Algorithms*, 2nd ed., 2002, §3.1 and Lemma 3.3: a
sum of k products evaluated in any order, fused or not, is off by at most
γ_k times the sum of the absolute products; an extra rounding of a quantity
carrying (1 + θ_j) makes it (1 + θ_{j+1})):

1. Centring.  Both clouds are moved by one vector c (their mean):
   x' = fl(x - c), so x'_t - y'_t = (x_t - y_t) + e_t with
   |e_t| <= u'(|x'_t| + |y'_t|), u' = u / (1 - u).  Hence
   |‖x' - y'‖ - ‖x - y‖| <= ε := u' sqrt(2 (N_x + N_y)) and
   |S - S'| <= 2 ε sqrt(S') + ε² (S, S' the exact squared distances of
   the originals and of the centred points; N_x = ‖x'‖² exact).
2. Norms n_x of the centred rows by `centre_rows`: blocks of `NORM_BLOCK`
   coordinates summed in `LANES` interleaved partial sums, the lanes
   combined pairwise, the block sums added in order: every square passes at
   most D_n = 1 + NORM_BLOCK / LANES + log2(LANES) + ceil(d / NORM_BLOCK)
   roundings, so |n_x - N_x| <= γ_{D_n} N_x.
3. Inner products g from q = ceil(d / GEMM_CHUNK) chunks of coordinates of
   nearly equal width b (zero-padded to the widest: exact zero products
   change nothing), one matrix product per chunk (internal order unknown:
   error <= γ_b on its b products), the q chunk results added in order by
   our own kernels:
   |g - G| <= γ_{D_g} Σ_t |x'_t y'_t| <= γ_{D_g} (N_x + N_y) / 2,
   D_g = b + q - 1.  (Controlling the depth is what makes the bound
   useful: for one product of depth d = 2048, γ_d = 2.3e-13 alone exceeds
   the target.)
4. s = fl(fl(n_x + n_y) - 2 g) (2 g is exact): two more roundings, so
   |s - S'| <= A (n_x + n_y) + B |s|, A = (γ_{D_n} + γ_{D_g}) / (1 -
   γ_{D_n}) + u, B = u / (1 - u).
5. Underflow: products below the normal range carry an absolute error
   <= 2^-1075 each (sums of floats do not), at most 4 d of them enter s:
   η = 4 d 2^-1075 more (taken as (d + 2) 2^-1073).  Overflow or NaN anywhere fails the test below.

So |s - S| <= E := base + 2 ε sqrt(S') + ε², base = A (n_x + n_y) + B |s|
+ η, S' <= |s| + base.  The entry is kept when E <= τ s, τ = COST_RTOL
(euclidean: 2 COST_RTOL, halved by the square root), tested in the form of
`keep_rule` (the square root bounded by 2 ε sqrt(S') <= (4/τ) ε² + (τ/4) S',
constants rounded outwards); then |s - S| <= τ s, i.e. within τ / (1 - τ)
of S.  Others get the direct formula (`direct_distance`),
whose own bound is γ_{D_d} S, D_d = 3 + ceil(d / LANES) + log2(LANES)
(2^-44 or better up to d = 4000).  Euclidean distances are the square roots
(relative error halved, plus one rounding).

Assumption: the BLAS computes each entry of a matrix product by
floating-point multiplications and additions (fused or not) in some order,
as every conventional BLAS does (no Strassen-type fast products), in IEEE
double precision with rounding to nearest.
"""

import math

import numpy as np
from numba import njit, prange

from ._metrics import CHEBYSHEV, CITYBLOCK, EUCLIDEAN, SMALL_SQUARED, SQEUCLIDEAN

__all__ = ["COST_RTOL", "GEMM_MIN_DIM", "DIRECT_MIN_DIM", "GEMM_CHUNK", "blas_costs",
           "high_dim_costs",
           "direct_costs", "direct_distance", "gemm_bound_constants", "keep_rule", "uses_blas"]

_OPTS = dict(cache=True, nogil=True)

#: Every squared distance of the matrix-product path is proven within this
#: relative error of the exact one (else recomputed directly).  The direct
#: formula's own worst-case bound in 784-D is γ_784 = 8.7e-14.
COST_RTOL = 2.0**-44

#: At most this many coordinates per matrix product (b in the bound; the
#: chunks are of nearly equal width).  Smaller b, smaller D_g = b + q - 1
#: (most accurate near sqrt(d)), fewer entries recomputed, but more
#: products, each paying a wait for both BLAS threads on a loaded machine
#: (3000 x 3000, 784-D, load ~14 on 2 cores: the products took 2.0-4.3 s
#: with 256, 2.5-3.6 s with 128, one product of all 784 coordinates 1.7-2.0
#: s).  16 x 16 x 3 photo patches (768-D, 1500 a side): 256 / 128 / 64
#: recomputed 13% / 6% / 3% of the euclidean entries (33% / 16% / 8% of
#: the squared ones).
GEMM_CHUNK = 256

#: The later chunk products of a tile of rows are computed into one scratch
#: tile of at most this many bytes (the only n x m-sized memory besides the
#: result) and added to the result in order.  On this project's loaded
#: 2-core test machine every matrix product waits for both BLAS threads and
#: fresh memory is slow to touch: few large products and one scratch tile
#: measured fastest (3000 x 3000: 1.3-1.5x ``ot.dist``'s time, against
#: 2-2.7x for one scratch tile per chunk added in one pass, and 2-6x with
#: tiles of 8-32 MiB).
SCRATCH_BYTES = 1 << 27

#: Interleaved partial sums of the compiled sums (vectorisable, and a depth
#: d / LANES instead of d).
LANES = 8

#: Coordinates per block of the norms (`centre_rows`).
NORM_BLOCK = 64

#: From this dimension on, euclidean and sqeuclidean costs are built by
#: matrix products (`blas_costs`); below, SciPy's ``cdist`` as before (so
#: low-dimensional results are unchanged bit for bit).  Measured (2000 x
#: 2000 Gaussian clouds, euclidean, this path's time / cdist's, best of 3,
#: load ~10 on 2 cores): 2.4 at 3-D, 0.9-1.0 at 4-8-D, 0.33 at 12-D, 0.31
#: at 16-D, 0.2-0.5 above.  Close pairs are recomputed, so clustered data
#: gains less: 16 leaves a margin.
GEMM_MIN_DIM = 16

#: From this dimension on, cityblock and chebyshev costs come from the
#: parallel compiled kernel (`direct_costs`) instead of ``cdist``: one
#: thread of it took 0.9-1.1x cdist's time at 64-D and 0.7x at 784-D (1000
#: x 1000), below 64-D cdist was faster.
DIRECT_MIN_DIM = 64

_U = 2.0**-53


def _gamma(k):
    return k * _U / (1.0 - k * _U)


def _norm_depth(d):
    return 1 + NORM_BLOCK // LANES + int(math.log2(LANES)) + -(-d // NORM_BLOCK)


def gemm_chunks(d):
    """[(k0, k1), ...]: the coordinate chunks of the products, ceil(d /
    GEMM_CHUNK) of nearly equal width."""
    q = -(-d // GEMM_CHUNK)
    edges = [(k * d) // q for k in range(q + 1)]
    return list(zip(edges[:-1], edges[1:]))


def _gemm_depth(d):
    chunks = gemm_chunks(d)
    return max(k1 - k0 for k0, k1 in chunks) + len(chunks) - 1


def direct_depth(d):
    """Roundings a square passes in `direct_distance` (D_d in the bound)."""
    return 3 + -(-d // LANES) + int(math.log2(LANES))


def gemm_bound_constants(d):
    """(A, B, eps_factor, eta) of the error bound of the module docstring, in
    dimension d: |s - S| <= A (n_x + n_y) + B |s| + eta + 2 eps sqrt(S') +
    eps^2, with eps = eps_factor * sqrt(n_x + n_y)."""
    gn, gg = _gamma(_norm_depth(d)), _gamma(_gemm_depth(d))
    A = (gn + gg) / (1.0 - gn) + _U
    B = _U / (1.0 - _U)
    # N_x + N_y <= (n_x + n_y) / (1 - γ_{D_n})
    eps_factor = (_U / (1.0 - _U)) * math.sqrt(2.0 / (1.0 - gn))
    eta = (d + 2) * 2.0**-1073  # 4 d 2^-1075, and 2^-1074 for the test's own roundings
    return A, B, eps_factor, eta


def keep_rule(d, metric):
    """(A2, C2, eta2): an entry s of the product form is kept when
    ``A2 * t + eta2 <= C2 * s`` (t = n_x + n_y as computed); then the
    returned value (s, or sqrt(s) for euclidean) is within `COST_RTOL` (plus
    one rounding of the square root) of the exact one.

    With tau the allowed relative error of s (COST_RTOL; twice that for
    euclidean, whose square root halves it), S' <= |s| + base and
    2 eps sqrt(S') <= (4 / tau) eps^2 + (tau / 4) S' turn E <= tau s into
    t [A (1 + tau/4) + (4/tau + 1) eps_factor^2] + eta (1 + tau/4)
    <= s [3 tau / 4 - B (1 + tau/4)]; the constants are rounded outwards
    by 2^-40, far more than the few roundings of the test itself.
    """
    A, B, epsf, eta = gemm_bound_constants(d)
    tau = COST_RTOL if metric == SQEUCLIDEAN else 2.0 * COST_RTOL
    q = 1.0 + tau / 4.0
    out = 1.0 + 2.0**-40
    A2 = (A * q + (4.0 / tau + 1.0) * epsf * epsf) * out
    C2 = (0.75 * tau - B * q) / out
    return np.array([A2, C2, eta * q * out])


def uses_blas(metric_code, d):
    """Whether `blas_costs` takes the matrix-product path (else `direct_costs`)
    for this metric code in dimension d."""
    return metric_code in (EUCLIDEAN, SQEUCLIDEAN) and d >= GEMM_MIN_DIM


# --------------------------------------------------------------------------
# compiled direct formula (LANES interleaved sums)
# --------------------------------------------------------------------------
@njit(**_OPTS)
def _lane_sum_sq(x, y):
    """sum_t (x[t] - y[t])^2 in LANES = 8 interleaved partial sums."""
    d = x.shape[0]
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
    t = 0
    while t + 8 <= d:
        e0 = x[t] - y[t]
        e1 = x[t + 1] - y[t + 1]
        e2 = x[t + 2] - y[t + 2]
        e3 = x[t + 3] - y[t + 3]
        e4 = x[t + 4] - y[t + 4]
        e5 = x[t + 5] - y[t + 5]
        e6 = x[t + 6] - y[t + 6]
        e7 = x[t + 7] - y[t + 7]
        a0 += e0 * e0
        a1 += e1 * e1
        a2 += e2 * e2
        a3 += e3 * e3
        a4 += e4 * e4
        a5 += e5 * e5
        a6 += e6 * e6
        a7 += e7 * e7
        t += 8
    r = d - t
    if r > 0:
        e = x[t] - y[t]
        a0 += e * e
    if r > 1:
        e = x[t + 1] - y[t + 1]
        a1 += e * e
    if r > 2:
        e = x[t + 2] - y[t + 2]
        a2 += e * e
    if r > 3:
        e = x[t + 3] - y[t + 3]
        a3 += e * e
    if r > 4:
        e = x[t + 4] - y[t + 4]
        a4 += e * e
    if r > 5:
        e = x[t + 5] - y[t + 5]
        a5 += e * e
    if r > 6:
        e = x[t + 6] - y[t + 6]
        a6 += e * e
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))


@njit(**_OPTS)
def _lane_sum_abs(x, y):
    """sum_t |x[t] - y[t]| in 8 interleaved partial sums."""
    d = x.shape[0]
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
    t = 0
    while t + 8 <= d:
        a0 += abs(x[t] - y[t])
        a1 += abs(x[t + 1] - y[t + 1])
        a2 += abs(x[t + 2] - y[t + 2])
        a3 += abs(x[t + 3] - y[t + 3])
        a4 += abs(x[t + 4] - y[t + 4])
        a5 += abs(x[t + 5] - y[t + 5])
        a6 += abs(x[t + 6] - y[t + 6])
        a7 += abs(x[t + 7] - y[t + 7])
        t += 8
    while t < d:
        a0 += abs(x[t] - y[t])
        t += 1
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))


@njit(**_OPTS)
def _lane_max_abs(x, y):
    """max_t |x[t] - y[t]| (exact in any order)."""
    d = x.shape[0]
    a0 = a1 = a2 = a3 = 0.0
    t = 0
    while t + 4 <= d:
        a0 = max(a0, abs(x[t] - y[t]))
        a1 = max(a1, abs(x[t + 1] - y[t + 1]))
        a2 = max(a2, abs(x[t + 2] - y[t + 2]))
        a3 = max(a3, abs(x[t + 3] - y[t + 3]))
        t += 4
    while t < d:
        a0 = max(a0, abs(x[t] - y[t]))
        t += 1
    return max(max(a0, a1), max(a2, a3))


@njit(**_OPTS)
def _small_euclidean(x, y):
    """max |diff| * sqrt(sum (diff / max)^2): no tiny squares underflow."""
    top = _lane_max_abs(x, y)
    if top == 0.0:
        return 0.0
    acc = 0.0
    for t in range(x.shape[0]):
        r = (x[t] - y[t]) / top
        acc += r * r
    return top * np.sqrt(acc)


@njit(**_OPTS)
def direct_distance(X, i, Y, j, metric):
    """d(X[i], Y[j]) for a metric code by the direct formula, summed in
    LANES partial sums (sqeuclidean: the squared distance; euclidean
    distances below 2^-480 without underflow, as `_metrics.distance`)."""
    x = X[i]
    y = Y[j]
    if metric == EUCLIDEAN or metric == SQEUCLIDEAN:
        acc = _lane_sum_sq(x, y)
        if metric == SQEUCLIDEAN:
            return acc
        if acc < SMALL_SQUARED:
            return _small_euclidean(x, y)
        return np.sqrt(acc)
    if metric == CITYBLOCK:
        return _lane_sum_abs(x, y)
    return _lane_max_abs(x, y)


#: Rows and columns per block of `direct_costs` (a block of Y rows stays in
#: the core's cache while a block of X rows passes over it).
_DIRECT_ROWS = 16
_DIRECT_COLS = 64


@njit(**_OPTS)
def _direct_block(X, Y, metric, out, ib):
    n, m = X.shape[0], Y.shape[0]
    i1 = min(n, ib + _DIRECT_ROWS)
    for jb in range(0, m, _DIRECT_COLS):
        j1 = min(m, jb + _DIRECT_COLS)
        for i in range(ib, i1):
            for j in range(jb, j1):
                out[i, j] = direct_distance(X, i, Y, j, metric)


@njit(**_OPTS)
def direct_costs_serial(X, Y, metric, out):
    """out[i, j] = `direct_distance`(X, i, Y, j, metric) for all pairs."""
    for ib in range(0, X.shape[0], _DIRECT_ROWS):
        _direct_block(X, Y, metric, out, ib)


@njit(parallel=True, **_OPTS)
def direct_costs_parallel(X, Y, metric, out):
    """Parallel twin of `direct_costs_serial` (blocks of rows)."""
    nb = (X.shape[0] + _DIRECT_ROWS - 1) // _DIRECT_ROWS
    for b in prange(nb):
        _direct_block(X, Y, metric, out, b * _DIRECT_ROWS)


# --------------------------------------------------------------------------
# matrix-product path
# --------------------------------------------------------------------------
@njit(**_OPTS)
def centre_rows(Z, centre, edges, out, norms):
    """Centred rows, split into coordinate chunks, and their squared norms.

    out[c, i, t - edges[c]] = Z[i, t] - centre[t] (rounded) for t in chunk
    c = [edges[c], edges[c + 1]); out is zero-filled beforehand, so chunks
    narrower than out.shape[2] are padded with zeros, which change no
    product.  norms[i] = sum_t of their squares: blocks of NORM_BLOCK
    coordinates, each in 8 interleaved partial sums combined pairwise, the
    block sums added in order."""
    n, d = Z.shape
    for i in range(n):
        for c in range(edges.shape[0] - 1):
            k0 = edges[c]
            for t in range(k0, edges[c + 1]):
                out[c, i, t - k0] = Z[i, t] - centre[t]
        total = 0.0
        for t0 in range(0, d, NORM_BLOCK):
            t1 = min(d, t0 + NORM_BLOCK)
            a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
            for t in range(t0, t1):
                e = Z[i, t] - centre[t]  # the value stored above, rounded alike
                # each lane takes every 8th coordinate of the block
                a0 += e * e
                a0, a1, a2, a3, a4, a5, a6, a7 = a1, a2, a3, a4, a5, a6, a7, a0
            total += ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
        norms[i] = total


def _centred_chunks(Z, centre, chunks):
    """(q, n, b) zero-padded chunks of the centred rows, and their norms."""
    n = Z.shape[0]
    width = max(k1 - k0 for k0, k1 in chunks)
    edges = np.array([k0 for k0, _ in chunks] + [chunks[-1][1]], np.int64)
    out = np.zeros((len(chunks), n, width))
    norms = np.empty(n)
    centre_rows(Z, centre, edges, out, norms)
    return out, norms


@njit(**_OPTS)
def add_into(acc, part):
    """acc += part (same shape), in place."""
    for r in range(acc.shape[0]):
        for j in range(acc.shape[1]):
            acc[r, j] += part[r, j]


@njit(**_OPTS)
def finish_tile(G, P, has_part, nx, ny, bound, squared):
    """Entries of a tile of rows: g = G (+ P, the last chunk product, when
    `has_part`), s = n_x + n_y - 2 g (nx: the tile's rows' norms), kept
    when ``bound.A * t + bound.eta <= bound.C * s`` (t = n_x + n_y; see
    `keep_rule`) and stored in G as s (`squared`) or sqrt(s); the others
    are set to -1 (for `recompute_marked`).  Returns the number marked."""
    A, C, eta = bound[0], bound[1], bound[2]
    low = 0.0 if squared else SMALL_SQUARED
    marked = 0
    for r in range(G.shape[0]):
        nxi = nx[r]
        for j in range(G.shape[1]):  # branch-free (vectorises)
            g = G[r, j]
            if has_part:
                g += P[r, j]
            t = nxi + ny[j]
            s = t - 2.0 * g
            ok = (A * t + eta <= C * s) and (s >= low) and (t < np.inf) and (s < np.inf)
            v = s if squared else np.sqrt(abs(s))
            G[r, j] = v if ok else -1.0
            marked += 0 if ok else 1
    return marked


@njit(**_OPTS)
def _recompute_row(G, r, i, X, Y, metric):
    for j in range(G.shape[1]):
        if G[r, j] < 0.0:
            G[r, j] = direct_distance(X, i, Y, j, metric)


@njit(**_OPTS)
def recompute_marked_serial(G, i0, X, Y, metric):
    """Entries of G (rows i0.. of the matrix) marked negative by
    `finish_tile` recomputed by `direct_distance`."""
    for r in range(G.shape[0]):
        _recompute_row(G, r, i0 + r, X, Y, metric)


@njit(parallel=True, **_OPTS)
def recompute_marked_parallel(G, i0, X, Y, metric):
    """Parallel twin of `recompute_marked_serial` (rows across threads)."""
    for r in prange(G.shape[0]):
        _recompute_row(G, r, i0 + r, X, Y, metric)


#: Recomputations go parallel from this many coordinates' work (marked
#: entries times d); below, the parallel region's start costs more (it is
#: slow to start on a loaded machine).
RECOMPUTE_PARALLEL_MIN = 1 << 20


def _parallel():
    from divergences._parallel import parallel_ok

    return parallel_ok()


def direct_costs(X, Y, metric_code, out=None):
    """All-pairs `direct_distance` (compiled, on all cores): an (n, m) array
    (written into `out` when given, C-contiguous float64)."""
    if out is None:
        out = np.empty((X.shape[0], Y.shape[0]))
    kernel = direct_costs_parallel if _parallel() else direct_costs_serial
    kernel(X, Y, metric_code, out)
    return out


def high_dim_costs(X, Y, metric_code):
    """The (n, m) distances (sqeuclidean: squared) of validated clouds by
    `blas_costs` or `direct_costs` when the dimension makes them pay
    (`GEMM_MIN_DIM`, `DIRECT_MIN_DIM`); None below (the caller's ``cdist``
    path, unchanged)."""
    d = X.shape[1]
    if uses_blas(metric_code, d):
        return blas_costs(X, Y, metric_code)
    if metric_code in (CITYBLOCK, CHEBYSHEV) and d >= DIRECT_MIN_DIM:
        return direct_costs(X, Y, metric_code)
    return None


def blas_costs(X, Y, metric_code, out=None, stats=None):
    """Euclidean or squared euclidean distances of C-contiguous float64
    clouds X (n, d), Y (m, d) by matrix products, each entry within
    `COST_RTOL` of the exact one (see the module docstring).  Written into
    `out` (C-contiguous (n, m) float64) when given; no other n x m array is
    allocated.  `stats`, a dict, receives the count of recomputed entries."""
    n, d = X.shape
    m = Y.shape[0]
    if out is None:
        out = np.empty((n, m))
    if n == 0 or m == 0:
        return out
    centre = 0.5 * X.mean(axis=0) + 0.5 * Y.mean(axis=0)
    chunks = gemm_chunks(d)
    Xc, nx = _centred_chunks(X, centre, chunks)
    Yc, ny = _centred_chunks(Y, centre, chunks)
    bound = keep_rule(d, metric_code)
    squared = metric_code == SQEUCLIDEAN
    q = len(chunks)
    rows = max(1, min(n, SCRATCH_BYTES // (8 * m))) if q > 1 else n
    part = np.empty((rows if q > 1 else 0, m))  # a later chunk's product
    redo = 0
    for i0 in range(0, n, rows):
        i1 = min(n, i0 + rows)
        tile = out[i0:i1]
        P = part[: i1 - i0]
        for c in range(q):
            # one BLAS product per chunk (contiguous operands), straight into
            # the result or the scratch tile, added in order
            np.dot(Xc[c, i0:i1], Yc[c].T, out=tile if c == 0 else P)
            if 0 < c < q - 1:
                add_into(tile, P)  # memory-bound: serial is as fast
        marked = finish_tile(tile, P, q > 1, nx[i0:i1], ny, bound, squared)
        if marked:
            parallel = marked * d >= RECOMPUTE_PARALLEL_MIN and _parallel()
            recompute = recompute_marked_parallel if parallel else recompute_marked_serial
            recompute(tile, i0, X, Y, metric_code)
        redo += marked
    if stats is not None:
        stats["recomputed"] = stats.get("recomputed", 0) + int(redo)
    return out
