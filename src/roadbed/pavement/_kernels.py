"""Numba kernels of the pavement measurements (ndarrays in, ndarrays out).

Every kernel here has a slow, obvious numpy twin in :mod:`._reference` with
the same signature and result; the tests compare the two on random inputs.

* :func:`bin_points` — points onto a regular grid (lowest / mean / max per cell).
* :func:`local_median_mad` — median and median absolute deviation in a (sampled) square window.
* :func:`upper_envelope` — the taut wire: the upper convex hull of a profile.
* :func:`straightedge_gaps` — gaps under a straightedge resting on a profile.
"""

from __future__ import annotations

import math

import numba
import numpy as np

#: ``statistic`` codes of :func:`bin_points`
LOWEST, MEAN, MAX = 0, 1, 2
STATISTICS = {"lowest": LOWEST, "mean": MEAN, "max": MAX}


# --- rasterising -----------------------------------------------------------------
@numba.njit(parallel=True, cache=True)
def _bin(along, across, z, intensity, a0, da, n_a, c0, dc, n_c, statistic, n_bands):
    n_cells = n_a * n_c
    value = np.full(n_cells, np.nan)
    count = np.zeros(n_cells, dtype=np.int32)
    has_intensity = intensity.size == z.size
    light = np.zeros(n_cells if has_intensity else 0)
    # each thread owns a band of rows and walks all points, so every cell sees its points in order
    # (the sums, hence the means, are those of a serial loop); a point outside the band costs one multiply
    rows = (n_a + n_bands - 1) // n_bands
    inv_da, inv_dc = 1.0 / da, 1.0 / dc
    for b in numba.prange(n_bands):
        lo, hi = b * rows, min(n_a, (b + 1) * rows)
        for p in range(along.size):
            fi = math.floor((along[p] - a0) * inv_da + 0.5)
            if not (fi >= lo and fi < hi):
                continue
            fj = math.floor((across[p] - c0) * inv_dc + 0.5)
            zp = z[p]
            if not (fj >= 0 and fj < n_c) or not math.isfinite(zp):
                continue
            k = np.int64(fi) * n_c + np.int64(fj)
            if count[k] == 0:
                value[k] = zp
            elif statistic == LOWEST:
                if zp < value[k]:
                    value[k] = zp
            elif statistic == MAX:
                if zp > value[k]:
                    value[k] = zp
            else:
                value[k] += zp
            if has_intensity:
                light[k] += intensity[p]
            count[k] += 1
    for k in numba.prange(n_cells):
        if count[k] > 0:
            if statistic == MEAN:
                value[k] /= count[k]
            if has_intensity:
                light[k] /= count[k]
        elif has_intensity:
            light[k] = np.nan
    return value, light, count


def bin_points(along, across, z, intensity, a0, da, n_a, c0, dc, n_c, statistic):
    """Points onto an ``(n_a, n_c)`` grid.

    Parameters
    ----------
    along, across : numpy.ndarray, shape (n,), float64
        Point positions, m.
    z : numpy.ndarray, shape (n,), float64
        Point elevations, mm (non-finite values are skipped).
    intensity : numpy.ndarray, shape (n,) or (0,), float64
        Point intensities (averaged per cell), or an empty array.
    a0, da, c0, dc : float
        Centre of the first cell and the cell size along and across, m.
    n_a, n_c : int
        Grid size.
    statistic : int
        :data:`LOWEST`, :data:`MEAN` or :data:`MAX` of the elevations in a cell.

    Returns
    -------
    elevation : numpy.ndarray, shape (n_a, n_c), float64
        NaN in empty cells.
    intensity : numpy.ndarray, shape (n_a, n_c) or (0, n_c), float64
        Mean intensity (NaN in empty cells), empty without input intensity.
    count : numpy.ndarray, shape (n_a, n_c), int32
        Points per cell.
    """
    n_bands = max(1, min(numba.get_num_threads(), n_a))
    value, light, count = _bin(along, across, z, intensity, a0, da, n_a, c0, dc, n_c, statistic, n_bands)
    return value.reshape(n_a, n_c), light.reshape(-1, n_c), count.reshape(n_a, n_c)


# --- robust local statistics ------------------------------------------------------------
@numba.njit(cache=True)
def _median_of(buf, n):
    """Median of ``buf[:n]`` (sorted in place); the mean of the middle two for even n."""
    for i in range(1, n):  # insertion sort: windows are small
        v = buf[i]
        j = i - 1
        while j >= 0 and buf[j] > v:
            buf[j + 1] = buf[j]
            j -= 1
        buf[j + 1] = v
    h = n // 2
    if n % 2 == 1:
        return buf[h]
    return 0.5 * (buf[h - 1] + buf[h])


