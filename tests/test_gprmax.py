"""gprMax output (HDF5): the real v3 merged B-scan and v4-layout files written here with h5py."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import roadbed
from roadbed import conventions as cv
from roadbed.io import gprmax, netcdf
from roadbed.model import radargram

REAL = "gprmax3_cylinder_bscan.out"


def write_v4_merged(path: Path, fields: dict, dt: float, src_pos: np.ndarray, rx_pos: np.ndarray,
                    srcsteps=(1, 0, 0), rxsteps=(1, 0, 0), dtype=np.float32) -> None:
    """A gprMax 4 merged B-scan: root attrs, /rxs/rx1/<component> (iterations × traces), trace_metadata."""
    iterations, n_traces = next(iter(fields.values())).shape
    with h5py.File(path, "w") as f:
        f.attrs["gprMax"] = "4.0.0b0"
        f.attrs["Title"] = "synthetic merged B-scan"
        f.attrs["Iterations"] = iterations
        f.attrs["nx_ny_nz"] = (100, 80, 1)
        f.attrs["dx_dy_dz"] = (0.002, 0.002, 0.002)
        f.attrs["dt"] = dt
        f.attrs["nsrc"] = 1
        f.attrs["nrx"] = 1
        f.attrs["srcsteps"] = srcsteps
        f.attrs["rxsteps"] = rxsteps
        f.attrs["ntraces"] = n_traces
        grp = f.create_group("rxs/rx1")
        for name, values in fields.items():
            grp.create_dataset(name, data=values.astype(dtype))
        f.create_dataset("trace_metadata/srcs/src1/Position", data=src_pos)
        f.create_dataset("trace_metadata/rxs/rx1/Position", data=rx_pos)


def write_single_ascan(path: Path, ez: np.ndarray, dt: float, src: tuple, rx: tuple) -> None:
    """A single (non-merged) gprMax output: 1-D /rxs/rx1/Ez and Position attributes."""
    with h5py.File(path, "w") as f:
        f.attrs["gprMax"] = "4.0.0b0"
        f.attrs["Title"] = "single A-scan"
        f.attrs["Iterations"] = ez.size
        f.attrs["dt"] = dt
        f.attrs["nsrc"] = 1
        f.attrs["nrx"] = 1
        f.attrs["srcsteps"] = (0.0, 0.0, 0.0)
        f.attrs["rxsteps"] = (0.0, 0.0, 0.0)
        s = f.create_group("srcs/src1")
        s.attrs["Type"] = "HertzianDipole"
        s.attrs["Position"] = src
        r = f.create_group("rxs/rx1")
        r.attrs["Position"] = rx
        r.create_dataset("Ez", data=ez.astype(np.float32))
        r.create_dataset("Hx", data=(ez * 0.5).astype(np.float32))


def test_real_v3_merged_bscan(gpr_data, caplog):
    path = gpr_data / REAL
    with h5py.File(path, "r") as f:  # independent truth: h5py directly
        dt = float(f.attrs["dt"])
        ez = f["rxs/rx1/Ez"][()]
        hy = f["rxs/rx1/Hy"][()]
    assert roadbed.detect_format(path).name == "gprmax"
    with caplog.at_level(logging.WARNING, logger="roadbed.io.gprmax"):
        da = roadbed.read(path)
    assert "positions unknown" in caplog.text
    assert da.dims == (cv.TRACE, cv.TWT)
    assert da.shape == (85, 1697)
    assert da.dtype == np.float32
    assert not isinstance(da.variable._data, np.ndarray)  # lazy until used
    assert da[cv.TWT].values[1] - da[cv.TWT].values[0] == dt * 1e9
    np.testing.assert_allclose(np.diff(da[cv.TWT].values), dt * 1e9, rtol=1e-9)
    np.testing.assert_array_equal(da.values, ez.T)
    assert cv.DISTANCE not in da.coords
    assert da.attrs["positions_known"] == 0
    assert da.attrs[cv.ATTR_COMPONENT] == "Ez"
    assert da.attrs["raw_gprMax"] == "3.1.4"
    assert roadbed.history(da)[-1].endswith("read(path='%s', component='Ez', rx=1)" % path)
    np.testing.assert_array_equal(roadbed.read(path, component="Hy").values, hy.T)


def test_real_file_window_reads_only_that_window(gpr_data):
    path = gpr_data / REAL
    with h5py.File(path, "r") as f:
        ez = f["rxs/rx1/Ez"][:, 10:13]
    da = roadbed.read(path)
    np.testing.assert_array_equal(da.isel(trace=slice(10, 13)).values, ez.T)


@given(n_traces=st.integers(1, 12), iterations=st.integers(1, 60), dt=st.floats(1e-13, 1e-9),
       x0=st.floats(0.0, 2.0), gap=st.floats(0.0, 0.5), step=st.floats(0.0005, 0.05),
       y=st.floats(0.0, 1.0), z=st.floats(0.0, 1.0))
def test_v4_merged_positions_are_midpoints(n_traces, iterations, dt, x0, gap, step, y, z):
    rng = np.random.default_rng(n_traces * 1000 + iterations)
    ez = rng.normal(size=(iterations, n_traces))
    i = np.arange(n_traces)
    src = np.column_stack([x0 + i * step, np.full(n_traces, y), np.full(n_traces, z)])
    rx = src + [gap, 0.0, 0.0]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model_merged.out"
        write_v4_merged(path, {"Ez": ez, "Hy": -ez}, dt, src, rx, (step, 0, 0), (step, 0, 0))
        da = roadbed.read(path)
        assert da.shape == (n_traces, iterations)
        np.testing.assert_array_equal(da.values, ez.T.astype(np.float32))
        np.testing.assert_array_equal(da[cv.DISTANCE].values, (src[:, 0] + rx[:, 0]) / 2)
        assert da.attrs["positions_known"] == 1
        assert da.attrs["position_reference"] == "model origin"
        assert da.attrs["model_y_m"] == y and da.attrs["model_z_m"] == z
        np.testing.assert_array_equal(da[cv.TWT].values, np.arange(iterations) * (dt * 1e9))
        np.testing.assert_array_equal(roadbed.read(path, component="Hy").values, -ez.T.astype(np.float32))


def test_single_ascan_position_is_midpoint(tmp_path):
    ez = np.sin(np.linspace(0, 20, 300))
    path = tmp_path / "ascan.out"
    write_single_ascan(path, ez, 2.5e-12, (0.10, 0.17, 0.0), (0.14, 0.17, 0.0))
    da = roadbed.read(path)
    assert da.shape == (1, 300)
    np.testing.assert_array_equal(da.values[0], ez.astype(np.float32))
    assert da[cv.DISTANCE].values.tolist() == [(0.10 + 0.14) / 2]
    assert da.attrs["model_y_m"] == 0.17
    assert da[cv.TWT].values[1] == 2.5e-12 * 1e9
    np.testing.assert_array_equal(roadbed.read(path, component="Hx").values[0], (ez * 0.5).astype(np.float32))


def test_steps_without_positions_give_relative_distance(tmp_path):
    ez = np.arange(40.0).reshape(10, 4)
    path = tmp_path / "old_merged.out"
    with h5py.File(path, "w") as f:
        # gprMax stores the steps in cells: 2 cells of 4 mm
        f.attrs.update({"gprMax": "3.1.5", "Title": "t", "Iterations": 10, "dt": 1e-12, "nrx": 1,
                        "dx_dy_dz": (0.004, 0.004, 0.004), "srcsteps": (2, 0, 0), "rxsteps": (2, 0, 0)})
        f.create_dataset("rxs/rx1/Ez", data=ez)
    da = roadbed.read(path)
    np.testing.assert_allclose(da[cv.DISTANCE].values, np.arange(4) * 0.008, rtol=1e-12)
    assert da.attrs["position_reference"] == "first trace"


def test_scan_along_y_measures_distance_in_y(tmp_path):
    n = 5
    src = np.column_stack([np.full(n, 0.3), np.arange(n) * 0.01, np.zeros(n)])
    path = tmp_path / "y_merged.out"
    write_v4_merged(path, {"Ez": np.ones((8, n))}, 1e-12, src, src + [0.0, 0.04, 0.0], (0, 0.01, 0), (0, 0.01, 0))
    da = roadbed.read(path)
    assert da.attrs["position_axis"] == "y"
    np.testing.assert_allclose(da[cv.DISTANCE].values, np.arange(n) * 0.01 + 0.02)
    assert da.attrs["model_x_m"] == 0.3


def test_compressed_float64_dataset_reads(tmp_path):
    ez = np.random.default_rng(5).normal(size=(30, 3))
    ez[0, 0] = 1e300  # beyond float32: becomes inf, without a warning
    path = tmp_path / "gz_merged.out"
    with h5py.File(path, "w") as f:
        f.attrs.update({"gprMax": "4.0.0", "Iterations": 30, "dt": 1e-12, "nrx": 1})
        f.create_dataset("rxs/rx1/Ez", data=ez, compression="gzip", chunks=(10, 3))
    da = roadbed.read(path)
    assert np.isposinf(da.values[0, 0])
    np.testing.assert_array_equal(da.values.ravel()[1:], ez.T.ravel()[1:].astype(np.float32))


def test_missing_component_and_receiver_are_named(tmp_path):
    path = tmp_path / "a.out"
    write_single_ascan(path, np.zeros(10), 1e-12, (0, 0, 0), (0, 0, 0))
    with pytest.raises(roadbed.FormatError, match=r"/rxs/rx1/Ey.*\['Ez', 'Hx'\]"):
        roadbed.read(path, component="Ey")
    with pytest.raises(roadbed.FormatError, match=r"/rxs/rx2"):
        roadbed.read(path, rx=2)


def test_inconsistent_shapes_are_format_errors(tmp_path):
    path = tmp_path / "bad.out"
    with h5py.File(path, "w") as f:
        f.attrs.update({"gprMax": "4.0.0", "Iterations": 99, "dt": 1e-12, "nrx": 1})
        f.create_dataset("rxs/rx1/Ez", data=np.zeros((10, 3)))
    with pytest.raises(roadbed.FormatError, match="Iterations|shape"):
        roadbed.read(path)
    with h5py.File(path, "a") as f:
        f.attrs["Iterations"] = 10
        f.attrs["ntraces"] = 4
    with pytest.raises(roadbed.FormatError, match="ntraces"):
        roadbed.read(path)
    with h5py.File(path, "a") as f:
        f.attrs["ntraces"] = 3
        f.create_dataset("trace_metadata/srcs/src1/Position", data=np.zeros((2, 3)))
        f.create_dataset("trace_metadata/rxs/rx1/Position", data=np.zeros((3, 3)))
    with pytest.raises(roadbed.FormatError, match="trace_metadata/srcs/src1/Position"):
        roadbed.read(path)
    with h5py.File(path, "a") as f:
        f.attrs["dt"] = -1.0
    with pytest.raises(roadbed.FormatError, match="'dt'"):
        roadbed.read(path)


def test_sniffers_tell_gprmax_from_netcdf(tmp_path):
    out = tmp_path / "model.out"
    write_single_ascan(out, np.zeros(4), 1e-12, (0, 0, 0), (0, 0, 0))
    nc = tmp_path / "line.nc"
    netcdf.save(radargram(np.zeros((2, 2), np.float32), twt_ns=[0.0, 1.0]), nc)
    assert gprmax.is_gprmax_hdf5(out) and not gprmax.is_gprmax_hdf5(nc)
    assert roadbed.detect_format(out).name == "gprmax"
    assert roadbed.detect_format(nc).name == "netcdf"
    renamed = tmp_path / "model.nc"  # content decides, not the extension
    renamed.write_bytes(out.read_bytes())
    assert roadbed.detect_format(renamed).name == "gprmax"


def test_real_gprmax4_steps_are_cells_times_the_cell_size(tmp_path):
    """A gprMax 4 B-scan read from its first-run positions and steps equals its per-trace metadata."""
    scene = Path(__file__).resolve().parent.parent / "scenes" / "gprmax" / "s1_metal_pipe.out"
    copy = tmp_path / scene.name
    copy.write_bytes(scene.read_bytes())
    with h5py.File(copy, "a") as f:
        assert tuple(f.attrs["srcsteps"]) == (6, 0, 0)  # cells, as gprMax writes them
        del f["trace_metadata"]
    np.testing.assert_allclose(roadbed.read(copy)[cv.DISTANCE].values, roadbed.read(scene)[cv.DISTANCE].values,
                               atol=1e-9)
