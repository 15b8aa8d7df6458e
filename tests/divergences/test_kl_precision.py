"""KL of nearly equal histograms against a 60-digit reference.

p log(p/q) - p + q cancels to O((p - q)^2) when p ~ q: summed as written,
its rounding errors (eps times p) swamp the value.  The kernel sums
(p + q)(s^2 + (1 + s)(atanh s - s)) with s = (p - q)/(p + q) instead; these
tests hold it to a relative error of a few eps times the number of bins.
"""

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from divergences import kl, pairwise
from tests.divergences.decimal_reference import normalised_pairs

EPS = np.finfo(np.float64).eps


def reference_kl(p, q):
    """KL(p/sum p || q/sum q) of the exact binary values of p and q, in
    60-digit decimal arithmetic, summed as q_i h(t_i) with
    h(t) = (1 + t) log(1 + t) - t and t_i = p_i / q_i - 1 (each term >= 0,
    so the sum loses nothing).  By hand, not with the code under test."""
    with localcontext() as ctx:
        ctx.prec = 60
        total = Decimal(0)
        for a, b in normalised_pairs(p, q):
            if b == 0:
                if a > 0:
                    return math.inf
                continue
            t = a / b - 1
            total += b * ((1 + t) * (1 + t).ln() - t) if a > 0 else b
        return total


def relative_error(value, ref):
    return float(abs(Decimal(value) - ref) / ref)


def bound(n):
    """Relative error allowed for n bins when the row sums are exact.

    Per term, where p/q lies in [sqrt(1/2), sqrt(2)) (the series): s to
    ~2 ulps (p c - q exact in double-double, one rounding each in it, in
    p c + q and in the quotient), s^2 to ~5, the series and p + q to ~3
    more: <= 8 eps.  Elsewhere, the direct form p log r - p + q: r to
    1.5 ulps, hence log r to 1.5 eps absolute, p and q to 1 ulp each; at
    r = sqrt(2) the term is 0.054 p against p log r = 0.35 p, so its worst
    case is ~3.5 eps p / 0.054 p = 65 eps (it shrinks fast with |log r|).
    Summing n non-negative terms adds <= n eps.  Observed: <= 9 eps.
    """
    return (72 + n) * EPS


def assert_within_float_sum_bound(value, ref, n):
    """For rows of arbitrary floats, whose sums round: with both sums off by
    at most n eps (relative), the normalised histograms are off by a common
    factor each, which moves KL by O(n eps) relative plus
    (delta_p - delta_q)^2 / 2 <= 2 (n eps)^2 absolute (the first-order term
    sum q h'(t) delta vanishes at equal masses).  That error is the row
    sums', and SciPy's; the per-term bound is that of the exact-sum test."""
    err = abs(Decimal(value) - ref)
    assert err <= Decimal(bound(2 * n)) * ref + Decimal(2 * (n * EPS) ** 2)


@st.composite
def nearly_equal_counts(draw, max_bins=40):
    """Histograms of counts q and p = q + k, |k| <= 2^j with j from 0 (p/q - 1
    of order 1e-12) to 40 (some bins far apart, some emptied), times a power
    of two.  Counts below 2^53 in total, so both row sums are exact: the
    rounding of a sum of arbitrary floats (n eps relative) is not the
    kernel's to fix, and shifts KL by O((n eps)^2) absolute."""
    n = draw(st.integers(1, max_bins))
    q = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 2**40)))
    j = draw(st.integers(0, 40))
    k = draw(hnp.arrays(np.int64, n, elements=st.integers(-(2**j), 2**j)))
    p = np.where(q > 0, np.maximum(q + k, 0), 0)
    q[0] += 1
    p[0] += 1
    scale = 2.0 ** draw(st.integers(-60, 60))
    return p.astype(np.float64) * scale, q.astype(np.float64) * scale


@given(nearly_equal_counts())
def test_nearly_equal_counts_against_60_digits(pq):
    p, q = pq
    n = p.shape[0]
    value = kl(p, q)
    ref = reference_kl(p, q)
    if ref == 0:
        # Equal normalised histograms: s = (p - q)/(p + q) is computed in
        # double-double, exact to ~eps^2, so KL is O(eps^4) at most.
        assert 0.0 <= value <= 1e-60
        return
    assert relative_error(value, ref) <= bound(n)


@pytest.mark.parametrize("d", [1e-4, 1e-8, 1e-12])
def test_two_bins_swapped_against_60_digits(d):
    # Cancellation of p log(p/q) - p + q made the errors 2.8e-9, 0.11 and 1.0
    # (SciPy's entropy: 2.2e-12, 5.9e-9, 1.3e-4).  The row sums are equal
    # (the same two numbers), so the bound of the property above applies.
    p = np.array([1.0, 1.0 + d])
    q = np.array([1.0 + d, 1.0])
    ref = reference_kl(p, q)
    assert relative_error(kl(p, q), ref) <= bound(2)
    assert relative_error(kl(q, p), ref) <= bound(2)


@pytest.mark.parametrize("n", [3, 700, 9000])
def test_all_paths_agree_on_nearly_equal_histograms(n):
    # The single-pair fast path (n <= CHUNK), the batch kernel (several
    # blocks and tasks) and pairwise run the same term: the same bits.
    rng = np.random.default_rng(11)
    q = rng.random((4, n)) + 0.5
    p = q * (1.0 + 1e-9 * rng.standard_normal((4, n)))
    batch = kl(p, q)
    for r in range(4):
        assert kl(p[r], q[r]) == batch[r]
    assert np.array_equal(np.diag(pairwise(p, q, metric="kl")), batch)
    if n <= 700:
        assert_within_float_sum_bound(batch[0], reference_kl(p[0], q[0]), n)


def test_series_and_direct_forms_meet():
    # The series is used where p/q lies in [sqrt(1/2), sqrt(2)), i.e.
    # |s| < (sqrt(2) - 1) / (sqrt(2) + 1); just inside and outside, both
    # forms are accurate (the direct one loses at most a factor 7 to cancellation there).
    edge = (math.sqrt(2.0) - 1.0) / (math.sqrt(2.0) + 1.0)
    for s in (edge * (1 - 1e-9), edge * (1 + 1e-9), 0.5, 0.9):
        for sign in (1.0, -1.0):
            p = np.array([1.0 + sign * s, 1.0 - sign * s])
            q = np.array([1.0 - sign * s, 1.0 + sign * s])
            ref = reference_kl(p, q)
            assert relative_error(kl(p, q), ref) <= bound(2)
