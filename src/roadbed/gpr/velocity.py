"""Wave speed in the ground from the radar data: focusing, hyperbola fits, wide-angle semblance.

Three independent ways, each returning a :class:`VelocityEstimate`
(velocity in m/ns, its uncertainty, and the relative permittivity
``ε = (c / v)²``):

* :func:`estimate_velocity` — from common-offset data alone: migrate at trial
  velocities and keep the one that focuses diffractions best (Fomel, Landa
  & Taner 2007), per survey and per region along the line;
* :func:`fit_hyperbola` — least squares on a diffraction's picked times,
  ``twt(x) = (2/v)·(sqrt((x − x0)² + (z0 + R)²) − R)``; :func:`pick_hyperbola`
  picks them from a radargram;
* :func:`warr_semblance` / :func:`cmp_velocity` — semblance of a wide-angle
  (WARR) or common-midpoint gather along linear (direct air and ground
  waves) or hyperbolic (reflections) moveout.

Velocities are what the geometry sees: a focusing or hyperbola velocity is
the average (strictly, RMS) velocity above the diffractor, not the velocity
of the layer it lies in.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import scipy.fft
import scipy.optimize
import scipy.signal
import xarray as xr

from .. import conventions as cv
from . import _kirchhoff_kernels as _kernels
from . import _kirchhoff_reference as _reference
from ._apply import check_engine, trace_axes
from .kirchhoff import (
    KirchhoffGeometry,
    _as_volume,
    _migrate_volume,
    _rho_filter,
    kirchhoff_migrate_array,
    operator_table,
)

__all__ = [
    "VelocityEstimate",
    "HyperbolaFit",
    "estimate_velocity",
    "diffraction_twt",
    "focusing_measure",
    "fit_hyperbola",
    "pick_hyperbola",
    "warr_semblance",
    "cmp_velocity",
    "VELOCITY_DIM",
]

logger = logging.getLogger(__name__)

#: name of the trial-velocity dimension of a semblance panel (m/ns)
VELOCITY_DIM = "velocity"
#: the trial velocities searched by default, m/ns (ε from about 1.5 to 36)
DEFAULT_VELOCITY_RANGE = (0.05, 0.25)


def permittivity(velocity_m_per_ns: float) -> float:
    """Relative permittivity ``(c / v)²`` of a low-loss medium with wave speed ``v`` (m/ns)."""
    return (cv.C_M_PER_NS / velocity_m_per_ns) ** 2


@dataclass(frozen=True)
class VelocityEstimate:
    """A wave speed and what it says about the ground.

    Attributes
    ----------
    velocity_m_per_ns : float
        Velocity, m/ns.
    uncertainty_m_per_ns : float
        One standard uncertainty of the velocity, m/ns (``inf`` where the
        method could not bound it).
    relative_permittivity : float
        ``(c / v)²``.
    method : str
        ``"focusing"``, ``"hyperbola"``, ``"semblance-hyperbolic"`` or ``"semblance-linear"``.
    details : mapping
        What the method found besides the velocity (e.g. regions, picked
        times, the focusing curve); JSON-friendly values.
    """

    velocity_m_per_ns: float
    uncertainty_m_per_ns: float
    relative_permittivity: float
    method: str
    details: Mapping = field(default_factory=dict)

    def __post_init__(self):
        v = self.velocity_m_per_ns
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"velocity_m_per_ns must be positive and finite, got {v!r}")
        if not self.uncertainty_m_per_ns >= 0:
            raise ValueError(f"uncertainty_m_per_ns must be ≥ 0, got {self.uncertainty_m_per_ns!r}")
        if not math.isclose(self.relative_permittivity, permittivity(v), rel_tol=1e-9):
            raise ValueError(f"relative_permittivity {self.relative_permittivity!r} is not (c/v)² for v = {v!r}")

    @classmethod
    def from_velocity(cls, velocity_m_per_ns: float, uncertainty_m_per_ns: float, method: str, **details):
        """The estimate for a velocity, with its permittivity computed."""
        v = float(velocity_m_per_ns)
        return cls(v, float(uncertainty_m_per_ns), permittivity(v), method, details)

    @property
    def permittivity_uncertainty(self) -> float:
        """One standard uncertainty of the permittivity, ``2 ε σ_v / v`` (first order)."""
        return 2.0 * self.relative_permittivity * self.uncertainty_m_per_ns / self.velocity_m_per_ns

    def to_dict(self) -> dict:
        """``velocity_m_per_ns``, ``uncertainty_m_per_ns`` and ``relative_permittivity``, exactly."""
        return {
            "velocity_m_per_ns": self.velocity_m_per_ns,
            "uncertainty_m_per_ns": self.uncertainty_m_per_ns,
            "relative_permittivity": self.relative_permittivity,
        }

    def to_record(self) -> dict:
        """:meth:`to_dict` plus ``method`` and every entry of ``details``."""
        return {**self.to_dict(), "method": self.method, **dict(self.details)}


# --- travel times with the antenna above the ground ------------------------------------------
def _leg_time(r, depth, v, h):
    """One-way time, ns, from an antenna ``h`` m above the surface to a point ``depth`` m below it and ``r`` m aside.

    The ray refracts at the surface (Snell: ``sin θ_air / c = sin θ_ground / v``);
    the point ``a`` where it crosses solves ``f(a) = sin θ_air / c − sin θ_ground / v = 0``,
    which increases monotonically on ``[0, r]``: Newton steps kept inside a
    bracket that shrinks with every step (a bisection where Newton would leave
    it). All arguments broadcast; ``h = 0`` is the straight ray.
    """
    r, depth, v = np.broadcast_arrays(np.abs(np.asarray(r, np.float64)), np.asarray(depth, np.float64),
                                      np.asarray(v, np.float64))  # fmt: skip
    c = cv.C_M_PER_NS
    if h <= 0:
        return np.hypot(r, depth) / v
    lo, hi = np.zeros_like(r), r.copy()
    a = 0.5 * r
    for _ in range(100):
        air = np.hypot(a, h)
        ground = np.maximum(np.hypot(r - a, depth), 1e-300)
        misfit = a / (c * air) - (r - a) / (v * ground)
        lo, hi = np.where(misfit < 0, a, lo), np.where(misfit < 0, hi, a)
        slope = h * h / (c * air**3) + depth * depth / (v * ground**3)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = a - misfit / slope
        inside = np.isfinite(newton) & (newton >= lo) & (newton <= hi)
        step = np.where(inside, newton, 0.5 * (lo + hi))
        done = np.max(np.abs(step - a), initial=0.0) <= 1e-13 * max(1.0, float(np.max(r, initial=0.0)))
        a = step
        if done:
            break
    return np.hypot(a, h) / c + np.hypot(r - a, depth) / v


def diffraction_twt(
    dx_m, depth_m, velocity_m_per_ns, *, radius_m=0.0, antenna_height_m: float = 0.0,
    antenna_separation_m: float = 0.0,
):  # fmt: skip
    """Two-way time of a diffraction after time zero (the surface reflection), ns.

    ``t = T(x − s/2) + T(x + s/2) − sqrt(s² + 4h²)/c`` with ``T`` the one-way
    time of a ray from an antenna ``h`` above the ground, refracted at the
    surface, to the centre of a pipe of radius ``R`` at ``depth + R`` in a
    ground of velocity ``v``, less ``R / v``; ``s`` the transmitter–receiver
    separation. The last term is the surface reflection's own path, i.e. time
    zero. With ``h = s = 0`` this is ``(2/v)·(sqrt(x² + (z + R)²) − R)``.

    Parameters
    ----------
    dx_m : array_like
        Horizontal distance of the antenna midpoint from the diffractor, m.
    depth_m : array_like
        Depth of the diffractor's top below the ground surface, m.
    velocity_m_per_ns : array_like
        Ground velocity, m/ns.
    radius_m : array_like
        Pipe radius, m (0: a point).
    antenna_height_m : float
        Height of the antennas above the ground, m.
    antenna_separation_m : float
        Transmitter–receiver separation along the line, m.

    Returns
    -------
    ndarray, the broadcast shape of the array arguments
    """
    h, s = float(antenna_height_m), float(antenna_separation_m)
    if not (h >= 0 and s >= 0):
        raise ValueError(f"antenna_height_m and antenna_separation_m must be ≥ 0, got {h!r} and {s!r}")
    dx = np.asarray(dx_m, np.float64)
    v = np.asarray(velocity_m_per_ns, np.float64)
    radius = np.asarray(radius_m, np.float64)
    centre = np.asarray(depth_m, np.float64) + radius
    legs = _leg_time(dx - 0.5 * s, centre, v, h) + _leg_time(dx + 0.5 * s, centre, v, h)
    return legs - 2.0 * radius / v - math.hypot(s, 2.0 * h) / cv.C_M_PER_NS


# --- (a) focusing ------------------------------------------------------------------------
def focusing_measure(envelope: np.ndarray, *, measure: str = "varimax") -> float:
    """How concentrated the energy of an image is.

    Parameters
    ----------
    envelope : ndarray, any shape
        Envelope (instantaneous amplitude) of the image.
    measure : {"varimax", "entropy"}
        ``"varimax"``: ``N Σe⁴ / (Σe²)²`` (1 for uniform energy, N for one
        spike). ``"entropy"``: negative entropy of the energy distribution,
        ``log N + Σ p log p`` with ``p = e² / Σe²`` (0 uniform, log N one spike).

    Returns
    -------
    float
    """
    e2 = np.square(np.asarray(envelope, dtype=np.float64)).ravel()
    total = e2.sum()
    if not total > 0:
        return 0.0
    if measure == "varimax":
        return float(e2.size * np.sum(e2**2) / total**2)
    if measure == "entropy":
        p = e2[e2 > 0] / total
        return float(math.log(e2.size) + np.sum(p * np.log(p)))
    raise ValueError(f"measure must be 'varimax' or 'entropy', got {measure!r}")


#: traces whose envelope is formed at a time when measuring focusing (small work arrays, reused by malloc)
_ENVELOPE_CHUNK = 128


def _focusing_of_spans(image: np.ndarray, spans, measure: str) -> np.ndarray:
    """:func:`focusing_measure` of the envelope of ``image[:, a:b]`` for every ``(a, b)`` of ``spans``.

    ``image`` has shape (line, trace, sample). The squared envelope
    (:func:`_energy`) is formed a few traces at a time and reduced to sums
    of ``e²`` and of ``e⁴`` (varimax) or ``e² log e²`` (entropy) per trace,
    which are then added up per span.
    """
    n_tr = image.shape[1]
    per_trace = np.zeros(n_tr)
    extra = np.zeros(n_tr)
    for a in range(0, n_tr, _ENVELOPE_CHUNK):
        b = min(n_tr, a + _ENVELOPE_CHUNK)
        e2 = _energy(image[:, a:b])
        per_trace[a:b] = np.sum(e2, axis=(0, 2), dtype=np.float64)
        if measure == "varimax":
            extra[a:b] = np.einsum("lts,lts->t", e2, e2, dtype=np.float64)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                extra[a:b] = np.where(e2 > 0, e2 * np.log(e2), 0.0).sum(axis=(0, 2), dtype=np.float64)
    out = np.zeros(len(spans))
    for j, (a, b) in enumerate(spans):
        total = float(per_trace[a:b].sum())
        if not total > 0:
            continue
        size = image.shape[0] * (b - a) * image.shape[2]
        if measure == "varimax":
            out[j] = size * float(extra[a:b].sum()) / total**2
        else:  # log N + Σ p log p with p = e²/T: Σ p log p = Σ e² log e² / T − log T
            out[j] = math.log(size) + float(extra[a:b].sum()) / total - math.log(total)
    return out


def _parabola_peak(u: np.ndarray, f: np.ndarray, m: int) -> tuple[float, float]:
    """Vertex of the parabola through points m−1, m, m+1: (position, second derivative)."""
    (u0, u1, u2), (f0, f1, f2) = u[m - 1 : m + 2], f[m - 1 : m + 2]
    denom = (u0 - u1) * (u0 - u2) * (u1 - u2)
    a = (u2 * (f1 - f0) + u1 * (f0 - f2) + u0 * (f2 - f1)) / denom
    b = (u2**2 * (f0 - f1) + u1**2 * (f2 - f0) + u0**2 * (f1 - f2)) / denom
    if not a < 0:
        return float(u1), 0.0
    return float(np.clip(-b / (2 * a), u0, u2)), float(2 * a)


@dataclass
class _Peak:
    velocity: float
    resolution: float  # half-width at 95 % of the peak height above the curve's minimum, m/ns
    prominence: float  # (max − min) / min of the curve
    at_edge: bool


def _pick_peak(velocities: np.ndarray, curve: np.ndarray, *, drop: float = 0.05) -> _Peak:
    """The focusing curve's maximum, refined by a parabola in log velocity."""
    order = np.argsort(velocities)
    v, f = velocities[order], curve[order]
    m = int(np.argmax(f))
    lo, hi = float(f.min()), float(f.max())
    prominence = (hi - lo) / lo if lo > 0 else math.inf
    if m == 0 or m == v.size - 1:
        return _Peak(float(v[m]), math.inf, prominence, True)
    u = np.log(v)
    u_peak, curvature = _parabola_peak(u, f, m)
    v_peak = math.exp(u_peak)
    if curvature < 0 and hi > lo:
        half_width_u = math.sqrt(2.0 * drop * (hi - lo) / -curvature)
        resolution = v_peak * half_width_u
    else:
        resolution = float(v[m + 1] - v[m - 1]) / 2.0
    return _Peak(v_peak, resolution, prominence, False)


