r"""Exact Wasserstein distance between distributions on the circle."""

import numbers

import numpy as np

from ._circle_kernels import (
    UNIT,
    cdf_gaps,
    golden_shift,
    integer_ends,
    median_cut_cost,
    optimal_shift,
    shift_cost,
    sliver_cost,
    weighted_median,
)
from .._core._scaling import length_exponent, mass_exponent, root_back, scale_back
from .._core._validation import real_option, validate_p, validate_values, weights_and_total

__all__ = ["wasserstein_circle"]

#: Cap on slope evaluations of the p > 1 search (about 3 x 62 suffice: the
#: bisection safeguard halves the integer bracket, of width 2^61, at least
#: every third evaluation).
MAX_EVALUATIONS = 400

#: Up to this p the search follows the slope of C (`optimal_shift`); above,
#: the golden-section search on C itself (`golden_shift`, ~180 evaluations
#: instead of ~10).  The slope is a sum of differences of d^p whose largest
#: terms can dwarf C itself, and its sign got lost from about p = 24 on:
#: W_24 off by 1.5e-12 relative, W_100 by 16% (random atoms, against the
#: best cyclic matching); up to 16, every case agreed to 1e-12.
SLOPE_SEARCH_MAX_P = 16.0


def _validate_period(period):
    if isinstance(period, (bool, np.bool_)) or not isinstance(period, numbers.Real):
        raise TypeError(f"`period` must be a positive real number; got {period!r}.")
    period = real_option(period, "period", "> 0")  # refuses 10**400 by name
    if not (np.isfinite(period) and period > 0):
        raise ValueError(f"`period` must be a finite number > 0; got {period!r}.")
    return period


def _on_circle(values, name, period):
    """Atoms as positions in [0, period)."""
    x = validate_values(values, name)
    if x.shape[1] != 1:
        raise ValueError(
            f"`{name}` must be angles or positions on the circle, shape (n,) or "
            f"(n, 1); got shape {np.shape(values)}."
        )
    pos = np.mod(x[:, 0], period)
    pos[pos >= period] = 0.0  # a tiny negative value rounds up to `period`
    return pos


def _sorted_atoms(values, weights, name, weights_name, period):
    """(sorted positions, integer ends of their masses), zero masses dropped."""
    pos = _on_circle(values, name, period)
    if weights is None:
        pos.sort()
        return pos, integer_ends(np.ones(pos.shape[0]))
    w, _ = weights_and_total(weights, pos.shape[0], weights_name, name)
    # the largest weight in [1/2, 1) (exact): the integer ends divide by the
    # total, which must not overflow for weights near the subnormal range
    w = np.ldexp(w, -mass_exponent(w))
    keep = w > 0
    if not keep.all():
        pos, w = pos[keep], w[keep]
    # Not a stable sort (a third faster): the order of atoms at one
    # position moves mass between atoms that are at the same place.
    order = np.argsort(pos)
    return pos[order], integer_ends(w[order])


#: Relative resolution of W_p asked of the integer masses (see
#: `_check_slivers`).
SLIVER_RTOL = 2.0**-40


def _check_slivers(xs, a_ends, ys, b_ends, period, p, theta, scale, total):
    """Refuse a W_p that the integer masses cannot resolve.

    Masses are held in units of 2^-60 of the total, cumulative masses
    rounded once (float64 sums: ~2^7 units each): two breakpoints that are
    equal in exact arithmetic may differ by that much, leaving slivers of
    mass coupled across a long distance.  Their share of C is negligible for small p,
    but a sliver at distance D beside a coupling at distance d weighs
    (D / d)^p: at p = 400 a single unit 3.7 times further away than the
    rest outweighs it by 2^700.  When the segments of at most 2^8 units
    per atom carry more than p * SLIVER_RTOL of C (W_p then uncertain
    beyond ~SLIVER_RTOL relative), no value is returned.
    """
    if p <= 2.0:  # (D / d)^2 * 2^-60 * n: never near the tolerance
        return
    # each end is a float64 cumulative sum scaled to 2^60: off by up to
    # ~2^7 units per atom summed
    small = sliver_cost(xs, a_ends, ys, b_ends, period, p, theta, scale,
                        256 * (xs.shape[0] + ys.shape[0]) + 2)
    if small > p * SLIVER_RTOL * total:
        raise ValueError(
            f"W_{p:g}(P, Q) on the circle cannot be computed to full precision: "
            f"the masses are held in units of 2^-60 of the total, and at this p "
            f"the rounding of the cumulative masses (slivers of a few units "
            f"coupled across longer distances) would change W_p^p by "
            f"{small / total:.2g} of itself. A smaller p, or numbers of atoms "
            f"that are powers of two with equal weights (whose cumulative "
            f"masses are exact), avoid it; `emd` on the matrix of circle "
            f"distances to the power p solves the same problem as an LP.")


