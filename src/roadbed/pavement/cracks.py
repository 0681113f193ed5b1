"""Cracks: detection on laser scans and photographs, and measurement to AASHTO R85 / ASTM D6433.

::

    mask = detect_cracks(scan)                 # scan: elevation (+ intensity) Dataset, or a photo
    report = measure_cracks(mask)              # one Hazard per crack, and a summary
    report.summary["total_length_m"], report.hazards[0].attributes["mean_width_mm"]

Detection
---------
*Laser scans* (a Dataset with ``elevation`` in mm, and ``intensity`` where
present): a crack is a cell that lies more than ``depth_threshold_mm`` below
the local mean level of the uncracked surface around it *and*, where the
scan has intensity, is darker than ``dark_ratio`` times the local mean
intensity. The local level is a mean over a window a few times the widest
crack, taken over the cells that a grey closing (which fills every slot
narrower than ``max_width_mm``) does not flag, so cracks do not pull it
down; slope, grade and ruts are wider than the window and cancel.
Components shorter than ``min_length_mm`` are dropped.

*Photographs* (intensity alone, pixel size unknown): the learned detector of
:mod:`.crack_model` (a filter bank, two stacked per-pixel networks and
hysteresis), trained on the CrackForest photographs.

Measurement
-----------
Each connected crack (8-connected) is thinned to its centreline
(Zhang–Suen), which is split into branches between end points and
junctions. Spurs shorter than the crack's width are pruned (they are
thinning artefacts), and at each junction the two branches that continue
each other most nearly straight are joined, so a crack that crosses another
stays one crack.

* **length**: the centreline's polyline, smoothed over a few pixels so the
  8-connected staircase does not add length, plus half the local width at
  each free end (thinning stops that short of the crack's tip);
* **width** at a centreline pixel ``p``, edge to edge through it:
  ``d₁ + d₂ − s``, with ``d₁`` the distance transform *at the centreline*
  (distance to the nearest non-crack cell ``q₁``), ``d₂`` the distance to
  the nearest non-crack cell on the other side (``(q − p)·(q₁ − p) < 0``)
  and ``s`` the grid spacing along ``p → q₁``'s main axis: each edge lies
  half a cell before its non-crack cell
  (:func:`~roadbed.pavement._crack_kernels.edge_distance`). An axis-aligned
  crack ``w`` cells wide measures exactly ``w`` cells, odd or even (where
  the centreline pixel sits in the middle this is ``2·DT − 1 px``). The mean width is the mean over the
  crack's centreline; the maximum is the maximum of the width profile after
  a running median over :data:`WIDTH_MEDIAN_PX` samples (a single cell of
  texture touching the crack does not set it). Samples within 1.5 widths of
  a junction or half a width of a free end are left out (there the distance
  measures the junction or the tip);
* **orientation**: of the principal axis of the centreline, degrees from the
  ``along`` (lane) direction, in (−90, 90];
* **type** (AASHTO R85): *pattern* where a crack network encloses
  :data:`PATTERN_MIN_CELLS` or more cells of at least ``min_cell_mm``²
  (alligator and block cracking); otherwise *longitudinal* when within
  ±:data:`LONGITUDINAL_MAX_ANGLE_DEG` of the lane direction and at least
  :data:`LONGITUDINAL_MIN_LENGTH_M` long, else *transverse*;
* **severity** (ASTM D6433 width classes, on the mean width): low < 10 mm,
  medium 10–75 mm, high > 75 mm;
* **extent** per lane zone (:class:`~roadbed.pavement.zones.LaneZones`):
  centreline length in each zone.

Where the pixel size is unknown (a photograph) every length and width is in
"pixels' worth of mm": one pixel counts as 1 mm, and ``pixel_size_mm`` is
reported as None.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from scipy import ndimage

from .. import conventions as cv
from ..conventions import ATTR_ACROSS_SPACING, ATTR_ALONG_SPACING
from ..hazards import Hazard
from ..model import append_history, coord_attrs
from . import _crack_kernels, _crack_reference
from .zones import ZONE_NAMES, LaneZones

__all__ = [
    "CRACK_TYPES",
    "SEVERITIES",
    "LONGITUDINAL_MAX_ANGLE_DEG",
    "LONGITUDINAL_MIN_LENGTH_M",
    "PATTERN_MIN_CELLS",
    "WIDTH_MEDIAN_PX",
    "MASK_NAME",
    "BRIEF_KEYS",
    "CrackReport",
    "crack_summary",
    "crack_severity",
    "detect_cracks",
    "measure_cracks",
]

logger = logging.getLogger(__name__)

#: AASHTO R85 crack types reported
CRACK_TYPES = ("longitudinal", "transverse", "pattern")
#: ASTM D6433 severity classes of longitudinal/transverse cracking, by mean width
SEVERITIES = ("low", "medium", "high")
#: D6433 width class limits, mm: low < 10, medium 10–75, high > 75
SEVERITY_LIMITS_MM = (10.0, 75.0)
#: a longitudinal crack runs within this angle of the lane direction, degrees (AASHTO R85)
LONGITUDINAL_MAX_ANGLE_DEG = 20.0
#: … and is at least this long, m
LONGITUDINAL_MIN_LENGTH_M = 0.3
#: a crack network enclosing this many cells is pattern (alligator/block) cracking
PATTERN_MIN_CELLS = 2
#: samples of the running median applied to a width profile before its maximum is taken
WIDTH_MEDIAN_PX = 5
#: samples of the moving average that smooths a centreline before its length is measured
SMOOTH_PX = 5
#: name of the mask DataArray
MASK_NAME = "crack"
#: the summary figures of one input that ``roadbed cracks --json`` and ``roadbed pavement --json`` print
BRIEF_KEYS = ("n_cracks", "total_length_m", "mean_width_mm", "max_width_mm", "types", "pixel_size_mm")
ENGINES = ("numba", "numpy")
SOURCE = "roadbed.pavement.cracks"


def _kernels(engine: str):
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    return _crack_kernels if engine == "numba" else _crack_reference


def crack_severity(width_mm: float) -> str:
    """ASTM D6433 severity of a longitudinal/transverse crack of mean width ``width_mm``."""
    if not math.isfinite(width_mm):
        raise ValueError(f"crack width must be finite, got {width_mm!r}")
    low, high = SEVERITY_LIMITS_MM
    return "low" if width_mm < low else ("medium" if width_mm <= high else "high")


# --- grids ------------------------------------------------------------------------------


def _spacing_from(obj) -> tuple[float, float] | None:
    """(along, across) cell size in mm of a scan or mask, or None where it is unknown."""
    for dim in (cv.ALONG, cv.ACROSS):
        if dim in obj.coords and obj[dim].attrs.get(cv.ATTR_UNITS, cv.UNIT_M) != cv.UNIT_M:
            return None
    sizes = []
    for key, dim in ((ATTR_ALONG_SPACING, cv.ALONG), (ATTR_ACROSS_SPACING, cv.ACROSS)):
        value = obj.attrs.get(key)
        if value is None and dim in obj.coords and obj.sizes[dim] >= 2:
            value = float(np.median(np.diff(np.asarray(obj[dim].values, np.float64)))) * 1e3
        if value is None or not (math.isfinite(float(value)) and float(value) > 0):
            return None
        sizes.append(float(value))
    return (sizes[0], sizes[1])


def _pixel_size(pixel_size_mm) -> tuple[float, float] | None:
    if pixel_size_mm is None:
        return None
    size = np.broadcast_to(np.asarray(pixel_size_mm, dtype=np.float64), (2,))
    if not np.all(np.isfinite(size) & (size > 0)):
        raise ValueError(f"pixel_size_mm must be one or two positive numbers, got {pixel_size_mm!r}")
    return (float(size[0]), float(size[1]))


def _mask_array(mask, coords: dict | None, spacing, attrs: dict, method: str) -> xr.DataArray:
    dims = (cv.ALONG, cv.ACROSS)
    if coords is None:
        n_a, n_c = mask.shape
        if spacing is None:
            row = {cv.ATTR_UNITS: cv.UNIT_COUNTS, cv.ATTR_LONG_NAME: "row (pixel size unknown)"}
            col = {cv.ATTR_UNITS: cv.UNIT_COUNTS, cv.ATTR_LONG_NAME: "column (pixel size unknown)"}
            coords = {cv.ALONG: (cv.ALONG, np.arange(n_a, dtype=np.float64), row),
                      cv.ACROSS: (cv.ACROSS, np.arange(n_c, dtype=np.float64), col)}  # fmt: skip
        else:
            coords = {cv.ALONG: (cv.ALONG, np.arange(n_a) * spacing[0] * 1e-3, coord_attrs(cv.ALONG)),
                      cv.ACROSS: (cv.ACROSS, np.arange(n_c) * spacing[1] * 1e-3, coord_attrs(cv.ACROSS))}  # fmt: skip
    out_attrs = {k: v for k, v in attrs.items() if k in (cv.ATTR_HISTORY, cv.ATTR_SOURCE, cv.ATTR_FORMAT)}
    out_attrs[cv.ATTR_LONG_NAME] = "crack mask"
    out_attrs["method"] = method
    if spacing is not None:
        out_attrs[ATTR_ALONG_SPACING], out_attrs[ATTR_ACROSS_SPACING] = float(spacing[0]), float(spacing[1])
    return xr.DataArray(np.asarray(mask, dtype=bool), dims=dims, coords=coords, attrs=out_attrs, name=MASK_NAME)


# --- detection ----------------------------------------------------------------------------


def detect_cracks(
    scan_or_image,
    *,
    depth_threshold_mm: float = 2.0,
    dark_ratio: float = 0.6,
    max_width_mm: float = 40.0,
    min_length_mm: float = 30.0,
    model=None,
    engine: str = "numba",
) -> xr.DataArray:
    """Crack mask of a laser scan (elevation and intensity) or of a photograph (intensity alone).

    Parameters
    ----------
    scan_or_image : xarray.Dataset, xarray.DataArray or array_like
        A scan on ``("along", "across")`` with ``elevation`` (mm, NaN where
        missing) and optionally ``intensity`` (0–1), as from
        :func:`roadbed.synth.synthetic_pavement` or
        :func:`roadbed.pavement.read_scan`; or an intensity image: a scan
        without elevation, a 2-D DataArray or array (rows along the road,
        columns across; grey levels of any scale).
    depth_threshold_mm : float
        Scans: how far below the local surface a crack cell lies, mm.
    dark_ratio : float
        Scans with intensity: a crack cell is darker than this fraction of
        the local mean intensity.
    max_width_mm : float
        Scans: the widest crack to look for, mm (sets the closing window).
    min_length_mm : float
        Scans: cracks whose bounding box is shorter than this are dropped, mm.
    model : CrackModel, optional
        Photographs: the detector (default: the one shipped, :func:`.crack_model.load_model`).
    engine : {"numba", "numpy"}
        Scans: kernels or their numpy/scipy twins.

    Returns
    -------
    xarray.DataArray
        ``crack`` (bool, True on crack cells) on ``("along", "across")``
        with the input's coords; attrs ``method`` and, where the cell size
        is known, ``along_spacing_mm``/``across_spacing_mm``.
    """
    for name, value in (("depth_threshold_mm", depth_threshold_mm), ("max_width_mm", max_width_mm)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    if not (0 < dark_ratio < 1):
        raise ValueError(f"dark_ratio must be in (0, 1), got {dark_ratio!r}")
    if not (math.isfinite(min_length_mm) and min_length_mm >= 0):
        raise ValueError(f"min_length_mm must be ≥ 0, got {min_length_mm!r}")
    kernels = _kernels(engine)

    if isinstance(scan_or_image, xr.Dataset):
        scan = scan_or_image
        spacing = _spacing_from(scan)
        coords = {d: scan[d] for d in (cv.ALONG, cv.ACROSS) if d in scan.coords}
        coords = coords if len(coords) == 2 else None
        if cv.ELEVATION in scan.data_vars:
            if spacing is None:
                raise ValueError("a scan with elevation needs its cell size: along/across coords in m or "
                                 "along_spacing_mm/across_spacing_mm attributes")  # fmt: skip
            elevation = np.asarray(scan[cv.ELEVATION].transpose(cv.ALONG, cv.ACROSS).values, np.float32)
            intensity = None
            if cv.INTENSITY in scan.data_vars:
                intensity = np.asarray(scan[cv.INTENSITY].transpose(cv.ALONG, cv.ACROSS).values, np.float32)
            mask = _detect_scan(
                elevation, intensity, spacing, depth_threshold_mm=depth_threshold_mm, dark_ratio=dark_ratio,
                max_width_mm=max_width_mm, min_length_mm=min_length_mm, kernels=kernels,
            )  # fmt: skip
            method = "elevation+intensity" if intensity is not None else "elevation"
            params = dict(depth_threshold_mm=depth_threshold_mm, max_width_mm=max_width_mm,
                          min_length_mm=min_length_mm)  # fmt: skip
            if intensity is not None:
                params["dark_ratio"] = dark_ratio
        elif cv.INTENSITY in scan.data_vars:
            image = np.asarray(scan[cv.INTENSITY].transpose(cv.ALONG, cv.ACROSS).values, np.float32)
            mask, method, params = _detect_photo(image, model)
        else:
            raise ValueError(f"a scan needs an {cv.ELEVATION!r} or {cv.INTENSITY!r} variable, "
                             f"got {list(scan.data_vars)}")  # fmt: skip
        out = _mask_array(mask, coords, spacing, dict(scan.attrs), method)
    else:
        da = scan_or_image if isinstance(scan_or_image, xr.DataArray) else None
        image = np.asarray(scan_or_image.values if da is not None else scan_or_image)
        if image.ndim != 2:
            raise ValueError(f"an intensity image must be 2-D, got shape {image.shape}")
        if image.dtype.kind not in "uifb":
            raise ValueError(f"an intensity image must be numeric, got dtype {image.dtype}")
        spacing, coords, attrs = None, None, {}
        if da is not None and set(da.dims) == {cv.ALONG, cv.ACROSS}:
            da = da.transpose(cv.ALONG, cv.ACROSS)
            image = np.asarray(da.values)
            spacing = _spacing_from(da)
            coords = {d: da[d] for d in (cv.ALONG, cv.ACROSS) if d in da.coords}
            coords = coords if len(coords) == 2 else None
            attrs = dict(da.attrs)
        mask, method, params = _detect_photo(image.astype(np.float32), model)
        out = _mask_array(mask, coords, spacing, attrs, method)
    out = append_history(out, "detect_cracks", method=method, **params)
    logger.info("detect_cracks (%s): %d crack cells of %d", method, int(out.values.sum()), out.size)
    return out


def _detect_photo(image: np.ndarray, model):
    from .crack_model import load_model

    if not np.all(np.isfinite(image)):
        raise ValueError("the intensity image has non-finite values")
    model = model if model is not None else load_model()
    return model.predict(image), "intensity-model", {"model": model.name}


def _detect_scan(elevation, intensity, spacing, *, depth_threshold_mm, dark_ratio, max_width_mm, min_length_mm,
                 kernels) -> np.ndarray:  # fmt: skip
    sa, sc = spacing
    # closing half-window: fills slots up to max_width_mm across in either direction
    ha = int(math.ceil(max_width_mm / (2 * sa))) + 1
    hc = int(math.ceil(max_width_mm / (2 * sc))) + 1
    # a missing cell must not raise the closing; −inf is ignored by its dilation
    holes = ~np.isfinite(elevation)
    filled = np.where(holes, np.float32(-np.inf), elevation) if holes.any() else elevation
    closed = kernels.closing(filled, ha, hc)
    light = intensity if intensity is not None else np.zeros((0, 0), np.float32)
    mask = kernels.crack_cells(elevation, closed, light, depth_threshold_mm, dark_ratio, 2 * ha, 2 * hc)
    return _drop_short(mask, spacing, min_length_mm)


def _drop_short(mask: np.ndarray, spacing, min_length_mm: float) -> np.ndarray:
    if min_length_mm <= 0 or not mask.any():
        return mask
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    keep = np.zeros(n + 1, bool)
    for i, sl in enumerate(ndimage.find_objects(labels)):
        extent = math.hypot((sl[0].stop - sl[0].start) * spacing[0], (sl[1].stop - sl[1].start) * spacing[1])
        keep[i + 1] = extent >= min_length_mm
    return keep[labels]


# --- measurement --------------------------------------------------------------------------


@dataclass(frozen=True)
class CrackReport:
    """The cracks of one mask.

    Attributes
    ----------
    hazards : list of Hazard
        One per crack: longitudinal and transverse cracks are polylines
        along their centreline, pattern cracking a polygon round the
        network; attributes ``crack_type``, ``length_m``, ``mean_width_mm``
        (also as ``width_mm``), ``max_width_mm``, ``orientation_deg``,
        ``severity``, ``length_m_<zone>`` per lane zone, and for pattern
        cracking ``area_m2`` and ``n_cells``.
    summary : dict
        ``n_cracks``, ``total_length_m``, ``mean_width_mm`` (length-weighted),
        ``max_width_mm``, ``types`` (count per :data:`CRACK_TYPES`),
        ``length_m_by_type``, ``severities``, ``extent_m`` (length per lane
        zone and type), ``pattern_area_m2`` and ``pixel_size_mm`` (None where
        unknown: lengths and widths then count one pixel as 1 mm).
    """

    hazards: list = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    def brief(self) -> dict:
        """The figures ``roadbed cracks --json`` prints: :data:`BRIEF_KEYS` of :attr:`summary` (plain JSON types)."""
        out = {key: self.summary[key] for key in BRIEF_KEYS}
        out["types"] = dict(out["types"])
        return out


def crack_summary(scan_or_image, **detect_kw) -> dict:
    """Detect and measure in one call: :meth:`CrackReport.brief` of :func:`measure_cracks` of :func:`detect_cracks`.

    This is the ``cracks`` object of ``roadbed pavement --json``.
    """
    return measure_cracks(detect_cracks(scan_or_image, **detect_kw)).brief()


@dataclass
class _Branch:
    pixels: np.ndarray  # (n, 2) row, col within the component's box
    ends: tuple[int, int]  # node ids at both ends
    points_mm: np.ndarray  # (n, 2) smoothed, mm
    length_mm: float
    widths: np.ndarray  # (n,) mm


def measure_cracks(
    mask,
    *,
    pixel_size_mm=None,
    zones: LaneZones | None = None,
    min_length_mm: float = 0.0,
    min_cell_mm: float = 30.0,
    source: str = "",
    engine: str = "numba",
) -> CrackReport:
    """Measure every crack of a mask: centreline, length, width, orientation, type, severity, extent.

    Parameters
    ----------
    mask : xarray.DataArray or array_like, shape (n_along, n_across), bool
        From :func:`detect_cracks`, or any binary mask (rows along the lane).
    pixel_size_mm : float or (float, float), optional
        ``(along, across)`` cell size, mm; default from the mask's attributes
        or coords; where unknown one pixel counts as 1 mm.
    zones : LaneZones, optional
        The lane; default :meth:`LaneZones.for_extent` of the mask's width
        where that holds a lane (none for photographs).
    min_length_mm : float
        Cracks shorter than this are not reported, mm.
    min_cell_mm : float
        Holes in a crack network smaller than this squared are filled
        (texture, not cells), mm.
    source : str
        ``Hazard.source`` of the records (default the mask's ``source_file``).
    engine : {"numba", "numpy"}

    Returns
    -------
    CrackReport
    """
    kernels = _kernels(engine)
    da = mask if isinstance(mask, xr.DataArray) else None
    if da is not None and set(da.dims) == {cv.ALONG, cv.ACROSS}:
        da = da.transpose(cv.ALONG, cv.ACROSS)
    values = np.asarray(da.values if da is not None else mask)
    if values.ndim != 2:
        raise ValueError(f"a crack mask must be 2-D, got shape {values.shape}")
    values = values.astype(bool)
    spacing = _pixel_size(pixel_size_mm)
    if spacing is None and da is not None:
        spacing = _spacing_from(da)
    known = spacing is not None
    sa, sc = spacing if known else (1.0, 1.0)
    # positions of rows and columns, m
    along0 = across0 = 0.0
    if known and da is not None and cv.ALONG in da.coords and cv.ACROSS in da.coords:
        along0 = float(da[cv.ALONG].values[0])
        across0 = float(da[cv.ACROSS].values[0])
    if zones is None and known:
        extent = (across0, across0 + (values.shape[1] - 1) * sc * 1e-3)
        try:
            zones = LaneZones.for_extent(*extent)
        except ValueError:
            zones = None
    if not source and da is not None:
        source = str(da.attrs.get(cv.ATTR_SOURCE, ""))
    source = source or SOURCE

    hazards = []
    labels, n = ndimage.label(values, structure=np.ones((3, 3), bool))
    for i, sl in enumerate(ndimage.find_objects(labels)):
        r0, c0 = max(sl[0].start - 1, 0), max(sl[1].start - 1, 0)
        box = labels[r0 : sl[0].stop + 1, c0 : sl[1].stop + 1] == i + 1
        for record in _measure_component(box, (sa, sc), min_cell_mm, kernels):
            if record["length_mm"] < min_length_mm:
                continue
            hazards.append(_hazard(record, (r0, c0), (sa, sc), (along0, across0), zones, source, known, kernels))
    summary = _summary(hazards, zones, spacing)
    return CrackReport(hazards=hazards, summary=summary)


def _fill_small_holes(box: np.ndarray, min_area_px: float) -> tuple[np.ndarray, int]:
    """The component with its holes smaller than ``min_area_px`` filled, and the number of larger holes (cells)."""
    # holes: background regions (4-connected, as the complement of an 8-connected component) off the border
    labels, n = ndimage.label(~box)
    if n <= 1:
        return box, 0
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    outside = np.zeros(n + 1, bool)
    outside[np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))] = True
    outside[0] = True
    small = ~outside & (sizes < min_area_px)
    cells = int(np.count_nonzero(~outside & ~small))
    return (box | small[labels]) if small.any() else box, cells


def _smooth(points: np.ndarray, closed: bool) -> np.ndarray:
    """Moving average over :data:`SMOOTH_PX` points; ends stay where they are."""
    n = len(points)
    if n <= 2:
        return points.astype(np.float64)
    half = min(SMOOTH_PX // 2, (n - 1) // 2)
    if half < 1:
        return points.astype(np.float64)
    k = 2 * half + 1
    if closed:
        ring = np.concatenate([points[-half - 1 : -1], points, points[1 : half + 1]])
        out = ndimage.uniform_filter1d(ring.astype(np.float64), k, axis=0, mode="nearest")[half:-half]
        return out
    out = ndimage.uniform_filter1d(points.astype(np.float64), k, axis=0, mode="nearest")
    # shrink the window towards the ends so they are not pulled inwards
    for j in range(half):
        out[j] = points[: 2 * j + 1].mean(axis=0)
        out[n - 1 - j] = points[n - 1 - 2 * j :].mean(axis=0)
    return out


def _polyline_length(points: np.ndarray) -> float:
    return float(np.sum(np.hypot(*np.diff(points, axis=0).T))) if len(points) > 1 else 0.0


def _measure_component(box, spacing, min_cell_mm, kernels) -> list[dict]:
    """Records (one per crack) of one connected component in its box."""
    sa, sc = spacing
    box, n_cells = _fill_small_holes(box, (min_cell_mm**2) / (sa * sc))
    skel = kernels.thin(box)
    if not skel.any():
        return []
    pixels, starts, degree = kernels.trace_branches(skel)
    rows, cols = np.nonzero(skel)
    max_radius = 2.0 * max(box.shape[0] * sa, box.shape[1] * sc)
    width_map = np.full(box.shape, np.nan)
    width_map[rows, cols] = kernels.edge_distance(box, rows.astype(np.int64), cols.astype(np.int64), sa, sc,
                                                  max_radius)  # fmt: skip
    scale = np.array([sa, sc])

    # nodes: clusters of touching end/junction pixels
    node_px = (skel & (degree != 2))
    node_labels, _ = ndimage.label(node_px, structure=np.ones((3, 3), bool))
    branches: list[_Branch] = []
    for b in range(len(starts) - 1):
        px = pixels[starts[b] : starts[b + 1]]
        closed = len(px) > 2 and np.array_equal(px[0], px[-1])
        a_node = int(node_labels[px[0, 0], px[0, 1]])
        z_node = int(node_labels[px[-1, 0], px[-1, 1]])
        if len(px) > 1 and a_node and a_node == z_node and not closed and len(px) <= 3:
            continue  # a step inside one junction cluster
        pts = _smooth(px * scale, closed)
        ws = width_map[px[:, 0], px[:, 1]]
        branches.append(_Branch(px, (a_node, z_node), pts, _polyline_length(pts), ws))
    branches = _prune_spurs(branches)
    node_count = _node_degree(branches)
    if n_cells >= PATTERN_MIN_CELLS:
        return [_record(branches, node_count, "pattern", n_cells)]
    return [_record(chain, node_count, None, 0) for chain in _chains(branches)]


def _node_degree(branches) -> dict:
    count: dict[int, int] = {}
    for br in branches:
        for node in br.ends:
            if node:
                count[node] = count.get(node, 0) + 1
    return count


def _prune_spurs(branches: list) -> list:
    """Drop short branches from a junction to a free end (thinning artefacts); one pass."""
    count = _node_degree(branches)
    kept = []
    for br in branches:
        a, z = br.ends
        free_a, free_z = count.get(a, 0) == 1, count.get(z, 0) == 1
        junction = (a and count.get(a, 0) >= 3) or (z and count.get(z, 0) >= 3)
        if junction and (free_a or free_z):
            w = np.nanmax(br.widths) if np.any(np.isfinite(br.widths)) else 0.0
            if br.length_mm < max(w, 1e-9):
                continue
        kept.append(br)
    return kept


def _direction_at(br: _Branch, node: int, span_mm: float) -> np.ndarray:
    """Unit vector from ``node`` to the branch's point ``span_mm`` along it (its end, if shorter)."""
    pts = br.points_mm if br.ends[0] == node else br.points_mm[::-1]
    steps = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
    j = min(max(int(np.searchsorted(steps, span_mm)), 1), len(pts) - 1)
    v = pts[j] - pts[0]
    norm = float(np.hypot(*v))
    return v / norm if norm > 0 else v


def _median_width(br: _Branch) -> float:
    return float(np.nanmedian(br.widths)) if np.any(np.isfinite(br.widths)) else 1.0


def _chains(branches: list) -> list[list[_Branch]]:
    """Join branches through junctions by good continuation; each chain is one crack."""
    if not branches:
        return []
    # a crack crossing a wider one meets its centreline at two nearby junctions (the further apart the shallower
    # the crossing): contract the short piece of centreline between them into one node, so that the crossing
    # crack can continue through it
    count = _node_degree(branches)
    widest: dict[int, float] = {}
    for br in branches:
        for node in br.ends:
            if node:
                widest[node] = max(widest.get(node, 0.0), _median_width(br))
    root = {node: node for node in count}

    def find(node):
        while root[node] != node:
            root[node] = root[root[node]]
            node = root[node]
        return node

    internal = []
    for k, br in enumerate(branches):
        a, z = br.ends
        if (a and z and a != z and count[a] >= 3 and count[z] >= 3
                and br.length_mm <= 3.0 * max(widest[a], widest[z])):  # fmt: skip
            root[find(a)] = find(z)
            internal.append(k)
    ends_of = {k: tuple(find(nd) if nd else 0 for nd in br.ends) for k, br in enumerate(branches)}
    at_node: dict[int, list[int]] = {}
    for k in range(len(branches)):
        if k in internal:
            continue
        for node in set(ends_of[k]):
            if node:
                at_node.setdefault(node, []).append(k)
    partner: dict[tuple[int, int], int] = {}  # (branch, node) → branch it continues into
    for node, ks in at_node.items():
        if len(ks) < 2:
            continue
        # look past the junction's own blob: a few widths of the widest crack meeting there, at least 20 mm
        span = max(20.0, 3.0 * max(_median_width(branches[k]) for k in ks))
        dirs = {k: _direction_at(branches[k], _end_near(branches[k], ends_of[k], node), span) for k in ks}
        pairs = sorted(((float(dirs[p] @ dirs[q]), p, q) for ii, p in enumerate(ks) for q in ks[ii + 1 :] if p != q))
        taken = set()
        for cos, p, q in pairs:
            # opposite directions (cos near −1) continue each other; a bend of more than 45° ends the crack,
            # except at a node joining exactly two branches (no junction: just where thinning split it)
            if p in taken or q in taken or (cos > -0.7 and len(ks) > 2):
                continue
            partner[(p, node)] = q
            partner[(q, node)] = p
            taken |= {p, q}
    links: dict[int, list[int]] = {k: [] for k in range(len(branches))}
    for (k, _node), q in partner.items():
        links[k].append(q)
    seen: set[int] = set(internal)
    chains = []
    for k in range(len(branches)):
        if k in seen:
            continue
        # the branches joined to k, then a walk from one end of that chain (any branch of a closed one)
        group, todo = {k}, [k]
        while todo:
            for q in links[todo.pop()]:
                if q not in group:
                    group.add(q)
                    todo.append(q)
        ends = sorted(b for b in group if len(links[b]) < 2)
        cur, order = (ends[0] if ends else min(group)), []
        while cur is not None:
            seen.add(cur)
            order.append(cur)
            nxt = [q for q in links[cur] if q not in seen]
            cur = nxt[0] if nxt else None
        chains.append(order)
    # each contracted piece belongs to the crack that runs through the junction: the one with the widest branch
    for k in internal:
        node = find(branches[k].ends[0])
        meeting = [c for c in chains if any(node in ends_of[j] for j in c)]
        if meeting:
            max(meeting, key=lambda c: max(_median_width(branches[j]) for j in c)).append(k)
        else:
            chains.append([k])
    return [[branches[j] for j in c] for c in chains]


def _end_near(br: _Branch, mapped_ends: tuple, node: int) -> int:
    """The branch's own node id at the end that maps to the (contracted) ``node``."""
    return br.ends[0] if mapped_ends[0] == node else br.ends[1]


def _record(chain: list, node_count: dict, crack_type, n_cells) -> dict:
    """Length, widths, orientation and type of one crack (a chain of branches, or a whole network)."""
    length = 0.0
    samples, everything, points, tips = [], [], [], []
    for br in chain:
        length += br.length_mm
        points.append(br.points_mm)
        # width samples away from junctions and free ends (there the distance measures the node, not the crack)
        steps = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(br.points_mm, axis=0).T))])
        ws = br.widths
        good = np.isfinite(ws)
        ref = np.nanmedian(ws) if good.any() else 0.0
        for node, dist in ((br.ends[0], steps), (br.ends[1], steps[-1] - steps)):
            if node:
                # a junction disturbs the width out to ~1.5 widths (branches meeting at 45°), a tip to half a width
                degree = node_count.get(node, 0)
                if degree != 2:
                    good &= dist > (1.5 * ref if degree > 2 else 0.5 * ref)
        samples.append(ws[good])
        everything.append(ws)
        # thinning stops about half a width short of a free end
        for node, j in ((br.ends[0], 0), (br.ends[1], -1)):
            if node and node_count.get(node, 0) == 1 and np.isfinite(ws[j]):
                extra = max(float(np.nanmedian(ws)) / 2.0, 0.0)
                length += extra
                tips.append((br.points_mm[j], extra))
    widths = np.concatenate(samples) if samples else np.array([])
    if not widths.size:  # a crack too short to have a sample clear of its ends: use them all
        widths = np.concatenate(everything) if everything else widths
    widths = widths[np.isfinite(widths)]
    pts = np.concatenate(points) if points else np.zeros((0, 2))
    mean_w = float(widths.mean()) if widths.size else float("nan")
    if widths.size >= WIDTH_MEDIAN_PX:
        # the profile in chain order, median-smoothed before the maximum
        max_w = float(np.max(ndimage.median_filter(widths, size=WIDTH_MEDIAN_PX, mode="nearest")))
    else:
        max_w = float(widths.max()) if widths.size else float("nan")
    orientation = _orientation(pts)
    if crack_type is None:
        along_ish = abs(orientation) <= LONGITUDINAL_MAX_ANGLE_DEG
        crack_type = "longitudinal" if along_ish and length >= LONGITUDINAL_MIN_LENGTH_M * 1e3 else "transverse"
    return {
        "crack_type": crack_type,
        "length_mm": length,
        "mean_width_mm": mean_w,
        "max_width_mm": max_w,
        "orientation_deg": orientation,
        "chain_points_mm": [br.points_mm for br in chain],
        "tips": tips,
        "n_branches": len(chain),
        "n_cells": n_cells,
    }


