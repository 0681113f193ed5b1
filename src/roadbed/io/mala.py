"""MALA (RAMAC, ProEx, MIRA) ``.rd3``/``.rd7`` data with ``.rad`` headers and ``.cor`` GPS.

File layout
-----------
``NAME.rd3`` holds headerless little-endian int16 samples, ``NAME.rd7``
int32 ones, trace after trace. ``NAME.rad`` is text, one ``KEY:value`` per
line: ``SAMPLES`` (per trace), ``FREQUENCY`` (the *sampling* frequency, MHz,
so the sample interval is ``1000 / FREQUENCY`` ns), ``TIMEWINDOW``,
``LAST TRACE`` (trace count), ``DISTANCE INTERVAL`` (m, 0 when triggered by
time), ``TIME INTERVAL`` (s), ``ANTENNAS`` (an antenna name such as
``"500MHz Shielded"``) … ``NAME.cor`` has one GPS fix per line: trace
number, date, time, latitude, N/S, longitude, E/W, altitude, unit, PDOP.

Antenna arrays come in two layouts, both read into one
``("channel", "trace", "twt")`` radargram:

* one data file per channel, ``NAME_A01.rd3 … NAME_Ann.rd3`` (or ``.rd7``),
  each with its own ``.rad``. Across-track channel offsets come from a
  ``CH_X_OFFSET`` key in each ``.rad``, else from the ``NAME.yml`` array
  description (``TRANSMITTERS``/``RECIVERS`` ``X-POS`` with each channel's
  ``CHANNEL CONFIGURATION: Tn:Rm``; the channel sits at the Tx–Rx midpoint),
  else from ``channel_spacing_m`` given by the caller (index × spacing);
* one data file with all channels' traces interleaved (MALA MIRA): the
  ``.rad`` holds ``NUMBER_OF_CH`` and the space-separated ``CH_X_OFFSETS``
  (and ``CH_Y_OFFSETS``, along track, kept as a raw attribute).

X offsets are across track and Y offsets along track, as in the MALA MIRA
processing of Wunderlich's MultichannelGPR.
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path

import numpy as np
import xarray as xr

from .. import conventions as cv
from ..errors import FormatError
from ..model import append_history, flat_attrs, radargram
from ._binary import file_size
from ._lazy import lazy_variable
from ._registry import Format
from ._textheader import (
    MAX_HEADER_BYTES,
    TextHeader,
    attr_key,
    find_sidecar,
    number,
    read_text_header,
    read_text_lines,
)

__all__ = ["read", "read_rad", "read_cor", "antenna_frequency_hz", "write", "sniff", "FORMATS"]

log = logging.getLogger(__name__)

_DTYPES = {".rd3": np.dtype("<i2"), ".rd7": np.dtype("<i4")}
#: the largest trace length roadbed accepts (samples per trace)
MAX_SAMPLES = 1 << 20
#: the most channels roadbed assembles into one array
MAX_CHANNELS = 1024
_CHANNEL_STEM = re.compile(r"^(?P<base>.+)_A(?P<ch>\d{1,4})$", re.IGNORECASE)
#: GPS times outside these are refused (datetime64[ns] spans 1678–2262)
_EARLIEST, _LATEST = np.datetime64("1900-01-01"), np.datetime64("2200-01-01")
#: a .cor file larger than this is refused
MAX_COR_BYTES = 256 * 2**20


# --- headers --------------------------------------------------------------------------


def read_rad(path) -> TextHeader:
    """Parse a MALA ``.rad`` header (``KEY:value`` lines).

    Raises
    ------
    FormatError
        If the file is not a short text file.
    """
    return read_text_header(Path(path), ":", field="rad header")


def _samples(rad: TextHeader) -> int:
    return number(rad, "SAMPLES", low=1, high=MAX_SAMPLES, integer=True)


def _sample_interval_ns(rad: TextHeader) -> float:
    """``1000 / FREQUENCY`` (FREQUENCY is the sampling frequency in MHz)."""
    return 1000.0 / number(rad, "FREQUENCY", low=1e-3, high=1e7)


def antenna_frequency_hz(name: str) -> float | None:
    """Centre frequency from an antenna name: ``"500MHz Shielded"`` → 5e8, ``"1.2 GHz"`` → 1.2e9.

    A name starting with a bare number (``"500_shielded"``) is read as MHz.
    """
    match = re.search(r"(\d+(?:\.\d+)?)\s*(MHz|GHz)", name, re.IGNORECASE)
    if match:
        scale = 1e9 if match.group(2).lower() == "ghz" else 1e6
        return float(match.group(1)) * scale
    match = re.match(r"^\s*(\d+(?:\.\d+)?)(?![\d.])", name)
    if match and 1.0 <= float(match.group(1)) <= 100000.0:
        return float(match.group(1)) * 1e6
    return None


# --- locating the files of a data set ----------------------------------------------------


def _data_beside(path: Path, stem: str) -> Path | None:
    for ext in (".rd3", ".rd7"):
        found = find_sidecar(path, ext, stem=stem)
        if found is not None:
            return found
    return None


def _channel_files(path: Path, base: str, ext: str) -> list[tuple[int, Path]]:
    pattern = re.compile(re.escape(base) + r"_A(\d{1,4})" + re.escape(ext) + "$", re.IGNORECASE)
    found = {}
    for entry in sorted(path.parent.iterdir()):
        match = pattern.match(entry.name)
        if match and entry.is_file():
            found.setdefault(int(match.group(1)), entry)
    return sorted(found.items())


def _locate(path: Path, channels: str) -> tuple[list[Path], str | None]:
    """The data files to read (one per channel) and the set's base name (None for a single file)."""
    suffix = path.suffix.lower()
    if suffix in _DTYPES:
        data = path
    elif suffix == ".rad":
        data = _data_beside(path, path.stem)
        if data is None:
            raise FormatError(path, "data file", f"{path.stem}.rd3 or {path.stem}.rd7 beside the .rad header")
    elif path.is_file():  # a data file under another extension: read as int16 (.rd3)
        data = path
    else:  # a base name: NAME.rd3, or the set NAME_A01 …
        data = _data_beside(path, path.name)
        if data is None:
            for ext in _DTYPES:
                files = _channel_files(path, path.name, ext)
                if files:
                    return [p for _, p in files], path.name
            raise FileNotFoundError(f"{path}: no {path.name}.rd3/.rd7 nor {path.name}_A01.rd3/.rd7 beside it")
    if not data.is_file():
        raise FileNotFoundError(f"{data}: no such file")
    match = _CHANNEL_STEM.match(data.stem)
    if match is None or channels == "single":
        return [data], None
    base = match.group("base")
    files = _channel_files(data, base, data.suffix.lower())
    if len(files) > MAX_CHANNELS:
        raise FormatError(data, "channels", f"at most {MAX_CHANNELS} channel files", got=len(files))
    return [p for _, p in files], base


