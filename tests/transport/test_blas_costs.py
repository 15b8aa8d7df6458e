"""High-dimensional cost matrices: the product form with a proven bound.

Every entry of `blas_costs` is checked against the exact squared distance
(rational arithmetic on the float inputs), on clouds built to defeat the
product form: near duplicates, exact duplicates and offsets of 1e6 from
the origin.  The bound promises |s - S| <= COST_RTOL * S for the squared
distance and COST_RTOL plus one rounding for the distance.
"""

import tracemalloc
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.spatial.distance import cdist

from transport import cost_matrix, solve, wasserstein
from transport._clouds._solve import ground_costs
from transport._core import _blas_costs as bc
from transport._core._metrics import CHEBYSHEV, CITYBLOCK, EUCLIDEAN, SQEUCLIDEAN

ULP = 2.0**-52


def exact_squared(X, Y):
    """The exact squared distances, rounded once to float64 at the end."""
    out = np.empty((X.shape[0], Y.shape[0]))
    Xf = [[Fraction(v) for v in row] for row in X]
    Yf = [[Fraction(v) for v in row] for row in Y]
    for i, x in enumerate(Xf):
        for j, y in enumerate(Yf):
            out[i, j] = float(sum((a - b) ** 2 for a, b in zip(x, y)))
    return out


@st.composite
def hard_clouds(draw):
    """Clouds in 16-300 dimensions far from the origin or not, with near
    and exact duplicates across the two clouds."""
    d = draw(st.sampled_from([16, 17, 64, 255, 300]))
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    offset = draw(st.sampled_from([0.0, 1e6, -1e6, 3.5e3]))
    spread = draw(st.sampled_from([1.0, 1e-3, 1e3]))
    X = offset + spread * rng.standard_normal((n, d))
    Y = offset + spread * rng.standard_normal((m, d))
    k = draw(st.integers(0, min(n, m)))
    noise = draw(st.sampled_from([0.0, 1e-12, 1e-9, 1e-6, 1e-3]))
    Y[:k] = X[:k] + noise * spread * rng.standard_normal((k, d))
    if draw(st.booleans()):  # one coordinate differs only: cancellation in one term
        Y[:k] = X[:k]
        Y[:k, 0] += noise * spread
    return X, Y


@given(hard_clouds())
def test_every_squared_entry_within_the_bound_of_the_exact_value(clouds):
    X, Y = clouds
    S = exact_squared(X, Y)
    s = bc.blas_costs(X, Y, SQEUCLIDEAN)
    # S rounded to float64 (half an ulp) beside the proven COST_RTOL
    assert np.all(np.abs(s - S) <= (bc.COST_RTOL + ULP) * S)
    assert_array_equal(s[S == 0], 0.0)


@given(hard_clouds())
def test_every_euclidean_entry_within_the_bound_of_the_exact_value(clouds):
    X, Y = clouds
    D = np.sqrt(exact_squared(X, Y))
    dist = bc.blas_costs(X, Y, EUCLIDEAN)
    assert np.all(np.abs(dist - D) <= (bc.COST_RTOL + 2 * ULP) * D)
    assert_array_equal(dist[D == 0], 0.0)


def test_cost_matrix_in_high_dimension_near_duplicates_far_from_the_origin():
    rng = np.random.default_rng(7)
    X = 1e6 + rng.standard_normal((40, 784))
    Y = X + 1e-7 * rng.standard_normal((40, 784))  # distances ~ 3e-6 at 1e6
    Y[:20] = 1e6 + rng.standard_normal((20, 784))
    S = exact_squared(X[:12], Y[:30])
    M = cost_matrix(X, Y)
    assert_allclose(M[:12, :30], np.sqrt(S), rtol=bc.COST_RTOL + 2 * ULP, atol=0)
    M2 = cost_matrix(X, Y, p=2)
    assert_allclose(M2[:12, :30], S, rtol=2 * bc.COST_RTOL + 4 * ULP, atol=0)
    # the product form alone (POT's ot.dist) would lose these entirely
    assert np.all(M[20:, 20:].diagonal() > 0)


def test_typical_pairs_are_kept_and_close_pairs_recomputed():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 784))
    Y = rng.standard_normal((60, 784))
    Y[:5] = X[:5] + 1e-4 * rng.standard_normal((5, 784))
    stats = {}
    M = bc.blas_costs(X, Y, SQEUCLIDEAN, stats=stats)
    assert stats["recomputed"] >= 5  # the near duplicates, at least
    assert stats["recomputed"] < 0.1 * M.size  # the bound is not vacuous
    assert_allclose(M, cdist(X, Y, "sqeuclidean"), rtol=1e-13)


@pytest.mark.parametrize("d", [16, 784, 2048])
def test_keep_rule_keeps_pairs_as_far_apart_as_their_norms(d):
    # A2 t + eta <= C2 s must hold for s >= t (independent Gaussians have
    # s ~ t after centring): otherwise the bound recomputes everything
    for code in (EUCLIDEAN, SQEUCLIDEAN):
        A2, C2, eta = bc.keep_rule(d, code)
        assert A2 < C2 and 0.0 < eta < 1e-300  # eta: the subnormal products


@pytest.mark.parametrize("metric, code", [("cityblock", CITYBLOCK),
                                          ("chebyshev", CHEBYSHEV),
                                          ("euclidean", EUCLIDEAN),
                                          ("sqeuclidean", SQEUCLIDEAN)])
