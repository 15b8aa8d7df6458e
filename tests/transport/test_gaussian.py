"""`wasserstein_gaussian` and `wasserstein_gaussian_fit` (Bures, FID)."""

import math

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.linalg import eigh, eigvalsh
from scipy.stats import ortho_group

from benchmarks._bench_samples import independent_route
from transport import wasserstein_gaussian, wasserstein_gaussian_fit
from transport._samples import _gaussian


def _wishart(rng, d, n, scale=1.0):
    G = rng.standard_normal((d, n)) * scale
    return G @ G.T / n


def _eigen_route(m1, C1, m2, C2):
    """An independent float64 route: S = C1^1/2 by a symmetric
    eigendecomposition, then the eigenvalues of S C2 S (clipped at 0)."""
    lam, V = eigh(C1)
    S = (V * np.sqrt(np.clip(lam, 0, None))) @ V.T
    mu = eigvalsh(S @ C2 @ S)
    b2 = np.trace(C1) + np.trace(C2) - 2 * np.sqrt(np.clip(mu, 0, None)).sum()
    return math.sqrt(np.sum((m1 - m2) ** 2) + max(b2, 0.0))


def _mp_reference(m1, C1, m2, C2):
    """W_2 to 50 digits from the float64 inputs taken as exact (mpmath)."""
    mp = pytest.importorskip("mpmath").mp
    with mp.workdps(50):
        A = mp.matrix(C1.tolist())
        B = mp.matrix(C2.tolist())
        lam, Q = mp.eigsy(A)
        D = mp.diag([mp.sqrt(max(x, 0)) for x in lam])
        S = Q * D * Q.T
        mu = mp.eigsy(S * B * S, eigvals_only=True)
        root = mp.fsum(mp.sqrt(max(x, 0)) for x in mu)
        d = len(m1)
        w2 = (mp.fsum((mp.mpf(float(x)) - mp.mpf(float(y))) ** 2 for x, y in zip(m1, m2))
              + mp.fsum(A[i, i] for i in range(d)) + mp.fsum(B[i, i] for i in range(d))
              - 2 * root)
        return float(mp.sqrt(max(w2, 0)))


@pytest.mark.parametrize("d", [1, 2, 5, 12, 20])
def test_matches_50_digit_reference(d):
    rng = np.random.default_rng(300 + d)
    m1, m2 = rng.standard_normal(d), rng.standard_normal(d)
    C1, C2 = _wishart(rng, d, 3 * d + 2), _wishart(rng, d, 2 * d + 3, 2.0)
    assert_allclose(wasserstein_gaussian(m1, C1, m2, C2), _mp_reference(m1, C1, m2, C2),
                    rtol=1e-12)


@pytest.mark.parametrize("d, r1, r2", [(6, 2, 3), (10, 1, 10), (20, 5, 5)])
def test_rank_deficient_matches_50_digit_reference(d, r1, r2):
    # Covariances G G^T of small-integer factors: exact in float64, so their
    # rank is exactly r (mpmath sees the same singular matrices).
    rng = np.random.default_rng(310 + d)
    G1 = rng.integers(-3, 4, (d, r1)).astype(float)
    G2 = rng.integers(-3, 4, (d, r2)).astype(float)
    m1, m2 = rng.integers(-2, 3, d).astype(float), np.zeros(d)
    C1, C2 = G1 @ G1.T, G2 @ G2.T
    got = wasserstein_gaussian(m1, C1, m2, C2)
    assert_allclose(got, _mp_reference(m1, C1, m2, C2), rtol=1e-12)


@pytest.mark.parametrize("d", [3, 10, 40])
def test_matches_pot_where_pot_is_finite(d):
    rng = np.random.default_rng(320 + d)
    m1, m2 = rng.standard_normal(d), rng.standard_normal(d)
    C1, C2 = _wishart(rng, d, 2 * d), _wishart(rng, d, 3 * d)
    ref = float(ot.gaussian.bures_wasserstein_distance(m1, m2, C1, C2))
    assert math.isfinite(ref)
    # POT's eigenvalue square roots lose ~sqrt(eps) on small eigenvalues of
    # C1^1/2 C2 C1^1/2 only when there are some; here the smallest is O(1/d^2).
    assert_allclose(wasserstein_gaussian(m1, C1, m2, C2), ref, rtol=1e-10)


