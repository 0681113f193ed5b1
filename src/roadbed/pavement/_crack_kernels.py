"""Numba kernels of crack detection and measurement (ndarrays in, ndarrays out).

Every kernel here has a slow, obvious numpy/scipy twin in
:mod:`._crack_reference` with the same signature and result; the tests
compare the two on random inputs.

* :func:`running_extremum` — moving maximum or minimum along one axis
  (van Herk / Gil–Werman, three comparisons per cell whatever the window);
  :func:`closing` composes four of them.
* :func:`box_sum` — sum over a rectangular window, clipped at the edges.
* :func:`crack_cells` — scan cells deeper and darker than the local
  uncracked surface (two passes of windowed sums, fused).
* :func:`line_extrema` — largest and smallest mean along short straight
  lines through each pixel, over a set of orientations.
* :func:`path_length` — length of the longest 8-connected path through each
  foreground pixel within any of the four 90° direction cones (the binary
  path opening of Talbot & Appleton).
* :func:`thin` — Zhang–Suen thinning of a binary mask to its centreline.
* :func:`edge_distance` — crack width at centreline pixels, from the
  distance to the nearest background cell.
* :func:`trace_branches` — the centreline as a graph: branch pixel chains
  between end points and junctions.
* :func:`simplify_polyline` — Douglas–Peucker vertex selection.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# --- moving extrema and sums --------------------------------------------------------


@numba.njit(inline="always")
def _better(a, b, is_max):
    if is_max:
        return a if a >= b else b
    return a if a <= b else b


@numba.njit(inline="always")
def _window(h, g, lo, hi, k, is_max):
    # extremum over [lo, hi] (at most k cells) from the block-wise prefix g and suffix h
    if lo // k != hi // k:
        return _better(h[lo], g[hi], is_max)
    if lo % k == 0:  # a window clipped at the start, inside one block
        return g[hi]
    return h[lo]  # … or clipped at the end, inside the last block


@numba.njit(parallel=True, cache=True)
def _extremum_rows(x, half, is_max):
    n_r, n = x.shape
    out = np.empty_like(x)
    k = 2 * half + 1
    chunk = 16
    for b in numba.prange((n_r + chunk - 1) // chunk):
        g = np.empty(n, x.dtype)
        h = np.empty(n, x.dtype)
        for r in range(b * chunk, min(n_r, (b + 1) * chunk)):
            for b0 in range(0, n, k):
                b1 = min(b0 + k, n)
                acc = x[r, b0]
                g[b0] = acc
                for i in range(b0 + 1, b1):
                    acc = _better(acc, x[r, i], is_max)
                    g[i] = acc
                acc = x[r, b1 - 1]
                h[b1 - 1] = acc
                for i in range(b1 - 2, b0 - 1, -1):
                    acc = _better(acc, x[r, i], is_max)
                    h[i] = acc
            inner0 = min(half, n)
            inner1 = max(n - half, inner0)
            for i in range(inner0):
                out[r, i] = _window(h, g, max(i - half, 0), min(i + half, n - 1), k, is_max)
            for i in range(inner0, inner1):  # full windows: k cells, so h and g cover it exactly
                out[r, i] = _better(h[i - half], g[i + half], is_max)
            for i in range(inner1, n):
                out[r, i] = _window(h, g, max(i - half, 0), min(i + half, n - 1), k, is_max)
    return out


@numba.njit(parallel=True, cache=True)
def _extremum_cols(x, half, is_max):
    # whole rows are the unit of work, so memory is read in order; threads share out bands of columns
    n, n_c = x.shape
    out = np.empty_like(x)
    k = 2 * half + 1
    band = 256
    n_bands = (n_c + band - 1) // band
    for b in numba.prange(n_bands):
        c0 = b * band
        c1 = min(n_c, c0 + band)
        w = c1 - c0
        g = np.empty((n, w), x.dtype)
        h = np.empty((n, w), x.dtype)
        for b0 in range(0, n, k):
            b1 = min(b0 + k, n)
            for j in range(w):
                g[b0, j] = x[b0, c0 + j]
            for i in range(b0 + 1, b1):
                for j in range(w):
                    g[i, j] = _better(g[i - 1, j], x[i, c0 + j], is_max)
            for j in range(w):
                h[b1 - 1, j] = x[b1 - 1, c0 + j]
            for i in range(b1 - 2, b0 - 1, -1):
                for j in range(w):
                    h[i, j] = _better(h[i + 1, j], x[i, c0 + j], is_max)
        for i in range(n):
            lo = max(i - half, 0)
            hi = min(i + half, n - 1)
            if lo // k != hi // k or (i >= half and i + half <= n - 1):
                for j in range(w):
                    out[i, c0 + j] = _better(h[lo, j], g[hi, j], is_max)
            elif lo % k == 0:
                for j in range(w):
                    out[i, c0 + j] = g[hi, j]
            else:
                for j in range(w):
                    out[i, c0 + j] = h[lo, j]
    return out


def running_extremum(x, half: int, axis: int, is_max: bool):
    """Moving maximum (or minimum) over ``2·half + 1`` cells along ``axis``.

    The window is clipped at the array's ends (the same as reflecting the
    array there, for an extremum).

    Parameters
    ----------
    x : numpy.ndarray, shape (n_rows, n_cols), float32 or float64
    half : int
        Half-width of the window, cells (≥ 0).
    axis : {0, 1}
    is_max : bool

    Returns
    -------
    numpy.ndarray, same shape and dtype
    """
    x = np.ascontiguousarray(x)
    if half <= 0 or x.size == 0:
        return x.copy()
    return _extremum_rows(x, int(half), bool(is_max)) if axis == 1 else _extremum_cols(x, int(half), bool(is_max))


def closing(x, half_rows: int, half_cols: int):
    """Grey closing (dilation then erosion) with a flat ``(2·half_rows+1) × (2·half_cols+1)`` rectangle.

    Fills every dark slot narrower than the rectangle up to the level of its
    rims; a plane (any slope) is left unchanged.
    """
    y = running_extremum(x, half_cols, 1, True)
    y = running_extremum(y, half_rows, 0, True)
    y = running_extremum(y, half_cols, 1, False)
    return running_extremum(y, half_rows, 0, False)


@numba.njit(parallel=True, cache=True)
def _row_sums(x, half):
    n, n_c = x.shape
    out = np.empty((n, n_c), np.float64)
    for r in numba.prange(n):
        acc = 0.0
        for j in range(min(half, n_c)):
            acc += x[r, j]
        for j in range(n_c):
            if j + half < n_c:
                acc += x[r, j + half]
            out[r, j] = acc
            if j - half >= 0:
                acc -= x[r, j - half]
    return out


@numba.njit(parallel=True, cache=True)
def _col_sums(rows, half):
    n, n_c = rows.shape
    out = np.empty((n, n_c), np.float64)
    band = 256
    for b in numba.prange((n_c + band - 1) // band):
        c0 = b * band
        c1 = min(n_c, c0 + band)
        acc = np.zeros(c1 - c0, np.float64)
        for i in range(min(half, n)):
            for j in range(c0, c1):
                acc[j - c0] += rows[i, j]
        for i in range(n):
            if i + half < n:
                for j in range(c0, c1):
                    acc[j - c0] += rows[i + half, j]
            for j in range(c0, c1):
                out[i, j] = acc[j - c0]
            if i - half >= 0:
                for j in range(c0, c1):
                    acc[j - c0] -= rows[i - half, j]
    return out


def box_sum(x, half_rows: int, half_cols: int):
    """Sum of ``x`` over the ``(2·half_rows+1) × (2·half_cols+1)`` window round each cell, clipped at the edges.

    Parameters
    ----------
    x : numpy.ndarray, shape (n_rows, n_cols)

    Returns
    -------
    numpy.ndarray, same shape, float64
    """
    x = np.ascontiguousarray(x)
    return _col_sums(_row_sums(x, int(max(half_cols, 0))), int(max(half_rows, 0)))


# --- crack cells of a laser scan ---------------------------------------------------------


@numba.njit(parallel=True, cache=True)
def _surface_row_sums(elevation, closed, intensity, depth_threshold, half):
    # per row: windowed sums of elevation, weight and intensity over the uncracked ("surface") cells
    n, n_c = elevation.shape
    has_i = intensity.shape[0] == n
    sums = np.empty((3, n, n_c), np.float32)
    for r in numba.prange(n):
        e = np.zeros(n_c, np.float64)
        w = np.zeros(n_c, np.float64)
        v = np.zeros(n_c, np.float64)
        for j in range(n_c):
            z = elevation[r, j]
            if math.isfinite(z) and closed[r, j] - z <= depth_threshold:
                e[j] = z
                w[j] = 1.0
                if has_i and math.isfinite(intensity[r, j]):
                    v[j] = intensity[r, j]
                elif has_i:
                    w[j] = 0.0
                    e[j] = 0.0
        se = 0.0
        sw = 0.0
        sv = 0.0
        for j in range(min(half, n_c)):
            se += e[j]
            sw += w[j]
            sv += v[j]
        for j in range(n_c):
            if j + half < n_c:
                se += e[j + half]
                sw += w[j + half]
                sv += v[j + half]
            sums[0, r, j] = se
            sums[1, r, j] = sw
            sums[2, r, j] = sv
            if j - half >= 0:
                se -= e[j - half]
                sw -= w[j - half]
                sv -= v[j - half]
    return sums


@numba.njit(parallel=True, cache=True)
def _crack_cells(elevation, intensity, sums, depth_threshold, dark_ratio, half):
    n, n_c = elevation.shape
    has_i = intensity.shape[0] == n
    mask = np.zeros((n, n_c), np.bool_)
    band = 256
    for b in numba.prange((n_c + band - 1) // band):
        c0 = b * band
        c1 = min(n_c, c0 + band)
        w = c1 - c0
        acc = np.zeros((3, w), np.float64)
        for i in range(min(half, n)):
            for q in range(3):
                for j in range(w):
                    acc[q, j] += sums[q, i, c0 + j]
        for i in range(n):
            if i + half < n:
                for q in range(3):
                    for j in range(w):
                        acc[q, j] += sums[q, i + half, c0 + j]
            for j in range(w):
                z = elevation[i, c0 + j]
                weight = acc[1, j]
                if weight > 0.5 and math.isfinite(z) and acc[0, j] / weight - z > depth_threshold:
                    if has_i:
                        light = intensity[i, c0 + j]
                        mask[i, c0 + j] = not (light >= dark_ratio * acc[2, j] / weight)
                    else:
                        mask[i, c0 + j] = True
            if i - half >= 0:
                for q in range(3):
                    for j in range(w):
                        acc[q, j] -= sums[q, i - half, c0 + j]
    return mask


def crack_cells(elevation, closed, intensity, depth_threshold, dark_ratio, half_rows, half_cols):
    """Cells deeper than ``depth_threshold`` below, and darker than ``dark_ratio`` times, the local surface.

    The local surface is the mean over the ``(2·half_rows+1) × (2·half_cols+1)``
    window (clipped at the edges) of the cells whose depth below the
    ``closed`` elevation is at most ``depth_threshold`` (and whose intensity
    is finite, where intensity is given).

    Parameters
    ----------
    elevation : numpy.ndarray, shape (n_rows, n_cols), float32
        Elevation, mm (NaN where missing: never a crack, never surface).
    closed : numpy.ndarray, same shape, float32
        Grey closing of the elevation, mm.
    intensity : numpy.ndarray, same shape, float32, or shape (0, 0)
        Intensity (NaN where missing: not darker), or an empty array for none.
    depth_threshold : float
        mm.
    dark_ratio : float
    half_rows, half_cols : int
        Window half-sizes, cells.

    Returns
    -------
    numpy.ndarray, same shape, bool
    """
    elevation = np.ascontiguousarray(elevation, dtype=np.float32)
    closed = np.ascontiguousarray(closed, dtype=np.float32)
    intensity = np.ascontiguousarray(intensity, dtype=np.float32)
    sums = _surface_row_sums(elevation, closed, intensity, float(depth_threshold), int(half_cols))
    return _crack_cells(elevation, intensity, sums, float(depth_threshold), float(dark_ratio), int(half_rows))


# --- oriented line means and path openings (photograph features) ------------------------------


def line_offsets(length: int, n_orientations: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel offsets of centred digital straight lines at evenly spaced orientations.

    Parameters
    ----------
    length : int
        Length of each line, pixels (odd).
    n_orientations : int
        Orientations ``k·180°/n``, k = 0 … n−1, measured from the column axis.

    Returns
    -------
    offsets : numpy.ndarray, shape (n_orientations, max_count, 2), int64
        (row, col) offsets of each line's pixels; unused slots are 0.
    counts : numpy.ndarray, shape (n_orientations,), int64
        Number of pixels of each line.
    """
    c = length // 2
    lines = []
    for t in np.arange(n_orientations) * np.pi / n_orientations:
        s = np.linspace(-c, c, 4 * length + 1)
        pts = sorted({(int(round(v * math.sin(t))), int(round(v * math.cos(t)))) for v in s})
        lines.append(pts)
    width = max(len(p) for p in lines)
    offsets = np.zeros((n_orientations, width, 2), np.int64)
    counts = np.zeros(n_orientations, np.int64)
    for k, pts in enumerate(lines):
        offsets[k, : len(pts)] = pts
        counts[k] = len(pts)
    return offsets, counts


