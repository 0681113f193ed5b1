"""Scoring detections against ground truth: matching, F1 and the other figures of issue 4.

The matching rule
-----------------
A detection (a pipe or cavity found by ``roadbed detect``) *matches* a truth
pipe or cavity when, at the detection's across-track position ``y``,

* ``y`` lies on the truth object's across-track extent widened by
  ``across_tolerance_m`` on both sides (``y`` is then clamped onto the
  extent);
* its along-track position is within ``along_tolerance_m`` (0.15 m) of the
  truth's along-track position *at* ``y`` — for a pipe, where its axis
  polyline crosses ``y`` (so a pipe at an angle is compared at the right
  place), for a cavity its centre;
* its depth to top is within ``depth_tolerance_m`` (0.10 m) of the truth's
  depth to top at that point.

Both limits are inclusive. Matching is one to one (Hungarian assignment,
:func:`scipy.optimize.linear_sum_assignment`): the most pairs possible, then
the smallest total of normalised distances ``hypot(Δalong/tol, Δdepth/tol)``.
The kind does not take part in matching (a pipe found as a cavity is a
detection, misclassified); it is scored by ``classification_accuracy``.
Detections of kind ``"other"`` and truth of kind ``"other"`` (stones,
rebar) take no part: such a detection is neither a hit nor a false alarm.

A detection is matched by its point ``(x_m, y_m, depth_m)``; a linked pipe's
point should lie on its polyline (see :func:`detection_from_hazard`). The
polyline itself is scored by ``plan_position_error_m``: for every matched
pipe detection that has one, the plan distance from each of its vertices to
the truth pipe's axis, averaged over all such vertices.

Inputs
------
Detections may be the JSON items that ``roadbed detect --json`` prints
(dicts with ``kind``, ``x_m``, ``y_m``, ``depth_m``, ``width_m``,
``confidence``, ``source`` and optionally ``polyline`` / ``extent``),
:class:`~roadbed.hazards.Hazard` records or :class:`DetectionItem`. Truth may
be hazards (from :mod:`roadbed.synth`), one scene of
``scenes/gprmax/truth.json`` (see :func:`truth_from_gprmax`) or
:class:`TruthItem`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..hazards import Hazard

__all__ = [
    "ACROSS_TOLERANCE_M",
    "ALONG_TOLERANCE_M",
    "DEPTH_TOLERANCE_M",
    "SCORED_KINDS",
    "DetectionItem",
    "DetectionScore",
    "Matching",
    "TruthItem",
    "combine",
    "detection_from_hazard",
    "detection_from_json",
    "match",
    "score_detections",
    "truth_from_gprmax",
    "truth_from_hazards",
]

#: along-track match tolerance of issue 4, m
ALONG_TOLERANCE_M = 0.15
#: depth match tolerance of issue 4, m
DEPTH_TOLERANCE_M = 0.10
#: default across-track tolerance around a truth object's extent, m
ACROSS_TOLERANCE_M = 0.15
#: the kinds that are scored; everything else is ignored
SCORED_KINDS = ("pipe", "cavity")

# slack on the inclusive limits, so that a value on the limit is not lost to rounding
_EPS_M = 1e-9
# cost of a forbidden pair; any allowed pair costs at most sqrt(2)
_FORBIDDEN = 1e6


# --- internal forms ----------------------------------------------------------------
@dataclass(frozen=True)
class TruthItem:
    """One true object, in the form matching works on.

    Attributes
    ----------
    kind : str
        ``"pipe"``, ``"cavity"`` or ``"other"``.
    along_m, across_m : float
        Reference plan position, m: a cavity's centre; a point of a pipe.
    depth_m : float
        Depth to top, m.
    across_extent_m : (float, float)
        Across-track extent (min, max), m; ``(-inf, inf)`` for a 2-D model
        target, which extends across the whole survey.
    polyline_m : tuple of (along_m, across_m, depth_m), optional
        A pipe's axis top (at least two vertices). Without one the object lies
        at ``along_m`` and ``depth_m`` all over its across extent (a cavity, a
        pipe crossing a 2-D model at right angles).
    attributes : dict
        ``diameter_m``, ``material``, ``fill``, ``width_m`` … as the source gave them.
    source : str
        Where the truth came from.
    """

    kind: str
    along_m: float
    across_m: float
    depth_m: float
    across_extent_m: tuple[float, float]
    polyline_m: tuple[tuple[float, float, float], ...] | None = None
    attributes: dict = field(default_factory=dict)
    source: str = ""

    def __post_init__(self):
        lo, hi = (float(v) for v in self.across_extent_m)
        if not lo <= hi:
            raise ValueError(f"across_extent_m must be (min, max), got {self.across_extent_m!r}")
        object.__setattr__(self, "across_extent_m", (lo, hi))
        if self.polyline_m is not None:
            verts = tuple(tuple(float(c) for c in v) for v in self.polyline_m)
            if len(verts) < 2 or any(len(v) != 3 for v in verts):
                raise ValueError("polyline_m needs at least two (along_m, across_m, depth_m) vertices")
            object.__setattr__(self, "polyline_m", verts)

    def positions_at(self, across_m: float) -> list[tuple[float, float, float]]:
        """Where the object lies at one across-track position.

        Parameters
        ----------
        across_m : float
            Across-track position, m (clamped onto the extent by the caller).

        Returns
        -------
        list of (along_lo_m, along_hi_m, depth_m)
            Along-track intervals (a single point has ``lo == hi``) at that
            across position with their depth to top; a pipe segment running
            along the track gives a whole interval. Empty where the object
            is not at ``across_m``.
        """
        if self.polyline_m is None:
            lo, hi = self.across_extent_m
            return [(self.along_m, self.along_m, self.depth_m)] if lo - _EPS_M <= across_m <= hi + _EPS_M else []
        out = []
        for (a0, c0, z0), (a1, c1, z1) in itertools.pairwise(self.polyline_m):
            if abs(c1 - c0) <= _EPS_M:
                if abs(across_m - c0) <= _EPS_M:
                    out.append((min(a0, a1), max(a0, a1), min(z0, z1)))
                continue
            t = (across_m - c0) / (c1 - c0)
            if -_EPS_M <= t <= 1.0 + _EPS_M:
                a = a0 + t * (a1 - a0)
                out.append((a, a, z0 + t * (z1 - z0)))
        return out

    def plan_distance_m(self, along_m: float, across_m: float) -> float:
        """Plan distance from a point to the object's axis (or its along position line), m."""
        if self.polyline_m is None:
            lo, hi = self.across_extent_m
            outside = max(lo - across_m, across_m - hi, 0.0)
            return math.hypot(along_m - self.along_m, outside)
        return _point_polyline_distance(along_m, across_m, [(v[0], v[1]) for v in self.polyline_m])


