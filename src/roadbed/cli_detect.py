"""``roadbed detect PATH_OR_MANIFEST... [--json]``: pipes and cavities found in radargrams.

Runs :func:`roadbed.detect.detect`: the default recipe (time zero found from
the data, automatic velocity), responses in every B-scan, their
classification, and pipes/cavities linked across channels and lines. Without
``--json`` prints one line per detection; ``--json`` prints one JSON list
(:func:`roadbed.detect.json_items`: ``kind``, ``x_m``, ``y_m``, ``depth_m``,
``width_m``, ``confidence``, ``source``, and ``polyline`` / ``extent`` where
linked across several B-scans).

Registered with :func:`roadbed.cli.subcommand` when :mod:`roadbed.cli` imports this module.
"""

from __future__ import annotations

import argparse
import json

from .cli import ANTENNA_ARGUMENTS, arg, report_error, subcommand
from .errors import FormatError

__all__: list[str] = []


@subcommand(
    "detect",
    help="find buried pipes and cavities in radargram files and survey manifests",
    arguments=[
        arg("paths", nargs="+", metavar="PATH_OR_MANIFEST", help="radargram files or survey manifests (.toml)"),
        arg("--json", action="store_true", help="print one JSON list of detections"),
        arg("--recipe", default=None, help="processing recipe TOML (default: the urban default recipe)"),
        arg("--min-snr", type=float, default=None, metavar="X", help="detection threshold (default: the library's)"),
        arg("--max-depth", type=float, default=None, metavar="M",
            help="deepest top reported, m (default: roadbed.detect.pipeline.MAX_DEPTH_M, 3 m)"),
        *ANTENNA_ARGUMENTS,
    ],
)
def _detect(args: argparse.Namespace) -> int:
    from .detect import detect, json_items

    depth = {} if args.max_depth is None else {"max_depth_m": args.max_depth}
    try:
        found = detect(args.paths, recipe=args.recipe, min_snr=args.min_snr, antenna_height_m=args.antenna_height,
                       antenna_separation_m=args.antenna_separation, **depth)  # fmt: skip
    except (FormatError, OSError, ValueError) as exc:
        report_error("detect", exc, " ".join(args.paths))
        return 1
    items = json_items(found)
    if args.json:
        print(json.dumps(items))
        return 0
    if not items:
        print("no pipe, cavity or other response found")
    for it in items:
        width = "?" if it["width_m"] is None else f"{it['width_m']:.2f} m"
        print(f"{it['kind']:<6} x {it['x_m']:7.2f} m  y {it['y_m']:6.2f} m  depth {it['depth_m']:5.2f} m  "
              f"width {width:>7}  confidence {it['confidence']:.2f}  {it['source']}")
    return 0
