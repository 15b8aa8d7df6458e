"""W_2 between Gaussians (the Bures closed form behind FID), never complex.

Both public functions reduce to factors: C1 = G1 G1^T, C2 = G2 G2^T (from a
symmetric eigendecomposition, or the centred samples themselves).  Then

    tr (C1^1/2 C2 C1^1/2)^1/2 = ||G1^T G2||_*,

the sum of the singular values of G1^T G2 (its squared singular values are
the eigenvalues of C1^1/2 C2 C1^1/2), and no square root of a non-symmetric
matrix is taken.  When the difference tr C1 + tr C2 - 2 ||G1^T G2||_*
cancels, the same quantity is recomputed as a sum of squares (`_bures_sq`).
"""

import math

import numpy as np

from divergences._validation import as_float_array, raise_first_bad_entry

from .._core._validation import validate_values

__all__ = ["wasserstein_gaussian", "wasserstein_gaussian_fit"]

#: A covariance may be non-symmetric by this much, relative to its largest
#: entry in magnitude (rounding of a product X^T X, a float32 round trip is
#: 6e-8 and is refused), and its smallest eigenvalue may be negative by this
#: much, relative to its largest.
COV_RTOL = 1e-10

#: Eigenvalues below NOISE * d * u * (largest), u = 2^-53, are rounding
#: noise of the eigendecomposition (its backward error is about d u |C|):
#: they are taken as 0, so a rank-deficient covariance is treated as such.
NOISE = 4.0

#: When tr C1 + tr C2 - 2 ||G1^T G2||_* is below this fraction of
#: tr C1 + tr C2, it is recomputed as a sum of squares, which keeps its
#: relative accuracy (the difference has then lost log10(1/CLOSE) digits).
CLOSE = 1e-3

_U = 2.0**-53


def _mean(x, name, d=None):
    m = as_float_array(x, name)
    if m.ndim != 1 or m.shape[0] == 0:
        raise ValueError(f"`{name}` must be a non-empty 1-D vector (the mean); got "
                         f"shape {m.shape}.")
    if d is not None and m.shape[0] != d:
        raise ValueError(f"`{name}` has {m.shape[0]} entries but the first mean has "
                         f"{d}; both Gaussians must live in the same space.")
    if not np.isfinite(m).all():
        raise_first_bad_entry(m, name, allow_negative=True)
    return m


def _covariance_factor(cov, name, d):
    """G (d, r) with G G^T = cov to rounding, r = the numerical rank, after
    checking that cov is a (d, d) symmetric PSD matrix (to COV_RTOL)."""
    from scipy.linalg import eigh

    C = as_float_array(cov, name)
    if C.shape != (d, d):
        raise ValueError(f"`{name}` must be a (d, d) = ({d}, {d}) covariance matrix "
                         f"(d from the means); got shape {C.shape}.")
    if not np.isfinite(C).all():
        raise_first_bad_entry(C, name, allow_negative=True)
    scale = float(np.abs(C).max())
    asym = float(np.abs(C - C.T).max())
    if asym > COV_RTOL * scale:
        i, j = np.unravel_index(np.argmax(np.abs(C - C.T)), C.shape)
        raise ValueError(
            f"`{name}` must be symmetric: {name}[{i}, {j}] = {C[i, j]!r} but "
            f"{name}[{j}, {i}] = {C[j, i]!r} (difference {asym:.3g}, more than "
            f"{COV_RTOL:g} times its largest entry {scale:.3g}). Pass (C + C.T) / 2 "
            f"if the asymmetry is rounding.")
    if scale == 0.0:
        return np.zeros((d, 0)), 0.0
    C = 0.5 * (C + C.T)
    lam, V = eigh(C, overwrite_a=True, check_finite=False)
    top = float(lam[-1])
    if lam[0] < -COV_RTOL * max(top, 0.0) or top <= 0.0:
        raise ValueError(
            f"`{name}` must be positive semi-definite: its smallest eigenvalue is "
            f"{float(lam[0]):.6g} against a largest of {top:.6g} (more negative than "
            f"{COV_RTOL:g} times the largest allows). A covariance matrix has no "
            f"negative eigenvalue.")
    keep = lam > NOISE * d * _U * top
    lam = lam[keep]
    return V[:, keep] * np.sqrt(lam), float(lam.sum())


def _svdvals(K):
    from scipy.linalg import svdvals

    if K.size == 0:
        return np.zeros(0)
    return svdvals(K, check_finite=False)


