"""The data model's constructor, history, attribute flattening, errors and hazard records."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import roadbed
from roadbed import conventions as cv
from roadbed.hazards import Hazard
from roadbed.io._lazy import lazy_variable
from roadbed.model import flat_attrs


def test_radargram_2d_has_model_dims_coords_and_units():
    data = np.zeros((5, 8), dtype=np.float32)
    da = roadbed.radargram(data, twt_ns=np.arange(8) * 0.5, distance_m=np.arange(5) * 0.05)
    assert da.dims == (cv.TRACE, cv.TWT)
    assert da[cv.TWT].attrs[cv.ATTR_UNITS] == "ns"
    assert da[cv.DISTANCE].attrs[cv.ATTR_UNITS] == "m"
    assert da[cv.DISTANCE].dims == (cv.TRACE,)
    np.testing.assert_allclose(da[cv.TWT].values[-1], 3.5)
    assert da.attrs[cv.ATTR_HISTORY] == ""


def test_radargram_3d_gets_channel_offsets():
    da = roadbed.radargram(np.ones((3, 4, 6)), twt_ns=np.arange(6.0), offset_m=[0.0, 0.075, 0.15])
    assert da.dims == (cv.CHANNEL, cv.TRACE, cv.TWT)
    np.testing.assert_allclose(da[cv.OFFSET].values, [0.0, 0.075, 0.15])
    assert da[cv.OFFSET].attrs[cv.ATTR_UNITS] == "m"


@pytest.mark.parametrize("bad", [dict(twt_ns=np.arange(5.0)), dict(twt_ns=np.arange(6.0), distance_m=[1.0])])
def test_radargram_rejects_mismatched_coords(bad):
    with pytest.raises(ValueError, match="expected"):
        roadbed.radargram(np.ones((4, 6)), **bad)


def test_history_appends_without_touching_input():
    da = roadbed.radargram(np.ones((2, 3)), twt_ns=np.arange(3.0))
    one = roadbed.append_history(da, "read", path="a.dzt")
    two = roadbed.append_history(one, "dewow", window_ns=5.0)
    assert roadbed.history(da) == []
    assert len(roadbed.history(one)) == 1
    lines = roadbed.history(two)
    assert len(lines) == 2
    assert lines[0].endswith("read(path='a.dzt')")
    assert lines[1].endswith("dewow(window_ns=5.0)")


def test_flat_attrs_are_netcdf_storable():
    raw = {"nsamp": np.int16(512), "ok": True, "name": b"3101D\x00\x00", "gain": np.array([1.0, 2.0]),
           "missing": None, "when": np.datetime64("2020-01-02")}
    out = flat_attrs(raw, prefix=cv.RAW_HEADER_PREFIX)
    assert out == {"raw_nsamp": 512, "raw_ok": 1, "raw_name": "3101D", "raw_gain": [1.0, 2.0],
                   "raw_when": "2020-01-02"}
    assert type(out["raw_nsamp"]) is int


def test_lazy_variable_reads_only_the_window():
    raw = np.arange(2 * 50 * 4, dtype=np.int16).reshape(2, 50, 4)
    calls = []

    def convert(block):
        calls.append(block.shape)
        return block.astype(np.float32) - 1

    da = roadbed.radargram(lazy_variable((cv.CHANNEL, cv.TRACE, cv.TWT), raw, convert, np.float32),
                           twt_ns=np.arange(4.0))
    window = da.isel(trace=slice(10, 12)).values
    np.testing.assert_array_equal(window, raw[:, 10:12].astype(np.float32) - 1)
    assert calls == [(2, 2, 4)]


def test_format_error_message_names_file_field_and_expectation():
    err = roadbed.FormatError("survey/line1.dzt", "rh_bits", "8, 16 or 32", got=12)
    assert isinstance(err, ValueError)
    assert str(err) == "survey/line1.dzt: field 'rh_bits': expected 8, 16 or 32, got 12"
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and again.field == "rh_bits"


def test_hazard_round_trips_through_dict():
    pipe = Hazard("pipe", "polyline", [(0, 0.1, 0.5), (4, 0.3, 0.6)], {"diameter_m": 0.2, "material": "metal"})
    assert pipe.depth_m == 0.5
    assert pipe.along_m == 2.0
    assert Hazard.from_dict(pipe.to_dict()) == pipe


@pytest.mark.parametrize("kwargs", [dict(kind="bump"), dict(geometry_type="blob"), dict(vertices=[(1, 2)]),
                                    dict(confidence=1.5)])
def test_hazard_rejects_bad_fields(kwargs):
    args = dict(kind="cavity", geometry_type="point", vertices=[(1, 2, 0.4)])
    args.update(kwargs)
    with pytest.raises(ValueError):
        Hazard(**args)


def test_unknown_file_lists_supported_formats(tmp_path):
    path = tmp_path / "notes.dzt"
    path.write_bytes(b"this is not radar data" * 10)
    with pytest.raises(roadbed.FormatError) as info:
        roadbed.read(path)
    assert "notes.dzt" in str(info.value)
    for name in roadbed.formats():
        assert name in str(info.value)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        roadbed.read(tmp_path / "absent.dzt")


def test_write_refuses_unknown_extension(tmp_path):
    da = roadbed.radargram(np.ones((2, 3)), twt_ns=np.arange(3.0))
    with pytest.raises(roadbed.FormatError, match="extension"):
        roadbed.write(da, tmp_path / "out.xyz")


def test_version_is_exposed():
    import importlib.metadata

    assert roadbed.__version__ == importlib.metadata.version("roadbed")
