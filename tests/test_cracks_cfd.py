"""The CrackForest scoring rule, and the photograph detector's cross-validated score on the real photographs."""

from __future__ import annotations


import numpy as np
import pytest

from roadbed.pavement import crack_model
from roadbed.pavement.cfd_score import (
    Score,
    baseline_mask,
    cv_predictions,
    load_cfd,
    main,
    score_image,
    score_masks,
)

#: k-fold cross-validated F1 the shipped fold models reach on cfd_dev (the issue's target is 0.80)
CV_F1_FLOOR = 0.80


# --- the scoring rule against hand-made cases ------------------------------------------------------


def _line(row, shape=(40, 60), width=1, cols=slice(5, 55)):
    m = np.zeros(shape, bool)
    m[row - width // 2 : row - width // 2 + width, cols] = True
    return m


def test_a_perfect_centreline_scores_one():
    s = score_image(_line(20), _line(20))
    assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)


@pytest.mark.parametrize(("shift", "matched"), [(1, True), (2, True), (3, False)])
def test_the_tolerance_is_two_pixels(shift, matched):
    s = score_image(_line(20 + shift), _line(20))
    assert s.precision == s.recall == (1.0 if matched else 0.0)


def test_wide_ground_truth_limits_recall_and_skeletons_are_taken():
    # a 3-px band is scored by its centre line: about 50 pixels, not 150, all within 2 px of the truth
    s = score_image(_line(20, width=3), _line(20))
    assert s.precision == 1.0 and 40 <= s.predicted <= 50 and s.recall > 0.9
    s = score_image(_line(20), _line(20, width=7))  # rows 17..23: those 3 px off the centre line are missed
    assert s.precision == 1.0 and s.recall == pytest.approx(5 / 7)
    empty = score_image(np.zeros((40, 60)), _line(20))
    assert (empty.precision, empty.recall, empty.f1) == (0.0, 0.0, 0.0)
    assert score_masks([_line(20), _line(10)], [_line(20), _line(30)]) == score_image(_line(20), _line(20)) + Score(
        0, 50, 0, 50)  # fmt: skip
    with pytest.raises(ValueError, match="shape"):
        score_image(np.zeros((3, 3)), np.zeros((4, 4)))


# --- the real photographs ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cfd(crack_data):
    return load_cfd(crack_data / "cfd_dev")


def test_the_photographs_are_as_documented(cfd):
    names, images, masks = cfd
    assert len(names) == 58 and "042" not in names and names[0] == "001" and names[-1] == "059"
    assert all(g.shape == (320, 480) and g.dtype == np.float32 for g in images)
    assert 0.01 < np.mean([m.mean() for m in masks]) < 0.025  # "about 1.6 % of pixels"


def test_cross_validated_f1_of_the_shipped_fold_models(cfd):
    """Each photograph is scored with the fold model that never saw it (folds: image i in fold i mod 5)."""
    names, images, masks = cfd
    cv = crack_model.load_cv()
    held = [n for _, held_out in cv for n in held_out]
    assert sorted(held) == sorted(names)  # every image held out exactly once
    for model, held_out in cv:
        assert not set(held_out) & set(model.info["trained_on"])
        assert len(model.info["trained_on"]) + len(held_out) == len(names)
    preds = cv_predictions(names, images, cv)
    s = score_masks(preds, masks)
    assert s.f1 >= CV_F1_FLOOR, (s.precision, s.recall, s.f1)
    # far above the simple baseline on the same images
    base = score_masks([baseline_mask(g, threshold=0.23) for g in images], masks)
    assert base.f1 < 0.45 and s.f1 > base.f1 + 0.3
    # the shipped model, fitted on all images, agrees with what training recorded
    shipped = crack_model.load_model()
    assert shipped.info["cv_f1"] == pytest.approx(s.f1, abs=1e-9)


def test_training_and_cross_validation_run_end_to_end(cfd, tmp_path):
    names, images, masks = cfd
    feats = [crack_model.image_features(g) for g in images[:4]]
    cv = crack_model.cross_validate(feats, masks[:4], names=names[:4], folds=2, n_stages=2, inner_folds=2, epochs=1,
                                    negatives=2)  # fmt: skip
    assert [len(h) for h in cv["held_out"]] == [2, 2] and 0.0 <= cv["f1"] <= 1.0
    path = crack_model.save_cv(tmp_path / "cv.npz", cv["models"], cv["held_out"])
    loaded = crack_model.load_cv(path)
    for (a, held), b, want in zip(loaded, cv["models"], cv["held_out"], strict=True):
        assert held == want and a.info["trained_on"] == b.info["trained_on"]
        np.testing.assert_array_equal(a.probability(images[0]), b.probability(images[0]))
    # the pooled figure is the held-out predictions' score, recomputed from the saved fold models
    again = score_masks(cv_predictions(names[:4], images[:4], loaded), masks[:4])
    assert again.f1 == pytest.approx(cv["f1"])
    model = crack_model.train(feats[:2], masks[:2], n_stages=1, inner_folds=2, epochs=1, negatives=2)
    model.save(tmp_path / "m.npz")
    np.testing.assert_array_equal(crack_model.CrackModel.load(tmp_path / "m.npz").predict(images[3]),
                                  model.predict(images[3]))  # fmt: skip
    with pytest.raises(ValueError, match="trained on its held-out"):
        cv_predictions(names[:4], images[:4], [(loaded[0][0], names[:4])])


def test_score_command(crack_data, capsys):
    assert main([str(crack_data / "cfd_dev"), "--baseline", "--threshold", "0.23"]) == 0
    out = capsys.readouterr().out
    assert '"images": 58' in out and '"f1"' in out
