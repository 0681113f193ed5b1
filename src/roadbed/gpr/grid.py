"""Gridding: the channels and lines of a survey binned or interpolated into one regular volume.

A survey's profiles (see :mod:`roadbed.survey`) carry ``along`` (m) on
``trace`` and ``across`` (m) on ``trace`` (a single-channel line) or on
``channel`` (an array). :func:`grid_survey` puts every trace of every profile
on one regular road-local grid and returns a volume with dims
``("along", "across", "twt")`` or ``("along", "across", "depth")``:

- ``along``/``across`` (m) are the cell centres, ``along_step_m`` and
  ``across_step_m`` apart, from the smallest to the largest trace position
  (or over ``along_range_m``/``across_range_m``); cell ``(i, j)`` holds the
  traces within half a step of its centre.
- ``count`` (on ``along``, ``across``) is the number of traces in each cell,
  whatever the method.
- ``x``/``y`` (m, on ``along``, ``across``): map coordinates of the cell
  centres, where every profile has map ``x``/``y`` on ``trace``. They come
  from one affine road→map transform fitted by least squares to every
  trace's ``along``/``across`` and ``x``/``y``; its coefficients and fit
  residual are in the attributes (see :class:`RoadToMap`). For an array file
  a trace's map position is taken to be that of the centre of its channels
  (the mean ``across``), where the GNSS antenna of a survey vehicle sits.
- Attributes shared (with equal values) by all profiles are kept;
  ``history`` holds every profile's history lines, then the gridding step.

Methods:

``"bin"``
    The mean of the traces in each cell; cells without a trace are NaN.
    ``max_gap_m`` is not used.
``"idw"``
    The inverse-distance-weighted mean (``w = 1 / d**power``) of the traces
    within ``max_gap_m`` of the cell centre; a trace at the centre gives its
    value exactly. Cells with no trace within ``max_gap_m`` are NaN.
``"linear"``
    Piecewise-linear interpolation on the Delaunay triangulation of the
    trace positions (exact for a field linear in ``along`` and ``across``);
    for traces on one straight line, linear interpolation along it. Cells
    outside the triangulation, or whose nearest trace is farther than
    ``max_gap_m``, are NaN. Traces at one position are averaged first.

All profiles must share the vertical axis (``twt`` or ``depth``); a profile
whose axis differs is linearly interpolated onto the first profile's axis.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .. import conventions as cv
from ..model import append_history, coord_attrs, history
from . import _grid_kernels, _grid_reference
from ._apply import check_engine

__all__ = [
    "COUNT",
    "METHODS",
    "RoadToMap",
    "default_steps",
    "depth_slice",
    "fit_road_to_map",
    "grid_array",
    "grid_survey",
    "road_to_map",
]

logger = logging.getLogger(__name__)

#: name of the per-cell trace count coordinate of a gridded volume
COUNT = "count"
#: attribute: the fitted road→map transform ``[x0, x_along, x_across, y0, y_along, y_across]``
ATTR_ROAD_TO_MAP = "road_to_map"
#: attribute: ``"affine"`` or ``"similarity"`` (the transform fitted)
ATTR_MAP_FIT = "road_to_map_fit"
#: attributes: root-mean-square and largest distance (m) of the positions from the fitted transform
ATTR_MAP_FIT_RMS = "road_to_map_rms_m"
ATTR_MAP_FIT_MAX = "road_to_map_max_m"

#: the gridding methods of :func:`grid_survey`
METHODS = ("bin", "idw", "linear")
#: slab values of :func:`depth_slice`
SLICE_VALUES = ("envelope", "abs", "amplitude")

_BLOCK_TRACES = 4096  # traces read at a time when binning, so a lazy file is never read whole
_MAX_VOLUME_BYTES = 64 * 2**30
_VERTICAL = (cv.TWT, cv.DEPTH)

_KERNELS = {"numba": _grid_kernels, "numpy": _grid_reference}


# --- the road→map transform --------------------------------------------------------------


@dataclass(frozen=True)
class RoadToMap:
    """An affine transform from road-local ``along``/``across`` (m) to map ``x``/``y`` (m).

    ``x = x0 + x_along·along + x_across·across`` and
    ``y = y0 + y_along·along + y_across·across``.

    Attributes
    ----------
    coefficients : tuple of float
        ``(x0, x_along, x_across, y0, y_along, y_across)``.
    kind : {"affine", "similarity"}
        ``"similarity"`` (rotation and scale, ``across`` to the left of
        ``along``) where the positions lie on one line across, so that a
        general affine transform is not determined by them.
    rms_m, max_m : float
        Root-mean-square and largest distance of the fitted positions from
        the transform, m.
    n_points : int
        Number of positions fitted.
    """

    coefficients: tuple[float, float, float, float, float, float]
    kind: str
    rms_m: float
    max_m: float
    n_points: int

    def __call__(self, along_m, across_m) -> tuple[np.ndarray, np.ndarray]:
        """Map ``x``, ``y`` (m) of road-local positions (arrays broadcast together)."""
        x0, xa, xc, y0, ya, yc = self.coefficients
        along_m, across_m = np.asarray(along_m, float), np.asarray(across_m, float)
        return x0 + xa * along_m + xc * across_m, y0 + ya * along_m + yc * across_m

    def attrs(self) -> dict:
        """The transform as flat attributes of a volume."""
        return {
            ATTR_ROAD_TO_MAP: [float(v) for v in self.coefficients],
            ATTR_MAP_FIT: self.kind,
            ATTR_MAP_FIT_RMS: float(self.rms_m),
            ATTR_MAP_FIT_MAX: float(self.max_m),
        }


def _track_positions(profile: xr.DataArray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """``along``, ``across``, ``x``, ``y`` of each trace of a profile, or None without map positions."""
    if cv.X not in profile.coords or cv.Y not in profile.coords:
        return None
    if profile.coords[cv.X].dims != (cv.TRACE,) or profile.coords[cv.Y].dims != (cv.TRACE,):
        return None
    along = np.asarray(profile.coords[cv.ALONG].values, float)
    across = np.asarray(profile.coords[cv.ACROSS].values, float)
    if profile.coords[cv.ACROSS].dims == (cv.CHANNEL,):
        across = np.full(along.shape, float(np.mean(across)))  # the map position is the array's centre
    x = np.asarray(profile.coords[cv.X].values, float)
    y = np.asarray(profile.coords[cv.Y].values, float)
    return along, across, x, y


def fit_road_to_map(profiles) -> RoadToMap | None:
    """Fit the road→map transform to the positioned traces of a survey.

    Parameters
    ----------
    profiles : Survey or sequence of xarray.DataArray
        Positioned profiles (``along``, ``across`` and map ``x``/``y``).

    Returns
    -------
    RoadToMap or None
        None where a profile has no map ``x``/``y``, or where fewer than two
        distinct finite positions are known.
    """
    parts = [_track_positions(p) for p in _as_profiles(profiles)]
    if not parts or any(p is None for p in parts):
        return None
    along, across, x, y = (np.concatenate(v) for v in zip(*parts, strict=True))
    ok = np.isfinite(along) & np.isfinite(across) & np.isfinite(x) & np.isfinite(y)
    along, across, x, y = along[ok], across[ok], x[ok], y[ok]
    if along.size < 2:
        return None
    centred = np.column_stack([along - along.mean(), across - across.mean()])
    sv = np.linalg.svd(centred, compute_uv=False)
    if sv[0] <= 1e-9:
        return None
    ones = np.ones_like(along)
    if sv[1] > 1e-6 * sv[0] and along.size >= 3:
        design = np.column_stack([ones, along, across])
        cx = np.linalg.lstsq(design, x, rcond=None)[0]
        cy = np.linalg.lstsq(design, y, rcond=None)[0]
        coefficients, kind = (*cx, *cy), "affine"
    else:
        # positions on one line across: fit rotation + scale, with +across to the left of +along
        zeros = np.zeros_like(along)
        design = np.vstack([
            np.column_stack([ones, zeros, along, -across]),
            np.column_stack([zeros, ones, across, along]),
        ])
        tx, ty, a, b = np.linalg.lstsq(design, np.concatenate([x, y]), rcond=None)[0]
        coefficients, kind = (tx, a, -b, ty, b, a), "similarity"
    transform = RoadToMap(tuple(float(c) for c in coefficients), kind, 0.0, 0.0, int(along.size))
    px, py = transform(along, across)
    miss = np.hypot(px - x, py - y)
    return RoadToMap(transform.coefficients, kind, float(np.sqrt(np.mean(miss**2))), float(miss.max()),
                     int(along.size))


def road_to_map(volume: xr.DataArray, along_m, across_m) -> tuple[np.ndarray, np.ndarray]:
    """Map ``x``, ``y`` (m) of road-local positions, by the transform recorded in a volume's attrs.

    Parameters
    ----------
    volume : xarray.DataArray
        A volume from :func:`grid_survey` (or a slice of it) with map coordinates.
    along_m, across_m : array_like
        Road-local positions, m.
    """
    coefficients = volume.attrs.get(ATTR_ROAD_TO_MAP)
    if coefficients is None or len(coefficients) != 6:
        raise ValueError(f"the volume has no {ATTR_ROAD_TO_MAP!r} attribute: its profiles had no map x/y")
    return RoadToMap(tuple(float(c) for c in coefficients), str(volume.attrs.get(ATTR_MAP_FIT, "affine")),
                     0.0, 0.0, 0)(along_m, across_m)


# --- profiles and the grid -------------------------------------------------------------------


def _as_profiles(obj) -> list[xr.DataArray]:
    if isinstance(obj, xr.DataArray):
        return [obj]
    if hasattr(obj, "profiles") and callable(obj.profiles):
        return list(obj.profiles())
    if isinstance(obj, Sequence) and not isinstance(obj, (str, bytes)):
        return list(obj)
    raise TypeError(f"expected a Survey, a DataArray or a sequence of DataArrays, got {type(obj).__name__}")


def _vertical_dim(da: xr.DataArray, index: int) -> str:
    found = [d for d in _VERTICAL if d in da.dims]
    if len(found) != 1:
        raise ValueError(f"profile {index} has dims {da.dims}: expected one of {_VERTICAL}")
    return found[0]


def _checked_profile(da: xr.DataArray, index: int, vertical: str) -> xr.DataArray:
    """``da`` transposed to (channel,) trace, vertical, after checking its dims and positions."""
    if not isinstance(da, xr.DataArray):
        raise TypeError(f"profile {index} is a {type(da).__name__}, not a DataArray")
    if vertical not in da.dims:
        raise ValueError(f"profile {index} has dims {da.dims}, no {vertical!r} axis like profile 0")
    if set(da.dims) == {cv.TRACE, vertical}:
        order = (cv.TRACE, vertical)
        across_dims = ((cv.TRACE,),)
    elif set(da.dims) == {cv.CHANNEL, cv.TRACE, vertical}:
        order = (cv.CHANNEL, cv.TRACE, vertical)
        across_dims = ((cv.CHANNEL,), (cv.TRACE,))
    else:
        raise ValueError(f"profile {index} has dims {da.dims}: expected (trace, {vertical}) "
                         f"or (channel, trace, {vertical})")
    if cv.ALONG not in da.coords or da.coords[cv.ALONG].dims != (cv.TRACE,):
        raise ValueError(f"profile {index} has no {cv.ALONG!r} coordinate on trace: position it first "
                         "(roadbed.open_survey)")
    if cv.ACROSS not in da.coords or da.coords[cv.ACROSS].dims not in across_dims:
        raise ValueError(f"profile {index} has no {cv.ACROSS!r} coordinate on "
                         f"{' or '.join(d[0] for d in across_dims)}: position it first (roadbed.open_survey)")
    return da.transpose(*order)


def _common_axis(profiles: list[xr.DataArray], vertical: str) -> tuple[list[xr.DataArray], np.ndarray]:
    axis = np.asarray(profiles[0].coords[vertical].values, float) if vertical in profiles[0].coords else None
    if axis is None:
        raise ValueError(f"profile 0 has no {vertical!r} coordinate")
    out = [profiles[0]]
    for i, p in enumerate(profiles[1:], start=1):
        other = np.asarray(p.coords[vertical].values, float) if vertical in p.coords else None
        if other is None:
            raise ValueError(f"profile {i} has no {vertical!r} coordinate")
        if other.shape == axis.shape and np.allclose(other, axis, rtol=0, atol=1e-9 * max(1.0, np.ptp(axis))):
            out.append(p)
        else:
            logger.info("profile %d: %s axis differs from profile 0's; interpolated onto it", i, vertical)
            out.append(p.astype(np.float64).interp({vertical: axis}).assign_coords({vertical: profiles[0][vertical]}))
    return out, axis


def _grid_axis(positions: np.ndarray, step: float, given, name: str) -> tuple[float, int]:
    """First cell centre and number of cells of one grid axis."""
    if not (np.isfinite(step) and step > 0):
        raise ValueError(f"{name}_step_m must be a finite number > 0, got {step!r}")
    if given is not None:
        start, stop = (float(v) for v in given)
        if not (np.isfinite(start) and np.isfinite(stop) and stop >= start):
            raise ValueError(f"{name}_range_m must be (first, last) cell centres with first <= last, got {given!r}")
    else:
        finite = positions[np.isfinite(positions)]
        if finite.size == 0:
            raise ValueError(f"no finite {name} positions to grid")
        start, stop = float(finite.min()), float(finite.max())
    return start, int(np.floor((stop - start) / step + 0.5)) + 1


def _cell_index(positions: np.ndarray, axis: np.ndarray, step: float) -> np.ndarray:
    """Index of the cell holding each position; -1 outside the grid (or NaN)."""
    with np.errstate(invalid="ignore"):
        raw = np.floor((positions - axis[0]) / step + 0.5)
        ok = np.isfinite(raw) & (raw >= 0) & (raw < axis.size)
    return np.where(ok, raw, -1).astype(np.int64)


def _flat_positions(p: xr.DataArray, start: int = 0, stop: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``along``, ``across`` of each trace of ``p[..., start:stop, :]`` in C order (channel-major)."""
    along = np.asarray(p.coords[cv.ALONG].values[start:stop], float)
    across = np.asarray(p.coords[cv.ACROSS].values, float)
    if p.ndim == 2:
        return along, across[start:stop]
    n_channels = p.sizes[cv.CHANNEL]
    return np.tile(along, n_channels), np.repeat(across, along.size)