# --- reading ----------------------------------------------------------------------------------


def _float32(block: np.ndarray) -> np.ndarray:
    return block.astype(np.float32)


class _StackedChannels:
    """Per-channel memmaps seen as one (channel, trace, sample) array, read only when indexed."""

    def __init__(self, arrays: list[np.ndarray]):
        self.arrays = arrays
        self.shape = (len(arrays),) + arrays[0].shape
        self.dtype = arrays[0].dtype
        self.ndim = 3

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        first, rest = key[0], key[1:]
        if isinstance(first, (int, np.integer)):
            return self.arrays[first][rest]
        picked = [self.arrays[i][rest] for i in range(self.shape[0])[first]]
        if not picked:
            return np.empty((0,) + self.arrays[0][rest].shape, dtype=self.dtype)
        return np.stack(picked)


def _channel_block(data: Path, rad: TextHeader, n_samples: int) -> tuple[np.memmap, int]:
    """Memory-map the whole traces in ``data``; log where the file and LAST TRACE disagree."""
    dtype = _DTYPES.get(data.suffix.lower(), _DTYPES[".rd3"])
    size = file_size(data)
    trace_bytes = n_samples * dtype.itemsize
    n_traces = size // trace_bytes
    if n_traces < 1:
        raise FormatError(data, "file size", f"at least one trace of {trace_bytes} bytes (SAMPLES × {dtype.itemsize})",
                          got=f"{size} bytes")
    if size % trace_bytes:
        log.warning("%s: %d trailing bytes are not a whole trace; dropped", data, size % trace_bytes)
    last = number(rad, "LAST TRACE", low=0, high=2**40, integer=True, required=False)
    if last is not None and last != n_traces:
        log.warning("%s: LAST TRACE says %d traces, the file holds %d; reading %d", data, last, n_traces, n_traces)
    mm = np.memmap(data, dtype=dtype, mode="r", shape=(n_traces, n_samples))
    return mm, n_traces


