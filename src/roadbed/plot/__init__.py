"""Plots of radargrams and surveys (matplotlib).

Every function draws into the given ``ax`` (or a new figure) and returns the
Axes; none calls ``plt.show`` or chooses a backend.
"""

from __future__ import annotations

from .bscan import plot_bscan
from .slices import plot_depth_slice, plot_survey_map

__all__ = ["plot_bscan", "plot_depth_slice", "plot_survey_map"]
