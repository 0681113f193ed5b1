"""Time-to-depth conversion through layered velocities, and static (topographic) correction.

A layered velocity model is given top down as interval velocities (m/ns)
and the interfaces between the layers, either by depth (m) or by two-way
time (ns after time zero); the last layer is a half-space. Inside a layer
``depth = z_top + v · (twt − t_top) / 2``, so the time–depth curve is
piecewise linear and every interface lands at its exact depth.

Both steps read every trace at fractional sample positions by linear
interpolation (kernel :func:`roadbed.gpr._spectral_kernels.sample_at`) and
fill positions outside the record with 0. ``twt = 0`` is the ground surface
(apply the time-zero correction first); samples before it carry no depth.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import xarray as xr

from .. import conventions as cv
from ..model import append_history, coord_attrs
from ._apply import check_engine, trace_axes
from .spectral import _impl, time_axis

__all__ = ["layer_model", "twt_at_depth", "depth_at_twt", "time_to_depth", "static_correction"]

logger = logging.getLogger(__name__)


def layer_model(
    velocity_m_per_ns,
    *,
    interface_depth_m=None,
    interface_twt_ns=None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A layered velocity model: interval velocities and the depth and time of each layer's top.

    Parameters
    ----------
    velocity_m_per_ns : float or array_like, shape (n_layers,)
        Interval velocity of each layer, top down, m/ns.
    interface_depth_m : array_like, shape (n_layers − 1,), optional
        Depths of the interfaces between the layers, m, increasing.
    interface_twt_ns : array_like, shape (n_layers − 1,), optional
        Two-way times of the interfaces after time zero, ns, increasing.
        Give exactly one of the two when there is more than one layer.

    Returns
    -------
    velocity_m_per_ns : ndarray, shape (n_layers,)
    top_depth_m : ndarray, shape (n_layers,)
        Depth of each layer's top (0 for the first), m.
    top_twt_ns : ndarray, shape (n_layers,)
        Two-way time of each layer's top (0 for the first), ns.
    """
    v = np.atleast_1d(np.asarray(velocity_m_per_ns, dtype=np.float64))
    if v.ndim != 1 or v.size == 0 or not np.all(np.isfinite(v)) or not np.all(v > 0):
        raise ValueError(f"velocity_m_per_ns must be positive finite numbers, got {velocity_m_per_ns!r}")
    given = [x is not None for x in (interface_depth_m, interface_twt_ns)]
    if v.size == 1:
        for value in (interface_depth_m, interface_twt_ns):
            if value is not None and np.asarray(value).size:
                raise ValueError("one velocity means one layer: no interfaces")
        return v, np.zeros(1), np.zeros(1)
    if sum(given) != 1:
        raise ValueError("with several layers give exactly one of interface_depth_m and interface_twt_ns")
    name = "interface_depth_m" if given[0] else "interface_twt_ns"
    tops = np.atleast_1d(np.asarray(interface_depth_m if given[0] else interface_twt_ns, dtype=np.float64))
    if tops.shape != (v.size - 1,):
        raise ValueError(f"{name} needs {v.size - 1} values (one per interface), got shape {tops.shape}")
    tops = np.concatenate([[0.0], tops])
    if not np.all(np.isfinite(tops)) or not np.all(np.diff(tops) > 0):
        raise ValueError(f"{name} must be positive, finite and increasing, got {tops[1:]!r}")
    if given[0]:
        twt = np.concatenate([[0.0], np.cumsum(2.0 * np.diff(tops) / v[:-1])])
        return v, tops, twt
    depth = np.concatenate([[0.0], np.cumsum(v[:-1] * np.diff(tops) / 2.0)])
    return v, depth, tops


def twt_at_depth(depth_m, velocity_m_per_ns, top_depth_m, top_twt_ns) -> np.ndarray:
    """Two-way time (ns) of depths (m) in a layered model from :func:`layer_model`."""
    z = np.asarray(depth_m, dtype=np.float64)
    layer = np.clip(np.searchsorted(top_depth_m, z, side="right") - 1, 0, None)
    return top_twt_ns[layer] + 2.0 * (z - top_depth_m[layer]) / velocity_m_per_ns[layer]


def depth_at_twt(twt_ns, velocity_m_per_ns, top_depth_m, top_twt_ns) -> np.ndarray:
    """Depth (m) of two-way times (ns) in a layered model from :func:`layer_model`."""
    t = np.asarray(twt_ns, dtype=np.float64)
    layer = np.clip(np.searchsorted(top_twt_ns, t, side="right") - 1, 0, None)
    return top_depth_m[layer] + velocity_m_per_ns[layer] * (t - top_twt_ns[layer]) / 2.0


