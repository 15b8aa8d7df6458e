"""Inputs an adversarial pass found mishandled: each test is a class of
input (read-only arrays, extreme p, tiny distances inside an ordinary
cloud, empty queries), checked against the writable / closed-form answer."""

import itertools
import warnings

import numpy as np
import pytest

import transport

U = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
V = np.array([[1.0, 1.0], [2.0, 0.0]])
A = np.array([0.2, 0.3, 0.5])
B = np.array([0.6, 0.4])
M = np.array([[1.0, 2.0], [0.5, 1.0], [2.0, 0.1]])


def _read_only(x):
    x = np.array(x, dtype=np.float64)
    x.setflags(write=False)
    return x


@pytest.mark.parametrize("flags", list(itertools.product([False, True], repeat=3)),
                         ids=lambda f: "ro-" + "".join("abM"[k] for k in range(3) if f[k]))
@pytest.mark.parametrize("f", [transport.emd2, lambda a, b, M: transport.emd(a, b, M).cost],
                         ids=["emd2", "emd"])
def test_emd_accepts_any_mix_of_read_only_inputs(f, flags):
    args = [_read_only(x) if ro else x for x, ro in zip((A, B, M), flags)]
    assert f(*args) == transport.emd2(A, B, M)


# --- p of any size: a value or a ValueError, never a RuntimeWarning, a raw
# OverflowError or a silently zero cost ---------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402
from scipy.spatial.distance import cdist  # noqa: E402

_P = st.one_of(st.floats(1.0, 2000.0), st.floats(1.0, 1.7e308),
               st.sampled_from([1e3, 1e5, 1e10, 2.0**63, 1e300]))


@given(p=_P, scale_exp=st.integers(-300, 300), metric=st.sampled_from(
    ["euclidean", "sqeuclidean", "cityblock", "chebyshev"]))
def test_cost_matrix_every_representable_cost_at_any_p(p, scale_exp, metric):
    X, Y = U * 10.0**scale_exp, V * 10.0**scale_exp
    with np.errstate(all="ignore"):
        D = cdist(U, V, metric=metric) * 10.0**scale_exp
        if metric == "sqeuclidean":
            D = D * 10.0**scale_exp
        ref = D**p
    # every entry the float nearest d^p (0 where it underflows), unless a
    # cost overflows or the largest one is below the normal range
    fits = np.isfinite(ref).all() and ref.max() >= np.finfo(float).tiny
    # the distances are exact to a few ulp; the power multiplies their
    # relative error by p
    rtol = 8 * p * np.finfo(float).eps
    atol = rtol * ref.max() if fits else 0.0
    # under the strictest floating-point settings a user can choose
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error", RuntimeWarning)
        if fits:
            M = transport.cost_matrix(X, Y, metric=metric, p=p)
        else:
            with pytest.raises(ValueError, match="not representable"):
                transport.cost_matrix(X, Y, metric=metric, p=p)
    if fits:
        assert_allclose(M, ref, rtol=rtol, atol=atol)


def test_cost_matrix_keeps_costs_that_fit_when_others_do_not_fit_scaled():
    # distances 1 and 1.5: 1.5^1000 ~ 1.2e176 fits, yet the distances scaled
    # to at most 1 underflow at p = 1000 (the matrix came back as zeros)
    M = transport.cost_matrix([[0.0, 0.0]], [[1.0, 0.0], [1.5, 0.0]], p=1000)
    assert_allclose(M, [[1.0, 1.5**1000]], rtol=1e-12)


@pytest.mark.parametrize("p", [1e3, 1e10, 2.0**63, 1e300, 1.7e308])
@pytest.mark.parametrize("method", ["network_simplex", "sparse"])
@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "cityblock"])
def test_huge_p_is_refused_by_a_value_error_without_warnings(p, method, metric):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error", RuntimeWarning)
        for f in (transport.wasserstein, transport.solve):
            with pytest.raises(ValueError, match="underflow|not representable|too large"):
                f(U, V, A, B, p=p, metric=metric, method=method)


def test_sqeuclidean_on_the_line_with_p_whose_double_overflows_names_p():
    with pytest.raises(ValueError, match=r"`p` = 1.7e\+308 is too large for metric"):
        transport.wasserstein([0.0, 1.0], [2.0], p=1.7e308, metric="sqeuclidean")


# --- distances far below the cloud's diameter: two atoms 1e-300..1e-1
# apart beside a shared atom at distance ~1..1e3 (the diameter-based
# rescaling cannot help; euclidean squares of the gap underflowed, and the
# KR critic's normalisation absorbed the gap) ------------------------------

_DIRECTIONS = [(1.0, 0.0), (0.6, 0.8), (-1.0, 2.0), (3.0, -1.0)]


def _norm(direction, metric):
    x = np.abs(np.asarray(direction))
    return {"euclidean": float(np.hypot(*x)), "cityblock": float(x.sum()),
            "chebyshev": float(x.max())}[metric]


@settings(max_examples=25)
@given(gap_exp=st.integers(-300, -1), mantissa=st.floats(1.0, 9.0),
       direction=st.sampled_from(_DIRECTIONS), far=st.floats(1.0, 1e3),
       metric=st.sampled_from(["euclidean", "cityblock", "chebyshev"]))
