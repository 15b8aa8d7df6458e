"""Hilbert-curve order of point clouds (numba kernel and its wrapper).

Sorting both clouds along one Hilbert curve on their joint bounding box keeps
near atoms at near indices: memory locality for the sparse solver, and the
1-D order of its north-west-corner plan and of its coarsening.
"""

import numpy as np
from numba import njit

__all__ = ["hilbert_keys", "curve_order"]

_OPTS = dict(cache=True, nogil=True)


@njit(**_OPTS)
def hilbert_keys(P, lo, span, bits):
    """Hilbert-curve index of each point of P (n, d) on a 2^bits grid per axis.

    Coordinates are mapped to integers on the box [lo, lo + span]; the index
    is computed with Skilling's transposed-axes form of the curve (J.
    Skilling, "Programming the Hilbert curve", AIP Conf. Proc. 707, 2004);
    ``d * bits`` must not exceed 63.  For d = 1 the key is the grid cell.
    """
    n, d = P.shape
    keys = np.empty(n, np.int64)
    top = (1 << bits) - 1
    xs = np.empty(d, np.int64)
    for k in range(n):
        for t in range(d):
            if span[t] > 0.0:
                q = int((P[k, t] - lo[t]) / span[t] * top)
            else:
                q = 0
            xs[t] = min(max(q, 0), top)
        if d == 1:
            keys[k] = xs[0]
            continue
        # Inverse undo.
        q = 1 << (bits - 1)
        while q > 1:
            mask = q - 1
            for t in range(d):
                if xs[t] & q:
                    xs[0] ^= mask
                else:
                    swap = (xs[0] ^ xs[t]) & mask
                    xs[0] ^= swap
                    xs[t] ^= swap
            q >>= 1
        # Gray encode.
        for t in range(1, d):
            xs[t] ^= xs[t - 1]
        flip = 0
        q = 1 << (bits - 1)
        while q > 1:
            if xs[d - 1] & q:
                flip ^= q - 1
            q >>= 1
        for t in range(d):
            xs[t] ^= flip
        # Interleave the transposed bits, most significant first.
        key = 0
        for bit in range(bits - 1, -1, -1):
            for t in range(d):
                key = (key << 1) | ((xs[t] >> bit) & 1)
        keys[k] = key
    return keys


def curve_order(X, Y):
    """Orders of X and Y along one Hilbert curve on their joint bounding box."""
    d = X.shape[1]
    if d == 1:
        return np.argsort(X[:, 0], kind="stable"), np.argsort(Y[:, 0], kind="stable")
    lo = np.minimum(X.min(axis=0), Y.min(axis=0))
    span = np.maximum(X.max(axis=0), Y.max(axis=0)) - lo
    bits = min(31, 63 // d)
    if bits == 0:  # above 63-D no grid fits the key: along the widest axis
        t = int(np.argmax(span))
        return (np.argsort(X[:, t], kind="stable"), np.argsort(Y[:, t], kind="stable"))
    kx = hilbert_keys(X, lo, span, bits)
    ky = hilbert_keys(Y, lo, span, bits)
    return np.argsort(kx, kind="stable"), np.argsort(ky, kind="stable")
