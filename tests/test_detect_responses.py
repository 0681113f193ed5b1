"""find_responses against independent truth: kernel twins, synthetic scenes, and the physics-based gprMax scenes.

The synthetic lines (:func:`roadbed.synth.synthetic_line`) know every object's
position, depth, size and reflection coefficient; the gprMax scenes come with
``scenes/gprmax/truth.json``. Both are processed with the project's steps
(dewow → time zero → background removal → gain → band-pass) before detection.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import scipy.signal
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

import roadbed
from roadbed import conventions as cv
from roadbed.detect import _response_kernels as kernels
from roadbed.detect import _response_reference as reference
from roadbed.detect.candidate import FEATURES
from roadbed.detect.responses import find_responses
from roadbed.gpr import align_time_zero, bandpass, dewow, remove_background, sec_gain, tpow_gain
from roadbed.synth import DEFAULT_LAYERS, Cavity, GprScene, Layer, Pipe, average_velocity, synthetic_line

SCENES = Path(__file__).resolve().parents[1] / "scenes" / "gprmax"
HOMOGENEOUS = (Layer(math.inf, 7.0, "soil"),)
LAYERINGS = {"homogeneous": HOMOGENEOUS, "layered": DEFAULT_LAYERS}
NOISE = 0.005  # about −38 dB against the asphalt surface reflection (−0.38)
ALONG_TOL_M, DEPTH_TOL_M = 0.15, 0.05


def _reflection(eps1: float, eps2: float) -> float:
    """DOMAIN.md: r = (sqrt ε1 − sqrt ε2) / (sqrt ε1 + sqrt ε2)."""
    return (math.sqrt(eps1) - math.sqrt(eps2)) / (math.sqrt(eps1) + math.sqrt(eps2))


def _permittivity_at(layers, depth: float) -> float:
    top = 0.0
    for layer in layers:
        if depth < top + layer.thickness_m:
            return layer.relative_permittivity
        top += layer.thickness_m
    return layers[-1].relative_permittivity


def _surface_wavelet(mean_trace: np.ndarray, da, shift_ns: float, frequency: float):
    """±1 period of the band-passed mean trace around the surface (time zero, raw axis), and its envelope peak."""
    dt = float(da[cv.TWT][1] - da[cv.TWT][0])
    sos = scipy.signal.butter(4, [0.25 * frequency * 2e-9 * dt, 2.5 * frequency * 2e-9 * dt], "band", output="sos")
    filtered = scipy.signal.sosfiltfilt(sos, mean_trace)
    k0 = int(round((shift_ns - float(da[cv.TWT][0])) / dt))
    half = int(round(1e9 / frequency / dt))
    wavelet = filtered[k0 - half : k0 + half + 1]
    return wavelet, float(np.abs(scipy.signal.hilbert(wavelet)).max())


def _processed(raw, *, velocity, gain="sec", picker="threshold", subtract=None):
    """The processed B-scan, the surface wavelet and the surface's envelope peak."""
    f = float(raw.attrs[cv.ATTR_FREQUENCY])
    dewowed = dewow(raw)
    aligned = align_time_zero(dewowed, method=picker)
    shift = float(np.ravel(aligned.attrs["time_zero_shift_ns"])[0])
    flat = remove_background(aligned, method="median")
    if gain == "sec":
        gained = sec_gain(flat, power=1.0, attenuation_db_per_m=3.0, velocity_m_per_ns=velocity)
    else:
        gained = tpow_gain(flat, power=1.0)
    bscan = bandpass(gained, low_hz=0.25 * f, high_hz=2.5 * f)
    mean = dewowed.mean(cv.TRACE).values.astype(np.float64)
    if subtract is not None:  # the direct wave, which overlaps the surface reflection of raised antennas
        mean = mean - subtract
    wavelet, ref = _surface_wavelet(mean, raw, shift, f)
    return bscan, wavelet, ref


def _detect(scene, *, velocity, n_traces=300, noise=NOISE, seed=1, **options):
    raw, truth = synthetic_line(scene, n_traces=n_traces, noise_std=noise, rng=seed)
    # the default threshold picker starts 0.6 ns early at noise ≥ 0.01; the energy ratio does not
    bscan, wavelet, ref = _processed(raw, velocity=velocity, picker="energy_ratio")
    found = find_responses(bscan, velocity_m_per_ns=velocity, surface_wavelet=wavelet, reference_amplitude=ref,
                           **options)  # fmt: skip
    return found, truth


