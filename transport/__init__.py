"""Exact optimal transport: the Earth-Mover (Wasserstein) distance."""

from ._certify import Certificate, certify
from ._circle import wasserstein_circle
from ._emd import OptimalityError, TransportResult, UncertifiedWarning, emd, emd2
from ._grid import wasserstein_grid
from ._kr_dual import KRDualResult, kr_dual
from ._tree import wasserstein_tree
from ._wasserstein import cost_matrix, wasserstein
from ._wasserstein_1d import wasserstein_1d

__all__ = [
    "wasserstein_1d",
    "wasserstein_circle",
    "wasserstein_tree",
    "wasserstein_grid",
    "wasserstein",
    "emd",
    "emd2",
    "certify",
    "cost_matrix",
    "kr_dual",
    "KRDualResult",
    "TransportResult",
    "Certificate",
    "OptimalityError",
    "UncertifiedWarning",
]
