"""Potholes and depressions: holes below the surrounding road surface.

The reference surface of every cell is what the road around it looks like:
the scan is detrended (:func:`~roadbed.pavement.detrend.detrend`), cut into
short blocks along the track, and each column's block medians are combined
by a running median over ``reference_window_m``. Ruts and longitudinal
cracks run along the road and so belong to the reference; a pothole, shorter
than half the window, does not. The *depression depth* is reference minus
surface, smoothed to average the texture.

A pothole is a connected region deeper than ``edge_mm`` that reaches
``min_depth_mm`` somewhere, after a morphological opening that removes
anything narrower than ``min_width_mm`` (cracks). Its area, maximum and mean
depth and volume are measured on that region; its severity follows the LTPP
depth classes: low < 25 mm, moderate 25–50 mm, high > 50 mm.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy import ndimage
from skimage import measure

from .. import conventions as cv
from ..model import coord_attrs
from .detrend import detrend
from .ingest import ATTR_ACROSS_SPACING, ATTR_ALONG_SPACING, pixel_size_mm

__all__ = ["POTHOLE_SEVERITY_MM", "PotholeMeasurement", "depression_depth", "find_potholes", "pothole_severity"]

logger = logging.getLogger(__name__)

#: LTPP pothole depth classes: (upper limit mm, class), shallowest first
POTHOLE_SEVERITY_MM = ((25.0, "low"), (50.0, "moderate"), (math.inf, "high"))


def pothole_severity(max_depth_mm: float) -> str:
    """LTPP severity of a pothole by its maximum depth: "low" < 25, "moderate" 25–50, "high" > 50 mm."""
    if not math.isfinite(max_depth_mm):
        raise ValueError(f"max_depth_mm must be finite, got {max_depth_mm!r}")
    for limit, name in POTHOLE_SEVERITY_MM:
        if max_depth_mm < limit or (name == "moderate" and max_depth_mm <= limit):
            return name
    return POTHOLE_SEVERITY_MM[-1][1]


@dataclass(frozen=True)
class PotholeMeasurement:
    """One pothole or depression.

    Attributes
    ----------
    along_m, across_m : float
        Centroid, m.
    area_m2 : float
        Plan area, m².
    max_depth_mm, mean_depth_mm : float
        Deepest and mean depth below the reference surface, mm.
    volume_m3 : float
        Volume below the reference surface, m³.
    outline : tuple of (along_m, across_m)
        Closed outline of the region (first vertex not repeated).
    """

    along_m: float
    across_m: float
    area_m2: float
    max_depth_mm: float
    mean_depth_mm: float
    volume_m3: float
    outline: tuple[tuple[float, float], ...] = ()

    @property
    def severity(self) -> str:
        """LTPP depth class (:func:`pothole_severity`)."""
        return pothole_severity(self.max_depth_mm)

    def to_dict(self) -> dict:
        """The keys ``roadbed pavement --json`` prints."""
        return {
            "along_m": self.along_m,
            "across_m": self.across_m,
            "area_m2": self.area_m2,
            "max_depth_mm": self.max_depth_mm,
            "mean_depth_mm": self.mean_depth_mm,
            "severity": self.severity,
        }


def _cell_mm(scan: xr.Dataset) -> tuple[float, float]:
    size = pixel_size_mm(scan)
    if size is None:
        raise ValueError("potholes need a scan with a known cell size (not a photograph)")
    return size


def _block_reference(z: np.ndarray, along: np.ndarray, *, block_m: float, window_m: float) -> np.ndarray:
    """Running median along each column of short-block medians, interpolated back to every row."""
    n_a = z.shape[0]
    step = float(np.median(np.diff(along))) if n_a > 1 else block_m
    rows_per_block = max(1, int(round(block_m / step)))
    n_blocks = int(math.ceil(n_a / rows_per_block))
    padded = np.full((n_blocks * rows_per_block, z.shape[1]), np.nan)
    padded[:n_a] = z
    blocks = padded.reshape(n_blocks, rows_per_block, -1)
    finite = np.isfinite(blocks).any(axis=1)
    medians = np.full((n_blocks, z.shape[1]), np.nan)
    for b in range(n_blocks):  # per block keeps the NaN-median's temporary small
        cols = finite[b]
        if cols.any():
            medians[b, cols] = np.nanmedian(blocks[b][:, cols], axis=0)
    centres = np.array([along[min(n_a - 1, b * rows_per_block):min(n_a, (b + 1) * rows_per_block)].mean()
                        for b in range(n_blocks)])  # fmt: skip
    k = max(1, int(round(window_m / (rows_per_block * step))))
    if k >= n_blocks:
        with np.errstate(invalid="ignore"):
            column = _nanmedian_columns(medians)
        return np.broadcast_to(column, z.shape).copy()
    half = k // 2
    running = np.empty_like(medians)
    for b in range(n_blocks):
        lo, hi = max(0, b - half), min(n_blocks, b + half + 1)
        running[b] = _nanmedian_columns(medians[lo:hi])
    # linear interpolation between block centres, row by row
    pos = np.interp(along, centres, np.arange(n_blocks, dtype=np.float64))
    i0 = np.clip(np.floor(pos).astype(np.int64), 0, n_blocks - 1)
    i1 = np.minimum(i0 + 1, n_blocks - 1)
    w = (pos - i0)[:, None]
    return (1.0 - w) * running[i0] + w * running[i1]


def _nanmedian_columns(values: np.ndarray) -> np.ndarray:
    out = np.full(values.shape[1], np.nan)
    cols = np.isfinite(values).any(axis=0)
    if cols.any():
        out[cols] = np.nanmedian(values[:, cols], axis=0)
    return out


def _coarsen(scan: xr.Dataset, work_mm: float) -> xr.Dataset:
    """The scan's elevation block-averaged to cells of about ``work_mm`` (never finer than the scan)."""
    cell = _cell_mm(scan)
    fa, fc = (max(1, int(math.floor(work_mm / c + 1e-9))) for c in cell)
    elevation = scan[[cv.ELEVATION]].transpose(cv.ALONG, cv.ACROSS)
    if fa == 1 and fc == 1:
        return elevation
    if elevation.sizes[cv.ALONG] < fa or elevation.sizes[cv.ACROSS] < fc:
        raise ValueError(f"a scan of {dict(elevation.sizes)} cells is smaller than one {work_mm} mm working cell")
    coarse = elevation.coarsen({cv.ALONG: fa, cv.ACROSS: fc}, boundary="trim").mean()
    coarse.attrs.update(scan.attrs)
    coarse.attrs[ATTR_ALONG_SPACING], coarse.attrs[ATTR_ACROSS_SPACING] = cell[0] * fa, cell[1] * fc
    return coarse


