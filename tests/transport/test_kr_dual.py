"""`kr_dual`: the Kantorovich-Rubinstein dual checked against the primal.

The primal reference is our own network simplex (`emd` on `cost_matrix`),
an independent solver: the dual value must equal the primal cost, the critic
must be 1-Lipschitz, and the plan must only move mass along pairs where the
critic is tight (complementary slackness).  Critics are not unique, so values
and certificates are compared, never f itself.
"""

import warnings

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.spatial.distance import cdist

import transport._dual._kr_dual as kr_module
from transport import UncertifiedWarning, cost_matrix, emd, wasserstein_1d
from transport._dual._kr_dual import KRDualResult, _solve_lp, kr_dual

from tests.strategies import weighted_clouds

METRICS = ["euclidean", "cityblock", "chebyshev"]


# ------------------------------------------------------------------ helpers
def _primal(X, Y, a, b, metric):
    """Primal optimum by our network simplex: (cost, plan rows, cols, masses)."""
    an, bn = a / a.sum(), b / b.sum()
    res = emd(an, bn, cost_matrix(X, Y, metric=metric))
    assert res.status == "optimal"
    plan = res.plan.tocoo()
    return res.cost, plan.row, plan.col, plan.data


def _scale(*arrays):
    """Largest coordinate spread, at least 1: distances are at most d times it."""
    Z = np.concatenate([np.asarray(x, dtype=float).reshape(len(x), -1) for x in arrays])
    return max(1.0, float(np.ptp(Z, axis=0).max()) * Z.shape[1])


def _dist(A, B, metric):
    A = np.asarray(A, dtype=float).reshape(len(A), -1)
    B = np.asarray(B, dtype=float).reshape(len(B), -1)
    return cdist(A, B, metric=metric)


def _max_lipschitz_excess(values, points, metric):
    """max_{i,j} g_i - g_j - d(z_i, z_j) (<= 0 for a 1-Lipschitz g)."""
    return float((values[:, None] - values[None, :] - _dist(points, points, metric)).max())


def _check_certificates(res, X, Y, a, b, metric):
    s = _scale(X, Y)
    assert res.status == "optimal"
    assert isinstance(res, KRDualResult)
    N, d = res.support.shape
    assert d == X.reshape(len(X), -1).shape[1]
    assert res.f.shape == res.p.shape == res.q.shape == (N,)
    # value = primal optimum of the network simplex
    cost, rows, cols, mass = _primal(X, Y, a, b, metric)
    assert abs(res.value - cost) <= 1e-9 * s
    # value = sum f (p - q)
    assert abs(res.value - np.dot(res.f, res.p - res.q)) <= 1e-12 * s
    # f is 1-Lipschitz on the support (exactly, up to rounding, after repair)
    assert _max_lipschitz_excess(res.f, res.support, metric) <= 1e-12 * s
    # normalisation: mean of f under (P + Q) / 2 is zero
    assert abs(np.dot(res.f, res.p + res.q) / 2) <= 1e-12 * s
    # the critic equals f on the support ...
    assert_allclose(res.critic(res.support), res.f, rtol=0, atol=1e-12 * s)
    # ... and E_P critic - E_Q critic = W_1 on the original atoms
    fX, fY = res.critic(X), res.critic(Y)
    assert abs(np.dot(fX, a / a.sum()) - np.dot(fY, b / b.sum()) - res.value) <= 1e-9 * s
    # complementary slackness: mass moves only where the critic is tight
    slack = _dist(X, Y, metric)[rows, cols] - (fX[rows] - fY[cols])
    moved = mass > 0
    assert (slack[moved] >= -1e-12 * s).all()
    assert (slack[moved] <= 1e-9 * s).all()


# ------------------------------------------------------------ property tests
@settings(max_examples=40)
@given(weighted_clouds(), st.sampled_from(METRICS))
def test_dual_equals_primal_with_certificates(c, metric):
    X, Y, a, b = c
    _check_certificates(kr_dual(X, Y, a, b, metric=metric), X, Y, a, b, metric)


@settings(max_examples=25)
@given(weighted_clouds(d=2), st.sampled_from(METRICS), st.integers(0, 2**32 - 1))
def test_critic_is_lipschitz_everywhere(c, metric, seed):
    X, Y, a, b = c
    res = kr_dual(X, Y, a, b, metric=metric)
    rng = np.random.default_rng(seed)
    lo, hi = res.support.min(axis=0) - 1, res.support.max(axis=0) + 1
    Z = np.concatenate([rng.uniform(lo, hi, size=(40, 2)), res.support])
    g = res.critic(Z)
    assert _max_lipschitz_excess(g, Z, metric) <= 1e-12 * _scale(Z)


