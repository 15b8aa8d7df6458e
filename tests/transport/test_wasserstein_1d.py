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
        (([0.0, 1.0], [1.0], [1.0, np.nan]), {}, ValueError, r"`u_weights` must not contain NaN"),
        (([0.0, 1.0], [1.0], None, [[1.0]]), {}, ValueError, r"`v_weights` must be a 1-D array"),
        (([0.0, 1.0], [1.0], None, [-0.0]), {}, ValueError, r"`v_weights` must have a positive sum"),
    ],
)
def test_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        wasserstein_1d(*args, **kwargs)


@pytest.mark.parametrize("kind", ["uniform", "normal", "ties", "signed_zeros", "extremes"])
def test_radix_sort_matches_numpy(kind):
    from transport._line._float_keys import index_bits
    from transport._line._packed_sort import pack_index_keys
    from transport._line._quantile_merge import breakpoints
    from transport._line._radix_sort import radix_sort, radix_sort_packed_into
    from transport._line._sort_1d import sort_weighted

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
    bits = index_bits(n)
    packed = np.empty(n, np.uint64)
    pack_index_keys(x, bits, packed)
    work = _fresh(n)
    assert_array_equal(radix_sort_packed_into(x, bits, work["keys"], work["other"]),
                       np.sort(packed))
    xs, hi, lo = sort_weighted(x, w, 1.0, True, _fresh(n))
    order = np.argsort(_ordered_keys(x), kind="stable")  # -0.0 before 0.0, ties by index
    assert_array_equal(xs.view(np.uint64), x[order].view(np.uint64))
    # each atom keeps its own weight: the running sums are those of w[order]
    ref_hi, ref_lo = w[order], np.empty(n)
    breakpoints(ref_hi, 1.0, ref_hi, ref_lo)
    assert_array_equal(hi, ref_hi)
    assert_array_equal(lo, ref_lo)


def _ordered_keys(x):
    """The radix sort's unsigned keys, in NumPy: a reference for the order."""
    b = x.view(np.uint64)
    sign = np.uint64(1) << np.uint64(63)
    return np.where(b & sign, ~b, b | sign)


