r"""
Shifted Gaussians: KL grows, JS saturates, W follows
====================================================

:math:`P = N(0, 1)` and :math:`Q = N(\mu, 1)`.  KL grows like
:math:`\mu^2 / 2`; JS saturates at log 2 as soon as the two bumps separate,
so its gradient vanishes; :math:`W_1 = \mu` keeps a gradient of 1 however far
apart they are.  KL and JS are computed by `divergences.kl` and
`divergences.js` on histograms of the densities over a fine grid, W by
`transport.wasserstein_1d` on the quantiles of both laws.  On the grid the
float64 densities underflow for large :math:`\mu`, where the histogram KL
becomes +inf: a limit of the histogram, drawn on a ceiling.
"""

import numpy as np

from benchmarks import example1
from benchmarks._example1_plots import figure_gaussian_shift

rows = example1.gaussian_shift(np.linspace(0.0, 35.0, 71), n_grid=2001, n_quantiles=1000)
fig = figure_gaussian_shift(rows)
