"""Exact optimal transport: the Earth-Mover (Wasserstein) distance.

The public names are re-exported here; behind them, one private subpackage
per part of the architecture, lowest first (a part imports only the parts
above it in this list; ``tests/test_layout.py`` holds the order):

``_core/``
    what every part shares: results and the rule for unproven answers
    (`_results`), the independent checker (`_certify`), input checks
    (`_validation`), power-of-two rescaling (`_scaling`), ground metrics
    (`_metrics`).
``_line/``
    the line and the circle: `wasserstein_1d` (closed form, sorts, batches
    of slices) and `wasserstein_circle`.
``_simplex/``
    the network simplex (owner `_network_simplex`, its tree, pivot kernels
    and per-pair batch) and `emd`/`emd2` on cost matrices.
``_graphs/``
    structured costs solved as flows or sums on a graph:
    `wasserstein_grid`, `wasserstein_tree`.
``_clouds/``
    point clouds: `solve`, `wasserstein`, `cost_matrix`, and the matrix-free
    solver (`_sparse`) with its kd-tree scans, local rounds and starts.
``_dual/``
    the Kantorovich-Rubinstein dual: `kr_dual`.
``_pairs/``
    many histograms over one support: `pairwise` (NumPy or Dask).
``_samples/``
    samples in feature space and the evaluation of generative models.
"""

# Both packages are one distribution: one version, one compile notice
# (transport already builds on divergences).
from divergences import _compile_notice  # noqa: F401
from divergences._version import __version__

from ._core._certify import Certificate, certify
from ._line._circle import wasserstein_circle
from ._simplex._emd import emd, emd2
from ._graphs._grid import wasserstein_grid
from ._dual._kr_dual import KRDualResult, kr_dual
from ._pairs._pairwise import pairwise
from ._core._results import OptimalityError, TransportResult, UncertifiedWarning
from ._clouds._solve import cost_matrix, solve
from ._graphs._tree import wasserstein_tree
from ._clouds._wasserstein import wasserstein
from ._line._wasserstein_1d import wasserstein_1d
from ._samples._sliced import SlicedResult, sliced_wasserstein
from ._samples._gaussian import wasserstein_gaussian, wasserstein_gaussian_fit

__all__ = [
    "wasserstein_1d",
    "wasserstein_circle",
    "wasserstein_tree",
    "wasserstein_grid",
    "wasserstein",
    "pairwise",
    "solve",
    "emd",
    "emd2",
    "certify",
    "cost_matrix",
    "kr_dual",
    "sliced_wasserstein",
    "SlicedResult",
    "wasserstein_gaussian",
    "wasserstein_gaussian_fit",
    "KRDualResult",
    "TransportResult",
    "Certificate",
    "OptimalityError",
    "UncertifiedWarning",
]
