"""Hypothesis properties of TV, KL and JS (inequalities in DESIGN.md)."""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from divergences import js, js_distance, kl, tv
from tests.strategies import histogram_pairs, histogram_triples

LOG2 = math.log(2.0)
EPS = 1e-12  # rounding slack for sums of O(30) terms of magnitude <= 1


@given(histogram_pairs())
def test_ranges(pq):
    p, q = pq
    t, j, k = tv(p, q), js(p, q), kl(p, q)
    assert 0.0 <= t <= 1.0
    assert 0.0 <= j <= LOG2
    assert 0.0 <= js(p, q, base=2) <= 1.0
    assert k >= 0.0 and not np.isnan(k)
    assert np.isfinite(js_distance(p, q))


@given(histogram_pairs())
def test_symmetry(pq):
    p, q = pq
    assert tv(p, q) == tv(q, p)
    assert js(p, q) == js(q, p)


@given(histogram_pairs())
def test_identity(pq):
    p, _ = pq
    assert tv(p, p) == 0.0
    assert js(p, p) == 0.0
    assert kl(p, p) <= EPS


@given(histogram_triples())
def test_triangle_inequalities(pqr):
    p, q, r = pqr
    assert tv(p, r) <= tv(p, q) + tv(q, r) + EPS
    assert js_distance(p, r) <= js_distance(p, q) + js_distance(q, r) + 1e-9


@given(histogram_pairs())
def test_inequalities_between_divergences(pq):
    p, q = pq
    t, j, k = tv(p, q), js(p, q), kl(p, q)
    assert t * t <= 2.0 * j + EPS  # TV^2 <= 2 JS
    assert j <= t * LOG2 + EPS  # JS <= TV log 2
    assert t <= math.sqrt(k / 2.0) + EPS  # Pinsker (trivial when KL = inf)


@given(histogram_pairs(), st.randoms(use_true_random=False))
def test_joint_permutation_invariance(pq, random):
    p, q = pq
    perm = list(range(p.shape[0]))
    random.shuffle(perm)
    # Each term (e.g. |p_i - q_i| of normalised bins) is rounded to a few ulps
    # of p_i + q_i, whose sum is 2, and permuting changes the summation
    # order: the difference is bounded in absolute terms, not relative to a
    # result that may be tiny (nearly equal histograms).
    for f in (tv, kl, js):
        a, b = f(p, q), f(p[perm], q[perm])
        assert a == b or abs(a - b) <= 1e-12 * abs(a) + 64 * np.finfo(float).eps


@given(histogram_pairs(), st.floats(1e-3, 1e3))
def test_scale_invariance(pq, c):
    # Normalisation rounds each bin once (relative 1e-16), so the results
    # agree to rounding: relative 1e-9 for O(30) terms, absolute 1e-14 near 0.
    p, q = pq
    for f in (tv, kl, js):
        a, b = f(p, q), f(c * p, q)
        assert (a == b) or abs(a - b) <= 1e-9 * abs(a) + 1e-14


@given(st.lists(histogram_pairs(min_bins=5, max_bins=5), min_size=1, max_size=6))
def test_batch_equals_loop_of_singles(pairs):
    P = np.stack([p for p, _ in pairs])
    Q = np.stack([q for _, q in pairs])
    for f in (tv, kl, js):
        batch = f(P, Q)
        loop = [f(p, q) for p, q in pairs]
        np.testing.assert_array_equal(batch, loop)
