"""Macrotexture: mean profile depth (ISO 13473-1) of along-track profiles.

Each along-track profile (one column of a scan) is cut into 100 mm
baselines (*segments*). In each segment the least-squares line is removed
(slope suppression) and its *mean segment depth* (MSD) is the mean of the
peaks of its two halves above the segment's mean level. The mean profile
depth (MPD) of a section is the average MSD of its segments.

This module is the one implementation: :mod:`roadbed.synth.pavement` scales
its synthetic texture with :func:`mean_profile_depth`.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import xarray as xr

from .. import conventions as cv
from ..model import coord_attrs

__all__ = ["MPD_BASELINE_MM", "segment_depths", "mean_profile_depth", "texture_depths", "mpd_by_section"]

logger = logging.getLogger(__name__)

#: ISO 13473-1 baseline, mm
MPD_BASELINE_MM = 100.0
#: fewest points a baseline may hold
MIN_BASELINE_POINTS = 4


def _segment_points(spacing_mm: float, baseline_mm: float) -> int:
    if not (spacing_mm > 0 and math.isfinite(spacing_mm)):
        raise ValueError(f"spacing_mm must be a positive finite number, got {spacing_mm!r}")
    if not (baseline_mm > 0 and math.isfinite(baseline_mm)):
        raise ValueError(f"baseline_mm must be a positive finite number, got {baseline_mm!r}")
    return int(round(baseline_mm / spacing_mm))


def segment_depths(profile_mm, *, spacing_mm: float, baseline_mm: float = MPD_BASELINE_MM) -> np.ndarray:
    """Mean segment depth of every whole baseline of one or many profiles, mm.

    Parameters
    ----------
    profile_mm : array_like, shape (..., n_points)
        Profile heights, mm, sampled every ``spacing_mm`` along the last axis.
        A short tail (less than one baseline) is dropped.
    spacing_mm : float
        Sample spacing, mm.
    baseline_mm : float
        Baseline (segment) length, mm (100 in the standard).

    Returns
    -------
    numpy.ndarray, shape (..., n_points // n_baseline), float64
        MSD of each segment, mm; NaN where the segment holds a missing (NaN) point.

    Raises
    ------
    ValueError
        If a baseline holds fewer than 4 points or the profiles are shorter than one baseline.
    """
    n = _segment_points(spacing_mm, baseline_mm)
    z = np.asarray(profile_mm, dtype=np.float64)
    if n < MIN_BASELINE_POINTS or z.ndim == 0 or z.shape[-1] < n:
        raise ValueError(
            f"profiles of {z.shape[-1] if z.ndim else 0} points at {spacing_mm} mm are shorter than "
            f"one {baseline_mm} mm baseline of at least {MIN_BASELINE_POINTS} points"
        )
    n_seg = z.shape[-1] // n
    segments = z[..., : n_seg * n].reshape(*z.shape[:-1], n_seg, n)
    x = np.arange(n) - (n - 1) / 2.0
    slope = segments @ x / (x @ x)
    level = segments - segments.mean(axis=-1, keepdims=True) - slope[..., None] * x
    half = n // 2
    # NaN propagates through mean and slope, so a segment with a missing point is NaN
    return 0.5 * (level[..., :half].max(axis=-1) + level[..., n - half :].max(axis=-1))


def mean_profile_depth(profile_mm, *, spacing_mm: float, baseline_mm: float = MPD_BASELINE_MM) -> float:
    """Mean profile depth (ISO 13473-1) of one or many profiles, mm.

    The average of :func:`segment_depths` over all whole baselines of all
    profiles; segments with missing points are left out.

    Parameters
    ----------
    profile_mm : array_like, shape (..., n_points)
        Profile heights, mm, sampled every ``spacing_mm`` along the last axis.
    spacing_mm : float
        Sample spacing, mm.
    baseline_mm : float
        Baseline length, mm (100 in the standard).

    Returns
    -------
    float
        MPD, mm; NaN if no segment is complete.
    """
    depths = segment_depths(profile_mm, spacing_mm=spacing_mm, baseline_mm=baseline_mm)
    valid = depths[np.isfinite(depths)]
    return float(valid.mean()) if valid.size else math.nan


def _along_spacing_mm(scan: xr.Dataset) -> float:
    along = np.asarray(scan[cv.ALONG].values, dtype=np.float64)
    if along.size < 2:
        raise ValueError("a texture measurement needs at least two along-track profiles")
    steps = np.diff(along)
    spacing = float(np.median(steps)) * 1e3
    if not (spacing > 0) or not np.allclose(steps * 1e3, spacing, rtol=1e-3, atol=1e-6):
        raise ValueError("texture needs a uniformly spaced, increasing along coordinate")
    return spacing


def texture_depths(
    scan: xr.Dataset, *, baseline_mm: float = MPD_BASELINE_MM, exclude: xr.DataArray | np.ndarray | None = None
) -> xr.DataArray:
    """Mean segment depth of every 100 mm segment of every along-track profile.

    Parameters
    ----------
    scan : xarray.Dataset
        ``elevation`` (mm) on ``("along", "across")`` with a uniformly spaced ``along`` (m).
    baseline_mm : float
        Segment length, mm.
    exclude : array_like of bool, shape (n_along, n_across), optional
        Cells that are not texture (potholes, cracks): a segment that holds one is NaN.

    Returns
    -------
    xarray.DataArray, dims ("along", "across"), float64
        MSD in mm; ``along`` holds the centre of each segment, m.
    """
    spacing = _along_spacing_mm(scan)
    z = np.asarray(scan[cv.ELEVATION].transpose(cv.ALONG, cv.ACROSS).values, dtype=np.float64)
    if exclude is not None:
        mask = np.asarray(exclude, dtype=bool)
        if mask.shape != z.shape:
            raise ValueError(f"exclude has shape {mask.shape}, expected {z.shape}")
        z = np.where(mask, np.nan, z)
    depths = segment_depths(z.T, spacing_mm=spacing, baseline_mm=baseline_mm).T
    n = _segment_points(spacing, baseline_mm)
    along = np.asarray(scan[cv.ALONG].values, dtype=np.float64)
    centres = along[: depths.shape[0] * n].reshape(-1, n).mean(axis=1)
    return xr.DataArray(
        depths,
        dims=(cv.ALONG, cv.ACROSS),
        coords={cv.ALONG: (cv.ALONG, centres, coord_attrs(cv.ALONG)), cv.ACROSS: scan[cv.ACROSS]},
        name="mean_segment_depth",
        attrs={cv.ATTR_UNITS: cv.UNIT_MM, cv.ATTR_LONG_NAME: "mean segment depth (ISO 13473-1)",
               "baseline_mm": float(baseline_mm)},  # fmt: skip
    )


def mpd_by_section(
    scan: xr.Dataset,
    *,
    section_m: float = 10.0,
    baseline_mm: float = MPD_BASELINE_MM,
    exclude: xr.DataArray | np.ndarray | None = None,
) -> xr.DataArray:
    """Mean profile depth of each ``section_m`` long section of a scan, mm.

    Every segment of every along-track profile (:func:`texture_depths`)
    whose centre lies in a section counts towards that section's average.

    Parameters
    ----------
    scan : xarray.Dataset
        ``elevation`` (mm) on ``("along", "across")``.
    section_m : float
        Section length, m; sections start at the scan's first profile.
    baseline_mm : float
        Segment length, mm.
    exclude : array_like of bool, shape (n_along, n_across), optional
        Cells left out (see :func:`texture_depths`).

    Returns
    -------
    xarray.DataArray, dims ("along",)
        MPD per section (NaN where no segment is complete), ``along`` = section centre, m;
        coordinate ``n_segments`` counts the segments averaged.
    """
    if not (section_m > 0 and math.isfinite(section_m)):
        raise ValueError(f"section_m must be a positive finite number, got {section_m!r}")
    msd = texture_depths(scan, baseline_mm=baseline_mm, exclude=exclude)
    start = float(scan[cv.ALONG].values[0])
    end = float(scan[cv.ALONG].values[-1])
    n_sections = max(1, int(math.ceil((end - start) / section_m - 1e-9)))
    index = np.clip(((msd[cv.ALONG].values - start) / section_m).astype(np.int64), 0, n_sections - 1)
    values = msd.values
    valid = np.isfinite(values)
    sums = np.bincount(np.repeat(index, values.shape[1])[valid.ravel()], weights=values[valid], minlength=n_sections)
    counts = np.bincount(np.repeat(index, values.shape[1])[valid.ravel()], minlength=n_sections)
    with np.errstate(invalid="ignore", divide="ignore"):
        mpd = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    lows = start + np.arange(n_sections) * section_m
    centres = (lows + np.minimum(lows + section_m, end)) / 2  # the last section may be short
    logger.debug("MPD of %d sections from %d segments", n_sections, int(counts.sum()))
    return xr.DataArray(
        mpd,
        dims=(cv.ALONG,),
        coords={cv.ALONG: (cv.ALONG, centres, coord_attrs(cv.ALONG)), "n_segments": (cv.ALONG, counts)},
        name="mean_profile_depth",
        attrs={cv.ATTR_UNITS: cv.UNIT_MM, cv.ATTR_LONG_NAME: "mean profile depth (ISO 13473-1)",
               "section_m": float(section_m), "baseline_mm": float(baseline_mm)},  # fmt: skip
    )
