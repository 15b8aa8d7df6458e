"""Seeded data families for the large-scale transport benchmark.

Each family maps a size n to ``(X, Y, a, b)``: two point clouds and their
weights (None = uniform).  The families are the kinds of data that stress
the matrix-free solver differently: mass that moves a short way (uniform
vs uniform), mass that moves far along parallel rays (shifted), mass that
spreads out of a few points (clusters), 3-D overlap, and weighted images on
a pixel grid (many equal costs, i.e. a degenerate LP).
"""

import numpy as np

__all__ = ["FAMILIES", "family_data", "image_pair"]


def _uniform(n):
    rng = np.random.default_rng(11)
    return rng.random((n, 2)), rng.random((n, 2)), None, None


def _shifted(n):
    rng = np.random.default_rng(12)
    X = rng.random((n, 2))
    Y = rng.random((n, 2))
    Y[:, 0] += 0.5
    return X, Y, None, None


def _clusters(n):
    rng = np.random.default_rng(13)
    centres = np.array([[-2.0, -2.0], [-2.0, 2.0], [2.0, -2.0], [2.0, 2.0]])
    X = centres[rng.integers(0, 4, n)] + 0.05 * rng.standard_normal((n, 2))
    Y = rng.standard_normal((n, 2))
    return X, Y, None, None


def _gauss3d(n):
    rng = np.random.default_rng(14)
    return rng.standard_normal((n, 3)), rng.standard_normal((n, 3)) + 1.0, None, None


def image_pair(side):
    """Two grey-scaled sample photographs (scikit-learn's `load_sample_images`),
    average-pooled to side x side pixels, as weighted clouds on the pixel grid
    (weights: grey levels, normalised by the solvers)."""
    from sklearn.datasets import load_sample_images

    out = []
    for img in load_sample_images().images[:2]:
        grey = img.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
        h, w = grey.shape
        ph, pw = h // side, w // side
        grey = grey[: ph * side, : pw * side].reshape(side, ph, side, pw).mean(axis=(1, 3))
        out.append(grey.ravel() + 1e-3 * grey.max())  # every pixel keeps some mass
    ii, jj = np.meshgrid(np.arange(side, dtype=np.float64), np.arange(side, dtype=np.float64),
                         indexing="ij")
    grid = np.column_stack([ii.ravel(), jj.ravel()]) / side
    return grid, grid.copy(), out[0], out[1]


def _images(n):
    side = int(round(np.sqrt(n)))
    return image_pair(side)


#: name -> (description, maker(n) -> (X, Y, a, b)).
FAMILIES = {
    "uniform": ("uniform square vs uniform square (2-D)", _uniform),
    "shifted": ("uniform square vs the same shifted by half its width (2-D)", _shifted),
    "clusters": ("4 tight clusters (sd 0.05) vs a standard Gaussian (2-D)", _clusters),
    "gauss3d": ("3-D standard Gaussians, means 1 apart per axis", _gauss3d),
    "images": ("two sample photographs, grey, pooled to sqrt(n) x sqrt(n) pixels", _images),
}


def family_data(name, n):
    """(X, Y, a, b) of family `name` at size n (images: n = side**2)."""
    return FAMILIES[name][1](n)
