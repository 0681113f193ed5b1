"""GSSI DZT reader/writer and its DZG/DZX side-cars.

Independent truths: the documented facts of the real files
(../shared/data/README.md), a plain ``numpy.fromfile`` parse of the samples,
a by-hand parse of the DZG sentences, the DZT layout written out in these
tests, and write → read round trips.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import struct
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import roadbed
from roadbed import conventions as cv
from roadbed.io import dzt
from roadbed.io.dzt import read_dzt, write_dzt
from roadbed.io.gssi_sidecars import DzgFixes, gps_trace_coords, nmea_degrees, parse_dzx

SIR3000 = "gssi_sir3000_400mhz_dune.DZT"
SIR4000 = "gssi_sir4000_200mhz_gps.DZT"

#: facts from /work/shared/data/README.md (read there by an independent parser)
FACTS = {
    SIR3000: dict(tag=0x0700, data_offset=1024, channels=1, bits=16, samples=512, traces=1040, range_ns=48.0,
                  spm=50.0, sps=100.0, epsr=6.0, antenna="400MHz", frequency_hz=400e6),
    SIR4000: dict(tag=0x07FF, data_offset=131072, channels=1, bits=32, samples=2048, traces=345, range_ns=2300.0,
                  spm=None, sps=24.0, epsr=9.64, antenna="5106", frequency_hz=200e6),
}
RAW_TYPES = {8: (np.uint8, 128), 16: (np.uint16, 32768), 32: (np.int32, 0)}


def independent_samples(path, facts) -> np.ndarray:
    """Raw words of the file as (trace, channel, sample), parsed with numpy only."""
    dtype, _ = RAW_TYPES[facts["bits"]]
    raw = np.fromfile(path, dtype=np.dtype(dtype).newbyteorder("<"), offset=facts["data_offset"])
    return raw.reshape(facts["traces"], facts["channels"], facts["samples"])


def make_radargram(values, *, dt_ns=0.5, spacing=0.05, attrs=None, mark=None):
    values = np.asarray(values, dtype=np.float32)
    n_tr, n_s = values.shape[-2:]
    coords = {} if mark is None else {cv.MARK: np.asarray(mark, dtype=bool)}
    return roadbed.radargram(values, twt_ns=np.arange(n_s) * dt_ns, distance_m=np.arange(n_tr) * spacing,
                             trace_coords=coords, attrs=attrs or {})


# --- real files -------------------------------------------------------------------------


@pytest.mark.parametrize("name", [SIR3000, SIR4000])
def test_real_file_header_facts(gpr_data, name):
    facts = FACTS[name]
    da = read_dzt(gpr_data / name)
    assert da.attrs["raw_rh_tag"] == facts["tag"]
    assert da.attrs["data_offset"] == facts["data_offset"]
    assert da.attrs["raw_rh_nchan"] == facts["channels"] and da.dims == (cv.TRACE, cv.TWT)
    assert da.attrs["raw_rh_bits"] == facts["bits"]
    assert da.sizes == {cv.TRACE: facts["traces"], cv.TWT: facts["samples"]}
    assert da.attrs[cv.ATTR_TIME_WINDOW] == pytest.approx(facts["range_ns"])
    assert da.attrs[cv.ATTR_SAMPLE_INTERVAL] == pytest.approx(facts["range_ns"] / facts["samples"])
    assert da.attrs[cv.ATTR_TRACES_PER_SECOND] == pytest.approx(facts["sps"])
    assert da.attrs[cv.ATTR_RELATIVE_PERMITTIVITY] == pytest.approx(facts["epsr"], abs=0.01)
    assert da.attrs[cv.ATTR_ANTENNA] == facts["antenna"]
    assert da.attrs[cv.ATTR_FREQUENCY] == facts["frequency_hz"]
    assert da.attrs["truncated_bytes"] == 0
    assert da.dtype == np.float32
    if facts["spm"]:
        assert da.attrs["raw_rhf_spm"] == pytest.approx(facts["spm"])
        np.testing.assert_allclose(da[cv.DISTANCE].values, np.arange(facts["traces"]) / facts["spm"])
        assert da.attrs[cv.ATTR_TRACE_SPACING] == pytest.approx(1 / facts["spm"])
    assert roadbed.history(da)[-1].endswith(f"read(path={str(gpr_data / name)!r}, format='dzt')")


@pytest.mark.parametrize("name", [SIR3000, SIR4000])
def test_real_file_samples_match_numpy_parse(gpr_data, name):
    facts = FACTS[name]
    raw = independent_samples(gpr_data / name, facts)[:, 0, :].astype(np.float64)
    expected = raw - RAW_TYPES[facts["bits"]][1]
    expected[:, 0] = expected[:, 2]  # the documented rule for the scan counter and marker word
    expected[:, 1] = expected[:, 2]
    da = read_dzt(gpr_data / name)
    np.testing.assert_array_equal(da.values.astype(np.float64), expected.astype(np.float32))
    # marks: every trace whose marker word is set, nothing else
    np.testing.assert_array_equal(da[cv.MARK].values, raw[:, 1] != 0)


def test_sir3000_marks_and_creation_date(gpr_data):
    path = gpr_data / SIR3000
    da = read_dzt(path)
    raw = independent_samples(path, FACTS[SIR3000])
    assert da[cv.MARK].values.sum() == np.count_nonzero(raw[:, 0, 1]) > 0
    word = int.from_bytes(path.read_bytes()[32:36], "little")
    bits = format(word, "032b")  # MSB first: year(7) month(4) day(5) hour(5) min(6) sec/2(5)
    y, mo, d = int(bits[0:7], 2) + 1980, int(bits[7:11], 2), int(bits[11:16], 2)
    h, mi, s = int(bits[16:21], 2), int(bits[21:27], 2), int(bits[27:32], 2) * 2
    assert da.attrs["raw_rhb_cdt"] == dt.datetime(y, mo, d, h, mi, s).isoformat()
    assert da.attrs[cv.ATTR_INSTRUMENT] == "GSSI SIR 3000"


def test_sir4000_time_zero_is_where_the_direct_wave_arrives(gpr_data):
    da = read_dzt(gpr_data / SIR4000)
    assert da.attrs[cv.ATTR_TIME_ZERO] == pytest.approx(-da.attrs["raw_rhf_position"]) == pytest.approx(230.0)
    mean = np.abs(da.values[:, 2:].astype(np.float64).mean(axis=0) - np.median(da.values[:, 2:]))
    first_break = da[cv.TWT].values[2:][np.argmax(mean > 0.2 * mean.max())]
    assert abs(first_break - da.attrs[cv.ATTR_TIME_ZERO]) < 10.0
    assert da.attrs[cv.ATTR_INSTRUMENT] == "GSSI SIR 4000"


def _independent_dzg(path):
    """[(scan, lat, lon, hhmmss)] parsed by hand from $GSSIS/$GPGGA pairs."""
    out, scan = [], None
    for line in path.read_text().splitlines():
        f = line.strip().split(",")
        if f[0] == "$GSSIS":
            scan = int(f[1])
        elif f[0] == "$GPGGA" and scan is not None:
            lat = (int(f[2][:2]) + float(f[2][2:]) / 60) * (1 if f[3] == "N" else -1)
            lon = (int(f[4][:3]) + float(f[4][3:]) / 60) * (1 if f[5] == "E" else -1)
            out.append((scan, lat, lon, f[1]))
            scan = None
    return out


def test_sir4000_gps_from_dzg(gpr_data):
    path = gpr_data / SIR4000
    da = read_dzt(path)
    fixes = _independent_dzg(path.with_suffix(".DZG"))
    assert da.attrs["gps_fixes"] == len(fixes) > 2
    for scan, lat, lon, _ in (fixes[0], fixes[len(fixes) // 2], fixes[-1]):
        assert da[cv.LAT].values[scan] == pytest.approx(lat, abs=1e-9)
        assert da[cv.LON].values[scan] == pytest.approx(lon, abs=1e-9)
    assert 47 < da[cv.LAT].values.min() and da[cv.LON].values.max() < -122  # Seattle, west → negative
    assert cv.ELEVATION not in da.coords  # the GGA altitude fields are empty
    # time: GGA time of day on the UTC day nearest the header's creation time
    word = int.from_bytes(path.read_bytes()[32:36], "little")
    created = dt.datetime((word >> 25) + 1980, (word >> 21) & 15, (word >> 16) & 31,
                          (word >> 11) & 31, (word >> 5) & 63, (word & 31) * 2)
    scan, _, _, hhmmss = fixes[3]
    tod = dt.timedelta(hours=int(hhmmss[:2]), minutes=int(hhmmss[2:4]), seconds=int(hhmmss[4:6]))
    candidates = [dt.datetime.combine(created.date() + dt.timedelta(days=k), dt.time()) + tod for k in (-1, 0, 1)]
    expected = min(candidates, key=lambda c: abs(c - created))
    assert da[cv.TIME].values[scan] == np.datetime64(expected, "ns")
    step = np.diff(da[cv.TIME].values).astype(np.int64) * 1e-9
    assert np.all(step > 0)
    assert np.median(step) == pytest.approx(1 / 24.0, rel=1e-3)  # 24 scans per second, one fix per second


def test_sir4000_dzx_spacing_and_dielectric(gpr_data):
    da = read_dzt(gpr_data / SIR4000)
    assert da.attrs["raw_dzx_unitsPerScan"] == "0.003333"
    assert da.attrs["distance_source"] == "DZX unitsPerScan"
    np.testing.assert_allclose(da[cv.DISTANCE].values, np.arange(345) * 0.003333)
    assert float(da.attrs["raw_dzx_dielectric"]) == pytest.approx(da.attrs[cv.ATTR_RELATIVE_PERMITTIVITY], abs=1e-4)


def test_without_sidecars(gpr_data):
    da = read_dzt(gpr_data / SIR4000, sidecars=False)
    assert not {cv.LON, cv.LAT, cv.TIME, cv.DISTANCE} & set(da.coords)


def test_lazy_window_matches_numpy_parse(gpr_data):
    path = gpr_data / SIR4000
    da = read_dzt(path)
    assert not isinstance(da.variable._data, np.ndarray)
    window = da.isel(trace=slice(10, 20), twt=slice(0, 50))
    raw = independent_samples(path, FACTS[SIR4000])[10:20, 0, :50].astype(np.float32)
    raw[:, :2] = raw[:, 2:3]
    np.testing.assert_array_equal(window.values, raw)
    assert not isinstance(da.variable._data, np.ndarray)  # the window did not load the file
    # a single non-signal sample reads as sample 2, whichever way it is indexed
    assert da.isel(trace=5, twt=1).item() == da.isel(trace=5, twt=2).item()
    np.testing.assert_array_equal(da.isel(twt=slice(1, None, -1)).values, da.isel(twt=[2, 2]).values)


def test_renamed_dzt_is_sniffed(gpr_data, tmp_path):
    copy = tmp_path / "line.dat"
    shutil.copyfile(gpr_data / SIR3000, copy)
    assert roadbed.detect_format(copy).name == "dzt"
    assert roadbed.read(copy).sizes[cv.TRACE] == 1040


def test_other_files_are_not_dzt(gpr_data, tmp_path):
    for other in sorted(gpr_data.iterdir()):
        if other.suffix.upper() in (".DT1", ".RD3", ".OUT", ".HD"):
            assert not dzt.sniff_dzt(other, other.read_bytes()[:4096]), other
            with pytest.raises(roadbed.FormatError):
                read_dzt(other)


# --- writer and round trips -------------------------------------------------------------


@st.composite
def integer_radargrams(draw):
    bits = draw(st.sampled_from([8, 16, 32]))
    lim = {8: 128, 16: 32768, 32: 2**30}[bits]
    nchan = draw(st.integers(1, 3))
    shape = (nchan, draw(st.integers(1, 12)), draw(st.integers(3, 40)))
    values = draw(hnp.arrays(np.int64, shape, elements=st.integers(-lim, lim - 1))).astype(np.float32)
    mark = draw(hnp.arrays(bool, shape[1]))
    return bits, (values[0] if nchan == 1 else values), mark


@given(case=integer_radargrams(), spacing=st.sampled_from([0.02, 0.05, 0.125]),
       dt_ns=st.sampled_from([0.1, 0.5, 1.0]), sps=st.sampled_from([0.0, 24.0, 100.0]))
@settings(max_examples=40)
def test_integer_amplitudes_round_trip_exactly(tmp_path_factory, case, spacing, dt_ns, sps):
    bits, values, mark = case
    attrs = {cv.ATTR_RELATIVE_PERMITTIVITY: 6.5, cv.ATTR_TIME_ZERO: 3.0, cv.ATTR_ANTENNA: "50400S",
             cv.ATTR_TRACE_SPACING: spacing}  # the spacing of a one-trace radargram
    if sps:
        attrs[cv.ATTR_TRACES_PER_SECOND] = sps
    da = make_radargram(values, dt_ns=dt_ns, spacing=spacing, attrs=attrs, mark=mark)
    path = tmp_path_factory.mktemp("rt") / "line.DZT"
    write_dzt(da, path, bits=bits)
    back = read_dzt(path)
    assert back.dims == da.dims and back.shape == da.shape
    got = back.values
    np.testing.assert_array_equal(got[..., 2:], values[..., 2:])
    np.testing.assert_array_equal(got[..., 0], values[..., 2])
    np.testing.assert_array_equal(got[..., 1], values[..., 2])
    np.testing.assert_array_equal(back[cv.MARK].values, mark)
    np.testing.assert_allclose(back[cv.TWT].values, da[cv.TWT].values, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(back[cv.DISTANCE].values, da[cv.DISTANCE].values, rtol=1e-6)
    assert back.attrs[cv.ATTR_RELATIVE_PERMITTIVITY] == pytest.approx(6.5)
    assert back.attrs[cv.ATTR_TIME_ZERO] == pytest.approx(3.0)
    assert back.attrs[cv.ATTR_ANTENNA] == "50400S" and back.attrs[cv.ATTR_FREQUENCY] == 400e6
    assert back.attrs.get(cv.ATTR_TRACES_PER_SECOND, 0.0) == sps
    assert back.attrs["raw_rh_bits"] == bits and back.attrs["raw_rh_nchan"] == (values.shape[0] if values.ndim == 3 else 1)


def test_written_layout_matches_documented_format(tmp_path):
    """Check the writer byte by byte against the layout (not against our reader)."""
    rng = np.random.default_rng(1)
    values = rng.integers(-2000, 2000, size=(3, 7, 16)).astype(np.float32)
    da = make_radargram(values, dt_ns=0.25, spacing=0.04, attrs={cv.ATTR_TRACES_PER_SECOND: 50.0},
                        mark=[False, True, False, False, False, False, True])
    path = tmp_path / "three.dzt"
    write_dzt(da, path, bits=16, created=dt.datetime(2024, 5, 17, 13, 45, 10))
    data = path.read_bytes()
    assert len(data) == 3 * 1024 + 7 * 3 * 16 * 2
    for chan in range(3):  # one header block per channel
        block = data[1024 * chan:1024 * (chan + 1)]
        tag, rh_data, nsamp, bits = struct.unpack_from("<4H", block, 0)
        assert (tag & 0xFF, rh_data, nsamp, bits) == (0xFF, 3, 16, 16)
        assert struct.unpack_from("<H", block, 52)[0] == 3
        sps, spm, _, _, rng_ns = struct.unpack_from("<5f", block, 10)
        assert (sps, spm, rng_ns) == (50.0, 25.0, 4.0)
        word = struct.unpack_from("<I", block, 32)[0]
        assert ((word >> 25) + 1980, (word >> 21) & 15, (word >> 16) & 31) == (2024, 5, 17)
        assert ((word >> 11) & 31, (word >> 5) & 63, (word & 31) * 2) == (13, 45, 10)
    raw = np.frombuffer(data, dtype="<u2", offset=3 * 1024).reshape(7, 3, 16)  # scan, channel, sample
    np.testing.assert_array_equal(raw[:, :, 2:].astype(np.int64) - 32768, values.transpose(1, 0, 2)[:, :, 2:])
    np.testing.assert_array_equal(raw[:, 0, 0], np.arange(7))  # scan counter
    np.testing.assert_array_equal(raw[:, 0, 1] != 0, da[cv.MARK].values)  # marker word


def test_float_amplitudes_are_scaled_to_fill_the_word(tmp_path):
    rng = np.random.default_rng(7)
    values = rng.normal(0, 1e-3, size=(20, 64)).astype(np.float32)
    path = tmp_path / "f.dzt"
    write_dzt(make_radargram(values), path, bits=16)
    back = read_dzt(path).values.astype(np.float64)
    peak = np.abs(values[:, 2:]).max()
    scale = 32767 / peak
    np.testing.assert_allclose(back[:, 2:], np.rint(values[:, 2:].astype(np.float64) * scale), atol=1)
    assert np.abs(back[:, 2:]).max() == 32767
    write_dzt(make_radargram(values), path, bits=32, scale=1e6)  # an explicit scale is honoured
    np.testing.assert_array_equal(read_dzt(path).values[:, 2:], np.rint(values[:, 2:].astype(np.float64) * 1e6))


def test_writer_rejects_what_dzt_cannot_hold(tmp_path):
    values = np.zeros((4, 8), dtype=np.float32)
    values[1, 5] = np.nan
    with pytest.raises(ValueError, match="finite"):
        write_dzt(make_radargram(values), tmp_path / "nan.dzt")
    uneven = make_radargram(np.zeros((4, 8))).assign_coords(twt=[0, 1, 2, 3, 4, 5, 6, 8.0])
    with pytest.raises(ValueError, match="evenly"):
        write_dzt(uneven, tmp_path / "u.dzt")
    with pytest.raises(ValueError, match="bits"):
        write_dzt(make_radargram(np.zeros((4, 8))), tmp_path / "b.dzt", bits=12)


def test_registry_round_trip_and_time_zero_of_cropped_window(tmp_path):
    values = np.arange(5 * 10, dtype=np.float32).reshape(5, 10)
    da = make_radargram(values, dt_ns=2.0, attrs={cv.ATTR_TIME_ZERO: 10.0, cv.ATTR_FREQUENCY: 900e6})
    da = da.isel(twt=slice(3, None))  # window now starts 6 ns after the original start
    path = roadbed.write(da, tmp_path / "crop.DZT")
    back = roadbed.read(path)
    assert back.attrs[cv.ATTR_TIME_ZERO] == pytest.approx(4.0)  # 10 ns − 6 ns, from the new start
    assert back.attrs[cv.ATTR_FREQUENCY] == 900e6
    np.testing.assert_array_equal(back.values[:, 2:], values[:, 5:])


def test_lazy_writer_input_and_large_sparse_file_open(tmp_path):
    values = np.full((4, 512), 7.0, dtype=np.float32)
    path = tmp_path / "big.dzt"
    write_dzt(make_radargram(values), path)
    scan = 512 * 2
    n_scans = (200 * 2**20) // scan
    os.truncate(path, 1024 + n_scans * scan)  # sparse: the added scans read as zero words
    tracemalloc.start()
    try:
        da = read_dzt(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert da.sizes[cv.TRACE] == n_scans
    assert not isinstance(da.variable._data, np.ndarray)
    assert peak < 16 * 2**20  # far below the 200 MB of samples
    assert np.all(da.isel(trace=slice(0, 4)).values[:, 2:] == 7.0)
    np.testing.assert_array_equal(da.isel(trace=slice(n_scans - 3, None)).values, -32768.0)
    # writing a lazily opened file streams it; the first traces survive a re-write
    out = tmp_path / "copy.dzt"
    write_dzt(da.isel(trace=slice(0, 2000)), out)
    assert np.all(read_dzt(out).values[:4, 2:] == 7.0)


# --- truncation and bad headers -------------------------------------------------------------


def _small_file(tmp_path, *, nchan=1, bits=16, n_tr=6, n_s=10):
    values = np.arange(nchan * n_tr * n_s, dtype=np.float32).reshape(nchan, n_tr, n_s) % 100
    path = tmp_path / f"small_{nchan}_{bits}.dzt"
    write_dzt(make_radargram(values[0] if nchan == 1 else values), path, bits=bits)
    return path, values


def test_partial_last_scan_is_dropped_and_recorded(tmp_path, caplog):
    path, values = _small_file(tmp_path, nchan=2)
    data = path.read_bytes()
    path.write_bytes(data[:-7])
    with caplog.at_level(logging.WARNING, logger="roadbed.io.dzt"):
        da = read_dzt(path)
    assert da.sizes[cv.TRACE] == 5 and da.attrs["truncated_bytes"] == 2 * 10 * 2 - 7
    assert "partial scan" in caplog.text
    np.testing.assert_array_equal(da.values[..., 2:], values[:, :5, 2:])
    path.write_bytes(data[:2048 + 39])  # headers and less than one scan
    with pytest.raises(roadbed.FormatError, match="file size"):
        read_dzt(path)


def _patched(path, offset, fmt, value):
    data = bytearray(path.read_bytes())
    struct.pack_into(fmt, data, offset, value)
    out = path.with_name(f"patched_{offset}_{value}.dzt")
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize(
    "offset, fmt, value, field",
    [
        (0, "<H", 0x1234, "rh_tag"),
        (6, "<H", 12, "rh_bits"),
        (52, "<H", 0, "rh_nchan"),
        (52, "<H", 65, "rh_nchan"),
        (4, "<H", 2, "rh_nsamp"),
        (4, "<H", 60000, "rh_nsamp"),
        (26, "<f", 0.0, "rhf_range"),
        (26, "<f", float("nan"), "rhf_range"),
        (26, "<f", float("inf"), "rhf_range"),
        (26, "<f", -5.0, "rhf_range"),
        (2, "<H", 0, "rh_data"),
        (2, "<H", 1000, "file size"),
        (4, "<H", 9000, "file size"),
    ],
)
def test_bad_header_fields_raise_format_error(tmp_path, offset, fmt, value, field):
    path, _ = _small_file(tmp_path)
    bad = _patched(path, offset, fmt, value)
    with pytest.raises(roadbed.FormatError) as info:
        read_dzt(bad)
    assert info.value.field == field and str(bad) in str(info.value)
    assert not dzt.sniff_dzt(bad, bad.read_bytes()[:4096])


def test_rh_data_conventions(tmp_path):
    path, values = _small_file(tmp_path, nchan=2)
    # rh_data >= 1024: data after rh_nchan header blocks (readgssi/GPRPy/ImpDAR rule)
    big = _patched(path, 2, "<H", 1024)
    np.testing.assert_array_equal(read_dzt(big).values[..., 2:], values[..., 2:])
    # rh_data in blocks, fewer than the channels' header blocks: data would overlap a header
    with pytest.raises(roadbed.FormatError, match="rh_data"):
        read_dzt(_patched(path, 2, "<H", 1))
    assert read_dzt(path).attrs["data_offset"] == 2048


def test_short_and_empty_files(tmp_path):
    empty = tmp_path / "e.dzt"
    empty.write_bytes(b"")
    with pytest.raises(roadbed.FormatError, match="file size"):
        read_dzt(empty)
    short = tmp_path / "s.dzt"
    short.write_bytes(b"\xff\x00" + b"\x00" * 500)
    with pytest.raises(roadbed.FormatError, match="file size"):
        read_dzt(short)


@given(st.datetimes(min_value=dt.datetime(1980, 1, 1), max_value=dt.datetime(2107, 12, 31)))
def test_gssi_date_round_trip(moment):
    moment = moment.replace(microsecond=0, second=moment.second - moment.second % 2)
    assert dzt.decode_gssi_date(dzt.encode_gssi_date(moment)) == moment


def test_antenna_frequencies():
    assert dzt.antenna_frequency_hz("400MHz") == 400e6
    assert dzt.antenna_frequency_hz("3101 900MHz") == 900e6
    assert dzt.antenna_frequency_hz("1.6GHz") == 1.6e9
    assert dzt.antenna_frequency_hz("5106A") == 200e6
    assert dzt.antenna_frequency_hz("XYZ") is None and dzt.antenna_frequency_hz("") is None


# --- DZG ----------------------------------------------------------------------------------


def nmea(body: str) -> str:
    check = 0
    for ch in body:
        check ^= ord(ch)
    return f"${body}*{check:02X}"


def test_nmea_degrees():
    assert nmea_degrees("4739.2552", "N", max_degrees=90) == pytest.approx(47 + 39.2552 / 60)
    assert nmea_degrees("12218.5815", "W", max_degrees=180) == pytest.approx(-(122 + 18.5815 / 60))
    assert nmea_degrees("3351.0000", "S", max_degrees=90) == pytest.approx(-33.85)
    assert nmea_degrees("4760.0000", "N", max_degrees=90) is None  # 60 minutes
    assert nmea_degrees("9130.0", "N", max_degrees=90) is None
    assert nmea_degrees("4739.2552", "E", max_degrees=90) is None
    assert nmea_degrees("", "N", max_degrees=90) is None


def _write_dzg(path, epochs, extra_lines=()):
    lines = []
    for scan, hhmmss, lat, ns, lon, ew, quality, alt in epochs:
        lines.append(nmea(f"GSSIS,{scan},-1"))
        lines.append(nmea(f"GPGGA,{hhmmss},{lat},{ns},{lon},{ew},{quality},08,0.9,{alt},M,-17.0,M,,"))
        lines.append("")
    lines.extend(extra_lines)
    path.write_text("\n".join(lines) + "\n")


def test_dzg_interpolation_hemispheres_and_midnight(tmp_path):
    path, _ = _small_file(tmp_path, n_tr=41)
    epochs = [
        (0, "235958.00", "3351.0000", "S", "15112.0000", "E", 1, "10.0"),
        (20, "235959.00", "3351.0600", "S", "15112.1200", "E", 2, "12.0"),
        (40, "000000.00", "3351.1200", "S", "15112.2400", "E", 4, "14.0"),
    ]
    garbage = ["$GPGGA,garbled", nmea("GSSIS,x,-1"), "$GSSIS,5,-1*00", "random text",
               nmea("GPRMC,235958.00,A,3351.0000,S,15112.0000,E,0.1,0.0,311224,,,A")]
    _write_dzg(path.with_suffix(".DZG"), epochs, garbage)
    da = read_dzt(path)
    lat0, lat1 = -(33 + 51.0 / 60), -(33 + 51.06 / 60)
    lon0, lon1 = 151 + 12.0 / 60, 151 + 12.12 / 60
    assert da[cv.LAT].values[0] == pytest.approx(lat0) and da[cv.LON].values[0] == pytest.approx(lon0)
    assert da[cv.LAT].values[10] == pytest.approx((lat0 + lat1) / 2)
    assert da[cv.LON].values[10] == pytest.approx((lon0 + lon1) / 2)
    assert da[cv.ELEVATION].values[30] == pytest.approx(13.0)
    # RMC date 31 Dec 2024; the last fix rolls over into 2025
    assert da[cv.TIME].values[0] == np.datetime64("2024-12-31T23:59:58", "ns")
    assert da[cv.TIME].values[10] == np.datetime64("2024-12-31T23:59:58.5", "ns")
    assert da[cv.TIME].values[40] == np.datetime64("2025-01-01T00:00:00", "ns")
    assert da.attrs["gps_fixes"] == 3


def test_dzg_min_quality_and_no_usable_fixes(tmp_path, caplog):
    path, _ = _small_file(tmp_path, n_tr=10)
    _write_dzg(path.with_suffix(".dzg"), [(0, "120000", "4500.0", "N", "00700.0", "W", 0, ""),
                                          (9, "120001", "4500.6", "N", "00700.6", "W", 1, "")])
    da = read_dzt(path, min_fix_quality=1)
    assert da.attrs["gps_fixes"] == 1
    np.testing.assert_allclose(da[cv.LAT].values, 45.01)  # one fix: held for every trace
    path.with_suffix(".dzg").write_text("$GSSIS,1,-1\n$GPGGA,bad\nnot nmea at all\n\x00\x01\x02\n")
    with caplog.at_level(logging.WARNING):
        da = read_dzt(path)
    assert not {cv.LON, cv.LAT, cv.TIME} & set(da.coords)
    assert "no usable GPS fixes" in caplog.text


def test_gps_time_without_date_anchor_is_omitted():
    fixes = DzgFixes(
        scan=np.array([0, 4]), lon=np.array([1.0, 2.0]), lat=np.array([3.0, 4.0]),
        elevation=np.array([np.nan, np.nan]), time_of_day=np.array([10.0, 11.0]), quality=np.array([1, 1]))
    coords = gps_trace_coords(fixes, 5, created=None)
    assert set(coords) == {cv.LON, cv.LAT}
    np.testing.assert_allclose(coords[cv.LON], [1.0, 1.25, 1.5, 1.75, 2.0])


# --- DZX ----------------------------------------------------------------------------------


DZX_TEXT = """<?xml version="1.0" encoding="UTF-8"?>
<DZX xmlns="www.geophysical.com/DZX/1.02">
  <GlobalProperties><horizontalUnit>cm</horizontalUnit><dielectric>7.5</dielectric>
    <unitsPerScan>2.5</unitsPerScan></GlobalProperties>
  <File><Profile>
    <WayPt><scan>2</scan><mark>User</mark><name>Mark1</name></WayPt>
    <WayPt><scan>4</scan><mark>Distance</mark></WayPt>
    <WayPt><scan>99</scan><mark>User</mark></WayPt>
  </Profile></File>
  <TargetGroup><TargetWayPt><scanSampChanProp>3,100,0</scanSampChanProp></TargetWayPt></TargetGroup>
  <Macro><BinaryData size="3">&lt;&lt; not xml at all </BinaryData>
