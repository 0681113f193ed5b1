"""Join per-B-scan candidates into 3-D pipes and cavities.

A survey is a set of B-scans at fixed across-track positions: the channels
of an array (same ``line``, different ``channel``) and/or parallel lines.
A pipe crossing the survey shows up as one diffraction apex in each B-scan
it crosses; a cavity as a flat top in each B-scan over its footprint.

* :func:`link_pipes` follows pipe apexes from one across position to the
  next (in increasing ``across_m``): each open track predicts where its pipe
  meets the next position from the straight line through its last few
  members, and apexes are assigned to tracks by minimum total cost
  (:func:`scipy.optimize.linear_sum_assignment`). The prediction is what
  keeps crossing pipes from swapping at the crossing and parallel pipes
  apart; the local line fit follows smooth bends.
* :func:`group_cavities` joins cavity tops on neighbouring positions whose
  along-track extents overlap and whose depths agree.

Both give records (:class:`PipeTrack`, :class:`CavityGroup`) that turn into
:class:`~roadbed.hazards.Hazard` records with ``to_hazard``.

Plan angles follow :class:`roadbed.synth.Pipe`: degrees from the
across-track direction, 0 for a pipe crossing the lines at right angles,
positive when ``along`` grows with ``across``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..conventions import C_M_PER_NS
from ..hazards import Hazard
from ..synth.gpr import MATERIAL_PERMITTIVITY
from .candidate import Candidate

__all__ = [
    "PipeTrack",
    "CavityGroup",
    "PIPE_MATERIAL_CLASSES",
    "link_pipes",
    "group_cavities",
    "survey_positions",
]

logger = logging.getLogger(__name__)

#: the material classes :func:`link_pipes` tells apart
PIPE_MATERIAL_CLASSES = ("metallic", "non-metallic")
METALLIC, NON_METALLIC = PIPE_MATERIAL_CLASSES

# cost of a pairing the gates forbid; finite so that linear_sum_assignment always has a solution
_FORBIDDEN = 1e9
# extra cost of extending a one-member track (its direction is unknown), so tracks
# with a known direction get first pick of the apexes that fit them
_NEW_TRACK_PENALTY = 1.0
# largest cost one member's misfit adds to a linking's score, and the cost of a track or a candidate left out
_CAP = 9.0
# a cavity extent key pair a response stage may leave in Candidate.extra
_X_MIN, _X_MAX, _BOTTOM_TWT, _FILL_VELOCITY = "x_min_m", "x_max_m", "bottom_twt_ns", "fill_velocity_m_per_ns"


# --- records -------------------------------------------------------------------------
@dataclass(frozen=True)
class PipeTrack:
    """A pipe followed across the channels and lines of a survey.

    Attributes
    ----------
    polyline : tuple of (along_m, across_m, depth_m)
        Top of the pipe at each across position it was found on, ordered by
        ``across_m``, m (lightly smoothed, see :func:`link_pipes`). One vertex
        for a single-line survey.
    members : tuple of Candidate
        The apexes, one per across position, in the same order.
    diameter_m : float or None
        Twice the robust mean of the members' resolved radii, m; None when no
        member resolves its radius.
    material : str
        ``"metallic"`` or ``"non-metallic"`` (vote of the members' polarity
        and strength).
    confidence : float
        Mean of the members' confidences (each the classifier's probability
        that the apex is a pipe), 0–1.
    plan_angle_deg : float
        Angle of the straight line fitted to the polyline in plan, degrees
        from the across-track direction, in (−90, 90]; nan for one vertex.
    """

    polyline: tuple[tuple[float, float, float], ...]
    members: tuple[Candidate, ...]
    diameter_m: float | None
    material: str
    confidence: float
    plan_angle_deg: float

    @property
    def length_m(self) -> float:
        """Plan length of the polyline, m (0 for one vertex)."""
        pts = np.asarray(self.polyline, dtype=np.float64)[:, :2]
        return float(np.hypot(*np.diff(pts, axis=0).T).sum()) if len(pts) > 1 else 0.0

    def to_hazard(self, source: str | None = None) -> Hazard:
        """The track as a ``"pipe"`` hazard record.

        Parameters
        ----------
        source : str, optional
            Source of the record; default: the members' files, comma-separated.

        Returns
        -------
        Hazard
            Geometry ``"polyline"`` (``"point"`` for one vertex); attributes
            ``diameter_m`` (None where not resolved), ``diameter_resolved``,
            ``material``, ``angle_deg`` (plan angle, None for one vertex),
            ``length_m`` (plan length) and ``n_members``.
        """
        attributes = {
            "diameter_m": self.diameter_m,
            "diameter_resolved": self.diameter_m is not None,
            "material": self.material,
            "angle_deg": None if math.isnan(self.plan_angle_deg) else self.plan_angle_deg,
            "length_m": self.length_m,
            "n_members": len(self.members),
        }
        geometry = "point" if len(self.polyline) == 1 else "polyline"
        return Hazard(
            "pipe", geometry, self.polyline, attributes, _unit_interval(self.confidence), _sources(self.members, source)
        )


@dataclass(frozen=True)
class CavityGroup:
    """A cavity: the cavity tops of neighbouring B-scans that belong together.

    Attributes
    ----------
    members : tuple of Candidate
        The cavity tops, ordered by ``across_m`` then ``along_m``.
    x_min_m, x_max_m : float
        Along-track extent, m: the members' ``extra["x_min_m"]`` /
        ``extra["x_max_m"]`` (``along_m ∓ width_m / 2`` where absent).
    y_min_m, y_max_m : float
        Across-track extent, m: the outer members' positions ∓ half the
        spacing to the neighbouring position beyond them (at the edge of the
        survey, half the spacing to the one inside; 0 for a single-position
        survey, where the across extent is unknown).
    depth_m : float
        Depth to the top (shallowest member), m.
    height_m : float or None
        Largest member height from ``extra["bottom_twt_ns"]`` and the wave
        speed in the fill, m; None when no member has a bottom echo.
    volume_m3 : float or None
        Sum over the positions of (member along extent × member height ×
        strip width), m³; None without a height or an across extent.
    confidence : float
        Mean of the members' confidences, 0–1.
    fill : str
        ``"air"`` (top reversed against the surface) or ``"water"`` (same
        polarity): the members' vote.
    """

    members: tuple[Candidate, ...]
    x_min_m: float
    x_max_m: float
    y_min_m: float
    y_max_m: float
    depth_m: float
    height_m: float | None
    volume_m3: float | None
    confidence: float
    fill: str

    @property
    def along_extent_m(self) -> float:
        """Along-track extent, m."""
        return self.x_max_m - self.x_min_m

    @property
    def across_extent_m(self) -> float:
        """Across-track extent, m (0 where unknown)."""
        return self.y_max_m - self.y_min_m

    def to_hazard(self, source: str | None = None) -> Hazard:
        """The group as a ``"cavity"`` hazard record.

        Parameters
        ----------
        source : str, optional
            Source of the record; default: the members' files, comma-separated.

        Returns
        -------
        Hazard
            Geometry ``"polygon"``: the extent rectangle at the depth to top
            (corners (x_min, y_min), (x_max, y_min), (x_max, y_max),
            (x_min, y_max)); attributes as :mod:`roadbed.synth` names a
            cavity's: ``length_m`` (along-track extent), ``width_m``
            (across-track extent; None where unknown), ``height_m``,
            ``volume_m3``, ``fill`` and ``n_members``.
        """
        d = self.depth_m
        corners = (
            (self.x_min_m, self.y_min_m, d),
            (self.x_max_m, self.y_min_m, d),
            (self.x_max_m, self.y_max_m, d),
            (self.x_min_m, self.y_max_m, d),
        )
        attributes = {
            "length_m": self.along_extent_m,
            "width_m": self.across_extent_m if self.across_extent_m > 0 else None,
            "height_m": self.height_m,
            "volume_m3": self.volume_m3,
            "fill": self.fill,
            "n_members": len(self.members),
        }
        return Hazard(
            "cavity", "polygon", corners, attributes, _unit_interval(self.confidence), _sources(self.members, source)
        )


def _unit_interval(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


def _sources(members: Sequence[Candidate], source: str | None) -> str:
    return source if source is not None else ",".join(sorted({m.source for m in members}))


# --- survey positions ----------------------------------------------------------------
def survey_positions(
    candidates: Iterable[Candidate],
    across_positions_m: Sequence[float] | None = None,
    *,
    tolerance_m: float = 1e-3,
) -> np.ndarray:
    """The survey's across-track positions, sorted, duplicates merged.

    Parameters
    ----------
    candidates : iterable of Candidate
        Candidates of any kind; used when ``across_positions_m`` is None (a
        channel with no candidate at all is then invisible).
    across_positions_m : sequence of float, optional
        Offsets of every channel and line of the survey, m.
    tolerance_m : float
        Positions closer than this are one position, m.

    Returns
    -------
    numpy.ndarray, shape (n_positions,), float64
        Across-track positions, m, increasing.
    """
    if across_positions_m is None:
        values = np.array([c.across_m for c in candidates], dtype=np.float64)
        values = values[np.isfinite(values)]  # a pipe or cavity candidate off the survey is refused later
    else:
        values = np.asarray(across_positions_m, dtype=np.float64).ravel()
        if not np.all(np.isfinite(values)):
            raise ValueError(f"across_positions_m must be finite, got {values.tolist()}")
    values = np.sort(values)
    if values.size == 0:
        return values
    keep = np.concatenate(([True], np.diff(values) > tolerance_m))
    return values[keep]


def _position_index(positions: np.ndarray, candidate: Candidate, tolerance_m: float) -> int:
    i = int(np.argmin(np.abs(positions - candidate.across_m))) if positions.size else 0
    if not positions.size or abs(positions[i] - candidate.across_m) > tolerance_m:
        raise ValueError(
            f"candidate at across_m={candidate.across_m} (source {candidate.source!r}, line {candidate.line}, "
            f"channel {candidate.channel}) is not at any survey position {positions.tolist()}"
        )
    return i


def _check_classified(candidates: Sequence[Candidate]) -> None:
    for c in candidates:
        values = (c.along_m, c.across_m, c.depth_m)
        if not all(math.isfinite(v) for v in values) or not 0.0 <= c.confidence <= 1.0:
            raise ValueError(
                f"a {c.kind!r} candidate needs finite along_m, across_m, depth_m and a confidence in [0, 1]; "
                f"got along_m={c.along_m}, across_m={c.across_m}, depth_m={c.depth_m}, confidence={c.confidence} "
                f"(source {c.source!r}, line {c.line}, channel {c.channel})"
            )


def _half_spacings(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Half the distance from each position to its neighbour below and above it (mirrored at the edges)."""
    n = positions.size
    if n < 2:
        return np.zeros(n), np.zeros(n)
    gaps = np.diff(positions) / 2.0
    below = np.concatenate(([gaps[0]], gaps))
    above = np.concatenate((gaps, [gaps[-1]]))
    return below, above


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _require_count(name: str, value, minimum: int) -> None:
    ok = isinstance(value, int | np.integer) and value >= minimum
    _require(ok, f"{name} must be an integer ≥ {minimum}, got {value!r}")


