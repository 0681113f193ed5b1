"""pulseEKKO DT1 + HD reader: real files against an independent numpy parse, and files written here."""

from __future__ import annotations

import logging
import struct
from pathlib import Path

import numpy as np
import pytest

import roadbed
from roadbed import conventions as cv
from roadbed.io import dt1

# --- a test-only writer, built from the published layout with struct (not the reader's dtype) ----

#: 8 float32, 3 float64 (GPS x/y/z), 11 float32, 28-byte comment
_HEADER = struct.Struct("<8f3d11f28s")
assert _HEADER.size == 128


def hd_text(fields: dict, *, extra_lines=()) -> str:
    lines = ["1234", "Data Collected with pE PRO (test)", "2021-06-01"]
    lines += [f"{k:<19}= {v}" for k, v in fields.items()]
    lines += list(extra_lines)
    return "\r\r\n".join(lines) + "\r\r\n"


def write_dt1(folder: Path, name: str, data: np.ndarray, *, positions=None, topo=None, window=100.0,
              tz=2.0, units="m", step=0.05, freq=250.0, hd_fields=None, dt1_ext=".DT1", hd_ext=".HD",
              drop=(), bytes_field=None) -> Path:
    """Write NAME.DT1 + NAME.HD holding ``data`` (n_traces × n_samples, int16 or int32)."""
    n_traces, n_samples = data.shape
    itemsize = data.dtype.itemsize
    positions = np.arange(n_traces) * step if positions is None else np.asarray(positions)
    topo = np.zeros(n_traces) if topo is None else np.asarray(topo)
    fields = {
        "NUMBER OF TRACES": n_traces,
        "NUMBER OF PTS/TRC": n_samples,
        "TIMEZERO AT POINT": tz,
        "TOTAL TIME WINDOW": f"{window:.3f}",
        "STARTING POSITION": f"{positions[0]:.4f}",
        "FINAL POSITION": f"{positions[-1]:.4f}",
        "STEP SIZE USED": f"{step:.4f}",
        "POSITION UNITS": units,
        "NOMINAL FREQUENCY": f"{freq:.2f}",
        "ANTENNA SEPARATION": "0.5000",
        "NUMBER OF STACKS": 4,
        "SURVEY MODE": "Reflection",
    }
    fields.update(hd_fields or {})
    for key in drop:
        fields.pop(key)
    (folder / f"{name}{hd_ext}").write_text(hd_text(fields), encoding="latin-1")
    out = bytearray()
    for i in range(n_traces):
        out += _HEADER.pack(i + 1, positions[i], n_samples, topo[i], 0, bytes_field or itemsize,
                            window * 1000 / n_samples, 4, 0.0, 0.0, 0.0, *([0.0] * 10), 36000.0 + i, b"")
        out += data[i].astype(f"<i{itemsize}").tobytes()
    path = folder / f"{name}{dt1_ext}"
    path.write_bytes(bytes(out))
    return path


def numpy_parse(path: Path, n_samples: int, itemsize: int = 2):
    """Independent parse: bytes → (trace headers as 32 float32, samples)."""
    raw = np.fromfile(path, dtype=np.uint8)
    trace_bytes = 128 + n_samples * itemsize
    rows = raw[: raw.size // trace_bytes * trace_bytes].reshape(-1, trace_bytes)
    headers = rows[:, :128].copy().view("<f4")
    samples = rows[:, 128:].copy().view(f"<i{itemsize}")
    return headers, samples


def random_traces(rng, n_traces, n_samples, dtype=np.int16):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=(n_traces, n_samples), dtype=dtype, endpoint=True)


# --- real files -----------------------------------------------------------------------------------


