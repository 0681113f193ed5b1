"""gprMax output files (HDF5): simulated A-scans and merged B-scans.

Layout (gprMax 3 and 4)
-----------------------
Root attributes ``gprMax`` (version), ``Title``, ``Iterations``, ``dt``
(time step, s), ``nrx``, ``dx_dy_dz`` (cell size, m) and, from gprMax 3.1
on, ``srcsteps``/``rxsteps`` (3-vectors in *cells*, the move of
sources/receivers between runs; times ``dx_dy_dz`` gives metres). Receiver ``n``
is the group ``/rxs/rxn`` with one dataset per field component (``Ex`` …
``Hz``, ``Ix`` …): shape ``(Iterations,)`` for a single run, ``(Iterations,
n_traces)`` for a merged B-scan (``*_merged.out``).

Trace positions
---------------
A trace's position is the midpoint between source and receiver. roadbed
takes it, in this order of preference, from

1. ``/trace_metadata/srcs/src1/Position`` and
   ``/trace_metadata/rxs/rxn/Position`` (``n_traces × 3``, m; gprMax 4
   merged files);
2. the ``Position`` attributes of ``/srcs/src1`` and ``/rxs/rxn`` (the
   first run's positions), moved by ``srcsteps``/``rxsteps`` per trace
   where the file has more than one trace;
3. ``srcsteps``/``rxsteps`` alone: positions relative to the first trace
   (``attrs["position_reference"] == "first trace"``).

The ``distance`` coordinate is the midpoint's model x (or y, where the scan
moves along y only: ``attrs["position_axis"]``); the other two model
coordinates go to ``attrs["model_<axis>_m"]``. A file without any of these
(gprMax 3 merged files without step attributes) gets no ``distance``
coordinate and ``attrs["positions_known"] == 0`` — positions are never
invented.

Samples are read lazily straight from the file when the dataset is stored
contiguously (as gprMax writes it); every header value is checked against
the file before it sizes anything, and h5py's errors on damaged files become
:class:`~roadbed.FormatError` naming the dataset or attribute.
"""

from __future__ import annotations

import logging
import math
import mmap
from pathlib import Path

import numpy as np
import xarray as xr

from .. import conventions as cv
from ..errors import FormatError
from ..model import append_history, flat_attrs, radargram
from ._binary import file_size, memmap_block
from ._lazy import lazy_variable
from ._registry import Format

__all__ = ["read_gprmax", "is_gprmax_hdf5", "check_hdf5_global_heaps", "MAX_HEAP_SCAN_BYTES", "FORMATS"]

log = logging.getLogger(__name__)

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"

#: attribute: 1 where trace positions come from the file, 0 where unknown
ATTR_POSITIONS_KNOWN = "positions_known"
#: attribute: "model origin" (absolute model coordinates) or "first trace"
ATTR_POSITION_REFERENCE = "position_reference"
#: attribute: the model axis ("x" or "y") that ``distance`` measures
ATTR_POSITION_AXIS = "position_axis"

_AXES = ("x", "y", "z")
_H5_ERRORS = (OSError, KeyError, ValueError, TypeError, RuntimeError, AttributeError)
#: an eagerly read (chunked/compressed) dataset may expand at most this much over the file size
_MAX_EXPANSION = 64
_MAX_ITERATIONS = 2**31
#: HDF5 files up to this size are checked for global heaps that would hang the HDF5 library
MAX_HEAP_SCAN_BYTES = 256 * 2**20
#: a global heap collection holds at most 65535 objects and one free-space object
_MAX_HEAP_OBJECTS = 65537


def check_hdf5_global_heaps(path: Path) -> None:
    """Refuse an HDF5 file whose global heap would send the HDF5 library into an endless loop.

    HDF5 keeps variable-length data (h5py's string attributes, netCDF-4
    dimension lists) in *global heap collections* (signature ``GCOL``). Its
    decoder walks a collection object by object, and a free-space object of
    size 0 (e.g. after one corrupted object size) leaves it stepping on the
    spot forever, in C code that Python cannot interrupt. This walks every
    collection the same way first. Files over :data:`MAX_HEAP_SCAN_BYTES`
    are not scanned (that would read the whole file).

    Raises
    ------
    FormatError
        If a collection would not be walkable.
    """
    size = file_size(path)
    if size < 16 or size > MAX_HEAP_SCAN_BYTES:
        return
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        pos = mm.find(b"GCOL")
        while pos >= 0:
            _walk_collection(path, mm, pos, size)
            pos = mm.find(b"GCOL", pos + 4)


