"""Exact optimal transport: the Earth-Mover (Wasserstein) distance.

Layout (each private module one concept):

* point clouds: `solve` (`_solve`: method table, "auto" choice,
  `cost_matrix`), `wasserstein` (`_wasserstein`, a thin wrapper) and
  `wasserstein_1d` (`_wasserstein_1d`, the closed form on the line);
* cost matrices: `emd`, `emd2` (`_emd`);
* many histograms over one support: `pairwise` (`_pairwise`: validation
  and the block of work a tiled engine maps over), solved pair by pair in
  compiled code by `_network_simplex.solve_dense_pairs` (`_simplex_batch`);
* the network simplex, owned by `_network_simplex` (dense solve and the
  warm-startable arc-list solve); its state is `_simplex_tree.SimplexTree`,
  its pivot rule `_simplex_kernels.pivot`;
* the matrix-free solver `_sparse` (column generation) with its parts
  `_hilbert`, `_initial_plans`, `_kdscan`, `_local_scan`;
* results and the rule for unproven answers: `_results`; the independent
  checker: `_certify`; ground metrics: `_metrics`; input checks:
  `_validation`;
* the Kantorovich-Rubinstein dual: `kr_dual` (`_kr_dual`, `_kr_kernels`).
"""

# Both packages are one distribution: one version, one compile notice
# (transport already builds on divergences).
from divergences import _compile_notice  # noqa: F401
from divergences._version import __version__

from ._certify import Certificate, certify
from ._circle import wasserstein_circle
from ._emd import emd, emd2
from ._grid import wasserstein_grid
from ._kr_dual import KRDualResult, kr_dual
from ._pairwise import pairwise
from ._results import OptimalityError, TransportResult, UncertifiedWarning
from ._solve import cost_matrix, solve
from ._tree import wasserstein_tree
from ._wasserstein import wasserstein
from ._wasserstein_1d import wasserstein_1d

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
    "KRDualResult",
    "TransportResult",
    "Certificate",
    "OptimalityError",
    "UncertifiedWarning",
]
