"""Time zero: pickers and shifts against their twins, synthetic surveys with known time zero, real headers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import roadbed
from roadbed import conventions as cv
from roadbed import synth
from roadbed.gpr import _filter_kernels as kern
from roadbed.gpr import _filter_reference as ref
from roadbed.gpr import timezero as tz

F32 = float(np.finfo(np.float32).eps)
TRACES = hnp.arrays(
    np.float32, st.tuples(st.integers(1, 5), st.integers(1, 40)), elements=st.floats(-1e3, 1e3, width=32)
)
T0 = [2.5, 3.0, 3.37, 4.1]  # per-channel time zero, ns
PIPE = synth.Pipe(along_m=1.0, across_m=0.0, depth_m=0.25, radius_m=0.05)  # crosses every channel at right angles


# --- kernels against their twins -----------------------------------------------------------
@given(a=TRACES, threshold=st.floats(0.01, 1.0))
def test_threshold_picker_matches_its_twin(a, threshold):
    np.testing.assert_array_equal(kern.pick_threshold(a, threshold), ref.pick_threshold(a, threshold))


@given(a=TRACES, n_win=st.integers(1, 45), stabilization=st.sampled_from([1e-6, 1e-3, 0.1]))
def test_energy_ratio_picker_matches_its_twin(a, n_win, stabilization):
    """Same float64 cumulative sum and arithmetic on both sides: the picks agree exactly."""
    np.testing.assert_array_equal(kern.pick_energy_ratio(a, n_win, stabilization),
                                  ref.pick_energy_ratio(a, n_win, stabilization))  # fmt: skip


@given(a=TRACES, data=st.data(), search=st.integers(0, 45))
def test_peak_refinement_matches_its_twin(a, data, search):
    onset = np.array(data.draw(st.lists(st.one_of(st.just(math.nan), st.floats(-3.0, 45.0)),
                                        min_size=a.shape[0], max_size=a.shape[0])))  # fmt: skip
    np.testing.assert_array_equal(kern.refine_peak(a, onset, search), ref.refine_peak(a, onset, search))


@given(a=TRACES, data=st.data(), n_out=st.integers(1, 50), kind=st.sampled_from(["linear", "sinc"]))
def test_shift_kernels_match_their_twins(a, data, n_out, kind):
    shift = np.array(data.draw(st.lists(st.one_of(st.floats(-50.0, 50.0), st.integers(-50, 50).map(float)),
                                        min_size=a.shape[0], max_size=a.shape[0])))  # fmt: skip
    got, want = (np.empty((a.shape[0], n_out), np.float32) for _ in range(2))
    if kind == "linear":
        kern.shift_linear(a, shift, got), ref.shift_linear(a, shift, want)
    else:
        kern.shift_sinc(a, shift, 8, got), ref.shift_sinc(a, shift, 8, want)
    # sums of ≤ 16 weighted float32 samples in float64, in a different order: a few float32 ulps of max|a|
    np.testing.assert_allclose(got, want, rtol=0, atol=4 * F32 * max(1.0, float(np.abs(a).max())))


# --- synthetic surveys with known time zero -------------------------------------------------------
@pytest.fixture(scope="module")
def survey():
    da, _ = synth.synthetic_survey(synth.GprScene(pipes=(PIPE,)), n_channels=4, n_traces=100, time_zero_ns=T0)
    return da


@pytest.mark.parametrize("method", ["threshold", "energy_ratio"])
@pytest.mark.parametrize("noise_std", [0.0, 0.01])
def test_surface_picks_find_each_channels_time_zero_within_one_sample(method, noise_std):
    da, _ = synth.synthetic_survey(synth.GprScene(pipes=(PIPE,)), n_channels=4, n_traces=100, time_zero_ns=T0,
                                   noise_std=noise_std, rng=5)  # fmt: skip
    picks = tz.pick_first_break(da, method=method)
    assert picks.dims == (cv.CHANNEL, cv.TRACE) and picks.attrs[cv.ATTR_UNITS] == cv.UNIT_NS
    np.testing.assert_array_equal(picks[cv.DISTANCE].values, da[cv.DISTANCE].values)
    dt = da.attrs[cv.ATTR_SAMPLE_INTERVAL]
    assert np.abs(picks.values - np.array(T0)[:, None]).max() < dt


def test_threshold_first_break_is_where_the_surface_wavelet_crosses_the_threshold(survey):
    """Truth: the first time the continuous surface Ricker |r·w(t − t0)| reaches 10 % of the trace's peak."""
    picks = tz.pick_first_break(survey, reference="first_break", threshold=0.1)
    r_surface = synth.reflection_coefficient(1.0, synth.DEFAULT_LAYERS[0].relative_permittivity)
    fine = np.arange(-2.5, 0.0, 1e-5)  # ns from the surface, over the wavelet's leading half
    wavelet = np.abs(r_surface * synth.ricker(fine, frequency_hz=600e6))
    dt = survey.attrs[cv.ATTR_SAMPLE_INTERVAL]
    for ch, t0 in enumerate(T0):
        level = 0.1 * np.abs(survey.values[ch, 0]).max()
        truth = t0 + fine[np.argmax(wavelet >= level)]
        assert truth < t0 - 5 * dt  # the onset is well before the surface peak
        np.testing.assert_allclose(picks.values[ch], truth, atol=0.5 * dt)


