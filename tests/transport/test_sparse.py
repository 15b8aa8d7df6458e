"""The sparse (column-generation) solver: agreement with the dense LP and
certificates checked by brute force on the full cost matrix."""

import contextlib
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose

import transport
from transport import cost_matrix, emd2
import transport._clouds._sparse as sparse_module
from transport._clouds._sparse import _solve, solve_sparse
from transport._core._validation import validate_point_clouds

METRICS = ["euclidean", "sqeuclidean", "cityblock", "chebyshev"]

# Both solvers solve the same LP to optimality and certify it with rtol =
# 1e-9 relative to scale = max cost + max|u| + max|v| (per unit mass); the
# costs can only differ by that much.
RTOL = 1e-9


def _problem(X, Y, a=None, b=None):
    return validate_point_clouds(X, Y, a, b)


@contextlib.contextmanager
def coarse_levels_from(size):
    """Run the multiscale start from `size` atoms (default: larger inputs)
    so that small problems go through the coarse levels, the refined plan
    and the warm-started tree."""
    old = sparse_module.MULTISCALE_MIN
    sparse_module.MULTISCALE_MIN = size
    try:
        yield
    finally:
        sparse_module.MULTISCALE_MIN = old


def check_result(res, X, Y, a, b, metric, p):
    """Certificate reported, then re-checked independently by brute force."""
    assert res.status == "optimal", res.certificate
    assert res.certificate.ok
    assert res.method == "sparse"
    M = cost_matrix(X, Y, metric=metric, p=p)
    b = b * (a.sum() / b.sum())
    n, m = M.shape
    assert res.plan.shape == (n, m)
    P = res.plan.toarray()
    u, v = res.u, res.v
    scale = M.max() + np.abs(u).max() + np.abs(v).max()
    assert P.min() >= 0.0
    assert_allclose(P.sum(axis=1), a, rtol=0, atol=RTOL)
    assert_allclose(P.sum(axis=0), b, rtol=0, atol=RTOL)
    # dual feasibility over all n x m pairs
    assert (u[:, None] + v[None, :] - M).max() <= RTOL * scale
    # complementary slackness and zero gap
    rows, cols = np.nonzero(P)
    assert np.abs(M[rows, cols] - u[rows] - v[cols]).max(initial=0.0) <= RTOL * scale
    primal = float((P * M).sum())
    assert abs(primal - (a @ u + b @ v)) <= RTOL * scale
    assert abs(res.cost - primal) <= RTOL * scale
    # the package's own certifier agrees
    assert transport.certify(res, a, b, M).ok
    # agreement with the dense solver
    ref = emd2(a, b, M)
    assert_allclose(res.cost, ref, rtol=RTOL, atol=RTOL * scale)
    return ref


# --------------------------------------------------------------------------
# Hypothesis: random and clustered clouds
# --------------------------------------------------------------------------
coords = st.one_of(
    st.floats(-10.0, 10.0, allow_nan=False, allow_infinity=False),
    st.integers(-3, 3).map(float),  # grid values: ties and duplicated atoms
)
weights = st.one_of(st.just(0.0), st.floats(1e-3, 10.0), st.floats(5e-324, 1e-12))


@st.composite
def clouds(draw, max_n=60):
    d = draw(st.integers(1, 3))
    n = draw(st.integers(1, max_n))
    m = draw(st.integers(1, max_n))
    X = draw(hnp.arrays(np.float64, (n, d), elements=coords))
    Y = draw(hnp.arrays(np.float64, (m, d), elements=coords))
    a = draw(hnp.arrays(np.float64, n, elements=weights))
    b = draw(hnp.arrays(np.float64, m, elements=weights))
    a[draw(st.integers(0, n - 1))] += 1.0
    b[draw(st.integers(0, m - 1))] += 1.0
    return X, Y, a, b


