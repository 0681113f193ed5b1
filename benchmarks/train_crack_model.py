"""Train the photograph crack detector on CrackForest and report its k-fold cross-validated score.

::

    python -m benchmarks.train_crack_model                       # CV figure, then fit on all images, save
    python -m benchmarks.train_crack_model --no-cv               # just fit and save
    python -m benchmarks.train_crack_model --cv-only --folds 5   # just the figure

The figure is honest: every fold's model (filter bank → stacked perceptrons →
hysteresis thresholds chosen on its own training images) never sees the
images it is scored on. The fold models and their held-out image names are
saved to ``src/roadbed/pavement/crack_model_cv.npz``, so that
``python -m roadbed.pavement.cfd_score DIR --cv`` (and the tests) recompute
the figure in seconds. The final model is then fitted on all images with
the same settings and written to ``src/roadbed/pavement/crack_model.npz``.
Only numpy/scipy/numba are needed; about 15–30 minutes on two cores.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np

from roadbed.pavement import crack_model
from roadbed.pavement.cfd_score import load_cfd

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "cracks" / "cfd_dev"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.train_crack_model", description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="CrackForest folder (images/, masks/)")
    parser.add_argument("--out", default=str(crack_model.MODEL_PATH), help="where to write the model")
    parser.add_argument("--cv-out", default=str(crack_model.CV_PATH), help="where to write the fold models")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--stages", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validation")
    parser.add_argument("--cv-only", action="store_true", help="do not fit or save the final model")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    names, images, masks = load_cfd(args.data)
    t0 = time.perf_counter()
    features = [crack_model.image_features(g) for g in images]
    print(f"{len(names)} images, filter bank in {time.perf_counter() - t0:.1f} s", flush=True)
    settings = {"n_stages": args.stages, "seed": args.seed}
    result = {"images": len(names), "settings": settings}
    if not args.no_cv:
        cv = crack_model.cross_validate(features, masks, names=names, folds=args.folds, **settings)
        result["cv"] = {k: cv[k] for k in ("precision", "recall", "f1", "per_fold")}
        print(json.dumps(result["cv"], indent=2), flush=True)
        if not args.cv_only or args.cv_out != str(crack_model.CV_PATH):
            print(f"saved {crack_model.save_cv(args.cv_out, cv['models'], cv['held_out'])}", flush=True)
    if not args.cv_only:
        model = crack_model.train(features, masks, **settings)
        model.info["trained_on"] = names
        if "cv" in result:
            model.info.update({"cv_folds": args.folds, "cv_precision": result["cv"]["precision"],
                               "cv_recall": result["cv"]["recall"], "cv_f1": result["cv"]["f1"]})  # fmt: skip
        path = model.save(args.out)
        print(f"saved {path}: low {model.low} high {model.high} min_length {model.min_length_px} px; {model.info}")
    print(f"total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
