"""Stolt and phase-shift migration: kernels vs twins, and focusing of synthetic diffractions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import roadbed
from roadbed import conventions as cv
from roadbed.gpr import _spectral_kernels as kern
from roadbed.gpr import _spectral_reference as ref
from roadbed.gpr.phaseshift import _step_tables, phase_shift_migrate
from roadbed.gpr.spectral import envelope
from roadbed.gpr.stolt import stolt_migrate
from roadbed.synth import GprScene, Layer, Pipe, Scatterer, synthetic_line, synthetic_survey

C = 0.299792458  # m/ns: the tests' own truth
EPS = 9.0
V = C / math.sqrt(EPS)
T0 = 3.0  # synthetic time zero, ns
LINE = {"n_traces": 200, "n_samples": 256, "time_window_ns": 30.0, "trace_spacing_m": 0.02,
        "frequency_hz": 900e6, "time_zero_ns": T0}  # fmt: skip


def _zeroed(da):
    """The synthetic record with twt measured from the ground surface (starts at −3 ns)."""
    return da.assign_coords({cv.TWT: da[cv.TWT] - T0})


def _focus(da, *, below_ns=4.0):
    """Index of the envelope's maximum below ``below_ns`` (away from the surface reflection), and its value."""
    env = envelope(da).values.copy()
    env[..., da[cv.TWT].values < below_ns] = 0.0
    idx = np.unravel_index(int(np.argmax(env)), env.shape)
    return idx, float(env[idx])


def _point_line(depth=0.5, along=2.0, layers=(Layer(math.inf, EPS),)):
    scene = GprScene(layers=layers, scatterers=(Scatterer(along, 0.0, depth, 0.005, "metal"),))
    da, _ = synthetic_line(scene, **LINE)
    return _zeroed(da)


# --- kernels vs twins ----------------------------------------------------------------------
@given(x=st.floats(-1e4, 1e4))
def test_cos_sin_matches_libm(x):
    c, s = kern._cos_sin(x)
    assert c == pytest.approx(math.cos(x), abs=1e-11) and s == pytest.approx(math.sin(x), abs=1e-11)


@given(
    seed=st.integers(0, 2**32 - 1),
    n_lines=st.integers(1, 12),
    n_omega=st.integers(2, 40),
    odd=st.booleans(),
    u=st.floats(0.01, 0.2),
    t0=st.floats(-30.0, 30.0),
    d_omega=st.floats(0.01, 1.0),
    sinc=st.booleans(),
)
def test_stolt_map_kernel_equals_twin(seed, n_lines, n_omega, odd, u, t0, d_omega, sinc):
    rng = np.random.default_rng(seed)
    spec = (rng.standard_normal((n_lines, n_omega)) + 1j * rng.standard_normal((n_lines, n_omega))).astype(np.complex64)
    k = np.abs(rng.standard_normal(n_lines)) * rng.uniform(0, 3) * d_omega / u
    k[0] = 0.0
    mirror = rng.integers(0, n_lines, n_lines)
    n_time = 2 * (n_omega - 1) + int(odd)
    got = kern.stolt_map(spec, k, mirror, d_omega, n_time, u, t0, sinc)
    want = ref.stolt_map(spec, k, mirror, d_omega, n_time, u, t0, sinc)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * np.abs(spec).max())


@given(
    seed=st.integers(0, 2**32 - 1),
    n_lines=st.integers(1, 6),
    n_omega=st.integers(2, 20),
    n_tau=st.integers(2, 30),
    velocities=st.lists(st.floats(0.03, 0.3), min_size=1, max_size=3),
    t0=st.floats(-5.0, 5.0),
)
def test_phase_shift_kernel_equals_twin(seed, n_lines, n_omega, n_tau, velocities, t0):
    rng = np.random.default_rng(seed)
    dt = 0.1
    spec = (rng.standard_normal((n_lines, n_omega)) + 1j * rng.standard_normal((n_lines, n_omega))).astype(np.complex64)
    n_time = 2 * (n_omega - 1)
    d_omega = 2 * np.pi / (n_time * dt)
    v = np.array(velocities)
    span = max(t0 + n_tau * dt, 0.0) + 1.0  # interfaces inside the output time range, mostly
    tops = np.concatenate([[0.0], np.sort(rng.uniform(0.01, span, v.size - 1)) + 1e-3 * np.arange(v.size - 1)])
    k = np.abs(rng.standard_normal(n_lines)) * d_omega * n_omega / v.max()
    k[0] = 0.0
    w_init, w_step, same = _step_tables(tops, t0, dt, n_tau)
    got = kern.phase_shift(spec, k, d_omega, n_time, v / 2, t0, w_init, w_step, same)
    want = ref.phase_shift(spec, k, d_omega, n_time, v / 2, t0, w_init, w_step, same)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(spec).sum(axis=1).max())