@settings(max_examples=30)
@given(weighted_clouds(d=1), st.sampled_from(METRICS))
def test_on_the_line_closed_form_lp_and_primal_agree(c, metric):
    X, Y, a, b = c
    s = _scale(X, Y)
    res = kr_dual(X, Y, a, b, metric=metric)
    assert res.method == "1d" and res.n_iter == 0 and res.n_constraints == 0
    w1 = wasserstein_1d(X[:, 0], Y[:, 0], a, b)
    assert abs(res.value - w1) <= 1e-12 * s
    f_lp, status, _, _ = _solve_lp(res.support, res.p, res.q, metric)
    assert status == "optimal"
    assert abs(np.dot(f_lp, res.p - res.q) - w1) <= 1e-9 * s
    assert _max_lipschitz_excess(f_lp, res.support, metric) <= 1e-12 * s
    _check_certificates(res, X, Y, a, b, metric)


@settings(max_examples=25)
@given(weighted_clouds(d=2, max_n=12))
def test_invariances(c):
    X, Y, a, b = c
    s = _scale(X, Y)
    w = kr_dual(X, Y, a, b).value
    # symmetry: W_1(Q, P) = W_1(P, Q)
    assert abs(kr_dual(Y, X, b, a).value - w) <= 1e-9 * s
    # a duplicated atom is the same as its summed weight
    Xd = np.concatenate([X, X[:1]])
    ad = np.concatenate([a, [a[0] / 2]])
    ad[0] = a[0] / 2
    assert abs(kr_dual(Xd, Y, ad, b).value - w) <= 1e-9 * s
    # a zero-weight atom changes nothing, and the critic is defined there
    Xz = np.concatenate([X, [[100.0, -100.0]]])
    res = kr_dual(Xz, Y, np.append(a, 0.0), b)
    assert abs(res.value - w) <= 1e-9 * s
    assert _max_lipschitz_excess(res.f, res.support, "euclidean") <= 1e-12 * _scale(Xz, Y)
    # translation
    assert abs(kr_dual(X + 3.5, Y + 3.5, a, b).value - w) <= 1e-9 * (s + 3.5)


# -------------------------------------------------------- deterministic cases
@pytest.mark.parametrize("method", ["transshipment", "constraint_generation"])
@pytest.mark.parametrize("metric", METRICS)
def test_larger_case_agrees_with_primal(metric, method):
    rng = np.random.default_rng(40)
    X, Y = rng.random((300, 2)), rng.normal(0.3, 0.5, (300, 2))
    a, b = rng.random(300), rng.random(300)
    res = kr_dual(X, Y, a, b, metric=metric, method=method)
    assert res.method == method
    assert res.n_iter >= 1 and 0 < res.n_constraints < 600 * 599
    _check_certificates(res, X, Y, a, b, metric)


def test_agrees_with_pot():
    rng = np.random.default_rng(41)
    X, Y = rng.random((80, 3)), rng.random((60, 3)) + 0.2
    a, b = rng.random(80), rng.random(60)
    ref = ot.emd2(a / a.sum(), b / b.sum(), cdist(X, Y), numItermax=10**8)
    assert_allclose(kr_dual(X, Y, a, b).value, ref, rtol=1e-10)


def test_example_shapes_and_critic_input():
    res = kr_dual([0.0, 1.0, 3.0], [2.0])
    assert res.support.shape == (4, 1)
    assert res.critic([0.5, 2.5]).shape == (2,)
    assert res.critic([[0.5], [2.5]]).shape == (2,)
    res2 = kr_dual([[0.0, 0.0]], [[3.0, 4.0]])
    assert res2.support.shape == (2, 2)
    assert_allclose(res2.value, 5.0, rtol=1e-15)
    assert_allclose(res2.f, [2.5, -2.5], rtol=1e-15)  # normalised: mean 0


def test_degenerate_cases():
    X = np.random.default_rng(42).random((10, 3))
    res = kr_dual(X, X)  # P == Q
    assert res.value == 0.0 and res.status == "optimal"
    assert_allclose(res.f, 0.0, atol=0)
    res = kr_dual(X[:1], X[:1])  # a single common atom
    assert res.value == 0.0 and res.support.shape == (1, 3)
    w = np.zeros(10)
    w[4] = 1.0  # all mass on one atom
    res = kr_dual(X, X[:1], w)
    assert_allclose(res.value, np.linalg.norm(X[4] - X[0]), rtol=1e-13)
    # one atom against many: mean distance to it
    assert_allclose(kr_dual(X[:1], X).value, cdist(X[:1], X).mean(), rtol=1e-12)
    # identical weights up to normalisation rounding
    w = np.array([0.1, 0.2, 0.7])
    res = kr_dual(X[:3], X[:3], w, 10 * w)
    assert abs(res.value) <= 1e-15


def test_parallel_kernels_match_serial(monkeypatch):
    rng = np.random.default_rng(43)
    X, Y = rng.random((120, 2)), rng.random((100, 2))
    serial = kr_dual(X, Y)
    monkeypatch.setattr(kr_module, "KR_PARALLEL_MIN", 1)
    parallel = kr_dual(X, Y)
    assert_allclose(parallel.value, serial.value, rtol=1e-12)
    Z = rng.random((50, 2))
    assert_allclose(parallel.critic(Z), serial.critic(Z), rtol=1e-12, atol=1e-14)


