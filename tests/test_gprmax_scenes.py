"""The gprMax test scenes in scenes/gprmax/ against their own truth.json.

The scenes are 2-D TMz gprMax 4.0.1 simulations (see scenes/gprmax/README.md).
These tests check that every committed output reads with ``roadbed.read``
with the documented size, time step and trace positions, and that its
arrivals are where the physics puts them:

* the free-space direct wave equals the analytic field of a 2-D line source
  driven by gprMax's Ricker current (shape, time and amplitude);
* the ground-surface reflection (scene minus free-space trace) peaks at the
  time the antenna height predicts (image source at √(offset² + (2h)²));
* the strongest diffraction of each single-pipe scene is at the pipe's x and
  arrives the layers' two-way time after the surface reflection.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import roadbed
from roadbed import conventions as cv

SCENES = Path(__file__).resolve().parent.parent / "scenes" / "gprmax"
TRUTH = json.loads((SCENES / "truth.json").read_text())
GEOMETRY = TRUTH["geometry"]
FREE_SPACE = "s0_free_space"
LAYERED = sorted(name for name, s in TRUTH["scenes"].items() if s["layers"])
SINGLE_PIPE = sorted(name for name, s in TRUTH["scenes"].items()
                     if len(s["targets"]) == 1 and s["targets"][0]["kind"] == "pipe")
CAVITIES = sorted(name for name, s in TRUTH["scenes"].items()
                  if len(s["targets"]) == 1 and s["targets"][0]["kind"] == "cavity")
C = cv.C_M_PER_NS * 1e9  # m/s
MU0 = 4e-7 * math.pi


def _read(name: str):
    return roadbed.read(SCENES / TRUTH["scenes"][name]["file"])


@pytest.fixture(scope="module")
def free_space() -> np.ndarray:
    return _read(FREE_SPACE).values[0].astype(np.float64)


def _reflected(name: str, free_space: np.ndarray):
    """The scene's traces less the free-space trace (direct wave removed), (trace, twt) float64."""
    da = _read(name)
    return da, da.values.astype(np.float64) - free_space[None, :]


def _envelope(a: np.ndarray) -> np.ndarray:
    """|analytic signal| along the last axis (FFT Hilbert transform, zero-padded against wrap-around)."""
    n = a.shape[-1]
    h = np.zeros(2 * n)
    h[0], h[1:n], h[n] = 1.0, 2.0, 1.0
    return np.abs(np.fft.ifft(np.fft.fft(a, n=2 * n, axis=-1) * h, axis=-1))[..., :n]


def _line_source_ez(rho_m: float, t_s: np.ndarray) -> np.ndarray:
    """Ez of a 2-D z-directed line current I(t) (A) at distance ρ: -(μ0/2π) ∫₀^∞ I'(t - (ρ/c)cosh u) du.

    I(t) is gprMax's ``ricker``: -(2ζτ² - 1)·exp(-ζτ²), τ = t - √2/f, ζ = π²f².
    """
    f = GEOMETRY["ricker_frequency_hz"]
    zeta, chi = math.pi**2 * f**2, math.sqrt(2.0) / f
    u = np.linspace(0.0, 10.0, 4001)
    tau = t_s[:, None] - (rho_m / C) * np.cosh(u)[None, :] - chi
    dcurrent = 2 * zeta * tau * (2 * zeta * tau**2 - 3) * np.exp(-zeta * tau**2)
    return -(MU0 / (2 * math.pi)) * np.trapezoid(dcurrent, u, axis=1)


def test_truth_lists_every_output_and_the_free_space_reference():
    on_disk = {p.stem for p in SCENES.glob("*.out")}
    assert on_disk == set(TRUTH["scenes"])
    assert FREE_SPACE in on_disk and len(SINGLE_PIPE) >= 2 and CAVITIES


@pytest.mark.parametrize("name", sorted(TRUTH["scenes"]))
def test_scene_reads_with_documented_size_dt_and_positions(name):
    scene = TRUTH["scenes"][name]
    path = SCENES / scene["file"]
    assert path.stat().st_size < 2**20
    da = roadbed.read(path)
    # 2-D Courant limit of gprMax's Yee grid with square cells: dt = dx / (c √2)
    dt_ns = GEOMETRY["cell_m"] / (C * math.sqrt(2.0)) * 1e9
    n_samples = math.ceil(GEOMETRY["time_window_ns"] / dt_ns) + 1
    assert da.dims == (cv.TRACE, cv.TWT)
    assert da.shape == (scene["n_traces"], n_samples)
    assert da.dtype == np.float32
    assert da.attrs[cv.ATTR_SAMPLE_INTERVAL] == pytest.approx(dt_ns, rel=1e-9)
    np.testing.assert_allclose(np.diff(da[cv.TWT].values), dt_ns, rtol=1e-9)
    assert da.attrs[cv.ATTR_COMPONENT] == "Ez" and da.attrs["raw_gprMax"] == "4.0.1"
    # distance = source-receiver midpoint in model x
    k = np.arange(scene["n_traces"])
    midpoints = (GEOMETRY["tx_x0_m"] + GEOMETRY["rx_x0_m"]) / 2 + k * GEOMETRY["trace_step_m"]
    np.testing.assert_allclose(da[cv.DISTANCE].values, midpoints, atol=1e-9)
    assert da.attrs["position_reference"] == "model origin"
    assert da.attrs["model_y_m"] == pytest.approx(GEOMETRY["antenna_model_y_m"], abs=1e-9)
    assert da.attrs[cv.ATTR_ANTENNA_SEPARATION] == pytest.approx(GEOMETRY["tx_rx_offset_m"], abs=1e-9)
    assert np.all(np.isfinite(da.values)) and np.abs(da.values).max() > 0


