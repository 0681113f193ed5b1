"""Gridding survey profiles into volumes: kernels against their numpy twins, the sample survey, slices."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial import Delaunay

import roadbed
from roadbed import conventions as cv
from roadbed.gpr import _grid_kernels, _grid_reference, grid
from roadbed.model import history, radargram
from roadbed.synth.sample import SAMPLE
from roadbed.synth.sample import road_to_map as sample_road_to_map

SAMPLE_DATA = Path(__file__).resolve().parent.parent / "sample_data"


@pytest.fixture(scope="module")
def survey():
    return roadbed.open_survey(SAMPLE_DATA / "survey.toml")


@pytest.fixture(scope="module")
def sample_volume(survey):
    return grid.grid_survey(survey, along_step_m=SAMPLE["trace_spacing_m"], across_step_m=SAMPLE["channel_spacing_m"])


def line_profile(data, *, along, across, twt=None, x=None, y=None, attrs=None):
    """A positioned single-channel profile, dims (trace, twt)."""
    data = np.asarray(data, np.float32)
    twt = np.arange(data.shape[1]) * 0.5 if twt is None else twt
    coords = {"along": np.asarray(along, float), "across": np.broadcast_to(float(across), len(along)).copy()}
    if x is not None:
        coords.update(x=np.asarray(x, float), y=np.asarray(y, float))
    da = radargram(data, twt_ns=twt, distance_m=np.asarray(along, float) - along[0], attrs=attrs)
    return da.assign_coords({k: (cv.TRACE, v) for k, v in coords.items()})


# --- kernels against their numpy twins --------------------------------------------------------------


@st.composite
def scattered(draw, max_traces=40):
    n = draw(st.integers(0, max_traces))
    n_samples = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shape = (draw(st.integers(1, 7)), draw(st.integers(1, 7)))
    # positions on a coarse lattice (coincident traces, cells on edges) or anywhere
    if draw(st.booleans()):
        along = rng.integers(-2, 2 * shape[0] + 2, n) * 0.5
        across = rng.integers(-2, 2 * shape[1] + 2, n) * 0.5
    else:
        along = rng.uniform(-1.0, shape[0] + 1.0, n)
        across = rng.uniform(-1.0, shape[1] + 1.0, n)
    data = rng.standard_normal((n, n_samples)).astype(np.float32)
    return data, along, across, shape


@given(scattered())
def test_bin_kernel_equals_numpy_twin_bit_for_bit(case):
    data, along, across, shape = case
    rows = np.floor(along + 0.5).astype(np.int64)
    cols = np.floor(across + 0.5).astype(np.int64)  # some outside the grid on purpose
    out = []
    for impl in (_grid_kernels, _grid_reference):
        sums = np.zeros((*shape, data.shape[1]), np.float32)
        counts = np.zeros(shape, np.int64)
        impl.bin_accumulate(data, rows, cols, sums, counts)
        out.append((sums, counts))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])
    inside = (rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])
    assert out[0][1].sum() == inside.sum()


@given(scattered(), st.floats(0.3, 3.0), st.sampled_from([1.0, 2.0, 3.0]))
def test_idw_kernel_equals_numpy_twin(case, radius_m, power):
    data, along, across, shape = case
    axes = (np.arange(shape[0]) * 1.0, np.arange(shape[1]) * 0.5)
    runs = [grid.grid_array(data, along, across * 0.5, *axes, method="idw", max_gap_m=radius_m, power=power,
                            engine=engine)[0] for engine in ("numba", "numpy")]
    np.testing.assert_allclose(runs[0], runs[1], rtol=2e-5, atol=2e-5)
    np.testing.assert_array_equal(np.isnan(runs[0]), np.isnan(runs[1]))


@given(scattered())
def test_triangle_rasterizing_kernel_equals_numpy_twin(case):
    _, along, across, shape = case
    points = np.unique(np.column_stack([along, across]), axis=0)
    if points.shape[0] < 3 or np.linalg.matrix_rank(points - points.mean(axis=0)) < 2:
        return
    simplices = Delaunay(points).simplices.astype(np.int64)
    out = []
    for impl in (_grid_kernels, _grid_reference):
        index = np.full((*shape, 3), -1, np.int64)
        weights = np.zeros((*shape, 3))
        impl.rasterize_triangles(points, simplices, 0.0, 1.0, 0.0, 1.0, index, weights)
        out.append((index, weights))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=0, atol=1e-12)


@given(st.integers(1, 30), st.integers(1, 20), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_gather_kernel_equals_numpy_twin(n, m, n_samples, seed):
    rng = np.random.default_rng(seed)
    data = rng.standard_normal((n, n_samples)).astype(np.float32)
    index = rng.integers(0, n, (m, 3))
    index[rng.random(m) < 0.3, 0] = -1  # rows without data
    weights = rng.uniform(-1, 1, (m, 3))
    out = [np.empty((m, n_samples), np.float32) for _ in range(2)]
    _grid_kernels.gather_weighted(data, index, weights, out[0])
    _grid_reference.gather_weighted(data, index, weights, out[1])
    np.testing.assert_allclose(out[0], out[1], rtol=1e-6, atol=1e-6)
    assert np.isnan(out[0][index[:, 0] < 0]).all()


@given(scattered(), st.sampled_from(grid.METHODS))
def test_grid_array_engines_agree(case, method):
    data, along, across, shape = case
    axes = (np.arange(shape[0]) * 1.0, np.arange(shape[1]) * 1.0)
    (a, ca), (b, cb) = (grid.grid_array(data, along, across, *axes, method=method, max_gap_m=1.5, engine=e)
                        for e in ("numba", "numpy"))
    np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5)
    np.testing.assert_array_equal(ca, cb)


# --- the sample survey ----------------------------------------------------------------------------------


def test_sample_volume_has_the_survey_extent_and_one_trace_per_cell(survey, sample_volume):
    along_min, along_max, across_min, across_max = survey.extent()
    v = sample_volume
    assert v.dims == (cv.ALONG, cv.ACROSS, cv.TWT)
    assert v.dtype == np.float32
    assert v[cv.ALONG].values[0] == along_min and v[cv.ALONG].values[-1] == pytest.approx(along_max, abs=1e-9)
    assert v[cv.ACROSS].values[0] == across_min and v[cv.ACROSS].values[-1] == pytest.approx(across_max, abs=1e-9)
    assert v.sizes[cv.ALONG] == SAMPLE["n_traces"]
    assert v.sizes[cv.ACROSS] == 2 * SAMPLE["n_channels"]  # the two passes side by side
    assert v[cv.ALONG].attrs["units"] == "m" and v[cv.ACROSS].attrs["units"] == "m"
    assert (v[grid.COUNT].values == 1).all()
    np.testing.assert_array_equal(v[cv.TWT].values, survey.profiles()[0][cv.TWT].values)
    assert "grid_survey(" in history(v)[-1]
    assert any("pass2.dzt" in line for line in history(v))


def test_each_cell_equals_the_nearest_trace_of_its_profile(survey, sample_volume):
    expected = np.full(sample_volume.shape, np.nan, np.float32)
    step_a, step_c = SAMPLE["trace_spacing_m"], SAMPLE["channel_spacing_m"]
    across0 = survey.extent()[2]
    for profile in survey.profiles():
        values = profile.values
        for c, across in enumerate(profile[cv.ACROSS].values):
            j = int(round((across - across0) / step_c))
            for t, along in enumerate(profile[cv.ALONG].values):
                expected[int(round(along / step_a)), j] = values[c, t]
    np.testing.assert_array_equal(sample_volume.values, expected)
    # and a single point, looked up by position in the reversed pass
    pass2 = survey.profiles()[1]
    trace = pass2.sel(channel=int(np.argmin(np.abs(pass2[cv.ACROSS].values - 0.15))))
    trace = trace.isel(trace=int(np.argmin(np.abs(trace[cv.ALONG].values - 6.0))))
    cell = sample_volume.sel(along=6.0, across=0.15, method="nearest")
    np.testing.assert_array_equal(cell.values, trace.values)


def _gnss_rows(name):
    with open(SAMPLE_DATA / f"{name}_gnss.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return np.array([[float(r["trace"]), float(r["x"]), float(r["y"])] for r in rows])


def test_map_coordinates_reproduce_the_gnss_positions_to_a_millimetre(sample_volume):
    v = sample_volume
    assert v[cv.X].dims == (cv.ALONG, cv.ACROSS) and v[cv.X].attrs["units"] == "m"
    assert v.attrs[grid.ATTR_MAP_FIT] == "affine"
    assert v.attrs[grid.ATTR_MAP_FIT_RMS] < 1e-3 and v.attrs[grid.ATTR_MAP_FIT_MAX] < 1e-3
    length = (SAMPLE["n_traces"] - 1) * SAMPLE["trace_spacing_m"]
    centre = (SAMPLE["n_channels"] - 1) / 2 * SAMPLE["channel_spacing_m"]
    for name, channel0, reverse in SAMPLE["passes"]:
        rows = _gnss_rows(name)
        d = rows[:, 0] * SAMPLE["trace_spacing_m"]
        along = length - d if reverse else d
        across = channel0 - centre if reverse else channel0 + centre
        x, y = grid.road_to_map(v, along, np.full(along.shape, across))
        assert np.abs(x - rows[:, 1]).max() < 1e-3 and np.abs(y - rows[:, 2]).max() < 1e-3
    # every cell centre against the map frame the sample survey was made in
    along, across = np.meshgrid(v[cv.ALONG].values, v[cv.ACROSS].values, indexing="ij")
    x, y = sample_road_to_map(along, across)
    assert np.abs(v[cv.X].values - x).max() < 1e-3 and np.abs(v[cv.Y].values - y).max() < 1e-3


def test_volume_saves_and_reads_back_identical(sample_volume, tmp_path):
    path = roadbed.write(sample_volume, tmp_path / "volume.nc")
    back = roadbed.read(path)
    xr.testing.assert_identical(back, sample_volume)


def test_lazy_dask_profiles_grid_the_same(survey, sample_volume):
    pytest.importorskip("dask")
    chunked = [p.chunk({cv.TRACE: 50}) for p in survey.profiles()]
    lazy = grid.grid_survey(chunked, along_step_m=SAMPLE["trace_spacing_m"], across_step_m=SAMPLE["channel_spacing_m"])
    np.testing.assert_array_equal(lazy.values, sample_volume.values)


def test_default_steps_are_the_survey_sampling(survey):
    along, across = grid.default_steps(survey)
    assert along == SAMPLE["trace_spacing_m"] and across == SAMPLE["channel_spacing_m"]


# --- methods, gaps, interpolation ----------------------------------------------------------------------


def linear_field(along, across, n_samples=4):
    """A field linear in along and across, different at every sample."""
    s = np.arange(n_samples)
    return (1.0 + 0.5 * s + (0.3 - 0.1 * s) * np.asarray(along)[..., None]
            + (2.0 + s) * np.asarray(across)[..., None]).astype(np.float32)


@pytest.mark.parametrize("method", ["idw", "linear"])
def test_gap_between_lines_is_empty_beyond_max_gap(method):
    along = np.arange(0.0, 2.01, 0.1)
    lines = [line_profile(linear_field(along, c), along=along, across=c) for c in (0.0, 1.0)]
    v = grid.grid_survey(lines, along_step_m=0.1, across_step_m=0.1, method=method, max_gap_m=0.25)
    across = v[cv.ACROSS].values
    filled = ~np.isnan(v.values).all(axis=(0, 2))
    np.testing.assert_array_equal(filled, (across <= 0.25 + 1e-9) | (across >= 0.75 - 1e-9))
    np.testing.assert_array_equal(v[grid.COUNT].values.sum(axis=0), [21] + [0] * 9 + [21])
    # cells on a line hold the line's traces exactly
    np.testing.assert_allclose(v.sel(across=0.0, method="nearest").values, lines[0].values, rtol=1e-6)


def test_bin_leaves_cells_without_traces_empty():
    along = np.arange(0.0, 2.01, 0.1)
    lines = [line_profile(linear_field(along, c), along=along, across=c) for c in (0.0, 1.0)]
    v = grid.grid_survey(lines, along_step_m=0.1, across_step_m=0.1, method="bin", max_gap_m=5.0)
    filled = ~np.isnan(v.values).all(axis=(0, 2))
    assert filled.tolist() == [True] + [False] * 9 + [True]


def test_linear_interpolation_of_a_linear_field_is_exact():
    rng = np.random.default_rng(3)
    along, across = rng.uniform(0, 4, 60), rng.uniform(-1, 1, 60)
    lines = [line_profile(linear_field(a[None], c)[None][0], along=a[None], across=c) for a, c in zip(along, across)]
    v = grid.grid_survey(lines, along_step_m=0.25, across_step_m=0.2, method="linear", max_gap_m=10.0)
    grid_a, grid_c = np.meshgrid(v[cv.ALONG].values, v[cv.ACROSS].values, indexing="ij")
    truth = linear_field(grid_a, grid_c)
    inside = Delaunay(np.column_stack([along, across])).find_simplex(np.column_stack([grid_a.ravel(), grid_c.ravel()]))
    inside = (inside >= 0).reshape(grid_a.shape)
    assert inside.sum() > 50
    values = v.values
    assert np.isfinite(values[inside]).all()
    np.testing.assert_allclose(values[inside], truth[inside], rtol=1e-5, atol=1e-5)


def test_linear_across_a_gap_between_two_lines_is_exact_when_allowed():
    along = np.arange(0.0, 1.01, 0.1)
    lines = [line_profile(linear_field(along, c), along=along, across=c) for c in (0.0, 1.0)]
    v = grid.grid_survey(lines, along_step_m=0.1, across_step_m=0.1, method="linear", max_gap_m=1.0)
    grid_a, grid_c = np.meshgrid(v[cv.ALONG].values, v[cv.ACROSS].values, indexing="ij")
    np.testing.assert_allclose(v.values, linear_field(grid_a, grid_c), rtol=1e-5, atol=1e-5)


def test_linear_on_a_single_line_interpolates_along_it():
    along = np.array([0.0, 0.3, 0.5, 1.1])
    line = line_profile(linear_field(along, 0.2), along=along, across=0.2)
    v = grid.grid_survey(line, along_step_m=0.1, across_step_m=0.1, method="linear", max_gap_m=0.35)
    assert v.sizes[cv.ACROSS] == 1
    np.testing.assert_allclose(v.values[:, 0], linear_field(v[cv.ALONG].values, 0.2), rtol=1e-5)


def test_idw_weights_by_inverse_distance():
    # two traces at along 0 and 1, cell at along 0.25: weights 1/0.25² and 1/0.75²
    line = line_profile([[1.0], [5.0]], along=[0.0, 1.0], across=0.0, twt=np.array([0.0]))
    v = grid.grid_survey(line, along_step_m=0.25, across_step_m=0.1, method="idw", max_gap_m=1.0)
    w0, w1 = 1 / 0.25**2, 1 / 0.75**2
    assert float(v.values[1, 0, 0]) == pytest.approx((w0 * 1 + w1 * 5) / (w0 + w1), rel=1e-6)
    assert float(v.values[0, 0, 0]) == 1.0 and float(v.values[4, 0, 0]) == 5.0


def test_bin_averages_the_traces_of_a_cell():
    line = line_profile([[1.0], [2.0], [6.0]], along=[0.0, 0.04, 1.0], across=0.0, twt=np.array([0.0]))
    v = grid.grid_survey(line, along_step_m=0.5, across_step_m=0.1)
    np.testing.assert_array_equal(v.values[:, 0, 0], [1.5, np.nan, 6.0])
    np.testing.assert_array_equal(v[grid.COUNT].values[:, 0], [2, 0, 1])


def test_grid_ranges_and_traces_outside_them():
    along = np.arange(0.0, 3.01, 0.5)
    line = line_profile(linear_field(along, 0.0), along=along, across=0.0)
    v = grid.grid_survey(line, along_step_m=0.5, across_step_m=0.5, along_range_m=(1.0, 2.0),
                         across_range_m=(-0.5, 0.5))
    np.testing.assert_allclose(v[cv.ALONG].values, [1.0, 1.5, 2.0])
    np.testing.assert_allclose(v[cv.ACROSS].values, [-0.5, 0.0, 0.5])
    np.testing.assert_array_equal(v[grid.COUNT].values, [[0, 1, 0]] * 3)
    np.testing.assert_allclose(v.values[:, 1], linear_field(along[2:5], 0.0))


@pytest.mark.parametrize("method", grid.METHODS)
def test_a_single_cell_across_has_the_cell_size_given(method):
    along = np.arange(0.0, 1.01, 0.1)
    line = line_profile(linear_field(along, 0.2), along=along, across=0.2)
    v = grid.grid_survey(line, along_step_m=0.1, across_step_m=0.5, across_range_m=(0.0, 0.0), method=method,
                         max_gap_m=0.3)
    assert v.sizes[cv.ACROSS] == 1
    assert (v[grid.COUNT].values == 1).all()  # 0.2 m lies within half a 0.5 m cell


def test_profiles_on_other_time_axes_are_interpolated_onto_the_first():
    along = np.arange(0.0, 1.01, 0.5)
    twt = np.arange(10) * 0.5
    ramp = np.broadcast_to(twt, (3, 10))
    a = line_profile(ramp, along=along, across=0.0, twt=twt)
    b = line_profile(ramp + 0.25, along=along, across=1.0, twt=twt + 0.25)  # same ramp, sampled later
    v = grid.grid_survey([a, b], along_step_m=0.5, across_step_m=1.0)
    np.testing.assert_array_equal(v[cv.TWT].values, twt)
    np.testing.assert_allclose(v.values[:, 1, 1:], ramp[:, 1:], rtol=1e-6)
    assert np.isnan(v.values[:, 1, 0]).all()  # before b's first sample


def test_depth_volumes_grid_on_depth():
    along = np.arange(0.0, 1.01, 0.5)
    da = line_profile(np.ones((3, 4)), along=along, across=0.0).rename({cv.TWT: cv.DEPTH})
    da = da.assign_coords({cv.DEPTH: np.arange(4) * 0.01})
    v = grid.grid_survey(da, along_step_m=0.5, across_step_m=0.1)
    assert v.dims == (cv.ALONG, cv.ACROSS, cv.DEPTH)


def test_single_line_map_fit_is_a_similarity():
    along = np.arange(0.0, 5.01, 0.5)
    heading = np.radians(70.0)
    x = 1000 + along * np.sin(heading) - 0.3 * np.cos(heading)
    y = 2000 + along * np.cos(heading) + 0.3 * np.sin(heading)
    line = line_profile(np.zeros((along.size, 2)), along=along, across=0.3, x=x, y=y)
    v = grid.grid_survey(line, along_step_m=0.5, across_step_m=0.5, across_range_m=(-0.2, 0.8))
    assert v.attrs[grid.ATTR_MAP_FIT] == "similarity"
    grid_a, grid_c = np.meshgrid(v[cv.ALONG].values, v[cv.ACROSS].values, indexing="ij")
    np.testing.assert_allclose(v[cv.X].values, 1000 + grid_a * np.sin(heading) - grid_c * np.cos(heading), atol=1e-8)
    np.testing.assert_allclose(v[cv.Y].values, 2000 + grid_a * np.cos(heading) + grid_c * np.sin(heading), atol=1e-8)


def test_no_map_coordinates_unless_every_profile_has_them():
    along = np.arange(0.0, 1.01, 0.5)
    a = line_profile(np.zeros((3, 2)), along=along, across=0.0, x=along, y=along)
    b = line_profile(np.zeros((3, 2)), along=along, across=1.0)
    v = grid.grid_survey([a, b], along_step_m=0.5, across_step_m=0.5)
    assert cv.X not in v.coords and grid.ATTR_ROAD_TO_MAP not in v.attrs
    with pytest.raises(ValueError, match="road_to_map"):
        grid.road_to_map(v, 0.0, 0.0)


def test_bad_input_is_named():
    along = np.arange(3.0)
    line = line_profile(np.zeros((3, 2)), along=along, across=0.0)
    with pytest.raises(ValueError, match="method"):
        grid.grid_survey(line, along_step_m=1.0, across_step_m=1.0, method="kriging")
    with pytest.raises(ValueError, match="along_step_m"):
        grid.grid_survey(line, along_step_m=0.0, across_step_m=1.0)
    with pytest.raises(ValueError, match="profile 0 has no 'along'"):
        grid.grid_survey(line.drop_vars("along"), along_step_m=1.0, across_step_m=1.0)
    with pytest.raises(ValueError, match="GiB"):
        grid.grid_survey(line, along_step_m=1e-7, across_step_m=1e-7, across_range_m=(0, 1))
    with pytest.raises(TypeError):
        grid.grid_survey("survey.toml", along_step_m=1.0, across_step_m=1.0)


# --- slices ------------------------------------------------------------------------------------------------


def slab_volume():
    twt = np.arange(200) * 0.1
    amplitude = np.array([[1.0, 2.0], [3.0, np.nan]])
    signal = np.cos(2 * np.pi * 0.8 * twt)  # 0.8 GHz
    values = amplitude[..., None] * signal
    return xr.DataArray(values.astype(np.float32), dims=(cv.ALONG, cv.ACROSS, cv.TWT),
                        coords={cv.ALONG: [0.0, 0.5], cv.ACROSS: [0.0, 0.1], cv.TWT: twt,
                                grid.COUNT: ((cv.ALONG, cv.ACROSS), [[1, 1], [1, 0]])},
                        attrs={"history": ""}), amplitude, signal, twt


def test_depth_slice_amplitude_and_abs_are_slab_means():
    v, amplitude, signal, twt = slab_volume()
    picked = np.abs(twt - 10.0) <= 0.5 + 1e-9
    for value, expected in (("amplitude", signal[picked].mean()), ("abs", np.abs(signal[picked]).mean())):
        s = grid.depth_slice(v, twt_ns=10.0, thickness=1.0, value=value)
        assert s.dims == (cv.ALONG, cv.ACROSS)
        np.testing.assert_allclose(s.values, amplitude * expected, rtol=1e-5)
        assert s.attrs["slice_samples"] == picked.sum()
        assert s.attrs["slice_from"] == pytest.approx(twt[picked].min())
    assert grid.COUNT in s.coords
    assert "depth_slice(" in history(s)[-1]


def test_depth_slice_envelope_of_a_cosine_is_its_amplitude():
    v, amplitude, _, _ = slab_volume()
    s = grid.depth_slice(v, twt_ns=10.0, thickness=2.0)
    np.testing.assert_allclose(s.values, amplitude, rtol=0.01)
    one = grid.depth_slice(v, twt_ns=10.03)  # nearest sample alone
    assert one.attrs["slice_samples"] == 1 and one.attrs["slice_from"] == pytest.approx(10.0)


def test_depth_slice_on_depth_and_errors():
    v, amplitude, _, _ = slab_volume()
    depth = v.rename({cv.TWT: cv.DEPTH})
    s = grid.depth_slice(depth, depth_m=5.0, thickness=0.0, value="abs")
    assert s.attrs["slice_units"] == "m"
    with pytest.raises(ValueError, match="no 'depth' axis"):
        grid.depth_slice(v, depth_m=0.5)
    with pytest.raises(ValueError, match="exactly one"):
        grid.depth_slice(v, twt_ns=1.0, depth_m=0.5)
    with pytest.raises(ValueError, match="outside"):
        grid.depth_slice(v, twt_ns=100.0)
    with pytest.raises(ValueError, match="value"):
        grid.depth_slice(v, twt_ns=1.0, value="power")


def test_sample_depth_slice_keeps_map_coordinates(sample_volume):
    s = grid.depth_slice(sample_volume, twt_ns=12.0, thickness=1.0)
    assert s.dims == (cv.ALONG, cv.ACROSS)
    np.testing.assert_array_equal(s[cv.X].values, sample_volume[cv.X].values)
    assert np.isfinite(s.values).all() and (s.values >= 0).all()
