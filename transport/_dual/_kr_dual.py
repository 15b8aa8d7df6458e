r"""Kantorovich-Rubinstein dual of the Earth-Mover distance: the exact critic.

W_1(P, Q) = max { sum_k f_k (p_k - q_k) : f_k - f_l <= d(x_k, x_l) } over
the common support of P and Q.  On the line the maximiser has a closed form.
In R^d the LP is solved by one of two algorithms of its own, neither of
which uses the primal solver's potentials, so that primal = dual is a real
check:

* "transshipment" (the default): the LP is the dual of a min-cost flow on
  the pooled atoms (supplies p - q, an arc between every ordered pair),
  solved by column generation on our network simplex with an exact kd-tree
  scan of all pairs as the certificate (`transport._dual._kr_flow`);
* "constraint_generation": the LP in HiGHS, a few pair constraints per atom
  at a time (this module's `_generate`); kept as a cross-check.
"""

import math
import os
import sys
import threading
from dataclasses import dataclass

import numpy as np

from divergences import align
from divergences._parallel import parallel_ok

from . import _kr_kernels as kern
from .._clouds._kdscan import TargetTree, c_transform
from .._core._metrics import METRICS, pair_costs, validate_metric
from .._core._progress import NO_PROGRESS, progress_reporter
from .._core._results import (INFEASIBLE, MAX_PIVOTS, MAX_ROUNDS, NUMERICAL, OPTIMAL,
                               warn_uncertified)
from .._core._scaling import cloud_scale, not_representable, scale_back, times_power_of_two
from .._core._validation import as_float_array, validate_cap

__all__ = ["KRDualResult", "kr_dual"]

#: Default cap on the number of LP rounds of constraint generation.
DEFAULT_MAX_ROUNDS = 1000

#: Neighbours per atom in the initial LP (k-nearest-neighbour pairs).
INITIAL_NEIGHBOURS = 8

#: At most this many new constraints per atom are added in one round (the
#: worst violators of its row).
ROW_WIDTH = 8

#: Violations below ``VIOLATION_RTOL * diameter`` are not constraints worth
#: adding; the final repair removes whatever remains of them.
VIOLATION_RTOL = 1e-10

#: HiGHS primal and dual feasibility tolerances (on the problem scaled to unit
#: diameter and unit largest objective coefficient); 1e-10 is HiGHS's floor.
HIGHS_TOL = 1e-10

#: From this many atoms in the LP, its first solve is by interior point and
#: crossover.  Measured on uniform 2-D points against the dual simplex from
#: scratch: slower at 4000 atoms (2.0 s vs 1.7 s), even at 6000, faster at
#: 8000 (6.5 s vs 10-12 s) and 16000 (27-30 s vs 38 s).
IPM_MIN = 6000

#: Add `_transport_pairs` to the first LP.
TRANSPORT_PAIRS = True

#: Find violated pairs with the kd-tree scan (`_tree_violations`) rather
#: than by touching all N^2 pairs.
TREE_SCAN = True

#: From this many atoms, the all-pairs kernels run their parallel twins.
KR_PARALLEL_MIN = 1500

_SQEUCLIDEAN_MESSAGE = (
    "`metric` = 'sqeuclidean' is not a metric (it violates the triangle "
    "inequality), so the Kantorovich-Rubinstein duality with W_1 does not "
    "apply to it; use 'euclidean', 'cityblock' or 'chebyshev'."
)


