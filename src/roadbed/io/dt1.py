"""Sensors & Software pulseEKKO ``.DT1`` data with its ``.HD`` text header.

File layout
-----------
``NAME.HD`` is text: a file tag (``1234``), a "Data Collected with …" line, a
date line, then ``KEY = value`` lines (``NUMBER OF TRACES``, ``NUMBER OF
PTS/TRC``, ``TIMEZERO AT POINT``, ``TOTAL TIME WINDOW`` (ns), ``STARTING
POSITION``, ``FINAL POSITION``, ``STEP SIZE USED``, ``POSITION UNITS``,
``NOMINAL FREQUENCY`` (MHz), ``ANTENNA SEPARATION`` …).

``NAME.DT1`` has no file header and no magic number: it is a run of traces,
each a 128-byte little-endian trace header (:data:`TRACE_HEADER_DTYPE`:
float32 trace number, position, number of points, topography, bytes per
point, time window, stacks; float64 GPS x/y/z; float32 receiver and
transmitter x/y/z, time-zero adjustment, zero flag, time of day, comment
flag; a 28-byte comment) followed by the samples, int16 or int32. The
layout follows RGPR's ``readDT1`` and ImpDAR's ``load_pulse_ekko``. In the
pE PRO files we have seen, the header's "time window" slot holds the sample
interval in picoseconds; roadbed takes the window from the ``.HD`` file only.

Optional side-cars give positions: ``NAME.GPS`` (pulseEKKO's ``Trace #N at
position P`` lines, each followed by a ``$GPGGA`` sentence) and
``NAME_gps.xyz`` (text ``x, y, z`` rows, or ``trace, x, y, z`` rows).
All side-cars are found case-insensitively.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import conventions as cv
from ..errors import FormatError
from ..model import append_history, flat_attrs, radargram
from ._binary import file_size
from ._lazy import lazy_variable
from ._registry import Format
from ._textheader import MAX_HEADER_BYTES, TextHeader, attr_key, find_sidecar, number, read_text_header

__all__ = ["TRACE_HEADER_DTYPE", "HDInfo", "read", "read_hd", "sniff", "FORMATS"]

log = logging.getLogger(__name__)

#: the 128-byte trace header that precedes every trace in a .DT1 file
TRACE_HEADER_DTYPE = np.dtype([
    ("trace_number", "<f4"),
    ("position", "<f4"),
    ("n_samples", "<f4"),
    ("topography", "<f4"),
    ("unused", "<f4"),
    ("bytes_per_point", "<f4"),
    ("time_window", "<f4"),
    ("n_stacks", "<f4"),
    ("gps_x", "<f8"),
    ("gps_y", "<f8"),
    ("gps_z", "<f8"),
    ("receiver_x", "<f4"),
    ("receiver_y", "<f4"),
    ("receiver_z", "<f4"),
    ("transmitter_x", "<f4"),
    ("transmitter_y", "<f4"),
    ("transmitter_z", "<f4"),
    ("time_zero_adjustment", "<f4"),
    ("zero_flag", "<f4"),
    ("n_channels", "<f4"),
    ("time_of_day", "<f4"),
    ("comment_flag", "<f4"),
    ("comment", "S28"),
])
assert TRACE_HEADER_DTYPE.itemsize == 128

#: the largest trace length roadbed accepts (samples per trace)
MAX_SAMPLES = 1 << 20
#: the largest time window roadbed accepts, ns
MAX_WINDOW_NS = 1e7
#: metres per position unit, by the spelling in POSITION UNITS
_UNIT_FACTORS = {
    "m": 1.0, "meter": 1.0, "meters": 1.0, "metre": 1.0, "metres": 1.0,
    "ft": 0.3048, "feet": 0.3048, "foot": 0.3048,
    "cm": 0.01, "mm": 0.001, "in": 0.0254, "inch": 0.0254, "inches": 0.0254, "km": 1000.0,
}
_DTYPES = {2: np.dtype("<i2"), 4: np.dtype("<i4")}
#: the largest coordinate or trace number accepted from a GPS side-car
MAX_COORDINATE = 1e12
#: side-car text files larger than this are refused (a GPS log for a long line stays far below)
MAX_GPS_BYTES = 256 * 2**20


@dataclass
class HDInfo:
    """The fields of a ``.HD`` header that the reader uses.

    Positions are in the file's own units; ``unit_factor`` converts them to
    metres. ``itemsize`` is None where the header does not say.
    """

    header: TextHeader
    n_samples: int
    time_window_ns: float
    n_traces: int | None = None
    time_zero_point: float | None = None
    start_position: float | None = None
    final_position: float | None = None
    step: float | None = None
    unit_name: str = "m"
    unit_factor: float = 1.0
    frequency_mhz: float | None = None
    antenna_separation: float | None = None
    itemsize: int | None = None
    instrument: str | None = None
    date: str | None = None


def read_hd(path) -> HDInfo:
    """Parse a pulseEKKO ``.HD`` header.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.HD`` file.

    Returns
    -------
    HDInfo

    Raises
    ------
    FormatError
        If ``NUMBER OF PTS/TRC`` or ``TOTAL TIME WINDOW`` is missing or out of
        range, or any other numeric field used is not a finite number in range.
    """
    hd = read_text_header(Path(path), "=", field="HD header")
    n_samples = number(hd, "NUMBER OF PTS/TRC", low=1, high=MAX_SAMPLES, integer=True)
    window = number(hd, "TOTAL TIME WINDOW", low=1e-6, high=MAX_WINDOW_NS)
    info = HDInfo(header=hd, n_samples=n_samples, time_window_ns=window)
    info.n_traces = number(hd, "NUMBER OF TRACES", low=0, high=2**40, integer=True, required=False)
    info.time_zero_point = number(hd, "TIMEZERO AT POINT", low=0, high=n_samples, required=False)
    info.start_position = number(hd, "STARTING POSITION", low=-1e12, high=1e12, required=False)
    info.final_position = number(hd, "FINAL POSITION", low=-1e12, high=1e12, required=False)
    info.step = number(hd, "STEP SIZE USED", low=-1e9, high=1e9, required=False)
    info.frequency_mhz = number(hd, "NOMINAL FREQUENCY", low=0, high=1e6, required=False)
    info.antenna_separation = number(hd, "ANTENNA SEPARATION", low=-1e6, high=1e6, required=False)
    unit = (hd.get("POSITION UNITS") or "m").strip()
    factor = _UNIT_FACTORS.get(unit.lower().rstrip("."))
    if factor is None:
        log.warning("%s: POSITION UNITS %r not recognised; positions taken as metres", hd.path, unit)
        factor = 1.0
    info.unit_name, info.unit_factor = unit, factor
    info.itemsize = _itemsize_from_header(hd)
    free = [line for line in hd.free_lines if line != "1234"]
    for line in free:
        low = line.lower()
        if low.startswith("data collected with"):
            info.instrument = line[len("data collected with"):].strip()
        elif info.date is None and re.match(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$", line):
            info.date = line
    return info


def _itemsize_from_header(hd: TextHeader) -> int | None:
    """Bytes per sample where the HD states it (``DATA TYPE``, a ``BITS`` or ``BYTES`` field)."""
    for key, value in hd.values.items():
        if "DATA TYPE" in key or "BITS" in key or "BYTES" in key:
            digits = re.findall(r"\d+", value)
            sizes = {"16": 2, "2": 2, "32": 4, "4": 4}
            for d in digits:
                if d in sizes:
                    return sizes[d]
            raise FormatError(hd.path, key, "16 or 32 bits (2 or 4 bytes) per sample", got=value)
    return None


def _paths(path: Path) -> tuple[Path, Path]:
    """(DT1 path, HD path) for the .DT1 or .HD path given."""
    path = Path(path)
    if path.suffix.lower() == ".hd":
        dt1 = find_sidecar(path, ".DT1")
        if dt1 is None:
            raise FormatError(path, "DT1 data file", f"{path.stem}.DT1 beside the .HD header")
        return dt1, path
    hd = find_sidecar(path, ".HD")
    if hd is None:
        raise FormatError(path, "HD side-car", f"{path.stem}.HD beside the .DT1 file")
    return path, hd


def _first_header(dt1: Path) -> np.void | None:
    with open(dt1, "rb") as fh:
        raw = fh.read(TRACE_HEADER_DTYPE.itemsize)
    if len(raw) < TRACE_HEADER_DTYPE.itemsize:
        return None
    return np.frombuffer(raw, dtype=TRACE_HEADER_DTYPE)[0]


def _choose_itemsize(dt1: Path, info: HDInfo, size: int, first) -> int:
    """Bytes per sample: the HD's word, else the file size, else the first trace header."""
    if info.itemsize is not None:
        return info.itemsize
    n = info.n_samples
    exact = [s for s in (2, 4) if size % (128 + n * s) == 0
             and (info.n_traces is None or size // (128 + n * s) == info.n_traces)]
    if len(exact) == 1:
        return exact[0]
    if first is not None:
        stated = float(first["bytes_per_point"])
        if stated in (2.0, 4.0):
            return int(stated)
    if exact:
        return exact[0]
    divides = [s for s in (2, 4) if size % (128 + n * s) == 0]
    if divides:
        return divides[0]
    raise FormatError(dt1, "bytes per sample",
                      "int16 or int32 traces of 128 + NUMBER OF PTS/TRC × 2 or 4 bytes (HD and trace header silent)",
                      got=f"file of {size} bytes, {n} samples per trace")


def _float32(block: np.ndarray) -> np.ndarray:
    return block.astype(np.float32)


def read(path, *, gps: bool = True):
    """Read a pulseEKKO ``.DT1`` + ``.HD`` pair as a radargram.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.DT1`` file or its ``.HD`` header (any case of extension; the
        other file is found beside it case-insensitively).
    gps : bool
        Read the ``NAME.GPS`` or ``NAME_gps.xyz`` side-car where present.
        A malformed side-car raises FormatError; pass ``gps=False`` to skip it.

    Returns
    -------
    xarray.DataArray, dims ("trace", "twt"), float32
        Lazily read amplitudes (memory-mapped; ``isel`` windows read only
        those traces). Coordinates: ``twt`` (ns) = sample index × sample
        interval, **not** shifted by time zero — the time of the ``TIMEZERO
        AT POINT`` sample is in ``attrs["time_zero_ns"]``; ``distance`` (m)
        from the trace headers' positions, converted from the HD's position
        units (feet → m); ``elevation`` (m) from the trace headers'
        topography where it is non-zero; ``x``/``y``/``elevation`` from
        ``NAME_gps.xyz`` or ``lon``/``lat``/``elevation``/``time`` from
        ``NAME.GPS``, interpolated linearly to each trace (held constant
        beyond the first and last fix). The ``.HD`` fields are kept under
        ``raw_`` attributes.

    Notes
    -----
    Sample interval = ``TOTAL TIME WINDOW / NUMBER OF PTS/TRC``. Samples are
    int16 or int32: the HD's ``DATA TYPE``/bits field decides where present;
    otherwise the size for which the file holds a whole number of traces
    (and NUMBER OF TRACES of them); otherwise the first trace header's
    bytes-per-point. A trailing partial trace is dropped with a warning in
    the log, and the file's own trace count wins over the HD's.

    A ``NAME_gps.xyz`` with three columns (x, y, z, no trace numbers) is
    placed along the line as GPRPy's ``prepTopo`` does: each point at its
    cumulative 3-D distance from the first point, which sits at the first
    trace. Four columns are (trace number, x, y, z), interpolated by trace
    number. The CRS of x/y is not stated by the file and is not set.

    Raises
    ------
    FormatError
        For a missing or malformed header, a data file with no whole trace,
        or (with ``gps=True``) a malformed GPS side-car.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    dt1, hd_path = _paths(path)
    info = read_hd(hd_path)
    size = file_size(dt1)
    first = _first_header(dt1)
    itemsize = _choose_itemsize(dt1, info, size, first)
    sample_dtype = _DTYPES[itemsize]
    trace_bytes = 128 + info.n_samples * itemsize
    n_traces = size // trace_bytes
    if n_traces < 1:
        raise FormatError(dt1, "file size", f"at least one trace of {trace_bytes} bytes", got=f"{size} bytes")
    if size % trace_bytes:
        log.warning("%s: %d trailing bytes are not a whole trace of %d bytes; dropped",
                    dt1, size % trace_bytes, trace_bytes)
    if info.n_traces is not None and info.n_traces != n_traces:
        log.warning("%s: HD says %d traces, the file holds %d; reading %d",
                    dt1, info.n_traces, n_traces, n_traces)
    record = np.dtype([("header", TRACE_HEADER_DTYPE), ("samples", sample_dtype, (info.n_samples,))])
    mm = np.memmap(dt1, dtype=record, mode="r", shape=(n_traces,))
    headers = mm["header"]
    samples = mm["samples"]  # (n_traces, n_samples) strided view: no copy

    dt = info.time_window_ns / info.n_samples
    twt = np.arange(info.n_samples) * dt
    trace_numbers = np.asarray(headers["trace_number"], dtype=np.float64)
    if not (np.all(np.isfinite(trace_numbers)) and np.all(np.diff(trace_numbers) > 0)):
        trace_numbers = np.arange(1, n_traces + 1, dtype=np.float64)
    distance = _distance(dt1, info, headers, n_traces)
    coords: dict = {}
    topo = np.asarray(headers["topography"], dtype=np.float64)
    if np.all(np.isfinite(topo)) and np.any(topo != 0):
        coords[cv.ELEVATION] = topo * info.unit_factor
    if gps:
        coords.update(_gps_coords(dt1, info, trace_numbers, distance))

    attrs = {
        cv.ATTR_FORMAT: "dt1",
        cv.ATTR_SOURCE: str(dt1),
        cv.ATTR_INSTRUMENT: f"Sensors & Software {info.instrument or 'pulseEKKO'}",
        cv.ATTR_SAMPLE_INTERVAL: dt,
        cv.ATTR_TIME_WINDOW: info.time_window_ns,
    }
    if info.frequency_mhz:
        attrs[cv.ATTR_FREQUENCY] = info.frequency_mhz * 1e6
        attrs[cv.ATTR_ANTENNA] = f"{info.frequency_mhz:g} MHz"
    if info.time_zero_point is not None:
        attrs[cv.ATTR_TIME_ZERO] = info.time_zero_point * dt
    if info.step:
        attrs[cv.ATTR_TRACE_SPACING] = abs(info.step) * info.unit_factor
    raw = {attr_key(k): v for k, v in info.header.values.items()}
    if info.date:
        raw["date"] = info.date
    raw["bytes_per_sample"] = itemsize
    attrs.update(flat_attrs(raw, prefix=cv.RAW_HEADER_PREFIX))

    data = lazy_variable((cv.TRACE, cv.TWT), samples, _float32, np.float32)
    da = radargram(data, twt_ns=twt, distance_m=distance, trace_coords=coords, attrs=attrs)
    return append_history(da, "read", path=str(dt1), format="dt1")


def _distance(dt1: Path, info: HDInfo, headers, n_traces: int) -> np.ndarray | None:
    """Distance along the line, m: trace-header positions, else the HD's start and step."""
    pos = np.asarray(headers["position"], dtype=np.float64)
    if np.all(np.isfinite(pos)) and (n_traces == 1 or np.any(pos != pos[0])):
        return pos * info.unit_factor
    if info.step is not None:
        log.warning("%s: trace-header positions unusable; distance from the HD's start and step", dt1)
        start = info.start_position or 0.0
        return (start + np.arange(n_traces) * info.step) * info.unit_factor
    log.warning("%s: no usable positions in trace headers or HD; no distance coordinate", dt1)
    return None


# --- GPS side-cars ------------------------------------------------------------------


def _read_text(path: Path, field: str) -> str:
    size = file_size(path)
    if size > MAX_GPS_BYTES:
        raise FormatError(path, field, f"a text file under {MAX_GPS_BYTES} bytes (pass gps=False to skip it)",
                          got=size)
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise FormatError(path, field, "text (no NUL bytes; pass gps=False to skip it)", got="binary content")
    return raw.decode("latin-1")


def _gps_coords(dt1: Path, info: HDInfo, trace_numbers: np.ndarray, distance: np.ndarray | None) -> dict:
    xyz = find_sidecar(dt1, "_gps.xyz")
    if xyz is not None:
        return _xyz_coords(xyz, trace_numbers, distance)
    gps = find_sidecar(dt1, ".GPS")
    if gps is not None:
        return _nmea_coords(gps, info, trace_numbers)
    return {}


def _xyz_coords(path: Path, trace_numbers: np.ndarray, distance: np.ndarray | None) -> dict:
    rows = []
    for lineno, line in enumerate(_read_text(path, "gps xyz").splitlines(), start=1):
        parts = line.replace(",", " ").replace(";", " ").split()
        if not parts:
            continue
        try:
            values = [float(p) for p in parts]
        except ValueError:
            if not rows:  # a column-title line
                continue
            raise FormatError(path, f"line {lineno}", "numbers (pass gps=False to skip the file)",
                              got=line[:80]) from None
        if len(values) not in (3, 4) or (rows and len(values) != len(rows[0])):
            raise FormatError(path, f"line {lineno}", "3 columns (x y z) or 4 (trace x y z) on every line",
                              got=line[:80])
        if not all(math.isfinite(v) and abs(v) <= MAX_COORDINATE for v in values):
            raise FormatError(path, f"line {lineno}", f"finite numbers within ±{MAX_COORDINATE:g}", got=line[:80])
        rows.append(values)
    if not rows:
        raise FormatError(path, "content", "at least one x y z line (pass gps=False to skip the file)")
    table = np.array(rows, dtype=np.float64)
    if table.shape[1] == 4:
        key, cols = table[:, 0], table[:, 1:]
        where = trace_numbers
    else:
        if distance is None:
            log.warning("%s: x y z rows need trace distances to be placed; none known, file ignored", path)
            return {}
        cols = table
        steps = np.sqrt((np.diff(cols, axis=0) ** 2).sum(axis=1))
        key = np.concatenate([[0.0], np.cumsum(steps)])
        where = distance - distance[0]
    x, y, z = (_interp(where, key, cols[:, i]) for i in range(3))
    return {cv.X: x, cv.Y: y, cv.ELEVATION: z}


def _interp(where: np.ndarray, key: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Linear interpolation of values(key) at ``where``; constant beyond the ends; duplicate keys dropped."""
    order = np.argsort(key, kind="stable")
    key, values = key[order], values[order]
    keep = np.concatenate([[True], np.diff(key) > 0])
    key, values = key[keep], values[keep]
    if key.size == 1:
        return np.full(where.shape, values[0])
    return np.interp(where, key, values)


_TRACE_LINE = re.compile(r"trace\s*#?\s*(\d+)", re.IGNORECASE)


def _nmea_degrees(text: str, hemi: str, path: Path, lineno: int, limit: float) -> float:
    try:
        raw = float(text)
    except ValueError:
        raise FormatError(path, f"line {lineno}", "an NMEA ddmm.mmmm coordinate", got=text) from None
    deg = math.floor(raw / 100.0)
    value = deg + (raw - 100.0 * deg) / 60.0
    if hemi.upper() in ("S", "W"):
        value = -value
    if not (math.isfinite(value) and abs(value) <= limit):
        raise FormatError(path, f"line {lineno}", f"a coordinate within ±{limit}°", got=text)
    return value


def _nmea_coords(path: Path, info: HDInfo, trace_numbers: np.ndarray) -> dict:
    """lon/lat/elevation (and time, where the HD's date is ISO) from a pulseEKKO .GPS file."""
    traces, lons, lats, alts, secs = [], [], [], [], []
    pending = None
    for lineno, line in enumerate(_read_text(path, "GPS").splitlines(), start=1):
        match = _TRACE_LINE.search(line)
        if match and "GGA" not in line.upper():
            pending = int(match.group(1))
            continue
        if "GGA," not in line.upper() or pending is None:
            continue
        fields = line.strip().split(",")
        if len(fields) < 10 or not fields[2] or not fields[4]:
            pending = None  # a GGA sentence without a fix
            continue
        lats.append(_nmea_degrees(fields[2], fields[3], path, lineno, 90.0))
        lons.append(_nmea_degrees(fields[4], fields[5], path, lineno, 180.0))
        try:
            alts.append(float(fields[9]) if fields[9] else math.nan)
            hhmmss = fields[1]
            secs.append(int(hhmmss[0:2]) * 3600 + int(hhmmss[2:4]) * 60 + float(hhmmss[4:]) if hhmmss else math.nan)
        except ValueError:
            raise FormatError(path, f"line {lineno}", "a $GPGGA sentence with numeric time and altitude",
                              got=line[:80]) from None
        traces.append(pending)
        pending = None
    if not traces:
        log.warning("%s: no 'Trace #' + GGA pairs with a fix; no coordinates", path)
        return {}
    key = np.array(traces, dtype=np.float64)
    out = {cv.LON: _interp(trace_numbers, key, np.array(lons)),
           cv.LAT: _interp(trace_numbers, key, np.array(lats))}
    alts = np.array(alts)
    if np.all(np.isfinite(alts)):
        out[cv.ELEVATION] = _interp(trace_numbers, key, alts)
    secs = np.array(secs)
    if info.date and re.match(r"^\d{4}-\d{2}-\d{2}$", info.date) and np.all(np.isfinite(secs)):
        try:
            day = np.datetime64(info.date, "D")
        except ValueError:
            return out
        if not np.datetime64("1900-01-01") <= day <= np.datetime64("2200-01-01"):
            return out
        day = day.astype("datetime64[ns]")
        # GGA carries time of day only: unwrap a pass through midnight
        secs = secs + 86400.0 * np.concatenate([[0], np.cumsum(np.diff(secs) < -43200)])
        ns = _interp(trace_numbers, key, secs * 1e9)
        out[cv.TIME] = day + np.round(ns).astype("timedelta64[ns]")
    return out


# --- sniffing ------------------------------------------------------------------------


def sniff(path: Path, head: bytes) -> bool:
    """True for a DT1 (or HD) whose pair parses and whose first trace header agrees with the HD.

    DT1 has no magic number: the HD side-car must parse, the DT1 must hold a
    whole number of 128-byte-header traces, and the first trace header must
    hold a whole, non-negative trace number and the HD's number of samples.
    """
    try:
        path = Path(path)
        dt1, hd_path = _paths(path)
        if file_size(hd_path) > MAX_HEADER_BYTES:
            return False
        info = read_hd(hd_path)
        size = file_size(dt1)
        first = _first_header(dt1)
        if first is None:
            return False
        itemsize = _choose_itemsize(dt1, info, size, first)
        trace_bytes = 128 + info.n_samples * itemsize
        if size == 0 or size % trace_bytes:
            return False
        number_ = float(first["trace_number"])
        return (math.isfinite(number_) and number_ >= 0 and number_ == int(number_)
                and float(first["n_samples"]) == info.n_samples)
    except (FormatError, OSError, ValueError):
        return False


FORMATS = (
    Format(
        name="dt1",
        description="Sensors & Software pulseEKKO DT1 + HD",
        extensions=(".dt1", ".hd"),
        sniff=sniff,
        read=read,
    ),
)
