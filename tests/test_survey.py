"""Survey manifests: validation, positioning in the road frame, map coordinates."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

import roadbed
from roadbed import conventions as cv
from roadbed.model import radargram
from roadbed.survey import BScan, Survey, SurveyLine, expand_inputs, open_survey

N_SAMPLES = 16
TWT = np.arange(N_SAMPLES) * 0.5


def line_data(n_traces, *, spacing=0.1, n_channels=None, offsets=None, trace_coords=None, attrs=None, distance=True):
    """A radargram whose amplitude is its original trace index (so flips can be seen)."""
    shape = (n_traces, N_SAMPLES) if n_channels is None else (n_channels, n_traces, N_SAMPLES)
    data = np.broadcast_to(np.arange(n_traces, dtype=np.float32)[:, None], shape[-2:])
    data = np.ascontiguousarray(np.broadcast_to(data, shape))
    if n_channels is not None:
        data = data + 1000 * np.arange(n_channels, dtype=np.float32)[:, None, None]
    return radargram(
        data,
        twt_ns=TWT,
        distance_m=np.arange(n_traces) * spacing + 5.0 if distance else None,
        offset_m=offsets,
        trace_coords=trace_coords,
        attrs={cv.ATTR_SAMPLE_INTERVAL: 0.5, **(attrs or {})},
    )


def save(da, path: Path) -> Path:
    roadbed.write(da, path, format="netcdf")
    return path


def manifest(tmp_path: Path, text: str, name="survey.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def two_lines(tmp_path):
    save(line_data(11, spacing=0.1), tmp_path / "single.nc")
    save(line_data(21, spacing=0.05, n_channels=4), tmp_path / "array.nc")
    return tmp_path


def test_open_survey_positions_single_and_array_lines(two_lines):
    path = manifest(
        two_lines,
        """
        [survey]
        name = "Main St"

        [[line]]
        path = "single.nc"
        offset_m = 1.5
        start_m = 2.0

        [[line]]
        path = "ARRAY_PATH"
        offset_m = -0.3
        channel_spacing_m = 0.075
        """.replace("ARRAY_PATH", str(two_lines / "array.nc")),
    )
    survey = open_survey(path)
    assert isinstance(survey, Survey)
    assert survey.name == "Main St" and survey.crs is None and survey.manifest == path
    assert [line.path for line in survey.lines] == [two_lines / "single.nc", two_lines / "array.nc"]

    single, array = survey.profiles()
    # file distance starts at 5 m: along counts from the first trace, plus start_m
    np.testing.assert_allclose(single.coords[cv.ALONG].values, 2.0 + np.arange(11) * 0.1)
    assert single.coords[cv.ALONG].dims == (cv.TRACE,)
    assert single.coords[cv.ACROSS].dims == (cv.TRACE,)
    np.testing.assert_array_equal(single.coords[cv.ACROSS].values, np.full(11, 1.5))
    assert single.coords[cv.ALONG].attrs[cv.ATTR_UNITS] == "m"

    np.testing.assert_allclose(array.coords[cv.ALONG].values, np.arange(21) * 0.05)
    assert array.coords[cv.ACROSS].dims == (cv.CHANNEL,)
    np.testing.assert_allclose(array.coords[cv.ACROSS].values, -0.3 + 0.075 * np.arange(4))
    assert "position(" in roadbed.history(array)[-1]

    assert survey.extent() == pytest.approx((0.0, 3.0, -0.3, 1.5))


def test_bscans_iterate_every_channel_with_its_offset(two_lines):
    path = manifest(
        two_lines,
        """
        [survey]
        name = "s"
        [[line]]
        path = "single.nc"
        offset_m = 0.4
        [[line]]
        path = "array.nc"
        offset_m = -1.0
        channel_spacing_m = 0.25
        """,
    )
    scans = list(open_survey(path).bscans())
    assert [(s.line, s.channel) for s in scans] == [(0, None), (1, 0), (1, 1), (1, 2), (1, 3)]
    assert [s.across_m for s in scans] == pytest.approx([0.4, -1.0, -0.75, -0.5, -0.25])
    for scan in scans:
        assert isinstance(scan, BScan)
        assert scan.data.dims == (cv.TRACE, cv.TWT)
        assert cv.ALONG in scan.data.coords
    # channel c of the array holds 1000·c + trace index
    np.testing.assert_array_equal(scans[3].data.values[:, 0], 2000 + np.arange(21))


def test_reverse_line_flips_traces_and_mirrors_channels(tmp_path):
    n, spacing = 9, 0.5
    save(line_data(n, spacing=spacing, n_channels=3), tmp_path / "back.nc")
    path = manifest(
        tmp_path,
        """
        [survey]
        name = "s"
        [[line]]
        path = "back.nc"
        offset_m = 0.2
        channel_spacing_m = 0.1
        start_m = 10.0
        reverse = true
        """,
    )
    (line,) = open_survey(path).lines
    p = line.profile
    along = p.coords[cv.ALONG].values
    assert np.all(np.diff(along) > 0)
    length = (n - 1) * spacing
    # the first recorded trace (amplitude 0, d = 0) lies at start_m + L
    original = p.values[0, :, 0]  # channel 0 amplitude = original trace index
    np.testing.assert_allclose(along, 10.0 + (length - original * spacing))
    np.testing.assert_array_equal(original, np.arange(n)[::-1])
    # the vehicle's left is the survey's right: channels step to negative across
    np.testing.assert_allclose(p.coords[cv.ACROSS].values, [0.2, 0.1, 0.0], atol=1e-12)


def test_array_uses_file_offsets_without_channel_spacing(tmp_path):
    save(line_data(5, n_channels=3, offsets=[0.1, 0.2, 0.45]), tmp_path / "a.nc")
    path = manifest(tmp_path, '[survey]\nname = "s"\n[[line]]\npath = "a.nc"\noffset_m = -1.0\n')
    p = open_survey(path).lines[0].profile
    np.testing.assert_allclose(p.coords[cv.ACROSS].values, [-1.0, -0.9, -0.65])
    np.testing.assert_allclose(p.coords[cv.OFFSET].values, [0.1, 0.2, 0.45])  # the file's own coord is kept


def test_array_without_offsets_needs_channel_spacing(tmp_path):
    save(line_data(5, n_channels=3), tmp_path / "a.nc")
    path = manifest(tmp_path, '[survey]\nname = "s"\n[[line]]\npath = "a.nc"\noffset_m = 0\n')
    with pytest.raises(roadbed.FormatError, match=r"survey\.toml.*line\[0\]\.channel_spacing_m"):
        open_survey(path).lines[0].profile


def test_trace_spacing_from_manifest_and_missing_distance(tmp_path):
    save(line_data(6, distance=False), tmp_path / "nodist.nc")
    path = manifest(
        tmp_path, '[survey]\nname = "s"\n[[line]]\npath = "nodist.nc"\noffset_m = 0\ntrace_spacing_m = 0.25\n'
    )
    p = open_survey(path).lines[0].profile
    np.testing.assert_allclose(p.coords[cv.ALONG].values, np.arange(6) * 0.25)

    bare = manifest(tmp_path, '[survey]\nname = "s"\n[[line]]\npath = "nodist.nc"\noffset_m = 0\n', "bare.toml")
    with pytest.raises(roadbed.FormatError, match=r"bare\.toml.*line\[0\]\.trace_spacing_m"):
        open_survey(bare).lines[0].profile


def test_antenna_geometry_from_manifest_goes_to_attrs(tmp_path):
    save(line_data(4), tmp_path / "a.nc")
    save(line_data(4), tmp_path / "b.nc")
    path = manifest(tmp_path, '[survey]\nname = "s"\n[[line]]\npath = "a.nc"\noffset_m = 0\nantenna_height_m = 0.3\n'
                              'antenna_separation_m = 0.16\n[[line]]\npath = "b.nc"\noffset_m = 1\n')
    a, b = open_survey(path).profiles()
    assert a.attrs[cv.ATTR_ANTENNA_HEIGHT] == 0.3 and a.attrs[cv.ATTR_ANTENNA_SEPARATION] == 0.16
    assert cv.ATTR_ANTENNA_HEIGHT not in b.attrs and cv.ATTR_ANTENNA_SEPARATION not in b.attrs


def test_trace_spacing_attribute_sets_along(tmp_path):
    save(line_data(4, distance=False, attrs={cv.ATTR_TRACE_SPACING: 0.02}), tmp_path / "a.nc")
    path = manifest(tmp_path, '[survey]\nname = "s"\n[[line]]\npath = "a.nc"\noffset_m = 0\nstart_m = 1\n')
    np.testing.assert_allclose(open_survey(path).lines[0].profile.coords[cv.ALONG].values, 1 + np.arange(4) * 0.02)


def test_lonlat_projected_to_survey_crs(tmp_path):
    # UTM zone 52N: central meridian 129°E has easting 500 000 m, the equator northing 0 m,
    # and eastings are symmetric about the central meridian.
    lon = np.array([129.0, 128.5, 129.5, 129.0])
    lat = np.array([0.0, 10.0, 10.0, 40.0])
    da = line_data(4, trace_coords={cv.LON: lon, cv.LAT: lat})
    save(da, tmp_path / "geo.nc")
    path = manifest(tmp_path, '[survey]\nname = "s"\ncrs = "EPSG:32652"\n[[line]]\npath = "geo.nc"\noffset_m = 0\n')
    survey = open_survey(path)
    assert survey.crs == "EPSG:32652"
    p = survey.lines[0].profile
    x, y = p.coords[cv.X].values, p.coords[cv.Y].values
    assert x[0] == pytest.approx(500000.0, abs=1e-3) and y[0] == pytest.approx(0.0, abs=1e-3)
    assert x[3] == pytest.approx(500000.0, abs=1e-3)
    assert x[1] - 500000.0 == pytest.approx(500000.0 - x[2], abs=1e-3)
    assert y[1] == pytest.approx(y[2], abs=1e-3)
    # 40° of latitude along the meridian: ~4 429 km of arc, scaled by k0 = 0.9996
    assert y[3] == pytest.approx(0.9996 * 4429.6e3, rel=2e-3)
    assert p.attrs[cv.ATTR_CRS] == "EPSG:32652"
    assert p.coords[cv.X].attrs[cv.ATTR_UNITS] == "m"

    # without a survey CRS the geographic positions stay as they are, and no x/y appear
    plain = manifest(tmp_path, '[survey]\nname = "s"\n[[line]]\npath = "geo.nc"\noffset_m = 0\n', "plain.toml")
    q = open_survey(plain).lines[0].profile
    assert cv.X not in q.coords
    np.testing.assert_array_equal(q.coords[cv.LON].values, lon)


def test_file_xy_in_another_crs_is_transformed(tmp_path):
    from pyproj import Transformer

    lon, lat = np.array([126.9, 127.0, 127.1]), np.array([37.5, 37.55, 37.6])
    x51, y51 = Transformer.from_crs("EPSG:4326", "EPSG:32651", always_xy=True).transform(lon, lat)
    x52, y52 = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True).transform(lon, lat)
    assert np.all(np.abs(x51 - x52) > 1000)  # the two zones differ: the test can see a missed transform
    save(line_data(3, trace_coords={cv.X: x51, cv.Y: y51}, attrs={cv.ATTR_CRS: "EPSG:32651"}), tmp_path / "z51.nc")
    path = manifest(tmp_path, '[survey]\nname = "s"\ncrs = "EPSG:32652"\n[[line]]\npath = "z51.nc"\noffset_m = 0\n')
    p = open_survey(path).lines[0].profile
    np.testing.assert_allclose(p.coords[cv.X].values, x52, atol=1e-3)
    np.testing.assert_allclose(p.coords[cv.Y].values, y52, atol=1e-3)
    assert p.attrs[cv.ATTR_CRS] == "EPSG:32652"


def test_gnss_table_keyed_by_trace_is_interpolated(tmp_path):
    save(line_data(12), tmp_path / "a.nc")
    (tmp_path / "a_gnss.csv").write_text("scan,E,N\n1,100.0,200.0\n9,108.0,194.0\n")
    path = manifest(
        tmp_path,
        """
        [survey]
        name = "s"
        [[line]]
        path = "a.nc"
        offset_m = 0
        [line.gnss]
        path = "a_gnss.csv"
        columns = { trace = "scan", x = "E", y = "N" }
        """,
    )
    p = open_survey(path).lines[0].profile
    x, y = p.coords[cv.X].values, p.coords[cv.Y].values
    np.testing.assert_allclose(x[1:10], 100.0 + np.arange(9))
    np.testing.assert_allclose(y[1:10], 200.0 - 0.75 * np.arange(9))
    # no extrapolation beyond the fixes
    assert np.isnan(x[0]) and np.isnan(x[10]) and np.isnan(y[11])


def test_gnss_table_lonlat_by_distance_with_crs(tmp_path):
    save(line_data(5, spacing=1.0), tmp_path / "a.nc")  # distance 5..9 m
    (tmp_path / "g.csv").write_text("distance_m;lon;lat\n5;129.0;0.0\n9;129.0;0.0004\n")
    path = manifest(
        tmp_path,
        """
        [survey]
        name = "s"
        crs = "EPSG:32652"
        [[line]]
        path = "a.nc"
        offset_m = 0
        gnss = { path = "g.csv", delimiter = ";" }
        """,
    )
    p = open_survey(path).lines[0].profile
    np.testing.assert_allclose(p.coords[cv.X].values, 500000.0, atol=1e-3)
    # 0.0004° of latitude at the equator on the central meridian ≈ 44.2 m × k0
    y = p.coords[cv.Y].values
    assert y[-1] == pytest.approx(0.9996 * 110574.0 * 0.0004, rel=1e-3)
    np.testing.assert_allclose(np.diff(y), y[-1] / 4, rtol=1e-6)
    np.testing.assert_allclose(p.coords[cv.LAT].values, np.linspace(0, 0.0004, 5))


def test_gnss_rows_per_trace_give_along_by_path_length(tmp_path):
    save(line_data(4, distance=False), tmp_path / "a.nc")
    (tmp_path / "g.csv").write_text("x,y\n0,0\n3,4\n6,8\n6,18\n")
    path = manifest(tmp_path, '[survey]\nname = "s"\n[[line]]\npath = "a.nc"\noffset_m = 0\ngnss = "g.csv"\n')
    p = open_survey(path).lines[0].profile
    np.testing.assert_allclose(p.coords[cv.ALONG].values, [0, 5, 10, 20])


@pytest.mark.parametrize(
    ("csv_text", "field"),
    [
        ("x,y\n0,0\n1,nan-ish\n1,1\n1,2\n", "row 3"),
        ("a,b\n0,0\n", "header"),
        ("x,y\n0,0\n1,1\n", "rows"),
        ("trace,x,y\n3,0,0\n1,1,1\n", "column 'trace'"),
        ("x,y\n0,0,7\n", "row 2"),
    ],
)
def test_bad_gnss_table_names_the_csv(tmp_path, csv_text, field):
    save(line_data(4), tmp_path / "a.nc")
    (tmp_path / "g.csv").write_text(csv_text)
    path = manifest(tmp_path, '[survey]\nname = "s"\n[[line]]\npath = "a.nc"\noffset_m = 0\ngnss = "g.csv"\n')
    survey = open_survey(path)
    with pytest.raises(roadbed.FormatError) as info:
        survey.lines[0].profile
    assert info.value.path.endswith("g.csv")
    assert field in info.value.field


GOOD_LINE = 'path = "a.nc"\noffset_m = 0\n'
HEAD = '[survey]\nname = "s"\n[[line]]\n' + GOOD_LINE  # a valid manifest with one line


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (HEAD + '[[line]]\npath = "a.nc"\noffset_m = 0\nspeed = 3\n', "line[1].speed"),
        (HEAD + "[[line]]\noffset_m = 0\n", "line[1].path"),
        (HEAD + '[[line]]\npath = "a.nc"\noffset_m = "left"\n', "line[1].offset_m"),
        (HEAD + '[[line]]\npath = "a.nc"\n', "line[1].offset_m"),
        (HEAD + '[[line]]\npath = "gone.nc"\noffset_m = 0\n', "line[1].path"),
        (HEAD + '[[line]]\npath = 3\noffset_m = 0\n', "line[1].path"),
        (HEAD + 'reverse = "yes"\n', "line[0].reverse"),
        (HEAD + "start_m = nan\n", "line[0].start_m"),
        (HEAD + "channel_spacing_m = 0\n", "line[0].channel_spacing_m"),
        (HEAD + "trace_spacing_m = -1\n", "line[0].trace_spacing_m"),
        (HEAD + "antenna_height_m = -0.1\n", "line[0].antenna_height_m"),
        (HEAD + 'antenna_separation_m = "wide"\n', "line[0].antenna_separation_m"),
        (HEAD + 'format = "nosuch"\n', "line[0].format"),
        (HEAD + 'gnss = "nosuch.csv"\n', "line[0].gnss.path"),
        (HEAD + 'gnss = { path = "a.nc", columns = { z = "h" } }\n', "line[0].gnss.columns.z"),
        (HEAD + "[line.gnss]\nfile = 'g.csv'\n", "line[0].gnss.file"),
        ('[survey]\nname = "s"\ncrs = "EPSG:4326"\n[[line]]\n' + GOOD_LINE, "survey.crs"),
        ('[survey]\nname = "s"\ncrs = "not a crs"\n[[line]]\n' + GOOD_LINE, "survey.crs"),
        ('[survey]\nname = 5\n[[line]]\n' + GOOD_LINE, "survey.name"),
        ('[survey]\nname = "s"\ncolour = "red"\n[[line]]\n' + GOOD_LINE, "survey.colour"),
        ("[[line]]\n" + GOOD_LINE, "survey"),
        ('[survey]\nname = "s"\n', "line"),
        ('line = 3\n[survey]\nname = "s"\n', "line"),
        (HEAD + "[extra]\n", "extra"),
        ('[survey\nname = "s"\n', "TOML syntax"),
    ],
)
def test_manifest_errors_name_manifest_line_and_field(tmp_path, text, field):
    save(line_data(3), tmp_path / "a.nc")
    path = manifest(tmp_path, text, "bad_manifest.toml")
    with pytest.raises(roadbed.FormatError) as info:
        open_survey(path)
    assert info.value.path == str(path)
    assert info.value.field == field
    assert "bad_manifest.toml" in str(info.value)


def test_missing_manifest_is_a_format_error(tmp_path):
    with pytest.raises(roadbed.FormatError, match="nothere.toml"):
        open_survey(tmp_path / "nothere.toml")


def test_files_are_read_lazily(tmp_path):
    (tmp_path / "junk.nc").write_bytes(b"not a radargram at all")
    path = manifest(tmp_path, '[survey]\nname = "s"\n[[line]]\npath = "junk.nc"\noffset_m = 0\n')
    survey = open_survey(path)  # only the manifest is read
    with pytest.raises(roadbed.FormatError, match="junk.nc"):
        survey.lines[0].data


def test_explicit_format_is_used(tmp_path):
    save(line_data(3), tmp_path / "a.dat")  # an extension no format claims
    path = manifest(tmp_path, '[survey]\nname = "s"\n[[line]]\npath = "a.dat"\noffset_m = 0\nformat = "NetCDF"\n')
    line = open_survey(path).lines[0]
    assert line.format == "netcdf"
    assert line.data.sizes[cv.TRACE] == 3


def test_expand_inputs_mixes_files_and_manifests(two_lines):
    path = manifest(
        two_lines,
        '[survey]\nname = "s"\n[[line]]\npath = "array.nc"\noffset_m = 2.0\nchannel_spacing_m = 0.1\n',
    )
    lines = expand_inputs([two_lines / "single.nc", str(path)])
    assert all(isinstance(line, SurveyLine) for line in lines)
    assert [line.path.name for line in lines] == ["single.nc", "array.nc"]
    assert lines[0].manifest is None and lines[1].manifest == path
    np.testing.assert_array_equal(lines[0].profile.coords[cv.ACROSS].values, 0.0)
    np.testing.assert_allclose(lines[1].profile.coords[cv.ACROSS].values, 2.0 + 0.1 * np.arange(4))
    np.testing.assert_allclose(lines[0].profile.coords[cv.ALONG].values, np.arange(11) * 0.1)


def test_plain_missing_file_is_a_format_error(tmp_path):
    (line,) = expand_inputs([tmp_path / "absent.dzt"])
    with pytest.raises(roadbed.FormatError, match="absent.dzt"):
        line.data


def test_survey_from_real_files(gpr_data, tmp_path):
    dzt = gpr_data / "gssi_sir3000_400mhz_dune.DZT"
    path = manifest(
        tmp_path,
        f"""
        [survey]
        name = "dune"
        [[line]]
        path = "{dzt.as_posix()}"
        offset_m = 0.5
        [[line]]
        path = "{dzt.as_posix()}"
        offset_m = 1.5
        reverse = true
        """,
    )
    survey = open_survey(path)
    forward, backward = survey.profiles()
    # the header says 50 scans per metre: 1040 traces span 1039 × 0.02 m
    assert forward.sizes[cv.TRACE] == 1040
    assert forward.coords[cv.ALONG].values[-1] == pytest.approx(1039 / 50, rel=1e-6)
    np.testing.assert_allclose(backward.coords[cv.ALONG].values, forward.coords[cv.ALONG].values, atol=1e-9)
    np.testing.assert_array_equal(backward.isel(trace=slice(0, 3)).values, forward.isel(trace=slice(-1, -4, -1)).values)
    assert survey.extent() == pytest.approx((0.0, 1039 / 50, 0.5, 1.5))

