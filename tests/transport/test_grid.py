"""`wasserstein_grid`: exact W_1 on a regular grid by a min-cost flow."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose
from scipy.spatial.distance import cdist

from transport import emd, wasserstein_1d, wasserstein_grid
from transport._graphs._grid import grid_flow


def centres(shape, spacing):
    axes = [np.arange(n) * s for n, s in zip(shape, spacing)]
    return np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, len(shape))


def dense(u, v, metric, spacing):
    """The dense LP on the pixels x pixels cost matrix (independent route)."""
    M = cdist(centres(u.shape, spacing), centres(u.shape, spacing), metric=metric)
    return emd(u.ravel() / u.sum(), v.ravel() / v.sum(), M), M


@st.composite
def grid_pairs(draw):
    """Two histograms on one grid (1-3-D, one-pixel grids included), with
    zero pixels, a metric and a spacing."""
    d = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 5 if d < 3 else 3), min_size=d, max_size=d)))
    mass = st.one_of(st.just(0.0), st.floats(0.01, 3.0), st.integers(1, 3).map(float))
    u = draw(hnp.arrays(np.float64, shape, elements=mass))
    v = draw(hnp.arrays(np.float64, shape, elements=mass))
    u.flat[draw(st.integers(0, u.size - 1))] += 1.0
    v.flat[draw(st.integers(0, v.size - 1))] += 1.0
    metric = draw(st.sampled_from(["cityblock", "chebyshev"]))
    if metric == "chebyshev":
        spacing = (draw(st.sampled_from([1.0, 0.25, 3.0])),) * d
    else:
        spacing = tuple(draw(st.lists(st.sampled_from([1.0, 0.5, 2.0, 0.3]),
                                      min_size=d, max_size=d)))
    return u, v, metric, spacing


@given(grid_pairs())
def test_matches_dense_lp(pair):
    u, v, metric, spacing = pair
    ref, _ = dense(u, v, metric, spacing)
    ours = wasserstein_grid(u, v, metric=metric, spacing=spacing)
    assert_allclose(ours, ref.cost, rtol=1e-12, atol=1e-14 * max(u.shape) * max(spacing))


@given(grid_pairs())
def test_flow_and_potential_certify_the_value(pair):
    # The potential is feasible for *all* pairs (the shortest-path argument)
    # and its value on u - v is W_1; the flow conserves mass.
    u, v, metric, spacing = pair
    cost, src, dst, flow, f = grid_flow(u, v, metric=metric, spacing=spacing)
    _, M = dense(u, v, metric, spacing)
    scale = max(u.shape) * max(spacing)
    assert np.all(np.abs(f[:, None] - f[None, :]) <= M + 1e-12 * scale)
    diff = (u / u.sum() - v / v.sum()).ravel()
    assert_allclose(f @ diff, cost, rtol=1e-12, atol=1e-13 * scale)
    net = np.bincount(src, flow, minlength=u.size) - np.bincount(dst, flow, minlength=u.size)
    assert_allclose(net, diff, atol=1e-13)
    assert np.all(flow > 0)


@given(grid_pairs(), st.data())
def test_translation_invariant(pair, data):
    # The same images placed elsewhere on a larger canvas.
    u, v, metric, spacing = pair
    offset = tuple(data.draw(st.integers(0, 2)) for _ in u.shape)
    big_shape = tuple(n + o + 1 for n, o in zip(u.shape, offset))
    place = tuple(slice(o, o + n) for o, n in zip(offset, u.shape))
    U, V = np.zeros(big_shape), np.zeros(big_shape)
    U[place], V[place] = u, v
    assert_allclose(wasserstein_grid(U, V, metric=metric, spacing=spacing),
                    wasserstein_grid(u, v, metric=metric, spacing=spacing),
                    rtol=1e-12, atol=1e-14 * max(big_shape) * max(spacing))


@given(hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(0, 5)),
       hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(0, 5)))
def test_one_dimensional_grid_is_the_line(u, v):
    n = min(u.size, v.size)
    u, v = u[:n].copy(), v[:n].copy()
    u[0] += 1.0
    v[-1] += 1.0
    x = np.arange(n) * 0.5
    assert_allclose(wasserstein_grid(u, v, spacing=0.5), wasserstein_1d(x, x, u, v),
                    rtol=1e-12, atol=1e-14 * n)


def test_closed_forms():
    u = np.zeros((5, 4))
    v = np.zeros((5, 4))
    u[0, 0] = v[4, 3] = 2.0
    assert wasserstein_grid(u, v) == 7.0
    assert wasserstein_grid(u, v, metric="chebyshev") == 4.0
    assert wasserstein_grid(u, v, spacing=(0.5, 2.0)) == 8.0
    assert wasserstein_grid([[3.0]], [[1.0]]) == 0.0  # one pixel
    assert wasserstein_grid(u, 5 * u) == 0.0  # normalised histograms
    cube = np.zeros((3, 3, 3))
    other = cube.copy()
    cube[0, 0, 0] = other[2, 2, 1] = 1.0
    assert wasserstein_grid(cube, other) == 5.0
    assert wasserstein_grid(cube, other, metric="linf") == 2.0


def test_photograph_sized_problem_matches_dense_lp():
    # 24 x 24 pixels of smooth random images: 576^2 dense entries.
    rng = np.random.default_rng(12)
    u = np.cumsum(np.cumsum(rng.random((24, 24)), 0), 1)
    v = np.cumsum(np.cumsum(rng.random((24, 24)), 1), 0)[::-1]
    for metric in ("cityblock", "chebyshev"):
        ref, _ = dense(u, v, metric, (1.0, 1.0))
        assert_allclose(wasserstein_grid(u, v, metric=metric), ref.cost, rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(v_hist=np.ones((3, 4))), ValueError, "must be on the same grid"),
        (dict(u_hist=np.ones((2, 2, 2, 2))), ValueError, "1-D, 2-D or 3-D"),
        (dict(u_hist=np.ones((0, 3))), ValueError, "`u_hist` is empty"),
        (dict(u_hist=-np.ones((3, 3))), ValueError, "`u_hist` must be non-negative"),
        (dict(v_hist=np.full((3, 3), np.nan)), ValueError, "`v_hist` must not contain NaN"),
        (dict(v_hist=np.zeros((3, 3))), ValueError, "`v_hist` must have a positive sum"),
        (dict(u_hist=np.full((3, 3), "a")), TypeError, "`u_hist` must hold real numbers"),
        (dict(metric="euclidean"), ValueError, "`metric` must be one of"),
        (dict(metric=2), TypeError, "`metric` must be a string"),
        (dict(spacing=0.0), ValueError, "`spacing` must be finite and > 0"),
        (dict(spacing=(1.0, np.inf)), ValueError, "`spacing` must be finite"),
        (dict(spacing=(1.0, 2.0, 3.0)), TypeError, "one per axis"),
        (dict(spacing="1"), TypeError, "`spacing` must be a positive number"),
        (dict(spacing=(1.0, 2.0), metric="chebyshev"), ValueError, "same on every axis"),
    ],
)
def test_bad_input(kwargs, exc, match):
    args = dict(u_hist=np.ones((3, 3)), v_hist=np.eye(3))
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        wasserstein_grid(**args)


@pytest.mark.parametrize("shape", [(1,), (7,), (4, 4), (3, 5), (2, 3, 4)])
def test_z_order_rank_is_a_permutation(shape):
    from transport._graphs._grid import z_order_rank

    rank = z_order_rank(shape)
    assert np.array_equal(np.sort(rank), np.arange(int(np.prod(shape))))
    if shape == (4, 4):  # the Z curve visits 2 x 2 blocks one after the other
        assert rank.reshape(4, 4)[:2, :2].ravel().tolist() == [0, 1, 2, 3]
