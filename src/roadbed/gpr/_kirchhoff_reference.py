"""Readable numpy twins of :mod:`roadbed.gpr._kirchhoff_kernels`, and the operator's physics.

:func:`stencil` is the one definition of the Kirchhoff diffraction
traveltime and weight; the fast path tabulates it per grid offset, the twins
here evaluate it for every pair of image point and trace, with no table.
"""

from __future__ import annotations

import math

import numpy as np

#: the taper of every limit (aperture, angle, aliasing) starts at this fraction of the limit
TAPER_START = 0.8


def _taper(q: np.ndarray) -> np.ndarray:
    """1 up to :data:`TAPER_START`, a cos² fall to 0 at ``q = 1``, 0 beyond."""
    ramp = np.clip((q - TAPER_START) / (1.0 - TAPER_START), 0.0, 1.0)
    return np.where(ramp < 1.0, np.cos(0.5 * np.pi * ramp) ** 2, 0.0)  # exactly 0 outside: no table entry


def stencil(
    tau, rx, ry, velocity, *, sample_interval_ns, twt0_ns, time_zero_ns, n_samples, trace_spacing_m,
    channel_spacing_m, three_d, aperture_m, max_angle_deg, max_frequency_ghz,
):  # fmt: skip
    """Diffraction time (as a fractional sample) and Kirchhoff weight of one trace for image times ``tau``.

    Parameters
    ----------
    tau : ndarray, shape (n,)
        Image (vertical two-way) times after time zero, ns.
    rx, ry : float
        Horizontal offset of the trace from the image point along and across track, m.
    velocity : ndarray, shape (n,)
        Migration (RMS) velocity at each image time, m/ns.
    sample_interval_ns, twt0_ns, time_zero_ns : float
        Data sampling: sample ``i`` is at ``twt0_ns + i · sample_interval_ns``;
        the surface is at ``time_zero_ns``.
    n_samples : int
        Samples per data trace.
    trace_spacing_m, channel_spacing_m : float
        Grid spacing along and across track, m (the area element of the sum).
    three_d : bool
        3-D weights (area element dx·dy, 1/r spreading) or 2-D (dx, 1/sqrt(r)).
    aperture_m : float
        Largest horizontal distance summed, m.
    max_angle_deg : float
        Largest angle from the vertical summed, degrees.
    max_frequency_ghz : float or None
        Highest frequency kept unaliased, GHz; None turns anti-aliasing off.

    Returns
    -------
    s : ndarray, shape (n,)
        Diffraction time as a fractional data sample index.
    w : ndarray, shape (n,)
        Weight; 0 where the trace does not contribute.

    Notes
    -----
    Time migration (Yilmaz 2001, eq. 4-21; Schneider 1978): the diffraction
    time is ``t = sqrt(τ² + (2 r / v)²)`` and the weight is
    ``dx / sqrt(2π) · cosθ / sqrt(v ρ)`` in 2-D and
    ``dx dy / (2π) · cosθ / (v ρ)`` in 3-D, with ``cosθ = τ / t`` and
    ``ρ = v t / 2`` the one-way path (floored at half a sample of depth);
    the ρ-filter (half derivative in 2-D, derivative in 3-D) is applied to
    the traces separately. Anti-aliasing limits the operator's time dip
    (Lumley, Claerbout & Bevc 1994, in its simplest form): a trace
    contributes only where the diffraction curve moves less than half a
    period of ``max_frequency`` from one trace to the next, along and
    across track, ``spacing · |∂t/∂x| ≤ 1 / (2 f_max)``. The aperture,
    angle and anti-aliasing limits each taper the weight with a cos² from
    :data:`TAPER_START` of the limit to the limit. At and above time zero
    (``τ ≤ 0``) the operator is the identity.
    """
    tau = np.asarray(tau, dtype=np.float64)
    v = np.asarray(velocity, dtype=np.float64)
    dt = sample_interval_ns
    r = math.hypot(rx, ry)
    above = tau <= 0.0
    below = ~above
    t = np.where(above, tau, np.hypot(tau, 2.0 * r / v))
    safe_t = np.where(below, np.maximum(t, 1e-12 * dt), 1.0)  # no 0/0 for τ a hair above 0
    cos = np.where(below, tau / safe_t, 1.0)
    rho = np.maximum(v * safe_t / 2.0, v * dt / 2.0)
    if three_d:
        amp = trace_spacing_m * channel_spacing_m / (2.0 * np.pi) * cos / (v * rho)
    else:
        amp = trace_spacing_m / math.sqrt(2.0 * np.pi) * cos / np.sqrt(v * rho)
    q = np.full(tau.shape, r / aperture_m)
    depth = np.where(below, v * np.maximum(tau, 1e-12 * dt) / 2.0, 1.0)
    q = np.maximum(q, (r / depth) / math.tan(math.radians(max_angle_deg)))
    if max_frequency_ghz is not None:
        slope_x = trace_spacing_m * 4.0 * abs(rx) / (v**2 * safe_t)
        slope_y = channel_spacing_m * 4.0 * abs(ry) / (v**2 * safe_t) if three_d else 0.0 * slope_x
        q = np.maximum(q, 2.0 * max_frequency_ghz * np.maximum(slope_x, slope_y))
    w = np.where(below, amp * _taper(q), 1.0 if r == 0.0 else 0.0)
    s = (t + time_zero_ns - twt0_ns) / dt
    inside = (s >= 0.0) & (s <= n_samples - 1)
    return np.where(inside, s, 0.0), np.where(inside, w, 0.0)


