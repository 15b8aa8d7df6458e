"""`base` and masked arrays: refused by name, never read wrongly."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from divergences import align, js, js_distance, kl, tv

LOG_FUNCS = [kl, js, js_distance]
P, Q = [0.2, 0.3, 0.5], [0.5, 0.4, 0.1]


@pytest.mark.parametrize("f", LOG_FUNCS)
@given(base=st.one_of(
    st.floats(max_value=1.0, allow_nan=False),  # (0, 1) included: negative "information"
    st.just(1), st.just(0), st.integers(max_value=1),
    st.just(math.inf), st.just(math.nan), st.just(np.float32(0.5)),
))
def test_base_at_most_one_or_not_finite_is_refused(f, base):
    with pytest.raises(ValueError, match=r"`base` must be a finite number > 1"):
        f(P, Q, base=base)


@pytest.mark.parametrize("f", LOG_FUNCS)
@given(base=st.floats(min_value=1.0, max_value=1e308, exclude_min=True))
def test_base_above_one_rescales_the_natural_log(f, base):
    natural = f(P, Q)
    got = f(P, Q, base=base)
    # js_distance is sqrt(JS / log base), the others KL / log base: one
    # division (and a square root), a few ulps apart from the reference.
    expected = natural / math.sqrt(math.log(base)) if f is js_distance else natural / math.log(base)
    assert got >= 0
    assert_allclose(got, expected, rtol=1e-14)


@pytest.mark.parametrize("f", LOG_FUNCS)
@pytest.mark.parametrize("base", [2, 2.0, np.float32(2), np.int64(2), np.longdouble(2)])
def test_base_types_agree(f, base):
    assert f(P, Q, base=base) == f(P, Q, base=2.0)


def test_tv_takes_no_base():
    # TV is not measured in units of information: no `base` to misuse.
    with pytest.raises(TypeError, match="base"):
        tv(P, Q, base=2)


@pytest.mark.parametrize("f", LOG_FUNCS)
@pytest.mark.parametrize("base", [np.longdouble("1e400"), 10**400, np.longdouble("-1e400")])
def test_base_beyond_float64_says_so(f, base):
    if isinstance(base, np.longdouble) and np.isinf(np.float64(1e308) * np.longdouble(10)):
        pytest.skip("long double is float64 on this platform")
    with pytest.raises(ValueError, match=r"`base` = .* does not fit in a float64 \(too large"):
        f(P, Q, base=base)


@pytest.mark.parametrize("f", LOG_FUNCS)
def test_base_below_float64_says_so(f):
    base = np.longdouble("1e-400")
    if base == 0:
        pytest.skip("long double is float64 on this platform")
    with pytest.raises(ValueError, match=r"`base` = .* does not fit in a float64 \(too small"):
        f(P, Q, base=base)


@pytest.mark.parametrize("f", LOG_FUNCS)
def test_base_beyond_float64_does_not_warn(f, recwarn):
    with pytest.raises(ValueError):
        f(P, Q, base=np.longdouble("1e400"))
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("f", LOG_FUNCS)
@pytest.mark.parametrize("base", ["2", True, np.bool_(True), [2], 2j, None.__class__])
def test_non_real_base_is_a_type_error(f, base):
    with pytest.raises(TypeError, match="`base` must be a real number"):
        f(P, Q, base=base)


# --------------------------------------------------------------------------
# Masked arrays
# --------------------------------------------------------------------------
def _masked(values, mask):
    return np.ma.array(values, mask=mask)


@pytest.mark.parametrize("f", [tv, kl, js, js_distance])
@pytest.mark.parametrize("which", ["p", "q"])
@pytest.mark.parametrize("mask", [[0, 0, 1], [0, 0, 0], np.ma.nomask])
def test_masked_histograms_are_refused(f, which, mask):
    # Read without the mask, the hidden 100 made tv = 0.99 and kl = inf.
    m = _masked([0.5, 0.5, 100.0], mask)
    args = {"p": m, "q": np.array([0.5, 0.5, 0.0])}
    if which == "q":
        args = {"p": np.array([0.5, 0.5, 0.0]), "q": m}
    with pytest.raises(TypeError, match=rf"`{which}` is a numpy.ma.MaskedArray.*filled\(0\)"):
        f(**args)


@pytest.mark.parametrize("f", [tv, kl, js, js_distance])
def test_filled_masked_histogram_is_what_the_message_suggests(f):
    m = _masked([0.5, 0.5, 100.0], [0, 0, 1])
    assert f(m.filled(0), [0.5, 0.5, 0.0]) == f([0.5, 0.5, 0.0], [0.5, 0.5, 0.0])


@pytest.mark.parametrize("arg", ["u_values", "v_values", "u_weights", "v_weights"])
def test_align_refuses_masked_input(arg):
    args = {"u_values": [0.0, 1.0, 2.0], "v_values": [1.0, 2.0],
            "u_weights": [1.0, 1.0, 1.0], "v_weights": [1.0, 1.0]}
    args[arg] = _masked(args[arg], [1] + [0] * (len(args[arg]) - 1))
    with pytest.raises(TypeError, match=rf"`{arg}` is a numpy.ma.MaskedArray"):
        align(**args)
