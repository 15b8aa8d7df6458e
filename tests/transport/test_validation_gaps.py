"""Validation gaps of issue 26, closed through the shared validators."""

import numpy as np
import pytest

import divergences
import transport
from transport import (kr_dual, pairwise, wasserstein, wasserstein_1d, wasserstein_circle,
                       wasserstein_grid, wasserstein_tree)

_HIST = np.eye(3)


@pytest.mark.parametrize("period", [10**400, -(10**400)], ids=["1e400", "-1e400"])
def test_period_beyond_float64(period):
    with pytest.raises(ValueError, match="`period` .* does not fit in a float64"):
        wasserstein_circle([0.1], [0.2], period=period)


@pytest.mark.parametrize("spacing", [10**400, (1.0, 10**400)], ids=["1e400", "axis"])
def test_spacing_beyond_float64(spacing):
    with pytest.raises(ValueError, match="`spacing` .* does not fit in a float64"):
        wasserstein_grid(_HIST, _HIST[::-1], spacing=spacing)


def test_masked_parent_refused():
    parent = np.ma.array([-1, 0, 0], mask=[False, False, True])
    with pytest.raises(TypeError, match="`parent` is a numpy.ma.MaskedArray"):
        wasserstein_tree(parent, [0.0, 1.0, 1.0], [0, 1, 0], [0, 0, 1.0])


@pytest.mark.skipif(np.finfo(np.longdouble).max <= np.finfo(np.float64).max,
                    reason="long double is float64 on this platform")
def test_long_double_beyond_float64_is_named_so():
    big = np.longdouble("1e400")
    calls = [
        lambda: wasserstein_1d(np.array([big, 1.0]), [1.0]),
        lambda: wasserstein(np.array([[big, 0.0]]), [[1.0, 0.0]]),
        lambda: wasserstein_1d([0.0, 1.0], [1.0], u_weights=np.array([big, 1.0])),
        lambda: transport.emd2([1.0], [1.0], np.array([[big]])),
        lambda: pairwise(np.array([[big, 1.0]]), support=[0.0, 1.0]),
        lambda: divergences.js(np.array([big, 1.0]), [1.0, 1.0]),
        lambda: kr_dual(np.array([big, 0.0]), [1.0]),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="does not fit in a float64") as info:
            call()
        assert "must be finite" not in str(info.value)


def test_long_double_in_range_is_accepted():
    x = np.array([np.longdouble("0.5"), np.longdouble("2")])
    assert wasserstein_1d(x, [0.5, 2.0]) == 0.0


# Zero rows: both pairwise functions return the empty (0, m) / (n, 0)
# matrix, as scipy.spatial.distance.cdist does -- an empty batch is an
# empty answer (a filter in a pipeline may leave none), not an error; a
# histogram still needs at least one bin.

@pytest.mark.parametrize("metric", ["js", "tv"])
def test_divergences_pairwise_zero_rows(metric):
    P = np.ones((4, 3))
    assert divergences.pairwise(np.zeros((0, 3)), metric=metric).shape == (0, 0)
    assert divergences.pairwise(np.zeros((0, 3)), P, metric=metric).shape == (0, 4)
    assert divergences.pairwise(P, np.zeros((0, 3)), metric=metric).shape == (4, 0)
    with pytest.raises(ValueError, match="no bins"):
        divergences.pairwise(np.zeros((2, 0)), metric=metric)


def test_transport_pairwise_zero_rows():
    P = np.ones((4, 3))
    support = [0.0, 1.0, 2.0]
    assert pairwise(np.zeros((0, 3)), support=support).shape == (0, 0)
    assert pairwise(np.zeros((0, 3)), P, support=support).shape == (0, 4)
    assert pairwise(P, np.zeros((0, 3)), support=support).shape == (4, 0)
    with pytest.raises(ValueError, match="at least one bin"):
        pairwise(np.zeros((2, 0)), cost=np.zeros((0, 0)))
    # the bins are still checked against the support
    with pytest.raises(ValueError, match="bins per row"):
        pairwise(np.zeros((0, 4)), support=support)
