"""Linking per-B-scan candidates into pipes and cavities, against candidate sets made from known geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from roadbed.detect.candidate import Candidate
from roadbed.detect.link import CavityGroup, PipeTrack, group_cavities, link_pipes
from roadbed.synth import Cavity, GprScene, Pipe, synthetic_survey

C = 0.299792458  # m/ns, spelled here on purpose: the tests' own truth
V_SOIL = 0.1  # m/ns, only to give candidates a consistent twt
SPACING = 0.075
CHANNELS = SPACING * (np.arange(20) - 9.5)  # a 20-channel array centred on the line, as roadbed.synth lays it out


def make(along, across, depth, *, kind="pipe", truth=None, channel=0, line=0, confidence=0.9, polarity=0.8,
         amplitude=1.0, radius=math.nan, radius_std=math.nan, width=0.1, extra=None, source="survey.dzt"):
    """A classified candidate; ``extra["truth"]`` names the object it came from."""
    extra = dict(extra or {})
    extra["truth"] = truth
    return Candidate(
        source, line, channel, float(along), float(across), 2.0 * depth / V_SOIL, float(depth), amplitude, polarity,
        width, radius_m=radius, radius_std_m=radius_std, kind=kind, confidence=confidence, extra=extra,
    )


def straight(a0, c0, angle_deg):
    """Along position of a straight pipe through (a0, c0) at ``angle_deg`` from across, at across y."""
    return lambda y: a0 + (y - c0) * math.tan(math.radians(angle_deg))


def line_distance(point, a0, c0, angle_deg):
    """Plan distance of (along, across) from the straight pipe's axis."""
    t = math.radians(angle_deg)
    return abs((point[0] - a0) * math.cos(t) - (point[1] - c0) * math.sin(t))


def sample_pipe(along_at, depth_m, truth, rng, *, channels=CHANNELS, missing=(), jitter_along=0.02,
                jitter_depth=0.01, **kw):
    """One candidate per channel (except ``missing``), jittered uniformly by ±2 cm along and ±1 cm in depth."""
    out = []
    for ch, y in enumerate(channels):
        if ch in missing:
            continue
        along = along_at(y) + rng.uniform(-jitter_along, jitter_along)
        depth = depth_m + rng.uniform(-jitter_depth, jitter_depth)
        out.append(make(along, y, depth, truth=truth, channel=ch, **kw))
    return out


def clutter(rng, n, *, along_range=(0.0, 10.0)):
    """Spurious "other" candidates anywhere: linking must ignore them."""
    return [
        make(rng.uniform(*along_range), CHANNELS[rng.integers(20)], rng.uniform(0.2, 1.5), kind="other", truth="x")
        for _ in range(n)
    ]


def isolated_pipes(rng, along_start=20.0):
    """Pipe-classified false alarms, each alone (≥ 2 m apart): they must not make a track."""
    return [
        make(along_start + 2.0 * i, CHANNELS[rng.integers(20)], rng.uniform(0.3, 1.0), truth="x", channel=i)
        for i in range(4)
    ]


def truth_of(track: PipeTrack) -> set:
    return {m.extra["truth"] for m in track.members}


def missing_channels(draw_or_rng, n=20):
    """Channels to drop: never two neighbours (max_gap = 1)."""
    out, ch = [], 0
    while ch < n:
        if draw_or_rng.uniform() < 0.15:
            out.append(ch)
            ch += 2
        else:
            ch += 1
    return out


# --- pipes ---------------------------------------------------------------------------
@given(
    angle=st.floats(-60.0, 60.0),
    along0=st.floats(2.0, 8.0),
    depth=st.floats(0.3, 1.2),
    seed=st.integers(0, 2**32 - 1),
)
def test_straight_pipe_any_angle_with_jitter_gaps_and_clutter(angle, along0, depth, seed):
    rng = np.random.default_rng(seed)
    missing = missing_channels(rng)
    pipe = sample_pipe(straight(along0, 0.0, angle), depth, "p", rng, missing=missing)
    cands = pipe + clutter(rng, 30) + isolated_pipes(rng)
    tracks = link_pipes(rng.permutation(np.array(cands, dtype=object)).tolist(), across_positions_m=CHANNELS)
    assert len(tracks) == 1
    (track,) = tracks
    assert truth_of(track) == {"p"}
    assert len(track.members) == 20 - len(missing)
    assert [v[1] for v in track.polyline] == sorted(v[1] for v in track.polyline)
    for v in track.polyline:
        assert line_distance(v, along0, 0.0, angle) <= 0.03
        assert abs(v[2] - depth) <= 0.015  # ±1 cm jitter, smoothed (a local fit can exceed it at the ends)
    assert abs(track.plan_angle_deg - angle) <= 3.0


