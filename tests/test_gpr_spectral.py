"""Band-pass, f-k dip filter, envelope and phase: kernels vs twins, and against analytic results."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
from hypothesis import given
from hypothesis import strategies as st

import roadbed
from roadbed import conventions as cv
from roadbed.gpr import _spectral_kernels as kern
from roadbed.gpr import _spectral_reference as ref
from roadbed.gpr.spectral import bandpass, bandpass_array, envelope, fk_filter, instantaneous_phase

DT = 0.1  # ns
FS = 1e9 / DT  # Hz


def _line(data, *, dt=DT, dx=0.02, **attrs):
    data = np.asarray(data, dtype=np.float32)
    n_traces, n = data.shape[-2:]
    offset = 0.075 * np.arange(data.shape[0]) if data.ndim == 3 else None
    return roadbed.radargram(data, twt_ns=dt * np.arange(n), distance_m=dx * np.arange(n_traces), offset_m=offset,
                             attrs={"frequency_hz": 6e8, **attrs})  # fmt: skip


def _ricker(t, f_hz):
    s2 = (math.pi * f_hz * 1e-9 * t) ** 2
    return (1 - 2 * s2) * np.exp(-s2)


# --- kernels vs twins --------------------------------------------------------------------
@given(
    seed=st.integers(0, 2**32 - 1),
    n_traces=st.integers(1, 40),
    n=st.integers(80, 300),
    order=st.integers(1, 5),
    band=st.tuples(st.floats(0.01, 0.2), st.floats(0.25, 0.45)),
    kind=st.sampled_from(["bandpass", "lowpass", "highpass"]),
)
def test_sosfiltfilt_kernel_equals_scipy(seed, n_traces, n, order, band, kind):
    x = np.random.default_rng(seed).standard_normal((n_traces, n)).astype(np.float32)
    wn = {"bandpass": list(band), "lowpass": band[1], "highpass": band[0]}[kind]
    sos = scipy.signal.butter(order, wn, btype=kind, output="sos")
    ntaps = 2 * sos.shape[0] + 1 - min((sos[:, 2] == 0).sum(), (sos[:, 5] == 0).sum())
    padlen = min(3 * ntaps, n - 1)
    got = kern.sosfiltfilt(x, sos, scipy.signal.sosfilt_zi(sos), padlen)
    want = ref.sosfiltfilt(x, sos, None, padlen)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


@given(seed=st.integers(0, 2**32 - 1), n_traces=st.integers(1, 6), n=st.integers(2, 70))
def test_hilbert_kernels_equal_scipy(seed, n_traces, n):
    x = np.random.default_rng(seed).standard_normal((n_traces, n)).astype(np.float32)
    spec = np.fft.rfft(x, axis=-1).astype(np.complex64)
    np.testing.assert_allclose(
        kern.quadrature_spectrum(spec, n), ref.quadrature_spectrum(spec, n), atol=1e-4 * max(1.0, np.abs(spec).max())
    )
    h = np.imag(scipy.signal.hilbert(x.astype(np.float64), axis=-1)).astype(np.float32)
    np.testing.assert_allclose(kern.envelope(x, h), ref.envelope(x, h), rtol=1e-6, atol=1e-7)
    got, want = kern.instantaneous_phase(x, h), ref.instantaneous_phase(x, h)
    np.testing.assert_allclose(np.angle(np.exp(1j * (got - want))), 0.0, atol=1e-5)


@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.tuples(st.integers(1, 30), st.integers(1, 30)),
    v_cut=st.floats(0.02, 0.5),
    taper=st.floats(0.0, 1.0),
    keep_flat=st.booleans(),
)
def test_fk_fan_kernel_equals_twin(seed, shape, v_cut, taper, keep_flat):
    rng = np.random.default_rng(seed)
    spec = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)
    k = np.abs(rng.standard_normal(shape[0])) * 50
    k[0] = 0.0
    omega = np.arange(shape[1]) * rng.uniform(0.01, 0.5)
    p_cut = 1 / v_cut
    got = kern.fk_fan(spec, k, omega, p_cut, p_cut * (1 - taper), keep_flat)
    want = ref.fk_fan(spec, k, omega, p_cut, p_cut * (1 - taper), keep_flat)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


# --- band-pass against the analytic Butterworth response ------------------------------------
def _analytic_zero_phase_gain(f_hz, low_hz, high_hz, order):
    """|H(f)|² of a digital Butterworth band-pass (bilinear transform), run forward and backward."""
    warp = lambda f: 2 * FS * np.tan(np.pi * f / FS)  # noqa: E731
    w, w1, w2 = warp(f_hz), warp(low_hz), warp(high_hz)
    x = (w**2 - w1 * w2) / (w * (w2 - w1))
    return 1.0 / (1.0 + x ** (2 * order))


def _amplitude(y, t, f_hz):
    """Amplitude of the f_hz sinusoid in y, by least squares."""
    basis = np.column_stack([np.cos(2e-9 * np.pi * f_hz * t), np.sin(2e-9 * np.pi * f_hz * t)])
    coef, *_ = np.linalg.lstsq(basis, y, rcond=None)
    return float(np.hypot(*coef))


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_bandpass_gain_is_the_squared_butterworth_response(engine):
    low, high, order = 200e6, 1.0e9, 4
    n = 4096
    t = DT * np.arange(n)
    freqs = np.array([80e6, low, 450e6, high, 1.6e9])
    x = np.cos(2e-9 * np.pi * freqs[:, None] * t[None, :] + 0.3).astype(np.float32)
    y = bandpass_array(x, sample_interval_ns=DT, low_hz=low, high_hz=high, order=order, engine=engine)
    interior = slice(1000, 3000)
    gains = [_amplitude(y[i, interior], t[interior], f) / _amplitude(x[i, interior], t[interior], f)
             for i, f in enumerate(freqs)]  # fmt: skip
    np.testing.assert_allclose(gains, _analytic_zero_phase_gain(freqs, low, high, order), atol=2e-3)
    assert gains[1] == pytest.approx(0.5, abs=2e-3) and gains[3] == pytest.approx(0.5, abs=2e-3)


def test_bandpass_is_zero_phase_and_keeps_the_data_model():
    n = 512
    t = DT * np.arange(n)
    data = np.stack([_ricker(t - 20.0 - 0.037 * i, 6e8) for i in range(8)])
    da = _line(data)
    out = bandpass(da, low_hz=150e6, high_hz=1.5e9)
    assert out.dims == da.dims and out.dtype == np.float32
    assert out.attrs["frequency_hz"] == 6e8 and roadbed.history(da) == []
    assert "bandpass(low_hz=150000000.0, high_hz=1500000000.0" in roadbed.history(out)[-1]
    np.testing.assert_array_equal(out[cv.DISTANCE].values, da[cv.DISTANCE].values)
    for i in range(8):  # the main lobe stays where it was: a zero-phase filter moves nothing
        y = out.values[i]
        j = int(np.argmax(y))
        shift = 0.5 * (y[j - 1] - y[j + 1]) / (y[j - 1] - 2 * y[j] + y[j + 1])
        assert t[j] + shift * DT == pytest.approx(20.0 + 0.037 * i, abs=0.02 * DT)


def test_bandpass_highpass_lowpass_dask_and_errors():
    rng = np.random.default_rng(3)
    da = _line(rng.standard_normal((2, 30, 256)))
    lo = bandpass(da, high_hz=8e8)
    hi = bandpass(da, low_hz=8e8)
    np.testing.assert_allclose(
        lo.values, scipy.signal.sosfiltfilt(scipy.signal.butter(4, 8e8, fs=FS, output="sos"), da.values), atol=1e-5
    )
    assert np.abs(hi.values).max() > 0.1
    pytest.importorskip("dask")
    chunked = bandpass(da.chunk({cv.TRACE: 7}), low_hz=1e8, high_hz=2e9)
    assert chunked.chunks is not None
    np.testing.assert_array_equal(chunked.values, bandpass(da, low_hz=1e8, high_hz=2e9).values)
    with pytest.raises(ValueError, match="Nyquist"):
        bandpass(da, low_hz=1e8, high_hz=6e9)
    # ... unless the band may stay open at the top: then it is the high-pass alone
    open_top = bandpass(da, low_hz=8e8, high_hz=6e9, open_above_nyquist=True)
    np.testing.assert_array_equal(open_top.values, hi.values)
    assert "open_above_nyquist=True" in roadbed.history(open_top)[-1]
    with pytest.raises(ValueError, match="below"):
        bandpass(da, low_hz=1e9, high_hz=5e8)
    with pytest.raises(ValueError, match="give"):
        bandpass(da)
    with pytest.raises(ValueError, match="too short"):
        bandpass(da.isel(twt=slice(0, 20)), low_hz=1e8, high_hz=2e9)


# --- envelope and instantaneous phase ---------------------------------------------------------
@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_envelope_and_phase_of_a_modulated_gaussian(engine):
    dt, n, f, sigma = 0.05, 1024, 1.0e9, 3.0
    t = dt * np.arange(n)
    centres = np.array([15.0, 25.6, 33.3])
    gauss = np.exp(-0.5 * ((t[None, :] - centres[:, None]) / sigma) ** 2)
    phase0 = np.array([0.0, 1.0, -2.0])[:, None]
    carrier = 2 * np.pi * f * 1e-9 * t[None, :] + phase0
    da = _line(gauss * np.cos(carrier), dt=dt)
    env = envelope(da, engine=engine)
    np.testing.assert_allclose(env.values, gauss, atol=2e-5)
    ph = instantaneous_phase(da, engine=engine)
    assert ph.attrs[cv.ATTR_UNITS] == "rad" and ph.name == "instantaneous_phase"
    strong = gauss > 0.05
    np.testing.assert_allclose(np.angle(np.exp(1j * (ph.values - carrier)))[strong], 0.0, atol=1e-3)
    assert "envelope(engine=" in roadbed.history(env)[-1]


def test_envelope_on_dask_equals_numpy():
    pytest.importorskip("dask")
    rng = np.random.default_rng(5)
    da = _line(rng.standard_normal((3, 20, 64)))
    np.testing.assert_allclose(envelope(da.chunk({cv.TRACE: 6})).values, envelope(da).values, rtol=1e-6)
    np.testing.assert_allclose(envelope(da).values, envelope(da, engine="numpy").values, rtol=1e-4, atol=1e-5)


# --- f-k dip filter ---------------------------------------------------------------------------
def _flat_and_dipping(n_traces=128, n=512, dx=0.02, v_app=0.08):
    t = DT * np.arange(n)
    x = dx * np.arange(n_traces)
    flat = _ricker(t[None, :] - 12.0, 6e8) * np.ones((n_traces, 1))
    dipping = _ricker(t[None, :] - 8.0 - x[:, None] / v_app, 6e8)
    return flat, dipping


def _rms(a):
    return float(np.sqrt(np.mean(np.square(a))))


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_fk_filter_removes_a_steep_event_and_keeps_a_flat_one(engine):
    flat, dipping = _flat_and_dipping()
    options = {"velocity_m_per_ns": 0.3, "taper": 0.3, "engine": engine}
    interior = slice(40, 88)  # the record's ends diffract (they hold every dip): judge the middle
    kept = fk_filter(_line(flat), keep="flat", **options).values
    assert _rms(kept[interior] - flat[interior]) < 0.03 * _rms(flat[interior])
    removed = fk_filter(_line(dipping), keep="flat", **options).values
    assert _rms(removed[interior]) < 0.01 * _rms(dipping[interior])
    both = _line(flat + dipping)
    out = fk_filter(both, keep="flat", **options)
    steep = fk_filter(both, keep="steep", **options)
    np.testing.assert_allclose(steep.values + out.values, both.values, atol=1e-5)  # complementary weights
    assert _rms(steep.values[interior] - dipping[interior]) < 0.03 * _rms(dipping[interior])


def test_fk_filter_keeps_an_event_faster_than_the_cut():
    flat, dipping = _flat_and_dipping(v_app=1.0)
    da = _line(dipping)
    out = fk_filter(da, velocity_m_per_ns=0.3, keep="flat", taper=0.3)
    interior = slice(40, 88)
    assert _rms(out.values[interior] - dipping[interior]) < 0.03 * _rms(dipping[interior])


def test_fk_filter_on_3d_and_dask_matches_per_channel():
    flat, dipping = _flat_and_dipping(n_traces=64, n=256)
    vol = _line(np.stack([flat + dipping, 2 * dipping, flat]))
    whole = fk_filter(vol, velocity_m_per_ns=0.3)
    for c in range(3):
        np.testing.assert_allclose(whole.values[c], fk_filter(vol.isel(channel=c), velocity_m_per_ns=0.3).values,
                                   atol=1e-6)  # fmt: skip
    pytest.importorskip("dask")
    chunked = fk_filter(vol.chunk({cv.CHANNEL: 1, cv.TRACE: 16}), velocity_m_per_ns=0.3)
    assert chunked.chunks is not None
    np.testing.assert_allclose(chunked.values, whole.values, atol=1e-6)
    with pytest.raises(ValueError, match="keep"):
        fk_filter(vol, velocity_m_per_ns=0.3, keep="both")
    with pytest.raises(ValueError, match="regularly"):
        fk_filter(vol.assign_coords(distance=vol.distance**2), velocity_m_per_ns=0.3)


def test_peak_frequency_of_a_ricker_and_of_a_tone():
    from roadbed.gpr.spectral import peak_frequency
    from roadbed.model import radargram

    t = np.arange(1024) * 0.025  # ns
    fp = 0.9  # GHz: a Ricker's amplitude spectrum f² exp(−f²/fp²) peaks at fp
    arg = (np.pi * fp * (t - 8.0)) ** 2
    ricker = (1 - 2 * arg) * np.exp(-arg)
    da = radargram(np.tile(ricker, (5, 1)).astype(np.float32), twt_ns=t)
    assert peak_frequency(da) == pytest.approx(fp * 1e9, rel=0.01)
    tone = np.sin(2 * np.pi * 0.5 * t) * np.hanning(t.size)
    assert peak_frequency(radargram(tone[None, :].astype(np.float32), twt_ns=t)) == pytest.approx(5e8, rel=0.01)
    with pytest.raises(ValueError, match="constant"):
        peak_frequency(radargram(np.ones((2, 64), np.float32), twt_ns=t[:64]))
