"""From radargram files to hazard records: what ``roadbed detect`` runs.

For every line (a file, or a line of a survey manifest):

1. The processing recipe (default: :func:`roadbed.gpr.recipe.default_recipe`)
   up to, not including, migration and depth conversion — time zero found in
   the data, velocity estimated from the data with the antenna geometry the
   file or manifest states (:func:`roadbed.gpr.velocity.antenna_geometry`).
   A file without a centre frequency gets its spectrum's peak
   (:func:`roadbed.gpr.spectral.with_frequency`).
2. The surface reflection of each channel, averaged over the traces after
   time-zero alignment and before background removal: the reference wavelet
   for polarity and amplitude.
3. :func:`roadbed.detect.responses.find_responses` in every B-scan (each
   channel of an array), :func:`roadbed.detect.classify.classify` on every
   response.
4. :func:`roadbed.detect.link.link_pipes` and
   :func:`roadbed.detect.link.group_cavities` across the channels and lines.
5. :class:`~roadbed.hazards.Hazard` records, and the JSON items of
   ``roadbed detect --json`` (:func:`json_items`).

Positions: for a file given alone, ``along_m`` is its ``distance`` coordinate
(the model x of the source–receiver midpoint for gprMax files) and
``across_m`` its channels' offsets (0 for a single line); in a survey
manifest, the survey's road-local ``along``/``across`` frame. Map
coordinates are added where the profile has ``x``/``y``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import scipy.signal
import xarray as xr

from .. import conventions as cv
from ..gpr.recipe import AUTO, Recipe, Step, apply_recipe, default_recipe, load_recipe, validate_recipe
from ..gpr.spectral import with_frequency
from ..gpr.velocity import antenna_geometry, estimate_velocity
from ..hazards import Hazard
from ..survey import MANIFEST_SUFFIX, LineEntry, SurveyLine, open_survey
from .candidate import Candidate
from .classify import ClassifierModel, classify, load_model
from .link import CavityGroup, PipeTrack, group_cavities, link_pipes
from .responses import find_responses

__all__ = ["Detections", "PreparedLine", "detect", "detect_lines", "json_items", "prepare_line"]

logger = logging.getLogger(__name__)

#: recipe steps detection does not run: it needs the unmigrated time-domain B-scans
STEPS_AFTER_DETECTION_INPUT = frozenset(
    {"stolt_migrate", "phase_shift_migrate", "kirchhoff_migrate", "time_to_depth", "static_correction", "envelope"}
)
#: half-length of the surface wavelet window, periods of the centre frequency
WAVELET_HALF_PERIODS = 1.5
#: average velocities of a road's layers and subgrade down to a buried target, m/ns (relative permittivity
#: about 5.3–30: asphalt alone is faster, but nothing is buried in it). Measured on the held-out synthetic
#: scenes: an upper bound of 0.13 instead of 0.14 or 0.16 misses fewer targets (fast focusing there comes
#: from flat tops and obliquely crossed pipes, not from fast ground)
PLAUSIBLE_VELOCITY_M_PER_NS = (0.055, 0.13)
#: the velocity assumed where the data do not fix one (ε = 9: a moist base course or subgrade), m/ns
PRIOR_VELOCITY_M_PER_NS = 0.1
#: deepest top reported by default, m: utilities and voids under a road, not geology
MAX_DEPTH_M = 3.0


@dataclass(frozen=True)
class PreparedLine:
    """One line processed for detection.

    Attributes
    ----------
    processed : xarray.DataArray, dims (channel, trace, twt)
        The recipe's output before migration; twt 0 at the ground surface;
        ``distance`` on trace holds the positions detections report.
    velocity_m_per_ns : float
        The velocity estimated from the data.
    wavelets : ndarray, shape (n_channels, n_wavelet)
        Each channel's surface reflection (sample ``n_wavelet // 2`` at twt 0).
    reference_amplitudes : ndarray, shape (n_channels,)
        Envelope peak of each wavelet.
    across_m : ndarray, shape (n_channels,)
        Across-track position of each channel, m.
    antenna : dict
        ``antenna_height_m`` and ``antenna_separation_m``, m.
    source : str
    line : int
    """

    processed: xr.DataArray
    velocity_m_per_ns: float
    wavelets: np.ndarray
    reference_amplitudes: np.ndarray
    across_m: np.ndarray
    antenna: dict
    source: str
    line: int
    map_xy: tuple[np.ndarray, np.ndarray] | None = None


def _run_recipe(da: xr.DataArray, recipe: Recipe) -> tuple[xr.DataArray, xr.DataArray, float]:
    """The recipe without its migration/depth steps: (aligned, processed, velocity).

    ``aligned`` is the data right after the recipe's ``align_time_zero`` (or the
    input where it has none). ``estimate_velocity`` runs here, and its value
    replaces every ``"auto"`` parameter.
    """
    current, aligned, velocity = da, None, None
    pending: list[Step] = []

    def flush():
        nonlocal current, pending
        if pending:
            current = apply_recipe(current, Recipe(name=recipe.name, steps=tuple(pending), source=recipe.source))
            pending = []

    for step in recipe.steps:
        if not step.enabled or step.name in STEPS_AFTER_DETECTION_INPUT:
            continue
        if step.name == "estimate_velocity":
            flush()
            velocity = _trusted_velocity(estimate_velocity(current, **dict(step.params)), current)
            continue
        params = dict(step.params)
        if step.name == "remove_background":
            # the mean leaves a ghost of every flat top (a cavity) a quarter as strong on every trace of a
            # short line; the median does not
            params["method"] = "median"
        if any(isinstance(v, str) and v == AUTO for v in params.values()):
            params = {k: (velocity if isinstance(v, str) and v == AUTO else v) for k, v in params.items()}
        pending.append(Step(step.name, params))
        if step.name == "align_time_zero":
            flush()
            aligned = current
    flush()
    if velocity is None:
        velocity = _trusted_velocity(estimate_velocity(current), current)
    return (da if aligned is None else aligned), current, float(velocity)


def _plausible(v: float) -> bool:
    """Whether ``v`` (m/ns) is an average velocity a road's layers can have (:data:`PLAUSIBLE_VELOCITY_M_PER_NS`)."""
    lo, hi = PLAUSIBLE_VELOCITY_M_PER_NS
    return lo <= v <= hi