def test_free_space_direct_wave_is_the_analytic_line_source_field(free_space):
    dt_ns = _read(FREE_SPACE).attrs[cv.ATTR_SAMPLE_INTERVAL]
    n = int(6.0 / dt_ns)
    t_s = np.arange(n) * dt_ns * 1e-9
    expected = _line_source_ez(GEOMETRY["tx_rx_offset_m"], t_s)
    got = free_space[:n]
    assert np.argmax(np.abs(got)) == np.argmax(np.abs(expected))
    assert np.argmax(np.abs(got)) * dt_ns == pytest.approx(TRUTH["scenes"][FREE_SPACE]["direct_wave_twt_ns"],
                                                           abs=dt_ns)
    corr = np.dot(got, expected) / np.linalg.norm(got) / np.linalg.norm(expected)
    assert corr > 0.999
    assert np.abs(got).max() == pytest.approx(np.abs(expected).max(), rel=0.02)


@pytest.mark.parametrize("name", LAYERED)
def test_surface_reflection_arrives_when_the_antenna_height_predicts(name, free_space):
    scene = TRUTH["scenes"][name]
    da, reflected = _reflected(name, free_space)
    dt_ns = da.attrs[cv.ATTR_SAMPLE_INTERVAL]
    first = np.median(reflected, axis=0)[: int(4.0 / dt_ns)]  # flat layers: the same on every trace
    t_peak = np.argmax(np.abs(first)) * dt_ns
    # measured direct-wave delay moved by the extra path to the image source below the surface
    direct = np.argmax(np.abs(free_space)) * dt_ns
    path = math.hypot(GEOMETRY["tx_rx_offset_m"], 2 * GEOMETRY["antenna_height_m"])
    assert path == pytest.approx(GEOMETRY["surface_reflection_path_m"])
    predicted = direct + (path - GEOMETRY["tx_rx_offset_m"]) / C * 1e9
    assert t_peak == pytest.approx(predicted, abs=3 * dt_ns)
    assert t_peak == pytest.approx(scene["surface_twt_ns"], abs=3 * dt_ns)
    # air -> asphalt: the reflection is the image-source wave with a negative coefficient
    image = _line_source_ez(path, np.arange(first.size) * dt_ns * 1e-9)
    corr = np.dot(first, image) / np.linalg.norm(first) / np.linalg.norm(image)
    sqrt_eps = math.sqrt(scene["layers"][0]["relative_permittivity"])
    r_plane = (1 - sqrt_eps) / (1 + sqrt_eps)
    assert corr < -0.95
    assert first[np.argmax(np.abs(first))] / image[np.argmax(np.abs(image))] == pytest.approx(r_plane, rel=0.3)


def _surface_envelope_time(reflected: np.ndarray, dt_ns: float) -> float:
    first = np.median(reflected, axis=0)
    n = int(4.0 / dt_ns)
    return float(np.argmax(_envelope(first)[:n]) * dt_ns)


def _first_strong_event(reflected: np.ndarray, dt_ns: float, after_ns: float, before_ns: float | None = None):
    """Apex (trace index, twt ns) and envelope peak of the earliest strong diffraction.

    Flat layers are removed (median trace). The event is the earliest whose
    envelope reaches half the strongest between ``after_ns`` and
    ``before_ns`` (the end of the record by default); its apex is
    the trace (mean of ties) where it crosses that level first, and its time
    the envelope peak on that trace within 1 ns of the crossing. (In the water
    pipe the reflection from the far side of the water is as strong as the
    one from the top, and comes ~8 ns later.)
    """
    env = _envelope(reflected - np.median(reflected, axis=0))
    env[:, : int(after_ns / dt_ns)] = 0.0
    if before_ns is not None:
        env[:, int(before_ns / dt_ns):] = 0.0
    crossed = env >= 0.5 * env.max()
    first = np.where(crossed.any(axis=1), crossed.argmax(axis=1), env.shape[1])
    j0 = int(first.min())
    ties = np.flatnonzero(first == j0)
    k = float(ties.mean())
    window = env[int(round(k)), j0: j0 + int(1.0 / dt_ns)]
    return k, (j0 + int(np.argmax(window))) * dt_ns, float(window.max())