@dataclass(frozen=True)
class KRDualResult:
    r"""Solution of the Kantorovich-Rubinstein dual of W_1.

    Attributes
    ----------
    value : float
        W_1(P, Q) = sum_k f_k (p_k - q_k); NaN when ``status != "optimal"``
        (an unproven number is never reported as the answer).
    support : (N, d) ndarray
        The distinct atoms of P and Q (identical atoms merged), in
        lexicographic order.
    p, q : (N,) ndarray
        The weights of P and Q on `support`, each summing to 1.
    f : (N,) ndarray
        An optimal critic on `support`: 1-Lipschitz there, normalised so that
        ``sum(f * (p + q)) / 2 == 0``.  Not unique in general.
    status : str
        "optimal", or why optimality could not be proven
        ("max_rounds_reached", "numerical_error", "lp_error: <HiGHS model
        status>").
    method : str
        The algorithm that ran: "1d" (closed form on the line),
        "transshipment" (network simplex on the pooled atoms) or
        "constraint_generation" (HiGHS).
    n_iter : int
        Number of LP solves, simplex runs for "transshipment" (0 for "1d").
    n_constraints : int
        Pair constraints in the final LP, arcs for "transshipment" (0 for
        "1d").
    metric : str
        The ground metric, as used by `critic`.
    """

    value: float
    support: np.ndarray
    p: np.ndarray
    q: np.ndarray
    f: np.ndarray
    status: str
    method: str
    n_iter: int
    n_constraints: int
    metric: str

    @property
    def success(self):
        """True when `value` is proven optimal."""
        return self.status == "optimal"

    def critic(self, points):
        r"""The critic at arbitrary points: min_k f_k + d(z, x_k).

        This is the largest 1-Lipschitz function of R^d that agrees with `f`
        on `support` (McShane's extension); it is 1-Lipschitz everywhere and
        equals `f` on the support.

        Parameters
        ----------
        points : (k, d) array_like, or (k,) when d = 1
            Finite query points.

        Returns
        -------
        (k,) ndarray
            The critic's values.

        Raises
        ------
        ValueError, TypeError
            Non-numeric, NaN or inf points, or points of the wrong dimension.
        """
        d = self.support.shape[1]
        Z = as_float_array(points, "points")
        if Z.ndim == 1 and d == 1:
            Z = Z[:, None]
        if Z.ndim != 2 or Z.shape[1] != d:
            hint = " (or (k,) for points on the line)" if d == 1 else ""
            raise ValueError(
                f"`points` must have shape (k, {d}){hint} to match the "
                f"support; got shape {Z.shape}."
            )
        if Z.shape[0] == 0:
            return np.empty(0)
        if not np.isfinite(Z).all():
            bad = int(np.flatnonzero(~np.isfinite(Z).all(axis=1))[0])
            raise ValueError(
                f"`points` must be finite; row {bad} is {Z[bad].tolist()}."
            )
        # distances on the points and the support rescaled together (exact
        # power of two), so that they neither overflow nor underflow
        scaled = cloud_scale(np.ascontiguousarray(Z), self.support, self.metric, 1.0)
        out = np.empty(Z.shape[0])
        _inf_convolution(scaled.X, scaled.Y, np.ldexp(self.f, -scaled.exponent),
                         METRICS[self.metric].code, out)
        return np.ldexp(out, scaled.exponent)


def _inf_convolution(Z, X, f, code, out):
    """out[i] = min_k d(z_i, x_k) + f_k (exact)."""
    if TREE_SCAN and Z.shape[0] * X.shape[0] >= KR_PARALLEL_MIN**2:
        # the kd-tree c-transform with potentials -f: exact, pruned
        out[:] = c_transform(Z, X, -f, code, 1.0)
    elif Z.shape[0] * X.shape[0] >= KR_PARALLEL_MIN**2 and parallel_ok():
        kern.inf_convolution_parallel(Z, X, f, code, out)
    else:
        kern.inf_convolution(Z, X, f, code, out)


def _diameter(X, metric):
    """An upper bound on the pairwise distances: the bounding box diameter."""
    extent = X.max(axis=0) - X.min(axis=0)
    if metric == "euclidean":  # scaled, so that tiny extents do not underflow
        top = extent.max()
        return float(top * np.sqrt(np.sum((extent / top) ** 2))) if top > 0 else 0.0
    if metric == "cityblock":
        return float(extent.sum())
    return float(extent.max())


