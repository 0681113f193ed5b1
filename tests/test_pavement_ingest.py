"""Pavement ingest: point clouds, range images, photographs; the rasteriser against its twin and the truth."""

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

import roadbed
from roadbed import conventions as cv
from roadbed.pavement import (
    fill_holes,
    fit_plane,
    detrend,
    pixel_size_mm,
    points_to_road,
    rasterise_points,
    read_photo,
    read_points,
    read_range_image,
    read_scan,
    remove_outliers,
)
from roadbed.pavement import _kernels, _reference
from roadbed.pavement.ingest import POINT
from roadbed.synth import Crack, Pothole, Rut, synthetic_pavement, write_pavement_las
from fuzzing import apply, mutations


def grid_points(scan: xr.Dataset) -> xr.Dataset:
    """Every cell of a scan as one road-local point (the test's own conversion)."""
    along, across = np.meshgrid(scan[cv.ALONG].values, scan[cv.ACROSS].values, indexing="ij")
    data = {cv.ALONG: (POINT, along.ravel()), cv.ACROSS: (POINT, across.ravel()),
            cv.ELEVATION: (POINT, scan[cv.ELEVATION].values.ravel().astype(np.float64))}  # fmt: skip
    if cv.INTENSITY in scan:
        data[cv.INTENSITY] = (POINT, scan[cv.INTENSITY].values.ravel())
    return xr.Dataset(data)


@pytest.fixture(scope="module")
def small_scan():
    scan, truth = synthetic_pavement(
        length_m=0.4, width_m=0.3, along_spacing_mm=2.0, across_spacing_mm=2.0,
        cracks=(Crack(((0.05, -0.05), (0.35, -0.04)), width_mm=6.0, depth_mm=12.0),),
        potholes=(Pothole(0.2, 0.08, 0.05, 20.0),), texture_mpd_mm=0.8, cross_slope_pct=2.0, grade_pct=1.0, rng=5,
    )  # fmt: skip
    return scan, truth