def test_plan_angle_follows_the_synth_convention():
    # exact positions: the fitted angle is the pipe's, sign included (along grows with across → positive)
    for angle in (0.0, 15.0, -30.0, 60.0):
        cands = [make(straight(3.0, 0.0, angle)(y), y, 0.5, truth="p", channel=i) for i, y in enumerate(CHANNELS)]
        (track,) = link_pipes(cands)
        assert track.plan_angle_deg == pytest.approx(angle, abs=1e-9)
        assert track.length_m == pytest.approx((CHANNELS[-1] - CHANNELS[0]) / math.cos(math.radians(angle)))


def test_curved_pipe_follows_the_arc():
    rng = np.random.default_rng(7)
    ac, cc, radius = 3.0, -0.7, 2.0  # the plan angle turns from 0° to about 45° across the array
    arc = lambda y: ac + math.sqrt(radius**2 - (y - cc) ** 2) - radius  # noqa: E731
    cands = sample_pipe(arc, 0.7, "arc", rng, missing=(5, 12)) + clutter(rng, 20)
    (track,) = link_pipes(cands, across_positions_m=CHANNELS)
    assert truth_of(track) == {"arc"}
    assert len(track.members) == 18
    for along, across, _ in track.polyline:
        assert abs(math.hypot(along - (ac - radius), across - cc) - radius) <= 0.03
    assert -45.0 < track.plan_angle_deg < 0.0  # the chord of an arc whose along decreases with across


@pytest.mark.parametrize(
    ("angles", "depths", "cross_at"),
    [
        ((35.0, -35.0), (0.6, 0.7), 0.02),
        ((0.0, 45.0), (0.5, 0.62), -0.2),
        ((20.0, -50.0), (0.9, 0.8), 0.3),
        ((-10.0, 40.0), (1.0, 1.07), 0.0375),  # crossing right on a channel, tops 7 cm apart
    ],
)
def test_crossing_pipes_do_not_swap(angles, depths, cross_at):
    rng = np.random.default_rng(11)
    cands = []
    for name, angle, depth in zip("ab", angles, depths, strict=True):
        cands += sample_pipe(straight(5.0, cross_at, angle), depth, name, rng, missing=(3,) if name == "a" else (15,))
    cands += clutter(rng, 25)
    tracks = link_pipes(cands, across_positions_m=CHANNELS)
    assert len(tracks) == 2
    by_truth = {next(iter(truth_of(t))): t for t in tracks}
    assert [truth_of(t) for t in tracks] in ([{"a"}, {"b"}], [{"b"}, {"a"}])
    for name, angle in zip("ab", angles, strict=True):
        track = by_truth[name]
        assert len(track.members) == 19
        assert abs(track.plan_angle_deg - angle) <= 3.0
        assert all(line_distance(v, 5.0, cross_at, angle) <= 0.03 for v in track.polyline)


@given(
    angles=st.tuples(st.floats(-60.0, 60.0), st.floats(-60.0, 60.0)).filter(lambda a: abs(a[0] - a[1]) >= 25.0),
    depth=st.floats(0.4, 1.2),
    depth_step=st.floats(0.05, 0.3) | st.floats(-0.3, -0.05),
    cross_at=st.floats(-0.7, 0.7),  # anywhere under the array, right at its edges included
    seed=st.integers(0, 2**32 - 1),
)
def test_crossing_pipes_anywhere(angles, depth, depth_step, cross_at, seed):
    # crossing pipes cannot share a depth: their tops differ by at least the smaller diameter
    rng = np.random.default_rng(seed)
    cands = []
    for name, angle, d in zip("ab", angles, (depth, depth + depth_step), strict=True):
        cands += sample_pipe(straight(5.0, cross_at, angle), d, name, rng, missing=missing_channels(rng))
    tracks = link_pipes(cands + clutter(rng, 20), across_positions_m=CHANNELS)
    assert sorted(map(sorted, map(truth_of, tracks))) == [["a"], ["b"]]
    for track in tracks:
        angle = angles["ab".index(track.members[0].extra["truth"])]
        assert abs(track.plan_angle_deg - angle) <= 3.0
        assert all(line_distance(v, 5.0, cross_at, angle) <= 0.03 for v in track.polyline)


