"""The network simplex core: degenerate transport problems and general arc lists.

References are independent solvers: POT's ``ot.emd2`` for transport
problems, SciPy's HiGHS (``scipy.optimize.linprog``) for min-cost flows on
arbitrary arc lists.
"""

import numpy as np
import ot
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose
from scipy.optimize import linprog

from transport import emd
from transport._simplex._network_simplex import solve_arcs, solve_dense
from transport._core._results import INFEASIBLE, OPTIMAL


@st.composite
def degenerate_problems(draw):
    """Small problems rich in ties and zero masses (many degenerate pivots)."""
    n = draw(st.integers(1, 9))
    m = draw(st.integers(1, 9))
    M = draw(hnp.arrays(np.float64, (n, m), elements=st.integers(0, 3).map(float)))
    mass = st.one_of(st.just(0.0), st.integers(1, 3).map(float))
    a = draw(hnp.arrays(np.float64, n, elements=mass))
    b = draw(hnp.arrays(np.float64, m, elements=mass))
    a[draw(st.integers(0, n - 1))] += 1.0
    b[draw(st.integers(0, m - 1))] += 1.0
    return a / a.sum(), b / b.sum(), M


@given(degenerate_problems())
def test_degenerate_problems_match_pot(problem):
    a, b, M = problem
    res = emd(a, b, M)
    assert res.status == "optimal" and res.certificate.ok
    assert_allclose(res.cost, ot.emd2(a, b, M, numItermax=10**8), rtol=1e-12, atol=1e-15)


def test_kernel_output_is_a_basic_solution():
    rng = np.random.default_rng(7)
    n, m = 60, 45
    M = rng.integers(0, 5, (n, m)).astype(float)
    a, b = np.full(n, 1 / n), np.full(m, 1 / m)
    out = solve_dense(a, b, M, max_pivots=10**8)
    assert out.status == OPTIMAL
    assert out.rows.size <= n + m - 1
    assert (out.flows > 0).all()
    P = np.zeros((n, m))
    P[out.rows, out.cols] = out.flows
    assert_allclose(P.sum(axis=1), a, atol=1e-15)
    assert_allclose(P.sum(axis=0), b, atol=1e-15)
    # potentials are tight on the support and feasible everywhere
    assert_allclose(out.u[out.rows] + out.v[out.cols], M[out.rows, out.cols], atol=1e-13)
    assert (out.u[:, None] + out.v[None, :] <= M + 1e-13).all()
    assert_allclose(out.cost, ot.emd2(a, b, M, numItermax=10**8), rtol=1e-13)


def _linprog_min_cost_flow(supply, src, dst, cost):
    N, E = supply.shape[0], src.shape[0]
    A = np.zeros((N, E))
    A[src, np.arange(E)] += 1.0  # outflow
    A[dst, np.arange(E)] -= 1.0  # inflow
    return linprog(cost, A_eq=A, b_eq=supply, bounds=(0, None), method="highs")


@st.composite
def flow_networks(draw):
    N = draw(st.integers(2, 10))
    E = draw(st.integers(1, 30))
    src = draw(hnp.arrays(np.int64, E, elements=st.integers(0, N - 1)))
    dst = draw(hnp.arrays(np.int64, E, elements=st.integers(0, N - 1)))
    keep = src != dst
    src, dst = src[keep], dst[keep]
    if src.size == 0:
        src, dst = np.array([0]), np.array([1])
    cost = draw(hnp.arrays(np.float64, src.shape[0], elements=st.integers(0, 9).map(float)))
    supply = draw(hnp.arrays(np.float64, N, elements=st.integers(-4, 4).map(float)))
    supply[-1] -= supply.sum()
    return supply, src, dst, cost


@given(flow_networks())
def test_general_arc_lists_match_highs(net):
    supply, src, dst, cost = net
    out = solve_arcs(supply, src, dst, cost, max_pivots=10**6)
    ref = _linprog_min_cost_flow(supply, src, dst, cost)
    if ref.status == 2:  # infeasible network
        assert out.status == INFEASIBLE
        return
    assert ref.status == 0
    assert out.status == OPTIMAL
    assert_allclose(out.cost, ref.fun, rtol=1e-12, atol=1e-12)
    # flow conservation and dual feasibility of the returned potentials
    net_out = np.zeros_like(supply)
    np.add.at(net_out, src[out.arcs], out.flows)
    np.subtract.at(net_out, dst[out.arcs], out.flows)
    assert_allclose(net_out, supply, atol=1e-12)
    reduced = cost + out.pi[src] - out.pi[dst]
    assert (reduced >= -1e-9).all()


def test_dense_and_arc_list_agree_on_a_transport_problem():
    rng = np.random.default_rng(3)
    n, m = 30, 25
    M = rng.random((n, m))
    a = rng.random(n)
    b = rng.random(m)
    a /= a.sum()
    b /= b.sum()
    dense = solve_dense(a, b, M, max_pivots=10**8)
    i, j = np.divmod(np.arange(n * m), m)
    arcs = solve_arcs(np.concatenate([a, -b]), i, n + j, M.ravel(), max_pivots=10**8)
    assert dense.status == arcs.status == OPTIMAL
    assert_allclose(dense.cost, arcs.cost, rtol=1e-13)


@pytest.mark.parametrize("n", [300, 1000])
def test_uniform_assignment_with_integer_ties(n):
    # uniform masses + integer costs: every pivot is a candidate for
    # degeneracy; the strongly feasible tree must still terminate.
    rng = np.random.default_rng(n)
    M = rng.integers(0, 3, (n, n)).astype(float)
    a = np.full(n, 1.0 / n)
    res = emd(a, a, M)
    assert res.status == "optimal"
    assert_allclose(res.cost, ot.emd2(a, a, M, numItermax=10**8), rtol=1e-12, atol=1e-15)
