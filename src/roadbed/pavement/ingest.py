"""Reading laser pavement data: point clouds, range images and photographs.

Three kinds of input become one of two things:

* **point clouds** — LAS/LAZ (``laspy``), PLY/PCD (``open3d``), XYZ text —
  are read by :func:`read_points` into an :class:`xarray.Dataset` on dim
  ``"point"`` with ``x``, ``y`` (m), ``elevation`` (mm) and ``intensity``
  (0–1) where the file has it; :func:`points_to_road` turns map coordinates
  into road-local ``along``/``across`` for :func:`~roadbed.pavement.rasterise.rasterise_points`;
* **range images** — a 16-bit PNG or TIFF of elevation counts (rows along
  the track, columns across) with a JSON side-car ``NAME.json`` — and
  **photographs** (JPEG/PNG/TIFF without a side-car) are read straight into
  a *scan*: an :class:`xarray.Dataset` with ``elevation`` (mm; photographs
  have none) and ``intensity`` (0–1) on ``("along", "across")``.

:func:`read_scan` takes any of them to a scan. Every bad input raises
:class:`roadbed.FormatError` naming the file and the field at fault.

Range-image side-car keys
-------------------------
``pixel_size_mm`` (required)
    One number, or ``[along, across]``, mm.
``elevation_mm_per_count`` (required)
    Elevation step of one count, mm (non-zero).
``elevation_offset_mm`` (optional, default 0)
    Elevation of count 0, mm: ``elevation = offset + count · mm_per_count``.
``intensity`` (optional)
    File name (beside the side-car) of an 8- or 16-bit intensity image of the same size.
``nodata_count`` (optional)
    Count that marks a missing pixel (NaN elevation).
``along_start_m``, ``across_start_m`` (optional)
    Position of the first row and column, m (default 0 and a centred width).
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
from pathlib import Path

import numpy as np
import xarray as xr

from .. import conventions as cv
from ..conventions import ATTR_ACROSS_SPACING, ATTR_ALONG_SPACING, POINT
from ..errors import FormatError
from ..io._binary import check_range, file_size, unpack_at
from ..model import append_history, coord_attrs
from ._ply_pcd import check_pcd, check_ply

__all__ = [
    "POINT",
    "ATTR_ALONG_SPACING",
    "ATTR_ACROSS_SPACING",
    "SIDECAR_KEYS",
    "MAX_IMAGE_PIXELS",
    "MAX_COORDINATE_M",
    "read_points",
    "points_to_road",
    "read_range_image",
    "read_photo",
    "read_scan",
    "scan_dataset",
    "pixel_size_mm",
    "sidecar_path",
]

logger = logging.getLogger(__name__)

#: the keys a range-image side-car may hold
SIDECAR_KEYS = ("pixel_size_mm", "elevation_mm_per_count", "elevation_offset_mm", "intensity", "nodata_count",
                "along_start_m", "across_start_m")  # fmt: skip
#: the largest image read (pixels), so that a forged header cannot size a huge allocation
MAX_IMAGE_PIXELS = 2**28
#: the most points a compressed LAZ file may claim (its size cannot bound them)
MAX_LAZ_POINTS = 2**30
#: no real point lies farther from its CRS's origin, m (a larger one is a damaged scale or offset)
MAX_COORDINATE_M = 1e8
_INTENSITY_ATTRS = {cv.ATTR_UNITS: cv.UNIT_COUNTS, cv.ATTR_LONG_NAME: "reflected intensity (0-1)"}
#: 16-bit intensity counts → 0–1
_COUNTS_16 = 65535.0

_MAGIC = {
    b"LASF": "las",
    b"ply\n": "ply",
    b"ply\r": "ply",
    b"\x89PNG": "png",
    b"\xff\xd8\xff": "jpeg",
    b"II*\x00": "tiff",
    b"MM\x00*": "tiff",
    b"II+\x00": "tiff",
    b"MM\x00+": "tiff",
}
_POINT_EXTENSIONS = {".las": "las", ".laz": "las", ".ply": "ply", ".pcd": "pcd", ".xyz": "xyz", ".txt": "xyz",
                     ".csv": "xyz", ".pts": "xyz"}  # fmt: skip
_IMAGE_EXTENSIONS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".tif": "tiff", ".tiff": "tiff"}


# --- building datasets ---------------------------------------------------------------
def scan_dataset(
    elevation_mm, intensity=None, *, along_m, across_m, attrs=None, history: str = "", pixel_units: bool = False
) -> xr.Dataset:
    """A scan with the data model's names and units.

    Parameters
    ----------
    elevation_mm : array_like, shape (n_along, n_across), or None
        Surface elevation, mm (NaN where missing); None for an intensity-only scan.
    intensity : array_like, shape (n_along, n_across), optional
        Reflected intensity, 0–1.
    along_m, across_m : array_like, shape (n_along,), (n_across,)
        Cell centres, m (pixel indices where ``pixel_units``).
    attrs : mapping, optional
        Dataset attributes; ``along_spacing_mm`` and ``across_spacing_mm`` are
        added from the coordinates unless ``pixel_units``.
    history : str
        History to carry over.
    pixel_units : bool
        The coordinates count pixels: the pixel size is unknown.

    Returns
    -------
    xarray.Dataset
    """
    along = np.asarray(along_m, dtype=np.float64)
    across = np.asarray(across_m, dtype=np.float64)
    dims = (cv.ALONG, cv.ACROSS)
    data = {}
    if elevation_mm is not None:
        data[cv.ELEVATION] = (dims, np.asarray(elevation_mm, dtype=np.float32),
                              {cv.ATTR_UNITS: cv.UNIT_MM, cv.ATTR_LONG_NAME: "surface elevation"})  # fmt: skip
    if intensity is not None:
        data[cv.INTENSITY] = (dims, np.asarray(intensity, dtype=np.float32),
                              _INTENSITY_ATTRS)  # fmt: skip
    if pixel_units:
        along_attrs = {cv.ATTR_UNITS: cv.UNIT_COUNTS, cv.ATTR_LONG_NAME: "row (pixel size unknown)"}
        across_attrs = {cv.ATTR_UNITS: cv.UNIT_COUNTS, cv.ATTR_LONG_NAME: "column (pixel size unknown)"}
    else:
        along_attrs, across_attrs = coord_attrs(cv.ALONG), coord_attrs(cv.ACROSS)
    coords = {cv.ALONG: (cv.ALONG, along, along_attrs), cv.ACROSS: (cv.ACROSS, across, across_attrs)}
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(dict(attrs or {}))
    ds.attrs[cv.ATTR_HISTORY] = history
    if not pixel_units:
        for key, coord in ((ATTR_ALONG_SPACING, along), (ATTR_ACROSS_SPACING, across)):
            if key not in ds.attrs and coord.size >= 2:
                ds.attrs[key] = float(np.median(np.diff(coord)) * 1e3)
    return ds


def pixel_size_mm(scan: xr.Dataset) -> tuple[float, float] | None:
    """``(along, across)`` cell size of a scan, mm, or None where unknown (a photograph)."""
    if cv.ATTR_UNITS in scan[cv.ALONG].attrs and scan[cv.ALONG].attrs[cv.ATTR_UNITS] != cv.UNIT_M:
        return None
    sizes = []
    for key, dim in ((ATTR_ALONG_SPACING, cv.ALONG), (ATTR_ACROSS_SPACING, cv.ACROSS)):
        value = scan.attrs.get(key)
        if value is None and scan.sizes[dim] >= 2:
            value = float(np.median(np.diff(scan[dim].values))) * 1e3
        if value is None or not (math.isfinite(value) and value > 0):
            return None
        sizes.append(float(value))
    return (sizes[0], sizes[1])


def _points(path, fmt: str, x, y, z_m, intensity, attrs=None) -> xr.Dataset:
    x, y, z_m = (np.asarray(v, dtype=np.float64).reshape(-1) for v in (x, y, z_m))
    if x.size == 0:
        raise FormatError(path, "points", "at least one point", got=0)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y)) and np.all(np.isfinite(z_m))):
        raise FormatError(path, "coordinates", "finite x, y, z for every point")
    largest = max(float(np.abs(v).max()) for v in (x, y, z_m))
    if largest > MAX_COORDINATE_M:
        raise FormatError(path, "coordinates", f"|x|, |y|, |z| ≤ {MAX_COORDINATE_M:g} m", got=largest)
    data = {
        cv.X: (POINT, x, {cv.ATTR_UNITS: cv.UNIT_M, cv.ATTR_LONG_NAME: "point x (easting or along)"}),
        cv.Y: (POINT, y, {cv.ATTR_UNITS: cv.UNIT_M, cv.ATTR_LONG_NAME: "point y (northing or across)"}),
        cv.ELEVATION: (POINT, z_m * 1e3, {cv.ATTR_UNITS: cv.UNIT_MM, cv.ATTR_LONG_NAME: "point elevation"}),
    }
    if intensity is not None:
        data[cv.INTENSITY] = (POINT, np.asarray(intensity, dtype=np.float32).reshape(-1), _INTENSITY_ATTRS)
    ds = xr.Dataset(data, attrs={cv.ATTR_FORMAT: fmt, cv.ATTR_SOURCE: os.fspath(path), cv.ATTR_HISTORY: "",
                                 **(attrs or {})})  # fmt: skip
    return append_history(ds, "read", format=fmt, source_file=os.fspath(path), n_points=int(x.size))


def _intensity_01(path, values, field: str = "intensity") -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(v)):
        raise FormatError(path, field, "finite intensities")
    if v.size == 0 or (v.min() >= 0.0 and v.max() <= 1.0):
        return v.astype(np.float32)
    if v.min() >= 0.0 and v.max() <= _COUNTS_16:
        return (v / _COUNTS_16).astype(np.float32)
    raise FormatError(path, field, "intensities in 0–1 or 16-bit counts 0–65535",
                      got=(float(v.min()), float(v.max())))  # fmt: skip


# --- point clouds -------------------------------------------------------------------------
def _laspy(path):
    try:
        import laspy
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"reading {os.fspath(path)} needs the optional package laspy: pip install 'roadbed[pointcloud]'"
        ) from exc
    return laspy


#: bytes of a variable-length record's header and of an extended one's
_VLR_HEADER, _EVLR_HEADER = 54, 60


def _check_las_header(path: Path) -> None:
    """Walk the LAS header and its (extended) variable-length records within the file's size.

    laspy reads an extended VLR's 64-bit length straight into a buffer, so a
    damaged length would size a huge allocation: every length is checked here first.
    Offsets are those of the LAS 1.0–1.4 public header block.
    """
    size = file_size(path)
    with open(path, "rb") as fh:
        head = fh.read(375)
    version = unpack_at(path, head, "<BB", 24, "version")
    header_size = check_range(path, "header_size", unpack_at(path, head, "<H", 94, "header_size"), 227, size)
    point_offset = check_range(path, "offset_to_point_data", unpack_at(path, head, "<I", 96, "offset_to_point_data"),
                               header_size, size)  # fmt: skip
    n_vlr = check_range(path, "number_of_vlrs", unpack_at(path, head, "<I", 100, "number_of_vlrs"),
                        0, (point_offset - header_size) // _VLR_HEADER)  # fmt: skip
    with open(path, "rb") as fh:
        pos = header_size
        for k in range(n_vlr):
            fh.seek(pos)
            length = unpack_at(path, fh.read(_VLR_HEADER), "<H", 20, f"VLR {k} record_length")
            pos = check_range(path, f"VLR {k} record_length", pos + _VLR_HEADER + length, 0, point_offset)
        if tuple(version) < (1, 4):
            return
        pos = unpack_at(path, head, "<Q", 235, "start_of_first_evlr")
        n_evlr = unpack_at(path, head, "<I", 243, "number_of_evlrs")
        if n_evlr:
            check_range(path, "start_of_first_evlr", pos, point_offset, size)
            check_range(path, "number_of_evlrs", n_evlr, 0, (size - pos) // _EVLR_HEADER)
        for k in range(n_evlr):
            fh.seek(pos)
            length = unpack_at(path, fh.read(_EVLR_HEADER), "<Q", 20, f"EVLR {k} record_length")
            pos = check_range(path, f"EVLR {k} record_length", pos + _EVLR_HEADER + length, 0, size)


def _read_las(path: Path) -> xr.Dataset:
    laspy = _laspy(path)
    _check_las_header(path)
    size = file_size(path)
    try:
        with laspy.open(path) as reader:
            header = reader.header
            compressed = bool(header.are_points_compressed)
            n = int(header.point_count)
            record = int(header.point_format.size)
            start = int(header.offset_to_point_data)
            if compressed and not laspy.LazBackend.detect_available():
                if path.suffix.lower() != ".laz":  # a damaged LAS header, most likely
                    raise FormatError(path, "point_format", "an uncompressed point format in a .las file",
                                      got=int(header.point_format.id))  # fmt: skip
                raise ImportError(
                    f"reading the compressed LAZ file {path} needs a LAZ backend: pip install 'laspy[lazrs]'"
                )
            if not compressed and start + n * record > size:
                raise FormatError(path, "point_count", f"{n} records of {record} bytes after byte {start} "
                                  f"(file of {size} bytes)", got=n)  # fmt: skip
            if compressed and n > MAX_LAZ_POINTS:  # no file size to check a compressed count against
                raise FormatError(path, "point_count", f"at most {MAX_LAZ_POINTS} points", got=n)
            las = reader.read()
            x, y, z = np.asarray(las.x), np.asarray(las.y), np.asarray(las.z)
            names = set(las.point_format.dimension_names)
            intensity = np.asarray(las.intensity) / _COUNTS_16 if "intensity" in names else None
            crs = header.parse_crs()
    except (FormatError, ImportError, MemoryError):
        raise
    except Exception as exc:  # laspy raises many kinds for a damaged file
        raise FormatError(path, "LAS data", "a readable LAS/LAZ file", got=f"{type(exc).__name__}: {exc}") from exc
    attrs = {"las_version": str(header.version), "las_point_format": int(header.point_format.id)}
    if crs is not None:
        attrs[cv.ATTR_CRS] = crs.to_wkt()
    return _points(path, "laz" if compressed else "las", x, y, z, intensity, attrs)


def _open3d(path):
    try:
        import open3d
    except ImportError as exc:
        raise ImportError(
            f"reading {os.fspath(path)} (PLY/PCD) needs the optional package open3d: pip install 'roadbed[pointcloud]'"
        ) from exc
    return open3d


def _read_open3d(path: Path, fmt: str) -> xr.Dataset:
    # open3d fills a truncated file's points with garbage and only prints a warning: check first
    n_expected = (check_ply if fmt == "ply" else check_pcd)(path)
    o3d = _open3d(path)
    try:
        cloud = o3d.t.io.read_point_cloud(os.fspath(path))
        attributes = {key: cloud.point[key].numpy() for key in cloud.point}
    except Exception as exc:  # open3d raises RuntimeError for a damaged file
        raise FormatError(path, f"{fmt.upper()} data", f"a readable {fmt.upper()} point cloud",
                          got=f"{type(exc).__name__}: {exc}") from exc  # fmt: skip
    positions = attributes.get("positions")
    if positions is None or positions.ndim != 2 or positions.shape[1] != 3 or positions.shape[0] == 0:
        raise FormatError(path, "points", "at least one point with x, y, z (open3d read none)",
                          got=None if positions is None else positions.shape)  # fmt: skip
    if positions.shape[0] != n_expected:
        raise FormatError(path, "points", f"the header's {n_expected} points", got=positions.shape[0])
    intensity = None
    for key in ("intensity", "intensities", "scalar_intensity", "scalar_Intensity"):
        if key in attributes:
            intensity = _intensity_01(path, attributes[key].reshape(-1), key)
            break
    return _points(path, fmt, positions[:, 0], positions[:, 1], positions[:, 2], intensity)


def _read_xyz(path: Path) -> xr.Dataset:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(path, "text", "plain text rows of x y z [intensity]", got="undecodable bytes") from exc
    rows = [line.split("#", 1)[0].replace(",", " ").split() for line in text.splitlines()]
    rows = [(i + 1, r) for i, r in enumerate(rows) if r]
    if not rows:
        raise FormatError(path, "points", "rows of x y z [intensity]", got="no data rows")
    n_cols = len(rows[0][1])
    if n_cols not in (3, 4):
        raise FormatError(path, f"line {rows[0][0]}", "3 (x y z) or 4 (x y z intensity) columns", got=n_cols)
    for line_no, r in rows:
        if len(r) != n_cols:
            raise FormatError(path, f"line {line_no}", f"{n_cols} columns like the first row", got=len(r))
    try:
        values = np.loadtxt(io.StringIO("\n".join(" ".join(r) for _, r in rows)), dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise FormatError(path, "values", "numbers in every column", got=str(exc)) from exc
    for col, name in enumerate(("x", "y", "z")):
        bad = np.flatnonzero(~np.isfinite(values[:, col]))
        if bad.size:
            raise FormatError(path, f"line {rows[bad[0]][0]}", f"a finite {name}", got=float(values[bad[0], col]))
    intensity = _intensity_01(path, values[:, 3]) if n_cols == 4 else None
    return _points(path, "xyz", values[:, 0], values[:, 1], values[:, 2], intensity)


def _sniff(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except IsADirectoryError as exc:
        raise FormatError(path, "file", "a file, not a folder") from exc
    for magic, fmt in _MAGIC.items():
        if head.startswith(magic):
            return fmt
    suffix = path.suffix.lower()
    if suffix == ".pcd" or head.startswith((b"# .PCD", b"VERSION")):
        return "pcd"
    if suffix in _POINT_EXTENSIONS and _POINT_EXTENSIONS[suffix] == "xyz":
        return "xyz"
    if not head:
        raise FormatError(path, "file size", "a non-empty file", got=0)
    raise FormatError(path, "content", "LAS/LAZ, PLY, PCD, XYZ text, or a PNG/JPEG/TIFF image",
                      got=head[:8])  # fmt: skip


def read_points(path) -> xr.Dataset:
    """Read a point cloud: LAS/LAZ, PLY, PCD or XYZ text.

    Parameters
    ----------
    path : str or os.PathLike
        The file. LAS/LAZ need ``laspy`` (LAZ also a LAZ backend, e.g.
        ``lazrs``); PLY/PCD need ``open3d``. An XYZ file holds whitespace- or
        comma-separated rows ``x y z [intensity]`` in m, ``#`` comments.

    Returns
    -------
    xarray.Dataset
        On dim ``"point"``: ``x``, ``y`` (m), ``elevation`` (mm, float64) and
        ``intensity`` (0–1, float32) where the file has it; attrs
        ``format``, ``source_file``, ``crs`` (where known), ``history``.

    Raises
    ------
    roadbed.FormatError
        For a file that is not a readable point cloud.
    ImportError
        Where the optional package a format needs is missing.
    """
    path = Path(os.fspath(path))
    fmt = _sniff(path)
    if fmt == "las":
        return _read_las(path)
    if fmt in ("ply", "pcd"):
        return _read_open3d(path, fmt)
    if fmt == "xyz":
        return _read_xyz(path)
    raise FormatError(path, "content", "a point cloud (LAS/LAZ, PLY, PCD, XYZ)", got=fmt)


def points_to_road(points: xr.Dataset, *, origin_xy_m=None, heading_deg: float = 0.0) -> xr.Dataset:
    """Map coordinates to the road-local frame.

    The inverse of :func:`roadbed.synth.write_pavement_las`: ``along`` runs
    from ``origin_xy_m`` at the map azimuth ``heading_deg`` (clockwise from
    north) and ``across`` points to its left::

        along  =  dx · sin h + dy · cos h
        across = −dx · cos h + dy · sin h      (dx, dy = x − x0, y − y0)

    Parameters
    ----------
    points : xarray.Dataset
        From :func:`read_points` (``x``, ``y`` in m).
    origin_xy_m : (float, float), optional
        Map position of along = 0, across = 0. Without it the points are
        road-local already: along = x, across = y.
    heading_deg : float
        Map azimuth of the along direction, degrees clockwise from north.

    Returns
    -------
    xarray.Dataset
        The points with ``along`` and ``across`` (m) in place of ``x`` and ``y``.
    """
    for name in (cv.X, cv.Y):
        if name not in points:
            raise ValueError(f"points need an {name!r} variable")
    if not math.isfinite(heading_deg):
        raise ValueError(f"heading_deg must be finite, got {heading_deg!r}")
    x = points[cv.X].values.astype(np.float64)
    y = points[cv.Y].values.astype(np.float64)
    if origin_xy_m is None:
        along, across = x, y
    else:
        x0, y0 = (float(v) for v in origin_xy_m)
        h = math.radians(heading_deg)
        dx, dy = x - x0, y - y0
        along = dx * math.sin(h) + dy * math.cos(h)
        across = -dx * math.cos(h) + dy * math.sin(h)
    out = points.drop_vars([cv.X, cv.Y])
    out[cv.ALONG] = (POINT, along, coord_attrs(cv.ALONG))
    out[cv.ACROSS] = (POINT, across, coord_attrs(cv.ACROSS))
    origin = None if origin_xy_m is None else [float(v) for v in origin_xy_m]
    return append_history(out, "points_to_road", origin_xy_m=origin, heading_deg=float(heading_deg))


# --- images -------------------------------------------------------------------------------------
def sidecar_path(path) -> Path:
    """The JSON side-car of a range image: ``NAME.json`` beside ``NAME.png``."""
    path = Path(os.fspath(path))
    return path.with_suffix(".json")


def _image_shape(path: Path, fmt: str) -> tuple[int, ...]:
    """The image's shape from its header alone, checked against :data:`MAX_IMAGE_PIXELS`."""
    try:
        if fmt == "tiff":
            import tifffile

            with tifffile.TiffFile(path) as tif:
                shape = tuple(int(s) for s in tif.pages[0].shape)
        else:
            from PIL import Image

            with Image.open(path) as im:
                shape = (int(im.size[1]), int(im.size[0]))
    except Exception as exc:
        raise FormatError(path, "image header", f"a readable {fmt.upper()} image",
                          got=f"{type(exc).__name__}: {exc}") from exc  # fmt: skip
    if len(shape) < 2 or any(s <= 0 for s in shape[:2]) or math.prod(shape[:2]) > MAX_IMAGE_PIXELS:
        raise FormatError(path, "image size", f"1 to {MAX_IMAGE_PIXELS} pixels", got=shape)
    return shape


