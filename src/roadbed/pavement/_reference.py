"""Slow, obvious numpy twins of :mod:`._kernels`, for tests and ``engine="numpy"``.

Each function takes the same arrays as its kernel and returns the same
result, computed from the definition rather than a clever algorithm (the
hull twins try every chord), so they are for small inputs only.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import _kernels as k


def _cell_index(along, across, a0, da, n_a, c0, dc, n_c):
    """Flat cell index of each point, −1 outside the grid."""
    with np.errstate(invalid="ignore"):
        fi = np.floor((along - a0) * (1.0 / da) + 0.5)
        fj = np.floor((across - c0) * (1.0 / dc) + 0.5)
        inside = (fi >= 0) & (fi < n_a) & (fj >= 0) & (fj < n_c)
    i = np.where(inside, fi, 0).astype(np.int64)
    j = np.where(inside, fj, 0).astype(np.int64)
    return np.where(inside, i * n_c + j, -1)


def bin_points(along, across, z, intensity, a0, da, n_a, c0, dc, n_c, statistic):
    index = _cell_index(along, across, a0, da, n_a, c0, dc, n_c)
    keep = (index >= 0) & np.isfinite(z)
    idx, zk = index[keep], z[keep]
    n_cells = n_a * n_c
    count = np.bincount(idx, minlength=n_cells).astype(np.int32)
    if statistic == k.LOWEST:
        value = np.full(n_cells, np.inf)
        np.minimum.at(value, idx, zk)
    elif statistic == k.MAX:
        value = np.full(n_cells, -np.inf)
        np.maximum.at(value, idx, zk)
    else:
        value = np.zeros(n_cells)
        np.add.at(value, idx, zk)
        value = value / np.maximum(count, 1)
    value = np.where(count > 0, value, np.nan)
    if intensity.size == z.size:
        light = np.zeros(n_cells)
        np.add.at(light, idx, intensity[keep])
        light = np.where(count > 0, light / np.maximum(count, 1), np.nan)
    else:
        light = np.zeros(0)
    return value.reshape(n_a, n_c), light.reshape(-1, n_c), count.reshape(n_a, n_c)


def local_median_mad(grid, radius, stride):
    half = int(radius) // int(stride)
    reach = half * int(stride)
    padded = np.pad(grid, reach, mode="constant", constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (2 * reach + 1, 2 * reach + 1))
    windows = windows[..., :: int(stride), :: int(stride)].reshape(*grid.shape, -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows give NaN, as the kernel does
        median = np.nanmedian(windows, axis=-1)
        mad = np.nanmedian(np.abs(windows - median[..., None]), axis=-1)
    return median, mad


def _chords(x, z, lo, hi):
    """Every chord (a, b), a < b, of points lo..hi with no point of that range above it."""
    idx = np.arange(lo, hi + 1)
    a, b = np.meshgrid(idx, idx, indexing="ij")
    a, b = a[a < b], b[a < b]
    slope = (z[b] - z[a]) / (x[b] - x[a])
    line = z[a][:, None] + slope[:, None] * (x[idx][None, :] - x[a][:, None])
    scale = 1e-9 * (1.0 + np.abs(z[idx]).max())
    supporting = np.all(z[idx][None, :] <= line + scale, axis=1)
    return a[supporting], b[supporting], slope[supporting]


def upper_envelope(x, z):
    n = x.size
    if n == 1:
        return z.copy()
    a, b, slope = _chords(x, z, 0, n - 1)
    # the hull at x_i: the lowest supporting line over it (every supporting line lies on or above the hull)
    values = z[a][:, None] + slope[:, None] * (x[None, :] - x[a][:, None])
    return np.maximum(values.min(axis=0), z)


def straightedge_gaps(x, z, span, step):
    n = x.size
    out = np.full(n, -np.inf)
    for i0 in range(0, n - span, step):
        i1 = i0 + span
        xm = 0.5 * (x[i0] + x[i1])
        a, b, slope = _chords(x, z, i0, i1)
        over = (x[a] <= xm) & (xm < x[b])
        if not over.any():  # the midpoint is the last point: only when span is 0
            continue
        # supporting chords over the midpoint all lie on the hull edge there; take the one of them
        # that is lowest at the midpoint, and of equals the one with the largest slope (edge to the right)
        line_mid = z[a] + slope * (xm - x[a])
        cand = np.flatnonzero(over)
        best = cand[np.lexsort((-slope[cand], line_mid[cand]))[0]]
        idx = np.arange(i0, i1 + 1)
        gap = z[a[best]] + slope[best] * (x[idx] - x[a[best]]) - z[idx]
        out[idx] = np.maximum(out[idx], gap)
    return out
