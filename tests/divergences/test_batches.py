"""Batches, broadcasting and the `axis` argument."""

import numpy as np
import pytest
from hypothesis import given
from numpy.testing import assert_allclose, assert_array_equal

from divergences import js, js_distance, kl, tv
from divergences._kernels import BLOCK, CHUNK
from tests.strategies import histogram_pairs

FUNCS = [tv, kl, js, js_distance]


@pytest.mark.parametrize("f", FUNCS)
def test_batch_equals_loop(f):
    rng = np.random.default_rng(10)
    p = rng.random((4, 3, 9))
    q = rng.random((4, 3, 9))
    got = f(p, q)
    assert got.shape == (4, 3)
    expected = np.array([[f(p[i, j], q[i, j]) for j in range(3)] for i in range(4)])
    assert_array_equal(got, expected)


@pytest.mark.parametrize("f", FUNCS)
def test_broadcasting_leading_axes(f):
    rng = np.random.default_rng(11)
    p = rng.random((5, 1, 6))
    q = rng.random((2, 6))
    got = f(p, q)
    assert got.shape == (5, 2)
    for i in range(5):
        for j in range(2):
            assert got[i, j] == f(p[i, 0], q[j])
    # A single histogram against a batch.
    got = f(p[0, 0], q)
    assert got.shape == (2,)
    assert_array_equal(got, [f(p[0, 0], q[0]), f(p[0, 0], q[1])])


@pytest.mark.parametrize("f", FUNCS)
def test_axis_selects_histogram_axis(f):
    rng = np.random.default_rng(12)
    p = rng.random((7, 3))
    q = rng.random((7, 3))
    got = f(p, q, axis=0)
    assert got.shape == (3,)
    assert_allclose(got, f(p.T, q.T), rtol=0)
    assert_allclose(f(p, q, axis=-2), got, rtol=0)
    assert_allclose(f(p, q, axis=1), f(p, q), rtol=0)


def test_scalar_result_is_a_float():
    value = js([1, 2], [2, 1])
    assert isinstance(value, float)
    assert np.ndim(value) == 0


def test_empty_batch_gives_empty_result():
    out = tv(np.ones((0, 4)), np.ones((0, 4)))
    assert out.shape == (0,)


def test_noncontiguous_input():
    rng = np.random.default_rng(13)
    big = rng.random((10, 20))
    p, q = big[::2, ::3], big[1::2, ::3]
    assert_allclose(js(p, q), js(p.copy(), q.copy()), rtol=0)


@pytest.mark.parametrize("f", FUNCS)
@given(pq=histogram_pairs(max_bins=40))
def test_single_pair_fast_path_equals_batch_path(f, pq):
    # Two contiguous float64 vectors take one compiled call; a batch of one
    # takes the general path.  Same value to the bit.
    p, q = pq
    assert f(p, q) == f(p[None, :], q[None, :])[0] == f(list(p), list(q))


@pytest.mark.parametrize("f", FUNCS)
@pytest.mark.parametrize("n", [CHUNK - 1, CHUNK, CHUNK + 1, 3 * BLOCK + 5])
def test_fast_path_at_the_block_and_chunk_edges(f, n):
    rng = np.random.default_rng(14)
    p = rng.random(n)
    q = rng.random(n)
    q[::7] = 0.0
    assert f(p, q) == f(p[None, :], q[None, :])[0]


@pytest.mark.parametrize("f", FUNCS)
def test_fast_path_hands_rescaling_and_errors_to_the_general_path(f):
    p = np.array([1e300, 1e300, 1e-10])
    q = np.array([1e-300, 2e-300, 3e-300])
    assert f(p, q) == f(p[None, :], q[None, :])[0]
    assert np.isfinite(f(p, q))
    with pytest.raises(ValueError, match="same number of bins"):
        f(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match=r"`q` must not contain NaN; got nan at index 1"):
        f(np.ones(3), np.array([1.0, np.nan, 1.0]))
