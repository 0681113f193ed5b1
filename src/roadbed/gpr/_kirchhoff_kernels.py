"""Numba kernels of Kirchhoff migration and moveout semblance (twins in ``_kirchhoff_reference``).

Kirchhoff operator
------------------
On a regular grid at a velocity that varies at most with time, the
diffraction traveltime from an image point to a trace depends only on the
size of their grid offset ``(|Δchannel|, |Δtrace|)`` and on the image time.
The operator is therefore a table per offset row ``o`` and image sample ``k``:

``idx[o, k]``
    the data sample just before the diffraction time,
``w0[o, k]``, ``w1[o, k]``
    the weights of samples ``idx`` and ``idx + 1`` (linear interpolation
    times the Kirchhoff amplitude weight), zero where the offset is outside
    the aperture, the angle limit or the anti-aliasing limit,
``k0[o] .. k1[o]``
    the image samples where the row contributes at all.

Each row serves the up to four traces at ``(±Δchannel, ±Δtrace)``, which
share it: one table read feeds four traces. :func:`migrate` (the adjoint,
a gather) and :func:`model` (the forward operator, written as a gather over
data traces so that each parallel worker writes only its own trace) read the
same table, so they are exact adjoints of each other.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import prange


@numba.njit(cache=True, fastmath=False)
def _four(vol, c, x, dc, dx, zero):
    """The traces at (c ∓ dc, x ∓ dx) and how many differ: ``zero`` for a duplicate or one off the grid.

    Returns the traces ordered so that the distinct ones come first: 1 trace
    for (0, 0), 2 for (0, dx) or (dc, 0), 4 otherwise.
    """
    nc, nt = vol.shape[0], vol.shape[1]
    ca, cb, xa, xb = c - dc, c + dc, x - dx, x + dx
    t1 = vol[ca, xa] if ca >= 0 and xa >= 0 else zero
    if dc == 0 and dx == 0:
        return 1, t1, zero, zero, zero
    if dc == 0:
        return 2, t1, vol[ca, xb] if xb < nt else zero, zero, zero
    if dx == 0:
        return 2, t1, vol[cb, xa] if cb < nc else zero, zero, zero
    t2 = vol[ca, xb] if ca >= 0 and xb < nt else zero
    t3 = vol[cb, xa] if cb < nc and xa >= 0 else zero
    t4 = vol[cb, xb] if cb < nc and xb < nt else zero
    return 4, t1, t2, t3, t4


@numba.njit(cache=True, parallel=True, fastmath=False)
def migrate(data, adc, adx, k0, k1, idx, w0, w1):
    """Adjoint Kirchhoff operator: sum data along each image point's diffraction curve.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_traces, n_samples), float32 or float64
    adc, adx : ndarray, shape (n_rows,), int64
        Channel and trace offset sizes (≥ 0) of each table row.
    k0, k1 : ndarray, shape (n_rows,), int64
        Image samples ``k0[o] <= k < k1[o]`` that row ``o`` touches.
    idx : ndarray, shape (n_rows, n_samples), int32
    w0, w1 : ndarray, shape (n_rows, n_samples), same dtype as ``data``

    Returns
    -------
    ndarray, shape (n_channels, n_traces, n_samples)
        The image.
    """
    nc, nt, ns = data.shape
    out = np.zeros_like(data)
    zero = np.zeros(ns, dtype=data.dtype)
    for p in prange(nc * nt):
        c = p // nt
        x = p - c * nt
        acc = out[c, x]
        for o in range(adc.shape[0]):
            n, t1, t2, t3, t4 = _four(data, c, x, adc[o], adx[o], zero)
            ro_i = idx[o]
            ro_0 = w0[o]
            ro_1 = w1[o]
            if n == 4:
                for k in range(k0[o], k1[o]):
                    i = ro_i[k]
                    j = i + 1
                    acc[k] += ro_0[k] * ((t1[i] + t2[i]) + (t3[i] + t4[i])) + ro_1[k] * (
                        (t1[j] + t2[j]) + (t3[j] + t4[j])
                    )
            elif n == 2:
                for k in range(k0[o], k1[o]):
                    i = ro_i[k]
                    acc[k] += ro_0[k] * (t1[i] + t2[i]) + ro_1[k] * (t1[i + 1] + t2[i + 1])
            else:
                for k in range(k0[o], k1[o]):
                    i = ro_i[k]
                    acc[k] += ro_0[k] * t1[i] + ro_1[k] * t1[i + 1]
    return out


@numba.njit(cache=True, parallel=True, fastmath=False)
def model(image, adc, adx, k0, k1, idx, w0, w1):
    """Forward Kirchhoff operator: spread every image point along its diffraction curve.

    Same table as :func:`migrate`; each data trace gathers from the image
    traces at every offset, so the parallel loop has no write conflicts.

    Returns
    -------
    ndarray, shape (n_channels, n_traces, n_samples)
        The modelled data.
    """
    nc, nt, ns = image.shape
    out = np.zeros_like(image)
    zero = np.zeros(ns, dtype=image.dtype)
    for p in prange(nc * nt):
        c = p // nt
        x = p - c * nt
        acc = out[c, x]
        for o in range(adc.shape[0]):
            n, m1, m2, m3, m4 = _four(image, c, x, adc[o], adx[o], zero)
            ro_i = idx[o]
            ro_0 = w0[o]
            ro_1 = w1[o]
            for k in range(k0[o], k1[o]):
                i = ro_i[k]
                if n == 4:
                    a = (m1[k] + m2[k]) + (m3[k] + m4[k])
                elif n == 2:
                    a = m1[k] + m2[k]
                else:
                    a = m1[k]
                acc[i] += ro_0[k] * a
                acc[i + 1] += ro_1[k] * a
    return out


# --- moveout semblance ---------------------------------------------------------------
@numba.njit(cache=True, parallel=True, fastmath=False)
def semblance(data, offsets, velocities, twt0, dt, time_zero, linear, half_window):
    """Semblance of a gather along hyperbolic or linear moveout curves.

    Parameters
    ----------
    data : ndarray, shape (n_traces, n_samples), float64
    offsets : ndarray, shape (n_traces,), float64
        Source–receiver separation of each trace, m.
    velocities : ndarray, shape (n_velocities,), float64
        Trial velocities, m/ns.
    twt0, dt : float
        Time of sample 0 and the sample interval, ns.
    time_zero : float
        Time of zero separation and zero depth in the data's time axis, ns.
    linear : bool
        Linear moveout ``t = t0 + x / v`` (direct waves); else hyperbolic
        ``t = sqrt(t0² + (x / v)²)`` (reflections), both after time zero.
    half_window : int
        Half length of the time window the ratio is summed over, samples.

    Returns
    -------
    semblance : ndarray, shape (n_samples, n_velocities), float64
        Semblance in [0, 1] for each zero-offset time (the data's samples) and velocity.
    stack : ndarray, shape (n_samples, n_velocities), float64
        The mean of the traces along each curve (traces off the record count as zeros).
    """
    nx, ns = data.shape
    nv = velocities.shape[0]
    out = np.zeros((ns, nv))
    stack = np.zeros((ns, nv))
    for iv in prange(nv):
        v = velocities[iv]
        num = np.zeros(ns)
        den = np.zeros(ns)
        for j in range(ns):
            tau = twt0 + j * dt - time_zero
            if not linear and tau < 0.0:
                continue
            total = 0.0
            energy = 0.0
            for i in range(nx):
                if linear:
                    t = tau + offsets[i] / v
                else:
                    t = math.sqrt(tau * tau + (offsets[i] / v) ** 2)
                s = (t + time_zero - twt0) / dt
                if s < 0.0 or s > ns - 1:
                    continue
                lo = min(int(math.floor(s)), ns - 2)
                f = s - lo
                a = (1.0 - f) * data[i, lo] + f * data[i, lo + 1]
                total += a
                energy += a * a
            stack[j, iv] = total / nx
            num[j] = total * total
            den[j] = nx * energy  # traces off the record count as zeros: a few cannot fake coherence
        # window sums from running sums: O(n_samples) whatever the window
        cnum = np.zeros(ns + 1)
        cden = np.zeros(ns + 1)
        for j in range(ns):
            cnum[j + 1] = cnum[j] + num[j]
            cden[j + 1] = cden[j] + den[j]
        for j in range(ns):
            lo = max(0, j - half_window)
            hi = min(ns, j + half_window + 1)
            b = cden[hi] - cden[lo]
            # a window with no energy reads 0, also where running sums leave a rounding residue
            if b > 1e-12 * cden[ns]:
                out[j, iv] = min(max((cnum[hi] - cnum[lo]) / b, 0.0), 1.0)
    return out, stack