def _read_image(path: Path, fmt: str) -> np.ndarray:
    _image_shape(path, fmt)
    try:
        from skimage import io as skio

        image = np.asarray(skio.imread(path))
    except MemoryError:
        raise
    except Exception as exc:  # a truncated or corrupt image: the decoders raise many kinds
        raise FormatError(path, "image data", f"a complete {fmt.upper()} image",
                          got=f"{type(exc).__name__}: {exc}") from exc  # fmt: skip
    if image.ndim < 2 or image.size == 0:
        raise FormatError(path, "image data", "a 2-D image", got=image.shape)
    return image


def _gray_01(path: Path, image: np.ndarray, field: str) -> np.ndarray:
    """An 8/16-bit (or float 0–1) grey or colour image as grey 0–1."""
    if image.ndim == 3 and image.shape[-1] in (3, 4):
        from skimage.color import rgb2gray

        scale = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): _COUNTS_16}.get(image.dtype, 1.0)
        return rgb2gray(image[..., :3].astype(np.float64) / scale).astype(np.float32)
    if image.ndim != 2:
        raise FormatError(path, field, "a grey or RGB image", got=image.shape)
    if image.dtype == np.uint8:
        return (image / 255.0).astype(np.float32)
    if image.dtype == np.uint16:
        return (image / _COUNTS_16).astype(np.float32)
    if image.dtype == np.bool_:
        return image.astype(np.float32)
    if image.dtype.kind == "f" and np.all(np.isfinite(image)) and image.min() >= 0 and image.max() <= 1:
        return image.astype(np.float32)
    raise FormatError(path, field, "8- or 16-bit unsigned pixels (or floats in 0–1)", got=str(image.dtype))