# --- kernels against their numpy twins ----------------------------------------------------------
@st.composite
def point_sets(draw):
    n_a, n_c = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    da, dc = draw(st.floats(0.001, 0.05)), draw(st.floats(0.001, 0.05))
    a0, c0 = draw(st.floats(-2, 2)), draw(st.floats(-2, 2))
    n = draw(st.integers(0, 150))
    g = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    along = a0 + g.uniform(-2, n_a + 1, n) * da
    across = c0 + g.uniform(-2, n_c + 1, n) * dc
    if n and draw(st.booleans()):  # points exactly on cell edges and centres
        along[: n // 2] = a0 + (g.integers(-1, n_a + 1, n // 2) + g.choice([-0.5, 0.0, 0.5], n // 2)) * da
    z = g.normal(0, 30, n)
    z[g.uniform(size=n) < 0.1] = np.nan
    intensity = g.uniform(0, 1, n) if draw(st.booleans()) else np.zeros(0)
    return along, across, z, intensity, a0, da, n_a, c0, dc, n_c


@given(point_sets(), st.sampled_from(sorted(_kernels.STATISTICS.values())))
def test_bin_points_matches_reference(case, statistic):
    fast = _kernels.bin_points(*case, statistic)
    slow = _reference.bin_points(*case, statistic)
    for f, s in zip(fast, slow, strict=True):
        assert f.shape == s.shape
        np.testing.assert_array_equal(f, s)


@given(st.integers(1, 15), st.integers(1, 15), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_local_median_mad_matches_reference(n_a, n_c, radius, stride, seed):
    g = np.random.default_rng(seed)
    grid = g.normal(0, 5, (n_a, n_c)).round(1)  # ties and repeated values
    grid[g.uniform(size=grid.shape) < 0.3] = np.nan
    stride = min(stride, radius)
    fast = _kernels.local_median_mad(grid, radius, stride)
    slow = _reference.local_median_mad(grid, radius, stride)
    for f, s in zip(fast, slow, strict=True):
        np.testing.assert_allclose(f, s, rtol=0, atol=1e-12, equal_nan=True)


# --- rasterising: the grid comes back --------------------------------------------------------------
def test_grid_points_rasterise_back_onto_the_same_cells(small_scan):
    scan, _ = small_scan
    back = rasterise_points(grid_points(scan), resolution_mm=2.0, outlier_k=None, fill_max_cells=0)
    np.testing.assert_allclose(back[cv.ALONG].values, scan[cv.ALONG].values, atol=1e-12)
    np.testing.assert_allclose(back[cv.ACROSS].values, scan[cv.ACROSS].values, atol=1e-12)
    np.testing.assert_array_equal(back[cv.ELEVATION].values, scan[cv.ELEVATION].values)
    np.testing.assert_array_equal(back[cv.INTENSITY].values, scan[cv.INTENSITY].values)
    assert (back["count"].values == 1).all()
    assert pixel_size_mm(back) == pytest.approx((2.0, 2.0))
    assert "rasterise_points" in roadbed.history(back)[-1]


@pytest.mark.parametrize("statistic", ["lowest", "mean", "max"])
def test_cell_statistics(statistic):
    # three points per cell at known heights, scattered within the cell
    g = np.random.default_rng(1)
    centres_a, centres_c = np.meshgrid(np.arange(5) * 0.01, np.arange(4) * 0.01, indexing="ij")
    heights = g.normal(0, 10, (3, *centres_a.shape))
    along = np.concatenate([centres_a.ravel() + g.uniform(-0.0049, 0.0049, centres_a.size) for _ in range(3)])
    across = np.concatenate([centres_c.ravel() + g.uniform(-0.0049, 0.0049, centres_c.size) for _ in range(3)])
    points = xr.Dataset({cv.ALONG: (POINT, along), cv.ACROSS: (POINT, across),
                         cv.ELEVATION: (POINT, heights.reshape(3, -1).ravel())})  # fmt: skip
    grid = rasterise_points(points, resolution_mm=10.0, statistic=statistic, outlier_k=None, fill_max_cells=0)
    expected = {"lowest": heights.min(axis=0), "mean": heights.mean(axis=0), "max": heights.max(axis=0)}[statistic]
    np.testing.assert_allclose(grid[cv.ELEVATION].values, expected.astype(np.float32), rtol=1e-6)
    assert cv.INTENSITY not in grid and (grid["count"].values == 3).all()


def test_rasterise_rejects_bad_options(small_scan):
    points = grid_points(small_scan[0])
    with pytest.raises(ValueError, match="statistic"):
        rasterise_points(points, statistic="median")
    with pytest.raises(ValueError, match="resolution_mm"):
        rasterise_points(points, resolution_mm=(1.0, math.nan))
    with pytest.raises(ValueError, match="larger than"):
        rasterise_points(points, resolution_mm=0.01, along_range_m=(0.0, 1000.0))
    with pytest.raises(ValueError, match="along"):
        rasterise_points(points.drop_vars(cv.ALONG))


def test_outliers_go_cracks_and_potholes_stay(small_scan):
    scan, _ = small_scan
    g = np.random.default_rng(2)
    z = scan[cv.ELEVATION].values.copy()
    # spikes away from the crack and the pothole (a pit touching a crack is part of it)
    distress = ndimage.binary_dilation(z < np.percentile(z, 2), iterations=8)
    free = np.argwhere(~distress[3:-3, 3:-3]) + 3
    spikes = [tuple(map(int, free[k])) for k in g.choice(len(free), 25, replace=False)]
    for k, (i, j) in enumerate(spikes):
        z[i, j] += 150.0 if k % 2 else -90.0  # single-cell spikes and pits (dust, dropouts)
    z[10, 10:12] += 200.0  # a two-cell spike
    noisy = scan.copy()
    noisy[cv.ELEVATION] = ((cv.ALONG, cv.ACROSS), z)
    cleaned = remove_outliers(noisy)
    gone = np.isnan(cleaned[cv.ELEVATION].values)
    assert all(gone[i, j] for i, j in spikes) and gone[10, 10] and gone[10, 11]
    assert gone.sum() == len(set(spikes)) + 2 == cleaned.attrs["n_outliers"]
    # the crack (6 mm wide, 12 mm deep) and the pothole are intact
    assert not (gone & distress).any()
    filled = fill_holes(cleaned)
    np.testing.assert_allclose(filled[cv.ELEVATION].values, scan[cv.ELEVATION].values, atol=3.0)


def test_fill_holes_fills_small_patches_only(small_scan):
    scan, _ = small_scan
    z = scan[cv.ELEVATION].values.copy()
    z[20:23, 30:33] = np.nan  # 9 cells
    z[50, 60] = np.nan
    z[80:120, 40:80] = np.nan  # 1600 cells: an occlusion, not a hole
    holed = scan.copy()
    holed[cv.ELEVATION] = ((cv.ALONG, cv.ACROSS), z)
    filled = fill_holes(holed, max_cells=16)
    out = filled[cv.ELEVATION].values
    assert np.isfinite(out[20:23, 30:33]).all() and np.isfinite(out[50, 60])
    assert np.isnan(out[80:120, 40:80]).all()
    assert filled.attrs["n_filled"] == 10
    # nearest-cell values: each filled cell takes a value of a neighbour within the patch's reach
    assert out[50, 60] in {z[49, 60], z[51, 60], z[50, 59], z[50, 61]}
    with pytest.raises(ValueError):
        fill_holes(holed, max_cells=-1)


# --- LAS ---------------------------------------------------------------------------------------------------
def test_las_in_map_coordinates_comes_back_to_the_road_grid(small_scan, tmp_path):
    pytest.importorskip("laspy")
    scan, _ = small_scan
    path = write_pavement_las(scan, tmp_path / "map.las", origin_xy_m=(323_000.0, 4_160_000.0), heading_deg=30.0,
                              crs=32652)  # fmt: skip
    points = read_points(path)
    assert points.attrs[cv.ATTR_FORMAT] == "las" and "32652" in points.attrs[cv.ATTR_CRS]
    road = points_to_road(points, origin_xy_m=(323_000.0, 4_160_000.0), heading_deg=30.0)
    along, across = np.meshgrid(scan[cv.ALONG].values, scan[cv.ACROSS].values, indexing="ij")
    # x, y are stored at 1 mm: the inverse transform is good to √2 · 0.5 mm
    np.testing.assert_allclose(road[cv.ALONG].values, along.ravel(), atol=0.00071)
    np.testing.assert_allclose(road[cv.ACROSS].values, across.ravel(), atol=0.00071)
    back = read_scan(path, resolution_mm=2.0, origin_xy_m=(323_000.0, 4_160_000.0), heading_deg=30.0)
    np.testing.assert_allclose(back[cv.ALONG].values, scan[cv.ALONG].values, atol=1e-9)
    np.testing.assert_allclose(back[cv.ACROSS].values, scan[cv.ACROSS].values, atol=1e-9)
    assert (back["count"].values == 1).all()  # every point found its own cell
    np.testing.assert_allclose(back[cv.ELEVATION].values, scan[cv.ELEVATION].values, atol=0.5 + 1e-3)  # z at 1 mm
    np.testing.assert_allclose(back[cv.INTENSITY].values, scan[cv.INTENSITY].values, atol=1 / 65535)


def test_road_local_las_and_default_resolution(small_scan, tmp_path):
    pytest.importorskip("laspy")
    scan, _ = small_scan
    path = write_pavement_las(scan, tmp_path / "local.las")
    back = read_scan(path)  # about one point per cell: 2 mm
    assert pixel_size_mm(back) == pytest.approx((2.0, 2.0))
    np.testing.assert_allclose(back[cv.ELEVATION].values, scan[cv.ELEVATION].values, atol=0.5 + 1e-3)


def test_las_damage_is_a_format_error(small_scan, tmp_path):
    pytest.importorskip("laspy")
    path = write_pavement_las(small_scan[0], tmp_path / "a.las", stride=4)
    data = path.read_bytes()
    (tmp_path / "short.las").write_bytes(data[:-100])
    with pytest.raises(roadbed.FormatError, match="point_count"):
        read_points(tmp_path / "short.las")
    (tmp_path / "head.las").write_bytes(data[:200])
    with pytest.raises(roadbed.FormatError):
        read_points(tmp_path / "head.las")


@given(mutations(size=6000, header_size=400))
def test_mutated_las_reads_or_raises_format_error(tmp_path_factory, small_scan, edits):
    pytest.importorskip("laspy")
    folder = tmp_path_factory.mktemp("las")
    clean = write_pavement_las(small_scan[0], folder / "clean.las", stride=8)
    bad = folder / "bad.las"
    bad.write_bytes(apply(clean.read_bytes(), edits))
    try:
        scan = read_scan(bad)
    except roadbed.FormatError:
        return
    assert scan[cv.ELEVATION].ndim == 2


# --- XYZ, PLY, PCD --------------------------------------------------------------------------------------------
def test_xyz_text(tmp_path):
    g = np.random.default_rng(3)
    xyz = g.uniform(0, 1, (50, 3))
    counts = g.integers(0, 65536, 50)
    rows = "\n".join(f"{x:.6f}, {y:.6f}, {z:.6f}, {c}" for (x, y, z), c in zip(xyz, counts, strict=True))
    path = tmp_path / "p.xyz"
    path.write_text("# x y z intensity\n" + rows + "\n\n")
    points = read_points(path)
    np.testing.assert_allclose(points[cv.X].values, xyz[:, 0], atol=1e-6)
    np.testing.assert_allclose(points[cv.ELEVATION].values, xyz[:, 2] * 1e3, atol=1e-3)
    np.testing.assert_allclose(points[cv.INTENSITY].values, counts / 65535, rtol=1e-6)
    plain = tmp_path / "q.txt"
    plain.write_text("\n".join(f"{x} {y} {z}" for x, y, z in xyz))
    assert cv.INTENSITY not in read_points(plain) and read_points(plain).sizes[POINT] == 50


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("1 2\n3 4\n", "line 1"),
        ("1 2 3\n4 5\n", "line 2"),
        ("1 2 3\n4 five 6\n", "values"),
        ("1 2 3\n4 nan 6\n", "line 2"),
        ("1 2 3 70000\n", "intensity"),
        ("# nothing\n", "points"),
        ("", "points"),
    ],
)
def test_bad_xyz_is_a_format_error(tmp_path, text, field):
    path = tmp_path / "bad.xyz"
    path.write_text(text)
    with pytest.raises(roadbed.FormatError, match=field):
        read_points(path)


