"""Time zero: pick the first break of every trace and shift the ground surface to twt = 0.

Picking (:func:`pick_first_break`) has two stages:

1. **Onset** — where the first arrival begins:

   * ``method="threshold"``: the first sample whose ``|a|`` reaches
     ``threshold`` × the trace's largest ``|a|``, linearly interpolated
     between that sample and the one before;
   * ``method="energy_ratio"``: the largest ratio of the energy in a
     trailing window to that in a leading window (each ``window_ns`` long,
     stabilised by a small fraction of the largest window energy), refined
     by a parabola through the ratio around its maximum.

2. **Reference** — which point of the first arrival is the surface:

   * ``reference="first_break"``: the onset itself (the instrument makers'
     convention, e.g. pulseEKKO's ``TIMEZERO AT POINT``);
   * ``reference="surface"``: the largest ``|a|`` within ``search_ns`` after
     the onset, refined by a parabola — the centre of the surface
     reflection's main lobe, which is the surface for a zero-phase wavelet
     (the convention of :mod:`roadbed.synth`).

Shifting (:func:`shift_time_zero`, :func:`align_time_zero`) resamples each
trace so that the surface becomes the first sample and the ``twt``
coordinate runs ``0, dt, 2·dt, …``. Samples before the surface are dropped.
Sub-sample shifts use a Lanczos-windowed sinc of :data:`SINC_HALF_WIDTH`
samples each side (``interpolation="sinc"``, the default: it keeps the
spectrum up to near Nyquist, where linear interpolation smooths the trace
by up to a factor ``cos(π f dt)``), or linear interpolation
(``"linear"``). Whole-sample shifts copy samples exactly. At the end of the
record the output is either padded with zeros to the input's length
(``tail="pad"``, default: every channel keeps its shape) or cut to the
samples that every trace has (``tail="trim"``).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import xarray as xr

from .. import conventions as cv
from ..model import append_history, coord_attrs
from . import _filter_kernels, _filter_reference
from ._apply import check_engine, trace_axes
from .filters import centre_frequency_hz, sample_interval_ns

__all__ = [
    "PICK_METHODS",
    "REFERENCES",
    "INTERPOLATIONS",
    "TAILS",
    "SINC_HALF_WIDTH",
    "ATTR_TIME_ZERO_SHIFT",
    "COORD_TIME_ZERO_SHIFT",
    "channel_time_zero",
    "pick_first_break",
    "pick_first_break_array",
    "shift_traces_array",
    "shift_time_zero",
    "align_time_zero",
]

logger = logging.getLogger(__name__)

PICK_METHODS = ("threshold", "energy_ratio")
REFERENCES = ("surface", "first_break")
INTERPOLATIONS = ("sinc", "linear")
TAILS = ("pad", "trim")
#: samples each side of the Lanczos-windowed sinc interpolator
SINC_HALF_WIDTH = 8
#: attribute: the time (ns, in the original record's twt) that each channel's twt 0 came from; shifts add up
ATTR_TIME_ZERO_SHIFT = "time_zero_shift_ns"
#: coordinate on (channel, trace) when traces were shifted one by one
COORD_TIME_ZERO_SHIFT = "time_zero_shift"
#: default search for the surface after the onset, periods of the centre frequency
SEARCH_PERIODS = 1.5
#: default energy-ratio window, periods of the centre frequency
ENERGY_WINDOW_PERIODS = 1.0


def _impl(engine: str):
    return _filter_kernels if check_engine(engine) == "numba" else _filter_reference


def channel_time_zero(da: xr.DataArray) -> np.ndarray:
    """``attrs['time_zero_ns']`` as one value per channel (one value for a single line), ns; 0 where absent.

    Raises
    ------
    ValueError
        If the attribute is neither one number nor one finite number per channel.
    """
    n_ch = da.sizes.get(cv.CHANNEL, 1)
    raw = da.attrs.get(cv.ATTR_TIME_ZERO, 0.0)
    try:
        t0 = np.asarray(raw, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"attrs['{cv.ATTR_TIME_ZERO}'] must be a number or one per channel, got {raw!r}") from None
    if t0.size == 1:
        t0 = np.full(n_ch, t0[0])
    if t0.shape != (n_ch,) or not np.all(np.isfinite(t0)):
        raise ValueError(f"attrs['{cv.ATTR_TIME_ZERO}'] must be finite, one value or {n_ch}, got {raw!r}")
    return t0


# --- picking --------------------------------------------------------------------------
def pick_first_break_array(
    arr,
    *,
    method: str = "threshold",
    reference: str = "surface",
    threshold: float = 0.1,
    window_samples: int = 10,
    stabilization: float = 1e-3,
    search_samples: int = 10,
    engine: str = "numba",
) -> np.ndarray:
    """First-break (or surface) picks of traces given as an ndarray, in fractional samples.

    Parameters
    ----------
    arr : array_like, shape (..., n_samples)
    method : {"threshold", "energy_ratio"}
    reference : {"surface", "first_break"}
    threshold : float
        Fraction of each trace's largest ``|a|``, in (0, 1] (``"threshold"``).
    window_samples : int
        Energy window length, samples (``"energy_ratio"``).
    stabilization : float
        Energy-ratio stabiliser relative to the largest window energy, > 0.
    search_samples : int
        Samples searched after the onset for the surface (``"surface"``).
    engine : {"numba", "numpy"}

    Returns
    -------
    numpy.ndarray, shape arr.shape[:-1], float64
        Fractional sample index (0 = first sample); NaN for an all-zero trace.
    """
    impl = _impl(engine)
    if method not in PICK_METHODS:
        raise ValueError(f"method must be one of {PICK_METHODS}, got {method!r}")
    if reference not in REFERENCES:
        raise ValueError(f"reference must be one of {REFERENCES}, got {reference!r}")
    a = np.ascontiguousarray(arr, dtype=np.float32)
    flat = a.reshape(-1, a.shape[-1])
    if method == "threshold":
        if not 0 < threshold <= 1:
            raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
        picks = impl.pick_threshold(flat, float(threshold))
    else:
        if int(window_samples) < 1:
            raise ValueError(f"the energy window must be at least one sample, got {window_samples!r}")
        if not stabilization > 0:
            raise ValueError(f"stabilization must be positive, got {stabilization!r}")
        picks = impl.pick_energy_ratio(flat, int(window_samples), float(stabilization))
    if reference == "surface":
        if int(search_samples) < 0:
            raise ValueError(f"search_samples must be ≥ 0, got {search_samples!r}")
        picks = impl.refine_peak(flat, picks, int(search_samples))
    return picks.reshape(a.shape[:-1])


def _samples(value_ns, dt: float, default_periods: float, da: xr.DataArray, name: str) -> int:
    if value_ns is None:
        value_ns = default_periods / centre_frequency_hz(da, needed_for=name) * 1e9
    if not (math.isfinite(value_ns) and value_ns >= 0):
        raise ValueError(f"{name} must be a non-negative number of ns, got {value_ns!r}")
    return max(1, int(round(value_ns / dt)))


def pick_first_break(
    da: xr.DataArray,
    *,
    method: str = "threshold",
    reference: str = "surface",
    threshold: float = 0.1,
    window_ns: float | None = None,
    stabilization: float = 1e-3,
    search_ns: float | None = None,
    engine: str = "numba",
) -> xr.DataArray:
    """Pick the first break (or the surface reflection) of every trace.

    Parameters
    ----------
    da : xarray.DataArray, dims (trace, twt) or (channel, trace, twt)
        A radargram with a regular ``twt`` axis (ns).
    method : {"threshold", "energy_ratio"}
        The onset picker (see the module notes).
    reference : {"surface", "first_break"}
        Return the onset itself, or the peak of the first arrival after it.
    threshold : float
        Fraction of each trace's largest ``|a|`` (``"threshold"``).
    window_ns : float, optional
        Energy windows' length, ns (``"energy_ratio"``); default
        one period of ``attrs['frequency_hz']``.
    stabilization : float
        Energy-ratio stabiliser relative to the largest window energy.
    search_ns : float, optional
        How far after the onset to look for the surface peak, ns; default
        1.5 periods of ``attrs['frequency_hz']``.
    engine : {"numba", "numpy"}

    Returns
    -------
    xarray.DataArray, dims (trace,) or (channel, trace), float64
        The picks in the ``twt`` coordinate's ns, with ``da``'s trace and
        channel coordinates; NaN for all-zero traces. Lazy for dask input.
    """
    check_engine(engine)
    dt = sample_interval_ns(da)
    window = _samples(window_ns, dt, ENERGY_WINDOW_PERIODS, da, "window_ns") if method == "energy_ratio" else 1
    search = _samples(search_ns, dt, SEARCH_PERIODS, da, "search_ns") if reference == "surface" else 0
    twt0 = float(da[cv.TWT].values[0])
    src = da.chunk({cv.TWT: -1}) if da.chunks is not None else da

    def func(block):
        picks = pick_first_break_array(block, method=method, reference=reference, threshold=threshold,
                                       window_samples=window, stabilization=stabilization,
                                       search_samples=search, engine=engine)  # fmt: skip
        return twt0 + dt * picks

    picks = xr.apply_ufunc(func, src, input_core_dims=[[cv.TWT]], dask="parallelized", output_dtypes=[np.float64])
    picks.attrs = {
        cv.ATTR_UNITS: cv.UNIT_NS,
        cv.ATTR_LONG_NAME: "surface pick" if reference == "surface" else "first-break pick",
        "method": method,
        "reference": reference,
    }
    picks.name = "time_zero_pick"
    return picks


# --- shifting ------------------------------------------------------------------------------
def shift_traces_array(arr, shift_samples, *, n_out: int, interpolation: str = "sinc", engine: str = "numba"):
    """Resample traces so that input sample ``shift`` becomes output sample 0.

    Parameters
    ----------
    arr : array_like, shape (..., n_samples)
    shift_samples : array_like, broadcastable to arr.shape[:-1]
        Fractional input sample index of each trace's new first sample.
    n_out : int
        Output samples per trace; samples beyond the input record are 0.
    interpolation : {"sinc", "linear"}
    engine : {"numba", "numpy"}

    Returns
    -------
    numpy.ndarray, shape arr.shape[:-1] + (n_out,), float32
    """
    impl = _impl(engine)
    a = np.ascontiguousarray(arr, dtype=np.float32)
    shifts = np.ascontiguousarray(np.broadcast_to(np.asarray(shift_samples, np.float64), a.shape[:-1])).reshape(-1)
    if not np.all(np.isfinite(shifts)):
        raise ValueError("every shift must be finite")
    if int(n_out) < 1:
        raise ValueError(f"n_out must be ≥ 1, got {n_out!r}")
    flat = a.reshape(-1, a.shape[-1])
    out = np.empty((flat.shape[0], int(n_out)), dtype=np.float32)
    if interpolation == "sinc":
        impl.shift_sinc(flat, shifts, SINC_HALF_WIDTH, out)
    elif interpolation == "linear":
        impl.shift_linear(flat, shifts, out)
    else:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
    return out.reshape(*a.shape[:-1], int(n_out))


def _shift_grid(da: xr.DataArray, shift_ns) -> np.ndarray:
    """``shift_ns`` (number, one per channel, or a DataArray on channel/trace) as an array on the kernel dims."""
    order = trace_axes(da)[:-1]
    shape = tuple(da.sizes[d] for d in order)
    if isinstance(shift_ns, xr.DataArray):
        if not set(shift_ns.dims) <= set(order):
            raise ValueError(f"shift_ns has dims {shift_ns.dims}; allowed are {order}")
        values = shift_ns.broadcast_like(da.isel({cv.TWT: 0}, drop=True)).transpose(*order).values
    else:
        values = np.asarray(shift_ns, dtype=np.float64)
        if values.ndim == 1 and len(order) == 2 and values.shape == (shape[0],):
            values = values[:, None]  # one per channel
        elif values.ndim != 0 and values.shape != shape:
            raise ValueError(
                f"shift_ns must be a number, one per channel or a DataArray on {order}, got shape {values.shape}"
            )
    grid = np.ascontiguousarray(np.broadcast_to(values, shape), dtype=np.float64)
    if not np.all(np.isfinite(grid)):
        raise ValueError("shift_ns must be finite (is a channel without a pick?)")
    return grid


def _shift(da: xr.DataArray, grid_ns: np.ndarray, *, per_trace: bool, interpolation: str, tail: str, engine: str,
           step: str, params: dict) -> xr.DataArray:  # fmt: skip
    check_engine(engine)
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
    if tail not in TAILS:
        raise ValueError(f"tail must be one of {TAILS}, got {tail!r}")
    dt = sample_interval_ns(da)
    twt = np.asarray(da[cv.TWT].values, dtype=np.float64)
    n = twt.size
    shifts = (grid_ns - twt[0]) / dt  # fractional input sample of each trace's surface
    if tail == "pad":
        n_out = n
    else:
        n_out = int(math.floor(n - 1 - shifts.max() + 1e-9)) + 1
    if shifts.max() > n - 1 or n_out < 1:
        raise ValueError(f"time zero {grid_ns.max():g} ns lies beyond the record (last sample {twt[-1]:g} ns)")
    order = trace_axes(da)
    src = da.transpose(*order)

    def run(block, shift_block):
        return shift_traces_array(block, shift_block[..., 0], n_out=n_out, interpolation=interpolation, engine=engine)

    if src.chunks is not None:
        import dask.array as dsa

        arr = src.data.rechunk({src.ndim - 1: -1})
        shift_d = dsa.from_array(shifts[..., None], chunks=arr.chunks[:-1] + ((1,),))
        data = dsa.map_blocks(run, arr, shift_d, chunks=arr.chunks[:-1] + ((n_out,),), dtype=np.float32)
    else:
        data = run(np.asarray(src.values), shifts[..., None])
    # a second shift adds to the first: record times in the original record
    total = grid_ns + _previous_shift(src, order, grid_ns.shape)
    coords = {k: v for k, v in src.coords.items() if cv.TWT not in v.dims and k != COORD_TIME_ZERO_SHIFT}
    coords[cv.TWT] = (cv.TWT, dt * np.arange(n_out), coord_attrs(cv.TWT))
    per_channel = np.median(total, axis=-1)
    if per_trace or not np.all(total == total[..., :1]):
        coords[COORD_TIME_ZERO_SHIFT] = (order[:-1], total, {cv.ATTR_UNITS: cv.UNIT_NS,
                                                              cv.ATTR_LONG_NAME: "time shifted to twt 0"})  # fmt: skip
    out = xr.DataArray(data, dims=order, coords=coords, attrs=dict(da.attrs), name=da.name).transpose(*da.dims)
    out.attrs[cv.ATTR_TIME_ZERO] = 0.0
    out.attrs[ATTR_TIME_ZERO_SHIFT] = float(per_channel) if cv.CHANNEL not in order else per_channel.tolist()
    out.attrs[cv.ATTR_TIME_WINDOW] = n_out * dt
    return append_history(out, step, **params, interpolation=interpolation, tail=tail, engine=engine)


def _previous_shift(src: xr.DataArray, order, shape) -> np.ndarray:
    """Shifts already applied (ns, per trace or per channel) on ``shape``; 0 where none or not attributable."""
    if COORD_TIME_ZERO_SHIFT in src.coords:
        previous = np.asarray(src[COORD_TIME_ZERO_SHIFT].transpose(*order[:-1]).values, dtype=np.float64)
    else:
        try:
            previous = np.asarray(src.attrs.get(ATTR_TIME_ZERO_SHIFT, 0.0), dtype=np.float64)
        except (TypeError, ValueError):
            previous = np.zeros(0)
        if previous.ndim == 1 and len(shape) == 2:
            previous = previous[:, None]  # one per channel
    try:
        return np.broadcast_to(previous, shape)
    except ValueError:  # e.g. one channel taken out of an aligned survey: which shift was its own is unknown
        logger.warning("attrs['%s'] does not fit the radargram; recording this shift alone", ATTR_TIME_ZERO_SHIFT)
        return np.zeros(shape)


def shift_time_zero(
    da: xr.DataArray, shift_ns, *, interpolation: str = "sinc", tail: str = "pad", engine: str = "numba"
) -> xr.DataArray:
    """Shift traces so that the sample at ``twt = shift_ns`` becomes twt 0.

    Parameters
    ----------
    da : xarray.DataArray, dims (trace, twt) or (channel, trace, twt)
        A radargram with a regular ``twt`` axis (ns).
    shift_ns : float, sequence of float or xarray.DataArray
        The input ``twt`` (ns) of the ground surface: one number, one per
        channel, or a DataArray on ``channel`` and/or ``trace`` (one per trace).
        Values below ``twt[0]`` move the data down (zeros come in at the top).
    interpolation : {"sinc", "linear"}
        Sub-sample interpolator (see the module notes).
    tail : {"pad", "trim"}
        Keep the input's number of samples, padding with zeros, or keep only
        the samples every trace has.
    engine : {"numba", "numpy"}

    Returns
    -------
    xarray.DataArray
        float32; ``twt`` = ``0, dt, …``; ``attrs['time_zero_ns'] = 0``,
        ``attrs['time_zero_shift_ns']`` = the shift of each channel (its
        median over traces), ``attrs['time_window_ns']`` = the new record
        length; a ``time_zero_shift`` coordinate (ns) holds the shift of
        every trace when they differ along the line. Lazy for dask input.
    """
    grid = _shift_grid(da, shift_ns)
    per_trace = isinstance(shift_ns, xr.DataArray) and cv.TRACE in shift_ns.dims
    if per_trace:
        shown = "per trace"
    elif grid.ndim == 2:
        shown = grid[:, 0].tolist()
    else:
        shown = float(grid[0])
    return _shift(da, grid, per_trace=per_trace, interpolation=interpolation, tail=tail, engine=engine,
                  step="shift_time_zero", params={"shift_ns": shown})  # fmt: skip


def align_time_zero(
    da: xr.DataArray,
    *,
    method: str = "threshold",
    reference: str = "surface",
    per_trace: bool = False,
    threshold: float = 0.1,
    window_ns: float | None = None,
    stabilization: float = 1e-3,
    search_ns: float | None = None,
    interpolation: str = "sinc",
    tail: str = "pad",
    engine: str = "numba",
) -> xr.DataArray:
    """Find time zero in the data and shift every channel so the surface is at twt = 0.

    Parameters
    ----------
    da : xarray.DataArray, dims (trace, twt) or (channel, trace, twt)
        A radargram with a regular ``twt`` axis (ns).
    method : {"threshold", "energy_ratio", "attrs"}
        The picker (see :func:`pick_first_break`), or ``"attrs"`` to use
        ``attrs['time_zero_ns']`` (e.g. from the instrument header).
    reference : {"surface", "first_break"}
        Which point of the first arrival becomes twt 0.
    per_trace : bool
        Shift every trace by its own pick; by default each channel is
        shifted by the median of its traces' picks, which ignores the odd
        bad pick and keeps the layers' true undulation.
    threshold, window_ns, stabilization, search_ns
        Picker options (see :func:`pick_first_break`).
    interpolation : {"sinc", "linear"}
    tail : {"pad", "trim"}
        See :func:`shift_time_zero`.
    engine : {"numba", "numpy"}

    Returns
    -------
    xarray.DataArray
        As :func:`shift_time_zero`, with an ``align_time_zero`` history entry
        naming the picker; on dask input the picks are computed (one pass
        over the data) and the shift stays lazy.

    Raises
    ------
    ValueError
        If a channel has no pick (all its traces are zero).
    """
    if method == "attrs":
        grid = _shift_grid(da, channel_time_zero(da) if cv.CHANNEL in da.dims else channel_time_zero(da)[0])
        params = {"method": method}
    else:
        picks = pick_first_break(da, method=method, reference=reference, threshold=threshold, window_ns=window_ns,
                                 stabilization=stabilization, search_ns=search_ns, engine=engine)  # fmt: skip
        order = trace_axes(da)[:-1]
        values = np.asarray(picks.transpose(*order).values, dtype=np.float64)
        if np.any(np.all(np.isnan(values), axis=-1)):
            raise ValueError("no first break found: a channel holds only zero traces")
        if per_trace:
            if np.any(np.isnan(values)):
                fill = np.nanmedian(values, axis=-1, keepdims=True)
                values = np.where(np.isnan(values), fill, values)  # an all-zero trace goes with its channel
            grid = values
        else:
            grid = np.broadcast_to(np.nanmedian(values, axis=-1, keepdims=True), values.shape)
        grid = np.ascontiguousarray(grid)
        params = {"method": method, "reference": reference, "per_trace": per_trace, "threshold": threshold,
                  "window_ns": window_ns, "stabilization": stabilization, "search_ns": search_ns}  # fmt: skip
    logger.debug("align_time_zero: channel shifts %s ns", np.median(grid, axis=-1))
    return _shift(da, grid, per_trace=per_trace and method != "attrs", interpolation=interpolation, tail=tail,
                  engine=engine, step="align_time_zero", params=params)  # fmt: skip
