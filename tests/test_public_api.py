"""The public names of both packages are exactly the documented ones."""

import importlib

import pytest

EXPECTED = {
    "divergences": {"tv", "kl", "js", "js_distance", "align", "pairwise"},
    "transport": {
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
        "critic_report",
        "CriticReport",
        "TransportResult",
        "Certificate",
        "OptimalityError",
        "UncertifiedWarning",
    },
}


@pytest.mark.parametrize("package", sorted(EXPECTED))
def test_all_matches_real_names(package):
    module = importlib.import_module(package)
    assert set(module.__all__) == EXPECTED[package]
    for name in module.__all__:
        assert callable(getattr(module, name)), name
    namespace = {}
    exec(f"from {package} import *", namespace)
    assert EXPECTED[package] <= set(namespace)