def _number(sidecar: Path, meta: dict, key: str, *, required: bool, default=None, positive=False, nonzero=False):
    if key not in meta:
        if required:
            raise FormatError(sidecar, key, "a number (required key)")
        return default
    value = meta[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FormatError(sidecar, key, "a number", got=value)
    value = float(value)
    if not math.isfinite(value):
        raise FormatError(sidecar, key, "a finite number", got=value)
    if positive and value <= 0:
        raise FormatError(sidecar, key, "a positive number", got=value)
    if nonzero and value == 0:
        raise FormatError(sidecar, key, "a non-zero number", got=value)
    return value


def _read_sidecar(sidecar: Path) -> dict:
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(sidecar, "JSON", "a JSON object", got=str(exc)) from exc
    if not isinstance(meta, dict):
        raise FormatError(sidecar, "JSON", "a JSON object", got=type(meta).__name__)
    if "pixel_size_mm" not in meta:
        raise FormatError(sidecar, "pixel_size_mm", "a number or [along, across] (required key)")
    size = meta["pixel_size_mm"]
    pair = size if isinstance(size, list) else [size]
    if len(pair) not in (1, 2) or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in pair):
        raise FormatError(sidecar, "pixel_size_mm", "a number or [along, across]", got=size)
    if not all(math.isfinite(v) and v > 0 for v in pair):
        raise FormatError(sidecar, "pixel_size_mm", "positive finite sizes", got=size)
    along_mm, across_mm = (float(pair[0]), float(pair[-1]))
    out = {
        "pixel_size_mm": (along_mm, across_mm),
        "elevation_mm_per_count": _number(sidecar, meta, "elevation_mm_per_count", required=True, nonzero=True),
        "elevation_offset_mm": _number(sidecar, meta, "elevation_offset_mm", required=False, default=0.0),
        "along_start_m": _number(sidecar, meta, "along_start_m", required=False, default=0.0),
        "across_start_m": _number(sidecar, meta, "across_start_m", required=False),
        "nodata_count": _number(sidecar, meta, "nodata_count", required=False),
        "intensity": None,
    }
    if "intensity" in meta and meta["intensity"] is not None:
        name = meta["intensity"]
        if not isinstance(name, str) or not name or Path(name).name != name:
            raise FormatError(sidecar, "intensity", "the file name of an image beside the side-car", got=name)
        out["intensity"] = sidecar.parent / name
    unknown = sorted(set(meta) - set(SIDECAR_KEYS))
    if unknown:
        logger.debug("%s: ignoring side-car keys %s", sidecar, unknown)
    return out


