"""Pipe, cavity or other: a small multinomial logistic model over each response's features.

Physics tells the classes apart (DOMAIN.md): a pipe is a diffraction that
migration collapses to a point (``focus_ratio`` large, ``width_m`` small),
strong where it is metal or water-filled; a cavity's top is flat over its
width (``flat_misfit`` below ``hyperbola_misfit``, ``width_m`` large), with
reversed polarity when it is air and reverberation beneath it; stones, rebar
and layer edges are weaker or smaller. The weights that turn those features
into probabilities are learned from synthetic surveys with known truth
(``python -m benchmarks.train_detect_model``, which writes
``detect_model.npz`` beside this module) — a logistic model's probabilities
are calibrated on data like its training data, which the training script
checks on held-out scenes.

Features enter transformed (:data:`TRANSFORMS`: logarithms of the positive,
heavy-tailed ones); a missing value (nan: no hyperbola fit) becomes the
training mean; with ``interactions`` the products of every pair of features
(squares included) join them — a diffraction is narrow *and* well fitted by
a hyperbola, a flat top wide *and* better fitted flat — and every column is
standardised with the training set's mean and standard deviation.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import scipy.optimize

from .candidate import FEATURES, Candidate

__all__ = ["CLASSES", "ClassifierModel", "classify", "design_matrix", "fit_classifier", "load_model"]

#: the classes, in the order of the model's rows
CLASSES = ("pipe", "cavity", "other")
#: file of the shipped model, beside this module
MODEL_FILE = "detect_model.npz"
#: smallest value a positive feature is clipped to before its logarithm
_TINY = 1e-6


def _log(x: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(x, _TINY))


#: feature name → transform before standardising (identity where absent)
TRANSFORMS = {
    "amplitude": _log,
    "width_m": _log,
    "focus_ratio": _log,
    "hyperbola_misfit": _log,
    "flat_misfit": _log,
    "ringing": np.log1p,
    "snr": _log,
}


def design_matrix(candidates: Sequence[Candidate]) -> np.ndarray:
    """The transformed features of each candidate, shape (n_candidates, len(FEATURES)); nan where missing."""
    raw = np.array([c.features() for c in candidates], dtype=np.float64).reshape(-1, len(FEATURES))
    out = np.empty_like(raw)
    for j, name in enumerate(FEATURES):
        transform = TRANSFORMS.get(name)
        column = raw[:, j]
        with np.errstate(invalid="ignore"):
            out[:, j] = transform(column) if transform is not None else column
    return out


@dataclass(frozen=True)
class ClassifierModel:
    """A fitted multinomial logistic model.

    Attributes
    ----------
    mean, scale : ndarray, shape (n_columns,)
        Standardisation of the design columns (the features, then with
        ``interactions`` their pairwise products).
    weights : ndarray, shape (n_classes, n_columns + 1)
        Per class: the bias, then one weight per standardised column.
    fill : ndarray, shape (n_features,), optional
        What a missing transformed feature becomes (the training mean); None: 0 after standardising.
    interactions : bool
        Whether the design holds the pairwise products.
    classes : tuple of str
    features : tuple of str
        The feature names the model was fitted on (must equal :data:`FEATURES`).
    """

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    fill: np.ndarray | None = None
    interactions: bool = False
    classes: tuple[str, ...] = CLASSES
    features: tuple[str, ...] = FEATURES

    def design(self, x: np.ndarray) -> np.ndarray:
        """The design columns of transformed features ``x`` (n, n_features), not yet standardised."""
        x = np.asarray(x, np.float64)
        if self.fill is not None:
            x = np.where(np.isfinite(x), x, self.fill)
        return _with_products(x) if self.interactions else x

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities for transformed features ``x`` (n, n_features) → (n, n_classes)."""
        z = (self.design(x) - self.mean) / self.scale
        z = np.where(np.isfinite(z), z, 0.0)
        logits = self.weights[:, 0] + z @ self.weights[:, 1:].T
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def save(self, path) -> Path:
        """Write the model as ``.npz``."""
        path = Path(path)
        fill = np.full(len(self.features), np.nan) if self.fill is None else self.fill
        np.savez(path, mean=self.mean, scale=self.scale, weights=self.weights, fill=fill,
                 interactions=np.array(self.interactions), classes=np.array(self.classes),
                 features=np.array(self.features))  # fmt: skip
        return path


def _with_products(x: np.ndarray) -> np.ndarray:
    """``x`` (n, m) followed by the products of every pair of its columns, squares included (n, m + m(m+1)/2)."""
    i, j = np.triu_indices(x.shape[1])
    return np.hstack([x, x[:, i] * x[:, j]])


