"""GSSI side-car files: ``.DZG`` GPS logs and ``.DZX`` XML metadata.

Both are optional companions of a ``.DZT`` radargram. A side-car that is
missing, unreadable or garbled never stops the radargram from reading: bad
lines are skipped and logged, and a side-car with nothing usable yields no
coordinates (with a logged warning).

DZG
---
A DZG file is a text log of NMEA 0183 sentences. Each GPS epoch starts with
a GSSI line ``$GSSIS,<scan>,<flag>`` naming the (0-based) scan recorded when
the epoch arrived, followed by the receiver's sentences (``$GPGGA``,
``$GPRMC`` …; any talker ID is accepted). :func:`parse_dzg` pairs every
``$GSSIS`` with the first GGA sentence after it; :func:`gps_trace_coords`
interpolates the fixes to one longitude, latitude, elevation and UTC time
per trace.

DZX
---
A DZX file is XML written by SIR-4000 units and RADAN. It embeds uuencoded
blobs that are not always well-formed XML, so :func:`parse_dzx` extracts the
few fields roadbed uses with tolerant patterns instead of an XML parser (this
also rules out entity-expansion attacks).
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import conventions as cv

__all__ = [
    "DzgFixes",
    "DzxInfo",
    "find_sidecar",
    "parse_dzg",
    "parse_dzx",
    "gps_trace_coords",
    "nmea_degrees",
]

log = logging.getLogger(__name__)

#: side-cars larger than this are ignored (a DZG logs ~100 bytes per GPS epoch)
MAX_SIDECAR_BYTES = 256 * 2**20
#: DZX files are a few kB; a larger one is not a DZX
MAX_DZX_BYTES = 16 * 2**20

#: metres per horizontal unit named in a DZX ``horizontalUnit``
LENGTH_UNITS_M = {
    "m": 1.0,
    "meter": 1.0,
    "meters": 1.0,
    "metre": 1.0,
    "metres": 1.0,
    "cm": 0.01,
    "mm": 0.001,
    "km": 1000.0,
    "ft": 0.3048,
    "feet": 0.3048,
    "in": 0.0254,
    "inch": 0.0254,
    "inches": 0.0254,
}

_SECONDS_PER_DAY = 86400.0
#: largest scan number a $GSSIS line may name (larger is garbage)
MAX_SCAN = 2**40


def find_sidecar(path: Path, suffix: str) -> Path | None:
    """The side-car of ``path`` with ``suffix`` (e.g. ``".DZG"``), or None.

    Tries the suffix in upper and lower case beside the file.
    """
    path = Path(path)
    for candidate in (path.with_suffix(suffix.upper()), path.with_suffix(suffix.lower())):
        try:
            if candidate.is_file():
                return candidate
        except OSError:
            continue
    return None


# --- NMEA ------------------------------------------------------------------------


def nmea_degrees(value: str, hemisphere: str, *, max_degrees: int) -> float | None:
    """Signed decimal degrees from an NMEA ``(d)ddmm.mmmm`` field and its hemisphere.

    Parameters
    ----------
    value : str
        Degrees and minutes, e.g. ``"4739.2552"`` (47° 39.2552′).
    hemisphere : str
        ``N``/``S`` for latitude, ``E``/``W`` for longitude.
    max_degrees : int
        90 for latitude, 180 for longitude.

    Returns
    -------
    float or None
        Degrees, negative south and west; None for a malformed field.
    """
    hemisphere = hemisphere.strip().upper()
    if hemisphere not in ("N", "S", "E", "W"):
        return None
    if (hemisphere in ("N", "S")) != (max_degrees == 90):
        return None
    try:
        raw = float(value)
    except ValueError:
        return None
    if not math.isfinite(raw) or raw < 0:
        return None
    degrees = math.floor(raw / 100.0)
    minutes = raw - 100.0 * degrees
    if minutes >= 60.0:
        return None
    out = degrees + minutes / 60.0
    if out > max_degrees:
        return None
    return -out if hemisphere in ("S", "W") else out


def _checksum_ok(sentence: str) -> bool:
    """True if the sentence has no ``*hh`` checksum or a correct one."""
    body, star, given = sentence.partition("*")
    if not star:
        return True
    given = given.strip()[:2]
    try:
        expected = int(given, 16)
    except ValueError:
        return False
    actual = 0
    for ch in body[1:]:  # between '$' and '*'
        actual ^= ord(ch)
    return actual == expected


def _time_of_day(field_: str) -> float | None:
    """Seconds after midnight from an NMEA ``hhmmss(.ss)`` field."""
    field_ = field_.strip()
    if len(field_) < 6 or not field_[:6].isdigit():
        return None
    try:
        hh, mm, ss = int(field_[0:2]), int(field_[2:4]), float(field_[4:])
    except ValueError:
        return None
    if hh > 23 or mm > 59 or not (0.0 <= ss < 61.0):
        return None
    return hh * 3600.0 + mm * 60.0 + ss


def _rmc_date(field_: str) -> _dt.date | None:
    """The date of an RMC ``ddmmyy`` field (years 80–99 → 19xx, else 20xx)."""
    field_ = field_.strip()
    if len(field_) != 6 or not field_.isdigit():
        return None
    dd, mo, yy = int(field_[0:2]), int(field_[2:4]), int(field_[4:6])
    try:
        return _dt.date(1900 + yy if yy >= 80 else 2000 + yy, mo, dd)
    except ValueError:
        return None


@dataclass
class DzgFixes:
    """GPS fixes of a DZG file, one entry per ``$GSSIS`` epoch with a usable GGA.

    Attributes
    ----------
    scan : ndarray of int64, shape (n,)
        0-based scan (trace) number of each fix, as logged.
    lon, lat : ndarray of float64, shape (n,)
        WGS 84 longitude and latitude, degrees (east and north positive).
    elevation : ndarray of float64, shape (n,)
        GGA antenna altitude above mean sea level, m; NaN where absent.
    time_of_day : ndarray of float64, shape (n,)
        UTC seconds after midnight of the GGA fix; NaN where absent.
    quality : ndarray of int64, shape (n,)
        GGA fix quality (0 = no fix, 1 = GPS, 2 = DGPS, 4/5 = RTK …).
    rmc : list of (float, datetime.date)
        (UTC seconds after midnight, date) of every valid RMC sentence.
    skipped : int
        Lines skipped as garbled, unpaired or out of range.
    """

    scan: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    elevation: np.ndarray
    time_of_day: np.ndarray
    quality: np.ndarray
    rmc: list = field(default_factory=list)
    skipped: int = 0

    def __len__(self) -> int:
        return int(self.scan.size)


def _parse_gga(fields: list[str]):
    """(time_of_day, lat, lon, quality, altitude) of a GGA sentence, or None."""
    if len(fields) < 10:
        return None
    lat = nmea_degrees(fields[2], fields[3], max_degrees=90)
    lon = nmea_degrees(fields[4], fields[5], max_degrees=180)
    if lat is None or lon is None:
        return None
    try:
        quality = int(fields[6]) if fields[6].strip() else 0
    except ValueError:
        return None
    tod = _time_of_day(fields[1])
    alt = math.nan
    if fields[9].strip():
        try:
            alt = float(fields[9])
        except ValueError:
            alt = math.nan
        if not math.isfinite(alt) or abs(alt) > 1e5:
            alt = math.nan
    return (math.nan if tod is None else tod), lat, lon, quality, alt


def parse_dzg(path: Path, *, min_quality: int = 0) -> DzgFixes:
    """Read the GPS fixes of a DZG file.

    Parameters
    ----------
    path : pathlib.Path
        The ``.DZG`` file.
    min_quality : int
        GGA fixes of lower quality are skipped. The default 0 keeps fixes a
        receiver flags as invalid but still reports a position for (GSSI
        units log the last known position that way).

    Returns
    -------
    DzgFixes
        Possibly empty; never raises for bad content (an unreadable file
        gives an empty result and a logged warning).
    """
    path = Path(path)
    scans, lons, lats, elevs, tods, quals, rmc = [], [], [], [], [], [], []
    skipped = 0
    try:
        size = path.stat().st_size
        if size > MAX_SIDECAR_BYTES:
            log.warning("%s: %d bytes is too large for a DZG; GPS ignored", path, size)
            return _empty_fixes()
        with open(path, "rb") as fh:
            raw_lines = fh.read().split(b"\n")
    except OSError as exc:
        log.warning("%s: cannot read DZG (%s); GPS ignored", path, exc)
        return _empty_fixes()
    pending_scan = None
    for number, raw in enumerate(raw_lines, start=1):
        line = raw.decode("ascii", errors="replace").strip()
        if not line:
            continue
        if not line.startswith("$") or not _checksum_ok(line):
            skipped += 1
            log.debug("%s line %d: not an NMEA sentence or bad checksum, skipped", path, number)
            continue
        body = line.partition("*")[0]
        fields = body.split(",")
        kind = fields[0].upper()
        if kind == "$GSSIS":
            try:
                pending_scan = int(fields[1])
            except (IndexError, ValueError):
                pending_scan = None
                skipped += 1
                continue
            if not 0 <= pending_scan <= MAX_SCAN:
                pending_scan = None
                skipped += 1
            continue
        if len(kind) == 6 and kind.endswith("RMC"):
            if len(fields) > 9 and fields[2].strip().upper() == "A":
                tod, date = _time_of_day(fields[1]), _rmc_date(fields[9])
                if tod is not None and date is not None:
                    rmc.append((tod, date))
            continue
        if len(kind) == 6 and kind.endswith("GGA"):
            if pending_scan is None:
                skipped += 1  # a GGA that no $GSSIS ties to a scan
                continue
            parsed = _parse_gga(fields)
            if parsed is None or parsed[3] < min_quality:
                skipped += 1
                log.debug("%s line %d: unusable GGA sentence, skipped", path, number)
                continue
            tod, lat, lon, quality, alt = parsed
            scans.append(pending_scan)
            lats.append(lat)
            lons.append(lon)
            quals.append(quality)
            elevs.append(alt)
            tods.append(tod)
            pending_scan = None  # one fix per $GSSIS epoch
    if skipped:
        log.info("%s: %d DZG lines skipped as garbled or unpaired", path, skipped)
    return DzgFixes(
        scan=np.asarray(scans, dtype=np.int64),
        lon=np.asarray(lons, dtype=np.float64),
        lat=np.asarray(lats, dtype=np.float64),
        elevation=np.asarray(elevs, dtype=np.float64),
        time_of_day=np.asarray(tods, dtype=np.float64),
        quality=np.asarray(quals, dtype=np.int64),
        rmc=rmc,
        skipped=skipped,
    )


def _empty_fixes() -> DzgFixes:
    empty_f = np.zeros(0, dtype=np.float64)
    empty_i = np.zeros(0, dtype=np.int64)
    return DzgFixes(empty_i, empty_f, empty_f, empty_f, empty_f, empty_i)


def _interp_extrapolated(x: np.ndarray, xp: np.ndarray, fp: np.ndarray, edge_slope: float | None) -> np.ndarray:
    """Linear interpolation of ``fp(xp)`` at ``x``, extended linearly beyond the ends.

    Beyond the ends the slope is that of the end segment, or ``edge_slope``
    where there is a single point (0 if None).
    """
    out = np.interp(x, xp, fp)
    if xp.size >= 2:
        lo_slope = (fp[1] - fp[0]) / (xp[1] - xp[0])
        hi_slope = (fp[-1] - fp[-2]) / (xp[-1] - xp[-2])
    else:
        lo_slope = hi_slope = edge_slope or 0.0
    before, after = x < xp[0], x > xp[-1]
    out[before] = fp[0] + (x[before] - xp[0]) * lo_slope
    out[after] = fp[-1] + (x[after] - xp[-1]) * hi_slope
    return out


def _anchor_day(tod: float, anchor: _dt.datetime) -> _dt.date:
    """The day (anchor's date ± 1) that puts time-of-day ``tod`` nearest to ``anchor``.

    The DZT creation time is the unit's clock, often local time, so the UTC
    date of the first fix may be the day before or after; within ±12 h of
    zone offset the nearest candidate is the right one.
    """
    best, best_gap = anchor.date(), math.inf
    for shift in (-1, 0, 1):
        day = anchor.date() + _dt.timedelta(days=shift)
        moment = _dt.datetime.combine(day, _dt.time()) + _dt.timedelta(seconds=tod)
        gap = abs((moment - anchor).total_seconds())
        if gap < best_gap:
            best, best_gap = day, gap
    return best


def gps_trace_coords(
    fixes: DzgFixes,
    n_traces: int,
    *,
    created: _dt.datetime | None = None,
    scans_per_second: float | None = None,
    source: Path | None = None,
) -> dict:
    """Per-trace coordinates interpolated from DZG fixes.

    Longitude, latitude and elevation are interpolated linearly in scan
    number between fixes and held at the first/last fix beyond them (a
    position is never extrapolated). Time is interpolated linearly and
    extrapolated linearly beyond the fixes, using the end segment's rate (or
    ``scans_per_second`` where there is a single timed fix).

    Dates: GGA carries only the UTC time of day. The date comes from the
    first valid RMC sentence when the DZG has one, otherwise from
    ``created`` (the DZT creation date). The first fix's day is the one
    (anchor date −1, 0 or +1) that puts it nearest the anchor; later fixes
    roll over midnight when their time of day drops by more than 12 h.

    Parameters
    ----------
    fixes : DzgFixes
        From :func:`parse_dzg`.
    n_traces : int
        Number of traces of the radargram.
    created : datetime.datetime, optional
        DZT creation date and time (naive); the date anchor without RMC.
    scans_per_second : float, optional
        Scan rate, for extrapolating time from a single fix.
    source : pathlib.Path, optional
        File name for log messages.

    Returns
    -------
    dict
        Some of ``lon``, ``lat`` (degrees, float64), ``elevation`` (m,
        float64) and ``time`` (datetime64[ns]), each of shape (n_traces,);
        empty when there are no usable fixes.
    """
    if len(fixes) == 0:
        log.warning("%s: DZG holds no usable GPS fixes; no lon/lat/time coordinates", source)
        return {}
    order = np.argsort(fixes.scan, kind="stable")
    scan = fixes.scan[order]
    keep = np.concatenate(([True], np.diff(scan) > 0))  # first fix of repeated scans
    idx = order[keep]
    scan = fixes.scan[idx].astype(np.float64)
    traces = np.arange(n_traces, dtype=np.float64)
    coords = {
        cv.LON: np.interp(traces, scan, fixes.lon[idx]),
        cv.LAT: np.interp(traces, scan, fixes.lat[idx]),
    }
    elev = fixes.elevation[idx]
    has_elev = np.isfinite(elev)
    if has_elev.any():
        coords[cv.ELEVATION] = np.interp(traces, scan[has_elev], elev[has_elev])
    if (fixes.quality[idx] == 0).all():
        log.warning("%s: every DZG fix has GGA quality 0 (no satellite fix); positions are the receiver's last known",
                    source)

    times = _fix_times(fixes.time_of_day[idx], fixes.rmc, created)
    if times is not None:
        timed = ~np.isnat(times)
        if timed.any():
            t_scan = scan[timed]
            base = times[timed][0]
            seconds = (times[timed] - base) / np.timedelta64(1, "ns") * 1e-9
            rate = 1.0 / scans_per_second if scans_per_second and math.isfinite(scans_per_second) \
                and scans_per_second > 0 else None
            trace_seconds = _interp_extrapolated(traces, t_scan, seconds, rate)
            ns = np.round(trace_seconds * 1e9)
            if np.all(np.abs(ns) < 2**62):
                coords[cv.TIME] = base + ns.astype(np.int64).astype("timedelta64[ns]")
    return coords


def _fix_times(tod: np.ndarray, rmc: list, created: _dt.datetime | None):
    """UTC datetime64[ns] of every fix (NaT where untimed), or None without a date anchor."""
    if rmc:
        rmc_tod, rmc_date = rmc[0]
        anchor = _dt.datetime.combine(rmc_date, _dt.time()) + _dt.timedelta(seconds=rmc_tod)
    elif created is not None:
        anchor = created
    else:
        return None
    out = np.full(tod.shape, np.datetime64("NaT", "ns"))
    timed = np.flatnonzero(np.isfinite(tod))
    if timed.size == 0:
        return out
    day = _anchor_day(float(tod[timed[0]]), anchor)
    midnight = np.datetime64(day.isoformat(), "ns")
    day_offset = 0.0
    previous = None
    for i in timed:
        t = float(tod[i])
        if previous is not None and t < previous - _SECONDS_PER_DAY / 2:
            day_offset += _SECONDS_PER_DAY
        previous = t
        out[i] = midnight + np.timedelta64(int(round((t + day_offset) * 1e9)), "ns")
    return out


# --- DZX -------------------------------------------------------------------------


@dataclass
class DzxInfo:
    """The fields roadbed uses from a DZX file.

    Attributes
    ----------
    units_per_scan : float or None
        Trace spacing in ``horizontal_unit`` (``unitsPerScan``).
    horizontal_unit : str or None
        Unit of ``units_per_scan`` (``horizontalUnit``, e.g. ``"m"``).
    dielectric : float or None
        Relative permittivity (``dielectric``).
    scans_per_metre : float or None
        The unit's distance setting (``scanPerMeters``).
    user_marks : list of int
        Scan numbers of user marks (``WayPt`` with ``<mark>User</mark>``,
        and ``TargetWayPt`` ``scanSampChanProp``).
    raw : dict
        The scalar fields found, verbatim (strings).
    """

    units_per_scan: float | None = None
    horizontal_unit: str | None = None
    dielectric: float | None = None
    scans_per_metre: float | None = None
    user_marks: list = field(default_factory=list)
    raw: dict = field(default_factory=dict)

    @property
    def trace_spacing_m(self) -> float | None:
        """``units_per_scan`` in metres where the unit is a known length, else None."""
        if self.units_per_scan is None or not self.horizontal_unit:
            return None
        factor = LENGTH_UNITS_M.get(self.horizontal_unit.strip().lower())
        if factor is None or not (self.units_per_scan > 0):
            return None
        spacing = self.units_per_scan * factor
        return spacing if math.isfinite(spacing) else None


_DZX_SCALARS = ("unitsPerScan", "horizontalUnit", "verticalUnit", "dielectric", "originalDielectric",
                "scanPerMeters", "unitsPerMark", "system", "softwareVersion", "depthRange")


def _tag_text(text: str, tag: str) -> str | None:
    match = re.search(rf"<(?:\w+:)?{tag}>([^<]{{0,200}})</(?:\w+:)?{tag}>", text)
    return match.group(1).strip() if match else None


def _finite_float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        out = float(value)
    except ValueError:
        return None
    return out if math.isfinite(out) else None


def parse_dzx(path: Path) -> DzxInfo:
    """Read the spacing, dielectric and user marks of a DZX file.

    Never raises for bad content: an unreadable or unrecognisable file gives
    an empty :class:`DzxInfo` and a logged warning.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_DZX_BYTES:
            log.warning("%s: %d bytes is too large for a DZX; ignored", path, size)
            return DzxInfo()
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        log.warning("%s: cannot read DZX (%s); ignored", path, exc)
        return DzxInfo()
    if "<DZX" not in text:
        log.warning("%s: no <DZX> element; not a DZX file, ignored", path)
        return DzxInfo()
    raw = {}
    for tag in _DZX_SCALARS:
        value = _tag_text(text, tag)
        if value is not None:
            raw[tag] = value
    marks = []
    for block in re.findall(r"<(?:\w+:)?WayPt>(.*?)</(?:\w+:)?WayPt>", text, flags=re.S):
        mark = _tag_text(block, "mark")
        scan = _tag_text(block, "scan")
        if mark is not None and mark.lower() == "user" and scan is not None and scan.isdigit():
            marks.append(int(scan))
    for block in re.findall(r"<(?:\w+:)?TargetWayPt>(.*?)</(?:\w+:)?TargetWayPt>", text, flags=re.S):
        prop = _tag_text(block, "scanSampChanProp")
        first = prop.split(",")[0].strip() if prop else ""
        if first.isdigit():
            marks.append(int(first))
    dielectric = _finite_float(raw.get("dielectric"))
    spm = _finite_float(raw.get("scanPerMeters"))
    return DzxInfo(
        units_per_scan=_finite_float(raw.get("unitsPerScan")),
        horizontal_unit=raw.get("horizontalUnit"),
        dielectric=dielectric if dielectric is not None and dielectric >= 1.0 else None,
        scans_per_metre=spm if spm is not None and spm > 0 else None,
        user_marks=sorted(set(marks)),
        raw=raw,
    )
