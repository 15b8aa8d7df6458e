"""`kr_dual` by the transshipment network simplex (`transport._dual._kr_flow`).

Its own certificate is checked here by brute force on small problems: the
flow conserves the supplies, its cost equals sum c f, f is 1-Lipschitz on
every pair of pooled atoms, flow only on tight arcs.  Its value is compared
with two independent solvers: the primal (`wasserstein` / `solve`, the
bipartite network simplex between P and Q, whose potentials it never sees)
and the KR LP in HiGHS (``method="constraint_generation"``).
"""

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.spatial.distance import cdist

import transport
import transport._dual._kr_flow as flow_module
from transport._core._results import OPTIMAL
from transport._dual._kr_flow import FlowStats, solve_transshipment

from tests.strategies import weighted_clouds

METRICS = ["euclidean", "cityblock", "chebyshev"]

# Both the primal and the transshipment end on an optimal basis of an exact
# LP, each priced to ~1e-13 of the cost scale: their values agree to
# rounding, not to a solver tolerance.  The absolute part covers W near 0.
RTOL = 1e-12
ATOL_PER_DIAMETER = 1e-14

# HiGHS stops at its feasibility tolerance 1e-10 on the unit-diameter
# problem (see kr_dual's HIGHS_TOL), so it is compared less tightly.
HIGHS_ATOL_PER_DIAMETER = 1e-9


def _diameter(*arrays):
    Z = np.concatenate([np.asarray(x, float).reshape(len(x), -1) for x in arrays])
    return float(np.ptp(Z, axis=0).max()) * Z.shape[1] or 1.0


