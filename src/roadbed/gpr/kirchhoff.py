"""Kirchhoff time migration of 2-D lines and 3-D arrays, as an exactly adjoint operator pair.

:func:`kirchhoff_migrate` sums every trace within the aperture along the
diffraction curve of each image point (the adjoint operator);
:func:`kirchhoff_model` spreads every image point along the same curves (the
forward operator). Both use one table of interpolation nodes and weights, so
``<model(m), d> = <m, migrate(d)>`` holds to rounding (the dot test).

The image is on the data's own grid: same traces, channels and ``twt``
samples, ``twt`` now meaning the vertical two-way time of each image point.

Operator (see :func:`roadbed.gpr._kirchhoff_reference.stencil`)
----------------------------------------------------------------
* traveltime ``t = sqrt(τ² + (2 r / v)²)`` after time zero, ``r`` the
  horizontal distance from the image point to the trace, ``v`` constant or
  an RMS velocity that varies with image time ``τ``;
* linear interpolation between the two data samples around ``t``;
* weights of Kirchhoff time migration (obliquity ``cosθ = τ / t``,
  spreading ``1/sqrt(v ρ)`` in 2-D and ``1/(v ρ)`` in 3-D, the trace spacing
  as area element) and the ρ-filter (half derivative in 2-D, derivative in
  3-D) on the traces;
* limits, each with a cos² taper over the last 20 %: the aperture (a
  horizontal radius, m), the largest angle from the vertical, and
  anti-aliasing by operator dip (a trace contributes only where the
  diffraction curve moves by less than half a period of the highest
  frequency from one trace or channel to the next).

Speed: on a regular grid the traveltime and weight depend only on the grid
offset between image point and trace, so they are tabulated once per offset
and the kernels loop output traces in parallel, reading the table.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import scipy.fft
import xarray as xr

from .. import conventions as cv
from . import _kirchhoff_kernels as _kernels
from . import _kirchhoff_reference as _reference
from ._apply import check_engine, map_traces, trace_axes

__all__ = [
    "kirchhoff_migrate",
    "kirchhoff_model",
    "kirchhoff_migrate_array",
    "kirchhoff_model_array",
    "KirchhoffGeometry",
    "geometry_of",
    "operator_table",
]

logger = logging.getLogger(__name__)

#: relative spread of grid steps still taken as a regular grid
_REGULAR_TOLERANCE = 0.01


@dataclass(frozen=True)
class KirchhoffGeometry:
    """The grid and the operator's settings: everything but the samples.

    Attributes
    ----------
    sample_interval_ns : float
        Time sampling, ns.
    twt0_ns : float
        Time of the first sample, ns.
    trace_spacing_m : float
        Along-track grid step, m.
    channel_spacing_m : float
        Across-track grid step, m (ignored in 2-D).
    three_d : bool
        3-D operator (channels are a second horizontal axis) or 2-D (lines).
    velocity_m_per_ns : float or tuple of float
        Migration velocity, m/ns: a constant, or an RMS velocity for each
        image sample (length n_samples).
    aperture_m : float
        Largest horizontal distance from an image point to a trace summed (a radius), m.
    max_angle_deg : float
        Largest angle from the vertical summed, degrees, in (0, 90].
    max_frequency_hz : float or None
        Highest frequency kept free of operator aliasing, Hz; None: no anti-aliasing.
    rho_filter : bool
        Apply the ρ-filter (half derivative in 2-D, derivative in 3-D).
    time_zero_ns : float
        Time of the ground surface on the ``twt`` axis, ns.
    """

    sample_interval_ns: float
    twt0_ns: float
    trace_spacing_m: float
    channel_spacing_m: float
    three_d: bool
    velocity_m_per_ns: float | tuple
    aperture_m: float = 1.0
    max_angle_deg: float = 60.0
    max_frequency_hz: float | None = None
    rho_filter: bool = True
    time_zero_ns: float = 0.0

    def __post_init__(self):
        for name in ("sample_interval_ns", "trace_spacing_m", "aperture_m"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive finite number, got {value!r}")
        if self.three_d and not (math.isfinite(self.channel_spacing_m) and self.channel_spacing_m > 0):
            raise ValueError(f"channel_spacing_m must be positive for a 3-D operator, got {self.channel_spacing_m!r}")
        if not 0 < self.max_angle_deg <= 90:
            raise ValueError(f"max_angle_deg must be in (0, 90], got {self.max_angle_deg!r}")
        f_max = self.max_frequency_hz
        if f_max is not None and not (f_max > 0 and math.isfinite(f_max)):
            raise ValueError(f"max_frequency_hz must be positive or None, got {self.max_frequency_hz!r}")
        if not (math.isfinite(self.twt0_ns) and math.isfinite(self.time_zero_ns)):
            raise ValueError("twt0_ns and time_zero_ns must be finite")
        v = np.atleast_1d(np.asarray(self.velocity_m_per_ns, dtype=np.float64))
        if v.ndim != 1 or not np.all(np.isfinite(v)) or np.any(v <= 0):
            raise ValueError("velocity_m_per_ns must be positive and finite (a number or one value per sample)")
        object.__setattr__(
            self, "velocity_m_per_ns", float(v[0]) if np.ndim(self.velocity_m_per_ns) == 0 else tuple(v.tolist())
        )

    def velocity(self, n_samples: int) -> np.ndarray:
        """The velocity at each image sample, shape (n_samples,), m/ns."""
        v = np.asarray(self.velocity_m_per_ns, dtype=np.float64)
        if v.ndim == 1 and v.shape != (n_samples,):
            raise ValueError(f"velocity_m_per_ns has {v.size} values, the data {n_samples} samples")
        return np.broadcast_to(v, (n_samples,)).copy()

    def stencil_arguments(self, n_samples: int) -> dict:
        """Keyword arguments of :func:`~roadbed.gpr._kirchhoff_reference.stencil` (and its twins)."""
        return {
            "sample_interval_ns": self.sample_interval_ns,
            "twt0_ns": self.twt0_ns,
            "time_zero_ns": self.time_zero_ns,
            "trace_spacing_m": self.trace_spacing_m,
            "channel_spacing_m": self.channel_spacing_m if self.three_d else 1.0,
            "three_d": self.three_d,
            "aperture_m": self.aperture_m,
            "max_angle_deg": self.max_angle_deg,
            "max_frequency_ghz": None if self.max_frequency_hz is None else self.max_frequency_hz * 1e-9,
            "velocity": self.velocity(n_samples),
        }


# --- the operator table ------------------------------------------------------------------
def operator_table(geometry: KirchhoffGeometry, n_samples: int, dtype=np.float32) -> tuple:
    """Interpolation nodes and weights of the operator for every grid offset within the aperture.

    Returns
    -------
    tuple
        ``(adc, adx, k0, k1, idx, w0, w1)`` as the kernels take them
        (see :mod:`roadbed.gpr._kirchhoff_kernels`).
    """
    if n_samples < 2:
        raise ValueError(f"Kirchhoff migration needs at least 2 samples per trace, got {n_samples}")
    args = geometry.stencil_arguments(n_samples)
    velocity = args.pop("velocity")
    tau = geometry.twt0_ns + geometry.sample_interval_ns * np.arange(n_samples) - geometry.time_zero_ns
    nx_max = int(math.floor(geometry.aperture_m / geometry.trace_spacing_m))
    nc_max = int(math.floor(geometry.aperture_m / geometry.channel_spacing_m)) if geometry.three_d else 0
    rows = []
    for dc in range(nc_max + 1):  # one row serves (±dc, ±dx)
        for dx in range(nx_max + 1):
            rx, ry = dx * geometry.trace_spacing_m, dc * args["channel_spacing_m"]
            if math.hypot(rx, ry) > geometry.aperture_m:
                continue
            s, w = _reference.stencil(tau, rx, ry, velocity, n_samples=n_samples, **args)
            used = np.flatnonzero(w)
            if used.size:
                rows.append((dc, dx, used[0], used[-1] + 1, *_reference.split(s, w, n_samples)))
    if not rows:  # nothing within the limits: an empty operator
        empty = np.zeros((0, n_samples), dtype)
        return (np.zeros(0, np.int64),) * 4 + (np.zeros((0, n_samples), np.int32), empty, empty)
    adc, adx, k0, k1, idx, w0, w1 = zip(*rows, strict=True)
    return (
        np.array(adc, dtype=np.int64),
        np.array(adx, dtype=np.int64),
        np.array(k0, dtype=np.int64),
        np.array(k1, dtype=np.int64),
        np.ascontiguousarray(idx, dtype=np.int32),
        np.ascontiguousarray(w0, dtype=dtype),
        np.ascontiguousarray(w1, dtype=dtype),
    )


def _rho_filter(arr: np.ndarray, geometry: KirchhoffGeometry, *, adjoint: bool) -> np.ndarray:
    """The ρ-filter (or its adjoint) on each trace: ``(iω)^½`` in 2-D, ``iω`` in 3-D, ω in rad/ns."""
    n = arr.shape[-1]
    nfft = scipy.fft.next_fast_len(2 * n, real=True)  # zero padding: no wrap-around into the trace
    omega = 2.0 * np.pi * scipy.fft.rfftfreq(nfft, geometry.sample_interval_ns)
    h = 1j * omega if geometry.three_d else np.sqrt(1j * omega)
    if nfft % 2 == 0:
        h[-1] = h[-1].real  # irfft keeps only the real part of the Nyquist bin; say so for both directions
    spec = scipy.fft.rfft(arr, n=nfft, axis=-1, workers=-1)
    spec *= np.conj(h) if adjoint else h
    # contiguous: the kernels are compiled for (and vectorise on) C-ordered traces
    return np.ascontiguousarray(scipy.fft.irfft(spec, n=nfft, axis=-1, workers=-1)[..., :n], dtype=arr.dtype)


def _as_volume(arr) -> tuple[np.ndarray, tuple]:
    arr = np.asarray(arr)
    if arr.ndim not in (2, 3):
        raise ValueError(f"expected shape (n_traces, n_samples) or (n_channels, n_traces, n_samples), got {arr.shape}")
    dtype = np.float64 if arr.dtype == np.float64 else np.float32
    vol = np.ascontiguousarray(arr.reshape((1,) * (3 - arr.ndim) + arr.shape), dtype=dtype)
    return vol, arr.shape


def _table_for(vol: np.ndarray, geometry: KirchhoffGeometry, table) -> tuple:
    if table is None:
        return operator_table(geometry, vol.shape[-1], vol.dtype)
    return (*table[:5], *(np.asarray(w, dtype=vol.dtype) for w in table[5:]))


def kirchhoff_migrate_array(data, geometry: KirchhoffGeometry, *, engine: str = "numba", table=None) -> np.ndarray:
    """Kirchhoff migration of bare samples (the adjoint of :func:`kirchhoff_model_array`).

    Parameters
    ----------
    data : array_like, shape (n_traces, n_samples) or (n_channels, n_traces, n_samples)
        Samples on a regular grid; float64 stays float64, anything else becomes float32.
    geometry : KirchhoffGeometry
        With a 2-D geometry each channel is migrated as a line of its own.
    engine : {"numba", "numpy"}
        ``"numpy"`` is the slow reference (small arrays only).
    table : tuple, optional
        A table from :func:`operator_table` for this geometry, to reuse.

    Returns
    -------
    numpy.ndarray, same shape as ``data``
        The time-migrated image.
    """
    check_engine(engine)
    vol, shape = _as_volume(data)
    if geometry.rho_filter:
        vol = _rho_filter(vol, geometry, adjoint=False)
    return _migrate_volume(vol, geometry, engine=engine, table=table).reshape(shape)


def _migrate_volume(vol: np.ndarray, geometry: KirchhoffGeometry, *, engine: str, table=None, out=None) -> np.ndarray:
    """The migration sum of a (channel, trace, sample) volume already ρ-filtered; into ``out`` (numba) if given."""
    if engine == "numba":
        if out is None:
            out = np.empty_like(vol)  # numpy's allocation: huge pages, faulted in by the kernel's threads
        return _kernels.migrate(vol, *_table_for(vol, geometry, table), out)
    return _reference.migrate(vol, geometry.stencil_arguments(vol.shape[-1])).astype(vol.dtype)


def kirchhoff_model_array(image, geometry: KirchhoffGeometry, *, engine: str = "numba", table=None) -> np.ndarray:
    """Kirchhoff modelling of bare samples: diffraction data of an image (adjoint of migration).

    Parameters and returns as :func:`kirchhoff_migrate_array`, with the
    image in and the modelled data out.
    """
    check_engine(engine)
    vol, shape = _as_volume(image)
    if engine == "numba":
        out = _kernels.model(vol, *_table_for(vol, geometry, table))
    else:
        out = _reference.model(vol, geometry.stencil_arguments(vol.shape[-1])).astype(vol.dtype)
    if geometry.rho_filter:
        out = _rho_filter(out, geometry, adjoint=True)
    return out.reshape(shape)


# --- DataArrays ---------------------------------------------------------------------------
def _spacing(values: np.ndarray, name: str) -> float:
    steps = np.diff(np.asarray(values, dtype=np.float64))
    step = float(np.median(np.abs(steps))) if steps.size else math.nan
    if not (step > 0) or np.any(np.abs(np.abs(steps) - step) > _REGULAR_TOLERANCE * step):
        raise ValueError(f"Kirchhoff migration needs a regular {name} grid; resample the data onto one first")
    return step


def geometry_of(
    da: xr.DataArray, *, velocity_m_per_ns, aperture_m: float = 1.0, max_angle_deg: float = 60.0,
    antialias: bool = True, max_frequency_hz: float | None = None, rho_filter: bool = True, time_zero_ns: float = 0.0,
) -> KirchhoffGeometry:  # fmt: skip
    """The :class:`KirchhoffGeometry` of a radargram's grid (options as :func:`kirchhoff_migrate`)."""
    axes = trace_axes(da)
    twt = np.asarray(da[cv.TWT].values, dtype=np.float64)
    if twt.size < 2:
        raise ValueError("Kirchhoff migration needs at least 2 samples per trace")
    dt = _spacing(twt, "twt")
    if cv.DISTANCE in da.coords and da.sizes[cv.TRACE] > 1:
        dx = _spacing(da[cv.DISTANCE].values, "trace distance")
    elif cv.ATTR_TRACE_SPACING in da.attrs:
        dx = float(da.attrs[cv.ATTR_TRACE_SPACING])
    else:
        raise ValueError("the radargram has no distance coordinate nor trace_spacing_m attribute")
    three_d = len(axes) == 3 and da.sizes[cv.CHANNEL] > 1
    dy = _spacing(da[cv.OFFSET].values, "channel offset") if three_d else math.nan
    if isinstance(velocity_m_per_ns, xr.DataArray):
        velocity_m_per_ns = velocity_m_per_ns.values
    if np.ndim(velocity_m_per_ns) == 0:
        velocity_m_per_ns = float(velocity_m_per_ns)
    if antialias and max_frequency_hz is None:
        f_c = da.attrs.get(cv.ATTR_FREQUENCY)
        # a Ricker-like pulse carries little above twice its centre frequency
        max_frequency_hz = 2.0 * float(f_c) if f_c else 0.5e9 / dt
    return KirchhoffGeometry(
        sample_interval_ns=dt,
        twt0_ns=float(twt[0]),
        trace_spacing_m=dx,
        channel_spacing_m=dy,
        three_d=three_d,
        velocity_m_per_ns=velocity_m_per_ns,
        aperture_m=float(aperture_m),
        max_angle_deg=float(max_angle_deg),
        max_frequency_hz=float(max_frequency_hz) if antialias else None,
        rho_filter=bool(rho_filter),
        time_zero_ns=float(time_zero_ns),
    )


