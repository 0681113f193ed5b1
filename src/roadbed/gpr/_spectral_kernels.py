"""Numba kernels of the frequency-domain steps (band-pass, Hilbert, f-k, Stolt, phase shift, resampling).

Every kernel sees plain ndarrays and has a slow, obvious twin of the same
name in :mod:`roadbed.gpr._spectral_reference`; the tests hold them equal.
The FFTs themselves are scipy's (``workers=-1``); the kernels do the work
between them.

Conventions shared by the f-k kernels: the time spectrum is a forward
``rfft`` of a trace zero-padded to ``n_time`` samples, so bin ``j`` holds
angular frequency ``ω_j = j · d_omega`` (rad/ns), ``j = 0 … n_time // 2``;
the lines of a 2-D ``(n_lines, n_omega)`` spectrum are the horizontal
wavenumbers, ``k`` = |horizontal wavenumber| in rad/m.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from . import _filter_kernels as _fk

#: half-width (taps each side) of the Lanczos-windowed sinc used by Stolt's sinc interpolation
SINC_HALF_WIDTH = 4
#: cos and sin of π j / 4 for the sinc taps j = 1 − SINC_HALF_WIDTH … SINC_HALF_WIDTH
_QUARTER_COS = np.cos(0.25 * np.pi * np.arange(1 - SINC_HALF_WIDTH, SINC_HALF_WIDTH + 1))
_QUARTER_SIN = np.sin(0.25 * np.pi * np.arange(1 - SINC_HALF_WIDTH, SINC_HALF_WIDTH + 1))
#: a mapped frequency this far (in bins) past the last bin still reads the last bin (rounding of ω)
_BIN_SLACK = 1e-9


def sosfiltfilt(x, sos, zi, padlen, out=None):
    """Zero-phase forward-backward second-order-section filter, as ``scipy.signal.sosfiltfilt``.

    Odd extension by ``padlen`` samples at both ends, the forward pass started
    from the step-response steady state ``zi · x_ext[0]``, the backward pass from
    ``zi · y[-1]`` — scipy's algorithm exactly, in float64. The kernel is
    :func:`roadbed.gpr._filter_kernels.sosfiltfilt` (the dewow's high-pass is
    the same filter); this allocates its output with numpy (huge pages, see
    that module) and is called from Python, so numba's per-file cache never
    holds a stale copy of the other module's code.

    Parameters
    ----------
    x : ndarray, shape (n_traces, n_samples), float32
    sos : ndarray, shape (n_sections, 6), float64
        Second-order sections ``b0 b1 b2 a0 a1 a2`` with ``a0 = 1``.
    zi : ndarray, shape (n_sections, 2), float64
        ``scipy.signal.sosfilt_zi(sos)``.
    padlen : int
        Samples of odd extension at each end; ``0 <= padlen < n_samples``.
    out : ndarray, shape (n_traces, n_samples), float32, optional
        Written in place and returned; default a new array.

    Returns
    -------
    ndarray, shape (n_traces, n_samples), float32
    """
    x = np.ascontiguousarray(x, dtype=np.float32)
    if out is None:
        out = np.empty(x.shape, dtype=np.float32)
    sos = np.ascontiguousarray(sos, dtype=np.float64)
    zi = np.ascontiguousarray(zi, dtype=np.float64)
    return _fk.sosfiltfilt(x, sos, zi, int(padlen), out)


@numba.njit(cache=True, parallel=True, fastmath=False)
def quadrature_spectrum(spec, n_time):
    """The spectrum of the Hilbert transform: ``−i · sign(ω) · X``, DC and Nyquist zeroed.

    Parameters
    ----------
    spec : ndarray, shape (n_traces, n_time // 2 + 1), complex64
        ``rfft`` of the traces (not modified).
    n_time : int
        Length of the transformed traces.

    Returns
    -------
    ndarray, same shape, complex64
        Its ``irfft`` is the imaginary part of ``scipy.signal.hilbert``.
    """
    n_traces, n_omega = spec.shape
    out = np.empty_like(spec)
    has_nyquist = n_time % 2 == 0
    for t in numba.prange(n_traces):
        out[t, 0] = 0.0
        for j in range(1, n_omega):
            v = spec[t, j]
            out[t, j] = v.imag - 1j * v.real
        if has_nyquist:
            out[t, n_omega - 1] = 0.0
    return out


@numba.njit(cache=True, parallel=True, fastmath=False)
def envelope(x, h):
    """``sqrt(x² + h²)``: the instantaneous amplitude of the analytic signal ``x + i h``.

    Parameters
    ----------
    x, h : ndarray, shape (n_traces, n_samples), float32
        The trace and its Hilbert transform.

    Returns
    -------
    ndarray, shape (n_traces, n_samples), float32
    """
    n_traces, n = x.shape
    out = np.empty((n_traces, n), dtype=np.float32)
    for t in numba.prange(n_traces):
        for i in range(n):
            a = np.float64(x[t, i])
            b = np.float64(h[t, i])
            out[t, i] = math.sqrt(a * a + b * b)
    return out


@numba.njit(cache=True, parallel=True, fastmath=False)
def instantaneous_phase(x, h):
    """``atan2(h, x)`` in radians, (−π, π]: the phase of the analytic signal ``x + i h``.

    Parameters
    ----------
    x, h : ndarray, shape (n_traces, n_samples), float32

    Returns
    -------
    ndarray, shape (n_traces, n_samples), float32
    """
    n_traces, n = x.shape
    out = np.empty((n_traces, n), dtype=np.float32)
    for t in numba.prange(n_traces):
        for i in range(n):
            out[t, i] = math.atan2(np.float64(h[t, i]), np.float64(x[t, i]))
    return out


@numba.njit(cache=True)
def _fan_weight(k, omega, p_cut, p_taper, keep_flat):
    """Weight of one f-k bin: 1 for slownesses |k|/ω below the taper, 0 beyond the cut."""
    if k == 0.0:
        w = 1.0
    elif omega <= 0.0:
        w = 0.0
    else:
        p = k / omega
        if p <= p_taper:
            w = 1.0
        elif p >= p_cut:
            w = 0.0
        else:
            c = math.cos(0.5 * math.pi * (p - p_taper) / (p_cut - p_taper))
            w = c * c
    return w if keep_flat else 1.0 - w


@numba.njit(cache=True, parallel=True, fastmath=False)
def fk_fan(spec, k, omega, p_cut, p_taper, keep_flat):
    """Multiply an f-k spectrum by the fan (apparent-velocity) filter's weights.

    Parameters
    ----------
    spec : ndarray, shape (n_lines, n_omega), complex64
        Not modified.
    k : ndarray, shape (n_lines,), float64
        |horizontal wavenumber| of each line, rad/m.
    omega : ndarray, shape (n_omega,), float64
        Angular frequency of each column, rad/ns (≥ 0).
    p_cut : float
        Cut slowness ``1 / v_cut``, ns/m: the weight is 0 from here on.
    p_taper : float
        Slowness where the cos² taper starts (``≤ p_cut``), ns/m.
    keep_flat : bool
        True keeps slownesses below the cut (flat events, fast apparent
        velocities); False keeps those above (steep events).

    Returns
    -------
    ndarray, shape (n_lines, n_omega), complex64
    """
    n_lines, n_omega = spec.shape
    out = np.empty_like(spec)
    for line in numba.prange(n_lines):
        for j in range(n_omega):
            out[line, j] = spec[line, j] * np.float32(_fan_weight(k[line], omega[j], p_cut, p_taper, keep_flat))
    return out


_HALF_PI = math.pi / 2.0
_TWO_OVER_PI = 2.0 / math.pi


@numba.njit(cache=True)
def _cos_sin(x):
    """``(cos x, sin x)`` without libm calls or jumps (selects only), so that loops calling it vectorise.

    Reduction to ``|r| ≤ π/4`` and Taylor polynomials: error below 1e-11 for
    ``|x| < 1e4`` (the first omitted terms at ``π/4`` are 7e-12 and 4e-13).
    """
    q = math.floor(x * _TWO_OVER_PI + 0.5)
    r = x - q * _HALF_PI
    r2 = r * r
    s = r * (1.0 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0
        + r2 * (-1.0 / 39916800.0))))))  # fmt: skip
    c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0 + r2 * (-1.0 / 3628800.0
        + r2 / 479001600.0)))))  # fmt: skip
    # x = r + quadrant · π/2: rotate (c, s) by the quadrant
    quadrant = np.int64(q) & 3
    odd = quadrant & 1
    cos_x = (s if odd else c) * (1 - ((quadrant + 1) & 2))
    sin_x = (c if odd else s) * (1 - (quadrant & 2))
    return cos_x, sin_x


@numba.njit(cache=True)
def _periodic_bin(spec, line, mirror_line, m, n_time):
    """Bin ``m`` (any integer) of the full complex time spectrum, from the one-sided one.

    The full spectrum is ``n_time``-periodic; bins above ``n_time / 2`` are the
    conjugates of the mirrored wavenumber's bins (the data are real).
    """
    mm = m % n_time
    if mm < spec.shape[1]:
        return complex(spec[line, mm])
    return complex(np.conj(spec[mirror_line, n_time - mm]))


@numba.njit(cache=True)
def _lanczos_value(spec, line, mirror_line, f, n_time):
    """Spectrum of one line at fractional bin ``f`` by the 8-tap Lanczos-windowed sinc.

    Taps ``m = ⌊f⌋ − 3 … ⌊f⌋ + 4`` with weight ``sinc(d) · sinc(d / 4)``, ``d = f − m``.
    ``sin(π d) = ±sin(π frac)`` for every tap and ``sin(π d / 4)`` follows from
    one angle by the addition theorem (but for the tap at ``d = frac − 1``,
    which may be tiny), so a value costs a few sines rather than sixteen.
    """
    i0 = int(math.floor(f))
    frac = f - i0
    if frac == 0.0:
        return _periodic_bin(spec, line, mirror_line, i0, n_time)
    # sin(π frac) = sin(π (1 − frac)), and 1 − frac is exact: accurate as the tap at d = frac − 1 nears 0
    sin_pf = math.sin(math.pi * min(frac, 1.0 - frac))
    theta = 0.25 * math.pi * frac
    st, ct = math.sin(theta), math.cos(theta)
    direct = i0 - SINC_HALF_WIDTH + 1 >= 0 and i0 + SINC_HALF_WIDTH < spec.shape[1]
    val = 0j
    for j in range(-SINC_HALF_WIDTH + 1, SINC_HALF_WIDTH + 1):
        # tap m = i0 + j, d = frac − j
        d = frac - j
        sign = -1.0 if j & 1 else 1.0
        if j == 1:  # d may be tiny: no cancellation in the addition theorem here
            sin_quarter = math.sin(0.25 * math.pi * d)
        else:
            tab = j + SINC_HALF_WIDTH - 1
            sin_quarter = st * _QUARTER_COS[tab] - ct * _QUARTER_SIN[tab]  # sin(π d / 4)
        tap = sign * sin_pf * sin_quarter * 4.0 / (math.pi * math.pi * d * d)
        if direct:
            val += tap * complex(spec[line, i0 + j])
        else:
            val += tap * _periodic_bin(spec, line, mirror_line, i0 + j, n_time)
    return val


@numba.njit(cache=True, parallel=True, fastmath=False)
def stolt_map(spec, k, mirror, d_omega, n_time, u, t0, sinc, out=None):
    """Stolt's change of variable ω → ω_τ for an exploding-reflector wavefield.

    For output frequency ``ω_τ = j · d_omega`` the data are read at
    ``ω = sqrt(ω_τ² + u² k²)`` (``u = v / 2``), scaled by the Jacobian
    ``ω_τ / ω`` and phase-corrected for a time axis whose sample 0 lies at
    ``t0`` rather than at time zero:
    ``M(k, ω_τ) = D(k, ω) · ω_τ/ω · exp(−i t0 (ω − ω_τ))``.
    Frequencies beyond the last bin give 0. The mapping and its factor
    depend on ``|k|`` alone, so they are computed once for all lines of the
    same ``|k|`` (the ± wavenumbers: 2 lines in 2-D, 4 in 3-D).

    Parameters
    ----------
    spec : ndarray, shape (n_lines, n_omega), complex64
        Data spectrum (``rfft`` in time of length ``n_time``, FFT in space).
    k : ndarray, shape (n_lines,), float64
        |horizontal wavenumber| of each line, rad/m.
    mirror : ndarray, shape (n_lines,), int64
        Index of the line holding the negated wavenumber (for sinc taps
        below 0 or above Nyquist).
    d_omega : float
        Angular-frequency step, rad/ns.
    n_time : int
        Padded trace length of the ``rfft``.
    u : float
        Exploding-reflector velocity ``v / 2``, m/ns.
    t0 : float
        Time of sample 0 of the transformed traces, ns.
    sinc : bool
        False: linear interpolation in ω; True: 8-tap Lanczos-windowed sinc.
    out : ndarray, shape (n_lines, n_omega), complex64, optional
        Written in place and returned (allocate it with numpy: huge pages);
        default a new array.

    Returns
    -------
    ndarray, shape (n_lines, n_omega), complex64
    """
    n_lines, n_omega = spec.shape
    if out is None:
        out = np.empty_like(spec)
    last = n_omega - 1
    wt = np.arange(n_omega) * d_omega
    wt2 = wt * wt
    # lines sorted by |k|; group g is order[first[g]:first[g+1]]
    order = np.argsort(k)
    starts = np.empty(n_lines + 1, dtype=np.int64)
    n_groups = 0
    for i in range(n_lines):
        if i == 0 or k[order[i]] != k[order[i - 1]]:
            starts[n_groups] = i
            n_groups += 1
    starts[n_groups] = n_lines
    for g in numba.prange(n_groups):
        uk2 = (u * k[order[starts[g]]]) ** 2
        # pass 1 (vectorises): where to read, and the factor Jacobian · phase
        f = np.empty(n_omega)
        fac_re = np.empty(n_omega)
        fac_im = np.empty(n_omega)
        for j in range(n_omega):
            w = math.sqrt(wt2[j] + uk2)
            f[j] = w / d_omega
            jac = wt[j] / w if w > 0.0 else 1.0
            c, s = _cos_sin(-t0 * (w - wt[j]))
            fac_re[j] = jac * c
            fac_im[j] = jac * s
        j_end = n_omega  # ω grows with j: from the first bin beyond Nyquist on, the line is 0
        for j in range(n_omega):
            if f[j] > last + _BIN_SLACK:
                j_end = j
                break
            f[j] = min(f[j], last)
        # linear interpolation: the two bins read and their weights, shared by the group's lines
        i0 = np.empty(j_end, dtype=np.int64)
        a0 = np.empty(j_end)
        a1 = np.empty(j_end)
        if not sinc:
            for j in range(j_end):
                i = int(f[j])
                if i >= last:  # the last bin itself
                    i0[j], a0[j], a1[j] = last - 1, 0.0, 1.0
                else:
                    i0[j], a0[j], a1[j] = i, 1.0 - (f[j] - i), f[j] - i
        # pass 2: interpolate the data at ω, line by line
        for member in range(starts[g], starts[g + 1]):
            line = order[member]
            src = spec[line]
            dst = out[line]
            if sinc:
                for j in range(j_end):
                    dst[j] = _lanczos_value(spec, line, mirror[line], f[j], n_time) * complex(fac_re[j], fac_im[j])
            else:  # real and imaginary parts written out: the same products as complex arithmetic
                for j in range(j_end):
                    lo = src[i0[j]]
                    hi = src[i0[j] + 1]
                    re = a0[j] * np.float64(lo.real) + a1[j] * np.float64(hi.real)
                    im = a0[j] * np.float64(lo.imag) + a1[j] * np.float64(hi.imag)
                    dst[j] = complex(re * fac_re[j] - im * fac_im[j], re * fac_im[j] + im * fac_re[j])
            for j in range(j_end, n_omega):
                dst[j] = 0.0
    return out


@numba.njit(cache=True)
def _vertical_slowness_ratio(k, omega, u):
    """``sqrt(1 − (u k / ω)²)``, or −1 where the wave is evanescent (``ω ≤ u k``, k > 0)."""
    if k == 0.0:
        return 1.0
    if omega <= u * k:
        return -1.0
    r = u * k / omega
    return math.sqrt(1.0 - r * r)


@numba.njit(cache=True, parallel=True, fastmath=False)
def phase_shift(spec, k, d_omega, n_time, u, t0, w_init, w_step, same_step):
    """Gazdag phase-shift downward continuation, imaging at every migrated time.

    ``P(τ) = D(k, ω) · exp(−i ω t0) · exp(i ω Σ_l s_l T_l(τ))`` with
    ``s_l = sqrt(1 − (u_l k / ω)²)`` and ``T_l(τ)`` the vertical two-way time
    spent in layer ``l`` above ``τ``; evanescent layers (``ω ≤ u_l k``) kill the
    wave from where it enters them. The image is ``Σ_ω c_ω P(τ)`` with weight
    ``c = ½`` at DC and Nyquist, 1 elsewhere (the caller takes 2·Re after the
    inverse space FFT).

    Parameters
    ----------
    spec : ndarray, shape (n_lines, n_omega), complex64
    k : ndarray, shape (n_lines,), float64
        |horizontal wavenumber| of each line, rad/m.
    d_omega : float
        Angular-frequency step, rad/ns.
    n_time : int
        Padded trace length of the ``rfft``.
    u : ndarray, shape (n_layers,), float64
        Half the interval velocity of each layer, m/ns.
    t0 : float
        Time of the first sample (= first migrated time), ns.
    w_init : ndarray, shape (n_layers,), float64
        ``T_l(t0)``, ns; negative in layer 0 when ``t0 < 0`` (above the surface).
    w_step : ndarray, shape (n_tau - 1, n_layers), float64
        Time each step ``τ_j → τ_{j+1}`` spends in each layer, ns.
    same_step : ndarray, shape (n_tau - 1,), bool
        True where a step's row equals the previous one (its factor is reused).

    Returns
    -------
    ndarray, shape (n_lines, n_tau), complex64
    """
    n_lines, n_omega = spec.shape
    n_layers = u.shape[0]
    n_tau = w_step.shape[0] + 1
    out = np.empty((n_lines, n_tau), dtype=np.complex64)
    nyquist = n_time // 2 if n_time % 2 == 0 else -1
    for line in numba.prange(n_lines):
        acc = np.zeros(n_tau, dtype=np.complex128)
        s = np.empty(n_layers)
        kk = k[line]
        for j in range(n_omega):
            omega = j * d_omega
            for lyr in range(n_layers):
                s[lyr] = _vertical_slowness_ratio(kk, omega, u[lyr])
            weight = 0.5 if (j == 0 or j == nyquist) else 1.0
            ph = -omega * t0
            alive = True
            for lyr in range(n_layers):
                if w_init[lyr] != 0.0:
                    if s[lyr] < 0.0:
                        alive = False
                    ph += omega * s[lyr] * w_init[lyr]
            if not alive:
                continue
            p = complex(spec[line, j]) * weight * complex(math.cos(ph), math.sin(ph))
            factor = 1.0 + 0j
            for i in range(n_tau):
                acc[i] += p
                if i == n_tau - 1:
                    break
                if not same_step[i] or i == 0:
                    ph = 0.0
                    for lyr in range(n_layers):
                        if w_step[i, lyr] != 0.0:
                            if s[lyr] < 0.0:
                                alive = False
                            ph += omega * s[lyr] * w_step[i, lyr]
                    factor = complex(math.cos(ph), math.sin(ph))
                if not alive:
                    break
                p *= factor
        for i in range(n_tau):
            out[line, i] = acc[i]
    return out


@numba.njit(cache=True, parallel=True, fastmath=False)
def sample_at(x, position, shift):
    """Read every trace at fractional sample positions by linear interpolation.

    ``out[t, i] = x[t](position[i] + shift[t])``; positions outside
    ``[0, n_samples − 1]`` read 0.

    Parameters
    ----------
    x : ndarray, shape (n_traces, n_samples), float32
    position : ndarray, shape (n_out,), float64
        Fractional sample index of each output sample (shared by all traces).
    shift : ndarray, shape (n_traces,), float64
        Added to the positions of each trace, samples.

    Returns
    -------
    ndarray, shape (n_traces, n_out), float32
    """
    n_traces, n = x.shape
    n_out = position.shape[0]
    out = np.zeros((n_traces, n_out), dtype=np.float32)
    for t in numba.prange(n_traces):
        for i in range(n_out):
            p = position[i] + shift[t]
            if p < 0.0 or p > n - 1:
                continue
            i0 = int(p)
            if i0 >= n - 1:
                out[t, i] = x[t, n - 1]
            else:
                frac = p - i0
                out[t, i] = (1.0 - frac) * np.float64(x[t, i0]) + frac * np.float64(x[t, i0 + 1])
    return out
