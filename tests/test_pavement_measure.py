"""Pavement measurements against synthetic scans with known ruts, potholes and texture."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import brentq

import roadbed
import roadbed.cli_pavement  # noqa: F401 - registers ``roadbed pavement``
from roadbed import conventions as cv
from roadbed.cli import main
from roadbed.pavement import (
    LaneZones,
    ZONE_NAMES,
    find_potholes,
    measure_pavement,
    measure_ruts,
    mpd_by_section,
    pavement_hazards,
    pothole_severity,
    read_scan,
    rut_severity,
    segment_depths,
    texture_depths,
    transverse_profile,
)
from roadbed.pavement import _kernels, _reference
from roadbed.pavement.measure import PAVEMENT_KEYS, measure_scan
from roadbed.pavement.records import rut_hazards
from roadbed.pavement.ruts import straightedge_gaps, wire_gaps
from roadbed.synth import Crack, Pothole, Rut, synthetic_pavement, write_las, write_pavement_las

LANE = LaneZones(lane_width_m=3.5)


# --- hull kernels against their twins --------------------------------------------------------------------
@st.composite
def profiles(draw):
    n = draw(st.integers(2, 40))
    g = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    uniform = draw(st.booleans())
    x = np.arange(n) * 0.01 if uniform else np.cumsum(g.uniform(0.001, 0.02, n))
    z = g.integers(-3, 4, n).astype(np.float64) if draw(st.booleans()) else g.normal(0, 5, n)  # ties, collinear runs
    return x, z


@given(profiles())
def test_upper_envelope_matches_reference(case):
    x, z = case
    fast = _kernels.upper_envelope(x, z)
    np.testing.assert_allclose(fast, _reference.upper_envelope(x, z), rtol=0, atol=1e-7)
    assert np.all(fast >= z - 1e-12)


@given(profiles(), st.data())
def test_straightedge_gaps_match_reference(case, data):
    x, z = case
    span = data.draw(st.integers(1, max(1, x.size - 1)))
    step = data.draw(st.integers(1, 3))
    fast = _kernels.straightedge_gaps(x, z, span, step)
    slow = _reference.straightedge_gaps(x, z, span, step)
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-7)
    covered = np.isfinite(fast)
    assert np.all(fast[covered] >= -1e-9)


def test_straightedge_and_wire_on_hand_made_profiles():
    x = np.arange(0, 3.001, 0.01)
    profile = xr.DataArray(np.zeros_like(x), dims=cv.ACROSS, coords={cv.ACROSS: x})
    assert np.nanmax(straightedge_gaps(profile, length_m=1.0).values) == pytest.approx(0.0, abs=1e-12)
    # a crown (a tent rising 20/3 mm per m to 10 mm at 1.5 m): a straightedge with its midpoint on one
    # slope lies along it; centred on the ridge it tips onto the right slope. Either way its far end
    # stands above the other slope by 2 · 20/3 mm/m · (up to) 1 m
    tent = profile.copy(data=10.0 - np.abs(x - 1.5) * 20.0 / 3.0)
    gaps = straightedge_gaps(tent, length_m=2.0)
    assert np.nanmax(gaps.values) == pytest.approx(2 * 20.0 / 3.0 * 1.0, abs=1e-6)
    assert gaps.sel({cv.ACROSS: 0.5}, method="nearest") == pytest.approx(2 * 20.0 / 3.0 * 1.0, abs=1e-6)
    assert np.nanmax(wire_gaps(tent).values) == pytest.approx(0.0, abs=1e-9)  # a convex shape: the wire lies on it
    # a V trough 6 mm deep and 0.4 m wide: both measures see 6 mm
    v = profile.copy(data=-np.clip(6.0 - np.abs(x - 1.5) * 30.0, 0, None))
    assert np.nanmax(straightedge_gaps(v, length_m=1.8).values) == pytest.approx(6.0)
    assert np.nanmax(wire_gaps(v).values) == pytest.approx(6.0)


# --- ruts ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("left", "right", "texture", "cross", "grade"),
    [
        ((5.0, 0.6), (8.0, 0.7), 0.6, 2.0, 0.0),
        ((12.0, 0.7), (22.0, 0.9), 1.0, -3.0, 1.5),
        ((30.0, 0.9), (17.0, 0.8), 0.8, 2.5, -2.0),
    ],
)
def test_rut_depths_of_synthetic_ruts(left, right, texture, cross, grade):
    ruts = (Rut(0.875, left[1], left[0], "left"), Rut(-0.875, right[1], right[0], "right"))
    scan, truth = synthetic_pavement(length_m=0.6, width_m=3.5, along_spacing_mm=2.0, across_spacing_mm=1.0,
                                     ruts=ruts, texture_mpd_mm=texture, cross_slope_pct=cross, grade_pct=grade,
                                     rng=11)  # fmt: skip
    expected = {h.attributes["wheel_path"]: h.attributes["depth_mm"] for h in truth if h.kind == "rut"}
    found = measure_ruts(scan, zones=LANE)
    assert [(r.wheel_path, r.along_m) for r in found] == [("left", 0.3), ("right", 0.3)]
    for r in found:
        # on a flat lane with ruts narrower than the straightedge both measures see the full depth
        assert r.depth_straightedge_mm == pytest.approx(expected[r.wheel_path], abs=1.0)
        assert r.depth_wire_mm == pytest.approx(expected[r.wheel_path], abs=1.0)
        rut = ruts[0] if r.wheel_path == "left" else ruts[1]
        assert abs(r.across_wire_m - rut.across_m) < 0.05
        assert r.severity == rut_severity(expected[r.wheel_path])


def expected_wire_depth_of_a_cut_rut(depth_mm, centre_m, width_m, edge_m):
    """Wire over a raised-cosine rut cut by the lane edge (its left flank lies outside the lane).

    The wire runs from the profile's end at the edge to its tangent point T on the
    concave upper part of the far flank; the rut depth is the largest drop below
    that line. Derived from the analytic shape alone, in u = (x − centre) / width.
    """
    def p(u):
        return -depth_mm * np.cos(np.pi * u) ** 2 if abs(u) < 0.5 else 0.0

    def dp(u):
        return depth_mm * np.pi * np.sin(2 * np.pi * u) if abs(u) < 0.5 else 0.0

    ue = (edge_m - centre_m) / width_m
    # tangency: p'(t) (t − ue) = p(t) − p(ue), with t on the far flank's concave part (0.25 < t < 0.5)
    t = brentq(lambda t: dp(t) * (t - ue) - (p(t) - p(ue)), 0.25 + 1e-9, 0.5 - 1e-9)
    u = np.linspace(ue, t, 200_001)
    wire = p(ue) + dp(t) * (u - ue)
    return float(np.max(wire + depth_mm * np.cos(np.pi * u) ** 2))  # wire − profile, inside the rut


def test_wire_and_straightedge_differ_on_a_rut_cut_by_the_lane_edge():
    depth, centre, width = 20.0, -1.6, 0.8  # the right rut's outer flank lies beyond the lane edge at −1.75 m
    scan, _ = synthetic_pavement(length_m=0.4, width_m=3.5, along_spacing_mm=2.0, across_spacing_mm=1.0,
                                 ruts=(Rut(centre, width, depth, "right"),), texture_mpd_mm=0.0, cross_slope_pct=2.0,
                                 rng=0)  # fmt: skip
    wire = expected_wire_depth_of_a_cut_rut(depth, centre, width, LANE.edges_m[0])
    assert 5.0 < wire < 15.0  # far from the depth: the wire starts inside the rut
    (left, right) = measure_ruts(scan, zones=LANE, median_mm=0.0, smooth_mm=0.0, step_mm=None)
    assert right.depth_wire_mm == pytest.approx(wire, abs=0.05)
    # a 1.8 m straightedge lies on the flat road beside the rut, over the cut flank: the full depth
    assert right.depth_straightedge_mm == pytest.approx(depth, abs=0.05)
    assert left.depth_wire_mm == pytest.approx(0.0, abs=1e-4)
    assert left.depth_straightedge_mm == pytest.approx(0.0, abs=1e-4)


def test_transverse_profile_ignores_cracks():
    cracks = (Crack(((0.1, 0.5), (0.5, 0.52)), width_mm=10.0, depth_mm=25.0),  # longitudinal, in the left half
              Crack(((0.29, -1.7), (0.31, 1.7)), width_mm=15.0, depth_mm=25.0, crack_type="transverse"))  # fmt: skip
    scan, _ = synthetic_pavement(length_m=0.6, width_m=3.5, along_spacing_mm=2.0, across_spacing_mm=1.0,
                                 cracks=cracks, texture_mpd_mm=0.5, cross_slope_pct=0.0, rng=12)  # fmt: skip
    profile = transverse_profile(scan, 0.3)
    assert float(np.nanmax(np.abs(profile.values - np.nanmedian(profile.values)))) < 1.0
    assert all(r.depth_straightedge_mm < 1.0 and r.depth_wire_mm < 1.0 for r in measure_ruts(scan, zones=LANE))


# --- potholes -------------------------------------------------------------------------------------------------
HOLES = (Pothole(0.7, 0.35, 0.15, 18.0), Pothole(1.6, -0.9, 0.25, 40.0), Pothole(2.4, 0.9, 0.10, 60.0),
         Pothole(2.5, -0.2, 0.20, 12.0))  # fmt: skip
RUTS = (Rut(0.875, 0.7, 10.0, "left"), Rut(-0.875, 0.9, 16.0, "right"))


@pytest.fixture(scope="module")
def lane():
    cracks = (Crack(((0.2, -0.45), (2.9, -0.4)), width_mm=8.0, depth_mm=15.0),
              Crack(((1.2, -1.7), (1.22, 1.7)), width_mm=12.0, depth_mm=20.0, crack_type="transverse"))  # fmt: skip
    return synthetic_pavement(length_m=3.0, width_m=3.5, along_spacing_mm=2.0, across_spacing_mm=2.0, ruts=RUTS,
                              potholes=HOLES, cracks=cracks, texture_mpd_mm=0.8, cross_slope_pct=2.0, grade_pct=1.5,
                              rng=13)  # fmt: skip


def _match(found, truth_potholes):
    pairs = []
    for hole in truth_potholes:
        best = min(found, key=lambda p: math.hypot(p.along_m - hole.along_m, p.across_m - hole.across_m))
        pairs.append((hole, best))
    return pairs


def test_potholes_depth_area_and_severity(lane):
    scan, truth = lane
    found, labels = find_potholes(scan)
    assert len(found) == len(HOLES)  # ruts and cracks are not potholes
    for hole, p in _match(found, HOLES):
        assert math.hypot(p.along_m - hole.along_m, p.across_m - hole.across_m) < 0.01
        assert p.max_depth_mm == pytest.approx(hole.depth_mm, abs=2.0)
        assert p.mean_depth_mm == pytest.approx(hole.depth_mm / 2, abs=2.0)  # a paraboloid's mean depth
        assert p.area_m2 == pytest.approx(hole.area_m2, rel=0.10)
        assert p.volume_m3 == pytest.approx(hole.volume_m3, rel=0.10)
        assert p.severity == ("low" if hole.depth_mm < 25 else "moderate" if hole.depth_mm <= 50 else "high")
    assert set(np.unique(labels.values)) == set(range(len(HOLES) + 1))


def test_pothole_hazards_are_polygons_matching_the_truth(lane):
    scan, truth = lane
    hazards = pavement_hazards(scan, zones=LANE)
    holes = [h for h in hazards if h.kind == "pothole"]
    truth_holes = [h for h in truth if h.kind == "pothole"]
    assert len(holes) == len(truth_holes)
    for t in truth_holes:
        h = min(holes, key=lambda h: math.hypot(h.along_m - t.along_m, h.across_m - t.across_m))
        assert h.geometry_type == "polygon" and math.hypot(h.along_m - t.along_m, h.across_m - t.across_m) < 0.01
        v = np.array(h.vertices)
        shoelace = 0.5 * abs(np.dot(v[:, 0], np.roll(v[:, 1], 1)) - np.dot(v[:, 1], np.roll(v[:, 0], 1)))
        assert shoelace == pytest.approx(t.attributes["area_m2"], rel=0.10)
        assert h.attributes["max_depth_mm"] == pytest.approx(t.attributes["max_depth_mm"], abs=2.0)
        assert roadbed.Hazard.from_dict(json.loads(h.to_json())) == h
    ruts = [h for h in hazards if h.kind == "rut"]
    assert {h.attributes["wheel_path"] for h in ruts} == {"left", "right"} and len(ruts) == 6  # 3 sections × 2
    for h in ruts:
        depth = 10.0 if h.attributes["wheel_path"] == "left" else 16.0
        assert h.attributes["depth_mm"] == pytest.approx(depth, abs=1.0)
        assert h.vertices[0][1] == pytest.approx(LANE.wheel_path(h.attributes["wheel_path"])[0] + 0.375)


def test_pothole_severity_classes():
    assert [pothole_severity(d) for d in (5.0, 24.9, 25.0, 50.0, 50.1, 200.0)] == [
        "low", "low", "moderate", "moderate", "high", "high"]  # fmt: skip
    assert [rut_severity(d) for d in (None, 5.9, 6.0, 13.0, 13.1, 25.0, 25.1)] == [
        None, None, "low", "low", "medium", "medium", "high"]  # fmt: skip


# --- texture ---------------------------------------------------------------------------------------------------
def iso_segment_depths(profile, spacing_mm):
    """ISO 13473-1 by the book, segment by segment (the test's own implementation)."""
    n = int(round(100 / spacing_mm))
    out = []
    for k in range(len(profile) // n):
        seg = profile[k * n : (k + 1) * n]
        x = np.arange(n) * spacing_mm
        seg = seg - np.polyval(np.polyfit(x, seg, 1), x)
        out.append((seg[: n // 2].max() + seg[n // 2 :].max()) / 2 - seg.mean())
    return np.array(out)


@given(st.integers(0, 2**32 - 1), st.sampled_from([0.5, 1.0, 2.0]))
def test_segment_depths_by_the_book(seed, spacing):
    g = np.random.default_rng(seed)
    profile = np.cumsum(g.normal(0, 0.3, 700)) + g.normal(0, 1, 700)
    np.testing.assert_allclose(segment_depths(profile, spacing_mm=spacing), iso_segment_depths(profile, spacing),
                               atol=1e-9)  # fmt: skip
    profile[5] = np.nan  # a dropout spoils its segment only
    depths = segment_depths(profile, spacing_mm=spacing)
    assert np.isnan(depths[0]) and np.isfinite(depths[1:]).all()


@pytest.mark.parametrize("mpd", [0.5, 1.2])
def test_mean_profile_depth_of_a_distressed_lane(mpd):
    scan, _ = synthetic_pavement(
        length_m=1.0, width_m=2.0, along_spacing_mm=1.0, across_spacing_mm=4.0,
        ruts=(Rut(0.6, 0.7, 15.0),), potholes=(Pothole(0.5, -0.4, 0.15, 30.0),),
        cracks=(Crack(((0.7, -0.95), (0.72, 0.95)), width_mm=10.0, depth_mm=20.0, crack_type="transverse"),),
        texture_mpd_mm=mpd, cross_slope_pct=2.5, grade_pct=-1.0, rng=14,
    )  # fmt: skip
    result = measure_scan(scan, zones=LANE)
    assert result.mpd_mm == pytest.approx(mpd, abs=0.1)
    plain = mpd_by_section(scan, section_m=0.5)  # nothing left out: the pothole and crack inflate it
    assert plain.sizes[cv.ALONG] == 2 and plain.values.max() > mpd + 0.1


def test_mpd_by_section_averages_segments():
    scan, _ = synthetic_pavement(length_m=1.0, width_m=0.2, texture_mpd_mm=0.9, rng=15)
    msd = texture_depths(scan)
    assert msd.sizes[cv.ALONG] == 10 and msd[cv.ALONG].values[0] == pytest.approx(0.0495)
    sections = mpd_by_section(scan, section_m=0.3)
    np.testing.assert_allclose(sections[cv.ALONG].values, [0.15, 0.45, 0.75, 0.95])
    assert list(sections["n_segments"].values) == [3 * 201, 3 * 201, 3 * 201, 1 * 201]
    np.testing.assert_allclose(sections.values[0], msd.values[:3].mean())
    whole = float((sections * sections["n_segments"]).sum() / sections["n_segments"].sum())
    assert whole == pytest.approx(0.9, rel=1e-6)  # the synthetic texture is calibrated to exactly this


# --- the whole report, and the same from a LAS file ----------------------------------------------------------------
def test_measure_pavement_report(lane):
    scan, _ = lane
    report = measure_pavement(scan, input="lane", zones=LANE)
    assert tuple(report) == PAVEMENT_KEYS and report["input"] == "lane"
    json.dumps(report, allow_nan=False)
    assert report["mpd_mm"] == pytest.approx(0.8, abs=0.1)
    assert {tuple(r) for r in report["ruts"]} == {("along_m", "wheel_path", "depth_straightedge_mm", "depth_wire_mm")}
    for r in report["ruts"]:  # potholes under a station are left out of its profile
        assert r["depth_straightedge_mm"] == pytest.approx(10.0 if r["wheel_path"] == "left" else 16.0, abs=1.0)
        assert r["depth_wire_mm"] == pytest.approx(10.0 if r["wheel_path"] == "left" else 16.0, abs=1.0)
    assert [p["severity"] for p in sorted(report["potholes"], key=lambda p: p["max_depth_mm"])] == [
        "low", "low", "moderate", "high"]  # fmt: skip


def test_a_las_in_map_coordinates_gives_the_same_measurements(lane, tmp_path):
    pytest.importorskip("laspy")
    scan, _ = lane
    origin, heading = (323_000.0, 4_160_000.0), 30.0
    path = write_pavement_las(scan, tmp_path / "lane.las", origin_xy_m=origin, heading_deg=heading)
    from_las = measure_pavement(read_scan(path, resolution_mm=2.0, origin_xy_m=origin, heading_deg=heading),
                                zones=LANE)  # fmt: skip
    direct = measure_pavement(scan, zones=LANE)
    # write_pavement_las stores z at 1 mm: rounding adds noise (σ 0.29 mm) that raises the texture's peaks
    assert direct["mpd_mm"] < from_las["mpd_mm"] < direct["mpd_mm"] + 0.2
    for a, b in zip(from_las["ruts"], direct["ruts"], strict=True):
        assert a["along_m"] == pytest.approx(b["along_m"]) and a["wheel_path"] == b["wheel_path"]
        assert a["depth_straightedge_mm"] == pytest.approx(b["depth_straightedge_mm"], abs=0.3)
        assert a["depth_wire_mm"] == pytest.approx(b["depth_wire_mm"], abs=0.3)
    assert len(from_las["potholes"]) == len(direct["potholes"])
    for a, b in zip(from_las["potholes"], direct["potholes"], strict=True):
        assert (a["along_m"], a["across_m"]) == pytest.approx((b["along_m"], b["across_m"]), abs=0.005)
        assert a["max_depth_mm"] == pytest.approx(b["max_depth_mm"], abs=1.0)
        assert a["area_m2"] == pytest.approx(b["area_m2"], rel=0.03)


def test_a_fine_las_in_map_coordinates_gives_the_same_texture(lane, tmp_path):
    pytest.importorskip("laspy")
    scan, _ = lane
    part = scan.sel({cv.ACROSS: slice(-0.5, 0.5)})
    along, across = np.meshgrid(part[cv.ALONG].values, part[cv.ACROSS].values, indexing="ij")
    h = math.radians(-120.0)  # driving south-west; +across to the left
    x = 500_000.0 + along * math.sin(h) - across * math.cos(h)
    y = 6_000_000.0 + along * math.cos(h) + across * math.sin(h)
    path = write_las(tmp_path / "fine.las", x_m=x, y_m=y, z_m=part[cv.ELEVATION].values.astype(np.float64) * 1e-3,
                     scale_m=1e-5)  # fmt: skip
    back = read_scan(path, resolution_mm=2.0, origin_xy_m=(500_000.0, 6_000_000.0), heading_deg=-120.0)
    assert back.sizes == part.sizes and (back["count"].values == 1).all()
    lane_part = LaneZones(lane_width_m=1.0, wheel_path_width_m=0.2, wheel_path_offset_m=0.25)
    from_las = measure_scan(back, zones=lane_part)
    direct = measure_scan(part, zones=lane_part)
    assert from_las.mpd_mm == pytest.approx(direct.mpd_mm, abs=0.01)
    assert direct.mpd_mm == pytest.approx(0.8, abs=0.1)


def test_a_photo_has_nothing_to_measure_here(tmp_path):
    import imageio.v3 as iio

    iio.imwrite(tmp_path / "photo.png", np.full((20, 30), 128, dtype=np.uint8))
    report = measure_pavement(read_scan(tmp_path / "photo.png"))
    assert report["ruts"] == [] and report["potholes"] == [] and report["mpd_mm"] is None
    assert report["input"] == str(tmp_path / "photo.png")


# --- zones and records --------------------------------------------------------------------------------------------
def test_lane_zones_tile_the_lane():
    zones = LaneZones(lane_width_m=3.5, centre_m=0.2)
    bounds = zones.bounds()
    order = sorted(bounds.values())
    assert order[0][0] == pytest.approx(-1.55) and order[-1][1] == pytest.approx(1.95)
    assert all(a[1] == pytest.approx(b[0]) for a, b in zip(order[:-1], order[1:], strict=True))  # contiguous
    assert zones.wheel_path("left") == pytest.approx((0.7, 1.45))
    x = np.array([-2.0, -1.5, -1.0, 0.2, 0.7, 1.0, 1.9, 2.0])
    names = [None if i < 0 else ZONE_NAMES[i] for i in zones.zone_index(x)]
    assert names == [None, "right_edge", "right_wheel_path", "centre", "centre", "left_wheel_path", "left_edge", None]
    assert zones.zone_of(0.7) == "centre"  # a boundary belongs to the inner zone
    assert zones.half("right") == pytest.approx((-1.55, 0.2))
    assert LaneZones.for_extent(-1.0, 3.0, wheel_path_offset_m=0.8) == LaneZones(4.0, 1.0, 0.75, 0.8)
    with pytest.raises(ValueError):
        LaneZones(lane_width_m=1.0)  # the wheel paths do not fit
    with pytest.raises(ValueError):
        zones.wheel_path("middle")


def test_rut_hazards_cover_sections_clipped_to_the_scan():
    from roadbed.pavement import RutMeasurement

    ruts = [RutMeasurement(0.5, "left", 7.0, 7.5), RutMeasurement(0.5, "right", None, None),
            RutMeasurement(1.5, "right", 30.0, 31.0)]  # fmt: skip
    hazards = rut_hazards(ruts, interval_m=1.0, zones=LANE, along_range_m=(0.0, 1.8))
    assert len(hazards) == 2
    assert [v[0] for v in hazards[1].vertices] == [1.0, 1.8]
    assert hazards[0].attributes["severity"] == "low" and hazards[1].attributes["severity"] == "high"
    assert hazards[1].vertices[0][1] == pytest.approx(-0.875)


# --- command line -------------------------------------------------------------------------------------------------
def test_cli_pavement_json(tmp_path, capsys):
    pytest.importorskip("laspy")
    scan, _ = synthetic_pavement(length_m=1.0, width_m=3.5, along_spacing_mm=4.0, across_spacing_mm=4.0,
                                 ruts=(Rut(0.875, 0.7, 14.0, "left"),), potholes=(Pothole(0.5, -0.3, 0.15, 30.0),),
                                 texture_mpd_mm=0.0, rng=16)  # fmt: skip
    path = write_pavement_las(scan, tmp_path / "cli.las", origin_xy_m=(1000.0, 2000.0), heading_deg=75.0)
    options = ["--origin", "1000", "2000", "--heading-deg", "75", "--resolution-mm", "4", "--lane-width-m", "3.5"]
    code = main(["pavement", str(path), "--json", *options])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and set(PAVEMENT_KEYS) <= set(out) and out["input"] == str(path)
    left = [r for r in out["ruts"] if r["wheel_path"] == "left"]
    assert left and left[0]["depth_straightedge_mm"] == pytest.approx(14.0, abs=1.0)
    assert len(out["potholes"]) == 1 and out["potholes"][0]["max_depth_mm"] == pytest.approx(30.0, abs=2.0)
    assert main(["pavement", str(path), *options]) == 0 and "potholes (1)" in capsys.readouterr().out
    (tmp_path / "bad.las").write_bytes(path.read_bytes()[:300])
    assert main(["pavement", str(tmp_path / "bad.las"), "--json"]) == 1
    assert "roadbed pavement:" in capsys.readouterr().err