def _prepared_lines(da: xr.DataArray, *, time_zero_ns: float, remove_background: bool, max_channels: int):
    """Lines for focusing: float64 (line, trace, sample) after time zero, background removed, decimated in time."""
    axes = trace_axes(da)
    src = da.transpose(*axes)
    twt = np.asarray(src[cv.TWT].values, dtype=np.float64)
    keep = twt >= time_zero_ns
    if keep.sum() < 8:
        raise ValueError("fewer than 8 samples after time zero: nothing to focus")
    if len(axes) == 3:
        n_ch = src.sizes[cv.CHANNEL]
        chosen = np.unique(np.linspace(0, n_ch - 1, min(max_channels, n_ch)).round().astype(int))
        lines = np.asarray(src.isel({cv.CHANNEL: chosen}).values, dtype=np.float64)
    else:
        lines = np.asarray(src.values, dtype=np.float64)[None]
    lines = lines[..., keep]
    if remove_background:
        lines = lines - lines.mean(axis=1, keepdims=True)
    dt = float(np.median(np.diff(twt)))
    f_c = da.attrs.get(cv.ATTR_FREQUENCY)
    # keep ≥ 4 samples per period of 2.5 × the centre frequency: the pulse's band survives
    factor = max(1, int(1.0 / (4.0 * 2.5 * float(f_c) * 1e-9 * dt))) if f_c else 1
    if factor > 1:
        lines = scipy.signal.resample_poly(lines, 1, factor, axis=-1)
    return lines, dt * factor, float(twt[keep][0] - time_zero_ns)


