"""Surveys: many radargram files positioned in one road-local frame.

A survey is described by a TOML *manifest* that lists its files and says where
each one lies across the road. :func:`open_survey` reads the manifest and
returns a :class:`Survey` whose profiles carry road-local coordinates.

The road-local frame
--------------------
``along`` (m)
    Distance along the survey's reference direction: the driving direction of
    every line that is not flagged ``reverse``. A line's first trace lies at
    ``along = start_m`` (see ``reverse`` for the other direction).
``across`` (m)
    Horizontal distance perpendicular to the reference direction, positive to
    the **left** of it (so ``along``, ``across`` and up form a right-handed
    frame, and a plan view with ``along`` to the right has ``across`` upwards).

Map coordinates ``x``/``y`` (projected, m) are added on ``trace`` where the
positions allow: from a GNSS table named in the manifest, or from the file's
own ``x``/``y`` or ``lon``/``lat`` coordinates. Geographic positions are
projected to the survey's ``crs`` (WGS 84 → CRS, ``always_xy``); a file's
``x``/``y`` are transformed from the CRS in its ``crs`` attribute, or taken
to be in the survey's CRS where the file names none. Without a survey CRS,
``x``/``y`` come only from the file or from a GNSS table's ``x``/``y``.

Manifest
--------
::

    [survey]
    name = "Main Street, eastbound"
    crs = "EPSG:32652"          # optional: projected CRS of map x/y

    [[line]]
    path = "array_pass1.dzt"     # absolute, or relative to the manifest
    offset_m = -0.9              # across position of the line (of channel 0)
    channel_spacing_m = 0.075    # optional, array files: channel i at offset_m + i*spacing
    start_m = 0.0                # optional: along position of the first trace
    reverse = false              # optional: driven against the reference direction
    trace_spacing_m = 0.05       # optional: overrides the file's distance coordinate
    format = "dzt"               # optional: skip format detection

    [line.gnss]                  # optional: positions per trace from a CSV file
    path = "array_pass1_gnss.csv"
    columns = { x = "easting", y = "northing" }   # optional: CSV header of each role
    delimiter = ","              # optional

Keys of ``[[line]]``:

``path`` (str, required)
    The radargram file.
``offset_m`` (number, required)
    ``across`` of a single-channel line, or of channel 0 of an array file.
``channel_spacing_m`` (number ≠ 0, optional)
    Channel ``i`` lies ``i · channel_spacing_m`` to the left of channel 0 in
    the vehicle's frame, overriding the file's own ``offset`` coordinate
    (without it, channel ``i`` lies ``offset[i] − offset[0]`` to the left of
    channel 0). For a ``reverse`` line the vehicle's left is the survey's
    right, so these relative positions are mirrored:
    ``across_i = offset_m − i · channel_spacing_m``.
``start_m`` (number, default 0)
    ``along`` of the first trace; for a ``reverse`` line, ``along`` of the
    last trace (the line's start in the reference direction).
``reverse`` (bool, default false)
    The line was driven against the reference direction:
    ``along = start_m + (L − d)`` with ``d`` the distance of a trace from the
    first and ``L`` the line's length, and the traces are flipped so that
    ``along`` increases with the trace index.
``trace_spacing_m`` (number > 0, optional)
    Distance between traces, where the file has no (or a wrong) distance
    coordinate.
``format`` (str, optional)
    A registered format name (:func:`roadbed.formats`).
``antenna_height_m``, ``antenna_separation_m`` (number ≥ 0, optional)
    Height of the antennas above the ground and the transmitter–receiver
    separation, m; copied to the profile's attrs, where velocity estimation
    and detection read them (default: the file's own, else 0 — ground-coupled,
    zero offset).
``gnss`` (str or table, optional)
    A CSV table of positions: a header row, then one row per fix. Roles and
    their default column names: ``trace`` (0-based trace index in file order)
    or ``distance`` (``distance_m``, the file's distance coordinate, m) to key
    the rows, interpolated linearly to every trace (NaN outside the rows'
    range; ``trace`` wins where both are present); without a key column the
    table has one row per trace.
    Positions: ``x``/``y`` (m, in the survey CRS) and/or ``lon``/``lat``
    (degrees, WGS 84, projected to the survey CRS). A string is the path alone.

Along positions come from, in order: the manifest's ``trace_spacing_m``, the
file's ``distance`` coordinate, the file's ``trace_spacing_m`` attribute, and
the path length along the map positions.

Every error in a manifest raises :class:`~roadbed.FormatError` naming the
manifest, the line as ``line[i]`` (0-based index of the ``[[line]]`` table)
and the field.
"""

