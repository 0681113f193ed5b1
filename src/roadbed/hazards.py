"""Hazard records: what every detector (and every synthetic truth) reports.

A record is small, flat and serialisable, so that detections, ground truth
and database rows are the same thing and can be compared directly.

Geometry is in the road-local frame: ``along`` (m along the survey line),
``across`` (m across it, positive to the left of the driving direction as the
survey manifest defines offsets) and ``depth`` (m below the ground surface,
0 for surface hazards). Map coordinates are added where a CRS is known.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

__all__ = ["Hazard", "HAZARD_KINDS", "GEOMETRY_TYPES"]

#: the kinds of hazard roadbed knows
HAZARD_KINDS = ("pipe", "cavity", "crack", "pothole", "rut", "other")
#: how a hazard's vertices are to be read
GEOMETRY_TYPES = ("point", "polyline", "polygon")


@dataclass(frozen=True)
class Hazard:
    """One hazard in or under the road.

    Attributes
    ----------
    kind : str
        One of :data:`HAZARD_KINDS`.
    geometry_type : str
        One of :data:`GEOMETRY_TYPES`.
    vertices : tuple of (along_m, across_m, depth_m)
        Road-local vertices, m. A point has one; a pipe is a polyline of its
        axis top (depth to the top of the pipe); a cavity or pothole outline
        is a polygon at its depth to top.
    attributes : dict
        Measured properties with units in their names: ``diameter_m``,
        ``width_m``, ``height_m``, ``length_m``, ``volume_m3``, ``material``,
        ``fill``, ``severity`` … A cavity's ``length_m`` is its extent along
        the track and ``width_m`` across it.
    confidence : float
        0–1; 1 for ground truth.
    source : str
        File or generator the hazard came from.
    map_vertices : tuple of (x_m, y_m), optional
        Projected map coordinates of ``vertices`` where a CRS is known.
    """

    kind: str
    geometry_type: str
    vertices: tuple[tuple[float, float, float], ...]
    attributes: dict = field(default_factory=dict)
    confidence: float = 1.0
    source: str = ""
    map_vertices: tuple[tuple[float, float], ...] | None = None

    def __post_init__(self):
        if self.kind not in HAZARD_KINDS:
            raise ValueError(f"hazard kind must be one of {HAZARD_KINDS}, got {self.kind!r}")
        if self.geometry_type not in GEOMETRY_TYPES:
            raise ValueError(f"geometry_type must be one of {GEOMETRY_TYPES}, got {self.geometry_type!r}")
        verts = tuple(tuple(float(c) for c in v) for v in self.vertices)
        if not verts or any(len(v) != 3 for v in verts):
            raise ValueError("vertices must be a non-empty sequence of (along_m, across_m, depth_m)")
        object.__setattr__(self, "vertices", verts)
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], got {self.confidence}")

    @property
    def along_m(self) -> float:
        """Along-track position of the centre of the vertices, m."""
        return sum(v[0] for v in self.vertices) / len(self.vertices)

    @property
    def across_m(self) -> float:
        """Across-track position of the centre of the vertices, m."""
        return sum(v[1] for v in self.vertices) / len(self.vertices)

    @property
    def depth_m(self) -> float:
        """Depth of the shallowest vertex below the ground surface, m."""
        return min(v[2] for v in self.vertices)

    def to_dict(self) -> dict:
        """Plain-Python form (lists, not tuples), for JSON and databases."""
        out = asdict(self)
        out["vertices"] = [list(v) for v in self.vertices]
        if self.map_vertices is not None:
            out["map_vertices"] = [list(v) for v in self.map_vertices]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Hazard:
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        data["vertices"] = tuple(tuple(v) for v in data["vertices"])
        if data.get("map_vertices") is not None:
            data["map_vertices"] = tuple(tuple(v) for v in data["map_vertices"])
        return cls(**data)

    def to_json(self) -> str:
        """One JSON object."""
        return json.dumps(self.to_dict())