def _ply(points: np.ndarray, *, binary: bool) -> bytes:
    header = (f"ply\nformat {'binary_little_endian' if binary else 'ascii'} 1.0\nelement vertex {len(points)}\n"
              "property double x\nproperty double y\nproperty double z\n"
              "property float intensity\nend_header\n")  # fmt: skip
    if binary:
        rec = np.zeros(len(points), dtype=[("x", "<f8"), ("y", "<f8"), ("z", "<f8"), ("i", "<f4")])
        rec["x"], rec["y"], rec["z"], rec["i"] = points.T
        return header.encode() + rec.tobytes()
    return (header + "".join(f"{x} {y} {z} {i}\n" for x, y, z, i in points)).encode()


def _pcd(points: np.ndarray, *, binary: bool) -> bytes:
    header = (f"# .PCD v0.7\nVERSION 0.7\nFIELDS x y z intensity\nSIZE 4 4 4 4\nTYPE F F F F\nCOUNT 1 1 1 1\n"
              f"WIDTH {len(points)}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS {len(points)}\n"
              f"DATA {'binary' if binary else 'ascii'}\n")  # fmt: skip
    if binary:
        return header.encode() + points.astype("<f4").tobytes()
    return (header + "".join(f"{x} {y} {z} {i}\n" for x, y, z, i in points)).encode()