def _blocks(p: xr.DataArray):
    """``(start, stop, float32 array (n, n_samples))`` blocks of traces of a checked profile."""
    n_traces = p.sizes[cv.TRACE]
    n_samples = p.shape[-1]
    for start in range(0, n_traces, _BLOCK_TRACES):
        stop = min(start + _BLOCK_TRACES, n_traces)
        values = np.asarray(p.isel({cv.TRACE: slice(start, stop)}).values, dtype=np.float32)
        yield start, stop, np.ascontiguousarray(values.reshape(-1, n_samples))


# --- ndarray-level gridding ---------------------------------------------------------------------


def grid_array(
    data: np.ndarray,
    along_m: np.ndarray,
    across_m: np.ndarray,
    along_axis_m: np.ndarray,
    across_axis_m: np.ndarray,
    *,
    method: str = "bin",
    max_gap_m: float | None = None,
    power: float = 2.0,
    along_step_m: float | None = None,
    across_step_m: float | None = None,
    engine: str = "numba",
) -> tuple[np.ndarray, np.ndarray]:
    """Grid traces at scattered positions onto a regular grid (ndarrays).

    Parameters
    ----------
    data : ndarray, shape (n, n_samples)
        Trace amplitudes (converted to float32).
    along_m, across_m : ndarray, shape (n,)
        Trace positions, m.
    along_axis_m, across_axis_m : ndarray, shape (n_along,), (n_across,)
        Regularly spaced cell centres, m (at least one each).
    method, max_gap_m, power, engine
        As for :func:`grid_survey`; ``max_gap_m`` is required for ``"idw"``
        and ``"linear"``.
    along_step_m, across_step_m : float, optional
        Cell sizes, m; default the spacing of the cell centres (an axis of a
        single cell takes the other axis' size, or 1 m).

    Returns
    -------
    volume : ndarray, float32, shape (n_along, n_across, n_samples)
    count : ndarray, int64, shape (n_along, n_across)
        Traces in each cell.
    """
    check_engine(engine)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    data = np.ascontiguousarray(data, dtype=np.float32)
    if data.ndim != 2:
        raise ValueError(f"data must have shape (n, n_samples), got {data.shape}")
    along_m = np.asarray(along_m, float)
    across_m = np.asarray(across_m, float)
    if along_m.shape != (data.shape[0],) or across_m.shape != (data.shape[0],):
        raise ValueError(f"along_m and across_m must have shape ({data.shape[0]},), "
                         f"got {along_m.shape} and {across_m.shape}")
    along_axis_m = np.asarray(along_axis_m, float)
    across_axis_m = np.asarray(across_axis_m, float)
    if method == "idw" and not (np.isfinite(power) and power > 0):
        raise ValueError(f"power must be a finite number > 0, got {power!r}")
    a_step, c_step = _steps(along_axis_m, across_axis_m)
    a_step = a_step if along_step_m is None else float(along_step_m)
    c_step = c_step if across_step_m is None else float(across_step_m)
    rows = _cell_index(along_m, along_axis_m, a_step)
    cols = _cell_index(across_m, across_axis_m, c_step)
    kernels = _KERNELS[engine]
    shape = (along_axis_m.size, across_axis_m.size, data.shape[1])
    if method == "bin":
        sums = np.zeros(shape, np.float32)
        counts = np.zeros(shape[:2], np.int64)
        kernels.bin_accumulate(data, rows, cols, sums, counts)
        return _finish_bin(sums, counts), counts
    counts = _count(rows, cols, shape[:2])
    if max_gap_m is None or not (np.isfinite(max_gap_m) and max_gap_m > 0):
        raise ValueError(f"max_gap_m must be a finite number > 0 for method {method!r}, got {max_gap_m!r}")
    ok = np.isfinite(along_m) & np.isfinite(across_m)
    data, along_m, across_m = data[ok], along_m[ok], across_m[ok]
    if method == "idw":
        out = _idw(data, along_m, across_m, along_axis_m, across_axis_m, a_step, c_step, max_gap_m, power, kernels)
    else:
        out = _linear(data, along_m, across_m, along_axis_m, across_axis_m, a_step, c_step, max_gap_m, kernels)
    return out, counts


