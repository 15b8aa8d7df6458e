"""`pairwise`: exact W_p between histogram rows, each pair certified."""

import warnings

import numpy as np
import ot
import pytest
from numpy.testing import assert_allclose
from scipy.spatial.distance import cdist

from transport import UncertifiedWarning, emd2, pairwise, wasserstein_1d
from transport._pairs._pairwise import distance_block, validate_histogram_rows
from transport._core._certify import certificate_numbers, certify_arrays, numbers_ok
from transport._core._validation import total
from transport._simplex._pair_simplex import (TAIL_ROWS, cost_order, greedy_forest,
                                              pair_block_rows, pair_workspace, row_arcs,
                                              solve_from_forest, sorted_arcs)
from transport._simplex._simplex_kernels import (certified_positive, certified_tree,
                                                 dense_block_rows)


def _histograms(rng, n, k, zero_fraction=0.4):
    H = rng.random((n, k))
    H[rng.random((n, k)) < zero_fraction] = 0.0
    H[:, 0] += 0.01  # every row keeps some mass
    return H


def _emd2_matrix(U, V, C, p):
    """The reference: a loop of emd2 on the normalised rows."""
    U = U / U.sum(axis=1, keepdims=True)
    V = V / V.sum(axis=1, keepdims=True)
    M = C**p
    return np.array([[emd2(u, v, M) ** (1.0 / p) for v in V] for u in U])


#: Agreement of a pair with `emd2` on the same problem: both are optimal
#: bases of one LP (pairwise starts from a greedy plan, emd2 from the
#: artificial tree), so their costs differ only by the rounding of two
#: different sums of ~(bins) products, ~bins * eps relative.
PAIR_RTOL = 1e-13


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "cityblock", "chebyshev"])
@pytest.mark.parametrize("p", [1, 2, 1.5])
def test_agrees_with_emd2_loop(metric, p):
    rng = np.random.default_rng(3)
    X = rng.random((12, 2))
    U, V = _histograms(rng, 9, 12), _histograms(rng, 7, 12)
    D = pairwise(U, V, support=X, p=p, metric=metric)
    ref = _emd2_matrix(U, V, cdist(X, X, metric), p)
    assert_allclose(D, ref, rtol=PAIR_RTOL, atol=0)


def test_symmetric_case_upper_triangle_is_emd2_and_mirrored():
    rng = np.random.default_rng(4)
    X = rng.random((15, 3))
    U = _histograms(rng, 11, 15)
    D = pairwise(U, support=X)
    ref = _emd2_matrix(U, U, cdist(X, X), 1)
    np.testing.assert_array_equal(D, D.T)
    np.testing.assert_array_equal(np.diag(D), 0.0)
    # both triangles of the reference (the mirrored problems of the lower
    # one are the same optimum, rounded along another basis)
    off = ~np.eye(11, dtype=bool)
    assert_allclose(D[off], ref[off], rtol=PAIR_RTOL, atol=0)


@pytest.mark.parametrize("p", [1, 2])
def test_matches_pot(p):
    # POT's network simplex is another exact solver: both costs are optimal
    # to ~(bins) * eps relative, so 1e-12 leaves a wide margin.
    rng = np.random.default_rng(5)
    X = rng.random((20, 2))
    U, V = _histograms(rng, 6, 20), _histograms(rng, 5, 20)
    D = pairwise(U, V, support=X, p=p)
    M = cdist(X, X) ** p
    Un = U / U.sum(axis=1, keepdims=True)
    Vn = V / V.sum(axis=1, keepdims=True)
    ref = np.array([[ot.emd2(u, v, M, numItermax=10**8) ** (1.0 / p) for v in Vn]
                    for u in Un])
    assert_allclose(D, ref, rtol=1e-12)


@pytest.mark.parametrize("p", [1, 2])
def test_one_dimensional_support_matches_closed_form(p):
    # An independent algorithm: the quantile formula on the line.
    rng = np.random.default_rng(6)
    x = np.sort(rng.random(25)) * 10
    U = _histograms(rng, 8, 25)
    D = pairwise(U, support=x, p=p)
    ref = np.array([[wasserstein_1d(x, x, u, v, p=p) for v in U] for u in U])
    assert_allclose(D, ref, rtol=1e-12, atol=1e-12)