from __future__ import annotations

import csv
import functools
import logging
import math
import os
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import xarray as xr

from . import conventions as cv
from .errors import FormatError
from .io import detect, formats
from .model import append_history, coord_attrs

__all__ = [
    "BScan",
    "GnssTable",
    "LineEntry",
    "Survey",
    "SurveyLine",
    "expand_inputs",
    "open_survey",
    "MANIFEST_SUFFIX",
]

logger = logging.getLogger(__name__)

#: file suffix by which :func:`expand_inputs` tells a manifest from a data file
MANIFEST_SUFFIX = ".toml"

_TOP_KEYS = {"survey", "line"}
_SURVEY_KEYS = {"name", "crs"}
_LINE_KEYS = {"path", "offset_m", "channel_spacing_m", "start_m", "reverse", "trace_spacing_m", "format", "gnss",
              "antenna_height_m", "antenna_separation_m"}
_GNSS_KEYS = {"path", "columns", "delimiter"}
#: GNSS table roles and their default CSV column names
GNSS_COLUMNS = {
    "trace": "trace",
    "distance": "distance_m",
    cv.X: "x",
    cv.Y: "y",
    cv.LON: "lon",
    cv.LAT: "lat",
}


# --- manifest entries -------------------------------------------------------------------


@dataclass(frozen=True)
class GnssTable:
    """Where a line's per-trace positions are found (a ``[line.gnss]`` table).

    Attributes
    ----------
    path : pathlib.Path
        The CSV file.
    columns : dict
        Role (``trace``, ``distance``, ``x``, ``y``, ``lon``, ``lat``) → CSV
        header name.
    delimiter : str
        CSV field separator.
    """

    path: Path
    columns: Mapping[str, str] = field(default_factory=lambda: dict(GNSS_COLUMNS))
    delimiter: str = ","


