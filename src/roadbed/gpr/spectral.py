"""Frequency-domain trace filters: zero-phase band-pass, f-k dip filter, Hilbert envelope and phase.

All take a radargram (dims ``(trace, twt)`` or ``(channel, trace, twt)``) and
return a new one with the same coordinates, attributes and a ``history``
entry. Sampling comes from the coordinates: the sample interval from
``twt`` (ns), the trace spacing from ``distance`` (m, or the
``trace_spacing_m`` attribute when there is no ``distance``).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import scipy.fft
import scipy.signal
import xarray as xr

from .. import conventions as cv
from . import _spectral_kernels, _spectral_reference
from ._apply import check_engine, map_traces, trace_axes

__all__ = ["bandpass", "bandpass_array", "fk_filter", "fk_filter_array", "envelope", "instantaneous_phase",
           "peak_frequency"]

logger = logging.getLogger(__name__)

#: relative deviation from the mean spacing above which an axis is not regular
REGULAR_TOLERANCE = 1e-3
#: units of the instantaneous phase
UNIT_RADIAN = "rad"
FK_KEEP = ("flat", "steep")


def _impl(engine: str):
    return _spectral_kernels if check_engine(engine) == "numba" else _spectral_reference


def _regular_step(values, name: str) -> float:
    """The step of a regularly spaced 1-D coordinate, or ValueError naming it."""
    values = np.asarray(values, dtype=np.float64)
    if values.size < 2:
        raise ValueError(f"coordinate {name!r} needs at least 2 values to define a spacing")
    steps = np.diff(values)
    step = float(np.mean(steps))
    if not np.all(np.isfinite(steps)) or step == 0 or np.max(np.abs(steps - step)) > REGULAR_TOLERANCE * abs(step):
        raise ValueError(f"coordinate {name!r} is not regularly spaced; resample it to a regular grid first")
    return step


def time_axis(da: xr.DataArray) -> tuple[float, float]:
    """First sample time and sample interval of ``da``'s ``twt`` axis, ns.

    Returns
    -------
    t0_ns, dt_ns : float
        ``twt[0]`` and the (positive, regular) sample interval.
    """
    twt = np.asarray(da[cv.TWT].values, dtype=np.float64)
    dt = _regular_step(twt, cv.TWT)
    if dt <= 0:
        raise ValueError("twt must increase")
    return float(twt[0]), dt


def trace_spacing(da: xr.DataArray) -> float:
    """Regular trace spacing along the track, m.

    From the survey's ``along`` coordinate where the profile was positioned,
    else ``distance``, else the ``trace_spacing_m`` attribute.
    """
    for name in (cv.ALONG, cv.DISTANCE):
        if name in da.coords and da[name].dims == (cv.TRACE,) and da.sizes[cv.TRACE] > 1:
            return abs(_regular_step(da[name].values, name))
    spacing = da.attrs.get(cv.ATTR_TRACE_SPACING)
    if spacing is None or not float(spacing) > 0:
        raise ValueError(f"need a {cv.DISTANCE!r} coordinate or a positive {cv.ATTR_TRACE_SPACING!r} attribute")
    return float(spacing)


def channel_spacing(da: xr.DataArray) -> float:
    """Regular across-track channel spacing, m.

    From the survey's ``across`` coordinate on ``channel`` where the profile
    was positioned (files such as DZT cannot store channel offsets), else
    the file's ``offset``.
    """
    for name in (cv.ACROSS, cv.OFFSET):
        if name in da.coords and da[name].dims == (cv.CHANNEL,):
            return abs(_regular_step(da[name].values, name))
    raise ValueError(f"3-D processing needs the {cv.ACROSS!r} or {cv.OFFSET!r} coordinate on {cv.CHANNEL!r}")


def padded_length(n: int, fraction: float) -> int:
    """A fast FFT length of at least ``n · (1 + fraction)``."""
    if not fraction >= 0:
        raise ValueError(f"padding fraction must be ≥ 0, got {fraction!r}")
    return scipy.fft.next_fast_len(int(n + math.ceil(fraction * n)), real=True)


def wavenumbers(n: int, spacing_m: float) -> np.ndarray:
    """Angular wavenumbers of an ``n``-point FFT with ``spacing_m`` sampling, rad/m (FFT order)."""
    return 2.0 * np.pi * np.fft.fftfreq(n, d=spacing_m)


def mirror_index(n: int) -> np.ndarray:
    """Index of the negated wavenumber of each bin of an ``n``-point FFT."""
    return (-np.arange(n)) % n


# --- band-pass -------------------------------------------------------------------------
def _butterworth(low_hz, high_hz, order: int, sample_interval_ns: float) -> np.ndarray:
    fs = 1e9 / sample_interval_ns
    nyquist = fs / 2.0
    if low_hz is None and high_hz is None:
        raise ValueError("give low_hz, high_hz or both")
    if int(order) != order or order < 1:
        raise ValueError(f"order must be a positive integer, got {order!r}")
    for name, value in (("low_hz", low_hz), ("high_hz", high_hz)):
        if value is not None and not 0 < value < nyquist:
            raise ValueError(f"{name} must lie between 0 and the Nyquist frequency {nyquist:g} Hz, got {value!r}")
    if low_hz is not None and high_hz is not None:
        if not low_hz < high_hz:
            raise ValueError(f"low_hz must be below high_hz, got {low_hz!r} ≥ {high_hz!r}")
        return scipy.signal.butter(int(order), [low_hz, high_hz], btype="bandpass", fs=fs, output="sos")
    if low_hz is not None:
        return scipy.signal.butter(int(order), low_hz, btype="highpass", fs=fs, output="sos")
    return scipy.signal.butter(int(order), high_hz, btype="lowpass", fs=fs, output="sos")


def _sos_padlen(sos: np.ndarray) -> int:
    """scipy's default odd-extension length for ``sosfiltfilt``."""
    ntaps = 2 * sos.shape[0] + 1
    ntaps -= min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * ntaps


