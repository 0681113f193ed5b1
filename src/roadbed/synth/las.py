"""Write points — a synthetic pavement scan or any others — as LAS 1.4 files.

Needs the optional ``laspy`` package (``pip install 'roadbed[pointcloud]'``);
it is imported only when a file is written.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import xarray as xr

from .. import conventions as cv

__all__ = ["write_las", "write_pavement_las"]

#: LAS 1.4 point record format with x, y, z, intensity and GPS time (no colour)
POINT_FORMAT = 6
_INT32_MAX = 2**31 - 1


def _laspy():
    try:
        import laspy
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "writing LAS files needs the optional package laspy: pip install 'roadbed[pointcloud]'"
        ) from exc
    return laspy


def _intensity_counts(intensity, n: int) -> np.ndarray:
    if intensity is None:
        return np.zeros(n, dtype=np.uint16)
    values = np.asarray(intensity).reshape(-1)
    if values.shape != (n,):
        raise ValueError(f"intensity has {values.size} values for {n} points")
    if values.dtype.kind == "f":
        if not np.all((values >= 0.0) & (values <= 1.0)):
            raise ValueError("float intensity must lie in [0, 1] (it is scaled to 0–65535)")
        return np.round(values.astype(np.float64) * 65535.0).astype(np.uint16)
    if values.dtype.kind in "iu":
        if values.size and (values.min() < 0 or values.max() > 65535):
            raise ValueError("integer intensity must lie in 0–65535")
        return values.astype(np.uint16)
    raise ValueError(f"intensity must be numeric, got dtype {values.dtype}")


def write_las(path, *, x_m, y_m, z_m, intensity=None, scale_m: float = 0.001, crs=None) -> Path:
    """Write points as a LAS 1.4 file (point format 6).

    Parameters
    ----------
    path : str or os.PathLike
        The ``.las`` file to write.
    x_m, y_m, z_m : array_like, shape (n,)
        Coordinates, m (road-local or projected map coordinates).
    intensity : array_like, shape (n,), optional
        Floats in [0, 1] (scaled to 0–65535) or integers in 0–65535.
    scale_m : float
        Coordinate resolution stored in the file, m.
    crs : int or str, optional
        EPSG code or WKT of the map coordinates, stored as a WKT VLR.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    laspy = _laspy()
    xyz = [np.asarray(v, dtype=np.float64).reshape(-1) for v in (x_m, y_m, z_m)]
    n = xyz[0].size
    if n == 0 or any(v.size != n for v in xyz):
        raise ValueError(f"x_m, y_m and z_m must hold the same, non-zero number of points, got {[v.size for v in xyz]}")
    if not all(np.all(np.isfinite(v)) for v in xyz):
        raise ValueError("point coordinates must be finite")
    if not (scale_m > 0 and math.isfinite(scale_m)):
        raise ValueError(f"scale_m must be positive, got {scale_m!r}")
    offsets = np.array([np.floor(v.min()) for v in xyz])
    spans = np.array([v.max() for v in xyz]) - offsets
    if np.any(spans / scale_m > _INT32_MAX):
        raise ValueError(f"coordinates span {spans.max()} m: too far for 32-bit integers at {scale_m} m resolution")
    header = laspy.LasHeader(point_format=POINT_FORMAT, version="1.4")
    header.offsets = offsets
    header.scales = np.full(3, scale_m)
    if crs is not None:
        import pyproj

        header.add_crs(pyproj.CRS.from_user_input(crs))
    las = laspy.LasData(header)
    las.x, las.y, las.z = xyz
    las.intensity = _intensity_counts(intensity, n)
    path = Path(os.fspath(path))
    las.write(path)
    return path


def write_pavement_las(
    scan: xr.Dataset, path, *, origin_xy_m=None, heading_deg: float = 0.0, crs=None, stride: int = 1
) -> Path:
    """Write a pavement scan's grid cells as LAS points.

    Parameters
    ----------
    scan : xarray.Dataset
        ``elevation`` (mm) and optionally ``intensity`` (0–1) on ``("along", "across")``.
    path : str or os.PathLike
    origin_xy_m : (float, float), optional
        Map position of along = 0, across = 0. Without it, x = along and
        y = across (road-local).
    heading_deg : float
        Map azimuth of the along direction, degrees clockwise from north;
        +across points to the left of it.
    crs : int or str, optional
        CRS of the map coordinates.
    stride : int
        Keep every ``stride``-th cell in both directions.

    Returns
    -------
    pathlib.Path
    """
    if cv.ELEVATION not in scan or scan[cv.ELEVATION].dims != (cv.ALONG, cv.ACROSS):
        raise ValueError(f"scan needs an {cv.ELEVATION!r} variable on ({cv.ALONG!r}, {cv.ACROSS!r})")
    if int(stride) < 1:
        raise ValueError(f"stride must be ≥ 1, got {stride}")
    sub = scan.isel({cv.ALONG: slice(None, None, int(stride)), cv.ACROSS: slice(None, None, int(stride))})
    along, across = np.meshgrid(sub[cv.ALONG].values, sub[cv.ACROSS].values, indexing="ij")
    z = sub[cv.ELEVATION].values.astype(np.float64) * 1e-3
    if origin_xy_m is None:
        x, y = along, across
    else:
        h = math.radians(heading_deg)
        x = origin_xy_m[0] + along * math.sin(h) - across * math.cos(h)
        y = origin_xy_m[1] + along * math.cos(h) + across * math.sin(h)
    intensity = sub[cv.INTENSITY].values if cv.INTENSITY in sub else None
    return write_las(path, x_m=x, y_m=y, z_m=z, intensity=intensity, crs=crs)