def _solve_1d(x, p, q):
    """Closed-form critic on the line (x sorted increasingly, distinct).

    sum_k f_k c_k = -sum_i D_i (f_{i+1} - f_i) with D_i = F_P - F_Q on
    [x_i, x_{i+1}) (summation by parts, D_{N-1} = 0), maximised by the
    slope -sign(D_i) on each gap; the maximum is sum_i |D_i| gap_i.
    """
    gaps = np.diff(x)
    D = np.cumsum(p - q)[:-1]
    f = np.zeros(x.shape[0])
    np.cumsum(-np.sign(D) * gaps, out=f[1:])
    value = float(np.dot(np.abs(D), gaps))
    return f, value


def _solve_line(support, p, q):
    """(f, value) on the line: `_solve_1d` on the atoms moved and scaled by
    a power of two (`cloud_scale`; unchanged at ordinary sizes), so that
    gaps of atoms near +-1e308 do not overflow nor those of atoms 1e-300
    apart underflow; f normalised (mean 0 under (P + Q) / 2) and both
    scaled back.  A value or critic beyond float64 raises
    `NotRepresentableError`."""
    scaled = cloud_scale(support, support, "euclidean", 1.0)
    f, value = _solve_1d(scaled.X[:, 0], p, q)
    f -= math.fsum(f * (p + q)) / 2.0
    if not scaled.exponent:
        return f, value
    hint = "divide `u_values` and `v_values` by a common factor c (W_1 scales by c)"
    value = float(scale_back(value, scaled.exponent, "W_1(P, Q)", hint))
    f = times_power_of_two(f, scaled.exponent)
    if not np.isfinite(f).all():
        raise not_representable("the critic f (values up to the atoms' extent)", hint)
    return f, value


_banner_lock = threading.Lock()
_banner_shown = False


def _new_highs(highspy):
    """A `highspy.Highs` instance, without the banner that the first one in a
    process writes to the C-level standard output (a library prints
    nothing): that first construction runs with file descriptor 1 pointed at
    the null device."""
    global _banner_shown
    with _banner_lock:
        if _banner_shown:
            return highspy.Highs()
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, 1)
            finally:
                os.close(null)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _banner_shown = True
        return h


class _PairLP:
    """The KR LP over a growing set of pairs, held by HiGHS in its dual form.

    HiGHS holds the transshipment LP

        min sum_(k,l) d_kl g_kl  s.t.  sum_l g_kl - sum_l g_lk = c_k,  g >= 0,

    whose row duals f satisfy f_k - f_l <= d_kl for every pair held and
    maximise sum_k c_k f_k: they are the critic of the KR LP restricted to
    those pairs.  A new pair constraint is a new column, added in bulk; each
    re-solve warm-starts from the previous basis.  (Measured 2-3x faster
    than holding f as columns and the pairs as rows: the basis then has one
    row per pair instead of one per atom.)  Row 0 is left free, which pins
    f_0 = 0 and drops the one redundant balance equation.  Coordinates are
    scaled to unit diameter and c to unit largest |c|, so that HiGHS's
    absolute tolerances are relative ones.
    """

    def __init__(self, X, c, code):
        import highspy

        self._highspy = highspy
        self.X = X
        self.code = code
        n = X.shape[0]
        h = _new_highs(highspy)
        h.setOptionValue("output_flag", False)
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("simplex_strategy", 1)  # dual simplex
        h.setOptionValue("presolve", "off")
        h.setOptionValue("primal_feasibility_tolerance", HIGHS_TOL)
        h.setOptionValue("dual_feasibility_tolerance", HIGHS_TOL)
        rhs = c / np.abs(c).max()
        lower = rhs.copy()
        upper = rhs.copy()
        lower[0], upper[0] = -highspy.kHighsInf, highspy.kHighsInf
        empty = np.zeros(0, dtype=np.int32)
        h.addRows(n, lower, upper, 0, np.zeros(n, dtype=np.int32), empty, np.zeros(0))
        self.h = h
        self.keys = np.empty(0, dtype=np.int64)  # sorted k * n + l
        self.error = None

    @property
    def n_pairs(self):
        return self.keys.shape[0]

    def add_pairs(self, rows, cols):
        """Add the constraints f_k - f_l <= d(x_k, x_l) for pairs not yet held."""
        n = self.X.shape[0]
        distinct = rows != cols  # k-NN ties can list an atom as its own neighbour
        keys = np.unique(rows[distinct].astype(np.int64) * n + cols[distinct])
        keys = keys[~np.isin(keys, self.keys, assume_unique=True)]
        if keys.size == 0:
            return 0
        rows = keys // n
        cols = keys % n
        m = keys.size
        cost = np.empty(m)
        pair_costs(self.X, self.X, rows, cols, self.code, 1.0, cost)
        index = np.empty(2 * m, dtype=np.int32)
        index[0::2] = rows
        index[1::2] = cols
        values = np.empty(2 * m)
        values[0::2] = 1.0
        values[1::2] = -1.0
        starts = np.arange(0, 2 * m, 2, dtype=np.int32)
        inf = np.full(m, self._highspy.kHighsInf)
        status = self.h.addCols(m, cost, np.zeros(m), inf, 2 * m, starts, index, values)
        if status == self._highspy.HighsStatus.kError:
            self.error = f"addCols returned {status}"
        self.keys = np.union1d(self.keys, keys)
        return m

    def solve(self, interior_point=False):
        """Run HiGHS; (f, None) when optimal, (None, reason) otherwise.

        With `interior_point`, the LP is solved by interior point and
        crossover, then the simplex runs from the crossover basis (cleaning
        up its small dual infeasibilities, if any); later solves are simplex
        only, warm-started.
        """
        if self.error is not None:
            return None, self.error
        optimal = self._highspy.HighsModelStatus.kOptimal
        if interior_point:
            self.h.setOptionValue("solver", "ipm")
            self.h.run()
            self.h.setOptionValue("solver", "simplex")
            if self.h.getModelStatus() != optimal:
                self.h.run()
        else:
            self.h.run()
        status = self.h.getModelStatus()
        if status != optimal:
            return None, self.h.modelStatusToString(status)
        return np.array(self.h.getSolution().row_dual, dtype=np.float64), None


