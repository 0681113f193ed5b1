"""SEG-Y (rev 0/1/2, fixed-length traces): 2-D lines and 3-D inline/crossline cubes.

Reading
-------
The 3600-byte file header is parsed with checked struct reads, the trace
count is derived from the file size (a file that is not ``data start + n ×
(240 + samples × bytes per sample)`` bytes long is rejected), and the trace
block is memory-mapped: opening a multi-GB file reads only the trace
headers, and samples are read (and converted to float32) only when indexed.
Big- and little-endian files are both read; sample formats 1 (IBM float),
2, 3, 8, 9 (signed integers), 5, 6 (IEEE float) and 10, 11, 16 (unsigned
integers, centred by subtracting 2**(bits-1)) are supported. segyio is not
needed to read or write; the tests use it as the independent reference.

Time axis. SEG-Y states the sample interval in µs (binary header bytes
3217–3218, or the rev 2 IEEE double at 3273–3280). GPR exporters often
store nanoseconds or picoseconds there instead, so:

* ``sample_interval_ns=`` sets the interval explicitly;
* ``interval_unit="us" | "ns" | "ps"`` says what the header's unit is (default
  µs, the standard), and also scales the trace header's delay (bytes 109–110,
  standard ms → ``twt[0]``) by the same factor;
* a file written by roadbed states its exact interval and first sample time
  in its textual header (lines ``ROADBED DT_NS=…``, ``ROADBED T0_NS=…``), and
  these win over the binary header.

Coordinates. ``x``/``y`` come from CDP_X/CDP_Y (bytes 181–188), or where
those are all zero from SourceX/SourceY (73–80), scaled by the trace's
SourceGroupScalar (71–72: negative → divide, positive → multiply, 0 → 1);
feet (binary header measurement system 2) are converted to m. Coordinate
units 2 (arc seconds), 3 (degrees) and 4 (DDDMMSS) give ``lon``/``lat``
instead. ``distance`` is the cumulative along-track distance of the
positions (geodesic for lon/lat). Elevation comes from bytes 41–44 scaled by
bytes 69–70, time from bytes 157–166 (whole seconds, UTC).

Geometry. A 3-D cube is recognised where the inline (bytes 189–192) and
crossline (193–196) numbers of the traces form a complete grid with more
than one of each (sorted inline- or crossline-major); ``geometry="2d"`` or
``"3d"`` forces the choice. **Each inline is one channel and the crosslines
are the traces along it**: the result has dims ``("channel", "trace",
"twt")`` with channel = inline and trace = crossline. ``x``/``y`` of a trace
are those of channel 0 where all channels share them, else the mean over
channels. ``offset`` comes from roadbed's own files (bytes 233–236 in mm) or,
in other files, from the positions of the channels across the swath; where
neither is known it is 0 and ``attrs["offsets_known"] == 0``.

Writing
-------
:func:`write_segy` writes big-endian SEG-Y rev 1 with IEEE float32 samples
(format 5). The binary header's sample interval is in picoseconds (ns or µs
only for intervals beyond 32.767 ns / 32.767 µs), as stated in the EBCDIC
textual header together with the exact interval, first sample time, units
and byte layout. x/y (or lon/lat in arc seconds, or, with neither, the
distance in CDP_X) go to SourceX/Y, GroupX/Y and CDP_X/Y with scalar -1000
(mm) wherever the values fit a 32-bit integer in mm (±2147 km), else the
finest scalar that fits (logged). 3-D radargrams are written inline-major:
inline = channel + 1, crossline = trace + 1, channel offset in mm in the
unassigned bytes 233–236 (bytes 37–40, the source-receiver offset of
pre-stack data, stay 0 so that standard 3-D readers see a post-stack cube).
What roadbed writes it reads back exactly: samples, ``twt`` (for a uniform
axis ``t0 + i·dt``) and positions given to the millimetre.
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path

import numpy as np
import xarray as xr
from numpy.lib.recfunctions import repack_fields

from .. import __version__
from .. import conventions as cv
from ..errors import FormatError
from ..model import append_history, flat_attrs, radargram
from ._binary import check_range, file_size, memmap_block, unpack_at
from ._lazy import lazy_variable
from ._registry import Format

__all__ = ["read_segy", "write_segy", "ibm_to_float32", "FORMATS"]

log = logging.getLogger(__name__)

TEXT_BYTES = 3200
BINARY_BYTES = 400
FILE_HEADER_BYTES = TEXT_BYTES + BINARY_BYTES
TRACE_HEADER_BYTES = 240
MAX_SAMPLES_REV1 = 65535
_INT32_MAX = 2**31 - 1
_FEET_M = 0.3048

#: sample format code → (numpy type without byte order, unsigned offset to remove, description)
SAMPLE_FORMATS = {
    1: ("u4", None, "4-byte IBM float"),
    2: ("i4", None, "4-byte signed integer"),
    3: ("i2", None, "2-byte signed integer"),
    5: ("f4", None, "4-byte IEEE float"),
    6: ("f8", None, "8-byte IEEE float"),
    8: ("i1", None, "1-byte signed integer"),
    9: ("i8", None, "8-byte signed integer"),
    10: ("u4", 2**31, "4-byte unsigned integer"),
    11: ("u2", 2**15, "2-byte unsigned integer"),
    16: ("u1", 2**7, "1-byte unsigned integer"),
}

#: binary header fields: name → (byte offset in the file, struct code)
_BINARY_FIELDS = {
    "job_id": (3200, "i"),
    "line_number": (3204, "i"),
    "reel_number": (3208, "i"),
    "traces_per_ensemble": (3212, "h"),
    "aux_traces": (3214, "h"),
    "sample_interval": (3216, "H"),
    "samples": (3220, "H"),
    "format": (3224, "h"),
    "sorting": (3228, "h"),
    "measurement_system": (3254, "h"),
    "ext_samples": (3268, "i"),
    "ext_sample_interval": (3272, "d"),
    "byte_order": (3296, "I"),
    "revision": (3500, "B"),
    "revision_minor": (3501, "B"),
    "fixed_length": (3502, "h"),
    "ext_headers": (3504, "h"),
}

#: trace header fields: name → (byte offset in the trace header, numpy type without byte order)
_TRACE_FIELDS = {
    "trace_seq_line": (0, "i4"),
    "trace_seq_file": (4, "i4"),
    "field_record": (8, "i4"),
    "trace_number": (12, "i4"),
    "cdp": (20, "i4"),
    "trace_id": (28, "i2"),
    "offset": (36, "i4"),
    "receiver_elevation": (40, "i4"),
    "source_elevation": (44, "i4"),
    "elevation_scalar": (68, "i2"),
    "coord_scalar": (70, "i2"),
    "source_x": (72, "i4"),
    "source_y": (76, "i4"),
    "group_x": (80, "i4"),
    "group_y": (84, "i4"),
    "coord_units": (88, "i2"),
    "delay_ms": (108, "i2"),
    "samples": (114, "u2"),
    "sample_interval": (116, "u2"),
    "year": (156, "i2"),
    "day": (158, "i2"),
    "hour": (160, "i2"),
    "minute": (162, "i2"),
    "second": (164, "i2"),
    "time_basis": (166, "i2"),
    "cdp_x": (180, "i4"),
    "cdp_y": (184, "i4"),
    "inline": (188, "i4"),
    "crossline": (192, "i4"),
    "roadbed_offset_mm": (232, "i4"),
}

#: the unit of the binary header's sample interval → ns per unit
INTERVAL_UNITS = {"us": 1000.0, "ns": 1.0, "ps": 1e-3}
#: SEG-Y coordinate scalars, finest first
_SCALARS = (-1000, -100, -10, 1, 10, 100, 1000, 10000)

_ROADBED_LINE = re.compile(r"ROADBED ([A-Z0-9_]+)=(\S+)")


# --- sample conversion -------------------------------------------------------------

def ibm_to_float32(words: np.ndarray) -> np.ndarray:
    """IBM System/360 single-precision floats (as unsigned 32-bit words) → float32.

    Parameters
    ----------
    words : ndarray of uint32, any shape
        The raw words, already in native byte order.

    Returns
    -------
    ndarray of float32, same shape
        Values beyond the float32 range become ±inf; tiny ones 0.
    """
    w = np.asarray(words, dtype=np.uint32)
    sign = np.where(w >> np.uint32(31), -1.0, 1.0)
    exponent = ((w >> np.uint32(24)) & np.uint32(0x7F)).astype(np.int32) - 64
    fraction = (w & np.uint32(0x00FFFFFF)).astype(np.float64)
    with np.errstate(over="ignore"):
        return (sign * np.ldexp(fraction, 4 * exponent - 24)).astype(np.float32)


def _converter(code: int):
    _, offset, _ = SAMPLE_FORMATS[code]

    def convert(block: np.ndarray) -> np.ndarray:
        native = block.astype(block.dtype.newbyteorder("="), copy=False)
        if code == 1:
            return ibm_to_float32(native)
        with np.errstate(over="ignore"):
            if offset is not None:
                return (native.astype(np.float64) - offset).astype(np.float32)
            return native.astype(np.float32)

    return convert


# --- file header -------------------------------------------------------------------

def _decode_text(raw: bytes) -> str:
    """The textual header as 40 stripped lines joined by newlines (EBCDIC or ASCII)."""
    ebcdic = raw[:1] in (b"\xc3", b"\x40") or raw.count(b"\x40") > raw.count(b"\x20")
    text = raw.decode("cp037" if ebcdic else "latin-1")
    lines = [text[i:i + 80].rstrip() for i in range(0, len(text), 80)]
    return "\n".join(lines).rstrip("\n").replace("\x00", "")


def _roadbed_keys(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in _ROADBED_LINE.finditer(text)} if "ROADBED" in text else {}


def _binary_header(path: Path, head: bytes, endian: str) -> dict:
    return {name: unpack_at(path, head, endian + code, offset, f"binary header {name} (byte {offset + 1})")
            for name, (offset, code) in _BINARY_FIELDS.items()}


def _endianness(path: Path, head: bytes) -> str:
    """``">"`` or ``"<"``: the rev 2 byte-order word where set, else whichever gives a known format code."""
    order = unpack_at(path, head, ">I", 3296, "binary header byte order (byte 3297)")
    if order == 0x01020304:
        return ">"
    if order == 0x04030201:
        return "<"
    big = unpack_at(path, head, ">h", 3224, "binary header format (byte 3225)")
    little = unpack_at(path, head, "<h", 3224, "binary header format (byte 3225)")
    if big not in SAMPLE_FORMATS and little in SAMPLE_FORMATS:
        return "<"
    return ">"


def _trace_dtype(endian: str, sample_type: str, n_samples: int, iline: int, xline: int) -> np.dtype:
    fields = dict(_TRACE_FIELDS)
    fields["inline"] = (iline - 1, "i4")
    fields["crossline"] = (xline - 1, "i4")
    names = list(fields) + ["samples_block"]
    formats = [endian + code for _, code in fields.values()] + [(endian + sample_type, (n_samples,))]
    offsets = [off for off, _ in fields.values()] + [TRACE_HEADER_BYTES]
    itemsize = TRACE_HEADER_BYTES + n_samples * np.dtype(sample_type).itemsize
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": itemsize})


class _Layout:
    """Where the traces are and what they hold, checked against the file size."""

    def __init__(self, path: Path, *, iline: int, xline: int):
        self.path = path
        size = file_size(path)
        if size < FILE_HEADER_BYTES:
            raise FormatError(path, "file size", f"at least {FILE_HEADER_BYTES} bytes (textual + binary header)",
                              got=size)
        with open(path, "rb") as fh:
            head = fh.read(FILE_HEADER_BYTES)
        self.text = _decode_text(head[:TEXT_BYTES])
        self.endian = _endianness(path, head)
        self.binary = b = _binary_header(path, head, self.endian)
        self.format = b["format"]
        if self.format not in SAMPLE_FORMATS:
            raise FormatError(path, "binary header format (byte 3225)",
                              f"a sample format code in {sorted(SAMPLE_FORMATS)}", got=self.format)
        self.sample_type = SAMPLE_FORMATS[self.format][0]
        itemsize = np.dtype(self.sample_type).itemsize
        n_ext = b["ext_headers"]
        check_range(path, "binary header extended textual headers (byte 3505)", n_ext,
                    0, (size - FILE_HEADER_BYTES) // TEXT_BYTES)
        self.data_start = FILE_HEADER_BYTES + n_ext * TEXT_BYTES
        ns = b["samples"]
        if b["revision"] >= 2 and b["ext_samples"] > 0:
            ns = b["ext_samples"]
        if ns == 0 and size >= self.data_start + TRACE_HEADER_BYTES:
            with open(path, "rb") as fh:  # rev 0 files may state the count only per trace
                fh.seek(self.data_start + 114)
                ns = unpack_at(path, fh.read(2), self.endian + "H", 0, "trace 0 header samples (byte 115)")
        max_ns = (size - self.data_start - TRACE_HEADER_BYTES) // itemsize
        if max_ns < 1:
            raise FormatError(path, "file size", f"at least one trace after byte {self.data_start}", got=size)
        self.n_samples = check_range(path, "binary header samples per trace (byte 3221)", ns, 1, max_ns)
        self.trace_bytes = TRACE_HEADER_BYTES + self.n_samples * itemsize
        self.n_traces, rest = divmod(size - self.data_start, self.trace_bytes)
        if rest:
            raise FormatError(path, "file size",
                              f"{self.data_start} + n × {self.trace_bytes} bytes (fixed-length traces of "
                              f"{self.n_samples} {SAMPLE_FORMATS[self.format][2]} samples)",
                              got=f"{size} bytes ({self.n_traces} traces and {rest} bytes)")
        for name, pos in (("iline", iline), ("xline", xline)):
            check_range(path, f"{name} byte position", pos, 1, TRACE_HEADER_BYTES - 3)
        self.dtype = _trace_dtype(self.endian, self.sample_type, self.n_samples, iline, xline)
        self.traces = memmap_block(path, self.dtype, self.data_start, (self.n_traces,), field="traces")
        self.header_names = tuple(n for n in self.dtype.names if n != "samples_block")
        self._headers = None

    def header(self, name: str) -> np.ndarray:
        """One trace header field for every trace, native int64."""
        if self._headers is None:  # one pass over the file gathers every field roadbed reads
            self._headers = repack_fields(self.traces[list(self.header_names)])
        return self._headers[name].astype(np.int64)

    def samples(self) -> np.ndarray:
        """(n_traces, n_samples) view of the mapped samples (raw type and byte order)."""
        return self.traces["samples_block"]


# --- header interpretation -----------------------------------------------------------

def _scaled(raw: np.ndarray, scalar: np.ndarray) -> np.ndarray:
    """SEG-Y scalar rule: negative → divide by |s|, positive → multiply, 0 → 1."""
    raw = raw.astype(np.float64)
    s = scalar.astype(np.float64)
    return np.where(s < 0, raw / np.where(s < 0, -s, 1.0), raw * np.where(s > 0, s, 1.0))


def _dms_to_degrees(v: np.ndarray) -> np.ndarray:
    a = np.abs(v)
    deg = np.floor(a / 10000)
    minutes = np.floor((a - deg * 10000) / 100)
    seconds = a - deg * 10000 - minutes * 100
    return np.sign(v) * (deg + minutes / 60 + seconds / 3600)


def _cumulative_distance(x, y, *, geographic: bool) -> np.ndarray:
    """Along-track distance (m) from the first position, n positions → n distances."""
    if len(x) < 2:
        return np.zeros(len(x))
    if geographic:
        import pyproj

        _, _, steps = pyproj.Geod(ellps="WGS84").inv(x[:-1], y[:-1], x[1:], y[1:])
        steps = np.asarray(steps, dtype=np.float64)
    else:
        steps = np.hypot(np.diff(x), np.diff(y))
    return np.concatenate([[0.0], np.cumsum(steps)])


def _trace_times(lay: _Layout) -> np.ndarray | None:
    """UTC datetime64[ns] per trace from bytes 157–168, or None (logged) where unusable."""
    year, day, hour = lay.header("year"), lay.header("day"), lay.header("hour")
    minute, second, basis = lay.header("minute"), lay.header("second"), lay.header("time_basis")
    if not np.any(year):
        return None
    ok = ((year >= 1900) & (year <= 2200) & (day >= 1) & (day <= 366) & (hour >= 0) & (hour < 24)
          & (minute >= 0) & (minute < 60) & (second >= 0) & (second < 61))
    if not np.all(ok):
        log.warning("%s: trace header times out of range in %d traces; no time coordinate", lay.path,
                    int(np.sum(~ok)))
        return None
    if np.any((basis == 1) | (basis == 3)):
        log.warning("%s: trace times are local/other time (basis code %s), not UTC; no time coordinate",
                    lay.path, sorted(set(basis.tolist()))[:4])
        return None
    if np.any(basis == 0):
        log.info("%s: trace time basis unstated; assuming UTC", lay.path)
    years = (year - 1970).astype("datetime64[Y]").astype("datetime64[ns]")
    seconds = (((day - 1) * 24 + hour) * 60 + minute) * 60 + second
    return years + seconds.astype("timedelta64[s]").astype("timedelta64[ns]")


def _positions(lay: _Layout, keys: dict) -> dict:
    """Trace coordinates (flat, one per trace): ``x``/``y`` or ``lon``/``lat`` or ``distance``."""
    scalar = lay.header("coord_scalar")
    mode = keys.get("COORDS")
    if mode == "NONE":
        return {}
    if mode == "DISTANCE":
        return {cv.DISTANCE: _scaled(lay.header("cdp_x"), scalar)}
    cx, cy = lay.header("cdp_x"), lay.header("cdp_y")
    if mode in ("XY", "LONLAT") or np.any(cx) or np.any(cy):
        rx, ry = cx, cy
    else:
        rx, ry = lay.header("source_x"), lay.header("source_y")
        if not (np.any(rx) or np.any(ry)):
            return {}
    x, y = _scaled(rx, scalar), _scaled(ry, scalar)
    codes = set(np.unique(lay.header("coord_units")).tolist())
    unit = next(iter(codes)) if len(codes) == 1 else -1
    if unit in (2, 3, 4):
        if unit == 2:
            x, y = x / 3600.0, y / 3600.0
        elif unit == 4:
            x, y = _dms_to_degrees(x), _dms_to_degrees(y)
        return {cv.LON: x, cv.LAT: y}
    if not codes <= {0, 1}:  # 0 (unset) and 1 both mean lengths
        log.warning("%s: coordinate units codes %s not understood; reading positions as lengths", lay.path,
                    sorted(codes)[:4])
    if lay.binary["measurement_system"] == 2:
        x, y = x * _FEET_M, y * _FEET_M
    return {cv.X: x, cv.Y: y}


def _grid(il: np.ndarray, xl: np.ndarray):
    """(order, inlines, crosslines) where the traces form a complete sorted grid, else None."""
    uil, uxl = np.unique(il), np.unique(xl)
    if uil.size * uxl.size != il.size:
        return None
    if np.array_equal(il, np.repeat(uil, uxl.size)) and np.array_equal(xl, np.tile(uxl, uil.size)):
        return "inline-major", uil, uxl
    if np.array_equal(xl, np.repeat(uxl, uil.size)) and np.array_equal(il, np.tile(uil, uxl.size)):
        return "crossline-major", uil, uxl
    return None


def _float_key(path: Path, keys: dict, name: str, *, positive=False):
    if name not in keys:
        return None
    try:
        value = float(keys[name])
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or (positive and value <= 0):
        raise FormatError(path, f"textual header ROADBED {name}", "a finite number" + (" > 0" if positive else ""),
                          got=keys[name])
    return value


def _time_axis(lay: _Layout, keys: dict, sample_interval_ns, interval_unit) -> tuple[np.ndarray, float]:
    path, b = lay.path, lay.binary
    unit = (interval_unit or keys.get("INTERVAL_UNIT", "us")).lower()
    if unit not in INTERVAL_UNITS:
        raise FormatError(path, "interval_unit", f"one of {sorted(INTERVAL_UNITS)}", got=unit)
    scale = INTERVAL_UNITS[unit]
    dt = None
    if sample_interval_ns is not None:
        dt = float(sample_interval_ns)
        if not (math.isfinite(dt) and dt > 0):
            raise ValueError(f"sample_interval_ns must be a positive number, got {sample_interval_ns!r}")
    elif "DT_NS" in keys:
        dt = _float_key(path, keys, "DT_NS", positive=True)
    else:
        interval = float(b["sample_interval"])
        ext = b["ext_sample_interval"]
        if b["revision"] >= 2 and math.isfinite(ext) and ext > 0:
            interval = ext
        if interval == 0 and lay.n_traces:
            interval = float(lay.traces["sample_interval"][0])
        if interval <= 0:
            raise FormatError(path, "binary header sample interval (byte 3217)",
                              "a positive interval (or pass sample_interval_ns=)", got=interval)
        dt = interval * scale
    t0 = _float_key(path, keys, "T0_NS")
    if t0 is None:
        t0 = float(lay.traces["delay_ms"][0]) * 1e6 * (scale / INTERVAL_UNITS["us"])
    return t0 + np.arange(lay.n_samples, dtype=np.float64) * dt, dt


def _per_trace(values: np.ndarray, shape, order: str, path: Path, name: str) -> np.ndarray:
    """A per-file-trace array as (channel, trace), reduced to one value per trace."""
    grid = _to_grid(values, shape, order)
    if np.all(grid == grid[:1]):
        return grid[0]
    log.info("%s: %s differs between channels; using the mean over channels", path, name)
    return grid.mean(axis=0)


def _to_grid(values: np.ndarray, shape, order: str) -> np.ndarray:
    n_ch, n_tr = shape
    if order == "inline-major":
        return values.reshape(n_ch, n_tr, *values.shape[1:])
    return np.swapaxes(values.reshape(n_tr, n_ch, *values.shape[1:]), 0, 1)


def _channel_offsets(lay: _Layout, keys: dict, coords: dict, shape, order: str):
    """Across-track offset of each channel (m) and whether it is known."""
    if keys.get("OFFSET_MM") == "233":
        return _to_grid(lay.header("roadbed_offset_mm"), shape, order)[:, 0] / 1000.0, True
    if cv.X in coords:
        px = _to_grid(coords[cv.X], shape, order).mean(axis=1)
        py = _to_grid(coords[cv.Y], shape, order).mean(axis=1)
        span = math.hypot(px[-1] - px[0], py[-1] - py[0])
        if span > 0:
            ux, uy = (px[-1] - px[0]) / span, (py[-1] - py[0]) / span
            return (px - px.mean()) * ux + (py - py.mean()) * uy, True
    log.warning("%s: across-track offsets of the %d channels unknown; set to 0", lay.path, shape[0])
    return np.zeros(shape[0]), False


# --- reader ----------------------------------------------------------------------------

def read_segy(path, *, sample_interval_ns: float | None = None, interval_unit: str | None = None,
              geometry: str = "auto", iline: int = 189, xline: int = 193) -> xr.DataArray:
    """Read a SEG-Y file as a radargram (lazily).

    Parameters
    ----------
    path : str or os.PathLike
        A SEG-Y file with fixed-length traces.
    sample_interval_ns : float, optional
        The sample interval in ns, overriding every header.
    interval_unit : {"us", "ns", "ps"}, optional
        Unit of the binary header's sample interval (default: roadbed's own
        statement in the textual header, else "us" as SEG-Y prescribes).
    geometry : {"auto", "2d", "3d"}
        Read as a 2-D line (one radargram trace per SEG-Y trace) or as a 3-D
        cube (inline = channel, crossline = trace); "auto" decides by the
        inline/crossline numbers (roadbed's own files state it).
    iline, xline : int
        1-based byte positions of the inline and crossline numbers in the
        trace header.

    Returns
    -------
    xarray.DataArray
        float32 amplitudes, dims ``("trace", "twt")`` or ``("channel",
        "trace", "twt")``; ``twt`` in ns, coordinates as the headers allow
        (see the module docstring).

    Raises
    ------
    FormatError
        If the file is not a readable fixed-length SEG-Y file.
    """
    path = Path(path)
    if geometry not in ("auto", "2d", "3d"):
        raise ValueError(f"geometry must be 'auto', '2d' or '3d', got {geometry!r}")
    lay = _Layout(path, iline=iline, xline=xline)
    keys = _roadbed_keys(lay.text)
    twt, dt = _time_axis(lay, keys, sample_interval_ns, interval_unit)

    dims = keys.get("DIMS")
    want = {"2": "2d", "3": "3d"}.get(dims, geometry) if geometry == "auto" else geometry
    grid = None
    if want != "2d":
        il, xl = lay.header("inline"), lay.header("crossline")
        grid = _grid(il, xl)
        if grid is not None and want == "auto" and (grid[1].size < 2 or grid[2].size < 2):
            grid = None
        if grid is None and want == "3d":
            raise FormatError(path, f"inline/crossline numbers (bytes {iline}/{xline})",
                              "a complete inline × crossline grid for a 3-D cube",
                              got=f"{np.unique(il).size} inlines, {np.unique(xl).size} crosslines, "
                                  f"{lay.n_traces} traces")

    coords = _positions(lay, keys)
    elevation = None
    if keys.get("ELEVATION") == "1" or (not keys and np.any(lay.header("receiver_elevation"))):
        elevation = _scaled(lay.header("receiver_elevation"), lay.header("elevation_scalar"))
    times = _trace_times(lay) if keys.get("TIME", "1") == "1" else None

    convert = _converter(lay.format)
    raw = lay.samples()
    attrs = {
        cv.ATTR_FORMAT: "segy",
        cv.ATTR_SOURCE: str(path),
        cv.ATTR_SAMPLE_INTERVAL: dt,
        cv.ATTR_TIME_WINDOW: dt * lay.n_samples,
        "raw_textual_header": lay.text,
    }
    if "CRS" in keys:
        attrs[cv.ATTR_CRS] = keys["CRS"]
    freq = _float_key(path, keys, "FREQUENCY_HZ", positive=True)
    if freq is not None:
        attrs[cv.ATTR_FREQUENCY] = freq
    attrs.update(flat_attrs({k: v for k, v in lay.binary.items()}, prefix=cv.RAW_HEADER_PREFIX))
    attrs[f"{cv.RAW_HEADER_PREFIX}byte_order"] = "big" if lay.endian == ">" else "little"

    offset = None
    if grid is None:
        data = lazy_variable((cv.TRACE, cv.TWT), raw, convert, np.float32)
        per_trace = dict(coords)
        if elevation is not None:
            per_trace[cv.ELEVATION] = elevation
        if times is not None:
            per_trace[cv.TIME] = times
    else:
        order, inlines, crosslines = grid
        shape = (inlines.size, crosslines.size)
        data = lazy_variable((cv.CHANNEL, cv.TRACE, cv.TWT), _to_grid(raw, shape, order), convert, np.float32)
        offset, known = _channel_offsets(lay, keys, coords, shape, order)
        per_trace = {k: _per_trace(v, shape, order, path, k) for k, v in coords.items()}
        if elevation is not None:
            per_trace[cv.ELEVATION] = _per_trace(elevation, shape, order, path, cv.ELEVATION)
        if times is not None:
            per_trace[cv.TIME] = _to_grid(times, shape, order)[0]
        attrs.update({"offsets_known": int(known), "segy_sorting": order,
                      "raw_first_inline": int(inlines[0]), "raw_first_crossline": int(crosslines[0])})
    distance = per_trace.pop(cv.DISTANCE, None)
    if distance is None and (cv.X in per_trace or cv.LON in per_trace):
        geographic = cv.LON in per_trace
        a, b = (per_trace[cv.LON], per_trace[cv.LAT]) if geographic else (per_trace[cv.X], per_trace[cv.Y])
        distance = _cumulative_distance(a, b, geographic=geographic)
    da = radargram(data, twt_ns=twt, distance_m=distance, offset_m=offset, trace_coords=per_trace, attrs=attrs)
    return append_history(da, "read", path=str(path), sample_interval_ns=sample_interval_ns,
                          interval_unit=interval_unit, geometry=geometry)


# --- writer ------------------------------------------------------------------------------

def _choose_scalar(values: np.ndarray, what: str) -> int:
    """The finest SEG-Y scalar whose integers hold ``values`` (m) in 32 bits."""
    peak = float(np.max(np.abs(values))) if values.size else 0.0
    for s in _SCALARS:
        factor = -s if s < 0 else 1.0 / s
        if peak * factor <= _INT32_MAX:
            if s != _SCALARS[0]:
                log.warning("%s up to %g do not fit 32-bit integers in mm; stored with SEG-Y scalar %d",
                            what, peak, s)
            return s
    raise ValueError(f"{what} up to {peak:g} are too large for SEG-Y")


def _to_ints(values: np.ndarray, scalar: int) -> np.ndarray:
    factor = -scalar if scalar < 0 else 1.0 / scalar
    return np.rint(np.asarray(values, dtype=np.float64) * factor).astype(np.int64)


def _finite(da: xr.DataArray, name: str) -> np.ndarray:
    values = np.asarray(da[name].values, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"coordinate {name!r} holds NaN/inf, which SEG-Y cannot store; fill or drop them first")
    return values


def _uniform_axis(twt: np.ndarray, stated) -> tuple[float, float]:
    """(t0, dt) in ns such that ``t0 + arange(n) * dt`` is ``twt``, exactly where any candidate is.

    The candidates for dt are the stated sample interval, the first step and
    the mean step; the reader rebuilds the axis by the same formula, so the
    round trip is exact whenever ``twt`` was built that way.
    """
    t0 = float(twt[0])
    n = twt.size
    candidates = []
    if isinstance(stated, (int, float, np.integer, np.floating)) and math.isfinite(float(stated)):
        candidates.append(float(stated))
    if n > 1:
        candidates += [float(twt[1] - twt[0]), float((twt[-1] - twt[0]) / (n - 1))]
    candidates = [c for c in candidates if c > 0 and math.isfinite(c)]
    if not candidates or not math.isfinite(t0):
        raise ValueError(f"twt must start finite and increase by a positive step (or, with one sample, state "
                         f"attrs[{cv.ATTR_SAMPLE_INTERVAL!r}]); got twt[0]={t0}")
    index = np.arange(n)
    errors = [float(np.max(np.abs(t0 + index * c - twt))) for c in candidates]
    best = int(np.argmin(errors))
    dt = candidates[best]
    if errors[best] > 1e-9 * dt * max(n, 1):
        raise ValueError("twt is not uniformly spaced; SEG-Y stores one sample interval (resample first)")
    return t0, dt


def _interval_field(dt_ns: float) -> tuple[int, str]:
    for unit in ("ps", "ns", "us"):
        value = round(dt_ns / INTERVAL_UNITS[unit])
        if 1 <= value <= 32767:
            return value, unit
    raise ValueError(f"sample interval {dt_ns} ns does not fit a SEG-Y binary header")


def _text_header(lines: list[str]) -> bytes:
    rows = []
    for i in range(40):
        body = lines[i] if i < len(lines) else ""
        rows.append(f"C{i + 1:2d} {body}"[:80].ljust(80))
    rows[38] = "C39 SEG Y REV1".ljust(80)
    rows[39] = "C40 END TEXTUAL HEADER".ljust(80)
    return "".join(rows).encode("cp037")


def _token(value) -> str | None:
    text = str(value)
    if not text or len(text) > 60 or any(c.isspace() for c in text):
        return None
    try:
        text.encode("cp037")
    except UnicodeEncodeError:
        return None
    return text


def write_segy(da: xr.DataArray, path) -> None:
    """Write a radargram as big-endian SEG-Y rev 1 with IEEE float32 samples.

    Parameters
    ----------
    da : xarray.DataArray
        dims ``("trace", "twt")`` or ``("channel", "trace", "twt")`` (any
        order of these); ``twt`` in ns, uniformly spaced; at most 65535
        samples per trace. ``x``/``y`` (m), else ``lon``/``lat``, else
        ``distance`` are written as positions; ``elevation`` (m), ``time``
        (to the second), ``offset`` (m, 3-D) as well.
    path : str or os.PathLike
        The file to write (replaced if it exists).

    Raises
    ------
    ValueError
        For dims, a twt axis, or positions that SEG-Y cannot hold.
    """
    path = Path(path)
    if set(da.dims) == {cv.TRACE, cv.TWT}:
        da = da.transpose(cv.TRACE, cv.TWT)
        n_ch, three_d = 1, False
    elif set(da.dims) == {cv.CHANNEL, cv.TRACE, cv.TWT}:
        da = da.transpose(cv.CHANNEL, cv.TRACE, cv.TWT)
        n_ch, three_d = da.sizes[cv.CHANNEL], True
    else:
        raise ValueError(f"write_segy needs dims ('trace', 'twt') or ('channel', 'trace', 'twt'), got {da.dims}")
    n_tr, ns = da.sizes[cv.TRACE], da.sizes[cv.TWT]
    if ns > MAX_SAMPLES_REV1 or ns < 1 or n_tr < 1:
        raise ValueError(f"SEG-Y rev 1 holds 1 to {MAX_SAMPLES_REV1} samples per trace and ≥ 1 trace, got "
                         f"{ns} samples, {n_tr} traces")
    twt = np.asarray(da[cv.TWT].values, dtype=np.float64)
    t0, dt = _uniform_axis(twt, da.attrs.get(cv.ATTR_SAMPLE_INTERVAL))
    interval, unit = _interval_field(dt)

    header = {}  # trace header field → (n_tr,) values, shared by all channels
    trace_index = np.arange(n_tr)
    header["trace_number"] = trace_index + 1
    header["cdp"] = trace_index + 1
    header["crossline"] = trace_index + 1
    lines = [f"SEG-Y WRITTEN BY ROADBED {__version__} - GROUND-PENETRATING RADAR",
             "SAMPLES: IEEE FLOAT32 (FORMAT 5), BIG-ENDIAN, AMPLITUDE AS RECORDED",
             "TIME: TWO-WAY TRAVEL TIME IN NANOSECONDS",
             f"BINARY HEADER SAMPLE INTERVAL (BYTES 3217-3218) IN {unit.upper()}, NOT US",
             ]
    coord_mode = "NONE"
    coord_units = 1
    if cv.X in da.coords and cv.Y in da.coords:
        coord_mode, xs, ys = "XY", _finite(da, cv.X), _finite(da, cv.Y)
        scalar = _choose_scalar(np.concatenate([xs, ys]), "x/y coordinates")
        lines.append(f"POSITIONS: X/Y IN M AT BYTES 73-88 AND 181-188, SCALAR {scalar} AT 71")
    elif cv.LON in da.coords and cv.LAT in da.coords:
        coord_mode, coord_units = "LONLAT", 2
        xs, ys = _finite(da, cv.LON) * 3600.0, _finite(da, cv.LAT) * 3600.0
        scalar = _choose_scalar(np.concatenate([xs, ys]), "lon/lat (arc seconds)")
        lines.append(f"POSITIONS: LON/LAT IN ARC SECONDS AT BYTES 73-88, 181-188, SCALAR {scalar}")
    elif cv.DISTANCE in da.coords:
        coord_mode, xs = "DISTANCE", _finite(da, cv.DISTANCE)
        ys = np.zeros_like(xs)
        scalar = _choose_scalar(xs, "distances")
        lines.append(f"POSITIONS: ALONG-TRACK DISTANCE IN M AT CDP_X (181), SCALAR {scalar}")
    else:
        scalar = 1
        lines.append("POSITIONS: NONE")
    if coord_mode != "NONE":
        ix, iy = _to_ints(xs, scalar), _to_ints(ys, scalar)
        header.update(cdp_x=ix, cdp_y=iy, coord_scalar=np.full(n_tr, scalar), coord_units=np.full(n_tr, coord_units))
        if coord_mode != "DISTANCE":
            header.update(source_x=ix, source_y=iy, group_x=ix, group_y=iy)
    has_elev = cv.ELEVATION in da.coords and da[cv.ELEVATION].dims == (cv.TRACE,)
    if has_elev:
        elev = _finite(da, cv.ELEVATION)
        escal = _choose_scalar(elev, "elevations")
        ie = _to_ints(elev, escal)
        header.update(receiver_elevation=ie, source_elevation=ie, elevation_scalar=np.full(n_tr, escal))
        lines.append(f"ELEVATION: M AT BYTES 41-48, SCALAR {escal} AT 69")
    has_time = False
    if cv.TIME in da.coords and da[cv.TIME].dtype.kind == "M" and da[cv.TIME].dims == (cv.TRACE,):
        t = da[cv.TIME].values.astype("datetime64[s]")
        if np.any(np.isnat(t)):
            log.warning("%s: time coordinate has NaT; trace times not written", path)
        else:
            has_time = True
            year = t.astype("datetime64[Y]")
            secs = (t - year.astype("datetime64[s]")).astype(np.int64)
            header.update(year=year.astype(np.int64) + 1970, day=secs // 86400 + 1, hour=secs // 3600 % 24,
                          minute=secs // 60 % 60, second=secs % 60, time_basis=np.full(n_tr, 4))
            lines.append("TIME OF TRACE: UTC, WHOLE SECONDS, BYTES 157-168")
    offsets_mm = None
    if three_d:
        off = _finite(da, cv.OFFSET) if cv.OFFSET in da.coords else np.zeros(n_ch)
        offsets_mm = _to_ints(off, -1000)
        if np.any(np.abs(offsets_mm) > _INT32_MAX):
            raise ValueError("channel offsets too large for SEG-Y")
        lines.append("3-D: INLINE (189) = CHANNEL + 1, CROSSLINE (193) = TRACE + 1")
        lines.append("CHANNEL ACROSS-TRACK OFFSET IN MM AT BYTES 233-236 (UNASSIGNED IN REV1)")
    else:
        lines.append("2-D LINE: CROSSLINE (193) = CDP (21) = TRACE + 1")
    lines.append("")
    keys = {"DIMS": 3 if three_d else 2, "DT_NS": repr(dt), "T0_NS": repr(t0), "INTERVAL_UNIT": unit.upper(),
            "COORDS": coord_mode, "ELEVATION": int(has_elev), "TIME": int(has_time)}
    if three_d:
        keys["OFFSET_MM"] = 233
    crs = _token(da.attrs.get(cv.ATTR_CRS, "")) if da.attrs.get(cv.ATTR_CRS) else None
    if crs:
        keys["CRS"] = crs
    freq = da.attrs.get(cv.ATTR_FREQUENCY)
    if isinstance(freq, (int, float, np.integer, np.floating)) and math.isfinite(float(freq)) and freq > 0:
        keys["FREQUENCY_HZ"] = repr(float(freq))
    lines += [f"ROADBED {k}={v}" for k, v in keys.items()]

    binary = bytearray(BINARY_BYTES)
    values = {"job_id": 1, "line_number": 1, "reel_number": 1, "traces_per_ensemble": min(n_tr, 32767),
              "sample_interval": interval, "samples": ns, "format": 5, "sorting": 4, "measurement_system": 1,
              "revision": 1, "revision_minor": 0, "fixed_length": 1, "ext_headers": 0}
    for name, value in values.items():
        offset, code = _BINARY_FIELDS[name]
        binary[offset - TEXT_BYTES:offset - TEXT_BYTES + np.dtype(">" + code).itemsize] = \
            np.array(value, dtype=">" + code).tobytes()

    dtype = _trace_dtype(">", "f4", ns, 189, 193)
    chunk = max(1, (16 * 2**20) // dtype.itemsize)
    with open(path, "wb") as fh:
        fh.write(_text_header(lines))
        fh.write(bytes(binary))
        seq = 0
        for ch in range(n_ch):
            for start in range(0, n_tr, chunk):
                stop = min(n_tr, start + chunk)
                block = da.isel({cv.CHANNEL: ch, cv.TRACE: slice(start, stop)}) if three_d else \
                    da.isel({cv.TRACE: slice(start, stop)})
                rec = np.zeros(stop - start, dtype=dtype)
                rec["samples_block"] = np.asarray(block.values, dtype=np.float32)
                for name, column in header.items():
                    rec[name] = column[start:stop]
                rec["trace_seq_line"] = np.arange(start, stop) + 1
                rec["trace_seq_file"] = seq + np.arange(stop - start) + 1
                rec["field_record"] = ch + 1
                rec["trace_id"] = 1
                rec["samples"] = ns
                rec["sample_interval"] = interval
                rec["inline"] = ch + 1
                if offsets_mm is not None:
                    rec["roadbed_offset_mm"] = offsets_mm[ch]
                fh.write(rec.tobytes())
                seq += stop - start


def _sniff(path: Path, head: bytes) -> bool:
    if len(head) < FILE_HEADER_BYTES:
        return False
    try:
        lay = _Layout(path, iline=189, xline=193)
    except (FormatError, OSError, ValueError):
        return False
    return lay.n_traces >= 1 and (path.suffix.lower() in _EXTENSIONS or head[:1] in (b"\xc3", b"C"))


_EXTENSIONS = (".sgy", ".segy", ".seg")

FORMATS = (
    Format("segy", "SEG-Y rev 0/1/2 (fixed-length traces)", _EXTENSIONS, _sniff, read_segy, write_segy),
)