def _bures_sq(G1, G2, t1=None, t2=None):
    """B^2 = tr C1 + tr C2 - 2 tr (C1^1/2 C2 C1^1/2)^1/2 for Ci = Gi Gi^T,
    never negative; ti = tr Ci when known (else ||Gi||_F^2)."""
    if t1 is None:
        t1 = float(np.einsum("ij,ij->", G1, G1))
    if t2 is None:
        t2 = float(np.einsum("ij,ij->", G2, G2))
    K = G1.T @ G2
    nuc = math.fsum(_svdvals(K))
    b2 = (t1 + t2) - 2.0 * nuc
    if b2 >= CLOSE * (t1 + t2):
        return b2
    if K.size == 0:  # one covariance is zero: B^2 = tr of the other
        return t1 + t2
    return _bures_sq_close(G1, G2, K)


def _bures_sq_close(G1, G2, K):
    """B^2 as a sum of squares: with K = G1^T G2 = P S Q^T (full SVD, k =
    min of its sides), B^2 = ||G1 P_k - G2 Q_k||^2 + ||G1 P_rest||^2 +
    ||G2 Q_rest||^2 -- the expansion of the first term gives the cross term
    -2 tr(S) -- so no large terms cancel when the Gaussians are close."""
    from scipy.linalg import svd

    P, _, Qt = svd(K, full_matrices=True, check_finite=False)
    k = min(K.shape)
    A = G1 @ P
    B = G2 @ Qt.T
    D = A[:, :k] - B[:, :k]
    return float(np.einsum("ij,ij->", D, D) + np.einsum("ij,ij->", A[:, k:], A[:, k:])
                 + np.einsum("ij,ij->", B[:, k:], B[:, k:]))


def _mean_term(m1, m2):
    diff = m1 - m2
    scale = float(np.abs(diff).max())
    if scale == 0.0:
        return 0.0
    diff = diff / scale
    return float(np.dot(diff, diff)) * scale * scale


def wasserstein_gaussian(mean1, cov1, mean2, cov2):
    r"""W_2 between two Gaussians, in closed form (the Bures distance).

    Parameters
    ----------
    mean1, mean2 : (d,) array_like
        The means.
    cov1, cov2 : (d, d) array_like
        The covariances: symmetric positive semi-definite, rank-deficient
        allowed.

    Returns
    -------
    float
        W_2(N(mean1, cov1), N(mean2, cov2)) -- the distance, not its square;
        FID is its square on the statistics of Inception features.

    Raises
    ------
    ValueError
        Shapes that do not match, NaN or inf entries, a covariance that is not
        symmetric (beyond 1e-10 times its largest entry) or not positive
        semi-definite (an eigenvalue below -1e-10 times the largest).
    TypeError
        Non-numeric input.

    See Also
    --------
    wasserstein_gaussian_fit : the same from two sample sets.

    Notes
    -----
    .. math:: W_2^2 = |m_1 - m_2|^2 + \operatorname{tr} C_1
              + \operatorname{tr} C_2
              - 2 \operatorname{tr} (C_1^{1/2} C_2 C_1^{1/2})^{1/2}.

    Each covariance is factored by a symmetric eigendecomposition, C = G G^T
    with G = V diag(sqrt(lambda)) (eigenvalues below 4 d u times the largest,
    u = 2^-53, are rounding noise and dropped: the numerical rank).  The
    trace of the square root is the nuclear norm of G1^T G2, the sum of its
    singular values; so no non-symmetric matrix square root is taken, and no
    complex number or NaN can arise.  When the Bures term tr C1 + tr C2 -
    2 ``||G1^T G2||_*`` has cancelled to below 1e-3 of tr C1 + tr C2, it is
    recomputed as the sum of squares ``||G1 P - G2 Q||_F^2`` (+ the columns
    beyond the smaller rank) from the SVD G1^T G2 = P S Q^T, which keeps
    its relative accuracy when the Gaussians are close.

    References
    ----------
    .. [1] D. C. Dowson and B. V. Landau, "The Frechet distance between
       multivariate normal distributions", J. Multivariate Anal. 12 (1982).
    .. [2] M. Heusel et al., "GANs trained by a two time-scale update rule
       converge to a local Nash equilibrium", NeurIPS 2017 (FID).

    Examples
    --------
    >>> import numpy as np
    >>> from transport import wasserstein_gaussian
    >>> wasserstein_gaussian([0.0, 0.0], np.diag([4.0, 1.0]),
    ...                      [3.0, 0.0], np.diag([1.0, 1.0]))  # sqrt(9 + (2-1)^2)
    3.1622776601683795
    >>> wasserstein_gaussian([0.0], [[0.0]], [0.0], [[1.0]])  # a point mass
    1.0
    """
    m1 = _mean(mean1, "mean1")
    d = m1.shape[0]
    m2 = _mean(mean2, "mean2", d)
    G1, t1 = _covariance_factor(cov1, "cov1", d)
    G2, t2 = _covariance_factor(cov2, "cov2", d)
    return math.sqrt(_mean_term(m1, m2) + max(_bures_sq(G1, G2, t1, t2), 0.0))