@given(angle=st.floats(-50.0, 50.0), gap=st.floats(0.3, 0.6), seed=st.integers(0, 2**32 - 1))
def test_parallel_pipes_stay_apart(angle, gap, seed):
    rng = np.random.default_rng(seed)
    shift = gap / math.cos(math.radians(angle))  # along-track distance between axes `gap` apart in plan
    cands = sample_pipe(straight(4.0, 0.0, angle), 0.8, "a", rng, missing=missing_channels(rng))
    cands += sample_pipe(straight(4.0 + shift, 0.0, angle), 0.8, "b", rng, missing=missing_channels(rng))
    cands += clutter(rng, 20)
    tracks = link_pipes(cands, across_positions_m=CHANNELS)
    assert sorted(map(sorted, map(truth_of, tracks))) == [["a"], ["b"]]
    for track, a0 in zip(tracks, (4.0, 4.0 + shift), strict=True):  # sorted by along of the first vertex
        assert all(line_distance(v, a0, 0.0, angle) <= 0.03 for v in track.polyline)
        assert abs(track.plan_angle_deg - angle) <= 3.0


def test_gap_longer_than_max_gap_splits_the_track():
    rng = np.random.default_rng(3)
    cands = sample_pipe(straight(5.0, 0.0, 10.0), 0.6, "p", rng, missing=(9, 10))
    assert len(link_pipes(cands, across_positions_m=CHANNELS)) == 2
    (track,) = link_pipes(cands, across_positions_m=CHANNELS, max_gap=2)
    assert len(track.members) == 18
    # without the survey's positions the two missed channels are invisible, so the track is whole
    assert len(link_pipes(cands)) == 1


def test_short_tracks_are_dropped_and_can_be_returned():
    rng = np.random.default_rng(5)
    pipe = sample_pipe(straight(5.0, 0.0, 0.0), 0.6, "p", rng)
    short = [make(8.0, CHANNELS[k], 0.5, truth="s", channel=k) for k in (4, 5)]  # two positions only
    tracks, unlinked = link_pipes(pipe + short, across_positions_m=CHANNELS, return_unlinked=True)
    assert [truth_of(t) for t in tracks] == [{"p"}]
    assert sorted(c.channel for c in unlinked) == [4, 5]
    (_, longer) = link_pipes(pipe + short, across_positions_m=CHANNELS, min_positions=2)
    assert truth_of(longer) == {"s"}


def test_parallel_lines_of_a_manifest():
    # five lines 0.5 m apart, one channel each: the pipe at 20° moves 0.18 m along per line
    rng = np.random.default_rng(2)
    lines = 0.5 * np.arange(5)
    cands = []
    for i, y in enumerate(lines):
        cands.append(make(straight(6.0, 0.0, 20.0)(y) + rng.uniform(-0.02, 0.02), y, 0.8, truth="p", line=i))
        cands.append(make(2.0 + i * 0.9, y, 0.5, kind="other", line=i))
    (track,) = link_pipes(cands)
    assert len(track.members) == 5 and truth_of(track) == {"p"}
    assert abs(track.plan_angle_deg - 20.0) <= 3.0


def test_single_line_gives_one_track_per_pipe_candidate():
    cands = [make(a, 0.0, d, truth=i) for i, (a, d) in enumerate(((1.0, 0.5), (1.05, 0.9), (4.0, 0.6)))]
    cands.append(make(2.0, 0.0, 0.5, kind="other"))
    tracks = link_pipes(cands)
    assert len(tracks) == 3
    assert [t.polyline for t in tracks] == [((1.0, 0.0, 0.5),), ((1.05, 0.0, 0.9),), ((4.0, 0.0, 0.6),)]
    assert all(math.isnan(t.plan_angle_deg) for t in tracks)
    hazard = tracks[0].to_hazard()
    assert hazard.kind == "pipe" and hazard.geometry_type == "point"
    assert hazard.vertices == ((1.0, 0.0, 0.5),)
    assert hazard.attributes["angle_deg"] is None


