"""Synthetic GPR surveys: kernel vs numpy twin, and the data vs closed-form physics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import roadbed
from roadbed import conventions as cv
from roadbed.synth import (
    Cavity,
    GprScene,
    Layer,
    Pipe,
    Scatterer,
    ground_truth,
    interface_twt_ns,
    random_stones,
    rebar_grid,
    simulate,
    synthetic_line,
    synthetic_survey,
)
from roadbed.synth import _kernels
from roadbed.synth.gpr import CAVITY_FILLS, CAVITY_SHAPES, PIPE_MATERIALS

C = 0.299792458  # m/ns, spelled here on purpose: the tests' own truth
EPS_GROUND = 9.0
V_GROUND = C / 3.0
HOMOGENEOUS = (Layer(math.inf, EPS_GROUND, "soil"),)


def r_coef(eps1, eps2):
    return -1.0 if math.isinf(eps2) else (math.sqrt(eps1) - math.sqrt(eps2)) / (math.sqrt(eps1) + math.sqrt(eps2))


def pick(trace, twt, t_pred, half_window, sign):
    """Time of the extreme of sign·trace within ±half_window of t_pred, refined by a parabola."""
    window = np.flatnonzero(np.abs(twt - t_pred) <= half_window)
    i = window[np.argmax(sign * trace[window])]
    y0, y1, y2 = sign * trace[i - 1], sign * trace[i], sign * trace[i + 1]
    shift = 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)
    return twt[i] + shift * (twt[1] - twt[0])


# --- traveltime function vs closed form ----------------------------------------------
@given(
    z0=st.floats(0.05, 2.0),
    radius=st.floats(0.001, 0.5),
    v=st.floats(0.03, 0.3),
    angle=st.floats(-180, 180),
    centre=st.tuples(st.floats(-5, 5), st.floats(-5, 5)),
    seed=st.integers(0, 2**32 - 1),
)
def test_cylinder_twt_matches_closed_form(z0, radius, v, angle, centre, seed):
    pts = np.random.default_rng(seed).uniform(-10, 10, size=(50, 2))
    ux, uy = math.sin(math.radians(angle)), math.cos(math.radians(angle))
    for x, y in pts:
        # endless pipe: d is the perpendicular plan distance (2-D cross product with the unit axis)
        d = abs((x - centre[0]) * uy - (y - centre[1]) * ux)
        expected = 2.0 / v * (math.sqrt(d * d + (z0 + radius) ** 2) - radius)
        got = _kernels.cylinder_twt(x, y, centre[0], centre[1], ux, uy, math.inf, z0 + radius, radius, v)
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)
        # zero length: a sphere, d is the plan distance to its centre
        d = math.hypot(x - centre[0], y - centre[1])
        expected = 2.0 / v * (math.sqrt(d * d + (z0 + radius) ** 2) - radius)
        got = _kernels.cylinder_twt(x, y, centre[0], centre[1], ux, uy, 0.0, z0 + radius, radius, v)
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_ellipsoid_closest_point():
    rng = np.random.default_rng(3)
    for _ in range(50):
        a, b, c = rng.uniform(0.05, 1.0, 3)
        p = np.abs(rng.uniform(-2, 2, 3)) + np.array([0, 0, c + 0.01])
        q = np.array(_kernels.ellipsoid_closest(*p, a, b, c))
        assert (q[0] / a) ** 2 + (q[1] / b) ** 2 + (q[2] / c) ** 2 == pytest.approx(1.0, abs=1e-9)
        # brute force over the surface
        th, ph = np.meshgrid(np.linspace(0, np.pi / 2, 400), np.linspace(0, np.pi / 2, 400))
        surf = np.stack([a * np.sin(th) * np.cos(ph), b * np.sin(th) * np.sin(ph), c * np.cos(th)], axis=-1)
        brute = np.min(np.linalg.norm(surf - p, axis=-1))
        assert np.linalg.norm(q - p) == pytest.approx(brute, rel=2e-3, abs=1e-4)
        assert np.linalg.norm(q - p) <= brute + 1e-12
    # a sphere: distance to the centre minus the radius
    q = np.array(_kernels.ellipsoid_closest(0.3, 0.4, 1.2, 0.5, 0.5, 0.5))
    assert np.linalg.norm(q - [0.3, 0.4, 1.2]) == pytest.approx(math.sqrt(0.09 + 0.16 + 1.44) - 0.5, rel=1e-12)


# --- kernel vs numpy twin on random scenes ---------------------------------------------
pos = st.floats(-1.0, 1.0)
layers = st.builds(Layer, thickness_m=st.floats(0.02, 0.5), relative_permittivity=st.floats(1.0, 30.0))
pipes = st.builds(
    Pipe,
    along_m=pos,
    across_m=pos,
    depth_m=st.floats(0.02, 1.0),
    radius_m=st.floats(0.001, 0.2),
    material=st.sampled_from(PIPE_MATERIALS),
    angle_deg=st.floats(-180, 180),
    length_m=st.one_of(st.just(math.inf), st.floats(0.01, 3.0)),
)
cavities = st.builds(
    Cavity,
    along_m=pos,
    across_m=pos,
    depth_m=st.floats(0.02, 1.0),
    length_m=st.floats(0.01, 1.5),
    width_m=st.floats(0.01, 1.5),
    height_m=st.floats(0.01, 0.8),
    fill=st.sampled_from(CAVITY_FILLS),
    shape=st.sampled_from(CAVITY_SHAPES),
)
scatterers = st.builds(
    Scatterer,
    along_m=pos,
    across_m=pos,
    depth_m=st.floats(0.02, 1.0),
    radius_m=st.floats(0.001, 0.1),
    material=st.sampled_from(sorted(roadbed.synth.MATERIAL_PERMITTIVITY)),
    length_m=st.one_of(st.just(0.0), st.floats(0.01, 2.0)),
    angle_deg=st.floats(-180, 180),
)
scenes = st.builds(
    GprScene,
    layers=st.lists(layers, min_size=1, max_size=3).map(tuple),
    pipes=st.lists(pipes, max_size=2).map(tuple),
    cavities=st.lists(cavities, min_size=1, max_size=2).map(tuple),
    scatterers=st.lists(scatterers, min_size=1, max_size=3).map(tuple),
)


@given(
    scene=scenes,
    along=st.lists(st.floats(-1.5, 1.5), min_size=1, max_size=6),
    across=st.lists(st.floats(-1.5, 1.5), min_size=1, max_size=3),
    t0=st.floats(0.0, 5.0),
    window=st.floats(5.0, 80.0),
    n_samples=st.integers(4, 160),
    frequency_hz=st.floats(2e8, 2e9),
    n_multiples=st.integers(0, 3),
    spreading=st.floats(0.01, 1.0),
    attenuation=st.floats(0.0, 30.0),
)
def test_kernel_matches_reference(
    scene, along, across, t0, window, n_samples, frequency_hz, n_multiples, spreading, attenuation
):
    dt = window / n_samples
    t0s = t0 + 0.3 * np.arange(len(across))
    options = dict(
        along_m=along, across_m=across, time_zero_ns=t0s, sample_interval_ns=dt, n_samples=n_samples,
        frequency_hz=frequency_hz, n_multiples=n_multiples, spreading_ref_m=spreading,
        attenuation_db_per_m=attenuation,
    )  # fmt: skip
    fast = simulate(scene, engine="numba", **options)
    slow = simulate(scene, engine="numpy", **options)
    assert fast.shape == slow.shape == (len(across), len(along), n_samples)
    assert fast.dtype == slow.dtype == np.float32
    np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-5 * float(np.abs(slow).max()) + 1e-12)


def test_reference_twin_is_an_independent_sum():
    """The twin itself against a hand-built trace: surface plus one sphere, plain Ricker arithmetic."""
    scene = GprScene(layers=HOMOGENEOUS, scatterers=(Scatterer(0.3, 0.0, 0.4, 0.05, "metal"),))
    twt = np.arange(300) * 0.1
    got = simulate(scene, along_m=[0.0], across_m=[0.1], time_zero_ns=2.0, sample_interval_ns=0.1,
                   n_samples=300, frequency_hz=5e8, engine="numpy")[0, 0]  # fmt: skip
    r_s = r_coef(1.0, EPS_GROUND)
    dist_axis = math.sqrt(0.3**2 + 0.1**2 + 0.45**2)
    path = dist_axis - 0.05
    amp = -1.0 * (1 - r_s**2) * 0.1 / path * 0.45 / dist_axis
    expected = r_s * roadbed.synth.ricker(twt - 2.0, frequency_hz=5e8)
    expected += amp * roadbed.synth.ricker(twt - 2.0 - 2 * path / V_GROUND, frequency_hz=5e8)
    np.testing.assert_allclose(got, expected, atol=1e-7)


# --- the radargram against closed-form physics ---------------------------------------------
SURVEY = dict(n_channels=1, n_traces=201, n_samples=512, trace_spacing_m=0.02, time_window_ns=40.0, frequency_hz=8e8)


def test_pipe_apex_is_strongest_arrival_at_two_z0_over_v():
    z0, radius, t0 = 0.5, 0.05, 3.0
    scene = GprScene(layers=HOMOGENEOUS, pipes=(Pipe(2.0, 0.0, z0, radius, "metal"),))
    da, _ = synthetic_survey(scene, time_zero_ns=t0, **SURVEY)
    trace = da.isel(channel=0).sel(trace=100)  # distance 2.0 m: above the pipe
    assert float(trace[cv.DISTANCE]) == pytest.approx(2.0)
    twt = trace[cv.TWT].values
    after_surface = twt > t0 + 1.5 / 0.8  # past the surface wavelet's support
    i = np.argmax(np.abs(trace.values) * after_surface)
    dt = da.attrs[cv.ATTR_SAMPLE_INTERVAL]
    assert abs(twt[i] - (t0 + 2 * z0 / V_GROUND)) <= dt
    # metal: the same polarity as the surface reflection (negative main lobe)
    surface = trace.values[np.argmin(np.abs(twt - t0))]
    assert surface < 0 and trace.values[i] < 0


def test_hyperbola_flanks_follow_closed_form():
    z0, radius, t0, x0 = 0.6, 0.1, 3.0, 2.0
    scene = GprScene(layers=HOMOGENEOUS, pipes=(Pipe(x0, 0.0, z0, radius, "metal"),))
    da, _ = synthetic_survey(scene, time_zero_ns=t0, **SURVEY)
    b = da.isel(channel=0)
    twt = b[cv.TWT].values
    dt = twt[1] - twt[0]
    for x in (0.0, 0.1, 0.24, 0.4, 0.6, 0.8, 1.2):
        j = int(np.argmin(np.abs(b[cv.DISTANCE].values - (x0 + x))))
        d = b[cv.DISTANCE].values[j] - x0
        expected = t0 + 2.0 / V_GROUND * (math.sqrt(d * d + (z0 + radius) ** 2) - radius)
        got = pick(b.values[j], twt, expected, 0.4 / 0.8, sign=-1)
        assert abs(got - expected) <= dt, (x, got, expected)


def test_layer_reflection_times_and_polarity():
    layer_list = (Layer(0.15, 4.0, "asphalt"), Layer(0.3, 9.0, "base"), Layer(0.4, 6.0, "sub-base"), Layer(math.inf, 16.0))
    t0 = 2.0
    da, _ = synthetic_survey(GprScene(layers=layer_list), n_channels=2, n_traces=3, n_samples=1024,
                             time_window_ns=40.0, frequency_hz=1.5e9, time_zero_ns=t0)  # fmt: skip
    trace = da.isel(channel=1, trace=2).values
    twt = da[cv.TWT].values
    dt = twt[1] - twt[0]
    expected = t0 + np.cumsum([2 * layer.thickness_m / (C / math.sqrt(layer.relative_permittivity)) for layer in layer_list[:-1]])
    np.testing.assert_allclose(interface_twt_ns(layer_list) + t0, expected, rtol=1e-12)
    for k, t in enumerate(expected):
        sign = np.sign(r_coef(layer_list[k].relative_permittivity, layer_list[k + 1].relative_permittivity))
        got = pick(trace, twt, t, 0.2, sign)
        assert abs(got - t) <= dt
        assert sign * trace[np.argmin(np.abs(twt - t))] > 0
    # amplitude of the first interface: r · (1 − r_s²) · spreading(0.15 m)
    r_s, r1 = r_coef(1, 4), r_coef(4, 9)
    i = int(np.argmin(np.abs(twt - expected[0])))
    w = roadbed.synth.ricker(twt[i] - expected[0], frequency_hz=1.5e9)
    assert trace[i] == pytest.approx(r1 * (1 - r_s**2) * 0.1 / 0.15 * w, rel=1e-4)


def test_polarity_of_pipes_and_cavities():
    """Air (void, plastic pipe) reverses the surface polarity; metal and water keep it."""
    t0 = 3.0
    objects = {
        "metal": Pipe(1.0, 0.0, 0.5, 0.05, "metal"),
        "plastic": Pipe(3.0, 0.0, 0.5, 0.05, "plastic"),
        "water": Pipe(5.0, 0.0, 0.5, 0.05, "water"),
        "air void": Cavity(7.0, 0.0, 0.5, 0.8, 0.8, 0.3, "air"),
        "water void": Cavity(9.0, 0.0, 0.5, 0.8, 0.8, 0.3, "water", "ellipsoid"),
    }
    scene = GprScene(
        layers=HOMOGENEOUS,
        pipes=tuple(o for o in objects.values() if isinstance(o, Pipe)),
        cavities=tuple(o for o in objects.values() if isinstance(o, Cavity)),
    )
    da, _ = synthetic_survey(scene, n_channels=1, n_traces=501, trace_spacing_m=0.02, n_samples=400,
                             time_window_ns=40.0, frequency_hz=8e8, time_zero_ns=t0)  # fmt: skip
    b = da.isel(channel=0)
    twt = b[cv.TWT].values
    surface_sign = np.sign(b.values[0, np.argmin(np.abs(twt - t0))])
    assert surface_sign < 0
    t_top = t0 + 2 * 0.5 / V_GROUND
    i = int(np.argmin(np.abs(twt - t_top)))
    signs = {}
    for name, obj in objects.items():
        trace = b.sel(trace=int(round(obj.along_m / 0.02))).values
        window = trace[i - 3 : i + 4]
        signs[name] = np.sign(window[np.argmax(np.abs(window))])
    assert signs == {"metal": surface_sign, "plastic": -surface_sign, "water": surface_sign,
                     "air void": -surface_sign, "water void": surface_sign}  # fmt: skip
    # the air void's bottom echo: opposite sign, 2 h / v_air later
    trace = b.sel(trace=350).values
    t_bottom = t_top + 2 * 0.3 / C
    got = pick(trace, twt, t_bottom, 0.3, sign=surface_sign)
    assert abs(got - t_bottom) <= twt[1] - twt[0]


def test_box_cavity_top_is_flat_over_its_width():
    zt, t0 = 0.6, 3.0
    scene = GprScene(layers=HOMOGENEOUS, cavities=(Cavity(2.0, 0.0, zt, 1.0, 1.0, 0.4, "air"),))
    da, _ = synthetic_survey(scene, time_zero_ns=t0, n_multiples=0, **SURVEY)
    b = da.isel(channel=0)
    twt = b[cv.TWT].values
    flat_time = t0 + 2 * zt / V_GROUND
    dist = b[cv.DISTANCE].values
    for j in np.flatnonzero(np.abs(dist - 2.0) < 0.45):
        assert abs(pick(b.values[j], twt, flat_time, 0.4, sign=1) - flat_time) <= twt[1] - twt[0]
    # off the top, the edge diffraction: nearest edge 0.5 m from the centre
    for j in np.flatnonzero((np.abs(dist - 2.0) > 0.6) & (np.abs(dist - 2.0) < 1.0)):
        d = abs(dist[j] - 2.0) - 0.5
        expected = t0 + 2 * math.hypot(d, zt) / V_GROUND
        assert abs(pick(b.values[j], twt, expected, 0.4, sign=1) - expected) <= twt[1] - twt[0]


def test_apex_amplitude_spreading_and_attenuation():
    dt = 40.0 / 512
    z0 = 80 * dt * V_GROUND / 2  # apex exactly on sample 80 after time zero
    t0 = 40 * dt
    scene = GprScene(layers=HOMOGENEOUS, pipes=(Pipe(2.0, 0.0, z0, 0.05, "metal"),))
    clean, _ = synthetic_survey(scene, time_zero_ns=t0, **SURVEY)
    lossy, _ = synthetic_survey(scene, time_zero_ns=t0, attenuation_db_per_m=12.0, **SURVEY)
    a_clean = float(clean.isel(channel=0, trace=100, twt=120))
    a_lossy = float(lossy.isel(channel=0, trace=100, twt=120))
    r_s = r_coef(1, EPS_GROUND)
    assert a_clean == pytest.approx(-1.0 * (1 - r_s**2) * 0.1 / z0, rel=1e-5)
    assert a_lossy / a_clean == pytest.approx(10 ** (-12.0 * 2 * z0 / 20), rel=1e-5)


def test_pipe_at_an_angle_shifts_its_apex_by_spacing_times_tan():
    angle, z0, x0 = 30.0, 0.5, 2.0
    scene = GprScene(layers=HOMOGENEOUS, pipes=(Pipe(x0, 0.0, z0, 0.02, "metal", angle_deg=angle),))
    da, truth = synthetic_survey(scene, n_channels=8, n_traces=201, n_samples=400, trace_spacing_m=0.02,
                                 time_window_ns=40.0, frequency_hz=8e8, time_zero_ns=3.0)  # fmt: skip
    twt = da[cv.TWT].values
    dist = da[cv.DISTANCE].values
    apex = []
    for ch in range(8):
        b = da.isel(channel=ch).values
        late = twt > 3.0 + 1.5 / 0.8
        masked = np.where(late, b, np.inf)
        picks = twt[np.argmin(masked, axis=1)]  # time of the most negative sample of each trace
        strong = masked.min(axis=1) < 0.3 * masked.min()  # traces where the pipe's arrival is in the window
        near = strong & (np.abs(dist - dist[np.argmin(np.where(strong, picks, np.inf))]) < 0.5)
        a, bb, _ = np.polyfit(dist[near], picks[near] ** 2, 2)  # t² is a parabola in x, vertex at the apex
        apex.append(-bb / (2 * a))
    offsets = da[cv.OFFSET].values
    expected = x0 + offsets * math.tan(math.radians(angle))
    np.testing.assert_allclose(apex, expected, atol=0.01)
    # ground truth: the clipped polyline runs along the pipe's axis at depth to top
    (pipe,) = truth
    (a0, c0, z_a), (a1, c1, z_b) = pipe.vertices
    assert z_a == z_b == z0
    assert (a1 - a0) / (c1 - c0) == pytest.approx(math.tan(math.radians(angle)))
    assert {round(c0, 9), round(c1, 9)} == {round(offsets[0] - 0.0375, 9), round(offsets[-1] + 0.0375, 9)}


def test_time_zero_per_channel():
    t0 = np.array([2.0, 2.5, 3.1, 4.0])
    da, _ = synthetic_survey(GprScene(layers=HOMOGENEOUS), n_channels=4, n_traces=2, time_zero_ns=t0)
    twt = da[cv.TWT].values
    for ch in range(4):
        assert abs(pick(da.values[ch, 0], twt, t0[ch], 0.3, sign=-1) - t0[ch]) <= twt[1] - twt[0]
    assert da.attrs[cv.ATTR_TIME_ZERO] == t0.tolist()


def test_noise_is_seeded_and_of_the_given_size():
    scene = GprScene(pipes=(Pipe(1.0, 0.0, 0.5, 0.05),))
    opts = dict(n_channels=3, n_traces=100, n_samples=256)
    clean_a, _ = synthetic_survey(scene, rng=1, **opts)
    clean_b, _ = synthetic_survey(scene, rng=2, **opts)
    np.testing.assert_array_equal(clean_a.values, clean_b.values)
    noisy_a, _ = synthetic_survey(scene, noise_std=0.01, rng=np.random.default_rng(7), **opts)
    noisy_b, _ = synthetic_survey(scene, noise_std=0.01, rng=7, **opts)
    noisy_c, _ = synthetic_survey(scene, noise_std=0.01, rng=8, **opts)
    np.testing.assert_array_equal(noisy_a.values, noisy_b.values)
    assert not np.array_equal(noisy_a.values, noisy_c.values)
    noise = (noisy_a - clean_a).values
    assert noise.std() == pytest.approx(0.01, rel=0.02)
    assert abs(noise.mean()) < 0.001


def test_full_size_survey_is_made():
    """20 channels × 2,000 traces × 512 samples with clutter: the target size of the generator."""
    scene = GprScene(
        pipes=(Pipe(10.0, 0.0, 0.8, 0.05), Pipe(20.0, 0.2, 0.6, 0.1, "plastic", angle_deg=30)),
        cavities=(Cavity(30.0, 0.0, 0.7, 1.0, 0.8, 0.3), Cavity(35.0, -0.3, 0.9, 0.6, 0.6, 0.4, "water", "ellipsoid")),
        scatterers=random_stones(1, 100, along_range_m=(0, 40), across_range_m=(-0.8, 0.8))
        + rebar_grid(along_range_m=(0, 3), across_range_m=(-0.8, 0.8), depth_m=0.08),
    )
    da, truth = synthetic_survey(scene, noise_std=0.002, rng=0)
    assert da.dims == (cv.CHANNEL, cv.TRACE, cv.TWT)
    assert da.shape == (20, 2000, 512) and da.dtype == np.float32
    assert np.all(np.isfinite(da.values))
    np.testing.assert_allclose(np.diff(da[cv.OFFSET].values), 0.075)
    assert da[cv.OFFSET].values.mean() == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(da[cv.DISTANCE].values, 0.02 * np.arange(2000))
    np.testing.assert_allclose(da[cv.TWT].values, np.arange(512) * 50.0 / 512)
    assert da[cv.TWT].attrs[cv.ATTR_UNITS] == cv.UNIT_NS
    attrs = da.attrs
    assert attrs[cv.ATTR_INSTRUMENT] == "roadbed.synth"
    assert attrs[cv.ATTR_FREQUENCY] == 600e6
    assert attrs[cv.ATTR_SAMPLE_INTERVAL] == pytest.approx(50.0 / 512)
    assert attrs[cv.ATTR_TIME_WINDOW] == 50.0
    assert attrs[cv.ATTR_TRACE_SPACING] == 0.02
    assert attrs[cv.ATTR_RELATIVE_PERMITTIVITY] == 5.0
    (entry,) = roadbed.history(da)
    assert "synthetic_survey" in entry
    kinds = [h.kind for h in truth]
    assert kinds.count("pipe") == 2 and kinds.count("cavity") == 2
    stones = sum(1 for s in scene.scatterers if s.length_m == 0 and s.along_m <= 39.98 and abs(s.across_m) <= 0.75)
    transverse_bars = len(np.arange(0, 3 + 1e-9, 0.2))  # every one crosses the swath
    longitudinal_bars = sum(1 for c in np.arange(-0.8, 0.8 + 1e-9, 0.2) if abs(c) <= 0.75)
    assert kinds.count("other") == stones + transverse_bars + longitudinal_bars


def test_ground_truth_records():
    scene = GprScene(
        pipes=(Pipe(5.0, 0.0, 0.8, 0.05, "water", angle_deg=0.0), Pipe(50.0, 0.0, 0.8, 0.05, angle_deg=0.0, length_m=2.0)),
        cavities=(Cavity(3.0, 0.2, 0.6, 1.0, 0.5, 0.3, "air", "ellipsoid"), Cavity(3.0, 5.0, 0.6, 1.0, 0.5, 0.3)),
        scatterers=(Scatterer(1.0, 0.1, 0.2, 0.03), Scatterer(1.0, 3.0, 0.2, 0.03)),
    )
    truth = ground_truth(scene, along_range_m=(0.0, 10.0), across_range_m=(-0.75, 0.75))
    pipe, cavity, stone = truth
    assert pipe.kind == "pipe" and pipe.geometry_type == "polyline"
    assert pipe.vertices == ((5.0, -0.75, 0.8), (5.0, 0.75, 0.8))
    assert pipe.attributes["diameter_m"] == pytest.approx(0.1) and pipe.attributes["material"] == "water"
    assert cavity.kind == "cavity" and cavity.geometry_type == "polygon"
    assert cavity.depth_m == 0.6
    assert cavity.attributes["volume_m3"] == pytest.approx(math.pi / 6 * 1.0 * 0.5 * 0.3)
    assert cavity.attributes["fill"] == "air"
    outline = np.array(cavity.vertices)[:, :2]
    assert np.ptp(outline[:, 0]) == pytest.approx(1.0) and np.ptp(outline[:, 1]) == pytest.approx(0.5, rel=1e-2)
    assert stone.kind == "other" and stone.vertices == ((1.0, 0.1, 0.2),)
    assert all(h.confidence == 1.0 and h.source == "roadbed.synth" for h in truth)
    assert [roadbed.hazards.Hazard.from_dict(h.to_dict()) for h in truth] == truth


def test_pipe_between_two_points_is_reported_between_them():
    pipe = Pipe.between((1.0, -0.4), (3.0, 0.5), depth_m=0.7, radius_m=0.04, material="plastic")
    (hazard,) = ground_truth(GprScene(pipes=(pipe,)), along_range_m=(0.0, 5.0), across_range_m=(-1.0, 1.0))
    np.testing.assert_allclose(hazard.vertices, [(1.0, -0.4, 0.7), (3.0, 0.5, 0.7)], atol=1e-12)
    assert hazard.attributes["length_m"] == pytest.approx(math.hypot(2.0, 0.9))
    # and the data see its end: beyond it, the nearest point is the end, not the axis
    twt = _kernels.cylinder_twt(4.0, 0.5, pipe.along_m, pipe.across_m, *[math.sin(math.radians(pipe.angle_deg)),
                                math.cos(math.radians(pipe.angle_deg))], pipe.length_m / 2, 0.74, 0.04, 0.1)  # fmt: skip
    end_distance = math.hypot(4.0 - 3.0, 0.5 - 0.5)
    assert twt == pytest.approx(2 / 0.1 * (math.hypot(end_distance, 0.74) - 0.04))


def test_single_line_equals_the_array_channel_at_its_offset():
    scene = GprScene(
        pipes=(Pipe(1.0, 0.3, 0.5, 0.05, angle_deg=20),),
        cavities=(Cavity(2.5, 0.1, 0.6, 0.6, 0.4, 0.3),),
        scatterers=(Scatterer(0.5, 0.2, 0.3),),
    )
    opts = dict(n_traces=200, n_samples=256, time_zero_ns=2.5)
    da, _ = synthetic_survey(scene, n_channels=4, **opts)
    line, truth = synthetic_line(scene, offset_m=float(da[cv.OFFSET][3]), **opts)
    assert line.dims == (cv.TRACE, cv.TWT)
    assert float(line[cv.OFFSET]) == pytest.approx(0.1125)
    np.testing.assert_allclose(line.values, da.isel(channel=3).values, rtol=1e-6, atol=1e-7)
    # the line's strip is one channel wide around its offset
    assert sorted(h.kind for h in truth) == ["cavity", "pipe"]  # the stone at across 0.2 is off the strip
    pipe = next(h for h in truth if h.kind == "pipe")
    assert min(v[1] for v in pipe.vertices) == pytest.approx(0.1125 - 0.0375)


def test_bad_scene_values_are_rejected():
    with pytest.raises(ValueError, match="material"):
        Pipe(0.0, 0.0, 0.5, 0.05, "wood")
    with pytest.raises(ValueError, match="depth_m"):
        Cavity(0.0, 0.0, -0.1, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="layer"):
        GprScene(layers=())
    with pytest.raises(ValueError, match="engine"):
        synthetic_survey(GprScene(), n_traces=2, engine="cuda")
    with pytest.raises(ValueError, match="time_zero_ns"):
        synthetic_survey(GprScene(), n_channels=3, n_traces=2, time_zero_ns=[1.0, 2.0])


def test_synthetic_survey_round_trips_through_dzt(tmp_path):
    scene = GprScene(pipes=(Pipe(0.5, 0.0, 0.4, 0.05),), cavities=(Cavity(1.2, 0.1, 0.5, 0.4, 0.4, 0.2),))
    t0 = [2.0, 2.25, 2.5, 2.75]
    da, _ = synthetic_survey(scene, n_channels=4, n_traces=80, n_samples=256, time_window_ns=30.0,
                             trace_spacing_m=0.025, time_zero_ns=t0, noise_std=0.001, rng=4)  # fmt: skip
    scale = 1e6  # 32-bit words: amplitudes to 1e-6
    path = roadbed.write(da, tmp_path / "synthetic.dzt", bits=32, scale=scale)
    back = roadbed.read(path)
    assert back.dims == da.dims and back.shape == da.shape
    np.testing.assert_allclose(back.values[..., 2:] / scale, da.values[..., 2:], atol=0.6 / scale)
    np.testing.assert_allclose(back[cv.TWT].values, da[cv.TWT].values, rtol=1e-6)
    np.testing.assert_allclose(back[cv.DISTANCE].values, da[cv.DISTANCE].values, rtol=1e-5, atol=1e-9)
    assert back.attrs[cv.ATTR_FREQUENCY] == da.attrs[cv.ATTR_FREQUENCY]
    assert back.attrs[cv.ATTR_RELATIVE_PERMITTIVITY] == da.attrs[cv.ATTR_RELATIVE_PERMITTIVITY]
    np.testing.assert_allclose(back.attrs[cv.ATTR_TIME_ZERO], t0, rtol=1e-6)
