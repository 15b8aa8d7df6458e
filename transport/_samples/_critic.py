r"""Audit of a critic against the exact W_1: `critic_report`.

A WGAN critic f is trained to maximise E_P f - E_Q f over (approximately)
1-Lipschitz functions; its value is read as an estimate of W_1 "up to a
multiplicative constant" and its gradient moves the generator.  Given any
such f and two sample sets, `critic_report` measures what it really is on
those samples: the exact W_1 (certified primal solve), its estimate and the
gap, its exact Lipschitz constant over all pairs of the pooled samples
(`transport._samples._lipschitz`), the lower bound on W_1 it certifies, and
how well its gradient points along the optimal transport.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from .._clouds._solve import solve
from .._core._metrics import METRICS, validate_metric
from .._core._validation import validate_cap, validate_values, validate_weights
from .._dual._kr_dual import _SQEUCLIDEAN_MESSAGE, kr_dual
from ._lipschitz import lipschitz_scan

__all__ = ["CriticReport", "critic_report", "DEFAULT_BATCH_SIZE"]

#: Rows per call of the critic (and of its gradient) by default.
DEFAULT_BATCH_SIZE = 4096

#: A pair violates the constraint when |f(z) - f(z')| > (1 + VIOLATION_RTOL)
#: d(z, z'): a margin for the rounding of the critic's own values (the exact
#: critic, computed in floating point, exceeds 1 by an ulp or two on the
#: pairs where its constraint is tight).  `lipschitz` itself has no margin.
VIOLATION_RTOL = 1e-12

_U = np.finfo(np.float64).eps / 2


class _Lazy:
    """What `CriticReport.exact` needs, and the result once computed (a
    mutable holder inside the frozen report)."""

    __slots__ = ("args", "result")

    def __init__(self, args):
        self.args = args
        self.result = None


@dataclass(frozen=True)
class CriticReport:
    r"""How a critic f compares with the exact W_1 on two sample sets.

    Attributes
    ----------
    w1 : float
        The exact W_1 of the two weighted sample sets (`solve` with p = 1,
        certified); NaN when the solver could not prove it optimal (with an
        `UncertifiedWarning`).
    estimate : float
        The critic's estimate E_X f - E_Y f = sum_i a_i f(x_i) - sum_j b_j
        f(y_j).
    gap : float
        ``w1 - estimate``.
    lipschitz : float
        The largest |f(z) - f(z')| / d(z, z') over all pairs of the pooled
        samples (X and Y together); 0 for a critic constant on them, inf
        when two samples at distance 0 got different values.
    violations : float
        The fraction of those pairs with |f(z) - f(z')| > d(z, z') (beyond
        a relative 1e-12 of rounding).
    lower_bound : float
        ``estimate / max(1, lipschitz)``, rounded down: a lower bound on
        `w1` that holds whatever the critic.
    rescaled_estimate : float
        ``estimate / lipschitz``: the estimate of the critic scaled to be
        exactly 1-Lipschitz on the samples, which removes the "constant K"
        of a weight-clipped critic; rounded down, also a lower bound on `w1`
        when the estimate is positive.  NaN when ``lipschitz == 0``.
    grad_cosine : float
        With `grad`: the mean, weighted by the optimal plan, of the cosine
        between grad f(x_i) and the transport direction x_i - y_j over the
        plan's pairs (1 when the gradient points exactly where the mass
        moves); NaN without `grad`.
    grad_coverage : float
        The plan mass over which `grad_cosine` is averaged (pairs with
        x_i = y_j, and points where `grad` returned NaN, are left out); NaN
        without `grad`.
    worst_pair : tuple of int or None
        (k, l), k < l: indices in the pooled samples ``np.vstack([X, Y])``
        of a pair attaining `lipschitz` (None for a constant critic).
    n_pairs : int
        Pairs of the pooled samples: N (N - 1) / 2 with N = len(X) + len(Y).
    status : str
        The primal solve's status ("optimal" when `w1` is certified).
    method : str
        The primal solve's method.
    metric : str
        The ground metric.
    exact : KRDualResult
        The exact critic of the same samples (`kr_dual`), computed on first
        access (it costs an LP solve; the other fields do not need it).
    """

    w1: float
    estimate: float
    gap: float
    lipschitz: float
    violations: float
    lower_bound: float
    rescaled_estimate: float
    grad_cosine: float
    grad_coverage: float
    worst_pair: tuple
    n_pairs: int
    status: str
    method: str
    metric: str
    _lazy: _Lazy = field(repr=False, compare=False)

    @property
    def exact(self):
        """The exact critic of the same samples (`kr_dual`), computed once."""
        lazy = self._lazy
        if lazy.result is None:
            X, Y, a, b = lazy.args
            lazy.result = kr_dual(X, Y, a, b, metric=self.metric)
        return lazy.result

    def __str__(self):
        X, Y, _, _ = self._lazy.args

        def num(x):
            return f"{x:.6g}"

        rows = [
            ("exact W_1", num(self.w1), f"{self.method}, {self.status}"),
            ("estimate", num(self.estimate), "E_X f - E_Y f"),
            ("gap", num(self.gap), "W_1 - estimate"),
            ("Lipschitz constant", num(self.lipschitz), f"max over {self.n_pairs:,} pairs"),
            ("violations", f"{self.violations:.3g}", "fraction of pairs with ratio > 1"),
            ("lower bound", num(self.lower_bound), "estimate / max(1, Lipschitz)"),
            ("rescaled estimate", num(self.rescaled_estimate), "estimate / Lipschitz"),
        ]
        if not math.isnan(self.grad_coverage):
            rows.append(("gradient cosine", f"{self.grad_cosine:.4g}",
                         f"over {self.grad_coverage:.1%} of the plan's mass"))
        head = (f"critic audit: {X.shape[0]} + {Y.shape[0]} samples in "
                f"{X.shape[1]}-D, metric {self.metric}")
        width = max(len(r[0]) for r in rows)
        vwidth = max(len(r[1]) for r in rows)
        lines = [head] + [f"  {a:<{width}}  {b:>{vwidth}}  {c}" for a, b, c in rows]
        return "\n".join(lines)


def _output_array(out, name, what):
    """`out` (a critic's or gradient's return value) as a float64 ndarray."""
    try:
        arr = np.asarray(out)
    except Exception as exc:  # e.g. a tensor that needs .detach() first
        raise TypeError(
            f"`{name}` must return an array of real numbers; np.asarray could not "
            f"convert its {type(out).__name__} result on {what} ({exc})."
        ) from exc
    if arr.dtype.kind not in "iuf":
        raise TypeError(
            f"`{name}` must return real numbers; it returned an array of dtype "
            f"{arr.dtype} on {what}."
        )
    return np.asarray(arr, dtype=np.float64)


def _call(fun, name, Z, start, stop):
    what = f"rows {start}:{stop} of the pooled samples"
    try:
        out = fun(np.array(Z[start:stop]))  # a copy: the caller's arrays stay ours
    except Exception as exc:
        raise ValueError(
            f"`{name}` raised {type(exc).__name__} on {what}: {exc}"
        ) from exc
    return _output_array(out, name, what), what


def evaluate_critic(critic, Z, batch_size, name="critic"):
    """f(Z) as an (N,) float64 array, `critic` called on batches of rows."""
    n = Z.shape[0]
    f = np.empty(n)
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        arr, what = _call(critic, name, Z, start, stop)
        k = stop - start
        if arr.shape == (k, 1):  # a network's (k, 1) output
            arr = arr[:, 0]
        if arr.shape != (k,):
            raise ValueError(
                f"`{name}` must map a ({k}, {Z.shape[1]}) array to {k} values, "
                f"shape ({k},) or ({k}, 1); it returned shape {arr.shape} on {what}."
            )
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            value = arr[bad[0]]
            kind = "NaN" if np.isnan(value) else "inf"
            raise ValueError(
                f"`{name}` returned {kind} ({value!r}) at row {start + bad[0]} of the "
                f"pooled samples ({bad.size} non-finite values on {what}); a critic "
                f"must be finite on the samples."
            )
        f[start:stop] = arr
    return f


def evaluate_gradient(grad, Z, batch_size, name="grad"):
    """grad(Z) as an (N, d) float64 array; rows all NaN mean "undefined"."""
    n, d = Z.shape
    G = np.empty((n, d))
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        arr, what = _call(grad, name, Z, start, stop)
        k = stop - start
        if d == 1 and arr.shape == (k,):
            arr = arr[:, None]
        if arr.shape != (k, d):
            raise ValueError(
                f"`{name}` must map a ({k}, {d}) array to its ({k}, {d}) gradients; "
                f"it returned shape {arr.shape} on {what}."
            )
        nan = np.isnan(arr)
        bad = np.flatnonzero(np.isinf(arr).any(axis=1)
                             | (nan.any(axis=1) & ~nan.all(axis=1)))
        if bad.size:
            raise ValueError(
                f"`{name}` returned a gradient with inf, or with NaN in some but not "
                f"all coordinates, at row {start + bad[0]} of the pooled samples "
                f"({arr[bad[0]].tolist()}); a row of NaN marks a point where the "
                f"gradient is undefined, anything else must be finite."
            )
        G[start:stop] = arr
    return G


def _unit_rows(V):
    """Rows of V divided by their euclidean norms (scaled first, so that
    they neither over- nor underflow), and a mask of the non-zero rows."""
    top = np.abs(V).max(axis=1)
    nonzero = top > 0
    W = np.zeros_like(V)
    W[nonzero] = V[nonzero] / top[nonzero, None]
    W[nonzero] /= np.sqrt(np.einsum("ij,ij->i", W[nonzero], W[nonzero]))[:, None]
    return W, nonzero


def _grad_cosine(grad, X, Y, plan, batch_size):
    """(plan-weighted mean cosine, mass covered); see `CriticReport`."""
    rows, cols, mass = plan.row, plan.col, plan.data
    keep = mass > 0
    rows, cols, mass = rows[keep], cols[keep], mass[keep]
    direction, moves = _unit_rows(X[rows] - Y[cols])
    rows, direction, mass = rows[moves], direction[moves], mass[moves]
    if rows.size == 0:
        return math.nan, 0.0
    where, inverse = np.unique(rows, return_inverse=True)
    G = evaluate_gradient(grad, np.ascontiguousarray(X[where]), batch_size)[inverse]
    defined = ~np.isnan(G[:, 0])
    g, _ = _unit_rows(G[defined])  # a zero gradient has cosine 0
    covered = math.fsum(mass[defined])
    if covered == 0.0:
        return math.nan, 0.0
    cos = np.clip(np.einsum("ij,ij->i", g, direction[defined]), -1.0, 1.0)
    return math.fsum(mass[defined] * cos) / covered, covered


def _estimate(a, fX, b, fY):
    """E_X f - E_Y f and a bound of its rounding error.

    Computed on f minus the middle of its range (a constant changes nothing
    when both sides carry the same mass), so that a large common offset
    cancels exactly and the bound covers what is left: the rounding of
    the products and sums, and the masses' own rounding (sum a - sum b).
    """
    top, bottom = max(fX.max(), fY.max()), min(fX.min(), fY.min())
    mid = bottom + (top - bottom) / 2
    pa, pb = a * (fX - mid), b * (fY - mid)
    est = math.fsum(pa) - math.fsum(pb)
    spread = max(top - mid, mid - bottom)
    # the real sums of the float weights are within u of their fsums
    mass = abs(math.fsum(a) - math.fsum(b)) + 2.0 * _U
    err = 4.0 * _U * (math.fsum(np.abs(pa)) + math.fsum(np.abs(pb))) + mass * spread
    return est, err


def _divided_down(num, den, rel):
    """A number <= num / den' for every den' within relative `rel` of den > 0."""
    if num == 0:
        return 0.0
    if num > 0:
        q = num / (den * (1.0 + rel))
    else:
        q = num / (den * (1.0 - rel))
    return math.nextafter(q, -math.inf)


def _solve_method(d):
    """The exact solver for W_1: "auto" (dense or matrix-free, as `solve`
    chooses) in 2-D and 3-D; the dense network simplex above, where the
    matrix-free solver is not the fast one."""
    return "auto" if d <= 3 else "network_simplex"


def critic_report(critic, X, Y, a=None, b=None, *, metric="euclidean", grad=None,
                  batch_size=DEFAULT_BATCH_SIZE):
    r"""Audit a critic against the exact W_1 on two sample sets.

    Parameters
    ----------
    critic : callable
        Maps a (k, d) float64 array of points to their k values (shape (k,)
        or (k, 1), any real dtype): a WGAN discriminator wrapped to take and
        return NumPy arrays, or any function.  Called on batches of at most
        `batch_size` rows of the pooled samples, never once per point; it
        receives copies.
    X : (n, d) array_like
        Samples of P (the side where the critic should be large), or (n,)
        on the line.
    Y : (m, d) array_like
        Samples of Q, in the same space.
    a, b : (n,), (m,) array_like, optional
        Non-negative weights with positive sums, normalised to 1; uniform
        when None.
    metric : str, optional
        The ground metric: "euclidean" (default), "cityblock" or
        "chebyshev".  "sqeuclidean" is refused: it is not a metric, and the
        Kantorovich-Rubinstein duality needs one.
    grad : callable, optional
        Maps a (k, d) array to the (k, d) gradients of the critic there.  A
        row of NaN marks a point where the gradient is undefined (a kink);
        it is left out of `grad_cosine`.  Euclidean metric only.
    batch_size : int, optional
        Rows per call of `critic` and `grad` (default 4096).

    Returns
    -------
    CriticReport
        `w1`, `estimate`, `gap`, `lipschitz`, `violations`, `lower_bound`,
        `rescaled_estimate`, `grad_cosine`, `grad_coverage`, `worst_pair`,
        `n_pairs`, `status`, `method`, `metric`, and `exact` (the exact
        critic, computed on first access).  ``print(report)`` shows a short
        table.

    Raises
    ------
    ValueError
        Bad samples or weights (as for `solve`); an unknown metric or
        "sqeuclidean"; `grad` with another metric than euclidean; a critic
        (or gradient) that raises (the original exception is chained), that
        returns the wrong shape, NaN or inf.
    TypeError
        A critic or gradient that is not callable or does not return real
        numbers; non-numeric samples; a non-integer `batch_size`.

    Warns
    -----
    UncertifiedWarning
        When the primal solve cannot prove W_1 optimal (`w1` is then NaN;
        `lower_bound` does not depend on it and stays valid).

    See Also
    --------
    kr_dual : the exact critic.
    solve : the exact primal solve behind `w1`.

    Notes
    -----
    With P = sum_i a_i delta_{x_i}, Q = sum_j b_j delta_{y_j} and Z the
    pooled samples,

    .. math::

        \hat W = \sum_i a_i f(x_i) - \sum_j b_j f(y_j), \qquad
        L = \max_{z \ne z' \in Z} \frac{|f(z) - f(z')|}{d(z, z')}.

    By the Kantorovich-Rubinstein duality on the finite set Z, f / max(1, L)
    is a feasible critic, so :math:`\hat W / \max(1, L) \le W_1(P, Q)` for
    any f; the bound is rounded down for the floating-point errors of the
    sums and of the distances.  f / L is feasible too: the rescaled estimate
    :math:`\hat W / L` is the tighter bound for a critic whose Lipschitz
    constant is below 1, as a weight-clipped one's is.

    L is the exact maximum over all N (N - 1) / 2 pairs (each ratio as the
    direct formula computes it), found in compiled code without an N x N
    matrix, on all cores.  Pairs of identical samples with equal values are
    skipped; identical samples with different values (a critic that is not
    a function of its input, e.g. one in training mode with dropout) make L
    infinite.  `violations` counts unordered pairs {z, z'} of the pooled
    samples (duplicates included) with |f(z) - f(z')| > (1 + 10^{-12})
    d(z, z'): the margin keeps the ulps by which a critic computed in
    floating point exceeds 1 on its tight pairs from counting.

    `grad_cosine` averages, over the pairs (x_i, y_j) of the optimal plan
    that move mass, weighted by that mass, the cosine between grad f(x_i)
    and x_i - y_j.  The exact critic rises at rate 1 along every transport
    ray towards x_i (f(x_i) - f(y_j) = |x_i - y_j| on the plan), so its
    gradient at x_i, where defined, is exactly (x_i - y_j) / |x_i - y_j|:
    cosine 1.  A zero gradient counts as cosine 0.

    References
    ----------
    .. [1] M. Arjovsky, S. Chintala, L. Bottou, "Wasserstein GAN", ICML
       2017 (the critic and weight clipping).
    .. [2] A. Korotin, A. Kolesov, E. Burnaev, "Kantorovich Strikes Back!
       Wasserstein GANs are not Optimal Transport?", NeurIPS 2022 (measured
       gaps and gradient cosines of trained critics).

    Examples
    --------
    >>> import numpy as np
    >>> from transport import critic_report
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0]])
    >>> Y = np.array([[2.0, 0.0], [2.0, 1.0]])
    >>> report = critic_report(lambda Z: -0.25 * Z[:, 0], X, Y)
    >>> report.w1, report.estimate, report.lipschitz
    (2.0, 0.5, 0.25)
    >>> report.rescaled_estimate <= report.w1
    True
    """
    metric = validate_metric(metric)
    if not METRICS[metric].is_metric:
        raise ValueError(_SQEUCLIDEAN_MESSAGE)
    if not callable(critic):
        raise TypeError(
            f"`critic` must be callable (a function of a (k, d) array); got "
            f"{type(critic).__name__}."
        )
    if grad is not None:
        if not callable(grad):
            raise TypeError(
                f"`grad` must be callable (a function of a (k, d) array) or None; "
                f"got {type(grad).__name__}."
            )
        if metric != "euclidean":
            raise ValueError(
                f"`grad` needs metric='euclidean' (the cosine with the transport "
                f"direction measures the euclidean gradient); got metric={metric!r}."
            )
    batch_size = validate_cap(batch_size, "batch_size")
    X = validate_values(X, "X")
    Y = validate_values(Y, "Y")
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"`X` and `Y` must live in the same space; got points of dimension "
            f"{X.shape[1]} and {Y.shape[1]}."
        )
    a = validate_weights(a, X.shape[0], "a", "X")
    b = validate_weights(b, Y.shape[0], "b", "Y")
    d = X.shape[1]

    Z = np.concatenate([X, Y])
    f = evaluate_critic(critic, Z, batch_size)
    fX, fY = f[:X.shape[0]], f[X.shape[0]:]
    estimate, err = _estimate(a, fX, b, fY)

    scan = lipschitz_scan(Z, f, METRICS[metric].code, VIOLATION_RTOL)
    lipschitz = scan.lipschitz
    # relative error of one ratio: the difference and the division, and the
    # direct formula's distance
    rel = (d + 12) * _U * 2.0
    num = estimate - err
    if estimate >= 0 and num < 0:  # W_1 >= 0 anyway
        num = 0.0
    if lipschitz == math.inf:  # f / L is the zero function
        lower_bound = rescaled = 0.0
    else:
        lower_bound = _divided_down(num, max(1.0, lipschitz), rel)
        rescaled = _divided_down(num, lipschitz, rel) if lipschitz > 0 else math.nan

    res = solve(X, Y, a, b, p=1, metric=metric, method=_solve_method(d))
    w1 = float(res.cost)
    cosine, coverage = math.nan, math.nan
    if grad is not None:
        cosine, coverage = _grad_cosine(grad, X, Y, res.plan, batch_size)

    return CriticReport(
        w1=w1,
        estimate=float(estimate),
        gap=w1 - float(estimate),
        lipschitz=float(lipschitz),
        violations=scan.n_violations / scan.n_pairs if scan.n_pairs else 0.0,
        lower_bound=float(lower_bound),
        rescaled_estimate=float(rescaled),
        grad_cosine=float(cosine),
        grad_coverage=float(coverage),
        worst_pair=scan.pair,
        n_pairs=scan.n_pairs,
        status=res.status,
        method=res.method,
        metric=metric,
        _lazy=_Lazy((X, Y, a, b)),
    )
