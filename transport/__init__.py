"""Exact optimal transport: the Earth-Mover (Wasserstein) distance."""

__all__ = []
