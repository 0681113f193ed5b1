"""Time-to-depth conversion and static correction: kernel vs twin, layered synth truth, topography."""

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
from roadbed.gpr.depth import depth_at_twt, layer_model, static_correction, time_to_depth, twt_at_depth
from roadbed.synth import GprScene, Layer, interface_twt_ns, synthetic_line

C = 0.299792458  # m/ns: the tests' own truth
LAYERS = (Layer(0.15, 5.0), Layer(0.25, 7.0), Layer(0.30, 10.0), Layer(math.inf, 16.0))
VELOCITIES = [C / math.sqrt(layer.relative_permittivity) for layer in LAYERS]
INTERFACES_M = [0.15, 0.40, 0.70]


def _ricker(t, f_hz=900e6):
    s2 = (math.pi * f_hz * 1e-9 * t) ** 2
    return (1 - 2 * s2) * np.exp(-s2)


def _true_twt(z):
    """Two-way time of depth z through LAYERS, summed layer by layer."""
    tops = [0.0, *INTERFACES_M]
    bottoms = [*INTERFACES_M, math.inf]
    return sum(2 * min(max(z - top, 0.0), bot - top) / v for top, bot, v in zip(tops, bottoms, VELOCITIES, strict=True))


# --- kernel vs twin, model consistency ----------------------------------------------------------
@given(
    seed=st.integers(0, 2**32 - 1),
    n_traces=st.integers(1, 8),
    n=st.integers(1, 40),
    n_out=st.integers(1, 60),
)
def test_sample_at_kernel_equals_twin(seed, n_traces, n, n_out):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_traces, n)).astype(np.float32)
    position = rng.uniform(-3, n + 3, n_out)
    position[: min(n_out, n)] = np.arange(min(n_out, n))  # exact sample positions too
    shift = rng.uniform(-2, 2, n_traces) * rng.integers(0, 2)
    np.testing.assert_allclose(kern.sample_at(x, position, shift), ref.sample_at(x, position, shift), atol=1e-6)


@given(
    velocities=st.lists(st.floats(0.03, 0.3), min_size=1, max_size=5),
    seed=st.integers(0, 2**32 - 1),
)
def test_layer_model_maps_interfaces_exactly_both_ways(velocities, seed):
    rng = np.random.default_rng(seed)
    depths = np.cumsum(rng.uniform(0.05, 0.5, len(velocities) - 1))
    v, z_top, t_top = layer_model(velocities, interface_depth_m=depths if depths.size else None)
    np.testing.assert_allclose(twt_at_depth(z_top, v, z_top, t_top), t_top, rtol=1e-12, atol=1e-12)
    again = layer_model(velocities, interface_twt_ns=t_top[1:] if depths.size else None)
    np.testing.assert_allclose(again[1], z_top, rtol=1e-12, atol=1e-12)
    z = rng.uniform(0, 3, 20)
    np.testing.assert_allclose(depth_at_twt(twt_at_depth(z, v, z_top, t_top), v, z_top, t_top), z, rtol=1e-12)


# --- time to depth -----------------------------------------------------------------------------
def _layered_line(**options):
    da, _ = synthetic_line(GprScene(layers=LAYERS), n_traces=4, n_samples=512, time_window_ns=30.0,
                           frequency_hz=900e6, time_zero_ns=3.0, **options)  # fmt: skip
    return da.assign_coords({cv.TWT: da[cv.TWT] - 3.0})


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_interfaces_land_at_their_true_depths(engine):
    da = _layered_line()
    out = time_to_depth(da, velocity_m_per_ns=VELOCITIES, interface_depth_m=INTERFACES_M, engine=engine)
    depth = out[cv.DEPTH].values
    dz = depth[1] - depth[0]
    assert dz == pytest.approx(min(VELOCITIES) * float(da[cv.TWT][1] - da[cv.TWT][0]) / 2)
    for z in INTERFACES_M:
        window = np.flatnonzero(np.abs(depth - z) < 0.05)
        for trace in out.values:
            assert abs(depth[window[np.argmax(np.abs(trace[window]))]] - z) <= dz / 2 + 1e-12
    by_time = time_to_depth(da, velocity_m_per_ns=VELOCITIES, interface_twt_ns=interface_twt_ns(LAYERS), engine=engine)
    np.testing.assert_allclose(by_time.values, out.values, atol=1e-6)
    assert out.dims == (cv.TRACE, cv.DEPTH) and out[cv.DEPTH].attrs["units"] == "m"
    np.testing.assert_array_equal(out[cv.DISTANCE].values, da[cv.DISTANCE].values)
    assert out.attrs["frequency_hz"] == da.attrs["frequency_hz"]
    assert "time_to_depth(velocity_m_per_ns=[" in roadbed.history(out)[-1] and cv.DEPTH not in da.dims