# --- pipes ---------------------------------------------------------------------------
def link_pipes(
    candidates: Iterable[Candidate],
    *,
    max_depth_step_m: float = 0.10,
    max_angle_deg: float = 70.0,
    max_gap: int = 1,
    min_positions: int = 3,
    max_offset_m: float = 0.15,
    apex_error_m: float = 0.05,
    depth_error_m: float = 0.02,
    direction_window: int = 4,
    smooth_window: int = 7,
    metal_min_amplitude: float = 0.5,
    max_radius_rel_std: float = 1.0,
    across_positions_m: Sequence[float] | None = None,
    position_tolerance_m: float = 1e-3,
    return_unlinked: bool = False,
):
    """Link the pipe apexes of a survey's B-scans into 3-D pipes.

    Positions are visited one after the other (see Notes). At each, every
    open track (one whose last member is at most ``max_gap`` positions back)
    predicts its pipe's along-track position and depth there from the
    straight line fitted to its last ``direction_window`` members (a
    one-member track: straight across, depth unchanged). The cost of giving
    an apex to a track is ``(Δalong / s_along)² + (Δdepth / s_depth)²`` of
    the apex from the prediction, allowed only where both ratios are ≤ 1:
    ``s_along = max_offset_m`` for a track with a direction, and
    ``tan(max_angle_deg) · Δacross + apex_error_m`` (plus a fixed penalty)
    for a one-member track; ``s_depth = max_depth_step_m`` per position
    stepped. Apexes are assigned by minimum total cost; those left over start
    new tracks.

    Parameters
    ----------
    candidates : iterable of Candidate
        Classified candidates of the survey (any kind; only ``kind == "pipe"``
        are linked, all of them tell which positions the survey has when
        ``across_positions_m`` is not given).
    max_depth_step_m : float
        Largest change of depth to top between neighbouring positions, m.
    max_angle_deg : float
        Largest plan angle of a pipe from the across-track direction, degrees
        (0 < angle < 90): bounds the along-track step of a new track and the
        slope of every prediction.
    max_gap : int
        Number of consecutive positions a pipe may be missed on.
    min_positions : int
        A track on fewer positions than ``min(min_positions, n_positions)``
        is not a pipe and is dropped (see ``return_unlinked``). With one
        position (a single line) every pipe apex is its own track.
    max_offset_m : float
        Largest along-track distance of an apex from a track's prediction, m.
    apex_error_m : float
        Along-track error of an apex position, m: what a one-member track
        (no direction yet) allows beyond the steepest plan angle's step.
        Keep it below the along-track distance of parallel pipes.
    depth_error_m : float
        Error of an apex depth, m (scores the linkings, see Notes).
    direction_window : int
        Number of most recent members whose line predicts the next (≥ 2).
    smooth_window : int
        The polyline is a local quadratic fit of along and depth against
        across over this many members (odd; tracks shorter than it, and
        values below 3, keep the members' positions).
    metal_min_amplitude : float
        A member votes "metallic" when its polarity is the surface's
        (> 0) and its amplitude (relative to the surface reflection) is at
        least this; otherwise "non-metallic" (air-filled plastic reverses the
        polarity, water-filled plastic reflects weaker than metal).
    max_radius_rel_std : float
        A member's radius counts as resolved when finite, > 0 and its
        standard error (where given) is at most this fraction of it.
    across_positions_m : sequence of float, optional
        Offsets of all the survey's channels and lines, m (default: those of
        the candidates). Give it so that channels without candidates count as
        missed.
    position_tolerance_m : float
        Across positions closer than this are one position, m.
    return_unlinked : bool
        Also return the pipe candidates of the dropped tracks.

    Returns
    -------
    tracks : list of PipeTrack
        Sorted by the along-track position of their first vertex.
    unlinked : list of Candidate
        Only with ``return_unlinked``: pipe candidates in no track.

    Notes
    -----
    A track's first members have no direction to predict with, so two pipes
    crossing near the edge where the visit starts can swap there. The
    positions are therefore visited both ways (increasing and decreasing
    ``across_m``) and the linking with the lower score is kept: per member,
    ``min((r_along / apex_error_m)² + (r_depth / depth_error_m)², 9)`` with
    ``r`` its distance from the line through its up to four nearest fellow
    members, plus 9 per track and per pipe candidate left unlinked.
    """
    _require(max_depth_step_m > 0, f"max_depth_step_m must be > 0, got {max_depth_step_m!r}")
    _require(0 < max_angle_deg < 90, f"max_angle_deg must be in (0, 90), got {max_angle_deg!r}")
    _require_count("max_gap", max_gap, 0)
    _require_count("min_positions", min_positions, 1)
    _require(max_offset_m > 0, f"max_offset_m must be > 0, got {max_offset_m!r}")
    _require(apex_error_m > 0, f"apex_error_m must be > 0, got {apex_error_m!r}")
    _require(depth_error_m > 0, f"depth_error_m must be > 0, got {depth_error_m!r}")
    _require_count("direction_window", direction_window, 2)
    _require_count("smooth_window", smooth_window, 0)
    _require(max_radius_rel_std > 0, f"max_radius_rel_std must be > 0, got {max_radius_rel_std!r}")
    candidates = list(candidates)
    positions = survey_positions(candidates, across_positions_m, tolerance_m=position_tolerance_m)
    pipes = [c for c in candidates if c.kind == "pipe"]
    _check_classified(pipes)
    by_position: list[list[Candidate]] = [[] for _ in range(positions.size)]
    for c in pipes:
        by_position[_position_index(positions, c, position_tolerance_m)].append(c)

    need = min(int(min_positions), max(positions.size, 1))
    best = None
    # a track's first members have no direction to go by, so a crossing near the edge where the
    # visit starts can swap; the visit from the other side meets it with directions known
    for order in (range(positions.size), range(positions.size - 1, -1, -1)):
        raw = _follow(
            by_position,
            positions,
            order,
            max_slope=math.tan(math.radians(max_angle_deg)),
            max_gap=int(max_gap),
            max_offset_m=float(max_offset_m),
            apex_error_m=float(apex_error_m),
            max_depth_step_m=float(max_depth_step_m),
            window=int(direction_window),
        )
        kept = [sorted(t, key=lambda m: m[0]) for t in raw if len(t) >= need]
        lost = [c for t in raw if len(t) < need for _, c in t]
        score = _CAP * (len(kept) + len(lost)) + sum(
            _roughness(t, positions, apex_error_m=apex_error_m, depth_error_m=depth_error_m) for t in kept
        )
        if best is None or score < best[0]:
            best = (score, kept, lost)
    _, kept, unlinked = best
    tracks = [
        _pipe_track(
            [c for _, c in members],
            positions[[p for p, _ in members]],
            smooth_window=int(smooth_window),
            metal_min_amplitude=metal_min_amplitude,
            max_radius_rel_std=max_radius_rel_std,
        )
        for members in kept
    ]
    tracks.sort(key=lambda t: (t.polyline[0][0], t.polyline[0][1], t.polyline[0][2]))
    logger.debug(
        "linked %d pipe candidates on %d positions into %d tracks (%d left unlinked)",
        len(pipes),
        positions.size,
        len(tracks),
        len(unlinked),
    )
    return (tracks, unlinked) if return_unlinked else tracks


