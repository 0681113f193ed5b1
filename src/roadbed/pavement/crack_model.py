"""The learned crack detector for intensity images (photographs), and how it is trained.

A photograph has no elevation and no known pixel size, so cracks are told
from the rest (joints, oil, shadows, aggregate) by what they look like. The
detector is small and runs in numpy/numba in a fraction of a second:

1. **filter bank** (:func:`image_features`, 19 per pixel): the grey image is
   divided by its smooth background and by its local contrast; then the
   normalised intensity at three smoothings, the Hessian eigenvalues at four
   scales (dark ridges), two black top-hats, and the darkest and brightest
   mean along straight lines (12 orientations, 9/17/31 px) against the local
   mean — orientation-coherent line filters;
2. **stacked per-pixel networks** (auto-context): stage 1 maps the filter
   bank to a crack probability; each further stage sees the filter bank plus
   context features of the previous stage's probability map
   (:func:`context_features`: its smoothings, its line means, and how long
   a path it forms — binary path openings at four levels). Each stage is a
   two-hidden-layer perceptron (ReLU, logistic output);
3. **hysteresis**: pixels above ``low`` in regions that reach ``high``,
   then regions whose bounding box is shorter than ``min_length_px`` dropped.

Training (:func:`train`) fits each stage on out-of-fold predictions of the
stage before (inner k-fold over the training images), so a stage never
learns from probabilities of images its predecessor was fitted to; the
hysteresis thresholds are chosen on out-of-fold predictions of the last
stage, by the CrackForest scoring rule (:mod:`.cfd_score`).
:func:`cross_validate` reports the honest figure: train on k−1 folds of
images, score the held-out fold, sum over folds. The shipped weights
(``crack_model.npz``) are made by ``python -m benchmarks.train_crack_model``.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import ndimage

from . import _crack_kernels

__all__ = [
    "N_IMAGE_FEATURES",
    "N_CONTEXT_FEATURES",
    "MODEL_PATH",
    "CV_PATH",
    "CrackModel",
    "Perceptron",
    "image_features",
    "context_features",
    "load_model",
    "load_cv",
    "save_cv",
    "train",
    "cross_validate",
]

logger = logging.getLogger(__name__)

#: the shipped model
MODEL_PATH = Path(__file__).with_name("crack_model.npz")
#: its cross-validation: the fold models and the images each was scored on
CV_PATH = Path(__file__).with_name("crack_model_cv.npz")
#: Hessian scales, px
HESSIAN_SIGMAS = (1.0, 1.5, 2.0, 3.0)
#: black top-hat half-widths, px
TOPHAT_HALVES = (3, 6)
#: line filter lengths on the image, px
IMAGE_LINES = (9, 17, 31)
#: line filter lengths on a probability map, px
CONTEXT_LINES = (17, 31)
#: probability levels of the path openings
PATH_LEVELS = (0.2, 0.4, 0.6, 0.8)
#: longest path counted, px (longer is just "long")
PATH_CAP = 300
N_ORIENTATIONS = 12
N_IMAGE_FEATURES = 3 + 2 * len(HESSIAN_SIGMAS) + len(TOPHAT_HALVES) + 2 * len(IMAGE_LINES)
N_CONTEXT_FEATURES = 4 + 2 * len(CONTEXT_LINES) + len(PATH_LEVELS)

_LINES = {}


def _lines(length: int):
    if length not in _LINES:
        _LINES[length] = _crack_kernels.line_offsets(length, N_ORIENTATIONS)
    return _LINES[length]


def normalise(gray) -> np.ndarray:
    """Intensity relative to its smooth background, in units of local contrast (float32, same shape)."""
    g = np.asarray(gray, np.float32)
    g = g - float(g.min()) + 1e-3 * max(float(np.ptp(g)), 1e-6)  # positive, whatever the grey scale
    background = ndimage.gaussian_filter(g, 12.0, mode="reflect")
    y = g / background - 1.0
    contrast = np.sqrt(ndimage.gaussian_filter(y * y, 25.0, mode="reflect"))
    return (y / (contrast + 1e-3)).astype(np.float32)


def image_features(gray) -> np.ndarray:
    """The filter bank of a grey image.

    Parameters
    ----------
    gray : array_like, shape (n_rows, n_cols)
        Grey levels, any scale (dark cracks).

    Returns
    -------
    numpy.ndarray, shape (n_rows, n_cols, N_IMAGE_FEATURES), float32
    """
    y = normalise(gray)
    feats = [y, ndimage.gaussian_filter(y, 1.0), ndimage.gaussian_filter(y, 2.0)]
    for s in HESSIAN_SIGMAS:
        hrr = ndimage.gaussian_filter(y, s, order=(2, 0))
        hcc = ndimage.gaussian_filter(y, s, order=(0, 2))
        hrc = ndimage.gaussian_filter(y, s, order=(1, 1))
        mean = (hrr + hcc) / 2.0
        root = np.sqrt(((hrr - hcc) / 2.0) ** 2 + hrc**2)
        feats += [(mean + root) * s * s, (mean - root) * s * s]
    for h in TOPHAT_HALVES:
        feats.append(_crack_kernels.closing(y, h, h) - y)
    local = ndimage.uniform_filter(y, 21)
    for length in IMAGE_LINES:
        high, low = _crack_kernels.line_extrema(y, *_lines(length))
        feats += [low - local, high - low]
    return np.stack(feats, axis=-1).astype(np.float32)


def context_features(prob) -> np.ndarray:
    """Context of a crack probability map.

    Parameters
    ----------
    prob : numpy.ndarray, shape (n_rows, n_cols), float32 in [0, 1]

    Returns
    -------
    numpy.ndarray, shape (n_rows, n_cols, N_CONTEXT_FEATURES), float32
    """
    p = np.asarray(prob, np.float32)
    feats = [p, ndimage.gaussian_filter(p, 2.0), ndimage.gaussian_filter(p, 5.0), ndimage.maximum_filter(p, 5)]
    for length in CONTEXT_LINES:
        high, low = _crack_kernels.line_extrema(p, *_lines(length))
        feats += [high, low]
    wide = ndimage.maximum_filter(p, 3)
    for level in PATH_LEVELS:
        feats.append(np.log1p(np.minimum(_crack_kernels.path_length(wide > level), PATH_CAP)).astype(np.float32))
    return np.stack(feats, axis=-1).astype(np.float32)


# --- the networks ---------------------------------------------------------------------------------


@dataclass
class Perceptron:
    """A standardised-input multilayer perceptron with ReLU hidden layers and a logistic output."""

    mean: np.ndarray
    scale: np.ndarray
    weights: list
    biases: list

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Probabilities of ``x`` (shape (..., n_inputs)), shape (...), float32."""
        shape = x.shape[:-1]
        flat = x.reshape(-1, x.shape[-1])
        out = np.empty(flat.shape[0], np.float32)
        chunk = 1 << 16
        for s in range(0, flat.shape[0], chunk):
            h = (flat[s : s + chunk] - self.mean) / self.scale
            for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
                h = h @ w + b
                if i < len(self.weights) - 1:
                    np.maximum(h, 0.0, out=h)
            out[s : s + chunk] = 1.0 / (1.0 + np.exp(-np.clip(h[:, 0], -30.0, 30.0)))
        return out.reshape(shape)


