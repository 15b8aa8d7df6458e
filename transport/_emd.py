"""Exact discrete optimal transport: `emd`, `emd2` and their result."""

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse

from ._certify import DEFAULT_RTOL, Certificate, certify_arrays, max_abs
from ._ns_driver import solve_dense
from ._validation import validate_problem

__all__ = [
    "TransportResult",
    "OptimalityError",
    "UncertifiedWarning",
    "emd",
    "emd2",
    "solve_problem",
    "certified_distance",
    "settle",
]

#: Default pivot cap.  The strongly feasible tree rules out cycling, so the
#: cap is a backstop against pathological inputs, not a normal way to stop.
DEFAULT_MAX_ITER = 100_000_000

_STATUS = {0: "optimal", 1: "max_iter_reached", 2: "numerical_error", 3: "infeasible"}


class OptimalityError(RuntimeError):
    """A solver could not prove its answer optimal (see the result's status)."""


class UncertifiedWarning(RuntimeWarning):
    """A result is returned whose optimality could not be certified."""


@dataclass(frozen=True)
class TransportResult:
    """Solution of a discrete optimal transport problem.

    Attributes
    ----------
    cost : float
        The optimal cost <P, M>; NaN when ``status != "optimal"`` (an
        uncertified number is never reported as the optimum).
    plan : scipy.sparse.coo_array, shape (n, m)
        The optimal plan, with at most n + m - 1 positive entries (a basic
        solution).  ``plan.toarray()`` or `dense_plan` gives it dense.
    u : (n,) ndarray
    v : (m,) ndarray
        Dual potentials: u_i + v_j <= M_ij for all pairs, with equality where
        the plan is positive, and sum a u + sum b v = cost.  Normalised so
        that the first positive-mass target has v_j = 0.
    status : str
        "optimal", or why optimality could not be proven ("max_iter_reached",
        "numerical_error", "uncertified").
    n_iter : int
        Number of simplex pivots.
    method : str
        The algorithm that ran (e.g. "network_simplex").
    certificate : Certificate
        The independent check of marginals, dual feasibility and gap.
    """

    cost: float
    plan: scipy.sparse.coo_array
    u: np.ndarray
    v: np.ndarray
    status: str
    n_iter: int
    method: str
    certificate: Certificate = field(repr=False)

    @property
    def success(self):
        """True when the result is certified optimal."""
        return self.status == "optimal"

    def dense_plan(self):
        """The plan as a dense (n, m) ndarray."""
        return self.plan.toarray()


def _parse_options(options):
    known = {"max_iter", "rtol"}
    unknown = set(options) - known
    if unknown:
        raise TypeError(
            f"unknown option(s) {sorted(unknown)}; `emd` accepts {sorted(known)}."
        )
    max_iter = options.get("max_iter", DEFAULT_MAX_ITER)
    if isinstance(max_iter, (bool, np.bool_)) or not isinstance(max_iter, (int, np.integer)):
        raise TypeError(f"`max_iter` must be an integer; got {max_iter!r}.")
    if max_iter < 0:
        raise ValueError(f"`max_iter` must be >= 0; got {max_iter}.")
    rtol = float(options.get("rtol", DEFAULT_RTOL))
    if not (0 < rtol < 1):
        raise ValueError(f"`rtol` must lie in (0, 1); got {rtol!r}.")
    return int(max_iter), rtol


def _restore_dropped_duals(u_kept, v_kept, rows_kept, cols_kept, M):
    """Full potentials when zero-mass rows/columns were left out of the solve.

    A dropped row i gets u_i = min over kept columns of (M_ij - v_j), a
    dropped column j then v_j = min over all rows of (M_ij - u_i): both are
    dual feasible, tight somewhere, and do not change the objective (their
    mass is zero).
    """
    n, m = M.shape
    u = np.empty(n)
    v = np.empty(m)
    u[rows_kept] = u_kept
    v[cols_kept] = v_kept
    drop_rows = np.setdiff1d(np.arange(n), rows_kept, assume_unique=True)
    drop_cols = np.setdiff1d(np.arange(m), cols_kept, assume_unique=True)
    if drop_rows.size:
        u[drop_rows] = (M[np.ix_(drop_rows, cols_kept)] - v_kept).min(axis=1)
    if drop_cols.size:
        v[drop_cols] = (M[:, drop_cols] - u[:, None]).min(axis=0)
    return u, v


def solve_problem(a, b, M, max_iter=DEFAULT_MAX_ITER, rtol=DEFAULT_RTOL):
    """Solve and certify a validated problem; returns a `TransportResult`.

    `b` is rescaled to the total mass of `a` (they agree to `MASS_RTOL`), so
    that the network is exactly balanced up to rounding.
    """
    n, m = M.shape
    b = b * (a.sum() / b.sum())
    rows_kept = np.flatnonzero(a > 0)
    cols_kept = np.flatnonzero(b > 0)
    dropped = rows_kept.size < n or cols_kept.size < m
    cost_scale = float(max_abs(M))  # one pass, shared by solver and certificate
    if dropped:  # zero-mass rows/columns: solve the smaller problem (a copy)
        sub = np.ascontiguousarray(M[np.ix_(rows_kept, cols_kept)])
        out = solve_dense(a[rows_kept], b[cols_kept], sub, max_iter=max_iter)
        rows = rows_kept[out.rows]
        cols = cols_kept[out.cols]
        u, v = _restore_dropped_duals(out.u, out.v, rows_kept, cols_kept, M)
    else:
        out = solve_dense(a, b, M, max_iter=max_iter, max_abs_cost=cost_scale)
        rows, cols, u, v = out.rows, out.cols, out.u, out.v
    # Potentials are defined up to (u + c, v - c): fix v = 0 at the first
    # positive-mass target.
    shift = v[cols_kept[0]]
    u = u + shift
    v = v - shift
    flows = out.flows
    cost = float(out.cost)
    certificate = certify_arrays(rows, cols, flows, u, v, cost, a, b, M, rtol, cost_scale)
    status, cost = settle(out.status, certificate, cost, "emd", f"{out.n_iter} pivots")
    plan = scipy.sparse.coo_array((flows, (rows, cols)), shape=(n, m))
    return TransportResult(
        cost=cost,
        plan=plan,
        u=u,
        v=v,
        status=status,
        n_iter=int(out.n_iter),
        method="network_simplex",
        certificate=certificate,
    )


