"""MALA rd3/rd7 + rad + cor reader (single channel and arrays) and writer."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

import roadbed
from roadbed import conventions as cv
from roadbed.io import mala

# --- test-only writers with plain numpy, independent of mala.write ---------------------------------

RAD_BASE = {
    "SAMPLES": None,
    "FREQUENCY": "2000.000000",
    "FREQUENCY STEPS": "17",
    "DISTANCE FLAG": "1",
    "TIME FLAG": "0",
    "TIME INTERVAL": "0.000000",
    "DISTANCE INTERVAL": "0.050000",
    "ANTENNAS": "MALA 800MHz",
    "TIMEWINDOW": None,
    "LAST TRACE": None,
}


def write_rad(path: Path, n_samples: int, n_traces: int, **extra) -> None:
    fields = dict(RAD_BASE, SAMPLES=n_samples, TIMEWINDOW=n_samples * 0.5, **{"LAST TRACE": n_traces})
    fields.update({k.replace("_", " ") if k not in ("CH_X_OFFSET", "CH_X_OFFSETS", "CH_Y_OFFSETS",
                                                    "NUMBER_OF_CH") else k: v for k, v in extra.items()})
    path.write_bytes("".join(f"{k}:{v}\r\n" for k, v in fields.items() if v is not None).encode())


def write_set(folder: Path, name: str, arrays, ext=".rd3", offsets=None, rad_extra=None) -> list[Path]:
    """NAME_A01.rd3 … one file + .rad per channel."""
    paths = []
    for i, arr in enumerate(arrays):
        path = folder / f"{name}_A{i + 1:02d}{ext}"
        arr.astype("<i2" if ext == ".rd3" else "<i4").tofile(path)
        extra = dict(rad_extra[i]) if rad_extra else {}
        if offsets is not None:
            extra["CH_X_OFFSET"] = f"{offsets[i]:.4f}"
        write_rad(path.with_suffix(".rad"), arr.shape[1], arr.shape[0], **extra)
        paths.append(path)
    return paths


def random_traces(rng, n_traces, n_samples, dtype=np.int16):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=(n_traces, n_samples), dtype=dtype, endpoint=True)


def independent_cor(path: Path):
    """Trace numbers, signed lat/lon from a .cor, split by hand."""
    traces, lat, lon = [], [], []
    for line in path.read_text().splitlines():
        f = line.split("\t")
        traces.append(int(f[0]))
        lat.append(float(f[3]) * (1 if f[4] == "N" else -1))
        lon.append(float(f[5]) * (1 if f[6] == "E" else -1))
    return np.array(traces), np.array(lat), np.array(lon)


# --- real file --------------------------------------------------------------------------------------


def test_real_ten_traces_match_numpy_and_cor(gpr_data):
    path = gpr_data / "mala_500mhz_ten_traces.rd3"
    da = mala.read(path)
    raw = np.fromfile(path, dtype="<i2").reshape(10, 512)
    assert da.dims == (cv.TRACE, cv.TWT) and da.shape == (10, 512)
    assert da.dtype == np.float32
    np.testing.assert_array_equal(da.values, raw.astype(np.float32))
    np.testing.assert_allclose(da.attrs[cv.ATTR_SAMPLE_INTERVAL], 1000.0 / 2426.187744)
    assert da.attrs[cv.ATTR_FREQUENCY] == 500e6
    traces, lat, lon = independent_cor(gpr_data / "mala_500mhz_ten_traces.cor")
    assert list(traces) == [7, 18, 27]
    # trace 7 is the 7th trace (numbered from 1); traces 1–6 hold the first fix; 8–10 lie between 7 and 18
    np.testing.assert_allclose(da[cv.LAT].values[6], lat[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(da[cv.LON].values[:7], lon[0], rtol=0, atol=1e-12)
    frac = (np.arange(8, 11) - 7) / 11
    np.testing.assert_allclose(da[cv.LAT].values[7:], lat[0] + frac * (lat[1] - lat[0]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(da[cv.LON].values[7:], lon[0] + frac * (lon[1] - lon[0]), rtol=0, atol=1e-12)
    assert lon[0] < 0 and da[cv.LON].values[0] == pytest.approx(-35.98767333333)
    assert da[cv.TIME].values[6] == np.datetime64("2019-07-26T16:58:43", "ns")
    assert roadbed.detect_format(path).name == "mala"
    assert roadbed.detect_format(gpr_data / "mala_500mhz_ten_traces.rad").name == "mala"


def test_real_sample_interval_puts_spectrum_at_antenna_frequency(gpr_data):
    """Independent physics check: with dt = 1/FREQUENCY the spectrum peaks near the 500 MHz antenna."""
    da = mala.read(gpr_data / "mala_500mhz_ten_traces.rd3")
    traces = da.values - da.values.mean(axis=1, keepdims=True)
    spectrum = np.abs(np.fft.rfft(traces, axis=1)).mean(axis=0)
    freqs = np.fft.rfftfreq(da.sizes[cv.TWT], d=da.attrs[cv.ATTR_SAMPLE_INTERVAL] * 1e-9)
    peak = freqs[np.argmax(spectrum[5:]) + 5]
    assert 400e6 < peak < 600e6


# --- arrays --------------------------------------------------------------------------------------------


def test_channel_set_assembles_from_any_file_or_base_name(tmp_path):
    rng = np.random.default_rng(0)
    arrays = [random_traces(rng, 9, 24) for _ in range(4)]
    offsets = [-0.1125, -0.0375, 0.0375, 0.1125]
    paths = write_set(tmp_path, "grid", arrays, offsets=offsets)
    expected = np.stack(arrays).astype(np.float32)
    for path in (paths[0], paths[2], tmp_path / "grid"):
        da = mala.read(path)
        assert da.dims == (cv.CHANNEL, cv.TRACE, cv.TWT)
        np.testing.assert_array_equal(da.values, expected)
        np.testing.assert_allclose(da[cv.OFFSET].values, offsets)
        assert da.attrs["channel_offset_source"] == "CH_X_OFFSET"
    np.testing.assert_allclose(da[cv.DISTANCE].values, np.arange(9) * 0.05)
    assert da.attrs[cv.ATTR_FREQUENCY] == 800e6
    single = mala.read(paths[2], channels="single")
    assert single.dims == (cv.TRACE, cv.TWT)
    np.testing.assert_array_equal(single.values, arrays[2])
    # lazy windows across channels
    np.testing.assert_array_equal(mala.read(paths[1]).isel(channel=slice(1, 3), trace=4).values,
                                  expected[1:3, 4])
    np.testing.assert_array_equal(mala.read(paths[1]).isel(channel=3, twt=slice(5, 9)).values,
                                  expected[3, :, 5:9])
    assert roadbed.read(paths[3]).shape == (4, 9, 24)


def test_channels_with_different_trace_counts_truncate_to_shortest(tmp_path, caplog):
    rng = np.random.default_rng(1)
    arrays = [random_traces(rng, n, 12) for n in (10, 8, 10, 9)]
    paths = write_set(tmp_path, "ragged", arrays, offsets=[0, 0.1, 0.2, 0.3])
    with caplog.at_level(logging.WARNING, logger="roadbed.io.mala"):
        da = mala.read(paths[0])
    assert da.shape == (4, 8, 12)
    np.testing.assert_array_equal(da.values, np.stack([a[:8] for a in arrays]))
    assert "truncated to the shortest" in caplog.text


def test_offsets_from_array_yml_midpoints(tmp_path):
    rng = np.random.default_rng(2)
    arrays = [random_traces(rng, 5, 8, np.int32) for _ in range(4)]
    configs = ["T1:R1", "T1:R2", "T2:R1", "T2:R2"]
    paths = write_set(tmp_path, "DAT_001", arrays, ext=".rd7",
                      rad_extra=[{"CHANNEL_CONFIGURATION": c, "CHANNELS": 4} for c in configs])
    (tmp_path / "DAT_001.yml").write_text(
        "SELECTED CHANNELS:\n- T1:R1\n- T1:R2\n- T2:R1\n- T2:R2\n"
        "TRANSMITTERS:\n- T1:\n  X-POS: -0.30\n  Y-POS: 0.0\n- T2:\n  X-POS: 0.10\n  Y-POS: 0.0\n"
        "RECIVERS:\n- R1:\n  X-POS: -0.10\n  Y-POS: 0.0\n- R2:\n  X-POS: 0.30\n  Y-POS: 0.0\n"
        "WHEEL:\n  X-POS: 0.0\n")
    da = mala.read(paths[0])
    np.testing.assert_allclose(da[cv.OFFSET].values, [-0.2, 0.0, 0.0, 0.2])
    np.testing.assert_array_equal(da.values, np.stack(arrays).astype(np.float32))


def test_offsets_from_caller_spacing_or_unknown(tmp_path, caplog):
    rng = np.random.default_rng(3)
    paths = write_set(tmp_path, "plain", [random_traces(rng, 4, 6) for _ in range(3)])
    da = mala.read(paths[0], channel_spacing_m=0.075)
    np.testing.assert_allclose(da[cv.OFFSET].values, [0.0, 0.075, 0.15])
    assert da.attrs["channel_offset_source"] == "channel_spacing_m"
    with caplog.at_level(logging.WARNING, logger="roadbed.io.mala"):
        unknown = mala.read(paths[0])
    assert np.all(np.isnan(unknown[cv.OFFSET].values))
    assert "channel_spacing_m" in caplog.text


def test_interleaved_mira_file_splits_channels(tmp_path):
    rng = np.random.default_rng(4)
    per_channel = [random_traces(rng, 6, 10) for _ in range(3)]
    interleaved = np.stack(per_channel, axis=1).reshape(18, 10)  # trace i → channel i % 3
    path = tmp_path / "mira_001.rd3"
    interleaved.astype("<i2").tofile(path)
    write_rad(path.with_suffix(".rad"), 10, 18, NUMBER_OF_CH=3,
              CH_X_OFFSETS="-0.08 0.0 0.08", CH_Y_OFFSETS="0.5 0.5 0.5")
    da = mala.read(path)
    assert da.shape == (3, 6, 10)
    np.testing.assert_array_equal(da.values, np.stack(per_channel))
    np.testing.assert_allclose(da[cv.OFFSET].values, [-0.08, 0.0, 0.08])
    np.testing.assert_allclose(da.attrs["channel_along_track_offsets_m"], [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(da.isel(channel=1, trace=slice(2, 4)).values, per_channel[1][2:4])


def test_channels_disagreeing_on_samples_is_format_error(tmp_path):
    rng = np.random.default_rng(5)
    write_set(tmp_path, "bad", [random_traces(rng, 4, 6), random_traces(rng, 3, 8)], offsets=[0, 0.1])
    with pytest.raises(roadbed.FormatError, match="SAMPLES/FREQUENCY"):
        mala.read(tmp_path / "bad_A01.rd3")


# --- single channel, cor, writer -----------------------------------------------------------------


def test_rd7_int32_and_cor_with_south_west_and_dms(tmp_path):
    data = random_traces(np.random.default_rng(6), 4, 16, np.int32)
    path = tmp_path / "one.RD7"
    data.astype("<i4").tofile(path)
    write_rad(tmp_path / "one.RAD", 16, 4, DISTANCE_INTERVAL="0.000000")
    (tmp_path / "ONE.cor").write_text(
        "1\t2020-01-02\t03:04:05\t33:30:00\tS\t70:15:00\tW\t12.5\tM\t1.2\n"
        "4\t2020-01-02\t03:04:08\t33:30:36\tS\t70:15:36\tW\t15.5\tM\t1.2\n")
    da = mala.read(path)
    np.testing.assert_array_equal(da.values, data.astype(np.float32))
    frac = np.arange(4) / 3
    np.testing.assert_allclose(da[cv.LAT].values, -(33.5 + frac * 0.01), rtol=0, atol=1e-12)
    np.testing.assert_allclose(da[cv.LON].values, -(70.25 + frac * 0.01), rtol=0, atol=1e-12)
    np.testing.assert_allclose(da[cv.ELEVATION].values, 12.5 + frac * 3)
    np.testing.assert_array_equal(da[cv.TIME].values, np.datetime64("2020-01-02T03:04:05", "ns")
                                  + np.arange(4) * np.timedelta64(1, "s"))
    # time-triggered: distance is the geodesic length along the fixes (0.01° lat ≈ 1.11 km here)
    total = da[cv.DISTANCE].values[-1]
    assert 1100 < total < 1700 and np.all(np.diff(da[cv.DISTANCE].values) > 0)


def test_malformed_cor_is_format_error_unless_skipped(tmp_path):
    path = tmp_path / "c.rd3"
    np.zeros((2, 4), "<i2").tofile(path)
    write_rad(tmp_path / "c.rad", 4, 2)
    (tmp_path / "c.cor").write_text("1\t2020-01-02\t03:04:05\t95.0\tN\t10.0\tE\t1\tM\t1\n")
    with pytest.raises(roadbed.FormatError, match="line 1"):
        mala.read(path)
    assert mala.read(path, gps=False).shape == (2, 4)


@pytest.mark.parametrize("ext", [".rd3", ".rd7"])
def test_writer_round_trips_profile_with_gps(tmp_path, ext):
    rng = np.random.default_rng(7)
    values = random_traces(rng, 6, 20).astype(np.float32)
    lat = np.linspace(59.0, 59.001, 6)
    lon = np.linspace(18.0, 18.002, 6)
    time = np.datetime64("2024-05-01T12:00:00", "ns") + np.arange(6) * np.timedelta64(250, "ms")
    da = roadbed.radargram(values, twt_ns=np.arange(20) * 0.25, distance_m=np.arange(6) * 0.02,
                           trace_coords={cv.LAT: lat, cv.LON: lon, cv.TIME: time},
                           attrs={cv.ATTR_FREQUENCY: 1.6e9})
    out = roadbed.write(da, tmp_path / f"w{ext}")
    back = roadbed.read(out)
    np.testing.assert_array_equal(back.values, values)
    np.testing.assert_allclose(back[cv.TWT].values, da[cv.TWT].values)
    np.testing.assert_allclose(back[cv.DISTANCE].values, da[cv.DISTANCE].values)
    np.testing.assert_allclose(back[cv.LAT].values, lat, atol=1e-10)
    np.testing.assert_allclose(back[cv.LON].values, lon, atol=1e-10)
    np.testing.assert_array_equal(back[cv.TIME].values, time)
    assert back.attrs[cv.ATTR_FREQUENCY] == 1.6e9


def test_writer_round_trips_array_with_offsets(tmp_path):
    rng = np.random.default_rng(8)
    values = random_traces(rng, 5 * 7, 11).reshape(5, 7, 11).astype(np.float32)
    offsets = np.array([-0.15, -0.075, 0.0, 0.075, 0.15])
    da = roadbed.radargram(values, twt_ns=np.arange(11) * 0.1, offset_m=offsets)
    mala.write(da, tmp_path / "arr.rd3")
    assert sorted(p.name for p in tmp_path.glob("arr_A*.rd3")) == [f"arr_A0{i}.rd3" for i in range(1, 6)]
    back = mala.read(tmp_path / "arr")
    np.testing.assert_array_equal(back.values, values)
    np.testing.assert_allclose(back[cv.OFFSET].values, offsets)


def test_writer_rejects_uneven_twt_and_nan(tmp_path):
    da = roadbed.radargram(np.zeros((2, 3)), twt_ns=[0.0, 1.0, 3.0])
    with pytest.raises(roadbed.FormatError, match="twt"):
        mala.write(da, tmp_path / "u.rd3")
    da = roadbed.radargram(np.full((2, 3), np.nan), twt_ns=[0.0, 1.0, 2.0])
    with pytest.raises(roadbed.FormatError, match="amplitude"):
        mala.write(da, tmp_path / "n.rd3")


def test_antenna_frequency_from_names():
    assert mala.antenna_frequency_hz("500MHz Shielded") == 500e6
    assert mala.antenna_frequency_hz("MALA 1.2 GHz") == 1.2e9
    assert mala.antenna_frequency_hz("500_shielded_egrip") == 500e6
    assert mala.antenna_frequency_hz("GX450 HDR") is None


# --- sniffing and errors ---------------------------------------------------------------------------------


def test_sniffer(tmp_path):
    path = tmp_path / "s.rd3"
    np.zeros((3, 8), "<i2").tofile(path)
    write_rad(tmp_path / "s.rad", 8, 3)
    assert mala.sniff(path, b"") and mala.sniff(tmp_path / "s.rad", b"")
    path.write_bytes(path.read_bytes()[:-2])
    assert not mala.sniff(path, b"")
    (tmp_path / "t.rd3").write_bytes(b"\0" * 16)
    assert not mala.sniff(tmp_path / "t.rd3", b"")  # no .rad
    (tmp_path / "t.rad").write_text("FREQUENCY:1000\n")
    assert not mala.sniff(tmp_path / "t.rd3", b"")  # no SAMPLES


@pytest.mark.parametrize("key, value", [("SAMPLES", None), ("SAMPLES", "-4"), ("SAMPLES", "nan"),
                                        ("FREQUENCY", "0"), ("FREQUENCY", None), ("SAMPLES", "1e300")])
def test_bad_rad_values_name_the_key(tmp_path, key, value):
    path = tmp_path / "b.rd3"
    np.zeros((2, 4), "<i2").tofile(path)
    write_rad(tmp_path / "b.rad", 4, 2)
    text = (tmp_path / "b.rad").read_text()
    lines = [line for line in text.splitlines() if not line.startswith(f"{key}:")]
    if value is not None:
        lines.append(f"{key}:{value}")
    (tmp_path / "b.rad").write_text("\n".join(lines))
    with pytest.raises(roadbed.FormatError, match=key):
        mala.read(path)


def test_missing_rad_and_short_file_are_format_errors(tmp_path):
    path = tmp_path / "m.rd3"
    np.zeros((2, 4), "<i2").tofile(path)
    with pytest.raises(roadbed.FormatError, match="rad side-car"):
        mala.read(path)
    write_rad(tmp_path / "m.rad", 400, 2)
    with pytest.raises(roadbed.FormatError, match="file size"):
        mala.read(path)