def split(s: np.ndarray, w: np.ndarray, n_samples: int):
    """Linear-interpolation nodes and weights: ``i``, ``w·(1−f)``, ``w·f`` with ``s = i + f``, ``i ≤ n−2``."""
    i = np.minimum(np.floor(s).astype(np.int64), n_samples - 2)
    f = s - i
    return i, w * (1.0 - f), w * f


def _pairs(shape, geometry):
    """Every (image trace, data trace, interpolation nodes and weights) pair, slowly."""
    nc, nt, ns = shape
    g = dict(geometry)
    tau = g.pop("twt0_ns") + g["sample_interval_ns"] * np.arange(ns) - g["time_zero_ns"]
    velocity = np.broadcast_to(np.asarray(g.pop("velocity"), dtype=np.float64), (ns,))
    for c in range(nc):
        for x in range(nt):
            for c2 in range(nc):
                if c2 != c and not g["three_d"]:  # 2-D: every channel is a line of its own
                    continue
                for x2 in range(nt):
                    rx = (x2 - x) * g["trace_spacing_m"]
                    ry = (c2 - c) * g["channel_spacing_m"]
                    if math.hypot(rx, ry) > g["aperture_m"]:
                        continue
                    s, w = stencil(tau, rx, ry, velocity, twt0_ns=geometry["twt0_ns"], n_samples=ns, **g)
                    i, a0, a1 = split(s, w, ns)
                    yield (c, x), (c2, x2), i, a0, a1


def migrate(data: np.ndarray, geometry: dict) -> np.ndarray:
    """Twin of :func:`~roadbed.gpr._kirchhoff_kernels.migrate`, from :func:`stencil` directly.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_traces, n_samples)
    geometry : dict
        The keyword arguments of :func:`stencil` except ``tau``, ``rx``, ``ry``
        and ``n_samples``, plus ``velocity`` (scalar or shape (n_samples,)).
    """
    data = np.asarray(data, dtype=np.float64)
    out = np.zeros_like(data)
    for image, trace, i, a0, a1 in _pairs(data.shape, geometry):
        out[image] += a0 * data[trace][i] + a1 * data[trace][i + 1]
    return out


def model(image: np.ndarray, geometry: dict) -> np.ndarray:
    """Twin of :func:`~roadbed.gpr._kirchhoff_kernels.model`: spread each image point, slowly."""
    image = np.asarray(image, dtype=np.float64)
    out = np.zeros_like(image)
    for point, trace, i, a0, a1 in _pairs(image.shape, geometry):
        np.add.at(out[trace], i, a0 * image[point])
        np.add.at(out[trace], i + 1, a1 * image[point])
    return out


def semblance(data, offsets, velocities, twt0, dt, time_zero, linear, half_window) -> np.ndarray:
    """Twin of :func:`~roadbed.gpr._kirchhoff_kernels.semblance`: one velocity and time at a time."""
    data = np.asarray(data, dtype=np.float64)
    nx, ns = data.shape
    samples = np.arange(ns)
    out = np.zeros((ns, len(velocities)))
    stack = np.zeros((ns, len(velocities)))
    for iv, v in enumerate(velocities):
        num = np.zeros(ns)
        den = np.zeros(ns)
        for j in range(ns):
            tau = twt0 + j * dt - time_zero
            if not linear and tau < 0:
                continue
            t = tau + offsets / v if linear else np.sqrt(tau**2 + (offsets / v) ** 2)
            s = (t + time_zero - twt0) / dt
            ok = (s >= 0) & (s <= ns - 1)
            amps = np.array([np.interp(si, samples, data[i]) for i, si in zip(np.flatnonzero(ok), s[ok])])
            stack[j, iv] = amps.sum() / nx
            num[j] = amps.sum() ** 2
            den[j] = nx * np.sum(amps**2)
        for j in range(ns):
            window = slice(max(0, j - half_window), min(ns, j + half_window + 1))
            b = den[window].sum()
            out[j, iv] = min(num[window].sum() / b, 1.0) if b > 1e-12 * den.sum() else 0.0
    return out, stack
