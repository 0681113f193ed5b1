"""Cracks: kernels vs their numpy twins, measurement vs analytic masks, detection vs synthetic truth, CLI."""

from __future__ import annotations

import json
import math

import imageio.v3 as iio
import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from scipy import ndimage

import roadbed.cli_cracks  # noqa: F401  (registers `roadbed cracks`)
from roadbed import conventions as cv
from roadbed.cli import main
from roadbed.hazards import Hazard
from roadbed.io.netcdf import save
from roadbed.pavement import LaneZones
from roadbed.pavement import _crack_kernels as K
from roadbed.pavement import _crack_reference as R
from roadbed.pavement.cracks import (
    BRIEF_KEYS,
    crack_severity,
    crack_summary,
    detect_cracks,
    measure_cracks,
)
from roadbed.synth import Crack, crack_network, random_crack, synthetic_pavement

# --- kernels vs numpy twins -------------------------------------------------------------------


@st.composite
def images(draw, max_side=24):
    n, m = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    g = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return g.normal(0.0, 3.0, (n, m)).astype(np.float32)


@st.composite
def masks(draw, max_side=24):
    n, m = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    g = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    fill = draw(st.floats(0.05, 0.95))
    mask = g.random((n, m)) < fill
    if draw(st.booleans()):  # thicker blobs and lines, like real masks
        mask = ndimage.binary_dilation(g.random((n, m)) < fill / 8, iterations=draw(st.integers(1, 3)))
    return mask


@given(images(), st.integers(0, 8), st.integers(0, 1), st.booleans())
def test_running_extremum_matches_scipy(x, half, axis, is_max):
    np.testing.assert_array_equal(K.running_extremum(x, half, axis, is_max), R.running_extremum(x, half, axis, is_max))


@given(images(), st.integers(0, 6), st.integers(0, 6))
def test_closing_and_box_sum_match_scipy(x, hr, hc):
    np.testing.assert_array_equal(K.closing(x, hr, hc), R.closing(x, hr, hc))
    np.testing.assert_allclose(K.box_sum(x, hr, hc), R.box_sum(x, hr, hc), rtol=1e-9, atol=1e-6)


@given(images(), st.integers(0, 4), st.integers(0, 4), st.booleans(), st.floats(0.1, 3.0), st.floats(0.2, 0.9))
def test_crack_cells_matches_twin(e, hr, hc, with_intensity, threshold, ratio):
    g = np.random.default_rng(int(abs(e).sum() * 1000) % 2**32)
    e = e.copy()
    e[g.random(e.shape) < 0.1] = np.nan
    light = g.random(e.shape).astype(np.float32) if with_intensity else np.zeros((0, 0), np.float32)
    if with_intensity:
        light[g.random(e.shape) < 0.05] = np.nan
    closed = K.closing(np.where(np.isnan(e), -np.inf, e).astype(np.float32), hr, hc)
    a = K.crack_cells(e, closed, light, threshold, ratio, 2 * hr, 2 * hc)
    b = R.crack_cells(e, closed, light, threshold, ratio, 2 * hr, 2 * hc)
    np.testing.assert_array_equal(a, b)


@given(images(), st.sampled_from([3, 5, 9, 17, 31]), st.integers(1, 12))
def test_line_extrema_match_twin(x, length, n_orient):
    offsets, counts = K.line_offsets(length, n_orient)
    high, low = K.line_extrema(x, offsets, counts)
    high_r, low_r = R.line_extrema(x, offsets, counts)
    np.testing.assert_allclose(high, high_r, atol=1e-4)
    np.testing.assert_allclose(low, low_r, atol=1e-4)


