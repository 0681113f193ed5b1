"""The CrackForest (CFD) scoring rule, and the command that scores a detector on the photographs.

Rule (``../shared/data/README.md``): skeletonise the prediction; a predicted
centreline pixel is correct when it lies within 2 px (Euclidean) of a
ground-truth crack pixel; a ground-truth pixel is found when it lies within
2 px of the predicted centreline; the counts are summed over all images;
precision = correct / predicted centreline pixels, recall = found /
ground-truth pixels, F1 their harmonic mean. The skeleton is
:func:`skimage.morphology.skeletonize`'s, so the score does not depend on
roadbed's own thinning.

::

    python -m roadbed.pavement.cfd_score ../shared/data/cracks/cfd_dev --cv       # cross-validated figure
    python -m roadbed.pavement.cfd_score ../shared/data/cracks/cfd_dev            # the shipped detector
    python -m roadbed.pavement.cfd_score ../shared/data/cracks/cfd_dev --baseline # black top-hat baseline

The shipped detector was trained on these photographs, so its score here is
in-sample. ``--cv`` gives the honest figure: each image is scored with the
fold model that was trained without it (the fold models ship beside the
model, made by ``python -m benchmarks.train_crack_model``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage

__all__ = ["TOLERANCE_PX", "Score", "score_image", "score_masks", "score_skeleton", "distance_to_truth", "load_cfd",
           "baseline_mask", "cv_predictions", "main"]

#: distance within which a pixel counts as matched, px
TOLERANCE_PX = 2.0


@dataclass(frozen=True)
class Score:
    """Pooled counts and the figures made from them."""

    correct: int
    predicted: int
    found: int
    truth: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.truth if self.truth else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else 0.0

    def __add__(self, other: Score) -> Score:
        return Score(self.correct + other.correct, self.predicted + other.predicted, self.found + other.found,
                     self.truth + other.truth)  # fmt: skip


def score_image(pred, truth, *, tolerance_px: float = TOLERANCE_PX) -> Score:
    """Counts of one image.

    Parameters
    ----------
    pred, truth : array_like, shape (n_rows, n_cols)
        Predicted and ground-truth crack masks (nonzero = crack).
    """
    from skimage.morphology import skeletonize

    pred = np.asarray(pred) != 0
    truth = np.asarray(truth) != 0
    if pred.shape != truth.shape:
        raise ValueError(f"prediction {pred.shape} and ground truth {truth.shape} differ in shape")
    return score_skeleton(skeletonize(pred), truth, distance_to_truth(truth), tolerance_px=tolerance_px)


def distance_to_truth(truth) -> np.ndarray:
    """Euclidean distance of every pixel to the nearest ground-truth crack pixel, px (inf without any)."""
    truth = np.asarray(truth) != 0
    return ndimage.distance_transform_edt(~truth) if truth.any() else np.full(truth.shape, np.inf)


def score_skeleton(skel, truth, to_truth, *, tolerance_px: float = TOLERANCE_PX) -> Score:
    """Counts of one image from the prediction's skeleton and :func:`distance_to_truth` (reused across predictions)."""
    to_skel = ndimage.distance_transform_edt(~skel) if skel.any() else np.full(skel.shape, np.inf)
    return Score(
        correct=int(np.count_nonzero(skel & (to_truth <= tolerance_px))),
        predicted=int(np.count_nonzero(skel)),
        found=int(np.count_nonzero(truth & (to_skel <= tolerance_px))),
        truth=int(np.count_nonzero(truth)),
    )


def score_masks(preds, truths, *, tolerance_px: float = TOLERANCE_PX) -> Score:
    """Counts summed over images."""
    total = Score(0, 0, 0, 0)
    for p, t in zip(preds, truths, strict=True):
        total = total + score_image(p, t, tolerance_px=tolerance_px)
    return total


def load_cfd(folder) -> tuple[list[str], list[np.ndarray], list[np.ndarray]]:
    """Names, grey images (0–1, float32) and masks (bool) of a CrackForest folder (``images/``, ``masks/``).

    Grey is :func:`skimage.color.rgb2gray` of the colour photograph, as
    :func:`roadbed.pavement.read_photo` makes it.
    """
    import imageio.v3 as iio
    from skimage.color import rgb2gray

    folder = Path(folder)
    names, images, masks = [], [], []
    for path in sorted((folder / "images").glob("*.jpg")):
        mask_path = folder / "masks" / f"{path.stem}.png"
        if not mask_path.is_file():
            continue
        rgb = iio.imread(path)
        gray = rgb2gray(rgb[..., :3]) if rgb.ndim == 3 else rgb / 255.0
        names.append(path.stem)
        images.append(np.asarray(gray, np.float32))
        masks.append(iio.imread(mask_path) > 0)
    if not names:
        raise FileNotFoundError(f"no images/*.jpg with masks/*.png in {folder}")
    return names, images, masks


def baseline_mask(gray, *, radius: int = 5, threshold: float = 0.2) -> np.ndarray:
    """The simple baseline: black top-hat (disk) of the grey image and one global threshold (0–1 grey)."""
    from skimage.morphology import black_tophat, disk

    return black_tophat(np.asarray(gray, np.float32), disk(radius)) > threshold


def cv_predictions(names, images, cv=None) -> list[np.ndarray]:
    """Each image's mask by the cross-validation fold model that was trained without it.

    Parameters
    ----------
    names, images : lists from :func:`load_cfd`
    cv : list of (CrackModel, held-out names), optional
        Default :func:`roadbed.pavement.crack_model.load_cv`.
    """
    from .crack_model import load_cv

    cv = load_cv() if cv is None else cv
    fold_of = {}
    for k, (model, held_out) in enumerate(cv):
        trained = set(model.info.get("trained_on", ()))
        for name in held_out:
            if name in trained:
                raise ValueError(f"fold {k} model was trained on its held-out image {name}")
            fold_of[name] = k
    missing = [n for n in names if n not in fold_of]
    if missing:
        raise ValueError(f"images in no cross-validation fold: {missing[:5]}")
    return [cv[fold_of[n]][0].predict(g) for n, g in zip(names, images, strict=True)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m roadbed.pavement.cfd_score", description=__doc__.split("\n")[0])
    parser.add_argument("folder", help="a CrackForest folder with images/ and masks/")
    parser.add_argument("--model", default=None, help="a model .npz (default: the shipped one)")
    parser.add_argument("--baseline", action="store_true", help="score the black top-hat baseline instead")
    parser.add_argument("--cv", action="store_true", help="score each image with the fold model trained without it")
    parser.add_argument("--threshold", type=float, default=0.2, help="baseline threshold (0-1 grey)")
    args = parser.parse_args(argv)
    names, images, masks = load_cfd(args.folder)
    if args.baseline:
        preds = [baseline_mask(g, threshold=args.threshold) for g in images]
        what = f"black top-hat (disk 5) > {args.threshold}"
    elif args.cv:
        preds = cv_predictions(names, images)
        what = "crack model, k-fold cross-validated (each image by the fold model trained without it)"
    else:
        from .crack_model import load_model

        model = load_model(args.model)
        preds = [model.predict(g) for g in images]
        what = f"{model.name} (in-sample where trained on these images)"
    s = score_masks(preds, masks)
    print(json.dumps({"detector": what, "images": len(names), "precision": round(s.precision, 4),
                      "recall": round(s.recall, 4), "f1": round(s.f1, 4)}, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
