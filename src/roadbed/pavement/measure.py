"""All pavement measurements of one scan: ruts, potholes and macrotexture.

:func:`measure_scan` returns them as objects; :func:`measure_pavement` as
the JSON object ``roadbed pavement --json`` prints (without ``cracks``,
which the crack module adds).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from scipy import ndimage

from .. import conventions as cv
from .ingest import pixel_size_mm
from .potholes import PotholeMeasurement, depression_depth, find_potholes
from .ruts import RutMeasurement, measure_ruts
from .texture import mpd_by_section
from .zones import LaneZones

__all__ = ["PavementMeasurements", "measure_scan", "measure_pavement", "PAVEMENT_KEYS"]

logger = logging.getLogger(__name__)

#: the keys of the object ``roadbed pavement --json`` prints (``cracks`` is added by the crack module)
PAVEMENT_KEYS = ("input", "ruts", "potholes", "mpd_mm")
#: cells this far below the surrounding surface are not texture (cracks, potholes), mm
NOT_TEXTURE_MM = 3.0


@dataclass(frozen=True)
class PavementMeasurements:
    """What :func:`measure_scan` found.

    Attributes
    ----------
    ruts : list of RutMeasurement
    potholes : list of PotholeMeasurement
    mpd_mm : float or None
        Mean profile depth of the whole scan, mm (None without elevation or
        where no 100 mm segment is complete).
    mpd_sections : xarray.DataArray or None
        MPD per section (:func:`~roadbed.pavement.texture.mpd_by_section`).
    zones : LaneZones
    rut_interval_m : float
    """

    ruts: list[RutMeasurement] = field(default_factory=list)
    potholes: list[PotholeMeasurement] = field(default_factory=list)
    mpd_mm: float | None = None
    mpd_sections: xr.DataArray | None = None
    zones: LaneZones = field(default_factory=LaneZones)
    rut_interval_m: float = 1.0


def _to_scan_grid(mask: np.ndarray, work: xr.DataArray, scan: xr.Dataset) -> np.ndarray:
    """A mask on the working grid, sampled at every scan cell (nearest working cell)."""
    def nearest(dim):
        return np.rint(np.interp(scan[dim].values, work[dim].values, np.arange(work.sizes[dim]))).astype(int)

    return mask[np.ix_(nearest(cv.ALONG), nearest(cv.ACROSS))]


def measure_scan(
    scan: xr.Dataset,
    *,
    zones: LaneZones | None = None,
    rut_interval_m: float = 1.0,
    mpd_section_m: float = 10.0,
    engine: str = "numba",
) -> PavementMeasurements:
    """Measure ruts, potholes and macrotexture of a scan.

    Potholes are found first; their cells are left out of the rut profiles
    and, with every other cell well below the surrounding surface (cracks),
    out of the texture segments.

    Parameters
    ----------
    scan : xarray.Dataset
        ``elevation`` (mm) and ``intensity`` on ``("along", "across")`` (m). A
        scan without elevation (a photograph) has nothing to measure here.
    zones : LaneZones, optional
        The lane (default: 3.66 m centred on across = 0).
    rut_interval_m : float
        Rut station spacing, m.
    mpd_section_m : float
        Section length of the MPD per section, m.
    engine : {"numba", "numpy"}
        Rut kernels or their numpy twins.

    Returns
    -------
    PavementMeasurements
    """
    zones = zones or LaneZones()
    if cv.ELEVATION not in scan or pixel_size_mm(scan) is None:
        logger.info("no elevation or no pixel size: no ruts, potholes or texture")
        return PavementMeasurements(zones=zones, rut_interval_m=rut_interval_m)
    depth = depression_depth(scan)
    potholes, labels = find_potholes(scan, depth=depth)
    # with a margin of two working cells: just outside the outline the bowl is still a little deep
    in_pothole = _to_scan_grid(ndimage.binary_dilation(labels.values > 0, iterations=2), depth, scan)
    # a pothole under a transverse profile is measured as a pothole, not as a rut
    without_potholes = scan[[cv.ELEVATION]].where(~xr.DataArray(in_pothole, dims=(cv.ALONG, cv.ACROSS)))
    ruts = measure_ruts(without_potholes, zones=zones, interval_m=rut_interval_m, engine=engine)
    exclude = in_pothole | _to_scan_grid(np.nan_to_num(depth.values, nan=0.0) > NOT_TEXTURE_MM, depth, scan)
    mpd_mm, sections = None, None
    try:
        sections = mpd_by_section(scan, section_m=mpd_section_m, exclude=exclude)
        total = float(sections["n_segments"].sum())
        if total > 0:
            mpd_mm = float(np.nansum(sections.values * sections["n_segments"].values) / total)
    except ValueError as exc:  # too short, too coarse along, or not uniformly spaced
        logger.warning("no mean profile depth: %s", exc)
    return PavementMeasurements(ruts=ruts, potholes=potholes, mpd_mm=mpd_mm, mpd_sections=sections, zones=zones,
                                rut_interval_m=rut_interval_m)  # fmt: skip


def _json_number(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def measure_pavement(scan: xr.Dataset, *, input: str | None = None, **kwargs) -> dict:
    """The ``roadbed pavement --json`` object of a scan, without ``cracks``.

    Parameters
    ----------
    scan : xarray.Dataset
        A scan (:func:`roadbed.pavement.read_scan`, :func:`roadbed.synth.synthetic_pavement`).
    input : str, optional
        The ``input`` value; default the scan's ``source_file`` attribute.
    **kwargs
        Passed to :func:`measure_scan`.

    Returns
    -------
    dict
        ``input``; ``ruts``: list of {``along_m``, ``wheel_path``,
        ``depth_straightedge_mm``, ``depth_wire_mm``}; ``potholes``: list of
        {``along_m``, ``across_m``, ``area_m2``, ``max_depth_mm``,
        ``mean_depth_mm``, ``severity``}; ``mpd_mm``. Unknown numbers are None.
    """
    result = measure_scan(scan, **kwargs)
    ruts = [{k: (_json_number(v) if k != "wheel_path" else v) for k, v in r.to_dict().items()} for r in result.ruts]
    potholes = [{k: (_json_number(v) if k != "severity" else v) for k, v in p.to_dict().items()}
                for p in result.potholes]  # fmt: skip
    return {
        "input": input if input is not None else scan.attrs.get(cv.ATTR_SOURCE),
        "ruts": ruts,
        "potholes": potholes,
        "mpd_mm": _json_number(result.mpd_mm),
    }
