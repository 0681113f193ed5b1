"""Dewow, DC removal and background removal of radargrams.

Each step is a public function on a radargram DataArray (new object out,
input untouched, coordinates and attributes kept, a ``history`` line with its
parameters appended), an ndarray function ``*_array`` picking the numba
kernel (``engine="numba"``) or its numpy twin (``engine="numpy"``), and a
kernel in :mod:`._filter_kernels`. Dask-backed input stays lazy; windowed
steps get the neighbouring traces they need (see :func:`._apply.map_traces`).

Windows are centred and shrink at the ends of the record (the statistic of
the samples or traces that exist there), so nothing is padded or invented.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.signal
import xarray as xr

from .. import conventions as cv
from . import _filter_kernels, _filter_reference
from ._apply import check_engine, map_traces

__all__ = [
    "DEWOW_METHODS",
    "BACKGROUND_METHODS",
    "DEWOW_WINDOW_PERIODS",
    "DEWOW_CUTOFF_FRACTION",
    "PAD_DECAY_TIMES",
    "sample_interval_ns",
    "centre_frequency_hz",
    "half_window_samples",
    "dewow",
    "dewow_array",
    "remove_dc",
    "remove_dc_array",
    "remove_background",
    "remove_background_array",
]

logger = logging.getLogger(__name__)

DEWOW_METHODS = ("mean", "median", "butterworth")
BACKGROUND_METHODS = ("mean", "median")
#: default dewow window, periods of the antenna's centre frequency: long enough that the running
#: mean/median of an isolated zero-mean wavelet is small (≈ 5 % of its peak for the mean, ≈ 0 for the median)
DEWOW_WINDOW_PERIODS = 3.0
#: default high-pass corner, as a fraction of the centre frequency
DEWOW_CUTOFF_FRACTION = 0.2
#: mirror padding of the high-pass filter, in decay times of its slowest pole (e⁻⁵ < 1 %)
PAD_DECAY_TIMES = 5.0


def _impl(engine: str):
    return _filter_kernels if check_engine(engine) == "numba" else _filter_reference


def sample_interval_ns(da: xr.DataArray) -> float:
    """The sample interval of a radargram's regular ``twt`` axis, ns.

    Raises
    ------
    ValueError
        If ``twt`` is missing, has fewer than two samples or is not regular
        (to 1e-6 of the interval).
    """
    if cv.TWT not in da.coords:
        raise ValueError("the radargram has no twt coordinate")
    twt = np.asarray(da[cv.TWT].values, dtype=np.float64)
    if twt.size < 2:
        raise ValueError(f"need at least two samples per trace, got {twt.size}")
    steps = np.diff(twt)
    dt = float(steps.mean())
    if not (dt > 0 and np.all(np.abs(steps - dt) <= 1e-6 * dt)):
        raise ValueError("the twt axis must be increasing and regularly sampled")
    return dt


def centre_frequency_hz(da: xr.DataArray, *, needed_for: str) -> float:
    """The antenna centre frequency from ``attrs['frequency_hz']``, Hz.

    Raises
    ------
    ValueError
        Naming the option (``needed_for``) to give when the attribute is absent.
    """
    f = da.attrs.get(cv.ATTR_FREQUENCY)
    try:
        f = float(f)
    except (TypeError, ValueError):
        f = float("nan")
    if not (np.isfinite(f) and f > 0):
        raise ValueError(f"the radargram has no positive '{cv.ATTR_FREQUENCY}' attribute; give {needed_for}")
    return f


def half_window_samples(window_ns: float, dt_ns: float, n: int, name: str) -> int:
    """Half window (samples) of a centred window of about ``window_ns`` on ``n`` samples of ``dt_ns``.

    ``name`` is the option named in the ValueError for a window under 3 samples.
    """
    if not (np.isfinite(window_ns) and window_ns > 0):
        raise ValueError(f"{name} must be a positive number of ns, got {window_ns!r}")
    half = int(round(window_ns / dt_ns / 2.0))
    if half < 1:
        raise ValueError(f"{name}={window_ns} ns is shorter than 3 samples of {dt_ns:g} ns")
    return min(half, max(n - 1, 1))


def _as_2d(arr) -> tuple[np.ndarray, tuple]:
    a = np.ascontiguousarray(arr, dtype=np.float32)
    if a.ndim < 1:
        raise ValueError("need an array of traces, shape (..., n_samples)")
    return a.reshape(-1, a.shape[-1]), a.shape


def _as_3d(arr) -> tuple[np.ndarray, tuple]:
    a = np.ascontiguousarray(arr, dtype=np.float32)
    if a.ndim < 2:
        raise ValueError("need an array of shape (..., n_traces, n_samples)")
    return a.reshape(-1, *a.shape[-2:]), a.shape


# --- dewow -------------------------------------------------------------------------
def dewow_array(
    arr, *, method: str = "mean", half_window: int | None = None, sos=None, padlen: int | None = None,
    engine: str = "numba",
):  # fmt: skip
    """Dewow traces given as an ndarray.

    Parameters
    ----------
    arr : array_like, shape (..., n_samples)
        Traces along the last axis.
    method : {"mean", "median", "butterworth"}
        Subtract the running mean or running median, or high-pass filter.
    half_window : int
        Half window, samples (``"mean"``/``"median"``; window ``2·half+1``).
    sos : array_like, shape (n_sections, 6)
        Second-order sections of the high-pass filter (``"butterworth"``),
        run forward and backward (zero phase) over the trace extended at
        both ends by its odd (point-symmetric) mirror image.
    padlen : int, optional
        Samples of that extension (``"butterworth"``); default scipy's
        ``3 · (2 · n_sections + 1)``; at most ``n_samples − 1``.
    engine : {"numba", "numpy"}

    Returns
    -------
    numpy.ndarray, same shape as ``arr``, float32
    """
    impl = _impl(engine)
    a, shape = _as_2d(arr)
    if method in ("mean", "median"):
        if half_window is None or int(half_window) < 0:
            raise ValueError(f"dewow method {method!r} needs half_window ≥ 0, got {half_window!r}")
        kernel = impl.running_mean if method == "mean" else impl.running_median
        return kernel(a, int(half_window), True, np.empty_like(a)).reshape(shape)
    if method == "butterworth":
        if sos is None:
            raise ValueError("dewow method 'butterworth' needs sos")
        sos = np.ascontiguousarray(sos, dtype=np.float64)
        zi = np.ascontiguousarray(scipy.signal.sosfilt_zi(sos), dtype=np.float64)
        padlen = 3 * (2 * sos.shape[0] + 1) if padlen is None else int(padlen)
        if padlen < 0:
            raise ValueError(f"padlen must be ≥ 0, got {padlen}")
        return impl.sosfiltfilt(a, sos, zi, min(padlen, a.shape[-1] - 1), np.empty_like(a)).reshape(shape)
    raise ValueError(f"method must be one of {DEWOW_METHODS}, got {method!r}")


def dewow(
    da: xr.DataArray,
    *,
    method: str = "mean",
    window_ns: float | None = None,
    cutoff_hz: float | None = None,
    order: int = 2,
    engine: str = "numba",
) -> xr.DataArray:
    """Remove the slow "wow" drift of every trace.

    Parameters
    ----------
    da : xarray.DataArray, dims (trace, twt) or (channel, trace, twt)
        A radargram with a regular ``twt`` axis (ns).
    method : {"mean", "median", "butterworth"}
        ``"mean"``/``"median"`` subtract the running mean/median over a
        centred window of ``window_ns``; the median follows a monotone drift
        exactly and ignores isolated reflections. ``"butterworth"``
        high-passes with a zero-phase (forward–backward) Butterworth filter,
        corner ``cutoff_hz``, ``order`` per pass, over the trace extended
        at both ends by its odd mirror image for :data:`PAD_DECAY_TIMES`
        decay times of the filter's slowest pole (scipy's default padding
        of a few samples leaves a slow start-up transient — a new wow —
        after a strong first arrival).
    window_ns : float, optional
        Window of the running mean/median, ns (rounded to an odd number of
        samples, at least 3). Default :data:`DEWOW_WINDOW_PERIODS` periods of
        ``attrs['frequency_hz']``.
    cutoff_hz : float, optional
        High-pass corner, Hz. Default :data:`DEWOW_CUTOFF_FRACTION` of
        ``attrs['frequency_hz']``.
    order : int
        Butterworth order of each pass (the magnitude response is squared).
    engine : {"numba", "numpy"}

    Returns
    -------
    xarray.DataArray
        Same dims, coordinates and attributes, float32, with a ``dewow``
        history entry.
    """
    dt = sample_interval_ns(da)
    n = da.sizes[cv.TWT]
    check_engine(engine)
    if method in ("mean", "median"):
        if window_ns is None:
            window_ns = DEWOW_WINDOW_PERIODS / centre_frequency_hz(da, needed_for="window_ns") * 1e9
        half = half_window_samples(float(window_ns), dt, n, "window_ns")
        params = {"method": method, "window_ns": (2 * half + 1) * dt, "window_samples": 2 * half + 1}

        def kernel(block):
            return dewow_array(block, method=method, half_window=half, engine=engine)

    elif method == "butterworth":
        nyquist_hz = 0.5e9 / dt
        if cutoff_hz is None:
            cutoff_hz = DEWOW_CUTOFF_FRACTION * centre_frequency_hz(da, needed_for="cutoff_hz")
        if not (0 < float(cutoff_hz) < nyquist_hz):
            raise ValueError(f"cutoff_hz must be in (0, {nyquist_hz:g}) Hz (the Nyquist frequency), got {cutoff_hz!r}")
        if int(order) != order or not 1 <= int(order) <= 10:
            raise ValueError(f"order must be an integer from 1 to 10, got {order!r}")
        sos = scipy.signal.butter(int(order), float(cutoff_hz), btype="highpass", fs=1e9 / dt, output="sos")
        # pad by 5 decay times of the slowest pole, so the start-up transient dies in the padding
        decay_ns = 1e9 / (2 * np.pi * float(cutoff_hz) * np.sin(np.pi / (2 * int(order))))
        padlen = int(np.ceil(PAD_DECAY_TIMES * decay_ns / dt))
        params = {"method": method, "cutoff_hz": float(cutoff_hz), "order": int(order), "padlen": min(padlen, n - 1)}

        def kernel(block):
            return dewow_array(block, method=method, sos=sos, padlen=padlen, engine=engine)

    else:
        raise ValueError(f"method must be one of {DEWOW_METHODS}, got {method!r}")
    logger.debug("dewow %s", params)
    return map_traces(da, kernel, step="dewow", params={**params, "engine": engine})


# --- DC -----------------------------------------------------------------------------------
def remove_dc_array(arr, *, start: int = 0, stop: int | None = None, engine: str = "numba"):
    """Subtract from every trace the mean of its samples ``start:stop``.

    Parameters
    ----------
    arr : array_like, shape (..., n_samples)
    start, stop : int
        Sample window of the mean (default: the whole trace).
    engine : {"numba", "numpy"}

    Returns
    -------
    numpy.ndarray, same shape as ``arr``, float32
    """
    impl = _impl(engine)
    a, shape = _as_2d(arr)
    n = a.shape[-1]
    stop = n if stop is None else int(stop)
    if not 0 <= int(start) < stop <= n:
        raise ValueError(f"need 0 ≤ start < stop ≤ {n}, got start={start}, stop={stop}")
    return impl.remove_dc(a, int(start), stop, np.empty_like(a)).reshape(shape)


def remove_dc(da: xr.DataArray, *, window_ns: tuple[float, float] | None = None, engine: str = "numba") -> xr.DataArray:
    """Subtract from every trace its mean over a time window (its DC level).

    Parameters
    ----------
    da : xarray.DataArray, dims (trace, twt) or (channel, trace, twt)
    window_ns : (float, float), optional
        ``(start, stop)`` in the ``twt`` coordinate's ns: the mean is taken
        over the samples with ``start ≤ twt ≤ stop`` (e.g. the samples
        before the first arrival). Default: the whole trace.
    engine : {"numba", "numpy"}

    Returns
    -------
    xarray.DataArray
        Same dims, coordinates and attributes, float32, with a ``remove_dc``
        history entry.
    """
    twt = np.asarray(da[cv.TWT].values, dtype=np.float64)
    check_engine(engine)
    if window_ns is None:
        start, stop = 0, twt.size
    else:
        lo, hi = (float(v) for v in window_ns)
        inside = np.flatnonzero((twt >= lo) & (twt <= hi))
        if not (lo <= hi and inside.size):
            raise ValueError(f"window_ns={window_ns!r} holds no sample of twt [{twt[0]:g}, {twt[-1]:g}] ns")
        start, stop = int(inside[0]), int(inside[-1]) + 1
    params = {"window_ns": None if window_ns is None else (float(twt[start]), float(twt[stop - 1])), "engine": engine}
    return map_traces(
        da, lambda block: remove_dc_array(block, start=start, stop=stop, engine=engine), step="remove_dc", params=params
    )


# --- background --------------------------------------------------------------------------
def remove_background_array(arr, *, method: str = "mean", window_traces: int | None = None, engine: str = "numba"):
    """Subtract the mean or median trace, of the whole line or of a running window of traces.

    Parameters
    ----------
    arr : array_like, shape (..., n_traces, n_samples)
        Leading axes (channels) are processed independently.
    method : {"mean", "median"}
    window_traces : int, optional
        Odd number of traces in the running window (shrinking at the ends of
        the line); None for the whole line.
    engine : {"numba", "numpy"}

    Returns
    -------
    numpy.ndarray, same shape as ``arr``, float32
    """
    impl = _impl(engine)
    if method not in BACKGROUND_METHODS:
        raise ValueError(f"method must be one of {BACKGROUND_METHODS}, got {method!r}")
    half = -1 if window_traces is None else _half_traces(window_traces)
    a, shape = _as_3d(arr)
    kernel = impl.background_mean if method == "mean" else impl.background_median
    return kernel(a, half, np.empty_like(a)).reshape(shape)


def _half_traces(window_traces) -> int:
    if int(window_traces) != window_traces or int(window_traces) < 1 or int(window_traces) % 2 == 0:
        raise ValueError(f"window_traces must be an odd positive integer, got {window_traces!r}")
    return int(window_traces) // 2


def remove_background(
    da: xr.DataArray, *, method: str = "mean", window_traces: int | None = None, engine: str = "numba"
) -> xr.DataArray:
    """Remove horizontal banding: subtract the mean or median trace of each channel.

    Flat events (antenna ringing, and also flat layers) vanish; dipping and
    hyperbolic events, which do not line up along the window, stay.

    Parameters
    ----------
    da : xarray.DataArray, dims (trace, twt) or (channel, trace, twt)
    method : {"mean", "median"}
        The median ignores strong local events (a hyperbola's apex) and so
        leaves them less dented.
    window_traces : int, optional
        Odd number of traces in a running window centred on each trace
        (shrinking at the line's ends): removes banding that changes slowly
        along the line. None (default) uses every trace of the line; on
        dask-backed input the trace axis is then rechunked to one chunk.
    engine : {"numba", "numpy"}

    Returns
    -------
    xarray.DataArray
        Same dims, coordinates and attributes, float32, with a
        ``remove_background`` history entry.
    """
    check_engine(engine)
    if method not in BACKGROUND_METHODS:
        raise ValueError(f"method must be one of {BACKGROUND_METHODS}, got {method!r}")
    halo = -1 if window_traces is None else _half_traces(window_traces)
    params = {"method": method, "window_traces": window_traces, "engine": engine}
    return map_traces(
        da,
        lambda block: remove_background_array(block, method=method, window_traces=window_traces, engine=engine),
        step="remove_background",
        params=params,
        trace_halo=halo,
    )