def bandpass_array(
    x: np.ndarray,
    *,
    sample_interval_ns: float,
    low_hz: float | None = None,
    high_hz: float | None = None,
    order: int = 4,
    engine: str = "numba",
) -> np.ndarray:
    """Zero-phase Butterworth filter of traces (ndarray level of :func:`bandpass`).

    Parameters
    ----------
    x : ndarray, shape (..., n_samples)
    sample_interval_ns : float
    low_hz, high_hz, order, engine
        As :func:`bandpass`.

    Returns
    -------
    ndarray, shape of ``x``, float32
    """
    impl = _impl(engine)
    sos = _butterworth(low_hz, high_hz, order, sample_interval_ns)
    padlen = _sos_padlen(sos)
    n = x.shape[-1]
    if n <= padlen:
        raise ValueError(f"traces of {n} samples are too short for this filter: need more than {padlen}")
    zi = scipy.signal.sosfilt_zi(sos)
    flat = np.ascontiguousarray(x, dtype=np.float32).reshape(-1, n)
    return impl.sosfiltfilt(flat, sos, zi, padlen).reshape(x.shape)


def bandpass(
    da: xr.DataArray,
    *,
    low_hz: float | None = None,
    high_hz: float | None = None,
    order: int = 4,
    open_above_nyquist: bool = False,
    engine: str = "numba",
) -> xr.DataArray:
    """Zero-phase Butterworth band-pass (or high-/low-pass) filter along ``twt``.

    The filter runs forward and backward (``scipy.signal.sosfiltfilt``, odd
    padding), so its amplitude response is ``|H(f)|²`` of the Butterworth
    design — one half at each corner frequency — and it shifts no event.

    Parameters
    ----------
    da : xarray.DataArray
        Radargram, dims ``(trace, twt)`` or ``(channel, trace, twt)``; twt in ns, regular.
    low_hz, high_hz : float, optional
        Corner frequencies, Hz. Only ``low_hz``: high-pass; only ``high_hz``: low-pass.
    order : int
        Butterworth order of each pass.
    open_above_nyquist : bool
        A ``high_hz`` at or above the Nyquist frequency leaves the band open
        at the top (a high-pass, logged) instead of raising: for recipes whose
        corners follow the antenna frequency and meet coarsely sampled files.
    engine : {"numba", "numpy"}
        ``"numpy"`` runs ``scipy.signal.sosfiltfilt`` (the reference).

    Returns
    -------
    xarray.DataArray
        Same dims, coordinates and attributes, float32.
    """
    check_engine(engine)
    trace_axes(da)
    _, dt = time_axis(da)
    nyquist = 0.5e9 / dt
    if open_above_nyquist and high_hz is not None and high_hz >= nyquist:
        logger.info("bandpass: high_hz %.4g Hz is at or above the Nyquist frequency %.4g Hz: no upper corner",
                    high_hz, nyquist)  # fmt: skip
        high_hz = None
    padlen = _sos_padlen(_butterworth(low_hz, high_hz, order, dt))  # validate before any dask graph is built
    if da.sizes[cv.TWT] <= padlen:
        raise ValueError(f"traces of {da.sizes[cv.TWT]} samples are too short for this filter: need more than {padlen}")

    def kernel(block):
        return bandpass_array(block, sample_interval_ns=dt, low_hz=low_hz, high_hz=high_hz, order=order, engine=engine)

    params = {"low_hz": low_hz, "high_hz": high_hz, "order": order, "engine": engine}
    if open_above_nyquist:
        params["open_above_nyquist"] = True
    return map_traces(da, kernel, step="bandpass", params=params)