def test_a_tiny_move_beside_a_far_shared_atom_is_exact(gap_exp, mantissa, direction,
                                                       far, metric):
    g = mantissa * 10.0**gap_exp
    step = np.asarray(direction) * g
    X = np.array([[0.0, 0.0], [far, far]])
    Y = np.array([step, [far, far]])
    expected = 0.5 * g * _norm(direction, metric)  # the far atom stays put
    for method in ("network_simplex", "sparse"):
        assert_allclose(transport.wasserstein(X, Y, metric=metric, method=method),
                        expected, rtol=1e-12)
        assert_allclose(transport.solve(X, Y, metric=metric, method=method).cost,
                        expected, rtol=1e-12)
    assert_allclose(transport.cost_matrix(X, Y, metric=metric)[0, 0], 2 * expected,
                    rtol=1e-12)
    res = transport.kr_dual(X, Y, metric=metric)
    assert res.status == "optimal"
    assert_allclose(res.value, expected, rtol=1e-9)
    # the critic separates the two close atoms by their distance
    assert_allclose(res.critic(X[:1]) - res.critic(Y[:1]), 2 * expected, rtol=1e-9,
                    atol=1e-15 * far)


def test_kr_dual_critic_of_no_points_is_empty():
    for X, Y in (([[0.0, 0.0], [1.0, 0.0]], [[0.0, 1.0]]), ([0.0, 1.0], [2.0])):
        res = transport.kr_dual(X, Y)
        d = res.support.reshape(res.support.shape[0], -1).shape[1]
        out = res.critic(np.zeros((0, d)))
        assert out.shape == (0,) and out.dtype == np.float64


class _Result:
    def __init__(self, **fields):
        self.__dict__.update(fields)


@pytest.mark.parametrize("field, value, error, message", [
    ("plan", "abc", TypeError, r"`result.plan` must hold real numbers"),
    ("plan", np.ones((3, 2), dtype=complex), TypeError, r"`result.plan` must hold real"),
    ("u", ["a", "b", "c"], TypeError, r"`result.u` must hold real numbers"),
    ("v", np.zeros(3), ValueError, r"`result.u` and `result.v` have shapes \(3,\) and \(3,\)"),
])
def test_certify_names_the_bad_field_of_result(field, value, error, message):
    res = transport.emd(A, B, M)
    fields = dict(plan=res.plan, u=res.u, v=res.v, cost=res.cost)
    assert transport.certify(_Result(**fields), A, B, M).ok
    fields[field] = value
    with pytest.raises(error, match=message):
        transport.certify(_Result(**fields), A, B, M)


@pytest.mark.parametrize("shape", [(0, 2), (2, 0), (0, 0)])
def test_empty_cost_matrix_is_named(shape):
    for call in (lambda: transport.emd(None, None, np.zeros(shape)),
                 lambda: transport.emd2(None, None, np.zeros(shape)),
                 lambda: transport.certify(transport.emd(A, B, M), None, None,
                                           np.zeros(shape))):
        with pytest.raises(ValueError, match=r"`M` must have at least one row and one column"):
            call()


@settings(max_examples=30)
@given(seed=st.integers(0, 2**32 - 1), exponent=st.integers(900, 1023),
       shape=st.tuples(st.integers(1, 6), st.integers(1, 6)))
def test_emd_costs_near_the_float64_top_scale_exactly(seed, exponent, shape):
    # costs in (-2, 2) * 2^exponent (up to ~1.8e308): the answer is 2^exponent times that of
    # the unscaled problem, exactly (as long as it fits, which it does:
    # |cost| <= max|M| * mass)
    rng = np.random.default_rng(seed)
    a, b = rng.random(shape[0]) + 0.1, rng.random(shape[1]) + 0.1
    a, b = a / a.sum(), b / b.sum()
    M0 = rng.uniform(-1.99, 1.99, shape)
    expected = np.ldexp(transport.emd2(a, b, M0), exponent)
    assert_allclose(transport.emd2(a, b, np.ldexp(M0, exponent)), expected, rtol=1e-12)
    # emd also returns the potentials, 2^exponent times the unscaled ones:
    # those may exceed float64 where the cost does not (v_j = M_ij - u_i can
    # reach twice the largest cost), and emd then says so by name
    unscaled = transport.emd(a, b, M0)
    top = max(np.abs(unscaled.u).max(), np.abs(unscaled.v).max())
    if np.isinf(np.ldexp(top, exponent)):
        with pytest.raises(ValueError, match="potentials u, v .* not representable"):
            transport.emd(a, b, np.ldexp(M0, exponent))
        return
    res = transport.emd(a, b, np.ldexp(M0, exponent))
    assert res.status == "optimal"
    assert_allclose(res.cost, expected, rtol=1e-12)


def test_certify_rejects_a_wrong_plan_when_costs_are_near_the_top():
    # the scale of the proof, max used cost + max|u| + max|v|, overflowed:
    # every residual divided by inf was 0 and any plan was "ok"
    big = np.array([[1e308, -1e308], [-1e308, 1e308]])
    half = np.array([0.5, 0.5])
    assert transport.certify(transport.emd(half, half, big), half, half, big).ok
    wrong = _Result(plan=np.diag(half), u=np.array([1e308, 1e308]), v=np.zeros(2),
                    cost=1e308)
    assert not transport.certify(wrong, half, half, big).ok


@pytest.mark.parametrize("M_, expected", [
    ([[1e308, -1e308], [-1e308, 1e308]], -1e308),  # reduced costs overflowed
    ([[1.7e308, 1e307], [1.6e308, 1.7e308]], 8.5e307),
])
def test_emd_with_costs_whose_differences_overflow(M_, expected):
    half = np.array([0.5, 0.5])
    assert transport.emd2(half, half, M_) == expected
    res = transport.emd(half, half, M_)
    assert res.status == "optimal" and res.cost == expected
    assert transport.certify(res, half, half, M_).ok
