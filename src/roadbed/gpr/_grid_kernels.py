"""Numba kernels of :mod:`roadbed.gpr.grid` (numpy twins in :mod:`._grid_reference`).

The kernels see only ndarrays: trace amplitudes ``data`` of shape
``(n, n_samples)`` float32, trace positions in grid units, and the output
arrays, which they fill in place.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["bin_accumulate", "idw_grid", "gather_weighted", "rasterize_triangles"]


@numba.njit(cache=True)
def _row_partition(rows: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Trace indices grouped by row (stable: trace order kept inside a row), and each row's start."""
    start = np.zeros(n_rows + 1, dtype=np.int64)
    for t in range(rows.shape[0]):
        r = rows[t]
        if 0 <= r < n_rows:
            start[r + 1] += 1
    for r in range(n_rows):
        start[r + 1] += start[r]
    fill = start[:-1].copy()
    order = np.empty(start[n_rows], dtype=np.int64)
    for t in range(rows.shape[0]):
        r = rows[t]
        if 0 <= r < n_rows:
            order[fill[r]] = t
            fill[r] += 1
    return order, start


@numba.njit(cache=True, parallel=True, fastmath=False)
def bin_accumulate(data, rows, cols, sums, counts) -> None:
    """Add each trace to the sum of its cell and count it, in one pass.

    Parameters
    ----------
    data : ndarray, float32, shape (n, n_samples)
    rows, cols : ndarray, int64, shape (n,)
        Cell of each trace; a trace with a row or column outside the grid
        (e.g. -1) is skipped.
    sums : ndarray, float32, shape (n_rows, n_cols, n_samples)
        Per-cell sums, added to in place.
    counts : ndarray, int64, shape (n_rows, n_cols)
        Per-cell trace counts, added to in place.

    Notes
    -----
    Rows are partitioned among threads, so no two threads write one cell;
    inside a cell traces are added in their input order, as ``np.add.at``
    does, which makes the result bit-identical to the numpy twin.
    """
    n_rows, n_cols, n_samples = sums.shape
    order, start = _row_partition(rows, n_rows)
    for r in numba.prange(n_rows):
        for k in range(start[r], start[r + 1]):
            t = order[k]
            c = cols[t]
            if c < 0 or c >= n_cols:
                continue
            counts[r, c] += 1
            for s in range(n_samples):
                sums[r, c, s] += data[t, s]


@numba.njit(cache=True, parallel=True, fastmath=False)
def idw_grid(data, pos_row, pos_col, cell_order, cell_start, radius_rows, radius_cols, power, out) -> None:
    """Inverse-distance-weighted average of the traces within a radius of each cell centre.

    Positions are in grid units, scaled so that the search radius is the
    ellipse ``(dr / radius_rows)**2 + (dc / radius_cols)**2 <= 1``; distances
    for the weights are in metres, recovered by the same scales.

    Parameters
    ----------
    data : ndarray, float32, shape (n, n_samples)
    pos_row, pos_col : ndarray, float64, shape (n,)
        Trace positions in units of cells (cell ``(i, j)`` is centred at ``(i, j)``).
    cell_order : ndarray, int64, shape (m,)
        Trace indices sorted by the cell that holds them (clamped into the grid).
    cell_start : ndarray, int64, shape (n_rows * n_cols + 1,)
        Where each cell's traces start in ``cell_order`` (CSR layout).
    radius_rows, radius_cols : float
        The search radius in cells along each axis (``max_gap_m / step``).
    power : float
        Weight exponent: ``w = 1 / d**power``.
    out : ndarray, float32, shape (n_rows, n_cols, n_samples)
        Filled with the averages; NaN where no trace lies within the radius.
        A trace at the cell centre (d < 1e-9 radius) gives its value exactly
        (the mean of all such traces).
    """
    n_rows, n_cols, n_samples = out.shape
    reach_r = int(np.ceil(radius_rows)) + 1
    reach_c = int(np.ceil(radius_cols)) + 1
    for i in numba.prange(n_rows):
        acc = np.empty(n_samples, dtype=np.float64)
        exact = np.empty(n_samples, dtype=np.float64)
        for j in range(n_cols):
            acc[:] = 0.0
            exact[:] = 0.0
            wsum = 0.0
            n_exact = 0
            for bi in range(max(i - reach_r, 0), min(i + reach_r + 1, n_rows)):
                for bj in range(max(j - reach_c, 0), min(j + reach_c + 1, n_cols)):
                    cell = bi * n_cols + bj
                    for k in range(cell_start[cell], cell_start[cell + 1]):
                        t = cell_order[k]
                        ur = (pos_row[t] - i) / radius_rows
                        uc = (pos_col[t] - j) / radius_cols
                        q = ur * ur + uc * uc
                        if q > 1.0:
                            continue
                        if q < 1e-18:
                            n_exact += 1
                            for s in range(n_samples):
                                exact[s] += data[t, s]
                            continue
                        w = q ** (-0.5 * power)
                        wsum += w
                        for s in range(n_samples):
                            acc[s] += w * data[t, s]
            if n_exact > 0:
                for s in range(n_samples):
                    out[i, j, s] = exact[s] / n_exact
            elif wsum > 0.0:
                for s in range(n_samples):
                    out[i, j, s] = acc[s] / wsum
            else:
                for s in range(n_samples):
                    out[i, j, s] = np.nan


