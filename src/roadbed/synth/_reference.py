"""Slow, obvious numpy twins of :mod:`._kernels`, for tests and ``engine="numpy"``.

Each function takes the same arrays as its kernel and returns the same
result, computed with whole-array numpy on every (channel, trace, event,
sample) at once — memory-hungry, so for small scenes only.
"""

from __future__ import annotations

import numpy as np

from . import _kernels as k


def _ricker_sum(times_ns, tau, amp, freq_ghz):
    """Σ_events amp · ricker(t − tau) where |t − tau| ≤ support; tau, amp (..., n_events)."""
    lag = times_ns - tau[..., None]  # (..., n_events, n_samples)
    s2 = (np.pi * freq_ghz * lag) ** 2
    wave = (1.0 - 2.0 * s2) * np.exp(-s2)
    wave = np.where(np.abs(lag) <= k.SUPPORT_PERIODS / freq_ghz, wave, 0.0)
    return np.sum(amp[..., None] * wave, axis=-2)


def _amplitude_factor(path, cos_theta, spreading_ref_m, alpha):
    return spreading_ref_m / np.maximum(path, spreading_ref_m) * cos_theta * np.exp(-2.0 * alpha * path)


def ellipsoid_closest(px, py, pz, a, b, c):
    """Vectorised twin of :func:`._kernels.ellipsoid_closest` (first octant, outside points)."""
    lo = np.zeros(np.broadcast(px, py, pz, a).shape)
    hi = np.sqrt((a * px) ** 2 + (b * py) ** 2 + (c * pz) ** 2) + lo
    for _ in range(k.ELLIPSOID_BISECTIONS):
        t = 0.5 * (lo + hi)
        f = (a * px / (t + a * a)) ** 2 + (b * py / (t + b * b)) ** 2 + (c * pz / (t + c * c)) ** 2
        lo = np.where(f > 1.0, t, lo)
        hi = np.where(f > 1.0, hi, t)
    t = 0.5 * (lo + hi)
    return a * a * px / (t + a * a), b * b * py / (t + b * b), c * c * pz / (t + c * c)


def gpr_array(along, across, t0, dt_ns, n_samples, freq_ghz, flat, cyl, cav, n_multiples, spreading_ref_m, alpha):
    """Twin of :func:`._kernels.gpr_array`."""
    times = np.arange(n_samples) * dt_ns
    x = along[None, :, None]  # (1, n_traces, 1) against events on the last axis
    y = across[:, None, None]
    tz = t0[:, None, None]
    shape = (across.size, along.size)
    taus, amps = [], []

    # flat layers: the same in every trace
    f_amp = flat[:, k.FLAT_COEF] * _amplitude_factor(flat[:, k.FLAT_DEPTH], 1.0, spreading_ref_m, alpha)
    taus.append(np.broadcast_to(tz + flat[:, k.FLAT_TWT], shape + (len(flat),)))
    amps.append(np.broadcast_to(f_amp, shape + (len(flat),)))

    # cylinders: distance to the axis segment minus the radius
    c = {name: cyl[:, col] for name, col in (("cx", 0), ("cy", 1), ("ux", 2), ("uy", 3), ("hl", 4), ("zc", 5), ("R", 6), ("coef", 7), ("v", 8))}
    s = np.clip((x - c["cx"]) * c["ux"] + (y - c["cy"]) * c["uy"], -c["hl"], c["hl"])
    d2 = (x - c["cx"] - s * c["ux"]) ** 2 + (y - c["cy"] - s * c["uy"]) ** 2
    dist_axis = np.sqrt(d2 + c["zc"] ** 2)
    path = dist_axis - c["R"]
    taus.append(tz + 2.0 * path / c["v"])
    amps.append(c["coef"] * _amplitude_factor(path, c["zc"] / dist_axis, spreading_ref_m, alpha))

    # cavities
    v = {name: cav[:, col] for name, col in (("shape", 0), ("xc", 1), ("yc", 2), ("a", 3), ("b", 4), ("c", 5), ("ztop", 6), ("r", 7), ("T", 8), ("v", 9), ("vf", 10))}
    ex = np.abs(x - v["xc"])
    ey = np.abs(y - v["yc"])
    # box: nearest point of the top face
    dx = np.maximum(ex - v["a"], 0.0)
    dy = np.maximum(ey - v["b"], 0.0)
    box_d2 = dx**2 + dy**2
    box_path = np.sqrt(box_d2 + v["ztop"] ** 2)
    box_cos = v["ztop"] / box_path
    fresnel = np.sqrt(v["v"] / freq_ghz * v["ztop"] / 2.0)
    inside = np.minimum(v["a"] - ex, v["b"] - ey)
    box_weight = np.where(box_d2 == 0.0, 1.0 - 0.5 * np.exp(-inside / fresnel), 0.5 * box_cos)
    # ellipsoid: nearest point of the surface
    zc = v["ztop"] + v["c"]
    qx, qy, qz = ellipsoid_closest(ex, ey, zc, v["a"], v["b"], v["c"])
    ell_path = np.sqrt((ex - qx) ** 2 + (ey - qy) ** 2 + (zc - qz) ** 2)
    ell_cos = (zc - qz) / ell_path
    ell_chord = 2.0 * v["c"] * np.sqrt(np.maximum(0.0, 1.0 - (qx / v["a"]) ** 2 - (qy / v["b"]) ** 2))
    is_box = v["shape"] == k.SHAPE_BOX
    cav_path = np.where(is_box, box_path, ell_path)
    cos_theta = np.where(is_box, box_cos, ell_cos)
    weight = np.where(is_box, box_weight, 1.0)
    chord = np.where(is_box, 2.0 * v["c"], ell_chord)
    common = v["T"] * weight * _amplitude_factor(cav_path, cos_theta, spreading_ref_m, alpha)
    tau_top = tz + 2.0 * cav_path / v["v"]
    taus.append(tau_top)
    amps.append(v["r"] * common)
    for m in range(1, n_multiples + 1):
        taus.append(tau_top + 2.0 * m * chord / v["vf"])
        amps.append((1.0 - v["r"] ** 2) * (-v["r"]) ** (2 * m - 1) * common)

    tau = np.concatenate([np.broadcast_to(t, shape + t.shape[-1:]) for t in taus], axis=-1)
    amp = np.concatenate([np.broadcast_to(a, shape + a.shape[-1:]) for a in amps], axis=-1)
    return _ricker_sum(times, tau, amp, freq_ghz).astype(np.float32)


def rasterise_depressions(along, across, segments, bowls):
    """Twin of :func:`._kernels.rasterise_depressions`: every segment against every cell."""
    pa = along[:, None]
    pc = across[None, :]
    crack = np.zeros((along.size, across.size))
    for a0, c0, a1, c1, hw, depth in segments:
        da, dc = a1 - a0, c1 - c0
        den = da * da + dc * dc
        t = np.clip(((pa - a0) * da + (pc - c0) * dc) / den, 0.0, 1.0) if den > 0 else 0.0
        dist = np.sqrt((pa - a0 - t * da) ** 2 + (pc - c0 - t * dc) ** 2)
        crack = np.where(dist <= hw, np.maximum(crack, np.float32(depth)), crack)
    bowl = np.zeros((along.size, across.size))
    for ba, bc, radius, depth in bowls:
        r2 = ((pa - ba) ** 2 + (pc - bc) ** 2) / (radius * radius)
        bowl = np.maximum(bowl, np.where(r2 < 1.0, (depth * (1.0 - r2)).astype(np.float32), 0.0))
    return crack.astype(np.float32), bowl.astype(np.float32)