def test_support_and_cost_give_the_same_matrix():
    rng = np.random.default_rng(7)
    X = rng.random((10, 2))
    U, V = _histograms(rng, 5, 10), _histograms(rng, 4, 10)
    for metric in ("euclidean", "cityblock"):
        C = cdist(X, X, metric)
        for p in (1, 2):
            np.testing.assert_array_equal(
                pairwise(U, V, support=X, metric=metric, p=p),
                pairwise(U, V, cost=C, p=p))


def test_rectangular_cost_between_different_supports():
    rng = np.random.default_rng(8)
    X, Y = rng.random((6, 2)), rng.random((9, 2))
    U, V = _histograms(rng, 4, 6), _histograms(rng, 3, 9)
    D = pairwise(U, V, cost=cdist(X, Y))
    assert_allclose(D, _emd2_matrix(U, V, cdist(X, Y), 1), rtol=PAIR_RTOL, atol=0)


def test_metric_axioms_and_scaling():
    rng = np.random.default_rng(9)
    X = rng.random((14, 2))
    U = _histograms(rng, 10, 14)
    D = pairwise(U, support=X)
    assert (D >= 0).all()
    # triangle inequality D_ik <= D_ij + D_jk
    assert (D[:, None, :] <= D[:, :, None] + D[None, :, :] + 1e-12).all()
    # rows are normalised: scaling a row changes nothing
    U2 = U * rng.uniform(0.5, 20.0, size=(10, 1))
    assert_allclose(pairwise(U2, support=X), D, rtol=1e-13, atol=1e-15)
    # W_1 <= W_2
    assert (D <= pairwise(U, support=X, p=2) + 1e-12).all()


def test_threads_change_nothing():
    rng = np.random.default_rng(10)
    X = rng.random((16, 2))
    U = _histograms(rng, 80, 16)  # 3160 pairs: two tasks
    U_rows = validate_histogram_rows(U, "U")
    C = cdist(X, X)
    one = distance_block(U_rows, None, C, 1.0, workers=1)
    two = distance_block(U_rows, None, C, 1.0, workers=2)
    np.testing.assert_array_equal(one, two)


def test_disjoint_and_identical_rows():
    x = np.arange(4.0)
    U = np.array([[1.0, 0, 0, 0], [0, 0, 0, 2.0], [1.0, 0, 0, 0]])
    D = pairwise(U, support=x)
    np.testing.assert_array_equal(D, [[0, 3, 0], [3, 0, 3], [0, 3, 0]])


def test_uncertified_pair_is_nan_with_a_warning_naming_it():
    rng = np.random.default_rng(11)
    X = rng.random((10, 2))
    U = validate_histogram_rows(_histograms(rng, 3, 10, 0.0), "U")
    with pytest.warns(UncertifiedWarning, match=r"\(i, j\) = \(5, 7\)"):
        D = distance_block(U[:1], U[1:2], cdist(X, X), 1.0, max_pivots=0,
                           row_offset=5, col_offset=7)
    assert np.isnan(D).all()


def test_many_uncertified_pairs_warn_a_bounded_number_of_times():
    rng = np.random.default_rng(12)
    X = rng.random((10, 2))
    U = validate_histogram_rows(_histograms(rng, 8, 10, 0.0), "U")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # rtol < 0: no certificate can pass (the greedy start solves some
        # of these pairs without a pivot, so a pivot cap would not do)
        D = distance_block(U, None, cdist(X, X), 1.0, rtol=-1.0)
    assert np.isnan(D[np.triu_indices(8, 1)]).all()
    assert np.diag(D).tolist() == [0.0] * 8
    messages = [str(w.message) for w in caught if w.category is UncertifiedWarning]
    assert len(messages) == 11
    assert "18 more pairs could not" in messages[-1]