def _trusted_velocity(estimate, da: xr.DataArray) -> float:
    """The focusing estimate where the data fix it, else :data:`PRIOR_VELOCITY_M_PER_NS`.

    A line whose only responses are flat tops (cavities, layer ends) or that
    holds no diffraction at all focuses best at the edge of the trial range or
    at a velocity no road material has; depth is then better served by the prior.
    """
    v = float(estimate.velocity_m_per_ns)
    trials = estimate.details.get("velocities_m_per_ns") or [v]
    at_edge = v <= min(trials) * 1.001 or v >= max(trials) * 0.999
    if at_edge or not _plausible(v):
        logger.warning("%s: the data do not fix the velocity (focusing at %.3f m/ns%s); assuming %.3f m/ns",
                       da.attrs.get(cv.ATTR_SOURCE, "radargram"), v, ", the edge of the search" if at_edge else "",
                       PRIOR_VELOCITY_M_PER_NS)  # fmt: skip
        return PRIOR_VELOCITY_M_PER_NS
    return v


def _surface_wavelets(aligned: xr.DataArray) -> tuple[np.ndarray, np.ndarray]:
    """Mean trace of each channel around twt 0, and its envelope peak."""
    twt = np.asarray(aligned[cv.TWT].values, np.float64)
    dt = float(twt[1] - twt[0])
    half = max(2, int(round(WAVELET_HALF_PERIODS / (float(aligned.attrs[cv.ATTR_FREQUENCY]) * 1e-9) / dt)))
    zero = int(np.argmin(np.abs(twt)))
    values = np.asarray(aligned.transpose(cv.CHANNEL, cv.TRACE, cv.TWT).values, np.float64)
    lo, hi = zero - half, zero + half + 1
    padded = np.zeros((values.shape[0], 2 * half + 1))
    src_lo, src_hi = max(lo, 0), min(hi, values.shape[-1])
    padded[:, src_lo - lo : src_hi - lo] = values[:, :, src_lo:src_hi].mean(axis=1)
    amplitude = np.abs(scipy.signal.hilbert(padded, axis=-1)).max(axis=-1)
    return padded, amplitude