def test_a_ramp_in_time_reads_the_piecewise_linear_time_depth_curve():
    dt, n = 0.05, 400
    twt = dt * np.arange(n)
    da = roadbed.radargram(np.tile(twt.astype(np.float32), (2, 3, 1)), twt_ns=twt, distance_m=[0.0, 0.1, 0.2])
    out = time_to_depth(da, velocity_m_per_ns=VELOCITIES, interface_depth_m=INTERFACES_M, depth_step_m=0.004,
                        max_depth_m=1.5)  # fmt: skip
    depth = out[cv.DEPTH].values
    truth = np.array([_true_twt(z) for z in depth])
    inside = truth <= twt[-1]
    np.testing.assert_allclose(out.values[..., inside], np.broadcast_to(truth[inside], (2, 3, inside.sum())),
                               atol=2e-5)  # fmt: skip
    np.testing.assert_array_equal(out.values[..., ~inside], 0.0)  # beyond the record
    assert (~inside).any() and out.dims == (cv.CHANNEL, cv.TRACE, cv.DEPTH)


def test_time_to_depth_on_dask_and_transposed_input():
    pytest.importorskip("dask")
    rng = np.random.default_rng(7)
    da = roadbed.radargram(rng.standard_normal((3, 10, 128)).astype(np.float32), twt_ns=0.1 * np.arange(128),
                           distance_m=0.05 * np.arange(10), offset_m=[0.0, 0.075, 0.15])  # fmt: skip
    whole = time_to_depth(da, velocity_m_per_ns=0.1)
    chunked = time_to_depth(da.chunk({cv.TRACE: 4, cv.CHANNEL: 1}), velocity_m_per_ns=0.1)
    assert chunked.chunks is not None
    np.testing.assert_array_equal(chunked.values, whole.values)
    flipped = time_to_depth(da.transpose(cv.TWT, cv.TRACE, cv.CHANNEL), velocity_m_per_ns=0.1)
    assert flipped.dims == (cv.DEPTH, cv.TRACE, cv.CHANNEL)
    np.testing.assert_array_equal(flipped.transpose(*whole.dims).values, whole.values)
    with pytest.raises(ValueError, match="exactly one"):
        time_to_depth(da, velocity_m_per_ns=[0.1, 0.08])
    with pytest.raises(ValueError, match="positive"):
        time_to_depth(da, velocity_m_per_ns=[0.1, 0.0], interface_depth_m=[0.5])


# --- static correction -------------------------------------------------------------------------
def _topography_line(elevation, reflector_m, v, dt=0.1, n=512):
    """Ground-coupled traces: the surface at twt 0 and a flat reflector at elevation ``reflector_m``.

    The record starts 2 ns before time zero, so that the surface wavelet is whole.
    """
    t = dt * np.arange(n) - 2.0
    t_reflector = 2 * (elevation - reflector_m) / v
    data = -0.4 * _ricker(t[None, :]) + 0.3 * _ricker(t[None, :] - t_reflector[:, None])
    return roadbed.radargram(data.astype(np.float32), twt_ns=t, distance_m=0.1 * np.arange(elevation.size),
                             trace_coords={cv.ELEVATION: elevation}, attrs={cv.ATTR_TIME_WINDOW: n * dt})  # fmt: skip


