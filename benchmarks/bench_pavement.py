"""Pavement: rasterising a laser point cloud onto the road grid, numba kernel against its numpy twin."""

from __future__ import annotations

import numba
import numpy as np

from benchmarks._timing import best_of
from roadbed.pavement import _kernels, _reference


def _scanner_points(n_points: int, *, n_across: int = 4000, rng=0):
    """Points as a profiler records them: transverse profiles of ``n_across`` points, 1 mm across, 5 mm along."""
    g = np.random.default_rng(rng)
    n_profiles = n_points // n_across
    along = np.repeat(np.arange(n_profiles) * 0.005, n_across) + g.normal(0.0, 0.0005, n_profiles * n_across)
    across = np.tile((np.arange(n_across) - n_across / 2) * 0.001, n_profiles) + g.normal(0.0, 0.0002, along.size)
    z = g.normal(0.0, 1.0, along.size)
    intensity = g.uniform(0.0, 1.0, along.size)
    grid = (0.0, 0.005, n_profiles, -n_across / 2 * 0.001, 0.001, n_across)
    return along, across, z, intensity, grid


def run(quick: bool) -> list[dict]:
    rows = []
    n = 2_000_000 if quick else 20_000_000
    along, across, z, intensity, (a0, da, n_a, c0, dc, n_c) = _scanner_points(n)
    n = along.size
    for name, code in _kernels.STATISTICS.items():
        def fast(code=code):
            return _kernels.bin_points(along, across, z, intensity, a0, da, n_a, c0, dc, n_c, code)

        def slow(code=code):
            return _reference.bin_points(along, across, z, intensity, a0, da, n_a, c0, dc, n_c, code)

        t_fast = best_of(fast)
        t_slow = best_of(slow, repeat=1)
        rows.append({"benchmark": f"rasterise {n / 1e6:.0f} M points ({name})", "roadbed_s": t_fast,
                     "reference": "numpy twin", "reference_s": t_slow, "speed-up": t_slow / t_fast,
                     "throughput": f"{n / t_fast / 1e6:.1f} M points/s on {numba.get_num_threads()} threads"})  # fmt: skip
    return rows
