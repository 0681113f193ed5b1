"""Automatic detection of buried pipes and cavities in GPR radargrams.

:func:`detect` runs the whole chain (:mod:`roadbed.detect.pipeline`):
responses in every B-scan (:mod:`~roadbed.detect.responses`), their
classification (:mod:`~roadbed.detect.classify`), pipes and cavities linked
across channels and lines (:mod:`~roadbed.detect.link`), as
:class:`~roadbed.hazards.Hazard` records; :mod:`~roadbed.detect.score`
scores detections against truth.
"""

from .candidate import FEATURES, Candidate
from .pipeline import Detections, detect, detect_lines, json_items, prepare_line

__all__ = ["FEATURES", "Candidate", "Detections", "detect", "detect_lines", "json_items", "prepare_line"]
