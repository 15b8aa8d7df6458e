"""Put two weighted point sets on their common support."""

import numpy as np

from ._validation import as_float_array, validate_point_clouds

__all__ = ["align", "merge_atoms"]


def merge_atoms(Z, weights):
    """Merge identical rows of Z and sum their weights, column by column.

    Parameters
    ----------
    Z : (N, d) ndarray
        Finite float64 atoms.
    weights : (N, k) ndarray
        Weights of each atom under k measures.

    Returns
    -------
    support : (K, d) ndarray
        The distinct atoms, in lexicographic order.
    merged : (K, k) ndarray
        Summed weights of each distinct atom.
    index : (N,) ndarray
        Position in `support` of each input atom.
    """
    Z = Z + 0.0  # -0.0 and 0.0 are the same atom
    if Z.shape[1] == 1:
        order = np.argsort(Z[:, 0], kind="stable")
    else:
        order = np.lexsort(Z.T[::-1])
    Zs = Z[order]
    new = np.empty(Zs.shape[0], dtype=bool)
    new[0] = True
    np.any(Zs[1:] != Zs[:-1], axis=1, out=new[1:])
    group = np.cumsum(new) - 1
    support = Zs[new]
    merged = np.zeros((support.shape[0], weights.shape[1]))
    for col in range(weights.shape[1]):
        merged[:, col] = np.bincount(
            group, weights=weights[order, col], minlength=support.shape[0]
        )
    index = np.empty_like(group)
    index[order] = group
    return support, merged, index


def align(u_values, v_values, u_weights=None, v_weights=None):
    r"""Put two weighted point sets on their common support.

    Identical atoms (exact equality of all coordinates) are merged and their
    weights summed, so that `tv`, `kl` and `js` apply to empirical measures.

    Parameters
    ----------
    u_values : (n,) or (n, d) array_like
        Atoms of P (points on the line, or in R^d).
    v_values : (m,) or (m, d) array_like
        Atoms of Q, in the same space.
    u_weights, v_weights : (n,), (m,) array_like, optional
        Non-negative weights with a positive sum; uniform when None.  Each is
        normalised to total mass 1 (SciPy's convention).

    Returns
    -------
    support : (K,) or (K, d) ndarray
        The distinct atoms of both sets in lexicographic order; 1-D when both
        inputs are 1-D.
    p, q : (K,) ndarray
        The weights of P and Q on `support`; each sums to 1.

    Raises
    ------
    ValueError
        NaN or inf atoms, negative or all-zero weights, empty input, lengths
        or dimensions that do not match.
    TypeError
        Non-numeric input.

    See Also
    --------
    tv, kl, js

    Notes
    -----
    Runs in O((n + m) log(n + m)) (one sort).  Atoms equal up to the sign
    of zero are the same atom; no tolerance is applied, so atoms that differ
    in the last bit stay distinct.

    Examples
    --------
    >>> from divergences import align, tv
    >>> support, p, q = align([0.0, 1.0, 1.0], [1.0, 2.0])
    >>> support
    array([0., 1., 2.])
    >>> p.round(4), q
    (array([0.3333, 0.6667, 0.    ]), array([0. , 0.5, 0.5]))
    >>> round(tv(p, q), 4)
    0.5
    """
    X, Y, a, b = validate_point_clouds(u_values, v_values, u_weights, v_weights)
    one_d = (
        as_float_array(u_values, "u_values").ndim == 1
        and as_float_array(v_values, "v_values").ndim == 1
    )
    n, m = X.shape[0], Y.shape[0]
    weights = np.zeros((n + m, 2))
    weights[:n, 0] = a
    weights[n:, 1] = b
    support, merged, _ = merge_atoms(np.concatenate([X, Y]), weights)
    p = np.ascontiguousarray(merged[:, 0])
    q = np.ascontiguousarray(merged[:, 1])
    if one_d:
        support = support[:, 0].copy()
    return support, p, q