def _follow(by_position, positions, order, *, max_slope, max_gap, max_offset_m, apex_error_m, max_depth_step_m, window):
    """Tracks as lists of (position index, candidate), built visiting the positions in ``order``."""
    tracks: list[list[tuple[int, Candidate]]] = []
    for k in order:
        found = by_position[k]
        if not found:
            continue
        live = [t for t in tracks if abs(k - t[-1][0]) - 1 <= max_gap]
        taken = set()
        if live:
            along = np.array([c.along_m for c in found])
            depth = np.array([c.depth_m for c in found])
            cost = np.full((len(live), len(found)), _FORBIDDEN)
            for i, track in enumerate(live):
                x_pred, z_pred, s_along, s_depth, penalty = _predict(
                    track,
                    positions,
                    k,
                    max_slope=max_slope,
                    max_offset_m=max_offset_m,
                    apex_error_m=apex_error_m,
                    max_depth_step_m=max_depth_step_m,
                    window=window,
                )
                rx = (along - x_pred) / s_along
                rz = (depth - z_pred) / s_depth
                ok = (np.abs(rx) <= 1.0) & (np.abs(rz) <= 1.0)
                cost[i, ok] = rx[ok] ** 2 + rz[ok] ** 2 + penalty
            rows, cols = linear_sum_assignment(cost)
            for i, j in zip(rows, cols, strict=True):
                if cost[i, j] < _FORBIDDEN:
                    live[i].append((k, found[j]))
                    taken.add(int(j))
        tracks.extend([(k, c)] for j, c in enumerate(found) if j not in taken)
    return tracks


