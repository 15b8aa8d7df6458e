"""`sliced_wasserstein`: POT's value, the 1-D engine, and the bracket on W_p."""

import math

import numpy as np
import ot
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.spatial.distance import cdist

from tests.strategies import weighted_clouds
from transport import SlicedResult, sliced_wasserstein, wasserstein, wasserstein_1d
from transport._samples import _sliced


def _exact_wp(X, Y, a, b, p):
    """W_p by POT's LP on the dense cost (an independent solver)."""
    an = a / a.sum() if a is not None else np.full(len(X), 1 / len(X))
    bn = b / b.sum() if b is not None else np.full(len(Y), 1 / len(Y))
    return ot.emd2(an, bn, cdist(X, Y) ** p, numItermax=10**8) ** (1 / p)


@pytest.mark.parametrize("p", [1, 2, 1.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_value_matches_pot_with_the_same_directions(p, weighted):
    rng = np.random.default_rng(230)
    X, Y = rng.standard_normal((3000, 16)), 1.2 * rng.standard_normal((2500, 16)) + 0.3
    a = rng.random(3000) if weighted else None
    b = rng.random(2500) if weighted else None
    theta = rng.standard_normal((40, 16))
    res = sliced_wasserstein(X, Y, a, b, p=p, directions=theta)
    unit = theta / np.linalg.norm(theta, axis=1, keepdims=True)
    ref = ot.sliced_wasserstein_distance(
        X, Y, None if a is None else a / a.sum(), None if b is None else b / b.sum(),
        projections=unit.T, p=p)
    # POT sums W_p^p from running sums of 1/n weights: ~n eps relative.
    assert_allclose(res.value, ref, rtol=1e-12)
    assert res.n_projections == 40 and res.p == p


@pytest.mark.parametrize("weighted", [False, True])
def test_per_direction_is_the_1d_engine(weighted):
    rng = np.random.default_rng(231)
    X, Y = rng.standard_normal((700, 5)), rng.standard_normal((900, 5)) + 1.0
    a = rng.random(700) if weighted else None
    b = rng.random(900) if weighted else None
    res = sliced_wasserstein(X, Y, a, b, p=2, n_projections=30, seed=4)
    # The same projections (shifted by the common centre the function uses:
    # W of projections is shift-invariant, but the bits are those of the
    # shifted samples).
    c = 0.5 * (X.mean(axis=0) + Y.mean(axis=0))
    PX = res.directions @ (X - c).T
    PY = res.directions @ (Y - c).T
    ref = wasserstein_1d(PX, PY, a, b, p=2, axis=1)
    assert_allclose(res.per_direction, ref, rtol=4e-16, atol=0)
    assert_allclose(res.value, math.sqrt(np.mean(ref ** 2)), rtol=1e-14)


def test_mean_and_stderr_by_hand():
    rng = np.random.default_rng(232)
    X, Y = rng.standard_normal((200, 3)), rng.standard_normal((300, 3)) * 2
    res = sliced_wasserstein(X, Y, p=2, n_projections=50, seed=1)
    v = res.per_direction ** 2
    mean = v.mean()
    assert_allclose(res.value, math.sqrt(mean), rtol=1e-14)
    # delta method: d sqrt(m) = dm / (2 sqrt(m))
    se = v.std(ddof=1) / math.sqrt(50) / (2 * math.sqrt(mean))
    assert_allclose(res.stderr, se, rtol=1e-12)
    one = sliced_wasserstein(X, Y, directions=[[1.0, 0.0, 0.0]])
    assert one.stderr == math.inf and one.n_projections == 1


def test_seed_reproduces_and_generator_accepted():
    rng = np.random.default_rng(233)
    X, Y = rng.standard_normal((50, 4)), rng.standard_normal((60, 4))
    r1 = sliced_wasserstein(X, Y, seed=7, n_projections=20)
    r2 = sliced_wasserstein(X, Y, seed=np.random.default_rng(7), n_projections=20)
    assert r1.value == r2.value and np.array_equal(r1.directions, r2.directions)
    assert_allclose(np.linalg.norm(r1.directions, axis=1), 1.0, rtol=1e-15)


def test_directions_are_normalised_for_the_caller():
    rng = np.random.default_rng(234)
    X, Y = rng.standard_normal((80, 3)), rng.standard_normal((90, 3))
    theta = rng.standard_normal((10, 3))
    r1 = sliced_wasserstein(X, Y, directions=theta)
    r2 = sliced_wasserstein(X, Y, directions=theta * 1e-200)
    r3 = sliced_wasserstein(X, Y, directions=theta * 1e200)
    assert_allclose(r2.value, r1.value, rtol=1e-14)
    assert_allclose(r3.value, r1.value, rtol=1e-14)


@pytest.mark.parametrize("p", [1, 2, 3])
@pytest.mark.parametrize("d", [2, 7, 64])
def test_translation_upper_is_the_shift(p, d):
    rng = np.random.default_rng(235)
    X = rng.standard_normal((150, d))
    s = rng.standard_normal(d)
    res = sliced_wasserstein(X, X + s, p=p, n_projections=64, seed=3)
    shift = float(np.linalg.norm(s))
    # W_p = |s| exactly; upper carries a rounding allowance of relative
    # (p (d/2 + 3) + n + m + 8) 2^-52 / p, and X + s itself is rounded.
    assert_allclose(res.upper, shift, rtol=2e-13)
    assert res.lower <= shift


@settings(max_examples=40)
@given(weighted_clouds(max_n=25), st.sampled_from([1.0, 2.0, 1.5]),
       st.booleans(), st.integers(1, 40))
def test_bracket_holds_around_exact_wp(clouds, p, use_weights, L):
    X, Y, a, b = clouds
    if not use_weights:
        a = b = None
    res = sliced_wasserstein(X, Y, a, b, p=p, n_projections=L, seed=L)
    try:
        exact = wasserstein(X, Y, a, b, p=p)
    except ValueError:  # costs that underflow: no exact reference
        assume(False)
    ref = _exact_wp(X, Y, a, b, p)
    # Two exact solvers agree to the LP's rounding; the bracket must hold
    # for both (it carries its own rounding allowance).
    assert res.lower <= exact <= res.upper
    assert res.lower <= ref * (1 + 1e-12) and ref <= res.upper * (1 + 1e-12)
    assert res.value <= res.upper
    assert res.lower == 0 or res.lower <= res.per_direction.max()
    assert np.all(res.plan_costs >= exact * (1 - 1e-12))


@pytest.mark.parametrize("d", [16, 64])
def test_bracket_in_feature_space(d):
    rng = np.random.default_rng(236)
    X = rng.standard_normal((400, d))
    Y = rng.standard_normal((300, d)) @ np.diag(np.linspace(0.5, 1.5, d)) + 0.2
    for p in (1, 2):
        res = sliced_wasserstein(X, Y, p=p, n_projections=100, seed=0)
        exact = wasserstein(X, Y, p=p)
        assert res.lower <= exact <= res.upper
        assert res.value <= exact  # SW_p <= W_p


def test_serial_and_parallel_twins_agree():
    rng = np.random.default_rng(237)
    X, Y = rng.standard_normal((500, 6)), rng.standard_normal((400, 6))
    a, b = rng.random(500), rng.random(400)
    theta = rng.standard_normal((9, 6))
    theta /= np.linalg.norm(theta, axis=1, keepdims=True)
    PX = np.ascontiguousarray(theta @ X.T)
    PY = np.ascontiguousarray(theta @ Y.T)
    outs = []
    for kernel, T in ((_sliced.sliced_block, 1), (_sliced.sliced_block, 3),
                      (_sliced.sliced_block_parallel, 3)):
        got = [np.empty(9) for _ in range(3)]
        kernel(X, Y, PX, PY, a, a.sum(), b, b.sum(), 2.0, True, 9, 9,
               _sliced._HEAD_CUTS, _sliced._TAIL_CUTS, np.empty(0, np.uint8), T, *got)
        outs.append(got)
    for got in outs[1:]:
        for x, y in zip(got, outs[0]):
            assert np.array_equal(x, y)


def test_blocks_change_nothing(monkeypatch):
    rng = np.random.default_rng(238)
    X, Y = rng.standard_normal((300, 4)), rng.standard_normal((200, 4))
    whole = sliced_wasserstein(X, Y, n_projections=25, seed=2)
    monkeypatch.setattr(_sliced, "BLOCK_ENTRIES", 1000)  # two directions a block
    blocks = sliced_wasserstein(X, Y, n_projections=25, seed=2)
    assert whole.value == blocks.value and whole.upper == blocks.upper
    assert np.array_equal(whole.per_direction, blocks.per_direction)


def test_identical_samples():
    rng = np.random.default_rng(239)
    X = rng.standard_normal((100, 5))
    res = sliced_wasserstein(X, X.copy(), n_projections=10, seed=0)
    assert res.value == 0.0 and res.lower == 0.0 and res.stderr == 0.0
    # The only allowance left is that for squares that underflow.
    assert 0.0 < res.upper < 1e-160


def test_one_dimension_is_exact():
    rng = np.random.default_rng(240)
    x, y = rng.standard_normal(300), rng.standard_normal(200) + 1
    res = sliced_wasserstein(x, y, p=2, n_projections=3, seed=0)
    exact = wasserstein_1d(x, y, p=2)
    assert_allclose([res.value, res.lower, res.upper], exact, rtol=1e-12)


def test_result_is_frozen():
    res = sliced_wasserstein([[0.0, 0.0]], [[1.0, 0.0]], n_projections=2, seed=0)
    assert isinstance(res, SlicedResult)
    with pytest.raises(AttributeError):
        res.value = 0.0


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(directions=[[0.0, 0.0], [1.0, 0.0]]), ValueError, "row 0 is all zero"),
    (dict(directions=[[1.0, 0.0, 0.0]]), ValueError, "`directions` must have shape"),
    (dict(directions=[[np.nan, 1.0]]), ValueError, "`directions` must be finite"),
    (dict(n_projections=0), ValueError, "`n_projections` must be at least 1"),
    (dict(n_projections=2.5), TypeError, "`n_projections` must be an integer"),
    (dict(seed="x"), TypeError, "`seed`"),
    (dict(p=0.5), ValueError, "`p` must be"),
    (dict(a=[1.0, -1.0, 1.0]), ValueError, "`a`"),
    (dict(b=[1.0]), ValueError, "`b` has 1 entries"),
])
def test_bad_input_is_refused_by_name(kwargs, error, match):
    X = np.zeros((3, 2))
    Y = np.ones((2, 2))
    with pytest.raises(error, match=match):
        sliced_wasserstein(X, Y, **kwargs)