def _pair_from_greedy_start(u, v, M):
    """One pair through the batch's own pieces (greedy start in a
    workspace, pivots, compiled certificate): its plan, potentials, cost and
    compiled certificate numbers, on the positive bins (ia, ib)."""
    ia, ib = np.flatnonzero(u > 0), np.flatnonzero(v > 0)
    ws = pair_workspace(*M.shape)
    arc_s, arc_t = sorted_arcs(M)
    loc_a = np.full(M.shape[0], -1, np.int64)
    loc_a[ia] = np.arange(ia.size)
    n_arcs = row_arcs(arc_s, arc_t, loc_a, ws)
    ws.loc_b[ib] = np.arange(ib.size)
    a = u[ia]
    b = v[ib] * (total(a) / total(v[ib]))  # as the batch rescales b
    sub = np.ascontiguousarray(M[np.ix_(ia, ib)])
    E = greedy_forest(a, b, n_arcs, ws, ia, cost_order(M), TAIL_ROWS)
    scale = sub.max() if sub.max() > 0 else 1.0  # as the batch does
    tree, n_iter, status = solve_from_forest(a, b, sub, E, 10**6, 2.0 * scale,
                                             2.0**-44 * scale,
                                             pair_block_rows(*sub.shape), ws)
    out = certified_tree(a, b, sub, tree, status, n_iter)
    return (ia, ib, a, b, sub) + tuple(out)


@pytest.mark.parametrize("seed", [21, 22])
def test_every_pair_certified_and_within_1e13_of_emd2(seed):
    # Integer masses on an integer grid: costs and masses full of ties, so
    # the greedy start and the pivots meet degenerate bases throughout.
    rng = np.random.default_rng(seed)
    side = 5
    X = np.column_stack(np.divmod(np.arange(side * side), side)).astype(float)
    U = rng.integers(0, 4, size=(14, side * side)).astype(float)
    U[:, 12] += 1.0
    U = validate_histogram_rows(U, "U")
    C = cdist(X, X)
    D = distance_block(U, None, C, 1.0)
    for i in range(14):
        for j in range(i + 1, 14):
            (ia, ib, a, b, sub, status, rows, cols, flows, uu, vv, cost, numbers,
             _) = _pair_from_greedy_start(U[i], U[j], C)
            assert status == 0 and numbers_ok(numbers, 1e-9)
            # the certificate again, by the Python checker on the sub-problem
            cert = certify_arrays(rows, cols, flows, uu, vv, cost, a, b, sub)
            assert cert.ok, (i, j, cert)
            assert D[i, j] == cost  # the batch runs these very pieces
            ref = emd2(U[i], U[j], C)
            assert_allclose(cost, ref, rtol=PAIR_RTOL, atol=0)


def test_compiled_certificate_rejects_a_broken_dual():
    # the per-pair solve and certificate (the one emd runs) accepts the
    # simplex's answer and rejects a wrong cost or an infeasible dual
    rng = np.random.default_rng(13)
    a = rng.random(6)
    a /= a.sum()
    b = rng.random(5)
    b *= a.sum() / b.sum()
    M = rng.random((6, 5))
    status, rows, cols, flows, u, v, cost, numbers, _ = certified_positive(
        a, b, M, 10**6, 2.0**-44, dense_block_rows(6, 5))
    assert status == 0 and numbers_ok(numbers, 1e-9)
    assert cost == emd2(a, b, M)
    costs = np.ascontiguousarray(M[rows, cols])

    def ok(cost, u):
        violation = float(np.max(u[:, None] + v[None, :] - M))
        found, _ = certificate_numbers(rows, cols, flows, costs, u, v, cost, a, b,
                                       violation)
        return numbers_ok(found, 1e-9)

    assert ok(cost, u)
    assert not ok(cost * (1 + 1e-6), u)
    broken = u.copy()
    broken[0] += 0.5  # dual infeasible
    assert not ok(cost, broken)


