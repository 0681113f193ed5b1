"""``roadbed pavement INPUT [--json]``: ruts, potholes, macrotexture (and cracks) of one scan.

Registered with :func:`roadbed.cli.subcommand` when :mod:`roadbed.cli` imports this module.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import logging

from .cli import arg, report_error, subcommand
from .errors import FormatError

__all__ = ["pavement_report"]

logger = logging.getLogger(__name__)

_CRACKS_MODULE = "roadbed.pavement.cracks"


def _measure_cracks():
    """``roadbed.pavement.cracks.crack_summary`` (detect + measure) where that module exists, else None."""
    if importlib.util.find_spec(_CRACKS_MODULE) is None:
        return None
    return getattr(importlib.import_module(_CRACKS_MODULE), "crack_summary", None)


def pavement_report(path: str, *, resolution_mm=None, origin_xy_m=None, heading_deg: float = 0.0,
                    rut_interval_m: float = 1.0, zones=None) -> dict:  # fmt: skip
    """Read one input and measure it: the object ``roadbed pavement --json`` prints.

    Parameters
    ----------
    path : str
        A point cloud, range image or photograph (:func:`roadbed.pavement.read_scan`).
    resolution_mm, origin_xy_m, heading_deg
        Passed to :func:`roadbed.pavement.read_scan`.
    rut_interval_m : float
        Rut station spacing, m.
    zones : roadbed.pavement.LaneZones, optional
        The lane.

    Returns
    -------
    dict
        ``input``, ``ruts``, ``potholes``, ``mpd_mm`` and, where the crack
        module is installed, ``cracks``.
    """
    from .pavement import measure_pavement, read_scan

    scan = read_scan(path, resolution_mm=resolution_mm, origin_xy_m=origin_xy_m, heading_deg=heading_deg)
    report = measure_pavement(scan, input=str(path), rut_interval_m=rut_interval_m, zones=zones)
    measure_cracks = _measure_cracks()
    if measure_cracks is not None:
        report["cracks"] = measure_cracks(scan)
    return report


def _number(value, unit: str) -> str:
    return "—" if value is None else f"{value:.1f} {unit}"


def _text(report: dict) -> str:
    lines = [str(report["input"]), f"  mean profile depth  {_number(report['mpd_mm'], 'mm')}"]
    lines.append(f"  ruts ({len(report['ruts'])})" + ("" if report["ruts"] else ": none measured"))
    for r in report["ruts"]:
        straightedge, wire = _number(r["depth_straightedge_mm"], "mm"), _number(r["depth_wire_mm"], "mm")
        lines.append(f"    {r['along_m']:8.2f} m  {r['wheel_path']:<5}  straightedge {straightedge:>9}  wire {wire:>9}")
    lines.append(f"  potholes ({len(report['potholes'])})")
    for p in report["potholes"]:
        lines.append(f"    {p['along_m']:8.2f} m  across {p['across_m']:+.2f} m  {p['area_m2']:.3f} m²  "
                     f"max {p['max_depth_mm']:.1f} mm  mean {p['mean_depth_mm']:.1f} mm  {p['severity']}")  # fmt: skip
    if isinstance(report.get("cracks"), dict) and "n_cracks" in report["cracks"]:
        lines.append(f"  cracks  {report['cracks']['n_cracks']}")
    return "\n".join(lines)


@subcommand(
    "pavement",
    help="measure a pavement scan (point cloud, range image or photo): ruts, potholes, texture and cracks",
    arguments=[
        arg("input", metavar="INPUT", help="LAS/LAZ, PLY, PCD, XYZ, a range image with its JSON side-car, or a photo"),
        arg("--json", action="store_true", help="print one JSON object"),
        arg("--resolution-mm", type=float, nargs="+", metavar="MM", default=None,
            help="grid cell of point clouds, mm: one number or ALONG ACROSS (default: about one point per cell)"),
        arg("--origin", type=float, nargs=2, metavar=("X", "Y"), default=None,
            help="map position of along = 0 of a point cloud in map coordinates (default: road-local points)"),
        arg("--heading-deg", type=float, default=0.0, help="map azimuth of the along direction, degrees from north"),
        arg("--rut-interval-m", type=float, default=1.0, help="rut station spacing, m (default 1)"),
        arg("--lane-width-m", type=float, default=None, help="lane width, m (default 3.66)"),
        arg("--lane-centre-m", type=float, default=0.0, help="across position of the lane centre, m (default 0)"),
    ],
)  # fmt: skip
def _pavement(args: argparse.Namespace) -> int:
    from .pavement import LaneZones

    resolution = args.resolution_mm
    if resolution is not None and len(resolution) not in (1, 2):
        report_error("pavement", ValueError("--resolution-mm takes one number or ALONG ACROSS"), args.input)
        return 2
    if resolution is not None:
        resolution = resolution[0] if len(resolution) == 1 else tuple(resolution)
    try:
        zones = LaneZones(lane_width_m=args.lane_width_m or LaneZones.lane_width_m, centre_m=args.lane_centre_m)
        report = pavement_report(args.input, resolution_mm=resolution, origin_xy_m=args.origin,
                                 heading_deg=args.heading_deg, rut_interval_m=args.rut_interval_m,
                                 zones=zones)  # fmt: skip
    except (FormatError, OSError, ImportError, ValueError) as exc:
        report_error("pavement", exc, args.input)
        return 1
    print(json.dumps(report, indent=2) if args.json else _text(report))
    return 0
