"""The sparse solver on the benchmark's hard data families, at small sizes:
the same LP value as the dense network simplex, and the certificate
re-checked on the explicit cost matrix."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from benchmarks._families import FAMILIES, family_data, image_pair
from transport import certify, cost_matrix, emd, solve
from transport._core._validation import validate_point_clouds

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
    from transport._clouds._kdscan import TargetTree
    from transport._core._metrics import METRICS

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
    from transport._clouds._solve import (FAR_DENSE_MAX_PAIRS_LINEAR,
                                  FAR_TRAVEL, auto_method, choose_method, travel_feature)

    far = 2 * FAR_TRAVEL
    n = 2000
    assert choose_method(n, n, 2, travel=0.0) == "sparse"
    assert choose_method(n, n, 2, travel=far) == "network_simplex"
    assert choose_method(n, n, 2, travel=far, same_support=True) == "sparse"
    assert choose_method(n, n, 2, travel=far, linear_cost=False) == "sparse"
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


@pytest.mark.parametrize("metric,p", [("euclidean", 1.0), ("sqeuclidean", 1.0),
                                      ("cityblock", 1.0), ("euclidean", 2.0)])
def test_tree_violations_finds_every_violated_pair_next_to_the_tree(metric, p):
    # brute force over the same candidate pairs: (i, j') for j' among the
    # neighbours of j and (i', j) for i' among the neighbours of i
    from transport._clouds._local_scan import tree_violations
    from transport._core._metrics import METRICS

    rng = np.random.default_rng(5)
    X = rng.random((60, 2))
    Y = rng.random((70, 2)) + 0.3
    u = rng.standard_normal(60)
    v = rng.standard_normal(70)
    tree_src = rng.integers(0, 60, 129)
    tree_dst = rng.integers(0, 70, 129)
    nbr_x = rng.integers(0, 60, (60, 5))
    nbr_y = rng.integers(0, 70, (70, 6))
    tol = 0.05
    C = cost_matrix(X, Y, metric=metric, p=p)
    want = set()
    for i, j in zip(tree_src, tree_dst):
        for jj in nbr_y[j]:
            if jj != j and C[i, jj] - u[i] - v[jj] < -tol:
                want.add((i, jj))
        for ii in nbr_x[i]:
            if ii != i and C[ii, j] - u[ii] - v[j] < -tol:
                want.add((ii, j))
    assert len(want) > 20  # the case exercises the search
    code = METRICS[metric].code
    for cap in (10_000, 7):  # room for all, and an overflowing buffer
        src = np.empty(cap, np.int64)
        dst = np.empty(cap, np.int64)
        c = np.empty(cap)
        count = tree_violations(X, Y, u, v, tol, tree_src, tree_dst, nbr_x, nbr_y, code, p,
                                src, dst, c)
        kept = min(count, cap)
        got = set(zip(src[:kept].tolist(), dst[:kept].tolist()))
        assert got <= want
        assert np.array_equal(c[:kept], C[src[:kept], dst[:kept]])
        if cap == 10_000:
            assert got == want  # duplicates counted, every pair present
            assert count >= len(want)
        else:
            assert count > cap


@pytest.mark.parametrize("family", ["clusters", "shifted"])
def test_rounds_next_to_the_tree_change_the_path_not_the_answer(family, monkeypatch):
    # with and without the local rounds: the same LP value, both certified
    # by the final exact scan (the local rounds prove nothing themselves)
    import transport._clouds._sparse as sparse

    X, Y, a, b = validate_point_clouds(*family_data(family, 800))
    results = {}
    for local in (True, False):
        monkeypatch.setattr(sparse, "LOCAL_PRICING", local)
        sol, stats = sparse.solve_sparse_solution(X, Y, a, b, "euclidean", 1.0)
        assert sol.code == 0 and sol.status == "optimal" and sol.certificate.ok
        assert (stats.local_rounds > 0) == local
        results[local] = sol.cost
    assert_allclose(results[True], results[False], rtol=RTOL)


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean"])
@pytest.mark.parametrize("family", ["gauss3d", "shifted"])
def test_short_rounds_change_the_path_not_the_answer(family, metric, monkeypatch):
    # simplex runs cut short by the pivot budget (the search next to the
    # tree then runs on a tree that is not optimal over its arcs) against
    # runs to the optimum: the same LP value, both certified by the final
    # exact scan, and the dense solver's value
    import transport._clouds._sparse as sparse

    X, Y, a, b = validate_point_clouds(*family_data(family, 800))
    results = {}
    for budget in (0.0, 0.25):
        monkeypatch.setattr(sparse, "PIVOT_BUDGET", budget)
        sol, stats = sparse.solve_sparse_solution(X, Y, a, b, metric, 1.0)
        assert sol.status == "optimal" and sol.certificate.ok
        cut = int(budget * (X.shape[0] + Y.shape[0]))
        assert (cut in stats.round_pivots) == (budget > 0)
        results[budget] = sol.cost
    assert_allclose(results[0.25], results[0.0], rtol=RTOL)
    assert_allclose(results[0.0], emd(a, b, cost_matrix(X, Y, metric=metric)).cost, rtol=RTOL)
