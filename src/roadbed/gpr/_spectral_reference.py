"""Slow, obvious numpy/scipy twins of :mod:`roadbed.gpr._spectral_kernels`.

Same names, same arguments, same results (to float32 rounding); written for
reading, not speed. The tests compare every kernel with its twin.
"""

from __future__ import annotations

import numpy as np
import scipy.signal

from ._spectral_kernels import _BIN_SLACK, SINC_HALF_WIDTH


def sosfiltfilt(x, sos, zi, padlen):
    """``scipy.signal.sosfiltfilt`` with odd padding (``zi`` is recomputed by scipy)."""
    del zi
    return scipy.signal.sosfiltfilt(sos, np.asarray(x, dtype=np.float64), axis=-1, padtype="odd", padlen=padlen).astype(
        np.float32
    )


def quadrature_spectrum(spec, n_time):
    """The rfft of the imaginary part of ``scipy.signal.hilbert`` of the traces ``irfft(spec, n_time)``."""
    x = np.fft.irfft(np.asarray(spec, dtype=np.complex128), n=n_time, axis=-1)
    h = np.imag(scipy.signal.hilbert(x, axis=-1))
    return np.fft.rfft(h, axis=-1).astype(np.complex64)


def envelope(x, h):
    """``|x + i h|``."""
    return np.abs(np.asarray(x, dtype=np.float64) + 1j * np.asarray(h, dtype=np.float64)).astype(np.float32)


def instantaneous_phase(x, h):
    """``angle(x + i h)``."""
    return np.angle(np.asarray(x, dtype=np.float64) + 1j * np.asarray(h, dtype=np.float64)).astype(np.float32)


def fk_fan(spec, k, omega, p_cut, p_taper, keep_flat):
    """Fan-filter weights on the whole f-k plane at once."""
    kk = np.asarray(k, dtype=np.float64)[:, None]
    om = np.asarray(omega, dtype=np.float64)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(om > 0, kk / np.where(om > 0, om, 1.0), np.inf)
    p = np.where(kk == 0, 0.0, p)
    if p_cut > p_taper:
        ramp = np.cos(0.5 * np.pi * np.clip((p - p_taper) / (p_cut - p_taper), 0.0, 1.0)) ** 2
    else:
        ramp = np.zeros_like(p)
    w = np.where(p <= p_taper, 1.0, np.where(p >= p_cut, 0.0, ramp))
    if not keep_flat:
        w = 1.0 - w
    return (np.asarray(spec) * w.astype(np.float32)).astype(np.complex64)


def _full_spectrum_bins(spec, line, mirror_line, m, n_time):
    """Bins ``m`` (integer array) of the n_time-periodic full spectrum of a real signal."""
    mm = np.mod(m, n_time)
    n_omega = spec.shape[1]
    low = mm < n_omega
    out = np.empty(mm.shape, dtype=np.complex128)
    out[low] = spec[line, mm[low]]
    out[~low] = np.conj(spec[mirror_line, n_time - mm[~low]])
    return out


def stolt_map(spec, k, mirror, d_omega, n_time, u, t0, sinc, out=None):
    """Stolt's mapping one wavenumber line at a time with ``np.interp`` or an explicit sinc sum (into ``out``)."""
    spec = np.asarray(spec, dtype=np.complex128)
    n_lines, n_omega = spec.shape
    result = np.zeros((n_lines, n_omega), dtype=np.complex128)
    wt = np.arange(n_omega) * d_omega
    bins = np.arange(n_omega)
    for line in range(n_lines):
        w = np.sqrt(wt**2 + (u * k[line]) ** 2)
        f = w / d_omega
        inside = f <= n_omega - 1 + _BIN_SLACK
        f = np.minimum(f, n_omega - 1)
        if sinc:
            val = np.zeros(n_omega, dtype=np.complex128)
            for j in np.flatnonzero(inside):
                m = np.arange(np.floor(f[j]) - SINC_HALF_WIDTH + 1, np.floor(f[j]) + SINC_HALF_WIDTH + 1).astype(int)
                taps = np.sinc(f[j] - m) * np.sinc((f[j] - m) / SINC_HALF_WIDTH)
                val[j] = np.sum(taps * _full_spectrum_bins(spec, line, mirror[line], m, n_time))
        else:
            val = np.interp(f, bins, spec[line].real) + 1j * np.interp(f, bins, spec[line].imag)
        with np.errstate(divide="ignore", invalid="ignore"):
            jac = np.where(w > 0, wt / np.where(w > 0, w, 1.0), 1.0)
        result[line] = np.where(inside, val * jac * np.exp(-1j * t0 * (w - wt)), 0.0)
    if out is None:
        return result.astype(np.complex64)
    out[...] = result
    return out


def phase_shift(spec, k, d_omega, n_time, u, t0, w_init, w_step, same_step):
    """Phase shift from the cumulative time in each layer (no recursion)."""
    del same_step
    spec = np.asarray(spec, dtype=np.complex128)
    n_lines, n_omega = spec.shape
    u = np.asarray(u, dtype=np.float64)
    # time in each layer from the surface down to every output τ: (n_tau, n_layers)
    t_layer = np.vstack([w_init, w_init + np.cumsum(w_step, axis=0)])
    omega = np.arange(n_omega) * d_omega
    weight = np.ones(n_omega)
    weight[0] = 0.5
    if n_time % 2 == 0:
        weight[-1] = 0.5
    out = np.empty((n_lines, t_layer.shape[0]), dtype=np.complex128)
    for line in range(n_lines):
        kk = k[line]
        if kk == 0:
            s = np.ones((n_omega, u.size))
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                r = u[None, :] * kk / omega[:, None]
                s = np.where(omega[:, None] > u[None, :] * kk, np.sqrt(np.abs(1.0 - r**2)), -1.0)
        phase = omega[:, None] * ((s @ t_layer.T) - t0)  # (n_omega, n_tau)
        # (n_tau, n_layers): the wave has spent time in the layer on its way down to τ
        entered = np.vstack([np.abs(w_init), np.abs(w_init) + np.cumsum(np.abs(w_step), axis=0)]) != 0.0
        dead = (entered[None, :, :] & (s[:, None, :] < 0)).any(axis=2)
        p = (spec[line] * weight)[:, None] * np.exp(1j * phase)
        out[line] = np.where(dead, 0.0, p).sum(axis=0)
    return out.astype(np.complex64)


def sample_at(x, position, shift):
    """``np.interp`` of every trace at ``position + shift``, 0 outside."""
    x = np.asarray(x, dtype=np.float64)
    n_traces, n = x.shape
    out = np.empty((n_traces, len(position)), dtype=np.float64)
    for t in range(n_traces):
        out[t] = np.interp(np.asarray(position) + shift[t], np.arange(n), x[t], left=0.0, right=0.0)
    return out.astype(np.float32)
