"""`wasserstein` between point clouds: closed form, LP and their properties."""

import numpy as np
import ot
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.spatial.distance import cdist
from scipy.stats import wasserstein_distance

from tests.strategies import weighted_clouds
from transport import certify, cost_matrix, emd, wasserstein, wasserstein_1d


def _scale(*arrays):
    return 1.0 + max(np.abs(x).max() for x in arrays)


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "cityblock", "chebyshev"])
@pytest.mark.parametrize("p", [1, 2, 1.5])
def test_matches_pot(metric, p):
    rng = np.random.default_rng(50)
    X, Y = rng.random((70, 2)), rng.random((55, 2))
    a, b = rng.random(70), rng.random(55)
    an, bn = a / a.sum(), b / b.sum()
    ref = ot.emd2(an, bn, cdist(X, Y, metric) ** p, numItermax=10**8) ** (1 / p)
    assert_allclose(wasserstein(X, Y, a, b, p=p, metric=metric), ref, rtol=1e-10)


@pytest.mark.parametrize("p", [1, 2, 3])
def test_lp_on_the_line_equals_closed_form(p):
    rng = np.random.default_rng(51)
    x, y = rng.normal(size=80), rng.normal(1, 2, size=64)
    a, b = rng.random(80), rng.random(64)
    lp = wasserstein(x, y, a, b, p=p, method="network_simplex")
    assert_allclose(lp, wasserstein_1d(x, y, a, b, p=p), rtol=1e-10)
    # "auto" takes the closed form; the weights it passes on are already
    # normalised once, so the two calls differ by rounding only.
    assert_allclose(wasserstein(x, y, a, b, p=p), wasserstein_1d(x, y, a, b, p=p), rtol=1e-14)
    if p == 1:
        assert_allclose(lp, wasserstein_distance(x, y, a, b), rtol=1e-10)


def test_sqeuclidean_on_the_line_uses_the_closed_form_correctly():
    rng = np.random.default_rng(52)
    x, y = rng.random(40), rng.random(30)
    for p in (1, 2):
        closed = wasserstein(x, y, p=p, metric="sqeuclidean")
        lp = wasserstein(x, y, p=p, metric="sqeuclidean", method="network_simplex")
        assert_allclose(closed, lp, rtol=1e-10)


@given(weighted_clouds(max_n=12))
def test_metric_axioms_of_w1(c):
    X, Y, a, b = c
    s = _scale(X, Y)
    d = wasserstein(X, Y, a, b)
    assert d >= 0
    assert abs(d - wasserstein(Y, X, b, a)) <= 1e-10 * s
    assert wasserstein(X, X, a, a) <= 1e-10 * s


@st.composite
def three_clouds(draw, max_n=8):
    d = draw(st.integers(1, 3))
    X, Y, a, b = draw(weighted_clouds(d=d, max_n=max_n))
    Z, _, c, _ = draw(weighted_clouds(d=d, max_n=max_n))
    return X, Y, Z, a, b, c


@given(three_clouds())
def test_triangle_inequality(t):
    X, Y, Z, a, b, c = t
    s = _scale(X, Y, Z)
    assert wasserstein(X, Z, a, c) <= wasserstein(X, Y, a, b) + wasserstein(Y, Z, b, c) + 1e-9 * s


@given(weighted_clouds(d=1, max_n=12), st.floats(-20, 20))
def test_shift_in_1d_gives_abs_shift(c, shift):
    X, _, a, _ = c
    for method in ("1d", "network_simplex"):
        got = wasserstein(X, X + shift, a, a, method=method)
        assert abs(got - abs(shift)) <= 1e-9 * (_scale(X) + abs(shift))


@given(weighted_clouds(max_n=12))
def test_duplicated_atoms_equal_summed_weights(c):
    X, Y, a, b = c
    Xd = np.concatenate([X, X[:1]])
    ad = np.concatenate([a, [a[0] / 2]])
    ad[0] = a[0] / 2
    assert abs(wasserstein(Xd, Y, ad, b) - wasserstein(X, Y, a, b)) <= 1e-9 * _scale(X, Y)


@given(weighted_clouds(max_n=12), st.floats(-10, 10))
def test_zero_weight_atoms_change_nothing(c, where):
    X, Y, a, b = c
    Xz = np.concatenate([X, np.full((1, X.shape[1]), where)])
    az = np.concatenate([a, [0.0]])
    assert abs(wasserstein(Xz, Y, az, b, p=2) - wasserstein(X, Y, a, b, p=2)) <= 1e-9 * _scale(X, Y)


@given(weighted_clouds(d=2, max_n=12), st.floats(0, 2 * np.pi), st.floats(-5, 5), st.floats(-5, 5))
def test_rotation_and_translation_invariance(c, angle, tx, ty):
    X, Y, a, b = c
    R = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    t = np.array([tx, ty])
    moved = wasserstein(X @ R.T + t, Y @ R.T + t, a, b)
    assert abs(moved - wasserstein(X, Y, a, b)) <= 1e-9 * _scale(X, Y, t)


