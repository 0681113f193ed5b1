"""Amplitude gains: t-power, exponential, spreading-and-exponential (SEC) and AGC.

Analytic gains multiply every trace by a curve ``g(t)`` of the time after the
ground surface,

``t = max(twt − time_zero, t_min)``, ``g(t) = t**power · exp(alpha · t)``

(``t`` in ns; ``t_min`` is one sample interval, so the curve is finite and
non-zero everywhere and each gain can be undone exactly). ``time_zero`` is
``attrs['time_zero_ns']`` (one value, or one per channel), 0 where absent.

Every analytic gain is pushed, with its parameters, onto a stack kept as JSON
text in ``attrs['gain_applied']``; :func:`remove_gain` pops the last one and
divides it out, and calling a gain with ``inverse=True`` divides by the curve
(cancelling the matching stack entry). AGC depends on the data, so it cannot
be undone from its parameters: keep its gain (``agc(..., return_gain=True)``)
and divide it out with :func:`apply_gain` (``inverse=True``).

Attenuation in physical units: an amplitude loss of ``A`` dB per metre of
two-way path (as in :func:`roadbed.synth.synthetic_survey`) at wave speed
``v`` (m/ns) is compensated by ``alpha = A · ln(10) / 20 · v`` per ns, since a
reflection at two-way time ``t`` has travelled ``v · t`` metres.
"""

from __future__ import annotations

import json
import logging
import math

import numpy as np
import xarray as xr

from .. import conventions as cv
from ..model import append_history
from . import _filter_kernels, _filter_reference
from ._apply import check_engine, map_traces
from .filters import centre_frequency_hz, half_window_samples, sample_interval_ns
from .timezero import channel_time_zero

__all__ = [
    "ATTR_GAIN",
    "AGC_WINDOW_PERIODS",
    "alpha_per_ns",
    "gain_curve",
    "gain_curve_array",
    "tpow_gain",
    "exp_gain",
    "sec_gain",
    "remove_gain",
    "agc",
    "agc_gain_array",
    "apply_gain",
]

logger = logging.getLogger(__name__)

#: attribute holding the stack of applied gains (JSON list, oldest first)
ATTR_GAIN = "gain_applied"
#: default AGC window, periods of the antenna's centre frequency
AGC_WINDOW_PERIODS = 5.0
#: kinds of gain records that only an explicit gain array can undo
_ARRAY_GAINS = ("agc", "apply_gain")


def _impl(engine: str):
    return _filter_kernels if check_engine(engine) == "numba" else _filter_reference


def alpha_per_ns(*, attenuation_db_per_m: float, velocity_m_per_ns: float) -> float:
    """The exponential-gain rate (1/ns) that compensates an attenuation.

    Parameters
    ----------
    attenuation_db_per_m : float
        Amplitude loss per metre of two-way path, dB/m (≥ 0).
    velocity_m_per_ns : float
        Wave speed, m/ns (> 0).

    Returns
    -------
    float
        ``attenuation_db_per_m · ln(10)/20 · velocity_m_per_ns``.
    """
    if not (math.isfinite(attenuation_db_per_m) and attenuation_db_per_m >= 0):
        raise ValueError(f"attenuation_db_per_m must be finite and ≥ 0, got {attenuation_db_per_m!r}")
    if not (math.isfinite(velocity_m_per_ns) and velocity_m_per_ns > 0):
        raise ValueError(f"velocity_m_per_ns must be positive, got {velocity_m_per_ns!r}")
    return attenuation_db_per_m * math.log(10.0) / 20.0 * velocity_m_per_ns


