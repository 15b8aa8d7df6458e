"""`wasserstein_circle`: exact W_p on the circle R / (period Z)."""

import numpy as np
import ot
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose

from transport import emd2, wasserstein_1d, wasserstein_circle
from transport._line._circle import _sorted_atoms
from transport._line._circle_kernels import UNIT, optimal_shift, shift_cost, shift_slopes

PERIODS = [1.0, 2 * np.pi, 360.0]


def dense_circle(u, v, a, b, p, period):
    """W_p by the dense LP on the matrix of arc lengths (an independent route)."""
    d = np.abs(np.subtract.outer(np.asarray(u, float), np.asarray(v, float))) % period
    d = np.minimum(d, period - d)
    a = np.ones(len(u)) if a is None else np.asarray(a, float)
    b = np.ones(len(v)) if b is None else np.asarray(b, float)
    return emd2(a / a.sum(), b / b.sum(), d**p) ** (1.0 / p)


def assert_same_power(ours, ref, p, period):
    # Compare W_p^p: exact paths differ only by rounding (float64 sums and
    # the 2^-60 rounding of cumulative masses), an error of a few 1e-16 of
    # the largest possible cost (period / 2)^p.  W_p itself would amplify
    # the rounding of a zero W_p^p by the p-th root.
    assert_allclose(ours**p, ref**p, rtol=1e-12, atol=1e-13 * (period / 2) ** p)


@st.composite
def circle_samples(draw, max_n=12):
    """Atoms on a circle: ties, atoms exactly at 0 and at `period`, values
    outside [0, period), zero weights."""
    period = draw(st.sampled_from(PERIODS))
    grid = st.integers(-8, 16).map(lambda k: k * period / 8)  # 0, period, ties
    free = st.floats(-2 * period, 3 * period, allow_subnormal=False)
    coords = st.one_of(grid, free)
    n = draw(st.integers(1, max_n))
    m = draw(st.integers(1, max_n))
    u = draw(hnp.arrays(np.float64, n, elements=coords))
    v = draw(hnp.arrays(np.float64, m, elements=coords))
    w_el = st.one_of(st.just(0.0), st.floats(0.01, 5.0))
    a = draw(hnp.arrays(np.float64, n, elements=w_el))
    b = draw(hnp.arrays(np.float64, m, elements=w_el))
    a[draw(st.integers(0, n - 1))] += 1.0
    b[draw(st.integers(0, m - 1))] += 1.0
    if draw(st.booleans()):  # uniform weights
        a = b = None
    return u, v, a, b, period


@pytest.mark.parametrize("p", [1, 1.5, 2, 3])
@given(circle_samples())
def test_matches_dense_lp(p, sample):
    u, v, a, b, period = sample
    ours = wasserstein_circle(u, v, a, b, p=p, period=period)
    assert_same_power(ours, dense_circle(u, v, a, b, p, period), p, period)


@pytest.mark.parametrize("p", [1, 2, 2.5])
@given(circle_samples(), st.floats(-1000, 1000, allow_subnormal=False))
def test_rotation_invariant(p, sample, shift):
    u, v, a, b, period = sample
    ours = wasserstein_circle(u, v, a, b, p=p, period=period)
    turned = wasserstein_circle(np.asarray(u) + shift, np.asarray(v) + shift, a, b,
                                p=p, period=period)
    # rotating moves each atom by a rounding of |shift| + period: relative
    # 1e-16 of it per atom
    tol = 4e-16 * (abs(shift) + period)
    assert_allclose(turned, ours, rtol=1e-12, atol=tol + 1e-13 * period)


@given(circle_samples())
def test_p1_search_agrees_with_closed_form(sample):
    # Two independent algorithms for p = 1: the median cut, and the search
    # over shifts that p > 1 uses, run at p = 1 from shift 0.
    u, v, a, b, period = sample
    xs, A = _sorted_atoms(u, a, "u_values", "u_weights", period)
    ys, B = _sorted_atoms(v, b, "v_values", "v_weights", period)
    theta, _, status = optimal_shift(xs, A, ys, B, period, 1.0, np.int64(0), 400)
    assert status == 0
    total, scale = shift_cost(xs, A, ys, B, period, 1.0, theta)
    searched = scale * total / UNIT  # relative to the largest distance used
    assert_allclose(searched, wasserstein_circle(u, v, a, b, period=period),
                    rtol=1e-12, atol=1e-15 * period)


@pytest.mark.parametrize("p", [1.5, 2, 4])
def test_certificate_at_the_returned_shift(p):
    # The search stops at a kink with left slope <= 0 <= right slope, and C
    # there is no larger than at other shifts.
    rng = np.random.default_rng(7)
    u, v = rng.random(300), (0.3 + 0.1 * rng.standard_normal(200)) % 1
    xs, A = _sorted_atoms(u, rng.random(300), "u_values", "u_weights", 1.0)
    ys, B = _sorted_atoms(v, None, "v_values", "v_weights", 1.0)
    theta, evals, status = optimal_shift(xs, A, ys, B, 1.0, float(p), np.int64(0), 400)
    assert status == 0 and evals < 100
    left, right, _, dl, dr = shift_slopes(xs, A, ys, B, 1.0, float(p), theta)
    assert left <= 0.0 <= right and dl > 0 and dr > 0

    def cost(shift):  # C(shift) * UNIT from the scaled sum
        total, scale = shift_cost(xs, A, ys, B, 1.0, float(p), np.int64(shift))
        return total * scale**p

    best = cost(theta)
    for other in rng.integers(-UNIT, UNIT, 50).tolist() + [theta - 1, theta + 1]:
        assert cost(other) >= best * (1 - 1e-14)