# --- kernels against their twins ---------------------------------------------------------------
@st.composite
def _images(draw):
    n_tr = draw(st.integers(1, 12))
    n_s = draw(st.integers(1, 30))
    ties = draw(st.booleans())  # small integers: plateaus and ties
    elements = st.integers(0, 4).map(float) if ties else st.floats(0.0, 10.0, allow_nan=False, width=64)
    return draw(hnp.arrays(np.float64, (n_tr, n_s), elements=elements))


@given(
    env=_images(),
    data=st.data(),
    half_traces=st.integers(0, 3),
    half_samples=st.integers(0, 4),
)
def test_local_maxima_matches_reference(env, data, half_traces, half_samples):
    n_s = env.shape[1]
    threshold = data.draw(hnp.arrays(np.float64, n_s, elements=st.floats(0.0, 5.0, allow_nan=False)))
    first = data.draw(st.integers(-2, n_s))
    stop = data.draw(st.integers(0, n_s + 2))
    got = kernels.local_maxima(env, threshold, half_traces, half_samples, first, stop)
    want = reference.local_maxima(env, threshold, half_traces, half_samples, first, stop)
    np.testing.assert_array_equal(got, want)


@given(env=_images(), data=st.data(), up=st.integers(0, 3), down=st.integers(0, 3), max_steps=st.integers(0, 15))
def test_follow_ridge_matches_reference(env, data, up, down, max_steps):
    trace = data.draw(st.integers(0, env.shape[0] - 1))
    sample = data.draw(st.integers(0, env.shape[1] - 1))
    level = data.draw(st.floats(0.0, 10.0, allow_nan=False))
    got = kernels.follow_ridge(env, trace, sample, up, down, level, max_steps)
    want = reference.follow_ridge(env, trace, sample, up, down, level, max_steps)
    np.testing.assert_array_equal(got, want)


def test_kernels_on_known_peaks():
    env = np.zeros((20, 40))
    env[5, 10], env[6, 11], env[15, 30] = 3.0, 2.0, 1.0  # (6, 11) lies in (5, 10)'s box
    mask = kernels.local_maxima(env, np.full(40, 0.5), 2, 3, 0, 40)
    assert set(zip(*np.nonzero(mask), strict=True)) == {(5, 10), (15, 30)}
    assert not kernels.local_maxima(env, np.full(40, 0.5), 2, 3, 0, 30).any(axis=0)[30]  # stop excludes
    ridge = np.zeros((7, 20))
    ridge[np.arange(7), [5, 6, 7, 8, 9, 9, 9]] = [1, 2, 3, 4, 3, 2, 0.5]
    picks = kernels.follow_ridge(ridge, 3, 8, 1, 1, 1.0, 10)
    np.testing.assert_array_equal(picks, [5, 6, 7, 8, 9, 9, -1])


# --- synthetic scenes ----------------------------------------------------------------------------
PIPE_DEPTH, CAVITY_DEPTH = 0.6, 0.5
OBJECTS = {
    "metal pipe": Pipe(3.0, 0.0, PIPE_DEPTH, 0.05, "metal"),
    "water pipe": Pipe(3.0, 0.0, PIPE_DEPTH, 0.05, "water"),
    "air cavity": Cavity(3.0, 0.0, CAVITY_DEPTH, 0.6, 0.8, 0.2, "air"),
    "water cavity": Cavity(3.0, 0.0, CAVITY_DEPTH, 0.6, 0.8, 0.2, "water"),
}


@cache
def _single(name: str, layering: str):
    obj, layers = OBJECTS[name], LAYERINGS[layering]
    kind = {"pipes": (obj,)} if isinstance(obj, Pipe) else {"cavities": (obj,)}
    velocity = average_velocity(layers, obj.depth_m)
    found, truth = _detect(GprScene(layers=layers, **kind), velocity=velocity, source="synthetic", line=2,
                           channel=5, across_m=0.3)  # fmt: skip
    return found, truth, obj, velocity