def test_diameter_and_material():
    rng = np.random.default_rng(9)
    resolved = sample_pipe(straight(5.0, 0.0, 0.0), 0.6, "p", rng, radius=0.05, radius_std=0.005)
    resolved = [  # noisy radii, one wild one that the robust mean must ignore
        Candidate(**{**c.to_dict(), "radius_m": 0.05 + (0.3 if i == 4 else rng.uniform(-0.005, 0.005))})
        for i, c in enumerate(resolved)
    ]
    (track,) = link_pipes(resolved)
    assert track.diameter_m == pytest.approx(0.10, abs=0.004)
    assert track.material == "metallic"
    hazard = track.to_hazard(source="here")
    assert hazard.geometry_type == "polyline" and hazard.source == "here"
    assert hazard.attributes["diameter_m"] == track.diameter_m and hazard.attributes["diameter_resolved"] is True
    assert hazard.attributes["material"] == "metallic"
    assert hazard.vertices == track.polyline

    # unresolved radii (nan, or an error larger than the radius): no diameter, and the record says so
    unresolved = sample_pipe(straight(5.0, 0.0, 0.0), 0.6, "p", rng, radius=0.05, radius_std=0.08, polarity=-0.7)
    (track,) = link_pipes(unresolved)
    assert track.diameter_m is None
    assert track.material == "non-metallic"  # reversed polarity: air-filled plastic
    assert track.to_hazard().attributes["diameter_m"] is None
    assert track.to_hazard().attributes["diameter_resolved"] is False
    assert track.to_hazard().source == "survey.dzt"

    weak = sample_pipe(straight(5.0, 0.0, 0.0), 0.6, "p", rng, polarity=0.6, amplitude=0.2)  # water-filled plastic
    assert link_pipes(weak)[0].material == "non-metallic"


def test_track_confidence_is_the_members_mean():
    confidences = (0.5, 0.7, 0.9, 0.3)
    cands = [make(5.0, CHANNELS[i], 0.5, confidence=c, channel=i) for i, c in enumerate(confidences)]
    (track,) = link_pipes(cands)
    assert track.confidence == pytest.approx(0.6)


def test_synthetic_survey_truth_round_trip():
    scene = GprScene(
        pipes=(
            Pipe(4.0, 0.0, 0.6, 0.05, "metal", angle_deg=25.0),
            Pipe(6.0, 0.1, 0.9, 0.08, "plastic", angle_deg=-40.0),
            Pipe.between((2.0, -0.8), (2.6, 0.8), depth_m=0.45, radius_m=0.03, material="water"),
            Pipe(4.3, 0.0, 0.75, 0.04, angle_deg=-30.0),  # crosses the first pipe under the array, 0.29 m across
        ),
        cavities=(Cavity(8.0, 0.0, 0.5, 0.6, 0.3, 0.2),),
    )
    radargram, truth = synthetic_survey(scene, n_traces=500, n_samples=16)
    offsets = radargram["offset"].values
    pipes = [h for h in truth if h.kind == "pipe"]
    assert len(pipes) == 4
    rng = np.random.default_rng(1)
    cands = []
    for k, hazard in enumerate(pipes):
        (a0, c0, depth), (a1, c1, _) = hazard.vertices
        missing = missing_channels(rng, offsets.size)
        for ch, y in enumerate(offsets):
            if min(c0, c1) <= y <= max(c0, c1) and ch not in missing:
                along = a0 + (a1 - a0) * (y - c0) / (c1 - c0) + rng.uniform(-0.02, 0.02)
                radius = hazard.attributes["diameter_m"] / 2.0 + rng.uniform(-0.003, 0.003)
                cands.append(make(along, y, depth + rng.uniform(-0.01, 0.01), truth=k, channel=ch, radius=radius,
                                  radius_std=0.005))
    tracks = link_pipes(cands, across_positions_m=offsets)
    assert len(tracks) == len(pipes)
    for track in tracks:
        (k,) = truth_of(track)
        hazard = pipes[k]
        angle = hazard.attributes["angle_deg"]
        a0, c0, depth = hazard.vertices[0]
        assert all(line_distance(v, a0, c0, angle) <= 0.03 for v in track.polyline)
        assert abs(track.plan_angle_deg - angle) <= 3.0
        assert abs(track.to_hazard().depth_m - depth) <= 0.015
        assert track.diameter_m == pytest.approx(hazard.attributes["diameter_m"], abs=0.004)

    # the box cavity: a flat top on every channel inside its outline, with its bottom echo in air
    (cavity,) = [h for h in truth if h.kind == "cavity"]
    xs, ys = [v[0] for v in cavity.vertices], [v[1] for v in cavity.vertices]
    height = cavity.attributes["height_m"]
    echo = {"x_min_m": min(xs), "x_max_m": max(xs), "bottom_twt_ns": 2 * cavity.depth_m / V_SOIL + 2 * height / C}
    tops = [
        make((min(xs) + max(xs)) / 2, y, cavity.depth_m, kind="cavity", channel=ch, polarity=-0.7, extra=echo)
        for ch, y in enumerate(offsets)
        if min(ys) <= y <= max(ys)
    ]
    (group,) = group_cavities(tops + cands, across_positions_m=offsets)
    found = group.to_hazard()
    bounds = [f(v[i] for v in found.vertices) for i in (0, 1) for f in (min, max)]
    # the outline falls on the channels' strip edges here, so the extent is exact
    assert bounds == pytest.approx([min(xs), max(xs), min(ys), max(ys)])
    assert found.depth_m == pytest.approx(cavity.depth_m)
    assert found.attributes["height_m"] == pytest.approx(height)
    assert found.attributes["volume_m3"] == pytest.approx(cavity.attributes["volume_m3"])
    assert found.attributes["fill"] == cavity.attributes["fill"]


