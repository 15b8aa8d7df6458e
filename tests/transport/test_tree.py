"""`wasserstein_tree`: exact W_1 for the shortest-path metric of a tree."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import shortest_path

from transport import emd, wasserstein_1d, wasserstein_tree
from transport._graphs._tree import tree_potential


def tree_distances(parent, length):
    """All-pairs tree distances by Dijkstra on the edge list (independent)."""
    n = len(parent)
    child = np.array([i for i in range(n) if parent[i] != -1], dtype=int)
    if child.size == 0:
        return np.zeros((1, 1))
    par = np.asarray(parent)[child]
    # zero-length edges must stay edges: add a tiny weight, then remove it
    w = np.asarray(length, float)[child]
    graph = coo_matrix((np.ones_like(w), (child, par)), shape=(n, n)).tocsr()
    hops = shortest_path(graph, directed=False, unweighted=True)
    graph = coo_matrix((w + 1.0, (child, par)), shape=(n, n)).tocsr()
    return shortest_path(graph, directed=False) - hops


def reroot(parent, length, new_root):
    """The same tree with its root moved to `new_root` (edges re-oriented)."""
    old_length = list(length)
    parent, length = list(parent), list(length)
    path = [new_root]
    while parent[path[-1]] != -1:
        path.append(parent[path[-1]])
    for child, up in zip(path[:-1], path[1:]):  # reverse the path's edges
        parent[up], length[up] = child, old_length[child]
    parent[new_root], length[new_root] = -1, 0.0
    return np.array(parent), np.array(length)


@st.composite
def trees(draw, max_n=14):
    """Random trees with random labels: chains, stars and everything between,
    zero-length edges, zero masses, equal total mass."""
    n = draw(st.integers(1, max_n))
    shape = draw(st.sampled_from(["random", "chain", "star"]))
    if shape == "chain":
        up = [k - 1 for k in range(n)]
    elif shape == "star":
        up = [-1] + [0] * (n - 1)
    else:
        up = [-1] + [draw(st.integers(0, k - 1)) for k in range(1, n)]
    perm = np.array(draw(st.permutations(range(n))))  # node k is called perm[k]
    parent = np.empty(n, int)
    parent[perm] = [-1 if q == -1 else perm[q] for q in up]
    length = draw(hnp.arrays(np.float64, n, elements=st.one_of(
        st.just(0.0), st.integers(1, 3).map(float), st.floats(0.01, 10.0))))
    m_el = st.one_of(st.just(0.0), st.floats(0.01, 5.0))
    u = draw(hnp.arrays(np.float64, n, elements=m_el))
    v = draw(hnp.arrays(np.float64, n, elements=m_el))
    u[draw(st.integers(0, n - 1))] += 1.0
    v[draw(st.integers(0, n - 1))] += 1.0
    v *= u.sum() / v.sum()
    return parent, length, u, v


@given(trees())
def test_matches_dense_lp_and_its_certificate(tree):
    parent, length, u, v = tree
    M = tree_distances(parent, length)
    ref = emd(u, v, M)
    ours = wasserstein_tree(parent, length, u, v)
    scale = length.sum() * u.sum()
    assert_allclose(ours, ref.cost, rtol=1e-12, atol=1e-14 * scale)
    # The tree potential is a KR certificate: 1-Lipschitz on every pair,
    # and its value on u - v is W_1.
    f = tree_potential(parent, length, u, v)
    assert np.all(np.abs(f[:, None] - f[None, :]) <= M * (1 + 1e-12) + 1e-12)
    assert_allclose(f @ (u - v), ours, rtol=1e-12, atol=1e-13 * scale)


@given(trees(), st.data())
def test_rerooting_changes_nothing(tree, data):
    parent, length, u, v = tree
    root = data.draw(st.integers(0, len(parent) - 1))
    p2, l2 = reroot(parent, length, root)
    assert_allclose(wasserstein_tree(p2, l2, u, v), wasserstein_tree(parent, length, u, v),
                    rtol=1e-12, atol=1e-14 * length.sum() * u.sum())


@given(st.integers(1, 40), st.data())
def test_chain_is_the_line(n, data):
    # A chain with edge lengths l is the line with atoms at the cumulative
    # lengths: W_1 there is the closed form of `wasserstein_1d`.
    el = st.floats(0.0, 5.0)
    length = np.array(data.draw(hnp.arrays(np.float64, n, elements=el)))
    length[0] = 0.0
    u = data.draw(hnp.arrays(np.float64, n, elements=st.floats(0.0, 3.0)))
    v = data.draw(hnp.arrays(np.float64, n, elements=st.floats(0.0, 3.0)))
    u[0] += 1.0
    v[-1] += 1.0
    u, v = u / u.sum(), v / v.sum()
    x = np.cumsum(length)
    ours = wasserstein_tree(np.arange(n) - 1, length, u, v)
    assert_allclose(ours, wasserstein_1d(x, x, u, v), rtol=1e-12, atol=1e-14 * x[-1])


def test_small_cases():
    assert wasserstein_tree([-1], [0.0], [2.0], [2.0]) == 0.0
    # star: mass moves from leaf 1 to leaf 2 through the centre
    assert wasserstein_tree([-1, 0, 0], [0.0, 1.5, 2.5], [0, 1, 0], [0, 0, 1]) == 4.0
    # the mass scales the distance (no normalisation, like emd)
    assert wasserstein_tree([-1, 0], [0.0, 3.0], [2, 0], [0, 2]) == 6.0
    # node order does not matter: the root may come last
    assert wasserstein_tree([2, 2, -1], [1.0, 2.0, 0.0], [1, 0, 0], [0, 1, 0]) == 3.0


def test_large_random_tree_matches_a_second_route():
    # 10^5 nodes: the edge sum against subtree sums from a sparse matrix
    # (cumulative sums over an ancestor matrix would be n^2; instead, repeat
    # parent pushes level by level with NumPy).
    rng = np.random.default_rng(11)
    n = 100_000
    parent = np.concatenate([[-1], rng.integers(0, np.arange(1, n))])
    length = rng.random(n)
    u, v = rng.random(n), rng.random(n)
    v *= u.sum() / v.sum()
    depth = np.zeros(n, int)
    for i in range(1, n):  # parents come first here
        depth[i] = depth[parent[i]] + 1
    d = u - v
    for level in range(depth.max(), 0, -1):
        nodes = np.flatnonzero(depth == level)
        np.add.at(d, parent[nodes], d[nodes])
    expected = float(np.sum(length[1:] * np.abs(d[1:])))
    assert_allclose(wasserstein_tree(parent, length, u, v), expected, rtol=1e-10)
    f = tree_potential(parent, length, u, v)
    assert np.all(np.abs(f[1:] - f[parent[1:]]) <= length[1:] + 1e-15)
    assert_allclose(f @ (u - v), expected, rtol=1e-10)


GOOD = dict(parent=[-1, 0, 1], length=[0.0, 1.0, 1.0], u_mass=[1, 0, 0], v_mass=[0, 0, 1])


@pytest.mark.parametrize(
    "change, exc, match",
    [
        (dict(parent=[-1, 2, 1]), ValueError, "cycle through node"),
        (dict(parent=[1, 2, 0]), ValueError, "no root"),
        (dict(parent=[-1, -1, 1]), ValueError, "more than one root"),
        (dict(parent=[-1, 1, 1]), ValueError, r"`parent\[1\]` = 1: a node cannot be its own"),
        (dict(parent=[-1, 0, 3]), ValueError, r"`parent\[2\]` = 3 is not a node"),
        (dict(parent=[-1, 0, -2]), ValueError, r"`parent\[2\]` = -2 is not a node"),
        (dict(parent=[-1.0, 0.0, 1.0]), TypeError, "`parent` must be an array of integer"),
        (dict(parent=[[-1, 0, 1]]), ValueError, "`parent` must be 1-D"),
        (dict(parent=[]), ValueError, "`parent` is empty"),
        (dict(length=[0.0, -1.0, 1.0]), ValueError, "`length` must be non-negative"),
        (dict(length=[0.0, np.nan, 1.0]), ValueError, "`length` must not contain NaN"),
        (dict(length=[0.0, np.inf, 1.0]), ValueError, "`length` must be finite"),
        (dict(length=[1.0, 1.0]), ValueError, "`length` must be 1-D with one entry per node"),
        (dict(u_mass=[1, 0]), ValueError, "`u_mass` must have one mass per node"),
        (dict(v_mass=[0, -1, 2]), ValueError, "`v_mass` must be non-negative"),
        (dict(v_mass=[0, 0, 2]), ValueError, "must carry the same total mass"),
        (dict(u_mass=[0, 0, 0]), ValueError, "`u_mass` must have positive total mass"),
        (dict(u_mass=["a", "b", "c"]), TypeError, "`u_mass` must hold real numbers"),
    ],
)
def test_bad_input(change, exc, match):
    with pytest.raises(exc, match=match):
        wasserstein_tree(**{**GOOD, **change})
    if "parent" in change or "length" in change or "mass" in str(change):
        with pytest.raises(exc, match=match):
            tree_potential(**{**GOOD, **change})


def test_cycle_below_a_valid_root_names_a_node_on_it():
    # 0 is the root; 3 -> 4 -> 5 -> 3 is a cycle hanging off nothing.
    parent = [-1, 0, 1, 5, 3, 4]
    with pytest.raises(ValueError, match="cycle through node [345]"):
        wasserstein_tree(parent, np.ones(6), np.ones(6), np.ones(6))