def _apply(da: xr.DataArray, *, step: str, adjoint: bool, engine: str, options: dict) -> xr.DataArray:
    check_engine(engine)
    geometry = geometry_of(da, **options)
    n_samples = da.sizes[cv.TWT]
    table = operator_table(geometry, n_samples, np.float32) if engine == "numba" else None
    fn = kirchhoff_migrate_array if adjoint else kirchhoff_model_array
    halo = int(np.max(np.abs(table[1]), initial=0)) if table is not None else int(
        math.floor(geometry.aperture_m / geometry.trace_spacing_m)
    )
    if da.chunks is not None and cv.CHANNEL in da.dims:
        da = da.chunk({cv.CHANNEL: -1})  # the 3-D operator sums across channels

    def kernel(block):
        return fn(block, geometry, engine=engine, table=table)

    params = dict(options)
    if np.ndim(params["velocity_m_per_ns"]) > 0:
        v = np.asarray(params["velocity_m_per_ns"], dtype=np.float64)
        params["velocity_m_per_ns"] = f"RMS profile {v.min():.4g}..{v.max():.4g}"
    params["engine"] = engine
    logger.debug("%s: %d table rows, halo %d traces", step, 0 if table is None else table[0].size, halo)
    return map_traces(da, kernel, step=step, params=params, trace_halo=halo)