def _orientation(pts: np.ndarray) -> float:
    """Principal-axis angle of points (mm; column 0 along), degrees from the along axis in (−90, 90]."""
    if len(pts) < 2:
        return 0.0
    d = pts - pts.mean(axis=0)
    cov = d.T @ d
    vals, vecs = np.linalg.eigh(cov)
    v = vecs[:, np.argmax(vals)]
    angle = math.degrees(math.atan2(v[1], v[0]))
    if angle <= -90.0:
        angle += 180.0
    elif angle > 90.0:
        angle -= 180.0
    return angle


def _zone_lengths(record, offset_mm, zones: LaneZones | None, across0_m: float) -> dict:
    """Centreline length in each lane zone, m (the tips' extensions counted where they lie)."""
    if zones is None:
        return {}
    out = dict.fromkeys(ZONE_NAMES, 0.0)
    pieces = [(((p[1:] + p[:-1]) / 2.0)[:, 1], np.hypot(*np.diff(p, axis=0).T)) for p in record["chain_points_mm"]
              if len(p) >= 2]  # fmt: skip
    pieces += [(np.array([p[1]]), np.array([extra])) for p, extra in record["tips"]]
    for across_mm, seg in pieces:
        idx = zones.zone_index(across0_m + (across_mm + offset_mm[1]) * 1e-3)
        for z, name in enumerate(ZONE_NAMES):
            out[name] += float(seg[idx == z].sum()) * 1e-3
    return out


