"""Velocity estimation: focusing on synthetic surveys, hyperbola fits, and WARR semblance on a real gather."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import roadbed
from roadbed import conventions as cv
from roadbed.gpr import _kirchhoff_kernels as kernels
from roadbed.gpr import _kirchhoff_reference as reference
from roadbed.gpr.velocity import (
    VELOCITY_DIM,
    VelocityEstimate,
    cmp_velocity,
    estimate_velocity,
    fit_hyperbola,
    focusing_measure,
    pick_hyperbola,
    warr_semblance,
)
from roadbed.model import radargram
from roadbed.synth import (
    DEFAULT_LAYERS,
    GprScene,
    Layer,
    Pipe,
    Scatterer,
    average_velocity,
    random_stones,
    ricker,
    synthetic_line,
    synthetic_survey,
)

C = 0.299792458  # m/ns, the tests' own truth
EPS = 9.0
V = C / math.sqrt(EPS)
HOMOGENEOUS = (Layer(math.inf, EPS, "soil"),)


def time_zero(da) -> float:
    return float(np.ravel(da.attrs[cv.ATTR_TIME_ZERO])[0])


# --- the result record --------------------------------------------------------------------------
def test_velocity_estimate_record():
    est = VelocityEstimate.from_velocity(0.1, 0.002, "hyperbola", n_points=12)
    assert est.to_dict() == {
        "velocity_m_per_ns": 0.1,
        "uncertainty_m_per_ns": 0.002,
        "relative_permittivity": pytest.approx((C / 0.1) ** 2, rel=1e-12),
    }
    assert list(est.to_dict()) == ["velocity_m_per_ns", "uncertainty_m_per_ns", "relative_permittivity"]
    assert est.to_record()["method"] == "hyperbola" and est.to_record()["n_points"] == 12
    assert est.permittivity_uncertainty == pytest.approx(2 * (C / 0.1) ** 2 * 0.02)
    with pytest.raises(ValueError, match="relative_permittivity"):
        VelocityEstimate(0.1, 0.0, 4.0, "manual")
    with pytest.raises(ValueError, match="velocity"):
        VelocityEstimate.from_velocity(-0.1, 0.0, "manual")


def test_focusing_measure_limits():
    n = 1000
    assert focusing_measure(np.ones(n)) == pytest.approx(1.0)
    assert focusing_measure(np.ones(n), measure="entropy") == pytest.approx(0.0, abs=1e-12)
    spike = np.zeros(n)
    spike[17] = 3.0
    assert focusing_measure(spike) == pytest.approx(n)
    assert focusing_measure(spike, measure="entropy") == pytest.approx(math.log(n))
    with pytest.raises(ValueError, match="measure"):
        focusing_measure(spike, measure="kurtosis-ish")


# --- (a) focusing ----------------------------------------------------------------------------
def _point_scatterers(rng, n, along_range, depth_range):
    return tuple(
        Scatterer(float(a), 0.0, float(z), 0.003, "metal")
        for a, z in zip(rng.uniform(*along_range, n), rng.uniform(*depth_range, n), strict=True)
    )


def test_focusing_velocity_homogeneous_half_space():
    targets = _point_scatterers(np.random.default_rng(0), 5, (0.8, 5.2), (0.2, 0.8))
    scene = GprScene(layers=HOMOGENEOUS, scatterers=targets)
    da, _ = synthetic_line(scene, n_traces=300, trace_spacing_m=0.02, n_samples=512, time_window_ns=30.0)
    est = estimate_velocity(da, time_zero_ns=time_zero(da), region_length_m=2.0)
    assert est.method == "focusing"
    assert abs(est.velocity_m_per_ns - V) <= 0.05 * V
    assert est.relative_permittivity == pytest.approx(EPS, rel=0.10)
    assert 0 < est.uncertainty_m_per_ns < 0.05 * V
    assert len(est.details["regions"]) == 2
    # the focusing curve peaks where the estimate is
    curve = np.asarray(est.details["focusing"])
    best = np.asarray(est.details["velocities_m_per_ns"])[np.argmax(curve)]
    assert abs(best - est.velocity_m_per_ns) <= 0.02 * V


def test_focusing_velocity_of_large_pipes_with_their_radius():
    # 10 cm radius pipes 0.3–0.45 m deep: a point's curve needs sqrt((z0 + R)/z0) ≈ 1.1–1.15 × v to fit
    pipes = tuple(Pipe(a, 0.0, z, 0.1, "metal") for a, z in ((1.2, 0.3), (2.6, 0.45), (4.0, 0.35), (5.2, 0.4)))
    scene = GprScene(layers=HOMOGENEOUS, pipes=pipes)
    da, _ = synthetic_line(scene, n_traces=320, trace_spacing_m=0.02, n_samples=512, time_window_ns=30.0)
    point = estimate_velocity(da, time_zero_ns=time_zero(da))
    pipe = estimate_velocity(da, time_zero_ns=time_zero(da), radius_m=0.1)
    assert point.velocity_m_per_ns > 1.05 * V
    assert pipe.velocity_m_per_ns == pytest.approx(V, rel=0.03)


def test_focusing_velocity_layered_scene_is_the_average_above_the_targets():
    depth = 0.7
    pipes = tuple(Pipe(a, 0.0, depth, 0.003, "metal") for a in (1.5, 3.0, 4.2, 5.5))
    scene = GprScene(layers=DEFAULT_LAYERS, pipes=pipes)
    da, _ = synthetic_line(scene, n_traces=350, trace_spacing_m=0.02, n_samples=512, time_window_ns=40.0)
    truth = average_velocity(DEFAULT_LAYERS, depth)
    est = estimate_velocity(da, time_zero_ns=time_zero(da))
    assert abs(est.velocity_m_per_ns - truth) <= 0.05 * truth
    # and not merely the top layer's or the target layer's velocity
    v_layers = [C / math.sqrt(layer.relative_permittivity) for layer in DEFAULT_LAYERS]
    assert abs(est.velocity_m_per_ns - truth) < min(abs(est.velocity_m_per_ns - v) for v in v_layers)


def test_focusing_velocity_survives_noise_and_clutter_in_a_3d_survey():
    rng = np.random.default_rng(5)
    stones = random_stones(rng, 25, along_range_m=(0, 6), across_range_m=(-0.2, 0.2), depth_range_m=(0.05, 0.9),
                           radius_range_m=(0.002, 0.01))  # fmt: skip
    targets = _point_scatterers(rng, 3, (1.0, 5.0), (0.4, 0.8))
    scene = GprScene(layers=HOMOGENEOUS, scatterers=stones + targets)
    da, _ = synthetic_survey(
        scene, n_channels=3, n_traces=300, trace_spacing_m=0.02, n_samples=512, time_window_ns=30.0,
        noise_std=0.05, rng=7,
    )  # fmt: skip
    est = estimate_velocity(da, time_zero_ns=time_zero(da), max_channels=2, measure="entropy")
    assert abs(est.velocity_m_per_ns - V) <= 0.05 * V


def test_focusing_velocity_with_stolt_migration():
    pytest.importorskip("roadbed.gpr.stolt")
    targets = _point_scatterers(np.random.default_rng(1), 4, (0.8, 3.2), (0.2, 0.7))
    da, _ = synthetic_line(GprScene(layers=HOMOGENEOUS, scatterers=targets), n_traces=200, n_samples=384,
                           time_window_ns=25.0, noise_std=0.02, rng=2)  # fmt: skip
    est = estimate_velocity(da, time_zero_ns=time_zero(da), migrator="stolt")
    assert abs(est.velocity_m_per_ns - V) <= 0.05 * V


def test_focusing_refuses_bad_options():
    da, _ = synthetic_line(GprScene(layers=HOMOGENEOUS), n_traces=20, n_samples=64)
    with pytest.raises(ValueError, match="migrator"):
        estimate_velocity(da, migrator="phase-shift")
    with pytest.raises(ValueError, match="measure"):
        estimate_velocity(da, measure="sharpness")
    with pytest.raises(ValueError, match="velocities"):
        estimate_velocity(da, velocities_m_per_ns=[0.1, -0.1, 0.2])


# --- (b) hyperbola fit ----------------------------------------------------------------------------
def _twt(x, v, x0, z0, radius, t0):
    return t0 + (2 / v) * (np.sqrt((x - x0) ** 2 + (z0 + radius) ** 2) - radius)


@pytest.mark.parametrize(("depth", "radius"), [(0.5, 0.003), (0.6, 0.2)])
def test_hyperbola_fit_to_picks_from_synthetic_data(depth, radius):
    along = 2.0
    scene = GprScene(layers=HOMOGENEOUS, pipes=(Pipe(along, 0.0, depth, radius, "metal"),))
    da, _ = synthetic_line(scene, n_traces=201, trace_spacing_m=0.02, n_samples=512, time_window_ns=40.0)
    t0 = time_zero(da)
    apex = t0 + 2 * depth / V
    x, t = pick_hyperbola(da, distance_range_m=(1.2, 2.8), twt_range_ns=(apex - 3.0, 40.0))
    # the picks themselves lie on the formula's curve
    np.testing.assert_allclose(t, _twt(x, V, along, depth, radius, t0), atol=0.02)
    fit = fit_hyperbola(x, t, time_zero_ns=t0)
    assert fit.velocity.velocity_m_per_ns == pytest.approx(V, rel=0.01)
    assert fit.x0_m == pytest.approx(along, abs=0.01)
    assert fit.z0_m == pytest.approx(depth, rel=0.02)
    assert fit.apex_twt_ns == pytest.approx(2 * depth / V, rel=0.02)
    if radius > 0.1:  # a big pipe: R resolved (λ/4 ≈ 4 cm at 600 MHz)
        assert fit.radius_m == pytest.approx(radius, rel=0.10)
    assert set(fit.to_dict()) >= {"velocity_m_per_ns", "uncertainty_m_per_ns", "relative_permittivity", "z0_m"}


def test_hyperbola_fit_of_a_point_leaves_an_unresolved_radius_out():
    rng = np.random.default_rng(11)
    x = np.linspace(0.0, 3.0, 61)
    t = _twt(x, 0.1, 1.4, 0.5, 0.0, 3.0) + rng.normal(0.0, 0.05, x.size)
    fit = fit_hyperbola(x, t, time_zero_ns=3.0)
    assert fit.radius_m is None and fit.radius_std_m is None
    assert fit.velocity.velocity_m_per_ns == pytest.approx(0.1, rel=0.02)


def test_hyperbola_fit_uncertainty_matches_the_scatter():
    """Standard errors from the Jacobian agree with the spread over repeated noisy picks."""
    rng = np.random.default_rng(2)
    x = np.linspace(0.0, 3.0, 41)
    truth = dict(v=0.12, x0=1.3, z0=0.6, radius=0.0, t0=2.0)
    clean = _twt(x, **truth)
    velocities, sigmas, covered = [], [], 0
    for _ in range(60):
        fit = fit_hyperbola(x, clean + rng.normal(0.0, 0.08, x.size), time_zero_ns=2.0, radius=False)
        velocities.append(fit.velocity.velocity_m_per_ns)
        sigmas.append(fit.velocity.uncertainty_m_per_ns)
        covered += abs(fit.velocity.velocity_m_per_ns - truth["v"]) <= 2 * fit.velocity.uncertainty_m_per_ns
    assert np.std(velocities) == pytest.approx(np.mean(sigmas), rel=0.3)
    assert covered >= 50  # ≈ 95 % within 2σ


def test_hyperbola_fit_refuses_too_few_points():
    with pytest.raises(ValueError, match="picks"):
        fit_hyperbola([0.0, 1.0, 2.0], [5.0, 4.0, 5.0])


# --- (c) semblance ---------------------------------------------------------------------------------
@given(
    nx=st.integers(1, 6),
    ns=st.integers(2, 30),
    linear=st.booleans(),
    half=st.integers(0, 4),
    t0=st.floats(-2.0, 5.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_semblance_kernel_equals_twin(nx, ns, linear, half, t0, seed):
    rng = np.random.default_rng(seed)
    data = rng.standard_normal((nx, ns))
    offsets = rng.uniform(0.0, 3.0, nx)
    velocities = rng.uniform(0.03, 0.3, 5)
    args = (data, offsets, velocities, -1.0, 0.4, t0, linear, half)
    for fast, slow in zip(kernels.semblance(*args), reference.semblance(*args), strict=True):
        np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)


def _synthetic_warr():
    """A WARR gather from the formulas: air wave, ground wave and one reflection."""
    separation = 0.5 + 0.1 * np.arange(80)
    twt = 0.4 * np.arange(500)
    f = 100e6
    t_air = separation / C
    t_ground = separation / 0.11
    t_reflection = np.sqrt(60.0**2 + (separation / 0.08) ** 2)
    data = np.zeros((separation.size, twt.size))
    for times, amplitude in ((t_air, 1.0), (t_ground, 0.8), (t_reflection, 0.5)):
        data += amplitude * ricker(twt[None, :] - times[:, None], frequency_hz=f)
    return radargram(data.astype(np.float32), twt_ns=twt, distance_m=separation, attrs={cv.ATTR_FREQUENCY: f})


def test_semblance_recovers_the_synthetic_gather_velocities():
    da = _synthetic_warr()
    # both direct waves are perfectly coherent here: tell them apart by the velocities searched
    air = cmp_velocity(da, moveout="linear", velocities_m_per_ns=np.arange(0.2, 0.4, 0.002))
    assert air.velocity_m_per_ns == pytest.approx(C, rel=0.02)
    assert air.details["twt_ns"] == pytest.approx(0.0, abs=1.0)
    ground = cmp_velocity(da, moveout="linear", velocities_m_per_ns=np.arange(0.03, 0.2, 0.002))
    assert ground.velocity_m_per_ns == pytest.approx(0.11, rel=0.02)
    reflection = cmp_velocity(da, moveout="hyperbolic", twt_range_ns=(40.0, 200.0))
    assert reflection.velocity_m_per_ns == pytest.approx(0.08, rel=0.02)
    assert reflection.details["twt_ns"] == pytest.approx(60.0, abs=1.0)
    assert reflection.details["depth_m"] == pytest.approx(0.08 * 60.0 / 2, rel=0.03)
    panel = warr_semblance(da, moveout="hyperbolic")
    assert panel.dims == (cv.TWT, VELOCITY_DIM)
    assert float(panel.max()) <= 1.0 and float(panel.min()) >= 0.0


def test_warr_semblance_on_the_pulseekko_gather(gpr_data):
    """The real 100 MHz WARR gather: the direct air wave travels at c.

    Found on this file (distance coord taken as the separation, twt as
    recorded, 10 ns window): air wave 0.305 m/ns (intercept 3.2 ns); ground
    wave 0.103 m/ns (intercept 10.8 ns); strongest reflection after the
    direct waves at t0 ≈ 92 ns, 0.099 m/ns (ε ≈ 9.2). GPRPy's WARR example
    scripts run semblance on this very file but print no velocity.
    """
    da = roadbed.read(gpr_data / "pulseekko_100mhz_warr.DT1").isel({cv.TWT: slice(0, 700)})
    air = cmp_velocity(da, moveout="linear")
    assert air.velocity_m_per_ns == pytest.approx(C, rel=0.05)
    assert air.relative_permittivity == pytest.approx(1.0, rel=0.10)
    ground_wave = cmp_velocity(da, moveout="linear", velocities_m_per_ns=np.arange(0.04, 0.2, 0.002))
    reflection = cmp_velocity(da, moveout="hyperbolic", twt_range_ns=(40.0, 280.0))
    # two independent arrivals through the same ground agree
    assert 0.05 < ground_wave.velocity_m_per_ns < 0.2
    assert reflection.velocity_m_per_ns == pytest.approx(ground_wave.velocity_m_per_ns, rel=0.10)
    assert reflection.details["depth_m"] > 0


def test_semblance_refuses_bad_input():
    da = _synthetic_warr()
    with pytest.raises(ValueError, match="moveout"):
        warr_semblance(da, moveout="parabolic")
    with pytest.raises(ValueError, match="geometry"):
        warr_semblance(da, geometry="zero-offset")
    with pytest.raises(ValueError, match="twt_range_ns"):
        cmp_velocity(da, twt_range_ns=(5000.0, 6000.0))
