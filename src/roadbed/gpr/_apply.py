"""The one way a processing step is applied to a radargram.

Every step in :mod:`roadbed.gpr` is written as an ndarray function on a block
of traces, shape ``(..., n_traces, n_samples)`` (leading axes are channels),
and made public through :func:`map_traces`, which

- hands the kernel contiguous float arrays and never the DataArray,
- keeps dims, coordinates and attributes, and returns a new object,
- appends a ``history`` line with the step's parameters,
- works on dask-backed data chunked along ``trace``, giving each chunk the
  neighbouring traces its window needs (``trace_halo``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import xarray as xr

from .. import conventions as cv
from ..model import append_history

__all__ = ["ENGINES", "check_engine", "map_traces", "trace_axes"]

#: the kernel implementations every step offers
ENGINES = ("numba", "numpy")


def check_engine(engine: str) -> str:
    """Return ``engine`` if it is one of :data:`ENGINES`, else raise ValueError."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    return engine


def trace_axes(da: xr.DataArray) -> tuple[str, ...]:
    """``da``'s dims in the order kernels see them: channel (if any), trace, twt."""
    if set(da.dims) == {cv.TRACE, cv.TWT}:
        return (cv.TRACE, cv.TWT)
    if set(da.dims) == {cv.CHANNEL, cv.TRACE, cv.TWT}:
        return (cv.CHANNEL, cv.TRACE, cv.TWT)
    raise ValueError(f"a radargram has dims (trace, twt) or (channel, trace, twt), got {da.dims}")


def _is_dask(da: xr.DataArray) -> bool:
    return da.chunks is not None


def map_traces(
    da: xr.DataArray,
    kernel: Callable[[np.ndarray], np.ndarray],
    *,
    step: str,
    params: Mapping,
    trace_halo: int = 0,
    dtype=np.float32,
    attrs: Mapping | None = None,
) -> xr.DataArray:
    """Apply ``kernel`` to every trace block of ``da`` and record the step.

    Parameters
    ----------
    da : xarray.DataArray
        A radargram, dims ``(trace, twt)`` or ``(channel, trace, twt)`` in any order.
    kernel : callable
        ``kernel(block) -> block`` on a C-contiguous ``dtype`` array of shape
        ``(..., n_traces, n_samples)``; must return the same shape.
    step : str
        Name recorded in ``history`` (the public function's name).
    params : mapping
        The step's parameters, recorded in ``history``.
    trace_halo : int
        Traces a kernel needs on each side of a block (windowed steps); with
        dask-backed input each chunk is extended by this many traces and
        trimmed afterwards. 0 for trace-by-trace steps; -1 for steps that need
        the whole line at once (the trace axis is rechunked to one chunk).
    dtype : numpy dtype
        The dtype the kernel works in and returns.
    attrs : mapping, optional
        Attributes to set (or replace) on the result, e.g. a new time zero.

    Returns
    -------
    xarray.DataArray
        Same dims, coordinates and attributes as ``da``, with the new values.
    """
    order = trace_axes(da)
    src = da.transpose(*order)

    def run(block):
        return np.ascontiguousarray(kernel(np.ascontiguousarray(block, dtype=dtype)), dtype=dtype)

    if _is_dask(src):
        import dask.array as dsa

        arr = src.data.rechunk({src.ndim - 1: -1})  # kernels see whole traces
        trace_axis = src.ndim - 2
        if trace_halo < 0:
            arr = arr.rechunk({trace_axis: -1})
            out = arr.map_blocks(run, dtype=dtype)
        elif trace_halo > 0:
            depth = {i: 0 for i in range(src.ndim)}
            depth[trace_axis] = trace_halo
            out = dsa.map_overlap(run, arr, depth=depth, boundary="none", dtype=dtype, trim=True)
        else:
            out = arr.map_blocks(run, dtype=dtype)
    else:
        out = run(np.asarray(src.values))
    result = src.copy(data=out).transpose(*da.dims)
    if attrs:
        result.attrs.update(attrs)
    return append_history(result, step, **dict(params))
