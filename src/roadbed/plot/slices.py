"""Plan views: depth (or time) slices of a volume and the survey's lines on a map.

Plan views put ``along`` across the page and ``across`` up it; since
``across`` is positive to the left of the reference direction, the road is
seen from above as driven left to right.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .. import conventions as cv
from .bscan import axis_label, clip_limit, draw_image, monotonic, new_axes

__all__ = ["plot_depth_slice", "plot_survey_map"]


def _along_of(da: xr.DataArray, dim: str) -> tuple[np.ndarray, str]:
    for name in (cv.ALONG, cv.DISTANCE):
        if name in da.coords and da.coords[name].dims == (dim,) and monotonic(da.coords[name].values):
            return np.asarray(da.coords[name].values, float), name
    if dim in da.coords and monotonic(da.coords[dim].values):
        return np.asarray(da.coords[dim].values, float), dim
    return np.arange(da.sizes[dim], dtype=float), dim


def _across_of(da: xr.DataArray, dim: str) -> tuple[np.ndarray, str]:
    for name in (cv.ACROSS, cv.OFFSET):
        if name in da.coords and da.coords[name].dims == (dim,):
            return np.asarray(da.coords[name].values, float), name
    if dim in da.coords:
        return np.asarray(da.coords[dim].values, float), dim
    return np.arange(da.sizes[dim], dtype=float), dim


def plot_depth_slice(
    volume: xr.DataArray,
    *,
    twt_ns: float | None = None,
    depth_m: float | None = None,
    ax=None,
    clip_percentile: float = 99,
    cmap: str = "gray",
):
    """Plot a horizontal slice of a volume in plan view (along × across).

    Parameters
    ----------
    volume : xarray.DataArray
        A gridded volume, dims ``("along", "across", "twt")`` or
        ``("along", "across", "depth")``; or an array radargram, dims
        ``("channel", "trace", "twt")``, positioned by ``along`` (or
        ``distance``) on trace and ``across`` (or ``offset``) on channel.
    twt_ns, depth_m : float
        Exactly one: the slice's two-way time (ns) or depth (m); the nearest
        sample is shown, and named in the title.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    clip_percentile : float
        The colour scale is symmetric, ±the ``clip_percentile`` of the
        slice's ``|amplitude|``.
    cmap : str
        Matplotlib colour map.

    Returns
    -------
    matplotlib.axes.Axes
        ``along`` (m) horizontal, ``across`` (m, positive left) vertical; the
        axis limits are the outer cell edges.
    """
    if (twt_ns is None) == (depth_m is None):
        raise ValueError("give exactly one of twt_ns and depth_m")
    vertical, value, unit = (cv.TWT, twt_ns, cv.UNIT_NS) if twt_ns is not None else (cv.DEPTH, depth_m, cv.UNIT_M)
    if vertical not in volume.dims:
        raise ValueError(
            f"the volume has dims {volume.dims}, no {vertical!r} dimension to slice"
            + ("; convert time to depth first" if vertical == cv.DEPTH else "")
        )
    if set(volume.dims) == {cv.ALONG, cv.ACROSS, vertical}:
        along_dim, across_dim = cv.ALONG, cv.ACROSS
    elif volume.dims == (cv.CHANNEL, cv.TRACE, cv.TWT):
        along_dim, across_dim = cv.TRACE, cv.CHANNEL
    else:
        raise ValueError(
            f"plot_depth_slice needs dims (along, across, twt|depth) or (channel, trace, twt), got {volume.dims}"
        )
    if vertical in volume.coords:
        plane = volume.sel({vertical: value}, method="nearest")
        at = float(plane.coords[vertical].values)
    else:
        index = int(np.clip(round(value), 0, volume.sizes[vertical] - 1))
        plane, at = volume.isel({vertical: index}), float(index)
    plane = plane.transpose(across_dim, along_dim)
    along, along_name = _along_of(plane, along_dim)
    across, across_name = _across_of(plane, across_dim)
    values = np.asarray(plane.values, dtype=np.float64)
    if not monotonic(across):
        order = np.argsort(across, kind="stable")
        across, values = across[order], values[order]
        if not monotonic(across):
            raise ValueError(f"the {across_name!r} positions of the channels are not distinct: {across}")
    ax = new_axes(ax)
    limit = clip_limit(values, clip_percentile)
    draw_image(ax, values, along, across, cmap=cmap, vmin=-limit, vmax=limit)
    ax.set_xlabel(axis_label(plane, along_name) if along_name in plane.coords else along_name)
    ax.set_ylabel(axis_label(plane, across_name) if across_name in plane.coords else across_name)
    ax.set_title(f"{vertical} = {at:.4g} {unit}")
    return ax


def _has_map(profile: xr.DataArray) -> bool:
    return (
        cv.X in profile.coords
        and cv.Y in profile.coords
        and bool(np.any(np.isfinite(np.asarray(profile.coords[cv.X].values, float))))
    )


def plot_survey_map(survey, *, ax=None, frame: str = "auto"):
    """Plot the survey's lines in plan view.

    Parameters
    ----------
    survey : roadbed.survey.Survey
        The survey (its files are read to position them).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    frame : {"auto", "map", "road"}
        ``"map"``: each line's track in map ``x``/``y`` (m, equal aspect);
        ``"road"``: each line (each channel of an array) in ``along`` ×
        ``across``; ``"auto"``: the map where every line has map positions.

    Returns
    -------
    matplotlib.axes.Axes
        One drawn line per track: per survey line on the map, per channel in
        the road frame; each survey line's first track is labelled with its
        file name.
    """
    if frame not in ("auto", "map", "road"):
        raise ValueError(f"frame must be 'auto', 'map' or 'road', got {frame!r}")
    profiles = survey.profiles()
    if frame == "auto":
        frame = "map" if profiles and all(_has_map(p) for p in profiles) else "road"
    if frame == "map" and not all(_has_map(p) for p in profiles):
        raise ValueError("frame='map' needs map x/y positions on every line")
    ax = new_axes(ax)
    for line, profile in zip(survey.lines, profiles, strict=True):
        label = line.path.name
        if frame == "map":
            ax.plot(profile.coords[cv.X].values, profile.coords[cv.Y].values, label=label)
            continue
        along = np.asarray(profile.coords[cv.ALONG].values, float)
        across = np.asarray(profile.coords[cv.ACROSS].values, float)
        if profile.coords[cv.ACROSS].dims == (cv.CHANNEL,):
            colour = None
            for i, offset in enumerate(across):
                (drawn,) = ax.plot(
                    along, np.full_like(along, offset), color=colour, lw=0.8, label=label if i == 0 else None
                )
                colour = drawn.get_color()
        else:
            ax.plot(along, across, label=label)
    if frame == "map":
        ax.set_xlabel(axis_label(profiles[0], cv.X))
        ax.set_ylabel(axis_label(profiles[0], cv.Y))
        ax.set_aspect("equal", adjustable="datalim")
    else:
        ax.set_xlabel(axis_label(profiles[0], cv.ALONG) if profiles else "along")
        ax.set_ylabel(axis_label(profiles[0], cv.ACROSS) if profiles else "across")
    title = survey.name
    if frame == "map" and survey.crs:
        title += f" ({survey.crs})"
    ax.set_title(title)
    if 0 < len(survey.lines) <= 12:
        ax.legend(fontsize="small")
    return ax
