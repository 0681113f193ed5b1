"""Pavement measurements as :class:`~roadbed.hazards.Hazard` records.

Potholes become polygons (their outline, with depths and area as
attributes); ruts become per-section values: a polyline along the wheel
path over the section a station stands for, with both rut depths. So they
enter the same database and fusion as the radar's findings and compare
directly with :func:`roadbed.synth.synthetic_pavement`'s ground truth.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import xarray as xr

from .. import conventions as cv
from ..hazards import Hazard
from .potholes import PotholeMeasurement
from .ruts import RutMeasurement, rut_severity
from .zones import LaneZones

__all__ = ["SOURCE", "pothole_hazards", "rut_hazards", "pavement_hazards"]

#: ``Hazard.source`` of records made here when the scan names no file
SOURCE = "roadbed.pavement"


def pothole_hazards(potholes: Sequence[PotholeMeasurement], *, source: str = SOURCE) -> list[Hazard]:
    """One polygon :class:`Hazard` per pothole.

    Vertices are the outline at depth 0 (the rim, as in the synthetic truth);
    attributes ``max_depth_mm``, ``mean_depth_mm``, ``area_m2``,
    ``volume_m3`` and ``severity`` (LTPP class).
    """
    out = []
    for p in potholes:
        outline = p.outline if len(p.outline) >= 3 else ((p.along_m, p.across_m),)
        attrs = {"max_depth_mm": p.max_depth_mm, "mean_depth_mm": p.mean_depth_mm, "area_m2": p.area_m2,
                 "volume_m3": p.volume_m3, "severity": p.severity}  # fmt: skip
        kind = "polygon" if len(outline) >= 3 else "point"
        out.append(Hazard("pothole", kind, [(a, c, 0.0) for a, c in outline], attrs, confidence=1.0, source=source))
    return out


def rut_hazards(
    ruts: Sequence[RutMeasurement],
    *,
    interval_m: float,
    zones: LaneZones | None = None,
    along_range_m: tuple[float, float] | None = None,
    source: str = SOURCE,
) -> list[Hazard]:
    """One polyline :class:`Hazard` per wheel path and section.

    Parameters
    ----------
    ruts : sequence of RutMeasurement
        From :func:`~roadbed.pavement.ruts.measure_ruts`.
    interval_m : float
        Station spacing the ruts were measured at: each station stands for
        the section ``along_m ± interval_m / 2``.
    zones : LaneZones, optional
        The lane; the polyline runs along the wheel path's centre.
    along_range_m : (float, float), optional
        Clip the sections to the scan's extent, m.
    source : str

    Returns
    -------
    list of Hazard
        Attributes ``depth_mm`` (straightedge; what the synthetic truth calls
        the rut depth), ``depth_straightedge_mm``, ``depth_wire_mm``,
        ``wheel_path``, ``section_start_m``, ``section_end_m``, ``severity``
        (ASTM D6433). Sections where neither depth could be measured are left out.
    """
    zones = zones or LaneZones()
    out = []
    for r in ruts:
        if r.depth_straightedge_mm is None and r.depth_wire_mm is None:
            continue
        start, end = r.along_m - interval_m / 2, r.along_m + interval_m / 2
        if along_range_m is not None:
            start, end = max(start, along_range_m[0]), min(end, along_range_m[1])
        low, high = zones.wheel_path(r.wheel_path)
        across = (low + high) / 2
        depth = r.depth_straightedge_mm if r.depth_straightedge_mm is not None else r.depth_wire_mm
        attrs = {"depth_mm": depth, "depth_straightedge_mm": r.depth_straightedge_mm,
                 "depth_wire_mm": r.depth_wire_mm, "wheel_path": r.wheel_path,
                 "section_start_m": start, "section_end_m": end, "severity": rut_severity(depth)}  # fmt: skip
        out.append(Hazard("rut", "polyline", [(start, across, 0.0), (end, across, 0.0)], attrs, source=source))
    return out


def pavement_hazards(scan: xr.Dataset, **kwargs) -> list[Hazard]:
    """Measure a scan and return its potholes and ruts as hazard records.

    Parameters
    ----------
    scan : xarray.Dataset
        A scan with ``elevation``.
    **kwargs
        Passed to :func:`roadbed.pavement.measure.measure_scan`.

    Returns
    -------
    list of Hazard
        Potholes first, then ruts.
    """
    from .measure import measure_scan

    result = measure_scan(scan, **kwargs)
    source = os.fspath(scan.attrs.get(cv.ATTR_SOURCE, SOURCE))
    along = scan[cv.ALONG].values
    return [
        *pothole_hazards(result.potholes, source=source),
        *rut_hazards(result.ruts, interval_m=result.rut_interval_m, zones=result.zones,
                     along_range_m=(float(along[0]), float(along[-1])), source=source),
    ]  # fmt: skip