@pytest.mark.parametrize("layering", LAYERINGS)
@pytest.mark.parametrize("name", OBJECTS)
def test_one_candidate_per_object(name, layering):
    found, truth, obj, _ = _single(name, layering)
    assert len(truth) == 1
    assert len(found) == 1, [(c.along_m, c.depth_m, c.amplitude) for c in found]
    c = found[0]
    assert c.along_m == pytest.approx(obj.along_m, abs=ALONG_TOL_M)
    assert c.depth_m == pytest.approx(obj.depth_m, abs=DEPTH_TOL_M)
    # polarity against the surface reflection (DOMAIN.md): metal and water same sign, an air void reversed
    if "air" in name:
        assert c.polarity < -0.5
    else:
        assert c.polarity > 0.5
    assert all(math.isfinite(v) for v in c.features()), dict(zip(FEATURES, c.features(), strict=True))
    assert c.snr >= 7.0 and c.amplitude > 0
    assert (c.kind, c.source, c.line, c.channel, c.across_m) == ("", "synthetic", 2, 5, 0.3)
    assert math.isnan(c.confidence)
    assert {"bottom_twt_ns", "x_min_m", "x_max_m"} <= set(c.extra)
    assert c.extra["x_min_m"] <= c.along_m <= c.extra["x_max_m"]


@pytest.mark.parametrize("layering", LAYERINGS)
@pytest.mark.parametrize("fill", ["air", "water"])
def test_cavity_extent_and_bottom_echo(fill, layering):
    (c,), _, cavity, _ = _single(f"{fill} cavity", layering)
    assert c.width_m == pytest.approx(cavity.length_m, rel=0.3)
    half = cavity.length_m / 2
    assert c.extra["x_min_m"] == pytest.approx(cavity.along_m - half, abs=0.1)
    assert c.extra["x_max_m"] == pytest.approx(cavity.along_m + half, abs=0.1)
    # the first reverberation inside the fill comes 2 h / v_fill after the top (the forward model's multiples)
    v_fill = cv.C_M_PER_NS / math.sqrt({"air": 1.0, "water": 81.0}[fill])
    delay = 2.0 * cavity.height_m / v_fill
    assert c.extra["bottom_twt_ns"] - c.twt_ns == pytest.approx(delay, abs=max(0.2, 0.05 * delay))


@pytest.mark.parametrize("layering", LAYERINGS)
def test_shape_features_tell_a_cavity_from_a_pipe(layering):
    pipes = [_single(n, layering)[0][0] for n in ("metal pipe", "water pipe")]
    cavities = [_single(n, layering)[0][0] for n in ("air cavity", "water cavity")]
    # migration collapses a hyperbola, not a flat top
    assert max(c.focus_ratio for c in cavities) < 0.5 * min(p.focus_ratio for p in pipes)
    for c in cavities:  # a void's top is flat with diffracting edges, not a hyperbola
        assert c.flat_misfit < 0.5 * c.hyperbola_misfit
    for p in pipes:  # a point is a flat top of no width: both fit
        assert p.hyperbola_misfit < 0.05 and p.flat_misfit < 0.05
        assert p.width_m < 0.15
        assert math.isnan(p.extra["bottom_twt_ns"])
    # an air void reverberates
    assert _single("air cavity", layering)[0][0].ringing > 5 * max(p.ringing for p in pipes)


@pytest.mark.parametrize("layering", LAYERINGS)
def test_amplitude_follows_the_reflection_coefficient(layering):
    metal, water = (_single(n, layering)[0][0] for n in ("metal pipe", "water pipe"))
    eps = _permittivity_at(LAYERINGS[layering], PIPE_DEPTH)
    # metal: r = −1; water-filled: r(ε_host, 81); everything else on the path is the same
    assert metal.amplitude / water.amplitude == pytest.approx(1.0 / abs(_reflection(eps, 81.0)), rel=0.1)


@pytest.mark.parametrize("layering", LAYERINGS)
def test_pipe_fit_velocity_and_radius(layering):
    (c,), _, pipe, velocity = _single("metal pipe", layering)
    # a pipe fitted as a point focuses a little fast: sqrt((z0 + R) / z0) ≈ 1.04
    assert c.velocity_m_per_ns == pytest.approx(velocity * math.sqrt((pipe.depth_m + pipe.radius_m) / pipe.depth_m),
                                                rel=0.03)  # fmt: skip
    assert 0 < c.velocity_std_m_per_ns < 0.01
    assert c.radius_m == pytest.approx(pipe.radius_m, abs=0.02)
    assert 0 < c.radius_std_m < c.radius_m / 3


def test_two_pipes_apart():
    layers = DEFAULT_LAYERS
    pipes = (Pipe(3.0, 0.0, 0.6, 0.05, "metal"), Pipe(3.6, 0.0, 0.6, 0.05, "water"))
    found, _ = _detect(GprScene(layers=layers, pipes=pipes), velocity=average_velocity(layers, 0.6), n_traces=340)
    assert len(found) == 2
    for c, p in zip(found, pipes, strict=True):  # sorted along track
        assert c.along_m == pytest.approx(p.along_m, abs=ALONG_TOL_M)
        assert c.depth_m == pytest.approx(p.depth_m, abs=DEPTH_TOL_M)