@given(masks())
def test_path_length_thinning_and_graph_match_twins(mask):
    np.testing.assert_array_equal(K.path_length(mask), R.path_length(mask))
    skel = K.thin(mask)
    np.testing.assert_array_equal(skel, R.thin(mask))
    np.testing.assert_array_equal(K.neighbour_count(skel), R.neighbour_count(skel))
    pixels, starts, degree = K.trace_branches(skel)
    pixels_r, starts_r, degree_r = R.trace_branches(skel)
    np.testing.assert_array_equal(pixels, pixels_r)
    np.testing.assert_array_equal(starts, starts_r)
    # every centreline pixel lies on some branch, and branches step between 8-neighbours
    assert {tuple(p) for p in pixels} == set(zip(*np.nonzero(skel), strict=True))
    for b in range(len(starts) - 1):
        chain = pixels[starts[b] : starts[b + 1]]
        assert np.all(np.abs(np.diff(chain, axis=0)) <= 1)


@given(masks(), st.floats(0.5, 5.0), st.floats(0.5, 5.0))
def test_edge_distance_matches_brute_force(mask, s_rows, s_cols):
    rows, cols = np.nonzero(mask)
    a = K.edge_distance(mask, rows.astype(np.int64), cols.astype(np.int64), s_rows, s_cols, 60.0)
    b = R.edge_distance(mask, rows, cols, s_rows, s_cols, 60.0)
    np.testing.assert_allclose(a, b, equal_nan=True)


@given(st.integers(0, 60), st.floats(0.0, 3.0), st.integers(0, 2**32 - 1))
def test_simplify_polyline_matches_twin(n, tolerance, seed):
    points = np.cumsum(np.random.default_rng(seed).normal(size=(n, 2)), axis=0)
    keep = K.simplify_polyline(points, tolerance)
    np.testing.assert_array_equal(keep, R.simplify_polyline(points, tolerance))


def test_path_length_of_a_line_and_a_dot():
    mask = np.zeros((9, 12), bool)
    mask[3, 1:9] = True  # 8 pixels in a row
    mask[7, 10] = True
    out = K.path_length(mask)
    assert set(out[3, 1:9]) == {8} and out[7, 10] == 1 and out[0, 0] == 0


# --- the width convention ------------------------------------------------------------------------


