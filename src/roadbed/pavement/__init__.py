"""Laser pavement scans: ingest, rasterise, detrend, and measure ruts, potholes and texture.

::

    from roadbed import pavement
    scan = pavement.read_scan("lane.las", resolution_mm=(5.0, 1.0))      # or a range image, a photo
    report = pavement.measure_pavement(scan)                              # ruts, potholes, mpd_mm
    hazards = pavement.pavement_hazards(scan)                             # Hazard records

A *scan* is an :class:`xarray.Dataset` with ``elevation`` (mm) and
``intensity`` (0–1) on ``("along", "across")``, coords in m (the layout of
:func:`roadbed.synth.synthetic_pavement`). A *point cloud* is an
:class:`xarray.Dataset` on dim ``"point"`` (:func:`read_points`).

The submodules are imported on first use, so that ``import roadbed`` stays
quick and :mod:`roadbed.synth` can use :mod:`.texture` without a cycle.
"""

from __future__ import annotations

import importlib

#: public name → submodule that defines it
_EXPORTS = {
    "CrackReport": "cracks",
    "crack_severity": "cracks",
    "crack_summary": "cracks",
    "detect_cracks": "cracks",
    "measure_cracks": "cracks",
    "LaneZones": "zones",
    "WHEEL_PATHS": "zones",
    "ZONE_NAMES": "zones",
    "read_scan": "ingest",
    "read_points": "ingest",
    "read_range_image": "ingest",
    "read_photo": "ingest",
    "points_to_road": "ingest",
    "pixel_size_mm": "ingest",
    "rasterise_points": "rasterise",
    "fill_holes": "rasterise",
    "remove_outliers": "rasterise",
    "fit_plane": "detrend",
    "detrend": "detrend",
    "RutMeasurement": "ruts",
    "measure_ruts": "ruts",
    "transverse_profile": "ruts",
    "straightedge_depth": "ruts",
    "wire_depth": "ruts",
    "rut_severity": "ruts",
    "PotholeMeasurement": "potholes",
    "find_potholes": "potholes",
    "depression_depth": "potholes",
    "pothole_severity": "potholes",
    "MPD_BASELINE_MM": "texture",
    "segment_depths": "texture",
    "mean_profile_depth": "texture",
    "texture_depths": "texture",
    "mpd_by_section": "texture",
    "pothole_hazards": "records",
    "rut_hazards": "records",
    "pavement_hazards": "records",
    "measure_pavement": "measure",
}

__all__ = sorted(_EXPORTS)

# a submodule, once imported, becomes an attribute of this package and would hide the function of the
# same name from __getattr__: import it now and bind the function over it
from . import detrend as _detrend_module  # noqa: E402

detrend = _detrend_module.detrend


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
