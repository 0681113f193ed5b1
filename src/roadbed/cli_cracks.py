"""``roadbed cracks INPUT... --out DIR [--json]``: crack masks and crack measurements.

For each input — a photograph (JPEG/PNG), a range image with its JSON
side-car, a point cloud, or a pavement scan saved as netCDF/zarr — writes
``DIR/NAME_cracks.png``, a binary mask of the same size as the input image
or grid (crack = 255, rows along the road), and with ``--json`` prints one
JSON object per input (:data:`CRACK_JSON_KEYS`).

Registered with :func:`roadbed.cli.subcommand` when :mod:`roadbed.cli` imports this module.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path

import numpy as np

from .cli import arg, report_error, subcommand
from .errors import FormatError

__all__ = ["CRACK_JSON_KEYS", "read_input", "crack_mask_path", "write_mask", "crack_json"]

logger = logging.getLogger(__name__)

#: keys of each object ``roadbed cracks --json`` prints
CRACK_JSON_KEYS = ("input", "mask", "n_cracks", "total_length_m", "mean_width_mm", "max_width_mm", "types",
                   "pixel_size_mm")  # fmt: skip

_ARCHIVE_SUFFIXES = (".nc", ".nc4", ".h5", ".zarr")


def read_input(path):
    """A scan (Dataset) from any crack input: netCDF/zarr scans, range images, photographs, point clouds."""
    import xarray as xr

    from . import conventions as cv

    path = Path(os.fspath(path))
    if path.suffix.lower() in _ARCHIVE_SUFFIXES:
        from .io.netcdf import load

        obj = load(path)
        if isinstance(obj, xr.DataArray):
            if set(obj.dims) != {cv.ALONG, cv.ACROSS}:
                raise FormatError(path, "dims", f"a pavement scan on ({cv.ALONG}, {cv.ACROSS})", got=obj.dims)
            obj = obj.to_dataset(name=cv.INTENSITY if obj.name != cv.ELEVATION else cv.ELEVATION)
        if not ({cv.ELEVATION, cv.INTENSITY} & set(obj.data_vars)) or set(obj.dims) != {cv.ALONG, cv.ACROSS}:
            raise FormatError(path, "variables", f"a pavement scan: {cv.ELEVATION!r} and/or {cv.INTENSITY!r} "
                              f"on ({cv.ALONG}, {cv.ACROSS})", got=sorted(obj.data_vars))  # fmt: skip
        return obj
    from .pavement import read_scan

    return read_scan(path)


def crack_mask_path(out_dir, input_path) -> Path:
    """``DIR/NAME_cracks.png`` for an input ``.../NAME.ext``."""
    name = Path(os.fspath(input_path)).name
    for suffix in (".zarr", ".nc", ".nc4", ".h5", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".las", ".laz", ".ply",
                   ".pcd", ".xyz"):  # fmt: skip
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return Path(out_dir) / f"{name}_cracks.png"


def write_mask(mask, path) -> Path:
    """A crack mask as an 8-bit PNG (crack = 255), rows along the road."""
    import imageio.v3 as iio

    path = Path(path)
    values = np.asarray(getattr(mask, "values", mask), dtype=bool)
    iio.imwrite(path, (values.astype(np.uint8) * 255))
    return path


def crack_json(report, *, input_path=None, mask_path=None) -> dict:
    """The ``roadbed cracks --json`` object of a :class:`~roadbed.pavement.cracks.CrackReport`."""
    return {"input": None if input_path is None else str(input_path),
            "mask": None if mask_path is None else str(mask_path), **report.brief()}  # fmt: skip


def _text(obj: dict) -> str:
    unit = "" if obj["pixel_size_mm"] is not None else " (pixel size unknown: 1 px counted as 1 mm)"
    width = "—"
    if obj["mean_width_mm"] is not None:
        width = f"{obj['mean_width_mm']:.1f} mm mean, {obj['max_width_mm']:.1f} mm max"
    types = ", ".join(f"{k} {v}" for k, v in obj["types"].items())
    return (f"{obj['input']}: {obj['n_cracks']} cracks, {obj['total_length_m']:.3f} m, {width}{unit}; {types}\n"
            f"  wrote {obj['mask']}")  # fmt: skip


@subcommand(
    "cracks",
    help="find cracks in photographs and pavement scans: write DIR/NAME_cracks.png masks and measure them",
    arguments=[
        arg("inputs", nargs="+", metavar="INPUT",
            help="photographs (JPEG/PNG), range images with side-car, point clouds, or netCDF/zarr pavement scans"),
        arg("--out", required=True, metavar="DIR", help="folder for the NAME_cracks.png masks"),
        arg("--json", action="store_true", help="print a JSON list, one object per input"),
    ],
)  # fmt: skip
def _cracks(args: argparse.Namespace) -> int:
    from .pavement.cracks import detect_cracks, measure_cracks

    out_dir = Path(args.out)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        report_error("cracks", exc, out_dir)
        return 1
    failed = False
    objects = []
    for path in args.inputs:
        try:
            scan = read_input(path)
            mask = detect_cracks(scan)
            report = measure_cracks(mask, source=str(path))
            mask_path = write_mask(mask, crack_mask_path(out_dir, path))
        except (FormatError, OSError, ValueError) as exc:
            report_error("cracks", exc, path)
            failed = True
            continue
        obj = crack_json(report, input_path=path, mask_path=mask_path)
        if args.json:
            objects.append(obj)
        else:
            print(_text(obj))
    if args.json:
        print(json.dumps(objects, indent=2))
    return 1 if failed else 0
