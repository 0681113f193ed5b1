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


@numba.njit(cache=True, fastmath=False)
def _row_segments(k0, k1, idx):
    """Split every table row into runs of image samples read at a constant time shift.

    Along a row the diffraction time grows with the image time, mostly by
    one sample per sample, so ``idx[o, k] − k`` is constant over runs of
    many samples; over a run the curve reads the data contiguously.

    Returns
    -------
    ptr : int64 array, shape (n_rows + 1,)
        Row ``o``'s runs are ``ptr[o] … ptr[o+1] − 1``.
    start, stop, shift : int64 arrays, shape (n_runs,)
        Run ``r`` covers image samples ``start[r] <= k < stop[r]``, which read
        data samples ``k + shift[r]`` and the one after.
    lo, hi : int64 arrays, shape (n_rows,)
        The data samples row ``o`` reads, ``lo[o] <= i < hi[o]``.
    """
    n_rows = k0.shape[0]
    ptr = np.zeros(n_rows + 1, dtype=np.int64)
    for o in range(n_rows):
        count = 0
        for k in range(k0[o], k1[o]):
            if k == k0[o] or idx[o, k] - k != idx[o, k - 1] - (k - 1):
                count += 1
        ptr[o + 1] = ptr[o] + count
    start = np.empty(ptr[n_rows], dtype=np.int64)
    stop = np.empty(ptr[n_rows], dtype=np.int64)
    shift = np.empty(ptr[n_rows], dtype=np.int64)
    lo = np.zeros(n_rows, dtype=np.int64)
    hi = np.zeros(n_rows, dtype=np.int64)
    for o in range(n_rows):
        r = ptr[o] - 1
        for k in range(k0[o], k1[o]):
            d = idx[o, k] - k
            if k == k0[o] or d != shift[r]:
                r += 1
                start[r] = k
                shift[r] = d
            stop[r] = k + 1
        if k1[o] > k0[o]:
            first = idx[o, k0[o]]
            last = first
            for k in range(k0[o], k1[o]):
                first = min(first, idx[o, k])
                last = max(last, idx[o, k])
            lo[o] = first
            hi[o] = last + 2
    return ptr, start, stop, shift, lo, hi


@numba.njit(cache=True, parallel=True, fastmath=False)
def migrate(data, adc, adx, k0, k1, idx, w0, w1, out=None):
    """Adjoint Kirchhoff operator: sum data along each image point's diffraction curve.

    A row serves up to four traces with the same nodes and weights, so
    their sum is formed once over the samples the row reads, and the curve
    then reads that one trace run by run (:func:`_row_segments`), each run
    a contiguous, vectorised loop. The arithmetic per image sample is that of
    reading the four traces at ``idx`` one by one.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_traces, n_samples), float32 or float64
    adc, adx : ndarray, shape (n_rows,), int64
        Channel and trace offset sizes (≥ 0) of each table row.
    k0, k1 : ndarray, shape (n_rows,), int64
        Image samples ``k0[o] <= k < k1[o]`` that row ``o`` touches.
    idx : ndarray, shape (n_rows, n_samples), int32
    w0, w1 : ndarray, shape (n_rows, n_samples), same dtype as ``data``
    out : ndarray, shape and dtype of ``data``, optional
        Overwritten with the image and returned (allocate it with numpy, or
        reuse one: see :mod:`roadbed.gpr._filter_kernels` on fresh pages);
        default a new array.

    Returns
    -------
    ndarray, shape (n_channels, n_traces, n_samples)
        The image.
    """
    nc, nt, ns = data.shape
    if out is None:
        out = np.empty_like(data)
    zero = np.zeros(ns, dtype=data.dtype)
    ptr, start, stop, shift, lo, hi = _row_segments(k0, k1, idx)
    for p in prange(nc * nt):
        c = p // nt
        x = p - c * nt
        acc = out[c, x]
        for k in range(ns):
            acc[k] = 0.0
        summed = np.empty(ns, dtype=data.dtype)
        for o in range(adc.shape[0]):
            n, t1, t2, t3, t4 = _four(data, c, x, adc[o], adx[o], zero)
            if n == 4:
                for i in range(lo[o], hi[o]):
                    summed[i] = (t1[i] + t2[i]) + (t3[i] + t4[i])
                trace = summed
            elif n == 2:
                for i in range(lo[o], hi[o]):
                    summed[i] = t1[i] + t2[i]
                trace = summed
            else:
                trace = t1
            for r in range(ptr[o], ptr[o + 1]):
                ka, kb, d = start[r], stop[r], shift[r]
                run = acc[ka:kb]  # zero-based views: contiguous and vectorised
                a0 = w0[o, ka:kb]
                a1 = w1[o, ka:kb]
                s0 = trace[ka + d : kb + d]
                s1 = trace[ka + d + 1 : kb + d + 1]
                for m in range(kb - ka):
                    run[m] += a0[m] * s0[m] + a1[m] * s1[m]
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
        # window sums summed directly (the window is a period or so): differences of running sums
        # would cancel where a quiet window follows strong samples
        total_den = 0.0
        for j in range(ns):
            total_den += den[j]
        for j in range(ns):
            a = 0.0
            b = 0.0
            for m in range(max(0, j - half_window), min(ns, j + half_window + 1)):
                a += num[m]
                b += den[m]
            # a window with no energy reads 0
            if b > 1e-12 * total_den:
                out[j, iv] = min(max(a / b, 0.0), 1.0)
    return out, stack