def gain_curve_array(twt_ns, time_zero_ns, *, power: float, alpha_per_ns: float, t_min_ns: float) -> np.ndarray:
    """``g = t**power · exp(alpha · t)`` with ``t = max(twt − time_zero, t_min)``.

    Parameters
    ----------
    twt_ns : array_like, shape (n_samples,)
        Two-way time of each sample, ns.
    time_zero_ns : array_like, shape (n_channels,)
        Time of the ground surface in each channel, ns.
    power : float
        Exponent of the t-power (spreading) factor.
    alpha_per_ns : float
        Rate of the exponential factor, 1/ns.
    t_min_ns : float
        Smallest ``t`` used, ns (> 0).

    Returns
    -------
    numpy.ndarray, shape (n_channels, n_samples), float64
        Finite, positive gains.
    """
    if not (math.isfinite(power) and math.isfinite(alpha_per_ns)):
        raise ValueError(f"power and alpha_per_ns must be finite, got {power!r}, {alpha_per_ns!r}")
    if not t_min_ns > 0:
        raise ValueError(f"t_min_ns must be positive, got {t_min_ns!r}")
    t = np.maximum(np.asarray(twt_ns, dtype=np.float64)[None, :] - np.asarray(time_zero_ns, np.float64)[:, None],
                   t_min_ns)  # fmt: skip
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        curve = np.exp(power * np.log(t) + alpha_per_ns * t)
    top = float(np.finfo(np.float32).max)
    if not (np.all(np.isfinite(curve)) and np.all(curve > 0) and curve.max() < top and 1.0 / curve.min() < top):
        raise ValueError(
            f"gain t**{power}·exp({alpha_per_ns}·t) over t ≤ {t.max():g} ns leaves float32's range; "
            "use a smaller power or rate"
        )
    return curve


def _gain_stack(da: xr.DataArray) -> list[dict]:
    text = da.attrs.get(ATTR_GAIN, "")
    if not text:
        return []
    try:
        stack = json.loads(text)
    except (TypeError, ValueError):
        raise ValueError(f"attrs['{ATTR_GAIN}'] is not the JSON list of gains this module writes: {text!r}") from None
    if not isinstance(stack, list) or not all(isinstance(r, dict) and "kind" in r for r in stack):
        raise ValueError(f"attrs['{ATTR_GAIN}'] is not the JSON list of gains this module writes: {text!r}")
    return stack


def _set_stack(da: xr.DataArray, stack: list[dict]) -> xr.DataArray:
    """``da`` (modified in place: a fresh result) with the gain stack set, or removed when empty."""
    if stack:
        da.attrs[ATTR_GAIN] = json.dumps(stack)
    else:
        da.attrs.pop(ATTR_GAIN, None)
    return da


def _record(da: xr.DataArray, *, kind: str, power: float, alpha: float) -> dict:
    return {
        "kind": kind,
        "power": float(power),
        "alpha_per_ns": float(alpha),
        "time_zero_ns": channel_time_zero(da).tolist(),
        "t_min_ns": sample_interval_ns(da),
    }


def gain_curve(
    da: xr.DataArray,
    *,
    power: float = 1.0,
    alpha_per_ns: float | None = None,
    attenuation_db_per_m: float | None = None,
    velocity_m_per_ns: float | None = None,
) -> xr.DataArray:
    """The analytic gain curve a gain function would apply to ``da``.

    Parameters are those of :func:`sec_gain`.

    Returns
    -------
    xarray.DataArray, dims (twt,) or (channel, twt), float64
        Dimensionless gain.
    """
    record = _record(da, kind="sec_gain", power=power, alpha=_alpha(da, alpha_per_ns, attenuation_db_per_m,
                                                                    velocity_m_per_ns))  # fmt: skip
    return _curve_da(da, record)


def _curve_da(da: xr.DataArray, record: dict) -> xr.DataArray:
    curve = gain_curve_array(da[cv.TWT].values, record["time_zero_ns"], power=record["power"],
                             alpha_per_ns=record["alpha_per_ns"], t_min_ns=record["t_min_ns"])  # fmt: skip
    attrs = {cv.ATTR_UNITS: cv.UNIT_COUNTS, cv.ATTR_LONG_NAME: "gain"}
    if cv.CHANNEL in da.dims:
        return xr.DataArray(curve, dims=(cv.CHANNEL, cv.TWT), coords={cv.TWT: da[cv.TWT], cv.CHANNEL: da[cv.CHANNEL]},
                            attrs=attrs, name="gain")  # fmt: skip
    return xr.DataArray(curve[0], dims=(cv.TWT,), coords={cv.TWT: da[cv.TWT]}, attrs=attrs, name="gain")


