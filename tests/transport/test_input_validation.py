"""Shared validators as seen from `transport`: masked arrays and options
that do not fit in a float64."""

import numpy as np
import pytest

import transport

U = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
V = np.array([[1.0, 1.0], [2.0, 0.0]])
A = np.array([0.2, 0.3, 0.5])
B = np.array([0.6, 0.4])
M = np.array([[1.0, 2.0], [0.5, 1.0], [2.0, 0.1]])


def _mask_first(x):
    x = np.asarray(x, dtype=float)
    mask = np.zeros(x.shape, dtype=bool)
    mask.flat[0] = True
    return np.ma.array(x, mask=mask)


def _calls():
    """(label, function, keyword arguments) for every public function."""
    one_d = {"u_values": U[:, 0], "v_values": V[:, 0], "u_weights": A, "v_weights": B}
    clouds = {"u_values": U, "v_values": V, "u_weights": A, "v_weights": B}
    return [
        ("wasserstein_1d", transport.wasserstein_1d, one_d),
        ("wasserstein", transport.wasserstein, clouds),
        ("kr_dual", transport.kr_dual, clouds),
        ("cost_matrix", transport.cost_matrix, {"u_values": U, "v_values": V}),
        ("emd", transport.emd, {"a": A, "b": B, "M": M}),
        ("emd2", transport.emd2, {"a": A, "b": B, "M": M}),
    ]


_CASES = [(label, f, kwargs, arg) for label, f, kwargs in _calls() for arg in kwargs]


@pytest.mark.parametrize(
    "label, f, kwargs, arg", _CASES, ids=[f"{c[0]}-{c[3]}" for c in _CASES]
)
def test_masked_arrays_are_refused_by_name(label, f, kwargs, arg):
    f(**kwargs)  # the unmasked call works
    bad = dict(kwargs, **{arg: _mask_first(kwargs[arg])})
    with pytest.raises(TypeError, match=rf"`{arg}` is a numpy.ma.MaskedArray"):
        f(**bad)


def test_certify_refuses_masked_marginals():
    result = transport.emd(A, B, M)
    transport.certify(result, A, B, M)
    for arg in ("a", "b", "M"):
        kwargs = {"a": A, "b": B, "M": M}
        kwargs[arg] = _mask_first(kwargs[arg])
        with pytest.raises(TypeError, match=rf"`{arg}` is a numpy.ma.MaskedArray"):
            transport.certify(result, **kwargs)


def test_kr_dual_critic_refuses_masked_points():
    res = transport.kr_dual(U, V, A, B)
    with pytest.raises(TypeError, match=r"`points` is a numpy.ma.MaskedArray"):
        res.critic(_mask_first(U))


_HUGE = [np.longdouble("1e400"), 10**400]


@pytest.mark.parametrize("p", _HUGE)
@pytest.mark.parametrize("f", [transport.wasserstein_1d, transport.wasserstein,
                               transport.cost_matrix])
def test_p_beyond_float64_says_so(f, p, recwarn):
    if isinstance(p, np.longdouble) and np.isinf(np.float64(1e308) * np.longdouble(10)):
        pytest.skip("long double is float64 on this platform")
    with pytest.raises(ValueError, match=r"`p` = .* does not fit in a float64 \(too large"):
        f(U[:, 0], V[:, 0], p=p)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("p", [np.longdouble(2), np.float32(2), np.int8(2), 2])
def test_p_types_agree(p):
    assert transport.wasserstein_1d(U[:, 0], V[:, 0], p=p) == transport.wasserstein_1d(
        U[:, 0], V[:, 0], p=2.0)


@pytest.mark.parametrize("p", [np.inf, np.nan, 0.5, -1])
def test_p_out_of_range_still_refused(p):
    with pytest.raises(ValueError, match=r"`p` must be a finite number >= 1"):
        transport.wasserstein_1d(U[:, 0], V[:, 0], p=p)
