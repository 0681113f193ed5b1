"""Fuzzing the DZT reader: every mutated file reads validly or raises FormatError.

Runs on the real GSSI files where present and always on files that roadbed's
own writer makes (1 and 3 channels, 8/16/32 bits), so it runs on any machine.
"""

from __future__ import annotations

import itertools
import shutil
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import roadbed
from roadbed import conventions as cv
from roadbed.io.dzt import read_dzt, write_dzt
from fuzzing import apply, assert_reads_or_format_error, copy_with_sidecars, mutations

REAL = ["gssi_sir3000_400mhz_dune.DZT", "gssi_sir4000_200mhz_gps.DZT"]
SIDECARS = (".DZG", ".DZX")
_counter = itertools.count()


def _fresh_dir(root):
    path = root / f"case{next(_counter)}"
    path.mkdir()
    return path


def _check(path):
    da = assert_reads_or_format_error(path, read=read_dzt)
    if da is not None:
        assert da.dtype == np.float32
        assert da.sizes[cv.TWT] >= 3 and da.sizes[cv.TRACE] >= 1
        assert np.all(np.isfinite(da[cv.TWT].values))
    return da


@pytest.fixture(scope="module")
def written_files(tmp_path_factory):
    """DZT files made by write_dzt: (bits, channels) → path."""
    root = tmp_path_factory.mktemp("dzt_written")
    rng = np.random.default_rng(3)
    out = {}
    for bits, nchan in [(16, 1), (32, 3), (8, 2)]:
        values = rng.integers(-100, 100, size=(nchan, 30, 64)).astype(np.float32)
        da = roadbed.radargram(values[0] if nchan == 1 else values, twt_ns=np.arange(64) * 0.2,
                               distance_m=np.arange(30) * 0.05,
                               trace_coords={cv.MARK: np.arange(30) % 10 == 0})
        path = root / f"w{bits}_{nchan}.DZT"
        write_dzt(da, path, bits=bits)
        out[(bits, nchan)] = path
    return out


@given(data=st.data())
@settings(max_examples=40)
def test_mutated_written_files(written_files, tmp_path_factory, data):
    key = data.draw(st.sampled_from(sorted(written_files)))
    src = written_files[key]
    original = src.read_bytes()
    edits = data.draw(mutations(len(original), header_size=1024 * key[1]))
    target = _fresh_dir(tmp_path_factory.getbasetemp()) / src.name
    target.write_bytes(apply(original, edits))
    _check(target)


@pytest.mark.parametrize("name", REAL)
@given(data=st.data())
@settings(max_examples=20)
def test_mutated_real_files(gpr_data, tmp_path_factory, name, data):
    src = gpr_data / name
    original = src.read_bytes()
    edits = data.draw(mutations(len(original)))
    target = copy_with_sidecars(src, _fresh_dir(tmp_path_factory.getbasetemp()), SIDECARS)
    target.write_bytes(apply(original, edits))
    _check(target)


@given(data=st.data(), field=st.sampled_from([0, 2, 4, 6, 10, 14, 22, 26, 32, 52, 54]))
@settings(max_examples=40)
def test_absurd_header_counts(written_files, tmp_path_factory, data, field):
    """Every numeric header field set to an extreme value (the counts that size the data)."""
    src = written_files[data.draw(st.sampled_from(sorted(written_files)))]
    buf = bytearray(src.read_bytes())
    if field in (10, 14, 22, 26, 54):
        value = data.draw(st.sampled_from([0.0, -1.0, 1e-42, 3.4e38, float("nan"), float("inf"), 1e7, 1e8]))
        struct.pack_into("<f", buf, field, value)
    else:
        value = data.draw(st.sampled_from([0, 1, 2, 3, 255, 1023, 1024, 1025, 0x7FFF, 0x8000, 0xFFFF]))
        struct.pack_into("<H", buf, field, value)
    target = _fresh_dir(tmp_path_factory.getbasetemp()) / src.name
    target.write_bytes(bytes(buf))
    _check(target)


@given(cut=st.integers(0, 4000))
@settings(max_examples=30)
def test_truncated_anywhere(written_files, tmp_path_factory, cut):
    src = written_files[(32, 3)]
    data = src.read_bytes()
    target = _fresh_dir(tmp_path_factory.getbasetemp()) / "cut.dzt"
    target.write_bytes(data[: len(data) - cut])
    da = _check(target)
    scan = 3 * 64 * 4
    whole = (len(data) - cut - 3 * 1024) // scan
    if whole >= 1:
        assert da is not None and da.sizes[cv.TRACE] == whole
        assert da.attrs["truncated_bytes"] == (len(data) - cut - 3 * 1024) % scan
    else:
        assert da is None


_nmea_like = st.lists(
    st.one_of(
        st.text(alphabet=st.sampled_from(list("$GPSAMCRIS,.*0123456789NSEW-\n\r \x00")), max_size=80),
        st.builds(lambda s, t: f"$GSSIS,{s},-1\n$GPGGA,{t},4739.2552,N,12218.5815,W,1,08,0.9,12.0,M,,M,,",
                  st.integers(-5, 10**20), st.text(alphabet="0123456789.", max_size=12)),
    ),
    max_size=20,
)


@given(lines=_nmea_like, dzx=st.binary(max_size=400))
@settings(max_examples=40)
def test_garbled_sidecars_never_break_the_read(written_files, tmp_path_factory, lines, dzx):
    src = written_files[(16, 1)]
    folder = _fresh_dir(tmp_path_factory.getbasetemp())
    target = folder / src.name
    shutil.copyfile(src, target)
    target.with_suffix(".DZG").write_text("\n".join(lines), errors="replace")
    target.with_suffix(".DZX").write_bytes(b"<DZX>" + dzx)
    da = read_dzt(target)
    assert da.sizes == {cv.TRACE: 30, cv.TWT: 64}
    for name in (cv.LON, cv.LAT):
        if name in da.coords:
            assert np.all(np.isfinite(da[name].values))


def test_wrong_extension_still_reads(written_files, tmp_path):
    for path in written_files.values():
        renamed = tmp_path / (path.stem + ".bin")
        shutil.copyfile(path, renamed)
        assert roadbed.read(renamed).attrs[cv.ATTR_FORMAT] == "dzt"