@numba.njit(parallel=True, cache=True)
def _line_extrema(padded, pad, n, n_c, offsets, counts):
    high = np.empty((n, n_c), np.float32)
    low = np.empty((n, n_c), np.float32)
    # one parallel region: each thread takes whole rows and every orientation of them
    for r in numba.prange(n):
        acc = np.empty(n_c, np.float32)
        hi = np.full(n_c, -np.inf, np.float32)
        lo = np.full(n_c, np.inf, np.float32)
        for k in range(offsets.shape[0]):
            acc[:] = 0.0
            for j in range(counts[k]):
                rr = r + pad + offsets[k, j, 0]
                dc = pad + offsets[k, j, 1]
                for c in range(n_c):
                    acc[c] += padded[rr, c + dc]
            inv = np.float32(1.0 / counts[k])
            for c in range(n_c):
                v = acc[c] * inv
                if v > hi[c]:
                    hi[c] = v
                if v < lo[c]:
                    lo[c] = v
        high[r] = hi
        low[r] = lo
    return high, low


def line_extrema(image, offsets, counts):
    """Largest and smallest mean of ``image`` along each line through each pixel.

    Parameters
    ----------
    image : numpy.ndarray, shape (n_rows, n_cols), float32
    offsets, counts : from :func:`line_offsets`

    Returns
    -------
    high, low : numpy.ndarray, shape (n_rows, n_cols), float32
        Maximum and minimum over orientations of the line means; the image
        is mirrored at its edges (half-sample symmetric, scipy's "reflect").
    """
    image = np.asarray(image, np.float32)
    pad = int(np.abs(offsets).max()) if offsets.size else 0
    padded = np.pad(image, pad, mode="symmetric")
    return _line_extrema(padded, pad, image.shape[0], image.shape[1], offsets, counts)


