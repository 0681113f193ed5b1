"""The command line: ``roadbed info`` on files and manifests, errors, the console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import roadbed
from roadbed import cli
from roadbed import conventions as cv
from roadbed.model import radargram

SCRIPT = Path(sys.executable).parent / "roadbed"


def write_line(
    path: Path, *, n_traces=7, n_samples=32, dt=0.25, spacing=0.05, n_channels=None, attrs=None, distance=True
):
    shape = (n_traces, n_samples) if n_channels is None else (n_channels, n_traces, n_samples)
    rng = np.random.default_rng(0)
    da = radargram(
        rng.standard_normal(shape).astype(np.float32),
        twt_ns=np.arange(n_samples) * dt,
        distance_m=np.arange(n_traces) * spacing if distance else None,
        offset_m=None if n_channels is None else np.arange(n_channels) * 0.1,
        attrs=attrs,
    )
    roadbed.write(da, path, format="netcdf")
    return path


@pytest.fixture
def inputs(tmp_path):
    attrs = {cv.ATTR_FREQUENCY: 900e6, cv.ATTR_SAMPLE_INTERVAL: 0.25, cv.ATTR_TIME_WINDOW: 8.0}
    a = write_line(tmp_path / "a.nc", attrs=attrs)
    b = write_line(tmp_path / "b.nc", n_traces=5, n_samples=20, dt=0.1, n_channels=3, distance=False)
    manifest = tmp_path / "survey.toml"
    manifest.write_text(
        '[survey]\nname = "s"\n[[line]]\npath = "a.nc"\noffset_m = 0\n[[line]]\npath = "b.nc"\noffset_m = 1\n'
    )
    bad = tmp_path / "broken.nc"
    bad.write_bytes(b"\x00" * 100)
    return a, b, manifest, bad


def run_json(capsys, *args):
    rc = cli.main(["info", "--json", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, json.loads(out), err


def test_info_json_reports_each_file_and_manifest_line(inputs, capsys):
    a, b, manifest, _ = inputs
    rc, reports, err = run_json(capsys, a, b, manifest)
    assert rc == 0 and err == ""
    assert [r["path"] for r in reports] == [str(a), str(b), str(a), str(b)]
    for r in reports:
        assert tuple(r) == cli.INFO_KEYS
    ra, rb = reports[:2]
    assert ra == {
        "path": str(a),
        "format": "netcdf",
        "n_channels": 1,
        "n_traces": 7,
        "n_samples": 32,
        "sample_interval_ns": 0.25,
        "time_window_ns": 8.0,
        "frequency_hz": 900e6,
        "trace_spacing_m": pytest.approx(0.05),
        "has_positions": True,
    }
    # without attributes the sampling follows from twt; unknowns are null
    assert rb["n_channels"] == 3 and rb["n_traces"] == 5 and rb["n_samples"] == 20
    assert rb["sample_interval_ns"] == pytest.approx(0.1)
    assert rb["time_window_ns"] == pytest.approx(2.0)
    assert rb["frequency_hz"] is None and rb["trace_spacing_m"] is None
    assert rb["has_positions"] is False


def test_info_bad_file_is_reported_and_others_still_are(inputs, capsys, tmp_path):
    a, _, _, bad = inputs
    bad_manifest = tmp_path / "bad.toml"
    bad_manifest.write_text('[survey]\nname = "s"\n[[line]]\npath = "a.nc"\n')
    rc, reports, err = run_json(capsys, bad, a, bad_manifest, tmp_path / "missing.nc")
    assert rc == 1
    assert [r["path"] for r in reports] == [str(a)]
    err_lines = err.strip().splitlines()
    assert len(err_lines) == 3
    assert str(bad) in err_lines[0] and "content" in err_lines[0]
    assert str(bad_manifest) in err_lines[1] and "line[0].offset_m" in err_lines[1]
    assert "missing.nc" in err_lines[2]


def test_info_text(inputs, capsys):
    a, b, _, _ = inputs
    assert cli.main(["info", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    block_a, block_b = out.split(str(b))
    assert block_a.startswith(str(a))
    assert "900 MHz" in block_a and "0.25 ns" in block_a and "8 ns" in block_a and "0.05 m" in block_a
    assert "positions" in block_a and "distance" in block_a
    assert "unknown" in block_b and "none" in block_b


def test_version_and_usage(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"roadbed {roadbed.__version__}"
    assert cli.main([]) == 2
    assert "COMMAND" in capsys.readouterr().err
    assert cli.main(["info"]) == 2  # PATH is required


def test_a_subcommand_is_one_function_and_one_registration(monkeypatch, capsys):
    monkeypatch.setattr(cli, "_SUBCOMMANDS", dict(cli._SUBCOMMANDS))

    @cli.subcommand("echo", help="print the inputs", arguments=[cli.INPUTS, cli.arg("--twice", action="store_true")])
    def _echo(args):
        print(" ".join(args.paths * (2 if args.twice else 1)))
        return 3

    assert cli.main(["echo", "p", "q", "--twice"]) == 3
    assert capsys.readouterr().out.strip() == "p q p q"
    assert cli.main(["info", "--help"]) == 0  # the other commands are still there


def test_console_script(inputs):
    a, _, manifest, bad = inputs
    assert SCRIPT.exists(), f"console script missing at {SCRIPT}"
    done = subprocess.run(
        [str(SCRIPT), "info", "--json", str(manifest), str(bad)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    reports = json.loads(done.stdout)
    assert [r["path"] for r in reports] == [str(a), str(a.parent / "b.nc")]
    assert str(bad) in done.stderr
    version = subprocess.run([str(SCRIPT), "--version"], capture_output=True, text=True, timeout=120)
    assert version.returncode == 0 and roadbed.__version__ in version.stdout


# facts of the real files from ../shared/data/README.md (read by an independent parser)
REAL = {
    "gssi_sir3000_400mhz_dune.DZT": {"n_channels": 1, "n_traces": 1040, "n_samples": 512, "trace_spacing_m": 0.02},
    "gssi_sir4000_200mhz_gps.DZT": {"n_channels": 1, "n_traces": 345, "n_samples": 2048},
    "pulseekko_50mhz_line.DT1": {"n_traces": 531, "n_samples": 1500, "time_window_ns": 1200.0},
    "mala_500mhz_ten_traces.rd3": {"n_traces": 10, "n_samples": 512},
    "gprmax3_cylinder_bscan.out": {"n_traces": 85, "n_samples": 1697, "has_positions": False},
}


def test_info_on_real_files(gpr_data, capsys):
    paths = [gpr_data / name for name in REAL]
    rc, reports, err = run_json(capsys, *paths)
    assert rc == 0, err
    assert len(reports) == len(REAL)
    for report, (name, facts) in zip(reports, REAL.items(), strict=True):
        assert report["path"] == str(gpr_data / name)
        assert report["format"] in roadbed.formats()
        for key, value in facts.items():
            assert report[key] == pytest.approx(value), (name, key)
        # the sample interval and time window agree with each other
        assert report["time_window_ns"] == pytest.approx(report["sample_interval_ns"] * report["n_samples"], rel=0.01)
