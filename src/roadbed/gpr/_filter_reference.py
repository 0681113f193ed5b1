"""Slow, obvious numpy twins of :mod:`._filter_kernels`, for tests and ``engine="numpy"``.

Same names, arguments and results as the kernels (results the size of the
data are written into ``out`` and returned, as the kernels do). Windowed statistics are
computed directly over every window (a NaN-padded sliding view and
``nanmean``/``nanmedian``), never by running updates, so they check the
kernels' O(1) bookkeeping; they are memory-hungry (window × data), so use
them on small arrays. The zero-phase IIR filter is ``scipy.signal.sosfiltfilt``.
"""

from __future__ import annotations

import numpy as np
import scipy.signal
from numpy.lib.stride_tricks import sliding_window_view


def _windows(a: np.ndarray, half: int, axis: int) -> np.ndarray:
    """Every centred window of ``2·half+1`` along ``axis`` (NaN beyond the ends) on a new last axis."""
    pad = [(0, 0)] * a.ndim
    pad[axis] = (half, half)
    padded = np.pad(a.astype(np.float64), pad, constant_values=np.nan)
    return sliding_window_view(padded, 2 * half + 1, axis=axis)


# --- dewow -----------------------------------------------------------------------
def running_mean(a, half, subtract, out):
    mean = np.nanmean(_windows(a, half, -1), axis=-1)
    out[...] = a - mean if subtract else mean
    return out


def running_median(a, half, subtract, out):
    median = np.nanmedian(_windows(a, half, -1), axis=-1)
    out[...] = a - median if subtract else median
    return out


def sosfiltfilt(a, sos, zi, padlen, out):
    del zi  # scipy derives the same initial state itself
    out[...] = scipy.signal.sosfiltfilt(sos, a.astype(np.float64), axis=-1, padtype="odd", padlen=padlen)
    return out


# --- DC ------------------------------------------------------------------------------
def remove_dc(a, start, stop, out):
    out[...] = a - a[:, start:stop].astype(np.float64).mean(axis=1, keepdims=True)
    return out


# --- background -------------------------------------------------------------------------
def background_mean(a, half, out):
    if half < 0:
        out[...] = a - a.astype(np.float64).mean(axis=1, keepdims=True)
    else:
        out[...] = a - np.nanmean(_windows(a, half, 1), axis=-1)
    return out


def background_median(a, half, out):
    if half < 0:
        out[...] = a - np.median(a.astype(np.float64), axis=1, keepdims=True)
    else:
        out[...] = a - np.nanmedian(_windows(a, half, 1), axis=-1)
    return out


# --- gain ---------------------------------------------------------------------------------
def scale_by_curve(a, curve, inverse, out):
    g = curve[:, None, :]
    out[...] = a / g if inverse else a * g
    return out


def scale_elementwise(a, gain, inverse, out):
    out[...] = a / gain if inverse else a * gain
    return out


def agc_gain(a, half, floor_fraction, out):
    rms = np.sqrt(np.nanmean(_windows(a, half, -1) ** 2, axis=-1))
    top = rms.max(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", over="ignore"):  # a denormal RMS: gain beyond float32, inf as in the kernel
        gain = 1.0 / np.maximum(rms, floor_fraction * top)
        out[...] = np.where(top == 0.0, 1.0, gain)
    return out


# --- time zero --------------------------------------------------------------------------------
def _parabolic_offset(ym, y0, yp):
    den = ym - 2.0 * y0 + yp
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.clip(0.5 * (ym - yp) / den, -0.5, 0.5)
    return np.where(den < 0.0, off, 0.0)


def pick_threshold(a, threshold):
    mag = np.abs(a.astype(np.float64))
    top = mag.max(axis=1)
    level = threshold * top
    i = np.argmax(mag >= level[:, None], axis=1)
    rows = np.arange(a.shape[0])
    lo = mag[rows, np.maximum(i - 1, 0)]
    hi = mag[rows, i]
    with np.errstate(divide="ignore", invalid="ignore"):
        pick = np.where(i == 0, 0.0, i - 1 + (level - lo) / (hi - lo))
    return np.where(top == 0.0, np.nan, pick)


def pick_energy_ratio(a, n_win, stabilization):
    n = a.shape[1]
    energy = np.concatenate([np.zeros((a.shape[0], 1)), np.cumsum(a.astype(np.float64) ** 2, axis=1)], axis=1)
    i = np.arange(n)
    trail = energy[:, np.minimum(i + n_win, n)] - energy[:, i]
    lead = energy[:, i] - energy[:, np.maximum(i - n_win, 0)]
    top = trail.max(axis=1, keepdims=True)
    eps = stabilization * top
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (trail + eps) / (lead + eps)
    ib = np.argmax(ratio, axis=1)
    rows = np.arange(a.shape[0])
    inner = (ib > 0) & (ib < n - 1)
    off = _parabolic_offset(ratio[rows, np.maximum(ib - 1, 0)], ratio[rows, ib], ratio[rows, np.minimum(ib + 1, n - 1)])
    pick = ib + np.where(inner, off, 0.0)
    return np.where(top[:, 0] == 0.0, np.nan, pick)


def refine_peak(a, onset, search):
    n = a.shape[1]
    out = np.full(a.shape[0], np.nan)
    for j in np.flatnonzero(~np.isnan(onset)):
        trace = a[j].astype(np.float64)
        i0 = min(n - 1, max(0, int(np.floor(onset[j]))))
        i1 = min(n - 1, i0 + search)
        ib = i0 + int(np.argmax(np.abs(trace[i0 : i1 + 1])))
        if 0 < ib < n - 1:
            y = trace[ib - 1 : ib + 2] * (1.0 if trace[ib] >= 0 else -1.0)
            out[j] = ib + float(_parabolic_offset(y[0], y[1], y[2]))
        else:
            out[j] = ib
    return out


def _split_shift(shift):
    base = int(np.floor(shift))
    f = shift - base
    return (base + 1, 0.0) if f >= 1.0 else (base, f)


def shift_linear(a, shift, out):
    n, n_out = a.shape[1], out.shape[1]
    grid = np.arange(-1, n + 1)
    for j in range(a.shape[0]):
        padded = np.concatenate([[0.0], a[j].astype(np.float64), [0.0]])
        out[j] = np.interp(np.arange(n_out) + shift[j], grid, padded, left=0.0, right=0.0)
    return out


def shift_sinc(a, shift, half_width, out):
    n, n_out = a.shape[1], out.shape[1]
    for j in range(a.shape[0]):
        trace = a[j].astype(np.float64)
        base, f = _split_shift(shift[j])
        positions = np.arange(n_out)[:, None] + base + np.arange(-half_width + 1, half_width + 1)[None, :]
        inside = (positions >= 0) & (positions < n)
        values = np.where(inside, trace[np.clip(positions, 0, n - 1)], 0.0)
        if f == 0.0:
            out[j] = values[:, half_width - 1]
            continue
        x = f - np.arange(-half_width + 1, half_width + 1)
        w = np.sinc(x) * np.sinc(x / half_width)
        out[j] = values @ (w / w.sum())
    return out