def _predict(track, positions, k, *, max_slope, max_offset_m, apex_error_m, max_depth_step_m, window):
    """Predicted (along, depth) at position ``k``, the gate scales (m) and the extra cost."""
    recent = track[-window:]
    y = positions[[p for p, _ in recent]]
    x = np.array([c.along_m for _, c in recent])
    z = np.array([c.depth_m for _, c in recent])
    y_next = positions[k]
    s_depth = max_depth_step_m * abs(k - recent[-1][0])
    if len(recent) == 1:
        return x[0], z[0], max_slope * abs(y_next - y[0]) + apex_error_m, s_depth, _NEW_TRACK_PENALTY
    dy = y - y.mean()
    ss = float(dy @ dy)
    slope = float(np.clip(dy @ (x - x.mean()) / ss, -max_slope, max_slope))
    x_pred = x.mean() + slope * (y_next - y.mean())
    # two depths give too noisy a slope to extrapolate: hold their mean
    z_pred = z.mean() + (dy @ (z - z.mean()) / ss) * (y_next - y.mean()) if len(recent) >= 3 else z.mean()
    return x_pred, z_pred, max_offset_m, s_depth, 0.0


def _roughness(track, positions, *, apex_error_m, depth_error_m) -> float:
    """Sum over the members of the squared normalised distance (capped at :data:`_CAP`) from the
    line through their up to four nearest fellow members."""
    y = positions[[p for p, _ in track]]
    x = np.array([c.along_m for _, c in track])
    z = np.array([c.depth_m for _, c in track])
    total = 0.0
    for i in range(y.size):
        near = [j for j in range(i - 2, i + 3) if j != i and 0 <= j < y.size]
        if len(near) < 2:
            continue
        yy = y[near]
        rx = x[i] - np.polyval(np.polyfit(yy, x[near], 1), y[i])
        rz = z[i] - np.polyval(np.polyfit(yy, z[near], 1), y[i])
        total += min((rx / apex_error_m) ** 2 + (rz / depth_error_m) ** 2, _CAP)
    return total