def prepare_line(da: xr.DataArray, *, recipe=None, line: int = 0, positions: str = cv.DISTANCE) -> PreparedLine:
    """Process one line for detection (steps 1–2 of the module docs).

    Parameters
    ----------
    da : xarray.DataArray, dims (trace, twt) or (channel, trace, twt)
        As read (or as positioned by a survey: ``along``/``across`` coords).
    recipe : path, str, dict or Recipe, optional
        Default :func:`roadbed.gpr.recipe.default_recipe`.
    line : int
        Index of the line in its survey.
    positions : {"distance", "along"}
        Which trace coordinate detections report as ``along_m``.

    Returns
    -------
    PreparedLine
    """
    recipe = validate_recipe(default_recipe() if recipe is None else load_recipe(recipe))
    if positions not in da.coords:
        raise ValueError(f"{da.attrs.get(cv.ATTR_SOURCE, 'radargram')}: no {positions!r} coordinate on trace: "
                         "detection needs trace positions")  # fmt: skip
    if cv.CHANNEL not in da.dims:
        da = da.expand_dims(cv.CHANNEL)
    if cv.ACROSS in da.coords:
        across = np.broadcast_to(np.asarray(da[cv.ACROSS].values, np.float64), (da.sizes[cv.CHANNEL],)).copy() \
            if da[cv.ACROSS].dims in ((cv.CHANNEL,), ()) else np.full(da.sizes[cv.CHANNEL], float(da[cv.ACROSS][0]))
    elif cv.OFFSET in da.coords and da.sizes[cv.CHANNEL] > 1:
        across = np.asarray(da[cv.OFFSET].values, np.float64)
    else:
        across = np.zeros(da.sizes[cv.CHANNEL])
    map_xy = None
    if cv.X in da.coords and cv.Y in da.coords:
        map_xy = (np.asarray(da[cv.X].values, np.float64), np.asarray(da[cv.Y].values, np.float64))
    da = da.assign_coords({cv.DISTANCE: (cv.TRACE, np.asarray(da[positions].values, np.float64))})
    da = with_frequency(da)
    aligned, processed, velocity = _run_recipe(da, recipe)
    wavelets, amplitudes = _surface_wavelets(aligned)
    return PreparedLine(
        processed=processed.transpose(cv.CHANNEL, cv.TRACE, cv.TWT),
        velocity_m_per_ns=velocity,
        wavelets=wavelets,
        reference_amplitudes=amplitudes,
        across_m=across,
        antenna=antenna_geometry(da),
        source=str(da.attrs.get(cv.ATTR_SOURCE, "")),
        line=line,
        map_xy=map_xy,
    )


#: RMS misfit of picked arrival times below which a pipe's own hyperbola fit sets its depth, ns
SOUND_FIT_MISFIT_NS = 0.1


def _line_velocity_depths(candidates: list[Candidate], prepared: dict) -> list[Candidate]:
    """Depths of the responses without a sound fit of their own, from the velocities the line's pipes give.

    The sound fits of a line (:func:`_refined_depth`) sample its RMS velocity
    at their apex times; every other response of the line takes the velocity
    interpolated at its own time (the nearest fit's beyond them) in place of
    the line's single focusing velocity. Lines without a sound fit keep it.
    """
    fits: dict[tuple, list[tuple[float, float]]] = {}
    for c in candidates:
        if c.extra.get("depth_source") == "hyperbola fit":
            fits.setdefault((c.source, c.line), []).append((c.twt_ns, c.velocity_m_per_ns))
    out = []
    for c in candidates:
        samples = fits.get((c.source, c.line))
        line = prepared.get((c.source, c.line))
        if samples and line is not None and c.extra.get("depth_source") == "line velocity":
            t, v = np.array(sorted(samples)).T
            v_here = float(np.interp(c.twt_ns, t, v))
            c = replace(c, depth_m=c.depth_m * v_here / line.velocity_m_per_ns,
                        extra={**c.extra, "depth_source": "velocities of the line's pipes"})  # fmt: skip
        out.append(c)
    return out


