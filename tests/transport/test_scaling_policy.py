"""One scaling policy for every solver: the cases of issue 26.

Each structured solver (pairwise, circle, grid, tree, the line's KR dual)
returns every W_p that float64 can hold, however large or small its lengths
or p, and raises the one `NotRepresentableError` (a ValueError and an
OverflowError) for a W_p that it cannot hold -- as `solve`, `wasserstein`
and `wasserstein_1d` do.  References: closed forms worked out by hand in
the comments, and independent solvers (`wasserstein` on point clouds,
`emd2` on the explicit cost matrix, `wasserstein_1d`).
"""

import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from transport import (emd2, kr_dual, pairwise, wasserstein,
                       wasserstein_1d, wasserstein_circle, wasserstein_grid,
                       wasserstein_tree)
from transport._core._scaling import NotRepresentableError

# three histograms on three bins of the line
_U = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.0, 0.5]])


# --- pairwise ---------------------------------------------------------------

@pytest.mark.parametrize("s", [1e-300, 1e-200, 1e-160, 1e154, 1e200, 1e300])
@pytest.mark.parametrize("p", [1, 2, 3])
def test_pairwise_support_at_any_scale(s, p):
    # bins at 0, s, 2s: W_p(U0, U1) = 2s; W_p(U0, U2) = 2s / 2^(1/p)
    support = np.array([0.0, 1.0, 2.0]) * s
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        D = pairwise(_U, support=support, p=p)
    assert_allclose(D[0, 1], 2 * s, rtol=1e-14)
    assert_allclose(D[0, 2], 2 * s / 2.0 ** (1.0 / p), rtol=1e-14)
    # and the same as the point-cloud solver on the same atoms
    want = wasserstein(support, support, _U[0], _U[2], p=p)
    assert_allclose(D[0, 2], want, rtol=1e-13)


@pytest.mark.parametrize("s", [1e-200, 1e154, 1e200])
def test_pairwise_cost_matrix_at_any_scale(s):
    C = np.abs(np.subtract.outer(np.arange(3.0), np.arange(3.0))) * s
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        D = pairwise(_U, cost=C, p=2)
    assert_allclose(D[0, 1], 2 * s, rtol=1e-14)
    assert_allclose(D[1, 2], 2 * s / math.sqrt(2.0), rtol=1e-14)


@pytest.mark.parametrize("p", [300, 2000, 10_000])
def test_pairwise_large_p(p):
    # bins at 0, 10, 20: W_p(U0, U1) = 20, W_p(U0, U2) = 20 / 2^(1/p);
    # bins at 0, 0.9, 1: the pair (U0, U1') moves everything by 0.9, whose
    # cost 0.9^p underflows beside 1^p
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        D = pairwise(_U, support=[0.0, 10.0, 20.0], p=p)
        assert_allclose(D[0, 1], 20.0, rtol=1e-14)
        assert_allclose(D[0, 2], 20.0 / 2.0 ** (1.0 / p), rtol=1e-13)
        V = np.array([[0.0, 1.0, 0.0]])
        D = pairwise(_U, V, support=[0.0, 0.9, 1.0], p=p)
        assert_allclose(D[:, 0], [0.9, 0.1, 0.5 ** (1.0 / p) * 0.9], rtol=1e-12)


def test_pairwise_lengths_far_below_the_largest():
    # bins 1e-200 apart beside bins 1 apart: (1e-200)^2 underflows next to 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        D = pairwise(np.eye(3), support=[0.0, 1e-200, 1.0], p=2)
    assert_allclose(D[0, 1], 1e-200, rtol=1e-14)
    assert_allclose(D[0, 2], 1.0, rtol=1e-14)


def test_pairwise_not_representable():
    with pytest.raises(NotRepresentableError, match="not representable"):
        pairwise(_U, support=[-1.7e308, 0.0, 1.7e308])
    with pytest.raises(ValueError, match="not representable"):
        pairwise(_U, support=[-1.7e308, 0.0, 1.7e308])


# --- circle -----------------------------------------------------------------

def test_circle_tiny_weights():
    # W_1 between {0.1, 0.3} and {0.6, 0.2} (equal weights): 0.1 -> 0.2 and
    # 0.3 -> 0.6, or 0.1 -> 0.6 the short way (0.5) ...: best 0.2 (each
    # atom moves 0.1 and 0.3; mean 0.2); W_2 = sqrt((0.01 + 0.09) / 2)
    u, v = [0.1, 0.3], [0.6, 0.2]
    for w in ([1e-300, 1e-300], [5e-324, 5e-324], [1e300, 1e300]):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert_allclose(wasserstein_circle(u, v, w, w), 0.2, rtol=1e-14)
            assert_allclose(wasserstein_circle(u, v, w, w, p=2), math.sqrt(0.05),
                            rtol=1e-14)