def _smooth(across: np.ndarray, values: np.ndarray, window: int) -> np.ndarray:
    """Local quadratic least-squares fit of ``values`` against ``across`` (Savitzky–Golay on uneven spacing)."""
    n = across.size
    if window < 3 or n < window:
        return values.copy()
    out = np.empty(n)
    half = window // 2
    for i in range(n):
        lo = min(max(i - half, 0), n - window)
        y = across[lo : lo + window]
        centre = y.mean()
        coeffs = np.polyfit(y - centre, values[lo : lo + window], 2)
        out[i] = np.polyval(coeffs, across[i] - centre)
    return out


def _plan_angle_deg(along: np.ndarray, across: np.ndarray) -> float:
    """Angle of the total-least-squares line through the plan points, degrees from across, in (−90, 90]."""
    if along.size < 2:
        return math.nan
    pts = np.column_stack((along - along.mean(), across - across.mean()))
    _, _, vt = np.linalg.svd(pts, full_matrices=False)
    d_along, d_across = vt[0]
    if d_across < 0 or (d_across == 0 and d_along < 0):
        d_along, d_across = -d_along, -d_across
    angle = math.degrees(math.atan2(d_along, d_across))
    return 90.0 if angle == -90.0 else angle


def _robust_mean(values: np.ndarray, stds: np.ndarray) -> float:
    """Mean after dropping values more than 3 robust standard deviations from the median;
    inverse-variance weighted where every kept value has a standard error."""
    median = np.median(values)
    mad = 1.4826 * np.median(np.abs(values - median))
    keep = np.abs(values - median) <= 3.0 * mad if mad > 0 else np.ones(values.size, dtype=bool)
    v, s = values[keep], stds[keep]
    if np.all(np.isfinite(s) & (s > 0)):
        w = 1.0 / s**2
        return float(w @ v / w.sum())
    return float(v.mean())