def _fit_perceptron(x, y, *, hidden, epochs, seed, lr=2e-3, batch=512, weight_decay=1e-4) -> Perceptron:
    """Adam on the logistic loss; x (n, f) float32, y (n,) 0/1."""
    rng = np.random.default_rng(seed)
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    x = ((x - mean) / scale).astype(np.float32)
    y = y.astype(np.float32)
    sizes = [x.shape[1], *hidden, 1]
    ws = [rng.normal(0, math.sqrt(2.0 / a), (a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:])]
    bs = [np.zeros(b, np.float32) for b in sizes[1:]]
    params = ws + bs
    m1 = [np.zeros_like(p) for p in params]
    m2 = [np.zeros_like(p) for p in params]
    t = 0
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for s in range(0, len(x), batch):
            j = order[s : s + batch]
            acts = [x[j]]
            for i, (w, b) in enumerate(zip(ws, bs, strict=True)):
                h = acts[-1] @ w + b
                acts.append(np.maximum(h, 0.0) if i < len(ws) - 1 else h)
            p = 1.0 / (1.0 + np.exp(-np.clip(acts[-1][:, 0], -30.0, 30.0)))
            g = ((p - y[j]) / len(j))[:, None].astype(np.float32)
            grads_w, grads_b = [None] * len(ws), [None] * len(ws)
            for i in range(len(ws) - 1, -1, -1):
                grads_w[i] = acts[i].T @ g + weight_decay * ws[i]
                grads_b[i] = g.sum(axis=0)
                if i:
                    g = (g @ ws[i].T) * (acts[i] > 0)
            t += 1
            for k, grad in enumerate(grads_w + grads_b):
                m1[k] = 0.9 * m1[k] + 0.1 * grad
                m2[k] = 0.999 * m2[k] + 0.001 * grad * grad
                step = lr * (m1[k] / (1 - 0.9**t)) / (np.sqrt(m2[k] / (1 - 0.999**t)) + 1e-8)
                params[k] -= step.astype(np.float32)
        lr *= 0.7
    n = len(ws)
    return Perceptron(mean.astype(np.float32), scale.astype(np.float32), params[:n], params[n:])


