"""Synthetic laser pavement scans and LAS export: kernels vs twins, geometry vs analytic truth."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

import roadbed
from roadbed import conventions as cv
from roadbed.synth import (
    Crack,
    Pothole,
    Rut,
    crack_network,
    mean_profile_depth,
    random_crack,
    rasterise,
    synthetic_pavement,
    write_las,
    write_pavement_las,
)

FLAT = dict(texture_mpd_mm=0.0, cross_slope_pct=0.0, grade_pct=0.0, rng=0)


# --- kernel vs numpy twin -------------------------------------------------------------
@st.composite
def grids_and_features(draw):
    n_a, n_c = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    da, dc = draw(st.floats(0.0005, 0.01)), draw(st.floats(0.0005, 0.01))
    a0, c0 = draw(st.floats(-1, 1)), draw(st.floats(-1, 1))
    along, across = a0 + da * np.arange(n_a), c0 + dc * np.arange(n_c)
    point = st.tuples(st.floats(a0 - 0.05, a0 + n_a * da + 0.05), st.floats(c0 - 0.05, c0 + n_c * dc + 0.05))
    cracks = draw(
        st.lists(
            st.builds(
                Crack,
                vertices=st.lists(point, min_size=1, max_size=5),
                width_mm=st.floats(0.2, 30.0),
                depth_mm=st.floats(0.1, 60.0),
            ),
            max_size=4,
        )
    )
    potholes = draw(
        st.lists(
            st.builds(Pothole, along_m=point.map(lambda p: p[0]), across_m=point.map(lambda p: p[1]),
                      radius_m=st.floats(0.001, 0.2), depth_mm=st.floats(0.5, 100.0)),  # fmt: skip
            max_size=3,
        )
    )
    return along, across, cracks, potholes


@given(grids_and_features())
def test_rasterise_matches_reference(case):
    along, across, cracks, potholes = case
    fast = rasterise(along, across, cracks=cracks, potholes=potholes, engine="numba")
    slow = rasterise(along, across, cracks=cracks, potholes=potholes, engine="numpy")
    for f, s in zip(fast, slow, strict=True):
        assert f.shape == s.shape == (along.size, across.size) and f.dtype == np.float32
        np.testing.assert_array_equal(f, s)


# --- cracks, potholes, ruts against their analytic shapes ---------------------------------
@pytest.mark.parametrize("width_mm", [1.0, 2.0, 3.0, 5.0, 8.0])
@pytest.mark.parametrize("centre_m", [0.0, 0.0004, -0.0137])
def test_crack_has_its_width_in_columns_and_its_depth(width_mm, centre_m):
    depth = 12.5
    crack = Crack(((0.02, centre_m), (0.28, centre_m)), width_mm=width_mm, depth_mm=depth)
    scan, truth = synthetic_pavement(length_m=0.3, width_m=0.2, cracks=(crack,), **FLAT)
    z = scan[cv.ELEVATION]
    rows = z.sel({cv.ALONG: slice(0.03, 0.27)}).values
    below = rows <= -depth + 1e-4
    counts = below.sum(axis=1)
    assert np.all(np.abs(counts - width_mm) <= 1)
    # exactly the set depth inside, untouched outside
    assert np.all(rows[below] == np.float32(-depth))
    assert np.all(rows[~below] == 0.0)
    # the slot is centred on the crack's centre line
    across = scan[cv.ACROSS].values
    centres = (below * across).sum(axis=1) / counts
    np.testing.assert_allclose(centres, centre_m, atol=0.0006)
    (hazard,) = truth
    assert hazard.kind == "crack" and hazard.geometry_type == "polyline"
    assert hazard.attributes == {"width_mm": width_mm, "depth_mm": depth, "crack_type": "longitudinal",
                                 "length_m": pytest.approx(0.26)}  # fmt: skip


def test_transverse_crack_width_in_rows_on_a_sloped_textured_road():
    crack = Crack(((0.15, -0.08), (0.15, 0.08)), width_mm=4.0, depth_mm=9.0, crack_type="transverse")
    scan, _ = synthetic_pavement(length_m=0.3, width_m=0.2, cracks=(crack,), texture_mpd_mm=0.6,
                                 cross_slope_pct=2.5, grade_pct=-1.0, rng=5)  # fmt: skip
    plain, _ = synthetic_pavement(length_m=0.3, width_m=0.2, texture_mpd_mm=0.6, cross_slope_pct=2.5,
                                  grade_pct=-1.0, rng=5)  # fmt: skip
    drop = (plain[cv.ELEVATION] - scan[cv.ELEVATION]).sel({cv.ACROSS: slice(-0.07, 0.07)}).values
    in_crack = np.isclose(drop, 9.0, atol=1e-4)
    assert np.all(np.isclose(drop, 0.0, atol=1e-4) | in_crack)  # depth measured from the local surface
    assert np.all(np.abs(in_crack.sum(axis=0) - 4) <= 1)
    # cracks are dark
    intensity = scan[cv.INTENSITY].sel({cv.ACROSS: slice(-0.07, 0.07)}).values
    assert intensity[in_crack].mean() < 0.5 * intensity[~in_crack].mean()


def test_pothole_area_depth_and_volume_match_the_bowl():
    radius, depth = 0.15, 40.0
    hole = Pothole(0.5, 0.1, radius, depth)
    scan, truth = synthetic_pavement(length_m=1.0, width_m=0.8, potholes=(hole,), **FLAT)
    z = scan[cv.ELEVATION].values.astype(np.float64)
    cell_m2 = 1e-6
    assert (z < 0).sum() * cell_m2 == pytest.approx(math.pi * radius**2, rel=0.01)
    assert -z.min() == pytest.approx(depth, rel=1e-6)
    assert -z.sum() * 1e-3 * cell_m2 == pytest.approx(math.pi * radius**2 * depth * 1e-3 / 2, rel=0.01)
    # radial profile: depth · (1 − (r/R)²)
    centre = scan[cv.ELEVATION].sel({cv.ALONG: 0.5, cv.ACROSS: slice(0.1, 0.24)}, method=None)
    r = centre[cv.ACROSS].values - 0.1
    np.testing.assert_allclose(-centre.values, depth * (1 - (r / radius) ** 2), rtol=1e-5, atol=1e-4)
    (hazard,) = truth
    assert hazard.kind == "pothole" and hazard.geometry_type == "polygon"
    assert hazard.attributes["max_depth_mm"] == depth
    assert hazard.attributes["area_m2"] == pytest.approx(math.pi * radius**2)
    assert hazard.attributes["mean_depth_mm"] == depth / 2
    x, y = np.array(hazard.vertices)[:, 0], np.array(hazard.vertices)[:, 1]
    shoelace = 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
    assert shoelace == pytest.approx(math.pi * radius**2, rel=0.005)


def straightedge_depth(profile_mm, across_m, region, length_m=1.8):
    """Deepest gap inside ``region`` under a straightedge resting on the profile (test's own truth)."""
    step = across_m[1] - across_m[0]
    n = int(round(length_m / step))
    best = 0.0
    for i0 in range(0, len(profile_mm) - n, 5):
        i1 = i0 + n
        seg = profile_mm[i0 : i1 + 1]
        line = np.linspace(seg[0], seg[-1], n + 1)
        if np.any(seg > line + 1e-6):  # the straightedge would not rest on its ends here
            continue
        inside = (across_m[i0 : i1 + 1] >= region[0]) & (across_m[i0 : i1 + 1] <= region[1])
        if inside.any():
            best = max(best, float(np.max((line - seg)[inside])))
    return best


def test_rut_depth_under_a_straightedge():
    ruts = (Rut(-0.85, 0.7, 12.0, "left"), Rut(0.9, 0.9, 22.0, "right"))
    scan, truth = synthetic_pavement(length_m=0.01, width_m=3.6, ruts=ruts, texture_mpd_mm=0.0,
                                     cross_slope_pct=2.0, grade_pct=0.0, rng=0)  # fmt: skip
    across = scan[cv.ACROSS].values
    for profile in scan[cv.ELEVATION].values.astype(np.float64):
        for rut in ruts:
            region = (rut.across_m - rut.width_m / 2, rut.across_m + rut.width_m / 2)
            assert straightedge_depth(profile, across, region) == pytest.approx(rut.depth_mm, abs=0.5)
    assert [(h.kind, h.attributes["wheel_path"], h.attributes["depth_mm"]) for h in truth] == [
        ("rut", "left", 12.0),
        ("rut", "right", 22.0),
    ]


# --- texture -------------------------------------------------------------------------------
def iso_mpd(profile, spacing_mm):
    """ISO 13473-1 by the book: 100 mm baselines, regression line removed, mean of the two half peaks."""
    n = int(round(100 / spacing_mm))
    depths = []
    for k in range(len(profile) // n):
        seg = profile[k * n : (k + 1) * n]
        x = np.arange(n) * spacing_mm
        seg = seg - np.polyval(np.polyfit(x, seg, 1), x)
        depths.append((seg[: n // 2].max() + seg[n // 2 :].max()) / 2 - seg.mean())
    return np.mean(depths)


def test_mean_profile_depth_of_a_hand_made_profile():
    n, h = 100, 3.0
    profile = np.zeros(3 * n)
    for k in range(3):
        profile[k * n + 20] = profile[k * n + 79] = h  # symmetric spikes: no slope
    # each baseline: mean 2h/n removed, so each half-peak is h − 2h/n
    assert mean_profile_depth(profile, spacing_mm=1.0) == pytest.approx(h * (1 - 2 / n))
    ramp = np.linspace(0, 50, 400)  # a pure slope has no texture
    assert mean_profile_depth(ramp, spacing_mm=0.5) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="baseline"):
        mean_profile_depth(np.zeros(50), spacing_mm=1.0)


@pytest.mark.parametrize("target", [0.4, 1.2])
def test_texture_has_the_target_mean_profile_depth(target):
    scan, _ = synthetic_pavement(length_m=0.5, width_m=0.3, texture_mpd_mm=target, cross_slope_pct=3.0,
                                 grade_pct=1.0, rng=11)  # fmt: skip
    z = scan[cv.ELEVATION].values.astype(np.float64)
    along_mpd = np.mean([iso_mpd(col, 1.0) for col in z.T])  # slopes are removed per baseline
    assert along_mpd == pytest.approx(target, rel=1e-3)
    across_mpd = np.mean([iso_mpd(row, 1.0) for row in z[::5]])
    assert across_mpd == pytest.approx(target, rel=0.15)  # isotropic texture


def test_plane_cross_slope_and_grade():
    scan, truth = synthetic_pavement(length_m=0.4, width_m=0.5, texture_mpd_mm=0.0, cross_slope_pct=-2.5,
                                     grade_pct=4.0)  # fmt: skip
    a, c = np.meshgrid(scan[cv.ALONG].values, scan[cv.ACROSS].values, indexing="ij")
    np.testing.assert_allclose(scan[cv.ELEVATION].values, 40.0 * a - 25.0 * c, atol=1e-4)
    assert truth == []


def test_scan_dataset_layout_and_determinism():
    cracks = (random_crack(3, start_m=(0.05, -0.2), length_m=0.8, width_mm=3, depth_mm=6),) + crack_network(
        4, along_range_m=(0.2, 0.6), across_range_m=(0.0, 0.3), crack_type="alligator"
    )
    a, truth = synthetic_pavement(length_m=1.0, width_m=0.8, cracks=cracks, potholes=(Pothole(0.8, -0.2, 0.1, 30),),
                                  ruts=(Rut(0.2, 0.5, 8.0),), rng=9)  # fmt: skip
    b, _ = synthetic_pavement(length_m=1.0, width_m=0.8, cracks=cracks, potholes=(Pothole(0.8, -0.2, 0.1, 30),),
                              ruts=(Rut(0.2, 0.5, 8.0),), rng=9)  # fmt: skip
    xr.testing.assert_equal(a, b)  # values and coords; attrs differ only by the history time stamp
    assert a[cv.ELEVATION].dims == (cv.ALONG, cv.ACROSS)
    assert a.sizes == {cv.ALONG: 1001, cv.ACROSS: 801}
    np.testing.assert_allclose(np.diff(a[cv.ALONG].values), 0.001)
    assert a[cv.ACROSS].values[0] == pytest.approx(-0.4) and a[cv.ACROSS].values[-1] == pytest.approx(0.4)
    assert a[cv.ALONG].attrs[cv.ATTR_UNITS] == cv.UNIT_M
    assert a[cv.ELEVATION].attrs[cv.ATTR_UNITS] == cv.UNIT_MM
    assert a[cv.ELEVATION].dtype == a[cv.INTENSITY].dtype == np.float32
    assert 0.0 <= float(a[cv.INTENSITY].min()) and float(a[cv.INTENSITY].max()) <= 1.0
    assert a.attrs[cv.ATTR_INSTRUMENT] == "roadbed.synth" and "synthetic_pavement" in roadbed.history(a)[0]
    kinds = [h.kind for h in truth]
    assert kinds.count("crack") == len(cracks) and kinds.count("pothole") == 1 and kinds.count("rut") == 1


def test_crack_patterns():
    rng = np.random.default_rng(1)
    for _ in range(20):
        crack = random_crack(rng, start_m=(0.0, 0.0), length_m=1.0, width_mm=2, depth_mm=5)
        v = np.array(crack.vertices)
        assert crack.length_m == pytest.approx(1.0)
        heading = math.degrees(math.atan2(v[-1, 1] - v[0, 1], v[-1, 0] - v[0, 0]))
        assert abs(heading) < 20  # AASHTO R85: longitudinal within ±20° of the lane
        t = random_crack(rng, start_m=(0.0, 0.0), length_m=1.0, width_mm=2, depth_mm=5, crack_type="transverse")
        v = np.array(t.vertices)
        assert abs(math.degrees(math.atan2(v[-1, 1] - v[0, 1], v[-1, 0] - v[0, 0])) - 90) < 20
    for kind, cell in (("alligator", 0.15), ("block", 1.0)):
        net = crack_network(2, along_range_m=(0.0, 3.0), across_range_m=(-1.0, 1.0), crack_type=kind)
        pts = np.concatenate([np.array(c.vertices) for c in net])
        assert pts[:, 0].min() >= -0.1 * cell and pts[:, 0].max() <= 3.0 + 0.1 * cell
        assert pts[:, 1].min() >= -1.0 - 0.1 * cell and pts[:, 1].max() <= 1.0 + 0.1 * cell
        assert {c.crack_type for c in net} == {kind}
        # lines along the road at every node row, lines (block) or every other piece (alligator) across it
        n_along, n_across = round(3.0 / cell) + 1, round(2.0 / cell) + 1
        expected = n_across * 3.0 + n_along * 2.0 * (0.5 if kind == "alligator" else 1.0)
        assert sum(c.length_m for c in net) == pytest.approx(expected, rel=0.15)


# --- LAS ----------------------------------------------------------------------------------
def test_las_round_trip_of_a_pavement_scan(tmp_path):
    laspy = pytest.importorskip("laspy")
    scan, _ = synthetic_pavement(length_m=0.1, width_m=0.05, potholes=(Pothole(0.05, 0.0, 0.02, 15),), rng=2)
    path = write_pavement_las(scan, tmp_path / "scan.las")
    las = laspy.read(path)
    assert str(las.header.version) == "1.4" and las.header.point_format.id == 6
    along, across = np.meshgrid(scan[cv.ALONG].values, scan[cv.ACROSS].values, indexing="ij")
    assert len(las.points) == along.size
    np.testing.assert_allclose(las.x, along.ravel(), atol=0.0005 + 1e-9)
    np.testing.assert_allclose(las.y, across.ravel(), atol=0.0005 + 1e-9)
    np.testing.assert_allclose(las.z, scan[cv.ELEVATION].values.ravel() / 1000, atol=0.0005 + 1e-9)
    expected = np.round(scan[cv.INTENSITY].values.ravel().astype(np.float64) * 65535)
    np.testing.assert_array_equal(np.asarray(las.intensity), expected.astype(np.uint16))


def test_las_map_coordinates_and_crs(tmp_path):
    laspy = pytest.importorskip("laspy")
    scan, _ = synthetic_pavement(length_m=0.02, width_m=0.01, rng=3)
    # driving east (heading 90°): along → +x, across (left) → +y
    path = write_pavement_las(scan, tmp_path / "map.las", origin_xy_m=(500_000.0, 5_600_000.0), heading_deg=90.0,
                              crs=25832, stride=2)  # fmt: skip
    las = laspy.read(path)
    sub = scan.isel({cv.ALONG: slice(None, None, 2), cv.ACROSS: slice(None, None, 2)})
    along, across = np.meshgrid(sub[cv.ALONG].values, sub[cv.ACROSS].values, indexing="ij")
    np.testing.assert_allclose(las.x, 500_000.0 + along.ravel(), atol=0.0006)
    np.testing.assert_allclose(las.y, 5_600_000.0 + across.ravel(), atol=0.0006)
    assert las.header.parse_crs().to_epsg() == 25832


def test_write_las_points_and_bad_input(tmp_path):
    laspy = pytest.importorskip("laspy")
    rng = np.random.default_rng(0)
    x, y, z = rng.uniform(-50, 50, (3, 1000))
    counts = rng.integers(0, 65536, 1000)
    write_las(tmp_path / "p.las", x_m=x, y_m=y, z_m=z, intensity=counts, scale_m=0.01)
    las = laspy.read(tmp_path / "p.las")
    np.testing.assert_allclose(las.x, x, atol=0.005 + 1e-9)
    np.testing.assert_allclose(las.z, z, atol=0.005 + 1e-9)
    np.testing.assert_array_equal(np.asarray(las.intensity), counts)
    with pytest.raises(ValueError, match="intensity"):
        write_las(tmp_path / "q.las", x_m=x, y_m=y, z_m=z, intensity=counts * 2.0)
    with pytest.raises(ValueError, match="same"):
        write_las(tmp_path / "q.las", x_m=x, y_m=y[:5], z_m=z)
