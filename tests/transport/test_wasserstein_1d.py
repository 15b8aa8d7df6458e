"""`wasserstein_1d`: the exact quantile form on the line."""

import numpy as np
import ot
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import wasserstein_distance

from transport import wasserstein_1d

values = hnp.arrays(
    np.float64, st.integers(1, 25), elements=st.floats(-100, 100, allow_subnormal=False)
)


def _weights(draw, n):
    w = draw(hnp.arrays(np.float64, n, elements=st.one_of(st.just(0.0), st.floats(1e-3, 10))))
    w[draw(st.integers(0, n - 1))] += 1.0
    return w


@st.composite
def weighted_samples(draw):
    x = draw(values)
    y = draw(values)
    return x, y, _weights(draw, x.shape[0]), _weights(draw, y.shape[0])


@pytest.mark.parametrize("n, m", [(1, 1), (1, 7), (10, 10), (100, 37), (1000, 1001), (20_000, 30_000)])
def test_matches_scipy_p1(n, m):
    rng = np.random.default_rng(n + m)
    x, y = rng.normal(size=n), rng.normal(0.5, 2.0, size=m)
    wx, wy = rng.random(n), rng.random(m)
    assert_allclose(wasserstein_1d(x, y), wasserstein_distance(x, y), rtol=1e-10)
    assert_allclose(
        wasserstein_1d(x, y, wx, wy), wasserstein_distance(x, y, wx, wy), rtol=1e-10
    )


@pytest.mark.parametrize("p", [1, 1.5, 2, 3.7])
@pytest.mark.parametrize("n, m", [(1, 5), (50, 50), (300, 211)])
def test_matches_pot_for_every_p(p, n, m):
    # POT's wasserstein_1d returns W_p^p; ours returns W_p.
    rng = np.random.default_rng(int(10 * p) + n)
    x, y = rng.random(n), 3 * rng.random(m)
    wx, wy = rng.random(n), rng.random(m)
    ref = ot.wasserstein_1d(x, y, p=p) ** (1 / p)
    assert_allclose(wasserstein_1d(x, y, p=p), ref, rtol=1e-10)
    ref = ot.wasserstein_1d(x, y, wx / wx.sum(), wy / wy.sum(), p=p) ** (1 / p)
    assert_allclose(wasserstein_1d(x, y, wx, wy, p=p), ref, rtol=1e-10)


def test_p2_is_not_the_l2_distance_of_cdfs():
    # P = delta_0, Q = delta_2: W_2 = 2, while (int |F - G|^2 dx)^(1/2) = sqrt 2.
    assert wasserstein_1d([0.0], [2.0], p=2) == 2.0


def test_hand_derived():
    assert wasserstein_1d([0.0, 1.0, 3.0], [5.0, 6.0, 8.0]) == 5.0
    # P uniform on {0, 1}, Q = delta_0.5: every unit of mass moves 1/2.
    assert wasserstein_1d([0.0, 1.0], [0.5], p=3) == pytest.approx(0.5, rel=1e-15)
    # weights 3:1 against 1:3 on {0, 1}: mass 1/2 moves distance 1.
    assert wasserstein_1d([0.0, 1.0], [0.0, 1.0], [3, 1], [1, 3]) == 0.5
    # uniform 1/3 vs 1/2 breakpoints: the exact integer path.
    # F^-1: 0 on [0,1/3), 1 on [1/3,2/3), 2 on [2/3,1); G^-1: 0 on [0,1/2), 3 after.
    expected = (1 / 6) * 1 + (1 / 6) * 2 + (1 / 3) * 1
    assert wasserstein_1d([2.0, 0.0, 1.0], [3.0, 0.0]) == pytest.approx(expected, rel=1e-15)


def test_returns_wp_not_its_power():
    assert wasserstein_1d([0.0], [3.0], p=2) == pytest.approx(3.0, rel=1e-15)
    assert wasserstein_1d([0.0], [3.0], p=5) == pytest.approx(3.0, rel=1e-15)


@given(weighted_samples(), st.floats(-50, 50))
def test_shift_gives_abs_shift(sample, c):
    x, _, wx, _ = sample
    got = wasserstein_1d(x, x + c, wx, wx)
    assert abs(got - abs(c)) <= 1e-9 * (1 + abs(c) + np.abs(x).max())


@given(weighted_samples(), st.sampled_from([1.0, 2.0, 3.0]))
def test_metric_axioms_and_monotonicity_in_p(sample, p):
    x, y, wx, wy = sample
    d = wasserstein_1d(x, y, wx, wy, p=p)
    scale = 1 + np.abs(x).max() + np.abs(y).max()
    assert d >= 0
    assert abs(d - wasserstein_1d(y, x, wy, wx, p=p)) <= 1e-12 * scale
    assert wasserstein_1d(x, x, wx, wx, p=p) <= 1e-12 * scale
    assert wasserstein_1d(x, y, wx, wy, p=1) <= d + 1e-12 * scale  # W_1 <= W_p
    mean_gap = abs(np.average(x, weights=wx) - np.average(y, weights=wy))
    assert mean_gap <= wasserstein_1d(x, y, wx, wy) + 1e-12 * scale


