"""GPR processing: DataArray in, new DataArray out, numba kernels with numpy twins.

Every step takes a radargram (dims ``(trace, twt)`` or ``(channel, trace, twt)``),
returns a new one with coordinates and attributes kept and a ``history`` line
appended, and offers ``engine="numba"`` (default) or ``engine="numpy"`` (the
readable reference the tests compare against). Steps chain into recipes
(:mod:`roadbed.gpr.recipe`) written as TOML.
"""

from __future__ import annotations

from .depth import static_correction, time_to_depth
from .filters import dewow, remove_background, remove_dc
from .gain import agc, apply_gain, exp_gain, remove_gain, sec_gain, tpow_gain
from .grid import depth_slice, grid_survey
from .kirchhoff import kirchhoff_migrate, kirchhoff_model
from .phaseshift import phase_shift_migrate
from .recipe import apply_recipe, default_recipe, load_recipe, reproduce
from .spectral import bandpass, envelope, fk_filter, instantaneous_phase
from .stolt import stolt_migrate
from .timezero import align_time_zero, pick_first_break, shift_time_zero
from .velocity import (
    VelocityEstimate,
    cmp_velocity,
    diffraction_twt,
    estimate_velocity,
    fit_hyperbola,
    warr_semblance,
)

__all__ = [
    "VelocityEstimate",
    "agc",
    "align_time_zero",
    "apply_gain",
    "apply_recipe",
    "bandpass",
    "cmp_velocity",
    "default_recipe",
    "depth_slice",
    "dewow",
    "diffraction_twt",
    "envelope",
    "estimate_velocity",
    "exp_gain",
    "fit_hyperbola",
    "fk_filter",
    "grid_survey",
    "instantaneous_phase",
    "kirchhoff_migrate",
    "kirchhoff_model",
    "load_recipe",
    "phase_shift_migrate",
    "pick_first_break",
    "remove_background",
    "remove_dc",
    "remove_gain",
    "reproduce",
    "sec_gain",
    "shift_time_zero",
    "static_correction",
    "stolt_migrate",
    "time_to_depth",
    "tpow_gain",
    "warr_semblance",
]
