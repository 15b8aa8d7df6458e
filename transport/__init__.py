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
# (transport already builds on divergences).  The public names load on first
# use (`divergences._lazy`): `import transport` imports no part.
from divergences import _compile_notice  # noqa: F401
from divergences._lazy import lazy_exports
from divergences._version import __version__

#: Public name -> the private module that defines it.
_EXPORTS = {
    "wasserstein_1d": "._line._wasserstein_1d",
    "wasserstein_circle": "._line._circle",
    "emd": "._simplex._emd",
    "emd2": "._simplex._emd",
    "wasserstein_grid": "._graphs._grid",
    "wasserstein_tree": "._graphs._tree",
    "solve": "._clouds._solve",
    "cost_matrix": "._clouds._solve",
    "wasserstein": "._clouds._wasserstein",
    "kr_dual": "._dual._kr_dual",
    "KRDualResult": "._dual._kr_dual",
    "pairwise": "._pairs._pairwise",
    "certify": "._core._certify",
    "Certificate": "._core._certify",
    "TransportResult": "._core._results",
    "OptimalityError": "._core._results",
    "UncertifiedWarning": "._core._results",
    "critic_report": "._samples._critic",
    "CriticReport": "._samples._critic",
}

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
    "critic_report",
    "CriticReport",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