# --- cavities ------------------------------------------------------------------------
def cavity_tops(x0, x1, channels, depth, *, truth="c", height=None, polarity=-0.8, missing=(), **kw):
    """One flat-top candidate per listed channel; a bottom echo ``height`` below in air (v = c)."""
    out = []
    for ch in channels:
        if ch in missing:
            continue
        extra = {"x_min_m": x0, "x_max_m": x1}
        twt = 2.0 * depth / V_SOIL
        if height is not None:
            v_fill = C if polarity < 0 else C / 9.0
            extra["bottom_twt_ns"] = twt + 2.0 * height / v_fill
        out.append(make((x0 + x1) / 2.0, CHANNELS[ch], depth, kind="cavity", truth=truth, channel=ch,
                        polarity=polarity, width=x1 - x0, extra=extra, **kw))
    return out


def test_cavity_on_three_channels_is_one_group_with_its_extent():
    rng = np.random.default_rng(4)
    cands = cavity_tops(4.0, 4.6, (9, 10, 11), 0.5, height=0.2) + clutter(rng, 30)
    (group,) = group_cavities(cands, across_positions_m=CHANNELS)
    assert isinstance(group, CavityGroup) and len(group.members) == 3
    # truth: a box 0.6 m along × 0.225 m across centred on channel 10's strip
    assert (group.x_min_m, group.x_max_m) == pytest.approx((4.0, 4.6))
    assert (group.y_min_m, group.y_max_m) == pytest.approx((CHANNELS[9] - SPACING / 2, CHANNELS[11] + SPACING / 2))
    assert group.depth_m == pytest.approx(0.5)
    assert group.fill == "air"
    assert group.height_m == pytest.approx(0.2)
    assert group.volume_m3 == pytest.approx(0.6 * 3 * SPACING * 0.2)
    hazard = group.to_hazard()
    assert hazard.kind == "cavity" and hazard.geometry_type == "polygon"
    assert hazard.attributes["length_m"] == pytest.approx(0.6)  # along track, as synth names a cavity's
    assert hazard.attributes["width_m"] == pytest.approx(3 * SPACING)
    assert hazard.attributes["height_m"] == pytest.approx(0.2)
    assert hazard.attributes["volume_m3"] == pytest.approx(group.volume_m3)
    assert hazard.depth_m == pytest.approx(0.5)
    assert sorted({v[0] for v in hazard.vertices}) == pytest.approx([4.0, 4.6])


def test_water_void_height_uses_the_speed_in_water():
    tops = cavity_tops(2.0, 2.3, (0, 1), 0.4, height=0.15, polarity=0.9)
    (group,) = group_cavities(tops, across_positions_m=CHANNELS)
    assert group.fill == "water"
    assert group.height_m == pytest.approx(0.15)
    assert (group.y_min_m, group.y_max_m) == pytest.approx((CHANNELS[0] - SPACING / 2, CHANNELS[1] + SPACING / 2))


