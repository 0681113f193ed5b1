"""B-scan plots: one profile, traces across the page and time down it.

Also the small image helpers the plan-view plots share.
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from .. import conventions as cv

__all__ = ["plot_bscan"]

logger = logging.getLogger(__name__)


def axis_label(da: xr.DataArray, name: str) -> str:
    """``"long name (units)"`` for coordinate ``name`` of ``da``."""
    if name in da.coords:
        attrs = da.coords[name].attrs
        long_name = attrs.get(cv.ATTR_LONG_NAME, cv.COORD_LONG_NAMES.get(name, name))
        units = attrs.get(cv.ATTR_UNITS, cv.COORD_UNITS.get(name))
    else:
        long_name, units = cv.COORD_LONG_NAMES.get(name, name), cv.COORD_UNITS.get(name)
    return f"{long_name} ({units})" if units else str(long_name)


def clip_limit(values: np.ndarray, percentile: float) -> float:
    """Symmetric colour limit: the ``percentile`` of ``|values|`` (never 0)."""
    finite = np.abs(values[np.isfinite(values)])
    if finite.size == 0:
        return 1.0
    limit = float(np.percentile(finite, percentile))
    if limit <= 0:
        limit = float(finite.max())
    return limit if limit > 0 else 1.0


def cell_edges(centres: np.ndarray) -> np.ndarray:
    """Edges of cells whose centres are ``centres`` (monotonic), length n + 1."""
    c = np.asarray(centres, dtype=np.float64)
    if c.size == 1:
        return np.array([c[0] - 0.5, c[0] + 0.5])
    mid = 0.5 * (c[1:] + c[:-1])
    return np.concatenate([[2 * c[0] - mid[0]], mid, [2 * c[-1] - mid[-1]]])


def _uniform(c: np.ndarray) -> bool:
    if c.size < 3:
        return True
    step = np.diff(c)
    return bool(np.allclose(step, step[0], rtol=1e-3, atol=1e-9 * max(1.0, abs(step[0]))))


def monotonic(c: np.ndarray) -> bool:
    """True where ``c`` is finite and strictly increasing or decreasing."""
    c = np.asarray(c, dtype=np.float64)
    if not np.all(np.isfinite(c)):
        return False
    if c.size < 2:
        return True
    step = np.diff(c)
    return bool(np.all(step > 0) or np.all(step < 0))


def draw_image(ax, values: np.ndarray, x: np.ndarray, y: np.ndarray, *, cmap, vmin, vmax):
    """Draw ``values`` (shape (len(y), len(x))) with cells centred on ``x``, ``y``.

    Uniform coordinates use ``imshow``; non-uniform ones ``pcolormesh``. The
    axis limits are the outer cell edges, in the coordinates' own order.
    """
    xe, ye = cell_edges(x), cell_edges(y)
    if _uniform(np.asarray(x, float)) and _uniform(np.asarray(y, float)):
        image = ax.imshow(
            values,
            extent=(xe[0], xe[-1], ye[0], ye[-1]),
            origin="lower",
            aspect="auto",
            interpolation="nearest",
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
        )
    else:
        image = ax.pcolormesh(xe, ye, values, shading="flat", cmap=cmap, vmin=vmin, vmax=vmax)
    ax.set_xlim(xe[0], xe[-1])
    ax.set_ylim(ye[0], ye[-1])
    return image


def new_axes(ax):
    """``ax``, or the axes of a new figure."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    return ax


def _horizontal(da: xr.DataArray) -> str | None:
    """The coordinate on trace to plot across the page: along, distance or none (index)."""
    for name in (cv.ALONG, cv.DISTANCE):
        if name in da.coords and da.coords[name].dims == (cv.TRACE,):
            if monotonic(da.coords[name].values):
                return name
            logger.info("coordinate %r is not monotonic; plotting against the trace index", name)
    return None


def plot_bscan(
    da: xr.DataArray,
    *,
    ax=None,
    clip_percentile: float = 99,
    cmap: str = "gray",
    depth_velocity_m_per_ns: float | None = None,
):
    """Plot a B-scan: amplitude against position along the line and two-way time.

    Parameters
    ----------
    da : xarray.DataArray
        dims ``("trace", "twt")`` (``twt`` in ns) or ``("trace", "depth")``
        (``depth`` in m, after depth conversion). The horizontal axis is the
        ``along`` coordinate (m) of a survey profile, else ``distance`` (m),
        else the trace index.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    clip_percentile : float
        The colour scale is symmetric, ±the ``clip_percentile`` of ``|da|``.
    cmap : str
        Matplotlib colour map.
    depth_velocity_m_per_ns : float, optional
        Add a depth axis on the right, ``depth = v · twt / 2`` (m), with twt
        counted from ``twt = 0`` (correct time zero first).

    Returns
    -------
    matplotlib.axes.Axes
        Time (or depth) increases downwards; the axis limits are the outer cell edges.
    """
    if da.dims not in ((cv.TRACE, cv.TWT), (cv.TRACE, cv.DEPTH)):
        raise ValueError(
            f"plot_bscan needs dims ('trace', 'twt') or ('trace', 'depth'), got {da.dims}; "
            "select one channel of an array first"
        )
    vertical = da.dims[1]
    if vertical == cv.DEPTH and depth_velocity_m_per_ns is not None:
        raise ValueError("depth_velocity_m_per_ns adds a depth axis to a time section; this one is in depth already")
    if not 0 < clip_percentile <= 100:
        raise ValueError(f"clip_percentile must be in (0, 100], got {clip_percentile}")
    ax = new_axes(ax)
    values = np.asarray(da.values, dtype=np.float64)
    limit = clip_limit(values, clip_percentile)
    name = _horizontal(da)
    x = np.asarray(da.coords[name].values, float) if name else np.arange(da.sizes[cv.TRACE], dtype=float)
    down = np.asarray(da.coords[vertical].values, float)
    draw_image(ax, values.T, x, down, cmap=cmap, vmin=-limit, vmax=limit)
    lo, hi = ax.get_ylim()
    ax.set_ylim(max(lo, hi), min(lo, hi))  # time (or depth) downwards
    ax.set_xlabel(axis_label(da, name) if name else "trace")
    ax.set_ylabel(axis_label(da, vertical))
    source = da.attrs.get(cv.ATTR_SOURCE)
    if source:
        ax.set_title(str(source).replace("\\", "/").rsplit("/", 1)[-1])
    if depth_velocity_m_per_ns is not None:
        v = float(depth_velocity_m_per_ns)
        if not (np.isfinite(v) and v > 0):
            raise ValueError(f"depth_velocity_m_per_ns must be > 0, got {depth_velocity_m_per_ns}")
        depth = ax.secondary_yaxis("right", functions=(lambda t: t * v / 2, lambda d: 2 * d / v))
        depth.set_ylabel(f"depth ({cv.UNIT_M}) at v = {v:g} {cv.UNIT_M_PER_NS}")
    return ax