def _alpha(da, alpha_per_ns_, attenuation_db_per_m, velocity_m_per_ns) -> float:
    if alpha_per_ns_ is not None and attenuation_db_per_m is not None:
        raise ValueError("give alpha_per_ns or attenuation_db_per_m, not both")
    if attenuation_db_per_m is None:
        return 0.0 if alpha_per_ns_ is None else float(alpha_per_ns_)
    if velocity_m_per_ns is None:
        eps = da.attrs.get(cv.ATTR_RELATIVE_PERMITTIVITY)
        if eps is None or not float(eps) >= 1:
            raise ValueError(
                f"attenuation_db_per_m needs velocity_m_per_ns (or attrs['{cv.ATTR_RELATIVE_PERMITTIVITY}'])"
            )
        velocity_m_per_ns = cv.C_M_PER_NS / math.sqrt(float(eps))
    return alpha_per_ns(attenuation_db_per_m=float(attenuation_db_per_m), velocity_m_per_ns=float(velocity_m_per_ns))


def _apply_curve(da: xr.DataArray, record: dict, *, inverse: bool, step: str, engine: str, stack: list[dict]):
    impl = _impl(engine)
    curve = np.ascontiguousarray(_curve_da(da, record).values.reshape(-1, da.sizes[cv.TWT]))
    src = da.chunk({cv.CHANNEL: -1}) if (da.chunks is not None and cv.CHANNEL in da.dims) else da

    def kernel(block):
        a = block.reshape(-1, *block.shape[-2:])  # (n_channels, n_traces, n_samples), every channel
        return impl.scale_by_curve(a, curve, inverse, np.empty_like(a)).reshape(block.shape)

    params = {k: record[k] for k in ("power", "alpha_per_ns")}
    params.update(inverse=inverse, engine=engine)
    logger.debug("%s %s", step, params)
    return _set_stack(map_traces(src, kernel, step=step, params=params), stack)


def _analytic_gain(da, *, kind, power, alpha, inverse, engine):
    check_engine(engine)
    record = _record(da, kind=kind, power=power, alpha=alpha)
    stack = _gain_stack(da)
    if inverse and stack and stack[-1] == record:
        stack = stack[:-1]  # undoing the last gain
    else:
        stack = stack + [{**record, "inverse": True}] if inverse else stack + [record]
    return _apply_curve(da, record, inverse=inverse, step=kind, engine=engine, stack=stack)


def tpow_gain(da: xr.DataArray, *, power: float = 1.0, inverse: bool = False, engine: str = "numba") -> xr.DataArray:
    """Multiply by ``t**power`` (t in ns after the surface): geometric-spreading compensation.

    Parameters
    ----------
    da : xarray.DataArray, dims (trace, twt) or (channel, trace, twt)
    power : float
        1 compensates spherical spreading of amplitude; 2 is common in practice.
    inverse : bool
        Divide by the curve instead (undo an earlier ``tpow_gain``).
    engine : {"numba", "numpy"}

    Returns
    -------
    xarray.DataArray
        float32, with a ``tpow_gain`` history entry and the gain recorded in
        ``attrs['gain_applied']``.
    """
    return _analytic_gain(da, kind="tpow_gain", power=float(power), alpha=0.0, inverse=inverse, engine=engine)


def exp_gain(
    da: xr.DataArray,
    *,
    alpha_per_ns: float | None = None,
    attenuation_db_per_m: float | None = None,
    velocity_m_per_ns: float | None = None,
    inverse: bool = False,
    engine: str = "numba",
) -> xr.DataArray:
    """Multiply by ``exp(alpha · t)``: attenuation compensation.

    Parameters
    ----------
    da : xarray.DataArray, dims (trace, twt) or (channel, trace, twt)
    alpha_per_ns : float, optional
        Rate, 1/ns.
    attenuation_db_per_m : float, optional
        Instead of ``alpha_per_ns``: amplitude loss per metre of two-way
        path, dB/m, converted with ``velocity_m_per_ns``.
    velocity_m_per_ns : float, optional
        Wave speed, m/ns; default ``c / sqrt(attrs['relative_permittivity'])``.
    inverse : bool
        Divide by the curve instead.
    engine : {"numba", "numpy"}

    Returns
    -------
    xarray.DataArray
        float32, with an ``exp_gain`` history entry and the gain recorded.
    """
    if alpha_per_ns is None and attenuation_db_per_m is None:
        raise ValueError("exp_gain needs alpha_per_ns or attenuation_db_per_m")
    alpha = _alpha(da, alpha_per_ns, attenuation_db_per_m, velocity_m_per_ns)
    return _analytic_gain(da, kind="exp_gain", power=0.0, alpha=alpha, inverse=inverse, engine=engine)