@st.composite
def clustered_clouds(draw, max_n=60):
    """Atoms in a few tight clusters (many near-ties in the costs)."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    d = draw(st.integers(2, 3))
    k = draw(st.integers(1, 4))
    centres = rng.normal(scale=10.0, size=(k, d))
    spread = draw(st.sampled_from([0.0, 1e-6, 0.1]))
    n = draw(st.integers(1, max_n))
    m = draw(st.integers(1, max_n))
    X = centres[rng.integers(k, size=n)] + spread * rng.normal(size=(n, d))
    Y = centres[rng.integers(k, size=m)] + spread * rng.normal(size=(m, d))
    return X, Y, rng.random(n) + 0.01, rng.random(m) + 0.01


@given(clouds(), st.sampled_from(METRICS), st.sampled_from([1.0, 2.0]))
def test_matches_dense_on_random_clouds(problem, metric, p):
    X, Y, a, b = _problem(*problem)
    check_result(solve_sparse(X, Y, a, b, metric, p), X, Y, a, b, metric, p)


@given(clustered_clouds(), st.sampled_from(METRICS), st.sampled_from([1.0, 2.0]))
def test_matches_dense_on_clustered_clouds(problem, metric, p):
    X, Y, a, b = _problem(*problem)
    check_result(solve_sparse(X, Y, a, b, metric, p), X, Y, a, b, metric, p)


@given(st.one_of(clouds(), clustered_clouds()), st.sampled_from(METRICS),
       st.sampled_from([1.0, 2.0]), st.sampled_from([2, 5]))
def test_matches_dense_through_coarse_levels(problem, metric, p, size):
    X, Y, a, b = _problem(*problem)
    with coarse_levels_from(size):
        res = solve_sparse(X, Y, a, b, metric, p)
    check_result(res, X, Y, a, b, metric, p)


# --------------------------------------------------------------------------
# Deterministic medium-size cases (several rounds of column generation)
# --------------------------------------------------------------------------
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("p", [1.0, 2.0])
def test_matches_dense_few_hundred_points(metric, p):
    rng = np.random.default_rng(7)
    X = rng.random((300, 2))
    Y = rng.normal(0.5, 0.3, size=(250, 2))
    X, Y, a, b = _problem(X, Y, rng.random(300), rng.random(250))
    res, stats = _solve(X, Y, a, b, metric, p)
    check_result(res, X, Y, a, b, metric, p)
    assert res.n_iter == stats.pivots == sum(stats.round_pivots)


def test_three_dimensional_uniform_weights():
    rng = np.random.default_rng(3)
    X, Y, a, b = _problem(rng.random((400, 3)), rng.random((400, 3)))
    res, stats = _solve(X, Y, a, b, "euclidean", 1.0)
    check_result(res, X, Y, a, b, "euclidean", 1.0)
    assert stats.rounds >= 2  # the k-NN candidates alone were not enough


@pytest.mark.parametrize("metric,p", [("euclidean", 1.0), ("sqeuclidean", 1.0),
                                      ("cityblock", 2.0), ("chebyshev", 1.0)])
def test_multiscale_start_on_clustered_clouds(metric, p):
    # sources in four tight clusters, targets spread: mass travels far,
    # beyond the nearest neighbours; default settings use a coarse level
    rng = np.random.default_rng(8)
    centres = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    X = np.concatenate([rng.normal(c, 0.05, (300, 2)) for c in centres])
    Y = rng.normal(0.5, 0.3, (1100, 2))
    X, Y, a, b = _problem(X, Y, rng.random(1200) + 0.1, rng.random(1100) + 0.1)
    res, stats = _solve(X, Y, a, b, metric, p)
    check_result(res, X, Y, a, b, metric, p)
    assert stats.levels >= 1 and stats.warm_start


# --------------------------------------------------------------------------
# Degenerate inputs
# --------------------------------------------------------------------------
def _grid(k):
    g = np.arange(k, dtype=np.float64)
    return np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)


DEGENERATE = {
    "duplicated points": lambda rng: (
        np.repeat(rng.random((40, 2)), 3, axis=0), np.repeat(rng.random((30, 2)), 4, axis=0)),
    "collinear points": lambda rng: (
        np.outer(rng.random(120), [1.0, 2.0]), np.outer(rng.random(90), [1.0, 2.0]) + [0.0, 0.5]),
    "all identical": lambda rng: (np.ones((50, 2)), np.ones((70, 2))),
    "one cloud a subset": lambda rng: (_grid(12), _grid(12)[::3]),
    "same cloud": lambda rng: (_grid(10), _grid(10)[::-1].copy()),
    "1 x 200": lambda rng: (rng.random((1, 2)), rng.random((200, 2))),
    "200 x 1": lambda rng: (rng.random((200, 2)), rng.random((1, 2))),
    "1 x 1": lambda rng: (rng.random((1, 2)), rng.random((1, 2))),
    "integer grid ties": lambda rng: (_grid(9), _grid(9) + 0.5),
}


@pytest.mark.parametrize("case", sorted(DEGENERATE))
@pytest.mark.parametrize("metric,p", [("euclidean", 1.0), ("cityblock", 1.0),
                                      ("sqeuclidean", 1.0), ("chebyshev", 2.0)])
@pytest.mark.parametrize("coarse_from", [None, 4])
def test_degenerate_inputs(case, metric, p, coarse_from):
    rng = np.random.default_rng(11)
    X, Y = DEGENERATE[case](rng)
    X, Y, a, b = _problem(X, Y)
    with coarse_levels_from(coarse_from or sparse_module.MULTISCALE_MIN):
        res = solve_sparse(X, Y, a, b, metric, p)
    check_result(res, X, Y, a, b, metric, p)


def test_identical_clouds_cost_zero():
    rng = np.random.default_rng(5)
    X = rng.random((80, 2))
    X, Y, a, b = _problem(X, X[rng.permutation(80)])
    res = solve_sparse(X, Y, a, b, "euclidean", 1.0)
    assert res.status == "optimal"
    assert_allclose(res.cost, 0.0, atol=1e-15)


def test_zero_weights_change_nothing():
    rng = np.random.default_rng(2)
    X, Y = rng.random((60, 2)), rng.random((50, 2))
    a, b = rng.random(60), rng.random(50)
    a[::4] = 0.0
    b[1::5] = 0.0
    X1, Y1, a1, b1 = _problem(X, Y, a, b)
    res = solve_sparse(X1, Y1, a1, b1, "euclidean", 1.0)
    check_result(res, X1, Y1, a1, b1, "euclidean", 1.0)
    keep_a, keep_b = a > 0, b > 0
    X2, Y2, a2, b2 = _problem(X[keep_a], Y[keep_b], a[keep_a], b[keep_b])
    res2 = solve_sparse(X2, Y2, a2, b2, "euclidean", 1.0)
    assert_allclose(res.cost, res2.cost, rtol=1e-12)
    # nothing is planned from or to a zero-weight atom
    P = res.plan.toarray()
    assert not P[~keep_a].any() and not P[:, ~keep_b].any()


def test_weights_are_normalised_like_dense():
    rng = np.random.default_rng(4)
    X, Y = rng.random((30, 2)), rng.random((20, 2))
    X, Y, a, b = _problem(X, Y, 5.0 * rng.random(30), rng.random(20))
    check_result(solve_sparse(X, Y, a, b, "cityblock", 1.0), X, Y, a, b, "cityblock", 1.0)


# --------------------------------------------------------------------------
# Stopping early, the wasserstein-method wrapper
# --------------------------------------------------------------------------
def test_round_cap_is_reported_not_guessed():
    rng = np.random.default_rng(9)
    X, Y, a, b = _problem(rng.random((300, 2)), rng.random((300, 2)) + [0.3, 0.0])
    with warnings.catch_warnings():  # the internal solver does not warn
        warnings.simplefilter("error")
        res = solve_sparse(X, Y, a, b, "euclidean", 1.0, max_rounds=1)
    assert res.status == "max_rounds_reached"
    assert np.isnan(res.cost)


def test_wrapper_returns_wp():
    rng = np.random.default_rng(6)
    X, Y, a, b = _problem(rng.random((70, 2)), rng.random((90, 2)), rng.random(70), None)
    for metric in METRICS:
        for p in (1.0, 2.0, 3.0):
            ref = transport.wasserstein(X, Y, a, None, p=p, metric=metric,
                                        method="network_simplex")
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                got = transport.wasserstein(X, Y, a, b, p=p, metric=metric,
                                            method="sparse")
            assert_allclose(got, ref, rtol=1e-9)