def _offset_list(rad: TextHeader, key: str, n: int) -> np.ndarray | None:
    text = rad.get(key)
    if text is None:
        return None
    try:
        values = np.array([float(v) for v in text.replace(",", " ").split()], dtype=np.float64)
    except ValueError:
        raise FormatError(rad.path, key, f"{n} numbers separated by spaces", got=text[:80]) from None
    if values.shape != (n,) or not np.all(np.isfinite(values)):
        raise FormatError(rad.path, key, f"{n} finite numbers (NUMBER_OF_CH)", got=text[:80])
    return values


def _yml_offsets(yml: Path, rads: list[TextHeader]) -> np.ndarray | None:
    """Across-track offsets from a MALA array ``.yml``: midpoints of each channel's Tx and Rx X-POS."""
    text = read_text_lines(yml, field="yml")
    sections: dict[str, list[float]] = {}
    current = None
    for line in text:
        head = line.rstrip(":").strip().upper()
        if line.endswith(":") and head in ("TRANSMITTERS", "RECIVERS", "RECEIVERS", "WHEEL", "SELECTED CHANNELS"):
            current = "RECEIVERS" if head == "RECIVERS" else head
            sections.setdefault(current, [])
            continue
        match = re.search(r"X-POS:\s*([-+0-9.eE]+)", line)
        if match and current in ("TRANSMITTERS", "RECEIVERS"):
            try:
                sections[current].append(float(match.group(1)))
            except ValueError:
                raise FormatError(yml, f"{current} X-POS", "a number", got=line[:80]) from None
    tx, rx = sections.get("TRANSMITTERS"), sections.get("RECEIVERS")
    if not tx or not rx:
        return None
    offsets = []
    for rad in rads:
        config = rad.get("CHANNEL CONFIGURATION")
        match = re.match(r"\s*T(\d+)\s*:\s*R(\d+)", config or "", re.IGNORECASE)
        if match is None:
            return None
        t, r = int(match.group(1)), int(match.group(2))
        if not (1 <= t <= len(tx) and 1 <= r <= len(rx)):
            raise FormatError(rad.path, "CHANNEL CONFIGURATION",
                              f"T1..T{len(tx)}:R1..R{len(rx)} as listed in {yml.name}", got=config)
        offsets.append(0.5 * (tx[t - 1] + rx[r - 1]))
    values = np.array(offsets)
    return values if np.all(np.isfinite(values)) else None


def _set_offsets(files: list[Path], base: str, rads: list[TextHeader],
                 channel_spacing_m: float | None) -> tuple[np.ndarray, str]:
    """Per-channel across-track offsets, m, and where they came from."""
    values = [number(r, "CH_X_OFFSET", low=-1e4, high=1e4, required=False) for r in rads]
    if all(v is not None for v in values):
        return np.array(values, dtype=np.float64), "CH_X_OFFSET"
    yml = find_sidecar(files[0], ".yml", stem=base)
    if yml is not None:
        offsets = _yml_offsets(yml, rads)
        if offsets is not None:
            return offsets, yml.name
    return _spacing_offsets(files[0], len(files), channel_spacing_m)


def _spacing_offsets(where: Path, n: int, channel_spacing_m: float | None) -> tuple[np.ndarray, str]:
    if channel_spacing_m is not None:
        log.info("%s: no channel offsets in the files; offsets = channel index × %g m (channel_spacing_m)",
                 where, channel_spacing_m)
        return np.arange(n) * float(channel_spacing_m), "channel_spacing_m"
    log.warning("%s: no channel offsets in the files and no channel_spacing_m given; offsets unknown (NaN)", where)
    return np.full(n, np.nan), "unknown"


