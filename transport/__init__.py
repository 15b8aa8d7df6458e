"""Exact optimal transport: the Earth-Mover (Wasserstein) distance."""

from ._wasserstein_1d import wasserstein_1d

__all__ = ["wasserstein_1d"]