# --- f-k dip filter ------------------------------------------------------------------------
def _check_fk(velocity_m_per_ns, keep, taper, spatial_pad) -> None:
    if keep not in FK_KEEP:
        raise ValueError(f"keep must be one of {FK_KEEP}, got {keep!r}")
    if not (velocity_m_per_ns > 0 and math.isfinite(velocity_m_per_ns)):
        raise ValueError(f"velocity_m_per_ns must be positive, got {velocity_m_per_ns!r}")
    if not 0 <= taper <= 1:
        raise ValueError(f"taper must lie in [0, 1], got {taper!r}")
    padded_length(1, spatial_pad)


def fk_filter_array(
    x: np.ndarray,
    *,
    trace_spacing_m: float,
    sample_interval_ns: float,
    velocity_m_per_ns: float,
    keep: str = "flat",
    taper: float = 0.2,
    spatial_pad: float = 0.25,
    engine: str = "numba",
) -> np.ndarray:
    """Fan filter of blocks of traces (ndarray level of :func:`fk_filter`).

    Parameters
    ----------
    x : ndarray, shape (..., n_traces, n_samples)
        Each leading index (channel) is filtered on its own.
    trace_spacing_m, sample_interval_ns : float
    velocity_m_per_ns, keep, taper, spatial_pad, engine
        As :func:`fk_filter`.

    Returns
    -------
    ndarray, shape of ``x``, float32
    """
    impl = _impl(engine)
    _check_fk(velocity_m_per_ns, keep, taper, spatial_pad)
    n_traces, n = x.shape[-2], x.shape[-1]
    n_time = padded_length(n, 1.0)
    n_space = padded_length(n_traces, spatial_pad)
    spec = scipy.fft.rfft(np.asarray(x, dtype=np.float32), n=n_time, axis=-1, workers=-1)
    spec = scipy.fft.fft(spec, n=n_space, axis=-2, workers=-1)
    n_omega = spec.shape[-1]
    lead = spec.shape[:-2]
    k = np.tile(np.abs(wavenumbers(n_space, trace_spacing_m)), int(np.prod(lead)))
    omega = 2.0 * np.pi / (n_time * sample_interval_ns) * np.arange(n_omega)
    p_cut = 1.0 / velocity_m_per_ns
    lines = np.ascontiguousarray(spec.reshape(-1, n_omega), dtype=np.complex64)
    out = impl.fk_fan(lines, k, omega, p_cut, p_cut * (1.0 - taper), keep == "flat")
    out = scipy.fft.ifft(out.reshape(spec.shape), axis=-2, workers=-1)[..., :n_traces, :]
    return scipy.fft.irfft(out, n=n_time, axis=-1, workers=-1)[..., :n].astype(np.float32)