def _pick(trace, twt, sign, near, half=1.0):
    """Parabola-refined time of the extreme of sign·trace within ±half of ``near``."""
    idx = np.flatnonzero(np.abs(twt - near) <= half)
    i = idx[np.argmax(sign * trace[idx])]
    y0, y1, y2 = sign * trace[i - 1 : i + 2]
    return twt[i] + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2) * (twt[1] - twt[0])


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_a_flat_reflector_under_topography_comes_out_flat(engine):
    x = 0.1 * np.arange(60)
    elevation = 100.0 + 0.3 * np.sin(2 * np.pi * x / 3.0) + 0.1 * x
    v = 0.1
    da = _topography_line(elevation, 99.0, v)
    raw = [_pick(tr, da[cv.TWT].values, 1, 2 * (e - 99.0) / v) for tr, e in zip(da.values, elevation, strict=True)]
    assert np.ptp(raw) > 10  # the reflector follows the topography before the correction
    out = static_correction(da, velocity_m_per_ns=v, engine=engine)
    datum = elevation.max()
    twt = out[cv.TWT].values
    dt = twt[1] - twt[0]
    picks = np.array([_pick(tr, twt, 1, 2 * (datum - 99.0) / v) for tr in out.values])
    np.testing.assert_allclose(picks, 2 * (datum - 99.0) / v, atol=0.1 * dt)
    surface = [_pick(tr, twt, -1, 2 * (datum - e) / v) for tr, e in zip(out.values, elevation, strict=True)]
    np.testing.assert_allclose(surface, 2 * (datum - elevation) / v, atol=0.1 * dt)
    # nothing is lost: the axis grew by the largest shift, on the same sample grid
    assert twt[0] == -2.0 and twt[-1] >= da[cv.TWT].values[-1] + 2 * (datum - elevation.min()) / v - 1e-9
    assert out.attrs[cv.ATTR_TIME_WINDOW] == pytest.approx(twt.size * dt)
    assert "static_correction(velocity_m_per_ns=0.1" in roadbed.history(out)[-1]
    np.testing.assert_array_equal(out[cv.ELEVATION].values, elevation)


def test_air_velocity_levels_an_air_launched_antenna():
    x = 0.1 * np.arange(40)
    antenna = 0.5 + 0.2 * np.cos(x)  # antenna height over a flat road at elevation 0
    t = 0.1 * np.arange(256)
    data = -0.4 * _ricker(t[None, :] - 2 * antenna[:, None] / C)
    da = roadbed.radargram(data.astype(np.float32), twt_ns=t, distance_m=x, trace_coords={cv.ELEVATION: antenna})
    out = static_correction(da, velocity_m_per_ns=C, datum_m=1.0)
    picks = [_pick(tr, out[cv.TWT].values, -1, 2 * 1.0 / C) for tr in out.values]
    np.testing.assert_allclose(picks, 2 * 1.0 / C, atol=0.01)


def test_static_correction_options_dask_and_errors():
    x = 0.1 * np.arange(30)
    elevation = 10.0 + 0.05 * x
    da = _topography_line(elevation, 9.5, 0.1, n=256)
    kept = static_correction(da, velocity_m_per_ns=0.1, extend=False)
    np.testing.assert_array_equal(kept[cv.TWT].values, da[cv.TWT].values)
    below = static_correction(da, velocity_m_per_ns=0.1, datum_m=9.9)  # a datum below the surface: shifts up
    assert below[cv.TWT].values[0] < da[cv.TWT].values[0]
    pytest.importorskip("dask")
    vol = da.expand_dims({cv.CHANNEL: 2}).copy()
    chunked = static_correction(vol.chunk({cv.TRACE: 7}), velocity_m_per_ns=0.1)
    assert chunked.chunks is not None
    np.testing.assert_array_equal(chunked.values, static_correction(vol, velocity_m_per_ns=0.1).values)
    with pytest.raises(ValueError, match=cv.ELEVATION):
        static_correction(da.drop_vars(cv.ELEVATION), velocity_m_per_ns=0.1)
    with pytest.raises(ValueError, match="positive"):
        static_correction(da, velocity_m_per_ns=0.0)
