"""Dewow, DC and background removal: kernels against their numpy twins and scipy, physics on synthetic data."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import roadbed
from roadbed import conventions as cv
from roadbed import synth
from roadbed.gpr import _filter_kernels as kern
from roadbed.gpr import _filter_reference as ref
from roadbed.gpr import filters

F32 = float(np.finfo(np.float32).eps)
FREQ = 600e6
DT = 50.0 / 512


def traces(min_traces=1, max_traces=4, min_samples=1, max_samples=40, ndim=2):
    """float32 arrays of traces with moderate, finite values."""
    if ndim == 2:
        shape = st.tuples(st.integers(min_traces, max_traces), st.integers(min_samples, max_samples))
    else:
        shape = st.tuples(st.integers(1, 3), st.integers(min_traces, max_traces), st.integers(min_samples, max_samples))
    return hnp.arrays(np.float32, shape, elements=st.floats(-1e3, 1e3, width=32))


def _tol(a) -> float:
    """Float32 tolerance of a windowed mean or difference of values up to max|a|: a few units in the last place."""
    return 8 * F32 * max(1.0, float(np.abs(a).max(initial=0.0)))


# --- kernels against their twins ---------------------------------------------------------
@given(
    a=traces(),
    half=st.integers(0, 45),
    subtract=st.booleans(),
    kind=st.sampled_from(["running_mean", "running_median"]),
)
def test_running_window_kernels_match_their_numpy_twins(a, half, subtract, kind):
    got = getattr(kern, kind)(a, half, subtract, np.empty_like(a))
    want = getattr(ref, kind)(a, half, subtract, np.empty_like(a))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=0, atol=_tol(a))


@given(a=traces(min_samples=12), half=st.integers(0, 5))
def test_running_mean_and_median_match_scipy_in_the_interior(a, half):
    """scipy.ndimage is a third, independent reference (its edge modes differ, so only the interior counts)."""
    size = 2 * half + 1
    inner = slice(half, a.shape[1] - half)
    mean = kern.running_mean(a, half, False, np.empty_like(a))
    want = scipy.ndimage.uniform_filter1d(a.astype(np.float64), size, axis=1)
    np.testing.assert_allclose(mean[:, inner], want[:, inner], rtol=0, atol=_tol(a))
    median = kern.running_median(a, half, False, np.empty_like(a))
    np.testing.assert_array_equal(median[:, inner], scipy.ndimage.median_filter(a, size=(1, size))[:, inner])


@given(a=traces(min_samples=2, max_samples=80), order=st.integers(1, 4), wn=st.floats(0.02, 0.45))
def test_butterworth_kernel_matches_scipy_sosfiltfilt(a, order, wn):
    sos = scipy.signal.butter(order, wn, btype="highpass", output="sos")
    zi = scipy.signal.sosfilt_zi(sos)
    padlen = min(3 * (2 * sos.shape[0] + 1), a.shape[1] - 1)
    got = kern.sosfiltfilt(a, sos, zi, padlen, np.empty_like(a))
    want = ref.sosfiltfilt(a, sos, zi, padlen, np.empty_like(a))  # scipy.signal.sosfiltfilt itself
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * max(1.0, float(np.abs(a).max())))


@given(a=traces(), data=st.data())
def test_remove_dc_kernel_matches_its_twin(a, data):
    start = data.draw(st.integers(0, a.shape[1] - 1))
    stop = data.draw(st.integers(start + 1, a.shape[1]))
    got = kern.remove_dc(a, start, stop, np.empty_like(a))
    np.testing.assert_allclose(got, ref.remove_dc(a, start, stop, np.empty_like(a)), rtol=0, atol=_tol(a))


@given(
    a=traces(max_traces=12, max_samples=70, ndim=3), half=st.integers(-1, 14), kind=st.sampled_from(["mean", "median"])
)
def test_background_kernels_match_their_numpy_twins(a, half, kind):
    """70 samples span two column blocks of the kernel; half ≥ n_traces − 1 is the whole line."""
    name = f"background_{kind}"
    got = getattr(kern, name)(a, half, np.empty_like(a))
    np.testing.assert_allclose(got, getattr(ref, name)(a, half, np.empty_like(a)), rtol=0, atol=_tol(a))


# --- dewow on a pure reflection series -----------------------------------------------------
def _reflection_series() -> np.ndarray:
    """Three traces of sparse spikes convolved with a zero-mean 600 MHz Ricker, peak amplitude 1."""
    w = synth.ricker(np.arange(-30, 31) * DT, frequency_hz=FREQ)
    w -= w.mean()
    spikes = np.zeros((3, 512))
    spikes[0, 60:480:60] = [1.0, -0.5, 0.8, -1.0, 0.3, 0.6, -0.7]
    spikes[1, 45:480:45] = 1.0
    spikes[2, 100:480:70] = -1.0
    return np.array([np.convolve(s, w, mode="same") for s in spikes])


# Tolerances (peak reflection = 1), outside one default window (3 periods = 5 ns) from either end:
# - mean: a box of width W over a zero-mean Ricker leaves at most max|∫w dt| / W = 0.227 ns / 5 ns ≈ 0.045
#   per event, and events 4.4 ns apart overlap in a window (measured 0.087 without wow, 0.098 with it);
# - median: exact on the monotone wow alone, but the wavelet's samples move the median along the
#   wow's slope (measured 0.158);
# - butterworth: the corner (f/5) is far below the wavelet's band (measured 0.016).
@pytest.mark.parametrize(("method", "tol"), [("mean", 0.11), ("median", 0.18), ("butterworth", 0.025)])
def test_dewow_keeps_reflections_and_removes_an_exponential_wow(method, tol):
    refl = _reflection_series()
    t = np.arange(512) * DT
    wow = 2.0 * np.exp(-t / 10.0)
    da = roadbed.radargram((refl + wow).astype(np.float32), twt_ns=t, attrs={cv.ATTR_FREQUENCY: FREQ})
    out = filters.dewow(da, method=method).values
    inner = slice(52, 512 - 52)
    assert np.abs(da.values - refl)[:, inner].max() > 1.0  # the wow is bigger than the reflections
    assert np.abs(out - refl)[:, inner].max() < tol
    wow_only = roadbed.radargram(np.tile(wow, (1, 1)).astype(np.float32), twt_ns=t, attrs={cv.ATTR_FREQUENCY: FREQ})
    assert np.abs(filters.dewow(wow_only, method=method).values[:, inner]).max() < 0.02


def test_dewow_window_and_cutoff_are_recorded():
    da = roadbed.radargram(np.zeros((2, 64), np.float32), twt_ns=np.arange(64) * 0.1, attrs={cv.ATTR_FREQUENCY: 1e9})
    out = filters.dewow(da, window_ns=1.0)
    last = roadbed.history(out)[-1]
    assert "dewow(method='mean', window_ns=1.1" in last and "window_samples=11" in last
    out = filters.dewow(da, method="butterworth")
    assert "cutoff_hz=200000000.0, order=2" in roadbed.history(out)[-1]


# --- background removal on a synthetic pipe ----------------------------------------------------
@pytest.fixture(scope="module")
def pipe_line():
    """A pipe's hyperbola under a flat ringing band, and the two parts apart."""
    scene = synth.GprScene(layers=(synth.Layer(np.inf, 6.0),), pipes=(synth.Pipe(4.0, 0.0, 0.5, 0.05),))
    full, _ = synth.synthetic_line(scene, n_traces=400, trace_spacing_m=0.02, n_samples=256, time_window_ns=25.0)
    flat, _ = synth.synthetic_line(synth.GprScene(layers=scene.layers), n_traces=400, trace_spacing_m=0.02,
                                   n_samples=256, time_window_ns=25.0)  # fmt: skip
    t = full[cv.TWT].values
    ringing = (0.3 * np.exp(-t / 6.0) * np.sin(2 * np.pi * 0.4 * t)).astype(np.float32)  # antenna ringing
    band = flat.values + ringing  # the surface reflection and the ringing: the same on every trace
    hyperbola = full.values - flat.values
    return full.copy(data=(hyperbola + band).astype(np.float32)), hyperbola, band.astype(np.float32)