def read(path, *, channels: str = "all", channel_spacing_m: float | None = None, gps: bool = True) -> xr.DataArray:
    """Read MALA ``.rd3``/``.rd7`` data (one channel or an array) as a radargram.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.rd3``/``.rd7`` data file, its ``.rad`` header, or a base name
        without extension (``NAME`` for ``NAME.rd3`` or for the channel set
        ``NAME_A01.rd3 …``). Side-cars are found case-insensitively. A data
        file under any other extension is read as int16 (``.rd3``).
    channels : {"all", "single"}
        For a channel file of an array set (``NAME_Ann.rd3``): ``"all"``
        (default) reads **the whole array**, whichever channel file is
        given; ``"single"`` reads just that one channel as a 2-D radargram
        (for an interleaved MIRA file: all its traces in file order).
    channel_spacing_m : float, optional
        Channel spacing across track, m, used (offset = channel index ×
        spacing) only where the files give no channel offsets; without it
        such offsets are NaN and a warning is logged.
    gps : bool
        Read the ``.cor`` side-car where present; a malformed one raises
        FormatError unless ``gps=False``.

    Returns
    -------
    xarray.DataArray, float32
        dims ``("trace", "twt")``, or ``("channel", "trace", "twt")`` with
        ``offset`` (m, across track) per channel. Lazily read from
        memory-maps. ``twt`` (ns) = sample index × ``1000 / FREQUENCY``;
        ``distance`` (m) = trace index × ``DISTANCE INTERVAL`` when that is
        positive, else the cumulative geodesic distance between the ``.cor``
        positions, else absent; ``lon``/``lat``/``elevation``/``time`` (UTC)
        from the ``.cor`` interpolated linearly by trace number (traces are
        numbered from 1; values are held beyond the first and last fix).

    Notes
    -----
    Channels of a set with different trace counts are truncated to the
    shortest (logged as a warning); their ``SAMPLES`` and ``FREQUENCY``
    must agree. ``TIMEWINDOW`` is kept as a raw attribute only: in real
    files it can disagree with ``SAMPLES / FREQUENCY`` (by a factor of two
    in ImpDAR's 500 MHz test file, whose spectrum peaks at 500 MHz with the
    ``FREQUENCY`` interval).

    Raises
    ------
    FormatError
        For a missing or malformed ``.rad``, data files with no whole
        trace, channels that disagree, or (with ``gps=True``) a malformed
        ``.cor``.
    """
    if channels not in ("all", "single"):
        raise ValueError(f"channels must be 'all' or 'single', got {channels!r}")
    if channel_spacing_m is not None and not (math.isfinite(channel_spacing_m) and channel_spacing_m >= 0):
        raise ValueError(f"channel_spacing_m must be a finite distance >= 0, got {channel_spacing_m!r}")
    path = Path(path)
    files, base = _locate(path, channels)
    rads = []
    for data in files:
        rad_path = find_sidecar(data, ".rad")
        if rad_path is None:
            raise FormatError(data, "rad side-car", f"{data.stem}.rad beside the data file")
        rads.append(read_rad(rad_path))
    rad = rads[0]
    n_samples = _samples(rad)
    dt = _sample_interval_ns(rad)
    for other in rads[1:]:
        if _samples(other) != n_samples or not math.isclose(_sample_interval_ns(other), dt, rel_tol=1e-6):
            raise FormatError(other.path, "SAMPLES/FREQUENCY",
                              f"the same as {rad.path.name} ({n_samples} samples, {1000 / dt:g} MHz)",
                              got=f"{other.get('SAMPLES')} samples, {other.get('FREQUENCY')} MHz")

    attrs_extra = {}
    if len(files) > 1:
        blocks = [_channel_block(d, r, n_samples) for d, r in zip(files, rads)]
        counts = [n for _, n in blocks]
        n_traces = min(counts)
        if len(set(counts)) > 1:
            log.warning("%s: channels hold %s traces; all truncated to the shortest, %d",
                        files[0].parent / base, counts, n_traces)
        raw = _StackedChannels([mm[:n_traces] for mm, _ in blocks])
        offsets, source = _set_offsets(files, base, rads, channel_spacing_m)
        dims = (cv.CHANNEL, cv.TRACE, cv.TWT)
    else:
        n_ch = number(rad, "NUMBER_OF_CH", low=1, high=MAX_CHANNELS, integer=True, required=False) or 1
        mm, total = _channel_block(files[0], rad, n_samples)
        if n_ch > 1 and channels == "all":
            n_traces = total // n_ch
            if n_traces < 1:
                raise FormatError(files[0], "file size", f"at least one trace for each of {n_ch} channels",
                                  got=f"{total} traces")
            if total % n_ch:
                log.warning("%s: %d traces are not a whole number of %d-channel scans; last %d dropped",
                            files[0], total, n_ch, total % n_ch)
            # interleaved: trace i belongs to channel i % n_ch
            raw = mm[: n_traces * n_ch].reshape(n_traces, n_ch, n_samples).transpose(1, 0, 2)
            offsets = _offset_list(rad, "CH_X_OFFSETS", n_ch)
            source = "CH_X_OFFSETS"
            if offsets is None:
                offsets, source = _spacing_offsets(files[0], n_ch, channel_spacing_m)
            along = _offset_list(rad, "CH_Y_OFFSETS", n_ch)
            if along is not None:
                attrs_extra["channel_along_track_offsets_m"] = along
            dims = (cv.CHANNEL, cv.TRACE, cv.TWT)
        else:
            raw, n_traces, offsets, source = mm, total, None, None
            dims = (cv.TRACE, cv.TWT)

    coords = {}
    cor = None
    if gps:
        cor = find_sidecar(files[0], ".cor", stem=base) if base else None
        cor = cor or find_sidecar(files[0], ".cor")
        if cor is not None:
            coords = _cor_coords(cor, n_traces)
    distance = _distance(rad, n_traces, coords)

    attrs = {
        cv.ATTR_FORMAT: "mala",
        cv.ATTR_SOURCE: str(files[0]),
        cv.ATTR_INSTRUMENT: "MALA",
        cv.ATTR_SAMPLE_INTERVAL: dt,
        cv.ATTR_TIME_WINDOW: n_samples * dt,
    }
    antenna = rad.get("ANTENNAS")
    if antenna:
        attrs[cv.ATTR_ANTENNA] = antenna
        freq = antenna_frequency_hz(antenna)
        if freq is not None:
            attrs[cv.ATTR_FREQUENCY] = freq
    spacing = number(rad, "DISTANCE INTERVAL", low=-1e6, high=1e6, required=False)
    if spacing:
        attrs[cv.ATTR_TRACE_SPACING] = abs(spacing)
    interval = number(rad, "TIME INTERVAL", low=0, high=1e6, required=False)
    if interval:
        attrs[cv.ATTR_TRACES_PER_SECOND] = 1.0 / interval
    if source is not None:
        attrs["channel_offset_source"] = source
    attrs.update(attrs_extra)
    attrs.update(flat_attrs({attr_key(k): v for k, v in rad.values.items()}, prefix=cv.RAW_HEADER_PREFIX))
    if len(files) > 1:
        attrs["source_files"] = [str(f) for f in files]

    data = lazy_variable(dims, raw, _float32, np.float32)
    da = radargram(data, twt_ns=np.arange(n_samples) * dt, distance_m=distance, offset_m=offsets,
                   trace_coords=coords, attrs=attrs)
    return append_history(da, "read", path=str(path), format="mala", channels=channels)


