"""numba kernels compile lazily, are cached, and a warm process never recompiles."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Imports both packages, records which kernels compiled during the import,
# calls every public function once on small inputs, and reports the numba
# cache statistics of every kernel.
SCRIPT = r"""
import importlib, json, pkgutil
import numpy as np
from numba.core.registry import CPUDispatcher

import divergences, transport

def dispatchers():
    for pkg in (divergences, transport):
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            mod = importlib.import_module(info.name)
            for name, obj in vars(mod).items():
                if isinstance(obj, CPUDispatcher) and obj.__module__ == mod.__name__:
                    yield f"{mod.__name__}.{name}", obj

compiled_at_import = [k for k, d in dispatchers() if d.signatures]

rng = np.random.default_rng(0)
p, q = rng.random(50), rng.random(50)
X, Y = rng.random((30, 2)), rng.random((25, 2))
divergences.tv(p, q); divergences.kl(p, q); divergences.js(p, q)
divergences.js_distance(p, q); divergences.align(X, Y)
divergences.pairwise(X, Y, metric="kl"); divergences.pairwise(X, metric="js")
divergences.kl(rng.random((2, 1 << 21)), rng.random((2, 1 << 21)))  # parallel twins
transport.wasserstein_1d(p, q); transport.wasserstein_1d(p, q, p, q, p=2)
u, v = rng.random(5000), rng.random(3000)  # the general route, both sorts timed
transport.wasserstein_1d(u, v); transport.wasserstein_1d(u, v, u, v, p=2)
transport.wasserstein_1d([0.0], [1e-200], p=2)  # the scaled route
transport.wasserstein(X, Y)
M = transport.cost_matrix(X, Y)
res = transport.emd(None, None, M)
transport.emd2(None, None, M)
transport.certify(res, None, None, M)
transport.kr_dual(X, Y).critic(X)
transport.kr_dual(p, q)
transport.wasserstein_circle(p, q); transport.wasserstein_circle(p, q, p, q, p=2)
transport.wasserstein_tree(np.arange(50) - 1, p, p, p)
transport.wasserstein_grid(p.reshape(5, 10), q.reshape(5, 10), metric="chebyshev")
transport.pairwise(rng.random((4, 30)), rng.random((3, 30)), support=X)
transport.sliced_wasserstein(X, Y, n_projections=4, seed=0)
transport.sliced_wasserstein(X, Y, p[:30], q[:25], p=1, n_projections=4, seed=0)
transport.wasserstein_gaussian_fit(X, Y)

stats = {k: [sum(d.stats.cache_hits.values()), sum(d.stats.cache_misses.values()),
             len(d.signatures)] for k, d in dispatchers()}
uncached = [k for k, d in dispatchers() if type(d._cache).__name__ == "NullCache"]
print(json.dumps({"compiled_at_import": compiled_at_import, "stats": stats,
                  "uncached": uncached}))
"""


def _run(env):
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_no_compilation_at_import_and_no_recompilation_when_warm():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("NUMBA_DISABLE_JIT", None)
    first = _run(env)  # warms the cache (cheap when the suite already did)
    assert first["compiled_at_import"] == []
    second = _run(env)
    assert second["compiled_at_import"] == []
    assert second["uncached"] == []
    # every version in use was loaded from the cache, none compiled
    missed = {k: v for k, v in second["stats"].items() if v[1] or v[0] != v[2]}
    assert missed == {}, f"kernels compiled in a warm process (hits, misses, versions): {missed}"
    assert sum(v[0] for v in second["stats"].values()) > 10