@pytest.mark.parametrize("method", ["mean", "median"])
@pytest.mark.parametrize("window_traces", [None, 51])
def test_background_removal_removes_a_flat_band_exactly(pipe_line, method, window_traces):
    da, _, band = pipe_line
    flat = da.copy(data=np.broadcast_to(band, da.shape).copy())
    out = filters.remove_background(flat, method=method, window_traces=window_traces)
    assert np.abs(band).max() > 0.2
    np.testing.assert_array_equal(out.values, 0.0)


def test_median_background_leaves_the_hyperbola_untouched(pipe_line):
    """At every time fewer than half the traces carry the hyperbola, so the median trace is the band."""
    da, hyperbola, _ = pipe_line
    out = filters.remove_background(da, method="median")
    np.testing.assert_allclose(out.values, hyperbola, rtol=0, atol=1e-6)


def test_mean_background_dents_the_hyperbola_only_by_its_share_of_the_traces(pipe_line):
    da, hyperbola, _ = pipe_line
    out = filters.remove_background(da, method="mean")
    # what is subtracted besides the band is the hyperbola's own mean trace: at any time the
    # hyperbola covers a few of the 400 traces, so its mean is a few percent of its peak at most
    amp = np.abs(hyperbola).max()
    assert np.abs(out.values - hyperbola).max() < 0.05 * amp
    want = np.broadcast_to(-hyperbola.mean(axis=0, keepdims=True), hyperbola.shape)
    np.testing.assert_allclose(out.values - hyperbola, want, rtol=0, atol=1e-6)