def _distance(rad: TextHeader, n_traces: int, coords: dict) -> np.ndarray | None:
    spacing = number(rad, "DISTANCE INTERVAL", low=-1e6, high=1e6, required=False)
    if spacing:
        return np.arange(n_traces) * abs(spacing)
    if cv.LON in coords:
        from pyproj import Geod

        _, _, steps = Geod(ellps="WGS84").inv(coords[cv.LON][:-1], coords[cv.LAT][:-1],
                                              coords[cv.LON][1:], coords[cv.LAT][1:])
        return np.concatenate([[0.0], np.cumsum(np.atleast_1d(steps))])
    return None


# --- .cor GPS ------------------------------------------------------------------------------------


def _degrees(text: str, hemi: str, path: Path, lineno: int, limit: float) -> float:
    """Decimal degrees from ``dd.dddd`` or ``dd:mm:ss.s`` and a hemisphere letter."""
    try:
        if ":" in text:
            parts = [float(p) for p in text.split(":")]
            value = abs(parts[0]) + sum(p / 60.0 ** (i + 1) for i, p in enumerate(parts[1:]))
            value = math.copysign(value, parts[0]) if parts[0] != 0 else value
        else:
            value = float(text)
    except ValueError:
        raise FormatError(path, f"line {lineno}", "a coordinate in degrees", got=text) from None
    if hemi.upper() in ("S", "W"):
        value = -abs(value)
    if not (math.isfinite(value) and abs(value) <= limit):
        raise FormatError(path, f"line {lineno}", f"a coordinate within ±{limit}°", got=text)
    return value