def wasserstein_circle(u_values, v_values, u_weights=None, v_weights=None, *, p=1,
                       period=1.0):
    r"""Exact p-Wasserstein distance between two distributions on a circle.

    The ground distance is the arc length on the circle R / (period Z):
    :math:`d(x, y) = \min_k |x - y + k\,\mathrm{period}|`.

    Parameters
    ----------
    u_values : (n,) array_like
        Atoms of P: any real numbers, read modulo `period` (angles, hues,
        times of day).  Ties allowed.
    v_values : (m,) array_like
        Atoms of Q.
    u_weights, v_weights : (n,), (m,) array_like, optional
        Non-negative weights with a positive sum, normalised to 1 (SciPy's
        convention, as in `wasserstein_1d`); uniform when None.
    p : float, optional
        Order, p >= 1 (default 1).
    period : float, optional
        Circumference of the circle (default 1.0; 2 pi for radians).

    Returns
    -------
    float
        W_p(P, Q) -- the distance, not its p-th power.

    Raises
    ------
    ValueError
        NaN or inf atoms, negative or all-zero weights, weights whose length
        does not match the atoms, empty input, points not on a line, p < 1,
        or a `period` that is not finite and positive (or does not fit in a
        float64); a W_p that does not fit in float64
        (`NotRepresentableError`, also an OverflowError).
    TypeError
        Non-numeric input.
    RuntimeError
        If the p > 1 search fails to certify its minimiser (not expected:
        it is bounded, see Notes).

    See Also
    --------
    wasserstein_1d : the same on the line.

    Notes
    -----
    Both cases work on the cumulative masses F, G of P and Q, unrolled on
    the line (quasi-periodic: F(x + period) = F(x) + 1).

    p = 1 (closed form): with F, G the cumulative distribution functions
    on [0, period),

    .. math:: W_1 = \min_{c} \int_0^{\mathrm{period}} |F(x) - G(x) - c|\,dx,

    minimised by a weighted median c of the piecewise-constant F - G (the
    best place to cut the circle open).  O(N) after the sort.

    p > 1: for a convex cost the optimal plan is monotone once the circle
    is cut at the right place (Delon, Salomon & Sobolevski 2010), so

    .. math:: W_p^p = \min_{\theta} C(\theta), \quad
              C(\theta) = \int_0^1 |F^{-1}(t) - G^{-1}(t + \theta)|^p\,dt.

    What is proven, and how the code follows it:

    * C is piecewise linear in θ (the integrand is a step function whose
      steps move linearly with θ), with kinks only where a breakpoint of
      G shifted by θ meets one of F; and C is convex: its slope is
      :math:`\sum_j c(x_j - y_{j+1}) - c(x_j - y_j)`, with :math:`x_j`
      the atom of P where G steps from :math:`y_j` to :math:`y_{j+1}`, and
      for convex c each term grows as θ grows (:math:`x_j` moves left).
    * Cumulative masses are rounded once to integers in units of
      :math:`2^{-60}` (each breakpoint moves by at most the rounding of its
      float64 cumulative sum plus :math:`2^{-61}`).  From then on every
      breakpoint, kink and segment length is an exact integer, so the
      atoms on either side of a kink are identified exactly and the left
      and right slopes there are the two one-sided sums (each a float64
      sum of N terms).
    * The search starts at the shift of the p = 1 cut and keeps a
      bracket of the minimisers; each evaluation (O(N)) also returns the
      nearest kinks, up to which C is linear, and the next point (secant
      step on the slope, or bisection when the bracket fails to halve) is
      clamped to them.  It stops only at an integer θ* where the left
      slope is <= 0 <= the right slope: θ* is then a global minimiser of
      the convex C (the optimality certificate; the slopes beyond
      :math:`\pm 1` are signed, so the minimiser lies in [-1, 1]).  The
      bracket of :math:`2^{61}` integers halves at least every third
      evaluation, so about 190 suffice at worst (`MAX_EVALUATIONS` is
      400); 7-10 were needed on 10^6 atoms.  The certificate is as
      reliable as the signs of the computed slopes.
    * The value is C(θ*), one merge pass with exact segment lengths and
      a compensated sum.

    Scale: a period far from 1 (or large p) divides the positions and the
    period by a power of two, and the answer is multiplied back exactly;
    the slopes and C(θ) are summed relative to the largest distance they
    meet (rescaled as they go), so that |d|^p neither overflows nor
    underflows entirely for any p (W_p of atoms 0.2 apart at p = 10^4 is
    0.2); weights are scaled by a power of two before their cumulative
    sums (1e-300 each is fine).

    Rotation invariance holds by construction: a rotation changes only
    where the atoms are cut, which the minimisations over c and θ absorb
    (it is also tested).

    References
    ----------
    J. Delon, J. Salomon, A. Sobolevski, "Fast transport optimization for
    Monge costs on the circle", SIAM J. Appl. Math. 70(7), 2010.

    J. Rabin, J. Delon, Y. Gousseau, "Transportation distances on the
    circle", J. Math. Imaging Vis. 41, 2011.

    Examples
    --------
    >>> from transport import wasserstein_circle
    >>> wasserstein_circle([0.125], [0.875])      # the short way round
    0.25
    >>> wasserstein_circle([0.0, 0.5], [0.25, 0.75])
    0.25
    >>> round(wasserstein_circle([350.0], [10.0], p=2, period=360.0), 12)
    20.0
    """
    period = _validate_period(period)
    p = validate_p(p)
    xs, a_ends = _sorted_atoms(u_values, u_weights, "u_values", "u_weights", period)
    ys, b_ends = _sorted_atoms(v_values, v_weights, "v_values", "v_weights", period)
    # the circle scaled by 2^-e when its lengths are not safely in range
    # (the integrals multiply lengths by masses in units of 2^-60)
    e = length_exponent(period, p)
    if e:
        xs, ys, period = np.ldexp(xs, -e), np.ldexp(ys, -e), float(np.ldexp(period, -e))
    gap, length, count = cdf_gaps(xs, a_ends, ys, b_ends, period)
    cut = weighted_median(gap, length, count)
    if p == 1.0:
        return float(scale_back(median_cut_cost(gap, length, count, cut) / UNIT, e,
                                "W_1(P, Q) on the circle"))
    # The best cut for p = 1 (at mass level `cut` of F - G) pairs F^-1(t)
    # with G^-1(t - cut): the search starts from that shift.
    if p > SLOPE_SEARCH_MAX_P:
        theta, _, status = golden_shift(xs, a_ends, ys, b_ends, period, p,
                                        MAX_EVALUATIONS)
    else:
        theta, _, status = optimal_shift(xs, a_ends, ys, b_ends, period, p, -cut,
                                         MAX_EVALUATIONS)
    if status != 0:
        raise RuntimeError(
            "internal error: the search for the optimal cut of the circle did "
            f"not certify its minimiser (status {status}); please report this."
        )
    # C(theta) / scale^p, relative to the largest distance the coupling uses
    total, scale = shift_cost(xs, a_ends, ys, b_ends, period, p, theta)
    _check_slivers(xs, a_ends, ys, b_ends, period, p, theta, scale, total)
    distance = scale * max(total / UNIT, 0.0) ** (1.0 / p)
    return root_back(distance, 1.0, e, f"W_{p:g}(P, Q) on the circle")