@dataclass
class CrackModel:
    """Stacked per-pixel networks and the hysteresis that turns their probability into a mask.

    Attributes
    ----------
    stages : list of Perceptron
        Stage 0 sees :func:`image_features`; stage k > 0 sees
        :func:`context_features` of stage k−1's output, then the image features.
    low, high : float
        Hysteresis thresholds on the last stage's probability.
    min_length_px : int
        Regions whose bounding box's longer side is shorter are dropped, px.
    name : str
    info : dict
        How it was trained (images, folds, cross-validated scores …).
    """

    stages: list
    low: float = 0.5
    high: float = 0.8
    min_length_px: int = 40
    name: str = "crack-mlp"
    info: dict = field(default_factory=dict)

    def probability(self, gray, *, features: np.ndarray | None = None) -> np.ndarray:
        """Crack probability of each pixel, shape of ``gray``, float32."""
        feats = image_features(gray) if features is None else features
        p = self.stages[0](feats)
        for stage in self.stages[1:]:
            p = stage(np.concatenate([context_features(p), feats], axis=-1))
        return p

    def predict(self, gray, *, features: np.ndarray | None = None) -> np.ndarray:
        """Crack mask (bool, shape of ``gray``)."""
        return postprocess(self.probability(gray, features=features), self.low, self.high, self.min_length_px)

    def to_arrays(self, prefix: str = "") -> dict:
        """The model as named arrays (for :func:`numpy.savez`), every name starting with ``prefix``."""
        arrays = {"low": self.low, "high": self.high, "min_length_px": self.min_length_px,
                  "name": np.array(self.name), "n_stages": len(self.stages),
                  "info": np.array(json.dumps(self.info))}  # fmt: skip
        for k, st in enumerate(self.stages):
            arrays[f"s{k}_mean"], arrays[f"s{k}_scale"] = st.mean, st.scale
            arrays[f"s{k}_n"] = len(st.weights)
            for i, (w, b) in enumerate(zip(st.weights, st.biases, strict=True)):
                arrays[f"s{k}_w{i}"], arrays[f"s{k}_b{i}"] = w, b
        return {prefix + key: value for key, value in arrays.items()}

    @classmethod
    def from_arrays(cls, z, prefix: str = "") -> CrackModel:
        """Inverse of :meth:`to_arrays`."""
        stages = []
        for k in range(int(z[f"{prefix}n_stages"])):
            n = int(z[f"{prefix}s{k}_n"])
            stages.append(Perceptron(z[f"{prefix}s{k}_mean"], z[f"{prefix}s{k}_scale"],
                                     [z[f"{prefix}s{k}_w{i}"] for i in range(n)],
                                     [z[f"{prefix}s{k}_b{i}"] for i in range(n)]))  # fmt: skip
        return cls(stages, float(z[f"{prefix}low"]), float(z[f"{prefix}high"]), int(z[f"{prefix}min_length_px"]),
                   str(z[f"{prefix}name"]), json.loads(str(z[f"{prefix}info"])))  # fmt: skip

    def save(self, path) -> Path:
        """Write the weights and settings to an ``.npz`` file."""
        path = Path(path)
        np.savez_compressed(path, **self.to_arrays())
        return path

    @classmethod
    def load(cls, path) -> CrackModel:
        """Read a model written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            return cls.from_arrays(z)


def save_cv(path, models, held_out) -> Path:
    """Write cross-validation fold models and the names of the images each was scored on.

    Parameters
    ----------
    path : str or Path
    models : list of CrackModel
        One per fold, trained without that fold's images.
    held_out : list of list of str
        Names of each fold's held-out images.
    """
    arrays = {"n_folds": len(models)}
    for k, (model, names) in enumerate(zip(models, held_out, strict=True)):
        arrays.update(model.to_arrays(f"f{k}_"))
        arrays[f"f{k}_held_out"] = np.array(json.dumps(list(names)))
    path = Path(path)
    np.savez_compressed(path, **arrays)
    return path


def load_cv(path=None) -> list[tuple[CrackModel, list[str]]]:
    """Fold models and their held-out image names (default: the shipped :data:`CV_PATH`)."""
    with np.load(CV_PATH if path is None else path, allow_pickle=False) as z:
        return [(CrackModel.from_arrays(z, f"f{k}_"), json.loads(str(z[f"f{k}_held_out"])))
                for k in range(int(z["n_folds"]))]  # fmt: skip


_SHIPPED: CrackModel | None = None


def load_model(path=None) -> CrackModel:
    """The shipped model (cached), or the one at ``path``."""
    global _SHIPPED
    if path is not None:
        return CrackModel.load(path)
    if _SHIPPED is None:
        if not MODEL_PATH.is_file():
            raise FileNotFoundError(f"the crack model {MODEL_PATH} is missing; make it with "
                                    "`python -m benchmarks.train_crack_model`")  # fmt: skip
        _SHIPPED = CrackModel.load(MODEL_PATH)
    return _SHIPPED


def _hysteresis(prob: np.ndarray, low: float, high: float):
    """Labels of the regions above ``low`` (8-connected), which of them reach ``high``, and their boxes."""
    labels, n = ndimage.label(prob > low, structure=np.ones((3, 3), bool))
    strong = np.zeros(n + 1, bool)
    if n:
        strong[np.unique(labels[prob > high])] = True
    strong[0] = False
    extent = np.zeros(n + 1, np.int64)
    for i, sl in enumerate(ndimage.find_objects(labels)):
        extent[i + 1] = max(sl[0].stop - sl[0].start, sl[1].stop - sl[1].start)
    return labels, strong, extent


def postprocess(prob: np.ndarray, low: float, high: float, min_length_px: int) -> np.ndarray:
    """Hysteresis (``low``/``high``, 8-connected) and removal of regions shorter than ``min_length_px``."""
    labels, strong, extent = _hysteresis(prob, low, high)
    return (strong & (extent >= min_length_px))[labels]


# --- training ---------------------------------------------------------------------------------------

#: hysteresis settings searched when training
LOW_GRID = (0.3, 0.4, 0.5, 0.6, 0.7)
HIGH_GRID = (0.7, 0.8, 0.9, 0.95)
LENGTH_GRID = (20, 40, 60, 80)


def _sample(features, masks, context, rng, negatives: int, hard: bool):
    """All crack pixels and ``negatives``× as many others (drawn towards high probability when ``hard``)."""
    xs, ys = [], []
    for i, (f, m) in enumerate(zip(features, masks, strict=True)):
        x = f if context is None else np.concatenate([context[i], f], axis=-1)
        x = x.reshape(-1, x.shape[-1])
        y = m.ravel()
        pos = np.flatnonzero(y)
        neg = np.flatnonzero(~y)
        k = min(len(neg), negatives * len(pos) + 2000)
        if hard and context is not None:
            weight = context[i][..., 0].ravel()[neg] + 0.05
            pick = rng.choice(neg, size=k, replace=False, p=weight / weight.sum())
        else:
            pick = rng.choice(neg, size=k, replace=False)
        j = np.concatenate([pos, pick])
        xs.append(x[j])
        ys.append(y[j])
    return np.concatenate(xs), np.concatenate(ys)


def _folds(n: int, k: int) -> np.ndarray:
    return np.arange(n) % k


def _fit_stage(features, masks, context, idx, *, hidden, epochs, negatives, seed) -> Perceptron:
    rng = np.random.default_rng(seed)
    ctx = None if context is None else [context[i] for i in idx]
    x, y = _sample([features[i] for i in idx], [masks[i] for i in idx], ctx, rng, negatives, hard=ctx is not None)
    return _fit_perceptron(x, y, hidden=hidden, epochs=epochs, seed=seed)


def _stage_input(features, context, i):
    return features[i] if context is None else np.concatenate([context[i], features[i]], axis=-1)


def _out_of_fold(features, masks, context, idx, *, inner, **kw) -> dict:
    """Predictions for each image of ``idx`` by a stage fitted on the other inner folds."""
    out = {}
    fold = _folds(len(idx), inner)
    for k in range(inner):
        net = _fit_stage(features, masks, context, idx[fold != k], **kw)
        for i in idx[fold == k]:
            out[int(i)] = net(_stage_input(features, context, i))
    return out


def choose_postprocess(probs, masks) -> tuple[float, float, int, tuple]:
    """The hysteresis settings with the best CrackForest F1 over ``probs`` against ``masks``.

    Thinning is local, so the skeleton of a set of separate regions is the
    union of theirs: each (low, high) is skeletonised once and the length
    filter applied to the skeleton.
    """
    from skimage.morphology import skeletonize

    from .cfd_score import Score, distance_to_truth, score_skeleton

    to_truth = [distance_to_truth(m) for m in masks]
    totals: dict[tuple, Score] = {}
    for low in LOW_GRID:
        for high in HIGH_GRID:
            if high <= low:
                continue
            for p, m, dist in zip(probs, masks, to_truth, strict=True):
                labels, strong, extent = _hysteresis(p, low, high)
                skel = skeletonize(strong[labels])
                for length in LENGTH_GRID:
                    s = score_skeleton(skel & (extent >= length)[labels], m, dist)
                    key = (low, high, length)
                    totals[key] = totals[key] + s if key in totals else s
    # ties go to the first setting in grid order
    (low, high, length), s = max(totals.items(), key=lambda kv: kv[1].f1)
    return low, high, length, s


def train(
    features,
    masks,
    *,
    n_stages: int = 3,
    inner_folds: int = 4,
    hidden=(32, 16),
    epochs: int = 6,
    negatives: int = 8,
    seed: int = 0,
    name: str = "crack-mlp",
) -> CrackModel:
    """Fit a stacked model to images' filter banks and crack masks.

    Parameters
    ----------
    features : list of numpy.ndarray, each (n_rows, n_cols, N_IMAGE_FEATURES)
        :func:`image_features` of each training image.
    masks : list of numpy.ndarray, each (n_rows, n_cols), bool
        Ground truth.
    n_stages : int
    inner_folds : int
        Folds of the inner cross-validation that makes each stage's inputs.
    hidden, epochs, negatives, seed
        Network size, training epochs, negatives per crack pixel, random seed.

    Returns
    -------
    CrackModel
    """
    t0 = time.perf_counter()
    masks = [np.asarray(m, bool) for m in masks]
    idx = np.arange(len(features))
    kw = dict(hidden=tuple(hidden), epochs=epochs, negatives=negatives)
    context = None
    stages = []
    for stage in range(n_stages):
        s_seed = seed + 1000 * stage
        stages.append(_fit_stage(features, masks, context, idx, seed=s_seed, **kw))
        # this stage's out-of-fold predictions: the next stage's input, or (last) the hysteresis choice
        oof = _out_of_fold(features, masks, context, idx, inner=inner_folds, seed=s_seed + 1, **kw)
        probs = [oof[int(i)] for i in idx]
        if stage < n_stages - 1:
            context = [context_features(p) for p in probs]
        logger.info("stage %d fitted (%.0f s)", stage, time.perf_counter() - t0)
    low, high, length, s = choose_postprocess(probs, masks)
    info = {"n_images": len(features), "n_stages": n_stages, "hidden": list(hidden), "epochs": epochs,
            "negatives": negatives, "seed": seed, "inner_folds": inner_folds,
            "inner_oof_f1": s.f1, "inner_oof_precision": s.precision, "inner_oof_recall": s.recall}  # fmt: skip
    return CrackModel(stages, low, high, length, name, info)


def cross_validate(features, masks, *, names=None, folds: int = 5, **train_kw) -> dict:
    """k-fold cross-validation over images: train on k−1 folds, score the held-out fold, sum the counts.

    Image ``i`` is in fold ``i mod folds``.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1`` (pooled over all held-out images),
        ``per_fold`` (the same per fold, with the hysteresis settings chosen
        on that fold's training images), ``predictions`` (the held-out
        masks, in image order), ``models`` and ``held_out`` (names, or
        indices as text, of each fold's test images).
    """
    from .cfd_score import score_masks

    masks = [np.asarray(m, bool) for m in masks]
    names = [str(i) for i in range(len(features))] if names is None else [str(n) for n in names]
    fold = _folds(len(features), folds)
    preds: list = [None] * len(features)
    per_fold, models, held_out = [], [], []
    for k in range(folds):
        train_idx = np.flatnonzero(fold != k)
        model = train([features[i] for i in train_idx], [masks[i] for i in train_idx], **train_kw)
        model.info["trained_on"] = [names[i] for i in train_idx]
        test_idx = np.flatnonzero(fold == k)
        for i in test_idx:
            preds[i] = model.predict(None, features=features[i])
        s = score_masks([preds[i] for i in test_idx], [masks[i] for i in test_idx])
        per_fold.append({"fold": k, "precision": s.precision, "recall": s.recall, "f1": s.f1, "low": model.low,
                         "high": model.high, "min_length_px": model.min_length_px})  # fmt: skip
        models.append(model)
        held_out.append([names[i] for i in test_idx])
        logger.info("fold %d: P %.3f R %.3f F1 %.3f", k, s.precision, s.recall, s.f1)
    total = score_masks(preds, masks)
    return {"precision": total.precision, "recall": total.recall, "f1": total.f1, "per_fold": per_fold,
            "predictions": preds, "models": models, "held_out": held_out}  # fmt: skip