def _diameter_m(members: Sequence[Candidate], max_radius_rel_std: float) -> float | None:
    radius = np.array([c.radius_m for c in members], dtype=np.float64)
    std = np.array([c.radius_std_m for c in members], dtype=np.float64)
    with np.errstate(invalid="ignore"):
        resolved = np.isfinite(radius) & (radius > 0) & ~(std > max_radius_rel_std * radius)
    if not resolved.any():
        return None
    return 2.0 * _robust_mean(radius[resolved], std[resolved])


def _material(members: Sequence[Candidate], metal_min_amplitude: float) -> str:
    """Confidence-weighted vote: same polarity as the surface and strong → metallic."""
    metal = total = 0.0
    for c in members:
        if not (math.isfinite(c.polarity) and math.isfinite(c.amplitude)):
            continue
        total += c.confidence
        if c.polarity > 0 and c.amplitude >= metal_min_amplitude:
            metal += c.confidence
    return METALLIC if total > 0 and metal > total / 2.0 else NON_METALLIC


def _pipe_track(members, across, *, smooth_window, metal_min_amplitude, max_radius_rel_std) -> PipeTrack:
    along = _smooth(across, np.array([c.along_m for c in members]), smooth_window)
    depth = _smooth(across, np.array([c.depth_m for c in members]), smooth_window)
    polyline = tuple((float(a), float(y), float(d)) for a, y, d in zip(along, across, depth, strict=True))
    return PipeTrack(
        polyline=polyline,
        members=tuple(members),
        diameter_m=_diameter_m(members, max_radius_rel_std),
        material=_material(members, metal_min_amplitude),
        confidence=float(np.mean([c.confidence for c in members])),
        plan_angle_deg=_plan_angle_deg(along, across),
    )