def test_direct_costs_agree_with_cdist(metric, code):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((37, 203)) * 10.0
    Y = rng.standard_normal((29, 203)) * 10.0
    M = bc.direct_costs(X, Y, code)
    ref = cdist(X, Y, metric)
    if metric == "chebyshev":
        assert_array_equal(M, ref)  # a maximum: exact in any order
    else:  # both sums of 203 positive terms: within a few hundred ulps
        assert_allclose(M, ref, rtol=1e-13)
    serial = np.empty_like(M)
    bc.direct_costs_serial(X, Y, code, serial)
    assert_array_equal(M, serial)


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "cityblock", "chebyshev"])
def test_low_dimensional_costs_are_unchanged(metric):
    # below the thresholds the cdist path runs, bit for bit
    rng = np.random.default_rng(5)
    d = min(bc.GEMM_MIN_DIM, bc.DIRECT_MIN_DIM) - 1
    X = rng.standard_normal((30, d))
    Y = rng.standard_normal((20, d))
    ref = cdist(X, Y, metric)
    assert_array_equal(ground_costs(X, Y, metric, 1.0), ref)
    assert_array_equal(cost_matrix(X, Y, metric=metric), ref)


def test_no_second_matrix_is_allocated(monkeypatch):
    # with a small scratch tile, the only n x m array is the result
    rng = np.random.default_rng(2)
    n, m, d = 400, 500, 600
    X = rng.standard_normal((n, d))
    Y = rng.standard_normal((m, d))
    out = np.empty((n, m))
    monkeypatch.setattr(bc, "SCRATCH_BYTES", 8 * m * 16)
    bc.blas_costs(X[:8], Y[:8], EUCLIDEAN)  # compile outside the measurement
    tracemalloc.start()
    try:
        bc.blas_costs(X, Y, EUCLIDEAN, out=out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    inputs = 8 * (n + m) * d  # the centred copies of the clouds
    assert peak < inputs + 0.25 * 8 * n * m
    assert_allclose(out, cdist(X, Y), rtol=1e-13)


@pytest.mark.parametrize("p", [1, 2])
def test_wasserstein_in_high_dimension_matches_the_exact_costs(p):
    rng = np.random.default_rng(13)
    X = rng.standard_normal((25, 100)) + 1e6
    Y = rng.standard_normal((30, 100)) + 1e6
    Y[:4] = X[:4] + 1e-8
    from transport import emd2

    M = np.sqrt(exact_squared(X, Y)) ** p
    expected = emd2(np.full(25, 1 / 25), np.full(30, 1 / 30), M) ** (1 / p)
    assert_allclose(wasserstein(X, Y, p=p), expected, rtol=1e-12)


@pytest.mark.parametrize("d", [12, 64, 300])
@pytest.mark.parametrize("metric, p", [("euclidean", 1.0), ("euclidean", 2.0),
                                       ("sqeuclidean", 1.0), ("cityblock", 1.0)])
def test_sparse_by_blocks_matches_the_dense_solver(d, metric, p):
    rng = np.random.default_rng(d)
    X = rng.standard_normal((90, d))
    Y = rng.standard_normal((70, d)) + 0.3
    a = rng.random(90)
    b = rng.random(70)
    a[:5] = 0.0  # zero-mass atoms: their potentials are c-transforms
    b[-3:] = 0.0
    dense = solve(X, Y, a, b, p=p, metric=metric, method="network_simplex")
    sparse = solve(X, Y, a, b, p=p, metric=metric, method="sparse")
    assert sparse.method == "sparse" and sparse.status == "optimal"
    assert sparse.certificate.ok
    assert_allclose(sparse.cost, dense.cost, rtol=1e-10)
    # dual feasibility of the returned potentials over all pairs
    C = cost_matrix(X, Y, metric=metric, p=p)
    slack = C - sparse.u[:, None] - sparse.v[None, :]
    assert slack.min() >= -1e-9 * (C.max() + np.abs(sparse.u).max() + np.abs(sparse.v).max())


def test_block_scan_is_the_exact_c_transform(monkeypatch):
    from transport._clouds import _block_scan

    rng = np.random.default_rng(17)
    X = rng.standard_normal((120, 40))
    Y = rng.standard_normal((90, 40))
    v = rng.standard_normal(90)
    thr = rng.standard_normal(120) + 4.0
    monkeypatch.setattr(_block_scan, "BLOCK_BYTES", 8 * 90 * 7)  # blocks of 7 rows
    counts, out_j, out_val, best = _block_scan.BlockScan(Y).scan(
        X, v, thr, 5, EUCLIDEAN, 1.0)
    C = cdist(X, Y) - v[None, :]
    assert_allclose(best, C.min(axis=1), rtol=1e-13, atol=1e-13)
    for i in range(120):
        below = np.sort(C[i][C[i] < thr[i]])[:5]
        assert counts[i] == below.size
        assert_allclose(out_val[i, :counts[i]], below, rtol=1e-13, atol=1e-13)
        assert_allclose(C[i, out_j[i, :counts[i]]], below, rtol=1e-13, atol=1e-13)


def test_auto_avoids_a_cost_matrix_beyond_the_memory_cap():
    from transport._clouds._solve import DENSE_MAX_BYTES, choose_method

    side = int(np.sqrt(DENSE_MAX_BYTES / 8)) + 1
    assert choose_method(side, side, 784) == "sparse"
    assert choose_method(3000, 3000, 784) == "network_simplex"
    assert choose_method(side, side, 2) == "sparse"
