"""Detection: its speed against acquisition, and (``--figures``) its quality against known answers.

Speed: responses, classification and linking on a processed 20-channel
survey (2,000 traces × 512 samples per channel, the benchmark survey of
``bench_gpr``), in traces/s against the 4,000 traces/s a 20-channel array
records at 5 cm spacing and 36 km/h; the processing before it is
``bench_gpr``'s "default recipe" row.

Quality (``python -m benchmarks.bench_detect --figures``): the figures of
issue 4 on the gprMax scenes and on held-out synthetic scenes
(:mod:`roadbed.detect.evaluate`): F1 (match within 0.15 m along, 0.10 m in
depth), median depth error, pipe/cavity classification, false alarms per
100 m, plan position of linked pipes.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks._timing import best_of
from benchmarks.bench_gpr import ACQUISITION_TRACES_PER_S, _survey
from roadbed.detect.classify import classify, load_model
from roadbed.detect.link import group_cavities, link_pipes
from roadbed.detect.pipeline import line_candidates, prepare_line

SCENES = Path(__file__).resolve().parents[1] / "scenes" / "gprmax"


def run(quick: bool) -> list[dict]:
    da = _survey(200 if quick else 2000)
    prepared = prepare_line(da)
    model = load_model()
    traces = da.sizes["channel"] * da.sizes["trace"]

    def detection():
        found = classify(line_candidates(prepared), model=model)
        link_pipes([c for c in found if c.kind == "pipe"])
        group_cavities([c for c in found if c.kind == "cavity"])

    t = best_of(detection, repeat=1 if not quick else 3)
    rate = traces / t
    return [{"benchmark": "detection (20-ch survey)", "roadbed_s": t, "reference": "acquisition",
             "reference_s": traces / ACQUISITION_TRACES_PER_S, "speed-up": rate / ACQUISITION_TRACES_PER_S,
             "throughput": f"{rate:,.0f} traces/s = {rate / ACQUISITION_TRACES_PER_S:.1f}× real time"}]


def figures(n_synthetic: int = 30) -> None:
    """Print issue 4's figures per scene set and pooled."""
    from roadbed.detect.evaluate import evaluate_gprmax, evaluate_synthetic, pooled

    def show(name, score):
        s = score.summary()
        print(f"{name:<22} tp {s['tp']:3d} fp {s['fp']:3d} fn {s['fn']:3d}  F1 {s['f1']:.3f}  "
              f"P {s['precision']:.3f} R {s['recall']:.3f}  depth err {100 * s['median_depth_error_m']:.1f} cm  "
              f"class {s['classification_accuracy']:.3f}  FA/100 m {s['false_alarms_per_100m']:.1f}  "
              f"plan err {100 * s['plan_position_error_m']:.1f} cm")

    sets = {}
    if (SCENES / "truth.json").exists():
        results = list(evaluate_gprmax(SCENES))
        for r in results:
            show(f"  {r.name}", r.score)
        sets["gprMax scenes"] = pooled(results)
    for kind in ("line", "array"):
        sets[f"synthetic {kind}s (test)"] = pooled(evaluate_synthetic(n_synthetic, kind=kind))
    for name, score in sets.items():
        show(name, score)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_detect", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    parser.add_argument("--figures", action="store_true", help="quality figures on the gprMax and synthetic scenes")
    parser.add_argument("--scenes", type=int, default=30, help="synthetic test scenes of each kind (--figures)")
    args = parser.parse_args()
    if args.figures:
        figures(args.scenes)
    else:
        for row in run(args.quick):
            print(f"{row['benchmark']:<34} {row['roadbed_s']:>9.4f} s {row['reference']:>14} "
                  f"{row['reference_s']:>9.4f} s {row['speed-up']:>8.1f}×  {row['throughput']}")
