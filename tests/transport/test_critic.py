"""critic_report: the audit of a critic against the exact W_1, and the exact
Lipschitz scan behind it (checked against a NumPy brute force over all
pairs, and the blocked matrix-product route against the direct one)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from transport import critic_report, kr_dual
from transport._core._metrics import METRICS
from transport._samples import _lipschitz
from transport._samples._lipschitz import lipschitz_scan

from ..strategies import weighted_clouds

METRIC_NAMES = ["euclidean", "cityblock", "chebyshev"]


def brute_force(Z, f, metric, rtol=0.0):
    """Max ratio and violation count over all pairs i < j, in NumPy."""
    diff = Z[:, None, :] - Z[None, :, :]
    if metric == "euclidean":
        D = np.sqrt((diff**2).sum(axis=-1))
    elif metric == "cityblock":
        D = np.abs(diff).sum(axis=-1)
    else:
        D = np.abs(diff).max(axis=-1)
    i, j = np.triu_indices(Z.shape[0], 1)
    df, d = np.abs(f[i] - f[j]), D[i, j]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(df == 0, 0.0, df / d)
    violated = (df > (1 + rtol) * d) | ((d == 0) & (df > 0))
    return (float(ratio.max()) if ratio.size else 0.0), int(violated.sum())


def exact_gradient(dual, Z, tol=1e-9):
    """The gradient of the McShane critic min_k f_k + |z - x_k| at z, NaN
    where it is undefined: (z - x_k) / |z - x_k| for the atoms x_k != z whose
    cone is tight at z, when they all give one direction."""
    support, f = dual.support, dual.f
    fz = dual.critic(Z)
    scale = tol * max(1.0, float(np.ptp(support, axis=0).max()))
    out = np.full(Z.shape, np.nan)
    for k, z in enumerate(Z):
        diff = z - support
        dist = np.sqrt((diff**2).sum(axis=1))
        away = dist > 0
        tight = away & (f + dist <= fz[k] + scale)
        if not tight.any():
            continue
        dirs = diff[tight] / dist[tight, None]
        if np.abs(dirs - dirs[0]).max() <= 1e-6:
            out[k] = dirs[0]
    return out


def clouds(seed, n=60, m=50, d=2, shift=1.5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = rng.normal(size=(m, d)) + shift * np.eye(d)[0]
    return X, Y


# --------------------------------------------------------------------------
# The exact critic and its multiples
# --------------------------------------------------------------------------
@pytest.mark.parametrize("metric", METRIC_NAMES)
def test_exact_critic_is_audited_as_exact(metric):
    X, Y = clouds(0)
    a = np.random.default_rng(1).random(X.shape[0]) + 0.1
    dual = kr_dual(X, Y, a, metric=metric)
    report = critic_report(dual.critic, X, Y, a, metric=metric)
    assert report.status == "optimal"
    # primal and dual solved independently: equal up to rounding of O(1) data
    assert abs(report.gap) <= 1e-9 * report.w1
    assert report.lipschitz <= 1 + 1e-12
    assert report.violations == 0.0
    assert_allclose(report.lower_bound, report.w1, rtol=1e-12)
    assert report.lower_bound <= report.estimate
    assert report.exact.value == pytest.approx(report.w1, rel=1e-12)


@pytest.mark.parametrize("method", ["transshipment", "constraint_generation"])
def test_exact_critic_gradient_points_along_the_transport(method):
    X, Y = clouds(2, n=40, m=40)
    dual = kr_dual(X, Y, method=method)
    report = critic_report(dual.critic, X, Y, grad=lambda Z: exact_gradient(dual, Z))
    # where the exact critic's gradient is defined it is the unit transport
    # direction: cosine 1 up to rounding
    assert_allclose(report.grad_cosine, 1.0, rtol=1e-12)
    # the gradient is defined at the x_i with one tight direction; the LP's
    # critic is a vertex, at which many x_i have two, and how many depends on
    # the vertex the solver returns
    assert report.grad_coverage > 0
    # the opposite critic points the other way
    flipped = critic_report(lambda Z: -dual.critic(Z), X, Y,
                            grad=lambda Z: -exact_gradient(dual, Z))
    assert_allclose(flipped.grad_cosine, -1.0, rtol=1e-12)
    assert flipped.estimate == pytest.approx(-report.estimate, rel=1e-12)
    assert flipped.lower_bound < 0


def test_three_times_the_exact_critic():
    X, Y = clouds(3)
    dual = kr_dual(X, Y)
    report = critic_report(lambda Z: 3.0 * dual.critic(Z), X, Y)
    assert_allclose(report.lipschitz, 3.0, rtol=1e-12)
    assert_allclose(report.lower_bound, report.w1, rtol=1e-12)
    assert_allclose(report.rescaled_estimate, report.w1, rtol=1e-12)
    assert_allclose(report.estimate, 3.0 * report.w1, rtol=1e-9)
    assert report.violations > 0


def test_linear_critic_on_shifted_clouds():
    # Y = X + s: W_1 = |s| (a translation), and f(z) = -<z, s> / |s| is an
    # optimal 1-Lipschitz critic whose gradient is the transport direction
    rng = np.random.default_rng(4)
    X = rng.random((50, 3))
    s = np.array([3.0, -4.0, 0.0])
    Y = X + s
    u = -s / 5.0
    report = critic_report(lambda Z: Z @ u, X, Y, grad=lambda Z: np.tile(u, (len(Z), 1)))
    assert_allclose(report.w1, 5.0, rtol=1e-12)
    assert_allclose(report.estimate, 5.0, rtol=1e-12)
    assert_allclose(report.lipschitz, 1.0, rtol=1e-12)
    assert_allclose(report.grad_cosine, 1.0, rtol=1e-12)
    assert_allclose(report.grad_coverage, 1.0, rtol=1e-12)


def test_constant_critic():
    X, Y = clouds(5)
    report = critic_report(lambda Z: np.full(len(Z), 7.25), X, Y,
                           grad=lambda Z: np.zeros(Z.shape))
    assert report.estimate == 0.0
    assert report.lipschitz == 0.0
    assert report.violations == 0.0
    assert report.lower_bound == 0.0
    assert math.isnan(report.rescaled_estimate)
    assert report.worst_pair is None
    assert report.grad_cosine == 0.0  # a zero gradient points nowhere
    assert_allclose(report.gap, report.w1, rtol=0)


def test_scaled_critic_and_shifted_values():
    # the report of c f + t: estimate c times, Lipschitz c times, same bounds
    X, Y = clouds(6)
    base = critic_report(lambda Z: np.sin(Z[:, 0]) - Z[:, 1] ** 2 / 5, X, Y)
    other = critic_report(lambda Z: 0.25 * (np.sin(Z[:, 0]) - Z[:, 1] ** 2 / 5) + 1e6, X, Y)
    assert_allclose(other.lipschitz, 0.25 * base.lipschitz, rtol=1e-9)
    assert_allclose(other.estimate, 0.25 * base.estimate, rtol=1e-9)
    assert_allclose(other.rescaled_estimate, base.rescaled_estimate, rtol=1e-9)
    assert other.worst_pair == base.worst_pair


def test_duplicate_samples_with_different_values_make_lipschitz_infinite():
    X, Y = clouds(7)
    Y[0] = X[3]
    rng = np.random.default_rng(8)
    report = critic_report(lambda Z: rng.random(len(Z)), X, Y)
    assert report.lipschitz == math.inf
    assert report.lower_bound == 0.0
    assert sorted(report.worst_pair) == [3, X.shape[0]]
    # identical samples with equal values are skipped
    same = critic_report(lambda Z: Z[:, 0], X, Y)
    assert same.lipschitz <= 1.0 + 1e-15


def test_str_is_a_short_table():
    X, Y = clouds(9)
    dual = kr_dual(X, Y)
    text = str(critic_report(dual.critic, X, Y, grad=lambda Z: exact_gradient(dual, Z)))
    for key in ("exact W_1", "estimate", "Lipschitz constant", "violations",
                "lower bound", "gradient cosine"):
        assert key in text
    assert len(text.splitlines()) <= 12


def test_exact_is_computed_on_first_access_only(monkeypatch):
    import transport._samples._critic as mod

    X, Y = clouds(10)
    calls = []
    real = mod.kr_dual

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(mod, "kr_dual", counting)
    report = critic_report(lambda Z: Z[:, 0], X, Y)
    assert calls == []
    first = report.exact
    assert report.exact is first and calls == [1]
    with pytest.raises(Exception):
        report.w1 = 0.0  # frozen


def test_critic_called_in_batches():
    X, Y = clouds(11, n=23, m=17)
    sizes = []

    def critic(Z):
        sizes.append(Z.shape[0])
        Z[:] = 0.0  # a copy: the samples stay as they were
        return np.zeros((len(Z), 1), dtype=np.float32)

    report = critic_report(critic, X, Y, batch_size=7)
    assert sizes == [7] * 5 + [5]
    assert report.lipschitz == 0.0
    X2, Y2 = clouds(11, n=23, m=17)
    assert np.array_equal(X, X2) and np.array_equal(Y, Y2)


def test_points_on_the_line():
    x = np.array([0.0, 1.0, 2.0])
    y = np.array([3.0, 4.0])
    report = critic_report(lambda Z: -Z[:, 0], x, y, grad=lambda Z: -np.ones(len(Z)))
    assert_allclose(report.w1, 3.0 - 1.0 + 0.5, rtol=1e-12)
    assert_allclose(report.estimate, report.w1, rtol=1e-12)
    assert report.grad_cosine == 1.0


# --------------------------------------------------------------------------
# Random critics (hypothesis): Lipschitz against brute force, bounds hold
# --------------------------------------------------------------------------
@st.composite
def random_critics(draw, d):
    seed = draw(st.integers(0, 2**32 - 1))
    width = draw(st.integers(1, 6))
    scale = draw(st.sampled_from([1e-3, 0.1, 1.0, 10.0, 1e4]))
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(d, width))
    c = rng.normal(size=width)
    v = rng.normal(size=width) * scale
    offset = draw(st.sampled_from([0.0, 3.0, -1e8]))
    return lambda Z: np.tanh(Z @ W + c) @ v + offset


@given(data=st.data(), metric=st.sampled_from(METRIC_NAMES))
def test_random_critics_against_brute_force(data, metric):
    X, Y, a, b = data.draw(weighted_clouds())
    critic = data.draw(random_critics(X.shape[1]))
    report = critic_report(critic, X, Y, a, b, metric=metric)
    Z = np.concatenate([X, Y])
    # the critic on the pooled samples, as the report calls it: a network
    # evaluated on X and Y apart may round one point's value differently
    # (BLAS on another number of rows), which at distance 0 is a ratio of inf
    f = critic(Z)
    lip, n_viol = brute_force(Z, f, metric, rtol=1e-12)
    # the same ratios up to the distances' summation order (a few ulps)
    assert_allclose(report.lipschitz, lip, rtol=1e-14)
    assert round(report.violations * report.n_pairs) == n_viol
    assert report.n_pairs == Z.shape[0] * (Z.shape[0] - 1) // 2
    assert report.lower_bound <= report.w1
    if report.estimate > 0 and report.lipschitz > 0:
        assert report.rescaled_estimate <= report.w1
    if report.worst_pair is not None:
        k, l = report.worst_pair
        ratio = abs(f[k] - f[l]) / np.linalg.norm(Z[k] - Z[l], ord={
            "euclidean": 2, "cityblock": 1, "chebyshev": np.inf}[metric])
        assert_allclose(ratio, report.lipschitz, rtol=1e-14)


@given(d=st.integers(8, 24), n=st.integers(2, 150), seed=st.integers(0, 2**32 - 1),
       offset=st.sampled_from([0.0, 10.0, 1e4]), near=st.booleans(),
       scale=st.sampled_from([1e-200, 1.0, 1e200]))
def test_blocked_route_equals_direct_route(d, n, seed, offset, near, scale):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, d)) + offset
    if near:  # near-duplicates and exact duplicates: ratios the bracket cannot bound
        Z[n // 2:] = Z[: n - n // 2] + rng.normal(size=(n - n // 2, d)) * 1e-9
        Z[-1] = Z[0]
    Z *= scale
    f = np.sin(Z @ rng.normal(size=d) / scale) * rng.choice([1e-3, 1.0, 3.0])
    f[-1] = f[0]
    code = METRICS["euclidean"].code
    direct = lipschitz_scan(Z, f, code, 1e-12, route="direct")
    blocked = lipschitz_scan(Z, f, code, 1e-12, block=16, route="blocked")
    assert blocked.lipschitz == direct.lipschitz
    assert blocked.n_violations == direct.n_violations


def test_blocked_route_against_brute_force_in_64_d():
    rng = np.random.default_rng(12)
    Z = rng.normal(size=(700, 64)) + 2.0
    f = np.tanh(Z @ rng.normal(size=64) / 4) * 5
    code = METRICS["euclidean"].code
    res = lipschitz_scan(Z, f, code, 0.0, block=128, route="blocked")
    lip, n_viol = brute_force(Z, f, "euclidean")
    assert_allclose(res.lipschitz, lip, rtol=1e-14)
    assert res.n_violations == n_viol > 0


@pytest.mark.parametrize("metric, route", [("euclidean", "direct"), ("euclidean", "blocked"),
                                           ("cityblock", "direct"), ("chebyshev", "direct")])
def test_parallel_and_serial_twins_agree(metric, route, monkeypatch):
    rng = np.random.default_rng(13)
    Z = rng.normal(size=(300, 12))
    f = 4.0 * (np.cos(Z[:, 0] * 3) + Z[:, 1])  # steep enough to violate in every metric
    code = METRICS[metric].code
    monkeypatch.setattr(_lipschitz, "PARALLEL_MIN", 10**9)
    serial = lipschitz_scan(Z, f, code, 0.0, block=64, route=route)
    monkeypatch.setattr(_lipschitz, "PARALLEL_MIN", 0)
    parallel = lipschitz_scan(Z, f, code, 0.0, block=64, route=route)
    assert serial == parallel
    assert serial.n_violations > 0


# --------------------------------------------------------------------------
# Bad critics and bad input, refused by name
# --------------------------------------------------------------------------
def _raise(Z):
    raise ZeroDivisionError("boom")


@pytest.mark.parametrize(
    "critic, error, message",
    [
        (None, TypeError, "`critic` must be callable"),
        (_raise, ValueError, "`critic` raised ZeroDivisionError"),
        (lambda Z: np.full(len(Z), np.nan), ValueError, "returned NaN"),
        (lambda Z: np.where(Z[:, 0] > 0, np.inf, 0.0), ValueError, "returned inf"),
        (lambda Z: Z, ValueError, "returned shape"),
        (lambda Z: np.zeros(len(Z) + 1), ValueError, "returned shape"),
        (lambda Z: 1.0, ValueError, "returned shape"),
        (lambda Z: np.array(["a"] * len(Z)), TypeError, "real numbers"),
        (lambda Z: None, TypeError, "real numbers"),
        (lambda Z: np.zeros(len(Z), dtype=complex), TypeError, "real numbers"),
    ],
)
def test_bad_critics_are_refused_by_name(critic, error, message):
    X, Y = clouds(14, n=5, m=5)
    with pytest.raises(error, match=message) as exc:
        critic_report(critic, X, Y)
    if critic is _raise:
        assert isinstance(exc.value.__cause__, ZeroDivisionError)


@pytest.mark.parametrize(
    "grad, metric, error, message",
    [
        (3, "euclidean", TypeError, "`grad` must be callable"),
        (lambda Z: Z, "cityblock", ValueError, "metric='euclidean'"),
        (lambda Z: Z[:, 0], "euclidean", ValueError, "`grad` must map"),
        (lambda Z: np.where(Z > 0, np.nan, 1.0), "euclidean", ValueError, "NaN in some"),
        (lambda Z: np.full(Z.shape, np.inf), "euclidean", ValueError, "with inf"),
        (_raise, "euclidean", ValueError, "`grad` raised ZeroDivisionError"),
    ],
)
def test_bad_gradients_are_refused_by_name(grad, metric, error, message):
    X, Y = clouds(15, n=5, m=5)
    with pytest.raises(error, match=message):
        critic_report(lambda Z: Z[:, 0], X, Y, metric=metric, grad=grad)


def test_nan_gradient_rows_are_left_out():
    X, Y = clouds(16, n=10, m=10)
    u = np.array([-1.0, 0.0])

    def grad(Z):
        G = np.tile(u, (len(Z), 1))
        G[Z[:, 1] > 0] = np.nan
        return G

    report = critic_report(lambda Z: Z @ u, X, Y, grad=grad)
    assert 0 < report.grad_coverage < 1
    everywhere = critic_report(lambda Z: Z @ u, X, Y, grad=lambda Z: np.tile(u, (len(Z), 1)))
    assert everywhere.grad_coverage == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(metric="sqeuclidean"), ValueError, "not a metric"),
        (dict(metric="hamming"), ValueError, "`metric` must be one of"),
        (dict(batch_size=0), ValueError, "`batch_size`"),
        (dict(batch_size=2.5), TypeError, "`batch_size`"),
        (dict(a=[1.0, -1.0, 1.0, 1.0, 1.0]), ValueError, "`a`"),
        (dict(b=[1.0]), ValueError, "`b`"),
    ],
)
def test_bad_options_are_refused_by_name(kwargs, error, message):
    X, Y = clouds(17, n=5, m=5)
    with pytest.raises(error, match=message):
        critic_report(lambda Z: Z[:, 0], X, Y, **kwargs)


def test_bad_samples_are_refused_by_name():
    X, Y = clouds(18, n=5, m=5)
    with pytest.raises(ValueError, match="`X`"):
        critic_report(lambda Z: Z[:, 0], np.full((3, 2), np.nan), Y)
    with pytest.raises(ValueError, match="same space"):
        critic_report(lambda Z: Z[:, 0], X, np.zeros((4, 3)))


def test_uncertified_solve_keeps_the_lower_bound(monkeypatch):
    # a primal solve that cannot prove optimality (its warning is solve's):
    # w1 NaN, the lower bound (independent of the solver) still reported
    import transport._samples._critic as mod

    real = mod.solve

    def failing(*args, **kwargs):
        import dataclasses
        res = real(*args, **kwargs)
        return dataclasses.replace(res, cost=math.nan, status="max_pivots_reached")

    monkeypatch.setattr(mod, "solve", failing)
    X, Y = clouds(19)
    report = critic_report(lambda Z: -Z[:, 0] / 2, X, Y)
    assert math.isnan(report.w1) and math.isnan(report.gap)
    assert report.status == "max_pivots_reached"
    assert report.lower_bound > 0


def test_blocked_route_with_coordinates_below_float32_range():
    # a cluster of spread 1e-45 at the centre of two points at +-1: centred
    # and converted to float32, its coordinates are subnormal or 0, where
    # rounding is absolute (without the bracket's absolute term the blocked
    # route misses the largest ratio here)
    rng = np.random.default_rng(20)
    Z = rng.normal(size=(120, 10)) * 1e-45
    Z[0], Z[1] = 1.0, -1.0
    f = rng.normal(size=120) * 1e-45
    f[:2] = 0.0
    code = METRICS["euclidean"].code
    direct = lipschitz_scan(Z, f, code, 1e-12, route="direct")
    blocked = lipschitz_scan(Z, f, code, 1e-12, block=16, route="blocked")
    assert blocked.lipschitz == direct.lipschitz
    assert blocked.n_violations == direct.n_violations
