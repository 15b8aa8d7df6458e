"""`align`: common support of two weighted point sets."""

import time

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from divergences import align, js, tv


def test_merges_identical_atoms_1d():
    support, p, q = align([3.0, 1.0, 3.0, -0.0], [0.0, 2.0], [1, 1, 2, 4], [1, 3])
    assert_array_equal(support, [0.0, 1.0, 2.0, 3.0])
    assert_allclose(p, [4 / 8, 1 / 8, 0, 3 / 8], rtol=1e-15)
    assert_allclose(q, [1 / 4, 0, 3 / 4, 0], rtol=1e-15)
    assert support.ndim == 1


def test_merges_identical_rows_nd():
    u = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    v = np.array([[1.0, 0.0], [0.0, 2.0]])
    support, p, q = align(u, v)
    assert_array_equal(support, [[0.0, 1.0], [0.0, 2.0], [1.0, 0.0]])
    assert_allclose(p, [2 / 3, 0, 1 / 3], rtol=1e-15)
    assert_allclose(q, [0, 0.5, 0.5], rtol=1e-15)


def test_distinct_rows_sharing_a_coordinate_stay_distinct():
    support, p, q = align([[0.0, 1.0], [0.0, 2.0]], [[0.0, 1.0]])
    assert support.shape == (2, 2)
    assert_allclose(q, [1.0, 0.0])


def test_disjoint_samples_give_extreme_divergences():
    rng = np.random.default_rng(20)
    x, y = rng.random((50, 2)), rng.random((60, 2))
    _, p, q = align(x, y)
    assert tv(p, q) == 1.0
    assert js(p, q) == pytest.approx(np.log(2), rel=1e-15)


def test_weights_follow_the_permutation_of_atoms():
    rng = np.random.default_rng(21)
    x = rng.integers(0, 5, size=(200, 3)).astype(float)
    w = rng.random(200)
    support, p, q = align(x, x[::-1], w, w[::-1])
    assert_allclose(p, q, rtol=1e-13)
    # Each support atom carries the total weight of its copies.
    for k in range(support.shape[0]):
        mask = (x == support[k]).all(axis=1)
        assert_allclose(p[k], w[mask].sum() / w.sum(), rtol=1e-12)


def test_one_million_atoms_scale_like_a_sort():
    # Not a benchmark: the time of 10^6 atoms over the time of 10^5 (taken
    # in alternation, the best of two each, so a busy machine slows both)
    # is about 10-15 for an O(n log n) merge and would be about 100 for an
    # accidental O(n^2); no absolute time is asserted.
    rng = np.random.default_rng(22)
    x = rng.integers(0, 1000, size=(10**6, 2)).astype(float)
    y = rng.integers(0, 1000, size=(10**6, 2)).astype(float)
    align(x[:10], y[:10])
    small, large = [], []
    for _ in range(2):
        t0 = time.perf_counter()
        align(x[: 10**5], y[: 10**5])
        small.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        support, p, q = align(x, y)
        large.append(time.perf_counter() - t0)
    assert support.shape[0] <= 10**6
    assert_allclose([p.sum(), q.sum()], [1.0, 1.0], rtol=1e-12)
    assert min(large) / min(small) < 40.0


@pytest.mark.parametrize(
    "args, exc, match",
    [
        (([1.0, np.nan], [1.0]), ValueError, r"`u_values` must not contain NaN"),
        (([1.0], [np.inf]), ValueError, r"`v_values` must be finite"),
        (([], [1.0]), ValueError, r"`u_values` must hold at least one point"),
        (([1.0, 2.0], [1.0], [1.0]), ValueError, r"`u_weights` has 1 entries"),
        (([1.0, 2.0], [1.0], [1.0, -1.0]), ValueError, r"`u_weights` must be non-negative"),
        (([1.0, 2.0], [1.0], None, [0.0]), ValueError, r"`v_weights` must have a positive sum"),
        (([[1.0, 2.0]], [[1.0, 2.0, 3.0]]), ValueError, r"same space"),
        ((np.ones((2, 2, 2)), [1.0]), ValueError, r"`u_values` must be 1-D"),
        ((["a"], [1.0]), TypeError, r"`u_values`"),
        (([1.0], [1.0], ["x"]), TypeError, r"`u_weights`"),
    ],
)
def test_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        align(*args)
