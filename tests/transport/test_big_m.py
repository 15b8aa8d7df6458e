"""Big-M cost matrices: "optimal" means within rtol of the optimum's own size.

Forbidding pairs by pricing them M = 1e8 (the usual big-M way) used to let
a flow of rounding dust (~1e-17) on a forbidden pair lift the potentials,
and with them the certificate's scale, to 1e8: "optimal" with a cost 1e-8
relative above the LP optimum.  Reference: HiGHS through
scipy.optimize.linprog on the LP written out here (independent of our
solver), with tight feasibility tolerances.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from transport import emd, emd2

scipy_sparse = pytest.importorskip("scipy.sparse")
linprog = pytest.importorskip("scipy.optimize").linprog


def _lp_optimum(a, b, M):
    n, m = M.shape
    rows = scipy_sparse.kron(scipy_sparse.eye(n), np.ones((1, m)))
    cols = scipy_sparse.kron(np.ones((1, n)), scipy_sparse.eye(m))
    res = linprog(M.ravel(), A_eq=scipy_sparse.vstack([rows, cols]),
                  b_eq=np.concatenate([a, b]), bounds=(0, None), method="highs",
                  options=dict(primal_feasibility_tolerance=1e-10,
                               dual_feasibility_tolerance=1e-10))
    assert res.status == 0
    return res.fun


def _allowed_pairs(n, m, seed, k=2, big=1e8):
    """POT's sparse-versus-dense test pattern: uniform masses, every row
    and every column allowed k random partners priced in [0, 1), every
    other pair forbidden by the price `big`."""
    rng = np.random.RandomState(seed)
    C = rng.rand(n, m)
    allowed = np.zeros((n, m), dtype=bool)
    for i in range(n):
        allowed[i, rng.choice(m, min(k, m), replace=False)] = True
    for j in range(m):
        allowed[rng.choice(n, min(k, n), replace=False), j] = True
    return np.full(n, 1.0 / n), np.full(m, 1.0 / m), np.where(allowed, C, big)


# the two cases of issue 26 (seeds 43 and 45 were 9.2e-9 and 3.5e-8 off),
# and more shapes and seeds of the same kind
CASES = ([(100, 150, 43), (150, 100, 45), (150, 100, 40), (60, 40, 40)]
         + [(n, m, s) for n, m in [(30, 90), (90, 30), (50, 50)] for s in range(3)])


@pytest.mark.parametrize("n, m, seed", CASES)
@pytest.mark.parametrize("big", [1e8, 1e12])
def test_big_m_matches_the_lp(n, m, seed, big):
    a, b, M = _allowed_pairs(n, m, seed, big=big)
    want = _lp_optimum(a, b, M)
    res = emd(a, b, M)
    assert res.status == "optimal"
    # the cost is the LP's (HiGHS's tolerances: 1e-10 relative to the costs)
    assert_allclose(res.cost, want, rtol=1e-9)
    assert_allclose(emd2(a, b, M), res.cost, rtol=0)
    assert res.certificate.bound <= 3 * res.certificate.rtol * res.certificate.scale
    if want < 1.0:  # the allowed pairs suffice (some shapes need forbidden ones)
        # the certificate's scale is the optimum's own, not the big M's ...
        assert res.certificate.scale < 100.0
        # ... and no mass, not even rounding dust, sits on a forbidden pair
        plan = res.plan.tocoo()
        assert (M[plan.row, plan.col] < 1.0).all()


def test_ordinary_problems_are_untouched():
    # no big-M pair: the first solve is the answer (same pivots and bits as
    # the dense solver alone)
    from transport._simplex._network_simplex import solve_dense_certified
    rng = np.random.default_rng(5)
    a, b = rng.random(40), rng.random(30)
    b *= a.sum() / b.sum()
    M = rng.random((40, 30))
    res = emd(a, b, M)
    out = solve_dense_certified(a, b, M, max_pivots=10**8)
    assert res.n_iter == out[8]
    assert res.cost == out[6]


@pytest.mark.parametrize("n, m, seed", [(100, 150, 43), (150, 100, 45), (60, 40, 40)])
def test_pairwise_on_a_big_m_cost(n, m, seed):
    # the batch kernel's certificate is inflated by dust the same way: such
    # pairs are solved again as emd solves them
    from transport import pairwise
    a, b, M = _allowed_pairs(n, m, seed)
    rng = np.random.default_rng(seed)
    U = np.vstack([a, rng.random(n) + 0.5])
    V = np.vstack([b, rng.random(m) + 0.5])
    D = pairwise(U, V, cost=M)
    assert_allclose(D[0, 0], _lp_optimum(a, b, M), rtol=1e-9)
    for i in range(2):
        for j in range(2):
            assert_allclose(D[i, j], emd2(U[i] / U[i].sum(), V[j] / V[j].sum(), M),
                            rtol=1e-13)