@given(weighted_clouds(max_n=12), st.sampled_from([1.5, 2.0, 3.0]))
def test_w1_below_wp_and_above_mean_difference(c, p):
    X, Y, a, b = c
    s = _scale(X, Y)
    w1 = wasserstein(X, Y, a, b)
    assert w1 <= wasserstein(X, Y, a, b, p=p) + 1e-9 * s
    mean_diff = np.average(X, axis=0, weights=a) - np.average(Y, axis=0, weights=b)
    assert np.linalg.norm(mean_diff) <= w1 + 1e-9 * s


@given(weighted_clouds(max_n=12))
def test_certificate_holds_for_every_result(c):
    X, Y, a, b = c
    an, bn = a / a.sum(), b / b.sum()
    M = cost_matrix(X, Y)
    res = emd(an, bn, M)
    assert res.status == "optimal"
    assert certify(res, an, bn, M).ok
    assert_allclose(res.cost, wasserstein(X, Y, a, b), rtol=1e-9, atol=1e-12 * _scale(X, Y))


def test_degenerate_cases():
    assert wasserstein([[1.0, 2.0]], [[4.0, 6.0]]) == 5.0  # n = m = 1
    X = np.random.default_rng(53).random((10, 3))
    assert wasserstein(X, X) == pytest.approx(0.0, abs=1e-15)  # identical clouds
    # all mass on one atom: the distance is the weighted mean distance to it
    w = np.zeros(10)
    w[4] = 1.0
    assert_allclose(wasserstein(X, X[:1], w), np.linalg.norm(X[4] - X[0]), rtol=1e-13)
    assert_allclose(wasserstein(X[:1], X), cdist(X[:1], X).mean(), rtol=1e-13)  # 1 x m
    assert_allclose(wasserstein(X, X[:1]), cdist(X, X[:1]).mean(), rtol=1e-13)  # n x 1


@pytest.mark.parametrize(
    "args, kwargs, exc, match",
    [
        (([[0.0, np.nan]], [[1.0, 1.0]]), {}, ValueError, "`u_values` must not contain NaN"),
        (([[0.0, 0.0]], [[1.0, 1.0, 1.0]]), {}, ValueError, "same space"),
        (([[0.0, 0.0]], [[1.0, 1.0]]), {"p": 0.9}, ValueError, "`p`"),
        (([[0.0, 0.0]], [[1.0, 1.0]]), {"metric": "cosine"}, ValueError, "`metric` must be one of"),
        (([[0.0, 0.0]], [[1.0, 1.0]]), {"metric": 3}, TypeError, "`metric`"),
        (([[0.0, 0.0]], [[1.0, 1.0]]), {"method": "sinkhorn"}, ValueError, "`method`"),
        (([[0.0, 0.0]], [[1.0, 1.0]]), {"method": "1d"}, ValueError, "points on the line"),
        (([[0.0, 0.0]], [[1.0, 1.0]], [-1.0]), {}, ValueError, "`u_weights` must be non-negative"),
        (([[0.0, 0.0]], [[1.0, 1.0]], None, [0.0]), {}, ValueError, "`v_weights` must have a positive sum"),
        ((np.zeros((0, 2)), [[1.0, 1.0]]), {}, ValueError, "`u_values` must hold at least one point"),
        (([[0.0, np.inf]], [[1.0, 1.0]]), {}, ValueError, "`u_values` must be finite"),
        (([[0.0, 0.0]], [[1.0, 1.0]], [1.0, 2.0]), {}, ValueError, "`u_weights`"),
    ],
)
def test_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        wasserstein(*args, **kwargs)
    if len(args) == 2 and set(kwargs) <= {"p", "metric"}:  # same validation
        with pytest.raises(exc, match=match):
            cost_matrix(*args, **kwargs)


def test_auto_method_choice():
    from transport._clouds._solve import SPARSE_MIN_PAIRS, choose_method

    assert choose_method(100, 100, 2) == "network_simplex"
    assert choose_method(SPARSE_MIN_PAIRS, 1, 3) == "sparse"
    assert choose_method(SPARSE_MIN_PAIRS, 1, 4) == "network_simplex"


@pytest.mark.parametrize("p", [1, 2])
def test_sparse_method_equals_dense(p):
    rng = np.random.default_rng(77)
    X, Y = rng.random((300, 2)), rng.normal(0.5, 0.3, (250, 2))
    a, b = rng.random(300), rng.random(250)
    sparse = wasserstein(X, Y, a, b, p=p, method="sparse")
    dense = wasserstein(X, Y, a, b, p=p, method="network_simplex")
    assert_allclose(sparse, dense, rtol=1e-12)