# --- focusing of synthetic diffractions ------------------------------------------------------
@pytest.mark.parametrize("interpolation", ["linear", "sinc"])
def test_stolt_2d_collapses_a_point_diffraction_to_its_apex(interpolation):
    da = _point_line()
    t_apex = 2 * 0.5 / V
    dt = float(da[cv.TWT][1] - da[cv.TWT][0])
    out = stolt_migrate(da, velocity_m_per_ns=V, interpolation=interpolation)
    (trace, sample), peak = _focus(out)
    assert abs(float(out[cv.DISTANCE][trace]) - 2.0) <= 0.02 + 1e-9
    assert abs(float(out[cv.TWT][sample]) - t_apex) <= dt
    # the flanks are gone: 0.5 m off the apex, around the hyperbola's time, the envelope fell tenfold
    (_, _), raw_peak = _focus(da)
    t_flank = 2 * (math.hypot(0.5, 0.5 + 0.005) - 0.005) / V
    flank = {cv.TRACE: 125, cv.TWT: slice(t_flank - 0.5, t_flank + 0.5)}
    before = float(envelope(da).isel({cv.TRACE: 125}).sel({cv.TWT: flank[cv.TWT]}).max()) / raw_peak
    after = float(envelope(out).isel({cv.TRACE: 125}).sel({cv.TWT: flank[cv.TWT]}).max()) / peak
    assert after < 0.1 * before
    assert peak > 3 * raw_peak
    assert out.dims == da.dims and out.attrs["frequency_hz"] == da.attrs["frequency_hz"]
    assert "stolt_migrate(velocity_m_per_ns=" in roadbed.history(out)[-1]


def test_stolt_2d_collapses_a_pipe_and_gives_its_depth():
    scene = GprScene(layers=(Layer(math.inf, EPS),), pipes=(Pipe(1.5, 0.0, 0.4, 0.02, "metal"),))
    da = _zeroed(synthetic_line(scene, **LINE)[0])
    out = stolt_migrate(da, velocity_m_per_ns=V, output="depth")
    assert cv.DEPTH in out.dims and cv.TWT not in out.dims
    assert out[cv.DEPTH].attrs["units"] == "m"
    np.testing.assert_allclose(out[cv.DEPTH].values, V * da[cv.TWT].values / 2)
    env = envelope(out.rename({cv.DEPTH: cv.TWT})).values
    env[:, out[cv.DEPTH].values < 0.2] = 0.0
    trace, sample = np.unravel_index(int(np.argmax(env)), env.shape)
    dz = V * float(da[cv.TWT][1] - da[cv.TWT][0]) / 2
    assert abs(float(out[cv.DISTANCE][trace]) - 1.5) <= 0.02 + 1e-9
    assert abs(float(out[cv.DEPTH][sample]) - 0.4) <= dz


