"""Scoring detections against truth (roadbed.detect.score); the synthetic evaluation suite (detect.scenes)."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from roadbed import conventions as cv
from roadbed.detect.scenes import evaluation_scene, evaluation_scenes, is_negative, scene_spec
from roadbed.detect.score import (
    DetectionScore,
    TruthItem,
    combine,
    detection_from_hazard,
    match,
    score_detections,
    truth_from_gprmax,
    truth_from_hazards,
)
from roadbed.hazards import Hazard
from roadbed.synth import Cavity, GprScene, Pipe, ground_truth

TRUTH_JSON = Path(__file__).resolve().parent.parent / "scenes" / "gprmax" / "truth.json"


def _pipe_across(along_m, depth_m, across_m=(-0.5, 0.5)):
    """A pipe crossing the survey at right angles (axis along the across direction)."""
    return Hazard("pipe", "polyline", [(along_m, across_m[0], depth_m), (along_m, across_m[1], depth_m)])


def _cavity(along_m, across_m, depth_m, length_m, width_m):
    a, b = length_m / 2, width_m / 2
    corners = [(-a, -b), (a, -b), (a, b), (-a, b)]
    return Hazard("cavity", "polygon", [(along_m + x, across_m + y, depth_m) for x, y in corners])


def _det(kind, x_m, depth_m, y_m=0.0, **extra):
    return {"kind": kind, "x_m": x_m, "y_m": y_m, "depth_m": depth_m, "width_m": 0.1, "confidence": 0.9,
            "source": "test", **extra}  # fmt: skip


# --- the matching rule ----------------------------------------------------------------
@pytest.mark.parametrize(("d_along", "expected"), [(0.149, 1), (0.15, 1), (0.151, 0), (-0.149, 1), (-0.151, 0)])
def test_along_tolerance(d_along, expected):
    truth = [_pipe_across(2.0, 0.5)]
    s = score_detections([_det("pipe", 2.0 + d_along, 0.5)], truth)
    assert (s.tp, s.fp, s.fn) == (expected, 1 - expected, 1 - expected)


@pytest.mark.parametrize(("d_depth", "expected"), [(0.099, 1), (0.1, 1), (0.101, 0), (-0.099, 1), (-0.101, 0)])
def test_depth_tolerance(d_depth, expected):
    truth = [_pipe_across(2.0, 0.5)]
    s = score_detections([_det("pipe", 2.0, 0.5 + d_depth)], truth)
    assert (s.tp, s.fp, s.fn) == (expected, 1 - expected, 1 - expected)
    if expected:
        assert s.depth_errors_m == pytest.approx((abs(d_depth),))


def test_tolerances_are_parameters():
    truth = [_pipe_across(2.0, 0.5)]
    det = [_det("pipe", 2.25, 0.5)]
    assert score_detections(det, truth).tp == 0
    assert score_detections(det, truth, along_tolerance_m=0.3).tp == 1
    with pytest.raises(ValueError):
        match(det, truth, depth_tolerance_m=-1.0)


def test_one_to_one():
    truth = [_pipe_across(2.0, 0.5)]
    s = score_detections([_det("pipe", 2.02, 0.5), _det("pipe", 1.95, 0.52)], truth)
    assert (s.tp, s.fp, s.fn) == (1, 1, 0)
    m = match([_det("pipe", 2.06, 0.5), _det("pipe", 1.99, 0.5)], truth)
    assert m.pairs == ((1, 0),)  # the nearer one
    assert m.false_alarms == (0,)


def test_assignment_maximises_matches():
    """Nearest-first would pair the first detection with A and leave the second unmatched."""
    truth = [_pipe_across(0.0 + 1.0, 0.5), _pipe_across(0.2 + 1.0, 0.5)]
    dets = [_det("pipe", 1.09, 0.5), _det("pipe", 0.88, 0.5)]
    m = match(dets, truth)
    assert sorted(m.pairs) == [(0, 1), (1, 0)]
    assert m.along_errors_m == pytest.approx((0.11, 0.12))


def test_pipe_at_an_angle_is_compared_at_the_detections_across_position():
    angle = 30.0
    scene = GprScene(pipes=(Pipe(along_m=3.0, across_m=0.0, depth_m=0.6, radius_m=0.05, angle_deg=angle),))
    truth = ground_truth(scene, along_range_m=(0.0, 6.0), across_range_m=(-0.4, 0.4))
    y = 0.3
    on_axis = 3.0 + y * math.tan(math.radians(angle))  # 3.173 m
    assert score_detections([_det("pipe", on_axis, 0.6, y_m=y)], truth).tp == 1
    assert score_detections([_det("pipe", on_axis + 0.14, 0.6, y_m=y)], truth).tp == 1
    # the pipe's centre is 0.173 m away along track at this across position: no match
    assert score_detections([_det("pipe", 3.0, 0.6, y_m=y)], truth).tp == 0
    # outside the pipe's across extent (0.4) by more than the tolerance (0.15)
    far = 0.4 + 0.16
    assert score_detections([_det("pipe", 3.0 + far * math.tan(math.radians(angle)), 0.6, y_m=far)], truth).tp == 0
    near = 0.4 + 0.14  # within tolerance: compared with the end of the pipe at y = 0.4
    end = 3.0 + 0.4 * math.tan(math.radians(angle))
    assert score_detections([_det("pipe", end + 0.1, 0.6, y_m=near)], truth).tp == 1
    assert score_detections([_det("pipe", end + 0.1, 0.6, y_m=near)], truth, across_tolerance_m=0.1).tp == 0


def test_pipe_along_the_track_matches_anywhere_on_it():
    truth = [Hazard("pipe", "polyline", [(1.0, 0.2, 0.7), (4.0, 0.2, 0.7)])]
    assert score_detections([_det("pipe", 2.5, 0.7, y_m=0.2)], truth).tp == 1
    assert score_detections([_det("pipe", 4.149, 0.7, y_m=0.2)], truth).tp == 1
    assert score_detections([_det("pipe", 4.151, 0.7, y_m=0.2)], truth).tp == 0


def test_cavity_matched_by_centre_and_across_extent():
    truth = [_cavity(5.0, 0.1, 0.4, length_m=1.0, width_m=0.6)]  # across extent −0.2 … 0.4
    assert score_detections([_det("cavity", 5.1, 0.45, y_m=0.0)], truth).tp == 1
    assert score_detections([_det("cavity", 5.3, 0.45, y_m=0.0)], truth).tp == 0  # off its centre
    assert score_detections([_det("cavity", 5.0, 0.4, y_m=0.54)], truth).tp == 1  # 0.14 beyond the extent
    assert score_detections([_det("cavity", 5.0, 0.4, y_m=0.56)], truth).tp == 0


def test_other_detections_and_truth_are_not_scored():
    truth = [_pipe_across(2.0, 0.5), Hazard("other", "point", [(4.0, 0.0, 0.3)])]
    dets = [_det("other", 2.0, 0.5), _det("other", 4.0, 0.3), _det("pipe", 4.0, 0.3)]
    s = score_detections(dets, truth)
    assert (s.tp, s.fp, s.fn, s.n_ignored) == (0, 1, 1, 2)


# --- the figures ------------------------------------------------------------------------
def test_figures_against_hand_counts():
    truth = [_pipe_across(1.0, 0.5), _pipe_across(3.0, 0.8), _cavity(5.0, 0.0, 0.6, 0.8, 0.8), _pipe_across(8.0, 1.0)]
    dets = [
        _det("pipe", 1.05, 0.52),  # hit, depth error 0.02
        _det("cavity", 3.1, 0.74),  # hit on a pipe, misclassified, depth error 0.06
        _det("cavity", 5.0, 0.61),  # hit, depth error 0.01
        _det("pipe", 6.5, 0.5),  # false alarm
        _det("cavity", 9.5, 0.4),  # false alarm
        _det("other", 8.0, 1.0),  # not scored: the pipe at 8 m is missed
    ]
    s = score_detections(dets, truth, surveyed_length_m=12.5)
    tp, fp, fn = 3, 2, 1
    assert (s.tp, s.fp, s.fn, s.n_ignored) == (tp, fp, fn, 1)
    p, r = tp / (tp + fp), tp / (tp + fn)
    assert s.precision == pytest.approx(0.6)
    assert s.recall == pytest.approx(0.75)
    assert s.f1 == pytest.approx(2 * p * r / (p + r))
    assert s.f1 == pytest.approx(2 / 3)
    assert s.median_depth_error_m == pytest.approx(0.02)
    assert s.median_along_error_m == pytest.approx(0.05)
    assert s.classification_accuracy == pytest.approx(2 / 3)
    assert s.false_alarms_per_100m == pytest.approx(100 * 2 / 12.5)
    assert math.isnan(s.plan_position_error_m)  # no linked pipe
    summary = s.summary()
    assert summary["f1"] == s.f1 and summary["fp"] == 2


def test_empty_cases():
    nothing = score_detections([], [], surveyed_length_m=10.0)
    assert (nothing.precision, nothing.recall, nothing.f1) == (1.0, 1.0, 1.0)
    assert nothing.false_alarms_per_100m == 0.0
    assert math.isnan(nothing.median_depth_error_m) and math.isnan(nothing.classification_accuracy)
    missed = score_detections([], [_pipe_across(1.0, 0.5)])
    assert (missed.precision, missed.recall, missed.f1) == (1.0, 0.0, 0.0)
    assert math.isnan(missed.false_alarms_per_100m)  # length unknown
    false_alarm = score_detections([_det("pipe", 1.0, 0.5)], [], surveyed_length_m=50.0)
    assert (false_alarm.precision, false_alarm.recall, false_alarm.f1) == (0.0, 1.0, 0.0)
    assert false_alarm.false_alarms_per_100m == pytest.approx(2.0)


def _random_case(rng, offset_m):
    truth = []
    for k in range(int(rng.integers(0, 5))):
        along = offset_m + 2.0 * k + rng.uniform(0, 0.5)
        truth.append(_pipe_across(along, rng.uniform(0.3, 1.2)) if rng.uniform() < 0.5
                     else _cavity(along, 0.0, rng.uniform(0.3, 1.0), 0.6, 0.6))  # fmt: skip
    dets = []
    for t in truth:
        for _ in range(int(rng.integers(0, 3))):
            dets.append(_det(str(rng.choice(["pipe", "cavity", "other"])), t.along_m + rng.normal(0, 0.1),
                             t.depth_m + rng.normal(0, 0.06)))  # fmt: skip
    for _ in range(int(rng.integers(0, 3))):
        dets.append(_det("pipe", offset_m + rng.uniform(0, 10), rng.uniform(0.2, 1.5)))
    return dets, truth, float(rng.uniform(5, 20))


@pytest.mark.parametrize("seed", range(8))
def test_combine_equals_counting_all_at_once(seed):
    rng = np.random.default_rng(seed)
    cases = [_random_case(rng, 100.0 * k) for k in range(4)]  # 100 m apart: no cross-scene matches
    pooled = combine(score_detections(d, t, surveyed_length_m=L) for d, t, L in cases)
    at_once = score_detections(
        [d for c in cases for d in c[0]], [t for c in cases for t in c[1]], surveyed_length_m=sum(c[2] for c in cases)
    )
    assert (pooled.tp, pooled.fp, pooled.fn, pooled.n_kind_correct, pooled.n_ignored) == (
        at_once.tp, at_once.fp, at_once.fn, at_once.n_kind_correct, at_once.n_ignored)  # fmt: skip
    assert sorted(pooled.depth_errors_m) == pytest.approx(sorted(at_once.depth_errors_m))
    for key, value in at_once.summary().items():
        assert pooled.summary()[key] == pytest.approx(value, nan_ok=True), key
    # and the pooled F1 follows from the summed counts, not from a mean of per-scene F1s
    assert pooled.f1 == pytest.approx(DetectionScore(pooled.tp, pooled.fp, pooled.fn).f1)


def test_plan_position_error_of_an_offset_polyline():
    angle = 30.0
    scene = GprScene(pipes=(Pipe(along_m=3.0, across_m=0.0, depth_m=0.6, radius_m=0.05, angle_deg=angle),))
    truth = ground_truth(scene, along_range_m=(0.0, 6.0), across_range_m=(-0.4, 0.4))
    theta = math.radians(angle)
    # the pipe's axis runs along (sin θ, cos θ) in (along, across); its plan normal is (cos θ, −sin θ)
    normal = np.array([math.cos(theta), -math.sin(theta)])
    ys = np.linspace(-0.35, 0.35, 8)
    vertices = [(3.0 + y * math.tan(theta) + 0.05 * normal[0], y + 0.05 * normal[1], 0.62) for y in ys]
    mid = vertices[4]
    det = _det("pipe", mid[0], 0.62, y_m=mid[1], polyline=[list(v) for v in vertices])
    s = score_detections([det], truth)
    assert s.tp == 1
    assert len(s.plan_errors_m) == len(vertices)
    assert s.plan_position_error_m == pytest.approx(0.05, abs=1e-9)
    # a pipe crossing at right angles, its detection 5 cm along track off
    straight = [_pipe_across(2.0, 0.5, across_m=(-0.5, 0.5))]
    poly = [[2.05, y, 0.5] for y in (-0.4, 0.0, 0.4)]
    s2 = score_detections([_det("pipe", 2.05, 0.5, polyline=poly)], straight)
    assert s2.plan_position_error_m == pytest.approx(0.05)


def test_truth_scored_against_itself_is_perfect():
    """Hazards as detections (linked pipe polylines included): every figure at its ideal value."""
    for _, _, truth, length in evaluation_scenes(6, seed=3, kind="array", split="train", n_traces=150):
        dets = [detection_from_hazard(h) for h in truth]
        s = score_detections(dets, truth, surveyed_length_m=length)
        n = sum(h.kind in ("pipe", "cavity") for h in truth)
        assert (s.tp, s.fp, s.fn) == (n, 0, 0)
        assert s.f1 == 1.0
        if n:
            assert s.classification_accuracy == 1.0
            assert max(s.depth_errors_m) == pytest.approx(0.0, abs=1e-9)
            assert max(s.along_errors_m) == pytest.approx(0.0, abs=1e-9)
        if any(h.kind == "pipe" for h in truth):
            assert s.plan_position_error_m == pytest.approx(0.0, abs=1e-9)


# --- gprMax truth ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def gprmax_truth():
    return json.loads(TRUTH_JSON.read_text())


def test_truth_from_gprmax(gprmax_truth):
    scenes = gprmax_truth["scenes"]
    (pipe,) = truth_from_gprmax(scenes["s1_metal_pipe"])
    assert (pipe.kind, pipe.along_m, pipe.depth_m) == ("pipe", 1.0, 0.5)
    assert pipe.across_extent_m == (-math.inf, math.inf)
    assert pipe.attributes["diameter_m"] == pytest.approx(0.1)
    (cavity,) = truth_from_gprmax(scenes["s4_air_cavity"])
    assert (cavity.kind, cavity.along_m, cavity.depth_m, cavity.attributes["width_m"]) == ("cavity", 0.95, 0.4, 0.5)
    two = truth_from_gprmax(scenes["s7_two_pipes"])
    assert [(t.kind, t.along_m, t.depth_m) for t in two] == [("pipe", 0.7, 0.4), ("pipe", 1.3, 1.0)]
    stones = truth_from_gprmax(scenes["s6_negative_stones"])
    assert len(stones) == 16 and {t.kind for t in stones} == {"other"}
    # the stone listed first: centre at 0.465 m, radius 0.02 m → top at 0.445 m
    assert stones[0].along_m == 0.765 and stones[0].depth_m == pytest.approx(0.445)
    assert truth_from_gprmax(scenes["s6_negative_stones"], include_clutter=False) == []
    with pytest.raises(ValueError, match="one scene"):
        truth_from_gprmax(gprmax_truth)


def test_scoring_on_gprmax_scenes(gprmax_truth):
    scenes = gprmax_truth["scenes"]
    s = score_detections([_det("pipe", 0.72, 0.43), _det("pipe", 1.2, 1.05)], scenes["s7_two_pipes"],
                         surveyed_length_m=1.62)  # fmt: skip
    assert (s.tp, s.fp, s.fn) == (2, 0, 0)
    assert s.depth_errors_m == pytest.approx((0.03, 0.05))
    # a 2-D model's target lies at every across position
    assert score_detections([_det("pipe", 1.0, 0.5, y_m=3.0)], scenes["s1_metal_pipe"]).tp == 1
    negative = score_detections([_det("other", 0.765, 0.45), _det("pipe", 1.2, 0.72)], scenes["s6_negative_stones"],
                                surveyed_length_m=1.62)  # fmt: skip
    assert (negative.tp, negative.fp, negative.fn, negative.n_ignored) == (0, 1, 0, 1)
    assert negative.false_alarms_per_100m == pytest.approx(100 / 1.62)


def test_truth_items_pass_through():
    items = truth_from_hazards([_pipe_across(2.0, 0.5)])
    assert isinstance(items[0], TruthItem) and items[0].polyline_m is not None
    assert score_detections([_det("pipe", 2.0, 0.5)], items).tp == 1
    with pytest.raises(TypeError):
        score_detections([_det("pipe", 2.0, 0.5)], [_pipe_across(2.0, 0.5), items[0]])
    with pytest.raises(ValueError, match="x_m"):
        score_detections([{"kind": "pipe", "depth_m": 0.5}], items)


# --- the evaluation suite ---------------------------------------------------------------
def test_scenes_are_reproducible():
    a = list(evaluation_scenes(5, seed=7, kind="line"))
    b = list(evaluation_scenes(5, seed=7, kind="line"))
    for sa, sb in zip(a, b, strict=True):
        assert sa.name == sb.name
        np.testing.assert_array_equal(sa.radargram.values, sb.radargram.values)
        assert sa.truth == sb.truth
        assert sa.surveyed_length_m == sb.surveyed_length_m
    # scene 3 does not depend on how many are asked for; splits and seeds differ
    alone = evaluation_scene(3, seed=7, kind="line")
    np.testing.assert_array_equal(alone.radargram.values, a[3].radargram.values)
    other_split = evaluation_scene(0, seed=7, kind="line", split="train")
    other_seed = evaluation_scene(0, seed=8, kind="line")
    assert not np.array_equal(other_split.radargram.values, a[0].radargram.values)
    assert not np.array_equal(other_seed.radargram.values, a[0].radargram.values)
    assert a[0].radargram.attrs[cv.ATTR_SOURCE] == a[0].name


@pytest.mark.parametrize("kind", ["line", "array"])
def test_scenes_truth_inside_the_survey(kind):
    n_pos = 0
    for name, da, truth, length in evaluation_scenes(10, seed=1, kind=kind, split="test"):
        along = da[cv.DISTANCE].values
        assert length == pytest.approx(along[-1] - along[0])
        assert da.sizes[cv.TRACE] <= 600 and da.sizes[cv.TWT] <= 512
        if kind == "array":
            assert da.dims == (cv.CHANNEL, cv.TRACE, cv.TWT) and 8 <= da.sizes[cv.CHANNEL] <= 12
            offsets = da[cv.OFFSET].values
            half = 0.5 * float(offsets[1] - offsets[0])
            strip = (offsets[0] - half, offsets[-1] + half)
        else:
            assert da.dims == (cv.TRACE, cv.TWT)
            strip = (-0.0375, 0.0375)  # synthetic_line's default strip around the line at across 0
        scored = [h for h in truth if h.kind in ("pipe", "cavity")]
        n_pos += bool(scored)
        for h in truth:
            v = np.asarray(h.vertices)
            assert along[0] - 1e-9 <= v[:, 0].min() and v[:, 0].max() <= along[-1] + 1e-9, name
            # each object meets the surveyed strip; an array holds pipes and cavities wholly
            assert v[:, 1].min() <= strip[1] + 1e-9 and v[:, 1].max() >= strip[0] - 1e-9, name
            if kind == "array" and h.kind in ("pipe", "cavity"):
                assert strip[0] - 1e-9 <= v[:, 1].min() and v[:, 1].max() <= strip[1] + 1e-9, name
        # truth is unambiguous: pipe/cavity footprints at least 0.6 m apart along track
        spans = sorted((np.asarray(h.vertices)[:, 0].min(), np.asarray(h.vertices)[:, 0].max()) for h in scored)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start - end >= 0.6 - 1e-9, name
        assert bool(scored) != name.endswith("-negative"), name
    assert n_pos == 8  # scenes 4 and 9 are the negatives


def test_negative_scenes_hold_no_pipe_or_cavity():
    negatives = [i for i in range(20) if is_negative(i)]
    assert negatives == [4, 9, 14, 19]
    for i in negatives:
        spec = scene_spec(i, seed=2, kind="array")
        assert spec.negative and not spec.scene.pipes and not spec.scene.cavities and spec.scene.scatterers
        name, _, truth, _ = evaluation_scene(i, seed=2, kind="array", n_traces=100)
        assert name.endswith("-negative")
        assert not [h for h in truth if h.kind in ("pipe", "cavity")]
    forced = scene_spec(0, seed=2, kind="line", negative=True)
    assert forced.negative and not forced.scene.pipes and not forced.scene.cavities


def test_scene_parameter_ranges():
    pipes, cavities = [], []
    for kind in ("line", "array"):
        for i in range(40):
            spec = scene_spec(i, seed=0, kind=kind, split="train")
            pipes += [(kind, p) for p in spec.scene.pipes]
            cavities += [c for c in spec.scene.cavities]
            for layer in spec.scene.layers[:-1]:
                assert 0.05 <= layer.thickness_m <= 0.4
    assert {p.material for _, p in pipes} == {"metal", "water", "plastic"}
    assert all(0.02 <= p.radius_m <= 0.15 and 0.3 <= p.depth_m <= 1.2 for _, p in pipes)
    assert all(p.angle_deg == 0.0 for k, p in pipes if k == "line")
    assert max(abs(p.angle_deg) for k, p in pipes if k == "array") > 30.0
    assert all(abs(p.angle_deg) <= 50.0 for _, p in pipes)
    assert {c.fill for c in cavities} == {"air", "water"}
    assert all(0.3 <= c.depth_m <= 1.0 and 0.3 <= c.length_m <= 1.2 and 0.1 <= c.height_m <= 0.4 for c in cavities)
    assert isinstance(cavities[0], Cavity)
    with pytest.raises(ValueError):
        scene_spec(0, kind="grid")
    with pytest.raises(ValueError):
        scene_spec(0, split="validation")


def test_json_item_with_null_width_is_read():
    from roadbed.detect.score import detection_from_json

    item = detection_from_json({"kind": "pipe", "x_m": 1.0, "y_m": 0.0, "depth_m": 0.5, "width_m": None,
                                "confidence": 0.9, "source": "s"})  # fmt: skip
    assert math.isnan(item.width_m) and item.confidence == 0.9
