"""Hypothesis strategies shared by the test suite."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# Bin masses: zeros, tiny (subnormal) and ordinary positive values.
masses = st.one_of(
    st.just(0.0),
    st.floats(min_value=5e-324, max_value=1e-300),
    st.floats(min_value=1e-12, max_value=1e3),
)


@st.composite
def histogram_pairs(draw, min_bins=1, max_bins=30):
    """Two histograms of equal length, each with positive mass."""
    n = draw(st.integers(min_bins, max_bins))
    p = draw(hnp.arrays(np.float64, n, elements=masses))
    q = draw(hnp.arrays(np.float64, n, elements=masses))
    p[draw(st.integers(0, n - 1))] += draw(st.floats(1e-3, 10.0))
    q[draw(st.integers(0, n - 1))] += draw(st.floats(1e-3, 10.0))
    return p, q


@st.composite
def histogram_triples(draw, max_bins=20):
    """Three histograms of equal length (for triangle inequalities)."""
    p, q = draw(histogram_pairs(max_bins=max_bins))
    r = draw(hnp.arrays(np.float64, p.shape[0], elements=masses))
    r[draw(st.integers(0, p.shape[0] - 1))] += draw(st.floats(1e-3, 10.0))
    return p, q, r


def normalised(x):
    x = np.asarray(x, dtype=np.float64)
    return x / x.sum(axis=-1, keepdims=True)


@st.composite
def weighted_clouds(draw, d=None, max_n=30):
    """Two weighted point sets with duplicates, shared atoms, zero weights,
    integer (tied) coordinates and very unequal sizes."""
    d = draw(st.integers(1, 3)) if d is None else d
    n = draw(st.integers(1, max_n))
    m = draw(st.sampled_from([1, 2, max_n, draw(st.integers(1, max_n))]))
    if draw(st.booleans()):
        coords = st.integers(-3, 3).map(float)  # ties and exact duplicates
    else:
        coords = st.floats(-10, 10, allow_subnormal=False)
    X = draw(hnp.arrays(np.float64, (n, d), elements=coords))
    Y = draw(hnp.arrays(np.float64, (m, d), elements=coords))
    if draw(st.booleans()):  # atoms shared between P and Q
        k = draw(st.integers(0, min(n, m)))
        Y[:k] = X[:k]
    w_el = st.one_of(st.just(0.0), st.floats(0.01, 5.0))
    a = draw(hnp.arrays(np.float64, n, elements=w_el))
    b = draw(hnp.arrays(np.float64, m, elements=w_el))
    a[draw(st.integers(0, n - 1))] += 1.0
    b[draw(st.integers(0, m - 1))] += 1.0
    return X, Y, a, b
