"""Synthetic surveys: the numba generator against its numpy reference twin."""

from __future__ import annotations

from roadbed import synth
from benchmarks._timing import best_of


def run(quick: bool) -> list[dict]:
    scene = synth.GprScene(
        pipes=(synth.Pipe(along_m=5.0, across_m=0.0, depth_m=0.6, radius_m=0.05, angle_deg=20.0),),
        cavities=(synth.Cavity(along_m=12.0, across_m=0.1, depth_m=0.5, length_m=1.0, width_m=0.6, height_m=0.2),),
    )
    n_traces = 200 if quick else 2000
    shape = dict(n_channels=20, n_traces=n_traces, n_samples=512)
    t_numba = best_of(lambda: synth.synthetic_survey(scene, **shape))
    small = dict(shape, n_traces=max(20, n_traces // 20))
    t_numpy = best_of(lambda: synth.synthetic_survey(scene, engine="numpy", **small), repeat=1)
    t_numpy *= n_traces / small["n_traces"]  # the reference scales linearly with traces
    traces = shape["n_channels"] * n_traces
    return [{"benchmark": f"synthetic survey 20×{n_traces}×512", "roadbed_s": t_numba,
             "reference": "numpy twin", "reference_s": t_numpy, "speed-up": t_numpy / t_numba,
             "throughput": f"{traces / t_numba:,.0f} traces/s"}]