def _transport_pairs(X, c, metric):
    """Pairs that follow the data: each supplying atom (c > 0) against the
    demanding atoms (c < 0) nearest to it once moved by the shift between
    the two sides' barycentres -- where its constraint f_k - f_l <= d_kl is
    likely to bind when the clouds lie far apart (the k-NN pairs within
    one cloud never reach across)."""
    supply = np.flatnonzero(c > 0)
    demand = np.flatnonzero(c < 0)
    k = min(INITIAL_NEIGHBOURS, demand.size)
    if supply.size == 0 or k == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    ws, wd = c[supply], -c[demand]
    shift = (wd @ X[demand]) / wd.sum() - (ws @ X[supply]) / ws.sum()
    from scipy.spatial import cKDTree  # loaded on first use

    _, nbr = cKDTree(X[demand]).query(X[supply] + shift, k=k,
                                      p=METRICS[metric].minkowski)
    nbr = np.asarray(nbr, np.int64).reshape(supply.size, k)
    return np.repeat(supply, k), demand[nbr.ravel()]


def _initial_pairs(X, metric):
    """A strongly connected starting set: k-NN pairs and a chain, both ways."""
    n = X.shape[0]
    order = np.argsort(X[:, 0], kind="stable")
    rows = [order[:-1], order[1:]]
    cols = [order[1:], order[:-1]]
    k = min(INITIAL_NEIGHBOURS, n - 1)
    if k > 0:
        from scipy.spatial import cKDTree  # loaded on first use

        _, nbr = cKDTree(X).query(X, k=k + 1, p=METRICS[metric].minkowski)
        src = np.repeat(np.arange(n), k + 1)  # self pairs are dropped later
        rows += [src, nbr.ravel()]
        cols += [nbr.ravel(), src]
    return np.concatenate(rows), np.concatenate(cols)


