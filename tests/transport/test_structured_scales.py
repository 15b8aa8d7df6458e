"""Structured solvers at any scale: lengths scaled by 1e-300 ... 1e300.

The companion of `test_extreme_scales.py` (point clouds) for the circle,
the grid, the tree, `pairwise` and the line's KR dual.  Reference: the same
problem at unit scale, whose W_p scales exactly as s (s^deg for the
masses of a tree); the scaled inputs are rounded, so agreement is to a few
ulps of the data (rtol 1e-10 leaves room for p-th powers and roots of
lengths perturbed by an ulp, which the LP or search turns into an ulp of
W_p again).  A W_p outside the float64 range raises NotRepresentableError;
near its ends (subnormal answers lose digits) either is accepted.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from transport import (kr_dual, pairwise, wasserstein_circle, wasserstein_grid,
                       wasserstein_tree)
from transport._core._scaling import NotRepresentableError

_MAX_LOG10 = math.log10(np.finfo(np.float64).max)
_TINY_LOG10 = math.log10(np.finfo(np.float64).tiny)

#: orders p, up to 10^4
ORDERS = st.sampled_from([1.0, 1.5, 2.0, 3.0, 7.5, 50.0, 600.0, 2000.0, 10_000.0])
SCALES = st.integers(-300, 300)


def _check(call, value_at_unit, log10_factor, rtol=1e-10):
    """call() == value_at_unit * 10^log10_factor when that is a normal
    float64 (10 ulps-worth away from the ends), NotRepresentableError when
    it is outside the range, either in between."""
    if value_at_unit == 0.0:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert call() == 0.0
        return
    log10 = math.log10(value_at_unit) + log10_factor
    if log10 > _MAX_LOG10 + 1e-9 or log10 < _TINY_LOG10 - 17:
        try:
            call()
        except NotRepresentableError as exc:
            assert "not representable" in str(exc)
        else:  # below the normal range an answer may still round to a subnormal
            assert log10 < _TINY_LOG10
        return
    if log10 > _MAX_LOG10 - 1 or log10 < _TINY_LOG10 + 1:
        try:
            call()
        except NotRepresentableError:
            pass
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = call()
    assert_allclose(got, value_at_unit * 10.0**log10_factor if abs(log10_factor) < 300
                    else 10.0 ** (log10 - math.floor(log10)) * 10.0 ** math.floor(log10),
                    rtol=rtol)


def _weights(rng, n):
    w = rng.random(n)
    w[rng.random(n) < 0.2] = 0.0
    w[rng.integers(n)] += 0.5
    return w


@settings(max_examples=40)
@given(seed=st.integers(0, 50), k=SCALES, p=ORDERS)
def test_circle_at_any_scale(seed, k, p):
    rng = np.random.default_rng(seed)
    n, m = rng.integers(1, 9, size=2)
    u, v = rng.random(n), rng.random(m)
    a, b = _weights(rng, n), _weights(rng, m)
    s = 10.0**k
    try:
        ref = wasserstein_circle(u, v, a, b, p=p)
    except ValueError as exc:  # the integer masses cannot resolve this W_p
        assert "cannot be computed to full precision" in str(exc)
        with pytest.raises(ValueError, match="cannot be computed to full precision"):
            wasserstein_circle(u * s, v * s, a, b, p=p, period=s)
        return
    _check(lambda: wasserstein_circle(u * s, v * s, a, b, p=p, period=s), ref, k)
    # weights at any scale change nothing (they are normalised)
    w = 10.0 ** rng.integers(-300, 300)
    assert_allclose(wasserstein_circle(u, v, a * w, b * w, p=p), ref, rtol=1e-13)


@settings(max_examples=30)
@given(seed=st.integers(0, 50), k=st.integers(-300, 307),
       metric=st.sampled_from(["cityblock", "chebyshev"]))
@example(seed=1, k=307, metric="cityblock")  # the diameter near float64's end
@example(seed=2, k=-300, metric="chebyshev")
def test_grid_at_any_scale(seed, k, metric):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(2, 11, size=2))
    u, v = rng.random(shape), rng.random(shape)
    u[rng.random(shape) < 0.3] = 0.0
    v[rng.random(shape) < 0.3] = 0.0
    u[0, 0] += 0.1
    v[-1, -1] += 0.1
    s = 10.0**k
    ref = wasserstein_grid(u, v, metric=metric)
    _check(lambda: wasserstein_grid(u, v, metric=metric, spacing=s), ref, k)
    # masses at any scale (normalised), even where their sum overflows
    for w in (1e-300, 1e308, 10.0 ** rng.integers(-300, 309)):
        assert_allclose(wasserstein_grid(u * w, v * w, metric=metric), ref, rtol=1e-13)


@settings(max_examples=40)
@given(seed=st.integers(0, 50), k=SCALES, j=st.integers(-300, 300))
def test_tree_at_any_scale(seed, k, j):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 12))
    parent = np.array([-1] + [int(rng.integers(0, i)) for i in range(1, n)])
    length = rng.random(n)
    u, v = _weights(rng, n), _weights(rng, n)
    v *= u.sum() / v.sum()
    ref = wasserstein_tree(parent, length, u, v)
    s, w = 10.0**k, 10.0**j
    # W_1 scales with the lengths and with the (kept, unnormalised) masses
    _check(lambda: wasserstein_tree(parent, length * s, u * w, v * w), ref, k + j,
           rtol=1e-12)


@settings(max_examples=30)
@given(seed=st.integers(0, 50), k=SCALES, p=ORDERS, d=st.integers(1, 2))
def test_pairwise_at_any_scale(seed, k, p, d):
    rng = np.random.default_rng(seed)
    bins = int(rng.integers(2, 7))
    X = rng.random((bins, d))
    U = np.array([_weights(rng, bins) for _ in range(3)])
    V = np.array([_weights(rng, bins) for _ in range(2)])
    s = 10.0**k
    ref = pairwise(U, V, support=X, p=p)
    for i in range(U.shape[0]):
        for j in range(V.shape[0]):
            _check(lambda: pairwise(U[i:i + 1], V[j:j + 1], support=X * s, p=p)[0, 0],
                   ref[i, j], k)
    # the cost-matrix route: C = the distances, scaled
    C = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    ref_c = pairwise(U, V, cost=C, p=p)
    assert_allclose(ref_c, ref, rtol=1e-12)
    _check(lambda: pairwise(U[:1], V[:1], cost=C * s, p=p)[0, 0], ref_c[0, 0], k)


@settings(max_examples=40)
@given(seed=st.integers(0, 50), k=st.integers(-310, 308))
@example(seed=3, k=308)  # gaps beyond float64
@example(seed=4, k=-310)  # atoms subnormal
def test_kr_dual_line_at_any_scale(seed, k):
    # atoms in [-1, 1] (times up to 1e308: gaps beyond float64)
    rng = np.random.default_rng(seed)
    n, m = rng.integers(1, 9, size=2)
    x, y = 2 * rng.random(n) - 1, 1.9 * rng.random(m) - 0.9
    a, b = _weights(rng, n), _weights(rng, m)
    s = 10.0**k
    ref = kr_dual(x, y, a, b)

    def value():
        res = kr_dual(x * s, y * s, a, b)
        assert res.status == "optimal" and np.isfinite(res.f).all()
        return res.value

    _check(value, ref.value, k)