@pytest.mark.parametrize("seed", [11, 12])
def test_no_objects_no_candidates(seed):
    scene = GprScene(layers=DEFAULT_LAYERS)
    raw, _ = synthetic_line(scene, n_traces=1000, noise_std=0.01, rng=seed)
    velocity = average_velocity(DEFAULT_LAYERS, 0.6)
    bscan, wavelet, ref = _processed(raw, velocity=velocity, picker="energy_ratio")
    options = {"velocity_m_per_ns": velocity, "surface_wavelet": wavelet, "reference_amplitude": ref}
    assert find_responses(bscan, **options) == []
    # the noise is there: a low threshold finds it everywhere (the default sits above its largest peaks, ≈ 5.3)
    noise_peaks = find_responses(bscan, min_snr=3.0, **options)
    assert len(noise_peaks) > 20
    assert max(c.snr for c in noise_peaks) < 6.5


def test_engines_agree():
    layers = HOMOGENEOUS
    scene = GprScene(layers=layers, pipes=(Pipe(1.0, 0.0, 0.5, 0.05, "metal"),),
                     cavities=(Cavity(2.5, 0.0, 0.4, 0.5, 0.8, 0.2, "air"),))  # fmt: skip
    raw, _ = synthetic_line(scene, n_traces=180, n_samples=256, time_window_ns=25.0, noise_std=NOISE, rng=3)
    velocity = average_velocity(layers, 0.5)
    bscan, wavelet, ref = _processed(raw, velocity=velocity, picker="energy_ratio")
    options = {"velocity_m_per_ns": velocity, "surface_wavelet": wavelet, "reference_amplitude": ref}
    fast, slow = find_responses(bscan, **options), find_responses(bscan, engine="numpy", **options)
    assert len(fast) == len(slow) == 2
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_allclose(a.features(), b.features(), rtol=1e-3, atol=1e-6)
        assert a.along_m == pytest.approx(b.along_m, abs=1e-6)


def test_trace_order_and_samples_above_the_surface_change_nothing():
    layers = HOMOGENEOUS
    scene = GprScene(layers=layers, pipes=(Pipe(1.0, 0.0, 0.5, 0.05, "metal"),),
                     cavities=(Cavity(2.5, 0.0, 0.4, 0.5, 0.8, 0.2, "air"),))  # fmt: skip
    raw, _ = synthetic_line(scene, n_traces=180, n_samples=256, time_window_ns=25.0, noise_std=NOISE, rng=4)
    velocity = average_velocity(layers, 0.5)
    bscan, wavelet, ref = _processed(raw, velocity=velocity, picker="energy_ratio")
    options = {"velocity_m_per_ns": velocity, "surface_wavelet": wavelet, "reference_amplitude": ref}
    base = find_responses(bscan, **options)
    assert len(base) == 2
    dt = float(bscan[cv.TWT][1] - bscan[cv.TWT][0])
    above = bscan.isel({cv.TWT: slice(0, 16)}) * 0.0
    padded = xr.concat([above.assign_coords({cv.TWT: bscan[cv.TWT].values[:16] - 16 * dt}), bscan], dim=cv.TWT)
    reversed_ = bscan.isel({cv.TRACE: slice(None, None, -1)}).transpose(cv.TWT, cv.TRACE)
    for variant in (padded, reversed_):
        other = find_responses(variant, **options)
        assert len(other) == 2
        for a, b in zip(base, other, strict=True):
            assert (a.along_m, a.twt_ns) == pytest.approx((b.along_m, b.twt_ns), abs=1e-3)
            np.testing.assert_allclose(a.features(), b.features(), rtol=0.02, atol=1e-3)


