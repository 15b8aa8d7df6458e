"""The scaling policy for `pairwise`: ground costs in range, every W_p back.

`pairwise` solves its pairs on ground costs d^p computed from lengths
divided by a power of two 2^e (`transport._core._scaling`): the support's
coordinates by `cloud_scale`, a given `cost` matrix by `length_exponent`,
so that the largest length is at most 1 and no cost overflows however far
apart the bins or however large p.  Each distance is then 2^e times the
scaled one (`finish_block`), and one that does not fit in float64 raises
`NotRepresentableError`.

A cost d^p can still underflow where lengths far below the largest one meet
a large p (d = 0.5 and p = 2000, or bins 1e-200 apart beside bins 1 apart).
The lost costs are below 2^-1022 each, so they matter only for a pair whose
optimal cost is itself tiny: such a pair is solved again on its own, with
its lengths divided by an upper bound t of its W_p (`_resolve_pair`) until
its optimum is in range.
"""

import math
from typing import NamedTuple

import numpy as np

from .._clouds._solve import ground_costs
from .._core._results import NUMERICAL, OPTIMAL
from .._core._scaling import cloud_scale, degree, length_exponent, scale_back
from .._simplex._emd import solve_problem
from .._simplex._simplex_batch import UNCERTIFIED

__all__ = ["PairCosts", "support_costs", "matrix_costs", "finish_block",
           "as_pair_costs"]

_TINY = float(np.finfo(np.float64).tiny)

#: A pair whose scaled optimal cost W_p^p is below this may have lost more
#: than 2^-60 of it to costs that underflowed (each lost cost is < 2^-1022,
#: the masses sum to 1): it is solved again on its own.
LOSSY_BELOW = 2.0**-962

#: Costs of a re-solved pair are capped here (lengths above its W_p bound t
#: raise (d / t)^p past any float); a plan that uses a capped pair is not
#: the answer, and the pair is reported uncertified.
_CAP = 2.0**900

#: Rounds of `_resolve_pair` (each one lowers t to the W_p of the plan it
#: found; one or two sufficed in the tests).
_MAX_ROUNDS = 64


class PairCosts(NamedTuple):
    """The ground costs the pairs are solved on, and how to scale back.

    costs : (k, l) C-contiguous float64
        d^p of the lengths divided by 2^exponent.
    exponent : int
        W_p of the original problem = 2^exponent * W_p of `costs`.
    lengths : (k, l) ndarray or None
        The scaled lengths d, kept when some positive one has a cost d^p
        below the normal range (then `finish_block` re-solves the pairs
        whose optimum is small enough to have lost digits to it).
    big_m : bool
        Whether the largest cost stands far above the bulk of them (`_big_m`):
        pairs whose optimum is far below it are then solved again as `emd`
        solves them (rounding dust on a big-M pair inflates the batch
        kernel's certificate).
    """

    costs: np.ndarray
    exponent: int
    lengths: object
    big_m: bool = False

    @property
    def shape(self):
        return self.costs.shape


def as_pair_costs(costs):
    """`costs` as `PairCosts`: a plain (k, l) matrix d^p is taken as it is
    (exponent 0, nothing re-solved)."""
    if isinstance(costs, PairCosts):
        return costs
    return PairCosts(costs, 0, None, _big_m(costs))


def _with_powers(lengths, p, exponent):
    if p == 1.0:
        costs = lengths
    else:
        with np.errstate(under="ignore"):
            costs = lengths**p
    lossy = bool(((lengths > 0.0) & (costs < _TINY)).any())
    return PairCosts(np.ascontiguousarray(costs), exponent, lengths if lossy else None,
                     _big_m(costs))


#: A cost matrix is "big-M" when its sorted positive entries jump by more
#: than this factor somewhere (forbidden pairs priced 1e8 beside costs in
#: [0, 1)); distances of a support, even to a large power, spread without
#: such a gap unless the bins form far-apart clusters.
BIG_M_RATIO = 2.0**20