def test_bad_samples_are_refused_by_name():
    with pytest.raises(ValueError, match="`X`"):
        sliced_wasserstein([[np.inf, 0.0]], [[0.0, 0.0]])
    with pytest.raises(ValueError, match="same space"):
        sliced_wasserstein(np.zeros((2, 2)), np.zeros((2, 3)))


@pytest.mark.parametrize("weighted", [False, True])
def test_screening_keeps_a_certified_upper(monkeypatch, weighted):
    rng = np.random.default_rng(241)
    X = rng.standard_normal((600, 12))
    Y = rng.standard_normal((500, 12)) * np.linspace(0.5, 2.0, 12) + 0.3
    a = rng.random(600) if weighted else None
    b = rng.random(500) if weighted else None
    full = sliced_wasserstein(X, Y, a, b, p=2, n_projections=60, seed=5)
    assert np.isfinite(full.plan_costs).all()  # small call: every plan costed
    monkeypatch.setattr(_sliced, "SCREEN_WORK", 0)
    monkeypatch.setattr(_sliced, "SCREEN_MIN_ATOMS", 50)
    screened = sliced_wasserstein(X, Y, a, b, p=2, n_projections=60, seed=5)
    costed = np.isfinite(screened.plan_costs)
    assert 1 <= costed.sum() <= _sliced.SCREEN_KEEP + 1
    assert costed[np.argmax(screened.per_direction)]
    # the plans costed in full are costed exactly as without screening
    assert_allclose(screened.plan_costs[costed], full.plan_costs[costed], rtol=1e-13)
    assert screened.value == full.value and screened.lower == full.lower
    exact = wasserstein(X, Y, a, b, p=2)
    assert screened.lower <= exact <= full.upper <= screened.upper
    # the screening finds a plan close to the best (here: within 1%)
    assert screened.upper <= 1.01 * full.upper