@numba.njit(cache=True)
def _cone(mask, best, a, b, cone):
    # forward (a) and backward (b) longest-path lengths within one cone; best keeps the maximum of a + b − 1
    n, n_c = mask.shape
    a[:] = 0
    b[:] = 0
    if cone == 0:  # down the rows: predecessors in the row above, columns c−1 … c+1
        for r in range(n):
            for c in range(n_c):
                if mask[r, c]:
                    m = 0
                    if r > 0:
                        for cc in range(max(c - 1, 0), min(c + 2, n_c)):
                            m = max(m, a[r - 1, cc])
                    a[r, c] = m + 1
        for r in range(n - 1, -1, -1):
            for c in range(n_c):
                if mask[r, c]:
                    m = 0
                    if r < n - 1:
                        for cc in range(max(c - 1, 0), min(c + 2, n_c)):
                            m = max(m, b[r + 1, cc])
                    b[r, c] = m + 1
    elif cone == 1:  # along the columns
        for c in range(n_c):
            for r in range(n):
                if mask[r, c]:
                    m = 0
                    if c > 0:
                        for rr in range(max(r - 1, 0), min(r + 2, n)):
                            m = max(m, a[rr, c - 1])
                    a[r, c] = m + 1
        for c in range(n_c - 1, -1, -1):
            for r in range(n):
                if mask[r, c]:
                    m = 0
                    if c < n_c - 1:
                        for rr in range(max(r - 1, 0), min(r + 2, n)):
                            m = max(m, b[rr, c + 1])
                    b[r, c] = m + 1
    elif cone == 2:  # the diagonal: predecessors above, left, above-left
        for r in range(n):
            for c in range(n_c):
                if mask[r, c]:
                    m = 0
                    if r > 0:
                        m = max(m, a[r - 1, c])
                    if c > 0:
                        m = max(m, a[r, c - 1])
                    if r > 0 and c > 0:
                        m = max(m, a[r - 1, c - 1])
                    a[r, c] = m + 1
        for r in range(n - 1, -1, -1):
            for c in range(n_c - 1, -1, -1):
                if mask[r, c]:
                    m = 0
                    if r < n - 1:
                        m = max(m, b[r + 1, c])
                    if c < n_c - 1:
                        m = max(m, b[r, c + 1])
                    if r < n - 1 and c < n_c - 1:
                        m = max(m, b[r + 1, c + 1])
                    b[r, c] = m + 1
    else:  # the anti-diagonal: predecessors above, right, above-right
        for r in range(n):
            for c in range(n_c - 1, -1, -1):
                if mask[r, c]:
                    m = 0
                    if r > 0:
                        m = max(m, a[r - 1, c])
                    if c < n_c - 1:
                        m = max(m, a[r, c + 1])
                    if r > 0 and c < n_c - 1:
                        m = max(m, a[r - 1, c + 1])
                    a[r, c] = m + 1
        for r in range(n - 1, -1, -1):
            for c in range(n_c):
                if mask[r, c]:
                    m = 0
                    if r < n - 1:
                        m = max(m, b[r + 1, c])
                    if c > 0:
                        m = max(m, b[r, c - 1])
                    if r < n - 1 and c > 0:
                        m = max(m, b[r + 1, c - 1])
                    b[r, c] = m + 1
    for r in range(n):
        for c in range(n_c):
            if mask[r, c]:
                best[r, c] = max(best[r, c], a[r, c] + b[r, c] - 1)