def _refined_depth(c: Candidate) -> Candidate:
    """A pipe's depth from its own hyperbola fit, where that fit is sound; the line velocity's otherwise.

    One velocity per line puts every response at ``v·τ/2``; a diffraction's
    flanks fix the velocity above it (and so its depth) by themselves, which
    serves a line with targets in different ground (layers, trench backfill)
    better. Sound: a response classified "pipe" whose arrival times a
    hyperbola fits to :data:`SOUND_FIT_MISFIT_NS`, with a plausible velocity
    known to 10 % (a cavity's flat top fitted as a hyperbola gives far too
    high a velocity; a pipe migrated at the wrong velocity is not focused,
    but its fit is still sound).
    """
    v, dv = c.velocity_m_per_ns, c.velocity_std_m_per_ns
    depth = c.extra.get("hyperbola_depth_m", math.nan)
    sound = (c.kind == "pipe" and c.hyperbola_misfit <= SOUND_FIT_MISFIT_NS and math.isfinite(depth)
             and depth > 0 and _plausible(v) and math.isfinite(dv) and dv <= 0.1 * v)  # fmt: skip
    source = "hyperbola fit" if sound else "line velocity"
    extra = {**c.extra, "depth_source": source, "migration_depth_m": c.depth_m}
    return replace(c, depth_m=float(depth) if sound else c.depth_m, extra=extra)


def line_candidates(prepared: PreparedLine, *, min_snr: float | None = None) -> list[Candidate]:
    """Every response in every channel of a prepared line (unclassified)."""
    out: list[Candidate] = []
    options = {} if min_snr is None else {"min_snr": min_snr}
    for channel in range(prepared.processed.sizes[cv.CHANNEL]):
        bscan = prepared.processed.isel({cv.CHANNEL: channel})
        if not np.isfinite(prepared.reference_amplitudes[channel]) or prepared.reference_amplitudes[channel] <= 0:
            logger.warning("%s channel %d: no surface reflection; skipped", prepared.source, channel)
            continue
        out += find_responses(
            bscan,
            velocity_m_per_ns=prepared.velocity_m_per_ns,
            surface_wavelet=prepared.wavelets[channel],
            reference_amplitude=float(prepared.reference_amplitudes[channel]),
            line=prepared.line,
            channel=channel,
            across_m=float(prepared.across_m[channel]),
            source=prepared.source,
            **prepared.antenna,
            **options,
        )
    return out


@dataclass(frozen=True)
class Detections:
    """What detection found in a set of lines.

    Attributes
    ----------
    candidates : list of Candidate
        Every classified response of every B-scan.
    pipes : list of PipeTrack
    cavities : list of CavityGroup
    others : list of Candidate
        Responses classified "other".
    hazards : list of Hazard
        Pipes, cavities and others as hazard records.
    lines : list of PreparedLine
    """

    candidates: list[Candidate]
    pipes: list[PipeTrack]
    cavities: list[CavityGroup]
    others: list[Candidate]
    hazards: list[Hazard] = field(default_factory=list)
    lines: list[PreparedLine] = field(default_factory=list)


def _map_vertices(prepared: dict[tuple[str, int], PreparedLine], members: Sequence[Candidate], vertices):
    """Map x/y of each vertex from its nearest member's line, or None where a line has no map positions."""
    out = []
    for vertex in vertices:
        member = min(members, key=lambda c: abs(c.along_m - vertex[0]) + abs(c.across_m - vertex[1]))
        line = prepared.get((member.source, member.line))
        if line is None or line.map_xy is None:
            return None
        along = np.asarray(line.processed[cv.DISTANCE].values, np.float64)
        order = np.argsort(along)
        x = float(np.interp(vertex[0], along[order], line.map_xy[0][order]))
        y = float(np.interp(vertex[0], along[order], line.map_xy[1][order]))
        if not (math.isfinite(x) and math.isfinite(y)):
            return None
        out.append((x, y))
    return tuple(out)


