"""Rut depth from transverse profiles: the 1.8 m straightedge and the taut wire.

Every ``interval_m`` along the scan, a transverse profile is taken (a
trimmed mean of the profiles of the section, which ignores transverse
cracks, then a short running median across, which removes longitudinal
cracks, and a running mean, which averages the texture) and restricted to
the lane (:mod:`.zones`). For each wheel path — the left and right half of
the lane — two rut depths are reported, as in AASHTO R48 / R87:

* **straightedge**: a 1.8 m straightedge is laid on the profile at every
  position that fits; lying under its own weight it rests on the upper hull
  of the profile beneath it, on the hull edge under its midpoint. The rut
  depth is the largest gap between straightedge and profile within the
  wheel path's half of the lane;
* **wire**: a taut wire is stretched over the whole lane profile (its upper
  convex hull); the rut depth is the largest gap under the wire within the
  half lane.

Both are unchanged by the cross slope (a shear maps hulls to hulls and keeps
vertical gaps), so the profile needs no detrending.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy import ndimage

from .. import conventions as cv
from ..model import coord_attrs
from . import _kernels, _reference
from .zones import WHEEL_PATHS, LaneZones

__all__ = [
    "STRAIGHTEDGE_M",
    "RUT_SEVERITY_MM",
    "RutMeasurement",
    "transverse_profile",
    "straightedge_depth",
    "wire_depth",
    "measure_ruts",
    "rut_severity",
]

logger = logging.getLogger(__name__)

ENGINES = ("numba", "numpy")
#: length of the straightedge, m
STRAIGHTEDGE_M = 1.8
#: ASTM D6433 rutting severity: (lower limit mm, class) from the deepest class down
RUT_SEVERITY_MM = ((25.0, "high"), (13.0, "medium"), (6.0, "low"))
#: share of the lowest and of the highest profiles left out of a station's mean
TRIM_PROPORTION = 0.25
#: fewest non-empty cells of a profile column, as a fraction of the profiles combined
MIN_ROWS_FRACTION = 0.25
#: fewest finite points of a usable profile, as a fraction of the lane profile
MIN_VALID_FRACTION = 0.5


def rut_severity(depth_mm: float | None) -> str | None:
    """ASTM D6433 rutting severity of a depth: "low" 6–13, "medium" 13–25, "high" > 25 mm; None below 6."""
    if depth_mm is None or not math.isfinite(depth_mm):
        return None
    for limit, name in RUT_SEVERITY_MM:
        if depth_mm > limit or (name == "low" and depth_mm >= limit):
            return name
    return None


@dataclass(frozen=True)
class RutMeasurement:
    """Rut depth of one wheel path at one station.

    Attributes
    ----------
    along_m : float
        Station, m.
    wheel_path : str
        ``"left"`` or ``"right"``.
    depth_straightedge_mm, depth_wire_mm : float or None
        Rut depths, mm; None where the profile is too short or too sparse.
    across_straightedge_m, across_wire_m : float or None
        Where each depth was found, m.
    """

    along_m: float
    wheel_path: str
    depth_straightedge_mm: float | None
    depth_wire_mm: float | None
    across_straightedge_m: float | None = None
    across_wire_m: float | None = None

    @property
    def severity(self) -> str | None:
        """ASTM D6433 severity of the straightedge depth (:func:`rut_severity`)."""
        return rut_severity(self.depth_straightedge_mm)

    def to_dict(self) -> dict:
        """The keys ``roadbed pavement --json`` prints."""
        return {
            "along_m": self.along_m,
            "wheel_path": self.wheel_path,
            "depth_straightedge_mm": self.depth_straightedge_mm,
            "depth_wire_mm": self.depth_wire_mm,
        }


def _impl(engine: str):
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    return _kernels if engine == "numba" else _reference


def _trimmed_mean(z: np.ndarray, proportion: float) -> np.ndarray:
    """Mean of each column's finite values without the ``proportion`` lowest and highest; NaN if none."""
    ordered = np.sort(z, axis=0)  # NaN last
    n_finite = np.isfinite(z).sum(axis=0)
    cut = np.floor(proportion * n_finite).astype(np.int64)
    rank = np.arange(z.shape[0])[:, None]
    keep = (rank >= cut) & (rank < n_finite - cut)
    count = keep.sum(axis=0)
    total = np.where(keep, ordered, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def transverse_profile(
    scan: xr.Dataset,
    along_m: float,
    *,
    window_m: float = 0.3,
    median_mm: float = 45.0,
    smooth_mm: float = 50.0,
    max_rows: int = 200,
) -> xr.DataArray:
    """The transverse profile of a scan at one station, with cracks and texture filtered out.

    Parameters
    ----------
    scan : xarray.Dataset
        ``elevation`` (mm) on ``("along", "across")``.
    along_m : float
        Station, m.
    window_m : float
        The profiles within ``±window_m / 2`` of the station (at least the
        nearest one), each shifted to the same median level (the grade), are
        combined by a 25 %-trimmed mean per column, which ignores transverse
        cracks and averages the texture. A column with
        fewer than a quarter of its cells non-empty is interpolated from its
        neighbours.
    max_rows : int
        At most this many profiles are combined (evenly spread over the window).
    median_mm : float
        Width of a running median across, mm (0: none): removes longitudinal
        cracks narrower than about half of it.
    smooth_mm : float
        Width of a running mean across after it, mm (0: none): averages the
        texture left, so the straightedge and wire rest on the surface, not on
        its stones.

    Returns
    -------
    xarray.DataArray, dims ("across",)
        Elevation, mm (NaN where every combined profile is empty).
    """
    if not (window_m >= 0 and math.isfinite(window_m)):
        raise ValueError(f"window_m must be ≥ 0, got {window_m!r}")
    along = scan[cv.ALONG].values
    rows = np.flatnonzero(np.abs(along - along_m) <= window_m / 2 + 1e-12)
    if rows.size == 0:
        rows = np.array([int(np.argmin(np.abs(along - along_m)))])
    rows = rows[:: max(1, int(math.ceil(rows.size / max_rows)))]
    z = scan[cv.ELEVATION].transpose(cv.ALONG, cv.ACROSS).values[rows].astype(np.float64)
    # level the profiles first: with the grade they differ by a constant each, which would bias the
    # mean wherever some cells are empty (masked potholes) — a constant per profile keeps its shape
    # (each profile's median offset from the columns' medians, so that empty cells do not move it)
    finite_rows = np.isfinite(z).any(axis=1)
    finite_cols = np.isfinite(z).any(axis=0)
    if finite_rows.sum() > 1:
        columns = np.nanmedian(z[:, finite_cols][finite_rows], axis=0)
        levels = np.zeros(z.shape[0])
        levels[finite_rows] = np.nanmedian(z[:, finite_cols][finite_rows] - columns, axis=1)
        z = z - levels[:, None]
    profile = _trimmed_mean(z, TRIM_PROPORTION)
    # a column with only a few cells left (the rest empty or masked out) is filled from its neighbours
    profile[np.isfinite(z).sum(axis=0) < MIN_ROWS_FRACTION * rows.size] = np.nan
    across = scan[cv.ACROSS].values.astype(np.float64)
    finite = np.isfinite(profile)
    if across.size > 1 and finite.any():
        step_mm = float(np.median(np.diff(across))) * 1e3
        filled = np.interp(across, across[finite], profile[finite])
        size = int(round(median_mm / step_mm)) | 1
        if median_mm > 0 and size > 1:
            filled = ndimage.median_filter(filled, size=size, mode="nearest")
        size = int(round(smooth_mm / step_mm)) | 1
        if smooth_mm > 0 and size > 1:
            filled = ndimage.uniform_filter1d(filled, size=size, mode="nearest")
        profile = np.where(finite, filled, np.nan)
    return xr.DataArray(
        profile, dims=(cv.ACROSS,), coords={cv.ACROSS: (cv.ACROSS, across, coord_attrs(cv.ACROSS))},
        name=cv.ELEVATION, attrs={cv.ATTR_UNITS: cv.UNIT_MM, "along_m": float(along_m), "window_m": float(window_m)},
    )  # fmt: skip


def _uniform(profile: xr.DataArray, bounds: tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Positions and heights of the profile within ``bounds``, gaps filled; None if too sparse."""
    across = profile[cv.ACROSS].values.astype(np.float64)
    z = profile.values.astype(np.float64)
    keep = np.ones(across.size, dtype=bool)
    if bounds is not None:
        keep = (across >= bounds[0] - 1e-9) & (across <= bounds[1] + 1e-9)
    x, z = across[keep], z[keep]
    finite = np.isfinite(z)
    if x.size < 3 or finite.sum() < max(3, MIN_VALID_FRACTION * x.size):
        return None
    if not finite.all():
        z = np.interp(x, x[finite], z[finite])
    return x, z


def _best(gaps: np.ndarray, x: np.ndarray, region: tuple[float, float]) -> tuple[float | None, float | None]:
    inside = (x >= region[0] - 1e-9) & (x <= region[1] + 1e-9) & np.isfinite(gaps)
    if not inside.any():
        return None, None
    idx = np.flatnonzero(inside)
    k = idx[int(np.argmax(gaps[idx]))]
    return max(0.0, float(gaps[k])), float(x[k])


def straightedge_gaps(
    profile: xr.DataArray, *, length_m: float = STRAIGHTEDGE_M, step_mm: float | None = None,
    bounds: tuple[float, float] | None = None, engine: str = "numba",
) -> xr.DataArray:  # fmt: skip
    """Largest gap under a straightedge resting on the profile, at every point.

    Parameters
    ----------
    profile : xarray.DataArray, dims ("across",)
        Transverse profile, mm, uniformly spaced (:func:`transverse_profile`).
    length_m : float
        Straightedge length, m.
    step_mm : float, optional
        Spacing of the straightedge positions, mm (default: every point).
    bounds : (float, float), optional
        Only the profile within these across limits (the lane), m.
    engine : {"numba", "numpy"}

    Returns
    -------
    xarray.DataArray, dims ("across",)
        Gap, mm; NaN where no straightedge position covers a point (or the profile is too sparse).
    """
    impl = _impl(engine)
    if not (length_m > 0 and math.isfinite(length_m)):
        raise ValueError(f"length_m must be positive, got {length_m!r}")
    prof = _uniform(profile, bounds)
    across = profile[cv.ACROSS].values.astype(np.float64)
    out = np.full(across.size, np.nan)
    if prof is not None:
        x, z = prof
        dx = float(np.median(np.diff(x)))
        span = int(round(length_m / dx))
        step = 1 if step_mm is None else max(1, int(round(step_mm * 1e-3 / dx)))
        if 1 <= span <= x.size - 1:
            gaps = impl.straightedge_gaps(x, z, span, step)
            gaps[~np.isfinite(gaps)] = np.nan
            pos = np.searchsorted(across, x)
            out[pos] = gaps
    return xr.DataArray(out, dims=(cv.ACROSS,), coords={cv.ACROSS: profile[cv.ACROSS]}, name="straightedge_gap",
                        attrs={cv.ATTR_UNITS: cv.UNIT_MM, "straightedge_m": float(length_m)})  # fmt: skip


def wire_gaps(
    profile: xr.DataArray, *, bounds: tuple[float, float] | None = None, engine: str = "numba"
) -> xr.DataArray:
    """Gap under a taut wire stretched over the profile (its upper convex hull), at every point, mm.

    Parameters
    ----------
    profile : xarray.DataArray, dims ("across",)
        Transverse profile, mm.
    bounds : (float, float), optional
        Only the profile within these across limits (the lane), m: the wire's ends.
    engine : {"numba", "numpy"}

    Returns
    -------
    xarray.DataArray, dims ("across",)
        Gap, mm; NaN outside ``bounds`` (or everywhere for a too sparse profile).
    """
    impl = _impl(engine)
    prof = _uniform(profile, bounds)
    across = profile[cv.ACROSS].values.astype(np.float64)
    out = np.full(across.size, np.nan)
    if prof is not None:
        x, z = prof
        out[np.searchsorted(across, x)] = impl.upper_envelope(x, z) - z
    return xr.DataArray(out, dims=(cv.ACROSS,), coords={cv.ACROSS: profile[cv.ACROSS]}, name="wire_gap",
                        attrs={cv.ATTR_UNITS: cv.UNIT_MM})  # fmt: skip


def straightedge_depth(
    profile: xr.DataArray, region: tuple[float, float], *, length_m: float = STRAIGHTEDGE_M,
    bounds: tuple[float, float] | None = None, step_mm: float | None = None, engine: str = "numba",
) -> tuple[float | None, float | None]:  # fmt: skip
    """Rut depth under a straightedge within ``region`` (e.g. a half lane).

    Returns
    -------
    depth_mm, across_m : float or None
        The largest gap within ``region`` and where it is; None where no straightedge position fits.
    """
    gaps = straightedge_gaps(profile, length_m=length_m, step_mm=step_mm, bounds=bounds, engine=engine)
    return _best(gaps.values, gaps[cv.ACROSS].values, region)


def wire_depth(
    profile: xr.DataArray, region: tuple[float, float], *, bounds: tuple[float, float] | None = None,
    engine: str = "numba",
) -> tuple[float | None, float | None]:  # fmt: skip
    """Rut depth under a taut wire within ``region``.

    Returns
    -------
    depth_mm, across_m : float or None
        The largest gap within ``region`` and where it is; None for a too sparse profile.
    """
    gaps = wire_gaps(profile, bounds=bounds, engine=engine)
    return _best(gaps.values, gaps[cv.ACROSS].values, region)


def stations(scan: xr.Dataset, interval_m: float) -> np.ndarray:
    """Rut stations: the middle of every whole ``interval_m`` section from the scan's start, m."""
    if not (interval_m > 0 and math.isfinite(interval_m)):
        raise ValueError(f"interval_m must be positive, got {interval_m!r}")
    along = scan[cv.ALONG].values
    start, end = float(along[0]), float(along[-1])
    if end - start < interval_m:  # a scan shorter than one section: its middle
        return np.array([(start + end) / 2])
    n = int(math.floor((end - start) / interval_m + 1e-9))
    return start + (np.arange(n) + 0.5) * interval_m


def measure_ruts(
    scan: xr.Dataset,
    *,
    zones: LaneZones | None = None,
    interval_m: float = 1.0,
    window_m: float | None = None,
    median_mm: float = 45.0,
    smooth_mm: float = 50.0,
    straightedge_m: float = STRAIGHTEDGE_M,
    step_mm: float | None = 5.0,
    engine: str = "numba",
) -> list[RutMeasurement]:
    """Rut depth of both wheel paths every ``interval_m``.

    Parameters
    ----------
    scan : xarray.Dataset
        ``elevation`` (mm) on ``("along", "across")`` (detrending is not needed).
    zones : LaneZones, optional
        The lane; default :class:`LaneZones` (3.66 m lane centred on across = 0).
        Its half lanes are the wheel-path regions; the profile is cut to the lane.
    interval_m : float
        Station spacing, m: one station in the middle of each section.
    window_m : float, optional
        Length of scan combined into each station's profile, m (default: the
        whole section, ``interval_m``, so that a pothole under the station
        does not hide the rut).
    median_mm, smooth_mm
        Profile filtering (:func:`transverse_profile`).
    straightedge_m : float
        Straightedge length, m.
    step_mm : float or None
        Spacing of straightedge positions, mm (None: every point).
    engine : {"numba", "numpy"}

    Returns
    -------
    list of RutMeasurement
        Left then right wheel path at each station.
    """
    zones = zones or LaneZones()
    out = []
    for station in stations(scan, interval_m):
        profile = transverse_profile(scan, float(station), window_m=interval_m if window_m is None else window_m,
                                     median_mm=median_mm, smooth_mm=smooth_mm)  # fmt: skip
        lane = zones.edges_m
        se = straightedge_gaps(profile, length_m=straightedge_m, step_mm=step_mm, bounds=lane, engine=engine)
        wire = wire_gaps(profile, bounds=lane, engine=engine)
        across = profile[cv.ACROSS].values
        for side in WHEEL_PATHS:
            region = zones.half(side)
            d_se, x_se = _best(se.values, across, region)
            d_w, x_w = _best(wire.values, across, region)
            out.append(RutMeasurement(float(station), side, d_se, d_w, x_se, x_w))
    logger.info("ruts at %d stations", len(out) // 2)
    return out
