"""The sparse solver on the benchmark's hard data families, at small sizes:
the same LP value as the dense network simplex, and the certificate
re-checked on the explicit cost matrix."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from benchmarks._families import FAMILIES, family_data, image_pair
from transport import certify, cost_matrix, emd, solve
from transport._validation import validate_point_clouds

# Both solvers reach an optimal vertex of the same LP (the dense one priced
# to 2^-44 of the costs' scale, the sparse one to 2^-44 too, certified to
# 2^-40 over all pairs); in float64 their values agree to a few ulps of the
# cost scale, far inside 1e-12 relative for costs of order 1.
RTOL = 1e-12


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_matches_dense_and_certifies(family, metric):
    # 600 atoms a side: above the multiscale threshold, so the coarse
    # level, its refined plan and the warm start all take part
    n = 576 if family == "images" else 600  # images: a 24 x 24 grid
    X, Y, a, b = validate_point_clouds(*family_data(family, n))
    res = solve(X, Y, a, b, metric=metric, method="sparse")
    assert res.status == "optimal" and res.certificate.ok
    M = cost_matrix(X, Y, metric=metric)
    ref = emd(a, b, M)
    assert_allclose(res.cost, ref.cost, rtol=RTOL)
    cert = certify(res, a, b, M)
    assert cert.ok, cert


def test_image_pair_is_a_weighted_grid():
    X, Y, a, b = image_pair(16)
    assert X.shape == Y.shape == (256, 2)
    assert np.array_equal(X, Y)
    assert a.min() > 0 and b.min() > 0
    assert not np.allclose(a / a.sum(), b / b.sum())


@pytest.mark.parametrize("metric,p", [("euclidean", 1.0), ("sqeuclidean", 1.0),
                                      ("euclidean", 2.0), ("cityblock", 1.0)])
@pytest.mark.parametrize("d", [2, 3])
def test_scan_with_trend_bounds_is_exact(metric, p, d):
    # potentials with a strong linear trend (what transport far along
    # parallel rays gives), plus noise; the pruned scan must return the
    # brute-force c-transform and the same smallest violators
    from transport._kdscan import TargetTree
    from transport._metrics import METRICS

    rng = np.random.default_rng(21)
    X = rng.random((400, d))
    Y = rng.random((500, d)) + 0.5
    v = -(1.0 if p == 1.0 and metric != "sqeuclidean" else 2.0) * Y[:, 0]
    v = v + 0.01 * rng.standard_normal(500)
    C = cost_matrix(X, Y, metric=metric, p=p) - v
    exact = C.min(axis=1)
    thr = exact + 0.02
    tree = TargetTree(Y)
    for trend in (False, True):
        counts, out_j, out_val, best = tree.scan(X, v, thr, 4, METRICS[metric].code, p,
                                                 trend=trend)
        assert np.array_equal(best, exact)
        for i in range(X.shape[0]):
            want = np.sort(C[i][C[i] < thr[i]])[:4]
            assert counts[i] == want.size
            assert np.array_equal(out_val[i, : counts[i]], want)
            assert np.array_equal(C[i, out_j[i, : counts[i]]], want)


def test_auto_keeps_far_travel_on_the_dense_solver_while_it_was_faster():
    from transport._solve import (FAR_DENSE_MAX_PAIRS, FAR_DENSE_MAX_PAIRS_LINEAR,
                                  FAR_TRAVEL, auto_method, choose_method, travel_feature)

    far = 2 * FAR_TRAVEL
    n = 2000
    assert choose_method(n, n, 2, travel=0.0) == "sparse"
    assert choose_method(n, n, 2, travel=far) == "network_simplex"
    assert choose_method(n, n, 2, travel=far, same_support=True) == "sparse"
    big = int(np.sqrt(FAR_DENSE_MAX_PAIRS)) + 1
    assert choose_method(big, big, 2, travel=far, linear_cost=False) == "sparse"
    assert choose_method(big, big, 2, travel=far, linear_cost=True) == "network_simplex"
    huge = int(np.sqrt(FAR_DENSE_MAX_PAIRS_LINEAR)) + 1
    assert choose_method(huge, huge, 2, travel=far) == "sparse"
    # the feature: a shift by half the width is far, two samples of one law are not
    X, Y, a, b = validate_point_clouds(*family_data("uniform", n))
    assert travel_feature(X, Y, a, b) < FAR_TRAVEL
    assert auto_method(X, Y, a, b, "euclidean", 1.0) == "sparse"
    X, Y, a, b = validate_point_clouds(*family_data("shifted", n))
    assert travel_feature(X, Y, a, b) > FAR_TRAVEL
    assert auto_method(X, Y, a, b, "euclidean", 1.0) == "network_simplex"
    # a lower bound of W_1 / diameter
    both = np.vstack([X, Y])
    diam = np.linalg.norm(both.max(axis=0) - both.min(axis=0))
    assert travel_feature(X, Y, a, b) * diam <= solve(X, Y, a, b).cost * (1 + 1e-12)
