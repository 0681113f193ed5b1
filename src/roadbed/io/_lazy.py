"""Lazy, windowed access to radargrams stored in (memory-mapped) files.

Readers validate a file's size against its header, memory-map the sample
region, and wrap it here, so that opening a multi-GB file costs only the
header parse and ``da.isel(trace=slice(a, b))`` reads only that window.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xarray as xr
from xarray.backends import BackendArray
from xarray.core import indexing

__all__ = ["LazyRawArray", "lazy_variable"]


class LazyRawArray(BackendArray):
    """A raw on-disk array seen through an element-wise conversion.

    Parameters
    ----------
    raw : numpy.ndarray
        Usually a view of a :class:`numpy.memmap`, already in the output's
        axis order (transpose the memmap, don't copy it).
    convert : callable
        ``convert(block) -> ndarray`` applied to every block read, e.g. removal
        of an unsigned offset or blanking of non-signal words. It receives the
        raw block, already indexed, and must return an array of ``dtype``.
    dtype : numpy dtype
        The dtype ``convert`` returns.
    """

    def __init__(self, raw: np.ndarray, convert: Callable[[np.ndarray], np.ndarray], dtype):
        self.raw = raw
        self.shape = raw.shape
        self.dtype = np.dtype(dtype)
        self._convert = convert

    def __getitem__(self, key):
        return indexing.explicit_indexing_adapter(
            key, self.shape, indexing.IndexingSupport.BASIC, self._getitem
        )

    def _getitem(self, key):
        block = np.array(self.raw[key], copy=True)
        return np.asarray(self._convert(block), dtype=self.dtype)


def lazy_variable(dims, raw: np.ndarray, convert: Callable, dtype) -> xr.Variable:
    """An :class:`xarray.Variable` that reads ``raw`` only when indexed.

    Behaves like a variable from :func:`xarray.open_dataset`: selections stay
    lazy, and the first full access caches the converted array in memory.
    """
    backend = LazyRawArray(raw, convert, dtype)
    data = indexing.MemoryCachedArray(indexing.CopyOnWriteArray(indexing.LazilyIndexedArray(backend)))
    return xr.Variable(dims, data)
