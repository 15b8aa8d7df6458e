r"""
A large cloud solved without the cost matrix
============================================

Two clouds of 2000 points, under W_2: a uniform square, and four tight
clusters to its right.  ``method="sparse"`` solves the exact LP by
column generation on the network simplex without ever forming the
2000 x 2000 cost matrix: it starts from a few candidate arcs per point,
prices the pairs next to the current solution, and scans all pairs with a
kd-tree only to add those that violate dual feasibility; the last scan
finding none is the certificate.  The result carries the sparse optimal
plan (at most n + m - 1 arcs), drawn below, and the dual potentials.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection

from transport import solve

rng = np.random.default_rng(0)
n = 2000
X = rng.random((n, 2))
centres = np.array([[1.6, 0.2], [1.6, 0.8], [2.2, 0.35], [2.2, 0.65]])
Y = centres[rng.integers(0, 4, n)] + 0.06 * rng.standard_normal((n, 2))

res = solve(X, Y, p=2, method="sparse")
print(f"W_2 = {res.cost ** 0.5:.6f}, status {res.status!r}, method {res.method!r}, "
      f"{res.plan.nnz} arcs in the plan, {res.n_iter} pivots")
print(f"certificate: {res.certificate}")

# The dense solver on the same clouds agrees.
dense = solve(X, Y, p=2, method="network_simplex")
print(f"relative difference to the dense solver: {abs(dense.cost - res.cost) / res.cost:.1e}")

# %%
# The plan: a segment from each source to each target it sends mass to,
# coloured by its length.  Under W_2 the square splits into four cells, one
# per cluster, separated by straight lines (a power diagram).
plan = res.plan
segments = np.stack([X[plan.row], Y[plan.col]], axis=1)
lengths = np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1)
fig, ax = plt.subplots(figsize=(10, 5), constrained_layout=True)
lines = LineCollection(segments, array=lengths, cmap="viridis", linewidths=0.3,
                       alpha=0.5)
ax.add_collection(lines)
ax.plot(*X.T, ".", ms=1.5, color="tab:blue", label="source points")
ax.plot(*Y.T, ".", ms=1.5, color="tab:red", label="target points")
fig.colorbar(lines, ax=ax, label="length of the move")
ax.set_aspect("equal")
ax.set_title(f'optimal W_2 plan, method="sparse" ({plan.nnz} arcs)')
ax.legend(loc="upper left", markerscale=6)
plt.show()