</DZX>
"""


def test_dzx_spacing_units_marks_and_dielectric(tmp_path):
    values = np.zeros((6, 10), dtype=np.float32)
    path = tmp_path / "x.dzt"
    da = make_radargram(values).drop_vars(cv.DISTANCE)
    write_dzt(da, path)
    path.with_suffix(".DZX").write_text(DZX_TEXT)
    info = parse_dzx(path.with_suffix(".DZX"))
    assert info.trace_spacing_m == pytest.approx(0.025) and info.user_marks == [2, 3, 99]
    back = read_dzt(path)
    np.testing.assert_allclose(back[cv.DISTANCE].values, np.arange(6) * 0.025)
    np.testing.assert_array_equal(np.flatnonzero(back[cv.MARK].values), [2, 3])
    assert back.attrs[cv.ATTR_RELATIVE_PERMITTIVITY] == 7.5  # header has none; the DZX's is used


def test_garbage_dzx_is_ignored(tmp_path):
    path, values = _small_file(tmp_path)
    path.with_suffix(".DZX").write_bytes(b"\x00\xff<<DZX><unitsPerScan>nan</unitsPerScan>" * 3)
    da = read_dzt(path)
    np.testing.assert_array_equal(da.values[:, 2:], values[0][:, 2:])
    assert da.attrs["distance_source"] == "DZT rhf_spm"


def test_per_channel_time_zero_and_long_antenna_name(tmp_path):
    values = np.arange(3 * 4 * 12, dtype=np.float32).reshape(3, 4, 12)
    attrs = {cv.ATTR_TIME_ZERO: [1.5, 2.0, 2.5], cv.ATTR_ANTENNA: "Ricker 400 MHz", cv.ATTR_FREQUENCY: 400e6}
    path = tmp_path / "tz.dzt"
    write_dzt(make_radargram(values, attrs=attrs), path)
    data = path.read_bytes()
    positions = [struct.unpack_from("<f", data, 1024 * c + 22)[0] for c in range(3)]
    assert positions == [-1.5, -2.0, -2.5]  # each channel's own header block
    back = read_dzt(path)
    assert back.attrs[cv.ATTR_TIME_ZERO] == [1.5, 2.0, 2.5]
    assert back.attrs[cv.ATTR_FREQUENCY] == 400e6  # the 14-byte name field keeps the frequency
    with pytest.raises(ValueError, match="time_zero_ns"):
        write_dzt(make_radargram(values, attrs={cv.ATTR_TIME_ZERO: [1.0, 2.0]}), path)
