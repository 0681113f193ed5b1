"""The sample survey: reproducible from its generator, positioned right end to end, and the demo's outputs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import roadbed
from roadbed import conventions as cv
from roadbed.demo import run_demo
from roadbed.synth import DEFAULT_LAYERS, average_velocity
from roadbed.synth.sample import SAMPLE, make_sample_survey, road_to_map

SAMPLE_DATA = Path(__file__).resolve().parent.parent / "sample_data"


@pytest.fixture(scope="module")
def survey():
    return roadbed.open_survey(SAMPLE_DATA / "survey.toml")


@pytest.fixture(scope="module")
def truth():
    return [roadbed.Hazard.from_dict(h) for h in json.loads((SAMPLE_DATA / "truth.json").read_text())]


def test_committed_sample_data_is_what_the_generator_makes(tmp_path):
    manifest = make_sample_survey(tmp_path)
    assert manifest.read_text() == (SAMPLE_DATA / "survey.toml").read_text()
    assert json.loads((tmp_path / "truth.json").read_text()) == json.loads((SAMPLE_DATA / "truth.json").read_text())
    for name in ("pass1.dzt", "pass2.dzt"):
        fresh, committed = roadbed.read(tmp_path / name), roadbed.read(SAMPLE_DATA / name)
        # 16-bit words: the same scene and seed give the same counts (one count of slack for float summation order)
        np.testing.assert_allclose(fresh.values, committed.values, atol=1.0, rtol=0)
    for name in ("pass1_gnss.csv", "pass2_gnss.csv"):
        assert (tmp_path / name).read_text() == (SAMPLE_DATA / name).read_text()


def test_passes_are_positioned_in_one_road_frame(survey):
    (p1, p2) = survey.profiles()
    n, dx = SAMPLE["n_traces"], SAMPLE["trace_spacing_m"]
    spacing = SAMPLE["channel_spacing_m"]
    for profile, (_, channel0, reverse) in zip((p1, p2), SAMPLE["passes"], strict=True):
        assert profile.dims == (cv.CHANNEL, cv.TRACE, cv.TWT)
        np.testing.assert_allclose(profile[cv.ALONG].values, np.arange(n) * dx, atol=1e-9)
        step = -spacing if reverse else spacing
        np.testing.assert_allclose(profile[cv.ACROSS].values, channel0 + step * np.arange(6), atol=1e-9)
    assert survey.crs == SAMPLE["crs"]


def test_map_coordinates_follow_the_road_heading(survey):
    for profile, (_, channel0, reverse) in zip(survey.profiles(), SAMPLE["passes"], strict=True):
        middle = channel0 + (-1 if reverse else 1) * 2.5 * SAMPLE["channel_spacing_m"]
        x, y = road_to_map(profile[cv.ALONG].values, np.full(profile.sizes[cv.TRACE], middle))
        np.testing.assert_allclose(profile[cv.X].values, x, atol=2e-3)  # the CSV keeps mm
        np.testing.assert_allclose(profile[cv.Y].values, y, atol=2e-3)
        heading = math.degrees(math.atan2(np.diff(profile[cv.X].values).mean(), np.diff(profile[cv.Y].values).mean()))
        assert heading == pytest.approx(SAMPLE["heading_deg"], abs=0.01)


def _apex_along(profile, channel: int, twt_ns: float, along_range) -> float:
    """Along position of a hyperbola's apex near ``twt_ns`` on one channel.

    Per trace, the time of the strongest arrival in a window around the apex
    time; the apex is the middle of the strong traces where that time is earliest.
    """
    trace = profile.isel({cv.CHANNEL: channel})
    trace = trace.sel({cv.TRACE: (trace[cv.ALONG] >= along_range[0]) & (trace[cv.ALONG] <= along_range[1])})
    window = trace.sel({cv.TWT: slice(twt_ns - 2.0, twt_ns + 4.0)})
    values = np.abs(window.values)
    strong = values.max(axis=1) >= 0.5 * values.max()  # flanks that left the window hold only noise
    arrival = np.where(strong, window[cv.TWT].values[np.argmax(values, axis=1)], np.inf)
    earliest = arrival <= arrival.min() + 1e-9
    return float(trace[cv.ALONG].values[earliest].mean())


def test_metal_pipe_apex_lies_on_the_truth_polyline_in_both_passes(survey, truth):
    """The whole chain (synth → DZT → read → manifest with a reversed pass) puts the pipe where truth says."""
    pipe = next(h for h in truth if h.kind == "pipe" and h.attributes["material"] == "metal")
    (a0, c0, z0), (a1, c1, _) = pipe.vertices[0], pipe.vertices[-1]
    t0 = SAMPLE["time_zero_ns"]
    apex_twt = t0 + 2 * z0 / average_velocity(DEFAULT_LAYERS, z0)
    checked = 0
    for profile in survey.profiles():
        for channel, across in enumerate(profile[cv.ACROSS].values):
            expected = a0 + (a1 - a0) * (across - c0) / (c1 - c0)
            found = _apex_along(profile, channel, apex_twt, (expected - 1.0, expected + 1.0))
            assert found == pytest.approx(expected, abs=1.5 * SAMPLE["trace_spacing_m"]), (channel, across)
            checked += 1
    assert checked == 12


def test_air_cavity_shows_reversed_polarity_over_its_outline(survey, truth):
    cavity = next(h for h in truth if h.kind == "cavity")
    along = [v[0] for v in cavity.vertices]
    across = [v[1] for v in cavity.vertices]
    z = cavity.depth_m
    top_twt = SAMPLE["time_zero_ns"] + 2 * z / average_velocity(DEFAULT_LAYERS, z)
    for profile in survey.profiles():
        inside = (profile[cv.ACROSS] > min(across) + 0.05) & (profile[cv.ACROSS] < max(across) - 0.05)
        if not bool(inside.any()):
            continue
        over = profile.where(inside, drop=True)
        centre = over.sel({cv.TRACE: (over[cv.ALONG] > min(along) + 0.15) & (over[cv.ALONG] < max(along) - 0.15)})
        top = centre.sel({cv.TWT: slice(top_twt - 1.0, top_twt + 1.0)}).mean(dim=(cv.CHANNEL, cv.TRACE))
        surface = centre.sel({cv.TWT: slice(SAMPLE["time_zero_ns"] - 1.0, SAMPLE["time_zero_ns"] + 1.0)})
        surface = surface.mean(dim=(cv.CHANNEL, cv.TRACE))
        # the strongest lobe of the cavity top has the sign opposite to the surface reflection's strongest lobe
        top_sign = np.sign(top.values[np.argmax(np.abs(top.values))])
        surface_sign = np.sign(surface.values[np.argmax(np.abs(surface.values))])
        assert top_sign == -surface_sign


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return out, run_demo(out)


def test_demo_writes_its_outputs(demo, survey):
    tmp_path, summary = demo
    assert summary["survey"] == SAMPLE["name"]
    assert len(summary["lines"]) == 2
    for path in summary["outputs"]:
        assert Path(path).stat().st_size > 200  # a binary crack mask compresses to a few hundred bytes
    for line, profile in zip(summary["lines"], survey.profiles(), strict=True):
        saved = roadbed.read(line["netcdf"])
        xr.testing.assert_allclose(saved, profile.load())
        assert roadbed.history(saved)[-1].split(": ", 1)[1].startswith("position")
        assert line["along_m"] == pytest.approx([0.0, 10.0])
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    volume = roadbed.read(summary["processing"]["volume"])
    assert volume.dims == (cv.ALONG, cv.ACROSS, cv.DEPTH)
    assert float(volume[cv.ALONG].min()) == pytest.approx(0.0) and float(volume[cv.ALONG].max()) == pytest.approx(10.0)


def test_demo_measures_the_pothole_of_the_laser_scan(demo, truth):
    pytest.importorskip("laspy")
    _, summary = demo
    pothole = next(h for h in truth if h.kind == "pothole")
    (found,) = summary["pavement"]["potholes"]
    assert found["max_depth_mm"] == pytest.approx(pothole.attributes["max_depth_mm"], abs=2.0)
    assert found["area_m2"] == pytest.approx(pothole.attributes["area_m2"], rel=0.10)
    assert (found["along_m"], found["across_m"]) == pytest.approx((pothole.along_m, pothole.across_m), abs=0.02)


def test_demo_maps_the_crack_of_the_laser_scan(demo, truth):
    pytest.importorskip("laspy")
    import imageio.v3 as iio

    out, summary = demo
    crack = next(h for h in truth if h.kind == "crack")
    found = summary["pavement"]["cracks"]
    assert found["n_cracks"] == 1 and found["types"]["longitudinal"] == 1
    assert found["total_length_m"] == pytest.approx(crack.attributes["length_m"], rel=0.05)
    # a 10 mm grid resolves the 20 mm crack to about one cell
    assert found["max_width_mm"] == pytest.approx(crack.attributes["width_mm"], abs=10.0)
    mask = iio.imread(out / "pavement_cracks.png")
    assert set(np.unique(mask)) == {0, 255}
    table = (out / "pavement_table.md").read_text()
    assert "| 5.00 | 0.15 |" in table and "moderate" in table


def test_demo_detects_the_shallow_pipe_and_draws_the_detections(demo, truth):
    out, summary = demo
    items = json.loads((out / "detections.json").read_text())
    assert summary["detections"]["n_detections"] == len(items)
    pipes = [it for it in items if it["kind"] == "pipe" and "polyline" in it]
    assert pipes, "the metal pipe crosses all 12 channels of both passes: it must be linked"
    from roadbed.detect.score import score_detections

    score = score_detections(items, truth, surveyed_length_m=10.0)
    assert score.tp >= 2 and score.plan_position_error_m <= 0.10 and score.median_depth_error_m <= 0.05
    for name in ("bscans", "depth_slice", "map"):
        assert (out / f"detections_{name}.png").stat().st_size > 10_000