def _walk_collection(path: Path, mm, start: int, size: int) -> None:
    if start + 16 > size or mm[start + 4] != 1:
        return  # not a version-1 collection header; HDF5 rejects other versions itself
    length = int.from_bytes(mm[start + 8:start + 16], "little")
    end = start + length
    if length < 16 or end > size:
        return  # HDF5 stops at the end of the file with an error of its own
    p, steps = start + 16, 0
    while p + 16 <= end:
        index = int.from_bytes(mm[p:p + 2], "little")
        obj_size = int.from_bytes(mm[p + 8:p + 16], "little")
        # the decoder's own arithmetic, in 64-bit size_t
        need = (16 + ((obj_size + 7) & ~7) if index > 0 else obj_size) & (2**64 - 1)
        steps += 1
        if need == 0 or steps > _MAX_HEAP_OBJECTS:
            raise FormatError(path, f"HDF5 global heap collection at byte {start}",
                              "heap objects of non-zero size that tile the collection",
                              got=f"object {index} of size {obj_size} at byte {p}")
        p += need


def is_gprmax_hdf5(path: Path) -> bool:
    """True for an HDF5 file holding gprMax output (root attr ``gprMax`` or group ``/rxs``); never raises."""
    try:
        with open(path, "rb") as fh:
            if fh.read(8) != HDF5_MAGIC:
                return False
        import h5py

        with h5py.File(path, "r") as f:
            return "gprMax" in f.attrs or isinstance(f.get("rxs"), h5py.Group)
    except Exception:  # a sniffer never raises
        return False


def _sniff(path: Path, head: bytes) -> bool:
    return head.startswith(HDF5_MAGIC) and is_gprmax_hdf5(path)


def _attr(path: Path, obj, name: str, where: str):
    try:
        return obj.attrs[name]
    except _H5_ERRORS as exc:
        raise FormatError(path, f"{where} attribute {name!r}", "a readable attribute",
                          got=f"{type(exc).__name__}: {exc}") from None


def _number(path: Path, obj, name: str, where: str, low: float, high: float, *, integer=False):
    value = _attr(path, obj, name, where)
    try:
        arr = np.asarray(value)
        if arr.size != 1 or arr.dtype.kind not in "iuf":
            raise ValueError
        number = arr.reshape(()).item()
    except (ValueError, TypeError):
        raise FormatError(path, f"{where} attribute {name!r}", "a single number", got=repr(value)[:80]) from None
    if not (math.isfinite(number) and low <= number <= high) or (integer and number != int(number)):
        raise FormatError(path, f"{where} attribute {name!r}",
                          f"{'an integer' if integer else 'a number'} in [{low}, {high}]", got=number)
    return int(number) if integer else float(number)


def _vector3(path: Path, value, field: str) -> np.ndarray:
    try:
        vec = np.asarray(value, dtype=np.float64)
    except (ValueError, TypeError):
        vec = np.zeros(0)
    if vec.shape != (3,) or not np.all(np.isfinite(vec)):
        raise FormatError(path, field, "3 finite coordinates (x, y, z) in m", got=repr(value)[:80])
    return vec


def _position_table(path: Path, f, name: str, n_traces: int) -> np.ndarray:
    dset = f[name]
    if getattr(dset, "shape", None) != (n_traces, 3):
        raise FormatError(path, f"/{name}", f"a dataset of shape ({n_traces}, 3)", got=getattr(dset, "shape", None))
    table = np.asarray(dset[()], dtype=np.float64)
    if not np.all(np.isfinite(table)):
        raise FormatError(path, f"/{name}", "finite positions in m", got="NaN or inf")
    return table


def _separation(path: Path, f, rx: int, n_traces: int) -> float | None:
    """Source–receiver distance of the first trace, m, where the file gives both positions."""
    src_meta, rx_meta = "trace_metadata/srcs/src1/Position", f"trace_metadata/rxs/rx{rx}/Position"
    if src_meta in f and rx_meta in f:
        return float(np.linalg.norm(_position_table(path, f, src_meta, n_traces)[0]
                                    - _position_table(path, f, rx_meta, n_traces)[0]))
    src_grp, rx_grp = f.get("srcs/src1"), f.get(f"rxs/rx{rx}")
    if src_grp is not None and "Position" in src_grp.attrs and rx_grp is not None and "Position" in rx_grp.attrs:
        src = _vector3(path, _attr(path, src_grp, "Position", "/srcs/src1"), "/srcs/src1 attribute 'Position'")
        rcv = _vector3(path, _attr(path, rx_grp, "Position", f"/rxs/rx{rx}"), f"/rxs/rx{rx} attribute 'Position'")
        return float(np.linalg.norm(src - rcv))
    return None