@pytest.mark.parametrize("method", ["mean", "median"])
def test_windowed_background_keeps_the_dipping_flanks_and_dents_the_flat_apex(pipe_line, method):
    da, hyperbola, _ = pipe_line
    out = filters.remove_background(da, method=method, window_traces=51)
    distance = da[cv.DISTANCE].values
    # 0.6 m from the apex the flank dips ≥ 8 ns/m: over the half window (0.5 m) it moves by several
    # wavelet lengths, so fewer than half the window's traces share any of its times
    flank = np.abs(distance - 4.0) > 0.6
    err = np.abs(out.values - hyperbola)
    if method == "median":
        assert err[flank].max() < 1e-6
    else:
        assert err[flank].max() < 0.1 * np.abs(hyperbola).max()
    apex = np.abs(distance - 4.0) < 0.05
    assert err[apex].max() > 0.1 * np.abs(hyperbola).max()  # where the event is flat it goes too


# --- the data model, engines, dask ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def survey():
    scene = synth.GprScene(pipes=(synth.Pipe(1.0, 0.0, 0.3, 0.05),))
    da, _ = synth.synthetic_survey(scene, n_channels=3, n_traces=90, n_samples=128, time_window_ns=20.0,
                                   noise_std=0.01, rng=3)  # fmt: skip
    return da


STEPS = [
    ("dewow mean", lambda d, e: filters.dewow(d, engine=e)),
    ("dewow median", lambda d, e: filters.dewow(d, method="median", engine=e)),
    ("dewow butterworth", lambda d, e: filters.dewow(d, method="butterworth", engine=e)),
    ("remove_dc", lambda d, e: filters.remove_dc(d, window_ns=(0.0, 2.0), engine=e)),
    ("background mean", lambda d, e: filters.remove_background(d, engine=e)),
    ("background median", lambda d, e: filters.remove_background(d, method="median", engine=e)),
    ("running background mean", lambda d, e: filters.remove_background(d, window_traces=21, engine=e)),
    ("running background median",
     lambda d, e: filters.remove_background(d, method="median", window_traces=21, engine=e)),
]