# --- cavities ------------------------------------------------------------------------
def group_cavities(
    candidates: Iterable[Candidate],
    *,
    max_depth_step_m: float = 0.15,
    max_gap: int = 1,
    along_tolerance_m: float = 0.05,
    min_positions: int = 1,
    across_positions_m: Sequence[float] | None = None,
    position_tolerance_m: float = 1e-3,
) -> list[CavityGroup]:
    """Group the cavity tops of a survey's B-scans into cavities.

    Two cavity candidates belong to the same cavity when they are at most
    ``max_gap + 1`` positions apart (the same position included: parallel
    lines over one strip, or a top split in two), their along-track extents
    overlap or come within ``along_tolerance_m``, and their depths to top
    differ by at most ``max_depth_step_m``; groups are the connected sets of
    that relation.

    The height of a member is ``(extra["bottom_twt_ns"] − twt_ns) · v / 2``
    with ``v`` the wave speed in the fill: ``extra["fill_velocity_m_per_ns"]``
    where given, else that of the group's fill vote (air or water, from the
    polarity; DOMAIN.md: an air void's top is reversed against the surface).

    Parameters
    ----------
    candidates : iterable of Candidate
        Classified candidates (only ``kind == "cavity"`` are grouped, all
        tell the survey's positions when ``across_positions_m`` is not given).
    max_depth_step_m : float
        Largest difference of depth to top within a group between linked members, m.
    max_gap : int
        Number of consecutive positions a cavity may be missed on.
    along_tolerance_m : float
        Largest along-track gap between linked members' extents, m.
    min_positions : int
        Groups on fewer positions than ``min(min_positions, n_positions)`` are dropped.
    across_positions_m : sequence of float, optional
        Offsets of all the survey's channels and lines, m (default: those of
        the candidates). They set the across extent (half the spacing beyond
        the outer members).
    position_tolerance_m : float
        Across positions closer than this are one position, m.

    Returns
    -------
    list of CavityGroup
        Sorted by ``x_min_m`` then ``y_min_m``.
    """
    _require(max_depth_step_m > 0, f"max_depth_step_m must be > 0, got {max_depth_step_m!r}")
    _require_count("max_gap", max_gap, 0)
    _require(along_tolerance_m >= 0, f"along_tolerance_m must be ≥ 0, got {along_tolerance_m!r}")
    _require_count("min_positions", min_positions, 1)
    candidates = list(candidates)
    positions = survey_positions(candidates, across_positions_m, tolerance_m=position_tolerance_m)
    cavities = [c for c in candidates if c.kind == "cavity"]
    _check_classified(cavities)
    if not cavities:
        return []
    pos = np.array([_position_index(positions, c, position_tolerance_m) for c in cavities])
    x0, x1 = np.array([_along_extent(c) for c in cavities]).T
    depth = np.array([c.depth_m for c in cavities])

    labels = _components(
        pos, x0, x1, depth, max_steps=max_gap + 1, along_tolerance_m=along_tolerance_m, max_depth_m=max_depth_step_m
    )
    below, above = _half_spacings(positions)
    need = min(int(min_positions), positions.size)
    groups = []
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        if np.unique(pos[idx]).size < need:
            continue
        idx = idx[np.lexsort((x0[idx], pos[idx]))]
        groups.append(_cavity_group([cavities[i] for i in idx], pos[idx], x0[idx], x1[idx], positions, below, above))
    groups.sort(key=lambda g: (g.x_min_m, g.y_min_m))
    logger.debug("grouped %d cavity candidates into %d cavities", len(cavities), len(groups))
    return groups