def _steps(along_axis: np.ndarray, across_axis: np.ndarray) -> tuple[float, float]:
    steps = []
    for axis in (along_axis, across_axis):
        axis = np.asarray(axis, float)
        if axis.ndim != 1 or axis.size == 0:
            raise ValueError("the cell centres must be 1-D with at least one cell")
        if axis.size > 1:
            d = np.diff(axis)
            if not (d.min() > 0 and np.allclose(d, d[0], rtol=1e-6, atol=0)):
                raise ValueError("the cell centres must be regularly spaced and increasing")
            steps.append(float(d[0]))
        else:
            steps.append(None)
    a, c = steps
    a = a if a is not None else (c if c is not None else 1.0)
    c = c if c is not None else a
    return a, c


def _count(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    ok = (rows >= 0) & (cols >= 0)
    flat = rows[ok] * shape[1] + cols[ok]
    return np.bincount(flat, minlength=shape[0] * shape[1]).astype(np.int64).reshape(shape)


def _finish_bin(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    filled = counts > 0
    np.divide(sums, counts[..., None].astype(np.float32), out=sums, where=filled[..., None])
    sums[~filled] = np.nan
    return sums


def _idw(data, along, across, along_axis, across_axis, a_step, c_step, max_gap_m, power, kernels) -> np.ndarray:
    n_rows, n_cols = along_axis.size, across_axis.size
    pos_row = (along - along_axis[0]) / a_step
    pos_col = (across - across_axis[0]) / c_step
    radius_rows, radius_cols = max_gap_m / a_step, max_gap_m / c_step
    near = ((pos_row > -radius_rows - 1) & (pos_row < n_rows + radius_rows)
            & (pos_col > -radius_cols - 1) & (pos_col < n_cols + radius_cols))
    data, pos_row, pos_col = np.ascontiguousarray(data[near]), pos_row[near], pos_col[near]
    bucket_row = np.clip(np.floor(pos_row + 0.5), 0, n_rows - 1).astype(np.int64)
    bucket_col = np.clip(np.floor(pos_col + 0.5), 0, n_cols - 1).astype(np.int64)
    cell = bucket_row * n_cols + bucket_col
    order = np.argsort(cell, kind="stable").astype(np.int64)
    start = np.zeros(n_rows * n_cols + 1, np.int64)
    np.cumsum(np.bincount(cell, minlength=n_rows * n_cols), out=start[1:])
    out = np.empty((n_rows, n_cols, data.shape[1]), np.float32)
    kernels.idw_grid(data, pos_row, pos_col, order, start, float(radius_rows), float(radius_cols), float(power), out)
    return out


def _linear_weights(points, along_axis, across_axis, a_step, c_step, kernels) -> tuple[np.ndarray, np.ndarray]:
    """For each cell, three traces and the barycentric weights that interpolate it linearly (index -1: none).

    Returns ``index`` (int64) and ``weights`` (float64), each of shape (n_along · n_across, 3).
    """
    from scipy.spatial import Delaunay, QhullError

    n = points.shape[0]
    shape = (along_axis.size, across_axis.size, 3)
    index = np.full(shape, -1, np.int64)
    weights = np.zeros(shape)
    centre = points.mean(axis=0)
    sv = np.linalg.svd(points - centre, compute_uv=False) if n > 1 else np.zeros(2)
    if n >= 3 and sv[1] > 1e-9 * sv[0]:
        try:
            simplices = Delaunay(points).simplices.astype(np.int64)
        except QhullError:
            simplices = None
        if simplices is not None:
            kernels.rasterize_triangles(points, simplices, float(along_axis[0]), a_step, float(across_axis[0]),
                                        c_step, index, weights)
            return index.reshape(-1, 3), weights.reshape(-1, 3)
    index, weights = index.reshape(-1, 3), weights.reshape(-1, 3)
    if n == 1:
        index[:, 0] = 0
        weights[:, 0] = 1.0
        return index, weights
    # traces on one straight line: interpolate along it
    grid_a, grid_c = np.meshgrid(along_axis, across_axis, indexing="ij")
    cells = np.column_stack([grid_a.ravel(), grid_c.ravel()])
    direction = np.linalg.svd(points - centre)[2][0]
    s = (points - centre) @ direction
    order = np.argsort(s, kind="stable")
    s_sorted = s[order]
    at = (cells - centre) @ direction
    right = np.clip(np.searchsorted(s_sorted, at, side="right"), 1, n - 1)
    left = right - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        w_right = np.nan_to_num((at - s_sorted[left]) / (s_sorted[right] - s_sorted[left]), nan=0.0)
    inside = (at >= s_sorted[0]) & (at <= s_sorted[-1])
    index[inside, 0] = order[left[inside]]
    index[inside, 1] = order[right[inside]]
    weights[inside, 0] = 1.0 - w_right[inside]
    weights[inside, 1] = w_right[inside]
    return index, weights


def _linear(data, along, across, along_axis, across_axis, a_step, c_step, max_gap_m, kernels) -> np.ndarray:
    from scipy.spatial import cKDTree

    n_rows, n_cols, n_samples = along_axis.size, across_axis.size, data.shape[1]
    out = np.full((n_rows * n_cols, n_samples), np.nan, np.float32)
    if data.shape[0] == 0:
        return out.reshape(n_rows, n_cols, n_samples)
    points = np.column_stack([along, across])
    unique, inverse = np.unique(points, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    if unique.shape[0] < points.shape[0]:  # average the traces at one position
        sums = np.zeros((unique.shape[0], 1, n_samples), np.float32)
        counts = np.zeros((unique.shape[0], 1), np.int64)
        kernels.bin_accumulate(data, inverse.astype(np.int64), np.zeros(inverse.size, np.int64), sums, counts)
        data = _finish_bin(sums, counts)[:, 0, :]
        points = unique
    index, weights = _linear_weights(points, along_axis, across_axis, a_step, c_step, kernels)
    grid_a, grid_c = np.meshgrid(along_axis, across_axis, indexing="ij")
    cells = np.column_stack([grid_a.ravel(), grid_c.ravel()])
    nearest, _ = cKDTree(points).query(cells, distance_upper_bound=max_gap_m)
    index[~np.isfinite(nearest)] = -1
    kernels.gather_weighted(np.ascontiguousarray(data, np.float32), index, weights, out)
    return out.reshape(n_rows, n_cols, n_samples)


# --- public -------------------------------------------------------------------------------------


def _common_attrs(profiles: list[xr.DataArray]) -> dict:
    first = profiles[0].attrs
    out = {}
    for key, value in first.items():
        if key == cv.ATTR_HISTORY:
            continue
        if all(key in p.attrs and _same(p.attrs[key], value) for p in profiles[1:]):
            out[key] = value
    return out


def _same(a, b) -> bool:
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    except (TypeError, ValueError):
        return a == b


def _joined_history(profiles: list[xr.DataArray]) -> str:
    seen: dict[str, None] = {}
    for p in profiles:
        for line in history(p):
            seen.setdefault(line, None)
    return "\n".join(seen)


def default_steps(survey_or_profiles) -> tuple[float, float]:
    """Cell sizes that match a survey's sampling, m.

    Parameters
    ----------
    survey_or_profiles : Survey, xarray.DataArray or sequence of DataArray
        Positioned profiles (see :func:`grid_survey`).

    Returns
    -------
    along_step_m, across_step_m : float
        The median spacing of consecutive traces along; the median spacing of
        neighbouring channels of the arrays (or, without arrays, of the
        distinct line positions) across, else the along step; rounded to
        the micrometre.
    """
    along_steps, across_steps, line_across = [], [], []
    for p in _as_profiles(survey_or_profiles):
        along = np.asarray(p.coords[cv.ALONG].values, float)
        along_steps.append(np.abs(np.diff(along)))
        across = np.asarray(p.coords[cv.ACROSS].values, float)
        if p.coords[cv.ACROSS].dims == (cv.CHANNEL,):
            across_steps.append(np.diff(np.unique(across[np.isfinite(across)])))
        else:
            line_across.append(np.unique(across[np.isfinite(across)]))
    steps = np.concatenate(along_steps) if along_steps else np.array([])
    steps = steps[np.isfinite(steps) & (steps > 0)]
    if steps.size == 0:
        raise ValueError("the profiles have no two distinct along positions: give the cell sizes")
    along_step = round(float(np.median(steps)), 6)
    if not any(a.size for a in across_steps) and line_across:
        across_steps = [np.diff(np.unique(np.concatenate(line_across)))]
    across = np.concatenate(across_steps) if across_steps else np.array([])
    across = across[across > 1e-9]
    return along_step, round(float(np.median(across)), 6) if across.size else along_step


def grid_survey(
    survey_or_profiles,
    *,
    along_step_m: float,
    across_step_m: float,
    method: str = "bin",
    max_gap_m: float | None = None,
    along_range_m: tuple[float, float] | None = None,
    across_range_m: tuple[float, float] | None = None,
    power: float = 2.0,
    engine: str = "numba",
) -> xr.DataArray:
    """Grid the positioned profiles of a survey into one regular road-local volume.

    Parameters
    ----------
    survey_or_profiles : Survey, xarray.DataArray or sequence of DataArray
        Positioned profiles: dims ``(trace, twt|depth)`` with ``along`` and
        ``across`` on trace, or ``(channel, trace, twt|depth)`` with
        ``along`` on trace and ``across`` on channel (see
        :func:`roadbed.open_survey`).
    along_step_m, across_step_m : float
        Cell size along and across, m.
    method : {"bin", "idw", "linear"}
        See the module documentation.
    max_gap_m : float, optional
        ``"idw"``: the search radius; ``"linear"``: cells farther than this
        from every trace are NaN. Default ``2 · max(along_step_m,
        across_step_m)``. Not used by ``"bin"``.
    along_range_m, across_range_m : (float, float), optional
        First and last cell centres, m; default the smallest and largest
        trace position.
    power : float
        Exponent of the inverse-distance weights (``"idw"``).
    engine : {"numba", "numpy"}
        ``"numpy"`` is the slow reference.

    Returns
    -------
    xarray.DataArray, float32, dims ("along", "across", "twt"|"depth")
        Coords ``along``, ``across`` (m), the vertical axis, ``count`` (traces
        per cell, on along × across) and map ``x``/``y`` (m, on along ×
        across) where every profile has map positions, with the fitted
        transform's coefficients and residual in attrs
        (:data:`ATTR_ROAD_TO_MAP`, :data:`ATTR_MAP_FIT_RMS`, ...). Cells
        without data are NaN.
    """
    check_engine(engine)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    profiles = _as_profiles(survey_or_profiles)
    if not profiles:
        raise ValueError("no profiles to grid")
    vertical = _vertical_dim(profiles[0], 0)
    profiles = [_checked_profile(p, i, vertical) for i, p in enumerate(profiles)]
    profiles, axis = _common_axis(profiles, vertical)
    if max_gap_m is None:
        max_gap_m = 2.0 * max(along_step_m, across_step_m)
    positions = [_flat_positions(p) for p in profiles]
    along0, n_along = _grid_axis(np.concatenate([a for a, _ in positions]), along_step_m, along_range_m, "along")
    across0, n_across = _grid_axis(np.concatenate([c for _, c in positions]), across_step_m, across_range_m, "across")
    shape = (n_along, n_across, axis.size)
    n_bytes = 4 * shape[0] * shape[1] * shape[2]
    if n_bytes > _MAX_VOLUME_BYTES:
        raise ValueError(f"the volume {shape} would take {n_bytes / 2**30:.1f} GiB (limit "
                         f"{_MAX_VOLUME_BYTES / 2**30:.0f} GiB): choose larger cells or a smaller range")
    along_axis = along0 + along_step_m * np.arange(n_along)
    across_axis = across0 + across_step_m * np.arange(n_across)
    logger.info("gridding %d profiles onto %s cells (%s)", len(profiles), shape, method)

    if method == "bin":
        kernels = _KERNELS[engine]
        sums = np.zeros(shape, np.float32)
        counts = np.zeros(shape[:2], np.int64)
        for p in profiles:
            for start, stop, block in _blocks(p):
                along, across = _flat_positions(p, start, stop)
                rows = _cell_index(along, along_axis, along_step_m)
                cols = _cell_index(across, across_axis, across_step_m)
                kernels.bin_accumulate(block, rows, cols, sums, counts)
        values = _finish_bin(sums, counts)
    else:
        parts = [(b, *_flat_positions(p, start, stop)) for p in profiles for start, stop, b in _blocks(p)]
        data, along, across = (np.concatenate(v) for v in zip(*parts, strict=True))
        values, counts = grid_array(data, along, across, along_axis, across_axis, method=method,
                                    max_gap_m=max_gap_m, power=power, along_step_m=along_step_m,
                                    across_step_m=across_step_m, engine=engine)

    coords = {
        cv.ALONG: (cv.ALONG, along_axis, coord_attrs(cv.ALONG)),
        cv.ACROSS: (cv.ACROSS, across_axis, coord_attrs(cv.ACROSS)),
        vertical: profiles[0].coords[vertical].variable.copy(deep=False),
        COUNT: ((cv.ALONG, cv.ACROSS), counts, {cv.ATTR_LONG_NAME: "traces in cell", cv.ATTR_UNITS: cv.UNIT_COUNTS}),
    }
    attrs = _common_attrs(profiles)
    for key in (ATTR_ROAD_TO_MAP, ATTR_MAP_FIT, ATTR_MAP_FIT_RMS, ATTR_MAP_FIT_MAX):
        attrs.pop(key, None)
    transform = fit_road_to_map(profiles)
    if transform is not None:
        grid_a, grid_c = np.meshgrid(along_axis, across_axis, indexing="ij")
        x, y = transform(grid_a, grid_c)
        coords[cv.X] = ((cv.ALONG, cv.ACROSS), x, coord_attrs(cv.X))
        coords[cv.Y] = ((cv.ALONG, cv.ACROSS), y, coord_attrs(cv.Y))
        attrs.update(transform.attrs())
        logger.info("road→map %s transform: rms %.4f m, max %.4f m", transform.kind, transform.rms_m, transform.max_m)
    attrs["grid_method"] = method
    attrs[cv.ATTR_HISTORY] = _joined_history(profiles)
    volume = xr.DataArray(values, dims=(cv.ALONG, cv.ACROSS, vertical), coords=coords, attrs=attrs,
                          name=profiles[0].name or cv.AMPLITUDE)
    return append_history(
        volume, "grid_survey", along_step_m=along_step_m, across_step_m=across_step_m, method=method,
        max_gap_m=None if method == "bin" else max_gap_m, along_range_m=along_range_m,
        across_range_m=across_range_m, power=power if method == "idw" else None,
    )


def _envelope(values: np.ndarray) -> np.ndarray:
    """``|analytic signal|`` along the last axis; NaN samples count as 0 and stay NaN."""
    from scipy import fft, signal

    n = values.shape[-1]
    nan = np.isnan(values)
    out = np.empty(values.shape, np.float32)
    flat_in = np.where(nan, 0.0, values).reshape(-1, n)
    flat_out = out.reshape(-1, n)
    size = fft.next_fast_len(n)
    for start in range(0, flat_in.shape[0], 4096):
        block = flat_in[start:start + 4096]
        flat_out[start:start + 4096] = np.abs(signal.hilbert(block, N=size, axis=-1)[:, :n])
    out[nan] = np.nan
    return out


def depth_slice(
    volume: xr.DataArray,
    *,
    twt_ns: float | None = None,
    depth_m: float | None = None,
    thickness: float | None = None,
    value: str = "envelope",
) -> xr.DataArray:
    """A horizontal slice of a volume: the mean over a slab of time or depth.

    Parameters
    ----------
    volume : xarray.DataArray
        A volume (dims ``along``, ``across`` and ``twt`` or ``depth``), or any
        DataArray with a ``twt``/``depth`` dimension and coordinate.
    twt_ns, depth_m : float
        Exactly one: the slab's centre, ns or m.
    thickness : float, optional
        The slab's thickness, in the unit of the centre (ns or m): samples
        within ``± thickness / 2`` of the centre are averaged. None or 0: the
        nearest sample alone (also when the slab holds no sample).
    value : {"envelope", "abs", "amplitude"}
        What is averaged: the envelope (``|analytic signal|``, computed over
        the whole trace before the slab is cut), ``|amplitude|``, or the
        signed amplitude.

    Returns
    -------
    xarray.DataArray
        The volume's dims without the vertical one (e.g. ``("along",
        "across")``), with the coordinates that do not depend on it (``x``,
        ``y``, ``count`` …), the slab's bounds in attrs (``slice_from``,
        ``slice_to``, ``slice_units``, ``slice_samples``) and a history entry.
        NaN where the slab has no finite sample.
    """
    if (twt_ns is None) == (depth_m is None):
        raise ValueError("give exactly one of twt_ns and depth_m")
    if value not in SLICE_VALUES:
        raise ValueError(f"value must be one of {SLICE_VALUES}, got {value!r}")
    vertical, centre, unit = (cv.TWT, twt_ns, cv.UNIT_NS) if twt_ns is not None else (cv.DEPTH, depth_m, cv.UNIT_M)
    if vertical not in volume.dims or vertical not in volume.coords:
        raise ValueError(f"the volume has dims {volume.dims}, no {vertical!r} axis to slice"
                         + ("; convert time to depth first" if vertical == cv.DEPTH else ""))
    centre = float(centre)
    half = 0.0 if thickness is None else float(thickness) / 2.0
    if not (np.isfinite(centre) and np.isfinite(half) and half >= 0):
        raise ValueError(f"the slab centre and thickness must be finite, thickness >= 0; got {centre}, {thickness}")
    axis = np.asarray(volume.coords[vertical].values, float)
    step = float(np.median(np.abs(np.diff(axis)))) if axis.size > 1 else 0.0
    if not (axis.min() - step / 2 <= centre <= axis.max() + step / 2):
        raise ValueError(f"{vertical} = {centre} {unit} lies outside the volume's {vertical} axis "
                         f"[{axis.min():.6g}, {axis.max():.6g}] {unit}")
    picked = np.flatnonzero(np.abs(axis - centre) <= half) if half > 0 else np.array([], int)
    if picked.size == 0:
        picked = np.array([int(np.argmin(np.abs(axis - centre)))])
    moved = volume.transpose(..., vertical)
    if value == "envelope":
        data = _envelope(np.asarray(moved.values, np.float32))[..., picked]
    else:
        data = np.asarray(moved.isel({vertical: picked}).values, np.float32)
        if value == "abs":
            data = np.abs(data)
    finite = np.isfinite(data)
    n = finite.sum(axis=-1)
    total = np.where(finite, data, 0.0).sum(axis=-1, dtype=np.float64)
    mean = np.full(n.shape, np.nan, np.float32)
    np.divide(total, n, out=mean, where=n > 0, casting="same_kind")
    dims = moved.dims[:-1]
    coords = {k: c.variable for k, c in moved.coords.items() if vertical not in c.dims}
    out = xr.DataArray(mean, dims=dims, coords=coords, attrs=dict(volume.attrs), name=volume.name)
    out.attrs.update({"slice_from": float(axis[picked].min()), "slice_to": float(axis[picked].max()),
                      "slice_units": unit, "slice_samples": int(picked.size), "slice_value": value})
    return append_history(out, "depth_slice", **{("twt_ns" if vertical == cv.TWT else "depth_m"): centre},
                          thickness=thickness, value=value)