@pytest.mark.parametrize("p", [1, 2, 3])
@pytest.mark.parametrize("n, m", [(1, 1), (7, 300), (500, 500), (2000, 1500)])
def test_matches_pot(p, n, m):
    # POT's wasserstein_circle returns W_1 for p = 1 and W_p^p otherwise; its
    # binary search stops at eps = 1e-6 on the shift by default, so we ask it
    # for 1e-14 to compare to 1e-10.
    rng = np.random.default_rng(n + m + p)
    u, v = rng.random(n), (0.7 + 0.2 * rng.standard_normal(m)) % 1
    a, b = rng.random(n), rng.random(m)
    for wu, wv in ((None, None), (a, b)):
        kw = {} if wu is None else dict(u_weights=wu / wu.sum(), v_weights=wv / wv.sum())
        ref = float(np.ravel(ot.wasserstein_circle(u, v, p=p, eps=1e-14, **kw))[0])
        assert_allclose(wasserstein_circle(u, v, wu, wv, p=p) ** p, ref, rtol=1e-10)


def test_closed_forms():
    assert wasserstein_circle([0.0], [0.5]) == 0.5  # antipodes
    assert wasserstein_circle([0.125], [0.875]) == 0.25  # the short way round
    assert wasserstein_circle([0.0], [1.0]) == 0.0  # 0 and the period coincide
    assert wasserstein_circle([0.0], [3.0], period=3.0, p=2) == 0.0
    # Two point masses at distance d: W_p = d for every p.
    assert_allclose(wasserstein_circle([350.0], [10.0], p=3, period=360.0), 20.0, rtol=1e-14)
    # Uniform on n equally spaced points against its rotation by half a step:
    # every atom moves by half a step.
    n = 16
    x = np.arange(n) / n
    for p in (1, 2, 3):
        assert_allclose(wasserstein_circle(x, x + 0.5 / n, p=p), 0.5 / n, rtol=1e-13)


@given(circle_samples())
def test_metric_properties_and_bounds(sample):
    u, v, a, b, period = sample
    w1 = wasserstein_circle(u, v, a, b, period=period)
    w2 = wasserstein_circle(u, v, a, b, p=2, period=period)
    assert_allclose(wasserstein_circle(v, u, b, a, period=period), w1, rtol=1e-12,
                    atol=1e-15 * period)
    assert 0.0 <= w1 <= w2 * (1 + 1e-12) + 1e-15 * period
    assert w2 <= period / 2 * (1 + 1e-12)
    # Cutting the circle open at 0 gives a transport on the line, no cheaper.
    line = wasserstein_1d(np.mod(u, period), np.mod(v, period), a, b)
    assert w1 <= line * (1 + 1e-12) + 1e-15 * period
    assert wasserstein_circle(u, u, a, a, p=2, period=period) == 0.0


def test_scaling_with_the_period():
    rng = np.random.default_rng(3)
    u, v, a = rng.random(40), rng.random(30), rng.random(40)
    for p in (1, 2):
        base = wasserstein_circle(u, v, a, p=p)
        assert_allclose(wasserstein_circle(360 * u, 360 * v, a, p=p, period=360.0),
                        360 * base, rtol=1e-12)


def test_zero_weight_atoms_change_nothing():
    rng = np.random.default_rng(4)
    u, v, a, b = rng.random(20), rng.random(10), rng.random(20), rng.random(10)
    u2, a2 = np.append(u, [0.123, 0.9]), np.append(a, [0.0, 0.0])
    for p in (1, 2):
        assert_allclose(wasserstein_circle(u2, v, a2, b, p=p),
                        wasserstein_circle(u, v, a, b, p=p), rtol=1e-13)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(period=0.0), ValueError, "`period` must be a finite number > 0"),
        (dict(period=-1.0), ValueError, "`period`"),
        (dict(period=np.inf), ValueError, "`period`"),
        (dict(period=np.nan), ValueError, "`period`"),
        (dict(period="1"), TypeError, "`period` must be a positive real"),
        (dict(period=True), TypeError, "`period`"),
        (dict(p=0.5), ValueError, "`p` must be a finite number >= 1"),
        (dict(u_values=[0.1, np.nan]), ValueError, "`u_values` must not contain NaN"),
        (dict(v_values=[np.inf]), ValueError, "`v_values` must be finite"),
        (dict(u_values=[[0.1, 0.2]]), ValueError, "`u_values` must be angles"),
        (dict(u_values=[]), ValueError, "`u_values` must hold at least one point"),
        (dict(u_weights=[1.0, -1.0]), ValueError, "`u_weights` must be non-negative"),
        (dict(v_weights=[0.0]), ValueError, "`v_weights` must have a positive sum"),
        (dict(u_weights=[1.0]), ValueError, "`u_weights` has 1 entries"),
        (dict(u_values=["a", "b"]), TypeError, "`u_values` must hold real numbers"),
    ],
)
def test_bad_input(kwargs, exc, match):
    args = dict(u_values=[0.1, 0.2], v_values=[0.5], u_weights=None, v_weights=None)
    options = {k: kwargs.pop(k) for k in ("p", "period") if k in kwargs}
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        wasserstein_circle(**args, **options)