def test_separate_cavities_make_separate_groups():
    cands = (
        cavity_tops(4.0, 4.6, (9, 10, 11), 0.5, truth="a")
        + cavity_tops(4.8, 5.2, (9, 10), 0.5, truth="b")  # same channels, 0.2 m further along
        + cavity_tops(4.0, 4.6, (15, 16, 17), 0.5, truth="c", missing=(16,))  # three channels across; one missed
        + cavity_tops(4.1, 4.5, (10,), 1.0, truth="d")  # beneath "a"
    )
    groups = group_cavities(cands, across_positions_m=CHANNELS)
    assert sorted(tuple(sorted({m.extra["truth"] for m in g.members})) for g in groups) == [
        ("a",), ("b",), ("c",), ("d",)
    ]
    (c,) = [g for g in groups if g.members[0].extra["truth"] == "c"]
    assert (c.y_min_m, c.y_max_m) == pytest.approx((CHANNELS[15] - SPACING / 2, CHANNELS[17] + SPACING / 2))
    assert c.height_m is None and c.volume_m3 is None


def test_volume_over_a_missed_channel_is_interpolated():
    cands = cavity_tops(1.0, 1.4, (2, 3, 4), 0.3, height=0.1, missing=(3,))
    (group,) = group_cavities(cands, across_positions_m=CHANNELS)
    assert group.volume_m3 == pytest.approx(0.4 * 0.1 * 3 * SPACING)


def test_single_line_cavity_has_no_across_extent():
    (group,) = group_cavities(cavity_tops(1.0, 1.5, (0,), 0.3, height=0.1), across_positions_m=[CHANNELS[0]])
    assert group.y_min_m == group.y_max_m == pytest.approx(CHANNELS[0])
    assert group.volume_m3 is None
    hazard = group.to_hazard()
    assert hazard.attributes["width_m"] is None and hazard.attributes["length_m"] == pytest.approx(0.5)


@given(
    tops=st.lists(
        st.tuples(st.integers(0, 19), st.floats(0.0, 5.0), st.floats(0.05, 1.0), st.floats(0.3, 0.8)),
        min_size=1,
        max_size=40,
    ),
    max_gap=st.integers(0, 2),
)
def test_cavity_groups_are_the_connected_sets_of_the_linking_rule(tops, max_gap):
    # reference: the relation spelled out pair by pair, its connected sets found by flood fill
    cands = [
        make(x + w / 2, CHANNELS[ch], d, kind="cavity", channel=ch, truth=i, extra={"x_min_m": x, "x_max_m": x + w})
        for i, (ch, x, w, d) in enumerate(tops)
    ]

    def linked(a, b):
        (ca, xa, wa, da), (cb, xb, wb, db) = tops[a], tops[b]
        return abs(ca - cb) <= max_gap + 1 and max(xa, xb) - min(xa + wa, xb + wb) <= 0.05 and abs(da - db) <= 0.15

    unseen, expected = set(range(len(tops))), set()
    while unseen:
        stack, group = [unseen.pop()], set()
        while stack:
            a = stack.pop()
            group.add(a)
            near = {b for b in unseen if linked(a, b)}
            unseen -= near
            stack.extend(near)
        expected.add(frozenset(group))
    groups = group_cavities(cands, max_gap=max_gap, across_positions_m=CHANNELS)
    assert {frozenset(m.extra["truth"] for m in g.members) for g in groups} == expected
    for g in groups:
        assert g.x_min_m == min(m.extra["x_min_m"] for m in g.members)
        assert g.x_max_m == max(m.extra["x_max_m"] for m in g.members)
        assert g.depth_m == min(m.depth_m for m in g.members)


# --- input checks --------------------------------------------------------------------
def test_unclassified_or_misplaced_candidates_are_refused():
    with pytest.raises(ValueError, match="confidence"):
        link_pipes([make(1.0, 0.0, 0.5, confidence=math.nan)])
    with pytest.raises(ValueError, match="confidence"):
        group_cavities([make(1.0, 0.0, 0.5, kind="cavity", confidence=1.5)])
    with pytest.raises(ValueError, match="survey position"):
        link_pipes([make(1.0, 0.3, 0.5)], across_positions_m=CHANNELS)
    with pytest.raises(ValueError, match="max_gap"):
        link_pipes([], max_gap=-1)
    assert link_pipes([]) == [] and group_cavities([]) == []
