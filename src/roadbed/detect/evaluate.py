"""Detection measured against known answers: the figures issue 4 asks for.

Two sets of scenes with truth:

* the physics-based gprMax scenes of the repository (``scenes/gprmax``:
  pipes and voids under layered pavement, a negative scene with stones),
  each read with its acquisition geometry from ``truth.json`` (antennas
  0.05 m above the ground; the tx–rx separation comes from the file);
* the held-out synthetic scenes of :func:`roadbed.detect.scenes.evaluation_scenes`
  (``split="test"``: the classifier never saw them), single lines and arrays.

Every scene goes through :func:`roadbed.detect.detect_lines` exactly as
``roadbed detect`` runs it, and is scored with
:func:`roadbed.detect.score.score_detections`;
:func:`roadbed.detect.score.combine` pools the scenes.
``python -m benchmarks.bench_detect`` prints the figures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from .. import conventions as cv
from ..io import read
from .pipeline import Detections, detect_lines, json_items
from .scenes import evaluation_scenes
from .score import DetectionScore, combine, score_detections

__all__ = ["SceneResult", "evaluate_gprmax", "evaluate_synthetic", "pooled"]


class SceneResult(NamedTuple):
    """One scene's detections and score."""

    name: str
    detections: Detections
    items: list[dict]
    score: DetectionScore


def evaluate_gprmax(scenes_dir, *, names=None, model=None) -> Iterator[SceneResult]:
    """Detect in each gprMax scene of ``scenes_dir`` (with ``truth.json``) and score it.

    The free-space reference (no layers) is skipped. Surveyed length: the
    span of the scene's trace positions.
    """
    scenes_dir = Path(scenes_dir)
    truth = json.loads((scenes_dir / "truth.json").read_text())
    height = float(truth["geometry"]["antenna_height_m"])
    for name, scene in truth["scenes"].items():
        if not scene["layers"] or (names is not None and name not in names):
            continue
        da = read(scenes_dir / scene["file"]).assign_attrs({cv.ATTR_ANTENNA_HEIGHT: height})
        found = detect_lines([(da, 0, cv.DISTANCE)], model=model)
        items = json_items(found)
        distance = da[cv.DISTANCE].values
        length = float(distance.max() - distance.min())
        yield SceneResult(name, found, items, score_detections(items, scene, surveyed_length_m=length))


def evaluate_synthetic(n_scenes: int, *, kind: str = "line", split: str = "test", model=None
                       ) -> Iterator[SceneResult]:  # fmt: skip
    """Detect in ``n_scenes`` synthetic scenes (:func:`roadbed.detect.scenes.evaluation_scenes`) and score them."""
    for scene in evaluation_scenes(n_scenes, kind=kind, split=split):
        found = detect_lines([(scene.radargram, 0, cv.DISTANCE)], model=model)
        items = json_items(found)
        yield SceneResult(scene.name, found, items,
                          score_detections(items, scene.truth, surveyed_length_m=scene.surveyed_length_m))


def pooled(results) -> DetectionScore:
    """All scenes' scores pooled (:func:`roadbed.detect.score.combine`)."""
    return combine(r.score for r in results)
