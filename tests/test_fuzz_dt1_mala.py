"""Fuzzing the DT1 and MALA readers: every mutated file reads or raises FormatError.

Each target runs on files written here (so fuzzing runs anywhere) and on
the real files where ../shared/data is present.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from fuzzing import apply, assert_reads_or_format_error, mutations
from hypothesis import given
from hypothesis import strategies as st
from test_dt1 import write_dt1
from test_mala import write_rad, write_set

import roadbed
from conftest import GPR_DATA
from roadbed.io import dt1, mala

ABSURD = ["-1", "0", "nan", "inf", "-inf", "1e308", "99999999999999", "", "abc", "2.5", "0x10", "1e-300"]


def _written_dt1(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    data = rng.integers(-3000, 3000, size=(6, 40), dtype=np.int16)
    path = write_dt1(folder, "line", data)
    (folder / "line_gps.xyz").write_text("0,0,0\n1,1,0.5\n2,3,1\n")
    return path


def _written_mala(folder: Path) -> Path:
    rng = np.random.default_rng(1)
    path = folder / "prof.rd3"
    rng.integers(-3000, 3000, size=(6, 32), dtype=np.int16).astype("<i2").tofile(path)
    write_rad(path.with_suffix(".rad"), 32, 6)
    (folder / "prof.cor").write_text(
        "1\t2020-01-02\t03:04:05\t59.5\tN\t18.0\tE\t12.5\tM\t1.2\n"
        "6\t2020-01-02\t03:04:06\t59.6\tN\t18.1\tE\t13.5\tM\t1.2\n")
    return path


def _sources(kind: str):
    """(name, maker) pairs: files written here, plus the real ones where present."""
    makers = {"dt1": [("written", _written_dt1)], "mala": [("written", _written_mala)]}
    real = {"dt1": ["pulseekko_50mhz_line.DT1", "pulseekko_100mhz_warr.DT1"],
            "mala": ["mala_500mhz_ten_traces.rd3"]}
    for name in real[kind]:
        src = GPR_DATA / name
        makers[kind].append((name, _real_copier(src)))
    return makers[kind]


def _real_copier(src: Path):
    def copy(folder: Path) -> Path:
        if not src.exists():
            pytest.skip(f"real GPR files not found at {GPR_DATA}")
        for side in src.parent.iterdir():
            if side.name.lower().startswith(src.stem.lower()):
                shutil.copyfile(side, folder / side.name)
        return folder / src.name
    return copy


def _sidecar(path: Path, suffix: str) -> Path:
    found = [p for p in path.parent.iterdir() if p.name.lower() == (path.stem + suffix).lower()]
    return found[0]


@st.composite
def text_edits(draw, text: str, separator: str):
    """Absurd values, dropped keys and truncation applied to a KEY<sep>value header."""
    lines = text.splitlines()
    keyed = [i for i, line in enumerate(lines) if separator in line]
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            break
        action = draw(st.sampled_from(["value", "drop", "truncate", "garbage"]))
        if action == "value" and keyed:
            i = draw(st.sampled_from(keyed))
            if i < len(lines) and separator in lines[i]:
                key = lines[i].split(separator, 1)[0]
                lines[i] = f"{key}{separator}{draw(st.sampled_from(ABSURD))}"
        elif action == "drop":
            del lines[draw(st.integers(0, len(lines) - 1))]
        elif action == "truncate":
            cut = draw(st.integers(0, len("\n".join(lines))))
            lines = "\n".join(lines)[:cut].splitlines()
        else:
            lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(
                ["\x00\x01binary", ":::", "===", "KEY", "NUMBER OF PTS/TRC = -7", "SAMPLES:1e9"])))
    return "\r\n".join(lines)


def _fresh(tmp_path: Path) -> Path:
    return Path(tempfile.mkdtemp(dir=tmp_path))


# --- DT1 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", _sources("dt1"), ids=lambda s: s[0])
@given(data=st.data())
def test_fuzz_dt1_bytes(tmp_path, source, data):
    folder = _fresh(tmp_path)
    path = source[1](folder)
    raw = path.read_bytes()
    path.write_bytes(apply(raw, data.draw(mutations(len(raw), header_size=512))))
    assert_reads_or_format_error(path, read=dt1.read)


@pytest.mark.parametrize("source", _sources("dt1"), ids=lambda s: s[0])
@given(data=st.data())
def test_fuzz_dt1_hd_text(tmp_path, source, data):
    folder = _fresh(tmp_path)
    path = source[1](folder)
    hd = _sidecar(path, ".HD")
    hd.write_text(data.draw(text_edits(hd.read_text(encoding="latin-1"), "=")), encoding="latin-1")
    assert_reads_or_format_error(path, read=dt1.read)


@given(data=st.data())
def test_fuzz_dt1_gps_sidecars(tmp_path, data):
    folder = _fresh(tmp_path)
    path = _written_dt1(folder)
    xyz = folder / "line_gps.xyz"
    text = data.draw(st.sampled_from([
        "", "a,b,c\n", "1,2\n", "1,2,3\n4,5,6,7\n", "nan,1,2\n", "1e308,1e308,1e308\n-1e308,0,0\n",
        "1,2,3\n1,2,3\n", "\x00\x00", "5, 1, 2, 3\n5, 1, 2, 3\n",
    ]))
    xyz.write_text(text)
    assert_reads_or_format_error(path, read=dt1.read)
    xyz.unlink()
    (folder / "line.GPS").write_text(data.draw(st.sampled_from([
        "Trace #1\n$GPGGA,xx,4807.038,N,01131.000,E,1,08,0.9,545.4,M\n",
        "Trace #1\n$GPGGA,101500,9999.0,N,01131.000,E,1,08,0.9,545.4,M,1,M,,\n",
        "Trace #1\n$GPGGA,101500,,N,,E,0,0,,,M,,M,,\n",
        "Trace #99999999999\n$GPGGA,101500,4807.038,N,01131.000,E,1,08,0.9,abc,M,1,M,,\n",
        "$GPGGA,101500,4807.038,N,01131.000,E,1,08,0.9,1,M,1,M,,\n",
    ])))
    assert_reads_or_format_error(path, read=dt1.read)


# --- MALA ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", _sources("mala"), ids=lambda s: s[0])
@given(data=st.data())
def test_fuzz_mala_bytes(tmp_path, source, data):
    folder = _fresh(tmp_path)
    path = source[1](folder)
    raw = path.read_bytes()
    path.write_bytes(apply(raw, data.draw(mutations(len(raw)))))
    assert_reads_or_format_error(path, read=mala.read)


@pytest.mark.parametrize("source", _sources("mala"), ids=lambda s: s[0])
@given(data=st.data())
def test_fuzz_mala_rad_and_cor_text(tmp_path, source, data):
    folder = _fresh(tmp_path)
    path = source[1](folder)
    target = _sidecar(path, data.draw(st.sampled_from([".rad", ".cor"])))
    sep = ":" if target.suffix.lower() == ".rad" else "\t"
    target.write_text(data.draw(text_edits(target.read_text(encoding="latin-1"), sep)), encoding="latin-1")
    assert_reads_or_format_error(path, read=mala.read)


@given(data=st.data())
def test_fuzz_mala_channel_set(tmp_path, data):
    folder = _fresh(tmp_path)
    rng = np.random.default_rng(2)
    counts = data.draw(st.lists(st.integers(0, 6), min_size=2, max_size=4))
    paths = write_set(folder, "set", [rng.integers(-100, 100, size=(n, 8), dtype=np.int16) for n in counts],
                      offsets=[0.1 * i for i in range(len(counts))])
    victim = data.draw(st.sampled_from(paths))
    rad = victim.with_suffix(".rad")
    rad.write_text(data.draw(text_edits(rad.read_text(), ":")))
    assert_reads_or_format_error(paths[0], read=mala.read)


# --- wrong extensions and empty files through roadbed.read --------------------------------------------


@pytest.mark.parametrize("maker, new_suffix", [(_written_dt1, ".rd3"), (_written_dt1, ".dat"),
                                               (_written_mala, ".DT1"), (_written_mala, ".bin")])
def test_wrong_extension_reads_or_format_error(tmp_path, maker, new_suffix):
    path = maker(tmp_path)
    renamed = path.rename(path.with_suffix(new_suffix))
    da = assert_reads_or_format_error(renamed, read=roadbed.read)
    if da is not None:  # the side-car still sits beside it, so content decides
        assert da.attrs["format"] in ("dt1", "mala")


@pytest.mark.parametrize("maker", [_written_dt1, _written_mala])
def test_zero_length_files(tmp_path, maker):
    path = maker(tmp_path)
    path.write_bytes(b"")
    assert assert_reads_or_format_error(path, read=roadbed.read) is None
    assert assert_reads_or_format_error(path, read=dt1.read if maker is _written_dt1 else mala.read) is None
    for side in tmp_path.iterdir():
        side.write_bytes(b"")
    assert assert_reads_or_format_error(path, read=dt1.read if maker is _written_dt1 else mala.read) is None