def layer_times(start_ns: float, end_ns: float, top_twt_ns: np.ndarray) -> np.ndarray:
    """Two-way time that the interval ``[start_ns, end_ns]`` spends in each layer, ns.

    The first layer reaches up to −∞ (times before time zero count in it).

    Returns
    -------
    ndarray, shape (n_layers,)
    """
    lo = np.concatenate([[-np.inf], top_twt_ns[1:]])
    hi = np.concatenate([top_twt_ns[1:], [np.inf]])
    return np.clip(np.minimum(end_ns, hi) - np.maximum(start_ns, lo), 0.0, None)


def _resample_twt(
    da: xr.DataArray,
    *,
    position: np.ndarray,
    shift: np.ndarray | None,
    new_dim: str,
    new_coord: np.ndarray,
    engine: str,
) -> xr.DataArray:
    """``da`` read at ``position + shift[trace]`` (fractional samples of twt) onto a new last-axis coordinate."""
    impl = _impl(engine)
    order = trace_axes(da)
    src = da.transpose(*order)
    n = src.sizes[cv.TWT]
    n_out = position.size
    lead = src.isel({cv.TWT: 0}, drop=True)
    shift_da = xr.DataArray(
        np.zeros(src.sizes[cv.TRACE]) if shift is None else shift, dims=(cv.TRACE,)
    ).broadcast_like(lead)
    shift_da = shift_da.transpose(*lead.dims)
    if src.chunks is not None:
        src = src.chunk({cv.TWT: -1})
        shift_da = shift_da.chunk(dict(zip(lead.dims, [c for c in src.chunks[:-1]], strict=True)))

    def run(block, shifts):
        flat = np.ascontiguousarray(block, dtype=np.float32).reshape(-1, n)
        sh = np.ascontiguousarray(np.broadcast_to(shifts, block.shape[:-1]), dtype=np.float64).reshape(-1)
        return impl.sample_at(flat, position, sh).reshape(block.shape[:-1] + (n_out,))

    out = xr.apply_ufunc(
        run, src, shift_da,
        input_core_dims=[[cv.TWT], []], output_core_dims=[[new_dim]],
        exclude_dims={cv.TWT} if new_dim == cv.TWT else frozenset(),
        dask="parallelized", output_dtypes=[np.float32],
        dask_gufunc_kwargs={"output_sizes": {new_dim: n_out}}, keep_attrs=True,
    )  # fmt: skip
    out = out.assign_coords({new_dim: (new_dim, new_coord, coord_attrs(new_dim))})
    out.name = da.name
    out.attrs = dict(da.attrs)
    return out.transpose(*[new_dim if d == cv.TWT else d for d in da.dims])


def time_to_depth(
    da: xr.DataArray,
    *,
    velocity_m_per_ns,
    interface_depth_m=None,
    interface_twt_ns=None,
    depth_step_m: float | None = None,
    max_depth_m: float | None = None,
    engine: str = "numba",
) -> xr.DataArray:
    """Convert a radargram from two-way time to depth through a layered velocity model.

    Parameters
    ----------
    da : xarray.DataArray
        Radargram, dims ``(trace, twt)`` or ``(channel, trace, twt)``, regular
        twt in ns with ``twt = 0`` at the ground surface.
    velocity_m_per_ns : float or array_like, shape (n_layers,)
        Interval velocities, top down, m/ns (one number: a homogeneous ground).
    interface_depth_m, interface_twt_ns : array_like, shape (n_layers − 1,), optional
        The interfaces by depth (m) or by two-way time (ns); see :func:`layer_model`.
    depth_step_m : float, optional
        Depth sample interval, m; default ``min(v) · dt / 2`` (no layer is undersampled).
    max_depth_m : float, optional
        Deepest output sample, m; default the depth of the last time sample.
    engine : {"numba", "numpy"}

    Returns
    -------
    xarray.DataArray
        ``twt`` replaced by ``depth`` (m, from 0 in steps of ``depth_step_m``),
        float32; other coordinates and attributes kept. Depths whose time lies
        outside the record are 0.
    """
    check_engine(engine)
    trace_axes(da)
    v, z_top, t_top = layer_model(
        velocity_m_per_ns, interface_depth_m=interface_depth_m, interface_twt_ns=interface_twt_ns
    )
    t0, dt = time_axis(da)
    t_last = t0 + dt * (da.sizes[cv.TWT] - 1)
    if depth_step_m is None:
        depth_step_m = float(v.min()) * dt / 2.0
    if not (depth_step_m > 0 and math.isfinite(depth_step_m)):
        raise ValueError(f"depth_step_m must be positive, got {depth_step_m!r}")
    if max_depth_m is None:
        if t_last <= 0:
            raise ValueError("the record ends before time zero: no sample has a depth")
        max_depth_m = float(depth_at_twt(t_last, v, z_top, t_top))
    if not (max_depth_m >= 0 and math.isfinite(max_depth_m)):
        raise ValueError(f"max_depth_m must be ≥ 0, got {max_depth_m!r}")
    depth = depth_step_m * np.arange(int(math.floor(max_depth_m / depth_step_m + 1e-9)) + 1)
    position = (twt_at_depth(depth, v, z_top, t_top) - t0) / dt
    out = _resample_twt(da, position=position, shift=None, new_dim=cv.DEPTH, new_coord=depth, engine=engine)
    return append_history(
        out, "time_to_depth", velocity_m_per_ns=v.tolist(), interface_depth_m=z_top[1:].tolist(),
        depth_step_m=depth_step_m, max_depth_m=max_depth_m, engine=engine,
    )  # fmt: skip


