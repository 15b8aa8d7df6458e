"""The WGAN critic of the paper's Algorithm 1, in NumPy: a small ReLU MLP
with manual backpropagation, RMSProp and weight clipping.

No deep-learning framework: the forward pass, the gradient of the critic's
objective with respect to the weights (for training) and with respect to
the input (for the generator and the audit's gradient cosine) are written
out here, and `tests/test_critic_demo.py` checks both against finite
differences.
"""

import numpy as np

__all__ = ["MLP", "RMSProp"]


class MLP:
    r"""f(x) = w_L . relu(W_{L-1} ... relu(W_1 x + b_1) ... + b_{L-1}) + b_L.

    Parameters
    ----------
    d : int
        Input dimension.
    widths : sequence of int
        Hidden layer widths.
    rng : numpy.random.Generator
        Initialisation: PyTorch's default for linear layers (uniform in
        ±1/sqrt(fan_in)), which the paper's reference code used before
        clipping.
    """

    def __init__(self, d, widths, rng):
        sizes = [d, *widths, 1]
        self.params = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / np.sqrt(fan_in)
            self.params.append(rng.uniform(-bound, bound, size=(fan_in, fan_out)))
            self.params.append(rng.uniform(-bound, bound, size=fan_out))

    def _layers(self):
        return [(self.params[k], self.params[k + 1]) for k in range(0, len(self.params), 2)]

    def forward(self, Z):
        """Values (n,) and the cache of pre-activations for `backward`."""
        h = np.asarray(Z, dtype=np.float64)
        cache = []
        layers = self._layers()
        for W, b in layers[:-1]:
            pre = h @ W + b
            cache.append((h, pre))
            h = np.maximum(pre, 0.0)
        W, b = layers[-1]
        cache.append((h, None))
        return (h @ W + b)[:, 0], cache

    def __call__(self, Z):
        return self.forward(Z)[0]

    def _backward(self, cache, dout):
        """Gradients of sum_i dout_i f(z_i): (weight grads, input grad)."""
        layers = self._layers()
        grads = [None] * len(self.params)
        g = dout[:, None]  # d/d(output pre-activation)
        for k in range(len(layers) - 1, -1, -1):
            W, _ = layers[k]
            h, _ = cache[k]
            grads[2 * k] = h.T @ g
            grads[2 * k + 1] = g.sum(axis=0)
            g = g @ W.T
            if k > 0:
                g = g * (cache[k - 1][1] > 0.0)
        return grads, g

    def objective_grads(self, X, Y):
        """E_X f - E_Y f on two minibatches, and its gradient in the weights."""
        fx, cx = self.forward(X)
        fy, cy = self.forward(Y)
        gx, _ = self._backward(cx, np.full(len(X), 1.0 / len(X)))
        gy, _ = self._backward(cy, np.full(len(Y), 1.0 / len(Y)))
        return float(fx.mean() - fy.mean()), [a - b for a, b in zip(gx, gy)]

    def input_grad(self, Z):
        """grad_x f at each row of Z, (n, d) (ReLU kinks: the right-hand
        derivative, 0 at a pre-activation of exactly 0)."""
        _, cache = self.forward(Z)
        return self._backward(cache, np.ones(len(Z)))[1]

    def clip(self, c):
        """Weight clipping: every parameter into [-c, c] (in place)."""
        for p in self.params:
            np.clip(p, -c, c, out=p)


class RMSProp:
    """RMSProp as PyTorch's `optim.RMSprop` defaults (alpha 0.99, eps 1e-8,
    no momentum), the optimiser of the paper's reference code; `ascend`
    moves the parameters up the gradient (the critic maximises)."""

    def __init__(self, params, lr, alpha=0.99, eps=1e-8):
        self.params = params
        self.lr = lr
        self.alpha = alpha
        self.eps = eps
        self.square = [np.zeros_like(p) for p in params]

    def step(self, grads, sign):
        for p, g, s in zip(self.params, grads, self.square):
            s *= self.alpha
            s += (1.0 - self.alpha) * g * g
            p += sign * self.lr * g / (np.sqrt(s) + self.eps)

    def ascend(self, grads):
        self.step(grads, 1.0)

    def descend(self, grads):
        self.step(grads, -1.0)
