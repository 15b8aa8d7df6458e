"""Clouds scaled by 1e-300 ... 1e300: every representable answer comes back.

Reference: the same clouds at unit scale, whose answer scales exactly as
s^deg (W_p, deg = 2 for sqeuclidean) or s^(deg p) (the cost W_p^p); the
scaled inputs are rounded, so agreement is to a few ulps of the data.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from transport import cost_matrix, kr_dual, solve, wasserstein

METRICS = ["euclidean", "sqeuclidean", "cityblock", "chebyshev"]
MAX = np.finfo(np.float64).max
TINY = np.finfo(np.float64).tiny


def _clouds(seed):
    rng = np.random.default_rng(seed)
    X = rng.random((7, 2))
    Y = rng.random((5, 2)) + [0.4, 0.1]
    return X, Y, rng.random(7), rng.random(5)


def _expected(value_at_unit, log10_factor, margin=0.0):
    """value * 10^log10_factor; "out" when it is outside float64's range,
    "edge" when it is within 10^margin of its ends (normal numbers only)."""
    if value_at_unit == 0.0:
        return 0.0
    log10 = math.log10(value_at_unit) + log10_factor
    if log10 > math.log10(MAX) or log10 < math.log10(5e-324):
        return "out"
    if log10 > math.log10(MAX) - margin or log10 < math.log10(TINY) + margin:
        return "edge"
    return 10.0**log10


def _check(call, want):
    """The answer when representable, a ValueError saying so when not, and
    either near the ends of the range (there, subnormal answers lose digits
    and potentials, larger than the cost, may not fit)."""
    if want == "out":
        with pytest.raises(ValueError, match="not representable|underflow"):
            call()
        return None
    if want == "edge":
        try:
            call()
        except ValueError as exc:
            assert "not representable" in str(exc) or "underflow" in str(exc)
        return None
    return call()


@settings(max_examples=60)
@given(seed=st.integers(0, 20), k=st.integers(-300, 300),
       metric=st.sampled_from(METRICS), p=st.sampled_from([1.0, 1.5, 2.0, 3.0]),
       method=st.sampled_from(["network_simplex", "sparse"]))
def test_wasserstein_and_solve_at_any_scale(seed, k, metric, p, method):
    X, Y, a, b = _clouds(seed)
    s = 10.0**k
    deg = 2 if metric == "sqeuclidean" else 1
    w1 = wasserstein(X, Y, a, b, p=p, metric=metric, method=method)
    want = _expected(w1, deg * k, margin=1.0)
    got = _check(lambda: wasserstein(X * s, Y * s, a, b, p=p, metric=metric,
                                     method=method), want)
    if got is not None:
        assert_allclose(got, want, rtol=1e-11)
    c1 = solve(X, Y, a, b, p=p, metric=metric, method=method).cost
    # potentials span the costs of all pairs, up to ~(4 d)^(p deg) times the
    # optimal cost: within that of the range's ends they may not fit
    want = _expected(c1, deg * p * k, margin=deg * p * 2.0)
    res = _check(lambda: solve(X * s, Y * s, a, b, p=p, metric=metric,
                               method=method), want)
    if res is not None:
        assert res.status == "optimal"
        assert_allclose(res.cost, want, rtol=1e-10)


@settings(max_examples=30)
@given(seed=st.integers(0, 20), k=st.integers(-300, 300),
       metric=st.sampled_from(["euclidean", "cityblock", "chebyshev"]))
def test_kr_dual_at_any_scale(seed, k, metric):
    X, Y, a, b = _clouds(seed)
    s = 10.0**k
    ref = kr_dual(X, Y, a, b, metric=metric)
    res = kr_dual(X * s, Y * s, a, b, metric=metric)
    assert res.status == "optimal"
    assert_allclose(res.value, ref.value * s, rtol=1e-10)
    # the critic separates P from Q by W_1 at that scale too
    gap = (res.critic(X * s) @ (a / a.sum())) - (res.critic(Y * s) @ (b / b.sum()))
    assert_allclose(gap, ref.value * s, rtol=1e-9)


@pytest.mark.parametrize("s", [1e-310, 1e-200, 1e-154, 1e154, 1e200, 1e300])
def test_three_s_comes_back(s):
    # W_1 = 3s exactly (up to the rounding of the inputs) at every scale
    X = np.array([[0.0, 0.0], [0.0, 1.0]])
    Y = X + [3.0, 0.0]
    for method in ("network_simplex", "sparse"):
        assert_allclose(wasserstein(X * s, Y * s, method=method), 3 * s, rtol=1e-13)
        assert_allclose(solve(X * s, Y * s, method=method).cost, 3 * s, rtol=1e-13)
    assert_allclose(kr_dual(X * s, Y * s).value, 3 * s, rtol=1e-13)


def test_large_p_keeps_costs_in_range():
    X = np.array([[0.0, 0.0], [0.0, 1.0]])
    Y = X + [10.0, 0.0]
    # W_1000 = 10 (both atoms move by 10): 10^1000 overflows unless rescaled
    assert_allclose(wasserstein(X, Y, p=1000), 10.0, rtol=1e-12)
    with pytest.raises(ValueError, match="not representable"):
        solve(X, Y, p=1000)  # W^p = 10^1000 itself does not fit


def test_costs_underflowing_on_the_plan_are_refused():
    # the plan moves mass by 1e-6 of the diameter: d^200 underflows
    X = np.array([[0.0, 0.0], [1.0, 0.0]])
    Y = np.array([[1e-6, 0.0], [1.0 + 1e-6, 0.0]])
    with pytest.raises(ValueError, match="underflow"):
        wasserstein(X, Y, p=200)


def test_cost_matrix_at_any_scale():
    X, Y, _, _ = _clouds(3)
    for metric in METRICS:
        M1 = cost_matrix(X, Y, metric=metric)
        deg = 2 if metric == "sqeuclidean" else 1
        for k in (-300, -150, 150, 300):
            if abs(deg * k) > 307:
                with pytest.raises(ValueError, match="not representable"):
                    cost_matrix(X * 10.0**k, Y * 10.0**k, metric=metric)
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                M = cost_matrix(X * 10.0**k, Y * 10.0**k, metric=metric)
            assert_allclose(M, M1 * 10.0 ** (deg * k), rtol=1e-13)
