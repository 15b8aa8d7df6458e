"""`emd`, `emd2` and `certify`: exact discrete OT, certified."""

import warnings

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
import scipy.sparse
from scipy.spatial.distance import cdist

from transport import OptimalityError, UncertifiedWarning, certify, emd, emd2


def _cloud_problem(rng, n, m, d=2, weighted=True, metric="euclidean"):
    X, Y = rng.random((n, d)), rng.random((m, d))
    a = rng.random(n) if weighted else np.ones(n)
    b = rng.random(m) if weighted else np.ones(m)
    return a / a.sum(), b / b.sum(), cdist(X, Y, metric)


def _pot(a, b, M):
    return ot.emd2(a, b, M, numItermax=10**8)


def _check(res, a, b, M):
    assert res.status == "optimal"
    assert res.certificate.ok
    assert certify(res, a, b, M).ok
    assert res.plan.shape == M.shape
    assert res.plan.nnz <= M.shape[0] + M.shape[1] - 1
    P = res.dense_plan()
    assert (P >= 0).all()
    mass = a.sum()
    assert_allclose(P.sum(axis=1), a, atol=1e-12 * mass)
    assert_allclose(P.sum(axis=0), b * mass / b.sum(), atol=1e-12 * mass)
    scale = np.abs(M).max() + 1e-300
    # dual feasibility, complementary slackness, zero gap
    assert (res.u[:, None] + res.v[None, :] <= M + 1e-10 * scale).all()
    rows, cols = np.nonzero(P)
    assert_allclose(res.u[rows] + res.v[cols], M[rows, cols], atol=1e-10 * scale)
    assert_allclose(a @ res.u + (b * mass / b.sum()) @ res.v, res.cost, atol=1e-10 * scale)


@pytest.mark.parametrize("n, m", [(1, 1), (1, 9), (9, 1), (5, 5), (40, 60), (200, 150), (500, 500)])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_pot(n, m, weighted):
    rng = np.random.default_rng(n * 1000 + m + weighted)
    a, b, M = _cloud_problem(rng, n, m, weighted=weighted)
    res = emd(a, b, M)
    _check(res, a, b, M)
    assert_allclose(res.cost, _pot(a, b, M), rtol=1e-10)
    assert emd2(a, b, M) == res.cost


@pytest.mark.parametrize("metric", ["sqeuclidean", "cityblock", "chebyshev"])
def test_other_costs_match_pot(metric):
    rng = np.random.default_rng(31)
    a, b, M = _cloud_problem(rng, 120, 90, d=3, metric=metric)
    res = emd(a, b, M)
    _check(res, a, b, M)
    assert_allclose(res.cost, _pot(a, b, M), rtol=1e-10)


def test_integer_costs_with_many_ties():
    rng = np.random.default_rng(32)
    for n, m in [(30, 30), (64, 50), (100, 100)]:
        M = rng.integers(0, 4, size=(n, m)).astype(float)
        a, b = np.full(n, 1 / n), np.full(m, 1 / m)
        res = emd(a, b, M)
        _check(res, a, b, M)
        assert_allclose(res.cost, _pot(a, b, M), rtol=1e-10, atol=1e-14)


def test_uniform_weights_square_is_an_assignment():
    rng = np.random.default_rng(33)
    n = 60
    X, Y = rng.random((n, 2)), rng.random((n, 2))
    M = cdist(X, Y)
    a = np.full(n, 1 / n)
    res = emd(a, a, M)
    _check(res, a, a, M)
    from scipy.optimize import linear_sum_assignment

    r, c = linear_sum_assignment(M)
    assert_allclose(res.cost, M[r, c].sum() / n, rtol=1e-12)


def test_identical_clouds_cost_zero():
    rng = np.random.default_rng(34)
    X = rng.random((50, 2))
    a = rng.random(50)
    a /= a.sum()
    M = cdist(X, X)
    res = emd(a, a, M)
    _check(res, a, a, M)
    assert res.cost == pytest.approx(0.0, abs=1e-15)


def test_all_mass_on_one_atom():
    rng = np.random.default_rng(35)
    M = rng.random((6, 8))
    a = np.zeros(6)
    a[2] = 1.0
    b = rng.random(8)
    b /= b.sum()
    res = emd(a, b, M)
    _check(res, a, b, M)
    assert_allclose(res.cost, M[2] @ b, rtol=1e-13)


def test_zero_mass_rows_and_columns_are_dropped_and_duals_restored():
    rng = np.random.default_rng(36)
    a, b, M = _cloud_problem(rng, 30, 25)
    a[[0, 7, 29]] = 0.0
    b[[3, 4]] = 0.0
    a /= a.sum()
    b /= b.sum()
    res = emd(a, b, M)
    _check(res, a, b, M)  # dual feasibility over *all* pairs, dropped ones included
    assert_allclose(res.cost, _pot(a, b, M), rtol=1e-10)
    P = res.dense_plan()
    assert (P[[0, 7, 29]] == 0).all() and (P[:, [3, 4]] == 0).all()


