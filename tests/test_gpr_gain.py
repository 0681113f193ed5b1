"""Gains: kernels against their twins, exact inversion, physical units against roadbed.synth's attenuation."""

from __future__ import annotations

import json
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
from roadbed.gpr import gain

F32 = float(np.finfo(np.float32).eps)
VALUES = st.floats(-1e3, 1e3, width=32)


@given(
    a=hnp.arrays(np.float32, st.tuples(st.integers(1, 3), st.integers(1, 5), st.integers(1, 30)), elements=VALUES),
    data=st.data(),
    inverse=st.booleans(),
)
def test_curve_scaling_kernel_matches_its_twin_exactly(a, data, inverse):
    curve = data.draw(hnp.arrays(np.float64, (a.shape[0], a.shape[2]), elements=st.floats(1e-3, 1e3)))
    got = kern.scale_by_curve(a, curve, inverse, np.empty_like(a))
    np.testing.assert_array_equal(got, ref.scale_by_curve(a, curve, inverse, np.empty_like(a)))


@given(
    a=hnp.arrays(np.float32, st.tuples(st.integers(1, 5), st.integers(1, 30)), elements=VALUES),
    data=st.data(),
    inverse=st.booleans(),
)
def test_elementwise_scaling_kernel_matches_its_twin_exactly(a, data, inverse):
    g = data.draw(hnp.arrays(np.float32, a.shape, elements=st.floats(2.0**-10, 2.0**10, width=32)))
    got = kern.scale_elementwise(a, g, inverse, np.empty_like(a))
    np.testing.assert_array_equal(got, ref.scale_elementwise(a, g, inverse, np.empty_like(a)))


@given(
    a=hnp.arrays(np.float32, st.tuples(st.integers(1, 5), st.integers(1, 40)), elements=VALUES),
    half=st.integers(0, 45),
    floor=st.sampled_from([1e-6, 1e-3, 0.5]),
)
def test_agc_kernel_matches_its_twin(a, half, floor):
    got = kern.agc_gain(a, half, floor, np.empty_like(a))
    want = ref.agc_gain(a, half, floor, np.empty_like(a))
    # prefix-sum window energies against direct window sums: float64 rounding, then float32
    np.testing.assert_allclose(got, want, rtol=1e-5)


# --- analytic gains -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def survey():
    scene = synth.GprScene(pipes=(synth.Pipe(1.0, 0.0, 0.4, 0.05),))
    da, _ = synth.synthetic_survey(scene, n_channels=3, n_traces=60, n_samples=256, time_window_ns=30.0,
                                   time_zero_ns=[2.5, 3.0, 3.5], noise_std=0.02, rng=7)  # fmt: skip
    return da


def test_gain_curve_is_t_power_times_exponential_after_each_channels_time_zero(survey):
    curve = gain.gain_curve(survey, power=2.0, alpha_per_ns=0.05)
    assert curve.dims == (cv.CHANNEL, cv.TWT)
    twt = survey[cv.TWT].values
    k = int(np.searchsorted(twt, 10.0))
    for ch, t0 in enumerate([2.5, 3.0, 3.5]):
        t = twt[k] - t0
        assert curve.values[ch, k] == pytest.approx(t**2 * math.exp(0.05 * t), rel=1e-12)
    dt = survey.attrs[cv.ATTR_SAMPLE_INTERVAL]
    assert curve.values[0, 0] == pytest.approx(dt**2 * math.exp(0.05 * dt), rel=1e-12)  # before the surface: t_min


GAINS = [
    ("tpow_gain", dict(power=2.0)),
    ("exp_gain", dict(alpha_per_ns=0.08)),
    ("exp_gain", dict(attenuation_db_per_m=30.0, velocity_m_per_ns=0.1)),
    ("sec_gain", dict(power=1.0, attenuation_db_per_m=20.0)),  # velocity from relative_permittivity
]


@pytest.mark.parametrize(("name", "kwargs"), GAINS)
def test_every_analytic_gain_inverts_to_float32_rounding(survey, name, kwargs):
    fn = getattr(gain, name)
    gained = fn(survey, **kwargs)
    late = slice(128, None)
    assert np.sqrt((gained.values[..., late] ** 2).mean()) > 2 * np.sqrt((survey.values[..., late] ** 2).mean())
    record = json.loads(gained.attrs[gain.ATTR_GAIN])[-1]
    assert record["kind"] == name and record["time_zero_ns"] == [2.5, 3.0, 3.5]
    # x·g rounded to float32, then divided by the same g: within two roundings of x
    for undone in (fn(gained, **kwargs, inverse=True), gain.remove_gain(gained)):
        np.testing.assert_allclose(undone.values, survey.values, rtol=2 * F32, atol=0)
        assert gain.ATTR_GAIN not in undone.attrs
    assert roadbed.history(gain.remove_gain(gained))[-1].split(": ", 1)[1].startswith("remove_gain(")


def test_remove_gain_undoes_the_last_gain_first(survey):
    both = gain.exp_gain(gain.tpow_gain(survey, power=1.5), alpha_per_ns=0.05)
    once = gain.remove_gain(both)
    np.testing.assert_allclose(once.values, gain.tpow_gain(survey, power=1.5).values, rtol=4 * F32)
    assert [r["kind"] for r in json.loads(once.attrs[gain.ATTR_GAIN])] == ["tpow_gain"]
    np.testing.assert_allclose(gain.remove_gain(once).values, survey.values, rtol=4 * F32)
    # dividing by a gain that was never applied is recorded too, and remove_gain multiplies it back
    divided = gain.tpow_gain(survey, power=1.0, inverse=True)
    assert json.loads(divided.attrs[gain.ATTR_GAIN])[-1]["inverse"] is True
    np.testing.assert_allclose(gain.remove_gain(divided).values, survey.values, rtol=2 * F32)
    with pytest.raises(ValueError, match="no gain"):
        gain.remove_gain(survey)