@dataclass(frozen=True)
class LineEntry:
    """One ``[[line]]`` table of a manifest, validated (see the module docs).

    ``index`` is the 0-based position of the table in the manifest.
    """

    index: int
    path: Path
    offset_m: float = 0.0
    channel_spacing_m: float | None = None
    start_m: float = 0.0
    reverse: bool = False
    trace_spacing_m: float | None = None
    format: str | None = None
    gnss: GnssTable | None = None
    antenna_height_m: float | None = None
    antenna_separation_m: float | None = None


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Manifest:
    """Validation helpers that name the manifest and the field in every error."""

    def __init__(self, path: Path):
        self.path = path
        self.root = path.parent

    def error(self, field_name: str, expected: str, got=None) -> FormatError:
        return FormatError(self.path, field_name, expected, got=got)

    def table(self, value, field_name: str, keys: set[str]) -> dict:
        if not isinstance(value, dict):
            raise self.error(field_name, "a table", got=type(value).__name__)
        unknown = sorted(set(value) - keys)
        if unknown:
            raise self.error(f"{field_name}.{unknown[0]}", f"one of the keys {sorted(keys)}", got=unknown[0])
        return value

    def number(self, table: dict, key: str, where: str, *, default=None, required=False, positive=False, nonzero=False,
               nonnegative=False):
        name = f"{where}.{key}"
        if key not in table:
            if required:
                raise self.error(name, "a number (m); the key is required")
            return default
        value = table[key]
        if not _is_number(value) or not math.isfinite(value):
            raise self.error(name, "a finite number (m)", got=value)
        if positive and value <= 0:
            raise self.error(name, "a number > 0 (m)", got=value)
        if nonzero and value == 0:
            raise self.error(name, "a non-zero number (m)", got=value)
        if nonnegative and value < 0:
            raise self.error(name, "a number ≥ 0 (m)", got=value)
        return float(value)

    def text(self, table: dict, key: str, where: str, *, required=False) -> str | None:
        name = f"{where}.{key}"
        if key not in table:
            if required:
                raise self.error(name, "a string; the key is required")
            return None
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise self.error(name, "a non-empty string", got=value)
        return value

    def file(self, table: dict, key: str, where: str) -> Path:
        text = self.text(table, key, where, required=True)
        path = Path(os.path.expanduser(text))
        if not path.is_absolute():
            path = self.root / path
        if not path.is_file():
            expected = "an existing file (absolute, or relative to the manifest)"
            raise self.error(f"{where}.{key}", expected, got=str(path))
        return path

    def gnss(self, value, where: str) -> GnssTable:
        name = f"{where}.gnss"
        if isinstance(value, str):
            value = {"path": value}
        table = self.table(value, name, _GNSS_KEYS)
        path = self.file(table, "path", name)
        columns = dict(GNSS_COLUMNS)
        if "columns" in table:
            given = self.table(table["columns"], f"{name}.columns", set(GNSS_COLUMNS))
            for role, header in given.items():
                if not isinstance(header, str) or not header.strip():
                    raise self.error(f"{name}.columns.{role}", "a CSV column name", got=header)
                columns[role] = header
        delimiter = self.text(table, "delimiter", name) or ","
        if len(delimiter) != 1:
            raise self.error(f"{name}.delimiter", "a single character", got=delimiter)
        return GnssTable(path=path, columns=columns, delimiter=delimiter)

    def line(self, index: int, value) -> LineEntry:
        where = f"line[{index}]"
        table = self.table(value, where, _LINE_KEYS)
        path = self.file(table, "path", where)
        reverse = table.get("reverse", False)
        if not isinstance(reverse, bool):
            raise self.error(f"{where}.reverse", "true or false", got=reverse)
        fmt = self.text(table, "format", where)
        if fmt is not None and fmt.lower() not in formats():
            raise self.error(f"{where}.format", f"one of the registered formats {sorted(formats())}", got=fmt)
        return LineEntry(
            index=index,
            path=path,
            offset_m=self.number(table, "offset_m", where, required=True),
            channel_spacing_m=self.number(table, "channel_spacing_m", where, nonzero=True),
            start_m=self.number(table, "start_m", where, default=0.0),
            reverse=reverse,
            trace_spacing_m=self.number(table, "trace_spacing_m", where, positive=True),
            format=fmt.lower() if fmt else None,
            gnss=self.gnss(table["gnss"], where) if "gnss" in table else None,
            antenna_height_m=self.number(table, "antenna_height_m", where, nonnegative=True),
            antenna_separation_m=self.number(table, "antenna_separation_m", where, nonnegative=True),
        )


@functools.lru_cache(maxsize=32)
def _crs(text: str):
    from pyproj import CRS

    return CRS.from_user_input(text)


@functools.lru_cache(maxsize=32)
def _transformer(source: str, target: str):
    from pyproj import Transformer

    return Transformer.from_crs(_crs(source), _crs(target), always_xy=True)


def _check_crs(manifest: _Manifest, value) -> str:
    from pyproj.exceptions import CRSError

    if not isinstance(value, str) or not value.strip():
        raise manifest.error("survey.crs", "a CRS string such as 'EPSG:32652'", got=value)
    try:
        crs = _crs(value)
    except CRSError:
        raise manifest.error("survey.crs", "a CRS that pyproj knows, such as 'EPSG:32652'", got=value) from None
    if not crs.is_projected:
        raise manifest.error("survey.crs", "a projected CRS (map x/y in metres)", got=value)
    return value