def fit_classifier(x: np.ndarray, labels: Sequence[str], *, l2: float = 1e-2, class_weight: str | None = "balanced",
                   interactions: bool = True) -> ClassifierModel:  # fmt: skip
    """Fit the multinomial logistic model by L-BFGS on the (weighted) cross-entropy plus an L2 penalty.

    Parameters
    ----------
    x : ndarray, shape (n, n_features)
        Transformed features (:func:`design_matrix`); nan is replaced by the column mean.
    labels : sequence of str
        One of :data:`CLASSES` per row.
    l2 : float
        Penalty on the weights (not the biases), per sample.
    class_weight : {"balanced", None}
        ``"balanced"`` weighs each class by ``n / (n_classes · n_class)``,
        so a rare class is not ignored; the biases are then corrected back
        to the training frequencies, so the probabilities stay calibrated.
    interactions : bool
        Add the pairwise products of the features (see the module docs).

    Returns
    -------
    ClassifierModel
    """
    x = np.asarray(x, np.float64)
    labels = list(labels)
    if x.ndim != 2 or x.shape[0] != len(labels) or x.shape[0] == 0:
        raise ValueError(f"x must be (n, n_features) with one label per row, got {x.shape} and {len(labels)} labels")
    unknown = set(labels) - set(CLASSES)
    if unknown:
        raise ValueError(f"labels must be in {CLASSES}, got {sorted(unknown)}")
    y = np.array([CLASSES.index(c) for c in labels])
    fill = np.nanmean(x, axis=0)
    fill = np.where(np.isfinite(fill), fill, 0.0)
    x = np.where(np.isfinite(x), x, fill)
    if interactions:
        x = _with_products(x)
    mean = np.nanmean(x, axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    scale = np.nanstd(x, axis=0)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    z = (x - mean) / scale
    z = np.where(np.isfinite(z), z, 0.0)
    n, m = z.shape
    k = len(CLASSES)
    counts = np.bincount(y, minlength=k).astype(np.float64)
    if class_weight == "balanced":
        w_class = np.where(counts > 0, n / (k * np.maximum(counts, 1)), 0.0)
    elif class_weight is None:
        w_class = np.ones(k)
    else:
        raise ValueError(f"class_weight must be 'balanced' or None, got {class_weight!r}")
    sample_w = w_class[y]
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    design = np.hstack([np.ones((n, 1)), z])

    def loss(flat):
        w = flat.reshape(k, m + 1)
        logits = design @ w.T
        logits -= logits.max(axis=1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        value = -np.sum(sample_w * np.sum(onehot * logp, axis=1)) / n + 0.5 * l2 * np.sum(w[:, 1:] ** 2)
        grad = ((np.exp(logp) - onehot) * sample_w[:, None]).T @ design / n
        grad[:, 1:] += l2 * w[:, 1:]
        return value, grad.ravel()

    result = scipy.optimize.minimize(loss, np.zeros(k * (m + 1)), jac=True, method="L-BFGS-B",
                                     options={"maxiter": 2000})  # fmt: skip
    weights = result.x.reshape(k, m + 1)
    if class_weight == "balanced":
        # weighting class c by w_c shifts its log-odds by log w_c: take it back off
        present = counts > 0
        weights[present, 0] -= np.log(w_class[present])
    return ClassifierModel(mean=mean, scale=scale, weights=weights, fill=fill, interactions=interactions)


def load_model(path=None) -> ClassifierModel:
    """The model shipped with roadbed (or the one at ``path``)."""
    source = resources.files(__package__).joinpath(MODEL_FILE) if path is None else Path(path)
    with resources.as_file(source) if path is None else contextlib.nullcontext(source) as file:
        try:
            with np.load(file) as data:
                fill = data["fill"] if "fill" in data else None
                model = ClassifierModel(
                    mean=data["mean"], scale=data["scale"], weights=data["weights"],
                    fill=None if fill is None or np.all(np.isnan(fill)) else fill,
                    interactions=bool(data["interactions"]) if "interactions" in data else False,
                    classes=tuple(str(c) for c in data["classes"]), features=tuple(str(f) for f in data["features"]),
                )  # fmt: skip
        except FileNotFoundError:
            raise FileNotFoundError(
                f"{file}: no detection model; train one with `python -m benchmarks.train_detect_model`"
            ) from None
    if model.features != FEATURES or model.classes != CLASSES:
        raise ValueError(f"{file}: model fitted on features {model.features} / classes {model.classes}, "
                         f"this roadbed uses {FEATURES} / {CLASSES}: retrain it")  # fmt: skip
    return model


def classify(candidates: Sequence[Candidate], *, model: ClassifierModel | None = None) -> list[Candidate]:
    """Each candidate with ``kind`` the most probable class and ``confidence`` its probability.

    Parameters
    ----------
    candidates : sequence of Candidate
    model : ClassifierModel, optional
        Default: :func:`load_model`.

    Returns
    -------
    list of Candidate
        New records (the inputs are frozen); ``extra["probabilities"]``
        holds every class's probability.
    """
    if not candidates:
        return []
    model = load_model() if model is None else model
    p = model.probabilities(design_matrix(candidates))
    out = []
    for c, row in zip(candidates, p, strict=True):
        best = int(np.argmax(row))
        probs = {name: float(v) for name, v in zip(model.classes, row, strict=True)}
        conf = float(row[best])
        out.append(dataclasses.replace(c, kind=model.classes[best], confidence=conf if math.isfinite(conf) else 0.0,
                                       extra={**c.extra, "probabilities": probs}))  # fmt: skip
    return out