@numba.njit(parallel=True, cache=True)
def path_length(mask):
    """Longest path through each foreground pixel, pixels (0 on the background).

    A path steps from a pixel to one of its three neighbours inside one of
    four 90° cones (down the rows, along the columns, and the two diagonals);
    the result is the maximum over the cones of the number of pixels of the
    longest such path through the pixel.

    Parameters
    ----------
    mask : numpy.ndarray, shape (n_rows, n_cols), bool

    Returns
    -------
    numpy.ndarray, same shape, int32
    """
    n, n_c = mask.shape
    per_cone = np.zeros((4, n, n_c), np.int32)
    for cone in numba.prange(4):
        a = np.zeros((n, n_c), np.int32)
        b = np.zeros((n, n_c), np.int32)
        _cone(mask, per_cone[cone], a, b, cone)
    out = np.zeros((n, n_c), np.int32)
    for r in range(n):
        for c in range(n_c):
            v = per_cone[0, r, c]
            for k in range(1, 4):
                v = max(v, per_cone[k, r, c])
            out[r, c] = v
    return out


# --- centreline -------------------------------------------------------------------------------
# neighbour order P2 … P9 of Zhang & Suen: N, NE, E, SE, S, SW, W, NW
_DR = np.array([-1, -1, 0, 1, 1, 1, 0, -1], np.int64)
_DC = np.array([0, 1, 1, 1, 0, -1, -1, -1], np.int64)


