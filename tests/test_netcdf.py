"""netCDF-4 and zarr: exact round trips of radargrams, volumes and pavement Datasets."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import roadbed
from roadbed import conventions as cv
from roadbed.io import netcdf
from roadbed.model import append_history, flat_attrs, radargram

FORMATS = ["nc", "zarr"]

# text that netCDF (UTF-8, NUL-terminated in HDF5) and zarr (JSON) both store
_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)
_finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
_attr_values = st.one_of(
    _text,
    st.integers(-(2**62), 2**62),
    st.floats(allow_infinity=False, width=64),
    st.lists(st.integers(-(2**31), 2**31), min_size=1, max_size=5),
    st.lists(_finite, min_size=1, max_size=5),
)
_attr_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12).filter(
    lambda s: s not in ("history", "units", "long_name", "coordinates", "_FillValue"))


@st.composite
def radargrams(draw):
    """Random 2-D or 3-D radargrams with every coordinate of the data model."""
    three_d = draw(st.booleans())
    n_ch = draw(st.integers(1, 3))
    n_tr = draw(st.integers(1, 6))
    n_s = draw(st.integers(1, 8))
    shape = (n_ch, n_tr, n_s) if three_d else (n_tr, n_s)
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int16, np.int32]))
    data = draw(hnp.arrays(dtype, shape, elements=hnp.from_dtype(np.dtype(dtype), allow_infinity=False)))
    dt = draw(st.floats(0.001, 10.0))
    t0 = draw(st.floats(-50.0, 50.0))
    twt = t0 + np.arange(n_s) * dt
    coords = {}
    if draw(st.booleans()):
        coords[cv.X] = draw(hnp.arrays(np.float64, n_tr, elements=_finite))
        coords[cv.Y] = draw(hnp.arrays(np.float64, n_tr, elements=_finite))
    if draw(st.booleans()):
        coords[cv.LON] = draw(hnp.arrays(np.float64, n_tr, elements=st.floats(-180, 180)))
        coords[cv.LAT] = draw(hnp.arrays(np.float64, n_tr, elements=st.floats(-90, 90)))
    if draw(st.booleans()):
        ns = draw(hnp.arrays(np.int64, n_tr, elements=st.integers(-(2**62), 2**62)))
        coords[cv.TIME] = ns.astype("datetime64[ns]")
    if draw(st.booleans()):
        coords[cv.MARK] = draw(hnp.arrays(np.int32, n_tr))
    if draw(st.booleans()):
        coords[cv.ELEVATION] = draw(hnp.arrays(np.float64, n_tr, elements=_finite))
    distance = draw(st.none() | hnp.arrays(np.float64, n_tr, elements=_finite))
    offset = draw(hnp.arrays(np.float64, n_ch, elements=_finite)) if three_d else None
    attrs = draw(st.dictionaries(_attr_names, _attr_values, max_size=6))
    da = radargram(data, twt_ns=twt, distance_m=distance, offset_m=offset, trace_coords=coords, attrs=attrs)
    for step in range(draw(st.integers(0, 2))):
        da = append_history(da, f"step{step}", value=step)
    return da


def _path(tmp: str, kind: str) -> Path:
    return Path(tmp) / f"obj.{kind}"


@pytest.mark.parametrize("kind", FORMATS)
@given(da=radargrams())
def test_radargram_round_trip_identical(kind, da):
    with tempfile.TemporaryDirectory() as tmp:
        path = _path(tmp, kind)
        roadbed.write(da, path)
        xr.testing.assert_identical(netcdf.load(path), da)
        back = roadbed.read(path)
        xr.testing.assert_identical(back, da)
        assert back.attrs[cv.ATTR_HISTORY] == da.attrs[cv.ATTR_HISTORY]
        assert back.dtype == da.dtype


@pytest.mark.parametrize("kind", FORMATS)
def test_times_exact_to_the_nanosecond(tmp_path, kind):
    times = np.array(["1677-09-22T00:12:43.145224193", "1969-12-31T23:59:59.999999999",
                      "2024-02-29T12:00:00.000000001", "NaT", "2262-04-11T23:47:16.854775807"],
                     dtype="datetime64[ns]")
    da = radargram(np.zeros((5, 3), np.float32), twt_ns=[0.0, 0.1, 0.2], trace_coords={cv.TIME: times})
    path = tmp_path / f"t.{kind}"
    netcdf.save(da, path)
    back = netcdf.load(path)
    assert back[cv.TIME].dtype == np.dtype("datetime64[ns]")
    np.testing.assert_array_equal(back[cv.TIME].values.view(np.int64), times.view(np.int64))


@pytest.mark.parametrize("kind", FORMATS)
@pytest.mark.parametrize("vertical", [cv.TWT, cv.DEPTH])
def test_gridded_volume_round_trip(tmp_path, kind, vertical):
    rng = np.random.default_rng(3)
    vol = xr.DataArray(
        rng.normal(size=(4, 3, 5)).astype(np.float32),
        dims=(cv.ALONG, cv.ACROSS, vertical),
        coords={cv.ALONG: np.arange(4) * 0.05, cv.ACROSS: np.arange(3) * 0.075 - 0.075,
                vertical: np.arange(5) * 0.02},
        attrs={cv.ATTR_HISTORY: "2024-01-01T00:00:00Z roadbed 0.1.0: grid()", cv.ATTR_RELATIVE_PERMITTIVITY: 6.5},
        name="amplitude",
    )
    path = tmp_path / f"v.{kind}"
    netcdf.save(vol, path)
    xr.testing.assert_identical(netcdf.load(path), vol)
    xr.testing.assert_identical(roadbed.read(path), vol)


def _pavement(rng) -> xr.Dataset:
    along, across = np.arange(6) * 0.005, np.arange(4) * 0.001
    return xr.Dataset(
        {cv.ELEVATION: ((cv.ALONG, cv.ACROSS), rng.normal(size=(6, 4)), {cv.ATTR_UNITS: cv.UNIT_M}),
         cv.INTENSITY: ((cv.ALONG, cv.ACROSS), rng.integers(0, 255, (6, 4)).astype(np.uint8))},
        coords={cv.ALONG: along, cv.ACROSS: across},
        attrs={cv.ATTR_HISTORY: "", "lane": 2, "profile_spacing_m": [0.005]},
    )


@pytest.mark.parametrize("kind", FORMATS)
def test_pavement_dataset_round_trip(tmp_path, kind):
    ds = _pavement(np.random.default_rng(1))
    path = tmp_path / f"p.{kind}"
    netcdf.save(ds, path)
    back = netcdf.load(path)
    assert isinstance(back, xr.Dataset)
    xr.testing.assert_identical(back, ds)
    assert back.attrs["profile_spacing_m"] == [0.005]  # a one-element list stays a list
    with pytest.raises(roadbed.FormatError, match="data variables"):
        roadbed.read(path)
    xr.testing.assert_identical(roadbed.read(path, variable=cv.INTENSITY), ds[cv.INTENSITY])


@pytest.mark.parametrize("kind", FORMATS)
def test_unnamed_dataarray_keeps_no_name(tmp_path, kind):
    da = radargram(np.ones((2, 2), np.float32), twt_ns=[0.0, 1.0])
    da.name = None
    path = tmp_path / f"u.{kind}"
    netcdf.save(da, path)
    back = netcdf.load(path)
    assert back.name is None
    xr.testing.assert_identical(back, da)


@pytest.mark.parametrize("kind", FORMATS)
@pytest.mark.parametrize("bad", [True, None, {"a": 1}, ["a", "b"], [], [True, False]])
def test_unstorable_attribute_raises_naming_it(tmp_path, kind, bad):
    da = radargram(np.ones((2, 2), np.float32), twt_ns=[0.0, 1.0])
    da.attrs["raw_gps_ok"] = bad
    with pytest.raises(ValueError, match="raw_gps_ok.*flat_attrs"):
        netcdf.save(da, tmp_path / f"b.{kind}")
    da[cv.TWT].attrs["flag"] = bad
    del da.attrs["raw_gps_ok"]
    with pytest.raises(ValueError, match="'flag' of variable 'twt'"):
        netcdf.save(da, tmp_path / f"c.{kind}")


@pytest.mark.parametrize("kind", FORMATS)
def test_flat_attrs_make_headers_storable(tmp_path, kind):
    raw = {"gps_ok": True, "missing": None, "nested": {"a": [1, 2]}, "names": ["a", "b"], "n": 3}
    da = radargram(np.ones((2, 2), np.float32), twt_ns=[0.0, 1.0], attrs=flat_attrs(raw, prefix="raw_"))
    path = tmp_path / f"f.{kind}"
    netcdf.save(da, path)
    back = netcdf.load(path)
    assert back.attrs["raw_gps_ok"] == 1
    assert "raw_missing" not in back.attrs
    assert back.attrs["raw_nested"] == '{"a": [1, 2]}'
    assert back.attrs["raw_names"] == '["a", "b"]'
    xr.testing.assert_identical(back, da)


@pytest.mark.parametrize("kind", FORMATS)
def test_save_leaves_the_input_untouched(tmp_path, kind):
    da = radargram(np.ones((2, 2), np.float32), twt_ns=[0.0, 1.0], attrs={"one": [1]})
    before = da.copy(deep=True)
    netcdf.save(da, tmp_path / f"s.{kind}")
    xr.testing.assert_identical(da, before)
    assert da.attrs == before.attrs and da[cv.TWT].attrs == before[cv.TWT].attrs


def test_lazy_netcdf_reads_on_demand_and_closes(tmp_path, monkeypatch):
    rng = np.random.default_rng(2)
    da = radargram(rng.normal(size=(50, 40)).astype(np.float32), twt_ns=np.arange(40) * 0.1)
    path = tmp_path / "big.nc"
    netcdf.save(da, path)
    eager = netcdf.load(path)
    assert isinstance(eager.variable._data, np.ndarray)
    monkeypatch.setattr(netcdf, "LAZY_THRESHOLD_BYTES", 0)  # every file counts as large now
    lazy = roadbed.read(path)
    assert not isinstance(lazy.variable._data, np.ndarray)
    np.testing.assert_array_equal(lazy.isel(trace=slice(10, 12)).values, da.values[10:12])
    xr.testing.assert_identical(lazy, da)
    lazy.close()


def test_classic_netcdf3_is_read(tmp_path):
    da = radargram(np.arange(6, dtype=np.float32).reshape(3, 2), twt_ns=[0.0, 0.5],
                   distance_m=[0.0, 0.1, 0.2], attrs={"frequency_hz": 4e8})
    path = tmp_path / "classic.nc"
    da.to_netcdf(path, engine="scipy")
    assert path.read_bytes()[:3] == b"CDF"
    assert roadbed.detect_format(path).name == "netcdf"
    back = roadbed.read(path)
    np.testing.assert_array_equal(back.values, da.values)
    np.testing.assert_array_equal(back[cv.DISTANCE].values, [0.0, 0.1, 0.2])
    assert back.attrs["frequency_hz"] == 4e8


def test_detects_zarr_store_and_refuses_to_clobber_directories(tmp_path):
    da = radargram(np.ones((2, 2), np.float32), twt_ns=[0.0, 1.0])
    store = tmp_path / "line.zarr"
    netcdf.save(da, store)
    assert roadbed.detect_format(store).name == "zarr"
    netcdf.save(da * 2, store)  # replacing a store is fine
    np.testing.assert_array_equal(netcdf.load(store).values, 2 * da.values)
    other = tmp_path / "photos.zarr"
    other.mkdir()
    (other / "keep.jpg").write_bytes(b"x")
    with pytest.raises(ValueError, match="not a zarr store"):
        netcdf.save(da, other)
    assert (other / "keep.jpg").exists()


def test_zarr_missing_gives_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "zarr", None)
    da = radargram(np.ones((2, 2), np.float32), twt_ns=[0.0, 1.0])
    with pytest.raises(ImportError, match=r"roadbed\[zarr\]"):
        netcdf.save(da, tmp_path / "x.zarr")
    netcdf.save(da, tmp_path / "x.nc")  # netCDF needs no zarr


def test_not_netcdf_is_format_error(tmp_path):
    path = tmp_path / "junk.nc"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(roadbed.FormatError, match="junk.nc"):
        netcdf.load(path)
    path.write_bytes(b"hello world")
    with pytest.raises(roadbed.FormatError, match="magic"):
        netcdf.load(path)


def _heap_objects(raw: bytes):
    """(collection start, [(object header offset, index, size)]) of the first HDF5 global heap."""
    start = raw.index(b"GCOL")
    end = start + int.from_bytes(raw[start + 8:start + 16], "little")
    objects, p = [], start + 16
    while p + 16 <= end:
        index, size = int.from_bytes(raw[p:p + 2], "little"), int.from_bytes(raw[p + 8:p + 16], "little")
        objects.append((p, index, size))
        p += 16 + ((size + 7) & ~7) if index else size
    return start, objects


def test_global_heap_that_would_hang_hdf5_is_format_error(tmp_path):
    """A zero-size heap object makes HDF5's heap decoder loop forever; roadbed refuses the file first."""
    da = radargram(np.ones((2, 2), np.float32), twt_ns=[0.0, 1.0], attrs={"note": "a string in the heap"})
    good = tmp_path / "good.nc"
    netcdf.save(da, good)
    raw = bytearray(good.read_bytes())
    start, objects = _heap_objects(bytes(raw))
    free = [p for p, index, _ in objects if index == 0]
    assert free, "the collection ends in a free-space object"
    raw[free[0] + 8:free[0] + 16] = bytes(8)  # free space of size 0
    bad = tmp_path / "bad.nc"
    bad.write_bytes(bytes(raw))
    with pytest.raises(roadbed.FormatError, match=f"global heap collection at byte {start}"):
        roadbed.read(bad)
    xr.testing.assert_identical(roadbed.read(good), da)


@pytest.fixture(scope="module")
def netcdf_file(tmp_path_factory):
    times = np.arange(8).astype("datetime64[s]").astype("datetime64[ns]")
    da = radargram(np.random.default_rng(0).normal(size=(8, 20)).astype(np.float32), twt_ns=np.arange(20) * 0.1,
                   distance_m=np.arange(8) * 0.1, trace_coords={cv.TIME: times}, attrs={"a": [1, 2], "s": "text"})
    path = tmp_path_factory.mktemp("nc_written") / "line.nc"
    netcdf.save(da, path)
    return path


@given(data=st.data())
def test_mutated_netcdf_reads_or_format_error(netcdf_file, tmp_path_factory, data):
    from fuzzing import apply, assert_reads_or_format_error, mutations

    original = netcdf_file.read_bytes()
    edits = data.draw(mutations(len(original), header_size=len(original)))
    folder = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp()))
    target = folder / "m.nc"
    target.write_bytes(apply(original, edits))
    assert_reads_or_format_error(target, read=netcdf.read_netcdf)
