"""Subnormal masses and results are ordinary values: the same answers (to
the bit) whatever floating-point error handling the caller set with
``np.seterr`` / ``np.errstate``, never a FloatingPointError."""

import numpy as np
from hypothesis import given

import divergences
import transport
from tests.strategies import histogram_pairs


def _all(p, q):
    P = np.stack([p, q])
    return [
        divergences.tv(p, q), divergences.kl(p, q), divergences.js(p, q),
        divergences.js_distance(p, q, base=2),
        divergences.tv(P, q[None]).tolist(), divergences.js(P, p).tolist(),
        divergences.pairwise(P, metric="tv").tolist(),
        divergences.pairwise(P, P[::-1], metric="js_distance", base=2).tolist(),
        [x.tolist() for x in divergences.align(np.arange(p.size), np.arange(q.size), p, q)],
        transport.wasserstein_1d(np.arange(p.size), np.arange(q.size), p, q),
    ]


@given(histogram_pairs())
def test_subnormal_masses_under_seterr_raise(pair):
    p, q = pair
    expected = _all(p, q)
    with np.errstate(all="raise"):
        assert repr(_all(p, q)) == repr(expected)


def test_tiny_results_under_seterr_raise():
    p, q = np.array([1e-320, 1.0, 0.0]), np.array([0.0, 1.0, 5e-324])
    expected = _all(p, q)
    assert 0 < expected[0] < 1e-300  # a subnormal TV
    with np.errstate(all="raise"):
        assert repr(_all(p, q)) == repr(expected)