@numba.njit(cache=True)
def _removable(img, r, c, step):
    p = np.empty(8, np.uint8)
    for k in range(8):
        p[k] = img[r + _DR[k], c + _DC[k]]
    b = 0
    a = 0
    for k in range(8):
        b += p[k]
        if p[k] == 0 and p[(k + 1) % 8] == 1:
            a += 1
    if b < 2 or b > 6 or a != 1:
        return False
    # p[0]=P2 (N), p[2]=P4 (E), p[4]=P6 (S), p[6]=P8 (W)
    if step == 0:
        return p[0] * p[2] * p[4] == 0 and p[2] * p[4] * p[6] == 0
    return p[0] * p[2] * p[6] == 0 and p[0] * p[4] * p[6] == 0


@numba.njit(cache=True)
def thin(mask):
    """Zhang–Suen thinning: the one-pixel-wide centreline of a binary mask.

    Only foreground pixels are visited, so the cost grows with the crack
    area, not the image. Pixels on the array's border are treated as having
    background outside.

    Parameters
    ----------
    mask : numpy.ndarray, shape (n_rows, n_cols), bool

    Returns
    -------
    numpy.ndarray, same shape, bool
    """
    n, n_c = mask.shape
    img = np.zeros((n + 2, n_c + 2), np.uint8)
    count = 0
    for r in range(n):
        for c in range(n_c):
            if mask[r, c]:
                img[r + 1, c + 1] = 1
                count += 1
    rows = np.empty(count, np.int64)
    cols = np.empty(count, np.int64)
    k = 0
    for r in range(n):
        for c in range(n_c):
            if mask[r, c]:
                rows[k] = r + 1
                cols[k] = c + 1
                k += 1
    alive = count
    drop = np.zeros(count, np.bool_)
    changed = True
    while changed:
        changed = False
        for step in range(2):
            for i in range(alive):
                drop[i] = _removable(img, rows[i], cols[i], step)
            kept = 0
            for i in range(alive):
                if drop[i]:
                    img[rows[i], cols[i]] = 0
                    changed = True
                else:
                    rows[kept] = rows[i]
                    cols[kept] = cols[i]
                    kept += 1
            alive = kept
    out = np.zeros((n, n_c), np.bool_)
    for i in range(alive):
        out[rows[i] - 1, cols[i] - 1] = True
    return out


