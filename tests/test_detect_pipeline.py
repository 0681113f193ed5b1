"""``roadbed detect`` end to end: files, arrays and manifests of parallel lines, against scenes with known answers."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pytest

import roadbed
from roadbed import cli
from roadbed.detect import detect, detect_lines, json_items
from roadbed.detect.score import score_detections
from roadbed.synth import DEFAULT_LAYERS, Cavity, GprScene, Pipe, synthetic_line, synthetic_survey

SCENES = Path(__file__).resolve().parents[1] / "scenes" / "gprmax"
ITEM_KEYS = {"kind", "x_m", "y_m", "depth_m", "width_m", "confidence", "source"}
LINE = dict(n_traces=450, trace_spacing_m=0.02, n_samples=512, time_window_ns=40.0, frequency_hz=800e6,
            noise_std=0.002)  # fmt: skip


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(map(str, argv)))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def line_scene():
    scene = GprScene(
        layers=DEFAULT_LAYERS,
        pipes=(Pipe(2.5, 0.0, 0.5, 0.05, "metal"),),
        cavities=(Cavity(6.0, 0.0, 0.45, 0.8, 0.8, 0.25, "air"),),
    )
    da, truth = synthetic_line(scene, rng=3, **LINE)
    return da, truth


def test_detect_json_on_a_line_file_finds_the_pipe_and_the_cavity(line_scene, tmp_path, capsys):
    da, truth = line_scene
    path = roadbed.write(da, tmp_path / "line.nc")
    code, out, err = run(capsys, "detect", path, "--json")
    assert code == 0, err
    items = json.loads(out)
    assert all(ITEM_KEYS <= set(it) for it in items)
    assert all(0.0 <= it["confidence"] <= 1.0 and it["y_m"] == 0.0 for it in items)
    scored = [it for it in items if it["kind"] in ("pipe", "cavity")]
    score = score_detections(items, truth, surveyed_length_m=9.0)
    assert (score.tp, score.fp, score.fn) == (2, 0, 0), scored
    assert score.classification_accuracy == 1.0
    cavity = next(it for it in scored if it["kind"] == "cavity")
    assert cavity["width_m"] == pytest.approx(0.8, rel=0.3)  # along track
    # the text form names each detection
    code, out, _ = run(capsys, "detect", path)
    assert code == 0 and "pipe" in out and "cavity" in out


def test_detect_links_an_angled_pipe_across_an_array():
    scene = GprScene(layers=DEFAULT_LAYERS, pipes=(Pipe(2.0, 0.0, 0.6, 0.05, "metal", angle_deg=25.0),))
    da, truth = synthetic_survey(scene, n_channels=10, channel_spacing_m=0.075, rng=4, **LINE)
    found = detect_lines([(da, 0, "distance")])
    pipes = [h for h in found.hazards if h.kind == "pipe"]
    assert len(pipes) == 1 and len(pipes[0].vertices) >= 8
    items = json_items(found)
    score = score_detections(items, truth, surveyed_length_m=9.0)
    assert score.tp == 1 and score.fp == 0
    assert score.plan_position_error_m <= 0.10
    assert pipes[0].attributes["angle_deg"] == pytest.approx(25.0, abs=5.0)


def test_detect_a_manifest_of_parallel_lines(tmp_path, capsys):
    scene = GprScene(layers=DEFAULT_LAYERS, pipes=(Pipe(3.0, 0.0, 0.5, 0.05, "metal", angle_deg=20.0),))
    offsets = (-0.3, -0.1, 0.1, 0.3)
    entries = []
    for k, offset in enumerate(offsets):
        da, _ = synthetic_line(scene, offset_m=offset, rng=10 + k, **LINE)
        roadbed.write(da, tmp_path / f"line{k}.nc")
        entries.append(f'[[line]]\npath = "line{k}.nc"\noffset_m = {offset}\n')
    manifest = tmp_path / "survey.toml"
    manifest.write_text('[survey]\nname = "parallel"\n' + "".join(entries))
    code, out, err = run(capsys, "detect", manifest, "--json")
    assert code == 0, err
    (pipe,) = [it for it in json.loads(out) if it["kind"] == "pipe"]
    assert len(pipe["polyline"]) == len(offsets)
    for x, y, depth in pipe["polyline"]:
        # the pipe's axis crosses across position y at along 3.0 + y·tan(20°)
        assert x == pytest.approx(3.0 + y * math.tan(math.radians(20.0)), abs=0.10)
        assert depth == pytest.approx(0.5, abs=0.10)


def test_detect_refuses_bad_input_with_a_message(tmp_path, capsys):
    bad = tmp_path / "nothing.dzt"
    bad.write_bytes(b"\x00" * 10)
    code, out, err = run(capsys, "detect", bad, "--json")
    assert code == 1 and out == "" and "nothing.dzt" in err


# --- the gprMax scenes ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gprmax_truth():
    path = SCENES / "truth.json"
    if not path.exists():
        pytest.skip("scenes/gprmax is absent")
    return json.loads(path.read_text())


def test_detect_cli_on_a_gprmax_scene(gprmax_truth, capsys):
    target = gprmax_truth["scenes"]["s1_metal_pipe"]["targets"][0]
    code, out, err = run(capsys, "detect", SCENES / "s1_metal_pipe.out", "--json", "--antenna-height", "0.05")
    assert code == 0, err
    (pipe,) = [it for it in json.loads(out) if it["kind"] in ("pipe", "cavity")]
    assert pipe["kind"] == "pipe"
    assert pipe["x_m"] == pytest.approx(target["x_m"], abs=0.15)
    assert pipe["depth_m"] == pytest.approx(target["depth_top_m"], abs=0.10)


def test_detect_keeps_the_stones_of_the_negative_gprmax_scene_out():
    da = roadbed.read(SCENES / "s6_negative_stones.out").assign_attrs(antenna_height_m=0.05)
    found = detect_lines([(da, 0, "distance")])
    assert not found.pipes and not found.cavities
    assert np.all([h.kind == "other" for h in found.hazards])


def test_detect_of_files_and_manifests_is_the_same_call(line_scene, tmp_path):
    da, _ = line_scene
    path = roadbed.write(da, tmp_path / "line.nc")
    manifest = tmp_path / "one.toml"
    manifest.write_text(textwrap.dedent(f"""\
        [survey]
        name = "one"
        [[line]]
        path = "{path.name}"
        offset_m = 0.0
        """))
    a = json_items(detect([path]))
    b = json_items(detect([manifest]))
    # a file reports its distance coordinate, a manifest the survey's along (start 0): the same here
    assert [(i["kind"], round(i["x_m"], 6)) for i in a] == [(i["kind"], round(i["x_m"], 6)) for i in b]


@pytest.mark.parametrize("name", ["gssi_sir3000_400mhz_dune.DZT", "gssi_sir4000_200mhz_gps.DZT",
                                  "pulseekko_50mhz_line.DT1"])  # fmt: skip
def test_detect_runs_on_real_profiles(gpr_data, name, capsys):
    # 200 MHz sampled below 2.5 f's Nyquist, low-frequency geology: valid JSON, nothing deeper than 3 m
    code, out, err = run(capsys, "detect", gpr_data / name, "--json")
    assert code == 0, err
    items = json.loads(out)
    assert all(ITEM_KEYS <= set(it) and 0 <= it["depth_m"] <= 3.0 for it in items)


def test_detect_says_why_it_cannot_use_traces_without_positions(gpr_data, capsys):
    code, out, err = run(capsys, "detect", gpr_data / "mala_500mhz_ten_traces.rd3", "--json")
    assert code == 1 and out == ""
    assert "mala_500mhz_ten_traces.rd3" in err and "distinct positions" in err
