"""The WGAN critic demonstration (`benchmarks.critic`): its NumPy MLP's
gradients against finite differences, the training rules, and the CLI end
to end at a tiny size."""

import csv
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from benchmarks import critic
from benchmarks._mlp import MLP, RMSProp


def test_mlp_gradients_against_finite_differences():
    rng = np.random.default_rng(0)
    net = MLP(3, (7, 5), rng)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(4, 3))
    value, grads = net.objective_grads(X, Y)
    assert_allclose(value, net(X).mean() - net(Y).mean(), rtol=1e-15)
    h = 1e-6
    for p, g in zip(net.params, grads):
        for idx in [(0,) * p.ndim, tuple(s - 1 for s in p.shape)]:
            old = p[idx]
            p[idx] = old + h
            up = net(X).mean() - net(Y).mean()
            p[idx] = old - h
            down = net(X).mean() - net(Y).mean()
            p[idx] = old
            # central difference of a piecewise-linear function away from its
            # kinks: exact up to rounding / h ~ 1e-10
            assert_allclose(g[idx], (up - down) / (2 * h), rtol=1e-6, atol=1e-9)
    G = net.input_grad(X)
    for t in range(3):
        e = np.zeros(3)
        e[t] = h
        assert_allclose(G[:, t], (net(X + e) - net(X - e)) / (2 * h), rtol=1e-6, atol=1e-9)


def test_clipping_and_rmsprop_ascent():
    rng = np.random.default_rng(1)
    net = MLP(2, (8, 8), rng)
    net.clip(0.01)
    opt = RMSProp(net.params, 5e-5)
    p, q = critic.gaussians()
    before, _ = net.objective_grads(p(256, rng), q(256, rng))
    for _ in range(200):
        _, grads = net.objective_grads(p(64, rng), q(64, rng))
        opt.ascend(grads)
        net.clip(0.01)
    assert max(np.abs(w).max() for w in net.params) <= 0.01
    after, _ = net.objective_grads(p(256, rng), q(256, rng))
    assert after > before


def test_js_of_separated_histograms_is_log2_and_flat():
    rng = np.random.default_rng(2)
    path, js = critic.theta_js(5, 0.01, 50, rng)
    assert_allclose(js, math.log(2), rtol=1e-15)
    assert np.all(path == 1.0)  # zero gradient: theta never moves


def test_exact_critic_moves_theta_towards_zero():
    rng = np.random.default_rng(3)
    path = critic.theta_exact(5, 0.01, 20, rng)
    # dW/dtheta = 1 while theta > 0 (RMSProp: the first step is 10 lr)
    assert np.all(np.diff(path) < 0) and path[-1] > 0


def test_cli_end_to_end(tmp_path, capsys):
    code = critic.main(["--steps", "30", "--audit-every", "15", "--n-audit", "20",
                        "--width", "8", "--theta-steps", "3", "--theta-n", "10",
                        "--warmup", "5", "--out", str(tmp_path)])
    assert code == 0
    for name in ("critic.csv", "critic.png", "critic_theta.png"):
        assert (tmp_path / name).stat().st_size > 0
    with open(tmp_path / "critic.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    # 4 runs (2 datasets x 2 clipping values), audits at 0, 10, 15, 25, 30
    assert len(table) == 4 * 5
    for r in table:
        assert float(r["lower_bound"]) <= float(r["w1"])
    out = capsys.readouterr().out
    assert "critic audit" in out and "theta after 3 steps" in out


@pytest.mark.parametrize("argv, message", [(["--clip", "-1"], "positive"),
                                           (["--steps", "0"], ">= 1")])
def test_cli_rejects_bad_options(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        critic.main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