@pytest.mark.parametrize("d", [2, 8, 50])
def test_commuting_closed_form(d):
    rng = np.random.default_rng(330 + d)
    a, b = rng.random(d) * 3, rng.random(d) * 3
    a[: d // 4] = 0.0  # rank-deficient, both
    b[d // 4: d // 2] = 0.0
    m1, m2 = rng.standard_normal(d), rng.standard_normal(d)
    expect = math.sqrt(np.sum((m1 - m2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2))
    assert_allclose(wasserstein_gaussian(m1, np.diag(a), m2, np.diag(b)), expect,
                    rtol=1e-13)
    Q = ortho_group.rvs(d, random_state=np.random.default_rng(d)) if d > 1 else np.eye(1)
    C1, C2 = Q @ np.diag(a) @ Q.T, Q @ np.diag(b) @ Q.T
    C1, C2 = (C1 + C1.T) / 2, (C2 + C2.T) / 2
    # The rotation rounds each entry: ~d eps |C| absolute in the covariances;
    # tr sqrt is not Lipschitz at singular C, hence the looser sqrt-level
    # tolerance: |dW| <= sqrt(d eps |C|) per zero eigenvalue.
    assert_allclose(wasserstein_gaussian(m1, C1, m2, C2), expect,
                    rtol=0, atol=4 * d * math.sqrt(d * 2.2e-16 * 3))


def test_close_gaussians_keep_relative_accuracy():
    rng = np.random.default_rng(340)
    d = 30
    a = rng.random(d) + 0.5
    eps = 1e-9
    b = a * (1 + eps * rng.random(d))
    m = rng.standard_normal(d)
    # sqrt(a) - sqrt(b) = (a - b) / (sqrt(a) + sqrt(b)), no cancellation.
    expect = math.sqrt(np.sum(((a - b) / (np.sqrt(a) + np.sqrt(b))) ** 2))
    got = wasserstein_gaussian(m, np.diag(a), m, np.diag(b))
    assert_allclose(got, expect, rtol=1e-6)  # b carries relative 1e-16 / 1e-9
    # The difference form alone would give sqrt(eps * tr C) ~ 1e-7 noise:
    assert expect < 1e-8


def test_identical_is_zero_to_rounding():
    rng = np.random.default_rng(341)
    for d, n in ((5, 20), (40, 10)):  # full rank and rank-deficient
        X = rng.standard_normal((n, d))
        m, C = X.mean(axis=0), np.cov(X.T)
        w = wasserstein_gaussian(m, C, m, C)
        assert 0.0 <= w <= 1e-14 * math.sqrt(np.trace(C))
        assert wasserstein_gaussian_fit(X, X) <= 1e-14 * math.sqrt(np.trace(C))


def test_point_masses_and_zero_covariance():
    assert wasserstein_gaussian([1.0, 2.0], np.zeros((2, 2)), [4.0, 6.0],
                                np.zeros((2, 2))) == 5.0
    C = np.diag([4.0, 9.0])
    assert_allclose(wasserstein_gaussian([0, 0], np.zeros((2, 2)), [0, 0], C),
                    math.sqrt(13.0), rtol=1e-15)


@pytest.mark.parametrize("n1, n2, d", [(8, 12, 30), (40, 30, 10), (300, 300, 2048)])
def test_fit_matches_statistics_and_independent_route(n1, n2, d):
    rng = np.random.default_rng(350 + n1)
    X = rng.standard_normal((n1, d))
    Y = rng.standard_normal((n2, d)) * np.linspace(0.5, 1.5, d) + 0.1
    got = wasserstein_gaussian_fit(X, Y)
    assert math.isfinite(got)
    # Independent: symmetric eigendecompositions only (the benchmark's
    # reference route; n <= d through the eigenvalues of K K^T, K = A B^T).
    ref = independent_route(X, Y)
    assert_allclose(got, ref, rtol=1e-10)
    if d <= 100:
        stats = wasserstein_gaussian(X.mean(0), np.cov(X.T), Y.mean(0), np.cov(Y.T))
        # From the covariances, the rounding of np.cov's zero eigenvalues
        # (~d eps |C|) enters through tr sqrt at sqrt level.
        assert_allclose(got, stats, rtol=1e-10 if n1 > d else 1e-6)


@pytest.mark.parametrize("shape", [(50, 20), (15, 40)])
def test_fit_routes_agree(monkeypatch, shape):
    rng = np.random.default_rng(360)
    X = rng.standard_normal(shape)
    Y = rng.standard_normal((shape[0] + 5, shape[1])) + 0.5
    results = []
    for route in ("samples", "factors"):
        monkeypatch.setattr(_gaussian, "_fit_route", lambda *args, r=route: r)
        results.append(wasserstein_gaussian_fit(X, Y))
    # Both routes factor the samples (A B^T, or R1 R2^T from QR): no
    # covariance is formed, so no square root of rounding noise enters.
    assert_allclose(results[0], results[1], rtol=1e-12)


@settings(max_examples=30)
@given(st.integers(1, 12), st.integers(2, 20), st.integers(2, 20), st.integers(0, 2**32 - 1))
def test_never_nan_never_negative_symmetric(d, n1, n2, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n1, d)) * rng.random(d)
    Y = rng.standard_normal((n2, d))
    m1, m2, C1, C2 = X.mean(0), Y.mean(0), np.atleast_2d(np.cov(X.T)), np.atleast_2d(np.cov(Y.T))
    w12 = wasserstein_gaussian(m1, C1, m2, C2)
    w21 = wasserstein_gaussian(m2, C2, m1, C1)
    assert math.isfinite(w12) and w12 >= 0
    assert_allclose(w12, w21, rtol=1e-6, atol=1e-7)
    assert w12 >= np.linalg.norm(m1 - m2) * (1 - 1e-12)


def test_near_singular():
    rng = np.random.default_rng(370)
    d = 50
    Q = ortho_group.rvs(d, random_state=np.random.default_rng(1))
    lam = np.logspace(0, -15, d)
    C1 = Q @ np.diag(lam) @ Q.T
    C1 = (C1 + C1.T) / 2
    C2 = _wishart(rng, d, 60)
    w = wasserstein_gaussian(np.zeros(d), C1, np.zeros(d), C2)
    assert math.isfinite(w)
    assert_allclose(w, _eigen_route(np.zeros(d), C1, np.zeros(d), C2), rtol=1e-7)


@pytest.mark.parametrize("args, match", [
    (([0, 0], np.eye(3), [0, 0], np.eye(2)), "`cov1` must be a \\(d, d\\)"),
    (([0, 0], np.eye(2), [0, 0, 0], np.eye(2)), "`mean2` has 3 entries"),
    (([0, 0], [[1, 0.5], [0, 1]], [0, 0], np.eye(2)), "`cov1` must be symmetric"),
    (([0, 0], np.eye(2), [0, 0], [[1, 2], [2, 1]]), "`cov2` must be positive semi-definite"),
    (([0, np.nan], np.eye(2), [0, 0], np.eye(2)), "`mean1`"),
    (([0, 0], [[1, 0], [0, np.inf]], [0, 0], np.eye(2)), "`cov1`"),
    (([[0, 0]], np.eye(2), [0, 0], np.eye(2)), "`mean1` must be a non-empty 1-D"),
])
def test_bad_input_is_refused_by_name(args, match):
    with pytest.raises(ValueError, match=match):
        wasserstein_gaussian(*args)


def test_fit_bad_input():
    with pytest.raises(ValueError, match="at least 2 samples"):
        wasserstein_gaussian_fit(np.zeros((1, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="same space"):
        wasserstein_gaussian_fit(np.zeros((3, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="`Y`"):
        wasserstein_gaussian_fit(np.zeros((3, 2)), [[0, 1], [np.nan, 0]])