def fk_filter(
    da: xr.DataArray,
    *,
    velocity_m_per_ns: float,
    keep: str = "flat",
    taper: float = 0.2,
    spatial_pad: float = 0.25,
    engine: str = "numba",
) -> xr.DataArray:
    """f-k (dip) filter: keep or reject events by their apparent velocity along the track.

    An event whose time changes by ``dt`` over ``dx`` along the track has the
    apparent velocity ``|dx/dt|`` (m/ns); in the f-k plane it lies on the line
    ``|k| = ω · |dt/dx|``. The fan filter weights each bin by its slowness
    ``p = |k|/ω``: 1 below ``(1 − taper)/v``, 0 above ``1/v``, a cos² ramp
    between. Both dip directions are treated alike. Each channel is filtered
    on its own; the traces are zero-padded by ``spatial_pad`` and the time
    axis doubled to keep wrap-around out.

    Parameters
    ----------
    da : xarray.DataArray
        Radargram, dims ``(trace, twt)`` or ``(channel, trace, twt)``, regular
        ``twt`` (ns) and ``distance`` (m).
    velocity_m_per_ns : float
        Cut apparent velocity, m/ns. A flat event has infinite apparent
        velocity; a diffraction flank in ground of velocity ``v`` approaches
        ``v/2``.
    keep : {"flat", "steep"}
        ``"flat"`` keeps events faster than the cut (gentle dips) and removes
        steeper ones; ``"steep"`` is the complement (it removes flat banding).
        The two outputs add up to the input.
    taper : float
        Width of the cos² ramp as a fraction of the cut slowness, in [0, 1].
    spatial_pad : float
        Zero padding of the trace axis, as a fraction of its length.
    engine : {"numba", "numpy"}

    Returns
    -------
    xarray.DataArray
        Same dims, coordinates and attributes, float32. With dask, each
        channel chunk is processed whole (the trace axis is rechunked).
    """
    check_engine(engine)
    trace_axes(da)
    _check_fk(velocity_m_per_ns, keep, taper, spatial_pad)
    _, dt = time_axis(da)
    dx = trace_spacing(da)

    def kernel(block):
        return fk_filter_array(
            block, trace_spacing_m=dx, sample_interval_ns=dt, velocity_m_per_ns=velocity_m_per_ns,
            keep=keep, taper=taper, spatial_pad=spatial_pad, engine=engine,
        )  # fmt: skip

    params = {"velocity_m_per_ns": velocity_m_per_ns, "keep": keep, "taper": taper, "spatial_pad": spatial_pad,
              "engine": engine}  # fmt: skip
    return map_traces(da, kernel, step="fk_filter", params=params, trace_halo=-1)


# --- Hilbert transform ---------------------------------------------------------------------
def hilbert_array(x: np.ndarray, *, engine: str = "numba") -> np.ndarray:
    """Hilbert transform of traces: the imaginary part of the analytic signal.

    Parameters
    ----------
    x : ndarray, shape (..., n_samples)

    Returns
    -------
    ndarray, shape of ``x``, float32
        ``numba``: ``irfft(−i·sign(ω)·rfft(x))``; ``numpy``:
        ``imag(scipy.signal.hilbert(x))`` — the same transform, no padding.
    """
    n = x.shape[-1]
    if check_engine(engine) == "numpy":
        return np.imag(scipy.signal.hilbert(np.asarray(x, dtype=np.float64), axis=-1)).astype(np.float32)
    flat = np.ascontiguousarray(x, dtype=np.float32).reshape(-1, n)
    spec = np.ascontiguousarray(scipy.fft.rfft(flat, axis=-1, workers=-1), dtype=np.complex64)
    h = scipy.fft.irfft(_spectral_kernels.quadrature_spectrum(spec, n), n=n, axis=-1, workers=-1)
    return h.astype(np.float32).reshape(x.shape)


def _analytic_step(da, which: str, engine: str, step: str, attrs=None, name=None) -> xr.DataArray:
    impl = _impl(engine)
    trace_axes(da)

    def kernel(block):
        n = block.shape[-1]
        flat = block.reshape(-1, n)
        h = hilbert_array(flat, engine=engine)
        return getattr(impl, which)(flat, h).reshape(block.shape)

    out = map_traces(da, kernel, step=step, params={"engine": engine}, attrs=attrs)
    return out.rename(name) if name else out


