"""Slow, obvious numpy twins of the gridding kernels in :mod:`._grid_kernels` (same signatures)."""

from __future__ import annotations

import numpy as np

__all__ = ["bin_accumulate", "idw_grid", "gather_weighted", "rasterize_triangles"]


def bin_accumulate(data, rows, cols, sums, counts) -> None:
    """Twin of :func:`._grid_kernels.bin_accumulate`: ``np.add.at`` in trace order."""
    n_rows, n_cols, _ = sums.shape
    inside = (rows >= 0) & (rows < n_rows) & (cols >= 0) & (cols < n_cols)
    np.add.at(sums, (rows[inside], cols[inside]), data[inside])
    np.add.at(counts, (rows[inside], cols[inside]), 1)


def idw_grid(data, pos_row, pos_col, cell_order, cell_start, radius_rows, radius_cols, power, out) -> None:
    """Twin of :func:`._grid_kernels.idw_grid`: every cell against every trace (the index is unused)."""
    n_rows, n_cols, _ = out.shape
    for i in range(n_rows):
        for j in range(n_cols):
            q = ((pos_row - i) / radius_rows) ** 2 + ((pos_col - j) / radius_cols) ** 2
            exact = q < 1e-18
            near = (q <= 1.0) & ~exact
            if exact.any():
                out[i, j] = data[exact].astype(np.float64).mean(axis=0)
            elif near.any():
                w = q[near] ** (-0.5 * power)
                out[i, j] = (w[:, None] * data[near]).sum(axis=0) / w.sum()
            else:
                out[i, j] = np.nan


def gather_weighted(data, index, weights, out) -> None:
    """Twin of :func:`._grid_kernels.gather_weighted`."""
    valid = index[:, 0] >= 0
    picked = data[np.where(index < 0, 0, index)].astype(np.float64)  # (m, k, n_samples)
    out[:] = (weights[:, :, None] * picked).sum(axis=1)
    out[~valid] = np.nan


def rasterize_triangles(points, simplices, along0, along_step, across0, across_step, index, weights) -> None:
    """Twin of :func:`._grid_kernels.rasterize_triangles`: every triangle against every cell centre."""
    n_along, n_across = index.shape[:2]
    tol = 1e-9
    grid_a, grid_c = np.meshgrid(along0 + along_step * np.arange(n_along),
                                 across0 + across_step * np.arange(n_across), indexing="ij")
    for t, (i0, i1, i2) in enumerate(simplices):
        a, b, c = points[i0], points[i1] - points[i0], points[i2] - points[i0]
        det = b[0] * c[1] - b[1] * c[0]
        scale = np.abs(np.concatenate([b, c])).max()
        if abs(det) <= 1e-12 * scale * scale:
            continue
        corners = np.stack([a, a + b, a + c])
        lo, hi = corners.min(axis=0), corners.max(axis=0)
        rows = np.arange(n_along)[:, None]
        cols = np.arange(n_across)[None, :]
        in_box = ((rows >= np.ceil((lo[0] - along0) / along_step - tol))
                  & (rows <= np.floor((hi[0] - along0) / along_step + tol))
                  & (cols >= np.ceil((lo[1] - across0) / across_step - tol))
                  & (cols <= np.floor((hi[1] - across0) / across_step + tol)))
        qx, qy = grid_a - a[0], grid_c - a[1]
        l1 = (qx * c[1] - qy * c[0]) / det
        l2 = (b[0] * qy - b[1] * qx) / det
        l0 = 1.0 - l1 - l2
        hit = in_box & (l0 >= -tol) & (l1 >= -tol) & (l2 >= -tol) & (index[..., 0] < 0)
        index[hit] = (i0, i1, i2)
        weights[hit] = np.stack([l0[hit], l1[hit], l2[hit]], axis=-1)
