"""Removing the road's cross slope and longitudinal grade from a scan.

The surface of a lane is, at the scale of a few metres, a plane tilted by
its cross slope (across) and grade (along); distresses are what is left.
:func:`fit_plane` finds that plane robustly — iteratively reweighted least
squares with Tukey's biweight, so that ruts, potholes and cracks get no
weight — or with open3d's RANSAC where open3d is installed.
:func:`detrend` subtracts it, and with ``method="profile"`` also a smooth
longitudinal profile (vertical curves of a long scan).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import xarray as xr
from scipy import ndimage

from .. import conventions as cv
from ..model import append_history

__all__ = ["METHODS", "fit_plane", "detrend"]

logger = logging.getLogger(__name__)

#: plane-fitting methods of :func:`fit_plane`
PLANE_METHODS = ("irls", "ransac")
#: detrending methods of :func:`detrend`
METHODS = ("plane", "ransac", "profile")
#: Tukey biweight tuning constant (95 % efficiency at the normal distribution)
TUKEY_C = 4.685
_MAD_TO_SIGMA = 1.4826


def _samples(scan: xr.Dataset, max_points: int, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    z = scan[cv.ELEVATION].transpose(cv.ALONG, cv.ACROSS).values
    along = scan[cv.ALONG].values.astype(np.float64)
    across = scan[cv.ACROSS].values.astype(np.float64)
    flat = np.flatnonzero(np.isfinite(z).ravel())
    if flat.size < 3:
        raise ValueError("a plane needs at least three cells with an elevation")
    if flat.size > max_points:
        flat = np.sort(np.random.default_rng(rng).choice(flat, size=max_points, replace=False))
    i, j = np.divmod(flat, z.shape[1])
    return along[i], across[j], z.ravel()[flat].astype(np.float64)


def _surface_level(r: np.ndarray) -> tuple[float, float]:
    """Level and spread of the road surface among residuals: the histogram's peak, and the spread above it.

    Distresses lie below the surface, so the residuals above the peak are
    texture alone; they give the scale however much of the lane is rutted.
    """
    lo, hi = np.percentile(r, [0.5, 99.5])
    if not hi > lo:
        return float(np.median(r)), 0.0
    counts, edges = np.histogram(r, bins=200, range=(lo, hi))
    k = int(np.argmax(counts))
    near = r[(r >= edges[max(0, k - 1)]) & (r <= edges[min(len(edges) - 1, k + 2)])]
    level = float(np.median(near))
    above = r[r > level] - level
    return level, float(_MAD_TO_SIGMA * np.median(above)) if above.size else 0.0


def _irls(a, c, z, iterations: int) -> np.ndarray:
    a0, c0 = a.mean(), c.mean()
    design = np.column_stack([np.ones_like(a), a - a0, c - c0])
    weights = np.ones_like(z)
    coef = np.zeros(3)
    for _ in range(iterations):
        sw = np.sqrt(weights)
        coef_new, *_ = np.linalg.lstsq(design * sw[:, None], z * sw, rcond=None)
        r = z - design @ coef_new
        level, scale = _surface_level(r)
        if not scale > 0:  # an exact plane
            coef = coef_new
            break
        # Tukey's biweight about the surface level, not about the median, which ruts pull down
        u = (r - level) / (TUKEY_C * scale)
        weights = np.where(np.abs(u) < 1.0, (1.0 - u**2) ** 2, 0.0)
        done = np.allclose(coef_new, coef, rtol=0.0, atol=1e-6 * (1.0 + np.abs(coef_new).max()))
        coef = coef_new
        if done:
            break
    # back to an intercept at along = across = 0
    return np.array([coef[0] - coef[1] * a0 - coef[2] * c0, coef[1], coef[2]])


def _ransac(a, c, z, threshold_mm: float, seed: int) -> np.ndarray:
    try:
        import open3d as o3d
    except ImportError as exc:
        raise ImportError(
            "method='ransac' needs the optional package open3d: pip install 'roadbed[pointcloud]'"
        ) from exc
    o3d.utility.random.seed(int(seed))
    # mm on every axis, so the distance threshold is isotropic
    xyz = np.column_stack([a * 1e3, c * 1e3, z])
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(xyz))
    (pa, pc, pz, pd), inliers = cloud.segment_plane(distance_threshold=float(threshold_mm), ransac_n=3,
                                                    num_iterations=1000)  # fmt: skip
    if abs(pz) < 1e-12 or len(inliers) < 3:
        raise ValueError("RANSAC found no road plane (a vertical plane or too few inliers)")
    inl = np.asarray(inliers)
    # least squares on the RANSAC inliers
    design = np.column_stack([np.ones(inl.size), a[inl], c[inl]])
    coef, *_ = np.linalg.lstsq(design, z[inl], rcond=None)
    return coef


def fit_plane(
    scan: xr.Dataset,
    *,
    method: str = "irls",
    max_points: int = 200_000,
    iterations: int = 30,
    ransac_threshold_mm: float = 2.0,
    rng=0,
) -> dict:
    """The road plane under a scan, fitted robustly.

    Parameters
    ----------
    scan : xarray.Dataset
        ``elevation`` (mm) on ``("along", "across")`` (m).
    method : {"irls", "ransac"}
        Tukey-biweight IRLS, or open3d's RANSAC plane refined by least
        squares on its inliers (needs ``open3d``).
    max_points : int
        Cells used (a random subset of the finite ones).
    iterations : int
        Most IRLS iterations.
    ransac_threshold_mm : float
        Inlier distance of RANSAC, mm.
    rng : int or numpy.random.Generator
        Seed of the subset and of RANSAC.

    Returns
    -------
    dict
        ``elevation_mm`` (of the plane at along = across = 0), ``grade_pct``
        (rise along, %), ``cross_slope_pct`` (rise towards +across, %).
    """
    if method not in PLANE_METHODS:
        raise ValueError(f"method must be one of {PLANE_METHODS}, got {method!r}")
    a, c, z = _samples(scan, int(max_points), rng)
    if method == "irls":
        coef = _irls(a, c, z, int(iterations))
    else:
        seed = rng if isinstance(rng, (int, np.integer)) else 0
        coef = _ransac(a, c, z, ransac_threshold_mm, int(seed))
    # mm per m → %: 1 % is 10 mm per m
    return {
        "elevation_mm": float(coef[0]),
        "grade_pct": float(coef[1] / 10.0),
        "cross_slope_pct": float(coef[2] / 10.0),
    }


def detrend(
    scan: xr.Dataset,
    *,
    method: str = "plane",
    profile_window_m: float = 5.0,
    max_points: int = 200_000,
    rng=0,
) -> xr.Dataset:
    """A scan with its cross slope and grade removed.

    Parameters
    ----------
    scan : xarray.Dataset
        ``elevation`` (mm) on ``("along", "across")``.
    method : {"plane", "ransac", "profile"}
        ``"plane"``: subtract the IRLS plane (:func:`fit_plane`);
        ``"ransac"``: the same with open3d's RANSAC;
        ``"profile"``: the IRLS plane, then the longitudinal profile left
        over (the median of each transverse profile, smoothed by a running
        median of ``profile_window_m``) — for long scans over vertical curves.
    profile_window_m : float
        Length of the running median of ``"profile"``, m.
    max_points, rng
        See :func:`fit_plane`.

    Returns
    -------
    xarray.Dataset
        A copy whose ``elevation`` is the height above the fitted surface
        (mm); attrs ``fitted_grade_pct`` and ``fitted_cross_slope_pct``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    plane = fit_plane(scan, method="ransac" if method == "ransac" else "irls", max_points=max_points, rng=rng)
    along = scan[cv.ALONG].values.astype(np.float64)
    across = scan[cv.ACROSS].values.astype(np.float64)
    trend = (plane["elevation_mm"] + plane["grade_pct"] * 10.0 * along[:, None]
             + plane["cross_slope_pct"] * 10.0 * across[None, :])  # fmt: skip
    z = scan[cv.ELEVATION].transpose(cv.ALONG, cv.ACROSS).values.astype(np.float64) - trend
    if method == "profile":
        if not (profile_window_m > 0 and math.isfinite(profile_window_m)):
            raise ValueError(f"profile_window_m must be positive, got {profile_window_m!r}")
        finite_rows = np.isfinite(z).any(axis=1)
        row_level = np.zeros(z.shape[0])
        row_level[finite_rows] = np.nanmedian(z[finite_rows], axis=1)
        if finite_rows.any():
            row_level[~finite_rows] = np.interp(along[~finite_rows], along[finite_rows], row_level[finite_rows])
        step = float(np.median(np.diff(along))) if along.size > 1 else 1.0
        size = max(1, int(round(profile_window_m / step)) | 1)
        z = z - ndimage.median_filter(row_level, size=size, mode="nearest")[:, None]
    out = scan.copy()
    attrs = dict(scan[cv.ELEVATION].attrs)
    attrs[cv.ATTR_LONG_NAME] = "surface elevation above the fitted road surface"
    out[cv.ELEVATION] = ((cv.ALONG, cv.ACROSS), z.astype(np.float32), attrs)
    out.attrs["fitted_grade_pct"] = plane["grade_pct"]
    out.attrs["fitted_cross_slope_pct"] = plane["cross_slope_pct"]
    logger.info("detrended (%s): grade %.3f %%, cross slope %.3f %%", method, plane["grade_pct"],
                plane["cross_slope_pct"])  # fmt: skip
    return append_history(out, "detrend", method=method, grade_pct=plane["grade_pct"],
                          cross_slope_pct=plane["cross_slope_pct"])  # fmt: skip