@pytest.mark.parametrize(("name", "step"), STEPS, ids=[s[0] for s in STEPS])
def test_steps_keep_the_data_model_and_the_numpy_engine_agrees(survey, name, step):
    before = survey.values.copy()
    out = step(survey, "numba")
    np.testing.assert_array_equal(survey.values, before)  # input untouched
    assert out.dims == survey.dims and out.dtype == np.float32
    for coord in (cv.TWT, cv.DISTANCE, cv.OFFSET):
        np.testing.assert_array_equal(out[coord].values, survey[coord].values)
    assert out.attrs[cv.ATTR_FREQUENCY] == survey.attrs[cv.ATTR_FREQUENCY]
    assert len(roadbed.history(out)) == len(roadbed.history(survey)) + 1
    np.testing.assert_allclose(step(survey, "numpy").values, out.values, rtol=0, atol=_tol(survey.values))


@pytest.mark.parametrize(("name", "step"), STEPS, ids=[s[0] for s in STEPS])
def test_dask_chunked_input_gives_the_in_memory_result(survey, name, step):
    pytest.importorskip("dask")
    chunked = step(survey.chunk({cv.TRACE: 25, cv.CHANNEL: 1}), "numba")
    assert chunked.chunks is not None
    np.testing.assert_allclose(chunked.values, step(survey, "numba").values, rtol=0, atol=_tol(survey.values))


def test_remove_dc_zeroes_the_window_mean(survey):
    out = filters.remove_dc(survey, window_ns=(0.0, 2.0))
    window = out.sel({cv.TWT: slice(0.0, 2.0)})
    np.testing.assert_allclose(window.mean(cv.TWT).values, 0.0, atol=1e-6)
    full = filters.remove_dc(survey)
    np.testing.assert_allclose(full.mean(cv.TWT).values, 0.0, atol=1e-6)


def test_transposed_input_keeps_its_order(survey):
    flipped = survey.transpose(cv.TWT, cv.TRACE, cv.CHANNEL)
    out = filters.remove_background(flipped, window_traces=5)
    assert out.dims == flipped.dims
    np.testing.assert_array_equal(out.transpose(*survey.dims).values,
                                  filters.remove_background(survey, window_traces=5).values)  # fmt: skip


@pytest.mark.parametrize(
    "call",
    [
        lambda d: filters.dewow(d, method="polynomial"),
        lambda d: filters.dewow(d, window_ns=0.1),  # under 3 samples
        lambda d: filters.dewow(d, method="butterworth", cutoff_hz=1e12),  # above Nyquist
        lambda d: filters.dewow(d, engine="cuda"),
        lambda d: filters.remove_dc(d, window_ns=(30.0, 40.0)),
        lambda d: filters.remove_background(d, window_traces=4),
        lambda d: filters.remove_background(d, method="mode"),
        lambda d: filters.dewow(d.drop_attrs()),  # no frequency for the default window
    ],
)
def test_bad_options_raise_value_error(survey, call):
    with pytest.raises(ValueError):
        call(survey)


def test_irregular_time_axis_is_refused(survey):
    twt = survey[cv.TWT].values.copy()
    twt[5] += 0.01
    with pytest.raises(ValueError, match="regularly sampled"):
        filters.dewow(survey.assign_coords({cv.TWT: twt}))


# --- real data --------------------------------------------------------------------------------------------
def test_dewow_removes_the_low_frequencies_of_a_real_pulseekko_line(gpr_data):
    da = roadbed.read(gpr_data / "pulseekko_50mhz_line.DT1").isel({cv.TRACE: slice(0, 100)}).load()
    out = filters.dewow(da, method="butterworth")
    spec_in = np.abs(np.fft.rfft(da.values, axis=1)) ** 2
    spec_out = np.abs(np.fft.rfft(out.values, axis=1)) ** 2
    freq_hz = np.fft.rfftfreq(da.sizes[cv.TWT], d=da.attrs[cv.ATTR_SAMPLE_INTERVAL] * 1e-9)
    low = freq_hz < 3e6  # far below the 10 MHz corner (50 MHz antenna / 5)
    band = (freq_hz > 40e6) & (freq_hz < 60e6)
    assert spec_out[:, low].sum() < 0.01 * spec_in[:, low].sum()
    np.testing.assert_allclose(spec_out[:, band].sum(), spec_in[:, band].sum(), rtol=0.05)