def test_stolt_3d_collapses_a_point_in_both_directions():
    offsets = 0.075 * (np.arange(16) - 7.5)
    scene = GprScene(layers=(Layer(math.inf, EPS),), scatterers=(Scatterer(1.0, offsets[9], 0.4, 0.005, "metal"),))
    opts = {k: v for k, v in LINE.items() if k != "n_traces"}
    da = _zeroed(synthetic_survey(scene, n_channels=16, n_traces=100, **opts)[0])
    out3 = stolt_migrate(da, velocity_m_per_ns=V)
    (channel, trace, sample), peak3 = _focus(out3)
    dt = float(da[cv.TWT][1] - da[cv.TWT][0])
    assert abs(channel - 9) <= 1
    assert abs(float(out3[cv.DISTANCE][trace]) - 1.0) <= 0.02 + 1e-9
    assert abs(float(out3[cv.TWT][sample]) - 2 * 0.4 / V) <= dt
    assert "mode='3d'" in roadbed.history(out3)[-1]
    out2 = stolt_migrate(da, velocity_m_per_ns=V, mode="2d")
    (_, peak2) = _focus(out2)
    assert peak3 > 1.5 * peak2  # the across-track hyperbolas only collapse in 3-D
    pytest.importorskip("dask")
    chunked = stolt_migrate(da.chunk({cv.CHANNEL: 4, cv.TRACE: 30}), velocity_m_per_ns=V)
    assert chunked.chunks is not None
    np.testing.assert_allclose(chunked.values, out3.values, atol=1e-5 * np.abs(out3.values).max())


def test_stolt_numpy_engine_and_flat_reflector():
    da = _point_line(depth=0.3).isel({cv.TRACE: slice(50, 150), cv.TWT: slice(0, 128)})
    fast = stolt_migrate(da, velocity_m_per_ns=V, interpolation="sinc")
    slow = stolt_migrate(da, velocity_m_per_ns=V, interpolation="sinc", engine="numpy")
    np.testing.assert_allclose(fast.values, slow.values, atol=1e-5 * np.abs(slow.values).max())
    # a flat event (k = 0) is left where it is
    flat = da.copy(data=np.tile(np.sin(np.arange(128, dtype=np.float32) / 3.0), (da.sizes[cv.TRACE], 1)))
    out = stolt_migrate(flat, velocity_m_per_ns=V, spatial_pad=0.0)
    np.testing.assert_allclose(out.values, flat.values, atol=1e-4)


def test_phase_shift_equals_stolt_at_constant_velocity():
    da = _point_line()
    ps = phase_shift_migrate(da, velocity_m_per_ns=V)
    for interpolation, tol in (("sinc", 0.02), ("linear", 0.05)):
        st_ = stolt_migrate(da, velocity_m_per_ns=V, interpolation=interpolation)
        assert np.linalg.norm(ps.values - st_.values) < tol * np.linalg.norm(ps.values)
    assert "phase_shift_migrate(velocity_m_per_ns=[" in roadbed.history(ps)[-1]


def test_phase_shift_focuses_below_two_layers_at_the_right_time():
    layers = (Layer(0.3, 6.0), Layer(math.inf, 12.0))
    v1, v2 = C / math.sqrt(6.0), C / math.sqrt(12.0)
    da = _point_line(depth=0.6, layers=layers)
    t_apex = 2 * 0.3 / v1 + 2 * 0.3 / v2
    dt = float(da[cv.TWT][1] - da[cv.TWT][0])
    out = phase_shift_migrate(da, velocity_m_per_ns=[v1, v2], interface_depth_m=[0.3])
    (trace, sample), peak = _focus(out, below_ns=7.0)
    assert abs(float(out[cv.DISTANCE][trace]) - 2.0) <= 0.02 + 1e-9
    assert abs(float(out[cv.TWT][sample]) - t_apex) <= dt
    same = phase_shift_migrate(da, velocity_m_per_ns=[v1, v2], interface_twt_ns=[2 * 0.3 / v1])
    np.testing.assert_allclose(same.values, out.values, atol=1e-6 * np.abs(out.values).max())
    # the top velocity alone under-migrates: it focuses less
    (_, peak_top) = _focus(stolt_migrate(da, velocity_m_per_ns=v1), below_ns=7.0)
    assert peak > 1.2 * peak_top