# --- positioning ------------------------------------------------------------------------


def _read_gnss(table: GnssTable, n_traces: int, distance: np.ndarray | None, error) -> dict[str, np.ndarray]:
    """Per-trace positions (role → array of n_traces) from a GNSS CSV table."""
    path = table.path
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = [row for row in csv.reader(fh, delimiter=table.delimiter) if any(c.strip() for c in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise FormatError(path, "content", "a readable CSV text file", got=str(exc)) from None
    if not rows:
        raise FormatError(path, "header", "a header row naming the columns")
    header = [h.strip().lower() for h in rows[0]]
    found = {}
    for role, name in table.columns.items():
        if name.strip().lower() in header:
            found[role] = header.index(name.strip().lower())
    has_xy = cv.X in found and cv.Y in found
    has_ll = cv.LON in found and cv.LAT in found
    if not (has_xy or has_ll):
        wanted = [table.columns[r] for r in (cv.X, cv.Y, cv.LON, cv.LAT)]
        expected = f"columns {wanted[0]!r}, {wanted[1]!r} or {wanted[2]!r}, {wanted[3]!r}"
        raise FormatError(path, "header", expected, got=rows[0])
    data = rows[1:]
    values = {role: np.empty(len(data)) for role in found}
    for i, row in enumerate(data, start=2):
        if len(row) != len(header):
            raise FormatError(path, f"row {i}", f"{len(header)} fields like the header", got=len(row))
        for role, col in found.items():
            try:
                values[role][i - 2] = float(row[col])
            except ValueError:
                raise FormatError(path, f"row {i}, column {rows[0][col]!r}", "a number", got=row[col]) from None
    if "trace" in found or "distance" in found:
        key_role = "trace" if "trace" in found else "distance"
        key = values[key_role]
        if len(key) < 2 or not np.all(np.diff(key) > 0):
            raise FormatError(path, f"column {table.columns[key_role]!r}", "at least 2 strictly increasing values")
        if key_role == "trace":
            at = np.arange(n_traces, dtype=np.float64)
        elif distance is None:
            raise error(
                "gnss",
                f"a trace distance to key the GNSS rows by {table.columns['distance']!r}: "
                "a distance coordinate in the file or trace_spacing_m",
            )
        else:
            at = distance
        out = {
            role: np.interp(at, key, v, left=np.nan, right=np.nan)
            for role, v in values.items()
            if role in (cv.X, cv.Y, cv.LON, cv.LAT)
        }
    else:
        if len(data) != n_traces:
            expected = f"one row per trace ({n_traces}) without a trace or distance column"
            raise FormatError(path, "rows", expected, got=len(data))
        out = {role: v for role, v in values.items() if role in (cv.X, cv.Y, cv.LON, cv.LAT)}
    return out


def _project_lonlat(lon, lat, crs: str):
    x, y = _transformer("EPSG:4326", crs).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def _map_positions(da: xr.DataArray, entry: LineEntry, crs: str | None, distance, error) -> dict[str, np.ndarray]:
    """Per-trace coords x/y (and lon/lat from a GNSS table) for one line."""
    from pyproj.exceptions import CRSError

    n_traces = da.sizes[cv.TRACE]
    out: dict[str, np.ndarray] = {}
    if entry.gnss is not None:
        table = _read_gnss(entry.gnss, n_traces, distance, error)
        if cv.LON in table:
            out[cv.LON], out[cv.LAT] = table[cv.LON], table[cv.LAT]
        if cv.X in table:
            out[cv.X], out[cv.Y] = table[cv.X], table[cv.Y]
        elif crs is not None:
            out[cv.X], out[cv.Y] = _project_lonlat(table[cv.LON], table[cv.LAT], crs)
        return out
    coords = da.coords
    if cv.X in coords and cv.Y in coords:
        x = np.asarray(coords[cv.X].values, float)
        y = np.asarray(coords[cv.Y].values, float)
        file_crs = da.attrs.get(cv.ATTR_CRS)
        if crs is not None and file_crs:
            try:
                same = _crs(str(file_crs)) == _crs(crs)
            except CRSError:
                raise FormatError(entry.path, "attribute 'crs'", "a CRS that pyproj knows", got=file_crs) from None
            if not same:
                x, y = _transformer(str(file_crs), crs).transform(x, y)
                x, y = np.asarray(x, float), np.asarray(y, float)
        out[cv.X], out[cv.Y] = x, y
    elif cv.LON in coords and cv.LAT in coords and crs is not None:
        out[cv.X], out[cv.Y] = _project_lonlat(coords[cv.LON].values, coords[cv.LAT].values, crs)
    return out


def _path_length(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    step = np.hypot(np.diff(x), np.diff(y))
    return np.concatenate([[0.0], np.cumsum(step)])


def _trace_distance(da: xr.DataArray, entry: LineEntry) -> np.ndarray | None:
    n_traces = da.sizes[cv.TRACE]
    if entry.trace_spacing_m is not None:
        return np.arange(n_traces) * entry.trace_spacing_m
    if cv.DISTANCE in da.coords:
        return np.asarray(da.coords[cv.DISTANCE].values, dtype=np.float64)
    spacing = da.attrs.get(cv.ATTR_TRACE_SPACING)
    if _is_number(spacing) and math.isfinite(spacing) and spacing > 0:
        return np.arange(n_traces) * float(spacing)
    return None


def _position(da: xr.DataArray, entry: LineEntry, crs: str | None, error) -> xr.DataArray:
    """``da`` with along/across (and map x/y) coords in the survey frame."""
    n_traces = da.sizes[cv.TRACE]
    distance = _trace_distance(da, entry)
    positions = _map_positions(da, entry, crs, distance, error)
    if distance is None:
        x, y = positions.get(cv.X), positions.get(cv.Y)
        if x is None or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise error(
                "trace_spacing_m",
                "a distance coordinate or trace_spacing_m in the file, map positions at every trace, "
                "or trace_spacing_m in the manifest",
            )
        distance = _path_length(x, y)
    if n_traces and not np.all(np.isfinite(distance)):
        raise error("distance", "finite trace distances", got="NaN or infinite values")
    d = distance - distance[0] if n_traces else distance
    length = d[-1] if n_traces else 0.0
    along = entry.start_m + (length - d if entry.reverse else d)
    sign = -1.0 if entry.reverse else 1.0

    coords = {cv.ALONG: (cv.TRACE, along, coord_attrs(cv.ALONG))}
    if da.ndim == 3:
        n_channels = da.sizes[cv.CHANNEL]
        if entry.channel_spacing_m is not None:
            relative = np.arange(n_channels) * entry.channel_spacing_m
        else:
            offsets = np.asarray(da.coords[cv.OFFSET].values, float) if cv.OFFSET in da.coords else np.zeros(n_channels)
            if n_channels > 1 and np.ptp(offsets) == 0:
                raise error(
                    "channel_spacing_m",
                    "the channel spacing of an array file whose channel offsets are unknown (all equal)",
                )
            relative = offsets - offsets[0]
        coords[cv.ACROSS] = (cv.CHANNEL, entry.offset_m + sign * relative, coord_attrs(cv.ACROSS))
    else:
        coords[cv.ACROSS] = (cv.TRACE, np.full(n_traces, entry.offset_m), coord_attrs(cv.ACROSS))
    for name, values in positions.items():
        coords[name] = (cv.TRACE, values, coord_attrs(name))
    out = da.assign_coords(coords)
    out.attrs = dict(da.attrs)
    if crs is not None and cv.X in positions:
        out.attrs[cv.ATTR_CRS] = crs
    for name, value in ((cv.ATTR_ANTENNA_HEIGHT, entry.antenna_height_m),
                        (cv.ATTR_ANTENNA_SEPARATION, entry.antenna_separation_m)):
        if value is not None:
            out.attrs[name] = value
    if entry.reverse:
        out = out.isel({cv.TRACE: slice(None, None, -1)})
    return append_history(
        out,
        "position",
        offset_m=entry.offset_m,
        channel_spacing_m=entry.channel_spacing_m,
        start_m=entry.start_m,
        reverse=entry.reverse,
        trace_spacing_m=entry.trace_spacing_m,
        gnss=str(entry.gnss.path) if entry.gnss else None,
    )


# --- survey objects ----------------------------------------------------------------------


class BScan(NamedTuple):
    """One 2-D profile of a survey: a single-channel line or one channel of an array.

    Attributes
    ----------
    line : int
        Index of the line in :attr:`Survey.lines`.
    channel : int or None
        Channel of an array file, None for a single-channel file.
    across_m : float
        Across position of the profile, m (positive to the left).
    data : xarray.DataArray
        dims ``("trace", "twt")`` with ``along`` (m) on trace.
    """

    line: int
    channel: int | None
    across_m: float
    data: xr.DataArray


class SurveyLine:
    """One file of a survey: its manifest entry and its data, read on first use.

    Parameters
    ----------
    entry : LineEntry
        The validated manifest entry.
    crs : str, optional
        The survey's projected CRS.
    manifest : pathlib.Path, optional
        The manifest that lists the line (None for a file given alone).
    """

    def __init__(self, entry: LineEntry, *, crs: str | None = None, manifest: Path | None = None):
        self.entry = entry
        self.crs = crs
        self.manifest = manifest
        self._fmt = None
        self._data: xr.DataArray | None = None
        self._profile: xr.DataArray | None = None

    def __repr__(self) -> str:
        where = f" of {self.manifest.name}" if self.manifest else ""
        return f"SurveyLine(line[{self.entry.index}]{where}: {self.entry.path.name}, offset_m={self.entry.offset_m})"

    @property
    def path(self) -> Path:
        """The radargram file."""
        return self.entry.path

    def _error(self, field_name: str, expected: str, got=None) -> FormatError:
        if self.manifest is not None:
            return FormatError(self.manifest, f"line[{self.entry.index}].{field_name}", expected, got=got)
        return FormatError(self.entry.path, field_name, expected, got=got)

    def _reader(self):
        """The file's :class:`~roadbed.io.Format` (from the manifest, else detected)."""
        if self._fmt is None:
            if self.entry.format is not None:
                if self.entry.format not in formats():
                    expected = f"one of the registered formats {sorted(formats())}"
                    raise self._error("format", expected, got=self.entry.format)
                self._fmt = formats()[self.entry.format]
            else:
                try:
                    self._fmt = detect(self.entry.path)
                except FileNotFoundError:
                    raise FormatError(self.entry.path, "path", "an existing file") from None
        return self._fmt

    @property
    def format(self) -> str:
        """Name of the file's format (from the manifest, else detected from the content)."""
        return self._reader().name

    @property
    def data(self) -> xr.DataArray:
        """The radargram as the reader returns it (read once, lazily)."""
        if self._data is None:
            self._data = self._reader().read(self.entry.path)
        return self._data

    @property
    def profile(self) -> xr.DataArray:
        """The radargram positioned in the survey frame.

        Coords ``along`` (m, on trace, increasing), ``across`` (m, on trace for
        a single-channel file, on channel for an array) and ``x``/``y`` (m, on
        trace) where positions allow; traces of a ``reverse`` line are flipped.
        """
        if self._profile is None:
            self._profile = _position(self.data, self.entry, self.crs, self._error)
        return self._profile

    def bscans(self) -> Iterator[BScan]:
        """The line's 2-D profiles: itself, or each channel of an array file."""
        da = self.profile
        if da.ndim == 2:
            yield BScan(self.entry.index, None, float(self.entry.offset_m), da)
            return
        for channel in range(da.sizes[cv.CHANNEL]):
            one = da.isel({cv.CHANNEL: channel})
            yield BScan(self.entry.index, channel, float(one.coords[cv.ACROSS].values), one)


@dataclass(frozen=True)
class Survey:
    """Radargram files positioned in one road-local frame (see :mod:`roadbed.survey`).

    Attributes
    ----------
    name : str
        The survey's name.
    crs : str or None
        Projected CRS of map ``x``/``y`` (e.g. ``"EPSG:32652"``).
    lines : tuple of SurveyLine
        The files, in manifest order.
    manifest : pathlib.Path or None
        The manifest the survey was read from.
    """

    name: str
    crs: str | None
    lines: tuple[SurveyLine, ...]
    manifest: Path | None = None

    def profiles(self) -> list[xr.DataArray]:
        """Every line's positioned radargram (see :attr:`SurveyLine.profile`)."""
        return [line.profile for line in self.lines]

    def bscans(self) -> Iterator[BScan]:
        """Every 2-D profile (each line, each channel) with its across offset."""
        for line in self.lines:
            yield from line.bscans()

    def extent(self) -> tuple[float, float, float, float]:
        """``(along_min, along_max, across_min, across_max)`` of all traces, m."""
        along = [np.asarray(p.coords[cv.ALONG].values, float) for p in self.profiles()]
        across = [np.asarray(p.coords[cv.ACROSS].values, float) for p in self.profiles()]
        a = np.concatenate(along)
        c = np.concatenate(across)
        return (float(np.nanmin(a)), float(np.nanmax(a)), float(np.nanmin(c)), float(np.nanmax(c)))


def open_survey(manifest) -> Survey:
    """Read a survey manifest (TOML; format in :mod:`roadbed.survey`).

    The manifest is validated at once; the radargram files are read only when
    a line's ``data`` or ``profile`` is first used.

    Parameters
    ----------
    manifest : str or os.PathLike
        The ``.toml`` file.

    Returns
    -------
    Survey

    Raises
    ------
    FormatError
        For a manifest that cannot be parsed, an unknown key, a missing or
        mistyped value, or a file that does not exist; the message names the
        manifest, the line (``line[i]``) and the field.
    """
    path = Path(os.fspath(manifest))
    check = _Manifest(path)
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise check.error("path", "an existing manifest file") from None
    except tomllib.TOMLDecodeError as exc:
        raise check.error("TOML syntax", "a valid TOML document", got=str(exc)) from None
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise check.error(unknown[0], "only the tables [survey] and [[line]]", got=unknown[0])
    if "survey" not in doc:
        raise check.error("survey", "a [survey] table with a name")
    survey = check.table(doc["survey"], "survey", _SURVEY_KEYS)
    name = check.text(survey, "name", "survey", required=True)
    crs = _check_crs(check, survey["crs"]) if "crs" in survey else None
    lines = doc.get("line")
    if not isinstance(lines, list) or not lines:
        raise check.error("line", "at least one [[line]] table", got=None if lines is None else type(lines).__name__)
    entries = [check.line(i, value) for i, value in enumerate(lines)]
    return Survey(
        name=name,
        crs=crs,
        lines=tuple(SurveyLine(e, crs=crs, manifest=path) for e in entries),
        manifest=path,
    )


def expand_inputs(paths: Iterable) -> list[SurveyLine]:
    """Radargram inputs from a list of files and survey manifests.

    A path ending in ``.toml`` is opened as a manifest and stands for its
    lines; any other path is one line at ``offset_m = 0``. Nothing is read
    yet: use each line's ``data`` (as read) or ``profile`` (with ``along``
    and ``across``).

    Parameters
    ----------
    paths : iterable of str or os.PathLike

    Returns
    -------
    list of SurveyLine

    Raises
    ------
    FormatError
        For an invalid manifest (see :func:`open_survey`).
    """
    out: list[SurveyLine] = []
    for item in paths:
        path = Path(os.fspath(item))
        if path.suffix.lower() == MANIFEST_SUFFIX:
            out.extend(open_survey(path).lines)
        else:
            out.append(SurveyLine(LineEntry(index=0, path=path)))
    return out