def _sort_case(kind, rng, n=20_000):
    if kind == "near_equal_block":  # one long run of keys equal but for low bits
        x = rng.normal(size=n)
        x[:200] = 1.0 + rng.permutation(200) * 2.0**-52
        return x
    return {
        "normal": rng.normal(size=n),
        "ties": rng.integers(-3, 3, n).astype(float),  # more runs than marks hold
        "signed_zeros": rng.choice([-0.0, 0.0, -1e-310, 1e-310, 5e-324], n),
        "extremes": rng.choice([-1e308, 1e308, -1.0, 1.0, 0.0, 2.2e-308], n),
        "near_equal_all": 1.0 + rng.permutation(n) * 2.0**-52,  # one run of n
        "short_runs": np.repeat(rng.normal(size=n // 20), 20)
        + np.tile(np.arange(20) * 2.0**-50, n // 20)[rng.permutation(n)],
        "one": np.array([2.5]),
        "two": np.array([1.0, -1.0]),
    }[kind]


def _fresh(n):
    from transport._line._sort_1d import slots

    return {name: np.empty(n, dtype) for name, dtype in slots(True, True)}


KINDS = ["normal", "ties", "signed_zeros", "extremes", "near_equal_block",
         "near_equal_all", "short_runs", "one", "two"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("radix", [False, True])
def test_sorted_atoms_are_the_stable_sort_by_value(kind, radix):
    from transport._line._quantile_merge import breakpoints
    from transport._line._sort_1d import sort_weighted

    rng = np.random.default_rng(406)
    x = _sort_case(kind, rng)
    w = rng.random(x.shape[0])
    total = w.sum()
    xs, hi, lo = sort_weighted(x, w, total, radix, _fresh(x.shape[0]))
    order = np.argsort(_ordered_keys(x), kind="stable")  # -0.0 before 0.0, ties by index
    assert_array_equal(xs.view(np.uint64), x[order].view(np.uint64))
    ref_hi, ref_lo = w[order], np.empty_like(w)
    breakpoints(ref_hi, total, ref_hi, ref_lo)
    assert_array_equal(hi, ref_hi)
    assert_array_equal(lo, ref_lo)


def test_breakpoints_are_the_exact_running_sums():
    from fractions import Fraction

    from transport._line._quantile_merge import breakpoints

    rng = np.random.default_rng(407)
    w = rng.random(3000) * np.exp(rng.normal(0, 8, 3000))  # widely spread magnitudes
    total = w.sum()
    hi, lo = np.empty_like(w), np.empty_like(w)
    breakpoints(w, total, hi, lo)
    exact = Fraction(0)
    worst = 0.0
    for k in range(w.shape[0]):
        exact += Fraction(w[k] / total)
        worst = max(worst, abs(float(Fraction(hi[k]) + Fraction(lo[k]) - exact)))
        assert abs(lo[k]) <= np.spacing(hi[k]) / 2  # normalised
    assert worst < 1e-28


def test_weighted_halves_do_not_depend_on_threads():
    from transport._line._quantile_merge import quantile_merge_weighted
    from transport._line._sort_1d import sort_weighted
    from transport._line._routes import _merge_weighted

    rng = np.random.default_rng(408)
    x, y = rng.normal(size=5000), rng.normal(0.2, 1.5, size=3000)
    a, b = rng.random(5000), rng.random(3000)
    a[::7] = 0.0  # zero-length segments around the split
    u = sort_weighted(x, a, a.sum(), False, _fresh(5000))
    v = sort_weighted(y, b, b.sum(), False, _fresh(3000))
    for p in (1.0, 2.0, 3.5):
        split = _merge_weighted(u, v, p, True)
        assert split == _merge_weighted(u, v, p, False)
        ts = np.array([0.0, 0.0, 0.0, 0.0, 2.0])  # chunks 0-2 empty: one plain merge
        whole = quantile_merge_weighted(*u, *v, p, ts)
        assert_allclose(split, whole, rtol=1e-13)


def test_split_at_a_shared_breakpoint():
    # atoms end exactly at t = 1/2 on both sides
    x, y = [0.0, 1.0, 2.0, 3.0], [0.5, 1.5, 2.5, 3.5]
    a, b = [0.25, 0.25, 0.25, 0.25], [0.5, 0.0, 0.25, 0.25]
    assert_allclose(wasserstein_1d(x, y, a, b), wasserstein_distance(x, y, a, b), rtol=1e-15)


@pytest.mark.parametrize("numpy_fast", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_both_sort_routes_match_scipy_and_each_other(monkeypatch, numpy_fast, weighted):
    import transport._line._sort_1d as sort_1d

    rng = np.random.default_rng(405)
    x, y = rng.normal(size=70_000), rng.normal(0.3, 1.2, size=50_000)
    x[:1000] = np.round(x[:1000], 2)  # ties
    a = rng.random(70_000) if weighted else None
    b = rng.random(50_000) if weighted else None
    monkeypatch.setattr(sort_1d, "_numpy_sort_fast", dict.fromkeys(["values", "packed"], numpy_fast))
    ours = wasserstein_1d(x, y, a, b, p=1)
    assert_allclose(ours, wasserstein_distance(x, y, a, b), rtol=1e-10)
    monkeypatch.setattr(sort_1d, "_numpy_sort_fast", dict.fromkeys(["values", "packed"], not numpy_fast))
    assert wasserstein_1d(x, y, a, b, p=1) == ours  # the same arrays, the same bits
    assert wasserstein_1d(x, y, a, b, p=2) == pytest.approx(
        np.sqrt(ot.wasserstein_1d(x, y, a / a.sum(), b / b.sum(), p=2))
        if weighted else np.sqrt(ot.wasserstein_1d(x, y, p=2)), rel=1e-10)


@pytest.mark.parametrize("kind", ["values", "packed"])
@pytest.mark.parametrize("numpy_faster", [False, True])
def test_sort_route_is_measured_once(monkeypatch, kind, numpy_faster):
    import transport._line._sort_1d as sort_1d

    monkeypatch.setattr(sort_1d, "_numpy_sort_fast", {})
    times = (1e-3, 2e-3) if numpy_faster else (2e-3, 1e-3)  # (NumPy, radix)
    calls = []
    monkeypatch.setattr(sort_1d, "_time_routes", lambda k: calls.append(k) or times)
    assert sort_1d.numpy_sort_is_fast(kind) is numpy_faster  # whatever the CPU flags
    assert sort_1d.use_radix(sort_1d.RADIX_MIN, kind) is not numpy_faster
    assert not sort_1d.use_radix(sort_1d.RADIX_MIN - 1, kind)  # small: NumPy
    assert sort_1d.numpy_sort_is_fast(kind) is numpy_faster
    assert calls == [kind]  # timed once


@pytest.mark.parametrize("kind", ["values", "packed"])
def test_sort_routes_are_timed_for_real(kind):
    from transport._line._sort_1d import _time_routes

    numpy_time, radix_time = _time_routes(kind)
    assert 0 < numpy_time < 1 and 0 < radix_time < 1


def test_scratch_reuse_fresh_and_threads_agree():
    from concurrent.futures import ThreadPoolExecutor

    import transport._line._sort_1d as sort_1d

    rng = np.random.default_rng(409)
    cases = []
    for n, m in [(70_000, 9_000), (5_000, 66_000), (70_000, 9_000), (300, 200)]:
        x, y = rng.normal(size=n), rng.normal(0.1, 2.0, size=m)
        a, b = rng.random(n), rng.random(m)
        cases.append((x, y, a, b))
    # kept scratch, grown and shrunk between calls
    serial = [(wasserstein_1d(x, y), wasserstein_1d(x, y, a, b, p=2)) for x, y, a, b in cases]
    # fresh arrays: another thread holds the scratch
    with sort_1d._scratch_lock:
        fresh = [(wasserstein_1d(x, y), wasserstein_1d(x, y, a, b, p=2)) for x, y, a, b in cases]
    assert fresh == serial
    # concurrent callers: one gets the scratch, the others fresh arrays
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(
            lambda c: (wasserstein_1d(c[0], c[1]), wasserstein_1d(*c, p=2)), cases * 3))
    assert parallel == serial * 3
    assert_allclose([s[0] for s in serial],
                    [wasserstein_distance(x, y) for x, y, _, _ in cases], rtol=1e-10)


def test_inputs_above_the_scratch_size_use_fresh_arrays(monkeypatch):
    import transport._line._sort_1d as sort_1d

    rng = np.random.default_rng(410)
    x, y, a = rng.normal(size=3000), rng.normal(size=2000), rng.random(3000)
    expected = wasserstein_1d(x, y, a)
    monkeypatch.setattr(sort_1d, "SCRATCH_MAX", 1000)
    monkeypatch.setattr(sort_1d, "_scratch_arrays", {})
    assert wasserstein_1d(x, y, a) == expected
    assert sort_1d._scratch_arrays == {}


@given(
    hnp.arrays(np.float64, st.integers(1, 300),
               elements=st.one_of(st.sampled_from([0.0, -0.0, 1.0, -1.0, 1.0 + 2.0**-52]),
                                  st.floats(-1e300, 1e300, allow_subnormal=True))),
    st.integers(0, 2**32 - 1),
)
def test_both_sort_routes_give_the_same_arrays(x, seed):
    from transport._line._sort_1d import sort_weighted, sort_values

    w = np.random.default_rng(seed).random(x.shape[0])
    total = w.sum()
    radix = sort_weighted(x, w, total, True, _fresh(x.shape[0]))
    numpy = sort_weighted(x, w, total, False, _fresh(x.shape[0]))
    assert_array_equal(sort_values(x, True, _fresh(x.shape[0])),
                       sort_values(x, False, _fresh(x.shape[0])))
    assert_array_equal(radix[0].view(np.uint64), numpy[0].view(np.uint64))
    assert_array_equal(radix[1], numpy[1])
    assert_array_equal(radix[2], numpy[2])


def test_huge_weights_whose_sum_overflows():
    import warnings

    x, y = [0.0, 1.0, 3.0], [0.5, 2.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the overflow is handled, not reported
        huge = wasserstein_1d(x, y, [1e308, 1e308, 5e307], [1e308, 1e308])
    assert huge == wasserstein_1d(x, y, [1.0, 1.0, 0.5], [1.0, 1.0])
    assert_allclose(huge, wasserstein_distance(x, y, [2, 2, 1], [1, 1]), rtol=1e-15)


def _reference_wp(x, y, a, b, p):
    """W_p by the quantile merge with no float64 arithmetic: breakpoints as
    exact fractions of the weights' sums, powers in 60-digit decimals (whose
    exponent range holds |x - y|^p for any scale and p here)."""
    from decimal import Decimal, localcontext
    from fractions import Fraction

    def atoms(values, weights):
        total = sum(Fraction(w) for w in weights)
        pairs = sorted(zip(values, weights), key=lambda t: t[0])
        ends, s = [], Fraction(0)
        for _, w in pairs:
            s += Fraction(w) / total
            ends.append(s)
        return [v for v, _ in pairs], ends

    xs, ue = atoms(x, a)
    ys, ve = atoms(y, b)
    with localcontext() as ctx:
        ctx.prec, ctx.Emax, ctx.Emin = 60, 10**7, -(10**7)
        dp = Decimal(repr(float(p)))
        total, prev, i, j = Decimal(0), Fraction(0), 0, 0
        while i < len(xs) and j < len(ys):
            end = min(ue[i], ve[j])
            length = Decimal((end - prev).numerator) / Decimal((end - prev).denominator)
            total += length * abs(Decimal(xs[i]) - Decimal(ys[j])) ** dp
            prev = end
            i, j = i + (ue[i] == end), j + (ve[j] == end)
        return float(total ** (1 / dp))


@given(weighted_samples(), st.integers(-300, 300),
       st.sampled_from([1.0, 1.5, 2.0, 3.0, 7.25, 50.0, 1000.0]), st.booleans())
def test_every_scale_and_p_against_exact_reference(sample, exponent, p, weighted):
    # W_p(c P, c Q) = c W_p(P, Q): scales 1e-300..1e300, where W_p^p itself
    # overflows or underflows float64 but W_p does not.
    x, y, wx, wy = sample
    x, y = x * 10.0**exponent, y * 10.0**exponent
    if not weighted:
        wx, wy = np.ones_like(x), np.ones_like(y)
    got = wasserstein_1d(x, y, wx, wy, p=p) if weighted else wasserstein_1d(x, y, p=p)
    expected = _reference_wp(x, y, wx, wy, p)
    assert_allclose(got, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("args, p, expected", [
    (([0.0, 0.0], [10.0, 0.0]), 1000, 10 * 0.5**0.001),   # W_p^p = 0.5 * 10^1000
    (([-1e200], [1e200]), 2, 2e200),                        # W_p^p = 4e400
    (([0.0], [1e-200]), 2, 1e-200),                         # W_p^p = 1e-400
    (([0.0], [1e-300]), 1.5, 1e-300),                       # W_p^p = 1e-450
    (([-1e308, 0.0], [1e308, 1e308]), 1, 1.5e308),          # x - y overflows, W_1 does not
    (([0.0], [5e-324]), 3, 5e-324),                         # the smallest subnormal
    (([1.0, 2.0], [1.0, 2.0]), 2, 0.0),                     # W_p^p = 0: an exact zero
])
def test_representable_distances_come_back(args, p, expected):
    assert_allclose(wasserstein_1d(*args, p=p), expected, rtol=1e-15, atol=0)


@pytest.mark.parametrize("p", [1, 2, 1.5])
def test_unrepresentable_distance_raises(p):
    with pytest.raises(OverflowError, match=r"W_.* exceeds the largest float64"):
        wasserstein_1d([-1e308, -1e308], [1e308, 1e308], p=p)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n, m", [(1, 1), (40, 40), (57, 31), (3000, 2000)])
@pytest.mark.parametrize("p", [1.0, 2.0, 3.5])
def test_scaled_route_matches_the_plain_sum(monkeypatch, weighted, n, m, p):
    import transport._line._routes as w1d

    rng = np.random.default_rng(411)
    x, y = rng.normal(size=n), rng.normal(0.3, 1.5, size=m)
    a, b = (rng.random(n), rng.random(m)) if weighted else (None, None)
    if weighted:
        a[::5] = 0.0  # zero-length segments
        a[0] = 1.0
    plain = wasserstein_1d(x, y, a, b, p=p)
    monkeypatch.setattr(w1d, "_trusted", lambda total, size: False)
    assert_allclose(wasserstein_1d(x, y, a, b, p=p), plain, rtol=1e-13)


_small_cases = hnp.arrays(
    np.float64, st.integers(1, 40),
    elements=st.one_of(st.sampled_from([0.0, -0.0, 1.0, -1.0, 1.0 + 2.0**-52]),
                       st.floats(-1e300, 1e300, allow_subnormal=True)))


@given(_small_cases, _small_cases, st.sampled_from([1, 1.0, 2, 2.5, 7.0]),
       st.sampled_from(["none", "u", "both"]), st.integers(0, 2**32 - 1))
def test_one_call_route_gives_the_general_routes_bits(x, y, p, weights, seed):
    import transport._line._routes as w1d

    rng = np.random.default_rng(seed)
    a = rng.random(x.shape[0]) * (rng.random(x.shape[0]) < 0.8) if weights != "none" else None
    b = rng.random(y.shape[0]) if weights == "both" else None
    if a is not None:
        a[0] += 0.5  # a positive sum
    assert w1d._small(x, y, a, b, p) is not None  # the one-call route runs here
    try:
        expected = w1d.general_route(x, y, a, b, p)
    except OverflowError:
        with pytest.raises(OverflowError):
            wasserstein_1d(x, y, a, b, p=p)
        return
    got = wasserstein_1d(x, y, a, b, p=p)
    assert np.float64(got).view(np.uint64) == np.float64(expected).view(np.uint64)


@pytest.mark.parametrize(
    "x, y, a, b, match",
    [
        ([0.0, np.nan], [1.0], None, None, r"`u_values` must not contain NaN"),
        ([0.0], [np.inf, 1.0], None, None, r"`v_values` must be finite"),
        ([0.0, 1.0], [1.0], [1.0, -2.0], None, r"`u_weights` must be non-negative"),
        ([0.0, 1.0], [1.0], None, [0.0], r"`v_weights` must have a positive sum"),
        ([0.0, 1.0], [1.0], [np.inf, 1.0], None, r"`u_weights` must be finite"),
        ([0.0, 1.0], [1.0], [1.0, np.nan], None, r"`u_weights` must not contain NaN"),
        ([0.0, 1.0], [1.0], [1.0], None, r"`u_weights` has 1 entries"),
    ],
)
def test_bad_arrays_on_the_one_call_route(x, y, a, b, match):
    # float64 arrays small enough for the one-call route: the same errors
    arrays = [None if z is None else np.array(z, dtype=np.float64) for z in (x, y, a, b)]
    with pytest.raises(ValueError, match=match):
        wasserstein_1d(*arrays)


def test_huge_weights_on_the_one_call_route():
    import warnings

    x, y = np.array([0.0, 1.0, 3.0]), np.array([0.5, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the overflow is handled, not reported
        huge = wasserstein_1d(x, y, np.array([1e308, 1e308, 5e307]), np.array([1e308, 1e308]))
    assert huge == wasserstein_1d(x, y, np.array([1.0, 1.0, 0.5]), np.array([1.0, 1.0]))


@pytest.mark.parametrize("weights", ["none", "shared", "per_slice", "one_side"])
@pytest.mark.parametrize("p", [1, 2.5])
@pytest.mark.parametrize("n, m, k", [(1, 1, 1), (30, 17, 5), (3000, 2500, 6), (40_000, 30_000, 3)])
def test_per_slice_equals_a_loop_of_single_calls(weights, p, n, m, k):
    rng = np.random.default_rng(412)
    U, V = rng.normal(size=(n, k)), rng.normal(0.4, 1.3, size=(m, k))
    a = {"none": None, "shared": rng.random(n), "per_slice": rng.random((n, k)),
         "one_side": None}[weights]
    b = {"none": None, "shared": rng.random(m), "per_slice": rng.random((m, k)),
         "one_side": rng.random((m, k))}[weights]
    got = wasserstein_1d(U, V, a, b, p=p, axis=0)
    assert got.shape == (k,)

    def column(w, j):
        return w if w is None or w.ndim == 1 else w[:, j]

    loop = [wasserstein_1d(U[:, j], V[:, j], column(a, j), column(b, j), p=p) for j in range(k)]
    assert_array_equal(got, loop)  # the same route per slice: the same bits
    assert_array_equal(wasserstein_1d(U.T, V.T, None if a is None else a.T if a.ndim == 2 else a,
                                      None if b is None else b.T if b.ndim == 2 else b,
                                      p=p, axis=1), got)
    if p == 1:
        scipy = [wasserstein_distance(U[:, j], V[:, j], column(a, j), column(b, j))
                 for j in range(k)]
        assert_allclose(got, scipy, rtol=1e-10)


@pytest.mark.parametrize(
    "args, kwargs, exc, match",
    [
        ((np.zeros((3, 2)), np.zeros((4, 3))), {"axis": 0}, ValueError, r"as many slices"),
        ((np.zeros(3), np.zeros(4)), {"axis": 0}, ValueError, r"`u_values` must be a 2-D array"),
        ((np.zeros((3, 2)), np.zeros((4, 2))), {"axis": 2}, ValueError, r"`axis` must be None, 0 or 1"),
        ((np.zeros((3, 2)), np.zeros((4, 2))), {"axis": 0.0}, TypeError, r"`axis`"),
        ((np.zeros((3, 2)), np.zeros((4, 2)), np.ones(2)), {"axis": 0}, ValueError,
         r"`u_weights` must have shape \(3,\) .* or \(3, 2\)"),
        ((np.zeros((3, 2)), np.array([[0.0, 1.0], [np.nan, 2.0]])), {"axis": 0}, ValueError,
         r"`v_values` must not contain NaN; got nan at index \(1, 0\)"),
        ((np.zeros((3, 2)), np.zeros((4, 2)), np.array([[1.0, 0.0]] * 3)), {"axis": 0},
         ValueError, r"`u_weights` must have a positive sum in every slice; slice 1"),
        ((np.zeros((3, 2)), np.zeros((4, 2)), -np.ones(3)), {"axis": 0}, ValueError,
         r"`u_weights` must be non-negative"),
        ((np.zeros((0, 2)), np.zeros((4, 2))), {"axis": 0}, ValueError, r"at least one point"),
        ((np.zeros((3, 2)), np.zeros((4, 2))), {"axis": 0, "p": 0.5}, ValueError, r"`p`"),
    ],
)
def test_bad_input_per_slice(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        wasserstein_1d(*args, **kwargs)


def test_per_slice_with_no_slices_and_scaled_slices():
    assert wasserstein_1d(np.zeros((3, 0)), np.zeros((2, 0)), axis=0).shape == (0,)
    U = np.array([[0.0, 0.0], [0.0, -1e200]])
    V = np.array([[10.0, 1e-200], [0.0, 1e200]])
    assert_allclose(wasserstein_1d(U, V, p=1000, axis=0)[0], 10 * 0.5**0.001, rtol=1e-15)
    # column 1: sorted [-1e200, 0] against [1e-200, 1e200]: both pairs 1e200 apart
    assert_allclose(wasserstein_1d(U, V, p=2, axis=0)[1], 1e200, rtol=1e-15)


def _child_distance(seed):
    rng = np.random.default_rng(seed)
    x, y, a = rng.normal(size=5000), rng.normal(size=4000), rng.random(5000)
    return wasserstein_1d(x, y), wasserstein_1d(x, y, a)


def test_forked_child_gets_fresh_sort_locks(monkeypatch):
    import multiprocessing

    import transport._line._sort_1d as sort_1d

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    expected = _child_distance(413)
    monkeypatch.setattr(sort_1d, "_numpy_sort_fast", {})  # the child must time the routes
    with sort_1d._route_lock, sort_1d._scratch_lock:  # held at the fork
        with multiprocessing.get_context("fork").Pool(1) as pool:
            got = pool.apply_async(_child_distance, (413,)).get(timeout=120)
    assert got == expected
