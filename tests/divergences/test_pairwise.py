"""`pairwise`: every entry equals the per-pair function to the bit; bad rows
are named; SciPy agrees where it is defined."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.spatial.distance import cdist

from divergences import js, js_distance, kl, pairwise, tv
from divergences import _pairwise
from tests.strategies import masses

FUNCS = {"tv": tv, "kl": kl, "js": js, "js_distance": js_distance}


def _loop(P, Q, metric, **kw):
    f = FUNCS[metric]
    return np.array([[f(p, q, **kw) for q in Q] for p in P]).reshape(len(P), len(Q))


@st.composite
def histogram_matrices(draw, max_rows=6, max_bins=20):
    """Two matrices of histogram rows (zeros, subnormal and ordinary masses)."""
    k = draw(st.integers(1, max_bins))
    n = draw(st.integers(1, max_rows))
    m = draw(st.integers(1, max_rows))
    P = draw(hnp.arrays(np.float64, (n, k), elements=masses))
    Q = draw(hnp.arrays(np.float64, (m, k), elements=masses))
    P[np.arange(n), draw(st.integers(0, k - 1))] += draw(st.floats(1e-3, 10.0))
    Q[np.arange(m), draw(st.integers(0, k - 1))] += draw(st.floats(1e-3, 10.0))
    if draw(st.booleans()):  # huge and tiny row sums: rescaled rows
        P[0] *= draw(st.sampled_from([1e-300, 1e300]))
    if draw(st.booleans()) and n > 1:  # identical and nearly identical rows
        P[-1] = P[0] * draw(st.sampled_from([1.0, 1.0 + 2**-52]))
    return P, Q


@pytest.mark.parametrize("metric", sorted(FUNCS))
@given(PQ=histogram_matrices())
def test_every_entry_is_the_per_pair_value(metric, PQ):
    P, Q = PQ
    assert_array_equal(pairwise(P, Q, metric=metric), _loop(P, Q, metric))
    D = pairwise(P, metric=metric)
    expected = _loop(P, P, metric)
    np.fill_diagonal(expected, 0.0)
    assert_array_equal(D, expected)
    assert np.isfinite(D).all() or metric == "kl"


@pytest.mark.parametrize("metric", ["kl", "js", "js_distance"])
@pytest.mark.parametrize("base", [2, 10.0, math.e])
def test_base(metric, base):
    rng = np.random.default_rng(20)
    P, Q = rng.random((4, 7)), rng.random((3, 7))
    assert_array_equal(pairwise(P, Q, metric=metric, base=base),
                       _loop(P, Q, metric, base=base))


@pytest.mark.parametrize("metric", ["tv", "js", "js_distance"])
def test_self_distances_symmetric_with_zero_diagonal(metric):
    rng = np.random.default_rng(21)
    P = rng.random((9, 5))
    P[3] = P[1] * 4.0  # the same distribution as row 1 (exact scaling)
    D = pairwise(P, metric=metric)
    assert_array_equal(D, D.T)
    assert_array_equal(np.diag(D), 0.0)
    assert D[1, 3] == 0.0


def test_kl_against_itself_is_not_symmetrised():
    rng = np.random.default_rng(22)
    P = rng.random((5, 6))
    D = pairwise(P, metric="kl")
    assert D[0, 1] == kl(P[0], P[1]) and D[1, 0] == kl(P[1], P[0])
    assert D[0, 1] != D[1, 0]


def test_agrees_with_scipy_cdist_where_scipy_is_defined():
    rng = np.random.default_rng(23)
    P, Q = rng.random((30, 16)), rng.random((20, 16))
    # SciPy forms JS from logs of the mixture: a few ulps apart, relative.
    assert_allclose(pairwise(P, Q, metric="js_distance"), cdist(P, Q, "jensenshannon"),
                    rtol=1e-13)
    assert_allclose(pairwise(P, Q, metric="tv"),
                    0.5 * cdist(P / P.sum(1, keepdims=True), Q / Q.sum(1, keepdims=True),
                                "cityblock"), rtol=1e-13)


def test_finite_where_scipy_gives_nan():
    # Nearly identical rows: SciPy's JS can come out slightly negative and its
    # square root NaN (scipy#20083); ours is >= 0 and finite always.
    rng = np.random.default_rng(24)
    P = rng.random((200, 32))
    Q = P * (1.0 + 1e-16 * rng.standard_normal(P.shape))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        scipy_d = cdist(P, Q, "jensenshannon")
    ours = pairwise(P, Q, metric="js_distance")
    assert np.isfinite(ours).all() and (ours >= 0).all()
    assert np.isnan(scipy_d).any()  # the case exists (else this test says nothing)


def test_multi_threaded_engine_equals_the_serial_one(monkeypatch):
    rng = np.random.default_rng(25)
    P, Q = rng.random((37, 300)), rng.random((23, 300))
    serial = {m: pairwise(P, Q, metric=m) for m in FUNCS}
    serial_self = {m: pairwise(P, metric=m) for m in FUNCS}
    monkeypatch.setattr(_pairwise, "THREADS_MIN_WORK", 0)
    monkeypatch.setattr(_pairwise, "_threads_for", lambda pairs, bins: 3)
    for m in FUNCS:
        assert_array_equal(pairwise(P, Q, metric=m), serial[m])
        assert_array_equal(pairwise(P, metric=m), serial_self[m])


def test_shapes_and_empty():
    P = np.ones((0, 4))
    assert pairwise(P).shape == (0, 0)
    assert pairwise(P, np.ones((3, 4))).shape == (0, 3)
    assert pairwise([[1.0, 2.0]], [[2.0, 1.0], [1.0, 1.0]]).shape == (1, 2)


@pytest.mark.parametrize("which", ["P", "Q"])
@pytest.mark.parametrize(
    "value, match",
    [(-0.5, r"must be non-negative; got -0\.5 at index 2"),
     (np.nan, r"must not contain NaN; got nan at index 2"),
     (np.inf, r"must be finite; got inf at index 2")],
)
def test_bad_entries_name_the_row_and_column(which, value, match):
    P, Q = np.ones((5, 4)), np.ones((6, 4))
    (P if which == "P" else Q)[3, 2] = value
    with pytest.raises(ValueError, match=rf"`{which}\[3\]` " + match):
        pairwise(P, Q)
    if which == "P":
        with pytest.raises(ValueError, match=rf"`P\[3\]` " + match):
            pairwise(P)


@pytest.mark.parametrize("which", ["P", "Q"])
def test_zero_mass_row_is_named(which):
    P, Q = np.ones((5, 4)), np.ones((6, 4))
    (P if which == "P" else Q)[4] = 0.0
    with pytest.raises(ValueError, match=rf"`{which}` must have positive total mass .* row 4 "):
        pairwise(P, Q)


def test_overflowing_row_sums_are_rescaled_not_refused():
    P = np.array([[1.7e308, 1.7e308, 1.0], [1.0, 2.0, 3.0]])
    assert_array_equal(pairwise(P, metric="js"), [[0.0, js(P[0], P[1])],
                                                  [js(P[1], P[0]), 0.0]])


@pytest.mark.parametrize(
    "P, Q, error, match",
    [(np.ones(4), None, ValueError, r"`P` must be a 2-D \(rows, bins\)"),
     (np.ones((2, 3)), np.ones((2, 4)), ValueError, "same number of bins"),
     (np.ones((2, 0)), None, ValueError, "no bins"),
     (np.array([["a"]]), None, TypeError, "`P` must hold real numbers"),
     (np.ones((2, 3)), np.ma.ones((2, 3)), TypeError, r"`Q` is a numpy.ma.MaskedArray")],
)
def test_bad_shapes_and_types(P, Q, error, match):
    with pytest.raises(error, match=match):
        pairwise(P, Q)


def test_bad_options():
    P = np.ones((2, 3))
    with pytest.raises(ValueError, match="`metric` must be one of"):
        pairwise(P, metric="jensenshannon")
    with pytest.raises(TypeError, match="`metric` must be a string"):
        pairwise(P, metric=None)
    with pytest.raises(ValueError, match="`base` does not apply to metric 'tv'"):
        pairwise(P, metric="tv", base=2)
    with pytest.raises(ValueError, match="`base` must be a finite number > 1"):
        pairwise(P, metric="js", base=0.5)


def test_package_imports_without_dask():
    import subprocess
    import sys

    code = ("import sys\n"
            "sys.modules['dask'] = None\n"  # any import of dask now fails
            "import numpy as np, divergences\n"
            "print(divergences.pairwise(np.ones((2, 3))).sum())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0.0"