def read_range_image(path) -> xr.Dataset:
    """Read a range image (16-bit PNG/TIFF of elevation counts) and its JSON side-car.

    Parameters
    ----------
    path : str or os.PathLike
        The image; its side-car is :func:`sidecar_path` (keys: module docstring).

    Returns
    -------
    xarray.Dataset
        A scan: ``elevation`` (mm; NaN at ``nodata_count``) and ``intensity``
        (0–1, where the side-car names one) on ``("along", "across")``; rows
        are along the track.

    Raises
    ------
    roadbed.FormatError
        A missing or bad side-car key, an unreadable image, an intensity image of another size.
    """
    path = Path(os.fspath(path))
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        raise FormatError(path, "side-car", f"a JSON side-car {sidecar.name} beside the range image")
    meta = _read_sidecar(sidecar)
    fmt = _sniff(path)
    if fmt not in ("png", "tiff"):
        raise FormatError(path, "content", "a 16-bit PNG or TIFF range image", got=fmt)
    counts = _read_image(path, fmt)
    if counts.ndim != 2 or counts.dtype.kind not in "iuf":
        raise FormatError(path, "image data", "a single-channel image of integer counts",
                          got=f"{counts.dtype} {counts.shape}")  # fmt: skip
    elevation = counts.astype(np.float64) * meta["elevation_mm_per_count"] + meta["elevation_offset_mm"]
    if meta["nodata_count"] is not None:
        elevation[counts == meta["nodata_count"]] = np.nan
    intensity = None
    if meta["intensity"] is not None:
        ipath = meta["intensity"]
        if not ipath.is_file():
            raise FormatError(sidecar, "intensity", f"an existing image file {ipath.name}")
        ifmt = _sniff(ipath)
        if ifmt not in ("png", "tiff", "jpeg"):
            raise FormatError(ipath, "content", "an 8- or 16-bit PNG/TIFF/JPEG intensity image", got=ifmt)
        image = _read_image(ipath, ifmt)
        if image.shape[:2] != counts.shape:
            raise FormatError(ipath, "image size", f"the range image's {counts.shape[0]} × {counts.shape[1]} pixels",
                              got=image.shape[:2])  # fmt: skip
        intensity = _gray_01(ipath, image, "image data")
    n_a, n_c = counts.shape
    da, dc = (v * 1e-3 for v in meta["pixel_size_mm"])
    along = meta["along_start_m"] + np.arange(n_a) * da
    c0 = meta["across_start_m"] if meta["across_start_m"] is not None else -(n_c - 1) / 2.0 * dc
    across = c0 + np.arange(n_c) * dc
    attrs = {cv.ATTR_FORMAT: "range_image", cv.ATTR_SOURCE: os.fspath(path),
             ATTR_ALONG_SPACING: meta["pixel_size_mm"][0], ATTR_ACROSS_SPACING: meta["pixel_size_mm"][1],
             "elevation_mm_per_count": meta["elevation_mm_per_count"],
             "elevation_offset_mm": meta["elevation_offset_mm"]}  # fmt: skip
    scan = scan_dataset(elevation, intensity, along_m=along, across_m=across, attrs=attrs)
    return append_history(scan, "read", format="range_image", source_file=os.fspath(path))