def _generate(X, c, metric, max_rounds, report=NO_PROGRESS, unit=1.0):
    """Constraint generation in HiGHS on distinct atoms X (N >= 2) with
    weights c.

    Returns (f, status, n_iter, n_constraints, repaired); f is in the
    units of X, not yet repaired (repaired = False).
    """
    code = METRICS[metric].code
    lo = X.min(axis=0)
    scale = _diameter(X, metric)
    Xs = np.ascontiguousarray((X - lo) / scale)
    lp = _PairLP(Xs, c, code)
    lp.add_pairs(*_initial_pairs(Xs, metric))
    if TRANSPORT_PAIRS:
        lp.add_pairs(*_transport_pairs(Xs, c, metric))
    n = X.shape[0]
    tree = TargetTree(Xs) if TREE_SCAN else None
    out_l = np.empty((n, ROW_WIDTH), dtype=np.int64)
    out_v = np.empty((n, ROW_WIDTH))
    counts = np.empty(n, dtype=np.int64)
    scan = (
        kern.find_violations_parallel
        if n >= KR_PARALLEL_MIN and parallel_ok()
        else kern.find_violations
    )
    n_iter = 0
    f = np.zeros(n)
    while True:
        fs, error = lp.solve(interior_point=n_iter == 0 and n >= IPM_MIN)
        n_iter += 1
        if error is not None:
            return f, f"lp_error: {error}", n_iter, lp.n_pairs, False
        f = fs * scale
        total = -1
        if tree is not None:
            total = _tree_violations(tree, Xs, fs, code, lp.keys, out_l, counts)
        if total < 0:  # no tree, or violated pairs all held already
            total = scan(Xs, fs, code, VIOLATION_RTOL, lp.keys, out_l, out_v, counts)
        report.update(round=n_iter, constraints=lp.n_pairs, violations=int(total),
                      value=float(np.dot(c, f)) * unit)
        if total == 0:
            return f, "optimal", n_iter, lp.n_pairs, False
        if n_iter >= max_rounds:
            return f, "max_rounds_reached", n_iter, lp.n_pairs, False
        mask = np.arange(ROW_WIDTH) < counts[:, None]
        rows = np.broadcast_to(np.arange(n)[:, None], mask.shape)[mask]
        lp.add_pairs(rows, out_l[mask])


def _tree_violations(tree, X, f, code, present, out_l, counts):
    """The kd-tree scan of `transport._clouds._kdscan` as the violation finder:
    f_k - f_l - d(x_k, x_l) > tol is d(x_k, x_l) - (-f_l) < f_k - tol, a
    c-transform query with potentials -f, pruned by the tree's bounds
    instead of touching all N^2 pairs.  Fills out_l / counts with the most
    violated pairs not yet held; returns their total, 0 when no pair is
    violated, or -1 when the pairs found are all held already (the caller
    then runs the exhaustive scan, which skips held pairs)."""
    n = X.shape[0]
    width = out_l.shape[1]
    found, cols, _, _ = tree.scan(X, -f, f - VIOLATION_RTOL, width, code, 1.0)
    if not found.any():
        counts[:] = 0
        return 0
    mask = np.arange(width)[None, :] < found[:, None]
    rows = np.broadcast_to(np.arange(n)[:, None], mask.shape)[mask]
    keys = rows.astype(np.int64) * n + cols[mask]
    held = np.isin(keys, present, assume_unique=False)
    if held.all():
        return -1
    new = np.zeros_like(mask)
    new[mask] = ~held
    counts[:] = new.sum(axis=1)
    # compact each row's new columns to its front
    order = np.argsort(~new, axis=1, kind="stable")
    out_l[:] = np.take_along_axis(cols, order, axis=1)
    return int(counts.sum())


