"""The ``roadbed`` command line.

Every subcommand is one function registered with :func:`subcommand`, which
also declares its arguments::

    @subcommand("demo", help="write a synthetic survey", arguments=[arg("out", help="folder")])
    def _demo(args) -> int:
        ...
        return 0

Commands that take radargram files declare :data:`INPUTS`, and get files and
survey manifests alike through :func:`roadbed.survey.expand_inputs`.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from . import __version__
from . import conventions as cv
from .errors import FormatError
from .survey import SurveyLine, expand_inputs

__all__ = [
    "INFO_KEYS",
    "INPUTS",
    "arg",
    "build_parser",
    "describe",
    "iter_inputs",
    "main",
    "report_error",
    "subcommand",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Subcommand:
    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    arguments: tuple


_SUBCOMMANDS: dict[str, _Subcommand] = {}


def arg(*flags, **kwargs) -> tuple:
    """One argument of a subcommand, as for :meth:`argparse.ArgumentParser.add_argument`."""
    return (flags, kwargs)


#: the positional argument of every command that reads radargrams
INPUTS = arg("paths", nargs="+", metavar="PATH", help="radargram files or survey manifests (.toml)")


def subcommand(name: str, *, help: str, arguments: Sequence[tuple] = ()):
    """Register the decorated ``run(args) -> int`` as ``roadbed NAME``.

    Parameters
    ----------
    name : str
        The subcommand's name on the command line.
    help : str
        One line shown by ``roadbed --help``.
    arguments : sequence of tuple
        Its arguments, each made by :func:`arg`.
    """

    def register(run: Callable[[argparse.Namespace], int]):
        _SUBCOMMANDS[name] = _Subcommand(name, help, run, tuple(arguments))
        return run

    return register


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="roadbed",
        description="Find hazards in and under city roads from 3D GPR arrays and laser pavement scans.",
    )
    parser.add_argument("--version", action="version", version=f"roadbed {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log messages (-vv for debug)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for cmd in _SUBCOMMANDS.values():
        sub = commands.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        for flags, kwargs in cmd.arguments:
            sub.add_argument(*flags, **kwargs)
        sub.set_defaults(_run=cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 a bad input, 2 usage)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    return int(args._run(args))


def report_error(command: str, exc: Exception, path) -> None:
    """Print ``exc`` (naming ``path``) on stderr as ``roadbed COMMAND: message``."""
    if isinstance(exc, FormatError):
        message = str(exc)
    else:
        message = f"{path}: {getattr(exc, 'strerror', None) or exc}"
    print(f"roadbed {command}: {message}", file=sys.stderr)


def iter_inputs(command: str, paths) -> Iterator[SurveyLine | None]:
    """Each input line of ``paths`` in argument order, or None for a bad path.

    A path that cannot be expanded (a bad manifest) is reported on stderr and
    yields None, so that one bad input does not stop the rest.
    """
    for path in paths:
        try:
            lines = expand_inputs([path])
        except (FormatError, OSError) as exc:
            report_error(command, exc, path)
            yield None
            continue
        yield from lines


# --- info --------------------------------------------------------------------------------

#: the keys of each object printed by ``roadbed info --json``
INFO_KEYS = (
    "path",
    "format",
    "n_channels",
    "n_traces",
    "n_samples",
    "sample_interval_ns",
    "time_window_ns",
    "frequency_hz",
    "trace_spacing_m",
    "has_positions",
)

_POSITION_COORDS = (cv.DISTANCE, cv.X, cv.Y, cv.LON, cv.LAT)


def _positive(value) -> float | None:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        value = float(value)
        if math.isfinite(value) and value > 0:
            return value
    return None


def describe(line: SurveyLine) -> dict:
    """The facts ``roadbed info`` reports for one input (keys :data:`INFO_KEYS`).

    Attributes the reader set are preferred; where absent, the sample interval
    and time window (``n_samples`` × interval) follow from the ``twt``
    coordinate and the trace spacing from the median step of ``distance``.
    Unknown values are None.
    """
    da = line.data
    n_samples = da.sizes[cv.TWT]
    twt = np.asarray(da.coords[cv.TWT].values, float) if cv.TWT in da.coords else None
    dt = _positive(da.attrs.get(cv.ATTR_SAMPLE_INTERVAL))
    if dt is None and twt is not None and n_samples >= 2:
        dt = _positive((twt[-1] - twt[0]) / (n_samples - 1))
    window = _positive(da.attrs.get(cv.ATTR_TIME_WINDOW))
    if window is None and dt is not None:
        window = dt * n_samples
    spacing = _positive(da.attrs.get(cv.ATTR_TRACE_SPACING))
    if spacing is None and cv.DISTANCE in da.coords and da.sizes[cv.TRACE] >= 2:
        steps = np.abs(np.diff(np.asarray(da.coords[cv.DISTANCE].values, float)))
        steps = steps[np.isfinite(steps)]
        spacing = _positive(np.median(steps)) if steps.size else None
    return {
        "path": str(line.path),
        "format": line.format,
        "n_channels": int(da.sizes.get(cv.CHANNEL, 1)),
        "n_traces": int(da.sizes[cv.TRACE]),
        "n_samples": int(n_samples),
        "sample_interval_ns": dt,
        "time_window_ns": window,
        "frequency_hz": _positive(da.attrs.get(cv.ATTR_FREQUENCY)),
        "trace_spacing_m": spacing,
        "has_positions": any(name in da.coords for name in _POSITION_COORDS),
    }


def _text(value, unit: str = "", scale: float = 1.0) -> str:
    if value is None:
        return "unknown"
    return f"{value / scale:.6g} {unit}".rstrip()


def _info_text(facts: dict, positions: list[str]) -> str:
    rows = [
        ("format", facts["format"]),
        ("channels", facts["n_channels"]),
        ("traces", facts["n_traces"]),
        ("samples", facts["n_samples"]),
        ("sample interval", _text(facts["sample_interval_ns"], "ns")),
        ("time window", _text(facts["time_window_ns"], "ns")),
        ("centre frequency", _text(facts["frequency_hz"], "MHz", 1e6)),
        ("trace spacing", _text(facts["trace_spacing_m"], "m")),
        ("positions", ", ".join(positions) if positions else "none"),
    ]
    return "\n".join([facts["path"]] + [f"  {name:<17} {value}" for name, value in rows])


@subcommand(
    "info",
    help="describe radargram files: format, size, sampling, positions",
    arguments=[INPUTS, arg("--json", action="store_true", help="print a JSON list of objects")],
)
def _info(args: argparse.Namespace) -> int:
    failed = False
    reports = []
    for line in iter_inputs("info", args.paths):
        if line is None:
            failed = True
            continue
        try:
            facts = describe(line)
        except (FormatError, OSError) as exc:
            report_error("info", exc, line.path)
            failed = True
            continue
        if args.json:
            reports.append(facts)
        else:
            positions = [name for name in _POSITION_COORDS if name in line.data.coords]
            print(_info_text(facts, positions))
    if args.json:
        print(json.dumps(reports, indent=2))
    return 1 if failed else 0


@subcommand(
    "demo",
    help="run the sample survey end to end: read, position, plot B-scans, a depth slice and the map, save netCDF",
    arguments=[
        arg("--out", default="demo_output", help="folder for the outputs (default: demo_output)"),
        arg("--manifest", default=None, help="a survey manifest instead of the sample survey"),
    ],
)
def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    summary = run_demo(args.out, manifest=args.manifest)
    print(f"demo survey {summary['survey']!r} ({summary['manifest']}): {len(summary['lines'])} lines, "
          f"{summary['truth']} ground-truth hazards")
    for path in summary["outputs"]:
        print(f"  wrote {path}")
    return 0