def _big_m(costs):
    positive = np.unique(costs[costs > 0.0])
    if positive.size < 2:
        return False
    return bool((positive[1:] > BIG_M_RATIO * positive[:-1]).any())


def _resolve_far_below(D, U, V, pc, p, max_pivots, rtol):
    """Pairs of a big-M cost matrix whose optimum is far below its largest
    cost, solved again as `emd` solves them (the same pivots where no
    rounding dust arises, else the second solve on clipped costs); in
    place.  Returns [(i, j, code)] of those not certified."""
    top = float(pc.costs.max())
    with np.errstate(under="ignore", over="ignore", invalid="ignore"):
        far = np.isfinite(D) & (D**p * BIG_M_RATIO < top)
    if V is None:
        far &= np.triu(np.ones(D.shape, bool), 1)
    return _resolve_pairs(D, U, V, pc, p, far, max_pivots, rtol)



def support_costs(X, metric, p):
    """`PairCosts` of the bins at the rows of X (validated) under `metric`
    (canonical): distances of the support moved and scaled by `cloud_scale`
    (unchanged for supports of ordinary size: the costs `ground_costs`
    gives, bit for bit)."""
    scaled = cloud_scale(X, X, metric, p)
    lengths = ground_costs(scaled.X, scaled.X, metric, 1.0)
    return _with_powers(lengths, p, scaled.exponent * degree(metric))


def matrix_costs(C, p):
    """`PairCosts` of a validated (k, l) matrix of ground distances C:
    divided by 2^e (`length_exponent`) when C or C^p is not safely in range,
    else as given."""
    e = length_exponent(C.max(), p)
    lengths = np.ldexp(C, -e) if e else C
    return _with_powers(lengths, p, e)


def _resolve_pair(a, b, lengths, p, bound):
    """(W_p, code) of one pair (masses a, b > 0 of equal totals, `lengths`
    their (len(a), len(b)) scaled lengths), knowing W_p <= bound.

    Solved on the costs (d / t)^p, t = bound, capped at `_CAP`: their
    optimum is at most ~1.  When it lands below `LOSSY_BELOW` again and the
    plan uses a cost that underflowed, t becomes that plan's own W_p
    (computed exactly, relative to its longest length): a feasible plan's
    W_p bounds the optimum's, and the pair is solved again.
    """
    t = bound
    for _ in range(_MAX_ROUNDS):
        if not t > 0.0:
            return 0.0, OPTIMAL
        with np.errstate(over="ignore", under="ignore"):
            M = np.minimum((lengths / t) ** p, _CAP)
        sol = solve_problem(a, b, np.ascontiguousarray(M))
        if sol.code != OPTIMAL or not sol.certificate.ok:
            return math.nan, sol.code if sol.code != OPTIMAL else NUMERICAL
        used = M[sol.rows, sol.cols]
        if (used >= _CAP).any():
            return math.nan, NUMERICAL
        cost = max(sol.cost, 0.0)
        # a plan that uses no underflowed cost costs what it is said to, and
        # no plan costs less (the other costs were only rounded down)
        used_lengths = lengths[sol.rows, sol.cols]
        if cost >= LOSSY_BELOW or not ((used_lengths > 0.0) & (used < _TINY)).any():
            return t * cost ** (1.0 / p), OPTIMAL
        top = float(used_lengths.max())
        with np.errstate(under="ignore"):
            plan_power = float(np.dot(sol.flows, (used_lengths / top) ** p))
        plan_power /= float(a.sum())
        t_next = top * plan_power ** (1.0 / p)
        if not t_next < t:
            return math.nan, NUMERICAL
        t = t_next
    return math.nan, NUMERICAL


