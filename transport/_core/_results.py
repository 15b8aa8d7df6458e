"""Results of the transport solvers and the one rule for unproven answers.

Every solver reports how it stopped by an integer code (the kernels' status)
and an independent `Certificate`.  This module turns the two into a status
string and applies the package's rule for an answer that is not proven
optimal:

* functions that return a result object (`emd`, `solve`, `kr_dual`) return
  it with its status saying why, the number NaN, and an
  `UncertifiedWarning` pointing at the caller's line (`warn_uncertified`);
* functions that return a number (`emd2`, `wasserstein`) raise
  `OptimalityError` instead, with no warning first (`require_optimal`).

The dense and the sparse solver both build their `TransportResult` here.
"""

import os
import sys
import warnings
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ._certify import Certificate

__all__ = [
    "OPTIMAL",
    "MAX_PIVOTS",
    "NUMERICAL",
    "INFEASIBLE",
    "MAX_ROUNDS",
    "TransportResult",
    "OptimalityError",
    "UncertifiedWarning",
    "transport_result",
    "status_name",
    "Solution",
    "warn_uncertified",
    "require_optimal",
    "distance_from_cost",
]

#: Status codes of the solvers (the network simplex kernels return the first
#: four; column generation adds the fifth).
OPTIMAL, MAX_PIVOTS, NUMERICAL, INFEASIBLE, MAX_ROUNDS = 0, 1, 2, 3, 4

_STATUS = {
    OPTIMAL: "optimal",
    MAX_PIVOTS: "max_pivots_reached",
    NUMERICAL: "numerical_error",
    INFEASIBLE: "infeasible",
    MAX_ROUNDS: "max_rounds_reached",
}


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
        The optimal cost <P, M> (for point clouds: W_p^p); NaN when
        ``status != "optimal"`` (an uncertified number is never reported as
        the optimum).
    plan : scipy.sparse.coo_array, shape (n, m)
        The optimal plan, with at most n + m - 1 positive entries (a basic
        solution).  ``plan.toarray()`` or `dense_plan` gives it dense.
    u : (n,) ndarray
    v : (m,) ndarray
        Dual potentials: u_i + v_j <= M_ij for all pairs, with equality where
        the plan is positive, and sum a u + sum b v = cost.  Normalised so
        that the first positive-mass target has v_j = 0.
    status : str
        "optimal", or why optimality could not be proven
        ("max_pivots_reached", "max_rounds_reached", "numerical_error",
        "infeasible", "uncertified").
    n_iter : int
        Number of simplex pivots (over all rounds of column generation).
    method : str
        The algorithm that ran: "network_simplex" (dense cost matrix) or
        "sparse" (column generation without the cost matrix).
    certificate : Certificate
        The independent check of marginals, dual feasibility and gap.
    """

    cost: float
    plan: "scipy.sparse.coo_array"
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


def status_name(code, certificate):
    """The status of a solve that stopped with `code`: an optimal stop whose
    certificate fails is "uncertified"."""
    status = _STATUS.get(int(code), "numerical_error")
    if status == "optimal" and not certificate.ok:
        status = "uncertified"
    return status


class Solution(NamedTuple):
    """A solver's answer before it becomes a `TransportResult`: what the
    number-returning functions need without building the sparse plan."""

    code: int
    rows: np.ndarray
    cols: np.ndarray
    flows: np.ndarray
    u: np.ndarray
    v: np.ndarray
    cost: float
    certificate: Certificate
    n_iter: int
    method: str
    shape: tuple

    @property
    def status(self):
        return status_name(self.code, self.certificate)


def transport_result(sol):
    """The `TransportResult` of a `Solution`: anything but "optimal" reports
    the cost as NaN.  Issues no warning: that is the public function's
    decision (`warn_uncertified` or `require_optimal`)."""
    status = sol.status
    cost = float(sol.cost) if status == "optimal" else float("nan")
    import scipy.sparse  # loaded on the first result, not at import

    plan = scipy.sparse.coo_array((sol.flows, (sol.rows, sol.cols)), shape=sol.shape)
    return TransportResult(cost=cost, plan=plan, u=sol.u, v=sol.v, status=status,
                           n_iter=int(sol.n_iter), method=sol.method,
                           certificate=sol.certificate)


#: The `transport` package folder (this module sits in its `_core/`).
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def user_stacklevel():
    """The `stacklevel` that makes a warning issued by the caller of this
    function point at the first frame outside the package (the user's line),
    however deep inside the package the warning is raised."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


def warn_uncertified(result, solver, progress, quantity="cost"):
    """Warn (at the user's line) when `result` is not proven optimal; its
    `quantity` is then NaN."""
    if result.status != "optimal":
        certificate = getattr(result, "certificate", None)
        detail = f"; certificate: {certificate}" if certificate is not None else ""
        warnings.warn(
            f"{solver} could not prove its answer optimal (status "
            f"{result.status!r}, {progress}{detail}); the {quantity} is "
            f"reported as NaN.",
            UncertifiedWarning,
            stacklevel=user_stacklevel(),
        )
    return result


def require_optimal(result, solver, progress):
    """Raise `OptimalityError` (no warning first) unless `result` is optimal."""
    if result.status != "optimal":
        raise OptimalityError(
            f"{solver} could not prove its answer optimal: status "
            f"{result.status!r} ({progress}; certificate: "
            f"{result.certificate})."
        )
    return result


def distance_from_cost(cost, p):
    """W_p from the certified optimal cost W_p^p (clipped at 0 from rounding)."""
    cost = max(float(cost), 0.0)
    return cost if p == 1.0 else cost ** (1.0 / p)