def read_cor(path) -> dict[str, np.ndarray]:
    """Parse a MALA ``.cor`` file.

    Returns
    -------
    dict
        ``trace`` (int64), ``lat``, ``lon`` (degrees, south and west
        negative), ``elevation`` (m; NaN where not given) and ``time``
        (datetime64[ns]), one entry per line.

    Raises
    ------
    FormatError
        Naming the line that does not parse.
    """
    path = Path(path)
    size = file_size(path)
    if size > MAX_COR_BYTES:
        raise FormatError(path, "size", f"a .cor under {MAX_COR_BYTES} bytes (pass gps=False to skip it)", got=size)
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise FormatError(path, "content", "text (no NUL bytes; pass gps=False to skip it)", got="binary content")
    traces, lats, lons, elevs, times = [], [], [], [], []
    for lineno, line in enumerate(raw.decode("latin-1").splitlines(), start=1):
        parts = line.replace(",", " ").split()
        if not parts:
            continue
        if len(parts) < 8:
            raise FormatError(path, f"line {lineno}",
                              "trace, date, time, lat, N/S, lon, E/W, altitude[, unit], PDOP", got=line[:80])
        try:
            trace = int(parts[0])
        except ValueError:
            raise FormatError(path, f"line {lineno}", "a trace number", got=parts[0]) from None
        if not 0 <= trace <= 2**40:
            raise FormatError(path, f"line {lineno}", "a trace number >= 0", got=parts[0])
        try:
            stamp = np.datetime64(f"{parts[1]}T{parts[2]}")
        except ValueError:
            raise FormatError(path, f"line {lineno}", "a date YYYY-MM-DD and time hh:mm:ss",
                              got=f"{parts[1]} {parts[2]}") from None
        if np.isnat(stamp) or not _EARLIEST <= stamp <= _LATEST:
            raise FormatError(path, f"line {lineno}", "a date and time between 1900 and 2200",
                              got=f"{parts[1]} {parts[2]}")
        stamp = stamp.astype("datetime64[ns]")
        lats.append(_degrees(parts[3], parts[4], path, lineno, 90.0))
        lons.append(_degrees(parts[5], parts[6], path, lineno, 180.0))
        match = re.match(r"^[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?", parts[7])
        elev = float(match.group(0)) if match else math.nan
        elevs.append(elev if math.isfinite(elev) and abs(elev) < 1e5 else math.nan)
        traces.append(trace)
        times.append(stamp)
    if not traces:
        raise FormatError(path, "content", "at least one GPS line (pass gps=False to skip the file)")
    return {
        "trace": np.array(traces, dtype=np.int64),
        cv.LAT: np.array(lats),
        cv.LON: np.array(lons),
        cv.ELEVATION: np.array(elevs),
        cv.TIME: np.array(times, dtype="datetime64[ns]"),
    }


def _interp(where: np.ndarray, key: np.ndarray, values: np.ndarray) -> np.ndarray:
    order = np.argsort(key, kind="stable")
    key, values = key[order], values[order]
    keep = np.concatenate([[True], np.diff(key) > 0])
    key, values = key[keep], values[keep]
    if key.size == 1:
        return np.full(where.shape, values[0], dtype=np.float64)
    return np.interp(where, key, values)


def _cor_coords(path: Path, n_traces: int) -> dict:
    cor = read_cor(path)
    where = np.arange(1, n_traces + 1, dtype=np.float64)
    key = cor["trace"].astype(np.float64)
    out = {cv.LON: _interp(where, key, cor[cv.LON]), cv.LAT: _interp(where, key, cor[cv.LAT])}
    if np.all(np.isfinite(cor[cv.ELEVATION])):
        out[cv.ELEVATION] = _interp(where, key, cor[cv.ELEVATION])
    t0 = cor[cv.TIME].min()
    offsets = (cor[cv.TIME] - t0).astype(np.int64).astype(np.float64)
    out[cv.TIME] = t0 + np.round(_interp(where, key, offsets)).astype("timedelta64[ns]")
    return out