def sec_gain(
    da: xr.DataArray,
    *,
    power: float = 1.0,
    alpha_per_ns: float | None = None,
    attenuation_db_per_m: float | None = None,
    velocity_m_per_ns: float | None = None,
    inverse: bool = False,
    engine: str = "numba",
) -> xr.DataArray:
    """Spreading and exponential compensation: multiply by ``t**power · exp(alpha · t)``.

    Parameters are those of :func:`tpow_gain` and :func:`exp_gain`; with
    neither rate given this is :func:`tpow_gain`.

    Returns
    -------
    xarray.DataArray
        float32, with a ``sec_gain`` history entry and the gain recorded.
    """
    alpha = _alpha(da, alpha_per_ns, attenuation_db_per_m, velocity_m_per_ns)
    return _analytic_gain(da, kind="sec_gain", power=float(power), alpha=alpha, inverse=inverse, engine=engine)


def remove_gain(da: xr.DataArray, *, engine: str = "numba") -> xr.DataArray:
    """Undo the last analytic gain recorded in ``attrs['gain_applied']``.

    Returns
    -------
    xarray.DataArray
        float32, with a ``remove_gain`` history entry.

    Raises
    ------
    ValueError
        If no gain is recorded, or the last one was AGC or an explicit gain
        array (undo those with ``apply_gain(da, gain, inverse=True)``).
    """
    check_engine(engine)
    stack = _gain_stack(da)
    if not stack:
        raise ValueError(f"no gain is recorded in attrs['{ATTR_GAIN}']")
    record = stack[-1]
    if record["kind"] in _ARRAY_GAINS:
        raise ValueError(
            f"the last gain ({record['kind']}) depends on the data; keep its gain array "
            "(agc(..., return_gain=True)) and undo it with apply_gain(da, gain, inverse=True)"
        )
    inverse = not record.get("inverse", False)
    forward = {k: v for k, v in record.items() if k != "inverse"}
    return _apply_curve(da, forward, inverse=inverse, step="remove_gain", engine=engine, stack=stack[:-1])


# --- AGC and explicit gain arrays ---------------------------------------------------------------
def agc_gain_array(arr, *, half_window: int, floor_fraction: float = 1e-3, engine: str = "numba") -> np.ndarray:
    """AGC gain ``1 / RMS`` over a running window of ``2·half_window+1`` samples.

    Parameters
    ----------
    arr : array_like, shape (..., n_samples)
    half_window : int
        Half window, samples (≥ 0).
    floor_fraction : float
        The RMS is floored at this fraction of each trace's largest running RMS.
    engine : {"numba", "numpy"}

    Returns
    -------
    numpy.ndarray, same shape as ``arr``, float32
    """
    impl = _impl(engine)
    if int(half_window) < 0:
        raise ValueError(f"half_window must be ≥ 0, got {half_window!r}")
    if not 0 < floor_fraction <= 1:
        raise ValueError(f"floor_fraction must be in (0, 1], got {floor_fraction!r}")
    a = np.ascontiguousarray(arr, dtype=np.float32)
    flat = a.reshape(-1, a.shape[-1])
    return impl.agc_gain(flat, int(half_window), float(floor_fraction), np.empty_like(flat)).reshape(a.shape)