@numba.njit(parallel=True, cache=True)
def local_median_mad(grid, radius, stride):
    """Median and median absolute deviation of the finite cells sampled in each window.

    The window around cell (i, j) samples the cells (i + a, j + b) with a, b
    multiples of ``stride`` in −radius … radius, so a wide neighbourhood
    costs only ``(2·radius/stride + 1)²`` values.

    Parameters
    ----------
    grid : numpy.ndarray, shape (n_a, n_c), float64
        NaN marks an empty cell; windows are clipped at the grid's edges.
    radius : int
        Half-width of the window, cells.
    stride : int
        Sampling step within the window, cells (1: every cell).

    Returns
    -------
    median, mad : numpy.ndarray, shape (n_a, n_c), float64
        NaN where the window holds no finite cell.
    """
    n_a, n_c = grid.shape
    half = radius // stride
    width = 2 * half + 1
    median = np.full((n_a, n_c), np.nan)
    mad = np.full((n_a, n_c), np.nan)
    for i in numba.prange(n_a):
        buf = np.empty(width * width)
        for j in range(n_c):
            n = 0
            for a in range(-half, half + 1):
                ii = i + a * stride
                if ii < 0 or ii >= n_a:
                    continue
                for b in range(-half, half + 1):
                    jj = j + b * stride
                    if jj < 0 or jj >= n_c:
                        continue
                    v = grid[ii, jj]
                    if math.isfinite(v):
                        buf[n] = v
                        n += 1
            if n == 0:
                continue
            m = _median_of(buf, n)
            for k in range(n):
                buf[k] = abs(buf[k] - m)
            median[i, j] = m
            mad[i, j] = _median_of(buf, n)
    return median, mad


# --- transverse profiles ----------------------------------------------------------------
@numba.njit(cache=True)
def _hull(x, z, lo, hi, stack):
    """Upper convex hull of points lo..hi (inclusive) into ``stack``; returns its size.

    Andrew's monotone chain; collinear points are dropped, so every edge is maximal.
    """
    m = 0
    for i in range(lo, hi + 1):
        while m >= 2:
            a, b = stack[m - 2], stack[m - 1]
            cross = (x[b] - x[a]) * (z[i] - z[a]) - (z[b] - z[a]) * (x[i] - x[a])
            if cross >= 0.0:  # b lies on or below the chord a–i
                m -= 1
            else:
                break
        stack[m] = i
        m += 1
    return m


@numba.njit(cache=True)
def upper_envelope(x, z):
    """The taut wire over a profile: its upper convex hull at every point.

    Parameters
    ----------
    x : numpy.ndarray, shape (n,), float64
        Strictly increasing positions.
    z : numpy.ndarray, shape (n,), float64
        Finite heights.

    Returns
    -------
    numpy.ndarray, shape (n,), float64
        Height of the hull above each ``x`` (≥ ``z``).
    """
    n = x.size
    out = np.empty(n)
    if n == 0:
        return out
    stack = np.empty(n, dtype=np.int64)
    m = _hull(x, z, 0, n - 1, stack)
    out[stack[0]] = z[stack[0]]
    for e in range(m - 1):
        a, b = stack[e], stack[e + 1]
        slope = (z[b] - z[a]) / (x[b] - x[a])
        for i in range(a, b + 1):
            out[i] = z[a] + slope * (x[i] - x[a])
        out[b] = z[b]
    return out


@numba.njit(cache=True)
def straightedge_gaps(x, z, span, step):
    """Largest gap under a straightedge resting on the profile, at every point.

    The straightedge covers ``span`` sample intervals (points i0 … i0+span)
    and is placed at i0 = 0, step, 2·step … while it fits. Lying under its
    own weight, it rests on the upper hull of the points it covers, on the
    hull edge below its midpoint (the edge to the right where the midpoint
    falls on a hull vertex).

    Parameters
    ----------
    x : numpy.ndarray, shape (n,), float64
        Strictly increasing positions.
    z : numpy.ndarray, shape (n,), float64
        Finite heights.
    span, step : int
        Straightedge length and placement step, in samples (span ≥ 1, step ≥ 1).

    Returns
    -------
    numpy.ndarray, shape (n,), float64
        The largest gap (straightedge minus profile, ≥ 0) over all
        placements covering each point; −inf where no placement covers it.
    """
    n = x.size
    out = np.full(n, -np.inf)
    stack = np.empty(span + 1, dtype=np.int64)
    i0 = 0
    while i0 + span <= n - 1:
        i1 = i0 + span
        m = _hull(x, z, i0, i1, stack)
        xm = 0.5 * (x[i0] + x[i1])
        a, b = stack[m - 2], stack[m - 1]
        for e in range(m - 1):
            if x[stack[e]] <= xm < x[stack[e + 1]]:
                a, b = stack[e], stack[e + 1]
                break
        slope = (z[b] - z[a]) / (x[b] - x[a])
        for i in range(i0, i1 + 1):
            gap = z[a] + slope * (x[i] - x[a]) - z[i]
            if gap > out[i]:
                out[i] = gap
        i0 += step
    return out
