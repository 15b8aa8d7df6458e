r"""Exact W_1 for the shortest-path metric of a weighted tree.

On a tree, every unit of mass that leaves the subtree below an edge must
cross that edge, and nothing else has to: the optimal flow across the edge
from node i to its parent is the mass surplus of the subtree of i.  Hence

.. math:: W_1(\mu, \nu) = \sum_{i \ne \mathrm{root}} \ell_i \,
          \Bigl|\sum_{k \in \mathrm{sub}(i)} (\mu_k - \nu_k)\Bigr|,

one pass from the leaves up.  The dual potential that proves it optimal
falls out of the same pass (`tree_potential`).
"""

import numpy as np
from numba import njit

from .._core._scaling import length_exponent, scale_back, times_power_of_two
from .._core._validation import (as_float_array, check_equal_mass, raise_first_bad_entry,
                                 refuse_masked, validate_marginal)

__all__ = ["wasserstein_tree", "tree_potential"]

_OPTS = dict(cache=True, nogil=True)

#: Status codes of `topological_order`.
_OK, _BAD_INDEX, _SELF_LOOP, _NO_ROOT, _TWO_ROOTS, _CYCLE = range(6)


@njit(**_OPTS)
def count_children(parent, pending):
    """pending[i] = number of children of i; returns (status, where).

    status 0 (`_OK`): ``where`` is the root.  Otherwise ``where`` is the
    node at fault: an index out of range, a node that is its own parent,
    a second root (or -1: no root).
    """
    n = parent.shape[0]
    root = -1
    for i in range(n):
        p = parent[i]
        if p == -1:
            if root != -1:
                return _TWO_ROOTS, i
            root = i
        elif p < 0 or p >= n:
            return _BAD_INDEX, i
        elif p == i:
            return _SELF_LOOP, i
        else:
            pending[p] += 1
    if root == -1:
        return _NO_ROOT, -1
    return _OK, root


@njit(**_OPTS)
def _on_cycle(pending, root):
    """A node never settled by the sweep from the leaves: it is on a cycle."""
    for i in range(pending.shape[0]):
        if pending[i] > 0 and i != root:
            return i
    return -1


@njit(**_OPTS)
def _queue_leaves(pending, root, queue):
    """Put the leaves (no pending children, not the root) in `queue`."""
    tail = 0
    for i in range(pending.shape[0]):
        queue[tail] = i
        tail += (pending[i] == 0) & (i != root)  # branch-free: always write
    return tail


@njit(**_OPTS)
def tree_cost(parent, length, diff):
    """(sum over edges of length * |subtree surplus|, status, where).

    Kahn's algorithm from the leaves: a node is settled (its edge costed,
    its surplus pushed into its parent) once all its children are; a FIFO
    queue of settled-to-be nodes keeps the memory accesses of successive
    steps independent (and the enqueue is branch-free), which matters on
    trees whose labels are in random order.  Nodes on a cycle are never
    settled (status `_CYCLE`, ``where`` one of them); other statuses as in
    `count_children`.
    """
    n = parent.shape[0]
    pending = np.zeros(n, np.int64)
    status, root = count_children(parent, pending)
    if status != _OK:
        return 0.0, status, root
    d = diff.copy()
    queue = np.empty(n, np.int64)
    tail = _queue_leaves(pending, root, queue)
    total = 0.0
    head = 0
    while head < tail:
        j = queue[head]
        head += 1
        total += length[j] * abs(d[j])
        q = parent[j]
        d[q] += d[j]
        left = pending[q] - 1
        pending[q] = left
        queue[tail] = q
        tail += (left == 0) & (q != root)
    if tail != n - 1:
        return total, _CYCLE, _on_cycle(pending, root)
    return total, _OK, root


@njit(**_OPTS)
def topological_order(parent):
    """Nodes ordered root first (every node after its parent), status, where.

    The sweep of `tree_cost` without the sums: the queue it builds, read
    backwards, after the root.
    """
    n = parent.shape[0]
    pending = np.zeros(n, np.int64)
    status, root = count_children(parent, pending)
    order = np.empty(n, np.int64)
    if status != _OK:
        return order, status, root
    queue = np.empty(n, np.int64)
    tail = _queue_leaves(pending, root, queue)
    head = 0
    while head < tail:
        q = parent[queue[head]]
        head += 1
        left = pending[q] - 1
        pending[q] = left
        queue[tail] = q
        tail += (left == 0) & (q != root)
    if tail != n - 1:
        return order, _CYCLE, _on_cycle(pending, root)
    order[0] = root
    order[1:] = queue[:n - 1][::-1]
    return order, _OK, root