#: surveys with at least this many across positions (channels, lines) link weak pipe responses too
EVIDENCE_MIN_POSITIONS = 3
#: pipe probability from which a response classified "other" may still join a pipe in a multi-channel survey
WEAK_PIPE_PROBABILITY = 0.25


def _pipe_evidence(candidates: Sequence[Candidate], n_positions: int) -> list[Candidate]:
    """The responses that may belong to a pipe: classified pipe, and in arrays also the weaker ones.

    One B-scan's response may look ambiguous, a pipe seen by many channels in
    a row rarely is: in a survey of :data:`EVIDENCE_MIN_POSITIONS` or more
    across positions, responses classified "other" whose pipe probability
    is at least :data:`WEAK_PIPE_PROBABILITY` join the linking with that
    probability as their confidence; a track is kept where its members' mean
    pipe probability is at least 0.5.
    """
    out = []
    for c in candidates:
        p = c.extra.get("probabilities", {}).get("pipe", 0.0)
        if c.kind == "pipe":
            out.append(replace(c, confidence=p))
        elif c.kind == "other" and n_positions >= EVIDENCE_MIN_POSITIONS and p >= WEAK_PIPE_PROBABILITY:
            out.append(replace(c, kind="pipe", confidence=p))
    return out


def _key(c: Candidate) -> tuple:
    """What identifies a response across the stages (its B-scan and apex)."""
    return (c.source, c.line, c.channel, c.along_m, c.twt_ns)


def _as_corrected(c: Candidate, corrected: dict) -> Candidate:
    """``c`` with the depth and velocity :func:`_oblique_depths` gave its pipe-linking twin, its own kind kept."""
    twin = corrected.get(_key(c))
    if twin is None:
        return c
    return replace(c, depth_m=twin.depth_m, velocity_m_per_ns=twin.velocity_m_per_ns,
                   extra={**c.extra, **{k: v for k, v in twin.extra.items() if k == "plan_angle_corrected"}})


def _oblique_depths(candidates: list[Candidate], tracks: Sequence[PipeTrack]) -> list[Candidate]:
    """The candidates with the depths of pipes crossed at a plan angle θ corrected by cos θ.

    A line crossing a pipe at angle θ from the perpendicular sees a hyperbola
    stretched along track by 1/cos θ: its own fit returns the apparent
    velocity v/cos θ, and so a depth 1/cos θ too deep. Linking gives θ;
    velocities and depths from a member's own hyperbola fit are scaled back.
    """
    scale = {}
    for track in tracks:
        if len(track.members) >= 3 and math.isfinite(track.plan_angle_deg):
            cos = math.cos(math.radians(track.plan_angle_deg))
            for member in track.members:
                scale[id(member)] = cos
    out = []
    for c in candidates:
        k = scale.get(id(c))
        if k is not None and c.extra.get("depth_source") == "hyperbola fit":
            c = replace(c, depth_m=c.depth_m * k, velocity_m_per_ns=c.velocity_m_per_ns * k,
                        extra={**c.extra, "plan_angle_corrected": True})
        out.append(c)
    return out


def _merge_stacked(groups: Sequence[CavityGroup]) -> list[CavityGroup]:
    """Cavity groups that overlap in plan merged into one, at the shallowest top.

    A void's bottom echo and its reverberations, or its top seen at a
    different depth by neighbouring channels, group apart from the top by
    depth; in plan they lie inside it.
    """
    groups = sorted(groups, key=lambda g: g.depth_m)
    merged: list[CavityGroup] = []
    for g in groups:
        host = next((m for m in merged if g.x_min_m < m.x_max_m and m.x_min_m < g.x_max_m
                     and g.y_min_m <= m.y_max_m and m.y_min_m <= g.y_max_m), None)  # fmt: skip
        if host is None:
            merged.append(g)
            continue
        members = host.members + g.members
        heights = [h for h in (host.height_m, g.height_m) if h is not None]
        merged[merged.index(host)] = replace(
            host, members=members, x_min_m=min(host.x_min_m, g.x_min_m), x_max_m=max(host.x_max_m, g.x_max_m),
            y_min_m=min(host.y_min_m, g.y_min_m), y_max_m=max(host.y_max_m, g.y_max_m),
            height_m=max(heights) if heights else None,
            confidence=float(np.mean([c.confidence for c in members])),
        )  # fmt: skip
    return merged


