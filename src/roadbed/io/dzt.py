"""GSSI DZT radargrams (SIR-2000/3000/4000/20/30, UtilityScan, StructureScan): read and write.

Layout
------
A DZT file is one 1024-byte header block per channel followed by the
samples. All numbers are little-endian. The header fields roadbed uses
(offsets in bytes within a channel's block)::

    0  rh_tag       u16   0x00FF, 0xFnFF (old format), 0x0700/0x07FF (SIR-3000/4000)
    2  rh_data      u16   < 1024: data start at 1024·rh_data bytes;
                          otherwise at 1024·rh_nchan (the rule of GSSI's
                          readers, readgssi, GPRPy and ImpDAR)
    4  rh_nsamp     u16   samples per scan and channel
    6  rh_bits      u16   8, 16 (both unsigned) or 32 (signed)
    8  rh_zero      u16   binary offset or repeats/sample (unit-dependent; unused)
   10  rhf_sps      f32   scans per second
   14  rhf_spm      f32   scans per metre (0: time-triggered, no survey wheel)
   18  rhf_mpm      f32   metres per mark
   22  rhf_position f32   start of the time window relative to time zero, ns
   26  rhf_range    f32   time window (range), ns
   30  rh_npass     i16   passes (2-D files)
   32  rhb_cdt      u32   creation date: bits 0-4 s/2, 5-10 min, 11-15 h,
   36  rhb_mdt      u32     16-20 day, 21-24 month, 25-31 year−1980 (modification date)
   40  rh_rgain … rh_nproc   6 × u16 offsets/sizes of gain, text, history
   52  rh_nchan     u16   channels
   54  rhf_epsr     f32   relative permittivity
   58  rhf_top      f32   top of the window, m
   62  rhf_depth    f32   depth range, m
   97  rh_dtype     u8
   98  rh_antname   14 ch antenna model, e.g. ``5106`` or ``400MHz``
  113  rh_system    u8    bits 3-7 system (3 SIR-3000, 8 SIR-4000 …), bits 0-2 version
  114  rh_name      12 ch
  126  rh_chksum    u16

Samples are stored scan by scan; scan ``i`` holds channel 0's ``rh_nsamp``
samples, then channel 1's, and so on. 8- and 16-bit samples are unsigned
with offsets 128 and 32768 (removed on reading); 32-bit samples are signed.

Conventions chosen here
-----------------------
* **Sample interval** = ``rhf_range / rh_nsamp`` (the range is the length of
  the window that the ``rh_nsamp`` samples cover, as readgssi and ImpDAR
  read it); ``twt`` of sample ``k`` is ``k · range / nsamp`` ns from the
  start of the recorded window.
* **Time zero**: ``time_zero_ns = -rhf_position`` (the SIR-4000 test file
  has position −230 ns and its direct wave arrives 230 ns into the window);
  each channel's header block has its own position, so a multi-channel file
  whose channels differ gives a list with one time zero per channel.
* **Non-signal words**: samples 0 and 1 of every trace are the unit's scan
  counter and marker word, not signal. The reader returns the value of
  sample 2 in their place (as ImpDAR does), so filters see no step; a
  non-zero marker word sets the ``mark`` coordinate.
* **Distance**: ``trace / rhf_spm`` where ``rhf_spm > 0``; otherwise
  ``trace · unitsPerScan`` from a DZX side-car whose ``horizontalUnit`` is
  a length; otherwise no distance coordinate.
* **Truncation**: a data region that ends inside a scan (common when a unit
  loses power) keeps its whole scans; the dropped byte count is in
  ``attrs["truncated_bytes"]``. A file with no whole scan is a FormatError.

Side-cars (``.DZG`` GPS, ``.DZX`` metadata) are read by
:mod:`roadbed.io.gssi_sidecars`.
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
import os
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from .. import conventions as cv
from ..errors import FormatError
from ..model import append_history, flat_attrs, radargram
from ._binary import file_size, memmap_block
from ._lazy import lazy_variable
from ._registry import Format
from .gssi_sidecars import find_sidecar, gps_trace_coords, parse_dzg, parse_dzx

__all__ = ["read_dzt", "write_dzt", "read_dzt_header", "sniff_dzt", "DztHeader", "FORMATS"]

log = logging.getLogger(__name__)

#: bytes of one channel's header block
MINHEADSIZE = 1024
#: most channels a DZT may declare (GSSI units record up to 16; arrays of
#: written files up to 64)
MAX_CHANNELS = 64
#: fewest samples per trace: the two non-signal words and one sample
MIN_SAMPLES = 3
MAX_SAMPLES = 32768
#: longest plausible time window, ns
MAX_RANGE_NS = 1e7
#: the first samples of every trace that are not signal (scan counter, marker word)
NON_SIGNAL_WORDS = 2

#: storage dtype and unsigned offset per bit depth
_SAMPLE_TYPES = {8: (np.dtype("<u1"), 128), 16: (np.dtype("<u2"), 32768), 32: (np.dtype("<i4"), 0)}
#: marker word written for a marked trace (the value the SIR-3000 test file uses, scaled to the word)
_MARK_WORD = {8: 0x64, 16: 0x6400, 32: 0x6400}
#: rh_tag roadbed writes
_WRITE_TAG = 0x00FF

#: GSSI system codes (header byte 113, bits 3-7)
SYSTEMS = {
    2: "SIR 2000",
    3: "SIR 3000",
    4: "TerraVision",
    6: "SIR 20",
    7: "StructureScan Mini",
    8: "SIR 4000",
    9: "SIR 30",
    10: "SIR 30",
    12: "UtilityScan DF",
    13: "HS",
    14: "StructureScan Mini XT",
}

#: centre frequency (MHz) of GSSI antenna models whose name states no frequency
ANTENNA_MHZ = {
    "3207": 100, "3207AP": 100, "5106": 200, "5106A": 200, "50270": 270, "50270S": 270,
    "50300": 300, "D50300": 300, "350": 350, "350HS": 350, "50400": 400, "50400S": 400,
    "5103": 400, "5103A": 400, "800": 800, "D50800": 800, "3101": 900, "3101A": 900,
    "51600": 1600, "51600S": 1600, "62000": 2000, "62000-003": 2000, "62300": 2300,
    "62300XT": 2300, "52600": 2600, "52600S": 2600,
}

# (name, struct code, offset) of the numeric fields of a header block
_FIELDS = (
    ("rh_tag", "H", 0),
    ("rh_data", "H", 2),
    ("rh_nsamp", "H", 4),
    ("rh_bits", "H", 6),
    ("rh_zero", "H", 8),
    ("rhf_sps", "f", 10),
    ("rhf_spm", "f", 14),
    ("rhf_mpm", "f", 18),
    ("rhf_position", "f", 22),
    ("rhf_range", "f", 26),
    ("rh_npass", "h", 30),
    ("rh_rgain", "H", 40),
    ("rh_nrgain", "H", 42),
    ("rh_text", "H", 44),
    ("rh_ntext", "H", 46),
    ("rh_proc", "H", 48),
    ("rh_nproc", "H", 50),
    ("rh_nchan", "H", 52),
    ("rhf_epsr", "f", 54),
    ("rhf_top", "f", 58),
    ("rhf_depth", "f", 62),
    ("rh_dtype", "B", 97),
    ("rh_chksum", "H", 126),
)


# --- header -------------------------------------------------------------------------


def decode_gssi_date(word: int) -> _dt.datetime | None:
    """The datetime of a GSSI date bitfield (``rhb_cdt``/``rhb_mdt``), or None if unset/invalid."""
    sec = (word & 0x1F) * 2
    minute = (word >> 5) & 0x3F
    hour = (word >> 11) & 0x1F
    day = (word >> 16) & 0x1F
    month = (word >> 21) & 0x0F
    year = (word >> 25) + 1980
    try:
        return _dt.datetime(year, month, day, hour, minute, sec)
    except ValueError:
        return None


def encode_gssi_date(moment: _dt.datetime) -> int:
    """The GSSI date bitfield of ``moment`` (2-second resolution, years 1980–2107)."""
    year = min(max(moment.year, 1980), 2107) - 1980
    return ((moment.second // 2) | (moment.minute << 5) | (moment.hour << 11) | (moment.day << 16)
            | (moment.month << 21) | (year << 25))


def _text(raw: bytes) -> str:
    text = raw.split(b"\x00", 1)[0].decode("latin-1")
    return "".join(ch for ch in text if ch.isprintable()).strip()


def tag_is_gssi(tag: int) -> bool:
    """True for the ``rh_tag`` values GSSI units write.

    The low byte is 0xFF (``0x00FF``, ``0xFnFF``, SIR-4000 ``0x07FF``) or
    0x00 (SIR-3000 ``0x0700``); the high byte's upper nibble is 0 or F.
    """
    return (tag & 0xFF) in (0x00, 0xFF) and (tag >> 12) in (0x0, 0xF)


@dataclass
class DztHeader:
    """The validated header of a DZT file.

    Attributes
    ----------
    n_channels, n_samples, bits : int
        Channels, samples per trace, bits per sample.
    data_offset : int
        Byte offset of the first scan.
    n_scans : int
        Whole scans in the file.
    truncated_bytes : int
        Bytes after the last whole scan (dropped).
    range_ns : float
        Time window, ns.
    positions_ns : list of float
        Start of the window relative to time zero, ns, per channel.
    scans_per_second, scans_per_metre, epsr : float
        As stored (may be 0 or not finite; consumers check).
    created, modified : datetime or None
        Creation and modification date (unit's clock).
    antennas : list of str
        Antenna name of each channel.
    system : int
        GSSI system code (see :data:`SYSTEMS`).
    raw : dict
        Every header field of channel 0, verbatim.
    """

    n_channels: int
    n_samples: int
    bits: int
    data_offset: int
    n_scans: int
    truncated_bytes: int
    range_ns: float
    positions_ns: list
    scans_per_second: float
    scans_per_metre: float
    epsr: float
    created: _dt.datetime | None
    modified: _dt.datetime | None
    antennas: list = field(default_factory=list)
    system: int = 0
    raw: dict = field(default_factory=dict)

    @property
    def scan_bytes(self) -> int:
        """Bytes of one scan (all channels)."""
        return self.n_channels * self.n_samples * self.bits // 8


def read_dzt_header(path: Path, head: bytes, size: int) -> DztHeader:
    """Parse and validate a DZT header against the file size.

    Parameters
    ----------
    path : pathlib.Path
        The file (for error messages).
    head : bytes
        The file's first bytes: at least the first header block, and all
        ``rh_nchan`` blocks for the antenna names of every channel.
    size : int
        File size in bytes.

    Raises
    ------
    FormatError
        For a field outside its valid range or a file too short for the
        header and one whole scan.
    """
    if size < MINHEADSIZE or len(head) < MINHEADSIZE:
        raise FormatError(path, "file size", f"at least {MINHEADSIZE} bytes (one DZT header block)", got=size)
    raw = {name: struct.unpack_from("<" + code, head, offset)[0] for name, code, offset in _FIELDS}
    if not tag_is_gssi(raw["rh_tag"]):
        raise FormatError(path, "rh_tag", "a GSSI tag (low byte 0x00 or 0xFF, e.g. 0x00FF, 0x07FF, 0x0700)",
                          got=f"0x{raw['rh_tag']:04X}")
    bits = raw["rh_bits"]
    if bits not in _SAMPLE_TYPES:
        raise FormatError(path, "rh_bits", "8, 16 or 32", got=bits)
    nchan = raw["rh_nchan"]
    if not 1 <= nchan <= MAX_CHANNELS:
        raise FormatError(path, "rh_nchan", f"1 to {MAX_CHANNELS} channels", got=nchan)
    nsamp = raw["rh_nsamp"]
    if not MIN_SAMPLES <= nsamp <= MAX_SAMPLES:
        raise FormatError(path, "rh_nsamp", f"{MIN_SAMPLES} to {MAX_SAMPLES} samples per trace", got=nsamp)
    range_ns = float(raw["rhf_range"])
    if not (math.isfinite(range_ns) and 0.0 < range_ns <= MAX_RANGE_NS):
        raise FormatError(path, "rhf_range", f"a time window in (0, {MAX_RANGE_NS:g}] ns", got=range_ns)
    rh_data = raw["rh_data"]
    if rh_data == 0:
        raise FormatError(path, "rh_data", "a data offset (header blocks, or bytes when >= 1024)", got=0)
    data_offset = MINHEADSIZE * rh_data if rh_data < MINHEADSIZE else MINHEADSIZE * nchan
    if data_offset < MINHEADSIZE * nchan:
        raise FormatError(path, "rh_data", f"room for {nchan} header blocks ({MINHEADSIZE * nchan} bytes) "
                          f"before the data", got=rh_data)
    scan_bytes = nchan * nsamp * bits // 8
    if size < data_offset + scan_bytes:
        raise FormatError(path, "file size", f"a {data_offset}-byte header and at least one whole scan of "
                          f"{scan_bytes} bytes", got=f"file of {size} bytes")
    n_scans, truncated = divmod(size - data_offset, scan_bytes)

    raw["rhb_cdt"] = struct.unpack_from("<I", head, 32)[0]
    raw["rhb_mdt"] = struct.unpack_from("<I", head, 36)[0]
    created, modified = decode_gssi_date(raw["rhb_cdt"]), decode_gssi_date(raw["rhb_mdt"])
    raw["rhb_cdt"] = created.isoformat() if created else raw["rhb_cdt"]
    raw["rhb_mdt"] = modified.isoformat() if modified else raw["rhb_mdt"]
    system_byte = head[113]
    raw["rh_system"] = system_byte >> 3
    raw["rh_version"] = system_byte & 0x07
    raw["rh_name"] = _text(head[114:126])
    antennas, positions = [], []
    for chan in range(nchan):
        block = head[MINHEADSIZE * chan:MINHEADSIZE * (chan + 1)]
        complete = len(block) == MINHEADSIZE
        antennas.append(_text(block[98:112]) if complete else "")
        positions.append(float(struct.unpack_from("<f", block, 22)[0]) if complete else math.nan)
    raw["rh_antname"] = antennas[0]
    return DztHeader(
        n_channels=nchan, n_samples=nsamp, bits=bits, data_offset=data_offset, n_scans=int(n_scans),
        truncated_bytes=int(truncated), range_ns=range_ns, positions_ns=positions,
        scans_per_second=float(raw["rhf_sps"]), scans_per_metre=float(raw["rhf_spm"]),
        epsr=float(raw["rhf_epsr"]), created=created, modified=modified, antennas=antennas,
        system=raw["rh_system"], raw=raw,
    )


def _read_head(path: Path) -> tuple[bytes, int]:
    size = file_size(path)
    with open(path, "rb") as fh:
        head = fh.read(MINHEADSIZE)
        if len(head) >= 54:
            nchan = struct.unpack_from("<H", head, 52)[0]
            if 1 < nchan <= MAX_CHANNELS:
                head += fh.read(MINHEADSIZE * (nchan - 1))
    return head, size


def sniff_dzt(path: Path, head: bytes) -> bool:
    """True if ``path`` holds a plausible DZT: GSSI tag, valid counts, one whole scan."""
    try:
        read_dzt_header(Path(path), head, file_size(Path(path)))
    except (FormatError, OSError):
        return False
    return True


def antenna_frequency_hz(name: str) -> float | None:
    """Centre frequency of a GSSI antenna from its name (``"400MHz"``, ``"5106"`` …), or None."""
    match = re.search(r"(\d+(?:\.\d+)?)\s*([MG])Hz", name, flags=re.I)
    if match:
        return float(match.group(1)) * (1e6 if match.group(2).upper() == "M" else 1e9)
    model = name.split()[0].upper() if name.split() else ""
    mhz = ANTENNA_MHZ.get(model)
    return None if mhz is None else mhz * 1e6


# --- lazy samples ---------------------------------------------------------------------


class _Marks:
    """The ``mark`` flag of each trace: a non-zero marker word in any channel, or a DZX user mark.

    Indexable like a 1-D array over traces, so that :func:`lazy_variable`
    reads the marker words of only the traces asked for.
    """

    def __init__(self, raw: np.ndarray, user_marks):
        self.raw = raw  # (n_scans, n_channels, n_samples) memory map
        self.shape = raw.shape[:1]
        self.dtype = np.dtype(bool)
        self.ndim = 1
        self._user = np.zeros(self.shape, dtype=bool)
        self._user[list(user_marks)] = True

    def __getitem__(self, key):
        if isinstance(key, tuple):
            (key,) = key
        return np.asarray(self.raw[key, :, 1] != 0).any(axis=-1) | self._user[key]


class _SignalOnly:
    """A raw (…, twt) sample view whose non-signal words read as sample 2.

    Wraps the memory map so that :func:`lazy_variable` sees an array whose
    every window, however it is indexed, already has the scan counter and
    marker word of each trace replaced, in raw (stored) units.
    """

    def __init__(self, raw: np.ndarray):
        self.raw = raw
        self.shape = raw.shape
        self.dtype = raw.dtype
        self.ndim = raw.ndim

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            key = (key,)
        key = key + (slice(None),) * (self.ndim - len(key))
        block = np.array(self.raw[key])
        picked = np.arange(self.shape[-1])[key[-1]]
        lead = key[:-1]
        if np.ndim(picked) == 0:
            if picked < NON_SIGNAL_WORDS:
                block = np.array(self.raw[lead + (NON_SIGNAL_WORDS,)])
        else:
            where = np.flatnonzero(picked < NON_SIGNAL_WORDS)
            if where.size:
                block[..., where] = np.asarray(self.raw[lead + (NON_SIGNAL_WORDS,)])[..., None]
        return block


def _converter(bits: int):
    offset = _SAMPLE_TYPES[bits][1]
    if offset:
        return lambda block: block.astype(np.float32) - np.float32(offset)
    return lambda block: block.astype(np.float32)


# --- reader ----------------------------------------------------------------------------


def read_dzt(path, *, sidecars: bool = True, min_fix_quality: int = 0) -> xr.DataArray:
    """Read a GSSI DZT radargram, lazily, with its DZG GPS and DZX metadata.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.DZT`` file. ``.DZG`` and ``.DZX`` files of the same stem are
        read where present.
    sidecars : bool
        Read the ``.DZG``/``.DZX`` side-cars (default True).
    min_fix_quality : int
        Skip DZG GGA fixes of lower quality (default 0 keeps every fix with
        a position, including those the receiver flags "no fix").

    Returns
    -------
    xarray.DataArray
        float32 amplitudes (unsigned offsets removed), dims ``(trace, twt)``
        for one channel or ``(channel, trace, twt)``; ``twt`` in ns;
        ``mark`` (bool) on ``trace``; ``distance`` (m) where the file gives
        a spacing; ``lon``/``lat`` (degrees), ``elevation`` (m) and ``time``
        (UTC) from a DZG. The data are memory-mapped: nothing is read until
        indexed.

    Raises
    ------
    FormatError
        For a file that is not a valid DZT (see :func:`read_dzt_header`).
    """
    path = Path(os.fspath(path))
    head, size = _read_head(path)
    hdr = read_dzt_header(path, head, size)
    if hdr.truncated_bytes:
        log.warning("%s: data end %d bytes into a scan; the partial scan is dropped", path, hdr.truncated_bytes)
    dtype = _SAMPLE_TYPES[hdr.bits][0]
    mm = memmap_block(path, dtype, hdr.data_offset, (hdr.n_scans, hdr.n_channels, hdr.n_samples))
    user_marks: list[int] = []
    if hdr.n_channels == 1:
        view, dims = mm[:, 0, :], (cv.TRACE, cv.TWT)
    else:
        view, dims = mm.transpose(1, 0, 2), (cv.CHANNEL, cv.TRACE, cv.TWT)
    data = lazy_variable(dims, _SignalOnly(view), _converter(hdr.bits), np.float32)

    n = hdr.n_scans
    dt = hdr.range_ns / hdr.n_samples
    twt = np.arange(hdr.n_samples) * dt
    traces = np.arange(n, dtype=np.float64)

    system = SYSTEMS.get(hdr.system)
    antenna = hdr.antennas[0] if len(set(hdr.antennas)) == 1 else "; ".join(hdr.antennas)
    attrs = {
        cv.ATTR_FORMAT: "dzt",
        cv.ATTR_SOURCE: str(path),
        cv.ATTR_INSTRUMENT: f"GSSI {system}" if system else "GSSI",
        cv.ATTR_ANTENNA: antenna,
        cv.ATTR_FREQUENCY: antenna_frequency_hz(hdr.antennas[0]),
        cv.ATTR_SAMPLE_INTERVAL: dt,
        cv.ATTR_TIME_WINDOW: hdr.range_ns,
        "data_offset": hdr.data_offset,
        "truncated_bytes": hdr.truncated_bytes,
    }
    if all(math.isfinite(p) for p in hdr.positions_ns):
        zeros = [-p for p in hdr.positions_ns]
        attrs[cv.ATTR_TIME_ZERO] = zeros[0] if len(set(zeros)) == 1 else zeros
    if math.isfinite(hdr.scans_per_second) and hdr.scans_per_second > 0:
        attrs[cv.ATTR_TRACES_PER_SECOND] = hdr.scans_per_second
    if math.isfinite(hdr.epsr) and hdr.epsr >= 1.0:
        attrs[cv.ATTR_RELATIVE_PERMITTIVITY] = hdr.epsr
    attrs.update(flat_attrs(hdr.raw, prefix=cv.RAW_HEADER_PREFIX))

    distance = None
    if math.isfinite(hdr.scans_per_metre) and hdr.scans_per_metre > 0:
        distance = traces / hdr.scans_per_metre
        attrs[cv.ATTR_TRACE_SPACING] = 1.0 / hdr.scans_per_metre
        attrs["distance_source"] = "DZT rhf_spm"
    trace_coords = {}
    if sidecars:
        dzx_path = find_sidecar(path, ".DZX")
        if dzx_path is not None:
            dzx = parse_dzx(dzx_path)
            attrs.update(flat_attrs(dzx.raw, prefix=cv.RAW_HEADER_PREFIX + "dzx_"))
            spacing = dzx.trace_spacing_m
            if distance is None and spacing is not None:
                distance = traces * spacing
                attrs[cv.ATTR_TRACE_SPACING] = spacing
                attrs["distance_source"] = "DZX unitsPerScan"
            if cv.ATTR_RELATIVE_PERMITTIVITY not in attrs and dzx.dielectric is not None:
                attrs[cv.ATTR_RELATIVE_PERMITTIVITY] = dzx.dielectric
            user_marks = [s for s in dzx.user_marks if 0 <= s < n]
        dzg_path = find_sidecar(path, ".DZG")
        if dzg_path is not None:
            fixes = parse_dzg(dzg_path, min_quality=min_fix_quality)
            gps = gps_trace_coords(fixes, n, created=hdr.created, scans_per_second=hdr.scans_per_second,
                                   source=dzg_path)
            trace_coords.update(gps)
            attrs["gps_fixes"] = len(fixes)
    if distance is not None and not np.all(np.isfinite(distance)):
        distance = None
        attrs.pop(cv.ATTR_TRACE_SPACING, None)
        attrs.pop("distance_source", None)
    # lazy, like the samples: reading every marker word would page in the whole file
    trace_coords[cv.MARK] = lazy_variable((cv.TRACE,), _Marks(mm, user_marks), np.asarray, bool)

    da = radargram(data, twt_ns=twt, distance_m=distance, trace_coords=trace_coords, attrs=attrs)
    return append_history(da, "read", path=str(path), format="dzt")


# --- writer ----------------------------------------------------------------------------


def _canonical(da: xr.DataArray) -> xr.DataArray:
    """``da`` as (channel, trace, twt)."""
    if set(da.dims) == {cv.TRACE, cv.TWT}:
        return da.transpose(cv.TRACE, cv.TWT).expand_dims(cv.CHANNEL)
    if set(da.dims) == {cv.CHANNEL, cv.TRACE, cv.TWT}:
        return da.transpose(cv.CHANNEL, cv.TRACE, cv.TWT)
    raise ValueError(f"a radargram has dims (trace, twt) or (channel, trace, twt), got {da.dims}")


def _attr_float(attrs, name) -> float | None:
    try:
        value = float(attrs[name])
    except (KeyError, TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _channel_time_zero(value, nchan: int) -> np.ndarray:
    """Time zero per channel (ns) from a ``time_zero_ns`` attribute: a number or one per channel."""
    if value is None:
        return np.zeros(nchan)
    try:
        tz = np.broadcast_to(np.asarray(value, dtype=np.float64), (nchan,))
    except (TypeError, ValueError):
        raise ValueError(f"write_dzt: time_zero_ns must be a number or one per channel, got {value!r}") from None
    if not np.all(np.isfinite(tz)):
        raise ValueError(f"write_dzt: time_zero_ns must be finite, got {value!r}")
    return tz


def _trace_blocks(n_traces: int, bytes_per_trace: int, budget: int = 32 * 2**20):
    step = max(1, budget // max(1, bytes_per_trace))
    for start in range(0, n_traces, step):
        yield slice(start, min(n_traces, start + step))


def _choose_scale(da: xr.DataArray, bits: int) -> float:
    """1 for integer-valued samples that fit the word, else the factor that fills it."""
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    peak, integral, low, high = 0.0, True, math.inf, -math.inf
    n_samp = da.sizes[cv.TWT]
    for block in _trace_blocks(da.sizes[cv.TRACE], 8 * da.sizes[cv.CHANNEL] * n_samp):
        values = np.asarray(da.isel({cv.TRACE: block}).values, dtype=np.float64)[..., NON_SIGNAL_WORDS:]
        if not np.all(np.isfinite(values)):
            raise ValueError("write_dzt: amplitudes must be finite (NaN or inf found)")
        if values.size:
            peak = max(peak, float(np.max(np.abs(values))))
            low, high = min(low, float(values.min())), max(high, float(values.max()))
            integral = integral and bool(np.all(values == np.rint(values)))
    if integral and low >= lo and high <= hi:
        return 1.0
    scale = hi / peak if peak > 0 else 1.0
    log.info("write_dzt: amplitudes scaled by %g to fill %d-bit words; written amplitudes are relative", scale, bits)
    return scale


def _spacing_for_spm(da: xr.DataArray) -> float | None:
    if cv.DISTANCE in da.coords and da.sizes[cv.TRACE] >= 2:
        dist = np.asarray(da[cv.DISTANCE].values, dtype=np.float64)
        steps = np.diff(dist)
        if np.all(np.isfinite(steps)):
            spacing = float(np.median(steps))
            if spacing > 0:
                if np.max(np.abs(steps - spacing)) > 1e-6 * spacing + 1e-9:
                    log.warning("write_dzt: DZT stores one trace spacing; irregular distances are written as %g m",
                                spacing)
                return spacing
    return _attr_float(da.attrs, cv.ATTR_TRACE_SPACING)


def _header_block(*, nchan: int, nsamp: int, bits: int, sps: float, spm: float, position: float,
                  range_ns: float, epsr: float, created: int, antenna: str, name: str) -> bytes:
    buf = bytearray(MINHEADSIZE)
    struct.pack_into("<HHHHH", buf, 0, _WRITE_TAG, nchan, nsamp, bits, _SAMPLE_TYPES[bits][1])
    struct.pack_into("<5f", buf, 10, sps, spm, 0.0, position, range_ns)  # rhf_mpm 0: no mark spacing
    struct.pack_into("<II", buf, 32, created, 0)
    struct.pack_into("<H", buf, 52, nchan)
    depth = range_ns * cv.C_M_PER_NS / (2.0 * math.sqrt(epsr)) if epsr >= 1.0 else 0.0
    struct.pack_into("<3f", buf, 54, epsr, 0.0, depth)
    ant = antenna.encode("ascii", errors="replace")[:13]
    buf[98:98 + len(ant)] = ant
    nm = name.encode("ascii", errors="replace")[:11]
    buf[114:114 + len(nm)] = nm
    return bytes(buf)


def write_dzt(da: xr.DataArray, path, *, bits: int = 16, scale: float | None = None,
              created: _dt.datetime | None = None) -> None:
    """Write a radargram as a GSSI DZT file (one header block per channel).

    Parameters
    ----------
    da : xarray.DataArray
        dims ``(trace, twt)`` or ``(channel, trace, twt)``; ``twt`` (ns)
        evenly spaced. Used where present: ``distance`` (uniform spacing →
        ``rhf_spm``), ``mark`` (bool, → marker word), attrs
        ``traces_per_second``, ``relative_permittivity``, ``time_zero_ns``
        (a number or one per channel, → each channel's ``rhf_position``),
        ``antenna`` (replaced by ``"<f>MHz"`` where its first 13 characters
        do not state ``frequency_hz``). Channel offsets, positions and times
        have no place in a DZT and are not written.
    path : str or os.PathLike
        Output file.
    bits : {16, 32, 8}
        Sample word: 16-bit unsigned (offset 32768), 32-bit signed, or 8-bit
        unsigned (offset 128).
    scale : float, optional
        Stored word = round(amplitude × scale). By default 1 when every
        amplitude (samples 2 onward) is an integer that fits the word, so
        such data round-trip exactly; otherwise the factor that maps the
        peak amplitude to the largest word, and the written amplitudes are
        relative (DZT has no scale field).
    created : datetime.datetime, optional
        Creation date for the header; default the first ``time`` of the
        radargram, else now (UTC).

    Notes
    -----
    Samples 0 and 1 of every trace are written as the scan counter (trace
    number modulo the word size) and the marker word (0x6400, 0x64 in 8-bit
    files, for marked traces; else 0), like GSSI units: the input's first
    two samples are lost, and :func:`read_dzt` returns sample 2's value in
    their place.
    """
    if bits not in _SAMPLE_TYPES:
        raise ValueError(f"write_dzt: bits must be 8, 16 or 32, got {bits}")
    path = Path(os.fspath(path))
    cube = _canonical(da)
    nchan, ntr, nsamp = (cube.sizes[d] for d in (cv.CHANNEL, cv.TRACE, cv.TWT))
    if not 1 <= nchan <= MAX_CHANNELS:
        raise ValueError(f"write_dzt: 1 to {MAX_CHANNELS} channels, got {nchan}")
    if not MIN_SAMPLES <= nsamp <= MAX_SAMPLES:
        raise ValueError(f"write_dzt: {MIN_SAMPLES} to {MAX_SAMPLES} samples per trace, got {nsamp}")
    if ntr < 1:
        raise ValueError("write_dzt: at least one trace")
    twt = np.asarray(cube[cv.TWT].values, dtype=np.float64)
    steps = np.diff(twt)
    dt = float(np.mean(steps))
    if not (dt > 0 and np.all(np.abs(steps - dt) <= 1e-6 * dt)):
        raise ValueError("write_dzt: twt must be evenly spaced and increasing")
    if scale is None:
        scale = _choose_scale(cube, bits)
    elif not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"write_dzt: scale must be positive and finite, got {scale}")

    attrs = da.attrs
    sps = _attr_float(attrs, cv.ATTR_TRACES_PER_SECOND) or 0.0
    spacing = _spacing_for_spm(cube)
    spm = 1.0 / spacing if spacing and spacing > 0 else 0.0
    epsr = _attr_float(attrs, cv.ATTR_RELATIVE_PERMITTIVITY) or 0.0
    time_zero = _channel_time_zero(attrs.get(cv.ATTR_TIME_ZERO), nchan) - float(twt[0])
    antenna = str(attrs.get(cv.ATTR_ANTENNA, "") or "")[:13]
    freq = _attr_float(attrs, cv.ATTR_FREQUENCY)
    if freq and freq > 0 and antenna_frequency_hz(antenna) != freq:
        antenna = f"{freq / 1e6:g}MHz"
    if created is None:
        times = cube[cv.TIME].values if cv.TIME in cube.coords else np.array([], dtype="datetime64[ns]")
        first = times[0] if times.size and not np.isnat(times[0]) else None
        created = (first.astype("datetime64[s]").item() if first is not None
                   else _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None))
    headers = [_header_block(nchan=nchan, nsamp=nsamp, bits=bits, sps=sps, spm=spm, position=-float(tz),
                             range_ns=dt * nsamp, epsr=epsr, created=encode_gssi_date(created),
                             antenna=antenna, name=path.stem) for tz in time_zero]

    store, offset = _SAMPLE_TYPES[bits]
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    marks = np.zeros(ntr, dtype=bool)
    if cv.MARK in cube.coords and cube[cv.MARK].dims == (cv.TRACE,):
        marks = np.asarray(cube[cv.MARK].values).astype(bool)
    counter_mask = 2 ** bits - 1 if bits < 32 else 2**31 - 1
    with open(path, "wb") as fh:
        for header in headers:
            fh.write(header)
        for block in _trace_blocks(ntr, 8 * nchan * nsamp):
            values = np.array(cube.isel({cv.TRACE: block}).values, dtype=np.float64)
            values[..., :NON_SIGNAL_WORDS] = 0.0  # replaced by the scan counter and marker word
            if not np.all(np.isfinite(values)):
                raise ValueError("write_dzt: amplitudes must be finite (NaN or inf found)")
            words = np.clip(np.rint(values * scale), lo, hi).astype(np.int64) + offset
            index = np.arange(block.start, block.stop)
            words[..., 0] = (index & counter_mask)[None, :]
            words[..., 1] = np.where(marks[block], _MARK_WORD[bits], 0)[None, :]
            fh.write(np.ascontiguousarray(words.transpose(1, 0, 2)).astype(store).tobytes())


FORMATS = (
    Format(
        name="dzt",
        description="GSSI DZT radargram",
        extensions=(".dzt",),
        sniff=sniff_dzt,
        read=read_dzt,
        write=write_dzt,
    ),
)