def _transshipment(X, c, metric, max_rounds, report=NO_PROGRESS, unit=1.0):
    """The min-cost flow of `transport._dual._kr_flow` on distinct atoms X
    (N >= 2) with net masses c, on X rescaled to unit diameter.

    Returns (f, status, n_iter, n_constraints, repaired) as `_generate`
    does, but f already repaired (repaired = True) when optimal: the final
    scan computed min_l f_l + d(x_k, x_l) exactly.
    """
    from ._kr_flow import solve_transshipment

    lo = X.min(axis=0)
    scale = _diameter(X, metric)
    Xs = np.ascontiguousarray((X - lo) / scale)
    out = solve_transshipment(Xs, c, metric, max_rounds,
                              report if report.enabled else None, unit=unit * scale)
    status = _FLOW_STATUS.get(int(out.status), "numerical_error")
    if out.repaired is not None:
        return out.repaired * scale, status, out.n_rounds, out.n_arcs, True
    return out.f * scale, status, out.n_rounds, out.n_arcs, False


_FLOW_STATUS = {OPTIMAL: "optimal", MAX_ROUNDS: "max_rounds_reached",
                MAX_PIVOTS: "max_pivots_reached", INFEASIBLE: "infeasible",
                NUMERICAL: "numerical_error"}

#: The algorithms for d >= 2 (`kr_dual`'s `method`); "auto" is the first.
_METHODS = {"transshipment": _transshipment, "constraint_generation": _generate}


def _solve_lp(support, p, q, metric, max_rounds=DEFAULT_MAX_ROUNDS,
              method="transshipment", report=NO_PROGRESS, unit=1.0):
    """The critic by `method` (a key of `_METHODS`), for a support of any
    dimension.

    Only atoms with p_k != q_k enter the LP: W_1 depends on P - Q alone, and
    the constraints through an atom of zero net mass are implied by the
    triangle inequality.  After the LP, f is repaired to be exactly
    1-Lipschitz on those atoms (f_k <- min_l f_l + d_kl) and extended to the
    other atoms by the same formula.  `report` is the progress reporter,
    `unit` the factor from the support's units to the caller's (for the
    values it shows).

    Returns
    -------
    f : (N,) ndarray
        Critic on the whole support (not normalised).
    status : str
    n_iter, n_constraints : int
    """
    code = METRICS[metric].code
    c = p - q
    active = np.flatnonzero(c != 0.0)
    f = np.zeros(support.shape[0])
    if active.size < 2:
        return f, "optimal", 0, 0
    Xa = np.ascontiguousarray(support[active])
    fa, status, n_iter, n_constraints, exact = _METHODS[method](
        Xa, c[active], metric, max_rounds, report, unit)
    repaired = fa
    if not exact:  # the repair, unless the method's final scan did it
        repaired = np.empty_like(fa)
        _inf_convolution(Xa, Xa, fa, code, repaired)
    f[active] = repaired
    if active.size < support.shape[0]:
        idle = np.setdiff1d(np.arange(support.shape[0]), active, assume_unique=True)
        rest = np.empty(idle.size)
        _inf_convolution(np.ascontiguousarray(support[idle]), Xa, repaired, code, rest)
        f[idle] = rest
    return f, status, n_iter, n_constraints


def _validate_method(method):
    """`method` must be "auto" or a key of `_METHODS`; returns the key."""
    if not isinstance(method, str):
        raise TypeError(f"`method` must be a string; got {type(method).__name__}.")
    if method == "auto":
        return next(iter(_METHODS))
    if method not in _METHODS:
        names = ", ".join(repr(k) for k in ("auto", *_METHODS))
        raise ValueError(f"`method` must be one of {names}; got {method!r}.")
    return method