@pytest.mark.parametrize("width", [1, 2, 3, 4, 7, 10, 15])
@pytest.mark.parametrize("offset", [0, 1])
def test_width_of_an_axis_aligned_slot_is_exact(width, offset):
    # a slot `width` cells tall: its centreline may sit on either middle row of an even width
    mask = np.zeros((40 + width, 200), bool)
    mask[20 : 20 + width, 5:195] = True
    rows = np.full(10, 20 + (width - 1) // 2 + (offset if width % 2 == 0 else 0), np.int64)
    cols = np.arange(95, 105, dtype=np.int64)
    np.testing.assert_allclose(K.edge_distance(mask, rows, cols, 1.0, 1.0, 100.0), width)
    # anisotropic grid: the slot is measured in the row spacing
    np.testing.assert_allclose(K.edge_distance(mask, rows, cols, 5.0, 1.0, 500.0), 5.0 * width)


@pytest.mark.parametrize("width", [1, 3, 5, 9])
def test_width_is_two_dt_minus_one_at_the_middle_of_odd_slots(width):
    """Where the centreline sits in the middle, the width is 2·DT − 1 px (DT: scipy's Euclidean transform)."""
    g = np.random.default_rng(width)
    mask = np.zeros((80, 80), bool)
    mask[30 : 30 + width, 10:70] = True
    specks = ndimage.binary_dilation(g.random(mask.shape) < 0.002)
    specks[20 : 40 + width] = False
    mask |= specks  # unrelated cracks elsewhere
    dt = ndimage.distance_transform_edt(mask)
    rows = np.full(20, 30 + width // 2, np.int64)
    cols = np.arange(30, 50, dtype=np.int64)
    np.testing.assert_allclose(K.edge_distance(mask, rows, cols, 1.0, 1.0, 100.0), 2 * dt[rows, cols] - 1)


# --- measurement of analytic masks ------------------------------------------------------------


def _bar(shape, r0, r1, c0, c1):
    m = np.zeros(shape, bool)
    m[r0:r1, c0:c1] = True
    return m


def test_measure_a_straight_longitudinal_bar():
    mask = _bar((600, 80), 50, 550, 38, 43)  # 500 rows along, 5 columns across
    report = measure_cracks(mask, pixel_size_mm=1.0)
    (h,) = report.hazards
    a = h.attributes
    assert isinstance(h, Hazard) and h.kind == "crack" and h.geometry_type == "polyline"
    assert a["crack_type"] == "longitudinal" and a["orientation_deg"] == pytest.approx(0.0, abs=0.5)
    assert a["length_m"] == pytest.approx(0.5, rel=0.02)
    assert a["mean_width_mm"] == pytest.approx(5.0, abs=0.05) and a["max_width_mm"] == pytest.approx(5.0, abs=0.05)
    assert a["severity"] == "low"
    # the polyline runs along the bar's centre line (mask origin: row 0, col 0 at 0 m)
    v = np.array(h.vertices)
    assert np.all(np.abs(v[:, 1] - 0.040) < 0.0015) and v[:, 0].min() < 0.056 and v[:, 0].max() > 0.544
    s = report.summary
    assert s["n_cracks"] == 1 and s["types"] == {"longitudinal": 1, "transverse": 0, "pattern": 0}
    assert s["pixel_size_mm"] == [1.0, 1.0]


def test_short_or_oblique_cracks_are_transverse_and_pixel_units_where_size_unknown():
    mask = _bar((300, 300), 140, 143, 20, 280) | _bar((300, 300), 20, 120, 10, 13)  # across; short along
    report = measure_cracks(mask)  # no pixel size: 1 px counts as 1 mm
    types = sorted((h.attributes["crack_type"], round(h.attributes["orientation_deg"])) for h in report.hazards)
    assert [t for t, _ in types] == ["transverse", "transverse"]  # 0.1 m along is shorter than 0.3 m
    assert {abs(o) for _, o in types} == {0, 90}
    assert report.summary["pixel_size_mm"] is None
    assert report.summary["total_length_m"] == pytest.approx(0.260 + 0.100, rel=0.03)


def test_crossing_cracks_stay_two_cracks_and_a_grid_is_pattern():
    cross = _bar((500, 500), 248, 252, 20, 480) | _bar((500, 500), 20, 480, 248, 252)
    report = measure_cracks(cross, pixel_size_mm=1.0)
    assert report.summary["types"] == {"longitudinal": 1, "transverse": 1, "pattern": 0}
    for h in report.hazards:
        assert h.attributes["length_m"] == pytest.approx(0.46, rel=0.03)
        assert h.attributes["mean_width_mm"] == pytest.approx(4.0, abs=0.3)
    grid = np.zeros((500, 500), bool)
    for k in range(50, 500, 100):
        grid[k : k + 3, 40:460] = True
        grid[40:460, k : k + 3] = True
    report = measure_cracks(grid, pixel_size_mm=2.0)
    (h,) = report.hazards
    assert h.attributes["crack_type"] == "pattern" and h.geometry_type == "polygon"
    assert h.attributes["n_cells"] == 16 and h.attributes["max_width_mm"] == pytest.approx(6.0, abs=1.0)
    assert h.attributes["length_m"] == pytest.approx(2 * 5 * 0.84, rel=0.05)
    assert h.attributes["area_m2"] == pytest.approx(0.84 * 0.84, rel=0.05)


def test_severity_classes_follow_astm_d6433():
    assert [crack_severity(w) for w in (0.5, 9.99, 10.0, 75.0, 75.01, 200.0)] == [
        "low", "low", "medium", "medium", "high", "high"]  # fmt: skip
    with pytest.raises(ValueError):
        crack_severity(float("nan"))


def test_extent_per_lane_zone():
    zones = LaneZones(lane_width_m=3.6, centre_m=0.0)
    low, high = zones.wheel_path("left")
    mask = xr.DataArray(np.zeros((1001, 3601), bool), dims=(cv.ALONG, cv.ACROSS),
                        coords={cv.ALONG: np.arange(1001) * 1e-3, cv.ACROSS: np.arange(3601) * 1e-3 - 1.8},
                        attrs={"along_spacing_mm": 1.0, "across_spacing_mm": 1.0})  # fmt: skip
    col = int(round(((low + high) / 2 + 1.8) * 1e3))
    mask[100:900, col - 1 : col + 2] = True
    report = measure_cracks(mask, zones=zones)
    (h,) = report.hazards
    assert h.attributes["length_m_left_wheel_path"] == pytest.approx(h.attributes["length_m"], rel=1e-6)
    assert h.attributes["length_m_centre"] == 0.0
    assert h.across_m == pytest.approx((low + high) / 2, abs=2e-3)
    assert report.summary["extent_m"]["left_wheel_path"]["longitudinal"] == pytest.approx(0.8, rel=0.02)


def test_engines_agree_on_measurement():
    rng = np.random.default_rng(4)
    mask = ndimage.binary_dilation(_bar((200, 200), 100, 101, 10, 190) | _bar((200, 200), 10, 190, 60, 61)
                                   | (rng.random((200, 200)) < 0.0005), iterations=2)  # fmt: skip
    a = measure_cracks(mask, pixel_size_mm=(2.0, 1.0))
    b = measure_cracks(mask, pixel_size_mm=(2.0, 1.0), engine="numpy")
    assert [h.to_dict() for h in a.hazards] == [h.to_dict() for h in b.hazards]


# --- detection on synthetic scans: the truth targets ----------------------------------------------------


def _truth_of(report, truth):
    """Each true crack's nearest detected crack (by its centre)."""
    out = []
    for t in truth:
        best = min(report.hazards, key=lambda h: math.hypot(h.along_m - t.along_m, h.across_m - t.across_m))
        out.append((t, best))
    return out


@pytest.fixture(scope="module")
def longitudinal_scene():
    rng = np.random.default_rng(11)
    widths = [1, 2, 3, 5, 8, 13, 20]
    cracks = [random_crack(rng, start_m=(0.1, -1.45 + 0.45 * k), length_m=1.0, width_mm=w, depth_mm=6 + k,
                           crack_type="longitudinal") for k, w in enumerate(widths)]  # fmt: skip
    scan, truth = synthetic_pavement(length_m=1.2, width_m=3.5, cracks=cracks, rng=12)
    return scan, truth


def test_widths_lengths_and_types_on_a_synthetic_scan(longitudinal_scene):
    scan, truth = longitudinal_scene
    mask = detect_cracks(scan)
    assert mask.dims == (cv.ALONG, cv.ACROSS) and mask.shape == scan.elevation.shape and mask.dtype == bool
    assert mask.attrs["method"] == "elevation+intensity" and "detect_cracks" in mask.attrs[cv.ATTR_HISTORY]
    report = measure_cracks(mask)
    assert len(report.hazards) == len(truth)
    for t, h in _truth_of(report, truth):
        w = t.attributes["width_mm"]
        assert h.attributes["mean_width_mm"] == pytest.approx(w, abs=1.0), w
        assert h.attributes["max_width_mm"] == pytest.approx(w, abs=1.0), w
        assert h.attributes["length_m"] == pytest.approx(t.attributes["length_m"], rel=0.05), w
        assert h.attributes["crack_type"] == "longitudinal"
        assert h.attributes["severity"] == crack_severity(w)
        # the centreline follows the true one: every detected vertex within the crack's half width + 2 mm
        tv = np.array(t.vertices)[:, :2]
        for a, c, _ in h.vertices:
            assert np.min(np.hypot(tv[:, 0] - a, tv[:, 1] - c)) < (w / 2 + 2) * 1e-3 + 0.01


def test_transverse_cracks_and_holes_in_the_scan():
    rng = np.random.default_rng(21)
    cracks = [random_crack(rng, start_m=(0.2 + 0.35 * k, -1.5), length_m=3.0, width_mm=w, depth_mm=5,
                           crack_type="transverse") for k, w in enumerate([1, 4, 11])]  # fmt: skip
    scan, truth = synthetic_pavement(length_m=1.2, width_m=3.5, cracks=cracks, rng=22, grade_pct=3.0)
    scan["elevation"][300:320, 100:400] = np.nan  # a dropout, away from the cracks
    report = measure_cracks(detect_cracks(scan))
    assert report.summary["types"] == {"longitudinal": 0, "transverse": 3, "pattern": 0}
    for t, h in _truth_of(report, truth):
        assert h.attributes["mean_width_mm"] == pytest.approx(t.attributes["width_mm"], abs=1.0)
        assert h.attributes["length_m"] == pytest.approx(t.attributes["length_m"], rel=0.05)
        assert abs(h.attributes["orientation_deg"]) > 70


@pytest.mark.parametrize("kind", ["alligator", "block"])
def test_crack_networks_are_pattern_cracking(kind):
    rng = np.random.default_rng(31)
    area = ((0.2, 1.2), (-0.8, 0.3)) if kind == "alligator" else ((0.1, 2.4), (-1.2, 1.2))
    cracks = crack_network(rng, along_range_m=area[0], across_range_m=area[1], crack_type=kind, width_mm=4)
    length = 1.5 if kind == "alligator" else 2.5
    scan, truth = synthetic_pavement(length_m=length, width_m=3.0, cracks=cracks, rng=32)
    report = measure_cracks(detect_cracks(scan))
    assert report.summary["types"]["pattern"] == 1
    (h,) = [h for h in report.hazards if h.attributes["crack_type"] == "pattern"]
    true_length = sum(t.attributes["length_m"] for t in truth)
    assert h.attributes["length_m"] == pytest.approx(true_length, rel=0.05)
    assert h.attributes["mean_width_mm"] == pytest.approx(4.0, abs=1.0)
    assert h.attributes["max_width_mm"] == pytest.approx(4.0, abs=1.0)
    span = (area[0][1] - area[0][0]) * (area[1][1] - area[1][0])
    assert 0.8 * span < h.attributes["area_m2"] < 1.1 * span


def test_a_smooth_scan_with_a_rut_and_slope_has_no_cracks():
    from roadbed.synth import Pothole, Rut

    scan, _ = synthetic_pavement(length_m=1.0, width_m=3.5, ruts=[Rut(0.9, 0.7, 25.0), Rut(-0.9, 0.7, 15.0)],
                                 potholes=[Pothole(0.5, 0.0, 0.15, 40.0)], cross_slope_pct=3.0, grade_pct=2.0,
                                 rng=41)  # fmt: skip
    report = measure_cracks(detect_cracks(scan))
    assert report.summary["n_cracks"] == 0


def test_numpy_engine_detects_the_same_cells():
    rng = np.random.default_rng(51)
    cracks = [random_crack(rng, start_m=(0.05, -0.2), length_m=0.3, width_mm=3, depth_mm=6)]
    scan, _ = synthetic_pavement(length_m=0.4, width_m=0.5, cracks=cracks, rng=52)
    np.testing.assert_array_equal(detect_cracks(scan).values, detect_cracks(scan, engine="numpy").values)


def test_elevation_alone_and_anisotropic_grid():
    rng = np.random.default_rng(61)
    cracks = [random_crack(rng, start_m=(0.1, -0.3), length_m=0.8, width_mm=6, depth_mm=8),
              Crack(((0.5, -0.6), (0.52, 0.6)), 10.0, 8.0, "transverse")]  # fmt: skip
    scan, truth = synthetic_pavement(length_m=1.0, width_m=1.5, along_spacing_mm=2.0, cracks=cracks, rng=62)
    mask = detect_cracks(scan.drop_vars(cv.INTENSITY))
    assert mask.attrs["method"] == "elevation" and mask.attrs["along_spacing_mm"] == 2.0
    report = measure_cracks(mask)
    assert report.summary["types"] == {"longitudinal": 1, "transverse": 1, "pattern": 0}
    for t, h in _truth_of(report, truth):
        assert h.attributes["mean_width_mm"] == pytest.approx(t.attributes["width_mm"], abs=2.0)  # 2 mm cells
        assert h.attributes["length_m"] == pytest.approx(t.attributes["length_m"], rel=0.05)


def test_photo_path_and_bad_inputs():
    g = np.random.default_rng(71)
    photo = 0.6 + 0.05 * g.standard_normal((160, 240)).astype(np.float32)
    photo[80:83, 20:220] = 0.2  # a dark line
    mask = detect_cracks(photo)
    assert mask.shape == photo.shape and mask.attrs["method"] == "intensity-model"
    assert "along_spacing_mm" not in mask.attrs
    assert mask.values[80:83, 40:200].any(axis=0).mean() > 0.9  # the line is found along its length
    assert mask.values[:60].sum() + mask.values[110:].sum() == 0  # and nothing in plain texture
    assert not detect_cracks(np.full((100, 120), 0.5)).values.any()  # flat grey, and plain noise: no cracks
    assert not detect_cracks(g.random((200, 300))).values.any()
    brief = crack_summary(photo)
    assert set(brief) == set(BRIEF_KEYS) and brief["pixel_size_mm"] is None and brief["n_cracks"] >= 1
    with pytest.raises(ValueError, match="2-D"):
        detect_cracks(np.zeros((3, 4, 5)))
    with pytest.raises(ValueError, match="dark_ratio"):
        detect_cracks(photo, dark_ratio=1.5)
    with pytest.raises(ValueError, match="elevation"):
        detect_cracks(xr.Dataset({"other": ((cv.ALONG, cv.ACROSS), photo)}))
    with pytest.raises(ValueError, match="non-finite"):
        detect_cracks(np.full((20, 20), np.nan))


# --- command line ---------------------------------------------------------------------------------


def test_cli_writes_masks_and_json(tmp_path, capsys):
    rng = np.random.default_rng(81)
    cracks = [random_crack(rng, start_m=(0.1, -0.2), length_m=0.6, width_mm=5, depth_mm=8)]
    scan, truth = synthetic_pavement(length_m=0.8, width_m=0.8, cracks=cracks, rng=82)
    save(scan, tmp_path / "lane.nc")
    g = np.random.default_rng(83)
    photo = np.clip(150 + 12 * g.standard_normal((120, 200)), 0, 255).astype(np.uint8)
    photo[60:62, 10:190] = 40
    iio.imwrite(tmp_path / "road.png", photo)
    (tmp_path / "bad.jpg").write_bytes(b"not a jpeg")
    out = tmp_path / "out"
    code = main(["cracks", str(tmp_path / "lane.nc"), str(tmp_path / "bad.jpg"), str(tmp_path / "road.png"),
                 "--out", str(out), "--json"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1 and "bad.jpg" in captured.err
    objs = json.loads(captured.out)
    assert [o["input"] for o in objs] == [str(tmp_path / "lane.nc"), str(tmp_path / "road.png")]
    for o, shape in zip(objs, [scan.elevation.shape, photo.shape], strict=True):
        assert set(o) == {"input", "mask", "n_cracks", "total_length_m", "mean_width_mm", "max_width_mm",
                          "types", "pixel_size_mm"}  # fmt: skip
        png = iio.imread(o["mask"])
        assert png.shape == shape and png.dtype == np.uint8 and set(np.unique(png)) <= {0, 255}
    lane, road = objs
    assert lane["mask"].endswith("lane_cracks.png") and lane["pixel_size_mm"] == [1.0, 1.0]
    assert lane["n_cracks"] == 1 and lane["types"]["longitudinal"] == 1
    assert lane["total_length_m"] == pytest.approx(truth[0].attributes["length_m"], rel=0.05)
    assert lane["mean_width_mm"] == pytest.approx(5.0, abs=1.0)
    assert road["pixel_size_mm"] is None and road["n_cracks"] >= 1
    assert road["total_length_m"] == pytest.approx(0.18, rel=0.15)  # 180 px counted as 180 mm

    # plain text output, and a usage error
    assert main(["cracks", str(tmp_path / "lane.nc"), "--out", str(out)]) == 0
    assert "1 cracks" in capsys.readouterr().out
    assert main(["cracks", str(tmp_path / "lane.nc")]) == 2