CLOUD = np.column_stack([np.random.default_rng(4).uniform(0, 2, (40, 3)), np.linspace(0, 1, 40)])


@pytest.mark.parametrize("kind", ["ply", "pcd"])
@pytest.mark.parametrize("binary", [True, False])
def test_ply_pcd_damage_is_a_format_error_before_open3d(tmp_path, kind, binary):
    data = (_ply if kind == "ply" else _pcd)(CLOUD, binary=binary)
    for cut, field in ((len(data) - 7, "file size|data line"), (len(data) // 2, "file size|data line"),
                       (30, "header|DATA")):  # fmt: skip
        path = tmp_path / f"cut{cut}.{kind}"
        path.write_bytes(data[:cut])
        with pytest.raises(roadbed.FormatError, match=field):
            read_points(path)
    path = tmp_path / f"inflated.{kind}"
    count = "element vertex 40" if kind == "ply" else "POINTS 40"
    path.write_bytes(data.replace(count.encode(), count.replace("40", "4000000000").encode()))
    with pytest.raises(roadbed.FormatError):
        read_points(path)


@pytest.mark.parametrize("kind", ["ply", "pcd"])
@pytest.mark.parametrize("binary", [True, False])
def test_ply_pcd_read_with_open3d(tmp_path, kind, binary):
    pytest.importorskip("open3d")
    path = tmp_path / f"cloud.{kind}"
    path.write_bytes((_ply if kind == "ply" else _pcd)(CLOUD, binary=binary))
    points = read_points(path)
    tol = 1e-6 if kind == "ply" else 1e-6 * 2  # PCD here is float32
    np.testing.assert_allclose(points[cv.X].values, CLOUD[:, 0], atol=tol)
    np.testing.assert_allclose(points[cv.ELEVATION].values, CLOUD[:, 2] * 1e3, atol=tol * 1e3)
    np.testing.assert_allclose(points[cv.INTENSITY].values, CLOUD[:, 3], atol=1e-6)


def test_ply_without_open3d_names_the_extra(tmp_path, monkeypatch):
    import builtins

    path = tmp_path / "cloud.ply"
    path.write_bytes(_ply(CLOUD, binary=True))
    real_import = builtins.__import__

    def no_open3d(name, *args, **kwargs):
        if name == "open3d" or name.startswith("open3d."):
            raise ImportError("No module named 'open3d'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_open3d)
    with pytest.raises(ImportError, match=r"roadbed\[pointcloud\]"):
        read_points(path)


# --- range images and photographs ------------------------------------------------------------------------------------
def _write_range_image(folder, scan, *, name="scan", ext="png", mm_per_count=0.01, pixel=None, intensity=True):
    z = scan[cv.ELEVATION].values.astype(np.float64)
    offset = float(np.floor(z.min())) - 1.0
    counts = np.round((z - offset) / mm_per_count).astype(np.uint16)
    path = folder / f"{name}.{ext}"
    iio.imwrite(path, counts)
    meta = {"pixel_size_mm": pixel if pixel is not None else 2.0, "elevation_mm_per_count": mm_per_count,
            "elevation_offset_mm": offset, "along_start_m": float(scan[cv.ALONG].values[0])}  # fmt: skip
    if intensity:
        iio.imwrite(folder / f"{name}_i.png", np.round(scan[cv.INTENSITY].values * 255).astype(np.uint8))
        meta["intensity"] = f"{name}_i.png"
    (folder / f"{name}.json").write_text(json.dumps(meta))
    return path, meta


@pytest.mark.parametrize("ext", ["png", "tif"])
def test_range_image_round_trip(small_scan, tmp_path, ext):
    scan, _ = small_scan
    path, meta = _write_range_image(tmp_path, scan, ext=ext, pixel=[2.0, 2.0])
    back = read_range_image(path)
    assert back.attrs[cv.ATTR_FORMAT] == "range_image" and pixel_size_mm(back) == (2.0, 2.0)
    np.testing.assert_allclose(back[cv.ALONG].values, scan[cv.ALONG].values, atol=1e-9)
    np.testing.assert_allclose(back[cv.ACROSS].values, scan[cv.ACROSS].values, atol=1e-9)
    np.testing.assert_allclose(back[cv.ELEVATION].values, scan[cv.ELEVATION].values, atol=0.005 + 1e-4)
    np.testing.assert_allclose(back[cv.INTENSITY].values, scan[cv.INTENSITY].values, atol=0.5 / 255 + 1e-6)
    assert read_scan(path)[cv.ELEVATION].shape == scan[cv.ELEVATION].shape  # the side-car makes it a range image


def test_range_image_anisotropic_pixels_and_nodata(small_scan, tmp_path):
    scan, _ = small_scan
    path, meta = _write_range_image(tmp_path, scan, pixel=[5.0, 1.0], intensity=False)
    counts = iio.imread(path)
    counts[3, 4] = 0
    iio.imwrite(path, counts)
    meta["nodata_count"] = 0
    meta["across_start_m"] = -1.0
    (tmp_path / "scan.json").write_text(json.dumps(meta))
    back = read_range_image(path)
    assert pixel_size_mm(back) == (5.0, 1.0) and cv.INTENSITY not in back
    assert np.isnan(back[cv.ELEVATION].values[3, 4]) and np.isfinite(back[cv.ELEVATION].values).sum() == counts.size - 1
    assert back[cv.ACROSS].values[0] == -1.0 and back[cv.ACROSS].values[1] == pytest.approx(-0.999)
    assert back[cv.ALONG].values[1] - back[cv.ALONG].values[0] == pytest.approx(0.005)


def _valid_sidecar(meta) -> bool:
    """The test's own statement of what a side-car must hold."""
    def number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

    size = meta.get("pixel_size_mm")
    sizes = size if isinstance(size, list) else [size]
    if not (1 <= len(sizes) <= 2 and all(number(v) and v > 0 for v in sizes)):
        return False
    if not (number(meta.get("elevation_mm_per_count")) and meta["elevation_mm_per_count"] != 0):
        return False
    return all(number(meta[k]) for k in ("elevation_offset_mm", "nodata_count", "along_start_m", "across_start_m")
               if k in meta)  # fmt: skip


values = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-3, 3), st.booleans(),
                   st.text(max_size=3), st.none(), st.lists(st.floats(-5, 5), max_size=3))  # fmt: skip


