"""Lane zones across the road: the one definition every pavement measurement uses.

A lane is split across its width into five bands (AASHTO R85 reports crack
extent per band; ruts are reported per wheel path)::

    +across (left)                                                −across (right)
    | left_edge | left_wheel_path | centre | right_wheel_path | right_edge |
    ^ lane edge                   ^ lane centre                    lane edge ^

Positions are road-local ``across`` coordinates in m, positive to the left of
the driving direction (:mod:`roadbed.hazards`). The defaults follow the LTPP
distress manual's wheel paths: 0.75 m wide bands centred 0.875 m either side
of the lane centre, in a 3.66 m (12 ft) lane.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["WHEEL_PATHS", "ZONE_NAMES", "OUTSIDE", "LaneZones"]

#: the two wheel paths, named by the side of the lane centre they lie on
WHEEL_PATHS = ("left", "right")
#: the lane's bands from the left edge to the right edge; :meth:`LaneZones.zone_index` numbers them in this order
ZONE_NAMES = ("left_edge", "left_wheel_path", "centre", "right_wheel_path", "right_edge")
#: :meth:`LaneZones.zone_index` of a position outside the lane
OUTSIDE = -1


@dataclass(frozen=True)
class LaneZones:
    """Where the lane, its wheel paths, centre and edges lie across the road.

    Attributes
    ----------
    lane_width_m : float
        Width of the lane, m.
    centre_m : float
        ``across`` position of the lane centre, m.
    wheel_path_width_m : float
        Width of each wheel path, m.
    wheel_path_offset_m : float
        Distance of each wheel path's centre from the lane centre, m.
    """

    lane_width_m: float = 3.66
    centre_m: float = 0.0
    wheel_path_width_m: float = 0.75
    wheel_path_offset_m: float = 0.875

    def __post_init__(self):
        for name in ("lane_width_m", "wheel_path_width_m", "wheel_path_offset_m"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"LaneZones.{name} must be a positive finite number, got {value!r}")
        if not math.isfinite(self.centre_m):
            raise ValueError(f"LaneZones.centre_m must be finite, got {self.centre_m!r}")
        inner = self.wheel_path_offset_m - self.wheel_path_width_m / 2
        outer = self.wheel_path_offset_m + self.wheel_path_width_m / 2
        if inner < 0 or outer > self.lane_width_m / 2:
            raise ValueError(
                f"wheel paths ({inner:.3f}–{outer:.3f} m from the centre) must lie inside the lane half "
                f"(0–{self.lane_width_m / 2:.3f} m)"
            )

    @classmethod
    def for_extent(cls, across_min_m: float, across_max_m: float, **kwargs) -> LaneZones:
        """A lane that spans ``across_min_m`` … ``across_max_m`` (e.g. a scan's width)."""
        return cls(lane_width_m=across_max_m - across_min_m, centre_m=(across_min_m + across_max_m) / 2, **kwargs)

    @property
    def edges_m(self) -> tuple[float, float]:
        """(right, left) lane edges, m."""
        half = self.lane_width_m / 2
        return (self.centre_m - half, self.centre_m + half)

    def bounds(self) -> dict[str, tuple[float, float]]:
        """Each zone's ``(low, high)`` across limits, m, keyed by :data:`ZONE_NAMES`."""
        c, half = self.centre_m, self.lane_width_m / 2
        inner = self.wheel_path_offset_m - self.wheel_path_width_m / 2
        outer = self.wheel_path_offset_m + self.wheel_path_width_m / 2
        return {
            "left_edge": (c + outer, c + half),
            "left_wheel_path": (c + inner, c + outer),
            "centre": (c - inner, c + inner),
            "right_wheel_path": (c - outer, c - inner),
            "right_edge": (c - half, c - outer),
        }

    def wheel_path(self, side: str) -> tuple[float, float]:
        """``(low, high)`` across limits of the ``"left"`` or ``"right"`` wheel path, m."""
        return self.bounds()[f"{_side(side)}_wheel_path"]

    def half(self, side: str) -> tuple[float, float]:
        """``(low, high)`` across limits of the ``"left"`` or ``"right"`` half of the lane, m."""
        low, high = self.edges_m
        return (self.centre_m, high) if _side(side) == "left" else (low, self.centre_m)

    def zone_index(self, across_m) -> np.ndarray:
        """Index into :data:`ZONE_NAMES` of each position, or :data:`OUTSIDE`.

        Parameters
        ----------
        across_m : array_like
            Across-track positions, m.

        Returns
        -------
        numpy.ndarray of int8, same shape
            A position on a boundary belongs to the zone nearer the lane centre.
        """
        x = np.asarray(across_m, dtype=np.float64)
        out = np.full(x.shape, OUTSIDE, dtype=np.int8)
        # the centre first, then outwards: a boundary goes to the inner zone
        for name in ("centre", "left_wheel_path", "right_wheel_path", "left_edge", "right_edge"):
            low, high = self.bounds()[name]
            inside = (x >= low) & (x <= high) & (out == OUTSIDE)
            out[inside] = ZONE_NAMES.index(name)
        return out

    def zone_of(self, across_m: float) -> str | None:
        """Name of the zone holding one position, or None outside the lane."""
        index = int(self.zone_index(float(across_m)))
        return None if index == OUTSIDE else ZONE_NAMES[index]


def _side(side: str) -> str:
    if side not in WHEEL_PATHS:
        raise ValueError(f"wheel path must be one of {WHEEL_PATHS}, got {side!r}")
    return side
