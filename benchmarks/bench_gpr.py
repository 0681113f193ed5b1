"""The GPR processing chain: numba kernels against their numpy twins, the scipy code a user would write, and readgssi.

Data: a synthetic 20-channel survey quantised to int16 (512 samples per
trace), as a reader delivers it. Throughput is samples/s for the
preprocessing chain and each of its steps, traces/s (channels × traces) for
migration. The real-time factor compares the default recipe with a
20-channel array at 5 cm trace spacing driven at 36 km/h (4,000 traces/s).

Targets (2 cores): preprocessing chain ≥ 100 M samples/s, 3-D Stolt ≥ 20,000
traces/s, 3-D Kirchhoff with 1 m aperture ≥ 5,000 traces/s, default recipe
faster than acquisition. ``python -m benchmarks.bench_gpr [--quick]`` prints
this suite alone.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage
import scipy.signal

from benchmarks._timing import best_of
from roadbed import synth
from roadbed.gpr.filters import dewow, remove_background
from roadbed.gpr.gain import tpow_gain
from roadbed.gpr.kirchhoff import kirchhoff_migrate
from roadbed.gpr.recipe import apply_recipe, default_recipe
from roadbed.gpr.spectral import bandpass
from roadbed.gpr.stolt import stolt_migrate
from roadbed.gpr.timezero import align_time_zero

#: traces per second a 20-channel array records at 5 cm spacing and 36 km/h
ACQUISITION_TRACES_PER_S = 20 * (10.0 / 0.05)


def _survey(n_traces: int):
    scene = synth.GprScene(
        pipes=(synth.Pipe(along_m=1.5, across_m=0.0, depth_m=0.5, radius_m=0.05, angle_deg=15.0),),
        cavities=(synth.Cavity(along_m=3.0, across_m=0.2, depth_m=0.4, length_m=0.6, width_m=0.5, height_m=0.2),),
    )
    da, _ = synth.synthetic_survey(scene, n_channels=20, n_traces=n_traces, n_samples=512, trace_spacing_m=0.05,
                                   time_window_ns=40.0, frequency_hz=800e6, noise_std=0.002, rng=1)
    scale = 30000 / float(np.abs(da.values).max())
    counts = np.round(da.values * scale).astype(np.int16)  # what a 16-bit file holds
    return da.copy(data=counts.astype(np.float32))


def _chain(da, engine: str):
    out = dewow(da, engine=engine)
    out = align_time_zero(out, engine=engine)
    out = remove_background(out, engine=engine)
    out = tpow_gain(out, power=1.0, engine=engine)
    f = da.attrs["frequency_hz"]
    return bandpass(out, low_hz=0.25 * f, high_hz=2.5 * f, engine=engine)


def _scipy_chain(values: np.ndarray, dt_ns: float, f_hz: float) -> np.ndarray:
    """The same chain as a user would write it with numpy and scipy."""
    window = int(round(1.0 / (f_hz * 1e-9) / dt_ns)) | 1
    x = values - scipy.ndimage.uniform_filter1d(values, window, axis=-1)
    first = np.argmax(np.abs(x) > 0.1 * np.abs(x).max(axis=-1, keepdims=True), axis=-1)
    shift = int(np.median(first))
    x = np.roll(x, -shift, axis=-1)
    x = x - x.mean(axis=-2, keepdims=True)
    x = x * (np.arange(x.shape[-1]) * dt_ns)
    sos = scipy.signal.butter(4, [0.25 * f_hz, 2.5 * f_hz], btype="bandpass", fs=1e9 / dt_ns, output="sos")
    return scipy.signal.sosfiltfilt(sos, x, axis=-1)


def _steps(da, dt_ns: float, f_hz: float) -> list[tuple[str, object, object]]:
    """Each step of the chain: (name, roadbed call, the numpy/scipy code a user would write for it)."""
    values = da.values
    window = int(round(1.0 / (f_hz * 1e-9) / dt_ns)) | 1
    t = np.arange(values.shape[-1], dtype=np.float32) * np.float32(dt_ns)
    sos = scipy.signal.butter(4, [0.25 * f_hz, 2.5 * f_hz], btype="bandpass", fs=1e9 / dt_ns, output="sos")

    def roll_to_first_break():
        first = np.argmax(np.abs(values) > 0.1 * np.abs(values).max(axis=-1, keepdims=True), axis=-1)
        return np.roll(values, -int(np.median(first)), axis=-1)

    return [
        ("dewow", lambda: dewow(da), lambda: values - scipy.ndimage.uniform_filter1d(values, window, axis=-1)),
        ("align_time_zero", lambda: align_time_zero(da), roll_to_first_break),
        ("remove_background", lambda: remove_background(da), lambda: values - values.mean(axis=-2, keepdims=True)),
        ("remove_background, 201 traces", lambda: remove_background(da, window_traces=201),
         lambda: values - scipy.ndimage.uniform_filter1d(values, 201, axis=-2)),
        ("tpow_gain", lambda: tpow_gain(da, power=1.0), lambda: values * t),
        ("bandpass", lambda: bandpass(da, low_hz=0.25 * f_hz, high_hz=2.5 * f_hz),
         lambda: scipy.signal.sosfiltfilt(sos, values, axis=-1)),
    ]  # fmt: skip


def _readgssi_chain(values: np.ndarray, dt_ns: float, f_hz: float):
    """readgssi's dewow, background removal and band-pass on one channel at a time, or None if absent."""
    try:
        from readgssi import filtering
    except ImportError:
        return None

    def run():
        for channel in values:
            ar = np.ascontiguousarray(channel.T)  # readgssi: (samples, traces)
            ar = filtering.dewow(ar, verbose=False)
            ar = filtering.bgr(ar, header={}, win=0, verbose=False)
            filtering.bp(ar, header={"samp_freq": 1e9 / dt_ns}, freqmin=0.25 * f_hz / 1e6,
                         freqmax=2.5 * f_hz / 1e6, verbose=False)
    return run