@given(st.dictionaries(st.sampled_from(["pixel_size_mm", "elevation_mm_per_count", "elevation_offset_mm",
                                        "nodata_count", "along_start_m", "across_start_m"]), values))  # fmt: skip
def test_sidecar_fuzz_reads_exactly_when_valid(tmp_path_factory, meta):
    folder = tmp_path_factory.mktemp("side")
    iio.imwrite(folder / "r.png", np.arange(12, dtype=np.uint16).reshape(3, 4) * 1000)
    (folder / "r.json").write_text(json.dumps(meta))
    if _valid_sidecar(meta):
        scan = read_range_image(folder / "r.png")
        assert scan[cv.ELEVATION].shape == (3, 4)
    else:
        with pytest.raises(roadbed.FormatError) as info:
            read_range_image(folder / "r.png")
        assert "r.json" in str(info.value)


@pytest.mark.parametrize(
    ("sidecar", "field"),
    [
        ({"elevation_mm_per_count": 0.01}, "pixel_size_mm"),
        ({"pixel_size_mm": 1.0}, "elevation_mm_per_count"),
        ('{"pixel_size_mm": NaN, "elevation_mm_per_count": 0.01}', "pixel_size_mm"),
        ({"pixel_size_mm": [1.0, 2.0, 3.0], "elevation_mm_per_count": 0.01}, "pixel_size_mm"),
        ({"pixel_size_mm": 1.0, "elevation_mm_per_count": 0}, "elevation_mm_per_count"),
        ({"pixel_size_mm": 1.0, "elevation_mm_per_count": 0.01, "intensity": "missing.png"}, "intensity"),
        ({"pixel_size_mm": 1.0, "elevation_mm_per_count": 0.01, "intensity": "../x.png"}, "intensity"),
        ({"pixel_size_mm": 1.0, "elevation_mm_per_count": 0.01, "intensity": "small.png"}, "image size"),
        ("[1, 2]", "JSON"),
        ("{not json", "JSON"),
        (None, "side-car"),
    ],
)
def test_bad_range_images_are_format_errors(tmp_path, sidecar, field):
    iio.imwrite(tmp_path / "r.png", np.ones((6, 5), dtype=np.uint16))
    iio.imwrite(tmp_path / "small.png", np.ones((5, 5), dtype=np.uint8))
    if sidecar is not None:
        (tmp_path / "r.json").write_text(sidecar if isinstance(sidecar, str) else json.dumps(sidecar))
    with pytest.raises(roadbed.FormatError, match=field):
        read_range_image(tmp_path / "r.png")