def test_phase_shift_3d_and_dask():
    offsets = 0.075 * (np.arange(8) - 3.5)
    scene = GprScene(layers=(Layer(math.inf, EPS),), scatterers=(Scatterer(0.6, offsets[4], 0.3, 0.005, "metal"),))
    opts = {**{k: v for k, v in LINE.items() if k != "n_traces"}, "n_samples": 128, "time_window_ns": 15.0}
    da = _zeroed(synthetic_survey(scene, n_channels=8, n_traces=60, **opts)[0])
    out = phase_shift_migrate(da, velocity_m_per_ns=V)
    (channel, trace, sample), _ = _focus(out)
    assert abs(channel - 4) <= 1 and abs(float(out[cv.DISTANCE][trace]) - 0.6) <= 0.02 + 1e-9
    assert abs(float(out[cv.TWT][sample]) - 2 * 0.3 / V) <= float(da[cv.TWT][1] - da[cv.TWT][0])
    np.testing.assert_allclose(out.values, stolt_migrate(da, velocity_m_per_ns=V, interpolation="sinc").values,
                               atol=0.05 * np.abs(out.values).max())  # fmt: skip
    pytest.importorskip("dask")
    chunked = phase_shift_migrate(da.chunk({cv.CHANNEL: 2}), velocity_m_per_ns=V, mode="2d")
    np.testing.assert_allclose(chunked.values, phase_shift_migrate(da, velocity_m_per_ns=V, mode="2d").values,
                               atol=1e-6 * np.abs(out.values).max())  # fmt: skip


def test_migration_rejects_what_it_cannot_do():
    da = _point_line().isel({cv.TRACE: slice(0, 40), cv.TWT: slice(0, 64)})
    with pytest.raises(ValueError, match="regularly"):
        stolt_migrate(da.assign_coords({cv.DISTANCE: da[cv.DISTANCE] ** 2}), velocity_m_per_ns=V)
    with pytest.raises(ValueError, match="mode='3d'"):
        stolt_migrate(da, velocity_m_per_ns=V, mode="3d")
    with pytest.raises(ValueError, match="positive"):
        stolt_migrate(da, velocity_m_per_ns=-0.1)
    with pytest.raises(ValueError, match="interpolation"):
        stolt_migrate(da, velocity_m_per_ns=V, interpolation="cubic")
    with pytest.raises(ValueError, match="exactly one"):
        phase_shift_migrate(da, velocity_m_per_ns=[0.1, 0.08])
    with pytest.raises(ValueError, match="increasing"):
        phase_shift_migrate(da, velocity_m_per_ns=[0.1, 0.08, 0.07], interface_depth_m=[0.5, 0.2])
    no_distance = da.drop_vars(cv.DISTANCE)
    del no_distance.attrs[cv.ATTR_TRACE_SPACING]
    with pytest.raises(ValueError, match="trace_spacing_m"):
        stolt_migrate(no_distance, velocity_m_per_ns=V)
    no_distance.attrs[cv.ATTR_TRACE_SPACING] = 0.02
    np.testing.assert_allclose(stolt_migrate(no_distance, velocity_m_per_ns=V).values,
                               stolt_migrate(da, velocity_m_per_ns=V).values)  # fmt: skip


def test_3d_spacing_comes_from_the_survey_frame_where_the_file_has_no_offsets():
    """A DZT stores no channel offsets; a positioned profile's ``across`` (and ``along``) give the grid."""
    rng = np.random.default_rng(3)
    data = rng.standard_normal((4, 32, 64)).astype(np.float32)
    twt = np.arange(64) * 0.2
    with_offsets = roadbed.radargram(data, twt_ns=twt, distance_m=np.arange(32) * 0.05,
                                     offset_m=np.arange(4) * 0.075)
    positioned = roadbed.radargram(data, twt_ns=twt, distance_m=np.arange(32) * 0.05, offset_m=np.zeros(4))
    positioned = positioned.assign_coords(across=(cv.CHANNEL, 0.3 - np.arange(4) * 0.075),
                                          along=(cv.TRACE, 2.0 + np.arange(32) * 0.05))
    expected = stolt_migrate(with_offsets, velocity_m_per_ns=0.1, mode="3d")
    got = stolt_migrate(positioned, velocity_m_per_ns=0.1, mode="3d")
    np.testing.assert_allclose(got.values, expected.values, rtol=1e-5, atol=1e-6)