def _hazard(record, origin_px, spacing, origin_m, zones, source, known, kernels) -> Hazard:
    sa, sc = spacing
    offset_mm = np.array([origin_px[0] * sa, origin_px[1] * sc])
    along0, across0 = origin_m

    def to_m(pts):
        return np.column_stack([along0 + (pts[:, 0] + offset_mm[0]) * 1e-3,
                                across0 + (pts[:, 1] + offset_mm[1]) * 1e-3])  # fmt: skip

    mean_w = record["mean_width_mm"]
    attrs = {
        "crack_type": record["crack_type"],
        "length_m": record["length_mm"] * 1e-3,
        "mean_width_mm": mean_w,
        "width_mm": mean_w,
        "max_width_mm": record["max_width_mm"],
        "orientation_deg": record["orientation_deg"],
        "severity": crack_severity(mean_w) if math.isfinite(mean_w) else "low",
        "n_branches": record["n_branches"],
        "pixel_size_mm": [sa, sc] if known else None,
    }
    for name, value in _zone_lengths(record, offset_mm, zones, across0).items():
        attrs[f"length_m_{name}"] = value
    if record["crack_type"] == "pattern":
        from scipy.spatial import ConvexHull, QhullError

        pts = to_m(np.concatenate(record["chain_points_mm"]))
        try:
            hull = ConvexHull(pts)
            outline = pts[hull.vertices]
            area = float(hull.volume)
        except (QhullError, ValueError):
            outline, area = pts[:1], 0.0
        attrs["area_m2"] = area
        attrs["n_cells"] = record["n_cells"]
        kind = "polygon" if len(outline) >= 3 else "point"
        return Hazard("crack", kind, [(a, c, 0.0) for a, c in outline], attrs, source=source)
    # one polyline: the chain's branches end to end, simplified to within a quarter of a cell
    pieces = [p for p in record["chain_points_mm"] if len(p)]
    pts = pieces[0]
    for p in pieces[1:]:
        if np.hypot(*(p[-1] - pts[-1])) < np.hypot(*(p[0] - pts[-1])):
            p = p[::-1]
        pts = np.concatenate([pts, p])
    pts = pts[kernels.simplify_polyline(np.ascontiguousarray(pts, np.float64), 0.25 * min(sa, sc))]
    verts = to_m(pts)
    kind = "polyline" if len(verts) >= 2 else "point"
    return Hazard("crack", kind, [(a, c, 0.0) for a, c in verts], attrs, source=source)