@numba.njit(cache=True)
def _nearest_background(mask, r0, c0, spacing_rows, spacing_cols, max_radius, ur, uc, opposite):
    """Distance (mm) and offset (mm) of the nearest background cell; ties go to the lowest row, then column.

    With ``opposite`` only cells on the far side of the direction (ur, uc)
    count: ``(dr, dc)·(ur, uc) < 0``.
    """
    n, n_c = mask.shape
    rad = 1.0
    while True:
        hr = int(math.ceil(rad / spacing_rows))
        hc = int(math.ceil(rad / spacing_cols))
        best = np.inf
        bdr = 0.0
        bdc = 0.0
        for r in range(max(r0 - hr, 0), min(r0 + hr + 1, n)):
            dr = (r - r0) * spacing_rows
            for c in range(max(c0 - hc, 0), min(c0 + hc + 1, n_c)):
                if not mask[r, c]:
                    dc = (c - c0) * spacing_cols
                    if opposite and dr * ur + dc * uc >= 0.0:
                        continue
                    d = math.sqrt(dr * dr + dc * dc)
                    if d < best:
                        best = d
                        bdr = dr
                        bdc = dc
        # every cell outside the box lies more than `rad` mm away
        if best <= rad or rad >= max_radius:
            return best, bdr, bdc
        rad = min(2.0 * rad, max_radius)