def kirchhoff_migrate(
    da: xr.DataArray,
    *,
    velocity_m_per_ns,
    aperture_m: float = 1.0,
    max_angle_deg: float = 60.0,
    antialias: bool = True,
    max_frequency_hz: float | None = None,
    rho_filter: bool = True,
    time_zero_ns: float = 0.0,
    engine: str = "numba",
) -> xr.DataArray:
    """Kirchhoff time migration of a line or an array survey.

    Parameters
    ----------
    da : xarray.DataArray, dims (trace, twt) or (channel, trace, twt)
        A radargram on a regular grid: ``twt`` (ns), ``distance`` (m) on
        ``trace`` (or the ``trace_spacing_m`` attribute), and for 3-D data
        ``offset`` (m) on ``channel``. With several channels the operator is
        3-D; a single channel is migrated as a 2-D line.
    velocity_m_per_ns : float or array_like, shape (n_samples,)
        Migration velocity, m/ns: constant, or an RMS velocity at each ``twt`` sample.
    aperture_m : float
        Largest horizontal distance from an image point to a trace summed, m (a radius).
    max_angle_deg : float
        Largest angle from the vertical summed, degrees.
    antialias : bool
        Limit the operator dip so that it does not alias (see the module notes).
    max_frequency_hz : float, optional
        Highest frequency kept unaliased, Hz; default twice the ``frequency_hz``
        attribute, or the Nyquist frequency where that is absent.
    rho_filter : bool
        Apply the ρ-filter to the traces (phase and spectrum of the image right).
    time_zero_ns : float
        Time of the ground surface on the ``twt`` axis, ns; samples above it
        pass unchanged. 0 once time zero has been corrected.
    engine : {"numba", "numpy"}
        ``"numpy"`` is the slow reference twin (small data only).

    Returns
    -------
    xarray.DataArray
        The image, float32, same dims, coordinates and attributes; ``twt`` is
        the image's vertical two-way time. History records the step.
    """
    options = dict(
        velocity_m_per_ns=velocity_m_per_ns, aperture_m=aperture_m, max_angle_deg=max_angle_deg, antialias=antialias,
        max_frequency_hz=max_frequency_hz, rho_filter=rho_filter, time_zero_ns=time_zero_ns,
    )  # fmt: skip
    return _apply(da, step="kirchhoff_migrate", adjoint=True, engine=engine, options=options)


