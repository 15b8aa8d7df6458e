"""The digits benchmark of `transport.pairwise` runs small and its checks bite.

Timings are never asserted; only that a tiny run completes, writes its
report, and that a peer's wrong value fails it.
"""

import numpy as np

from benchmarks import pairwise_digits as bench


def test_tiny_run_writes_report(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "time_peer", lambda *args: "PairwiseEMD skipped: test")
    code = bench.main(["--rate-n", "6", "--pot-n", "4", "--repeats", "1",
                       "--out", str(tmp_path)])
    assert code == 0
    report = (tmp_path / "pairwise_digits.md").read_text(encoding="utf-8")
    assert "ours (certified)" in report and "POT" in report


def test_peer_disagreement_fails(tmp_path, monkeypatch, capsys):
    def wrong_peer(H, grid, threads, repeats, peer_python):
        n = H.shape[0]
        return {(form, t): (1.0, np.ones((n, n))) for form in ("all64", "nonzero")
                for t in threads}

    monkeypatch.setattr(bench, "time_peer", wrong_peer)
    code = bench.main(["--rate-n", "5", "--pot-n", "3", "--repeats", "1",
                       "--out", str(tmp_path)])
    assert code == 1
    assert "max relative difference" in capsys.readouterr().err


def test_one_nn_accuracy_and_square():
    D = bench._square(np.array([1.0, 5.0, 2.0]), 3)  # d01 = 1, d02 = 5, d12 = 2
    np.testing.assert_array_equal(D, [[0, 1, 5], [1, 0, 2], [5, 2, 0]])
    assert bench.one_nn_accuracy(D, np.array([0, 0, 1])) == 2 / 3
    assert bench.max_rel(D, D * (1 + 1e-12)) < 2e-12