def test_real_50mhz_line_matches_numpy_parse_and_documented_facts(gpr_data):
    path = gpr_data / "pulseekko_50mhz_line.DT1"
    da = dt1.read(path)
    headers, samples = numpy_parse(path, 1500)
    assert da.dims == (cv.TRACE, cv.TWT)
    assert da.shape == (531, 1500) == samples.shape
    assert da.dtype == np.float32
    np.testing.assert_array_equal(da.values, samples.astype(np.float32))
    assert da.attrs[cv.ATTR_TIME_WINDOW] == 1200.0
    # the sample interval from the HD agrees with the trace headers' slot 6 (ps), read independently
    np.testing.assert_allclose(da.attrs[cv.ATTR_SAMPLE_INTERVAL], headers[0, 6] / 1000.0)
    np.testing.assert_allclose(da[cv.TWT].values, np.arange(1500) * 0.8)
    assert da[cv.TWT].values[0] == 0.0  # not shifted by time zero
    np.testing.assert_allclose(da.attrs[cv.ATTR_TIME_ZERO], 3.18 * 0.8)
    # positions are 2 ft apart: 0.6096 m
    np.testing.assert_allclose(np.diff(da[cv.DISTANCE].values), 0.6096, rtol=1e-6)
    np.testing.assert_allclose(da[cv.DISTANCE].values, headers[:, 1] * 0.3048, rtol=1e-6)
    assert da.attrs[cv.ATTR_TRACE_SPACING] == pytest.approx(0.6096)
    assert da.attrs[cv.ATTR_FREQUENCY] == 50e6
    assert da.attrs["raw_position_units"] == "ft"
    assert roadbed.detect_format(path).name == "dt1"


def test_real_50mhz_gps_xyz_placed_along_line_like_gprpy(gpr_data):
    da = dt1.read(gpr_data / "pulseekko_50mhz_line.DT1")
    table = np.loadtxt(gpr_data / "pulseekko_50mhz_line_gps.xyz", delimiter=",")
    along = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(table, axis=0), axis=1))])
    dist = np.arange(531) * 0.6096
    for name, col in ((cv.X, 0), (cv.Y, 1), (cv.ELEVATION, 2)):
        np.testing.assert_allclose(da[name].values, np.interp(dist, along, table[:, col]), rtol=0, atol=1e-6)
    assert da[cv.X].values[0] == pytest.approx(267918.654)
    assert cv.ATTR_CRS not in da.attrs  # the file does not say which projection


def test_real_50mhz_lazy_window_reads_only_that_window(gpr_data):
    path = gpr_data / "pulseekko_50mhz_line.DT1"
    da = dt1.read(path)
    _, samples = numpy_parse(path, 1500)
    window = da.isel(trace=slice(200, 205), twt=slice(10, 20))
    np.testing.assert_array_equal(window.values, samples[200:205, 10:20])


def test_real_warr_reads_via_hd_path_and_reports_the_hd(gpr_data):
    path = gpr_data / "pulseekko_100mhz_warr.HD"
    da = roadbed.read(path)
    headers, samples = numpy_parse(gpr_data / "pulseekko_100mhz_warr.DT1", 1900)
    assert da.shape == (164, 1900)
    np.testing.assert_array_equal(da.values, samples)
    np.testing.assert_allclose(da.attrs[cv.ATTR_SAMPLE_INTERVAL], 760.0 / 1900)
    np.testing.assert_allclose(da.attrs[cv.ATTR_SAMPLE_INTERVAL], headers[0, 6] / 1000.0)
    np.testing.assert_allclose(da[cv.DISTANCE].values, headers[:, 1].astype(np.float64))
    # what the HD says, verbatim: a WARR recorded as "Reflection", starting at 0.6 m
    assert da.attrs["raw_survey_mode"] == "Reflection"
    assert float(da.attrs["raw_starting_position"]) == 0.6
    assert float(da.attrs["raw_antenna_separation"]) == 0.75
    assert da.attrs[cv.ATTR_FREQUENCY] == 100e6
    np.testing.assert_allclose(da.attrs[cv.ATTR_TIME_ZERO], 34.07 * 0.4)


# --- written files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.int16, np.int32])
def test_written_file_round_trips_both_sample_sizes_without_data_type_field(tmp_path, dtype):
    rng = np.random.default_rng(1)
    data = random_traces(rng, 7, 33, dtype)
    path = write_dt1(tmp_path, "line", data)
    da = dt1.read(path)
    np.testing.assert_array_equal(da.values, data.astype(np.float32))
    assert da.attrs["raw_bytes_per_sample"] == np.dtype(dtype).itemsize
    np.testing.assert_allclose(da[cv.DISTANCE].values, np.arange(7) * np.float32(0.05), rtol=1e-6)