def settle(code, certificate, cost, solver, progress):
    """The status and reported cost of a solve: ``(status, cost)``.

    `code` is the kernel's status (0 optimal, see `_STATUS`); an optimal
    stop whose certificate fails is "uncertified".  Anything but "optimal"
    reports the cost as NaN with an `UncertifiedWarning` (to the caller of
    the public function, two frames up).
    """
    status = _STATUS.get(int(code), "numerical_error")
    if status == "optimal" and not certificate.ok:
        status = "uncertified"
    if status != "optimal":
        warnings.warn(
            f"{solver} could not prove its answer optimal (status {status!r}, "
            f"{progress}; certificate: {certificate}); the cost is reported "
            f"as NaN.",
            UncertifiedWarning,
            stacklevel=4,
        )
        cost = float("nan")
    return status, cost


def certified_distance(result, p, solver):
    """W_p from a certified result whose cost is W_p^p; raises when uncertified."""
    if result.status != "optimal":
        raise OptimalityError(
            f"the {solver} could not prove its answer optimal: status "
            f"{result.status!r} ({result.certificate})."
        )
    cost = max(result.cost, 0.0)
    return cost if p == 1.0 else cost ** (1.0 / p)


def emd(a, b, M, **options):
    r"""Exact optimal transport between two histograms (network simplex).

    Solves :math:`\min_{P \ge 0} \langle P, M\rangle` subject to
    :math:`P\mathbf 1 = a`, :math:`P^\top \mathbf 1 = b`, and certifies the
    answer before returning it.

    Parameters
    ----------
    a : (n,) array_like or None
        Source masses, non-negative, positive total (None: uniform 1/n).
    b : (m,) array_like or None
        Target masses with the same total as `a` (None: uniform 1/m).
    M : (n, m) array_like
        Finite cost matrix (read in place when C-contiguous float64).
    **options
        ``max_iter`` (int): pivot cap (default 10^8); ``rtol`` (float): the
        certificate's relative tolerance (default 1e-9).

    Returns
    -------
    TransportResult
        ``cost``, sparse ``plan``, potentials ``u``, ``v``, ``status``,
        ``n_iter``, ``method``, ``certificate``.  When optimality cannot be
        proven the status says why, the cost is NaN and an
        `UncertifiedWarning` is issued.

    Raises
    ------
    ValueError
        Negative, NaN or inf masses; zero total mass; totals of `a` and `b`
        that differ by more than 1e-7 relative; `M` of the wrong shape or
        with NaN/inf entries.
    TypeError
        Non-numeric input or unknown options.

    See Also
    --------
    emd2 : the optimal cost only.
    certify : the independent checker run on every result.
    wasserstein : distances between point clouds.

    Notes
    -----
    Our own network simplex (spanning-tree bases, block-search pricing,
    strongly feasible trees so degenerate problems never cycle).  Rows and
    columns with zero mass are dropped before solving (M's submatrix is then
    copied) and their potentials restored after.  `b` is rescaled to the
    total of `a` before solving.

    Tolerances: an arc enters the basis when its reduced cost is below
    -2^-44 * max|M| (5.7e-14 relative); the certificate accepts marginal errors up to
    ``rtol * sum(a)``, dual violations up to ``rtol * scale`` and a duality
    gap up to ``rtol * scale * sum(a)``, with scale = max|M| + max|u| +
    max|v|.

    Examples
    --------
    >>> import numpy as np
    >>> from transport import emd
    >>> M = np.array([[0.0, 2.0], [1.0, 0.0]])
    >>> res = emd([0.5, 0.5], [0.25, 0.75], M)
    >>> res.cost, res.status
    (0.5, 'optimal')
    >>> res.dense_plan()
    array([[0.25, 0.25],
           [0.  , 0.5 ]])
    """
    max_iter, rtol = _parse_options(options)
    a, b, M = validate_problem(a, b, M)
    return solve_problem(a, b, M, max_iter, rtol)


def emd2(a, b, M, **options):
    r"""Exact optimal transport cost between two histograms.

    Same problem, options and validation as `emd`; returns the certified
    optimal cost.

    Returns
    -------
    float
        min <P, M> over plans with marginals a and b.

    Raises
    ------
    OptimalityError
        When optimality cannot be certified (never a guess as the answer).
    ValueError, TypeError
        As for `emd`.

    See Also
    --------
    emd

    Examples
    --------
    >>> from transport import emd2
    >>> emd2([1.0, 0.0], [0.0, 1.0], [[0.0, 3.0], [3.0, 0.0]])
    3.0
    """
    max_iter, rtol = _parse_options(options)
    a, b, M = validate_problem(a, b, M)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UncertifiedWarning)
        result = solve_problem(a, b, M, max_iter, rtol)
    if result.status != "optimal":
        raise OptimalityError(
            f"emd2 could not prove its answer optimal: status {result.status!r} "
            f"after {result.n_iter} pivots ({result.certificate})."
        )
    return result.cost