@dataclass(frozen=True)
class DetectionItem:
    """One detection, in the form matching works on (the fields of ``roadbed detect --json``).

    Attributes
    ----------
    kind : str
        ``"pipe"``, ``"cavity"`` or ``"other"``.
    x_m, y_m : float
        Along- and across-track position of the apex or centre, m.
    depth_m : float
        Depth to top, m.
    width_m : float
        Pipe diameter or cavity width along track, m (nan if unknown).
    confidence : float
        0–1.
    source : str
    polyline_m : tuple of (x_m, y_m, depth_m), optional
        A linked pipe's polyline.
    """

    kind: str
    x_m: float
    y_m: float
    depth_m: float
    width_m: float = math.nan
    confidence: float = math.nan
    source: str = ""
    polyline_m: tuple[tuple[float, float, float], ...] | None = None


def _point_polyline_distance(x: float, y: float, vertices: Sequence[tuple[float, float]]) -> float:
    """Plan distance from ``(x, y)`` to a polyline of ``(x, y)`` vertices."""
    p = np.array([x, y], dtype=np.float64)
    v = np.asarray(vertices, dtype=np.float64)
    if len(v) == 1:
        return float(np.hypot(*(p - v[0])))
    a, b = v[:-1], v[1:]
    ab = b - a
    length2 = np.einsum("ij,ij->i", ab, ab)
    t = np.where(length2 > 0, np.einsum("ij,ij->i", p - a, ab) / np.where(length2 > 0, length2, 1.0), 0.0)
    nearest = a + np.clip(t, 0.0, 1.0)[:, None] * ab
    return float(np.min(np.hypot(*(p - nearest).T)))


