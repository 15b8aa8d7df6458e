"""The KR dual's pruned violation scan and data-following first constraints:
the same value as the primal LP, with and without them."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import transport
import transport._dual._kr_dual as kr_module

# primal (network simplex) and dual (HiGHS, constraint generation) are
# independent exact solvers; kr_dual certifies 1-Lipschitz f exactly, and
# HiGHS solves to 1e-10 relative on the unit-diameter problem.
RTOL = 1e-9


@pytest.mark.parametrize("tree_scan", [True, False])
@pytest.mark.parametrize("transport_pairs", [True, False])
@pytest.mark.parametrize("metric", ["euclidean", "cityblock"])
def test_far_apart_clouds(monkeypatch, tree_scan, transport_pairs, metric):
    monkeypatch.setattr(kr_module, "TREE_SCAN", tree_scan)
    monkeypatch.setattr(kr_module, "TRANSPORT_PAIRS", transport_pairs)
    # KR_PARALLEL_MIN atoms would make the test slow; lower it so that the
    # tree c-transform repairs f too
    monkeypatch.setattr(kr_module, "KR_PARALLEL_MIN", 64)
    rng = np.random.default_rng(31)
    X = rng.random((150, 3))
    Y = rng.random((120, 3)) + 2.0
    a, b = rng.random(150), rng.random(120)
    res = transport.kr_dual(X, Y, a, b, metric=metric, method="constraint_generation")
    assert res.status == "optimal"
    primal = transport.wasserstein(X, Y, a, b, metric=metric)
    assert_allclose(res.value, primal, rtol=RTOL)
    # f is 1-Lipschitz on the support, checked on all pairs
    D = transport.cost_matrix(res.support, res.support, metric=metric)
    assert (res.f[:, None] - res.f[None, :] <= D * (1 + 1e-12) + 1e-12).all()


def test_tree_violations_defers_when_all_found_pairs_are_held():
    from transport._clouds._kdscan import TargetTree
    from transport._core._metrics import EUCLIDEAN

    X = np.array([[0.0, 0.0], [1.0, 0.0]])
    f = np.array([2.0, 0.0])  # f_0 - f_1 = 2 > d = 1: pair (0, 1) violated
    out_l = np.empty((2, 4), np.int64)
    counts = np.empty(2, np.int64)
    tree = TargetTree(X)
    held = np.array([0 * 2 + 1], np.int64)
    assert kr_module._tree_violations(tree, X, f, EUCLIDEAN, held, out_l, counts) == -1
    none = np.empty(0, np.int64)
    assert kr_module._tree_violations(tree, X, f, EUCLIDEAN, none, out_l, counts) == 1
    assert counts.tolist() == [1, 0] and out_l[0, 0] == 1
