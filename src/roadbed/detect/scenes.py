"""A reproducible suite of synthetic scenes with known answers, to train and evaluate detection.

Every scene is drawn from its own random stream, fixed by ``(seed, split,
kind, index)``: the same arguments give the same radargram and truth on
any machine, the ``"train"`` and ``"test"`` splits are independent draws
(never the same scene), and scene ``i`` does not depend on how many scenes
are asked for.

A scene is a single line (``kind="line"``, one B-scan at across 0) or a
small array (``kind="array"``, 8–12 channels) over :data:`DEFAULT_LAYERS`
or random layering (asphalt 0.05–0.15 m, ε 4–6; base 0.2–0.4 m, ε 6–9;
subgrade ε 8–20), holding

* pipes: radius 0.02–0.15 m, metal, water-filled or air-filled plastic, top
  at 0.3–1.2 m, crossing the line at right angles (lines) or at a plan angle
  of 0–50° either way (arrays), through the whole survey;
* cavities: air or water, box or ellipsoid, top at 0.3–1.0 m, 0.3–1.2 m
  long, 0.1–0.4 m high, crossed by the line (lines) or inside the array's
  strip (arrays);
* stones (:func:`roadbed.synth.random_stones`, kept ≥ ``stone_clearance_m``
  along track from any pipe or cavity) and white noise.

Pipes and cavities are placed so that their along-track footprints (a
cavity's length, an angled pipe's along-track span over the array) are at
least ``min_gap_m`` (0.6 m) apart and at least ``margin_m`` from the ends of
the survey, so each true object is unambiguous. A fraction of the scenes
(``negative_fraction``, every fifth by default) are *negative*: layers,
stones and noise only, no pipe or cavity.

::

    from roadbed.detect.scenes import evaluation_scenes
    for name, radargram, truth, length_m in evaluation_scenes(30, seed=0, kind="line", split="test"):
        ...
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import xarray as xr

from .. import conventions as cv
from ..hazards import Hazard
from ..model import append_history
from ..synth import DEFAULT_LAYERS, Cavity, GprScene, Layer, Pipe, random_stones, synthetic_line, synthetic_survey

__all__ = [
    "KINDS",
    "SPLITS",
    "EvaluationScene",
    "SceneSpec",
    "evaluation_scene",
    "evaluation_scenes",
    "is_negative",
    "random_layers",
    "scene_rng",
    "scene_spec",
]

logger = logging.getLogger(__name__)

#: the scene geometries
KINDS = ("line", "array")
#: the independent scene streams; train a detector on one, evaluate on the other
SPLITS = ("train", "test")

_KIND_CODE = {"line": 1, "array": 2}
_SPLIT_CODE = {"train": 11, "test": 22}

PIPE_RADIUS_RANGE_M = (0.02, 0.15)
PIPE_DEPTH_RANGE_M = (0.3, 1.2)
PIPE_MATERIALS = ("metal", "water", "plastic")
CAVITY_DEPTH_RANGE_M = (0.3, 1.0)
CAVITY_LENGTH_RANGE_M = (0.3, 1.2)
CAVITY_HEIGHT_RANGE_M = (0.1, 0.4)
CAVITY_FILLS = ("air", "water")
CAVITY_SHAPES = ("box", "ellipsoid")


class EvaluationScene(NamedTuple):
    """One scene of the suite (unpacks as ``name, radargram, truth, surveyed_length_m``).

    Attributes
    ----------
    name : str
        ``"{kind}-{split}-s{seed}-{index:03d}"``, with ``"-negative"`` appended for a negative scene.
    radargram : xarray.DataArray
        dims ("trace", "twt") for a line, ("channel", "trace", "twt") for an
        array; float32, raw (not processed), with ``source_file`` = ``name``.
    truth : list of Hazard
        Pipes, cavities and stones (kind ``"other"``) inside the surveyed area.
    surveyed_length_m : float
        Along-track length of the survey, m.
    """

    name: str
    radargram: xr.DataArray
    truth: list[Hazard]
    surveyed_length_m: float


@dataclass(frozen=True)
class SceneSpec:
    """What a scene holds and how it is surveyed, before rendering.

    Attributes
    ----------
    name : str
    kind : str
        ``"line"`` or ``"array"``.
    negative : bool
        True when the scene holds no pipe or cavity.
    scene : GprScene
    survey : dict
        Keyword options of :func:`roadbed.synth.synthetic_survey` (or
        :func:`~roadbed.synth.synthetic_line` for a line).
    """

    name: str
    kind: str
    negative: bool
    scene: GprScene
    survey: dict = field(default_factory=dict)


def _check(kind: str, split: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def scene_rng(index: int, *, seed: int = 0, kind: str = "line", split: str = "test") -> np.random.Generator:
    """The random stream of one scene, fixed by ``(seed, split, kind, index)``."""
    _check(kind, split)
    if int(index) < 0 or int(seed) < 0:
        raise ValueError(f"index and seed must be ≥ 0, got {index!r}, {seed!r}")
    return np.random.default_rng([int(seed), _SPLIT_CODE[split], _KIND_CODE[kind], int(index)])


def is_negative(index: int, negative_fraction: float = 0.2) -> bool:
    """Whether scene ``index`` is negative: evenly spread, ``negative_fraction`` of the scenes.

    Scene ``i`` is negative when ``floor((i + 1) f) > floor(i f)``; for
    ``f = 0.2`` these are scenes 4, 9, 14, …
    """
    if not 0.0 <= negative_fraction <= 1.0:
        raise ValueError(f"negative_fraction must be in [0, 1], got {negative_fraction!r}")
    return math.floor((index + 1) * negative_fraction) > math.floor(index * negative_fraction)


def random_layers(rng: np.random.Generator) -> tuple[Layer, ...]:
    """Asphalt 0.05–0.15 m (ε 4–6) over base 0.2–0.4 m (ε 6–9) over a subgrade half-space (ε 8–20)."""
    return (
        Layer(float(rng.uniform(0.05, 0.15)), float(rng.uniform(4.0, 6.0)), "asphalt"),
        Layer(float(rng.uniform(0.2, 0.4)), float(rng.uniform(6.0, 9.0)), "base"),
        Layer(math.inf, float(rng.uniform(8.0, 20.0)), "subgrade"),
    )


def _place(rng, half_span_m, taken, *, lo_m, hi_m, min_gap_m, tries=60) -> float | None:
    """An along-track centre whose footprint ``± half_span_m`` keeps ``min_gap_m`` from every taken one."""
    if hi_m - lo_m < 2.0 * half_span_m:
        return None
    for _ in range(tries):
        centre = float(rng.uniform(lo_m + half_span_m, hi_m - half_span_m))
        if all(centre + half_span_m + min_gap_m <= a or centre - half_span_m - min_gap_m >= b for a, b in taken):
            return centre
    return None


def scene_spec(
    index: int,
    *,
    seed: int = 0,
    kind: str = "line",
    split: str = "test",
    negative: bool | None = None,
    negative_fraction: float = 0.2,
    max_objects: int = 4,
    pipe_fraction: float = 0.6,
    max_pipe_angle_deg: float | None = None,
    default_layers_fraction: float = 0.25,
    n_traces: int | None = None,
    n_samples: int = 512,
    trace_spacing_m: float = 0.02,
    time_window_ns: float = 50.0,
    channel_spacing_m: float = 0.075,
    n_channels_range: tuple[int, int] = (8, 12),
    frequencies_hz: tuple[float, ...] = (400e6, 600e6, 800e6),
    noise_std_range: tuple[float, float] = (0.001, 0.006),
    attenuation_db_per_m_range: tuple[float, float] = (0.0, 3.0),
    time_zero_ns_range: tuple[float, float] = (2.0, 5.0),
    stones_per_m: tuple[float, float] = (0.5, 2.0),
    stone_clearance_m: float = 0.3,
    margin_m: float = 1.0,
    min_gap_m: float = 0.6,
) -> SceneSpec:
    """Draw one scene of the suite (without rendering it).

    Parameters
    ----------
    index : int
        Scene number within its stream (≥ 0).
    seed : int
        Suite seed (≥ 0).
    kind : {"line", "array"}
    split : {"train", "test"}
        Which independent stream.
    negative : bool, optional
        Force a negative (True) or positive (False) scene; by default
        :func:`is_negative` with ``negative_fraction`` decides.
    negative_fraction : float
        Fraction of negative scenes, 0–1.
    max_objects : int
        A positive scene holds 1 … ``max_objects`` pipes and cavities (fewer
        if they do not fit with the required gaps).
    pipe_fraction : float
        Probability that an object is a pipe rather than a cavity.
    max_pipe_angle_deg : float, optional
        Largest plan angle of a pipe from the across direction, degrees;
        default 0 for lines, 50 for arrays.
    default_layers_fraction : float
        Probability of :data:`roadbed.synth.DEFAULT_LAYERS` instead of random layers.
    n_traces : int, optional
        Traces per channel; default 500 for a line, 400 for an array.
    n_samples, trace_spacing_m, time_window_ns, channel_spacing_m
        Survey sampling (see :func:`roadbed.synth.synthetic_survey`).
    n_channels_range : (int, int)
        Inclusive range of an array's channel count.
    frequencies_hz : tuple of float
        Antenna frequencies to draw from, Hz.
    noise_std_range, attenuation_db_per_m_range, time_zero_ns_range : (float, float)
        Uniform ranges of the noise level (amplitude units; the asphalt
        surface reflection is about −0.38), attenuation (dB/m) and time zero (ns).
    stones_per_m : (float, float)
        Uniform range of stones per metre of survey before thinning.
    stone_clearance_m : float
        Stones closer than this along track to a pipe's or cavity's
        footprint are dropped, m.
    margin_m : float
        Least along-track distance of a footprint from either end, m.
    min_gap_m : float
        Least along-track gap between two footprints, m.

    Returns
    -------
    SceneSpec
    """
    rng = scene_rng(index, seed=seed, kind=kind, split=split)
    if negative is None:
        negative = is_negative(int(index), negative_fraction)
    if n_traces is None:
        n_traces = 500 if kind == "line" else 400
    if max_pipe_angle_deg is None:
        max_pipe_angle_deg = 0.0 if kind == "line" else 50.0
    if not 0.0 <= max_pipe_angle_deg < 90.0:
        raise ValueError(f"max_pipe_angle_deg must be in [0, 90), got {max_pipe_angle_deg!r}")
    length_m = (int(n_traces) - 1) * trace_spacing_m
    n_channels = 1 if kind == "line" else int(rng.integers(n_channels_range[0], n_channels_range[1] + 1))
    half_width_m = n_channels * channel_spacing_m / 2.0  # the strip whose objects count as truth

    layers = DEFAULT_LAYERS if rng.uniform() < default_layers_fraction else random_layers(rng)

    pipes, cavities, footprints = [], [], []
    n_objects = 0 if negative else int(rng.integers(1, max_objects + 1))
    lo_m, hi_m = margin_m, length_m - margin_m
    for _ in range(n_objects):
        if rng.uniform() < pipe_fraction:
            angle = float(rng.uniform(0.0, max_pipe_angle_deg)) * float(rng.choice((-1.0, 1.0)))
            half_span = half_width_m * abs(math.tan(math.radians(angle)))
            centre = _place(rng, half_span, footprints, lo_m=lo_m, hi_m=hi_m, min_gap_m=min_gap_m)
            if centre is None:
                continue
            pipes.append(
                Pipe(
                    along_m=centre,
                    across_m=0.0,
                    depth_m=float(rng.uniform(*PIPE_DEPTH_RANGE_M)),
                    radius_m=float(rng.uniform(*PIPE_RADIUS_RANGE_M)),
                    material=str(rng.choice(PIPE_MATERIALS)),
                    angle_deg=angle,
                )
            )
        else:
            length = float(rng.uniform(*CAVITY_LENGTH_RANGE_M))
            if kind == "line":
                width = float(rng.uniform(*CAVITY_LENGTH_RANGE_M))
                across = float(rng.uniform(-0.25, 0.25)) * width  # the line crosses its inner half
            else:
                width = float(rng.uniform(CAVITY_LENGTH_RANGE_M[0], min(CAVITY_LENGTH_RANGE_M[1], 2 * half_width_m)))
                across = float(rng.uniform(-half_width_m + width / 2, half_width_m - width / 2))
            centre = _place(rng, length / 2.0, footprints, lo_m=lo_m, hi_m=hi_m, min_gap_m=min_gap_m)
            if centre is None:
                continue
            cavities.append(
                Cavity(
                    along_m=centre,
                    across_m=across,
                    depth_m=float(rng.uniform(*CAVITY_DEPTH_RANGE_M)),
                    length_m=length,
                    width_m=width,
                    height_m=float(rng.uniform(*CAVITY_HEIGHT_RANGE_M)),
                    fill=str(rng.choice(CAVITY_FILLS)),
                    shape=str(rng.choice(CAVITY_SHAPES)),
                )
            )
            half_span = length / 2.0
        footprints.append((centre - half_span, centre + half_span))

    stones_across = (-0.5, 0.5) if kind == "line" else (-half_width_m, half_width_m)
    n_stones = round(rng.uniform(*stones_per_m) * length_m)
    stones = random_stones(
        rng, n_stones, along_range_m=(0.0, length_m), across_range_m=stones_across, depth_range_m=(0.05, 0.6)
    )
    stones = tuple(
        s
        for s in stones
        if all(s.along_m < a - stone_clearance_m or s.along_m > b + stone_clearance_m for a, b in footprints)
    )

    survey = {
        "n_traces": int(n_traces),
        "n_samples": int(n_samples),
        "trace_spacing_m": float(trace_spacing_m),
        "channel_spacing_m": float(channel_spacing_m),
        "time_window_ns": float(time_window_ns),
        "frequency_hz": float(rng.choice(frequencies_hz)),
        "time_zero_ns": float(rng.uniform(*time_zero_ns_range)),
        "noise_std": float(rng.uniform(*noise_std_range)),
        "attenuation_db_per_m": float(rng.uniform(*attenuation_db_per_m_range)),
        "rng": int(rng.integers(2**31)),
    }
    if kind == "array":
        survey["n_channels"] = n_channels
    name = f"{kind}-{split}-s{int(seed)}-{int(index):03d}" + ("-negative" if negative else "")
    scene = GprScene(layers=layers, pipes=tuple(pipes), cavities=tuple(cavities), scatterers=stones)
    return SceneSpec(name, kind, bool(negative), scene, survey)


def evaluation_scene(
    index: int, *, seed: int = 0, kind: str = "line", split: str = "test", **options
) -> EvaluationScene:
    """Draw and render one scene of the suite.

    Parameters
    ----------
    index : int
    seed : int
    kind : {"line", "array"}
    split : {"train", "test"}
    **options
        Any option of :func:`scene_spec`.

    Returns
    -------
    EvaluationScene
    """
    spec = scene_spec(index, seed=seed, kind=kind, split=split, **options)
    if spec.kind == "line":
        da, truth = synthetic_line(spec.scene, **spec.survey)
    else:
        da, truth = synthetic_survey(spec.scene, **spec.survey)
    da.attrs[cv.ATTR_SOURCE] = spec.name
    da = append_history(da, "evaluation_scene", name=spec.name, seed=seed, index=index, kind=kind, split=split)
    along = da[cv.DISTANCE].values
    surveyed_length_m = float(along[-1] - along[0])
    logger.debug(
        "%s: %d pipes, %d cavities, %d stones", spec.name, len(spec.scene.pipes), len(spec.scene.cavities),
        len(spec.scene.scatterers),
    )  # fmt: skip
    return EvaluationScene(spec.name, da, truth, surveyed_length_m)


def evaluation_scenes(
    n_scenes: int = 30, *, seed: int = 0, kind: str = "line", split: str = "test", **options
) -> Iterator[EvaluationScene]:
    """The first ``n_scenes`` scenes of one stream, rendered one at a time.

    Parameters
    ----------
    n_scenes : int
        How many (scene ``i`` is the same whatever ``n_scenes``).
    seed : int
        Suite seed (≥ 0).
    kind : {"line", "array"}
    split : {"train", "test"}
        ``"train"`` and ``"test"`` are independent streams: fit on one,
        report figures on the other.
    **options
        Any option of :func:`scene_spec` (e.g. ``negative_fraction``,
        ``max_objects``, ``noise_std_range``).

    Yields
    ------
    EvaluationScene
        ``(name, radargram, truth, surveyed_length_m)``.
    """
    _check(kind, split)
    if int(n_scenes) < 0:
        raise ValueError(f"n_scenes must be ≥ 0, got {n_scenes!r}")
    for index in range(int(n_scenes)):
        yield evaluation_scene(index, seed=seed, kind=kind, split=split, **options)
