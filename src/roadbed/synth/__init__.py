"""Synthetic surveys with exact ground truth: GPR arrays, laser pavement scans, LAS point clouds.

::

    from roadbed import synth
    scene = synth.GprScene(pipes=(synth.Pipe(along_m=5.0, across_m=0.0, depth_m=0.8, radius_m=0.05),))
    da, truth = synth.synthetic_survey(scene, n_traces=500)
    scan, cracks = synth.synthetic_pavement(cracks=(synth.Crack(((0.2, -0.5), (1.8, -0.4)), width_mm=3, depth_mm=10),))
"""

from __future__ import annotations

from .gpr import (
    DEFAULT_LAYERS,
    MATERIAL_PERMITTIVITY,
    Cavity,
    GprScene,
    Layer,
    Pipe,
    Scatterer,
    average_velocity,
    ground_truth,
    interface_twt_ns,
    random_stones,
    rebar_grid,
    reflection_coefficient,
    simulate,
    synthetic_line,
    synthetic_survey,
    velocity,
)
from .las import write_las, write_pavement_las
from .pavement import (
    CRACK_TYPES,
    Crack,
    Pothole,
    Rut,
    crack_network,
    mean_profile_depth,
    random_crack,
    rasterise,
    synthetic_pavement,
)
from .wavelets import ricker, ricker_half_support_ns

__all__ = [
    "CRACK_TYPES",
    "DEFAULT_LAYERS",
    "MATERIAL_PERMITTIVITY",
    "Cavity",
    "Crack",
    "GprScene",
    "Layer",
    "Pipe",
    "Pothole",
    "Rut",
    "Scatterer",
    "average_velocity",
    "crack_network",
    "ground_truth",
    "interface_twt_ns",
    "mean_profile_depth",
    "random_crack",
    "random_stones",
    "rasterise",
    "rebar_grid",
    "reflection_coefficient",
    "ricker",
    "ricker_half_support_ns",
    "simulate",
    "synthetic_line",
    "synthetic_pavement",
    "synthetic_survey",
    "velocity",
    "write_las",
    "write_pavement_las",
]