# --- converters -----------------------------------------------------------------------
def truth_from_hazards(hazards: Iterable[Hazard]) -> list[TruthItem]:
    """Truth items from hazard records (e.g. the truth of :func:`roadbed.synth.synthetic_survey`).

    A polyline (pipe, bar) keeps its vertices as its axis; a polygon (cavity
    outline at depth to top) becomes its along-track centre, across extent
    and depth; a point stays a point (zero across extent).

    Parameters
    ----------
    hazards : iterable of Hazard

    Returns
    -------
    list of TruthItem
        One per hazard, in order.
    """
    out = []
    for h in hazards:
        verts = np.asarray(h.vertices, dtype=np.float64)
        along, across = verts[:, 0], verts[:, 1]
        extent = (float(across.min()), float(across.max()))
        if h.geometry_type == "polyline" and len(verts) >= 2:
            out.append(
                TruthItem(h.kind, h.along_m, h.across_m, h.depth_m, extent, h.vertices, dict(h.attributes), h.source)
            )
        else:
            centre = 0.5 * (float(along.min()) + float(along.max()))
            out.append(TruthItem(h.kind, centre, h.across_m, h.depth_m, extent, None, dict(h.attributes), h.source))
    return out


def truth_from_gprmax(scene: Mapping, *, include_clutter: bool = True) -> list[TruthItem]:
    """Truth items from one scene of ``scenes/gprmax/truth.json``.

    The models are 2-D: every target extends across the whole survey
    (across extent ``(-inf, inf)``, reference across position 0). A
    target's along position is its model ``x_m`` (the centre), its depth
    ``depth_top_m``; a cavity's ``width_m`` is its along-track extent.

    Parameters
    ----------
    scene : mapping
        ``truth["scenes"][name]``: with ``targets`` (``kind``, ``x_m``,
        ``depth_top_m`` …) and ``clutter`` (stones: ``x_m``,
        ``depth_centre_m``, ``radius_m``).
    include_clutter : bool
        Add the clutter as items of kind ``"other"`` (they are not scored).

    Returns
    -------
    list of TruthItem
        Targets, then clutter.
    """
    if "scenes" in scene and "targets" not in scene:
        raise ValueError("pass one scene of truth.json (truth['scenes'][name]), not the whole file")
    source = str(scene.get("file", ""))
    whole = (-math.inf, math.inf)
    out = []
    for t in scene.get("targets", ()):
        kind = t["kind"] if t["kind"] in SCORED_KINDS else "other"
        attrs = {"fill": t.get("fill", {}).get("name", "")}
        if "radius_m" in t:
            attrs["diameter_m"] = 2.0 * float(t["radius_m"])
        for key in ("width_m", "height_m"):
            if key in t:
                attrs[key] = float(t[key])
        out.append(TruthItem(kind, float(t["x_m"]), 0.0, float(t["depth_top_m"]), whole, None, attrs, source))
    if include_clutter:
        for c in scene.get("clutter", ()):
            radius = float(c.get("radius_m", 0.0))
            depth = float(c["depth_centre_m"]) - radius
            attrs = {"diameter_m": 2.0 * radius, "material": c.get("kind", "")}
            out.append(TruthItem("other", float(c["x_m"]), 0.0, depth, whole, None, attrs, source))
    return out


def detection_from_json(item: Mapping) -> DetectionItem:
    """A :class:`DetectionItem` from one item of ``roadbed detect --json``.

    Parameters
    ----------
    item : mapping
        With ``kind``, ``x_m``, ``depth_m`` and optionally ``y_m`` (default
        0), ``width_m``, ``confidence``, ``source``, ``polyline``
        (``[[x_m, y_m, depth_m], …]``).

    Returns
    -------
    DetectionItem
    """
    try:
        kind = str(item["kind"])
        x, depth = float(item["x_m"]), float(item["depth_m"])
    except KeyError as exc:
        raise ValueError(f"a detection item needs 'kind', 'x_m' and 'depth_m'; {exc} is missing") from exc
    polyline = item.get("polyline")
    if polyline is not None:
        polyline = tuple(tuple(float(c) for c in v) for v in polyline)
        if not polyline or any(len(v) != 3 for v in polyline):
            raise ValueError("a detection's polyline must be a list of [x_m, y_m, depth_m]")
    return DetectionItem(
        kind,
        x,
        float(item.get("y_m", 0.0)),
        depth,
        _number_or_nan(item.get("width_m")),  # null: a pipe whose radius is not resolvable
        _number_or_nan(item.get("confidence")),
        str(item.get("source", "")),
        polyline,
    )


def _number_or_nan(value) -> float:
    return math.nan if value is None else float(value)


