"""Numba kernels of the synthetic generators (ndarrays in, ndarrays out).

Every kernel here has a slow, obvious numpy twin in :mod:`._reference` with
the same signature; the tests compare the two on random small scenes.

GPR event tables (float64, one row per object; built by :mod:`.gpr`)
----------------------------------------------------------------------
``flat``  (n, 3): ``twt_ns`` after time zero, ``depth_m``, ``coef`` (r · two-way transmission).
``cyl``   (n, 9): ``CYL_*`` columns — a horizontal cylinder (pipe, bar) or, with
          zero length, a sphere (stone): centre in plan, unit axis direction in
          plan, half length (may be inf), axis depth, radius, coefficient,
          velocity above its top.
``cav``   (n, 11): ``CAV_*`` columns — an axis-aligned box or ellipsoid.

Pavement tables
---------------
``segments`` (n, 6): along0, across0, along1, across1 (m), half width (m), depth (mm).
``bowls``    (n, 4): along, across (m), radius (m), depth (mm).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .wavelets import RICKER_SUPPORT_PERIODS

# --- column indices of the event tables ---------------------------------------
FLAT_TWT, FLAT_DEPTH, FLAT_COEF = 0, 1, 2
FLAT_NCOL = 3
CYL_CX, CYL_CY, CYL_UX, CYL_UY, CYL_HALF_LENGTH, CYL_ZC, CYL_RADIUS, CYL_COEF, CYL_VELOCITY = range(9)
CYL_NCOL = 9
(CAV_SHAPE, CAV_XC, CAV_YC, CAV_A, CAV_B, CAV_C, CAV_ZTOP, CAV_R, CAV_T, CAV_V_ABOVE, CAV_V_FILL) = range(11)
CAV_NCOL = 11
SHAPE_BOX, SHAPE_ELLIPSOID = 0, 1
SEG_A0, SEG_C0, SEG_A1, SEG_C1, SEG_HALF_WIDTH, SEG_DEPTH = range(6)
SEG_NCOL = 6
BOWL_A, BOWL_C, BOWL_RADIUS, BOWL_DEPTH = range(4)
BOWL_NCOL = 4

#: wavelet support, periods of the centre frequency either side of the arrival
SUPPORT_PERIODS = RICKER_SUPPORT_PERIODS
#: relative slack of the pavement kernels' bounding boxes, so rounding never drops a cell the exact test keeps
_MARGIN = 1e-9
#: bisection steps of the point-to-ellipsoid distance (halves the bracket each time)
ELLIPSOID_BISECTIONS = 90


# --- GPR -----------------------------------------------------------------------
@numba.njit(cache=True)
def amplitude_factor(path_m, cos_theta, spreading_ref_m, alpha_np_per_m):
    """Spreading (ref/path, at most 1) × obliquity × attenuation over the two-way path."""
    spread = spreading_ref_m / max(path_m, spreading_ref_m)
    return spread * cos_theta * math.exp(-2.0 * alpha_np_per_m * path_m)


@numba.njit(cache=True)
def cylinder_path(x, y, cx, cy, ux, uy, half_length, zc, radius):
    """One-way path (m) from the antenna at (x, y, 0) to a horizontal cylinder, and cos of its dip.

    The cylinder's axis runs through (cx, cy) in plan along the unit vector
    (ux, uy) for ±half_length (inf for an endless pipe) at depth ``zc``. The
    path is the distance to the axis minus the radius, i.e. to the nearest
    point of the surface; zero length makes a sphere.
    """
    s = (x - cx) * ux + (y - cy) * uy
    s = min(max(s, -half_length), half_length)
    px = cx + s * ux
    py = cy + s * uy
    d2 = (x - px) ** 2 + (y - py) ** 2
    dist_axis = math.sqrt(d2 + zc * zc)
    return dist_axis - radius, zc / dist_axis


@numba.njit(cache=True)
def cylinder_twt(x, y, cx, cy, ux, uy, half_length, zc, radius, velocity):
    """Two-way time (ns) to a cylinder: ``(2/v)(sqrt(d² + (z0+R)²) − R)``."""
    path, _ = cylinder_path(x, y, cx, cy, ux, uy, half_length, zc, radius)
    return 2.0 * path / velocity


@numba.njit(cache=True)
def ellipsoid_closest(px, py, pz, a, b, c):
    """Nearest point (qx, qy, qz) of the ellipsoid x²/a²+y²/b²+z²/c² = 1 to an outside point.

    Works in the first octant (pass absolute values). The nearest point is
    ``q_i = e_i² p_i / (t + e_i²)`` with ``t > 0`` the root of
    ``Σ (e_i p_i / (t + e_i²))² = 1``, found by bisection on
    ``[0, sqrt(Σ e_i² p_i²)]`` where the sum is monotone.
    """
    lo = 0.0
    hi = math.sqrt((a * px) ** 2 + (b * py) ** 2 + (c * pz) ** 2)
    for _ in range(ELLIPSOID_BISECTIONS):
        t = 0.5 * (lo + hi)
        f = (a * px / (t + a * a)) ** 2 + (b * py / (t + b * b)) ** 2 + (c * pz / (t + c * c)) ** 2
        if f > 1.0:
            lo = t
        else:
            hi = t
    t = 0.5 * (lo + hi)
    return a * a * px / (t + a * a), b * b * py / (t + b * b), c * c * pz / (t + c * c)


@numba.njit(cache=True)
def add_ricker(trace, tau_ns, amp, dt_ns, freq_ghz):
    """Add ``amp · ricker(t − tau)`` to ``trace`` (sample i at ``i·dt``) over the wavelet's support."""
    half = SUPPORT_PERIODS / freq_ghz
    n = trace.shape[0]
    i0 = max(0, int(math.ceil((tau_ns - half) / dt_ns)))
    i1 = min(n - 1, int(math.floor((tau_ns + half) / dt_ns)))
    if i0 > i1:
        return
    pf = math.pi * freq_ghz
    h = pf * dt_ns
    s = pf * (i0 * dt_ns - tau_ns)
    # exp(−s²) on the regular grid s_k = s_0 + k·h by recurrence: g_{k+1} = g_k·q_k,
    # q_k = exp(−2 s_k h − h²), q_{k+1} = q_k·exp(−2h²) — three exps per arrival, not one per sample
    g = math.exp(-s * s)
    q = math.exp(-2.0 * s * h - h * h)
    rho = math.exp(-2.0 * h * h)
    for i in range(i0, i1 + 1):
        trace[i] += amp * (1.0 - 2.0 * s * s) * g
        g *= q
        q *= rho
        s += h


