"""Fuzzing the SEG-Y and gprMax readers: every mutated file reads validly or raises FormatError.

SEG-Y targets are files roadbed writes (2-D and 3-D) and an IBM-float file
written by segyio; gprMax targets are small HDF5 files written here in the
gprMax 4 layout and, where present, the real gprMax 3 B-scan.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
import struct

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import roadbed
from roadbed import conventions as cv
from roadbed.io.gprmax import read_gprmax
from roadbed.io.segy import read_segy
from fuzzing import apply, assert_reads_or_format_error, mutations

SEGY_HEADER = 3600 + 2 * 240  # file header and the first two trace headers


def _fresh(root, name):
    """A new, empty folder under ``root`` for one mutated file."""
    return Path(tempfile.mkdtemp(dir=root)) / name


def _check(path, read):
    da = assert_reads_or_format_error(path, read=read)
    if da is not None:
        assert da.dtype == np.float32
        assert np.all(np.isfinite(da[cv.TWT].values))
        assert np.all(np.diff(da[cv.TWT].values) > 0)
        for name in (cv.DISTANCE, cv.X, cv.Y):
            if name in da.coords:
                assert da[name].shape == (da.sizes[cv.TRACE],)
    return da


@pytest.fixture(scope="module")
def segy_files(tmp_path_factory):
    """name → SEG-Y file: roadbed 2-D with positions, roadbed 3-D, segyio IBM 3-D."""
    segyio = pytest.importorskip("segyio")
    root = tmp_path_factory.mktemp("segy_written")
    rng = np.random.default_rng(11)
    out = {}
    line = roadbed.radargram(rng.normal(size=(12, 48)).astype(np.float32), twt_ns=np.arange(48) * 0.1,
                             trace_coords={cv.X: 1000 + np.arange(12) * 0.05, cv.Y: np.full(12, 2000.0),
                                           cv.ELEVATION: np.linspace(10, 11, 12)})
    out["line"] = root / "line.sgy"
    roadbed.write(line, out["line"])
    cube = roadbed.radargram(rng.normal(size=(3, 6, 32)).astype(np.float32), twt_ns=np.arange(32) * 0.2,
                             offset_m=[-0.1, 0.0, 0.1], distance_m=np.arange(6) * 0.02)
    out["cube"] = root / "cube.sgy"
    roadbed.write(cube, out["cube"])
    out["ibm"] = root / "ibm.sgy"
    segyio.tools.from_array(out["ibm"], rng.normal(size=(2, 5, 40)).astype(np.float32), format=1, dt=4000)
    return out


@given(data=st.data())
@settings(max_examples=40)
def test_mutated_segy(segy_files, tmp_path_factory, data):
    name = data.draw(st.sampled_from(sorted(segy_files)))
    original = segy_files[name].read_bytes()
    edits = data.draw(mutations(len(original), header_size=SEGY_HEADER))
    target = _fresh(tmp_path_factory.getbasetemp(), "m.sgy")
    target.write_bytes(apply(original, edits))
    _check(target, read_segy)


def _patched(original: bytes, offset: int, fmt: str, value) -> bytes:
    buf = bytearray(original)
    struct.pack_into(fmt, buf, offset, value)
    return bytes(buf)


# binary header fields (byte offset, struct code) and values a broken writer might leave there
_FIELD_VALUES = [
    (3220, ">H", [0, 1, 47, 49, 4800, 65535]),  # samples per trace
    (3224, ">h", list(range(-1, 20)) + [0x7FFF]),  # sample format code
    (3216, ">H", [0, 1, 65535]),  # sample interval
    (3504, ">h", [-1, 1, 2, 0x7FFF]),  # extended textual headers
    (3500, ">B", [2, 255]),  # revision (enables the rev 2 fields below)
    (3268, ">i", [-1, 0x7FFFFFFF]),  # rev 2 extended samples
    (3296, ">I", [0x04030201, 0x01020304, 0]),  # rev 2 byte-order word
]


@pytest.mark.parametrize("offset,fmt,values", _FIELD_VALUES)
def test_absurd_binary_header_fields(segy_files, tmp_path_factory, offset, fmt, values):
    original = segy_files["line"].read_bytes()
    for value in values:
        target = _fresh(tmp_path_factory.getbasetemp(), "f.sgy")
        target.write_bytes(_patched(original, offset, fmt, value))
        _check(target, read_segy)


def test_wrong_sample_count_or_truncation_is_format_error(segy_files, tmp_path_factory):
    original = segy_files["line"].read_bytes()
    trace_bytes = 240 + 48 * 4
    for cut in (0, 100, 3599, 3600, 3600 + 239, 3600 + trace_bytes - 1, 3600 + 5 * trace_bytes + 17,
                len(original) - 1):
        target = _fresh(tmp_path_factory.getbasetemp(), "t.sgy")
        target.write_bytes(original[:cut])
        with pytest.raises(roadbed.FormatError, match="file size|samples per trace"):
            read_segy(target)
    for ns in (47, 49, 4800):  # the traces no longer tile the file
        target = _fresh(tmp_path_factory.getbasetemp(), "n.sgy")
        target.write_bytes(_patched(original, 3220, ">H", ns))
        with pytest.raises(roadbed.FormatError):
            read_segy(target)
    target = _fresh(tmp_path_factory.getbasetemp(), "c.sgy")
    target.write_bytes(_patched(original, 3224, ">h", 4))  # fixed-point format: unsupported
    with pytest.raises(roadbed.FormatError, match="format"):
        read_segy(target)


def _gprmax_small(path):
    n_tr, iterations = 6, 50
    rng = np.random.default_rng(5)
    with h5py.File(path, "w") as f:
        f.attrs.update({"gprMax": "4.0.0", "Title": "fuzz", "Iterations": iterations, "dt": 2e-12, "nrx": 1,
                        "nsrc": 1, "dx_dy_dz": (0.002, 0.002, 0.002), "srcsteps": (1, 0, 0), "rxsteps": (1, 0, 0), "ntraces": n_tr})
        f.create_dataset("rxs/rx1/Ez", data=rng.normal(size=(iterations, n_tr)).astype(np.float32))
        src = np.column_stack([0.1 + np.arange(n_tr) * 0.002, np.full(n_tr, 0.2), np.zeros(n_tr)])
        f.create_dataset("trace_metadata/srcs/src1/Position", data=src)
        f.create_dataset("trace_metadata/rxs/rx1/Position", data=src + [0.04, 0, 0])


@pytest.fixture(scope="module")
def gprmax_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("gprmax_written") / "small_merged.out"
    _gprmax_small(path)
    return path


@given(data=st.data())
@settings(max_examples=40)
def test_mutated_gprmax(gprmax_file, tmp_path_factory, data):
    original = gprmax_file.read_bytes()
    # HDF5 keeps its metadata (object headers, B-trees, heaps) throughout, not only at the start
    edits = data.draw(mutations(len(original), header_size=len(original)))
    target = _fresh(tmp_path_factory.getbasetemp(), "m.out")
    target.write_bytes(apply(original, edits))
    _check(target, read_gprmax)


def test_truncated_and_zeroed_hdf5(gprmax_file, tmp_path_factory):
    original = gprmax_file.read_bytes()
    for cut in (0, 8, 100, 1000, len(original) // 2, len(original) - 1):
        target = _fresh(tmp_path_factory.getbasetemp(), "t.out")
        target.write_bytes(original[:cut])
        assert _check(target, read_gprmax) is None or cut == len(original) - 1
    target = _fresh(tmp_path_factory.getbasetemp(), "z.out")
    target.write_bytes(bytes(len(original)))
    with pytest.raises(roadbed.FormatError, match="z.out"):
        read_gprmax(target)


@pytest.mark.parametrize("cut_fraction", [0.0, 0.001, 0.2, 0.34, 0.5, 0.999])
def test_truncated_real_gprmax(gpr_data, tmp_path_factory, cut_fraction):
    original = (gpr_data / "gprmax3_cylinder_bscan.out").read_bytes()
    target = _fresh(tmp_path_factory.getbasetemp(), "real.out")
    target.write_bytes(original[:int(len(original) * cut_fraction)])
    with pytest.raises(roadbed.FormatError, match="real.out"):
        read_gprmax(target)