def _resolve_lossy(D, U, V, pc, p):
    """Pairs of D (scaled W_p) whose optimum may have lost digits to
    underflowed costs, solved again (`_resolve_pair`) in place; returns
    [(i, j, code)] of those that could not be certified (NaN)."""
    symmetric = V is None
    with np.errstate(under="ignore", over="ignore", invalid="ignore"):
        small = np.isfinite(D) & (D**p < LOSSY_BELOW)
    if symmetric:
        small &= np.triu(np.ones(D.shape, bool), 1)
    failed = []
    for i, j in zip(*np.nonzero(small)):
        ia, jb, a, b = _pair_problem(U, V, i, j)
        bound = (D[i, j] ** p + _TINY) ** (1.0 / p)
        value, code = _resolve_pair(a, b, pc.lengths[np.ix_(ia, jb)], p, bound)
        D[i, j] = value
        if symmetric:
            D[j, i] = value
        if code != OPTIMAL:
            failed.append((int(i), int(j), int(code)))
    return failed


def _pair_problem(U, V, i, j):
    """(rows of the positive bins of U[i], of V[j] (U's when V is None), a, b):
    the pair's masses on its positive bins, b rescaled to the total of a."""
    rows = U if V is None else V
    ia = np.flatnonzero(U[i] > 0)
    jb = np.flatnonzero(rows[j] > 0)
    a = U[i, ia]
    b = rows[j, jb] * (a.sum() / rows[j, jb].sum())
    return ia, jb, a, b


def _resolve_uncertified(D, U, V, pc, p, max_pivots, rtol):
    """NaN pairs of D (not proven optimal by the batch kernel) solved again
    one by one as `emd` solves them -- with its second solve on costs
    clipped near the optimum's scale, which the kernel lacks (costs d^p of
    large p span many orders of magnitude); in place.  Returns [(i, j,
    code)] of those still not certified."""
    bad = np.isnan(D)
    if V is None:
        bad &= np.triu(np.ones(D.shape, bool), 1)
    return _resolve_pairs(D, U, V, pc, p, bad, max_pivots, rtol)


def _resolve_pairs(D, U, V, pc, p, which, max_pivots, rtol):
    """The pairs where `which` is True solved by `emd`'s solver on
    `pc.costs`, into D in place; [(i, j, code)] of those not certified."""
    failed = []
    for i, j in zip(*np.nonzero(which)):
        ia, jb, a, b = _pair_problem(U, V, i, j)
        sol = solve_problem(a, b, np.ascontiguousarray(pc.costs[np.ix_(ia, jb)]),
                            max_pivots, rtol)
        if sol.code == OPTIMAL and sol.certificate.ok:
            cost = max(sol.cost, 0.0)
            value = cost if p == 1.0 else cost ** (1.0 / p)
        else:
            value = math.nan
            failed.append((int(i), int(j), int(sol.code if sol.code != OPTIMAL
                                                 else UNCERTIFIED)))
        D[i, j] = value
        if V is None:
            D[j, i] = value
    return failed


def finish_block(D, U, V, pc, p, count, bad, max_pivots, rtol):
    """(distances of the original problem, count, bad) from the block D of
    W_p on the scaled costs and the kernel's report (count pairs NaN, some
    of them listed in `bad` as (i, j, code), local indices): NaN pairs
    solved again as `emd` would (`_resolve_uncertified`), pairs that may
    have lost digits to underflowed costs re-solved (`_resolve_lossy`),
    then all multiplied by 2^exponent (exact); a distance that over- or
    underflows on the way raises `NotRepresentableError`."""
    if count:
        bad = _resolve_uncertified(D, U, V, pc, p, max_pivots, rtol)
        count = len(bad)
    if pc.big_m:
        failed = _resolve_far_below(D, U, V, pc, p, max_pivots, rtol)
        count, bad = count + len(failed), bad + failed
    if pc.lengths is not None:
        failed = _resolve_lossy(D, U, V, pc, p)
        count, bad = count + len(failed), bad + failed
    if pc.exponent:
        D = scale_back(D, pc.exponent, "a distance W_p(U[i], V[j])",
                       "scale the support (or `cost`) by a power of ten first")
    return D, count, bad