def test_unnormalised_masses_and_tiny_mismatch():
    rng = np.random.default_rng(37)
    a, b, M = _cloud_problem(rng, 20, 30)
    res = emd(5 * a, 5 * b * (1 + 1e-9), M)
    assert res.status == "optimal"
    assert_allclose(res.cost, 5 * _pot(a, b, M), rtol=1e-8)


def test_negative_costs_and_float32_input():
    rng = np.random.default_rng(38)
    a, b, M = _cloud_problem(rng, 25, 25)
    res = emd(a, b, M - 3.0)
    assert_allclose(res.cost, _pot(a, b, M) - 3.0, rtol=1e-10)
    res32 = emd(a.astype(np.float32), b.astype(np.float32), M.astype(np.float32))
    assert res32.status == "optimal"


def test_none_means_uniform():
    rng = np.random.default_rng(39)
    _, _, M = _cloud_problem(rng, 10, 12)
    assert_allclose(emd2(None, None, M), _pot(np.full(10, 0.1), np.full(12, 1 / 12), M), rtol=1e-10)


def test_certificate_rejects_a_wrong_answer():
    rng = np.random.default_rng(40)
    a, b, M = _cloud_problem(rng, 15, 15)
    res = emd(a, b, M)

    class Fake:
        plan = res.plan
        u = res.u + 0.1  # violates u_i + v_j <= M_ij
        v = res.v
        cost = res.cost

    cert = certify(Fake, a, b, M)
    assert not cert.ok and cert.dual_violation > 1e-3

    class WrongCost(Fake):
        u = res.u
        cost = res.cost * 1.01

    assert not certify(WrongCost, a, b, M).ok

    class BadPlan(Fake):
        u = res.u
        plan = res.dense_plan() * 0.5  # marginals wrong

    assert not certify(BadPlan, a, b, M).ok


def test_pivot_cap_reports_status_warns_and_emd2_raises():
    rng = np.random.default_rng(41)
    a, b, M = _cloud_problem(rng, 80, 80)
    with pytest.warns(UncertifiedWarning) as caught:
        res = emd(a, b, M, max_pivots=3)
    assert caught[0].filename == __file__  # points at the caller's line
    assert res.status == "max_pivots_reached"
    assert np.isnan(res.cost)
    assert not res.success
    with warnings.catch_warnings():  # emd2 raises, with no warning first
        warnings.simplefilter("error")
        with pytest.raises(OptimalityError, match="max_pivots_reached"):
            emd2(a, b, M, max_pivots=3)


@pytest.mark.parametrize(
    "args, kwargs, exc, match",
    [
        (([0.5, 0.5], [1.0], [[1.0], [2.0]]), {}, None, None),
        (([0.5, 0.6], [1.0], [[1.0], [2.0]]), {}, ValueError, "same total mass"),
        (([0.5, -0.5], [0.0], [[1.0], [2.0]]), {}, ValueError, "`a` must be non-negative"),
        (([0.5, 0.5], [np.nan], [[1.0], [2.0]]), {}, ValueError, "`b` must not contain NaN"),
        (([0.5, 0.5], [1.0], [[1.0, 2.0]]), {}, ValueError, r"`M` must have shape \(len\(a\), len\(b\)\)"),
        (([0.5, 0.5], [1.0], [1.0, 2.0]), {}, ValueError, "`M` must be a 2-D"),
        (([0.5, 0.5], [1.0], [[np.inf], [2.0]]), {}, ValueError, "`M` must be finite"),
        (([0.5, 0.5], [1.0], [[np.nan], [2.0]]), {}, ValueError, "`M` must not contain NaN"),
        (([0.0, 0.0], [0.0], [[1.0], [2.0]]), {}, ValueError, "`a` must have positive total mass"),
        (([], [1.0], np.ones((0, 1))), {}, ValueError, "`a` is empty"),
        (([0.5, 0.5], [1.0], [["x"], ["y"]]), {}, TypeError, "`M`"),
        (([0.5, 0.5], [1.0], [[1.0], [2.0]]), {"numItermax": 10}, TypeError, "unknown option"),
        (([1.7e308, 1.7e308], [1.7e308, 1.7e308], np.eye(2)), {}, ValueError, "total mass of `a` overflows"),
        (([1.0, 1.0], [1.7e308, 1.7e308], np.eye(2)), {}, ValueError, "total mass of `b` overflows"),
        (([0.5, 0.5], [1.0], [[1.0], [2.0]]), {"max_iter": 10}, TypeError, "`max_pivots`"),
        (([0.5, 0.5], [1.0], [[1.0], [2.0]]), {"max_pivots": 0}, ValueError, "`max_pivots`"),
        (([0.5, 0.5], [1.0], [[1.0], [2.0]]), {"max_pivots": 1.5}, TypeError, "`max_pivots`"),
        (([0.5, 0.5], [1.0], [[1.0], [2.0]]), {"max_pivots": 10**30}, ValueError, "`max_pivots`"),
        (([0.5, 0.5], [1.0], [[1.0], [2.0]]), {"rtol": "x"}, TypeError, "`rtol`"),
        (([0.5, 0.5], [1.0], [[1.0], [2.0]]), {"rtol": 1.0}, ValueError, "`rtol`"),
    ],
)
def test_bad_input(args, kwargs, exc, match):
    for f in (emd, emd2):
        if exc is None:
            f(*args, **kwargs)
            continue
        with pytest.raises(exc, match=match):
            f(*args, **kwargs)