@numba.njit(cache=True)
def _cavity_events(trace, x, y, t0, dt_ns, freq_ghz, cav, n_multiples, spreading_ref_m, alpha):
    for e in range(cav.shape[0]):
        xc = cav[e, CAV_XC]
        yc = cav[e, CAV_YC]
        a = cav[e, CAV_A]
        b = cav[e, CAV_B]
        c = cav[e, CAV_C]
        ztop = cav[e, CAV_ZTOP]
        r = cav[e, CAV_R]
        trans = cav[e, CAV_T]
        v = cav[e, CAV_V_ABOVE]
        v_fill = cav[e, CAV_V_FILL]
        ex = abs(x - xc)
        ey = abs(y - yc)
        if cav[e, CAV_SHAPE] == SHAPE_BOX:
            dx = max(ex - a, 0.0)
            dy = max(ey - b, 0.0)
            d2 = dx * dx + dy * dy
            path = math.sqrt(d2 + ztop * ztop)
            cos_theta = ztop / path
            if d2 == 0.0:
                # specular top: half amplitude at the edge, rising over a Fresnel radius inside
                inside = min(a - ex, b - ey)
                fresnel = math.sqrt(v / freq_ghz * ztop / 2.0)
                weight = 1.0 - 0.5 * math.exp(-inside / fresnel)
            else:
                weight = 0.5 * cos_theta  # edge/corner diffraction
            chord = 2.0 * c
        else:
            zc = ztop + c
            qx, qy, qz = ellipsoid_closest(ex, ey, zc, a, b, c)
            path = math.sqrt((ex - qx) ** 2 + (ey - qy) ** 2 + (zc - qz) ** 2)
            cos_theta = (zc - qz) / path
            weight = 1.0
            u2 = (qx / a) ** 2 + (qy / b) ** 2
            chord = 2.0 * c * math.sqrt(max(0.0, 1.0 - u2))
        common = trans * weight * amplitude_factor(path, cos_theta, spreading_ref_m, alpha)
        tau = t0 + 2.0 * path / v
        add_ricker(trace, tau, r * common, dt_ns, freq_ghz)
        # reverberation inside the fill: k-th bottom echo (1 − r²)(−r)^(2k−1)
        amp_k = (1.0 - r * r) * (-r) * common
        for k in range(1, n_multiples + 1):
            add_ricker(trace, tau + 2.0 * k * chord / v_fill, amp_k, dt_ns, freq_ghz)
            amp_k *= r * r


@numba.njit(cache=True)
def _one_trace(trace, x, y, t0, dt_ns, freq_ghz, flat, cyl, cav, n_multiples, spreading_ref_m, alpha):
    for e in range(flat.shape[0]):
        amp = flat[e, FLAT_COEF] * amplitude_factor(flat[e, FLAT_DEPTH], 1.0, spreading_ref_m, alpha)
        add_ricker(trace, t0 + flat[e, FLAT_TWT], amp, dt_ns, freq_ghz)
    for e in range(cyl.shape[0]):
        path, cos_theta = cylinder_path(
            x,
            y,
            cyl[e, CYL_CX],
            cyl[e, CYL_CY],
            cyl[e, CYL_UX],
            cyl[e, CYL_UY],
            cyl[e, CYL_HALF_LENGTH],
            cyl[e, CYL_ZC],
            cyl[e, CYL_RADIUS],
        )
        amp = cyl[e, CYL_COEF] * amplitude_factor(path, cos_theta, spreading_ref_m, alpha)
        add_ricker(trace, t0 + 2.0 * path / cyl[e, CYL_VELOCITY], amp, dt_ns, freq_ghz)
    _cavity_events(trace, x, y, t0, dt_ns, freq_ghz, cav, n_multiples, spreading_ref_m, alpha)