def test_interior_point_start_agrees(monkeypatch):
    # the first LP solve of large problems runs interior point + crossover
    rng = np.random.default_rng(45)
    X, Y = rng.random((150, 2)), rng.random((130, 2))
    a, b = rng.random(150), rng.random(130)
    monkeypatch.setattr(kr_module, "IPM_MIN", 1)
    res = kr_dual(X, Y, a, b, method="constraint_generation")
    _check_certificates(res, X, Y, a, b, "euclidean")


@pytest.mark.parametrize("method", ["transshipment", "constraint_generation"])
def test_round_cap_reports_instead_of_guessing(method):
    rng = np.random.default_rng(44)
    X, Y = rng.random((200, 2)), rng.random((200, 2))
    with pytest.warns(UncertifiedWarning, match="max_rounds_reached") as caught:
        res = kr_dual(X, Y, max_rounds=1, method=method)
    assert caught[0].filename == __file__  # points at the caller's line
    assert res.status == "max_rounds_reached" and not res.success
    assert np.isnan(res.value)
    # the critic is still 1-Lipschitz (the repair ran)
    assert _max_lipschitz_excess(res.f, res.support, "euclidean") <= 1e-12


def test_lp_failure_is_reported(monkeypatch):
    original_init = kr_module._PairLP.__init__

    def init_with_iteration_limit(self, *args):
        original_init(self, *args)
        self.h.setOptionValue("simplex_iteration_limit", 1)

    monkeypatch.setattr(kr_module._PairLP, "__init__", init_with_iteration_limit)
    rng = np.random.default_rng(46)
    with pytest.warns(UncertifiedWarning, match="lp_error"):
        res = kr_dual(rng.random((30, 2)), rng.random((20, 2)),
                      method="constraint_generation")
    assert res.status.startswith("lp_error: ") and "limit" in res.status.lower()
    assert np.isnan(res.value) and not res.success
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(res.critic([[0.5, 0.5]])).all()


# -------------------------------------------------------------------- errors
@pytest.mark.parametrize("values", [[0.0, 1.0], [[0.0, 0.0], [1.0, 2.0]]])
def test_sqeuclidean_is_refused(values):
    with pytest.raises(ValueError, match="not a metric"):
        kr_dual(values, values, metric="sqeuclidean")


@pytest.mark.parametrize(
    "args, kwargs, exc, match",
    [
        (([[0.0, np.nan]], [[1.0, 1.0]]), {}, ValueError, "`u_values` must not contain NaN"),
        (([[0.0, 0.0]], [[1.0, np.inf]]), {}, ValueError, "`v_values` must be finite"),
        (([[0.0, 0.0]], [[1.0, 1.0, 1.0]]), {}, ValueError, "same space"),
        (([[0.0, 0.0]], [[1.0, 1.0]]), {"metric": "cosine"}, ValueError, "`metric` must be one of"),
        (([[0.0, 0.0]], [[1.0, 1.0]]), {"metric": 3}, TypeError, "`metric`"),
        (([[0.0, 0.0]], [[1.0, 1.0]]), {"max_rounds": 0}, ValueError, "`max_rounds`"),
        (([[0.0, 0.0]], [[1.0, 1.0]]), {"method": "highs"}, ValueError, "`method` must be one of"),
        (([[0.0, 0.0]], [[1.0, 1.0]]), {"method": None}, TypeError, "`method`"),
        (([[0.0, 0.0]], [[1.0, 1.0]]), {"progress": "yes"}, TypeError, "`progress`"),
        (([[0.0, 0.0]], [[1.0, 1.0]]), {"max_rounds": 2.5}, TypeError, "`max_rounds`"),
        (([[0.0, 0.0]], [[1.0, 1.0]]), {"max_rounds": 2**64}, ValueError, "`max_rounds`"),
        (([[0.0, 0.0]], [[1.0, 1.0]], [-1.0]), {}, ValueError, "`u_weights` must be non-negative"),
        (([[0.0, 0.0]], [[1.0, 1.0]], None, [0.0]), {}, ValueError, "`v_weights` must have a positive sum"),
        (([[0.0, 0.0]], [[1.0, 1.0]], [1.0, 2.0]), {}, ValueError, "`u_weights` has 2 entries"),
        ((np.zeros((0, 2)), [[1.0, 1.0]]), {}, ValueError, "`u_values` must hold at least one point"),
        ((["a"], [1.0]), {}, TypeError, "`u_values`"),
    ],
)
def test_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        kr_dual(*args, **kwargs)


@pytest.mark.parametrize(
    "points, match",
    [
        ([[0.0, 0.0, 0.0]], r"shape \(k, 2\)"),
        ([0.0, 1.0], r"shape \(k, 2\)"),
        ([[0.0, np.nan]], "`points` must be finite"),
        ([["x", "y"]], "`points`"),
    ],
)
def test_bad_critic_points(points, match):
    res = kr_dual([[0.0, 0.0]], [[1.0, 1.0]])
    with pytest.raises((ValueError, TypeError), match=match):
        res.critic(points)


def test_result_is_frozen():
    res = kr_dual([0.0], [1.0])
    with pytest.raises(AttributeError):
        res.value = 2.0