@njit(**_OPTS)
def subtree_surplus(parent, order, diff):
    """Mass surplus (sum of `diff`) of every node's subtree, leaves first."""
    d = diff.copy()
    for k in range(order.shape[0] - 1, 0, -1):
        i = order[k]
        d[parent[i]] += d[i]
    return d


@njit(**_OPTS)
def potential_from_surplus(parent, order, length, surplus):
    """f(root) = 0, f(i) = f(parent) + length * sign(surplus of i)."""
    f = np.zeros(order.shape[0])
    for k in range(1, order.shape[0]):
        i = order[k]
        s = surplus[i]
        step = length[i] if s > 0 else (-length[i] if s < 0 else 0.0)
        f[i] = f[parent[i]] + step
    return f


def _as_parent(parent):
    """`parent` as a C-contiguous int64 array (its values checked later)."""
    refuse_masked(parent, "parent")
    try:
        arr = np.asarray(parent)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"`parent` must be a 1-D array of integers ({exc}).") from None
    if arr.size == 0:
        raise ValueError("`parent` is empty: a tree needs at least one node.")
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"`parent` must be an array of integer node indices (-1 at the "
            f"root); got dtype {arr.dtype}."
        )
    if arr.ndim != 1:
        raise ValueError(f"`parent` must be 1-D; got shape {arr.shape}.")
    n = arr.shape[0]
    if arr.dtype == np.uint64 and arr.max() > np.iinfo(np.int64).max:
        raise ValueError(f"`parent` entries must be -1 or node indices in [0, {n}).")
    return np.ascontiguousarray(arr, dtype=np.int64)


def _raise_bad_parent(arr, status, where):
    """The error for a `parent` status of the kernels (nothing if _OK)."""
    if status == _OK:
        return
    n = arr.shape[0]
    if status == _BAD_INDEX:
        problem = (f"`parent[{where}]` = {arr[where]} is not a node: entries must "
                   f"be -1 (the root) or in [0, {n}).")
    elif status == _SELF_LOOP:
        problem = (f"`parent[{where}]` = {where}: a node cannot be its own parent "
                   f"(use -1 for the root).")
    elif status == _NO_ROOT:
        problem = "`parent` has no root: exactly one entry must be -1."
    elif status == _TWO_ROOTS:
        problem = (f"`parent` has more than one root (-1 at index "
                   f"{int(np.flatnonzero(arr == -1)[0])} and at {where}): a tree "
                   f"has exactly one.")
    else:
        problem = (f"`parent` contains a cycle through node {where}: following "
                   f"parents from it never reaches the root.")
    raise ValueError(problem)


def _validate_length(length, n):
    arr = as_float_array(length, "length")
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(
            f"`length` must be 1-D with one entry per node (n = {n}); got "
            f"shape {arr.shape}."
        )
    if not (np.isfinite(arr).all() and (arr >= 0).all()):
        raise_first_bad_entry(arr, "length")
    return np.ascontiguousarray(arr)


def _validate_masses(u_mass, v_mass, n):
    u = validate_marginal(u_mass, "u_mass")
    v = validate_marginal(v_mass, "v_mass")
    for x, name in ((u, "u_mass"), (v, "v_mass")):
        if x.shape[0] != n:
            raise ValueError(
                f"`{name}` must have one mass per node (n = {n}); got "
                f"{x.shape[0]} entries."
            )
    su, sv = check_equal_mass(u, v, "u_mass", "v_mass")
    return u, v * (su / sv)


def _prepare(parent, length, u_mass, v_mass):
    """(parent, length, diff, e_length, e_mass): lengths and masses divided
    by 2^e_length and 2^e_mass when not safely in range (the policy of
    `transport._core._scaling`), so that sums of length * mass neither
    overflow nor underflow; W_1 of the originals is 2^(e_length + e_mass)
    times that of the scaled tree."""
    parent = _as_parent(parent)
    n = parent.shape[0]
    length = _validate_length(length, n)
    u, v = _validate_masses(u_mass, v_mass, n)
    e_length = length_exponent(length.max())
    e_mass = length_exponent(max(u.max(), v.max()))
    if e_length:
        length = np.ldexp(length, -e_length)
    with np.errstate(under="ignore"):
        diff = np.ldexp(u, -e_mass) - np.ldexp(v, -e_mass) if e_mass else u - v
    return parent, length, diff, e_length, e_mass