def _positions(path: Path, f, rx: int, n_traces: int):
    """Midpoints (n_traces × 3, m) and their reference, or (None, reason)."""
    src_meta, rx_meta = "trace_metadata/srcs/src1/Position", f"trace_metadata/rxs/rx{rx}/Position"
    if src_meta in f and rx_meta in f:
        src = _position_table(path, f, src_meta, n_traces)
        rcv = _position_table(path, f, rx_meta, n_traces)
        return (src + rcv) / 2.0, "model origin"
    steps = None
    if "srcsteps" in f.attrs and "rxsteps" in f.attrs and "dx_dy_dz" in f.attrs:
        cell = _vector3(path, _attr(path, f, "dx_dy_dz", "/"), "/ attribute 'dx_dy_dz'")
        steps = cell * (_vector3(path, _attr(path, f, "srcsteps", "/"), "/ attribute 'srcsteps'")
                        + _vector3(path, _attr(path, f, "rxsteps", "/"), "/ attribute 'rxsteps'")) / 2.0
    index = np.arange(n_traces, dtype=np.float64)[:, None]
    src_grp, rx_grp = f.get("srcs/src1"), f.get(f"rxs/rx{rx}")
    if src_grp is not None and "Position" in src_grp.attrs and rx_grp is not None and "Position" in rx_grp.attrs:
        first = (_vector3(path, _attr(path, src_grp, "Position", "/srcs/src1"), "/srcs/src1 attribute 'Position'")
                 + _vector3(path, _attr(path, rx_grp, "Position", f"/rxs/rx{rx}"),
                            f"/rxs/rx{rx} attribute 'Position'")) / 2.0
        if n_traces == 1:
            return first[None, :], "model origin"
        if steps is not None:
            return first + index * steps, "model origin"
    if steps is not None:
        return index * steps, "first trace"
    return None, "the file stores neither trace positions nor source/receiver steps with a cell size"


def _samples(path: Path, dset, field: str):
    """The dataset as a lazy (n_traces, n_iterations) float32 variable, or an eager array."""
    dtype = dset.dtype
    if dtype.kind != "f" or dtype.itemsize not in (4, 8):
        raise FormatError(path, field, "a float32 or float64 dataset", got=str(dtype))
    shape = tuple(int(s) for s in dset.shape)

    def convert(block):
        with np.errstate(over="ignore"):  # float64 fields beyond float32 range become ±inf
            return block.astype(np.float32)

    offset = dset.id.get_offset() if dset.chunks is None else None
    if offset is not None:
        raw = memmap_block(path, dtype, int(offset), shape, field=field)
        view = raw[None, :] if raw.ndim == 1 else raw.T
        return lazy_variable((cv.TRACE, cv.TWT), view, convert, np.float32)
    need = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if need > _MAX_EXPANSION * file_size(path) + 2**20:
        raise FormatError(path, field, f"at most {_MAX_EXPANSION}x the file size in samples",
                          got=f"{need} bytes for shape {shape}")
    data = convert(np.asarray(dset[()]))
    return data[None, :] if data.ndim == 1 else np.ascontiguousarray(data.T)


def read_gprmax(path, *, component: str = "Ez", rx: int = 1) -> xr.DataArray:
    """Read a gprMax output file as a radargram.

    Parameters
    ----------
    path : str or os.PathLike
        A gprMax ``.out`` file: one A-scan, or a merged B-scan.
    component : str
        Field component of the receiver to read (``"Ez"``, the receiver
        component of 2-D TM models, by default; ``"Ex"`` … ``"Hz"``, ``"Ix"`` …).
    rx : int
        Receiver number (1-based, as in ``/rxs/rx1``).

    Returns
    -------
    xarray.DataArray
        dims ``("trace", "twt")``, float32 field values (V/m for E, A/m for
        H), shape ``(n_traces, Iterations)``; ``twt`` = iteration × dt in ns;
        ``distance`` (m) where positions are known (see module docstring).

    Raises
    ------
    FormatError
        If the file is not gprMax output, the receiver or component is
        missing, or the file is damaged.
    """
    import h5py

    path = Path(path)
    check_hdf5_global_heaps(path)
    try:
        f = h5py.File(path, "r")
    except _H5_ERRORS as exc:
        raise FormatError(path, "HDF5 file", "a readable HDF5 file", got=f"{type(exc).__name__}: {exc}") from None
    try:
        with f:
            return _read_open(path, f, component, rx)
    except FormatError:
        raise
    except _H5_ERRORS as exc:
        raise FormatError(path, "HDF5 structure", "a readable gprMax output layout",
                          got=f"{type(exc).__name__}: {exc}") from None


