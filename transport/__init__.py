"""Exact optimal transport: the Earth-Mover (Wasserstein) distance."""

# Both packages are one distribution: one version, one compile notice
# (transport already builds on divergences).
from divergences import _compile_notice  # noqa: F401
from divergences._version import __version__

from ._certify import Certificate, certify
from ._emd import OptimalityError, TransportResult, UncertifiedWarning, emd, emd2
from ._kr_dual import KRDualResult, kr_dual
from ._wasserstein import cost_matrix, wasserstein
from ._wasserstein_1d import wasserstein_1d

__all__ = [
    "wasserstein_1d",
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