@pytest.mark.parametrize("per_trace", [False, True])
def test_align_puts_the_surface_at_zero_and_the_pipe_apex_at_its_depth_time(survey, per_trace):
    out = tz.align_time_zero(survey, per_trace=per_trace)
    dt = survey.attrs[cv.ATTR_SAMPLE_INTERVAL]
    np.testing.assert_allclose(out[cv.TWT].values, dt * np.arange(survey.sizes[cv.TWT]))
    assert out.attrs[cv.ATTR_TIME_ZERO] == 0.0
    np.testing.assert_allclose(out.attrs[tz.ATTR_TIME_ZERO_SHIFT], T0, atol=0.1 * dt)
    assert (tz.COORD_TIME_ZERO_SHIFT in out.coords) == per_trace
    # the surface Ricker's peak is now sample 0 of every trace: its value is the surface's coefficient
    r_surface = synth.reflection_coefficient(1.0, synth.DEFAULT_LAYERS[0].relative_permittivity)
    np.testing.assert_allclose(out.values[..., 0], r_surface, rtol=0.01)  # 1 % ↔ under a third of a sample
    # the pipe apex: 2·z0/v after the surface, on every channel
    apex_twt = 2 * PIPE.depth_m / synth.average_velocity(synth.DEFAULT_LAYERS, PIPE.depth_m)
    above = out.sel({cv.TRACE: int(np.argmin(np.abs(survey[cv.DISTANCE].values - PIPE.along_m)))})
    window = above.sel({cv.TWT: slice(apex_twt - 1.0, apex_twt + 1.0)})
    k = np.abs(window.values).argmax(axis=-1)
    found = window[cv.TWT].values[k]
    assert np.abs(found - apex_twt).max() <= dt
    assert roadbed.history(out)[-1].split(": ", 1)[1].startswith("align_time_zero(method='threshold'")


def test_trimmed_tail_keeps_only_samples_every_channel_has(survey):
    out = tz.align_time_zero(survey, tail="trim")
    dt = survey.attrs[cv.ATTR_SAMPLE_INTERVAL]
    last_common = survey[cv.TWT].values[-1] - max(out.attrs[tz.ATTR_TIME_ZERO_SHIFT])
    assert out[cv.TWT].values[-1] <= last_common < out[cv.TWT].values[-1] + dt
    assert out.attrs[cv.ATTR_TIME_WINDOW] == pytest.approx(out.sizes[cv.TWT] * dt)
    padded = tz.align_time_zero(survey)
    np.testing.assert_array_equal(out.values, padded.values[..., : out.sizes[cv.TWT]])
    assert np.all(padded.values[-1, :, out.sizes[cv.TWT] + 1 :] == 0.0)  # the latest channel is zero-padded


@pytest.mark.parametrize(("frequency_hz", "sinc_tol", "linear_tol"), [(600e6, 0.002, 0.04), (1.5e9, 0.003, 0.2)])
def test_sub_sample_shift_reproduces_a_survey_recorded_earlier(frequency_hz, sinc_tol, linear_tol):
    """Shifting by δ a line recorded with time zero 3 ns + δ gives the line recorded with 3 ns."""
    dt = 50.0 / 512
    late, _ = synth.synthetic_line(synth.GprScene(), n_traces=2, time_zero_ns=3.0 + 0.5 * dt, frequency_hz=frequency_hz)
    truth, _ = synth.synthetic_line(synth.GprScene(), n_traces=2, time_zero_ns=3.0, frequency_hz=frequency_hz)
    peak = np.abs(truth.values).max()
    inner = slice(0, 490)  # the last samples meet the zero padding
    sinc = tz.shift_time_zero(late, 0.5 * dt)
    linear = tz.shift_time_zero(late, 0.5 * dt, interpolation="linear")
    assert np.abs(sinc.values - truth.values)[:, inner].max() < sinc_tol * peak
    assert np.abs(linear.values - truth.values)[:, inner].max() < linear_tol * peak


def test_whole_sample_shifts_copy_samples_exactly(survey):
    dt = survey.attrs[cv.ATTR_SAMPLE_INTERVAL]
    for interpolation in ("sinc", "linear"):
        out = tz.shift_time_zero(survey, [5 * dt, 0.0, 2 * dt, 7 * dt], interpolation=interpolation)
        for ch, k in enumerate([5, 0, 2, 7]):
            n = survey.sizes[cv.TWT] - k
            np.testing.assert_array_equal(out.values[ch, :, :n], survey.values[ch, :, k:])
            np.testing.assert_array_equal(out.values[ch, :, n:], 0.0)
    down = tz.shift_time_zero(survey, -3 * dt)  # time zero before the record: zeros come in at the top
    np.testing.assert_array_equal(down.values[..., :3], 0.0)
    np.testing.assert_array_equal(down.values[..., 3:], survey.values[..., :-3])