def kr_dual(u_values, v_values, u_weights=None, v_weights=None, *,
            metric="euclidean", method="auto", max_rounds=DEFAULT_MAX_ROUNDS,
            progress=False):
    r"""Exact Kantorovich-Rubinstein dual of W_1: the optimal critic.

    Parameters
    ----------
    u_values : (n,) or (n, d) array_like
        Atoms of P (points on the line, or in R^d).
    v_values : (m,) or (m, d) array_like
        Atoms of Q, in the same space.
    u_weights, v_weights : (n,), (m,) array_like, optional
        Non-negative weights with a positive sum, normalised to 1; uniform
        when None.  Zero weights are allowed.
    metric : str, optional
        Ground metric: "euclidean" (default), "cityblock" or "chebyshev"
        (aliases as in `wasserstein`).  "sqeuclidean" is refused: it is not
        a metric.
    method : {"auto", "transshipment", "constraint_generation"}, optional
        The algorithm for atoms in R^d, d >= 2 (on the line the closed form
        always runs): "transshipment" (what "auto" picks) is our network
        simplex on the min-cost flow whose dual is the KR LP;
        "constraint_generation" solves the KR LP in HiGHS.
    max_rounds : int, optional
        Cap on the rounds of column (constraint) generation (default 1000).
    progress : bool, optional
        Report each round (rounds, arcs or constraints held, violations
        found, the current value) on stderr while the solve runs: a tqdm
        bar where tqdm is installed, plain lines otherwise.  Nothing is
        written to stdout.  Default False.

    Returns
    -------
    KRDualResult
        `value` (W_1), `support`, `p`, `q`, the critic `f` on the support,
        `status`, `method`, `n_iter`, `n_constraints`, and the method
        ``critic(points)`` that extends `f` to any points.

    Raises
    ------
    ValueError
        NaN or inf atoms, negative or all-zero weights, empty input, lengths
        or dimensions that do not match, an unknown metric or "sqeuclidean",
        an unknown method; on the line, a W_1 or critic beyond float64
        (`NotRepresentableError`, also an OverflowError).
    TypeError
        Non-numeric input, a metric or method that is not a string, a
        `progress` that is not a bool.

    Warns
    -----
    UncertifiedWarning
        When optimality could not be proven (``status != "optimal"``); the
        value is then NaN, while `f` is still 1-Lipschitz on the support.

    See Also
    --------
    wasserstein, emd

    Notes
    -----
    With c_k = p_k - q_k on the common support {x_k},

    .. math::

        W_1(P, Q) = \max_f \sum_k f_k c_k
        \quad\text{s.t.}\quad f_k - f_l \le d(x_k, x_l) \ \forall k, l.

    On the line (d = 1) the critic has slope -sign(F_P - F_Q) between
    consecutive atoms, in O(N log N).

    In R^d the LP above is, by LP duality, the dual of an uncapacitated
    min-cost flow on the atoms with supplies c_k and an arc k -> l of cost
    d(x_k, x_l) for every ordered pair (a transshipment problem); the node
    potentials of an optimal flow are an optimal f.  ``method="auto"``
    solves that flow problem by our network simplex with column
    generation: the simplex holds a sparse set of arcs (nearest neighbours
    across the two signs of c, and for larger problems the arcs of a
    coarsened problem solved first, whose flow also gives the first
    spanning tree); after each solve violated pairs f_k - f_l > d(x_k,
    x_l) + tol are looked for next to the tree, then by a kd-tree scan of
    the pairs from atoms with c_k > 0 to atoms with c_l < 0, then of *all*
    ordered pairs of atoms (whole nodes skipped by bounds, none that could
    hold a violation); those found become arcs and the simplex resumes
    from its last tree.  It stops when the scan of all pairs finds none,
    tol being 2^-40 times the diameter plus twice ``max |f|``, and the cost of
    the flow equals sum_k c_k f_k (the gap is measured; a gap beyond
    rounding is reported as "numerical_error").
    This is not the primal solver (`solve`): that one solves the bipartite
    transport problem between the atoms of P and of Q, whose potentials
    only need u_i + v_j <= d(x_i, y_j) across the two clouds; here the
    nodes are the atoms of the merged support carrying P - Q, and f is
    certified 1-Lipschitz on every pair of them, same side included.
    Primal = dual compares two solutions certified independently.

    ``method="constraint_generation"`` solves the LP in HiGHS instead.  It
    starts from the pairs of k nearest neighbours
    and a chain along the first coordinate (both directions), plus each
    supplying atom against the demanding atoms nearest to it once moved by
    the shift between the two sides' barycentres (so that far-apart clouds
    start with pairs across the gap); each round scans all N^2 pairs through
    a kd-tree (a violated pair is a c-transform query with potentials -f;
    whole nodes are skipped by bounds, none that could hold a violation),
    adds the 8 worst new violators of each row and re-solves from the
    previous basis; it stops when no pair is
    violated by more than 1e-10 times the support's diameter.  HiGHS holds
    the LP's dual, a transshipment problem over the pairs held, whose row
    duals are f (new constraints are new columns).

    Either way, atoms with p_k = q_k stay out of the LP (W_1 only depends
    on P - Q).  A final repair
    f_k <- min_l (f_l + d(x_k, x_l)) makes f exactly 1-Lipschitz on the
    support (the same exact kd-tree query), and `value` is computed from the
    repaired f.

    The critic is defined up to an additive constant; it is normalised so
    that its mean under the mixture (P + Q) / 2 is zero.  `critic` is the
    McShane extension min_k f_k + d(z, x_k), 1-Lipschitz on all of R^d.

    References
    ----------
    .. [1] C. Villani, "Optimal Transport: Old and New", Springer, 2009,
       chapter 5 (Kantorovich duality; its Kantorovich-Rubinstein case).
    .. [2] E. J. McShane, "Extension of range of functions", Bull. Amer.
       Math. Soc. 40 (1934), 837-842.

    Examples
    --------
    >>> from transport import kr_dual
    >>> res = kr_dual([[0.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [1.0, 1.0]])
    >>> round(res.value, 12), res.status, res.method
    (1.0, 'optimal', 'transshipment')

    The critic separates P from Q by exactly W_1 (its values themselves are
    not unique here):

    >>> f_p = res.critic([[0.0, 0.0], [1.0, 0.0]])
    >>> f_q = res.critic([[0.0, 1.0], [1.0, 1.0]])
    >>> round(float(f_p.mean() - f_q.mean()), 12)
    1.0

    On the line the closed form runs:

    >>> res = kr_dual([0.0, 1.0], [2.0, 3.0])
    >>> res.value, res.method, res.f
    (2.0, '1d', array([ 1.5,  0.5, -0.5, -1.5]))
    """
    metric = validate_metric(metric)
    if not METRICS[metric].is_metric:
        raise ValueError(_SQEUCLIDEAN_MESSAGE)
    method = _validate_method(method)
    max_rounds = validate_cap(max_rounds, "max_rounds")
    report = progress_reporter(progress, "kr_dual")
    support, p, q = align(u_values, v_values, u_weights, v_weights)
    support = np.ascontiguousarray(support.reshape(support.shape[0], -1))
    if support.shape[1] == 1:
        f, value = _solve_line(support, p, q)
        status, method, n_iter, n_constraints = "optimal", "1d", 0, 0
    else:
        # the LP on the support rescaled by a power of two (distances of tiny
        # or huge clouds would under- or overflow), f scaled back
        scaled = cloud_scale(support, support, metric, 1.0)
        f, status, n_iter, n_constraints = _solve_lp(
            scaled.X, p, q, metric, max_rounds, method, report,
            math.ldexp(1.0, scaled.exponent))
        # The value from f relative to one atom where P - Q != 0 (sum(p - q)
        # is 0, so any constant may be subtracted): those differences are at
        # most the diameter of the atoms that count, whereas the mean under
        # (P + Q) / 2 taken out below may be far larger and absorb them.
        c = p - q
        active = np.flatnonzero(c)
        offset = f[active[0]] if active.size else 0.0
        value = math.ldexp(math.fsum((f - offset) * c), scaled.exponent)
        f -= math.fsum(f * (p + q)) / 2.0  # E_{(P+Q)/2} f = 0
        f = np.ldexp(f, scaled.exponent)
    if status != "optimal":
        value = math.nan
    report.close(status=status, value=float(value))
    result = KRDualResult(
        value=float(value),
        support=support,
        p=p,
        q=q,
        f=f,
        status=status,
        method=method,
        n_iter=n_iter,
        n_constraints=n_constraints,
        metric=metric,
    )
    held = "arcs" if method == "transshipment" else "constraints"
    return warn_uncertified(result, "kr_dual",
                            f"{n_iter} rounds, {n_constraints} {held}",
                            quantity="value")