@pytest.mark.parametrize("word, dtype", [("16 bit", np.int16), ("I*4", np.int32), ("32", np.int32)])
def test_hd_data_type_field_decides_sample_size(tmp_path, word, dtype):
    rng = np.random.default_rng(2)
    data = random_traces(rng, 4, 10, dtype)
    # bytes_field=0: the trace header is silent, so only the HD can decide
    path = write_dt1(tmp_path, "a", data, hd_fields={"DATA TYPE": word}, bytes_field=0)
    np.testing.assert_array_equal(dt1.read(path).values, data.astype(np.float32))


def test_bad_data_type_field_is_format_error(tmp_path):
    path = write_dt1(tmp_path, "a", np.zeros((2, 4), np.int16), hd_fields={"DATA TYPE": "float"})
    with pytest.raises(roadbed.FormatError, match="DATA TYPE"):
        dt1.read(path)


def test_sidecars_found_case_insensitively_from_either_file(tmp_path):
    data = random_traces(np.random.default_rng(3), 3, 8)
    write_dt1(tmp_path, "Line01", data, dt1_ext=".Dt1", hd_ext=".hd")
    (tmp_path / "Line01.hd").rename(tmp_path / "LINE01.hd")
    a = dt1.read(tmp_path / "Line01.Dt1")
    b = roadbed.read(tmp_path / "LINE01.hd")
    np.testing.assert_array_equal(a.values, data)
    np.testing.assert_array_equal(b.values, data)


def test_feet_positions_and_topography_become_metres(tmp_path):
    data = np.zeros((5, 6), np.int16)
    topo = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    path = write_dt1(tmp_path, "ft", data, positions=[10, 12, 14, 16, 18], topo=topo, units="ft", step=2.0)
    da = dt1.read(path)
    np.testing.assert_allclose(da[cv.DISTANCE].values, np.array([10, 12, 14, 16, 18]) * 0.3048)
    np.testing.assert_allclose(da[cv.ELEVATION].values, topo * 0.3048)
    path_m = write_dt1(tmp_path, "m", data, positions=[10, 12, 14, 16, 18], units="m", step=2.0)
    da_m = dt1.read(path_m)
    np.testing.assert_allclose(da_m[cv.DISTANCE].values, [10, 12, 14, 16, 18])
    assert cv.ELEVATION not in da_m.coords  # all-zero topography is no elevation


def test_gps_file_gives_lon_lat_time_by_trace_number(tmp_path):
    path = write_dt1(tmp_path, "g", np.zeros((5, 4), np.int16))
    (tmp_path / "g.GPS").write_text(
        "Trace #1 at position 0.000000\r\n"
        "$GPGGA,101500.00,4807.0380,N,01131.0000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n"
        "Trace #5 at position 0.200000\r\n"
        "$GPGGA,101504.00,4807.0780,N,01131.0400,W,1,08,0.9,549.4,M,46.9,M,,*47\r\n")
    da = dt1.read(path)
    lat1, lat5 = 48 + 7.038 / 60, 48 + 7.078 / 60
    lon1, lon5 = 11 + 31.0 / 60, -(11 + 31.04 / 60)
    frac = np.arange(5) / 4
    np.testing.assert_allclose(da[cv.LAT].values, lat1 + frac * (lat5 - lat1), rtol=0, atol=1e-12)
    np.testing.assert_allclose(da[cv.LON].values, lon1 + frac * (lon5 - lon1), rtol=0, atol=1e-12)
    np.testing.assert_allclose(da[cv.ELEVATION].values, 545.4 + frac * 4.0)
    expected = np.datetime64("2021-06-01T10:15:00", "ns") + (frac * 4e9).astype("timedelta64[ns]")
    np.testing.assert_array_equal(da[cv.TIME].values, expected)
    assert cv.LON not in dt1.read(path, gps=False).coords