def _net(rng, N, d):
    """Distinct atoms and net masses summing to zero, some atoms of each sign."""
    X = np.ascontiguousarray(rng.random((N, d)))
    c = rng.random(N) + 0.1
    c[: N // 2] *= -1.0
    rng.shuffle(c)
    c[c > 0] /= c[c > 0].sum()
    c[c < 0] /= -c[c < 0].sum()
    return X, c


def _check_flow(out, X, c, metric):
    """The certificate, recomputed by brute force."""
    assert out.status == OPTIMAL
    D = cdist(X, X, metric=metric)
    N = X.shape[0]
    # the flow is feasible: non-negative, out - in = c at every atom
    assert (out.flow >= 0).all()
    net = np.zeros(N)
    np.add.at(net, out.src, out.flow)
    np.add.at(net, out.dst, -out.flow)
    assert_allclose(net, c, rtol=0, atol=1e-14)
    # its cost, and sum c f, agree (zero duality gap)
    cost = float(np.dot(out.flow, D[out.src, out.dst]))
    assert abs(cost - out.flow_cost) <= 1e-14
    assert abs(cost - np.dot(c, out.f)) <= 1e-13
    # f is 1-Lipschitz on every pair of atoms (same sign included) ...
    excess = out.f[:, None] - out.f[None, :] - D
    assert excess.max() <= 1e-13
    assert abs(out.max_violation - max(excess.max(), 0.0)) <= 1e-13
    # ... and tight where flow moves (complementary slackness)
    slack = D[out.src, out.dst] - (out.f[out.src] - out.f[out.dst])
    assert (np.abs(slack[out.flow > 0]) <= 1e-13).all()
    # the final scan's inf-convolution is the repaired critic
    assert_allclose(out.repaired, (out.f[None, :] + D).min(axis=1), rtol=0, atol=1e-14)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("multiscale", [False, True])
@pytest.mark.parametrize("local", [False, True])
@pytest.mark.parametrize("cross_first", [False, True])
def test_flow_certificate_by_brute_force(monkeypatch, metric, multiscale, local,
                                         cross_first):
    monkeypatch.setattr(flow_module, "MULTISCALE_MIN", 20 if multiscale else 10**9)
    monkeypatch.setattr(flow_module, "LOCAL_PRICING", local)
    monkeypatch.setattr(flow_module, "CROSS_FIRST", cross_first)
    rng = np.random.default_rng(50)
    X, c = _net(rng, 400, 2)
    stats = FlowStats()
    out = solve_transshipment(X, c, metric, 1000, stats=stats)
    assert stats.warm_start == multiscale and (stats.levels > 0) == multiscale
    assert stats.full_scans >= 1  # only a scan of all pairs ends the solve
    _check_flow(out, X, c, metric)


def test_pooled_neighbour_arcs(monkeypatch):
    # same-side arcs from the start: a transshipment problem proper
    monkeypatch.setattr(flow_module, "POOLED_NEIGHBOURS", 4)
    X, c = _net(np.random.default_rng(51), 300, 3)
    _check_flow(solve_transshipment(X, c, "euclidean", 1000), X, c, "euclidean")


def test_collinear_atoms_may_route_through_each_other():
    # on a line every path through the atoms between is as short as the
    # direct arc: flows through a same-side atom are optimal too
    X = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    c = np.array([0.5, 0.5, -0.5, -0.5])
    out = solve_transshipment(X, c, "euclidean", 100)
    _check_flow(out, X, c, "euclidean")
    assert_allclose(out.flow_cost, 2.0, rtol=1e-15)


def test_net_masses_of_one_sign_are_rounding_noise():
    # p - q whose entries do not sum to zero only through rounding
    X = np.random.default_rng(61).random((3, 2))
    out = solve_transshipment(X, np.array([1e-17, 2e-17, 5e-18]), "euclidean", 10)
    assert out.status == OPTIMAL and out.flow_cost == 0.0 and out.n_arcs == 0
    assert_allclose(out.f, 0.0, atol=0)
    assert_allclose(out.repaired, 0.0, atol=0)


def test_equal_measures_up_to_normalisation_rounding():
    # P = Q, their weights normalised from different multiples: p - q is
    # rounding noise whose entries need not sum to zero exactly
    X = np.random.default_rng(62).random((7, 2))
    for seed in range(40):
        w = np.random.default_rng(seed).random(7)
        for k in (3.0000000000000004, 7.0, 0.1):
            res = transport.kr_dual(X, X, w, k * w)
            assert res.status == "optimal" and abs(res.value) <= 1e-15, (seed, k)


def _families(n, d, rng):
    yield "uniform", rng.random((n, d)), rng.random((n, d))
    yield "shifted", rng.random((n, d)), rng.random((n, d)) + 1.5
    centres = rng.random((4, d)) * 4
    clusters = centres[rng.integers(0, 4, n)] + 0.1 * rng.standard_normal((n, d))
    yield "clusters", clusters, rng.standard_normal((n, d))


@pytest.mark.parametrize("d", [2, 3])
def test_agrees_with_primal_on_families(d):
    # larger than MULTISCALE_MIN a side: the coarse start runs
    rng = np.random.default_rng(52 + d)
    for name, X, Y in _families(1200, d, rng):
        a, b = rng.random(1200), rng.random(1200)
        res = transport.kr_dual(X, Y, a, b)
        primal = transport.wasserstein(X, Y, a, b)
        assert res.status == "optimal" and res.method == "transshipment", name
        assert_allclose(res.value, primal, rtol=RTOL,
                        atol=ATOL_PER_DIAMETER * _diameter(X, Y), err_msg=name)


@pytest.mark.parametrize("metric", ["cityblock", "chebyshev"])
def test_agrees_with_primal_other_metrics(metric):
    rng = np.random.default_rng(56)
    X, Y = rng.random((700, 2)), rng.normal(0.5, 0.3, (600, 2))
    res = transport.kr_dual(X, Y, metric=metric)
    primal = transport.wasserstein(X, Y, metric=metric)
    assert_allclose(res.value, primal, rtol=RTOL, atol=ATOL_PER_DIAMETER * 4)


@settings(max_examples=40)
@given(weighted_clouds(d=2), st.sampled_from(METRICS))
def test_property_agrees_with_primal_and_highs(c, metric):
    X, Y, a, b = c
    res = transport.kr_dual(X, Y, a, b, metric=metric)
    assert res.method == "transshipment"
    primal = transport.solve(X, Y, a, b, metric=metric)
    s = _diameter(X, Y)
    assert_allclose(res.value, primal.cost, rtol=RTOL, atol=ATOL_PER_DIAMETER * s)
    lp = transport.kr_dual(X, Y, a, b, metric=metric, method="constraint_generation")
    assert abs(res.value - lp.value) <= HIGHS_ATOL_PER_DIAMETER * s
    # f 1-Lipschitz on the whole support
    D = cdist(res.support, res.support, metric=metric)
    assert (res.f[:, None] - res.f[None, :] - D).max() <= 1e-12 * s


def test_highs_cross_check_larger():
    rng = np.random.default_rng(57)
    X, Y = rng.random((800, 2)), rng.random((700, 2)) + [0.3, 0.0]
    flow = transport.kr_dual(X, Y)
    lp = transport.kr_dual(X, Y, method="constraint_generation")
    assert flow.method == "transshipment" and lp.method == "constraint_generation"
    assert abs(flow.value - lp.value) <= HIGHS_ATOL_PER_DIAMETER * 2


def test_auto_is_transshipment_and_line_stays_closed_form():
    rng = np.random.default_rng(58)
    X, Y = rng.random((30, 2)), rng.random((20, 2))
    assert transport.kr_dual(X, Y, method="auto").method == "transshipment"
    assert transport.kr_dual(X[:, 0], Y[:, 0], method="transshipment").method == "1d"


@pytest.mark.parametrize("method, held", [("transshipment", "arcs"),
                                          ("constraint_generation", "constraints")])
@pytest.mark.parametrize("bar", [True, False])
def test_progress_on_stderr_only(capfd, monkeypatch, method, held, bar):
    if not bar:  # no tqdm: plain lines
        monkeypatch.setitem(sys.modules, "tqdm", None)
    rng = np.random.default_rng(59)
    X, Y = rng.random((300, 2)), rng.random((300, 2))
    quiet = transport.kr_dual(X, Y, method=method)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    res = transport.kr_dual(X, Y, method=method, progress=True)
    out, err = capfd.readouterr()
    assert out == ""
    assert "kr_dual" in err
    for field in ("round=", f"{held}=", "violations=", "value=", "status=optimal"):
        assert field in err, (field, err)
    if not bar:
        assert err.rstrip().endswith("done")
    assert res.value == quiet.value


class _Recorder:
    """A progress reporter that keeps what it is told."""

    enabled = True

    def __init__(self):
        self.updates = []
        self.closed = None

    def update(self, advance=0, **fields):
        self.updates.append(fields)

    def close(self, **fields):
        self.closed = fields


@pytest.mark.parametrize("method", ["transshipment", "constraint_generation"])
def test_progress_fields_in_the_callers_units(monkeypatch, method):
    import transport._dual._kr_dual as kr_module

    recorder = _Recorder()
    monkeypatch.setattr(kr_module, "progress_reporter", lambda progress, what: recorder)
    rng = np.random.default_rng(60)
    X, Y = 1e3 * rng.random((200, 2)), 1e3 * rng.random((150, 2))
    res = transport.kr_dual(X, Y, method=method, progress=True)
    rounds = [u["round"] for u in recorder.updates]
    assert rounds == list(range(1, res.n_iter + 1))
    last = recorder.updates[-1]
    assert last["violations"] == 0
    assert last["arcs" if method == "transshipment" else "constraints"] == res.n_constraints
    # the last round's value is the optimum's, in the units of X and Y
    assert_allclose(last["value"], res.value, rtol=1e-9)
    assert recorder.closed == {"status": "optimal", "value": res.value}
