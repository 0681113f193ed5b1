"""Issue 4's figures on the physics-based gprMax scenes (``python -m benchmarks.bench_detect --figures`` prints all).

Each scene is detected exactly as ``roadbed detect`` runs it, with the
acquisition geometry of ``truth.json`` (antennas 0.05 m above the ground),
and scored by the issue's rule (:mod:`roadbed.detect.score`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from roadbed.detect.evaluate import evaluate_gprmax, pooled

SCENES = Path(__file__).resolve().parents[1] / "scenes" / "gprmax"


@pytest.fixture(scope="module")
def results():
    if not (SCENES / "truth.json").exists():
        pytest.skip("scenes/gprmax is absent")
    return {r.name: r for r in evaluate_gprmax(SCENES)}


def test_gprmax_scenes_meet_the_detection_targets(results):
    score = pooled(results.values())
    assert score.f1 >= 0.9
    assert score.median_depth_error_m <= 0.05
    assert score.classification_accuracy >= 0.9


def test_negative_gprmax_scene_yields_no_pipe_or_cavity(results):
    items = results["s6_negative_stones"].items
    assert not [it for it in items if it["kind"] in ("pipe", "cavity")]
    assert len(items) >= 3  # the stones are seen, and called what they are


@pytest.mark.parametrize("name, kind", [("s1_metal_pipe", "pipe"), ("s4_air_cavity", "cavity"),
                                        ("s5_water_cavity", "cavity")])  # fmt: skip
def test_single_targets_are_found_and_classified(results, name, kind):
    score = results[name].score
    assert (score.tp, score.fp, score.fn) == (1, 0, 0)
    assert score.classification_accuracy == 1.0
    (found,) = [it for it in results[name].items if it["kind"] in ("pipe", "cavity")]
    assert found["kind"] == kind
