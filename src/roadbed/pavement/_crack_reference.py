"""Slow, obvious numpy/scipy twins of :mod:`._crack_kernels` (same signatures, same results).

They exist to check the kernels: each follows the definition as directly as
it can (scipy's filters, brute force over all cells, plain Python graphs),
never the kernel's algorithm.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def running_extremum(x, half: int, axis: int, is_max: bool):
    x = np.asarray(x)
    if half <= 0 or x.size == 0:
        return x.copy()
    f = ndimage.maximum_filter1d if is_max else ndimage.minimum_filter1d
    return f(x, size=2 * int(half) + 1, axis=axis, mode="reflect")


def closing(x, half_rows: int, half_cols: int):
    return ndimage.grey_closing(np.asarray(x), size=(2 * half_rows + 1, 2 * half_cols + 1), mode="reflect")


def box_sum(x, half_rows: int, half_cols: int):
    hr, hc = max(int(half_rows), 0), max(int(half_cols), 0)
    size = (2 * hr + 1, 2 * hc + 1)
    return ndimage.uniform_filter(np.asarray(x, np.float64), size=size, mode="constant", cval=0.0) * (size[0] * size[1])


def crack_cells(elevation, closed, intensity, depth_threshold, dark_ratio, half_rows, half_cols):
    elevation = np.asarray(elevation, np.float64)
    intensity = np.asarray(intensity, np.float64)
    has_i = intensity.shape == elevation.shape
    valid = np.isfinite(elevation)
    surface = valid & (np.asarray(closed, np.float64) - np.where(valid, elevation, 0.0) <= depth_threshold)
    if has_i:
        surface &= np.isfinite(intensity)
    w = surface.astype(np.float64)
    den = box_sum(w, half_rows, half_cols)
    level = box_sum(np.where(surface, elevation, 0.0), half_rows, half_cols) / np.where(den > 0.5, den, 1.0)
    mask = valid & (den > 0.5) & (level - np.where(valid, elevation, 0.0) > depth_threshold)
    if has_i:
        bright = box_sum(np.where(surface, intensity, 0.0), half_rows, half_cols) / np.where(den > 0.5, den, 1.0)
        mask &= ~(intensity >= dark_ratio * bright)
    return mask


def _reflect(i, n):
    """Half-sample symmetric extension of indices (scipy's "reflect", numpy's "symmetric"): period 2n."""
    i = np.mod(i, 2 * n)
    return np.where(i >= n, 2 * n - 1 - i, i)


def line_extrema(image, offsets, counts):
    image = np.asarray(image, np.float64)
    n, m = image.shape
    rows, cols = np.arange(n)[:, None], np.arange(m)[None, :]
    means = []
    for k in range(offsets.shape[0]):
        pts = offsets[k, : counts[k]]
        total = sum(image[_reflect(rows + dr, n), _reflect(cols + dc, m)] for dr, dc in pts)
        means.append(total / counts[k])
    stack = np.stack(means)
    return stack.max(axis=0).astype(np.float32), stack.min(axis=0).astype(np.float32)


#: predecessor steps (row, col) of each cone of :func:`path_length`
_CONES = (
    ((-1, -1), (-1, 0), (-1, 1)),
    ((-1, -1), (0, -1), (1, -1)),
    ((-1, 0), (0, -1), (-1, -1)),
    ((-1, 0), (0, 1), (-1, 1)),
)


def _shift(a, dr, dc):
    """``out[r, c] = a[r + dr, c + dc]`` (0 outside)."""
    out = np.zeros_like(a)
    n, m = a.shape
    out[max(-dr, 0) : n - max(dr, 0), max(-dc, 0) : m - max(dc, 0)] = a[max(dr, 0) : n - max(-dr, 0),
                                                                       max(dc, 0) : m - max(-dc, 0)]  # fmt: skip
    return out


def _longest(mask, steps):
    # relax "1 + best predecessor" over the whole image until nothing changes (Bellman–Ford on a DAG)
    length = mask.astype(np.int64)
    while True:
        best = np.zeros_like(length)
        for dr, dc in steps:
            best = np.maximum(best, _shift(length, dr, dc))
        new = np.where(mask, best + 1, 0)
        if np.array_equal(new, length):
            return length
        length = new


def path_length(mask):
    mask = np.asarray(mask, bool)
    out = np.zeros(mask.shape, np.int64)
    for steps in _CONES:
        forward = _longest(mask, steps)
        backward = _longest(mask, tuple((-dr, -dc) for dr, dc in steps))
        out = np.maximum(out, np.where(mask, forward + backward - 1, 0))
    return out.astype(np.int32)


def thin(mask):
    """Zhang & Suen (1984), both sub-iterations applied to the whole image at once with array shifts."""
    img = np.pad(np.asarray(mask, bool), 1).astype(np.uint8)
    order = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))  # P2 … P9
    changed = True
    while changed:
        changed = False
        for step in range(2):
            p = [_shift(img, dr, dc) for dr, dc in order]
            b = sum(q.astype(np.int64) for q in p)
            a = sum(((p[k] == 0) & (p[(k + 1) % 8] == 1)).astype(np.int64) for k in range(8))
            if step == 0:
                c = (p[0] * p[2] * p[4] == 0) & (p[2] * p[4] * p[6] == 0)
            else:
                c = (p[0] * p[2] * p[6] == 0) & (p[0] * p[4] * p[6] == 0)
            drop = (img == 1) & (b >= 2) & (b <= 6) & (a == 1) & c
            if drop.any():
                img[drop] = 0
                changed = True
    return img[1:-1, 1:-1].astype(bool)


def edge_distance(mask, rows, cols, spacing_rows, spacing_cols, max_radius):
    mask = np.asarray(mask, bool)
    br, bc = np.nonzero(~mask)  # row-major: argmin picks the lowest row, then column
    out = np.full(len(rows), np.nan)
    for i, (r, c) in enumerate(zip(rows, cols, strict=True)):
        dr = (br - r) * float(spacing_rows)
        dc = (bc - c) * float(spacing_cols)
        dist = np.sqrt(dr * dr + dc * dc)
        if dist.size == 0 or dist.min() > max_radius:
            continue
        k = int(np.argmin(dist))
        d1 = dist[k]
        s = float(spacing_rows) if abs(dr[k]) > abs(dc[k]) else float(spacing_cols)
        far = dr * dr[k] + dc * dc[k] < 0
        d2 = dist[far].min() if far.any() else np.inf
        out[i] = d1 + d2 - s if d2 <= max_radius else 2.0 * d1 - s
    return out


def _neighbours(skel: set, r: int, c: int) -> list:
    """m-adjacent centreline neighbours of (r, c), in the order N, NE, E, SE, S, SW, W, NW."""
    out = []
    for dr, dc in ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)):
        q = (r + dr, c + dc)
        if q not in skel:
            continue
        if dr and dc and ((r, c + dc) in skel or (r + dr, c) in skel):
            continue
        out.append(q)
    return out


def neighbour_count(skel):
    skel = np.asarray(skel, bool)
    pts = set(zip(*np.nonzero(skel), strict=True))
    out = np.zeros(skel.shape, np.int8)
    for r, c in pts:
        out[r, c] = len(_neighbours(pts, int(r), int(c)))
    return out


def trace_branches(skel):
    """Branches as lists of pixels, by walking a dictionary graph; same order and output as the kernel."""
    skel = np.asarray(skel, bool)
    pts = {(int(r), int(c)) for r, c in zip(*np.nonzero(skel), strict=True)}
    adj = {p: _neighbours(pts, *p) for p in pts}
    degree = neighbour_count(skel)
    walked = set()  # directed edges (p, q)
    branches = []
    scan = sorted(pts)
    for first_pass in (True, False):
        for p in scan:
            if first_pass == (len(adj[p]) == 2):
                continue
            if not first_pass and any((p, q) in walked or (q, p) in walked for q in adj[p]):
                continue
            if first_pass and not adj[p]:
                branches.append([p])
                continue
            for q in adj[p]:
                if (p, q) in walked:
                    continue
                chain = [p]
                prev, cur = p, q
                walked.add((p, q))
                while True:
                    walked.add((cur, prev))
                    chain.append(cur)
                    if len(adj[cur]) != 2 or cur == p:
                        break
                    nxt = next(n for n in adj[cur] if n != prev)
                    walked.add((cur, nxt))
                    prev, cur = cur, nxt
                branches.append(chain)
    pixels = np.array([pt for b in branches for pt in b], np.int64).reshape(-1, 2)
    starts = np.concatenate([[0], np.cumsum([len(b) for b in branches])]).astype(np.int64)
    return pixels, starts, degree


def simplify_polyline(points, tolerance):
    """Douglas–Peucker, recursively, with numpy distances."""
    points = np.asarray(points, np.float64)
    keep = np.zeros(len(points), bool)
    if len(points) == 0:
        return keep

    def split(i, j):
        keep[i] = keep[j] = True
        if j <= i + 1:
            return
        a, b = points[i], points[j] - points[i]
        rel = points[i + 1 : j] - a
        norm = np.hypot(*b)
        d = np.abs(b[0] * rel[:, 1] - b[1] * rel[:, 0]) / norm if norm > 0 else np.hypot(rel[:, 0], rel[:, 1])
        k = int(np.argmax(d))
        if d[k] > tolerance:
            split(i, i + 1 + k)
            split(i + 1 + k, j)

    split(0, len(points) - 1)
    return keep

