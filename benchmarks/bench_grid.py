"""Gridding: survey traces into a regular volume, numba kernels against their numpy twins."""

from __future__ import annotations

import numpy as np

from benchmarks._timing import best_of
from roadbed.gpr.grid import grid_array


def _array_survey(n_channels: int, n_traces: int, n_samples: int = 512, seed: int = 0):
    """Traces of an antenna array (7.5 cm channels, 2 cm traces) with a little positioning jitter."""
    rng = np.random.default_rng(seed)
    along = np.tile(np.arange(n_traces) * 0.02, n_channels) + rng.normal(0, 0.002, n_channels * n_traces)
    across = np.repeat(np.arange(n_channels) * 0.075, n_traces)
    data = rng.standard_normal((n_channels * n_traces, n_samples)).astype(np.float32)
    axes = (np.arange(n_traces) * 0.02, np.arange(n_channels) * 0.075)
    return data, along, across, axes


def _row(name: str, method: str, data, along, across, axes, *, max_gap_m=None) -> dict:
    def run(engine):
        return grid_array(data, along, across, *axes, method=method, max_gap_m=max_gap_m, engine=engine)

    n = data.shape[0]
    t_numba = best_of(lambda: run("numba"))
    t_numpy = best_of(lambda: run("numpy"), repeat=1)
    return {"benchmark": name, "roadbed_s": t_numba, "reference": "numpy twin", "reference_s": t_numpy,
            "speed-up": t_numpy / t_numba, "throughput": f"{n / t_numba:,.0f} traces/s"}


def run(quick: bool) -> list[dict]:
    n_traces = 500 if quick else 5000
    data, along, across, axes = _array_survey(20, n_traces)
    rows = [_row(f"grid bin 20×{n_traces}×512", "bin", data, along, across, axes)]
    # the idw and linear twins compare every cell with every trace or triangle: a short stretch
    n_short = 100 if quick else 400
    short = _array_survey(20, n_short)
    rows.append(_row(f"grid idw 20×{n_short}×512", "idw", *short, max_gap_m=0.1))
    rows.append(_row(f"grid linear 20×{n_short}×512", "linear", *short, max_gap_m=0.1))
    return rows