def depression_depth(
    scan: xr.Dataset,
    *,
    reference_window_m: float = 5.0,
    block_m: float = 0.1,
    smooth_mm: float = 3.0,
    work_mm: float = 4.0,
) -> xr.DataArray:
    """Depth of every cell below the surrounding road surface, mm (positive = below).

    Parameters
    ----------
    scan : xarray.Dataset
        ``elevation`` (mm) on ``("along", "across")`` with a known cell size.
    reference_window_m : float
        Length of the running median that makes the reference surface, m (a
        scan shorter than this uses its whole length).
    block_m : float
        Length of the blocks whose medians the running median combines, m.
    smooth_mm : float
        Standard deviation of the Gaussian that averages the texture, mm (0: none).
    work_mm : float
        The scan is first block-averaged to cells of about this size, mm
        (potholes are far wider; this averages texture and saves time).

    Returns
    -------
    xarray.DataArray, dims ("along", "across"), float32
        Depth below the reference on the working grid, mm; NaN where the scan is empty.
    """
    for name, value in (("reference_window_m", reference_window_m), ("block_m", block_m), ("work_mm", work_mm)):
        if not (value > 0 and math.isfinite(value)):
            raise ValueError(f"{name} must be positive, got {value!r}")
    work = _coarsen(scan, work_mm)
    cell = _cell_mm(work)
    flat = detrend(work)
    z = flat[cv.ELEVATION].transpose(cv.ALONG, cv.ACROSS).values.astype(np.float64)
    along = flat[cv.ALONG].values.astype(np.float64)
    reference = _block_reference(z, along, block_m=block_m, window_m=reference_window_m)
    depth = reference - z
    empty = ~np.isfinite(depth)
    if smooth_mm > 0:
        sigma = (smooth_mm / cell[0], smooth_mm / cell[1])
        if empty.any():
            # normalised convolution: empty cells neither count nor pull the average down
            weight = ndimage.gaussian_filter((~empty).astype(np.float64), sigma, mode="nearest")
            total = ndimage.gaussian_filter(np.where(empty, 0.0, depth), sigma, mode="nearest")
            with np.errstate(invalid="ignore", divide="ignore"):
                depth = np.where(weight > 1e-6, total / weight, np.nan)
        else:
            depth = ndimage.gaussian_filter(depth, sigma, mode="nearest")
    depth[empty] = np.nan
    return xr.DataArray(
        depth.astype(np.float32), dims=(cv.ALONG, cv.ACROSS),
        coords={cv.ALONG: (cv.ALONG, along, coord_attrs(cv.ALONG)),
                cv.ACROSS: (cv.ACROSS, flat[cv.ACROSS].values, coord_attrs(cv.ACROSS))},
        name="depression_depth",
        attrs={cv.ATTR_UNITS: cv.UNIT_MM, cv.ATTR_LONG_NAME: "depth below the road surface",
               ATTR_ALONG_SPACING: cell[0], ATTR_ACROSS_SPACING: cell[1]},
    )  # fmt: skip