def antenna_geometry(da: xr.DataArray) -> dict[str, float]:
    """The antenna height and separation a radargram's attrs give, m (0 where absent), as keyword arguments.

    Returns ``{"antenna_height_m": h, "antenna_separation_m": s}`` for
    :func:`estimate_velocity`, :func:`fit_hyperbola` and detection.
    """
    out = {}
    for attr, key in ((cv.ATTR_ANTENNA_HEIGHT, "antenna_height_m"), (cv.ATTR_ANTENNA_SEPARATION, "antenna_separation_m")):
        value = da.attrs.get(attr, 0.0)
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"attrs[{attr!r}] must be a number ≥ 0 (m), got {value!r}") from None
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"attrs[{attr!r}] must be a number ≥ 0 (m), got {value!r}")
        out[key] = value
    return out


def estimate_velocity(
    da: xr.DataArray,
    *,
    velocities_m_per_ns=None,
    region_length_m: float = 5.0,
    aperture_m: float = 1.0,
    measure: str = "varimax",
    migrator: str = "kirchhoff",
    time_zero_ns: float = 0.0,
    remove_background: bool = True,
    max_channels: int = 4,
    antenna_height_m: float | None = None,
    antenna_separation_m: float | None = None,
    radius_m: float = 0.0,
    engine: str = "numba",
) -> VelocityEstimate:
    """Velocity from the data alone: the one at which migration focuses diffractions best.

    Each line is migrated (2-D, one channel at a time) at trial velocities;
    the envelope's focusing measure is computed over the line and over
    regions of ``region_length_m`` along it, and its maximum (refined by a
    parabola in log velocity) is the estimate. A diffraction seen along any
    line through or beside a point diffractor is a hyperbola of the same
    velocity, so 2-D migration of each channel suffices.

    Parameters
    ----------
    da : xarray.DataArray, dims (trace, twt) or (channel, trace, twt)
        Common-offset radargram on a regular grid, ``distance`` (m) on trace.
    velocities_m_per_ns : array_like, optional
        Trial velocities, m/ns. Default: a coarse geometric grid over
        :data:`DEFAULT_VELOCITY_RANGE` (6 % steps), then 1 % steps within
        ±6 % of the coarse maximum.
    region_length_m : float
        Least length of the regions along the line, each with its own estimate, m.
    aperture_m : float
        Migration aperture (radius), m; the regions exclude half of it at either end of the line.
    measure : {"varimax", "entropy"}
        Focusing measure, see :func:`focusing_measure`.
    migrator : {"kirchhoff", "stolt"}
        ``"stolt"`` uses :func:`roadbed.gpr.stolt.stolt_migrate`.
    time_zero_ns : float
        Time of the ground surface on ``twt``, ns; earlier samples are dropped.
    remove_background : bool
        Subtract each line's mean trace first (flat layers do not depend on
        velocity and would only dilute the measure).
    max_channels : int
        Channels of a 3-D survey used (evenly spread).
    antenna_height_m, antenna_separation_m : float, optional
        Height of the antennas above the ground and their separation, m
        (default: the radargram's attrs, :func:`antenna_geometry`, else 0).
        With either non-zero, the migration's diffraction times are those of
        :func:`diffraction_twt` (rays refracted at the surface, bistatic
        legs) instead of the hyperbola: an air gap of a few centimetres makes
        the flanks of a shallow diffraction flatter than any single-velocity
        hyperbola, and a hyperbola then focuses at too high a velocity.
        ``time_zero_ns`` is the surface reflection.
    radius_m : float
        Radius of the diffracting pipes, m, where it is known (utility
        records, a hyperbola fit): the flanks of a pipe's diffraction are
        those of a point ``radius_m`` deeper, so focusing it as a point
        over-estimates the velocity by about ``sqrt((z0 + R) / z0)`` (5 % for
        a 10 cm pipe 0.5 m deep). Default 0: point diffractors.
    engine : {"numba", "numpy"}
        Kirchhoff kernel. Its trials migrate the traces in float32 (the
        data's precision), ρ-filtered once for all trial velocities.

    Returns
    -------
    VelocityEstimate
        ``method="focusing"``. The uncertainty combines the width of the
        focusing peak (the half-width at which the parabola through the peak
        falls by 5 % of the curve's range) and, with three or more regions
        that focus, the standard error of the regions' estimates. ``details``:
        ``velocities_m_per_ns`` and ``focusing`` (the curve), ``regions``
        (start/end m, velocity, prominence), ``peak_width_m_per_ns``,
        ``region_spread_m_per_ns``.
    """
    check_engine(engine)
    if migrator not in ("kirchhoff", "stolt"):
        raise ValueError(f"migrator must be 'kirchhoff' or 'stolt', got {migrator!r}")
    focusing_measure(np.ones(1), measure=measure)  # validates the name early
    stated = antenna_geometry(da)
    if antenna_height_m is None:
        antenna_height_m = stated["antenna_height_m"]
    if antenna_separation_m is None:
        antenna_separation_m = stated["antenna_separation_m"]
    antenna = (float(antenna_height_m), float(antenna_separation_m), float(radius_m))
    if not all(a >= 0 for a in antenna):
        raise ValueError(f"antenna_height_m, antenna_separation_m and radius_m must be ≥ 0, got {antenna}")
    if migrator == "stolt" and any(antenna):
        raise ValueError("migrator='stolt' has no antenna height, separation or radius: use 'kirchhoff'")
    lines, dt, tau0 = _prepared_lines(
        da, time_zero_ns=time_zero_ns, remove_background=remove_background, max_channels=max_channels
    )
    if cv.DISTANCE not in da.coords:
        raise ValueError("estimate_velocity needs the distance coordinate (m) on trace")
    distance = np.asarray(da[cv.DISTANCE].values, dtype=np.float64)
    dx = float(np.median(np.abs(np.diff(distance)))) if distance.size > 1 else math.nan
    if not (math.isfinite(dx) and dx > 0):
        raise ValueError(f"estimate_velocity needs traces at distinct positions: the distance coordinate of "
                         f"{distance.size} trace(s) has a median step of {dx!r} m")  # fmt: skip
    # regions between the margins, measured as trace ranges
    margin = int(math.ceil(0.5 * aperture_m / dx))
    n_tr = lines.shape[1]
    first, last = min(margin, n_tr // 4), max(n_tr - margin, n_tr - n_tr // 4)
    n_regions = max(1, int((last - first) * dx / region_length_m + 1e-6))  # each region ≥ region_length_m
    edges = np.linspace(first, last, n_regions + 1).round().astype(int)

    image = None
    if migrator == "kirchhoff":  # the ρ-filter does not depend on the velocity: once, not once per trial
        # in float32, the data's own precision: half the memory traffic of every trial's migration
        lines = _rho_filtered(lines.astype(np.float32), dt)
        image = np.empty_like(lines)  # every trial's image, written over (no fresh pages per trial)
    spans = [(0, last - first)] + [(edges[r] - first, edges[r + 1] - first) for r in range(n_regions)]

    def curves(trials: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        whole = np.zeros(trials.size)
        regional = np.zeros((trials.size, n_regions))
        for i, v in enumerate(trials):
            migrated = _migrate_lines(lines, dt, tau0, dx, float(v), aperture_m, migrator, engine, da, antenna,
                                      rho_filtered=True, out=image)  # fmt: skip
            values = _focusing_of_spans(migrated[:, first:last], spans, measure)  # the traces measured
            whole[i], regional[i] = values[0], values[1:]
        return whole, regional

    if velocities_m_per_ns is None:
        lo, hi = DEFAULT_VELOCITY_RANGE
        trials = np.geomspace(lo, hi, int(math.ceil(math.log(hi / lo) / math.log(1.06))) + 1)
        whole, regional = curves(trials)
        v_best = trials[int(np.argmax(whole))]
        fine = v_best * np.geomspace(1 / 1.06, 1.06, 13)
        near = np.min(np.abs(np.log(fine[:, None] / trials[None, :])), axis=1) < 0.005
        fine = fine[(fine > lo) & (fine < hi) & ~near]
        w2, r2 = curves(fine)
        trials = np.concatenate([trials, fine])
        whole, regional = np.concatenate([whole, w2]), np.concatenate([regional, r2])
    else:
        trials = np.asarray(velocities_m_per_ns, dtype=np.float64).ravel()
        if trials.size < 3 or np.any(~np.isfinite(trials)) or np.any(trials <= 0):
            raise ValueError("velocities_m_per_ns needs at least 3 positive finite values")
        whole, regional = curves(trials)
    order = np.argsort(trials)
    trials, whole, regional = trials[order], whole[order], regional[order]

    peak = _pick_peak(trials, whole)
    if peak.at_edge:
        logger.warning("focusing is best at the edge of the trial velocities (%.4g m/ns): widen them", peak.velocity)
    regions = []
    for r in range(n_regions):
        rp = _pick_peak(trials, regional[:, r])
        regions.append(
            {
                "start_m": float(distance[edges[r]]),
                "end_m": float(distance[min(edges[r + 1], n_tr - 1)]),
                "velocity_m_per_ns": rp.velocity,
                "prominence": rp.prominence,
                "at_edge": rp.at_edge,
            }
        )
    focused = [reg["velocity_m_per_ns"] for reg in regions if not reg["at_edge"] and reg["prominence"] >= 0.1]
    spread = float(np.std(focused, ddof=1) / math.sqrt(len(focused))) if len(focused) >= 3 else 0.0
    uncertainty = math.hypot(peak.resolution, spread)
    return VelocityEstimate.from_velocity(
        peak.velocity,
        uncertainty,
        "focusing",
        velocities_m_per_ns=trials.tolist(),
        focusing=whole.tolist(),
        measure=measure,
        regions=regions,
        peak_width_m_per_ns=peak.resolution,
        region_spread_m_per_ns=spread,
    )


def _rho_filtered(lines: np.ndarray, dt: float) -> np.ndarray:
    """The 2-D Kirchhoff ρ-filter (half derivative) of every trace, as :func:`kirchhoff_migrate_array` applies it."""
    geometry = KirchhoffGeometry(sample_interval_ns=dt, twt0_ns=0.0, trace_spacing_m=1.0, channel_spacing_m=math.nan,
                                 three_d=False, velocity_m_per_ns=1.0)  # fmt: skip
    return _rho_filter(_as_volume(lines)[0], geometry, adjoint=False)


def _energy(x: np.ndarray) -> np.ndarray:
    """``x² + H(x)²`` along the last axis: the squared envelope of ``scipy.signal.hilbert``, from real FFTs."""
    n = x.shape[-1]
    spec = scipy.fft.rfft(x, axis=-1, workers=-1)
    quadrature = np.empty_like(spec)  # −i·spec: the spectrum of the Hilbert transform for ω > 0
    quadrature.real = spec.imag
    np.negative(spec.real, out=quadrature.imag)
    quadrature[..., 0] = 0.0  # DC and (even n) Nyquist have no quadrature part
    if n % 2 == 0:
        quadrature[..., -1] = 0.0
    h = scipy.fft.irfft(quadrature, n=n, axis=-1, workers=-1)
    h *= h
    h += np.square(x)
    return h


def _migrate_lines(
    lines, dt, tau0, dx, v, aperture_m, migrator, engine, da, antenna=(0.0, 0.0, 0.0), *, rho_filtered: bool = False,
    out=None,
) -> np.ndarray:  # fmt: skip
    """Migrate each line (line, trace, sample) at velocity ``v``; returns the same shape.

    ``antenna``: (height, separation, diffractor radius), m, see :func:`diffraction_twt`.

    ``rho_filtered``: the lines went through :func:`_rho_filtered` already
    (Kirchhoff only); ``out``: a float array of their shape that a Kirchhoff
    image may be written into.
    """
    if migrator == "stolt":
        from .stolt import stolt_migrate  # another module; imported only when asked for

        out = []
        for line in lines:
            line_da = xr.DataArray(
                line.astype(np.float32),
                dims=(cv.TRACE, cv.TWT),
                coords={
                    cv.TWT: tau0 + dt * np.arange(line.shape[-1]),
                    cv.DISTANCE: (cv.TRACE, dx * np.arange(line.shape[0])),
                },
                attrs={cv.ATTR_FREQUENCY: da.attrs.get(cv.ATTR_FREQUENCY, 0.0), cv.ATTR_HISTORY: ""},
            )
            out.append(np.asarray(stolt_migrate(line_da, velocity_m_per_ns=v).transpose(cv.TRACE, cv.TWT).values))
        return np.asarray(out, dtype=np.float64)
    f_c = da.attrs.get(cv.ATTR_FREQUENCY)
    geometry = KirchhoffGeometry(
        sample_interval_ns=dt,
        twt0_ns=tau0,
        trace_spacing_m=dx,
        channel_spacing_m=math.nan,
        three_d=False,
        velocity_m_per_ns=v,
        aperture_m=aperture_m,
        max_angle_deg=60.0,
        max_frequency_hz=2.0 * float(f_c) if f_c else 0.5e9 / dt,
        rho_filter=not (rho_filtered and migrator == "kirchhoff"),
    )
    if any(antenna):
        return _refracted_migrate(lines, geometry, antenna, out=out)
    table = operator_table(geometry, lines.shape[-1], np.float64) if engine == "numba" else None
    if geometry.rho_filter:
        return kirchhoff_migrate_array(lines, geometry, engine=engine, table=table)
    return _migrate_volume(_as_volume(lines)[0], geometry, engine=engine, table=table, out=out)


def _refracted_migrate(lines: np.ndarray, geometry: KirchhoffGeometry, antenna, *, out=None) -> np.ndarray:
    """Kirchhoff migration (line, trace, sample) with :func:`diffraction_twt` times; the hyperbola's weights.

    The operator table is the hyperbola's (weights, aperture, angle and
    anti-aliasing limits), with every row's interpolation nodes moved to the
    refracted, bistatic diffraction time of a diffractor of radius ``antenna[2]``
    whose top is at the image point.
    """
    n = lines.shape[-1]
    adc, adx, k0, k1, idx, w0, w1 = operator_table(geometry, n, np.float64)
    tau = geometry.twt0_ns + geometry.sample_interval_ns * np.arange(n) - geometry.time_zero_ns
    v = geometry.velocity(n)
    depth = 0.5 * v * np.maximum(tau, 0.0)
    idx, w0, w1 = idx.copy(), w0.copy(), w1.copy()
    for row in range(adx.size):
        w = w0[row] + w1[row]
        below = tau > 0
        t = np.where(below, diffraction_twt(adx[row] * geometry.trace_spacing_m, depth, v, radius_m=antenna[2],
                                            antenna_height_m=antenna[0], antenna_separation_m=antenna[1]), tau)
        s = (t + geometry.time_zero_ns - geometry.twt0_ns) / geometry.sample_interval_ns
        inside = (s >= 0.0) & (s <= n - 1)
        i, a0, a1 = _reference.split(np.where(inside, s, 0.0), np.where(inside, w, 0.0), n)
        used = np.flatnonzero(a0 + a1)
        idx[row], w0[row], w1[row] = i, a0, a1
        k0[row], k1[row] = (used[0], used[-1] + 1) if used.size else (0, 0)
    table = (adc, adx, k0, k1, idx, w0, w1)
    if geometry.rho_filter:
        return kirchhoff_migrate_array(lines, geometry, engine="numba", table=table)
    return _migrate_volume(_as_volume(lines)[0], geometry, engine="numba", table=table, out=out)


# --- (b) hyperbola fit ----------------------------------------------------------------------
@dataclass(frozen=True)
class HyperbolaFit:
    """A diffraction hyperbola fitted to picked times.

    Attributes
    ----------
    velocity : VelocityEstimate
        ``method="hyperbola"``; the uncertainty is the standard error.
    x0_m, x0_std_m : float
        Apex position along the line and its standard error, m.
    z0_m, z0_std_m : float
        Depth to the top of the diffractor and its standard error, m.
    radius_m, radius_std_m : float or None
        Radius of a pipe and its standard error, m; None where the data do
        not resolve it (then a point diffractor, ``R = 0``, was fitted).
    apex_twt_ns : float
        Two-way time of the apex after time zero, ``2 z0 / v``, ns.
    residual_rms_ns : float
        RMS misfit of the picks, ns.
    n_points : int
        Number of picks used.
    """

    velocity: VelocityEstimate
    x0_m: float
    x0_std_m: float
    z0_m: float
    z0_std_m: float
    radius_m: float | None
    radius_std_m: float | None
    apex_twt_ns: float
    residual_rms_ns: float
    n_points: int

    def to_dict(self) -> dict:
        """The velocity's :meth:`VelocityEstimate.to_dict` and every geometric parameter."""
        out = self.velocity.to_dict()
        for name in ("x0_m", "x0_std_m", "z0_m", "z0_std_m", "radius_m", "radius_std_m", "apex_twt_ns",
                     "residual_rms_ns", "n_points"):  # fmt: skip
            out[name] = getattr(self, name)
        return out


def _hyperbola(p, x, t0, antenna=(0.0, 0.0)):
    v, x0, z0, radius = p
    if any(antenna):
        return t0 + diffraction_twt(x - x0, z0, v, radius_m=radius, antenna_height_m=antenna[0],
                                    antenna_separation_m=antenna[1])  # fmt: skip
    return t0 + (2.0 / v) * (np.sqrt((x - x0) ** 2 + (z0 + radius) ** 2) - radius)


def _least_squares(x, t, t0, p0, fit_radius: bool, antenna=(0.0, 0.0)):
    if fit_radius:
        fun = lambda p: _hyperbola(p, x, t0, antenna) - t  # noqa: E731
        lower, upper = [1e-3, -np.inf, 1e-6, 0.0], [1.0, np.inf, np.inf, np.inf]
        start = np.array(p0, dtype=np.float64)
    else:
        fun = lambda p: _hyperbola((*p, 0.0), x, t0, antenna) - t  # noqa: E731
        lower, upper = [1e-3, -np.inf, 1e-6], [1.0, np.inf, np.inf]
        start = np.array(p0[:3], dtype=np.float64)
    start = np.clip(start, np.array(lower) + 1e-9, np.array(upper) - 1e-9)
    return scipy.optimize.least_squares(fun, start, bounds=(lower, upper), x_scale="jac", xtol=1e-12, ftol=1e-12)


def _covariance(result, n: int, twt_std_ns: float | None) -> np.ndarray:
    jac = result.jac
    p = jac.shape[1]
    s2 = twt_std_ns**2 if twt_std_ns is not None else float(2.0 * result.cost / max(n - p, 1))
    try:
        return np.linalg.inv(jac.T @ jac) * s2
    except np.linalg.LinAlgError:
        return np.full((p, p), np.inf)


def fit_hyperbola(
    distance_m, twt_ns, *, time_zero_ns: float = 0.0, radius: str | bool = "auto", twt_std_ns: float | None = None,
    antenna_height_m: float = 0.0, antenna_separation_m: float = 0.0,
) -> HyperbolaFit:  # fmt: skip
    """Fit a diffraction hyperbola to picked two-way times.

    Least squares (:func:`scipy.optimize.least_squares`) on
    ``twt(x) = t₀ + (2/v)·(sqrt((x − x0)² + (z0 + R)²) − R)``, standard
    errors from the Jacobian at the solution.

    Parameters
    ----------
    distance_m : array_like, shape (n,)
        Antenna positions along the line, m.
    twt_ns : array_like, shape (n,)
        Picked two-way times of the diffraction, ns (on the data's ``twt`` axis).
    time_zero_ns : float
        Time of the ground surface on that axis, ns (``t₀``).
    radius : {"auto", True, False}
        Fit the radius ``R`` of a pipe: always, never (a point), or
        ``"auto"``: keep it only where it is resolved, estimate ≥ 3 standard
        errors and positive, else refit with ``R = 0``.
    twt_std_ns : float, optional
        Known standard deviation of the picks, ns; default: estimated from the residuals.
    antenna_height_m, antenna_separation_m : float
        Height of the antennas above the ground and their separation, m;
        with either non-zero the model is :func:`diffraction_twt` (rays
        refracted at the surface, bistatic legs), ``time_zero_ns`` the
        surface reflection, and ``apex_twt_ns`` the model's time at ``x0``.

    Returns
    -------
    HyperbolaFit
    """
    x = np.asarray(distance_m, dtype=np.float64).ravel()
    t = np.asarray(twt_ns, dtype=np.float64).ravel()
    if x.shape != t.shape:
        raise ValueError(f"distance_m and twt_ns differ in length: {x.size} and {t.size}")
    ok = np.isfinite(x) & np.isfinite(t)
    x, t = x[ok], t[ok]
    if radius not in ("auto", True, False):
        raise ValueError(f"radius must be 'auto', True or False, got {radius!r}")
    n_params = 3 if radius is False else 4
    if x.size < n_params + 1 or np.ptp(x) <= 0:
        raise ValueError(f"need at least {n_params + 1} finite picks at different positions, got {x.size}")
    if twt_std_ns is not None and not twt_std_ns > 0:
        raise ValueError(f"twt_std_ns must be positive, got {twt_std_ns!r}")
    antenna = (float(antenna_height_m), float(antenna_separation_m))
    if not (antenna[0] >= 0 and antenna[1] >= 0):
        raise ValueError(f"antenna_height_m and antenna_separation_m must be ≥ 0, got {antenna}")
    # start: apex at the earliest pick, velocity from t² linear in (x − x0)²
    i = int(np.argmin(t))
    x0, ta = x[i], max(t[i] - time_zero_ns, 1e-3)
    tau2 = (t - time_zero_ns) ** 2
    slope = np.polyfit((x - x0) ** 2, tau2, 1)[0] if np.ptp((x - x0) ** 2) > 0 else 0.0
    v0 = float(np.clip(2.0 / math.sqrt(slope), 0.01, 0.3)) if slope > 0 else 0.1
    p0 = (v0, x0, v0 * ta / 2.0, 0.05 * v0 * ta / 2.0)

    result, cov, fit_r = None, None, False
    if radius in ("auto", True):
        result = _least_squares(x, t, time_zero_ns, p0, True, antenna)
        cov = _covariance(result, x.size, twt_std_ns)
        r_hat, r_std = result.x[3], math.sqrt(max(cov[3, 3], 0.0))
        fit_r = radius is True or (r_hat > 0 and math.isfinite(r_std) and r_hat >= 3.0 * r_std)
    if not fit_r:
        result = _least_squares(x, t, time_zero_ns, p0, False, antenna)
        cov = _covariance(result, x.size, twt_std_ns)
    std = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    v, x0_hat, z0_hat = (float(p) for p in result.x[:3])
    residual = result.fun
    velocity = VelocityEstimate.from_velocity(v, float(std[0]), "hyperbola", n_points=int(x.size))
    return HyperbolaFit(
        velocity=velocity,
        x0_m=x0_hat,
        x0_std_m=float(std[1]),
        z0_m=z0_hat,
        z0_std_m=float(std[2]),
        radius_m=float(result.x[3]) if fit_r else None,
        radius_std_m=float(std[3]) if fit_r else None,
        apex_twt_ns=float(_hyperbola((v, x0_hat, z0_hat, float(result.x[3]) if fit_r else 0.0), x0_hat, 0.0, antenna))
        if any(antenna) else 2.0 * z0_hat / v,
        residual_rms_ns=float(np.sqrt(np.mean(residual**2))),
        n_points=int(x.size),
    )


def pick_hyperbola(
    da: xr.DataArray, *, distance_range_m, twt_range_ns, channel: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pick a diffraction's time on every trace of a window: the envelope's maximum.

    Parameters
    ----------
    da : xarray.DataArray, dims (trace, twt) or (channel, trace, twt)
    distance_range_m : (float, float)
        Traces whose ``distance`` is in this range, m.
    twt_range_ns : (float, float)
        Time gate, ns; it should hold the one diffraction (and no brighter event).
    channel : int, optional
        The channel of 3-D data (required there).

    Returns
    -------
    distance_m, twt_ns : ndarray, shape (n,)
        Trace positions and the picked times, refined between samples by a parabola.
    """
    axes = trace_axes(da)
    src = da.transpose(*axes)
    if len(axes) == 3:
        if channel is None:
            raise ValueError("pick_hyperbola needs channel= for 3-D data")
        src = src.isel({cv.CHANNEL: channel})
    dist = np.asarray(src[cv.DISTANCE].values, dtype=np.float64)
    twt = np.asarray(src[cv.TWT].values, dtype=np.float64)
    traces = np.flatnonzero((dist >= min(distance_range_m)) & (dist <= max(distance_range_m)))
    gate = np.flatnonzero((twt >= min(twt_range_ns)) & (twt <= max(twt_range_ns)))
    if traces.size == 0 or gate.size < 3:
        raise ValueError("the pick window holds no traces or fewer than 3 samples")
    block = np.asarray(src.isel({cv.TRACE: traces}).values, dtype=np.float64)
    env = np.abs(scipy.signal.hilbert(block, axis=-1))[:, gate]
    m = np.clip(np.argmax(env, axis=1), 1, gate.size - 2)
    rows = np.arange(traces.size)
    y0, y1, y2 = env[rows, m - 1], env[rows, m], env[rows, m + 1]
    denom = y0 - 2.0 * y1 + y2
    shift = np.where(denom < 0, 0.5 * (y0 - y2) / np.where(denom < 0, denom, 1.0), 0.0)
    dt = float(np.median(np.diff(twt)))
    return dist[traces], twt[gate][m] + np.clip(shift, -0.5, 0.5) * dt


# --- (c) wide-angle semblance --------------------------------------------------------------
def _gather(da: xr.DataArray, *, geometry: str, separation_offset_m: float, normalize: bool):
    if set(da.dims) != {cv.TRACE, cv.TWT}:
        raise ValueError(f"a WARR/CMP gather has dims (trace, twt), got {da.dims}")
    if cv.DISTANCE not in da.coords:
        raise ValueError("a WARR/CMP gather needs the distance coordinate (antenna separation, m)")
    if geometry not in ("warr", "cmp"):
        raise ValueError(f"geometry must be 'warr' or 'cmp', got {geometry!r}")
    src = da.transpose(cv.TRACE, cv.TWT)
    data = np.asarray(src.values, dtype=np.float64)
    data = data - np.median(data, axis=1, keepdims=True)  # the recorder's DC offset
    if normalize:  # each trace's energy to 1: far traces count as much as near ones
        norms = np.linalg.norm(data, axis=1, keepdims=True)
        data = data / np.where(norms > 0, norms, 1.0)
    distance = np.asarray(src[cv.DISTANCE].values, dtype=np.float64)
    # WARR: distance is the separation; CMP: distance from the midpoint, separation twice that
    separation = (distance if geometry == "warr" else 2.0 * distance) + separation_offset_m
    twt = np.asarray(src[cv.TWT].values, dtype=np.float64)
    return np.ascontiguousarray(data), np.abs(separation), twt


def warr_semblance(
    da: xr.DataArray,
    *,
    velocities_m_per_ns=None,
    moveout: str = "hyperbolic",
    geometry: str = "warr",
    separation_offset_m: float = 0.0,
    time_zero_ns: float = 0.0,
    window_ns: float | None = None,
    normalize: bool = True,
    engine: str = "numba",
) -> xr.DataArray:
    """Semblance panel of a wide-angle (WARR) or common-midpoint (CMP) gather.

    Parameters
    ----------
    da : xarray.DataArray, dims (trace, twt)
        The gather; ``distance`` (m) on trace is the antenna separation
        (WARR) or the distance of each antenna from the midpoint (CMP).
    velocities_m_per_ns : array_like, optional
        Trial velocities, m/ns; default 0.02 to 0.32 in 0.002 steps.
    moveout : {"hyperbolic", "linear"}
        ``"hyperbolic"``: reflections, ``t = t₀ + sqrt(τ² + (x/v)²)``;
        ``"linear"``: direct air and ground waves, ``t = t₀ + τ + x/v``
        (``τ`` the zero-offset time or intercept after time zero ``t₀``, ``x`` the separation).
    geometry : {"warr", "cmp"}
    separation_offset_m : float
        Added to the separation from ``distance`` (e.g. the separation of the first trace), m.
    time_zero_ns : float
        Time of zero separation at the surface on ``twt``, ns.
    window_ns : float, optional
        Length of the time window summed, ns; default one period of the
        ``frequency_hz`` attribute, else 5 samples.
    normalize : bool
        Scale every trace to unit energy first.
    engine : {"numba", "numpy"}

    Returns
    -------
    xarray.DataArray, dims (twt, velocity)
        Semblance in [0, 1]; ``twt`` is the zero-offset time (hyperbolic) or
        intercept (linear) on the input's time axis.
    """
    panel, _ = _panels(
        da, velocities_m_per_ns=velocities_m_per_ns, moveout=moveout, geometry=geometry,
        separation_offset_m=separation_offset_m, time_zero_ns=time_zero_ns, window_ns=window_ns,
        normalize=normalize, engine=engine,
    )  # fmt: skip
    return panel


def _panels(
    da, *, velocities_m_per_ns, moveout, geometry, separation_offset_m, time_zero_ns, window_ns, normalize, engine
) -> tuple[xr.DataArray, np.ndarray]:
    """The semblance panel (DataArray) and the stack along the same curves (ndarray)."""
    check_engine(engine)
    if moveout not in ("hyperbolic", "linear"):
        raise ValueError(f"moveout must be 'hyperbolic' or 'linear', got {moveout!r}")
    data, separation, twt = _gather(da, geometry=geometry, separation_offset_m=separation_offset_m, normalize=normalize)
    if twt.size < 2:
        raise ValueError("a gather needs at least 2 samples per trace")
    dt = float(np.median(np.diff(twt)))
    if velocities_m_per_ns is None:
        velocities = np.round(np.arange(0.02, 0.32 + 1e-9, 0.002), 6)
    else:
        velocities = np.asarray(velocities_m_per_ns, dtype=np.float64).ravel()
        if velocities.size == 0 or np.any(~np.isfinite(velocities)) or np.any(velocities <= 0):
            raise ValueError("velocities_m_per_ns must be positive and finite")
    if window_ns is None:
        f_c = da.attrs.get(cv.ATTR_FREQUENCY)
        window_ns = 1e9 / float(f_c) if f_c else 5 * dt
    half = max(0, int(round(0.5 * window_ns / dt)))
    args = (data, separation, velocities, float(twt[0]), dt, float(time_zero_ns), moveout == "linear", half)
    panel, stack = _kernels.semblance(*args) if engine == "numba" else _reference.semblance(*args)
    semblance = xr.DataArray(
        panel.astype(np.float32),
        dims=(cv.TWT, VELOCITY_DIM),
        coords={
            cv.TWT: (cv.TWT, twt, {cv.ATTR_UNITS: cv.UNIT_NS}),
            VELOCITY_DIM: (VELOCITY_DIM, velocities, {cv.ATTR_UNITS: cv.UNIT_M_PER_NS}),
        },
        attrs={cv.ATTR_LONG_NAME: f"{moveout} moveout semblance", cv.ATTR_UNITS: "1"},
        name="semblance",
    )
    return semblance, stack


def cmp_velocity(
    da: xr.DataArray,
    *,
    velocities_m_per_ns=None,
    moveout: str = "hyperbolic",
    twt_range_ns=None,
    geometry: str = "warr",
    separation_offset_m: float = 0.0,
    time_zero_ns: float = 0.0,
    window_ns: float | None = None,
    normalize: bool = True,
    weight_by_stack: bool = True,
    engine: str = "numba",
) -> VelocityEstimate:
    """The velocity of the strongest semblance in a WARR/CMP gather.

    Parameters are those of :func:`warr_semblance`, plus

    twt_range_ns : (float, float), optional
        The zero-offset times (or intercepts) searched, ns, e.g. after the
        direct waves for reflections.
    weight_by_stack : bool
        Pick the maximum of semblance × the envelope of the stack along the
        same curve (normalised). Semblance alone is a ratio: a curve shifted
        by a constant time samples every trace at the same phase of the
        pulse, side lobe or main lobe alike, and stays coherent; the stack's
        envelope is largest where the curve runs through the main lobe.

    Returns
    -------
    VelocityEstimate
        ``method="semblance-hyperbolic"`` or ``"semblance-linear"``. The
        uncertainty is the half-width of the semblance peak along velocity
        at 90 % of its height (a resolution, not a statistical error).
        ``details``: ``twt_ns`` (zero-offset time or intercept), ``semblance``,
        and for reflections ``depth_m = v·τ/2``.
    """
    panel, stack = _panels(
        da, velocities_m_per_ns=velocities_m_per_ns, moveout=moveout, geometry=geometry,
        separation_offset_m=separation_offset_m, time_zero_ns=time_zero_ns, window_ns=window_ns,
        normalize=normalize, engine=engine,
    )  # fmt: skip
    score = np.asarray(panel.values, dtype=np.float64)
    if weight_by_stack:
        envelope = np.abs(scipy.signal.hilbert(stack, axis=0))
        score = score * envelope / max(float(envelope.max()), 1e-300)
    if twt_range_ns is not None:
        inside = (panel[cv.TWT].values >= min(twt_range_ns)) & (panel[cv.TWT].values <= max(twt_range_ns))
        if not inside.any():
            raise ValueError(f"twt_range_ns {twt_range_ns} holds no samples")
        panel, score = panel.isel({cv.TWT: np.flatnonzero(inside)}), score[inside]
    values = np.asarray(panel.values, dtype=np.float64)
    j, k = np.unravel_index(int(np.argmax(score)), score.shape)
    velocities = np.asarray(panel[VELOCITY_DIM].values)
    row = score[j]
    v = float(velocities[k])
    if 0 < k < velocities.size - 1:
        v, _ = _parabola_peak(velocities, row, k)
    above = row >= 0.9 * row[k]
    lo = k
    while lo > 0 and above[lo - 1]:
        lo -= 1
    hi = k
    while hi < velocities.size - 1 and above[hi + 1]:
        hi += 1
    step = float(np.median(np.diff(velocities))) if velocities.size > 1 else 0.0
    width = max(0.5 * float(velocities[hi] - velocities[lo]), 0.5 * step)
    tau = float(panel[cv.TWT].values[j]) - time_zero_ns
    details = {"twt_ns": float(panel[cv.TWT].values[j]), "semblance": float(values[j, k])}
    if moveout == "hyperbolic":
        details["depth_m"] = v * tau / 2.0
    return VelocityEstimate.from_velocity(v, width, f"semblance-{moveout}", **details)