def kirchhoff_model(
    image: xr.DataArray,
    *,
    velocity_m_per_ns,
    aperture_m: float = 1.0,
    max_angle_deg: float = 60.0,
    antialias: bool = True,
    max_frequency_hz: float | None = None,
    rho_filter: bool = True,
    time_zero_ns: float = 0.0,
    engine: str = "numba",
) -> xr.DataArray:
    """Kirchhoff modelling: the diffraction data of an image, the adjoint of :func:`kirchhoff_migrate`.

    Parameters are those of :func:`kirchhoff_migrate`; ``image`` has the
    radargram's dims and coordinates (``twt`` as vertical two-way time).
    With the same parameters, ``<kirchhoff_model(m), d> = <m, kirchhoff_migrate(d)>``.

    Returns
    -------
    xarray.DataArray
        Modelled data, float32, same dims, coordinates and attributes.
    """
    options = dict(
        velocity_m_per_ns=velocity_m_per_ns, aperture_m=aperture_m, max_angle_deg=max_angle_deg, antialias=antialias,
        max_frequency_hz=max_frequency_hz, rho_filter=rho_filter, time_zero_ns=time_zero_ns,
    )  # fmt: skip
    return _apply(image, step="kirchhoff_model", adjoint=False, engine=engine, options=options)
