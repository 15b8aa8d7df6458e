"""`solve`: both exact methods, one result, certified; the uncertified rule.

References: the other exact method, POT's ``ot.emd2`` on the explicit cost
matrix, and `certify` run on that matrix (independent of both solvers).
"""

import subprocess
import sys
import warnings

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from numpy.testing import assert_allclose

import transport
import transport._clouds._solve
import transport._clouds._sparse as sparse_module
from transport import (OptimalityError, UncertifiedWarning, certify, cost_matrix,
                       solve, wasserstein)

from tests.strategies import weighted_clouds

METRICS = ["euclidean", "sqeuclidean", "cityblock", "chebyshev"]


def _normalised(w, n):
    w = np.full(n, 1.0 / n) if w is None else np.asarray(w, float)
    return w / w.sum()


def _check(res, X, Y, a, b, metric, p):
    """Certified, and re-certified on the explicit cost matrix."""
    assert res.status == "optimal" and res.certificate.ok
    M = cost_matrix(X, Y, metric=metric, p=p)
    cert = certify(res, _normalised(a, M.shape[0]), _normalised(b, M.shape[1]), M)
    assert cert.ok, cert
    return M


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("p", [1, 2])
def test_methods_agree_with_each_other_and_pot(metric, p):
    rng = np.random.default_rng(2024)
    X = rng.normal(size=(140, 2))
    Y = rng.normal(size=(120, 2)) + [1.5, 0.0]
    a, b = rng.random(140), rng.random(120)
    dense = solve(X, Y, a, b, p=p, metric=metric, method="network_simplex")
    sparse = solve(X, Y, a, b, p=p, metric=metric, method="sparse")
    assert (dense.method, sparse.method) == ("network_simplex", "sparse")
    M = _check(dense, X, Y, a, b, metric, p)
    _check(sparse, X, Y, a, b, metric, p)
    ref = ot.emd2(_normalised(a, 140), _normalised(b, 120), M, numItermax=10**8)
    assert_allclose(dense.cost, ref, rtol=1e-12)
    assert_allclose(sparse.cost, ref, rtol=1e-12)
    assert_allclose(sparse.cost, dense.cost, rtol=1e-12)
    assert dense.plan.shape == sparse.plan.shape == (140, 120)


def test_sparse_with_coarse_levels_passes_certify(monkeypatch):
    # the multiscale start (coarse plan, refined forest as the first tree)
    monkeypatch.setattr(sparse_module, "MULTISCALE_MIN", 40)
    rng = np.random.default_rng(5)
    X = rng.random((400, 3))
    Y = rng.random((300, 3)) * 0.5 + 0.8
    res = solve(X, Y, method="sparse")
    _check(res, X, Y, None, None, "euclidean", 1)
    assert_allclose(res.cost, solve(X, Y, method="network_simplex").cost, rtol=1e-12)


@settings(max_examples=40)
@given(weighted_clouds(max_n=12))
def test_methods_agree_on_hard_small_clouds(clouds):
    X, Y, a, b = clouds
    dense = solve(X, Y, a, b, method="network_simplex")
    sparse = solve(X, Y, a, b, method="sparse")
    M = _check(dense, X, Y, a, b, "euclidean", 1)
    _check(sparse, X, Y, a, b, "euclidean", 1)
    scale = M.max() if M.size else 1.0
    assert abs(dense.cost - sparse.cost) <= 1e-12 * max(scale, 1e-300)


def test_wasserstein_is_solve_cost_to_the_1_over_p():
    rng = np.random.default_rng(8)
    X, Y = rng.random((50, 2)), rng.random((60, 2))
    for p in (1, 2, 3):
        for method in ("network_simplex", "sparse"):
            res = solve(X, Y, p=p, method=method)
            assert_allclose(wasserstein(X, Y, p=p, method=method), res.cost ** (1.0 / p),
                            rtol=1e-15)


def test_auto_records_the_method_that_ran():
    rng = np.random.default_rng(1)
    res = solve(rng.random((30, 2)), rng.random((20, 2)))
    assert res.method == "network_simplex"
    # on the line solve still returns a plan (by an LP method)
    res = solve([0.0, 1.0], [2.0, 3.0])
    assert res.method == "network_simplex" and res.cost == 2.0


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"method": "1d"}, ValueError, "`method` must be 'auto' or one of"),
        ({"method": 3}, TypeError, "`method`"),
        ({"metric": "cosine"}, ValueError, "`metric`"),
        ({"p": 0.5}, ValueError, "`p`"),
    ],
)
def test_bad_options(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        solve([[0.0, 0.0]], [[1.0, 1.0]], **kwargs)


def test_uncertified_rule_result_warns_float_raises(monkeypatch):
    """One rule: result-returning functions warn (at the caller's line) and
    report NaN; float-returning ones raise OptimalityError, no warning."""
    def one_round(*args, report):
        return sparse_module.solve_sparse_solution(*args, max_rounds=1, report=report)[0]

    monkeypatch.setitem(transport._clouds._solve.METHODS, "sparse", one_round)
    rng = np.random.default_rng(9)
    X, Y = rng.random((300, 2)), rng.random((300, 2)) + [0.3, 0.0]
    with pytest.warns(UncertifiedWarning, match="max_rounds_reached") as caught:
        res = solve(X, Y, method="sparse")
    assert caught[0].filename == __file__
    assert res.status == "max_rounds_reached" and np.isnan(res.cost)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(OptimalityError, match="max_rounds_reached"):
            wasserstein(X, Y, method="sparse")


@pytest.mark.parametrize("method", ["transshipment", "constraint_generation"])
def test_kr_dual_prints_nothing(method):
    """Nothing on stdout, even with progress on; the first HiGHS LP in a
    process must not print the solver's banner."""
    code = (
        "import numpy as np, transport\n"
        "r = transport.kr_dual(np.random.default_rng(0).random((20, 2)),\n"
        "                      np.random.default_rng(1).random((20, 2)),\n"
        f"                      method={method!r}, progress=True)\n"
        "assert r.status == 'optimal'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, timeout=300, check=True)
    assert out.stdout == ""