def _read_open(path: Path, f, component: str, rx: int) -> xr.DataArray:
    import h5py

    if "gprMax" not in f.attrs and "rxs" not in f:
        raise FormatError(path, "/ attribute 'gprMax'", "a gprMax output file (root attribute 'gprMax' or /rxs)")
    dt_s = _number(path, f, "dt", "/", 1e-30, 1.0)
    iterations = _number(path, f, "Iterations", "/", 1, _MAX_ITERATIONS, integer=True)
    group_name = f"rxs/rx{int(rx)}"
    group = f.get(group_name)
    if not isinstance(group, h5py.Group):
        receivers = sorted(f["rxs"].keys()) if isinstance(f.get("rxs"), h5py.Group) else []
        raise FormatError(path, f"/{group_name}", f"a receiver group (file has {receivers})")
    field = f"/{group_name}/{component}"
    dset = group.get(component)
    if not isinstance(dset, h5py.Dataset):
        outputs = sorted(k for k in group.keys() if isinstance(group.get(k), h5py.Dataset))
        raise FormatError(path, field, f"one of the receiver's outputs {outputs}", got=component)
    shape = dset.shape
    if len(shape) not in (1, 2) or shape[0] != iterations:
        raise FormatError(path, field, f"shape ({iterations},) or ({iterations}, n_traces)", got=shape)
    n_traces = 1 if len(shape) == 1 else int(shape[1])
    if "ntraces" in f.attrs:
        stated = _number(path, f, "ntraces", "/", 1, 2**31, integer=True)
        if stated != n_traces:
            raise FormatError(path, "/ attribute 'ntraces'", f"{n_traces} (the traces in {field})", got=stated)
    data = _samples(path, dset, field)

    dt_ns = dt_s * 1e9
    twt = np.arange(iterations, dtype=np.float64) * dt_ns
    version = _attr(path, f, "gprMax", "/") if "gprMax" in f.attrs else "unknown"
    version = version.decode("utf-8", "replace") if isinstance(version, bytes) else str(version)
    attrs = {
        cv.ATTR_FORMAT: "gprmax",
        cv.ATTR_SOURCE: str(path),
        cv.ATTR_INSTRUMENT: f"gprMax {version} (simulation)",
        cv.ATTR_SAMPLE_INTERVAL: dt_ns,
        cv.ATTR_TIME_WINDOW: iterations * dt_ns,
        cv.ATTR_COMPONENT: component,
        "receiver": int(rx),
    }
    attrs.update(flat_attrs({k: _attr(path, f, k, "/") for k in f.attrs.keys()}, prefix=cv.RAW_HEADER_PREFIX))

    midpoints, reference = _positions(path, f, int(rx), n_traces)
    distance = None
    if midpoints is None:
        attrs[ATTR_POSITIONS_KNOWN] = 0
        log.warning("%s: trace positions unknown (%s); no distance coordinate", path, reference)
    else:
        moves = np.ptp(midpoints, axis=0) if n_traces > 1 else np.zeros(3)
        axis = 1 if moves[0] == 0 and moves[1] > 0 else 0
        distance = midpoints[:, axis]
        attrs[ATTR_POSITIONS_KNOWN] = 1
        attrs[ATTR_POSITION_REFERENCE] = reference
        attrs[ATTR_POSITION_AXIS] = _AXES[axis]
        for other in (i for i in range(3) if i != axis):
            column = midpoints[:, other]
            attrs[f"model_{_AXES[other]}_m"] = float(column[0]) if np.all(column == column[0]) else column.tolist()
    separation = _separation(path, f, int(rx), n_traces)
    if separation is not None:
        attrs[cv.ATTR_ANTENNA_SEPARATION] = separation
    da = radargram(data, twt_ns=twt, distance_m=distance, attrs=attrs)
    return append_history(da, "read", path=str(path), component=component, rx=int(rx))


FORMATS = (
    Format("gprmax", "gprMax simulation output (HDF5)", (".out", ".h5"), _sniff, read_gprmax, None),
)