def static_correction(
    da: xr.DataArray,
    *,
    velocity_m_per_ns: float,
    datum_m: float | None = None,
    extend: bool = True,
    engine: str = "numba",
) -> xr.DataArray:
    """Shift every trace to a common elevation datum (topographic static correction).

    A ground-coupled trace recorded at surface elevation ``e`` sees a
    reflector at elevation ``E`` at ``twt = 2 (e − E) / v``. Shifting it by
    ``Δt = 2 (datum − e) / v`` puts that reflector at ``2 (datum − E) / v``
    on every trace: flat reflectors come out flat and ``twt = 0`` becomes the
    datum. ``v`` is the *replacement* velocity filling the gap between datum
    and surface: give the velocity of the ground (the top layer) to flatten
    subsurface reflectors — the right choice for ground-coupled antennas. The
    air velocity (:data:`roadbed.conventions.C_M_PER_NS`) instead models the
    gap as air, as for an air-launched antenna whose ``elevation`` is that of
    the antenna; ground reflectors then keep the shape of the topography.

    Parameters
    ----------
    da : xarray.DataArray
        Radargram with an ``elevation`` coordinate (m) on ``trace``; twt in ns.
        With channels, every channel of a trace gets the trace's shift.
    velocity_m_per_ns : float
        Replacement velocity, m/ns (see above).
    datum_m : float, optional
        Datum elevation, m; default the highest trace elevation (all shifts ≥ 0).
    extend : bool
        True lengthens the twt axis so that no sample is lost (the new axis
        starts at ``min(twt[0], twt[0] + min Δt)`` on the same sample grid);
        False keeps the input axis and drops what leaves it.
    engine : {"numba", "numpy"}

    Returns
    -------
    xarray.DataArray
        Same dims, coordinates and attributes (``time_window_ns`` updated),
        float32; samples with no data are 0.
    """
    check_engine(engine)
    trace_axes(da)
    if cv.ELEVATION not in da.coords or da[cv.ELEVATION].dims != (cv.TRACE,):
        raise ValueError(f"static_correction needs an {cv.ELEVATION!r} coordinate (m) on {cv.TRACE!r}")
    elevation = np.asarray(da[cv.ELEVATION].values, dtype=np.float64)
    if not np.all(np.isfinite(elevation)):
        raise ValueError(f"{cv.ELEVATION!r} must be finite everywhere")
    if not (velocity_m_per_ns > 0 and math.isfinite(velocity_m_per_ns)):
        raise ValueError(f"velocity_m_per_ns must be positive, got {velocity_m_per_ns!r}")
    datum = float(np.max(elevation)) if datum_m is None else float(datum_m)
    if not math.isfinite(datum):
        raise ValueError(f"datum_m must be finite, got {datum_m!r}")
    t0, dt = time_axis(da)
    n = da.sizes[cv.TWT]
    shift_ns = 2.0 * (datum - elevation) / velocity_m_per_ns
    if extend:
        first = min(0, int(math.floor(shift_ns.min() / dt + 1e-9)))
        last = max(n - 1, int(math.ceil(n - 1 + shift_ns.max() / dt - 1e-9)))
    else:
        first, last = 0, n - 1
    index = np.arange(first, last + 1, dtype=np.float64)
    twt = t0 + dt * index
    out = _resample_twt(da, position=index, shift=-shift_ns / dt, new_dim=cv.TWT, new_coord=twt, engine=engine)
    if cv.ATTR_TIME_WINDOW in out.attrs:
        out.attrs[cv.ATTR_TIME_WINDOW] = float(dt * index.size)
    logger.debug("static correction to datum %.3f m: shifts %.3f–%.3f ns", datum, shift_ns.min(), shift_ns.max())
    return append_history(
        out, "static_correction", velocity_m_per_ns=velocity_m_per_ns, datum_m=datum, extend=extend, engine=engine
    )