@given(mutations(size=400, header_size=100))
def test_mutated_range_image_reads_or_raises_format_error(tmp_path_factory, edits):
    folder = tmp_path_factory.mktemp("png")
    clean = folder / "clean.png"
    iio.imwrite(clean, (np.arange(30 * 20, dtype=np.uint16).reshape(30, 20) * 97) % 65535)
    bad = folder / "r.png"
    bad.write_bytes(apply(clean.read_bytes(), edits))
    (folder / "r.json").write_text(json.dumps({"pixel_size_mm": 1.0, "elevation_mm_per_count": 0.01}))
    try:
        scan = read_range_image(bad)
    except roadbed.FormatError:
        return
    assert scan[cv.ELEVATION].ndim == 2


def test_truncated_images_are_format_errors(tmp_path, small_scan):
    for ext in ("png", "tif"):
        path, _ = _write_range_image(tmp_path, small_scan[0], name=f"t{ext}", ext=ext, intensity=False)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        with pytest.raises(roadbed.FormatError, match="image"):
            read_range_image(path)
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(roadbed.FormatError, match="file size"):
        read_scan(tmp_path / "empty.png")
    (tmp_path / "junk.bin").write_bytes(b"\x00\x01junkjunk")
    with pytest.raises(roadbed.FormatError, match="content"):
        read_scan(tmp_path / "junk.bin")