def _along_extent(c: Candidate) -> tuple[float, float]:
    half = c.width_m / 2.0 if math.isfinite(c.width_m) else 0.0
    lo = float(c.extra.get(_X_MIN, c.along_m - half))
    hi = float(c.extra.get(_X_MAX, c.along_m + half))
    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
        raise ValueError(
            f"cavity candidate at along_m={c.along_m} (source {c.source!r}, line {c.line}, channel {c.channel}) "
            f"has along extent [{lo}, {hi}]; expected finite x_min_m ≤ x_max_m"
        )
    return lo, hi


def _components(pos, x0, x1, depth, *, max_steps, along_tolerance_m, max_depth_m) -> np.ndarray:
    """Connected-component label of each cavity candidate under the linking relation of :func:`group_cavities`."""
    n = pos.size
    order = np.argsort(x0, kind="stable")
    starts = x0[order]
    longest = float((x1 - x0).max())
    rows, cols = [], []
    for i in range(n):
        # only candidates whose start lies within reach of this one's extent can overlap it
        lo = np.searchsorted(starts, x0[i] - longest - along_tolerance_m, side="left")
        hi = np.searchsorted(starts, x1[i] + along_tolerance_m, side="right")
        j = order[lo:hi]
        ok = (
            (j != i)
            & (np.abs(pos[j] - pos[i]) <= max_steps)
            & (np.maximum(x0[j], x0[i]) - np.minimum(x1[j], x1[i]) <= along_tolerance_m)
            & (np.abs(depth[j] - depth[i]) <= max_depth_m)
        )
        rows.append(np.full(int(ok.sum()), i))
        cols.append(j[ok])
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    graph = coo_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _fill(members: Sequence[Candidate]) -> str:
    """Confidence-weighted polarity vote: reversed against the surface → air, same → water."""
    vote = sum(
        c.confidence * math.copysign(1.0, c.polarity) for c in members if math.isfinite(c.polarity) and c.polarity != 0
    )
    return "water" if vote > 0 else "air"


def _member_height_m(c: Candidate, fill_velocity: float) -> float:
    bottom = float(c.extra.get(_BOTTOM_TWT, math.nan))
    v = float(c.extra.get(_FILL_VELOCITY, fill_velocity))
    if not (math.isfinite(bottom) and bottom > c.twt_ns and v > 0):
        return math.nan
    return (bottom - c.twt_ns) * v / 2.0


def _cavity_group(members, pos, x0, x1, positions, below, above) -> CavityGroup:
    fill = _fill(members)
    fill_velocity = C_M_PER_NS / math.sqrt(MATERIAL_PERMITTIVITY[fill])
    heights = np.array([_member_height_m(c, fill_velocity) for c in members])
    height = float(np.nanmax(heights)) if np.isfinite(heights).any() else None
    first, last = int(pos.min()), int(pos.max())
    y_min, y_max = positions[first] - below[first], positions[last] + above[last]

    volume = None
    if height is not None and y_max > y_min:
        # section area (along extent × height) at each member position, interpolated over missed positions
        h = np.where(np.isfinite(heights), heights, height)
        present = np.unique(pos)
        area = np.array([np.max(((x1 - x0) * h)[pos == p]) for p in present])
        span = np.arange(first, last + 1)
        strip = below[span] + above[span]
        volume = float(np.interp(positions[span], positions[present], area) @ strip)
    return CavityGroup(
        members=tuple(members),
        x_min_m=float(x0.min()),
        x_max_m=float(x1.max()),
        y_min_m=float(y_min),
        y_max_m=float(y_max),
        depth_m=float(min(c.depth_m for c in members)),
        height_m=height,
        volume_m3=volume,
        confidence=float(np.mean([c.confidence for c in members])),
        fill=fill,
    )