@numba.njit(parallel=True, cache=True)
def edge_distance(mask, rows, cols, spacing_rows, spacing_cols, max_radius):
    """Crack width through centreline pixels, edge to edge: ``d₁ + d₂ − s``.

    ``d₁`` is the distance from the pixel's centre to the nearest
    background (non-crack) cell's centre (the distance transform, DT),
    ``d₂`` the same on the opposite side (cells ``q`` with
    ``(q − p)·(q₁ − p) < 0``), and ``s`` the grid spacing along the main
    axis of ``q₁ − p``: each edge lies half a cell before its background
    cell. Where the centreline pixel sits in the middle this is
    ``2·DT − 1 px``; unlike that it is exact for cracks an even number of
    cells wide, whose centreline can only sit half a cell off the middle.
    Where no opposite cell lies within ``max_radius``, ``2·d₁ − s``.

    Parameters
    ----------
    mask : numpy.ndarray, shape (n_rows, n_cols), bool
        Crack mask; cells outside the array are not background.
    rows, cols : numpy.ndarray, shape (n,), int64
        Centreline pixels.
    spacing_rows, spacing_cols : float
        Grid spacings, mm.
    max_radius : float
        Search no further than this, mm; a pixel with no background cell
        within it gets NaN.

    Returns
    -------
    numpy.ndarray, shape (n,), float64
        Width, mm.
    """
    out = np.full(rows.size, np.nan)
    for i in numba.prange(rows.size):
        d1, dr, dc = _nearest_background(mask, rows[i], cols[i], spacing_rows, spacing_cols, max_radius,
                                         0.0, 0.0, False)  # fmt: skip
        if d1 > max_radius:
            continue
        s = spacing_rows if abs(dr) > abs(dc) else spacing_cols
        d2, _, _ = _nearest_background(mask, rows[i], cols[i], spacing_rows, spacing_cols, max_radius, dr, dc, True)
        out[i] = d1 + d2 - s if d2 <= max_radius else 2.0 * d1 - s
    return out


# --- centreline graph ---------------------------------------------------------------------


@numba.njit(cache=True)
def _linked(skel, r, c, rr, cc):
    # m-adjacency: a diagonal step counts only where no 4-neighbour path joins the two pixels
    if rr == r or cc == c:
        return True
    return not (skel[r, cc] or skel[rr, c])


@numba.njit(cache=True)
def neighbour_count(skel):
    """Number of m-adjacent centreline neighbours of each centreline pixel (0 elsewhere).

    Parameters
    ----------
    skel : numpy.ndarray, shape (n_rows, n_cols), bool

    Returns
    -------
    numpy.ndarray, same shape, int8
    """
    n, n_c = skel.shape
    out = np.zeros((n, n_c), np.int8)
    for r in range(n):
        for c in range(n_c):
            if skel[r, c]:
                k = 0
                for d in range(8):
                    rr = r + _DR[d]
                    cc = c + _DC[d]
                    if 0 <= rr < n and 0 <= cc < n_c and skel[rr, cc] and _linked(skel, r, c, rr, cc):
                        k += 1
                out[r, c] = k
    return out