# --- writing ---------------------------------------------------------------------------------------


def write(da: xr.DataArray, path, *, antenna: str | None = None) -> None:
    """Write a radargram as MALA ``.rd3`` (int16) or ``.rd7`` (int32) with ``.rad`` (and ``.cor``).

    Parameters
    ----------
    da : xarray.DataArray
        dims ``("trace", "twt")`` or ``("channel", "trace", "twt")`` with an
        evenly sampled ``twt`` (ns). Amplitudes are rounded and clipped to
        the integer range, so only integer-valued data round-trip exactly.
    path : str or os.PathLike
        ``NAME.rd3`` or ``NAME.rd7``. A 3-D array is written as
        ``NAME_A01.rd3 … NAME_Ann.rd3``, each with a ``.rad`` that holds its
        ``CH_X_OFFSET`` (m, across track; roadbed's key, read back by
        :func:`read`), and ``path`` itself is not created: read the set
        back from ``NAME_A01.rd3`` or the base name ``NAME``.
    antenna : str, optional
        The ``ANTENNAS`` text; default from ``attrs["antenna"]`` or
        ``attrs["frequency_hz"]`` (e.g. ``"500MHz"``).

    Notes
    -----
    ``NAME.cor`` is written where the radargram has ``lon``/``lat`` (with
    ``time`` and ``elevation`` where present), one line per trace.
    ``DISTANCE INTERVAL`` is the mean step of ``distance`` (0 without it).
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in _DTYPES:
        raise FormatError(path, "extension", "'.rd3' (int16) or '.rd7' (int32)", got=path.suffix)
    if da.dims not in ((cv.TRACE, cv.TWT), (cv.CHANNEL, cv.TRACE, cv.TWT)):
        raise FormatError(path, "dims", "('trace', 'twt') or ('channel', 'trace', 'twt')", got=da.dims)
    twt = np.asarray(da[cv.TWT].values, dtype=np.float64)
    if twt.size < 2 or not np.all(np.isfinite(twt)):
        raise FormatError(path, "twt", "at least two finite sample times")
    dt = float(np.mean(np.diff(twt)))
    if dt <= 0 or not np.allclose(np.diff(twt), dt, rtol=1e-6, atol=1e-9):
        raise FormatError(path, "twt", "evenly spaced, increasing sample times")
    if abs(twt[0]) > 1e-9 * max(1.0, abs(dt)):
        log.warning("%s: twt starts at %g ns; MALA stores no start time, so it is lost", path, twt[0])
    dtype = _DTYPES[ext]
    info = np.iinfo(dtype)
    values = np.asarray(da.values, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise FormatError(path, "amplitude", "finite values (no NaN or inf)")
    ints = np.clip(np.rint(values), info.min, info.max).astype(dtype)
    n_traces, n_samples = ints.shape[-2], ints.shape[-1]
    if antenna is None:
        antenna = da.attrs.get(cv.ATTR_ANTENNA)
        if antenna is None and da.attrs.get(cv.ATTR_FREQUENCY):
            antenna = f"{float(da.attrs[cv.ATTR_FREQUENCY]) / 1e6:g}MHz"
    spacing = 0.0
    if cv.DISTANCE in da.coords and n_traces > 1:
        spacing = float(np.mean(np.diff(np.asarray(da[cv.DISTANCE].values, dtype=np.float64))))
    interval = 0.0
    if da.attrs.get(cv.ATTR_TRACES_PER_SECOND):
        interval = 1.0 / float(da.attrs[cv.ATTR_TRACES_PER_SECOND])
    lines = {
        "SAMPLES": f"{n_samples}",
        "FREQUENCY": f"{1000.0 / dt:.6f}",
        "FREQUENCY STEPS": "1",
        "SIGNAL POSITION": "0.000000",
        "DISTANCE FLAG": "1" if spacing else "0",
        "TIME FLAG": "0" if spacing else "1",
        "TIME INTERVAL": f"{interval:.6f}",
        "DISTANCE INTERVAL": f"{spacing:.6f}",
        "ANTENNAS": antenna or "",
        "TIMEWINDOW": f"{n_samples * dt:.6f}",
        "LAST TRACE": f"{n_traces}",
        "START POSITION": "0.000000",
        "STOP POSITION": f"{max(n_traces - 1, 0) * spacing:.6f}",
    }
    if ints.ndim == 2:
        _write_one(path, ints, lines)
        stem_path = path
    else:
        offsets = np.asarray(da[cv.OFFSET].values, dtype=np.float64) if cv.OFFSET in da.coords else None
        for i in range(ints.shape[0]):
            channel_lines = dict(lines)
            if offsets is not None and np.isfinite(offsets[i]):
                channel_lines["CH_X_OFFSET"] = f"{offsets[i]:.6f}"
            _write_one(path.with_name(f"{path.stem}_A{i + 1:02d}{path.suffix}"), ints[i], channel_lines)
        stem_path = path
    if cv.LON in da.coords and cv.LAT in da.coords:
        _write_cor(stem_path.with_suffix(".cor"), da)


def _write_one(path: Path, ints: np.ndarray, lines: dict) -> None:
    np.ascontiguousarray(ints).tofile(path)
    text = "".join(f"{k}:{v}\r\n" for k, v in lines.items())
    path.with_suffix(".rad").write_bytes(text.encode("latin-1"))


def _write_cor(path: Path, da: xr.DataArray) -> None:
    lat = np.asarray(da[cv.LAT].values, dtype=np.float64)
    lon = np.asarray(da[cv.LON].values, dtype=np.float64)
    elev = (np.asarray(da[cv.ELEVATION].values, dtype=np.float64) if cv.ELEVATION in da.coords
            else np.zeros_like(lat))
    if cv.TIME in da.coords:
        times = np.asarray(da[cv.TIME].values).astype("datetime64[ms]")
    else:
        times = np.full(lat.shape, np.datetime64("1970-01-01T00:00:00", "ms"))
    out = []
    for i in range(lat.size):
        if not (np.isfinite(lat[i]) and np.isfinite(lon[i])):
            continue
        stamp = str(times[i])
        date, clock = stamp.split("T")
        out.append(f"{i + 1}\t{date}\t{clock}\t{abs(lat[i]):.11f}\t{'N' if lat[i] >= 0 else 'S'}\t"
                   f"{abs(lon[i]):.11f}\t{'E' if lon[i] >= 0 else 'W'}\t{elev[i]:.3f}\tM\t0.000\r\n")
    path.write_bytes("".join(out).encode("latin-1"))


# --- sniffing ----------------------------------------------------------------------------------------


def sniff(path: Path, head: bytes) -> bool:
    """True for a data file (or ``.rad``) whose ``.rad`` has SAMPLES and whose size fits it.

    The data file must hold a whole number of traces of SAMPLES × 2 bytes
    (``.rd3``) or × 4 bytes (``.rd7``; any other extension is tried as
    int16 then int32).
    """
    try:
        path = Path(path)
        if path.suffix.lower() == ".rad":
            if file_size(path) > MAX_HEADER_BYTES:
                return False
            rad = read_rad(path)
            data = _data_beside(path, path.stem)
            if data is None:
                return False
        else:
            rad_path = find_sidecar(path, ".rad")
            if rad_path is None or file_size(rad_path) > MAX_HEADER_BYTES:
                return False
            rad = read_rad(rad_path)
            data = path
        if "SAMPLES" not in rad:
            return False
        n = _samples(rad)
        size = file_size(data)
        itemsizes = ([_DTYPES[data.suffix.lower()].itemsize] if data.suffix.lower() in _DTYPES else [2, 4])
        return size > 0 and any(size % (n * s) == 0 for s in itemsizes)
    except (FormatError, OSError, ValueError):
        return False


FORMATS = (
    Format(
        name="mala",
        description="MALA rd3/rd7 + rad (+ cor), single channel or array",
        extensions=(".rd3", ".rd7", ".rad"),
        sniff=sniff,
        read=read,
        write=write,
    ),
)
