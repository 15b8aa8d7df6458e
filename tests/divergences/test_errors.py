"""Bad input raises a clear, named error."""

import numpy as np
import pytest

import transport
from divergences import align, js, js_distance, kl, tv

FUNCS = [tv, kl, js, js_distance]


@pytest.mark.parametrize("f", FUNCS)
@pytest.mark.parametrize(
    "p, q, match",
    [
        ([0.5, -0.5, 1.0], [1, 1, 1], r"`p` must be non-negative; got -0\.5 at index 1"),
        ([1, 1, 1], [1, np.nan, 1], r"`q` must not contain NaN; got nan at index 1"),
        ([1, np.inf, 1], [1, 1, 1], r"`p` must be finite; got inf at index 1"),
        ([1, 1, -np.inf], [1, 1, 1], r"`p` must be finite"),
        ([0, 0, 0], [1, 1, 1], r"`p` must have positive total mass"),
        ([1, 1, 1], [0.0, 0.0, 0.0], r"`q` must have positive total mass"),
        ([], [], r"empty"),
        ([1, 2, 3], [1, 2], r"same number of bins"),
        (1.0, [1, 2], r"`p` must be an array of bin masses"),
    ],
)
def test_value_errors(f, p, q, match):
    with pytest.raises(ValueError, match=match):
        f(p, q)


@pytest.mark.parametrize("f", FUNCS)
def test_batch_errors_name_the_histogram(f):
    p = np.ones((2, 3))
    q = np.ones((2, 3))
    q[1] = 0.0
    with pytest.raises(ValueError, match=r"`q` must have positive total mass.*batch index \(1,\)"):
        f(p, q)
    p[1, 2] = -1.0
    with pytest.raises(ValueError, match=r"`p` must be non-negative; got -1\.0 at index \(1, 2\)"):
        f(p, np.ones((2, 3)))
    with pytest.raises(ValueError, match="do not broadcast"):
        f(np.ones((2, 3)), np.ones((3, 3)))


@pytest.mark.parametrize("f", FUNCS)
@pytest.mark.parametrize(
    "p",
    [["a", "b"], [1 + 1j, 2], np.array([None, 1.0], dtype=object), [[1, 2], [3]]],
)
def test_type_errors_for_non_numeric_input(f, p):
    with pytest.raises(TypeError, match="`p`"):
        f(p, [1, 1])


@pytest.mark.parametrize("f", [kl, js, js_distance])
@pytest.mark.parametrize("base", [0, -2, 1, 1.0, np.inf, np.nan])
def test_invalid_base(f, base):
    with pytest.raises(ValueError, match="`base`"):
        f([1, 2], [2, 1], base=base)


@pytest.mark.parametrize("f", [kl, js, js_distance])
@pytest.mark.parametrize("base", ["2", True, [2]])
def test_non_numeric_base(f, base):
    with pytest.raises(TypeError, match="`base`"):
        f([1, 2], [2, 1], base=base)


@pytest.mark.parametrize("f", FUNCS)
def test_invalid_axis(f):
    with pytest.raises(ValueError, match="`axis`"):
        f([1, 2], [2, 1], axis=1)
    with pytest.raises(TypeError, match="`axis`"):
        f([1, 2], [2, 1], axis=0.0)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_bad_atom_of_one_dimensional_values_is_named_by_its_own_index(bad):
    u = np.array([0.0, 1.0, 2.0])
    u[2] = bad
    for f in (align, transport.wasserstein, transport.wasserstein_1d, transport.kr_dual):
        with pytest.raises(ValueError, match=r"`u_values` .* at index 2\.$"):
            f(u, [0.5])