def test_xyz_with_trace_numbers_interpolates_by_trace(tmp_path):
    path = write_dt1(tmp_path, "t", np.zeros((6, 4), np.int16))
    (tmp_path / "t_GPS.XYZ").write_text("1, 100.0, 200.0, 5.0\n6, 110.0, 190.0, 7.5\n")
    da = dt1.read(path)
    np.testing.assert_allclose(da[cv.X].values, 100 + 2.0 * np.arange(6))
    np.testing.assert_allclose(da[cv.Y].values, 200 - 2.0 * np.arange(6))
    np.testing.assert_allclose(da[cv.ELEVATION].values, 5 + 0.5 * np.arange(6))


def test_malformed_gps_sidecar_is_format_error_unless_skipped(tmp_path):
    path = write_dt1(tmp_path, "b", np.zeros((3, 4), np.int16))
    (tmp_path / "b_gps.xyz").write_text("1, 2, 3\n4, five, 6\n")
    with pytest.raises(roadbed.FormatError, match="line 2"):
        dt1.read(path)
    assert dt1.read(path, gps=False).shape == (3, 4)


def test_truncated_mid_trace_reads_whole_traces_and_logs(tmp_path, caplog):
    data = random_traces(np.random.default_rng(4), 6, 20)
    path = write_dt1(tmp_path, "cut", data)
    raw = path.read_bytes()
    path.write_bytes(raw[: 4 * (128 + 40) + 50])
    with caplog.at_level(logging.WARNING, logger="roadbed.io.dt1"):
        da = dt1.read(path)
    np.testing.assert_array_equal(da.values, data[:4])
    assert "trailing bytes" in caplog.text and "HD says 6 traces" in caplog.text


def test_sniffer_accepts_pairs_and_rejects_what_does_not_fit(tmp_path):
    data = random_traces(np.random.default_rng(5), 3, 16)
    path = write_dt1(tmp_path, "s", data)
    head = path.read_bytes()[:4096]
    assert dt1.sniff(path, head)
    assert roadbed.detect_format(path).name == "dt1"
    assert dt1.sniff(tmp_path / "s.HD", b"1234")
    path.write_bytes(path.read_bytes()[:-3])  # no longer a whole number of traces
    assert not dt1.sniff(path, head)
    other = write_dt1(tmp_path, "n", data, hd_fields={"NUMBER OF PTS/TRC": 8, "NUMBER OF TRACES": 6})
    assert not dt1.sniff(other, other.read_bytes()[:4096])  # first header says 16 samples, HD 8
    lonely = tmp_path / "lonely.DT1"
    lonely.write_bytes(path.read_bytes())
    assert not dt1.sniff(lonely, head)


@pytest.mark.parametrize("key", ["NUMBER OF PTS/TRC", "TOTAL TIME WINDOW"])
def test_missing_required_hd_key_names_it(tmp_path, key):
    path = write_dt1(tmp_path, "m", np.zeros((2, 4), np.int16), drop=(key,))
    with pytest.raises(roadbed.FormatError, match=key.replace("/", ".")) as err:
        dt1.read(path)
    assert err.value.path.endswith("m.HD")


@pytest.mark.parametrize("key, value", [("TOTAL TIME WINDOW", "nan"), ("TOTAL TIME WINDOW", "-5"),
                                        ("NUMBER OF PTS/TRC", "1e12"), ("TIMEZERO AT POINT", "1e9"),
                                        ("NUMBER OF PTS/TRC", "4.5")])
def test_absurd_hd_values_are_format_errors(tmp_path, key, value):
    path = write_dt1(tmp_path, "x", np.zeros((2, 4), np.int16), hd_fields={key: value})
    with pytest.raises(roadbed.FormatError, match=key.replace("/", ".")):
        dt1.read(path)


def test_missing_hd_and_empty_dt1_are_format_errors(tmp_path):
    path = write_dt1(tmp_path, "e", np.zeros((2, 4), np.int16))
    (tmp_path / "e.HD").unlink()
    with pytest.raises(roadbed.FormatError, match="HD side-car"):
        dt1.read(path)
    write_dt1(tmp_path, "z", np.zeros((2, 4), np.int16))
    (tmp_path / "z.DT1").write_bytes(b"")
    with pytest.raises(roadbed.FormatError, match="file size|bytes per sample"):
        dt1.read(tmp_path / "z.DT1")