def run(quick: bool) -> list[dict]:
    n_traces = 200 if quick else 2000
    da = _survey(n_traces)
    samples = da.size
    traces = da.sizes["channel"] * da.sizes["trace"]
    dt = float(da.twt[1] - da.twt[0])
    f = float(da.attrs["frequency_hz"])
    rows = []

    t_numba = best_of(lambda: _chain(da, "numba"))
    small = da.isel(channel=slice(0, 2))
    t_numpy = best_of(lambda: _chain(small, "numpy"), repeat=1) * da.sizes["channel"] / 2
    t_scipy = best_of(lambda: _scipy_chain(da.values, dt, f))
    rows.append({"benchmark": "preprocessing chain", "roadbed_s": t_numba, "reference": "numpy twin",
                 "reference_s": t_numpy, "speed-up": t_numpy / t_numba,
                 "throughput": f"{samples / t_numba / 1e6:,.0f} M samples/s"})
    rows.append({"benchmark": "preprocessing chain", "roadbed_s": t_numba, "reference": "scipy code",
                 "reference_s": t_scipy, "speed-up": t_scipy / t_numba,
                 "throughput": f"scipy: {samples / t_scipy / 1e6:,.0f} M samples/s"})
    for name, ours, theirs in _steps(da, dt, f):
        t_ours = best_of(ours)
        t_theirs = best_of(theirs, repeat=1)
        rows.append({"benchmark": f"  {name}", "roadbed_s": t_ours, "reference": "scipy code",
                     "reference_s": t_theirs, "speed-up": t_theirs / t_ours,
                     "throughput": f"{samples / t_ours / 1e6:,.0f} M samples/s"})  # fmt: skip
    peer = _readgssi_chain(da.values, dt, f)
    if peer is not None:
        t_peer = best_of(peer, repeat=1)
        t_ours = best_of(lambda: bandpass(remove_background(dewow(da)), low_hz=0.25 * f, high_hz=2.5 * f))
        rows.append({"benchmark": "dewow+background+band-pass", "roadbed_s": t_ours, "reference": "readgssi",
                     "reference_s": t_peer, "speed-up": t_peer / t_ours,
                     "throughput": f"{samples / t_ours / 1e6:,.0f} M samples/s"})

    aligned = align_time_zero(da)
    t_stolt = best_of(lambda: stolt_migrate(aligned, velocity_m_per_ns=0.1, mode="3d"))
    one = aligned.isel(channel=slice(0, 2))
    t_stolt_np = best_of(lambda: stolt_migrate(one, velocity_m_per_ns=0.1, mode="3d", engine="numpy"),
                         repeat=1) * da.sizes["channel"] / 2
    rows.append({"benchmark": "3-D Stolt", "roadbed_s": t_stolt, "reference": "numpy twin",
                 "reference_s": t_stolt_np, "speed-up": t_stolt_np / t_stolt,
                 "throughput": f"{traces / t_stolt:,.0f} traces/s"})

    window = aligned.isel(trace=slice(0, min(n_traces, 200)))
    t_kirch = best_of(lambda: kirchhoff_migrate(window, velocity_m_per_ns=0.1, aperture_m=1.0), repeat=1)
    tiny = window.isel(channel=slice(0, 4), trace=slice(0, 20))
    t_kirch_np = best_of(lambda: kirchhoff_migrate(tiny, velocity_m_per_ns=0.1, aperture_m=1.0, engine="numpy"),
                         repeat=1) * window.sizes["channel"] * window.sizes["trace"] / (4 * 20)
    k_traces = window.sizes["channel"] * window.sizes["trace"]
    rows.append({"benchmark": "3-D Kirchhoff, 1 m aperture", "roadbed_s": t_kirch, "reference": "numpy twin",
                 "reference_s": t_kirch_np, "speed-up": t_kirch_np / t_kirch,
                 "throughput": f"{k_traces / t_kirch:,.0f} traces/s"})

    recipe = default_recipe()
    t_recipe = best_of(lambda: apply_recipe(da, recipe), repeat=1)
    rate = traces / t_recipe
    rows.append({"benchmark": "default recipe", "roadbed_s": t_recipe, "reference": "acquisition",
                 "reference_s": traces / ACQUISITION_TRACES_PER_S, "speed-up": rate / ACQUISITION_TRACES_PER_S,
                 "throughput": f"{rate:,.0f} traces/s = {rate / ACQUISITION_TRACES_PER_S:.1f}× real time"})
    return rows


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_gpr", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    for row in run(parser.parse_args().quick):
        print(f"{row['benchmark']:<34} {row['roadbed_s']:>9.4f} s {row['reference']:>14} {row['reference_s']:>9.4f} s "
              f"{row['speed-up']:>8.1f}×  {row['throughput']}")