@pytest.mark.parametrize("p", [1, 2, 400, 600, 1000, 10_000])
def test_circle_large_p(p):
    # one atom each, 0.2 apart the short way: W_p = 0.2 for every p
    assert_allclose(wasserstein_circle([0.1], [0.3], p=p), 0.2, rtol=1e-13)
    # two atoms each: 0.1 -> 0.3 (0.2) and 0.6 -> 0.65 (0.05), the
    # best cut for every p: W_p = (0.2^p / 2 + 0.05^p / 2)^(1/p)
    want = 0.2 * (0.5 + 0.5 * 0.25**p) ** (1.0 / p)
    assert_allclose(wasserstein_circle([0.1, 0.6], [0.3, 0.65], p=p), want, rtol=1e-12)


@pytest.mark.parametrize("period", [1e-300, 1e-200, 1e150, 1e200, 1e296, 1e307])
@pytest.mark.parametrize("p", [1, 2, 400])
def test_circle_any_period(period, p):
    # atoms at 0.1 and 0.3 of the period: W_p = 0.2 period
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = wasserstein_circle([0.1 * period], [0.3 * period], p=p, period=period)
    assert_allclose(got, 0.2 * period, rtol=1e-13)


# --- grid -------------------------------------------------------------------

def test_grid_masses_whose_sum_overflows():
    # two units at (0, 0), (0, 1) against (1, 1), (2, 2): best 1 + 3 or 2 + 2
    # ... the optimum (0,0)->(1,1), (0,1)->(2,2): (2 + 3) / 2 = 2.5
    u = np.zeros((3, 3))
    v = np.zeros((3, 3))
    u[0, 0] = u[0, 1] = 1e308
    v[1, 1] = v[2, 2] = 1e308
    assert wasserstein_grid(u, v) == 2.5
    assert wasserstein_grid(u / 1e308, v / 1e308) == 2.5


@pytest.mark.parametrize("n", [3, 8, 12])
@pytest.mark.parametrize("spacing", [1e-300, 1e-200, 1e200, 1e307])
def test_grid_any_spacing(n, spacing):
    # one unit from (0, 0) to (1, 1): W_1 = 2 spacing (cityblock), spacing
    # (chebyshev); emd2 on the explicit matrix agrees
    u = np.zeros((n, n))
    v = np.zeros((n, n))
    u[0, 0] = v[1, 1] = 1.0
    assert_allclose(wasserstein_grid(u, v, spacing=spacing), 2 * spacing, rtol=1e-15)
    assert_allclose(wasserstein_grid(u, v, metric="chebyshev", spacing=spacing),
                    spacing, rtol=1e-15)
    if n == 3:
        idx = np.indices((3, 3)).reshape(2, -1).T * spacing
        M = np.abs(idx[:, None, :] - idx[None, :, :]).sum(-1)
        assert_allclose(wasserstein_grid(u, v, spacing=spacing),
                        emd2(u.ravel(), v.ravel(), M), rtol=1e-15)


def test_grid_not_representable():
    u = np.zeros((4, 4))
    v = np.zeros((4, 4))
    u[0, 0] = v[3, 3] = 1.0
    with pytest.raises(NotRepresentableError, match="not representable"):
        wasserstein_grid(u, v, spacing=1e308)  # W_1 = 6e308


# --- tree -------------------------------------------------------------------

def test_tree_not_representable():
    # root 0 with children 1, 2 (edges 1.7e308): W_1 = 3.4e308
    with pytest.raises(NotRepresentableError, match="not representable"):
        wasserstein_tree([-1, 0, 0], [0.0, 1.7e308, 1.7e308], [0, 1, 0], [0, 0, 1.0])
    with pytest.raises(OverflowError):
        wasserstein_tree([-1, 0, 0], [0.0, 1.7e308, 1.7e308], [0, 1, 0], [0, 0, 1.0])


@pytest.mark.parametrize("s", [1e-300, 1e-160, 1e160, 1e300])
def test_tree_any_scale(s):
    # path 0 - 1 - 2 with edges s, 2s; one unit from 2 to 0: W_1 = 3s;
    # masses near the float64 extremes too
    for mass in (1.0, 1e-300, 1e300):
        def call():
            return wasserstein_tree([-1, 0, 1], [0.0, s, 2 * s], [mass, 0, 0], [0, 0, mass])
        log10 = math.log10(3 * s) + math.log10(mass)
        if -307 < log10 < 308:
            assert_allclose(call(), 3 * s * mass, rtol=1e-14)
        else:  # beyond float64, or below its normal range
            with pytest.raises(NotRepresentableError):
                call()