@numba.njit(parallel=True, cache=True)
def gpr_array(along, across, t0, dt_ns, n_samples, freq_ghz, flat, cyl, cav, n_multiples, spreading_ref_m, alpha):
    """Noise-free synthetic array data.

    Parameters
    ----------
    along : (n_traces,) float64, m
    across : (n_channels,) float64, m
    t0 : (n_channels,) float64, ns — time zero (the surface) of each channel
    dt_ns : float; n_samples : int; freq_ghz : float
    flat, cyl, cav : event tables (see module docstring)
    n_multiples : int — reverberations under each cavity top
    spreading_ref_m : float — path at which spreading loss starts
    alpha : float — attenuation, Np/m

    Returns
    -------
    (n_channels, n_traces, n_samples) float32
    """
    n_ch = across.shape[0]
    n_tr = along.shape[0]
    out = np.zeros((n_ch, n_tr, n_samples), dtype=np.float32)
    for k in numba.prange(n_ch * n_tr):
        ch = k // n_tr
        j = k - ch * n_tr
        trace = np.zeros(n_samples)
        _one_trace(trace, along[j], across[ch], t0[ch], dt_ns, freq_ghz, flat, cyl, cav, n_multiples, spreading_ref_m, alpha)
        for i in range(n_samples):
            out[ch, j, i] = trace[i]
    return out


# --- pavement --------------------------------------------------------------------
@numba.njit(cache=True)
def _segment_distance(pa, pc, a0, c0, a1, c1):
    da = a1 - a0
    dc = c1 - c0
    den = da * da + dc * dc
    t = 0.0
    if den > 0.0:
        t = min(max(((pa - a0) * da + (pc - c0) * dc) / den, 0.0), 1.0)
    return math.sqrt((pa - a0 - t * da) ** 2 + (pc - c0 - t * dc) ** 2)


@numba.njit(parallel=True, cache=True)
def rasterise_depressions(along, across, segments, bowls):
    """Depth maps (mm, positive down) of cracks and potholes on a regular grid.

    A cell is inside a crack where its centre is within the crack's half
    width of the crack's centre-line segment; it then gets the crack's full
    depth (a flat-bottomed crack). A pothole is the bowl
    ``depth · (1 − (r/R)²)`` for ``r < R``. Overlaps keep the deepest.

    Parameters
    ----------
    along : (n_along,) float64, m, increasing, regular
    across : (n_across,) float64, m, increasing, regular
    segments : (n_seg, 6) float64 — crack pieces (see module docstring)
    bowls : (n_bowl, 4) float64 — potholes

    Returns
    -------
    crack_mm, pothole_mm : (n_along, n_across) float32
    """
    n_a = along.shape[0]
    n_c = across.shape[0]
    crack = np.zeros((n_a, n_c), dtype=np.float32)
    bowl = np.zeros((n_a, n_c), dtype=np.float32)
    for i in numba.prange(n_a):
        pa = along[i]
        for s in range(segments.shape[0]):
            a0 = segments[s, SEG_A0]
            c0 = segments[s, SEG_C0]
            a1 = segments[s, SEG_A1]
            c1 = segments[s, SEG_C1]
            hw = segments[s, SEG_HALF_WIDTH]
            reach = hw * (1.0 + _MARGIN) + _MARGIN  # a bounding box a hair too big: the distance test decides
            if pa < min(a0, a1) - reach or pa > max(a0, a1) + reach:
                continue
            j0 = np.searchsorted(across, min(c0, c1) - reach)
            j1 = np.searchsorted(across, max(c0, c1) + reach, side="right")
            depth = np.float32(segments[s, SEG_DEPTH])
            for j in range(j0, j1):
                if _segment_distance(pa, across[j], a0, c0, a1, c1) <= hw and depth > crack[i, j]:
                    crack[i, j] = depth
        for p in range(bowls.shape[0]):
            ba = bowls[p, BOWL_A]
            radius = bowls[p, BOWL_RADIUS]
            reach = radius * (1.0 + _MARGIN) + _MARGIN
            if abs(pa - ba) > reach:
                continue
            bc = bowls[p, BOWL_C]
            j0 = np.searchsorted(across, bc - reach)
            j1 = np.searchsorted(across, bc + reach, side="right")
            for j in range(j0, j1):
                r2 = ((pa - ba) ** 2 + (across[j] - bc) ** 2) / (radius * radius)
                if r2 < 1.0:
                    depth = np.float32(bowls[p, BOWL_DEPTH] * (1.0 - r2))
                    if depth > bowl[i, j]:
                        bowl[i, j] = depth
    return crack, bowl