def _polyline_midpoint(vertices: Sequence[tuple[float, float, float]]) -> tuple[float, float, float]:
    """The point half way along a polyline's plan length (depth interpolated)."""
    v = np.asarray(vertices, dtype=np.float64)
    seg = np.hypot(*np.diff(v[:, :2], axis=0).T)
    total = float(seg.sum())
    if total == 0.0:
        return tuple(float(c) for c in v[0])
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    return tuple(float(np.interp(total / 2.0, cum, v[:, k])) for k in range(3))


def detection_from_hazard(hazard: Hazard) -> DetectionItem:
    """A :class:`DetectionItem` from a detected hazard record.

    A polyline (linked pipe) is matched by the point half way along it and
    keeps its vertices for the plan position error; a polygon (cavity
    outline) by its along-track centre; a point by itself.

    Parameters
    ----------
    hazard : Hazard

    Returns
    -------
    DetectionItem
    """
    verts = hazard.vertices
    attrs = hazard.attributes
    width = attrs.get("diameter_m", attrs.get("length_m", attrs.get("width_m", math.nan)))
    polyline = None
    if hazard.geometry_type == "polyline" and len(verts) >= 2:
        x, y, depth = _polyline_midpoint(verts)
        polyline = verts
    else:
        along = [v[0] for v in verts]
        x, y, depth = 0.5 * (min(along) + max(along)), hazard.across_m, hazard.depth_m
    return DetectionItem(hazard.kind, x, y, depth, float(width), hazard.confidence, hazard.source, polyline)


def _as_detection(d) -> DetectionItem:
    if isinstance(d, DetectionItem):
        return d
    if isinstance(d, Hazard):
        return detection_from_hazard(d)
    if isinstance(d, Mapping):
        return detection_from_json(d)
    raise TypeError(f"a detection must be a dict, Hazard or DetectionItem, got {type(d).__name__}")


def _as_truth(truth) -> list[TruthItem]:
    if isinstance(truth, Mapping):
        return truth_from_gprmax(truth)
    items = list(truth)
    if all(isinstance(t, TruthItem) for t in items):
        return items
    if all(isinstance(t, Hazard) for t in items):
        return truth_from_hazards(items)
    raise TypeError("truth must be a gprMax truth.json scene, or a list of Hazard or of TruthItem")


# --- matching -------------------------------------------------------------------------
def _offsets(det: DetectionItem, truth: TruthItem, across_tolerance_m: float) -> tuple[float, float] | None:
    """(|Δalong|, |Δdepth|) of a detection from a truth object at the detection's across position."""
    lo, hi = truth.across_extent_m
    if not lo - across_tolerance_m - _EPS_M <= det.y_m <= hi + across_tolerance_m + _EPS_M:
        return None
    best = None
    for a_lo, a_hi, depth in truth.positions_at(min(max(det.y_m, lo), hi)):
        d_along = max(a_lo - det.x_m, det.x_m - a_hi, 0.0)
        d_depth = abs(det.depth_m - depth)
        if best is None or (d_along, d_depth) < best:
            best = (d_along, d_depth)
    return best


@dataclass(frozen=True)
class Matching:
    """The one-to-one assignment of detections to truth.

    Indices refer to the input lists as given (all kinds).

    Attributes
    ----------
    pairs : tuple of (int, int)
        (detection index, truth index) of each match.
    along_errors_m, depth_errors_m : tuple of float
        |Δalong| and |Δdepth| of each pair, m.
    false_alarms : tuple of int
        Indices of pipe/cavity detections that match nothing.
    missed : tuple of int
        Indices of pipe/cavity truth objects that nothing matches.
    ignored : tuple of int
        Indices of detections of other kinds (not scored).
    """

    pairs: tuple[tuple[int, int], ...]
    along_errors_m: tuple[float, ...]
    depth_errors_m: tuple[float, ...]
    false_alarms: tuple[int, ...]
    missed: tuple[int, ...]
    ignored: tuple[int, ...]