def test_a_second_shift_adds_to_the_first(survey):
    dt = survey.attrs[cv.ATTR_SAMPLE_INTERVAL]
    once = tz.shift_time_zero(tz.shift_time_zero(survey, 2 * dt), 3 * dt)
    np.testing.assert_allclose(once.attrs[tz.ATTR_TIME_ZERO_SHIFT], 5 * dt)
    np.testing.assert_array_equal(once.values, tz.shift_time_zero(survey, 5 * dt).values)


def test_numpy_engine_and_dask_input_agree_with_numba(survey):
    out = tz.align_time_zero(survey, per_trace=True)
    twin = tz.align_time_zero(survey, per_trace=True, engine="numpy")
    np.testing.assert_allclose(twin.values, out.values, rtol=0, atol=1e-6)
    pytest.importorskip("dask")
    lazy = tz.align_time_zero(survey.chunk({cv.TRACE: 30, cv.CHANNEL: 1}), per_trace=True)
    assert lazy.chunks is not None
    np.testing.assert_array_equal(lazy.values, out.values)
    picks = tz.pick_first_break(survey.chunk({cv.TRACE: 30}), method="energy_ratio")
    assert picks.chunks is not None
    np.testing.assert_array_equal(picks.values, tz.pick_first_break(survey, method="energy_ratio").values)


def test_a_single_line_and_a_transposed_survey(survey):
    line = survey.isel({cv.CHANNEL: 2}, drop=True)
    line.attrs[cv.ATTR_TIME_ZERO] = T0[2]
    out = tz.align_time_zero(line)
    assert out.dims == (cv.TRACE, cv.TWT)
    assert out.attrs[tz.ATTR_TIME_ZERO_SHIFT] == pytest.approx(T0[2], abs=0.01)
    from_attrs = tz.align_time_zero(line, method="attrs")
    assert from_attrs.attrs[tz.ATTR_TIME_ZERO_SHIFT] == T0[2]
    flipped = tz.align_time_zero(survey.transpose(cv.TWT, cv.TRACE, cv.CHANNEL))
    assert flipped.dims == (cv.TWT, cv.TRACE, cv.CHANNEL)
    np.testing.assert_array_equal(flipped.transpose(*survey.dims).values, tz.align_time_zero(survey).values)


@pytest.mark.parametrize(
    "call",
    [
        lambda d: tz.pick_first_break(d, method="aic"),
        lambda d: tz.pick_first_break(d, reference="peak"),
        lambda d: tz.pick_first_break(d, threshold=0.0),
        lambda d: tz.align_time_zero(d, interpolation="cubic"),
        lambda d: tz.align_time_zero(d, tail="cut"),
        lambda d: tz.shift_time_zero(d, 60.0),  # beyond the 50 ns record
        lambda d: tz.shift_time_zero(d, [1.0, 2.0]),  # two values for four channels
        lambda d: tz.align_time_zero(d.copy(data=np.zeros(d.shape, np.float32))),  # nothing to pick
        lambda d: tz.pick_first_break(d.drop_attrs(), method="energy_ratio"),  # no frequency for the window
    ],
)
def test_bad_options_raise_value_error(survey, call):
    with pytest.raises(ValueError):
        call(survey)


# --- real files: the instruments' own time zero --------------------------------------------------------
def test_pulseekko_first_break_is_the_headers_time_zero(gpr_data):
    """The HD says TIMEZERO AT POINT = 3.18 samples; the threshold picker finds the same first break."""
    da = roadbed.read(gpr_data / "pulseekko_50mhz_line.DT1").load()
    dt = da.attrs[cv.ATTR_SAMPLE_INTERVAL]
    header = da.attrs[cv.ATTR_TIME_ZERO] / dt
    assert header == pytest.approx(3.18)
    picks = tz.pick_first_break(da, reference="first_break") / dt
    assert abs(float(picks.median()) - header) < 2
    aligned = tz.align_time_zero(da, method="attrs")
    assert aligned.attrs[tz.ATTR_TIME_ZERO_SHIFT] == pytest.approx(3.18 * dt)


@pytest.mark.parametrize("method", ["threshold", "energy_ratio"])
def test_sir4000_first_break_is_the_headers_time_zero(gpr_data, method):
    """The DZT header puts time zero at 230 ns (sample 204.8); both pickers find the first break there."""
    da = roadbed.read(gpr_data / "gssi_sir4000_200mhz_gps.DZT").load()
    dt = da.attrs[cv.ATTR_SAMPLE_INTERVAL]
    assert da.attrs[cv.ATTR_TIME_ZERO] == pytest.approx(230.0)
    picks = tz.pick_first_break(da, method=method, reference="first_break")
    assert np.abs(picks.values - 230.0).max() < 2 * dt