def test_certify_rejects_bad_input():
    a = b = np.array([0.5, 0.5])
    M = np.array([[0.0, 1.0], [1.0, 0.0]])
    res = emd(a, b, M)

    class ShortU:
        plan, u, v, cost = res.plan, res.u[:1], res.v, res.cost

    class WrongPlan:
        plan, u, v, cost = np.eye(3), res.u, res.v, res.cost

    with pytest.raises(ValueError, match="potentials"):
        certify(ShortU, a, b, M)
    with pytest.raises(ValueError, match="`result.plan` has shape"):
        certify(WrongPlan, a, b, M)
    with pytest.raises(ValueError, match="`M` must not contain NaN"):
        certify(res, a, b, [[np.nan, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="same total mass"):
        certify(res, a, [0.5, 0.6], M)


def test_certify_validates_its_options_and_result():
    a = b = np.array([0.5, 0.5])
    M = np.array([[0.0, 1.0], [1.0, 0.0]])
    res = emd(a, b, M)

    class WrongSparsePlan:
        plan, u, v, cost = scipy.sparse.coo_array(np.eye(3)), res.u, res.v, res.cost

    class TextCost:
        plan, u, v, cost = res.plan, res.u, res.v, "cheap"

    for rtol, exc in [(1.0, ValueError), (0.0, ValueError), (-1e-9, ValueError),
                      (np.nan, ValueError), ("x", TypeError), (None, TypeError),
                      (True, TypeError)]:
        with pytest.raises(exc, match="`rtol`"):
            certify(res, a, b, M, rtol=rtol)
    with pytest.raises(TypeError, match="`result` must have"):
        certify(None, a, b, M)
    with pytest.raises(ValueError, match="`result.plan` has shape"):
        certify(WrongSparsePlan, a, b, M)
    with pytest.raises(TypeError, match="`result.cost`"):
        certify(TextCost, a, b, M)
    # the worst plan is never certified, whatever rtol below 1 allows
    worst = emd(a, b, -M)  # maximises the cost under M

    class Worst:
        plan, u, v, cost = worst.plan, worst.u, worst.v, 1.0

    assert not certify(Worst, a, b, M, rtol=0.999).ok


@settings(max_examples=40)
@given(seed=st.integers(0, 10**6), small=st.integers(-12, 0), big=st.integers(3, 12),
       n_big=st.integers(1, 4))
def test_optimal_means_optimal_on_the_optimums_own_scale(seed, small, big, n_big):
    """Tiny costs beside a few huge ones the optimum never uses: "optimal"
    must mean within rtol of the optimum itself, not of max|M|."""
    rng = np.random.default_rng(seed)
    n, m = 25, 20
    M = rng.random((n, m)) * 10.0**small
    big_at = (rng.integers(0, n, n_big), rng.integers(0, m, n_big))
    M[big_at] = 10.0**big
    a, b = rng.random(n), rng.random(m)
    a, b = a / a.sum(), b / b.sum()
    # reference: POT on the costs in units of the small ones, the huge
    # entries lowered to 100 (still never worth using)
    Mr = M / 10.0**small
    Mr[big_at] = 100.0
    G = ot.emd(a, b, Mr, numItermax=10**8)
    assume = (G[big_at] == 0).all()
    if not assume:
        return
    ref = float((G * Mr).sum()) * 10.0**small
    res = emd(a, b, M)
    assert res.status == "optimal"
    assert res.certificate.scale < 10.0 ** (small + 2)  # the optimum's own scale
    assert_allclose(res.cost, ref, rtol=1e-9)
    assert certify(res, a, b, M).ok