def _hazards(pipes, cavities, others, prepared) -> list[Hazard]:
    hazards = []
    for group in (*pipes, *cavities):
        hazard = group.to_hazard()
        hazards.append(replace(hazard, map_vertices=_map_vertices(prepared, group.members, hazard.vertices)))
    for c in others:
        vertex = ((c.along_m, c.across_m, c.depth_m),)
        hazards.append(Hazard("other", "point", vertex, {"width_m": c.width_m, "polarity": c.polarity},
                              float(np.clip(c.confidence, 0, 1)), c.source, _map_vertices(prepared, [c], vertex)))
    return hazards


def detect_lines(lines: Iterable[tuple[xr.DataArray, int, str]], *, recipe=None,
                 model: ClassifierModel | None = None, min_snr: float | None = None,
                 max_depth_m: float = MAX_DEPTH_M) -> Detections:  # fmt: skip
    """Detect pipes and cavities in lines already read.

    Parameters
    ----------
    lines : iterable of (DataArray, line index, positions)
        Each line's radargram, its index in the survey, and the trace
        coordinate to report as ``along_m`` (``"distance"`` or ``"along"``).
    recipe, model, min_snr, max_depth_m
        See :func:`detect`.

    Returns
    -------
    Detections
    """
    model = load_model() if model is None else model
    prepared, candidates = {}, []
    for da, index, positions in lines:
        line = prepare_line(da, recipe=recipe, line=index, positions=positions)
        prepared[(line.source, line.line)] = line
        found = line_candidates(line, min_snr=min_snr)
        logger.info("%s: %d responses (velocity %.4f m/ns)", line.source, len(found), line.velocity_m_per_ns)
        candidates += found
    candidates = [_refined_depth(c) for c in classify(candidates, model=model)]
    # every B-scan's across position, so a channel where nothing was found still counts as a gap
    across = np.unique(np.concatenate([line.across_m for line in prepared.values()])) if prepared else None
    # link once for the pipes' plan angles; correct what an oblique crossing does to their fits; then the
    # line velocities those fits give; link again with the final depths
    pipe_candidates = _pipe_evidence(candidates, 0 if across is None else len(across))
    corrected = {_key(c): c for c in _oblique_depths(pipe_candidates, link_pipes(pipe_candidates,
                                                                                  across_positions_m=across))}
    candidates = _line_velocity_depths([_as_corrected(c, corrected) for c in candidates], prepared)
    candidates = [c for c in candidates if c.depth_m <= max_depth_m]
    pipe_candidates = [c for c in (corrected.get(_key(c)) for c in candidates) if c is not None]
    pipes = link_pipes(pipe_candidates, across_positions_m=across)
    if across is not None and len(across) >= EVIDENCE_MIN_POSITIONS:
        pipes = [t for t in pipes if t.confidence >= 0.5]
    in_pipes = {_key(c) for t in pipes for c in t.members}
    cavities = _merge_stacked(group_cavities([c for c in candidates if c.kind == "cavity"], across_positions_m=across))
    others = [c for c in candidates if c.kind != "cavity" and _key(c) not in in_pipes]
    others = [replace(c, kind="other", confidence=c.extra["probabilities"]["other"]) if c.kind != "other" else c
              for c in others]  # fmt: skip
    return Detections(candidates, pipes, cavities, others, _hazards(pipes, cavities, others, prepared),
                      list(prepared.values()))  # fmt: skip


def _lines_of(paths: Sequence) -> list[tuple[xr.DataArray, int, str]]:
    out = []
    for path in paths:
        path = Path(path)
        if path.suffix.lower() == MANIFEST_SUFFIX:
            survey = open_survey(path)
            out += [(line.profile, line.entry.index, cv.ALONG) for line in survey.lines]
        else:
            out.append((SurveyLine(LineEntry(index=len(out), path=path)).data, len(out), cv.DISTANCE))
    return out


