"""Divergences against SciPy, hand-derived values and closed forms."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr
from scipy.stats import entropy

from divergences import js, js_distance, kl, tv
from divergences import _kernels

LOG2 = math.log(2.0)


def _random_pair(rng, n, zeros=0.0):
    p = rng.random(n)
    q = rng.random(n)
    if zeros:
        p[rng.random(n) < zeros] = 0.0
        q[rng.random(n) < zeros] = 0.0
        p[0] += 1.0
        q[0] += 1.0
    return p, q


@pytest.mark.parametrize("n", [1, 2, 7, 100, 5000, 70_000])
@pytest.mark.parametrize("zeros", [0.0, 0.3])
def test_kl_matches_scipy_entropy(n, zeros):
    rng = np.random.default_rng(n)
    p, q = _random_pair(rng, n, zeros)
    if zeros:
        q[p > 0] += 0.01  # keep KL finite so the comparison is numeric
    ref = entropy(p, q)
    assert_allclose(kl(p, q), ref, rtol=1e-11, atol=1e-15)
    assert_allclose(kl(p, q, base=2), entropy(p, q, base=2), rtol=1e-11, atol=1e-15)
    # rel_entr on normalised inputs is the same sum, term by term.
    pn, qn = p / p.sum(), q / q.sum()
    assert_allclose(kl(p, q), rel_entr(pn, qn).sum(), rtol=1e-11, atol=1e-15)


@pytest.mark.parametrize("n", [1, 2, 7, 100, 5000, 70_000])
@pytest.mark.parametrize("zeros", [0.0, 0.3])
def test_js_matches_scipy_jensenshannon(n, zeros):
    rng = np.random.default_rng(1000 + n)
    p, q = _random_pair(rng, n, zeros)
    ref = jensenshannon(p, q) ** 2
    assert_allclose(js(p, q), ref, rtol=1e-11, atol=1e-15)
    assert_allclose(js_distance(p, q), jensenshannon(p, q), rtol=1e-11, atol=1e-15)
    assert_allclose(
        js_distance(p, q, base=2), jensenshannon(p, q, base=2), rtol=1e-11, atol=1e-15
    )


@pytest.mark.parametrize("n", [1, 3, 100, 70_000])
def test_tv_matches_definition(n):
    rng = np.random.default_rng(2000 + n)
    p, q = _random_pair(rng, n, 0.2)
    ref = 0.5 * np.abs(p / p.sum() - q / q.sum()).sum()
    assert_allclose(tv(p, q), ref, rtol=1e-12, atol=1e-16)


def test_hand_derived_values():
    # KL([1/2, 1/2] || [1/4, 3/4]) = 1/2 log 2 + 1/2 log(2/3) = 1/2 log(4/3)
    assert_allclose(kl([0.5, 0.5], [0.25, 0.75]), 0.5 * math.log(4 / 3), rtol=1e-15)
    # JS([1, 0], [1/2, 1/2]): M = [3/4, 1/4];
    # KL(P||M) = log(4/3); KL(Q||M) = 1/2 log(2/3) + 1/2 log 2 = 1/2 log(4/3)
    assert_allclose(js([1, 0], [0.5, 0.5]), 0.75 * math.log(4 / 3), rtol=1e-15)
    assert_allclose(tv([0.5, 0.5], [0.25, 0.75]), 0.25, rtol=1e-15)
    # Unnormalised input is normalised first (SciPy's convention).
    assert_allclose(kl([2, 2], [1, 3]), 0.5 * math.log(4 / 3), rtol=1e-15)
    assert_allclose(tv([3, 1], [1, 3]), 0.5, rtol=1e-15)


def test_disjoint_supports_are_extreme():
    p, q = [1, 2, 0, 0], [0, 0, 5, 1]
    assert tv(p, q) == 1.0
    assert js(p, q) == pytest.approx(LOG2, rel=1e-15)
    assert js(p, q, base=2) == pytest.approx(1.0, rel=1e-15)
    assert kl(p, q) == np.inf
    assert kl(q, p) == np.inf


def test_zero_conventions():
    # 0 log(0/q) = 0: bins with p = 0 contribute nothing, whatever q is.
    assert_allclose(kl([1, 0], [0.5, 0.5]), LOG2, rtol=1e-15)
    # q = 0 < p gives +inf; p = q = 0 bins are ignored.
    assert kl([0.5, 0.5, 0], [1, 0, 0]) == np.inf
    assert_allclose(kl([1, 0, 0], [1, 0, 0]), 0.0, atol=0)
    assert js([1, 0, 0], [1, 0, 0]) == 0.0


def test_identity_is_exactly_zero():
    rng = np.random.default_rng(3)
    p = rng.random(1000)
    assert kl(p, p) == 0.0
    assert js(p, p) == 0.0
    assert tv(p, p) == 0.0
    assert kl(p, 3 * p) == pytest.approx(0.0, abs=1e-16)


def test_js_kl_one_ulp_apart_are_finite_and_nonnegative():
    # scipy#20083: jensenshannon returns NaN for about half of such pairs.
    # KL's direct form p log(p/q) - p + q gave rounding-sized (even
    # negative) values here.
    rng = np.random.default_rng(4)
    for _ in range(200):
        p = rng.random(8)
        q = np.nextafter(p, np.inf if rng.random() < 0.5 else -np.inf)
        value = js(p, q)
        assert np.isfinite(value) and value >= 0.0
        assert np.isfinite(js_distance(p, q))
        # Second order in a relative difference of ~1e-16 (after the two
        # normalisations): JS is of order 1e-32, never a rounding-sized 1e-17.
        assert value <= 1e-30
        assert 0.0 <= kl(p, q) <= 1e-29


def test_js_small_difference_second_order_accuracy():
    # JS(p, p + d) = sum d_i^2 / (8 m_i) + O(d^3): check the series branch
    # against that expansion where scipy's direct logs would cancel.
    p = np.array([0.25, 0.25, 0.5])
    d = np.array([1e-6, -1e-6, 0.0])
    q = p + d
    expected = np.sum(d**2 / (8 * (p + q) / 2))
    assert_allclose(js(p, q), expected, rtol=1e-5)


def test_subnormal_entries_are_finite():
    # scipy#19436: jensenshannon returns inf for subnormal entries.
    p = np.array([5e-324, 1e-310, 0.0])
    q = np.array([1e-310, 5e-324, 1e-312])
    assert np.isfinite(js(p, q)) and 0 <= js(p, q) <= LOG2
    assert np.isfinite(kl(p, q))
    assert 0 <= tv(p, q) <= 1
    # Scaling both inputs up to normal range gives the same answer.
    assert_allclose(js(p, q), js(p * 2.0**1000, q * 2.0**1000), rtol=1e-10)
    assert_allclose(kl(p, q), kl(p * 2.0**1000, q * 2.0**1000), rtol=1e-10)


def test_huge_entries_whose_sum_overflows():
    big = np.finfo(np.float64).max
    p = np.array([big, big, 0.0])
    q = np.array([big, 0.0, big])
    assert_allclose(tv(p, q), 0.5, rtol=1e-15)
    assert_allclose(js(p, q), js([1, 1, 0], [1, 0, 1]), rtol=1e-15)
    assert kl(p, q) == np.inf


def test_kl_ratio_overflow_is_exact():
    # p/q overflows float64 when q is subnormal; KL is still finite.
    p = np.array([0.5, 0.5])
    q = np.array([1e-320, 1.0])
    pn, qn = p / p.sum(), q / q.sum()
    expected = 0.5 * (math.log(0.5) - math.log(1e-320) + math.log(q.sum())) + 0.5 * math.log(
        pn[1] / qn[1]
    )
    assert np.isfinite(kl(p, q))
    assert_allclose(kl(p, q), expected, rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.uint8, np.int32, bool])
def test_other_dtypes_computed_in_float64(dtype):
    p = np.array([1, 2, 3, 0], dtype=dtype) if dtype is not bool else np.array([1, 1, 0, 1], bool)
    q = np.array([2, 1, 1, 1], dtype=dtype) if dtype is not bool else np.array([1, 1, 1, 1], bool)
    p64, q64 = p.astype(np.float64), q.astype(np.float64)
    assert kl(p, q) == kl(p64, q64)
    assert js(p, q) == js(p64, q64)
    assert tv(p, q) == tv(p64, q64)


def test_lists_and_tuples_accepted():
    assert tv((1, 0), [0, 1]) == 1.0


def test_bases():
    p, q = [0.2, 0.8], [0.6, 0.4]
    for base in (2, 10, math.e, 1.0 + 2**-20, 1e300):  # bases <= 1: test_options.py
        assert_allclose(kl(p, q, base=base), kl(p, q) / math.log(base), rtol=1e-14)
        assert_allclose(js(p, q, base=base), js(p, q) / math.log(base), rtol=1e-14)


def test_parallel_and_serial_kernels_agree_bit_for_bit():
    rng = np.random.default_rng(5)
    p = rng.random((3, 50_000))
    q = rng.random((3, 50_000))
    p[:, ::7] = 0.0
    for kind in (_kernels.KIND_TV, _kernels.KIND_KL, _kernels.KIND_JS):
        outs = []
        for parallel in (False, True):
            out = np.empty(3)
            status = _kernels.divergence(p, q, kind, out, np.empty(3), np.empty(3), parallel)
            assert status == 0
            outs.append(out)
        np.testing.assert_array_equal(outs[0], outs[1])


def test_large_input_matches_scipy():
    from divergences._divergences import PARALLEL_MIN_BINS

    rng = np.random.default_rng(6)
    n = PARALLEL_MIN_BINS + 3  # parallel when the cores are idle; not a multiple of the chunk
    p, q = rng.random(n), rng.random(n)
    assert_allclose(kl(p, q), entropy(p, q), rtol=1e-10)
    assert_allclose(js(p, q), jensenshannon(p, q) ** 2, rtol=1e-10)
