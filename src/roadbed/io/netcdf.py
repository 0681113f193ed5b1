"""netCDF-4 and zarr: roadbed's own archive formats, exact round trips.

``save(obj, path)`` writes a radargram, volume or pavement scan (DataArray or
Dataset) and ``load(path)`` gives it back identical — data, every coordinate,
every attribute and ``attrs["history"]`` — as checked by
:func:`xarray.testing.assert_identical`. ``roadbed.read`` of such a file gives
the DataArray unchanged (reading an archive is not a processing step, so no
history entry is added).

Storage rules
-------------
* netCDF files (``.nc``) are netCDF-4/HDF5 written with the ``h5netcdf``
  engine (a core dependency). Classic netCDF-3 files (magic ``CDF``) are read
  with scipy.
* zarr stores (``.zarr`` directories) use zarr format 3, unconsolidated;
  zarr is an optional extra (``pip install roadbed[zarr]``) imported only
  when a zarr store is used.
* ``datetime64`` variables are stored as int64 "nanoseconds since
  1970-01-01", so times come back to the nanosecond.
* Attributes must be strings, numbers or non-empty 1-D sequences of numbers.
  Anything else (bool, None, dicts, lists of strings …) raises a
  :class:`ValueError` naming the attribute; flatten such headers with
  :func:`roadbed.model.flat_attrs` first (booleans → 0/1, None dropped,
  nested values → JSON text). Sequence attributes come back as lists,
  including one-element lists (netCDF alone would return a scalar).
* A DataArray is stored as a one-variable Dataset with a global marker
  attribute and its name, so ``load`` returns a DataArray again.

Laziness
--------
zarr stores are always opened lazily (no file handle stays open). netCDF
files up to :data:`LAZY_THRESHOLD_BYTES` are read into memory and closed at
once; larger ones are opened lazily and keep the file open until the returned
object's ``close()`` is called or it is garbage collected. ``lazy=True`` or
``False`` overrides the rule; ``chunks=`` gives dask arrays.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import numbers
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from ..errors import FormatError
from ._binary import file_size
from ._registry import Format

__all__ = ["save", "load", "read_netcdf", "read_zarr", "write_netcdf", "write_zarr", "FORMATS",
           "LAZY_THRESHOLD_BYTES"]

log = logging.getLogger(__name__)

#: netCDF files larger than this are opened lazily by default (bytes)
LAZY_THRESHOLD_BYTES = 256 * 2**20

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
CLASSIC_MAGICS = (b"CDF\x01", b"CDF\x02", b"CDF\x05")

# storage-internal attribute names; written by save, removed again by load
_KIND_ATTR = "roadbed_object"
_NAME_ATTR = "roadbed_dataarray_variable"
_SINGLETON_ATTR = "roadbed_singleton_lists"
_KIND_DATAARRAY = "DataArray"
_KIND_DATASET = "Dataset"
_UNNAMED = "__xarray_dataarray_variable__"
_INTERNAL = (_KIND_ATTR, _NAME_ATTR, _SINGLETON_ATTR)

_TIME_ENCODING = {"units": "nanoseconds since 1970-01-01", "dtype": "int64"}
_TIMEDELTA_ENCODING = {"units": "nanoseconds", "dtype": "int64"}


# --- attribute rules -------------------------------------------------------------

def _attr_ok(value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, str):
        return True
    if isinstance(value, (numbers.Integral, np.integer)):
        return -(2**63) <= int(value) < 2**64
    if isinstance(value, (numbers.Real, np.floating)):
        return True
    if isinstance(value, (list, tuple, np.ndarray)):
        try:
            arr = np.asarray(value)
        except ValueError:
            return False
        return arr.ndim == 1 and arr.size > 0 and arr.dtype.kind in "iuf" and not any(
            isinstance(v, (bool, np.bool_)) for v in (value.tolist() if isinstance(value, np.ndarray) else value))
    return False


def _check_attrs(attrs: Mapping, where: str, path: Path) -> None:
    for key, value in attrs.items():
        if key in _INTERNAL:
            raise ValueError(f"{path}: attribute {key!r} of {where} is reserved by roadbed's storage")
        if not _attr_ok(value):
            raise ValueError(
                f"{path}: attribute {key!r} of {where} has value {value!r} ({type(value).__name__}), which "
                "netCDF/zarr cannot store exactly; allowed are str, numbers and non-empty 1-D sequences of "
                "numbers. Convert the attributes with roadbed.model.flat_attrs first "
                "(booleans -> 0/1, None dropped, nested values -> JSON text)."
            )


def _mark_singletons(attrs: dict) -> dict:
    """Attributes plus a marker naming the one-element sequences (netCDF reads them as scalars)."""
    singles = [k for k, v in attrs.items() if isinstance(v, (list, tuple, np.ndarray)) and np.size(v) == 1]
    out = {k: (np.asarray(v) if isinstance(v, (list, tuple)) else v) for k, v in attrs.items()}
    if singles:
        out[_SINGLETON_ATTR] = json.dumps(singles)
    return out


def _restore_attrs(attrs: Mapping) -> dict:
    """Attributes as saved: sequences as lists of Python numbers, markers removed."""
    out = dict(attrs)
    try:
        names = [str(n) for n in json.loads(str(out.pop(_SINGLETON_ATTR, "[]")))]
    except (ValueError, TypeError):  # a marker damaged or written by someone else: no singletons
        names = []
    for key, value in out.items():
        if isinstance(value, np.ndarray) or key in names:
            out[key] = np.atleast_1d(np.asarray(value)).tolist()
    return out


def _prepare(obj, path: Path) -> xr.Dataset:
    """The Dataset to write for ``obj``, attributes checked and encodings set."""
    if isinstance(obj, xr.DataArray):
        name = _UNNAMED if obj.name is None else str(obj.name)
        if obj.name is not None and not isinstance(obj.name, str):
            raise ValueError(f"{path}: DataArray name must be a string or None, got {obj.name!r}")
        if name in obj.coords:
            raise ValueError(f"{path}: DataArray name {name!r} is also the name of a coordinate")
        # copy, so that setting attrs/encoding below never touches the caller's variables
        ds = obj.to_dataset(name=name, promote_attrs=False).copy(deep=False)
        kind = {_KIND_ATTR: _KIND_DATAARRAY, _NAME_ATTR: name}
    elif isinstance(obj, xr.Dataset):
        ds = obj.copy(deep=False)
        kind = {_KIND_ATTR: _KIND_DATASET}
    else:
        raise TypeError(f"save() takes an xarray DataArray or Dataset, got {type(obj).__name__}")
    _check_attrs(ds.attrs, "the dataset", path)
    ds.attrs = {**_mark_singletons(dict(ds.attrs)), **kind}
    for vname, var in ds.variables.items():
        _check_attrs(var.attrs, f"variable {vname!r}", path)
        var.attrs = _mark_singletons(dict(var.attrs))
        var.encoding = {}
        if var.dtype.kind == "M":
            var.encoding = dict(_TIME_ENCODING)
        elif var.dtype.kind == "m":
            var.encoding = dict(_TIMEDELTA_ENCODING)
    return ds


def _finish(ds: xr.Dataset):
    """The object ``save`` was given, rebuilt from the Dataset read back."""
    for var in ds.variables.values():
        var.attrs = _restore_attrs(var.attrs)
    attrs = _restore_attrs(ds.attrs)
    kind = attrs.pop(_KIND_ATTR, None)
    name = attrs.pop(_NAME_ATTR, None)
    ds.attrs = attrs
    if kind == _KIND_DATAARRAY and name in ds.data_vars:
        da = ds[name]
        da.set_close(ds._close)  # a lazily opened file closes with the DataArray
        if name == _UNNAMED:
            da.name = None
        return da
    return ds


# --- format detection ------------------------------------------------------------

def _is_zarr_store(path: Path) -> bool:
    return path.is_dir() and any((path / f).exists() for f in ("zarr.json", ".zgroup", ".zmetadata"))


def _kind_of(path: Path) -> str:
    """``"zarr"``, ``"netcdf4"`` or ``"classic"`` for an existing store."""
    if path.is_dir():
        if _is_zarr_store(path):
            return "zarr"
        raise FormatError(path, "zarr store", "a directory holding zarr.json or .zgroup")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(HDF5_MAGIC):
        return "netcdf4"
    if head[:4] in CLASSIC_MAGICS:
        return "classic"
    raise FormatError(path, "magic", "netCDF-4/HDF5 (\\x89HDF) or classic netCDF (CDF\\x01/2/5)", got=head[:8])


def _require_zarr(path):
    try:
        import zarr  # noqa: F401
    except ImportError:
        raise ImportError(
            f"{path}: reading or writing zarr stores needs the optional 'zarr' package; "
            "install it with `pip install roadbed[zarr]`"
        ) from None


# --- public API --------------------------------------------------------------------

def save(obj, path, *, format: str | None = None) -> Path:
    """Write a DataArray or Dataset to netCDF-4 or zarr, losslessly.

    Parameters
    ----------
    obj : xarray.DataArray or xarray.Dataset
        A radargram (``("trace", "twt")`` or ``("channel", "trace", "twt")``),
        a gridded volume (``("along", "across", "twt"|"depth")``), a pavement
        scan Dataset, or any xarray object whose attributes follow the rules
        in the module docstring.
    path : str or os.PathLike
        ``*.zarr`` writes a zarr directory store (replacing an existing
        store); anything else a netCDF-4 file (replacing an existing file).
    format : {"netcdf", "zarr"}, optional
        Overrides the choice by extension.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        If an attribute cannot be stored exactly (named in the message), or
        ``path`` is a non-empty directory that is not a zarr store.
    ImportError
        If zarr is requested but not installed.
    """
    path = Path(os.fspath(path))
    fmt = (format or ("zarr" if path.suffix.lower() == ".zarr" else "netcdf")).lower()
    if fmt not in ("netcdf", "zarr"):
        raise ValueError(f"{path}: format must be 'netcdf' or 'zarr', got {format!r}")
    ds = _prepare(obj, path)
    if fmt == "zarr":
        _require_zarr(path)
        if path.exists() and not _is_zarr_store(path) and (path.is_file() or any(path.iterdir())):
            raise ValueError(f"{path}: exists and is not a zarr store; refusing to replace it")
        ds.to_zarr(path, mode="w", consolidated=False, zarr_format=3)
    else:
        ds.to_netcdf(path, engine="h5netcdf", format="NETCDF4")
    log.debug("saved %s to %s (%s)", type(obj).__name__, path, fmt)
    return path


def load(path, *, lazy: bool | None = None, chunks=None):
    """Read what :func:`save` wrote: the same DataArray or Dataset.

    Parameters
    ----------
    path : str or os.PathLike
        A netCDF file (netCDF-4 or classic) or a zarr directory store.
    lazy : bool, optional
        netCDF only: keep the data on disk until used (the file stays open).
        Default: lazy when the file is larger than :data:`LAZY_THRESHOLD_BYTES`.
    chunks : dict or "auto", optional
        Open with dask arrays of these chunks (needs dask).

    Returns
    -------
    xarray.DataArray or xarray.Dataset
        A DataArray where a DataArray was saved, else a Dataset (also for
        netCDF/zarr files written by other software).

    Raises
    ------
    FormatError
        If the file is not netCDF/zarr or cannot be decoded.
    """
    path = Path(os.fspath(path))
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    kind = _kind_of(path)
    failure = None
    with _quiet_h5netcdf_teardown():
        try:
            ds = _open(path, kind, lazy, chunks)
        except FormatError:
            raise
        except (OSError, ValueError, KeyError, TypeError, RuntimeError, OverflowError) as exc:
            failure = f"{type(exc).__name__}: {exc}"
        if failure is not None:
            gc.collect()  # free the half-opened file now, while its teardown noise is filtered
    if failure is not None:
        raise FormatError(path, "contents", f"a readable {kind} store", got=failure)
    return _finish(ds)


def _open(path: Path, kind: str, lazy: bool | None, chunks) -> xr.Dataset:
    if kind == "zarr":
        _require_zarr(path)
        consolidated = (path / ".zmetadata").exists() and not (path / "zarr.json").exists()
        return xr.open_dataset(path, engine="zarr", consolidated=consolidated, chunks=chunks)
    if kind == "netcdf4":
        from .gprmax import check_hdf5_global_heaps

        check_hdf5_global_heaps(path)
    engine = "h5netcdf" if kind == "netcdf4" else "scipy"
    if lazy is None:
        lazy = file_size(path) > LAZY_THRESHOLD_BYTES
    if lazy or chunks is not None:
        return xr.open_dataset(path, engine=engine, chunks=chunks)
    return xr.load_dataset(path, engine=engine)


@contextlib.contextmanager
def _quiet_h5netcdf_teardown():
    """Drop the one unraisable error h5netcdf makes when it fails to open a damaged file.

    ``h5netcdf.File.__init__`` can fail before it sets ``_writable``; its
    ``__del__`` then raises AttributeError from ``close()``, which Python
    reports as an unraisable exception (and pytest turns into an error). The
    FormatError raised instead says what was wrong; everything else passes on.
    """
    previous = sys.unraisablehook

    def hook(unraisable):
        exc, obj = unraisable.exc_value, unraisable.object
        if isinstance(exc, AttributeError) and "_writable" in str(exc) and \
                getattr(obj, "__module__", "").startswith("h5netcdf"):
            return
        previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


def _one_dataarray(obj, path: Path, variable: str | None) -> xr.DataArray:
    if isinstance(obj, xr.DataArray):
        if variable is not None and variable != obj.name:
            raise FormatError(path, "variable", f"{obj.name!r} (the only one stored)", got=variable)
        return obj
    if variable is not None:
        if variable not in obj.data_vars:
            raise FormatError(path, "variable", f"one of {sorted(map(str, obj.data_vars))}", got=variable)
        return obj[variable]
    if len(obj.data_vars) == 1:
        return obj[next(iter(obj.data_vars))]
    raise FormatError(path, "data variables",
                      "exactly one (pass variable=..., or use roadbed.io.netcdf.load for Datasets)",
                      got=sorted(map(str, obj.data_vars)))


def read_netcdf(path, *, variable: str | None = None, lazy: bool | None = None, chunks=None) -> xr.DataArray:
    """``roadbed.read`` for netCDF: the stored DataArray (or ``variable`` of a Dataset).

    Parameters
    ----------
    path : pathlib.Path
        A netCDF-4 or classic netCDF file.
    variable : str, optional
        Which data variable of a multi-variable Dataset to return.
    lazy, chunks
        As for :func:`load`.
    """
    path = Path(path)
    return _one_dataarray(load(path, lazy=lazy, chunks=chunks), path, variable)


def read_zarr(path, *, variable: str | None = None, chunks=None) -> xr.DataArray:
    """``roadbed.read`` for zarr stores (see :func:`read_netcdf`)."""
    path = Path(path)
    return _one_dataarray(load(path, chunks=chunks), path, variable)


def write_netcdf(obj, path) -> None:
    """``roadbed.write`` for ``.nc`` files (see :func:`save`)."""
    save(obj, path, format="netcdf")


def write_zarr(obj, path) -> None:
    """``roadbed.write`` for ``.zarr`` stores (see :func:`save`)."""
    save(obj, path, format="zarr")


def _sniff_netcdf(path: Path, head: bytes) -> bool:
    if head[:4] in CLASSIC_MAGICS:
        return True
    if not head.startswith(HDF5_MAGIC):
        return False
    from .gprmax import is_gprmax_hdf5

    return not is_gprmax_hdf5(path)


def _sniff_zarr(path: Path, head: bytes) -> bool:
    return _is_zarr_store(path)


FORMATS = (
    Format("netcdf", "netCDF-4/HDF5 or classic netCDF", (".nc", ".nc4", ".cdf"),
           _sniff_netcdf, read_netcdf, write_netcdf),
    Format("zarr", "zarr directory store", (".zarr",), _sniff_zarr, read_zarr, write_zarr),
)