def test_photographs_are_intensity_only_with_unknown_pixel_size(tmp_path):
    g = np.random.default_rng(6)
    gray = g.integers(0, 256, (32, 48), dtype=np.uint8)
    iio.imwrite(tmp_path / "grey.png", gray)
    iio.imwrite(tmp_path / "rgb.png", np.stack([gray] * 3, axis=-1))  # grey in colour: the same intensities
    iio.imwrite(tmp_path / "photo.jpg", np.stack([gray] * 3, axis=-1), quality=95)
    for name, tol in (("grey.png", 1e-7), ("rgb.png", 1e-6), ("photo.jpg", 0.1)):
        scan = read_scan(tmp_path / name)
        assert scan.attrs[cv.ATTR_FORMAT] == "photo" and cv.ELEVATION not in scan
        assert pixel_size_mm(scan) is None and scan[cv.ALONG].attrs[cv.ATTR_UNITS] == cv.UNIT_COUNTS
        assert scan[cv.INTENSITY].shape == (32, 48)
        np.testing.assert_allclose(scan[cv.INTENSITY].values, gray / 255.0, atol=tol)
    np.testing.assert_array_equal(read_photo(tmp_path / "grey.png")[cv.ACROSS].values, np.arange(48))


# --- detrending -------------------------------------------------------------------------------------------------------
def test_plane_fit_recovers_cross_slope_and_grade_despite_distresses():
    scan, _ = synthetic_pavement(
        length_m=2.0, width_m=3.5, along_spacing_mm=10.0, across_spacing_mm=5.0,
        ruts=(Rut(0.875, 0.7, 15.0), Rut(-0.875, 0.8, 25.0)), potholes=(Pothole(1.0, 0.2, 0.25, 50.0),),
        texture_mpd_mm=0.8, cross_slope_pct=-2.5, grade_pct=1.2, rng=7,
    )  # fmt: skip
    plane = fit_plane(scan)
    assert plane["cross_slope_pct"] == pytest.approx(-2.5, abs=0.02)
    assert plane["grade_pct"] == pytest.approx(1.2, abs=0.02)
    flat = detrend(scan)
    # away from the ruts and the pothole the surface is level texture
    sound = flat[cv.ELEVATION].sel({cv.ACROSS: slice(-0.3, 0.1)}).isel({cv.ALONG: slice(0, 60)})
    assert float(np.median(sound.values)) == pytest.approx(0.0, abs=0.2)
    assert flat.attrs["fitted_cross_slope_pct"] == plane["cross_slope_pct"]


def test_profile_detrend_follows_a_vertical_curve():
    scan, _ = synthetic_pavement(length_m=20.0, width_m=1.0, along_spacing_mm=20.0, across_spacing_mm=20.0,
                                 texture_mpd_mm=0.5, cross_slope_pct=2.0, grade_pct=0.0, rng=8)  # fmt: skip
    along = scan[cv.ALONG].values
    curved = scan.copy()
    curved[cv.ELEVATION] = scan[cv.ELEVATION] + xr.DataArray(40.0 * ((along - 10.0) / 10.0) ** 2, dims=cv.ALONG)
    plane_only = detrend(curved, method="plane")[cv.ELEVATION]
    profile = detrend(curved, method="profile", profile_window_m=2.0)[cv.ELEVATION]
    assert float(np.abs(plane_only.median(cv.ACROSS)).max()) > 5.0
    assert float(np.abs(profile.median(cv.ACROSS)).max()) < 0.5


def test_ransac_plane_where_open3d_is_installed():
    pytest.importorskip("open3d")
    scan, _ = synthetic_pavement(length_m=1.0, width_m=1.0, along_spacing_mm=5.0, across_spacing_mm=5.0,
                                 potholes=(Pothole(0.5, 0.0, 0.2, 40.0),), cross_slope_pct=3.0, grade_pct=-1.0,
                                 rng=9)  # fmt: skip
    plane = fit_plane(scan, method="ransac")
    assert plane["cross_slope_pct"] == pytest.approx(3.0, abs=0.05)
    assert plane["grade_pct"] == pytest.approx(-1.0, abs=0.05)
