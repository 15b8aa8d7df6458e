"""Shared by the high-precision reference tests: histograms in decimal."""

from decimal import Decimal


def normalised_pairs(p, q):
    """(p_i / sum p, q_i / sum q) of the exact binary values of p and q, in
    the current decimal context's precision (set by the caller)."""
    P = [Decimal(float(x)) for x in p]
    Q = [Decimal(float(x)) for x in q]
    sp, sq = sum(P), sum(Q)
    return [(a / sp, b / sq) for a, b in zip(P, Q)]