def test_exponential_gain_in_db_per_m_restores_synth_attenuation():
    """roadbed.synth attenuates by exp(−α·2·depth) (α from dB/m); exp_gain must undo exactly that."""
    scene = synth.GprScene(layers=(synth.Layer(0.5, 6.0), synth.Layer(math.inf, 12.0)))
    common = dict(n_traces=2, n_samples=512, time_window_ns=20.0, spreading_ref_m=1.0)
    lossless, _ = synth.synthetic_line(scene, **common)
    lossy, _ = synth.synthetic_line(scene, attenuation_db_per_m=20.0, **common)
    gained = gain.exp_gain(lossy, attenuation_db_per_m=20.0)  # velocity of the top layer from its permittivity
    tau = 3.0 + synth.interface_twt_ns(scene.layers)[0]
    k = int(np.argmin(np.abs(lossy[cv.TWT].values - tau)))
    assert lossy.values[0, k] == pytest.approx(0.1 * lossless.values[0, k], rel=0.01)  # 20 dB/m over 1 m of path
    # the gain at the peak sample, not at tau: off by exp(α·v·δ) with |δ| ≤ dt/2 (0.28/ns × 0.02 ns)
    assert gained.values[0, k] == pytest.approx(lossless.values[0, k], rel=0.01)
    assert gain.alpha_per_ns(attenuation_db_per_m=20.0, velocity_m_per_ns=0.1) == pytest.approx(math.log(10) * 0.1)


# --- AGC and explicit gains ------------------------------------------------------------------------------
def test_agc_evens_out_a_decaying_trace_and_its_gain_undoes_it(survey):
    t = survey[cv.TWT].values
    decaying = survey.copy(data=(survey.values * np.exp(-t / 4.0)).astype(np.float32))
    out, g = gain.agc(decaying, window_ns=5.0, return_gain=True)
    assert g.dims == decaying.dims and g.dtype == np.float32
    early = out.sel({cv.TWT: slice(8, 12)}).values
    late = out.sel({cv.TWT: slice(24, 28)}).values
    ratio_in = np.sqrt((decaying.sel({cv.TWT: slice(8, 12)}).values ** 2).mean() /
                       (decaying.sel({cv.TWT: slice(24, 28)}).values ** 2).mean())  # fmt: skip
    ratio_out = np.sqrt((early**2).mean() / (late**2).mean())
    assert ratio_in > 20 and 1 / 3 < ratio_out < 3
    np.testing.assert_allclose(gain.apply_gain(out, g, inverse=True).values, decaying.values, rtol=2 * F32)
    assert gain.ATTR_GAIN not in gain.apply_gain(out, g, inverse=True).attrs
    with pytest.raises(ValueError, match="apply_gain"):
        gain.remove_gain(out)


def test_agc_leaves_a_silent_trace_silent(survey):
    silent = survey.copy(data=np.zeros(survey.shape, np.float32))
    out, g = gain.agc(silent, return_gain=True)
    np.testing.assert_array_equal(out.values, 0.0)
    np.testing.assert_array_equal(g.values, 1.0)


def test_apply_gain_broadcasts_a_curve_and_checks_coordinates(survey):
    curve = gain.gain_curve(survey, power=1.0)
    np.testing.assert_array_equal(gain.apply_gain(survey, curve).values, gain.tpow_gain(survey, power=1.0).values)
    wrong = curve.assign_coords({cv.TWT: curve[cv.TWT].values + 0.5})
    with pytest.raises(ValueError):
        gain.apply_gain(survey, wrong)


# --- engines and dask -----------------------------------------------------------------------------------------
STEPS = [
    ("sec", lambda d, e: gain.sec_gain(d, power=1.0, alpha_per_ns=0.02, engine=e)),
    ("agc", lambda d, e: gain.agc(d, engine=e)),
    ("agc gain", lambda d, e: gain.agc(d, return_gain=True, engine=e)[1]),
]


@pytest.mark.parametrize(("name", "step"), STEPS, ids=[s[0] for s in STEPS])
def test_numpy_engine_and_dask_input_agree_with_numba(survey, name, step):
    out = step(survey, "numba")
    np.testing.assert_allclose(step(survey, "numpy").values, out.values, rtol=1e-5)
    pytest.importorskip("dask")
    lazy = step(survey.chunk({cv.CHANNEL: 1, cv.TRACE: 25}), "numba")
    assert lazy.chunks is not None
    np.testing.assert_array_equal(lazy.values, out.values)


@pytest.mark.parametrize(
    "call",
    [
        lambda d: gain.exp_gain(d),
        lambda d: gain.exp_gain(d, alpha_per_ns=0.1, attenuation_db_per_m=1.0),
        lambda d: gain.exp_gain(d, alpha_per_ns=100.0),  # exp(3000) overflows
        lambda d: gain.exp_gain(d.drop_attrs(), attenuation_db_per_m=1.0),  # no velocity
        lambda d: gain.tpow_gain(d, engine="gpu"),
        lambda d: gain.agc(d, window_ns=0.01),
        lambda d: gain.agc(d, floor_fraction=0.0),
    ],
)
def test_bad_options_raise_value_error(survey, call):
    with pytest.raises(ValueError):
        call(survey)