def _outline(mask: np.ndarray, along: np.ndarray, across: np.ndarray) -> tuple[tuple[float, float], ...]:
    """The longest contour of a region at the half-cell level, in road coordinates."""
    contours = measure.find_contours(np.pad(mask.astype(np.float64), 1), 0.5)
    if not contours:
        return ()
    rc = max(contours, key=len)[:-1] - 1.0  # closed: drop the repeated vertex; undo the padding
    rows = np.interp(rc[:, 0], np.arange(along.size), along, left=np.nan, right=np.nan)
    cols = np.interp(rc[:, 1], np.arange(across.size), across, left=np.nan, right=np.nan)
    # contour points half a cell outside the grid: extrapolate linearly
    da = along[1] - along[0] if along.size > 1 else 0.0
    dc = across[1] - across[0] if across.size > 1 else 0.0
    rows = np.where(np.isnan(rows), along[0] + rc[:, 0] * da, rows)
    cols = np.where(np.isnan(cols), across[0] + rc[:, 1] * dc, cols)
    return tuple((float(a), float(c)) for a, c in zip(rows, cols, strict=True))


def find_potholes(
    scan: xr.Dataset,
    *,
    min_depth_mm: float = 5.0,
    edge_mm: float = 0.5,
    min_width_mm: float = 40.0,
    min_area_m2: float = 0.002,
    reference_window_m: float = 5.0,
    smooth_mm: float = 3.0,
    work_mm: float = 4.0,
    depth: xr.DataArray | None = None,
) -> tuple[list[PotholeMeasurement], xr.DataArray]:
    """Find and measure the potholes of a scan.

    Parameters
    ----------
    scan : xarray.Dataset
        ``elevation`` (mm) on ``("along", "across")`` with a known cell size.
    min_depth_mm : float
        A region must be at least this deep somewhere, mm.
    edge_mm : float
        Depth at which a region's outline is drawn, mm.
    min_width_mm : float
        Regions (or parts) narrower than this are removed first (cracks), mm.
    min_area_m2 : float
        Smallest pothole reported, m².
    reference_window_m, smooth_mm, work_mm
        See :func:`depression_depth`.
    depth : xarray.DataArray, optional
        The scan's :func:`depression_depth`, where already computed (the three options above are then unused).

    Returns
    -------
    potholes : list of PotholeMeasurement
        In order along the scan.
    labels : xarray.DataArray, dims ("along", "across"), int32
        On the working grid of :func:`depression_depth`: 0 outside potholes,
        k inside the k-th pothole of the list.
    """
    if not (edge_mm >= 0 and min_depth_mm > edge_mm):
        raise ValueError(f"need 0 ≤ edge_mm < min_depth_mm, got {edge_mm!r}, {min_depth_mm!r}")
    depth_da = depth if depth is not None else depression_depth(
        scan, reference_window_m=reference_window_m, smooth_mm=smooth_mm, work_mm=work_mm
    )
    cell = _cell_mm(depth_da.to_dataset())
    depth = np.nan_to_num(depth_da.values.astype(np.float64), nan=0.0)
    below = depth > edge_mm
    if min_width_mm > 0 and below.any():
        # opening by a disc of diameter min_width_mm, in mm whatever the cell shape: erosion and
        # dilation as thresholds of Euclidean distance transforms (fast for any disc size)
        r = min_width_mm / 2.0
        core = ndimage.distance_transform_edt(below, sampling=cell) > r
        below = ndimage.distance_transform_edt(~core, sampling=cell) <= r if core.any() else core
    labels, n = ndimage.label(below)
    cell_m2 = cell[0] * cell[1] * 1e-6
    along = depth_da[cv.ALONG].values.astype(np.float64)
    across = depth_da[cv.ACROSS].values.astype(np.float64)
    found = []
    out_labels = np.zeros(depth.shape, dtype=np.int32)
    if n:
        for index, region in enumerate(ndimage.find_objects(labels), start=1):
            if region is None:
                continue
            mask = labels[region] == index
            values = depth[region][mask]
            area = float(mask.sum()) * cell_m2
            if values.max() < min_depth_mm or area < min_area_m2:
                continue
            rows, cols = np.nonzero(mask)
            weights = values
            a_c = float(np.average(along[region[0]][rows], weights=weights))
            c_c = float(np.average(across[region[1]][cols], weights=weights))
            found.append((region, mask, PotholeMeasurement(
                along_m=a_c, across_m=c_c, area_m2=area, max_depth_mm=float(values.max()),
                mean_depth_mm=float(values.mean()), volume_m3=float(values.sum()) * 1e-3 * cell_m2,
                outline=_outline(mask, along[region[0]], across[region[1]]),
            )))  # fmt: skip
    found.sort(key=lambda item: (item[2].along_m, item[2].across_m))
    for k, (region, mask, _) in enumerate(found, start=1):
        out_labels[region][mask] = k
    potholes = [p for _, _, p in found]
    logger.info("%d potholes", len(potholes))
    labels_da = xr.DataArray(out_labels, dims=(cv.ALONG, cv.ACROSS), coords=depth_da.coords, name="pothole")
    return potholes, labels_da