def envelope(da: xr.DataArray, *, engine: str = "numba") -> xr.DataArray:
    """Instantaneous amplitude (envelope) ``|x + i·H(x)|`` of every trace.

    Parameters
    ----------
    da : xarray.DataArray
        Radargram, dims ``(trace, twt)`` or ``(channel, trace, twt)``.
    engine : {"numba", "numpy"}
        ``"numpy"`` uses ``scipy.signal.hilbert``.

    Returns
    -------
    xarray.DataArray
        Same dims, coordinates and attributes, float32, ≥ 0.
    """
    return _analytic_step(da, "envelope", engine, "envelope")


def instantaneous_phase(da: xr.DataArray, *, engine: str = "numba") -> xr.DataArray:
    """Instantaneous phase ``angle(x + i·H(x))`` of every trace, radians in (−π, π].

    Parameters
    ----------
    da : xarray.DataArray
        Radargram, dims ``(trace, twt)`` or ``(channel, trace, twt)``.
    engine : {"numba", "numpy"}
        ``"numpy"`` uses ``scipy.signal.hilbert``.

    Returns
    -------
    xarray.DataArray
        Same dims and coordinates, float32, named ``instantaneous_phase``
        with ``units = "rad"``.
    """
    return _analytic_step(
        da, "instantaneous_phase", engine, "instantaneous_phase", attrs={cv.ATTR_UNITS: UNIT_RADIAN},
        name="instantaneous_phase",
    )  # fmt: skip


def peak_frequency(da: xr.DataArray, *, max_traces: int = 2000) -> float:
    """The frequency at which the mean amplitude spectrum of the traces peaks, Hz.

    For a radargram whose file does not give the antenna's centre frequency
    (a gprMax model, an unknown instrument): the steps that work in periods
    of the centre frequency (dewow, first-break picking, band-pass) can use
    this estimate. Each trace loses its mean first; the spectrum is that of
    the whole record, zero-padded to at least 4096 samples (interpolated
    bins), and the peak is refined by a parabola through the largest bin and
    its neighbours.

    Parameters
    ----------
    da : xarray.DataArray, dims (..., twt)
        A radargram with a regular ``twt`` axis (ns).
    max_traces : int
        At most this many traces, evenly spread, enter the mean.

    Returns
    -------
    float
        Hz.

    Raises
    ------
    ValueError
        If every trace is constant (no spectrum to peak).
    """
    _, dt = time_axis(da)
    values = np.asarray(da.transpose(..., cv.TWT).values, dtype=np.float64).reshape(-1, da.sizes[cv.TWT])
    if values.shape[0] > max_traces:
        values = values[np.linspace(0, values.shape[0] - 1, max_traces).round().astype(int)]
    values = values - values.mean(axis=-1, keepdims=True)
    n = max(4096, scipy.fft.next_fast_len(values.shape[-1]))
    spectrum = np.abs(scipy.fft.rfft(values, n=n, axis=-1)).mean(axis=0)
    spectrum[0] = 0.0
    k = int(np.argmax(spectrum))
    if spectrum[k] <= 0:
        raise ValueError("every trace is constant: the radargram has no spectrum to find a peak frequency in")
    shift = 0.0
    if 0 < k < spectrum.size - 1:
        a, b, c = spectrum[k - 1], spectrum[k], spectrum[k + 1]
        denom = a - 2 * b + c
        shift = 0.5 * (a - c) / denom if denom < 0 else 0.0
    return float((k + shift) / (n * dt * 1e-9))


def with_frequency(da: xr.DataArray) -> xr.DataArray:
    """``da`` itself where it states its centre frequency; else a copy with :func:`peak_frequency` as ``frequency_hz``.

    The estimate is logged and its origin recorded in the history.
    """
    value = da.attrs.get(cv.ATTR_FREQUENCY)
    try:
        if value is not None and math.isfinite(float(value)) and float(value) > 0:
            return da
    except (TypeError, ValueError):
        pass
    f = peak_frequency(da)
    logger.info("%s: no centre frequency in the file; using the spectrum's peak, %.0f MHz",
                da.attrs.get(cv.ATTR_SOURCE, "radargram"), f / 1e6)
    from ..model import append_history

    return append_history(da.assign_attrs({cv.ATTR_FREQUENCY: f}), "peak_frequency", frequency_hz=f)