def read_photo(path) -> xr.Dataset:
    """Read a photograph (JPEG/PNG/TIFF, grey or colour) as an intensity-only scan.

    The pixel size is unknown: the coordinates count pixels (``units`` "1")
    and :func:`pixel_size_mm` returns None.

    Returns
    -------
    xarray.Dataset
        ``intensity`` (0–1, float32) on ``("along", "across")`` = (rows, columns).
    """
    path = Path(os.fspath(path))
    fmt = _sniff(path)
    if fmt not in ("png", "jpeg", "tiff"):
        raise FormatError(path, "content", "a PNG, JPEG or TIFF photograph", got=fmt)
    gray = _gray_01(path, _read_image(path, fmt), "image data")
    attrs = {cv.ATTR_FORMAT: "photo", cv.ATTR_SOURCE: os.fspath(path)}
    scan = scan_dataset(None, gray, along_m=np.arange(gray.shape[0], dtype=np.float64),
                        across_m=np.arange(gray.shape[1], dtype=np.float64), attrs=attrs, pixel_units=True)  # fmt: skip
    return append_history(scan, "read", format="photo", source_file=os.fspath(path))


def _default_resolution_mm(points: xr.Dataset) -> float:
    """Cell size that puts about one point in a cell, rounded to 0.1 mm.

    The spacing d of a regular grid of n points over L × W (both ends
    included): n = (L/d + 1)(W/d + 1), the positive root of n d² − (L + W) d − L W = 0.
    """
    along, across = points[cv.ALONG].values, points[cv.ACROSS].values
    length, width = float(np.ptp(along)), float(np.ptp(across))
    n = along.size
    if n < 2 or length * width <= 0:
        return 1.0
    d = ((length + width) + math.sqrt((length + width) ** 2 + 4.0 * n * length * width)) / (2.0 * n)
    return max(0.1, round(d * 1e3, 1))


