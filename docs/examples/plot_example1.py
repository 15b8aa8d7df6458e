r"""
Example 1 of the Wasserstein GAN paper: parallel lines
======================================================

:math:`Z \sim U[0, 1]`, :math:`P_0` is the law of :math:`(0, Z)` and
:math:`P_\theta` the law of :math:`(\theta, Z)`.  For every
:math:`\theta \ne 0` the two supports are disjoint, so the divergences see
nothing but that: JS = log 2, KL = +inf and TV = 1, whatever the distance
between the lines.  Only the Earth-Mover distance, :math:`W = |\theta|`,
follows :math:`\theta` and gives a gradient a generator can follow.

Each segment is discretised by ``k`` atoms; W is computed twice, by the
exact LP (`transport.wasserstein`) and independently by the
Kantorovich-Rubinstein dual (`transport.kr_dual`), whose critic also gives
:math:`dW/d\theta`.  The green curves use independent samples, which never
share an atom: on samples the divergences are stuck at their extremes even
at :math:`\theta = 0`, while the exact W stays close to :math:`|\theta|`.
The full-size figure is ``make example1``'s (201 values of :math:`\theta`,
40 atoms per segment, 500 samples).
"""

# %%
# The sweep: 41 values of θ in [-1, 1], 20 atoms per segment, 100 samples
# per side drawn twice.
from benchmarks import example1
from benchmarks._example1_plots import figure_example1

k, n, repeats = 20, 100, 2
rows = example1.sweep(example1.theta_grid(41), k, n, seed=0, repeats=repeats)
critic = example1.critic_map(0.5, k, n_grid=121)

worst = example1.max_deviation(rows)
print("largest deviation from the closed forms:",
      {key: f"{value:.1e}" for key, value in worst.items()})

# %%
# The six panels: W, JS, KL, TV, the gradients, and the exact critic at
# θ = 0.5.
fig = figure_example1(rows, critic, k, n, repeats)