def wasserstein_tree(parent, length, u_mass, v_mass):
    r"""Exact W_1 between two mass distributions on the nodes of a tree.

    Parameters
    ----------
    parent : (n,) array_like of int
        ``parent[i]`` is the parent of node i; exactly one entry is -1 (the
        root).  Any node order is accepted.
    length : (n,) array_like
        ``length[i]`` >= 0 is the length of the edge from i to its parent
        (ignored at the root).  The ground cost is the shortest-path
        (tree) distance.
    u_mass, v_mass : (n,) array_like
        Non-negative masses on the nodes with the same positive total (to a
        relative 1e-7, like `emd`; `v_mass` is then rescaled to the total
        of `u_mass`).  Not normalised: W_1 scales with the mass, as
        ``emd2(u_mass, v_mass, M)`` does.

    Returns
    -------
    float
        W_1 for the tree metric.

    Raises
    ------
    ValueError
        `parent` with no root, two roots, an index out of range, a node that
        is its own parent, or a cycle (the node named); negative or
        non-finite lengths or masses; lengths or masses of the wrong size;
        unequal total masses; a W_1 that does not fit in float64
        (`NotRepresentableError`, also an OverflowError).
    TypeError
        Non-integer or masked `parent`, non-numeric lengths or masses.

    See Also
    --------
    emd : the same value from the dense LP on the matrix of tree distances.

    Notes
    -----
    .. math:: W_1 = \sum_{i \ne r} \ell_i \, |D_i|, \qquad
              D_i = \sum_{k \in \mathrm{sub}(i)} (u_k - v_k)

    Exact: any transport plan moves at least :math:`|D_i|` across edge i
    (the subtree's surplus must leave it), so the sum is a lower bound, and
    the plan that sends each surplus up or down its edge attains it.  The
    potential :math:`f(r) = 0`, :math:`f(i) = f(\mathrm{parent}(i)) +
    \ell_i \operatorname{sign}(D_i)` is 1-Lipschitz for the tree metric and
    :math:`\sum_k f_k (u_k - v_k) = W_1`: the Kantorovich-Rubinstein dual
    certificate (`transport._graphs._tree.tree_potential` returns it).  O(n) time:
    children counted, then each subtree settled from the leaves up
    (Kahn's algorithm, which also detects cycles).

    Examples
    --------
    >>> from transport import wasserstein_tree
    >>> parent = [-1, 0, 0, 1]          # root 0; 1 and 2 below it; 3 below 1
    >>> length = [0.0, 1.0, 2.0, 0.5]
    >>> wasserstein_tree(parent, length, [0, 0, 0, 1], [0, 0, 1, 0])   # 0.5 + 1 + 2
    3.5
    """
    parent, length, diff, e_length, e_mass = _prepare(parent, length, u_mass, v_mass)
    total, status, where = tree_cost(parent, length, diff)
    _raise_bad_parent(parent, status, where)
    return float(scale_back(total, e_length + e_mass, "W_1 on the tree",
                            "divide `length` (or both masses) by a common factor"))


def tree_potential(parent, length, u_mass, v_mass):
    r"""The optimal Kantorovich-Rubinstein potential of `wasserstein_tree`.

    Same arguments and validation as `wasserstein_tree`.  Returns f, one
    value per node, with f = 0 at the root, ``|f[i] - f[parent[i]]| <=
    length[i]`` on every edge (hence 1-Lipschitz for the tree metric) and
    ``f @ (u_mass - v_mass)`` equal to W_1.
    """
    parent, length, diff, e_length, _ = _prepare(parent, length, u_mass, v_mass)
    order, status, where = topological_order(parent)
    _raise_bad_parent(parent, status, where)
    surplus = subtree_surplus(parent, order, diff)
    return times_power_of_two(potential_from_surplus(parent, order, length, surplus),
                              e_length)