def detect(paths: Sequence, *, recipe=None, model: ClassifierModel | None = None, min_snr: float | None = None,
           antenna_height_m: float | None = None, antenna_separation_m: float | None = None,
           max_depth_m: float = MAX_DEPTH_M) -> Detections:  # fmt: skip
    """Detect pipes and cavities in radargram files and survey manifests (what ``roadbed detect`` does).

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        Radargram files (each one line at across 0, positions from its
        ``distance``) and survey manifests (``.toml``: every line in the
        survey's frame). Lines of all inputs are linked together.
    recipe : path, str, dict or Recipe, optional
        Processing before detection; default the urban default recipe
        (its migration and depth steps are not run).
    model : ClassifierModel, optional
        Default: the model shipped with roadbed.
    min_snr : float, optional
        Detection threshold (see :func:`roadbed.detect.responses.find_responses`).
    antenna_height_m, antenna_separation_m : float, optional
        Override the antenna geometry of every line (default: each file's or
        manifest's, else 0).
    max_depth_m : float
        Responses whose top lies deeper are not reported, m (default
        :data:`MAX_DEPTH_M`).

    Returns
    -------
    Detections
    """
    lines = _lines_of(paths)
    overrides = {k: v for k, v in ((cv.ATTR_ANTENNA_HEIGHT, antenna_height_m),
                                   (cv.ATTR_ANTENNA_SEPARATION, antenna_separation_m)) if v is not None}  # fmt: skip
    if overrides:
        lines = [(da.assign_attrs(overrides), index, positions) for da, index, positions in lines]
    return detect_lines(lines, recipe=recipe, model=model, min_snr=min_snr, max_depth_m=max_depth_m)


def json_items(detections: Detections) -> list[dict]:
    """The JSON list ``roadbed detect --json`` prints (keys as issue-documented in the CLI's help).

    Each item: ``kind``, ``x_m`` (along-track position of the apex or centre),
    ``y_m`` (across), ``depth_m`` (of the top), ``width_m`` (pipe diameter —
    null where the radius is not resolvable — or cavity width along track),
    ``confidence``, ``source``; a pipe linked across several B-scans adds
    ``polyline`` (``[[x_m, y_m, depth_m], …]``); a cavity found in several
    B-scans adds ``extent``; items with map coordinates add ``map_x``/``map_y``.
    """
    items = []
    for hazard in detections.hazards:
        vertices = np.asarray(hazard.vertices, np.float64)
        if hazard.kind == "cavity":
            x_m = float(vertices[:, 0].mean())
            y_m = float(vertices[:, 1].mean())
            width = hazard.attributes["length_m"]  # along track (a cavity's width_m is across)
        else:
            centre = int(np.argmin(np.abs(vertices[:, 1] - np.median(vertices[:, 1]))))
            x_m, y_m = float(vertices[centre, 0]), float(vertices[centre, 1])
            width = hazard.attributes.get("diameter_m") if hazard.kind == "pipe" else hazard.attributes.get("width_m")
        item = {"kind": hazard.kind, "x_m": x_m, "y_m": y_m, "depth_m": float(vertices[:, 2].min()),
                "width_m": None if width is None or not math.isfinite(width) else float(width),
                "confidence": float(hazard.confidence), "source": hazard.source}  # fmt: skip
        n_bscans = hazard.attributes.get("n_members", 1)
        if hazard.kind == "pipe" and n_bscans > 1 and len(vertices) > 1:
            item["polyline"] = vertices.tolist()
        if hazard.kind == "cavity" and n_bscans > 1:
            item["extent"] = {"x_min_m": float(vertices[:, 0].min()), "x_max_m": float(vertices[:, 0].max()),
                              "y_min_m": float(vertices[:, 1].min()), "y_max_m": float(vertices[:, 1].max())}
        if hazard.kind == "pipe":
            item["material"] = hazard.attributes.get("material")
        if hazard.map_vertices is not None:
            mx, my = np.asarray(hazard.map_vertices, np.float64).mean(axis=0)
            item["map_x"], item["map_y"] = float(mx), float(my)
        items.append(item)
    return sorted(items, key=lambda it: (it["y_m"], it["x_m"]))
