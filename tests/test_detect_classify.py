"""The detection classifier: the logistic fit against a known model, standardisation, calibration, I/O."""

from __future__ import annotations

import math

import numpy as np
import pytest

from roadbed.detect.candidate import FEATURES, Candidate
from roadbed.detect.classify import CLASSES, ClassifierModel, classify, design_matrix, fit_classifier, load_model


def _draw(model: ClassifierModel, n: int, rng) -> tuple[np.ndarray, list[str]]:
    x = rng.normal(size=(n, len(FEATURES))) * model.scale + model.mean
    p = model.probabilities(x)
    y = [CLASSES[int(rng.choice(len(CLASSES), p=row))] for row in p]
    return x, y


def test_fit_recovers_a_known_logistic_model_and_its_probabilities():
    rng = np.random.default_rng(0)
    m = len(FEATURES)
    weights = np.zeros((3, m + 1))
    weights[:, 0] = [0.2, -0.3, 0.0]
    weights[0, 1:4] = [2.0, -1.0, 0.5]
    weights[1, 2:6] = [1.5, 1.0, -2.0, 0.7]
    truth = ClassifierModel(mean=rng.normal(size=m), scale=rng.uniform(0.5, 2.0, m), weights=weights)
    x, y = _draw(truth, 20000, rng)
    fitted = fit_classifier(x, y, l2=1e-6, class_weight=None, interactions=False)
    x_test, _ = _draw(truth, 2000, rng)
    # softmax weights are defined up to a common shift per column: compare probabilities
    diff = np.abs(fitted.probabilities(x_test) - truth.probabilities(x_test))
    assert np.quantile(diff, 0.99) < 0.04 and diff.max() < 0.1  # sampling error of 20,000 draws


def test_balanced_weights_keep_probabilities_calibrated():
    rng = np.random.default_rng(1)
    m = len(FEATURES)
    weights = np.zeros((3, m + 1))
    weights[:, 0] = [1.5, -1.5, 0.0]  # cavities rare
    weights[0, 1], weights[1, 2] = 1.5, 1.5
    truth = ClassifierModel(mean=np.zeros(m), scale=np.ones(m), weights=weights)
    x, y = _draw(truth, 20000, rng)
    fitted = fit_classifier(x, y, l2=1e-6, interactions=False)
    p = fitted.probabilities(x)
    # mean predicted probability of each class = its frequency (calibration in the large)
    freq = np.array([np.mean(np.array(y) == c) for c in CLASSES])
    np.testing.assert_allclose(p.mean(axis=0), freq, atol=0.02)


def test_interactions_learn_what_no_linear_model_can():
    # "pipe" where two features have the same sign: no hyperplane separates it, their product does
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4000, len(FEATURES)))
    y = np.where(x[:, 0] * x[:, 1] > 0, "pipe", "other")
    for interactions, least, most in ((False, 0.0, 0.7), (True, 0.95, 1.0)):
        model = fit_classifier(x, y, l2=1e-4, interactions=interactions)
        test = rng.normal(size=(2000, len(FEATURES)))
        pred = np.array(CLASSES)[model.probabilities(test).argmax(axis=1)]
        accuracy = np.mean(pred == np.where(test[:, 0] * test[:, 1] > 0, "pipe", "other"))
        assert least <= accuracy <= most


def test_missing_features_become_the_training_mean_and_labels_are_checked():
    x = np.array([[1.0] * len(FEATURES), [3.0] * len(FEATURES)])
    model = fit_classifier(x, ["pipe", "other"])
    row = np.full((1, len(FEATURES)), np.nan)
    np.testing.assert_allclose(model.probabilities(row).sum(), 1.0)
    with pytest.raises(ValueError, match="labels"):
        fit_classifier(x, ["pipe", "rock"])
    with pytest.raises(ValueError, match="one label per row"):
        fit_classifier(x, ["pipe"])


def _candidate(**kw) -> Candidate:
    base = dict(source="s", line=0, channel=0, along_m=1.0, across_m=0.0, twt_ns=10.0, depth_m=0.5, amplitude=0.3,
                polarity=0.9, width_m=0.1, focus_ratio=5.0, hyperbola_misfit=0.05, flat_misfit=0.3, ringing=0.1,
                snr=30.0)  # fmt: skip
    base.update(kw)
    return Candidate(**base)


def test_design_matrix_transforms_and_classify_sets_kind_and_confidence(tmp_path):
    c = _candidate()
    x = design_matrix([c])
    assert x.shape == (1, len(FEATURES))
    assert x[0, FEATURES.index("width_m")] == pytest.approx(math.log(0.1))
    assert x[0, FEATURES.index("ringing")] == pytest.approx(math.log1p(0.1))
    # a model that says "cavity" for wide responses
    m = len(FEATURES)
    weights = np.zeros((3, m + 1))
    weights[1, 1 + FEATURES.index("width_m")] = 5.0  # log-odds 5 · ln(width / 0.2 m)
    weights[1, 0] = -5.0 * math.log(0.2)
    model = ClassifierModel(mean=np.zeros(m), scale=np.ones(m), weights=weights)
    wide, narrow = classify([_candidate(width_m=0.6), _candidate(width_m=0.02)], model=model)
    assert wide.kind == "cavity" and narrow.kind != "cavity"
    assert 0 < wide.confidence <= 1 and set(wide.extra["probabilities"]) == set(CLASSES)
    path = model.save(tmp_path / "m.npz")
    again = load_model(path)
    np.testing.assert_array_equal(again.weights, model.weights)
    fitted = fit_classifier(np.random.default_rng(0).normal(size=(50, m)), ["pipe", "other"] * 25)
    again = load_model(fitted.save(tmp_path / "f.npz"))
    x = np.full((1, m), np.nan)
    np.testing.assert_allclose(again.probabilities(x), fitted.probabilities(x))
    assert again.interactions and again.fill is not None
    with pytest.raises(FileNotFoundError, match="train_detect_model"):
        load_model(tmp_path / "none.npz")
    assert classify([], model=model) == []