#: `wasserstein_gaussian_fit` takes the route through the n1 x n2 product of
#: the samples when its estimated flops are lower than those of the route
#: through the d x d triangular factors of their QR decompositions (an SVD
#: of a k x l matrix counted as SVD_FLOPS min(k, l)^2 max(k, l), a QR of an
#: n x d matrix as 2 n d^2).
SVD_FLOPS = 4.0


def _fit_route(n1, n2, d):
    samples = 2.0 * n1 * n2 * d + SVD_FLOPS * min(n1, n2) ** 2 * max(n1, n2)
    factors = 2.0 * (n1 + n2) * d * d + (SVD_FLOPS + 2.0) * d**3
    return "samples" if samples <= factors else "factors"


def wasserstein_gaussian_fit(X, Y):
    r"""W_2 between the Gaussians fitted to two sample sets.

    Parameters
    ----------
    X : (n1, d) array_like
        Samples of the first distribution (e.g. Inception features of real
        images), n1 >= 2.
    Y : (n2, d) array_like
        Samples of the second, n2 >= 2.

    Returns
    -------
    float
        W_2(N(mean X, cov X), N(mean Y, cov Y)), covariances with n - 1 in
        the denominator (``np.cov``'s); FID is its square.

    Raises
    ------
    ValueError
        NaN or inf samples, fewer than two samples in a set, sets of
        different dimensions.
    TypeError
        Non-numeric input.

    See Also
    --------
    wasserstein_gaussian : from means and covariances.

    Notes
    -----
    Computed from the samples themselves: with A = (X - mean X) /
    sqrt(n1 - 1) and B likewise, cov X = A^T A, cov Y = B^T B, and

    .. math:: \operatorname{tr}(C_1^{1/2} C_2 C_1^{1/2})^{1/2}
              = \|A B^T\|_*,

    the sum of the singular values of the n1 x n2 matrix A B^T.  This route
    is taken when it is the cheaper (few samples in high dimension: 1000
    Inception features of d = 2048); otherwise the samples are reduced by QR
    decompositions, A = Q1 R1 and B = Q2 R2, so that cov X = R1^T R1 and the
    nuclear norm is that of the d x d matrix R1 R2^T.  Neither route forms
    a covariance, so neither squares the samples' condition number, and no
    eigendecomposition is needed.  Either way the Bures term is recomputed
    as a sum of squares when it cancels.  Rank-deficient covariances
    (n <= d) need no special care.

    Examples
    --------
    >>> import numpy as np
    >>> from transport import wasserstein_gaussian_fit
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 300))           # n < d: rank-deficient
    >>> round(wasserstein_gaussian_fit(X, X + 2.0) ** 2, 6)   # FID: |shift|^2
    1200.0
    """
    X = validate_values(X, "X")
    Y = validate_values(Y, "Y")
    (n1, d), n2 = X.shape, Y.shape[0]
    if Y.shape[1] != d:
        raise ValueError(f"`X` and `Y` must live in the same space; got samples of "
                         f"dimension {d} and {Y.shape[1]}.")
    for name, k in (("X", n1), ("Y", n2)):
        if k < 2:
            raise ValueError(f"`{name}` must hold at least 2 samples to fit a "
                             f"covariance (with n - 1); got {k}.")
    m1 = X.mean(axis=0)
    m2 = Y.mean(axis=0)
    A = (X - m1) / math.sqrt(n1 - 1)
    B = (Y - m2) / math.sqrt(n2 - 1)
    if _fit_route(n1, n2, d) == "samples":
        b2 = _bures_sq(A.T, B.T)
    else:  # A = Q1 R1: cov X = R1^T R1, the factor R1^T without squaring A
        R1 = np.linalg.qr(A, mode="r")
        R2 = np.linalg.qr(B, mode="r")
        b2 = _bures_sq(R1.T, R2.T)
    return math.sqrt(_mean_term(m1, m2) + max(b2, 0.0))