def agc(
    da: xr.DataArray,
    *,
    window_ns: float | None = None,
    floor_fraction: float = 1e-3,
    return_gain: bool = False,
    engine: str = "numba",
):
    """Automatic gain control: scale every sample to unit RMS over a running window.

    Parameters
    ----------
    da : xarray.DataArray, dims (trace, twt) or (channel, trace, twt)
    window_ns : float, optional
        Centred window, ns (rounded to an odd number of samples, at least 3).
        Default :data:`AGC_WINDOW_PERIODS` periods of ``attrs['frequency_hz']``.
    floor_fraction : float
        The RMS is floored at this fraction of each trace's largest running
        RMS so silent stretches are not blown up; an all-zero trace is left as is.
    return_gain : bool
        Also return the per-sample gain, the only way to undo AGC
        (``apply_gain(out, gain, inverse=True)``).
    engine : {"numba", "numpy"}

    Returns
    -------
    out : xarray.DataArray
        float32, with an ``agc`` history entry.
    gain : xarray.DataArray
        Only with ``return_gain``: same dims and coordinates as ``da``, float32.
    """
    check_engine(engine)
    dt = sample_interval_ns(da)
    if window_ns is None:
        window_ns = AGC_WINDOW_PERIODS / centre_frequency_hz(da, needed_for="window_ns") * 1e9
    half = half_window_samples(float(window_ns), dt, da.sizes[cv.TWT], "window_ns")
    params = {"window_ns": (2 * half + 1) * dt, "floor_fraction": float(floor_fraction), "engine": engine}
    gain = map_traces(
        da,
        lambda block: agc_gain_array(block, half_window=half, floor_fraction=floor_fraction, engine=engine),
        step="agc_gain",
        params=params,
    )
    history = gain.attrs[cv.ATTR_HISTORY]
    gain.attrs = {cv.ATTR_UNITS: cv.UNIT_COUNTS, cv.ATTR_LONG_NAME: "AGC gain", cv.ATTR_HISTORY: history}
    gain.name = "gain"
    out = _multiply(da, gain, inverse=False, engine=engine)
    out = append_history(_set_stack(out, _gain_stack(da) + [{"kind": "agc", **params}]), "agc", **params)
    return (out, gain) if return_gain else out


def _multiply(da: xr.DataArray, gain: xr.DataArray, *, inverse: bool, engine: str) -> xr.DataArray:
    impl = _impl(engine)
    if not set(gain.dims) <= set(da.dims):
        raise ValueError(f"the gain's dims {gain.dims} are not among the radargram's {da.dims}")

    def func(a, g):
        a = np.ascontiguousarray(a, dtype=np.float32)
        # a float64 gain (an analytic curve) multiplies in float64, as the analytic gains do
        g = np.ascontiguousarray(np.broadcast_to(g, a.shape), dtype=np.float64 if g.dtype == np.float64 else np.float32)
        shape = a.shape
        flat = a.reshape(-1, shape[-1])
        return impl.scale_elementwise(flat, g.reshape(-1, shape[-1]), inverse, np.empty_like(flat)).reshape(shape)

    out = xr.apply_ufunc(func, da, gain, dask="parallelized", output_dtypes=[np.float32], join="exact", keep_attrs=True)
    out = out.transpose(*da.dims)
    out.attrs = dict(da.attrs)
    out.name = da.name
    return out


def apply_gain(da: xr.DataArray, gain: xr.DataArray, *, inverse: bool = False, engine: str = "numba") -> xr.DataArray:
    """Multiply (or, with ``inverse``, divide) a radargram by an explicit gain.

    Parameters
    ----------
    da : xarray.DataArray, dims (trace, twt) or (channel, trace, twt)
    gain : xarray.DataArray
        Dims a subset of ``da``'s (e.g. ``(twt,)``, ``(channel, twt)`` or all
        of them), broadcast against ``da``; coordinates must match exactly.
        Non-zero wherever ``inverse``.
    inverse : bool
        Divide instead: ``apply_gain(agc_out, agc_gain, inverse=True)`` undoes AGC.
    engine : {"numba", "numpy"}

    Returns
    -------
    xarray.DataArray
        float32, with an ``apply_gain`` history entry.
    """
    check_engine(engine)
    stack = _gain_stack(da)
    out = _multiply(da, gain, inverse=inverse, engine=engine)
    if inverse and stack and stack[-1]["kind"] in _ARRAY_GAINS:
        stack = stack[:-1]
    elif not inverse:
        stack = stack + [{"kind": "apply_gain"}]
    else:
        stack = stack + [{"kind": "apply_gain", "inverse": True}]
    return append_history(_set_stack(out, stack), "apply_gain", gain=gain.name, inverse=inverse, engine=engine)