def test_tree_mass_times_length_beyond_float64():
    # W_1 = length * mass = 1e300 * 1e300: not representable
    with pytest.raises(NotRepresentableError):
        wasserstein_tree([-1, 0], [0.0, 1e300], [1e300, 0], [0, 1e300])
    # but 1e300 * 1e-300 is 1
    assert_allclose(wasserstein_tree([-1, 0], [0.0, 1e300], [1e-300, 0], [0, 1e-300]),
                    1.0, rtol=1e-14)


# --- kr_dual on the line ----------------------------------------------------

def test_kr_dual_line_near_the_float64_range():
    # P = {-1e308, 0}, Q = {0.5, 1e308}: the monotone plan moves -1e308 ->
    # 0.5 and 0 -> 1e308, W_1 = (1e308 + 0.5 + 1e308) / 2 = 1e308
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = kr_dual([-1e308, 0.0], [1e308, 0.5])
    assert res.status == "optimal"
    assert np.isfinite(res.f).all()
    assert_allclose(res.value, 1e308, rtol=1e-15)
    assert_allclose(res.value, wasserstein_1d([-1e308, 0.0], [1e308, 0.5]), rtol=1e-15)
    # the critic separates P from Q by W_1
    gap = res.critic([-1e308, 0.0]).mean() - res.critic([1e308, 0.5]).mean()
    assert_allclose(gap, 1e308, rtol=1e-15)


def test_kr_dual_line_not_representable():
    with pytest.raises(NotRepresentableError, match="not representable"):
        kr_dual([-1.7e308], [1.7e308])


@pytest.mark.parametrize("s", [1e-310, 1e-300, 1e300])
def test_kr_dual_line_any_scale(s):
    res = kr_dual(np.array([0.0, 1.0]) * s, np.array([2.0, 3.0]) * s)
    assert res.status == "optimal"
    assert_allclose(res.value, 2 * s, rtol=1e-13)


# --- the same error everywhere ----------------------------------------------

def _corner(k):
    h = np.zeros((3, 3))
    h[k, k] = 1.0
    return h


def test_one_error_for_answers_beyond_float64():
    cases = [
        lambda: wasserstein_1d([-1.7e308], [1.7e308]),
        lambda: wasserstein([[-1.7e308, 0.0]], [[1.7e308, 0.0]]),
        lambda: pairwise(np.eye(2), support=[-1.7e308, 1.7e308]),
        lambda: wasserstein_tree([-1, 0, 0], [0.0, 1.7e308, 1.7e308], [0, 1, 0],
                                 [0, 0, 1.0]),
        lambda: wasserstein_grid(_corner(0), _corner(-1), spacing=1.7e308),
        lambda: kr_dual([-1.7e308], [1.7e308]),
    ]
    for call in cases:
        with pytest.raises(NotRepresentableError, match="not representable in float64"):
            call()


def _circle_by_cyclic_shifts(x, y, p, period=1.0):
    """W_p on the circle for n atoms against n, uniform weights: the best of
    the n cyclic matchings of the sorted atoms (the optimal plan is one of
    them, Delon, Salomon & Sobolevski 2010), each W_p computed relative to
    its largest distance so that d^p neither overflows nor underflows."""
    x, y = np.sort(np.mod(x, period)), np.sort(np.mod(y, period))
    best = math.inf
    for k in range(len(x)):
        d = np.abs(x - np.roll(y, k))
        d = np.minimum(d, period - d)
        top = d.max()
        w = top * np.mean((d / top) ** p) ** (1.0 / p) if top > 0 else 0.0
        best = min(best, w)
    return best


@pytest.mark.parametrize("p", [2.0, 16.0, 24.0, 400.0, 1000.0, 10_000.0])
def test_circle_large_p_against_cyclic_matchings(p):
    # n a power of two: cumulative masses k / n are exact in the integer
    # masses, and every W_p comes back
    for seed in range(20):
        rng = np.random.default_rng(seed)
        n = 2 ** int(rng.integers(0, 4))
        x, y = rng.random(n), rng.random(n)
        assert_allclose(wasserstein_circle(x, y, p=p), _circle_by_cyclic_shifts(x, y, p),
                        rtol=1e-12)
    # any n: the right W_p, or a named refusal where the rounding of the
    # cumulative masses could move it (never a wrong number)
    for seed in range(20):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(1, 12))
        x, y = rng.random(n), rng.random(n)
        try:
            got = wasserstein_circle(x, y, p=p)
        except ValueError as exc:
            assert p > 16 and "cannot be computed to full precision" in str(exc)
            continue
        assert_allclose(got, _circle_by_cyclic_shifts(x, y, p), rtol=1e-12)