def _position(da, k: float) -> float:
    return float(np.interp(k, np.arange(da.sizes[cv.TRACE]), da[cv.DISTANCE].values))


@pytest.mark.parametrize("name", SINGLE_PIPE)
def test_single_pipe_apex_at_truth_x_and_layer_travel_time(name, free_space):
    scene = TRUTH["scenes"][name]
    (pipe,) = scene["targets"]
    da, reflected = _reflected(name, free_space)
    dt_ns = da.attrs[cv.ATTR_SAMPLE_INTERVAL]
    t_surface = _surface_envelope_time(reflected, dt_ns)
    k, t_apex, _ = _first_strong_event(reflected, dt_ns, t_surface + 1.5)
    assert abs(_position(da, k) - pipe["x_m"]) <= 2 * GEOMETRY["trace_step_m"] + 1e-9
    assert t_apex - t_surface == pytest.approx(pipe["twt_ground_ns"], rel=0.03)
    assert t_apex == pytest.approx(pipe["apex_twt_ns"], rel=0.03)


def test_truth_velocities_follow_from_the_layer_permittivities():
    for scene in TRUTH["scenes"].values():
        for target in scene["targets"]:
            layers = target["layers_above"]
            assert sum(layer["thickness_m"] for layer in layers) == pytest.approx(target["depth_top_m"])
            t = [2 * layer["thickness_m"] * math.sqrt(layer["relative_permittivity"]) / cv.C_M_PER_NS
                 for layer in layers]
            v = [cv.C_M_PER_NS / math.sqrt(layer["relative_permittivity"]) for layer in layers]
            assert target["twt_ground_ns"] == pytest.approx(sum(t))
            assert target["v_avg_m_per_ns"] == pytest.approx(2 * target["depth_top_m"] / sum(t))
            v_rms = math.sqrt(sum(vi**2 * ti for vi, ti in zip(v, t)) / sum(t))
            assert target["v_rms_m_per_ns"] == pytest.approx(v_rms)
            assert target["v_avg_m_per_ns"] <= target["v_rms_m_per_ns"] + 1e-12


@pytest.mark.parametrize("name", CAVITIES)
def test_cavity_top_under_the_cavity_at_layer_travel_time(name, free_space):
    scene = TRUTH["scenes"][name]
    (cavity,) = scene["targets"]
    da, reflected = _reflected(name, free_space)
    dt_ns = da.attrs[cv.ATTR_SAMPLE_INTERVAL]
    t_surface = _surface_envelope_time(reflected, dt_ns)
    k, t_top, _ = _first_strong_event(reflected, dt_ns, t_surface + 1.5)
    # the flat top is first met anywhere over the cavity: its first-crossing traces lie over it
    assert abs(_position(da, k) - cavity["x_m"]) <= cavity["width_m"] / 2
    assert t_top - t_surface == pytest.approx(cavity["twt_ground_ns"], rel=0.03)


def test_negative_scene_holds_nothing_as_strong_as_a_pipe(free_space):
    """Stones (r <= 3 cm, eps 6-8) scatter far less than the metal pipe under the same layers."""
    negative, pipe = "s6_negative_stones", "s1_metal_pipe"
    assert not TRUTH["scenes"][negative]["targets"] and TRUTH["scenes"][negative]["clutter"]
    assert TRUTH["scenes"][negative]["layers"] == TRUTH["scenes"][pipe]["layers"]
    strongest = {}
    for name in (negative, pipe):
        da, reflected = _reflected(name, free_space)
        dt_ns = da.attrs[cv.ATTR_SAMPLE_INTERVAL]
        strongest[name] = _first_strong_event(reflected, dt_ns, _surface_envelope_time(reflected, dt_ns) + 1.5)[2]
    assert strongest[negative] < 0.3 * strongest[pipe]


def test_two_pipes_each_apex_where_its_layers_put_it(free_space):
    """Within ±10 % of each pipe's predicted time the earliest strong event is that pipe's apex."""
    name = "s7_two_pipes"
    scene = TRUTH["scenes"][name]
    assert [t["kind"] for t in scene["targets"]] == ["pipe", "pipe"]
    da, reflected = _reflected(name, free_space)
    dt_ns = da.attrs[cv.ATTR_SAMPLE_INTERVAL]
    t_surface = _surface_envelope_time(reflected, dt_ns)
    for pipe in scene["targets"]:
        twt = pipe["twt_ground_ns"]
        k, t_apex, _ = _first_strong_event(reflected, dt_ns, t_surface + 0.9 * twt, t_surface + 1.1 * twt)
        assert abs(_position(da, k) - pipe["x_m"]) <= 2 * GEOMETRY["trace_step_m"] + 1e-9
        assert t_apex - t_surface == pytest.approx(twt, rel=0.03)