def test_bad_input():
    scene = GprScene(layers=HOMOGENEOUS, pipes=(Pipe(1.0, 0.0, 0.5, 0.05, "metal"),))
    raw, _ = synthetic_line(scene, n_traces=60, n_samples=128, time_window_ns=25.0)
    ok = {"velocity_m_per_ns": 0.11, "surface_wavelet": np.array([0.0, -1.0, 0.0]), "reference_amplitude": 1.0}
    no_frequency = raw.copy()
    del no_frequency.attrs[cv.ATTR_FREQUENCY]
    with pytest.raises(ValueError, match="frequency_hz"):
        find_responses(no_frequency, **ok)
    with pytest.raises(ValueError, match="trace, twt"):
        find_responses(raw.expand_dims(channel=2), **ok)
    for key, value, match in [
        ("velocity_m_per_ns", 0.0, "velocity"),
        ("surface_wavelet", np.zeros(5), "surface_wavelet"),
        ("surface_wavelet", np.ones((3, 3)), "surface_wavelet"),
        ("reference_amplitude", -1.0, "reference_amplitude"),
        ("antenna_height_m", -0.1, "antenna"),
        ("min_snr", 0.0, "min_snr"),
        ("engine", "cuda", "engine"),
    ]:
        with pytest.raises(ValueError, match=match):
            find_responses(raw, **{**ok, key: value})
    with pytest.raises(ValueError, match="at least 3 traces"):
        find_responses(raw.isel({cv.TRACE: slice(0, 2)}), **ok)
    assert find_responses(raw * 0.0, **ok) == []


# --- gprMax scenes ---------------------------------------------------------------------------------
GPRMAX_FREQUENCY_HZ = 800e6
TARGETS = [("s1_metal_pipe", 0), ("s2_water_pipe", 0), ("s3_small_metal_pipe", 0), ("s4_air_cavity", 0),
           ("s5_water_cavity", 0), ("s7_two_pipes", 0), ("s7_two_pipes", 1)]  # fmt: skip


@cache
def _truth():
    path = SCENES / "truth.json"
    if not path.exists():
        pytest.skip("scenes/gprmax is absent")
    return json.loads(path.read_text())


def _read(name: str):
    path = SCENES / _truth()["scenes"][name]["file"]
    if not path.exists():
        pytest.skip(f"{path.name} is absent")
    return roadbed.read(path).assign_attrs(frequency_hz=GPRMAX_FREQUENCY_HZ)


@cache
def _gprmax(name: str, velocity: float):
    geometry = _truth()["geometry"]
    direct = dewow(_read("s0_free_space")).isel({cv.TRACE: 0}).values.astype(np.float64)
    bscan, wavelet, ref = _processed(_read(name), velocity=velocity, gain="tpow", subtract=direct)
    return find_responses(bscan, velocity_m_per_ns=velocity, surface_wavelet=wavelet, reference_amplitude=ref,
                          antenna_height_m=geometry["antenna_height_m"],
                          antenna_separation_m=geometry["tx_rx_offset_m"], source=name)  # fmt: skip


def _match(found, target):
    """The candidates within 0.15 m along and 0.10 m in depth of a target (the issue's matching rule)."""
    x, z = target["x_m"], target["depth_top_m"]
    return [c for c in found if abs(c.along_m - x) <= 0.15 and abs(c.depth_m - z) <= 0.1]


@pytest.mark.parametrize("name, index", TARGETS)
def test_gprmax_targets_found(name, index):
    target = _truth()["scenes"][name]["targets"][index]
    found = _gprmax(name, target["v_avg_m_per_ns"])
    close = _match(found, target)
    assert len(close) == 1, [(c.along_m, c.depth_m) for c in found]
    c = close[0]
    # the top of a void and of an air-filled pipe reflect reversed; metal and water as the surface
    air = target["fill"].get("relative_permittivity", math.inf) < 2.0
    assert (c.polarity < -0.5) if air else (c.polarity > 0.5)
    if target["kind"] == "cavity":
        assert c.width_m == pytest.approx(target["width_m"], rel=0.3)


def test_gprmax_cavities_are_flat_and_stones_weak():
    truth = _truth()["scenes"]
    best = {}
    for name, index in TARGETS:
        target = truth[name]["targets"][index]
        (best[(name, index)],) = _match(_gprmax(name, target["v_avg_m_per_ns"]), target)
    pipes = [c for (name, i), c in best.items() if truth[name]["targets"][i]["kind"] == "pipe"]
    cavities = [c for (name, i), c in best.items() if truth[name]["targets"][i]["kind"] == "cavity"]
    assert max(c.focus_ratio for c in cavities) < 0.5 * min(p.focus_ratio for p in pipes)
    # 16 dielectric stones (r 1–3 cm, Δε ≈ 1–4 against the soil) scatter far less than any target
    stones = _gprmax("s6_negative_stones", 0.1)
    assert max(c.amplitude for c in stones) < 0.5 * min(c.amplitude for c in best.values())
