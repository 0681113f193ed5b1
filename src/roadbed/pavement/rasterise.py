"""Point clouds onto the road grid ``("along", "across")``; outliers out, small holes filled.

:func:`rasterise_points` bins road-local points (:func:`roadbed.pavement.ingest.points_to_road`)
into cells of a chosen size in mm, keeping the lowest, mean or highest
elevation of each cell and the mean intensity. :func:`remove_outliers` drops
isolated spikes and pits (a cell farther than k robust standard deviations
from its neighbourhood's median, in a cluster too small to be a crack), and
:func:`fill_holes` fills small empty patches from their nearest cells,
leaving large gaps (outside the swath, occlusions) empty.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import xarray as xr
from scipy import ndimage

from .. import conventions as cv
from ..model import append_history
from . import _kernels, _reference
from .ingest import POINT, scan_dataset

__all__ = ["STATISTICS", "MAX_GRID_CELLS", "rasterise_points", "remove_outliers", "fill_holes"]

logger = logging.getLogger(__name__)

ENGINES = ("numba", "numpy")
#: per-cell statistics of the elevations
STATISTICS = tuple(_kernels.STATISTICS)
#: the largest grid :func:`rasterise_points` makes (2 GiB of float64 elevations)
MAX_GRID_CELLS = 2**28
#: a MAD is scaled by this to estimate a normal distribution's standard deviation
MAD_TO_SIGMA = 1.4826


def _impl(engine: str):
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    return _kernels if engine == "numba" else _reference


def _pair(name: str, value) -> tuple[float, float]:
    pair = (value, value) if np.isscalar(value) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, float, np.integer, np.floating)) for v in pair):
        raise ValueError(f"{name} must be a number or an (along, across) pair, got {value!r}")
    pair = (float(pair[0]), float(pair[1]))
    if not all(v > 0 and math.isfinite(v) for v in pair):
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return pair


def _axis(values: np.ndarray, cell_m: float, limits) -> tuple[float, int]:
    """First cell centre and number of cells: centres on multiples of ``cell_m`` covering ``limits`` (or the data)."""
    if limits is None:
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            raise ValueError("no point has finite coordinates")
        limits = (float(finite.min()), float(finite.max()))
    low, high = (float(v) for v in limits)
    if not (math.isfinite(low) and math.isfinite(high) and high >= low):
        raise ValueError(f"range must be an increasing pair of finite numbers, got {limits!r}")
    k0, k1 = math.floor(low / cell_m + 0.5), math.floor(high / cell_m + 0.5)
    return k0 * cell_m, k1 - k0 + 1


def rasterise_points(
    points: xr.Dataset,
    *,
    resolution_mm=1.0,
    statistic: str = "mean",
    along_range_m: tuple[float, float] | None = None,
    across_range_m: tuple[float, float] | None = None,
    outlier_k: float | None = 6.0,
    fill_max_cells: int = 16,
    engine: str = "numba",
) -> xr.Dataset:
    """A road-local point cloud as a scan grid.

    Parameters
    ----------
    points : xarray.Dataset
        On dim ``"point"``: ``along``, ``across`` (m), ``elevation`` (mm) and
        optionally ``intensity`` (0–1); see :func:`roadbed.pavement.ingest.points_to_road`.
    resolution_mm : float or (float, float)
        Cell size, mm, one number or ``(along, across)``. Cell centres lie on
        multiples of the cell size, so a grid written as points comes back
        onto the same cells.
    statistic : {"lowest", "mean", "max"}
        Which elevation a cell with several points keeps.
    along_range_m, across_range_m : (float, float), optional
        Extent of the grid (first and last cell centre, rounded to the grid), m;
        default: the points' extent. Points outside are dropped.
    outlier_k : float or None
        Threshold of :func:`remove_outliers` in robust standard deviations; None keeps every cell.
    fill_max_cells : int
        Largest empty patch :func:`fill_holes` fills, cells; 0 fills none.
    engine : {"numba", "numpy"}
        The numba kernel or its numpy twin (for tests; slow).

    Returns
    -------
    xarray.Dataset
        ``elevation`` (mm, float32, NaN in empty cells), ``intensity`` (0–1,
        float32, where the points have it) and ``count`` (points per cell)
        on ``("along", "across")``.

    Raises
    ------
    ValueError
        Bad options, points without ``along``/``across``/``elevation``, or a
        grid larger than :data:`MAX_GRID_CELLS`.
    """
    impl = _impl(engine)
    if statistic not in _kernels.STATISTICS:
        raise ValueError(f"statistic must be one of {STATISTICS}, got {statistic!r}")
    for name in (cv.ALONG, cv.ACROSS, cv.ELEVATION):
        if name not in points or points[name].dims != (POINT,):
            raise ValueError(
                f"points need a {name!r} variable on ({POINT!r},); road-local points come from points_to_road"
            )
    da_mm, dc_mm = _pair("resolution_mm", resolution_mm)
    da, dc = da_mm * 1e-3, dc_mm * 1e-3
    along = np.ascontiguousarray(points[cv.ALONG].values, dtype=np.float64)
    across = np.ascontiguousarray(points[cv.ACROSS].values, dtype=np.float64)
    z = np.ascontiguousarray(points[cv.ELEVATION].values, dtype=np.float64)
    a0, n_a = _axis(along, da, along_range_m)
    c0, n_c = _axis(across, dc, across_range_m)
    if n_a * n_c > MAX_GRID_CELLS:
        raise ValueError(
            f"a {n_a} × {n_c} grid at {da_mm} × {dc_mm} mm is larger than {MAX_GRID_CELLS} cells: "
            "choose a coarser resolution or a smaller range"
        )
    has_intensity = cv.INTENSITY in points
    light = (np.ascontiguousarray(points[cv.INTENSITY].values, dtype=np.float64) if has_intensity
             else np.zeros(0))  # fmt: skip
    elevation, intensity, count = impl.bin_points(along, across, z, light, a0, da, n_a, c0, dc, n_c,
                                                  _kernels.STATISTICS[statistic])  # fmt: skip
    scan = scan_dataset(
        elevation, intensity if has_intensity else None,
        along_m=a0 + np.arange(n_a) * da, across_m=c0 + np.arange(n_c) * dc,
        attrs={k: v for k, v in points.attrs.items() if k != cv.ATTR_HISTORY},
        history=points.attrs.get(cv.ATTR_HISTORY, ""),
    )  # fmt: skip
    count_attrs = {cv.ATTR_LONG_NAME: "points per cell", cv.ATTR_UNITS: cv.UNIT_COUNTS}
    scan["count"] = ((cv.ALONG, cv.ACROSS), count, count_attrs)
    scan = append_history(scan, "rasterise_points", resolution_mm=[da_mm, dc_mm], statistic=statistic,
                          n_points=int(along.size), n_binned=int(count.sum()))  # fmt: skip
    logger.info("rasterised %d of %d points onto %d × %d cells", int(count.sum()), along.size, n_a, n_c)
    if outlier_k is not None:
        scan = remove_outliers(scan, k=outlier_k, engine=engine)
    if fill_max_cells > 0:
        scan = fill_holes(scan, max_cells=fill_max_cells)
    return scan


def remove_outliers(
    scan: xr.Dataset,
    *,
    k: float = 6.0,
    radius_cells: int = 4,
    stride_cells: int = 4,
    min_deviation_mm: float = 3.0,
    max_cluster_cells: int = 3,
    engine: str = "numba",
) -> xr.Dataset:
    """Empty the cells that are isolated spikes or pits.

    A cell is suspect where its elevation differs from the median of its
    neighbourhood (every ``stride``-th cell within ``radius`` cells) by more
    than ``max(k · 1.4826 · MAD, min_deviation_mm)``. Suspect cells deviating
    the same way are grouped (8-connected); groups of at most
    ``max_cluster_cells`` are outliers and emptied (NaN). A crack narrower
    than the neighbourhood is suspect along its whole length, a long group,
    and stays; a pothole is wider and not suspect at all.

    Parameters
    ----------
    scan : xarray.Dataset
        ``elevation`` (mm) on ``("along", "across")``.
    k : float
        Threshold in robust standard deviations.
    radius_cells, stride_cells : int
        Half-width of the neighbourhood and the step of its samples, cells.
    min_deviation_mm : float
        Deviations up to this are never outliers (a flat synthetic grid has MAD 0).
    max_cluster_cells : int
        Largest group of cells removed.
    engine : {"numba", "numpy"}

    Returns
    -------
    xarray.Dataset
        A copy with the outliers' ``elevation`` (and ``intensity``) set to NaN;
        attribute ``n_outliers``.
    """
    impl = _impl(engine)
    if not (k > 0 and math.isfinite(k)):
        raise ValueError(f"k must be positive, got {k!r}")
    if not 1 <= int(stride_cells) <= int(radius_cells):
        raise ValueError(f"need 1 ≤ stride_cells ≤ radius_cells, got {stride_cells!r}, {radius_cells!r}")
    z = np.ascontiguousarray(scan[cv.ELEVATION].transpose(cv.ALONG, cv.ACROSS).values, dtype=np.float64)
    median, mad = impl.local_median_mad(z, int(radius_cells), int(stride_cells))
    threshold = np.maximum(k * MAD_TO_SIGMA * mad, float(min_deviation_mm))
    with np.errstate(invalid="ignore"):
        deviation = z - median
    outliers = np.zeros(z.shape, dtype=bool)
    for suspect in (deviation > threshold, deviation < -threshold):
        labels, n = ndimage.label(suspect, structure=np.ones((3, 3), dtype=bool))
        if n:
            sizes = np.bincount(labels.ravel())
            small = sizes <= max_cluster_cells
            small[0] = False
            outliers |= small[labels]
    out = scan.copy()
    for name in (cv.ELEVATION, cv.INTENSITY):
        if name in out:
            values = out[name].transpose(cv.ALONG, cv.ACROSS).values.copy()
            values[outliers] = np.nan
            out[name] = ((cv.ALONG, cv.ACROSS), values, out[name].attrs)
    n_out = int(outliers.sum())
    out.attrs["n_outliers"] = n_out
    logger.info("removed %d outlier cells", n_out)
    return append_history(out, "remove_outliers", k=k, radius_cells=radius_cells, stride_cells=stride_cells,
                          min_deviation_mm=min_deviation_mm, max_cluster_cells=max_cluster_cells,
                          n_outliers=n_out)  # fmt: skip


def fill_holes(scan: xr.Dataset, *, max_cells: int = 16) -> xr.Dataset:
    """Fill small empty patches of a scan from their nearest non-empty cells.

    Parameters
    ----------
    scan : xarray.Dataset
        ``elevation`` (mm) and optionally ``intensity`` on ``("along", "across")``, NaN where empty.
    max_cells : int
        Empty patches (4-connected) of at most this many cells are filled;
        larger ones stay NaN, so no value is ever carried farther than a
        small patch's size.

    Returns
    -------
    xarray.Dataset
        A copy with small holes filled; attribute ``n_filled``.
    """
    if int(max_cells) < 0:
        raise ValueError(f"max_cells must be ≥ 0, got {max_cells!r}")
    z = scan[cv.ELEVATION].transpose(cv.ALONG, cv.ACROSS).values
    empty = ~np.isfinite(z)
    labels, n = ndimage.label(empty)
    out = scan.copy()
    filled = np.zeros(z.shape, dtype=bool)
    if n and not empty.all():
        sizes = np.bincount(labels.ravel())
        small = sizes <= int(max_cells)
        small[0] = False
        filled = small[labels]
        if filled.any():
            _, (ii, jj) = ndimage.distance_transform_edt(empty, return_distances=True, return_indices=True)
            for name in (cv.ELEVATION, cv.INTENSITY):
                if name in out:
                    values = out[name].transpose(cv.ALONG, cv.ACROSS).values.copy()
                    values[filled] = values[ii[filled], jj[filled]]
                    out[name] = ((cv.ALONG, cv.ACROSS), values, out[name].attrs)
    n_filled = int(filled.sum())
    out.attrs["n_filled"] = n_filled
    return append_history(out, "fill_holes", max_cells=int(max_cells), n_filled=n_filled)
