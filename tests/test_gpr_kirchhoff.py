"""Kirchhoff migration: kernels vs twins, the dot test, and collapse of synthetic diffractions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from scipy.signal import hilbert

from roadbed import conventions as cv
from roadbed.gpr import _kirchhoff_kernels as kernels
from roadbed.gpr import _kirchhoff_reference as reference
from roadbed.gpr.kirchhoff import (
    KirchhoffGeometry,
    kirchhoff_migrate,
    kirchhoff_migrate_array,
    kirchhoff_model,
    kirchhoff_model_array,
    operator_table,
)
from roadbed.model import history
from roadbed.synth import GprScene, Layer, Scatterer, synthetic_line, synthetic_survey

C = 0.299792458  # m/ns, the tests' own truth
EPS = 9.0
V = C / math.sqrt(EPS)
HOMOGENEOUS = (Layer(math.inf, EPS, "soil"),)


@st.composite
def geometries(draw, three_d=None):
    """A random small grid and operator."""
    three_d = draw(st.booleans()) if three_d is None else three_d
    ns = draw(st.integers(2, 24))
    dt = draw(st.floats(0.05, 1.0))
    profile = draw(st.booleans())
    if profile:
        velocity = tuple(draw(st.lists(st.floats(0.05, 0.3), min_size=ns, max_size=ns)))
    else:
        velocity = draw(st.floats(0.05, 0.3))
    geometry = KirchhoffGeometry(
        sample_interval_ns=dt,
        twt0_ns=draw(st.floats(-2.0, 2.0)),
        trace_spacing_m=draw(st.floats(0.01, 0.2)),
        channel_spacing_m=draw(st.floats(0.02, 0.2)),
        three_d=three_d,
        velocity_m_per_ns=velocity,
        aperture_m=draw(st.floats(0.02, 0.6)),
        max_angle_deg=draw(st.floats(10.0, 90.0)),
        max_frequency_hz=draw(st.one_of(st.none(), st.floats(1e8, 3e9))),
        rho_filter=draw(st.booleans()),
        time_zero_ns=draw(st.floats(-1.0, 3.0)),
    )
    nc = draw(st.integers(1, 4)) if three_d else draw(st.integers(1, 2))
    nt = draw(st.integers(1, 7))
    return geometry, (nc, nt, ns)


# --- kernels vs twins ----------------------------------------------------------------------
@given(case=geometries(), seed=st.integers(0, 2**32 - 1))
def test_migrate_kernel_equals_twin(case, seed):
    geometry, shape = case
    data = np.random.default_rng(seed).standard_normal(shape)
    fast = kernels.migrate(data, *operator_table(geometry, shape[-1], np.float64))
    slow = reference.migrate(data, geometry.stencil_arguments(shape[-1]))
    np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(slow).max()))


@given(case=geometries(), seed=st.integers(0, 2**32 - 1))
def test_model_kernel_equals_twin(case, seed):
    geometry, shape = case
    image = np.random.default_rng(seed).standard_normal(shape)
    fast = kernels.model(image, *operator_table(geometry, shape[-1], np.float64))
    slow = reference.model(image, geometry.stencil_arguments(shape[-1]))
    np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(slow).max()))


@given(case=geometries(), seed=st.integers(0, 2**32 - 1))
def test_engines_agree_with_rho_filter(case, seed):
    geometry, shape = case
    data = np.random.default_rng(seed).standard_normal(shape)
    for fn in (kirchhoff_migrate_array, kirchhoff_model_array):
        fast, slow = fn(data, geometry), fn(data, geometry, engine="numpy")
        np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-11 * max(1.0, np.abs(slow).max()))


# --- the dot test -----------------------------------------------------------------------------
def _dot_test(geometry, shape, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(shape), rng.standard_normal(shape)
    lx = kirchhoff_model_array(x, geometry)
    lty = kirchhoff_migrate_array(y, geometry)
    lhs, rhs = float(np.vdot(lx, y)), float(np.vdot(x, lty))
    assert abs(lhs) > 0
    assert abs(lhs - rhs) <= 1e-6 * abs(lhs)


@pytest.mark.parametrize("three_d", [False, True])
def test_dot_test_realistic_grid(three_d):
    geometry = KirchhoffGeometry(
        sample_interval_ns=0.1, twt0_ns=0.0, trace_spacing_m=0.05, channel_spacing_m=0.075, three_d=three_d,
        velocity_m_per_ns=tuple(np.linspace(0.12, 0.09, 128)), aperture_m=0.8, max_angle_deg=70.0,
        max_frequency_hz=1.5e9, rho_filter=True, time_zero_ns=1.0,
    )  # fmt: skip
    shape = (6, 40, 128) if three_d else (40, 128)
    _dot_test(geometry, shape, seed=1)


@given(case=geometries(), seed=st.integers(0, 2**32 - 1))
def test_dot_test_random_geometry(case, seed):
    geometry, shape = case
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(shape), rng.standard_normal(shape)
    lhs = float(np.vdot(kirchhoff_model_array(x, geometry), y))
    rhs = float(np.vdot(x, kirchhoff_migrate_array(y, geometry)))
    scale = np.linalg.norm(kirchhoff_model_array(x, geometry)) * np.linalg.norm(y)
    assert abs(lhs - rhs) <= 1e-6 * max(abs(lhs), 1e-3 * scale, 1e-300)


# --- the operator's geometry against the formula ----------------------------------------------------
def test_model_of_a_spike_lies_on_the_diffraction_hyperbola():
    """Forward-model one image point: every trace peaks at t = sqrt(τ² + (2r/v)²)."""
    dt, dx, tau, x0 = 0.05, 0.02, 8.0, 40
    geometry = KirchhoffGeometry(
        sample_interval_ns=dt, twt0_ns=0.0, trace_spacing_m=dx, channel_spacing_m=math.nan, three_d=False,
        velocity_m_per_ns=V, aperture_m=0.5, max_angle_deg=60.0, max_frequency_hz=None, rho_filter=False,
    )  # fmt: skip
    image = np.zeros((81, 600))
    image[x0, int(round(tau / dt))] = 1.0
    data = kirchhoff_model_array(image, geometry)
    live = np.flatnonzero(np.abs(data).max(axis=1) > 0)
    r = (live - x0) * dx
    assert np.all(np.abs(r) <= 0.5 + 1e-12)
    assert np.all(np.arctan(np.abs(r) / (V * tau / 2)) <= math.radians(60) + 1e-9)
    assert live.size > 20
    # the two live samples of each trace straddle the formula's time, weighted by linear interpolation
    samples = np.arange(600)
    centroid = (data[live] * samples).sum(axis=1) / data[live].sum(axis=1) * dt
    np.testing.assert_allclose(centroid, np.sqrt(tau**2 + (2 * r / V) ** 2), atol=1e-9)


def _apex_index(image: np.ndarray) -> tuple:
    envelope = np.abs(hilbert(image, axis=-1))
    return np.unravel_index(int(np.argmax(envelope)), envelope.shape)


def _peak_to_rms(values: np.ndarray) -> float:
    envelope = np.abs(hilbert(values, axis=-1))
    return float(envelope.max() / np.sqrt(np.mean(envelope**2)))


def test_2d_migration_collapses_a_point_diffractor_to_its_apex():
    depth, along = 0.5, 2.0
    scene = GprScene(layers=HOMOGENEOUS, scatterers=(Scatterer(along, 0.0, depth, 0.002, "metal"),))
    da, _ = synthetic_line(scene, n_traces=201, trace_spacing_m=0.02, n_samples=512, time_window_ns=40.0)
    t0 = float(np.ravel(da.attrs[cv.ATTR_TIME_ZERO])[0])
    data = da - da.mean(cv.TRACE)  # the flat surface reflection out of the way
    image = kirchhoff_migrate(data, velocity_m_per_ns=V, time_zero_ns=t0, aperture_m=1.5)
    trace, sample = _apex_index(image.values)
    dt = da.attrs[cv.ATTR_SAMPLE_INTERVAL]
    assert abs(image[cv.DISTANCE].values[trace] - along) <= 0.02 + 1e-9
    assert abs(image[cv.TWT].values[sample] - (t0 + 2 * depth / V)) <= dt
    assert _peak_to_rms(image.values) > 3 * _peak_to_rms(data.values)


def test_3d_migration_collapses_a_point_diffractor_to_its_apex():
    depth, along, across = 0.4, 1.0, 0.0375
    scene = GprScene(layers=HOMOGENEOUS, scatterers=(Scatterer(along, across, depth, 0.002, "metal"),))
    da, _ = synthetic_survey(
        scene, n_channels=12, n_traces=101, trace_spacing_m=0.02, channel_spacing_m=0.075, n_samples=256,
        time_window_ns=25.0,
    )  # fmt: skip
    t0 = float(np.ravel(da.attrs[cv.ATTR_TIME_ZERO])[0])
    data = da - da.mean(cv.TRACE)
    image = kirchhoff_migrate(data, velocity_m_per_ns=V, time_zero_ns=t0, aperture_m=0.8)
    channel, trace, sample = _apex_index(image.values)
    assert abs(image[cv.OFFSET].values[channel] - across) <= 0.075 + 1e-9
    assert abs(image[cv.DISTANCE].values[trace] - along) <= 0.02 + 1e-9
    assert abs(image[cv.TWT].values[sample] - (t0 + 2 * depth / V)) <= da.attrs[cv.ATTR_SAMPLE_INTERVAL]
    assert _peak_to_rms(image.values) > 3 * _peak_to_rms(data.values)


def test_constant_rms_profile_equals_constant_velocity():
    geometry = dict(
        sample_interval_ns=0.1, twt0_ns=0.0, trace_spacing_m=0.05, channel_spacing_m=math.nan, three_d=False,
        aperture_m=0.5, max_frequency_hz=1e9,
    )  # fmt: skip
    data = np.random.default_rng(3).standard_normal((30, 64))
    a = kirchhoff_migrate_array(data, KirchhoffGeometry(velocity_m_per_ns=0.1, **geometry))
    b = kirchhoff_migrate_array(data, KirchhoffGeometry(velocity_m_per_ns=(0.1,) * 64, **geometry))
    np.testing.assert_array_equal(a, b)


# --- the DataArray face -------------------------------------------------------------------------
def _small_line():
    scene = GprScene(layers=HOMOGENEOUS, scatterers=(Scatterer(0.3, 0.0, 0.2, 0.01, "metal"),))
    da, _ = synthetic_line(scene, n_traces=30, trace_spacing_m=0.02, n_samples=64, time_window_ns=10.0)
    return da


def test_dataarray_keeps_coords_attrs_and_records_history():
    da = _small_line()
    before = da.copy(deep=True)
    out = kirchhoff_migrate(da, velocity_m_per_ns=V, aperture_m=0.2, time_zero_ns=3.0)
    xr.testing.assert_identical(da, before)  # input untouched
    assert out.dims == da.dims and out.dtype == np.float32
    for name in da.coords:
        xr.testing.assert_identical(out[name], da[name])
    assert {k: v for k, v in out.attrs.items() if k != cv.ATTR_HISTORY} == {
        k: v for k, v in da.attrs.items() if k != cv.ATTR_HISTORY
    }
    assert history(out)[-1].split(": ", 1)[1].startswith("kirchhoff_migrate(")
    assert len(history(out)) == len(history(da)) + 1
    model = kirchhoff_model(out, velocity_m_per_ns=V, aperture_m=0.2, time_zero_ns=3.0)
    assert "kirchhoff_model(" in history(model)[-1]


def test_dataarray_engines_agree():
    da = _small_line()
    fast = kirchhoff_migrate(da, velocity_m_per_ns=V, aperture_m=0.15, time_zero_ns=3.0)
    slow = kirchhoff_migrate(da, velocity_m_per_ns=V, aperture_m=0.15, time_zero_ns=3.0, engine="numpy")
    np.testing.assert_allclose(fast.values, slow.values, rtol=1e-4, atol=1e-5 * float(np.abs(slow).max()))


def test_dask_chunks_along_trace_give_the_same_image():
    pytest.importorskip("dask.array")
    da = _small_line()
    whole = kirchhoff_migrate(da, velocity_m_per_ns=V, aperture_m=0.1, time_zero_ns=3.0)
    lazy = kirchhoff_migrate(da.chunk({cv.TRACE: 8}), velocity_m_per_ns=V, aperture_m=0.1, time_zero_ns=3.0)
    assert lazy.chunks is not None
    np.testing.assert_allclose(lazy.values, whole.values, rtol=1e-6, atol=1e-7 * float(np.abs(whole).max()))


def test_bad_input_is_refused():
    da = _small_line()
    with pytest.raises(ValueError, match="engine"):
        kirchhoff_migrate(da, velocity_m_per_ns=V, engine="fortran")
    with pytest.raises(ValueError, match="velocity"):
        kirchhoff_migrate(da, velocity_m_per_ns=-0.1)
    with pytest.raises(ValueError, match="velocity"):
        kirchhoff_migrate(da, velocity_m_per_ns=np.full(3, 0.1))
    with pytest.raises(ValueError, match="max_angle_deg"):
        kirchhoff_migrate(da, velocity_m_per_ns=V, max_angle_deg=120)
    irregular = da.assign_coords({cv.DISTANCE: (cv.TRACE, np.sort(np.random.default_rng(0).uniform(0, 1, 30)))})
    with pytest.raises(ValueError, match="regular"):
        kirchhoff_migrate(irregular, velocity_m_per_ns=V)
