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
from pathlib import Path

import numpy as np

from . import __version__
from . import conventions as cv
from .errors import FormatError
from .survey import MANIFEST_SUFFIX, LineEntry, SurveyLine, expand_inputs, open_survey

__all__ = [
    "INFO_KEYS",
    "INPUTS",
    "VELOCITY_KEYS",
    "arg",
    "build_parser",
    "describe",
    "iter_inputs",
    "main",
    "process",
    "report_error",
    "subcommand",
    "velocity_report",
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


# --- process -----------------------------------------------------------------------------

#: output suffixes of ``roadbed process`` and the formats they select
PROCESS_SUFFIXES = (".nc", ".zarr")


def process(
    source,
    out,
    *,
    recipe=None,
    per_line: bool = False,
    along_step_m: float | None = None,
    across_step_m: float | None = None,
    method: str = "bin",
    max_gap_m: float | None = None,
) -> list[Path]:
    """What ``roadbed process`` does: apply a recipe, grid a survey, save.

    A radargram file is processed and saved to ``out``. A survey manifest
    (``.toml``) has every line positioned (:func:`roadbed.open_survey`) and
    processed; the lines are then gridded into one volume saved to ``out``
    (:func:`roadbed.gpr.grid.grid_survey`; cell sizes default to the
    survey's sampling, :func:`roadbed.gpr.grid.default_steps`), or with
    ``per_line`` each line is saved beside ``out`` as ``OUT_<line file
    stem>.nc|.zarr``. The recipe is validated before any file is read.

    Parameters
    ----------
    source : str or os.PathLike
        A radargram file or a survey manifest.
    out : str or os.PathLike
        ``.nc`` (netCDF) or ``.zarr``.
    recipe : path, str, dict or Recipe, optional
        Default :func:`roadbed.gpr.recipe.default_recipe`.
    per_line, along_step_m, across_step_m, method, max_gap_m
        See above and :func:`roadbed.gpr.grid.grid_survey`.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from .gpr.grid import default_steps, grid_survey
    from .gpr.recipe import apply_recipe, default_recipe, load_recipe, validate_recipe
    from .io import write

    source, out = Path(source), Path(out)
    if out.suffix.lower() not in PROCESS_SUFFIXES:
        raise FormatError(out, "extension", f"one of {PROCESS_SUFFIXES} for the output", got=out.suffix)
    recipe = validate_recipe(default_recipe() if recipe is None else load_recipe(recipe))
    if source.suffix.lower() != MANIFEST_SUFFIX:
        line = SurveyLine(LineEntry(index=0, path=source))
        return [write(apply_recipe(line.data, recipe), out)]
    survey = open_survey(source)
    processed = []
    for line in survey.lines:
        logger.info("processing %s with recipe %r", line.path, recipe.name)
        processed.append(apply_recipe(line.profile, recipe))
    if per_line:
        return [write(da, out.with_name(f"{out.stem}_{line.path.stem}{out.suffix}"))
                for line, da in zip(survey.lines, processed, strict=True)]
    if along_step_m is None or across_step_m is None:
        along_default, across_default = default_steps(processed)
        along_step_m = along_default if along_step_m is None else along_step_m
        across_step_m = across_default if across_step_m is None else across_step_m
    volume = grid_survey(processed, along_step_m=along_step_m, across_step_m=across_step_m, method=method,
                         max_gap_m=max_gap_m)
    return [write(volume, out)]


@subcommand(
    "process",
    help="process a radargram or a survey with a recipe; a survey's lines are gridded into one volume",
    arguments=[
        arg("input", metavar="INPUT_OR_MANIFEST", help="a radargram file or a survey manifest (.toml)"),
        arg("--recipe", default=None, help="recipe TOML file (default: the urban default recipe)"),
        arg("--out", required=True, help="output: OUT.nc (netCDF) or OUT.zarr"),
        arg("--per-line", action="store_true",
            help="with a manifest: save each processed line as OUT_<file stem>.nc|.zarr instead of one volume"),
        arg("--along-step", type=float, default=None, metavar="M",
            help="cell size along, m (default: the median trace spacing)"),
        arg("--across-step", type=float, default=None, metavar="M",
            help="cell size across, m (default: the channel spacing)"),
        arg("--method", choices=("bin", "idw", "linear"), default="bin", help="gridding method (default: bin)"),
        arg("--max-gap", type=float, default=None, metavar="M",
            help="idw/linear: cells farther than this from every trace stay empty (default: 2 cells)"),
    ],
)
def _process(args: argparse.Namespace) -> int:
    try:
        written = process(args.input, args.out, recipe=args.recipe, per_line=args.per_line,
                          along_step_m=args.along_step, across_step_m=args.across_step, method=args.method,
                          max_gap_m=args.max_gap)
    except (FormatError, OSError, ValueError) as exc:
        report_error("process", exc, args.input)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


# --- velocity ----------------------------------------------------------------------------

#: options that state the antenna geometry where the file does not (gprMax models, air-launched antennas)
ANTENNA_ARGUMENTS = (
    arg("--antenna-height", type=float, default=None, metavar="M",
        help="height of the antennas above the ground, m (default: the file's, else 0: ground-coupled)"),
    arg("--antenna-separation", type=float, default=None, metavar="M",
        help="transmitter-receiver separation, m (default: the file's, else 0)"),
)

#: the keys of the object printed by ``roadbed velocity --json``
VELOCITY_KEYS = ("velocity_m_per_ns", "uncertainty_m_per_ns", "relative_permittivity")


def _time_zero_at_surface(da) -> bool:
    """True where the file says its twt = 0 is the ground surface (``time_zero_ns`` all 0)."""
    value = da.attrs.get(cv.ATTR_TIME_ZERO)
    if value is None:
        return False
    try:
        values = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return values.size > 0 and bool(np.all(values == 0.0))


def velocity_report(da) -> dict:
    """The ground velocity of a radargram, as ``roadbed velocity`` prints it (keys :data:`VELOCITY_KEYS`).

    Where the radargram's time zero is not at the ground surface
    (``attrs['time_zero_ns']`` absent or not 0), it is first found in the data
    with :func:`roadbed.gpr.timezero.align_time_zero`. The velocity comes from
    :func:`roadbed.gpr.velocity.estimate_velocity`; the relative permittivity
    from its result, else ``(c / v)²``; the uncertainty is None where the
    estimate gives none or cannot bound it (infinite).
    """
    from .gpr.recipe import DEFAULT_STEPS, measurement_value
    from .gpr.velocity import antenna_geometry, estimate_velocity

    if not _time_zero_at_surface(da):
        from .gpr.spectral import with_frequency
        from .gpr.timezero import align_time_zero

        da = align_time_zero(with_frequency(da))
    result = estimate_velocity(da, **antenna_geometry(da))
    provides = DEFAULT_STEPS["estimate_velocity"][1]
    values = {}
    for key in VELOCITY_KEYS:
        try:
            values[key] = measurement_value(result, key, provides=provides)
        except KeyError:
            values[key] = None
    v = values["velocity_m_per_ns"]
    if not isinstance(v, float) or not (math.isfinite(v) and v > 0):
        raise ValueError(f"the velocity estimate is not a positive number: {v!r}")
    if values["relative_permittivity"] is None:
        values["relative_permittivity"] = (cv.C_M_PER_NS / v) ** 2
    dv = values["uncertainty_m_per_ns"]
    if not (isinstance(dv, float) and math.isfinite(dv)):
        values["uncertainty_m_per_ns"] = None  # the method could not bound it (JSON has no infinity)
    return values


@subcommand(
    "velocity",
    help="estimate the ground velocity (m/ns) and relative permittivity from a radargram's diffractions",
    arguments=[
        arg("path", metavar="PATH", help="a radargram file"),
        arg("--json", action="store_true", help="print a JSON object"),
        *ANTENNA_ARGUMENTS,
    ],
)
def _velocity(args: argparse.Namespace) -> int:
    line = SurveyLine(LineEntry(index=0, path=Path(args.path), antenna_height_m=args.antenna_height,
                                antenna_separation_m=args.antenna_separation))  # fmt: skip
    try:
        report = velocity_report(line.profile)
    except ImportError as exc:
        print(f"roadbed velocity: velocity estimation is not available: {exc}", file=sys.stderr)
        return 1
    except (FormatError, OSError, ValueError) as exc:
        report_error("velocity", exc, args.path)
        return 1
    if args.json:
        print(json.dumps(report))
    else:
        dv = report["uncertainty_m_per_ns"]
        spread = f" ± {dv:.4f}" if dv is not None else ""
        print(f"{args.path}: velocity {report['velocity_m_per_ns']:.4f}{spread} m/ns, "
              f"relative permittivity {report['relative_permittivity']:.2f}")
    return 0


# subcommands defined in their own modules register themselves on import
from . import cli_cracks, cli_detect, cli_pavement  # noqa: E402,F401