def _summary(hazards: list, zones, spacing) -> dict:
    lengths = np.array([h.attributes["length_m"] for h in hazards])
    widths = np.array([h.attributes["mean_width_mm"] for h in hazards])
    ok = np.isfinite(widths) & (lengths > 0)
    types = {t: sum(h.attributes["crack_type"] == t for h in hazards) for t in CRACK_TYPES}
    extent = {}
    if zones is not None:
        for name in ZONE_NAMES:
            extent[name] = {t: float(sum(h.attributes.get(f"length_m_{name}", 0.0) for h in hazards
                                         if h.attributes["crack_type"] == t)) for t in CRACK_TYPES}  # fmt: skip
    return {
        "n_cracks": len(hazards),
        "total_length_m": float(lengths.sum()) if lengths.size else 0.0,
        "mean_width_mm": float(np.average(widths[ok], weights=lengths[ok])) if ok.any() else None,
        "max_width_mm": float(np.nanmax([h.attributes["max_width_mm"] for h in hazards])) if hazards else None,
        "types": types,
        "length_m_by_type": {t: float(sum(h.attributes["length_m"] for h in hazards
                                          if h.attributes["crack_type"] == t)) for t in CRACK_TYPES},  # fmt: skip
        "severities": {s: sum(h.attributes["severity"] == s for h in hazards) for s in SEVERITIES},
        "extent_m": extent,
        "pattern_area_m2": float(sum(h.attributes.get("area_m2", 0.0) for h in hazards)),
        "pixel_size_mm": list(spacing) if spacing is not None else None,
    }