# --------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------
@pytest.mark.parametrize("other", [False, True])
@pytest.mark.parametrize("workers", [1, 2])
def test_progress_goes_to_stderr_only(capsys, monkeypatch, other, workers):
    import transport._pairs._pairwise as module

    monkeypatch.setattr(module, "default_workers", lambda: workers)
    rng = np.random.default_rng(14)
    X = rng.random((8, 2))
    U = _histograms(rng, 70, 8)  # 2415 pairs: two tasks, two updates
    V = _histograms(rng, 40, 8) if other else None
    quiet = pairwise(U, V, support=X)
    assert capsys.readouterr() == ("", "")
    loud = pairwise(U, V, support=X, progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "emdkit pairwise" in err
    total = 70 * 40 if other else 70 * 69 // 2
    assert f"{total}/{total}" in err  # tqdm's bar, or the plain lines
    np.testing.assert_array_equal(loud, quiet)


def test_progress_plain_lines_without_tqdm(capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name == "tqdm":
            raise ImportError("no tqdm")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    rng = np.random.default_rng(15)
    U = _histograms(rng, 6, 5)
    pairwise(U, support=rng.random((5, 2)), progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip().splitlines()[-1].startswith("emdkit pairwise: 15/15")


def test_progress_must_be_a_bool():
    with pytest.raises(TypeError, match="`progress` must be True or False"):
        pairwise(_U, support=_X, progress="yes")


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------
_X = np.arange(4.0)
_U = np.full((5, 4), 0.25)


@pytest.mark.parametrize("value, problem", [
    (np.nan, "NaN"), (np.inf, "finite"), (-1.0, "non-negative")])
@pytest.mark.parametrize("which", ["U", "V"])
def test_bad_entry_names_the_row(value, problem, which):
    bad = _U.copy()
    bad[3, 2] = value
    args = (bad, None) if which == "U" else (_U, bad)
    with pytest.raises(ValueError, match=rf"row 3 of `{which}`.*{problem}"):
        pairwise(*args, support=_X)


def test_zero_mass_row_is_named():
    bad = _U.copy()
    bad[2] = 0.0
    with pytest.raises(ValueError, match=r"row 2 of `U` has zero total mass"):
        pairwise(bad, support=_X)
    with pytest.raises(ValueError, match=r"row 2 of `V` has zero total mass"):
        pairwise(_U, bad, support=_X)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(), TypeError, "exactly one of `support`"),
    (dict(support=_X, cost=np.zeros((4, 4))), TypeError, "exactly one of"),
    (dict(support=np.arange(5.0)), ValueError, "`U` has 4 bins per row"),
    (dict(cost=np.ones((4, 4)) - np.eye(4), metric="cityblock"), ValueError,
     "`metric` applies to `support`"),
    (dict(cost=np.arange(16.0).reshape(4, 4)), ValueError, "symmetric"),
    (dict(cost=np.ones((4, 4))), ValueError, "zero diagonal"),
    (dict(cost=np.ones((4, 3))), ValueError, "symmetric"),
    (dict(cost=-np.ones((4, 4))), ValueError, "`cost` must be non-negative"),
    (dict(support=_X, p=0.5), ValueError, "`p`"),
    (dict(support=_X, metric="cosine"), ValueError, "`metric`"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        pairwise(_U, **kwargs)


def test_bad_shapes():
    with pytest.raises(ValueError, match="2-D"):
        pairwise(np.ones(4), support=_X)
    with pytest.raises(ValueError, match="`V` has 3 bins per row"):
        pairwise(_U, np.ones((2, 3)), support=_X)
    with pytest.raises(ValueError, match="`V` has 4 bins per row"):
        pairwise(_U, _U, cost=np.ones((4, 3)))
    with pytest.raises(TypeError, match="`U` must hold real numbers"):
        pairwise(np.array([["a"]]), support=[0.0])


@pytest.mark.parametrize("n, m, symmetric", [(1, 1, True), (5, 3, False), (100, 100, True),
                                            (3000, 1, False), (7, 5000, False)])
def test_row_tasks_cover_every_row_once(n, m, symmetric):
    from transport._simplex._network_simplex import PAIRS_PER_TASK, _row_tasks

    tasks = _row_tasks(n, m, symmetric)
    assert tasks[0][0] == 0 and tasks[-1][1] == n
    assert all(a < b for a, b in tasks)
    assert all(tasks[t][1] == tasks[t + 1][0] for t in range(len(tasks) - 1))
    per_row = np.arange(n - 1, -1, -1) if symmetric else np.full(n, m)
    for a, b in tasks:  # a task exceeds the target only when it is one row
        assert per_row[a:b].sum() <= PAIRS_PER_TASK or b == a + 1
