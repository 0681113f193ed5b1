"""Synthetic 3-D GPR array surveys over layered pavement, with exact ground truth.

A scene is a stack of flat layers with buried objects in it: pipes (any plan
angle, finite or endless), cavities (air- or water-filled boxes and
ellipsoids) and clutter (stones, rebar). :func:`synthetic_survey` renders it
as a ``("channel", "trace", "twt")`` radargram and lists the objects as
:class:`~roadbed.hazards.Hazard` records in the road-local frame
(``along`` = ``distance``, ``across`` = ``offset``).

The forward model (zero-offset, ray-based)
------------------------------------------
Every arrival is a zero-phase Ricker wavelet ``amp · w(t − τ)`` added to the
trace; ``τ`` is measured from the channel's time zero (the surface).

* **Surface**: ``τ = 0``, ``amp = r(1, ε₁)`` (negative: the reference polarity).
* **Layer interfaces**: ``τ = Σ 2 hᵢ / vᵢ`` over the layers above,
  ``amp = r(εₖ, εₖ₊₁) · T · S(z)`` with ``T = Π (1 − rⱼ²)`` the two-way
  transmission through the surface and every interface above.
* **Pipes and clutter** (horizontal cylinders; a stone is a sphere, a
  zero-length cylinder): ``τ = (2/v)(sqrt(d² + (z₀+R)²) − R)`` with ``d`` the
  plan distance from the antenna to the axis (perpendicular for an endless
  pipe, so a pipe at an angle gives hyperbolas across it and flat responses
  along it), ``amp = r(ε, ε_material) · T · S(path) · cosθ``.
* **Cavities**: ``τ = 2 · path / v`` with ``path`` the distance from the
  antenna to the nearest point of the cavity (for a box, of its top face).
  Over a box's top this is the exact specular reflection, flat over its
  width; off it, the diffraction from the nearest edge or corner. The box's
  top amplitude is half at the edge (the Kirchhoff shadow boundary), rising
  to full over one Fresnel radius ``sqrt(λ z / 2)`` inside and falling as
  ``0.5 · cosθ`` outside. An ellipsoid's nearest point is its exact normal-
  incidence reflection point. Beneath each top come ``n_multiples``
  reverberations inside the fill, the k-th at ``τ + 2k·h/v_fill`` (``h`` the
  vertical chord through the reflection point) with amplitude
  ``T · (1 − r²)(−r)^(2k−1)``: an air void's bottom echo has the opposite
  sign to its top.

``S(path) = ref / max(path, ref)`` is geometric spreading (``ref`` =
``spreading_ref_m``), ``cosθ`` a simple antenna obliquity factor (vertical
depth / path), and ``exp(−2 α path)`` optional attenuation.

Approximations: straight rays and zero offset; an object's wave speed ``v``
is the *average* velocity above its top, ``z / t(z)`` — the time-weighted
mean of the layer velocities — so apex times are exact in any layering while
flank times bend no rays; a plastic pipe's thin wall is ignored (the pipe is
its fill); no interaction between objects.

Reflection coefficient from medium 1 into 2:
``r = (sqrt ε₁ − sqrt ε₂)/(sqrt ε₁ + sqrt ε₂)``; metal is ``r = −1``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .. import conventions as cv
from ..hazards import Hazard
from ..model import append_history, radargram
from . import _kernels, _reference

__all__ = [
    "Layer",
    "Pipe",
    "Cavity",
    "Scatterer",
    "GprScene",
    "MATERIAL_PERMITTIVITY",
    "DEFAULT_LAYERS",
    "velocity",
    "reflection_coefficient",
    "interface_twt_ns",
    "average_velocity",
    "simulate",
    "synthetic_survey",
    "synthetic_line",
    "ground_truth",
    "random_stones",
    "rebar_grid",
]

logger = logging.getLogger(__name__)

SOURCE = "roadbed.synth"

#: relative permittivity of each material name; metal is a perfect conductor (r = −1)
MATERIAL_PERMITTIVITY = {
    "air": 1.0,
    "plastic": 1.0,  # an air-filled plastic pipe: the thin wall is ignored
    "water": 81.0,
    "stone": 8.0,
    "concrete": 9.0,
    "metal": math.inf,
}
PIPE_MATERIALS = ("metal", "plastic", "water")
CAVITY_FILLS = ("air", "water")
CAVITY_SHAPES = ("box", "ellipsoid")
ENGINES = ("numba", "numpy")


def _positive(name: str, value: float, *, allow_inf: bool = False) -> None:
    if not (value > 0) or (math.isinf(value) and not allow_inf) or math.isnan(value):
        raise ValueError(f"{name} must be a positive{'' if allow_inf else ' finite'} number, got {value!r}")


def _finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")


def _material(name: str, allowed: Sequence[str]) -> None:
    if name not in allowed:
        raise ValueError(f"material must be one of {tuple(allowed)}, got {name!r}")


@dataclass(frozen=True)
class Layer:
    """One flat layer of the pavement structure.

    Attributes
    ----------
    thickness_m : float
        Thickness, m. The last layer of a scene is a half-space: its
        thickness is ignored (``math.inf`` reads best).
    relative_permittivity : float
        ε_r ≥ 1.
    name : str
        E.g. ``"asphalt"``.
    """

    thickness_m: float
    relative_permittivity: float
    name: str = ""

    def __post_init__(self):
        _positive("Layer.thickness_m", self.thickness_m, allow_inf=True)
        if not (1.0 <= self.relative_permittivity < math.inf):
            raise ValueError(f"Layer.relative_permittivity must be ≥ 1 and finite, got {self.relative_permittivity!r}")


@dataclass(frozen=True)
class Pipe:
    """A buried pipe: a horizontal cylinder, straight in plan.

    Attributes
    ----------
    along_m, across_m : float
        A point of the axis in plan (the centre of a finite pipe), m.
    depth_m : float
        Depth to the top of the pipe, m (> 0).
    radius_m : float
        Outer radius, m.
    material : str
        ``"metal"``, ``"plastic"`` (air-filled) or ``"water"`` (water-filled plastic).
    angle_deg : float
        Plan angle of the axis from the across-track direction, degrees:
        0 crosses the survey lines at right angles, 90 runs along them.
    length_m : float
        Length, m; ``math.inf`` for a pipe through the whole survey.
    """

    along_m: float
    across_m: float
    depth_m: float
    radius_m: float
    material: str = "metal"
    angle_deg: float = 0.0
    length_m: float = math.inf

    def __post_init__(self):
        _finite("Pipe.along_m", self.along_m)
        _finite("Pipe.across_m", self.across_m)
        _finite("Pipe.angle_deg", self.angle_deg)
        _positive("Pipe.depth_m", self.depth_m)
        _positive("Pipe.radius_m", self.radius_m)
        _positive("Pipe.length_m", self.length_m, allow_inf=True)
        _material(self.material, PIPE_MATERIALS)

    @classmethod
    def between(cls, start_m, end_m, *, depth_m: float, radius_m: float, material: str = "metal") -> Pipe:
        """The pipe from ``start_m`` to ``end_m``, each ``(along_m, across_m)`` in plan."""
        (a0, c0), (a1, c1) = start_m, end_m
        length = math.hypot(a1 - a0, c1 - c0)
        _positive("distance between the pipe's ends", length)
        angle = math.degrees(math.atan2(a1 - a0, c1 - c0))
        return cls((a0 + a1) / 2, (c0 + c1) / 2, depth_m, radius_m, material, angle, length)


@dataclass(frozen=True)
class Cavity:
    """A void under the road: an axis-aligned box or ellipsoid.

    Attributes
    ----------
    along_m, across_m : float
        Centre in plan, m.
    depth_m : float
        Depth to the top, m (> 0).
    length_m, width_m, height_m : float
        Extent along, across and vertically, m (an ellipsoid's axes).
    fill : str
        ``"air"`` or ``"water"``.
    shape : str
        ``"box"`` or ``"ellipsoid"``.
    """

    along_m: float
    across_m: float
    depth_m: float
    length_m: float
    width_m: float
    height_m: float
    fill: str = "air"
    shape: str = "box"

    def __post_init__(self):
        _finite("Cavity.along_m", self.along_m)
        _finite("Cavity.across_m", self.across_m)
        for name in ("depth_m", "length_m", "width_m", "height_m"):
            _positive(f"Cavity.{name}", getattr(self, name))
        if self.fill not in CAVITY_FILLS:
            raise ValueError(f"Cavity.fill must be one of {CAVITY_FILLS}, got {self.fill!r}")
        if self.shape not in CAVITY_SHAPES:
            raise ValueError(f"Cavity.shape must be one of {CAVITY_SHAPES}, got {self.shape!r}")

    @property
    def volume_m3(self) -> float:
        """Volume, m³."""
        box = self.length_m * self.width_m * self.height_m
        return box if self.shape == "box" else math.pi / 6.0 * box


@dataclass(frozen=True)
class Scatterer:
    """Clutter: a stone (sphere) or, with a length, a bar (rebar).

    Attributes
    ----------
    along_m, across_m : float
        Centre in plan, m.
    depth_m : float
        Depth to the top, m (> 0).
    radius_m : float
        Radius, m.
    material : str
        A key of :data:`MATERIAL_PERMITTIVITY`.
    length_m : float
        0 for a point scatterer; a bar's length otherwise, m.
    angle_deg : float
        A bar's plan angle from the across-track direction, degrees.
    """

    along_m: float
    across_m: float
    depth_m: float
    radius_m: float = 0.02
    material: str = "stone"
    length_m: float = 0.0
    angle_deg: float = 0.0

    def __post_init__(self):
        _finite("Scatterer.along_m", self.along_m)
        _finite("Scatterer.across_m", self.across_m)
        _finite("Scatterer.angle_deg", self.angle_deg)
        _positive("Scatterer.depth_m", self.depth_m)
        _positive("Scatterer.radius_m", self.radius_m)
        if not 0.0 <= self.length_m < math.inf:
            raise ValueError(f"Scatterer.length_m must be ≥ 0 and finite, got {self.length_m!r}")
        _material(self.material, tuple(MATERIAL_PERMITTIVITY))


#: asphalt over base course over subgrade
DEFAULT_LAYERS = (
    Layer(0.10, 5.0, "asphalt"),
    Layer(0.30, 7.0, "base"),
    Layer(math.inf, 12.0, "subgrade"),
)


@dataclass(frozen=True)
class GprScene:
    """Everything under the road that the synthetic radar sees.

    Attributes
    ----------
    layers : tuple of Layer
        Top down; at least one. The last is a half-space.
    pipes, cavities, scatterers : tuple
        The buried objects.
    """

    layers: tuple[Layer, ...] = DEFAULT_LAYERS
    pipes: tuple[Pipe, ...] = ()
    cavities: tuple[Cavity, ...] = ()
    scatterers: tuple[Scatterer, ...] = ()

    def __post_init__(self):
        for name, kind in (("layers", Layer), ("pipes", Pipe), ("cavities", Cavity), ("scatterers", Scatterer)):
            items = tuple(getattr(self, name))
            if any(not isinstance(item, kind) for item in items):
                raise TypeError(f"GprScene.{name} must hold {kind.__name__} objects")
            object.__setattr__(self, name, items)
        if not self.layers:
            raise ValueError("GprScene needs at least one layer")


# --- physics -----------------------------------------------------------------------
def velocity(relative_permittivity) -> np.ndarray | float:
    """Wave speed ``c / sqrt(ε_r)`` in m/ns."""
    return cv.C_M_PER_NS / np.sqrt(relative_permittivity)


def reflection_coefficient(eps1: float, eps2: float) -> float:
    """Normal-incidence amplitude reflection coefficient from medium 1 into medium 2.

    ``(sqrt ε₁ − sqrt ε₂) / (sqrt ε₁ + sqrt ε₂)``; −1 for a perfect conductor
    (``eps2 = inf``).
    """
    if math.isinf(eps2):
        return -1.0
    a, b = math.sqrt(eps1), math.sqrt(eps2)
    return (a - b) / (a + b)


class _Stack:
    """The layer stack's depths, times and transmission losses."""

    def __init__(self, layers: Sequence[Layer]):
        self.eps = np.array([layer.relative_permittivity for layer in layers])
        self.v = velocity(self.eps)
        # depths of the interfaces below each layer but the last (a half-space)
        self.interfaces = np.cumsum([layer.thickness_m for layer in layers[:-1]])
        self.r_surface = reflection_coefficient(1.0, self.eps[0])
        self.r = np.array([reflection_coefficient(self.eps[i], self.eps[i + 1]) for i in range(len(layers) - 1)])

    def index(self, depth: float) -> int:
        """Index of the layer holding ``depth`` (the lower one on an interface)."""
        return int(np.searchsorted(self.interfaces, depth, side="right"))

    def oneway_ns(self, depth: float) -> float:
        k = self.index(depth)
        tops = np.concatenate([[0.0], self.interfaces])
        bottoms = np.concatenate([self.interfaces, [np.inf]])
        inside = np.clip(depth - tops[: k + 1], 0.0, (bottoms - tops)[: k + 1])
        return float(np.sum(inside / self.v[: k + 1]))

    def average_velocity(self, depth: float) -> float:
        return depth / self.oneway_ns(depth)

    def transmission(self, depth: float) -> float:
        """Two-way transmission through the surface and every interface above ``depth``."""
        k = self.index(depth)
        return (1.0 - self.r_surface**2) * float(np.prod(1.0 - self.r[:k] ** 2))

    def coefficient(self, depth: float, eps_object: float) -> float:
        return reflection_coefficient(self.eps[self.index(depth)], eps_object)


def interface_twt_ns(layers: Sequence[Layer]) -> np.ndarray:
    """Two-way times (ns after time zero) of the layer interfaces, ``Σ 2 hᵢ/vᵢ``.

    Returns
    -------
    numpy.ndarray, shape (n_layers − 1,)
    """
    stack = _Stack(list(layers))
    return 2.0 * np.cumsum(np.array([layer.thickness_m for layer in layers[:-1]]) / stack.v[:-1])


def average_velocity(layers: Sequence[Layer], depth_m: float) -> float:
    """Average (time-weighted) velocity from the surface to ``depth_m``, m/ns."""
    _positive("depth_m", depth_m)
    return _Stack(list(layers)).average_velocity(depth_m)


# --- event tables ----------------------------------------------------------------------
def _unit(angle_deg: float) -> tuple[float, float]:
    """Plan unit vector (along, across) of an axis at ``angle_deg`` from the across direction."""
    theta = math.radians(angle_deg)
    return math.sin(theta), math.cos(theta)


def _event_tables(scene: GprScene) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    stack = _Stack(scene.layers)
    flat = np.zeros((1 + stack.interfaces.size, _kernels.FLAT_NCOL))
    flat[0, _kernels.FLAT_COEF] = stack.r_surface
    flat[1:, _kernels.FLAT_TWT] = interface_twt_ns(scene.layers)
    flat[1:, _kernels.FLAT_DEPTH] = stack.interfaces
    for i, depth in enumerate(stack.interfaces):
        flat[1 + i, _kernels.FLAT_COEF] = stack.r[i] * (1.0 - stack.r_surface**2) * np.prod(1.0 - stack.r[:i] ** 2)

    rows = []
    for obj in (*scene.pipes, *scene.scatterers):
        ux, uy = _unit(obj.angle_deg)
        eps = MATERIAL_PERMITTIVITY[obj.material]
        coef = stack.coefficient(obj.depth_m, eps) * stack.transmission(obj.depth_m)
        rows.append(
            (obj.along_m, obj.across_m, ux, uy, obj.length_m / 2.0, obj.depth_m + obj.radius_m,
             obj.radius_m, coef, stack.average_velocity(obj.depth_m))
        )  # fmt: skip
    cyl = np.array(rows, dtype=np.float64).reshape(-1, _kernels.CYL_NCOL)

    rows = []
    for cav in scene.cavities:
        eps_fill = MATERIAL_PERMITTIVITY[cav.fill]
        shape = _kernels.SHAPE_BOX if cav.shape == "box" else _kernels.SHAPE_ELLIPSOID
        rows.append(
            (shape, cav.along_m, cav.across_m, cav.length_m / 2.0, cav.width_m / 2.0, cav.height_m / 2.0,
             cav.depth_m, stack.coefficient(cav.depth_m, eps_fill), stack.transmission(cav.depth_m),
             stack.average_velocity(cav.depth_m), float(velocity(eps_fill)))
        )  # fmt: skip
    cav = np.array(rows, dtype=np.float64).reshape(-1, _kernels.CAV_NCOL)
    return flat, cyl, cav


def simulate(
    scene: GprScene,
    *,
    along_m,
    across_m,
    time_zero_ns,
    sample_interval_ns: float,
    n_samples: int,
    frequency_hz: float,
    n_multiples: int = 2,
    spreading_ref_m: float = 0.1,
    attenuation_db_per_m: float = 0.0,
    engine: str = "numba",
) -> np.ndarray:
    """Noise-free synthetic array data as a bare ndarray.

    Parameters
    ----------
    scene : GprScene
    along_m : array_like, shape (n_traces,)
        Along-track antenna positions, m.
    across_m : array_like, shape (n_channels,)
        Across-track antenna positions, m.
    time_zero_ns : float or array_like, shape (n_channels,)
        Time of the ground surface in each channel, ns.
    sample_interval_ns : float
        Sample interval, ns; sample ``i`` is at ``i · sample_interval_ns``.
    n_samples : int
        Samples per trace.
    frequency_hz : float
        Ricker centre frequency, Hz.
    n_multiples : int
        Reverberations drawn under each cavity top.
    spreading_ref_m : float
        Path length (m) below which spreading loss is 1.
    attenuation_db_per_m : float
        Amplitude loss per metre of two-way path, dB/m.
    engine : {"numba", "numpy"}
        ``"numpy"`` is the slow reference (small scenes only).

    Returns
    -------
    numpy.ndarray, shape (n_channels, n_traces, n_samples), float32
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    along = np.ascontiguousarray(along_m, dtype=np.float64).reshape(-1)
    across = np.ascontiguousarray(across_m, dtype=np.float64).reshape(-1)
    t0 = np.ascontiguousarray(np.broadcast_to(np.asarray(time_zero_ns, dtype=np.float64), across.shape))
    if not (np.all(np.isfinite(along)) and np.all(np.isfinite(across)) and np.all(np.isfinite(t0))):
        raise ValueError("antenna positions and time zero must be finite")
    _positive("sample_interval_ns", sample_interval_ns)
    _positive("frequency_hz", frequency_hz)
    _positive("spreading_ref_m", spreading_ref_m)
    if int(n_samples) < 1 or int(n_multiples) < 0:
        raise ValueError(f"n_samples must be ≥ 1 and n_multiples ≥ 0, got {n_samples}, {n_multiples}")
    if not attenuation_db_per_m >= 0:
        raise ValueError(f"attenuation_db_per_m must be ≥ 0, got {attenuation_db_per_m!r}")
    flat, cyl, cav = _event_tables(scene)
    alpha = attenuation_db_per_m * math.log(10.0) / 20.0  # dB/m → Np/m
    impl = _kernels if engine == "numba" else _reference
    return impl.gpr_array(
        along, across, t0, float(sample_interval_ns), int(n_samples), frequency_hz * 1e-9,
        flat, cyl, cav, int(n_multiples), float(spreading_ref_m), alpha,
    )  # fmt: skip


# --- ground truth ---------------------------------------------------------------------
def _clip_line(cx, cy, ux, uy, half_length, box) -> tuple[float, float] | None:
    """Parameter range [s0, s1] of ``c + s·u`` (|s| ≤ half_length) inside ``box`` (Liang–Barsky)."""
    x0, x1, y0, y1 = box
    s0, s1 = -half_length, half_length
    for p, q in ((-ux, cx - x0), (ux, x1 - cx), (-uy, cy - y0), (uy, y1 - cy)):
        if abs(p) < 1e-12:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            s0 = max(s0, t)
        else:
            s1 = min(s1, t)
    return (s0, s1) if s0 <= s1 else None


def _axis_hazard(obj, kind: str, box, attributes: dict) -> Hazard | None:
    ux, uy = _unit(obj.angle_deg)
    clipped = _clip_line(obj.along_m, obj.across_m, ux, uy, obj.length_m / 2.0, box)
    if clipped is None:
        return None
    s0, s1 = clipped
    ends = [(obj.along_m + s * ux, obj.across_m + s * uy, obj.depth_m) for s in (s0, s1)]
    if s1 == s0:
        return Hazard(kind, "point", ends[:1], attributes, source=SOURCE)
    return Hazard(kind, "polyline", ends, {**attributes, "length_m": s1 - s0}, source=SOURCE)


def _outline(cav: Cavity, n_vertices: int = 32) -> list[tuple[float, float, float]]:
    a, b = cav.length_m / 2.0, cav.width_m / 2.0
    if cav.shape == "box":
        corners = ((-a, -b), (a, -b), (a, b), (-a, b))
    else:
        angles = np.linspace(0.0, 2.0 * np.pi, n_vertices, endpoint=False)
        corners = zip(a * np.cos(angles), b * np.sin(angles), strict=True)
    return [(cav.along_m + dx, cav.across_m + dy, cav.depth_m) for dx, dy in corners]


def ground_truth(scene: GprScene, *, along_range_m, across_range_m) -> list[Hazard]:
    """The scene's objects inside a survey area as hazard records.

    Pipes and bars become polylines of their top, clipped to the area;
    cavities polygons (their outline in plan, at depth to top) where their
    footprint meets the area; stones points (kind ``"other"``).

    Parameters
    ----------
    scene : GprScene
    along_range_m, across_range_m : (float, float)
        The survey area in the road-local frame, m.

    Returns
    -------
    list of Hazard
        Pipes, then cavities, then clutter; confidence 1.
    """
    box = (*sorted(along_range_m), *sorted(across_range_m))
    out = []
    for pipe in scene.pipes:
        attrs = {"diameter_m": 2.0 * pipe.radius_m, "material": pipe.material, "angle_deg": pipe.angle_deg}
        hazard = _axis_hazard(pipe, "pipe", box, attrs)
        if hazard is not None:
            out.append(hazard)
    for cav in scene.cavities:
        a, b = cav.length_m / 2.0, cav.width_m / 2.0
        if cav.along_m + a < box[0] or cav.along_m - a > box[1] or cav.across_m + b < box[2] or cav.across_m - b > box[3]:
            continue
        attrs = {
            "width_m": cav.width_m,
            "length_m": cav.length_m,
            "height_m": cav.height_m,
            "volume_m3": cav.volume_m3,
            "fill": cav.fill,
            "shape": cav.shape,
        }
        out.append(Hazard("cavity", "polygon", _outline(cav), attrs, source=SOURCE))
    for sc in scene.scatterers:
        attrs = {"diameter_m": 2.0 * sc.radius_m, "material": sc.material}
        if sc.length_m > 0:
            hazard = _axis_hazard(sc, "other", box, attrs)
            if hazard is not None:
                out.append(hazard)
        elif box[0] <= sc.along_m <= box[1] and box[2] <= sc.across_m <= box[3]:
            out.append(Hazard("other", "point", [(sc.along_m, sc.across_m, sc.depth_m)], attrs, source=SOURCE))
    return out


# --- public generators ----------------------------------------------------------------
def synthetic_survey(
    scene: GprScene,
    *,
    n_channels: int = 20,
    n_traces: int = 2000,
    n_samples: int = 512,
    trace_spacing_m: float = 0.02,
    channel_spacing_m: float = 0.075,
    start_m: float = 0.0,
    time_window_ns: float = 50.0,
    frequency_hz: float = 600e6,
    time_zero_ns=3.0,
    n_multiples: int = 2,
    spreading_ref_m: float = 0.1,
    attenuation_db_per_m: float = 0.0,
    noise_std: float = 0.0,
    rng=None,
    engine: str = "numba",
) -> tuple[xr.DataArray, list[Hazard]]:
    """A synthetic 3-D GPR array survey and its ground truth.

    The channels are ``channel_spacing_m`` apart, centred on the survey line
    (offset 0); trace ``j`` is at ``start_m + j · trace_spacing_m``.

    Parameters
    ----------
    scene : GprScene
    n_channels, n_traces, n_samples : int
        Shape of the output.
    trace_spacing_m, channel_spacing_m : float
        Along- and across-track sampling, m.
    start_m : float
        Distance of the first trace, m.
    time_window_ns : float
        Record length, ns; the sample interval is ``time_window_ns / n_samples``.
    frequency_hz : float
        Antenna centre frequency, Hz (urban arrays: 200 MHz–2 GHz).
    time_zero_ns : float or array_like, shape (n_channels,)
        Time of the ground surface in each channel (antenna height, cable delay), ns.
    n_multiples : int
        Reverberations drawn under each cavity top.
    spreading_ref_m : float
        Path length (m) below which spreading loss is 1.
    attenuation_db_per_m : float
        Loss per metre of two-way path, dB/m.
    noise_std : float
        Standard deviation of white Gaussian noise, in amplitude units (the
        surface reflection of asphalt with ε = 5 is −0.38).
    rng : numpy.random.Generator or int or None
        Source of the noise (seed it for repeatable noise).
    engine : {"numba", "numpy"}
        ``"numpy"`` is the slow reference.

    Returns
    -------
    radargram : xarray.DataArray, dims ("channel", "trace", "twt"), float32
        With ``twt`` (ns), ``distance`` (m), ``offset`` (m) and attrs.
    truth : list of Hazard
        The scene's objects inside the surveyed area (along: first to last
        trace; across: the channels' strips, each ``channel_spacing_m`` wide).
    """
    n_channels, n_traces, n_samples = int(n_channels), int(n_traces), int(n_samples)
    if min(n_channels, n_traces, n_samples) < 1:
        raise ValueError(f"need at least one channel, trace and sample, got {n_channels}, {n_traces}, {n_samples}")
    _positive("trace_spacing_m", trace_spacing_m)
    _positive("channel_spacing_m", channel_spacing_m)
    _positive("time_window_ns", time_window_ns)
    if not noise_std >= 0:
        raise ValueError(f"noise_std must be ≥ 0, got {noise_std!r}")
    along = start_m + trace_spacing_m * np.arange(n_traces)
    offsets = channel_spacing_m * (np.arange(n_channels) - (n_channels - 1) / 2.0)
    t0 = np.asarray(time_zero_ns, dtype=np.float64)
    if t0.ndim > 1 or (t0.ndim == 1 and t0.shape != (n_channels,)):
        raise ValueError(f"time_zero_ns must be a number or have shape ({n_channels},), got shape {t0.shape}")
    dt = time_window_ns / n_samples
    data = simulate(
        scene,
        along_m=along,
        across_m=offsets,
        time_zero_ns=t0,
        sample_interval_ns=dt,
        n_samples=n_samples,
        frequency_hz=frequency_hz,
        n_multiples=n_multiples,
        spreading_ref_m=spreading_ref_m,
        attenuation_db_per_m=attenuation_db_per_m,
        engine=engine,
    )
    if noise_std > 0:
        generator = np.random.default_rng(rng)
        data += np.float32(noise_std) * generator.standard_normal(data.shape, dtype=np.float32)
    attrs = {
        cv.ATTR_FREQUENCY: float(frequency_hz),
        cv.ATTR_SAMPLE_INTERVAL: dt,
        cv.ATTR_TIME_WINDOW: float(time_window_ns),
        cv.ATTR_TRACE_SPACING: float(trace_spacing_m),
        cv.ATTR_RELATIVE_PERMITTIVITY: float(scene.layers[0].relative_permittivity),
        cv.ATTR_INSTRUMENT: SOURCE,
        cv.ATTR_ANTENNA: f"Ricker {frequency_hz / 1e6:g} MHz",
        cv.ATTR_TIME_ZERO: t0.tolist(),
    }
    da = radargram(data, twt_ns=dt * np.arange(n_samples), distance_m=along, offset_m=offsets, attrs=attrs)
    da = append_history(
        da,
        "synthetic_survey",
        n_layers=len(scene.layers),
        n_pipes=len(scene.pipes),
        n_cavities=len(scene.cavities),
        n_scatterers=len(scene.scatterers),
        frequency_hz=frequency_hz,
        n_multiples=n_multiples,
        spreading_ref_m=spreading_ref_m,
        attenuation_db_per_m=attenuation_db_per_m,
        noise_std=noise_std,
    )
    half = channel_spacing_m / 2.0
    truth = ground_truth(
        scene,
        along_range_m=(along[0], along[-1]),
        across_range_m=(offsets[0] - half, offsets[-1] + half),
    )
    logger.debug("synthetic survey %s with %d ground-truth hazards", data.shape, len(truth))
    return da, truth


def synthetic_line(scene: GprScene, *, offset_m: float = 0.0, channel_spacing_m: float = 0.075, **options):
    """A single synthetic profile (one channel) and its ground truth.

    Parameters
    ----------
    scene : GprScene
    offset_m : float
        Across-track position of the line, m.
    channel_spacing_m : float
        Width of the strip whose objects count as ground truth, m.
    **options
        Any option of :func:`synthetic_survey` except ``n_channels``;
        ``time_zero_ns`` must be a number.

    Returns
    -------
    radargram : xarray.DataArray, dims ("trace", "twt")
        With the ``offset`` kept as a scalar coordinate.
    truth : list of Hazard
    """
    if "n_channels" in options:
        raise TypeError("synthetic_line makes one channel; n_channels is not an option")
    shifted = GprScene(
        layers=scene.layers,
        pipes=tuple(_shift(p, -offset_m) for p in scene.pipes),
        cavities=tuple(_shift(c, -offset_m) for c in scene.cavities),
        scatterers=tuple(_shift(s, -offset_m) for s in scene.scatterers),
    )
    da, truth = synthetic_survey(shifted, n_channels=1, channel_spacing_m=channel_spacing_m, **options)
    line = da.isel({cv.CHANNEL: 0}, drop=True).assign_coords({cv.OFFSET: ((), float(offset_m), da[cv.OFFSET].attrs)})
    truth = [_shift_hazard(h, offset_m) for h in truth]
    return line, truth


def _shift(obj, d_across: float):
    return dataclasses.replace(obj, across_m=obj.across_m + d_across)


def _shift_hazard(h: Hazard, d_across: float) -> Hazard:
    verts = tuple((a, c + d_across, z) for a, c, z in h.vertices)
    return Hazard(h.kind, h.geometry_type, verts, h.attributes, h.confidence, h.source)


# --- clutter helpers --------------------------------------------------------------------
def random_stones(
    rng,
    n: int,
    *,
    along_range_m,
    across_range_m,
    depth_range_m=(0.05, 0.5),
    radius_range_m=(0.01, 0.04),
    material: str = "stone",
) -> tuple[Scatterer, ...]:
    """``n`` stones placed uniformly at random.

    Parameters
    ----------
    rng : numpy.random.Generator or int
    n : int
    along_range_m, across_range_m, depth_range_m, radius_range_m : (float, float)
        Uniform ranges, m (depth to the top of each stone).
    material : str

    Returns
    -------
    tuple of Scatterer
    """
    g = np.random.default_rng(rng)
    cols = [g.uniform(*r, size=int(n)) for r in (along_range_m, across_range_m, depth_range_m, radius_range_m)]
    return tuple(Scatterer(float(a), float(c), float(z), float(r), material) for a, c, z, r in zip(*cols, strict=True))


def rebar_grid(
    *, along_range_m, across_range_m, depth_m: float, spacing_m: float = 0.2, radius_m: float = 0.006
) -> tuple[Scatterer, ...]:
    """A reinforcement mesh: metal bars across and along the road at one depth.

    Parameters
    ----------
    along_range_m, across_range_m : (float, float)
        Extent of the mesh, m.
    depth_m : float
        Depth to the top of the transverse bars, m; the longitudinal bars lie
        just beneath them.
    spacing_m : float
        Bar spacing in both directions, m.
    radius_m : float
        Bar radius, m.

    Returns
    -------
    tuple of Scatterer
        Transverse bars (angle 0) then longitudinal bars (angle 90).
    """
    _positive("spacing_m", spacing_m)
    (a0, a1), (c0, c1) = sorted(along_range_m), sorted(across_range_m)
    bars = []
    for a in np.arange(a0, a1 + 1e-9, spacing_m):
        bars.append(Scatterer(float(a), (c0 + c1) / 2, depth_m, radius_m, "metal", c1 - c0, 0.0))
    for c in np.arange(c0, c1 + 1e-9, spacing_m):
        bars.append(Scatterer((a0 + a1) / 2, float(c), depth_m + 2 * radius_m, radius_m, "metal", a1 - a0, 90.0))
    return tuple(bars)