@numba.njit(cache=True)
def trace_branches(skel):
    """Split a centreline into branches between nodes.

    Nodes are centreline pixels with other than two m-adjacent neighbours:
    end points (one) and junctions (three or more). Each branch is the chain
    of pixels from a node to the next node, both included; a closed loop
    with no node is one branch that starts and ends on the same pixel.

    Parameters
    ----------
    skel : numpy.ndarray, shape (n_rows, n_cols), bool

    Returns
    -------
    pixels : numpy.ndarray, shape (n_pixels, 2), int64
        (row, col) of the branches' pixels, branch after branch.
    starts : numpy.ndarray, shape (n_branches + 1,), int64
        Branch ``i`` is ``pixels[starts[i]:starts[i + 1]]``.
    degree : numpy.ndarray, shape (n_rows, n_cols), int8
        :func:`neighbour_count` of ``skel``.
    """
    n, n_c = skel.shape
    degree = neighbour_count(skel)
    # an edge (pixel → neighbour) is walked once; mark it from the pixel's side by direction bit
    used = np.zeros((n, n_c), np.uint8)
    total = 0
    for r in range(n):
        for c in range(n_c):
            if skel[r, c]:
                total += 1
    where = np.empty((total, 2), np.int64)
    k = 0
    for r in range(n):
        for c in range(n_c):
            if skel[r, c]:
                where[k, 0] = r
                where[k, 1] = c
                k += 1
    pixels = np.empty((2 * total + 16, 2), np.int64)
    starts = np.zeros(total + 2, np.int64)
    n_branches = 0
    m = 0
    for pass_ in range(2):  # first from nodes, then the node-free loops
        for q in range(total):
            r0 = where[q, 0]
            c0 = where[q, 1]
            if pass_ == 0 and degree[r0, c0] == 2:
                continue
            if pass_ == 1 and (degree[r0, c0] != 2 or used[r0, c0] != 0):
                continue
            if pass_ == 0 and degree[r0, c0] == 0:
                pixels[m, 0] = r0
                pixels[m, 1] = c0
                m += 1
                n_branches += 1
                starts[n_branches] = m
                continue
            for d0 in range(8):
                rr = r0 + _DR[d0]
                cc = c0 + _DC[d0]
                if not (0 <= rr < n and 0 <= cc < n_c and skel[rr, cc] and _linked(skel, r0, c0, rr, cc)):
                    continue
                if used[r0, c0] & (1 << d0):
                    continue
                # walk
                if m + 2 > pixels.shape[0]:
                    grown = np.empty((2 * pixels.shape[0], 2), np.int64)
                    grown[:m] = pixels[:m]
                    pixels = grown
                pixels[m, 0] = r0
                pixels[m, 1] = c0
                m += 1
                used[r0, c0] |= 1 << d0
                pr, pc = r0, c0
                r, c, d_in = rr, cc, d0
                while True:
                    used[r, c] |= 1 << ((d_in + 4) % 8)
                    if m + 2 > pixels.shape[0]:
                        grown = np.empty((2 * pixels.shape[0], 2), np.int64)
                        grown[:m] = pixels[:m]
                        pixels = grown
                    pixels[m, 0] = r
                    pixels[m, 1] = c
                    m += 1
                    if degree[r, c] != 2 or (r == r0 and c == c0):
                        break
                    nxt = -1
                    for d in range(8):
                        r2 = r + _DR[d]
                        c2 = c + _DC[d]
                        if (0 <= r2 < n and 0 <= c2 < n_c and skel[r2, c2] and _linked(skel, r, c, r2, c2)
                                and not (r2 == pr and c2 == pc)):
                            nxt = d
                            break
                    if nxt < 0:
                        break
                    used[r, c] |= 1 << nxt
                    pr, pc = r, c
                    r = r + _DR[nxt]
                    c = c + _DC[nxt]
                    d_in = nxt
                n_branches += 1
                if n_branches + 1 >= starts.size:
                    grown_s = np.zeros(2 * starts.size, np.int64)
                    grown_s[: starts.size] = starts
                    starts = grown_s
                starts[n_branches] = m
    return pixels[:m].copy(), starts[: n_branches + 1].copy(), degree


@numba.njit(cache=True)
def simplify_polyline(points, tolerance):
    """Douglas–Peucker: which vertices of a polyline to keep so that none strays more than ``tolerance``.

    Parameters
    ----------
    points : numpy.ndarray, shape (n, 2), float64
    tolerance : float
        Largest distance of a dropped vertex from the simplified line, same units.

    Returns
    -------
    numpy.ndarray, shape (n,), bool
        The first and last vertices are always kept.
    """
    n = points.shape[0]
    keep = np.zeros(n, np.bool_)
    if n == 0:
        return keep
    keep[0] = True
    keep[n - 1] = True
    stack = np.empty((n + 1, 2), np.int64)
    top = 0
    stack[0, 0] = 0
    stack[0, 1] = n - 1
    top = 1
    while top > 0:
        top -= 1
        i = stack[top, 0]
        j = stack[top, 1]
        if j <= i + 1:
            continue
        ax = points[i, 0]
        ay = points[i, 1]
        bx = points[j, 0] - ax
        by = points[j, 1] - ay
        norm = math.sqrt(bx * bx + by * by)
        worst = -1.0
        at = -1
        for k in range(i + 1, j):
            px = points[k, 0] - ax
            py = points[k, 1] - ay
            d = abs(bx * py - by * px) / norm if norm > 0 else math.sqrt(px * px + py * py)
            if d > worst:
                worst = d
                at = k
        if worst > tolerance:
            keep[at] = True
            stack[top, 0] = i
            stack[top, 1] = at
            stack[top + 1, 0] = at
            stack[top + 1, 1] = j
            top += 2
    return keep