def _match_items(
    dets: list[DetectionItem],
    truth: list[TruthItem],
    *,
    along_tolerance_m: float,
    depth_tolerance_m: float,
    across_tolerance_m: float,
) -> Matching:
    for name, value in (("along", along_tolerance_m), ("depth", depth_tolerance_m), ("across", across_tolerance_m)):
        if not (value >= 0 and math.isfinite(value)):
            raise ValueError(f"{name}_tolerance_m must be finite and ≥ 0, got {value!r}")
    di = [i for i, d in enumerate(dets) if d.kind in SCORED_KINDS]
    ti = [j for j, t in enumerate(truth) if t.kind in SCORED_KINDS]
    ignored = tuple(i for i, d in enumerate(dets) if d.kind not in SCORED_KINDS)
    cost = np.full((len(di), len(ti)), _FORBIDDEN)
    errors = {}
    for r, i in enumerate(di):
        for c, j in enumerate(ti):
            off = _offsets(dets[i], truth[j], across_tolerance_m)
            if off is None:
                continue
            d_along, d_depth = off
            if d_along <= along_tolerance_m + _EPS_M and d_depth <= depth_tolerance_m + _EPS_M:
                cost[r, c] = math.hypot(
                    d_along / along_tolerance_m if along_tolerance_m > 0 else 0.0,
                    d_depth / depth_tolerance_m if depth_tolerance_m > 0 else 0.0,
                )
                errors[r, c] = off
    pairs, along_err, depth_err = [], [], []
    if cost.size:
        rows, cols = linear_sum_assignment(cost)
        for r, c in zip(rows, cols, strict=True):
            if (r, c) in errors:
                pairs.append((di[r], ti[c]))
                along_err.append(errors[r, c][0])
                depth_err.append(errors[r, c][1])
    order = np.argsort([p[0] for p in pairs], kind="stable")
    pairs = [pairs[k] for k in order]
    matched_d = {p[0] for p in pairs}
    matched_t = {p[1] for p in pairs}
    return Matching(
        pairs=tuple(pairs),
        along_errors_m=tuple(float(along_err[k]) for k in order),
        depth_errors_m=tuple(float(depth_err[k]) for k in order),
        false_alarms=tuple(i for i in di if i not in matched_d),
        missed=tuple(j for j in ti if j not in matched_t),
        ignored=ignored,
    )


def match(
    detections: Sequence,
    truth,
    *,
    along_tolerance_m: float = ALONG_TOLERANCE_M,
    depth_tolerance_m: float = DEPTH_TOLERANCE_M,
    across_tolerance_m: float = ACROSS_TOLERANCE_M,
) -> Matching:
    """Match pipe/cavity detections one to one with true pipes and cavities.

    Parameters
    ----------
    detections : sequence of dict, Hazard or DetectionItem
        ``roadbed detect --json`` items, detected hazards, or items.
    truth : sequence of Hazard or TruthItem, or a gprMax truth.json scene (mapping)
    along_tolerance_m, depth_tolerance_m : float
        Inclusive limits on |Δalong| and |Δdepth|, m (issue 4: 0.15 and 0.10).
    across_tolerance_m : float
        How far beyond a truth object's across extent a detection may lie, m.

    Returns
    -------
    Matching
    """
    return _match_items(
        [_as_detection(d) for d in detections],
        _as_truth(truth),
        along_tolerance_m=along_tolerance_m,
        depth_tolerance_m=depth_tolerance_m,
        across_tolerance_m=across_tolerance_m,
    )


# --- scores ---------------------------------------------------------------------------
def _nan_median(values: Sequence[float]) -> float:
    return float(np.median(values)) if len(values) else math.nan


def _nan_mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if len(values) else math.nan


