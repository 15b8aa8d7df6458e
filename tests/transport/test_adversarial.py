"""Inputs an adversarial pass found mishandled: each test is a class of
input (read-only arrays, extreme p, tiny distances inside an ordinary
cloud, empty queries), checked against the writable / closed-form answer."""

import itertools

import numpy as np
import pytest

import transport

U = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
V = np.array([[1.0, 1.0], [2.0, 0.0]])
A = np.array([0.2, 0.3, 0.5])
B = np.array([0.6, 0.4])
M = np.array([[1.0, 2.0], [0.5, 1.0], [2.0, 0.1]])


def _read_only(x):
    x = np.array(x, dtype=np.float64)
    x.setflags(write=False)
    return x


@pytest.mark.parametrize("flags", list(itertools.product([False, True], repeat=3)),
                         ids=lambda f: "ro-" + "".join("abM"[k] for k in range(3) if f[k]))
@pytest.mark.parametrize("f", [transport.emd2, lambda a, b, M: transport.emd(a, b, M).cost],
                         ids=["emd2", "emd"])
def test_emd_accepts_any_mix_of_read_only_inputs(f, flags):
    args = [_read_only(x) if ro else x for x, ro in zip((A, B, M), flags)]
    assert f(*args) == transport.emd2(A, B, M)
