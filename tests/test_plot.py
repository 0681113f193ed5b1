"""Plots: axes extents and labels follow the coordinates; figures save to PNG."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.collections import QuadMesh  # noqa: E402

import roadbed  # noqa: E402
from roadbed import conventions as cv  # noqa: E402
from roadbed.model import coord_attrs, radargram  # noqa: E402
from roadbed.plot import plot_bscan, plot_depth_slice, plot_survey_map  # noqa: E402
from roadbed.survey import open_survey  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def bscan(n_traces=40, n_samples=60, *, dt=0.2, distance=None, attrs=None):
    rng = np.random.default_rng(1)
    return radargram(
        rng.standard_normal((n_traces, n_samples)).astype(np.float32),
        twt_ns=2.0 + np.arange(n_samples) * dt,
        distance_m=distance,
        attrs=attrs,
    )


def saves_png(ax, path):
    ax.figure.savefig(path)
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_bscan_extent_labels_clip_and_png(tmp_path):
    distance = 3.0 + np.arange(40) * 0.05
    da = bscan(distance=distance, attrs={cv.ATTR_SOURCE: "/data/line7.dzt"})
    ax = plot_bscan(da, clip_percentile=95)
    assert ax.get_xlim() == pytest.approx((3.0 - 0.025, 3.0 + 39 * 0.05 + 0.025))
    # time downwards: the top of the axes is the first sample's upper edge
    assert ax.get_ylim() == pytest.approx((2.0 + 59 * 0.2 + 0.1, 2.0 - 0.1))
    assert ax.get_xlabel() == "distance along track (m)"
    assert ax.get_ylabel() == "two-way travel time (ns)"
    assert ax.get_title() == "line7.dzt"
    (image,) = ax.images
    np.testing.assert_array_equal(image.get_array(), da.values.T)  # row i is twt[i]
    limit = np.percentile(np.abs(da.values), 95)
    assert image.get_clim() == pytest.approx((-limit, limit))
    saves_png(ax, tmp_path / "bscan.png")


def test_bscan_depth_axis(tmp_path):
    ax = plot_bscan(bscan(distance=np.arange(40) * 0.1), depth_velocity_m_per_ns=0.1)
    (depth,) = ax.child_axes
    ax.figure.canvas.draw()
    top, bottom = ax.get_ylim()
    assert depth.get_ylim() == pytest.approx((0.1 * top / 2, 0.1 * bottom / 2))
    assert depth.get_ylabel().startswith("depth (m)")
    assert "0.1 m/ns" in depth.get_ylabel()
    saves_png(ax, tmp_path / "depth.png")


def test_bscan_prefers_along_and_falls_back_to_trace_index():
    da = bscan(distance=np.arange(40) * 0.1)
    positioned = da.assign_coords({cv.ALONG: (cv.TRACE, 100 + np.arange(40) * 0.1, coord_attrs(cv.ALONG))})
    ax = plot_bscan(positioned)
    assert ax.get_xlabel() == "along-track position (m)"
    assert ax.get_xlim() == pytest.approx((99.95, 103.95))

    _, ax2 = plt.subplots()
    assert plot_bscan(bscan(), ax=ax2) is ax2
    assert ax2.get_xlabel() == "trace"
    assert ax2.get_xlim() == pytest.approx((-0.5, 39.5))


def test_bscan_non_uniform_distance_uses_a_mesh():
    distance = np.cumsum(np.r_[0.0, np.linspace(0.02, 0.2, 39)])
    ax = plot_bscan(bscan(distance=distance))
    assert not ax.images
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    edges = mesh.get_coordinates()[0, :, 0]
    np.testing.assert_allclose(0.5 * (edges[1:] + edges[:-1])[1:-1], distance[1:-1], atol=0.1)
    assert ax.get_xlim() == pytest.approx((edges[0], edges[-1]))
    assert edges[0] < distance[0] < edges[1] and edges[-2] < distance[-1] < edges[-1]


def test_bscan_rejects_bad_input():
    da3 = radargram(np.zeros((2, 3, 4), np.float32), twt_ns=np.arange(4.0))
    with pytest.raises(ValueError, match="channel"):
        plot_bscan(da3)
    with pytest.raises(ValueError, match="clip_percentile"):
        plot_bscan(bscan(), clip_percentile=0)
    with pytest.raises(ValueError, match="depth_velocity"):
        plot_bscan(bscan(), depth_velocity_m_per_ns=-1)


def volume(vertical=cv.TWT):
    along = np.arange(30) * 0.1
    across = -0.5 + np.arange(8) * 0.125
    z = np.arange(20) * (0.5 if vertical == cv.TWT else 0.02)
    data = np.random.default_rng(2).standard_normal((30, 8, 20))
    return xr.DataArray(
        data,
        dims=(cv.ALONG, cv.ACROSS, vertical),
        coords={
            cv.ALONG: (cv.ALONG, along, coord_attrs(cv.ALONG)),
            cv.ACROSS: (cv.ACROSS, across, coord_attrs(cv.ACROSS)),
            vertical: (vertical, z, coord_attrs(vertical)),
        },
    )


def test_depth_slice_of_a_volume(tmp_path):
    vol = volume()
    ax = plot_depth_slice(vol, twt_ns=3.1)  # nearest sample: 3.0 ns (index 6)
    (image,) = ax.images
    np.testing.assert_array_equal(image.get_array(), vol.values[:, :, 6].T)
    assert ax.get_title() == "twt = 3 ns"
    assert ax.get_xlim() == pytest.approx((-0.05, 2.95))
    assert ax.get_ylim() == pytest.approx((-0.5625, 0.4375))
    assert ax.get_xlabel() == "along-track position (m)"
    assert ax.get_ylabel() == "across-track position (m)"
    saves_png(ax, tmp_path / "slice.png")

    dvol = volume(cv.DEPTH).transpose(cv.DEPTH, cv.ACROSS, cv.ALONG)
    ax = plot_depth_slice(dvol, depth_m=0.1)
    np.testing.assert_array_equal(ax.images[0].get_array(), dvol.values[5])  # (across, along) rows
    assert ax.get_title() == "depth = 0.1 m"


def test_depth_slice_of_an_array_radargram_sorts_channels():
    offsets = np.array([0.3, 0.0, 0.15, 0.45])  # channels not in across order
    data = np.random.default_rng(3).standard_normal((4, 25, 10)).astype(np.float32)
    da = radargram(data, twt_ns=np.arange(10) * 1.0, distance_m=np.arange(25) * 0.2, offset_m=offsets)
    ax = plot_depth_slice(da, twt_ns=4.4)
    order = np.argsort(offsets)
    np.testing.assert_array_equal(ax.images[0].get_array(), data[order, :, 4])
    assert ax.get_xlabel() == "distance along track (m)"
    assert ax.get_ylabel() == "across-track offset (m)"
    assert ax.get_ylim() == pytest.approx((-0.075, 0.525))
    assert ax.get_xlim() == pytest.approx((-0.1, 4.9))


def test_depth_slice_argument_errors():
    vol = volume()
    with pytest.raises(ValueError, match="exactly one"):
        plot_depth_slice(vol)
    with pytest.raises(ValueError, match="exactly one"):
        plot_depth_slice(vol, twt_ns=1.0, depth_m=0.1)
    with pytest.raises(ValueError, match="depth"):
        plot_depth_slice(vol, depth_m=0.1)
    with pytest.raises(ValueError, match="dims"):
        plot_depth_slice(bscan(), twt_ns=3.0)


def _survey(tmp_path, crs_line=""):
    lon = 129.0 + np.arange(11) * 1e-5
    lat = np.full(11, 35.0)
    single = radargram(
        np.zeros((11, 8), np.float32),
        twt_ns=np.arange(8.0),
        distance_m=np.arange(11) * 0.1,
        trace_coords={cv.LON: lon, cv.LAT: lat},
    )
    array = radargram(
        np.zeros((3, 21, 8), np.float32),
        twt_ns=np.arange(8.0),
        distance_m=np.arange(21) * 0.05,
        trace_coords={cv.LON: np.linspace(129.0, 129.0001, 21), cv.LAT: np.full(21, 35.00001)},
    )
    roadbed.write(single, tmp_path / "single.nc", format="netcdf")
    roadbed.write(array, tmp_path / "array.nc", format="netcdf")
    manifest = tmp_path / "s.toml"
    manifest.write_text(
        f'[survey]\nname = "Main St"\n{crs_line}\n'
        '[[line]]\npath = "single.nc"\noffset_m = 1.0\nstart_m = 0.5\n'
        '[[line]]\npath = "array.nc"\noffset_m = -0.2\nchannel_spacing_m = 0.1\n'
    )
    return open_survey(manifest)


def test_survey_map_road_frame(tmp_path):
    survey = _survey(tmp_path)
    ax = plot_survey_map(survey)
    lines = ax.get_lines()
    assert len(lines) == 1 + 3  # one track per channel
    np.testing.assert_allclose(lines[0].get_xdata(), 0.5 + np.arange(11) * 0.1)
    np.testing.assert_allclose(lines[0].get_ydata(), 1.0)
    assert [float(ln.get_ydata()[0]) for ln in lines[1:]] == pytest.approx([-0.2, -0.1, 0.0])
    assert ax.get_xlabel() == "along-track position (m)" and ax.get_ylabel() == "across-track position (m)"
    assert ax.get_title() == "Main St"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["single.nc", "array.nc"]
    along_min, along_max, across_min, across_max = survey.extent()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    assert x0 <= along_min and x1 >= along_max and y0 <= across_min and y1 >= across_max
    saves_png(ax, tmp_path / "map.png")


def test_survey_map_in_map_coordinates(tmp_path):
    survey = _survey(tmp_path, 'crs = "EPSG:32652"')
    ax = plot_survey_map(survey)
    lines = ax.get_lines()
    assert len(lines) == 2  # one track per file
    profiles = survey.profiles()
    for line, profile in zip(lines, profiles, strict=True):
        np.testing.assert_allclose(line.get_xdata(), profile.coords[cv.X].values)
        np.testing.assert_allclose(line.get_ydata(), profile.coords[cv.Y].values)
    # on the central meridian of UTM 52N the first trace has easting 500 000 m
    assert lines[0].get_xdata()[0] == pytest.approx(500000.0, abs=1e-3)
    assert ax.get_xlabel() == "map easting (m)" and ax.get_ylabel() == "map northing (m)"
    assert ax.get_title() == "Main St (EPSG:32652)"
    saves_png(ax, tmp_path / "map_xy.png")
    with pytest.raises(ValueError, match="frame"):
        plot_survey_map(survey, frame="plan")


def test_bscan_of_a_depth_section_puts_depth_downwards():
    da = roadbed.radargram(np.arange(12.0).reshape(3, 4), twt_ns=np.arange(4.0), distance_m=[0.0, 0.1, 0.2])
    section = da.rename({cv.TWT: cv.DEPTH}).assign_coords({cv.DEPTH: (cv.DEPTH, [0.0, 0.05, 0.1, 0.15],
                                                                     {"units": "m", "long_name": "depth"})})
    ax = plot_bscan(section)
    assert ax.get_ylim() == pytest.approx((0.175, -0.025))
    assert ax.get_ylabel() == "depth (m)"
    with pytest.raises(ValueError, match="in depth already"):
        plot_bscan(section, depth_velocity_m_per_ns=0.1)
    plt.close("all")