@given(weighted_samples(), weighted_samples())
def test_triangle_inequality(s1, s2):
    x, y, wx, wy = s1
    z, _, wz, _ = s2
    scale = 1 + np.abs(np.concatenate([x, y, z])).max()
    assert wasserstein_1d(x, z, wx, wz) <= (
        wasserstein_1d(x, y, wx, wy) + wasserstein_1d(y, z, wy, wz) + 1e-10 * scale
    )


@given(weighted_samples())
def test_duplicated_atoms_equal_summed_weights(sample):
    x, y, wx, wy = sample
    xd = np.concatenate([x, x[:1]])
    wd = np.concatenate([wx, [0.0]])
    wd[0] = wx[0] / 2
    wd[-1] = wx[0] / 2
    a = wasserstein_1d(x, y, wx, wy)
    assert abs(wasserstein_1d(xd, y, wd, wy) - a) <= 1e-10 * (1 + np.abs(np.r_[x, y]).max())


@given(weighted_samples(), st.floats(-100, 100))
def test_zero_weight_atoms_change_nothing(sample, extra):
    x, y, wx, wy = sample
    a = wasserstein_1d(x, y, wx, wy, p=2)
    b = wasserstein_1d(np.append(x, extra), y, np.append(wx, 0.0), wy, p=2)
    assert abs(a - b) <= 1e-10 * (1 + np.abs(np.r_[x, y]).max())


def test_ties_and_unsorted_input():
    x = np.array([3.0, 1.0, 1.0, 2.0, 3.0])
    y = np.array([1.0, 3.0, 2.0])
    assert_allclose(wasserstein_1d(x, y), wasserstein_distance(x, y), rtol=1e-14)
    assert_allclose(wasserstein_1d(x, y, p=2), wasserstein_1d(np.sort(x), y[::-1], p=2), rtol=1e-15)


def test_large_input_concurrent_sort_path():
    rng = np.random.default_rng(7)
    x, y = rng.random(200_000), rng.random(150_000)
    w = rng.random(200_000)
    assert_allclose(wasserstein_1d(x, y), wasserstein_distance(x, y), rtol=1e-10)
    assert_allclose(wasserstein_1d(x, y, w), wasserstein_distance(x, y, w), rtol=1e-10)


@pytest.mark.parametrize(
    "args, kwargs, exc, match",
    [
        (([0.0, np.nan], [1.0]), {}, ValueError, r"`u_values` must not contain NaN"),
        (([0.0], [np.inf]), {}, ValueError, r"`v_values` must be finite"),
        (([0.0, 1.0], [1.0], [1.0, -2.0]), {}, ValueError, r"`u_weights` must be non-negative"),
        (([0.0, 1.0], [1.0], None, [0.0]), {}, ValueError, r"`v_weights` must have a positive sum"),
        (([0.0, 1.0], [1.0], [1.0]), {}, ValueError, r"`u_weights` has 1 entries"),
        (([], [1.0]), {}, ValueError, r"`u_values` must hold at least one point"),
        (([0.0], [1.0]), {"p": 0.5}, ValueError, r"`p` must be a finite number >= 1"),
        (([0.0], [1.0]), {"p": np.nan}, ValueError, r"`p`"),
        (([0.0], [1.0]), {"p": "2"}, TypeError, r"`p`"),
        (([[0.0, 1.0]], [[1.0, 2.0]]), {}, ValueError, r"points on the line"),
        ((["a"], [1.0]), {}, TypeError, r"`u_values`"),
        (([0.0], [1.0], [np.inf]), {}, ValueError, r"`u_weights` must be finite"),
    ],
)
def test_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        wasserstein_1d(*args, **kwargs)


@pytest.mark.parametrize("kind", ["uniform", "normal", "ties", "signed_zeros", "extremes"])
def test_radix_sort_matches_numpy(kind):
    from transport._kernels_1d import radix_sort, radix_sort_pairs

    rng = np.random.default_rng(404)
    n = 20_000
    x = {
        "uniform": rng.random(n),
        "normal": rng.normal(size=n),
        "ties": rng.integers(-3, 3, n).astype(float),
        "signed_zeros": rng.choice([-0.0, 0.0, -1e-310, 1e-310, 5e-324], n),
        "extremes": rng.choice([-1e308, 1e308, -1.0, 1.0, 0.0, 2.2e-308], n),
    }[kind]
    w = rng.random(n)
    assert_array_equal(radix_sort(x), np.sort(x))  # -0.0 == 0.0 compare equal
    xs, ws = radix_sort_pairs(x, w)
    order = np.argsort(x, kind="stable")
    if kind != "signed_zeros":  # stable argsort keeps -0.0/0.0 in input order
        assert_array_equal(ws, w[order])
    assert_array_equal(xs, x[order])
    # each atom keeps its own weight
    assert_allclose(np.sort(ws), np.sort(w))


@pytest.mark.parametrize("weighted", [False, True])
def test_large_inputs_take_the_radix_path_and_match_scipy(weighted):
    rng = np.random.default_rng(405)
    x, y = rng.normal(size=70_000), rng.normal(0.3, 1.2, size=50_000)
    a = rng.random(70_000) if weighted else None
    b = rng.random(50_000) if weighted else None
    assert_allclose(wasserstein_1d(x, y, a, b), wasserstein_distance(x, y, a, b), rtol=1e-10)