def read_scan(
    path,
    *,
    resolution_mm=None,
    origin_xy_m=None,
    heading_deg: float = 0.0,
    statistic: str = "mean",
    outlier_k: float | None = 6.0,
    fill_max_cells: int = 16,
) -> xr.Dataset:
    """Read any pavement input as a scan on ``("along", "across")``.

    Point clouds are moved into the road frame (:func:`points_to_road`) and
    rasterised (:func:`~roadbed.pavement.rasterise.rasterise_points`); a PNG
    or TIFF with a JSON side-car is a range image; an image without one is a
    photograph (intensity only, pixel size unknown).

    Parameters
    ----------
    path : str or os.PathLike
    resolution_mm : float or (float, float), optional
        Grid cell size for point clouds, mm; default about one point per cell.
    origin_xy_m, heading_deg
        Map position and azimuth of the road frame (:func:`points_to_road`);
        without ``origin_xy_m`` the points are road-local.
    statistic, outlier_k, fill_max_cells
        Passed to :func:`~roadbed.pavement.rasterise.rasterise_points`.

    Returns
    -------
    xarray.Dataset
    """
    path = Path(os.fspath(path))
    fmt = _sniff(path)
    if fmt in ("png", "tiff", "jpeg"):
        if fmt != "jpeg" and sidecar_path(path).is_file():
            return read_range_image(path)
        return read_photo(path)
    from .rasterise import rasterise_points

    points = points_to_road(read_points(path), origin_xy_m=origin_xy_m, heading_deg=heading_deg)
    if resolution_mm is None:
        resolution_mm = _default_resolution_mm(points)
        logger.info("%s: rasterising at %.1f mm (about one point per cell)", path, resolution_mm)
    try:
        return rasterise_points(points, resolution_mm=resolution_mm, statistic=statistic, outlier_k=outlier_k,
                                fill_max_cells=fill_max_cells)  # fmt: skip
    except ValueError as exc:
        if "larger than" in str(exc):
            raise FormatError(path, "point extent", "points spread over a grid that fits in memory",
                              got=str(exc)) from exc  # fmt: skip
        raise