@dataclass(frozen=True)
class DetectionScore:
    """How well detections agree with truth (one scene, or several pooled).

    Attributes
    ----------
    tp, fp, fn : int
        Matched detections, unmatched pipe/cavity detections (false alarms),
        unmatched pipe/cavity truth objects (misses).
    n_kind_correct : int
        Matched detections whose kind equals the truth's.
    n_ignored : int
        Detections of kind ``"other"`` (not scored).
    surveyed_length_m : float
        Length of survey the false alarms are counted over, m (nan if unknown).
    along_errors_m, depth_errors_m : tuple of float
        |Δalong| and |Δdepth| of every match, m.
    plan_errors_m : tuple of float
        Plan distance of every vertex of every matched linked pipe's polyline
        from the true pipe's axis, m.
    """

    tp: int
    fp: int
    fn: int
    n_kind_correct: int = 0
    n_ignored: int = 0
    surveyed_length_m: float = math.nan
    along_errors_m: tuple[float, ...] = ()
    depth_errors_m: tuple[float, ...] = ()
    plan_errors_m: tuple[float, ...] = ()

    @property
    def precision(self) -> float:
        """``tp / (tp + fp)``; 1 when nothing was detected (no false alarm)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """``tp / (tp + fn)``; 1 when there was nothing to find."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """``2 tp / (2 tp + fp + fn)`` (harmonic mean of precision and recall); 1 when all are 0."""
        total = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / total if total else 1.0

    @property
    def median_depth_error_m(self) -> float:
        """Median |Δdepth| over the matches, m (nan without matches)."""
        return _nan_median(self.depth_errors_m)

    @property
    def median_along_error_m(self) -> float:
        """Median |Δalong| over the matches, m (nan without matches)."""
        return _nan_median(self.along_errors_m)

    @property
    def classification_accuracy(self) -> float:
        """Fraction of matched detections whose kind is right (nan without matches)."""
        return self.n_kind_correct / self.tp if self.tp else math.nan

    @property
    def false_alarms_per_100m(self) -> float:
        """False alarms per 100 m of survey (nan if the length is unknown or 0)."""
        if not self.surveyed_length_m > 0:
            return math.nan
        return 100.0 * self.fp / self.surveyed_length_m

    @property
    def plan_position_error_m(self) -> float:
        """Mean plan distance of linked pipes' vertices from the true axes, m (nan without any)."""
        return _nan_mean(self.plan_errors_m)

    def summary(self) -> dict:
        """The figures of issue 4 as a plain dict (for reports and JSON)."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "median_depth_error_m": self.median_depth_error_m,
            "median_along_error_m": self.median_along_error_m,
            "classification_accuracy": self.classification_accuracy,
            "false_alarms_per_100m": self.false_alarms_per_100m,
            "plan_position_error_m": self.plan_position_error_m,
            "surveyed_length_m": self.surveyed_length_m,
        }


def score_detections(
    detections: Sequence,
    truth,
    *,
    surveyed_length_m: float = math.nan,
    along_tolerance_m: float = ALONG_TOLERANCE_M,
    depth_tolerance_m: float = DEPTH_TOLERANCE_M,
    across_tolerance_m: float = ACROSS_TOLERANCE_M,
) -> DetectionScore:
    """Score one scene's detections against its truth.

    Parameters
    ----------
    detections : sequence of dict, Hazard or DetectionItem
        ``roadbed detect --json`` items, detected hazards, or items.
    truth : sequence of Hazard or TruthItem, or a gprMax truth.json scene (mapping)
    surveyed_length_m : float
        Length of survey driven, m, for ``false_alarms_per_100m`` (an array
        pass counts once; parallel single lines count each).
    along_tolerance_m, depth_tolerance_m, across_tolerance_m : float
        See :func:`match`.

    Returns
    -------
    DetectionScore
    """
    dets = [_as_detection(d) for d in detections]
    items = _as_truth(truth)
    m = _match_items(
        dets,
        items,
        along_tolerance_m=along_tolerance_m,
        depth_tolerance_m=depth_tolerance_m,
        across_tolerance_m=across_tolerance_m,
    )
    plan = []
    for i, j in m.pairs:
        det, true = dets[i], items[j]
        if det.kind == "pipe" and true.kind == "pipe" and det.polyline_m is not None:
            plan.extend(true.plan_distance_m(v[0], v[1]) for v in det.polyline_m)
    return DetectionScore(
        tp=len(m.pairs),
        fp=len(m.false_alarms),
        fn=len(m.missed),
        n_kind_correct=sum(dets[i].kind == items[j].kind for i, j in m.pairs),
        n_ignored=len(m.ignored),
        surveyed_length_m=float(surveyed_length_m),
        along_errors_m=m.along_errors_m,
        depth_errors_m=m.depth_errors_m,
        plan_errors_m=tuple(float(p) for p in plan),
    )


def combine(scores: Iterable[DetectionScore]) -> DetectionScore:
    """Pool the scores of several scenes, as if scored all at once.

    Counts, lengths and error lists add up, so the pooled precision, recall,
    F1, medians and rates are those of all matches together (not a mean of
    per-scene figures). A scene of unknown length makes the pooled length
    unknown.

    Parameters
    ----------
    scores : iterable of DetectionScore

    Returns
    -------
    DetectionScore
    """
    scores = list(scores)
    return DetectionScore(
        tp=sum(s.tp for s in scores),
        fp=sum(s.fp for s in scores),
        fn=sum(s.fn for s in scores),
        n_kind_correct=sum(s.n_kind_correct for s in scores),
        n_ignored=sum(s.n_ignored for s in scores),
        surveyed_length_m=float(sum(s.surveyed_length_m for s in scores)) if scores else math.nan,
        along_errors_m=tuple(e for s in scores for e in s.along_errors_m),
        depth_errors_m=tuple(e for s in scores for e in s.depth_errors_m),
        plan_errors_m=tuple(e for s in scores for e in s.plan_errors_m),
    )
