"""Build and annotate radargrams: the data model's constructors.

Readers, synthetic generators and processing steps all make their
DataArrays here, so every radargram carries the same coordinate names,
units and attribute conventions (see :mod:`roadbed.conventions`).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping

import numpy as np
import xarray as xr

from . import conventions as cv

__all__ = ["radargram", "append_history", "history", "flat_attrs", "coord_attrs"]


def coord_attrs(name: str) -> dict:
    """CF ``units``/``long_name`` attributes for a data-model coordinate."""
    attrs = {}
    if name in cv.COORD_UNITS:
        attrs[cv.ATTR_UNITS] = cv.COORD_UNITS[name]
    if name in cv.COORD_LONG_NAMES:
        attrs[cv.ATTR_LONG_NAME] = cv.COORD_LONG_NAMES[name]
    return attrs


def _flat_value(value):
    """One attribute value made storable in netCDF and zarr, or None."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("latin-1").rstrip("\x00").strip()
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        arr = np.asarray(value)
        if arr.dtype.kind in "iub":
            return [int(v) for v in arr.ravel()]
        if arr.dtype.kind == "f":
            return [float(v) for v in arr.ravel()]
        return json.dumps([str(v) for v in arr.ravel()])
    if isinstance(value, (_dt.datetime, _dt.date, np.datetime64)):
        return str(value)
    return json.dumps(value, default=str)


def flat_attrs(attrs: Mapping, *, prefix: str = "") -> dict:
    """Attributes flattened to what netCDF and zarr store exactly.

    Booleans become 0/1, bytes become stripped text, sequences become lists of
    numbers (or JSON text), ``None`` values are dropped.

    Parameters
    ----------
    attrs : mapping
        Raw name → value pairs (e.g. a parsed instrument header).
    prefix : str, optional
        Prepended to every key, e.g. :data:`roadbed.conventions.RAW_HEADER_PREFIX`.
    """
    out = {}
    for key, value in attrs.items():
        flat = _flat_value(value)
        if flat is None or (isinstance(flat, list) and not flat):
            continue
        out[f"{prefix}{key}"] = flat
    return out


def radargram(
    data,
    *,
    twt_ns,
    distance_m=None,
    offset_m=None,
    trace_coords: Mapping | None = None,
    attrs: Mapping | None = None,
    name: str = cv.AMPLITUDE,
) -> xr.DataArray:
    """A radargram DataArray with the data model's dims, coords and units.

    Parameters
    ----------
    data : array_like or xarray.Variable, shape (n_traces, n_samples) or (n_channels, n_traces, n_samples)
        Amplitudes. A lazily indexed :class:`xarray.Variable` is kept lazy.
    twt_ns : array_like, shape (n_samples,)
        Two-way travel time of each sample, ns.
    distance_m : array_like, shape (n_traces,), optional
        Distance along the track, m.
    offset_m : array_like, shape (n_channels,), optional
        Across-track offset of each channel, m (3-D data only; default 0).
    trace_coords : mapping, optional
        Further coordinates on ``trace`` (``x``, ``y``, ``lon``, ``lat``,
        ``time``, ``mark``, ``elevation``) as 1-D arrays of length n_traces,
        or lazily indexed :class:`xarray.Variable` objects on ``trace``.
    attrs : mapping, optional
        Flat attributes; ``history`` defaults to an empty string.
    name : str
        Name of the DataArray.

    Returns
    -------
    xarray.DataArray
        dims ``("trace", "twt")`` or ``("channel", "trace", "twt")``.
    """
    ndim = data.ndim
    if ndim == 2:
        dims = (cv.TRACE, cv.TWT)
    elif ndim == 3:
        dims = (cv.CHANNEL, cv.TRACE, cv.TWT)
    else:
        raise ValueError(f"a radargram has 2 or 3 dimensions, got shape {data.shape}")
    n_traces, n_samples = data.shape[-2], data.shape[-1]
    coords: dict = {}
    twt = np.asarray(twt_ns, dtype=np.float64)
    if twt.shape != (n_samples,):
        raise ValueError(f"twt_ns has shape {twt.shape}, expected ({n_samples},)")
    coords[cv.TWT] = (cv.TWT, twt, coord_attrs(cv.TWT))
    if distance_m is not None:
        dist = np.asarray(distance_m, dtype=np.float64)
        if dist.shape != (n_traces,):
            raise ValueError(f"distance_m has shape {dist.shape}, expected ({n_traces},)")
        coords[cv.DISTANCE] = (cv.TRACE, dist, coord_attrs(cv.DISTANCE))
    coords[cv.TRACE] = (cv.TRACE, np.arange(n_traces))
    if ndim == 3:
        n_channels = data.shape[0]
        off = np.zeros(n_channels) if offset_m is None else np.asarray(offset_m, dtype=np.float64)
        if off.shape != (n_channels,):
            raise ValueError(f"offset_m has shape {off.shape}, expected ({n_channels},)")
        coords[cv.CHANNEL] = (cv.CHANNEL, np.arange(n_channels))
        coords[cv.OFFSET] = (cv.CHANNEL, off, coord_attrs(cv.OFFSET))
    for key, values in (trace_coords or {}).items():
        if isinstance(values, xr.Variable):  # a lazily read coordinate stays lazy
            values = values.copy(deep=False)
            values.attrs.update(coord_attrs(key))
        else:
            values = np.asarray(values)
        if values.shape != (n_traces,):
            raise ValueError(f"trace coordinate {key!r} has shape {values.shape}, expected ({n_traces},)")
        if isinstance(values, xr.Variable):
            coords[key] = values
        else:
            coords[key] = (cv.TRACE, values, coord_attrs(key))
    all_attrs = {cv.ATTR_HISTORY: ""}
    all_attrs.update(flat_attrs(attrs or {}))
    return xr.DataArray(data, dims=dims, coords=coords, attrs=all_attrs, name=name)


def _history_line(step: str, params: Mapping) -> str:
    from . import __version__

    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    args = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return f"{stamp} roadbed {__version__}: {step}({args})"


def append_history(da: xr.DataArray, step: str, **params) -> xr.DataArray:
    """A shallow copy of ``da`` with one step appended to ``attrs['history']``.

    History follows the CF convention: one line per step, each starting with
    a UTC timestamp, so it survives netCDF and zarr unchanged.

    Parameters
    ----------
    da : xarray.DataArray
        The radargram (not modified).
    step : str
        Name of the function that produced the new data, e.g. ``"read"``.
    **params
        The parameters of the step, recorded with ``repr``.
    """
    out = da.copy(deep=False)
    out.attrs = dict(da.attrs)
    previous = out.attrs.get(cv.ATTR_HISTORY, "")
    line = _history_line(step, params)
    out.attrs[cv.ATTR_HISTORY] = f"{previous}\n{line}" if previous else line
    return out


def history(da: xr.DataArray) -> list[str]:
    """The processing history of ``da``, one entry per step, oldest first."""
    text = da.attrs.get(cv.ATTR_HISTORY, "")
    return [line for line in str(text).split("\n") if line]
