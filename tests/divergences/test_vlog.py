"""The vectorisable logarithm and the JS series against 40-digit decimal
references: their near-minimax polynomials re-derived and bounded, the
logarithm within 1 ulp, JS within a few eps, never NaN."""

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest

from divergences import js
from divergences import _kernels, _vlog
from tests.divergences.decimal_reference import normalised_pairs

EPS = np.finfo(np.float64).eps


def _series(term, x):
    """sum_{k>=1} term(k) x^(k-1) in decimal arithmetic, to 1e-60."""
    total, power, k = Decimal(0), Decimal(1), 1
    while True:
        t = term(k) * power
        total += t
        if t < Decimal(10) ** -60:
            return total
        power *= x
        k += 1


def _g_log(z):
    # R(z) / z for the log: sum 2 z^(j-1) / (2j + 1).
    return _series(lambda j: Decimal(2) / (2 * j + 1), z)


def _g_js(u):
    # h(t) / t^2 for JS, u = t^2: sum u^(k-1) / (2k (2k - 1)).
    return _series(lambda k: Decimal(1) / (2 * k * (2 * k - 1)), u)


def _chebyshev_fit(f, x_max, n):
    """Monomial coefficients of the interpolant of f at the n Chebyshev nodes
    of [0, x_max], by Gaussian elimination in decimal arithmetic."""
    nodes = [x_max / 2 * (1 - Decimal(math.cos((2 * i + 1) * math.pi / (2 * n))))
             for i in range(n)]
    rows = [[x**k for k in range(n)] + [f(x)] for x in nodes]
    for c in range(n):
        pivot = max(range(c, n), key=lambda r: abs(rows[r][c]))
        rows[c], rows[pivot] = rows[pivot], rows[c]
        for r in range(n):
            if r != c:
                factor = rows[r][c] / rows[c][c]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[c])]
    return [rows[i][n] / rows[i][i] for i in range(n)]


def _max_relative_error(f, coefs, x_max, points=300):
    worst = Decimal(0)
    for i in range(points + 1):
        x = x_max * i / points
        p = Decimal(0)
        for c in reversed(coefs):
            p = p * x + Decimal(c)
        worst = max(worst, abs(p - f(x)) / f(x))
    return float(worst)


@pytest.mark.parametrize(
    "name, f, coefs, x_max, bound",
    [
        # Enters the log through s R only, damped by z / 3 < 0.0099.
        ("log R", _g_log, _vlog._R, Decimal(_vlog.Z_MAX), 5e-16),
        ("JS series", _g_js, _kernels._H, Decimal(1) / 16, 3e-18),
    ],
)
def test_polynomials_are_the_documented_fits_and_meet_their_bounds(
    name, f, coefs, x_max, bound
):
    with localcontext() as ctx:
        ctx.prec = 80
        fitted = _chebyshev_fit(f, x_max, len(coefs))
        # The literals are the fit rounded to float64 (the nodes' cosines in
        # float64 move the fit by far less than the coefficients' rounding).
        assert_close = [abs(float(a) - b) <= 4 * math.ulp(b) for a, b in zip(fitted, coefs)]
        assert all(assert_close), name
        assert _max_relative_error(f, coefs, x_max) <= bound, name


def _ulps(values, xs):
    worst = 0.0
    with localcontext() as ctx:
        ctx.prec = 40
        for x, y in zip(xs, values):
            ref = Decimal(float(x)).ln()
            if ref != 0:
                worst = max(worst, float(abs(Decimal(float(y)) - ref)) / math.ulp(abs(float(ref))))
            else:
                assert y == 0.0
    return worst


def test_log2_inplace_within_one_ulp_and_symmetric_in_its_slots():
    rng = np.random.default_rng(11)
    xs = np.concatenate([
        rng.uniform(0.0, 2.0, 3000),
        np.exp(rng.uniform(-744.0, 709.0, 3000)),  # subnormals to huge
        1.0 + rng.uniform(-1e-3, 1e-3, 1000),
        [1.0, 2.0, 0.5, np.sqrt(0.5), np.sqrt(2.0), 5e-324, np.finfo(np.float64).max],
    ])
    xs = xs[xs > 0]
    a, b = xs.copy(), xs[::-1].copy()
    _vlog.log2_inplace(a, b, np.empty(4 * xs.size), xs.size)
    assert _ulps(a, xs) <= 1.0
    # The same operations in both slots: the reversed copy gives the same bits.
    np.testing.assert_array_equal(b[::-1], a)
    special = np.array([0.0, np.inf, 1.0])
    a, b = special.copy(), special[::-1].copy()
    _vlog.log2_inplace(a, b, np.empty(12), 3)
    np.testing.assert_array_equal(a, [-np.inf, np.inf, 0.0])
    np.testing.assert_array_equal(b, [0.0, np.inf, -np.inf])


def _reference_js(p, q):
    """JS of p/sum p and q/sum q (exact binary values) in 40-digit decimal:
    sum of (a log(2a/(a+b)) + b log(2b/(a+b))) / 2, by hand."""
    with localcontext() as ctx:
        ctx.prec = 40
        total = Decimal(0)
        for a, b in normalised_pairs(p, q):
            for x in (a, b):
                if x > 0:
                    total += x * (2 * x / (a + b)).ln()
        return total / 2


@pytest.mark.parametrize("case", ["random", "near the switch", "tiny against large", "zeros"])
def test_js_against_a_decimal_reference(case):
    rng = np.random.default_rng(12)
    worst = 0.0
    for _ in range(30):
        n = 64
        p, q = rng.random(n), rng.random(n)
        if case == "near the switch":  # |t| around 1/4, where series and logs meet
            t = rng.uniform(0.2, 0.3, n) * rng.choice([-1.0, 1.0], n)
            q = p * (1.0 - t) / (1.0 + t)
        elif case == "tiny against large":  # A or B near 0: log B down to -700
            k = rng.random(n) < 0.5
            q[k] *= 10.0 ** rng.uniform(-300.0, -5.0, k.sum())
        elif case == "zeros":
            p[rng.random(n) < 0.3] = 0.0
            q[rng.random(n) < 0.3] = 0.0
            p[0] += 1.0
            q[0] += 1.0
        value = js(p, q)
        ref = _reference_js(p, q)
        worst = max(worst, float(abs(Decimal(value) - ref) / ref) / EPS)
    # Per term: A, B and t to ~2 ulps (one reciprocal), the logs to 1 ulp; at
    # |t| = 1/4 the direct form cancels by a factor ~8 (h = 0.0316 against
    # terms of 0.28): ~16 eps there, the series and elsewhere a few eps;
    # the row sums add ~n eps / 2.  Observed: 15 eps near the switch, <= 5
    # elsewhere.
    assert worst <= 24 + n / 2


def test_js_where_one_over_p_plus_q_overflows():
    # Normalised p + q below 2^-1024 in some bins: 1 / (p + q) would be inf
    # (and A = 0 * inf NaN); those bins are formed by division instead.
    p = np.array([0.5, 0.5, 1e-320, 3e-321, 0.0])
    q = np.array([0.25, 0.75, 2e-320, 0.0, 5e-324])
    value = js(p, q)
    assert np.isfinite(value) and value >= 0.0
    ref = _reference_js(p, q)
    assert abs(Decimal(value) - ref) <= Decimal(8 * EPS) * ref
