"""Synthetic laser pavement scans (LCMS-like) with exact ground truth.

:func:`synthetic_pavement` renders a lane as an :class:`xarray.Dataset` with
``elevation`` (mm) and ``intensity`` (0–1) on ``("along", "across")`` at mm
resolution, with cracks, ruts, potholes, macrotexture, cross slope and grade,
and lists the distresses as :class:`~roadbed.hazards.Hazard` records.

Surface model
-------------
``elevation = grade·along + cross_slope·across + texture − ruts − max(crack, pothole)``

* **texture**: Gaussian-filtered white noise (correlation length
  ``texture_scale_mm``), scaled so that its mean profile depth
  (:func:`mean_profile_depth`, ISO 13473-1, along-track profiles) is exactly
  ``texture_mpd_mm``;
* **ruts**: a raised-cosine (Hann) trough along the whole scan,
  ``depth · cos²(π (across − centre) / width)`` within ``width``;
* **cracks**: flat-bottomed slots ``depth_mm`` deep in every cell whose
  centre is within ``width_mm / 2`` of the crack's centre line;
* **potholes**: paraboloid bowls ``depth · (1 − (r/R)²)``, so the area is
  ``π R²``, the maximum depth ``depth`` and the mean depth ``depth / 2``.

Cracks and potholes are depths below the local (textured) surface; where they
overlap the deeper one wins. Intensity is darker in cracks and potholes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy import ndimage

from .. import conventions as cv
from ..hazards import Hazard
from ..model import append_history, coord_attrs
from ..pavement.texture import MPD_BASELINE_MM, mean_profile_depth
from . import _kernels, _reference

__all__ = [
    "CRACK_TYPES",
    "Crack",
    "Rut",
    "Pothole",
    "random_crack",
    "crack_network",
    "rasterise",
    "mean_profile_depth",
    "synthetic_pavement",
]

logger = logging.getLogger(__name__)

SOURCE = "roadbed.synth"
#: crack patterns (AASHTO R85 words)
CRACK_TYPES = ("longitudinal", "transverse", "alligator", "block")
ENGINES = ("numba", "numpy")


def _positive(name: str, value: float) -> None:
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")


@dataclass(frozen=True)
class Crack:
    """A crack: a centre-line polyline with a width and a depth.

    Attributes
    ----------
    vertices : tuple of (along_m, across_m)
        Centre line in the road-local frame, m; at least one vertex.
    width_mm, depth_mm : float
        Opening width and depth, mm.
    crack_type : str
        One of :data:`CRACK_TYPES`.
    """

    vertices: tuple[tuple[float, float], ...]
    width_mm: float
    depth_mm: float
    crack_type: str = "longitudinal"

    def __post_init__(self):
        verts = tuple((float(a), float(c)) for a, c in self.vertices)
        if not verts or not all(math.isfinite(v) for p in verts for v in p):
            raise ValueError("Crack.vertices must be a non-empty sequence of finite (along_m, across_m)")
        object.__setattr__(self, "vertices", verts)
        _positive("Crack.width_mm", self.width_mm)
        _positive("Crack.depth_mm", self.depth_mm)
        if self.crack_type not in CRACK_TYPES:
            raise ValueError(f"Crack.crack_type must be one of {CRACK_TYPES}, got {self.crack_type!r}")

    @property
    def length_m(self) -> float:
        """Length of the centre line, m."""
        v = np.asarray(self.vertices)
        return float(np.sum(np.hypot(*np.diff(v, axis=0).T))) if len(v) > 1 else 0.0


@dataclass(frozen=True)
class Rut:
    """A wheel-path rut running the whole length of the scan.

    Attributes
    ----------
    across_m : float
        Centre of the wheel path, m.
    width_m : float
        Full width of the trough, m.
    depth_mm : float
        Depth at the centre, mm (what a 1.8 m straightedge measures on a flat road).
    wheel_path : str
        Label, e.g. ``"left"``.
    """

    across_m: float
    width_m: float
    depth_mm: float
    wheel_path: str = ""

    def __post_init__(self):
        if not math.isfinite(self.across_m):
            raise ValueError(f"Rut.across_m must be finite, got {self.across_m!r}")
        _positive("Rut.width_m", self.width_m)
        _positive("Rut.depth_mm", self.depth_mm)


@dataclass(frozen=True)
class Pothole:
    """A bowl-shaped pothole.

    Attributes
    ----------
    along_m, across_m : float
        Centre, m.
    radius_m : float
        Radius of its rim, m.
    depth_mm : float
        Maximum depth (at the centre), mm.
    """

    along_m: float
    across_m: float
    radius_m: float
    depth_mm: float

    def __post_init__(self):
        if not (math.isfinite(self.along_m) and math.isfinite(self.across_m)):
            raise ValueError("Pothole centre must be finite")
        _positive("Pothole.radius_m", self.radius_m)
        _positive("Pothole.depth_mm", self.depth_mm)

    @property
    def area_m2(self) -> float:
        return math.pi * self.radius_m**2

    @property
    def volume_m3(self) -> float:
        """Volume of the paraboloid bowl, m³ (half the cylinder's)."""
        return self.area_m2 * self.depth_mm * 1e-3 / 2.0


# --- crack patterns ----------------------------------------------------------------
def random_crack(
    rng,
    *,
    start_m: tuple[float, float],
    length_m: float,
    width_mm: float,
    depth_mm: float,
    crack_type: str = "longitudinal",
    step_m: float = 0.02,
    wander_deg: float = 6.0,
) -> Crack:
    """A random-walk crack from ``start_m`` in the pattern's main direction.

    The heading starts along the road (longitudinal) or across it
    (transverse) and wanders as a mean-reverting random walk, so the crack
    meanders but keeps its direction.

    Parameters
    ----------
    rng : numpy.random.Generator or int
    start_m : (along_m, across_m)
    length_m : float
        Length of the centre line, m.
    width_mm, depth_mm : float
    crack_type : {"longitudinal", "transverse"}
    step_m : float
        Length of each straight piece, m.
    wander_deg : float
        Standard deviation of each heading change, degrees.

    Returns
    -------
    Crack
    """
    if crack_type not in ("longitudinal", "transverse"):
        raise ValueError(f"random_crack makes longitudinal or transverse cracks, got {crack_type!r}")
    _positive("length_m", length_m)
    _positive("step_m", step_m)
    g = np.random.default_rng(rng)
    n = max(1, int(math.ceil(length_m / step_m)))
    base = 0.0 if crack_type == "longitudinal" else math.pi / 2.0
    deviation = np.zeros(n)
    kicks = g.normal(0.0, math.radians(wander_deg), size=n)
    for i in range(1, n):
        deviation[i] = 0.8 * deviation[i - 1] + kicks[i]
    heading = base + deviation
    steps = np.full(n, length_m / n)
    along = start_m[0] + np.concatenate([[0.0], np.cumsum(steps * np.cos(heading))])
    across = start_m[1] + np.concatenate([[0.0], np.cumsum(steps * np.sin(heading))])
    return Crack(tuple(zip(along, across, strict=True)), width_mm, depth_mm, crack_type)


def _wiggle(g, p0, p1, step_m: float, amplitude_m: float) -> np.ndarray:
    """Points from p0 to p1 with a smooth random perpendicular wander pinned at both ends."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    length = float(np.hypot(*(p1 - p0)))
    n = max(2, int(math.ceil(length / step_m)))
    t = np.linspace(0.0, 1.0, n + 1)
    # an integrated random walk (smooth meander), made a bridge by removing its chord
    walk = np.concatenate([[0.0], np.cumsum(np.cumsum(g.normal(0.0, 1.0, size=n)))])
    bridge = walk - t * walk[-1]
    bridge *= amplitude_m / max(np.max(np.abs(bridge)), 1e-12)
    normal = np.array([-(p1 - p0)[1], (p1 - p0)[0]]) / max(length, 1e-12)
    return p0 + t[:, None] * (p1 - p0) + bridge[:, None] * normal


def crack_network(
    rng,
    *,
    along_range_m: tuple[float, float],
    across_range_m: tuple[float, float],
    crack_type: str = "alligator",
    cell_m: float | None = None,
    width_mm: float = 2.0,
    depth_mm: float = 8.0,
    step_m: float = 0.01,
) -> tuple[Crack, ...]:
    """Pattern cracking: interconnected cells of random-walk cracks.

    ``"block"`` cracking is a jittered grid of continuous lines in both
    directions (rectangular blocks, default 1 m). ``"alligator"`` (fatigue)
    cracking has small cells (default 0.15 m) in a staggered, brick-like
    pattern: its transverse pieces alternate between rows.

    Parameters
    ----------
    rng : numpy.random.Generator or int
    along_range_m, across_range_m : (float, float)
        Area of the pattern, m.
    crack_type : {"alligator", "block"}
    cell_m : float, optional
        Cell size, m.
    width_mm, depth_mm : float
    step_m : float
        Length of the pieces of each random-walk crack, m.

    Returns
    -------
    tuple of Crack
        One crack per continuous line or piece.
    """
    if crack_type not in ("alligator", "block"):
        raise ValueError(f"crack_network makes alligator or block cracking, got {crack_type!r}")
    cell = cell_m if cell_m is not None else (0.15 if crack_type == "alligator" else 1.0)
    _positive("cell_m", cell)
    g = np.random.default_rng(rng)
    (a0, a1), (c0, c1) = sorted(along_range_m), sorted(across_range_m)
    n_a = max(1, int(round((a1 - a0) / cell))) + 1
    n_c = max(1, int(round((c1 - c0) / cell))) + 1
    nodes = np.stack(np.meshgrid(np.linspace(a0, a1, n_a), np.linspace(c0, c1, n_c), indexing="ij"), axis=-1)
    jitter = g.uniform(-0.2, 0.2, size=nodes.shape) * cell
    jitter[[0, -1], :, 0] = 0.0  # keep the pattern inside its area
    jitter[:, [0, -1], 1] = 0.0
    nodes = nodes + jitter
    wander = 0.06 * cell

    def line(points) -> Crack:
        pieces = [_wiggle(g, p, q, step_m, wander) for p, q in zip(points[:-1], points[1:], strict=True)]
        verts = np.concatenate([pieces[0]] + [p[1:] for p in pieces[1:]])
        return Crack(tuple(map(tuple, verts)), width_mm, depth_mm, crack_type)

    cracks = [line(nodes[:, j]) for j in range(n_c)] if n_a > 1 else []  # along-running lines
    if n_c > 1:
        for i in range(n_a):
            if crack_type == "block":
                cracks.append(line(nodes[i, :]))
            else:
                cracks.extend(line(nodes[i, j : j + 2]) for j in range(i % 2, n_c - 1, 2))
    return tuple(cracks)


# --- rasterising ---------------------------------------------------------------------
def _segment_table(cracks: Sequence[Crack]) -> np.ndarray:
    rows = []
    for crack in cracks:
        v = np.asarray(crack.vertices, dtype=np.float64)
        if len(v) == 1:
            v = np.vstack([v, v])
        for (pa, pc), (qa, qc) in zip(v[:-1], v[1:], strict=True):
            rows.append((pa, pc, qa, qc, crack.width_mm * 1e-3 / 2.0, crack.depth_mm))
    return np.array(rows, dtype=np.float64).reshape(-1, _kernels.SEG_NCOL)


def _bowl_table(potholes: Sequence[Pothole]) -> np.ndarray:
    rows = [(p.along_m, p.across_m, p.radius_m, p.depth_mm) for p in potholes]
    return np.array(rows, dtype=np.float64).reshape(-1, _kernels.BOWL_NCOL)


def rasterise(
    along_m, across_m, *, cracks: Sequence[Crack] = (), potholes: Sequence[Pothole] = (), engine: str = "numba"
) -> tuple[np.ndarray, np.ndarray]:
    """Crack and pothole depths on a grid.

    Parameters
    ----------
    along_m : array_like, shape (n_along,)
        Increasing along-track cell centres, m.
    across_m : array_like, shape (n_across,)
        Increasing across-track cell centres, m.
    cracks, potholes : sequences of Crack, Pothole
    engine : {"numba", "numpy"}

    Returns
    -------
    crack_mm, pothole_mm : numpy.ndarray, shape (n_along, n_across), float32
        Depth below the surface, mm (0 outside).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    along = np.ascontiguousarray(along_m, dtype=np.float64).reshape(-1)
    across = np.ascontiguousarray(across_m, dtype=np.float64).reshape(-1)
    for name, values in (("along_m", along), ("across_m", across)):
        if values.size == 0 or not np.all(np.isfinite(values)) or np.any(np.diff(values) <= 0):
            raise ValueError(f"{name} must be a non-empty, finite, increasing array")
    impl = _kernels if engine == "numba" else _reference
    return impl.rasterise_depressions(along, across, _segment_table(cracks), _bowl_table(potholes))


# --- texture ------------------------------------------------------------------------------
def _texture(g, shape, *, mpd_mm: float, scale_mm: float, spacing_mm: tuple[float, float]) -> np.ndarray:
    """Isotropic Gaussian random texture (mm) whose along-track MPD is ``mpd_mm``.

    A scan shorter than three baselines gets its texture cut from a longer
    field, so there are always whole baselines to calibrate on.
    """
    n_along = max(shape[0], int(math.ceil(3 * MPD_BASELINE_MM / spacing_mm[0])))
    field = g.standard_normal((n_along, shape[1]), dtype=np.float32)
    field = ndimage.gaussian_filter(field, sigma=(scale_mm / spacing_mm[0], scale_mm / spacing_mm[1]), mode="wrap")
    # MPD is positively homogeneous: MPD(k·z) = k·MPD(z), so one measurement calibrates it
    measured = mean_profile_depth(field.T, spacing_mm=spacing_mm[0])
    return field[: shape[0]] * np.float32(mpd_mm / measured)


# --- the scan ---------------------------------------------------------------------------------
def synthetic_pavement(
    *,
    length_m: float = 2.0,
    width_m: float = 3.5,
    along_spacing_mm: float = 1.0,
    across_spacing_mm: float = 1.0,
    start_m: float = 0.0,
    cracks: Sequence[Crack] = (),
    ruts: Sequence[Rut] = (),
    potholes: Sequence[Pothole] = (),
    texture_mpd_mm: float = 0.8,
    texture_scale_mm: float = 2.0,
    cross_slope_pct: float = 2.0,
    grade_pct: float = 0.0,
    rng=None,
    engine: str = "numba",
) -> tuple[xr.Dataset, list[Hazard]]:
    """A synthetic 3-D laser scan of a lane and its distresses as ground truth.

    The grid runs ``along`` from ``start_m`` to ``start_m + length_m`` and
    ``across`` from ``−width_m/2`` to ``+width_m/2`` (cell centres, both ends
    included when the spacing divides the extent).

    Parameters
    ----------
    length_m, width_m : float
        Extent of the scan, m.
    along_spacing_mm, across_spacing_mm : float
        Grid spacing, mm.
    start_m : float
        Along-track position of the first profile, m.
    cracks, ruts, potholes : sequences of Crack, Rut, Pothole
    texture_mpd_mm : float
        Mean profile depth of the macrotexture, mm (0: a smooth surface).
    texture_scale_mm : float
        Correlation length of the texture, mm.
    cross_slope_pct, grade_pct : float
        Rise of the surface across (towards +across) and along the road, %.
    rng : numpy.random.Generator or int or None
        Source of the texture and intensity speckle.
    engine : {"numba", "numpy"}

    Returns
    -------
    scan : xarray.Dataset
        ``elevation`` (mm, float32) and ``intensity`` (0–1, float32) on
        ``("along", "across")``; coords ``along``, ``across`` in m.
    truth : list of Hazard
        Cracks (polylines: ``width_mm``, ``depth_mm``, ``crack_type``,
        ``length_m``), potholes (polygon rims: ``max_depth_mm``,
        ``mean_depth_mm``, ``area_m2``, ``volume_m3``) and ruts (polylines
        along each wheel path: ``depth_mm``, ``width_m``, ``wheel_path``) that
        meet the scanned area.
    """
    for name, value in (("length_m", length_m), ("width_m", width_m), ("along_spacing_mm", along_spacing_mm),
                        ("across_spacing_mm", across_spacing_mm), ("texture_scale_mm", texture_scale_mm)):  # fmt: skip
        _positive(name, value)
    if not (texture_mpd_mm >= 0 and math.isfinite(texture_mpd_mm)):
        raise ValueError(f"texture_mpd_mm must be ≥ 0, got {texture_mpd_mm!r}")
    n_a = int(round(length_m * 1e3 / along_spacing_mm)) + 1
    n_c = int(round(width_m * 1e3 / across_spacing_mm)) + 1
    along = start_m + np.arange(n_a) * along_spacing_mm * 1e-3
    across = (np.arange(n_c) - (n_c - 1) / 2.0) * across_spacing_mm * 1e-3
    g = np.random.default_rng(rng)

    surface = (grade_pct * 10.0 * along)[:, None] + (cross_slope_pct * 10.0 * across)[None, :]  # % of m → mm
    texture = np.zeros((n_a, n_c), dtype=np.float32)
    if texture_mpd_mm > 0:
        texture = _texture(
            g, (n_a, n_c), mpd_mm=texture_mpd_mm, scale_mm=texture_scale_mm,
            spacing_mm=(along_spacing_mm, across_spacing_mm),
        )  # fmt: skip
    rut = np.zeros(n_c)
    for r in ruts:
        u = (across - r.across_m) / r.width_m
        rut = np.maximum(rut, np.where(np.abs(u) < 0.5, r.depth_mm * np.cos(np.pi * u) ** 2, 0.0))
    crack_mm, pothole_mm = rasterise(along, across, cracks=cracks, potholes=potholes, engine=engine)
    elevation = (surface - rut[None, :] + texture - np.maximum(crack_mm, pothole_mm)).astype(np.float32)

    # intensity: bright aggregate speckle, dark cracks, darker bowls with depth
    shade = 0.55 + 0.05 * g.standard_normal((n_a, n_c), dtype=np.float32)
    if texture_mpd_mm > 0:
        shade += 0.1 * texture / np.float32(max(float(texture.std()), 1e-6))
    shade = np.where(crack_mm > 0, 0.12 + 0.03 * g.standard_normal((n_a, n_c), dtype=np.float32), shade)
    deepest = max((p.depth_mm for p in potholes), default=1.0)
    shade = shade * (1.0 - 0.4 * pothole_mm / np.float32(deepest))
    intensity = np.clip(shade, 0.0, 1.0).astype(np.float32)

    coords = {cv.ALONG: (cv.ALONG, along, coord_attrs(cv.ALONG)), cv.ACROSS: (cv.ACROSS, across, coord_attrs(cv.ACROSS))}
    dims = (cv.ALONG, cv.ACROSS)
    scan = xr.Dataset(
        {
            cv.ELEVATION: (dims, elevation, {cv.ATTR_UNITS: cv.UNIT_MM, cv.ATTR_LONG_NAME: "surface elevation"}),
            cv.INTENSITY: (dims, intensity, {cv.ATTR_UNITS: cv.UNIT_COUNTS, cv.ATTR_LONG_NAME: "reflected intensity (0-1)"}),
        },
        coords=coords,
        attrs={
            cv.ATTR_INSTRUMENT: SOURCE,
            cv.ATTR_HISTORY: "",
            "along_spacing_mm": float(along_spacing_mm),
            "across_spacing_mm": float(across_spacing_mm),
            "texture_mpd_mm": float(texture_mpd_mm),
            "cross_slope_pct": float(cross_slope_pct),
            "grade_pct": float(grade_pct),
        },
    )
    scan = append_history(
        scan, "synthetic_pavement", n_cracks=len(cracks), n_ruts=len(ruts), n_potholes=len(potholes),
        texture_mpd_mm=texture_mpd_mm, cross_slope_pct=cross_slope_pct, grade_pct=grade_pct,
    )  # fmt: skip
    truth = _truth(cracks, ruts, potholes, (along[0], along[-1], across[0], across[-1]))
    logger.debug("synthetic pavement %s with %d ground-truth hazards", elevation.shape, len(truth))
    return scan, truth


def _truth(cracks, ruts, potholes, box) -> list[Hazard]:
    a0, a1, c0, c1 = box
    out = []
    for crack in cracks:
        if any(a0 <= a <= a1 and c0 <= c <= c1 for a, c in crack.vertices):
            attrs = {"width_mm": crack.width_mm, "depth_mm": crack.depth_mm, "crack_type": crack.crack_type,
                     "length_m": crack.length_m}  # fmt: skip
            kind = "polyline" if len(crack.vertices) > 1 else "point"
            out.append(Hazard("crack", kind, [(a, c, 0.0) for a, c in crack.vertices], attrs, source=SOURCE))
    for p in potholes:
        if p.along_m + p.radius_m < a0 or p.along_m - p.radius_m > a1 or p.across_m + p.radius_m < c0 or p.across_m - p.radius_m > c1:
            continue
        angles = np.linspace(0.0, 2.0 * np.pi, 48, endpoint=False)
        rim = [(p.along_m + p.radius_m * np.cos(t), p.across_m + p.radius_m * np.sin(t), 0.0) for t in angles]
        attrs = {"max_depth_mm": p.depth_mm, "mean_depth_mm": p.depth_mm / 2.0, "area_m2": p.area_m2,
                 "volume_m3": p.volume_m3, "radius_m": p.radius_m}  # fmt: skip
        out.append(Hazard("pothole", "polygon", rim, attrs, source=SOURCE))
    for r in ruts:
        if r.across_m + r.width_m / 2 < c0 or r.across_m - r.width_m / 2 > c1:
            continue
        attrs = {"depth_mm": r.depth_mm, "width_m": r.width_m, "wheel_path": r.wheel_path}
        out.append(Hazard("rut", "polyline", [(a0, r.across_m, 0.0), (a1, r.across_m, 0.0)], attrs, source=SOURCE))
    return out