@numba.njit(cache=True, parallel=True, fastmath=False)
def gather_weighted(data, index, weights, out) -> None:
    """Each output row as a weighted sum of a few input traces.

    Parameters
    ----------
    data : ndarray, float32, shape (n, n_samples)
    index : ndarray, int64, shape (m, k)
        Input traces of each output row; a row whose first index is -1 is NaN.
    weights : ndarray, float64, shape (m, k)
    out : ndarray, float32, shape (m, n_samples)
    """
    m, k = index.shape
    n_samples = data.shape[1]
    for c in numba.prange(m):
        if index[c, 0] < 0:
            for s in range(n_samples):
                out[c, s] = np.nan
            continue
        for s in range(n_samples):
            total = 0.0
            for v in range(k):
                total += weights[c, v] * data[index[c, v], s]
            out[c, s] = total


@numba.njit(cache=True, fastmath=False)
def rasterize_triangles(points, simplices, along0, along_step, across0, across_step, index, weights) -> None:
    """Barycentric weights of the grid cell centres inside each triangle.

    Parameters
    ----------
    points : ndarray, float64, shape (n, 2)
        Vertex positions (along, across), m.
    simplices : ndarray, int64, shape (m, 3)
        Vertex indices of each triangle.
    along0, along_step, across0, across_step : float
        The grid: cell ``(i, j)`` is centred at ``(along0 + i·along_step, across0 + j·across_step)``.
    index : ndarray, int64, shape (n_along, n_across, 3)
        Vertices of the triangle holding each cell; cells still at -1 are
        filled, cells already filled are left (the first triangle wins, so
        a cell on a shared edge takes the earlier triangle).
    weights : ndarray, float64, shape (n_along, n_across, 3)
        Barycentric weights of those vertices.

    Notes
    -----
    Serial: triangles that share an edge would race for its cells. The cost
    is one pass over the triangles and the cells of their bounding boxes.
    """
    n_along, n_across = index.shape[0], index.shape[1]
    tol = 1e-9
    for t in range(simplices.shape[0]):
        i0, i1, i2 = simplices[t, 0], simplices[t, 1], simplices[t, 2]
        ax, ay = points[i0, 0], points[i0, 1]
        bx, by = points[i1, 0] - ax, points[i1, 1] - ay
        cx, cy = points[i2, 0] - ax, points[i2, 1] - ay
        det = bx * cy - by * cx
        scale = max(abs(bx), abs(by), abs(cx), abs(cy))
        if abs(det) <= 1e-12 * scale * scale:
            continue
        lo_a = min(ax, ax + bx, ax + cx)
        hi_a = max(ax, ax + bx, ax + cx)
        lo_c = min(ay, ay + by, ay + cy)
        hi_c = max(ay, ay + by, ay + cy)
        r0 = max(int(np.ceil((lo_a - along0) / along_step - tol)), 0)
        r1 = min(int(np.floor((hi_a - along0) / along_step + tol)), n_along - 1)
        c0 = max(int(np.ceil((lo_c - across0) / across_step - tol)), 0)
        c1 = min(int(np.floor((hi_c - across0) / across_step + tol)), n_across - 1)
        for r in range(r0, r1 + 1):
            qx = along0 + r * along_step - ax
            for c in range(c0, c1 + 1):
                if index[r, c, 0] >= 0:
                    continue
                qy = across0 + c * across_step - ay
                l1 = (qx * cy - qy * cx) / det
                l2 = (bx * qy - by * qx) / det
                l0 = 1.0 - l1 - l2
                if l0 >= -tol and l1 >= -tol and l2 >= -tol:
                    index[r, c, 0] = i0
                    index[r, c, 1] = i1
                    index[r, c, 2] = i2
                    weights[r, c, 0] = l0
                    weights[r, c, 1] = l1
                    weights[r, c, 2] = l2
